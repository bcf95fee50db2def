#!/usr/bin/env python3
"""Runs the fetch benchmark against a running bench Dovecot and writes results.json (see Scripts/bench).

    bench.py --env DOVECOT_ENV --mailgate BIN --out DIR [--quick] [-n N] [--runs R] [--slow-runs S]
             [--rtt-n M] [--aliases A] [--alias-messages K] [--only a,b] [--proxy-port P]

Plan: for each mix (ordinary, bounce) every contender downloads N messages over IMAPS from loopback
(0 ms), and M messages through the fault proxy with 10 ms each way (20 ms RTT). Runs are interleaved
(run 1 of everyone, then run 2, ... with a seeded shuffle of the contenders each time), so a burst of
load from elsewhere on the machine spreads over all contenders instead of landing on one. Then the
100-alias run (A mailboxes with K new messages each, one `mailgate fetch --workers 8`, 20 ms RTT) and
the floor's cold idle poll for reference. Every mailbox is restored from its template before a run, and the disk synced after it.
"""
import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contenders import ORDER, SLOW, SLOW_AT_RTT, Contenders  # noqa: E402
from mailboxes import Mailboxes  # noqa: E402

HERE = Path(__file__).resolve().parent
PROXY = HERE.parent / "chaos.d" / "faultproxy.py"
MIXES = ("ordinary", "bounce")
DELAY = 0.010  # each way: 20 ms round trip


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def read_env(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        k, _, v = line.partition("=")
        env[k] = v
    return env


def machine():
    def first(path, key):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"

    def version(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    mem_kb = int(first("/proc/meminfo", "MemTotal").split()[0])
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": first("/proc/cpuinfo", "model name"),
        "kernel": platform.release(),
        "loadavg_start": os.getloadavg(),
        "versions": {
            "dovecot": version(["dovecot", "--version"]),
            "fetchmail": version(["fetchmail", "--version"]).replace("This is fetchmail release ", "fetchmail ").split("+")[0],
            "getmail6": version(["getmail", "--version"]),
            "mbsync": version(["mbsync", "--version"]),
            "python": platform.python_version(),
            "swift": version(["swift", "--version"]),
        },
    }


class Proxy:
    """The fault proxy in front of Dovecot's IMAPS port, with DELAY each way on every connection."""

    def __init__(self, port, target):
        self.proc = subprocess.Popen([sys.executable, str(PROXY), "--listen", str(port), "--target",
                                      f"127.0.0.1:{target}", "--control"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "listening":
            raise SystemExit("bench: the fault proxy did not start")
        self.port = int(line[1])
        self.command(f"delay {DELAY}")

    def command(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if not answer.startswith(("ok", "[")):
            raise SystemExit(f"bench: proxy said {answer!r} to {text!r}")
        return answer

    def stop(self):
        try:
            self.command("quit")
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired, SystemExit):
            self.proc.kill()


IDLE_DELAYS = (0.0, DELAY, 0.100)  # each way: 0, 20 and 200 ms RTT


def idle_phase(boxes, cont, proxy, work, size, repeats, with_mailgate):
    """{"floor": {rtt_ms: [seconds]}, "mailgate": {rtt_ms: [seconds]}} of cold polls with nothing new."""
    out = {"floor": {}, "mailgate": {}}
    user = "idle"
    boxes.restore("ordinary", size, user)
    iwork = work / user
    iwork.mkdir()
    try:
        proxy.command("delay 0")
        config = cont.mailgate_config(str(iwork), [("catchall", proxy.port, user)], "ordinary")
        if with_mailgate:  # the first poll takes the mailbox's messages; every later one finds nothing
            first = cont.mailgate_fetch(str(iwork), config, size, "first")
            if first.note or not first.ok:
                log(f"idle: the first poll failed: {first.note}")
                with_mailgate = False
        for delay in IDLE_DELAYS:
            proxy.command(f"delay {delay}")
            rtt = str(round(delay * 2000))
            out["floor"][rtt] = [cont.floor_idle(proxy.port, user, str(iwork)) for _ in range(repeats)]
            if with_mailgate:
                polls = [cont.mailgate_fetch(str(iwork), config, 0, "idle") for _ in range(repeats)]
                out["mailgate"][rtt] = [p.seconds for p in polls if p.ok and not p.note]
            log(f"idle poll at {rtt} ms RTT: floor {statistics.median(out['floor'][rtt]) * 1000:.0f} ms"
                + (f", mailgate {statistics.median(out['mailgate'][rtt]) * 1000:.0f} ms"
                   if out["mailgate"].get(rtt) else ""))
    finally:
        proxy.command(f"delay {DELAY}")
        boxes.remove(user)
    return out


def round_trip_phase(boxes, cont, proxy, work, size, mixes, with_mailgate):
    """{mix: {"floor": {rtt_ms: seconds}, "mailgate": {rtt_ms: seconds}}} of the SIZE-message fetch
    through the proxy at 0 and 200 ms RTT, one run each. Like the idle poll's, the round trips are
    read off the clock, (t200 - t0) / 200 ms, and t0 is the local work: together they say where the
    20 ms run's time goes."""
    out = {}
    try:
        for mix in mixes:
            out[mix] = {"floor": {}, "mailgate": {}}
            for delay in (0.0, 0.100):
                proxy.command(f"delay {delay}")
                rtt = str(round(delay * 2000))
                for who in ("floor", "mailgate") if with_mailgate else ("floor",):
                    user = f"rt-{who}-{mix[0]}{rtt}"
                    boxes.restore(mix, size, user)
                    rwork = work / user
                    rwork.mkdir()
                    res = getattr(cont, who)(proxy.port, user, str(rwork), size, mix)
                    boxes.remove(user)
                    shutil.rmtree(rwork, ignore_errors=True)
                    if res.ok and not res.note:
                        out[mix][who][rtt] = res.seconds
                    log(f"round trips, {mix}, {rtt} ms RTT: {who} {res.messages}/{size} in {res.seconds:.3f} s"
                        + (f"  NOTE {res.note}" if res.note else ""))
    finally:
        proxy.command(f"delay {DELAY}")
    return out


def cpu_seconds(pid=None):
    """CPU seconds used so far: (busy, idle) of the whole machine from /proc/stat, or one live
    process's user + system time from /proc/PID/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    if pid is None:
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / tick, (f[3] + f[4]) / tick
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14 and 15 of proc(5))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--env", required=True)
    p.add_argument("--mailgate", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--work", default="/tmp/mailgate-bench-work")
    p.add_argument("--quick", action="store_true")
    p.add_argument("-n", type=int)
    p.add_argument("--runs", type=int)
    p.add_argument("--slow-runs", type=int)
    p.add_argument("--slow-n", type=int, help="messages for getmail6 and the Odoo loop at 0 ms (default 2000)")
    p.add_argument("--rtt-n", type=int)
    p.add_argument("--aliases", type=int, default=100)
    p.add_argument("--alias-messages", type=int, default=3)
    p.add_argument("--alias-runs", type=int)
    p.add_argument("--idle-runs", type=int)
    p.add_argument("--only", help="comma-separated contenders (default all)")
    p.add_argument("--mixes", default=",".join(MIXES))
    p.add_argument("--proxy-port", type=int, default=10850)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--budget", type=int, default=900,
                   help="seconds: no repeat round is started that would end after this (0: no limit)")
    a = p.parse_args()
    quick = a.quick
    n = a.n or (1000 if quick else 10000)
    runs = a.runs or (1 if quick else 5)
    slow_runs = a.slow_runs or 1
    # The slow contenders handle one message per round trip and parse in Python: their rate does not
    # depend on N, and 10,000 of them would take longer than the whole time box.
    slow_n = min(a.slow_n or 2000, n)
    rtt_n = a.rtt_n or (200 if not quick else 100)
    alias_runs = a.alias_runs or (1 if quick else 2)
    idle_runs = a.idle_runs or (3 if quick else 5)
    only = a.only.split(",") if a.only else ORDER
    mixes = a.mixes.split(",")

    env = read_env(a.env)
    t_start = time.monotonic()
    info = machine()
    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.chmod(work, 0o755)  # getmail6 runs as nobody and writes below it
    boxes = Mailboxes(env)
    cont = Contenders(a.mailgate, env["CERT"])

    log("checking the latency proxy (echo through faultproxy, 10 ms each way)")
    for attempt in range(3):  # a busy machine can stall a proxy thread once; three tries, the last one counts
        check = subprocess.run([sys.executable, str(HERE / "proxycheck.py"), str(a.proxy_port + 1),
                                str(a.proxy_port + 2 + attempt), str(DELAY)], capture_output=True, text=True)
        proxy_check = json.loads(check.stdout) if check.returncode == 0 and check.stdout.strip() else {"ok": False}
        proxy_check["attempts"] = attempt + 1
        if proxy_check.get("ok"):
            break
    log(f"proxy check: {proxy_check}")
    proxy = Proxy(a.proxy_port, int(env["IMAPS_PORT"]))
    direct = int(env["IMAPS_PORT"])

    results = {"machine": info, "proxy_check": proxy_check, "runs": [], "aliases": [], "idle": {},
               "mixes": {}, "config": {"n": n, "runs": runs, "slow_runs": slow_runs, "rtt_n": rtt_n, "slow_n": slow_n,
                                       "rtt_ms": DELAY * 2000, "aliases": a.aliases,
                                       "alias_messages": a.alias_messages, "alias_runs": alias_runs,
                                       "quick": quick, "budget": a.budget, "slow": sorted(SLOW), "slow_at_rtt": sorted(SLOW_AT_RTT),
                                       "contenders": only}}
    try:
        log("building the template mailboxes")
        for mix in mixes:
            for size in sorted({n, rtt_n, slow_n}):
                _, desc = boxes.template(mix, size)
                results["mixes"].setdefault(mix, {})[str(size)] = json.loads(desc)

        rng = random.Random(a.seed)
        state = {"jobs": 0}

        def one_round(run):
            """Run RUN of every contender, both mixes, both RTTs (the slow ones only in their first runs)."""
            for mix in mixes:
                for rtt in (0, 20):
                    order = only[:]
                    rng.shuffle(order)
                    for name in order:
                        slow = SLOW_AT_RTT if rtt else SLOW
                        if name in slow and run >= slow_runs:
                            continue
                        size = rtt_n if rtt else (slow_n if name in SLOW else n)
                        user = f"{name}-{mix[0]}{rtt}-{run}"
                        boxes.restore(mix, size, user)
                        jwork = work / user
                        jwork.mkdir()
                        port = direct if rtt == 0 else proxy.port
                        res = getattr(cont, name)(port, user, str(jwork), size, mix)
                        boxes.remove(user)
                        shutil.rmtree(jwork, ignore_errors=True)
                        state["jobs"] += 1
                        rate = res.messages / res.seconds if res.seconds else 0
                        log(f"run {run + 1}/{runs} {mix:<8} {rtt:>2} ms {name:<9} {res.messages}/{size} "
                            f"in {res.seconds:7.3f} s ({rate:7.0f}/s), RSS {res.rss_kb / 1024:6.1f} MB"
                            + (f"  NOTE {res.note}" if res.note else ""))
                        results["runs"].append({"mix": mix, "rtt_ms": rtt, "contender": name, "run": run,
                                                "seconds": res.seconds, "rss_kb": res.rss_kb,
                                                "messages": res.messages, "expected": res.expected,
                                                "note": res.note, **res.extra})

        # Round 1 first (every contender, the slow ones included), then the idle poll and the alias run,
        # then the repeat rounds while the time box allows: a loaded machine yields fewer runs, each
        # complete, rather than a run cut in the middle.
        t_round = time.monotonic()
        one_round(0)
        rounds = 1

        # The cold idle poll: a second `mailgate fetch` with nothing new (a new process: connect + TLS +
        # login + poll), and the floor's connect + TLS + login + one NOOP, through the proxy at 0, 20 and
        # 200 ms RTT. Round trips = (time at 200 ms - time at 0 ms) / 200 ms: at 200 ms the latency
        # dwarfs the local cost and its noise, so the count is read off the clock, not guessed. (The
        # proxy delays data, not the TCP handshake: connect's own round trip is in neither count.)
        results["idle"] = idle_phase(boxes, cont, proxy, work, rtt_n, idle_runs, "mailgate" in only)
        if "floor" in only:
            results["round_trips"] = round_trip_phase(boxes, cont, proxy, work, rtt_n, mixes, "mailgate" in only)

        if "mailgate" in only and a.aliases:
            k = a.alias_messages
            for run in range(alias_runs):
                log(f"{a.aliases}-alias run {run + 1}/{alias_runs}: restoring {a.aliases} mailboxes of {k}")
                awork = work / f"aliases-{run}"
                awork.mkdir()
                users = [f"al{run}-{i:03d}" for i in range(a.aliases)]
                for u in users:  # not warmed: 100 extra logins would cost more than the run itself
                    boxes.restore("ordinary", k, u, warm=False)
                config = cont.mailgate_config(
                    str(awork), [(f"a{i:03d}", proxy.port, u) for i, u in enumerate(users)], "ordinary")
                # Where the machine's CPU went during the run: this run is the one where the server
                # (Dovecot, on the same 2 cores: a login process and an imap process per alias)
                # and the latency proxy compete with Mailgate.
                busy0, idle0 = cpu_seconds()
                proxy0 = cpu_seconds(proxy.proc.pid)
                res = cont.mailgate_fetch(str(awork), config, a.aliases * k, "aliases", workers=8)
                busy1, idle1 = cpu_seconds()
                cpu = {"machine_busy": busy1 - busy0, "machine_idle": idle1 - idle0,
                       "proxy": cpu_seconds(proxy.proc.pid) - proxy0, "mailgate": res.extra["cpu_seconds"]}
                log(f"{a.aliases} aliases x {k} messages, --workers 8, 20 ms RTT: {res.seconds:.3f} s, "
                    f"{res.messages}/{a.aliases * k}; CPU s: machine busy {cpu['machine_busy']:.2f}, idle "
                    f"{cpu['machine_idle']:.2f}, Mailgate {cpu['mailgate']:.2f}, proxy {cpu['proxy']:.2f}"
                    + (f"  NOTE {res.note}" if res.note else ""))
                results["aliases"].append({"seconds": res.seconds, "rss_kb": res.rss_kb, "messages": res.messages,
                                           "expected": res.expected, "note": res.note, "cpu": cpu})
                for u in users:
                    boxes.remove(u)
                shutil.rmtree(awork, ignore_errors=True)

        # A repeat round costs about what round 1 cost without its slow contenders; estimate it from
        # round 1's jobs of the fast ones and stop when the next would overrun the budget.
        fast = sum(r["seconds"] for r in results["runs"]
                   if r["contender"] not in (SLOW_AT_RTT if r["rtt_ms"] else SLOW))
        fast_jobs = len(mixes) * sum((c not in SLOW) + (c not in SLOW_AT_RTT) for c in only)
        estimate = fast * 1.5 + 3 * fast_jobs  # plus about 3 s to restore each mailbox
        for run in range(1, runs):
            elapsed = time.monotonic() - t_start
            if a.budget and elapsed + estimate > a.budget:
                log(f"time box: {elapsed:.0f} s spent, a round takes about {estimate:.0f} s, budget {a.budget} s: "
                    f"stopping after {rounds} rounds")
                break
            one_round(run)
            rounds += 1
        results["rounds_completed"] = rounds
        jobs = state["jobs"]
    finally:
        proxy.stop()
        for user in set(u for u, _ in boxes.templates.values()):
            boxes.remove(user)

    info["loadavg_end"] = os.getloadavg()
    results["wall_seconds"] = round(time.monotonic() - t_start, 1)
    results["finished_utc"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    log(f"{jobs} measured runs in {results['wall_seconds']:.0f} s; results in {out}/results.json")


if __name__ == "__main__":
    main()
