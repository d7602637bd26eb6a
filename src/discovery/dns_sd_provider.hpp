// DNS-SD over our mDNS engine (osp-brief §1): publishes and browses _openscreen._udp with the TXT
// keys fp, mv, at and sn, and an optional app group as a DNS-SD subtype (the Couchbase
// peerGroupID), so that an app sees only peers of its own group.
//
// Instance names follow osp-brief §1.1 / §7 #10: the display name itself, or, when longer than
// 63 bytes, its first 62 bytes (cut on a UTF-8 boundary) followed by a NUL to say it was cut.
#pragma once

#include <memory>
#include <string>

#include "discovery/provider.hpp"
#include "mdns/mdns_engine.hpp"

namespace lp2p::discovery {

const mdns::DnsName& openscreen_service();  // _openscreen._udp.local

// The instance label for a display name, and whether it had to be cut.
std::string instance_label(std::string_view display_name);

class DnsSdProvider final : public Provider {
 public:
  static Result<std::unique_ptr<Provider>> create(const ProviderContext& context);

  [[nodiscard]] std::string_view name() const override { return kDnsSdProvider; }
  Result<void> start_browsing() override;
  void stop_browsing() override;
  Result<void> start_publishing(const PublishInfo& info) override;
  void stop_publishing() override;
  void shutdown() override;
  void update_metadata(const Metadata& metadata) override;

  // The instance label in use (it changes when a name conflict forces a rename).
  [[nodiscard]] const std::string& published_instance() const { return instance_; }
  [[nodiscard]] const mdns::MdnsEngine* engine() const { return engine_.get(); }

 private:
  explicit DnsSdProvider(ProviderContext context) : context_(std::move(context)) {}
  Result<void> ensure_engine();
  [[nodiscard]] mdns::DnsName browse_name() const;
  void on_service(const mdns::ServiceEvent& event, const mdns::NetInterface& itf);

  ProviderContext context_;
  std::unique_ptr<mdns::MdnsEngine> engine_;
  bool browsing_ = false;
  std::string instance_;
};

}  // namespace lp2p::discovery
