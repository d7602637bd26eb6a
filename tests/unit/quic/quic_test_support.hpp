// Helpers for the in-process QUIC tests: agent identities in temporary state directories,
// endpoints on 127.0.0.1 / [::1] in one io_context, an event loop driven until a condition holds
// (with a generous deadline that only stops a hang), and a recorder of connection events.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/certificate_store.hpp"
#include "auth/identity.hpp"
#include "quic/endpoint.hpp"

namespace lp2p::quic::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;

// Deadlines only keep a broken build from hanging; nothing asserts on them being short.
inline constexpr auto kDeadline = 10s;

// A fresh directory under the system's temporary directory, removed with this object.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static std::atomic<unsigned> counter{0};
    path_ =
        std::filesystem::temp_directory_path() /
        ("lp2p-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One agent's identity, certificate and TLS credentials, made as the agent makes them.
struct Peer {
  explicit Peer(const std::string& name) : dir(name) {
    auto id = auth::Identity::load_or_create(dir.path());
    if (!id) {
      ADD_FAILURE() << "identity: " << id.error().message;
      return;
    }
    identity.emplace(std::move(*id));
    auto cert = auth::load_or_issue_certificate(dir.path(), *identity, name, "lp2p test");
    if (!cert) {
      ADD_FAILURE() << "certificate: " << cert.error().message;
      return;
    }
    certificate = std::move(*cert);
    auto creds = TlsCredentials::create(certificate.der, identity->key());
    if (!creds) {
      ADD_FAILURE() << "credentials: " << creds.error().message;
      return;
    }
    credentials = std::move(*creds);
  }
  [[nodiscard]] const std::string& fingerprint() const { return identity->fingerprint(); }
  [[nodiscard]] const std::string& hostname() const { return certificate.hostname; }

  TempDir dir;
  std::optional<auth::Identity> identity;
  auth::AgentCertificate certificate;
  std::shared_ptr<TlsCredentials> credentials;
};

inline SocketAddress loopback(std::uint16_t port, bool v6 = false) {
  if (v6) {
    std::array<std::uint8_t, 16> one{};
    one[15] = 1;
    return SocketAddress::from_endpoint(mdns::IpAddress::v6_from(one), port);
  }
  return SocketAddress::from_endpoint(mdns::IpAddress::v4_from({127, 0, 0, 1}), port);
}

// Bytes whose value depends on the seed and the offset.
inline Bytes pattern(std::uint64_t seed, std::size_t length) {
  Bytes out(length);
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (std::size_t i = 0; i < length; ++i) {
    x ^= x << 13U;
    x ^= x >> 7U;
    x ^= x << 17U;
    out[i] = static_cast<std::uint8_t>(x);
  }
  return out;
}

// What happened on one connection, as its handlers saw it.
struct Recorder {
  struct StreamIn {
    Bytes bytes;
    int fins = 0;
    int calls_after_fin = 0;
    std::size_t unconsumed = 0;
  };
  std::map<std::int64_t, StreamIn> streams;
  std::vector<std::int64_t> data_order;  // stream of each on_stream_data call
  std::vector<std::int64_t> writable;
  std::vector<std::pair<std::int64_t, std::uint64_t>> resets;
  std::vector<std::int64_t> stream_closed;
  std::vector<CloseInfo> closed;
  bool consume = true;
  // Called after the bytes are recorded (for replies, writers).
  std::function<void(std::int64_t stream, bool fin)> after_data;
  std::function<void(std::int64_t stream)> after_writable;

  // Handlers that record into `r`; `c` is the connection they are set on (held weakly).
  static Connection::Handlers handlers(const std::shared_ptr<Recorder>& r,
                                       const std::shared_ptr<Connection>& c) {
    Connection::Handlers h;
    std::weak_ptr<Connection> weak = c;
    h.on_stream_data = [r, weak](std::int64_t id, std::span<const std::uint8_t> bytes, bool fin) {
      StreamIn& in = r->streams[id];
      if (in.fins > 0) ++in.calls_after_fin;
      in.bytes.insert(in.bytes.end(), bytes.begin(), bytes.end());
      if (fin) ++in.fins;
      r->data_order.push_back(id);
      if (auto conn = weak.lock()) {
        if (r->consume) {
          conn->consume(id, bytes.size());
        } else {
          in.unconsumed += bytes.size();
        }
      }
      if (r->after_data) r->after_data(id, fin);
    };
    h.on_stream_writable = [r](std::int64_t id) {
      r->writable.push_back(id);
      if (r->after_writable) r->after_writable(id);
    };
    h.on_stream_reset = [r](std::int64_t id, std::uint64_t code) {
      r->resets.emplace_back(id, code);
    };
    h.on_stream_closed = [r](std::int64_t id) { r->stream_closed.push_back(id); };
    h.on_closed = [r](const CloseInfo& info) { r->closed.push_back(info); };
    return h;
  }
  static std::shared_ptr<Recorder> attach(const std::shared_ptr<Connection>& c) {
    auto r = std::make_shared<Recorder>();
    c->set_handlers(handlers(r, c));
    return r;
  }
};

// Writes a buffer to a stream as fast as the connection takes it, resuming on writability.
struct Writer {
  Writer() = default;
  Writer(const std::shared_ptr<Connection>& c, std::int64_t id, Bytes bytes)
      : connection(c), stream(id), data(std::move(bytes)) {}

  std::weak_ptr<Connection> connection;
  std::int64_t stream = -1;
  Bytes data;
  bool fin = true;
  std::size_t offset = 0;
  std::size_t piece = std::size_t{64} << 10;
  std::optional<Error> error;

  [[nodiscard]] bool done() const { return offset == data.size(); }
  void pump() {
    auto c = connection.lock();
    if (!c || error) return;
    while (offset < data.size()) {
      const std::size_t n = std::min(piece, data.size() - offset);
      const bool last = offset + n == data.size();
      auto taken =
          c->write(stream, std::span<const std::uint8_t>(data).subspan(offset, n), fin && last);
      if (!taken) {
        error = taken.error();
        return;
      }
      offset += *taken;
      if (*taken < n) return;  // on_stream_writable resumes
    }
  }
};

// The outcome of one dial. Its state is shared with the handler, so a dial answered late (say
// while a failed test tears down) writes nowhere dangerous.
struct DialOutcome {
  struct State {
    std::optional<Result<std::shared_ptr<Connection>>> result;
    int calls = 0;
  };
  std::shared_ptr<State> state = std::make_shared<State>();
  std::optional<Result<std::shared_ptr<Connection>>>& result = state->result;
  int& calls = state->calls;

  [[nodiscard]] bool done() const { return calls > 0; }
  [[nodiscard]] Endpoint::DialHandler handler() const {
    return [s = state](Result<std::shared_ptr<Connection>> r) {
      ++s->calls;
      s->result.emplace(std::move(r));
    };
  }
  [[nodiscard]] std::shared_ptr<Connection> connection() const {
    return result && result->has_value() ? result->value() : nullptr;
  }
};

// The event loop of the test: every endpoint of a test lives in this one io_context.
class Loop {
 public:
  boost::asio::io_context io;

  // Runs handlers until `done` holds; false if the deadline passed first.
  bool run_until(const std::function<bool()>& done, Clock::duration deadline = kDeadline) {
    const auto until = Clock::now() + deadline;
    while (!done()) {
      if (Clock::now() >= until) return false;
      if (io.stopped()) io.restart();
      io.run_one_for(20ms);
    }
    return true;
  }
  // Runs handlers for a while (to show that something does NOT happen).
  void run_for(Clock::duration d) {
    if (io.stopped()) io.restart();
    io.run_for(d);
  }
  // Test teardown: closes every endpoint (OSP's normal code), lets the closing periods end so
  // that no handler outlives its endpoint, drops them and runs what is left.
  void stop_all(std::vector<std::shared_ptr<Endpoint>>& endpoints) {
    for (auto& e : endpoints) e->stop(5139, "test over");
    run_until([&] {
      return std::all_of(endpoints.begin(), endpoints.end(),
                         [](const auto& e) { return e->connection_count() == 0; });
    });
    endpoints.clear();
    io.restart();
    io.poll();
  }
};

}  // namespace lp2p::quic::test
