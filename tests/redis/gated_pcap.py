#!/usr/bin/env python3
"""gated_pcap.py FLAG PCAP: writes the classic pcap PCAP (Ethernet) to
stdout behind 1 MiB of filler (UDP from 192.0.2.1 to the discard port of
198.51.100.1, stamped one second before PCAP's first packet), and PCAP's
own packets only once the file FLAG exists: the reader has taken in
packets before the test lets the traffic go on. Once the filler is
written (the pipe holds 64 KiB, the sensor reads ahead 256 KiB of
compressed-or-not input: it has read and handled filler packets by then)
it creates FLAG.filled."""
import os
import struct
import sys
import time


def checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF


def filler(ts, n):
    payload = b"\0" * 1400
    udp = struct.pack("!HHHH", 9, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n, 0, 64, 17, 0,
                     bytes([192, 0, 2, 1]), bytes([198, 51, 100, 1]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    frame = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + udp
    return struct.pack("<IIII", ts, n, len(frame), len(frame)) + frame


flag, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
if data[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", data[20:24])[0] != 1:
    sys.exit("expected a little-endian Ethernet pcap: " + path)
first_ts = struct.unpack("<I", data[24:28])[0]
out = sys.stdout.buffer
out.write(data[:24])
for i in range(750):
    out.write(filler(first_ts - 1, i))
out.flush()
open(flag + ".filled", "w").close()
while not os.path.exists(flag):
    time.sleep(0.02)
out.write(data[24:])
out.flush()
