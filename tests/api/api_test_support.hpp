// Agents for API tests: real Agents (threads, QUIC on loopback, the manual discovery provider
// fed with tickets, no multicast) answered by a scripted ConsentDelegate. Waiting is bounded:
// every wait has a deadline, so a broken flow fails instead of hanging.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../unit/quic/quic_test_support.hpp"
#include "lp2p/lp2p.hpp"

namespace lp2p::test {

using namespace std::chrono_literals;

// Polls `done` until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// The codes one side shows, for the other side's "person" to type.
class CodeBoard {
 public:
  void post(const std::string& code) {
    std::vector<Reply<std::optional<std::string>>> waiting;
    {
      const std::scoped_lock lock(mutex_);
      code_ = code;
      waiting.swap(waiting_);
    }
    for (auto& reply : waiting) reply(typed(code));
  }
  void ask(Reply<std::optional<std::string>> reply) {
    std::optional<std::string> code;
    {
      const std::scoped_lock lock(mutex_);
      if (!code_) {
        waiting_.push_back(std::move(reply));
        return;
      }
      code = code_;
    }
    reply(typed(*code));
  }
  // What the person types instead of the code (a wrong code test).
  void set_typo(std::optional<std::string> wrong) {
    const std::scoped_lock lock(mutex_);
    typo_ = std::move(wrong);
  }

 private:
  std::optional<std::string> typed(const std::string& code) {
    const std::scoped_lock lock(mutex_);
    return typo_ ? *typo_ : code;
  }
  std::mutex mutex_;
  std::optional<std::string> code_;
  std::optional<std::string> typo_;
  std::vector<Reply<std::optional<std::string>>> waiting_;
};

// The person, scripted. Counters and logs are read by the test thread.
class ScriptedConsent : public ConsentDelegate {
 public:
  explicit ScriptedConsent(std::shared_ptr<CodeBoard> board) : board_(std::move(board)) {}

  // Answers.
  std::atomic<bool> allow_advertising_answer{true};
  std::atomic<GrantScope> grant_answer{GrantScope::session};
  std::atomic<bool> answer_grants{true};  // false: the grant prompt stays unanswered
  std::optional<std::string> pick;        // peer id to pick; empty: the picker stays open
  GrantScope pick_scope = GrantScope::session;
  bool dismiss_picker = false;
  std::optional<std::chrono::milliseconds> extend_by;

  // What happened.
  std::atomic<int> pickers_shown{0};
  std::atomic<int> grants_asked{0};
  std::atomic<int> codes_shown{0};
  std::atomic<int> codes_asked{0};
  std::atomic<int> pairings_ok{0};
  std::atomic<int> pairings_failed{0};
  std::atomic<int> choices_failed{0};
  std::atomic<int> extensions_asked{0};

  // Grant prompts left unanswered (answer_grants false), to answer later.
  void answer_pending_grants(GrantScope scope) {
    std::vector<Reply<GrantScope>> pending;
    {
      const std::scoped_lock lock(mutex_);
      pending.swap(pending_grants_);
    }
    for (auto& reply : pending) reply(scope);
  }
  std::shared_ptr<PeerPicker> last_picker() {
    const std::scoped_lock lock(mutex_);
    return picker_;
  }

  void allow_advertising(const AdvertiseRequest& /*request*/, Reply<bool> reply) override {
    reply(allow_advertising_answer.load());
  }
  void pick_peer(std::shared_ptr<PeerPicker> picker) override {
    ++pickers_shown;
    {
      const std::scoped_lock lock(mutex_);
      picker_ = picker;
    }
    if (dismiss_picker) return picker->dismiss();
    if (!pick) return;
    std::weak_ptr<PeerPicker> weak = picker;
    picker->on_candidates(
        [weak, want = *pick, scope = pick_scope,
         chosen = std::make_shared<bool>(false)](const std::vector<PeerCandidate>& list) {
          auto p = weak.lock();
          if (!p || *chosen) return;
          for (const auto& c : list) {
            if (c.id == want) {
              *chosen = true;
              p->choose(c.id, scope);
            }
          }
        });
  }
  void grant_peer(const GrantRequest& /*request*/, Reply<GrantScope> reply) override {
    ++grants_asked;
    if (!answer_grants) {
      const std::scoped_lock lock(mutex_);
      pending_grants_.push_back(std::move(reply));
      return;
    }
    reply(grant_answer.load());
  }
  void show_pairing_code(const PairingCode& code) override {
    ++codes_shown;
    board_->post(code.code);
  }
  void ask_pairing_code(const PairingCodeRequest& /*request*/,
                        Reply<std::optional<std::string>> reply) override {
    ++codes_asked;
    board_->ask(std::move(reply));
  }
  void pairing_finished(const PeerCandidate& /*peer*/, const Result<void>& outcome) override {
    ++(outcome ? pairings_ok : pairings_failed);
  }
  void choice_failed(const PeerCandidate& /*peer*/, const Error& /*error*/) override {
    ++choices_failed;
  }
  std::optional<std::chrono::milliseconds> extend_inactive_connection(
      const PeerInfo& /*peer*/) override {
    ++extensions_asked;
    auto extend = extend_by;
    extend_by.reset();  // once
    return extend;
  }

 private:
  std::shared_ptr<CodeBoard> board_;
  std::mutex mutex_;
  std::shared_ptr<PeerPicker> picker_;
  std::vector<Reply<GrantScope>> pending_grants_;
};

// One device: its state directory, delegate and Agent.
struct Device {
  Device(const std::string& name, std::shared_ptr<CodeBoard> board,
         std::chrono::milliseconds inactivity = std::chrono::minutes(10))
      : dir(name), consent(std::make_shared<ScriptedConsent>(std::move(board))) {
    AgentOptions options;
    options.device_name = name;
    options.state_dir = dir.path();
    options.providers = {"manual"};
    options.interfaces = {"lo"};
    options.inactivity_timeout = inactivity;
    auto created = Agent::create(options, consent);
    if (!created) {
      ADD_FAILURE() << "agent " << name << ": " << created.error().describe();
      return;
    }
    agent = std::move(*created);
  }
  quic::test::TempDir dir;
  std::shared_ptr<ScriptedConsent> consent;
  std::unique_ptr<Agent> agent;
};

// A thread-safe event log.
class Log {
 public:
  void add(std::string event) {
    const std::scoped_lock lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> events() const {
    const std::scoped_lock lock(mutex_);
    return events_;
  }
  std::size_t count(const std::string& event) const {
    const std::scoped_lock lock(mutex_);
    return static_cast<std::size_t>(std::count(events_.begin(), events_.end(), event));
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

template <class T>
std::optional<T> wait_for(std::future<T>& future, std::chrono::milliseconds timeout = 10s) {
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

}  // namespace lp2p::test
