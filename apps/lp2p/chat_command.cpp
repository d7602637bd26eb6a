// `lp2p chat PEER` / `lp2p chat --wait`: a data channel (label "chat", text messages) on
// standard input and output — a line typed is a message sent, a message received is a line.
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <thread>

#include "cli_agent.hpp"
#include "lp2p/receiver.hpp"
#include "transfer_commands.hpp"

namespace lp2p::cli {
namespace {

constexpr std::string_view kChatOrigin = "lp2p-chat";

struct ChatOptions {
  AgentOptions agent;
  std::string peer;
  bool wait = false;
  bool json = false;
  std::optional<std::string> code;
  unsigned timeout = 30;
};

constexpr const char* kChatFooter = R"(
One side waits (`lp2p chat --wait`, for the first paired device that connects), the other
connects (`lp2p chat PEER`). Lines typed are sent as text messages; messages received are
printed as "NAME: text" (with --json, one event per line). End with Ctrl-D (or Ctrl-C); when the
other side leaves, chat ends too. Works on pipes: `echo hello | lp2p chat Laptop`.

Exit status: 0 ended; 1 failed; 2 bad usage; 3 PEER not found, reached or paired.)";

class Room {
 public:
  explicit Room(EventPrinter& printer) : printer_(printer) {}

  void join(DataChannel channel, const std::string& peer) {
    {
      const std::lock_guard lock(mutex_);
      if (channel_) {
        channel.close();  // one conversation at a time
        return;
      }
      channel_ = channel;
      peer_ = peer;
    }
    // A channel the peer opened is handed over open: on_open fires only for our own.
    if (channel.state() == DataChannelState::open) announce_open(peer);
    channel.on_open([this, peer] { announce_open(peer); });
    channel.on_message([this, peer](const Message& m) {
      const std::string text(m.text());
      printer_.result("message", {{"peer", peer}, {"text", text}}, peer + ": " + text + "\n");
    });
    channel.on_close([this, peer] {
      printer_.event("closed", {{"peer", peer}}, peer + " left.");
      closed_ = true;
    });
  }

  void announce_open(const std::string& peer) {
    if (open_.exchange(true)) return;
    printer_.event("open", {{"peer", peer}}, "Chatting with " + peer + ". Ctrl-D ends.");
  }

  Result<void> send(const std::string& line) {
    DataChannel channel;
    {
      const std::lock_guard lock(mutex_);
      channel = channel_;
    }
    if (!channel) return make_error(Errc::closed, "no one to chat with yet");
    return channel.send(line);
  }

  void close() {
    const std::lock_guard lock(mutex_);
    if (channel_) channel_.close();
  }

  [[nodiscard]] bool open() const { return open_.load(); }
  [[nodiscard]] bool closed() const { return closed_.load(); }

 private:
  EventPrinter& printer_;
  std::mutex mutex_;
  DataChannel channel_;
  std::string peer_;
  std::atomic<bool> open_{false};
  std::atomic<bool> closed_{false};
};

// Lines of standard input, without blocking past `stop`.
class LineReader {
 public:
  // The next line; nullopt at the end of input or when `stop` says so.
  std::optional<std::string> next(const std::function<bool()>& stop) {
    while (true) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      if (eof_) {
        if (buffer_.empty()) return std::nullopt;
        return std::exchange(buffer_, {});
      }
      if (stop()) return std::nullopt;
      pollfd p{STDIN_FILENO, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      std::array<char, 4096> chunk{};
      const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
      if (n <= 0) {
        eof_ = true;
      } else {
        buffer_.append(chunk.data(), static_cast<std::size_t>(n));
      }
    }
  }

 private:
  std::string buffer_;
  bool eof_ = false;
};

int run_chat(const ChatOptions& options, const Io& io) {
  install_interrupt_flag();
  configure_logging(options.agent);
  EventPrinter printer(io, options.json);
  auto fail = [&](int code, const std::string& message) {
    printer.event("error", {{"message", message}, {"exit", code}}, "lp2p chat: " + message);
    return code;
  };
  if (options.wait == !options.peer.empty()) {
    return fail(kExitBadUsage, "name a PEER to connect to, or --wait for one (see --help)");
  }
  ConsentOptions consent_options;
  consent_options.code = options.code;
  auto made = make_command_agent(options.agent, printer, consent_options);
  if (!made) return fail(kExitError, made.error().message);
  auto& agent = made->agent;

  Room room(printer);
  std::optional<Receiver> receiver;
  Connection connection;
  if (options.wait) {
    receiver.emplace(*agent, ReceiverOptions{std::string(kChatOrigin), "lp2p chat"});
    receiver->on_connection([&room](Connection c) {
      const std::string peer = c.peer().name;
      c.on_data_channel([&room, peer](DataChannel channel) { room.join(channel, peer); });
    });
    auto discoverable = start_receiver(*agent, *receiver);
    if (!discoverable) return fail(kExitError, discoverable.error().message);
    printer.event("waiting", {{"name", made->options.device_name}, {"discoverable", *discoverable}},
                  "Waiting as \"" + made->options.device_name + "\" for a device to chat with...");
  } else {
    auto c = connect_to(*agent, *made->consent, options.peer, std::string(kChatOrigin),
                        std::chrono::seconds(options.timeout));
    if (!c) return fail(kExitUnreachable, c.error().message);
    connection = *c;
    auto channel = connection.create_data_channel("chat");
    if (!channel) return fail(kExitError, channel.error().message);
    room.join(*channel, connection.peer().name);
  }

  LineReader lines;
  int code = kExitOk;
  while (auto line = lines.next([&] { return interrupted() || room.closed(); })) {
    while (!room.open() && !room.closed() && !interrupted()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (room.closed() || interrupted()) break;
    if (auto sent = room.send(*line); !sent) {
      code = fail(kExitError, sent.error().message);
      break;
    }
  }
  room.close();
  if (connection) connection.close();
  if (receiver) receiver->stop();
  agent->stop();
  return code;
}

}  // namespace

void add_chat_command(CLI::App& app, const Io& io, int& exit_code) {
  auto options = std::make_shared<ChatOptions>();
  CLI::App* command =
      app.add_subcommand("chat", "Text messages with a paired device on standard input/output");
  command->footer(kChatFooter);
  command->add_option("peer", options->peer, "The device to chat with");
  command->add_flag("--wait,-w", options->wait, "Wait for a device to connect instead");
  command->add_option("--code", options->code, "The pairing code the other device shows");
  command->add_flag("--json", options->json, "One JSON event per line on stdout");
  command->add_option("--timeout", options->timeout,
                      "Seconds to find and reach the device (default 30)");
  add_agent_options(*command, options->agent);
  command->callback([options, &io, &exit_code] { exit_code = run_chat(*options, io); });
}

}  // namespace lp2p::cli
