#!/usr/bin/python3
"""Discovery benchmark: lp2p advertise/discover against python3-zeroconf, in the test lab.

How to run (root; Debian's /usr/bin/python3 with python3-zeroconf; build the CLI first):

    cmake --build build -j2 --target lp2p_cli
    sudo /usr/bin/python3 bench/discovery_bench.py                 # full run (~2 min)
    sudo /usr/bin/python3 bench/discovery_bench.py --smoke         # ~25 s, as ctest does
    sudo /usr/bin/python3 bench/discovery_bench.py --runs 9 --agents 16 --steady 120 --out r.json

What it measures (see bench/README.md):
  1. lp2p: `lp2p discover` runs on lab host b; `lp2p advertise` starts on host a; the time from
     starting the advertise process to b's discover printing "added" for its fingerprint.
  2. python3-zeroconf the same way (bench/zeroconf_peer.py publish on a, browse on b; "added" is
     a resolved ServiceInfo: port, addresses and TXT). Runs of 1 and 2 are interleaved, each in
     its own 2-host lab so the two tools never see each other's packets. Also reported: the time
     from the publisher's "ready" line (lp2p "advertising", zeroconf "registering": imports and
     sockets done) and from SIGINT to "removed" (goodbye).
  3. A lab of --agents hosts, each running `lp2p advertise` and `lp2p discover`: the time until
     every discover has seen every other host's advertise, then mDNS packets per agent per minute
     over a --steady window (SIGUSR2 counters of both processes of a host).

It creates its own labs (LP2P_LAB_PREFIX=bench-disc-PID-x) and always removes them. Prints a
report and writes the results as JSON (--out). Exit status: 0 when everything was measured, 1 when
a measurement failed (e.g. a peer never discovered), 77 (skipped) without root or zeroconf.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SERVICE = "_openscreen._udp.local."
PREFIX_BASE = "bench-disc"
SKIP = 77
HOST_TTL_S = 120  # TTL of lp2p's SRV/A/AAAA records (src/mdns/service_records.hpp)
REFRESH_AT_S = 0.8 * HOST_TTL_S


class MeasurementError(Exception):
    pass


# ------------------------------------------------------------------------------------------------
# Processes with JSON-line stdout, timestamped on arrival


class Proc:
    """A child process whose stdout JSON lines are read by a thread and timestamped on arrival
    (time.monotonic()). `lines` holds (arrival, object) pairs."""

    def __init__(self, label, argv, env, log_dir):
        self.label = label
        self.lines = []
        self._cond = threading.Condition()
        self._eof = False
        self._interrupted = False
        self.stderr_path = os.path.join(log_dir, label + ".stderr")
        with open(self.stderr_path, "wb") as err:
            self.started = time.monotonic()
            self.popen = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE, stderr=err)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for raw in self.popen.stdout:
            now = time.monotonic()
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
        """First (arrival, object) at index >= since with pred(object), or None after timeout."""
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

    def events(self, since=0):
        with self._cond:
            return list(self.lines[since:])

    def signal(self, sig):
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            self._interrupted |= sig == signal.SIGINT

    def stop(self, timeout=5.0):
        """SIGINT (unless already sent), then SIGKILL after timeout; returns the exit code."""
        if not self._interrupted:
            self.signal(signal.SIGINT)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self._thread.join(2)
        return self.popen.returncode

    def stderr_tail(self, n=5):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read().splitlines()[-n:]
        except OSError:
            return []


def event_is(kind, **fields):
    return lambda o: o.get("event") == kind and all(o.get(k) == v for k, v in fields.items())


# ------------------------------------------------------------------------------------------------
# Labs


class Lab:
    """A lab of tests/lab/lab under its own prefix; remembers the processes started in it."""

    def __init__(self, lab_script, prefix, hosts, log_dir):
        self.script = lab_script
        self.prefix = prefix
        self.hosts = hosts
        self.log_dir = log_dir
        self.procs = []
        self.env = dict(os.environ, LP2P_LAB_PREFIX=prefix)

    def run(self, *args, timeout=120):
        return subprocess.run([self.script, *args], env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, check=False)

    def up(self):
        self.run("down")
        r = self.run("up", str(self.hosts))
        if r.returncode != 0:
            raise MeasurementError(f"lab up {self.hosts} ({self.prefix}) failed:\n"
                                   + r.stdout.decode(errors="replace"))

    def down(self):
        for p in self.procs:
            p.stop(3)
        self.procs = []
        self.run("down")

    def letters(self):
        return [chr(ord("a") + i) for i in range(self.hosts)]

    def spawn(self, host, label, argv):
        p = Proc(f"{self.prefix}-{label}", [self.script, "exec", host, *argv], self.env,
                 self.log_dir)
        self.procs.append(p)
        return p

    def forget(self, proc):
        self.procs.remove(proc)

    def exec_overhead(self, runs=5):
        """Median wall time of `lab exec a /bin/true` (part of every "process start" figure)."""
        times = []
        for _ in range(runs):
            t0 = time.monotonic()
            self.run("exec", "a", "/bin/true")
            times.append(time.monotonic() - t0)
        return statistics.median(times)


def remove_stale_labs(lab_script):
    """Removes bench-disc-PID-* labs left by a benchmark that was killed (PID gone)."""
    try:
        names = os.listdir("/run/lp2p-lab")
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) != 4 or "-".join(parts[:2]) != PREFIX_BASE or not parts[2].isdigit():
            continue
        if not os.path.exists(f"/proc/{parts[2]}"):
            env = dict(os.environ, LP2P_LAB_PREFIX=name)
            subprocess.run([lab_script, "down"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)


# ------------------------------------------------------------------------------------------------
# Tools under test: one "publisher" run each


class Lp2pTool:
    name = "lp2p"
    ready_event = "advertising"

    def __init__(self, lp2p, work):
        self.lp2p = lp2p
        self.work = work

    def start_browser(self, lab):
        return lab.spawn("b", "lp2p-discover", [self.lp2p, "discover", "--json", "--state-dir",
                                                os.path.join(self.work, "lat-discover")])

    def browser_ready(self, proc):
        return True  # discover prints nothing until it finds something

    def start_publisher(self, lab, run):
        state = os.path.join(self.work, f"lat-advertise-{run}")
        return lab.spawn("a", f"lp2p-advertise-{run}", [
            self.lp2p, "advertise", "--json", "--state-dir", state, "--name", f"bench-l{run}"])

    def peer_key(self, publisher, run):
        r = publisher.wait_for(event_is("advertising"), 15)
        if r is None:
            raise MeasurementError(f"lp2p advertise run {run} printed no 'advertising' line "
                                   f"(stderr: {publisher.stderr_tail()})")
        return r[1]["fingerprint"], r[1]["port"]

    def is_added(self, key):
        fp, port = key
        return lambda o: (o.get("event") == "added" and o.get("fingerprint") == fp
                          and bool(o.get("addresses"))
                          and all(a.endswith(f":{port}") for a in o["addresses"]))

    def is_removed(self, key):
        return event_is("removed", fingerprint=key[0])


class ZeroconfTool:
    name = "zeroconf"
    ready_event = "registering"

    def __init__(self, peer_script, family):
        self.peer = peer_script
        self.family = family

    def start_browser(self, lab):
        return lab.spawn("b", "zc-browse", ["/usr/bin/python3", self.peer, "browse",
                                            "--family", self.family])

    def browser_ready(self, proc):
        return proc.wait_for(event_is("browsing"), 15) is not None

    def start_publisher(self, lab, run):
        return lab.spawn("a", f"zc-publish-{run}", [
            "/usr/bin/python3", self.peer, "publish", "--name", f"bench-z{run}",
            "--family", self.family])

    def peer_key(self, publisher, run):
        return f"bench-z{run}.{SERVICE}", 45678

    def is_added(self, key):
        name, port = key
        return lambda o: (o.get("event") == "added" and o.get("name") == name
                          and o.get("port") == port and bool(o.get("addresses"))
                          and o.get("txt", {}).get("fp"))

    def is_removed(self, key):
        return event_is("removed", name=key[0])


# ------------------------------------------------------------------------------------------------
# Measurements 1 and 2: time to discover one new peer


def one_run(tool, lab, browser, run, timeout):
    """Starts a publisher, times its "added" on the browser, stops it and waits for "removed"."""
    mark = browser.mark()
    t0 = time.monotonic()
    pub = tool.start_publisher(lab, run)
    try:
        key = tool.peer_key(pub, run)
        added = browser.wait_for(tool.is_added(key), timeout, mark)
        ready = pub.wait_for(event_is(tool.ready_event), 1)
        if added is None:
            raise MeasurementError(f"{tool.name} run {run}: peer {key[0]} not discovered within "
                                   f"{timeout} s (publisher stderr: {pub.stderr_tail()})")
        t_stop = time.monotonic()
        pub.signal(signal.SIGINT)
        removed = browser.wait_for(tool.is_removed(key), timeout, mark)
        if removed is None:
            raise MeasurementError(f"{tool.name} run {run}: no 'removed' within {timeout} s "
                                   "after SIGINT")
    finally:
        code = pub.stop(5)
        lab.forget(pub)
    return {
        "run": run,
        "start_to_added_s": added[0] - t0,
        "ready_to_added_s": added[0] - ready[0] if ready else None,
        "start_to_ready_s": ready[0] - t0 if ready else None,
        "sigint_to_removed_s": removed[0] - t_stop,
        "publisher_exit_code": code,
    }


def summarize_runs(runs):
    out = {}
    for field in ("start_to_added_s", "ready_to_added_s", "start_to_ready_s",
                  "sigint_to_removed_s"):
        values = [r[field] for r in runs if r.get(field) is not None]
        if values:
            out[field] = {"median": statistics.median(values), "min": min(values),
                          "max": max(values), "n": len(values)}
    return out


def measure_latency(tools_labs, runs, timeout, pause, errors):
    """Interleaves the tools' runs (order alternating) with their browsers already running."""
    results = {tool.name: [] for tool, _ in tools_labs}
    browsers = {}
    for tool, lab in tools_labs:
        browsers[tool.name] = tool.start_browser(lab)
        if not tool.browser_ready(browsers[tool.name]):
            raise MeasurementError(f"{tool.name} browser did not start")
    time.sleep(2.0)  # past the browsers' first queries
    for run in range(runs):
        order = tools_labs if run % 2 == 0 else list(reversed(tools_labs))
        for tool, lab in order:
            try:
                results[tool.name].append(one_run(tool, lab, browsers[tool.name], run, timeout))
            except MeasurementError as e:
                errors.append(str(e))
            time.sleep(pause)
    return {name: {"runs": rs, "summary": summarize_runs(rs)} for name, rs in results.items()}


# ------------------------------------------------------------------------------------------------
# Measurement 3: N agents


def start_agents(lab, lp2p, work):
    agents = {}
    t0 = time.monotonic()
    for h in lab.letters():
        disc = lab.spawn(h, f"disc-{h}", [lp2p, "discover", "--json",
                                           "--state-dir", os.path.join(work, f"n-disc-{h}")])
        adv = lab.spawn(h, f"adv-{h}", [lp2p, "advertise", "--json", "--name", f"agent-{h}",
                                         "--state-dir", os.path.join(work, f"n-adv-{h}")])
        agents[h] = {"discover": disc, "advertise": adv}
    return t0, agents


def agent_fingerprints(agents, t0):
    fps, ready = {}, {}
    for h, a in agents.items():
        r = a["advertise"].wait_for(event_is("advertising"), 20)
        if r is None:
            raise MeasurementError(f"advertise on host {h} printed no 'advertising' line "
                                   f"(stderr: {a['advertise'].stderr_tail()})")
        fps[h] = r[1]["fingerprint"]
        ready[h] = r[0] - t0
    return fps, ready


def wait_all_discovered(agents, fps, t0, timeout):
    """Per host: seconds from t0 until its discover had "added" every other host's fingerprint."""
    deadline = time.monotonic() + timeout
    done, missing = {}, {}
    for h, a in agents.items():
        want = {fp for g, fp in fps.items() if g != h}
        seen = {}

        def pred(o, want=want, seen=seen):
            if o.get("event") == "added" and o.get("fingerprint") in want:
                seen.setdefault(o["fingerprint"], True)
            return len(seen) == len(want)

        r = a["discover"].wait_for(pred, max(0.0, deadline - time.monotonic()))
        if r is None:
            missing[h] = sorted(g for g, fp in fps.items() if fp in want and fp not in seen)
        else:
            done[h] = r[0] - t0
    return done, missing


def stats_snapshot(procs, timeout=5.0):
    """SIGUSR2 to every process; returns ({label: stats}, time) once each printed new stats."""
    marks = {p.label: p.mark() for p in procs}
    t = time.monotonic()
    for p in procs:
        p.signal(signal.SIGUSR2)
    out = {}
    for p in procs:
        r = p.wait_for(event_is("stats"), timeout, marks[p.label])
        if r is None:
            raise MeasurementError(f"{p.label} printed no stats after SIGUSR2")
        out[p.label] = r[1]
    return out, t


def host_totals(agents, snap):
    totals = {}
    for h, a in agents.items():
        s = [snap[a[k].label] for k in ("advertise", "discover")]
        totals[h] = {f: sum(x.get(f"packets-{f}", 0) for x in s) for f in ("sent", "received")}
        totals[h]["malformed"] = sum(x.get("malformed-packets", 0) for x in s)
    return totals


def steady_state(agents, seconds, sample, t0):
    """Counter samples over the window; per host packets/min, and the swarm's time series."""
    procs = [p for a in agents.values() for p in (a["advertise"], a["discover"])]
    marks = {h: a["discover"].mark() for h, a in agents.items()}
    first, t_first = stats_snapshot(procs)
    series, prev, t_prev = [], host_totals(agents, first), t_first
    end = t_first + seconds
    while time.monotonic() < end:
        time.sleep(min(sample, max(0.0, end - time.monotonic())))
        snap, t = stats_snapshot(procs)
        cur = host_totals(agents, snap)
        series.append({"t_s": t - t_first,
                       "sent": sum(cur[h]["sent"] - prev[h]["sent"] for h in cur),
                       "received": sum(cur[h]["received"] - prev[h]["received"] for h in cur),
                       "interval_s": t - t_prev})
        prev, t_prev = cur, t
    start_totals = host_totals(agents, first)
    minutes = (t_prev - t_first) / 60.0
    per_min = {h: {f: (prev[h][f] - start_totals[h][f]) / minutes for f in ("sent", "received")}
               for h in agents}
    late_events = {h: [o for _, o in a["discover"].events(marks[h]) if o.get("event") != "stats"]
                   for h, a in agents.items()}
    return {
        "window_s": t_prev - t_first,
        "window_from_first_spawn_s": [t_first - t0, t_prev - t0],
        "per_host_per_min": per_min,
        "discovery_phase_totals": start_totals,
        "end_totals": prev,
        "series": series,
        "malformed": sum(prev[h]["malformed"] for h in prev),
        "events_during_window": {h: ev for h, ev in late_events.items() if ev},
    }


def dist(values):
    return {"median": statistics.median(values), "max": max(values), "min": min(values)}


def measure_swarm(lab, lp2p, work, steady, sample, timeout):
    t0, agents = start_agents(lab, lp2p, work)
    fps, ready = agent_fingerprints(agents, t0)
    done, missing = wait_all_discovered(agents, fps, t0, timeout)
    result = {"agents": lab.hosts, "advertise_ready_s": dist(list(ready.values())),
              "all_seen_s_per_host": done, "missing": missing}
    if missing:
        raise MeasurementError(f"{lab.hosts} agents: discovery incomplete after {timeout} s; "
                               f"host -> hosts never seen: {missing}", result)
    last_ready = max(ready.values())
    result["all_seen_s"] = dist(list(done.values()))
    result["all_seen_after_last_ready_s"] = dist([v - last_ready for v in done.values()])
    st = steady_state(agents, steady, sample, t0)
    result["steady"] = st
    result["sent_per_agent_per_min"] = dist([v["sent"] for v in st["per_host_per_min"].values()])
    result["received_per_agent_per_min"] = dist(
        [v["received"] for v in st["per_host_per_min"].values()])
    return result


# ------------------------------------------------------------------------------------------------
# Report


def fmt_s(d):
    return f"{d['median']:.3f} s [{d['min']:.3f}-{d['max']:.3f}]"


def ratio_lines(lp, zc):
    out = []
    for label, key in (("process start -> added", "start_to_added_s"),
                       ("ready line -> added", "ready_to_added_s")):
        a, b = lp.get(key), zc.get(key)
        if a and b and b["median"] > 0:
            r = a["median"] / b["median"]
            out.append(f"  RATIO lp2p/zeroconf, {label + ' (medians):':36} {r:.2f} "
                       f"(lp2p {'slower' if r > 1 else 'faster'})")
    return out


def latency_report(lat, exec_overhead, zc_version, family):
    lines = []
    rows = [("process start -> added", "start_to_added_s"),
            ("ready line -> added (1)", "ready_to_added_s"),
            ("process start -> ready line", "start_to_ready_s"),
            ("SIGINT -> removed (goodbye)", "sigint_to_removed_s")]
    lp, zc = lat["lp2p"]["summary"], lat["zeroconf"]["summary"]
    n = max(len(lat["lp2p"]["runs"]), len(lat["zeroconf"]["runs"]))
    lines.append(f"1+2. One new peer, 2 hosts per tool, {n} runs interleaved; median [min-max]")
    lines.append(f"  {'':30} {'lp2p':>26}   {'zeroconf ' + zc_version:>26}   lp2p/zc")
    for label, key in rows:
        a, b = lp.get(key), zc.get(key)
        ratio = f"{a['median'] / b['median']:6.2f}" if a and b and b["median"] > 0 else "   n/a"
        lines.append(f"  {label:30} {fmt_s(a) if a else 'n/a':>26}   "
                     f"{fmt_s(b) if b else 'n/a':>26}   {ratio}")
    lines += ratio_lines(lp, zc)
    lines.append("  (1) ready line: lp2p's 'advertising' (identity loaded, sockets open),")
    lines.append("      zeroconf's 'registering' (imports done, Zeroconf() built).")
    if n < 5:
        lines.append(f"  (only {n} runs: indicative, not a benchmark result)")
    lines.append(f"  Process start includes `lab exec` ({exec_overhead * 1000:.0f} ms median for "
                 "/bin/true).")
    lines.append(f"  Address families: zeroconf {family}, lp2p IPv4 + IPv6 (its default).")
    return lines


def swarm_report(sw):
    n, st = sw["agents"], sw["steady"]
    ready, a, b = sw["advertise_ready_s"], sw["all_seen_s"], sw["all_seen_after_last_ready_s"]
    s, r = sw["sent_per_agent_per_min"], sw["received_per_agent_per_min"]
    dp = [v["sent"] for v in st["discovery_phase_totals"].values()]
    w0, w1 = st["window_from_first_spawn_s"]
    lines = [
        f"3. {n} agents ({n} hosts, each lp2p advertise + lp2p discover)",
        f"  advertise ready (from first spawn): median {ready['median']:.2f} s, "
        f"last {ready['max']:.2f} s",
        f"  every discover saw all {n - 1} others: median {a['median']:.2f} s, "
        f"max {a['max']:.2f} s from the first spawn",
        f"    (median {b['median']:.2f} s, max {b['max']:.2f} s after the last advertise was "
        "ready)",
        f"  steady state, {st['window_s']:.1f} s window ({w0:.1f}-{w1:.1f} s after the first "
        "spawn), packets per agent per minute:",
        f"    sent     median {s['median']:7.1f}   max {s['max']:7.1f}",
        f"    received median {r['median']:7.1f}   max {r['max']:7.1f}",
        f"  sent per agent before the window (start + discovery): median "
        f"{statistics.median(dp):.0f}, max {max(dp)}",
    ]
    if w1 < REFRESH_AT_S:
        lines.append(f"  note: the window ends before the first cache refresh of the {HOST_TTL_S} s"
                     f" TTL records (80 % of it,")
        lines.append(f"  ~{REFRESH_AT_S:.0f} s after start): it shows the query backoff only; "
                     "--steady 300 includes refreshes (the long-term rate)")
    series = ", ".join(f"{x['t_s']:.0f}s:{x['sent']}" for x in st["series"])
    lines.append(f"  swarm packets sent per sample (end of sample: count): {series}")
    lines.append(f"  malformed packets: {st['malformed']}; discover events during the window: "
                 f"{sum(len(v) for v in st['events_during_window'].values())} (expected 0)")
    return lines


def print_report(res):
    cfg = res["config"]
    out = ["", "=" * 100,
           f"lp2p discovery benchmark  ({cfg['mode']}: runs={cfg['runs']}, agents={cfg['agents']}, "
           f"steady={cfg['steady']} s)  {res['environment']['date']}",
           f"machine: {res['environment']['cpus']} CPUs, load average at start "
           f"{res['environment']['loadavg_start']}, at end {res['environment'].get('loadavg_end')}",
           ""]
    if "latency" in res:
        out += latency_report(res["latency"], res["lab_exec_overhead_s"],
                              res["environment"]["zeroconf"], cfg["zc_family"])
        out.append("")
    if "swarm" in res and "steady" in res["swarm"]:
        out += swarm_report(res["swarm"])
        out.append("")
    if res["errors"]:
        out.append("FAILED measurements:")
        out += [f"  - {e}" for e in res["errors"]]
    else:
        out.append("All measurements completed.")
    out.append("=" * 100)
    print("\n".join(out), flush=True)


# ------------------------------------------------------------------------------------------------
# Main


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="runs per tool (default 7)")
    ap.add_argument("--agents", type=int, default=16, help="hosts in measurement 3 (2-26)")
    ap.add_argument("--steady", type=float, default=60, help="steady-state window, seconds")
    ap.add_argument("--sample", type=float, default=10,
                    help="counter sample interval in the window, seconds (default 10)")
    ap.add_argument("--smoke", action="store_true", help="runs=2, agents=4, steady=5 (~25 s)")
    ap.add_argument("--timeout", type=float, default=15,
                    help="seconds to wait for any one discovery (default 15; swarm: 2x)")
    ap.add_argument("--zc-family", choices=["4", "6", "all"], default="all",
                    help="address families for zeroconf (default all, like lp2p)")
    ap.add_argument("--lp2p", default=os.path.join(ROOT, "build", "bin", "lp2p"))
    ap.add_argument("--lab", default=os.path.join(ROOT, "tests", "lab", "lab"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "discovery-bench.json"),
                    help="JSON results file (default build/discovery-bench.json)")
    ap.add_argument("--skip-latency", action="store_true", help="only measurement 3")
    ap.add_argument("--skip-swarm", action="store_true", help="only measurements 1 and 2")
    args = ap.parse_args()
    if args.smoke:
        args.runs, args.agents, args.steady, args.sample = 2, 4, 5, 2.5
    if not 2 <= args.agents <= 26 or args.runs < 1:
        ap.error("--agents must be 2-26 and --runs >= 1")
    return args


def preflight(args):
    """Exit 77 (skip) without root or zeroconf; exit 1 without the lp2p binary."""
    if os.geteuid() != 0:
        print("discovery_bench: skipped: needs root (network namespaces)", flush=True)
        sys.exit(SKIP)
    try:
        import zeroconf
    except ImportError:
        print("discovery_bench: skipped: python3-zeroconf missing (use Debian's /usr/bin/python3"
              " and apt-get install python3-zeroconf)", flush=True)
        sys.exit(SKIP)
    if not os.access(args.lp2p, os.X_OK):
        sys.exit(f"discovery_bench: {args.lp2p} not found: cmake --build build --target lp2p_cli")
    return zeroconf.__version__


def environment(zc_version, args):
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
            "kernel": platform.release(), "python": platform.python_version(),
            "zeroconf": zc_version, "lp2p": args.lp2p,
            "loadavg_start": open("/proc/loadavg").read().split()[:3]}


def run_latency(args, work, res):
    pid = os.getpid()
    lab_l = Lab(args.lab, f"{PREFIX_BASE}-{pid}-l", 2, work)
    lab_z = Lab(args.lab, f"{PREFIX_BASE}-{pid}-z", 2, work)
    try:
        lab_l.up()
        lab_z.up()
        res["lab_exec_overhead_s"] = lab_l.exec_overhead()
        tools = [(Lp2pTool(args.lp2p, work), lab_l),
                 (ZeroconfTool(os.path.join(HERE, "zeroconf_peer.py"), args.zc_family), lab_z)]
        res["latency"] = measure_latency(tools, args.runs, args.timeout, 0.5, res["errors"])
        for name, r in res["latency"].items():
            if len(r["runs"]) < args.runs:
                res["errors"].append(f"{name}: only {len(r['runs'])} of {args.runs} runs measured")
    finally:
        lab_l.down()
        lab_z.down()


def run_swarm(args, work, res):
    lab = Lab(args.lab, f"{PREFIX_BASE}-{os.getpid()}-n", args.agents, work)
    try:
        lab.up()
        res["swarm"] = measure_swarm(lab, args.lp2p, work, args.steady, args.sample,
                                     2 * args.timeout)
    except MeasurementError as e:
        if len(e.args) > 1:
            res["swarm"] = e.args[1]
        raise
    finally:
        lab.down()


def guarded(step, args, work, res):
    try:
        step(args, work, res)
    except MeasurementError as e:
        res["errors"].append(str(e.args[0]))
    except subprocess.TimeoutExpired as e:
        res["errors"].append(f"timeout: {e}")


def on_sigterm(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


def main():
    args = parse_args()
    zc_version = preflight(args)
    signal.signal(signal.SIGTERM, on_sigterm)
    remove_stale_labs(args.lab)
    work = tempfile.mkdtemp(prefix="lp2p-discovery-bench-")
    res = {"config": {"mode": "smoke" if args.smoke else "full", "runs": args.runs,
                      "agents": args.agents, "steady": args.steady, "sample": args.sample,
                      "timeout": args.timeout, "zc_family": args.zc_family},
           "environment": environment(zc_version, args), "errors": []}
    try:
        if not args.skip_latency:
            guarded(run_latency, args, work, res)
        if not args.skip_swarm:
            guarded(run_swarm, args, work, res)
    finally:
        res["environment"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        res["ok"] = not res["errors"]
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(res, f, indent=2)
    print_report(res)
    print(f"JSON results: {os.path.abspath(args.out)}")
    if res["errors"]:
        print(f"logs kept in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
