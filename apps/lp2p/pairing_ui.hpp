// The terminal side of pairing, shared by `lp2p pair` and `lp2p advertise`: showing a code (digits
// and a QR code, or a JSON event line), reading one that a person types, and reporting how it
// ended. The code is read from --code, else from a terminal with a prompt, else as one line of
// standard input (scripts feed it the presenter's "pairing-code" event).
//
// Contract: everything runs on the io_context's thread; the PairingUi outlives the sessions it
// was attached to (it is owned by the command's run function).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "osp/peer_session.hpp"
#include "wire_command.hpp"

namespace lp2p::cli {

class PairingUi {
 public:
  struct Options {
    bool json = false;
    bool qr = true;                   // draw the QR code beside the digits (text mode)
    std::optional<std::string> code;  // --code: typed in advance
  };
  struct Outcome {
    bool paired = false;
    std::string message;
  };
  // When this side's pairing steps happened, for the "paired" event: the time spent, and the
  // part of it spent waiting for a person to type the code.
  struct Timing {
    std::chrono::steady_clock::time_point started;
    std::optional<std::chrono::steady_clock::time_point> asked;    // code-needed
    std::optional<std::chrono::steady_clock::time_point> entered;  // the code was typed
  };

  PairingUi(boost::asio::io_context& io, const Io& out, Options options);

  // Adds the pairing events to `events` for the session with `fingerprint`; `done` (optional)
  // is called once when pairing with it succeeded or failed.
  void attach(osp::PeerSession::Events& events, const std::weak_ptr<osp::PeerSession>& session,
              std::function<void(const Outcome& outcome)> done = {});

 private:
  void show_code(const std::string& fingerprint, std::uint64_t code, unsigned bits);
  void ask_code(const std::weak_ptr<osp::PeerSession>& session,
                const std::shared_ptr<Timing>& timing);
  void read_line(const std::weak_ptr<osp::PeerSession>& session,
                 const std::shared_ptr<Timing>& timing);
  void take_line(const std::weak_ptr<osp::PeerSession>& session,
                 const std::shared_ptr<Timing>& timing, const std::string& line);

  boost::asio::io_context& io_;
  const Io& out_;
  Options options_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::streambuf buffer_;
  bool reading_ = false;
};

}  // namespace lp2p::cli
