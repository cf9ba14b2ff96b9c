#!/usr/bin/env bash
# Derives the alerts a correct mxsentry must raise, read without a trust
# anchor, for a capture of the lab's resolver-AD scenarios
# (tests/lab/scenarios-ad.sh): the senders' DNS with their validating
# resolver (answers with AD=1) and the SMTP sessions, without the chain
# the resolver validated. The lab's truth is the zone files in MATDIR, as
# for tests/lab/expect.sh, which gives the SMTP lines (the same rules hold:
# the DANE expectation is there, it only rests on the resolver's AD bit).
# The DNS lines, for every answer of a resolver (any source of port 53 but
# the lab's name server):
#   dnssec-bogus      an answer with AD=1 holding an RRSIG whose signature
#                     is none of the zone's (the zone files hold every
#                     signature the zone keys made), once a DNSKEY answer
#                     of that zone with AD=1 came before (the keys the
#                     sensor checks it under, on the resolver's word)
#   tlsa-stripped, mta-sts-stripped, dnssec-stripped
#                     an answer without AD to a DO query of a type that
#                     carries an expectation (MX, A, AAAA, TLSA, the
#                     _mta-sts TXT), for a name in a signed zone that the
#                     same resolver answered with AD=1 before: a denial of
#                     TLSA or of _mta-sts is tlsa-/mta-sts-stripped,
#                     anything else dnssec-stripped
# and for each alert that rests on an expectation (the strips, cleartext
# mail and a TLSA mismatch to a DANE host) a field line saying it rests on
# the resolver's AD bit: downgrade.expectation.trust=resolver-ad, and
# downgrade.expectation.resolver when one resolver answered with AD=1.
#
#   tests/lab/expect-ad.sh CAPTURE MATDIR   > CAPTURE-NAME.expected
#
# Lines are not sorted (make-ad-captures.sh sorts them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pcap=$1
mat=$2
ns_addr=203.0.113.53
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$here/expect.sh" "$pcap" "$mat" >"$work/smtp"

# The apexes of the signed zones, and the signatures (hex) of every RRSIG
# in any version of a zone.
for z in "$mat"/*.zone "$mat"/*.zone.*; do
	[ -f "$z" ] || continue
	ldns-read-zone -E DNSKEY -E RRSIG "$z" 2>/dev/null
done >"$work/rrs"
awk -F'\t' '$4 == "DNSKEY" { o = tolower($1); sub(/\.$/, "", o); print o }' "$work/rrs" |
	sort -u >"$work/signed"
awk -F'\t' '$4 == "RRSIG" { n = split($5, w, " "); print w[n] }' "$work/rrs" |
	while read -r b64; do
		printf '%s' "$b64" | base64 -d | od -An -v -tx1 | tr -d ' \n'
		echo
	done | sort -u >"$work/sigs"
[ -s "$work/signed" ] && [ -s "$work/sigs" ] || {
	echo "expect-ad.sh: no signed zone in $mat" >&2
	exit 1
}

tshark -r "$pcap" -Y "dns.flags.response == 1 && ip.src != $ns_addr && (udp.srcport == 53 || tcp.srcport == 53)" \
	-T fields -E separator=/t -E aggregator='|' -e ip.src -e ip.dst -e udp.dstport -e tcp.dstport \
	-e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.count.answers -e dns.resp.type \
	-e dns.flags.authenticated -e dns.resp.z.do -e dns.rrsig.signature 2>/dev/null |
	awk -F'\t' -v signedf="$work/signed" -v sigsf="$work/sigs" '
	BEGIN {
		while ((getline l < signedf) > 0) apex[l] = 1
		while ((getline l < sigsf) > 0) known[l] = 1
	}
	# The apex of the signed zone NAME is in, or "".
	function zone_of(name) {
		while (name != "") {
			if (name in apex) return name
			if (index(name, ".") == 0) return ""
			name = substr(name, index(name, ".") + 1)
		}
		return ""
	}
	{
		res = $1; port = $3 != "" ? $3 : $4
		f = $2 ":" port " -> " res ":53"
		qname = tolower($5); sub(/\.$/, "", qname)
		qtype = $6; rcode = $7; nans = $8
		ad = ($10 == 1 || $10 == "True"); dobit = ($11 == 1 || $11 == "True")
		zone = zone_of(qname)
		if (zone == "") next
		n = split($9, t, "|"); sig = 0; proof = 0
		for (i = 1; i <= n; i++) {
			if (t[i] == 46) sig = 1
			if (t[i] == 47 || t[i] == 50) proof = 1
		}
		bogus = 0
		m = split($12, s, "|")
		for (i = 1; i <= m; i++) {
			x = tolower(s[i]); gsub(/:/, "", x)
			if (x != "" && !(x in known)) bogus = 1
		}
		if (ad) {
			if (bogus && (zone in keys)) {
				print "dnssec-bogus " f
				print "field alert " f " downgrade.evidence.validation=bogus"
				next
			}
			if (qtype == 48) keys[zone] = 1
			adseen[res " " zone] = 1
			resolvers[res] = 1
			next
		}
		if (!dobit || !((res " " zone) in adseen)) next
		sts = (qtype == 16 && qname ~ /^_mta-sts\./)
		if (qtype != 15 && qtype != 1 && qtype != 28 && qtype != 52 && !sts) next
		if (rcode == 3 || (rcode == 0 && nans == 0)) {
			if (qtype == 52) k = "tlsa-stripped"
			else if (sts) k = "mta-sts-stripped"
			else k = "dnssec-stripped"
		} else if (rcode == 0) {
			k = "dnssec-stripped"
		} else next
		print k " " f
		print "TRUST " f
	}
	END { for (r in resolvers) print "RESOLVER " r }' >"$work/dns"

resolver=""
[ "$(grep -c '^RESOLVER ' "$work/dns")" = 1 ] && resolver=$(sed -n 's/^RESOLVER //p' "$work/dns")
{
	grep -v '^RESOLVER \|^TRUST ' "$work/dns" || true
	cat "$work/smtp"
	{
		sed -n 's/^TRUST //p' "$work/dns"
		sed -n 's/^\(starttls-stripped\|cleartext-policy-violation\|tlsa-mismatch\) //p' "$work/smtp"
	} | while read -r flow; do
		echo "field alert $flow downgrade.expectation.trust=resolver-ad"
		[ -z "$resolver" ] || echo "field alert $flow downgrade.expectation.resolver=$resolver"
	done
}
