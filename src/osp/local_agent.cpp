#include "osp/local_agent.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "lp2p/version.hpp"

namespace lp2p::osp {
namespace {

constexpr std::size_t kStateTokenLength = 8;

bool valid_state_token(const std::string& token) {
  if (token.size() != kStateTokenLength) return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

// "en_US.UTF-8" → "en-US"; "C" and "POSIX" name no language.
std::string bcp47_of(std::string value) {
  if (auto at = value.find_first_of(".@"); at != std::string::npos) value.resize(at);
  if (value.empty() || value == "C" || value == "POSIX") return {};
  std::replace(value.begin(), value.end(), '_', '-');
  return value;
}

}  // namespace

Result<std::string> load_or_create_state_token(const std::filesystem::path& dir) {
  const auto path = dir / "agent-state-token";
  {
    std::ifstream in(path);
    std::string token;
    if (in >> token && valid_state_token(token)) return token;
  }
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::random_device random;
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string token;
  for (std::size_t i = 0; i < kStateTokenLength; ++i) token.push_back(kAlphabet[pick(random)]);
  std::ofstream out(path, std::ios::trunc);
  out << token << '\n';
  if (!out) return make_error(Errc::io_error, "cannot write " + path.string());
  return token;
}

std::vector<std::string> environment_locales() {
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    auto tag = bcp47_of(value);
    if (tag.empty()) return {};
    return {tag};
  }
  return {};
}

Result<std::unique_ptr<LocalAgent>> LocalAgent::create(boost::asio::io_context& io,
                                                       Options options) {
  auto identity = auth::Identity::load_or_create(options.state_dir);
  if (!identity) return identity.error();
  if (options.model_name.empty()) options.model_name = std::string("lp2p ") + kVersion;
  std::unique_ptr<LocalAgent> agent(new LocalAgent(io, std::move(options), std::move(*identity)));
  const Options& o = agent->options_;
  auto certificate =
      auth::load_or_issue_certificate(o.state_dir, agent->identity_, o.display_name, o.model_name);
  if (!certificate) return certificate.error();
  agent->certificate_ = std::move(*certificate);
  auto token = load_or_create_state_token(o.state_dir);
  if (!token) return token.error();
  agent->info_ = wire::AgentInfo{
      o.display_name,
      o.model_name,
      {wire::AgentCapability::data_channels, wire::AgentCapability::quick_transport},
      *token,
      environment_locales()};
  auto credentials = quic::TlsCredentials::create(agent->certificate_.der, agent->identity_.key());
  if (!credentials) return credentials.error();
  quic::Endpoint::Options endpoint_options;
  endpoint_options.transport = o.transport;
  endpoint_options.socket = o.socket;
  endpoint_options.port = o.port;
  endpoint_options.own_fingerprint = agent->identity_.fingerprint();
  endpoint_options.duplicate_close_code = static_cast<std::uint64_t>(CloseCode::normal);
  auto endpoint = quic::Endpoint::create(io, std::move(*credentials), endpoint_options);
  if (!endpoint) return endpoint.error();
  agent->endpoint_ = std::move(*endpoint);
  LocalAgent* raw = agent.get();
  agent->endpoint_->on_incoming([raw](const std::shared_ptr<quic::Connection>& connection) {
    auto session = raw->start_session(connection);
    spdlog::info("osp: {} connected from {}", connection->peer_fingerprint(),
                 connection->remote().to_string());
    if (raw->on_session_) raw->on_session_(session);
  });
  return agent;
}

LocalAgent::LocalAgent(boost::asio::io_context& io, Options options, auth::Identity identity)
    : io_(io), options_(std::move(options)), identity_(std::move(identity)) {}

LocalAgent::~LocalAgent() {
  stop();
}

std::shared_ptr<PeerSession> LocalAgent::start_session(
    const std::shared_ptr<quic::Connection>& connection) {
  if (auto it = sessions_.find(connection.get()); it != sessions_.end()) {
    if (auto existing = it->second.lock()) return existing;
  }
  Session::Options options;
  options.local_info = info_;
  options.keepalive_interval = options_.keepalive_interval;
  options.next_request_id = [this] { return next_request_id(); };
  std::erase_if(sessions_, [](const auto& entry) { return entry.second.expired(); });
  auto session = PeerSession::start(io_, connection, std::move(options), {});
  sessions_[connection.get()] = session;
  return session;
}

void LocalAgent::connect(const quic::SocketAddress& to, const std::string& fingerprint,
                         const std::string& sni, ConnectHandler handler) {
  endpoint_->dial(
      to, fingerprint, sni,
      [this, handler = std::move(handler)](Result<std::shared_ptr<quic::Connection>> connection) {
        if (!connection) {
          handler(connection.error());
          return;
        }
        handler(start_session(*connection));
      });
}

void LocalAgent::set_display_name(const std::string& name) {
  info_.display_name = name;
  for (auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) session->session().update_local_info(info_, Clock::now());
  }
}

void LocalAgent::stop() {
  if (endpoint_) {
    endpoint_->stop(static_cast<std::uint64_t>(CloseCode::normal), "agent stopping");
  }
}

}  // namespace lp2p::osp
