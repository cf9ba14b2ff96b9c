#!/usr/bin/env bash
# Runs the lab's scenarios and writes one capture per scenario into
# pcaps/lab/ (or OUTDIR), each with the alerts a correct sensor must raise
# beside it (NAME.expected, made by tests/lab/expect.sh), plus the public
# material the captures depend on (trust anchor, certificates, signed zone).
#
#   sudo tests/lab/make-captures.sh [-o OUTDIR] [SCENARIO...]
#
# A run makes new keys, so it refuses to write a subset of the scenarios
# into a directory holding captures of others (use -o for a subset).
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
scenarios=${scenarios//$'\n'/ }

[ "$(id -u)" = 0 ] || lab_die "run as root (the lab uses network namespaces)"
lab_check_capture_set "$out" "$scenarios" "this run's new trust anchor"
lab_need_tools postfix swaks posttls-finger nsd unbound ldns-keygen ldns-signzone ldns-read-zone \
	openssl tcpdump tshark editcap nft ip ss dig gcc pkg-config perl
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
	"$mat/plain.test.zone" "$mat/mx1.crt" "$mat/mx2.crt" "$mat/mx3.crt" "$mat/lab-ca.crt" \
	"$mat/evil.crt" "$mat/mitm.crt" "$mat/mx1.spki-sha256" "$mat/mx2.spki-sha256" "$out/"

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
	if ! "$here/expect.sh" "$out/$s.pcap" "$mat" >"$mat/$s.expected.unsorted"; then
		lab_log "$s: expect.sh failed"
		failed="$failed $s"
		continue
	fi
	sort -u "$mat/$s.expected.unsorted" >"$out/$s.expected"
	size=$(stat -c %s "$out/$s.pcap")
	alerts=$(grep -cv '^field ' "$out/$s.expected")
	lab_log "$s: $(tshark -r "$out/$s.pcap" 2>/dev/null | wc -l) packets, $size bytes, $alerts expected alerts"
	case " ${LAB_BENIGN//$'\n'/ } " in
	*" $s "*) [ "$alerts" = 0 ] || { lab_log "$s: a clean capture must expect no alert"; failed="$failed $s"; } ;;
	*) [ "$alerts" -gt 0 ] || { lab_log "$s: the attack left no trace"; failed="$failed $s"; } ;;
	esac
	[ "$size" -lt 1048576 ] || { lab_log "$s: capture too large"; failed="$failed $s"; }
done
# The zone version mx-change published, signed during the scenario.
[ -f "$mat/example.test.zone.v2.signed" ] && cp "$mat/example.test.zone.v2.signed" "$out/"
# The MTA-STS material mta-sts-pkix made (lab_material_sts): the policy and
# the trusted root, under the names tests/pcap/test_captures gives -p and
# --ca-file, and the truth expect.sh read.
if [ -f "$mat/sts.policy.yaml" ]; then
	cp "$mat/sts.policy.yaml" "$out/policy.yaml"
	cp "$mat/lab-ca.crt" "$out/ca.crt"
	cp "$mat/sts.test.zone" "$mat/sts.hosts" "$mat/mx4.sts.test.crt" "$mat/mx5.sts.test.crt" \
		"$mat/lab-rogue-ca.crt" "$out/"
fi
if [ -n "$failed" ]; then
	lab_log "FAILED:$failed"
	exit 1
fi
lab_log "all scenarios captured into $out"
