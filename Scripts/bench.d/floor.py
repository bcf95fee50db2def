#!/usr/bin/env python3
"""The raw floor: the least any IMAP client must do to download a mailbox, measured the same way.

    floor.py PORT USER CAFILE            TLS, LOGIN, SELECT, one pipelined UID FETCH 1:* BODY.PEEK[], LOGOUT
    floor.py PORT USER CAFILE --idle     TLS, LOGIN, then one round trip (NOOP): a cold poll with nothing new
    floor.py PORT USER CAFILE --warm     TLS, LOGIN, SELECT, UID FETCH 1:* (FLAGS): prepares a template
                                         mailbox (new/ moved to cur/, index built); not a measurement

No parsing beyond framing the literals, no storage, no flags. Prints one JSON line:
{"messages", "bytes", "seconds", "login_seconds"}; "seconds" runs from before connect to after the
tagged OK of the last command (interpreter start-up excluded: this is the wire's floor, not a
contender). The password is Dovecot's test password ("secret"), the server is on loopback.
"""
import json
import re
import socket
import ssl
import sys
import time

LITERAL = re.compile(rb"\{(\d+)\}\r\n")


class Conn:
    def __init__(self, port, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        raw = socket.create_connection(("127.0.0.1", port), timeout=60)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buf = bytearray()
        self.pos = 0

    def fill(self):
        data = self.sock.recv(1 << 18)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def line(self):
        """The next line (without CRLF); a literal inside it is skipped and counted in self.literals."""
        while True:
            if self.pos > (1 << 20):  # drop what has been consumed, so the buffer stays small
                del self.buf[:self.pos]
                self.pos = 0
            end = self.buf.find(b"\r\n", self.pos)
            if end < 0:
                self.fill()
                continue
            m = LITERAL.search(self.buf, self.pos, end + 2)
            if m and m.end() == end + 2:
                size = int(m.group(1))
                while len(self.buf) < end + 2 + size:
                    self.fill()
                self.literals += 1
                self.literal_bytes += size
                self.pos = end + 2 + size  # the line goes on after the literal (")" CRLF)
                continue
            text = bytes(self.buf[self.pos:end])
            self.pos = end + 2
            return text

    def until_tagged(self, tag):
        while True:
            text = self.line()
            if text.startswith(tag + b" "):
                if not text.startswith(tag + b" OK"):
                    raise RuntimeError(text.decode(errors="replace"))
                return

    literals = 0
    literal_bytes = 0


def main():
    port, user, cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    mode = sys.argv[4] if len(sys.argv) > 4 else "--fetch"
    t0 = time.monotonic()
    c = Conn(port, cafile)
    c.line()  # greeting
    c.sock.sendall(f"a LOGIN {user} secret\r\n".encode())
    c.until_tagged(b"a")
    login = time.monotonic() - t0
    if mode == "--idle":
        c.sock.sendall(b"b NOOP\r\n")
        c.until_tagged(b"b")
    elif mode == "--warm":
        c.sock.sendall(b"b SELECT INBOX\r\nc UID FETCH 1:* (FLAGS)\r\n")
        c.until_tagged(b"b")
        c.until_tagged(b"c")
    else:
        # SELECT and the FETCH pipelined: one round trip for both.
        c.sock.sendall(b"b SELECT INBOX\r\nc UID FETCH 1:* BODY.PEEK[]\r\n")
        c.until_tagged(b"b")
        c.until_tagged(b"c")
    seconds = time.monotonic() - t0
    try:
        c.sock.sendall(b"z LOGOUT\r\n")
        c.sock.close()
    except OSError:
        pass
    print(json.dumps({"messages": c.literals, "bytes": c.literal_bytes,
                      "seconds": round(seconds, 6), "login_seconds": round(login, 6)}))


if __name__ == "__main__":
    main()
