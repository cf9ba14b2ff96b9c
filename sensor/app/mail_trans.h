/*
 * mail_trans.h - the mails of one SMTP session, one entry each, for the
 * smtp record's `transactions[]` (as Zeek's smtp.log keeps one line per
 * trans_depth): the sender and the reply to MAIL FROM, each recipient
 * with the reply to its RCPT TO, DATA or BDAT, the reply to the end of
 * the message, its size and its Message-ID where the header was seen.
 * Only what the sensor saw in cleartext: mails inside TLS are invisible.
 *
 * Bounded: MAIL_TRANS_MAX mails and MAIL_TRANS_RCPT recipients a mail are
 * listed, the rest counted; addresses are kept up to MAIL_ADDR_TEXT - 1
 * bytes. The log is allocated at the first MAIL FROM, its bytes counted
 * against the session memcap.
 */
#ifndef MX_MAIL_TRANS_H
#define MX_MAIL_TRANS_H

#include "util/common.h"
#include "output/eve.h"
#include "smtp.h"

#define MAIL_TRANS_MAX	8
#define MAIL_TRANS_RCPT 8
#define MAIL_ADDR_TEXT	128

struct mail_trans_log;

/*
 * Writes a MAIL/RCPT path as the smtp record shows it: "<>", "<local@domain>",
 * or "<redacted@domain>" when redact is set.
 */
void mail_addr_text(const struct smtp_addr *a, bool redact, char *buf, size_t len);

/*
 * Follows one SMTP event into *log (made at the first MAIL FROM when
 * *bytes + its size stays within memcap; *bytes grows by it). Returns
 * false when a log was needed and could not be made (memcap or memory):
 * that session's mails are not listed.
 */
bool mail_trans_event(struct mail_trans_log **log, const struct smtp_event *ev, bool redact,
		      size_t *bytes, size_t memcap);

/* Mails seen (listed or not); 0 for a NULL log. */
unsigned mail_trans_count(const struct mail_trans_log *log);

/*
 * Writes the recipients of the first mail as the list `key` (Suricata's
 * top-level rcpt_to). False, writing nothing, when there is no first mail
 * with a recipient.
 */
bool mail_trans_write_first_rcpts(const struct mail_trans_log *log, struct eve *e, const char *key);

/* Writes `transactions` (a list, possibly empty) and, when mails were not listed, a count. */
void mail_trans_write(const struct mail_trans_log *log, struct eve *e);

/* Frees the log and gives its bytes back (*bytes shrinks by them). */
void mail_trans_free(struct mail_trans_log *log, size_t *bytes);

#endif
