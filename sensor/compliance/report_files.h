/*
 * report_files.h - the machine-readable files of the compliance report:
 * report.json (per destination domain and UTC day), domains.csv (the same
 * table for spreadsheets) and tlsrpt/<policy-domain>/<date>.json[.gz]
 * (one RFC 8460 aggregate report per policy domain and day).
 */
#ifndef MX_REPORT_FILES_H
#define MX_REPORT_FILES_H

#include <stdbool.h>

#include "compliance/ledger.h"

struct report_meta {
	const char *org;       /* organization-name */
	const char *contact;   /* contact-info */
	const char *from, *to; /* the window as given, NULL: open */
	const char *const *inputs;
	int ninputs;
	bool gzip;
	json_t *state; /* --state: the store's policy domains (state_policies.h), or NULL */
};

/* Creates dir and its parents as needed; false when it cannot. */
bool report_mkdir(const char *dir);

/* Writes DIR/report.json; false with a message on stderr. */
bool report_write_json(const char *dir, const struct ledger *l, const struct report_meta *m);

/* Writes DIR/domains.csv; false with a message on stderr. */
bool report_write_csv(const char *dir, const struct ledger *l);

/*
 * Writes DIR/tlsrpt/<domain>/<date>.json (.json.gz with m->gzip) for every
 * row with sessions under a policy; *written gets how many. False with a
 * message on stderr.
 */
bool report_write_tlsrpt(const char *dir, const struct ledger *l, const struct report_meta *m,
			 unsigned *written);

/* The TLSRPT policy-type a session was judged under: "tlsa", "sts" or "no-policy-found". */
const char *report_policy_type(const struct ledger_session *s);

#endif
