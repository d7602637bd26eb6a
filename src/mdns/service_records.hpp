// The DNS-SD records (RFC 6763) that describe one service instance on one host, with the RFC 6762
// §10 TTLs. Used by the responder to publish and by tests to build expectations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mdns/dns_message.hpp"
#include "mdns/endpoint.hpp"

namespace lp2p::mdns {

inline constexpr std::uint32_t kHostRecordTtl = 120;    // SRV, A, AAAA, NSEC: name a host
inline constexpr std::uint32_t kOtherRecordTtl = 4500;  // PTR, TXT
const DnsName& services_enumeration_name();             // _services._dns-sd._udp.local
const DnsName& local_domain();                          // local

struct ServiceInstance {
  std::string instance;               // the instance label, at most 63 bytes
  DnsName service;                    // e.g. _openscreen._udp.local
  std::vector<std::string> subtypes;  // each published as <subtype>._sub.<service>
  std::uint16_t port = 0;
  std::vector<std::string> txt;  // "key=value" strings
};

struct HostInfo {
  std::string label;  // the host name's first label; the name is <label>.local
  std::vector<IpAddress> addresses;
};

struct PublishedRecord {
  ResourceRecord record;
  bool unique = false;  // owned by this host alone (cache-flush, probed); PTRs are shared
};

DnsName instance_name(const ServiceInstance& service);
DnsName host_name(const HostInfo& host);
DnsName subtype_name(const ServiceInstance& service, const std::string& subtype);

// Every record to publish, unique records with the cache-flush bit set.
std::vector<PublishedRecord> service_records(const ServiceInstance& service, const HostInfo& host);

// The name with " (N)" appended for the Nth attempt (RFC 6763 §9 style), kept within 63 bytes by
// cutting the base on a UTF-8 code point boundary.
std::string renamed_instance(const std::string& original, unsigned attempt);
// host label "-N" suffix, likewise.
std::string renamed_host(const std::string& original, unsigned attempt);

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string utf8_prefix(const std::string& text, std::size_t max_bytes);

}  // namespace lp2p::mdns
