#!/usr/bin/python3
"""Pairing benchmark: whole pairings between two lab hosts, without the human.

How to run (root: it builds a private lab of two network namespaces; build lp2p first):

    sudo /usr/bin/python3 bench/pairing_bench.py                 # 50 pairings
    sudo /usr/bin/python3 bench/pairing_bench.py --count 200 --lp2p build/ci/bin/lp2p

What it measures: `lp2p advertise` on host a shows a code for every attempt; `lp2p pair NAME
--json` on host b types it at once (the code is written to its standard input as soon as the
agent's "pairing-code" event appears), then `lp2p peers forget` makes the next attempt pair
again (the agent's cap of 20 attempts a minute is lifted for the run). Per pairing:
  protocol   `pair`'s own pairing-ms minus typing-ms: from asking to pair on an open connection
             to authenticated on both sides' checks, without the wait for the code (the
             capabilities exchange, the presenter's code and pA, pB, cA, cB, auth-status).
  command    the `lp2p pair` process from start to exit, minus its typing-ms: key loading,
             mDNS discovery of the agent, QUIC + TLS handshake, the pairing, the store write.
Reported: median and p90 in milliseconds, and the SPAKE2 work per side for comparison comes from
`lp2p-spake2-bench`. The lab (LP2P_LAB_PREFIX=pb-PID) is always removed. Exit status 0, 1 when a
pairing failed, 77 without root.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def p90(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


class Lab:
    def __init__(self, script, prefix):
        self.script, self.env = script, dict(os.environ, LP2P_LAB_PREFIX=prefix)

    def run(self, *args):
        return subprocess.run([self.script, *args], env=self.env, capture_output=True, text=True,
                              timeout=120)

    def argv(self, host, cmd):
        return [self.script, "exec", host, *cmd]


class Agent:
    """`lp2p advertise --json` on host a; its JSON lines are collected by a thread."""

    def __init__(self, lab, lp2p, state):
        self.events, self.cond = [], threading.Condition()
        self.p = subprocess.Popen(lab.argv("a", [lp2p, "advertise", "--json", "--name", "Bench",
                                                 "--state-dir", state, "--timeout", "3600",
                                                 "--pairing-attempts-per-minute", "100000"]),
                                  env=lab.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  stdin=subprocess.DEVNULL, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()

    def wait(self, kind, start, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event in self.events[start:]:
                    if event.get("event") == kind:
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.cond.wait(remaining)


def pair_once(lab, lp2p, agent, state):
    start = len(agent.events)
    t0 = time.monotonic()
    p = subprocess.Popen(lab.argv("b", [lp2p, "pair", "Bench", "--json", "--state-dir", state]),
                         env=lab.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    shown = agent.wait("pairing-code", start, 20)
    if shown is None:
        p.kill()
        raise RuntimeError(f"no pairing-code: {p.communicate()}")
    out, err = p.communicate(shown["code"] + "\n", timeout=30)
    wall_ms = (time.monotonic() - t0) * 1000
    paired = [json.loads(line) for line in out.splitlines() if '"paired"' in line]
    if p.returncode != 0 or not paired:
        raise RuntimeError(f"pair failed ({p.returncode}): {out} {err}")
    event = paired[0]
    forget = subprocess.run(lab.argv("b", [lp2p, "peers", "forget", event["fingerprint"],
                                           "--state-dir", state]),
                            env=lab.env, capture_output=True, text=True, timeout=30)
    if forget.returncode != 0:
        raise RuntimeError(f"peers forget failed: {forget.stderr}")
    return event["pairing-ms"] - event["typing-ms"], wall_ms - event["typing-ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lp2p", default=os.path.join(ROOT, "build", "bin", "lp2p"))
    ap.add_argument("--lab", default=os.path.join(ROOT, "tests", "lab", "lab"))
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--json", action="store_true", help="one JSON object with the results")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        return 77
    lab = Lab(os.path.abspath(args.lab), f"pb-{os.getpid()}")
    tmp = tempfile.mkdtemp(prefix="lp2p-pairing-bench.")
    os.chmod(tmp, 0o755)
    agent = None
    try:
        up = lab.run("up", "2")
        if up.returncode != 0:
            print(f"lab up failed: {up.stdout} {up.stderr}", file=sys.stderr)
            return 1
        agent = Agent(lab, os.path.abspath(args.lp2p), os.path.join(tmp, "agent"))
        if agent.wait("advertising", 0, 10) is None:
            print("the agent did not start", file=sys.stderr)
            return 1
        protocol, command = [], []
        for _ in range(args.count):
            a, b = pair_once(lab, os.path.abspath(args.lp2p), agent, os.path.join(tmp, "client"))
            protocol.append(a)
            command.append(b)
        result = {
            "count": args.count,
            "protocol_ms": {"median": statistics.median(protocol), "p90": p90(protocol)},
            "command_ms": {"median": statistics.median(command), "p90": p90(command)},
        }
        if args.json:
            print(json.dumps(result))
        else:
            print(f"pairings: {args.count} (lab hosts a <- b)")
            print(f"  protocol (connection open -> authenticated, typing excluded): "
                  f"median {result['protocol_ms']['median']:.2f} ms, "
                  f"p90 {result['protocol_ms']['p90']:.2f} ms")
            print(f"  whole `lp2p pair` command (typing excluded): "
                  f"median {result['command_ms']['median']:.1f} ms, "
                  f"p90 {result['command_ms']['p90']:.1f} ms")
        return 0
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"pairing bench: {e}", file=sys.stderr)
        return 1
    finally:
        if agent is not None:
            agent.p.terminate()
            try:
                agent.p.wait(5)
            except subprocess.TimeoutExpired:
                agent.p.kill()
        lab.run("down")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
