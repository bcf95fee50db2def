#!/usr/bin/env python3
"""A scripted IMAP4rev1 server on 127.0.0.1 that answers the way real, quirky servers do.

usage: scripted_imap.py SCENARIO.json
Binds 127.0.0.1 on a free port and prints it on the first line of stdout, then serves until
killed. After every command it rewrites SCENARIO.json's sibling `state.json` (atomically):
{"seen": [uids flagged \\Seen], "present": [uids still in the mailbox], "sessions": n,
 "logins": n, "commands": ["UID FETCH 7 (UID BODY.PEEK[])", ...]}.

SCENARIO.json:
{"uidvalidity": 1700000000,
 "messages": [{"uid": 7, "file": "/path/message.eml"}, ...],   # LF or CRLF; served as CRLF
 "quirks": {NAME: ARGS, ...}}

Quirks (each models a public report; "times" = how many fetches misbehave, -1 = always):
  trailing-space        {}                   qq.com: "(UID 7 RFC822.SIZE 279 )" and "... BODY[] {n}\\r\\n... )"
  lowercase             {}                   atoms in lower case: "* 1 fetch (uid 7 rfc822.size 279)"
  size-missing          {}                   the size FETCH has UID and FLAGS but no RFC822.SIZE (Mailpile #1080)
  body-nil              {"uid": 7, "times": n}   "* 1 FETCH (UID 7 BODY[] NIL)" (imapsync #79)
  no-fetch-line         {"uid": 7, "times": n}   OK to the body fetch without a FETCH line for that UID
  unreadable            {"uid": 7, "times": n}   a body response the grammar cannot read (an unterminated string)
  uid-after-literal     {}                   "* 1 FETCH (BODY[] {n}\\r\\n... UID 7 FLAGS (\\Seen))"
  unsolicited           {}                   FLAGS-only FETCH, EXISTS, EXPUNGE-free noise and a FETCH for a UID
                                             nobody asked for, in the middle of the pipelined answers
  literal-lies          {"uid": 7, "claim": N}   announces a literal of N bytes for that body, sends a little, waits
  drop-in-literal       {"uid": 7, "times": n}   sends half the literal, then closes the connection
  expunged-on-fetch     {"uid": 7}           the message vanishes when its body is asked for: "* n EXPUNGE", no body
  expungeissued         {"uid": 7}           the body fetch gets "NO [EXPUNGEISSUED]" and the message is gone
  require-id            {}                   NetEase: SELECT refused ("Unsafe Login") unless ID was sent first
  select-no             {"code": "SERVERBUG", "text": "Internal error"}   SELECT answered NO [code] text
  no-uidnext            {}                   SELECT without [UIDNEXT]
"""
import json, os, re, socket, sys, threading

scenario_path = sys.argv[1]
SCENARIO = json.load(open(scenario_path))
STATE_PATH = os.path.join(os.path.dirname(os.path.abspath(scenario_path)), "state.json")
QUIRKS = SCENARIO.get("quirks", {})
UIDVALIDITY = SCENARIO.get("uidvalidity", 1700000000)

def crlf(data):
    return re.sub(rb"\r?\n", b"\r\n", data)

MESSAGES = {}
for m in SCENARIO["messages"]:
    MESSAGES[m["uid"]] = crlf(open(m["file"], "rb").read())
LOCK = threading.Lock()
STATE = {"seen": set(), "present": set(MESSAGES), "sessions": 0, "logins": 0, "commands": []}
COUNTS = {}  # quirk name -> times used

def save_state():
    tmp = STATE_PATH + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"seen": sorted(STATE["seen"]), "present": sorted(STATE["present"]), "sessions": STATE["sessions"],
                   "logins": STATE["logins"], "commands": STATE["commands"]}, f)
    os.replace(tmp, STATE_PATH)

def quirk_applies(name, uid=None):
    """True when quirk `name` (for `uid`, if it names one) should act now; counts the use."""
    q = QUIRKS.get(name)
    if q is None:
        return False
    if uid is not None and "uid" in q and q["uid"] != uid:
        return False
    times = q.get("times", -1)
    used = COUNTS.get(name, 0)
    if times >= 0 and used >= times:
        return False
    COUNTS[name] = used + 1
    return True

def atom(text):
    return text.lower() if "lowercase" in QUIRKS else text

def uid_set(text, highest):
    out = set()
    for piece in text.split(","):
        if ":" in piece:
            a, b = piece.split(":")
            a = highest if a == "*" else int(a)
            b = highest if b == "*" else int(b)
            out |= set(range(min(a, b), max(a, b) + 1))
        elif piece == "*":
            out.add(highest)
        else:
            out.add(int(piece))
    return out

def handle(conn):
    with LOCK:
        STATE["sessions"] += 1
        save_state()
    f = conn.makefile("rb")
    def send(data):
        conn.sendall(data)
    send(b"* OK scripted IMAP ready\r\n")
    sent_id = False
    try:
        while True:
            line = f.readline()
            if not line:
                break
            text = line.decode("latin-1").rstrip("\r\n")
            if text == "DONE":
                continue
            parts = text.split(" ", 2)
            tag = parts[0]
            cmd = parts[1].upper() if len(parts) > 1 else ""
            rest = parts[2] if len(parts) > 2 else ""
            if cmd == "UID":
                sub = rest.split(" ", 1)
                cmd = "UID " + sub[0].upper()
                rest = sub[1] if len(sub) > 1 else ""
            with LOCK:
                if cmd != "LOGIN":
                    STATE["commands"].append((cmd + " " + rest).strip())
                present = sorted(STATE["present"])
                reply = answer_or_act(conn, tag, cmd, rest, present, sent_id)
                save_state()
            if cmd == "ID":
                sent_id = True
            if reply is None:      # the quirk already sent what it sends, and ends the connection
                break
            send(reply)
            if cmd == "LOGOUT":
                break
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass

def fetch_line(seq, items):
    return f"* {seq} {atom('FETCH')} ({items})\r\n".encode()

def answer(tag, cmd, rest, present, sent_id):
    caps = "IMAP4rev1 UIDPLUS ID IDLE"
    if cmd == "CAPABILITY":
        return f"* CAPABILITY {caps}\r\n{tag} OK done\r\n".encode()
    if cmd == "LOGIN":
        STATE["logins"] += 1
        return f"{tag} OK [CAPABILITY {caps}] logged in\r\n".encode()
    if cmd == "ID":
        return f"* ID (\"name\" \"scripted\")\r\n{tag} OK id\r\n".encode()
    if cmd in ("SELECT", "EXAMINE"):
        if "require-id" in QUIRKS and not sent_id:
            return f"{tag} NO SELECT Unsafe Login. Please contact kefu@188.com for help\r\n".encode()
        q = QUIRKS.get("select-no")
        if q is not None:
            return f"{tag} NO [{q.get('code', 'SERVERBUG')}] {q.get('text', 'Internal error')}\r\n".encode()
        highest = max(MESSAGES) if MESSAGES else 0
        out = b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
        out += f"* {len(present)} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY {UIDVALIDITY}] v\r\n".encode()
        if "no-uidnext" not in QUIRKS:
            out += f"* OK [UIDNEXT {highest + 1}] n\r\n".encode()
        return out + f"{tag} OK [READ-WRITE] selected\r\n".encode()
    if cmd in ("UID SEARCH", "SEARCH"):
        m = re.search(r"UID (\S+)", rest.upper())
        highest = present[-1] if present else 0
        hits = present
        if m:
            wanted = uid_set(m.group(1), highest)
            hits = [u for u in present if u in wanted]
        if "UNSEEN" in rest.upper():
            hits = [u for u in hits if u not in STATE["seen"]]
        return ("* SEARCH" + "".join(f" {u}" for u in hits) + "\r\n").encode() + f"{tag} OK search\r\n".encode()
    if cmd == "UID FETCH":
        uids, items = rest.split(" ", 1)
        highest = present[-1] if present else 0
        wanted = [u for u in present if u in uid_set(uids, highest)]
        if "BODY" in items.upper():
            return body_answer(tag, wanted, present)
        out = b""
        for u in wanted:
            seq = present.index(u) + 1
            size = len(MESSAGES[u])
            if "size-missing" in QUIRKS:
                out += fetch_line(seq, f"{atom('UID')} {u} {atom('FLAGS')} ()")
            elif "trailing-space" in QUIRKS:
                out += fetch_line(seq, f"{atom('UID')} {u} {atom('RFC822.SIZE')} {size} ")
            else:
                out += fetch_line(seq, f"{atom('UID')} {u} {atom('RFC822.SIZE')} {size} {atom('FLAGS')} ()")
        return out + f"{tag} OK fetch\r\n".encode()
    if cmd == "UID STORE":
        uids, _ = rest.split(" ", 1)
        highest = present[-1] if present else 0
        for u in uid_set(uids, highest):
            if u in STATE["present"]:
                STATE["seen"].add(u)
        return f"{tag} OK store\r\n".encode()
    if cmd == "LOGOUT":
        return f"* BYE bye\r\n{tag} OK logout\r\n".encode()
    return f"{tag} OK {cmd.lower()}\r\n".encode()

def body_answer(tag, wanted, present):
    out = b""
    if "unsolicited" in QUIRKS and present:
        out += fetch_line(1, "FLAGS (\\Recent)") + f"* {len(present)} EXISTS\r\n".encode()
    for u in wanted:
        seq = present.index(u) + 1
        msg = MESSAGES[u]
        n = len(msg)
        if quirk_applies("expunged-on-fetch", u):
            STATE["present"].discard(u)
            out += f"* {seq} EXPUNGE\r\n".encode()
            continue
        if quirk_applies("expungeissued", u):
            STATE["present"].discard(u)
            return out + f"{tag} NO [EXPUNGEISSUED] Some messages were expunged before they could be fetched\r\n".encode()
        if quirk_applies("body-nil", u):
            out += fetch_line(seq, f"{atom('UID')} {u} BODY[] NIL")
            continue
        if quirk_applies("no-fetch-line", u):
            continue
        if quirk_applies("unreadable", u):
            out += fetch_line(seq, f"{atom('UID')} {u} X-GARBLED \"unterminated ({n}")
            continue
        q = QUIRKS.get("literal-lies")
        if q is not None and q.get("uid") == u:
            return lie(out, seq, u, q.get("claim", 1 << 30))
        if quirk_applies("drop-in-literal", u):
            return hang_up(out + f"* {seq} FETCH (UID {u} BODY[] {{{n}}}\r\n".encode() + msg[: n // 2])
        if "uid-after-literal" in QUIRKS:
            out += f"* {seq} FETCH (BODY[] {{{n}}}\r\n".encode() + msg + f" UID {u} FLAGS (\\Seen))\r\n".encode()
        elif "trailing-space" in QUIRKS:
            out += f"* {seq} FETCH (UID {u} BODY[] {{{n}}}\r\n".encode() + msg + b" )\r\n"
        else:
            out += f"* {seq} {atom('FETCH')} ({atom('UID')} {u} BODY[] {{{n}}}\r\n".encode() + msg + b")\r\n"
        if "unsolicited" in QUIRKS:
            out += fetch_line(seq, f"FLAGS (\\Recent)")
            other = max(MESSAGES) + 1000
            out += f"* {seq} FETCH (UID {other} BODY[] {{5}}\r\nnoise)\r\n".encode()
    return out + f"{tag} OK fetch\r\n".encode()

def lie(prefix, seq, uid, claim):
    """Announce a literal of `claim` bytes, send a little of it, and leave the rest unsaid."""
    raise Lie(prefix + f"* {seq} FETCH (UID {uid} BODY[] {{{claim}}}\r\n".encode() + b"x" * 512)

def hang_up(data):
    """Send `data` (a response cut inside its literal), then close the connection."""
    raise Drop(data)

class Lie(Exception):
    pass

class Drop(Exception):
    pass

def answer_or_act(conn, *args):
    try:
        return answer(*args)
    except Lie as e:
        conn.sendall(e.args[0])
        return b""            # keep the connection open: the client must close it
    except Drop as e:
        conn.sendall(e.args[0])
        return None

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
save_state()
print(srv.getsockname()[1], flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
