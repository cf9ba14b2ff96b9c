#!/usr/bin/env bash
# The Redis EVE output in its three modes against a private redis-server:
# every alert of the lab captures lands, in order and byte for byte as in
# the file output of the same run (stream: XLEN and the entries; list over
# the unix socket: LLEN and LRANGE; channel: what a subscriber received);
# a stream of every event type holds every line the file has.
. "$(dirname "$0")/lib.sh"

REDIS_ADMIN_PW=adminpw
start_redis --requirepass "$REDIS_ADMIN_PW"
mapfile -t INPUTS < <(lab_inputs)

# run NAME OUTPUT-YAML: the sensor over every lab capture, file output beside.
run() {
	cat >"$TMP/$1.yaml" <<YAML
outputs:
  - {type: eve-file, path: $TMP/$1.json, append: false}
  - $2
YAML
	"$MX" -c "$TMP/$1.yaml" "${INPUTS[@]}" --trust-anchor "$TA" -q 2>"$TMP/$1.err" ||
		fail "$1: exit $? ($(cat "$TMP/$1.err"))"
	grep '"event_type":"alert"' "$TMP/$1.json" >"$TMP/$1.alerts"
	ALERTS=$(wc -l <"$TMP/$1.alerts")
	# A floor, so that an empty feed cannot pass: the lab captures raise 20
	# alerts in one run (resolver retries are one incident each).
	[ "$ALERTS" -ge 15 ] || fail "$1: only $ALERTS alerts in the lab captures"
	[ "$(stats_counter "$TMP/$1.json" queued)" = "$(stats_counter "$TMP/$1.json" sent)" ] ||
		fail "$1: queued != sent in the last stats record"
}

# stream: XLEN equals the alerts, each entry's eve field is the alert line.
run stream "{type: redis, server: \"redis://127.0.0.1:$REDIS_PORT/2\", password: $REDIS_ADMIN_PW, mode: stream, key: mx-stream, event-types: [alert]}"
n=$(rcli -n 2 XLEN mx-stream)
[ "$n" = "$ALERTS" ] || fail "stream: XLEN $n, $ALERTS alerts"
rcli -n 2 --raw XRANGE mx-stream - + | awk 'NR % 3 == 0' | cmp - "$TMP/stream.alerts" ||
	fail "stream: entries differ from the file's alerts"
echo "stream: XLEN $n = $ALERTS alerts"

# list over the unix socket: RPUSH in order.
run list "{type: redis, server: \"unix://$REDIS_SOCK?db=3\", password: $REDIS_ADMIN_PW, mode: list, key: mx-list, event-types: [alert]}"
n=$(rcli -n 3 LLEN mx-list)
[ "$n" = "$ALERTS" ] || fail "list: LLEN $n, $ALERTS alerts"
rcli -n 3 --raw LRANGE mx-list 0 -1 | cmp - "$TMP/list.alerts" ||
	fail "list: entries differ from the file's alerts"
echo "list: LLEN $n = $ALERTS alerts"

# channel: a subscriber receives every alert.
python3 tests/redis/redis_sub.py "$REDIS_SOCK" mx-channel "$TMP/sub.out" "$REDIS_ADMIN_PW" &
EXTRA_PIDS=$!
for _ in $(seq 100); do [ -f "$TMP/sub.out.ready" ] && break; sleep 0.05; done
[ -f "$TMP/sub.out.ready" ] || fail "channel: the subscriber did not subscribe"
run channel "{type: redis, server: \"redis://:$REDIS_ADMIN_PW@127.0.0.1:$REDIS_PORT\", mode: channel, key: mx-channel, event-types: [alert]}"
for _ in $(seq 100); do [ "$(wc -l <"$TMP/sub.out")" -ge "$ALERTS" ] && break; sleep 0.05; done
cmp "$TMP/sub.out" "$TMP/channel.alerts" || fail "channel: received $(wc -l <"$TMP/sub.out") lines, not the $ALERTS alerts"
echo "channel: subscriber got $ALERTS = $ALERTS alerts"

# stream of every type, MAXLEN large: every line of the file, stats last.
run all "{type: redis, server: \"redis://:$REDIS_ADMIN_PW@127.0.0.1:$REDIS_PORT/4\", mode: stream, key: mx-all, stream-maxlen: 1000000}"
lines=$(wc -l <"$TMP/all.json")
n=$(rcli -n 4 XLEN mx-all)
[ "$n" = "$lines" ] || fail "all: XLEN $n, $lines lines in the file"
echo "all types: XLEN $n = $lines lines"

# A small approximate MAXLEN trims the stream.
run trim "{type: redis, server: \"redis://:$REDIS_ADMIN_PW@127.0.0.1:$REDIS_PORT/5\", mode: stream, key: mx-trim, stream-maxlen: 10, batch: 1}"
n=$(rcli -n 5 XLEN mx-trim)
lines=$(wc -l <"$TMP/trim.json")
[ "$n" -lt "$lines" ] && [ "$n" -ge 10 ] || fail "trim: XLEN $n with MAXLEN ~ 10 and $lines lines"
echo "MAXLEN ~ 10: XLEN $n of $lines lines"
echo "PASS"
