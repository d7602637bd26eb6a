#!/usr/bin/python3
"""Discovery between real `lp2p` processes on separate lab hosts (network namespaces):
IPv4-only and IPv6-only discovery, metadata changes, goodbyes, app groups, tickets, and two
agents on one host. The slow expiry test (SIGKILL, no goodbye) is in discovery_expiry_test.py.

Usage: /usr/bin/python3 discovery_test.py --lp2p PATH --lab tests/lab/lab [-v] [Class.test ...]
Exits 77 (skipped) without root.
"""

import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import LabTestCase, parse_endpoint  # noqa: E402

# Bounds. Measured here: discovery by query ~0.5-0.8 s on lp2p's own clock (~0.9 s including
# the start of the process), from announcements ~1.0 s after the advertiser starts; goodbye to
# removal ~1.0 s (RFC 6762 §10.1: a record with TTL 0 is deleted one second later).
DISCOVER_WITHIN = 3.0     # discover started after the advertiser is up -> "added"
ANNOUNCE_WITHIN = 4.0     # advertiser started after discover (probing + announcing) -> "added"
CHANGE_WITHIN = 3.0       # SIGUSR1 -> "metadata-changed"
GOODBYE_WITHIN = 2.5      # SIGINT -> "removed"
ABSENT_FOR = 2.0          # how long something that must not appear is watched for


MALFORMED_SENDER = r"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 5353))
# A response header announcing one answer, then a name that runs past the end of the packet.
s.sendto(bytes.fromhex("000084000000000100000000") + b"\x3fcut", ("224.0.0.251", 5353))
"""


def _is_json_object(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def is_event(kind, fp=None):
    return lambda e: e.get("event") == kind and (fp is None or e.get("fingerprint") == fp)


class DiscoveryTest(LabTestCase):
    LAB_TAG = "disc"
    LAB_HOSTS = 3

    # ---- 1. one address family only -------------------------------------------------------------

    def _one_family(self, flag, families, label):
        """Advertise on a with `flag` on every process; discover on c (started before the
        advertiser: it learns from the announcements) and on b (started after: it learns by
        querying)."""
        early = self.discover("c", "discover-c-early", flag)
        time.sleep(0.3)  # let it open its sockets before the advertiser announces
        t_adv = time.monotonic()
        adv = self.advertise("a", "advertise-a", f"Only {label} agent", flag)
        fp, port, name = adv.info["fingerprint"], adv.info["port"], adv.info["name"]
        self.assertEqual(name, f"Only {label} agent")
        self.assertEqual(len(fp), 44, f"fingerprint {fp!r} is not 44 base64 characters")
        late = self.discover("b", "discover-b-late", flag)

        expected = self.lab.endpoints("a", port, families)
        for disc, within, since, how in ((late, DISCOVER_WITHIN, late.t_start, "by query"),
                                         (early, ANNOUNCE_WITHIN, t_adv, "from announcements")):
            got = self.wait_added(disc, fp, within + 2)
            self.assertIsNotNone(got, f"{disc.label}: no 'added' for {fp} ({label}) within {within + 2} s")
            t, ev = got
            self.note(f"{label}: {disc.label} discovered a {how} in {t - since:.3f} s "
                      f"(its own clock: {ev.get('time')} s); addresses {ev.get('addresses')}")
            self.assertLessEqual(t - since, within, f"{disc.label}: discovery {how} too slow")
            self.assertEqual(ev.get("name"), name)
            self.assertIs(ev.get("name-truncated"), False)
            self.assertEqual(ev.get("providers"), ["dns-sd"])
            self.assertEqual(ev.get("metadata-version"), 0)
            addrs = ev.get("addresses") or []
            self.assertTrue(expected & set(addrs),
                            f"{disc.label}: none of {sorted(expected)} (host a, {label}) in {addrs}")
            for a in addrs:
                self.assertEqual(parse_endpoint(a)[2], port, f"{disc.label}: wrong port in {a}")
        return adv

    def test_ipv4_only(self):
        self._one_family("--no-ipv6", ("4",), "IPv4")

    def test_ipv6_only(self):
        self._one_family("--no-ipv4", ("6", "ll"), "IPv6")

    def test_families_do_not_mix(self):
        """An IPv6-only advertiser is invisible to an IPv4-only listener (while an IPv6-only
        listener next to it does see it, proving the advertiser works meanwhile)."""
        adv = self.advertise("a", "advertise-a-v6", "V6 agent", "--no-ipv4")
        fp = adv.info["fingerprint"]
        d4 = self.discover("b", "discover-b-v4", "--no-ipv6")
        d6 = self.discover("b", "discover-b-v6", "--no-ipv4")
        self.assertIsNotNone(self.wait_added(d6, fp, DISCOVER_WITHIN + 2),
                             "the IPv6-only listener did not find the IPv6-only advertiser")
        got = self.wait_added(d4, fp, ABSENT_FOR)
        self.assertIsNone(got, f"an IPv4-only listener found an IPv6-only advertiser: {got}")

    def _published_family(self, flag, families, version):
        """The advertiser's --no-ipv4 / --no-ipv6 also limits the addresses it publishes: a
        listener using both families (started before and after the advertiser) lists only
        addresses of the advertiser's family, also a while after the first sighting."""
        label = f"IPv{version}"
        early = self.discover("c", "discover-c-both")
        time.sleep(0.3)
        adv = self.advertise("a", "advertise-a", f"Published {label} agent", flag)
        fp, port = adv.info["fingerprint"], adv.info["port"]
        late = self.discover("b", "discover-b-both")
        expected = self.lab.endpoints("a", port, families)
        for disc in (early, late):
            got = self.wait_added(disc, fp, ANNOUNCE_WITHIN + 2)
            self.assertIsNotNone(got, f"{disc.label}: no 'added' for the {label}-only advertiser")
            self.note(f"{disc.label}: added after {got[0] - disc.t_start:.3f} s with {got[1].get('addresses')}")
        time.sleep(ABSENT_FOR)  # any late A / AAAA record would show up as addresses-changed
        for disc in (early, late):
            seen = set()
            for _, ev in disc.find_events(lambda e: e.get("fingerprint") == fp):
                seen.update(ev.get("addresses") or [])
            self.assertTrue(expected & seen, f"{disc.label}: none of a's {label} endpoints "
                                             f"{sorted(expected)} in {sorted(seen)}")
            wrong = {a for a in seen if parse_endpoint(a)[0].version != version}
            self.assertFalse(wrong, f"{disc.label}: the {label}-only advertiser ({flag}) published "
                                    f"{sorted(wrong)} (all seen: {sorted(seen)})")

    def test_no_ipv4_advertiser_publishes_only_ipv6(self):
        self._published_family("--no-ipv4", ("6", "ll"), 6)

    def test_no_ipv6_advertiser_publishes_only_ipv4(self):
        self._published_family("--no-ipv6", ("4",), 4)

    # ---- 2. metadata version -----------------------------------------------------------------

    def test_metadata_change_reaches_listener(self):
        adv = self.advertise("a", "advertise-a", "Changing agent")
        fp = adv.info["fingerprint"]
        disc = self.discover("b", "discover-b")
        got = self.wait_added(disc, fp, DISCOVER_WITHIN + 2)
        self.assertIsNotNone(got, "no 'added'")
        self.assertEqual(got[1].get("metadata-version"), 0)
        for version in (1, 2):
            t_sig = adv.signal(signal.SIGUSR1)
            self.assertIsNotNone(
                adv.wait_event(lambda e: e.get("event") == "metadata-version"
                               and e.get("metadata-version") == version, 3),
                f"advertiser did not report metadata-version {version} after SIGUSR1")
            got = disc.wait_event(lambda e: is_event("metadata-changed", fp)(e)
                                  and e.get("metadata-version") == version, CHANGE_WITHIN + 2)
            self.assertIsNotNone(got, f"no 'metadata-changed' to {version} on b")
            self.note(f"mv {version} reached b {got[0] - t_sig:.3f} s after SIGUSR1")
            self.assertLessEqual(got[0] - t_sig, CHANGE_WITHIN)
        # The peer stays listed: no "removed" on the way.
        self.assertEqual(disc.find_events(is_event("removed", fp)), [])

    # ---- 3. goodbye --------------------------------------------------------------------------

    def test_stopped_agent_disappears_at_once(self):
        adv = self.advertise("a", "advertise-a", "Leaving agent")
        fp = adv.info["fingerprint"]
        disc = self.discover("b", "discover-b")
        self.assertIsNotNone(self.wait_added(disc, fp, DISCOVER_WITHIN + 2), "no 'added'")
        t_stop = adv.signal(signal.SIGINT)
        got = disc.wait_event(is_event("removed", fp), GOODBYE_WITHIN + 5)
        self.assertIsNotNone(got, f"no 'removed' within {GOODBYE_WITHIN + 5} s of SIGINT")
        self.note(f"removed on b {got[0] - t_stop:.3f} s after SIGINT to the advertiser")
        self.assertLessEqual(got[0] - t_stop, GOODBYE_WITHIN, "goodbye too slow (or not sent)")
        # The advertiser exits cleanly and reports its counters.
        self.assertEqual(adv.wait_exit(5), 0, "advertiser exit status after SIGINT")
        stats = adv.find_events(is_event("stats"))
        self.assertEqual(len(stats), 1, "advertiser: one stats line expected")
        self.assertGreater(stats[0][1].get("packets-sent", 0), 0)
        self.assertEqual(stats[0][1].get("malformed-packets"), 0)
        self.assertEqual(adv.events[-1][1].get("event"), "stopped")
        # The listener stops on SIGTERM too, with its stats line last.
        disc.signal(signal.SIGTERM)
        self.assertEqual(disc.wait_exit(5), 0, "discover exit status after SIGTERM")
        self.assertEqual(disc.events[-1][1].get("event"), "stats")
        self.assertEqual(disc.events[-1][1].get("malformed-packets"), 0)

    # ---- 5. groups ---------------------------------------------------------------------------

    def test_groups(self):
        alpha = self.advertise("a", "advertise-a-alpha", "Alpha agent", "--group", "alpha")
        beta = self.advertise("c", "advertise-c-beta", "Beta agent", "--group", "beta")
        self.assertEqual(alpha.info.get("group"), "alpha")
        self.assertEqual(beta.info.get("group"), "beta")
        fa, fb = alpha.info["fingerprint"], beta.info["fingerprint"]
        only_alpha = self.discover("b", "discover-b-alpha", "--group", "alpha")
        everyone = self.discover("b", "discover-b-all")
        for disc, fp, what in ((only_alpha, fa, "alpha in group alpha"), (everyone, fa, "alpha without group"),
                               (everyone, fb, "beta without group")):
            got = self.wait_added(disc, fp, DISCOVER_WITHIN + 2)
            self.assertIsNotNone(got, f"{what}: not found")
            self.note(f"{what}: found in {got[0] - disc.t_start:.3f} s")
        # The ungrouped listener (started together with it) has seen beta; give the grouped one
        # as long again before concluding that it does not show beta.
        got = self.wait_added(only_alpha, fb, ABSENT_FOR)
        self.assertIsNone(got, f"discover --group alpha shows the beta agent: {got}")
        self.assertEqual(only_alpha.find_events(lambda e: e.get("fingerprint") == fb), [])

    # ---- 6. tickets --------------------------------------------------------------------------

    def _identity_of_a(self, name):
        """a's fingerprint and port, from a short `lp2p advertise` with a's state directory."""
        adv = self.advertise("a", "advertise-a-once", name, "--timeout", "0.2", state="agent-a")
        self.assertEqual(adv.wait_exit(10), 0, "short advertise on a failed")
        return adv.info["fingerprint"], adv.info["port"]

    def _ticket_of_a(self, name):
        t = self.lp2p("a", "ticket-a", "ticket", "--state-dir", self.state_dir("agent-a"),
                      "--name", name, "--no-qr")
        self.assertEqual(t.wait_exit(10), 0, "lp2p ticket failed")
        lines = [line for _, line in t.lines if line.strip()]
        self.assertEqual(len(lines), 1, f"lp2p ticket --no-qr should print one line, got {lines}")
        return lines[0].strip()

    def test_ticket_without_multicast(self):
        name = "Ticket agent"
        fp, port = self._identity_of_a(name)
        ticket = self._ticket_of_a(name)
        self.note(f"ticket: {ticket}")
        # Nothing advertises, and b's link drops every frame: only the ticket can list a.
        self.lab.run("fault", "b", "partition")
        try:
            disc = self.discover("b", "discover-b-ticket", "--ticket", ticket, "--timeout", "1")
            got = self.wait_added(disc, fp, 5)  # returns at exit (--timeout 1) at the latest
            rc = disc.wait_exit(6)
        finally:
            self.lab.run("fault", "b", "clear")
        self.assertIsNotNone(got, "the ticket's peer was not listed")
        ev = got[1]
        self.note(f"ticket peer listed after {got[0] - disc.t_start:.3f} s: {ev}")
        self.assertEqual(ev.get("providers"), ["manual"])
        self.assertEqual(ev.get("name"), name)
        self.assertIsNone(ev.get("metadata-version"))
        addrs = set(ev.get("addresses") or [])
        missing = self.lab.endpoints("a", port) - addrs
        self.assertFalse(missing, f"ticket peer lacks a's endpoints {sorted(missing)}: {sorted(addrs)}")
        # --timeout ends discover by itself, with a stats line.
        self.assertEqual(rc, 0, "discover --timeout 1 did not exit 0 within 6 s")
        self.assertEqual(disc.events[-1][1].get("event"), "stats")
        self.assertEqual(len(disc.find_events(is_event("added"))), 1, "only the ticket's peer exists")

    def test_ticket_and_mdns_are_one_peer(self):
        """The same agent known from its ticket and from mDNS is one peer with both providers."""
        name = "Both ways agent"
        ticket = self._ticket_of_a(name)
        adv = self.advertise("a", "advertise-a", name, state="agent-a")
        fp = adv.info["fingerprint"]
        disc = self.discover("b", "discover-b-ticket", "--ticket", ticket)
        got = disc.wait_event(lambda e: e.get("fingerprint") == fp
                              and sorted(e.get("providers") or []) == ["dns-sd", "manual"], DISCOVER_WITHIN + 2)
        self.assertIsNotNone(got, "no event shows the peer with providers dns-sd and manual")
        self.assertEqual(got[1].get("metadata-version"), 0)
        self.assertEqual(len(disc.find_events(is_event("added", fp))), 1, "one peer, added once")

    # ---- 6b. a manual peer: --peer HOST:PORT --fp FP ------------------------------------------

    FAKE_FP = "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM="

    def _manual(self, label, *args, timeout="1"):
        """`lp2p discover --timeout 1 ARGS` on b (in the lab: it multicasts); waits for its exit."""
        disc = self.discover("b", label, "--timeout", timeout, *args)
        rc = disc.wait_exit(10)
        return disc, rc

    def test_manual_peer_forms(self):
        """--peer lists one peer, provider "manual", no metadata version, exactly the given
        endpoint: IPv4 a.b.c.d:port, IPv6 [ULA]:port and link-local [fe80::..%eth0]:port."""
        port = 4433
        a_ll = self.lab.addr("a", "ll")
        self.assertTrue(a_ll.endswith("%eth0"), a_ll)
        cases = [(f"{self.lab.addr('a')}:{port}", "IPv4"),
                 (f"[{self.lab.addr('a', '6')}]:{port}", "IPv6 ULA"),
                 (f"[{a_ll}]:{port}", "IPv6 link-local")]
        runs = [(self.discover("b", f"discover-b-peer-{i}", "--timeout", "1", "--peer", peer, "--fp", self.FAKE_FP),
                 peer, what) for i, (peer, what) in enumerate(cases)]
        for disc, peer, what in runs:
            rc = disc.wait_exit(10)
            self.assertEqual(rc, 0, f"{what}: discover --peer {peer} exit status")
            added = disc.find_events(is_event("added"))
            self.assertEqual(len(added), 1, f"{what}: one 'added' expected (nothing advertises): {added}")
            ev = added[0][1]
            self.note(f"{what}: --peer {peer} listed after {added[0][0] - disc.t_start:.3f} s: {ev}")
            self.assertEqual(ev.get("fingerprint"), self.FAKE_FP)
            self.assertEqual(ev.get("providers"), ["manual"])
            self.assertIsNone(ev.get("metadata-version"))
            self.assertEqual(ev.get("addresses"), [peer], f"{what}: the peer's endpoint")
            self.assertTrue(ev.get("name"), f"{what}: the manual peer has no name")
            self.assertEqual(disc.find_events(is_event("removed")), [], f"{what}: a manual peer is not removed")
            self.assertEqual(disc.events[-1][1].get("event"), "stats")
            self.assertEqual(disc.err, [], f"{what}: unexpected stderr")

    def test_manual_peer_and_mdns_are_one_peer(self):
        """--peer with a's fingerprint and address, while a advertises: one peer, found both ways."""
        adv = self.advertise("a", "advertise-a", "Manual and mDNS agent")
        fp, port = adv.info["fingerprint"], adv.info["port"]
        peer = f"{self.lab.addr('a')}:{port}"
        disc = self.discover("b", "discover-b-peer", "--peer", peer, "--fp", fp)
        got = disc.wait_event(lambda e: e.get("fingerprint") == fp
                              and sorted(e.get("providers") or []) == ["dns-sd", "manual"], DISCOVER_WITHIN + 2)
        self.assertIsNotNone(got, "no event shows the peer with providers dns-sd and manual")
        self.note(f"merged after {got[0] - disc.t_start:.3f} s: {got[1]}")
        self.assertEqual(got[1].get("metadata-version"), 0)
        self.assertEqual(got[1].get("name"), "Manual and mDNS agent", "mDNS gives the real name")
        addrs = got[1].get("addresses") or []
        self.assertIn(peer, addrs)
        self.assertEqual(len(disc.find_events(is_event("added"))), 1, "one peer, added once")
        # The endpoint known both ways is one endpoint.
        dups = sorted({a for a in addrs if addrs.count(a) > 1})
        self.assertEqual(dups, [], f"merged peer lists endpoints twice: {addrs}")

    def _usage_error(self, label, args, want_rc=2):
        disc, rc = self._manual(label, *args)
        shown = f"discover {' '.join(args)}: exit {rc}, stdout {[l for _, l in disc.lines]}, stderr {[l for _, l in disc.err]}"
        self.note(shown)
        if want_rc is None:
            self.assertNotIn(rc, (0, None), shown)
        else:
            self.assertEqual(rc, want_rc, shown)
        self.assertTrue(any(line.strip() for _, line in disc.err), f"no message on stderr: {shown}")
        self.assertEqual(disc.find_events(is_event("added")), [], f"a peer was listed: {shown}")

    def test_manual_peer_usage_errors(self):
        """Bad --peer / --fp combinations: exit 2 with a message on stderr, nothing listed. A
        well-formed pair with a bad fingerprint is refused too (its exit status is not fixed
        here: `--ticket garbage` exits 1 as well)."""
        fp = self.FAKE_FP
        a4 = self.lab.addr("a")
        for args in (["--peer", f"{a4}:4433"],                          # no --fp
                     ["--fp", fp],                                       # no --peer
                     ["--peer", "nohost.example:4433", "--fp", fp],      # not an address
                     ["--peer", a4, "--fp", fp],                         # no port
                     ["--peer", f"{a4}:", "--fp", fp],
                     ["--peer", f"{a4}:0", "--fp", fp],
                     ["--peer", f"{a4}:65536", "--fp", fp],
                     ["--peer", f"{a4}:44x3", "--fp", fp],
                     ["--peer", ":4433", "--fp", fp],
                     ["--peer", "[fe80::1%nosuch0]:4433", "--fp", fp],   # unknown interface
                     ["--peer", f"[{self.lab.addr('a', '6')}:4433", "--fp", fp]):  # no closing bracket
            with self.subTest(args=args):
                self._usage_error("discover-b-bad", args)
        with self.subTest(args="bad fingerprint"):
            self._usage_error("discover-b-bad-fp", ["--peer", f"{a4}:4433", "--fp", fp[:-1]], want_rc=None)

    def test_manual_peer_ipv6_needs_brackets_and_scope(self):
        """IPv6 is "[addr%if]:port". Without brackets HOST:PORT is ambiguous ("fd00::7:4433" is
        also the address fd00::7:4433 without a port), and a link-local address without its
        interface cannot be reached: both must be refused like any other bad host (exit 2),
        not listed as an endpoint the peer does not have."""
        fp = self.FAKE_FP
        for args in (["--peer", f"{self.lab.addr('a', '6')}:4433", "--fp", fp],
                     ["--peer", "[fe80::13:1]:4433", "--fp", fp]):
            with self.subTest(args=args):
                self._usage_error("discover-b-ipv6", args)

    # ---- robustness and output -------------------------------------------------------------

    def _send_malformed(self, host):
        """One mDNS packet from host:5353 to 224.0.0.251 whose question is cut off."""
        r = self.lab.run("exec", host, lp2p_it.PYTHON, "-c", MALFORMED_SENDER, check=False)
        self.assertEqual(r.returncode, 0, f"malformed-packet sender failed: {r.stdout}{r.stderr}")

    def test_malformed_packet_is_counted_and_survived(self):
        disc = self.discover("b", "discover-b")
        time.sleep(0.5)  # sockets open
        self._send_malformed("c")
        adv = self.advertise("a", "advertise-a", "After garbage agent")
        self.assertIsNotNone(self.wait_added(disc, adv.info["fingerprint"], DISCOVER_WITHIN + 2),
                             "discover no longer works after a malformed packet")
        disc.signal(signal.SIGTERM)
        self.assertEqual(disc.wait_exit(5), 0, "discover exit status")
        stats = disc.find_events(is_event("stats"))
        self.assertEqual(len(stats), 1)
        self.assertEqual(stats[0][1].get("malformed-packets"), 1, "the one malformed packet is counted")

    def test_json_stdout_has_only_json(self):
        """With --json, stdout is a stream of JSON objects, also with -v (whose help says it logs
        "to stderr") and when a warning is logged (a malformed packet)."""
        disc = self.discover("b", "discover-b-verbose", "-v")
        time.sleep(0.5)
        self._send_malformed("c")
        adv = self.advertise("a", "advertise-a", "Json agent")
        self.assertIsNotNone(self.wait_added(disc, adv.info["fingerprint"], DISCOVER_WITHIN + 2), "no 'added'")
        disc.signal(signal.SIGTERM)
        disc.wait_exit(5)
        not_json = [line for _, line in disc.lines if not _is_json_object(line)]
        self.assertEqual(not_json, [], "non-JSON lines on stdout of discover --json")
        self.assertTrue(disc.err, "-v logged nothing to stderr")

    # ---- 7. two agents on one host -----------------------------------------------------------

    def test_two_agents_on_one_host(self):
        one = self.advertise("a", "advertise-a-one", "Agent one")
        two = self.advertise("a", "advertise-a-two", "Agent two")
        agents = {p.info["fingerprint"]: p.info for p in (one, two)}
        self.assertEqual(len(agents), 2, "two state directories must give two identities")
        local = self.discover("a", "discover-a")
        remote = self.discover("b", "discover-b")
        for disc, host_check in ((local, False), (remote, True)):
            for fp, info in agents.items():
                got = self.wait_added(disc, fp, DISCOVER_WITHIN + 2)
                self.assertIsNotNone(got, f"{disc.label} does not see {info['name']}")
                ev = got[1]
                self.note(f"{disc.label} saw {info['name']} (port {info['port']}) after "
                          f"{got[0] - disc.t_start:.3f} s: {ev.get('addresses')}")
                self.assertEqual(ev.get("name"), info["name"])
                ports = {parse_endpoint(a)[2] for a in ev.get("addresses") or []}
                self.assertEqual(ports, {info["port"]}, f"{disc.label}: ports of {info['name']}")
                if host_check:
                    self.assertIn(f"{self.lab.addr('a')}:{info['port']}", ev.get("addresses"))
        # Both advertisers keep running (the second one did not take the first one's socket).
        for p in (one, two):
            self.assertIsNone(p.p.poll(), f"{p.label} exited")


if __name__ == "__main__":
    lp2p_it.main()
