#!/usr/bin/env python3
"""An Odoo-style fetch loop: what Odoo's "Mail: Fetchmail Service" does for an IMAP server.

    odoo_loop.py PORT USER CAFILE DBFILE

Follows odoo/addons/mail/models/fetchmail.py (`fetch_mail`, IMAP branch) step by step:
SELECT, SEARCH (UNSEEN), then for each message number, one at a time:
FETCH (RFC822) → STORE -FLAGS \\Seen → message_process → STORE +FLAGS \\Seen → commit.
message_process starts with email.message_from_bytes(policy=SMTP) and message_parse, which reads
the routing headers (decoded), walks every part and decodes bodies and attachments; here that parse is
kept and the routing against Odoo's models is replaced by one row in SQLite, committed per message as
Odoo commits its cursor per message. The loop is measured generously: no ORM routing, and the commit
does not wait for the disk (WAL, synchronous=NORMAL), where PostgreSQL's default would fsync each one
(an fsync per message made this loop measure the disk, 20-45 ms each on this shared machine).
Prints one JSON line: {"messages", "failed"}.
"""
import email
import email.policy
import imaplib
import json
import sqlite3
import ssl
import sys

HEADERS = ("message-id", "subject", "from", "to", "cc", "date", "in-reply-to", "references",
           "delivered-to", "reply-to", "auto-submitted", "content-type")


def message_parse(raw):
    """Roughly Odoo's message_parse: decoded routing headers, the body and the attachments."""
    msg = email.message_from_bytes(raw, policy=email.policy.SMTP)
    values = {h: str(msg.get(h, "")) for h in HEADERS}
    body, attachments = "", []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        ctype = part.get_content_type()
        if filename or part.get_content_disposition() == "attachment":
            attachments.append((filename, part.get_payload(decode=True) or b""))
        elif ctype in ("text/plain", "text/html"):
            try:
                body += part.get_content()
            except (LookupError, ValueError, AssertionError):
                body += (part.get_payload(decode=True) or b"").decode("latin-1")
        else:
            attachments.append((None, part.get_payload(decode=True) or b""))
    values["body"] = body
    values["attachments"] = len(attachments)
    return values


def main():
    port, user, cafile, dbfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    db = sqlite3.connect(dbfile)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS message (message_id TEXT, subject TEXT, author TEXT, body TEXT, attachments INT)")
    db.commit()
    ctx = ssl.create_default_context(cafile=cafile)
    imap = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx, timeout=60)
    imap.login(user, "secret")
    imap.select()
    _, data = imap.search(None, "(UNSEEN)")
    count = failed = 0
    for num in data[0].split():
        _, fetched = imap.fetch(num, "(RFC822)")
        imap.store(num, "-FLAGS", "\\Seen")
        try:
            v = message_parse(fetched[0][1])
            db.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)",
                       (v["message-id"], v["subject"], v["from"], v["body"], v["attachments"]))
        except Exception:  # Odoo logs and goes on: one bad message costs only itself
            failed += 1
        imap.store(num, "+FLAGS", "\\Seen")
        db.commit()
        count += 1
    imap.close()
    imap.logout()
    print(json.dumps({"messages": count, "failed": failed}))


if __name__ == "__main__":
    main()
