#include "api/picker_impl.hpp"

#include <spdlog/spdlog.h>

#include "api/agent_core.hpp"
#include "api/connection_impl.hpp"
#include "api/peer_link.hpp"

namespace lp2p::api {

PickerImpl::PickerImpl(CoreRef core, RequestOptions options, Done done)
    : core_(std::move(core)), options_(std::move(options)), done_handler_(std::move(done)) {}

std::vector<PeerCandidate> PickerImpl::candidates() const {
  const std::scoped_lock lock(mutex_);
  return candidates_;
}

void PickerImpl::on_candidates(std::function<void(const std::vector<PeerCandidate>&)> handler) {
  on_candidates_.set(std::move(handler));
  core_.post([weak = weak_from_this()] {
    if (auto self = weak.lock(); self && !self->done()) self->on_candidates_(self->candidates());
  });
}

void PickerImpl::choose(const std::string& peer_id, GrantScope scope) {
  core_.post([weak = weak_from_this(), peer_id, scope] {
    if (auto self = weak.lock()) self->choose_on_loop(peer_id, scope);
  });
}

void PickerImpl::dismiss() {
  core_.post([weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || self->done()) return;
    spdlog::info("request {}: the picker was dismissed", self->options_.origin);
    self->done_handler_ = nullptr;  // never called: a dismissal is not detectable
    self->finish();
  });
}

bool PickerImpl::done() const {
  const std::scoped_lock lock(mutex_);
  return done_;
}

void PickerImpl::open() {
  auto browsing = core_->acquire_browsing();
  if (!browsing) {
    spdlog::warn("request {}: discovery could not start: {}", options_.origin,
                 browsing.error().describe());
  } else {
    browsing_ = true;
  }
  core_->add_picker(shared_from_this());
  core_->consent().pick_peer(shared_from_this());
}

void PickerImpl::update(std::vector<PeerCandidate> list) {
  {
    const std::scoped_lock lock(mutex_);
    if (done_ || list == candidates_) return;
    candidates_ = std::move(list);
  }
  on_candidates_(candidates());
}

void PickerImpl::choose_on_loop(const std::string& peer_id, GrantScope scope) {
  if (done() || choosing_) return;
  if (scope == GrantScope::deny) {
    done_handler_ = nullptr;
    return finish();
  }
  choosing_ = true;
  core_->link_to(peer_id, [weak = weak_from_this(), peer_id, scope](auto link) {
    auto self = weak.lock();
    if (!self || self->done()) return;
    if (!link) return self->failed(peer_id, link.error());
    self->linked(*link, scope);
  });
}

void PickerImpl::linked(const std::shared_ptr<PeerLink>& link, GrantScope scope) {
  link->when_ready(
      [weak = weak_from_this(), weak_link = std::weak_ptr(link), scope](const Result<void>& ready) {
        auto self = weak.lock();
        auto peer = weak_link.lock();
        if (!self || self->done()) return;
        if (!peer) return self->failed("", make_error(Errc::closed, "the connection closed"));
        if (!ready) return self->failed(peer->peer_id(), ready.error());
        self->core_->set_grant(self->options_.origin, peer->peer_id(), scope);
        auto connection = peer->connection_of(self->options_.origin);
        if (!connection) connection = peer->attach(self->options_.origin);
        auto handler = std::move(self->done_handler_);
        self->finish();
        if (handler) handler(Connection(connection));
      });
}

void PickerImpl::failed(const std::string& peer_id, const Error& error) {
  choosing_ = false;
  spdlog::info("request {}: {} could not be connected: {}", options_.origin, peer_id,
               error.describe());
  core_->consent().choice_failed(core_->candidate_of(peer_id), error);
}

void PickerImpl::finish() {
  {
    const std::scoped_lock lock(mutex_);
    if (done_) return;
    done_ = true;
  }
  on_candidates_.clear();
  if (browsing_) core_->release_browsing();
  browsing_ = false;
  core_->remove_picker(this);
}

void PickerImpl::agent_stopped() {
  {
    const std::scoped_lock lock(mutex_);
    if (done_) return;
    done_ = true;
  }
  on_candidates_.clear();
  browsing_ = false;
  if (auto handler = std::move(done_handler_)) {
    handler(make_error(Errc::closed, "the agent stopped"));
  }
}

}  // namespace lp2p::api
