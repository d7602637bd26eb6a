#!/usr/bin/python3
"""File-transfer benchmark: `lp2p send` / `lp2p receive` against nginx HTTPS, scp and
magic-wormhole, across the network namespaces of a private test lab.

How to run (root: it builds its own lab; Debian's /usr/bin/python3; the packages of scripts/setup):

    sudo /usr/bin/python3 bench/files_bench.py                        # 1 GiB, 10 000 files, 5 runs
    sudo /usr/bin/python3 bench/files_bench.py --bytes 256M --files 2000 --runs 3
    sudo /usr/bin/python3 bench/files_bench.py --only big --bytes 1G --runs 3
    sudo /usr/bin/python3 bench/files_bench.py --only tree,scp
    sudo /usr/bin/python3 bench/files_bench.py --smoke                # tiny sizes, 1 run

What it measures (see bench/README.md, "Files"); everything is sent from lab host a:
  big    one random file of --bytes (default 1 GiB) to host b, written into a tmpfs:
           https     nginx (own config, TLS 1.3 only, sendfile) on a -> `curl -o FILE` on b
           scp       sshd (own config, host key, port, throwaway key) on a <- `scp` on b (SFTP)
           wormhole  `wormhole send` on a -> `wormhole receive` on b, with a mailbox server and
                     a transit relay on host c and a preset code
           lp2p      `lp2p send` on a -> `lp2p receive --once` on b (paired beforehand)
         GB/s = bytes / wall time of the transfer (the client process from start to exit; for
         wormhole from starting both ends to the last exit), CPU-s per GiB of both ends, ratios
         lp2p/https (goal >= 1), lp2p/scp, lp2p/wormhole (goal >= 3).
  tree   --files (default 10 000) files of 4 KiB in nested folders (about sqrt(N) folders of
         sqrt(N) files) from a to b: `scp -r` and lp2p; files/s and lp2p/scp (goal >= 2).
  group  one file of --bytes from a to b, c, d and e at once: `lp2p send --group`, and four
         scp clients in parallel for comparison; aggregate GB/s = bytes delivered / wall time.
Every received file is checked (SHA-256, untimed; for the tree one hash over the sorted list of
path + SHA-256) and removed before the next run.

Hygiene: runs are interleaved (run i of every part and tool before run i + 1), medians of --runs
(default 5); sender-side processes pinned to CPU 0, receiver-side to CPU 1 (taskset; the group
part, with five processes on two CPUs, is not pinned); the CPU use of other work is sampled
before and after and the load average printed.

The lab (LP2P_LAB_PREFIX=fb-PID), the tmpfs (/dev/shm/lp2p-files-bench-PID) and every server are
removed at the end, also on Ctrl-C / SIGTERM. Exit status: 0 when every selected part was
measured (parts whose lp2p command is missing are listed as SKIPPED), 1 when a measurement
failed, 77 without root or when a baseline tool is missing (with --skip-missing, the tools that
are missing are SKIPPED instead, and 77 only when nothing is left to run).
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import (GIB, SKIP, Client, Lab, MeasurementError, Server, cpu_busy_percent,
                      csv_choice, default_lp2p, dist, has_subcommand, human_bytes, json_lines,
                      launcher_cpu_ms, loadavg, make_random_file, parse_size, remove_stale,
                      sha256_file, start_nginx, stderr_of, tool_version)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PREFIX_BASE = "fb"
SHM_PREFIX = "lp2p-files-bench"
FILE_SIZE = 4096

PORT_HTTPS = 8443
PORT_SSH = 2222
PORT_MAILBOX = 4000
PORT_TRANSIT = 4001

PARTS = ("big", "tree", "group")
TOOLS = ("https", "scp", "wormhole", "lp2p")
PART_TOOLS = {"big": ("https", "scp", "wormhole", "lp2p"),
              "tree": ("scp", "lp2p"),
              "group": ("lp2p", "scp")}
GOALS = {("big", "https"): 1.0, ("big", "wormhole"): 3.0, ("tree", "scp"): 2.0}
GROUP_HOSTS = "bcde"
SENDER_NAME = "Kitchen"
DEBIAN_PYTHON = "/usr/bin/python3"


def receiver_name(host):
    return f"Laptop-{host}"


# ------------------------------------------------------------------------------------------------
# Data


def make_tree(root, count, size=FILE_SIZE):
    """`count` random files of `size` bytes in about sqrt(count) folders of sqrt(count) files
    (d000/f0000.bin ...). Returns the number of folders."""
    per_dir = max(1, round(count ** 0.5))
    made = 0
    d = 0
    while made < count:
        sub = os.path.join(root, f"d{d:03d}")
        os.makedirs(sub, exist_ok=True)
        for i in range(min(per_dir, count - made)):
            with open(os.path.join(sub, f"f{i:04d}.bin"), "wb") as f:
                f.write(os.urandom(size))
        made += min(per_dir, count - made)
        d += 1
    return d


def manifest(root, prefix=""):
    """(files, bytes, digest): digest = SHA-256 over the sorted lines 'PREFIX + relative path
    NUL SHA-256 of the content LF' of every regular file under root."""
    lines, total = [], 0
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            if not os.path.isfile(p) or os.path.islink(p):
                continue
            with open(p, "rb") as f:
                data = f.read()
            total += len(data)
            lines.append(f"{prefix}{os.path.relpath(p, root)}\0{hashlib.sha256(data).hexdigest()}\n")
    lines.sort()
    return len(lines), total, hashlib.sha256("".join(lines).encode()).hexdigest()


def clean_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    os.chmod(path, 0o755)


def wait_no_children(pid, timeout=5.0):
    """Waits until process pid has no children left (they have exited and been reaped, so their
    CPU time is in its cutime/cstime)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            kids = ""
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids += f.read().strip()
        except OSError:
            return
        if not kids:
            return
        time.sleep(0.01)


def whole_transfer(what, done, expect_bytes):
    """A 'done' event of lp2p send must stand for a whole transfer: every byte sent, nothing
    skipped as already there or resumed (each run starts with an empty directory), no failure."""
    problems = []
    sent = done.get("bytes_sent")
    if isinstance(sent, int) and sent < expect_bytes:
        problems.append(f"bytes_sent {sent} < {expect_bytes}")
    for key in ("have", "bytes_resumed", "failed"):
        if done.get(key):
            problems.append(f"{key} {done[key]}")
    if problems:
        raise MeasurementError(f"{what}: not a whole transfer: {', '.join(problems)}")


def phases(events, t0_epoch, wall):
    """Where lp2p send's wall time went, from its events' "time" stamps (seconds since the
    epoch): process start -> first 'connected' (start-up, finding the peer over mDNS, QUIC),
    -> last 'done' (offer, transfer, the receiver's checks), -> process exit."""
    def first(kind, last=False):
        ts = [o["time"] for o in events if o.get("event") == kind
              and isinstance(o.get("time"), (int, float))]
        return (max(ts) if last else min(ts)) if ts else None
    conn, done = first("connected"), first("done", last=True)
    if conn is None or done is None:
        return None
    return {"to_connected_s": conn - t0_epoch, "connected_to_done_s": done - conn,
            "done_to_exit_s": wall - (done - t0_epoch)}


# ------------------------------------------------------------------------------------------------
# The benchmark


class Bench:
    def __init__(self, args, lab, work, data):
        self.args = args
        self.lab = lab
        self.work = work
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.data = data                                   # the tmpfs
        self.src = os.path.join(data, "src")
        self.big = os.path.join(self.src, "big.bin")
        self.tree = os.path.join(self.src, "tree")
        self.big_sha = None
        self.tree_manifest = None                          # relative to src: tree/d000/...
        self.tree_manifest_inner = None                    # relative to src/tree: d000/...
        self.nginx = self.cert = None
        self.sshd = None
        self.mailbox = self.transit = None
        self.counter = 0
        self.errors = []
        self.lp2p_paired = set()
        self.env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")

    def label(self, name):
        self.counter += 1
        return f"{self.counter:04d}-{name}"

    def dest(self, host):
        return os.path.join(self.data, f"recv-{host}")

    def timeout_bytes(self, n):
        return 60 + n / 20e6

    def timeout_files(self, n):
        return 60 + n / 100

    # ---- checks --------------------------------------------------------------------------------
    def check_big(self, tool, path):
        """Untimed: SHA-256 of the received file against the sent one. A receiver that puts the
        file in a subfolder of its directory (e.g. one per sender) is accepted: the one file of
        that name under it is checked."""
        if not os.path.exists(path):
            found = [os.path.join(d, n) for d, _, ns in os.walk(os.path.dirname(path))
                     for n in ns if n == os.path.basename(path)]
            if len(found) != 1:
                raise MeasurementError(f"{tool}: no file at {path}"
                                       + (f" (but {found})" if found else ""))
            path = found[0]
        size = os.path.getsize(path)
        if size != self.args.bytes:
            raise MeasurementError(f"{tool}: received {size} bytes, not {self.args.bytes}")
        got = sha256_file(path)
        if got != self.big_sha:
            raise MeasurementError(f"{tool}: SHA-256 of the received file {got[:16]}... differs "
                                   f"from the sent one {self.big_sha[:16]}...")

    def check_tree(self, tool, dest):
        n, size, digest = manifest(dest)
        if digest in (self.tree_manifest[2], self.tree_manifest_inner[2]):
            return
        raise MeasurementError(f"{tool}: received tree differs: {n} files, {size} bytes under "
                               f"{dest} (sent {self.tree_manifest[0]} files, "
                               f"{self.tree_manifest[1]} bytes)")

    # ---- nginx HTTPS -> curl -------------------------------------------------------------------
    def start_nginx(self):
        self.nginx, self.cert = start_nginx(self.lab, "a", os.path.join(self.work, "nginx"),
                                            self.src, PORT_HTTPS, self.logs, [self.lab.addr["a"]],
                                            role="send")

    def run_https(self):
        if self.nginx is None or not self.nginx.alive():
            raise MeasurementError(f"nginx is not running: {self.nginx.stderr_tail()}")
        dest = self.dest("b")
        clean_dir(dest)
        out_file = os.path.join(dest, "big.bin")
        before = self.nginx.cpu_seconds()
        label = self.label("https-curl")
        rc, cpu_r, wall, out = Client(
            self.lab, "b", label,
            ["curl", "--cacert", self.cert, "--capath", "/nonexistent", "--http1.1", "-sS",
             "--fail", "-o", out_file, "-w", "%{json}",
             f"https://{self.lab.addr['a']}:{PORT_HTTPS}/big.bin"],
            self.logs, role="recv").wait(self.timeout_bytes(self.args.bytes))
        after = self.nginx.cpu_seconds()
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        if rc != 0:
            raise MeasurementError(f"https: curl exit {rc}: {stderr_of(self.logs, label)}")
        self.check_big("https", out_file)
        clean_dir(dest)
        return {"bytes": self.args.bytes, "wall_s": wall, "cpu_send_s": after - before,
                "cpu_recv_s": cpu_r, "curl_speed_download": j.get("speed_download"),
                "curl_time_appconnect_s": j.get("time_appconnect")}

    # ---- sshd <- scp ---------------------------------------------------------------------------
    def start_sshd(self):
        d = os.path.join(self.work, "ssh")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o700)
        for key in ("host_ed25519", "client_ed25519"):
            r = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lp2p-bench",
                                "-f", os.path.join(d, key)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
            if r.returncode != 0:
                raise MeasurementError("ssh-keygen failed: " + r.stdout.decode(errors="replace"))
        shutil.copy(os.path.join(d, "client_ed25519.pub"), os.path.join(d, "authorized_keys"))
        with open(os.path.join(d, "host_ed25519.pub")) as f:
            host_pub = " ".join(f.read().split()[:2])
        self.known_hosts = os.path.join(d, "known_hosts")
        with open(self.known_hosts, "w") as f:
            f.write(f"[{self.lab.addr['a']}]:{PORT_SSH} {host_pub}\n")
        self.ssh_key = os.path.join(d, "client_ed25519")
        conf = os.path.join(d, "sshd_config")
        with open(conf, "w") as f:
            f.write(f"""# written by bench/files_bench.py: an sshd of the benchmark's own, in lab host a
Port {PORT_SSH}
ListenAddress {self.lab.addr['a']}
HostKey {d}/host_ed25519
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel ERROR
# internal-sftp: no shell start per connection (this machine's root .bashrc, which bash
# sources for sshd commands, costs ~1 s); the same SFTP server code as sftp-server
Subsystem sftp internal-sftp
""")
        # sshd insists on its privilege separation directory (the Debian service creates it).
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.sshd = Server(self.lab, "a", "sshd", ["/usr/sbin/sshd", "-D", "-e", "-f", conf],
                           self.logs, json_lines=False, role="send")
        self.sshd.wait_tcp_listen(PORT_SSH)

    def scp_argv(self, *args):
        return ["scp", "-q", "-F", "/dev/null", "-P", str(PORT_SSH), "-i", self.ssh_key,
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-o", "UpdateHostKeys=no", *args]

    def sshd_cpu(self):
        wait_no_children(self.sshd.pid)
        return self.sshd.cpu_seconds()

    def check_sshd(self):
        if self.sshd is None or not self.sshd.alive():
            raise MeasurementError(f"sshd is not running: {self.sshd.stderr_tail()}")

    def run_scp(self):
        self.check_sshd()
        dest = self.dest("b")
        clean_dir(dest)
        before = self.sshd_cpu()
        label = self.label("scp")
        rc, cpu_r, wall, _ = Client(
            self.lab, "b", label,
            self.scp_argv(f"root@{self.lab.addr['a']}:{self.big}", os.path.join(dest, "big.bin")),
            self.logs, role="recv").wait(self.timeout_bytes(self.args.bytes))
        after = self.sshd_cpu()
        if rc != 0:
            raise MeasurementError(f"scp: exit {rc}: {stderr_of(self.logs, label)}")
        self.check_big("scp", os.path.join(dest, "big.bin"))
        clean_dir(dest)
        return {"bytes": self.args.bytes, "wall_s": wall, "cpu_send_s": after - before,
                "cpu_recv_s": cpu_r}

    def run_scp_tree(self):
        self.check_sshd()
        dest = self.dest("b")
        clean_dir(dest)
        before = self.sshd_cpu()
        label = self.label("scp-r")
        rc, cpu_r, wall, _ = Client(
            self.lab, "b", label,
            self.scp_argv("-r", f"root@{self.lab.addr['a']}:{self.tree}", dest + "/"),
            self.logs, role="recv").wait(self.timeout_files(self.args.files))
        after = self.sshd_cpu()
        if rc != 0:
            raise MeasurementError(f"scp -r: exit {rc}: {stderr_of(self.logs, label)}")
        self.check_tree("scp -r", dest)
        clean_dir(dest)
        return {"files": self.args.files, "bytes": self.tree_manifest[1], "wall_s": wall,
                "cpu_send_s": after - before, "cpu_recv_s": cpu_r}

    def run_scp_group(self):
        """Four scp clients (hosts b..e) pulling the file from a's sshd at once."""
        self.check_sshd()
        for h in GROUP_HOSTS:
            clean_dir(self.dest(h))
        before = self.sshd_cpu()
        t0 = time.monotonic()
        clients = [Client(self.lab, h, self.label(f"scp-group-{h}"),
                          self.scp_argv(f"root@{self.lab.addr['a']}:{self.big}",
                                        os.path.join(self.dest(h), "big.bin")),
                          self.logs, role=None) for h in GROUP_HOSTS]
        results = []
        try:
            for c in clients:
                results.append(c.wait(self.timeout_bytes(self.args.bytes * len(GROUP_HOSTS))))
        finally:
            for c in clients:
                c.kill()
        wall = max(c.t0 + r[2] for c, r in zip(clients, results)) - t0
        after = self.sshd_cpu()
        bad = [f"{h}: exit {r[0]}: {stderr_of(self.logs, c.label)}"
               for h, c, r in zip(GROUP_HOSTS, clients, results) if r[0] != 0]
        if bad:
            raise MeasurementError("scp group: " + "; ".join(bad))
        for h in GROUP_HOSTS:
            self.check_big(f"scp group ({h})", os.path.join(self.dest(h), "big.bin"))
            clean_dir(self.dest(h))
        return {"bytes": self.args.bytes * len(GROUP_HOSTS), "peers": len(GROUP_HOSTS),
                "wall_s": wall, "cpu_send_s": after - before,
                "cpu_recv_s": sum(r[1] for r in results)}

    # ---- magic-wormhole ------------------------------------------------------------------------
    def start_wormhole_servers(self):
        d = os.path.join(self.work, "wormhole")
        os.makedirs(d, exist_ok=True)
        c = self.lab.addr["c"]
        self.mailbox = Server(self.lab, "c", "wormhole-mailbox",
                              ["/usr/bin/twist3", "wormhole-mailbox",
                               f"--port=tcp:{PORT_MAILBOX}:interface={c}",
                               f"--channel-db={d}/mailbox.sqlite"],
                              self.logs, json_lines=False, role=None, cwd=d, env=self.env)
        self.transit = Server(self.lab, "c", "wormhole-transit-relay",
                              ["/usr/bin/twist3", "transitrelay",
                               f"--port=tcp:{PORT_TRANSIT}:interface={c}"],
                              self.logs, json_lines=False, role=None, cwd=d, env=self.env)
        self.mailbox.wait_tcp_listen(PORT_MAILBOX, timeout=30)
        self.transit.wait_tcp_listen(PORT_TRANSIT, timeout=30)

    def wormhole_argv(self, *args):
        c = self.lab.addr["c"]
        return ["/usr/bin/wormhole", "--relay-url", f"ws://{c}:{PORT_MAILBOX}/v1",
                "--transit-helper", f"tcp:{c}:{PORT_TRANSIT}", *args]

    def run_wormhole(self):
        for s in (self.mailbox, self.transit):
            if s is None or not s.alive():
                raise MeasurementError(f"wormhole servers are not running: "
                                       f"{s and s.stderr_tail()}")
        dest = self.dest("b")
        clean_dir(dest)
        self.counter += 1
        code = f"{self.counter}-lp2p-bench"
        relay_before = self.transit.cpu_seconds()
        t0 = time.monotonic()
        timeout = self.timeout_bytes(self.args.bytes)
        send = Client(self.lab, "a", self.label("wormhole-send"),
                      self.wormhole_argv("send", "--hide-progress", "--code", code, self.big),
                      self.logs, role="send", env=self.env)
        recv = Client(self.lab, "b", self.label("wormhole-receive"),
                      self.wormhole_argv("receive", "--hide-progress", "--accept-file",
                                         "--output-file", os.path.join(dest, "big.bin"), code),
                      self.logs, role="recv", cwd=dest, env=self.env)
        try:
            rs = send.wait(timeout)
            rr = recv.wait(timeout)
        finally:
            send.kill()
            recv.kill()
        wall = max(send.t0 + rs[2], recv.t0 + rr[2]) - t0
        relay_cpu = self.transit.cpu_seconds() - relay_before
        if rs[0] != 0 or rr[0] != 0:
            raise MeasurementError(f"wormhole: send exit {rs[0]} ({stderr_of(self.logs, send.label)})"
                                   f", receive exit {rr[0]} ({stderr_of(self.logs, recv.label)})")
        path = None
        with open(recv.err_path, errors="replace") as f:
            m = re.search(r"Receiving \(->?([^)]*)\)", f.read())
        if m:
            path = "relay" if self.lab.addr["c"] in m.group(1) else "direct"
        self.check_big("wormhole", os.path.join(dest, "big.bin"))
        clean_dir(dest)
        return {"bytes": self.args.bytes, "wall_s": wall, "cpu_send_s": rs[1], "cpu_recv_s": rr[1],
                "receive_wall_s": rr[2], "path": path, "relay_cpu_s": relay_cpu}

    # ---- lp2p ----------------------------------------------------------------------------------
    def state(self, host):
        return os.path.join(self.work, "lp2p-state", host)

    def pair(self, host):
        """Pairs host a (Kitchen) with `host` (Laptop-HOST): `lp2p advertise` on host shows a
        code, `lp2p pair` on a reads it on its standard input (as bench/pairing_bench.py)."""
        lp2p = self.args.lp2p
        name = receiver_name(host)
        agent = Server(self.lab, host, self.label(f"lp2p-advertise-{host}"),
                       [lp2p, "advertise", "--json", "--name", name, "--state-dir",
                        self.state(host)], self.logs, role=None)
        try:
            if agent.wait_for(lambda o: o.get("event") != "non-json", 20) is None:
                raise MeasurementError(f"lp2p advertise on {host} printed nothing in 20 s: "
                                       f"{agent.stderr_tail()}")
            label = self.label(f"lp2p-pair-{host}")
            with open(os.path.join(self.logs, label + ".stderr"), "wb") as err:
                p = subprocess.Popen(self.lab.argv("a", None, [
                    lp2p, "pair", name, "--json", "--name", SENDER_NAME, "--state-dir",
                    self.state("a")]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                    text=True, start_new_session=True)
            shown = agent.wait_for(lambda o: o.get("event") == "pairing-code", 30)
            if shown is None:
                p.kill()
                out, _ = p.communicate()
                raise MeasurementError(f"lp2p pair {name}: no pairing-code on {host} in 30 s "
                                       f"(pair said: {out.strip()[-300:]} "
                                       f"{stderr_of(self.logs, label)})")
            out, _ = p.communicate(shown[1]["code"] + "\n", timeout=60)
            with open(os.path.join(self.logs, label + ".stdout"), "w") as f:
                f.write(out)
            if p.returncode != 0 or not any(o.get("event") in ("paired", "already-paired")
                                            for o in json_lines(out)):
                raise MeasurementError(f"lp2p pair {name}: exit {p.returncode}: "
                                       f"{out.strip()[-300:]} {stderr_of(self.logs, label)}")
        finally:
            agent.stop(signal.SIGINT)
        self.lp2p_paired.add(host)

    def snapshot_states(self):
        """After pairing: keeps a copy of every lp2p state directory (keys, paired peers)."""
        for h in ["a", *sorted(self.lp2p_paired)]:
            shutil.copytree(self.state(h), self.state(h) + ".paired")

    def restore_states(self, hosts):
        """Before an lp2p run: the state of the sender and of `hosts` as right after pairing,
        so that no run profits from (or trips over) what an earlier run left in the stores
        (hash caches, resume records): every run is a first transfer."""
        for h in ["a", *hosts]:
            shutil.rmtree(self.state(h), ignore_errors=True)
            shutil.copytree(self.state(h) + ".paired", self.state(h))

    def start_receiver(self, host, role):
        dest = self.dest(host)
        clean_dir(dest)
        r = Server(self.lab, host, self.label(f"lp2p-receive-{host}"),
                   [self.args.lp2p, "receive", "--state-dir", self.state(host), "--name",
                    receiver_name(host), "--dir", dest, "--auto-accept", "trusted", "--once",
                    "--json"], self.logs, role=role)
        if r.wait_for(lambda o: o.get("event") == "listening", 20) is None:
            r.stop(signal.SIGINT)
            raise MeasurementError(f"lp2p receive on {host}: no 'listening' event in 20 s "
                                   f"(exit {r.returncode}): {r.stderr_tail()}")
        return r

    def finish_receiver(self, r, host, expect_bytes, timeout=30):
        """Waits for `lp2p receive --once` to exit; returns its 'done' event and CPU seconds."""
        if not r.reap(timeout):
            r.stop(signal.SIGINT)
            raise MeasurementError(f"lp2p receive on {host} did not exit {timeout} s after the "
                                   f"sender: {r.stderr_tail()}")
        done = r.wait_for(lambda o: o.get("event") == "done", 2)
        errs = [o for _, o in r.lines if o.get("event") == "error"]
        if r.returncode != 0 or done is None:
            raise MeasurementError(f"lp2p receive on {host}: exit {r.returncode}, "
                                   f"{'no done event' if done is None else ''} "
                                   f"{errs[-1] if errs else r.stderr_tail()}")
        if done[1].get("bytes") != expect_bytes:
            raise MeasurementError(f"lp2p receive on {host}: done with {done[1].get('bytes')} "
                                   f"bytes, not {expect_bytes}")
        return done[1], r.cpu_seconds()

    def lp2p_send(self, targets, path, label, timeout, role):
        peer = ["--group", ",".join(targets)] if len(targets) > 1 else [targets[0]]
        c = Client(self.lab, "a", label,
                   [self.args.lp2p, "send", *peer, path, "--state-dir", self.state("a"),
                    "--name", SENDER_NAME, "--json"], self.logs, role=role)
        rc, cpu, wall, out = c.wait(timeout)
        events = json_lines(out)
        return rc, cpu, wall, events, c.t0_epoch

    def run_lp2p_one(self, path, expect_bytes, timeout, check):
        self.restore_states("b")
        recv = self.start_receiver("b", "recv")
        try:
            label = self.label("lp2p-send")
            rc, cpu_s, wall, events, t0 = self.lp2p_send([receiver_name("b")], path, label,
                                                         timeout, "send")
            done = [o for o in events if o.get("event") == "done"]
            if rc != 0 or not done:
                errs = [o.get("message") for o in events if o.get("event") == "error"]
                raise MeasurementError(f"lp2p send: exit {rc}: "
                                       f"{errs[-1] if errs else stderr_of(self.logs, label)}")
            whole_transfer("lp2p send", done[-1], expect_bytes)
            rdone, cpu_r = self.finish_receiver(recv, "b", expect_bytes)
        finally:
            recv.stop(signal.SIGINT)
        check()
        clean_dir(self.dest("b"))
        d = done[-1]
        return {"wall_s": wall, "cpu_send_s": cpu_s, "cpu_recv_s": cpu_r,
                "send_seconds": d.get("seconds"), "bytes_sent": d.get("bytes_sent"),
                "receive_seconds": rdone.get("seconds"), "phases": phases(events, t0, wall),
                "done": d}

    def run_lp2p(self):
        r = self.run_lp2p_one(self.big, self.args.bytes, self.timeout_bytes(self.args.bytes),
                              lambda: self.check_big("lp2p", os.path.join(self.dest("b"),
                                                                          "big.bin")))
        return {"bytes": self.args.bytes, **r}

    def run_lp2p_tree(self):
        r = self.run_lp2p_one(self.tree, self.tree_manifest[1],
                              self.timeout_files(self.args.files),
                              lambda: self.check_tree("lp2p", self.dest("b")))
        return {"files": self.args.files, "bytes": self.tree_manifest[1], **r}

    def run_lp2p_group(self):
        recvs = {}
        self.restore_states(GROUP_HOSTS)
        try:
            for h in GROUP_HOSTS:
                recvs[h] = self.start_receiver(h, None)
            label = self.label("lp2p-send-group")
            n = len(GROUP_HOSTS)
            rc, cpu_s, wall, events, t0 = self.lp2p_send(
                [receiver_name(h) for h in GROUP_HOSTS], self.big, label,
                self.timeout_bytes(self.args.bytes * n), None)
            done = {o.get("peer"): o for o in events if o.get("event") == "done"}
            errs = [f"{o.get('peer')}: {o.get('message')}" for o in events
                    if o.get("event") == "error"]
            if rc != 0 or len(done) != n:
                raise MeasurementError(f"lp2p send --group: exit {rc}, {len(done)} of {n} peers "
                                       f"done: {'; '.join(errs) or stderr_of(self.logs, label)}")
            for p, d in done.items():
                whole_transfer(f"lp2p send --group ({p})", d, self.args.bytes)
            cpu_r = 0.0
            for h, r in recvs.items():
                cpu_r += self.finish_receiver(r, h, self.args.bytes)[1]
        finally:
            for r in recvs.values():
                r.stop(signal.SIGINT)
        for h in GROUP_HOSTS:
            self.check_big(f"lp2p group ({h})", os.path.join(self.dest(h), "big.bin"))
            clean_dir(self.dest(h))
        return {"bytes": self.args.bytes * n, "peers": n, "wall_s": wall, "cpu_send_s": cpu_s,
                "cpu_recv_s": cpu_r, "phases": phases(events, t0, wall),
                "send_seconds": {p: d.get("seconds") for p, d in done.items()},
                "bytes_sent": {p: d.get("bytes_sent") for p, d in done.items()}}

    def stop_servers(self):
        for s in (self.nginx, self.sshd, self.mailbox, self.transit):
            if s:
                try:
                    s.stop()
                except Exception:  # noqa: BLE001 - teardown must go on
                    pass


# ------------------------------------------------------------------------------------------------
# Runs, summary, report


def run_key(part, tool):
    return f"{part}/{tool}"


def measure(bench, plan, res):
    """plan: [(part, tool)], run in that order --runs times (interleaved)."""
    args = bench.args
    runners = {("big", "https"): bench.run_https, ("big", "scp"): bench.run_scp,
               ("big", "wormhole"): bench.run_wormhole, ("big", "lp2p"): bench.run_lp2p,
               ("tree", "scp"): bench.run_scp_tree, ("tree", "lp2p"): bench.run_lp2p_tree,
               ("group", "lp2p"): bench.run_lp2p_group, ("group", "scp"): bench.run_scp_group}
    runs = res.setdefault("runs", {})
    failures = {}
    for i in range(args.runs):
        for part, tool in plan:
            key = run_key(part, tool)
            if failures.get(key, 0) >= 2:
                continue  # failed twice: do not waste the remaining runs on it
            try:
                r = runners[(part, tool)]()
            except MeasurementError as e:
                bench.errors.append(f"run {i + 1} {key}: {e}")
                failures[key] = failures.get(key, 0) + 1
                print(f"  run {i + 1}/{args.runs} {key:14} FAILED: {e}", flush=True)
                continue
            r["run"] = i + 1
            runs.setdefault(key, []).append(r)
            rate = (f"{r['files'] / r['wall_s']:8.0f} files/s" if part == "tree"
                    else f"{r['bytes'] / r['wall_s'] / 1e9:6.3f} GB/s")
            extra = ""
            if tool == "lp2p" and isinstance(r.get("send_seconds"), (int, float)):
                extra = f", sender's seconds {r['send_seconds']:.2f}"
            if tool == "lp2p" and r.get("phases"):
                p = r["phases"]
                extra += (f" (start -> connected {p['to_connected_s']:.2f} s, -> done "
                          f"{p['connected_to_done_s']:.2f} s, -> exit {p['done_to_exit_s']:.2f} s)")
            if tool == "wormhole" and r.get("path"):
                extra = f", {r['path']} path"
            print(f"  run {i + 1}/{args.runs} {key:14} {rate}  wall {r['wall_s']:.2f} s  CPU send "
                  f"{r['cpu_send_s']:.2f} s, receive {r['cpu_recv_s']:.2f} s{extra}", flush=True)


def summarize(part, tool, runs):
    if part == "tree":
        rate = [r["files"] / r["wall_s"] for r in runs]
        per = [1000 / r["files"] for r in runs]          # CPU-s per 1000 files
    else:
        rate = [r["bytes"] / r["wall_s"] / 1e9 for r in runs]
        per = [GIB / r["bytes"] for r in runs]           # CPU-s per GiB delivered
    send = [r["cpu_send_s"] * k for r, k in zip(runs, per)]
    recv = [r["cpu_recv_s"] * k for r, k in zip(runs, per)]
    s = {"runs": len(runs), "rate": dist(rate),
         "unit": "files/s" if part == "tree" else "GB/s",
         "cpu": {"unit": "CPU-s per 1000 files" if part == "tree" else "CPU-s per GiB",
                 "send": statistics.median(send), "receive": statistics.median(recv),
                 "total": statistics.median([a + b for a, b in zip(send, recv)])}}
    if tool == "lp2p" and part != "group":
        secs = [r["send_seconds"] for r in runs if isinstance(r.get("send_seconds"), (int, float))
                and r["send_seconds"] > 0]
        if secs:
            v = [(r["files"] if part == "tree" else r["bytes"] / 1e9) / r["send_seconds"]
                 for r in runs if r.get("send_seconds")]
            s["rate_from_sender_seconds"] = dist(v)
    if tool == "lp2p":
        ph = [r["phases"] for r in runs if r.get("phases")]
        if ph:
            s["phases_median_s"] = {k: statistics.median(p[k] for p in ph) for k in ph[0]}
    if tool == "wormhole":
        s["paths"] = sorted({str(r.get("path")) for r in runs})
    return s


def finish(res):
    runs = res.get("runs")
    if not runs:
        return
    res["summary"] = {k: summarize(*k.split("/"), v) for k, v in runs.items() if v}
    ratios = {}
    for part in PARTS:
        lp = res["summary"].get(run_key(part, "lp2p"))
        if not lp:
            continue
        for base in PART_TOOLS[part]:
            b = res["summary"].get(run_key(part, base))
            if base == "lp2p" or not b or b["rate"]["median"] <= 0:
                continue
            name = f"{part}: lp2p/{base}{' x4' if part == 'group' else ''}"
            r = {"ratio": lp["rate"]["median"] / b["rate"]["median"],
                 "cpu_ratio": lp["cpu"]["total"] / b["cpu"]["total"]
                 if b["cpu"]["total"] > 0 else None}
            goal = GOALS.get((part, base))
            if goal is not None:
                r["goal"] = goal
                r["goal_met"] = r["ratio"] >= goal
            ratios[name] = r
    res["ratios"] = ratios


PART_TITLES = {
    "big": "one file of {size}, host a -> host b, written to tmpfs",
    "tree": "{files} files of 4 KiB in {dirs} folders, host a -> host b",
    "group": "one file of {size} from host a to hosts b, c, d, e at once (aggregate: bytes "
             "delivered / wall time; not pinned)",
}
TOOL_NOTES = {
    ("big", "https"): "nginx -> curl -o",
    ("big", "scp"): "scp (SFTP)",
    ("big", "wormhole"): "magic-wormhole",
    ("big", "lp2p"): "lp2p send",
    ("tree", "scp"): "scp -r",
    ("tree", "lp2p"): "lp2p send DIR",
    ("group", "lp2p"): "lp2p send --group",
    ("group", "scp"): "4 x scp at once",
}


def report(res):
    cfg, env = res["config"], res["environment"]
    out = ["", "=" * 100,
           f"lp2p file-transfer benchmark  {env['date']}  bytes={human_bytes(cfg['bytes'])}  "
           f"files={cfg['files']}  runs={cfg['runs']}  pin="
           + (f"send CPU {cfg['send_cpu']}, receive CPU {cfg['recv_cpu']}" if cfg["pin"]
              else "off"),
           f"machine: {env['cpus']} CPUs, kernel {env['kernel']}; CPU busy (other work) before "
           f"{env['busy_percent_start']:.0f} %, after {env.get('busy_percent_end', 0):.0f} %; "
           f"load average at start {' '.join(env['loadavg_start'])}, at end "
           f"{' '.join(env.get('loadavg_end', []))}",
           f"receiving directory: {env.get('tmpfs', '?')}; launcher (taskset + ip netns exec) CPU "
           f"per process: {env.get('launcher_cpu_ms', float('nan')):.1f} ms (included)", ""]
    summ = res.get("summary", {})
    for part in PARTS:
        keys = [run_key(part, t) for t in PART_TOOLS[part] if run_key(part, t) in summ]
        if not keys:
            continue
        out.append(f"{part}: " + PART_TITLES[part].format(size=human_bytes(cfg["bytes"]),
                                                          files=cfg["files"],
                                                          dirs=cfg.get("dirs", "?")))
        unit = "files/s" if part == "tree" else "GB/s"
        cpu_unit = "CPU-s/1000 files" if part == "tree" else "CPU-s/GiB"
        out.append(f"  {'tool':20} {'runs':>4} {'median ' + unit:>14} {'min':>9} {'max':>9}   "
                   f"{cpu_unit + ': send':>22} {'receive':>8} {'total':>7}")
        for k in keys:
            s = summ[k]
            tool = k.split("/")[1]
            g, c = s["rate"], s["cpu"]
            fmt = "{:>9.0f}" if part == "tree" else "{:>9.3f}"
            line = (f"  {TOOL_NOTES[(part, tool)]:20} {s['runs']:>4} "
                    + fmt.replace(">9", ">14").format(g["median"]) + " "
                    + fmt.format(g["min"]) + " " + fmt.format(g["max"])
                    + f"   {c['send']:>22.2f} {c['receive']:>8.2f} {c['total']:>7.2f}")
            if "paths" in s:
                line += f"   ({'/'.join(s['paths'])} path)"
            out.append(line)
            if "rate_from_sender_seconds" in s:
                v = s["rate_from_sender_seconds"]
                out.append(f"  {'':20} lp2p's own figure, from the sender's \"seconds\": median "
                           + (f"{v['median']:.0f} files/s" if part == "tree"
                              else f"{v['median']:.3f} GB/s")
                           + " (without process start and finding the peer)")
            if "phases_median_s" in s:
                p = s["phases_median_s"]
                out.append(f"  {'':20} lp2p's wall time, medians: start -> connected "
                           f"{p['to_connected_s']:.2f} s, connected -> done "
                           f"{p['connected_to_done_s']:.2f} s, done -> exit "
                           f"{p['done_to_exit_s']:.2f} s")
        for name, r in res.get("ratios", {}).items():
            if not name.startswith(part + ":"):
                continue
            goal = ""
            if "goal" in r:
                goal = f"   goal >= {r['goal']:g}x: {'MET' if r['goal_met'] else 'NOT MET'}"
            cpu = f", CPU {r['cpu_ratio']:.2f}" if r.get("cpu_ratio") else ""
            out.append(f"  ratio {name.split(': ', 1)[1]:18} {r['ratio']:.2f}x{cpu}{goal}")
        out.append("")
    if res["skipped"]:
        out.append("SKIPPED:")
        out += [f"  - {s}" for s in res["skipped"]]
    if res["errors"]:
        out.append("FAILED measurements:")
        out += [f"  - {e}" for e in res["errors"]]
    elif summ:
        out.append("All selected measurements completed; every received file was checked "
                   "(SHA-256).")
    if cfg["runs"] < 5 and summ:
        out.append(f"(only {cfg['runs']} run(s): indicative; use >= 5 for a result)")
    busy = max(env["busy_percent_start"], env.get("busy_percent_end", 0))
    if busy > 10:
        out.append(f"warning: the CPUs were {busy:.0f} % busy with other work before or after "
                   "the benchmark: numbers are noisy")
    out.append("=" * 100)
    print("\n".join(out), flush=True)


# ------------------------------------------------------------------------------------------------
# Main


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lp2p", help="the lp2p CLI (default: the newer of build/bin/lp2p and "
                    "build/ci/bin/lp2p)")
    ap.add_argument("--bytes", type=parse_size, default=GIB,
                    help="size of the file of the big and group parts (default 1G)")
    ap.add_argument("--files", type=int, default=10000,
                    help="number of 4 KiB files of the tree part (default 10000)")
    ap.add_argument("--runs", type=int, default=5, help="runs per part and tool (default 5)")
    ap.add_argument("--only", type=csv_choice(PARTS + TOOLS), default=[],
                    help="parts (big,tree,group) and/or tools (https,scp,wormhole,lp2p) to run; "
                    "default all; e.g. --only big or --only tree,scp")
    ap.add_argument("--json", dest="json_out",
                    default=os.path.join(ROOT, "build", "files-bench.json"),
                    help="JSON results file (default build/files-bench.json)")
    ap.add_argument("--smoke", action="store_true",
                    help="check that everything runs: 16 MiB, 200 files, 1 run")
    ap.add_argument("--skip-missing", action="store_true",
                    help="list baseline tools that are not installed as SKIPPED instead of "
                    "exiting with 77 (for ctest)")
    ap.add_argument("--keep-logs", action="store_true", help="keep the logs and state "
                    "directories also when everything succeeded")
    ap.add_argument("--pin", dest="pin", action="store_true", default=True,
                    help="pin the sending side to --send-cpu and the receiving side to "
                    "--recv-cpu (default)")
    ap.add_argument("--no-pin", dest="pin", action="store_false")
    ap.add_argument("--send-cpu", type=int, default=0)
    ap.add_argument("--recv-cpu", type=int, default=1)
    ap.add_argument("--lab", default=os.path.join(ROOT, "tests", "lab", "lab"))
    args = ap.parse_args()
    if args.smoke:
        args.bytes, args.files, args.runs = 16 << 20, 200, 1
    if args.runs < 1 or args.files < 1:
        ap.error("--runs and --files must be >= 1")
    args.lp2p = os.path.abspath(args.lp2p or default_lp2p())
    parts = [p for p in args.only if p in PARTS] or list(PARTS)
    tools = [t for t in args.only if t in TOOLS] or list(TOOLS)
    args.plan = [(p, t) for p in PARTS if p in parts for t in PART_TOOLS[p] if t in tools]
    if not args.plan:
        ap.error(f"--only {','.join(args.only)} selects nothing (tools per part: "
                 + "; ".join(f"{p}: {','.join(t)}" for p, t in PART_TOOLS.items()) + ")")
    ncpu = os.cpu_count() or 1
    if args.pin and (max(args.send_cpu, args.recv_cpu) >= ncpu or args.send_cpu == args.recv_cpu):
        ap.error(f"--send-cpu and --recv-cpu must be two different CPUs below {ncpu} (or --no-pin)")
    return args


def python_module_ok(module):
    try:
        r = subprocess.run([DEBIAN_PYTHON, "-c", f"import {module}"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def missing_for(tool):
    """What is missing to run a tool (commands or Debian packages), [] when it can run."""
    need = {"https": ["nginx", "curl", "openssl"],
            "scp": ["scp", "ssh-keygen", "/usr/sbin/sshd"],
            "wormhole": ["/usr/bin/wormhole", "/usr/bin/twist3"]}.get(tool, [])
    miss = [c for c in need if (shutil.which(c) if "/" not in c else
                                (c if os.access(c, os.X_OK) else None)) is None]
    if tool == "wormhole":
        for mod, pkg in (("wormhole_mailbox_server", "python3-magic-wormhole-mailbox-server"),
                         ("wormhole_transit_relay", "magic-wormhole-transit-relay")):
            if not python_module_ok(mod):
                miss.append(f"{pkg} (Python module {mod})")
    return miss


def preflight(args, res):
    if os.geteuid() != 0:
        print("files_bench: skipped: needs root (network namespaces, tmpfs)", flush=True)
        sys.exit(SKIP)
    for c in ("ip", "taskset", "mount"):
        if shutil.which(c) is None:
            print(f"files_bench: skipped: missing {c}", flush=True)
            sys.exit(SKIP)
    drop = set()
    missing = {}
    for tool in sorted({t for _, t in args.plan} - {"lp2p"}):
        m = missing_for(tool)
        if m:
            missing[tool] = m
    if missing:
        text = "; ".join(f"{t}: {' '.join(m)}" for t, m in missing.items())
        if not args.skip_missing:
            print(f"files_bench: skipped: baseline tools missing ({text}); run scripts/setup",
                  flush=True)
            sys.exit(SKIP)
        for t, m in missing.items():
            res["skipped"].append(f"{t}: not installed ({' '.join(m)}; run scripts/setup)")
            drop.add(t)
    if any(t == "lp2p" for _, t in args.plan):
        why = None
        if not os.access(args.lp2p, os.X_OK):
            why = f"{args.lp2p} not found (build the lp2p_cli target)"
        else:
            lacking = [c for c in ("receive", "send", "advertise", "pair")
                       if not has_subcommand(args.lp2p, c)]
            if lacking:
                why = f"lp2p has no {' or '.join(lacking)} command ({args.lp2p})"
        if why:
            res["skipped"].append(f"lp2p (every part): {why}")
            drop.add("lp2p")
    args.plan = [(p, t) for p, t in args.plan if t not in drop]
    if not args.plan:
        print("files_bench: skipped: nothing left to run", flush=True)
        for s in res["skipped"]:
            print(f"  - {s}")
        sys.exit(SKIP)


def environment(args):
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
            "kernel": platform.release(), "python": platform.python_version(),
            "loadavg_start": loadavg(), "busy_percent_start": cpu_busy_percent(),
            "versions": {"nginx": tool_version(["nginx", "-v"]),
                         "curl": tool_version(["curl", "-V"]),
                         "ssh": tool_version(["ssh", "-V"]),
                         "wormhole": tool_version(["/usr/bin/wormhole", "--version"]),
                         "lp2p": tool_version([args.lp2p, "--version"])},
            "lp2p": args.lp2p,
            "lp2p_mtime": (time.strftime("%Y-%m-%d %H:%M:%S",
                                         time.localtime(os.path.getmtime(args.lp2p)))
                           if os.path.exists(args.lp2p) else None)}


def tmpfs_size(args):
    parts = {p for p, _ in args.plan}
    n = 0
    if parts & {"big", "group"}:
        n += args.bytes                                        # the source
        n += args.bytes * (len(GROUP_HOSTS) if "group" in parts else 1)
    if "tree" in parts:
        n += 2 * args.files * (FILE_SIZE + 1024)               # source + copy, with metadata
    return n + (64 << 20)


def mount_tmpfs(path, size):
    """A private tmpfs for the run at path (falls back to a plain directory in /dev/shm, itself
    a tmpfs, when mounting is not allowed). Returns True when mounted."""
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", SHM_PREFIX, path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    os.chmod(path, 0o755)
    return r.returncode == 0


def unmount(path):
    if os.path.ismount(path):
        subprocess.run(["umount", "-l", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def prepare_data(bench, args, res):
    parts = {p for p, _ in args.plan}
    t0 = time.monotonic()
    os.makedirs(bench.src)
    if parts & {"big", "group"}:
        bench.big_sha = make_random_file(bench.big, args.bytes)
    if "tree" in parts:
        res["config"]["dirs"] = make_tree(bench.tree, args.files)
        bench.tree_manifest = manifest(bench.tree, "tree/")
        bench.tree_manifest_inner = manifest(bench.tree)
    subprocess.run(["chmod", "-R", "a+rX", bench.src], check=False)
    print(f"files_bench: wrote the data in {time.monotonic() - t0:.1f} s", flush=True)


def on_signal(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main():
    args = parse_args()
    res = {"config": {"bytes": args.bytes, "files": args.files, "file_size": FILE_SIZE,
                      "runs": args.runs, "plan": [run_key(p, t) for p, t in args.plan],
                      "pin": args.pin, "send_cpu": args.send_cpu, "recv_cpu": args.recv_cpu},
           "skipped": [], "errors": []}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    preflight(args, res)
    res["config"]["plan"] = [run_key(p, t) for p, t in args.plan]
    res["environment"] = environment(args)
    remove_stale(args.lab, PREFIX_BASE, rf"{SHM_PREFIX}-(\d+)", on_dir=unmount)
    pid = os.getpid()
    parts = {p for p, _ in args.plan}
    tools = {t for _, t in args.plan}
    hosts = 5 if "group" in parts else 3 if "wormhole" in tools else 2
    work = tempfile.mkdtemp(prefix=f"lp2p-files-bench-{pid}-")
    os.chmod(work, 0o755)
    data = f"/dev/shm/{SHM_PREFIX}-{pid}"
    lab = Lab(args.lab, f"{PREFIX_BASE}-{pid}", pin=args.pin,
              cpus={"send": args.send_cpu, "recv": args.recv_cpu}, hosts=hosts)
    bench = Bench(args, lab, work, data)
    bench.errors = res["errors"]
    interrupted = None
    mounted = False
    try:
        need = tmpfs_size(args)
        if need > 0.8 * mem_available():
            raise MeasurementError(f"not enough memory for the tmpfs: need {need >> 20} MiB, "
                                   f"{mem_available() >> 20} MiB available (smaller --bytes)")
        mounted = mount_tmpfs(data, need)
        res["environment"]["tmpfs"] = (f"{data} (tmpfs of its own, size {need >> 20} MiB)"
                                       if mounted else f"{data} (in /dev/shm: mount failed)")
        print(f"files_bench: lab {lab.prefix} ({hosts} hosts), work dir {work}, data {data}, "
              f"load average {' '.join(res['environment']['loadavg_start'])}", flush=True)
        prepare_data(bench, args, res)
        if "lp2p" in tools:
            # A copy: the build tree's binary may be rebuilt (rewritten) during a long run.
            snap = os.path.join(work, "lp2p")
            shutil.copy2(args.lp2p, snap)
            res["environment"]["lp2p_copied_to"] = args.lp2p = snap
        lab.up()
        res["environment"]["lab_addresses"] = dict(lab.addr)
        res["environment"]["launcher_cpu_ms"] = launcher_cpu_ms(lab, "recv")
        plan = list(args.plan)
        starts = [("https", bench.start_nginx), ("scp", bench.start_sshd),
                  ("wormhole", bench.start_wormhole_servers)]
        for tool, start in starts:
            if tool in tools:
                try:
                    start()
                except MeasurementError as e:
                    res["errors"].append(f"{tool}: could not start its server: {e}")
                    plan = [(p, t) for p, t in plan if t != tool]
        if "lp2p" in tools:
            try:
                t0 = time.monotonic()
                for h in sorted(set(GROUP_HOSTS) if ("group", "lp2p") in plan else {"b"}):
                    bench.pair(h)
                bench.snapshot_states()
                print(f"files_bench: lp2p paired a with {','.join(sorted(bench.lp2p_paired))} in "
                      f"{time.monotonic() - t0:.1f} s", flush=True)
            except MeasurementError as e:
                res["errors"].append(f"lp2p: pairing failed: {e}")
                plan = [(p, t) for p, t in plan if t != "lp2p"]
        measure(bench, plan, res)
    except MeasurementError as e:
        res["errors"].append(str(e))
    except KeyboardInterrupt as e:
        interrupted = str(e) or "SIGINT"
        res["errors"].append(f"interrupted ({interrupted})")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second signal must not cut the clean-up short
        bench.stop_servers()
        lab.down()
        if mounted:
            unmount(data)
        shutil.rmtree(data, ignore_errors=True)
        res["environment"]["loadavg_end"] = loadavg()
        res["environment"]["busy_percent_end"] = cpu_busy_percent()
        finish(res)
        res["ok"] = not res["errors"]
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump(res, f, indent=2)
    report(res)
    print(f"JSON results: {os.path.abspath(args.json_out)}")
    if res["errors"] or args.keep_logs:
        print(f"logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if res["errors"]:
        return 130 if interrupted else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
