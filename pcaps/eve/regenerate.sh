#!/bin/sh
# Rebuilds every-byte.scn, every-byte.lines and every-byte.pcap, and
# rdata.scn and rdata.pcap.
set -eu
cd "$(dirname "$0")"
/usr/bin/python3 make-every-byte.py
../../build/rel/tools/mkpcap every-byte.scn
/usr/bin/python3 make-rdata.py
../../build/rel/tools/mkpcap rdata.scn
