#!/usr/bin/env bash
# test_live.sh - mxsentry watching the lab live, as a SOC would run it.
#
# One lab world (tests/lab/lab.sh: nsd, unbound, Postfix, swaks,
# posttls-finger, the man in the middle) stays up for the whole run, and one
# mxsentry (the ASan+UBSan build) captures live on the router's client-facing
# interface, dropped to an unprivileged user. The scenarios of
# tests/lab/scenarios.sh that have a live form run in it, the benign ones and
# the attacks; then the EVE file is rotated (mv + SIGHUP), more attacks run,
# and SIGTERM ends the sensor. Checked:
#   - -u: the sensor runs under the unprivileged uid; --pidfile holds its PID
#   - SIGUSR1 writes a stats record at once
#   - the alerts over the whole run are exactly the expected ones, each
#     exactly once, across eve.json.1 and eve.json (tests/lab/expect.sh on a
#     capture of the whole run, plus the history rule live-check.py adds)
#   - every alert became visible in the file (polled every 100 ms) within
#     1 s of its packet time, while its scenario ran; benign ones: none
#   - SIGHUP: eve.json is reopened, nothing is written twice or lost
#   - SIGTERM: exit 0; the final stats record shows zero drops (kernel,
#     interface, worker queues), and the sensor decoded exactly the packets
#     a tcpdump beside it captured through the same filter
#   - no sanitizer report on stderr
# Evidence is kept in build/test-logs/live/. Exit 0 pass, 77 skip, 1 fail.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/live-lib.sh"
live_preflight
SENSOR=${MXSENTRY:-}
[ -n "$SENSOR" ] || SENSOR=$(live_build build/asan/mxsentry) || exit 1
. "$here/lab.sh"
. "$here/scenarios.sh"

# Before the rotation: the benign scenarios, then the attacks but
# starttls-454. After it: the 454 refusal, the TLSA strip, the certificate
# swap again (the sensor's DANE expectations and history must survive the
# reload) and a clean delivery. The order matters where the sensor rightly
# carries what it learned from one scenario into the next:
#   - the TLS-1.2-only benign scenarios run before any TLS 1.3 session to
#     mx1: afterwards a 1.2 session to mx1 is a tls-version-downgrade
#     (history), which live-check.py expects in the attack scenarios;
#   - starttls-454 runs after the SMTP downgrades: a refused STARTTLS
#     followed, within the fallback window, by cleartext mail from the same
#     client is a tls-fallback-cleartext of its own;
#   - mx-change leaves mx2 as example.test's MX: the operator then moves it
#     back (a third zone version, mx1 again) before the next scenario.
# `midstream` exists only as a capture cut after the fact; it has no live
# form. Scenarios this lab's scenarios.sh does not define are left out.
PHASE1=${LIVE_PHASE1:-"clean-tls12 mx-change dane-ta clean-tls13 insertion-decoys
no-starttls-no-policy strip-starttls insertion-strip mask-starttls mitm-cert forged-mx
stripped-rrsig stripped-mta-sts"}
PHASE2=${LIVE_PHASE2:-"starttls-454 stripped-tlsa mitm-cert mta-sts-pkix clean-tls13"}
T_START=$(date +%s)

out=$(live_outdir live)
LIVE_LABLOG=$out/lab.log
live_begin 600
lab_world 2>>"$LIVE_LABLOG"
# Checksums computed in software from the first packet on, so that the
# capture holds the ones the receivers check (the insertion scenarios'
# decoys must be the only wrong ones), and the MTA-STS domain's material.
if declare -F lab_wire_checksums >/dev/null; then
	lab_wire_checksums 2>>"$LIVE_LABLOG"
	lab_material_sts "$LAB_MAT" 2>>"$LIVE_LABLOG"
fi
# Every receiver a scenario needs, for the whole run.
{
	start_postfix_receiver evil "$LAB_EVIL_ADDR"
	[ -z "${LAB_MX2_ADDR:-}" ] || start_postfix_receiver mx2 "$LAB_MX2_ADDR"
	[ -z "${LAB_MX3_ADDR:-}" ] || start_postfix_receiver mx3 "$LAB_MX3_ADDR" \
		"mydestination = ta.example.test, mx3.example.test" \
		"smtpd_tls_chain_files = $LAB_MAT/mx3.key, $LAB_MAT/mx3.chain.crt"
	[ -z "${LAB_PLAIN_MX_ADDR:-}" ] || start_postfix_receiver "mx.$LAB_PLAIN_ZONE" \
		"$LAB_PLAIN_MX_ADDR" "smtpd_tls_security_level = none"
	! declare -F lab_sts_receivers >/dev/null || lab_sts_receivers
} 2>>"$LIVE_LABLOG"
# The benign scenarios, on one line between spaces (LAB_BENIGN may span two).
# shellcheck disable=SC2086
benign=" $(printf '%s ' ${LAB_BENIGN:-clean-tls12 clean-tls13}) "
user=$(live_user) || exit 1
chown "$user" "$out"
: >"$out/windows.txt"
printf '%s\n' "$SENSOR" >"$out/sensor-binary.txt"

# Each scenario starts as it would in a fresh lab: no man in the middle, a
# fresh validating unbound (so DNSKEY and the records are looked up again,
# in view of the sensor) and a fresh DANE sender; but the sensor, and all it
# learned, stays.
prepare() {
	local name=$1 opts=()
	stop_mitm
	stop_postfix_sender
	stop_unbound plain
	stop_unbound validating
	start_unbound validating
	mapfile -t opts < <(lab_scenario_sender_opts "$name")
	start_postfix_sender dane "${opts[@]}" >/dev/null
}

# After mx-change the operator moves the MX back to mx1: the first version
# of the zone again, with a higher serial, signed and published.
finish() {
	[ "$1" = mx-change ] || return 0
	sed -e 's/^\(@ *IN SOA .*\) 2026112901 /\1 2026112903 /' "$LAB_MAT/example.test.zone" \
		>"$LAB_MAT/example.test.zone.v3"
	lab_publish_zone "$LAB_MAT/example.test.zone.v3"
}

# Runs one scenario and writes its window to windows.txt: name, phase,
# benign/attack, start, end of its traffic, and the moment it had settled
# (resolver retries included) before the next one began.
run_scenario() {
	local phase=$1 name=$2 t0 t1 t2 kind
	prepare "$name" 2>>"$LIVE_LABLOG"
	LAB_WARNINGS=0
	lab_sender_log_mark
	t0=$(date +%s.%N)
	"scenario_$name" 2>>"$LIVE_LABLOG"
	t1=$(date +%s.%N)
	live_log "$(printf '%-21s %-6s %5.1f s' "$name" "$phase" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")"
	[ "$LAB_WARNINGS" = 0 ] ||
		live_fail "scenario $name did not go as planned (lab problem, see $out/lab.log)"
	finish "$name" 2>>"$LIVE_LABLOG"
	# Let the last alerts reach the file before the next scenario.
	sleep 1.2
	t2=$(date +%s.%N)
	case $benign in
	*" $name "*) kind=benign ;;
	*) kind=attack ;;
	esac
	printf '%s %s %s %s %s %s\n' "$name" "$phase" "$kind" "$t0" "$t1" "$t2" >>"$out/windows.txt"
}

# The scenarios of a phase this lab defines.
available() {
	local s
	for s in $1; do
		if declare -F "scenario_$s" >/dev/null; then
			printf '%s ' "$s"
		else
			live_log "scenario $s is not in this lab's scenarios.sh; left out" >&2
		fi
	done
}
PHASE1=$(available "$PHASE1")
PHASE2=$(available "$PHASE2")

capture_start "$(lab_router_iface)" "$out/run.pcap"
# shellcheck disable=SC2086 # LIVE_SENSOR_ARGS: extra flags, split on purpose
# The MTA-STS policy of sts.test and the lab's CA as the trusted roots.
sts_args=()
[ ! -f "$LAB_MAT/sts.policy.yaml" ] ||
	sts_args=(-p "$LAB_MAT/sts.policy.yaml" --ca-file "$LAB_MAT/lab-ca.crt")
live_sensor_start "$SENSOR" "$out" -u "$user" --stats-interval 5 ${LIVE_SENSOR_ARGS:---workers 2} \
	"${sts_args[@]}"
uid=$(ps -o uid= -p "$LIVE_SENSOR_PID" | tr -d ' ')
[ "$uid" = "$(id -u "$user")" ] ||
	live_fail "mxsentry runs as uid $uid, not as $user ($(id -u "$user")) after -u $user"
live_log "privileges dropped: uid $uid ($user)"
live_watch_start "$out/eve.json" "$out/watch.log"
live_check_usr1 "$out/eve.json"

for s in $PHASE1; do
	run_scenario before "$s"
done

# Rotation as logrotate does it: rename, then SIGHUP.
mv "$out/eve.json" "$out/eve.json.1"
kill -HUP "$LIVE_SENSOR_PID"
for ((i = 0; i < 50; i++)); do
	[ -e "$out/eve.json" ] && grep -q 'reload' "$out/stderr" && break
	sleep 0.1
done
[ -e "$out/eve.json" ] || live_fail "no new eve.json 5 s after SIGHUP"
grep -q 'reload' "$out/stderr" || live_fail "SIGHUP: no word of a reload on stderr in 5 s"
! grep -q 'reload refused' "$out/stderr" || {
	cat "$out/stderr"
	live_fail "SIGHUP: the unchanged configuration was refused"
}
live_log "rotated: eve.json.1 $(wc -l <"$out/eve.json.1") lines; SIGHUP reopened eve.json"

for s in $PHASE2; do
	run_scenario after "$s"
done
live_check_usr1 "$out/eve.json"

kill -0 "$LIVE_SENSOR_PID" 2>/dev/null || live_fail "mxsentry died during the run"
t0=$(date +%s%N)
live_sensor_stop 60
live_log "SIGTERM: exit status $LIVE_SENSOR_RC after $((($(date +%s%N) - t0) / 1000000)) ms"
live_watch_stop
capture_stop
cp "$LAB_TMP/tcpdump.err" "$out/tcpdump.err" 2>/dev/null
live_check_sanitizers "$out/stderr"
[ "$LIVE_SENSOR_RC" = 0 ] || {
	cat "$out/stderr"
	live_fail "mxsentry exited with $LIVE_SENSOR_RC on SIGTERM"
}
[ ! -e "$out/mxsentry.pid" ] || live_fail "the pid file is still there after exit"

# What the sensor should have seen: the lab's rules on the whole run's
# capture, one line per offending session or DNS answer (not made unique).
"$here/expect.sh" "$out/run.pcap" "$LAB_MAT" >"$out/expected.raw" ||
	live_fail "expect.sh failed on the run's capture"
# The packets the sensor's default filter passes, as tcpdump captured them.
filter='tcp port 25 or tcp port 465 or tcp port 587 or port 53 or (ip[6:2] & 0x1fff != 0)'
pkts=$(tcpdump -r "$out/run.pcap" -nn "$filter" 2>/dev/null | wc -l)
# What tcpdump itself lost in the kernel (its own line at exit): the sensor
# may have decoded up to that many more than the file holds.
tdrops=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$out/tcpdump.err" 2>/dev/null | head -1)

python3 "$here/live-check.py" live --eve "$out/eve.json.1" "$out/eve.json" \
	--watch "$out/watch.log" --expected "$out/expected.raw" --windows "$out/windows.txt" \
	--pcap "$out/run.pcap" --pcap-packets "$pkts" --pcap-dropped "${tdrops:-0}" --max-latency 1.0 | tee "$out/report.txt"
rc=${PIPESTATUS[0]}
# The insertion decoys: the sensor dropped them for their checksums, and
# gave up checking no source (every checksum but theirs is right).
case " $PHASE1 $PHASE2 " in
*" insertion-strip "* | *" insertion-decoys "*)
	csum=$(python3 -c 'import json, sys
st = [json.loads(l) for f in sys.argv[1:] for l in open(f) if "\"stats\"" in l]
st = [e["stats"] for e in st if e.get("event_type") == "stats"][-1]["decoder"]
print(st["invalid_checksum"]["tcp"], st["checksum_offload"]["sources"])' \
		"$out/eve.json.1" "$out/eve.json")
	live_log "decoys: decoder.invalid_checksum.tcp and checksum_offload.sources: $csum"
	read -r bad offl <<<"$csum"
	[ "${bad:-0}" -gt 0 ] && [ "${offl:-1}" = 0 ] || {
		echo "FAIL: decoys not dropped by the sensor (invalid_checksum.tcp=$bad, checksum_offload.sources=$offl)"
		rc=1
	}
	;;
esac
live_log "evidence in $out; $(($(date +%s) - T_START)) s in all"
[ "$rc" = 0 ] || live_fail "live run: see the report above"
echo "pass: live sensor raised every expected alert once, within 1 s, across a rotation"
