# shellcheck shell=bash
# The mxsentry live lab: a library of shell functions that builds a small mail
# world inside network namespaces and attacks it from a router in the middle.
#
#   client ns (192.0.2.0/24)        router ns              server ns (203.0.113.0/24)
#   192.0.2.10  posttls-finger      r-cli 192.0.2.1        203.0.113.25 mx1 (Postfix, STARTTLS)
#   192.0.2.11  swaks               r-srv 203.0.113.1      203.0.113.26 mx2 (the MX after a change)
#   192.0.2.25  sending Postfix     ip_forward=1           203.0.113.27 mx3 (certificate from a CA)
#   192.0.2.53  unbound (validating)                       203.0.113.28 mx.plain.test (no STARTTLS)
#   192.0.2.54  unbound (not validating)                   203.0.113.53 ns1 (nsd, signed zone)
#               mitm (tests/lab/mitm.c), switched in       203.0.113.66 evil (rogue Postfix)
#               with nft REDIRECT
#
# Everything the client side sends or receives crosses the router's r-cli
# interface, so one capture there holds the SMTP sessions as the senders saw
# them and the DNS answers (with their DNSSEC records) as unbound got them.
# The resolver-AD scenarios (scenarios-ad.sh) move the validating unbound to
# 203.0.113.54 in the server namespace (start_unbound remote), so that the
# capture holds its answers to the senders and not its own lookups.
# Only documentation addresses and names under .test are used; no daemon can
# reach anything outside the namespaces this file creates.
#
# Use:   . tests/lab/lab.sh; lab_up; start_nsd; start_unbound; ...; lab_down
# lab_up installs an EXIT trap that calls lab_down unless LAB_NO_TRAP=1.
# Daemons run from a private temporary directory (LAB_TMP); LAB_KEEP=1 keeps it.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TOP=$(cd "$LAB_DIR/../.." && pwd)
LAB_ID=${LAB_ID:-$$}
LAB_NS_CLI=mxl${LAB_ID}c
LAB_NS_RT=mxl${LAB_ID}r
LAB_NS_SRV=mxl${LAB_ID}s
LAB_ZONE=example.test
LAB_MX_ADDR=203.0.113.25
LAB_NS_ADDR=203.0.113.53
LAB_EVIL_ADDR=203.0.113.66
LAB_MX2_ADDR=203.0.113.26
LAB_MX3_ADDR=203.0.113.27
LAB_PLAIN_ZONE=plain.test
LAB_PLAIN_MX_ADDR=203.0.113.28
LAB_PTF_ADDR=192.0.2.10
LAB_SWAKS_ADDR=192.0.2.11
LAB_SENDER_ADDR=192.0.2.25
LAB_UNBOUND_ADDR=192.0.2.53
LAB_UNBOUND_PLAIN_ADDR=192.0.2.54
# The validating resolver across the router (start_unbound remote), for the
# captures that must hold the resolver's answers but not its own lookups.
LAB_UNBOUND_REMOTE_ADDR=203.0.113.54
LAB_MITM_SMTP_PORT=10025
LAB_MITM_DNS_PORT=10053
LAB_MITM_BIN=${LAB_MITM_BIN:-$LAB_TOP/build/lab/mitm}
LAB_TMP=""
LAB_PIDS=()
LAB_POSTFIX_DIRS=()
LAB_CAPTURE_PID=""
LAB_MITM_PIDS=()

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() {
	lab_log "error: $*"
	exit 1
}

# Prints the name of the router's namespace and of the interface facing the
# client side: the one place that sees every packet a sender exchanges.
lab_router_ns() { printf '%s\n' "$LAB_NS_RT"; }
lab_router_iface() { printf 'r-cli\n'; }

# Runs a command in namespace NS (cli, rt, srv) with /etc/resolv.conf replaced,
# for that command only, by one naming RESOLVER (lab_exec: the validating
# unbound, or LAB_CLIENT_RESOLVER when that is set). `ip netns exec` gives
# the command a private mount namespace, so the bind mount never reaches
# the host.
lab_exec() {
	local ns=$1
	shift
	lab_exec_resolver "$ns" "${LAB_CLIENT_RESOLVER:-$LAB_UNBOUND_ADDR}" "$@"
}

lab_exec_resolver() {
	local ns=$1 resolver=$2 name
	shift 2
	case $ns in
	cli) name=$LAB_NS_CLI ;;
	rt) name=$LAB_NS_RT ;;
	srv) name=$LAB_NS_SRV ;;
	*) lab_die "unknown namespace $ns" ;;
	esac
	local rc=$LAB_TMP/resolv.$resolver.conf
	[ -f "$rc" ] || printf 'nameserver %s\noptions attempts:2 timeout:2\n' "$resolver" >"$rc"
	ip netns exec "$name" sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$rc" "$@"
}

# Remembers a background process so lab_down ends it; lab_untrack forgets
# one that was ended already.
lab_track() { LAB_PIDS+=("$1"); }
lab_untrack() {
	local p keep=()
	for p in "${LAB_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	LAB_PIDS=("${keep[@]}")
}

# Waits up to $2 seconds (default 10) until the command in "$3..." succeeds.
lab_wait() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	lab_die "timed out waiting for $what"
}

# Creates, once per directory, the lab's keys, certificates and zones in
# MATDIR (default $LAB_TMP/material): zone keys made with ldns-keygen, the
# zone signed with ldns-signzone, self-signed certificates for mx1, mx2, the
# rogue MX and the man in the middle, and a private CA (lab-ca) that issues
# mx3's certificate. The signed zone pins mx1's SPKI (TLSA 3 1 1) and, for
# mx3 (the MX of ta.example.test), the CA (TLSA 2 0 1 and 2 1 1).
# example.test.zone.v2 is the same zone after a legitimate MX change (MX
# mx2, mx2's SPKI pinned), left unsigned until lab_publish_zone signs it.
# plain.test.zone is an unsigned zone whose MX offers no STARTTLS.
lab_material() {
	local m=${1:-$LAB_TMP/material}
	LAB_MAT=$m
	[ -f "$m/example.test.zone.signed" ] && return 0
	mkdir -p "$m"
	local name
	for name in mx1 mx2 evil mitm; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$m/$name.key" -out "$m/$name.crt" -days 3650 \
			-subj "/CN=$name.example.test" \
			-addext "subjectAltName=DNS:$name.example.test" 2>/dev/null ||
			lab_die "openssl could not make the $name certificate"
	done
	# The man in the middle claims to be mx1: same name, different key.
	openssl req -x509 -key "$m/mitm.key" -out "$m/mitm.crt" -days 3650 \
		-subj "/CN=mx1.example.test" -addext "subjectAltName=DNS:mx1.example.test" ||
		lab_die "openssl could not make the mitm certificate"
	lab_material_ca "$m"
	local spki mx2spki caspki cacert
	spki=$(lab_spki_sha256 "$m/mx1.crt")
	mx2spki=$(lab_spki_sha256 "$m/mx2.crt")
	caspki=$(lab_spki_sha256 "$m/lab-ca.crt")
	cacert=$(openssl x509 -in "$m/lab-ca.crt" -outform DER | sha256sum | cut -d' ' -f1)
	lab_zone_text 2026112901 mx1 "$spki" "$cacert" "$caspki" >"$m/example.test.zone"
	{
		lab_zone_text 2026112902 mx2 "$spki" "$cacert" "$caspki"
		printf 'mx2               IN A     %s\n' "$LAB_MX2_ADDR"
		printf '_25._tcp.mx2      IN TLSA  3 1 1 %s\n' "$mx2spki"
	} >"$m/example.test.zone.v2"
	cat >"$m/plain.test.zone" <<EOF
\$ORIGIN $LAB_PLAIN_ZONE.
\$TTL 300
@                 IN SOA   ns1.example.test. hostmaster.plain.test. 2026112901 3600 600 86400 300
@                 IN NS    ns1.example.test.
@                 IN MX    10 mx.plain.test.
mx                IN A     $LAB_PLAIN_MX_ADDR
EOF
	(
		cd "$m" || exit 1
		ksk=$(ldns-keygen -a ECDSAP256SHA256 -k example.test) &&
			zsk=$(ldns-keygen -a ECDSAP256SHA256 example.test) &&
			printf '%s %s\n' "$ksk" "$zsk" >zone.keys &&
			cp "$ksk.ds" trust-anchor.ds &&
			cp "$ksk.key" trust-anchor.dnskey
	) || lab_die "could not make the zone keys"
	lab_sign_zone "$m/example.test.zone" "$m/example.test.zone.signed" ||
		lab_die "could not sign the zone"
	printf '%s\n' "$spki" >"$m/mx1.spki-sha256"
	printf '%s\n' "$mx2spki" >"$m/mx2.spki-sha256"
}

# Prints the SHA-256 of the SPKI of the PEM certificate FILE (TLSA x 1 1).
lab_spki_sha256() {
	openssl x509 -in "$1" -noout -pubkey |
		openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}

# Makes, in directory M, the private CA lab-ca (self-signed, CA:TRUE) and
# mx3's certificate issued by it; mx3.chain.crt holds mx3's certificate
# followed by the CA's: the chain mx3's Postfix sends.
lab_material_ca() {
	local m=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$m/lab-ca.key" -out "$m/lab-ca.crt" -days 3650 -subj "/CN=Lab private CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$m/mx3.key" -out "$m/mx3.csr" -subj "/CN=mx3.example.test" 2>/dev/null &&
		printf '%s\n' "subjectAltName=DNS:mx3.example.test" \
			"basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
			"extendedKeyUsage=serverAuth" "subjectKeyIdentifier=hash" \
			"authorityKeyIdentifier=keyid" >"$m/mx3.ext" &&
		openssl x509 -req -in "$m/mx3.csr" -CA "$m/lab-ca.crt" -CAkey "$m/lab-ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 3650 -extfile "$m/mx3.ext" \
			-out "$m/mx3.crt" 2>/dev/null &&
		openssl verify -CAfile "$m/lab-ca.crt" "$m/mx3.crt" >/dev/null &&
		cat "$m/mx3.crt" "$m/lab-ca.crt" >"$m/mx3.chain.crt" ||
		lab_die "openssl could not make the CA and mx3's certificate"
}

# Prints the source of zone example.test with SOA serial SERIAL and MX host
# MX (a label); mx1 is pinned by its SPKI hash SPKI (3 1 1), mx3 by the CA's
# certificate hash CACERT (2 0 1) and SPKI hash CASPKI (2 1 1).
lab_zone_text() {
	local serial=$1 mx=$2 spki=$3 cacert=$4 caspki=$5
	cat <<EOF
\$ORIGIN example.test.
\$TTL 300
@                 IN SOA   ns1.example.test. hostmaster.example.test. $serial 3600 600 86400 300
@                 IN NS    ns1.example.test.
@                 IN MX    10 $mx.example.test.
ns1               IN A     $LAB_NS_ADDR
mx1               IN A     $LAB_MX_ADDR
mx1               IN AAAA  2001:db8:203::25
_25._tcp.mx1      IN TLSA  3 1 1 $spki
_mta-sts          IN TXT   "v=STSv1; id=2026112901"
ta                IN MX    10 mx3.example.test.
mx3               IN A     $LAB_MX3_ADDR
_25._tcp.mx3      IN TLSA  2 0 1 $cacert
_25._tcp.mx3      IN TLSA  2 1 1 $caspki
EOF
}

# Signs zone source SRC into OUT with the zone keys of the lab material
# (NSEC, or NSEC3 when LAB_NSEC3 is set). Returns ldns-signzone's status.
lab_sign_zone() {
	local src out ksk zsk
	src=$(realpath -- "$1") && out=$(realpath -m -- "$2") || return 1
	read -r ksk zsk <"$LAB_MAT/zone.keys" || return 1
	(cd "$LAB_MAT" && ldns-signzone ${LAB_NSEC3:+-n} -f "$out" "$src" "$ksk" "$zsk")
}

# Builds the man in the middle (tests/lab/mitm*.c) into LAB_MITM_BIN unless it
# is newer than its sources.
# Refuses to run when OUT holds the capture of a scenario outside
# SCENARIOS (space-separated): a run makes new zone keys, so the captures
# it leaves out would no longer validate (WHAT names what they would not
# fit). A subset goes into a directory of its own (-o DIR).
lab_check_capture_set() {
	local out=$1 scenarios=$2 what=$3 c n
	for c in "$out"/*.pcap; do
		[ -f "$c" ] || continue
		n=$(basename "$c" .pcap)
		case " $scenarios " in
		*" $n "*) ;;
		*) lab_die "$out/$n.pcap would not fit $what: run every scenario, or these with -o DIR" ;;
		esac
	done
}

# Dies naming the first of the given commands that is not installed.
lab_need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || lab_die "missing $t (install tests/lab/packages.txt)"
	done
}

lab_build_mitm() {
	local src=("$LAB_DIR"/mitm*.c) s newer=0
	if [ -x "$LAB_MITM_BIN" ]; then
		for s in "${src[@]}" "$LAB_DIR"/mitm.h; do
			[ "$s" -nt "$LAB_MITM_BIN" ] && newer=1
		done
		[ $newer = 0 ] && return 0
	fi
	mkdir -p "$(dirname "$LAB_MITM_BIN")"
	# shellcheck disable=SC2046
	gcc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -g -O2 \
		$(pkg-config --cflags ldns libssl) "${src[@]}" \
		$(pkg-config --libs ldns libssl libcrypto) -o "$LAB_MITM_BIN" ||
		lab_die "could not build $LAB_MITM_BIN"
}

# Creates the three namespaces, the two veth links and the routes, and turns
# the router on. Needs root.
lab_up() {
	[ "$(id -u)" = 0 ] || lab_die "the lab needs root (network namespaces)"
	LAB_TMP=$(mktemp -d /tmp/mxlab.XXXXXX)
	chmod 755 "$LAB_TMP"
	[ "${LAB_NO_TRAP:-0}" = 1 ] || trap lab_down EXIT
	trap 'exit 130' INT TERM
	ip netns add "$LAB_NS_CLI" && ip netns add "$LAB_NS_RT" && ip netns add "$LAB_NS_SRV" ||
		lab_die "could not create namespaces"
	ip -n "$LAB_NS_RT" link add r-cli type veth peer name eth0 netns "$LAB_NS_CLI"
	ip -n "$LAB_NS_RT" link add r-srv type veth peer name eth0 netns "$LAB_NS_SRV"
	local ns
	for ns in "$LAB_NS_CLI" "$LAB_NS_RT" "$LAB_NS_SRV"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null
		ip -n "$ns" link set lo up
	done
	ip -n "$LAB_NS_RT" addr add 192.0.2.1/24 dev r-cli
	ip -n "$LAB_NS_RT" addr add 203.0.113.1/24 dev r-srv
	ip -n "$LAB_NS_RT" link set r-cli up
	ip -n "$LAB_NS_RT" link set r-srv up
	ip netns exec "$LAB_NS_RT" sysctl -qw net.ipv4.ip_forward=1
	local a
	for a in "$LAB_PTF_ADDR" "$LAB_SWAKS_ADDR" "$LAB_SENDER_ADDR" "$LAB_UNBOUND_ADDR" \
		"$LAB_UNBOUND_PLAIN_ADDR"; do
		ip -n "$LAB_NS_CLI" addr add "$a/24" dev eth0
	done
	ip -n "$LAB_NS_CLI" link set eth0 up
	ip -n "$LAB_NS_CLI" route add default via 192.0.2.1 src "$LAB_PTF_ADDR"
	for a in "$LAB_MX_ADDR" "$LAB_NS_ADDR" "$LAB_EVIL_ADDR" "$LAB_MX2_ADDR" "$LAB_MX3_ADDR" \
		"$LAB_PLAIN_MX_ADDR"; do
		ip -n "$LAB_NS_SRV" addr add "$a/24" dev eth0
	done
	ip -n "$LAB_NS_SRV" link set eth0 up
	ip -n "$LAB_NS_SRV" route add default via 203.0.113.1 src "$LAB_MX_ADDR"
	# Everything else is unreachable: no default route leaves the router.
	lab_log "up: namespaces $LAB_NS_CLI $LAB_NS_RT $LAB_NS_SRV, state in $LAB_TMP"
}

# Stops everything the lab started (by PID), removes the namespaces and the
# temporary directory. Safe to call twice and after a partial lab_up.
lab_down() {
	local rc=$? d p
	trap - EXIT
	capture_stop 2>/dev/null
	stop_mitm 2>/dev/null
	for d in "${LAB_POSTFIX_DIRS[@]}"; do
		lab_postfix_stop "$d"
	done
	LAB_POSTFIX_DIRS=()
	for p in "${LAB_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${LAB_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	LAB_PIDS=()
	for d in "$LAB_NS_CLI" "$LAB_NS_RT" "$LAB_NS_SRV"; do
		ip netns del "$d" 2>/dev/null
	done
	if [ -n "$LAB_TMP" ] && [ -d "$LAB_TMP" ]; then
		if [ "${LAB_KEEP:-0}" = 1 ]; then
			lab_log "kept $LAB_TMP"
		else
			rm -rf "$LAB_TMP"
		fi
	fi
	LAB_TMP=""
	return $rc
}

# Starts nsd on 203.0.113.53 serving the signed example.test zone and,
# when the material has it, the unsigned zone plain.test.
start_nsd() {
	[ -n "${LAB_MAT:-}" ] || lab_material ""
	local d=$LAB_TMP/nsd plain=""
	mkdir -p "$d"
	cp "$LAB_MAT/example.test.zone.signed" "$d/"
	if [ -f "$LAB_MAT/plain.test.zone" ]; then
		cp "$LAB_MAT/plain.test.zone" "$d/"
		plain="zone:
	name: \"$LAB_PLAIN_ZONE\"
	zonefile: \"$d/plain.test.zone\""
	fi
	cat >"$d/nsd.conf" <<EOF
server:
	ip-address: $LAB_NS_ADDR
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$d"
	database: ""
	zonelistfile: "$d/zone.list"
	xfrdfile: "$d/xfrd.state"
	xfrdir: "$d"
	pidfile: "$d/nsd.pid"
	logfile: "$d/nsd.log"
	server-count: 1
	verbosity: 1
	hide-version: yes
	refuse-any: yes
remote-control:
	control-enable: no
zone:
	name: "$LAB_ZONE"
	zonefile: "$d/example.test.zone.signed"
$plain
EOF
	ip netns exec "$LAB_NS_SRV" nsd -d -c "$d/nsd.conf" >>"$d/nsd.log" 2>&1 &
	LAB_NSD_PID=$!
	lab_track $!
	lab_wait "nsd" 10 ip netns exec "$LAB_NS_SRV" \
		dig +time=1 +tries=1 +norec @"$LAB_NS_ADDR" SOA "$LAB_ZONE"
}

# Prints the SOA serial nsd serves for example.test (empty when none).
lab_nsd_serial() {
	ip netns exec "$LAB_NS_SRV" dig +short +time=1 +tries=1 +norec @"$LAB_NS_ADDR" \
		SOA "$LAB_ZONE" 2>/dev/null | awk 'NF >= 3 { print $3; exit }'
}

# Publishes a new version of example.test, the way its operator would: signs
# the zone source SRC with the lab's zone keys into SRC.signed, puts that in
# place of the zone nsd serves and makes nsd reload it (SIGHUP), then waits
# until nsd answers with the new SOA serial.
lab_publish_zone() {
	local zsrc=$1 d=$LAB_TMP/nsd serial i
	[ -n "${LAB_NSD_PID:-}" ] || lab_die "nsd is not running"
	lab_sign_zone "$zsrc" "$zsrc.signed" || lab_die "could not sign $zsrc"
	serial=$(ldns-read-zone -E SOA "$zsrc.signed" 2>/dev/null | awk '{ print $7; exit }')
	cp "$zsrc.signed" "$d/example.test.zone.signed.new"
	mv "$d/example.test.zone.signed.new" "$d/example.test.zone.signed"
	for ((i = 0; i < 50; i++)); do
		# nsd reads a zone file again when its mtime changed; a second
		# signal covers a change within the same timestamp tick.
		((i % 10 == 0)) && {
			touch "$d/example.test.zone.signed"
			kill -HUP "$LAB_NSD_PID"
		}
		[ "$(lab_nsd_serial)" = "$serial" ] && {
			lab_log "nsd serves example.test serial $serial"
			return 0
		}
		sleep 0.2
	done
	lab_die "nsd did not load serial $serial of example.test"
}

# Starts unbound in the client namespace. Mode `validating` (default) listens
# on 192.0.2.53 with the lab zone's key as its only trust anchor; mode `plain`
# listens on 192.0.2.54 and does not validate, like many MTAs' resolvers.
# Mode `remote` validates like `validating` but runs in the server namespace
# on 203.0.113.54 (an address it adds there): its clients reach it across the
# router, so a capture on r-cli holds its answers (AD=1) while its own
# lookups at nsd stay inside the server namespace, out of the capture.
# Each one knows only the stub zones example.test and plain.test (unsigned,
# declared insecure) at the lab's nsd and refuses every other name.
start_unbound() {
	local mode=${1:-validating} addr modules anchor="" ns=$LAB_NS_CLI
	[ -n "${LAB_MAT:-}" ] || lab_material ""
	if [ "$mode" = plain ]; then
		addr=$LAB_UNBOUND_PLAIN_ADDR
		modules=iterator
	else
		addr=$LAB_UNBOUND_ADDR
		modules="validator iterator"
		anchor="trust-anchor-file: \"$LAB_MAT/trust-anchor.ds\""
	fi
	if [ "$mode" = remote ]; then
		addr=$LAB_UNBOUND_REMOTE_ADDR
		ns=$LAB_NS_SRV
		ip -n "$ns" addr show dev eth0 | grep -q " $addr/" ||
			ip -n "$ns" addr add "$addr/24" dev eth0
	fi
	local d=$LAB_TMP/unbound-$mode
	mkdir -p "$d"
	printf '. 3600000 IN NS ns1.example.test.\nns1.example.test. 3600000 IN A %s\n' \
		"$LAB_NS_ADDR" >"$d/root.hints"
	cat >"$d/unbound.conf" <<EOF
server:
	interface: $addr
	outgoing-interface: $addr
	port: 53
	do-ip6: no
	access-control: 0.0.0.0/0 refuse
	access-control: 192.0.2.0/24 allow
	access-control: 203.0.113.0/24 allow
	access-control: 127.0.0.0/8 allow
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	logfile: "$d/unbound.log"
	use-syslog: no
	verbosity: 1
	val-log-level: 2
	module-config: "$modules"
	$anchor
	root-hints: "$d/root.hints"
	trust-anchor-signaling: no
	root-key-sentinel: no
	qname-minimisation: no
	aggressive-nsec: no
	prefetch: no
	prefetch-key: no
	target-fetch-policy: "0 0 0 0 0"
	harden-referral-path: no
	local-zone: "." refuse
	local-zone: "test." transparent
	domain-insecure: "$LAB_PLAIN_ZONE"
	outgoing-port-permit: 32768-60999
	so-reuseport: no
	num-threads: 1
remote-control:
	control-enable: no
stub-zone:
	name: "$LAB_ZONE"
	stub-addr: $LAB_NS_ADDR
stub-zone:
	name: "$LAB_PLAIN_ZONE"
	stub-addr: $LAB_NS_ADDR
EOF
	unbound-checkconf "$d/unbound.conf" >/dev/null || lab_die "bad unbound config"
	ip netns exec "$ns" unbound -d -c "$d/unbound.conf" >>"$d/unbound.log" 2>&1 &
	lab_track $!
	eval "LAB_UNBOUND_PID_$mode=$!"
	# Wait for the socket, not for an answer: the first lookups (DNSKEY
	# included) belong to the scenario's capture.
	lab_wait "unbound $mode" 10 ip netns exec "$ns" \
		sh -c "ss -Hlun 'src $addr:53' | grep -q ."
}

# Ends one unbound started by start_unbound (its cache goes with it).
stop_unbound() {
	local mode=${1:-validating} pidvar p
	pidvar=LAB_UNBOUND_PID_$mode
	p=${!pidvar:-}
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	lab_untrack "$p"
	eval "LAB_UNBOUND_PID_$mode="
}

# Writes a private Postfix instance into $LAB_TMP/postfix-NAME: config,
# queue and data directories, master.cf from the distribution without chroot.
# Further arguments are main.cf lines.
lab_postfix_config() {
	local name=$1 d
	shift
	d=$LAB_TMP/postfix-$name
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chown postfix "$d/data"
	sed -e 's/^\([a-z]* *\(inet\|unix\|unix-dgram\|fifo\|pass\) *[-ny] *[-ny] *\)y/\1n/' \
		/usr/share/postfix/master.cf.dist >"$d/conf/master.cf"
	{
		printf '%s\n' \
			"compatibility_level = 3.6" \
			"queue_directory = $d/queue" \
			"data_directory = $d/data" \
			"maillog_file = $d/maillog" \
			"maillog_file_prefixes = $d" \
			"mail_owner = postfix" \
			"setgid_group = postdrop" \
			"relayhost =" \
			"inet_protocols = ipv4" \
			"alias_maps =" \
			"alias_database =" \
			"biff = no" \
			"smtpd_peername_lookup = no" \
			"smtp_host_lookup = dns" \
			"smtp_tls_loglevel = 1" \
			"smtpd_tls_loglevel = 1" \
			"smtp_connect_timeout = 5s" \
			"smtp_helo_timeout = 20s" \
			"maximal_backoff_time = 3600s" \
			"minimal_backoff_time = 3600s" \
			"queue_run_delay = 3600s" \
			"delay_warning_time = 0" \
			"message_size_limit = 1048576" \
			"smtputf8_enable = no" \
			"mynetworks = 127.0.0.0/8"
		printf '%s\n' "$@"
	} >"$d/conf/main.cf"
	printf '%s\n' "$d"
}

# Starts a Postfix instance from DIR (made by lab_postfix_config) in namespace
# NS with resolver RESOLVER and waits for its master.
lab_postfix_start() {
	local ns=$1 d=$2 resolver=$3
	# Known to lab_down before it starts: a signal during the start cannot
	# leave a master running that nothing stops.
	LAB_POSTFIX_DIRS+=("$d")
	# postfix(1) reports errors on stderr only when it is a terminal.
	lab_exec_resolver "$ns" "$resolver" script -qec "postfix -c $d/conf start" /dev/null \
		>>"$d/start.log" 2>&1 ||
		{
			cat "$d/start.log" >&2
			lab_die "postfix in $d did not start"
		}
	lab_wait "postfix master in $d" 10 test -s "$d/queue/pid/master.pid"
}

lab_untrack_postfix() {
	local d keep=()
	for d in "${LAB_POSTFIX_DIRS[@]}"; do
		[ "$d" = "$1" ] || keep+=("$d")
	done
	LAB_POSTFIX_DIRS=("${keep[@]}")
}

# Ends the Postfix instance of DIR by its master's PID (the children follow).
lab_postfix_stop() {
	local d=$1 p
	[ -f "$d/queue/pid/master.pid" ] || return 0
	p=$(tr -dc 0-9 <"$d/queue/pid/master.pid")
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	rm -f "$d/queue/pid/master.pid"
}

# Starts a receiving Postfix: NAME (mx1, mx2, mx3, evil: host NAME.example.test;
# a name with a dot is the host name itself, its domain what follows the
# first label) and its address; STARTTLS with the certificate NAME.crt of the
# lab material. Mail for the domain is accepted and discarded. Extra
# arguments are main.cf lines; a parameter given again there wins.
start_postfix_receiver() {
	local name=${1:-mx1} addr=${2:-$LAB_MX_ADDR} d host domain
	shift 2 2>/dev/null || shift $#
	[ -n "${LAB_MAT:-}" ] || lab_material ""
	case $name in
	*.*) host=$name domain=${name#*.} ;;
	*) host=$name.example.test domain=example.test ;;
	esac
	d=$(lab_postfix_config "$name" \
		"myhostname = $host" \
		"mydomain = $domain" \
		"myorigin = $domain" \
		"mydestination = $domain, $host" \
		"inet_interfaces = $addr" \
		"local_recipient_maps =" \
		"local_transport = discard:lab" \
		"smtpd_banner = \$myhostname ESMTP" \
		"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
		"smtpd_tls_cert_file = $LAB_MAT/$name.crt" \
		"smtpd_tls_key_file = $LAB_MAT/$name.key" \
		"smtpd_tls_security_level = may" \
		"smtpd_tls_received_header = yes" \
		"$@")
	lab_postfix_start srv "$d" "$LAB_UNBOUND_ADDR"
	lab_wait "smtpd on $addr" 10 ip netns exec "$LAB_NS_SRV" \
		sh -c "ss -Hltn 'src $addr:25' | grep -q LISTEN"
}

# Starts the sending Postfix on 192.0.2.25 (mail is handed to it on
# 192.0.2.25:2525). Mode `dane` (default): smtp_dns_support_level=dnssec,
# smtp_tls_security_level=dane through the validating unbound (the one at
# LAB_DANE_RESOLVER when that is set). Mode `may`:
# opportunistic TLS through the non-validating unbound. Extra arguments are
# main.cf lines (e.g. TLS protocol limits).
start_postfix_sender() {
	local mode=${1:-dane} d resolver dns tls
	LAB_SENDER_ARGS=("$@")
	shift 1 2>/dev/null || true
	if [ "$mode" = may ]; then
		resolver=$LAB_UNBOUND_PLAIN_ADDR dns=enabled tls=may
	else
		resolver=${LAB_DANE_RESOLVER:-$LAB_UNBOUND_ADDR} dns=dnssec tls=dane
	fi
	d=$(lab_postfix_config "sender-$mode" \
		"myhostname = sender.client.test" \
		"mydomain = client.test" \
		"myorigin = client.test" \
		"mydestination =" \
		"inet_interfaces = $LAB_SENDER_ADDR" \
		"smtp_bind_address = $LAB_SENDER_ADDR" \
		"mynetworks = 127.0.0.0/8 192.0.2.0/24" \
		"smtpd_relay_restrictions = permit_mynetworks, reject" \
		"smtp_dns_support_level = $dns" \
		"smtp_tls_security_level = $tls" \
		"$@")
	# Only the injection listener, no port 25.
	sed -i -e '/^smtp *inet/d' "$d/conf/master.cf"
	printf '%s:2525 inet n - n - - smtpd\n' "$LAB_SENDER_ADDR" >>"$d/conf/master.cf"
	lab_postfix_start cli "$d" "$resolver"
	LAB_SENDER_DIR=$d
	lab_wait "sender injection port" 10 ip netns exec "$LAB_NS_CLI" \
		sh -c "ss -Hltn 'src $LAB_SENDER_ADDR:2525' | grep -q LISTEN"
}

# Starts the sending Postfix afresh with the arguments it had: its smtp
# processes cache TLSA answers, a new instance looks them up again.
restart_postfix_sender() {
	local args=("${LAB_SENDER_ARGS[@]}")
	stop_postfix_sender
	start_postfix_sender "${args[@]}"
}

stop_postfix_sender() {
	[ -n "${LAB_SENDER_DIR:-}" ] || return 0
	lab_postfix_stop "$LAB_SENDER_DIR"
	lab_untrack_postfix "$LAB_SENDER_DIR"
	LAB_SENDER_DIR=""
}

# Hands one short message for RCPT (default user@example.test) to the sending
# Postfix and waits until its maillog says sent, deferred or bounced for it;
# leaves that status in LAB_STATUS (and warns when it is not EXPECT, if given).
send_postfix() {
	local expect=${1:-} rcpt=${2:-user@example.test} qid i start
	local log=$LAB_SENDER_DIR/maillog
	LAB_STATUS=""
	start=$(wc -l <"$log" 2>/dev/null || echo 0)
	ip netns exec "$LAB_NS_CLI" swaks -4 --server "$LAB_SENDER_ADDR:2525" \
		--from lab@client.test --to "$rcpt" --helo client.test \
		--header 'Subject: lab' --header 'Message-Id: <postfix@client.test>' \
		--body 'lab message' >"$LAB_TMP/inject.out" 2>&1
	qid=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$LAB_TMP/inject.out" | head -n1)
	[ -n "$qid" ] || {
		cat "$LAB_TMP/inject.out" >&2
		lab_die "the sending Postfix did not queue the message"
	}
	for ((i = 0; i < 300; i++)); do
		LAB_STATUS=$(tail -n +"$((start + 1))" "$log" 2>/dev/null |
			sed -n "s/.* $qid: .*status=\([a-z]*\).*/\1/p" | head -n1)
		[ -n "$LAB_STATUS" ] && break
		sleep 0.1
	done
	lab_log "sending postfix: $qid to $rcpt: status=${LAB_STATUS:-none}"
	tail -n +"$((start + 1))" "$log" |
		grep -E " $qid: .*status=|TLS connection established|certificate|TLSA|DNSSEC" |
		sed 's/^/lab:   /' >&2
	if [ -n "$expect" ] && [ "$LAB_STATUS" != "$expect" ]; then
		lab_log "warning: expected status $expect"
		LAB_WARNINGS=$((${LAB_WARNINGS:-0} + 1))
	fi
	return 0
}

# Runs swaks from 192.0.2.11 to mx1.example.test (resolved through the lab
# unbound) with one short message; further arguments go to swaks (e.g.
# --tls, --tls-optional, --tls-protocol tlsv1_2). Prints swaks' transcript to
# stderr; returns swaks' exit code.
send_swaks() {
	send_swaks_to mx1.example.test user@example.test "$@"
}

# Like send_swaks, to server SERVER (a host name resolved through the lab
# unbound) for recipient RCPT.
send_swaks_to() {
	local server=$1 rcpt=$2 rc=0
	shift 2
	ip netns exec "$LAB_NS_CLI" true || return 1
	lab_exec cli swaks -4 --server "$server" --local-interface "$LAB_SWAKS_ADDR" \
		--from lab@client.test --to "$rcpt" --helo client.test \
		--header 'Subject: lab' --header 'Message-Id: <swaks@client.test>' \
		--body 'lab message' --timeout 20 "$@" \
		>"$LAB_TMP/swaks.out" 2>&1 || rc=$?
	sed 's/^/lab:   /' "$LAB_TMP/swaks.out" >&2
	lab_log "swaks $* exit=$rc"
	return $rc
}

# Runs posttls-finger from 192.0.2.10 against [mx1.example.test] at DANE
# level through the validating unbound; further arguments go before the
# destination.
run_posttls_finger() {
	local rc=0
	# posttls-finger reads main.cf: give it an empty one of its own.
	mkdir -p "$LAB_TMP/posttls-finger"
	printf 'inet_protocols = ipv4\nmyhostname = finger.client.test\n' \
		>"$LAB_TMP/posttls-finger/main.cf"
	MAIL_CONFIG=$LAB_TMP/posttls-finger \
		lab_exec cli posttls-finger -c -l dane -P /etc/ssl/certs "$@" \
		"[mx1.example.test]" >"$LAB_TMP/ptf.out" 2>&1 || rc=$?
	sed 's/^/lab:   /' "$LAB_TMP/ptf.out" >&2
	lab_log "posttls-finger exit=$rc"
	return $rc
}

# Switches the man in the middle into the path. MODE is one of
#   SMTP: strip-starttls mask-starttls starttls-454 own-cert pass-smtp
#         insert-strip insert-decoy (raw decoy frames on r-cli, see mitm_smtp.c)
#   DNS:  forge-mx strip-tlsa strip-rrsig strip-mta-sts pass-dns
#   DNS between the senders and the remote resolver (start_unbound remote):
#         stub-strip-tlsa stub-bogus-rrsig
# SMTP modes redirect TCP port 25 arriving on r-cli to the proxy, DNS modes
# redirect UDP and TCP port 53; the proxy reaches the real server from the
# router's own address. Several modes (one SMTP, one DNS) may run together.
start_mitm() {
	local mode=$1 kind args log
	lab_build_mitm
	[ -n "${LAB_MAT:-}" ] || lab_material ""
	case $mode in
	strip-starttls | mask-starttls | starttls-454 | pass-smtp)
		kind=smtp args=(-l "$LAB_MITM_SMTP_PORT") ;;
	own-cert)
		kind=smtp args=(-l "$LAB_MITM_SMTP_PORT" -c "$LAB_MAT/mitm.crt" -k "$LAB_MAT/mitm.key") ;;
	insert-strip | insert-decoy)
		kind=smtp args=(-l "$LAB_MITM_SMTP_PORT" -i "$(lab_router_iface)") ;;
	forge-mx)
		kind=dns args=(-l "$LAB_MITM_DNS_PORT" -u "$LAB_NS_ADDR" -z "$LAB_ZONE."
			-H "evil.$LAB_ZONE." -A "$LAB_EVIL_ADDR") ;;
	strip-tlsa | strip-rrsig | strip-mta-sts | pass-dns)
		kind=dns args=(-l "$LAB_MITM_DNS_PORT" -u "$LAB_NS_ADDR") ;;
	stub-strip-tlsa | stub-bogus-rrsig)
		kind=dns args=(-l "$LAB_MITM_DNS_PORT" -u "$LAB_UNBOUND_REMOTE_ADDR") ;;
	*) lab_die "unknown mitm mode $mode" ;;
	esac
	log=$LAB_TMP/mitm-$mode.log
	ip netns exec "$LAB_NS_RT" "$LAB_MITM_BIN" "$kind" "$mode" "${args[@]}" >>"$log" 2>&1 &
	LAB_MITM_PIDS+=($!)
	local nft="ip netns exec $LAB_NS_RT nft"
	$nft list table ip mxlab >/dev/null 2>&1 || {
		$nft add table ip mxlab
		$nft 'add chain ip mxlab pre { type nat hook prerouting priority -100; }'
	}
	if [ "$kind" = smtp ]; then
		$nft add rule ip mxlab pre iifname r-cli tcp dport 25 redirect to :"$LAB_MITM_SMTP_PORT"
		lab_wait "mitm smtp" 10 ip netns exec "$LAB_NS_RT" \
			sh -c "ss -Hltn 'sport = :$LAB_MITM_SMTP_PORT' | grep -q LISTEN"
	else
		$nft add rule ip mxlab pre iifname r-cli udp dport 53 redirect to :"$LAB_MITM_DNS_PORT"
		$nft add rule ip mxlab pre iifname r-cli tcp dport 53 redirect to :"$LAB_MITM_DNS_PORT"
		lab_wait "mitm dns" 10 ip netns exec "$LAB_NS_RT" \
			sh -c "ss -Hltn 'sport = :$LAB_MITM_DNS_PORT' | grep -q LISTEN"
	fi
	lab_log "mitm $mode on"
}

# Takes every man in the middle out of the path again.
stop_mitm() {
	local p
	ip netns exec "$LAB_NS_RT" nft delete table ip mxlab 2>/dev/null
	for p in "${LAB_MITM_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	LAB_MITM_PIDS=()
	return 0
}

# Starts tcpdump on IFACE of the router (default: lab_router_iface) writing
# FILE, and waits until it listens. Only IPv4 is captured (the lab has no
# IPv6), so no ARP noise either.
capture_start() {
	local iface=${1:-$(lab_router_iface)} file=$2
	: >"$LAB_TMP/tcpdump.err"
	ip netns exec "$LAB_NS_RT" tcpdump -i "$iface" --immediate-mode -U -n -Z root -w "$file" ip \
		2>"$LAB_TMP/tcpdump.err" &
	LAB_CAPTURE_PID=$!
	lab_wait "tcpdump" 10 grep -q 'listening on' "$LAB_TMP/tcpdump.err"
}

capture_stop() {
	[ -n "$LAB_CAPTURE_PID" ] || return 0
	sleep 0.3
	kill -INT "$LAB_CAPTURE_PID" 2>/dev/null
	wait "$LAB_CAPTURE_PID" 2>/dev/null
	LAB_CAPTURE_PID=""
}

# Calls the hook command LAB_HOOK (if set) as
#   $LAB_HOOK start|stop SCENARIO ROUTER_NETNS IFACE
# after the capture started and before the traffic, and after the traffic:
# the place to start and stop a live sensor on the router.
lab_hook() {
	[ -n "${LAB_HOOK:-}" ] || return 0
	$LAB_HOOK "$1" "$2" "$LAB_NS_RT" "$(lab_router_iface)"
}

# Turns transmit checksum offload off on both ends of both veth links, so
# that every frame crossing r-cli carries the checksums its receiver checks
# (with offload on, the kernel leaves them to a NIC a veth does not have and
# a capture shows them wrong). Insertion decoys, whose wrong checksum must
# be the only wrong one, need this from the sensor's first packet on.
lab_wire_checksums() {
	lab_build_mitm
	ip netns exec "$LAB_NS_CLI" "$LAB_MITM_BIN" csum-off eth0 &&
		ip netns exec "$LAB_NS_RT" "$LAB_MITM_BIN" csum-off r-cli r-srv &&
		ip netns exec "$LAB_NS_SRV" "$LAB_MITM_BIN" csum-off eth0 ||
		lab_die "could not turn checksum offload off"
}

# Prints the client namespace's TcpInCsumErrors (/proc/net/snmp): the TCP
# segments its kernel dropped for a wrong checksum.
lab_csum_errors() {
	ip netns exec "$LAB_NS_CLI" awk '$1 == "Tcp:" {
		if (!col) { for (i = 2; i <= NF; i++) if ($i == "InCsumErrors") col = i; next }
		print $col; exit }' /proc/net/snmp
}

# MTA-STS with PKIX: sts.test (an MTA-STS policy in enforce mode, no TLSA)
# has two MX hosts. mx4.sts.test (203.0.113.29) holds a certificate issued
# by the lab's private CA (lab-ca), mx5.sts.test (203.0.113.30) one issued
# by another CA (lab-rogue-ca) that nobody trusts; each sends its chain
# (its certificate and its CA's). Makes, once, in directory M (default
# LAB_MAT): those CA, certificates and chains, sts.test.zone (the MX set,
# the truth expect.sh reads) and sts.policy.yaml (the policy, with the
# hosts' addresses, for mxsentry -p), and prints nothing.
LAB_STS_ZONE=sts.test
LAB_STS_OK_ADDR=203.0.113.29
LAB_STS_BAD_ADDR=203.0.113.30
lab_material_sts() {
	local m=${1:-$LAB_MAT} h
	[ -f "$m/sts.policy.yaml" ] && return 0
	[ -f "$m/lab-ca.crt" ] || lab_material_ca "$m"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$m/lab-rogue-ca.key" -out "$m/lab-rogue-ca.crt" -days 3650 \
		-subj "/CN=Lab rogue CA" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
		lab_die "openssl could not make the rogue CA"
	for h in mx4:lab-ca mx5:lab-rogue-ca; do
		local host=${h%%:*}.$LAB_STS_ZONE ca=${h#*:}
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$m/$host.key" -out "$m/$host.csr" -subj "/CN=$host" 2>/dev/null &&
			printf '%s\n' "subjectAltName=DNS:$host" "basicConstraints=critical,CA:FALSE" \
				"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
				"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$m/$host.ext" &&
			openssl x509 -req -in "$m/$host.csr" -CA "$m/$ca.crt" -CAkey "$m/$ca.key" \
				-set_serial "0x$(openssl rand -hex 8)" -days 3650 -extfile "$m/$host.ext" \
				-out "$m/$host.crt" 2>/dev/null &&
			openssl verify -CAfile "$m/$ca.crt" "$m/$host.crt" >/dev/null &&
			cat "$m/$host.crt" "$m/$ca.crt" >"$m/$host.chain.crt" ||
			lab_die "openssl could not make $host's certificate"
	done
	cat >"$m/sts.test.zone" <<EOZ
\$ORIGIN $LAB_STS_ZONE.
\$TTL 300
@                 IN SOA   ns1.example.test. hostmaster.sts.test. 2026112901 3600 600 86400 300
@                 IN NS    ns1.example.test.
@                 IN MX    10 mx4.sts.test.
@                 IN MX    20 mx5.sts.test.
mx4               IN A     $LAB_STS_OK_ADDR
mx5               IN A     $LAB_STS_BAD_ADDR
_mta-sts          IN TXT   "v=STSv1; id=2026120701"
EOZ
	cat >"$m/sts.policy.yaml" <<EOP
# The lab's MTA-STS policy for $LAB_STS_ZONE (tests/lab/lab.sh, lab_material_sts).
policies:
  - domain: $LAB_STS_ZONE
    mta-sts: {mode: enforce, mx: ["*.$LAB_STS_ZONE"], max_age: 604800}
    addresses: {mx4.$LAB_STS_ZONE: [$LAB_STS_OK_ADDR], mx5.$LAB_STS_ZONE: [$LAB_STS_BAD_ADDR]}
EOP
	printf '%s\t%s\n' "$LAB_STS_OK_ADDR" "mx4.$LAB_STS_ZONE" "$LAB_STS_BAD_ADDR" \
		"mx5.$LAB_STS_ZONE" >"$m/sts.hosts"
	chmod 644 "$m"/*.crt "$m/sts.policy.yaml" "$m/sts.hosts" "$m/sts.test.zone"
}

# Starts, once, the receivers of sts.test (their addresses added to the
# server namespace): mx4 and mx5, each sending its chain.
lab_sts_receivers() {
	local h a
	lab_material_sts "$LAB_MAT"
	for h in mx4:$LAB_STS_OK_ADDR mx5:$LAB_STS_BAD_ADDR; do
		a=${h#*:}
		h=${h%%:*}.$LAB_STS_ZONE
		ip netns exec "$LAB_NS_SRV" sh -c "ss -Hltn 'src $a:25' | grep -q LISTEN" && continue
		ip -n "$LAB_NS_SRV" addr show dev eth0 | grep -q "inet $a/" ||
			ip -n "$LAB_NS_SRV" addr add "$a/24" dev eth0
		start_postfix_receiver "$h" "$a" \
			"smtpd_tls_chain_files = $LAB_MAT/$h.key, $LAB_MAT/$h.chain.crt"
	done
}
