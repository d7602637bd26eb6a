#!/usr/bin/python3
"""python3-zeroconf (Debian 0.47) peer for bench/discovery_bench.py: the reference that
`lp2p advertise` / `lp2p discover` are compared with. Run it inside a lab host with Debian's
/usr/bin/python3 (the pyenv python3 first on PATH does not see python3-zeroconf):

  lab exec b /usr/bin/python3 bench/zeroconf_peer.py browse [--family 4|6|all]
      Browses _openscreen._udp.local. until SIGINT/SIGTERM. Prints {"event":"browsing"} once,
      then {"event":"added",...} when an instance is resolved (port, addresses and TXT, the
      same completeness as an lp2p "added") and {"event":"removed","name"} when it goes away.

  lab exec a /usr/bin/python3 bench/zeroconf_peer.py publish --name N [--family 4|6|all]
      Prints {"event":"start"} before importing zeroconf, {"event":"registering"} just before
      register_service (imports and sockets done), {"event":"registered"} when it returns; keeps
      the instance until SIGINT/SIGTERM, then unregisters it (goodbye) and prints
      {"event":"stopped"}.

Every line is JSON, flushed at once, with "mono": time.monotonic() of this process (the same
clock as the benchmark's: CLOCK_MONOTONIC is shared by all network namespaces). Interfaces: only
the lab host's eth0 addresses (LP2P_LAB_ADDR4 / LP2P_LAB_ADDR6, set by `lab exec`).
"""

import json
import sys
import time


def out(event, **fields):
    print(json.dumps({"event": event, "mono": time.monotonic(), **fields}), flush=True)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "publish":
    out("start")  # before the zeroconf import: its cost is part of the publisher's start

import argparse  # noqa: E402  (after the "start" line on purpose)
import base64  # noqa: E402
import os  # noqa: E402
import queue  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402

from zeroconf import (IPVersion, ServiceBrowser, ServiceInfo,  # noqa: E402
                      ServiceStateChange, Zeroconf)

SERVICE = "_openscreen._udp.local."


def lab_addresses(family):
    a4 = os.environ.get("LP2P_LAB_ADDR4")
    a6 = os.environ.get("LP2P_LAB_ADDR6")
    if not a4 or not a6:
        sys.exit("zeroconf_peer: run me with `lab exec HOST` (LP2P_LAB_ADDR4/6 missing)")
    return {"4": [a4], "6": [a6], "all": [a4, a6]}[family]


def make_zeroconf(family):
    version = {"4": IPVersion.V4Only, "6": IPVersion.V6Only, "all": IPVersion.All}[family]
    addrs = lab_addresses(family)
    return Zeroconf(interfaces=addrs, ip_version=version), addrs


def stop_event():
    """An Event set by SIGINT or SIGTERM."""
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stop


def txt_of(info):
    return {k.decode("utf-8", "replace"): (v.decode("utf-8", "replace") if v is not None else None)
            for k, v in (info.properties or {}).items()}


def resolve(zc, service_type, name):
    """Resolves one instance (from the cache when the announcement carried everything)."""
    info = ServiceInfo(service_type, name)
    if not info.request(zc, 3000):
        out("unresolved", name=name)
        return
    out("added", name=name, port=info.port, addresses=info.parsed_scoped_addresses(),
        txt=txt_of(info), server=info.server)


def browse(args):
    stop = stop_event()
    zc, _ = make_zeroconf(args.family)
    changes = queue.Queue()

    def on_change(zeroconf, service_type, name, state_change):  # zeroconf's browser thread
        changes.put((service_type, name, state_change))

    browser = ServiceBrowser(zc, SERVICE, handlers=[on_change])
    out("browsing", type=SERVICE, family=args.family)
    try:
        while not stop.is_set():
            try:
                service_type, name, change = changes.get(timeout=0.05)
            except queue.Empty:
                continue
            if change is ServiceStateChange.Added:
                threading.Thread(target=resolve, args=(zc, service_type, name), daemon=True).start()
            elif change is ServiceStateChange.Removed:
                out("removed", name=name)
    finally:
        browser.cancel()
        zc.close()
        out("stopped")


def service_info(args, addrs):
    fp = base64.b64encode(os.urandom(32)).decode()
    packed = [socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a) for a in addrs]
    host = os.environ.get("LP2P_LAB_HOST", "zc")
    return ServiceInfo(
        SERVICE, f"{args.name}.{SERVICE}", port=args.port,
        properties={b"fp": fp.encode(), b"mv": b"\x00", b"at": b"benchtoken"},
        server=f"{host}.local.", addresses=packed)


def publish(args):
    stop = stop_event()
    zc, addrs = make_zeroconf(args.family)
    info = service_info(args, addrs)
    out("registering", name=args.name)
    zc.register_service(info)
    out("registered", name=args.name, port=args.port, addresses=addrs)
    while not stop.wait(0.05):
        pass
    zc.unregister_service(info)
    zc.close()
    out("stopped")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    b = sub.add_parser("browse")
    b.add_argument("--family", choices=["4", "6", "all"], default="all")
    p = sub.add_parser("publish")
    p.add_argument("--name", required=True)
    p.add_argument("--port", type=int, default=45678)
    p.add_argument("--family", choices=["4", "6", "all"], default="all")
    args = ap.parse_args()
    browse(args) if args.mode == "browse" else publish(args)


if __name__ == "__main__":
    main()
