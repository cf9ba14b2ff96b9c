/*
 * test_state_redis.c - the Redis backend of the state store against a
 * private redis-server (skipped when none is installed), through its
 * state_ops as state.c drives them, two "sensors" on one server:
 * timestamps decide between writers whatever the order, ties end the same
 * on every sensor, a better trusted live fact outlasts later plain ones, replays change nothing, a
 * fact one stores reaches the other's poll within a second naming who stored it, load replays
 * oldest first, expiry, the row cap and the newest time, namespaces, a bad spec, an unreachable
 * server at open, and Redis killed and restarted under a writer that never
 * waits for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "state/state.h"
#include "state/state_redis.h"

#include "redis_server.h"

static struct redis_server srv;
static bool have_server;
static char spec_a[256], spec_b[256];

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN); /* as the sensor does: a dead server is an error, not a signal */
	have_server = redis_server_start(&srv);
	snprintf(spec_a, sizeof(spec_a), "unix://%s?ns=t&sensor=A", srv.sock);
	snprintf(spec_b, sizeof(spec_b), "unix://%s?ns=t&sensor=B", srv.sock);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (have_server)
		redis_server_stop(&srv);
	return 0;
}

static redisContext *admin(void)
{
	if (!have_server)
		skip();
	redisContext *c = redisConnectUnix(srv.sock);

	assert_non_null(c);
	assert_int_equal(c->err, 0);
	return c;
}

static void flushall(void)
{
	redisContext *c = admin();

	freeReplyObject(redisCommand(c, "FLUSHALL"));
	redisFree(c);
}

static long long integer(const char *fmt, const char *arg)
{
	redisContext *c = admin();
	redisReply *r = redisCommand(c, fmt, arg);
	long long v;

	assert_non_null(r);
	v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	freeReplyObject(r);
	redisFree(c);
	return v;
}

/* HGET of a fact's field into buf ("" when absent). */
static const char *field(const char *key, const char *f, char *buf, size_t len)
{
	redisContext *c = admin();
	redisReply *r = redisCommand(c, "HGET mxsentry:{t}:f:%s %s", key, f);

	assert_non_null(r);
	snprintf(buf, len, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	redisFree(c);
	return buf;
}

static void *open_be(const char *spec, uint64_t max_rows)
{
	struct state_config cfg;
	char err[512];
	void *be;

	state_config_defaults(&cfg);
	if (max_rows)
		cfg.max_rows = max_rows;
	be = state_redis_ops->open(spec, &cfg, err, sizeof(err));
	if (be == NULL)
		fail_msg("open %s: %s", spec, err);
	return be;
}

static struct state_fact fact(enum state_kind k, const char *key, const char *value,
			      uint64_t learned, uint64_t expires)
{
	struct state_fact f;

	memset(&f, 0, sizeof(f));
	f.kind = k;
	snprintf(f.key, sizeof(f.key), "%s", key);
	f.value = value;
	f.value_len = strlen(value);
	f.learned_us = learned;
	f.expires_us = expires;
	snprintf(f.source, sizeof(f.source), "DNS MX answer");
	snprintf(f.trust, sizeof(f.trust), "dnssec");
	return f;
}

static bool put(void *be, struct state_fact f, uint64_t now)
{
	struct state_counters c;

	memset(&c, 0, sizeof(c));
	return state_redis_ops->write(be, &f, 1, now, &c);
}

#define T0  1800000000000000ull /* packet time, microseconds */
#define DAY (86400ull * 1000000ull)

static void test_timestamps_decide(void **state)
{
	const uint64_t *stale = (const uint64_t *)state_redis_counters();
	void *a, *b;
	char buf[256];
	uint64_t stale0 = stale[0];

	(void)state;
	flushall();
	a = open_be(spec_a, 0);
	b = open_be(spec_b, 0);
	assert_true(
	    put(a, fact(STATE_MX, "example.test", "{\"v\":\"a\"}", T0 + 100, T0 + DAY), T0));
	/* B learned it earlier: Redis keeps A's. */
	assert_true(put(b, fact(STATE_MX, "example.test", "{\"v\":\"b\"}", T0 + 50, T0 + DAY), T0));
	assert_string_equal(field("mx:example.test", "v", buf, sizeof(buf)), "{\"v\":\"a\"}");
	assert_string_equal(field("mx:example.test", "n", buf, sizeof(buf)), "A");
	assert_int_equal(stale[0] - stale0, 1);
	/* B learned it later: B's wins. */
	assert_true(
	    put(b, fact(STATE_MX, "example.test", "{\"v\":\"b\"}", T0 + 200, T0 + DAY), T0));
	assert_string_equal(field("mx:example.test", "v", buf, sizeof(buf)), "{\"v\":\"b\"}");
	assert_string_equal(field("mx:example.test", "n", buf, sizeof(buf)), "B");

	/* A tie ends the same whichever sensor writes first. */
	assert_true(put(a, fact(STATE_STS, "one.test", "{\"id\":\"x\"}", T0, T0 + DAY), T0));
	assert_true(put(b, fact(STATE_STS, "one.test", "{\"id\":\"y\"}", T0, T0 + DAY), T0));
	assert_true(put(b, fact(STATE_STS, "two.test", "{\"id\":\"y\"}", T0, T0 + DAY), T0));
	assert_true(put(a, fact(STATE_STS, "two.test", "{\"id\":\"x\"}", T0, T0 + DAY), T0));
	assert_string_equal(field("mta-sts:one.test", "v", buf, sizeof(buf)), "{\"id\":\"y\"}");
	assert_string_equal(field("mta-sts:two.test", "v", buf, sizeof(buf)), "{\"id\":\"y\"}");

	/* A replay changes nothing: no feed entry, no new owner. */
	{
		long long feed = integer("XLEN %s", "mxsentry:{t}:feed");

		assert_true(
		    put(a, fact(STATE_STS, "one.test", "{\"id\":\"y\"}", T0, T0 + DAY), T0));
		assert_true(put(
		    b, fact(STATE_MX, "example.test", "{\"v\":\"b\"}", T0 + 200, T0 + DAY), T0));
		assert_int_equal(integer("XLEN %s", "mxsentry:{t}:feed"), feed);
		assert_string_equal(field("mta-sts:one.test", "n", buf, sizeof(buf)), "B");
	}
	state_redis_ops->close(a);
	state_redis_ops->close(b);
}

/* A better trusted fact that has not expired stays whatever came later. */
static void test_trust_decides(void **state)
{
	struct state_fact f;
	void *a, *b;
	char buf[256];

	(void)state;
	flushall();
	a = open_be(spec_a, 0);
	b = open_be(spec_b, 0);
	f = fact(STATE_TLSA, "mx1.example.test:25", "{\"v\":\"validated\"}", T0 + 10, T0 + DAY);
	assert_true(put(a, f, T0 + 10));
	/* A later plain answer (DNSSEC stripped on B's path) does not replace it... */
	f = fact(STATE_TLSA, "mx1.example.test:25", "{\"v\":\"plain\"}", T0 + 20, T0 + DAY);
	snprintf(f.trust, sizeof(f.trust), "unvalidated");
	assert_true(put(b, f, T0 + 20));
	assert_string_equal(field("tlsa:mx1.example.test:25", "v", buf, sizeof(buf)),
			    "{\"v\":\"validated\"}");
	/* ...until the validated one has expired. */
	f.learned_us = T0 + DAY + 1;
	f.expires_us = T0 + 2 * DAY;
	assert_true(put(b, f, T0 + DAY + 1));
	assert_string_equal(field("tlsa:mx1.example.test:25", "t", buf, sizeof(buf)),
			    "unvalidated");
	/* A validated answer replaces a plain one, even learned earlier. */
	f = fact(STATE_TLSA, "mx1.example.test:25", "{\"v\":\"validated\"}", T0 + DAY,
		 T0 + 9 * DAY);
	assert_true(put(a, f, T0 + DAY));
	assert_string_equal(field("tlsa:mx1.example.test:25", "t", buf, sizeof(buf)), "dnssec");
	state_redis_ops->close(a);
	state_redis_ops->close(b);
}

struct seen {
	int n;
	struct state_fact f[16];
	char values[16][64];
};

static bool collect(void *arg, const struct state_fact *f)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->f[s->n] = *f;
		snprintf(s->values[s->n], sizeof(s->values[0]), "%.*s", (int)f->value_len,
			 f->value);
		s->n++;
	}
	return true;
}

static void test_poll_and_load(void **state)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	struct state_counters c;
	struct seen got;
	void *a, *b;
	char err[256];
	int waited = 0;

	(void)state;
	flushall();
	a = open_be(spec_a, 0);
	b = open_be(spec_b, 0);
	assert_true(
	    put(a, fact(STATE_TLSA, "mx1.example.test:25", "{\"n\":1}", T0 + 5, T0 + DAY), T0));
	assert_true(
	    put(b, fact(STATE_TLSA, "mx2.example.test:25", "{\"n\":2}", T0 + 6, T0 + DAY), T0));
	/* B's poll gets A's fact within a second, never its own. */
	memset(&got, 0, sizeof(got));
	while (got.n == 0 && waited++ < 50) {
		state_redis_ops->poll(b, collect, &got, 16);
		nanosleep(&ts, NULL);
	}
	assert_int_equal(got.n, 1);
	assert_int_equal(got.f[0].kind, STATE_TLSA);
	assert_string_equal(got.f[0].key, "mx1.example.test:25");
	assert_string_equal(got.values[0], "{\"n\":1}");
	assert_string_equal(got.f[0].source, "sensor A via redis: DNS MX answer");
	assert_string_equal(got.f[0].trust, "dnssec");
	assert_int_equal(got.f[0].learned_us, T0 + 5);
	assert_int_equal(got.f[0].expires_us, T0 + DAY);
	nanosleep(&ts, NULL);
	memset(&got, 0, sizeof(got));
	state_redis_ops->poll(b, collect, &got, 16);
	assert_int_equal(got.n, 0);

	/* A third sensor loads both, oldest learned first; its own are not renamed. */
	assert_true(put(a, fact(STATE_MX, "early.test", "{}", T0 + 1, T0 + DAY), T0));
	memset(&got, 0, sizeof(got));
	memset(&c, 0, sizeof(c));
	state_redis_ops->close(b);
	b = open_be(spec_b, 0);
	assert_true(state_redis_ops->load(b, collect, &got, &c, err, sizeof(err)));
	assert_int_equal(got.n, 3);
	assert_int_equal(c.loaded, 3);
	assert_string_equal(got.f[0].key, "early.test");
	assert_string_equal(got.f[1].key, "mx1.example.test:25");
	assert_string_equal(got.f[2].key, "mx2.example.test:25");
	assert_string_equal(got.f[2].source, "DNS MX answer");
	state_redis_ops->close(a);
	state_redis_ops->close(b);
}

static void test_expiry_and_rows(void **state)
{
	struct state_counters c;
	struct state_fact f[5];
	char keys[5][32];
	void *a;

	(void)state;
	flushall();
	a = open_be(spec_a, 3);
	/* Already expired at the writer's packet time: not stored. */
	memset(&c, 0, sizeof(c));
	f[0] = fact(STATE_MX, "old.test", "{}", T0, T0 + 10);
	assert_true(state_redis_ops->write(a, f, 1, T0 + 20, &c));
	assert_int_equal(c.expired, 1);
	assert_int_equal(integer("EXISTS %s", "mxsentry:{t}:f:mx:old.test"), 0);
	/* Five facts, three rows: the two expiring first go. */
	for (int i = 0; i < 5; i++) {
		snprintf(keys[i], sizeof(keys[i]), "d%d.test", i);
		f[i] = fact(STATE_MX, keys[i], "{}", T0 + 100, T0 + (uint64_t)(i + 1) * DAY);
	}
	memset(&c, 0, sizeof(c));
	assert_true(state_redis_ops->write(a, f, 5, T0 + 100, &c));
	assert_int_equal(c.evicted, 2);
	assert_int_equal(c.rows, 3);
	assert_int_equal(integer("EXISTS %s", "mxsentry:{t}:f:mx:d0.test"), 0);
	assert_int_equal(integer("EXISTS %s", "mxsentry:{t}:f:mx:d1.test"), 0);
	assert_int_equal(integer("EXISTS %s", "mxsentry:{t}:f:mx:d4.test"), 1);
	/* A Redis TTL in place of expiry: about 5 days for d4. */
	{
		long long ttl = integer("PTTL %s", "mxsentry:{t}:f:mx:d4.test");

		assert_true(ttl > (long long)(5 * 86400 - 60) * 1000 && ttl <= 5LL * 86400 * 1000);
	}
	/* Later packet time: what expired leaves the index. */
	memset(&c, 0, sizeof(c));
	assert_true(state_redis_ops->write(a, f, 0, T0 + 3 * DAY + 5, &c));
	assert_int_equal(c.expired, 1);
	assert_int_equal(c.rows, 2);
	/* The newest packet time written at, never going back. */
	assert_int_equal(state_redis_ops->newest(a), T0 + 3 * DAY + 5);
	assert_true(state_redis_ops->write(a, f, 0, T0 + 200, &c));
	assert_int_equal(state_redis_ops->newest(a), T0 + 3 * DAY + 5);
	state_redis_ops->close(a);
}

static void test_namespaces_and_specs(void **state)
{
	static const char *const bad[] = {
	    "?ns=x",
	    "rediss://127.0.0.1:6379",
	    "redis://127.0.0.1:6379/0?nsx=1",
	    "redis://127.0.0.1:6379/0?ns=a b",
	    "redis://127.0.0.1:6379/0?ns=",
	    "redis://127.0.0.1:6379/0?sensor="
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "redis://127.0.0.1:6379/0?db=x",
	};
	struct state_config cfg;
	struct state_counters c;
	struct seen got;
	char spec[256], err[512];
	void *a, *o;

	(void)state;
	flushall();
	state_config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (state_redis_ops->open(bad[i], &cfg, err, sizeof(err)) != NULL)
			fail_msg("opened '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	a = open_be(spec_a, 0);
	assert_true(put(a, fact(STATE_MX, "example.test", "{}", T0, T0 + DAY), T0));
	snprintf(spec, sizeof(spec), "unix://%s?ns=other&sensor=B&db=0", srv.sock);
	o = open_be(spec, 0);
	memset(&got, 0, sizeof(got));
	memset(&c, 0, sizeof(c));
	assert_true(state_redis_ops->load(o, collect, &got, &c, err, sizeof(err)));
	assert_int_equal(got.n, 0);
	state_redis_ops->close(o);
	state_redis_ops->close(a);

	/* Nobody there: open fails and says why. */
	assert_null(
	    state_redis_ops->open("unix:///nonexistent/redis.sock", &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "does not start without it"));
}

static void test_redis_away(void **state)
{
	struct timespec t0, t1;
	struct state_counters c;
	struct seen got;
	char err[256];
	void *a;
	bool ok = false;

	(void)state;
	flushall();
	a = open_be(spec_a, 0);
	redis_server_kill(&srv);
	/* Away: writes fail at once (the caller counts them), never wait. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 20; i++)
		assert_false(put(a, fact(STATE_MX, "away.test", "{}", T0, T0 + DAY), T0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	/* Back: after the backoff the writer reconnects. */
	assert_true(redis_server_run(&srv));
	for (int i = 0; i < 100 && !ok; i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};

		ok = put(a, fact(STATE_MX, "back.test", "{}", T0, T0 + DAY), T0);
		if (!ok)
			nanosleep(&ts, NULL);
	}
	assert_true(ok);
	memset(&got, 0, sizeof(got));
	memset(&c, 0, sizeof(c));
	assert_true(state_redis_ops->load(a, collect, &got, &c, err, sizeof(err)));
	assert_int_equal(got.n, 1);
	assert_string_equal(got.f[0].key, "back.test");
	state_redis_ops->close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timestamps_decide),	 cmocka_unit_test(test_trust_decides),
	    cmocka_unit_test(test_poll_and_load),	 cmocka_unit_test(test_expiry_and_rows),
	    cmocka_unit_test(test_namespaces_and_specs), cmocka_unit_test(test_redis_away),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
