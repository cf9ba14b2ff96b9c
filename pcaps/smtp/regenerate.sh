#!/usr/bin/env bash
# regenerate.sh - rebuilds the crafted SMTP captures in pcaps/smtp/ from
# their scenarios (pcaps/smtp/scenarios/NAME.scn -> pcaps/smtp/NAME.pcap)
# with tests/tools/mkpcap. The output is deterministic: same scenarios and
# same TLS bytes give the same captures, byte for byte.
#
#   pcaps/smtp/regenerate.sh              all captures
#   pcaps/smtp/regenerate.sh NAME ...     only these scenarios
#   pcaps/smtp/regenerate.sh --tls        first remake the TLS flights in
#                                         tls/*.bin (new randoms and keys)
#   pcaps/smtp/regenerate.sh --new-cert   first remake the certificate and
#                                         its key as well (implies --tls)
#
# How the TLS bytes are made (--tls): tls/make-tls.py lets a client and a
# server SSLContext of Python's ssl module (OpenSSL 3) talk through memory
# BIOs and saves every flight as tls/NAME-NN-c.bin or -s.bin: real TLS 1.2
# and 1.3 handshakes with the server certificate tls/mx.example.test.crt,
# the encrypted SMTP dialogue that follows, and a refused handshake (a TLS
# 1.2-only ClientHello answered by a TLS 1.3-only server's fatal
# protocol_version alert). The scenarios send those files with
# `C: file ../tls/...` / `S: file ../tls/...`.
#
# --tls and --new-cert change the TLS bytes, so they change the captures
# that carry them; --new-cert also changes the certificate digests that
# some .expected files assert (smtp.tls.spki_sha256, chain_sha256, tls
# fingerprint): update those lines (tests/pcap/test_captures names them).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MKPCAP=$ROOT/build/rel/tools/mkpcap
PY=/usr/bin/python3
MAX_BYTES=10240

tls=0 cert=0
names=()
for a in "$@"; do
	case $a in
	--tls) tls=1 ;;
	--new-cert) tls=1 cert=1 ;;
	-h | --help) sed -n '2,27p' "$0"; exit 0 ;;
	-*) echo "regenerate.sh: unknown option $a" >&2; exit 2 ;;
	*) names+=("${a%.scn}") ;;
	esac
done

if [ $cert -eq 1 ]; then
	# EC P-256 keeps the certificate (and every capture) small; the serial
	# is fixed so the tls record's "serial" stays readable.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$HERE/tls/mx.example.test.key" -out "$HERE/tls/mx.example.test.crt" \
		-days 3650 -subj "/CN=mx.example.test" \
		-addext "subjectAltName=DNS:mx.example.test" -set_serial 0x2026112901
	chmod 644 "$HERE/tls/mx.example.test.key"
fi
if [ $tls -eq 1 ]; then
	"$PY" "$HERE/tls/make-tls.py" "$HERE/tls"
fi

if [ ! -x "$MKPCAP" ]; then
	make -s -C "$ROOT" build/rel/tools/mkpcap
fi

if [ ${#names[@]} -eq 0 ]; then
	for s in "$HERE"/scenarios/*.scn; do
		n=$(basename "$s" .scn)
		names+=("$n")
	done
fi

status=0
for n in "${names[@]}"; do
	scn=$HERE/scenarios/$n.scn
	out=$HERE/$n.pcap
	if [ ! -f "$scn" ]; then
		echo "regenerate.sh: no scenario $scn" >&2
		status=1
		continue
	fi
	if ! "$MKPCAP" "$scn" "$out"; then
		echo "regenerate.sh: mkpcap failed on $scn" >&2
		status=1
		continue
	fi
	size=$(stat -c %s "$out")
	if [ ! -f "$HERE/$n.expected" ]; then
		echo "regenerate.sh: warning: $n.expected is missing (the test skips $n.pcap)" >&2
	fi
	if [ "$size" -gt $MAX_BYTES ]; then
		echo "regenerate.sh: $n.pcap is $size bytes, over $MAX_BYTES" >&2
		status=1
	fi
	printf '%-34s %6d bytes\n' "$n.pcap" "$size"
done
exit $status
