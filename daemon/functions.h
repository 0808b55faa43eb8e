#pragma once
// The registered functions, cached in memory (they are few and read on every
// start of an attempt); the store stays the source of truth.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "common/model.h"
#include "daemon/store/store.h"

namespace fnq {

class FunctionRegistry {
 public:
  explicit FunctionRegistry(Store& store) : m_store(store) {}
  Status load();
  // A name not cached is looked up in the store (another fnqd sharing the
  // store may have registered it since the last load) and cached.
  std::optional<Function> find(const std::string& name) const;
  // Without waiting, for a thread that must not block (the HTTP loop): the
  // cached definition, or nothing when the name is not cached or another
  // thread is changing the cache (reading a definition from the store, or
  // writing one); readers do not stop it.
  // The caller then leaves its request to a thread that may wait.
  std::optional<Function> find_cached(const std::string& name) const;
  std::vector<Function> all() const;
  Result<bool> put(const Function& f);  // true: created
  Result<Store::DeleteResult> remove(const std::string& name, bool force, std::int64_t now);

 private:
  Store& m_store;
  std::uint64_t m_changes = 0;        // puts and removes made; see load()
  mutable std::shared_mutex m_mutex;  // shared: reading the cache
  mutable std::map<std::string, Function> m_functions;
};

}  // namespace fnq
