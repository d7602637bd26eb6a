#include "discovery/discovery.hpp"

#include <boost/asio/post.hpp>

#include "discovery/manual_provider.hpp"

namespace lp2p::discovery {

Discovery::Discovery(boost::asio::io_context& io, Options options)
    : io_(io), options_(std::move(options)) {}

Discovery::~Discovery() {
  *alive_ = false;
}

Result<std::unique_ptr<Discovery>> Discovery::create(boost::asio::io_context& io, Options options) {
  std::unique_ptr<Discovery> d(new Discovery(io, std::move(options)));
  Discovery* self = d.get();
  const ProviderContext context{io,
                                d->directory_,
                                [self] { self->changed(); },
                                [self] {
                                  if (self->on_announced_) self->on_announced_();
                                },
                                d->options_.group,
                                d->options_.interfaces,
                                d->options_.ipv4,
                                d->options_.ipv6};
  for (const auto& name : d->options_.providers) {
    auto provider = create_provider(name, context);
    if (!provider) return std::move(provider).error();
    d->providers_.push_back(std::move(*provider));
  }
  return d;
}

Provider* Discovery::provider(std::string_view name) const {
  for (const auto& p : providers_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

void Discovery::changed() {
  if (flush_posted_) return;
  flush_posted_ = true;
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    flush_posted_ = false;
    auto events = directory_.take_events();
    if (!events.empty() && on_events_) on_events_(events);
  });
}

Result<void> Discovery::start_browsing() {
  for (auto& p : providers_) LP2P_TRY(p->start_browsing());
  return {};
}

void Discovery::stop_browsing() {
  for (auto& p : providers_) p->stop_browsing();
}

Result<void> Discovery::start_publishing(const PublishInfo& info) {
  for (auto& p : providers_) LP2P_TRY(p->start_publishing(info));
  return {};
}

void Discovery::stop_publishing() {
  for (auto& p : providers_) p->stop_publishing();
}

void Discovery::shutdown() {
  for (auto& p : providers_) p->shutdown();
}

void Discovery::update_metadata(const Metadata& metadata) {
  for (auto& p : providers_) p->update_metadata(metadata);
}

Result<void> Discovery::add_ticket(
    const Ticket& ticket) {  // NOLINT(readability-make-member-function-const): changes a provider
  auto* manual = dynamic_cast<ManualProvider*>(provider(kManualProvider));
  if (manual == nullptr)
    return make_error(Errc::invalid_argument, "the manual provider is not enabled");
  return manual->add(ticket);
}

}  // namespace lp2p::discovery
