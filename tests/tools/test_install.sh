#!/usr/bin/env bash
# test_install.sh - `make install` into a DESTDIR, with the default PREFIX
# and with PREFIX=/opt/mx: the tree holds the binary, the manual page,
# the shipped rules, the example configuration, the systemd unit and the
# logrotate and sysusers snippets at the places PREFIX says; the installed
# binary checks the installed example configuration (-T -c); the example
# has every key --dump-config knows, each with a comment; the unit has what
# a sensor service needs and passes `systemd-analyze verify` (skipped with
# a message where systemd-analyze is missing); `make uninstall` leaves no
# file behind. Exits 0 when every check passed, else 1.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

. "$ROOT/tests/tools/check.sh"

# try PREFIX SYSCONFDIR: one install, its checks, the uninstall.
try() {
	local prefix=$1 etc=$2 dest=$TMP/dest${1//\//_} f unit keys missing
	local bin=$dest$prefix/bin/mxsentry
	unit=$dest$prefix/lib/systemd/system/mxsentry.service
	make -C "$ROOT" --no-print-directory install DESTDIR="$dest" PREFIX="$prefix" \
		>"$TMP/install.log" 2>&1
	check "make install PREFIX=$prefix DESTDIR=...: exit 0" test $? = 0 ||
		sed 's/^/    /' "$TMP/install.log"
	for f in "$prefix/bin/mxsentry" "$prefix/share/man/man8/mxsentry.8" \
		"$prefix/share/mxsentry/rules/default.yaml" \
		"$prefix/share/mxsentry/rules/example-policies.yaml" \
		"$etc/mxsentry/mxsentry.yaml" "$prefix/lib/systemd/system/mxsentry.service" \
		"$prefix/lib/sysusers.d/mxsentry.conf" "$etc/logrotate.d/mxsentry"; do
		check "installed: $f" test -s "$dest$f"
	done
	check "installed: $etc/mxsentry/rules/ (local rules)" test -d "$dest$etc/mxsentry/rules"
	check "the binary is executable" test -x "$bin"
	"$bin" -T -c "$dest$etc/mxsentry/mxsentry.yaml" -R "$dest$etc/mxsentry/rules" \
		>"$TMP/check.out" 2>&1
	check "mxsentry -T -c on the installed example: exit 0" test $? = 0 ||
		sed 's/^/    /' "$TMP/check.out"
	check "  ... and it says so" grep -q "^mxsentry: configuration OK" "$TMP/check.out"
	# Every key the configuration has, set or commented out, with a comment.
	keys=$("$bin" --dump-config | sed -n 's/^ *\(# \)\{0,1\}\(- \)\{0,1\}\([a-z-]*\):.*/\3/p' |
		grep -v '^mxsentry' | sort -u)
	missing=
	for k in $keys; do
		grep -Eq "^ *(# )?(- )?$k:" "$dest$etc/mxsentry/mxsentry.yaml" || missing+=" $k"
	done
	check "the example has every configuration key (missing:${missing:- none})" test -z "$missing"
	check "the example comments more lines than it sets" test \
		"$(grep -c '^ *#' "$dest$etc/mxsentry/mxsentry.yaml")" -gt \
		"$(grep -c '^ *[a-z-]*:' "$dest$etc/mxsentry/mxsentry.yaml")"
	check "unit: Type=simple" grep -qx 'Type=simple' "$unit"
	check "unit: ExecStart runs $prefix/bin/mxsentry with -u" \
		grep -q "^ExecStart=$prefix/bin/mxsentry .*-c $etc/mxsentry/mxsentry.yaml.* -u mxsentry" "$unit"
	check "unit: capability bounding set" \
		grep -qx 'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN CAP_SETUID CAP_SETGID' "$unit"
	check "unit: ProtectSystem=strict, log directory writable" bash -c \
		"grep -qx 'ProtectSystem=strict' '$unit' && grep -qx 'LogsDirectory=mxsentry' '$unit' &&
		 grep -qx 'ReadWritePaths=-/var/log/mxsentry' '$unit'"
	check "unit: ExecReload sends SIGHUP" grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit"
	check "logrotate: postrotate sends SIGHUP" \
		grep -q 'systemctl kill --signal=HUP' "$dest$etc/logrotate.d/mxsentry"
	if command -v systemd-analyze >/dev/null; then
		# The unit as installed, its binary taken from the DESTDIR.
		sed "s|$prefix/bin/mxsentry|$bin|g" "$unit" >"$TMP/mxsentry.service"
		systemd-analyze verify --man=no "$TMP/mxsentry.service" >"$TMP/verify.out" 2>&1
		check "systemd-analyze verify on the unit" test $? = 0 -a ! -s "$TMP/verify.out" ||
			sed 's/^/    /' "$TMP/verify.out"
	else
		echo "note: systemd-analyze is not installed: the unit was not verified"
	fi
	make -C "$ROOT" --no-print-directory uninstall DESTDIR="$dest" PREFIX="$prefix" \
		>"$TMP/uninstall.log" 2>&1
	check "make uninstall: exit 0" test $? = 0 || sed 's/^/    /' "$TMP/uninstall.log"
	check "make uninstall: no file left ($(find "$dest" -type f | head -n3 | tr '\n' ' '))" \
		test -z "$(find "$dest" -type f)"
	check "make uninstall: no mxsentry directory left" \
		test -z "$(find "$dest" -name 'mxsentry*')"
}

try /usr/local /etc
try /opt/mx /opt/mx/etc

# An operator's changed configuration survives install and uninstall.
dest=$TMP/keep
mkdir -p "$dest/etc/mxsentry"
printf 'workers: 3\n' >"$dest/etc/mxsentry/mxsentry.yaml"
make -C "$ROOT" --no-print-directory install DESTDIR="$dest" >/dev/null 2>&1
make -C "$ROOT" --no-print-directory uninstall DESTDIR="$dest" >/dev/null 2>&1
check "a changed configuration is kept by install and uninstall" \
	test "$(cat "$dest/etc/mxsentry/mxsentry.yaml")" = "workers: 3"

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
