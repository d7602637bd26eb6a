// DNS wire format (RFC 1035 §4.1) with name compression, for mDNS.
//
// decode() is hardened for hostile input: every length is checked against the packet, a
// compression pointer must point strictly backwards (so no loop can form) and a name may not
// exceed 255 bytes; any violation is an Error, never a crash or an over-read. A record whose rdata
// is malformed but whose length is intact is left out and counted (DnsMessage::skipped_records).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lp2p/result.hpp"
#include "mdns/dns_message.hpp"

namespace lp2p::mdns {

Result<DnsMessage> decode(std::span<const std::uint8_t> packet);

// Encodes with name compression (owner names and the names inside PTR, SRV and NSEC rdata, as
// RFC 6762 §18.14 allows). Names must be valid (DnsName::validate).
std::vector<std::uint8_t> encode(const DnsMessage& message);

// The rdata of a record as it goes on the wire, uncompressed: what RFC 6762 §8.2 compares when
// breaking a tie between simultaneous probes.
std::vector<std::uint8_t> encode_rdata(const RecordData& data);

// Builds a packet record by record within a size limit, to split long answers into several
// packets (setting TC on all but the last of a query's known-answer packets is the caller's job).
class PacketWriter {
 public:
  explicit PacketWriter(std::size_t max_size);
  void set_header(const DnsMessage& header);  // id and flags; counts are maintained here
  // Each add returns false, and leaves the packet as it was, when the item would not fit.
  bool add_question(const Question& question);
  bool add_answer(const ResourceRecord& record);
  bool add_authority(const ResourceRecord& record);
  bool add_additional(const ResourceRecord& record);
  [[nodiscard]] bool empty() const;
  [[nodiscard]] std::vector<std::uint8_t> finish();  // the packet; the writer is reset

 private:
  bool add_record(const ResourceRecord& record, int section);
  std::size_t max_size_;
  std::vector<std::uint8_t> packet_;
  std::vector<std::pair<std::vector<std::string>, std::uint16_t>> names_;  // compression targets
  std::array<std::uint16_t, 4> counts_{};
};

}  // namespace lp2p::mdns
