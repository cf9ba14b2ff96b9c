#!/usr/bin/python3
"""pcapcut.py - cuts a classic pcap file at its SMTP session boundaries.

A boundary is the first packet (a SYN toward port 25, 465 or 587) of an
SMTP session that starts while no other SMTP session is open: cutting
there splits no SMTP dialogue, so the pieces read one after the other
must judge as the whole does. A session is open from its first packet
until a RST, or until both sides sent FIN. With --dns, a DNS query over
UDP is a boundary too when no SMTP session is open and every earlier
query has had its response (so no query is parted from its answer).

  pcapcut.py [--dns] boundaries FILE    prints the packet indexes of the boundaries
  pcapcut.py [--dns] cut FILE OUTDIR    writes OUTDIR/NAME.partN.pcap, one per piece,
                                        and prints their paths in order

Link types: Ethernet (with 802.1Q/QinQ), Linux SLL, raw IP, BSD loopback.
"""
import os
import struct
import sys

SMTP_PORTS = {25, 465, 587}


def read_pcap(path):
    """(global header bytes, endian, linktype, [(record header, data)])."""
    with open(path, "rb") as f:
        raw = f.read()
    magic = raw[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    linktype = struct.unpack(endian + "I", raw[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(raw):
        incl = struct.unpack(endian + "I", raw[off + 8:off + 12])[0]
        recs.append((raw[off:off + 16], raw[off + 16:off + 16 + incl]))
        off += 16 + incl
    return raw[:24], endian, linktype, recs


def ip_payload(linktype, data):
    """(ip version, ip packet bytes) or None."""
    if linktype == 1:  # Ethernet
        off, etype = 14, struct.unpack(">H", data[12:14])[0] if len(data) >= 14 else 0
        while etype in (0x8100, 0x88a8) and len(data) >= off + 4:
            etype = struct.unpack(">H", data[off + 2:off + 4])[0]
            off += 4
    elif linktype == 113:  # Linux SLL
        off, etype = 16, struct.unpack(">H", data[14:16])[0] if len(data) >= 16 else 0
    elif linktype in (101, 12, 14):  # raw IP
        off = 0
        etype = 0x0800 if data and data[0] >> 4 == 4 else 0x86dd
    elif linktype == 0:  # BSD loopback
        off = 4
        etype = 0x0800 if len(data) > 4 and data[4] >> 4 == 4 else 0x86dd
    else:
        return None
    if etype == 0x0800:
        return 4, data[off:]
    if etype == 0x86dd:
        return 6, data[off:]
    return None


def tcp_of(linktype, data):
    """(src, sport, dst, dport, flags) of a TCP packet, or None."""
    p = ip_payload(linktype, data)
    if p is None:
        return None
    ver, ip = p
    if ver == 4:
        if len(ip) < 20 or ip[9] != 6:
            return None
        hl = (ip[0] & 15) * 4
        frag = struct.unpack(">H", ip[6:8])[0] & 0x1fff
        if frag:
            return None
        src, dst, tcp = ip[12:16], ip[16:20], ip[hl:]
    else:
        if len(ip) < 40 or ip[6] != 6:  # extension headers: not in our captures
            return None
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:]
    if len(tcp) < 14:
        return None
    sport, dport = struct.unpack(">HH", tcp[:4])
    return src, sport, dst, dport, tcp[13]


def dns_of(linktype, data):
    """(client, client port, id, is_query) of a DNS message over UDP, or None."""
    p = ip_payload(linktype, data)
    if p is None:
        return None
    ver, ip = p
    if ver == 4:
        if len(ip) < 20 or ip[9] != 17 or struct.unpack(">H", ip[6:8])[0] & 0x1fff:
            return None
        src, dst, udp = ip[12:16], ip[16:20], ip[(ip[0] & 15) * 4:]
    else:
        if len(ip) < 40 or ip[6] != 17:
            return None
        src, dst, udp = ip[8:24], ip[24:40], ip[40:]
    if len(udp) < 8 + 12:
        return None
    sport, dport = struct.unpack(">HH", udp[:4])
    dns_id, flags = struct.unpack(">HH", udp[8:12])
    if dport == 53 and not flags & 0x8000:
        return src, sport, dns_id, True
    if sport == 53 and flags & 0x8000:
        return dst, dport, dns_id, False
    return None


def boundaries(path, dns=False):
    _, _, linktype, recs = read_pcap(path)
    open_flows = {}  # key -> set of directions that sent FIN
    pending = set()  # DNS queries still waiting for their response
    cuts = []
    for i, (_, data) in enumerate(recs):
        t = tcp_of(linktype, data)
        if t is None:
            d = dns_of(linktype, data) if dns else None
            if d is None:
                continue
            key = d[:3]
            if d[3]:
                if not open_flows and not pending and i > 0 and (not cuts or cuts[-1] != i):
                    cuts.append(i)
                pending.add(key)
            else:
                pending.discard(key)
            continue
        src, sport, dst, dport, flags = t
        if sport not in SMTP_PORTS and dport not in SMTP_PORTS:
            continue
        a, b = (src, sport), (dst, dport)
        key = (min(a, b), max(a, b))
        syn_only = flags & 0x02 and not flags & 0x10
        if key not in open_flows:
            if syn_only and dport in SMTP_PORTS and not open_flows and i > 0:
                cuts.append(i)
            open_flows[key] = set()
        if flags & 0x04:  # RST
            open_flows.pop(key, None)
        elif flags & 0x01:  # FIN
            open_flows[key].add(a)
            if len(open_flows[key]) == 2:
                del open_flows[key]
    return cuts


def cut(path, outdir, dns=False):
    head, _, _, recs = read_pcap(path)
    cuts = boundaries(path, dns)
    edges = [0] + cuts + [len(recs)]
    name = os.path.basename(path).rsplit(".", 1)[0]
    out = []
    for n in range(len(edges) - 1):
        p = os.path.join(outdir, "%s.part%d.pcap" % (name, n + 1))
        with open(p, "wb") as f:
            f.write(head)
            for rh, data in recs[edges[n]:edges[n + 1]]:
                f.write(rh)
                f.write(data)
        out.append(p)
    return out


def main(argv):
    dns = len(argv) > 1 and argv[1] == "--dns"
    if dns:
        argv = argv[:1] + argv[2:]
    if len(argv) == 3 and argv[1] == "boundaries":
        print(" ".join(str(i) for i in boundaries(argv[2], dns)))
        return 0
    if len(argv) == 4 and argv[1] == "cut":
        for p in cut(argv[2], argv[3], dns):
            print(p)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
