#!/usr/bin/env bash
# test_mkpcap.sh - builds a scenario with mkpcap and checks the capture
# with tcpdump: packet and flag counts, every checksum correct, VLAN/QinQ
# and IPv6 framing, sequence numbers that cover each message without gaps,
# 1-byte and reversed segments, the conflicting retransmission, the DNS
# datagram, timestamps, determinism, wrong checksums on request (decoy,
# offload), and that a bad scenario is refused.
# Uses build/rel/tools/mkpcap when built, else compiles it with gcc.
# Exits 0 when every check passed, 1 otherwise.
# The checks are small functions run through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_mkpcap.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export TZ=UTC

. "$ROOT/tests/tools/check.sh"
finish() {
	echo "$pass passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

if ! command -v tcpdump >/dev/null; then
	echo "tcpdump is not installed"
	exit 1
fi

MKPCAP=$ROOT/build/rel/tools/mkpcap
if [ ! -x "$MKPCAP" ]; then
	MKPCAP=$TMP/mkpcap
	gcc -std=gnu11 -D_GNU_SOURCE -O1 -I"$ROOT/tests/tools/lib" "$ROOT/tests/tools/mkpcap.c" \
		"$ROOT"/tests/tools/lib/*.c -lpcap -o "$MKPCAP" || { echo "cannot build mkpcap"; exit 1; }
fi

printf '\x16\x03\x01\x00\x02\x01\x00' >"$TMP/blob.bin"
cat >"$TMP/t.scn" <<'EOF'
# Scenario of the mkpcap self-test.
capture t.pcap
time 2026-11-29T10:00:00Z
conn client 192.0.2.10:40001 server 198.51.100.25:25 vlan 100 isn 1000 5000
S: 220 mx.example.test ESMTP\r\n
C: EHLO client.example.test\r\n
option segment 1
S: 250-mx.example.test\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n
option segment 4
option order reverse
C: MAIL FROM:<a@b>\r\n
option segment default
option retransmit-diff 3 "Q"
C: RCPT TO:<x@y>\r\n
C: hex 16 03 01 00 05 01 00 00 01 00
C: file blob.bin
wait 0.5
close fin
conn client [2001:db8::10]:40002 server [2001:db8::25]:25 vlan 10 vlan2 20 name six
S: text 220 six\r\n
option order 1,0,2
option segment 2
C: "EHLO\r"
close rst server
udp 192.0.2.53:53 192.0.2.10:5353 hex 1234 8180 0001 0001 0000 0000 076578616d706c65 0474657374 00 0001 0001 c00c 0001 0001 00000e10 0004 c0000201
EOF

check "mkpcap builds the scenario" "$MKPCAP" "$TMP/t.scn"
[ -s "$TMP/t.pcap" ] || { echo "no capture written"; failed=$((failed + 1)); finish; }
rebuilt_same() { "$MKPCAP" "$TMP/t.scn" "$TMP/t2.pcap" && cmp -s "$TMP/t2.pcap" "$TMP/t.pcap"; }
check "same scenario gives identical bytes" rebuilt_same

tcpdump -nn -vv -S -r "$TMP/t.pcap" >"$TMP/vv.txt" 2>/dev/null
tcpdump -nn -e -r "$TMP/t.pcap" >"$TMP/e.txt" 2>/dev/null
tcpdump -nn -tttt -r "$TMP/t.pcap" >"$TMP/t.txt" 2>/dev/null

# Packets: conn 1: handshake 3, banner 2, EHLO 2, 49+1 for the 1-byte reply, MAIL 5+1,
# RCPT 1+1+1, hex 2, file 2, FIN 3 = 73;
# conn six: handshake 3, banner 2, EHLO 3+1, RST 1 = 10; 1 UDP: 84.
count() { grep -c -- "$1" "$2"; }
npk=$(grep -c '^[0-9]' "$TMP/vv.txt")
check "84 packets (got $npk)" [ "$npk" -eq 84 ]
ok=$(grep -c -e 'cksum 0x[0-9a-f]* (correct)' -e 'udp sum ok' "$TMP/vv.txt")
check "every TCP/UDP checksum correct ($ok of $npk)" [ "$ok" -eq "$npk" ]
no_bad_cksum() { ! grep -q -i -e "incorrect" -e "bad cksum" -e "bad udp" "$TMP/vv.txt"; }
check "no bad IP or L4 checksum" no_bad_cksum
check "2 SYN" [ "$(count 'Flags \[S\]' "$TMP/vv.txt")" -eq 2 ]
check "2 SYN-ACK" [ "$(count 'Flags \[S\.\]' "$TMP/vv.txt")" -eq 2 ]
check "2 FIN" [ "$(count 'Flags \[F\.\]' "$TMP/vv.txt")" -eq 2 ]
check "1 RST" [ "$(count 'Flags \[R\.\]' "$TMP/vv.txt")" -eq 1 ]
check "73 packets tagged VLAN 100" [ "$(count "vlan 100, p 0, ethertype IPv4" "$TMP/e.txt")" -eq 73 ]
check "10 QinQ packets (88a8 outer 10, inner 20)" \
	[ "$(grep -c '802.1Q-QinQ (0x88a8).*vlan 10, p 0, ethertype 802.1Q (0x8100), vlan 20, p 0, ethertype IPv6' "$TMP/e.txt")" -eq 10 ]
check "10 IPv6 packets" [ "$(count ' IP6 ' "$TMP/vv.txt")" -eq 10 ]
check "DNS answer decodes" grep -q 'q: A? example.test. 1/0/0 example.test. A 192.0.2.1' "$TMP/vv.txt"
first_time() { head -n 1 "$TMP/t.txt" | grep -q "^2026-11-29 10:00:00.000000 "; }
check "first packet at 2026-11-29 10:00:00.000000" first_time
check "FIN half a second later" grep -q '^2026-11-29 10:00:00.5[0-9]* .*Flags \[F\.\]' "$TMP/t.txt"

# Sequence coverage: client data of conn 1 spans 1001..end without gaps, and
# the server's last ACK of data acknowledges exactly its end.
coverage() { # coverage SRC DST FIRST
	grep -- "$1 > $2: Flags \[[P.]*\], .*seq [0-9]*:[0-9]*" "$TMP/vv.txt" |
		sed 's/.*seq \([0-9]*\):\([0-9]*\),.*/\1 \2/' | sort -n |
		awk -v first="$3" 'BEGIN { cur = first } { if ($1 > cur) gap = 1; if ($2 > cur) cur = $2 }
			END { if (gap) print "gap"; else print cur }'
}
cend=$(coverage 192.0.2.10.40001 198.51.100.25.25 1001)
sack=$(grep '198.51.100.25.25 > 192.0.2.10.40001: Flags \[\.\], .*ack [0-9]*, win [0-9]*, length 0' \
	"$TMP/vv.txt" | tail -1 | sed 's/.*ack \([0-9]*\),.*/\1/')
# 26 EHLO + 17 MAIL + 15 RCPT + 10 hex + 7 file = 75 bytes.
check "client stream 1001..1076 without gaps (got $cend)" [ "$cend" = 1076 ]
check "server ACKs the client's stream end ($sack)" [ "$sack" = 1076 ]
send=$(coverage 198.51.100.25.25 192.0.2.10.40001 5001)
check "server stream 5001..5077 without gaps (got $send)" [ "$send" = 5077 ]
check "49 one-byte server segments" \
	[ "$(grep -c '198.51.100.25.25 > 192.0.2.10.40001: .*length 1: SMTP' "$TMP/vv.txt")" -eq 49 ]
rev=$(grep '192.0.2.10.40001 > 198.51.100.25.25: .* length 4: ' "$TMP/vv.txt" |
	sed 's/.*seq \([0-9]*\):.*/\1/' | tr '\n' ' ')
check "MAIL segments in reverse order ($rev)" [ "$rev" = "1039 1035 1031 1027 " ]
check "retransmission of byte 3 of RCPT with other content" \
	grep -A1 -q 'seq 1047:1048, .*length 1: SMTP' "$TMP/vv.txt"
rtx_is_q() { grep -A1 "seq 1047:1048, " "$TMP/vv.txt" | grep -q "^	Q"; }
check "retransmitted byte is Q" rtx_is_q
perm=$(grep '2001:db8::10.40002 > 2001:db8::25.25: .*length [12]' "$TMP/vv.txt" |
	sed 's/.*seq \([0-9]*\):.*/\1/' | tr '\n' ' ')
check "IPv6 segments in the order 1,0,2 ($perm)" [ "$perm" = "455818646 455818644 455818648 " ]

# Wrong checksums on request: a decoy before a message (same sequence
# numbers, wrong TCP checksum), and offload (every packet of one side wrong).
cat >"$TMP/k.scn" <<'EOF2'
capture k.pcap
conn client 192.0.2.10:40009 server 198.51.100.25:25
S: 220 a\r\n
option decoy "250 decoy\r\n"
S: 250 real\r\n
option offload client
C: QUIT\r\n
udp 192.0.2.10:5353 192.0.2.53:53 hex 00 01
option offload off
close fin
EOF2
check "mkpcap builds the checksum scenario" "$MKPCAP" "$TMP/k.scn"
tcpdump -nn -vv -S -r "$TMP/k.pcap" >"$TMP/k.txt" 2>/dev/null
decoy_bad() { grep -A1 'incorrect' "$TMP/k.txt" | grep -q '250 decoy'; }
check "the decoy carries a wrong TCP checksum" decoy_bad
real_seq() { # the decoy and the real reply start at the same sequence number
	[ "$(grep '198.51.100.25.25 > 192.0.2.10.40009: Flags \[P.\]' "$TMP/k.txt" |
		sed -n 's/.*seq \([0-9]*\):.*/\1/p' | sort -u | wc -l)" -eq 2 ]
}
check "decoy at the real reply's sequence numbers" real_seq
check "offloaded client QUIT and datagram wrong (3 incorrect in all)" \
	[ "$(grep -c -i -e 'incorrect' -e 'bad udp cksum' "$TMP/k.txt")" -eq 3 ]

# A bad scenario is refused with its line number and leaves no file.
printf 'capture bad.pcap\nconn client 192.0.2.1:1 server 192.0.2.2:2\nC: ok\nbogus 1\n' >"$TMP/bad.scn"
"$MKPCAP" "$TMP/bad.scn" 2>"$TMP/bad.err"
rc=$?
check "bad scenario exits non-zero" [ "$rc" -ne 0 ]
check "error names line 4" grep -q 'bad.scn:4: unknown directive' "$TMP/bad.err"
check "no partial capture left" [ ! -e "$TMP/bad.pcap" ]
printf 'capture bad.pcap\nconn client 192.0.2.1:1 server 192.0.2.2:2\noption order 1,1\nC: ab\n' >"$TMP/bad2.scn"
refused() { ! "$MKPCAP" "$1" 2>/dev/null; }
check "segment order that is no permutation is refused" refused "$TMP/bad2.scn"
printf 'capture bad.pcap\nconn client 192.0.2.1:1 server 192.0.2.2:2\nC: a\\qb\n' >"$TMP/bad3.scn"
check "unknown escape is refused" refused "$TMP/bad3.scn"

finish
