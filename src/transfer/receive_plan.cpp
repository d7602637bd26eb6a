#include "transfer/receive_plan.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "transfer/file_names.hpp"
#include "transfer/file_read.hpp"
#include "transfer/path_rules.hpp"

namespace lp2p::transfer {
namespace {

Error refuse(const Entry& e, const std::string& why) {
  return make_error(Errc::invalid_argument, "\"" + display_path(e.path) + "\": " + why);
}

// How much of an existing part file matches the offered chunks: whole chunks from the start,
// never the last one (so a resumed file always ends by receiving bytes). Fills `prefix` with the
// SHA-256 state after them.
std::uint64_t verified_prefix(int fd, std::uint64_t part_size, const Entry& e,
                              std::uint64_t chunk_size, Sha256Stream& prefix,
                              const std::atomic<bool>* cancel) {
  if (e.chunk_hashes.empty()) return 0;  // a one-chunk file starts over
  const ReadBuffer buffer(chunk_size);
  std::uint64_t at = 0;
  for (std::size_t chunk = 0; at + chunk_size <= part_size && at + chunk_size < e.size; ++chunk) {
    if (cancel != nullptr && cancel->load()) break;
    auto got = read_at(fd, buffer.span(), at);
    if (!got || *got != chunk_size) break;
    const std::span<const std::uint8_t> bytes(buffer.data(), chunk_size);
    const Sha256 h = sha256_of(bytes);
    const auto expected = e.chunk_hashes.begin() + static_cast<std::ptrdiff_t>(chunk * kSha256Size);
    if (!std::equal(h.begin(), h.end(), expected)) break;
    prefix.update(bytes);
    at += chunk_size;
  }
  return at;
}

}  // namespace

std::string content_key(const Entry& e) {
  if (!e.digest_follows) return to_hex(e.sha256);
  std::string identity = "lp2p digest-follows\n" + e.path + "\n" + std::to_string(e.size) + "\n" +
                         std::to_string(e.mtime_ns);
  return to_hex(
      sha256_of({reinterpret_cast<const std::uint8_t*>(identity.data()), identity.size()}));
}

Result<void> check_offer(const Offer& offer) {
  if (offer.text) {
    if (!offer.entries.empty()) {
      return make_error(Errc::invalid_argument, "an offer of text carries no files");
    }
    return {};
  }
  if (offer.entries.empty()) return make_error(Errc::invalid_argument, "an empty offer");
  if (offer.entries.size() > kMaxEntries) {
    return make_error(Errc::too_large, std::to_string(offer.entries.size()) + " entries, at most " +
                                           std::to_string(kMaxEntries));
  }
  if (offer.chunk_size < kMinChunkSize || offer.chunk_size > kMaxChunkSize) {
    return make_error(Errc::invalid_argument,
                      "chunk size " + std::to_string(offer.chunk_size) + " is out of range");
  }
  std::set<std::string> files;
  std::set<std::string> dirs;
  std::uint64_t total = 0;
  for (const Entry& e : offer.entries) {
    auto parts = check_relative_path(e.path);
    if (!parts) return std::move(parts).error();
    if (!files.insert(e.path).second || dirs.contains(e.path)) {
      return refuse(e, "offered twice");
    }
    std::string prefix;
    for (std::size_t i = 0; i + 1 < parts->size(); ++i) {
      prefix += (i == 0 ? "" : "/") + (*parts)[i];
      dirs.insert(prefix);
    }
    if (e.directory) {
      dirs.insert(e.path);
      files.erase(e.path);
      continue;
    }
    if (e.size > kMaxFileSize) return refuse(e, "larger than 1 PiB");
    total += e.size;
    if (total > kMaxFileSize) {
      return make_error(Errc::too_large, "the offer adds up to more than 1 PiB");
    }
    const std::uint64_t chunks = chunk_count(e.size, offer.chunk_size);
    const std::size_t expected = chunks > 1 ? chunks * kSha256Size : 0;
    if (e.digest_follows && (e.size == 0 || !e.chunk_hashes.empty())) {
      return refuse(e, "digest-follows, but empty or with chunk hashes");
    }
    if (!e.chunk_hashes.empty() && e.chunk_hashes.size() != expected) {
      return refuse(e, "has " + std::to_string(e.chunk_hashes.size() / kSha256Size) +
                           " chunk hashes for " + std::to_string(chunks > 1 ? chunks : 0));
    }
  }
  for (const std::string& f : files) {
    if (dirs.contains(f)) {
      return make_error(Errc::invalid_argument,
                        "\"" + display_path(f) + "\" is offered both as a file and as a folder");
    }
  }
  return {};
}

Result<Plan> plan_receive(const Offer& offer, DestDir& dest, Journal* journal,
                          const PlanOptions& options) {
  LP2P_TRY(check_offer(offer));
  Plan plan;
  plan.answer.id = offer.id;
  plan.answer.accepted = true;
  const std::string root = dest.root().string();
  for (std::size_t index = 0; index < offer.entries.size(); ++index) {
    const Entry& e = offer.entries[index];
    auto parts = check_relative_path(e.path);
    if (!parts) return std::move(parts).error();
    if (e.directory) {
      plan.dirs.push_back(std::move(*parts));
      continue;
    }
    PlannedFile file;
    file.index = index;
    file.rel_path = e.path;
    file.name = parts->back();
    parts->pop_back();
    file.dir = std::move(*parts);
    file.content_key = content_key(e);
    file.part_tag = file.content_key.substr(0, 8);
    file.prefix_hash = std::make_shared<Sha256Stream>();
    file.journaled = e.size > offer.chunk_size;

    std::vector<std::string> final_path = file.dir;
    final_path.push_back(file.name);
    auto existing = dest.stat_at(final_path);
    if (existing && *existing && S_ISREG((*existing)->st_mode) &&
        static_cast<std::uint64_t>((*existing)->st_size) == e.size) {
      auto fd = dest.open_read(final_path);
      const auto digest =
          fd ? hash_whole(fd->get(), e.size, options.cancel) : Result<Sha256>(fd.error());
      if (digest && e.digest_follows) {
        file.probe = *digest;  // the sender compares
      } else if (digest && *digest == e.sha256) {
        plan.answer.have.push_back(index);
        continue;
      }
    }

    // A part file from an earlier attempt: the journal names it; its chunks prove it.
    std::vector<std::string> part_path = file.dir;
    part_path.push_back(part_name_for(file.name, file.part_tag));
    auto part = dest.stat_at(part_path);
    if (part && *part && S_ISREG((*part)->st_mode) && (*part)->st_size > 0) {
      auto fd = dest.open_read(part_path);
      const auto part_size = static_cast<std::uint64_t>((*part)->st_size);
      if (fd && !e.chunk_hashes.empty()) {
        file.offset = verified_prefix(fd->get(), part_size, e, offer.chunk_size, *file.prefix_hash,
                                      options.cancel);
      } else if (fd && file.journaled) {
        // No chunk hashes to check the part with: the sender checks it (the probe), and starts
        // over if its prefix differs. Whole chunks, never the file's end.
        const std::uint64_t end =
            std::min(part_size, e.size - 1) / offer.chunk_size * offer.chunk_size;
        if (end > 0 && hash_prefix(fd->get(), end, *file.prefix_hash, options.cancel)) {
          file.offset = end;
          file.probe = file.prefix_hash->peek();
        }
      }
      if (file.offset == 0) file.prefix_hash = std::make_shared<Sha256Stream>();
    } else if (journal != nullptr && file.journaled) {
      journal->forget(file.content_key, e.size, root, e.path);  // its part is gone
    }
    plan.bytes_resumed += file.offset;
    plan.bytes_to_receive += e.size - file.offset;
    plan.answer.wanted.push_back({index, file.offset, file.probe});
    plan.files.push_back(std::move(file));
  }
  auto free = dest.free_space();
  if (!free) return std::move(free).error();
  if (plan.bytes_to_receive > *free) {
    return make_error(Errc::no_space, "the files need " + human_bytes(plan.bytes_to_receive) +
                                          ", " + root + " has " + human_bytes(*free) + " free");
  }
  return plan;
}

}  // namespace lp2p::transfer
