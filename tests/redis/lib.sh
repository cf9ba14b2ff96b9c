# lib.sh - sourced by the Redis tests: a private redis-server (127.0.0.1 on
# a free port, or a unix socket) in a temporary directory, stopped by its
# PID when the test ends; the sensor binary; small helpers.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
MX=${MX:-$ROOT/build/asan/mxsentry}
TA=$ROOT/pcaps/lab/trust-anchor.ds
TMP=$(mktemp -d /tmp/mxsentry-redis.XXXXXX)
REDIS_PID=
REDIS_PORT=
REDIS_SOCK=$TMP/redis.sock

command -v redis-server >/dev/null || { echo "redis-server is not installed"; exit 77; }
[ -x "$MX" ] || { echo "$MX is not built (make check-build)"; exit 1; }

cleanup() {
	stop_redis
	[ -n "${EXTRA_PIDS:-}" ] && kill $EXTRA_PIDS 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_redis [redis-server options...]: on REDIS_PORT (picked once, kept
# across restarts) and REDIS_SOCK, data in $TMP; waits until it answers.
start_redis() {
	[ -n "$REDIS_PORT" ] || REDIS_PORT=$(free_port)
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --unixsocket "$REDIS_SOCK" \
		--unixsocketperm 700 --dir "$TMP" --save "" --appendonly no \
		--daemonize no --logfile "$TMP/redis.log" "$@" &
	REDIS_PID=$!
	for _ in $(seq 100); do
		if rcli PING 2>/dev/null | grep -q -e PONG -e NOAUTH; then
			return 0
		fi
		sleep 0.05
	done
	fail "redis-server did not start: $(tail -n3 "$TMP/redis.log")"
}

# kill_redis [SIGNAL]: stops our redis-server by PID and waits for it.
kill_redis() {
	[ -n "$REDIS_PID" ] || return 0
	kill "-${1:-TERM}" "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
}
stop_redis() { kill_redis KILL; }

# rcli ARGS...: redis-cli against our server, as the admin (REDIS_ADMIN_PW).
rcli() {
	if [ -n "${REDIS_ADMIN_PW:-}" ]; then
		redis-cli --no-auth-warning -a "$REDIS_ADMIN_PW" -s "$REDIS_SOCK" "$@"
	else
		redis-cli -s "$REDIS_SOCK" "$@"
	fi
}

# The lab captures, as -r arguments.
lab_inputs() {
	for f in "$ROOT"/pcaps/lab/*.pcap; do
		printf -- '-r\n%s\n' "$f"
	done
}

# stats_counter FILE NAME: the redis.NAME counter of the last stats record.
stats_counter() {
	python3 - "$1" "$2" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "stats":
        last = r
print(last["stats"]["redis"][sys.argv[2]] if last else "none")
PY
}
