/*
 * operator.h - what the sensor tells an operator about itself: the build
 * (--build-info), the loaded rules (--list-rules), what a check loaded
 * (-T) and the one start-up line of a live run.
 */
#ifndef MX_OPERATOR_H
#define MX_OPERATOR_H

#include <stdio.h>

#include "run/setup.h"

/*
 * Version, the git revision the binary was built from, the compiler, the
 * version of every library linked in (libpcap, nDPI, ldns, libyaml,
 * OpenSSL, jansson, zlib, SQLite, hiredis) and the compiled-in features,
 * one "name: value" line each.
 */
void operator_build_info(FILE *out, const char *version, const char *git_rev);

/*
 * One line per rule in kind order: sid, rev, kind, severity, enabled
 * (yes/no), and the threshold that applies to it (its own, else the sid 0
 * default, else "none"), after a header line that starts with '#'.
 */
void operator_list_rules(const struct ruleset *rs, FILE *out);

/*
 * What a successful check loaded: rules (enabled of total, thresholds,
 * suppressions), policies, trust anchors, trusted resolvers, the live
 * capture filter and the outputs, one line each.
 */
void operator_check_report(const struct setup *st, FILE *out);

/* The live capture filter the setup gives: the -f/bpf one, the built-in one, or none. */
const char *operator_live_filter(const struct setup *st);

/* "mxsentry: capturing on IFACE; filter: ...; workers N; outputs: ..." */
void operator_start_line(const struct setup *st, FILE *out);

#endif
