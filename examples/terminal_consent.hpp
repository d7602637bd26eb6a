// The user agent's questions (lp2p::ConsentDelegate) asked in a terminal, for the examples: the
// person answers on standard input, one line per answer. With `auto_yes` advertising and grants
// are allowed without asking; with `pick` the first peer whose name starts with it is picked.
// Pairing codes are shown on standard output and typed on standard input.
//
// Standard input is read by one thread; each line answers the oldest open question, or, when
// none is open, goes to on_line (the chat example's messages).
#pragma once

#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "lp2p/lp2p.hpp"

namespace lp2p::examples {

class TerminalConsent : public ConsentDelegate {
 public:
  struct Options {
    bool auto_yes = false;
    std::string pick;  // name prefix; empty: ask
  };

  explicit TerminalConsent(Options options) : options_(std::move(options)) {
    reader_ = std::thread([this] { read_lines(); });
    reader_.detach();  // blocked in getline until input ends; the process exits around it
  }

  // Lines that answer no question.
  void on_line(std::function<void(const std::string& line)> handler) {
    const std::scoped_lock lock(mutex_);
    on_line_ = std::move(handler);
  }

  void allow_advertising(const AdvertiseRequest& request, Reply<bool> reply) override {
    if (options_.auto_yes) return reply(true);
    ask("Allow " + request.origin + " to make this device discoverable? [y/N] ",
        [reply](const std::string& line) { reply(line == "y" || line == "yes"); });
  }

  void pick_peer(std::shared_ptr<PeerPicker> picker) override {
    say("Looking for devices for " + picker->origin() + " ...");
    std::weak_ptr<PeerPicker> weak = picker;
    auto asked = std::make_shared<bool>(false);
    picker->on_candidates([this, weak, asked](const std::vector<PeerCandidate>& list) {
      auto p = weak.lock();
      if (!p || p->done() || list.empty()) return;
      if (!options_.pick.empty()) {
        for (const auto& c : list) {
          if (c.name.starts_with(options_.pick)) return p->choose(c.id, GrantScope::session);
        }
        return;
      }
      std::string menu = "Devices nearby:\n";
      for (std::size_t i = 0; i < list.size(); ++i) {
        menu += "  " + std::to_string(i + 1) + ") " + list[i].name +
                (list[i].paired ? " (paired)" : "") + "\n";
      }
      say(menu);
      if (*asked) return;
      *asked = true;
      ask("Connect to which one? (number, empty to cancel) ", [weak](const std::string& line) {
        auto chooser = weak.lock();
        if (!chooser) return;
        const auto now = chooser->candidates();
        std::size_t index = 0;
        std::from_chars(line.data(), line.data() + line.size(), index);
        if (index == 0 || index > now.size()) return chooser->dismiss();
        chooser->choose(now[index - 1].id, GrantScope::session);
      });
    });
  }

  void grant_peer(const GrantRequest& request, Reply<GrantScope> reply) override {
    if (options_.auto_yes) return reply(GrantScope::session);
    ask("Let " + request.origin + " talk to " + request.peer.name + "? [y/N/always] ",
        [reply](const std::string& line) {
          reply(line == "always"               ? GrantScope::always
                : line == "y" || line == "yes" ? GrantScope::session
                                               : GrantScope::deny);
        });
  }

  void show_pairing_code(const PairingCode& code) override {
    say("Pairing code for " + code.peer.name + ": " + code.code);
  }

  void ask_pairing_code(const PairingCodeRequest& request,
                        Reply<std::optional<std::string>> reply) override {
    if (!request.retry_reason.empty()) say("That is not a code: " + request.retry_reason);
    ask("Type the code shown on " + request.peer.name + ": ",
        [reply](const std::string& line) { reply(line); });
  }

  void pairing_finished(const PeerCandidate& peer, const Result<void>& outcome) override {
    say(outcome ? "Paired with " + peer.name : "Pairing failed: " + outcome.error().message);
  }

  void choice_failed(const PeerCandidate& peer, const Error& error) override {
    say("Could not connect to " + peer.name + ": " + error.message + " (pick again)");
  }

 private:
  static void say(const std::string& text) {
    static std::mutex out;
    const std::scoped_lock lock(out);
    std::cout << text << std::endl;
  }
  // The question is queued before the prompt shows: a line typed (or piped) as soon as the prompt
  // appears must find it.
  void ask(const std::string& prompt, std::function<void(const std::string&)> answer) {
    {
      const std::scoped_lock lock(mutex_);
      questions_.push_back(std::move(answer));
    }
    say(prompt);
  }
  void read_lines() {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::function<void(const std::string&)> target;
      {
        const std::scoped_lock lock(mutex_);
        if (!questions_.empty()) {
          target = std::move(questions_.front());
          questions_.pop_front();
        } else {
          target = on_line_;
        }
      }
      if (target) target(line);
    }
  }

  const Options options_;
  std::thread reader_;
  std::mutex mutex_;
  std::deque<std::function<void(const std::string&)>> questions_;
  std::function<void(const std::string&)> on_line_;
};

// Waits until Ctrl-C (SIGINT/SIGTERM), `done()` holds, or `timeout` seconds pass (0: forever).
inline void wait_until(const std::function<bool()>& done, double timeout = 0) {
  static std::atomic<bool> interrupted{false};
  std::signal(SIGINT, [](int) { interrupted = true; });
  std::signal(SIGTERM, [](int) { interrupted = true; });
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout));
  while (!interrupted && !done() && (timeout <= 0 || std::chrono::steady_clock::now() < deadline)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace lp2p::examples
