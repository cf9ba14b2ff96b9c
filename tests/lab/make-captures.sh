#!/usr/bin/env bash
# Runs the lab's scenarios and writes one capture per scenario into
# pcaps/lab/ (or OUTDIR), each with the alerts a correct sensor must raise
# beside it (NAME.expected, made by tests/lab/expect.sh), plus the public
# material the captures depend on (trust anchor, certificates, signed zone).
#
#   sudo tests/lab/make-captures.sh [-o OUTDIR] [SCENARIO...]
#
# Every scenario gets a fresh lab (namespaces, daemons) that is torn down
# afterwards, whatever happens. One key set and one set of certificates is
# made per run and shared by all scenarios, so one trust anchor fits every
# capture of a run. LAB_HOOK (see lab.sh) is honoured, so the same run can
# drive a live sensor on the router.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab.sh"
. "$here/scenarios.sh"

out=$LAB_TOP/pcaps/lab
while getopts o: c; do
	case $c in
	o) out=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
scenarios=${*:-$LAB_SCENARIOS}

[ "$(id -u)" = 0 ] || lab_die "run as root (the lab uses network namespaces)"
for t in postfix swaks posttls-finger nsd unbound ldns-keygen ldns-signzone openssl \
	tcpdump tshark nft ip ss dig gcc pkg-config perl; do
	command -v "$t" >/dev/null || lab_die "missing $t (install tests/lab/packages.txt)"
done
lab_build_mitm
mkdir -p "$out"

mat=$(mktemp -d /tmp/mxlab-material.XXXXXX)
trap 'rm -rf "$mat"' EXIT
export LAB_MAT=$mat
(
	LAB_TMP=$mat
	lab_material "$mat"
) || exit 1
cp "$mat/trust-anchor.ds" "$mat/trust-anchor.dnskey" "$mat/example.test.zone.signed" \
	"$mat/mx1.crt" "$mat/evil.crt" "$mat/mitm.crt" "$mat/mx1.spki-sha256" "$out/"

failed=""
for s in $scenarios; do
	declare -F "scenario_$s" >/dev/null || lab_die "no scenario $s"
	lab_log "=== scenario $s"
	rm -f "$out/$s.pcap" "$out/$s.expected"
	(
		LAB_WARNINGS=0
		lab_run_scenario "$s" "$out/$s.pcap"
		[ "$LAB_WARNINGS" = 0 ] || lab_die "scenario $s did not go as planned"
	)
	rc=$?
	if [ $rc != 0 ] || [ ! -s "$out/$s.pcap" ]; then
		failed="$failed $s"
		continue
	fi
	"$here/expect.sh" "$out/$s.pcap" "$mat" | sort -u >"$out/$s.expected"
	size=$(stat -c %s "$out/$s.pcap")
	alerts=$(wc -l <"$out/$s.expected")
	lab_log "$s: $(tshark -r "$out/$s.pcap" 2>/dev/null | wc -l) packets, $size bytes, $alerts expected alerts"
	case $s in
	clean-*) [ "$alerts" = 0 ] || { lab_log "$s: a clean capture must expect no alert"; failed="$failed $s"; } ;;
	*) [ "$alerts" -gt 0 ] || { lab_log "$s: the attack left no trace"; failed="$failed $s"; } ;;
	esac
	[ "$size" -lt 1048576 ] || { lab_log "$s: capture too large"; failed="$failed $s"; }
done
if [ -n "$failed" ]; then
	lab_log "FAILED:$failed"
	exit 1
fi
lab_log "all scenarios captured into $out"
