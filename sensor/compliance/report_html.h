/*
 * report_html.h - index.html of the compliance report: one self-contained
 * page (no external scripts, fonts, styles or images; charts are inline
 * SVG; a Content-Security-Policy forbids every fetch) for a person:
 * headline shares, the per-day trend, failures by TLSRPT result type, the
 * MX hosts behind failures, and a sortable table of domains, worst first,
 * each row opening its sessions and alerts (with community_id).
 */
#ifndef MX_REPORT_HTML_H
#define MX_REPORT_HTML_H

#include <stdbool.h>

#include "compliance/ledger.h"
#include "compliance/report_files.h"

/* Writes DIR/index.html; false with a message on stderr. */
bool report_write_html(const char *dir, const struct ledger *l, const struct report_meta *m);

#endif
