#include "pairing_ui.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <istream>
#include <nlohmann/json.hpp>

#include "auth/psk_code.hpp"
#include "qr_terminal.hpp"

namespace lp2p::cli {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

PairingUi::PairingUi(boost::asio::io_context& io, const Io& out, Options options)
    : io_(io), out_(out), options_(std::move(options)), input_(io) {}

void PairingUi::attach(osp::PeerSession::Events& events,
                       const std::weak_ptr<osp::PeerSession>& session,
                       std::function<void(const Outcome& outcome)> done) {
  const auto locked = session.lock();
  if (!locked) return;
  const std::string fp = locked->connection().peer_fingerprint();
  auto finished = std::make_shared<bool>(false);
  auto timing = std::make_shared<Timing>(Timing{Clock::now(), std::nullopt, std::nullopt});
  auto finish = [done = std::move(done), finished](const Outcome& outcome) {
    if (*finished) return;
    *finished = true;
    if (done) done(outcome);
  };
  events.on_show_code = [this, fp](std::uint64_t code, unsigned bits) {
    show_code(fp, code, bits);
  };
  events.on_code_needed = [this, session, timing] { ask_code(session, timing); };
  events.on_authenticated = [this, session, fp, finish, timing] {
    const auto s = session.lock();
    std::string name;
    if (s && s->session().peer_info()) name = s->session().peer_info()->display_name;
    if (options_.json) {
      const auto typing =
          timing->asked && timing->entered ? *timing->entered - *timing->asked : Clock::duration{0};
      out_.out << Json{{"event", "paired"},
                       {"fingerprint", fp},
                       {"display-name", name},
                       {"pairing-ms", millis(Clock::now() - timing->started)},
                       {"typing-ms", millis(typing)}}
                      .dump()
               << std::endl;
    } else {
      out_.out << "Paired with " << (name.empty() ? "the device" : "\"" + name + "\"")
               << " (fingerprint " << fp << "): it is trusted from now on." << std::endl;
    }
    finish({true, "paired"});
  };
  // A failure the peer reported is printed when its close arrives: its reason says more (e.g.
  // when to retry after a back-off).
  auto reported = std::make_shared<std::optional<osp::Authenticator::Failure>>();
  auto print_failure = [this, fp, finish](const osp::Authenticator::Failure& failure) {
    if (options_.json) {
      out_.out << Json{{"event", "pairing-failed"},
                       {"fingerprint", fp},
                       {"result", osp::to_string(failure.result)},
                       {"by-peer", failure.by_peer},
                       {"reason", failure.reason}}
                      .dump()
               << std::endl;
    } else {
      out_.out << "Pairing with " << fp.substr(0, 8) << "... failed: " << failure.reason
               << std::endl;
    }
    finish({false, failure.reason});
  };
  events.on_auth_failed = [reported, print_failure](const osp::Authenticator::Failure& failure) {
    if (failure.by_peer) {
      *reported = failure;
    } else {
      print_failure(failure);
    }
  };
  auto closed = events.on_closed;
  events.on_closed = [closed, finish, reported, print_failure](const quic::CloseInfo& info) {
    if (closed) closed(info);
    if (*reported) {
      auto failure = **reported;
      if (info.kind == quic::CloseInfo::Kind::remote && !info.reason.empty()) {
        failure.reason += " (its reason: " + info.reason + ")";
      }
      print_failure(failure);
    }
    finish({false, "the connection closed: " + info.describe()});
  };
}

void PairingUi::show_code(const std::string& fingerprint, std::uint64_t code, unsigned bits) {
  const std::string digits = auth::format_psk(code, bits);
  if (options_.json) {
    out_.out << Json{{"event", "pairing-code"},
                     {"fingerprint", fingerprint},
                     {"code", digits},
                     {"qr-text", auth::psk_qr_text(code)},
                     {"bits", bits}}
                    .dump()
             << std::endl;
    return;
  }
  out_.out << "\nPairing with " << fingerprint
           << "\n  Type this code on the other device:  " << digits << "\n";
  if (options_.qr) {
    if (auto qr = qr_for_terminal(auth::psk_qr_text(code))) out_.out << *qr;
  }
  out_.out << "  (a new code every attempt; it expires in 60 s)" << std::endl;
}

void PairingUi::ask_code(const std::weak_ptr<osp::PeerSession>& session,
                         const std::shared_ptr<Timing>& timing) {
  timing->asked = Clock::now();
  if (options_.code) {
    const std::string typed = *std::exchange(options_.code, std::nullopt);  // one attempt only
    take_line(session, timing, typed);
    return;
  }
  if (options_.json) {
    out_.out << Json{{"event", "code-needed"}}.dump() << std::endl;
  } else {
    out_.out << "Type the code shown on the other device: " << std::flush;
  }
  read_line(session, timing);
}

void PairingUi::read_line(const std::weak_ptr<osp::PeerSession>& session,
                          const std::shared_ptr<Timing>& timing) {
  if (reading_) return;
  if (!input_.is_open()) {
    const int fd = ::dup(STDIN_FILENO);
    boost::system::error_code ec;
    if (fd >= 0) input_.assign(fd, ec);
    if (fd < 0 || ec) {
      // Not pollable (a regular file, or closed): read it synchronously; it cannot block long.
      if (fd >= 0) ::close(fd);
      std::string line;
      std::getline(out_.in, line);
      boost::asio::post(io_, [this, session, timing, line] { take_line(session, timing, line); });
      return;
    }
  }
  reading_ = true;
  boost::asio::async_read_until(
      input_, buffer_, '\n',
      [this, session, timing](const boost::system::error_code& ec, std::size_t /*bytes*/) {
        reading_ = false;
        std::string line;
        if (!ec || buffer_.size() > 0) {
          std::istream stream(&buffer_);
          std::getline(stream, line);
        }
        if (ec && line.empty()) {
          out_.err << "lp2p: no code on standard input (" << ec.message() << ")" << std::endl;
          if (auto s = session.lock()) s->cancel_pairing();
          return;
        }
        take_line(session, timing, line);
      });
}

void PairingUi::take_line(const std::weak_ptr<osp::PeerSession>& session,
                          const std::shared_ptr<Timing>& timing, const std::string& line) {
  const auto s = session.lock();
  if (!s) return;
  const auto code = auth::parse_psk(line);
  if (!code) {
    out_.err << "lp2p: \"" << line << "\" is not a pairing code: " << code.error().message
             << std::endl;
    if (out_.in_is_terminal && !options_.json) {
      out_.out << "Type the code again: " << std::flush;
      read_line(session, timing);
    } else {
      s->cancel_pairing();
    }
    return;
  }
  timing->entered = Clock::now();
  s->enter_code(*code);
}

}  // namespace lp2p::cli
