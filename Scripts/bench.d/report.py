#!/usr/bin/env python3
"""Turns results.json into the table, the targets of issue 13 (met/missed, with the numbers) and an SVG chart.

    report.py RESULTS.json OUTDIR      writes OUTDIR/results.md and OUTDIR/chart.svg, prints results.md

Medians are over the runs whose contender took every message it was asked for; a contender that
took fewer is shown as incomplete with its note, never as a speed.
"""
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contenders import NAMES, ORDER  # noqa: E402
from svgchart import chart  # noqa: E402

MIX_NAMES = {"ordinary": "ordinary mail", "bounce": "bounce@ (mostly bounces)"}


def summarise(runs):
    """{(mix, rtt, contender): {...median...}} over the complete runs."""
    out = {}
    keys = {(r["mix"], r["rtt_ms"], r["contender"]) for r in runs}
    for key in keys:
        rs = [r for r in runs if (r["mix"], r["rtt_ms"], r["contender"]) == key]
        good = [r for r in rs if r["messages"] == r["expected"] and r["seconds"] > 0]
        s = {"runs": len(rs), "complete": len(good), "expected": rs[0]["expected"],
             "rss_kb": max(r["rss_kb"] for r in rs),
             "notes": sorted({r["note"] for r in rs if r["note"]}),
             "got": min(r["messages"] for r in rs)}
        if good:
            secs = sorted(r["seconds"] for r in good)
            s["median"] = statistics.median(secs)
            s["min"], s["max"] = secs[0], secs[-1]
            s["rate"] = s["expected"] / s["median"]
            if all("cpu_seconds" in r for r in good):
                s["cpu"] = statistics.median(r["cpu_seconds"] for r in good)
            if "bytes" in good[0]:
                s["mean_bytes"] = good[0]["bytes"] / good[0]["messages"]
        out[key] = s
    return out


def fmt_secs(s):
    if "median" not in s:
        return "—"
    spread = f"{s['min']:.3f}–{s['max']:.3f}" if s["complete"] > 1 else "1 run"
    return f"{s['median']:.3f} ({spread})"


def verdict(ok):
    return "MET   " if ok else "MISSED"


def rtt_reason(rt, mg):
    """Why the 20 ms run is slower than the floor, from the round-trip phase (the same fetch at 0 and
    200 ms RTT): how many round trips each waits and how much local work each does."""
    got = {}
    for who in ("mailgate", "floor"):
        t = rt.get(who, {})
        if "0" in t and "200" in t:
            got[who] = ((t["200"] - t["0"]) / 0.2, t["0"])
    if len(got) < 2:
        return ""
    (m_rt, m_work), (f_rt, f_work) = got["mailgate"], got["floor"]
    cpu = f" (its process used {mg['cpu'] * 1000:.0f} ms of CPU at 20 ms)" if "cpu" in mg else ""
    return (f". Why, from the same fetch at 0 and 200 ms RTT: Mailgate waits {m_rt:.1f} round trips and works "
            f"{m_work * 1000:.0f} ms without latency{cpu}, the floor {f_rt:.1f} and {f_work * 1000:.0f} ms. "
            f"Of the gap, {max(m_rt - f_rt, 0) * 20:.0f} ms are its extra round trips (the floor pipelines SELECT "
            f"with the bodies' FETCH; Mailgate lists sizes with the SELECT, then fetches what is new and not "
            f"too large, and after the commit sends the \\Seen STORE) and {max(m_work - f_work, 0) * 1000:.0f} ms local "
            f"work the floor does not do: process start, the store and its fsyncs, parsing, routing")


def cpu_split(runs):
    """Where the machine's CPU went during the alias runs (medians): why such a run is slow."""
    cpus = [r["cpu"] for r in runs if "cpu" in r]
    if not cpus:
        return ""
    med = {k: statistics.median(c[k] for c in cpus) for k in cpus[0]}
    total = med["machine_busy"] + med["machine_idle"]
    other = med["machine_busy"] - med["mailgate"] - med["proxy"]
    return (f"the machine's CPU was {med['machine_busy'] / total * 100:.0f}% busy; of its "
            f"{med['machine_busy']:.2f} CPU s, Mailgate used {med['mailgate']:.2f}, the latency proxy "
            f"{med['proxy']:.2f}, and Dovecot (a login and an imap process per alias, on the same cores) with "
            f"everything else {other:.2f}")


def main():
    res = json.loads(Path(sys.argv[1]).read_text())
    outdir = Path(sys.argv[2])
    cfg, m = res["config"], res["machine"]
    summary = summarise(res["runs"])
    mixes = [mx for mx in ("ordinary", "bounce") if any(k[0] == mx for k in summary)]
    lines = []
    add = lines.append

    kind = "quick run" if cfg["quick"] else ("full run" if cfg["n"] >= 10000 and cfg["runs"] >= 5 else "reduced run")
    add(f"# Mailgate fetch benchmark ({kind}, {res['finished_utc']})")
    add("")
    add(f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB memory, Linux {m['kernel']}; "
        f"load average {m['loadavg_start'][0]:.1f} at the start, {m['loadavg_end'][0]:.1f} at the end "
        f"(a load above {m['nproc']} means other work shared the cores: read the spreads).")
    v = m["versions"]
    add(f"Contenders: Mailgate (release build), mbsync {v['mbsync']}, {v['fetchmail']}, {v['getmail6']}, "
        f"Python {v['python']} (Odoo-style loop, floor); server Dovecot {v['dovecot']} on loopback, IMAPS. "
        f"getmail6 runs as nobody, pinned to one core (its lost SIGCHLD wake-up otherwise stalls it 180 s "
        f"and aborts the run; see contenders.py); fetchmail with `bad-header accept` (else it leaves "
        f"two corpus messages on the server).")
    add(f"Plan: {cfg['n']:,} messages at 0 ms ({NAMES['getmail']} and the Odoo-style loop: {cfg.get('slow_n', cfg['n']):,}, "
        f"their rate does not depend on N), {cfg['rtt_n']} at {cfg['rtt_ms']:.0f} ms RTT; median of "
        f"{cfg['runs']} run{'s' if cfg['runs'] > 1 else ''} (min–max in brackets), except {', '.join(NAMES[c] for c in cfg['slow'])} at 0 ms "
        f"and {', '.join(NAMES[c] for c in cfg['slow_at_rtt'])} at 20 ms: {cfg['slow_runs']} run "
        f"(one message per round trip: 5 runs of them do not fit the time box). Each run gets a fresh copy of "
        f"the mailbox, and the disk is synced before it starts. "
        f"{res.get('rounds_completed', cfg['runs'])} of {cfg['runs']} rounds completed within the "
        f"{cfg.get('budget', 0)} s budget; total {res['wall_seconds']:.0f} s.")
    mixinfo = []
    for mx in mixes:
        d = res["mixes"][mx][str(cfg["n"])]
        floor = summary.get((mx, 0, "floor"), {})
        served = f", {floor['mean_bytes'] / 1024:.2f} KB as served (CRLF)" if "mean_bytes" in floor else ""
        mixinfo.append(f"{MIX_NAMES[mx]}: mean {d['mean_bytes'] / 1024:.2f} KB on disk{served}, "
                       f"{d['bounces']} of {d['messages']} bounces")
    add("Mixes: " + "; ".join(mixinfo) + ".")
    pc = res["proxy_check"]
    if pc.get("ok") is not None and "rtt_ms" in pc:
        add(f"Latency: faultproxy.py with `delay 0.01` each way; checked first: RTT {pc['rtt_ms']:.1f} ms, "
            f"a 40-chunk burst came back {pc.get('burst_lag_ms_median', 0):.1f} ms (median; max {pc['burst_lag_ms_max']:.1f}) after each "
            f"send (per chunk, not serialised): {'ok' if pc['ok'] else 'NOT OK, 20 ms numbers are suspect'}.")
    else:
        add("Latency: the proxy check FAILED: the 20 ms numbers are suspect.")
    add("")
    add("| mix | RTT | contender | messages | seconds: median (min–max) | messages/s | Mailgate is × faster | share of floor | peak RSS |")
    add("|---|---|---|---:|---|---:|---:|---:|---:|")
    for rtt in (0, 20):
        for mx in mixes:
            mg = summary.get((mx, rtt, "mailgate"), {})
            fl = summary.get((mx, rtt, "floor"), {})
            for c in ORDER:
                s = summary.get((mx, rtt, c))
                if not s:
                    continue
                name = f"**{NAMES[c]}**" if c == "mailgate" else NAMES[c]
                if "rate" not in s:
                    add(f"| {MIX_NAMES[mx]} | {rtt} ms | {name} | {s['expected']:,} | incomplete: {s['got']} taken | — | — | — | "
                        f"{s['rss_kb'] / 1024:.0f} MB |")
                    continue
                times = f"{mg['rate'] / s['rate']:.2f}×" if "rate" in mg and c != "mailgate" else ""
                share = f"{s['rate'] / fl['rate'] * 100:.0f}%" if "rate" in fl and c != "floor" else ""
                add(f"| {MIX_NAMES[mx]} | {rtt} ms | {name} | {s['expected']:,} | {fmt_secs(s)} | {s['rate']:,.0f} | {times} | {share} | "
                    f"{s['rss_kb'] / 1024:.0f} MB |")
    notes = [(k, n) for k, s in sorted(summary.items()) for n in s["notes"]]
    if notes:
        add("")
        add("Notes from the runs (a contender that took fewer messages than asked is not timed):")
        for (mx, rtt, c), n in notes[:12]:
            add(f"- {NAMES[c]}, {mx}, {rtt} ms: {n[:200]}")

    # Idle poll: round trips = (time at 200 ms RTT - time at 0 ms) / 200 ms, for Mailgate and the floor.
    add("")
    idle = res.get("idle", {})
    med = {who: {int(k): statistics.median(v) for k, v in idle.get(who, {}).items() if v} for who in ("floor", "mailgate")}
    idle_ok = None
    mg, fl = med.get("mailgate", {}), med.get("floor", {})
    if all(r in mg and r in fl for r in (0, 20, 200)):
        mg_rt = (mg[200] - mg[0]) / 0.2
        fl_rt = (fl[200] - fl[0]) / 0.2
        idle_ok = mg_rt <= fl_rt + 0.5
        add(f"Idle poll (a second `mailgate fetch`, nothing new; a new process: connect + TLS + login + poll): "
            f"{mg[0] * 1000:.0f} ms at 0 ms RTT, {mg[20] * 1000:.0f} ms at 20 ms, {mg[200] * 1000:.0f} ms at 200 ms: "
            f"{mg_rt:.1f} round trips. The floor's connect + TLS + login + one NOOP: {fl[0] * 1000:.0f}, "
            f"{fl[20] * 1000:.0f} and {fl[200] * 1000:.0f} ms: {fl_rt:.1f} round trips (the proxy does not delay "
            f"the TCP handshake, so connect's round trip is in neither).")
        idle_line = (f"cold idle poll: {mg_rt:.1f} round trips, {mg[20] * 1000:.0f} ms at 20 ms RTT; connect + TLS + "
                     f"login + one is {fl_rt:.1f} ({fl[20] * 1000:.0f} ms; met within half a round trip). The "
                     f"kept-connection idle poll (`mailgate run`, IDLE) is not measured here")
    else:
        idle_line = "idle poll not measured (Mailgate or the floor missing)"

    al = [a for a in res["aliases"] if a["messages"] == a["expected"]]
    alias_ok = None
    if res["aliases"]:
        if al:
            secs = sorted(a["seconds"] for a in al)
            med = statistics.median(secs)
            alias_ok = med < 3
            add(f"{cfg['aliases']}-alias run: {cfg['aliases']} mailboxes with {cfg['alias_messages']} new messages each, one "
                f"`mailgate fetch --workers 8` at {cfg['rtt_ms']:.0f} ms RTT: {med:.2f} s median of {len(secs)} "
                f"({secs[0]:.2f}–{secs[-1]:.2f}), peak RSS {max(a['rss_kb'] for a in al) / 1024:.0f} MB."
                + (f" During it, {cpu_split(al)}." if cpu_split(al) else ""))
            alias_line = f"{cfg['aliases']} aliases at 20 ms RTT: {med:.2f} s (target < 3 s)"
        else:
            a0 = res["aliases"][0]
            alias_line = f"{cfg['aliases']} aliases: incomplete ({a0['messages']}/{a0['expected']}: {a0['note'][:120]})"
            alias_ok = False
            add(f"{cfg['aliases']}-alias run: " + alias_line)
    else:
        alias_line = "100-alias run not measured"

    # Targets of issue 13.
    add("")
    add("## Targets (issue 13)")
    add("")
    tl = []

    def target(ok, text):
        tl.append(f"- {'n/a   ' if ok is None else verdict(ok)} {text}")
    for mx in mixes:
        mg = summary.get((mx, 0, "mailgate"), {})
        for c, need, label in (("mbsync", 3, "≥ 3× mbsync (hard)"), ("odoo", 10, "≥ 10× the Odoo-style loop (hard)")):
            s = summary.get((mx, 0, c), {})
            if "rate" in mg and "rate" in s:
                x = mg["rate"] / s["rate"]
                target(x >= need, f"loopback, {MIX_NAMES[mx]}: Mailgate {mg['rate']:,.0f}/s vs {NAMES[c]} "
                                  f"{s['rate']:,.0f}/s = {x:.2f}× — {label}")
            else:
                target(None, f"loopback, {MIX_NAMES[mx]}: {label}: not measured")
        fl = summary.get((mx, 0, "floor"), {})
        if "rate" in mg and "rate" in fl:
            share = mg["rate"] / fl["rate"]
            why = ""
            if share < 0.5 and "cpu" in mg:
                why = (f". Why: Mailgate's process used {mg['cpu']:.2f} CPU s in {mg['median']:.2f} s "
                       f"({mg['cpu'] / mg['median']:.2f} of the 2 cores), {mg['cpu'] / mg['expected'] * 1e6:.0f} µs a "
                       f"message to hash, parse, route and commit it, while Dovecot serves it from the same cores; "
                       f"the floor parses and keeps nothing")
            target(share >= 0.5, f"loopback, {MIX_NAMES[mx]}: Mailgate's share of the floor {share * 100:.1f}% "
                                 f"({mg['rate']:,.0f} of {fl['rate']:,.0f}/s) — goal ≥ 50%{why}")
    for mx in mixes:
        mg = summary.get((mx, 20, "mailgate"), {})
        fl = summary.get((mx, 20, "floor"), {})
        mb = summary.get((mx, 20, "mbsync"), {})
        if "median" in mg and "median" in fl:
            x = mg["median"] / fl["median"]
            target(x <= 1.5, f"20 ms RTT, {cfg['rtt_n']} messages, {MIX_NAMES[mx]}: Mailgate {mg['median']:.2f} s vs "
                             f"floor {fl['median']:.2f} s = {x:.2f}× — within 1.5×"
                             + ("" if x <= 1.5 else rtt_reason(res.get("round_trips", {}).get(mx, {}), mg)))
        if "median" in mg and "median" in mb:
            target(mg["median"] < mb["median"], f"20 ms RTT, {MIX_NAMES[mx]}: Mailgate {mg['median']:.2f} s vs "
                                                f"mbsync {mb['median']:.2f} s — ahead of mbsync")
    target(None, "bounce classification alone ≥ 20,000/s over corpus/bounces: not measured by Scripts/bench "
                 "(it times whole fetches; the classifier's own benchmark belongs to the bounce work)")
    target(idle_ok, idle_line)
    split = cpu_split(al)
    target(alias_ok, alias_line + (f". Why: {split}" if alias_ok is False and split else ""))
    rss = [r for r in res["runs"] if r["contender"] == "mailgate" and r["rtt_ms"] == 0]
    if rss:
        peak = max(r["rss_kb"] for r in rss) / 1024
        at = max(r["expected"] for r in rss)
        caveat = "" if at >= 10000 else f" (measured at {at} messages; the target is for 10,000)"
        target(peak < 64, f"peak RSS of a {at}-message fetch: {peak:.1f} MB — under 64 MB{caveat}")
    lines += tl
    text = "\n".join(lines) + "\n"
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "results.md").write_text(text)
    (outdir / "chart.svg").write_text(chart(summary, mixes, cfg, MIX_NAMES, NAMES, ORDER, res["finished_utc"]))
    print(text, end="")


if __name__ == "__main__":
    main()
