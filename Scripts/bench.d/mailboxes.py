"""Mailboxes on the bench Dovecot: templates built once, then restored for every run.

Every contender must start from the same state: the same files, the same UIDs, every message unseen
and none \\Recent, Dovecot's index already built (whoever opened a fresh Maildir first would pay
for indexing 10,000 files). So each mix is generated once into a template mailbox, which is opened
once (SELECT moves new/ to cur/ and builds the index), and each run gets a copy under a fresh user
name: message files hard-linked (Dovecot renames them to set flags, never rewrites them, so the
template's links stay untouched), Dovecot's own files copied (those are rewritten in place).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Mailboxes:
    def __init__(self, env):
        self.root = Path(env["MAILROOT"])
        self.port = int(env["IMAPS_PORT"])
        self.cert = env["CERT"]
        self.templates = {}

    def template(self, mix, n):
        """The user name of a warm template mailbox holding N messages of MIX (built on first use)."""
        key = (mix, n)
        if key in self.templates:
            return self.templates[key]
        user = f"tmpl-{mix}-{n}"
        maildir = self.root / user / "Maildir"
        if maildir.exists():
            shutil.rmtree(self.root / user)
        out = subprocess.run([sys.executable, str(HERE / "corpus.py"), mix, str(n), str(maildir)],
                             check=True, capture_output=True, text=True).stdout
        self.chown(self.root / user)
        self.warm(user, select=True)
        self.templates[key] = (user, out.strip())
        return self.templates[key]

    def restore(self, mix, n, user, warm=True):
        """A fresh mailbox for USER: a copy of the template, warmed by one login unless told not to."""
        tmpl, _ = self.template(mix, n)
        src = self.root / tmpl / "Maildir"
        dst_user = self.root / user
        if dst_user.exists():
            shutil.rmtree(dst_user)
        dst = dst_user / "Maildir"
        dst.mkdir(parents=True)
        for entry in src.iterdir():
            if entry.is_dir() and entry.name in ("cur", "new", "tmp"):
                subprocess.run(["cp", "-al", str(entry), str(dst / entry.name)], check=True)
            elif entry.is_file():
                shutil.copy2(entry, dst / entry.name)
        self.chown(dst_user)
        if warm:
            self.warm(user, select=False)
        # The copy's 10,000 new links and the last run's removed mailbox are dirty metadata: flushed
        # now, they are not flushed during the next timed run, where every contender that syncs
        # (Mailgate's commits, mbsync's per-message fsync) would wait for them.
        os.sync()

    def remove(self, user):
        shutil.rmtree(self.root / user, ignore_errors=True)

    def warm(self, user, select):
        """One untimed login (and SELECT for a template), so no contender pays a first-login cost."""
        args = [sys.executable, str(HERE / "floor.py"), str(self.port), user, self.cert,
                "--warm" if select else "--idle"]
        subprocess.run(args, check=True, capture_output=True)

    @staticmethod
    def chown(path):
        # Dovecot serves the mail as nobody.
        subprocess.run(["chown", "-R", "nobody:nogroup", str(path)], check=True)
