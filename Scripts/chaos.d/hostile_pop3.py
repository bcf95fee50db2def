#!/usr/bin/env python3
"""A scripted POP3 server on loopback whose LIST lies about one message's size.

    hostile_pop3.py PORT [MEGABYTES]

Three messages. LIST says 500 bytes for message 2, but RETR 2 streams MEGABYTES (default 600)
of filler lines before the final ".": a client that trusts LIST and reads to the end holds
it all. Messages 1 and 3 are ordinary. Any user and password log in. Prints `listening PORT`."""
import socket
import sys
import threading

LIAR = 2


def message(n):
    return (f"From: hostile@example.test\r\nMessage-ID: <hostile-pop3-{n}@chaos.test>\r\n"
            f"Subject: message {n}\r\n\r\nbody of message {n}\r\n").encode()


def handle(conn, megabytes):
    f = conn.makefile("rb")
    deleted = set()
    try:
        conn.sendall(b"+OK hostile POP3 ready\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            words = line.decode("latin-1").strip().split()
            cmd = words[0].upper() if words else ""
            arg = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
            if cmd == "CAPA":
                conn.sendall(b"+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n")
            elif cmd in ("USER", "PASS", "NOOP", "RSET"):
                conn.sendall(b"+OK\r\n")
            elif cmd == "UIDL":
                conn.sendall(b"+OK\r\n" + b"".join(b"%d hostile-%d\r\n" % (n, n) for n in (1, 2, 3) if n not in deleted) + b".\r\n")
            elif cmd == "LIST":
                conn.sendall(b"+OK\r\n" + b"".join(b"%d %d\r\n" % (n, 500 if n == LIAR else len(message(n)))
                                                   for n in (1, 2, 3) if n not in deleted) + b".\r\n")
            elif cmd == "RETR" and arg in (1, 2, 3):
                if arg != LIAR:
                    conn.sendall(b"+OK\r\n" + message(arg) + b".\r\n")
                    continue
                conn.sendall(b"+OK\r\n" + message(arg))
                chunk = b"filler " * 9361 + b"\r\n"  # ~64 KB lines
                for _ in range(megabytes * (1 << 20) // len(chunk)):
                    conn.sendall(chunk)
                conn.sendall(b".\r\n")
            elif cmd == "DELE" and arg in (1, 2, 3):
                deleted.add(arg)
                conn.sendall(b"+OK\r\n")
            elif cmd == "QUIT":
                conn.sendall(b"+OK bye\r\n")
                return
            else:
                conn.sendall(b"-ERR unknown\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    megabytes = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    srv.listen(8)
    print(f"listening {srv.getsockname()[1]}", flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c, megabytes), daemon=True).start()


if __name__ == "__main__":
    main()
