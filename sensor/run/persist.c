/*
 * persist.c - opening, loading and closing the run's state store, and
 * leaving it to its timeline; see persist.h.
 */
#include "run/persist.h"

#include "correlate/correlate_state.h"
#include "util/redis_conn.h"

#include <stdio.h>
#include <stdlib.h>

struct persist {
	struct state *st;
	struct correlate *c; /* NULL until persist_attach */
	char spec[256];
	bool offline;
	bool load_pending; /* offline: load at the first packet */
	bool detached;	   /* a new timeline: the store keeps the one it holds */
};

/* Loads the store into c; then failed TLS attempts are no longer taken. */
static bool load(struct persist *p, char *err, size_t errlen)
{
	bool ok = correlate_load_state(p->c, p->st, err, errlen);

	/* The failed TLS attempts go to a worker's table: at load only, never polled. */
	correlate_state_handler(p->c, STATE_TLS_FAILURE, NULL, NULL);
	return ok;
}

struct persist *persist_open(const char *spec, uint64_t max_rows, bool offline, char *err,
			     size_t errlen)
{
	struct state_config cfg;
	struct persist *p;

	err[0] = '\0';
	if (spec == NULL || spec[0] == '\0')
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	{
		char shown[sizeof(p->spec)];

		mx_strlcpy(p->spec, redis_url_shown(spec, shown, sizeof(shown)), sizeof(p->spec));
	}
	state_config_defaults(&cfg);
	if (max_rows > 0)
		cfg.max_rows = max_rows;
	cfg.block_when_full = offline;
	p->offline = offline;
	p->st = state_open(spec, &cfg, err, errlen);
	if (p->st == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

bool persist_attach(struct persist *p, struct correlate *c, char *err, size_t errlen)
{
	err[0] = '\0';
	if (p == NULL)
		return true;
	p->c = c;
	if (!p->offline && !load(p, err, errlen)) {
		p->c = NULL;
		return false;
	}
	p->load_pending = p->offline;
	correlate_attach_state(c, p->st);
	return true;
}

/* Leaves the store to the timeline it holds for the rest of the run. */
static void detach(struct persist *p)
{
	correlate_flush_state(p->c);
	correlate_attach_state(p->c, NULL);
	correlate_state_handler(p->c, STATE_TLS_FAILURE, NULL, NULL);
	p->detached = true;
}

bool persist_packet(struct persist *p, uint64_t ts_us, char *err, size_t errlen)
{
	uint64_t newest;

	if (p == NULL || p->c == NULL || !p->load_pending)
		return true;
	p->load_pending = false;
	newest = state_newest_us(p->st);
	if (ts_us < newest) {
		fprintf(stderr,
			"mxsentry: state %s: the capture starts %.3f s before the newest packet "
			"the state has seen; a new timeline: the state is neither read nor "
			"written in this run\n",
			p->spec, (double)(newest - ts_us) / MX_USEC);
		detach(p);
		return true;
	}
	return load(p, err, errlen);
}

void persist_new_timeline(struct persist *p, const char *file)
{
	if (p == NULL || p->c == NULL || p->detached)
		return;
	detach(p);
	fprintf(stderr,
		"mxsentry: state %s: %s starts a new timeline; the state keeps the timeline "
		"it holds and is not written for the rest of this run\n",
		p->spec, file != NULL ? file : "an input");
}

struct state *persist_state(struct persist *p)
{
	return p != NULL ? p->st : NULL;
}

void persist_sync(struct persist *p)
{
	if (p == NULL)
		return;
	if (p->c != NULL && !p->detached)
		correlate_flush_state(p->c);
	state_sync(p->st);
}

void persist_close(struct persist *p)
{
	if (p == NULL)
		return;
	if (p->c != NULL)
		correlate_attach_state(p->c, NULL);
	state_close(p->st);
	free(p);
}
