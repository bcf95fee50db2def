#!/usr/bin/env python3
"""A scripted POP3 server on 127.0.0.1 whose UIDLs come from the scenario, repeated ones included.

usage: scripted_pop3.py SCENARIO.json
SCENARIO.json: {"messages": [{"uidl": "same", "file": "/path/a.eml"}, ...]}   # served as CRLF
Binds a free port, prints it on the first line of stdout, then serves until killed. Any user and
password log in. DELE marks, QUIT removes (RFC 1939). After every QUIT it rewrites the scenario's
sibling `state.json`: {"present": [indexes of the messages still in the maildrop], "sessions": n}."""
import json, os, re, socket, sys, threading

scenario_path = sys.argv[1]
SCENARIO = json.load(open(scenario_path))
STATE_PATH = os.path.join(os.path.dirname(os.path.abspath(scenario_path)), "state.json")
MESSAGES = [(m["uidl"], re.sub(rb"\r?\n", b"\r\n", open(m["file"], "rb").read())) for m in SCENARIO["messages"]]
LOCK = threading.Lock()
PRESENT = list(range(len(MESSAGES)))
SESSIONS = [0]


def save_state():
    tmp = STATE_PATH + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"present": PRESENT, "sessions": SESSIONS[0]}, f)
    os.replace(tmp, STATE_PATH)


def stuffed(data):
    out = re.sub(rb"(^|\r\n)\.", rb"\1..", data)
    return out if out.endswith(b"\r\n") else out + b"\r\n"


def handle(conn):
    f = conn.makefile("rb")
    with LOCK:
        SESSIONS[0] += 1
        drop = list(PRESENT)  # message number n is drop[n - 1] for this session
    deleted = set()
    try:
        conn.sendall(b"+OK scripted POP3 ready\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            words = line.decode("latin-1").strip().split()
            cmd = words[0].upper() if words else ""
            arg = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
            valid = arg is not None and 1 <= arg <= len(drop) and arg not in deleted
            if cmd == "CAPA":
                conn.sendall(b"+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n")
            elif cmd in ("USER", "PASS", "NOOP"):
                conn.sendall(b"+OK\r\n")
            elif cmd == "RSET":
                deleted.clear()
                conn.sendall(b"+OK\r\n")
            elif cmd == "STAT":
                live = [n for n in range(1, len(drop) + 1) if n not in deleted]
                conn.sendall(b"+OK %d %d\r\n" % (len(live), sum(len(MESSAGES[drop[n - 1]][1]) for n in live)))
            elif cmd in ("UIDL", "LIST") and arg is None:
                rows = b"".join(
                    b"%d %s\r\n" % (n, MESSAGES[drop[n - 1]][0].encode() if cmd == "UIDL" else str(len(MESSAGES[drop[n - 1]][1])).encode())
                    for n in range(1, len(drop) + 1) if n not in deleted)
                conn.sendall(b"+OK\r\n" + rows + b".\r\n")
            elif cmd == "RETR" and valid:
                conn.sendall(b"+OK\r\n" + stuffed(MESSAGES[drop[arg - 1]][1]) + b".\r\n")
            elif cmd == "DELE" and valid:
                deleted.add(arg)
                conn.sendall(b"+OK\r\n")
            elif cmd == "QUIT":
                with LOCK:
                    gone = {drop[n - 1] for n in deleted}
                    PRESENT[:] = [i for i in PRESENT if i not in gone]
                    save_state()
                conn.sendall(b"+OK bye\r\n")
                return
            else:
                conn.sendall(b"-ERR unknown command or message\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    with LOCK:
        save_state()
    print(listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


main()
