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
forged-mx stripped-tlsa stripped-rrsig stripped-mta-sts mx-change dane-ta
no-starttls-no-policy midstream insertion-strip insertion-decoys"

# The scenarios without an attack: a correct sensor raises nothing on them.
# shellcheck disable=SC2034
LAB_BENIGN="clean-tls12 clean-tls13 mx-change dane-ta no-starttls-no-policy midstream
insertion-decoys"

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

# Marks where the current scenario's lines of the sending Postfix's log
# begin: lab_sender_log_has looks only after the mark.
lab_sender_log_mark() {
	LAB_SENDER_LOG_FROM=$(stat -c %s "$LAB_SENDER_DIR/maillog" 2>/dev/null || echo 0)
}

# Warns (a scenario that did not go as planned) unless the sending Postfix's
# log has, since lab_sender_log_mark, a line matching the extended regular
# expression PATTERN; WHAT says what was expected.
lab_sender_log_has() {
	local pattern=$1 what=$2
	if tail -c +"$((${LAB_SENDER_LOG_FROM:-0} + 1))" "$LAB_SENDER_DIR/maillog" 2>/dev/null |
		grep -Eq -- "$pattern"; then
		lab_log "as planned: $what"
	else
		lab_log "warning: not seen: $what"
		LAB_WARNINGS=$((${LAB_WARNINGS:-0} + 1))
	fi
}

lab_expect_rc0() {
	[ "$1" = 0 ] || {
		lab_log "warning: $2 failed"
		LAB_WARNINGS=$((${LAB_WARNINGS:-0} + 1))
	}
}

# A legitimate MX change: after DANE deliveries to mx1, the operator
# publishes a new version of the signed zone (MX mx2, mx2's address and TLSA
# record, re-signed with ldns-signzone, nsd reloaded). Once the old answers
# are gone from the caches, the DANE sender delivers to mx2, its certificate
# verified against mx2's own TLSA record. TLS 1.2 keeps every certificate
# visible. The second delivery to mx1 comes after a cache flush, so that
# the old MX answer also arrives once the DNSKEY is already in the capture
# (a resolver asks for the DNSKEY only after the answer it validates).
scenario_mx-change() {
	send_postfix sent
	lab_fresh_resolver
	send_postfix sent
	lab_sender_log_has 'relay=mx1\.example\.test\[203\.0\.113\.25\]:25.*status=sent' \
		"deliveries to mx1"
	lab_publish_zone "$LAB_MAT/example.test.zone.v2"
	lab_fresh_resolver
	send_postfix sent
	lab_sender_log_has 'Verified TLS connection established to mx2\.example\.test\[203\.0\.113\.26\]:25: TLSv1\.2' \
		"DANE-verified TLS 1.2 to mx2"
	lab_sender_log_has 'relay=mx2\.example\.test\[203\.0\.113\.26\]:25.*status=sent' \
		"delivery to mx2"
}

# DANE-TA: mx3, the MX of ta.example.test, has a certificate issued by a
# private CA and sends the CA's certificate in its chain; the zone pins the
# CA (TLSA 2 0 1 and 2 1 1). The DANE sender verifies the chain and the name
# and delivers over TLS 1.2 (chain visible).
scenario_dane-ta() {
	send_postfix sent user@ta.example.test
	lab_sender_log_has 'Verified TLS connection established to mx3\.example\.test\[203\.0\.113\.27\]:25: TLSv1\.2' \
		"DANE-TA verified TLS 1.2 to mx3"
}

# plain.test is unsigned (insecure), publishes no TLSA and no MTA-STS, and
# its MX never offers STARTTLS: the DANE sender falls back to opportunistic
# TLS for it and delivers in cleartext, and so does swaks.
scenario_no-starttls-no-policy() {
	local rc=0
	send_postfix sent user@plain.test
	lab_sender_log_has 'relay=mx\.plain\.test\[203\.0\.113\.28\]:25.*status=sent' \
		"cleartext delivery to mx.plain.test"
	send_swaks_to mx.plain.test user@plain.test --tls-optional || rc=$?
	lab_expect_rc0 $rc "swaks to mx.plain.test"
}

# Two ordinary sessions to mx1, the DANE sender's (TLS 1.3) and swaks' (TLS
# 1.2), with the DNS lookups before them; lab_cut_midstream then
# removes their beginnings from the capture, as if the capture had started
# while they were under way.
scenario_midstream() {
	local rc=0
	send_postfix sent
	send_swaks --tls --tls-protocol tlsv1_2 || rc=$?
	lab_expect_rc0 $rc "swaks --tls to mx1"
}

# Rewrites capture FILE so that two SMTP sessions begin in the middle: the
# DANE sender's (192.0.2.25) loses everything before its STARTTLS command
# (handshake, banner, EHLO exchange), swaks' (192.0.2.11) everything before
# its first TLS application data record (STARTTLS and the TLS handshake go).
# Every other packet (the DNS lookups in particular) stays. editcap deletes
# the frames. (tshark reads the STARTTLS command as STAR with parameter TLS.)
lab_cut_midstream() {
	local file=$1 cut=() s f
	s=$(lab_tshark_first "$file" tcp.stream \
		"ip.src == $LAB_SENDER_ADDR && tcp.dstport == 25 && tcp.flags.syn == 1")
	f=$(lab_tshark_first "$file" frame.number \
		"tcp.stream == $s && (smtp.req.command == \"STAR\" || smtp.req.command == \"STARTTLS\")")
	[ -n "$s" ] && [ -n "$f" ] || lab_die "midstream: no STARTTLS of the sending Postfix"
	mapfile -t -O 0 cut < <(lab_tshark_all "$file" frame.number \
		"tcp.stream == $s && frame.number < $f")
	s=$(lab_tshark_first "$file" tcp.stream \
		"ip.src == $LAB_SWAKS_ADDR && tcp.dstport == 25 && tcp.flags.syn == 1")
	f=$(lab_tshark_first "$file" frame.number \
		"tcp.stream == $s && ip.src == $LAB_SWAKS_ADDR && tls.record.content_type == 23")
	[ -n "$s" ] && [ -n "$f" ] || lab_die "midstream: no TLS application data from swaks"
	mapfile -t -O "${#cut[@]}" cut < <(lab_tshark_all "$file" frame.number \
		"tcp.stream == $s && frame.number < $f")
	editcap "$file" "$file.cut" "${cut[@]}" || lab_die "editcap failed on $file"
	mv "$file.cut" "$file"
	lab_log "midstream: removed ${#cut[@]} packets (session beginnings) from $file"
}

lab_tshark_all() {
	tshark -r "$1" -Y "$3" -T fields -e "$2" 2>/dev/null
}

lab_tshark_first() {
	lab_tshark_all "$@" | head -n1
}

# Prints, one per line, the main.cf lines scenario NAME's sending Postfix
# needs beyond the defaults: TLS 1.2 only where the scenario must see the
# certificates (TLS 1.3 encrypts them).
lab_scenario_sender_opts() {
	case $1 in
	clean-tls12 | mx-change | dane-ta)
		printf '%s\n' "smtp_tls_protocols = >=TLSv1.2, <=TLSv1.2" \
			"smtp_tls_mandatory_protocols = >=TLSv1.2, <=TLSv1.2" ;;
	esac
}

# Runs scenario NAME in a fresh lab, capturing on the router into FILE.
lab_run_scenario() {
	local name=$1 file=$2 senderopts=()
	mapfile -t senderopts < <(lab_scenario_sender_opts "$name")
	lab_world "${senderopts[@]}"
	case $name in
	forged-mx) start_postfix_receiver evil "$LAB_EVIL_ADDR" ;;
	mx-change) start_postfix_receiver mx2 "$LAB_MX2_ADDR" ;;
	dane-ta)
		start_postfix_receiver mx3 "$LAB_MX3_ADDR" \
			"mydestination = ta.example.test, mx3.example.test" \
			"smtpd_tls_chain_files = $LAB_MAT/mx3.key, $LAB_MAT/mx3.chain.crt" ;;
	no-starttls-no-policy)
		start_postfix_receiver "mx.$LAB_PLAIN_ZONE" "$LAB_PLAIN_MX_ADDR" \
			"smtpd_tls_security_level = none" ;;
	esac
	capture_start "$(lab_router_iface)" "$file"
	lab_hook start "$name"
	lab_sender_log_mark
	"scenario_$name"
	lab_hook stop "$name"
	capture_stop
	[ "$name" != midstream ] || lab_cut_midstream "$file"
}

# Runs the downgrade or the decoys of an insertion attack (start_mitm MODE:
# insert-strip or insert-decoy, see mitm_smtp.c) with the checksums on the
# wire made real first, and warns unless the client's kernel counted more
# TCP checksum errors afterwards (it dropped the decoys) than before.
lab_scenario_insertion() {
	local mode=$1 before after
	shift
	lab_wire_checksums
	before=$(lab_csum_errors)
	start_mitm "$mode"
	"$@"
	after=$(lab_csum_errors)
	if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ]; then
		lab_log "as planned: the client's kernel dropped $((after - before)) decoys (TcpInCsumErrors $before -> $after)"
	else
		lab_log "warning: TcpInCsumErrors in the client namespace went from '$before' to '$after'"
		LAB_WARNINGS=$((${LAB_WARNINGS:-0} + 1))
	fi
}

# The STARTTLS strip hidden by insertion: the man in the middle strips
# STARTTLS from the EHLO reply, and first writes raw frames carrying the
# genuine reply at the same sequence numbers with a wrong TCP checksum. The
# clients' kernel drops those, so the DANE sender defers (STARTTLS missing)
# and swaks delivers in cleartext; a sensor that takes the decoy as first
# data would see STARTTLS offered and taken.
lab_insertion_strip_traffic() {
	send_postfix deferred
	send_swaks --tls-optional
}
scenario_insertion-strip() { lab_scenario_insertion insert-strip lab_insertion_strip_traffic; }

# Decoys on clean sessions: each EHLO reply goes to the client unchanged,
# after a raw frame at the same sequence numbers, with a wrong TCP checksum,
# that masks STARTTLS as XXXXXXXA. The DANE sender delivers over verified
# TLS and swaks over TLS; a correct sensor raises nothing.
lab_insertion_decoys_traffic() {
	send_postfix sent
	send_swaks --tls
}
scenario_insertion-decoys() { lab_scenario_insertion insert-decoy lab_insertion_decoys_traffic; }

# MTA-STS deliveries through CAs the lab made (lab_material_sts): swaks
# delivers to both MX hosts of sts.test over TLS 1.2 (the chains stay
# visible). mxsentry, given sts.policy.yaml and lab-ca.crt as its trusted
# roots (-p, --ca-file), must find mx4's chain trusted and raise
# certificate-not-trusted on mx5's session. Not in LAB_SCENARIOS: its
# capture is only judged with that policy and CA (test_live.sh).
scenario_mta-sts-pkix() {
	local rc=0
	lab_sts_receivers
	send_swaks_to "$LAB_STS_OK_ADDR" user@sts.test --tls --tls-protocol tlsv1_2 || rc=$?
	lab_expect_rc0 $rc "swaks to mx4.sts.test"
	rc=0
	send_swaks_to "$LAB_STS_BAD_ADDR" user@sts.test --tls --tls-protocol tlsv1_2 || rc=$?
	lab_expect_rc0 $rc "swaks to mx5.sts.test"
}
