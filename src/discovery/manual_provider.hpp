// Peers reached without multicast: added by hand as host:port plus fingerprint, or by a ticket
// (ticket.hpp). Browsing reports every peer added; publishing is a no-op (the ticket is how this
// agent is found: `lp2p ticket`).
#pragma once

#include <map>
#include <memory>

#include "discovery/provider.hpp"
#include "discovery/ticket.hpp"

namespace lp2p::discovery {

class ManualProvider final : public Provider {
 public:
  static Result<std::unique_ptr<Provider>> create(const ProviderContext& context);

  [[nodiscard]] std::string_view name() const override { return kManualProvider; }
  Result<void> start_browsing() override;
  void stop_browsing() override;
  Result<void> start_publishing(const PublishInfo& /*info*/) override { return {}; }
  void stop_publishing() override {}
  void update_metadata(const Metadata& /*metadata*/) override {}

  Result<void> add(const Ticket& ticket);
  void remove(std::string_view fingerprint);

 private:
  explicit ManualProvider(ProviderContext context) : context_(std::move(context)) {}
  void report(const Ticket& ticket);

  ProviderContext context_;
  std::map<std::string, Ticket, std::less<>> peers_;  // by fingerprint
  bool browsing_ = false;
};

}  // namespace lp2p::discovery
