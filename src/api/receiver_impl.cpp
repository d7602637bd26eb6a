#include "api/receiver_impl.hpp"

#include <spdlog/spdlog.h>

#include "api/agent_core.hpp"
#include "api/connection_impl.hpp"
#include "api/peer_link.hpp"
#include "api/reply.hpp"

namespace lp2p::api {

ReceiverImpl::ReceiverImpl(CoreRef core, ReceiverOptions options)
    : core_(std::move(core)), options_(std::move(options)) {}

void ReceiverImpl::start(std::function<void(Result<void>)> handler) {
  const bool posted =
      core_.post([self = shared_from_this(), handler] { self->start_on_loop(handler); });
  if (!posted) handler(make_error(Errc::closed, "the agent stopped"));
}

void ReceiverImpl::start_on_loop(const std::function<void(Result<void>)>& handler) {
  if (started_ || stopped_) {
    return handler(make_error(Errc::invalid_argument, stopped_ ? "the receiver was stopped"
                                                               : "the receiver already started"));
  }
  started_ = true;
  core_->consent().allow_advertising(
      {options_.origin, options_.nickname},
      make_reply<bool>(core_, [weak = weak_from_this(), handler](bool allow) {
        if (auto self = weak.lock()) self->allowed(allow, handler);
      }));
}

void ReceiverImpl::allowed(bool allow, const std::function<void(Result<void>)>& handler) {
  if (stopped_) return;
  if (!allow) {
    spdlog::info("receiver {}: the person did not allow advertising", options_.origin);
    return handler(make_error(Errc::refused, "the person did not allow " + options_.origin +
                                                 " to make this device discoverable"));
  }
  if (auto advertising = core_->acquire_advertising(); !advertising) {
    return handler(std::move(advertising).error());
  }
  advertising_ = true;
  handler({});
  core_->add_receiver(shared_from_this());
}

void ReceiverImpl::offer(const std::shared_ptr<PeerLink>& link) {
  if (stopped_ || !advertising_ || !link->ready() || link->connection_of(options_.origin)) return;
  if (core_->grant_of(options_.origin, link->peer_id()) != GrantScope::deny) return grant(link);
  link->expect_grant();
  core_->consent().grant_peer(
      {options_.origin, link->info()},
      make_reply<GrantScope>(
          core_, [weak = weak_from_this(), weak_link = std::weak_ptr(link)](GrantScope scope) {
            auto peer = weak_link.lock();
            if (!peer) return;
            auto self = weak.lock();
            if (self && !self->stopped_ && scope != GrantScope::deny) {
              self->core_->set_grant(self->options_.origin, peer->peer_id(), scope);
              self->grant(peer);
            }
            peer->grant_answered();
          }));
}

void ReceiverImpl::grant(const std::shared_ptr<PeerLink>& link) {
  if (!link->open() || link->connection_of(options_.origin)) return;
  auto connection = link->attach(options_.origin);
  if (!on_connection(Connection(connection))) {
    spdlog::warn("receiver {}: no on_connection handler: closing the connection from {}",
                 options_.origin, link->peer_id());
    link->detach(*connection, {ConnectionClosed::Why::closed_here, "no application handler"});
  }
}

void ReceiverImpl::stop() {
  core_.post([self = shared_from_this()] { self->stop_on_loop(); });
}

void ReceiverImpl::stop_on_loop() {
  if (stopped_) return;
  stopped_ = true;
  if (advertising_) core_->release_advertising();
  advertising_ = false;
  core_->remove_receiver(this);
  on_connection.clear();
}

void ReceiverImpl::agent_stopped() {
  stopped_ = true;
  advertising_ = false;
  on_connection.clear();
}

}  // namespace lp2p::api
