// Sans-I/O mDNS responder (RFC 6762) for one service instance on one interface.
//
// Feed it packets (on_packet) and the passing of time (on_timer at next_wakeup()); collect the
// packets it wants sent (take_outgoing) and what happened (take_events). It never reads a clock
// or a socket. Behaviour:
// - probing: 3 queries 250 ms apart (the first after a random 0–250 ms) for the instance and
//   host names, with the proposed records in the authority section; a conflicting answer renames
//   ("Name (2)", "host-2") and probes again; a simultaneous probe is settled by the §8.2
//   lexicographic tie-break (the loser waits 1 s and probes again); after 15 conflicts in 10 s it
//   waits 5 s between attempts.
// - announcing: 2 unsolicited responses 1 s apart, unique records with the cache-flush bit.
// - answering: QM questions by multicast, QU questions by unicast unless the record was not
//   multicast within a quarter of its TTL, legacy (port != 5353) queries by unicast with the id
//   echoed and TTLs capped at 10 s; known-answer suppression; shared-record answers delayed
//   20–120 ms (400–500 ms when the query is truncated, to wait for the rest of its known
//   answers), unique-only answers at once; SRV/TXT/A/AAAA as additional records; NSEC for types a
//   name does not have; a record is multicast at most once a second; answers another responder
//   just gave are dropped from a pending response (duplicate-answer suppression, §7.4).
// - changes: a TXT change or address change is re-announced (2×, cache-flush); stop() sends
//   goodbyes (TTL 0). A conflict found after probing sends the names back to probing (§9).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mdns/clock.hpp"
#include "mdns/dns_message.hpp"
#include "mdns/endpoint.hpp"
#include "mdns/service_records.hpp"

namespace lp2p::mdns {

struct Outgoing {
  std::vector<std::uint8_t> packet;
  std::optional<Endpoint> unicast;  // nullopt: to the mDNS multicast group of the interface
};

class Responder {
 public:
  struct Options {
    std::size_t max_packet_size = 1440;  // below a 1500-byte MTU with IPv6 and UDP headers
  };
  enum class State { probing, announcing, announced, stopped };
  struct Event {
    enum class Kind { renamed, announced } kind;
    std::string instance;  // the current instance label
    std::string host;      // the current host label
  };

  Responder(ServiceInstance service, HostInfo host, Random& random, TimePoint now)
      : Responder(std::move(service), std::move(host), random, now, Options{}) {}
  Responder(ServiceInstance service, HostInfo host, Random& random, TimePoint now, Options options);

  void update_txt(std::vector<std::string> txt, TimePoint now);
  void update_addresses(std::vector<IpAddress> addresses, TimePoint now);
  void stop(TimePoint now);  // goodbye; the responder stays stopped

  void on_packet(const DnsMessage& message, const Endpoint& from, TimePoint now);
  void on_timer(TimePoint now);
  [[nodiscard]] std::optional<TimePoint> next_wakeup() const;

  std::vector<Outgoing> take_outgoing() { return std::exchange(outgoing_, {}); }
  std::vector<Event> take_events() { return std::exchange(events_, {}); }

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] const ServiceInstance& service() const { return service_; }
  [[nodiscard]] const HostInfo& host() const { return host_; }

 private:
  struct Pending {
    TimePoint due;
    std::optional<Endpoint> unicast;
    bool legacy = false;
    std::uint16_t id = 0;
    std::vector<Question> questions;  // echoed in legacy unicast replies
    std::vector<ResourceRecord> answers;
    std::vector<ResourceRecord> additionals;
  };

  void rebuild_records();
  void start_probing(TimePoint now, Duration delay);
  void send_probe();
  void send_announcement(TimePoint now, bool only_changed);
  void handle_conflict(const DnsName& name, TimePoint now);
  void handle_probe_tie_break(const DnsMessage& message, TimePoint now);
  void answer(const DnsMessage& message, const Endpoint& from, TimePoint now);
  void suppress_duplicates(const DnsMessage& response);
  void flush_pending(TimePoint now);
  void emit(const std::vector<ResourceRecord>& answers,
            const std::vector<ResourceRecord>& additionals, const std::optional<Endpoint>& unicast,
            TimePoint now, std::uint16_t id = 0, const std::vector<Question>& questions = {});
  [[nodiscard]] bool conflicts_with(const ResourceRecord& theirs) const;
  [[nodiscard]] std::vector<ResourceRecord> unique_records_named(const DnsName& name) const;

  ServiceInstance service_;
  HostInfo host_;
  std::string original_instance_;
  std::string original_host_;
  unsigned instance_attempt_ = 1;
  unsigned host_attempt_ = 1;
  Random& random_;
  Options options_;
  State state_ = State::probing;
  std::vector<PublishedRecord> records_;
  std::vector<TimePoint> last_multicast_;  // per record; TimePoint{} = never

  unsigned probes_sent_ = 0;
  unsigned announcements_sent_ = 0;
  unsigned changed_announcements_left_ = 0;  // re-announcing changed records
  std::vector<std::uint16_t> changed_types_;
  std::optional<TimePoint> next_step_;    // probe or announcement
  std::optional<TimePoint> next_change_;  // re-announcement of changed records
  std::vector<TimePoint> recent_conflicts_;
  std::vector<Pending> pending_;
  std::vector<Outgoing> outgoing_;
  std::vector<Event> events_;
};

}  // namespace lp2p::mdns
