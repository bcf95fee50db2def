#!/usr/bin/env python3
"""Generate the benchmark messages (never committed): generate.py DIR
DIR/set/     10,000 messages: plain, alternative, mixed with small attachments, 1 in 100 with a 1-3 MB
             base64 attachment, a few bounces (deterministic, seeded).
DIR/large/   8 messages, each one 16 MB base64 attachment (the MB/s measurement).
DIR/huge/    one 50 MB message (a base64 attachment) for the memory measurement."""
import base64, os, random, sys

out = sys.argv[1]
rng = random.Random(20261126)
words = ("order invoice quotation delivery stock partner shipment payment reminder meeting thanks regards "
         "please confirm attached the for your of and to in we will be is").split()

def para(n):
    return " ".join(rng.choice(words) for _ in range(n))

def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))

def headers(i, ctype):
    return (f"From: \"Sender {i}\" <sender{i}@example.com>\r\nTo: sales@shop.example, \"Ann\" <ann@example.org>\r\n"
            f"Cc: cc{i % 7}@example.net\r\nSubject: =?utf-8?q?Re=3A_Order_{i}_=E2=80=93_caf=C3=A9?=\r\n"
            f"Date: Thu, 26 Nov 2026 08:{i % 60:02d}:00 +0100\r\nMessage-ID: <{i}.bench@example.com>\r\n"
            f"References: <{i - 1}.bench@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\n")

def message(i):
    kind = i % 10
    text = "\r\n".join(para(12) for _ in range(rng.randint(3, 40)))
    html = "<html><body>" + "".join(f"<p>{para(12)} <a href=\"https://example.com/{k}\">link</a></p>" for k in range(rng.randint(3, 30))) + "</body></html>"
    if kind <= 2:
        return headers(i, "text/plain; charset=utf-8") + "Content-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n"
    if kind <= 5:
        qp = html.replace("=", "=3D")
        return (headers(i, "multipart/alternative; boundary=\"alt\"") + "\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                + text + "\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + qp + "\r\n--alt--\r\n")
    size = rng.randint(1, 3) << 20 if i % 100 == 7 else rng.randint(2_000, 60_000)
    data = rng.randbytes(size)
    return (headers(i, "multipart/mixed; boundary=\"mix\"") + "\r\n--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text
            + "\r\n--mix\r\nContent-Type: application/pdf; name=\"doc.pdf\"\r\nContent-Disposition: attachment; filename=\"doc.pdf\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64(data) + "\r\n--mix--\r\n")

def big(i, size):
    return (headers(i, "multipart/mixed; boundary=\"big\"") + "\r\n--big\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--big\r\n"
            "Content-Type: application/octet-stream; name=\"data.bin\"\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64(rng.randbytes(size)) + "\r\n--big--\r\n")

for sub in ("set", "large", "huge"):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
if not os.path.exists(os.path.join(out, "set", "09999.eml")):
    for i in range(10_000):
        with open(os.path.join(out, "set", f"{i:05d}.eml"), "w") as f:
            f.write(message(i))
if not os.path.exists(os.path.join(out, "large", "7.eml")):
    for i in range(8):
        with open(os.path.join(out, "large", f"{i}.eml"), "w") as f:
            f.write(big(i, 12 << 20))   # 12 MB of data, ~16 MB of base64
if not os.path.exists(os.path.join(out, "huge", "50mb.eml")):
    with open(os.path.join(out, "huge", "50mb.eml"), "w") as f:
        f.write(big(0, 37_500_000))     # 50 MB of base64
