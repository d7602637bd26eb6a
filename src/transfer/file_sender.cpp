#include "transfer/file_sender.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <set>
#include <thread>

#include "common/unique_fd.hpp"
#include "transfer/file_read.hpp"
#include "transfer/hashing.hpp"
#include "transfer/lane.hpp"
#include "transfer/path_rules.hpp"

namespace lp2p::transfer {
namespace {

constexpr auto kTick = std::chrono::milliseconds(250);

// The files left to send, shared by the lanes.
class WorkQueue {
 public:
  explicit WorkQueue(const std::vector<Wanted>& wanted) : items_(wanted.begin(), wanted.end()) {}
  std::optional<Wanted> next() {
    const std::lock_guard lock(mutex_);
    if (items_.empty()) return std::nullopt;
    Wanted w = items_.front();
    items_.pop_front();
    return w;
  }

 private:
  std::mutex mutex_;
  std::deque<Wanted> items_;
};

struct LaneShared {
  LaneShared(TransferLink& l, const SourceSet& s, const Offer& o, const std::vector<Wanted>& wanted)
      : link(l), sources(s), offer(o), queue(wanted) {}

  TransferLink& link;
  const SourceSet& sources;
  const Offer& offer;
  WorkQueue queue;
  std::atomic<std::uint64_t> sent{0};
  std::mutex mutex;
  std::optional<Error> failed;  // the first lane error
  std::vector<std::pair<std::uint64_t, Sha256>> digests;
  std::set<std::uint64_t> already_there;  // answered by the trailer alone (probe matched)

  void fail(Error error) {
    const std::lock_guard lock(mutex);
    if (!failed) failed = std::move(error);
  }
  // `there`: the file was answered by the trailer alone.
  void computed(std::uint64_t index, const Sha256& digest, bool there = false) {
    const std::lock_guard lock(mutex);
    digests.emplace_back(index, digest);
    if (there) already_there.insert(index);
  }
};

// What a lane is about to write: segment heads and file bytes back to back, written when the
// block is full. Small files share writes (one call to the loop thread per kReadBlock, not two
// per file); a big file's head goes out with its first bytes.
class LaneBuffer {
 public:
  explicit LaneBuffer(StreamWriter& writer) : writer_(writer), block_(kReadBlock) {}

  Result<void> append_head(std::uint64_t index, std::uint64_t offset, std::uint64_t length) {
    head_.clear();
    append_segment_head(index, offset, length, head_);
    return append(head_);
  }
  Result<void> append(std::span<const std::uint8_t> bytes) {
    if (room().size() < bytes.size()) LP2P_TRY(flush());
    std::memcpy(block_.data() + used_, bytes.data(), bytes.size());
    used_ += bytes.size();
    return {};
  }
  // The free part of the block (flush() first when it is empty).
  [[nodiscard]] std::span<std::uint8_t> room() const { return block_.span().subspan(used_); }
  // Reading file offset `at` into room() copies page to page (ReadBuffer).
  [[nodiscard]] bool aligned_with(std::uint64_t at) const {
    return used_ % kPageSize == at % kPageSize;
  }
  void filled(std::size_t n) { used_ += n; }
  Result<void> flush() {
    if (used_ == 0) return {};
    LP2P_TRY(writer_.write_all({block_.data(), used_}));
    used_ = 0;
    return {};
  }

 private:
  StreamWriter& writer_;
  ReadBuffer block_;
  std::size_t used_ = 0;
  std::vector<std::uint8_t> head_;
};

// The file still is what was offered (digest-follows: what was just read is what was offered).
bool unchanged(int fd, const Entry& e, const SourceFile& src) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) == e.size &&
         ns_of(st.st_mtim) == e.mtime_ns && ns_of(st.st_ctim) == src.ctime_ns;
}

// A digest-follows file whose digest equals the receiver's probe of its same-size file is
// answered by the trailer alone (same); otherwise its digest is known beforehand.
struct ProbeOutcome {
  bool same = false;
  std::optional<Sha256> digest;
};

Result<ProbeOutcome> answer_whole_probe(LaneShared& s, LaneBuffer& out, const Wanted& w, int fd) {
  const Entry& e = s.offer.entries[w.index];
  if (!e.digest_follows || !w.probe || w.offset > 0) return ProbeOutcome{};
  auto whole = hash_whole(fd, e.size, &s.link.cancel_flag());
  if (!whole) return std::move(whole).error();
  if (*whole != *w.probe) return ProbeOutcome{false, *whole};
  LP2P_TRY(out.append_head(w.index, e.size, kSha256Size));
  LP2P_TRY(out.append(*whole));
  s.computed(w.index, *whole, true);
  return ProbeOutcome{true, *whole};
}

Result<void> send_one(LaneShared& s, LaneBuffer& out, const Wanted& w) {
  const Entry& e = s.offer.entries[w.index];
  const SourceFile& src = s.sources.files[w.index];
  const UniqueFd file(::open(src.local.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!file) {
    return make_error(Errc::io_error, src.local.string() + ": " + std::strerror(errno));
  }
  const int fd = file.get();
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_ino) != src.ino ||
      static_cast<std::uint64_t>(st.st_size) != e.size) {
    return make_error(Errc::io_error,
                      src.local.string() + " changed since it was offered; send it again");
  }
  auto probed = answer_whole_probe(s, out, w, fd);
  if (!probed) return std::move(probed).error();
  if (probed->same) return {};
  // A digest-follows file's SHA-256 comes from the bytes as they are sent, after its prefix
  // when resuming: the file is read once. A resumed prefix the receiver probes is compared.
  std::uint64_t from = w.offset;
  std::optional<Sha256Stream> digest;
  if (!probed->digest && (e.digest_follows || (w.probe && from > 0))) {
    digest.emplace();
    if (from > 0) LP2P_TRY(hash_prefix(fd, from, *digest, &s.link.cancel_flag()));
    if (from > 0 && w.probe && digest->peek() != *w.probe) {
      digest.emplace();  // the receiver's part is not our prefix: it starts over
      from = 0;
    }
    if (!e.digest_follows) digest.reset();  // it had the prefix compared only
  }
  const std::uint64_t trailer = e.digest_follows ? kSha256Size : 0;
  LP2P_TRY(out.append_head(w.index, from, e.size - from + trailer));
  std::uint64_t at = from;
  while (at < e.size) {
    if (s.link.cancelled()) return make_error(Errc::closed, s.link.why());
    // A file that fits shares the block; a longer one, after its first read, is read in whole
    // pages into the block's start, which is where the kernel copies fastest.
    if (out.room().empty() || (at > from && !out.aligned_with(at))) LP2P_TRY(out.flush());
    const std::span<std::uint8_t> room = out.room();
    const std::uint64_t left = e.size - at;
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(room.size(), left));
    const std::uint64_t page_end = (at + want) / kPageSize * kPageSize;
    if (want < left && page_end > at) want = static_cast<std::size_t>(page_end - at);
    auto got = read_at(fd, room.first(want), at);
    if (!got || *got == 0) {
      return make_error(Errc::io_error,
                        src.local.string() + ": " + (got ? "became shorter" : got.error().message));
    }
    if (digest) digest->update(room.first(*got));
    out.filled(*got);
    at += *got;
    s.sent.fetch_add(*got, std::memory_order_relaxed);
  }
  if (!e.digest_follows) return {};
  Sha256 sent = probed->digest ? *probed->digest : digest->finish();
  if (unchanged(fd, e, src)) {
    s.computed(w.index, sent);
  } else {
    sent = Sha256{};  // all zeros: the receiver discards what it got
  }
  return out.append(sent);
}

void lane_main(LaneShared& s) {
  auto writer = s.link.open_lane();
  if (!writer) {
    s.fail(writer.error());
    return;
  }
  LaneBuffer out(**writer);
  while (auto w = s.queue.next()) {
    if (auto sent = send_one(s, out, *w); !sent) {
      s.fail(sent.error());
      return;
    }
  }
  if (auto flushed = out.flush(); !flushed) {
    s.fail(flushed.error());
    return;
  }
  if (auto finished = (*writer)->finish(); !finished) s.fail(finished.error());
}

Result<void> check_answer(const Offer& offer, const Answer& answer) {
  std::vector<bool> seen(offer.entries.size(), false);
  for (const Wanted& w : answer.wanted) {
    if (w.index >= offer.entries.size() || offer.entries[w.index].directory || seen[w.index] ||
        w.offset > offer.entries[w.index].size) {
      return make_error(Errc::protocol_error, "the receiver asked for a file that was not offered");
    }
    seen[w.index] = true;
  }
  return {};
}

// Waits for the receiver's answer to `offer`.
Result<Answer> await_answer(TransferLink& link, const Offer& offer, const SendOptions& options) {
  LP2P_TRY(link.control().send(offer));
  auto reply = link.control().receive(options.answer_timeout);
  if (!reply) return std::move(reply).error();
  if (const auto* f = std::get_if<Failure>(&*reply)) return failure_error(*f);
  const auto* answer = std::get_if<Answer>(&*reply);
  if (answer == nullptr || answer->id != offer.id) {
    return make_error(Errc::protocol_error, "the receiver did not answer the offer");
  }
  if (!answer->accepted) {
    return make_error(Errc::refused,
                      "declined" + (answer->reason.empty() ? "" : ": " + answer->reason));
  }
  return *answer;
}

}  // namespace

Error failure_error(const Failure& failure) {
  const Errc code = failure.code == "no-space"                                   ? Errc::no_space
                    : failure.code == "io"                                       ? Errc::io_error
                    : failure.code == "declined" || failure.code == "not-shared" ? Errc::refused
                    : failure.code == "cancelled"                                ? Errc::closed
                                                  : Errc::protocol_error;
  std::string text = "the other device stopped: " + failure.message;
  if (failure.resumable) text += " (what arrived is kept: sending again resumes)";
  return make_error(code, text);
}

Result<TransferReport> send_files(TransferLink& link, const SourceSet& sources, const Offer& offer,
                                  TransferObserver& observer, const SendOptions& options) {
  auto answer = await_answer(link, offer, options);
  if (!answer) return std::move(answer).error();
  LP2P_TRY(check_answer(offer, *answer));
  observer.answered(offer, *answer);
  const auto started = Clock::now();

  TransferReport report;
  report.files_have = answer->have.size();
  std::uint64_t total = 0;
  for (const Wanted& w : answer->wanted) {
    total += offer.entries[w.index].size - w.offset;
    report.bytes_resumed += w.offset;
  }
  LaneShared shared(link, sources, offer, answer->wanted);
  std::vector<std::thread> lanes;
  const std::size_t lane_count = std::min(kLanes, answer->wanted.size());
  for (std::size_t i = 0; i < lane_count; ++i) lanes.emplace_back([&shared] { lane_main(shared); });

  std::optional<Error> error;
  bool done = false;
  auto last_change = Clock::now();
  std::uint64_t last_sent = 0;
  while (!done && !error) {
    auto message = link.control().receive(kTick);
    const std::uint64_t sent = shared.sent.load();
    observer.progress(sent, total);
    if (sent != last_sent) {
      last_sent = sent;
      last_change = Clock::now();
    }
    if (!message) {
      if (message.error().code != Errc::timed_out) {
        error = message.error();
      } else if (Clock::now() - last_change > options.idle_timeout) {
        error = make_error(Errc::timed_out, "the receiver stopped taking data");
      } else {
        const std::lock_guard lock(shared.mutex);
        if (shared.failed) error = *shared.failed;
      }
      continue;
    }
    last_change = Clock::now();
    if (const auto* r = std::get_if<FileResult>(&*message)) {
      if (r->index >= offer.entries.size()) {
        error = make_error(Errc::protocol_error, "a result for a file that was not offered");
        continue;
      }
      bool there = false;
      {
        const std::lock_guard lock(shared.mutex);
        there = shared.already_there.contains(r->index);
      }
      (!r->ok ? report.files_failed : there ? report.files_have : report.files_saved) += 1;
      observer.file_done(offer.entries[r->index], *r);
    } else if (const auto* f = std::get_if<Failure>(&*message)) {
      error = failure_error(*f);
    } else if (std::holds_alternative<Done>(*message)) {
      done = true;
    }
  }
  if (error) {
    if (error->code == Errc::io_error || error->code == Errc::timed_out) {
      (void)link.control().send(Failure{"io", error->message, true});
    }
    link.cancel(error->message);
  }
  for (std::thread& t : lanes) t.join();
  if (error) return *error;
  report.bytes = shared.sent.load();
  report.digests = std::move(shared.digests);
  report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  observer.progress(report.bytes, total);
  link.control().finish();
  return report;
}

Result<void> send_text(TransferLink& link, const Offer& offer, const SendOptions& options) {
  auto answer = await_answer(link, offer, options);
  if (!answer) return std::move(answer).error();
  auto done = link.control().receive(options.idle_timeout);
  if (!done) return std::move(done).error();
  if (const auto* f = std::get_if<Failure>(&*done)) return failure_error(*f);
  link.control().finish();
  return {};
}

}  // namespace lp2p::transfer
