#include "daemon/functions.h"

namespace fnq {

Status FunctionRegistry::load() {
  std::uint64_t changes;
  {
    std::shared_lock<std::shared_mutex> lock(m_mutex);
    changes = m_changes;
  }
  // Read without the lock, so that the cache answers while the store is slow
  // or away. A put or remove meanwhile makes the list older than the cache,
  // which is then kept (a removed definition would come back); the next load
  // catches up.
  FNQ_TRY_ASSIGN(auto all, m_store.list_functions());
  std::unique_lock<std::shared_mutex> lock(m_mutex);
  if (m_changes != changes) {
    return {};
  }
  m_functions.clear();
  for (auto& f : all) {
    m_functions[f.name] = f;
  }
  return {};
}

std::optional<Function> FunctionRegistry::find(const std::string& name) const {
  {
    std::shared_lock<std::shared_mutex> lock(m_mutex);
    auto it = m_functions.find(name);
    if (it != m_functions.end()) {
      return it->second;
    }
  }
  std::unique_lock<std::shared_mutex> lock(m_mutex);
  if (auto it = m_functions.find(name); it != m_functions.end()) {
    return it->second;  // cached by another thread meanwhile
  }
  auto stored = m_store.get_function(name);
  if (!stored) {
    return std::nullopt;
  }
  m_functions[name] = *stored;
  return *stored;
}

std::optional<Function> FunctionRegistry::find_cached(const std::string& name) const {
  std::shared_lock<std::shared_mutex> lock(m_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    return std::nullopt;
  }
  auto it = m_functions.find(name);
  if (it == m_functions.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<Function> FunctionRegistry::all() const {
  std::shared_lock<std::shared_mutex> lock(m_mutex);
  std::vector<Function> out;
  for (const auto& [name, f] : m_functions) {
    out.push_back(f);
  }
  return out;
}

Result<bool> FunctionRegistry::put(const Function& f) {
  // The lock spans the store write so the cache never disagrees with it.
  std::unique_lock<std::shared_mutex> lock(m_mutex);
  auto created = m_store.put_function(f);
  ++m_changes;  // even on error: the write may have reached the store
  if (created) {
    m_functions[f.name] = f;
  }
  return created;
}

Result<Store::DeleteResult> FunctionRegistry::remove(const std::string& name, bool force,
                                                     std::int64_t now) {
  std::unique_lock<std::shared_mutex> lock(m_mutex);
  auto result = m_store.delete_function(name, force, now);
  ++m_changes;
  if (result) {
    m_functions.erase(name);
  }
  return result;
}

}  // namespace fnq
