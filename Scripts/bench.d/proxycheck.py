#!/usr/bin/env python3
"""Checks that faultproxy.py adds latency the way a link does, before anything is measured through it.

    proxycheck.py PROXYPORT ECHOPORT DELAY

Starts a loopback echo server on ECHOPORT, a faultproxy on PROXYPORT in front of it with DELAY
seconds each way (set through --control's `delay`, as the bench does), then:
  ping   10 one-byte round trips: each should take 2 x DELAY
  burst  40 chunks sent 2 ms apart without waiting: each echo should come back 2 x DELAY after its
         own send. If the proxy serialised chunks behind each other's delay, the lag would grow
         with every chunk (40 x 20 ms), and pipelining would be measured as if it did not exist.
Prints one JSON line: {"rtt_ms", "burst_lag_ms_first", "_last", "_median", "_max", "ok"}.
"""
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

PROXY = Path(__file__).resolve().parents[1] / "chaos.d" / "faultproxy.py"


def echo_server(port, ready):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4)
    ready.set()
    srv.settimeout(30)
    try:
        conn, _ = srv.accept()
    except OSError:
        return
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)


def main():
    pport, eport, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    ready = threading.Event()
    threading.Thread(target=echo_server, args=(eport, ready), daemon=True).start()
    ready.wait(5)
    proxy = subprocess.Popen([sys.executable, str(PROXY), "--listen", str(pport), "--target", f"127.0.0.1:{eport}",
                              "--control"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        proxy.stdout.readline()  # "listening PORT"
        proxy.stdin.write(f"delay {delay}\n")
        proxy.stdin.flush()
        assert proxy.stdout.readline().strip() == "ok"
        s = socket.create_connection(("127.0.0.1", pport), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rtts = []
        for _ in range(10):
            t = time.monotonic()
            s.sendall(b"x")
            s.recv(1)
            rtts.append(time.monotonic() - t)
        # Burst: chunk k is "<k>;" sent at sent[k]; the reader stamps when each comes back.
        count, sent, back = 40, {}, {}

        def reader():
            buf = b""
            while len(back) < count:
                data = s.recv(65536)
                if not data:
                    return
                buf += data
                now = time.monotonic()
                while b";" in buf:
                    k, _, buf = buf.partition(b";")
                    back[int(k)] = now
        r = threading.Thread(target=reader)
        r.start()
        for k in range(count):
            sent[k] = time.monotonic()
            s.sendall(f"{k};".encode())
            time.sleep(0.002)
        r.join(10)
        s.close()
        lags = [(back[k] - sent[k]) * 1000 for k in range(count) if k in back]
        rtt = statistics.median(rtts) * 1000
        # Allowed: scheduling noise on a busy machine (a late thread now and then), not growth: 40 chunks
        # serialised behind each other's delay would put the last one about 800 ms late.
        d2 = 2 * delay * 1000
        ok = (len(lags) == count and statistics.median(lags) < d2 + 10 and max(lags) < d2 + 60
              and rtt < d2 + 10)
        print(json.dumps({"rtt_ms": round(rtt, 2), "burst_lag_ms_first": round(lags[0], 2) if lags else None,
                          "burst_lag_ms_last": round(lags[-1], 2) if lags else None,
                          "burst_lag_ms_median": round(statistics.median(lags), 2) if lags else None,
                          "burst_lag_ms_max": round(max(lags), 2) if lags else None, "ok": ok}))
    finally:
        try:
            proxy.stdin.write("quit\n")
            proxy.stdin.flush()
            proxy.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            proxy.kill()


if __name__ == "__main__":
    main()
