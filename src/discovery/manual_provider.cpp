#include "discovery/manual_provider.hpp"

namespace lp2p::discovery {

Result<std::unique_ptr<Provider>> ManualProvider::create(const ProviderContext& context) {
  return std::unique_ptr<Provider>(new ManualProvider(context));
}

void ManualProvider::report(const Ticket& ticket) {
  Sighting s;
  s.provider = std::string(kManualProvider);
  s.key = ticket.fingerprint;
  s.fingerprint = ticket.fingerprint;
  s.name = ticket.name;
  s.addresses = ticket.addresses;
  s.metadata[std::string(kTxtFingerprint)] = ticket.fingerprint;
  if (!ticket.auth_token.empty()) s.metadata[std::string(kTxtAuthToken)] = ticket.auth_token;
  if (!ticket.serial.empty()) s.metadata[std::string(kTxtSerial)] = ticket.serial;
  context_.directory.update(std::move(s));
  context_.changed();
}

Result<void> ManualProvider::start_browsing() {
  browsing_ = true;
  for (const auto& [fp, ticket] : peers_) report(ticket);
  return {};
}

void ManualProvider::stop_browsing() {
  browsing_ = false;
}

Result<void> ManualProvider::add(const Ticket& ticket) {
  if (!is_fingerprint(ticket.fingerprint)) {
    return make_error(Errc::invalid_argument,
                      "a fingerprint is 44 base64 characters, like the fp in `lp2p discover`");
  }
  if (ticket.addresses.empty())
    return make_error(Errc::invalid_argument, "a manual peer needs an address");
  peers_[ticket.fingerprint] = ticket;
  if (browsing_) report(ticket);
  return {};
}

void ManualProvider::remove(std::string_view fingerprint) {
  auto it = peers_.find(fingerprint);
  if (it == peers_.end()) return;
  peers_.erase(it);
  context_.directory.remove(kManualProvider, fingerprint);
  context_.changed();
}

}  // namespace lp2p::discovery
