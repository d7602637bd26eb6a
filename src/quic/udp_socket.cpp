#include "quic/udp_socket.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <utility>

namespace lp2p::quic {
namespace {

constexpr std::size_t kMaxSegments = 64;  // UDP_MAX_SEGMENTS in the kernel
constexpr std::size_t kMaxSendBytes = std::size_t{64} << 10;
// Largest UDP payload one GSO send may carry to an IPv4(-mapped) peer: the super-datagram must
// fit one IP packet (65535 - 20 - 8). IPv6 allows 20 bytes more; one limit keeps this simple.
constexpr std::size_t kMaxGsoBytes = 65507;
// One receive slot holds the largest datagram or GRO super-datagram the kernel builds.
constexpr std::size_t kReceiveSlotBytes = std::size_t{64} << 10;
constexpr std::size_t kMaxReceiveBatch = 1024;  // UIO_MAXIOV, recvmmsg's limit

// Room for the cmsgs a receive can carry: the UDP_GRO segment size and the SO_RXQ_OVFL counter.
struct alignas(cmsghdr) ReceiveControl {
  std::array<std::uint8_t, CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(std::uint32_t))> bytes;
};
struct alignas(cmsghdr) SendControl {
  std::array<std::uint8_t, CMSG_SPACE(sizeof(std::uint16_t))> bytes;
};

// What one send system call did: how many datagrams the kernel took, or the errno that stopped
// it before it took any.
struct Outcome {
  std::size_t datagrams = 0;
  int error = 0;
};

// What the cmsgs of one received buffer say.
struct ControlInfo {
  std::size_t gro_segment = 0;  // 0: one plain datagram
  bool has_drop_counter = false;
  std::uint32_t drop_counter = 0;
};

Error os_error(const std::string& what, int error) {
  return make_error(Errc::io_error, what + ": " + std::strerror(error));
}

bool set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

int get_int(int fd, int level, int name) {
  int value = 0;
  socklen_t length = sizeof value;
  if (getsockopt(fd, level, name, &value, &length) != 0) return -1;
  return value;
}

// As root the FORCE variant passes net.core.{r,w}mem_max; otherwise the plain option, which the
// kernel silently caps there.
void set_buffer(int fd, int force_name, int name, std::size_t bytes) {
  const int value = static_cast<int>(std::min<std::size_t>(bytes, INT_MAX / 2));
  if (set_int(fd, SOL_SOCKET, force_name, value)) return;
  if (!set_int(fd, SOL_SOCKET, name, value)) {
    spdlog::debug("udp: socket buffer option {} refused: {}", name, std::strerror(errno));
  }
}

// Socket options; each one that fails leaves its feature off rather than failing bind().
void tune(int fd, const UdpSocket::Options& options, bool& gso, bool& gro) {
  set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.buffer_bytes);
  set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, options.buffer_bytes);
  if (!set_int(fd, SOL_SOCKET, SO_RXQ_OVFL, 1)) spdlog::debug("udp: SO_RXQ_OVFL refused");
  // QUIC sets DF (RFC 9000 §14) and does its own path-MTU discovery, so the kernel must neither
  // fragment nor apply its cached path MTU. The IP_ option covers this socket's IPv4-mapped peers.
  if (!set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE) ||
      !set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE)) {
    spdlog::debug("udp: MTU discovery option refused: {}", std::strerror(errno));
  }
  gro = options.gro && set_int(fd, SOL_UDP, UDP_GRO, 1);
  // UDP_SEGMENT is readable on every kernel that has it; whether the route can do it shows only
  // at the first send (State::send_chunk).
  gso = options.gso && get_int(fd, SOL_UDP, UDP_SEGMENT) >= 0;
}

Result<std::uint16_t> bind_any(int fd, std::uint16_t port) {
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_port = htons(port);
  any.sin6_addr = in6addr_any;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0) {
    return os_error("udp: bind [::]:" + std::to_string(port), errno);
  }
  sockaddr_in6 local{};
  socklen_t length = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    return os_error("udp: getsockname", errno);
  }
  return ntohs(local.sin6_port);
}

// Errors that may mean "not with UDP_SEGMENT" rather than "not to this address" (EIO: the route's
// device cannot checksum-offload; EINVAL: segment larger than the device MTU, but also port 0;
// ENOPROTOOPT: no GSO in this kernel; EMSGSIZE: super-datagram larger than one IP packet).
bool may_be_gso_refusal(int error) {
  return error == EIO || error == EINVAL || error == ENOPROTOOPT || error == EMSGSIZE;
}

bool is_would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK;
}

std::size_t datagram_count(std::size_t bytes, std::size_t segment_size) {
  return (bytes + segment_size - 1) / segment_size;
}

// sendmsg/sendmmsg take non-const pointers; neither writes through them.
void* writable(const void* pointer) {
  return const_cast<void*>(pointer);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

ControlInfo parse_control(msghdr& h) {
  ControlInfo info;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int segment = 0;
      std::memcpy(&segment, CMSG_DATA(c), sizeof segment);
      if (segment > 0) info.gro_segment = static_cast<std::size_t>(segment);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      std::memcpy(&info.drop_counter, CMSG_DATA(c), sizeof info.drop_counter);
      info.has_drop_counter = true;
    }
  }
  return info;
}

}  // namespace

struct UdpSocket::State {
  int fd = -1;
  std::uint16_t port = 0;
  bool gso = false;
  bool gro = false;
  std::size_t receive_buffer = 0;
  Stats stats;
  std::uint32_t last_drop_counter = 0;  // the kernel's SO_RXQ_OVFL value as last seen

  // Receive: `batch` slots, each with its own buffer, source address and control area, wired
  // together once so that receive() allocates nothing.
  std::size_t batch = 0;
  // batch × kReceiveSlotBytes. Not a vector: zero-filling would touch every page (4 MiB by
  // default) where the kernel only ever writes what arrives.
  std::unique_ptr<std::uint8_t[]> receive_bytes;  // NOLINT(*-avoid-c-arrays)
  std::vector<mmsghdr> receive_headers;
  std::vector<iovec> receive_iovecs;
  std::vector<SocketAddress> receive_sources;
  std::vector<ReceiveControl> receive_controls;

  // Send: the GSO control area and the sendmmsg fallback's headers.
  SendControl send_control{};
  std::array<mmsghdr, kMaxSegments> send_headers{};
  std::array<iovec, kMaxSegments> send_iovecs{};

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  State(State&&) = delete;
  State& operator=(State&&) = delete;
  ~State() {
    if (fd >= 0) ::close(fd);
  }

  void allocate_receive(std::size_t slots);
  int receive_batch();
  std::size_t deliver(std::size_t slot, const Sink& sink);
  void count_drops(std::uint32_t counter);

  Outcome send_gso(const SocketAddress& to, std::span<const std::uint8_t> data,
                   std::size_t segment_size);
  Outcome send_each(const SocketAddress& to, std::span<const std::uint8_t> data,
                    std::size_t segment_size);
  Outcome send_chunk(const SocketAddress& to, std::span<const std::uint8_t> chunk,
                     std::size_t segment_size);
};

// ---- bind and accessors ----

Result<UdpSocket> UdpSocket::bind(std::uint16_t port, const Options& options) {
  auto state = std::make_unique<State>();
  state->fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (state->fd < 0) return os_error("udp: socket(AF_INET6)", errno);
  if (!set_int(state->fd, IPPROTO_IPV6, IPV6_V6ONLY, 0)) {
    return os_error("udp: IPV6_V6ONLY off", errno);
  }
  tune(state->fd, options, state->gso, state->gro);
  auto bound = bind_any(state->fd, port);
  if (!bound) return std::move(bound).error();
  state->port = *bound;
  state->receive_buffer =
      static_cast<std::size_t>(std::max(0, get_int(state->fd, SOL_SOCKET, SO_RCVBUF)));
  state->allocate_receive(std::clamp<std::size_t>(options.max_receive_batch, 1, kMaxReceiveBatch));
  spdlog::debug("udp: bound [::]:{} gso={} gro={} rcvbuf={} sndbuf={}", state->port, state->gso,
                state->gro, state->receive_buffer, get_int(state->fd, SOL_SOCKET, SO_SNDBUF));
  return UdpSocket(std::move(state));
}

UdpSocket::UdpSocket(std::unique_ptr<State> state) : state_(std::move(state)) {}
UdpSocket::UdpSocket(UdpSocket&&) noexcept = default;
UdpSocket& UdpSocket::operator=(UdpSocket&&) noexcept = default;
UdpSocket::~UdpSocket() = default;

int UdpSocket::fd() const {
  return state_->fd;
}
std::uint16_t UdpSocket::local_port() const {
  return state_->port;
}
bool UdpSocket::gso() const {
  return state_->gso;
}
bool UdpSocket::gro() const {
  return state_->gro;
}
std::size_t UdpSocket::receive_buffer() const {
  return state_->receive_buffer;
}
const UdpSocket::Stats& UdpSocket::stats() const {
  return state_->stats;
}

// ---- send ----

Result<std::size_t> UdpSocket::send(const SocketAddress& to, std::span<const std::uint8_t> data,
                                    std::size_t segment_size) {
  if (data.empty()) return std::size_t{0};
  if (segment_size == 0 || data.size() > kMaxSendBytes ||
      datagram_count(data.size(), segment_size) > kMaxSegments) {
    return make_error(Errc::invalid_argument, "udp send: " + std::to_string(data.size()) +
                                                  " bytes in segments of " +
                                                  std::to_string(segment_size));
  }
  State& s = *state_;
  // A GSO super-datagram must fit one IP packet; a larger request takes two calls.
  const std::size_t per_gso_call = std::max<std::size_t>(1, kMaxGsoBytes / segment_size);
  std::size_t done = 0;
  while (done < data.size()) {
    const std::size_t limit = s.gso ? per_gso_call * segment_size : data.size();
    const auto chunk = data.subspan(done, std::min(limit, data.size() - done));
    const Outcome outcome = s.send_chunk(to, chunk, segment_size);
    s.stats.datagrams_sent += outcome.datagrams;
    const std::size_t taken = std::min(chunk.size(), outcome.datagrams * segment_size);
    done += taken;
    if (outcome.error != 0) {
      if (done > 0) break;  // report the prefix; the caller meets the error on its next call
      if (is_would_block(outcome.error)) return make_error(Errc::would_block, "udp send");
      const std::size_t lost = datagram_count(data.size(), segment_size);
      s.stats.send_errors += lost;
      spdlog::debug("udp: {} datagrams to {} lost: {}", lost, to.to_string(),
                    std::strerror(outcome.error));
      return os_error("udp send to " + to.to_string(), outcome.error);
    }
    if (taken < chunk.size()) break;  // sendmmsg stopped early: the socket buffer is full
  }
  return done;
}

// Sends one chunk that one system call can carry, with GSO when it can help and works.
Outcome UdpSocket::State::send_chunk(const SocketAddress& to, std::span<const std::uint8_t> chunk,
                                     std::size_t segment_size) {
  if (!gso || chunk.size() <= segment_size) return send_each(to, chunk, segment_size);
  const Outcome with_gso = send_gso(to, chunk, segment_size);
  if (with_gso.error == 0 || !may_be_gso_refusal(with_gso.error)) return with_gso;
  // The same datagrams without UDP_SEGMENT. If that works, GSO was the problem: turn it off for
  // good, unless the chunk was only too large for one super-datagram. If it fails as well, the
  // error belongs to the destination (port 0, say) and GSO stays on.
  const Outcome without = send_each(to, chunk, segment_size);
  if (without.error == 0 && with_gso.error != EMSGSIZE) {
    gso = false;
    spdlog::info("udp: kernel refused UDP GSO ({}); sending one datagram per sendmmsg entry",
                 std::strerror(with_gso.error));
  }
  return without;
}

// One sendmsg carrying every datagram of `data` as a UDP_SEGMENT super-datagram.
Outcome UdpSocket::State::send_gso(const SocketAddress& to, std::span<const std::uint8_t> data,
                                   std::size_t segment_size) {
  iovec iov{writable(data.data()), data.size()};
  msghdr h{};
  h.msg_name = writable(to.data());
  h.msg_namelen = SocketAddress::size();
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = send_control.bytes.data();
  h.msg_controllen = send_control.bytes.size();
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto segment = static_cast<std::uint16_t>(segment_size);
  std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
  ssize_t sent = 0;
  do {
    ++stats.send_calls;
    sent = ::sendmsg(fd, &h, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Outcome{0, errno};
  return Outcome{datagram_count(data.size(), segment_size), 0};
}

// One sendmmsg with an entry per datagram (a plain sendmsg for a single datagram).
Outcome UdpSocket::State::send_each(const SocketAddress& to, std::span<const std::uint8_t> data,
                                    std::size_t segment_size) {
  const std::size_t count = datagram_count(data.size(), segment_size);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t offset = i * segment_size;
    send_iovecs[i] =
        iovec{writable(data.data() + offset), std::min(segment_size, data.size() - offset)};
    msghdr& h = send_headers[i].msg_hdr;
    h = msghdr{};
    h.msg_name = writable(to.data());
    h.msg_namelen = SocketAddress::size();
    h.msg_iov = &send_iovecs[i];
    h.msg_iovlen = 1;
  }
  int sent = 0;
  do {
    ++stats.send_calls;
    if (count == 1) {
      sent = ::sendmsg(fd, &send_headers[0].msg_hdr, 0) < 0 ? -1 : 1;
    } else {
      sent = ::sendmmsg(fd, send_headers.data(), static_cast<unsigned>(count), 0);
    }
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Outcome{0, errno};
  return Outcome{static_cast<std::size_t>(sent), 0};
}

// ---- receive ----

std::size_t UdpSocket::receive(const Sink& sink, std::size_t max_calls) {
  State& s = *state_;
  std::size_t handed = 0;
  for (std::size_t call = 0; call < max_calls; ++call) {
    const int n = s.receive_batch();
    if (n <= 0) break;
    ++s.stats.receive_calls;
    const auto filled = static_cast<std::size_t>(n);
    for (std::size_t slot = 0; slot < filled; ++slot) handed += s.deliver(slot, sink);
    if (filled < s.batch) break;  // the queue was drained; save the EAGAIN call
  }
  return handed;
}

void UdpSocket::State::allocate_receive(std::size_t slots) {
  batch = slots;
  receive_bytes =  // NOLINTNEXTLINE(*-avoid-c-arrays)
      std::make_unique_for_overwrite<std::uint8_t[]>(slots * kReceiveSlotBytes);
  receive_headers.assign(slots, mmsghdr{});
  receive_iovecs.assign(slots, iovec{});
  receive_sources.assign(slots, SocketAddress{});
  receive_controls.assign(slots, ReceiveControl{});
  for (std::size_t i = 0; i < slots; ++i) {
    receive_iovecs[i] = iovec{receive_bytes.get() + i * kReceiveSlotBytes, kReceiveSlotBytes};
    msghdr& h = receive_headers[i].msg_hdr;
    h.msg_name = receive_sources[i].data();
    h.msg_iov = &receive_iovecs[i];
    h.msg_iovlen = 1;
    h.msg_control = receive_controls[i].bytes.data();
  }
}

// One recvmmsg into every slot. Returns how many slots it filled, 0 when nothing was queued
// (or on an error, which is logged: the caller's next readiness wake-up tries again).
int UdpSocket::State::receive_batch() {
  // recvmmsg overwrote the lengths and flags of the slots it filled last time.
  for (std::size_t i = 0; i < batch; ++i) {
    msghdr& h = receive_headers[i].msg_hdr;
    h.msg_namelen = SocketAddress::size();
    h.msg_controllen = receive_controls[i].bytes.size();
    h.msg_flags = 0;
  }
  int n = 0;
  do {
    n = ::recvmmsg(fd, receive_headers.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && !is_would_block(errno)) spdlog::debug("udp: recvmmsg: {}", std::strerror(errno));
  return std::max(n, 0);
}

// Hands the datagrams of one filled slot to the sink, splitting a GRO buffer at its segment size.
std::size_t UdpSocket::State::deliver(std::size_t slot, const Sink& sink) {
  msghdr& h = receive_headers[slot].msg_hdr;
  const ControlInfo info = parse_control(h);
  if (info.has_drop_counter) count_drops(info.drop_counter);
  std::size_t length = receive_headers[slot].msg_len;
  const std::size_t segment = info.gro_segment != 0 ? info.gro_segment : length;
  if ((h.msg_flags & MSG_TRUNC) != 0) {
    // Cannot happen with 64 KiB slots; keep whatever whole datagrams arrived.
    spdlog::debug("udp: truncated receive from {}", receive_sources[slot].to_string());
    if (info.gro_segment == 0) return 0;
    length -= length % segment;
  }
  if (length == 0 && info.gro_segment == 0) {  // an empty datagram is still a datagram
    sink(receive_sources[slot], {});
    ++stats.datagrams_received;
    return 1;
  }
  const std::span<const std::uint8_t> bytes(receive_bytes.get() + slot * kReceiveSlotBytes, length);
  std::size_t count = 0;
  for (std::size_t offset = 0; offset < length; offset += segment, ++count) {
    sink(receive_sources[slot], bytes.subspan(offset, std::min(segment, length - offset)));
  }
  stats.datagrams_received += count;
  if (count > 1) ++stats.gro_batches;
  return count;
}

// SO_RXQ_OVFL carries the socket's cumulative drop count (a wrapping uint32).
void UdpSocket::State::count_drops(std::uint32_t counter) {
  stats.kernel_drops += static_cast<std::uint32_t>(counter - last_drop_counter);
  last_drop_counter = counter;
}

}  // namespace lp2p::quic
