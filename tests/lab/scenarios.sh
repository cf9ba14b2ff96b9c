# shellcheck shell=bash
# The lab's scenarios: each scenario_NAME function runs, inside a lab that
# lab_world has built, the mail traffic of one attack (or of none), between
# lab_hook start and lab_hook stop. Source lab.sh first.
#
# Senders: the DANE-enforcing Postfix (192.0.2.25, through the validating
# unbound), swaks (192.0.2.11, opportunistic or forced TLS), posttls-finger
# (192.0.2.10, DANE level) and, for the forged MX, a Postfix with
# opportunistic TLS behind a non-validating unbound (192.0.2.25 as well).

# shellcheck disable=SC2034
LAB_SCENARIOS="clean-tls12 clean-tls13 strip-starttls mask-starttls starttls-454 mitm-cert
forged-mx stripped-tlsa stripped-rrsig stripped-mta-sts"

# Builds the world every scenario starts from: nsd with the signed zone, the
# validating unbound, mx1 (and the rogue MX for forged-mx), the DANE sender.
# Extra arguments are main.cf lines for the DANE sender.
lab_world() {
	lab_up
	lab_material "${LAB_MAT:-}"
	start_nsd
	start_unbound validating
	start_postfix_receiver mx1 "$LAB_MX_ADDR"
	start_postfix_sender dane "$@"
}

# Postfix looks up DNS only when it sends, so its first lookups go into the
# capture. Between the phases of a scenario, a fresh unbound fetches DNSKEY
# and the records again, inside the capture, as it would for a domain it has
# not seen, and a fresh sending Postfix forgets the TLSA records it cached.
lab_fresh_resolver() {
	stop_unbound validating
	start_unbound validating
	restart_postfix_sender
}

scenario_clean-tls12() {
	send_postfix sent
	send_swaks --tls --tls-protocol tlsv1_2
}

scenario_clean-tls13() {
	send_postfix sent
	run_posttls_finger
	send_swaks --tls --tls-protocol tlsv1_3
}

# The sending Postfix refuses (TLS required but not offered); swaks, like any
# opportunistic sender, delivers in cleartext.
lab_scenario_downgrade() {
	start_mitm "$1"
	send_postfix deferred
	send_swaks --tls-optional
}

scenario_strip-starttls() { lab_scenario_downgrade strip-starttls; }
scenario_mask-starttls() { lab_scenario_downgrade mask-starttls; }
scenario_starttls-454() { lab_scenario_downgrade starttls-454; }

# The sending Postfix aborts on the certificate that matches no TLSA record;
# swaks (no verification) delivers through the attacker; posttls-finger
# reports the failed DANE match.
scenario_mitm-cert() {
	start_mitm own-cert
	send_postfix deferred
	send_swaks --tls
	run_posttls_finger || true
}

# One clean delivery first (the validated MX set is seen), then the MX answer
# is forged: the validating resolver calls it bogus and the DANE sender
# defers; a sender behind a non-validating resolver delivers to the rogue MX.
scenario_forged-mx() {
	send_postfix sent
	start_mitm forge-mx
	lab_fresh_resolver
	send_postfix deferred
	stop_postfix_sender
	start_unbound plain
	start_postfix_sender may
	send_postfix sent
}

# One clean delivery (TLSA seen, validated), then TLSA answers vanish.
lab_scenario_dns_strip() {
	send_postfix sent
	start_mitm "$1"
	lab_fresh_resolver
	send_postfix deferred
}

scenario_stripped-tlsa() { lab_scenario_dns_strip strip-tlsa; }
scenario_stripped-rrsig() { lab_scenario_dns_strip strip-rrsig; }

# An MTA-STS-aware sender looks up _mta-sts before each delivery (dig stands
# in for its policy resolver); the second time the record has vanished.
scenario_stripped-mta-sts() {
	lab_exec cli dig +dnssec TXT _mta-sts.example.test | grep -E 'status|TXT' >&2
	start_mitm strip-mta-sts
	lab_fresh_resolver
	lab_exec cli dig +dnssec TXT _mta-sts.example.test | grep -E 'status|TXT' >&2
}

# Runs scenario NAME in a fresh lab, capturing on the router into FILE.
lab_run_scenario() {
	local name=$1 file=$2 senderopts=()
	case $name in
	clean-tls12) senderopts=("smtp_tls_protocols = >=TLSv1.2, <=TLSv1.2"
		"smtp_tls_mandatory_protocols = >=TLSv1.2, <=TLSv1.2") ;;
	esac
	lab_world "${senderopts[@]}"
	[ "$name" = forged-mx ] && start_postfix_receiver evil "$LAB_EVIL_ADDR"
	capture_start "$(lab_router_iface)" "$file"
	lab_hook start "$name"
	"scenario_$name"
	lab_hook stop "$name"
	capture_stop
}
