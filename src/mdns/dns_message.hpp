// DNS messages as mDNS uses them (RFC 1035 §4, RFC 6762 §18): questions with the unicast-response
// bit, records with the cache-flush bit, and the record types DNS-SD needs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "mdns/dns_name.hpp"

namespace lp2p::mdns {

enum class RecordType : std::uint16_t {
  a = 1,
  ptr = 12,
  txt = 16,
  aaaa = 28,
  srv = 33,
  nsec = 47,
  any = 255,
};

inline constexpr std::uint16_t kClassIn = 1;
inline constexpr std::uint16_t kTopBit = 0x8000;  // QU bit in questions, cache-flush in records

struct PtrData {
  DnsName target;
  bool operator==(const PtrData&) const = default;
};

struct SrvData {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  DnsName target;
  bool operator==(const SrvData&) const = default;
};

// RFC 6763 §6: a sequence of strings of at most 255 bytes each ("key=value"). An empty sequence is
// sent as one empty string, as the RFC requires.
struct TxtData {
  std::vector<std::string> strings;
  bool operator==(const TxtData&) const = default;
};

struct AData {
  std::array<std::uint8_t, 4> address{};
  bool operator==(const AData&) const = default;
};

struct AaaaData {
  std::array<std::uint8_t, 16> address{};
  bool operator==(const AaaaData&) const = default;
};

// RFC 4034 §4 NSEC as RFC 6762 §6.1 uses it: "these are all the types this name has".
struct NsecData {
  DnsName next;
  std::vector<std::uint16_t> types;  // ascending
  bool operator==(const NsecData&) const = default;
};

// Any other type, kept as opaque rdata.
struct RawData {
  std::vector<std::uint8_t> bytes;
  bool operator==(const RawData&) const = default;
};

using RecordData = std::variant<PtrData, SrvData, TxtData, AData, AaaaData, NsecData, RawData>;

struct Question {
  DnsName name;
  std::uint16_t type = 0;
  std::uint16_t rrclass = kClassIn;  // without the QU bit
  bool unicast_response = false;     // QU (RFC 6762 §5.4)
  bool operator==(const Question&) const = default;
};

struct ResourceRecord {
  DnsName name;
  std::uint16_t type = 0;
  std::uint16_t rrclass = kClassIn;  // without the cache-flush bit
  bool cache_flush = false;          // RFC 6762 §10.2
  std::uint32_t ttl = 0;
  RecordData data;
  bool operator==(const ResourceRecord&) const = default;
};

struct DnsMessage {
  std::uint16_t id = 0;  // 0 in multicast mDNS
  bool response = false;
  bool authoritative = false;
  bool truncated = false;  // TC: more known answers follow in the next packet (RFC 6762 §7.2)
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authorities;
  std::vector<ResourceRecord> additionals;
  // Records left out by decode() because their rdata was malformed (their length was intact).
  std::uint16_t skipped_records = 0;
  bool operator==(const DnsMessage&) const = default;
};

}  // namespace lp2p::mdns
