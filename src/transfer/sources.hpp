// What a sender offers: files and folders named by the person (push) or by a peer inside a shared
// folder (pull), walked without following symbolic links, and hashed (with the store's cache).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
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

// Fills every file entry's sha256 and chunk_hashes, from `cache` when the file did not change
// (dev, inode, size, mtime, ctime) and by reading it otherwise (then remembered). `progress`
// hears bytes hashed; a set `cancel` stops with Errc::closed.
Result<void> hash_sources(
    SourceSet& set, std::uint64_t chunk_size, store::Store* cache, const std::atomic<bool>* cancel,
    const std::function<void(std::uint64_t done, std::uint64_t total)>& progress);

}  // namespace lp2p::transfer
