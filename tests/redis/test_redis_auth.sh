#!/usr/bin/env bash
# Logging in to Redis: a wrong password, a missing password, (offline)
# an unreachable server and a rediss:// (TLS) URL, for the output, --state
# and `state show`, stop the sensor at start with exit 2 and a message
# naming the server; an ACL user holding only the commands the README
# gives works; one without XADD is refused at each write and every line
# is counted as rejected and dropped, the run goes on.
. "$(dirname "$0")/lib.sh"

REDIS_ADMIN_PW=adminpw
start_redis --requirepass "$REDIS_ADMIN_PW"
PCAP=$ROOT/pcaps/lab/strip-starttls.pcap

# expect_refused NAME SERVER-YAML TEXT: exit 2, stderr has TEXT.
expect_refused() {
	printf 'outputs:\n  - {type: eve-file, path: %s/%s.json}\n  - %s\n' "$TMP" "$1" "$2" >"$TMP/$1.yaml"
	"$MX" -c "$TMP/$1.yaml" -r "$PCAP" --trust-anchor "$TA" -q 2>"$TMP/$1.err"
	rc=$?
	[ $rc -eq 2 ] || fail "$1: exit $rc, expected 2 ($(cat "$TMP/$1.err"))"
	grep -q -- "$3" "$TMP/$1.err" || fail "$1: stderr lacks '$3': $(cat "$TMP/$1.err")"
	echo "$1: exit 2: $(head -n1 "$TMP/$1.err")"
}

expect_refused wrong-password "{type: redis, server: \"redis://127.0.0.1:$REDIS_PORT\", password: nottheone}" \
	"login as 'default' refused: WRONGPASS"
expect_refused no-password "{type: redis, server: \"redis://127.0.0.1:$REDIS_PORT\"}" \
	"the server wants a password"
expect_refused wrong-user "{type: redis, server: \"redis://nobody:$REDIS_ADMIN_PW@127.0.0.1:$REDIS_PORT\"}" \
	"login as 'nobody' refused"
expect_refused unreachable "{type: redis, server: \"redis://127.0.0.1:$(free_port)\", password: x}" \
	"cannot connect"
expect_refused bad-url "{type: redis, server: \"http://127.0.0.1\"}" \
	"expected redis://"
# TLS: Debian's hiredis has none; said as such (and without the password).
expect_refused tls "{type: redis, server: \"rediss://mxsentry:sensorpw@127.0.0.1:$REDIS_PORT\"}" \
	"rediss:// (TLS) is not supported"
! grep -q sensorpw "$TMP/tls.err" || fail "tls: the message shows the password"
"$MX" -r "$PCAP" --trust-anchor "$TA" -q --state "rediss://127.0.0.1:$REDIS_PORT?ns=t" 2>"$TMP/tls-state.err"
rc=$?
[ $rc -eq 2 ] && grep -q "rediss:// (TLS) is not supported" "$TMP/tls-state.err" ||
	fail "tls state: exit $rc: $(cat "$TMP/tls-state.err")"
echo "tls-state: exit 2: $(head -n1 "$TMP/tls-state.err")"
"$MX" state show --state "rediss://127.0.0.1:$REDIS_PORT?ns=t" >/dev/null 2>"$TMP/tls-show.err"
rc=$?
[ $rc -eq 2 ] && grep -q "rediss:// (TLS) is not supported" "$TMP/tls-show.err" ||
	fail "tls state show: exit $rc: $(cat "$TMP/tls-show.err")"

# The ACL of the README for the EVE output.
rcli ACL SETUSER mxsentry on '>sensorpw' resetkeys '~mxsentry*' resetchannels '&mxsentry*' \
	-@all +ping +rpush +publish +xadd >/dev/null || fail "ACL SETUSER"
rcli ACL SETUSER noxadd on '>sensorpw' '~*' '&*' -@all +ping +rpush >/dev/null || fail "ACL SETUSER"

cat >"$TMP/acl.yaml" <<YAML
outputs:
  - {type: eve-file, path: $TMP/acl.json, append: false}
  - {type: redis, server: "redis://127.0.0.1:$REDIS_PORT", username: mxsentry, password: sensorpw,
     mode: stream, key: mxsentry:eve, event-types: [alert]}
  - {type: redis, server: "unix://$REDIS_SOCK", username: mxsentry, password: sensorpw,
     mode: list, key: mxsentry:alerts, event-types: [alert]}
YAML
"$MX" -c "$TMP/acl.yaml" -r "$PCAP" --trust-anchor "$TA" -q 2>"$TMP/acl.err" || fail "acl: exit $? $(cat "$TMP/acl.err")"
alerts=$(grep -c '"event_type":"alert"' "$TMP/acl.json")
[ "$(rcli XLEN mxsentry:eve)" = "$alerts" ] && [ "$(rcli LLEN mxsentry:alerts)" = "$alerts" ] ||
	fail "acl: $alerts alerts, XLEN $(rcli XLEN mxsentry:eve), LLEN $(rcli LLEN mxsentry:alerts)"
[ "$(stats_counter "$TMP/acl.json" sent)" = $((2 * alerts)) ] || fail "acl: sent counter"
echo "acl user mxsentry: $alerts alerts in the stream and in the list"

cat >"$TMP/noxadd.yaml" <<YAML
outputs:
  - {type: eve-file, path: $TMP/noxadd.json, append: false}
  - {type: redis, server: "redis://noxadd:sensorpw@127.0.0.1:$REDIS_PORT", mode: stream, key: mx-denied}
YAML
"$MX" -c "$TMP/noxadd.yaml" -r "$PCAP" --trust-anchor "$TA" -q 2>"$TMP/noxadd.err" || fail "noxadd: exit $?"
grep -q "refuses the output's command: NOPERM" "$TMP/noxadd.err" || fail "noxadd: no warning: $(cat "$TMP/noxadd.err")"
q=$(stats_counter "$TMP/noxadd.json" queued)
r=$(stats_counter "$TMP/noxadd.json" rejected)
d=$(stats_counter "$TMP/noxadd.json" dropped)
s=$(stats_counter "$TMP/noxadd.json" sent)
[ "$q" -gt 0 ] && [ "$r" = "$q" ] && [ "$d" = "$q" ] && [ "$s" = 0 ] ||
	fail "noxadd: queued $q rejected $r dropped $d sent $s"
[ "$(rcli EXISTS mx-denied)" = 0 ] || fail "noxadd: the stream exists"
echo "acl user without XADD: queued $q = rejected $r = dropped $d, sent 0"
echo "PASS"
