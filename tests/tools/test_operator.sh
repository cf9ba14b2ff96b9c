#!/usr/bin/env bash
# test_operator.sh - the operator commands: --build-info names the version,
# the git revision and every library; --list-rules has one line per rule of
# rules/default.yaml with its sid, rev, kind, severity, enabled flag and
# threshold, and shows a rules directory's thresholds and disabled rules;
# --dump-config gives YAML that -c takes back to the same text (defaults
# alone, and a file plus flags including a filter with quotes and
# backslashes); -T says what it loaded. Exits 0 when every check passed.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${MXSENTRY:-$ROOT/build/asan/mxsentry}
FIX=$ROOT/tests/pcap/rules-fixtures
[ -x "$BIN" ] || { echo "$BIN missing: make check-build"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_operator.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT" || exit 1

. "$ROOT/tests/tools/check.sh"

# --build-info
"$BIN" --build-info >"$TMP/bi" 2>&1
check "--build-info: exit 0" test $? = 0
check "--build-info: version as -V says" \
	test "mxsentry $(sed -n 's/^version: //p' "$TMP/bi")" = "$("$BIN" -V)"
# The revision the binary was built from: a commit of this repository.
rev=$(sed -n 's/^git-revision: \([0-9a-f]*\)\(-dirty\)\{0,1\}$/\1/p' "$TMP/bi")
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	check "--build-info: git revision '$rev' is a commit here" \
		git -C "$ROOT" cat-file -e "${rev:-none}^{commit}"
else
	check "--build-info: git revision unknown outside git" grep -qx 'git-revision: unknown' "$TMP/bi"
fi
for lib in libpcap nDPI ldns libyaml OpenSSL jansson zlib SQLite hiredis features; do
	check "--build-info: $lib" grep -Eq "^$lib: [^ ]" "$TMP/bi"
done
check "--build-info: libpcap's own version string" \
	grep -q "^libpcap: libpcap version [0-9]" "$TMP/bi"

# --list-rules: the built-in rules.
"$BIN" --list-rules >"$TMP/lr" 2>&1
check "--list-rules: exit 0" test $? = 0
python3 - "$TMP/lr" rules/default.yaml <<'PY' >"$TMP/lr.check" 2>&1
import sys, yaml
lines = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
rules = yaml.safe_load(open(sys.argv[2]))["rules"]
want = [[str(r["sid"]), str(r["rev"]), r["kind"], str(r["severity"]),
         "yes" if r.get("enabled", True) else "no", "none"] for r in rules]
got = [l[:5] + [" ".join(l[5:])] for l in lines]
if sorted(got) != sorted(want):
    print("got", got, "\nwant", want)
    sys.exit(1)
print(len(got), "rules")
PY
check "--list-rules: one line per rule of rules/default.yaml ($(tail -n1 "$TMP/lr.check"))" \
	test $? = 0
"$BIN" --list-rules -c "$FIX/good-config.yaml" >"$TMP/lr2" 2>&1
check "--list-rules -c: a rule's own threshold" \
	grep -Eq '^[0-9]+ +[0-9]+ +starttls-stripped +[0-9] +yes +both by_domain count 2 seconds 300$' "$TMP/lr2"
check "--list-rules -c: the sid 0 default threshold" \
	grep -Eq '^[0-9]+ +[0-9]+ +mx-redirect +[0-9] +yes +limit by_src count 5 seconds 60 \(sid 0 default\)$' "$TMP/lr2"
check "--list-rules -c: a disabled rule" grep -Eq '^[0-9]+ +[0-9]+ +dns-answer-race +[0-9] +no ' "$TMP/lr2"

# --dump-config round trips: dump -> -c -> dump gives the same text.
roundtrip() { # roundtrip NAME ARGS...
	local name=$1 rc
	shift
	"$BIN" --dump-config "$@" >"$TMP/$name.1" 2>"$TMP/$name.err"
	rc=$?
	check "--dump-config $name: exit 0 (got $rc)" test $rc = 0 || cat "$TMP/$name.err"
	"$BIN" --dump-config -c "$TMP/$name.1" >"$TMP/$name.2" 2>"$TMP/$name.err"
	check "--dump-config $name: -c takes it back" test $? = 0 || cat "$TMP/$name.err"
	check "--dump-config $name: dump -> -c -> dump is the same text" cmp -s "$TMP/$name.1" "$TMP/$name.2" ||
		diff "$TMP/$name.1" "$TMP/$name.2" | head
}
roundtrip defaults
roundtrip "-e" -e "$TMP/out.json"
cat >"$TMP/full.yaml" <<'YAML'
capture: {files: [a.pcap, "dir/b c.pcap.gz"], snaplen: 1500, promisc: false}
flow: {memcap: 100000000, timeouts: {udp: 5}}
stream: {recent-window: 0}
trusted-resolvers: [192.0.2.53, "2001:db8::53"]
outputs:
  - {type: eve-file, path: alerts.json, append: false, event-types: [alert, smtp]}
  - {type: syslog, facility: mail, event-types: [alert]}
  - {type: stdout, event-types: [stats], dns-version: 2}
  - {type: fast, path: fast.log, filemode: "0600"}
  - {type: redis, server: "redis://127.0.0.1:6379/0", mode: stream, key: k, memcap: 1mb,
     flush-timeout: 9, event-types: [alert]}
app: {flow-records-without-data: true}
home-net: [192.0.2.0/24, "2001:db8::/32"]
mail-relays: 198.51.100.25
summary: sum.json
state: /var/lib/mxsentry/state.db
state-max-rows: 5000
user: nobody
YAML
roundtrip "file+flags" -c "$TMP/full.yaml" -i eth9 -f 'tcp port 25 and ether[0] = 0x01 or "q\uote"' \
	--workers 3 --redact -l "$TMP/logs" --trust-anchor pcaps/lab/trust-anchor.ds \
	-p "$FIX/policy.yaml" -R "$FIX/good-rules" --stats-interval 7 --pidfile /run/x.pid
d=$TMP/file+flags.1
check "--dump-config: the flags win (interface, workers, redact, stats-interval)" bash -c \
	"grep -qx '  interface: \"eth9\"' '$d' && grep -qx 'workers: 3' '$d' &&
	 grep -qx 'redact-local-parts: true' '$d' && grep -qx 'stats-interval: 7' '$d'"
check "--dump-config: the file's values (sizes, lists, outputs)" bash -c \
	"grep -qx '  memcap: 100000000' '$d' && grep -qx '  recent-window: 0' '$d' &&
	 grep -qx '    facility: mail' '$d' && grep -qx '  - \"2001:db8::53\"' '$d' &&
	 grep -qx '    event-types: \[alert, smtp\]' '$d'"
check "--dump-config: a fast output, filemode, dns-version" bash -c \
	"grep -qx '  - type: fast' '$d' && grep -qx '    filemode: \"0600\"' '$d' &&
	 grep -qx '    dns-version: 2' '$d'"
check "--dump-config: home-net and mail-relays" bash -c \
	"grep -qx '  - \"192.0.2.0/24\"' '$d' && grep -qx '  - \"2001:db8::/32\"' '$d' &&
	 grep -qx '  - \"198.51.100.25/32\"' '$d'"
check "--dump-config: a redis output and the state keys" bash -c \
	"grep -qx '    mode: stream' '$d' && grep -qx '    flush-timeout: 9' '$d' &&
	 grep -qx 'state-max-rows: 5000' '$d' && grep -qx '  flow-records-without-data: true' '$d'"
check "--dump-config: quotes and backslashes escaped" \
	grep -qF 'bpf: "tcp port 25 and ether[0] = 0x01 or \"q\\uote\""' "$d"
check "--dump-config: the defaults the file left alone" bash -c \
	"grep -qx '  hash-size: 0' '$d' && grep -qx '    new: 30' '$d'"

# -T: what it loaded.
"$BIN" -T -c "$FIX/good-config.yaml" >"$TMP/t" 2>&1
check "-T: exit 0" test $? = 0
check "-T: rules, thresholds, suppressions" \
	grep -qx 'rules: 20 enabled of 21 (built in, then tests/pcap/rules-fixtures/good-rules), 3 thresholds, 4 suppressions' "$TMP/t"
check "-T: policies" grep -q '^policies: 3 ' "$TMP/t"
check "-T: trust anchors" grep -qx 'trust anchors: 2 (the built-in IANA root anchors)' "$TMP/t"
"$BIN" -T --trust-anchor pcaps/lab/trust-anchor.ds -c "$TMP/full.yaml" >"$TMP/t2" 2>&1
check "-T: a trust anchor file and the trusted resolvers" bash -c \
	"grep -q '^trust anchors: [1-9][0-9]* (pcaps/lab/trust-anchor.ds)' '$TMP/t2' &&
	 grep -qx 'trusted resolvers: 2 (192.0.2.53, 2001:db8::53)' '$TMP/t2'"
check "-T: the default live filter, 2525 and VLAN included" \
	grep -q '^live filter: (tcp port 25 .*tcp port 2525.*vlan and' "$TMP/t"

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
