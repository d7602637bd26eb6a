#include "transfer/stream_io.hpp"

#include <spdlog/spdlog.h>

namespace lp2p::transfer {
namespace {

constexpr auto kCancelPoll = std::chrono::milliseconds(250);

}  // namespace

// ---- StreamWriter ----

std::shared_ptr<StreamWriter> StreamWriter::attach(QuicStream stream) {
  std::shared_ptr<StreamWriter> writer(new StreamWriter(std::move(stream)));
  writer->stream_.on_writable([weak = std::weak_ptr<StreamWriter>(writer)] {
    if (auto self = weak.lock()) self->on_writable();
  });
  return writer;
}

void StreamWriter::on_writable() {
  const std::lock_guard lock(mutex_);
  ++writable_epoch_;
  changed_.notify_all();
}

void StreamWriter::cancel(const std::string& why) {
  const std::lock_guard lock(mutex_);
  if (!cancelled_) cancelled_ = why;
  changed_.notify_all();
}

Result<void> StreamWriter::write_all(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    std::uint64_t epoch = 0;
    {
      const std::lock_guard lock(mutex_);
      if (cancelled_) return make_error(Errc::closed, *cancelled_);
      epoch = writable_epoch_;
    }
    auto taken = stream_.write(bytes);
    if (!taken) return std::move(taken).error();
    bytes = bytes.subspan(*taken);
    if (bytes.empty()) break;
    // `writable` fires on the loop after this write returned: wait for an epoch past `epoch`.
    std::unique_lock lock(mutex_);
    while (!cancelled_ && writable_epoch_ == epoch) changed_.wait_for(lock, kCancelPoll);
  }
  return {};
}

Result<void> StreamWriter::finish() {
  {
    const std::lock_guard lock(mutex_);
    if (cancelled_) return make_error(Errc::closed, *cancelled_);
  }
  return stream_.finish();
}

// ---- ControlStream ----

ControlStream::ControlStream(QuicStream stream)
    : writer_(StreamWriter::attach(std::move(stream))),
      reader_(wire::StreamReader::Options{kMaxControlMessage, wire::kMaxCborDepth}) {}

std::shared_ptr<ControlStream> ControlStream::attach(QuicStream stream) {
  std::shared_ptr<ControlStream> control(new ControlStream(std::move(stream)));
  const std::weak_ptr<ControlStream> weak = control;
  control->writer_->stream().on_data([weak](std::span<const std::uint8_t> bytes, bool fin) {
    if (auto self = weak.lock()) self->on_data(bytes, fin);
  });
  control->writer_->stream().on_reset([weak](std::uint64_t code) {
    if (auto self = weak.lock()) self->on_reset(code);
  });
  return control;
}

void ControlStream::on_data(std::span<const std::uint8_t> bytes, bool fin) {
  std::vector<Control> decoded;
  std::optional<Error> error;
  {
    const std::lock_guard lock(mutex_);
    if (ended_) return;
  }
  auto fed = reader_.feed(bytes, [&](const wire::Frame& frame) {
    if (error) return;
    auto message = decode(frame.type_key, frame.body);
    if (!message) {
      error = make_error(Errc::protocol_error,
                         "the peer sent a bad control message: " + message.error().message);
      return;
    }
    decoded.push_back(std::move(*message));
  });
  if (!fed && !error) {
    error = make_error(Errc::protocol_error,
                       "the peer's control stream is not messages: " + fed.error().message);
  }
  if (fin && !error) {
    auto complete = reader_.finish();
    error = complete ? make_error(Errc::closed, "the peer ended the control stream")
                     : make_error(Errc::protocol_error, complete.error().message);
  }
  const std::lock_guard lock(mutex_);
  for (Control& m : decoded) messages_.push_back(std::move(m));
  if (error && !ended_) ended_ = std::move(error);
  arrived_.notify_all();
}

void ControlStream::on_reset(std::uint64_t code) {
  const std::lock_guard lock(mutex_);
  if (!ended_) {
    ended_ = make_error(Errc::closed,
                        "the peer reset the control stream (code " + std::to_string(code) + ")");
  }
  arrived_.notify_all();
}

Result<void> ControlStream::send(const Control& message) {
  return send_all({&message, 1});
}

Result<void> ControlStream::send_all(std::span<const Control> messages) {
  std::vector<std::uint8_t> bytes;
  for (const Control& message : messages) encode(message, bytes);
  const std::lock_guard lock(send_mutex_);
  return writer_->write_all(bytes);
}

Result<Control> ControlStream::receive(Clock::duration timeout) {
  std::unique_lock lock(mutex_);
  const auto deadline = Clock::now() + timeout;
  while (messages_.empty() && !ended_) {
    if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout && messages_.empty() &&
        !ended_) {
      return make_error(Errc::timed_out, "the peer did not answer in time");
    }
  }
  if (!messages_.empty()) {
    Control message = std::move(messages_.front());
    messages_.pop_front();
    return message;
  }
  return *ended_;
}

void ControlStream::finish() {
  (void)writer_->finish();
}

void ControlStream::cancel(const std::string& why) {
  writer_->cancel(why);
  const std::lock_guard lock(mutex_);
  if (!ended_) ended_ = make_error(Errc::closed, why);
  arrived_.notify_all();
}

}  // namespace lp2p::transfer
