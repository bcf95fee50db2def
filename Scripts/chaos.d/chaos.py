#!/usr/bin/env python3
"""The fault suite (issue 11): Scripts/chaos [--quick] [--seed N] [--only PART,...] [--jobs N].

Parts, each on its own fresh mailboxes and stores:
  offsets   cut one reference conversation (3 messages) at every offset up to the end of SELECT,
            at each phase boundary ±3 bytes and at seeded random offsets; imap:// and imaps://
  stalls    stall (then resume, and forever) and trickle one byte at a time
  kill      kill -9 at seeded random moments during a large fetch, IMAP and POP3
  disk      store and spool on a 1 MB tmpfs (root only)
  hostile   a 100 MB message over the limit, 10,000 nested multiparts, a 10 MB header, a
            literal claiming 1 GB from a scripted IMAP server, a POP3 LIST that claims 500 bytes
            for a 600 MB RETR
After every fault the poll must end cleanly (exit 0 or 75, no signal, no hang), nothing may be
flagged on the server that the store has not committed, the next poll must complete, and the
store must match the mailbox exactly. Exit 1 on any loss, duplicate, crash or hang."""
import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from world import Case, Dovecot, SYSEXITS, compare, crlf, message_id, run_mailgate, sample, uncommitted_flags  # noqa: E402
import reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
POLL_LIMIT = 330  # s: libcurl's connect phase (30 s) + a command timeout (120 s), twice (one retry), and slack


class Ports:
    """Where the servers the suite starts listen: the next free port of a range (`--ports
    10650-10699`, so that engineers sharing a machine keep to their own ranges), or any port
    the kernel picks (`--ports 0`)."""

    def __init__(self, spec):
        self.lock = threading.Lock()
        if spec in ("", "0"):
            self.range = None
        else:
            lo, _, hi = spec.partition("-")
            self.range = list(range(int(lo), int(hi or lo) + 1))
        self.next = 0

    def start(self, argv_for_port, **popen):
        """Starts `argv_for_port(port)` until one prints `listening PORT`; returns (process, port)."""
        tries = [0] if self.range is None else None
        for attempt in range(len(self.range) if self.range else 1):
            if self.range:
                with self.lock:
                    port = self.range[self.next % len(self.range)]
                    self.next += 1
            else:
                port = tries[0]
            p = subprocess.Popen(argv_for_port(port), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                 bufsize=1, **popen)
            first = p.stdout.readline().split()
            if first[:1] == ["listening"]:
                return p, int(first[1])
            p.wait()  # the port was taken: it exited; try the next
        raise SystemExit(f"chaos: no free port in --ports {self.range[0]}-{self.range[-1]}" if self.range
                         else "chaos: a helper server did not start")


PORTS = Ports("0")


class Proxy:
    """A faultproxy.py in control mode in front of one Dovecot port."""

    def __init__(self, target_port, record=None):
        def argv(port):
            cmd = [sys.executable, os.path.join(HERE, "faultproxy.py"), "--control", "--listen", str(port),
                   "--target", f"127.0.0.1:{target_port}"]
            return cmd + (["--record", record, "--record-data"] if record else [])
        self.p, self.port = PORTS.start(argv, stdin=subprocess.PIPE)
        self.lock = threading.Lock()

    def ask(self, line):
        with self.lock:
            self.p.stdin.write(line + "\n")
            self.p.stdin.flush()
            answer = self.p.stdout.readline().strip()
        if answer.startswith("error"):
            raise SystemExit(f"chaos: fault proxy: {answer}")
        return answer

    def close(self):
        try:
            self.ask("quit")
        except (BrokenPipeError, SystemExit):
            pass
        self.p.wait(timeout=10)


class Suite:
    def __init__(self, args, dovecot, binary):
        self.args, self.dovecot, self.binary = args, dovecot, binary
        self.root = tempfile.mkdtemp(prefix="mg-chaos-", dir="/tmp")
        self.seed = args.seed
        self.rng = random.Random(self.seed)
        self.lock = threading.Lock()
        self.counter = 0
        self.faults = 0
        self.lost = 0
        self.duplicates = 0
        self.findings = []   # (severity, text): "loss" and "crash" fail the suite; "note" does not
        self.local = threading.local()
        self.proxies = []

    # --- bookkeeping -------------------------------------------------------------------------

    def next_id(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def finding(self, severity, text):
        with self.lock:
            self.findings.append((severity, text))
        print(f"  [{severity}] {text}", flush=True)

    def proxy(self, proto):
        """This worker thread's proxy for proto (faults are armed per proxy, so workers never share)."""
        mine = getattr(self.local, "proxies", None)
        if mine is None:
            mine = self.local.proxies = {}
        if proto not in mine:
            mine[proto] = Proxy(self.dovecot.ports[proto])
            with self.lock:
                self.proxies.append(mine[proto])
        return mine[proto]

    @staticmethod
    def url(proto, port):
        folder = "/INBOX" if proto.startswith("imap") else "/"
        extra = 'tls = "none"\n' if proto in ("imap", "pop3") else ""
        return f"{proto}://127.0.0.1:{port}{folder}", extra

    # --- one fault against a 3-message mailbox ------------------------------------------------

    def fault_case(self, proto, spec, every=True, label="", sizes=(900, 2600, 400)):
        """Arms `spec` on this worker's proxy (every connection of the poll, or only the first),
        polls, checks, polls again without the fault, compares. Returns a one-line outcome."""
        n = self.next_id()
        user = f"chaos-{os.getpid()}-{n}"
        raws = [sample(user, i, size) for i, size in enumerate(sizes)]
        expected = [crlf(r) for r in raws]
        self.dovecot.deliver(user, raws)
        proxy = self.proxy(proto)
        url, extra = self.url(proto, proxy.port)
        case = Case(self.root, f"case{n}", url, user, self.dovecot, extra)
        proxy.ask(("armall " if every else "arm ") + spec)
        first = case.fetch(self.binary, POLL_LIMIT)
        proxy.ask("disarm")
        with self.lock:
            self.faults += 1
        where = f"{proto} {spec}{'' if every else ' (first connection)'} {label}".strip()
        ok = True
        if first.hung:
            self.finding("hang", f"{where}: the poll hung: {first.brief()} (case {case.dir})")
            ok = False
        elif first.signal or first.code not in SYSEXITS:
            self.finding("crash", f"{where}: the poll crashed: {first.brief()} (case {case.dir})")
            ok = False
        elif first.code not in (0, 75):
            self.finding("note", f"{where}: the poll failed with exit {first.code}, not 75: {first.brief()}")
        bad = uncommitted_flags(case, None if proto.startswith("imap") else [message_id(r) for r in raws])
        if bad:
            self.finding("loss", f"{where}: acknowledged on the server but not committed: {bad} (case {case.dir})")
            ok = False
        second = case.fetch(self.binary, POLL_LIMIT)
        if second.code != 0:
            self.finding("stuck", f"{where}: the next poll without a fault failed: {second.brief()} (case {case.dir})")
            ok = False
        retry = case.settle_retries(self.binary, POLL_LIMIT)
        if retry is not None and retry.code != 0:
            self.finding("stuck", f"{where}: the retry of the failed messages failed: {retry.brief()} (case {case.dir})")
            ok = False
        lost, dups, problems = compare(case, expected)
        if proto.startswith("imap"):
            unflagged = sorted({message_id(r) for r in raws} - set(self.dovecot.flagged_ids(user)))
            if unflagged and second.code == 0:
                problems.append(f"not flagged on the server after a clean poll: {unflagged}")
        elif second.code == 0 and self.dovecot.count(user) != 0:
            problems.append(f"{self.dovecot.count(user)} message(s) left on the POP3 server after a clean poll")
        with self.lock:
            self.lost += lost
            self.duplicates += dups
        if lost or dups:
            self.finding("loss", f"{where}: lost {lost}, duplicates {dups}: {'; '.join(problems)} (case {case.dir}, "
                                 f"first poll: {first.brief()})")
            ok = False
        elif problems:
            self.finding("stuck", f"{where}: {'; '.join(problems)} (case {case.dir})")
            ok = False
        if ok and not self.args.keep:
            shutil.rmtree(case.dir, ignore_errors=True)
            self.dovecot.remove(user)
        return first.code

    def run_cases(self, cases, title):
        """cases: [(proto, spec, every, label)], run on --jobs workers; prints progress."""
        print(f"{title}: {len(cases)} faults", flush=True)
        started = time.monotonic()
        codes = {}
        with ThreadPoolExecutor(max_workers=self.args.jobs) as pool:
            for i, code in enumerate(pool.map(lambda c: self.fault_case(*c), cases), 1):
                codes[code] = codes.get(code, 0) + 1
                if i % 250 == 0:
                    print(f"  {i}/{len(cases)} after {time.monotonic() - started:.0f}s: lost {self.lost}, "
                          f"duplicates {self.duplicates}, findings {len(self.findings)}", flush=True)
        print(f"  done in {time.monotonic() - started:.0f}s; first-poll exits {dict(sorted(codes.items()))}", flush=True)

    # --- the reference conversation -----------------------------------------------------------

    def record_reference(self, proto):
        path = os.path.join(self.root, f"reference-{proto}.jsonl")
        p = Proxy(self.dovecot.ports[proto], record=path)
        try:
            n = self.next_id()
            user = f"chaos-{os.getpid()}-ref{n}"
            self.dovecot.deliver(user, [sample(user, i, s) for i, s in enumerate((900, 2600, 400))])
            url, extra = self.url(proto, p.port)
            case = Case(self.root, f"ref-{proto}", url, user, self.dovecot, extra)
            run = case.fetch(self.binary, POLL_LIMIT)
            if run.code != 0:
                raise SystemExit(f"chaos: the reference poll over {proto} failed: {run.brief()}")
        finally:
            p.close()
        return reference.Conversation(path)

    def offsets(self):
        plain = self.record_reference("imap")
        tls = self.record_reference("imaps")
        pmarks, names, pend = reference.plain_phases(plain)
        tmarks, tend, notes = reference.tls_phases(tls, plain, names)
        for note in notes:
            self.finding("note", note)
        print("reference conversation (3 messages), offsets in bytes per direction:")
        print(f"  imap://  s2c {len(plain.s2c)}, c2s {len(plain.c2s)}; end of SELECT s2c {pend['s2c']} c2s {pend['c2s']}")
        print(f"  imaps:// s2c {len(tls.s2c)}, c2s {len(tls.c2s)}; end of SELECT s2c {tend['s2c']} c2s {tend['c2s']}")
        print("  phases (imap:// exact; imaps:// carried over by TLS record):")
        tl = {(n, d): o for n, d, o in tmarks}
        for n, d, o in pmarks:
            print(f"    {n:28s} {d} {o:6d}   imaps {tl.get((n, d), '-')}")
        for n, d, o in tmarks:
            if n.startswith("tls"):
                print(f"    {n:28s} {d} {'':6s}   imaps {o}")

        quick = self.args.quick
        cases = []
        # 1. Every offset up to the end of SELECT (quick: a seeded sample).
        every = []
        for proto, end in (("imap", pend), ("imaps", tend)):
            for d in ("s2c", "c2s"):
                every += [(proto, f"cut:{d}:{o}", True, "up to SELECT") for o in range(0, end[d] + 1)]
        if quick:
            every = self.rng.sample(every, min(len(every), 40))
        cases += every
        # 2. Each phase boundary ±3 bytes (quick: one of the seven per boundary, seeded).
        bounds = set()
        for proto, marks, conv in (("imap", pmarks, plain), ("imaps", tmarks, tls)):
            for n, d, o in marks:
                total = len(conv.s2c if d == "s2c" else conv.c2s)
                deltas = range(-3, 4) if not quick else [self.rng.randint(-3, 3)]
                for delta in deltas:
                    if 0 <= o + delta <= total:
                        bounds.add((proto, f"cut:{d}:{o + delta}", True, f"at {n}{delta:+d}"))
        bounds = sorted(bounds)
        if quick:
            bounds = self.rng.sample(bounds, min(len(bounds), 60))
        cases += bounds
        # 3. Random offsets over the whole conversation: cut or reset, every connection or only the first.
        count = 30 if quick else 200
        for _ in range(count):
            proto = self.rng.choice(["imap", "imaps"])
            conv = plain if proto == "imap" else tls
            d = "s2c" if self.rng.random() < 0.8 else "c2s"
            o = self.rng.randint(0, len(conv.s2c if d == "s2c" else conv.c2s))
            kind = self.rng.choice(["cut", "reset"])
            cases.append((proto, f"{kind}:{d}:{o}", self.rng.random() < 0.5, "random"))
        return cases, pmarks

    # --- stalls and trickles ---------------------------------------------------------------------

    def stalls(self, pmarks):
        at = {n: o for n, d, o in pmarks if d == "s2c"}
        lit = (at.get("literal1:start", 0) + at.get("literal1:end", 0)) // 2
        sel = at.get("select:answer", 0) + 10
        cases = [
            ("imap", f"stall:s2c:{lit}:3", True, "mid literal, 3 s"),
            ("imaps", f"stall:s2c:{sel}:3", True, "in SELECT, 3 s"),
            ("imap", f"stall:c2s:{at.get('select:answer', 0) and 40}:3", True, "client side, 3 s"),
            ("imap", "trickle:s2c:0", True, "whole conversation"),
            ("imaps", "trickle:s2c:0", True, "whole conversation"),
            ("imap", "trickle:c2s:0", True, "whole conversation"),
            ("pop3", "trickle:s2c:0", True, "whole conversation"),
            # Forever: the poll must give up by its own timeout; the retry's connection is clean.
            ("imap", f"stall:s2c:{lit}:forever", False, "mid literal, forever"),
        ]
        if not self.args.quick:
            cases += [("imaps", f"stall:s2c:{sel}:forever", False, "in SELECT, forever"),
                      ("imap", f"stall:s2c:{lit}:forever", True, "mid literal, forever, every connection"),
                      ("pop3", "stall:s2c:200:forever", False, "POP3, forever")]
        # A message above the streaming threshold (4 MB) goes to the spool as it arrives: cut there.
        big = (900, 5_000_000, 400)
        cases.append(("imap", "cut:s2c:2500000", True, "inside a streamed 5 MB literal", big))
        # Small messages are fetched before large ones, so the large one's UID is below the
        # small ones': a failure between them must not leave it behind the high-water mark.
        cases.append(("imap", "cut:c2s:330", True, "between the small batch and the streamed 5 MB message", big))
        if not self.args.quick:
            cases += [("imaps", "reset:s2c:3000000", True, "inside a streamed 5 MB literal", big),
                      ("imap", "cut:s2c:4000000", False, "inside a streamed 5 MB literal, first connection", big),
                      ("imap", "stall:s2c:2500000:forever", False, "inside a streamed 5 MB literal, forever", big)]
        # POP3 cuts too (a few, the IMAP ones are the thorough ones).
        for _ in range(6 if self.args.quick else 40):
            cases.append(("pop3", f"cut:s2c:{self.rng.randint(0, 4000)}", self.rng.random() < 0.5, "POP3 random"))
        return cases

    # --- kill -9 during a large fetch ----------------------------------------------------------

    def kill(self):
        count = 600 if self.args.quick else 5000
        kills = 5 if self.args.quick else 20
        for proto in ("imaps", "pop3s"):
            url, extra = self.url(proto, self.dovecot.ports[proto])
            extra += 'start = "all"\n'
            # How long an uninterrupted poll of this size takes here, so the moments fall inside one.
            n = self.next_id()
            user = f"chaos-{os.getpid()}-calib{n}"
            large = {count // 3, 2 * count // 3}
            self.dovecot.deliver(user, [sample(user, i, 4_500_000 if i in large else 600 + (i * 37) % 3000)
                                        for i in range(count)])
            calib = Case(self.root, f"calib-{proto}", url, user, self.dovecot, extra).fetch(self.binary, POLL_LIMIT)
            whole = calib.seconds
            shutil.rmtree(os.path.join(self.root, f"calib-{proto}"), ignore_errors=True)
            self.dovecot.remove(user)

            n = self.next_id()
            user = f"chaos-{os.getpid()}-kill{n}"
            # Two messages above the streaming threshold (4 MB) among the small ones: they are
            # fetched after every small batch, one at a time, straight into the spool.
            raws = [sample(user, i, 4_500_000 if i in large else 600 + (i * 37) % 3000) for i in range(count)]
            self.dovecot.deliver(user, raws)
            case = Case(self.root, f"kill-{proto}", url, user, self.dovecot, extra)
            print(f"kill -9: {count} messages (two of 4.5 MB) over {proto} (an uninterrupted poll takes {whole:.1f}s), "
                  f"{kills} kills (seed {self.seed})", flush=True)
            started = time.monotonic()
            landed = 0
            moments = []
            outcomes = []
            for i in range(kills):
                # Each poll is killed after a seeded random share of an uninterrupted poll's time
                # (2 × whole / kills at most): together the kills spread over the whole fetch,
                # and each restart resumes from what the last one committed.
                moment = round(self.rng.uniform(0.02, 2 * whole / kills), 3)
                moments.append(moment)
                run = case.fetch(self.binary, POLL_LIMIT, kill_after=moment)
                with self.lock:
                    self.faults += 1
                outcomes.append("kill" if run.killed_after is not None and run.signal == 9 else str(run.code))
                if run.killed_after is not None and run.signal == 9:
                    landed += 1
                elif run.code == 0:
                    pass  # finished before the kill: the next kills find less to do
                elif run.code != 75:
                    self.finding("crash", f"kill {proto}: a poll ended with {run.brief()}")
                bad = uncommitted_flags(case, None if proto.startswith("imap") else [message_id(r) for r in raws])
                if bad:
                    self.finding("loss", f"kill {proto}: after the kill at {moment}s: acknowledged, not committed: {bad[:5]}")
            print(f"  kill moments (s) and outcomes: {list(zip(moments, outcomes))}", flush=True)
            final = None
            for _ in range(3):
                final = case.fetch(self.binary, POLL_LIMIT)
                if final.code == 0:
                    break
            if final.code != 0:
                self.finding("stuck", f"kill {proto}: no clean poll after the kills: {final.brief()}")
            retry = case.settle_retries(self.binary, POLL_LIMIT)
            if retry is not None and retry.code != 0:
                self.finding("stuck", f"kill {proto}: the retry of the failed messages failed: {retry.brief()}")
            lost, dups, problems = compare(case, [crlf(r) for r in raws])
            if proto.startswith("imap"):
                unflagged = count - len(self.dovecot.flagged_ids(user))
                if unflagged:
                    problems.append(f"{unflagged} message(s) not flagged on the server")
            elif self.dovecot.count(user):
                problems.append(f"{self.dovecot.count(user)} message(s) left on the POP3 server")
            seen, routed = case.rows()
            recorded = sum(1 for r in seen if r[3] is not None)
            print(f"  {landed} kills landed mid-poll; recorded {recorded} of {count}, routes {len(routed)}; "
                  f"{time.monotonic() - started:.0f}s", flush=True)
            with self.lock:
                self.lost += lost
                self.duplicates += dups
            if lost or dups:
                self.finding("loss", f"kill {proto}: lost {lost}, duplicates {dups}: {'; '.join(problems[:10])} (case {case.dir})")
            elif problems:
                self.finding("stuck", f"kill {proto}: {'; '.join(problems[:10])} (case {case.dir})")
            else:
                shutil.rmtree(case.dir, ignore_errors=True)
                self.dovecot.remove(user)

    # --- disk full -------------------------------------------------------------------------------

    def disk(self):
        if os.geteuid() != 0:
            print("disk full: skipped (needs root for mount -t tmpfs)", flush=True)
            return
        n = self.next_id()
        user = f"chaos-{os.getpid()}-disk{n}"
        raws = [sample(user, i, 300_000) for i in range(4)]
        self.dovecot.deliver(user, raws)
        mnt = os.path.join(self.root, "diskfull")
        os.makedirs(mnt)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).returncode != 0:
            print("disk full: skipped (mount -t tmpfs failed)", flush=True)
            return
        print("disk full: store and spool on a 1 MB tmpfs, 4 messages of 300 KB", flush=True)
        try:
            url, extra = self.url("imaps", self.dovecot.ports["imaps"])
            case = Case(self.root, "disk", url, user, self.dovecot, extra, store_dir=mnt)
            first = case.fetch(self.binary, POLL_LIMIT)
            with self.lock:
                self.faults += 1
            print(f"  full: {first.brief()}", flush=True)
            if first.code != 75:
                self.finding("note" if first.code in SYSEXITS and not first.signal else "crash",
                             f"disk full: the poll ended with {first.brief()}, not exit 75")
            if first.code == 0:
                self.finding("note", "disk full: the poll completed on a full disk (the tmpfs was big enough?)")
            bad = uncommitted_flags(case)
            if bad:
                self.finding("loss", f"disk full: flagged on the server but not committed: {bad}")
            subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
            second = case.fetch(self.binary, POLL_LIMIT)
            print(f"  space back: {second.brief()}", flush=True)
            if second.code != 0:
                self.finding("stuck", f"disk full: the poll after space came back failed: {second.brief()}")
            lost, dups, problems = compare(case, [crlf(r) for r in raws])
            with self.lock:
                self.lost += lost
                self.duplicates += dups
            if lost or dups or problems:
                self.finding("loss" if lost or dups else "stuck", f"disk full: lost {lost}, duplicates {dups}: {'; '.join(problems)}")
        finally:
            subprocess.run(["umount", mnt])

    # --- hostile mail ----------------------------------------------------------------------------

    def hostile(self):
        print("hostile mail:", flush=True)
        rss_limit_kb = 400 * 1024
        n = self.next_id()
        # 1. 100 MB over a 10 MB limit: skipped once, reported once, never downloaded.
        user = f"chaos-{os.getpid()}-big{n}"
        big = b"From: big@example.test\nMessage-ID: <big@chaos.test>\nSubject: big\n\n" + (b"x" * 999 + b"\n") * 100_000
        small = [sample(user, i, 800) for i in range(2)]
        self.dovecot.deliver(user, [small[0], big, small[1]])
        url, extra = self.url("imaps", self.dovecot.ports["imaps"])
        case = Case(self.root, "big", url, user, self.dovecot, extra + 'max_message_size = "10MB"\n')
        r1 = case.fetch(self.binary, POLL_LIMIT, measure=True)
        r2 = case.fetch(self.binary, POLL_LIMIT)
        self.faults += 1
        s1, s2 = r1.report.get("skipped"), r2.report.get("skipped")
        print(f"  100 MB over the limit: {r1.brief()}, skipped {s1} then {s2}; peak RSS {r1.maxrss_kb // 1024} MB, "
              f"{r1.seconds:.1f}s", flush=True)
        if r1.code != 0 or r2.code != 0 or s1 != 1 or s2 not in (0, None):
            self.finding("stuck", f"100 MB message: polls {r1.brief()} / {r2.brief()}, skipped {s1} then {s2} (want 1 then 0)")
        if r1.maxrss_kb > rss_limit_kb:
            self.finding("memory", f"100 MB message: peak RSS {r1.maxrss_kb // 1024} MB")
        lost, dups, problems = compare(case, [crlf(m) for m in small])
        self.lost += lost
        self.duplicates += dups
        if lost or dups:
            self.finding("loss", f"100 MB message: {'; '.join(problems)}")

        # 2./3. Deep nesting and a huge header: stored once, parsed with bounded memory, no crash.
        deep = [b"From: deep@example.test\nMessage-ID: <deep@chaos.test>\nSubject: deep\n"]
        for i in range(10_000):
            deep.append(b"Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n" % (i, i))
        deep.append(b"Content-Type: text/plain\n\nbottom\n")
        deep += [b"--b%d--\n" % i for i in reversed(range(10_000))]
        header = (b"From: header@example.test\nMessage-ID: <header@chaos.test>\nSubject: header\nX-Huge: "
                  + b"\n ".join([b"w" * 70] * (10_000_000 // 72)) + b"\n\nbody\n")
        for name, raw in (("10,000 nested multiparts", b"".join(deep)), ("10 MB header", header)):
            n = self.next_id()
            user = f"chaos-{os.getpid()}-hostile{n}"
            self.dovecot.deliver(user, [raw])
            case = Case(self.root, f"hostile{n}", url, user, self.dovecot, extra)
            r = case.fetch(self.binary, POLL_LIMIT, measure=True)
            self.faults += 1
            print(f"  {name} ({len(raw) // 1024} KB): {r.brief()}; peak RSS {r.maxrss_kb // 1024} MB, {r.seconds:.1f}s", flush=True)
            if r.hung or r.signal or r.code not in SYSEXITS:
                self.finding("crash", f"{name}: {r.brief()} (case {case.dir})")
            elif r.code != 0:
                self.finding("stuck", f"{name}: the poll failed: {r.brief()}")
            if r.maxrss_kb > rss_limit_kb:
                self.finding("memory", f"{name}: peak RSS {r.maxrss_kb // 1024} MB")
            lost, dups, problems = compare(case, [crlf(raw)])
            self.lost += lost
            self.duplicates += dups
            if lost or dups:
                self.finding("loss", f"{name}: {'; '.join(problems)}")

        # 4. A literal claiming 1 GB from a scripted server, between two good messages: the liar
        # must cost only itself (skipped or failed, visible), the others must be recorded.
        srv, port = PORTS.start(lambda port: [sys.executable, os.path.join(HERE, "hostile_imap.py"), str(port)])
        try:
            case = Case(self.root, "giga", f"imap://127.0.0.1:{port}/INBOX", "hostile", self.dovecot, 'tls = "none"\n')
            runs = [case.fetch(self.binary, POLL_LIMIT, measure=True) for _ in range(2)]
            self.faults += 1
            seen, _ = case.rows()
            states = sorted((row[1], row[5], (row[6] or "")[:60]) for row in seen)
            for i, r in enumerate(runs):
                print(f"  literal claiming 1 GB, poll {i + 1}: {r.brief()}; peak RSS {r.maxrss_kb // 1024} MB, "
                      f"{r.seconds:.1f}s", flush=True)
                if r.hung or r.signal or r.code not in SYSEXITS:
                    self.finding("crash", f"1 GB literal: poll {i + 1}: {r.brief()}")
                if r.maxrss_kb > rss_limit_kb:
                    self.finding("memory", f"1 GB literal: poll {i + 1}: peak RSS {r.maxrss_kb // 1024} MB")
            print(f"  rows after two polls: {states}", flush=True)
            good = {uid for uid, state, _ in states if state in ("recorded", "done") and uid in (1, 3)}
            if good != {1, 3}:
                self.finding("stuck", f"1 GB literal: UID 2's lie blocks the mailbox: UIDs {sorted({1, 3} - good)} "
                                      f"not recorded after two polls (rows {states}; Scripts/chaos.d/hostile_imap.py)")
            if not any(uid == 2 and state in ("skipped", "failed", "quarantined") for uid, state, _ in states):
                self.finding("stuck", "1 GB literal: UID 2 is not accounted for (no skipped/failed row): "
                                      "it is asked for again at every poll")
        finally:
            srv.kill()
            srv.wait()

        # 5. POP3: LIST says 500 bytes, RETR streams 600 MB (quick: 200). The claim must not be trusted: the
        # message is over max_message_size however it is found out, and memory stays bounded.
        liar_mb = 200 if self.args.quick else 600
        srv, port = PORTS.start(lambda port: [sys.executable, os.path.join(HERE, "hostile_pop3.py"), str(port), str(liar_mb)])
        try:
            case = Case(self.root, "pop3liar", f"pop3://127.0.0.1:{port}/", "hostile", self.dovecot,
                        'tls = "none"\nmax_message_size = "10MB"\n')
            runs = [case.fetch(self.binary, POLL_LIMIT, measure=True) for _ in range(2)]
            self.faults += 1
            seen, _ = case.rows()
            states = sorted((row[2], row[5], (row[6] or "")[:60]) for row in seen)
            for i, r in enumerate(runs):
                print(f"  POP3 LIST claims 500 bytes, RETR sends {liar_mb} MB, poll {i + 1}: {r.brief()}; "
                      f"peak RSS {r.maxrss_kb // 1024} MB, {r.seconds:.1f}s", flush=True)
                if r.hung or r.signal or r.code not in SYSEXITS:
                    self.finding("crash", f"POP3 {liar_mb} MB liar: poll {i + 1}: {r.brief()}")
                if r.maxrss_kb > rss_limit_kb:
                    self.finding("memory", f"POP3 {liar_mb} MB liar: poll {i + 1}: peak RSS {r.maxrss_kb // 1024} MB "
                                           f"(RETR is read whole whatever max_message_size says; Scripts/chaos.d/hostile_pop3.py)")
            print(f"  rows after two polls: {states}", flush=True)
            good = {u for u, state, _ in states if state in ("recorded", "done") and u in ("hostile-1", "hostile-3")}
            if good != {"hostile-1", "hostile-3"}:
                self.finding("stuck", f"POP3 {liar_mb} MB liar: messages {sorted({'hostile-1', 'hostile-3'} - good)} not recorded "
                                      f"after two polls (rows {states})")
            if any(u == "hostile-2" and state in ("recorded", "done") for u, state, _ in states):
                self.finding("note", f"POP3 {liar_mb} MB liar: the {liar_mb} MB message was recorded although max_message_size is 10MB")
        finally:
            srv.kill()
            srv.wait()

    # --- the whole suite -------------------------------------------------------------------------

    def close(self):
        for p in self.proxies:
            p.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a seeded sample that finishes within 5 minutes")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--only", default="offsets,stalls,kill,disk,hostile")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep every case directory and mailbox")
    ap.add_argument("--ports", default=os.environ.get("MAILGATE_CHAOS_PORTS", "0"),
                    help="LO-HI: loopback ports for the proxies and scripted servers (0: any free port)")
    ap.add_argument("--binary", default=os.environ.get("MAILGATE_BINARY"))
    ap.add_argument("--dovecot", default=os.environ.get("MAILGATE_DOVECOT_DIR", "/tmp/mailgate-dovecot"))
    args = ap.parse_args()
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "big")
    global PORTS
    PORTS = Ports(args.ports)
    dovecot = Dovecot(args.dovecot)
    binary = args.binary or os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "debug", "mailgate")
    if not os.access(binary, os.X_OK):
        sys.exit(f"chaos: no mailgate executable at {binary} (swift build, or --binary)")
    parts = args.only.split(",")
    suite = Suite(args, dovecot, binary)
    print(f"chaos: seed {args.seed}{' (quick)' if args.quick else ''}, work in {suite.root}", flush=True)
    started = time.monotonic()
    try:
        pmarks = None
        cases = []
        if "offsets" in parts:
            cases, pmarks = suite.offsets()
        if "stalls" in parts:
            if pmarks is None:
                pmarks = reference.plain_phases(suite.record_reference("imap"))[0]
            # Stalls first: the long ones overlap the many short cuts on the other workers.
            stalls = suite.stalls(pmarks)
            cases = [c for c in stalls if "forever" in c[1]] + [c for c in stalls if "forever" not in c[1]] + cases
        if cases:
            suite.run_cases(cases, "cuts, resets, stalls and trickles")
        if "kill" in parts:
            suite.kill()
        if "disk" in parts:
            suite.disk()
        if "hostile" in parts:
            suite.hostile()
    finally:
        suite.close()
    failing = [f for f in suite.findings if f[0] in ("loss", "crash", "hang", "stuck", "memory")]
    print()
    print(f"chaos summary: faults injected {suite.faults}, seed {args.seed}, "
          f"messages lost: {suite.lost}, duplicates: {suite.duplicates}, "
          f"other failures: {len(failing) - sum(1 for f in failing if f[0] == 'loss')}, notes: "
          f"{sum(1 for f in suite.findings if f[0] == 'note')}, {time.monotonic() - started:.0f}s")
    for severity, text in suite.findings:
        print(f"  [{severity}] {text}")
    if not failing and not args.keep:
        shutil.rmtree(suite.root, ignore_errors=True)
    sys.exit(1 if failing or suite.lost or suite.duplicates else 0)


if __name__ == "__main__":
    main()
