/*
 * ring.c - the single-producer single-consumer frame ring of ring.h.
 *
 * head and tail count bytes written and read since the start; their
 * difference is what the ring holds. The producer writes a record and
 * then publishes it with a release store of head; the consumer reads it
 * after an acquire load of head and frees it with a release store of
 * tail. A record never wraps: when one does not fit before the end of the
 * buffer, the rest of the buffer is filled with a padding record that the
 * consumer skips.
 */
#include "run/ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Every record starts with this header; records are 8-byte aligned. */
struct rec_hdr {
	uint32_t size; /* of the whole record, header included */
	int32_t dlt;   /* REC_PAD for padding: only size and dlt are written */
	uint64_t ts_us;
	uint32_t caplen, wirelen;
	uint64_t seq;
};

#define REC_PAD	  (-0x7fffffff)
#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

/*
 * The producer's and the consumer's fields sit on cache lines of their
 * own, so that neither side's writes evict what the other reads: the
 * padding is on purpose.
 */
struct frame_ring { /* NOLINT(clang-analyzer-optin.performance.Padding) */
	/* read-only once made */
	uint8_t *buf;
	size_t cap;
	/* producer's */
	alignas(64) _Atomic uint64_t head;
	uint64_t cached_tail;
	uint64_t pushed, drops;
	/* consumer's */
	alignas(64) _Atomic uint64_t tail;
	uint64_t cached_head;
	size_t peeked; /* size of the record peeked, 0 when none */
};

struct frame_ring *frame_ring_new(size_t bytes)
{
	struct frame_ring *r;

	if (bytes < FRAME_RING_MIN_BYTES)
		bytes = FRAME_RING_MIN_BYTES;
	bytes = ALIGN8(bytes);
	/* aligned_alloc wants a size that is a multiple of the alignment. */
	r = aligned_alloc(64, (sizeof(*r) + 63) & ~(size_t)63);
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->buf = malloc(bytes);
	if (r->buf == NULL) {
		free(r);
		return NULL;
	}
	r->cap = bytes;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r;
}

void frame_ring_free(struct frame_ring *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

/* Room the producer may use now, re-reading tail only when needed. */
static bool has_room(struct frame_ring *r, uint64_t head, size_t need)
{
	if (r->cap - (size_t)(head - r->cached_tail) >= need)
		return true;
	r->cached_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	return r->cap - (size_t)(head - r->cached_tail) >= need;
}

bool frame_ring_push(struct frame_ring *r, uint64_t seq, int dlt, uint64_t ts_us,
		     const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t size = ALIGN8(sizeof(struct rec_hdr) + (size_t)caplen);
	size_t at = (size_t)(head % r->cap);
	size_t to_end = r->cap - at;
	size_t pad = to_end < size ? to_end : 0;
	struct rec_hdr h;

	if (size > r->cap / 2 || !has_room(r, head, pad + size)) {
		r->drops++;
		return false;
	}
	if (pad > 0) {
		struct rec_hdr p = {(uint32_t)pad, REC_PAD, 0, 0, 0, 0};

		/* to_end is at least 8: every position is 8-byte aligned. */
		memcpy(r->buf + at, &p, 8);
		head += pad;
		at = 0;
	}
	h.size = (uint32_t)size;
	h.dlt = dlt;
	h.ts_us = ts_us;
	h.caplen = caplen;
	h.wirelen = wirelen;
	h.seq = seq;
	memcpy(r->buf + at, &h, sizeof(h));
	if (caplen > 0)
		memcpy(r->buf + at + sizeof(h), frame, caplen);
	/* Sequentially consistent, like the loads of frame_ring_empty: see ring.h. */
	atomic_store_explicit(&r->head, head + size, memory_order_seq_cst);
	r->pushed++;
	return true;
}

bool frame_ring_peek(struct frame_ring *r, struct frame_ring_item *it)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct rec_hdr h;

	for (;;) {
		size_t at;

		if (tail == r->cached_head) {
			r->cached_head = atomic_load_explicit(&r->head, memory_order_acquire);
			if (tail == r->cached_head)
				return false;
		}
		at = (size_t)(tail % r->cap);
		memcpy(&h, r->buf + at, 8);
		if (h.dlt != REC_PAD)
			break;
		tail += h.size;
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	memcpy(&h, r->buf + tail % r->cap, sizeof(h));
	it->seq = h.seq;
	it->dlt = h.dlt;
	it->ts_us = h.ts_us;
	it->caplen = h.caplen;
	it->wirelen = h.wirelen;
	it->frame = r->buf + tail % r->cap + sizeof(h);
	r->peeked = h.size;
	return true;
}

void frame_ring_pop(struct frame_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (r->peeked == 0)
		return;
	atomic_store_explicit(&r->tail, tail + r->peeked, memory_order_release);
	r->peeked = 0;
}

bool frame_ring_empty(struct frame_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_seq_cst) ==
	       atomic_load_explicit(&r->tail, memory_order_seq_cst);
}

uint64_t frame_ring_pushed(const struct frame_ring *r)
{
	return r->pushed;
}

uint64_t frame_ring_drops(const struct frame_ring *r)
{
	return r->drops;
}

size_t frame_ring_capacity(const struct frame_ring *r)
{
	return r->cap;
}
