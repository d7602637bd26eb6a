#!/usr/bin/python3
"""A lab host's link going down and coming back up under running `lp2p` processes. The mDNS
engine re-reads the interfaces every 2 s: an interface that went down is dropped (no goodbye is
possible, so listeners keep the peer until its records expire, which is not waited for here), and
when it is back it is joined again, the advertiser probes and announces anew and a listener
queries again.

`ip link set eth0 down` loses what `lab up` configured beyond the IPv4 address (the IPv6 ULA and
the 224.0.0.0/4 route); Lab.link_up() puts it back right after `ip link set eth0 up`.

Usage: /usr/bin/python3 discovery_link_test.py --lp2p PATH --lab tests/lab/lab [-v] [Class.test ...]
Exits 77 (skipped) without root.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import LabTestCase, parse_endpoint  # noqa: E402

DISCOVER_WITHIN = 3.0   # as in discovery_test.py
ANNOUNCE_WITHIN = 4.0
POLL = 2.0              # MdnsEngine::Options::interface_poll
NOTICE_WITHIN = POLL + 1.5  # link change -> the engine has dropped / re-joined the interface
# Link up -> a listener that kept running sees the advertiser's re-announcement: the next
# interface poll, probing (3 x 250 ms), then the first announcement.
REANNOUNCE_WITHIN = POLL + 2.5
WENT_AWAY = r"interface eth0 went away"
USING = r"using interface eth0\b"


def is_event(kind, fp=None):
    return lambda e: e.get("event") == kind and (fp is None or e.get("fingerprint") == fp)


class LinkDownUpTest(LabTestCase):
    LAB_TAG = "link"
    LAB_HOSTS = 3

    def tearDown(self):
        # Whatever happened, leave every host's link up and complete for the next test.
        for host in "abc"[: self.LAB_HOSTS]:
            try:
                self.lab.link_up(host)
            except Exception as e:  # noqa: BLE001 - reported, not hidden
                self.note(f"could not restore the link of {host}: {e}")
        super().tearDown()

    def wait_log(self, proc, pattern, timeout, since):
        """The first stderr line of proc matching pattern that arrived at or after `since`."""
        with proc.cond:
            start = sum(1 for t, _ in proc.err if t < since)
        return proc.wait_err(pattern, timeout, start)

    def addresses_of(self, host, port):
        return self.lab.endpoints(host, port)

    def test_advertiser_link_down_and_up(self):
        """Advertiser on a, listener on b. a's link goes down: a drops eth0 within one poll;
        the metadata version is bumped meanwhile (nothing can be sent). The link comes back:
        a re-joins, probes and announces, so the listener that kept running sees mv 1, and a
        new listener started on b after the link is back finds a within a few seconds."""
        adv = self.advertise("a", "advertise-a", "Flapping agent", "-v")
        fp, port = adv.info["fingerprint"], adv.info["port"]
        disc = self.discover("b", "discover-b")
        got = self.wait_added(disc, fp, DISCOVER_WITHIN + 2)
        self.assertIsNotNone(got, "b did not find a before the link went down")
        self.assertEqual(got[1].get("metadata-version"), 0)

        t_down = self.lab.link_down("a")
        gone = self.wait_log(adv, WENT_AWAY, NOTICE_WITHIN + 2, t_down)
        self.assertIsNotNone(gone, f"a did not log '{WENT_AWAY}' within {NOTICE_WITHIN + 2} s of link down")
        self.note(f"a dropped eth0 {gone[0] - t_down:.3f} s after link down")
        self.assertLessEqual(gone[0] - t_down, NOTICE_WITHIN, "the interface was dropped too late")

        adv.signal(signal.SIGUSR1)
        self.assertIsNotNone(adv.wait_event(lambda e: e.get("event") == "metadata-version"
                                            and e.get("metadata-version") == 1, 3),
                             "advertiser without interfaces did not report metadata-version 1 after SIGUSR1")
        time.sleep(0.5)
        self.assertIsNone(adv.p.poll(), "the advertiser exited while its link was down")
        # b cannot have heard anything from a meanwhile: no goodbye, no change.
        self.assertEqual(disc.find_events(lambda e: e.get("fingerprint") == fp and e.get("event") != "added"), [],
                         "b heard from a while a's link was down")

        n_disc = len(disc.events)
        t_up = self.lab.link_up("a")
        back = self.wait_log(adv, USING, NOTICE_WITHIN + 2, t_up)
        self.assertIsNotNone(back, f"a did not log '{USING}' within {NOTICE_WITHIN + 2} s of link up")
        self.note(f"a re-joined eth0 {back[0] - t_up:.3f} s after link up")
        self.assertLessEqual(back[0] - t_up, NOTICE_WITHIN)

        fresh = self.discover("b", "discover-b-after")
        got = self.wait_added(fresh, fp, REANNOUNCE_WITHIN + DISCOVER_WITHIN + 2)
        self.assertIsNotNone(got, "a new listener on b did not find a after its link came back")
        self.note(f"new listener found a {got[0] - t_up:.3f} s after link up "
                  f"({got[0] - fresh.t_start:.3f} s after it started): {got[1]}")
        self.assertLessEqual(got[0] - t_up, REANNOUNCE_WITHIN + DISCOVER_WITHIN)
        self.assertEqual(got[1].get("metadata-version"), 1)
        addrs = set(got[1].get("addresses") or [])
        missing = self.addresses_of("a", port) - addrs
        self.assertFalse(missing, f"after link up, a's endpoints {sorted(missing)} are not published: {sorted(addrs)}")

        changed = disc.wait_event(lambda e: is_event("metadata-changed", fp)(e) and e.get("metadata-version") == 1,
                                  max(0.0, t_up + REANNOUNCE_WITHIN + 1 - time.monotonic()), n_disc)
        self.assertIsNotNone(changed, "the listener that kept running did not see a's re-announcement (mv 1)")
        self.note(f"running listener saw mv 1 {changed[0] - t_up:.3f} s after link up")
        self.assertLessEqual(changed[0] - t_up, REANNOUNCE_WITHIN)
        self.assertEqual(disc.find_events(is_event("removed", fp)), [], "a was removed on b")
        for p in (adv, disc, fresh):
            self.assertIsNone(p.p.poll(), f"{p.label} exited")

    def test_listener_link_down_and_up(self):
        """A listener on b whose link goes down and comes back keeps working: it finds an
        advertiser started after the link is back, and lists the one that advertised all along."""
        early = self.advertise("c", "advertise-c", "Steady agent")
        disc = self.discover("b", "discover-b", "-v")
        self.assertIsNotNone(self.wait_added(disc, early.info["fingerprint"], DISCOVER_WITHIN + 2),
                             "b did not find c before its link went down")

        t_down = self.lab.link_down("b")
        gone = self.wait_log(disc, WENT_AWAY, NOTICE_WITHIN + 2, t_down)
        self.assertIsNotNone(gone, f"b did not log '{WENT_AWAY}' within {NOTICE_WITHIN + 2} s of link down")
        self.note(f"b dropped eth0 {gone[0] - t_down:.3f} s after link down")
        self.assertLessEqual(gone[0] - t_down, NOTICE_WITHIN)
        time.sleep(0.5)
        self.assertIsNone(disc.p.poll(), "discover exited while its link was down")

        t_up = self.lab.link_up("b")
        back = self.wait_log(disc, USING, NOTICE_WITHIN + 2, t_up)
        self.assertIsNotNone(back, f"b did not log '{USING}' within {NOTICE_WITHIN + 2} s of link up")
        self.note(f"b re-joined eth0 {back[0] - t_up:.3f} s after link up")

        t_adv = time.monotonic()
        late = self.advertise("a", "advertise-a", "Late agent")
        fp, port = late.info["fingerprint"], late.info["port"]
        got = self.wait_added(disc, fp, ANNOUNCE_WITHIN + 2)
        self.assertIsNotNone(got, "the listener did not find an advertiser started after its link came back")
        self.note(f"found the late advertiser {got[0] - t_adv:.3f} s after it started: {got[1]}")
        self.assertLessEqual(got[0] - t_adv, ANNOUNCE_WITHIN)
        self.assertIn(f"{self.lab.addr('a')}:{port}", got[1].get("addresses") or [])
        for a in got[1].get("addresses") or []:
            self.assertEqual(parse_endpoint(a)[2], port)

        # The advertiser that ran all along: b may have kept it (its records had not expired)
        # or dropped it with the interface; then it must have found it again by now.
        efp = early.info["fingerprint"]
        history = [(round(t - t_down, 3), e["event"]) for t, e in disc.find_events(lambda e: e.get("fingerprint") == efp)]
        self.note(f"the steady advertiser on b (seconds since b's link went down): {history}")
        last = disc.find_events(lambda e: e.get("fingerprint") == efp and e.get("event") in ("added", "removed"))[-1]
        if last[1]["event"] == "removed":
            self.assertIsNotNone(self.wait_added(disc, efp, DISCOVER_WITHIN, disc.events.index(last) + 1),
                                 "b dropped the steady advertiser with its link and did not find it again")
        self.assertIsNone(disc.p.poll(), "discover exited")


if __name__ == "__main__":
    lp2p_it.main()
