/*
 * persist.h - the run's persisted state (--state FILE, `state:` in the
 * configuration): opened before the privileges are dropped (as the
 * outputs are), attached to the correlate stage before the first packet,
 * loaded then (live) or at the first packet (offline, so a capture older
 * than what the store has seen starts a new timeline instead of being
 * judged by facts from its future), flushed and closed after the last
 * packet. The store belongs to one timeline: a capture timeline that
 * starts later in the run (or a first capture older than the store) is
 * neither loaded from it nor written to it.
 */
#ifndef MX_PERSIST_H
#define MX_PERSIST_H

#include "correlate/correlate.h"
#include "state/state.h"

struct persist;

/*
 * Opens the store at spec (NULL or "": none, returns NULL with err
 * empty): the SQLite file (and its -wal and -shm files beside it) or the
 * Redis connection, with the rights the process has now. Offline: the
 * queue waits for the writer instead of dropping, and the load waits for
 * persist_packet. NULL with a message in err when the store cannot be
 * used: the caller must not start.
 */
struct persist *persist_open(const char *spec, uint64_t max_rows, bool offline, char *err,
			     size_t errlen);

/*
 * Mirrors c's stores into the store opened by persist_open (p NULL: true,
 * nothing to do). Live: loads what it holds at once. False with a message
 * in err when the load failed: the caller must not start. c must outlive
 * p or persist_close.
 */
bool persist_attach(struct persist *p, struct correlate *c, char *err, size_t errlen);

/*
 * Offline, called with each packet's time before it is processed: at the
 * first, loads the store unless the packet is older than the newest the
 * store recorded (then the run is a new timeline: says so on stderr and
 * goes on without the store, as persist_new_timeline). False with err when
 * the load failed: stop the run.
 */
bool persist_packet(struct persist *p, uint64_t ts_us, char *err, size_t errlen);

/*
 * A new capture timeline starts (file: the input that starts it, for the
 * message): what the old timeline still holds is put to the store, then
 * the store is detached from the stage for the rest of the run, so the
 * new timeline's facts never mix with the old one's. Says so once on
 * stderr (the timelines themselves are counted in
 * stats.pipeline.timelines). NULL or detached already: nothing.
 */
void persist_new_timeline(struct persist *p, const char *file);

/* The store (for its counters). */
struct state *persist_state(struct persist *p);

/* After the last packet: puts what c holds back, waits for the writer. */
void persist_sync(struct persist *p);

/* Detaches the store from c and closes it (NULL: nothing). */
void persist_close(struct persist *p);

#endif
