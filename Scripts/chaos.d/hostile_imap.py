#!/usr/bin/env python3
"""A scripted IMAP server on loopback that lies about a literal's size.

    hostile_imap.py PORT

One mailbox with three messages, UIDs 1, 2, 3. UIDs 1 and 3 are ordinary. For UID 2
RFC822.SIZE says 500 bytes, but the body FETCH answers `* 2 FETCH (UID 2 BODY[] {1073741824}`
and then streams filler as fast as the client reads, up to the claimed gigabyte: a client that
trusts the claim allocates it, a client that drains it spends its time; a bounded client hangs
up. Prints `listening PORT`."""
import socket
import sys
import threading

CLAIM = 1 << 30
LIAR = 2


def message(uid):
    return (f"From: hostile@example.test\r\nMessage-ID: <hostile-{uid}@chaos.test>\r\n"
            f"Subject: message {uid}\r\n\r\nbody of message {uid}\r\n").encode()


def uids_in(text):
    """The UIDs of a UID FETCH set (1:3, 1,3, 2:*) among 1..3."""
    wanted = set()
    for piece in text.split(","):
        a, _, b = piece.partition(":")
        lo = int(a) if a != "*" else 3
        hi = (int(b) if b != "*" else 3) if b else lo
        wanted |= set(range(min(lo, hi), max(lo, hi) + 1))
    return sorted(u for u in wanted if 1 <= u <= 3)


def handle(conn):
    f = conn.makefile("rb")

    def send(b):
        conn.sendall(b)

    try:
        send(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hostile ready\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            words = line.decode("latin-1").strip().split(" ")
            tag, cmd = words[0], " ".join(words[1:3]).upper()
            verb = words[1].upper() if len(words) > 1 else ""
            if verb == "CAPABILITY":
                send(f"* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN UIDPLUS\r\n{tag} OK done\r\n".encode())
            elif verb in ("AUTHENTICATE", "LOGIN"):
                send(f"{tag} OK [CAPABILITY IMAP4rev1 UIDPLUS] logged in\r\n".encode())
            elif verb in ("SELECT", "EXAMINE"):
                send(f"* 3 EXISTS\r\n* OK [UIDVALIDITY 77] v\r\n* OK [UIDNEXT 4] n\r\n{tag} OK [READ-WRITE] ok\r\n".encode())
            elif cmd.startswith("UID SEARCH") or verb == "SEARCH":
                send(f"* SEARCH 1 2 3\r\n{tag} OK search\r\n".encode())
            elif cmd.startswith("UID FETCH"):
                wanted = uids_in(words[3])
                if "BODY" in line.decode("latin-1").upper():
                    for uid in wanted:
                        if uid != LIAR:
                            m = message(uid)
                            send(f"* {uid} FETCH (UID {uid} BODY[] {{{len(m)}}}\r\n".encode() + m + b")\r\n")
                            continue
                        send(f"* {uid} FETCH (UID {uid} BODY[] {{{CLAIM}}}\r\n".encode())
                        chunk = b"X" * 65536
                        sent = 0
                        while sent < CLAIM:
                            send(chunk)
                            sent += len(chunk)
                        send(b")\r\n")
                    send(f"{tag} OK fetch\r\n".encode())
                else:
                    for uid in wanted:
                        size = 500 if uid == LIAR else len(message(uid))
                        send(f"* {uid} FETCH (UID {uid} RFC822.SIZE {size} FLAGS ())\r\n".encode())
                    send(f"{tag} OK fetch\r\n".encode())
            elif cmd.startswith("UID STORE"):
                send(f"{tag} OK store\r\n".encode())
            elif verb == "LOGOUT":
                send(f"* BYE bye\r\n{tag} OK logout\r\n".encode())
                return
            else:
                send(f"{tag} OK {verb.lower()}\r\n".encode())
    except OSError:
        pass
    finally:
        conn.close()


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    srv.listen(8)
    print(f"listening {srv.getsockname()[1]}", flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
