"""Helpers shared by the lab benchmarks (transport_bench.py, files_bench.py): sizes and
statistics, machine load, CPU time of processes, random data, and processes in a private test
lab of network namespaces (tests/lab/lab) pinned to CPUs.

Every process runs as `[taskset -c CPU] ip netns exec NS CMD` (not `lab exec`, whose bash start
costs ~70 ms of CPU that would be counted against the measured process).
"""

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SKIP = 77
GIB = 1 << 30
CLK_TCK = os.sysconf("SC_CLK_TCK")


class MeasurementError(Exception):
    pass


class Skipped(Exception):
    pass


# ------------------------------------------------------------------------------------------------
# Small helpers


def parse_size(text):
    """"1G", "256M", "1GiB", "1073741824" -> bytes (K/M/G are binary)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*", text.lower())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1G, 256M, 1048576)")
    n = float(m.group(1)) * (1 << (10 * " kmgt".index(m.group(2) or " ")))
    if n < 1:
        raise argparse.ArgumentTypeError("size must be at least 1 byte")
    return int(n)


def human_bytes(n):
    for unit, size in (("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} B"


def csv_choice(allowed):
    def parse(text):
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if x not in allowed]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"choose from {','.join(allowed)}; got {text!r}")
        return items
    return parse


def p90(values):
    """Nearest-rank 90th percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def dist(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def cpu_busy_percent(seconds=2.0):
    """Share of the machine's CPU time that was busy over `seconds` (/proc/stat). Sampled while
    this benchmark is idle, it shows whether other work is running; the load average lags."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait
    t0, i0 = sample()
    time.sleep(seconds)
    t1, i1 = sample()
    return 100.0 * (1 - (i1 - i0) / max(1, t1 - t0))


def proc_cpu_seconds(pid):
    """utime + stime (+ waited-for children) of a running process, all threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17.
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def make_random_file(path, size):
    """Writes `size` random bytes; returns their SHA-256."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 << 20))
            h.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    return h.hexdigest()


def tool_version(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10,
                           check=False)
        return r.stdout.decode(errors="replace").strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


# ------------------------------------------------------------------------------------------------
# The lab and processes in it


class Lab:
    """A lab of tests/lab/lab under a private prefix with hosts a, b, ... (`hosts` of them).
    Processes run through `taskset -c CPU ip netns exec PREFIX-X CMD` (cheap, unlike the lab
    script's exec); `cpus` maps a role ("server", "client", ...) to the CPU its processes are
    pinned to when `pin` is on; a role not in it (or None) is not pinned."""

    def __init__(self, script, prefix, pin=False, cpus=None, hosts=2):
        self.script = script
        self.prefix = prefix
        self.env = dict(os.environ, LP2P_LAB_PREFIX=prefix)
        self.pin = pin
        self.cpu = dict(cpus or {})
        self.hosts = "abcdefghijklmnopqrstuvwxyz"[:hosts]
        self.addr = {}
        self.is_up = False

    def run(self, *args, timeout=120):
        return subprocess.run([self.script, *args], env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, check=False)

    def up(self):
        self.run("down")
        self.is_up = True  # from here on, down() must run even if up fails half-way
        r = self.run("up", str(len(self.hosts)))
        if r.returncode != 0:
            raise MeasurementError(f"lab up ({self.prefix}) failed:\n"
                                   + r.stdout.decode(errors="replace"))
        for h in self.hosts:
            r = self.run("addr", h)
            if r.returncode != 0:
                raise MeasurementError(f"lab addr {h} failed: {r.stdout.decode().strip()}")
            self.addr[h] = r.stdout.decode().strip()
            if not os.path.exists(self.ns_path(h)):
                raise MeasurementError(f"lab namespace {self.ns_path(h)} missing")

    def down(self):
        if self.is_up:
            self.run("down")
            self.is_up = False

    def ns_name(self, host):
        return f"{self.prefix}-{host}"

    def ns_path(self, host):
        return f"/run/netns/{self.ns_name(host)}"

    def argv(self, host, role, cmd):
        pre = ["taskset", "-c", str(self.cpu[role])] if self.pin and role in self.cpu else []
        return [*pre, "ip", "netns", "exec", self.ns_name(host), *cmd]


class Server:
    """A long-running process in the lab. stdout: JSON lines, read by a thread and timestamped
    (or, with json_lines=False, sent to a log file). CPU time: /proc/PID/stat while it runs,
    wait4 rusage once it has exited (see stop())."""

    def __init__(self, lab, host, label, cmd, log_dir, json_lines=True, role="server", cwd=None,
                 env=None):
        self.label = label
        self.lines = []
        self._cond = threading.Condition()
        self._eof = False
        self.rusage_cpu = None
        self.returncode = None
        self.stderr_path = os.path.join(log_dir, label + ".stderr")
        self.stdout_path = os.path.join(log_dir, label + ".stdout")
        self.ns_ino = os.stat(lab.ns_path(host)).st_ino
        with open(self.stderr_path, "ab") as err, open(self.stdout_path, "ab") as out:
            self.popen = subprocess.Popen(lab.argv(host, role, cmd), stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE if json_lines else out,
                                          stderr=err, start_new_session=True, cwd=cwd, env=env)
        self.pid = self.popen.pid
        self._thread = None
        if json_lines:
            self._thread = threading.Thread(target=self._read, daemon=True)
            self._thread.start()

    def _read(self):
        with open(self.stdout_path, "ab") as log:
            for raw in self.popen.stdout:
                now = time.monotonic()
                log.write(raw)
                log.flush()
                try:
                    obj = json.loads(raw)
                except ValueError:
                    obj = {"event": "non-json", "text": raw.decode("utf-8", "replace").rstrip()}
                with self._cond:
                    self.lines.append((now, obj))
                    self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def mark(self):
        with self._cond:
            return len(self.lines)

    def wait_for(self, pred, timeout, since=0):
        """First (arrival, object) at index >= since with pred(object), or None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, obj in self.lines[since:]:
                    if pred(obj):
                        return t, obj
                since = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    return None
                self._cond.wait(left)

    def alive(self):
        """Running? (Reaps it with wait4 if it has exited, keeping its rusage.)"""
        if self.returncode is not None:
            return False
        try:
            return not self.reap(0)
        except ChildProcessError:
            return False

    def in_namespace(self):
        """True once the exec chain (taskset, ip netns exec) has reached the lab namespace."""
        try:
            return os.stat(f"/proc/{self.pid}/ns/net").st_ino == self.ns_ino
        except OSError:
            return False

    def wait_tcp_listen(self, port, timeout=10.0):
        """Waits until the process listens on TCP `port` in its namespace (/proc/PID/net/tcp*)."""
        deadline = time.monotonic() + timeout
        want = f":{port:04X}"
        while time.monotonic() < deadline:
            if not self.alive():
                raise MeasurementError(f"{self.label} exited ({self.popen.returncode}) before "
                                       f"listening: {self.stderr_tail()}")
            if self.in_namespace():
                for name in ("tcp", "tcp6"):
                    try:
                        with open(f"/proc/{self.pid}/net/{name}") as f:
                            next(f)
                            for line in f:
                                parts = line.split()
                                if parts[1].endswith(want) and parts[3] == "0A":
                                    return
                    except OSError:
                        pass
            time.sleep(0.01)
        raise MeasurementError(f"{self.label} not listening on TCP {port} after {timeout} s: "
                               f"{self.stderr_tail()}")

    def cpu_seconds(self):
        if self.rusage_cpu is not None:
            return self.rusage_cpu
        try:
            return proc_cpu_seconds(self.pid)
        except OSError as e:
            raise MeasurementError(f"{self.label}: cannot read CPU time ({e})") from e

    def reap(self, timeout):
        """Waits for the process to exit by itself; records its rusage. False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self._exited(status, ru)
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)

    def _exited(self, status, ru):
        self.returncode = os.waitstatus_to_exitcode(status)
        self.popen.returncode = self.returncode
        self.rusage_cpu = ru.ru_utime + ru.ru_stime

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        if self.alive():
            try:
                os.kill(self.pid, sig)
                if not self.reap(timeout):
                    os.kill(self.pid, signal.SIGKILL)
                    self.reap(5)
            except (ChildProcessError, ProcessLookupError):
                pass
        if self._thread:
            self._thread.join(2)
        return self.returncode

    def stderr_tail(self, n=5):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return " | ".join(f.read().splitlines()[-n:])
        except OSError:
            return ""


class Client:
    """A process that runs to completion in the lab (started at once; wait() collects it).
    stdout and stderr go to LABEL.stdout / LABEL.stderr in log_dir."""

    def __init__(self, lab, host, label, cmd, log_dir, role="client", cwd=None, env=None):
        self.label = label
        self.out_path = os.path.join(log_dir, label + ".stdout")
        self.err_path = os.path.join(log_dir, label + ".stderr")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.t0 = time.monotonic()
            self.t0_epoch = time.time()  # to compare with time stamps in a tool's output
            self.popen = subprocess.Popen(lab.argv(host, role, cmd), stdin=subprocess.DEVNULL,
                                          stdout=out, stderr=err, start_new_session=True,
                                          cwd=cwd, env=env)
        self.pid = self.popen.pid

    def wait(self, timeout):
        """Waits for the exit (SIGKILL after `timeout` seconds from the start, then
        MeasurementError). Returns (exit code, CPU seconds from wait4 rusage, wall seconds from
        the start, stdout text)."""
        p = self.popen
        killed = []

        def kill():
            killed.append(True)
            try:
                os.kill(p.pid, signal.SIGKILL)  # not reaped yet (only wait4 below reaps)
            except ProcessLookupError:
                pass

        timer = threading.Timer(max(0.0, timeout - (time.monotonic() - self.t0)), kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.monotonic() - self.t0
        p.returncode = os.waitstatus_to_exitcode(status)
        with open(self.out_path, errors="replace") as f:
            text = f.read()
        if killed:
            raise MeasurementError(f"{self.label}: killed after {timeout:.0f} s")
        return p.returncode, ru.ru_utime + ru.ru_stime, wall, text

    def kill(self):
        """SIGKILL and reap, if still running (for clean-up after a failure)."""
        if self.popen.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                self.popen.returncode = -9
            except (ProcessLookupError, ChildProcessError):
                pass


def run_client(lab, host, label, cmd, log_dir, timeout, role="client"):
    """Runs a client to completion in the lab. Returns (exit code, CPU seconds from wait4
    rusage, wall seconds, stdout text)."""
    return Client(lab, host, label, cmd, log_dir, role=role).wait(timeout)


def stderr_of(log_dir, label, n=5):
    try:
        with open(os.path.join(log_dir, label + ".stderr"), errors="replace") as f:
            return " | ".join(f.read().splitlines()[-n:])
    except OSError:
        return ""


def json_lines(text):
    out = []
    for line in text.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def default_lp2p():
    """The newest of build/bin/lp2p and build/ci/bin/lp2p that exists."""
    cands = [os.path.join(ROOT, p, "lp2p") for p in ("build/bin", "build/ci/bin")]
    have = [c for c in cands if os.access(c, os.X_OK)]
    return max(have, key=os.path.getmtime) if have else cands[0]


def has_subcommand(lp2p, name):
    """Whether `lp2p --help` lists the subcommand (`lp2p NAME --help` succeeds even without
    it: CLI11 prints the main help)."""
    try:
        r = subprocess.run([lp2p, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30, check=False)
    except OSError:
        return False
    return re.search(rf"^\s+{re.escape(name)}\s", r.stdout.decode(errors="replace"),
                     re.M) is not None


def launcher_cpu_ms(lab, role="client"):
    """Median CPU cost of the launcher (taskset + ip netns exec) of one process, in ms."""
    vals = []
    for _ in range(5):
        p = subprocess.Popen(lab.argv(lab.hosts[0], role, ["/bin/true"]))
        _, _, ru = os.wait4(p.pid, 0)
        p.returncode = 0
        vals.append((ru.ru_utime + ru.ru_stime) * 1e3)
    return statistics.median(vals)


def remove_stale(lab_script, prefix_base, shm_pattern=None, on_dir=None):
    """Removes labs (prefix PREFIX_BASE-PID) and /dev/shm entries (shm_pattern: a regular
    expression whose group 1 is the PID) left by a benchmark that was killed (its PID is gone).
    on_dir(path) is called before a stale /dev/shm directory is removed (e.g. to unmount it)."""
    try:
        names = os.listdir("/run/lp2p-lab")
    except OSError:
        names = []
    for name in names:
        m = re.fullmatch(rf"{re.escape(prefix_base)}-(\d+)", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            subprocess.run([lab_script, "down"], env=dict(os.environ, LP2P_LAB_PREFIX=name),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if shm_pattern is None:
        return
    for name in os.listdir("/dev/shm"):
        m = re.fullmatch(shm_pattern, name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            path = os.path.join("/dev/shm", name)
            if on_dir:
                on_dir(path)
            shutil.rmtree(path, ignore_errors=True)


def start_nginx(lab, host, d, data_dir, port, log_dir, san_ips, role="server"):
    """nginx serving data_dir over HTTPS on `port` in lab host `host`: own configuration in d,
    one process (daemon off, master_process off), TLS 1.3 only, a fresh self-signed P-256
    certificate for the IP addresses san_ips, sendfile on. Returns (Server, certificate path);
    it is listening when this returns."""
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    key = os.path.join(d, "key.pem")
    cert = os.path.join(d, "cert.pem")
    san = ",".join(f"IP:{ip}" for ip in san_ips)
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=lp2p-bench", "-addext",
                        f"subjectAltName={san}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if r.returncode != 0:
        raise MeasurementError("openssl req failed: " + r.stdout.decode(errors="replace"))
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""# written by bench/benchlib.py
daemon off;
master_process off;
worker_processes 1;
error_log {d}/error.log warn;
pid {d}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 5;
    server {{
        listen {port} ssl;
        listen [::]:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.3;
        root {data_dir};
        location / {{ }}
    }}
}}
""")
    nginx = Server(lab, host, "nginx", ["nginx", "-e", os.path.join(d, "error.log"), "-p", d + "/",
                                        "-c", conf], log_dir, json_lines=False, role=role)
    nginx.stderr_path = os.path.join(d, "error.log")
    nginx.wait_tcp_listen(port)
    return nginx, cert
