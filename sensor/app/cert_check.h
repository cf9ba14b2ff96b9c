/*
 * cert_check.h - the certificate checks of one SMTP session, in the
 * order the correlate stage asks for: its judgement under the lock
 * (tlsa-mismatch, certificate-host-mismatch, and whether the chain is to
 * be verified for an MTA-STS enforce policy), then the chain's PKIX
 * verification with no lock held, then, when it failed, the alert under
 * the lock again, each step one entry point that takes the lock once.
 */
#ifndef MX_CERT_CHECK_H
#define MX_CERT_CHECK_H

#include "correlate/mail_correlate.h"

/*
 * Runs mail_correlate_certificate, mail_pkix_check and
 * mail_correlate_pkix on the session's facts at packet time ts_us; the
 * alerts decided are appended to out (the caller writes them).
 */
void cert_check(struct correlate *c, struct mail_facts *mf, uint64_t ts_us, struct alert_list *out);

#endif
