#!/usr/bin/env python3
"""A loopback TCP proxy that injects faults into one mail server conversation.

    faultproxy.py --listen PORT --target HOST:PORT [--fault SPEC] [--all] [--record FILE] [--control]

It forwards every accepted connection to the target and, on the connection(s) a fault is
armed for, does one of:

    cut:DIR:N           forward exactly N bytes in direction DIR, then close both sides (FIN)
    reset:DIR:N         the same, but close with an RST (SO_LINGER 0)
    stall:DIR:N:SECS    forward N bytes in DIR, then hold DIR for SECS seconds and go on
    stall:DIR:N:forever forward N bytes in DIR, then hold DIR until the client gives up
    trickle:DIR[:N]     from byte N on (default 0), send DIR one byte per send(), GAP apart
    pass                no fault

DIR is s2c (server to client) or c2s (client to server); offsets count the bytes of that
direction from the start of the connection, so with TLS they count ciphertext.

Structure (the speed issue adds latency here): each direction has a reader thread that stamps
every chunk with its arrival time and queues it, and a writer thread that sends each chunk at
arrival + delay. A chunk's due time depends only on its own arrival, so a delay never
accumulates behind earlier chunks; faults are markers in the same queue, so they happen at
exactly their byte offset whatever the timing.

Control (--control): lines on stdin, one answer line on stdout each:
    arm SPEC     the next accepted connection gets SPEC (one shot)
    armall SPEC  every connection from now on gets SPEC, until `disarm`
    disarm       no fault for the next connections
    delay SECS   latency added to every chunk of every new connection (both directions)
    stats        JSON: one object per connection so far (bytes each way, fault, reached)
    reset        forget the connection history (stats)
    quit
With --record FILE every chunk is logged as a JSON line {conn, dir, off, len, t[, hex]}
(`--record-data` adds the bytes), which is how Scripts/chaos finds the phase offsets.
"""
import argparse
import json
import socket
import struct
import sys
import threading
import time
from collections import deque

DIRS = ("s2c", "c2s")


class Fault:
    """One parsed fault SPEC."""

    def __init__(self, spec):
        self.spec = spec or "pass"
        parts = self.spec.split(":")
        self.kind = parts[0]
        self.dir = None
        self.offset = 0
        self.seconds = None  # stall: None = forever
        if self.kind == "pass":
            return
        if self.kind not in ("cut", "reset", "stall", "trickle"):
            raise ValueError(f"unknown fault {spec!r}")
        if len(parts) < 2 or parts[1] not in DIRS:
            raise ValueError(f"fault {spec!r}: direction must be s2c or c2s")
        self.dir = parts[1]
        if self.kind in ("cut", "reset", "stall"):
            if len(parts) < 3:
                raise ValueError(f"fault {spec!r}: needs a byte offset")
        if len(parts) >= 3:
            self.offset = int(parts[2])
            if self.offset < 0:
                raise ValueError(f"fault {spec!r}: negative offset")
        if self.kind == "stall":
            if len(parts) < 4:
                raise ValueError(f"fault {spec!r}: needs SECS or forever")
            self.seconds = None if parts[3] == "forever" else float(parts[3])

    def __repr__(self):
        return self.spec


# Queue items of a direction: ("data", due, bytes) | ("cut", reset?) | ("stall", seconds|None) | ("trickle",) | ("eof",)
class Direction:
    """One direction of one connection: reader → queue → writer."""

    def __init__(self, conn, name, src, dst):
        self.conn, self.name, self.src, self.dst = conn, name, src, dst
        self.queue = deque()
        self.cond = threading.Condition()
        self.read = 0       # bytes read from src
        self.written = 0    # bytes written to dst
        self.trickling = False
        self.stalled = False

    def put(self, item):
        with self.cond:
            self.queue.append(item)
            self.cond.notify_all()

    # Reader: stamp, account for the fault's offset, queue.
    def reader(self):
        fault = self.conn.fault
        mine = fault.dir == self.name
        marker_due = mine and fault.kind != "pass"
        try:
            if marker_due and fault.offset == 0:
                self.mark(fault)
                marker_due = False
                if fault.kind in ("cut", "reset"):
                    return
            while not self.conn.closed.is_set():
                try:
                    chunk = self.src.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                now = time.monotonic()
                if marker_due and self.read + len(chunk) >= fault.offset:
                    head = fault.offset - self.read
                    self.take(chunk[:head], now)
                    self.mark(fault)
                    marker_due = False
                    if fault.kind in ("cut", "reset"):
                        return
                    self.take(chunk[head:], now)
                else:
                    self.take(chunk, now)
        finally:
            self.put(("eof",))
            # A peer that leaves while the other direction is held would keep it held forever.
            other = self.conn.dirs.get("c2s" if self.name == "s2c" else "s2c")
            if other is not None and other.stalled:
                self.conn.shut(rst=False)

    def take(self, chunk, now):
        if not chunk:
            return
        self.conn.log(self.name, self.read, chunk, now)
        self.read += len(chunk)
        self.put(("data", now + self.conn.delay, chunk))

    def mark(self, fault):
        self.conn.reached = True
        if fault.kind in ("cut", "reset"):
            self.put(("cut", fault.kind == "reset"))
        elif fault.kind == "stall":
            self.put(("stall", fault.seconds))
        elif fault.kind == "trickle":
            self.put(("trickle",))

    # Writer: send each chunk at its due time; obey markers in order.
    def writer(self):
        try:
            while True:
                with self.cond:
                    while not self.queue:
                        self.cond.wait()
                    item = self.queue.popleft()
                kind = item[0]
                if kind == "data":
                    wait = item[1] - time.monotonic()
                    if wait > 0 and self.conn.closed.wait(wait):
                        return
                    self.send(item[2])
                elif kind == "cut":
                    self.conn.shut(rst=item[1])
                    return
                elif kind == "stall":
                    # Hold everything after this offset; "forever" ends when the connection does.
                    self.stalled = True
                    self.conn.closed.wait(item[1])
                    self.stalled = False
                    if self.conn.closed.is_set():
                        return
                elif kind == "trickle":
                    self.trickling = True
                elif kind == "eof":
                    try:
                        self.dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
        except OSError:
            self.conn.shut(rst=False)
        finally:
            self.conn.direction_done()

    def send(self, data):
        if not self.trickling:
            self.dst.sendall(data)
            self.written += len(data)
            return
        for i in range(len(data)):
            if self.conn.closed.is_set():
                return
            self.dst.sendall(data[i:i + 1])
            self.written += 1
            if self.conn.gap > 0:
                self.conn.closed.wait(self.conn.gap)


class Connection:
    def __init__(self, proxy, number, client, fault):
        self.proxy, self.number, self.client, self.fault = proxy, number, client, fault
        self.delay = proxy.delay
        self.gap = proxy.gap
        self.closed = threading.Event()
        self.reached = False
        self.lock = threading.Lock()
        self.remaining = 2
        self.started = time.monotonic()
        self.server = None
        self.dirs = {}

    def run(self):
        try:
            self.server = socket.create_connection(self.proxy.target, timeout=10)
            self.server.settimeout(None)
        except OSError as e:
            print(f"faultproxy: cannot reach {self.proxy.target}: {e}", file=sys.stderr)
            self.client.close()
            self.finish()
            return
        for s in (self.client, self.server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.dirs = {"s2c": Direction(self, "s2c", self.server, self.client),
                     "c2s": Direction(self, "c2s", self.client, self.server)}
        for d in self.dirs.values():
            threading.Thread(target=d.reader, daemon=True).start()
            threading.Thread(target=d.writer, daemon=True).start()

    def log(self, direction, offset, chunk, now):
        self.proxy.record(self.number, direction, offset, chunk, now - self.started)

    def shut(self, rst):
        """Closes both sides at once (a cut): the client sees FIN, or RST when asked."""
        with self.lock:
            if self.closed.is_set():
                return
            self.closed.set()
        for s in (self.client, self.server):
            if s is None:
                continue
            try:
                if rst:
                    # Linger 0 makes close() send RST; SHUT_RD wakes our own blocked reader
                    # without sending a FIN (a close() alone would wait for that reader).
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.shutdown(socket.SHUT_RD)
                else:
                    s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        for d in self.dirs.values():
            with d.cond:
                d.cond.notify_all()

    def direction_done(self):
        with self.lock:
            self.remaining -= 1
            last = self.remaining == 0
        if last:
            self.shut(rst=False)
            self.finish()

    def finish(self):
        self.proxy.finished(self)

    def stats(self):
        return {"conn": self.number, "fault": self.fault.spec, "reached": self.reached,
                "s2c": self.dirs["s2c"].read if self.dirs else 0,
                "c2s": self.dirs["c2s"].read if self.dirs else 0,
                "open": not self.closed.is_set()}


class Proxy:
    def __init__(self, args):
        host, _, port = args.target.rpartition(":")
        self.target = (host, int(port))
        self.delay = args.delay
        self.gap = args.gap
        self.lock = threading.Lock()
        self.connections = []
        self.next_fault = Fault(args.fault) if args.fault else None
        self.all_fault = Fault(args.fault) if args.fault and args.all else None
        self.recfile = open(args.record, "a", buffering=1) if args.record else None
        self.record_data = args.record_data
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", args.listen))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]

    def fault_for_new(self):
        with self.lock:
            if self.all_fault:
                return self.all_fault
            f, self.next_fault = self.next_fault, None
            return f or Fault("pass")

    def serve(self):
        number = 0
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            number += 1
            conn = Connection(self, number, client, self.fault_for_new())
            with self.lock:
                self.connections.append(conn)
            conn.run()

    def record(self, number, direction, offset, chunk, t):
        if not self.recfile:
            return
        entry = {"conn": number, "dir": direction, "off": offset, "len": len(chunk), "t": round(t, 6)}
        if self.record_data:
            entry["hex"] = chunk.hex()
        with self.lock:
            self.recfile.write(json.dumps(entry) + "\n")

    def finished(self, conn):
        pass

    def control(self):
        for line in sys.stdin:
            words = line.strip().split(None, 1)
            if not words:
                continue
            cmd, arg = words[0], (words[1] if len(words) > 1 else "")
            try:
                if cmd == "arm":
                    with self.lock:
                        self.next_fault, self.all_fault = Fault(arg), None
                    answer = "ok"
                elif cmd == "armall":
                    with self.lock:
                        self.all_fault, self.next_fault = Fault(arg), None
                    answer = "ok"
                elif cmd == "disarm":
                    with self.lock:
                        self.all_fault = self.next_fault = None
                    answer = "ok"
                elif cmd == "delay":
                    self.delay = float(arg)
                    answer = "ok"
                elif cmd == "stats":
                    with self.lock:
                        answer = json.dumps([c.stats() for c in self.connections])
                elif cmd == "reset":
                    with self.lock:
                        self.connections = [c for c in self.connections if not c.closed.is_set()]
                    answer = "ok"
                elif cmd == "quit":
                    print("ok", flush=True)
                    return
                else:
                    answer = f"error unknown command {cmd}"
            except ValueError as e:
                answer = f"error {e}"
            print(answer, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", type=int, default=0, help="loopback port (0: any; the port is printed)")
    p.add_argument("--target", required=True, help="HOST:PORT of the real server (loopback)")
    p.add_argument("--fault", help="fault SPEC for the first connection (with --all: every connection)")
    p.add_argument("--all", action="store_true", help="apply --fault to every connection")
    p.add_argument("--delay", type=float, default=0.0, help="latency added to every chunk, seconds")
    p.add_argument("--gap", type=float, default=0.001, help="pause between trickled bytes, seconds")
    p.add_argument("--record", help="append one JSON line per forwarded chunk to FILE")
    p.add_argument("--record-data", action="store_true", help="include the bytes (hex) in --record")
    p.add_argument("--control", action="store_true", help="read control commands on stdin")
    args = p.parse_args()
    host = args.target.rpartition(":")[0]
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("faultproxy: the target must be on loopback")
    try:
        Fault(args.fault)
    except ValueError as e:
        sys.exit(f"faultproxy: {e}")
    proxy = Proxy(args)
    # The first line tells the caller where to connect, and that it may.
    print(f"listening {proxy.port}", flush=True)
    threading.Thread(target=proxy.serve, daemon=True).start()
    if args.control:
        proxy.control()
    else:
        threading.Event().wait()


if __name__ == "__main__":
    main()
