#!/bin/sh
# Rebuilds the scenarios and captures of pcaps/resolver-ad/ (see README.md).
set -eu
cd "$(dirname "$0")"
/usr/bin/python3 make-scenarios.py
for s in *.scn; do
	../../build/rel/tools/mkpcap "$s"
done
