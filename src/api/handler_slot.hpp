// A handler that any thread may set and the loop thread calls: the handler is kept behind a
// shared_ptr swapped under a mutex, so a call copies a pointer, not the function, and runs
// without the lock held (ARCHITECTURE §2.2: no locks while calling user code).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace lp2p::api {

template <class... Args>
class HandlerSlot {
 public:
  using Function = std::function<void(Args...)>;

  void set(Function handler) {
    auto shared = handler ? std::make_shared<Function>(std::move(handler)) : nullptr;
    const std::scoped_lock lock(mutex_);
    handler_ = std::move(shared);
  }
  [[nodiscard]] bool has() const {
    const std::scoped_lock lock(mutex_);
    return handler_ != nullptr;
  }
  // Calls the handler if one is set; true if it did.
  template <class... Call>
  bool operator()(Call&&... args) const {
    std::shared_ptr<Function> handler;
    {
      const std::scoped_lock lock(mutex_);
      handler = handler_;
    }
    if (!handler) return false;
    (*handler)(std::forward<Call>(args)...);
    return true;
  }
  void clear() { set(nullptr); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<Function> handler_;
};

// A one-shot event (a connection's close) whose handler may be set after it fired: fire() keeps
// the value when no handler is set, and replay() fires it once a handler is there. The handler
// is dropped after it ran (it often holds the object that fired). fire() and replay() run on the
// loop thread; set() anywhere, followed by a replay() posted to the loop.
template <class T>
class LatchedEvent {
 public:
  void set(std::function<void(const T&)> handler) { slot_.set(std::move(handler)); }
  void fire(const T& value) {
    if (!slot_(value)) missed_ = value;
    slot_.clear();
  }
  void replay() {
    if (missed_ && slot_(*missed_)) {
      missed_.reset();
      slot_.clear();
    }
  }

 private:
  HandlerSlot<const T&> slot_;
  std::optional<T> missed_;  // loop thread
};

}  // namespace lp2p::api
