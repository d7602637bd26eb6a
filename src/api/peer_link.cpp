#include "api/peer_link.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/agent_core.hpp"
#include "api/connection_impl.hpp"
#include "api/data_channel_impl.hpp"
#include "api/reply.hpp"
#include "auth/psk_code.hpp"

namespace lp2p::api {
namespace {

using SteadyClock = std::chrono::steady_clock;

wire::EncodingId encoding_of(MessageKind kind) {
  return static_cast<wire::EncodingId>(static_cast<std::uint8_t>(kind));
}

MessageKind kind_of(wire::EncodingId encoding) {
  switch (encoding) {
    case wire::EncodingId::blob:
      return MessageKind::blob;
    case wire::EncodingId::string:
      return MessageKind::text;
    case wire::EncodingId::array_buffer:
      return MessageKind::array_buffer;
  }
  return MessageKind::blob;  // an unknown encoding: bytes all the same
}

std::string seconds_text(std::chrono::milliseconds ms) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(ms).count()) + " s";
}

}  // namespace

std::shared_ptr<PeerLink> PeerLink::create(AgentCore& core,
                                           std::shared_ptr<osp::PeerSession> session) {
  std::shared_ptr<PeerLink> link(new PeerLink(core, std::move(session)));
  link->start();
  return link;
}

PeerLink::PeerLink(AgentCore& core, std::shared_ptr<osp::PeerSession> session)
    : core_(core),
      session_(std::move(session)),
      peer_id_(session_->connection().peer_fingerprint()),
      channels_({.we_are_client = session_->connection().is_client(),
                 .open_without_response = false,
                 .max_message_size = DataChannel::kMaxMessageSize,
                 .next_request_id = [&core] { return core.local().next_request_id(); }},
                *this, channel_observer()),
      incoming_(!session_->connection().is_client()),
      inactivity_(core.io()),
      code_timer_(core.io()),
      last_activity_(SteadyClock::now()),
      inactivity_timeout_(core.options().inactivity_timeout) {}

PeerLink::~PeerLink() = default;

void PeerLink::start() {
  std::weak_ptr<PeerLink> weak = shared_from_this();
  osp::PeerSession::Events e;
  e.on_peer_info = [weak](const wire::AgentInfo& /*info*/, bool /*verified*/) {
    auto l = weak.lock();
    if (!l) return;
    if (l->pending_code_) l->show_code();
    l->check_ready();
  };
  e.on_authenticated = [weak] {
    auto l = weak.lock();
    if (!l) return;
    if (l->showing_code_) {
      l->showing_code_ = false;
      l->core_.consent().pairing_finished(l->candidate(), {});
    }
    l->check_ready();
  };
  e.on_show_code = [weak](std::uint64_t code, unsigned bits) {
    auto l = weak.lock();
    if (!l) return;
    l->pending_code_ = {code, bits};
    // The person deciding whether to give the code wants to see who asks: the peer's
    // (unverified) name comes with its agent-info, usually a moment later.
    if (l->session_->session().peer_info()) return l->show_code();
    l->code_timer_.expires_after(kNameWait);
    l->code_timer_.async_wait([weak](const boost::system::error_code& ec) {
      auto link = weak.lock();
      if (!ec && link && link->pending_code_) link->show_code();
    });
  };
  e.on_code_needed = [weak] {
    if (auto l = weak.lock()) l->ask_code("");
  };
  e.on_auth_failed = [weak](const osp::Authenticator::Failure& failure) {
    auto l = weak.lock();
    if (!l) return;
    l->pairing_ = false;
    const Error error = make_error(Errc::refused, "pairing failed: " + failure.reason);
    if (l->showing_code_) {
      l->showing_code_ = false;
      l->core_.consent().pairing_finished(l->candidate(), error);
    }
    l->finish_ready(error);
  };
  e.on_closed = [weak](const quic::CloseInfo& info) {
    if (auto l = weak.lock()) l->on_closed(info);
  };
  e.on_bidi_stream_data = [weak](std::int64_t id, std::span<const std::uint8_t> bytes, bool fin) {
    if (auto l = weak.lock()) l->channels_.on_stream_data(id, bytes, fin);
  };
  e.on_bidi_stream_reset = [weak](std::int64_t id, std::uint64_t code) {
    if (auto l = weak.lock()) l->channels_.on_stream_reset(id, code);
  };
  e.on_stream_writable = [weak](std::int64_t id) {
    if (auto l = weak.lock()) l->flush(id);
  };
  session_->set_events(std::move(e));
  open_ = session_->open();
  arm_inactivity();
  check_ready();
}

bool PeerLink::authenticated() const {
  return session_->session().authenticated();
}

PeerInfo PeerLink::info() const {
  PeerInfo info{peer_id_, {}, {}};
  if (const auto& peer = session_->session().peer_info()) {
    info.name = peer->display_name;
    info.model_name = peer->model_name;
  }
  return info;
}

PeerCandidate PeerLink::candidate() const {
  PeerCandidate c = core_.candidate_of(peer_id_);
  if (const auto& peer = session_->session().peer_info(); peer && c.name.empty()) {
    c.name = peer->display_name;
  }
  c.connected = open_;
  return c;
}

bool PeerLink::peer_has_data_channels() const {
  const auto& peer = session_->session().peer_info();
  return peer && std::find(peer->capabilities.begin(), peer->capabilities.end(),
                           wire::AgentCapability::data_channels) != peer->capabilities.end();
}

// ---- Readiness and pairing ----

void PeerLink::when_ready(ReadyHandler handler) {
  if (ready_) return handler({});
  if (!open_) return handler(make_error(Errc::closed, "the connection closed"));
  ready_handlers_.push_back(std::move(handler));
  if (!authenticated() && !pairing_) {
    pairing_ = true;
    session_->pair();
  }
}

void PeerLink::check_ready() {
  if (ready_ || !open_ || !authenticated() || !session_->session().peer_info()) return;
  ready_ = true;
  pairing_ = false;
  finish_ready({});
  core_.on_link_ready(shared_from_this());
}

void PeerLink::finish_ready(const Result<void>& outcome) {
  auto handlers = std::move(ready_handlers_);
  ready_handlers_.clear();
  for (auto& h : handlers) h(outcome);
}

void PeerLink::show_code() {
  code_timer_.cancel();
  const auto [code, bits] = *pending_code_;
  pending_code_.reset();
  if (!open_ || authenticated()) return;
  showing_code_ = true;
  core_.consent().show_pairing_code(
      {candidate(), auth::format_psk(code, bits), auth::psk_qr_text(code)});
}

void PeerLink::ask_code(std::string retry_reason) {
  showing_code_ = true;
  core_.consent().ask_pairing_code(
      {candidate(), std::move(retry_reason)},
      make_reply<std::optional<std::string>>(
          core_.shared_from_this(), [weak = weak_from_this()](std::optional<std::string> typed) {
            auto l = weak.lock();
            if (!l || !l->open_ || l->authenticated()) return;
            if (!typed) return l->session_->cancel_pairing();
            auto code = auth::parse_psk(*typed);
            if (!code) return l->ask_code(code.error().message);
            l->session_->enter_code(*code);
          }));
}

// ---- Connections of origins ----

std::shared_ptr<ConnectionImpl> PeerLink::attach(const std::string& origin) {
  auto connection =
      std::make_shared<ConnectionImpl>(core_.shared_from_this(), weak_from_this(), origin, info());
  connections_.push_back(connection);
  note_activity();
  hand_out_waiting();
  return connection;
}

std::shared_ptr<ConnectionImpl> PeerLink::connection_of(const std::string& origin) const {
  for (const auto& c : connections_) {
    if (c->origin() == origin && c->is_open()) return c;
  }
  return nullptr;
}

std::shared_ptr<ConnectionImpl> PeerLink::primary_connection() const {
  for (const auto& c : connections_) {
    if (c->is_open()) return c;
  }
  return nullptr;
}

void PeerLink::detach(ConnectionImpl& connection, ConnectionClosed why) {
  const auto it = std::find_if(connections_.begin(), connections_.end(),
                               [&](const auto& c) { return c.get() == &connection; });
  if (it == connections_.end()) return connection.ended(why);
  const auto keep = *it;
  connections_.erase(it);
  const auto channels = connection.channels();
  for (const auto& channel : channels) {
    // The application is done with it: it ends here at once; the peer sees our FIN.
    channel->closing();
    channel->closed();
    channels_.close(channel->id());
    if (auto found = by_id_.find(channel->id()); found != by_id_.end()) found->second.owner = {};
  }
  connection.ended(why);
  const bool last = connections_.empty() && pending_grants_ == 0;
  if (last && open_ && why.why != ConnectionClosed::Why::agent_stopped) {
    close({why.why, why.reason});
  }
}

void PeerLink::grant_answered() {
  if (pending_grants_ > 0) --pending_grants_;
  if (pending_grants_ == 0 && !primary_connection()) {
    refuse_waiting("no application on this device was given the peer");
  }
}

// ---- Channels ----

Result<std::shared_ptr<DataChannelImpl>> PeerLink::open_channel(ConnectionImpl& owner,
                                                                const std::string& label,
                                                                const DataChannelInit& init) {
  if (!authenticated()) return make_error(Errc::refused, "the peer is not authenticated");
  if (!peer_has_data_channels()) {
    return make_error(Errc::refused,
                      "the peer does not offer data channels (agent capability 1100)");
  }
  if (init.id && (*init.id > osp::DataChannels::kMaxChannelId || by_id_.contains(*init.id))) {
    return make_error(
        Errc::invalid_argument,
        "channel id " + std::to_string(*init.id) +
            (*init.id > osp::DataChannels::kMaxChannelId ? " is over 65534" : " is in use"));
  }
  auto id = channels_.open(label, init.protocol, init.id);
  if (!id) return std::move(id).error();
  auto impl = std::make_shared<DataChannelImpl>(core_.shared_from_this(), weak_from_this(), label,
                                                init.protocol, *id, DataChannelState::connecting);
  const auto owner_ptr = owner.shared_from_this();
  register_channel(*id, impl, owner_ptr);
  owner_ptr->adopt(impl);
  note_activity();
  return impl;
}

void PeerLink::register_channel(std::uint16_t id, const std::shared_ptr<DataChannelImpl>& impl,
                                const std::shared_ptr<ConnectionImpl>& owner) {
  const std::int64_t stream = channels_.stream_of(id).value_or(-1);
  by_id_[id] = Channel{impl, owner, stream};
  if (stream >= 0) stream_channels_[stream] = id;
}

void PeerLink::send(std::uint16_t channel, MessageKind kind,
                    std::span<const std::uint8_t> payload) {
  const auto it = by_id_.find(channel);
  if (it == by_id_.end()) return;  // closed meanwhile: the close event tells
  const auto impl = it->second.impl;
  note_activity();
  if (auto sent = channels_.send(channel, encoding_of(kind), payload); !sent) {
    spdlog::debug("agent: channel {} to {}: a message was dropped: {}", channel, peer_id_,
                  sent.error().describe());
  }
  impl->taken(payload.size());
  if (auto found = by_id_.find(channel); found != by_id_.end())
    update_buffered(found->second.stream_id);
}

void PeerLink::close_channel(std::uint16_t channel) {
  channels_.close(channel);
}

void PeerLink::fail_channel(std::uint16_t id, const std::string& reason) {
  channels_.abort(id, reason);
}

void PeerLink::note_activity() {
  last_activity_ = SteadyClock::now();
}

osp::DataChannels::Observer PeerLink::channel_observer() {
  osp::DataChannels::Observer o;
  o.on_incoming = [this](const osp::DataChannels::ChannelInfo& info) {
    note_activity();
    auto impl =
        std::make_shared<DataChannelImpl>(core_.shared_from_this(), weak_from_this(), info.label,
                                          info.protocol, info.id, DataChannelState::open);
    impl->hold(true);
    auto owner = primary_connection();
    register_channel(info.id, impl, owner);
    if (owner) return owner->incoming(impl);
    if (pending_grants_ == 0 && core_.has_receivers()) {
      // A peer that connected before any origin had it (a trusted one, or a connection made
      // the other way): its first channel asks the receivers.
      core_.offer_to_receivers(shared_from_this());
    }
    if (pending_grants_ == 0 && !primary_connection()) {
      return fail_channel(info.id, "no application on this device takes channels from the peer");
    }
    if (auto now_owner = primary_connection()) {
      by_id_[info.id].owner = now_owner;
      return now_owner->incoming(impl);
    }
    if (waiting_.size() >= kMaxWaitingChannels) {
      return fail_channel(info.id, "too many channels wait for the person's answer");
    }
    waiting_.push_back(info.id);
  };
  o.on_open = [this](osp::DataChannels::ChannelId id) {
    note_activity();
    if (auto it = by_id_.find(id); it != by_id_.end()) it->second.impl->opened();
  };
  o.on_message = [this](osp::DataChannels::ChannelId id, wire::EncodingId encoding,
                        std::span<const std::uint8_t> payload) {
    note_activity();
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    const auto impl = it->second.impl;
    impl->received(Message(kind_of(encoding), {payload.begin(), payload.end()}));
    if (impl->held_bytes() > kMaxWaitingBytes) {
      fail_channel(id, "the application does not read the channel (over " +
                           std::to_string(kMaxWaitingBytes) + " bytes waiting)");
    }
  };
  o.on_closing = [this](osp::DataChannels::ChannelId id) {
    if (auto it = by_id_.find(id); it != by_id_.end()) it->second.impl->closing();
  };
  o.on_error = [this](osp::DataChannels::ChannelId id, const std::string& reason) {
    if (auto it = by_id_.find(id); it != by_id_.end()) {
      it->second.impl->failed(make_error(Errc::closed, reason));
    }
  };
  o.on_close = [this](osp::DataChannels::ChannelId id) {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    const Channel channel = it->second;
    by_id_.erase(it);
    stream_channels_.erase(channel.stream_id);
    std::erase(waiting_, id);
    channel.impl->closed();
    if (auto owner = channel.owner.lock()) owner->forget(channel.impl);
  };
  return o;
}

void PeerLink::hand_out_waiting() {
  auto owner = primary_connection();
  if (!owner) return;
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (const auto id : waiting) {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    it->second.owner = owner;
    owner->incoming(it->second.impl);
  }
}

void PeerLink::refuse_waiting(const std::string& reason) {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (const auto id : waiting) fail_channel(id, reason);
}

// ---- DataChannelIo: streams with a send queue each ----

Result<std::int64_t> PeerLink::open_stream() {
  return session_->connection().open_stream(true);
}

void PeerLink::write(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin) {
  auto it = outgoing_.find(stream_id);
  if (it == outgoing_.end()) {
    auto taken = session_->connection().write(stream_id, bytes, fin);
    if (!taken) {
      spdlog::debug("agent: stream {} to {}: {}", stream_id, peer_id_, taken.error().describe());
      return;
    }
    if (*taken == bytes.size()) return;
    bytes = bytes.subspan(*taken);
    it = outgoing_.emplace(stream_id, Outgoing{}).first;
  }
  Outgoing& out = it->second;
  out.bytes.insert(out.bytes.end(), bytes.begin(), bytes.end());
  out.fin = out.fin || fin;
}

void PeerLink::reset(std::int64_t stream_id, std::uint64_t code) {
  outgoing_.erase(stream_id);
  session_->connection().reset_stream(stream_id, code);
  update_buffered(stream_id);
}

void PeerLink::flush(std::int64_t stream_id) {
  const auto it = outgoing_.find(stream_id);
  if (it == outgoing_.end()) return;
  Outgoing& out = it->second;
  const std::span<const std::uint8_t> rest(out.bytes.data() + out.offset, out.size());
  auto taken = session_->connection().write(stream_id, rest, out.fin);
  if (!taken) {
    outgoing_.erase(it);
  } else if (*taken == rest.size()) {
    outgoing_.erase(it);
  } else {
    out.offset += *taken;
    if (out.offset > out.bytes.size() / 2) {
      out.bytes.erase(out.bytes.begin(),
                      out.bytes.begin() + static_cast<std::ptrdiff_t>(out.offset));
      out.offset = 0;
    }
  }
  update_buffered(stream_id);
}

void PeerLink::update_buffered(std::int64_t stream_id) {
  const auto channel = stream_channels_.find(stream_id);
  if (channel == stream_channels_.end()) return;
  const auto it = by_id_.find(channel->second);
  if (it == by_id_.end()) return;
  const auto out = outgoing_.find(stream_id);
  it->second.impl->set_unsent(out == outgoing_.end() ? 0 : out->second.size());
}

// ---- Ending ----

void PeerLink::close(ConnectionClosed why) {
  if (!open_) return;
  if (!closing_why_) closing_why_ = why;
  session_->close(osp::CloseCode::normal, why.reason);
}

void PeerLink::close_now(ConnectionClosed why) {
  close(why);
  // The connection's own report may never run (the loop is ending): end everything here now,
  // which also breaks the reference cycles that handlers holding their channels make.
  quic::CloseInfo info;
  info.kind = quic::CloseInfo::Kind::local;
  info.reason = why.reason;
  on_closed(info);
}

void PeerLink::on_closed(const quic::CloseInfo& info) {
  if (!open_) return;
  open_ = false;
  inactivity_.cancel();
  code_timer_.cancel();
  pending_code_.reset();
  auto self = shared_from_this();
  channels_.on_connection_closed(info.describe());
  ConnectionClosed why;
  if (closing_why_) {
    why = *closing_why_;
  } else if (info.kind == quic::CloseInfo::Kind::remote) {
    why = {ConnectionClosed::Why::closed_by_peer,
           "the peer closed the connection" + (info.reason.empty() ? "" : ": " + info.reason)};
  } else {
    why = {ConnectionClosed::Why::lost, info.describe()};
  }
  auto connections = std::move(connections_);
  connections_.clear();
  for (const auto& c : connections) c->ended(why);
  if (showing_code_) {
    showing_code_ = false;
    core_.consent().pairing_finished(candidate(), make_error(Errc::closed, why.reason));
  }
  finish_ready(make_error(Errc::closed, "the connection closed: " + why.reason));
  waiting_.clear();
  outgoing_.clear();
  core_.on_link_closed(this);
}

void PeerLink::arm_inactivity() {
  if (!open_ || inactivity_timeout_.count() <= 0) return;
  inactivity_.expires_at(std::max(last_activity_ + inactivity_timeout_, extended_until_));
  inactivity_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto l = weak.lock()) l->on_inactivity();
  });
}

void PeerLink::on_inactivity() {
  if (!open_) return;
  const auto now = SteadyClock::now();
  if (now < last_activity_ + inactivity_timeout_ || now < extended_until_) return arm_inactivity();
  if (auto more = core_.consent().extend_inactive_connection(info())) {
    extended_until_ = now + *more;
    spdlog::info("agent: {} idle; the delegate keeps it {} more", peer_id_, seconds_text(*more));
    return arm_inactivity();
  }
  spdlog::info("agent: closing the connection to {}: no application traffic for {}", peer_id_,
               seconds_text(inactivity_timeout_));
  close({ConnectionClosed::Why::inactive,
         "no application traffic for " + seconds_text(inactivity_timeout_)});
}

}  // namespace lp2p::api
