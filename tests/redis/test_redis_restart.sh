#!/usr/bin/env bash
# Redis goes away mid-run: the sensor reads a capture arriving slowly
# through a pipe while its redis-server is killed (SIGKILL) and started
# again on the same port. The sensor keeps reading, the output reconnects,
# and the counters add up (queued = sent + dropped). With a queue large
# enough nothing is lost: every line of the file output is in Redis. With
# the smallest queue, what did not fit is dropped and counted, and Redis
# holds exactly the lines counted as sent.
#
# The server runs with appendfsync always so that what it acknowledged
# before the kill is still there after the restart (with no persistence a
# restart would empty the list, and "nothing lost" could not be checked).
. "$(dirname "$0")/lib.sh"

PCAP=$ROOT/pcaps/lab/forged-mx.pcap
AOF=(--appendonly yes --appendfsync always)

# run NAME MEMCAP ROUNDS: the sensor over the slow pipe; Redis killed
# after 1 s, back 1.5 s later.
run() {
	rcli FLUSHALL >/dev/null
	cat >"$TMP/$1.yaml" <<YAML
outputs:
  - {type: eve-file, path: $TMP/$1.json, append: false}
  - {type: redis, server: "redis://127.0.0.1:$REDIS_PORT", mode: list, key: mx-$1,
     memcap: $2, batch: 16, flush-timeout: 20}
YAML
	python3 tests/redis/slow_pcap.py "$3" 0.15 "$PCAP" |
		"$MX" -c "$TMP/$1.yaml" -r - --trust-anchor "$TA" -q 2>"$TMP/$1.err" &
	local sensor=$!
	sleep 1
	kill_redis KILL
	echo "$1: redis-server killed"
	sleep 1.5
	start_redis "${AOF[@]}"
	echo "$1: redis-server started again"
	wait $sensor || fail "$1: sensor exit $? ($(cat "$TMP/$1.err"))"
	cat "$TMP/$1.err"
	grep -q "connection lost" "$TMP/$1.err" && grep -q "connected again" "$TMP/$1.err" ||
		fail "$1: the output did not notice the restart"
	Q=$(stats_counter "$TMP/$1.json" queued)
	S=$(stats_counter "$TMP/$1.json" sent)
	D=$(stats_counter "$TMP/$1.json" dropped)
	F=$(stats_counter "$TMP/$1.json" dropped_queue_full)
	R=$(stats_counter "$TMP/$1.json" reconnects)
	echo "$1: queued $Q sent $S dropped $D (queue full $F) reconnects $R"
	[ "$Q" = $((S + D)) ] || fail "$1: queued $Q != sent $S + dropped $D"
	[ "$R" -ge 1 ] || fail "$1: no reconnect counted"
	rcli --raw LRANGE "mx-$1" 0 -1 >"$TMP/$1.redis"
}

start_redis "${AOF[@]}"

# A queue large enough: nothing lost.
run big 64mb 24
[ "$D" = 0 ] || fail "big: $D dropped"
python3 - "$TMP/big.json" "$TMP/big.redis" <<'PY' || fail "big: lines lost"
import collections, sys
want = collections.Counter(open(sys.argv[1]).read().splitlines())
got = collections.Counter(open(sys.argv[2]).read().splitlines())
missing = want - got
extra = set(got) - set(want)
print("big: %d lines in the file, %d in Redis (%d sent twice after the kill), %d missing, %d unknown"
      % (sum(want.values()), sum(got.values()), sum((got - want).values()), sum(missing.values()), len(extra)))
sys.exit(1 if missing or extra else 0)
PY
[ "$(wc -l <"$TMP/big.json")" -gt 1000 ] || fail "big: too short a run"

# The smallest queue: lines dropped while Redis is away, and counted.
run small 64kb 24
[ "$F" -gt 0 ] || fail "small: nothing dropped with a 64 KiB queue"
# The last stats record is queued after its own counters were read.
tail -n1 "$TMP/small.json" | grep -q '"event_type":"stats"' || fail "small: stats not last"
grep -qxF -f <(tail -n1 "$TMP/small.json") "$TMP/small.redis" || fail "small: last stats record not sent"
distinct=$(sort -u "$TMP/small.redis" | wc -l)
[ "$distinct" = $((S + 1)) ] || fail "small: $distinct distinct lines in Redis, $S sent before the last stats record"
echo "small: $distinct distinct lines in Redis = $S sent + the last stats record"
echo "PASS"
