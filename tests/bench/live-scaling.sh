#!/usr/bin/env bash
# live-scaling.sh - how much of the mail profile mxsentry carries live.
#
# Replays the benchmark's mail capture with tcpreplay into one end of a
# veth pair inside a network namespace made for the run, with mxsentry
# capturing live on the other end (-i, --workers N), at increasing rates.
# For each worker count it prints one line per rate: the frames sent, the
# kernel and worker-queue drops from the sensor's stats record, and the
# CPU seconds of the capture thread and of each worker; then the highest
# rate with zero drops. Not part of make test: `make bench-live` (root).
#
# Settings (environment): LIVE_WORKERS (default "1 2"), LIVE_RATES (Mbit/s,
# default "100 200 300 400 500 600 700 800 1000 1200"), LIVE_PACKETS
# (frames replayed per run, default 300000), LIVE_PCAP (default the mail
# profile's build/bench/bench-mail-400MB.pcap, made with benchgen when
# missing), MXSENTRY (default build/rel/mxsentry), LIVE_ARGS (more sensor
# options). A rate stops being tried for a worker count after two rates
# in a row with drops. The whole run holds /tmp/mxsentry-lab.lock.
set -u
cd "$(dirname "$0")/../.."
if [ -z "${MXLIVE_LOCKED:-}" ]; then
	MXLIVE_LOCKED=1 exec flock /tmp/mxsentry-lab.lock "$PWD/tests/bench/live-scaling.sh" "$@"
fi
TOP=$PWD
BIN=${MXSENTRY:-$TOP/build/rel/mxsentry}
PCAP=${LIVE_PCAP:-$TOP/build/bench/bench-mail-400MB.pcap}
WORKERS=${LIVE_WORKERS:-"1 2"}
RATES=${LIVE_RATES:-"100 200 300 400 500 600 700 800 1000 1200"}
PACKETS=${LIVE_PACKETS:-300000}
NS=mxlive$$
TMP=$(mktemp -d /tmp/mxlive.XXXXXX)
SENSOR=""

die() {
	printf 'live-scaling: %s\n' "$*" >&2
	exit 1
}

cleanup() {
	[ -n "$SENSOR" ] && kill "$SENSOR" 2>/dev/null && wait "$SENSOR" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || die "needs root (a network namespace and a veth pair)"
command -v tcpreplay >/dev/null || die "tcpreplay missing (make bench-live installs it)"
[ -x "$BIN" ] || die "$BIN is not built (make build/rel/mxsentry)"
if [ ! -f "$PCAP" ]; then
	[ -x "$TOP/build/rel/tools/benchgen" ] || die "$PCAP missing and benchgen not built"
	mkdir -p "$(dirname "$PCAP")"
	"$TOP/build/rel/tools/benchgen" --profile mail "$PCAP" 400 >/dev/null ||
		die "benchgen could not make $PCAP"
fi

# One namespace, one veth pair: tcpreplay writes into vtx, the sensor
# listens on vrx. Jumbo MTU so every frame of the capture fits.
ip netns add "$NS" || die "cannot create a network namespace"
ip -n "$NS" link add vtx type veth peer name vrx || die "cannot create a veth pair"
ip -n "$NS" link set vtx mtu 9500 up
ip -n "$NS" link set vrx mtu 9500 up
ip -n "$NS" link set lo up
# No IPv6 autoconfiguration chatter on the link being measured.
ip netns exec "$NS" sysctl -qw net.ipv6.conf.vrx.disable_ipv6=1 net.ipv6.conf.vtx.disable_ipv6=1

# CPU seconds (user + system) of one thread: /proc/PID/task/TID/stat.
thread_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "$1"
}

# A counter out of the last stats record of an EVE file (0 when absent).
stat_of() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
last = None
for line in open(sys.argv[1]):
    if '"event_type":"stats"' in line:
        last = json.loads(line)["stats"]
v = last
for k in sys.argv[2].split("."):
    v = v.get(k, {}) if isinstance(v, dict) else {}
print(v if isinstance(v, int) else 0)
EOF
}

# CPU seconds of every thread of process $1, "tid seconds" per line.
threads_cpu() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '%s %s\n' "${t##*/}" "$(thread_cpu "$t/stat")"
	done
}

# One run: the sensor with $1 workers, tcpreplay at $2 Mbit/s. Prints
# "sent kernel_drops queue_drops order_waits capture_cpu worker_cpus": the
# waits of workers for an older DNS frame on another worker; the CPU seconds
# each thread spent while the frames were replayed and drained (the
# capture thread first; with one worker it runs the pipeline itself).
run_once() {
	local workers=$1 rate=$2 eve=$TMP/eve.json sent main_cpu wcpu=""
	rm -f "$eve"
	ip netns exec "$NS" "$BIN" -i vrx --workers "$workers" -e "$eve" -q \
		${LIVE_ARGS:-} 2>"$TMP/sensor.err" &
	SENSOR=$!
	# Ready when its capture socket is open and it answers SIGUSR1 with
	# a stats record. The SIGUSR1 handler is set a little after the
	# capture opens (a signal before it would end the sensor): wait 3 s.
	for _ in $(seq 100); do
		sleep 0.1
		find /proc/"$SENSOR"/fd -lname 'socket:*' 2>/dev/null | grep -q . && break
	done
	sleep 3
	for _ in $(seq 50); do
		sleep 0.3
		kill -USR1 "$SENSOR" 2>/dev/null || break
		grep -q '"event_type":"stats"' "$eve" 2>/dev/null && break
	done
	kill -0 "$SENSOR" 2>/dev/null || { cat "$TMP/sensor.err" >&2; die "the sensor did not start"; }
	threads_cpu "$SENSOR" >"$TMP/cpu0"
	sent=$(ip netns exec "$NS" tcpreplay -q --timer=nano -i vtx --mbps="$rate" --limit="$PACKETS" "$PCAP" 2>&1 |
		sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p')
	sleep 2 # the queues drain
	threads_cpu "$SENSOR" >"$TMP/cpu1"
	main_cpu=$(awk -v main="$SENSOR" 'NR == FNR { c0[$1] = $2; next }
		$1 == main { printf "%.2f", $2 - c0[$1] }' "$TMP/cpu0" "$TMP/cpu1")
	wcpu=$(awk -v main="$SENSOR" 'NR == FNR { c0[$1] = $2; next }
		$1 != main { printf " %.2f", $2 - c0[$1] }' "$TMP/cpu0" "$TMP/cpu1")
	kill -USR1 "$SENSOR"
	sleep 1
	kill "$SENSOR"
	wait "$SENSOR" 2>/dev/null
	SENSOR=""
	printf '%s %s %s %s %s%s\n' "${sent:-0}" \
		"$(($(stat_of "$eve" capture.kernel_drops) + $(stat_of "$eve" capture.kernel_ifdrops)))" \
		"$(stat_of "$eve" capture.worker_queue_drops)" \
		"$(stat_of "$eve" capture.worker_order_waits)" "$main_cpu" "$wcpu"
}

printf 'mxsentry live scaling, %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf 'machine: %s CPUs, %s, Linux %s\n' "$(nproc)" \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" "$(uname -r)"
printf 'capture: %s, first %s frames\n' "$(basename "$PCAP")" "$PACKETS"
for w in $WORKERS; do
	best=0 bad=0
	printf '== %s worker(s)\n' "$w"
	printf '%6s %8s %8s %8s %8s %8s  %s\n' Mbit/s sent k.drops q.drops waits main.cpu \
		"other threads' cpu"
	for r in $RATES; do
		run_once "$w" "$r" >"$TMP/result"
		# shellcheck disable=SC2046
		set -- $(cat "$TMP/result")
		printf '%6s %8s %8s %8s %8s %8s  %s\n' "$r" "$1" "$2" "$3" "$4" "$5" "${*:6}"
		if [ "$1" -gt 0 ] && [ "$2" = 0 ] && [ "$3" = 0 ]; then
			best=$r
			bad=0
		else
			bad=$((bad + 1))
			[ "$bad" -ge 2 ] && break
		fi
	done
	printf 'highest rate without a drop, %s worker(s): %s Mbit/s\n' "$w" "$best"
done
