/*
 * order.h - the order of DNS frames across live workers. The capture
 * thread numbers every frame it hands out; a frame that may carry DNS
 * (port 53, or an IP fragment: large DNSSEC answers arrive fragmented) is
 * also noted in the order queue of the worker it goes to. A worker runs a
 * frame only when no other worker still holds an older DNS frame, so a
 * DNS answer is always learned before any frame captured after it is
 * judged, as in a single thread, while frames between DNS answers run in
 * parallel. Waiting cannot deadlock: the oldest DNS frame held anywhere
 * waits for nothing.
 */
#ifndef MX_ORDER_H
#define MX_ORDER_H

#include "util/common.h"

/*
 * One worker's DNS frames not yet run, by sequence number: the capture
 * thread adds, the owning worker releases, any thread may read the oldest.
 */
struct order_queue;

/* A queue for `slots` pending DNS frames at least; NULL when memory runs out. */
struct order_queue *order_queue_new(size_t slots);
void order_queue_free(struct order_queue *q);

/*
 * Capture thread: notes DNS frame seq (larger than every seq added
 * before). False when the queue is full: the frame then goes unordered.
 * Call it before the frame is queued for the worker, so that no frame
 * queued later can be seen before this note.
 */
bool order_queue_add(struct order_queue *q, uint64_t seq);

/*
 * Capture thread: takes back the note just added, when its frame could
 * not be queued after all. The worker cannot have released it.
 */
void order_queue_unadd(struct order_queue *q);

/* Owning worker: frame seq has been run; releases every note up to it. */
void order_queue_release(struct order_queue *q, uint64_t seq);

/*
 * Any thread: the sequence number of the oldest DNS frame still pending in
 * q into *seq; false when none is. What it reports was pending at some
 * moment during the call.
 */
bool order_queue_oldest(const struct order_queue *q, uint64_t *seq);

/*
 * Whether the frame numbered seq of the worker at index self may run now:
 * no queue of the n in qs other than its own holds a DNS frame older than
 * seq (and not older than ignore_below, which a worker that gave up
 * waiting raises). When it may not, *blocker (unless NULL) is the oldest
 * such frame.
 */
bool order_may_run(struct order_queue *const *qs, unsigned n, unsigned self, uint64_t seq,
		   uint64_t ignore_below, uint64_t *blocker);

#endif
