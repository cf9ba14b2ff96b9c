#!/bin/sh
# Rebuilds the MTA-STS PKIX captures of pcaps/pkix/ from their scenarios
# (make build/rel/tools/mkpcap first). --new first makes new certificates,
# TLS bytes, scenarios and policy.yaml with make-pkix.py (every capture
# changes; the .expected files do not).
set -eu
cd "$(dirname "$0")"
if [ "${1:-}" = "--new" ]; then
	/usr/bin/python3 ./make-pkix.py
fi
for n in ok expired wrong-ca self-signed dane; do
	../../build/rel/tools/mkpcap "$n.scn"
done
