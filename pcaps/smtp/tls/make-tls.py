#!/usr/bin/python3
"""make-tls.py - writes the TLS bytes the SMTP scenarios in pcaps/smtp/ send.

Real TLS, made by OpenSSL (through Python's ssl module): a client and a
server context talk to each other through memory BIOs, and every flight one
side writes is saved as NAME-NN-c.bin (client to server) or NAME-NN-s.bin
(server to client), NN counting the flights of one exchange from 01. No
socket and no capture is needed, and the flight boundaries are exact.

The server uses mx.example.test.crt / mx.example.test.key (self-signed,
EC P-256, made once with openssl req, see ../README.md); the client sends
SNI mx.example.test and does not verify (like an opportunistic MTA).

Exchanges (the names the scenarios use):
  tls12    TLS 1.2 handshake (certificate visible), then an SMTP dialogue
           inside the tunnel (EHLO, MAIL, RCPT, DATA, body, QUIT), close_notify
  tls13    the same with TLS 1.3 (certificate encrypted)
  auth13   TLS 1.3, inside it EHLO, AUTH PLAIN, MAIL ... QUIT (submission, 587)
  refuse   a TLS 1.2-only client against a TLS 1.3-only server: ClientHello,
           then the server's fatal protocol_version alert (in clear)
  cap12    a client offering TLS 1.3 (and 1.2) against a server limited to
           TLS 1.2: the ServerHello says 1.2 without the downgrade sentinel
           (the server, as configured, cannot do 1.3); then as tls12

Usage: make-tls.py [OUTDIR [NAME ...]]   (default: the directory of this
script, every exchange; NAMEs remake only those exchanges)
Every run makes new randoms and keys, so every .bin it writes changes; the
captures made from them change too (run ../regenerate.sh afterwards).
"""
import os
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CERT = os.path.join(HERE, "mx.example.test.crt")
KEY = os.path.join(HERE, "mx.example.test.key")
SNI = "mx.example.test"

# The SMTP dialogue inside the tunnel: (sender, bytes); "c" client, "s" server.
INNER_MAIL = [
    ("c", b"EHLO client.example.test\r\n"),
    ("s", b"250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
          b"250-8BITMIME\r\n250 CHUNKING\r\n"),
    ("c", b"MAIL FROM:<alice@client.example.test>\r\n"
          b"RCPT TO:<bob@example.test>\r\nDATA\r\n"),
    ("s", b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
    ("c", b"Subject: inside TLS\r\n\r\nThis message went over TLS.\r\n.\r\n"),
    ("s", b"250 2.0.0 Ok: queued as 4Xq1\r\n"),
    ("c", b"QUIT\r\n"),
    ("s", b"221 2.0.0 Bye\r\n"),
]

INNER_AUTH = [
    ("c", b"EHLO laptop.client.example.test\r\n"),
    ("s", b"250-mx.example.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
          b"250-8BITMIME\r\n250 SMTPUTF8\r\n"),
    ("c", b"AUTH PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2U=\r\n"),
    ("s", b"235 2.7.0 Authentication successful\r\n"),
    ("c", b"MAIL FROM:<alice@example.test>\r\nRCPT TO:<carol@elsewhere.test>\r\nDATA\r\n"),
    ("s", b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
    ("c", b"Subject: submitted\r\n\r\nSent after AUTH, all inside TLS.\r\n.\r\n"),
    ("s", b"250 2.0.0 Ok: queued as 7Hb2\r\n"),
    ("c", b"QUIT\r\n"),
    ("s", b"221 2.0.0 Bye\r\n"),
]


def contexts(client_max, server_min, server_max):
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(CERT, KEY)
    sctx.minimum_version = server_min
    sctx.maximum_version = server_max
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.maximum_version = client_max
    return cctx, sctx


class Pair:
    """A client and a server SSLObject joined by memory BIOs."""

    def __init__(self, cctx, sctx):
        self.c_in, self.c_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.s_in, self.s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.c = cctx.wrap_bio(self.c_in, self.c_out, server_side=False, server_hostname=SNI)
        self.s = sctx.wrap_bio(self.s_in, self.s_out, server_side=True)
        self.flights = []

    def flush(self, side):
        """Moves what side wrote to the peer and records it as one flight."""
        out, peer_in = (self.c_out, self.s_in) if side == "c" else (self.s_out, self.c_in)
        data = out.read()
        if data:
            self.flights.append((side, data))
            peer_in.write(data)
        return len(data)

    @staticmethod
    def step(obj):
        try:
            obj.do_handshake()
            return True
        except ssl.SSLWantReadError:
            return False

    def handshake(self):
        c_done = s_done = False
        for _ in range(10):
            c_done = self.step(self.c) or c_done
            self.flush("c")
            s_done = self.step(self.s) or s_done
            self.flush("s")
            if c_done and s_done:
                break
        if not (c_done and s_done):
            raise RuntimeError("handshake did not finish")

    def drain(self, obj):
        got = b""
        while True:
            try:
                chunk = obj.read(65536)
            except ssl.SSLWantReadError:
                return got
            if not chunk:
                return got
            got += chunk

    def dialogue(self, steps):
        for who, data in steps:
            sender, receiver = (self.c, self.s) if who == "c" else (self.s, self.c)
            sender.write(data)
            self.flush(who)
            got = self.drain(receiver)
            # the client reads the server's post-handshake tickets here too
            self.flush("c" if who == "s" else "s")
            if got != data:
                raise RuntimeError("tunnel lost bytes")

    def close(self):
        try:
            self.c.unwrap()
        except ssl.SSLWantReadError:
            pass
        self.flush("c")
        try:
            self.s.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
        self.flush("s")


def refused(cctx, sctx):
    p = Pair(cctx, sctx)
    try:
        p.c.do_handshake()
    except ssl.SSLWantReadError:
        pass
    p.flush("c")
    try:
        p.s.do_handshake()
        raise RuntimeError("server accepted a version it should refuse")
    except ssl.SSLError:
        pass
    p.flush("s")
    return p.flights


def full(cctx, sctx, inner):
    p = Pair(cctx, sctx)
    p.handshake()
    p.dialogue(inner)
    p.close()
    return p.flights


def merge(flights):
    """Joins consecutive flights of the same side (one TCP message each)."""
    out = []
    for side, data in flights:
        if out and out[-1][0] == side:
            out[-1] = (side, out[-1][1] + data)
        else:
            out.append((side, data))
    return out


def write(outdir, name, flights):
    for old in os.listdir(outdir):
        if old.startswith(name + "-") and old.endswith(".bin"):
            os.unlink(os.path.join(outdir, old))
    for i, (side, data) in enumerate(merge(flights), 1):
        path = os.path.join(outdir, "%s-%02d-%s.bin" % (name, i, side))
        with open(path, "wb") as f:
            f.write(data)
        print("%-20s %5d bytes" % (os.path.basename(path), len(data)))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else HERE
    only = set(sys.argv[2:])
    v12, v13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
    exchanges = [
        ("tls12", lambda: full(*contexts(v12, v12, v13), INNER_MAIL)),
        ("tls13", lambda: full(*contexts(v13, v12, v13), INNER_MAIL)),
        ("auth13", lambda: full(*contexts(v13, v12, v13), INNER_AUTH)),
        ("refuse", lambda: refused(*contexts(v12, v13, v13))),
        ("cap12", lambda: full(*contexts(v13, v12, v12), INNER_MAIL)),
    ]
    unknown = only - {name for name, _ in exchanges}
    if unknown:
        sys.exit("make-tls.py: no exchange %s" % ", ".join(sorted(unknown)))
    for name, make in exchanges:
        if not only or name in only:
            write(outdir, name, make())


if __name__ == "__main__":
    main()
