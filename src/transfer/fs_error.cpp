#include "transfer/fs_error.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

namespace lp2p::transfer {

Errc errc_of_errno(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return Errc::no_space;
    case EACCES:
    case EPERM:
    case EROFS:
      return Errc::refused;
    default:
      return Errc::io_error;
  }
}

Error fs_error(int err, std::string message) {
  message += ": ";
  message += std::strerror(err);
  return make_error(errc_of_errno(err), std::move(message));
}

}  // namespace lp2p::transfer
