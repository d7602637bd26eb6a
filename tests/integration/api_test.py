#!/usr/bin/python3
"""The C++ API between two lab hosts (real mDNS, QUIC, pairing), with lp2p_api_peer on each:
a receiver that echoes every data channel, and a requester that runs checks against it.

 1. sizes from 0 bytes to the 256 KiB maximum with their kinds (blob, array buffer, text) kept
    and one byte more refused; 5000 messages in order; 1000 channels open at once on one
    connection, each echoing its own message; close events once and in order on both sides;
    a second origin on the same peer (no second pairing), then the first origin's grant revoked:
    its connection closes, the second still works
 2. inactivity: with a 1.5 s timeout an idle connection closes ("inactive"; the receiver sees
    the peer close it)
 3. a request whose picker never gets a choice: no connection, and the receiver sees nothing of
    it (no pairing, no grant question, no connection)

Usage: /usr/bin/python3 api_test.py --lp2p PATH --lab tests/lab/lab [-v]
(lp2p_api_peer is found next to the lp2p binary's directory's ../tests/integration). Exits 77
without root.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import LabTestCase  # noqa: E402

STEP_WITHIN = 30


def api_peer():
    build = os.path.dirname(os.path.dirname(lp2p_it.LP2P))
    return os.path.join(build, "tests", "integration", "lp2p_api_peer")


def is_event(kind, **fields):
    return lambda e: e.get("event") == kind and all(e.get(k) == v for k, v in fields.items())


class ApiTest(LabTestCase):
    LAB_TAG = "apit"
    LAB_HOSTS = 2

    def receiver(self):
        rx = self.start("a", "receiver", [api_peer(), "--role", "receiver", "--name", "Kitchen",
                                           "--state-dir", self.state_dir("kitchen"),
                                           "--timeout", "300"])
        self.assertIsNotNone(rx.wait_event(is_event("receiving"), STEP_WITHIN), rx.dump())
        return rx

    def requester(self, *args):
        return self.start("b", "requester", [api_peer(), "--role", "requester", "--name", "Laptop",
                                             "--peer", "Kitchen",
                                             "--state-dir", self.state_dir("laptop"), *args],
                          stdin_pipe=True)

    def pair(self, rx, rq):
        code = rx.wait_event(is_event("pairing-code"), STEP_WITHIN)
        self.assertIsNotNone(code, f"{rx.dump()}\n{rq.dump()}")
        self.assertIsNotNone(rq.wait_event(is_event("code-needed"), STEP_WITHIN), rq.dump())
        rq.write_line(code[1]["code"])

    def checks(self, rq):
        return {e["check"]: e for _, e in rq.find_events(is_event("check"))}

    def test_messages_channels_close_and_revocation(self):
        rx = self.receiver()
        rq = self.requester("--checks", "sizes,order,close,channels,revoke")
        self.pair(rx, rq)
        rc = rq.wait_exit(240)
        results = self.checks(rq)
        for name in ("sizes", "order", "close", "channels", "revoke"):
            self.assertIn(name, results, rq.dump())
            self.assertTrue(results[name]["ok"], f"{name}: {results[name]}\n{rq.dump()}")
            self.note(f"{name}: {results[name]['detail']} ({results[name]['ms']} ms)")
        self.assertEqual(rc, 0, rq.dump())
        # The receiver's side of the closed channel: closing, then close, once each.
        seen = rx.wait_event(is_event("channel-events", label="close-order"), STEP_WITHIN)
        self.assertIsNotNone(seen, rx.dump())
        self.assertEqual(seen[1]["events"], ["closing", "close"])
        # One pairing served both origins.
        self.assertEqual(len(rx.find_events(is_event("pairing-code"))), 1)

    def test_inactivity_closes_an_idle_connection(self):
        rx = self.receiver()
        rq = self.requester("--checks", "inactivity", "--inactivity-ms", "1500")
        self.pair(rx, rq)
        self.assertEqual(rq.wait_exit(60), 0, rq.dump())
        result = self.checks(rq)["inactivity"]
        self.assertTrue(result["ok"], result)
        self.assertIsNotNone(rx.wait_event(is_event("connection-closed", why="closed_by_peer"),
                                           STEP_WITHIN), rx.dump())
        self.note(f"closed after {result['ms']} ms: {result['detail']}")

    def test_unpicked_request_connects_nothing(self):
        rx = self.receiver()
        rq = self.requester("--no-pick", "--timeout", "4")
        self.assertIsNotNone(rq.wait_event(is_event("candidate", name="Kitchen"), STEP_WITHIN),
                             rq.dump())
        self.assertEqual(rq.wait_exit(STEP_WITHIN), 3, rq.dump())
        self.assertEqual(rq.find_events(is_event("connection")), [])
        for kind in ("pairing-code", "grant-asked", "connection"):
            self.assertEqual(rx.find_events(is_event(kind)), [], rx.dump())


if __name__ == "__main__":
    lp2p_it.main()
