#include "transfer/transfer_link.hpp"

#include <algorithm>

#include "transfer/constants.hpp"

namespace lp2p::transfer {

Result<std::shared_ptr<TransferLink>> TransferLink::open(QuicTransport transport,
                                                         Clock::duration timeout) {
  std::shared_ptr<TransferLink> link(new TransferLink(std::move(transport)));
  link->watch_close();
  auto stream = link->transport_.open_bidirectional_stream();
  if (!stream) return std::move(stream).error();
  {
    const std::lock_guard lock(link->mutex_);
    link->control_claimed_ = true;
  }
  link->control_ = ControlStream::attach(std::move(*stream));
  LP2P_TRY(link->hello_exchange(true, timeout));
  return link;
}

Result<std::shared_ptr<TransferLink>> TransferLink::accept(QuicTransport transport,
                                                           Clock::duration timeout) {
  std::shared_ptr<TransferLink> link(new TransferLink(std::move(transport)));
  link->watch_close();
  std::optional<QuicStream> stream;
  {
    std::unique_lock lock(link->mutex_);
    if (!link->control_arrived_.wait_for(lock, timeout, [&] {
          return link->pending_control_.has_value() || link->cancelled_.load();
        })) {
      return make_error(Errc::timed_out, "the peer opened no control stream");
    }
    if (!link->pending_control_) return make_error(Errc::closed, link->why_);
    stream = std::move(link->pending_control_);
    link->pending_control_.reset();
    link->control_claimed_ = true;
  }
  link->control_ = ControlStream::attach(std::move(*stream));
  LP2P_TRY(link->hello_exchange(false, timeout));
  return link;
}

TransferLink::~TransferLink() {
  transport_.close();
}

void TransferLink::watch_close() {
  const std::weak_ptr<TransferLink> weak = weak_from_this();
  transport_.on_close([weak](const std::string& reason) {
    if (auto self = weak.lock()) self->cancel("the connection closed: " + reason);
  });
  transport_.on_incoming_stream([weak](QuicStream stream) {
    if (auto self = weak.lock()) self->incoming(std::move(stream));
  });
}

void TransferLink::incoming(QuicStream stream) {
  std::function<void(QuicStream)> handler;
  {
    const std::lock_guard lock(mutex_);
    if (stream.bidirectional()) {
      if (control_claimed_ || pending_control_) {
        stream.reset(0);  // one control stream per exchange
        return;
      }
      pending_control_ = std::move(stream);
      control_arrived_.notify_all();
      return;
    }
    if (!lane_handler_) {
      pending_lanes_.push_back(std::move(stream));
      return;
    }
    handler = lane_handler_;
  }
  handler(std::move(stream));
}

void TransferLink::on_lane(const std::function<void(QuicStream)>& handler) {
  std::vector<QuicStream> waiting;
  {
    const std::lock_guard lock(mutex_);
    lane_handler_ = handler;
    waiting.swap(pending_lanes_);
  }
  for (QuicStream& s : waiting) handler(std::move(s));
}

Result<std::shared_ptr<StreamWriter>> TransferLink::open_lane() {
  if (cancelled_) return make_error(Errc::closed, why());
  auto stream = transport_.open_unidirectional_stream();
  if (!stream) return std::move(stream).error();
  auto writer = StreamWriter::attach(std::move(*stream));
  const std::lock_guard lock(mutex_);
  writers_.push_back(writer);
  return writer;
}

void TransferLink::cancel(const std::string& why) {
  std::vector<std::weak_ptr<StreamWriter>> writers;
  {
    const std::lock_guard lock(mutex_);
    if (cancelled_) return;
    why_ = why;
    cancelled_ = true;
    writers = writers_;
    control_arrived_.notify_all();
  }
  for (auto& w : writers) {
    if (auto writer = w.lock()) writer->cancel(why);
  }
  if (control_) control_->cancel(why);
}

std::string TransferLink::why() const {
  const std::lock_guard lock(mutex_);
  return why_;
}

void TransferLink::close() {
  control_->finish();  // we send nothing more (a second finish is a harmless error)
  const auto deadline = Clock::now() + kCloseLinger;
  for (auto now = Clock::now(); now < deadline; now = Clock::now()) {
    if (!control_->receive(deadline - now)) break;
  }
  transport_.close();
}

Result<void> TransferLink::hello_exchange(bool first, Clock::duration timeout) {
  const Hello ours{{kProtocolVersion}};
  if (first) LP2P_TRY(control_->send(ours));
  auto message = control_->receive(timeout);
  if (!message) return std::move(message).error();
  const auto* hello = std::get_if<Hello>(&*message);
  if (hello == nullptr) {
    if (const auto* f = std::get_if<Failure>(&*message)) {
      return make_error(Errc::refused, "the peer refused: " + f->message);
    }
    return make_error(Errc::protocol_error, "the peer did not start with hello");
  }
  if (std::ranges::find(hello->versions, kProtocolVersion) == hello->versions.end()) {
    const std::string text = "the peer speaks other versions of the file protocol than ours (" +
                             std::to_string(kProtocolVersion) + ")";
    (void)control_->send(Failure{"version", text, false});
    return make_error(Errc::refused, text);
  }
  if (!first) LP2P_TRY(control_->send(ours));
  return {};
}

}  // namespace lp2p::transfer
