// How the API's objects reach their agent: a weak reference. The application's handles
// (channels, connections, pickers held by its delegate) must not keep a stopped agent alive, nor
// close a reference cycle through the delegate the agent holds. Once the agent is gone, post()
// does nothing and call() reports `closed`.
#pragma once

#include <memory>
#include <type_traits>

#include "api/agent_core.hpp"

namespace lp2p::api {

class CoreRef {
 public:
  CoreRef(const std::shared_ptr<AgentCore>& core)  // NOLINT(google-explicit-constructor)
      : weak_(core) {}

  // The result may be ignored: a post to a stopped agent is dropped on purpose.
  template <class F>
  // NOLINTNEXTLINE(modernize-use-nodiscard)
  bool post(F f) const {
    auto core = weak_.lock();
    return core && core->post(std::move(f));
  }
  template <class F>
  [[nodiscard]] auto call(F f) const -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    if (auto core = weak_.lock()) return core->call(std::move(f));
    if constexpr (IsResult<R>::value) {
      return make_error(Errc::closed, "the agent stopped");
    } else {
      static_assert(std::is_void_v<R>, "call() returns Result<T> or void");
    }
  }
  [[nodiscard]] bool on_loop() const {
    auto core = weak_.lock();
    return core && core->on_loop();
  }
  // Loop thread only: while its loop runs, the agent is alive.
  AgentCore* operator->() const { return weak_.lock().get(); }
  [[nodiscard]] const std::weak_ptr<AgentCore>& weak() const { return weak_; }

 private:
  std::weak_ptr<AgentCore> weak_;
};

}  // namespace lp2p::api
