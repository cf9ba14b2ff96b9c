#!/usr/bin/env python3
"""live_send.py IFACE RATE ROUNDS PCAP...: sends the Ethernet frames of the
classic pcaps PCAP... out of IFACE (AF_PACKET, needs root) at a steady RATE
frames a second, ROUNDS times over, all files one after the other in each
round. In every round each TCP/UDP conversation gets a client port of its
own (the port that is not 25, 465, 587 or 53; checksum updated as RFC 1624
says), so every round's sessions are new flows to the sensor that captures
them. Prints the number of frames sent (the replay of our own the live
Redis test uses instead of tcpreplay)."""
import socket
import struct
import sys
import time

SERVER_PORTS = {25, 53, 465, 587}


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    end = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}.get(data[:4])
    if end is None or struct.unpack(end + "I", data[20:24])[0] != 1:
        sys.exit("not a classic Ethernet pcap: " + path)
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def l4_offset(frame):
    """(offset of the TCP/UDP header, protocol) or None."""
    off, etype = 14, struct.unpack("!H", frame[12:14])[0]
    while etype == 0x8100 and len(frame) >= off + 4:
        etype = struct.unpack("!H", frame[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800 and len(frame) >= off + 20:
        if struct.unpack("!H", frame[off + 6:off + 8])[0] & 0x3FFF:
            return None
        return off + (frame[off] & 0x0F) * 4, frame[off + 9]
    if etype == 0x86DD and len(frame) >= off + 40:
        return off + 40, frame[off + 6]
    return None


def csum_replace(csum, old, new):
    """RFC 1624 eqn. 3: the checksum after one 16-bit word changed."""
    s = (~csum & 0xFFFF) + (~old & 0xFFFF) + new
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def rewrite(frame, ports):
    """frame with its client port replaced by ports[(orig port)], assigned
    on first sight from the running counter ports['next']."""
    where = l4_offset(frame)
    if where is None or where[1] not in (6, 17):
        return frame
    off, proto = where
    if len(frame) < off + 8:
        return frame
    sport, dport = struct.unpack("!HH", frame[off:off + 4])
    pos, old = (off + 2, dport) if sport in SERVER_PORTS else (off, sport)
    if old not in ports:
        ports[old] = 20000 + ports["next"] % 40000
        ports["next"] += 1
    new = ports[old]
    cpos = off + (16 if proto == 6 else 6)
    b = bytearray(frame)
    b[pos:pos + 2] = struct.pack("!H", new)
    if len(b) >= cpos + 2:
        csum = struct.unpack("!H", b[cpos:cpos + 2])[0]
        if proto == 6 or csum != 0:
            csum = csum_replace(csum, old, new)
            if proto == 17 and csum == 0:
                csum = 0xFFFF
            b[cpos:cpos + 2] = struct.pack("!H", csum)
    return bytes(b)


def main():
    iface, rate, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    files = [read_pcap(p) for p in sys.argv[4:]]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    counter = {"next": 0}
    sent, start = 0, time.monotonic()
    for _ in range(rounds):
        for frames in files:
            ports = {"next": counter["next"]}
            for frame in frames:
                out = rewrite(frame, ports)
                due = start + sent / rate
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)
                s.send(out)
                sent += 1
            counter["next"] = ports["next"]
    print(sent)


if __name__ == "__main__":
    main()
