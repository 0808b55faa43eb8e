#include "support/tmpfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace fnq::test {

TmpfsMount::TmpfsMount(std::string dir, std::uint64_t bytes) : m_dir(std::move(dir)) {
  if (::mkdir(m_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    m_why_not = "cannot create " + m_dir + ": " + std::strerror(errno);
    return;
  }
  std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
  if (::mount("tmpfs", m_dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    m_why_not = "cannot mount a tmpfs on " + m_dir + " (" + std::strerror(errno) +
                "); full-disk tests need root or CAP_SYS_ADMIN";
    return;
  }
  m_mounted = true;
}

TmpfsMount::~TmpfsMount() {
  if (m_mounted) {
    ::umount2(m_dir.c_str(), MNT_DETACH);
  }
}

std::uint64_t TmpfsMount::free_bytes() const {
  struct statvfs fs {};
  if (::statvfs(m_dir.c_str(), &fs) != 0) {
    return 0;
  }
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

std::uint64_t TmpfsMount::fill(const std::string& name, std::uint64_t bytes) const {
  std::string path = m_dir + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return 0;
  }
  std::vector<char> block(64 * 1024, 'f');
  std::uint64_t written = 0;
  while (bytes == 0 || written < bytes) {
    std::size_t n =
        bytes == 0
            ? block.size()
            : static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), bytes - written));
    ssize_t w = ::write(fd, block.data(), n);
    if (w <= 0) {
      break;
    }
    written += static_cast<std::uint64_t>(w);
  }
  ::close(fd);
  return written;
}

}  // namespace fnq::test
