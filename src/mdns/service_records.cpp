#include "mdns/service_records.hpp"

#include <algorithm>

namespace lp2p::mdns {

const DnsName& services_enumeration_name() {
  static const DnsName name({"_services", "_dns-sd", "_udp", "local"});
  return name;
}

const DnsName& local_domain() {
  static const DnsName name({"local"});
  return name;
}

DnsName instance_name(const ServiceInstance& service) {
  return service.service.with_prefix(service.instance);
}

DnsName host_name(const HostInfo& host) {
  return local_domain().with_prefix(host.label);
}

DnsName subtype_name(const ServiceInstance& service, const std::string& subtype) {
  return service.service.with_prefix("_sub").with_prefix(subtype);
}

std::vector<PublishedRecord> service_records(const ServiceInstance& service, const HostInfo& host) {
  const DnsName instance = instance_name(service);
  const DnsName hostname = host_name(host);
  auto record = [](DnsName name, RecordType type, bool unique, std::uint32_t ttl, RecordData data) {
    return PublishedRecord{ResourceRecord{std::move(name), static_cast<std::uint16_t>(type),
                                          kClassIn, unique, ttl, std::move(data)},
                           unique};
  };
  std::vector<PublishedRecord> out;
  out.push_back(
      record(service.service, RecordType::ptr, false, kOtherRecordTtl, PtrData{instance}));
  for (const auto& subtype : service.subtypes) {
    out.push_back(record(subtype_name(service, subtype), RecordType::ptr, false, kOtherRecordTtl,
                         PtrData{instance}));
  }
  out.push_back(record(services_enumeration_name(), RecordType::ptr, false, kOtherRecordTtl,
                       PtrData{service.service}));
  out.push_back(record(instance, RecordType::srv, true, kHostRecordTtl,
                       SrvData{0, 0, service.port, hostname}));
  out.push_back(record(instance, RecordType::txt, true, kOtherRecordTtl, TxtData{service.txt}));
  bool has_v4 = false;
  bool has_v6 = false;
  for (const auto& address : host.addresses) {
    if (address.v6) {
      has_v6 = true;
      AaaaData data;
      data.address = address.bytes;
      out.push_back(record(hostname, RecordType::aaaa, true, kHostRecordTtl, data));
    } else {
      has_v4 = true;
      AData data;
      std::copy_n(address.bytes.begin(), 4, data.address.begin());
      out.push_back(record(hostname, RecordType::a, true, kHostRecordTtl, data));
    }
  }
  // NSEC (RFC 6762 §6.1): says which types these names have, so that a query for a missing type
  // (AAAA on an IPv4-only host) gets a negative answer instead of silence.
  out.push_back(record(instance, RecordType::nsec, true, kHostRecordTtl,
                       NsecData{instance,
                                {static_cast<std::uint16_t>(RecordType::txt),
                                 static_cast<std::uint16_t>(RecordType::srv)}}));
  std::vector<std::uint16_t> host_types;
  if (has_v4) host_types.push_back(static_cast<std::uint16_t>(RecordType::a));
  if (has_v6) host_types.push_back(static_cast<std::uint16_t>(RecordType::aaaa));
  out.push_back(
      record(hostname, RecordType::nsec, true, kHostRecordTtl, NsecData{hostname, host_types}));
  return out;
}

std::string utf8_prefix(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so the cut falls before a lead byte.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0U) == 0x80U) --cut;
  return text.substr(0, cut);
}

std::string renamed_instance(const std::string& original, unsigned attempt) {
  const std::string suffix = " (" + std::to_string(attempt) + ")";
  return utf8_prefix(original, kMaxLabelSize - suffix.size()) + suffix;
}

std::string renamed_host(const std::string& original, unsigned attempt) {
  const std::string suffix = "-" + std::to_string(attempt);
  return utf8_prefix(original, kMaxLabelSize - suffix.size()) + suffix;
}

}  // namespace lp2p::mdns
