#include "mdns/mdns_engine.hpp"

#include <spdlog/spdlog.h>

#include <random>

#include "mdns/dns_codec.hpp"

namespace lp2p::mdns {
namespace {

std::uint64_t seed_of(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) | device();
}

}  // namespace

std::vector<IpAddress> MdnsEngine::published_addresses(const NetInterface& itf) const {
  std::vector<IpAddress> out;
  for (const auto& a : itf.addresses) {
    if (a.v6 ? options_.ipv6 : options_.ipv4) out.push_back(a);
  }
  return out;
}

MdnsEngine::MdnsEngine(boost::asio::io_context& io, Options options)
    : options_(std::move(options)), random_(seed_of(options_.seed)), timer_(io), poll_timer_(io) {}

Result<std::unique_ptr<MdnsEngine>> MdnsEngine::create(boost::asio::io_context& io,
                                                       Options options) {
  if (!options.ipv4 && !options.ipv6)
    return make_error(Errc::invalid_argument, "mDNS needs IPv4 or IPv6");
  std::unique_ptr<MdnsEngine> engine(new MdnsEngine(io, std::move(options)));
  MdnsEngine* self = engine.get();
  auto handler = [self](std::span<const std::uint8_t> packet, const Endpoint& from) {
    self->on_packet(packet, from);
  };
  if (engine->options_.ipv4) {
    auto s = MdnsSocket::open(io, false, kMdnsPort, handler);
    if (!s) return std::move(s).error();
    engine->v4_ = std::move(*s);
  }
  if (engine->options_.ipv6) {
    auto s = MdnsSocket::open(io, true, kMdnsPort, handler);
    if (!s) return std::move(s).error();
    engine->v6_ = std::move(*s);
  }
  LP2P_TRY(engine->refresh_interfaces());
  if (engine->interfaces_.empty()) {
    return make_error(Errc::io_error, "no network interface that can multicast is up");
  }
  engine->poll_interfaces();
  return engine;
}

MdnsEngine::~MdnsEngine() {
  unpublish();
  *alive_ = false;
}

std::vector<NetInterface> MdnsEngine::interfaces() const {
  std::vector<NetInterface> out;
  for (const auto& [index, p] : interfaces_) out.push_back(p->itf);
  return out;
}

Result<void> MdnsEngine::refresh_interfaces() {
  auto current = multicast_interfaces(options_.interfaces);
  if (!current) return std::move(current).error();
  std::map<std::uint32_t, NetInterface> now_up;
  for (auto& itf : *current) now_up[itf.index] = std::move(itf);
  for (auto it = interfaces_.begin(); it != interfaces_.end();) {
    if (now_up.contains(it->first)) {
      ++it;
      continue;
    }
    PerInterface& gone = *it->second;
    spdlog::info("mdns: interface {} went away", gone.itf.name);
    if (v4_) v4_->leave(gone.itf);
    if (v6_) v6_->leave(gone.itf);
    // What was seen only through this interface is no longer reachable through it.
    for (const auto& event : gone.querier.forget_all()) {
      if (on_service_) on_service_(event, gone.itf);
    }
    it = interfaces_.erase(it);
  }
  for (auto& [index, itf] : now_up) {
    auto existing = interfaces_.find(index);
    if (existing == interfaces_.end()) {
      add_interface(itf);
    } else if (existing->second->itf.addresses != itf.addresses) {
      existing->second->itf.addresses = itf.addresses;
      if (existing->second->responder) {
        existing->second->responder->update_addresses(published_addresses(itf), Clock::now());
      }
      drain(*existing->second);
    }
  }
  schedule();
  return {};
}

void MdnsEngine::add_interface(const NetInterface& itf) {
  for (MdnsSocket* socket : {v4_.get(), v6_.get()}) {
    if (socket == nullptr) continue;
    if (auto joined = socket->join(itf); !joined) spdlog::warn("mdns: {}", joined.error().message);
  }
  auto p = std::make_unique<PerInterface>(PerInterface{itf, Querier(random_), nullptr});
  const TimePoint now = Clock::now();
  for (const auto& name : browsing_) p->querier.browse(name, now);
  if (published_) {
    p->responder = std::make_unique<Responder>(
        *published_, HostInfo{host_label_, published_addresses(itf)}, random_, now);
  }
  spdlog::debug("mdns: using interface {} (index {})", itf.name, itf.index);
  drain(*p);
  interfaces_[itf.index] = std::move(p);
}

void MdnsEngine::publish(ServiceInstance service, std::string host_label) {
  unpublish();
  published_ = std::move(service);
  host_label_ = std::move(host_label);
  const TimePoint now = Clock::now();
  for (auto& [index, p] : interfaces_) {
    p->responder = std::make_unique<Responder>(
        *published_, HostInfo{host_label_, published_addresses(p->itf)}, random_, now);
    drain(*p);
  }
  schedule();
}

void MdnsEngine::update_txt(const std::vector<std::string>& txt) {
  if (!published_) return;
  published_->txt = txt;
  for (auto& [index, p] : interfaces_) {
    if (p->responder) p->responder->update_txt(txt, Clock::now());
    drain(*p);
  }
  schedule();
}

void MdnsEngine::unpublish() {
  if (!published_) return;
  for (auto& [index, p] : interfaces_) {
    if (!p->responder) continue;
    p->responder->stop(Clock::now());
    drain(*p);
    p->responder.reset();
  }
  published_.reset();
}

void MdnsEngine::browse(const DnsName& name) {
  browsing_.push_back(name);
  for (auto& [index, p] : interfaces_) {
    p->querier.browse(name, Clock::now());
    drain(*p);
  }
  schedule();
}

void MdnsEngine::stop_browse(const DnsName& name) {
  std::erase(browsing_, name);
  for (auto& [index, p] : interfaces_) p->querier.stop_browse(name);
}

void MdnsEngine::on_packet(std::span<const std::uint8_t> packet, const Endpoint& from) {
  ++stats_.packets_received;
  auto it = interfaces_.find(from.interface_index);
  if (it == interfaces_.end()) return;  // an interface we do not use
  auto message = decode(packet);
  if (message && message->skipped_records > 0) {
    spdlog::debug("mdns: {} malformed record(s) skipped in a packet from {}",
                  message->skipped_records, from.address.to_string());
  }
  if (!message) {
    ++stats_.malformed_packets;
    spdlog::warn("mdns: ignoring packet from {} on {}: {}", from.address.to_string(),
                 it->second->itf.name, message.error().describe());
    return;
  }
  PerInterface& p = *it->second;
  const TimePoint now = Clock::now();
  p.querier.on_packet(*message, from, now);
  if (p.responder) p.responder->on_packet(*message, from, now);
  drain(p);
  schedule();
}

void MdnsEngine::drain(PerInterface& p) {
  std::vector<Outgoing> out = p.querier.take_outgoing();
  if (p.responder) {
    for (auto& o : p.responder->take_outgoing()) out.push_back(std::move(o));
    for (const auto& event : p.responder->take_events()) {
      if (event.kind == Responder::Event::Kind::renamed) {
        spdlog::info("mdns: name conflict on {}: now \"{}\" on host {}", p.itf.name, event.instance,
                     event.host);
        if (published_) published_->instance = event.instance;
        if (on_renamed_) on_renamed_(event.instance, event.host);
      } else if (event.kind == Responder::Event::Kind::announced && on_announced_) {
        on_announced_(p.itf);
      }
    }
  }
  for (const auto& o : out) {
    for (MdnsSocket* socket : {v4_.get(), v6_.get()}) {
      if (socket == nullptr) continue;
      Result<void> sent;
      if (o.unicast) {
        if (o.unicast->address.v6 != socket->ipv6()) continue;
        sent = socket->send_unicast(o.packet, *o.unicast);
      } else {
        sent = socket->send_multicast(o.packet, p.itf.index);
      }
      if (sent) {
        ++stats_.packets_sent;
      } else {
        spdlog::debug("mdns: {}", sent.error().message);
      }
    }
  }
  for (const auto& event : p.querier.take_events()) {
    if (on_service_) on_service_(event, p.itf);
  }
}

void MdnsEngine::schedule() {
  std::optional<TimePoint> next;
  for (const auto& [index, p] : interfaces_) {
    for (auto t :
         {p->querier.next_wakeup(), p->responder ? p->responder->next_wakeup() : std::nullopt}) {
      if (t && (!next || *t < *next)) next = t;
    }
  }
  timer_.cancel();
  if (!next) return;
  timer_.expires_at(*next);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    on_timer();
  });
}

void MdnsEngine::on_timer() {
  const TimePoint now = Clock::now();
  for (auto& [index, p] : interfaces_) {
    p->querier.on_timer(now);
    if (p->responder) p->responder->on_timer(now);
    drain(*p);
  }
  schedule();
}

void MdnsEngine::poll_interfaces() {
  poll_timer_.expires_after(options_.interface_poll);
  poll_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    if (auto r = refresh_interfaces(); !r) spdlog::warn("mdns: {}", r.error().message);
    poll_interfaces();
  });
}

}  // namespace lp2p::mdns
