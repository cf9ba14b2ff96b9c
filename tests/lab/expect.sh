#!/usr/bin/env bash
# Derives the alerts a correct mxsentry must raise for a lab capture, from
# what the capture itself shows (read with tshark) and from what the lab
# knows to be true: mx1.example.test (203.0.113.25) is example.test's only MX,
# it always offers STARTTLS, its TLSA record (3 1 1) pins the SPKI in
# MATDIR/mx1.spki-sha256, and every answer of the signed zone example.test
# carries RRSIGs and, for a denial, NSEC/NSEC3 proof.
#
#   tests/lab/expect.sh CAPTURE MATDIR   > CAPTURE-NAME.expected
#
# Prints one line per alert, `kind client_ip:port -> server_ip:port` (the
# flow's initiator first: the SMTP client, or the resolver that asked the DNS
# question), sorted and without repeats. The rules follow the detection
# table of DESIGN.md; pcaps/lab/README.md explains each.
set -euo pipefail

pcap=$1
mat=$2
mx_addr=203.0.113.25
mx_host=mx1.example.test
ns_addr=203.0.113.53
tlsa_spki=$(cat "$mat/mx1.spki-sha256")

# SPKI SHA-256 of a DER certificate given in hex on stdin.
spki_of_hex() {
	perl -ne 'chomp; print pack("H*", $_)' |
		openssl x509 -inform DER -noout -pubkey |
		openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}

smtp_rows() {
	tshark -r "$pcap" -Y 'tcp.port == 25' -T fields -E separator=/t -E aggregator='|' \
		-e tcp.stream -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport \
		-e tcp.flags.syn -e tcp.flags.ack -e smtp.req.command -e smtp.response.code \
		-e smtp.rsp.parameter -e tls.handshake.certificate 2>/dev/null
}

# SMTP: one verdict set per TCP stream.
smtp_rows | awk -F'\t' -v mx="$mx_addr" '
	$6 == 1 && $7 == 0 { flow[$1] = $2 ":" $3 " -> " $4 ":" $5; server[$1] = $4 }
	!($1 in flow) { next }
	$2 == server[$1] && $9 != "" {
		code = $9
		if (want_starttls_reply[$1]) {
			want_starttls_reply[$1] = 0
			if (code != 220) rejected[$1] = 1
		}
		if (code == 250 && index($10, "|") > 0) {
			ehlo[$1] = 1
			n = split(toupper($10), p, "|")
			for (i = 1; i <= n; i++) {
				if (p[i] == "STARTTLS") offered[$1] = 1
				if (p[i] == "XXXXXXXA") masked[$1] = 1
			}
		}
	}
	$2 != server[$1] && $8 != "" {
		c = toupper($8)
		if (c == "STAR") want_starttls_reply[$1] = 1
		if (c == "MAIL") cleartext_mail[$1] = 1
	}
	$2 == server[$1] && $11 != "" { split($11, certs, "|"); cert[$1] = certs[1] }
	END {
		for (s in flow) {
			f = flow[s]
			if (server[s] == mx) {
				if (masked[s]) print "starttls-masked " f
				else if (ehlo[s] && !offered[s]) print "starttls-stripped " f
				if (rejected[s]) print "starttls-rejected " f
				if (cleartext_mail[s]) print "cleartext-policy-violation " f
				if (cert[s] != "") print "CERT " s " " f " " cert[s]
			} else if (ehlo[s]) {
				print "mx-redirect " f
			}
		}
	}' | while read -r kind rest; do
	if [ "$kind" = CERT ]; then
		read -r _ client _ server hex <<<"$rest"
		[ "$(spki_of_hex <<<"$hex")" = "$tlsa_spki" ] || echo "tlsa-mismatch $client -> $server"
	else
		echo "$kind $rest"
	fi
done

# DNS: every answer of the lab name server as the resolver received it.
tshark -r "$pcap" -Y "dns.flags.response == 1 && ip.src == $ns_addr" -T fields \
	-E separator=/t -E aggregator='|' -e ip.dst -e udp.dstport -e tcp.dstport \
	-e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.count.answers \
	-e dns.resp.type -e dns.mx.mail_exchange -e dns.resp.z.do 2>/dev/null |
	awk -F'\t' -v ns="$ns_addr" -v mxh="$mx_host" '
	{
		port = $2 != "" ? $2 : $3
		f = $1 ":" port " -> " ns ":53"
		qname = tolower($4); qtype = $5; rcode = $6; nans = $7; dobit = $10
		n = split($8, t, "|"); sig = 0; proof = 0
		for (i = 1; i <= n; i++) {
			if (t[i] == 46) sig = 1
			if (t[i] == 47 || t[i] == 50) proof = 1
		}
		if (qtype == 15 && $9 != "") {
			m = split(tolower($9), x, "|")
			for (i = 1; i <= m; i++)
				if (x[i] != mxh) { print "mx-redirect " f; break }
		}
		if (dobit != 1 && dobit != "True") next
		if (rcode == 3 || (rcode == 0 && nans == 0)) {
			if (proof && sig) next
			if (qtype == 52) print "tlsa-stripped " f
			else if (qtype == 16 && qname ~ /^_mta-sts\./) print "mta-sts-stripped " f
			else print "dnssec-stripped " f
		} else if (rcode == 0 && !sig) {
			print "dnssec-stripped " f
		}
	}'
