#include "mdns/responder.hpp"

#include <algorithm>
#include <tuple>

#include "mdns/dns_codec.hpp"

namespace lp2p::mdns {
namespace {

constexpr auto kProbeInterval = milliseconds(250);
constexpr unsigned kProbeCount = 3;
constexpr unsigned kAnnouncementCount = 2;
constexpr auto kAnnouncementInterval = seconds(1);
constexpr auto kLostTieBreakDelay = seconds(1);
constexpr std::size_t kConflictBurst = 15;  // conflicts within kConflictWindow before back-off
constexpr auto kConflictWindow = seconds(10);
constexpr auto kConflictBackoff = seconds(5);
constexpr auto kMulticastRateLimit = seconds(1);
constexpr auto kProbeDefenseRateLimit = milliseconds(250);
constexpr std::uint32_t kLegacyUnicastMaxTtl = 10;

bool same_record(const ResourceRecord& a, const ResourceRecord& b) {
  return a.type == b.type && a.rrclass == b.rrclass && a.name == b.name && a.data == b.data;
}

// RFC 6762 §7.1: a known answer suppresses ours when it is the same record with at least half
// our TTL left.
bool known(const ResourceRecord& ours, const std::vector<ResourceRecord>& known_answers) {
  return std::ranges::any_of(known_answers, [&](const ResourceRecord& k) {
    return same_record(k, ours) && k.ttl >= ours.ttl / 2;
  });
}

bool is_type(const ResourceRecord& r, RecordType type) {
  return r.type == static_cast<std::uint16_t>(type);
}

// RFC 6762 §8.2 order: class, then type, then rdata bytes; each side's records sorted first.
using TieKey = std::tuple<std::uint16_t, std::uint16_t, std::vector<std::uint8_t>>;
std::vector<TieKey> tie_keys(const std::vector<ResourceRecord>& records) {
  std::vector<TieKey> keys;
  keys.reserve(records.size());
  for (const auto& r : records) keys.emplace_back(r.rrclass, r.type, encode_rdata(r.data));
  std::ranges::sort(keys);
  return keys;
}

void add_unique(std::vector<ResourceRecord>& list, const ResourceRecord& record) {
  if (std::ranges::none_of(list, [&](const ResourceRecord& r) { return same_record(r, record); })) {
    list.push_back(record);
  }
}

}  // namespace

Responder::Responder(ServiceInstance service, HostInfo host, Random& random, TimePoint now,
                     Options options)
    : service_(std::move(service)),
      host_(std::move(host)),
      original_instance_(service_.instance),
      original_host_(host_.label),
      random_(random),
      options_(options) {
  rebuild_records();
  start_probing(now, random_.between(milliseconds(0), kProbeInterval));
}

void Responder::rebuild_records() {
  records_ = service_records(service_, host_);
  last_multicast_.assign(records_.size(), TimePoint{});
}

void Responder::start_probing(TimePoint now, Duration delay) {
  state_ = State::probing;
  probes_sent_ = 0;
  announcements_sent_ = 0;
  changed_announcements_left_ = 0;
  next_change_.reset();
  pending_.clear();
  next_step_ = now + delay;
}

std::vector<ResourceRecord> Responder::unique_records_named(const DnsName& name) const {
  std::vector<ResourceRecord> out;
  for (const auto& p : records_) {
    if (p.unique && !is_type(p.record, RecordType::nsec) && p.record.name == name)
      out.push_back(p.record);
  }
  return out;
}

void Responder::send_probe() {
  DnsMessage probe;
  const DnsName instance = instance_name(service_);
  const DnsName hostname = host_name(host_);
  const auto any = static_cast<std::uint16_t>(RecordType::any);
  // The first probe asks for unicast replies (RFC 6762 §8.1) so a defender answers at once.
  probe.questions.push_back({instance, any, kClassIn, probes_sent_ == 0});
  probe.questions.push_back({hostname, any, kClassIn, probes_sent_ == 0});
  for (const auto& name : {instance, hostname}) {
    for (auto r : unique_records_named(name)) {
      r.cache_flush = false;  // authority records of a probe carry no cache-flush bit
      probe.authorities.push_back(std::move(r));
    }
  }
  outgoing_.push_back({encode(probe), std::nullopt});
}

void Responder::send_announcement(TimePoint now, bool only_changed) {
  std::vector<ResourceRecord> answers;
  for (const auto& published : records_) {
    const ResourceRecord& r = published.record;
    if (is_type(r, RecordType::nsec)) continue;
    if (only_changed && std::ranges::find(changed_types_, r.type) == changed_types_.end()) continue;
    answers.push_back(r);
  }
  emit(answers, {}, std::nullopt, now);
}

void Responder::update_txt(std::vector<std::string> txt, TimePoint now) {
  if (state_ == State::stopped || txt == service_.txt) return;
  service_.txt = std::move(txt);
  rebuild_records();
  if (state_ == State::probing) return;  // the coming announcement carries the new TXT
  changed_types_ = {static_cast<std::uint16_t>(RecordType::txt)};
  changed_announcements_left_ = kAnnouncementCount;
  next_change_ = now;
}

void Responder::update_addresses(std::vector<IpAddress> addresses, TimePoint now) {
  if (state_ == State::stopped || addresses == host_.addresses) return;
  const std::vector<PublishedRecord> before = records_;
  host_.addresses = std::move(addresses);
  rebuild_records();
  if (state_ == State::probing) return;
  // Addresses that went away get a goodbye so that caches drop them at once.
  std::vector<ResourceRecord> goodbyes;
  for (const auto& old : before) {
    if (!is_type(old.record, RecordType::a) && !is_type(old.record, RecordType::aaaa)) continue;
    const bool kept = std::ranges::any_of(
        records_, [&](const PublishedRecord& p) { return same_record(p.record, old.record); });
    if (kept) continue;
    ResourceRecord bye = old.record;
    bye.ttl = 0;
    goodbyes.push_back(std::move(bye));
  }
  if (!goodbyes.empty()) emit(goodbyes, {}, std::nullopt, now);
  changed_types_ = {static_cast<std::uint16_t>(RecordType::a),
                    static_cast<std::uint16_t>(RecordType::aaaa)};
  changed_announcements_left_ = kAnnouncementCount;
  next_change_ = now;
}

void Responder::stop(TimePoint now) {
  if (state_ == State::stopped) return;
  if (state_ != State::probing) {
    std::vector<ResourceRecord> goodbyes;
    for (const auto& p : records_) {
      if (is_type(p.record, RecordType::nsec)) continue;
      ResourceRecord bye = p.record;
      bye.ttl = 0;  // RFC 6762 §10.1
      goodbyes.push_back(std::move(bye));
    }
    emit(goodbyes, {}, std::nullopt, now);
  }
  state_ = State::stopped;
  pending_.clear();
  next_step_.reset();
  next_change_.reset();
}

std::optional<TimePoint> Responder::next_wakeup() const {
  std::optional<TimePoint> next = next_step_;
  auto consider = [&next](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  if (next_change_) consider(*next_change_);
  for (const auto& p : pending_) consider(p.due);
  return next;
}

void Responder::on_timer(TimePoint now) {
  if (state_ == State::stopped) return;
  if (next_step_ && *next_step_ <= now) {
    if (state_ == State::probing && probes_sent_ < kProbeCount) {
      send_probe();
      ++probes_sent_;
      next_step_ = now + kProbeInterval;
    } else if (state_ == State::probing || state_ == State::announcing) {
      if (state_ == State::probing) {
        state_ = State::announcing;
        events_.push_back({Event::Kind::announced, service_.instance, host_.label});
      }
      send_announcement(now, false);
      ++announcements_sent_;
      if (announcements_sent_ < kAnnouncementCount) {
        next_step_ = now + kAnnouncementInterval * (1 << (announcements_sent_ - 1));
      } else {
        state_ = State::announced;
        next_step_.reset();
      }
    }
  }
  if (next_change_ && *next_change_ <= now && state_ != State::probing) {
    send_announcement(now, true);
    if (--changed_announcements_left_ > 0) {
      next_change_ = now + kAnnouncementInterval;
    } else {
      next_change_.reset();
    }
  }
  flush_pending(now);
}

bool Responder::conflicts_with(const ResourceRecord& theirs) const {
  if (theirs.rrclass != kClassIn || theirs.ttl == 0) return false;
  bool name_is_ours = false;
  bool same_type_differs = false;
  for (const auto& p : records_) {
    if (!p.unique || !(p.record.name == theirs.name)) continue;
    name_is_ours = true;
    if (same_record(p.record, theirs)) return false;  // our own record, or an identical one
    if (p.record.type == theirs.type) same_type_differs = true;
  }
  if (!name_is_ours) return false;
  // While probing, any other record with our name means the name is taken (§8.1); afterwards
  // only a record of one of our types with other data is a conflict (§9).
  if (state_ == State::probing) return true;
  if (!same_type_differs) return false;
  // A host with several addresses has several A records: theirs conflicts only if it is none of
  // them.
  return std::ranges::none_of(
      records_, [&](const PublishedRecord& p) { return same_record(p.record, theirs); });
}

void Responder::handle_conflict(const DnsName& name, TimePoint now) {
  std::erase_if(recent_conflicts_, [&](TimePoint t) { return now - t > kConflictWindow; });
  recent_conflicts_.push_back(now);
  const Duration delay = recent_conflicts_.size() >= kConflictBurst
                             ? Duration(kConflictBackoff)
                             : random_.between(milliseconds(0), kProbeInterval);
  if (state_ != State::probing) {
    // §9: the names go back to probing; if the other host still holds them, probing renames.
    start_probing(now, delay);
    return;
  }
  if (name == instance_name(service_)) {
    service_.instance = renamed_instance(original_instance_, ++instance_attempt_);
  } else {
    host_.label = renamed_host(original_host_, ++host_attempt_);
  }
  rebuild_records();
  events_.push_back({Event::Kind::renamed, service_.instance, host_.label});
  start_probing(now, delay);
}

void Responder::handle_probe_tie_break(const DnsMessage& message, TimePoint now) {
  for (const auto& name : {instance_name(service_), host_name(host_)}) {
    std::vector<ResourceRecord> theirs;
    for (const auto& r : message.authorities) {
      if (r.name == name && r.rrclass == kClassIn) theirs.push_back(r);
    }
    if (theirs.empty()) continue;
    const auto ours = tie_keys(unique_records_named(name));
    const auto other = tie_keys(theirs);
    if (ours == other) continue;  // our own probe looped back
    if (std::ranges::lexicographical_compare(ours, other)) {
      // We lost (§8.2): the other host has the name unless it turns out not to; try again in 1 s.
      start_probing(now, kLostTieBreakDelay);
      return;
    }
  }
}

void Responder::on_packet(const DnsMessage& message, const Endpoint& from, TimePoint now) {
  if (state_ == State::stopped || message.opcode != 0 || message.rcode != 0) return;
  if (message.response) {
    if (from.port != kMdnsPort) return;  // RFC 6762 §11: responses must come from port 5353
    for (const auto* section : {&message.answers, &message.additionals}) {
      for (const auto& r : *section) {
        if (conflicts_with(r)) {
          handle_conflict(r.name, now);
          return;
        }
      }
    }
    suppress_duplicates(message);
    return;
  }
  if (state_ == State::probing) {
    handle_probe_tie_break(message, now);
    return;
  }
  answer(message, from, now);
}

void Responder::answer(const DnsMessage& message, const Endpoint& from, TimePoint now) {
  const bool legacy = from.port != kMdnsPort;
  const bool probe = !message.authorities.empty();
  std::vector<ResourceRecord> multicast;
  std::vector<ResourceRecord> unicast;
  std::vector<ResourceRecord> additionals;
  bool shared = false;
  for (const auto& q : message.questions) {
    if (q.rrclass != kClassIn && q.rrclass != static_cast<std::uint16_t>(RecordType::any)) continue;
    bool name_owned = false;
    bool type_found = false;
    const ResourceRecord* nsec = nullptr;
    for (std::size_t i = 0; i < records_.size(); ++i) {
      const ResourceRecord& r = records_[i].record;
      if (!(r.name == q.name)) continue;
      if (is_type(r, RecordType::nsec)) {
        nsec = &r;
        continue;
      }
      name_owned = name_owned || records_[i].unique;
      if (q.type != static_cast<std::uint16_t>(RecordType::any) && q.type != r.type) continue;
      type_found = true;
      if (known(r, message.answers)) continue;
      const auto since = now - last_multicast_[i];
      const bool never = last_multicast_[i] == TimePoint{};
      const bool recently = !never && since < seconds(r.ttl) / 4;
      if (legacy || (q.unicast_response && recently)) {
        add_unique(unicast, r);
        continue;
      }
      if (!never &&
          since < (probe ? Duration(kProbeDefenseRateLimit) : Duration(kMulticastRateLimit)))
        continue;
      add_unique(multicast, r);
      shared = shared || !records_[i].unique;
    }
    if (name_owned && !type_found && nsec != nullptr)
      add_unique(legacy ? unicast : multicast, *nsec);
  }
  // Additional records (RFC 6763 §12): what a browser needs next, so it need not ask again.
  for (const auto* answers : {&multicast, &unicast}) {
    for (const auto& a : *answers) {
      if (is_type(a, RecordType::ptr)) {
        const auto& target = std::get<PtrData>(a.data).target;
        for (const auto& p : records_) {
          if (p.record.name == target) add_unique(additionals, p.record);
        }
      }
      if (is_type(a, RecordType::ptr) || is_type(a, RecordType::srv)) {
        for (const auto& p : records_) {
          if (p.record.name == host_name(host_)) add_unique(additionals, p.record);
        }
      }
    }
  }
  std::erase_if(additionals, [&](const ResourceRecord& r) {
    return known(r, message.answers) ||
           std::ranges::any_of(multicast,
                               [&](const ResourceRecord& m) { return same_record(m, r); }) ||
           std::ranges::any_of(unicast, [&](const ResourceRecord& u) { return same_record(u, r); });
  });

  if (!unicast.empty()) {
    Endpoint to = from;
    if (legacy) {
      for (auto& r : unicast) {
        r.ttl = std::min(r.ttl, kLegacyUnicastMaxTtl);
        r.cache_flush = false;  // §6.7: legacy resolvers would misread the bit as a class
      }
      emit(unicast, additionals, to, now, message.id, message.questions);
    } else {
      emit(unicast, additionals, to, now);
    }
  }
  if (multicast.empty()) return;
  Duration delay{0};
  if (message.truncated) {
    delay =
        random_.between(milliseconds(400), milliseconds(500));  // §7.2: more known answers coming
  } else if (shared) {
    delay = random_.between(milliseconds(20), milliseconds(120));  // §6: shared records
  }
  pending_.push_back(
      {now + delay, std::nullopt, false, 0, {}, std::move(multicast), std::move(additionals)});
  flush_pending(now);
}

void Responder::suppress_duplicates(const DnsMessage& response) {
  for (auto& p : pending_) {
    std::erase_if(p.answers, [&](const ResourceRecord& r) { return known(r, response.answers); });
    std::erase_if(p.additionals, [&](const ResourceRecord& r) {
      return known(r, response.answers) || known(r, response.additionals);
    });
  }
  std::erase_if(pending_, [](const Pending& p) { return p.answers.empty(); });
}

void Responder::flush_pending(TimePoint now) {
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> additionals;
  for (const auto& p : pending_) {
    if (p.due > now) continue;
    for (const auto& r : p.answers) add_unique(answers, r);
    for (const auto& r : p.additionals) add_unique(additionals, r);
  }
  std::erase_if(pending_, [now](const Pending& p) { return p.due <= now; });
  if (!answers.empty()) emit(answers, additionals, std::nullopt, now);
}

void Responder::emit(const std::vector<ResourceRecord>& answers,
                     const std::vector<ResourceRecord>& additionals,
                     const std::optional<Endpoint>& unicast, TimePoint now, std::uint16_t id,
                     const std::vector<Question>& questions) {
  DnsMessage header;
  header.id = id;
  header.response = true;
  header.authoritative = true;
  PacketWriter writer(options_.max_packet_size);
  auto start_packet = [&] {
    writer.set_header(header);
    for (const auto& q : questions) (void)writer.add_question(q);
  };
  start_packet();
  for (const auto& r : answers) {
    if (!writer.add_answer(r)) {
      outgoing_.push_back({writer.finish(), unicast});
      start_packet();
      (void)writer.add_answer(r);  // a single record always fits an empty packet
    }
    if (!unicast && r.ttl > 0) {
      for (std::size_t i = 0; i < records_.size(); ++i) {
        if (same_record(records_[i].record, r)) last_multicast_[i] = now;
      }
    }
  }
  for (const auto& r : additionals)
    (void)writer.add_additional(r);  // optional: drop what does not fit
  if (!writer.empty()) outgoing_.push_back({writer.finish(), unicast});
}

}  // namespace lp2p::mdns
