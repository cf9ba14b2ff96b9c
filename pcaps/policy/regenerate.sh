#!/bin/sh
# Rebuilds the captures of pcaps/policy/ from their scenarios (make
# build/rel/tools/mkpcap first). The TLS bytes are those of pcaps/smtp/tls/.
set -eu
cd "$(dirname "$0")"
sts-redirect/make-scn.py
for d in pin-ok pin-mismatch sts-host sts-redirect; do
	(cd "$d" && ../../../build/rel/tools/mkpcap "$d.scn")
done
