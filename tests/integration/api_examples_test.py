#!/usr/bin/python3
"""The C++ API's examples (examples/) between two lab hosts, with real mDNS discovery, QUIC and
pairing: the spec's flows end to end as an application developer would run them.

 1. the spec's receiver and requester (LP2P §7.5, §8.2, §10.8): the requester finds the
    receiver by name, pairs (the receiver shows the code, the "person" types it into the
    requester's terminal), opens "My Channel", and both greetings arrive; a second run pairs no
    more (the devices remember each other)
 2. the chat example: lines typed on each side appear on the other, in order
 3. the QUIC transport example (LP2P §9.2): both sides open a transport on their connection, the
    requester's greeting and the receiver's answer travel on one bidirectional QUIC stream

Usage: /usr/bin/python3 api_examples_test.py --lp2p PATH --lab tests/lab/lab [-v]
(the examples are found next to the lp2p binary). Exits 77 (skipped) without root.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import LabTestCase  # noqa: E402

STEP_WITHIN = 30  # discovery + pairing + one exchange (deadline only)


def example(name):
    return os.path.join(os.path.dirname(lp2p_it.LP2P), f"lp2p-example-{name}")


class ApiExamplesTest(LabTestCase):
    LAB_TAG = "api"
    LAB_HOSTS = 2

    def receiver(self):
        rx = self.start("a", "receiver", [example("receiver"), "--name", "Kitchen", "--yes",
                                           "--state-dir", self.state_dir("kitchen"),
                                           "--timeout", "300"])
        self.assertIsNotNone(rx.wait_line(r"Receiver: discoverable", STEP_WITHIN), rx.dump())
        return rx

    def requester(self, label):
        return self.start("b", label, [example("requester"), "--name", "Laptop", "--peer", "Kitchen",
                                       "--state-dir", self.state_dir("laptop"),
                                       "--timeout", str(STEP_WITHIN)], stdin_pipe=True)

    def type_code(self, shown_by, typed_into):
        hit = shown_by.wait_line(r"Pairing code for Laptop: ([0-9-]+)", STEP_WITHIN)
        self.assertIsNotNone(hit, f"{shown_by.dump()}\n{typed_into.dump()}")
        self.assertIsNotNone(typed_into.wait_line(r"Type the code shown on Kitchen", STEP_WITHIN),
                             typed_into.dump())
        typed_into.write_line(hit[1].group(1))

    def test_spec_receiver_and_requester(self):
        rx = self.receiver()
        rq = self.requester("requester")
        self.type_code(rx, rq)
        self.assertIsNotNone(rq.wait_line(r"^Requester: Got a connection!$", STEP_WITHIN), rq.dump())
        self.assertIsNotNone(
            rq.wait_line(r"^Requester: Received message: Good day to you, requester!$", STEP_WITHIN),
            rq.dump())
        self.assertIsNotNone(
            rx.wait_line(r"^Receiver: Received message: Good day to you, receiver!$", STEP_WITHIN),
            rx.dump())
        self.assertEqual(rq.wait_exit(STEP_WITHIN), 0, rq.dump())

        # Again: the devices are paired now, so no code is shown or asked.
        shown_before = len([1 for _, line in rx.lines if "Pairing code" in line])
        again = self.requester("requester-again")
        self.assertIsNotNone(
            again.wait_line(r"^Requester: Received message: Good day to you, requester!$",
                            STEP_WITHIN), again.dump())
        self.assertEqual(again.wait_exit(STEP_WITHIN), 0, again.dump())
        self.assertNotIn("Type the code", again.out_text())
        self.assertEqual(len([1 for _, line in rx.lines if "Pairing code" in line]), shown_before)
        self.assertEqual(len([1 for _, line in rx.lines if "Got a connection" in line]), 2)

    def test_chat(self):
        host = self.start("a", "chat-host", [example("chat"), "--name", "Kitchen", "--listen",
                                             "--yes", "--state-dir", self.state_dir("kitchen")],
                          stdin_pipe=True)
        self.assertIsNotNone(host.wait_line(r"waiting for someone", STEP_WITHIN), host.dump())
        guest = self.start("b", "chat-guest", [example("chat"), "--name", "Laptop", "--peer",
                                               "Kitchen", "--state-dir", self.state_dir("laptop")],
                           stdin_pipe=True)
        self.type_code(host, guest)
        self.assertIsNotNone(guest.wait_line(r"connected to Kitchen", STEP_WITHIN), guest.dump())
        for i in range(5):
            guest.write_line(f"hello {i} from the laptop")
        for i in range(5):
            self.assertIsNotNone(host.wait_line(rf"^> hello {i} from the laptop$", STEP_WITHIN),
                                 host.dump())
        host.write_line("and hello from the kitchen")
        self.assertIsNotNone(guest.wait_line(r"^> and hello from the kitchen$", STEP_WITHIN),
                             guest.dump())
        order = [line for _, line in host.lines if line.startswith("> hello")]
        self.assertEqual(order, [f"> hello {i} from the laptop" for i in range(5)])

    def test_quic_transport(self):
        rx = self.start("a", "transport-receiver",
                        [example("quic-transport"), "--listen", "--name", "Kitchen", "--yes", "-v",
                         "--state-dir", self.state_dir("kitchen"), "--timeout", "120"])
        self.assertIsNotNone(rx.wait_line(r"Receiver: discoverable", STEP_WITHIN), rx.dump())
        rq = self.start("b", "transport-requester",
                        [example("quic-transport"), "--name", "Laptop", "--peer", "Kitchen", "-v",
                         "--state-dir", self.state_dir("laptop"), "--timeout", str(STEP_WITHIN)],
                        stdin_pipe=True)
        self.type_code(rx, rq)
        self.assertIsNotNone(rq.wait_line(r"^Requester: transport ready$", STEP_WITHIN), rq.dump())
        self.assertIsNotNone(
            rx.wait_line(r"^Receiver: Received on a QUIC stream: Good day to you over QUIC, "
                         r"receiver!$", STEP_WITHIN), rx.dump())
        self.assertIsNotNone(
            rq.wait_line(r"^Requester: Received on a QUIC stream: Good day to you over QUIC, "
                         r"requester!$", STEP_WITHIN), rq.dump())
        self.assertEqual(rq.wait_exit(STEP_WITHIN), 0, rq.dump())
        self.assertEqual(rx.wait_exit(STEP_WITHIN), 0, rx.dump())


if __name__ == "__main__":
    lp2p_it.main()
