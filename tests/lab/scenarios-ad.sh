# shellcheck shell=bash
# The lab's resolver-AD scenarios: the sending MTA's validating resolver
# stands across the router (start_unbound remote, 203.0.113.54), as an ISP's
# or a data centre's resolver does, so the capture on r-cli holds what a
# span port in front of the MTA holds: the resolver's answers to Postfix,
# swaks and posttls-finger with AD=1, and the SMTP sessions; not the
# resolver's own lookups at nsd (DNSKEY and DS of the chain), which stay in
# the server namespace. A sensor reading these captures without a trust
# anchor has nothing but the AD bit to go by. Source lab.sh first.

# shellcheck disable=SC2034
LAB_AD_SCENARIOS="ad-clean ad-strip ad-tlsa-mismatch ad-tlsa-stripped ad-bogus"

# The scenarios without an attack: a correct sensor raises nothing on them.
# shellcheck disable=SC2034
LAB_AD_BENIGN="ad-clean"

# Builds the world of these scenarios: nsd with the signed zone, the remote
# validating unbound as every client's resolver, mx1, the DANE sender with
# TLS 1.2 forced (certificates visible). No unbound runs in the client
# namespace: its lookups would cross the router and bring the chain in.
lab_ad_world() {
	LAB_DANE_RESOLVER=$LAB_UNBOUND_REMOTE_ADDR
	LAB_CLIENT_RESOLVER=$LAB_UNBOUND_REMOTE_ADDR
	lab_up
	lab_material "${LAB_MAT:-}"
	start_nsd
	start_unbound remote
	start_postfix_receiver mx1 "$LAB_MX_ADDR"
	start_postfix_sender dane "smtp_tls_protocols = >=TLSv1.2, <=TLSv1.2" \
		"smtp_tls_mandatory_protocols = >=TLSv1.2, <=TLSv1.2"
}

# A DANE delivery, verified against mx1's TLSA record.
scenario_ad-clean() {
	send_postfix sent
	lab_sender_log_has 'Verified TLS connection established to mx1\.example\.test\[203\.0\.113\.25\]:25: TLSv1\.2' \
		"DANE-verified TLS 1.2 to mx1"
}

# STARTTLS stripped: the DANE sender defers, swaks delivers in cleartext.
scenario_ad-strip() {
	start_mitm strip-starttls
	send_postfix deferred
	lab_sender_log_has 'TLS is required, but was not offered' "Postfix saw no STARTTLS"
	send_swaks --tls-optional
}

# The attacker's own certificate: the DANE sender and posttls-finger find
# no matching TLSA record, swaks (no verification) delivers through it.
scenario_ad-tlsa-mismatch() {
	start_mitm own-cert
	send_postfix deferred
	send_swaks --tls
	run_posttls_finger || true
}

# One DANE delivery (MX, A and TLSA answered with AD=1), then an attacker
# between the sender and its resolver turns the TLSA answer into a bare
# NXDOMAIN without AD: Postfix takes mx1 as a host without usable TLSA
# records and delivers with opportunistic TLS, unverified.
scenario_ad-tlsa-stripped() {
	send_postfix sent
	start_mitm stub-strip-tlsa
	restart_postfix_sender
	lab_sender_log_mark
	send_postfix sent
	lab_sender_log_has 'Untrusted TLS connection established to mx1\.example\.test|Trusted TLS connection established to mx1\.example\.test|Anonymous TLS connection established to mx1\.example\.test' \
		"delivery to mx1 without DANE verification"
}

# A client asks the resolver for the zone's DNSKEY (dig stands in for any
# that does: a monitoring probe, a validating stub); then an attacker
# between the sender and its resolver changes the signature of the MX
# answer's RRSIG and leaves AD=1. Postfix believes the AD bit and delivers;
# the signature no longer verifies under the keys the resolver vouched for.
scenario_ad-bogus() {
	lab_exec cli dig +dnssec DNSKEY example.test | grep -E 'flags:|DNSKEY' >&2
	start_mitm stub-bogus-rrsig
	send_postfix sent
}

# Runs resolver-AD scenario NAME in a fresh lab, capturing on the router's
# r-cli into FILE.
lab_run_ad_scenario() {
	local name=$1 file=$2
	lab_ad_world
	capture_start "$(lab_router_iface)" "$file"
	lab_hook start "$name"
	lab_sender_log_mark
	"scenario_$name"
	lab_hook stop "$name"
	capture_stop
}
