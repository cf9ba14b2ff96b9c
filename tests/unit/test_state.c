/*
 * test_state.c - the state store: kind names, the SQLite backend (one fact
 * per kind and key, the latest wins, replay oldest first, expiry by packet
 * time and the row cap with their counters, the newest packet time), the
 * writer thread under concurrent puts, and the correlate stage's facts: an
 * expectation store and a server history written, reloaded into a fresh
 * stage, read back the same (certificate keys of the history included);
 * a handler for an out-of-range kind refused, and a name with a byte
 * outside printable ASCII neither written nor restored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>

#include "correlate/correlate.h"
#include "correlate/correlate_state.h"
#include "correlate/resolver_ad.h"
#include "state/state.h"

#define SEC(x) ((uint64_t)(x)*MX_USEC)
#define T0     SEC(1800000000)

static char dir[64];
static char path[128];

static int setup(void **unused)
{
	(void)unused;
	snprintf(dir, sizeof(dir), "/tmp/mxstate.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	return 0;
}

static int teardown(void **unused)
{
	char p[160];

	(void)unused;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

static struct state *open_store(uint64_t max_rows)
{
	struct state_config cfg;
	char err[512] = "";
	struct state *st;

	state_config_defaults(&cfg);
	cfg.flush_ms = 20;
	if (max_rows)
		cfg.max_rows = max_rows;
	st = state_open(path, &cfg, err, sizeof(err));
	if (st == NULL)
		fail_msg("state_open: %s", err);
	return st;
}

static void put(struct state *st, enum state_kind k, const char *key, const char *value,
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
	snprintf(f.source, sizeof(f.source), "test");
	snprintf(f.trust, sizeof(f.trust), "unvalidated");
	state_put(st, &f);
}

struct seen {
	size_t n;
	char line[64][512];
};

static bool collect(void *arg, const struct state_fact *f)
{
	struct seen *s = arg;

	if (s->n < 64)
		snprintf(s->line[s->n++], 512, "%s %s %.*s %llu", state_kind_name(f->kind), f->key,
			 (int)f->value_len, f->value, (unsigned long long)f->learned_us);
	return true;
}

static void test_kind_names(void **unused)
{
	(void)unused;
	for (unsigned k = 1; k < STATE_KIND_END; k++) {
		assert_non_null(state_kind_name((enum state_kind)k));
		assert_int_equal(state_kind_parse(state_kind_name((enum state_kind)k)), k);
	}
	assert_int_equal(state_kind_parse("nonsense"), 0);
	assert_null(state_kind_name(STATE_KIND_END));
}

static void test_latest_wins_oldest_first(void **unused)
{
	struct state *st = open_store(0);
	struct seen s = {0};
	char err[256];

	(void)unused;
	put(st, STATE_MX, "b.test", "{\"v\":1}", T0 + 2, T0 + SEC(60));
	put(st, STATE_MX, "a.test", "{\"v\":2}", T0 + 1, T0 + SEC(60));
	put(st, STATE_MX, "b.test", "{\"v\":3}", T0 + 3, T0 + SEC(60));
	state_sync(st);
	assert_int_equal(state_counters(st)->written, 3);
	assert_int_equal(state_counters(st)->rows, 2);
	state_close(st);

	st = open_store(0);
	assert_int_equal(state_newest_us(st), T0 + 3);
	assert_true(state_load(st, collect, &s, err, sizeof(err)));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.line[0], "mx a.test {\"v\":2} 1800000000000001");
	assert_string_equal(s.line[1], "mx b.test {\"v\":3} 1800000000000003");
	assert_int_equal(state_counters(st)->loaded, 2);
	state_close(st);
}

static void test_expiry_and_cap(void **unused)
{
	struct state *st = open_store(100);
	const struct state_counters *c;
	char key[32];

	(void)unused;
	put(st, STATE_TLSA, "old.test:25", "{}", T0, T0 + SEC(10));
	for (int i = 0; i < 250; i++) {
		snprintf(key, sizeof(key), "d%d.test", i);
		put(st, STATE_MX, key, "{}", T0 + SEC(20) + (uint64_t)i, T0 + SEC(3600));
	}
	state_sync(st);
	c = state_counters(st);
	assert_int_equal(c->expired, 1); /* packet time went past old.test's */
	assert_int_equal(c->rows, 100);
	assert_int_equal(c->evicted, 150);
	assert_int_equal(c->written, 251);
	state_close(st);
}

struct putter {
	struct state *st;
	int id;
};

static void *put_many(void *arg)
{
	struct putter *p = arg;
	char key[32];

	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "t%d-%d.test", p->id, i);
		put(p->st, STATE_ADDRS, key, "{\"addrs\":[]}", T0 + (uint64_t)i, T0 + SEC(60));
	}
	return NULL;
}

static void test_concurrent_puts(void **unused)
{
	struct state_config cfg;
	struct putter p[3];
	pthread_t t[3];
	char err[256];
	struct state *st;

	(void)unused;
	state_config_defaults(&cfg);
	cfg.batch_max = 64;
	cfg.queue_max = 128;
	cfg.block_when_full = true;
	st = state_open(path, &cfg, err, sizeof(err));
	assert_non_null(st);
	for (int i = 0; i < 3; i++) {
		p[i].st = st;
		p[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, put_many, &p[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	state_sync(st);
	assert_int_equal(state_counters(st)->dropped, 0);
	assert_int_equal(state_counters(st)->written, 6000);
	assert_int_equal(state_counters(st)->rows, 6000);
	state_close(st);
}

static struct correlate *stage(void)
{
	struct correlate_config cfg;
	char err[256];
	struct correlate *c;

	correlate_config_defaults(&cfg);
	c = correlate_new(&cfg, err, sizeof(err));
	assert_non_null(c);
	return c;
}

static void test_expectations_round_trip(void **unused)
{
	struct correlate *c = stage();
	struct state *st = open_store(0);
	struct expect_mxset mx;
	struct expect_addrs ad;
	struct expect_tlsa tl;
	struct server_history *h;
	struct mx_addr a;
	const struct expect_mxset *m2;
	const struct expect_addrs *a2;
	const struct expect_tlsa *t2;
	const struct server_history *h2;
	char hosts[4][EXPECT_NAME_MAX], err[256];
	bool live;

	(void)unused;
	correlate_attach_state(c, st);
	memset(&mx, 0, sizeof(mx));
	mx.trust = EXPECT_DNSSEC;
	mx.expires_us = T0 + SEC(300);
	mx.mx[0].pref = 10;
	strcpy(mx.mx[0].host, "MX1.Example.test.");
	mx.n = 1;
	expect_put_mx(correlate_expect(c), "Example.test", &mx, T0);
	memset(&ad, 0, sizeof(ad));
	ad.trust = EXPECT_DNSSEC;
	ad.expires_us = T0 + SEC(300);
	assert_true(mx_addr_parse(&ad.addr[0], "203.0.113.25"));
	ad.n = 1;
	expect_put_addrs(correlate_expect(c), "mx1.example.test", &ad, T0 + 1);
	memset(&tl, 0, sizeof(tl));
	tl.trust = EXPECT_DNSSEC;
	tl.expires_us = T0 + SEC(300);
	tl.rec[0] = (struct tlsa_record){3, 1, 1, 4, {0xde, 0xad, 0xbe, 0xef}};
	tl.n = 1;
	expect_put_tlsa(correlate_expect(c), "mx1.example.test", 25, &tl, T0 + 2);
	h = expect_history(correlate_expect(c), &ad.addr[0], T0 + 3, true);
	h->sessions = 4;
	h->starttls_offers = 4;
	h->starttls_streak = 4;
	h->starttls_last_us = T0 + 3;
	h->max_tls_version = 0x0303;
	expect_history_add_spki(h, (const uint8_t[32]){1}, T0 + 3);
	expect_history_add_spki(h, (const uint8_t[32]){2}, T0 + 3);
	expect_history_add_spki(h, (const uint8_t[32]){1}, T0 + 3); /* known: to the front */
	correlate_flush_state(c);
	state_sync(st);
	correlate_attach_state(c, NULL);
	state_close(st);
	correlate_free(c);

	c = stage();
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	assert_int_equal(state_counters(st)->load_rejected, 0);
	m2 = expect_get_mx(correlate_expect(c), "example.test", T0 + SEC(10));
	assert_non_null(m2);
	assert_int_equal(m2->n, 1);
	assert_int_equal(m2->trust, EXPECT_DNSSEC);
	assert_int_equal(m2->expires_us, T0 + SEC(300));
	assert_string_equal(m2->mx[0].host, "mx1.example.test");
	a2 = expect_get_addrs(correlate_expect(c), "mx1.example.test", T0 + SEC(10));
	assert_non_null(a2);
	assert_int_equal(mx_addr_cmp(&a2->addr[0], &ad.addr[0]), 0);
	assert_int_equal(
	    expect_hosts_of_addr(correlate_expect(c), &ad.addr[0], T0 + SEC(10), hosts, 4), 1);
	assert_string_equal(hosts[0], "mx1.example.test");
	assert_int_equal(expect_claims_of_host(correlate_expect(c), "mx1.example.test", hosts, 4),
			 1);
	t2 = expect_get_tlsa(correlate_expect(c), "mx1.example.test", 25, T0 + SEC(10), &live);
	assert_non_null(t2);
	assert_true(live);
	assert_int_equal(t2->n, 1);
	assert_int_equal(t2->rec[0].len, 4);
	assert_memory_equal(t2->rec[0].data, tl.rec[0].data, 4);
	assert_int_equal(t2->sightings, 1);
	a = ad.addr[0];
	h2 = expect_history(correlate_expect(c), &a, T0 + SEC(10), false);
	assert_non_null(h2);
	assert_int_equal(h2->sessions, 4);
	assert_int_equal(h2->starttls_streak, 4);
	assert_int_equal(h2->max_tls_version, 0x0303);
	assert_int_equal(h2->last_seen_us, T0 + 3);
	assert_int_equal(h2->n_spki, 2);
	assert_int_equal(h2->spki_sha256[0][0], 1);
	assert_int_equal(h2->spki_sha256[1][0], 2);
	/* Loading writes nothing back. */
	state_sync(st);
	assert_int_equal(state_counters(st)->written, 0);
	state_close(st);
	correlate_free(c);
}

static void test_bad_facts_are_counted(void **unused)
{
	struct correlate *c = stage();
	struct state *st = open_store(0);
	char err[256];

	(void)unused;
	put(st, STATE_MX, "broken.test", "{not json", T0, T0 + SEC(60));
	put(st, STATE_TLSA, "no-port.test", "{\"trust\":\"dnssec\",\"records\":[]}", T0,
	    T0 + SEC(60));
	put(st, STATE_DNSKEY, "example.test", "{\"expires_us\":1,\"rrs\":[\"garbage\"]}", T0,
	    T0 + SEC(60));
	state_sync(st);
	state_close(st);
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	assert_int_equal(state_counters(st)->loaded, 3);
	assert_int_equal(state_counters(st)->load_rejected, 3);
	state_close(st);
	correlate_free(c);
}

/* The other kinds of facts, each with what makes one unusable. */
static void test_more_facts(void **unused)
{
	struct correlate *c = stage();
	struct state *st = open_store(0);
	const struct expect_sts *sts;
	const struct resolver_ad_obs *o;
	struct mx_addr r;
	char err[256];
	bool live;

	(void)unused;
	/* no store attached: nothing to poll */
	assert_int_equal(correlate_poll_state(c, 10), 0);
	correlate_flush_state(c);
	put(st, STATE_STS, "sts.test", "{\"trust\":\"dnssec\",\"id\":\"abc\",\"sightings\":2,\"expires_us\":1800000600000000,\"last_seen_us\":1800000000000000}", T0,
	    T0 + SEC(600));
	put(st, STATE_STS, "noid.test", "{\"trust\":\"dnssec\"}", T0, T0 + SEC(600));
	put(st, STATE_STS, "notrust.test", "{\"trust\":\"nonsense\",\"id\":\"x\"}", T0,
	    T0 + SEC(600));
	put(st, STATE_RESOLVER_AD, "zone.test 192.0.2.53",
	    "{\"first_us\":1800000000000000,\"last_us\":1800000001000000,\"answers\":3}", T0,
	    T0 + SEC(600));
	put(st, STATE_RESOLVER_AD, "zone.test not-an-address", "{\"last_us\":1}", T0,
	    T0 + SEC(600));
	put(st, STATE_RESOLVER_AD, "lonely.test", "{\"last_us\":1}", T0, T0 + SEC(600));
	put(st, STATE_RESOLVER_AD, "never.test 192.0.2.53", "{\"last_us\":0}", T0, T0 + SEC(600));
	put(st, STATE_DNSKEY, "vouched.test", "{\"expires_us\":1,\"vouched_by\":\"nope\",\"rrs\":[]}",
	    T0, T0 + SEC(600));
	state_sync(st);
	state_close(st);
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	assert_int_equal(state_counters(st)->loaded, 8);
	assert_int_equal(state_counters(st)->load_rejected, 6);
	sts = expect_get_sts(correlate_expect(c), "sts.test", T0 + SEC(1), &live);
	assert_non_null(sts);
	assert_string_equal(sts->id, "abc");
	assert_int_equal(sts->trust, EXPECT_DNSSEC);
	assert_null(expect_get_sts(correlate_expect(c), "noid.test", T0 + SEC(1), &live));
	assert_true(mx_addr_parse(&r, "192.0.2.53"));
	o = resolver_ad_find(correlate_resolver_ad(c), &r, "zone.test", false, T0 + SEC(2));
	assert_non_null(o);
	assert_int_equal(o->ad_answers, 3);
	assert_int_equal(o->first_ad_us, T0);
	state_close(st);
	correlate_free(c);
}

static bool count_fact(void *arg, const struct state_fact *f)
{
	unsigned *n = arg;

	(*n)++;
	return strcmp(f->key, "198.51.100.7 192.0.2.25") == 0;
}

/* DNSSEC facts go to the validator, TLS failures to the handler the mail sessions register. */
static void test_dnssec_and_handled_facts(void **unused)
{
	struct correlate *c = stage();
	struct state *st = open_store(0);
	unsigned handled = 0;
	char err[256];
	static const char key[] =
	    "sec.test. 3600 IN DNSKEY 257 3 13 "
	    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==";
	char value[512];

	(void)unused;
	correlate_state_handler(c, STATE_TLS_FAILURE, count_fact, &handled);
	/* kinds out of range are refused, not registered */
	correlate_state_handler(c, STATE_KIND_END, count_fact, &handled);
	correlate_state_handler(c, (enum state_kind)0, count_fact, &handled);
	put(st, STATE_TLS_FAILURE, "198.51.100.7 192.0.2.25", "{\"any\":1}", T0, T0 + SEC(600));
	put(st, STATE_TLS_FAILURE, "198.51.100.7 192.0.2.26", "{\"any\":1}", T0, T0 + SEC(600));
	put(st, STATE_INSECURE, "plain.test", "{\"expires_us\":1800000600000000}", T0,
	    T0 + SEC(600));
	snprintf(value, sizeof(value), "{\"expires_us\":1800000600000000,\"rrs\":[\"%s\"]}", key);
	put(st, STATE_DNSKEY, "sec.test", value, T0, T0 + SEC(600));
	put(st, STATE_DS, "sec.test", "{\"expires_us\":1800000600000000,\"rrs\":[\"garbage\"]}", T0,
	    T0 + SEC(600));
	put(st, STATE_DS, "num.test", "{\"expires_us\":1800000600000000,\"rrs\":[7]}", T0,
	    T0 + SEC(600));
	state_sync(st);
	state_close(st);
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	assert_int_equal(handled, 2);
	assert_int_equal(state_counters(st)->loaded, 6);
	/* the second TLS failure (its handler said no) and the DSes of garbage and a number */
	assert_int_equal(state_counters(st)->load_rejected, 3);
	state_close(st);
	correlate_free(c);
}

/* A name with a byte outside printable ASCII is never written, so never restored. */
static void test_non_ascii_name_not_written(void **unused)
{
	struct correlate *c = stage();
	struct state *st = open_store(0);
	struct expect_mxset mx;
	const struct expect_mxset *m2;
	char err[256];

	(void)unused;
	correlate_attach_state(c, st);
	memset(&mx, 0, sizeof(mx));
	mx.trust = EXPECT_DNSSEC;
	mx.expires_us = T0 + SEC(300);
	mx.mx[0].pref = 10;
	strcpy(mx.mx[0].host, "mx\x7f.example.test");
	mx.n = 1;
	expect_put_mx(correlate_expect(c), "del.test", &mx, T0);
	strcpy(mx.mx[0].host, "mx\xc3\xa9.example.test");
	expect_put_mx(correlate_expect(c), "utf8.test", &mx, T0);
	strcpy(mx.mx[0].host, "mx1.example.test");
	expect_put_mx(correlate_expect(c), "ascii.test", &mx, T0);
	correlate_flush_state(c);
	state_sync(st);
	correlate_attach_state(c, NULL);
	state_close(st);
	correlate_free(c);

	c = stage();
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	m2 = expect_get_mx(correlate_expect(c), "ascii.test", T0 + SEC(10));
	assert_non_null(m2);
	assert_string_equal(m2->mx[0].host, "mx1.example.test");
	assert_null(expect_get_mx(correlate_expect(c), "del.test", T0 + SEC(10)));
	assert_null(expect_get_mx(correlate_expect(c), "utf8.test", T0 + SEC(10)));
	state_close(st);
	correlate_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test_setup_teardown(test_latest_wins_oldest_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_and_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_puts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expectations_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_facts_are_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_more_facts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dnssec_and_handled_facts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_non_ascii_name_not_written, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
