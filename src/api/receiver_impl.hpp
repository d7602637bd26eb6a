// The state behind a Receiver: consent to advertise, then the grant of each authenticated peer
// that connects (remembered grants need no question) and the connection events.
#pragma once

#include <memory>

#include "api/core_ref.hpp"
#include "api/handler_slot.hpp"
#include "lp2p/receiver.hpp"

namespace lp2p::api {

class AgentCore;
class PeerLink;

class ReceiverImpl : public std::enable_shared_from_this<ReceiverImpl> {
 public:
  ReceiverImpl(CoreRef core, ReceiverOptions options);

  // --- any thread
  HandlerSlot<Connection> on_connection;
  void start(std::function<void(Result<void>)> handler);
  void stop();

  // --- loop
  // An authenticated peer connected: ask whether this origin may have it.
  void offer(const std::shared_ptr<PeerLink>& link);
  void agent_stopped();

 private:
  void start_on_loop(const std::function<void(Result<void>)>& handler);
  void allowed(bool allow, const std::function<void(Result<void>)>& handler);
  void grant(const std::shared_ptr<PeerLink>& link);
  void stop_on_loop();

  CoreRef core_;
  const ReceiverOptions options_;
  // loop
  bool started_ = false;
  bool stopped_ = false;
  bool advertising_ = false;
};

}  // namespace lp2p::api
