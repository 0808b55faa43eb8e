#pragma once
// A small tmpfs mounted for one test, to run fnq on a disk that fills up.
// Mounting needs root (or CAP_SYS_ADMIN); a test skips when it cannot.
#include <cstdint>
#include <string>

namespace fnq::test {

class TmpfsMount {
 public:
  // Mounts a tmpfs of `bytes` (mode 0700) on `dir`, creating it.
  TmpfsMount(std::string dir, std::uint64_t bytes);
  // Unmounts it (lazily, should a file be still open).
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return m_mounted; }
  // Why it is not mounted, for GTEST_SKIP.
  const std::string& why_not() const { return m_why_not; }
  const std::string& path() const { return m_dir; }
  std::uint64_t free_bytes() const;
  // Writes a file `name` of `bytes` (or until the disk is full, if bytes is
  // 0); returns the bytes written.
  std::uint64_t fill(const std::string& name, std::uint64_t bytes = 0) const;

 private:
  std::string m_dir;
  bool m_mounted = false;
  std::string m_why_not;
};

}  // namespace fnq::test
