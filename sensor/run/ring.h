/*
 * ring.h - a bounded queue of captured frames between one producer thread
 * (the capture) and one consumer thread (a worker): a ring of bytes that
 * holds each frame's link type, packet time, lengths and bytes back to
 * back. Pushing never blocks and never allocates: a frame that does not
 * fit is dropped and counted.
 */
#ifndef MX_RING_H
#define MX_RING_H

#include "util/common.h"

/* Smallest ring accepted; smaller requests are raised to it. */
#define FRAME_RING_MIN_BYTES (64u << 10)

/* One frame as the consumer sees it; frame points into the ring. */
struct frame_ring_item {
	uint64_t seq; /* as pushed */
	int dlt;
	uint64_t ts_us;
	uint32_t caplen, wirelen;
	const uint8_t *frame;
};

struct frame_ring;

/*
 * A ring of `bytes` bytes (rounded up to a multiple of 8, at least
 * FRAME_RING_MIN_BYTES); NULL when memory runs out.
 */
struct frame_ring *frame_ring_new(size_t bytes);
void frame_ring_free(struct frame_ring *r);

/*
 * Producer: copies one frame in, with its sequence number seq (any value
 * the producer likes; the consumer gets it back). Returns false, and
 * counts the frame in frame_ring_drops, when there is no room for it now
 * (or ever: a frame larger than half the ring).
 */
bool frame_ring_push(struct frame_ring *r, uint64_t seq, int dlt, uint64_t ts_us,
		     const uint8_t *frame, uint32_t caplen, uint32_t wirelen);

/*
 * Consumer: the oldest frame, left in place; false when the ring is
 * empty. The item stays valid until frame_ring_pop.
 */
bool frame_ring_peek(struct frame_ring *r, struct frame_ring_item *it);

/* Consumer: releases the frame frame_ring_peek returned. */
void frame_ring_pop(struct frame_ring *r);

/*
 * True when no frame is queued (either side may ask). The push that
 * publishes a frame and the loads here are sequentially consistent: a
 * consumer that sets a flag (seq_cst) and then finds the ring empty, and
 * a producer that pushes and then reads that flag (seq_cst), cannot both
 * miss each other.
 */
bool frame_ring_empty(struct frame_ring *r);

/* Producer side: frames pushed and frames dropped so far. */
uint64_t frame_ring_pushed(const struct frame_ring *r);
uint64_t frame_ring_drops(const struct frame_ring *r);

/* Bytes the ring holds in all. */
size_t frame_ring_capacity(const struct frame_ring *r);

#endif
