#!/usr/bin/python3
"""Transport benchmark: lp2p's QUIC transport against iperf3 (TCP) and nginx HTTPS -> curl.

How to run (root: it builds a private test lab of network namespaces; Debian's /usr/bin/python3;
packages iperf3 and nginx from scripts/setup; build the lp2p tools first):

    sudo /usr/bin/python3 bench/transport_bench.py                  # 1 GiB x 5 runs, both places
    sudo /usr/bin/python3 bench/transport_bench.py --bytes 256M --runs 2
    sudo /usr/bin/python3 bench/transport_bench.py --only iperf3,https --where netns
    sudo /usr/bin/python3 bench/transport_bench.py --only setup --setup-count 100
    sudo /usr/bin/python3 bench/transport_bench.py --smoke          # 64 MiB x 1, ~10 s

What it measures (see bench/README.md, "Transport"):
  Bulk: one stream of --bytes, server on lab host a, client on host a over 127.0.0.1
  ("loopback") or on host b over the veth + bridge ("netns"). For every run the tools take turns
  (iperf3, https, lp2p, in each place), so drift on a noisy machine hits all of them alike.
  Reported: median GB/s (10^9 bytes/s) with min and max, and CPU-seconds per GiB of the server,
  the client and both (rusage of a process that exits; /proc/PID/stat before/after for a server
  that keeps running), and the ratios lp2p/https and lp2p/iperf3.
    iperf3  `iperf3 -s -1` / `iperf3 -c -n BYTES -J`; throughput = receiver bits_per_second.
    https   nginx (own config, TLS 1.3 only, P-256 self-signed certificate, sendfile on) serving
            a random file from /dev/shm; `curl --http1.1 -o /dev/null` (verifying the certificate
            with --cacert rather than -k); throughput = curl's speed_download. Content is
            checked once per place, untimed (SHA-256 of the downloaded stream against the
            served file).
    lp2p    `lp2p-quic-perf serve` / `lp2p-quic-perf send --no-hash` (one unidirectional
            stream, done when all is acknowledged); throughput = the sender's bytes_per_second.
            Content is checked once per place, untimed: a run that hashes on both ends, whose
            SHA-256 must agree (its throughput with hashing is reported too).
  Set-up: `lp2p advertise` on host a; `lp2p info HOST:PORT --count N` (connect -> agent-info
  received), median and p90 over N connections, loopback and netns, against the 5 ms goal. For
  reference, one curl process making N connections to nginx (Connection: close, no TLS
  resumption): TCP + TLS 1.3 handshake (time_appconnect) and GET of a 1 KiB file (time_total).

Hygiene: server pinned to CPU 0, client to CPU 1 (taskset; --no-pin to disable), medians of
--runs (default 5), the load average is printed at start and end. Processes are started with
`taskset -c CPU ip netns exec NS ...` (what `lab exec` does last; the lab script's own bash start
costs ~70 ms of CPU, which would be counted against the client).

The lab (LP2P_LAB_PREFIX=bt-PID) and the data file are always removed. Exit status: 0 when every
selected part was measured or skipped for a missing lp2p tool (listed as SKIPPED), 1 when a
measurement failed, 77 without root or without iperf3/nginx/curl/openssl.
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

from benchlib import (GIB, SKIP, Lab, MeasurementError, Server, cpu_busy_percent, csv_choice,
                      default_lp2p, dist, human_bytes, json_lines, launcher_cpu_ms, loadavg,
                      make_random_file, p90, parse_size, run_client, start_nginx, stderr_of,
                      tool_version)
from benchlib import remove_stale as remove_stale_labs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PREFIX_BASE = "bt"
SETUP_GOAL_MS = 5.0

PORT_IPERF = 5201
PORT_HTTPS = 8443
PORT_PERF = 4433   # UDP: lp2p-quic-perf serve
PORT_AGENT = 4434  # UDP: lp2p advertise (agent for the set-up measurement)

TOOLS = ("iperf3", "https", "lp2p")
PLACES = ("loopback", "netns")



class Bench:
    def __init__(self, args, lab, work):
        self.args = args
        self.lab = lab
        self.work = work
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.nginx = None
        self.cert = None
        self.perf = None
        self.perf_fp = None
        self.perf_ready = None
        self.data_sha = None
        self.counter = 0
        self.timeout = 30 + args.bytes / 20e6

    def label(self, name):
        self.counter += 1
        return f"{self.counter:03d}-{name}"

    def server_addr(self, where):
        return "127.0.0.1" if where == "loopback" else self.lab.addr["a"]

    @staticmethod
    def client_host(where):
        return "a" if where == "loopback" else "b"

    # ---- iperf3 --------------------------------------------------------------------------------
    def run_iperf3(self, where):
        n = self.args.bytes
        srv = Server(self.lab, "a", self.label(f"iperf3-server-{where}"),
                     ["iperf3", "-s", "-1", "-p", str(PORT_IPERF)], self.logs, json_lines=False)
        try:
            srv.wait_tcp_listen(PORT_IPERF)
            label = self.label(f"iperf3-client-{where}")
            rc, cpu_c, wall, out = run_client(
                self.lab, self.client_host(where), label,
                ["iperf3", "-c", self.server_addr(where), "-p", str(PORT_IPERF), "-n", str(n),
                 "-J"], self.logs, self.timeout)
            try:
                j = json.loads(out)
            except ValueError:
                j = {}
            if rc != 0 or "error" in j:
                raise MeasurementError(f"iperf3 {where}: exit {rc}: "
                                       f"{j.get('error') or stderr_of(self.logs, label)}")
            if not srv.reap(10):
                raise MeasurementError(f"iperf3 {where}: server did not exit after the test")
            recv = j["end"]["sum_received"]
            return {"bytes": int(recv["bytes"]), "bytes_per_second": recv["bits_per_second"] / 8,
                    "cpu_server_s": srv.cpu_seconds(), "cpu_client_s": cpu_c, "wall_s": wall,
                    "retransmits": j["end"].get("sum_sent", {}).get("retransmits")}
        finally:
            srv.stop()

    # ---- nginx HTTPS -> curl -------------------------------------------------------------------
    def start_nginx(self, data_dir):
        self.nginx, self.cert = start_nginx(self.lab, "a", os.path.join(self.work, "nginx"),
                                            data_dir, PORT_HTTPS, self.logs,
                                            ["127.0.0.1", self.lab.addr["a"]])

    def curl_tls(self):
        """curl verifying nginx's self-signed certificate (its subjectAltName holds the lab's
        server addresses): no -k, and no loading of the system CA bundle (~0.5 ms per process)."""
        return ["curl", "--cacert", self.cert, "--capath", "/nonexistent"]

    def https_url(self, where, name="data.bin"):
        return f"https://{self.server_addr(where)}:{PORT_HTTPS}/{name}"

    def verify_https(self, where):
        """Untimed: downloads the file once and compares its SHA-256 with the served file's.
        Also notes the negotiated TLS version and cipher (curl -v)."""
        cmd = self.lab.argv(self.client_host(where), "client",
                            [*self.curl_tls(), "--http1.1", "-sS", "--fail", "-v", "-o", "-",
                             self.https_url(where)])
        err_path = os.path.join(self.logs, self.label(f"https-verify-{where}") + ".stderr")
        h, size = hashlib.sha256(), 0
        with open(err_path, "wb") as err:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
            while chunk := p.stdout.read(8 << 20):
                h.update(chunk)
                size += len(chunk)
            rc = p.wait()
        with open(err_path, errors="replace") as f:
            m = re.search(r"SSL connection using (\S+) / (\S+)", f.read())
        ok = rc == 0 and size == self.args.bytes and h.hexdigest() == self.data_sha
        res = {"ok": ok, "bytes": size, "sha256": h.hexdigest(), "expected_sha256": self.data_sha,
               "tls": m.group(1) if m else None, "cipher": m.group(2) if m else None}
        if not ok:
            raise MeasurementError(f"https {where}: content check failed (curl exit {rc}, "
                                   f"{size} bytes, sha256 {h.hexdigest()[:16]}..., expected "
                                   f"{self.data_sha[:16]}...)")
        return res

    def run_https(self, where):
        if self.nginx is None or not self.nginx.alive():
            raise MeasurementError(f"nginx is not running: {self.nginx and self.nginx.stderr_tail()}")
        before = self.nginx.cpu_seconds()
        label = self.label(f"https-client-{where}")
        rc, cpu_c, wall, out = run_client(
            self.lab, self.client_host(where), label,
            [*self.curl_tls(), "--http1.1", "-sS", "--fail", "-o", "/dev/null", "-w", "%{json}",
             self.https_url(where)], self.logs, self.timeout)
        after = self.nginx.cpu_seconds()
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        if rc != 0 or j.get("size_download") != self.args.bytes:
            raise MeasurementError(f"https {where}: curl exit {rc}, {j.get('size_download')} of "
                                   f"{self.args.bytes} bytes: {stderr_of(self.logs, label)}")
        return {"bytes": j["size_download"], "bytes_per_second": float(j["speed_download"]),
                "cpu_server_s": after - before, "cpu_client_s": cpu_c, "wall_s": wall,
                "time_appconnect_s": j.get("time_appconnect"), "time_total_s": j.get("time_total")}

    # ---- lp2p-quic-perf ------------------------------------------------------------------------
    def cc_args(self):
        return ["--cc", self.args.cc] if self.args.cc else []

    def start_perf(self):
        state = os.path.join(self.work, "perf-server")
        self.perf = Server(self.lab, "a", self.label("lp2p-perf-server"),
                           [self.args.perf, "serve", "--port", str(PORT_PERF), "--state-dir", state,
                            *self.cc_args()], self.logs)
        r = self.perf.wait_for(lambda o: o.get("event") == "ready", 20)
        if r is None:
            raise MeasurementError("lp2p-quic-perf serve printed no ready line within 20 s: "
                                   + self.perf.stderr_tail())
        self.perf_ready = r[1]
        self.perf_fp = r[1].get("fp") or r[1].get("fingerprint")
        if not self.perf_fp:
            raise MeasurementError(f"lp2p-quic-perf serve: no fp in the ready line {r[1]}")

    def run_lp2p(self, where, verify=False):
        """Timed runs send with --no-hash (nginx and curl do not hash either); a verify run
        hashes on both ends and compares, untimed (like verify_https)."""
        if self.perf is None or not self.perf.alive():
            code = self.perf.returncode if self.perf else None
            tail = self.perf.stderr_tail() if self.perf else ""
            if self.perf:
                self.perf.stop()
            self.start_perf()  # for the next runs
            raise MeasurementError(f"lp2p-quic-perf serve had exited ({code}; {tail}); restarted")
        n = self.args.bytes
        mark = self.perf.mark()
        before = self.perf.cpu_seconds()
        label = self.label(f"lp2p-client-{where}")
        rc, cpu_c, wall, out = run_client(
            self.lab, self.client_host(where), label,
            [self.args.perf, "send", f"{self.server_addr(where)}:{PORT_PERF}", "--fp", self.perf_fp,
             "--bytes", str(n), "--state-dir", os.path.join(self.work, "perf-client"),
             *([] if verify else ["--no-hash"]), *self.cc_args()], self.logs, self.timeout)
        got = self.perf.wait_for(lambda o: o.get("event") == "received", 10 if rc == 0 else 0.5,
                                 mark)
        after = self.perf.cpu_seconds()
        sent = [o for o in json_lines(out) if o.get("event") == "sent"]
        if rc != 0 or not sent:
            raise MeasurementError(f"lp2p {where}: lp2p-quic-perf send exit {rc}: "
                                   f"{stderr_of(self.logs, label)}")
        s = sent[-1]
        problems = []
        if s.get("bytes") != n:
            problems.append(f"sent {s.get('bytes')} bytes, not {n}")
        if verify and s.get("verified") is not True:
            problems.append("sender reports verified != true")
        if got is None:
            problems.append("the server printed no 'received' line")
        else:
            g = got[1]
            if g.get("bytes") != n:
                problems.append(f"server received {g.get('bytes')} bytes, not {n}")
            if verify and g.get("sha256") != s.get("sha256"):
                problems.append(f"SHA-256 differs: sent {s.get('sha256')}, received "
                                f"{g.get('sha256')}")
        if problems:
            raise MeasurementError(f"lp2p {where}: " + "; ".join(problems))
        return {"bytes": n, "bytes_per_second": float(s["bytes_per_second"]),
                "cpu_server_s": after - before, "cpu_client_s": cpu_c, "wall_s": wall,
                "seconds": s.get("seconds"), "handshake_ms": s.get("handshake_ms"),
                "sha256": s.get("sha256"), "server_seconds": got[1].get("seconds"),
                "sent_line": s, "received_line": got[1]}


# ------------------------------------------------------------------------------------------------
# Set-up time


def https_setup(bench, where, count):
    """One curl process fetching a 1 KiB file `count` times, each over a new TCP connection
    (Connection: close) with a full TLS 1.3 handshake (--no-sessionid: no resumption), like
    `lp2p info --count` making `count` connections from one process. The first connection also
    pays the process's first-use TLS set-up, so it is reported separately too."""
    label = bench.label(f"https-setup-{where}")
    urls = []
    for _ in range(count):
        urls += ["-o", "/dev/null", bench.https_url(where, "small.bin")]
    rc, cpu_c, wall, out = run_client(
        bench.lab, bench.client_host(where), label,
        [*bench.curl_tls(), "--http1.1", "-sS", "--no-sessionid", "-H", "Connection: close",
         "-w", "%{json}\n", *urls], bench.logs, 60 + count)
    lines = json_lines(out)
    ok = [j for j in lines if j.get("size_download") == 1024 and j.get("http_code") == 200]
    fresh = [j for j in ok if j.get("num_connects") == 1]
    if not ok:
        raise MeasurementError(f"https set-up {where}: curl exit {rc}, no successful transfer: "
                               f"{stderr_of(bench.logs, label)}")
    if len(fresh) != len(ok):
        bench.errors.append(f"https set-up {where}: {len(ok) - len(fresh)} transfers reused a "
                            "connection")
    connect = [j["time_appconnect"] * 1e3 for j in fresh]
    total = [j["time_total"] * 1e3 for j in fresh]
    return {"count": count, "failures": count - len(ok), "exit_code": rc,
            "handshake_ms": {**dist(connect), "p90": p90(connect)},
            "get_1kib_ms": {**dist(total), "p90": p90(total)},
            "first_handshake_ms": connect[0], "first_get_1kib_ms": total[0],
            "wall_s": wall, "cpu_client_s": cpu_c}


def start_agent(bench):
    state = os.path.join(bench.work, "agent-server")
    agent = Server(bench.lab, "a", bench.label("lp2p-advertise"),
                   [bench.args.lp2p, "advertise", "--json", "--state-dir", state, "--port",
                    str(PORT_AGENT), "-n", "bench-server"], bench.logs)
    r = agent.wait_for(lambda o: (o.get("fingerprint") or o.get("fp")) and o.get("port"), 20)
    if r is None:
        agent.stop(signal.SIGINT)
        raise MeasurementError("lp2p advertise printed no line with fingerprint and port within "
                               f"20 s: {agent.stderr_tail()}")
    return agent, r[1].get("fingerprint") or r[1].get("fp"), int(r[1]["port"])


def lp2p_setup(bench, where, fp, port, count):
    label = bench.label(f"lp2p-info-{where}")
    rc, cpu_c, wall, out = run_client(
        bench.lab, bench.client_host(where), label,
        [bench.args.lp2p, "info", f"{bench.server_addr(where)}:{port}", "--fp", fp, "--count",
         str(count), "--json", "--state-dir", os.path.join(bench.work, f"agent-client-{where}")],
        bench.logs, 60 + count)
    lines = json_lines(out)
    infos = [o["setup_ms"] for o in lines if o.get("event") == "info" and "setup_ms" in o]
    summary = next((o for o in reversed(lines) if o.get("event") == "summary"), None)
    if summary is None or not infos:
        raise MeasurementError(f"lp2p info {where}: exit {rc}, {len(infos)} info lines, "
                               f"no summary: {stderr_of(bench.logs, label)}")
    res = {"count": count, "exit_code": rc, "summary": summary,
           "setup_ms": {**dist(infos), "p90": p90(infos)}, "wall_s": wall, "cpu_client_s": cpu_c,
           "failures": summary.get("failures")}
    res["median_ms"] = summary.get("setup_ms_median", res["setup_ms"]["median"])
    res["p90_ms"] = summary.get("setup_ms_p90", res["setup_ms"]["p90"])
    res["goal_met"] = res["median_ms"] <= SETUP_GOAL_MS if where == "loopback" else None
    if len(infos) + (summary.get("failures") or 0) != count:
        bench.errors.append(f"lp2p info {where}: {len(infos)} info lines and "
                            f"{summary.get('failures')} failures for --count {count}")
    if rc != 0 or summary.get("failures"):
        bench.errors.append(f"lp2p info {where}: exit {rc}, {summary.get('failures')} failures "
                            f"of {count}")
    return res


def measure_setup(bench, res):
    args = bench.args
    out = res.setdefault("setup", {})
    agent, fp, port = None, None, None
    if bench.lp2p_info_skip:
        res["skipped"].append(f"setup (lp2p): {bench.lp2p_info_skip}")
    else:
        try:
            agent, fp, port = start_agent(bench)
        except MeasurementError as e:
            bench.errors.append(str(e))
    try:
        for where in args.where:
            o = out.setdefault(where, {})
            if agent:
                try:
                    o["lp2p"] = lp2p_setup(bench, where, fp, port, args.setup_count)
                except MeasurementError as e:
                    bench.errors.append(str(e))
            try:  # the HTTPS reference always runs with the set-up measurement
                o["https"] = https_setup(bench, where, args.setup_count)
            except MeasurementError as e:
                bench.errors.append(str(e))
    finally:
        if agent:
            agent.stop(signal.SIGINT)


# ------------------------------------------------------------------------------------------------
# Bulk runs and summary


def summarize(runs):
    if not runs:
        return None
    gbps = [r["bytes_per_second"] / 1e9 for r in runs]
    per_gib = lambda r, k: r[k] / (r["bytes"] / GIB)  # noqa: E731
    srv = [per_gib(r, "cpu_server_s") for r in runs]
    cli = [per_gib(r, "cpu_client_s") for r in runs]
    tot = [s + c for s, c in zip(srv, cli)]
    return {"runs": len(runs), "gb_per_s": dist(gbps),
            "cpu_s_per_gib": {"server": statistics.median(srv), "client": statistics.median(cli),
                              "total": statistics.median(tot), "total_min": min(tot),
                              "total_max": max(tot)}}


def ratios(summary):
    out = {}
    for where, tools in summary.items():
        lp = tools.get("lp2p")
        if not lp:
            continue
        r = {}
        for base in ("https", "iperf3"):
            b = tools.get(base)
            if b and b["gb_per_s"]["median"] > 0:
                r[f"lp2p/{base}"] = lp["gb_per_s"]["median"] / b["gb_per_s"]["median"]
                r[f"cpu lp2p/{base}"] = (lp["cpu_s_per_gib"]["total"]
                                         / b["cpu_s_per_gib"]["total"])
        if "lp2p/https" in r:
            r["goal_met"] = r["lp2p/https"] >= 1.0
        out[where] = r
    return out


def measure_bulk(bench, res):
    args = bench.args
    tools = [t for t in TOOLS if t in args.tools]
    runners = {"iperf3": bench.run_iperf3, "https": bench.run_https, "lp2p": bench.run_lp2p}
    runs = res.setdefault("runs", {w: {t: [] for t in tools} for w in args.where})
    if "lp2p" in tools:
        res["lp2p_check"] = {}
        for where in args.where:
            try:
                r = bench.run_lp2p(where, verify=True)
                res["lp2p_check"][where] = {"ok": True, "sha256": r["sha256"],
                                            "bytes_per_second_with_hashing": r["bytes_per_second"]}
                print(f"  lp2p content check {where}: SHA-256 equal on both ends "
                      f"({r['bytes_per_second'] / 1e9:.3f} GB/s with hashing)", flush=True)
            except MeasurementError as e:
                bench.errors.append(f"{e}; lp2p content check failed")
                bench.dropped.add("lp2p")
    if "https" in tools:
        res["https_check"] = {}
        for where in args.where:
            try:
                res["https_check"][where] = bench.verify_https(where)
            except MeasurementError as e:
                bench.errors.append(f"{e}; https not measured")
                bench.dropped.add("https")
    for i in range(args.runs):
        for where in args.where:
            for tool in tools:
                if tool in bench.dropped:
                    continue
                try:
                    r = runners[tool](where)
                except MeasurementError as e:
                    bench.errors.append(f"run {i + 1}: {e}")
                    continue
                r["run"] = i + 1
                runs[where][tool].append(r)
                print(f"  run {i + 1}/{args.runs} {where:8} {tool:6} "
                      f"{r['bytes_per_second'] / 1e9:6.3f} GB/s  CPU server "
                      f"{r['cpu_server_s']:.2f} s, client {r['cpu_client_s']:.2f} s", flush=True)


def finish_bulk(res):
    """Summary and ratios of the runs measured so far (also after an interruption)."""
    runs = res.get("runs")
    if not runs:
        return
    res["summary"] = {w: {t: s for t, r in tools.items() if (s := summarize(r))}
                      for w, tools in runs.items()}
    res["ratios"] = ratios(res["summary"])


# ------------------------------------------------------------------------------------------------
# Report


def report(res):
    cfg, env = res["config"], res["environment"]
    out = ["", "=" * 100,
           f"lp2p transport benchmark  {env['date']}  bytes={human_bytes(cfg['bytes'])}  "
           f"runs={cfg['runs']}  pin={'server CPU %d, client CPU %d' % (cfg['server_cpu'], cfg['client_cpu']) if cfg['pin'] else 'off'}"
           f"{'  cc=' + cfg['cc'] if cfg['cc'] else ''}",
           f"machine: {env['cpus']} CPUs, kernel {env['kernel']}; CPU busy (other work) before "
           f"{env['busy_percent_start']:.0f} %, after {env.get('busy_percent_end', 0):.0f} %; "
           f"load average at start {' '.join(env['loadavg_start'])}, at end "
           f"{' '.join(env.get('loadavg_end', []))}",
           f"launcher (taskset + ip netns exec) CPU per client process: "
           f"{env.get('launcher_cpu_ms', float('nan')):.1f} ms (included in client CPU)", ""]
    if "summary" in res:
        out.append("Bulk transfer, one stream (GB/s = 10^9 bytes/s; CPU-s per GiB transferred, "
                   "medians over runs)")
        out.append(f"  {'tool':7} {'where':9} {'runs':>4} {'median GB/s':>12} {'min':>7} "
                   f"{'max':>7}   {'CPU-s/GiB: server':>17} {'client':>7} {'total':>7}")
        for where, tools in res["summary"].items():
            for tool in TOOLS:
                s = tools.get(tool)
                if not s:
                    continue
                g, c = s["gb_per_s"], s["cpu_s_per_gib"]
                out.append(f"  {tool:7} {where:9} {s['runs']:>4} {g['median']:>12.3f} "
                           f"{g['min']:>7.3f} {g['max']:>7.3f}   {c['server']:>17.2f} "
                           f"{c['client']:>7.2f} {c['total']:>7.2f}")
        for where, r in res.get("ratios", {}).items():
            if not r:
                continue
            parts = [f"{k} {v:.2f}" for k, v in r.items() if k != "goal_met"]
            goal = ""
            if "goal_met" in r:
                goal = f"   goal lp2p >= https: {'MET' if r['goal_met'] else 'NOT MET'}"
            out.append(f"  ratios {where:9} " + ", ".join(parts) + goal)
        for where, c in res.get("https_check", {}).items():
            out.append(f"  https content check {where}: {'ok' if c['ok'] else 'FAILED'} "
                       f"(SHA-256 {c['sha256'][:16]}..., {c['tls']} {c['cipher']})")
        for where, c in res.get("lp2p_check", {}).items():
            out.append(f"  lp2p content check {where}: SHA-256 equal on both ends "
                       f"({c['sha256'][:16]}...; {c['bytes_per_second_with_hashing'] / 1e9:.3f} "
                       f"GB/s with hashing on both ends)")
        out.append("  iperf3 content is not checked (it sends a repeated buffer)")
        out.append("")
    if "setup" in res:
        out.append(f"Connection set-up, {cfg['setup_count']} connections from one client process "
                   f"each (goal: lp2p median <= {SETUP_GOAL_MS:g} ms on loopback)")
        for where, o in res["setup"].items():
            lp = o.get("lp2p")
            if lp:
                goal = ""
                if lp["goal_met"] is not None:
                    goal = f"   goal {'MET' if lp['goal_met'] else 'NOT MET'}"
                out.append(f"  lp2p  {where:9} connect -> agent-info: median {lp['median_ms']:.2f}"
                           f" ms, p90 {lp['p90_ms']:.2f} ms, failures {lp['failures']}{goal}")
            hs = o.get("https")
            if hs:
                a, t = hs["handshake_ms"], hs["get_1kib_ms"]
                out.append(f"  https {where:9} TCP+TLS handshake: median {a['median']:.2f} ms, "
                           f"p90 {a['p90']:.2f} ms, first {hs['first_handshake_ms']:.2f} ms; "
                           f"GET 1 KiB: median {t['median']:.2f} ms, p90 {t['p90']:.2f} ms, "
                           f"first {hs['first_get_1kib_ms']:.2f} ms; failures {hs['failures']}")
        out.append("")
    if res["skipped"]:
        out.append("SKIPPED:")
        out += [f"  - {s}" for s in res["skipped"]]
    if res["errors"]:
        out.append("FAILED measurements:")
        out += [f"  - {e}" for e in res["errors"]]
    elif not res["skipped"]:
        out.append("All measurements completed.")
    if cfg["runs"] < 5 and "summary" in res:
        out.append(f"(only {cfg['runs']} run(s): indicative, not a benchmark result; use >= 5)")
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
    ap.add_argument("--perf", help="lp2p-quic-perf (default: next to --lp2p)")
    ap.add_argument("--bytes", type=parse_size, default=GIB,
                    help="bytes per transfer, e.g. 1G, 256M (default 1 GiB)")
    ap.add_argument("--runs", type=int, default=5, help="runs per tool and place (default 5)")
    ap.add_argument("--where", type=csv_choice(PLACES), default=list(PLACES),
                    help="loopback,netns (default both)")
    ap.add_argument("--only", type=csv_choice(TOOLS + ("setup",)),
                    default=list(TOOLS + ("setup",)),
                    help="iperf3,https,lp2p,setup (default all)")
    ap.add_argument("--setup-count", type=int, default=100,
                    help="connections for the set-up measurement (default 100)")
    ap.add_argument("--cc", choices=["cubic", "bbr2", "reno"],
                    help="congestion control for lp2p-quic-perf (default: its own, bbr2)")
    ap.add_argument("--json", dest="json_out",
                    default=os.path.join(ROOT, "build", "transport-bench.json"),
                    help="JSON results file (default build/transport-bench.json)")
    ap.add_argument("--pin", dest="pin", action="store_true", default=True,
                    help="pin server and client to their own CPUs (default)")
    ap.add_argument("--no-pin", dest="pin", action="store_false")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--smoke", action="store_true",
                    help="quick check that everything runs: 64 MiB, 1 run, 10 connections")
    ap.add_argument("--lab", default=os.path.join(ROOT, "tests", "lab", "lab"))
    args = ap.parse_args()
    if args.smoke:
        args.bytes, args.runs, args.setup_count = 64 << 20, 1, 10
    if args.runs < 1 or args.setup_count < 1:
        ap.error("--runs and --setup-count must be >= 1")
    args.lp2p = os.path.abspath(args.lp2p or default_lp2p())
    args.perf = os.path.abspath(args.perf or os.path.join(os.path.dirname(args.lp2p),
                                                          "lp2p-quic-perf"))
    args.tools = [t for t in args.only if t in TOOLS]
    args.setup = "setup" in args.only
    ncpu = os.cpu_count() or 1
    if args.pin and (max(args.server_cpu, args.client_cpu) >= ncpu
                     or args.server_cpu == args.client_cpu):
        ap.error(f"--server-cpu and --client-cpu must be two different CPUs below {ncpu} "
                 "(or --no-pin)")
    return args


def preflight(args, res):
    if os.geteuid() != 0:
        print("transport_bench: skipped: needs root (network namespaces)", flush=True)
        sys.exit(SKIP)
    need = ["ip", "taskset", "curl", "openssl"]
    if "iperf3" in args.tools:
        need.append("iperf3")
    if "https" in args.tools or args.setup:
        need.append("nginx")
    missing = [t for t in need if shutil.which(t) is None]
    if missing:
        print(f"transport_bench: skipped: missing {' '.join(missing)} (run scripts/setup)",
              flush=True)
        sys.exit(SKIP)
    skips = {}
    if "lp2p" in args.tools and not os.access(args.perf, os.X_OK):
        skips["lp2p"] = f"{args.perf} not found (build the lp2p_quic_perf target)"
    info_skip = None
    if args.setup:
        if not os.access(args.lp2p, os.X_OK):
            info_skip = f"{args.lp2p} not found (build the lp2p_cli target)"
        else:
            # `lp2p info --help` succeeds even without the command (CLI11 prints the main
            # help): look for it in the list of subcommands instead.
            r = subprocess.run([args.lp2p, "--help"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, check=False)
            if not re.search(r"^\s+info\s", r.stdout.decode(errors="replace"), re.M):
                info_skip = f"{args.lp2p} has no 'info' command yet"
    for tool, why in skips.items():
        res["skipped"].append(f"{tool}: {why}")
    return set(skips), info_skip


def environment(args):
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
            "kernel": platform.release(), "python": platform.python_version(),
            "loadavg_start": loadavg(), "busy_percent_start": cpu_busy_percent(),
            "versions": {"iperf3": tool_version(["iperf3", "-v"]),
                         "nginx": tool_version(["nginx", "-v"]),
                         "curl": tool_version(["curl", "-V"]),
                         "openssl": tool_version(["openssl", "version"])},
            "lp2p": args.lp2p, "perf": args.perf}


def remove_stale(lab_script):
    """Removes labs and data dirs left by a benchmark that was killed (its PID is gone)."""
    remove_stale_labs(lab_script, PREFIX_BASE, r"lp2p-transport-bench-(\d+)-.*")


def on_signal(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main():
    args = parse_args()
    res = {"config": {"bytes": args.bytes, "runs": args.runs, "where": args.where,
                      "tools": args.tools, "setup": args.setup, "setup_count": args.setup_count,
                      "pin": args.pin, "server_cpu": args.server_cpu,
                      "client_cpu": args.client_cpu, "cc": args.cc},
           "skipped": [], "errors": []}
    dropped, info_skip = preflight(args, res)
    res["environment"] = environment(args)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    remove_stale(args.lab)
    pid = os.getpid()
    work = tempfile.mkdtemp(prefix=f"lp2p-transport-bench-{pid}-")
    shm = "/dev/shm" if shutil.disk_usage("/dev/shm").free > args.bytes + (256 << 20) else None
    data_dir = tempfile.mkdtemp(prefix=f"lp2p-transport-bench-{pid}-", dir=shm)
    if shm is None:
        res["environment"]["note"] = f"/dev/shm too small: the served file is in {data_dir}"
    os.chmod(data_dir, 0o755)
    lab = Lab(args.lab, f"{PREFIX_BASE}-{pid}", pin=args.pin,
              cpus={"server": args.server_cpu, "client": args.client_cpu})
    bench = Bench(args, lab, work)
    bench.errors = res["errors"]
    bench.dropped = dropped
    bench.lp2p_info_skip = info_skip
    interrupted = None
    try:
        print(f"transport_bench: lab {lab.prefix}, work dir {work}, load average "
              f"{' '.join(res['environment']['loadavg_start'])}", flush=True)
        lab.up()
        res["environment"]["lab_addresses"] = dict(lab.addr)
        res["environment"]["launcher_cpu_ms"] = launcher_cpu_ms(lab)
        need_nginx = "https" in args.tools or args.setup
        if need_nginx:
            t0 = time.monotonic()
            bench.data_sha = make_random_file(os.path.join(data_dir, "data.bin"), args.bytes)
            with open(os.path.join(data_dir, "small.bin"), "wb") as f:
                f.write(os.urandom(1024))
            print(f"transport_bench: wrote {human_bytes(args.bytes)} of random data in "
                  f"{time.monotonic() - t0:.1f} s", flush=True)
            bench.start_nginx(data_dir)
        if "lp2p" in args.tools and "lp2p" not in dropped:
            try:
                bench.start_perf()
            except MeasurementError as e:
                res["errors"].append(str(e))
                dropped.add("lp2p")
        if bench.perf_ready:
            res["environment"]["perf_ready"] = bench.perf_ready
        if args.tools:
            measure_bulk(bench, res)
        if args.setup:
            print("transport_bench: set-up time", flush=True)
            measure_setup(bench, res)
    except MeasurementError as e:
        res["errors"].append(str(e))
    except KeyboardInterrupt as e:
        interrupted = str(e) or "SIGINT"
        res["errors"].append(f"interrupted ({interrupted})")
    finally:
        for srv in (bench.perf, bench.nginx):
            if srv:
                try:
                    srv.stop()
                except Exception:  # noqa: BLE001 - teardown must go on
                    pass
        lab.down()
        shutil.rmtree(data_dir, ignore_errors=True)
        res["environment"]["loadavg_end"] = loadavg()
        res["environment"]["busy_percent_end"] = cpu_busy_percent()
        finish_bulk(res)
        res["ok"] = not res["errors"]
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump(res, f, indent=2)
    report(res)
    print(f"JSON results: {os.path.abspath(args.json_out)}")
    if res["errors"]:
        print(f"logs kept in {work}")
        return 130 if interrupted else 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
