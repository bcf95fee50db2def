"""The contenders: how each one is configured and run, and how its work is checked.

Every run returns a Result: wall seconds of the whole process (start-up and logout included: what a
user waits for), peak RSS from wait4(2) (the largest process of the tree: getmail6 runs under
runuser), and how many messages it actually took, so a contender that fetched less than asked is
reported as such instead of being fast. The raw floor alone reports its own clock (from before
connect to the last tagged OK), because it is the wire's bound, not a program anyone runs.
"""
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSWORD = "secret"  # the bench Dovecot's static test password (loopback only)


@dataclass
class Result:
    seconds: float
    rss_kb: int
    messages: int
    expected: int
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ok(self):
        return self.messages == self.expected


def timed(cmd, cwd, env=None, stdout=None, timeout=1800):
    """(seconds, max RSS in KB, exit status, CPU seconds) of one process tree, timed from fork to
    reaping; CPU is user + system time of the process and the children it reaped (wait4(2))."""
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    err = open(os.path.join(cwd, "stderr.log"), "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    deadline = t0 + timeout
    while True:  # bounded: a hung contender is killed at the timeout, not waited for forever
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.002)
    seconds = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout:
        out.close()
    err.close()
    return seconds, usage.ru_maxrss, proc.returncode, usage.ru_utime + usage.ru_stime


def stderr_tail(work, lines=3):
    try:
        text = Path(work, "stderr.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


class Contenders:
    """Runs one contender against one mailbox (USER on 127.0.0.1:PORT) from a scratch directory."""

    def __init__(self, mailgate, cert):
        self.binary = mailgate
        self.cert = cert

    # The raw floor: TLS + login + one pipelined UID FETCH 1:* BODY.PEEK[]; nothing parsed or kept.
    def floor(self, port, user, work, n, mix):
        out = os.path.join(work, "floor.json")
        _, rss, code, _ = timed([sys.executable, str(HERE / "floor.py"), str(port), user, self.cert], work, stdout=out)
        try:
            r = json.loads(Path(out).read_text())
        except (OSError, ValueError):
            return Result(0, rss, 0, n, f"floor failed (exit {code}): {stderr_tail(work)}")
        return Result(r["seconds"], rss, r["messages"], n, extra={"bytes": r["bytes"]})

    def floor_idle(self, port, user, work):
        out = os.path.join(work, "floor-idle.json")
        timed([sys.executable, str(HERE / "floor.py"), str(port), user, self.cert, "--idle"], work, stdout=out)
        return json.loads(Path(out).read_text())["seconds"]

    # Mailgate: fetch + parse + route + record + flag \Seen, release build, a fresh store per run.
    def mailgate_config(self, work, aliases, mix):
        """mailgate.toml polling ALIASES [(name, port, user)] with the routing-only aliases of MIX."""
        polled = {name for name, _, _ in aliases}
        lines = ['[store]', 'path = "mailgate.sqlite"', '', '[defaults]', 'domain = "acme.test"', '']
        for name, port, user in aliases:
            lines += [f'[alias.{name}]', f'url = "imaps://127.0.0.1:{port}/INBOX"', f'user = "{user}"',
                      'password_env = "BENCH_PASSWORD"', f'tls_ca_file = "{self.cert}"', 'start = "all"']
            if name in ("catchall", "bounce"):
                lines.append(f'role = "{name}"')
            lines.append("")
        # The aliases the mail is addressed to, routing-only (no url): records of their models are created.
        for name, model in (("sales", "crm.lead"), ("jobs", "hr.applicant"), ("catchall", None), ("bounce", None)):
            if name in polled:
                continue
            lines.append(f"[alias.{name}]")
            lines.append(f'model = "{model}"' if model else f'role = "{name}"')
            lines.append("")
        Path(work, "mailgate.toml").write_text("\n".join(lines))
        return os.path.join(work, "mailgate.toml")

    def mailgate_fetch(self, work, config, expected, tag, workers=None):
        env = dict(os.environ, BENCH_PASSWORD=PASSWORD)
        out = os.path.join(work, f"mailgate-{tag}.json")
        cmd = [self.binary, "fetch", "--config", config, "--json"]
        if workers:
            cmd += ["--workers", str(workers)]
        seconds, rss, code, cpu = timed(cmd, work, env=env, stdout=out)
        fetched = failed = 0
        errors = []
        for line in Path(out).read_text().splitlines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            fetched += r.get("fetched", 0)
            failed += r.get("failed", 0)
            if r.get("error"):
                errors.append(str(r["error"]))
        note = ""
        if code != 0 or errors or failed:
            note = f"exit {code}, failed {failed}" + (f": {errors[0]}" if errors else "") + \
                   (f" | {stderr_tail(work)}" if code else "")
        return Result(seconds, rss, fetched, expected, note, extra={"cpu_seconds": cpu})

    def mailgate(self, port, user, work, n, mix):
        alias = "bounce" if mix == "bounce" else "catchall"
        config = self.mailgate_config(work, [(alias, port, user)], mix)
        return self.mailgate_fetch(work, config, n, "fetch")

    # fetchmail: IMAPS, every message, kept, written to a BSMTP file (no MDA, no parsing).
    # `bad-header accept`: by default fetchmail leaves a message with a broken header line on the
    # server (2 of the corpus's mime messages), so it would fetch fewer messages than the others.
    def fetchmail(self, port, user, work, n, mix):
        rc = Path(work, "fetchmailrc")
        rc.write_text(f"set no bouncemail\n"
                      f"poll 127.0.0.1 service {port} protocol IMAP bad-header accept\n"
                      f'  user "{user}" password "{PASSWORD}" ssl sslcertck sslcertfile "{self.cert}" '
                      f'sslcommonname "localhost" fetchall keep\n')
        rc.chmod(0o600)
        bsmtp = os.path.join(work, "out.bsmtp")
        env = dict(os.environ, HOME=work)
        seconds, rss, code, _ = timed(["fetchmail", "-f", str(rc), "--bsmtp", bsmtp, "--pidfile",
                                    os.path.join(work, "fm.pid"), "--nosyslog"], work, env=env)
        got = 0
        if os.path.exists(bsmtp):
            with open(bsmtp, "rb") as f:
                got = sum(1 for line in f if line.startswith(b"MAIL FROM"))
        return Result(seconds, rss, got, n, "" if got == n else f"exit {code}: {stderr_tail(work)}")

    # getmail6: IMAPS, every message, kept, into a Maildir; it refuses to deliver as root, so as nobody.
    # Pinned to one core (taskset): getmail6 6.18 forks a child per delivery and waits on a Condition
    # notified from its SIGCHLD handler; when the child exits before the parent starts waiting, the
    # wake-up is lost and getmail waits out its socket timeout (180 s) and aborts the run. On one core
    # the parent reaches its wait before the child runs, and getmail completes. Its work is sequential
    # (the parent waits for each child), so one core costs it little.
    def getmail(self, port, user, work, n, mix):
        gdir, maildir = Path(work, "getmail"), Path(work, "Maildir")
        for d in (gdir, maildir / "cur", maildir / "new", maildir / "tmp"):
            d.mkdir(parents=True, exist_ok=True)
        (gdir / "getmailrc").write_text(
            f"[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = 127.0.0.1\nport = {port}\n"
            f"username = {user}\npassword = {PASSWORD}\nca_certs = {self.cert}\nmailboxes = (\"INBOX\",)\n"
            f"[destination]\ntype = Maildir\npath = {maildir}/\n"
            f"[options]\nread_all = true\ndelete = false\nverbose = 0\n")
        subprocess.run(["chown", "-R", "nobody:nogroup", str(gdir), str(maildir)], check=True)
        seconds, rss, code, _ = timed(["taskset", "-c", "0", "runuser", "-u", "nobody", "--", "getmail", "--getmaildir", str(gdir),
                                    "--rcfile", "getmailrc"], work)
        got = len(os.listdir(maildir / "new")) + len(os.listdir(maildir / "cur"))
        return Result(seconds, rss, got, n, "" if got == n else f"exit {code}: {stderr_tail(work)}")

    # mbsync (isync): pipelined IMAP into a Maildir, default settings otherwise (Sync All).
    def mbsync(self, port, user, work, n, mix):
        local = Path(work, "mail")
        local.mkdir()
        rc = Path(work, "mbsyncrc")
        # Host localhost: mbsync checks the certificate's DNS name (Dovecot's test certificate says
        # localhost), and localhost's 127.0.0.1 is the only address Dovecot and the proxy listen on.
        rc.write_text(f"IMAPAccount bench\nHost localhost\nPort {port}\nUser {user}\nPass {PASSWORD}\n"
                      f"SSLType IMAPS\nCertificateFile {self.cert}\n\n"
                      f"IMAPStore far\nAccount bench\n\n"
                      f"MaildirStore near\nPath {local}/\nInbox {local}/INBOX\n\n"
                      f"Channel bench\nFar :far:\nNear :near:\nPatterns INBOX\nCreate Near\nSyncState *\n")
        env = dict(os.environ, HOME=work)
        seconds, rss, code, _ = timed(["mbsync", "-c", str(rc), "-q", "bench"], work, env=env)
        inbox = local / "INBOX"
        got = sum(len(os.listdir(inbox / d)) for d in ("new", "cur") if (inbox / d).exists())
        return Result(seconds, rss, got, n, "" if got == n else f"exit {code}: {stderr_tail(work)}")

    # The Odoo-style loop: imaplib, SEARCH UNSEEN, FETCH (RFC822) one at a time, parse with email, \Seen.
    def odoo(self, port, user, work, n, mix):
        out = os.path.join(work, "odoo.json")
        seconds, rss, code, _ = timed([sys.executable, str(HERE / "odoo_loop.py"), str(port), user, self.cert,
                                    os.path.join(work, "odoo.sqlite")], work, stdout=out)
        try:
            r = json.loads(Path(out).read_text())
        except (OSError, ValueError):
            return Result(seconds, rss, 0, n, f"exit {code}: {stderr_tail(work)}")
        return Result(seconds, rss, r["messages"], n, f"{r['failed']} failed to parse" if r["failed"] else "")


# Table order, display names, and which ones are slow enough (one message per round trip, Python
# parsing) that the full run measures them fewer times to fit its time box.
ORDER = ["floor", "mailgate", "mbsync", "fetchmail", "getmail", "odoo"]
NAMES = {"floor": "raw pipelined floor", "mailgate": "Mailgate", "mbsync": "mbsync (isync)",
         "fetchmail": "fetchmail", "getmail": "getmail6", "odoo": "Odoo-style imaplib loop"}
SLOW = {"getmail", "odoo"}
SLOW_AT_RTT = {"getmail", "odoo", "fetchmail"}
