#!/usr/bin/python3
"""Passive mDNS listener for the integration tests: joins 224.0.0.251 and ff02::fb on eth0 of the
lab host it runs in (`lab exec c /usr/bin/python3 mdns_sniff.py`) and prints one JSON line per
packet: {"src","qr","questions":[[name,type]],"records":[[name,type,ttl]]} (names without the
trailing dot, lower-cased; records = answer + authority + additional sections). It never sends.
Usage: mdns_sniff.py [SECONDS]   (stops after SECONDS, default 900)
"""

import json
import select
import socket
import struct
import sys
import time

GROUP4, GROUP6, PORT = "224.0.0.251", "ff02::fb", 5353


def read_name(buf, off):
    labels, jumped, end, hops = [], False, off, 0
    while True:
        if off >= len(buf) or hops > 64:
            raise ValueError("bad name")
        n = buf[off]
        if n & 0xC0 == 0xC0:
            ptr = ((n & 0x3F) << 8) | buf[off + 1]
            if not jumped:
                end = off + 2
            jumped, off, hops = True, ptr, hops + 1
            continue
        off += 1
        if n == 0:
            break
        labels.append(buf[off:off + n].decode("utf-8", "replace"))
        off += n
    return ".".join(labels).lower(), (end if jumped else off)


def parse(buf):
    _id, flags, qd, an, ns, ar = struct.unpack("!6H", buf[:12])
    off, questions, records = 12, [], []
    for _ in range(qd):
        name, off = read_name(buf, off)
        qtype, _qclass = struct.unpack("!HH", buf[off:off + 4])
        off += 4
        questions.append([name, qtype])
    for _ in range(an + ns + ar):
        name, off = read_name(buf, off)
        rtype, _rclass, ttl, rdlen = struct.unpack("!HHIH", buf[off:off + 10])
        off += 10 + rdlen
        records.append([name, rtype, ttl])
    return {"qr": flags >> 15, "questions": questions, "records": records}


def main():
    ifindex = socket.if_nametoindex("eth0")
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    for s in (s4, s6):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s4.bind(("", PORT))
    s6.bind(("", PORT))
    s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                  struct.pack("4s4si", socket.inet_aton(GROUP4), socket.inet_aton("0.0.0.0"), ifindex))
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                  socket.inet_pton(socket.AF_INET6, GROUP6) + struct.pack("@I", ifindex))
    print(json.dumps({"event": "listening"}), flush=True)
    deadline = time.monotonic() + (float(sys.argv[1]) if len(sys.argv) > 1 else 900)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([s4, s6], [], [], max(0.0, deadline - time.monotonic()))
        for s in ready:
            data, src = s.recvfrom(9000)
            try:
                pkt = parse(data)
            except (ValueError, struct.error, IndexError) as e:
                pkt = {"error": str(e)}
            pkt["src"] = src[0]
            print(json.dumps(pkt), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
