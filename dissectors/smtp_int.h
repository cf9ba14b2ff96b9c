/*
 * smtp_int.h - what the files of the SMTP dissector share and nothing
 * else sees: the modes of each direction, the per-call context, the
 * command queue and the helpers of smtp.c.
 */
#ifndef MX_SMTP_INT_H
#define MX_SMTP_INT_H

#include "common.h"
#include "smtp.h"

/* Client direction modes. */
enum {
	SMTP_C_CMD,  /* command lines */
	SMTP_C_HOLD, /* after STARTTLS/DATA, reply outstanding: bytes held */
	SMTP_C_DATA, /* DATA body up to the "." line */
	SMTP_C_BDAT, /* BDAT chunk, skipped by length */
	SMTP_C_TLS,
};

/* Server direction modes. */
enum {
	SMTP_S_REPLY, /* reply lines */
	SMTP_S_PROBE, /* after the 220 to STARTTLS, before the client's TLS */
	SMTP_S_TLS,
};

/* Queue entries carry this flag for "BDAT n LAST". */
#define SMTP_QFLAG_LAST 0x80

/* One smtp_feed/smtp_gap call: the state and where events go. */
struct smtp_run {
	struct smtp_state *s;
	const struct smtp_callbacks *cb;
	void *ctx;
};

/* smtp.c */
void smtp_emit(struct smtp_run *r, struct smtp_event *ev);
void smtp_copy_clean(char *dst, size_t cap, const uint8_t *src, size_t len, bool lower);
bool smtp_q_push(struct smtp_state *s, uint8_t verb, uint32_t *seq);
bool smtp_q_pop(struct smtp_state *s, uint8_t *verb, uint32_t *seq);
bool smtp_q_peek(const struct smtp_state *s, uint8_t *verb, uint32_t *seq);
bool smtp_q_empty(const struct smtp_state *s);
void smtp_desync(struct smtp_state *s);
void smtp_client_wait(struct smtp_run *r, enum smtp_verb verb);
void smtp_hold_decide(struct smtp_run *r, bool accepted);
void smtp_starttls_accepted(struct smtp_run *r);
void smtp_overlong(struct smtp_run *r, int dir, uint64_t len, size_t limit, bool truncated,
		   bool emit);
void smtp_trans_reset(struct smtp_state *s);

/* smtp_cmd.c */
void smtp_client_line(struct smtp_run *r, const uint8_t *line, size_t len, uint64_t total,
		      bool truncated);
enum smtp_verb smtp_verb_lookup(const uint8_t *p, size_t len);
uint32_t smtp_auth_lookup(const uint8_t *p, size_t len);

/* smtp_reply.c */
void smtp_server_line(struct smtp_run *r, const uint8_t *line, size_t len, uint64_t total,
		      bool truncated);

/* smtp_msg.c */
void smtp_msg_begin(struct smtp_state *s, bool bdat);
size_t smtp_msg_data(struct smtp_run *r, const uint8_t *data, size_t len);
size_t smtp_msg_bdat(struct smtp_run *r, const uint8_t *data, size_t len);
void smtp_msg_end(struct smtp_run *r);
void smtp_msg_gap(struct smtp_state *s);

#endif
