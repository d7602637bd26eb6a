// Errors of file-system calls, classified for the person receiving files: a full disk and a
// refusal (permissions, read-only file system) each read differently from other I/O failures.
#pragma once

#include <string>

#include "lp2p/result.hpp"

namespace lp2p::transfer {

// ENOSPC, EDQUOT -> no_space; EACCES, EPERM, EROFS -> refused; any other errno -> io_error.
Errc errc_of_errno(int err);

// An Error coded by errc_of_errno(err) whose message is `message` + ": " + strerror(err).
Error fs_error(int err, std::string message);

}  // namespace lp2p::transfer
