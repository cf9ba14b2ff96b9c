# shellcheck shell=bash
# live-lib.sh - shared by the live lab tests (test_live.sh, test_soak.sh):
# checks that the machine can run the lab (or skips with exit 77), builds
# the sensor, starts mxsentry live on the lab router's client-facing
# interface and stops it, follows its EVE file, and cleans up every process
# it started, by PID, then the lab (lab_down), on every exit path.
#
# Use: . tests/lab/live-lib.sh; live_preflight; live_build TARGET;
#      . lab.sh; . scenarios.sh; live_begin SECONDS; lab_world; ...

LIVE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIVE_TOP=$(cd "$LIVE_DIR/../.." && pwd)
LIVE_PIDS=()
LIVE_SENSOR_PID=""
LIVE_WATCH_PID=""
LIVE_WATCHDOG_PID=""
LIVE_LABLOG=""
LIVE_FAILED=""

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

live_log() { printf 'live: %s\n' "$*"; }

# Exit 77 with the reason as the last line: the test cannot run here.
live_skip() {
	printf 'skipped: %s\n' "$*"
	exit 77
}

# Exit 1 with the reason as the last line.
live_fail() {
	LIVE_FAILED=$*
	printf 'FAIL: %s\n' "$*"
	exit 1
}

# Skips unless this is root, `ip netns` works here and the lab's tools are
# installed.
live_preflight() {
	local t missing="" probe=mxlprobe$$
	[ "$(id -u)" = 0 ] || live_skip "needs root (the lab uses network namespaces)"
	if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
		live_skip "ip netns is not available"
	fi
	ip netns add "$probe" >/dev/null 2>&1 || live_skip "cannot create a network namespace here"
	ip netns del "$probe"
	for t in postfix swaks posttls-finger nsd unbound unbound-checkconf ldns-keygen \
		ldns-signzone ldns-read-zone openssl tcpdump tshark nft ss dig gcc pkg-config perl python3 script; do
		command -v "$t" >/dev/null || missing="$missing $t"
	done
	[ -z "$missing" ] ||
		live_skip "lab tools missing:$missing (tests/lab/install-deps.sh installs them)"
}

# Builds TARGET (e.g. build/asan/mxsentry) with make and prints its path,
# or fails (the test exits). MXSENTRY=PATH in the environment skips this.
live_build() {
	make -s -C "$LIVE_TOP" -j2 "$1" >&2 || live_fail "could not build $1" >&2
	[ -x "$LIVE_TOP/$1" ] || live_fail "$1 missing after make" >&2
	printf '%s\n' "$LIVE_TOP/$1"
}

# Prints a fresh directory for the test's evidence: build/test-logs/NAME.
live_outdir() {
	local d=$LIVE_TOP/build/test-logs/$1
	rm -rf "$d"
	mkdir -p "$d"
	printf '%s\n' "$d"
}

# Prints the unprivileged user the sensor drops to: nobody, or a system user
# mxsentry-test created for the purpose when this machine has no nobody.
live_user() {
	if id -u nobody >/dev/null 2>&1; then
		printf 'nobody\n'
		return
	fi
	id -u mxsentry-test >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin mxsentry-test ||
		live_fail "could not create the user mxsentry-test" >&2
	printf 'mxsentry-test\n'
}

live_track() { LIVE_PIDS+=("$1"); }

# Ends PID with SIGTERM, then SIGKILL after SECS seconds (default 10).
live_kill_wait() {
	local p=$1 secs=${2:-10} i
	kill -0 "$p" 2>/dev/null || {
		wait "$p" 2>/dev/null
		return 0
	}
	kill -TERM "$p" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

# The EXIT trap: ends what the test started (by PID), then the lab.
live_cleanup() {
	local rc=$? p
	trap - EXIT
	if [ -n "$LIVE_WATCHDOG_PID" ]; then
		kill -TERM "$LIVE_WATCHDOG_PID" 2>/dev/null
		wait "$LIVE_WATCHDOG_PID" 2>/dev/null
	fi
	[ -z "$LIVE_SENSOR_PID" ] || live_kill_wait "$LIVE_SENSOR_PID" 30
	for p in "${LIVE_PIDS[@]}"; do
		live_kill_wait "$p" 5
	done
	[ -z "$LIVE_WATCH_PID" ] || live_kill_wait "$LIVE_WATCH_PID" 5
	# A Postfix whose start a signal interrupted is not yet in the lab's
	# list: stop every instance of this lab by its master's pid file.
	if [ -n "${LAB_TMP:-}" ]; then
		for p in "$LAB_TMP"/postfix-*; do
			[ -d "$p" ] && lab_postfix_stop "$p"
		done
	fi
	lab_down 2>/dev/null
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -z "$LIVE_FAILED" ]; then
		# Not a verdict of the test: the lab gave up (lab_die) or a
		# signal or the watchdog ended the run.
		if [ -s "$LIVE_LABLOG" ]; then
			printf 'live: last lines of %s:\n' "$LIVE_LABLOG"
			tail -n 15 "$LIVE_LABLOG"
		fi
		printf 'FAIL: exit status %s (the lab log above says why)\n' "$rc"
	fi
	exit $rc
}

# Installs the cleanup trap (the lab's own EXIT trap is turned off) and a
# watchdog that ends the test after SECS seconds, so a hung daemon can never
# hang `make test`.
live_begin() {
	local secs=$1 main=$$
	export LAB_NO_TRAP=1
	trap live_cleanup EXIT
	trap 'exit 130' INT TERM
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$secs" &
		sp=$!
		wait "$sp"
		printf 'live: watchdog: the test ran longer than %s s, ending it\n' "$secs"
		kill -TERM "$main" 2>/dev/null
		for p in $(ps -o pid= --ppid "$main"); do
			[ "$p" = "$BASHPID" ] || kill -TERM "$p" 2>/dev/null
		done
	) &
	LIVE_WATCHDOG_PID=$!
}

# Starts BIN live on the router's client-facing interface, with the lab's
# trust anchor, log directory DIR (EVE in DIR/eve.json, pid file, stderr in
# DIR/stderr) and the extra arguments given; waits until the capture is open
# (the pid file is written after it) and leaves the PID in LIVE_SENSOR_PID.
live_sensor_start() {
	local bin=$1 dir=$2 i
	shift 2
	rm -f "$dir/mxsentry.pid"
	ip netns exec "$(lab_router_ns)" "$bin" -i "$(lab_router_iface)" \
		--trust-anchor "$LAB_MAT/trust-anchor.ds" -l "$dir" -e "$dir/eve.json" \
		--pidfile "$dir/mxsentry.pid" "$@" 2>"$dir/stderr" &
	LIVE_SENSOR_PID=$!
	for ((i = 0; i < 300; i++)); do
		[ "$(cat "$dir/mxsentry.pid" 2>/dev/null)" = "$LIVE_SENSOR_PID" ] && break
		kill -0 "$LIVE_SENSOR_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! kill -0 "$LIVE_SENSOR_PID" 2>/dev/null ||
		[ "$(cat "$dir/mxsentry.pid" 2>/dev/null)" != "$LIVE_SENSOR_PID" ]; then
		cat "$dir/stderr"
		live_fail "mxsentry did not start on $(lab_router_iface) (stderr above)"
	fi
	live_log "mxsentry $LIVE_SENSOR_PID capturing on $(lab_router_iface) in $(lab_router_ns)"
}

# shellcheck disable=SC2034 # LIVE_SENSOR_RC is for the tests
# Sends SIGTERM to the sensor and waits up to SECS seconds (default 60) for
# it to exit; leaves its exit status in LIVE_SENSOR_RC (124 when it had to be
# killed).
live_sensor_stop() {
	local secs=${1:-60} i
	LIVE_SENSOR_RC=124
	kill -TERM "$LIVE_SENSOR_PID" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$LIVE_SENSOR_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$LIVE_SENSOR_PID" 2>/dev/null; then
		kill -KILL "$LIVE_SENSOR_PID"
		wait "$LIVE_SENSOR_PID" 2>/dev/null
	else
		wait "$LIVE_SENSOR_PID"
		LIVE_SENSOR_RC=$?
	fi
	LIVE_SENSOR_PID=""
}

# Fails when the sensor's stderr (FILE) holds a sanitizer report.
live_check_sanitizers() {
	if grep -qE 'Sanitizer|runtime error' "$1"; then
		grep -E -A30 'Sanitizer|runtime error' "$1" | head -n 80
		live_fail "sanitizer report in $1 (above)"
	fi
}

# Starts live-watch.py on EVE writing OUT.
live_watch_start() {
	python3 "$LIVE_DIR/live-watch.py" "$1" "$2" 0.1 &
	LIVE_WATCH_PID=$!
}

live_watch_stop() {
	[ -n "$LIVE_WATCH_PID" ] || return 0
	kill -TERM "$LIVE_WATCH_PID" 2>/dev/null
	wait "$LIVE_WATCH_PID" 2>/dev/null
	LIVE_WATCH_PID=""
}

# Prints how many stats records FILE holds.
live_count_stats() {
	local n
	n=$(grep -c '"event_type":"stats"' "$1" 2>/dev/null)
	printf '%s\n' "${n:-0}"
}

# Checks that SIGUSR1 makes the sensor write a stats record to EVE at once:
# waits for a periodic record first (so the next periodic one is a full
# interval away), sends SIGUSR1 and wants a new record within 1.5 s.
live_check_usr1() {
	local eve=$1 n0 n1 i t0 t1
	n0=$(live_count_stats "$eve")
	for ((i = 0; i < 150; i++)); do
		[ "$(live_count_stats "$eve")" -gt "$n0" ] && break
		sleep 0.1
	done
	n1=$(live_count_stats "$eve")
	[ "$n1" -gt "$n0" ] || live_fail "no periodic stats record within 15 s (--stats-interval 5)"
	t0=$(date +%s%N)
	kill -USR1 "$LIVE_SENSOR_PID"
	for ((i = 0; i < 150; i++)); do
		[ "$(live_count_stats "$eve")" -gt "$n1" ] && break
		sleep 0.01
	done
	t1=$(date +%s%N)
	[ "$(live_count_stats "$eve")" -gt "$n1" ] ||
		live_fail "SIGUSR1 wrote no stats record within 1.5 s"
	live_log "SIGUSR1: stats record written $(((t1 - t0) / 1000000)) ms after the signal"
}
