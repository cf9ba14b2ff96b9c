#!/usr/bin/env bash
# Redis goes away during a live capture. A network namespace of our own
# holds one end of a veth pair; mxsentry captures live (-i) on the other
# end, in the root namespace, with an EVE file and a Redis list output to
# the redis-server of lib.sh (127.0.0.1, a free port). tests/redis/
# live_send.py replays crafted SMTP attacks (five kinds, IPv4 and IPv6 in
# VLAN tags; every round new client ports, so new sessions) out of the
# namespace's end at a steady rate; a second or so in, redis-server is
# killed (SIGKILL, by PID) and started again on the same port 1.5 s later;
# the replay runs on, then the sensor gets SIGTERM. Checked, twice:
#   - the sensor kept capturing: its last stats record counts every frame
#     sent (kernel_packets and decode_ok), no kernel, interface or worker
#     queue drop, one alert per replayed session;
#   - the output noticed the outage and reconnected, and its counters add
#     up: queued = sent + dropped, nothing pending;
#   - big queue (64mb): nothing dropped; every line of the EVE file is in
#     Redis (a line Redis executed just before the kill may be there twice),
#     so the alerts in Redis are exactly the alerts in the file;
#   - tiny queue (64kb, the smallest): lines were dropped while Redis was
#     away, counted as dropped_queue_full, and Redis holds exactly the
#     lines counted as sent (and the last stats record).
# redis-server runs with appendfsync always so that what it acknowledged
# before the kill is still there after the restart.
# Needs root and ip netns (else skipped); the namespace part runs under
# flock /tmp/mxsentry-lab.lock. About 30 s.
if [ -z "${MX_LAB_LOCKED:-}" ]; then
	MX_LAB_LOCKED=1 exec flock /tmp/mxsentry-lab.lock "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "needs root (network namespace, live capture)"; exit 77; }
NS=mxrl$$
VA=mxrla$$
VB=mxrlb$$
ip netns add "$NS" 2>/dev/null || { echo "cannot create a network namespace here"; exit 77; }
SENSOR_PID=
SENDER_PID=

cleanup_live() {
	[ -n "$SENDER_PID" ] && kill -KILL "$SENDER_PID" 2>/dev/null && wait "$SENDER_PID" 2>/dev/null
	if [ -n "$SENSOR_PID" ]; then
		kill -KILL "$SENSOR_PID" 2>/dev/null
		wait "$SENSOR_PID" 2>/dev/null
	fi
	ip link del "$VA" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	cleanup
}
trap cleanup_live EXIT

ip link add "$VA" type veth peer name "$VB" netns "$NS" || fail "veth pair"
# No addresses and no IPv6 on either end: the frames on the wire are ours.
sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$VB.disable_ipv6=1"
ip link set "$VA" up || fail "link up"
ip -n "$NS" link set "$VB" up || fail "link up"

S=$ROOT/pcaps/smtp
PCAPS=("$S/cmdinj.pcap" "$S/masked-xxxxxxxx.pcap" "$S/rejected-454.pcap" "$S/requiretls.pcap"
	"$S/respinj.pcap")
SESSIONS_PER_ROUND=${#PCAPS[@]}
AOF=(--appendonly yes --appendfsync always)

# last_stats FILE KEY...: a value of the last stats record, by path.
last_stats() {
	python3 - "$@" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "stats":
        last = r
v = last["stats"] if last else None
for k in sys.argv[2:]:
    v = v[k] if v is not None else None
print("none" if v is None else v)
PY
}

# run NAME MEMCAP RATE ROUNDS: one live run, ROUNDS rounds at RATE frames a
# second, with Redis killed 1.5 s in and started again 1.5 s later.
run() {
	local name=$1 rate=$3 rounds=$4 sent sensor_rc
	rcli FLUSHALL >/dev/null
	cat >"$TMP/$name.yaml" <<YAML
outputs:
  - {type: eve-file, path: $TMP/$name.json, append: false}
  - {type: redis, server: "redis://127.0.0.1:$REDIS_PORT", mode: list, key: mx-$name,
     memcap: $2, batch: 16, flush-timeout: 20}
YAML
	"$MX" -c "$TMP/$name.yaml" -i "$VA" --workers 2 -l "$TMP" --pidfile "$TMP/$name.pid" \
		-q 2>"$TMP/$name.err" &
	SENSOR_PID=$!
	for _ in $(seq 300); do
		[ "$(cat "$TMP/$name.pid" 2>/dev/null)" = "$SENSOR_PID" ] && break
		kill -0 "$SENSOR_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ "$(cat "$TMP/$name.pid" 2>/dev/null)" = "$SENSOR_PID" ] ||
		fail "$name: the sensor did not start: $(cat "$TMP/$name.err")"
	ip netns exec "$NS" python3 tests/redis/live_send.py "$VB" "$rate" "$rounds" "${PCAPS[@]}" \
		>"$TMP/$name.sent" &
	SENDER_PID=$!
	sleep 1.5
	kill_redis KILL
	echo "$name: redis-server killed"
	sleep 1.5
	kill -0 "$SENDER_PID" 2>/dev/null || fail "$name: the replay ended before Redis was back"
	start_redis "${AOF[@]}"
	echo "$name: redis-server started again"
	wait "$SENDER_PID" || fail "$name: the sender failed"
	SENDER_PID=
	sent=$(cat "$TMP/$name.sent")
	sleep 1
	kill -TERM "$SENSOR_PID"
	wait "$SENSOR_PID"
	sensor_rc=$?
	SENSOR_PID=
	[ "$sensor_rc" = 0 ] || fail "$name: sensor exit $sensor_rc ($(cat "$TMP/$name.err"))"
	cat "$TMP/$name.err"
	grep -q "connection lost" "$TMP/$name.err" && grep -q "connected again" "$TMP/$name.err" ||
		fail "$name: the output did not notice the restart"

	# The sensor kept capturing.
	local kp kd kif ok wq alerts
	kp=$(last_stats "$TMP/$name.json" capture kernel_packets)
	kd=$(last_stats "$TMP/$name.json" capture kernel_drops)
	kif=$(last_stats "$TMP/$name.json" capture kernel_ifdrops)
	ok=$(last_stats "$TMP/$name.json" pipeline decode_ok)
	wq=$(last_stats "$TMP/$name.json" capture worker_queue_drops)
	alerts=$(grep -c '"event_type":"alert"' "$TMP/$name.json")
	echo "$name: $sent frames sent; captured $kp, decoded $ok, kernel drops $kd, interface drops $kif," \
		"worker queue drops $wq; $alerts alerts"
	[ "$kp" = "$sent" ] && [ "$ok" = "$sent" ] || fail "$name: not every frame was captured"
	[ "$kd" = 0 ] && [ "$kif" = 0 ] || fail "$name: capture drops"
	[ "$wq" = 0 ] || fail "$name: worker queue drops"
	[ "$alerts" = $((rounds * SESSIONS_PER_ROUND)) ] ||
		fail "$name: $alerts alerts, expected one per session ($((rounds * SESSIONS_PER_ROUND)))"

	# The output's counters add up.
	Q=$(stats_counter "$TMP/$name.json" queued)
	SENT=$(stats_counter "$TMP/$name.json" sent)
	D=$(stats_counter "$TMP/$name.json" dropped)
	F=$(stats_counter "$TMP/$name.json" dropped_queue_full)
	P=$(stats_counter "$TMP/$name.json" pending)
	R=$(stats_counter "$TMP/$name.json" reconnects)
	echo "$name: queued $Q sent $SENT dropped $D (queue full $F) pending $P reconnects $R"
	[ "$Q" = $((SENT + D)) ] || fail "$name: queued $Q != sent $SENT + dropped $D"
	[ "$P" = 0 ] || fail "$name: $P lines pending at exit"
	[ "$R" -ge 1 ] || fail "$name: no reconnect counted"
	rcli --raw LRANGE "mx-$name" 0 -1 >"$TMP/$name.redis"
}

start_redis "${AOF[@]}"

# A queue large enough: nothing lost.
run big 64mb 500 24
[ "$D" = 0 ] || fail "big: $D dropped"
python3 - "$TMP/big.json" "$TMP/big.redis" <<'PY' || fail "big: lines lost"
import collections, sys
want = collections.Counter(open(sys.argv[1]).read().splitlines())
got = collections.Counter(open(sys.argv[2]).read().splitlines())
missing = want - got
extra = set(got) - set(want)
alerts = lambda c: sum(1 for l in c if '"event_type":"alert"' in l)
print("big: %d lines in the file, %d in Redis (%d sent twice after the kill), %d missing, %d unknown;"
      " alerts: %d in the file, %d distinct in Redis"
      % (sum(want.values()), sum(got.values()), sum((got - want).values()),
         sum(missing.values()), len(extra), alerts(want), alerts(got)))
sys.exit(1 if missing or extra or alerts(want) != alerts(got) else 0)
PY

# The smallest queue: lines dropped while Redis is away, and counted.
run small 64kb 1500 48
[ "$F" -gt 0 ] || fail "small: nothing dropped with a 64 KiB queue"
tail -n1 "$TMP/small.json" | grep -q '"event_type":"stats"' || fail "small: stats not last"
grep -qxF -f <(tail -n1 "$TMP/small.json") "$TMP/small.redis" || fail "small: last stats record not sent"
distinct=$(sort -u "$TMP/small.redis" | wc -l)
[ "$distinct" = $((SENT + 1)) ] || fail "small: $distinct distinct lines in Redis, $SENT sent before the last stats record"
echo "small: $distinct distinct lines in Redis = $SENT sent + the last stats record"
echo "PASS"
