#!/usr/bin/env bash
# Derives the alerts a correct mxsentry must raise for a lab capture, from
# what the capture itself shows (read with tshark) and from what the lab
# knows to be true. The lab's truth is in its zone files in MATDIR (every
# `*.zone` and `*.zone.*`: the signed example.test in each version the lab
# served, the unsigned plain.test): they name each domain's MX hosts, their
# addresses and their TLSA records, and every answer of a signed zone (one
# with a DNSKEY) carries RRSIGs and, for a denial, NSEC/NSEC3 proof. The lab
# servers always offer STARTTLS except where a TLSA-less zone says otherwise.
#
#   tests/lab/expect.sh CAPTURE MATDIR   > CAPTURE-NAME.expected
#
# Prints one line per alert, `kind client_ip:port -> server_ip:port` (the
# flow's initiator first: the SMTP client, or the resolver that asked the DNS
# question), and `field` lines (tests/pcap/README.md) for what the session
# records must say:
#   field smtp C -> S smtp.verdict.dane=ok   a whole session to a host with
#                                            TLSA whose visible chain matches
#   field smtp C -> S smtp.midstream=true    a session the capture picks up
#                                            after its beginning
#   field smtp C -> S smtp.verdict.dane!=fail  such a session to a host with
#                                            TLSA that shows TLS (STARTTLS
#                                            answered 220, or TLS records)
#                                            and no cleartext MAIL
#   field smtp C -> S smtp.verdict.mta-sts=ok  a session to an MX host of the
#                                            MTA-STS domain of MATDIR/sts.hosts
#                                            whose chain leads to lab-ca.crt
# Frames whose receiver dropped them (a wrong TCP or UDP checksum from a
# source whose first segment had a right one: insertion decoys) are taken
# out of the capture first; a source whose first checksum is wrong was
# captured with checksum offload on, and its checksums are all left alone.
# Lines are not sorted (make-captures.sh sorts them). The rules follow the
# detection table of DESIGN.md; pcaps/lab/README.md explains each.
set -euo pipefail

pcap=$1
mat=$2
ns_addr=203.0.113.53
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The zone data, one RR a line: owner, type, rdata (names lowercase, no final
# dot). A record in any version of a zone counts.
for z in "$mat"/*.zone "$mat"/*.zone.*; do
	[ -f "$z" ] || continue
	ldns-read-zone -E MX -E A -E TLSA -E DNSKEY "$z" 2>/dev/null
done | awk -F'\t' '{
	owner = tolower($1); sub(/\.$/, "", owner)
	data = $5
	if ($4 == "MX") { split(tolower(data), w, " "); data = w[2]; sub(/\.$/, "", data) }
	if ($4 == "TLSA") data = tolower(data)
	print owner "\t" $4 "\t" data
}' | sort -u >"$work/rrs"
# The frames the receivers dropped for their checksums, taken out.
mapfile -t dropped < <(tshark -r "$pcap" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-Y 'tcp || udp' -T fields -e frame.number -e ip.src -e tcp.checksum.status \
	-e udp.checksum.status 2>/dev/null | awk -F'\t' '{
	st = $3 != "" ? $3 : $4
	if (st != 0 && st != 1) next
	if (!($2 in first)) first[$2] = st
	if (st == 0 && first[$2] == 1) print $1
}')
if [ ${#dropped[@]} -gt 0 ]; then
	editcap "$pcap" "$work/received.pcap" "${dropped[@]}" >/dev/null ||
		{ echo "expect.sh: editcap failed" >&2; exit 1; }
	pcap=$work/received.pcap
fi

[ -s "$work/rrs" ] || {
	echo "expect.sh: no zone data in $mat" >&2
	exit 1
}

# "domain exchange" for every MX record; the apexes of the signed zones;
# "address<TAB>host<TAB>TLSA|TLSA..." for every MX host (TLSA empty: none).
awk -F'\t' '$2 == "MX" { print $1 " " $3 }' "$work/rrs" >"$work/mx"
awk -F'\t' '$2 == "DNSKEY" { print $1 }' "$work/rrs" | sort -u >"$work/signed"
awk -F'\t' '
	$2 == "MX" { mxhost[$3] = 1 }
	$2 == "A" { addr[$1] = $3 }
	$2 == "TLSA" { t = $1; sub(/^_25\._tcp\./, "", t); tlsa[t] = (t in tlsa ? tlsa[t] "|" : "") $3 }
	END { for (h in mxhost) if (h in addr) print addr[h] "\t" h "\t" tlsa[h] }
' "$work/rrs" >"$work/servers"

# Prints the lowercase hex of what a TLSA record with SELECTOR (0 whole
# certificate, 1 SPKI) and MATCHING type (0 full, 1 SHA-256, 2 SHA-512)
# compares, for the DER certificate in $work/cert.der.
tlsa_data_of() {
	local sel=$1 mt=$2 obj=$work/cert.der
	if [ "$sel" = 1 ]; then
		openssl x509 -inform DER -in "$work/cert.der" -noout -pubkey |
			openssl pkey -pubin -outform DER >"$work/spki.der" || return 1
		obj=$work/spki.der
	fi
	case $mt in
	0) od -An -v -tx1 "$obj" | tr -d ' \n' ;;
	1) sha256sum "$obj" | cut -d' ' -f1 ;;
	2) sha512sum "$obj" | cut -d' ' -f1 ;;
	*) return 1 ;;
	esac
}

# Succeeds when the certificate chain CERTS (DER in hex, `|` between
# certificates, the server's own first) matches one of the TLSA records
# RECS (`usage selector matching data`, `|` between records): DANE-EE (3)
# against the server's certificate, DANE-TA (2) against the others.
chain_matches() {
	local clist rlist c r i=0 u sel mt data
	IFS='|' read -ra clist <<<"$1"
	IFS='|' read -ra rlist <<<"$2"
	for c in "${clist[@]}"; do
		perl -ne 'chomp; print pack("H*", $_)' <<<"$c" >"$work/cert.der"
		for r in "${rlist[@]}"; do
			read -r u sel mt data <<<"$r"
			{ [ "$u" = 3 ] && [ $i = 0 ]; } || { [ "$u" = 2 ] && [ $i -gt 0 ]; } || continue
			[ "$(tlsa_data_of "$sel" "$mt")" = "$data" ] && return 0
		done
		i=$((i + 1))
	done
	return 1
}

# Succeeds when the chain CERTS (DER in hex, `|` between certificates, the
# server's own first) leads from a certificate for HOST to MATDIR/lab-ca.crt.
sts_chain_trusted() {
	local clist c i=0 host=$2
	IFS='|' read -ra clist <<<"$1"
	: >"$work/untrusted.pem"
	for c in "${clist[@]}"; do
		perl -ne 'chomp; print pack("H*", $_)' <<<"$c" |
			openssl x509 -inform DER -outform PEM >"$work/c$i.pem" 2>/dev/null || return 1
		[ $i = 0 ] || cat "$work/c$i.pem" >>"$work/untrusted.pem"
		i=$((i + 1))
	done
	[ $i -gt 0 ] || return 1
	if [ -s "$work/untrusted.pem" ]; then
		openssl verify -CAfile "$mat/lab-ca.crt" -untrusted "$work/untrusted.pem" \
			-purpose sslserver -verify_hostname "$host" "$work/c0.pem" >/dev/null 2>&1
	else
		openssl verify -CAfile "$mat/lab-ca.crt" -purpose sslserver \
			-verify_hostname "$host" "$work/c0.pem" >/dev/null 2>&1
	fi
}
[ -f "$mat/sts.hosts" ] || : >"$work/sts.hosts"
stsf=$mat/sts.hosts
[ -f "$stsf" ] || stsf=$work/sts.hosts

smtp_rows() {
	tshark -r "$pcap" -Y 'tcp.port == 25' -T fields -E separator=/t -E aggregator='|' \
		-e tcp.stream -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport \
		-e tcp.flags.syn -e tcp.flags.ack -e smtp.req.command -e smtp.response.code \
		-e smtp.rsp.parameter -e tls.handshake.certificate -e tcp.payload 2>/dev/null
}

# SMTP: one verdict set per TCP stream. A stream whose first packet is not
# the client's SYN began before the capture: its client is the side that is
# not port 25.
smtp_rows | awk -F'\t' -v serversf="$work/servers" -v stsf="$stsf" '
	BEGIN {
		while ((getline l < serversf) > 0) {
			split(l, a, "\t")
			legit[a[1]] = 1
			if (a[3] != "") dane[a[1]] = 1
		}
		while ((getline l < stsf) > 0) {
			split(l, a, "\t")
			sts[a[1]] = 1
		}
	}
	!($1 in flow) {
		if ($6 == 1 && $7 == 0) { c = $2 ":" $3; srv = $4; sp = $5; syn[$1] = 1 }
		else if ($5 == 25) { c = $2 ":" $3; srv = $4; sp = $5 }
		else if ($3 == 25) { c = $4 ":" $5; srv = $2; sp = $3 }
		else next
		flow[$1] = c " -> " srv ":" sp; server[$1] = srv
	}
	$2 == server[$1] && $9 != "" {
		code = $9
		if (want_starttls_reply[$1]) {
			want_starttls_reply[$1] = 0
			if (code != 220) rejected[$1] = 1
			else tls[$1] = 1
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
	$2 == server[$1] && $11 != "" && !($1 in cert) { cert[$1] = $11 }
	# A TLS record header (content type 20 to 23, version 3.x) starting a
	# segment: tshark does not dissect TLS whose STARTTLS it did not see.
	$12 ~ /^1[4-7]03/ { tls[$1] = 1 }
	END {
		for (s in flow) {
			f = flow[s]; sa = server[s]
			if (masked[s]) print "starttls-masked " f
			else if (dane[sa] && ehlo[s] && !offered[s]) print "starttls-stripped " f
			if (rejected[s]) print "starttls-rejected " f
			if (dane[sa] && cleartext_mail[s]) print "cleartext-policy-violation " f
			if (!legit[sa] && ehlo[s]) print "mx-redirect " f
			if (dane[sa] && (s in cert)) print "CERT " (syn[s] ? 1 : 0) " " f " " cert[s]
			if (!dane[sa] && sts[sa] && (s in cert)) print "STS " f " " cert[s]
			if (!syn[s]) print "field smtp " f " smtp.midstream=true"
			if (!syn[s] && dane[sa] && tls[s] && !cleartext_mail[s])
				print "field smtp " f " smtp.verdict.dane!=fail"
		}
	}' | while read -r kind rest; do
	if [ "$kind" = CERT ]; then
		read -r whole client _ server certs <<<"$rest"
		recs=$(awk -F'\t' -v a="${server%:*}" '$1 == a { print $3 }' "$work/servers")
		if chain_matches "$certs" "$recs"; then
			[ "$whole" = 0 ] || echo "field smtp $client -> $server smtp.verdict.dane=ok"
		else
			echo "tlsa-mismatch $client -> $server"
		fi
	elif [ "$kind" = STS ]; then
		read -r client _ server certs <<<"$rest"
		host=$(awk -F'\t' -v a="${server%:*}" '$1 == a { print $2 }' "$stsf")
		if sts_chain_trusted "$certs" "$host"; then
			echo "field smtp $client -> $server smtp.verdict.mta-sts=ok"
		else
			echo "certificate-not-trusted $client -> $server"
		fi
	else
		echo "$kind $rest"
	fi
done

# DNS: every answer of the lab name server as the resolver received it.
tshark -r "$pcap" -Y "dns.flags.response == 1 && ip.src == $ns_addr" -T fields \
	-E separator=/t -E aggregator='|' -e ip.dst -e udp.dstport -e tcp.dstport \
	-e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.count.answers \
	-e dns.resp.type -e dns.mx.mail_exchange -e dns.resp.z.do 2>/dev/null |
	awk -F'\t' -v ns="$ns_addr" -v mxf="$work/mx" -v signedf="$work/signed" '
	BEGIN {
		while ((getline l < mxf) > 0) is_mx[l] = 1
		while ((getline l < signedf) > 0) apex[l] = 1
	}
	# True when NAME is at or below the apex of a signed zone.
	function signed(name) {
		while (name != "") {
			if (name in apex) return 1
			if (index(name, ".") == 0) return 0
			name = substr(name, index(name, ".") + 1)
		}
		return 0
	}
	{
		port = $2 != "" ? $2 : $3
		f = $1 ":" port " -> " ns ":53"
		qname = tolower($4); sub(/\.$/, "", qname)
		qtype = $5; rcode = $6; nans = $7; dobit = $10
		n = split($8, t, "|"); sig = 0; proof = 0
		for (i = 1; i <= n; i++) {
			if (t[i] == 46) sig = 1
			if (t[i] == 47 || t[i] == 50) proof = 1
		}
		if (qtype == 15 && $9 != "") {
			m = split(tolower($9), x, "|")
			for (i = 1; i <= m; i++) {
				sub(/\.$/, "", x[i])
				if (!((qname " " x[i]) in is_mx)) { print "mx-redirect " f; break }
			}
		}
		if (dobit != 1 && dobit != "True") next
		if (!signed(qname)) next
		if (rcode == 3 || (rcode == 0 && nans == 0)) {
			if (proof && sig) next
			if (qtype == 52) print "tlsa-stripped " f
			else if (qtype == 16 && qname ~ /^_mta-sts\./) print "mta-sts-stripped " f
			else print "dnssec-stripped " f
		} else if (rcode == 0 && !sig) {
			print "dnssec-stripped " f
		}
	}'
