// Finding the device a person named on the command line (`lp2p info PEER`, `lp2p pair PEER`):
// a ticket, HOST:PORT with --fp, or a name (or its start) or fingerprint prefix looked up with
// mDNS until a deadline.
//
// Contract: runs on the io_context's thread; exactly one of the callbacks is called, once,
// unless the io_context stops first. The finder must outlive the search.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent_options.hpp"
#include "discovery/discovery.hpp"

namespace lp2p::cli {

// Exit statuses shared by the commands that find a peer.
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;

// Who to connect to, however the user named it.
struct Target {
  std::string fingerprint;
  std::string name;
  std::string sn;                         // its serial (for SNI), when known
  std::optional<std::string> auth_token;  // its `at`, when known (pairing needs it)
  std::vector<discovery::PeerAddress> addresses;

  // The TLS SNI to dial it with: its agent hostname, or none when neither its name nor its
  // serial is known (dialled by address).
  [[nodiscard]] std::string sni() const;
};

class PeerFinder {
 public:
  using Found = std::function<void(Target target)>;
  using Failed = std::function<void(int exit_code, std::string message)>;

  // `command` prefixes messages ("lp2p info"); `timeout` bounds the mDNS search.
  PeerFinder(boost::asio::io_context& io, std::string command, const AgentOptions& agent,
             std::chrono::milliseconds timeout);

  // `peer` as typed; `fingerprint` is --fp (required with HOST:PORT).
  void find(const std::string& peer, const std::string& fingerprint, Found found, Failed failed);

 private:
  void look();

  boost::asio::io_context& io_;
  std::string command_;
  const AgentOptions& agent_;
  std::chrono::milliseconds timeout_;
  std::string wanted_;
  Found found_;
  Failed failed_;
  bool done_ = false;
  std::unique_ptr<discovery::Discovery> discovery_;
  boost::asio::steady_timer deadline_;
};

}  // namespace lp2p::cli
