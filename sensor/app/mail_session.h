/*
 * mail_session.h - one SMTP connection as the sensor follows it: the SMTP
 * dissector on both directions, the TLS dissector once STARTTLS (or
 * implicit TLS) switches a direction to TLS, the detections that need no
 * expectation, the checks against expectations, and the smtp and tls
 * session records.
 */
#ifndef MX_MAIL_SESSION_H
#define MX_MAIL_SESSION_H

#include "app/app.h"
#include "output/eve.h"
#include "flow/flow.h"
#include "flow/stream.h"
#include "state/state.h"

struct mail_ctx;
struct mail_session;

/* Shared state of all mail sessions (fallback tracking, counters). */
struct correlate;

struct mail_ctx *mail_ctx_new(const struct app_config *cfg, struct eve *eve,
			      struct correlate *corr);
void mail_ctx_free(struct mail_ctx *m);
void mail_ctx_tick(struct mail_ctx *m, uint64_t now_us);
/* Forgets the failed TLS attempts remembered for tls-fallback-cleartext (a new timeline). */
void mail_ctx_forget(struct mail_ctx *m);

/* The mail sessions' counter tables, written to out (at most max); returns how many. */
size_t mail_ctx_stats_sources(struct mail_ctx *m, struct stats_source *out, size_t max);

/* Bytes the mail sessions hold now: sessions, transactions, TLS buffers. */
size_t mail_ctx_memuse(const struct mail_ctx *m);

/*
 * Puts back a failed TLS attempt stored by an earlier run (a
 * state_apply_fn for STATE_TLS_FAILURE facts; arg: the mail_ctx). Call
 * before traffic, while no worker reads the table.
 */
bool mail_ctx_restore(void *arg, const struct state_fact *f);

/* Starts following flow f; NULL when the session memcap is reached. */
struct mail_session *mail_session_new(struct mail_ctx *m, struct flow *f, bool implicit_tls);
/* Reassembled bytes of one direction (stream_data_fn semantics). */
void mail_session_stream(struct mail_ctx *m, struct mail_session *s, struct flow *f, int dir,
			 enum stream_chunk kind, const uint8_t *data, size_t len);
/* The flow ended: final checks, the smtp/tls records, free. */
void mail_session_end(struct mail_ctx *m, struct mail_session *s, struct flow *f);

#endif
