/*
 * fuzz_smtp.c - libFuzzer target for the SMTP dissector and its hand-over
 * to the TLS dissector, driven as the pipeline drives them.
 *
 * Input: byte 0 holds flags (bit 0: implicit TLS, bit 1: picked up
 * mid-stream); then chunks, each a control byte (bit 0: direction, bit 1:
 * a gap instead of data) and a length byte, followed by that many data
 * bytes (none for a gap).
 *
 * Checks beyond the sanitizers: smtp_feed never claims more than it got
 * and only leaves bytes over once the direction is TLS; every byte an
 * event points at is readable; and feeding every chunk one byte at a
 * time gives the same events as feeding it whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_digest.h"
#include "smtp.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_smtp(void *ctx, const struct smtp_event *ev)
{
	struct digest *d = ctx;

	d->events++;
	mix_u(d, (uint64_t)ev->type);
	mix_u(d, (uint64_t)ev->dir);
	switch (ev->type) {
	case SMTP_EV_GREETING:
	case SMTP_EV_REPLY:
	case SMTP_EV_EHLO_REPLY:
	case SMTP_EV_STARTTLS_MASKED:
	case SMTP_EV_STARTTLS_REPLY:
		mix_u(d, ev->u.reply.code);
		mix_u(d, (uint64_t)ev->u.reply.verb);
		mix_u(d, ev->u.reply.seq);
		for (unsigned i = 0; i < ev->u.reply.nlines; i++)
			mix_str(d, ev->u.reply.lines[i].p, ev->u.reply.lines[i].len);
		mix_u(d, ev->ehlo.caps);
		mix_str(d, ev->ehlo.masked, ev->ehlo.masked_len);
		mix_str(d, ev->ehlo.masked_line, ev->ehlo.masked_line_len);
		mix_u(d, ev->starttls.accepted);
		break;
	case SMTP_EV_COMMAND:
		mix_u(d, (uint64_t)ev->u.cmd.verb);
		mix_str(d, ev->u.cmd.verb_text, ev->u.cmd.verb_len);
		mix_str(d, ev->u.cmd.arg, ev->u.cmd.arg_len);
		mix_u(d, ev->u.cmd.pipelined);
		if (ev->u.cmd.addr != NULL) {
			mix_str(d, ev->u.cmd.addr->local, strlen(ev->u.cmd.addr->local));
			mix_str(d, ev->u.cmd.addr->domain, strlen(ev->u.cmd.addr->domain));
		}
		break;
	case SMTP_EV_STARTTLS_COMMAND_INJECTION:
	case SMTP_EV_STARTTLS_RESPONSE_INJECTION:
		if (ev->u.inject.bytes_len > SMTP_EVIDENCE_MAX)
			abort();
		mix_u(d, ev->u.inject.len);
		mix_str(d, (const char *)ev->u.inject.bytes, ev->u.inject.bytes_len);
		break;
	case SMTP_EV_TLS_BEGIN:
		mix_u(d, ev->u.tls_begin.pending);
		break;
	case SMTP_EV_AUTH:
		mix_str(d, ev->u.auth.mech, strlen(ev->u.auth.mech));
		mix_u(d, ev->u.auth.code);
		break;
	case SMTP_EV_TLS_REQUIRED_HEADER:
	case SMTP_EV_MESSAGE_ID:
		mix_str(d, ev->u.header.value, ev->u.header.value_len);
		break;
	case SMTP_EV_TRANSACTION:
		mix_u(d, ev->u.trans.code);
		mix_u(d, ev->u.trans.body_bytes);
		if (ev->u.trans.from != NULL)
			mix_str(d, ev->u.trans.from->domain, strlen(ev->u.trans.from->domain));
		break;
	case SMTP_EV_OVERLONG_LINE:
		mix_u(d, ev->u.overlong.len);
		break;
	case SMTP_EV_EHLO_DOWNGRADE:
		mix_u(d, ev->u.downgrade.ehlo_code);
		break;
	case SMTP_EV_BODY_ANOMALY:
		mix_u(d, (uint64_t)ev->u.anomaly.kind);
		break;
	default:
		abort();
	}
}

static void on_tls(void *ctx, const struct tls_event *ev)
{
	struct digest *d = ctx;

	/* Touch what the event points at so the sanitizers see it. */
	if (ev->type == TLS_EV_CERTIFICATE) {
		mix(d, ev->u.cert.der, ev->u.cert.der_len);
		for (unsigned i = 0; i < ev->u.cert.nsan; i++)
			mix(d, ev->u.cert.san[i], strlen(ev->u.cert.san[i]));
		mix(d, ev->u.cert.subject, strlen(ev->u.cert.subject));
	} else if (ev->type == TLS_EV_NOT_TLS) {
		mix(d, ev->u.not_tls.bytes, ev->u.not_tls.len);
	}
}

static const struct smtp_callbacks smtp_cb = {on_smtp};
static const struct tls_callbacks tls_cb = {on_tls};

struct session {
	struct smtp_state s;
	struct tls_state t;
	struct digest d, td;
};

static void run_chunk(struct session *x, int dir, const uint8_t *p, size_t n)
{
	size_t used = smtp_feed(&x->s, dir, p, n, &smtp_cb, &x->d);
	const uint8_t *pend;
	size_t plen;

	if (used > n || (used < n && !smtp_dir_is_tls(&x->s, dir)))
		abort();
	for (int k = 0; k < 2; k++)
		if ((plen = smtp_take_tls_pending(&x->s, k, &pend)) > 0)
			tls_feed(&x->t, k, pend, plen, &tls_cb, &x->td);
	if (used < n)
		tls_feed(&x->t, dir, p + used, n - used, &tls_cb, &x->td);
}

static void run(struct session *x, const uint8_t *data, size_t size, bool bytewise)
{
	size_t off = 1;

	smtp_init(&x->s, (data[0] & 1) != 0);
	if (data[0] & 2)
		smtp_set_midstream(&x->s);
	tls_init(&x->t, 0, NULL);
	memset(&x->d, 0, sizeof(x->d));
	memset(&x->td, 0, sizeof(x->td));
	x->d.h = x->td.h = 0xcbf29ce484222325ULL;
	while (off + 2 <= size) {
		int dir = data[off] & 1;
		bool gap = (data[off] & 2) != 0;
		size_t n = data[off + 1];

		off += 2;
		if (gap) {
			if (smtp_gap(&x->s, dir, n, &smtp_cb, &x->d))
				tls_gap(&x->t, dir, n, &tls_cb, &x->td);
			continue;
		}
		if (n > size - off)
			n = size - off;
		if (bytewise) {
			for (size_t i = 0; i < n; i++)
				run_chunk(x, dir, data + off + i, 1);
		} else {
			run_chunk(x, dir, data + off, n);
		}
		off += n;
	}
	smtp_finish(&x->s, &smtp_cb, &x->d);
	tls_free(&x->t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct session a, b;

	if (size < 1)
		return 0;
	run(&a, data, size, false);
	run(&b, data, size, true);
	if (a.d.h != b.d.h || a.d.events != b.d.events)
		abort();
	if (memcmp(&a.s.info, &b.s.info, sizeof(a.s.info)) != 0)
		abort();
	return 0;
}
