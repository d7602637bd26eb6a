// A receiver (LP2PReceiver): an origin's wish to be found and connected to. start() asks the
// person (ConsentDelegate::allow_advertising); once allowed the agent advertises the device
// and accepts connections, and each authenticated peer that the person grants to this origin
// (ConsentDelegate::grant_peer, or a grant remembered before) becomes a `connection` event.
//
// Contract:
// - The Receiver object is the registration: destroying it (or stop()) ends the events and, with
//   the agent's last receiver, the advertising. Connections already handed out stay open.
// - Methods are thread-safe; handlers run on the agent's loop thread.
// - Set on_connection before start(); connections granted while no handler is set are closed.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>

#include "lp2p/connection.hpp"
#include "lp2p/result.hpp"

namespace lp2p {

class Agent;
namespace api {
class ReceiverImpl;
}

struct ReceiverOptions {
  std::string origin = "app";  // who asks (a web origin in the daemon, an app id natively)
  std::string nickname;        // shown in the consent prompt
};

class Receiver {
 public:
  Receiver(Agent& agent, ReceiverOptions options);
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  Receiver(Receiver&&) noexcept;
  Receiver& operator=(Receiver&&) noexcept;
  ~Receiver();

  void on_connection(std::function<void(Connection connection)> handler);

  // Asks for consent, then advertises and accepts. The handler runs once: success, refused (the
  // person said no), invalid_argument (already started), closed (the agent stopped), or the
  // error that kept the agent from advertising. A dismissed prompt never completes.
  void start(std::function<void(Result<void> started)> handler);
  std::future<Result<void>> start();
  void stop();

 private:
  std::shared_ptr<api::ReceiverImpl> impl_;
};

}  // namespace lp2p
