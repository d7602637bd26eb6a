// The picker of one Request (lp2p::PeerPicker for the consent delegate), and the request's
// progress after a choice: connect, pair if needed, grant, complete.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/core_ref.hpp"
#include "api/handler_slot.hpp"
#include "lp2p/consent.hpp"
#include "lp2p/request.hpp"

namespace lp2p::api {

class AgentCore;
class PeerLink;

class PickerImpl : public PeerPicker, public std::enable_shared_from_this<PickerImpl> {
 public:
  using Done = std::function<void(Result<Connection>)>;

  PickerImpl(CoreRef core, RequestOptions options, Done done);

  // PeerPicker (any thread)
  [[nodiscard]] const std::string& origin() const override { return options_.origin; }
  [[nodiscard]] const std::string& nickname() const override { return options_.nickname; }
  [[nodiscard]] std::vector<PeerCandidate> candidates() const override;
  void on_candidates(std::function<void(const std::vector<PeerCandidate>&)> handler) override;
  void choose(const std::string& peer_id, GrantScope scope) override;
  void dismiss() override;
  [[nodiscard]] bool done() const override;

  // --- loop
  void open();  // shows the picker
  void update(std::vector<PeerCandidate> list);
  void agent_stopped();

 private:
  void choose_on_loop(const std::string& peer_id, GrantScope scope);
  void linked(const std::shared_ptr<PeerLink>& link, GrantScope scope);
  void failed(const std::string& peer_id, const Error& error);
  void finish();

  CoreRef core_;
  const RequestOptions options_;
  mutable std::mutex mutex_;
  std::vector<PeerCandidate> candidates_;  // under mutex_
  bool done_ = false;                      // under mutex_
  HandlerSlot<const std::vector<PeerCandidate>&> on_candidates_;
  // loop
  Done done_handler_;
  bool browsing_ = false;
  bool choosing_ = false;  // a choice is being connected / paired
};

}  // namespace lp2p::api
