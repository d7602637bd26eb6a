#include "mdns/mdns_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace lp2p::mdns {
namespace {

constexpr std::size_t kMaxPacket = 9000;  // RFC 6762 §17

Error os_error(const std::string& what) {
  return make_error(Errc::io_error, what + ": " + std::strerror(errno));
}

template <class T>
Result<void> set(int fd, int level, int name, T value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) return os_error(what);
  return {};
}

IpAddress group(bool ipv6) {
  if (!ipv6) return IpAddress::v4_from({224, 0, 0, 251});
  return IpAddress::v6_from({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb});
}

}  // namespace

MdnsSocket::MdnsSocket(boost::asio::io_context& io, bool ipv6, std::uint16_t port, Handler handler)
    : socket_(io), ipv6_(ipv6), port_(port), handler_(std::move(handler)) {}

MdnsSocket::~MdnsSocket() {
  *alive_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

Result<std::unique_ptr<MdnsSocket>> MdnsSocket::open(boost::asio::io_context& io, bool ipv6,
                                                     std::uint16_t port, Handler handler) {
  std::unique_ptr<MdnsSocket> s(new MdnsSocket(io, ipv6, port, std::move(handler)));
  boost::system::error_code ec;
  s->socket_.open(ipv6 ? boost::asio::ip::udp::v6() : boost::asio::ip::udp::v4(), ec);
  if (ec) return make_error(Errc::io_error, "mDNS socket: " + ec.message());
  const int fd = s->socket_.native_handle();
  const int on = 1;
  LP2P_TRY(set(fd, SOL_SOCKET, SO_REUSEADDR, on, "SO_REUSEADDR"));
  LP2P_TRY(set(fd, SOL_SOCKET, SO_REUSEPORT, on, "SO_REUSEPORT"));
  if (ipv6) {
    LP2P_TRY(set(fd, IPPROTO_IPV6, IPV6_V6ONLY, on, "IPV6_V6ONLY"));
    LP2P_TRY(set(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS"));
    LP2P_TRY(set(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on, "IPV6_MULTICAST_LOOP"));
    LP2P_TRY(set(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, on, "IPV6_RECVPKTINFO"));
    sockaddr_in6 any{};
    any.sin6_family = AF_INET6;
    any.sin6_port = htons(port);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0)
      return os_error("bind [::]:5353");
  } else {
    LP2P_TRY(set(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL"));
    LP2P_TRY(set(fd, IPPROTO_IP, IP_MULTICAST_LOOP, on, "IP_MULTICAST_LOOP"));
    LP2P_TRY(set(fd, IPPROTO_IP, IP_PKTINFO, on, "IP_PKTINFO"));
    // Only the groups this socket joined, on the interfaces it joined them on.
    LP2P_TRY(set(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL"));
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0)
      return os_error("bind 0.0.0.0:5353");
  }
  s->socket_.non_blocking(true, ec);
  s->wait();
  return s;
}

Result<void> MdnsSocket::join(const NetInterface& itf) {
  const int fd = socket_.native_handle();
  if (ipv6_) {
    ipv6_mreq m{};
    std::memcpy(&m.ipv6mr_multiaddr, group(true).bytes.data(), 16);
    m.ipv6mr_interface = itf.index;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) != 0 && errno != EADDRINUSE) {
      return os_error("join ff02::fb on " + itf.name);
    }
    return {};
  }
  ip_mreqn m{};
  std::memcpy(&m.imr_multiaddr, group(false).bytes.data(), 4);
  m.imr_ifindex = static_cast<int>(itf.index);
  if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0 && errno != EADDRINUSE) {
    return os_error("join 224.0.0.251 on " + itf.name);
  }
  return {};
}

void MdnsSocket::leave(const NetInterface& itf) {
  const int fd = socket_.native_handle();
  if (ipv6_) {
    ipv6_mreq m{};
    std::memcpy(&m.ipv6mr_multiaddr, group(true).bytes.data(), 16);
    m.ipv6mr_interface = itf.index;
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &m, sizeof m);
    return;
  }
  ip_mreqn m{};
  std::memcpy(&m.imr_multiaddr, group(false).bytes.data(), 4);
  m.imr_ifindex = static_cast<int>(itf.index);
  (void)setsockopt(fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, &m, sizeof m);
}

Result<void> MdnsSocket::send_multicast(std::span<const std::uint8_t> packet,
                                        std::uint32_t interface_index) {
  return send(packet, Endpoint{group(ipv6_), port_, interface_index});
}

Result<void> MdnsSocket::send_unicast(std::span<const std::uint8_t> packet, const Endpoint& to) {
  return send(packet, to);
}

Result<void> MdnsSocket::send(std::span<const std::uint8_t> packet, const Endpoint& to) {
  iovec iov{const_cast<std::uint8_t*>(packet.data()),
            packet.size()};  // NOLINT: sendmsg does not write
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::array<std::uint8_t, CMSG_SPACE(sizeof(in_pktinfo))> control{};
  sockaddr_in sin{};
  sockaddr_in6 sin6{};
  if (ipv6_) {
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(to.port);
    std::memcpy(&sin6.sin6_addr, to.address.bytes.data(), 16);
    sin6.sin6_scope_id = to.interface_index;  // picks the interface for ff02::fb and fe80::/10
    msg.msg_name = &sin6;
    msg.msg_namelen = sizeof sin6;
  } else {
    sin.sin_family = AF_INET;
    sin.sin_port = htons(to.port);
    std::memcpy(&sin.sin_addr, to.address.bytes.data(), 4);
    msg.msg_name = &sin;
    msg.msg_namelen = sizeof sin;
    // The outgoing interface, for multicast in particular.
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_ifindex = static_cast<int>(to.interface_index);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
  if (sendmsg(socket_.native_handle(), &msg, 0) < 0) {
    return os_error("mDNS send to " + to.address.to_string());
  }
  return {};
}

void MdnsSocket::wait() {
  socket_.async_wait(boost::asio::socket_base::wait_read,
                     [this, alive = alive_](const boost::system::error_code& ec) {
                       if (!*alive || ec) return;
                       drain();
                       wait();
                     });
}

void MdnsSocket::drain() {
  std::array<std::uint8_t, kMaxPacket> buffer{};
  std::array<std::uint8_t, 256> control{};
  for (;;) {
    sockaddr_storage from{};
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const ssize_t n = recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);
    if (n < 0) return;  // EAGAIN: drained; other errors: try again on the next wake-up
    Endpoint source;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        source.interface_index = static_cast<std::uint32_t>(info.ipi_ifindex);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        source.interface_index = info.ipi6_ifindex;
      }
    }
    if (from.ss_family == AF_INET6) {
      sockaddr_in6 sin6{};
      std::memcpy(&sin6, &from, sizeof sin6);
      source.address.v6 = true;
      std::memcpy(source.address.bytes.data(), &sin6.sin6_addr, 16);
      source.port = ntohs(sin6.sin6_port);
    } else {
      sockaddr_in sin{};
      std::memcpy(&sin, &from, sizeof sin);
      std::memcpy(source.address.bytes.data(), &sin.sin_addr, 4);
      source.port = ntohs(sin.sin_port);
    }
    handler_(std::span(buffer.data(), static_cast<std::size_t>(n)), source);
  }
}

}  // namespace lp2p::mdns
