#include "api/agent_core.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/connection_impl.hpp"
#include "api/peer_link.hpp"
#include "api/picker_impl.hpp"
#include "api/quic_transport_impl.hpp"
#include "api/receiver_impl.hpp"
#include "auth/agent_hostname.hpp"
#include "discovery/metadata.hpp"
#include "discovery/ticket.hpp"
#include "mdns/interfaces.hpp"

namespace lp2p::api {
namespace {

constexpr std::chrono::seconds kStopGrace{2};

osp::LocalAgent::Options local_options(const AgentOptions& o) {
  osp::LocalAgent::Options local;
  local.state_dir = o.state_dir;
  local.display_name = o.device_name;
  local.model_name = o.model_name;
  local.port = o.port;
  local.pairing.capabilities.psk_ease_of_input = o.psk_ease_of_input;
  local.pairing.capabilities.psk_min_bits_of_entropy = o.psk_min_bits;
  local.pairing.require_token = o.require_auth_token;
  return local;
}

// Every address of the interfaces discovery uses; loopback when there is none (a device
// alone, or a test): only agents on this machine can use such a ticket.
std::vector<discovery::PeerAddress> ticket_addresses(const AgentOptions& o, std::uint16_t port) {
  std::vector<discovery::PeerAddress> addresses;
  if (auto interfaces = mdns::multicast_interfaces(o.interfaces)) {
    for (const auto& itf : *interfaces) {
      for (const auto& a : itf.addresses) {
        if ((a.v6 && o.ipv6) || (!a.v6 && o.ipv4)) addresses.push_back({a, port, itf.index});
      }
    }
  }
  if (addresses.empty()) addresses.push_back({mdns::IpAddress::v4_from({127, 0, 0, 1}), port, 0});
  return addresses;
}

}  // namespace

Result<std::shared_ptr<AgentCore>> AgentCore::create(AgentOptions options,
                                                     std::shared_ptr<ConsentDelegate> consent) {
  if (options.device_name.empty()) {
    return make_error(Errc::invalid_argument, "AgentOptions::device_name is required");
  }
  if (options.state_dir.empty()) {
    return make_error(Errc::invalid_argument, "AgentOptions::state_dir is required");
  }
  if (!consent) return make_error(Errc::invalid_argument, "a ConsentDelegate is required");
  std::shared_ptr<AgentCore> core(new AgentCore(std::move(options), std::move(consent)));
  std::promise<std::thread::id> started;
  auto id = started.get_future();
  core->thread_ = std::thread([raw = core.get(), &started] {
    started.set_value(std::this_thread::get_id());
    raw->io_.run();
  });
  core->loop_id_ = id.get();
  auto ready = core->call([&core] { return core->start_on_loop(); });
  if (!ready) {
    core->stop();
    return std::move(ready).error();
  }
  return core;
}

AgentCore::AgentCore(AgentOptions options, std::shared_ptr<ConsentDelegate> consent)
    : options_(std::move(options)),
      consent_(std::move(consent)),
      work_(boost::asio::make_work_guard(io_)) {}

AgentCore::~AgentCore() {
  try {
    stop();
  } catch (const std::exception& e) {
    // Only a failing mutex or thread join gets here; a destructor cannot report it otherwise.
    spdlog::error("agent: stopping failed: {}", e.what());
  }
}

Result<void> AgentCore::start_on_loop() {
  auto local = osp::LocalAgent::create(io_, local_options(options_));
  if (!local) return std::move(local).error();
  local_ = std::move(*local);
  fingerprint_ = local_->fingerprint();
  port_ = local_->port();
  local_->on_session([this](const std::shared_ptr<osp::PeerSession>& session) { adopt(session); });
  local_->on_transport([this](const std::shared_ptr<quic::Connection>& connection) {
    on_transport_connection(connection);
  });
  auto created = discovery::Discovery::create(
      io_, {options_.providers, options_.group, options_.interfaces, options_.ipv4, options_.ipv6});
  if (!created) return std::move(created).error();
  discovery_ = std::move(*created);
  discovery_->on_events(
      [this](const std::vector<discovery::DirectoryEvent>&) { discovery_changed(); });
  discovery_->on_announced([this] {
    const std::lock_guard lock(discoverable_mutex_);
    discoverable_ = advertising_users_ > 0;
    discoverable_changed_.notify_all();
  });
  discovery::Ticket ticket{fingerprint_, ticket_addresses(options_, port_), options_.device_name,
                           local_->auth_token(), local_->certificate().serial.sn()};
  auto text = discovery::encode_ticket(ticket);
  if (!text) return std::move(text).error();
  ticket_ = std::move(*text);
  return {};
}

void AgentCore::stop() {
  {
    const std::scoped_lock lock(post_mutex_);
    if (!accepting_) {
      if (thread_.joinable() && !on_loop()) thread_.join();
      return;
    }
    // The last task: everything is closed on the loop, then the loop may end.
    boost::asio::post(io_, [this] { stop_on_loop(); });
    accepting_ = false;
    accepting_flag_ = false;
  }
  work_.reset();
  if (!thread_.joinable() || on_loop()) return;
  // Goodbyes (CONNECTION_CLOSE, mDNS) go out on the loop, which then runs out of work; a timer
  // that outlives them must not keep the thread.
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  while (!io_.stopped() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  io_.stop();
  thread_.join();
}

void AgentCore::stop_on_loop() {
  auto pickers = std::move(pickers_);
  pickers_.clear();
  for (const auto& picker : pickers) picker->agent_stopped();
  auto receivers = std::move(receivers_);
  receivers_.clear();
  for (const auto& receiver : receivers) receiver->agent_stopped();
  auto links = std::move(links_);
  links_.clear();
  for (auto& [id, link] : links) {
    link->close_now({ConnectionClosed::Why::agent_stopped, "the agent stopped"});
  }
  dialing_.clear();
  waiting_transports_.clear();
  unclaimed_transports_.clear();
  for (const auto& weak : transports_) {
    if (auto transport = weak.lock()) transport->close_now("the agent stopped");
  }
  transports_.clear();
  for (auto& timer : transport_timers_) timer.cancel();
  if (discovery_) discovery_->shutdown();
  if (local_) local_->stop();
  // retire() posts each dialer's stop, but posts made while stopping (closing the links above
  // retires their dialers) are dropped.
  for (const auto& dialer : retired_dialers_) {
    dialer->stop(static_cast<std::uint64_t>(osp::CloseCode::normal), "agent stopping");
  }
}

Result<void> AgentCore::acquire_browsing() {
  if (browsing_users_ == 0) LP2P_TRY(discovery_->start_browsing());
  ++browsing_users_;
  return {};
}

void AgentCore::release_browsing() {
  if (browsing_users_ > 0 && --browsing_users_ == 0) discovery_->stop_browsing();
}

Result<void> AgentCore::acquire_advertising() {
  if (advertising_users_ == 0) {
    discovery::OspMetadata osp{fingerprint_, 0, local_->auth_token(),
                               local_->certificate().serial.sn()};
    LP2P_TRY(discovery_->start_publishing(
        {options_.device_name, port_, discovery::make_metadata(osp), fingerprint_}));
    local_->set_accept_pairing(true);
  }
  ++advertising_users_;
  return {};
}

bool AgentCore::wait_discoverable(std::chrono::milliseconds timeout) {
  std::unique_lock lock(discoverable_mutex_);
  return discoverable_changed_.wait_for(lock, timeout, [this] { return discoverable_; });
}

void AgentCore::release_advertising() {
  if (advertising_users_ > 0 && --advertising_users_ == 0) {
    {
      const std::lock_guard lock(discoverable_mutex_);
      discoverable_ = false;
    }
    discovery_->stop_publishing();
    local_->set_accept_pairing(false);
  }
}

void AgentCore::add_receiver(const std::shared_ptr<ReceiverImpl>& receiver) {
  receivers_.push_back(receiver);
  for (const auto& [id, link] : links_) {
    if (link->ready() && link->incoming()) receiver->offer(link);
  }
}

void AgentCore::remove_receiver(const ReceiverImpl* receiver) {
  std::erase_if(receivers_, [&](const auto& r) { return r.get() == receiver; });
}

void AgentCore::add_picker(const std::shared_ptr<PickerImpl>& picker) {
  pickers_.push_back(picker);
  picker->update(candidates());
}

void AgentCore::remove_picker(const PickerImpl* picker) {
  std::erase_if(pickers_, [&](const auto& p) { return p.get() == picker; });
}

void AgentCore::adopt(const std::shared_ptr<osp::PeerSession>& session) {
  const std::string& id = session->connection().peer_fingerprint();
  if (auto it = links_.find(id);
      it != links_.end() && it->second->open() && it->second->is_session(*session)) {
    return;
  }
  links_[id] = PeerLink::create(*this, session);
}

std::shared_ptr<PeerLink> AgentCore::find_link(const std::string& peer_id) const {
  auto it = links_.find(peer_id);
  return it != links_.end() && it->second->open() ? it->second : nullptr;
}

void AgentCore::link_to(const std::string& peer_id, LinkHandler handler) {
  if (auto link = find_link(peer_id)) return handler(link);
  auto& waiting = dialing_[peer_id];
  waiting.push_back(std::move(handler));
  if (waiting.size() == 1) dial(peer_id, 0);
}

// Tries the peer's addresses in turn; every caller waiting in dialing_ hears the outcome.
void AgentCore::dial(const std::string& peer_id, std::size_t address_index) {
  const auto finish = [this, peer_id](const Result<std::shared_ptr<PeerLink>>& outcome) {
    auto handlers = std::move(dialing_[peer_id]);
    dialing_.erase(peer_id);
    for (auto& h : handlers) h(outcome);
  };
  const auto peer = discovery_->directory().find(peer_id);
  if (!peer) return finish(make_error(Errc::not_found, "the device is not in reach any more"));
  std::vector<discovery::PeerAddress> addresses;
  for (const auto& a : peer->addresses) {
    if ((a.ip.v6 && options_.ipv6) || (!a.ip.v6 && options_.ipv4)) addresses.push_back(a);
  }
  if (address_index >= addresses.size()) {
    return finish(make_error(Errc::not_found, "no address of the device answered"));
  }
  std::optional<std::string> token;
  std::string sn;
  if (auto osp = discovery::osp_metadata(peer->metadata)) {
    if (!osp->auth_token.empty()) token = osp->auth_token;
    sn = osp->serial;
  }
  const auto& a = addresses[address_index];
  const std::string sni =
      peer->name.empty() && sn.empty() ? std::string() : auth::peer_hostname(sn, peer->name);
  local_->connect(
      quic::SocketAddress::from_endpoint(a.ip, a.port, a.interface_index), peer_id, sni,
      [this, peer_id, address_index, finish,
       more = address_index + 1 < addresses.size()](auto session) {
        if (!session) {
          spdlog::info("agent: dialing {} failed: {}", peer_id, session.error().describe());
          if (more && !stopped()) return dial(peer_id, address_index + 1);
          return finish(std::move(session).error());
        }
        adopt(*session);
        auto link = find_link(peer_id);
        if (!link) return finish(make_error(Errc::closed, "the connection closed at once"));
        finish(link);
      },
      token);
}

void AgentCore::on_link_ready(const std::shared_ptr<PeerLink>& link) {
  if (link->incoming()) offer_to_receivers(link);
}

void AgentCore::offer_to_receivers(const std::shared_ptr<PeerLink>& link) {
  auto receivers = receivers_;  // an answer may add or remove receivers
  for (const auto& receiver : receivers) receiver->offer(link);
}

bool AgentCore::has_receivers() const {
  return !receivers_.empty();
}

void AgentCore::on_link_closed(const PeerLink* link) {
  auto it = links_.find(link->peer_id());
  if (it != links_.end() && it->second.get() == link) links_.erase(it);
}

Result<std::shared_ptr<QuicTransportImpl>> AgentCore::open_transport(ConnectionImpl& connection) {
  auto link = connection.link();
  if (!connection.is_open() || !link || !link->open()) {
    return make_error(Errc::closed, "the connection is closed");
  }
  auto& unclaimed = unclaimed_transports_[link->peer_id()];
  if (!link->dialed() && !unclaimed.empty()) {
    // The peer's transport came first and waited, with what it sent so far held.
    auto transport = std::move(unclaimed.front());
    unclaimed.erase(unclaimed.begin());
    connection.adopt_transport(transport);
    return transport;
  }
  auto transport = std::make_shared<QuicTransportImpl>(shared_from_this(), link->peer_id());
  remember(transport);
  connection.adopt_transport(transport);
  if (link->dialed()) {
    transport->dial(link->remote());
  } else {
    waiting_transports_[link->peer_id()].push_back(transport);
  }
  return transport;
}

void AgentCore::retire(std::shared_ptr<quic::Endpoint> dialer) {
  std::erase_if(retired_dialers_, [](const auto& d) { return d->connection_count() == 0; });
  // Stopped later on the loop: this may run inside one of its connection's handlers.
  post([weak = std::weak_ptr(dialer)] {
    if (auto d = weak.lock())
      d->stop(static_cast<std::uint64_t>(osp::CloseCode::normal), "transport closed");
  });
  retired_dialers_.push_back(std::move(dialer));
}

void AgentCore::remember(const std::shared_ptr<QuicTransportImpl>& transport) {
  std::erase_if(transports_, [](const auto& weak) { return weak.expired(); });
  transports_.push_back(transport);
}

void AgentCore::on_transport_connection(const std::shared_ptr<quic::Connection>& connection) {
  const std::string peer = connection->peer_fingerprint();
  auto link = find_link(peer);
  if (!link || !link->ready()) {
    spdlog::info("agent: refusing a QUIC transport from {}: not an authenticated peer", peer);
    return connection->close(static_cast<std::uint64_t>(osp::CloseCode::not_authenticated),
                             "authenticate (pair) on the OSP connection first");
  }
  auto& waiting = waiting_transports_[peer];
  while (!waiting.empty()) {
    auto transport = waiting.front().lock();
    waiting.erase(waiting.begin());
    if (transport) return transport->attach(connection);
  }
  // No origin here opened one yet (its person may still be deciding): take the connection at
  // once, so that its streams are held (unread: QUIC's flow control bounds them), for a while.
  auto transport = std::make_shared<QuicTransportImpl>(shared_from_this(), peer);
  remember(transport);
  transport->attach(connection);
  unclaimed_transports_[peer].push_back(transport);
  std::erase_if(transport_timers_,
                [](const auto& t) { return t.expiry() < std::chrono::steady_clock::now(); });
  auto& timer = transport_timers_.emplace_back(io_, kUnclaimedTransportWait);
  timer.async_wait([this, weak = std::weak_ptr(transport),
                    peer](const boost::system::error_code& ec) {
    auto held = weak.lock();
    if (ec || !held) return;
    auto& unclaimed = unclaimed_transports_[peer];
    const auto it = std::find(unclaimed.begin(), unclaimed.end(), held);
    if (it == unclaimed.end()) return;
    unclaimed.erase(it);
    spdlog::info("agent: closing a QUIC transport from {}: no application here opened it", peer);
    held->close_now("no application here opened it");
  });
}

void AgentCore::discovery_changed() {
  if (pickers_.empty()) return;
  const auto list = candidates();
  auto pickers = pickers_;
  for (const auto& picker : pickers) picker->update(list);
}

std::vector<PeerCandidate> AgentCore::candidates() const {
  std::vector<PeerCandidate> list;
  for (const auto& peer : discovery_->directory().peers()) {
    if (peer.fingerprint == fingerprint_) continue;
    list.push_back(candidate_of(peer.fingerprint));
  }
  return list;
}

PeerCandidate AgentCore::candidate_of(const std::string& peer_id) const {
  PeerCandidate c;
  c.id = peer_id;
  if (auto peer = discovery_->directory().find(peer_id)) c.name = peer->name;
  if (auto known = local_->store().peer(peer_id); known && *known) {
    c.paired = (*known)->authenticated_at.has_value();
    if (c.name.empty()) c.name = (*known)->display_name;
  }
  c.connected = find_link(peer_id) != nullptr;
  return c;
}

GrantScope AgentCore::grant_of(const std::string& origin, const std::string& peer_id) {
  if (session_grants_.contains({origin, peer_id})) return GrantScope::session;
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  auto stored = local_->store().grant(peer_id, origin, now);
  if (!stored) {
    spdlog::warn("agent: store: {}", stored.error().describe());
    return GrantScope::deny;
  }
  return *stored ? GrantScope::always : GrantScope::deny;
}

void AgentCore::set_grant(const std::string& origin, const std::string& peer_id, GrantScope scope) {
  if (scope == GrantScope::deny) return;
  if (scope == GrantScope::always) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    store::Grant grant{peer_id, origin, std::nullopt, now};
    auto put = local_->store().put_grant(grant);
    if (put) return;
    spdlog::warn("agent: cannot remember the grant of {} to {}: {} (kept for this session)",
                 peer_id, origin, put.error().describe());
  }
  session_grants_.insert({origin, peer_id});
}

Result<bool> AgentCore::revoke(const std::string& origin, const std::string& peer_id) {
  bool revoked = session_grants_.erase({origin, peer_id}) > 0;
  auto stored = local_->store().revoke_grant(peer_id, origin);
  if (!stored) return std::move(stored).error();
  revoked = revoked || *stored;
  if (auto link = find_link(peer_id)) {
    if (auto connection = link->connection_of(origin)) {
      link->detach(*connection, {ConnectionClosed::Why::revoked,
                                 "the grant of this device to " + origin + " was revoked"});
      revoked = true;
    }
  }
  return revoked;
}

std::vector<GrantInfo> AgentCore::grants(const std::string& origin) {
  std::vector<GrantInfo> list;
  for (const auto& [o, peer] : session_grants_) {
    if (origin.empty() || o == origin) list.push_back({o, peer, false});
  }
  auto peers = local_->store().peers();
  if (!peers) return list;
  const auto now = std::chrono::system_clock::now();
  for (const auto& peer : *peers) {
    auto stored = local_->store().grants_of(peer.fingerprint);
    if (!stored) continue;
    for (const auto& g : *stored) {
      if (g.until && *g.until <= now) continue;
      if (origin.empty() || g.origin == origin)
        list.push_back({g.origin, g.peer_fingerprint, true});
    }
  }
  return list;
}

}  // namespace lp2p::api
