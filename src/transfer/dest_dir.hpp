// Writing received files under a destination directory without ever escaping it.
//
// A DestDir holds a descriptor of the destination root and does everything relative to it with
// the openat family, one path component at a time with O_NOFOLLOW: a symbolic link anywhere
// below the root, there before or planted during a transfer, makes the operation fail ("refusing
// to follow the symbolic link ...", Errc::refused) instead of leading a write outside. Only the
// root itself, as the person named it, is resolved (once, in open()).
//
// Files arrive as part files (".NAME.TAG.lp2p-part", mode 0600) in their final directory and
// are renamed to their final name by commit() once complete, so a final name never shows partial
// content.
//
// Paths are component vectors, as check_relative_path() returns them. Every component is checked
// again here (not empty, not "." or "..", no '/' or NUL, at most kMaxComponentBytes):
// invalid_argument otherwise. Errors carry the path and strerror; errno is classified by
// errc_of_errno() (fs_error.hpp): no_space, refused, io_error. A symbolic link or a non-directory
// where a directory must be is Errc::refused.
//
// Threat model: links and special files in the destination tree, placed by anyone. A local user
// who can rename directories inside the destination while a call runs can move a directory the
// call already opened; the write then lands where that directory went, as for any program.
//
// Not thread-safe; one DestDir per destination. DestDir and PartFile are move-only.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"
#include "lp2p/result.hpp"

namespace lp2p::transfer {

// An open temporary file inside the destination; closes its fd on destruction. Made by
// DestDir::open_part(), consumed by DestDir::commit().
class PartFile {
 public:
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;
  PartFile(PartFile&&) noexcept = default;
  PartFile& operator=(PartFile&&) noexcept = default;
  ~PartFile() = default;

  [[nodiscard]] int fd() const { return fd_.get(); }
  // Components of its directory, relative to the root.
  [[nodiscard]] const std::vector<std::string>& dir() const { return dir_; }
  // Its own name (".NAME.<tag>.lp2p-part").
  [[nodiscard]] const std::string& name() const { return name_; }
  // Size when opened (0 unless an existing part file was kept).
  [[nodiscard]] std::uint64_t size() const { return size_; }

  // Writes all of `bytes` at `offset` (pwrite; retries EINTR and short writes).
  Result<void> write_at(std::span<const std::uint8_t> bytes, std::uint64_t offset);
  Result<void> sync();  // fdatasync
  Result<void> truncate(std::uint64_t size);

 private:
  friend class DestDir;
  PartFile(UniqueFd fd, std::vector<std::string> dir, std::string name, std::uint64_t size,
           std::string shown)
      : fd_(std::move(fd)),
        dir_(std::move(dir)),
        name_(std::move(name)),
        size_(size),
        shown_(std::move(shown)) {}

  UniqueFd fd_;
  std::vector<std::string> dir_;
  std::string name_;
  std::uint64_t size_ = 0;
  std::string shown_;  // root/dir/name, for error messages
};

class DestDir {
 public:
  // Opens (creating with mode 0755, one level only, if `create`) the root. The root itself may be
  // a symlink given by the person (resolved once here); nothing below it is followed. root() is
  // the path made absolute (lexically, not resolved).
  static Result<DestDir> open(const std::filesystem::path& root, bool create);
  DestDir(const DestDir&) = delete;
  DestDir& operator=(const DestDir&) = delete;
  DestDir(DestDir&&) noexcept = default;
  DestDir& operator=(DestDir&&) noexcept = default;
  ~DestDir() = default;

  [[nodiscard]] const std::filesystem::path& root() const { return root_; }

  // Creates the missing directories of `dir` (mode 0755 & ~umask), refusing symlinks and
  // non-directories on the way. {} is the root: nothing to do.
  Result<void> make_dirs(const std::vector<std::string>& dir);

  // lstat of a path below the root (no symlink followed, also not the last component: a link
  // there is reported as S_IFLNK); nullopt if absent (or a non-directory is where a directory of
  // the path would be). A symlink in a directory position is an error. {} is the root.
  Result<std::optional<struct stat>> stat_at(const std::vector<std::string>& path);

  // Opens an existing regular file below the root for reading (O_NOFOLLOW on every component).
  // Anything but a regular file is refused; absent is Errc::not_found.
  Result<UniqueFd> open_read(const std::vector<std::string>& path);

  // The part file of `path`'s final name: ".<name>.<tag>.lp2p-part" in the same directory
  // (created with mode 0600, O_NOFOLLOW; opened and kept if it exists and `keep_existing`, else
  // truncated). Makes the directories first. `tag` is a short hex string chosen by the caller
  // (1 to 64 hex digits, e.g. 8 of the file's SHA-256). When the part name would be longer than
  // kMaxComponentBytes, <name> is cut (at a UTF-8 character boundary): the same path and tag
  // always give the same part name. An existing part file must be a regular file with one link
  // (a hard link to a file elsewhere is refused, never written or truncated).
  Result<PartFile> open_part(const std::vector<std::string>& path, std::string_view tag,
                             bool keep_existing);

  // Moves a part file to its final name in its directory (walked again from the root; the part
  // file found there must be the one `part` has open). The file is fsync'ed first (data, mode and
  // mtime) so that a crash never leaves the final name with partial content. overwrite=false
  // uses renameat2(RENAME_NOREPLACE) (linkat + unlinkat where the file system lacks it) and fails
  // with Errc::refused, message "... already exists", if the name is taken; overwrite=true
  // replaces whatever non-directory has the name (a symlink is replaced itself, its target is
  // untouched), never a directory. Then fsyncs the directory. The mode is set (fchmod, masked to
  // 0777 and with the owner's read/write bits forced on) before the rename; mtime set with
  // futimens when given (atime left alone). On failure the part file stays where it was: keep
  // dir() and name() before the call to remove_part() it.
  //
  // Durability::batched leaves out both fsyncs: the caller synced the data before (sync_data,
  // after the last write of every part of the batch) and syncs the directory after (sync_dir),
  // once for many files.
  enum class Durability { each, batched };
  Result<void> commit(PartFile part, const std::string& final_name, std::uint32_t mode,
                      std::optional<std::int64_t> mtime_ns, bool overwrite,
                      Durability durability = Durability::each);

  // A name not taken yet in `dir` (by anything, links included): "name", else "name (1).ext",
  // "name (2).ext", ... The extension is kept: the last ".xyz" (1 to 16 bytes after the dot, not
  // a leading dot), or a compound one .tar.gz/.tar.bz2/.tar.xz/.tar.zst ("archive.tar.gz" ->
  // "archive (1).tar.gz"). The stem is shortened if needed to keep kMaxComponentBytes. An absent
  // `dir` frees every name. Racy by nature: commit(overwrite=false) is the real check.
  Result<std::string> free_name(const std::vector<std::string>& dir, const std::string& name);

  // Removes a part file (by its directory and part name); absent is fine (the directory too).
  // invalid_argument unless is_part_name(part_name): this never deletes a person's file.
  Result<void> remove_part(const std::vector<std::string>& dir, const std::string& part_name);

  // Bytes free for an unprivileged writer (statvfs f_bavail * f_frsize).
  [[nodiscard]] Result<std::uint64_t> free_space() const;

  // fsync of a directory below the root (or the root itself for {}).
  Result<void> sync_dir(const std::vector<std::string>& dir);
  // syncfs(2) of the destination's file system: every written part's data at once.
  Result<void> sync_data();

 private:
  DestDir(UniqueFd fd, std::filesystem::path root) : fd_(std::move(fd)), root_(std::move(root)) {}

  enum class Missing { create, absent };
  // The directory `dir` opened by walking from the root. With Missing::absent, a missing
  // directory (or a non-directory where one should be) is nullopt; with Missing::create it is
  // made.
  Result<std::optional<UniqueFd>> walk(const std::vector<std::string>& dir, Missing missing);
  // root/components, escaped for messages.
  [[nodiscard]] std::string shown(const std::vector<std::string>& dir,
                                  std::string_view name = {}) const;

  UniqueFd fd_;
  std::filesystem::path root_;
};

}  // namespace lp2p::transfer
