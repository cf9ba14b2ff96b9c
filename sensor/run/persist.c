/*
 * persist.c - opening, loading and closing the run's state store; see
 * persist.h.
 */
#include "run/persist.h"

#include "correlate/correlate_state.h"

#include <stdio.h>

struct state *persist_open(const char *spec, uint64_t max_rows, bool offline,
			   struct correlate *c, char *err, size_t errlen)
{
	struct state_config cfg;
	struct state *st;

	err[0] = '\0';
	if (spec == NULL || spec[0] == '\0')
		return NULL;
	state_config_defaults(&cfg);
	if (max_rows > 0)
		cfg.max_rows = max_rows;
	cfg.block_when_full = offline;
	st = state_open(spec, &cfg, err, errlen);
	if (st == NULL)
		return NULL;
	if (!correlate_load_state(c, st, err, errlen)) {
		state_close(st);
		return NULL;
	}
	/* The failed TLS attempts go to a worker's table: at load only, never polled. */
	correlate_state_handler(c, STATE_TLS_FAILURE, NULL, NULL);
	correlate_attach_state(c, st);
	return st;
}

void persist_sync(struct state *st, struct correlate *c)
{
	if (st == NULL)
		return;
	correlate_flush_state(c);
	state_sync(st);
}

void persist_close(struct state *st, struct correlate *c)
{
	if (st == NULL)
		return;
	correlate_lock(c);
	correlate_attach_state(c, NULL);
	correlate_unlock(c);
	state_close(st);
}
