"""Crash safety of the store (src/store, docs/store.md): a writer process (lp2p_store_writer) makes
random changes to lp2p.db and is killed with SIGKILL at a random moment, again and again on the
same database. After every kill:

  * PRAGMA integrity_check is "ok" and no foreign key dangles;
  * the schema is whole: user_version 0 with no tables (killed while creating it) or the current
    version with every table;
  * the database holds exactly the changes the writer reported committed ("ok N"), plus at most
    the one call in flight when it died ("do N" without an answer), applied whole or not at all.
    The test replays the writer's report on a model of the store (same rules as store.hpp) and
    compares every row, so a lost commit, a half-applied change (e.g. a peer without its new
    addresses) or a change that was never reported all fail it;
  * the store opens again through the C++ code (`lp2p_store_writer DIR --check`).

What SIGKILL cannot show: data the OS had not written to the disk when power failed. That is
synchronous=FULL's job (an fsync per commit) and is not simulated here.

Needs no root and no lab. Standard library only:
    /usr/bin/python3 tests/integration/store_kill_test.py --writer build/tests/integration/lp2p_store_writer [-v]
"""

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

WRITER = None
KILLS = 60
SEED = None

BASE = 1_700_000_000   # the writer's `now` for call N is BASE + N
MAX_ADDRESSES = 8
SCHEMA_VERSION = 2
TABLES = {"identity", "peers", "peer_addresses", "grants", "transfer_parts", "file_hashes"}


class Model:
    """The store's content as the rules of store.hpp make it, call by call."""

    def __init__(self):
        self.identity = None      # (fingerprint, recorded_at)
        self.peers = {}           # fp -> dict
        self.grants = {}          # (fp, origin) -> (until, granted_at)

    def copy(self):
        m = Model()
        m.identity = self.identity
        m.peers = {fp: dict(p, addresses=list(p["addresses"])) for fp, p in self.peers.items()}
        m.grants = dict(self.grants)
        return m

    def state(self):
        return {"identity": self.identity, "peers": self.peers, "grants": self.grants}

    def apply(self, n, op, args):
        """Applies call N; returns False if the store must have refused it (nothing changed)."""
        now = BASE + n
        if op == "note":
            fp, name, address = args
            p = self.peers.get(fp)
            if p is None:
                p = self.peers[fp] = {"name": "", "model": "", "token": "", "mv": 0,
                                      "auth": None, "first": now, "last": now, "addresses": []}
            p.update(name=name, model="model%d" % n, token="token%d" % n, mv=n, last=now)
            if address != "-":
                p["addresses"] = ([address] + [a for a in p["addresses"] if a != address])[:MAX_ADDRESSES]
        elif op == "auth":
            (fp,) = args
            if fp not in self.peers:
                self.peers[fp] = {"name": "", "model": "", "token": "", "mv": 0,
                                  "auth": None, "first": now, "last": now, "addresses": []}
            self.peers[fp]["auth"] = now
        elif op == "grant":
            fp, origin, until = args
            if fp not in self.peers:
                return False
            self.grants[(fp, origin)] = (None if until == "-" else int(until), now)
        elif op == "revoke":
            fp, origin = args
            self.grants.pop((fp, origin), None)
        elif op == "forget":
            (fp,) = args
            self.peers.pop(fp, None)
            self.grants = {k: v for k, v in self.grants.items() if k[0] != fp}
        elif op == "prune":
            self.grants = {k: v for k, v in self.grants.items() if v[0] is None or v[0] > now}
        elif op == "identity":
            (fp,) = args
            if self.identity is None or self.identity[0] != fp:
                self.identity = (fp, now)
        else:
            raise AssertionError("unknown op in the writer's report: %s" % op)
        return True


def read_state(path):
    """The database's content in the Model's shape, after checking its integrity and schema."""
    if not os.path.exists(path):
        return Model().state()
    db = sqlite3.connect(path)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        assert integrity == [("ok",)], "integrity_check: %r" % integrity
        dangling = db.execute("PRAGMA foreign_key_check").fetchall()
        assert dangling == [], "dangling foreign keys: %r" % dangling
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version == 0:
            assert tables == set(), "user_version 0 but tables %r: a half-done migration" % tables
            return Model().state()
        assert version == SCHEMA_VERSION, "user_version %d" % version
        assert tables == TABLES, "schema %d has tables %r" % (version, tables)
        identity = db.execute("SELECT fingerprint, recorded_at FROM identity").fetchone()
        peers = {}
        for fp, name, model, token, mv, auth, first, last in db.execute(
                "SELECT fingerprint, display_name, model_name, state_token, metadata_version, "
                "authenticated_at, first_seen, last_seen FROM peers"):
            peers[fp] = {"name": name, "model": model, "token": token, "mv": mv, "auth": auth,
                         "first": first, "last": last, "addresses": []}
        for fp, position, address in db.execute(
                "SELECT peer, position, address FROM peer_addresses ORDER BY peer, position"):
            assert position == len(peers[fp]["addresses"]), "address positions of %s" % fp
            peers[fp]["addresses"].append(address)
        grants = {(fp, origin): (until, granted_at) for fp, origin, until, granted_at in
                  db.execute("SELECT peer, origin, until, granted_at FROM grants")}
        return {"identity": identity, "peers": peers, "grants": grants}
    finally:
        db.close()


def difference(actual, expected):
    """The rows that differ, for a failure message that can be read."""
    lines = []
    if actual["identity"] != expected["identity"]:
        lines.append("identity: database %r, model %r" % (actual["identity"], expected["identity"]))
    for table in ("peers", "grants"):
        for key in sorted(set(actual[table]) | set(expected[table])):
            a, e = actual[table].get(key), expected[table].get(key)
            if a != e:
                lines.append("%s %r:\n    database %r\n    model    %r" % (table, key, a, e))
    return "\n  ".join(lines)


def parse_report(text):
    """[(n, op, args, answer)] from the writer's stdout; answer None for the call in flight."""
    lines = text.split("\n")
    lines.pop()  # after the last newline: empty, or a line the kill cut (never written whole)
    calls = []
    for line in lines:
        words = line.split(" ")
        if words[0] == "do":
            assert not calls or calls[-1][3] is not None, "two calls in flight: %r" % line
            calls.append((int(words[1]), words[2], words[3:], None))
        elif words[0] in ("ok", "refused"):
            n, op, args, answer = calls[-1]
            assert answer is None and int(words[1]) == n, "answer %r to call %d" % (line, n)
            calls[-1] = (n, op, args, words[0])
        else:
            raise AssertionError("writer: %r" % line)
    return calls


class StoreKillTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lp2p-store-kill-")
        self.state_dir = os.path.join(self.dir, "state")
        self.db = os.path.join(self.state_dir, "lp2p.db")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_writer_until_killed(self, start, seed, delay):
        writer = subprocess.Popen([WRITER, self.state_dir, "--seed", str(seed), "--start", str(start)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        out, err = writer.communicate(timeout=10)
        self.assertEqual(writer.returncode, -signal.SIGKILL,
                         "the writer ended before the kill: %s" % err.decode(errors="replace"))
        return out.decode()

    def test_killed_writer_leaves_a_consistent_database(self):
        rng = random.Random(SEED)
        model = Model()
        start = 0
        committed = in_flight_applied = in_flight_absent = 0
        started = time.monotonic()
        for kill in range(KILLS):
            seed, delay = rng.randrange(1 << 32), rng.uniform(0.005, 0.200)
            what = "kill %d (--seed %d --start %d, %.0f ms)" % (kill, seed, start, delay * 1000)
            calls = parse_report(self.run_writer_until_killed(start, seed, delay))
            for n, op, args, answer in calls:
                if answer is None:
                    break
                applied = model.apply(n, op, args)
                self.assertEqual(applied, answer == "ok", "%s: call %d %s %r answered %s"
                                 % (what, n, op, args, answer))
                committed += 1
            try:
                actual = read_state(self.db)
            except AssertionError as e:
                self.fail("%s: %s" % (what, e))
            if calls and calls[-1][3] is None:
                n, op, args, _ = calls[-1]
                with_it = model.copy()
                with_it.apply(n, op, args)
                if actual == with_it.state() and actual != model.state():
                    model = with_it
                    in_flight_applied += 1
                else:
                    in_flight_absent += 1
                    if actual != model.state():
                        self.fail("%s: the database is neither before nor after call %d %s %r; "
                                  "against before:\n  %s"
                                  % (what, n, op, args, difference(actual, model.state())))
            elif actual != model.state():
                self.fail("%s: the database lost or gained a change:\n  %s"
                          % (what, difference(actual, model.state())))
            check = subprocess.run([WRITER, self.state_dir, "--check"], capture_output=True,
                                   timeout=30)
            self.assertEqual(check.returncode, 0, "%s: the store does not open again: %s"
                             % (what, check.stderr.decode(errors="replace")))
            if calls:
                start = calls[-1][0] + 1
        elapsed = time.monotonic() - started
        print("\n%d kills in %.1f s: %d committed calls replayed, the call in flight at the kill "
              "applied %d times, absent %d times; %d peers, %d grants at the end"
              % (KILLS, elapsed, committed, in_flight_applied, in_flight_absent,
                 len(model.peers), len(model.grants)), file=sys.stderr)
        self.assertGreater(committed, KILLS, "too few changes to show anything")


def main():
    global WRITER, KILLS, SEED
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writer", required=True, help="the lp2p_store_writer executable")
    parser.add_argument("--kills", type=int, default=KILLS, help="how many times to kill it")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the kill times and the writers' seeds (default: random)")
    args, rest = parser.parse_known_args()
    WRITER = os.path.abspath(args.writer)
    KILLS = args.kills
    SEED = args.seed if args.seed is not None else random.randrange(1 << 32)
    print("store_kill_test: --seed %d" % SEED, file=sys.stderr)
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
