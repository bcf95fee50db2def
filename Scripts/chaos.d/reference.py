"""The byte offsets of each phase of one reference conversation, as the fault proxy saw it.

Phases are named from the plaintext `imap://` (tls = "none") run, where the proxy sees the
commands: a client burst is the bytes the client sends before the server answers, and the
answer to burst k is what the server sends between burst k and burst k+1. For `imaps://` the
proxy sees ciphertext, so the same phases are found by correlation: the client bursts that
start with a TLS handshake or change-cipher-spec record are the handshake; the rest map one to
one onto the plaintext bursts, and an offset inside an answer is carried over record by record
(TLS 1.3: 5 header bytes + 16 tag bytes + 1 content-type byte per record)."""
import json
import re


class Conversation:
    def __init__(self, path, conn=1):
        self.chunks = []  # (dir, off, bytes) in the order the proxy read them
        with open(path) as f:
            for line in f:
                e = json.loads(line)
                if e["conn"] == conn:
                    self.chunks.append((e["dir"], e["off"], bytes.fromhex(e.get("hex", ""))))
        self.s2c = b"".join(c[2] for c in self.chunks if c[0] == "s2c")
        self.c2s = b"".join(c[2] for c in self.chunks if c[0] == "c2s")
        # Client bursts, each with the server offset reached when it began.
        self.bursts = []  # [c2s start, c2s end, s2c offset at start]
        s2c = 0
        last = None
        for d, off, data in self.chunks:
            if d == "s2c":
                s2c += len(data)
                last = "s2c"
                continue
            if last == "c2s":
                self.bursts[-1][1] = off + len(data)
            else:
                self.bursts.append([off, off + len(data), s2c])
            last = "c2s"

    def answer(self, k):
        """The server bytes answering burst k: [start, end)."""
        start = self.bursts[k][2]
        end = self.bursts[k + 1][2] if k + 1 < len(self.bursts) else len(self.s2c)
        return start, end


def label(command):
    words = command.split()
    if len(words) < 2:
        return "?"
    verb = words[1].upper()
    if verb == "UID" and len(words) > 2:
        sub = words[2].upper()
        if sub == "FETCH":
            return "fetch-bodies" if "BODY" in command.upper() else "fetch-sizes"
        return sub.lower()
    return {"AUTHENTICATE": "login", "LOGIN": "login"}.get(verb, verb.lower())


def plain_phases(conv):
    """[(name, dir, offset)] for the plaintext run, plus the SELECT end per direction."""
    marks = [("greeting:start", "s2c", 0), ("greeting:end", "s2c", conv.s2c.find(b"\r\n") + 2)]
    names = []
    select_end = None
    for k, (c0, c1, _) in enumerate(conv.bursts):
        lines = [line.decode("latin-1") for line in conv.c2s[c0:c1].split(b"\r\n") if line]
        first = lines[0] if lines else ""
        # A pipelined burst (ID, SELECT and the listing FETCH in one flight) is named after its
        # SELECT: that is the phase whose end the offsets run up to.
        labels = [label(line) for line in lines]
        name = "select" if "select" in labels or "examine" in labels else label(first)
        n = sum(1 for x in names if x == name)
        names.append(name)
        tagname = name if n == 0 else f"{name}#{n + 1}"
        a0, a1 = conv.answer(k)
        marks += [(f"{tagname}:command", "c2s", c0), (f"{tagname}:command-end", "c2s", c1),
                  (f"{tagname}:answer", "s2c", a0), (f"{tagname}:answer-end", "s2c", a1)]
        answer = conv.s2c[a0:a1]
        if name == "fetch-bodies":
            i = 0
            for m in re.finditer(rb"\{(\d+)\}\r\n", answer):
                if m.start() < i:
                    continue
                i += 1
                start = a0 + m.end()
                marks += [(f"literal{i}:start", "s2c", start), (f"literal{i}:end", "s2c", start + int(m.group(1)))]
        if name == "store":
            tag = first.split()[0].encode()
            t = answer.find(b"\r\n" + tag + b" ")
            t = t + 2 if t >= 0 else (0 if answer.startswith(tag + b" ") else -1)
            if t >= 0:
                marks += [("store-ok:start", "s2c", a0 + t), ("store-ok:end", "s2c", a0 + answer.find(b"\r\n", t) + 2)]
        if name == "select" and select_end is None:
            select_end = {"s2c": a1, "c2s": c1}
    return marks, names, select_end


def tls_records(stream):
    """[(start, end, type)] of the TLS records in one direction."""
    out, i = [], 0
    while i + 5 <= len(stream):
        n = int.from_bytes(stream[i + 3:i + 5], "big")
        out.append((i, i + 5 + n, stream[i]))
        i += 5 + n
    return out


def tls_phases(tls, plain, plain_names):
    """Carries the plaintext phases over to the TLS run. Returns (marks, select_end, notes)."""
    notes = []
    app = [k for k, (c0, _, _) in enumerate(tls.bursts) if tls.c2s[c0] not in (0x16, 0x14)]
    hs = [k for k in range(len(tls.bursts)) if k not in app]
    if len(app) == len(plain.bursts) + 1:  # a Finished without a change-cipher-spec record first
        hs.append(app.pop(0))
    marks = [("tls-handshake:start", "s2c", 0)]
    if hs:
        marks.append(("tls-handshake:end", "c2s", tls.bursts[hs[-1]][1]))
    if len(app) != len(plain.bursts):
        notes.append(f"TLS run has {len(app)} client bursts after the handshake, plaintext {len(plain.bursts)}: "
                     "only burst boundaries are used")
    records = tls_records(tls.s2c)
    select_end = None
    counts = {}
    for j, k in enumerate(app):
        name = plain_names[j] if j < len(plain_names) and not notes else f"burst{j}"
        counts[name] = counts.get(name, 0) + 1
        tagname = name if counts[name] == 1 else f"{name}#{counts[name]}"
        c0, c1, _ = tls.bursts[k]
        a0, a1 = tls.answer(k)
        if j == 0:
            marks.append(("greeting:end", "s2c", a0))
        marks += [(f"{tagname}:command", "c2s", c0), (f"{tagname}:command-end", "c2s", c1),
                  (f"{tagname}:answer", "s2c", a0), (f"{tagname}:answer-end", "s2c", a1)]
        if name == "select" and select_end is None:
            select_end = {"s2c": a1, "c2s": c1}
        if notes or j >= len(plain.bursts):
            continue
        # Offsets inside this answer in the plaintext run, carried over record by record.
        p0, p1 = plain.answer(j)
        inner = [(n, off - p0) for (n, d, off) in plain_phases_inner(plain, j) if d == "s2c" and p0 < off < p1]
        rec = [r for r in records if a0 <= r[0] < a1]
        for n, rel in inner:
            cum = 0
            for (r0, r1, _) in rec:
                cap = r1 - r0 - 22
                if rel < cum + cap:
                    marks.append((n, "s2c", r0 + 5 + (rel - cum)))
                    break
                cum += cap
    return marks, select_end, notes


def plain_phases_inner(plain, j):
    marks, _, _ = plain_phases(plain)
    p0, p1 = plain.answer(j)
    return [m for m in marks if m[1] == "s2c" and p0 < m[2] < p1]
