/*
 * worker.c - the worker threads of worker.h: their queues, their loop,
 * their shutdown, and the one stats record that sums them.
 *
 * Locks, always taken in this order and never while waiting on a queue:
 * a worker's run lock (held while it runs its pipeline on a batch of
 * frames; the stats writer takes it to read that worker's counters), the
 * correlate stage's lock, the EVE outputs' lock. The capture thread never
 * blocks on a worker: a full queue drops the frame.
 */
#include "run/worker.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/dispatch.h"
#include "run/order.h"
#include "run/ring.h"

/* Frames a worker runs through its pipeline per hold of its run lock. */
#define WORKER_BATCH 64
/* Longest idle sleep, and the period of the wall-clock ticks. */
#define WORKER_IDLE_US 100000ULL
/* Counter tables in one stats record at most. */
#define POOL_MAX_SOURCES 64
/*
 * Longest wait for an older DNS frame on another worker. A worker that
 * far behind is overloaded: the frame then runs (counted), and the DNS
 * frames it waited for no longer hold this worker back.
 */
#define ORDER_WAIT_MAX_US 1000000ULL
/* Yields before a waiting worker starts to sleep between checks. */
#define ORDER_SPINS 64
/* Smallest frame record in a queue (ring.c's header and an IP header): bytes per order slot. */
#define ORDER_BYTES_PER_SLOT 48

struct worker {
	struct worker_pool *pool;
	unsigned index;
	pthread_t thread;
	bool started;
	struct frame_ring *ring;
	struct eve *eve;
	struct pipeline *pipe;
	pthread_mutex_t run; /* held while the pipeline runs */
	pthread_mutex_t wait_mu;
	pthread_cond_t wake;
	atomic_int sleeping; /* the worker waits (or is about to) on wake */
	uint64_t next_tick_us;
	struct order_queue *order; /* its DNS frames not yet run */
	uint64_t ignore_below;	   /* older DNS frames elsewhere no longer wait for */
	_Atomic uint64_t order_waits, order_timeouts;
};

enum src_kind {
	SRC_WORKERS,   /* one table in every worker's pipeline: summed */
	SRC_CORRELATE, /* updated under the correlate stage's lock */
	SRC_EVE,       /* the EVE outputs' counters, under their lock */
	SRC_LOCAL,     /* updated by the capture thread only */
};

struct pool_source {
	enum src_kind kind;
	const void *base; /* SRC_CORRELATE, SRC_LOCAL */
	const struct mx_counter_desc *desc;
	size_t pipe_index; /* SRC_WORKERS: the source's index in each pipeline */
	uint64_t *snap;	   /* copy taken for a record (not SRC_LOCAL) */
};

struct pool_counters {
	uint64_t queue_drops;
	uint64_t order_waits, order_timeouts, order_unqueued;
};

static const struct mx_counter_desc pool_counter_desc[] = {
    MX_COUNTER("capture.worker_queue_drops", struct pool_counters, queue_drops),
    MX_COUNTER("capture.worker_order_waits", struct pool_counters, order_waits),
    MX_COUNTER("capture.worker_order_timeouts", struct pool_counters, order_timeouts),
    MX_COUNTER("capture.worker_order_unqueued", struct pool_counters, order_unqueued),
    {NULL, 0},
};

struct worker_pool {
	struct worker_pool_config cfg;
	unsigned n;
	struct worker *w;
	struct order_queue **orders; /* each worker's, by index */
	uint64_t seq;		     /* of the last frame handed out (capture thread) */
	struct eve *eve;
	struct correlate *corr;
	atomic_bool stopping;
	bool stopped;
	struct pool_source src[POOL_MAX_SOURCES];
	size_t nsrc;
	struct stats_source out[POOL_MAX_SOURCES];
	/* per worker: packets queued and dropped, and their counter table */
	uint64_t *wvals;
	struct mx_counter_desc *wdesc;
	char *wnames;
	struct pool_counters ctr;
	struct eve_counters eve_snap;
	uint64_t start_us, next_stats_us;
};

void worker_pool_config_defaults(struct worker_pool_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 1;
	cfg->queue_bytes = WORKER_QUEUE_DEFAULT;
	pipeline_config_defaults(&cfg->pipe);
}

unsigned worker_default_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > WORKER_MAX ? WORKER_MAX : (unsigned)n;
}

static size_t share(size_t v, unsigned n)
{
	return v / n > 0 ? v / n : 1;
}

void worker_share_limits(struct pipeline_config *pc, unsigned n)
{
	if (n <= 1)
		return;
	pc->flow.memcap = share(pc->flow.memcap, n);
	if (pc->flow.hash_size != 0) /* 0: sized from the memcap share */
		pc->flow.hash_size = (uint32_t)MX_MAX(1024u, pc->flow.hash_size / n);
	pc->stream.memcap = share(pc->stream.memcap, n);
	pc->decode.defrag_memcap = share(pc->decode.defrag_memcap, n);
	pc->decode.defrag_max_trains = (uint32_t)share(pc->decode.defrag_max_trains, n);
	pc->app.ndpi_memcap = share(pc->app.ndpi_memcap, n);
	pc->app.session_memcap = share(pc->app.session_memcap, n);
}

static uint64_t wall_clock_us(void)
{
	return mx_clock_us(CLOCK_REALTIME);
}

/* ---- the worker thread ---- */

/* Sleeps until woken or WORKER_IDLE_US passed, unless a frame is queued. */
static void idle_wait(struct worker *w)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)(WORKER_IDLE_US * 1000);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->wait_mu);
	/* Both seq_cst (see frame_ring_empty): either the capture thread sees
	   sleeping set and wakes us, or this check sees its frame. */
	atomic_store(&w->sleeping, 1);
	if (frame_ring_empty(w->ring) && !atomic_load(&w->pool->stopping))
		pthread_cond_timedwait(&w->wake, &w->wait_mu, &until);
	atomic_store(&w->sleeping, 0);
	pthread_mutex_unlock(&w->wait_mu);
}

static void wake(struct worker *w)
{
	pthread_mutex_lock(&w->wait_mu);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->wait_mu);
}

/* Whether frame seq of w may run now (order.h). */
static bool may_run(struct worker *w, uint64_t seq)
{
	return w->pool->n == 1 ||
	       order_may_run(w->pool->orders, w->pool->n, w->index, seq, w->ignore_below, NULL);
}

/*
 * Waits, without the run lock, until frame seq of w may run, or
 * ORDER_WAIT_MAX_US passed: then the DNS frames older than seq on other
 * workers stop holding w back.
 */
static void order_wait(struct worker *w, uint64_t seq)
{
	const struct timespec nap = {0, 20000}; /* 20 us */
	uint64_t deadline = mx_clock_us(CLOCK_MONOTONIC) + ORDER_WAIT_MAX_US;

	atomic_fetch_add_explicit(&w->order_waits, 1, memory_order_relaxed);
	for (unsigned spins = 0; !may_run(w, seq); spins++) {
		if (spins < ORDER_SPINS) {
			sched_yield();
			continue;
		}
		if (mx_clock_us(CLOCK_MONOTONIC) >= deadline) {
			w->ignore_below = seq;
			atomic_fetch_add_explicit(&w->order_timeouts, 1, memory_order_relaxed);
			return;
		}
		nanosleep(&nap, NULL);
	}
}

/*
 * Runs up to WORKER_BATCH queued frames, each once no other worker holds
 * an older DNS frame, and the due tick; returns the frames run.
 */
static unsigned run_batch(struct worker *w)
{
	struct frame_ring_item it;
	unsigned n = 0;
	uint64_t now, blocked = 0;

	pthread_mutex_lock(&w->run);
	while (n < WORKER_BATCH && frame_ring_peek(w->ring, &it)) {
		if (!may_run(w, it.seq)) {
			blocked = it.seq;
			break;
		}
		pipeline_packet(w->pipe, it.dlt, it.ts_us, it.frame, it.caplen, it.wirelen);
		frame_ring_pop(w->ring);
		if (w->pool->n > 1)
			order_queue_release(w->order, it.seq);
		n++;
	}
	now = w->pool->cfg.clock_us();
	if (now != 0 && now >= w->next_tick_us) {
		w->next_tick_us = now + WORKER_IDLE_US;
		pipeline_tick(w->pipe, now);
	}
	pthread_mutex_unlock(&w->run);
	if (blocked != 0) {
		order_wait(w, blocked);
		/* Not idle: the frame waited for is still queued. */
		return n > 0 ? n : 1;
	}
	return n;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		if (run_batch(w) > 0)
			continue;
		if (atomic_load(&w->pool->stopping)) {
			/* Stopping: everything queued before the stop is run first. */
			if (frame_ring_empty(w->ring))
				break;
			continue;
		}
		idle_wait(w);
	}
	pthread_mutex_lock(&w->run);
	pipeline_flush(w->pipe);
	pthread_mutex_unlock(&w->run);
	return NULL;
}

/* ---- construction ---- */

/* The worker's locks; false (and nothing to undo) when one cannot be made. */
static bool worker_locks(struct worker *w)
{
	pthread_condattr_t ca;
	bool ok;

	if (pthread_condattr_init(&ca) != 0)
		return false;
	ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	     pthread_cond_init(&w->wake, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (!ok)
		return false;
	if (pthread_mutex_init(&w->run, NULL) != 0) {
		pthread_cond_destroy(&w->wake);
		return false;
	}
	if (pthread_mutex_init(&w->wait_mu, NULL) != 0) {
		pthread_mutex_destroy(&w->run);
		pthread_cond_destroy(&w->wake);
		return false;
	}
	return true;
}

static bool worker_init(struct worker_pool *wp, struct worker *w, unsigned index, char *err,
			size_t errlen)
{
	struct pipeline_config pc = wp->cfg.pipe;

	if (!worker_locks(w)) {
		snprintf(err, errlen, "cannot create the locks of worker %u", index);
		return false;
	}
	/* From here on worker_pool_free releases the worker. */
	w->pool = wp;
	w->index = index;
	atomic_init(&w->sleeping, 0);
	atomic_init(&w->order_waits, 0);
	atomic_init(&w->order_timeouts, 0);
	w->ring = frame_ring_new(wp->cfg.queue_bytes);
	w->eve = eve_writer_new(wp->eve);
	if (w->ring != NULL)
		w->order = order_queue_new(frame_ring_capacity(w->ring) / ORDER_BYTES_PER_SLOT);
	wp->orders[index] = w->order;
	if (w->ring == NULL || w->eve == NULL || w->order == NULL) {
		snprintf(err, errlen, "out of memory for worker %u", index);
		return false;
	}
	worker_share_limits(&pc, wp->n);
	pc.worker_index = index;
	pc.worker_count = wp->n;
	pc.stats_interval_s = 0;
	w->pipe = pipeline_new(&pc, w->eve, wp->corr, err, errlen);
	return w->pipe != NULL;
}

static void add_source(struct worker_pool *wp, enum src_kind kind, const void *base,
		       const struct mx_counter_desc *desc, size_t pipe_index)
{
	struct pool_source *s;
	size_t extent = 0;

	if (wp->nsrc == POOL_MAX_SOURCES)
		return;
	for (const struct mx_counter_desc *d = desc; d->name != NULL; d++)
		extent = MX_MAX(extent, d->offset + sizeof(uint64_t));
	s = &wp->src[wp->nsrc];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->base = base;
	s->desc = desc;
	s->pipe_index = pipe_index;
	if (kind == SRC_WORKERS || kind == SRC_CORRELATE) {
		s->snap = calloc(1, extent > 0 ? extent : sizeof(uint64_t));
		if (s->snap == NULL)
			return;
	}
	wp->nsrc++;
}

/* The per-worker counter table: workers.wN.packets, workers.wN.queue_drops. */
static bool worker_table(struct worker_pool *wp)
{
	const size_t name_max = 40;

	wp->wvals = calloc(2 * (size_t)wp->n, sizeof(*wp->wvals));
	wp->wdesc = calloc(2 * (size_t)wp->n + 1, sizeof(*wp->wdesc));
	wp->wnames = calloc(2 * (size_t)wp->n, name_max);
	if (wp->wvals == NULL || wp->wdesc == NULL || wp->wnames == NULL)
		return false;
	for (unsigned i = 0; i < wp->n; i++) {
		char *pk = wp->wnames + (2 * (size_t)i) * name_max;
		char *dr = pk + name_max;

		snprintf(pk, name_max, "workers.w%u.packets", i);
		snprintf(dr, name_max, "workers.w%u.queue_drops", i);
		wp->wdesc[2 * i] = (struct mx_counter_desc){pk, 2 * i * sizeof(uint64_t)};
		wp->wdesc[2 * i + 1] = (struct mx_counter_desc){dr, (2 * i + 1) * sizeof(uint64_t)};
	}
	return true;
}

static bool start_threads(struct worker_pool *wp, char *err, size_t errlen)
{
	sigset_t all, old;
	bool ok = true;

	/* Signals are for the capture thread: the workers start with them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < wp->n && ok; i++) {
		int rc = pthread_create(&wp->w[i].thread, NULL, worker_main, &wp->w[i]);

		if (rc != 0) {
			snprintf(err, errlen, "cannot start worker %u: %s", i, strerror(rc));
			ok = false;
		} else {
			wp->w[i].started = true;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

struct worker_pool *worker_pool_new(const struct worker_pool_config *cfg, struct eve *eve,
				    struct correlate *corr, char *err, size_t errlen)
{
	struct worker_pool *wp = calloc(1, sizeof(*wp));
	struct stats_source cs[8];
	const struct stats_source *ps;
	size_t ncs, nps;

	if (wp == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	wp->cfg = *cfg;
	if (wp->cfg.queue_bytes == 0)
		wp->cfg.queue_bytes = WORKER_QUEUE_DEFAULT;
	if (wp->cfg.clock_us == NULL)
		wp->cfg.clock_us = wall_clock_us;
	wp->n = MX_MAX(1u, MX_MIN(cfg->workers, (unsigned)WORKER_MAX));
	wp->eve = eve;
	wp->corr = corr;
	atomic_init(&wp->stopping, false);
	wp->w = calloc(wp->n, sizeof(*wp->w));
	wp->orders = calloc(wp->n, sizeof(*wp->orders));
	if (wp->w == NULL || wp->orders == NULL || !worker_table(wp)) {
		snprintf(err, errlen, "out of memory");
		worker_pool_free(wp);
		return NULL;
	}
	err[0] = '\0';
	for (unsigned i = 0; i < wp->n; i++) {
		if (!worker_init(wp, &wp->w[i], i, err, errlen)) {
			if (err[0] == '\0')
				snprintf(err, errlen, "cannot set up worker %u", i);
			wp->stopped = true;
			worker_pool_free(wp);
			return NULL;
		}
	}
	/* Every pipeline registers the same tables in the same order. */
	nps = pipeline_stats_sources(wp->w[0].pipe, &ps);
	for (size_t i = 0; i < nps; i++)
		add_source(wp, SRC_WORKERS, NULL, ps[i].desc, i);
	ncs = correlate_stats_sources(corr, cs, MX_ARRAY_LEN(cs));
	for (size_t i = 0; i < ncs; i++)
		add_source(wp, SRC_CORRELATE, cs[i].base, cs[i].desc, 0);
	add_source(wp, SRC_EVE, &wp->eve_snap, eve_counter_desc, 0);
	add_source(wp, SRC_LOCAL, &wp->ctr, pool_counter_desc, 0);
	add_source(wp, SRC_LOCAL, wp->wvals, wp->wdesc, 0);
	wp->start_us = wp->cfg.clock_us();
	if (!start_threads(wp, err, errlen)) {
		worker_pool_free(wp);
		return NULL;
	}
	return wp;
}

void worker_pool_stop(struct worker_pool *wp)
{
	if (wp->stopped)
		return;
	wp->stopped = true;
	atomic_store(&wp->stopping, true);
	for (unsigned i = 0; i < wp->n; i++)
		if (wp->w[i].started)
			wake(&wp->w[i]);
	for (unsigned i = 0; i < wp->n; i++) {
		if (!wp->w[i].started)
			continue;
		pthread_join(wp->w[i].thread, NULL);
		wp->w[i].started = false;
	}
}

void worker_pool_free(struct worker_pool *wp)
{
	if (wp == NULL)
		return;
	if (wp->w != NULL) {
		atomic_store(&wp->stopping, true);
		worker_pool_stop(wp);
		for (unsigned i = 0; i < wp->n; i++) {
			struct worker *w = &wp->w[i];

			if (w->pool == NULL)
				continue;
			if (w->pipe != NULL)
				pipeline_free(w->pipe);
			eve_free(w->eve);
			frame_ring_free(w->ring);
			order_queue_free(w->order);
			pthread_mutex_destroy(&w->run);
			pthread_mutex_destroy(&w->wait_mu);
			pthread_cond_destroy(&w->wake);
		}
	}
	for (size_t i = 0; i < wp->nsrc; i++)
		free(wp->src[i].snap);
	free(wp->w);
	free(wp->orders);
	free(wp->wvals);
	free(wp->wdesc);
	free(wp->wnames);
	free(wp);
}

/* ---- the capture thread's side ---- */

void worker_pool_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
			uint32_t wirelen)
{
	struct worker_pool *wp = ctx;
	struct worker *w = &wp->w[dispatch_worker(dlt, frame, caplen, wp->n)];
	uint64_t seq = ++wp->seq;
	bool noted = false;

	/* The note comes first: no frame queued after this one may be seen before it. */
	if (wp->n > 1 && dispatch_may_be_dns(dlt, frame, caplen)) {
		noted = order_queue_add(w->order, seq);
		if (!noted)
			wp->ctr.order_unqueued++;
	}
	if (!frame_ring_push(w->ring, seq, dlt, ts_us, frame, caplen, wirelen)) {
		if (noted)
			order_queue_unadd(w->order);
		return; /* counted by the ring */
	}
	/* seq_cst after the push's seq_cst store: pairs with idle_wait. */
	if (atomic_load(&w->sleeping))
		wake(w);
}

void worker_pool_drain(struct worker_pool *wp)
{
	const struct timespec pause = {0, 1000000}; /* 1 ms */

	for (unsigned i = 0; i < wp->n; i++) {
		/* A frame leaves the ring only once its worker has run it. */
		while (!frame_ring_empty(wp->w[i].ring) && wp->w[i].started)
			nanosleep(&pause, NULL);
		/* The run lock: the worker is between batches. */
		pthread_mutex_lock(&wp->w[i].run);
		pthread_mutex_unlock(&wp->w[i].run);
	}
}

void worker_pool_add_stats_source(struct worker_pool *wp, const void *base,
				  const struct mx_counter_desc *desc, bool under_correlate_lock)
{
	add_source(wp, under_correlate_lock ? SRC_CORRELATE : SRC_LOCAL, base, desc, 0);
}

void worker_pool_replace_stats_source(struct worker_pool *wp, const struct mx_counter_desc *desc,
				      const void *base)
{
	for (size_t i = 0; i < wp->nsrc; i++)
		if (wp->src[i].desc == desc && wp->src[i].kind != SRC_WORKERS)
			wp->src[i].base = base;
}

static void put_counter(uint64_t *snap, const struct mx_counter_desc *d, uint64_t v, bool add)
{
	uint64_t *slot = (uint64_t *)(void *)((char *)snap + d->offset);

	*slot = add ? *slot + v : v;
}

/* Copies every counter into the snapshots and fills wp->out; returns the sources. */
static size_t snapshot(struct worker_pool *wp)
{
	wp->ctr.queue_drops = 0;
	wp->ctr.order_waits = 0;
	wp->ctr.order_timeouts = 0;
	for (unsigned i = 0; i < wp->n; i++) {
		struct worker *w = &wp->w[i];

		wp->wvals[2 * i] = frame_ring_pushed(w->ring);
		wp->wvals[2 * i + 1] = frame_ring_drops(w->ring);
		wp->ctr.queue_drops += wp->wvals[2 * i + 1];
		wp->ctr.order_waits += atomic_load_explicit(&w->order_waits, memory_order_relaxed);
		wp->ctr.order_timeouts +=
		    atomic_load_explicit(&w->order_timeouts, memory_order_relaxed);
	}
	for (size_t s = 0; s < wp->nsrc; s++)
		if (wp->src[s].kind == SRC_WORKERS)
			for (const struct mx_counter_desc *d = wp->src[s].desc; d->name; d++)
				put_counter(wp->src[s].snap, d, 0, false);
	for (unsigned i = 0; i < wp->n; i++) {
		struct worker *w = &wp->w[i];
		const struct stats_source *ps;
		size_t nps;

		pthread_mutex_lock(&w->run);
		nps = pipeline_stats_sources(w->pipe, &ps);
		for (size_t s = 0; s < wp->nsrc; s++) {
			struct pool_source *src = &wp->src[s];

			if (src->kind != SRC_WORKERS || src->pipe_index >= nps ||
			    ps[src->pipe_index].desc != src->desc)
				continue;
			for (const struct mx_counter_desc *d = src->desc; d->name; d++)
				put_counter(src->snap, d,
					    mx_counter_get(ps[src->pipe_index].base, d), true);
		}
		pthread_mutex_unlock(&w->run);
	}
	correlate_lock(wp->corr);
	for (size_t s = 0; s < wp->nsrc; s++)
		if (wp->src[s].kind == SRC_CORRELATE)
			for (const struct mx_counter_desc *d = wp->src[s].desc; d->name; d++)
				put_counter(wp->src[s].snap, d, mx_counter_get(wp->src[s].base, d),
					    false);
	correlate_unlock(wp->corr);
	eve_counters_read(wp->eve, &wp->eve_snap);
	for (size_t s = 0; s < wp->nsrc; s++) {
		const struct pool_source *src = &wp->src[s];

		wp->out[s].desc = src->desc;
		wp->out[s].base = src->snap != NULL ? (const void *)src->snap : src->base;
	}
	return wp->nsrc;
}

void worker_pool_write_stats(struct worker_pool *wp, uint64_t now_us)
{
	size_t n;

	if (!eve_wants(wp->eve, EVE_STATS))
		return;
	n = snapshot(wp);
	stats_write(wp->eve, now_us, now_us > wp->start_us ? (now_us - wp->start_us) / MX_USEC : 0,
		    wp->out, n);
}

void worker_pool_tick(struct worker_pool *wp, uint64_t now_us)
{
	if (wp->cfg.stats_interval_s == 0)
		return;
	if (wp->next_stats_us == 0) {
		wp->next_stats_us = now_us + wp->cfg.stats_interval_s * MX_USEC;
	} else if (now_us >= wp->next_stats_us) {
		wp->next_stats_us = now_us + wp->cfg.stats_interval_s * MX_USEC;
		worker_pool_write_stats(wp, now_us);
	}
}

uint64_t worker_pool_queue_drops(const struct worker_pool *wp)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < wp->n; i++)
		n += frame_ring_drops(wp->w[i].ring);
	return n;
}

unsigned worker_pool_count(const struct worker_pool *wp)
{
	return wp->n;
}

uint64_t worker_pool_counter(struct worker_pool *wp, const char *name)
{
	size_t n = snapshot(wp);

	return stats_get(wp->out, n, name);
}
