// `lp2p send`, `receive`, `share`, `pull` and `chat`: files, folders and texts between paired
// devices (docs/transfer.md), with the exit statuses their --help documents.
#pragma once

#include "wire_command.hpp"

namespace CLI {
class App;
}

namespace lp2p::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;          // the transfer failed (message says why)
inline constexpr int kExitBadUsage = 2;       // wrong options or paths
inline constexpr int kExitUnreachable = 3;    // the peer was not found, reached or paired
inline constexpr int kExitDeclined = 4;       // the receiver said no
inline constexpr int kExitPartial = 5;        // some files failed, the others were saved
inline constexpr int kExitInterrupted = 130;  // Ctrl-C: what arrived is kept; run it again

void add_send_command(CLI::App& app, const Io& io, int& exit_code);
void add_receive_command(CLI::App& app, const Io& io, int& exit_code);
void add_share_command(CLI::App& app, const Io& io, int& exit_code);
void add_pull_command(CLI::App& app, const Io& io, int& exit_code);
void add_chat_command(CLI::App& app, const Io& io, int& exit_code);

}  // namespace lp2p::cli
