// The Agent's insides: the loop thread and everything that lives on it — the OSP agent
// (osp::LocalAgent), discovery, one PeerLink per connected peer, the receivers, and the grants.
//
// Threading: the public classes call in from any thread through post() / call(); everything
// else here runs on the loop thread only (the methods say "loop").
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "discovery/discovery.hpp"
#include "lp2p/agent.hpp"
#include "lp2p/consent.hpp"
#include "osp/local_agent.hpp"

namespace lp2p::api {

class PeerLink;
class ReceiverImpl;
class PickerImpl;
class ConnectionImpl;
class QuicTransportImpl;

template <class T>
struct IsResult : std::false_type {};
template <class T>
struct IsResult<Result<T>> : std::true_type {};

class AgentCore : public std::enable_shared_from_this<AgentCore> {
 public:
  using LinkHandler = std::function<void(Result<std::shared_ptr<PeerLink>> link)>;

  static Result<std::shared_ptr<AgentCore>> create(AgentOptions options,
                                                   std::shared_ptr<ConsentDelegate> consent);
  AgentCore(const AgentCore&) = delete;
  AgentCore& operator=(const AgentCore&) = delete;
  AgentCore(AgentCore&&) = delete;
  AgentCore& operator=(AgentCore&&) = delete;
  ~AgentCore();

  // --- any thread
  [[nodiscard]] bool on_loop() const { return std::this_thread::get_id() == loop_id_; }
  // Runs `f` on the loop later; false (and `f` dropped) once the agent stopped.
  // The result may be ignored: a post to a stopped agent is dropped on purpose.
  template <class F>
  // NOLINTNEXTLINE(modernize-use-nodiscard)
  bool post(F f) {
    const std::scoped_lock lock(post_mutex_);
    if (!accepting_) return false;
    boost::asio::post(io_, std::move(f));
    return true;
  }
  // Runs `f` on the loop and returns its result: at once on the loop thread, else waiting.
  // A Result-returning `f` yields `closed` once the agent stopped; a void one is skipped.
  template <class F>
  [[nodiscard]] auto call(F f) -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    if (on_loop()) return f();
    std::packaged_task<R()> task(std::move(f));
    auto result = task.get_future();
    if (!post([&task] { task(); })) {
      if constexpr (IsResult<R>::value) {
        return make_error(Errc::closed, "the agent stopped");
      } else {
        static_assert(std::is_void_v<R>, "call() returns Result<T> or void");
        return;
      }
    }
    return result.get();
  }
  void stop();
  [[nodiscard]] bool stopped() const { return !accepting_flag_; }
  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& ticket() const { return ticket_; }
  [[nodiscard]] const AgentOptions& options() const { return options_; }
  // See Agent::wait_discoverable.
  bool wait_discoverable(std::chrono::milliseconds timeout);

  // --- loop
  [[nodiscard]] boost::asio::io_context& io() { return io_; }
  [[nodiscard]] osp::LocalAgent& local() { return *local_; }
  [[nodiscard]] ConsentDelegate& consent() { return *consent_; }
  [[nodiscard]] discovery::Discovery& discovery() { return *discovery_; }

  // Discovery for pickers and advertising for receivers, counted: the first user starts it.
  Result<void> acquire_browsing();
  void release_browsing();
  Result<void> acquire_advertising();
  void release_advertising();

  void add_receiver(const std::shared_ptr<ReceiverImpl>& receiver);
  void remove_receiver(const ReceiverImpl* receiver);
  void add_picker(const std::shared_ptr<PickerImpl>& picker);
  void remove_picker(const PickerImpl* picker);

  // The link to a peer, connecting (and reusing an open connection) if needed. Fails with
  // not-found when discovery does not know the peer.
  void link_to(const std::string& peer_id, LinkHandler handler);
  [[nodiscard]] std::shared_ptr<PeerLink> find_link(const std::string& peer_id) const;
  // A link became ready (authenticated, verified agent-info): offer it to the receivers.
  void on_link_ready(const std::shared_ptr<PeerLink>& link);
  // The peer opened a channel and no origin has it yet: the receivers ask for it.
  void offer_to_receivers(const std::shared_ptr<PeerLink>& link);
  [[nodiscard]] bool has_receivers() const;
  void on_link_closed(const PeerLink* link);

  // LP2P QUIC transports: one opened from a Connection dials (if we dialed the OSP connection)
  // or takes the peer's q2q connection. One that comes first (from an authenticated peer) is
  // taken at once, its streams held unread, and waits kUnclaimedTransportWait for an origin
  // to open it.
  static constexpr std::chrono::seconds kUnclaimedTransportWait{10};
  Result<std::shared_ptr<QuicTransportImpl>> open_transport(ConnectionImpl& connection);
  // A transport's own dialing endpoint, no longer needed: kept until its connections are gone.
  void retire(std::shared_ptr<quic::Endpoint> dialer);

  // What the picker shows: peers in reach first, then paired ones not seen now.
  [[nodiscard]] std::vector<PeerCandidate> candidates() const;
  [[nodiscard]] PeerCandidate candidate_of(const std::string& peer_id) const;

  // Grants (per peer per origin): session ones in memory, persistent ones in the store.
  [[nodiscard]] GrantScope grant_of(const std::string& origin, const std::string& peer_id);
  void set_grant(const std::string& origin, const std::string& peer_id, GrantScope scope);
  Result<bool> revoke(const std::string& origin, const std::string& peer_id);
  [[nodiscard]] std::vector<GrantInfo> grants(const std::string& origin);

 private:
  AgentCore(AgentOptions options, std::shared_ptr<ConsentDelegate> consent);
  Result<void> start_on_loop();
  void stop_on_loop();
  void adopt(const std::shared_ptr<osp::PeerSession>& session);
  void discovery_changed();
  void dial(const std::string& peer_id, std::size_t address_index);
  void on_transport_connection(const std::shared_ptr<quic::Connection>& connection);
  void remember(const std::shared_ptr<QuicTransportImpl>& transport);

  AgentOptions options_;
  std::shared_ptr<ConsentDelegate> consent_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::thread::id loop_id_;
  std::mutex post_mutex_;
  bool accepting_ = true;  // under post_mutex_
  std::atomic<bool> accepting_flag_{true};
  std::string fingerprint_;
  std::uint16_t port_ = 0;
  std::string ticket_;

  // loop
  std::unique_ptr<osp::LocalAgent> local_;
  std::unique_ptr<discovery::Discovery> discovery_;
  int browsing_users_ = 0;
  int advertising_users_ = 0;
  std::mutex discoverable_mutex_;  // any thread
  std::condition_variable discoverable_changed_;
  bool discoverable_ = false;  // advertising, and announced since it started
  std::map<std::string, std::shared_ptr<PeerLink>> links_;  // by peer fingerprint
  std::vector<std::shared_ptr<ReceiverImpl>> receivers_;
  std::vector<std::shared_ptr<PickerImpl>> pickers_;
  std::set<std::pair<std::string, std::string>> session_grants_;  // (origin, peer)
  // Transports waiting for the peer's q2q connection, and q2q connections waiting for a
  // transport, per peer, oldest first.
  std::map<std::string, std::vector<std::weak_ptr<QuicTransportImpl>>> waiting_transports_;
  std::map<std::string, std::vector<std::shared_ptr<QuicTransportImpl>>> unclaimed_transports_;
  std::list<boost::asio::steady_timer> transport_timers_;     // of the unclaimed ones
  std::vector<std::weak_ptr<QuicTransportImpl>> transports_;  // all, to close when stopping
  std::vector<std::shared_ptr<quic::Endpoint>> retired_dialers_;
  // Dials in progress per peer: later callers wait for the same outcome.
  std::map<std::string, std::vector<LinkHandler>> dialing_;
};

}  // namespace lp2p::api
