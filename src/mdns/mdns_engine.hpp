// Runs the mDNS cores (one Responder and one Querier per interface) over real sockets and timers
// on an io_context: the I/O half of mdns/. Interfaces are re-read every Options::interface_poll,
// so an interface that comes up is joined and one that goes away is dropped; address changes are
// re-announced.
//
// Threading: create, call and destroy on the io_context's thread; handlers run there too.
// Lifetime: destroying the engine sends goodbyes for what it published and stops all I/O.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lp2p/result.hpp"
#include "mdns/interfaces.hpp"
#include "mdns/mdns_socket.hpp"
#include "mdns/querier.hpp"
#include "mdns/responder.hpp"

namespace lp2p::mdns {

class MdnsEngine {
 public:
  struct Options {
    std::vector<std::string> interfaces;  // empty: every multicast interface (see interfaces.hpp)
    bool ipv4 = true;
    bool ipv6 = true;
    std::uint64_t seed = 0;  // 0: from std::random_device
    Duration interface_poll = seconds(2);
  };
  struct Stats {
    std::uint64_t packets_received = 0;
    std::uint64_t packets_sent = 0;
    std::uint64_t malformed_packets = 0;
  };
  using ServiceHandler = std::function<void(const ServiceEvent& event, const NetInterface& itf)>;
  using RenameHandler = std::function<void(const std::string& instance, const std::string& host)>;
  // The published name is claimed on an interface (probing done, first announcement sent).
  using AnnouncedHandler = std::function<void(const NetInterface& itf)>;

  static Result<std::unique_ptr<MdnsEngine>> create(boost::asio::io_context& io, Options options);
  MdnsEngine(const MdnsEngine&) = delete;
  MdnsEngine& operator=(const MdnsEngine&) = delete;
  MdnsEngine(MdnsEngine&&) = delete;
  MdnsEngine& operator=(MdnsEngine&&) = delete;
  ~MdnsEngine();

  void on_service(ServiceHandler handler) { on_service_ = std::move(handler); }
  void on_renamed(RenameHandler handler) { on_renamed_ = std::move(handler); }
  void on_announced(AnnouncedHandler handler) { on_announced_ = std::move(handler); }

  // Publishes `service` (its port, TXT and subtypes) on every interface under host <label>.local.
  void publish(ServiceInstance service, std::string host_label);
  void update_txt(const std::vector<std::string>& txt);
  void unpublish();  // goodbyes
  void browse(const DnsName& name);
  void stop_browse(const DnsName& name);

  [[nodiscard]] const Stats& stats() const { return stats_; }
  [[nodiscard]] std::vector<NetInterface> interfaces() const;

 private:
  struct PerInterface {
    NetInterface itf;
    Querier querier;
    std::unique_ptr<Responder> responder;
  };

  MdnsEngine(boost::asio::io_context& io, Options options);
  Result<void> refresh_interfaces();
  void add_interface(const NetInterface& itf);
  void on_packet(std::span<const std::uint8_t> packet, const Endpoint& from);
  void drain(PerInterface& p);
  void schedule();
  void on_timer();
  void poll_interfaces();
  [[nodiscard]] std::vector<IpAddress> published_addresses(const NetInterface& itf) const;

  Options options_;
  Random random_;
  std::unique_ptr<MdnsSocket> v4_;
  std::unique_ptr<MdnsSocket> v6_;
  std::map<std::uint32_t, std::unique_ptr<PerInterface>> interfaces_;  // by interface index
  std::optional<ServiceInstance> published_;
  std::string host_label_;
  std::vector<DnsName> browsing_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer poll_timer_;
  ServiceHandler on_service_;
  RenameHandler on_renamed_;
  AnnouncedHandler on_announced_;
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lp2p::mdns
