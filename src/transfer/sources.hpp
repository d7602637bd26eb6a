// What a sender offers: files and folders named by the person (push) or by a peer inside a shared
// folder (pull), walked without following symbolic links, and hashed (with the store's cache).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lp2p/result.hpp"
#include "transfer/messages.hpp"

namespace lp2p::store {
class Store;
}

namespace lp2p::transfer {

struct SourceFile {
  std::filesystem::path local;  // where to read it
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::int64_t ctime_ns = 0;
};

// A stat time (st_mtim, st_ctim) in nanoseconds since the Unix epoch, as entries carry them.
std::int64_t ns_of(const struct timespec& t);

// entries[i] (the offer's entry) is read from files[i] (directories have an empty `local`).
struct SourceSet {
  std::vector<Entry> entries;
  std::vector<SourceFile> files;
  std::vector<std::string> skipped;  // for people: "link -> /etc: a symbolic link, not sent"
  [[nodiscard]] std::uint64_t total_bytes() const;
  [[nodiscard]] std::size_t file_count() const;
};

// Each path becomes its own name in the offer (a folder: its name and everything below it).
// Symbolic links, devices, sockets and names that are not valid UTF-8 are skipped (and listed
// in `skipped`), never followed. Errors: not_found / refused / io_error naming the path;
// invalid_argument for two sources with the same name.
Result<SourceSet> collect_sources(const std::vector<std::filesystem::path>& paths);

// The paths of a pull, relative to the shared folder `root` ("" or "." for all of it). Each is
// checked by path_rules and resolved one component at a time without following a symbolic
// link, so nothing outside `root` can be named. Offer paths keep their place below `root`.
Result<SourceSet> collect_shared(const std::filesystem::path& root,
                                 const std::vector<std::string>& paths);

// What to do with a file larger than one chunk whose digest is not cached.
enum class BigFiles {
  digest_follows,  // not read now: its digest is computed as it is sent (one peer)
  hash_now,        // read once now, for all the peers of a group (each would hash it again)
};

// Fills every file entry's sha256 (and chunk_hashes, when the cache has them), from `cache` when
// the file did not change (dev, inode, size, mtime, ctime) and by reading it otherwise (then
// remembered); big files as `big` says (digest-follows ones are remembered by
// remember_digests). `progress` hears bytes hashed (and digest-follows files as done); a set
// `cancel` stops with Errc::closed.
Result<void> hash_sources(
    SourceSet& set, std::uint64_t chunk_size, store::Store* cache, BigFiles big,
    const std::atomic<bool>* cancel,
    const std::function<void(std::uint64_t done, std::uint64_t total)>& progress);

// Remembers in `cache` the digests a sender computed while sending (TransferReport::digests),
// for files that did not change since they were collected. A cache: failing costs time only.
void remember_digests(const SourceSet& set,
                      std::span<const std::pair<std::uint64_t, Sha256>> digests,
                      std::uint64_t chunk_size, store::Store* cache);

}  // namespace lp2p::transfer
