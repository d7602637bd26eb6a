// Replies the consent delegate may call from any thread, once: the answer is carried to the
// loop, later calls are ignored, and a reply outliving the agent does nothing.
#pragma once

#include <atomic>
#include <memory>
#include <utility>

#include "api/core_ref.hpp"
#include "lp2p/consent.hpp"

namespace lp2p::api {

template <class T, class OnLoop>
Reply<T> make_reply(const CoreRef& core, OnLoop on_loop) {
  auto answered = std::make_shared<std::atomic<bool>>(false);
  return [weak = core.weak(), answered, on_loop = std::move(on_loop)](T answer) mutable {
    if (answered->exchange(true)) return;
    if (auto agent = weak.lock()) {
      agent->post([on_loop = std::move(on_loop), answer = std::move(answer)]() mutable {
        on_loop(std::move(answer));
      });
    }
  };
}

}  // namespace lp2p::api
