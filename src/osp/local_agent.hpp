// This device's OSP agent on the network: its identity and certificate (from the state
// directory), its store of known peers (store/store.hpp), its QUIC endpoint on the agent's one
// UDP port, and an OSP session on every connection, in both roles. The seed of the public Agent:
// what it does here is the part of the user agent that needs no user — connect, exchange
// agent-info, keep alive, refuse what needs authentication, trust the peers paired before, and
// remember the ones that pair now. Showing and typing codes is the application's (PeerSession's
// events; PeerSession::pair / enter_code).
//
// Trust: a session whose peer fingerprint the store marks authenticated is authenticated at once
// (no pairing). A pairing that succeeds marks the peer authenticated in the store, with its
// verified agent-info and address. Only verified agent-info is stored: a device that merely
// connects leaves nothing behind.
//
// Contract: created and used on the event-loop thread of `io`; handlers run there.
#pragma once

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/attempt_limiter.hpp"
#include "auth/certificate_store.hpp"
#include "auth/identity.hpp"
#include "lp2p/result.hpp"
#include "osp/peer_session.hpp"
#include "quic/endpoint.hpp"
#include "store/store.hpp"

namespace lp2p::osp {

class LocalAgent {
 public:
  struct PairingOptions {
    wire::AuthCapabilities capabilities{50, {wire::PskInputMethod::numeric}, 20};
    bool require_token = true;    // refuse pairings without our `at` (§4.6); off for go-lp2p
    bool accept_pairing = false;  // answer pairings that peers start (advertise, receive)
    auth::PasswordHash password_hash = auth::PasswordHash::sha256;
    std::chrono::milliseconds user_timeout{60000};
    auth::AttemptLimiter::Options limits;
  };
  struct Options {
    std::filesystem::path state_dir;
    std::string display_name;  // also the DNS-SD instance name, hence the certificate hostname
    std::string model_name;    // empty: "lp2p <version>"
    std::uint16_t port = 0;
    quic::TransportConfig transport;
    quic::UdpSocket::Options socket;
    std::chrono::milliseconds keepalive_interval{15000};
    PairingOptions pairing;
  };
  using SessionHandler = std::function<void(const std::shared_ptr<PeerSession>& session)>;
  using ConnectHandler = std::function<void(Result<std::shared_ptr<PeerSession>> session)>;
  using TransportHandler = std::function<void(const std::shared_ptr<quic::Connection>& connection)>;

  static Result<std::unique_ptr<LocalAgent>> create(boost::asio::io_context& io, Options options);
  LocalAgent(const LocalAgent&) = delete;
  LocalAgent& operator=(const LocalAgent&) = delete;
  LocalAgent(LocalAgent&&) = delete;
  LocalAgent& operator=(LocalAgent&&) = delete;
  ~LocalAgent();

  // Sessions peers opened to us, once their connection is established.
  void on_session(SessionHandler handler) { on_session_ = std::move(handler); }
  // Connections peers opened to us for an LP2P QUIC transport (ALPN q2q), once established
  // (TLS-authenticated: the peer's fingerprint is known; whether it is trusted is the handler's
  // question). Without a handler they are closed.
  void on_transport(TransportHandler handler) { on_transport_ = std::move(handler); }
  // A QUIC endpoint of its own (a new UDP socket, any port) that dials LP2P QUIC transports with
  // this agent's identity.
  Result<std::shared_ptr<quic::Endpoint>> make_transport_dialer();

  // Dials a peer whose fingerprint must be `fingerprint`; `sni` is its agent hostname and
  // `peer_token` its `at` (from its TXT record or ticket), which pairing needs.
  void connect(const quic::SocketAddress& to, const std::string& fingerprint,
               const std::string& sni, ConnectHandler handler,
               std::optional<std::string> peer_token = std::nullopt);

  // Our agent-info changed (display name): sends agent-info-event on every session.
  void set_display_name(const std::string& name);

  // Whether sessions that start from now on answer pairings peers start (PairingOptions).
  void set_accept_pairing(bool accept) { options_.pairing.accept_pairing = accept; }

  // Closes every connection with 5139 and stops the endpoint.
  void stop();

  [[nodiscard]] const std::string& fingerprint() const { return identity_.fingerprint(); }
  [[nodiscard]] const auth::AgentCertificate& certificate() const { return certificate_; }
  [[nodiscard]] const wire::AgentInfo& agent_info() const { return info_; }
  [[nodiscard]] std::uint16_t port() const { return endpoint_->port(); }
  [[nodiscard]] quic::Endpoint& endpoint() { return *endpoint_; }
  [[nodiscard]] store::Store& store() { return *store_; }
  // Our auth-initiation token (`at`), published in TXT and tickets.
  [[nodiscard]] const std::string& auth_token() const { return auth_token_; }
  // The agent-wide request-id counter (osp-brief §3.1), shared with data channels.
  std::uint64_t next_request_id() { return next_request_id_++; }
  // Sessions whose connection is open.
  [[nodiscard]] std::size_t session_count() const {
    return static_cast<std::size_t>(
        std::count_if(sessions_.begin(), sessions_.end(), [](const auto& entry) {
          const auto session = entry.second.lock();
          return session && session->open();
        }));
  }

 private:
  LocalAgent(boost::asio::io_context& io, Options options, auth::Identity identity);
  std::shared_ptr<PeerSession> start_session(const std::shared_ptr<quic::Connection>& connection,
                                             std::optional<std::string> peer_token);
  // Store bookkeeping for one session (see the trust paragraph above).
  void watch(const std::shared_ptr<PeerSession>& session);
  void remember_peer(PeerSession& session, bool authenticated);

  boost::asio::io_context& io_;
  Options options_;
  auth::Identity identity_;
  auth::AgentCertificate certificate_;
  wire::AgentInfo info_;
  std::unique_ptr<store::Store> store_;
  std::string auth_token_;
  auth::AttemptLimiter limiter_;
  std::shared_ptr<quic::Endpoint> endpoint_;
  // One session per connection; the map lets a dial that reuses a connection find its session.
  // A session lives while its connection is open; expired entries are pruned as sessions start.
  std::map<const quic::Connection*, std::weak_ptr<PeerSession>> sessions_;
  std::uint64_t next_request_id_ = 1;  // per agent, from 1 (osp-brief §3.1)
  SessionHandler on_session_;
  TransportHandler on_transport_;
  std::shared_ptr<quic::TlsCredentials> credentials_;
};

// The agent's state token (osp-brief §3.2): 8 characters of [0-9A-Za-z], made once and kept in
// the state directory (agent-state-token); a new one only when the agent loses its state.
Result<std::string> load_or_create_state_token(const std::filesystem::path& dir);

// The agent's auth-initiation token (osp-brief §1.2 `at`): 9 characters of [A-Za-z0-9+/]
// (54 bits), made once and kept in the state directory (agent-auth-token) so that tickets and
// TXT records of every run carry the same one.
Result<std::string> load_or_create_auth_token(const std::filesystem::path& dir);

// The locales of this process's environment (LC_ALL, LC_MESSAGES, LANG) as BCP 47 tags.
std::vector<std::string> environment_locales();

}  // namespace lp2p::osp
