/*
 * tally.c - session counts for the offline summary; see tally.h.
 */
#include "correlate/tally.h"

#include <stdio.h>
#include <string.h>

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = {"none", "ok", "unverifiable", "fail"};

	return (unsigned)v < VERDICT_COUNT ? names[v] : "none";
}

static struct tally_row *find_row(struct tally *t, const struct mx_addr *server, const char *domain)
{
	struct tally_row *row;

	for (size_t i = 0; i < t->n; i++)
		if (mx_addr_cmp(&t->rows[i].server, server) == 0 &&
		    strcmp(t->rows[i].domain, domain) == 0)
			return &t->rows[i];
	if (t->n < TALLY_MAX_ROWS) {
		row = &t->rows[t->n++];
		memset(row, 0, sizeof(*row));
		row->server = *server;
		snprintf(row->domain, sizeof(row->domain), "%s", domain);
		return row;
	}
	row = &t->rows[TALLY_MAX_ROWS];
	row->other = true;
	return row;
}

void tally_add(struct tally *t, const struct mx_addr *server, const char *domain, bool tls,
	       bool cleartext_mail, enum verdict dane, enum verdict sts)
{
	struct tally_row *row = find_row(t, server, domain != NULL && domain[0] ? domain : "-");

	row->sessions++;
	row->tls += tls;
	row->cleartext_mail += cleartext_mail;
	row->dane[(unsigned)dane < VERDICT_COUNT ? dane : VERDICT_NONE]++;
	row->sts[(unsigned)sts < VERDICT_COUNT ? sts : VERDICT_NONE]++;
}
