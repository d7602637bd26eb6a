#include "transfer/dest_dir.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>  // renameat2
#include <limits>
#include <utility>

#include "transfer/file_names.hpp"
#include "transfer/fs_error.hpp"
#include "transfer/path_rules.hpp"

namespace lp2p::transfer {
namespace {

constexpr int kOpenDir = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
// Files are opened with O_NONBLOCK so that a FIFO planted under their name cannot block the
// open; the flag is dropped once the file is known to be a regular one.
constexpr int kOpenFile = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
constexpr unsigned kMaxNumberedNames = 9999;

std::string joined(const std::vector<std::string>& components, std::size_t count) {
  std::string path;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) path += '/';
    path += components[i];
  }
  return path;
}

// One component of a path below the root: never lets a walk leave the directory it is in.
Result<void> check_component(std::string_view component) {
  if (component.empty() || component == "." || component == ".." ||
      component.find('/') != std::string_view::npos ||
      component.find('\0') != std::string_view::npos || component.size() > kMaxComponentBytes) {
    return make_error(Errc::invalid_argument,
                      "not a usable file name component: \"" + display_path(component) + "\"");
  }
  return {};
}

Result<void> check_components(const std::vector<std::string>& components) {
  for (const auto& c : components) LP2P_TRY(check_component(c));
  return {};
}

// What stands where a path needed a directory (or a file not to be followed).
enum class Blocker { none, symlink, not_directory };

Blocker blocker(int dir_fd, const std::string& name, int err) {
  struct stat status {};
  if ((err != ELOOP && err != ENOTDIR) ||
      ::fstatat(dir_fd, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
    return Blocker::none;
  }
  if (S_ISLNK(status.st_mode)) return Blocker::symlink;
  return err == ENOTDIR ? Blocker::not_directory : Blocker::none;
}

// Why `name` could not be opened: a link or a non-directory is a refusal of its own; the rest
// is the errno's. `shown_path` is the path below the root, escaped.
Error open_error(Blocker what, int err, const std::string& shown_path,
                 const std::filesystem::path& root) {
  const std::string in_root = "' in " + display_path(root.string());
  switch (what) {
    case Blocker::symlink:
      return make_error(Errc::refused,
                        "refusing to follow the symbolic link '" + shown_path + in_root);
    case Blocker::not_directory:
      return make_error(Errc::refused, "'" + shown_path + in_root + " is not a directory");
    case Blocker::none:
      break;
  }
  return fs_error(err, "cannot open '" + shown_path + in_root);
}

// errno if `failed`, else 0: read at once, before building a message can change it.
int errno_if(bool failed) {
  return failed ? errno : 0;
}

Result<void> drop_nonblock(int fd, const std::string& shown) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (const int err = errno_if(flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)) {
    return fs_error(err, "cannot set the flags of " + shown);
  }
  return {};
}

// futimens's form of a time in nanoseconds since the epoch (negative: before 1970).
timespec timespec_of(std::int64_t ns) {
  constexpr std::int64_t kBillion = 1'000'000'000;
  std::int64_t seconds = ns / kBillion;
  std::int64_t rest = ns % kBillion;
  if (rest < 0) rest += kBillion, --seconds;
  return timespec{static_cast<time_t>(seconds), static_cast<long>(rest)};
}

}  // namespace

Result<void> PartFile::write_at(std::span<const std::uint8_t> bytes, std::uint64_t offset) {
  constexpr auto kMaxOffset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
  if (offset > kMaxOffset || bytes.size() > kMaxOffset - offset) {
    return make_error(Errc::invalid_argument, shown_ + ": write beyond the largest file offset (" +
                                                  std::to_string(offset) + " + " +
                                                  std::to_string(bytes.size()) + ")");
  }
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd_.get(), bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return fs_error(err, "cannot write " + shown_ + " at offset " + std::to_string(offset));
    }
    if (n == 0) {
      return make_error(Errc::io_error, "cannot write " + shown_ + " at offset " +
                                            std::to_string(offset) + ": nothing written");
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<void> PartFile::sync() {
  if (const int err = errno_if(::fdatasync(fd_.get()) != 0))
    return fs_error(err, "cannot sync " + shown_);
  return {};
}

Result<void> PartFile::truncate(std::uint64_t size) {
  if (size > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) {
    return make_error(Errc::invalid_argument, shown_ + ": size " + std::to_string(size) +
                                                  " is beyond the largest file size");
  }
  if (const int err = errno_if(::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0)) {
    return fs_error(err, "cannot truncate " + shown_ + " to " + std::to_string(size) + " bytes");
  }
  return {};
}

Result<DestDir> DestDir::open(const std::filesystem::path& root, bool create) {
  if (root.empty()) return make_error(Errc::invalid_argument, "no destination directory given");
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(root, ec).lexically_normal();
  if (ec) {
    return make_error(Errc::io_error,
                      "cannot make " + display_path(root.string()) + " absolute: " + ec.message());
  }
  if (!absolute.has_filename() && absolute.has_relative_path()) absolute = absolute.parent_path();
  const std::string shown = display_path(absolute.string());
  if (const int err = errno_if(create && ::mkdir(absolute.c_str(), 0755) != 0 && errno != EEXIST)) {
    return fs_error(err, "cannot create the destination directory " + shown);
  }
  UniqueFd fd(::open(absolute.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT) {
      return make_error(Errc::not_found, "the destination directory " + shown + " does not exist");
    }
    return fs_error(err, "cannot open the destination directory " + shown);
  }
  return DestDir(std::move(fd), std::move(absolute));
}

std::string DestDir::shown(const std::vector<std::string>& dir, std::string_view name) const {
  std::string path = root_.string();
  for (const auto& c : dir) path += "/" + c;
  if (!name.empty()) path += "/" + std::string(name);
  return display_path(path);
}

Result<std::optional<UniqueFd>> DestDir::walk(const std::vector<std::string>& dir,
                                              Missing missing) {
  LP2P_TRY(check_components(dir));
  UniqueFd current(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (const int err = errno_if(!current))
    return fs_error(err, "cannot duplicate the descriptor of " + shown({}));
  for (std::size_t i = 0; i < dir.size(); ++i) {
    const std::string& name = dir[i];
    // Two rounds at most: open, or create and open (mkdir of a name someone else just made is
    // fine; a directory removed again at once ends in the error of the second open).
    for (int round = 0;; ++round) {
      UniqueFd next(::openat(current.get(), name.c_str(), kOpenDir));
      if (next) {
        current = std::move(next);
        break;
      }
      const int err = errno;
      if (err == ENOENT && missing == Missing::absent) return std::optional<UniqueFd>();
      if (err == ENOENT && round == 0) {
        if (const int mkdir_err =
                errno_if(::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST)) {
          return fs_error(mkdir_err, "cannot create the directory '" +
                                         display_path(joined(dir, i + 1)) + "' in " +
                                         display_path(root_.string()));
        }
        continue;
      }
      const Blocker what = blocker(current.get(), name, err);
      // A file where a directory of the path would be: the path cannot exist.
      if (what == Blocker::not_directory && missing == Missing::absent) {
        return std::optional<UniqueFd>();
      }
      return open_error(what, err, display_path(joined(dir, i + 1)), root_);
    }
  }
  return std::optional<UniqueFd>(std::move(current));
}

Result<void> DestDir::make_dirs(const std::vector<std::string>& dir) {
  auto opened = walk(dir, Missing::create);
  if (!opened) return std::move(opened).error();
  return {};
}

Result<std::optional<struct stat>> DestDir::stat_at(const std::vector<std::string>& path) {
  using Found = std::optional<struct stat>;
  struct stat status {};
  if (path.empty()) {
    if (const int err = errno_if(::fstat(fd_.get(), &status) != 0))
      return fs_error(err, "cannot stat " + shown({}));
    return Found(status);
  }
  const std::vector<std::string> dir(path.begin(), path.end() - 1);
  LP2P_TRY(check_component(path.back()));
  auto opened = walk(dir, Missing::absent);
  if (!opened) return std::move(opened).error();
  if (!opened->has_value()) return Found();
  if (::fstatat((*opened)->get(), path.back().c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return Found();
    return fs_error(err, "cannot stat " + shown(dir, path.back()));
  }
  return Found(status);
}

Result<UniqueFd> DestDir::open_read(const std::vector<std::string>& path) {
  if (path.empty()) return make_error(Errc::invalid_argument, "open_read: no file named");
  const std::vector<std::string> dir(path.begin(), path.end() - 1);
  LP2P_TRY(check_component(path.back()));
  auto opened = walk(dir, Missing::absent);
  if (!opened) return std::move(opened).error();
  const std::string file = shown(dir, path.back());
  if (!opened->has_value()) return make_error(Errc::not_found, file + " does not exist");
  const int dir_fd = (*opened)->get();
  UniqueFd fd(::openat(dir_fd, path.back().c_str(), O_RDONLY | kOpenFile));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT) return make_error(Errc::not_found, file + " does not exist");
    return open_error(blocker(dir_fd, path.back(), err), err,
                      display_path(joined(path, path.size())), root_);
  }
  struct stat status {};
  if (const int err = errno_if(::fstat(fd.get(), &status) != 0))
    return fs_error(err, "cannot stat " + file);
  if (!S_ISREG(status.st_mode)) {
    return make_error(Errc::refused, file + " is not a regular file");
  }
  LP2P_TRY(drop_nonblock(fd.get(), file));
  return fd;
}

Result<PartFile> DestDir::open_part(const std::vector<std::string>& path, std::string_view tag,
                                    bool keep_existing) {
  if (path.empty()) return make_error(Errc::invalid_argument, "open_part: no file named");
  constexpr std::size_t kMaxTag = 64;
  if (tag.empty() || tag.size() > kMaxTag ||
      tag.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return make_error(Errc::invalid_argument,
                      "open_part: the tag \"" + display_path(tag) + "\" is not 1 to 64 hex digits");
  }
  LP2P_TRY(check_component(path.back()));
  std::vector<std::string> dir(path.begin(), path.end() - 1);
  auto opened = walk(dir, Missing::create);
  if (!opened) return std::move(opened).error();
  const int dir_fd = (*opened)->get();

  std::string name = part_name_for(path.back(), tag);
  const std::string file = shown(dir, name);
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDWR | O_CREAT | kOpenFile, 0600));
  if (!fd) {
    std::vector<std::string> part_path = dir;
    part_path.push_back(name);
    const int err = errno;
    return open_error(blocker(dir_fd, name, err), err,
                      display_path(joined(part_path, part_path.size())), root_);
  }
  struct stat status {};
  if (const int err = errno_if(::fstat(fd.get(), &status) != 0))
    return fs_error(err, "cannot stat " + file);
  if (!S_ISREG(status.st_mode)) {
    return make_error(Errc::refused, file + " exists and is not a regular file");
  }
  // A hard link would let the write (or the truncation) reach a file outside the destination.
  if (status.st_nlink != 1) {
    return make_error(Errc::refused, file + " has " + std::to_string(status.st_nlink) +
                                         " hard links: refusing to write to it");
  }
  LP2P_TRY(drop_nonblock(fd.get(), file));
  auto size = static_cast<std::uint64_t>(status.st_size);
  if (!keep_existing && size > 0) {
    if (const int err = errno_if(::ftruncate(fd.get(), 0) != 0))
      return fs_error(err, "cannot truncate " + file);
    size = 0;
  }
  return PartFile(std::move(fd), std::move(dir), std::move(name), size, file);
}

Result<void> DestDir::commit(PartFile part, const std::string& final_name, std::uint32_t mode,
                             std::optional<std::int64_t> mtime_ns, bool overwrite,
                             Durability durability) {
  LP2P_TRY(check_component(final_name));
  if (is_part_name(final_name)) {
    return make_error(Errc::invalid_argument,
                      "commit: \"" + display_path(final_name) + "\" is a part-file name");
  }
  const std::string target = shown(part.dir_, final_name);
  auto opened = walk(part.dir_, Missing::absent);
  if (!opened) return std::move(opened).error();
  if (!opened->has_value()) {
    return make_error(Errc::not_found,
                      "cannot commit " + part.shown_ + ": its directory is no longer there");
  }
  const int dir_fd = (*opened)->get();

  // The name in the directory must still be the file written: a part file replaced behind our
  // back (by a link, or another file) is not what the peer sent.
  struct stat mine {};
  struct stat there {};
  if (const int err = errno_if(::fstat(part.fd(), &mine) != 0))
    return fs_error(err, "cannot stat " + part.shown_);
  if (const int err =
          errno_if(::fstatat(dir_fd, part.name_.c_str(), &there, AT_SYMLINK_NOFOLLOW) != 0)) {
    return fs_error(err, "cannot commit " + part.shown_);
  }
  if (mine.st_dev != there.st_dev || mine.st_ino != there.st_ino) {
    return make_error(Errc::refused,
                      "cannot commit " + part.shown_ + ": the name now belongs to another file");
  }

  if (const int err =
          errno_if(::fchmod(part.fd(), static_cast<mode_t>((mode & 0777U) | 0600U)) != 0)) {
    return fs_error(err, "cannot set the mode of " + part.shown_);
  }
  if (mtime_ns) {
    const std::array<timespec, 2> times{timespec{0, UTIME_OMIT}, timespec_of(*mtime_ns)};
    if (const int err = errno_if(::futimens(part.fd(), times.data()) != 0)) {
      return fs_error(err, "cannot set the modification time of " + part.shown_);
    }
  }
  if (durability == Durability::each) {
    if (const int err = errno_if(::fsync(part.fd()) != 0))
      return fs_error(err, "cannot sync " + part.shown_);
  }

  const char* from = part.name_.c_str();
  const char* to = final_name.c_str();
  if (overwrite) {
    // rename(2) never replaces a directory with a file (EISDIR), whatever happened meanwhile.
    if (::renameat(dir_fd, from, dir_fd, to) != 0) {
      const int err = errno;
      if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
        return make_error(Errc::refused, target + " is a directory: not replaced");
      }
      return fs_error(err, "cannot rename " + part.shown_ + " to " + target);
    }
  } else if (::renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE) != 0) {
    int err = errno;
    if (err == EINVAL || err == ENOSYS) {
      // No RENAME_NOREPLACE on this file system: link(2) fails on an existing name too.
      err = ::linkat(dir_fd, from, dir_fd, to, 0) == 0 ? 0 : errno;
      if (const int unlink_err = errno_if(err == 0 && ::unlinkat(dir_fd, from, 0) != 0)) {
        return fs_error(unlink_err,
                        "cannot remove " + part.shown_ + " after linking it to " + target);
      }
    }
    if (err == EEXIST) return make_error(Errc::refused, target + " already exists");
    if (err != 0) return fs_error(err, "cannot rename " + part.shown_ + " to " + target);
  }
  if (durability == Durability::each) {
    if (const int err = errno_if(::fsync(dir_fd) != 0))
      return fs_error(err, "cannot sync the directory of " + target);
  }
  return {};
}

Result<std::string> DestDir::free_name(const std::vector<std::string>& dir,
                                       const std::string& name) {
  LP2P_TRY(check_component(name));
  auto opened = walk(dir, Missing::absent);
  if (!opened) return std::move(opened).error();
  if (!opened->has_value()) return name;
  const int dir_fd = (*opened)->get();
  for (unsigned n = 0; n <= kMaxNumberedNames; ++n) {
    std::string candidate = n == 0 ? name : numbered_name(name, n);
    struct stat status {};
    if (::fstatat(dir_fd, candidate.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0) continue;
    const int err = errno;
    if (err == ENOENT) return candidate;
    return fs_error(err, "cannot stat " + shown(dir, candidate));
  }
  return make_error(Errc::refused, shown(dir, name) + ": no free name up to \"" +
                                       display_path(numbered_name(name, kMaxNumberedNames)) + "\"");
}

Result<void> DestDir::remove_part(const std::vector<std::string>& dir,
                                  const std::string& part_name) {
  LP2P_TRY(check_component(part_name));
  if (!is_part_name(part_name)) {
    return make_error(Errc::invalid_argument,
                      "remove_part: \"" + display_path(part_name) + "\" is not a part-file name");
  }
  auto opened = walk(dir, Missing::absent);
  if (!opened) return std::move(opened).error();
  if (!opened->has_value()) return {};
  if (const int err =
          errno_if(::unlinkat((*opened)->get(), part_name.c_str(), 0) != 0 && errno != ENOENT)) {
    return fs_error(err, "cannot remove " + shown(dir, part_name));
  }
  return {};
}

Result<std::uint64_t> DestDir::free_space() const {
  struct statvfs status {};
  if (const int err = errno_if(::fstatvfs(fd_.get(), &status) != 0)) {
    return fs_error(err, "cannot read the free space of " + shown({}));
  }
  return static_cast<std::uint64_t>(status.f_bavail) * status.f_frsize;
}

Result<void> DestDir::sync_dir(const std::vector<std::string>& dir) {
  auto opened = walk(dir, Missing::absent);
  if (!opened) return std::move(opened).error();
  if (!opened->has_value()) return make_error(Errc::not_found, shown(dir) + " does not exist");
  if (const int err = errno_if(::fsync((*opened)->get()) != 0))
    return fs_error(err, "cannot sync " + shown(dir));
  return {};
}

Result<void> DestDir::sync_data() {
  if (const int err = errno_if(::syncfs(fd_.get()) != 0))
    return fs_error(err, "cannot sync the file system of " + shown({}));
  return {};
}

}  // namespace lp2p::transfer
