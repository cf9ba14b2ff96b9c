#!/usr/bin/env bash
# test_soak.sh - mxsentry live under a steady SMTP load for a few minutes.
#
# The lab (tests/lab/lab.sh) with nsd, the validating unbound and mx1's
# Postfix; mxsentry (the release build: what runs for weeks; ASan's
# quarantine and shadow memory would hide the RSS trend) captures on the
# router's client-facing interface, dropped to an unprivileged user.
# tests/lab/live-load.py makes SOAK_RATE sessions a second for SOAK_SECONDS
# to mx1 (203.0.113.25): STARTTLS and TLS 1.2, one message each; every
# SOAK_ATTACK_EVERY-th session comes from 192.0.2.12, which nftables sends
# through the lab's man in the middle in mask-starttls mode, and delivers in
# cleartext. The sensor learns mx1's TLSA record from one validated lookup
# first, so a clean session's DANE verdict is `ok` and an attack is both
# starttls-masked and cleartext-policy-violation. Halfway through, the EVE
# file is rotated (mv + SIGHUP) under load. Checked (live-check.py soak):
#   - every attack session: exactly one alert of each of the two kinds,
#     across both files; no other alert at all
#   - every session the client made has exactly one smtp record (clean
#     ones: STARTTLS issued, handshake complete, DANE ok); no others
#   - zero drops in the final stats (kernel, interface, worker queues);
#     exit 0 on SIGTERM
#   - RSS (ps, every 3 s) flat after warm-up: the last third's maximum at
#     most max(10 %, 4 MiB) above the first third's maximum
# Prints the numbers (sessions, rate, RSS samples, drops). Evidence in
# build/test-logs/soak/. Exit 0 pass, 77 skip, 1 fail.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/live-lib.sh"
live_preflight
SENSOR=${MXSENTRY_SOAK:-}
[ -n "$SENSOR" ] || SENSOR=$(live_build build/rel/mxsentry) || exit 1
. "$here/lab.sh"
. "$here/scenarios.sh"

SECONDS_LOAD=${SOAK_SECONDS:-150}
RATE=${SOAK_RATE:-20}
ATTACK_EVERY=${SOAK_ATTACK_EVERY:-50}
ATTACK_SRC=192.0.2.12
T_START=$(date +%s)

out=$(live_outdir soak)
LIVE_LABLOG=$out/lab.log
live_begin $((SECONDS_LOAD + 240))
{
	lab_up
	lab_material "${LAB_MAT:-}"
	start_nsd
	start_unbound validating
	start_postfix_receiver mx1 "$LAB_MX_ADDR"
	ip -n "$LAB_NS_CLI" addr add "$ATTACK_SRC/24" dev eth0
	# The man in the middle, for the attack sessions' source address only.
	start_mitm mask-starttls
	ip netns exec "$(lab_router_ns)" nft flush chain ip mxlab pre
	ip netns exec "$(lab_router_ns)" nft add rule ip mxlab pre iifname "$(lab_router_iface)" \
		ip saddr "$ATTACK_SRC" tcp dport 25 redirect to :"$LAB_MITM_SMTP_PORT"
} 2>>"$LIVE_LABLOG" || live_fail "the lab did not come up (see $LIVE_LABLOG)"
user=$(live_user) || exit 1
chown "$user" "$out"

# Two workers (the default on two CPUs, fixed here). Each worker's frame
# queue is a ring its first pass touches page by page: at the default 16
# MiB that alone adds ~16 MiB of RSS over the first ~16 MiB of a worker's
# traffic, then stays flat (measured: +17 MB, flat from 5000 sessions on).
# A 1 MiB queue ends that warm-up within seconds, so what the RSS check sees
# is the rest: flows, streams, sessions, TLS, DNS, alerts, outputs.
# shellcheck disable=SC2086 # SOAK_SENSOR_ARGS: flags, split on purpose
live_sensor_start "$SENSOR" "$out" -u "$user" --stats-interval 10 \
	${SOAK_SENSOR_ARGS:---workers 2 --worker-queue 1}
uid=$(ps -o uid= -p "$LIVE_SENSOR_PID" | tr -d ' ')
[ "$uid" = "$(id -u "$user")" ] || live_fail "mxsentry runs as uid $uid after -u $user"

# The validated lookups a DANE sender makes before delivering to example.test.
for q in "MX example.test" "A mx1.example.test" "TLSA _25._tcp.mx1.example.test"; do
	# shellcheck disable=SC2086
	lab_exec cli dig +dnssec +time=2 +tries=2 $q >>"$out/dig.log" 2>&1 ||
		live_fail "dig $q failed"
done
grep -q 'flags:.* ad' "$out/dig.log" || live_fail "the TLSA lookup did not validate (see $out/dig.log)"
sleep 1

# RSS every 3 s while the load runs.
(
	# shellcheck disable=SC2031 # sp is this subshell's own
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	while kill -0 "$LIVE_SENSOR_PID" 2>/dev/null; do
		printf '%s %s\n' "$(date +%s.%N)" "$(ps -o rss= -p "$LIVE_SENSOR_PID" | tr -d ' ')"
		sleep 3 &
		sp=$!
		wait "$sp"
	done
) >"$out/rss.txt" &
sampler=$!
live_track $sampler

ip netns exec "$LAB_NS_CLI" python3 "$here/live-load.py" --server "$LAB_MX_ADDR" \
	--clean-src "$LAB_SWAKS_ADDR" --attack-src "$ATTACK_SRC" --rate "$RATE" \
	--seconds "$SECONDS_LOAD" --attack-every "$ATTACK_EVERY" --workers 8 \
	--out "$out/sessions.tsv" >"$out/load.txt" 2>&1 &
load=$!
live_track $load

# Rotation under load, halfway through.
sleep $((SECONDS_LOAD / 2))
mv "$out/eve.json" "$out/eve.json.1"
kill -HUP "$LIVE_SENSOR_PID"
live_log "rotated eve.json under load ($(wc -l <"$out/eve.json.1") lines so far)"

wait $load
load_rc=$?
cat "$out/load.txt"
sleep 2
kill -TERM $sampler 2>/dev/null
wait $sampler 2>/dev/null
kill -0 "$LIVE_SENSOR_PID" 2>/dev/null || live_fail "mxsentry died under load"
# utime and stime (fields 14, 15 of /proc/PID/stat, in clock ticks), all threads.
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
	"/proc/$LIVE_SENSOR_PID/stat")
live_log "sensor CPU time $cpu s over $(ps -o etimes= -p "$LIVE_SENSOR_PID" | tr -d ' ') s"
live_sensor_stop 60
live_log "SIGTERM: exit status $LIVE_SENSOR_RC"
[ "$load_rc" = 0 ] || live_fail "the load client's sessions did not all go as planned (lab problem?)"
live_check_sanitizers "$out/stderr"
[ "$LIVE_SENSOR_RC" = 0 ] || {
	cat "$out/stderr"
	live_fail "mxsentry exited with $LIVE_SENSOR_RC on SIGTERM"
}
[ -e "$out/eve.json" ] || live_fail "no new eve.json after SIGHUP"

python3 "$here/live-check.py" soak --eve "$out/eve.json.1" "$out/eve.json" \
	--sessions "$out/sessions.tsv" --rss "$out/rss.txt" --server "$LAB_MX_ADDR" \
	--rss-slack-pct 10 --rss-slack-kb 4096 | tee "$out/report.txt"
rc=${PIPESTATUS[0]}
live_log "sensor $SENSOR; evidence in $out; $(($(date +%s) - T_START)) s in all"
[ "$rc" = 0 ] || live_fail "soak: see the report above"
echo "pass: $(wc -l <"$out/sessions.tsv") sessions live, every attack alerted once, no drops, flat RSS"
