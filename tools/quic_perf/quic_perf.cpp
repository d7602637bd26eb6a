// lp2p-quic-perf: one QUIC stream of N bytes between two agents, with the agent's TLS profile
// (mutual certificates, fingerprint pinning), measured. Output is JSON Lines on stdout.
//
//   lp2p-quic-perf serve --port P --state-dir DIR [--cc bbr2] [--pause]
//   lp2p-quic-perf send HOST:PORT --fp FP --bytes N --state-dir DIR2 [--cc bbr2] [--uni|--no-hash]
//
// The receiver hashes every stream (SHA-256) and, on a bidirectional stream, answers with the
// digest; the sender compares it with its own. --pause makes the receiver never consume, to
// show that the sender's memory stays bounded by flow control (send --duration to give up).
#include <openssl/evp.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "agent_options.hpp"
#include "auth/certificate_store.hpp"
#include "common/hex.hpp"
#include "peer_address.hpp"
#include "quic/endpoint.hpp"

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using namespace lp2p;

constexpr std::size_t kBlockSize = std::size_t{1} << 20;

struct Options {
  std::string state_dir;
  std::uint16_t port = 0;
  std::string cc = "bbr2";
  std::string alpn = "lp2p-perf";
  std::string peer;
  std::string fingerprint;
  std::uint64_t bytes = std::uint64_t{1} << 30;
  bool pause = false;
  bool uni = false;
  bool no_gso = false;
  bool no_gro = false;
  double duration = 0;
  bool verbose = false;
  bool no_hash = false;
  bool progress = false;  // measure the transport alone (the baselines do not hash either)
};

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void update(std::span<const std::uint8_t> bytes) {
    EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
  }
  std::vector<std::uint8_t> finish() {
    std::vector<std::uint8_t> digest(32);
    unsigned length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length);
    return digest;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

void emit(const Json& j) {
  std::cout << j.dump() << std::endl;
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

Result<std::shared_ptr<quic::Endpoint>> make_endpoint(boost::asio::io_context& io,
                                                      const Options& o) {
  const std::filesystem::path dir = o.state_dir;
  std::filesystem::create_directories(dir);
  auto identity = auth::Identity::load_or_create(dir);
  if (!identity) return identity.error();
  auto certificate = auth::load_or_issue_certificate(dir, *identity, "lp2p-quic-perf", "lp2p");
  if (!certificate) return certificate.error();
  auto credentials = quic::TlsCredentials::create(certificate->der, identity->key());
  if (!credentials) return credentials.error();
  quic::Endpoint::Options options;
  options.port = o.port;
  options.own_fingerprint = identity->fingerprint();
  options.transport.alpn = o.alpn;
  options.socket.gso = !o.no_gso;
  options.socket.gro = !o.no_gro;
  if (!quic::parse_congestion_control(o.cc, options.transport.congestion_control)) {
    return make_error(Errc::invalid_argument, "unknown congestion control " + o.cc);
  }
  auto endpoint = quic::Endpoint::create(io, std::move(*credentials), options);
  if (!endpoint) return endpoint.error();
  (*endpoint)->on_incoming([](const std::shared_ptr<quic::Connection>&) {});
  return endpoint;
}

// --- receiver -----------------------------------------------------------------------------

struct Incoming {
  Sha256 hash;
  std::uint64_t bytes = 0;
  Clock::time_point started = Clock::now();
};

void serve_connection(const std::shared_ptr<quic::Connection>& c, const Options& o) {
  auto streams = std::make_shared<std::map<std::int64_t, Incoming>>();
  std::weak_ptr<quic::Connection> weak = c;
  quic::Connection::Handlers h;
  h.on_stream_data = [weak, streams, pause = o.pause, no_hash = o.no_hash](
                         std::int64_t id, std::span<const std::uint8_t> bytes, bool fin) {
    auto connection = weak.lock();
    if (!connection) return;
    Incoming& in = (*streams)[id];
    // Unidirectional streams are the sender's --no-hash runs: nothing to answer, nothing to hash.
    const bool hashing = !no_hash && (id & 0x2) == 0;
    if (hashing) in.hash.update(bytes);
    in.bytes += bytes.size();
    if (!pause) connection->consume(id, bytes.size());
    if (!fin) return;
    const auto digest = in.hash.finish();
    const double seconds = std::chrono::duration<double>(Clock::now() - in.started).count();
    emit({{"event", "received"},
          {"bytes", in.bytes},
          {"sha256", to_hex(digest)},
          {"seconds", seconds},
          {"max_rss_kib", max_rss_kib()}});
    if ((id & 0x2) == 0) (void)connection->write(id, digest, true);
    streams->erase(id);
  };
  h.on_closed = [](const quic::CloseInfo& info) {
    spdlog::info("connection ended: {}", info.describe());
  };
  c->set_handlers(std::move(h));
}

int serve(const Options& o) {
  boost::asio::io_context io;
  auto endpoint = make_endpoint(io, o);
  if (!endpoint) {
    std::cerr << "lp2p-quic-perf serve: " << endpoint.error().message << '\n';
    return 1;
  }
  auto fp = auth::Identity::load_or_create(o.state_dir)->fingerprint();
  (*endpoint)->on_incoming(
      [&o](const std::shared_ptr<quic::Connection>& c) { serve_connection(c, o); });
  emit({{"event", "ready"},
        {"port", (*endpoint)->port()},
        {"fp", fp},
        {"gso", (*endpoint)->udp().gso()},
        {"gro", (*endpoint)->udp().gro()}});
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    (*endpoint)->stop(0, "bye");
    io.stop();
  });
  io.run();
  const auto& s = (*endpoint)->udp().stats();
  emit({{"event", "stopped"},
        {"datagrams_received", s.datagrams_received},
        {"receive_calls", s.receive_calls},
        {"gro_batches", s.gro_batches},
        {"kernel_drops", s.kernel_drops}});
  return 0;
}

// --- sender -------------------------------------------------------------------------------

class Sender {
 public:
  Sender(boost::asio::io_context& io, const Options& o) : io_(io), o_(o), block_(kBlockSize) {
    std::mt19937_64 random(0x1e2d3c4b5a697887ULL);
    for (std::size_t i = 0; i < block_.size(); i += 8) {
      const std::uint64_t v = random();
      std::memcpy(block_.data() + i, &v, 8);
    }
  }

  void set_socket(const quic::UdpSocket* socket) { socket_ = socket; }

  void start(const std::shared_ptr<quic::Connection>& c) {
    connection_ = c;
    handshake_ms_ = std::chrono::duration<double, std::milli>(c->handshake_duration()).count();
    auto stream = c->open_stream(!o_.uni && !o_.no_hash);
    if (!stream) return fail(stream.error().message);
    stream_ = *stream;
    quic::Connection::Handlers h;
    h.on_stream_writable = [this](std::int64_t) { pump(); };
    h.on_stream_data = [this](std::int64_t id, std::span<const std::uint8_t> bytes, bool) {
      reply_.insert(reply_.end(), bytes.begin(), bytes.end());
      connection_->consume(id, bytes.size());
      if (reply_.size() >= 32) done();
    };
    h.on_stream_reset = [this](std::int64_t, std::uint64_t code) {
      fail("the receiver reset the stream (code " + std::to_string(code) + ")");
    };
    h.on_closed = [this](const quic::CloseInfo& info) {
      if (!finished_) fail("connection ended: " + info.describe());
    };
    c->set_handlers(std::move(h));
    started_ = Clock::now();
    pump();
    if (o_.progress) report_progress();
  }

  // Once a second: how far, and what the transport is doing (for diagnosing stalls).
  void report_progress() {
    progress_.expires_after(std::chrono::seconds(1));
    progress_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || finished_) return;
      const auto info = connection_->info();
      emit({{"event", "progress"}, {"sent", sent_}, {"buffered", connection_->buffered(stream_)},
            {"cwnd", info.cwnd}, {"in_flight", info.bytes_in_flight},
            {"smoothed_rtt_us", info.smoothed_rtt.count() / 1000},
            {"datagrams_sent", info.datagrams_sent}});
      report_progress();
    });
  }

  void pump() {
    while (sent_ < o_.bytes && !finished_) {
      const std::size_t offset = static_cast<std::size_t>(sent_ % kBlockSize);
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(o_.bytes - sent_, kBlockSize - offset));
      auto taken = connection_->write(stream_, {block_.data() + offset, n}, sent_ + n == o_.bytes);
      if (!taken) return fail(taken.error().message);
      if (!o_.no_hash) hash_.update({block_.data() + offset, *taken});
      sent_ += *taken;
      if (*taken < n) return;  // on_stream_writable resumes
    }
    if (sent_ == o_.bytes && (o_.uni || o_.no_hash) && !finished_) {
      // No reply on a unidirectional stream: done once everything is acknowledged.
      wait_acknowledged();
    }
  }

  void wait_acknowledged() {
    if (connection_->buffered(stream_) == 0) return done();
    poll_.expires_after(std::chrono::milliseconds(1));
    poll_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) wait_acknowledged();
    });
  }

  void done() {
    if (finished_) return;
    finished_ = true;
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    const auto digest = hash_.finish();
    const bool verified = !o_.no_hash && reply_.size() >= 32 &&
                          std::equal(digest.begin(), digest.end(), reply_.begin());
    auto info = connection_->info();
    emit({{"event", "sent"},
          {"bytes", sent_},
          {"seconds", seconds},
          {"bytes_per_second", static_cast<double>(sent_) / seconds},
          {"sha256", to_hex(digest)},
          {"verified", verified},
          {"handshake_ms", handshake_ms_},
          {"cc", info.congestion_control},
          {"smoothed_rtt_us", info.smoothed_rtt.count() / 1000},
          {"datagrams_sent", info.datagrams_sent},
          {"send_calls", socket_->stats().send_calls},
          {"gso", socket_->gso()},
          {"max_rss_kib", max_rss_kib()}});
    exit_code_ = (verified || o_.uni || o_.no_hash) ? 0 : 3;
    connection_->close(0, "done");
    stop_soon();
  }

  void fail(const std::string& why) {
    if (finished_) return;
    finished_ = true;
    std::cerr << "lp2p-quic-perf send: " << why << '\n';
    emit({{"event", "error"}, {"message", why}, {"sent", sent_}, {"max_rss_kib", max_rss_kib()}});
    exit_code_ = 1;
    if (connection_) connection_->close(0, "failed");
    stop_soon();
  }

  // Report how far a stalled transfer got (with --duration), then stop.
  void give_up() {
    if (finished_) return;
    finished_ = true;
    emit({{"event", "stalled"},
          {"sent", sent_},
          {"buffered", connection_ ? connection_->buffered(stream_) : 0},
          {"max_rss_kib", max_rss_kib()}});
    exit_code_ = 4;
    if (connection_) connection_->close(0, "giving up");
    stop_soon();
  }

  void stop_soon() {
    poll_.expires_after(std::chrono::milliseconds(50));
    poll_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
  }

  [[nodiscard]] int exit_code() const { return exit_code_; }

 private:
  boost::asio::io_context& io_;
  const Options& o_;
  std::vector<std::uint8_t> block_;
  std::shared_ptr<quic::Connection> connection_;
  const quic::UdpSocket* socket_ = nullptr;
  std::int64_t stream_ = -1;
  std::uint64_t sent_ = 0;
  Sha256 hash_;
  std::vector<std::uint8_t> reply_;
  Clock::time_point started_;
  double handshake_ms_ = 0;
  bool finished_ = false;
  int exit_code_ = 0;
  boost::asio::steady_timer poll_{io_};
  boost::asio::steady_timer progress_{io_};
};

int send(const Options& o) {
  const auto address = cli::parse_host_port(o.peer);
  if (!address) {
    std::cerr << "lp2p-quic-perf send: \"" << o.peer << "\" is not HOST:PORT\n";
    return 2;
  }
  boost::asio::io_context io;
  auto endpoint = make_endpoint(io, o);
  if (!endpoint) {
    std::cerr << "lp2p-quic-perf send: " << endpoint.error().message << '\n';
    return 1;
  }
  Sender sender(io, o);
  sender.set_socket(&(*endpoint)->udp());
  (*endpoint)->dial(cli::socket_address_of(*address), o.fingerprint, "",
                    [&](Result<std::shared_ptr<quic::Connection>> c) {
                      if (!c) return sender.fail(c.error().message);
                      sender.start(*c);
                    });
  boost::asio::steady_timer deadline(io);
  if (o.duration > 0) {
    deadline.expires_after(
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration)));
    deadline.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) sender.give_up();
    });
  }
  io.run();
  return sender.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lp2p-quic-perf: one QUIC stream between two agents, measured"};
  app.require_subcommand(1);
  Options o;
  auto common = [&o](CLI::App* c) {
    c->add_option("--state-dir", o.state_dir, "Where the agent key and certificate live")
        ->required();
    c->add_option("--cc", o.cc, "Congestion control: bbr2, cubic or reno")->capture_default_str();
    c->add_option("--alpn", o.alpn, "ALPN protocol to offer/require")->capture_default_str();
    c->add_flag("--no-gso", o.no_gso, "Do not use UDP GSO");
    c->add_flag("--no-gro", o.no_gro, "Do not use UDP GRO");
    c->add_flag("-v,--verbose", o.verbose, "Log debug messages to stderr");
    c->add_flag("--no-hash", o.no_hash,
                "Do not hash (SHA-256) the data, to measure the transport alone. serve: never "
                "hash; send: use a unidirectional stream (the receiver does not hash those) and "
                "finish when everything is acknowledged");
  };
  auto* serve_cmd = app.add_subcommand("serve", "Receive streams, hash them, answer with the hash");
  common(serve_cmd);
  serve_cmd->add_option("--port", o.port, "UDP port (0: any)");
  serve_cmd->add_flag("--pause", o.pause, "Never consume: the sender must stall");
  auto* send_cmd = app.add_subcommand("send", "Send N bytes on one stream");
  common(send_cmd);
  send_cmd->add_option("peer", o.peer, "HOST:PORT of the receiver")->required();
  send_cmd->add_option("--fp", o.fingerprint, "The receiver's fingerprint (pinned)")->required();
  send_cmd->add_option("--bytes", o.bytes, "How many bytes")->capture_default_str();
  send_cmd->add_flag("--uni", o.uni, "Use a unidirectional stream (no hash reply)");
  send_cmd->add_option("--duration", o.duration, "Give up after this many seconds");
  send_cmd->add_flag("--progress", o.progress, "Print a progress line every second");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_default_logger(spdlog::stderr_color_mt("lp2p-quic-perf"));
  spdlog::set_level(o.verbose ? spdlog::level::debug : spdlog::level::warn);
  return serve_cmd->parsed() ? serve(o) : send(o);
}
