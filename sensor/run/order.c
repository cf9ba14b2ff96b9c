/*
 * order.c - the per-worker queues of pending DNS frames of order.h.
 *
 * A queue is a ring of sequence numbers with counts of notes added and
 * released. The capture thread is its only writer of slots and of added;
 * the owning worker its only writer of released. A reader on another
 * thread reads released, then the slot it points at, then released again:
 * the slot cannot have been reused while released did not move, since the
 * capture thread writes a slot only once the note before it in that slot
 * was released. Slots are atomics, so the reads are never torn.
 */
#include "run/order.h"

#include <stdatomic.h>
#include <stdlib.h>

struct order_queue {
	_Atomic uint64_t *slot;
	size_t cap;
	_Atomic uint64_t added;	   /* capture thread */
	_Atomic uint64_t released; /* owning worker */
};

struct order_queue *order_queue_new(size_t slots)
{
	struct order_queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->cap = slots > 0 ? slots : 1;
	q->slot = calloc(q->cap, sizeof(*q->slot));
	if (q->slot == NULL) {
		free(q);
		return NULL;
	}
	/* Slots stay untouched (and their pages unmapped) until used: calloc zeroed them. */
	atomic_init(&q->added, 0);
	atomic_init(&q->released, 0);
	return q;
}

void order_queue_free(struct order_queue *q)
{
	if (q == NULL)
		return;
	free(q->slot);
	free(q);
}

bool order_queue_add(struct order_queue *q, uint64_t seq)
{
	uint64_t added = atomic_load_explicit(&q->added, memory_order_relaxed);

	if (added - atomic_load(&q->released) >= q->cap)
		return false;
	atomic_store_explicit(&q->slot[added % q->cap], seq, memory_order_relaxed);
	atomic_store(&q->added, added + 1);
	return true;
}

void order_queue_unadd(struct order_queue *q)
{
	atomic_store(&q->added, atomic_load_explicit(&q->added, memory_order_relaxed) - 1);
}

void order_queue_release(struct order_queue *q, uint64_t seq)
{
	uint64_t rel = atomic_load_explicit(&q->released, memory_order_relaxed);
	uint64_t added = atomic_load(&q->added);

	while (rel < added &&
	       atomic_load_explicit(&q->slot[rel % q->cap], memory_order_relaxed) <= seq)
		rel++;
	atomic_store(&q->released, rel);
}

bool order_queue_oldest(const struct order_queue *q, uint64_t *seq)
{
	uint64_t rel = atomic_load(&q->released);

	for (;;) {
		uint64_t v, again;

		if (rel == atomic_load(&q->added))
			return false;
		v = atomic_load(&q->slot[rel % q->cap]);
		again = atomic_load(&q->released);
		if (again == rel) {
			*seq = v;
			return true;
		}
		rel = again;
	}
}

bool order_may_run(struct order_queue *const *qs, unsigned n, unsigned self, uint64_t seq,
		   uint64_t ignore_below, uint64_t *blocker)
{
	uint64_t first = seq;

	for (unsigned i = 0; i < n; i++) {
		uint64_t oldest;

		if (i != self && order_queue_oldest(qs[i], &oldest) && oldest >= ignore_below &&
		    oldest < first)
			first = oldest;
	}
	if (first < seq && blocker != NULL)
		*blocker = first;
	return first == seq;
}
