#!/usr/bin/python3
"""make-decoys.py - builds dane-decoys.pcap from dane-ta.pcap: a clean DANE
session (the lab's Postfix delivering to mx3 over STARTTLS, verified by
DANE-TA) with insertion decoys added, as an on-path attacker would send
them to fool a sensor (Ptacek & Newsham, 1998).

The lab captured dane-ta.pcap on the router with checksum offload on, so
every TCP/UDP checksum in it is wrong. This script first writes every
IPv4, TCP and UDP checksum right (a capture taken where offload is off),
then inserts, just before the server's EHLO reply and its STARTTLS reply,
a decoy at the same sequence numbers with a wrong TCP checksum carrying a
forged reply: the EHLO reply with STARTTLS masked as XXXXXXXA, and a 454
refusal of STARTTLS. The client's kernel drops both (the delivery went on
over TLS); a sensor that takes them as first data raises starttls-masked
and starttls-rejected on a session that was never harmed.

Usage: pcaps/lab/make-decoys.py [IN.pcap [OUT.pcap]]
(default: dane-ta.pcap -> dane-decoys.pcap beside this script).
Deterministic: the same input gives the same output.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fix(frame, corrupt=False):
    """The Ethernet/IPv4 frame with its IPv4, TCP or UDP checksums made
    right (the TCP one then made wrong when corrupt)."""
    f = bytearray(frame)
    if struct.unpack("!H", f[12:14])[0] != 0x0800:
        return bytes(f)
    o = 14
    ihl = (f[o] & 15) * 4
    f[o + 10:o + 12] = b"\0\0"
    f[o + 10:o + 12] = struct.pack("!H", csum(bytes(f[o:o + ihl])))
    tot = struct.unpack("!H", f[o + 2:o + 4])[0]
    proto = f[o + 9]
    l4 = o + ihl
    pseudo = bytes(f[o + 12:o + 20]) + struct.pack("!BBH", 0, proto, tot - ihl)
    at = {6: 16, 17: 6}.get(proto)
    if at is None:
        return bytes(f)
    f[l4 + at:l4 + at + 2] = b"\0\0"
    ck = csum(pseudo + bytes(f[l4:o + tot]))
    if proto == 17 and ck == 0:
        ck = 0xFFFF
    if corrupt:
        ck ^= 0x1234
    f[l4 + at:l4 + at + 2] = struct.pack("!H", ck)
    return bytes(f)


def with_payload(frame, payload):
    """A copy of a TCP/IPv4 frame carrying payload instead of its own."""
    f = bytearray(frame)
    o = 14
    ihl = (f[o] & 15) * 4
    thl = (f[o + ihl + 12] >> 4) * 4
    head = f[:o + ihl + thl]
    head[o + 2:o + 4] = struct.pack("!H", ihl + thl + len(payload))
    return bytes(head) + payload


def tcp_payload(frame):
    o = 14
    if struct.unpack("!H", frame[12:14])[0] != 0x0800 or frame[o + 9] != 6:
        return b""
    ihl = (frame[o] & 15) * 4
    tot = struct.unpack("!H", frame[o + 2:o + 4])[0]
    thl = (frame[o + ihl + 12] >> 4) * 4
    return frame[o + ihl + thl:o + tot]


def decoy_for(payload):
    """The forged reply sent ahead of this server reply, or None."""
    if payload.startswith(b"250-") and b"250-STARTTLS\r\n" in payload:
        return payload.replace(b"250-STARTTLS\r\n", b"250-XXXXXXXA\r\n")
    if payload.startswith(b"220 2.0.0 Ready to start TLS"):
        return b"454 4.7.0 TLS not available\r\n"
    return None


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "dane-ta.pcap")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "dane-decoys.pcap")
    data = open(src, "rb").read()
    if struct.unpack("<I", data[:4])[0] != 0xA1B2C3D4 or struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit("make-decoys.py: want a little-endian microsecond Ethernet pcap")
    out = [data[:24]]
    off, decoys = 24, 0
    while off + 16 <= len(data):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        forged = decoy_for(tcp_payload(frame))
        if forged is not None:
            d = fix(with_payload(frame, forged), corrupt=True)
            t = sec * 1000000 + usec - 1
            out.append(struct.pack("<IIII", t // 1000000, t % 1000000, len(d), len(d)) + d)
            decoys += 1
        frame = fix(frame)
        out.append(struct.pack("<IIII", sec, usec, len(frame), wirelen - caplen + len(frame)))
        out.append(frame)
    if decoys != 2:
        sys.exit("make-decoys.py: %d decoys placed, 2 expected" % decoys)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


if __name__ == "__main__":
    main()
