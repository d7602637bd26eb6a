#include "transfer/sources.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "store/store.hpp"
#include "transfer/hashing.hpp"
#include "transfer/path_rules.hpp"

namespace lp2p::transfer {
namespace {

namespace fs = std::filesystem;

Error stat_error(const fs::path& path, int err) {
  const Errc code = err == ENOENT || err == ENOTDIR ? Errc::not_found
                    : err == EACCES                 ? Errc::refused
                                                    : Errc::io_error;
  return make_error(code, path.string() + ": " + std::strerror(err));
}

class Walker {
 public:
  explicit Walker(SourceSet& set) : set_(set) {}

  // Adds `local` as `rel` (and, for a folder, what is below it).
  Result<void> add(const fs::path& local, const std::string& rel) {
    struct stat st {};
    if (::lstat(local.c_str(), &st) != 0) return stat_error(local, errno);
    if (auto valid = check_relative_path(rel); !valid) {
      set_.skipped.push_back(display_path(local.string()) + ": " + valid.error().message);
      return {};
    }
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const fs::path target = fs::read_symlink(local, ec);
      set_.skipped.push_back(display_path(rel) + " -> " + display_path(target.string()) +
                             ": a symbolic link, not followed");
      return {};
    }
    if (S_ISREG(st.st_mode)) {
      Entry e;
      e.path = rel;
      e.size = static_cast<std::uint64_t>(st.st_size);
      e.mtime_ns = ns_of(st.st_mtim);
      e.mode = st.st_mode & 0777U;
      set_.entries.push_back(std::move(e));
      set_.files.push_back({local, static_cast<std::uint64_t>(st.st_dev),
                            static_cast<std::uint64_t>(st.st_ino), ns_of(st.st_ctim)});
      return {};
    }
    if (!S_ISDIR(st.st_mode)) {
      set_.skipped.push_back(display_path(rel) + ": not a regular file or folder");
      return {};
    }
    Entry dir;
    dir.path = rel;
    dir.directory = true;
    dir.mtime_ns = ns_of(st.st_mtim);
    dir.mode = st.st_mode & 0777U;
    set_.entries.push_back(std::move(dir));
    set_.files.push_back({});
    std::error_code ec;
    std::vector<std::string> names;
    for (fs::directory_iterator it(local, ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) return stat_error(local, ec.value());
    std::ranges::sort(names);
    for (const std::string& name : names) {
      if (is_part_name(name)) continue;  // our own temporary files are never sent
      std::string child = rel;
      child += '/';
      child += name;
      LP2P_TRY(add(local / name, child));
    }
    return {};
  }

 private:
  SourceSet& set_;
};

// The cache's key of a source: its absolute path.
std::string cache_key(const SourceFile& src) {
  return fs::absolute(src.local).lexically_normal().string();
}

// The cache's record of `e`'s digest as read from `src` (valid while dev, inode, size and times
// hold). Digests are computed in one pass now: no chunk hashes.
store::HashRecord hash_record(std::uint64_t chunk_size, const Entry& e, const SourceFile& src,
                              const Sha256& sha256) {
  store::HashRecord record;
  record.path = cache_key(src);
  record.chunk_size = chunk_size;
  record.dev = src.dev;
  record.ino = src.ino;
  record.size = e.size;
  record.mtime_ns = e.mtime_ns;
  record.ctime_ns = src.ctime_ns;
  record.sha256 = sha256;
  record.hashed_at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return record;
}

}  // namespace

std::int64_t ns_of(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

std::uint64_t SourceSet::total_bytes() const {
  std::uint64_t total = 0;
  for (const Entry& e : entries) total += e.directory ? 0 : e.size;
  return total;
}

std::size_t SourceSet::file_count() const {
  return static_cast<std::size_t>(
      std::ranges::count_if(entries, [](const Entry& e) { return !e.directory; }));
}

Result<SourceSet> collect_sources(const std::vector<fs::path>& paths) {
  SourceSet set;
  Walker walker(set);
  std::set<std::string> names;
  for (const fs::path& given : paths) {
    fs::path path = given.lexically_normal();
    if (!path.has_filename()) path = path.parent_path();  // "photos/" -> "photos"
    std::string name = path.filename().string();
    if (name.empty() || name == "." || name == "..") {
      std::error_code ec;
      name = fs::absolute(path, ec).lexically_normal().filename().string();
    }
    if (name.empty()) return make_error(Errc::invalid_argument, "cannot send " + given.string());
    if (!names.insert(name).second) {
      return make_error(Errc::invalid_argument,
                        "two of the paths are named \"" + display_path(name) +
                            "\": they would land on the same name; send them one at a time");
    }
    LP2P_TRY(walker.add(path, name));
  }
  return set;
}

Result<SourceSet> collect_shared(const fs::path& root, const std::vector<std::string>& paths) {
  SourceSet set;
  Walker walker(set);
  for (const std::string& requested : paths) {
    if (requested.empty() || requested == ".") {
      std::error_code ec;
      std::vector<std::string> names;
      for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        names.push_back(it->path().filename().string());
      }
      if (ec) return stat_error(root, ec.value());
      std::ranges::sort(names);
      for (const std::string& name : names) {
        if (!is_part_name(name)) LP2P_TRY(walker.add(root / name, name));
      }
      continue;
    }
    auto parts = check_relative_path(requested);
    if (!parts) return std::move(parts).error();
    fs::path local = root;
    for (std::size_t i = 0; i < parts->size(); ++i) {
      local /= (*parts)[i];
      struct stat st {};
      if (::lstat(local.c_str(), &st) != 0) {
        return make_error(Errc::not_found, "\"" + display_path(requested) + "\" is not shared");
      }
      if (S_ISLNK(st.st_mode) || (i + 1 < parts->size() && !S_ISDIR(st.st_mode))) {
        return make_error(Errc::refused, "\"" + display_path(requested) +
                                             "\" leads through a symbolic link: not shared");
      }
    }
    LP2P_TRY(walker.add(local, requested));
  }
  return set;
}

Result<void> hash_sources(SourceSet& set, std::uint64_t chunk_size, store::Store* cache,
                          BigFiles big, const std::atomic<bool>* cancel,
                          const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  const std::uint64_t total = set.total_bytes();
  std::uint64_t done = 0;
  // New digests are remembered in batches (one store transaction each), also when hashing
  // stops early: what was read is not read again.
  constexpr std::size_t kBatch = 1000;
  std::vector<store::HashRecord> fresh;
  auto remember = [&] {
    if (cache != nullptr && !fresh.empty()) (void)cache->put_hashes(fresh);
    fresh.clear();
  };
  struct Flush {
    std::function<void()> run;
    explicit Flush(std::function<void()> f) : run(std::move(f)) {}
    Flush(const Flush&) = delete;
    Flush& operator=(const Flush&) = delete;
    Flush(Flush&&) = delete;
    Flush& operator=(Flush&&) = delete;
    ~Flush() { run(); }
  } flush{remember};
  for (std::size_t i = 0; i < set.entries.size(); ++i) {
    Entry& e = set.entries[i];
    if (e.directory) continue;
    const SourceFile& src = set.files[i];
    if (cache != nullptr) {
      auto hit = cache->cached_hash(cache_key(src), chunk_size, src.dev, src.ino, e.size,
                                    e.mtime_ns, src.ctime_ns);
      if (hit && *hit) {
        e.sha256 = (*hit)->sha256;
        e.chunk_hashes = (*hit)->chunk_hashes;
        done += e.size;
        if (progress) progress(done, total);
        continue;
      }
    }
    if (e.size > chunk_size && big == BigFiles::digest_follows) {
      e.digest_follows = true;
      done += e.size;
      if (progress) progress(done, total);
      continue;
    }
    const int fd = ::open(src.local.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return stat_error(src.local, errno);
    const std::uint64_t before = done;
    // One pass, no chunk hashes: a resumed file's part is checked with a probe (version 2).
    auto digest = hash_whole(fd, e.size, cancel, [&](std::uint64_t at) {
      if (progress) progress(before + at, total);
    });
    ::close(fd);
    if (!digest) {
      return make_error(digest.error().code, src.local.string() + ": " + digest.error().message);
    }
    e.sha256 = *digest;
    done += e.size;
    if (cache != nullptr) {
      fresh.push_back(hash_record(chunk_size, e, src, e.sha256));
      if (fresh.size() >= kBatch) remember();
    }
  }
  return {};
}

void remember_digests(const SourceSet& set,
                      std::span<const std::pair<std::uint64_t, Sha256>> digests,
                      std::uint64_t chunk_size, store::Store* cache) {
  if (cache == nullptr || digests.empty()) return;
  std::vector<store::HashRecord> records;
  for (const auto& [index, digest] : digests) {
    if (index >= set.entries.size() || set.entries[index].directory) continue;
    records.push_back(hash_record(chunk_size, set.entries[index], set.files[index], digest));
  }
  (void)cache->put_hashes(records);
}

}  // namespace lp2p::transfer
