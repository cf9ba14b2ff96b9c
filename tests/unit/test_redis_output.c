/*
 * test_redis_output.c - the Redis output's pieces that need no server:
 * server strings (TCP, IPv6, unix socket, credentials with %XX escapes,
 * database) and every malformed form, whose message never shows a
 * password; the redis output section of the
 * configuration with its defaults and every key; a connection to a port
 * nobody listens on reported as unreachable, not refused; and, when
 * redis-server is installed, four threads pushing at once into one output
 * against a private server on a unix socket (run under ThreadSanitizer
 * too). The sensor's use of the output is tested by tests/redis/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/config.h"
#include "util/redis_conn.h"
#include "output/redis_out.h"

#include "redis_server.h"

static void test_tcp_urls(void **state)
{
	struct redis_target t;
	char err[256];
	char d[512];

	(void)state;
	assert_true(redis_target_parse("redis://127.0.0.1", &t, err, sizeof(err)));
	assert_string_equal(t.host, "127.0.0.1");
	assert_int_equal(t.port, 6379);
	assert_int_equal(t.db, 0);
	assert_string_equal(t.user, "");
	assert_string_equal(t.password, "");
	assert_string_equal(t.unix_path, "");

	assert_true(redis_target_parse("redis://sensor:p%40ss%3Aw@redis.test:6380/7", &t, err,
				       sizeof(err)));
	assert_string_equal(t.user, "sensor");
	assert_string_equal(t.password, "p@ss:w");
	assert_string_equal(t.host, "redis.test");
	assert_int_equal(t.port, 6380);
	assert_int_equal(t.db, 7);
	redis_target_describe(&t, d, sizeof(d));
	assert_string_equal(d, "redis.test:6380/7");

	assert_true(
	    redis_target_parse("redis://:only-password@[2001:db8::1]:7000/", &t, err, sizeof(err)));
	assert_string_equal(t.user, "");
	assert_string_equal(t.password, "only-password");
	assert_string_equal(t.host, "2001:db8::1");
	assert_int_equal(t.port, 7000);
	redis_target_describe(&t, d, sizeof(d));
	assert_string_equal(d, "[2001:db8::1]:7000/0");
}

static void test_urls_shown(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(redis_url_shown("redis://u:pw@h:1/2?ns=x", buf, sizeof(buf)),
			    "redis://***@h:1/2?ns=x");
	assert_string_equal(redis_url_shown("redis://h:1/2", buf, sizeof(buf)), "redis://h:1/2");
	assert_string_equal(redis_url_shown("redis://h/0?sensor=a@b", buf, sizeof(buf)),
			    "redis://h/0?sensor=a@b");
	assert_string_equal(redis_url_shown("/var/lib/state.db", buf, sizeof(buf)),
			    "/var/lib/state.db");
}

static void test_unix_paths(void **state)
{
	struct redis_target t;
	char err[256];

	(void)state;
	assert_true(redis_target_parse("/run/redis/redis.sock", &t, err, sizeof(err)));
	assert_string_equal(t.unix_path, "/run/redis/redis.sock");
	assert_string_equal(t.host, "");
	assert_true(redis_target_parse("unix:///tmp/r.sock?db=3", &t, err, sizeof(err)));
	assert_string_equal(t.unix_path, "/tmp/r.sock");
	assert_int_equal(t.db, 3);
}

static void test_bad_servers(void **state)
{
	static const char *const bad[] = {
	    "",
	    "localhost:6379",
	    "http://127.0.0.1",
	    "redis://",
	    "redis://host:0",
	    "redis://host:65536",
	    "redis://host:port",
	    "redis://host/db",
	    "redis://[2001:db8::1",
	    "redis://[2001:db8::1]x",
	    "redis://user:bad%zz@host",
	    "redis://user:trunc%4@host",
	    "unix://relative.sock",
	    "unix:///tmp/r.sock?database=1",
	    "redis://sensor:pw-secret@host:port",
	    "redis://:pw-secret@[2001:db8::1/0",
	    "http://sensor:pw-secret@127.0.0.1",
	    "rediss://sensor:pw-secret@redis.test:6380",
	};
	struct redis_target t;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (redis_target_parse(bad[i], &t, err, sizeof(err)))
			fail_msg("accepted '%s'", bad[i]);
		assert_true(err[0] != '\0');
		if (strstr(err, "secret") != NULL)
			fail_msg("the message shows the password: %s", err);
	}
	/* TLS: refused as such, not as a malformed URL. */
	assert_false(redis_target_parse("rediss://127.0.0.1:6380", &t, err, sizeof(err)));
	assert_non_null(strstr(err, "rediss:// (TLS) is not supported"));
	assert_null(strstr(err, "expected redis://"));
}

static void test_config_defaults_and_keys(void **state)
{
	static const char text[] = "outputs:\n"
				   "  - {type: redis, server: \"redis://127.0.0.1\"}\n"
				   "  - type: redis\n"
				   "    server: /run/redis.sock\n"
				   "    mode: stream\n"
				   "    key: site1:eve\n"
				   "    username: sensor\n"
				   "    password: pw\n"
				   "    memcap: 1mb\n"
				   "    stream-maxlen: 0\n"
				   "    batch: 32\n"
				   "    flush-timeout: 0\n"
				   "    timeout-ms: 500\n"
				   "    event-types: [alert, stats]\n";
	struct mx_config cfg;
	struct mx_errors errs;
	const struct mx_output_redis *r;

	(void)state;
	config_defaults(&cfg);
	mx_errors_init(&errs);
	assert_true(config_load_buffer(&cfg, "redis.yaml", text, strlen(text), &errs));
	assert_int_equal(cfg.n_outputs, 2);
	assert_int_equal(cfg.outputs[0].type, MX_OUTPUT_REDIS);
	assert_string_equal(config_output_type_name(cfg.outputs[0].type), "redis");
	r = &cfg.outputs[0].redis;
	assert_string_equal(r->server, "redis://127.0.0.1");
	assert_int_equal(r->mode, MX_REDIS_LIST);
	assert_string_equal(r->key, "mxsentry");
	assert_int_equal(r->memcap, 64ull << 20);
	assert_int_equal(r->stream_maxlen, 100000);
	assert_int_equal(r->batch, 256);
	assert_int_equal(r->flush_timeout_ms, 5000);
	assert_int_equal(r->timeout_ms, 2000);
	assert_int_equal(cfg.outputs[0].event_types, MX_EVT_ALL);
	r = &cfg.outputs[1].redis;
	assert_int_equal(r->mode, MX_REDIS_STREAM);
	assert_string_equal(r->key, "site1:eve");
	assert_string_equal(r->username, "sensor");
	assert_string_equal(r->password, "pw");
	assert_int_equal(r->memcap, 1ull << 20);
	assert_int_equal(r->stream_maxlen, 0);
	assert_int_equal(r->batch, 32);
	assert_int_equal(r->flush_timeout_ms, 0);
	assert_int_equal(r->timeout_ms, 500);
	assert_int_equal(cfg.outputs[1].event_types, MX_EVT_ALERT | MX_EVT_STATS);
	config_free(&cfg);
}

/* A server the output could never use is a configuration error (-T says it). */
static void test_config_bad_server(void **state)
{
	static const char *const text[] = {
	    "outputs:\n  - {type: redis, server: \"rediss://sensor:pw-secret@redis.test\"}\n",
	    "outputs:\n  - {type: redis, server: \"redis://redis.test:port\"}\n",
	};
	static const char *const said[] = {"rediss:// (TLS) is not supported", "bad port"};
	struct mx_config cfg;
	struct mx_errors errs;

	(void)state;
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		config_defaults(&cfg);
		mx_errors_init(&errs);
		assert_false(
		    config_load_buffer(&cfg, "redis.yaml", text[i], strlen(text[i]), &errs));
		assert_int_equal(errs.count, 1);
		if (strstr(errs.msg[0], said[i]) == NULL || strstr(errs.msg[0], "secret") != NULL)
			fail_msg("config error: %s", errs.msg[0]);
		config_free(&cfg);
	}
}

/* A port just bound and closed again: nobody listens there. */
static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_unreachable(void **state)
{
	struct redis_out_config c;
	enum redis_open_result res;
	enum redis_conn_status st;
	char err[512];

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.target.host, sizeof(c.target.host), "127.0.0.1");
	c.target.port = closed_port();
	c.timeout_ms = 500;
	c.memcap = 1 << 20;
	c.batch = 8;
	assert_null(redis_conn_open(&c.target, 500, &st, err, sizeof(err)));
	assert_int_equal(st, REDIS_CONN_UNREACHABLE);
	assert_non_null(strstr(err, "cannot connect"));
	c.must_connect = true;
	assert_null(redis_out_new(&c, &res, err, sizeof(err)));
	assert_int_equal(res, REDIS_OPEN_REFUSED);
	assert_non_null(strstr(err, "needs the server at start"));
	assert_int_equal(redis_out_open_count(), 0);
}

/* Live: the output starts without its server, queues, and at the end
   counts what it never could send as dropped. */
static void test_unreachable_live_counts(void **state)
{
	struct redis_out_config c;
	enum redis_open_result res;
	const struct redis_counters *k = redis_out_counters();
	uint64_t q0 = k->queued, d0 = k->dropped, u0 = k->unsent_at_exit;
	struct redis_out *r;
	char err[512];

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.target.host, sizeof(c.target.host), "127.0.0.1");
	c.target.port = closed_port();
	c.timeout_ms = 200;
	c.memcap = 1 << 20;
	c.batch = 8;
	c.flush_timeout_ms = 100;
	r = redis_out_new(&c, &res, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(res, REDIS_OPEN_OK);
	assert_int_equal(redis_out_open_count(), 1);
	for (int i = 0; i < 10; i++)
		redis_out_push(r, "{\"event_type\":\"alert\"}", 22);
	redis_out_free(r);
	assert_int_equal(k->queued - q0, 10);
	assert_int_equal(k->dropped - d0, 10);
	assert_int_equal(k->unsent_at_exit - u0, 10);
	assert_int_equal(k->pending, 0);
	assert_int_equal(redis_out_open_count(), 0);
}

#define PUSHERS		 4
#define LINES_PER_PUSHER 2000

static void *pusher(void *arg)
{
	char line[64];

	for (int i = 0; i < LINES_PER_PUSHER; i++) {
		int n = snprintf(line, sizeof(line), "{\"n\":%d}", i);

		redis_out_push(arg, line, (size_t)n);
	}
	return NULL;
}

static void test_threads_against_server(void **state)
{
	struct redis_server srv;
	struct redis_out_config c;
	enum redis_open_result res;
	const struct redis_counters *k = redis_out_counters();
	uint64_t q0 = k->queued, s0 = k->sent;
	pthread_t th[PUSHERS];
	struct redis_out *r;
	redisContext *rc;
	redisReply *rep;
	enum redis_conn_status st;
	char err[512];

	(void)state;
	if (!redis_server_start(&srv))
		skip();
	memset(&c, 0, sizeof(c));
	snprintf(c.target.unix_path, sizeof(c.target.unix_path), "%s", srv.sock);
	c.mode = REDIS_MODE_LIST;
	snprintf(c.key, sizeof(c.key), "mx-threads");
	c.timeout_ms = 2000;
	c.memcap = 64 << 20;
	c.batch = 64;
	c.flush_timeout_ms = 10000;
	c.must_connect = true;
	r = redis_out_new(&c, &res, err, sizeof(err));
	assert_non_null(r);
	for (int i = 0; i < PUSHERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, pusher, r), 0);
	for (int i = 0; i < PUSHERS; i++)
		pthread_join(th[i], NULL);
	redis_out_drain(r);
	redis_out_free(r);
	assert_int_equal(k->queued - q0, PUSHERS * LINES_PER_PUSHER);
	assert_int_equal(k->sent - s0, PUSHERS * LINES_PER_PUSHER);
	rc = redis_conn_open(&c.target, 2000, &st, err, sizeof(err));
	assert_non_null(rc);
	rep = redisCommand(rc, "LLEN mx-threads");
	assert_non_null(rep);
	assert_int_equal(rep->integer, PUSHERS * LINES_PER_PUSHER);
	freeReplyObject(rep);
	redisFree(rc);
	redis_server_stop(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_urls),
	    cmocka_unit_test(test_unix_paths),
	    cmocka_unit_test(test_urls_shown),
	    cmocka_unit_test(test_bad_servers),
	    cmocka_unit_test(test_config_defaults_and_keys),
	    cmocka_unit_test(test_config_bad_server),
	    cmocka_unit_test(test_unreachable),
	    cmocka_unit_test(test_unreachable_live_counts),
	    cmocka_unit_test(test_threads_against_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
