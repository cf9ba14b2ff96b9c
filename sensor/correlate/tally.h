/*
 * tally.h - the per server and domain session counts behind the summary
 * table at the end of an offline run: sessions, how many had TLS, and
 * the DANE and MTA-STS verdicts. Bounded: rows past the limit are added
 * to one "other" row.
 */
#ifndef MX_TALLY_H
#define MX_TALLY_H

#include "util/common.h"

#define TALLY_MAX_ROWS	 512
#define TALLY_DOMAIN_MAX 96

enum verdict { VERDICT_NONE, VERDICT_OK, VERDICT_UNVERIFIABLE, VERDICT_FAIL, VERDICT_COUNT };

/* "none", "ok", "unverifiable", "fail". */
const char *verdict_name(enum verdict v);

struct tally_row {
	struct mx_addr server;
	char domain[TALLY_DOMAIN_MAX]; /* first recipient domain, or "-" */
	bool other;		       /* the overflow row */
	uint64_t sessions, tls, cleartext_mail;
	uint64_t dane[VERDICT_COUNT], sts[VERDICT_COUNT];
};

struct tally {
	struct tally_row rows[TALLY_MAX_ROWS + 1];
	size_t n;
};

/* Counts one finished session. domain may be NULL. */
void tally_add(struct tally *t, const struct mx_addr *server, const char *domain, bool tls,
	       bool cleartext_mail, enum verdict dane, enum verdict sts);

#endif
