#!/usr/bin/python3
"""A killed agent (SIGKILL: no goodbye) disappears when its records expire. The host records
(SRV, A, AAAA) have TTL 120 s; the listener sends refresh queries at 80-95 % of the TTL
(RFC 6762 §5.2) and, with no answer, drops the peer at 100 %. So "removed" must come between
90 s and 130 s after the kill, and the listener must have asked for the records in between.
Slow (~2 min), hence its own file so that ctest runs it in parallel with the others.

Usage: /usr/bin/python3 discovery_expiry_test.py --lp2p PATH --lab tests/lab/lab [-v]
Exits 77 (skipped) without root.
"""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import LabTestCase, PYTHON, HERE  # noqa: E402

HOST_TTL = 120
EARLIEST, LATEST = 90.0, 130.0   # seconds after the kill
SERVICE = "_openscreen._udp.local"


class DiscoveryExpiryTest(LabTestCase):
    LAB_TAG = "exp"
    LAB_HOSTS = 3

    def test_killed_agent_expires(self):
        # c only listens: a passive record of every mDNS packet on the segment.
        sniff = self.start("c", "mdns-sniff-c", [PYTHON, os.path.join(HERE, "mdns_sniff.py")])
        self.assertIsNotNone(sniff.wait_event(lambda e: e.get("event") == "listening", 10), "sniffer did not start")
        adv = self.advertise("a", "advertise-a", "Doomed agent")
        fp = adv.info["fingerprint"]
        disc = self.discover("b", "discover-b")
        got = self.wait_added(disc, fp, 5)
        self.assertIsNotNone(got, "no 'added'")
        t_added = got[0]

        t_kill = adv.signal(signal.SIGKILL)
        self.note(f"SIGKILL {t_kill - t_added:.3f} s after 'added'")
        adv.wait_exit(5)

        got = disc.wait_event(lambda e: e.get("event") == "removed" and e.get("fingerprint") == fp,
                              LATEST + 10)
        self.assertIsNotNone(got, f"no 'removed' within {LATEST + 10} s of SIGKILL")
        t_removed = got[0]
        after = t_removed - t_kill
        self.note(f"removed {after:.3f} s after SIGKILL (listener clock {got[1].get('time')} s)")

        # What b asked for meanwhile: refresh queries name the instance or the host, not the
        # service type (that is the browse query).
        b_addrs = {self.lab.addr("b", "4"), self.lab.addr("b", "6"), self.lab.addr("b", "ll").split("%")[0]}
        refresh = []
        for t, pkt in sniff.find_events(lambda e: e.get("qr") == 0 and e.get("src") in b_addrs):
            names = sorted({q[0] for q in pkt.get("questions", []) if q[0] != SERVICE})
            entry = (round(t - t_kill, 1), names, [q[1] for q in pkt["questions"]])
            if names and t > t_kill and entry not in refresh:  # each packet comes over v4 and v6
                refresh.append(entry)
        self.note(f"b's queries for the instance/host after the kill (s after kill, names, types): {refresh}")

        self.assertGreaterEqual(after, EARLIEST, "peer removed too early (before its records expired)")
        self.assertLessEqual(after, LATEST, "peer removed too late")
        self.assertTrue([r for r in refresh if 0.75 * HOST_TTL <= r[0] <= after],
                        "no refresh query from b between 75 % of the TTL and the removal")
        # Nothing else happened to the peer before.
        self.assertEqual([e for _, e in disc.find_events(lambda e: e.get("fingerprint") == fp)
                          if e.get("event") not in ("added", "removed")], [])
        self.assertIsNone(disc.p.poll(), "discover exited")


if __name__ == "__main__":
    lp2p_it.main()
