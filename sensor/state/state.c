/*
 * state.c - the common half of the state store of state.h: the choice of
 * backend, the bounded queue between state_put and the writer thread, the
 * writer thread that hands the backend one batch per transaction, and the
 * counters.
 */
#include "state/state.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[STATE_KIND_END] = {
    [STATE_DNSKEY] = "dnskey",
    [STATE_DS] = "ds",
    [STATE_INSECURE] = "insecure",
    [STATE_MX] = "mx",
    [STATE_ADDRS] = "addrs",
    [STATE_TLSA] = "tlsa",
    [STATE_STS] = "mta-sts",
    [STATE_HOSTS_OF_ADDR] = "hosts-of-addr",
    [STATE_MX_CLAIMS] = "mx-claims",
    [STATE_HISTORY] = "history",
    [STATE_RESOLVER_AD] = "resolver-ad",
    [STATE_TLS_FAILURE] = "tls-failure",
};

const struct mx_counter_desc state_counter_desc[] = {
    MX_COUNTER("state.loaded", struct state_counters, loaded),
    MX_COUNTER("state.load_rejected", struct state_counters, load_rejected),
    MX_COUNTER("state.queued", struct state_counters, queued),
    MX_COUNTER("state.dropped", struct state_counters, dropped),
    MX_COUNTER("state.written", struct state_counters, written),
    MX_COUNTER("state.batches", struct state_counters, batches),
    MX_COUNTER("state.write_errors", struct state_counters, write_errors),
    MX_COUNTER("state.expired", struct state_counters, expired),
    MX_COUNTER("state.evicted", struct state_counters, evicted),
    MX_COUNTER("state.rows", struct state_counters, rows),
    MX_COUNTER("state.polled", struct state_counters, polled),
    {NULL, 0},
};

const char *state_kind_name(enum state_kind k)
{
	return (unsigned)k < STATE_KIND_END ? kind_names[k] : NULL;
}

enum state_kind state_kind_parse(const char *name)
{
	for (unsigned k = 1; k < STATE_KIND_END; k++)
		if (strcmp(kind_names[k], name) == 0)
			return (enum state_kind)k;
	return 0;
}

void state_config_defaults(struct state_config *cfg)
{
	cfg->queue_max = 8192;
	cfg->batch_max = 4096;
	cfg->flush_ms = 500;
	cfg->max_rows = 1000000;
	cfg->block_when_full = false;
}

/* A queued fact with its value copied after it. */
struct qfact {
	struct qfact *next;
	struct state_fact f;
	char value[];
};

struct state {
	const struct state_ops *ops;
	void *be;
	struct state_config cfg;
	pthread_t writer;
	bool writer_started;

	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t work;  /* the writer has something to do */
	pthread_cond_t room;  /* the queue shrank or a batch finished */
	struct qfact *head, *tail;
	size_t qlen;
	uint64_t enqueued_seq, committed_seq; /* facts queued / handled by the writer */
	uint64_t now_us;		      /* latest packet time queued */
	bool stop;
	bool flush_now;		    /* state_sync waits: write what is queued at once */
	struct state_counters wctr; /* the writer's counters */

	struct state_counters ctr; /* the caller's copy (state_counters) */
	uint64_t newest_at_open;
};

static void *writer_main(void *arg);

struct state *state_open(const char *spec, const struct state_config *cfg, char *err, size_t errlen)
{
	struct state *st;
	const struct state_ops *ops = &state_sqlite_ops;

	if (strncmp(spec, "redis://", 8) == 0 || strncmp(spec, "rediss://", 9) == 0 ||
	    strncmp(spec, "unix://", 7) == 0) {
		ops = state_redis_ops;
		if (ops == NULL) {
			snprintf(err, errlen, "state: this build has no Redis state backend");
			return NULL;
		}
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->ops = ops;
	st->cfg = *cfg;
	if (st->cfg.batch_max == 0)
		st->cfg.batch_max = 1;
	if (st->cfg.queue_max == 0)
		st->cfg.queue_max = 1;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->work, NULL);
	pthread_cond_init(&st->room, NULL);
	st->be = ops->open(spec, &st->cfg, err, errlen);
	if (st->be == NULL) {
		state_close(st);
		return NULL;
	}
	st->newest_at_open = ops->newest != NULL ? ops->newest(st->be) : 0;
	if (pthread_create(&st->writer, NULL, writer_main, st) != 0) {
		snprintf(err, errlen, "state (%s): cannot start the writer thread", ops->name);
		state_close(st);
		return NULL;
	}
	st->writer_started = true;
	return st;
}

bool state_load(struct state *st, state_apply_fn fn, void *arg, char *err, size_t errlen)
{
	struct state_counters c;
	bool ok;

	memset(&c, 0, sizeof(c));
	ok = st->ops->load(st->be, fn, arg, &c, err, errlen);
	pthread_mutex_lock(&st->lock);
	st->wctr.loaded += c.loaded;
	st->wctr.load_rejected += c.load_rejected;
	if (c.rows > st->wctr.rows)
		st->wctr.rows = c.rows;
	pthread_mutex_unlock(&st->lock);
	return ok;
}

void state_put(struct state *st, const struct state_fact *f)
{
	struct qfact *q;

	pthread_mutex_lock(&st->lock);
	while (st->qlen >= st->cfg.queue_max && st->cfg.block_when_full && !st->stop)
		pthread_cond_wait(&st->room, &st->lock);
	if (st->qlen >= st->cfg.queue_max || st->stop) {
		st->wctr.dropped++;
		pthread_mutex_unlock(&st->lock);
		return;
	}
	pthread_mutex_unlock(&st->lock);

	q = malloc(sizeof(*q) + f->value_len + 1);
	if (q == NULL) {
		pthread_mutex_lock(&st->lock);
		st->wctr.dropped++;
		pthread_mutex_unlock(&st->lock);
		return;
	}
	q->next = NULL;
	q->f = *f;
	memcpy(q->value, f->value, f->value_len);
	q->value[f->value_len] = '\0';
	q->f.value = q->value;

	pthread_mutex_lock(&st->lock);
	if (st->tail != NULL)
		st->tail->next = q;
	else
		st->head = q;
	st->tail = q;
	st->qlen++;
	st->enqueued_seq++;
	st->wctr.queued++;
	if (f->learned_us > st->now_us)
		st->now_us = f->learned_us;
	if (st->qlen >= st->cfg.batch_max)
		pthread_cond_signal(&st->work);
	st->ctr = st->wctr;
	pthread_mutex_unlock(&st->lock);
}

size_t state_poll(struct state *st, state_apply_fn fn, void *arg, size_t max)
{
	size_t n;

	if (st->ops->poll == NULL)
		return 0;
	n = st->ops->poll(st->be, fn, arg, max);
	pthread_mutex_lock(&st->lock);
	st->wctr.polled += n;
	pthread_mutex_unlock(&st->lock);
	return n;
}

/* Takes up to batch_max facts off the queue; caller holds the lock. */
static struct qfact *take_batch(struct state *st, size_t *n)
{
	struct qfact *first = st->head, *last = NULL, *q = st->head;

	*n = 0;
	while (q != NULL && *n < st->cfg.batch_max) {
		last = q;
		q = q->next;
		(*n)++;
	}
	if (last == NULL)
		return NULL;
	st->head = q;
	if (q == NULL)
		st->tail = NULL;
	last->next = NULL;
	st->qlen -= *n;
	return first;
}

static void deadline_in(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Writes one batch through the backend; returns with the lock held again. */
static void write_batch(struct state *st, struct qfact *list, size_t n)
{
	struct state_fact *facts = calloc(n, sizeof(*facts));
	struct state_counters c;
	uint64_t now = st->now_us;
	size_t i = 0;
	bool ok;

	pthread_cond_broadcast(&st->room);
	pthread_mutex_unlock(&st->lock);
	memset(&c, 0, sizeof(c));
	for (struct qfact *q = list; q != NULL && facts != NULL; q = q->next)
		facts[i++] = q->f;
	ok = facts != NULL && st->ops->write(st->be, facts, n, now, &c);
	free(facts);
	while (list != NULL) {
		struct qfact *next = list->next;

		free(list);
		list = next;
	}
	pthread_mutex_lock(&st->lock);
	if (ok) {
		st->wctr.written += n;
		st->wctr.batches++;
	} else if (st->wctr.write_errors++ == 0) {
		fprintf(stderr,
			"mxsentry: warning: state (%s): a batch of %zu facts could not be written; "
			"stats.state.write_errors counts the batches lost\n",
			st->ops->name, n);
	}
	st->wctr.expired += c.expired;
	st->wctr.evicted += c.evicted;
	if (ok)
		st->wctr.rows = c.rows;
	st->committed_seq += n;
	pthread_cond_broadcast(&st->room);
}

static void *writer_main(void *arg)
{
	struct state *st = arg;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		struct qfact *list;
		size_t n;

		if (st->head == NULL && st->stop)
			break;
		if (st->head == NULL || (st->qlen < st->cfg.batch_max && !st->stop)) {
			struct timespec ts;

			deadline_in(&ts, st->cfg.flush_ms);
			while (st->qlen < st->cfg.batch_max && !st->stop && !st->flush_now &&
			       pthread_cond_timedwait(&st->work, &st->lock, &ts) != ETIMEDOUT)
				;
		}
		list = take_batch(st, &n);
		if (list != NULL)
			write_batch(st, list, n);
		if (st->head == NULL)
			st->flush_now = false;
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

void state_sync(struct state *st)
{
	pthread_mutex_lock(&st->lock);
	while (st->committed_seq < st->enqueued_seq && st->writer_started) {
		st->flush_now = true;
		pthread_cond_signal(&st->work);
		pthread_cond_wait(&st->room, &st->lock);
	}
	pthread_mutex_unlock(&st->lock);
}

void state_close(struct state *st)
{
	if (st == NULL)
		return;
	if (st->writer_started) {
		pthread_mutex_lock(&st->lock);
		st->stop = true;
		pthread_cond_broadcast(&st->work);
		pthread_cond_broadcast(&st->room);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->writer, NULL);
	}
	if (st->be != NULL)
		st->ops->close(st->be);
	pthread_cond_destroy(&st->work);
	pthread_cond_destroy(&st->room);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

const struct state_counters *state_counters(struct state *st)
{
	pthread_mutex_lock(&st->lock);
	st->ctr = st->wctr;
	pthread_mutex_unlock(&st->lock);
	return &st->ctr;
}

uint64_t state_newest_us(const struct state *st)
{
	return st->newest_at_open;
}

const char *state_backend_name(const struct state *st)
{
	return st->ops->name;
}
