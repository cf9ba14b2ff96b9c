#!/bin/sh
# Rebuilds every-byte.scn, every-byte.lines and every-byte.pcap.
set -eu
cd "$(dirname "$0")"
/usr/bin/python3 make-every-byte.py
../../build/rel/tools/mkpcap every-byte.scn
