#include "discovery/dns_sd_provider.hpp"

#include <spdlog/spdlog.h>

#include "common/ascii.hpp"
#include "mdns/service_records.hpp"

namespace lp2p::discovery {
namespace {

// A DNS-friendly host label unique to this agent: "lp2p-" and the start of its fingerprint.
std::string host_label(const std::string& fingerprint) {
  std::string label = "lp2p-";
  for (const char c : fingerprint.substr(0, 12))
    label.push_back(std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '-');
  return ascii_lower(label);
}

// The DNS-SD subtype label of an app group: "_" + group, as RFC 6763 §7.1 subtypes are written
// (python3-zeroconf, for one, browses only underscore subtypes).
std::string subtype_label(const std::string& group) {
  return group.starts_with('_') ? group : "_" + group;
}

}  // namespace

const mdns::DnsName& openscreen_service() {
  static const mdns::DnsName name({"_openscreen", "_udp", "local"});
  return name;
}

std::string instance_label(std::string_view display_name) {
  if (display_name.size() <= mdns::kMaxLabelSize) return std::string(display_name);
  return mdns::utf8_prefix(std::string(display_name), mdns::kMaxLabelSize - 1) + '\0';
}

Result<std::unique_ptr<Provider>> DnsSdProvider::create(const ProviderContext& context) {
  if (context.group.size() + 1 > mdns::kMaxLabelSize) {
    return make_error(Errc::invalid_argument, "group name longer than 62 bytes: " + context.group);
  }
  return std::unique_ptr<Provider>(new DnsSdProvider(context));
}

Result<void> DnsSdProvider::ensure_engine() {
  if (engine_) return {};
  mdns::MdnsEngine::Options options;
  options.interfaces = context_.interfaces;
  options.ipv4 = context_.ipv4;
  options.ipv6 = context_.ipv6;
  auto engine = mdns::MdnsEngine::create(context_.io, options);
  if (!engine) return std::move(engine).error();
  engine_ = std::move(*engine);
  engine_->on_service(
      [this](const mdns::ServiceEvent& e, const mdns::NetInterface& itf) { on_service(e, itf); });
  engine_->on_renamed(
      [this](const std::string& instance, const std::string&) { instance_ = instance; });
  engine_->on_announced([this](const mdns::NetInterface&) { context_.announced(); });
  return {};
}

mdns::DnsName DnsSdProvider::browse_name() const {
  if (context_.group.empty()) return openscreen_service();
  return openscreen_service().with_prefix("_sub").with_prefix(subtype_label(context_.group));
}

Result<void> DnsSdProvider::start_browsing() {
  LP2P_TRY(ensure_engine());
  if (!browsing_) engine_->browse(browse_name());
  browsing_ = true;
  return {};
}

void DnsSdProvider::stop_browsing() {
  if (!engine_ || !browsing_) return;
  engine_->stop_browse(browse_name());
  browsing_ = false;
}

Result<void> DnsSdProvider::start_publishing(const PublishInfo& info) {
  if (info.port == 0)
    return make_error(Errc::invalid_argument, "publishing needs the port peers connect to");
  LP2P_TRY(ensure_engine());
  instance_ = instance_label(info.display_name);
  mdns::ServiceInstance service{
      instance_, openscreen_service(), {}, info.port, to_txt(info.metadata)};
  if (!context_.group.empty()) service.subtypes.push_back(subtype_label(context_.group));
  engine_->publish(std::move(service), host_label(info.fingerprint));
  return {};
}

void DnsSdProvider::stop_publishing() {
  if (engine_) engine_->unpublish();
}

void DnsSdProvider::shutdown() {
  Provider::shutdown();
  engine_.reset();  // the goodbyes went out in unpublish; this closes the sockets
}

void DnsSdProvider::update_metadata(const Metadata& metadata) {
  if (engine_) engine_->update_txt(to_txt(metadata));
}

void DnsSdProvider::on_service(const mdns::ServiceEvent& event, const mdns::NetInterface& itf) {
  const std::string key = ascii_lower(event.service.instance.to_string()) + "%" + itf.name;
  if (event.kind == mdns::ServiceEvent::Kind::removed) {
    context_.directory.remove(kDnsSdProvider, key);
    context_.changed();
    return;
  }
  const Metadata metadata = parse_txt(event.service.txt);
  auto osp = osp_metadata(metadata);
  if (!osp) {
    spdlog::warn("dns-sd: ignoring \"{}\" on {}: {}", event.service.label, itf.name,
                 osp.error().message);
    context_.directory.remove(kDnsSdProvider, key);
    context_.changed();
    return;
  }
  Sighting s;
  s.provider = std::string(kDnsSdProvider);
  s.key = key;
  s.fingerprint = osp->fingerprint;
  s.name = event.service.label;
  if (!s.name.empty() && s.name.back() == '\0') {
    s.name.pop_back();
    s.name_truncated = true;
  }
  for (const auto& ip : event.service.addresses)
    s.addresses.push_back({ip, event.service.port, itf.index});
  s.metadata = metadata;
  context_.directory.update(std::move(s));
  context_.changed();
}

}  // namespace lp2p::discovery
