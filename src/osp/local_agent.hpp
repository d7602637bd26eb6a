// This device's OSP agent on the network: its identity and certificate (from the state
// directory), its QUIC endpoint on the agent's one UDP port, and an OSP session on every
// connection, in both roles. The seed of the public Agent: what it does here is the part of the
// user agent that needs no user — connect, exchange agent-info, keep alive, refuse what needs
// authentication.
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

#include "auth/certificate_store.hpp"
#include "auth/identity.hpp"
#include "lp2p/result.hpp"
#include "osp/peer_session.hpp"
#include "quic/endpoint.hpp"

namespace lp2p::osp {

class LocalAgent {
 public:
  struct Options {
    std::filesystem::path state_dir;
    std::string display_name;  // also the DNS-SD instance name, hence the certificate hostname
    std::string model_name;    // empty: "lp2p <version>"
    std::uint16_t port = 0;
    quic::TransportConfig transport;
    quic::UdpSocket::Options socket;
    std::chrono::milliseconds keepalive_interval{15000};
  };
  using SessionHandler = std::function<void(const std::shared_ptr<PeerSession>& session)>;
  using ConnectHandler = std::function<void(Result<std::shared_ptr<PeerSession>> session)>;

  static Result<std::unique_ptr<LocalAgent>> create(boost::asio::io_context& io, Options options);
  LocalAgent(const LocalAgent&) = delete;
  LocalAgent& operator=(const LocalAgent&) = delete;
  LocalAgent(LocalAgent&&) = delete;
  LocalAgent& operator=(LocalAgent&&) = delete;
  ~LocalAgent();

  // Sessions peers opened to us, once their connection is established.
  void on_session(SessionHandler handler) { on_session_ = std::move(handler); }

  // Dials a peer whose fingerprint must be `fingerprint`; `sni` is its agent hostname.
  void connect(const quic::SocketAddress& to, const std::string& fingerprint,
               const std::string& sni, ConnectHandler handler);

  // Our agent-info changed (display name): sends agent-info-event on every session.
  void set_display_name(const std::string& name);

  // Closes every connection with 5139 and stops the endpoint.
  void stop();

  [[nodiscard]] const std::string& fingerprint() const { return identity_.fingerprint(); }
  [[nodiscard]] const auth::AgentCertificate& certificate() const { return certificate_; }
  [[nodiscard]] const wire::AgentInfo& agent_info() const { return info_; }
  [[nodiscard]] std::uint16_t port() const { return endpoint_->port(); }
  [[nodiscard]] quic::Endpoint& endpoint() { return *endpoint_; }
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
  std::shared_ptr<PeerSession> start_session(const std::shared_ptr<quic::Connection>& connection);
  std::uint64_t next_request_id() { return next_request_id_++; }

  boost::asio::io_context& io_;
  Options options_;
  auth::Identity identity_;
  auth::AgentCertificate certificate_;
  wire::AgentInfo info_;
  std::shared_ptr<quic::Endpoint> endpoint_;
  // One session per connection; the map lets a dial that reuses a connection find its session.
  // A session lives while its connection is open; expired entries are pruned as sessions start.
  std::map<const quic::Connection*, std::weak_ptr<PeerSession>> sessions_;
  std::uint64_t next_request_id_ = 1;  // per agent, from 1 (osp-brief §3.1)
  SessionHandler on_session_;
};

// The agent's state token (osp-brief §3.2): 8 characters of [0-9A-Za-z], made once and kept in
// the state directory (agent-state-token); a new one only when the agent loses its state.
Result<std::string> load_or_create_state_token(const std::filesystem::path& dir);

// The locales of this process's environment (LC_ALL, LC_MESSAGES, LANG) as BCP 47 tags.
std::vector<std::string> environment_locales();

}  // namespace lp2p::osp
