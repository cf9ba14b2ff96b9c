/*
 * smtp_msg.c - message content after DATA or BDAT: skipped without
 * buffering, except that the header block is read byte by byte for the
 * TLS-Required header (RFC 8689) and the Message-ID (RFC 5322 3.6.4).
 * A DATA body ends at CRLF "." CRLF (RFC 5321 4.1.1.4; dot-stuffing
 * undone for the header reader); "." lines next to a bare LF are reported
 * (SMTP smuggling) but do not end it. BDAT chunks are skipped by their
 * length, whatever they contain.
 */
#include "smtp_int.h"

#include <string.h>

/* DATA scanner states. */
enum {
	D_LINE_START, /* at the first byte of a line */
	D_DOT,	      /* the line started with "." */
	D_DOT_CR,     /* "." then CR */
	D_MID,	      /* inside a line */
};

/* Header reader states. */
enum {
	H_START,    /* first byte of a header line */
	H_START_CR, /* CR at the start of a line */
	H_NAME,
	H_VALUE,
	H_DONE, /* header block over */
};

static const char tlsreq_name[] = "TLS-Required";
static const char msgid_name[] = "Message-ID";

/* The headers whose value is kept. */
enum { HDR_NONE, HDR_TLSREQ, HDR_MSGID };

void smtp_msg_begin(struct smtp_state *s, bool bdat)
{
	s->dstate = D_LINE_START;
	s->dot_bare_before = false;
	s->body_cr = false;
	s->body_line_len = 0;
	s->msg_bytes = 0;
	s->msg_bdat = bdat;
	s->msg_headers_done = false;
	s->gap_in_body = false;
	memset(&s->hdr, 0, sizeof(s->hdr));
	s->hdr.state = H_START;
}

static bool ieq_name(const char *a, size_t alen, const char *b)
{
	if (alen != strlen(b))
		return false;
	for (size_t i = 0; i < alen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'a' && x <= 'z')
			x = (char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 'a' + 'A');
		if (x != y)
			return false;
	}
	return true;
}

/* Reports the finished header value h as an event of the given type. */
static void emit_header(struct smtp_run *r, const struct smtp_hdrparse *h,
			enum smtp_event_type type, enum smtp_tlsreq tlsreq)
{
	struct smtp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.dir = SMTP_DIR_TOSERVER;
	ev.u.header.value = h->value;
	ev.u.header.value_len = h->value_len;
	ev.u.header.tlsreq = tlsreq;
	smtp_emit(r, &ev);
}

/* A header ended: report it if it is TLS-Required or the first Message-ID. */
static void header_finish(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	struct smtp_hdrparse *h = &s->hdr;
	enum smtp_tlsreq v;
	uint8_t which = h->interesting;

	if (which == HDR_NONE)
		return;
	h->interesting = HDR_NONE;
	while (h->value_len > 0 &&
	       (h->value[h->value_len - 1] == ' ' || h->value[h->value_len - 1] == '\t'))
		h->value_len--;
	h->value[h->value_len] = '\0';
	if (which == HDR_MSGID) {
		h->message_id_seen = true;
		emit_header(r, h, SMTP_EV_MESSAGE_ID, SMTP_TLSREQ_NONE);
		return;
	}
	v = ieq_name(h->value, h->value_len, "No") ? SMTP_TLSREQ_NO : SMTP_TLSREQ_OTHER;
	if (s->trans_tlsreq != SMTP_TLSREQ_NO)
		s->trans_tlsreq = v;
	if (s->info.tls_required != SMTP_TLSREQ_NO)
		s->info.tls_required = v;
	emit_header(r, h, SMTP_EV_TLS_REQUIRED_HEADER, v);
}

static void header_block_done(struct smtp_run *r)
{
	header_finish(r);
	r->s->hdr.state = H_DONE;
	r->s->msg_headers_done = true;
}

static void header_line_end(struct smtp_run *r)
{
	struct smtp_hdrparse *h = &r->s->hdr;

	if (h->line_len + 2 > SMTP_TEXT_LIMIT)
		smtp_overlong(r, SMTP_DIR_TOSERVER, h->line_len + 2, SMTP_TEXT_LIMIT,
			      h->line_len > SMTP_LINE_MAX, true);
	h->line_len = 0;
}

/* One byte of the header block (after dot-unstuffing). */
static void header_byte(struct smtp_run *r, uint8_t b)
{
	struct smtp_hdrparse *h = &r->s->hdr;

	if (h->state == H_DONE)
		return;
	if (b != '\r' && b != '\n')
		h->line_len++;
	switch (h->state) {
	case H_START:
	case H_START_CR:
		if (b == '\n') {
			header_line_end(r);
			header_block_done(r);
		} else if (b == '\r') {
			h->state = H_START_CR;
		} else if (h->state == H_START_CR) {
			/* CR inside an otherwise empty line: not a header. */
			header_block_done(r);
		} else if (b == ' ' || b == '\t') {
			h->state = H_VALUE; /* folded continuation */
			if (h->interesting && h->value_len > 0 && h->value_len < SMTP_HDRVAL_MAX &&
			    h->value[h->value_len - 1] != ' ')
				h->value[h->value_len++] = ' ';
		} else {
			header_finish(r);
			h->name_len = 0;
			h->state = H_NAME;
			if (b == ':')
				h->state = H_VALUE;
			else
				h->name[h->name_len++] = (char)b;
		}
		break;
	case H_NAME:
		if (b == ':') {
			size_t n = h->name_len;

			while (n > 0 && (h->name[n - 1] == ' ' || h->name[n - 1] == '\t'))
				n--;
			h->interesting = HDR_NONE;
			if (n < sizeof(h->name) && ieq_name(h->name, n, tlsreq_name))
				h->interesting = HDR_TLSREQ;
			else if (n < sizeof(h->name) && !h->message_id_seen &&
				 ieq_name(h->name, n, msgid_name))
				h->interesting = HDR_MSGID;
			h->value_len = 0;
			h->state = H_VALUE;
		} else if (b == '\n') {
			/* A line without a colon: the header block is over. */
			header_line_end(r);
			header_block_done(r);
		} else if (b != '\r') {
			if (h->name_len < sizeof(h->name))
				h->name[h->name_len++] = (char)b;
		}
		break;
	case H_VALUE:
		if (b == '\n') {
			header_line_end(r);
			h->state = H_START;
		} else if (b == '\r') {
			break;
		} else if (h->interesting) {
			bool ws = b == ' ' || b == '\t';

			if (ws && (h->value_len == 0 || h->value[h->value_len - 1] == ' '))
				break;
			if (h->value_len < SMTP_HDRVAL_MAX)
				h->value[h->value_len++] = ws ? ' ' : (char)b;
		}
		break;
	default:
		break;
	}
}

static void body_anomaly(struct smtp_run *r)
{
	struct smtp_event ev;

	r->s->info.body_anomalies++;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_BODY_ANOMALY;
	ev.dir = SMTP_DIR_TOSERVER;
	ev.u.anomaly.kind = SMTP_ANOM_BARE_LF_DOT;
	smtp_emit(r, &ev);
}

/* A body line ended at LF; cr: it was CRLF. */
static void body_line_end(struct smtp_run *r, bool cr)
{
	struct smtp_state *s = r->s;

	if (s->msg_headers_done && s->body_line_len + 1 + (cr ? 1 : 0) > SMTP_TEXT_LIMIT)
		s->info.overlong_lines[SMTP_DIR_TOSERVER]++;
	s->body_line_len = 0;
	s->dstate = D_LINE_START;
	s->dot_bare_before = !cr;
	s->body_cr = false;
}

/* One content byte of a DATA line (not a terminator candidate). */
static void body_byte(struct smtp_run *r, uint8_t b)
{
	struct smtp_state *s = r->s;

	if (!s->msg_headers_done)
		header_byte(r, b);
	if (b == '\n') {
		body_line_end(r, s->body_cr);
		return;
	}
	s->body_cr = b == '\r';
	s->body_line_len++;
	s->dstate = D_MID;
}

/* The message content is complete (for DATA: the "." line was seen). */
void smtp_msg_end(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	uint32_t seq;

	if (!s->msg_headers_done)
		header_block_done(r);
	if (s->snap_len < SMTP_SNAP_MAX) {
		struct smtp_trans_snap *t = &s->snaps[(s->snap_head + s->snap_len) % SMTP_SNAP_MAX];

		t->from = (int16_t)s->trans_from;
		t->rcpts = (uint16_t)MX_MIN(s->trans_rcpts, (unsigned)UINT16_MAX);
		t->requiretls = s->trans_requiretls;
		t->bdat = s->msg_bdat;
		t->tlsreq = (uint8_t)s->trans_tlsreq;
		t->bytes = s->msg_bytes;
		s->snap_len++;
	}
	smtp_trans_reset(s);
	if (s->cmode == SMTP_C_DATA) {
		s->cmode = SMTP_C_CMD;
		if (!s->desync && !smtp_q_push(s, SMTP_VERB_DATA_END, &seq))
			smtp_desync(s);
	}
	s->data_assumed = false;
}

size_t smtp_msg_data(struct smtp_run *r, const uint8_t *data, size_t len)
{
	struct smtp_state *s = r->s;
	size_t off = 0;

	while (off < len) {
		uint8_t b;

		if (s->dstate == D_MID && s->msg_headers_done) {
			/* Fast path: jump to the next LF. */
			const uint8_t *lf = memchr(data + off, '\n', len - off);
			size_t n = lf != NULL ? (size_t)(lf - (data + off)) : len - off;

			if (n > 0) {
				s->body_cr = data[off + n - 1] == '\r';
				s->body_line_len += n;
			}
			s->msg_bytes += n;
			off += n;
			if (lf == NULL)
				break;
			s->msg_bytes++;
			off++;
			body_line_end(r, s->body_cr);
			continue;
		}
		b = data[off++];
		s->msg_bytes++;
		switch (s->dstate) {
		case D_LINE_START:
			if (b == '.')
				s->dstate = D_DOT;
			else
				body_byte(r, b);
			break;
		case D_DOT:
			if (b == '\r') {
				s->dstate = D_DOT_CR;
			} else if (b == '\n') {
				/* "." ended by a bare LF: not the end of data. */
				body_anomaly(r);
				body_byte(r, b);
			} else {
				body_byte(r, b); /* stuffed dot dropped */
			}
			break;
		case D_DOT_CR:
			if (b == '\n' && !s->dot_bare_before) {
				s->msg_bytes -= 3;
				smtp_msg_end(r);
				return off;
			}
			if (b == '\n') {
				/* bare LF "." CRLF: not the end of data. */
				body_anomaly(r);
				s->body_cr = true;
				body_byte(r, b);
			} else {
				body_byte(r, '\r');
				body_byte(r, b);
			}
			break;
		default:
			body_byte(r, b);
			break;
		}
	}
	return off;
}

size_t smtp_msg_bdat(struct smtp_run *r, const uint8_t *data, size_t len)
{
	struct smtp_state *s = r->s;
	size_t n = (size_t)MX_MIN((uint64_t)len, s->bdat_left);

	for (size_t i = 0; i < n && !s->msg_headers_done; i++)
		header_byte(r, data[i]);
	s->msg_bytes += n;
	s->bdat_left -= n;
	if (s->bdat_left == 0) {
		s->cmode = SMTP_C_CMD;
		if (s->bdat_last)
			smtp_msg_end(r);
	}
	return n;
}

/* Bytes of the message were lost: the header block can no longer be
 * trusted and the DATA scanner is inside a line. */
void smtp_msg_gap(struct smtp_state *s)
{
	s->msg_headers_done = true;
	s->hdr.state = H_DONE;
	s->hdr.interesting = HDR_NONE;
	s->dstate = D_MID;
	s->body_cr = false;
	s->gap_in_body = true;
}
