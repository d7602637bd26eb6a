#include "transfer/file_receiver.hpp"

#include <spdlog/spdlog.h>

#include <deque>
#include <map>
#include <thread>

#include "transfer/commit_batch.hpp"
#include "transfer/lane.hpp"
#include "transfer/path_rules.hpp"

namespace lp2p::transfer {
namespace {

constexpr auto kTick = std::chrono::milliseconds(250);
// How soon `Reception::wait` notices that the lanes finished the last file (nothing wakes it
// then): with kTick it added up to 250 ms to every transfer before Done went out.
constexpr auto kFinishPoll = std::chrono::milliseconds(10);
constexpr std::size_t kInboxBlock = std::size_t{1} << 20;
constexpr auto kGather = std::chrono::milliseconds(2);  // a slow lane still moves

}  // namespace

std::string failure_code(Errc code) {
  switch (code) {
    case Errc::no_space:
      return "no-space";
    case Errc::protocol_error:
    case Errc::malformed:
    case Errc::truncated:
      return "protocol";
    case Errc::closed:
      return "cancelled";
    default:
      return "io";
  }
}

namespace {

// The bytes of one lane, handed from the loop thread to its worker.
class LaneInbox {
 public:
  explicit LaneInbox(QuicStream stream) : stream_(std::move(stream)) {}

  void attach(const std::shared_ptr<LaneInbox>& self) {
    const std::weak_ptr<LaneInbox> weak = self;
    stream_.on_data([weak](std::span<const std::uint8_t> bytes, bool fin) {
      if (auto s = weak.lock()) s->arrived(bytes, fin);
    });
    stream_.on_reset([weak](std::uint64_t code) {
      if (auto s = weak.lock()) s->reset(code);
    });
  }

  struct Item {
    std::vector<std::uint8_t> bytes;
    bool fin = false;
    std::optional<Error> error;
  };

  // The next bytes (a whole block, or what came within kGather); nullopt when `cancel` is set.
  std::optional<Item> next(const std::atomic<bool>& cancel) {
    std::unique_lock lock(mutex_);
    const auto wait_from = Clock::now();
    while (!cancel.load() && !fin_ && !error_ && chunks_.size() < 2 &&
           (chunks_.empty() ||
            (chunks_.front().size() < kInboxBlock && Clock::now() - wait_from < kGather))) {
      changed_.wait_for(lock, chunks_.empty() ? kTick : kGather);
    }
    Item item;
    if (!chunks_.empty()) {
      item.bytes = std::move(chunks_.front());
      chunks_.pop_front();
      held_ -= item.bytes.size();
      if (paused_ && held_ < kLaneQueueLow) {
        paused_ = false;
        stream_.resume_reading();
      }
      return item;
    }
    item.fin = fin_;
    item.error = error_;
    return item;
  }

  // Nothing is waiting to be read (the worker would wait).
  [[nodiscard]] bool idle() {
    const std::lock_guard lock(mutex_);
    return chunks_.empty() && !fin_ && !error_;
  }

  // Hands a block `next` returned back for reuse. Fresh blocks cost a page fault per 4 KiB on
  // first touch (glibc returns freed megabyte blocks to the kernel), which on this project's VMs
  // made the copy in `arrived` the loop thread's largest cost; recycled ones are already mapped.
  void recycle(std::vector<std::uint8_t> block) {
    if (block.capacity() < kInboxBlock) return;
    block.clear();
    const std::lock_guard lock(mutex_);
    if (spare_.size() < kMaxSpareBlocks) spare_.push_back(std::move(block));
  }

 private:
  // At most what a lane may queue before it is paused, and the block being filled.
  static constexpr std::size_t kMaxSpareBlocks = kLaneQueueHigh / kInboxBlock + 2;

  void arrived(std::span<const std::uint8_t> bytes, bool fin) {
    const std::lock_guard lock(mutex_);
    // QUIC hands over a packet's worth at a time: gather them into large blocks, so the
    // worker writes and hashes in few, large steps.
    bool completed = false;  // a block filled up: what the waiting worker waits for
    while (!bytes.empty()) {
      if (chunks_.empty() || chunks_.back().size() >= kInboxBlock) {
        if (spare_.empty()) {
          chunks_.emplace_back();
          chunks_.back().reserve(kInboxBlock);
        } else {
          chunks_.push_back(std::move(spare_.back()));
          spare_.pop_back();
        }
      }
      std::vector<std::uint8_t>& block = chunks_.back();
      const std::size_t take = std::min(bytes.size(), kInboxBlock - block.size());
      block.insert(block.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
      bytes = bytes.subspan(take);
      held_ += take;
      completed = completed || block.size() == kInboxBlock;
    }
    fin_ = fin_ || fin;
    if (!paused_ && held_ > kLaneQueueHigh) {
      paused_ = true;
      stream_.pause_reading();
    }
    // Not per packet while the worker is behind: it only waits with fewer than two blocks and
    // the first one short, which ends when a block fills up.
    if (fin || completed) changed_.notify_all();
  }
  void reset(std::uint64_t code) {
    const std::lock_guard lock(mutex_);
    error_ =
        make_error(Errc::closed, "the sender abandoned a lane (code " + std::to_string(code) + ")");
    changed_.notify_all();
  }

  QuicStream stream_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<std::uint8_t>> chunks_;
  std::vector<std::vector<std::uint8_t>> spare_;  // empty blocks of kInboxBlock capacity
  std::size_t held_ = 0;
  bool paused_ = false;
  bool fin_ = false;
  std::optional<Error> error_;
};

class Reception {
 public:
  Reception(TransferLink& link, const Offer& offer, Plan plan, SinkContext context,
            TransferObserver& observer)
      : link_(link),
        offer_(offer),
        context_(std::move(context)),
        observer_(observer),
        expected_(plan.files.size()) {
    for (PlannedFile& f : plan.files) planned_.emplace(f.index, std::move(f));
  }

  Reception(const Reception&) = delete;
  Reception& operator=(const Reception&) = delete;
  Reception(Reception&&) = delete;
  Reception& operator=(Reception&&) = delete;
  ~Reception() { join_lanes(); }

  void start_lane(QuicStream stream) {
    const std::lock_guard lock(mutex_);
    if (lanes_closed_) {
      stream.reset(0);  // the exchange is over: a late lane gets no worker
      return;
    }
    auto inbox = std::make_shared<LaneInbox>(std::move(stream));
    inbox->attach(inbox);
    threads_.emplace_back([this, inbox] { lane_main(*inbox); });
  }

  // Waits until every planned file is finished or the exchange fails.
  Result<void> wait() {
    auto last_progress = Clock::now();
    while (true) {
      {
        const std::lock_guard lock(mutex_);
        if (error_) return *error_;
        if (finished_ == expected_) return {};
      }
      auto message = link_.control().receive(kFinishPoll);
      if (Clock::now() - last_progress >= kTick) {
        last_progress = Clock::now();
        observer_.progress(received_.load(), total_);
      }
      if (message) {
        if (const auto* f = std::get_if<Failure>(&*message)) {
          fail(make_error(Errc::closed, "the sender stopped: " + f->message));
        }
      } else if (message.error().code != Errc::timed_out) {
        fail(message.error());
      }
    }
  }

  void stop_and_join() {
    link_.cancel(link_.why().empty() ? "the exchange ended" : link_.why());
    join_lanes();
  }

  // Every file is in (or the exchange failed): the lanes' workers stop, and lanes that still
  // arrive are refused.
  void join_lanes() {
    cancel_ = true;
    std::vector<std::thread> threads;
    {
      const std::lock_guard lock(mutex_);
      lanes_closed_ = true;
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

  void set_total(std::uint64_t total) { total_ = total; }
  [[nodiscard]] std::uint64_t received() const { return received_.load(); }
  [[nodiscard]] std::uint64_t saved() const { return saved_; }
  [[nodiscard]] std::uint64_t failed() const { return failed_files_; }
  [[nodiscard]] std::uint64_t already_there() const { return already_there_; }

 private:
  void fail(Error error) {
    {
      const std::lock_guard lock(mutex_);
      if (error_) return;
      error_ = error;
    }
    if (error.code != Errc::closed) {
      spdlog::warn("receiving: {}", error.message);
      (void)link_.control().send(Failure{failure_code(error.code), error.message, true});
    }
  }

  Result<void> begin(const SegmentHead& head, std::optional<FileSink>& sink) {
    std::optional<PlannedFile> plan;
    {
      const std::lock_guard lock(mutex_);
      auto it = planned_.find(head.index);
      if (it != planned_.end()) {
        plan = std::move(it->second);
        planned_.erase(it);
      }
    }
    if (!plan) {
      return make_error(Errc::protocol_error,
                        "the sender sent file " + std::to_string(head.index) + ", not wanted");
    }
    const Entry& e = offer_.entries[head.index];
    const bool trailer_only =
        plan->probe && plan->offset == 0 && head.offset == e.size && head.length == kSha256Size;
    if (plan->probe && plan->offset > 0 && head.offset == 0) {
      // The sender's prefix differs from our part: the file starts over.
      plan->offset = 0;
      plan->prefix_hash = std::make_shared<Sha256Stream>();
    }
    const std::uint64_t trailer = e.digest_follows ? kSha256Size : 0;
    if (!trailer_only &&
        (head.offset != plan->offset || head.length != e.size - plan->offset + trailer)) {
      return make_error(Errc::protocol_error, "the sender sent \"" + display_path(e.path) +
                                                  "\" from another offset or with another size");
    }
    sink.emplace(context_, std::move(*plan), e, trailer_only);
    return sink->open();
  }

  // Tells the sender (in one write) and the observer.
  // `already_there`: the results are of probed files the sender has the same (nothing saved).
  void finished(const std::vector<FileResult>& results, bool already_there = false) {
    if (results.empty()) return;
    const std::vector<Control> messages(results.begin(), results.end());
    (void)link_.control().send_all(messages);
    for (const FileResult& result : results)
      observer_.file_done(offer_.entries[result.index], result);
    const std::lock_guard lock(mutex_);
    finished_ += results.size();
    for (const FileResult& result : results) {
      (!result.ok ? failed_files_ : already_there ? already_there_ : saved_) += 1;
    }
  }

  Result<void> commit(CommitBatch& batch) {
    auto outcome = batch.commit();
    finished(outcome.results);
    if (outcome.error) return *outcome.error;
    return {};
  }

  void lane_main(LaneInbox& inbox) {
    std::optional<FileSink> sink;
    CommitBatch batch(*context_.dest);
    std::uint64_t index = 0;
    LaneReader reader({
        [&](const SegmentHead& head) -> Result<void> {
          index = head.index;
          return begin(head, sink);
        },
        [&](std::span<const std::uint8_t> bytes) -> Result<void> {
          const std::uint64_t before = sink->position();
          LP2P_TRY(sink->write(bytes));
          received_.fetch_add(sink->position() - before, std::memory_order_relaxed);
          return {};
        },
        [&]() -> Result<void> {
          auto verified = sink->verify();
          if (!verified) {
            sink.reset();
            if (verified.error().code != Errc::protocol_error) return verified.error();
            finished({FileResult{index, false, "", verified.error().message}});
            return {};
          }
          if (sink->trailer_only()) {  // the probed file is the sender's: it stays as it is
            const FileResult same{index, true, sink->rel_path(), ""};
            sink.reset();
            finished({same}, true);
            return {};
          }
          batch.add(index, std::move(*sink));
          sink.reset();
          return batch.full() ? commit(batch) : Result<void>{};
        },
    });
    // Whatever ends the lane, the files already verified are saved.
    auto stop = [&](std::optional<Error> error) {
      if (sink) sink->keep_for_resume();
      if (auto committed = commit(batch); !committed && !error) error = committed.error();
      if (error) fail(*error);
    };
    while (true) {
      // Nothing more to read now: what is verified is saved before waiting.
      if (!batch.empty() && inbox.idle()) {
        if (auto committed = commit(batch); !committed) return stop(committed.error());
      }
      auto item = inbox.next(cancel_flag());
      if (!item) return stop(std::nullopt);
      Result<void> fed = item->bytes.empty() ? Result<void>{} : reader.feed(item->bytes);
      inbox.recycle(std::move(item->bytes));
      if (fed && item->error) fed = *item->error;
      if (fed && item->fin) fed = reader.finish();
      if (!fed) return stop(fed.error());
      if (item->fin) return stop(std::nullopt);
    }
  }

  const std::atomic<bool>& cancel_flag() { return cancel_; }

  TransferLink& link_;
  const Offer& offer_;
  SinkContext context_;
  TransferObserver& observer_;
  std::atomic<bool> cancel_{false};
  std::mutex mutex_;
  std::map<std::uint64_t, PlannedFile> planned_;
  std::vector<std::thread> threads_;
  bool lanes_closed_ = false;
  std::size_t expected_ = 0;
  std::size_t finished_ = 0;
  std::uint64_t saved_ = 0;
  std::uint64_t failed_files_ = 0;
  std::uint64_t already_there_ = 0;
  std::uint64_t total_ = 0;
  std::atomic<std::uint64_t> received_{0};
  std::optional<Error> error_;
};

}  // namespace

void refuse_offer(TransferLink& link, const Offer& offer, const std::string& code,
                  const std::string& reason) {
  if (code == "declined") {
    Answer answer;
    answer.id = offer.id;
    answer.accepted = false;
    answer.reason = reason;
    (void)link.control().send(answer);
  } else {
    (void)link.control().send(Failure{code, reason, false});
  }
  link.control().finish();
}

Result<void> accept_text(TransferLink& link, const Offer& offer) {
  Answer answer;
  answer.id = offer.id;
  answer.accepted = true;
  LP2P_TRY(link.control().send(answer));
  LP2P_TRY(link.control().send(Done{offer.id, 0, offer.text ? offer.text->size() : 0}));
  link.control().finish();
  return {};
}

Result<TransferReport> receive_files(TransferLink& link, const Offer& offer, Plan plan,
                                     const SinkContext& context, TransferObserver& observer) {
  for (const auto& dir : plan.dirs) {
    if (auto made = context.dest->make_dirs(dir); !made) {
      (void)link.control().send(
          Failure{failure_code(made.error().code), made.error().message, false});
      return made.error();
    }
  }
  TransferReport report;
  report.files_have = plan.answer.have.size();
  report.bytes_resumed = plan.bytes_resumed;
  const Answer answer = plan.answer;
  const std::uint64_t total = plan.bytes_to_receive;
  // Shared with the lane handler, which may be running on the loop thread while this returns.
  auto reception = std::make_shared<Reception>(link, offer, std::move(plan), context, observer);
  Reception& r = *reception;
  r.set_total(total);
  link.on_lane([weak = std::weak_ptr<Reception>(reception)](QuicStream stream) {
    if (auto held = weak.lock()) {
      held->start_lane(std::move(stream));
    } else {
      stream.reset(0);
    }
  });
  observer.answered(offer, answer);
  const auto started = Clock::now();
  Result<void> outcome = link.control().send(answer);
  if (outcome) outcome = r.wait();
  if (!outcome) {
    r.stop_and_join();
    link.on_lane([](QuicStream stream) { stream.reset(0); });
    return outcome.error();
  }
  report.files_saved = r.saved();
  report.files_have += r.already_there();
  report.files_failed = r.failed();
  report.bytes = r.received();
  (void)link.control().send(Done{offer.id, report.files_saved + report.files_have, report.bytes});
  link.control().finish();
  link.on_lane([](QuicStream stream) { stream.reset(0); });
  r.join_lanes();
  report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  observer.progress(report.bytes, total);
  return report;
}

}  // namespace lp2p::transfer
