/*
 * persist.h - the run's persisted state (--state FILE, `state:` in the
 * configuration): opened, attached to the correlate stage and loaded
 * before the first packet; flushed and closed after the last.
 */
#ifndef MX_PERSIST_H
#define MX_PERSIST_H

#include "correlate/correlate.h"
#include "state/state.h"

/*
 * Opens the store at spec (NULL or "": none, returns NULL with err
 * empty), mirrors c's stores into it and loads what it holds into them.
 * NULL with a message in err when the store cannot be used: the caller
 * must not start. offline makes the queue wait for the writer instead of
 * dropping (nothing is lost from a capture file).
 */
struct state *persist_open(const char *spec, uint64_t max_rows, bool offline,
			   struct correlate *c, char *err, size_t errlen);

/* After the last packet: puts what c holds back, waits for the writer. */
void persist_sync(struct state *st, struct correlate *c);

/* Detaches st from c and closes it (NULL: nothing). */
void persist_close(struct state *st, struct correlate *c);

#endif
