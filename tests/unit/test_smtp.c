/*
 * test_smtp.c - unit tests of the SMTP dissector: replies and EHLO
 * capabilities (also fed one byte at a time and split at every byte),
 * masked STARTTLS, STARTTLS refused and accepted with the hand-over to
 * TLS, command and response injection, HELO fallback, pipelining, DATA
 * with dot-stuffing and TLS-Required, BDAT with binary chunks, AUTH
 * secrets, overlong lines, mid-stream pickup and gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smtp.h"

#define LOG_MAX		  65536
#define MX_ARRAY_LEN_T(a) (sizeof(a) / sizeof((a)[0]))

/* What one session produced: a text log of every event, counts by type,
 * and the bytes each direction handed to TLS. */
struct rec {
	struct smtp_state s;
	char log[LOG_MAX];
	size_t used;
	unsigned count[SMTP_EV_TYPE_COUNT];
	uint8_t tls[2][8192];
	size_t tls_len[2];
	const char *secret[4]; /* strings no event may contain */
	/* copies of the last event of some types */
	struct smtp_event last[SMTP_EV_TYPE_COUNT];
	char last_masked[16];
	char last_inject[SMTP_EVIDENCE_MAX + 1];
	size_t last_inject_len;
	char last_header[SMTP_HDRVAL_MAX + 1];
	char last_msgid[SMTP_HDRVAL_MAX + 1];
	char last_auth[SMTP_MECH_MAX + 1];
	char last_arg[1100];
	char last_lines[2048];
};

#define POOL 8
static struct rec *pool[POOL];

static void rec_free(struct rec *r)
{
	for (int i = 0; i < POOL; i++)
		if (pool[i] == r)
			pool[i] = NULL;
	free(r);
}

/* Frees what a failed test left behind. */
static int rec_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < POOL; i++) {
		free(pool[i]);
		pool[i] = NULL;
	}
	return 0;
}

static void logf_(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->log + r->used, LOG_MAX - r->used, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < LOG_MAX - r->used);
	r->used += (size_t)n;
}

static void log_bytes(struct rec *r, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		logf_(r, (b[i] >= 0x20 && b[i] < 0x7f) ? "%c" : "\\x%02x", b[i]);
}

/* Fails when any secret shows up in p[0..len). */
static void no_secret(struct rec *r, const void *p, size_t len)
{
	if (p == NULL)
		return;
	for (int i = 0; i < 4 && r->secret[i] != NULL; i++) {
		size_t sl = strlen(r->secret[i]);

		for (size_t k = 0; k + sl <= len; k++)
			assert_false(memcmp((const char *)p + k, r->secret[i], sl) == 0);
	}
}

static void on_event(void *ctx, const struct smtp_event *ev)
{
	struct rec *r = ctx;

	assert_true(ev->type < SMTP_EV_TYPE_COUNT);
	r->count[ev->type]++;
	r->last[ev->type] = *ev;
	logf_(r, "%d/%d:", ev->type, ev->dir);
	switch (ev->type) {
	case SMTP_EV_GREETING:
	case SMTP_EV_REPLY:
	case SMTP_EV_EHLO_REPLY:
	case SMTP_EV_STARTTLS_MASKED:
	case SMTP_EV_STARTTLS_REPLY: {
		size_t u = 0;

		logf_(r, "code=%u verb=%s seq=%u n=%u", ev->u.reply.code,
		      smtp_verb_name(ev->u.reply.verb), ev->u.reply.seq, ev->u.reply.nlines);
		r->last_lines[0] = '\0';
		for (unsigned i = 0; i < ev->u.reply.nlines; i++) {
			const struct smtp_line *l = &ev->u.reply.lines[i];

			no_secret(r, l->p, l->len);
			logf_(r, " [");
			log_bytes(r, l->p, l->len);
			logf_(r, "]");
			if (u + l->len + 2 < sizeof(r->last_lines)) {
				memcpy(r->last_lines + u, l->p, l->len);
				u += l->len;
				r->last_lines[u++] = '|';
				r->last_lines[u] = '\0';
			}
		}
		if (ev->type == SMTP_EV_EHLO_REPLY || ev->type == SMTP_EV_STARTTLS_MASKED) {
			logf_(r, " caps=%x auth=%x size=%llu st=%d", ev->ehlo.caps,
			      ev->ehlo.auth_mechs, (unsigned long long)ev->ehlo.size_limit,
			      ev->ehlo.starttls);
			if (ev->ehlo.masked != NULL) {
				assert_int_equal(ev->ehlo.masked_len, 8);
				memcpy(r->last_masked, ev->ehlo.masked, 8);
				r->last_masked[8] = '\0';
				logf_(r, " masked=%s", r->last_masked);
			}
		}
		if (ev->type == SMTP_EV_STARTTLS_REPLY)
			logf_(r, " offered=%d accepted=%d", ev->starttls.offered,
			      ev->starttls.accepted);
		break;
	}
	case SMTP_EV_COMMAND:
		logf_(r, "verb=%s seq=%u pl=%d", smtp_verb_name(ev->u.cmd.verb), ev->u.cmd.seq,
		      ev->u.cmd.pipelined);
		no_secret(r, ev->u.cmd.verb_text, ev->u.cmd.verb_len);
		no_secret(r, ev->u.cmd.arg, ev->u.cmd.arg_len);
		if (ev->u.cmd.arg != NULL) {
			size_t n = ev->u.cmd.arg_len < sizeof(r->last_arg) - 1
				       ? ev->u.cmd.arg_len
				       : sizeof(r->last_arg) - 1;

			memcpy(r->last_arg, ev->u.cmd.arg, n);
			r->last_arg[n] = '\0';
			logf_(r, " arg=");
			log_bytes(r, ev->u.cmd.arg, ev->u.cmd.arg_len);
		}
		if (ev->u.cmd.addr != NULL)
			logf_(r, " local=%s domain=%s", ev->u.cmd.addr->local,
			      ev->u.cmd.addr->domain);
		if (ev->u.cmd.requiretls)
			logf_(r, " requiretls");
		break;
	case SMTP_EV_STARTTLS_COMMAND_INJECTION:
	case SMTP_EV_STARTTLS_RESPONSE_INJECTION:
		assert_true(ev->u.inject.bytes_len <= SMTP_EVIDENCE_MAX);
		memcpy(r->last_inject, ev->u.inject.bytes, ev->u.inject.bytes_len);
		r->last_inject[ev->u.inject.bytes_len] = '\0';
		r->last_inject_len = ev->u.inject.bytes_len;
		logf_(r, "len=%llu ", (unsigned long long)ev->u.inject.len);
		log_bytes(r, ev->u.inject.bytes, ev->u.inject.bytes_len);
		break;
	case SMTP_EV_TLS_BEGIN:
		logf_(r, "pending=%zu", ev->u.tls_begin.pending);
		break;
	case SMTP_EV_AUTH:
		no_secret(r, ev->u.auth.mech, strlen(ev->u.auth.mech));
		snprintf(r->last_auth, sizeof(r->last_auth), "%s", ev->u.auth.mech);
		logf_(r, "mech=%s code=%u lines=%u", ev->u.auth.mech, ev->u.auth.code,
		      ev->u.auth.sasl_lines);
		break;
	case SMTP_EV_MESSAGE_ID:
		memcpy(r->last_msgid, ev->u.header.value, ev->u.header.value_len);
		r->last_msgid[ev->u.header.value_len] = '\0';
		logf_(r, "message-id=%s", r->last_msgid);
		break;
	case SMTP_EV_TLS_REQUIRED_HEADER:
		memcpy(r->last_header, ev->u.header.value, ev->u.header.value_len);
		r->last_header[ev->u.header.value_len] = '\0';
		logf_(r, "value=%s tlsreq=%d", r->last_header, ev->u.header.tlsreq);
		break;
	case SMTP_EV_TRANSACTION:
		logf_(r, "code=%u bdat=%d bytes=%llu rcpts=%u rtls=%d tlsreq=%d from=%s",
		      ev->u.trans.code, ev->u.trans.bdat,
		      (unsigned long long)ev->u.trans.body_bytes, ev->u.trans.rcpts,
		      ev->u.trans.requiretls, ev->u.trans.tlsreq,
		      ev->u.trans.from != NULL ? ev->u.trans.from->domain : "-");
		break;
	case SMTP_EV_OVERLONG_LINE:
		logf_(r, "len=%llu limit=%zu trunc=%d", (unsigned long long)ev->u.overlong.len,
		      ev->u.overlong.limit, ev->u.overlong.truncated);
		break;
	case SMTP_EV_EHLO_DOWNGRADE:
		logf_(r, "ehlo=%u", ev->u.downgrade.ehlo_code);
		break;
	case SMTP_EV_BODY_ANOMALY:
		logf_(r, "kind=%d", ev->u.anomaly.kind);
		break;
	default:
		break;
	}
	logf_(r, "\n");
}

static const struct smtp_callbacks cbs = {on_event};

static struct rec *rec_new(bool implicit)
{
	struct rec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	smtp_init(&r->s, implicit);
	for (int i = 0; i < POOL; i++) {
		if (pool[i] == NULL) {
			pool[i] = r;
			break;
		}
	}
	return r;
}

static void to_tls(struct rec *r, int dir, const uint8_t *p, size_t n)
{
	assert_true(r->tls_len[dir] + n <= sizeof(r->tls[dir]));
	memcpy(r->tls[dir] + r->tls_len[dir], p, n);
	r->tls_len[dir] += n;
}

/* The caller loop of smtp.h, in chunks of at most chunk bytes. */
static void feedn(struct rec *r, int dir, const void *data, size_t len, size_t chunk)
{
	const uint8_t *p = data;

	for (size_t off = 0; off < len;) {
		size_t n = len - off < chunk ? len - off : chunk;
		size_t used = smtp_feed(&r->s, dir, p + off, n, &cbs, r);
		const uint8_t *pend;
		size_t plen;

		assert_true(used <= n);
		for (int d = 0; d < 2; d++)
			if ((plen = smtp_take_tls_pending(&r->s, d, &pend)) > 0)
				to_tls(r, d, pend, plen);
		if (used < n) {
			assert_true(smtp_dir_is_tls(&r->s, dir));
			to_tls(r, dir, p + off + used, n - used);
		}
		off += n;
	}
}

static void feed(struct rec *r, int dir, const char *s)
{
	feedn(r, dir, s, strlen(s), (size_t)-1);
}

#define C(s) feed(r, 0, s)
#define S(s) feed(r, 1, s)

static const char greeting[] = "220 mx.example.org ESMTP Postfix\r\n";
static const char ehlo_reply[] = "250-mx.example.org\r\n"
				 "250-PIPELINING\r\n"
				 "250-SIZE 10240000\r\n"
				 "250-STARTTLS\r\n"
				 "250-AUTH PLAIN LOGIN\r\n"
				 "250-ENHANCEDSTATUSCODES\r\n"
				 "250-8BITMIME\r\n"
				 "250-SMTPUTF8\r\n"
				 "250-REQUIRETLS\r\n"
				 "250 CHUNKING\r\n";

static void test_basic_session(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("EHLO client.example.net\r\n");
	S(ehlo_reply);
	C("MAIL FROM:<Alice.Smith@Example.NET> SIZE=100 REQUIRETLS\r\n");
	S("250 2.1.0 Ok\r\n");
	C("RCPT TO:<bob@example.org>\r\n");
	S("250 2.1.5 Ok\r\n");
	C("DATA\r\n");
	S("354 End data with <CR><LF>.<CR><LF>\r\n");
	C("Subject: test\r\nTLS-Required: No\r\n\r\nhello\r\n.\r\n");
	S("250 2.0.0 Ok: queued\r\n");
	C("QUIT\r\n");
	S("221 2.0.0 Bye\r\n");

	assert_string_equal(in->banner_host, "mx.example.org");
	assert_int_equal(in->greeting_code, 220);
	assert_int_equal(in->helo_verb, SMTP_VERB_EHLO);
	assert_string_equal(in->helo_name, "client.example.net");
	assert_int_equal(in->ehlo_code, 250);
	assert_true(in->caps & SMTP_CAP_STARTTLS);
	assert_true(in->caps & SMTP_CAP_PIPELINING);
	assert_true(in->caps & SMTP_CAP_CHUNKING);
	assert_true(in->caps & SMTP_CAP_SIZE);
	assert_true(in->caps & SMTP_CAP_8BITMIME);
	assert_true(in->caps & SMTP_CAP_SMTPUTF8);
	assert_true(in->caps & SMTP_CAP_REQUIRETLS);
	assert_true(in->caps & SMTP_CAP_AUTH);
	assert_true(in->caps & SMTP_CAP_ENHANCEDSTATUSCODES);
	assert_false(in->caps & SMTP_CAP_OTHER);
	assert_int_equal(in->auth_mechs, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN);
	assert_int_equal(in->size_limit, 10240000);
	assert_true(in->starttls_offered);
	assert_false(in->starttls_masked);
	assert_false(in->starttls_issued);
	assert_true(in->cleartext_mail);
	assert_int_equal(in->nfrom, 1);
	assert_string_equal(in->from[0].local, "Alice.Smith");
	assert_string_equal(in->from[0].domain, "example.net");
	assert_int_equal(in->from[0].code, 250);
	assert_int_equal(in->nrcpt, 1);
	assert_string_equal(in->rcpt[0].local, "bob");
	assert_string_equal(in->rcpt[0].domain, "example.org");
	assert_true(in->requiretls);
	assert_int_equal(in->tls_required, SMTP_TLSREQ_NO);
	assert_int_equal(in->commands, 5);
	assert_int_equal(in->replies, 7);
	assert_int_equal(in->transactions, 1);
	assert_int_equal(in->messages, 1);
	assert_int_equal(in->unmatched_replies, 0);
	assert_int_equal(r->count[SMTP_EV_GREETING], 1);
	assert_int_equal(r->count[SMTP_EV_EHLO_REPLY], 1);
	assert_int_equal(r->count[SMTP_EV_TLS_REQUIRED_HEADER], 1);
	assert_string_equal(r->last_header, "No");
	assert_int_equal(r->count[SMTP_EV_TRANSACTION], 1);
	assert_int_equal(r->last[SMTP_EV_TRANSACTION].u.trans.code, 250);
	assert_true(r->last[SMTP_EV_TRANSACTION].u.trans.requiretls);
	assert_int_equal(r->last[SMTP_EV_TRANSACTION].u.trans.tlsreq, SMTP_TLSREQ_NO);
	assert_int_equal(r->last[SMTP_EV_TRANSACTION].u.trans.rcpts, 1);
	assert_int_equal(r->last[SMTP_EV_TRANSACTION].u.trans.body_bytes,
			 strlen("Subject: test\r\nTLS-Required: No\r\n\r\nhello\r\n"));
	assert_int_equal(r->count[SMTP_EV_STARTTLS_MASKED], 0);
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 0);
	assert_false(smtp_dir_is_tls(&r->s, 0));
	assert_false(smtp_dir_is_tls(&r->s, 1));
	rec_free(r);
}

/* A session as a list of (direction, bytes) steps. */
struct step {
	int dir;
	const char *data;
	size_t len; /* 0: strlen */
};

static size_t step_len(const struct step *st)
{
	return st->len != 0 ? st->len : strlen(st->data);
}

static struct rec *run_steps(const struct step *st, size_t n, size_t chunk, bool midstream)
{
	struct rec *r = rec_new(false);

	if (midstream)
		smtp_set_midstream(&r->s);
	for (size_t i = 0; i < n; i++)
		feedn(r, st[i].dir, st[i].data, step_len(&st[i]), chunk);
	return r;
}

/* Same steps, but step k split in two at byte cut. */
static struct rec *run_split(const struct step *st, size_t n, size_t k, size_t cut)
{
	struct rec *r = rec_new(false);

	for (size_t i = 0; i < n; i++) {
		size_t len = step_len(&st[i]);

		if (i == k) {
			feedn(r, st[i].dir, st[i].data, cut, (size_t)-1);
			feedn(r, st[i].dir, st[i].data + cut, len - cut, (size_t)-1);
		} else {
			feedn(r, st[i].dir, st[i].data, len, (size_t)-1);
		}
	}
	return r;
}

static void same_result(const struct rec *a, const struct rec *b)
{
	assert_string_equal(a->log, b->log);
	for (int d = 0; d < 2; d++) {
		assert_int_equal(a->tls_len[d], b->tls_len[d]);
		assert_memory_equal(a->tls[d], b->tls[d], a->tls_len[d]);
	}
	assert_memory_equal(&a->s.info, &b->s.info, sizeof(a->s.info));
}

static const char masked_reply[] = "250-mx.example.org Hello\r\n"
				   "250-PIPELINING\r\n"
				   "250-XXXXXXXA\r\n"
				   "250-AUTH=LOGIN PLAIN\r\n"
				   "250 8BITMIME\r\n";

static void check_split_invariance(const struct step *st, size_t n)
{
	struct rec *whole = run_steps(st, n, (size_t)-1, false);
	struct rec *bytes = run_steps(st, n, 1, false);

	same_result(whole, bytes);
	rec_free(bytes);
	for (size_t k = 0; k < n; k++) {
		for (size_t cut = 1; cut < step_len(&st[k]); cut++) {
			struct rec *sp = run_split(st, n, k, cut);

			same_result(whole, sp);
			rec_free(sp);
		}
	}
	rec_free(whole);
}

static void test_ehlo_split_every_byte(void **state)
{
	const struct step st[] = {
	    {1, greeting, 0},
	    {0, "EHLO client.example.net\r\n", 0},
	    {1, ehlo_reply, 0},
	    {0, "EHLO again\r\n", 0},
	    {1, masked_reply, 0},
	    {0, "STARTTLS\r\n", 0},
	    {1, "220 2.0.0 Ready to start TLS\r\n", 0},
	    {0, "\x16\x03\x01\x00\x05hello", 10},
	    {1, "\x16\x03\x03\x00\x02hi", 7},
	};
	struct rec *r;

	(void)state;
	check_split_invariance(st, MX_ARRAY_LEN_T(st));
	r = run_steps(st, MX_ARRAY_LEN_T(st), 1, false);
	assert_int_equal(r->count[SMTP_EV_EHLO_REPLY], 2);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_MASKED], 1);
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 2);
	assert_int_equal(r->tls_len[0], 10);
	assert_int_equal(r->tls_len[1], 7);
	rec_free(r);
}

static void test_masked(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("EHLO c\r\n");
	S(masked_reply);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_MASKED], 1);
	assert_string_equal(r->last_masked, "XXXXXXXA");
	assert_true(in->starttls_masked);
	assert_false(in->starttls_offered);
	assert_string_equal(in->masked_keyword, "XXXXXXXA");
	assert_true(in->auth_mechs & SMTP_AUTH_LOGIN);
	assert_true(in->auth_mechs & SMTP_AUTH_PLAIN);
	assert_non_null(strstr(r->last_lines, "250-XXXXXXXA|"));
	assert_string_equal(r->last[SMTP_EV_STARTTLS_MASKED].ehlo.masked_line, "250-XXXXXXXA");
	rec_free(r);

	assert_true(smtp_keyword_is_masked_starttls("XXXXXXXA", 8));
	assert_true(smtp_keyword_is_masked_starttls("xxxxxxxa", 8));
	assert_true(smtp_keyword_is_masked_starttls("XXXXXXXX", 8));
	assert_true(smtp_keyword_is_masked_starttls("STARTTLX", 8));
	assert_true(smtp_keyword_is_masked_starttls("XTARTTLS", 8));
	assert_true(smtp_keyword_is_masked_starttls("****TTLS", 8));
	assert_true(smtp_keyword_is_masked_starttls("STARTTL*", 8));
	assert_true(smtp_keyword_is_masked_starttls("########", 8));
	assert_true(smtp_keyword_is_masked_starttls("STARTTLZ", 8));
	assert_false(smtp_keyword_is_masked_starttls("STARTTLS", 8));
	assert_false(smtp_keyword_is_masked_starttls("starttls", 8));
	assert_false(smtp_keyword_is_masked_starttls("CHUNKING", 8));
	assert_false(smtp_keyword_is_masked_starttls("8BITMIME", 8));
	assert_false(smtp_keyword_is_masked_starttls("SMTPUTF8", 8));
	assert_false(smtp_keyword_is_masked_starttls("XFORWARD", 8));
	assert_false(smtp_keyword_is_masked_starttls("ABCDEFGH", 8));
	assert_false(smtp_keyword_is_masked_starttls("XXXXXXXA1", 9));
	assert_false(smtp_keyword_is_masked_starttls("XXXXXXX", 7));
	assert_false(smtp_keyword_is_masked_starttls("XEXCH50", 7));
	assert_false(smtp_keyword_is_masked_starttls("XXX XXXX", 8));
}

static void test_starttls_454(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\n");
	S("454 4.7.0 TLS not available due to local problem\r\n");
	C("MAIL FROM:<a@b.example>\r\n");
	S("250 ok\r\n");
	assert_int_equal(r->count[SMTP_EV_STARTTLS_REPLY], 1);
	assert_int_equal(r->last[SMTP_EV_STARTTLS_REPLY].u.reply.code, 454);
	assert_true(r->last[SMTP_EV_STARTTLS_REPLY].starttls.offered);
	assert_false(r->last[SMTP_EV_STARTTLS_REPLY].starttls.accepted);
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 0);
	assert_true(in->starttls_issued);
	assert_int_equal(in->starttls_code, 454);
	assert_true(in->cleartext_mail);
	assert_false(smtp_dir_is_tls(&r->s, 0));
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_MAIL);
	rec_free(r);
}

/* A capture without the greeting: the first reply answers the EHLO. */
static void test_no_greeting(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	C("EHLO c\r\n");
	S("250 mx.example.org\r\n");
	C("rset\r\nstaRttLs\r\n");
	S("250 ok\r\n");
	S("220 go ahead\r\n");
	assert_int_equal(r->count[SMTP_EV_GREETING], 0);
	assert_int_equal(r->count[SMTP_EV_EHLO_REPLY], 1);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_REPLY], 1);
	assert_int_equal(in->starttls_code, 220);
	assert_int_equal(in->greeting_code, 0);
	rec_free(r);
}

static const uint8_t client_hello[] = {0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00};
static const uint8_t server_hello[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00};

static void test_starttls_handover(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);
	size_t used;

	(void)state;
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\n");
	S("220 2.0.0 Ready to start TLS\r\n");
	assert_true(smtp_dir_is_tls(&r->s, 0));
	assert_false(smtp_dir_is_tls(&r->s, 1)); /* until the client speaks */
	used = smtp_feed(&r->s, 0, client_hello, sizeof(client_hello), &cbs, r);
	assert_int_equal(used, 0);
	assert_true(smtp_dir_is_tls(&r->s, 1));
	used = smtp_feed(&r->s, 1, server_hello, sizeof(server_hello), &cbs, r);
	assert_int_equal(used, 0);
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 2);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_COMMAND_INJECTION], 0);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_RESPONSE_INJECTION], 0);
	assert_true(r->last[SMTP_EV_STARTTLS_REPLY].starttls.accepted);
	assert_int_equal(in->starttls_code, 220);
	assert_true(in->tls[0] && in->tls[1]);
	assert_false(in->cleartext_mail);
	assert_int_equal(in->command_injection, 0);
	assert_int_equal(in->response_injection, 0);
	rec_free(r);

	/* 220 and ServerHello in one chunk after the client's hello. */
	r = rec_new(false);
	S(greeting);
	C("EHLO c\r\nSTARTTLS\r\n");
	S("250 mx\r\n");
	S("220 go\r\n");
	feedn(r, 0, client_hello, sizeof(client_hello), (size_t)-1);
	feedn(r, 1, server_hello, sizeof(server_hello), (size_t)-1);
	assert_int_equal(r->tls_len[0], sizeof(client_hello));
	assert_memory_equal(r->tls[0], client_hello, sizeof(client_hello));
	assert_int_equal(r->tls_len[1], sizeof(server_hello));
	assert_int_equal(r->count[SMTP_EV_STARTTLS_COMMAND_INJECTION], 0);
	rec_free(r);

	/* A client that opens with a TLS record: implicit TLS found. */
	r = rec_new(false);
	feedn(r, 0, client_hello, sizeof(client_hello), 1);
	feedn(r, 1, server_hello, sizeof(server_hello), (size_t)-1);
	assert_true(smtp_info(&r->s)->tls_first);
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 2);
	assert_int_equal(r->tls_len[0], sizeof(client_hello));
	assert_int_equal(r->tls_len[1], sizeof(server_hello));
	rec_free(r);

	/* TLS client, plaintext server that greeted first (port mismatch). */
	r = rec_new(false);
	S(greeting);
	feedn(r, 0, client_hello, sizeof(client_hello), (size_t)-1);
	S("502 5.5.2 Error: command not recognized\r\n");
	assert_true(smtp_dir_is_tls(&r->s, 0));
	assert_false(smtp_dir_is_tls(&r->s, 1));
	assert_int_equal(r->tls_len[0], sizeof(client_hello));
	assert_int_equal(smtp_info(&r->s)->unmatched_replies, 1);
	rec_free(r);

	/* Implicit TLS: nothing is SMTP. */
	r = rec_new(true);
	assert_true(smtp_dir_is_tls(&r->s, 0) && smtp_dir_is_tls(&r->s, 1));
	assert_int_equal(smtp_feed(&r->s, 1, server_hello, sizeof(server_hello), &cbs, r), 0);
	assert_int_equal(smtp_feed(&r->s, 0, client_hello, sizeof(client_hello), &cbs, r), 0);
	assert_true(smtp_info(&r->s)->implicit_tls);
	assert_int_equal(r->used, 0);
	rec_free(r);
}

static void test_command_injection(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\nRSET\r\nMAIL FROM:<x@evil.example>\r\n");
	assert_int_equal(r->count[SMTP_EV_COMMAND], 2); /* EHLO, STARTTLS */
	S("220 2.0.0 Ready\r\n");
	feedn(r, 0, client_hello, sizeof(client_hello), (size_t)-1);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_COMMAND_INJECTION], 1);
	assert_int_equal(r->last[SMTP_EV_STARTTLS_COMMAND_INJECTION].u.inject.len, 34);
	assert_int_equal(in->command_injection, 34);
	assert_string_equal(r->last_inject, "RSET\r\nMAIL FROM:<x@evil.example>\r\n");
	assert_int_equal(r->tls_len[0], sizeof(client_hello));
	assert_memory_equal(r->tls[0], client_hello, sizeof(client_hello));
	assert_int_equal(r->count[SMTP_EV_COMMAND], 2); /* injected lines are not commands */
	assert_int_equal(in->nfrom, 0);
	rec_free(r);

	/* Injected line and a ClientHello that overtook the 220. */
	r = rec_new(false);
	in = smtp_info(&r->s);
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\nNOOP\r\n");
	feedn(r, 0, client_hello, sizeof(client_hello), (size_t)-1);
	assert_int_equal(r->tls_len[0], 0);
	S("220 2.0.0 Ready\r\n");
	assert_int_equal(r->count[SMTP_EV_STARTTLS_COMMAND_INJECTION], 1);
	assert_int_equal(in->command_injection, 6);
	assert_string_equal(r->last_inject, "NOOP\r\n");
	assert_int_equal(r->tls_len[0], sizeof(client_hello));
	assert_memory_equal(r->tls[0], client_hello, sizeof(client_hello));
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 1);
	feedn(r, 1, server_hello, sizeof(server_hello), (size_t)-1);
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 2);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_RESPONSE_INJECTION], 0);
	assert_int_equal(r->tls_len[1], sizeof(server_hello));
	rec_free(r);

	/* Injected bytes without a line end, then an early ClientHello. */
	r = rec_new(false);
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\nRSET");
	feedn(r, 0, client_hello, sizeof(client_hello), (size_t)-1);
	S("220 2.0.0 Ready\r\n");
	assert_int_equal(smtp_info(&r->s)->command_injection, 4);
	assert_int_equal(r->tls_len[0], sizeof(client_hello));
	assert_memory_equal(r->tls[0], client_hello, sizeof(client_hello));
	rec_free(r);

	/* Only an early ClientHello: no injection. */
	r = rec_new(false);
	S(greeting);
	C("EHLO c\r\nSTARTTLS\r\n");
	S("250 mx\r\n");
	feedn(r, 0, client_hello, sizeof(client_hello), 3);
	S("220 go\r\n");
	assert_int_equal(r->count[SMTP_EV_STARTTLS_COMMAND_INJECTION], 0);
	assert_int_equal(r->tls_len[0], sizeof(client_hello));
	rec_free(r);
}

static void test_response_injection(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\n");
	S("220 2.0.0 Ready\r\n250-fake\r\n250 PIPELINING\r\n");
	assert_int_equal(r->count[SMTP_EV_STARTTLS_RESPONSE_INJECTION], 0);
	feedn(r, 0, client_hello, sizeof(client_hello), (size_t)-1);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_RESPONSE_INJECTION], 1);
	assert_int_equal(in->response_injection, 26);
	assert_int_equal(r->last[SMTP_EV_STARTTLS_RESPONSE_INJECTION].u.inject.len, 26);
	assert_string_equal(r->last_inject, "250-fake\r\n250 PIPELINING\r\n");
	feedn(r, 1, server_hello, sizeof(server_hello), (size_t)-1);
	assert_int_equal(r->tls_len[1], sizeof(server_hello));
	assert_memory_equal(r->tls[1], server_hello, sizeof(server_hello));
	assert_int_equal(r->count[SMTP_EV_EHLO_REPLY], 1); /* not taken as replies */
	rec_free(r);

	/* 220 immediately followed by a TLS record: no injection. */
	r = rec_new(false);
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\n");
	{
		uint8_t buf[64];
		size_t n = strlen("220 go\r\n");

		memcpy(buf, "220 go\r\n", n);
		memcpy(buf + n, server_hello, sizeof(server_hello));
		feedn(r, 1, buf, n + sizeof(server_hello), (size_t)-1);
	}
	assert_int_equal(r->count[SMTP_EV_STARTTLS_RESPONSE_INJECTION], 0);
	assert_int_equal(r->tls_len[1], sizeof(server_hello));
	rec_free(r);

	/* Connection ends before the client says anything: smtp_finish. */
	r = rec_new(false);
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\n");
	S("220 Ready\r\n250 injected\r\n");
	smtp_finish(&r->s, &cbs, r);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_RESPONSE_INJECTION], 1);
	assert_string_equal(r->last_inject, "250 injected\r\n");
	rec_free(r);
}

static void test_helo_fallback(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("EHLO c.example\r\n");
	S("502 5.5.2 Error: command not recognized\r\n");
	C("HELO c.example\r\n");
	S("250 mx.example.org\r\n");
	assert_int_equal(r->count[SMTP_EV_EHLO_DOWNGRADE], 1);
	assert_int_equal(r->last[SMTP_EV_EHLO_DOWNGRADE].u.downgrade.ehlo_code, 502);
	assert_true(in->ehlo_downgrade);
	assert_int_equal(in->helo_verb, SMTP_VERB_HELO);
	assert_int_equal(r->count[SMTP_EV_EHLO_REPLY], 2);
	assert_true(r->last[SMTP_EV_EHLO_REPLY].ehlo.helo);
	assert_false(in->starttls_offered);
	rec_free(r);

	/* HELO without a refused EHLO is no downgrade. */
	r = rec_new(false);
	S(greeting);
	C("HELO c.example\r\n");
	S("250 mx\r\n");
	assert_int_equal(r->count[SMTP_EV_EHLO_DOWNGRADE], 0);
	rec_free(r);
}

static void test_pipelining(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nRCPT TO:<c@z.example>\r\n"
	  "DATA\r\n");
	assert_int_equal(r->count[SMTP_EV_COMMAND], 5);
	assert_true(r->last[SMTP_EV_COMMAND].u.cmd.pipelined);
	S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_RCPT);
	S("550 5.1.1 unknown user\r\n354 go ahead\r\n");
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_DATA);
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.seq, 4);
	assert_int_equal(in->nrcpt, 2);
	assert_int_equal(in->rcpt[0].code, 250);
	assert_int_equal(in->rcpt[1].code, 550);
	assert_string_equal(in->rcpt[1].domain, "z.example");
	assert_int_equal(in->from[0].code, 250);
	C("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
	S("250 queued\r\n221 bye\r\n");
	assert_int_equal(r->count[SMTP_EV_TRANSACTION], 1);
	assert_int_equal(r->last[SMTP_EV_TRANSACTION].u.trans.rcpts, 2);
	assert_string_equal(r->last[SMTP_EV_TRANSACTION].u.trans.from->domain, "x.example");
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_QUIT);
	assert_int_equal(in->unmatched_replies, 0);
	assert_non_null(strstr(r->log, "verb=end-of-data"));
	rec_free(r);
}

static void test_message_id(void **state)
{
	struct rec *r = rec_new(false);

	(void)state;
	S(greeting);
	C("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	S("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	/* Folded, case-insensitive name; only the first one of a message counts. */
	C("From: a@b\r\nmessage-id:\r\n  <1.2@b.test>  \r\nMessage-ID: <other@b.test>\r\n\r\n");
	C("Message-ID: <in-body@b.test>\r\n.\r\n");
	S("250 ok\r\n");
	assert_int_equal(r->count[SMTP_EV_MESSAGE_ID], 1);
	assert_string_equal(r->last_msgid, "<1.2@b.test>");
	/* The next message has its own. */
	C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	S("250 ok\r\n250 ok\r\n354 go\r\n");
	C("Message-ID: <2@b.test>\r\n\r\nhi\r\n.\r\n");
	S("250 ok\r\n");
	assert_int_equal(r->count[SMTP_EV_MESSAGE_ID], 2);
	assert_string_equal(r->last_msgid, "<2@b.test>");
	assert_int_equal(r->count[SMTP_EV_TRANSACTION], 2);
	rec_free(r);
}

static void test_data_dot_stuffing(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("HELO c\r\n");
	S("250 mx\r\n");
	C("MAIL FROM:<>\r\n");
	S("250 ok\r\n");
	C("RCPT TO:<postmaster>\r\n");
	S("250 ok\r\n");
	C("DATA\r\n");
	S("354 go\r\n");
	C("From: a@b\r\nTLS-Required:\r\n  No \r\nX: y\r\n\r\n");
	C("..STARTTLS\r\n..\r\nX\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\n...\r\n\r\n.\r\n");
	S("250 ok\r\n");
	C("QUIT\r\n");
	S("221 bye\r\n");
	assert_int_equal(r->count[SMTP_EV_TLS_REQUIRED_HEADER], 1);
	assert_string_equal(r->last_header, "No");
	assert_int_equal(in->tls_required, SMTP_TLSREQ_NO);
	assert_true(in->from[0].null_path);
	assert_string_equal(in->rcpt[0].local, "postmaster");
	assert_string_equal(in->rcpt[0].domain, "");
	/* Body lines are no commands. */
	assert_int_equal(in->commands, 5);
	assert_int_equal(in->nfrom, 1);
	assert_false(in->starttls_issued);
	assert_int_equal(r->count[SMTP_EV_TRANSACTION], 1);
	assert_int_equal(r->count[SMTP_EV_BODY_ANOMALY], 0);
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_QUIT);
	rec_free(r);

	/* Another value of the header. */
	r = rec_new(false);
	S(greeting);
	C("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	S("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	C("tls-required: yes please\r\n\r\nTLS-Required: No\r\n.\r\n");
	S("250 ok\r\n");
	assert_int_equal(r->count[SMTP_EV_TLS_REQUIRED_HEADER], 1);
	assert_string_equal(r->last_header, "yes please");
	assert_int_equal(smtp_info(&r->s)->tls_required, SMTP_TLSREQ_OTHER);
	rec_free(r);
}

static void test_bdat_binary(void **state)
{
	static const char chunk[] = "TLS-Required: No\r\n\r\n\x00\xff\r\n.\r\nSTARTTLS\r\nQUIT\r\n";
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);
	char cmd[64];
	size_t clen = sizeof(chunk) - 1;

	(void)state;
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("MAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<c@d.example>\r\n");
	S("250 ok\r\n250 ok\r\n");
	snprintf(cmd, sizeof(cmd), "BDAT %zu\r\n", clen);
	C(cmd);
	feedn(r, 0, chunk, clen, (size_t)-1);
	C("BDAT 9 LAST\r\n");
	feedn(r, 0, "STARTTLS\n", 9, 1);
	S("250 2.0.0 chunk ok\r\n");
	S("250 2.0.0 message ok\r\n");
	C("QUIT\r\n");
	S("221 bye\r\n");
	assert_false(in->starttls_issued);
	assert_int_equal(in->commands, 6);
	assert_int_equal(r->count[SMTP_EV_TLS_REQUIRED_HEADER], 1);
	assert_int_equal(r->count[SMTP_EV_TRANSACTION], 1);
	assert_true(r->last[SMTP_EV_TRANSACTION].u.trans.bdat);
	assert_int_equal(r->last[SMTP_EV_TRANSACTION].u.trans.body_bytes, clen + 9);
	assert_int_equal(r->last[SMTP_EV_TRANSACTION].u.trans.code, 250);
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_QUIT);
	assert_int_equal(in->unmatched_replies, 0);
	assert_int_equal(in->messages, 1);
	rec_free(r);

	/* Malformed sizes start no chunk. */
	r = rec_new(false);
	S(greeting);
	C("EHLO c\r\nBDAT -1\r\nBDAT 99999999999999999999999\r\nNOOP\r\n");
	assert_int_equal(r->count[SMTP_EV_COMMAND], 4);
	rec_free(r);
}

static void test_auth_secrets(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	r->secret[0] = "AGFsaWNlAHMzY3IzdA";
	r->secret[1] = "YWxpY2U";
	r->secret[2] = "czNjcjN0";
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("AUTH PLAIN AGFsaWNlAHMzY3IzdA==\r\n");
	S("535 5.7.8 Authentication failed\r\n");
	C("AUTH LOGIN\r\n");
	S("334 VXNlcm5hbWU6\r\n");
	C("YWxpY2U=\r\n");
	S("334 UGFzc3dvcmQ6\r\n");
	C("czNjcjN0\r\n");
	S("235 2.7.0 Authentication successful\r\n");
	C("MAIL FROM:<alice@example.net>\r\n");
	S("250 ok\r\n");
	assert_int_equal(r->count[SMTP_EV_AUTH], 2);
	assert_string_equal(r->last_auth, "LOGIN");
	assert_int_equal(r->last[SMTP_EV_AUTH].u.auth.code, 235);
	assert_int_equal(r->last[SMTP_EV_AUTH].u.auth.sasl_lines, 2);
	assert_string_equal(in->auth_mech, "LOGIN");
	assert_int_equal(in->auth_mech_bit, SMTP_AUTH_LOGIN);
	assert_int_equal(in->auth_code, 235);
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_MAIL);
	assert_null(strstr(r->log, "AGFsaWNl"));
	assert_null(strstr(r->log, "YWxpY2U"));
	assert_null(strstr(r->log, "czNjcjN0"));
	assert_non_null(strstr(r->log, "arg=PLAIN"));
	rec_free(r);

	/* Pipelined SASL line before the 334 stays secret too. */
	r = rec_new(false);
	r->secret[0] = "czNjcjN0";
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("AUTH LOGIN\r\nczNjcjN0\r\n");
	S("334 VXNlcm5hbWU6\r\n535 no\r\n");
	assert_int_equal(r->count[SMTP_EV_AUTH], 1);
	assert_null(strstr(r->log, "czNjcjN0"));
	rec_free(r);

	/* No reply ever closes the exchange (the server side is missing):
	 * a line that cannot be base64 and starts with a verb is a command. */
	r = rec_new(false);
	r->secret[0] = "Z2FsdW50";
	r->secret[1] = "VjF2MXRyMG4";
	C("EHLO c\r\nAUTH LOGIN\r\nZ2FsdW50\r\nVjF2MXRyMG4=\r\nMAIL FROM: <a@b.example>\r\n");
	assert_int_equal(r->count[SMTP_EV_COMMAND], 3);
	assert_int_equal(r->last[SMTP_EV_COMMAND].u.cmd.verb, SMTP_VERB_MAIL);
	assert_string_equal(smtp_info(&r->s)->from[0].domain, "b.example");
	assert_int_equal(smtp_info(&r->s)->auth_escaped, 1);
	rec_free(r);
}

static void test_overlong(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);
	static char line[4100];

	(void)state;
	S(greeting);
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'a', 3000);
	memcpy(line + 3005, "\r\n", 3);
	C(line);
	assert_int_equal(r->count[SMTP_EV_OVERLONG_LINE], 1);
	assert_int_equal(r->last[SMTP_EV_OVERLONG_LINE].u.overlong.len, 3007);
	assert_true(r->last[SMTP_EV_OVERLONG_LINE].u.overlong.truncated);
	assert_int_equal(in->overlong_lines[0], 1);
	assert_int_equal(in->truncated_lines[0], 1);
	assert_int_equal(r->last[SMTP_EV_COMMAND].u.cmd.verb, SMTP_VERB_NOOP);
	assert_true(r->last[SMTP_EV_COMMAND].u.cmd.truncated);
	assert_int_equal(r->last[SMTP_EV_COMMAND].u.cmd.arg_len, SMTP_LINE_MAX - 5);
	S("250 ok\r\n");
	memset(line + 5, 'b', 600);
	memcpy(line + 605, "\r\n", 3);
	C(line);
	assert_int_equal(in->overlong_lines[0], 2);
	assert_int_equal(in->truncated_lines[0], 1);
	assert_false(r->last[SMTP_EV_OVERLONG_LINE].u.overlong.truncated);
	S("250 ok\r\n");
	C("QUIT\r\n");
	S("221 bye\r\n");
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_QUIT);
	/* An overlong reply line. */
	memcpy(line, "250 ", 4);
	memset(line + 4, 'c', 2000);
	memcpy(line + 2004, "\r\n", 3);
	S(line);
	assert_int_equal(in->overlong_lines[1], 1);
	assert_int_equal(in->truncated_lines[1], 1);
	rec_free(r);
}

/* STARTTLS-related events must not come from a session picked up mid-way. */
static void no_starttls_events(const struct rec *r)
{
	assert_int_equal(r->count[SMTP_EV_STARTTLS_MASKED], 0);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_REPLY], 0);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_COMMAND_INJECTION], 0);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_RESPONSE_INJECTION], 0);
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 0);
	assert_int_equal(r->count[SMTP_EV_EHLO_DOWNGRADE], 0);
	assert_int_equal(r->count[SMTP_EV_EHLO_REPLY], 0);
	assert_false(smtp_info(&r->s)->starttls_masked);
}

static void test_midstream(void **state)
{
	const struct step in_data[] = {
	    {0, "ne of the body\r\nSTARTTLS\r\nEHLO x\r\n", 0},
	    {0, "MAIL FROM:<q@quoted.example>\r\n220 fake\r\n.\r\n", 0},
	    {1, "250 2.0.0 Ok: queued as 1234\r\n", 0},
	    {0, "QUIT\r\n", 0},
	    {1, "221 2.0.0 Bye\r\n", 0},
	};
	const struct step in_reply[] = {
	    {1, "-XXXXXXXA\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n", 0},
	    {0, "STARTTLS\r\n", 0},
	    {1, "454 4.7.0 not now\r\n", 0},
	    {0, "MAIL FROM:<a@b.example>\r\n", 0},
	    {1, "250 ok\r\n", 0},
	};
	struct rec *r;

	(void)state;
	r = run_steps(in_data, MX_ARRAY_LEN_T(in_data), (size_t)-1, true);
	no_starttls_events(r);
	assert_false(smtp_info(&r->s)->starttls_issued);
	assert_true(smtp_info(&r->s)->midstream);
	assert_int_equal(smtp_info(&r->s)->nfrom, 0);
	assert_int_equal(r->count[SMTP_EV_COMMAND], 1); /* QUIT, after resync */
	assert_int_equal(r->last[SMTP_EV_COMMAND].u.cmd.verb, SMTP_VERB_QUIT);
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_QUIT);
	rec_free(r);
	r = run_steps(in_data, MX_ARRAY_LEN_T(in_data), 1, true);
	no_starttls_events(r);
	rec_free(r);

	/* Picked up inside a multi-line EHLO reply: no capability is judged;
	 * the STARTTLS that follows a complete reply is tracked again, and
	 * it was not seen offered. */
	r = run_steps(in_reply, 2, (size_t)-1, true);
	no_starttls_events(r);
	rec_free(r);
	r = run_steps(in_reply, MX_ARRAY_LEN_T(in_reply), 1, true);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_MASKED], 0);
	assert_int_equal(r->count[SMTP_EV_EHLO_REPLY], 0);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_REPLY], 1);
	assert_false(r->last[SMTP_EV_STARTTLS_REPLY].starttls.offered);
	assert_false(smtp_info(&r->s)->starttls_offered);
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_MAIL);
	rec_free(r);
}

static void test_gaps(void **state)
{
	struct rec *r = rec_new(false);
	const struct smtp_info *in = smtp_info(&r->s);

	(void)state;
	S(greeting);
	C("EHLO c\r\n");
	/* The server's EHLO reply loses its middle. */
	S("250-mx\r\n250-PIPE");
	assert_false(smtp_gap(&r->s, 1, 100, &cbs, r));
	S("XXXXXA\r\n250 STARTTLS\r\n");
	assert_int_equal(r->count[SMTP_EV_STARTTLS_MASKED], 0);
	assert_int_equal(r->count[SMTP_EV_EHLO_REPLY], 0);
	assert_int_equal(in->gaps[1], 1);
	assert_int_equal(in->desyncs, 1);
	/* Client gap while sending commands: the STARTTLS reply is not
	 * paired with anything until the pairing is back. */
	C("STAR");
	assert_false(smtp_gap(&r->s, 0, 0, &cbs, r));
	C("TTLS\r\n");
	S("220 ready\r\n");
	no_starttls_events(r);
	C("NOOP\r\n");
	S("250 ok\r\n");
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_NOOP);
	/* A gap inside a DATA body keeps skipping to the end. */
	C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
	S("250 ok\r\n250 ok\r\n354 go\r\n");
	C("Subject: x\r\n\r\nline\r\n");
	assert_false(smtp_gap(&r->s, 0, 500, &cbs, r));
	C("more\r\nSTARTTLS\r\nRSET\r\n.\r\n");
	S("250 queued\r\n");
	assert_int_equal(r->count[SMTP_EV_TRANSACTION], 1);
	assert_false(in->starttls_issued);
	C("QUIT\r\n");
	S("221 bye\r\n");
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_QUIT);
	no_starttls_events(r);
	rec_free(r);

	/* Gap in the TLS part belongs to TLS. */
	r = rec_new(false);
	S(greeting);
	C("EHLO c\r\nSTARTTLS\r\n");
	S("250 mx\r\n220 go\r\n");
	feedn(r, 0, client_hello, sizeof(client_hello), (size_t)-1);
	assert_true(smtp_gap(&r->s, 0, 10, &cbs, r));
	assert_true(smtp_gap(&r->s, 1, 10, &cbs, r));
	rec_free(r);

	/* Gap inside a BDAT chunk: skipped by length. */
	r = rec_new(false);
	S(greeting);
	C("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 100 LAST\r\n0123456789");
	assert_false(smtp_gap(&r->s, 0, 80, &cbs, r));
	C("0123456789NOOP\r\n");
	S("250 mx\r\n250 ok\r\n250 ok\r\n250 done\r\n250 noop\r\n");
	assert_int_equal(r->count[SMTP_EV_TRANSACTION], 1);
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_NOOP);
	rec_free(r);
}

static void test_hold_replay(void **state)
{
	struct rec *r = rec_new(false);

	(void)state;
	/* A client that pipelines after STARTTLS; the server refuses it, so
	 * the held line is a command after all. */
	S(greeting);
	C("EHLO c\r\n");
	S(ehlo_reply);
	C("STARTTLS\r\nNOOP\r\nSTARTTLS\r\n");
	S("502 no\r\n");
	assert_int_equal(r->count[SMTP_EV_COMMAND], 4);
	S("250 noop ok\r\n");
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_NOOP);
	S("454 still no\r\n");
	assert_int_equal(r->count[SMTP_EV_STARTTLS_REPLY], 2);
	assert_int_equal(r->count[SMTP_EV_STARTTLS_COMMAND_INJECTION], 0);
	rec_free(r);

	/* DATA refused: what the client sent on is commands. */
	r = rec_new(false);
	S(greeting);
	C("HELO c\r\nMAIL FROM:<a@b>\r\nDATA\r\nRSET\r\n");
	S("250 mx\r\n250 ok\r\n554 no valid recipients\r\n250 reset\r\n");
	assert_int_equal(r->count[SMTP_EV_COMMAND], 4);
	assert_int_equal(r->last[SMTP_EV_REPLY].u.reply.verb, SMTP_VERB_RSET);
	rec_free(r);

	/* A one-sided capture: DATA is taken as accepted. */
	r = rec_new(false);
	C("HELO c\r\nMAIL FROM:<a@b>\r\nDATA\r\nSTARTTLS\r\n.\r\nQUIT\r\n");
	assert_int_equal(r->count[SMTP_EV_COMMAND], 4);
	assert_false(smtp_info(&r->s)->starttls_issued);
	rec_free(r);

	/* Mixed-case command that is not STARTTLS. */
	r = rec_new(false);
	S(greeting);
	C("rset\r\nstaR tLs\r\n");
	S("250 ok\r\n220 odd\r\n");
	assert_int_equal(r->count[SMTP_EV_STARTTLS_REPLY], 0);
	assert_int_equal(r->count[SMTP_EV_TLS_BEGIN], 0);
	assert_false(smtp_dir_is_tls(&r->s, 0));
	rec_free(r);
}

static void test_smuggling(void **state)
{
	struct rec *r = rec_new(false);

	(void)state;
	S(greeting);
	C("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	S("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	C("Subject: x\r\n\r\nbody\n.\nMAIL FROM:<admin@bank.example>\r\n");
	assert_int_equal(r->count[SMTP_EV_BODY_ANOMALY], 1);
	assert_int_equal(r->last[SMTP_EV_BODY_ANOMALY].u.anomaly.kind, SMTP_ANOM_BARE_LF_DOT);
	/* The server took "\n.\n" as the end: it answers while our body is open. */
	S("250 queued\r\n");
	assert_int_equal(r->count[SMTP_EV_BODY_ANOMALY], 2);
	assert_int_equal(r->last[SMTP_EV_BODY_ANOMALY].u.anomaly.kind, SMTP_ANOM_SERVER_ENDED);
	assert_int_equal(r->count[SMTP_EV_TRANSACTION], 1);
	rec_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_basic_session, rec_teardown),
	    cmocka_unit_test_teardown(test_ehlo_split_every_byte, rec_teardown),
	    cmocka_unit_test_teardown(test_masked, rec_teardown),
	    cmocka_unit_test_teardown(test_starttls_454, rec_teardown),
	    cmocka_unit_test_teardown(test_no_greeting, rec_teardown),
	    cmocka_unit_test_teardown(test_starttls_handover, rec_teardown),
	    cmocka_unit_test_teardown(test_command_injection, rec_teardown),
	    cmocka_unit_test_teardown(test_response_injection, rec_teardown),
	    cmocka_unit_test_teardown(test_helo_fallback, rec_teardown),
	    cmocka_unit_test_teardown(test_pipelining, rec_teardown),
	    cmocka_unit_test_teardown(test_data_dot_stuffing, rec_teardown),
	    cmocka_unit_test_teardown(test_message_id, rec_teardown),
	    cmocka_unit_test_teardown(test_bdat_binary, rec_teardown),
	    cmocka_unit_test_teardown(test_auth_secrets, rec_teardown),
	    cmocka_unit_test_teardown(test_overlong, rec_teardown),
	    cmocka_unit_test_teardown(test_midstream, rec_teardown),
	    cmocka_unit_test_teardown(test_gaps, rec_teardown),
	    cmocka_unit_test_teardown(test_hold_replay, rec_teardown),
	    cmocka_unit_test_teardown(test_smuggling, rec_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
