// Sans-I/O mDNS querier (RFC 6762 §5) that browses DNS-SD service types and resolves their
// instances to host, port, TXT and addresses.
//
// Feed it every received packet (on_packet) and the passing of time (on_timer at
// next_wakeup()); collect queries to send (take_outgoing) and service events (take_events).
// Behaviour:
// - continuous querying per browsed name: first query after 20–120 ms, then intervals doubling
//   from 1 s up to 1 hour, with known answers (records with more than half their TTL left;
//   several packets with TC set when they do not fit one);
// - a cache of every record received from port 5353 (unsolicited announcements included), with
//   expiry at TTL, refresh queries at 80/85/90/95 % of the TTL (plus 0–2 %) for records a browse
//   needs, goodbyes (TTL 0) expiring after 1 s, and the cache-flush bit flushing older records of
//   the same name and type (after 1 s, RFC 6762 §10.2);
// - duplicate question suppression (§7.3): another host's identical query with no fewer known
//   answers counts as ours;
// - missing SRV/TXT/A/AAAA records are asked for directly (at once, then after 1, 2 and 4 s;
//   a round that gets no answer is repeated a minute later);
// - at most Options::max_records_per_source cached records per sending address and
//   Options::max_records in all; what exceeds them is dropped and counted (DoS hygiene).
// All queries are QM (multicast answers): several agents share port 5353 on one host through
// SO_REUSEPORT, and a unicast answer would reach only one of them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mdns/clock.hpp"
#include "mdns/dns_message.hpp"
#include "mdns/endpoint.hpp"
#include "mdns/responder.hpp"

namespace lp2p::mdns {

struct ResolvedService {
  DnsName instance;   // full name: <instance>.<service>
  std::string label;  // the instance label alone
  DnsName service;    // the browsed name it was found under
  DnsName host;
  std::uint16_t port = 0;
  std::vector<std::string> txt;
  std::vector<IpAddress> addresses;
  bool operator==(const ResolvedService&) const = default;
};

struct ServiceEvent {
  enum class Kind { added, updated, removed } kind = Kind::added;
  ResolvedService service;
};

class Querier {
 public:
  struct Options {
    std::size_t max_packet_size = 1440;
    std::size_t max_records_per_source = 256;
    std::size_t max_records = 4096;
  };

  explicit Querier(Random& random) : Querier(random, Options{}) {}
  Querier(Random& random, Options options) : random_(random), options_(options) {}

  // Starts continuous querying for PTR records of `name` (a service type or a subtype name).
  void browse(const DnsName& name, TimePoint now);
  void stop_browse(const DnsName& name);

  void on_packet(const DnsMessage& message, const Endpoint& from, TimePoint now);
  void on_timer(TimePoint now);
  [[nodiscard]] std::optional<TimePoint> next_wakeup() const;

  std::vector<Outgoing> take_outgoing() { return std::exchange(outgoing_, {}); }
  std::vector<ServiceEvent> take_events() { return std::exchange(events_, {}); }

  // Forgets everything (the interface went away): a removed event for every service it knew.
  std::vector<ServiceEvent> forget_all();

  [[nodiscard]] std::size_t cached_records() const { return cache_.size(); }
  [[nodiscard]] std::uint64_t dropped_records() const { return dropped_records_; }

 private:
  struct Entry {
    ResourceRecord record;
    IpAddress source;
    TimePoint received;
    TimePoint expires;
    unsigned refreshes_sent = 0;  // of the four at 80/85/90/95 %
    TimePoint next_refresh;
  };
  struct Browse {
    DnsName name;
    TimePoint next_query;
    Duration interval{0};
  };
  struct Lookup {  // a direct query for missing records of one name
    DnsName name;
    std::vector<std::uint16_t> types;
    TimePoint next_query;
    Duration interval{0};
    unsigned tries = 0;
  };

  void add_record(const ResourceRecord& record, const IpAddress& source, TimePoint now);
  void expire(TimePoint now);
  void refresh(TimePoint now);
  void send_query(const std::vector<Question>& questions, TimePoint now);
  [[nodiscard]] std::vector<ResourceRecord> known_answers(const Question& question,
                                                          TimePoint now) const;
  void resolve(TimePoint now);
  void request_missing(const DnsName& name, std::vector<std::uint16_t> types, TimePoint now);
  [[nodiscard]] bool wanted(const ResourceRecord& record) const;
  [[nodiscard]] std::vector<const Entry*> find(const DnsName& name, std::uint16_t type) const;

  Random& random_;
  Options options_;
  std::map<std::string, Entry> cache_;  // key: lower-cased name, type, rdata
  std::map<IpAddress, std::size_t> per_source_;
  std::vector<Browse> browses_;
  std::vector<Lookup> lookups_;
  std::map<std::string, ResolvedService> services_;  // by lower-cased instance name
  std::uint64_t dropped_records_ = 0;
  std::vector<Outgoing> outgoing_;
  std::vector<ServiceEvent> events_;
};

}  // namespace lp2p::mdns
