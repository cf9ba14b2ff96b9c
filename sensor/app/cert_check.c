/*
 * cert_check.c - a session's certificate checks around the correlate
 * stage's lock (cert_check.h).
 */
#include "app/cert_check.h"

void cert_check(struct correlate *c, struct mail_facts *mf, uint64_t ts_us, struct alert_list *out)
{
	struct mail_pkix_want w;
	struct pkix_failure why;
	enum pkix_result r;

	mail_correlate_certificate(c, mf, ts_us, &w, out);
	if (!w.wanted)
		return;
	r = mail_pkix_check(&w, mf, ts_us, &why);
	mail_correlate_pkix(c, mf, ts_us, &w, r, &why, out);
}
