#include "osp/local_agent.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>

#include "common/base64.hpp"
#include "lp2p/version.hpp"

namespace lp2p::osp {
namespace {

constexpr std::size_t kStateTokenLength = 8;
constexpr std::size_t kAuthTokenLength = 9;

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

// The token kept in `path` if it is `valid`, else a new one from `make`, kept there (written to a
// temporary name and renamed, so a crash leaves the old file or the new one).
Result<std::string> load_or_create_token(const std::filesystem::path& path,
                                         const std::function<bool(const std::string&)>& valid,
                                         const std::function<std::string()>& make) {
  {
    std::ifstream in(path);
    std::string token;
    if (in >> token && valid(token)) return token;
  }
  std::string token = make();
  auto temporary = path;
  temporary += ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << token << '\n';
    out.flush();
    if (!out) return make_error(Errc::io_error, "cannot write " + temporary.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error)
    return make_error(Errc::io_error, "cannot write " + path.string() + ": " + error.message());
  return token;
}

}  // namespace

Result<std::string> load_or_create_state_token(const std::filesystem::path& dir) {
  return load_or_create_token(dir / "agent-state-token", valid_state_token, [] {
    static constexpr std::string_view kAlphabet =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::random_device random;
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    std::string token;
    for (std::size_t i = 0; i < kStateTokenLength; ++i) token.push_back(kAlphabet[pick(random)]);
    return token;
  });
}

Result<std::string> load_or_create_auth_token(const std::filesystem::path& dir) {
  const auto valid = [](const std::string& token) {
    return token.size() == kAuthTokenLength && std::all_of(token.begin(), token.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
           });
  };
  return load_or_create_token(dir / "agent-auth-token", valid, [] {
    std::array<std::uint8_t, 9> random{};
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    return base64(random).substr(0, kAuthTokenLength);  // 9 characters carry 54 bits
  });
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
  auto auth_token = load_or_create_auth_token(o.state_dir);
  if (!auth_token) return auth_token.error();
  agent->auth_token_ = std::move(*auth_token);
  auto store = store::Store::open(o.state_dir);
  if (!store) return store.error();
  agent->store_ = std::move(*store);
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  auto replaced = agent->store_->record_identity(agent->identity_.fingerprint(), now);
  if (!replaced) return replaced.error();
  if (*replaced) {
    spdlog::warn(
        "agent: the key in {} is not the one the store knew: paired devices will see a "
        "new device and must pair again",
        o.state_dir.string());
  }
  agent->info_ = wire::AgentInfo{
      o.display_name,
      o.model_name,
      {wire::AgentCapability::data_channels, wire::AgentCapability::quick_transport},
      *token,
      environment_locales()};
  auto credentials = quic::TlsCredentials::create(agent->certificate_.der, agent->identity_.key());
  if (!credentials) return credentials.error();
  agent->credentials_ = *credentials;
  quic::Endpoint::Options endpoint_options;
  endpoint_options.transport = o.transport;
  endpoint_options.transport.also_accept = {wire::kQuicTransportAlpn};
  endpoint_options.socket = o.socket;
  endpoint_options.port = o.port;
  endpoint_options.own_fingerprint = agent->identity_.fingerprint();
  endpoint_options.duplicate_close_code = static_cast<std::uint64_t>(CloseCode::normal);
  auto endpoint = quic::Endpoint::create(io, std::move(*credentials), endpoint_options);
  if (!endpoint) return endpoint.error();
  agent->endpoint_ = std::move(*endpoint);
  LocalAgent* raw = agent.get();
  agent->endpoint_->on_incoming([raw](const std::shared_ptr<quic::Connection>& connection) {
    if (connection->alpn() == wire::kQuicTransportAlpn) {
      if (raw->on_transport_) return raw->on_transport_(connection);
      return connection->close(static_cast<std::uint64_t>(CloseCode::normal),
                               "no QUIC transports here");
    }
    auto session = raw->start_session(connection, std::nullopt);
    spdlog::info("osp: {} connected from {}", connection->peer_fingerprint(),
                 connection->remote().to_string());
    if (raw->on_session_) raw->on_session_(session);
  });
  return agent;
}

LocalAgent::LocalAgent(boost::asio::io_context& io, Options options, auth::Identity identity)
    : io_(io),
      options_(std::move(options)),
      identity_(std::move(identity)),
      limiter_(options_.pairing.limits) {}

LocalAgent::~LocalAgent() {
  stop();
}

std::shared_ptr<PeerSession> LocalAgent::start_session(
    const std::shared_ptr<quic::Connection>& connection, std::optional<std::string> peer_token) {
  if (auto it = sessions_.find(connection.get()); it != sessions_.end()) {
    if (auto existing = it->second.lock()) return existing;
  }
  const PairingOptions& pairing = options_.pairing;
  Session::Options options;
  options.local_info = info_;
  options.keepalive_interval = options_.keepalive_interval;
  options.next_request_id = [this] { return next_request_id(); };
  Authenticator::Options& auth = options.auth;
  auth.local_fingerprint = identity_.fingerprint();
  auth.peer_fingerprint = connection->peer_fingerprint();
  auth.we_are_server = !connection->is_client();
  auth.capabilities = pairing.capabilities;
  auth.token = auth.we_are_server ? std::optional(auth_token_) : std::move(peer_token);
  auth.require_token = pairing.require_token;
  auth.accept_pairing = pairing.accept_pairing;
  auth.password_hash = pairing.password_hash;
  auth.user_timeout = pairing.user_timeout;
  auth.limiter = &limiter_;
  std::erase_if(sessions_, [](const auto& entry) { return entry.second.expired(); });
  auto session = PeerSession::start(io_, connection, std::move(options), {});
  sessions_[connection.get()] = session;
  watch(session);
  return session;
}

void LocalAgent::watch(const std::shared_ptr<PeerSession>& session) {
  const std::string& fingerprint = session->connection().peer_fingerprint();
  if (auto known = store_->peer(fingerprint); !known) {
    spdlog::warn("agent: store: {}", known.error().describe());
  } else if (*known && (*known)->authenticated_at) {
    spdlog::info("agent: {} is paired (since Unix time {}): no pairing needed", fingerprint,
                 (*known)->authenticated_at->time_since_epoch().count());
    session->session().set_authenticated();
  }
  PeerSession::Events events;
  std::weak_ptr<PeerSession> weak = session;
  events.on_peer_info = [this, weak](const wire::AgentInfo& /*info*/, bool verified) {
    if (auto s = weak.lock(); s && verified) remember_peer(*s, false);
  };
  events.on_authenticated = [this, weak] {
    if (auto s = weak.lock()) remember_peer(*s, true);
  };
  session->set_owner_events(std::move(events));
}

void LocalAgent::remember_peer(PeerSession& session, bool authenticated) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  store::KnownPeer seen;
  seen.fingerprint = session.connection().peer_fingerprint();
  if (const auto& info = session.session().peer_info()) {
    seen.display_name = info->display_name;
    seen.model_name = info->model_name;
    seen.state_token = info->state_token;
  }
  seen.last_addresses = {session.connection().remote().to_string()};
  const Result<void> stored =
      authenticated ? store_->note_paired_peer(seen, now) : store_->note_peer(seen, now);
  if (!stored) {
    spdlog::error("agent: cannot remember {} in the store: {}", seen.fingerprint,
                  stored.error().describe());
  }
}

void LocalAgent::connect(const quic::SocketAddress& to, const std::string& fingerprint,
                         const std::string& sni, ConnectHandler handler,
                         std::optional<std::string> peer_token) {
  endpoint_->dial(to, fingerprint, sni,
                  [this, handler = std::move(handler), peer_token = std::move(peer_token)](
                      Result<std::shared_ptr<quic::Connection>> connection) mutable {
                    if (!connection) {
                      handler(connection.error());
                      return;
                    }
                    handler(start_session(*connection, std::move(peer_token)));
                  });
}

Result<std::shared_ptr<quic::Endpoint>> LocalAgent::make_transport_dialer() {
  quic::Endpoint::Options options;
  options.transport = options_.transport;
  options.transport.alpn = wire::kQuicTransportAlpn;
  options.socket = options_.socket;
  options.own_fingerprint = identity_.fingerprint();
  options.duplicate_close_code = static_cast<std::uint64_t>(CloseCode::normal);
  auto endpoint = quic::Endpoint::create(io_, credentials_, options);
  if (!endpoint) return std::move(endpoint).error();
  // It only dials: a peer's Initial sent to it is refused.
  (*endpoint)->on_incoming([](const std::shared_ptr<quic::Connection>& connection) {
    connection->close(static_cast<std::uint64_t>(CloseCode::normal), "this socket only dials");
  });
  return endpoint;
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
