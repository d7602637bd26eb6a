#!/usr/bin/python3
"""A foreign mDNS / DNS-SD peer for the interop tests, built on python3-zeroconf (Debian 0.47).
Run it inside a lab host with Debian's /usr/bin/python3:

  lab exec b /usr/bin/python3 zeroconf_peer.py browse [--type T] [--family 4|6|all] [--timeout S] [--want N]
      Browses for T (default _openscreen._udp.local.) and prints one JSON line per resolved
      instance: {"event":"resolved","name","instance","server","port","addresses","txt":{key:hex}}
      and {"event":"removed","name"} when one goes away; exits after --want resolved instances
      (0 = never) or after --timeout seconds.

  lab exec b /usr/bin/python3 zeroconf_peer.py query-ptr --type G._sub._openscreen._udp.local. ...
      The same output, from plain PTR queries for T (for subtypes ServiceBrowser cannot browse).

  lab exec a /usr/bin/python3 zeroconf_peer.py publish --name N [--port P] [--fp FP] [--mv HEX]
                                                       [--at TOKEN] [--duration S] [--family ...]
      Registers the _openscreen._udp instance N with TXT fp=FP (default: 44-char base64 of a
      random SHA-256), mv=HEX bytes (default 00: the QUIC varint 0) and at=TOKEN (default
      abc123xyz), prints {"event":"published",...}, keeps it for --duration seconds or until
      SIGINT/SIGTERM, then unregisters it (zeroconf sends goodbyes) and prints
      {"event":"unregistered"}.

Every line is flushed at once. Interfaces: the lab host's eth0 addresses only (from the
LP2P_LAB_ADDR4 / LP2P_LAB_ADDR6 variables `lab exec` sets).
"""

import argparse
import base64
import hashlib
import json
import os
import queue
import signal
import socket
import sys
import time

from zeroconf import DNSOutgoing, DNSQuestion, IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf
from zeroconf.const import _CLASS_IN, _FLAGS_QR_QUERY, _TYPE_PTR

SERVICE = "_openscreen._udp.local."


def out(obj):
    print(json.dumps(obj), flush=True)


def make_zeroconf(family):
    a4 = os.environ.get("LP2P_LAB_ADDR4")
    a6 = os.environ.get("LP2P_LAB_ADDR6")
    if not a4 or not a6:
        sys.exit("zeroconf_peer: run me with `lab exec HOST` (LP2P_LAB_ADDR4/6 missing)")
    if family == "4":
        return Zeroconf(interfaces=[a4], ip_version=IPVersion.V4Only), [a4]
    if family == "6":
        return Zeroconf(interfaces=[a6], ip_version=IPVersion.V6Only), [a6]
    return Zeroconf(interfaces=[a4, a6], ip_version=IPVersion.All), [a4, a6]


def resolve_and_print(zc, service_type, name, change):
    """Resolves instance `name` (SRV, TXT, addresses) and prints it; True when resolved."""
    # A subtype (G._sub._openscreen._udp.local.) lists instances of the base type.
    base_type = service_type.split("._sub.", 1)[1] if "._sub." in service_type else service_type
    info = ServiceInfo(base_type, name)
    ok = info.request(zc, 3000)
    out({
        "event": "resolved" if ok else "unresolved",
        "change": change,
        "type": service_type,
        "name": name,
        "instance": name[: -len(base_type) - 1] if name.endswith("." + base_type) else None,
        "server": info.server,
        "port": info.port,
        "addresses": info.parsed_scoped_addresses(),
        "txt": {k.decode("utf-8", "replace"): (v.hex() if v is not None else None)
                for k, v in (info.properties or {}).items()},
    })
    return ok


def query_ptr(args):
    """Plain PTR queries for --type, the cache read for the answers. ServiceBrowser (0.47) only
    browses subtypes whose label starts with "_" (zeroconf's possible_types()), while RFC 6763
    §7.1 allows any label: this mode asks for any subtype."""
    zc, _ = make_zeroconf(args.family)
    out({"event": "querying", "type": args.type, "family": args.family})
    seen, resolved = set(), 0
    start = time.monotonic()
    next_query, interval = start, 1.0
    try:
        while time.monotonic() - start < args.timeout:
            if time.monotonic() >= next_query:
                q = DNSOutgoing(_FLAGS_QR_QUERY)
                q.add_question(DNSQuestion(args.type, _TYPE_PTR, _CLASS_IN))
                zc.send(q)
                next_query, interval = next_query + interval, interval * 2
            for rec in zc.cache.get_all_by_details(args.type, _TYPE_PTR, _CLASS_IN):
                if rec.alias not in seen:
                    seen.add(rec.alias)
                    if resolve_and_print(zc, args.type, rec.alias, "Added"):
                        resolved += 1
            if args.want and resolved >= args.want:
                break
            time.sleep(0.05)
    finally:
        zc.close()


def browse(args):
    zc, _ = make_zeroconf(args.family)
    changes = queue.Queue()

    def on_change(zeroconf, service_type, name, state_change):  # runs on zeroconf's thread
        changes.put((service_type, name, state_change))

    browser = ServiceBrowser(zc, args.type, handlers=[on_change])
    out({"event": "browsing", "type": args.type, "family": args.family})
    resolved = 0
    deadline = time.monotonic() + args.timeout
    try:
        while time.monotonic() < deadline:
            try:
                service_type, name, change = changes.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if change is ServiceStateChange.Removed:
                out({"event": "removed", "name": name})
                continue
            ok = resolve_and_print(zc, service_type, name, change.name)
            if ok:
                resolved += 1
                if args.want and resolved >= args.want:
                    break
    finally:
        browser.cancel()
        zc.close()


def publish(args):
    zc, addrs = make_zeroconf(args.family)
    fp = args.fp or base64.b64encode(hashlib.sha256(os.urandom(32)).digest()).decode()
    packed = [socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a) for a in addrs]
    host = os.environ.get("LP2P_LAB_HOST", "zc").replace("_", "-")
    info = ServiceInfo(
        SERVICE,
        f"{args.name}.{SERVICE}",
        port=args.port,
        properties={b"fp": fp.encode(), b"mv": bytes.fromhex(args.mv), b"at": args.at.encode()},
        server=f"zc-{host}.local.",
        addresses=packed,
    )
    stop = {"now": False}

    def on_signal(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    zc.register_service(info)
    out({"event": "published", "name": args.name, "port": args.port, "fp": fp, "mv": args.mv,
         "at": args.at, "addresses": addrs, "server": info.server})
    deadline = time.monotonic() + args.duration
    while not stop["now"] and time.monotonic() < deadline:
        time.sleep(0.05)
    zc.unregister_service(info)
    out({"event": "unregistered"})
    zc.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    for mode in ("browse", "query-ptr"):
        b = sub.add_parser(mode)
        b.add_argument("--type", default=SERVICE)
        b.add_argument("--family", choices=["4", "6", "all"], default="4")
        b.add_argument("--timeout", type=float, default=10)
        b.add_argument("--want", type=int, default=1)
    p = sub.add_parser("publish")
    p.add_argument("--name", required=True)
    p.add_argument("--port", type=int, default=45678)
    p.add_argument("--fp")
    p.add_argument("--mv", default="00", help="TXT mv value as hex bytes (default 00)")
    p.add_argument("--at", default="abc123xyz")
    p.add_argument("--family", choices=["4", "6", "all"], default="4")
    p.add_argument("--duration", type=float, default=30)
    args = ap.parse_args()
    {"browse": browse, "query-ptr": query_ptr, "publish": publish}[args.mode](args)


if __name__ == "__main__":
    main()
