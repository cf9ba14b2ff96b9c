/*
 * redis_out.c - the Redis EVE output: a bounded queue filled by the
 * packet path and a sender thread that writes it pipelined (see
 * redis_out.h). The connection belongs to the sender thread alone; the
 * lock guards the queue only and is never held across network I/O.
 */
#include "output/redis_out.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
#define LINGER_MS      2u

struct entry {
	struct entry *next;
	size_t len;
	char data[];
};

struct redis_out {
	struct redis_out_config cfg;
	char where[REDIS_HOST_MAX + 128];
	char maxlen[24];
	pthread_mutex_t lock;
	pthread_cond_t more; /* lines queued, or stopping */
	pthread_cond_t idle; /* the queue became empty */
	struct entry *head, *tail;
	uint64_t bytes;	   /* queued and in flight */
	uint32_t inflight; /* lines taken by the sender, not yet settled */
	bool stopping;
	uint64_t deadline_ms; /* when stopping: give up after this */
	bool warned_full;
	pthread_t thread;
	/* sender thread only */
	redisContext *ctx;
	bool down; /* the connection is lost and not yet back */
	bool warned_rejected;
};

static struct redis_counters g_ctr;
static unsigned g_open;

const struct mx_counter_desc redis_counter_desc[] = {
    MX_COUNTER("redis.queued", struct redis_counters, queued),
    MX_COUNTER("redis.sent", struct redis_counters, sent),
    MX_COUNTER("redis.dropped", struct redis_counters, dropped),
    MX_COUNTER("redis.dropped_queue_full", struct redis_counters, dropped_full),
    MX_COUNTER("redis.rejected", struct redis_counters, rejected),
    MX_COUNTER("redis.unsent_at_exit", struct redis_counters, unsent_at_exit),
    MX_COUNTER("redis.pending", struct redis_counters, pending),
    MX_COUNTER("redis.reconnects", struct redis_counters, reconnects),
    {NULL, 0},
};

static void ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static void ctr_sub(uint64_t *c, uint64_t n)
{
	__atomic_fetch_sub(c, n, __ATOMIC_RELAXED);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits on cv (lock held) until deadline_ms of the monotonic clock at most. */
static void wait_until(pthread_cond_t *cv, pthread_mutex_t *lock, uint64_t deadline_ms)
{
	struct timespec ts = {(time_t)(deadline_ms / 1000u),
			      (long)(deadline_ms % 1000u) * 1000000L};

	pthread_cond_timedwait(cv, lock, &ts);
}

/* Frees n entries of a chain that were settled (sent or dropped). */
static void settle(struct redis_out *r, struct entry *e, uint32_t n)
{
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < n && e != NULL; i++) {
		struct entry *next = e->next;

		bytes += sizeof(*e) + e->len;
		free(e);
		e = next;
	}
	pthread_mutex_lock(&r->lock);
	r->bytes -= bytes;
	r->inflight -= n;
	if (r->head == NULL && r->inflight == 0)
		pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->lock);
}

/* Puts back n unsent entries (a chain) at the head of the queue, in order. */
static void requeue(struct redis_out *r, struct entry *first, uint32_t n)
{
	struct entry *last = first;

	if (n == 0)
		return;
	for (uint32_t i = 1; i < n; i++)
		last = last->next;
	pthread_mutex_lock(&r->lock);
	last->next = r->head;
	r->head = first;
	if (r->tail == NULL)
		r->tail = last;
	r->inflight -= n;
	pthread_mutex_unlock(&r->lock);
}

static void append_command(struct redis_out *r, const struct entry *e)
{
	const char *argv[8];
	size_t lens[8];
	int n = 0;

	switch (r->cfg.mode) {
	case REDIS_MODE_CHANNEL:
		argv[n++] = "PUBLISH";
		argv[n++] = r->cfg.key;
		break;
	case REDIS_MODE_STREAM:
		argv[n++] = "XADD";
		argv[n++] = r->cfg.key;
		if (r->cfg.stream_maxlen > 0) {
			argv[n++] = "MAXLEN";
			argv[n++] = "~";
			argv[n++] = r->maxlen;
		}
		argv[n++] = "*";
		argv[n++] = "eve";
		break;
	case REDIS_MODE_LIST:
	default:
		argv[n++] = "RPUSH";
		argv[n++] = r->cfg.key;
		break;
	}
	for (int i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	argv[n] = e->data;
	lens[n] = e->len;
	n++;
	redisAppendCommandArgv(r->ctx, n, argv, lens);
}

/*
 * Writes a chain of n lines pipelined and reads the n replies. Lines the
 * server took are sent, lines it refused are dropped; when the connection
 * fails, the lines without a reply go back to the queue.
 */
static void send_batch(struct redis_out *r, struct entry *first, uint32_t n)
{
	struct entry *e = first;
	uint32_t done = 0;

	for (uint32_t i = 0; i < n; i++, e = e->next)
		append_command(r, e);
	for (e = first; done < n; done++, e = e->next) {
		void *reply = NULL;
		redisReply *rep;

		if (redisGetReply(r->ctx, &reply) != REDIS_OK || reply == NULL) {
			fprintf(stderr,
				"mxsentry: warning: redis %s: connection lost (%s); %u unanswered "
				"lines kept for later, reconnecting\n",
				r->where, r->ctx->errstr[0] ? r->ctx->errstr : "no reply",
				n - done);
			redisFree(r->ctx);
			r->ctx = NULL;
			r->down = true;
			break;
		}
		rep = reply;
		if (rep->type == REDIS_REPLY_ERROR) {
			ctr_add(&g_ctr.rejected, 1);
			ctr_add(&g_ctr.dropped, 1);
			if (!r->warned_rejected) {
				fprintf(
				    stderr,
				    "mxsentry: warning: redis %s refuses the output's command: "
				    "%s (lines are dropped and counted in stats.redis.rejected)\n",
				    r->where, rep->str != NULL ? rep->str : "error");
				r->warned_rejected = true;
			}
		} else {
			ctr_add(&g_ctr.sent, 1);
		}
		ctr_sub(&g_ctr.pending, 1);
		freeReplyObject(reply);
	}
	settle(r, first, done);
	requeue(r, e, n - done);
}

/* Tries to connect; on failure waits the backoff (or until stopping's deadline). */
static void reconnect(struct redis_out *r, unsigned *backoff_ms)
{
	enum redis_conn_status st;
	char err[512];
	uint64_t until;

	r->ctx = redis_conn_open(&r->cfg.target, r->cfg.timeout_ms, &st, err, sizeof(err));
	if (r->ctx != NULL) {
		if (r->down) {
			ctr_add(&g_ctr.reconnects, 1);
			fprintf(stderr, "mxsentry: redis %s: connected again\n", r->where);
		}
		r->down = false;
		*backoff_ms = BACKOFF_MIN_MS;
		return;
	}
	pthread_mutex_lock(&r->lock);
	until = now_ms() + *backoff_ms;
	/* Lines arriving do not cut the backoff short; stopping does. */
	while (now_ms() < until && !r->stopping)
		wait_until(&r->more, &r->lock, until);
	if (r->stopping && now_ms() < MX_MIN(until, r->deadline_ms))
		wait_until(&r->more, &r->lock, MX_MIN(until, r->deadline_ms));
	pthread_mutex_unlock(&r->lock);
	*backoff_ms = *backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *backoff_ms * 2;
}

static void *sender_main(void *arg)
{
	struct redis_out *r = arg;
	unsigned backoff = BACKOFF_MIN_MS;

	for (;;) {
		struct entry *first, *last;
		uint32_t n = 0;

		pthread_mutex_lock(&r->lock);
		while (r->head == NULL && !r->stopping)
			pthread_cond_wait(&r->more, &r->lock);
		if (r->head == NULL || (r->stopping && now_ms() >= r->deadline_ms)) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		if (r->ctx == NULL) {
			pthread_mutex_unlock(&r->lock);
			reconnect(r, &backoff);
			continue;
		}
		if (r->head == r->tail && !r->stopping)
			/* One line waiting: let a few more join it (fewer, larger writes). */
			wait_until(&r->more, &r->lock, now_ms() + LINGER_MS);
		first = last = r->head;
		n = 1;
		while (n < r->cfg.batch && last->next != NULL) {
			last = last->next;
			n++;
		}
		r->head = last->next;
		if (r->head == NULL)
			r->tail = NULL;
		last->next = NULL;
		r->inflight += n;
		pthread_mutex_unlock(&r->lock);
		send_batch(r, first, n);
	}
	return NULL;
}

struct redis_out *redis_out_new(const struct redis_out_config *cfg, enum redis_open_result *res,
				char *err, size_t errlen)
{
	struct redis_out *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	enum redis_conn_status st;

	*res = REDIS_OPEN_ERROR;
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	if (r->cfg.batch == 0)
		r->cfg.batch = 1;
	snprintf(r->maxlen, sizeof(r->maxlen), "%llu", (unsigned long long)cfg->stream_maxlen);
	redis_target_describe(&cfg->target, r->where, sizeof(r->where));
	r->ctx = redis_conn_open(&cfg->target, cfg->timeout_ms, &st, err, errlen);
	if (r->ctx == NULL) {
		if (st == REDIS_CONN_REFUSED || cfg->must_connect) {
			size_t n = strlen(err);

			if (st != REDIS_CONN_REFUSED && n < errlen)
				snprintf(err + n, errlen - n,
					 " (reading captures needs the server at start; a live "
					 "sensor starts anyway and keeps trying)");
			*res = REDIS_OPEN_REFUSED;
			free(r);
			return NULL;
		}
		fprintf(stderr,
			"mxsentry: warning: %s; lines are queued and sent once it answers\n", err);
		err[0] = '\0';
		r->down = true;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->more, &ca);
	pthread_cond_init(&r->idle, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->thread, NULL, sender_main, r) != 0) {
		snprintf(err, errlen, "redis output: cannot start its thread");
		if (r->ctx != NULL)
			redisFree(r->ctx);
		pthread_cond_destroy(&r->more);
		pthread_cond_destroy(&r->idle);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	__atomic_fetch_add(&g_open, 1, __ATOMIC_RELAXED);
	*res = REDIS_OPEN_OK;
	return r;
}

void redis_out_push(struct redis_out *r, const char *line, size_t len)
{
	size_t need = sizeof(struct entry) + len;
	struct entry *e;
	bool warn = false;

	ctr_add(&g_ctr.queued, 1);
	e = malloc(need);
	pthread_mutex_lock(&r->lock);
	if (e == NULL || r->bytes + need > r->cfg.memcap) {
		warn = !r->warned_full;
		r->warned_full = true;
		pthread_mutex_unlock(&r->lock);
		free(e);
		ctr_add(&g_ctr.dropped_full, 1);
		ctr_add(&g_ctr.dropped, 1);
		if (warn)
			fprintf(stderr,
				"mxsentry: warning: redis %s: the output queue is full, lines are "
				"dropped (stats.redis.dropped_queue_full)\n",
				r->where);
		return;
	}
	e->next = NULL;
	e->len = len;
	memcpy(e->data, line, len);
	if (r->tail != NULL) {
		r->tail->next = e;
	} else {
		/* The sender waits only on an empty queue: wake it on the first line. */
		r->head = e;
		pthread_cond_signal(&r->more);
	}
	r->tail = e;
	r->bytes += need;
	ctr_add(&g_ctr.pending, 1);
	pthread_mutex_unlock(&r->lock);
}

void redis_out_drain(struct redis_out *r)
{
	uint64_t deadline = now_ms() + r->cfg.flush_timeout_ms;

	pthread_mutex_lock(&r->lock);
	while ((r->head != NULL || r->inflight > 0) && now_ms() < deadline)
		wait_until(&r->idle, &r->lock, deadline);
	pthread_mutex_unlock(&r->lock);
}

void redis_out_free(struct redis_out *r)
{
	uint64_t left = 0;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	r->deadline_ms = now_ms() + r->cfg.flush_timeout_ms;
	pthread_cond_broadcast(&r->more);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	while (r->head != NULL) {
		struct entry *next = r->head->next;

		free(r->head);
		r->head = next;
		left++;
	}
	if (left > 0) {
		ctr_add(&g_ctr.unsent_at_exit, left);
		ctr_add(&g_ctr.dropped, left);
		ctr_sub(&g_ctr.pending, left);
		fprintf(
		    stderr,
		    "mxsentry: warning: redis %s: %llu lines still unsent after the %u ms flush "
		    "timeout, dropped\n",
		    r->where, (unsigned long long)left, r->cfg.flush_timeout_ms);
	}
	if (r->ctx != NULL)
		redisFree(r->ctx);
	pthread_cond_destroy(&r->more);
	pthread_cond_destroy(&r->idle);
	pthread_mutex_destroy(&r->lock);
	__atomic_fetch_sub(&g_open, 1, __ATOMIC_RELAXED);
	free(r);
}

const struct redis_counters *redis_out_counters(void)
{
	return &g_ctr;
}

unsigned redis_out_open_count(void)
{
	return __atomic_load_n(&g_open, __ATOMIC_RELAXED);
}
