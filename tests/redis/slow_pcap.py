#!/usr/bin/env python3
"""slow_pcap.py ROUNDS DELAY PCAP: writes to stdout the classic pcap PCAP
replayed ROUNDS times, each round shifted one hour later in packet time
(so its flows are new ones), sleeping DELAY seconds after each round: a
capture that arrives slowly through a pipe."""
import struct
import sys
import time


def main():
    rounds, delay, path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    with open(path, "rb") as f:
        data = f.read()
    end = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}.get(data[:4])
    if end is None:
        sys.exit("not a classic pcap: " + path)
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        pkts.append((sec, usec, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    out = sys.stdout.buffer
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144,
                          struct.unpack(end + "I", data[20:24])[0]))
    for r in range(rounds):
        for sec, usec, orig, frame in pkts:
            out.write(struct.pack("<IIII", sec + r * 3600, usec, len(frame), orig) + frame)
        out.flush()
        time.sleep(delay)


main()
