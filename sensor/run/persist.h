/*
 * persist.h - the run's persisted state (--state FILE, `state:` in the
 * configuration): opened and attached to the correlate stage before the
 * first packet, loaded then (live) or at the first packet (offline, so a
 * capture older than what the store has seen starts a new timeline
 * instead of being judged by facts from its future), flushed and closed
 * after the last packet.
 */
#ifndef MX_PERSIST_H
#define MX_PERSIST_H

#include "correlate/correlate.h"
#include "state/state.h"

struct persist;

/*
 * Opens the store at spec (NULL or "": none, returns NULL with err
 * empty) and mirrors c's stores into it. Live (offline false): loads
 * what it holds at once. Offline: the queue waits for the writer instead
 * of dropping, and the load waits for persist_packet. NULL with a message
 * in err when the store cannot be used: the caller must not start.
 */
struct persist *persist_open(const char *spec, uint64_t max_rows, bool offline, struct correlate *c,
			     char *err, size_t errlen);

/*
 * Offline, called with each packet's time before it is processed: at the
 * first, loads the store unless the packet is older than the newest the
 * store recorded (then says so on stderr and starts empty: a new
 * timeline). False with err when the load failed: stop the run.
 */
bool persist_packet(struct persist *p, uint64_t ts_us, char *err, size_t errlen);

/* The store (for its counters). */
struct state *persist_state(struct persist *p);

/* After the last packet: puts what c holds back, waits for the writer. */
void persist_sync(struct persist *p);

/* Detaches the store from c and closes it (NULL: nothing). */
void persist_close(struct persist *p);

#endif
