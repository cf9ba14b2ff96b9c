/*
 * dns_tcp.c - DNS over TCP framing (RFC 1035 4.2.2, RFC 7766): each
 * message is preceded by a 2-byte length. Per direction, a small state
 * machine takes the stream as reassembly delivers it: several messages in
 * one segment are parsed in place; a message split across segments is
 * copied into a buffer allocated for it alone (accounted against the
 * parser's tcp_memcap) and parsed once complete; gaps drop the message
 * they hit. Where a gap hides where messages start, the data that follows
 * the hole (reassembly resumes it at a segment boundary, where a sender
 * starts its next message) is probed once: a plausible length prefix and
 * header restore the framing, anything else abandons the direction.
 */
#include "dns_int.h"

#include <stdlib.h>
#include <string.h>

/* Framing phase of a direction (struct dns_tcp_dir.phase). */
enum {
	PH_LEN0,   /* at a message boundary: next byte is the high length byte */
	PH_LEN1,   /* high length byte read (len_hi), low one next */
	PH_BODY,   /* inside a message of `need` bytes, `have` buffered */
	PH_SKIP,   /* discarding `skip` bytes of a message we do not parse */
	PH_LOST,   /* framing lost after a gap: everything is ignored */
	PH_RESYNC, /* after a gap: the next data is probed for a message start */
};

/*
 * Does data start with a DNS message in TCP framing? A 2-byte length of
 * at least a header, then a header with one question, opcode QUERY, the
 * reserved Z bit clear and section counts a real message could have.
 */
static bool looks_like_message(const uint8_t *data, size_t len)
{
	uint32_t mlen;

	if (len < 2 + DNS_HEADER_LEN)
		return false;
	mlen = (uint32_t)data[0] << 8 | data[1];
	data += 2;
	if (mlen < DNS_HEADER_LEN)
		return false;
	if (((data[2] >> 3) & 0x0f) != 0 || (data[3] & 0x40) != 0)
		return false;
	if ((data[4] << 8 | data[5]) != 1)
		return false;
	for (int i = 6; i < 12; i += 2)
		if ((data[i] << 8 | data[i + 1]) > 1024)
			return false;
	return true;
}

void dns_tcp_init(struct dns_tcp_state *st)
{
	memset(st, 0, sizeof(*st));
}

/* Frees the message buffer of d, if any, and its accounting. */
static void release(struct dns_tcp_dir *d, struct dns_parser *p)
{
	if (d->buf != NULL) {
		free(d->buf);
		p->counters.memuse -= d->need;
		d->buf = NULL;
	}
	d->have = 0;
}

/* Allocates the buffer for the current message; false (counted) when the
   memcap or the allocator refuses. */
static bool grab(struct dns_tcp_dir *d, struct dns_parser *p)
{
	if (d->need > p->cfg.tcp_memcap || p->counters.memuse > p->cfg.tcp_memcap - d->need) {
		p->counters.memcap++;
		return false;
	}
	d->buf = malloc(d->need);
	if (d->buf == NULL) {
		p->counters.alloc_fail++;
		return false;
	}
	p->counters.memuse += d->need;
	return true;
}

/* Hands one complete message to the parser. */
static void deliver(const uint8_t *msg, size_t len, struct dns_parser *p, void *ctx)
{
	p->counters.tcp_messages++;
	dns_message_deliver(msg, len, true, p, ctx);
}

/* A length prefix was read: prepares for a message of need bytes. */
static void start_message(struct dns_tcp_dir *d, uint32_t need, struct dns_parser *p, void *ctx)
{
	d->need = need;
	d->have = 0;
	if (need == 0) {
		/* an empty message: the parser counts it as a short header */
		d->phase = PH_LEN0;
		deliver((const uint8_t *)"", 0, p, ctx);
	} else if (need > p->cfg.tcp_max_msg) {
		p->counters.oversize++;
		d->skip = need;
		d->phase = PH_SKIP;
	} else {
		d->phase = PH_BODY;
	}
}

/* Consumes message bytes from data; returns how many were used. */
static size_t body(struct dns_tcp_dir *d, const uint8_t *data, size_t len, struct dns_parser *p,
		   void *ctx)
{
	size_t n;

	if (d->have == 0 && len >= d->need) {
		/* the whole message is in this chunk: parse it in place */
		n = d->need;
		d->phase = PH_LEN0;
		deliver(data, n, p, ctx);
		return n;
	}
	if (d->buf == NULL && !grab(d, p)) {
		/* cannot keep it: skip it by its length, framing stays */
		d->skip = d->need - d->have;
		d->have = 0;
		d->phase = PH_SKIP;
		return 0;
	}
	n = MX_MIN(len, (size_t)(d->need - d->have));
	memcpy(d->buf + d->have, data, n);
	d->have += (uint32_t)n;
	if (d->have == d->need) {
		d->phase = PH_LEN0;
		deliver(d->buf, d->need, p, ctx);
		release(d, p);
	}
	return n;
}

void dns_tcp_feed(struct dns_tcp_state *st, int dir, const uint8_t *data, size_t len,
		  struct dns_parser *p, void *ctx)
{
	struct dns_tcp_dir *d;
	size_t n;

	if (st == NULL || (dir != 0 && dir != 1) || data == NULL)
		return;
	d = &st->dir[dir];
	while (len > 0) {
		switch (d->phase) {
		case PH_LEN0:
			if (len >= 2) {
				uint32_t need = (uint32_t)data[0] << 8 | data[1];

				data += 2;
				len -= 2;
				start_message(d, need, p, ctx);
			} else {
				d->len_hi = data[0];
				data++;
				len--;
				d->phase = PH_LEN1;
			}
			break;
		case PH_LEN1:
			n = (uint32_t)d->len_hi << 8 | data[0];
			data++;
			len--;
			start_message(d, (uint32_t)n, p, ctx);
			break;
		case PH_BODY:
			n = body(d, data, len, p, ctx);
			data += n;
			len -= n;
			break;
		case PH_SKIP:
			n = MX_MIN(len, (size_t)d->skip);
			d->skip -= (uint32_t)n;
			data += n;
			len -= n;
			if (d->skip == 0)
				d->phase = PH_LEN0;
			break;
		case PH_RESYNC:
			if (looks_like_message(data, len)) {
				p->counters.tcp_resync++;
				d->phase = PH_LEN0;
				break;
			}
			d->phase = PH_LOST;
			p->counters.tcp_lost++;
			p->counters.tcp_lost_bytes += len;
			return;
		default:
			p->counters.tcp_lost_bytes += len;
			return;
		}
	}
}

void dns_tcp_gap(struct dns_tcp_state *st, int dir, size_t len, struct dns_parser *p)
{
	struct dns_tcp_dir *d;
	size_t rest;

	if (st == NULL || (dir != 0 && dir != 1) || len == 0)
		return;
	d = &st->dir[dir];
	p->counters.tcp_gaps++;
	switch (d->phase) {
	case PH_LOST:
		return;
	case PH_RESYNC:
		return; /* still waiting for data after the holes */
	case PH_SKIP:
		if (len <= d->skip) {
			d->skip -= (uint32_t)len;
			if (d->skip == 0)
				d->phase = PH_LEN0;
			return;
		}
		break;
	case PH_BODY:
		p->counters.tcp_gap_msgs++;
		rest = d->need - d->have;
		if (len <= rest) {
			release(d, p);
			d->skip = (uint32_t)(rest - len);
			d->phase = d->skip > 0 ? PH_SKIP : PH_LEN0;
			return;
		}
		break;
	default:
		break;
	}
	/* the gap covers a length prefix: where messages start is unknown
	   until the data after the hole is probed */
	release(d, p);
	d->skip = 0;
	d->phase = PH_RESYNC;
}

void dns_tcp_free(struct dns_tcp_state *st, struct dns_parser *p)
{
	if (st == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		struct dns_tcp_dir *d = &st->dir[i];

		if (d->phase == PH_BODY || d->phase == PH_LEN1)
			p->counters.tcp_incomplete++;
		release(d, p);
	}
	dns_tcp_init(st);
}
