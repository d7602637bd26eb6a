// A discovery provider: one way of finding peers and being found (DNS-SD over mDNS, a ticket
// typed by hand, later Bluetooth...), in the shape of Couchbase's C4PeerDiscoveryProvider
// (spec/couchbase-peer-discovery.txt). Providers report what they see into the PeerDirectory they
// are given and call ProviderContext::changed so the owner can publish a batch of events.
//
// Threading: every method runs on the io_context's thread, and so do the provider's reports.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/metadata.hpp"
#include "discovery/peer_directory.hpp"
#include "lp2p/result.hpp"

namespace lp2p::discovery {

struct ProviderContext {
  boost::asio::io_context& io;
  PeerDirectory& directory;
  std::function<void()> changed;  // call after updating the directory
  // Call when what is published can be found (e.g. mDNS: the name is claimed and announced).
  std::function<void()> announced;
  std::string group;  // app group: only peers of the same group are seen ("" = all)
  std::vector<std::string> interfaces;  // network interfaces to use ("" = all)
  bool ipv4 = true;
  bool ipv6 = true;
};

struct PublishInfo {
  std::string display_name;
  std::uint16_t port = 0;
  Metadata metadata;
  std::string fingerprint;  // this agent's, for names that must be unique per agent
};

class Provider {
 public:
  Provider() = default;
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;
  Provider(Provider&&) = delete;
  Provider& operator=(Provider&&) = delete;
  virtual ~Provider() = default;

  [[nodiscard]] virtual std::string_view name() const = 0;
  virtual Result<void> start_browsing() = 0;
  virtual void stop_browsing() = 0;
  virtual Result<void> start_publishing(const PublishInfo& info) = 0;
  virtual void stop_publishing() = 0;
  virtual void update_metadata(const Metadata& metadata) = 0;
  // Stops browsing and publishing and lets go of sockets and timers, so that the event loop can
  // run out of work. The provider is not used again.
  virtual void shutdown() {
    stop_publishing();
    stop_browsing();
  }
  // Asks for a peer's metadata to be kept fresh (or no longer). Providers whose browsing already
  // watches metadata (DNS-SD) ignore it.
  virtual void monitor_metadata(std::string_view fingerprint, bool enable) {
    (void)fingerprint;
    (void)enable;
  }
};

using ProviderFactory = std::function<Result<std::unique_ptr<Provider>>(const ProviderContext&)>;

// Providers register by name once per process; the built-in ones ("dns-sd", "manual") are
// registered before the first lookup.
void register_provider(std::string name, ProviderFactory factory);
Result<std::unique_ptr<Provider>> create_provider(std::string_view name,
                                                  const ProviderContext& context);
std::vector<std::string> provider_names();

inline constexpr std::string_view kDnsSdProvider = "dns-sd";
inline constexpr std::string_view kManualProvider = "manual";

}  // namespace lp2p::discovery
