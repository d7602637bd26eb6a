#!/usr/bin/python3
"""Pairing (OSP authentication with SPAKE2) between real processes on two lab hosts: an
`lp2p advertise` agent that shows the code and `lp2p pair` clients that type it (fed through
their standard input, as a script would, from the agent's "pairing-code" event).

 1. the right code pairs both sides; both remember it; a reconnect skips pairing; a device
    using the paired device's name with another key is shown as an impostor; after
    `lp2p peers forget` pairing is needed again (and works again)
 2. a wrong code fails on both sides with proof-invalid and the connection is closed
 3. a pairing without the agent's `at` token (dialled by address) or with a wrong one (a ticket
    made with another token) is refused
 4. ten wrong codes in a row: the agent backs off (refusals that say when to retry, failures
    logged with the client's fingerprint), and the eleventh attempt, with the right code after
    the back-off, pairs

Usage: /usr/bin/python3 pairing_test.py --lp2p PATH --lab tests/lab/lab [-v] [Class.test ...]
Exits 77 (skipped) without root.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import LabTestCase  # noqa: E402

# Deadlines only: how long a step may take before the test gives up on it.
STEP_WITHIN = 20        # find + connect + exchange of one pairing attempt
BACKOFF_MS = 100        # --pairing-backoff of the agent under test: 0.1, 0.2, ... 12.8 s
WRONG_ATTEMPTS = 10
AGENT = "Paired Receiver"


def is_event(kind, fp=None):
    return lambda e: e.get("event") == kind and (fp is None or e.get("fingerprint") == fp)


def other_code(code):
    """A code that differs from `code` ("0614-8854-8833") in its last digit."""
    last = code[-1]
    return code[:-1] + ("1" if last != "1" else "2")


class PairingTest(LabTestCase):
    LAB_TAG = "pair"
    LAB_HOSTS = 2

    # ---- helpers -------------------------------------------------------------------------------

    def agent(self, *extra):
        adv = self.advertise("a", "advertise-a", AGENT, *extra)
        adv.fp = adv.info["fingerprint"]
        adv.port = adv.info["port"]
        return adv

    def pair(self, label, peer, *extra, state="pair-b"):
        """`lp2p pair PEER --json` on host b with a standard input to type codes into."""
        return self.start("b", label, [lp2p_it.LP2P, "pair", peer, "--json", "--state-dir",
                                       self.state_dir(state), "--name", "Paired Sender", *extra],
                          stdin_pipe=True)

    def finish(self, proc, within=STEP_WITHIN):
        rc = proc.wait_exit(within)
        if rc is None:
            self.fail(f"{proc.label}: still running after {within} s: {proc.out_text()}")
        return rc

    def type_code(self, adv, client, start, wrong=False):
        """Waits for the agent's next pairing-code (after event index `start`) and types it (or
        a wrong one) into the client. Returns the code shown, or None when the client ended
        without the agent showing one (e.g. refused by back-off)."""
        deadline = time.monotonic() + STEP_WITHIN
        while time.monotonic() < deadline:
            got = adv.wait_event(is_event("pairing-code"), 0.2, start)
            if got is not None:
                code = got[1]["code"]
                client.write_line(other_code(code) if wrong else code)
                return code
            if client.p.poll() is not None:
                return None
        self.fail(f"no pairing-code from the agent within {STEP_WITHIN} s "
                  f"(client: {client.out_text()} / {client.err_text()})")
        return None

    def pair_with_code(self, adv, label, peer, wrong=False, *extra, state="pair-b"):
        start = len(adv.events)
        client = self.pair(label, peer, *extra, state=state)
        code = self.type_code(adv, client, start, wrong)
        rc = self.finish(client)
        return client, rc, code, start

    def peers_json(self, state):
        out = subprocess.run(self.lab.exec_argv("b", [lp2p_it.LP2P, "peers", "--json",
                                                       "--state-dir", self.state_dir(state)]),
                             env=self.lab.env, capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, f"lp2p peers: {out.stderr}")
        return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]

    def lp2p_on(self, host, *args):
        return subprocess.run(self.lab.exec_argv(host, [lp2p_it.LP2P, *args]), env=self.lab.env,
                              capture_output=True, text=True, timeout=30)

    # ---- 1. right code, trust, reconnect, forget ------------------------------------------------

    def test_right_code_pairs_and_is_remembered_until_forgotten(self):
        adv = self.agent()
        client, rc, code, start = self.pair_with_code(adv, "pair-1", AGENT)
        self.assertIsNotNone(code, "the agent showed a code")
        self.assertRegex(code, r"^\d{3}-\d{3}-\d{3}$", "20 bits: three groups of three digits")
        self.assertEqual(rc, 0, f"pair: {client.out_text()} / {client.err_text()}")
        paired = client.find_events(is_event("paired", adv.fp))
        self.assertEqual(len(paired), 1, client.out_text())
        self.assertEqual(paired[0][1]["display-name"], AGENT, "the verified name")
        self.note(f"pairing took {paired[0][1]['pairing-ms']:.1f} ms, "
                  f"{paired[0][1]['typing-ms']:.1f} ms of it waiting for the code")
        got = adv.wait_event(is_event("paired"), 5, start)
        self.assertIsNotNone(got, f"the agent reports the pairing: {adv.out_text()}")
        client_fp = got[1]["fingerprint"]

        # Both remember each other.
        mine = {p["fingerprint"]: p for p in self.peers_json("pair-b")}
        self.assertIn(adv.fp, mine)
        self.assertTrue(mine[adv.fp].get("paired"), mine[adv.fp])
        theirs = self.lp2p_on("a", "peers", "--json", "--state-dir", self.state_dir("advertise-a"))
        self.assertEqual(theirs.returncode, 0, theirs.stderr)
        self.assertIn(client_fp, theirs.stdout, "the agent's store holds the client")

        # A reconnect skips pairing: info says verified, pair says already paired; no new code.
        start = len(adv.events)
        info = self.lp2p("b", "info-after", "info", AGENT, "--json", "--state-dir",
                         self.state_dir("pair-b"))
        self.assertEqual(self.finish(info), 0, info.err_text())
        self.assertIs(info.find_events(is_event("info"))[0][1]["verified"], True)
        # ... and the agent, too, knows the client without a code.
        seen = adv.wait_event(lambda e: e.get("event") == "peer-info"
                              and e.get("fingerprint") == client_fp, 5, start)
        self.assertIsNotNone(seen, adv.out_text())
        self.assertIs(seen[1]["verified"], True, seen[1])
        again = self.pair("pair-again", AGENT)
        self.assertEqual(self.finish(again), 0, again.err_text())
        self.assertTrue(again.find_events(is_event("already-paired")), again.out_text())
        time.sleep(0.5)
        self.assertFalse([e for _, e in adv.events[start:] if e.get("event") == "pairing-code"],
                         "no code shown for a paired device")

        # A device that takes the paired device's name with another key while the paired one
        # is away (mDNS would rename it otherwise) is not it (§1).
        adv.stop()
        fake = self.advertise("a", "advertise-fake", AGENT)
        disc = self.discover("b", "discover-b", "--timeout", "8", state="pair-b")
        seen = self.wait_added(disc, fake.info["fingerprint"], 8)
        self.assertIsNotNone(seen, disc.out_text())
        self.assertEqual(seen[1].get("name"), AGENT)
        self.assertEqual(seen[1].get("trust"), "impostor", seen[1])
        self.assertEqual(seen[1].get("paired-fingerprint"), adv.fp)
        disc.stop()
        fake.stop()
        adv = self.agent()  # the paired one is back: same state, same key
        disc = self.discover("b", "discover-b-2", "--timeout", "8", state="pair-b")
        seen = self.wait_added(disc, adv.fp, 8)
        self.assertIsNotNone(seen, disc.out_text())
        self.assertEqual(seen[1].get("trust"), "paired", seen[1])
        disc.stop()

        # Forget it: pairing is needed again (the agent, which still trusts us, answers).
        forgot = self.lp2p_on("b", "peers", "forget", adv.fp[:10], "--state-dir",
                              self.state_dir("pair-b"))
        self.assertEqual(forgot.returncode, 0, forgot.stderr)
        info = self.lp2p("b", "info-forgotten", "info", AGENT, "--json", "--state-dir",
                         self.state_dir("pair-b"))
        self.assertEqual(self.finish(info), 0, info.err_text())
        self.assertIs(info.find_events(is_event("info"))[0][1]["verified"], False)
        client, rc, code, _ = self.pair_with_code(adv, "pair-2", AGENT)
        self.assertIsNotNone(code, "a new code after forget")
        self.assertEqual(rc, 0, client.err_text())

    # ---- 2. wrong code ---------------------------------------------------------------------------

    def test_wrong_code_fails_on_both_sides(self):
        adv = self.agent()
        client, rc, code, start = self.pair_with_code(adv, "pair-wrong", AGENT, True)
        self.assertIsNotNone(code)
        self.assertEqual(rc, 1, client.out_text())
        failed = client.find_events(is_event("pairing-failed"))
        self.assertTrue(failed, client.out_text())
        self.assertEqual(failed[0][1]["result"], "proof-invalid")
        got = adv.wait_event(is_event("pairing-failed"), 5, start)
        self.assertIsNotNone(got, adv.out_text())
        self.assertEqual(got[1]["result"], "proof-invalid")
        closed = adv.wait_event(is_event("disconnected", got[1]["fingerprint"]), 5, start)
        self.assertIsNotNone(closed, "the connection is closed")
        self.assertEqual(closed[1]["code"], 401, closed[1])
        self.assertFalse(self.peers_json("pair-b"), "nothing trusted after a failure")

    # ---- 3. the `at` token -----------------------------------------------------------------------

    def test_missing_or_wrong_token_is_refused(self):
        adv = self.agent()
        address = f"{self.lab.addr('a', '4')}:{adv.port}"
        start = len(adv.events)
        client = self.pair("pair-no-token", address, "--fp", adv.fp)
        self.assertEqual(self.finish(client), 1, client.out_text())
        got = adv.wait_event(is_event("pairing-failed"), 5, start)
        self.assertIsNotNone(got, adv.out_text())
        self.assertIn("no auth-initiation-token", got[1]["reason"])
        self.assertFalse(adv.find_events(is_event("pairing-code")), "no code for a refused request")

        # A ticket made from a copy of the agent's state with another token.
        forged = self.state_dir("forged")
        shutil.rmtree(forged)
        shutil.copytree(self.state_dir("advertise-a"), forged)
        with open(os.path.join(forged, "agent-auth-token"), "w") as f:
            f.write("WRONGtok9\n")
        ticket = self.lp2p_on("a", "ticket", "--no-qr", "--state-dir", forged, "--name", AGENT,
                              "--port", str(adv.port))
        self.assertEqual(ticket.returncode, 0, ticket.stderr)
        start = len(adv.events)
        client = self.pair("pair-wrong-token", ticket.stdout.split()[0])
        self.assertEqual(self.finish(client), 1, client.out_text())
        got = adv.wait_event(is_event("pairing-failed"), 5, start)
        self.assertIsNotNone(got, adv.out_text())
        self.assertIn("wrong auth-initiation-token", got[1]["reason"])

        # The real ticket pairs.
        ticket = self.lp2p_on("a", "ticket", "--no-qr", "--state-dir",
                              self.state_dir("advertise-a"), "--name", AGENT, "--port",
                              str(adv.port))
        client, rc, code, _ = self.pair_with_code(adv, "pair-ticket", ticket.stdout.split()[0])
        self.assertEqual(rc, 0, client.err_text())

    # ---- 4. back-off -----------------------------------------------------------------------------

    def test_wrong_codes_back_off_then_the_right_code_pairs(self):
        adv = self.agent("--pairing-backoff", str(BACKOFF_MS), "-v")
        wrong, refusals, attempt = 0, [], 0
        deadline = time.monotonic() + 120
        while wrong < WRONG_ATTEMPTS and time.monotonic() < deadline:
            attempt += 1
            client, rc, code, _ = self.pair_with_code(adv, f"pair-w{attempt}", AGENT, True)
            self.assertEqual(rc, 1, client.out_text())
            if code is not None:
                wrong += 1
                continue
            reason = " ".join(e.get("reason", "") for _, e in client.events)
            m = re.search(r"retry in (\d+) seconds?", reason)
            self.assertIsNotNone(m, f"a refusal says when to retry: {client.out_text()}")
            refusals.append(int(m.group(1)))
            time.sleep(int(m.group(1)))
        self.assertEqual(wrong, WRONG_ATTEMPTS, "all wrong attempts ran")
        self.assertTrue(refusals, "the agent refused attempts during its back-off")
        self.note(f"{attempt} attempts, refusals said retry in {refusals} s")
        logged = [line for _, line in adv.err if "auth: pairing with" in line
                  and ("failed pairing attempts" in line or "failures in a row" in line)]
        self.assertTrue(logged, "failures are logged")
        client_fp = adv.find_events(is_event("pairing-failed"))[0][1]["fingerprint"]
        self.assertTrue(all(client_fp in line for line in logged), logged[:3])
        self.assertTrue(any("failures in a row: 10" in line for line in logged), logged[-3:])

        # The eleventh: the right code once the back-off has passed.
        while time.monotonic() < deadline:
            client, rc, code, _ = self.pair_with_code(adv, "pair-right", AGENT)
            if code is not None:
                break
            m = re.search(r"retry in (\d+) seconds?", client.out_text())
            self.assertIsNotNone(m, client.out_text())
            time.sleep(int(m.group(1)))
        self.assertEqual(rc, 0, f"{client.out_text()} / {client.err_text()}")
        self.assertTrue(client.find_events(is_event("paired", adv.fp)))


if __name__ == "__main__":
    lp2p_it.main()
