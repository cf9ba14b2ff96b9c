/*
 * smtp_int.h - what the files of the SMTP dissector share and nothing
 * else sees: the modes of each direction, the per-call context, the
 * command queue and the helpers of smtp.c.
 */
#ifndef MX_SMTP_INT_H
#define MX_SMTP_INT_H

#include "util/common.h"
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
/* Hands ev to the caller's callback, if any. */
void smtp_emit(struct smtp_run *r, struct smtp_event *ev);
/* Copies at most cap-1 bytes of src into dst, NUL-terminated, control
 * bytes replaced by '?', optionally lowercased. */
void smtp_copy_clean(char *dst, size_t cap, const uint8_t *src, size_t len, bool lower);
/* Queue of outstanding commands: push gives the command its sequence
 * number (false when full), pop/peek the oldest. */
bool smtp_q_push(struct smtp_state *s, uint8_t verb, uint32_t *seq);
bool smtp_q_pop(struct smtp_state *s, uint8_t *verb, uint32_t *seq);
bool smtp_q_peek(const struct smtp_state *s, uint8_t *verb, uint32_t *seq);
bool smtp_q_empty(const struct smtp_state *s);
/* Pairing of commands and replies is lost: forget what is outstanding. */
void smtp_desync(struct smtp_state *s);
/* After STARTTLS or DATA: hold client bytes until the reply decides. */
void smtp_client_wait(struct smtp_run *r, enum smtp_verb verb);
/* The awaited reply came (accepted: 354 to DATA); re-reads held bytes. */
void smtp_hold_decide(struct smtp_run *r, bool accepted);
/* 220 to STARTTLS: switches the client to TLS, reports injected bytes,
 * and starts the check of the server's bytes after the 220. */
void smtp_starttls_accepted(struct smtp_run *r);
/* Counts an overlong line of direction dir; emit: also report it. */
void smtp_overlong(struct smtp_run *r, int dir, uint64_t len, size_t limit, bool truncated,
		   bool emit);
/* Forgets the mail transaction being built by the client. */
void smtp_trans_reset(struct smtp_state *s);

/* smtp_cmd.c */
/* One complete client line (without CRLF; total: its length on the wire). */
void smtp_client_line(struct smtp_run *r, const uint8_t *line, size_t len, uint64_t total,
		      bool truncated);
/* The verb named by p[0..len) (any case), or SMTP_VERB_UNKNOWN. */
enum smtp_verb smtp_verb_lookup(const uint8_t *p, size_t len);
/* The SMTP_AUTH_* bit of a mechanism name, SMTP_AUTH_OTHER if unknown. */
uint32_t smtp_auth_lookup(const uint8_t *p, size_t len);

/* smtp_reply.c */
/* One complete server line (without CRLF; total: its length on the wire). */
void smtp_server_line(struct smtp_run *r, const uint8_t *line, size_t len, uint64_t total,
		      bool truncated);

/* smtp_msg.c */
/* A message starts (after 354, or at its first BDAT chunk). */
void smtp_msg_begin(struct smtp_state *s, bool bdat);
/* DATA body bytes: returns how many belong to the body (up to and
 * including the "." line, after which the client mode is commands). */
size_t smtp_msg_data(struct smtp_run *r, const uint8_t *data, size_t len);
/* BDAT chunk bytes: returns how many belong to the chunk. */
size_t smtp_msg_bdat(struct smtp_run *r, const uint8_t *data, size_t len);
/* The message content is complete: snapshot the transaction for its reply. */
void smtp_msg_end(struct smtp_run *r);
/* Message bytes were lost: stop reading headers, keep looking for the end. */
void smtp_msg_gap(struct smtp_state *s);

#endif
