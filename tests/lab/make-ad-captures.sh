#!/usr/bin/env bash
# Runs the lab's resolver-AD scenarios (tests/lab/scenarios-ad.sh) and writes
# one capture per scenario into pcaps/lab-ad/ (or OUTDIR), each with the
# alerts a correct sensor must raise beside it (NAME.expected, made by
# tests/lab/expect-ad.sh), plus the public material they depend on (the
# signed zone, certificates). The directory never gets the trust anchor:
# these captures are read without one.
#
#   sudo tests/lab/make-ad-captures.sh [-o OUTDIR] [SCENARIO...]
#
# As make-captures.sh: a run makes new keys, so a subset of the scenarios
# goes only into a directory that holds no capture of another; every
# scenario gets a fresh lab, torn down afterwards. Wrap a run in
# `flock /tmp/mxsentry-lab.lock` when others may run the lab too.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab.sh"
. "$here/scenarios.sh"
. "$here/scenarios-ad.sh"

out=$LAB_TOP/pcaps/lab-ad
while getopts o: c; do
	case $c in
	o) out=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
scenarios=${*:-$LAB_AD_SCENARIOS}
scenarios=${scenarios//$'\n'/ }

[ "$(id -u)" = 0 ] || lab_die "run as root (the lab uses network namespaces)"
lab_check_capture_set "$out" "$scenarios" "this run's new zone keys"
lab_need_tools postfix swaks posttls-finger nsd unbound ldns-keygen ldns-signzone ldns-read-zone \
	openssl tcpdump tshark nft ip ss dig gcc pkg-config perl
lab_build_mitm
mkdir -p "$out"

mat=$(mktemp -d /tmp/mxlab-material.XXXXXX)
trap 'rm -rf "$mat"' EXIT
export LAB_MAT=$mat
(
	LAB_TMP=$mat
	lab_material "$mat"
) || exit 1
cp "$mat/example.test.zone.signed" "$mat/mx1.crt" "$mat/mitm.crt" "$mat/mx1.spki-sha256" "$out/"

failed=""
for s in $scenarios; do
	declare -F "scenario_$s" >/dev/null || lab_die "no scenario $s"
	lab_log "=== scenario $s"
	rm -f "$out/$s.pcap" "$out/$s.expected"
	(
		LAB_WARNINGS=0
		lab_run_ad_scenario "$s" "$out/$s.pcap"
		[ "$LAB_WARNINGS" = 0 ] || lab_die "scenario $s did not go as planned"
	)
	rc=$?
	if [ $rc != 0 ] || [ ! -s "$out/$s.pcap" ]; then
		failed="$failed $s"
		continue
	fi
	# The point of these captures: the resolver's answers are in, the
	# chain it validated is not.
	if [ -n "$(tshark -r "$out/$s.pcap" -Y "ip.addr == $LAB_NS_ADDR || dns.qry.type == 43" 2>/dev/null)" ]; then
		lab_log "$s: the capture holds the resolver's own lookups"
		failed="$failed $s"
		continue
	fi
	if [ -z "$(tshark -r "$out/$s.pcap" -Y "dns.flags.authenticated == 1" 2>/dev/null)" ]; then
		lab_log "$s: no answer with AD=1 in the capture"
		failed="$failed $s"
		continue
	fi
	if ! "$here/expect-ad.sh" "$out/$s.pcap" "$mat" >"$mat/$s.expected.unsorted"; then
		lab_log "$s: expect-ad.sh failed"
		failed="$failed $s"
		continue
	fi
	sort -u "$mat/$s.expected.unsorted" >"$out/$s.expected"
	size=$(stat -c %s "$out/$s.pcap")
	alerts=$(grep -cv '^field ' "$out/$s.expected")
	lab_log "$s: $(tshark -r "$out/$s.pcap" 2>/dev/null | wc -l) packets, $size bytes, $alerts expected alerts"
	case " $LAB_AD_BENIGN " in
	*" $s "*) [ "$alerts" = 0 ] || { lab_log "$s: a clean capture must expect no alert"; failed="$failed $s"; } ;;
	*) [ "$alerts" -gt 0 ] || { lab_log "$s: the attack left no trace"; failed="$failed $s"; } ;;
	esac
	[ "$size" -lt 1048576 ] || { lab_log "$s: capture too large"; failed="$failed $s"; }
done
if [ -n "$failed" ]; then
	lab_log "FAILED:$failed"
	exit 1
fi
lab_log "all resolver-AD scenarios captured into $out"
