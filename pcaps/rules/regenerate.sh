#!/usr/bin/env bash
# regenerate.sh - rebuilds the captures of pcaps/rules/ (the rule knob,
# threshold, suppression and configuration captures that
# tests/pcap/test_rules_config runs) from their scenarios:
# scenarios/NAME.scn -> NAME.pcap with tests/tools/mkpcap. The DNS
# scenarios (dns-*.scn) are written first by scenarios/make-dns.py, which
# builds the DNS messages byte by byte. Deterministic: the same scenarios
# give the same captures, byte for byte.
#
#   pcaps/rules/regenerate.sh            all captures
#   pcaps/rules/regenerate.sh NAME ...   only these
#
# The TLS bytes some scenarios send are those of pcaps/smtp/tls/ (see
# pcaps/smtp/README.md); remaking them there changes these captures too.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MKPCAP=$ROOT/build/rel/tools/mkpcap
PY=/usr/bin/python3
MAX_BYTES=10240

names=()
for a in "$@"; do
	case $a in
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	-*) echo "regenerate.sh: unknown option $a" >&2; exit 2 ;;
	*) names+=("${a%.scn}") ;;
	esac
done

"$PY" "$HERE/scenarios/make-dns.py" "$HERE/scenarios"

if [ ! -x "$MKPCAP" ]; then
	make -s -C "$ROOT" build/rel/tools/mkpcap
fi

if [ ${#names[@]} -eq 0 ]; then
	for s in "$HERE"/scenarios/*.scn; do
		names+=("$(basename "$s" .scn)")
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
	if [ "$size" -gt $MAX_BYTES ]; then
		echo "regenerate.sh: $n.pcap is $size bytes, over $MAX_BYTES" >&2
		status=1
	fi
	printf '%-28s %6d bytes\n' "$n.pcap" "$size"
done
exit $status
