#!/usr/bin/env bash
# test_live_startup.sh - a short live run of the sensor on the loopback
# interface, as root, from inside a private (0700) directory as a clone in
# root's home is: with -u the pid file, the EVE file and the --state file
# (in a directory only root may write) are opened before the privileges go,
# the sensor runs as the unprivileged user, a rename and
# SIGHUP reopen the EVE file, SIGTERM removes the pid file and exits 0; with
# one worker every periodic stats record carries the wall clock (within a
# few seconds) and a growing uptime; the state file passes
# integrity_check afterwards, and an offline run with -u and --state in
# the same directory goes on from it. Then the start-up errors: unknown
# user, bad filter, missing interface each exit 2 with one line.
# Needs root (exits 77 otherwise). Exits 0 when every check passed, else 1.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${MXSENTRY:-$ROOT/build/asan/mxsentry}
[ -x "$BIN" ] || { echo "$BIN missing: make check-build"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root to capture on lo"; exit 77; }
user=nobody
id -u "$user" >/dev/null 2>&1 || { echo "no user nobody here"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_live_startup.XXXXXX")
# Offline captures are read as the run user: a copy it may read, since the
# clone itself may sit in a directory only root can enter.
PUB=$(mktemp -d "${TMPDIR:-/tmp}/test_live_startup_pub.XXXXXX")
SPID=
trap '[ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null; rm -rf "$TMP" "$PUB"' EXIT
chmod 755 "$PUB"
cp "$ROOT/pcaps/lab-ad/ad-strip.pcap" "$PUB/" && chmod 644 "$PUB/ad-strip.pcap"
chmod 700 "$TMP"
out=$TMP/out
mkdir "$out" && chown "$user" "$out"
# The state directory stays root's (0755): the user can neither create the
# file nor its -wal and -shm there.
state=$TMP/state
mkdir "$state" && chmod 755 "$state"

. "$ROOT/tests/tools/check.sh"

# One worker, a stats record every second.
"$BIN" -i lo --workers 1 --stats-interval 1 -u "$user" --pidfile "$out/mxsentry.pid" \
	-l "$out" -e "$out/eve.json" --state "$state/state.db" 2>"$out/stderr" &
SPID=$!
for _ in $(seq 100); do
	[ "$(cat "$out/mxsentry.pid" 2>/dev/null)" = "$SPID" ] && break
	kill -0 "$SPID" 2>/dev/null || break
	sleep 0.1
done
check "the pid file holds the sensor's pid (-u, private parent directory)" \
	test "$(cat "$out/mxsentry.pid" 2>/dev/null)" = "$SPID"
check "the sensor runs as $user" test "$(ps -o uid= -p "$SPID" | tr -d ' ')" = "$(id -u "$user")"
sleep 2.5
mv "$out/eve.json" "$out/eve.json.1"
kill -HUP "$SPID"
sleep 1.7
kill -TERM "$SPID"
wait "$SPID"
rc=$?
SPID=
check "SIGTERM: exit status 0 (got $rc)" test "$rc" = 0
check "one start-up line names interface, filter, workers and outputs" \
	grep -q "^mxsentry: capturing on lo; filter: .*tcp port 2525.*; workers: 1; outputs: eve-file $out/eve.json$" "$out/stderr"
check "SIGHUP reopened eve.json as $user in the private directory" test -s "$out/eve.json"
check "the pid file is removed at exit" test ! -e "$out/mxsentry.pid"
check "no sanitizer report" bash -c "! grep -q 'Sanitizer\|runtime error' '$out/stderr'"
check "the state file was made before the drop (root's, in root's directory)" \
	test "$(stat -c %U "$state/state.db" 2>/dev/null)" = root
check "the state file passes integrity_check" \
	test "$(sqlite3 "$state/state.db" 'PRAGMA integrity_check' 2>&1)" = ok
# Offline, -u and --state: the run writes what it learns into that file.
"$BIN" -r "$PUB/ad-strip.pcap" -u "$user" --state "$state/state.db" \
	-e "$out/offline.json" -q 2>"$out/offline.err"
rc=$?
check "offline with -u and --state in root's directory: exit 0 (got $rc: $(head -c 200 "$out/offline.err"))" \
	test "$rc" = 0
check "offline with -u: facts written to the state file" \
	test "$(sqlite3 "$state/state.db" 'SELECT count(*) FROM facts' 2>&1)" -gt 0
check "stats records: wall clock within 5 s, uptime growing" python3 - "$out/eve.json.1" "$out/eve.json" <<'PY'
import datetime, json, sys, time
recs = [json.loads(l) for f in sys.argv[1:] for l in open(f) if '"stats"' in l]
now = time.time()
ups = [r["stats"]["uptime"] for r in recs]
ok = len(recs) >= 3
for r in recs:
    ts = datetime.datetime.strptime(r["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    if not (now - 10 <= ts <= now + 1):
        ok = False
        print("stats timestamp", r["timestamp"], "is not the wall clock")
if ups != sorted(ups) or len(ups) < 3 or ups[-1] < 3:
    ok = False
print("stats records:", len(recs), "uptimes:", ups)
sys.exit(0 if ok else 1)
PY

# Start-up errors: exit 2, one line each.
startup_error() { # startup_error WHAT PATTERN ARGS...
	local what=$1 pat=$2 rc
	shift 2
	"$BIN" "$@" -e "$TMP/err.json" >"$TMP/err.out" 2>&1
	rc=$?
	check "$what: exit 2 (got $rc)" test "$rc" = 2
	check "$what: one line: $(head -n1 "$TMP/err.out")" \
		test "$(wc -l <"$TMP/err.out")" = 1 -a -n "$(grep -e "$pat" "$TMP/err.out")"
}
startup_error "unknown user" "unknown user 'no-such-user-mx'" -i lo -u no-such-user-mx
startup_error "unknown group" "unknown group 'no-such-group-mx'" -i lo -g no-such-group-mx
startup_error "bad filter, live" "bad filter 'tcp port twentyfive'" -i lo -f "tcp port twentyfive"
startup_error "bad filter, offline" "bad filter 'port ('" -r "$ROOT/pcaps/smtp/masked-xxxxxxxa.pcap" -f "port ("
startup_error "missing interface" "^mxsentry: nosuchif0: No such device exists (no such interface" -i nosuchif0
check "the missing interface is not said twice" bash -c "! grep -q 'exists: No such device' '$TMP/err.out'"

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
