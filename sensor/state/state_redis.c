/*
 * state_redis.c - the Redis backend of the state store (state.h), shared
 * by every sensor of a deployment: --state redis://[user:pw@]host:port/db
 * (or unix:///path/redis.sock) with optional ?ns=NAME (the deployment's
 * namespace, default "default"), &sensor=NAME (this sensor's name in
 * sources, default host:pid) and &db=N. A password may also come from the
 * environment (MXSENTRY_REDIS_PASSWORD) so that it stays out of `ps`.
 *
 * Keys, all under "mxsentry:{NS}:" (one hash slot per deployment, so the
 * script below also runs on Redis Cluster):
 *   f:KIND:KEY  hash: v value, l learned_us, e expires_us, s source,
 *               t trust, n the sensor that stored it; a Redis TTL in place
 *               of expiry (expires_us less the writer's packet time)
 *   idx         sorted set of "KIND:KEY" by expires_us: load, expiry, row cap
 *   feed        stream of "KIND:KEY" stored, and by whom (MAXLEN ~ 100000)
 *   meta        sorted set: "newest" scored with the newest packet time any
 *               sensor wrote at (ZADD GT), for state_newest_us
 *
 * Writes are idempotent and decided by trust, then timestamps: one script
 * keeps a stored fact that is better trusted and not expired; between
 * equally trusted facts it replaces the stored one only when the new one
 * was learned later (on a tie, the greater value wins, so every sensor
 * ends with the same fact); only a replacement goes to the feed. Replays,
 * retries and late sensors change nothing.
 *
 * Threads: load and write run on the store's caller and writer threads
 * (never at once) over one connection. A poller thread of its own reads
 * the feed (XREAD BLOCK) over a second connection, fetches the facts other
 * sensors stored and keeps them in a bounded local queue; poll, on the
 * packet path, only takes from that queue: a slow or absent Redis never
 * stalls it. Both connections reconnect with backoff.
 */
#include "state/state_redis.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/redis_conn.h"

#define SPEC_MAX	  1024
#define NS_MAX		  64
#define SENSOR_MAX	  48
#define PREFIX_MAX	  (NS_MAX + 16)
#define FEED_MAXLEN	  "100000"
#define POLL_QUEUE_MAX	  65536
#define LOAD_CHUNK	  512
#define FEED_CHUNK	  256
#define BACKOFF_MIN_MS	  100u
#define BACKOFF_MAX_MS	  5000u
#define FEED_BLOCK_MS	  "300"
#define MIN_REPLY_TIMEOUT 2000u

/*
 * KEYS: fact hash, index, feed. ARGV: value, learned, expires, source,
 * trust, sensor, ttl_ms (0: none), member, index score, trust rank, the
 * writer's packet time. A better trusted stored fact that has not expired
 * stays; between equally trusted facts the later learned wins, on a tie
 * the greater value.
 */
static const char put_script[] =
    "local cur = redis.call('HMGET', KEYS[1], 'l', 'v', 'r', 'e')\n"
    "if cur[1] then\n"
    "  local cl, nl = tonumber(cur[1]), tonumber(ARGV[2])\n"
    "  local cr, nr = tonumber(cur[3] or '9'), tonumber(ARGV[10])\n"
    "  local alive = tonumber(cur[4] or '0') == 0 or tonumber(cur[4]) > tonumber(ARGV[11])\n"
    "  if nr > cr and alive then return 0 end\n"
    "  if nr == cr and (cl > nl or (cl == nl and cur[2] >= ARGV[1])) then return 0 end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'v', ARGV[1], 'l', ARGV[2], 'e', ARGV[3], 's', ARGV[4],\n"
    "           't', ARGV[5], 'n', ARGV[6], 'r', ARGV[10])\n"
    "if ARGV[7] == '0' then redis.call('PERSIST', KEYS[1])\n"
    "else redis.call('PEXPIRE', KEYS[1], ARGV[7]) end\n"
    "redis.call('ZADD', KEYS[2], ARGV[9], ARGV[8])\n"
    "redis.call('XADD', KEYS[3], 'MAXLEN', '~', '" FEED_MAXLEN "', '*', 'm', ARGV[8], 'n', "
    "ARGV[6])\n"
    "return 1\n";

/* The backend's own counters (stats.state.redis.*). */
struct state_redis_counters {
	uint64_t stale_writes; /* facts Redis already held newer (or the same) */
	uint64_t rejected;     /* writes the server refused (ACL, script) */
	uint64_t feed_seen;    /* feed entries of other sensors read */
	uint64_t fetched;      /* of those, facts fetched into the local queue */
	uint64_t missing;      /* feed entries whose fact was gone (expired, evicted) */
	uint64_t poll_dropped; /* facts the full local queue had no room for */
	uint64_t reconnects;
};

static struct state_redis_counters g_ctr;

const struct mx_counter_desc state_redis_counter_desc[] = {
    MX_COUNTER("state.redis.stale_writes", struct state_redis_counters, stale_writes),
    MX_COUNTER("state.redis.rejected", struct state_redis_counters, rejected),
    MX_COUNTER("state.redis.feed_seen", struct state_redis_counters, feed_seen),
    MX_COUNTER("state.redis.fetched", struct state_redis_counters, fetched),
    MX_COUNTER("state.redis.missing", struct state_redis_counters, missing),
    MX_COUNTER("state.redis.poll_dropped", struct state_redis_counters, poll_dropped),
    MX_COUNTER("state.redis.reconnects", struct state_redis_counters, reconnects),
    {NULL, 0},
};

const void *state_redis_counters(void)
{
	return &g_ctr;
}

static void ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* A fact with its own copies of the value (local queue, load). */
struct owned_fact {
	struct owned_fact *next;
	struct state_fact f;
	char *value;
};

struct conn {
	redisContext *c;
	unsigned backoff_ms;
	uint64_t retry_at_ms;
	bool was_up;
};

struct redis_state {
	struct redis_target target;
	char where[REDIS_HOST_MAX + 128];
	char prefix[PREFIX_MAX];
	char idx[PREFIX_MAX + 8], feed[PREFIX_MAX + 8], meta[PREFIX_MAX + 8];
	char sensor[SENSOR_MAX];
	unsigned timeout_ms;
	uint64_t max_rows;
	struct conn w; /* load and write */
	struct conn p; /* the poller's */
	char last_id[64];
	bool warned_rejected; /* writer thread */
	bool warned_poll;     /* poller thread */

	pthread_t poller;
	bool poller_started;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t wake;
	bool stop;
	struct owned_fact *qhead, *qtail;
	size_t qlen;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void owned_free(struct owned_fact *o)
{
	if (o != NULL) {
		free(o->value);
		free(o);
	}
}

/* ---- the spec ---- */

static bool has_param(const char *q, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = q; *p; p += strcspn(p, "&"), p += *p == '&')
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return true;
	return false;
}

static bool take_param(const char *q, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);

	for (const char *p = q; p != NULL && *p; p = strchr(p, '&'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t len = strcspn(p + n + 1, "&");

			if (len == 0 || len >= outlen)
				return false;
			memcpy(out, p + n + 1, len);
			out[len] = '\0';
			return true;
		}
	}
	return false;
}

static bool name_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static bool parse_spec(struct redis_state *rs, const char *spec, char *err, size_t errlen)
{
	char base[SPEC_MAX], ns[NS_MAX] = "default", db[16];
	const char *q = strchr(spec, '?');
	size_t blen = q != NULL ? (size_t)(q - spec) : strlen(spec);
	const char *envpw = getenv("MXSENTRY_REDIS_PASSWORD");
	char host[64];

	if (strncmp(spec, "rediss://", 9) == 0) {
		snprintf(err, errlen, "state: %s", REDIS_NO_TLS);
		return false;
	}
	if (blen >= sizeof(base)) {
		snprintf(err, errlen, "state: Redis URL too long");
		return false;
	}
	memcpy(base, spec, blen);
	base[blen] = '\0';
	if (!redis_target_parse(base, &rs->target, err, errlen))
		return false;
	if (q != NULL) {
		static const char *const known[] = {"ns", "sensor", "db"};

		for (const char *p = q + 1; *p; p += strcspn(p, "&"), p += *p == '&') {
			bool ok = false;

			for (size_t i = 0; i < MX_ARRAY_LEN(known); i++)
				ok |= has_param(p, known[i]) &&
				      strncmp(p, known[i], strlen(known[i])) == 0;
			if (!ok) {
				snprintf(
				    err, errlen,
				    "state: unknown parameter in '%.64s' (expected ns=, sensor=, "
				    "db=)",
				    q);
				return false;
			}
		}
		if ((has_param(q + 1, "ns") && !take_param(q + 1, "ns", ns, sizeof(ns))) ||
		    (has_param(q + 1, "sensor") &&
		     !take_param(q + 1, "sensor", rs->sensor, sizeof(rs->sensor))) ||
		    !name_ok(ns) || !name_ok(rs->sensor)) {
			snprintf(
			    err, errlen,
			    "state: in '%.64s', ns and sensor take up to %d letters, digits, '-', "
			    "'_' or '.'",
			    q, SENSOR_MAX - 1);
			return false;
		}
		if (take_param(q + 1, "db", db, sizeof(db))) {
			char *end;
			long v = strtol(db, &end, 10);

			if (*end != '\0' || v < 0 || v > 1000000) {
				snprintf(err, errlen, "state: bad db in '%.64s'", q);
				return false;
			}
			rs->target.db = (int)v;
		}
	}
	if (rs->target.password[0] == '\0' && envpw != NULL)
		snprintf(rs->target.password, sizeof(rs->target.password), "%s", envpw);
	if (rs->sensor[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "sensor");
		host[sizeof(host) - 1] = '\0';
		host[strcspn(host, ".")] = '\0';
		snprintf(rs->sensor, sizeof(rs->sensor), "%.32s:%ld", host, (long)getpid());
	}
	snprintf(rs->prefix, sizeof(rs->prefix), "mxsentry:{%s}:", ns);
	snprintf(rs->idx, sizeof(rs->idx), "%sidx", rs->prefix);
	snprintf(rs->feed, sizeof(rs->feed), "%sfeed", rs->prefix);
	snprintf(rs->meta, sizeof(rs->meta), "%smeta", rs->prefix);
	redis_target_describe(&rs->target, rs->where, sizeof(rs->where));
	return true;
}

/* ---- connections ---- */

/* Makes sure cn is up; false (without waiting) while the backoff runs. */
static bool conn_up(struct redis_state *rs, struct conn *cn)
{
	enum redis_conn_status st;
	char err[512];

	if (cn->c != NULL)
		return true;
	if (mono_ms() < cn->retry_at_ms)
		return false;
	cn->c = redis_conn_open(&rs->target, rs->timeout_ms, &st, err, sizeof(err));
	if (cn->c == NULL) {
		cn->backoff_ms = cn->backoff_ms == 0 ? BACKOFF_MIN_MS
						     : MX_MIN(cn->backoff_ms * 2, BACKOFF_MAX_MS);
		cn->retry_at_ms = mono_ms() + cn->backoff_ms;
		return false;
	}
	if (cn->was_up) {
		ctr_add(&g_ctr.reconnects, 1);
		fprintf(stderr, "mxsentry: state %s: connected again\n", rs->where);
	}
	cn->was_up = true;
	cn->backoff_ms = 0;
	return true;
}

static void conn_lost(struct redis_state *rs, struct conn *cn, const char *what)
{
	if (cn->c == NULL)
		return;
	fprintf(stderr,
		"mxsentry: warning: state %s: %s: %s; working from memory until it is back\n",
		rs->where, what, cn->c->errstr[0] ? cn->c->errstr : "no reply");
	redisFree(cn->c);
	cn->c = NULL;
	cn->backoff_ms = BACKOFF_MIN_MS;
	cn->retry_at_ms = mono_ms() + cn->backoff_ms;
}

/* ---- facts in and out of hashes ---- */

static void fact_key(const struct redis_state *rs, const char *member, char *out, size_t len)
{
	snprintf(out, len, "%sf:%s", rs->prefix, member);
}

static bool member_of(const struct state_fact *f, char *out, size_t len)
{
	const char *k = state_kind_name(f->kind);
	int n;

	if (k == NULL)
		return false;
	n = snprintf(out, len, "%s:%s", k, f->key);
	return n > 0 && (size_t)n < len;
}

static uint64_t parse_u64(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_STRING ? strtoull(r->str, NULL, 10) : 0;
}

static void copy_str(const redisReply *r, char *out, size_t len)
{
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		snprintf(out, len, "%.*s", (int)MX_MIN(r->len, len - 1), r->str);
	else if (len > 0)
		out[0] = '\0';
}

/*
 * Builds a fact from member and an HMGET v l e s t n reply; NULL when the
 * fact is gone or malformed. A fact another sensor stored names it in its
 * source.
 */
static struct owned_fact *fact_from(const struct redis_state *rs, const char *member,
				    const redisReply *r)
{
	const char *colon = strchr(member, ':');
	struct owned_fact *o;
	char kind[32], sensor[SENSOR_MAX], source[STATE_SOURCE_MAX];

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 6 ||
	    r->element[0]->type != REDIS_REPLY_STRING || colon == NULL ||
	    (size_t)(colon - member) >= sizeof(kind))
		return NULL;
	memcpy(kind, member, (size_t)(colon - member));
	kind[colon - member] = '\0';
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->f.kind = state_kind_parse(kind);
	if (o->f.kind == 0 || strlen(colon + 1) >= sizeof(o->f.key) ||
	    (o->value = malloc(r->element[0]->len + 1)) == NULL) {
		owned_free(o);
		return NULL;
	}
	snprintf(o->f.key, sizeof(o->f.key), "%s", colon + 1);
	memcpy(o->value, r->element[0]->str, r->element[0]->len);
	o->value[r->element[0]->len] = '\0';
	o->f.value = o->value;
	o->f.value_len = r->element[0]->len;
	o->f.learned_us = parse_u64(r->element[1]);
	o->f.expires_us = parse_u64(r->element[2]);
	copy_str(r->element[3], source, sizeof(source));
	copy_str(r->element[4], o->f.trust, sizeof(o->f.trust));
	copy_str(r->element[5], sensor, sizeof(sensor));
	if (sensor[0] && strcmp(sensor, rs->sensor) != 0) {
		char named[STATE_SOURCE_MAX + SENSOR_MAX + 32];

		snprintf(named, sizeof(named), "sensor %s via redis: %s", sensor, source);
		mx_strlcpy(o->f.source, named, sizeof(o->f.source));
	} else
		snprintf(o->f.source, sizeof(o->f.source), "%s", source);
	return o;
}

/* Appends HMGET of member's fact to c's pipeline. */
static void append_fetch(const struct redis_state *rs, redisContext *c, const char *member)
{
	char key[PREFIX_MAX + STATE_KEY_MAX + 48];

	fact_key(rs, member, key, sizeof(key));
	redisAppendCommand(c, "HMGET %s v l e s t n", key);
}

/* Counts and (once) reports a command the server refused (an ACL without it). */
static void note_refusal(struct redis_state *rs, const redisReply *r, const char *what,
			 bool *warned)
{
	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return;
	ctr_add(&g_ctr.rejected, 1);
	if (!*warned)
		fprintf(stderr,
			"mxsentry: warning: state %s refuses %s: %s (counted in "
			"stats.state.redis.rejected)\n",
			rs->where, what, r->str);
	*warned = true;
}

/* ---- the poller ---- */

static void queue_fact(struct redis_state *rs, struct owned_fact *o)
{
	pthread_mutex_lock(&rs->lock);
	if (rs->qlen >= POLL_QUEUE_MAX) {
		pthread_mutex_unlock(&rs->lock);
		ctr_add(&g_ctr.poll_dropped, 1);
		owned_free(o);
		return;
	}
	if (rs->qtail != NULL)
		rs->qtail->next = o;
	else
		rs->qhead = o;
	rs->qtail = o;
	rs->qlen++;
	pthread_mutex_unlock(&rs->lock);
	ctr_add(&g_ctr.fetched, 1);
}

enum feed_result { FEED_OK, FEED_LOST, FEED_REFUSED };

/* One XREAD of the feed and the fetch of what others stored. */
static enum feed_result read_feed(struct redis_state *rs)
{
	redisContext *c = rs->p.c;
	const char *members[FEED_CHUNK];
	redisReply *r, *entries;
	size_t n = 0;
	enum feed_result res = FEED_OK;

	r = redisCommand(c, "XREAD COUNT %d BLOCK " FEED_BLOCK_MS " STREAMS %s %s", FEED_CHUNK,
			 rs->feed, rs->last_id);
	if (r == NULL)
		return FEED_LOST;
	if (r->type == REDIS_REPLY_ERROR) {
		note_refusal(rs, r, "XREAD", &rs->warned_poll);
		freeReplyObject(r);
		return FEED_REFUSED;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements < 2) {
		freeReplyObject(r);
		return FEED_OK; /* nothing new (nil after the block) */
	}
	entries = r->element[0]->element[1];
	for (size_t i = 0; i < entries->elements && n < FEED_CHUNK; i++) {
		redisReply *e = entries->element[i], *fv;
		const char *m = NULL, *who = NULL;

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		snprintf(rs->last_id, sizeof(rs->last_id), "%s", e->element[0]->str);
		fv = e->element[1];
		for (size_t j = 0; fv->type == REDIS_REPLY_ARRAY && j + 1 < fv->elements; j += 2) {
			if (strcmp(fv->element[j]->str, "m") == 0)
				m = fv->element[j + 1]->str;
			else if (strcmp(fv->element[j]->str, "n") == 0)
				who = fv->element[j + 1]->str;
		}
		if (m == NULL || (who != NULL && strcmp(who, rs->sensor) == 0))
			continue;
		ctr_add(&g_ctr.feed_seen, 1);
		members[n++] = m;
		append_fetch(rs, c, m);
	}
	for (size_t i = 0; i < n; i++) {
		void *rep = NULL;
		struct owned_fact *o;

		if (redisGetReply(c, &rep) != REDIS_OK || rep == NULL) {
			res = FEED_LOST;
			break;
		}
		note_refusal(rs, rep, "HMGET", &rs->warned_poll);
		o = fact_from(rs, members[i], rep);
		if (o != NULL)
			queue_fact(rs, o);
		else
			ctr_add(&g_ctr.missing, 1);
		freeReplyObject(rep);
	}
	freeReplyObject(r);
	return res;
}

static void *poller_main(void *arg)
{
	struct redis_state *rs = arg;

	for (;;) {
		pthread_mutex_lock(&rs->lock);
		if (rs->stop) {
			pthread_mutex_unlock(&rs->lock);
			break;
		}
		pthread_mutex_unlock(&rs->lock);
		if (!conn_up(rs, &rs->p)) {
			struct timespec ts;
			uint64_t at = rs->p.retry_at_ms;

			ts.tv_sec = (time_t)(at / 1000u);
			ts.tv_nsec = (long)(at % 1000u) * 1000000L;
			pthread_mutex_lock(&rs->lock);
			if (!rs->stop)
				pthread_cond_timedwait(&rs->wake, &rs->lock, &ts);
			pthread_mutex_unlock(&rs->lock);
			continue;
		}
		switch (read_feed(rs)) {
		case FEED_LOST:
			conn_lost(rs, &rs->p, "reading the shared feed");
			break;
		case FEED_REFUSED: {
			/* Refused (ACL): ask again only now and then. */
			struct timespec ts;
			uint64_t at = mono_ms() + BACKOFF_MAX_MS;

			ts.tv_sec = (time_t)(at / 1000u);
			ts.tv_nsec = (long)(at % 1000u) * 1000000L;
			pthread_mutex_lock(&rs->lock);
			if (!rs->stop)
				pthread_cond_timedwait(&rs->wake, &rs->lock, &ts);
			pthread_mutex_unlock(&rs->lock);
			break;
		}
		case FEED_OK:
		default:
			break;
		}
	}
	return NULL;
}

/* ---- state_ops ---- */

static void rs_close(void *be);

static void *rs_open(const char *spec, const struct state_config *cfg, char *err, size_t errlen)
{
	struct redis_state *rs = calloc(1, sizeof(*rs));
	enum redis_conn_status st;
	pthread_condattr_t ca;
	redisReply *r;

	if (rs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rs->timeout_ms = MIN_REPLY_TIMEOUT;
	rs->max_rows = cfg->max_rows;
	if (!parse_spec(rs, spec, err, errlen)) {
		free(rs);
		return NULL;
	}
	rs->w.c = redis_conn_open(&rs->target, rs->timeout_ms, &st, err, errlen);
	if (rs->w.c == NULL) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (state: the sensor does not start without it)");
		free(rs);
		return NULL;
	}
	rs->w.was_up = true;
	/* The feed is read from what is last in it now: older facts come from load. */
	r = redisCommand(rs->w.c, "XREVRANGE %s + - COUNT 1", rs->feed);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "state %s: cannot read %s: %s", rs->where, rs->feed,
			 r != NULL ? r->str : rs->w.c->errstr);
		if (r != NULL)
			freeReplyObject(r);
		redisFree(rs->w.c);
		free(rs);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 1)
		snprintf(rs->last_id, sizeof(rs->last_id), "%s", r->element[0]->element[0]->str);
	else
		snprintf(rs->last_id, sizeof(rs->last_id), "0-0");
	freeReplyObject(r);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&rs->lock, NULL);
	pthread_cond_init(&rs->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&rs->poller, NULL, poller_main, rs) != 0) {
		snprintf(err, errlen, "state %s: cannot start the poller thread", rs->where);
		rs_close(rs);
		return NULL;
	}
	rs->poller_started = true;
	return rs;
}

static int by_learned(const void *a, const void *b)
{
	const struct owned_fact *x = *(const struct owned_fact *const *)a;
	const struct owned_fact *y = *(const struct owned_fact *const *)b;

	return x->f.learned_us < y->f.learned_us ? -1 : x->f.learned_us > y->f.learned_us;
}

/* Fetches the facts of one page of the index into *all; false on a lost connection. */
static bool load_page(struct redis_state *rs, const redisReply *page, struct owned_fact ***all,
		      size_t *n, size_t *cap)
{
	redisContext *c = rs->w.c;

	for (size_t i = 0; i < page->elements; i++)
		append_fetch(rs, c, page->element[i]->str);
	for (size_t i = 0; i < page->elements; i++) {
		void *rep = NULL;
		struct owned_fact *o;

		if (redisGetReply(c, &rep) != REDIS_OK || rep == NULL)
			return false;
		o = fact_from(rs, page->element[i]->str, rep);
		freeReplyObject(rep);
		if (o == NULL)
			continue; /* expired by its TTL; the index entry goes at the next write */
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 1024;
			struct owned_fact **g = realloc(*all, ncap * sizeof(*g));

			if (g == NULL) {
				owned_free(o);
				return false;
			}
			*all = g;
			*cap = ncap;
		}
		(*all)[(*n)++] = o;
	}
	return true;
}

static bool rs_load(void *be, state_apply_fn fn, void *arg, struct state_counters *ctr, char *err,
		    size_t errlen)
{
	struct redis_state *rs = be;
	struct owned_fact **all = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;

	for (long start = 0; ok; start += LOAD_CHUNK) {
		redisReply *page = redisCommand(rs->w.c, "ZRANGE %s %ld %ld", rs->idx, start,
						start + LOAD_CHUNK - 1);

		if (page == NULL || page->type != REDIS_REPLY_ARRAY) {
			snprintf(err, errlen, "state %s: cannot read %s: %s", rs->where, rs->idx,
				 page != NULL && page->str ? page->str : rs->w.c->errstr);
			if (page != NULL)
				freeReplyObject(page);
			ok = false;
			break;
		}
		if (page->elements == 0) {
			freeReplyObject(page);
			break;
		}
		if (!load_page(rs, page, &all, &n, &cap)) {
			snprintf(err, errlen, "state %s: loading failed: %s", rs->where,
				 rs->w.c->errstr[0] ? rs->w.c->errstr : "out of memory");
			ok = false;
		}
		freeReplyObject(page);
	}
	if (ok) {
		if (n > 1)
			qsort(all, n, sizeof(*all), by_learned);
		for (size_t i = 0; i < n; i++) {
			ctr->loaded++;
			if (!fn(arg, &all[i]->f))
				ctr->load_rejected++;
		}
		ctr->rows = n;
	}
	for (size_t i = 0; i < n; i++)
		owned_free(all[i]);
	free(all);
	return ok;
}

/*
 * How far a fact's trust goes, best first: the order of the expectation
 * store's trusts (correlate/expect.h), whose names facts carry; other
 * trusts ("index", "claim", ...) rank after them.
 */
static unsigned trust_rank(const char *trust)
{
	static const char *const order[] = {"policy-file", "dnssec", "ad-trusted-resolver",
					    "unvalidated", "history"};

	for (unsigned i = 0; i < MX_ARRAY_LEN(order); i++)
		if (strcmp(trust, order[i]) == 0)
			return i;
	return MX_ARRAY_LEN(order);
}

/* Appends the put script for f; false when the fact cannot be stored. */
static bool append_put(struct redis_state *rs, const struct state_fact *f, uint64_t now_us)
{
	char member[STATE_KEY_MAX + 32], key[PREFIX_MAX + STATE_KEY_MAX + 48];
	char learned[24], expires[24], ttl[24], score[24], rank[8], now[24];
	uint64_t from = MX_MAX(now_us, f->learned_us);
	const char *argv[20];
	size_t lens[20];
	int a = 0;

	if (!member_of(f, member, sizeof(member)))
		return false;
	fact_key(rs, member, key, sizeof(key));
	snprintf(rank, sizeof(rank), "%u", trust_rank(f->trust));
	snprintf(now, sizeof(now), "%llu", (unsigned long long)now_us);
	snprintf(learned, sizeof(learned), "%llu", (unsigned long long)f->learned_us);
	snprintf(expires, sizeof(expires), "%llu", (unsigned long long)f->expires_us);
	if (f->expires_us == 0) {
		snprintf(ttl, sizeof(ttl), "0");
		snprintf(score, sizeof(score), "+inf");
	} else {
		snprintf(ttl, sizeof(ttl), "%llu",
			 (unsigned long long)MX_MAX((f->expires_us - from) / 1000u, 1000u));
		snprintf(score, sizeof(score), "%llu", (unsigned long long)f->expires_us);
	}
	argv[a++] = "EVAL";
	argv[a++] = put_script;
	argv[a++] = "3";
	argv[a++] = key;
	argv[a++] = rs->idx;
	argv[a++] = rs->feed;
	argv[a++] = f->value;
	argv[a++] = learned;
	argv[a++] = expires;
	argv[a++] = f->source;
	argv[a++] = f->trust;
	argv[a++] = rs->sensor;
	argv[a++] = ttl;
	argv[a++] = member;
	argv[a++] = score;
	argv[a++] = rank;
	argv[a++] = now;
	for (int i = 0; i < a; i++)
		lens[i] = i == 6 ? f->value_len : strlen(argv[i]);
	redisAppendCommandArgv(rs->w.c, a, argv, lens);
	return true;
}

/* Reads one reply; NULL on a lost connection. */
static redisReply *reply_of(redisContext *c)
{
	void *rep = NULL;

	if (redisGetReply(c, &rep) != REDIS_OK)
		return NULL;
	return rep;
}

/* Drops what expired before now_us and what exceeds max_rows; false on a lost connection. */
static bool trim(struct redis_state *rs, uint64_t now_us, struct state_counters *ctr)
{
	redisContext *c = rs->w.c;
	redisReply *r;
	long long rows;

	if (now_us > 0) {
		r = redisCommand(c, "ZREMRANGEBYSCORE %s -inf (%llu", rs->idx,
				 (unsigned long long)now_us);
		if (r == NULL)
			return false;
		if (r->type == REDIS_REPLY_INTEGER)
			ctr->expired += (uint64_t)r->integer;
		note_refusal(rs, r, "ZREMRANGEBYSCORE", &rs->warned_rejected);
		freeReplyObject(r);
	}
	if ((r = redisCommand(c, "ZCARD %s", rs->idx)) == NULL)
		return false;
	rows = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	note_refusal(rs, r, "ZCARD", &rs->warned_rejected);
	freeReplyObject(r);
	if (rs->max_rows > 0 && (uint64_t)rows > rs->max_rows) {
		long long over = rows - (long long)rs->max_rows;
		redisReply *popped = redisCommand(c, "ZPOPMIN %s %lld", rs->idx, over);

		if (popped == NULL)
			return false;
		note_refusal(rs, popped, "ZPOPMIN", &rs->warned_rejected);
		for (size_t i = 0; popped->type == REDIS_REPLY_ARRAY && i < popped->elements;
		     i += 2) {
			char key[PREFIX_MAX + STATE_KEY_MAX + 48];

			fact_key(rs, popped->element[i]->str, key, sizeof(key));
			redisAppendCommand(c, "DEL %s", key);
			ctr->evicted++;
			rows--;
		}
		for (size_t i = 0; popped->type == REDIS_REPLY_ARRAY && i < popped->elements;
		     i += 2) {
			if ((r = reply_of(c)) == NULL) {
				freeReplyObject(popped);
				return false;
			}
			freeReplyObject(r);
		}
		freeReplyObject(popped);
	}
	ctr->rows = (uint64_t)(rows > 0 ? rows : 0);
	return true;
}

static bool rs_write(void *be, const struct state_fact *facts, size_t n, uint64_t now_us,
		     struct state_counters *ctr)
{
	struct redis_state *rs = be;
	size_t sent = 0;

	if (!conn_up(rs, &rs->w))
		return false; /* counted by the caller; the stores keep working from memory */
	for (size_t i = 0; i < n; i++) {
		if (facts[i].expires_us != 0 && facts[i].expires_us <= now_us) {
			ctr->expired++;
			continue;
		}
		if (append_put(rs, &facts[i], now_us))
			sent++;
	}
	for (size_t i = 0; i < sent; i++) {
		redisReply *r = reply_of(rs->w.c);

		if (r == NULL) {
			conn_lost(rs, &rs->w, "storing facts");
			return false;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			note_refusal(rs, r, "a write", &rs->warned_rejected);
		} else if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
			ctr_add(&g_ctr.stale_writes, 1);
		}
		freeReplyObject(r);
	}
	if (now_us > 0) {
		redisReply *r = redisCommand(rs->w.c, "ZADD %s GT %llu newest", rs->meta,
					     (unsigned long long)now_us);

		if (r == NULL) {
			conn_lost(rs, &rs->w, "storing the newest time");
			return false;
		}
		note_refusal(rs, r, "ZADD", &rs->warned_rejected);
		freeReplyObject(r);
	}
	if (!trim(rs, now_us, ctr)) {
		conn_lost(rs, &rs->w, "trimming the index");
		return false;
	}
	return true;
}

/* The newest packet time any sensor of the namespace wrote at; 0 if none. */
static uint64_t rs_newest(void *be)
{
	struct redis_state *rs = be;
	redisReply *r;
	uint64_t v = 0;

	if (!conn_up(rs, &rs->w))
		return 0;
	r = redisCommand(rs->w.c, "ZSCORE %s newest", rs->meta);
	if (r == NULL) {
		conn_lost(rs, &rs->w, "reading the newest time");
		return 0;
	}
	if (r->type == REDIS_REPLY_STRING)
		v = strtoull(r->str, NULL, 10);
	note_refusal(rs, r, "ZSCORE", &rs->warned_rejected);
	freeReplyObject(r);
	return v;
}

static size_t rs_poll(void *be, state_apply_fn fn, void *arg, size_t max)
{
	struct redis_state *rs = be;
	struct owned_fact *list, *last = NULL;
	size_t n = 0;

	pthread_mutex_lock(&rs->lock);
	list = rs->qhead;
	for (struct owned_fact *o = list; o != NULL && n < max; o = o->next) {
		last = o;
		n++;
	}
	if (last != NULL) {
		rs->qhead = last->next;
		if (rs->qhead == NULL)
			rs->qtail = NULL;
		last->next = NULL;
		rs->qlen -= n;
	}
	pthread_mutex_unlock(&rs->lock);
	while (list != NULL) {
		struct owned_fact *next = list->next;

		fn(arg, &list->f);
		owned_free(list);
		list = next;
	}
	return n;
}

static void rs_close(void *be)
{
	struct redis_state *rs = be;

	if (rs == NULL)
		return;
	if (rs->poller_started) {
		pthread_mutex_lock(&rs->lock);
		rs->stop = true;
		pthread_cond_broadcast(&rs->wake);
		pthread_mutex_unlock(&rs->lock);
		pthread_join(rs->poller, NULL);
	}
	while (rs->qhead != NULL) {
		struct owned_fact *next = rs->qhead->next;

		owned_free(rs->qhead);
		rs->qhead = next;
	}
	if (rs->w.c != NULL)
		redisFree(rs->w.c);
	if (rs->p.c != NULL)
		redisFree(rs->p.c);
	pthread_cond_destroy(&rs->wake);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

const struct state_ops state_redis_backend_ops = {
    .name = "redis",
    .open = rs_open,
    .load = rs_load,
    .write = rs_write,
    .poll = rs_poll,
    .close = rs_close,
    .newest = rs_newest,
};
