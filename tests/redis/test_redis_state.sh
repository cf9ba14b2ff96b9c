#!/usr/bin/env bash
# Two sensors, one picture (--state redis://): sensor A sees only the DNS
# packets of a lab capture with a DANE domain, sensor B only its SMTP
# packets. B raises the alerts one sensor seeing the whole capture raises
# (starttls-stripped among them), and its expectation names where it came
# from ("learned_from": "sensor A via redis: DNS TLSA answer"), whether
# A's facts were:
#  - loaded at start (A ran before B), and
#  - polled while running (B had read packets, and so loaded an empty
#    store, before A stored anything; its SMTP packets come one second
#    after A ended).
# Both log in as an ACL user holding only the commands the README lists;
# `mxsentry state show` reads the shared store and names sensor A.
# Alone, B raises nothing; namespaces keep deployments apart; every fact
# has a Redis TTL. (Idempotent writes and timestamps deciding between
# sensors: tests/unit/test_state_redis.c.)
. "$(dirname "$0")/lib.sh"

command -v tcpdump >/dev/null || { echo "tcpdump is not installed"; exit 77; }
REDIS_ADMIN_PW=adminpw
start_redis --requirepass "$REDIS_ADMIN_PW"
CAP=$ROOT/pcaps/lab/strip-starttls.pcap
tcpdump -r "$CAP" -w "$TMP/dns.pcap" 'port 53' 2>/dev/null
tcpdump -r "$CAP" -w "$TMP/smtp.pcap" 'not port 53' 2>/dev/null
# The sensors log in as the README's state ACL user (+select: db 1).
rcli ACL SETUSER sensor on '>sensorpw' resetkeys '~mxsentry:*' resetchannels -@all +ping +select \
	+eval +hmget +hset +persist +pexpire +zadd +xadd +del +xread +xrevrange +zcard +zpopmin \
	+zremrangebyscore +zrange +zscore >/dev/null || fail "ACL SETUSER"
URL="redis://sensor:sensorpw@127.0.0.1:$REDIS_PORT/1"

# alerts FILE: the alerts of an EVE file without what names the input or
# the sensor an expectation was shared by.
alerts() {
	python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["event_type"] == "alert":
        r.pop("pcap_filename", None)
        r.pop("flow_id", None)
        r.get("downgrade", {}).get("expectation", {}).pop("learned_from", None)
        print(json.dumps(r, sort_keys=True))
PY
}

# names_source FILE: B's starttls-stripped expectation names sensor A.
names_source() {
	python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["event_type"] == "alert" and r["downgrade"]["kind"] == "starttls-stripped":
        got = r["downgrade"]["expectation"].get("learned_from")
        print("starttls-stripped: expectation.learned_from = %r" % got)
        sys.exit(0 if got == "sensor A via redis: DNS TLSA answer" else 1)
sys.exit(1)
PY
}

"$MX" -r "$CAP" --trust-anchor "$TA" -e "$TMP/whole.json" -q || fail "whole capture: exit $?"
alerts "$TMP/whole.json" >"$TMP/whole.alerts"
grep -q '"kind": "starttls-stripped"' "$TMP/whole.alerts" || fail "the whole capture raises no starttls-stripped"

"$MX" -r "$TMP/smtp.pcap" -e "$TMP/alone.json" -q || fail "B alone: exit $?"
[ -z "$(alerts "$TMP/alone.json")" ] || fail "B alone raises alerts"

# 1. A before B: B loads what A stored.
"$MX" -r "$TMP/dns.pcap" --trust-anchor "$TA" -e "$TMP/a1.json" -q --state "$URL?ns=load&sensor=A" ||
	fail "A: exit $?"
"$MX" -r "$TMP/smtp.pcap" -e "$TMP/b1.json" -q --state "$URL?ns=load&sensor=B" || fail "B: exit $?"
alerts "$TMP/b1.json" | diff "$TMP/whole.alerts" - || fail "B (loaded) does not raise what the whole capture raises"
[ "$(rcli -n 1 HGET 'mxsentry:{load}:f:tlsa:mx1.example.test:25' n)" = A ] ||
	fail "the TLSA expectation in Redis does not name sensor A"
names_source "$TMP/b1.json" || fail "B's expectation (loaded) does not name sensor A"
"$MX" state show --state "$URL?ns=load&sensor=viewer" example.test >"$TMP/show.txt" ||
	fail "state show: exit $?"
grep -A1 '^tlsa mx1.example.test:25$' "$TMP/show.txt" | grep -q 'source   sensor A via redis: DNS TLSA answer' ||
	fail "state show does not name sensor A: $(cat "$TMP/show.txt")"
grep -q learned_from "$TMP/whole.json" && fail "one sensor's own alerts name a sharing sensor"
echo "loaded: B raises the $(wc -l <"$TMP/whole.alerts") alerts of the whole capture"

# 2. B reading first (filler packets), A stores, B's SMTP packets 1 s later.
python3 tests/redis/gated_pcap.py "$TMP/go" "$TMP/smtp.pcap" |
	"$MX" -r - -e "$TMP/b2.json" -q --state "$URL?ns=poll&sensor=B" 2>"$TMP/b2.err" &
B=$!
for _ in $(seq 200); do
	[ -f "$TMP/go.filled" ] && break
	sleep 0.05
done
[ -f "$TMP/go.filled" ] || fail "B does not read its input"
"$MX" -r "$TMP/dns.pcap" --trust-anchor "$TA" -e "$TMP/a2.json" -q --state "$URL?ns=poll&sensor=A" ||
	fail "A: exit $?"
sleep 1
touch "$TMP/go"
wait $B || fail "B (polling): exit $? $(cat "$TMP/b2.err")"
alerts "$TMP/b2.json" | diff "$TMP/whole.alerts" - || fail "B (polled) does not raise what the whole capture raises"
names_source "$TMP/b2.json" || fail "B's expectation (polled) does not name sensor A"
python3 - "$TMP/b2.json" <<'PY' || fail "B polled nothing"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"event_type":"stats"' in l][-1]["stats"]
st = s["state"]
print("polled: state.loaded %d, state.polled %d, redis fetched %d missing %d"
      % (st["loaded"], st["polled"], st["redis"]["fetched"], st["redis"]["missing"]))
sys.exit(0 if st["loaded"] == 0 and st["polled"] > 0 else 1)
PY

# A capture older than the namespace's newest packet starts a new timeline,
# and the message says so without the password.
"$MX" -r "$TMP/dns.pcap" --trust-anchor "$TA" -e /dev/null -q --state "$URL?ns=load&sensor=A3" \
	2>"$TMP/old.err" || fail "older capture: exit $?"
grep -q "redis://\*\*\*@127.0.0.1:$REDIS_PORT/1?ns=load&sensor=A3: the capture starts" "$TMP/old.err" ||
	fail "no new-timeline message: $(cat "$TMP/old.err")"
grep -q sensorpw "$TMP/old.err" && fail "a message shows the password"
echo "older capture: $(head -c 120 "$TMP/old.err")"

# 3. Namespaces: another deployment sees nothing of these.
"$MX" -r "$TMP/smtp.pcap" -e "$TMP/other.json" -q --state "$URL?ns=elsewhere&sensor=B" || fail "other ns: exit $?"
[ -z "$(alerts "$TMP/other.json")" ] || fail "a sensor of another namespace raised alerts"

# 4. TTLs: every fact carries one.
for k in $(rcli -n 1 --scan --pattern 'mxsentry:{load}:f:*'); do
	ttl=$(rcli -n 1 PTTL "$k")
	[ "$ttl" -gt 0 ] || fail "$k has no TTL ($ttl)"
done
echo "every fact has a TTL"
echo "PASS"
