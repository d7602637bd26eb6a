"""Shared harness of the lp2p integration tests: a private test lab (tests/lab/lab) per test file,
real `lp2p` processes started inside its namespaces, their JSON-lines output collected with the
time each line arrived, and diagnostics (every process's stdout/stderr, `lab status`) printed
when a test fails.

Run the test files with Debian's /usr/bin/python3 (python3-zeroconf lives there):
    /usr/bin/python3 tests/integration/discovery_test.py --lp2p build/bin/lp2p --lab tests/lab/lab [-v] [Class.test]
Without root they exit 77, which ctest reports as "skipped" (SKIP_RETURN_CODE 77).
The transport tests also take --perf build/bin/lp2p-quic-perf (main(need_perf=True)).
"""

import argparse
import ipaddress
import json
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SKIP_RETURN_CODE = 77
HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's, which sees python3-zeroconf

# Filled in by main() from the command line.
LP2P = None
LAB_SCRIPT = None
PERF = None        # lp2p-quic-perf (--perf), for the tests that need it

# Where a failed test's packet captures are kept (the test's own temporary directory is removed).
ARTIFACTS = os.environ.get("LP2P_IT_ARTIFACTS", "/tmp/lp2p-it-artifacts")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- the lab -----------------------------------------------------------------------------------

LAB_STATE_ROOT = "/run/lp2p-lab"   # where tests/lab/lab keeps one directory per running lab
ACTIVE_LABS = []                   # brought down at exit, also on SIGTERM


def reap_stale_labs():
    """Remove labs left by earlier runs of these tests that were killed (e.g. by a ctest
    timeout): prefix it-TAG-PID where PID is no longer a running process."""
    try:
        names = os.listdir(LAB_STATE_ROOT)
    except OSError:
        return
    for name in names:
        m = re.fullmatch(r"it-[a-z]+-(\d+)", name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # its owner still runs
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        log(f"[lab] removing stale lab {name} (its test process {m.group(1)} is gone)")
        subprocess.run([LAB_SCRIPT, "down"], env=dict(os.environ, LP2P_LAB_PREFIX=name),
                       capture_output=True, timeout=120)


def _down_active_labs():
    while ACTIVE_LABS:
        ACTIVE_LABS.pop().down()

class Lab:
    """One private lab (LP2P_LAB_PREFIX=it-TAG-PID) of `hosts` hosts a, b, c, ..."""

    def __init__(self, tag, hosts):
        prefix = f"it-{tag}-{os.getpid()}"
        if len(prefix) > 24:
            raise ValueError(f"lab prefix {prefix!r} is longer than 24 characters")
        self.prefix = prefix
        self.hosts = hosts
        self.env = dict(os.environ, LP2P_LAB_PREFIX=prefix)
        self._addr_cache = {}

    def run(self, *args, check=True, timeout=60):
        r = subprocess.run([LAB_SCRIPT, *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"lab {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    def up(self):
        t0 = time.monotonic()
        ACTIVE_LABS.append(self)
        self.run("up", str(self.hosts), timeout=120)
        log(f"[lab] {self.prefix}: {self.hosts} hosts up in {time.monotonic() - t0:.1f} s")

    def down(self):
        if self in ACTIVE_LABS:
            ACTIVE_LABS.remove(self)
        r = self.run("down", check=False, timeout=120)
        if r.returncode != 0:
            log(f"[lab] down failed ({r.returncode}): {r.stdout}{r.stderr}")

    def status(self):
        r = self.run("status", check=False)
        return r.stdout + r.stderr

    def addr(self, host, kind="4"):
        """Lab address of host: kind "4" (IPv4), "6" (ULA) or "ll" (link-local with %eth0)."""
        key = (host, kind)
        if key not in self._addr_cache:
            self._addr_cache[key] = self.run("addr", host, kind).stdout.strip()
        return self._addr_cache[key]

    def endpoints(self, host, port, families=("4", "6", "ll")):
        """The endpoint strings `lp2p discover --json` prints for host:port, per family."""
        out = set()
        for fam in families:
            a = self.addr(host, fam)
            out.add(f"{a}:{port}" if fam == "4" else f"[{a}]:{port}")
        return out

    def link_down(self, host):
        """`ip link set eth0 down` inside host (the kernel then drops the host's IPv6 ULA and
        its multicast route; the IPv4 address stays). Returns the time it was done."""
        self.run("exec", host, "ip", "link", "set", "eth0", "down")
        return time.monotonic()

    def link_up(self, host):
        """`ip link set eth0 up` inside host, then put back what `lab up` configured and the
        link lost while down: the IPv6 ULA (nodad) and the 224.0.0.0/4 route (the link-local
        address comes back by itself, without DAD since accept_dad=0 stays). One shell, so the
        host is complete again within milliseconds. Returns the time the link came up."""
        a6 = self.addr(host, "6")
        script = ("ip link set eth0 up && "
                  f"(ip -6 addr show dev eth0 | grep -q ' {a6}/64 ' || ip -6 addr add {a6}/64 dev eth0 nodad) && "
                  "(ip route show 224.0.0.0/4 dev eth0 | grep -q . || ip route add 224.0.0.0/4 dev eth0)")
        t = time.monotonic()
        self.run("exec", host, "sh", "-c", script)
        return t

    def exec_argv(self, host, argv):
        return [LAB_SCRIPT, "exec", host, *argv]

    @property
    def hub(self):
        """The namespace holding the bridge br0 (sees every frame of the lab)."""
        return f"{self.prefix}-hub"

    def fault(self, host, *what):
        """`lab fault HOST WHAT...`, e.g. fault("b", "loss", "5") or fault("all", "clear")."""
        return self.run("fault", host, *what)


class Capture:
    """tcpdump on the lab's bridge (in the hub namespace): every frame between the hosts,
    headers only (snaplen), written to a pcap file. Only if tcpdump is installed."""

    def __init__(self, lab, path, snaplen=160, max_packets=200000):
        self.path = path
        self.p = subprocess.Popen(["ip", "netns", "exec", lab.hub, "tcpdump", "-i", "br0", "-U", "-n",
                                   "-Z", "root", "-s", str(snaplen), "-c", str(max_packets),
                                   "-w", path],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, errors="replace")
        # It says "listening on br0" on stderr once it captures.
        self.ready = False
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.p.poll() is None:
            line = self.p.stderr.readline()
            if "listening on" in line:
                self.ready = True
                break
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self):
        for _ in self.p.stderr:
            pass

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self._drainer.join(2)
        try:
            self.p.stderr.close()
        except OSError:
            pass


# ---- processes ---------------------------------------------------------------------------------

class Proc:
    """A process inside a lab host. `lab exec` ends in `exec ip netns exec ... CMD`, and
    `ip netns exec` execs CMD too, so the Popen pid is CMD's own pid and signals reach it.
    stdout is read line by line; lines that parse as JSON objects are kept as events together
    with the monotonic time they arrived."""

    def __init__(self, lab, host, label, argv, t_ref, stdin_pipe=False):
        self.lab, self.host, self.label, self.argv = lab, host, label, list(argv)
        self.t_ref = t_ref
        self.cond = threading.Condition()
        self.lines = []    # (t, text) of every stdout line
        self.events = []   # (t, dict) of the JSON objects among them
        self.err = []      # (t, text) of stderr lines
        self.eof = False
        self.t_start = time.monotonic()
        self.p = subprocess.Popen(lab.exec_argv(host, argv), env=lab.env,
                                  stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  bufsize=1, errors="replace")
        self._threads = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._threads:
            t.start()

    @property
    def pid(self):
        return self.p.pid

    def write_line(self, text):
        """One line to the process's standard input (started with stdin_pipe=True)."""
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()

    def rss_kib(self):
        """VmRSS of the process (kiB) from /proc (the lab shares the PID namespace); None once
        it is gone."""
        try:
            with open(f"/proc/{self.p.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            return None
        return None

    def out_text(self):
        with self.cond:
            return "\n".join(line for _, line in self.lines)

    def err_text(self):
        with self.cond:
            return "\n".join(line for _, line in self.err)

    def _read_out(self):
        for line in self.p.stdout:
            t = time.monotonic()
            line = line.rstrip("\n")
            with self.cond:
                self.lines.append((t, line))
                try:
                    obj = json.loads(line)
                    if isinstance(obj, dict):
                        self.events.append((t, obj))
                except ValueError:
                    pass
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _read_err(self):
        for line in self.p.stderr:
            with self.cond:
                self.err.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()

    def wait_event(self, pred, timeout, start=0):
        """First (t, event) at index >= start with pred(event) true, waiting up to timeout
        seconds; None on timeout or when the process's stdout closed without one."""
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.events):
                    if pred(self.events[i][1]):
                        return self.events[i]
                    i += 1
                remaining = deadline - time.monotonic()
                if self.eof or remaining <= 0:
                    return None
                self.cond.wait(remaining)

    def wait_err(self, pattern, timeout, start=0):
        """First (t, line) of stderr at index >= start matching the regular expression pattern,
        waiting up to timeout seconds; None on timeout. (With -v, lp2p logs to stderr.)"""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.err):
                    if rx.search(self.err[i][1]):
                        return self.err[i]
                    i += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.cond.wait(min(remaining, 0.2))

    def wait_line(self, pattern, timeout, start=0):
        """First (t, match) of a stdout line at index >= start matching the regular expression
        pattern, waiting up to timeout seconds; None on timeout or when stdout closed."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i][1])
                    if m:
                        return self.lines[i][0], m
                    i += 1
                remaining = deadline - time.monotonic()
                if self.eof or remaining <= 0:
                    return None
                self.cond.wait(remaining)

    def find_events(self, pred):
        with self.cond:
            return [(t, e) for t, e in self.events if pred(e)]

    def signal(self, sig):
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)
        return time.monotonic()

    def wait_exit(self, timeout):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for t in self._threads:
            t.join(2)
        if self.p.stdin is not None:
            self.p.stdin.close()
        return rc

    def stop(self):
        """SIGTERM (the agent says goodbye), then SIGKILL if it does not exit within 3 s."""
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, signal.SIGTERM)
                self.p.wait(3)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.kill(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(5)
        for t in self._threads:
            t.join(2)
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass

    def dump(self):
        with self.cond:
            out = [f"--- [{self.label}] on host {self.host}, pid {self.p.pid}, "
                   f"exit status {self.p.poll()}, started at +{self.t_start - self.t_ref:.3f} s:",
                   "    $ " + " ".join(self.argv)]
            out += [f"    out +{t - self.t_ref:8.3f}  {line}" for t, line in self.lines]
            out += [f"    err +{t - self.t_ref:8.3f}  {line}" for t, line in self.err]
        return "\n".join(out)


# ---- test case base ----------------------------------------------------------------------------

class LabTestCase(unittest.TestCase):
    """Brings up one lab for the whole class (LAB_TAG, LAB_HOSTS); each test gets fresh state
    directories and its processes are stopped in tearDown; on failure, everything is printed."""

    LAB_TAG = "x"
    LAB_HOSTS = 2
    lab = None

    @classmethod
    def setUpClass(cls):
        reap_stale_labs()
        cls.lab = Lab(cls.LAB_TAG, cls.LAB_HOSTS)
        try:
            cls.lab.up()
        except Exception:
            cls.lab.down()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.lab is not None:
            cls.lab.down()

    def setUp(self):
        self.t0 = time.monotonic()
        self.procs = []
        self.notes = []
        self.tmp = tempfile.mkdtemp(prefix=f"lp2p-it-{self._testMethodName}-")
        self._diag_extra = []
        self.captures = []

    def tearDown(self):
        failed = self._failed()
        if failed:
            # Snapshot the lab while the processes still run.
            status = self.lab.status()
        for p in self.procs:
            p.stop()
        for c in self.captures:
            c.stop()
        if failed:
            self._keep_captures()
            log(f"\n===== diagnostics for {self.id()} (times are seconds since the test started) =====")
            for n in self.notes:
                log(f"note: {n}")
            for p in self.procs:
                log(p.dump())
            for extra in self._diag_extra:
                log(extra())
            log("--- lab status:\n" + status)
            log("===== end of diagnostics =====")
        shutil.rmtree(self.tmp, ignore_errors=True)
        log(f"    [{self._testMethodName}] took {time.monotonic() - self.t0:.1f} s")

    def _failed(self):
        """Has this test failed so far? (unittest resets _outcome.success around tearDown, but
        the result already lists the failure.)"""
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        if result is None:
            return True  # unknown: better too much output than none
        # A failed subTest is recorded as a _SubTest whose test_case is this test.
        return any(test is self or getattr(test, "test_case", None) is self
                   for test, _ in list(result.failures) + list(result.errors))

    def _keep_captures(self):
        for c in self.captures:
            if not os.path.exists(c.path):
                continue
            os.makedirs(ARTIFACTS, exist_ok=True)
            kept = os.path.join(ARTIFACTS, f"{self.id()}-{os.getpid()}-{os.path.basename(c.path)}")
            shutil.move(c.path, kept)
            self.notes.append(f"packet capture of the lab's bridge kept: {kept}")

    # helpers

    def capture(self, name="lab.pcap"):
        """Capture the lab's bridge for the rest of the test (kept in ARTIFACTS if the test
        fails, removed otherwise). Does nothing without tcpdump; cheap only for small
        exchanges (headers only, at most 200 000 frames)."""
        if shutil.which("tcpdump") is None:
            return None
        c = Capture(self.lab, os.path.join(self.tmp, name))
        self.captures.append(c)
        if not c.ready:
            self.note("tcpdump did not start on the lab's bridge; no capture")
        return c

    def note(self, msg):
        """Something worth reading in the verbose output and in the diagnostics."""
        self.notes.append(msg)
        log(f"    [{self._testMethodName}] {msg}")

    def state_dir(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        return d

    def start(self, host, label, argv, stdin_pipe=False):
        p = Proc(self.lab, host, label, argv, self.t0, stdin_pipe)
        self.procs.append(p)
        return p

    def lp2p(self, host, label, *args):
        return self.start(host, label, [LP2P, *args])

    # Long-running agents get a --timeout far beyond any test, so that none outlives a test
    # run that was killed before it could clean up.
    SAFETY_TIMEOUT = "900"

    def _safety(self, extra):
        return [] if "--timeout" in extra else ["--timeout", self.SAFETY_TIMEOUT]

    def advertise(self, host, label, name, *extra, state=None):
        p = self.lp2p(host, label, "advertise", "--state-dir", self.state_dir(state or label),
                      "--name", name, "--json", *self._safety(extra), *extra)
        ev = p.wait_event(lambda e: e.get("event") == "advertising", 10)
        if ev is None:
            self.fail(f"{label}: no 'advertising' line within 10 s (exit status {p.p.poll()})")
        p.info = ev[1]
        return p

    def info(self, host, label, peer, *extra, name=None, state=None, json_lines=True):
        """`lp2p info PEER` on host (a short-lived client; --json unless json_lines=False)."""
        return self.lp2p(host, label, "info", peer, "--state-dir", self.state_dir(state or label),
                         "--name", name or f"Client {label}", *(["--json"] if json_lines else []),
                         *extra)

    def perf(self, host, label, *args):
        """lp2p-quic-perf ARGS on host (main(need_perf=True) makes --perf required)."""
        if PERF is None:
            self.skipTest("no --perf (lp2p-quic-perf) given")
        return self.start(host, label, [PERF, *args])

    def discover(self, host, label, *extra, state=None):
        return self.lp2p(host, label, "discover", "--state-dir", self.state_dir(state or label),
                         "--json", *self._safety(extra), *extra)

    def wait_added(self, disc, fp, timeout, start=0):
        return disc.wait_event(lambda e: e.get("event") == "added" and e.get("fingerprint") == fp,
                               timeout, start)


def parse_endpoint(s):
    """"10.213.1.1:49164" / "[fe80::1%eth0]:49164" -> (ipaddress object, scope or None, port)."""
    host, _, port = s.rpartition(":")
    scope = None
    if host.startswith("["):
        host = host[1:-1]
        if "%" in host:
            host, scope = host.split("%", 1)
    return ipaddress.ip_address(host), scope, int(port)


def main(python_modules=(), need_perf=False):
    """Parse --lp2p/--lab (and --perf, required with need_perf), skip (77) without root or
    without the Python modules the test needs (checked in Debian's /usr/bin/python3, which runs
    the helpers), then run unittest."""
    global LP2P, LAB_SCRIPT, PERF
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lp2p", required=True, help="the lp2p binary under test")
    ap.add_argument("--lab", required=True, help="tests/lab/lab")
    ap.add_argument("--perf", required=need_perf, help="the lp2p-quic-perf binary")
    args, rest = ap.parse_known_args()
    LP2P = os.path.abspath(args.lp2p)
    LAB_SCRIPT = os.path.abspath(args.lab)
    PERF = os.path.abspath(args.perf) if args.perf else None
    if os.geteuid() != 0:
        print("skipped: the integration tests need root (network namespaces)", flush=True)
        sys.exit(SKIP_RETURN_CODE)
    for module in python_modules:
        if subprocess.run([PYTHON, "-c", f"import {module}"], capture_output=True).returncode != 0:
            print(f"skipped: {PYTHON} cannot import {module} (apt-get install python3-{module})", flush=True)
            sys.exit(SKIP_RETURN_CODE)
    for what, path in (("--lp2p", LP2P), ("--lab", LAB_SCRIPT), ("--perf", PERF)):
        if path is not None and not os.access(path, os.X_OK):
            print(f"error: {what} {path} is not an executable", file=sys.stderr)
            sys.exit(2)
    # Whatever happens (SIGTERM included), the lab and everything in it goes away.
    atexit.register(_down_active_labs)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
