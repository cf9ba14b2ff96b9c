#!/bin/sh
# Installs the Debian packages the lab needs (tests/lab/packages.txt) without
# letting their maintainer scripts configure or start the distribution's
# mail and DNS services: Postfix is preseeded to "No configuration", and
# while apt-get runs, a policy-rc.d (only if the machine has none) denies
# every service start. The lab runs its own daemons from temporary
# directories; it never uses the system's /etc configuration of them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pkgs=$(grep -v '^#' "$here/packages.txt")
missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root to install:$missing" >&2; exit 1; }
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
rc=0
apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing || rc=$?
[ "$made_policy" = 1 ] && rm -f "$policy"
exit $rc
