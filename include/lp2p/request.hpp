// A request (LP2PRequest): an origin's wish to connect to a peer the person picks. start() runs
// discovery and shows the picker (ConsentDelegate::pick_peer); the application never sees the
// peers found. On a choice the agent connects, pairs if the peer is not trusted yet (codes
// through the delegate), records the grant, and completes with the Connection.
//
// Contract:
// - Methods are thread-safe; the handler runs on the agent's loop thread.
// - The attempt lives on its own: destroying the Request does not end it (so
//   `Request{agent, {}}.start()` works); cancel() does, and closes the picker.
// - A dismissed picker never completes (brief §7 #25: not detectable). A failed connection or
//   pairing is reported to the delegate and leaves the picker open for another choice.
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
struct RequestImpl;
}

struct RequestOptions {
  std::string origin = "app";
  std::string nickname;  // shown in the picker
};

class Request {
 public:
  Request(Agent& agent, RequestOptions options);

  // The handler runs at most once: with the Connection, or invalid_argument (already started) or
  // closed (the agent stopped).
  void start(std::function<void(Result<Connection> connection)> handler);
  std::future<Result<Connection>> start();
  void cancel();

 private:
  std::shared_ptr<api::RequestImpl> impl_;
};

}  // namespace lp2p
