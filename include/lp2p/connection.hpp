// A connection (LP2PConnection): one origin's use of one authenticated peer. The agent keeps one
// QUIC connection per peer and every origin granted that peer shares it; each origin sees only
// its own Connection and channels.
//
// Contract:
// - A cheap shared handle; copies refer to the same connection. Methods are thread-safe;
//   handlers run on the agent's loop thread and may call any method.
// - `close` fires exactly once, with the reason, whatever ended the connection: close() here,
//   the peer, the grant revoked (Agent::revoke), inactivity (AgentOptions::inactivity_timeout),
//   the network, or the agent stopping. Every channel of the connection closes first. A handler
//   set after the end fires at once (on the loop thread).
// - Incoming channels: a channel the peer opens is handed to `data_channel`; channels that
//   arrive before a handler is set wait for it (up to a bound, then they are refused).
// - The agent keeps the connection until it ends; dropping every handle does not close it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "lp2p/data_channel.hpp"
#include "lp2p/peer.hpp"
#include "lp2p/result.hpp"

namespace lp2p {

namespace api {
class ConnectionImpl;
}

struct ConnectionClosed {
  enum class Why {
    closed_here,     // Connection::close()
    closed_by_peer,  // the peer closed the QUIC connection
    revoked,         // the origin's grant of this peer was revoked
    inactive,        // no application traffic for the inactivity timeout
    lost,            // the network: idle timeout, unreachable, protocol error
    agent_stopped,
  };
  Why why = Why::closed_here;
  std::string reason;  // for people and logs
};

class Connection {
 public:
  Connection() = default;
  explicit Connection(std::shared_ptr<api::ConnectionImpl> impl) : impl_(std::move(impl)) {}

  explicit operator bool() const { return impl_ != nullptr; }
  bool operator==(const Connection& other) const { return impl_ == other.impl_; }

  [[nodiscard]] const PeerInfo& peer() const;
  [[nodiscard]] const std::string& origin() const;
  [[nodiscard]] bool is_open() const;

  // Opens a channel to the peer. Errors: closed; refused (the peer did not advertise data
  // channels, capability 1100); invalid_argument (an id in use or over 65534).
  Result<DataChannel> create_data_channel(const std::string& label, DataChannelInit init = {});

  void on_data_channel(std::function<void(DataChannel channel)> handler);
  void on_close(std::function<void(const ConnectionClosed& closed)> handler);

  // Closes this origin's use of the peer: its channels close; the QUIC connection closes when
  // no origin uses it any more.
  void close();

 private:
  friend class QuicTransport;
  std::shared_ptr<api::ConnectionImpl> impl_;
};

}  // namespace lp2p
