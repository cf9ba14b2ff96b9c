/*
 * stream.c - TCP reassembly, one state per direction. In-order data goes
 * to the callback straight from the packet; out-of-order pieces are copied
 * into a sorted list of disjoint segments (bounded per direction and
 * globally); every incoming segment is cut against what was already seen
 * so the first copy of each byte wins, and the bytes it repeats are
 * compared (delivered data through a ring of the last bytes delivered,
 * queued data directly). A conflict is only reported between bytes that
 * were both captured whole: a segment cut by the snaplen (its checksum
 * unchecked, its copy of the bytes possibly a decoy the receiver dropped)
 * takes part in reassembly but not in the verdict. Holes end in a STREAM_GAP when the peer ACKs past
 * them, when a cap forces progress, or when the flow is detached. Sequence
 * numbers are compared in serial arithmetic (they wrap at 2^32).
 */
#include "flow/stream.h"

#include <stdlib.h>
#include <string.h>

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

/* Farthest ahead of the stream a segment, FIN or ACK may point. */
#define WINDOW_MAX (1U << 30)
/* Farthest ahead of the stream a RST may point and still be accepted. */
#define RST_WINDOW (16U << 20)

/* One queued out-of-order piece; queued pieces never overlap. */
struct seg {
	struct seg *prev, *next;
	uint32_t seq, len;
	uint8_t data[];
};

/* Bits of struct tcp_dir.flags. */
#define DIR_STARTED  0x01 /* next is known */
#define DIR_SYN	     0x02 /* started by a SYN */
#define DIR_FIN	     0x04 /* fin_seq is known */
#define DIR_FIN_DONE 0x08 /* STREAM_FIN delivered */
#define DIR_ACKED    0x10 /* last_ack holds this side's last ACK */
#define DIR_NO_RING  0x20 /* the recent window could not be allocated */
#define DIR_CUT	     0x40 /* [cut_seq, cut_end) came from a segment cut by the snaplen */

struct tcp_dir {
	uint32_t next;	   /* next sequence number to deliver */
	uint32_t fin_seq;  /* sequence number of the FIN */
	uint32_t last_ack; /* last ACK this side sent (acknowledges the peer) */
	uint32_t cut_seq;  /* the latest bytes taken from a cut segment ... */
	uint32_t cut_end;  /* ... up to here (DIR_CUT) */
	uint32_t nseg;	   /* pieces queued */
	uint64_t off;	   /* stream offset of next: bytes delivered plus gaps */
	size_t held;	   /* payload bytes queued */
	size_t ring_fill;  /* valid bytes in ring, the last ones before off */
	uint8_t *ring;	   /* byte at stream offset o is ring[o % recent_window] */
	struct seg *head, *tail;
	uint8_t flags;
};

/* Bits of struct tcp_session.flags. */
#define SSN_RST	    0x01 /* reset: nothing more is delivered */
#define SSN_STARTED 0x02 /* some direction has started */

struct tcp_session {
	struct tcp_dir d[2];
	uint8_t flags;
};

struct stream_engine {
	struct stream_config cfg;
	stream_data_fn fn;
	void *ctx;
	struct stream_counters c;
};

/* One direction of one flow being worked on. */
struct side {
	struct stream_engine *e;
	struct flow *f;
	struct tcp_dir *d;
	int dir;
	bool cut; /* the segment at hand was cut by the snaplen */
};

/* What one incoming segment turned out to be. */
struct seg_verdict {
	bool fresh;   /* brought bytes not seen before */
	bool overlap; /* repeated bytes already delivered or queued */
	bool diff;    /* some repeated byte differed */
	bool diff_cut; /* a repeated byte differed where a cut segment is involved */
	bool before;  /* carried bytes before the direction's start */
};

const struct mx_counter_desc stream_counter_desc[] = {
    MX_COUNTER("tcp.sessions", struct stream_counters, sessions),
    MX_COUNTER("tcp.active_sessions", struct stream_counters, active_sessions),
    MX_COUNTER("tcp.ssn_memcap_drop", struct stream_counters, ssn_memcap_drop),
    MX_COUNTER("tcp.midstream_pickups", struct stream_counters, midstream),
    MX_COUNTER("tcp.syn", struct stream_counters, syn),
    MX_COUNTER("tcp.synack", struct stream_counters, synack),
    MX_COUNTER("tcp.rst", struct stream_counters, rst),
    MX_COUNTER("tcp.rst_invalid", struct stream_counters, rst_invalid),
    MX_COUNTER("tcp.fin", struct stream_counters, fin),
    MX_COUNTER("tcp.pkts", struct stream_counters, pkts),
    MX_COUNTER("tcp.bytes", struct stream_counters, bytes),
    MX_COUNTER("tcp.reassembly_gap", struct stream_counters, reassembly_gap),
    MX_COUNTER("tcp.ack_unseen_data", struct stream_counters, ack_unseen_data),
    MX_COUNTER("tcp.overlap", struct stream_counters, overlap),
    MX_COUNTER("tcp.overlap_diff_data", struct stream_counters, overlap_diff_data),
    MX_COUNTER("tcp.overlap_diff_cut", struct stream_counters, overlap_diff_cut),
    MX_COUNTER("tcp.retransmission", struct stream_counters, retransmission),
    MX_COUNTER("tcp.ooo_segments", struct stream_counters, ooo_segments),
    MX_COUNTER("tcp.segment_memcap_drop", struct stream_counters, memcap_drop),
    MX_COUNTER("tcp.stream_memcap_drop", struct stream_counters, stream_memcap_drop),
    MX_COUNTER("tcp.segments_max_drop", struct stream_counters, segments_max_drop),
    MX_COUNTER("tcp.wrong_seq_before_isn", struct stream_counters, wrong_seq_before_isn),
    MX_COUNTER("tcp.out_of_window", struct stream_counters, out_of_window),
    MX_COUNTER("tcp.data_after_fin", struct stream_counters, data_after_fin),
    MX_COUNTER("tcp.memuse", struct stream_counters, memuse),
    MX_COUNTER("tcp.reassembly_memuse", struct stream_counters, reassembly_memuse),
    MX_COUNTER("tcp.alloc_fail", struct stream_counters, alloc_fail),
    {NULL, 0},
};

void stream_config_defaults(struct stream_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = 64U << 20;
	cfg->stream_memcap = 256U << 10;
	cfg->recent_window = 4096;
	cfg->max_segments = 256;
}

static uint64_t mem_total(const struct stream_engine *e)
{
	return e->c.memuse + e->c.reassembly_memuse;
}

static void emit(const struct side *s, enum stream_chunk kind, const uint8_t *data, size_t len)
{
	if (s->e->fn != NULL)
		s->e->fn(s->e->ctx, s->f, s->dir, kind, data, len);
}

/* Reports STREAM_FIN once, when the stream has reached its FIN. */
static void check_fin(const struct side *s)
{
	struct tcp_dir *d = s->d;

	if ((d->flags & (DIR_FIN | DIR_FIN_DONE)) == DIR_FIN && d->next == d->fin_seq) {
		d->flags |= DIR_FIN_DONE;
		emit(s, STREAM_FIN, NULL, 0);
	}
}

/* ---- the ring of recently delivered bytes ---- */

static void ring_push(const struct side *s, const uint8_t *data, uint32_t len)
{
	struct stream_engine *e = s->e;
	struct tcp_dir *d = s->d;
	size_t w = e->cfg.recent_window;
	size_t k, pos, first;

	if (w == 0)
		return;
	if (d->ring == NULL) {
		if (d->flags & DIR_NO_RING)
			return;
		if (mem_total(e) + w > e->cfg.memcap) {
			e->c.memcap_drop++;
			d->flags |= DIR_NO_RING;
			return;
		}
		d->ring = malloc(w);
		if (d->ring == NULL) {
			e->c.alloc_fail++;
			d->flags |= DIR_NO_RING;
			return;
		}
		e->c.memuse += w;
	}
	k = MX_MIN((size_t)len, w);
	pos = (size_t)((d->off + len - k) % w);
	first = MX_MIN(k, w - pos);
	memcpy(d->ring + pos, data + len - k, first);
	memcpy(d->ring, data + len - k + first, k - first);
	d->ring_fill = MX_MIN(d->ring_fill + len, w);
}

/*
 * Compares n bytes; on a difference sets *lo and *hi to the first and last
 * differing index (shifted by base), widening what they already hold.
 */
static bool diff_span(const uint8_t *kept, const uint8_t *seen, size_t n, size_t base, bool found,
		      size_t *lo, size_t *hi)
{
	size_t i, j;

	if (n == 0 || memcmp(kept, seen, n) == 0)
		return found;
	for (i = 0; kept[i] == seen[i]; i++)
		;
	for (j = n - 1; kept[j] == seen[j]; j--)
		;
	if (!found || base + i < *lo)
		*lo = base + i;
	if (!found || base + j > *hi)
		*hi = base + j;
	return true;
}

/*
 * The bytes kept where a piece was repeated: k1[0..n1) then k2[...] (the
 * recent window may wrap; k2 NULL when k1 holds them all).
 */
struct kept {
	const uint8_t *k1, *k2;
	size_t n1;
};

/* True when [seq, seq + n) meets the bytes the direction took from a cut segment. */
static bool meets_cut(const struct tcp_dir *d, uint32_t seq, size_t n)
{
	return (d->flags & DIR_CUT) && SEQ_LT(seq, d->cut_end) &&
	       SEQ_GT(seq + (uint32_t)n, d->cut_seq);
}

/*
 * Reports the conflicting run [lo, hi] of a repeated piece p (p[0] is at
 * sequence number seq), if any: the kept bytes of that run
 * (STREAM_OVERLAP_KEPT, one or two pieces), then the conflicting copy
 * (STREAM_OVERLAP_DIFF). A run where either copy came from a segment cut
 * by the snaplen is only noted in the verdict (diff_cut).
 */
static void report_diff(const struct side *s, struct seg_verdict *v, bool found, const uint8_t *p,
			uint32_t seq, size_t lo, size_t hi, const struct kept *k)
{
	size_t end = hi + 1;

	if (!found)
		return;
	if (s->cut || meets_cut(s->d, seq + (uint32_t)lo, end - lo)) {
		v->diff_cut = true;
		return;
	}
	v->diff = true;
	if (k->k2 == NULL || end <= k->n1) {
		emit(s, STREAM_OVERLAP_KEPT, k->k1 + lo, end - lo);
	} else if (lo >= k->n1) {
		emit(s, STREAM_OVERLAP_KEPT, k->k2 + (lo - k->n1), end - lo);
	} else {
		emit(s, STREAM_OVERLAP_KEPT, k->k1 + lo, k->n1 - lo);
		emit(s, STREAM_OVERLAP_KEPT, k->k2, end - k->n1);
	}
	emit(s, STREAM_OVERLAP_DIFF, p + lo, end - lo);
}

/* Bytes p[0..n) at sequence seq repeat stream offsets [o, o + n), all held in the ring. */
static void ring_compare(const struct side *s, struct seg_verdict *v, uint64_t o, uint32_t seq,
			 const uint8_t *p, size_t n)
{
	size_t w = s->e->cfg.recent_window;
	size_t pos = (size_t)(o % w);
	size_t first = MX_MIN(n, w - pos);
	size_t lo = 0, hi = 0;
	struct kept k = {s->d->ring + pos, s->d->ring, first};
	bool found;

	found = diff_span(s->d->ring + pos, p, first, 0, false, &lo, &hi);
	found = diff_span(s->d->ring, p + first, n - first, first, found, &lo, &hi);
	report_diff(s, v, found, p, seq, lo, hi, &k);
}

/* Bytes p[0..n) at sequence cur lie before next: compare what can be. */
static void old_data(const struct side *s, struct seg_verdict *v, uint32_t cur, const uint8_t *p,
		     uint32_t n)
{
	struct tcp_dir *d = s->d;
	uint32_t back = d->next - cur;

	if ((uint64_t)back > d->off) {
		uint32_t skip = back - (uint32_t)d->off;

		v->before = true;
		if (skip >= n)
			return;
		p += skip;
		n -= skip;
		cur += skip;
		back = (uint32_t)d->off;
	}
	v->overlap = true;
	if (d->ring == NULL)
		return;
	if ((size_t)back > d->ring_fill) {
		uint32_t older = back - (uint32_t)d->ring_fill;

		if (older >= n)
			return;
		p += older;
		n -= older;
		cur += older;
		back = (uint32_t)d->ring_fill;
	}
	ring_compare(s, v, d->off - back, cur, p, n);
}

/* ---- delivery ---- */

static void deliver(const struct side *s, const uint8_t *data, uint32_t len)
{
	struct tcp_dir *d = s->d;

	if (len == 0)
		return;
	emit(s, STREAM_DATA, data, len);
	ring_push(s, data, len);
	d->next += len;
	d->off += len;
	check_fin(s);
}

static void gap(const struct side *s, uint32_t len)
{
	struct tcp_dir *d = s->d;

	if (len == 0)
		return;
	s->e->c.reassembly_gap++;
	emit(s, STREAM_GAP, NULL, len);
	d->next += len;
	d->off += len;
	d->ring_fill = 0;
	check_fin(s);
}

static void seg_free(struct stream_engine *e, struct tcp_dir *d, struct seg *g)
{
	d->nseg--;
	d->held -= g->len;
	e->c.reassembly_memuse -= sizeof(*g) + g->len;
	free(g);
}

/* Removes and frees the first queued piece (there is one). */
static void seg_pop_head(struct stream_engine *e, struct tcp_dir *d)
{
	struct seg *g = d->head;

	d->head = g->next;
	if (d->head != NULL)
		d->head->prev = NULL;
	else
		d->tail = NULL;
	seg_free(e, d, g);
}

/* Removes and frees the last queued piece (there is one). */
static void seg_pop_tail(struct stream_engine *e, struct tcp_dir *d)
{
	struct seg *g = d->tail;

	d->tail = g->prev;
	if (d->tail != NULL)
		d->tail->next = NULL;
	else
		d->head = NULL;
	seg_free(e, d, g);
}

/* Delivers the queued pieces that have become contiguous. */
static void drain(const struct side *s)
{
	struct tcp_dir *d = s->d;
	struct seg *g;

	while ((g = d->head) != NULL && SEQ_LEQ(g->seq, d->next)) {
		uint32_t skip = d->next - g->seq;

		if (skip < g->len)
			deliver(s, g->data + skip, g->len - skip);
		seg_pop_head(s->e, d);
	}
}

/* Advances the stream to target: queued data where there is some, gaps between. */
static void advance_to(const struct side *s, uint32_t target)
{
	struct tcp_dir *d = s->d;

	while (SEQ_LT(d->next, target)) {
		struct seg *g = d->head;

		if (g != NULL && SEQ_LT(g->seq, target)) {
			if (SEQ_GT(g->seq, d->next))
				gap(s, g->seq - d->next);
			drain(s);
		} else {
			gap(s, target - d->next);
		}
	}
	drain(s);
}

/* Delivers everything queued, with a gap before each hole. */
static void flush_all(const struct side *s)
{
	struct tcp_dir *d = s->d;

	while (d->head != NULL) {
		if (SEQ_GT(d->head->seq, d->next))
			gap(s, d->head->seq - d->next);
		drain(s);
	}
}

/* Drops queued bytes at or after limit (the FIN); true when some were. */
static bool prune_from(struct stream_engine *e, struct tcp_dir *d, uint32_t limit)
{
	struct seg *g;
	bool pruned = false;

	while ((g = d->tail) != NULL && SEQ_GEQ(g->seq, limit)) {
		seg_pop_tail(e, d);
		pruned = true;
	}
	if (g != NULL && SEQ_GT(g->seq + g->len, limit)) {
		uint32_t cut = g->seq + g->len - limit;

		g->len -= cut;
		d->held -= cut;
		e->c.reassembly_memuse -= cut;
		pruned = true;
	}
	return pruned;
}

/* ---- the out-of-order store ---- */

/* Which cap a new piece of plen bytes would exceed, counted; false when none. */
static bool cap_exceeded(const struct side *s, uint32_t plen, bool count)
{
	struct stream_engine *e = s->e;
	struct tcp_dir *d = s->d;

	if (d->nseg >= e->cfg.max_segments) {
		if (count)
			e->c.segments_max_drop++;
		return true;
	}
	if (d->held + plen > e->cfg.stream_memcap) {
		if (count)
			e->c.stream_memcap_drop++;
		return true;
	}
	if (mem_total(e) + sizeof(struct seg) + plen > e->cfg.memcap) {
		if (count)
			e->c.memcap_drop++;
		return true;
	}
	return false;
}

/*
 * Queues the unseen piece [pseq, pseq + plen) before `before` (NULL: at
 * the tail). When a cap is in the way, delivers what waits ahead of the
 * piece (gaps included) to make room, and when that is not enough gaps up
 * to the piece. Returns false when the piece is now in order and must be
 * delivered by the caller instead of queued.
 */
static bool store_piece(const struct side *s, uint32_t pseq, const uint8_t *pdata, uint32_t plen,
			struct seg *before)
{
	struct stream_engine *e = s->e;
	struct tcp_dir *d = s->d;
	bool counted = false;
	struct seg *g;

	for (;;) {
		if (d->next == pseq)
			return false;
		if (!cap_exceeded(s, plen, !counted))
			break;
		counted = true;
		if (d->head != NULL && SEQ_LT(d->head->seq, pseq)) {
			if (SEQ_GT(d->head->seq, d->next))
				gap(s, d->head->seq - d->next);
			drain(s);
			continue;
		}
		gap(s, pseq - d->next);
		return false;
	}
	g = malloc(sizeof(*g) + plen);
	if (g == NULL) {
		e->c.alloc_fail++;
		gap(s, pseq - d->next);
		return false;
	}
	g->seq = pseq;
	g->len = plen;
	memcpy(g->data, pdata, plen);
	g->next = before;
	g->prev = before != NULL ? before->prev : d->tail;
	if (g->prev != NULL)
		g->prev->next = g;
	else
		d->head = g;
	if (before != NULL)
		before->prev = g;
	else
		d->tail = g;
	d->nseg++;
	d->held += plen;
	e->c.reassembly_memuse += sizeof(*g) + plen;
	e->c.ooo_segments++;
	return true;
}

/* The first queued piece ending after cur, searching from `from` (NULL: head). */
static struct seg *first_ending_after(const struct tcp_dir *d, struct seg *from, uint32_t cur)
{
	struct seg *g;

	if (d->tail == NULL || SEQ_LEQ(d->tail->seq + d->tail->len, cur))
		return NULL;
	for (g = from != NULL ? from : d->head; g != NULL && SEQ_LEQ(g->seq + g->len, cur);
	     g = g->next)
		;
	return g;
}

/*
 * Walks the segment [seq, seq + len) against what the direction has seen:
 * delivered bytes are compared with the ring, queued bytes with the queue
 * (first copy wins) before they are delivered, unseen bytes are delivered
 * when in order and queued otherwise. Ends by delivering what became
 * contiguous.
 */
static void walk_segment(const struct side *s, struct seg_verdict *v, uint32_t seq,
			 const uint8_t *data, uint32_t len)
{
	struct tcp_dir *d = s->d;
	uint32_t end = seq + len, cur = seq;
	struct seg *hint = NULL;

	while (SEQ_LT(cur, end)) {
		struct seg *g;
		uint32_t pe;

		if (SEQ_LT(cur, d->next)) {
			uint32_t oe = SEQ_LT(end, d->next) ? end : d->next;

			old_data(s, v, cur, data + (cur - seq), oe - cur);
			cur = oe;
			continue;
		}
		g = first_ending_after(d, hint, cur);
		if (g != NULL && SEQ_LEQ(g->seq, cur)) {
			uint32_t gend = g->seq + g->len;
			uint32_t oe = SEQ_LT(end, gend) ? end : gend;
			size_t lo = 0, hi = 0;
			bool found;

			v->overlap = true;
			found = diff_span(g->data + (cur - g->seq), data + (cur - seq), oe - cur, 0,
					  false, &lo, &hi);
			report_diff(s, v, found, data + (cur - seq), cur, lo, hi,
				    &(struct kept){g->data + (cur - g->seq), NULL, 0});
			cur = oe;
			hint = g;
			/* Compared, and now in order: deliver the kept copy. */
			if (g == d->head && g->seq == d->next) {
				deliver(s, g->data, g->len);
				seg_pop_head(s->e, d);
				hint = NULL;
			}
			continue;
		}
		pe = (g != NULL && SEQ_LT(g->seq, end)) ? g->seq : end;
		v->fresh = true;
		if (cur != d->next && store_piece(s, cur, data + (cur - seq), pe - cur, g)) {
			hint = g;
		} else {
			/* Queued pieces this segment overlaps are compared before delivery. */
			deliver(s, data + (cur - seq), pe - cur);
			hint = NULL;
		}
		cur = pe;
	}
	drain(s);
}

/* ---- per-packet steps ---- */

static void data_segment(const struct side *s, uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct stream_counters *c = &s->e->c;
	struct tcp_dir *d = s->d;
	struct seg_verdict v = {0};

	if (len > WINDOW_MAX || (SEQ_GT(seq, d->next) && seq - d->next > WINDOW_MAX)) {
		c->out_of_window++;
		return;
	}
	/* A keep-alive probe repeats the last byte delivered, often as garbage. */
	if (len == 1 && seq + 1 == d->next && d->off > 0) {
		c->retransmission++;
		return;
	}
	if (d->flags & DIR_FIN) {
		if (SEQ_GEQ(seq, d->fin_seq)) {
			c->data_after_fin++;
			return;
		}
		if (SEQ_GT(seq + len, d->fin_seq)) {
			c->data_after_fin++;
			len = d->fin_seq - seq;
		}
	}
	walk_segment(s, &v, seq, data, len);
	if (s->cut) {
		d->flags |= DIR_CUT;
		d->cut_seq = seq;
		d->cut_end = seq + len;
	}
	if (v.diff_cut)
		c->overlap_diff_cut++;
	if (v.before)
		c->wrong_seq_before_isn++;
	if (v.overlap)
		c->overlap++;
	if (v.diff)
		c->overlap_diff_data++;
	else if (v.overlap && !v.fresh && !v.diff_cut)
		c->retransmission++;
}

/* A SYN or SYN-ACK with sequence number seq from direction d. */
static void syn_seen(struct tcp_session *ss, struct tcp_dir *d, uint32_t seq)
{
	if (!(d->flags & DIR_STARTED)) {
		d->next = seq + 1;
		d->flags |= DIR_STARTED | DIR_SYN;
		ss->flags |= SSN_STARTED;
		return;
	}
	/* A new initial sequence number before anything was delivered. */
	if ((d->flags & DIR_SYN) && !(d->flags & DIR_FIN) && d->off == 0 && d->head == NULL)
		d->next = seq + 1;
}

/* Starts a direction seen without its SYN at its first data (or FIN) at seq. */
static void start_midstream(struct stream_engine *e, struct tcp_session *ss, struct tcp_dir *d,
			    const struct tcp_dir *peer, uint32_t seq)
{
	uint32_t start = seq;

	/* The peer already acknowledged up to last_ack: what lies between is a hole. */
	if ((peer->flags & DIR_ACKED) && SEQ_GT(seq, peer->last_ack) &&
	    seq - peer->last_ack <= e->cfg.stream_memcap)
		start = peer->last_ack;
	d->next = start;
	d->flags |= DIR_STARTED;
	if (!(ss->flags & SSN_STARTED)) {
		ss->flags |= SSN_STARTED;
		e->c.midstream++;
	}
}

/* An ACK from the other side acknowledging this direction up to ack. */
static void ack_seen(const struct side *s, uint32_t ack)
{
	struct tcp_dir *d = s->d;
	uint32_t target = ack;
	uint64_t gaps;

	if (!(d->flags & DIR_STARTED) || (d->flags & DIR_FIN_DONE))
		return;
	if ((d->flags & DIR_FIN) && SEQ_GT(target, d->fin_seq))
		target = d->fin_seq;
	if (!SEQ_GT(target, d->next) || target - d->next > WINDOW_MAX)
		return;
	gaps = s->e->c.reassembly_gap;
	advance_to(s, target);
	if (s->e->c.reassembly_gap != gaps)
		s->e->c.ack_unseen_data++;
}

/* A FIN whose sequence number is fseq. The first acceptable FIN stands. */
static void fin_seen(const struct side *s, uint32_t fseq)
{
	struct tcp_dir *d = s->d;

	if (d->flags & DIR_FIN)
		return;
	if (SEQ_LT(fseq, d->next) || fseq - d->next > WINDOW_MAX)
		return;
	d->fin_seq = fseq;
	d->flags |= DIR_FIN;
	if (prune_from(s->e, d, fseq))
		s->e->c.data_after_fin++;
}

/* A RST from direction d: true when it is accepted (in the window). */
static bool rst_acceptable(const struct tcp_dir *d, uint32_t seq)
{
	if (!(d->flags & DIR_STARTED))
		return true;
	return (uint32_t)(seq - d->next + 1) <= RST_WINDOW;
}

/* ---- public API ---- */

struct stream_engine *stream_engine_new(const struct stream_config *cfg, stream_data_fn fn,
					void *ctx)
{
	struct stream_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->cfg = *cfg;
	e->fn = fn;
	e->ctx = ctx;
	return e;
}

void stream_engine_free(struct stream_engine *e)
{
	free(e);
}

bool stream_attach(struct stream_engine *e, struct flow *f)
{
	struct tcp_session *ss;

	if (f->tcp != NULL)
		return true;
	if (mem_total(e) + sizeof(*ss) > e->cfg.memcap) {
		e->c.ssn_memcap_drop++;
		return false;
	}
	ss = calloc(1, sizeof(*ss));
	if (ss == NULL) {
		e->c.alloc_fail++;
		return false;
	}
	e->c.memuse += sizeof(*ss);
	e->c.sessions++;
	e->c.active_sessions++;
	f->tcp = ss;
	return true;
}

void stream_packet(struct stream_engine *e, struct flow *f, int dir, const struct mx_packet *p)
{
	struct tcp_session *ss = f->tcp;
	uint8_t fl = p->tcp_flags;
	uint32_t len = p->payload != NULL ? p->payload_len : 0;
	uint32_t seq = p->seq;
	struct side s, peer;

	if (ss == NULL || (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT))
		return;
	s = (struct side){e, f, &ss->d[dir], dir, p->l3_cut};
	peer = (struct side){e, f, &ss->d[!dir], !dir, false};
	e->c.pkts++;
	e->c.bytes += len;
	if (fl & MX_TCP_RST)
		e->c.rst++;
	if ((fl & MX_TCP_SYN) && !(fl & MX_TCP_RST)) {
		if (fl & MX_TCP_ACK)
			e->c.synack++;
		else
			e->c.syn++;
	}
	if ((fl & MX_TCP_FIN) && !(fl & MX_TCP_RST))
		e->c.fin++;
	if (ss->flags & SSN_RST)
		return;

	if (fl & MX_TCP_RST) {
		if (!rst_acceptable(s.d, seq)) {
			e->c.rst_invalid++;
			return;
		}
		ss->flags |= SSN_RST;
		emit(&s, STREAM_RST, NULL, 0);
		return;
	}
	if (fl & MX_TCP_SYN) {
		syn_seen(ss, s.d, seq);
		seq++;
	}
	if (fl & MX_TCP_ACK) {
		s.d->last_ack = p->ack;
		s.d->flags |= DIR_ACKED;
		ack_seen(&peer, p->ack);
	}
	if (!(s.d->flags & DIR_STARTED) && (len > 0 || (fl & MX_TCP_FIN)))
		start_midstream(e, ss, s.d, peer.d, seq);
	if (fl & MX_TCP_FIN)
		fin_seen(&s, seq + len);
	if (len > 0)
		data_segment(&s, seq, p->payload, len);
	check_fin(&s);
}

void stream_detach(struct stream_engine *e, struct flow *f)
{
	struct tcp_session *ss = f->tcp;

	if (ss == NULL)
		return;
	for (int dir = 0; dir < 2; dir++) {
		struct side s = {e, f, &ss->d[dir], dir, false};
		struct tcp_dir *d = s.d;

		if (!(ss->flags & SSN_RST)) {
			flush_all(&s);
			if ((d->flags & (DIR_FIN | DIR_FIN_DONE)) == DIR_FIN &&
			    SEQ_GT(d->fin_seq, d->next))
				gap(&s, d->fin_seq - d->next);
		}
		while (d->head != NULL)
			seg_pop_head(e, d);
		if (d->ring != NULL) {
			free(d->ring);
			d->ring = NULL;
			e->c.memuse -= e->cfg.recent_window;
		}
	}
	e->c.memuse -= sizeof(*ss);
	e->c.active_sessions--;
	free(ss);
	f->tcp = NULL;
}

const struct stream_counters *stream_engine_counters(const struct stream_engine *e)
{
	return &e->c;
}
