#!/usr/bin/python3
"""Files and texts between real processes on two lab hosts: `lp2p receive` on host a, `lp2p send`
on host b (pairing on the way: the receiver shows the code, the test types it into the sender).

 1. a folder (an empty file, 1 byte, 10 MB, nested Unicode names, an empty folder, a symbolic
    link pointing outside) arrives whole: every file's SHA-256 matches, the link is skipped on
    the sender and absent on the receiver, no part file is left; sent again, nothing moves
    (every file is "already there"); a text is printed by the receiver; a different file with
    a taken name is kept beside the old one, which stays untouched

 2. `kill -9` of the receiver at a random point of a big file (LP2P_TRANSFER_BIG bytes, default
    256 MiB; 1 GiB with LP2P_TRANSFER_BIG=1073741824), then a new receiver and the same send:
    the result's SHA-256 matches and less than 10 % of the file is sent again
 3. the same with `kill -9` of the sender (the receiver keeps running)
 4. 5 % random loss each way between the hosts: a 32 MB folder arrives and verifies
 5. a 64 MiB tmpfs as destination holding a file of ours: an offer bigger than the space left is
    refused with "no space" before anything is written; our file is untouched, no part file

 6. a group send to three devices at once: one answer and one result each, all verified
 7. share and pull: the shared device lists and pulls (a second pull of the same moves nothing);
    a path through a symbolic link is refused; a third device, not the one shared with, gets
    nothing
 8. chat: lines typed on one side are printed on the other, both ways

Usage: /usr/bin/python3 transfer_test.py --lp2p PATH --lab tests/lab/lab [-v]
Exits 77 (skipped) without root.
"""

import hashlib
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import LabTestCase  # noqa: E402

STEP_WITHIN = 30
BIG = int(os.environ.get("LP2P_TRANSFER_BIG", str(256 << 20)))
LOST_WITHIN = 60  # QUIC's idle timeout (25 s) ends a connection to a killed peer


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_file(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 8 << 20)
            f.write(os.urandom(n))
            left -= n


def is_event(kind):
    return lambda e: e.get("event") == kind


def tree(root):
    """{relative path: sha256} of every regular file, and the set of folders, below root."""
    files, dirs = {}, set()
    for d, subdirs, names in os.walk(root):
        for s in subdirs:
            p = os.path.join(d, s)
            if os.path.islink(p):
                files[os.path.relpath(p, root)] = "symlink"
            else:
                dirs.add(os.path.relpath(p, root))
        for n in names:
            p = os.path.join(d, n)
            if os.path.islink(p):
                files[os.path.relpath(p, root)] = "symlink"
                continue
            with open(p, "rb") as f:
                files[os.path.relpath(p, root)] = hashlib.sha256(f.read()).hexdigest()
    return files, dirs


class TransferTest(LabTestCase):
    LAB_TAG = "xfer"
    LAB_HOSTS = 2

    def receiver(self, dest, label="receive"):
        r = self.lp2p("a", label, "receive", "--state-dir", self.state_dir("recv"), "--name",
                      "Laptop", "--dir", dest, "--json", "--auto-accept", "trusted")
        listening = r.wait_event(is_event("listening"), 10)
        if listening is None:
            self.fail(f"receive did not start: {r.err_text()}")
        # Ready means findable: the mDNS name is claimed and announced on the lab's link.
        self.assertIs(listening[1].get("discoverable"), True, r.out_text())
        return r

    def send(self, label, *args):
        return self.start("b", label, [lp2p_it.LP2P, "send", "Laptop", *args, "--state-dir",
                                       self.state_dir("send"), "--name", "Kitchen", "--json"],
                          stdin_pipe=True)

    def finish(self, proc, within=STEP_WITHIN):
        rc = proc.wait_exit(within)
        if rc is None:
            self.fail(f"{proc.label}: still running after {within} s: {proc.out_text()}")
        return rc

    def paired_send(self, recv, label, *args):
        """A send whose pairing code (if the receiver shows one) is typed in."""
        start = len(recv.events)
        send = self.send(label, *args)
        deadline = time.monotonic() + STEP_WITHIN
        while time.monotonic() < deadline and send.p.poll() is None:
            code = recv.wait_event(is_event("pairing-code"), 0.2, start)
            if code is not None:
                send.write_line(code[1]["code"])
                break
            if send.find_events(is_event("offer")):
                break
        return send

    def received_at_least(self, recv, start, fraction):
        """Waits until the receiver reports `fraction` of BIG received; returns the bytes."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            got = [e for _, e in recv.events[start:] if e.get("event") == "progress"]
            if got and got[-1]["bytes"] >= fraction * BIG:
                return got[-1]["bytes"]
            time.sleep(0.02)
        self.fail(f"the receiver did not get {fraction:.0%} of the file: {recv.out_text()[-2000:]}")
        return 0

    def resume_after_kill(self, kill_receiver):
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        big = os.path.join(src, "big.bin")
        make_file(big, BIG)
        dest = os.path.join(self.tmp, "dest")
        recv = self.receiver(dest, "receive-1")
        start = len(recv.events)
        send = self.paired_send(recv, "send-1", big)
        # Early enough that progress events (every 250 ms) cannot lag past the end of the file.
        fraction = random.uniform(0.15, 0.5)
        before_kill = self.received_at_least(recv, start, fraction)
        victim = recv if kill_receiver else send
        victim.signal(signal.SIGKILL)
        self.note(f"killed the {'receiver' if kill_receiver else 'sender'} after "
                  f"{before_kill / BIG:.0%} of {BIG} bytes (aimed at {fraction:.0%})")
        victim.wait_exit(10)
        if kill_receiver:
            rc = self.finish(send, LOST_WITHIN)
            self.assertNotEqual(rc, 0, "the sender reports the lost receiver")
            recv = self.receiver(dest, "receive-2")
        else:
            time.sleep(1)  # the receiver writes what it still holds
        parts = [n for n in os.listdir(dest) if n.endswith(".lp2p-part")]
        self.assertEqual(len(parts), 1, f"the partial file is kept: {os.listdir(dest)}")
        self.assertFalse(os.path.exists(os.path.join(dest, "big.bin")), "no partial under its name")
        # What the receiver had got: every byte of it sent again counts against the resume.
        had = os.stat(os.path.join(dest, parts[0])).st_size

        again = self.paired_send(recv, "send-2", big)
        self.assertEqual(self.finish(again, 120), 0, f"{again.out_text()} / {again.err_text()}")
        done = again.find_events(is_event("done"))[-1][1]
        resent = done["bytes_sent"] - (BIG - had)
        self.note(f"the receiver had {had} bytes; second attempt: {done['bytes_sent']} bytes "
                  f"sent, {done['bytes_resumed']} resumed: {resent} bytes ({resent / BIG:.1%}) "
                  f"sent again")
        self.assertGreater(done["bytes_resumed"], 0, "the second attempt resumed")
        self.assertLess(resent, 0.10 * BIG, "less than 10 % of the file is sent again")
        self.assertEqual(sha256_file(os.path.join(dest, "big.bin")), sha256_file(big))
        self.assertEqual([n for n in os.listdir(dest) if n.endswith(".lp2p-part")], [],
                         "the part file became the file")

    def test_receiver_killed_resumes(self):
        self.resume_after_kill(kill_receiver=True)

    def test_sender_killed_resumes(self):
        self.resume_after_kill(kill_receiver=False)

    def test_five_percent_loss(self):
        src = os.path.join(self.tmp, "src", "lossy")
        os.makedirs(os.path.join(src, "sub"))
        make_file(os.path.join(src, "a.bin"), 24_000_000)
        for i in range(40):
            make_file(os.path.join(src, "sub", f"f{i}"), 200_000)
        dest = os.path.join(self.tmp, "dest")
        recv = self.receiver(dest)
        # Pair first, on a clean link: the loss is for the transfer.
        hello = self.paired_send(recv, "pair-first", "--text", "hello")
        self.assertEqual(self.finish(hello), 0, hello.out_text())
        self.lab.fault("b", "loss", "5")
        try:
            send = self.paired_send(recv, "send-lossy", src)
            self.assertEqual(self.finish(send, 180), 0, f"{send.out_text()} / {send.err_text()}")
        finally:
            self.lab.fault("b", "clear")
        self.assertEqual(tree(os.path.join(dest, "lossy")), tree(src))

    def test_tiny_filesystem_refuses_without_writing(self):
        dest = os.path.join(self.tmp, "tiny")
        os.makedirs(dest)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "lp2p-test", dest], check=True)
        try:
            mine = os.path.join(dest, "mine.bin")
            make_file(mine, 40 << 20)
            before = sha256_file(mine)
            src = os.path.join(self.tmp, "src")
            os.makedirs(src)
            make_file(os.path.join(src, "too-big.bin"), 48 << 20)
            recv = self.receiver(dest)
            send = self.paired_send(recv, "send-big", os.path.join(src, "too-big.bin"))
            rc = self.finish(send)
            self.assertEqual(rc, 1, send.out_text())
            errors = send.find_events(is_event("error"))
            self.assertTrue(errors and "free" in errors[-1][1]["message"], send.out_text())
            self.assertEqual(sorted(os.listdir(dest)), ["mine.bin"], "nothing written")
            self.assertEqual(sha256_file(mine), before, "our file is untouched")
        finally:
            for p in self.procs:
                p.stop()
            subprocess.run(["umount", "-l", dest], check=False)

    def test_folder_text_resend_and_name_clash(self):
        src = os.path.join(self.tmp, "src", "holiday")
        os.makedirs(os.path.join(src, "фото", "日本語 ✓"))
        os.makedirs(os.path.join(src, "empty folder"))
        open(os.path.join(src, "empty"), "wb").close()
        with open(os.path.join(src, "one"), "wb") as f:
            f.write(b"x")
        with open(os.path.join(src, "фото", "日本語 ✓", "big.bin"), "wb") as f:
            f.write(os.urandom(10_000_000))
        outside = os.path.join(self.tmp, "secret")
        os.makedirs(outside)
        with open(os.path.join(outside, "passwords"), "w") as f:
            f.write("do not send")
        os.symlink(outside, os.path.join(src, "link"))
        dest = os.path.join(self.tmp, "dest")
        recv = self.receiver(dest)

        send = self.paired_send(recv, "send-1", src)
        self.assertTrue(recv.find_events(is_event("pairing-code")), "paired on the way")
        self.assertEqual(self.finish(send), 0, f"{send.out_text()} / {send.err_text()}")
        skipped = send.find_events(is_event("skipped"))
        self.assertTrue(any("link" in e["message"] for _, e in skipped), send.out_text())
        done = send.find_events(is_event("done"))[-1][1]
        self.assertEqual(done["files"], 3)
        self.assertEqual(done["bytes_sent"], 10_000_001)

        want_files, want_dirs = tree(src)
        del want_files["link"]
        got_files, got_dirs = tree(os.path.join(dest, "holiday"))
        self.assertEqual(got_files, want_files, "every file arrived with its content")
        self.assertEqual(got_dirs, want_dirs, "the folders, the empty one included")
        self.assertFalse(any(n.endswith(".lp2p-part") for n in got_files), "no part file left")

        # Sent again: everything is already there.
        again = self.send("send-2", src)
        self.assertEqual(self.finish(again), 0, again.out_text())
        done = again.find_events(is_event("done"))[-1][1]
        self.assertEqual((done["bytes_sent"], done["have"]), (0, 3), again.out_text())
        # Touched, the big file is not in the sender's cache: offered digest-follows, the
        # receiver probes its copy and the sender answers with the digest alone.
        os.utime(os.path.join(src, "фото", "日本語 ✓", "big.bin"))
        start = len(recv.events)
        again = self.send("send-3", src)
        self.assertEqual(self.finish(again), 0, again.out_text())
        done = again.find_events(is_event("done"))[-1][1]
        self.assertEqual((done["bytes_sent"], done["have"]), (0, 3), again.out_text())
        got = recv.wait_event(is_event("done"), 5, start)
        self.assertIsNotNone(got, recv.out_text())
        self.assertEqual((got[1]["bytes"], got[1]["have"]), (0, 3), recv.out_text())

        # A text.
        start = len(recv.events)
        text = self.send("text", "--text", "see you at 8 ✓")
        self.assertEqual(self.finish(text), 0, text.out_text())
        got = recv.wait_event(is_event("text"), 5, start)
        self.assertIsNotNone(got, recv.out_text())
        self.assertEqual(got[1]["text"], "see you at 8 ✓")

        # A different file under a taken name: both kept, the old one untouched.
        clash = os.path.join(self.tmp, "clash", "one")
        os.makedirs(os.path.dirname(clash))
        with open(clash, "wb") as f:
            f.write(b"another")
        with open(os.path.join(dest, "one"), "wb") as f:
            f.write(b"mine")
        again = self.send("clash", clash)
        self.assertEqual(self.finish(again), 0, again.out_text())
        with open(os.path.join(dest, "one"), "rb") as f:
            self.assertEqual(f.read(), b"mine")
        with open(os.path.join(dest, "one (1)"), "rb") as f:
            self.assertEqual(f.read(), b"another")

        # SIGTERM (as from a service manager): a clean stop, said as an event.
        recv.p.send_signal(signal.SIGTERM)
        self.assertEqual(self.finish(recv), 0, recv.err_text())
        self.assertTrue(recv.find_events(is_event("stopped")), recv.out_text())


class GroupShareChatTest(LabTestCase):
    """Host a sends or shares; b, c, d receive or pull."""
    LAB_TAG = "xfer4"
    LAB_HOSTS = 4

    def receiver(self, host, dest):
        r = self.lp2p(host, f"receive-{host}", "receive", "--state-dir",
                      self.state_dir(f"recv-{host}"), "--name", f"Laptop-{host}", "--dir", dest,
                      "--json", "--auto-accept", "trusted")
        if r.wait_event(is_event("listening"), 10) is None:
            self.fail(f"receive on {host} did not start: {r.err_text()}")
        return r

    def cli(self, host, label, state, *args, stdin=False):
        return self.start(host, label, [lp2p_it.LP2P, *args, "--state-dir", self.state_dir(state),
                                        "--json"], stdin_pipe=stdin)

    def finish(self, proc, within=STEP_WITHIN):
        rc = proc.wait_exit(within)
        if rc is None:
            self.fail(f"{proc.label}: still running after {within} s: {proc.out_text()}")
        return rc

    def pair_by_text(self, recv, host, sender_state, sender_host="a", name="Kitchen"):
        """Pairs `sender_state` with the receiver on `host` by sending it a text."""
        start = len(recv.events)
        send = self.cli(sender_host, f"pair-{host}-{sender_state}", sender_state, "send",
                        f"Laptop-{host}", "--text", "hello", "--name", name, stdin=True)
        code = recv.wait_event(is_event("pairing-code"), STEP_WITHIN, start)
        self.assertIsNotNone(code, recv.out_text())
        send.write_line(code[1]["code"])
        self.assertEqual(self.finish(send), 0, send.out_text())

    def test_group_send_to_three(self):
        src = os.path.join(self.tmp, "talk.bin")
        make_file(src, 20_000_000)
        want = sha256_file(src)
        recvs = {h: self.receiver(h, os.path.join(self.tmp, f"dest-{h}")) for h in "bcd"}
        for h, r in recvs.items():
            self.pair_by_text(r, h, "sender")
        send = self.cli("a", "group", "sender", "send", "--group", "Laptop-b,Laptop-c,Laptop-d",
                        src, "--name", "Kitchen")
        self.assertEqual(self.finish(send, 90), 0, f"{send.out_text()} / {send.err_text()}")
        done = {e["peer"]: e for _, e in send.find_events(is_event("done"))}
        self.assertEqual(sorted(done), ["Laptop-b", "Laptop-c", "Laptop-d"], send.out_text())
        accepted = {e["peer"] for _, e in send.find_events(is_event("accepted"))}
        self.assertEqual(accepted, set(done), "one answer per peer")
        for h in "bcd":
            self.assertEqual(done[f"Laptop-{h}"]["bytes_sent"], 20_000_000)
            self.assertEqual(sha256_file(os.path.join(self.tmp, f"dest-{h}", "talk.bin")), want)

    def test_share_and_pull(self):
        shared = os.path.join(self.tmp, "shared")
        os.makedirs(os.path.join(shared, "day2"))
        make_file(os.path.join(shared, "beach.jpg"), 3_000_000)
        make_file(os.path.join(shared, "day2", "a.jpg"), 1_000_000)
        outside = os.path.join(self.tmp, "outside")
        os.makedirs(outside)
        with open(os.path.join(outside, "secret"), "w") as f:
            f.write("no")
        os.symlink(outside, os.path.join(shared, "link"))
        # a pairs with b (b sends a text to a's receiver), then shares with b only.
        recv = self.lp2p("a", "receive-a", "receive", "--state-dir", self.state_dir("a"), "--name",
                         "Laptop-a", "--dir", os.path.join(self.tmp, "in-a"), "--json",
                         "--auto-accept", "trusted")
        self.assertIsNotNone(recv.wait_event(is_event("listening"), 10))
        self.pair_by_text(recv, "a", "b", sender_host="b", name="Phone")
        self.pair_by_text(recv, "a", "c", sender_host="c", name="Tablet")
        recv.stop()
        share = self.cli("a", "share", "a", "share", shared, "--for", "Phone", "--name",
                         "Laptop-a", "--minutes", "5")
        self.assertIsNotNone(share.wait_event(is_event("sharing"), 10), share.out_text())

        listing = self.cli("b", "list", "b", "pull", "Laptop-a", "--list", "--name", "Phone")
        self.assertEqual(self.finish(listing), 0, listing.out_text())
        paths = sorted(e["path"] for _, e in listing.find_events(is_event("entry")))
        self.assertEqual(paths, ["beach.jpg", "day2", "day2/a.jpg"], "everything shared; no link")

        dest = os.path.join(self.tmp, "pulled")
        pull = self.cli("b", "pull", "b", "pull", "Laptop-a", "beach.jpg", "day2", "--dir", dest,
                        "--name", "Phone")
        self.assertEqual(self.finish(pull), 0, f"{pull.out_text()} / {pull.err_text()}")
        for rel in ("beach.jpg", os.path.join("day2", "a.jpg")):
            self.assertEqual(sha256_file(os.path.join(dest, rel)),
                             sha256_file(os.path.join(shared, rel)))
        again = self.cli("b", "pull-again", "b", "pull", "Laptop-a", ".", "--dir", dest,
                         "--name", "Phone")
        self.assertEqual(self.finish(again), 0, again.out_text())
        self.assertEqual(again.find_events(is_event("done"))[-1][1]["bytes"], 0, "all there")

        escape = self.cli("b", "escape", "b", "pull", "Laptop-a", "link/secret", "--dir", dest,
                          "--name", "Phone")
        self.assertEqual(self.finish(escape), 4, escape.out_text())
        self.assertFalse(os.path.exists(os.path.join(dest, "link")))

        other = self.cli("c", "other", "c", "pull", "Laptop-a", "beach.jpg", "--dir",
                         os.path.join(self.tmp, "other"), "--name", "Tablet", "--timeout", "8")
        self.assertNotEqual(self.finish(other), 0, other.out_text())
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "other", "beach.jpg")))

    def test_chat(self):
        recv = self.lp2p("a", "receive-a", "receive", "--state-dir", self.state_dir("a"), "--name",
                         "Laptop-a", "--dir", os.path.join(self.tmp, "in-a"), "--json",
                         "--auto-accept", "trusted")
        self.assertIsNotNone(recv.wait_event(is_event("listening"), 10))
        self.pair_by_text(recv, "a", "b", sender_host="b", name="Phone")
        recv.stop()
        wait = self.cli("a", "chat-wait", "a", "chat", "--wait", "--name", "Laptop-a", stdin=True)
        self.assertIsNotNone(wait.wait_event(is_event("waiting"), 10), wait.out_text())
        talk = self.cli("b", "chat", "b", "chat", "Laptop-a", "--name", "Phone", stdin=True)
        self.assertIsNotNone(talk.wait_event(is_event("open"), STEP_WITHIN), talk.out_text())
        talk.write_line("hello from the phone ✓")
        got = wait.wait_event(is_event("message"), 10)
        self.assertIsNotNone(got, wait.out_text())
        self.assertEqual(got[1]["text"], "hello from the phone ✓")
        self.assertEqual(got[1]["peer"], "Phone")
        wait.write_line("hi back")
        got = talk.wait_event(is_event("message"), 10)
        self.assertIsNotNone(got, talk.out_text())
        self.assertEqual(got[1]["text"], "hi back")
        talk.p.stdin.close()  # Ctrl-D
        self.assertEqual(self.finish(talk), 0, talk.out_text())
        self.assertEqual(self.finish(wait), 0, wait.out_text())


if __name__ == "__main__":
    lp2p_it.main()
