// The user agent's own UI: the questions only the person at this device may answer (LP2P §6).
// The CLI answers them in the terminal, the daemon in its trusted page, tests with a script.
//
// An "origin" is the identity of the application asking: a web origin in the daemon
// ("https://example.com"), an app id for a native app. Every question names it, and the answer
// applies to that origin only.
//
// Contract:
// - Every method is called on the agent's loop thread and must return promptly: answers that
//   need the person come later through the Reply, which may be called from any thread, once.
//   Later calls of a Reply, and calls after the question became moot (the Request was
//   destroyed, the connection closed), do nothing.
// - A Reply dropped without being called is a dismissal. A dismissed picker is not detectable by
//   the application (its Request simply never completes, brief §7 #25).
// - The delegate must outlive the Agent (the Agent holds it by shared_ptr).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lp2p/peer.hpp"
#include "lp2p/result.hpp"

namespace lp2p {

template <class T>
using Reply = std::function<void(T answer)>;

// How long a peer is granted to an origin.
enum class GrantScope {
  deny,
  session,  // while the agent runs (the spec's default: not persisted)
  always,   // remembered in the store until revoked (`Agent::revoke`, `lp2p peers revoke`)
};

struct AdvertiseRequest {
  std::string origin;
  std::string nickname;  // the Receiver's, may be empty
};

struct GrantRequest {
  std::string origin;
  PeerInfo peer;  // authenticated
};

// A pairing code this device shows for the person to type on the other device.
struct PairingCode {
  PeerCandidate peer;
  std::string code;     // as people read it: "123-456-789"
  std::string qr_text;  // the same code for a QR encoder
};

struct PairingCodeRequest {
  PeerCandidate peer;
  std::string retry_reason;  // non-empty when the last answer could not be read as a code
};

// The picker of one Request: the person sees the peers found so far and picks one (or none).
// Thread-safe; handed to ConsentDelegate::pick_peer and valid as long as the delegate keeps it.
class PeerPicker {
 public:
  PeerPicker() = default;
  PeerPicker(const PeerPicker&) = delete;
  PeerPicker& operator=(const PeerPicker&) = delete;
  PeerPicker(PeerPicker&&) = delete;
  PeerPicker& operator=(PeerPicker&&) = delete;
  virtual ~PeerPicker() = default;

  [[nodiscard]] virtual const std::string& origin() const = 0;
  [[nodiscard]] virtual const std::string& nickname() const = 0;
  // The peers found so far (nearby ones first, then paired ones not seen now).
  [[nodiscard]] virtual std::vector<PeerCandidate> candidates() const = 0;
  // Called on the loop thread with the new list whenever it changes, at once with the current
  // one; replaces the previous handler.
  virtual void on_candidates(std::function<void(const std::vector<PeerCandidate>&)> handler) = 0;
  // The person picked `peer_id` and granted it to the origin for `scope` (deny is dismiss()).
  // Pairing follows if the peer is not yet trusted; if it fails the picker stays open and the
  // delegate hears pairing_finished with the reason.
  virtual void choose(const std::string& peer_id, GrantScope scope) = 0;
  // The person closed the picker without a choice.
  virtual void dismiss() = 0;
  // True once a connection resulted or the picker was dismissed.
  [[nodiscard]] virtual bool done() const = 0;
};

class ConsentDelegate {
 public:
  ConsentDelegate() = default;
  ConsentDelegate(const ConsentDelegate&) = delete;
  ConsentDelegate& operator=(const ConsentDelegate&) = delete;
  ConsentDelegate(ConsentDelegate&&) = delete;
  ConsentDelegate& operator=(ConsentDelegate&&) = delete;
  virtual ~ConsentDelegate() = default;

  // May this origin make the device discoverable (Receiver::start)?
  virtual void allow_advertising(const AdvertiseRequest& request, Reply<bool> reply) = 0;
  // Show the picker of a Request::start.
  virtual void pick_peer(std::shared_ptr<PeerPicker> picker) = 0;
  // An authenticated peer connected to this device's Receiver: may the origin have it?
  virtual void grant_peer(const GrantRequest& request, Reply<GrantScope> reply) = 0;
  // Pairing: show this code until pairing_finished for the same peer.
  virtual void show_pairing_code(const PairingCode& code) = 0;
  // Pairing: ask the person for the code the other device shows; nullopt cancels.
  virtual void ask_pairing_code(const PairingCodeRequest& request,
                                Reply<std::optional<std::string>> reply) = 0;
  // Pairing with `peer` ended: success, or the reason it failed.
  virtual void pairing_finished(const PeerCandidate& peer, const Result<void>& outcome) {
    (void)peer;
    (void)outcome;
  }
  // The peer picked could not be reached or paired; the picker stays open for another choice.
  virtual void choice_failed(const PeerCandidate& peer, const Error& error) {
    (void)peer;
    (void)error;
  }
  // A connection carried no application traffic for the agent's inactivity timeout: return a
  // longer wait to keep it, or nullopt to close it (the default).
  virtual std::optional<std::chrono::milliseconds> extend_inactive_connection(
      const PeerInfo& peer) {
    (void)peer;
    return std::nullopt;
  }
};

}  // namespace lp2p
