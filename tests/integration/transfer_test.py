#!/usr/bin/python3
"""Files and texts between real processes on two lab hosts: `lp2p receive` on host a, `lp2p send`
on host b (pairing on the way: the receiver shows the code, the test types it into the sender).

 1. a folder (an empty file, 1 byte, 10 MB, nested Unicode names, an empty folder, a symbolic
    link pointing outside) arrives whole: every file's SHA-256 matches, the link is skipped on
    the sender and absent on the receiver, no part file is left; sent again, nothing moves
    (every file is "already there"); a text is printed by the receiver; a different file with
    a taken name is kept beside the old one, which stays untouched

Usage: /usr/bin/python3 transfer_test.py --lp2p PATH --lab tests/lab/lab [-v]
Exits 77 (skipped) without root.
"""

import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import LabTestCase  # noqa: E402

STEP_WITHIN = 30


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

    def receiver(self, dest):
        r = self.lp2p("a", "receive", "receive", "--state-dir", self.state_dir("recv"), "--name",
                      "Laptop", "--dir", dest, "--json", "--auto-accept", "trusted")
        if r.wait_event(is_event("listening"), 10) is None:
            self.fail(f"receive did not start: {r.err_text()}")
        return r

    def send(self, label, *args):
        return self.start("b", label, [lp2p_it.LP2P, "send", "Laptop", *args, "--state-dir",
                                       self.state_dir("send"), "--name", "Kitchen", "--json"],
                          stdin_pipe=True)

    def finish(self, proc):
        rc = proc.wait_exit(STEP_WITHIN)
        if rc is None:
            self.fail(f"{proc.label}: still running after {STEP_WITHIN} s: {proc.out_text()}")
        return rc

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

        start = len(recv.events)
        send = self.send("send-1", src)
        code = recv.wait_event(is_event("pairing-code"), STEP_WITHIN, start)
        self.assertIsNotNone(code, f"the receiver shows a code: {recv.out_text()}")
        send.write_line(code[1]["code"])
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


if __name__ == "__main__":
    lp2p_it.main()
