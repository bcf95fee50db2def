#!/usr/bin/env python3
"""A scripted IMAP server on loopback that lies about a literal's size.

    hostile_imap.py PORT

One mailbox with one message (UID 1). RFC822.SIZE says 500 bytes, but the body FETCH
answers `* 1 FETCH (UID 1 BODY[] {1073741824}` and then streams filler as fast as the
client reads, up to the claimed gigabyte: a client that trusts the claim allocates it, a
client that drains it spends its time; a bounded client hangs up. Prints `listening PORT`."""
import socket
import sys
import threading

CLAIM = 1 << 30


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
                send(f"* 1 EXISTS\r\n* OK [UIDVALIDITY 77] v\r\n* OK [UIDNEXT 2] n\r\n{tag} OK [READ-WRITE] ok\r\n".encode())
            elif cmd.startswith("UID SEARCH") or verb == "SEARCH":
                send(f"* SEARCH 1\r\n{tag} OK search\r\n".encode())
            elif cmd.startswith("UID FETCH"):
                if "BODY" in line.decode("latin-1").upper():
                    send(f"* 1 FETCH (UID 1 BODY[] {{{CLAIM}}}\r\n".encode())
                    chunk = b"X" * 65536
                    sent = 0
                    while sent < CLAIM:
                        send(chunk)
                        sent += len(chunk)
                    send(f")\r\n{tag} OK fetch\r\n".encode())
                else:
                    send(f"* 1 FETCH (UID 1 RFC822.SIZE 500 FLAGS ())\r\n{tag} OK fetch\r\n".encode())
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
