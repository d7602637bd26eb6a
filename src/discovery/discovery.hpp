// Discovery: the providers of one agent and the peer directory they fill, with batched events.
//
// Threading: create, call and destroy on the io_context's thread; the event handler runs there,
// once per batch of changes (all changes made while handling one packet or timer come together).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "discovery/peer_directory.hpp"
#include "discovery/provider.hpp"
#include "discovery/ticket.hpp"

namespace lp2p::discovery {

class Discovery {
 public:
  struct Options {
    std::vector<std::string> providers{std::string(kDnsSdProvider), std::string(kManualProvider)};
    std::string group;
    std::vector<std::string> interfaces;
    bool ipv4 = true;
    bool ipv6 = true;
  };
  using EventHandler = std::function<void(const std::vector<DirectoryEvent>& events)>;

  static Result<std::unique_ptr<Discovery>> create(boost::asio::io_context& io, Options options);
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;
  Discovery(Discovery&&) = delete;
  Discovery& operator=(Discovery&&) = delete;
  ~Discovery();

  void on_events(EventHandler handler) { on_events_ = std::move(handler); }
  // A provider's publication can now be found (see ProviderContext::announced).
  void on_announced(std::function<void()> handler) { on_announced_ = std::move(handler); }

  Result<void> start_browsing();
  void stop_browsing();
  Result<void> start_publishing(const PublishInfo& info);
  void stop_publishing();
  // See Provider::shutdown; the directory stays readable.
  void shutdown();
  void update_metadata(const Metadata& metadata);
  // Adds a peer known by ticket (through the manual provider).
  Result<void> add_ticket(const Ticket& ticket);

  [[nodiscard]] const PeerDirectory& directory() const { return directory_; }
  [[nodiscard]] Provider* provider(std::string_view name) const;

 private:
  Discovery(boost::asio::io_context& io, Options options);
  void changed();

  boost::asio::io_context& io_;
  Options options_;
  PeerDirectory directory_;
  std::vector<std::unique_ptr<Provider>> providers_;
  EventHandler on_events_;
  std::function<void()> on_announced_;
  bool flush_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lp2p::discovery
