"""The things a fault case touches: the test Dovecot's mailboxes, a mailgate store, a run of
the mailgate executable with a hard time limit, and the check that the store matches the
mailbox exactly (nothing lost, nothing twice, nothing flagged that is not committed)."""
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

SYSEXITS = {0, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78}


class Dovecot:
    """The Dovecot that Scripts/dovecot-start runs, as its DIR/env describes it."""

    def __init__(self, directory):
        env = {}
        with open(os.path.join(directory, "env")) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    env[k] = v
        self.dir = env.get("MAILGATE_DOVECOT_DIR", directory)
        self.ports = {"imap": int(env["IMAP_PORT"]), "imaps": int(env["IMAPS_PORT"]),
                      "pop3": int(env["POP3_PORT"]), "pop3s": int(env["POP3S_PORT"])}
        self.cert = env.get("CERT", self.dir + "/cert.pem")
        self.password = env.get("PASSWORD", "secret")
        self.mailroot = env.get("MAILROOT", self.dir + "/mail")

    def maildir(self, user):
        return f"{self.mailroot}/{user}/Maildir"

    def deliver(self, user, messages):
        """Writes messages into new/ (tmp + rename, the Maildir way), in order, owned by nobody."""
        md = self.maildir(user)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(f"{md}/{sub}", exist_ok=True)
        for d in (f"{self.mailroot}/{user}", md, f"{md}/cur", f"{md}/new", f"{md}/tmp"):
            os.chown(d, 65534, 65534)
        stamp = int(time.time())
        for i, raw in enumerate(messages):
            name = f"{stamp}.M{i:09d}P{os.getpid()}.chaos"
            tmp = f"{md}/tmp/{name}"
            with open(tmp, "wb") as f:
                f.write(raw)
            os.chown(tmp, 65534, 65534)
            os.rename(tmp, f"{md}/new/{name}")

    def files(self, user):
        md = self.maildir(user)
        out = []
        for sub in ("new", "cur"):
            try:
                out += [(sub, n) for n in os.listdir(f"{md}/{sub}")]
            except FileNotFoundError:
                pass
        return out

    def messages(self, user):
        """[(flags, Message-ID)] of the user's INBOX. Dovecot may be renaming files meanwhile (a
        killed client's session still ending): a Maildir file keeps its base name across flag
        changes (new/X → cur/X:2,S), so a vanished file is looked up again by it; one gone for
        good was expunged."""
        md = self.maildir(user)
        out = []
        for sub, name in self.files(user):
            base = name.split(":2,")[0]
            for _ in range(20):
                try:
                    with open(f"{md}/{sub}/{name}", "rb") as f:
                        flags = name.rsplit(":2,", 1)[1] if ":2," in name else ""
                        out.append((flags, message_id(f.read(4096))))
                    break
                except FileNotFoundError:
                    again = [(s2, n2) for s2, n2 in self.files(user) if n2.split(":2,")[0] == base]
                    if not again:
                        break
                    sub, name = again[0]
        return out

    def flagged_ids(self, user):
        """Message-IDs of messages flagged \\Seen (cur/NAME:2,...S...)."""
        return [mid for flags, mid in self.messages(user) if "S" in flags]

    def count(self, user):
        return len(self.files(user))

    def remove(self, user):
        shutil.rmtree(f"{self.mailroot}/{user}", ignore_errors=True)


def crlf(raw):
    """What Dovecot serves for a message stored with LF endings."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def message_id(raw):
    m = re.search(rb"(?im)^message-id:\s*(<[^>\r\n]*>)", raw)
    return m.group(1).decode() if m else None


def sample(tag, index, size):
    """A plain test message of about `size` bytes with a unique Message-ID, LF line endings.
    Lines starting with a dot and a From_ line make dot-stuffing and quoting matter."""
    mid = f"<chaos-{tag}-{index}@chaos.test>"
    head = (f"From: Sender {index} <sender{index % 7}@example.test>\nTo: jobs@acme.test\n"
            f"Subject: chaos {tag} message {index}\nMessage-ID: {mid}\n"
            f"Date: Mon, 30 Nov 2026 08:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n")
    body = [f"Message {index} of the chaos suite.", ".a line that starts with a dot", "From the start of a line"]
    line = 0
    length = len(head) + sum(len(b) + 1 for b in body)
    while length < size:
        body.append(f"line {line:05d} " + "abcdefghij" * 6)
        length += len(body[-1]) + 1
        line += 1
    return (head + "\n".join(body) + "\n").encode()


class Run:
    def __init__(self, code, out, err, seconds, maxrss_kb, killed_after=None, hung=False):
        self.code, self.out, self.err, self.seconds = code, out, err, seconds
        self.maxrss_kb, self.killed_after, self.hung = maxrss_kb, killed_after, hung

    @property
    def report(self):
        for line in reversed(self.out.splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
        return {}

    @property
    def signal(self):
        return -self.code if self.code < 0 else None

    def brief(self):
        what = f"signal {self.signal}" if self.signal else f"exit {self.code}"
        if self.hung:
            what = f"hung (killed after {self.seconds:.0f}s)"
        err = self.report.get("error") or self.err.strip().splitlines()[-1:] or [""]
        err = err if isinstance(err, str) else err[0]
        return f"{what}: {err[:200]}"


RSS_WRAPPER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
open(os.environ["MG_RSS_FILE"], "w").write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_mailgate(binary, args, limit, env=None, kill_after=None, measure=False):
    """Runs mailgate with a hard limit (a hang is reported, the process is killed at `limit`).
    `kill_after` SIGKILLs it after that many seconds (the kill -9 fault). Returns a Run with
    the process's own peak RSS (wait4)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    started = time.monotonic()
    rss_file = None
    argv = [binary] + args
    if measure:
        # A fork of this (large) Python carries its RSS into the child's ru_maxrss, even past
        # exec; a small wrapper that forks mailgate itself reports mailgate's own peak.
        rss_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), f".rss-{os.getpid()}-{time.monotonic_ns()}")
        full_env["MG_RSS_FILE"] = rss_file
        argv = [sys.executable, "-c", RSS_WRAPPER] + argv
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, start_new_session=True)
    import threading
    out, err = [], []
    t1 = threading.Thread(target=lambda: out.append(p.stdout.read()))
    t2 = threading.Thread(target=lambda: err.append(p.stderr.read()))
    t1.start(); t2.start()
    deadline = started + (kill_after if kill_after is not None else limit)
    hung = False
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        if now >= deadline:
            os.killpg(p.pid, signal.SIGKILL)
            hung = kill_after is None
            pid, status, usage = os.wait4(p.pid, 0)
            break
        # Bounded wait for the child's exit: the pipes' EOF is the observable signal.
        t1.join(min(0.02, max(0.0, deadline - now)))
    t1.join(); t2.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss
    if rss_file:
        try:
            maxrss = int(open(rss_file).read())
            os.unlink(rss_file)
        except (OSError, ValueError):
            pass
        if p.returncode > 128:
            p.returncode = -(p.returncode - 128)
    return Run(p.returncode, (out[0] if out else b"").decode("utf-8", "replace"),
               (err[0] if err else b"").decode("utf-8", "replace"), time.monotonic() - started,
               maxrss, killed_after=kill_after if not hung and kill_after is not None else None, hung=hung)


class Case:
    """One alias mailbox and one store: a directory with mailgate.toml, the store and the spool."""

    def __init__(self, root, name, url, user, dovecot, extra="", store_dir=None):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.store_dir = store_dir or self.dir
        self.user = user
        self.dovecot = dovecot
        self.config = os.path.join(self.dir, "mailgate.toml")
        with open(self.config, "w") as f:
            f.write(f'[store]\npath = "{self.store_dir}/mailgate.sqlite"\nspool = "{self.store_dir}/spool"\n\n'
                    f'[defaults]\ndomain = "acme.test"\n\n'
                    f'[alias.jobs]\nurl = "{url}"\nuser = "{user}"\npassword = "{dovecot.password}"\n'
                    f'tls_ca_file = "{dovecot.cert}"\n{extra}\n')
        os.chmod(self.config, 0o600)

    def fetch(self, binary, limit, env=None, kill_after=None, measure=False):
        return run_mailgate(binary, ["fetch", "--json", "--config", self.config], limit, env=env,
                            kill_after=kill_after, measure=measure)

    def db(self):
        path = os.path.join(self.store_dir, "mailgate.sqlite")
        if not os.path.exists(path):
            return None
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)

    def committed_ids(self):
        """Message-IDs with a committed seen row that holds their bytes."""
        db = self.db()
        if db is None:
            return set()
        try:
            return {r[0] for r in db.execute("SELECT message_id FROM seen WHERE sha256 IS NOT NULL")}
        except sqlite3.OperationalError:
            return set()
        finally:
            db.close()

    def rows(self):
        db = self.db()
        if db is None:
            return [], []
        try:
            seen = db.execute("SELECT id, uid, uidl, sha256, message_id, state, last_error FROM seen").fetchall()
            routed = db.execute("SELECT seen_id, route FROM messages").fetchall()
            return seen, routed
        except sqlite3.OperationalError:
            return [], []
        finally:
            db.close()

    def spool_has(self, sha):
        """The raw bytes are kept: a spool file (large messages), or in the store."""
        if os.path.exists(os.path.join(self.store_dir, "spool", sha[:2], sha[2:])):
            return True
        db = self.db()
        if db is None:
            return False
        try:
            return db.execute("SELECT 1 FROM raw_messages WHERE sha256 = ?", (sha,)).fetchone() is not None
        except sqlite3.OperationalError:
            return False
        finally:
            db.close()

    def settle_retries(self, binary, limit):
        """Messages a fault left `failed` (cut off inside their literal: kept, retried after a
        backoff) are made due now, as time passing would, and fetched by one more poll. Returns
        that poll's Run, or None when nothing was failed."""
        path = os.path.join(self.store_dir, "mailgate.sqlite")
        if not os.path.exists(path):
            return None
        db = sqlite3.connect(path, timeout=30)
        try:
            with db:
                changed = db.execute("UPDATE seen SET next_attempt_at = '2000-01-01 00:00:00.000' "
                                     "WHERE state = 'failed'").rowcount
        finally:
            db.close()
        return self.fetch(binary, limit) if changed else None


def uncommitted_flags(case, delivered_ids=None):
    """Messages acknowledged on the server whose row is not committed (guarantee 1 broken).
    IMAP: flagged \\Seen. POP3 (pass the Message-IDs delivered): deleted; Dovecot's POP3 sets
    \\Seen on every RETR, which acknowledges nothing."""
    if delivered_ids is not None:
        present = {mid for _, mid in case.dovecot.messages(case.user)}
        return sorted(set(delivered_ids) - present - case.committed_ids())
    return sorted(set(case.dovecot.flagged_ids(case.user)) - case.committed_ids())


def compare(case, expected, server_done=True):
    """The store against the mailbox. `expected`: raw messages as served (CRLF). Returns
    (lost, duplicates, problems): lost = messages without a committed row and spooled bytes,
    duplicates = extra rows or extra routes for a message."""
    by_sha = {hashlib.sha256(m).hexdigest(): message_id(m) for m in expected}
    seen, routed = case.rows()
    problems = []
    rows_by_sha = {}
    for (rid, uid, uidl, sha, mid, state, err) in seen:
        if sha is None:
            if state in ("failed", "quarantined"):
                problems.append(f"row {rid} (uid {uid} uidl {uidl}) {state}: {err}")
            continue
        rows_by_sha.setdefault(sha, []).append((rid, state))
        if sha not in by_sha:
            problems.append(f"row {rid} holds bytes nobody delivered (sha {sha[:12]}, {mid})")
    routes = {}
    for seen_id, route in routed:
        routes.setdefault(seen_id, []).append(route)
    lost = duplicates = 0
    for sha, mid in by_sha.items():
        rows = rows_by_sha.get(sha, [])
        if not rows:
            lost += 1
            problems.append(f"lost: {mid} (sha {sha[:12]}) has no row")
            continue
        if len(rows) > 1:
            duplicates += len(rows) - 1
            problems.append(f"twice: {mid} has {len(rows)} rows")
        for rid, state in rows:
            if not case.spool_has(sha):
                lost += 1
                problems.append(f"lost: {mid} row {rid} has no raw bytes in the spool")
            r = routes.get(rid, [])
            if len(r) != 1:
                if len(r) > 1:
                    duplicates += len(r) - 1
                problems.append(f"{mid} row {rid} routed {len(r)} times {r}")
            if server_done and state != "done":
                problems.append(f"{mid} row {rid} is {state}, not done")
    for rid, r in routes.items():
        if "duplicate" in r:
            problems.append(f"row {rid} routed as duplicate")
    return lost, duplicates, problems
