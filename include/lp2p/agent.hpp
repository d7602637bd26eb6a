// The local user agent: one device identity (its state directory), its store of paired peers
// and grants, discovery, the QUIC endpoint, and the thread that runs them all. Receivers and
// Requests of any number of origins share one Agent; several Agents may live in one process
// (each with its own state directory and port).
//
// Contract:
// - create() starts the agent's loop thread; every method is thread-safe. Handlers of the
//   agent's objects (Receiver, Request, Connection, DataChannel, ConsentDelegate) run on that
//   thread, never concurrently, and no lock of the agent is held while they run.
// - Destroying the Agent (or stop()) closes every connection (OSP close 5139), stops
//   advertising and joins the thread; handles still held report closed afterwards. Do not
//   destroy the Agent from one of its own handlers.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lp2p/consent.hpp"
#include "lp2p/result.hpp"

namespace lp2p {

namespace api {
class AgentCore;
}

struct AgentOptions {
  std::string device_name;          // required: what people nearby see
  std::filesystem::path state_dir;  // required: identity, store (created mode 0700 if missing)
  std::string model_name;           // empty: "lp2p <version>"
  std::uint16_t port = 0;           // UDP port of the QUIC endpoint; 0: any free one
  // Discovery: providers ("dns-sd", "manual"), app group (DNS-SD subtype), interfaces ("" all).
  std::vector<std::string> providers{"dns-sd", "manual"};
  std::string group;
  std::vector<std::string> interfaces;
  bool ipv4 = true;
  bool ipv6 = true;
  // A peer connection with no application traffic (data-channel opens and messages) for this
  // long is closed, unless the delegate extends it (explainer: "automatically disconnect").
  std::chrono::milliseconds inactivity_timeout{std::chrono::minutes(10)};
  // Pairing: ease of typing a code (0–100; the side with less ease shows the code), the code's
  // minimum strength in bits (20–60), and whether a first pairing must carry our `at` token.
  unsigned psk_ease_of_input = 50;
  unsigned psk_min_bits = 20;
  bool require_auth_token = true;
};

// A remembered or session grant of a peer to an origin.
struct GrantInfo {
  std::string origin;
  std::string peer_id;
  bool persistent = false;  // remembered in the store
};

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> create(AgentOptions options,
                                               std::shared_ptr<ConsentDelegate> consent);
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  Agent(Agent&&) = delete;
  Agent& operator=(Agent&&) = delete;
  ~Agent();

  [[nodiscard]] const std::string& fingerprint() const;
  [[nodiscard]] std::uint16_t port() const;
  // A ticket other agents can add to find this one without mDNS ("lp2p1:...").
  [[nodiscard]] std::string ticket() const;
  // Waits until peers browsing with mDNS can find this agent: a Receiver is started and its name
  // is claimed and announced on at least one interface. False after `timeout` (e.g. no interface
  // with multicast; peers given the ticket still connect).
  bool wait_discoverable(std::chrono::milliseconds timeout);
  // Makes a peer known by its ticket (the "manual" provider): it joins pickers' candidates.
  Result<void> add_ticket(std::string_view ticket);

  // Grants, of one origin or (empty) of all.
  [[nodiscard]] std::vector<GrantInfo> grants(std::string_view origin = {}) const;
  // Withdraws a peer from an origin: the grant is forgotten (store included) and that origin's
  // Connection to the peer closes (why = revoked). Other origins are untouched. False if there
  // was nothing to revoke.
  Result<bool> revoke(std::string_view origin, std::string_view peer_id);

  // Closes everything; later calls of the agent's objects report closed.
  void stop();

  [[nodiscard]] api::AgentCore& core() { return *core_; }

 private:
  explicit Agent(std::shared_ptr<api::AgentCore> core);
  std::shared_ptr<api::AgentCore> core_;
};

}  // namespace lp2p
