#!/usr/bin/env python3
"""Builds a benchmark mailbox from real mail: N messages drawn from ../shared/corpus, each made unique.

    corpus.py MIX N OUTDIR [--seed S]      MIX: ordinary | bounce

ordinary  every message of corpus/mime (RFC test mail, Dovecot's malformed set, CPython's test mail),
          addressed in turn to sales@, jobs@ and catchall@acme.test
bounce    80% corpus/bounces (293 real bounces from many MTAs), 20% corpus/mime, all to bounce@acme.test

Why rewritten: the same 101/293 files repeated 10,000 times would be duplicates to any router (and to
a content-addressed spool), so each copy gets its own Message-ID; and mail in a real mailbox was
delivered, so it carries the MTA's Return-Path, Delivered-To, two Received lines and an
Authentication-Results line (about 0.8 KB, as Postfix and Dovecot add them). The body and the rest of
the header are the corpus's bytes, broken ones included (a gateway must take what arrives).
Files are written LF-terminated into OUTDIR/new as a Maildir (Dovecot serves them with CRLF).
Prints one JSON line: {"mix", "messages", "mean_bytes", "bounces"}.
"""
import json
import os
import random
import re
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
DOMAIN = "acme.test"
BOUNCE_SHARE = 0.8


def corpus_files():
    mime = sorted(p for p in (CORPUS / "mime").rglob("*") if p.is_file() and p.suffix in (".eml", ".txt"))
    bounces = sorted(p for p in (CORPUS / "bounces").glob("*.eml"))
    if not mime or not bounces:
        sys.exit(f"corpus.py: no corpus under {CORPUS} (the bench needs ../shared/corpus beside the clone)")
    return mime, bounces


def split_header(raw):
    """(header lines, body) of a message with LF line ends; a message without a blank line is all header."""
    text = raw.replace(b"\r\n", b"\n")
    if text.startswith(b"From "):  # an mbox envelope line: a Maildir file has none
        text = text.partition(b"\n")[2]
    head, sep, body = text.partition(b"\n\n")
    if not sep:
        return text.rstrip(b"\n").split(b"\n"), b""
    return head.split(b"\n"), body


def drop_fields(lines, names):
    """The header lines without the named fields (a folded field's continuation lines go with it)."""
    out, dropping = [], False
    for line in lines:
        if line[:1] in (b" ", b"\t") and out is not None:
            if not dropping:
                out.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        dropping = name in names
        if not dropping:
            out.append(line)
    return out


def sender_of(lines):
    for line in lines:
        if line.lower().startswith(b"from:"):
            m = re.search(rb"[\w.+-]+@[\w.-]+", line)
            if m:
                return m.group(0).decode("ascii", "replace")
    return ""  # a bounce: the null reverse path


def rewrite(raw, i, to, mix):
    lines, body = split_header(raw)
    sender = sender_of(lines)
    lines = drop_fields(lines, {b"message-id", b"to", b"delivered-to", b"return-path"})
    qid = f"4Q{i:08X}"
    date = f"Mon, 30 Nov 2026 {8 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:{i % 60:02d} +0000 (UTC)"
    delivery = [
        f"Return-Path: <{sender}>",
        f"Delivered-To: {to}",
        f"Received: from mx1.{DOMAIN} (mx1.{DOMAIN} [192.0.2.25])",
        f"\tby imap.{DOMAIN} (Postfix) with ESMTPS id {qid}",
        f"\tfor <{to}>; {date}",
        "Received: from mail-out.example.net (mail-out.example.net [198.51.100.7])",
        "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
        "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)",
        "\t(No client certificate requested)",
        f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {qid}",
        f"\tfor <{to}>; {date}",
        f"Authentication-Results: mx1.{DOMAIN}; spf=pass smtp.mailfrom={sender};",
        "\tdkim=none; dmarc=none header.from=example.net",
    ]
    tail = [f"To: {to}", f"Message-ID: <bench-{mix}-{i:06d}@mailgate.bench>"]
    head = b"\n".join(x.encode() for x in delivery) + b"\n" + b"\n".join(lines) + b"\n"
    head += b"\n".join(x.encode() for x in tail) + b"\n"
    return head + b"\n" + body


def build(mix, n, out, seed=13):
    mime, bounces = corpus_files()
    rng = random.Random(seed)
    new = Path(out) / "new"
    for d in ("new", "cur", "tmp"):
        (Path(out) / d).mkdir(parents=True, exist_ok=True)
    total = bounce_count = 0
    order_mime, order_bounce = mime[:], bounces[:]
    rng.shuffle(order_mime)
    rng.shuffle(order_bounce)
    cache = {}
    for i in range(n):
        if mix == "bounce":
            is_bounce = rng.random() < BOUNCE_SHARE
            pool = order_bounce if is_bounce else order_mime
            path = pool[rng.randrange(len(pool))]
            to = f"bounce@{DOMAIN}"
        else:
            is_bounce = False
            path = order_mime[i % len(order_mime)]
            to = f"{('sales', 'jobs', 'catchall')[i % 3]}@{DOMAIN}"
        raw = cache.get(path)
        if raw is None:
            raw = cache[path] = path.read_bytes()
        msg = rewrite(raw, i, to, mix)
        # Maildir names: time.unique.host; distinct and in delivery order (Dovecot assigns UIDs by name order).
        (new / f"{1764489600 + i}.M{i:06d}P1.bench").write_bytes(msg)
        total += len(msg)
        bounce_count += is_bounce
    return {"mix": mix, "messages": n, "mean_bytes": round(total / max(n, 1)), "bounces": bounce_count}


def main():
    args = sys.argv[1:]
    seed = 13
    if "--seed" in args:
        k = args.index("--seed")
        seed = int(args[k + 1])
        del args[k:k + 2]
    if len(args) != 3 or args[0] not in ("ordinary", "bounce"):
        sys.exit(__doc__)
    mix, n, out = args[0], int(args[1]), args[2]
    os.makedirs(out, exist_ok=True)
    print(json.dumps(build(mix, n, out, seed)))


if __name__ == "__main__":
    main()
