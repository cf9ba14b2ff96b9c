#!/usr/bin/env python3
"""redis_sub.py SOCKET CHANNEL OUT [PASSWORD]: subscribes to CHANNEL on the
Redis unix socket SOCKET (RESP spoken by hand, no client library), writes
"ready" to OUT.ready once subscribed, then every message received to OUT,
one per line, until it is terminated."""
import socket
import sys


def read_line(f):
    line = f.readline()
    if not line:
        sys.exit(0)
    return line.rstrip(b"\r\n")


def read_reply(f):
    line = read_line(f)
    kind, rest = line[:1], line[1:]
    if kind == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"-":
        raise SystemExit("redis error: " + rest.decode())
    return rest


def command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def main():
    path, channel, out = sys.argv[1], sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rb")
    if len(sys.argv) > 4:
        s.sendall(command("AUTH", sys.argv[4]))
        read_reply(f)
    s.sendall(command("SUBSCRIBE", channel))
    read_reply(f)
    with open(out + ".ready", "w") as r:
        r.write("ready\n")
    with open(out, "wb") as o:
        while True:
            msg = read_reply(f)
            if isinstance(msg, list) and msg[0] == b"message":
                o.write(msg[2] + b"\n")
                o.flush()


main()
