#include "mdns/querier.hpp"

#include <algorithm>
#include <set>

#include "common/ascii.hpp"
#include "mdns/dns_codec.hpp"

namespace lp2p::mdns {
namespace {

constexpr auto kFirstQueryMin = milliseconds(20);
constexpr auto kFirstQueryMax = milliseconds(120);
constexpr auto kMaxQueryInterval = std::chrono::hours(1);
constexpr auto kGoodbyeGrace = seconds(1);
constexpr unsigned kRefreshCount = 4;       // at 80, 85, 90 and 95 % of the TTL
constexpr unsigned kLookupTries = 4;        // direct queries for missing records: 0, 1, 2, 4 s
constexpr auto kLookupPause = seconds(60);  // then a pause before the next round

constexpr auto kPtr = static_cast<std::uint16_t>(RecordType::ptr);
constexpr auto kSrv = static_cast<std::uint16_t>(RecordType::srv);
constexpr auto kTxt = static_cast<std::uint16_t>(RecordType::txt);
constexpr auto kA = static_cast<std::uint16_t>(RecordType::a);
constexpr auto kAaaa = static_cast<std::uint16_t>(RecordType::aaaa);

std::string lowered_name(const DnsName& name) {
  return ascii_lower(name.to_string());
}

// Cache keys sort all records of one name and type together: name, NUL, type, then rdata.
std::string key_prefix(const DnsName& name, std::uint16_t type) {
  std::string key = lowered_name(name);
  key.push_back('\0');
  key.push_back(static_cast<char>(type >> 8));
  key.push_back(static_cast<char>(type & 0xffU));
  return key;
}

std::string cache_key(const ResourceRecord& r) {
  std::string key = key_prefix(r.name, r.type);
  const auto rdata = encode_rdata(r.data);
  key.append(rdata.begin(), rdata.end());
  return key;
}

// The moment a fraction of a record's TTL has passed since it was received.
TimePoint at_fraction(TimePoint received, std::uint32_t ttl, double fraction) {
  return received +
         std::chrono::duration_cast<Duration>(std::chrono::duration<double>(ttl * fraction));
}

}  // namespace

void Querier::browse(const DnsName& name, TimePoint now) {
  if (std::ranges::any_of(browses_, [&](const Browse& b) { return b.name == name; })) return;
  browses_.push_back({name, now + random_.between(kFirstQueryMin, kFirstQueryMax), Duration{0}});
  resolve(now);  // what the cache already knows is reported at once
}

void Querier::stop_browse(const DnsName& name) {
  std::erase_if(browses_, [&](const Browse& b) { return b.name == name; });
}

std::vector<const Querier::Entry*> Querier::find(const DnsName& name, std::uint16_t type) const {
  std::vector<const Entry*> out;
  const std::string prefix = key_prefix(name, type);
  for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix);
       ++it) {
    out.push_back(&it->second);
  }
  return out;
}

void Querier::add_record(const ResourceRecord& record, const IpAddress& source, TimePoint now) {
  if (record.rrclass != kClassIn) return;
  const std::string key = cache_key(record);
  auto it = cache_.find(key);
  if (record.ttl == 0) {  // goodbye (RFC 6762 §10.1)
    if (it != cache_.end()) it->second.expires = std::min(it->second.expires, now + kGoodbyeGrace);
    return;
  }
  if (record.cache_flush) {
    const std::string prefix = key_prefix(record.name, record.type);
    for (auto other = cache_.lower_bound(prefix);
         other != cache_.end() && other->first.starts_with(prefix); ++other) {
      Entry& e = other->second;
      if (other->first != key && now - e.received > kGoodbyeGrace) {
        e.expires = std::min(e.expires, now + kGoodbyeGrace);
      }
    }
  }
  if (it == cache_.end()) {
    std::size_t& from_source = per_source_[source];
    if (from_source >= options_.max_records_per_source || cache_.size() >= options_.max_records) {
      ++dropped_records_;
      return;
    }
    ++from_source;
    it = cache_.emplace(key, Entry{record, source, now, now, 0, now}).first;
  }
  Entry& e = it->second;
  e.record = record;
  e.received = now;
  e.expires = now + seconds(record.ttl);
  e.refreshes_sent = 0;
  e.next_refresh = at_fraction(now, record.ttl, 0.80 + 0.02 * random_.unit());
}

void Querier::expire(TimePoint now) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->second.expires > now) {
      ++it;
      continue;
    }
    auto source = per_source_.find(it->second.source);
    if (source != per_source_.end() && --source->second == 0) per_source_.erase(source);
    it = cache_.erase(it);
  }
}

bool Querier::wanted(const ResourceRecord& record) const {
  for (const auto& [key, service] : services_) {
    if (record.name == service.instance || record.name == service.host) return true;
  }
  return std::ranges::any_of(browses_, [&](const Browse& b) { return record.name == b.name; });
}

void Querier::refresh(TimePoint now) {
  // NSEC only says what a name lacks; nothing needs it kept fresh.
  const auto needs_refresh = [this](const Entry& e) {
    return wanted(e.record) && e.record.type != static_cast<std::uint16_t>(RecordType::nsec);
  };
  const bool any_due = std::ranges::any_of(cache_, [&](const auto& entry) {
    const Entry& e = entry.second;
    return e.refreshes_sent < kRefreshCount && e.next_refresh <= now && needs_refresh(e);
  });
  std::vector<Question> questions;
  for (auto& [key, e] : cache_) {
    if (e.refreshes_sent >= kRefreshCount) continue;
    // Refreshes due within the jitter of RFC 6762 §5.2 (2 % of the TTL) ride along with one due
    // now: one query for a host's records rather than one per record.
    const Duration early =
        any_due ? at_fraction(TimePoint{}, e.record.ttl, 0.02) - TimePoint{} : Duration{0};
    if (e.next_refresh > now + early) continue;
    ++e.refreshes_sent;
    e.next_refresh = at_fraction(e.received, e.record.ttl,
                                 0.80 + 0.05 * e.refreshes_sent + 0.02 * random_.unit());
    if (!needs_refresh(e)) continue;
    Question q{e.record.name, e.record.type, kClassIn, false};
    if (std::ranges::find(questions, q) == questions.end()) questions.push_back(std::move(q));
  }
  if (!questions.empty()) send_query(questions, now);
}

std::vector<ResourceRecord> Querier::known_answers(const Question& question, TimePoint now) const {
  std::vector<ResourceRecord> out;
  for (const Entry* e : find(question.name, question.type)) {
    // RFC 6762 §7.1: only answers with more than half their TTL left.
    if (e->expires - now > seconds(e->record.ttl) / 2) {
      ResourceRecord r = e->record;
      r.ttl =
          static_cast<std::uint32_t>(std::chrono::duration_cast<seconds>(e->expires - now).count());
      r.cache_flush = false;
      out.push_back(std::move(r));
    }
  }
  return out;
}

void Querier::send_query(const std::vector<Question>& questions, TimePoint now) {
  PacketWriter writer(options_.max_packet_size);
  DnsMessage header;
  writer.set_header(header);
  for (const auto& q : questions) (void)writer.add_question(q);
  for (const auto& q : questions) {
    for (const auto& known : known_answers(q, now)) {
      if (writer.add_answer(known)) continue;
      // §7.2: the rest of the known answers follow in more packets; TC says so.
      header.truncated = true;
      writer.set_header(header);
      outgoing_.push_back({writer.finish(), std::nullopt});
      header.truncated = false;
      writer.set_header(header);
      (void)writer.add_answer(known);
    }
  }
  outgoing_.push_back({writer.finish(), std::nullopt});
}

void Querier::request_missing(const DnsName& name, std::vector<std::uint16_t> types,
                              TimePoint now) {
  for (auto& l : lookups_) {
    if (l.name == name) {
      for (auto t : types) {
        if (std::ranges::find(l.types, t) == l.types.end()) l.types.push_back(t);
      }
      return;
    }
  }
  lookups_.push_back({name, std::move(types), now, Duration{0}, 0});
}

void Querier::resolve(TimePoint now) {
  std::map<std::string, ResolvedService> found;
  for (const auto& b : browses_) {
    for (const Entry* ptr : find(b.name, kPtr)) {
      const DnsName& instance = std::get<PtrData>(ptr->record.data).target;
      const std::string key = lowered_name(instance);
      if (found.contains(key)) continue;
      const auto srvs = find(instance, kSrv);
      const auto txts = find(instance, kTxt);
      if (srvs.empty() || txts.empty()) {
        std::vector<std::uint16_t> missing;
        if (srvs.empty()) missing.push_back(kSrv);
        if (txts.empty()) missing.push_back(kTxt);
        request_missing(instance, std::move(missing), now);
        if (srvs.empty()) continue;
      }
      const auto& srv = std::get<SrvData>(srvs.front()->record.data);
      std::vector<IpAddress> addresses;
      for (const Entry* a : find(srv.target, kA)) {
        addresses.push_back(IpAddress::v4_from(std::get<AData>(a->record.data).address));
      }
      for (const Entry* a : find(srv.target, kAaaa)) {
        addresses.push_back(IpAddress::v6_from(std::get<AaaaData>(a->record.data).address));
      }
      if (addresses.empty()) {
        request_missing(srv.target, {kA, kAaaa}, now);
        continue;
      }
      if (txts.empty()) continue;
      const Entry* newest_txt = *std::ranges::max_element(txts, {}, &Entry::received);
      std::ranges::sort(addresses);
      found[key] = ResolvedService{instance,
                                   instance.labels().front(),
                                   b.name,
                                   srv.target,
                                   srv.port,
                                   std::get<TxtData>(newest_txt->record.data).strings,
                                   std::move(addresses)};
    }
  }
  for (const auto& [key, service] : services_) {
    if (!found.contains(key)) events_.push_back({ServiceEvent::Kind::removed, service});
  }
  for (const auto& [key, service] : found) {
    auto old = services_.find(key);
    if (old == services_.end()) {
      events_.push_back({ServiceEvent::Kind::added, service});
    } else if (!(old->second == service)) {
      events_.push_back({ServiceEvent::Kind::updated, service});
    }
  }
  services_ = std::move(found);
}

void Querier::on_packet(const DnsMessage& message, const Endpoint& from, TimePoint now) {
  if (message.opcode != 0 || message.rcode != 0) return;
  if (!message.response) {
    // §7.3: another host asked our question with at least our known answers: count it as ours.
    for (const auto& q : message.questions) {
      if (q.unicast_response) continue;
      for (auto& b : browses_) {
        if (!(q.name == b.name) ||
            (q.type != kPtr && q.type != static_cast<std::uint16_t>(RecordType::any)))
          continue;
        const auto ours = known_answers({b.name, kPtr, kClassIn, false}, now);
        const bool covered = std::ranges::all_of(ours, [&](const ResourceRecord& k) {
          return std::ranges::any_of(message.answers, [&](const ResourceRecord& theirs) {
            return theirs.type == k.type && theirs.name == k.name && theirs.data == k.data;
          });
        });
        // Our query is due soon (in the second half of its interval): the other host just sent
        // it for us, so it counts as sent — the interval doubles as after our own.
        if (covered && b.interval > Duration{0} && b.next_query - now <= b.interval / 2) {
          b.interval = std::min<Duration>(b.interval * 2, kMaxQueryInterval);
          b.next_query = now + b.interval;
        }
      }
    }
    return;
  }
  if (from.port != kMdnsPort) return;  // RFC 6762 §6: multicast responses come from port 5353
  for (const auto* section : {&message.answers, &message.additionals}) {
    for (const auto& r : *section) add_record(r, from.address, now);
  }
  resolve(now);
}

void Querier::on_timer(TimePoint now) {
  expire(now);
  refresh(now);
  std::vector<Question> due;
  for (auto& b : browses_) {
    if (b.next_query > now) continue;
    // The first query of a browse asks for unicast answers (QU, RFC 6762 §5.4): a responder
    // that announced within the last second would otherwise hold its multicast answer back
    // (§6's one-second rule), which a command started just after its peer waited out.
    due.push_back({b.name, kPtr, kClassIn, b.interval == Duration{0}});
    b.interval = b.interval == Duration{0} ? Duration(seconds(1))
                                           : std::min<Duration>(b.interval * 2, kMaxQueryInterval);
    b.next_query = now + b.interval;
  }
  for (auto& l : lookups_) {
    if (l.next_query > now) continue;
    std::erase_if(l.types, [&](std::uint16_t t) { return !find(l.name, t).empty(); });
    if (l.types.empty()) continue;
    for (auto t : l.types) due.push_back({l.name, t, kClassIn, false});
    if (++l.tries < kLookupTries) {
      l.interval = l.interval == Duration{0} ? Duration(seconds(1)) : l.interval * 2;
      l.next_query = now + l.interval;
    } else {  // nobody answers: try again in a while rather than not at all
      l.tries = 0;
      l.interval = Duration{0};
      l.next_query = now + kLookupPause;
    }
  }
  std::erase_if(lookups_, [](const Lookup& l) { return l.types.empty(); });
  if (!due.empty()) send_query(due, now);
  resolve(now);
}

std::vector<ServiceEvent> Querier::forget_all() {
  std::vector<ServiceEvent> events = take_events();
  for (auto& [key, service] : services_)
    events.push_back({ServiceEvent::Kind::removed, std::move(service)});
  services_.clear();
  cache_.clear();
  per_source_.clear();
  lookups_.clear();
  return events;
}

std::optional<TimePoint> Querier::next_wakeup() const {
  std::optional<TimePoint> next;
  auto consider = [&next](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [key, e] : cache_) {
    consider(e.expires);
    if (e.refreshes_sent < kRefreshCount) consider(e.next_refresh);
  }
  for (const auto& b : browses_) consider(b.next_query);
  for (const auto& l : lookups_) consider(l.next_query);
  return next;
}

}  // namespace lp2p::mdns
