/*
 * smtp.c - the SMTP dissector's driver: the modes of each direction, the
 * bounded line reader, the queue that pairs pipelined commands with their
 * replies, the bytes held while a STARTTLS or DATA reply is outstanding,
 * the switch to TLS with its injection checks, gaps and mid-stream pickup.
 * Lines are interpreted in smtp_cmd.c and smtp_reply.c, message bodies in
 * smtp_msg.c.
 */
#include "smtp_int.h"
#include "util/name.h"

#include <string.h>

void smtp_init(struct smtp_state *s, bool implicit_tls)
{
	memset(s, 0, sizeof(*s));
	s->greeting_pending = true;
	s->trans_from = -1;
	s->info.implicit_tls = implicit_tls;
	if (implicit_tls) {
		s->cmode = SMTP_C_TLS;
		s->smode = SMTP_S_TLS;
		s->info.tls[0] = s->info.tls[1] = true;
	}
}

void smtp_set_midstream(struct smtp_state *s)
{
	s->info.midstream = true;
	s->greeting_pending = false;
	s->desync = true;
}

const struct smtp_info *smtp_info(const struct smtp_state *s)
{
	return &s->info;
}

bool smtp_dir_is_tls(const struct smtp_state *s, int dir)
{
	if (dir == SMTP_DIR_TOSERVER)
		return s->cmode == SMTP_C_TLS;
	if (dir == SMTP_DIR_TOCLIENT)
		return s->smode == SMTP_S_TLS;
	return false;
}

void smtp_emit(struct smtp_run *r, struct smtp_event *ev)
{
	if (r->cb != NULL && r->cb->event != NULL)
		r->cb->event(r->ctx, ev);
}

/* Copies at most cap-1 bytes, NUL-terminated; control bytes become '?'. */
void smtp_copy_clean(char *dst, size_t cap, const uint8_t *src, size_t len, bool lower)
{
	size_t n = MX_MIN(len, cap - 1);

	for (size_t i = 0; i < n; i++) {
		uint8_t c = src[i];

		if (c < 0x20 || c == 0x7f)
			c = '?';
		else if (lower)
			c = (uint8_t)mx_ascii_lower((char)c);
		dst[i] = (char)c;
	}
	dst[n] = '\0';
}

/* ---- the queue of outstanding commands ---- */

bool smtp_q_empty(const struct smtp_state *s)
{
	return s->qlen == 0;
}

bool smtp_q_push(struct smtp_state *s, uint8_t verb, uint32_t *seq)
{
	*seq = s->next_seq;
	if (s->qlen > 0) {
		struct smtp_qent *last = &s->queue[(s->qhead + s->qlen - 1) % SMTP_QUEUE_MAX];

		if (last->verb == verb && last->count < UINT16_MAX) {
			last->count++;
			s->next_seq++;
			return true;
		}
	}
	if (s->qlen == SMTP_QUEUE_MAX)
		return false;
	if (s->qlen == 0)
		s->head_seq = s->next_seq;
	s->queue[(s->qhead + s->qlen) % SMTP_QUEUE_MAX] = (struct smtp_qent){verb, 1};
	s->qlen++;
	s->next_seq++;
	return true;
}

bool smtp_q_peek(const struct smtp_state *s, uint8_t *verb, uint32_t *seq)
{
	if (s->qlen == 0)
		return false;
	*verb = s->queue[s->qhead].verb;
	*seq = s->head_seq;
	return true;
}

bool smtp_q_pop(struct smtp_state *s, uint8_t *verb, uint32_t *seq)
{
	struct smtp_qent *e;

	if (!smtp_q_peek(s, verb, seq))
		return false;
	e = &s->queue[s->qhead];
	s->head_seq++;
	if (--e->count == 0) {
		s->qhead = (s->qhead + 1) % SMTP_QUEUE_MAX;
		s->qlen--;
	}
	return true;
}

static void q_clear(struct smtp_state *s)
{
	s->qhead = s->qlen = 0;
	s->head_seq = s->next_seq;
}

/*
 * Command/reply pairing is lost (gap, mid-stream, queue overflow): forget
 * the outstanding commands; smtp_client_line restores pairing at the
 * first known command that follows a complete reply.
 */
void smtp_desync(struct smtp_state *s)
{
	if (!s->desync)
		s->info.desyncs++;
	s->desync = true;
	s->greeting_pending = false;
	s->auth_open = false;
	s->sasl_next = false;
	s->snap_len = 0;
	q_clear(s);
}

void smtp_trans_reset(struct smtp_state *s)
{
	s->trans_open = false;
	s->trans_requiretls = false;
	s->trans_tlsreq = SMTP_TLSREQ_NONE;
	s->trans_from = -1;
	s->trans_rcpts = 0;
	s->msg_bdat = false;
}

void smtp_overlong(struct smtp_run *r, int dir, uint64_t len, size_t limit, bool truncated,
		   bool emit)
{
	struct smtp_event ev;

	r->s->info.overlong_lines[dir]++;
	if (!emit)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_OVERLONG_LINE;
	ev.dir = dir;
	ev.u.overlong.len = len;
	ev.u.overlong.limit = limit;
	ev.u.overlong.truncated = truncated;
	smtp_emit(r, &ev);
}

/* ---- line reader ---- */

/*
 * Takes bytes of one line from data into lb (at most SMTP_LINE_MAX kept).
 * Returns the bytes used; *done is set when the LF ending the line was
 * among them. A line ends at LF; a CR right before it is dropped.
 */
static size_t line_take(struct smtp_linebuf *lb, const uint8_t *data, size_t len, bool *done)
{
	const uint8_t *lf = memchr(data, '\n', len);
	size_t n = lf != NULL ? (size_t)(lf - data) : len;
	size_t room = SMTP_LINE_MAX - lb->len;
	size_t copy = MX_MIN(n, room);

	memcpy(lb->buf + lb->len, data, copy);
	lb->len += copy;
	if (n > 0)
		lb->cr = data[n - 1] == '\r';
	lb->total += n;
	*done = lf != NULL;
	if (lf == NULL)
		return len;
	lb->total++; /* the LF */
	return n + 1;
}

/* Length of the finished line without its terminator, and what is kept. */
static void line_finish(struct smtp_linebuf *lb, size_t *kept, uint64_t *content)
{
	*content = lb->total - 1 - (lb->cr ? 1 : 0);
	*kept = lb->len;
	if (*kept > *content)
		*kept = (size_t)*content;
}

static void line_reset(struct smtp_linebuf *lb)
{
	lb->len = 0;
	lb->total = 0;
	lb->cr = false;
}

/* Reads lines of direction dir and hands each complete one on. */
static size_t feed_lines(struct smtp_run *r, int dir, const uint8_t *data, size_t len)
{
	struct smtp_state *s = r->s;
	struct smtp_linebuf *lb = &s->line[dir];
	size_t used;
	size_t kept;
	uint64_t content;
	bool done;

	if (dir == SMTP_DIR_TOSERVER && lb->total == 0 && len > 0) {
		s->line_after_reply = s->reply_after_client;
		s->reply_after_client = false;
	}
	used = line_take(lb, data, len, &done);
	if (!done)
		return used;
	line_finish(lb, &kept, &content);
	if (content > SMTP_LINE_MAX)
		s->info.truncated_lines[dir]++;
	if (dir == SMTP_DIR_TOSERVER)
		smtp_client_line(r, lb->buf, kept, lb->total, content > SMTP_LINE_MAX);
	else
		smtp_server_line(r, lb->buf, kept, lb->total, content > SMTP_LINE_MAX);
	line_reset(lb);
	return used;
}

/* ---- client direction ---- */

/*
 * Runs the client machine over data until it is used up or the mode
 * becomes HOLD or TLS. Returns the bytes used.
 */
static size_t client_run(struct smtp_run *r, const uint8_t *data, size_t len)
{
	struct smtp_state *s = r->s;
	size_t off = 0;

	while (off < len) {
		switch (s->cmode) {
		case SMTP_C_CMD:
			off += feed_lines(r, SMTP_DIR_TOSERVER, data + off, len - off);
			break;
		case SMTP_C_DATA:
			s->reply_after_client = false;
			off += smtp_msg_data(r, data + off, len - off);
			break;
		case SMTP_C_BDAT:
			s->reply_after_client = false;
			off += smtp_msg_bdat(r, data + off, len - off);
			break;
		default:
			return off;
		}
	}
	return off;
}

/*
 * Re-reads the held client bytes in the current client mode. If they
 * lead into another wait (a second STARTTLS or DATA), the rest stays
 * held for it.
 */
static void hold_replay(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	size_t n = s->hold_len;
	uint64_t lost = s->hold_total - s->hold_len;
	size_t off = 0;

	s->hold_len = 0;
	s->hold_total = 0;
	while (off < n) {
		if (s->cmode == SMTP_C_HOLD) {
			memmove(s->hold, s->hold + off, n - off);
			s->hold_len = n - off;
			s->hold_total = s->hold_len;
			break;
		}
		if (s->cmode == SMTP_C_TLS)
			break;
		off += client_run(r, s->hold + off, n - off);
	}
	if (lost > 0) {
		/* Bytes that did not fit are gone: the stream has a hole. */
		s->info.hold_dropped += lost;
		line_reset(&s->line[SMTP_DIR_TOSERVER]);
		if (s->cmode == SMTP_C_HOLD) {
			s->hold_len = 0;
			s->hold_total = 0;
			s->cmode = SMTP_C_CMD;
		}
		if (s->cmode == SMTP_C_CMD)
			smtp_desync(s);
		else
			smtp_msg_gap(s);
	}
}

/* After STARTTLS or DATA: hold client bytes until the reply decides. */
void smtp_client_wait(struct smtp_run *r, enum smtp_verb verb)
{
	struct smtp_state *s = r->s;

	if (verb == SMTP_VERB_DATA && !s->server_seen) {
		/* One-sided capture: no reply will come, assume 354. */
		s->data_assumed = true;
		s->cmode = SMTP_C_DATA;
		smtp_msg_begin(s, false);
		return;
	}
	s->cmode = SMTP_C_HOLD;
	s->wait_verb = (uint8_t)verb;
	s->hold_len = 0;
	s->hold_total = 0;
}

/*
 * The reply to the DATA or STARTTLS that the client waits on came:
 * accepted (354 / 220) or not. A 220 to STARTTLS goes through
 * smtp_starttls_accepted instead.
 */
void smtp_hold_decide(struct smtp_run *r, bool accepted)
{
	struct smtp_state *s = r->s;

	if (s->cmode != SMTP_C_HOLD)
		return;
	if (s->wait_verb == SMTP_VERB_DATA && accepted) {
		s->cmode = SMTP_C_DATA;
		smtp_msg_begin(s, false);
	} else {
		s->cmode = SMTP_C_CMD;
	}
	hold_replay(r);
}

static bool tls_record_byte(uint8_t b)
{
	/* TLS content types 20..24, or an SSLv2 header; never an SMTP line. */
	return (b >= 0x14 && b <= 0x18) || b >= 0x80;
}

static void emit_tls_begin(struct smtp_run *r, int dir, size_t pending)
{
	struct smtp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_TLS_BEGIN;
	ev.dir = dir;
	ev.u.tls_begin.pending = pending;
	smtp_emit(r, &ev);
}

static void emit_inject(struct smtp_run *r, int dir, uint64_t n, const uint8_t *bytes, size_t blen)
{
	struct smtp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = dir == SMTP_DIR_TOSERVER ? SMTP_EV_STARTTLS_COMMAND_INJECTION
					   : SMTP_EV_STARTTLS_RESPONSE_INJECTION;
	ev.dir = dir;
	ev.u.inject.len = n;
	ev.u.inject.bytes = bytes;
	ev.u.inject.bytes_len = MX_MIN(blen, (size_t)SMTP_EVIDENCE_MAX);
	smtp_emit(r, &ev);
}

/*
 * The server answered STARTTLS with 220: the client direction is TLS now.
 * Held plaintext in front of the first line that starts like a TLS record
 * (or of a handshake record header "16 03 0x" anywhere) was injected; from
 * there on the held bytes are TLS handed out by smtp_take_tls_pending. The server direction probes
 * for injected lines.
 */
void smtp_starttls_accepted(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	size_t tls_off = s->hold_len;
	uint64_t injected;

	if (s->cmode == SMTP_C_HOLD) {
		if (s->hold_total == s->hold_len) {
			bool line_start = true;

			for (size_t i = 0; i < s->hold_len; i++) {
				const uint8_t *h = s->hold + i;

				if ((line_start && tls_record_byte(h[0])) ||
				    (i + 2 < s->hold_len && h[0] == 0x16 && h[1] == 0x03 &&
				     h[2] <= 4)) {
					tls_off = i;
					break;
				}
				line_start = h[0] == '\n';
			}
		}
		injected = s->hold_total - (s->hold_len - tls_off);
		if (injected > 0) {
			s->info.command_injection += injected;
			emit_inject(r, SMTP_DIR_TOSERVER, injected, s->hold,
				    MX_MIN((size_t)injected, s->hold_len));
		}
		s->pending_off = tls_off;
		s->pending_len = s->hold_len - tls_off;
	}
	s->cmode = SMTP_C_TLS;
	s->info.tls[SMTP_DIR_TOSERVER] = true;
	if (s->pending_len > 0)
		s->client_after_tls = true;
	emit_tls_begin(r, SMTP_DIR_TOSERVER, s->pending_len);
	s->smode = SMTP_S_PROBE;
	s->resp_line_start = true;
}

size_t smtp_take_tls_pending(struct smtp_state *s, int dir, const uint8_t **data)
{
	size_t n;

	*data = NULL;
	if (dir != SMTP_DIR_TOSERVER || s->pending_len == 0)
		return 0;
	*data = s->hold + s->pending_off;
	n = s->pending_len;
	s->pending_len = 0;
	return n;
}

/* Bytes after STARTTLS while its reply is outstanding: hold them. */
static size_t client_hold(struct smtp_run *r, const uint8_t *data, size_t len)
{
	struct smtp_state *s = r->s;
	size_t room = SMTP_HOLD_MAX - s->hold_len;
	size_t n = MX_MIN(len, room);

	s->reply_after_client = false;
	memcpy(s->hold + s->hold_len, data, n);
	s->hold_len += n;
	s->hold_total += n;
	if (n == len)
		return n;
	if (s->wait_verb == SMTP_VERB_DATA) {
		/* A client sending this much after DATA sends its body. */
		s->data_assumed = true;
		s->cmode = SMTP_C_DATA;
		smtp_msg_begin(s, false);
		hold_replay(r);
		return n;
	}
	s->hold_total += len - n;
	return len;
}

static void client_feed(struct smtp_run *r, const uint8_t *data, size_t len, size_t *used)
{
	struct smtp_state *s = r->s;
	size_t off = 0;

	while (off < len) {
		if (s->cmode == SMTP_C_TLS)
			break;
		if (s->cmode == SMTP_C_HOLD)
			off += client_hold(r, data + off, len - off);
		else
			off += client_run(r, data + off, len - off);
	}
	*used = off;
}

/* ---- server direction ---- */

static void probe_end(struct smtp_run *r)
{
	struct smtp_state *s = r->s;

	if (s->smode != SMTP_S_PROBE)
		return;
	if (s->info.response_injection > 0)
		emit_inject(r, SMTP_DIR_TOCLIENT, s->info.response_injection, s->resp_inject,
			    s->resp_inject_kept);
	s->smode = SMTP_S_TLS;
	s->info.tls[SMTP_DIR_TOCLIENT] = true;
	emit_tls_begin(r, SMTP_DIR_TOCLIENT, 0);
}

/*
 * Server bytes after its 220 to STARTTLS. Until the client sends its
 * first TLS byte, whole lines that do not start like a TLS record are
 * injected responses; returns the bytes consumed as such.
 */
static size_t server_probe(struct smtp_run *r, const uint8_t *data, size_t len)
{
	struct smtp_state *s = r->s;
	const uint8_t *lf;
	size_t n;

	if (s->client_after_tls || (s->resp_line_start && tls_record_byte(data[0]))) {
		probe_end(r);
		return 0;
	}
	lf = memchr(data, '\n', len);
	n = lf != NULL ? (size_t)(lf - data) + 1 : len;
	if (s->resp_inject_kept < SMTP_EVIDENCE_MAX) {
		size_t c = MX_MIN(n, SMTP_EVIDENCE_MAX - s->resp_inject_kept);

		memcpy(s->resp_inject + s->resp_inject_kept, data, c);
		s->resp_inject_kept += c;
	}
	s->info.response_injection += n;
	s->resp_line_start = lf != NULL;
	return n;
}

static void server_feed(struct smtp_run *r, const uint8_t *data, size_t len, size_t *used)
{
	struct smtp_state *s = r->s;
	size_t off = 0;

	if (len > 0)
		s->server_seen = true;
	while (off < len) {
		if (s->smode == SMTP_S_REPLY) {
			off += feed_lines(r, SMTP_DIR_TOCLIENT, data + off, len - off);
		} else if (s->smode == SMTP_S_PROBE) {
			size_t n = server_probe(r, data + off, len - off);

			if (n == 0)
				break;
			off += n;
		} else {
			break;
		}
	}
	*used = off;
}

/*
 * The client's first byte is a TLS handshake record (SMTP commands never
 * start with 0x16): implicit TLS. The server direction goes along unless
 * it already spoke SMTP (a TLS client at a plaintext server).
 */
static void tls_first(struct smtp_run *r)
{
	struct smtp_state *s = r->s;

	s->client_seen = true;
	s->info.tls_first = true;
	s->cmode = SMTP_C_TLS;
	s->client_after_tls = true;
	s->info.tls[SMTP_DIR_TOSERVER] = true;
	emit_tls_begin(r, SMTP_DIR_TOSERVER, 0);
	if (!s->server_seen) {
		s->smode = SMTP_S_TLS;
		s->info.tls[SMTP_DIR_TOCLIENT] = true;
		emit_tls_begin(r, SMTP_DIR_TOCLIENT, 0);
	}
}

size_t smtp_feed(struct smtp_state *s, int dir, const uint8_t *data, size_t len,
		 const struct smtp_callbacks *cb, void *ctx)
{
	struct smtp_run r = {s, cb, ctx};
	size_t used = 0;

	if (data == NULL || len == 0)
		return 0;
	if (dir == SMTP_DIR_TOSERVER) {
		if (s->cmode == SMTP_C_TLS) {
			s->client_after_tls = true;
			probe_end(&r);
			return 0;
		}
		if (!s->client_seen && !s->info.midstream && s->cmode == SMTP_C_CMD &&
		    data[0] == 0x16) {
			tls_first(&r);
			return 0;
		}
		s->client_seen = true;
		client_feed(&r, data, len, &used);
		if (s->cmode == SMTP_C_TLS && used < len) {
			s->client_after_tls = true;
			probe_end(&r);
		}
	} else if (dir == SMTP_DIR_TOCLIENT) {
		server_feed(&r, data, len, &used);
	}
	return used;
}

bool smtp_gap(struct smtp_state *s, int dir, size_t len, const struct smtp_callbacks *cb, void *ctx)
{
	struct smtp_run r = {s, cb, ctx};

	if (dir == SMTP_DIR_TOSERVER) {
		s->info.gaps[0]++;
		s->reply_after_client = false;
		switch (s->cmode) {
		case SMTP_C_TLS:
			return true;
		case SMTP_C_DATA:
			s->msg_bytes += len;
			smtp_msg_gap(s);
			return false;
		case SMTP_C_BDAT:
			if (len > 0 && len <= s->bdat_left) {
				s->bdat_left -= len;
				s->msg_bytes += len;
				smtp_msg_gap(s);
				if (s->bdat_left == 0)
					s->cmode = SMTP_C_CMD;
				return false;
			}
			break;
		case SMTP_C_HOLD:
			s->info.hold_dropped += s->hold_total;
			s->hold_len = 0;
			s->hold_total = 0;
			break;
		default:
			break;
		}
		s->cmode = SMTP_C_CMD;
		line_reset(&s->line[0]);
		smtp_desync(s);
		return false;
	}
	if (dir != SMTP_DIR_TOCLIENT)
		return false;
	s->info.gaps[1]++;
	if (s->smode == SMTP_S_TLS)
		return true;
	if (s->smode == SMTP_S_PROBE) {
		probe_end(&r);
		return true;
	}
	s->in_reply = false;
	line_reset(&s->line[1]);
	smtp_desync(s);
	return false;
}

void smtp_finish(struct smtp_state *s, const struct smtp_callbacks *cb, void *ctx)
{
	struct smtp_run r = {s, cb, ctx};

	if (s->smode == SMTP_S_PROBE && s->info.response_injection > 0)
		probe_end(&r);
}
