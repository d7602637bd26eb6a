#include "discovery/provider.hpp"

#include <map>
#include <mutex>

#include "discovery/dns_sd_provider.hpp"
#include "discovery/manual_provider.hpp"

namespace lp2p::discovery {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, ProviderFactory, std::less<>> factories;
};

Registry& registry() {
  static Registry r;
  static std::once_flag builtins;
  std::call_once(builtins, [] {
    r.factories[std::string(kDnsSdProvider)] = DnsSdProvider::create;
    r.factories[std::string(kManualProvider)] = ManualProvider::create;
  });
  return r;
}

}  // namespace

void register_provider(std::string name, ProviderFactory factory) {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  r.factories[std::move(name)] = std::move(factory);
}

Result<std::unique_ptr<Provider>> create_provider(std::string_view name,
                                                  const ProviderContext& context) {
  Registry& r = registry();
  ProviderFactory factory;
  {
    const std::lock_guard lock(r.mutex);
    auto it = r.factories.find(name);
    if (it == r.factories.end()) {
      return make_error(Errc::invalid_argument,
                        "no discovery provider named \"" + std::string(name) + "\"");
    }
    factory = it->second;
  }
  return factory(context);
}

std::vector<std::string> provider_names() {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, f] : r.factories) names.push_back(name);
  return names;
}

}  // namespace lp2p::discovery
