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
	put(st, STATE_STS, "sts.test",
	    "{\"trust\":\"dnssec\",\"id\":\"abc\",\"sightings\":2,\"expires_us\":1800000600000000,"
	    "\"last_seen_us\":1800000000000000}",
	    T0, T0 + SEC(600));
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
	put(st, STATE_DNSKEY, "vouched.test",
	    "{\"expires_us\":1,\"vouched_by\":\"nope\",\"rrs\":[]}", T0, T0 + SEC(600));
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
	static const char key[] = "sec.test. 3600 IN DNSKEY 257 3 13 "
				  "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
				  "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==";
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

/* Like put, with the source a fact travels with (another sensor's name). */
static void put_from(struct state *st, enum state_kind k, const char *key, const char *value,
		     const char *source)
{
	struct state_fact f;

	memset(&f, 0, sizeof(f));
	f.kind = k;
	snprintf(f.key, sizeof(f.key), "%s", key);
	f.value = value;
	f.value_len = strlen(value);
	f.learned_us = T0;
	f.expires_us = T0 + SEC(600);
	snprintf(f.source, sizeof(f.source), "%s", source);
	snprintf(f.trust, sizeof(f.trust), "unvalidated");
	state_put(st, &f);
}

/* The stored value of the fact of kind name and key, or NULL. */
static const char *stored(const struct seen *s, const char *kind, const char *key)
{
	char head[400];
	size_t n = (size_t)snprintf(head, sizeof(head), "%s %s ", kind, key);

	for (size_t i = 0; i < s->n; i++)
		if (strncmp(s->line[i], head, n) == 0)
			return s->line[i] + n;
	return NULL;
}

/*
 * What the store writes for each kind, as `mxsentry state show` and
 * another sensor read it: every field, list separators, the resolver of a
 * resolver-ad expectation, hex of TLSA data and certificate keys, a quote
 * and a backslash in a name escaped, and the key of each kind.
 */
static void test_values_as_stored(void **unused)
{
	struct correlate *c = stage();
	struct state *st = open_store(0);
	struct expect_mxset mx;
	struct expect_addrs ad;
	struct expect_tlsa tl;
	struct expect_sts sts;
	struct server_history *h;
	struct seen *s = calloc(1, sizeof(*s));
	char err[256];

	(void)unused;
	assert_non_null(s);
	correlate_attach_state(c, st);
	memset(&mx, 0, sizeof(mx));
	mx.trust = EXPECT_RESOLVER_AD;
	assert_true(mx_addr_parse(&mx.resolver, "192.0.2.53"));
	mx.expires_us = T0 + SEC(300);
	mx.mx[0].pref = 10;
	strcpy(mx.mx[0].host, "mx1.example.test");
	mx.mx[1].pref = 20;
	strcpy(mx.mx[1].host, "we\"ird\\.example.test");
	mx.n = 2;
	expect_put_mx(correlate_expect(c), "example.test", &mx, T0);
	memset(&ad, 0, sizeof(ad));
	ad.trust = EXPECT_UNVALIDATED;
	ad.expires_us = T0 + SEC(300);
	assert_true(mx_addr_parse(&ad.addr[0], "203.0.113.25"));
	assert_true(mx_addr_parse(&ad.addr[1], "2001:db8::25"));
	ad.n = 2;
	expect_put_addrs(correlate_expect(c), "mx1.example.test", &ad, T0 + 1);
	memset(&tl, 0, sizeof(tl));
	tl.trust = EXPECT_DNSSEC;
	tl.expires_us = T0 + SEC(300);
	tl.rec[0] = (struct tlsa_record){3, 1, 1, 2, {0xde, 0xad}};
	tl.rec[1] = (struct tlsa_record){2, 0, 2, 1, {0x0f}};
	tl.n = 2;
	expect_put_tlsa(correlate_expect(c), "mx1.example.test", 25, &tl, T0 + 2);
	memset(&sts, 0, sizeof(sts));
	sts.trust = EXPECT_CONFIGURED;
	sts.expires_us = T0 + SEC(300);
	strcpy(sts.id, "20260101");
	expect_put_sts(correlate_expect(c), "example.test", &sts, T0 + 3);
	h = expect_history(correlate_expect(c), &ad.addr[0], T0 + 4, true);
	h->sessions = 5;
	h->starttls_offers = 4;
	h->starttls_streak = 3;
	h->starttls_last_us = 7;
	h->max_tls_version = 0x0304;
	h->version_sightings = 2;
	h->version_last_us = 8;
	expect_history_add_spki(h, (const uint8_t[32]){0xab}, T0 + 4);
	expect_history_add_spki(h, (const uint8_t[32]){0xcd, [31] = 0x01}, T0 + 4);
	correlate_flush_state(c);
	state_sync(st);
	correlate_attach_state(c, NULL);
	assert_true(state_load(st, collect, s, err, sizeof(err)));
	assert_string_equal(stored(s, "mx", "example.test"),
			    "{\"trust\":\"resolver-ad\",\"resolver\":\"192.0.2.53\","
			    "\"expires_us\":1800000300000000,\"mx\":[[10,\"mx1.example.test\"],"
			    "[20,\"we\\\"ird\\\\.example.test\"]]} 1800000000000000");
	assert_string_equal(stored(s, "addrs", "mx1.example.test"),
			    "{\"trust\":\"unvalidated\",\"expires_us\":1800000300000000,"
			    "\"addrs\":[\"203.0.113.25\",\"2001:db8::25\"]} 1800000000000001");
	assert_string_equal(stored(s, "tlsa", "mx1.example.test:25"),
			    "{\"trust\":\"dnssec\",\"expires_us\":1800000300000000,"
			    "\"last_seen_us\":1800000000000002,\"sightings\":1,"
			    "\"records\":[[3,1,1,\"dead\"],[2,0,2,\"0f\"]]} 1800000000000002");
	assert_string_equal(stored(s, "mta-sts", "example.test"),
			    "{\"trust\":\"policy-file\",\"expires_us\":1800000300000000,"
			    "\"last_seen_us\":1800000000000003,\"sightings\":1,"
			    "\"id\":\"20260101\"} 1800000000000003");
	assert_string_equal(
	    stored(s, "history", "203.0.113.25"),
	    "{\"sessions\":5,\"starttls_offers\":4,\"starttls_streak\":3,\"starttls_last_us\":7,"
	    "\"max_tls_version\":772,\"version_sightings\":2,\"version_last_us\":8,"
	    "\"last_seen_us\":1800000000000004,\"spki_last_us\":1800000000000004,\"spki_sha256\":["
	    "\"cd00000000000000000000000000000000000000000000000000000000000001\","
	    "\"ab00000000000000000000000000000000000000000000000000000000000000\"]}"
	    " 1800000000000004");
	assert_string_equal(stored(s, "hosts-of-addr", "2001:db8::25"),
			    "{\"names\":[\"mx1.example.test\"]} 1800000000000001");
	assert_string_equal(stored(s, "mx-claims", "we\"ird\\.example.test"),
			    "{\"names\":[\"example.test\"]} 1800000000000000");
	state_close(st);
	free(s);
	correlate_free(c);

	/* and read back the same */
	c = stage();
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	assert_int_equal(state_counters(st)->load_rejected, 0);
	{
		const struct expect_mxset *m =
		    expect_get_mx(correlate_expect(c), "example.test", T0);
		const struct expect_tlsa *t;
		bool live;

		assert_non_null(m);
		assert_int_equal(m->trust, EXPECT_RESOLVER_AD);
		assert_int_equal(mx_addr_cmp(&m->resolver, &mx.resolver), 0);
		assert_int_equal(m->n, 2);
		assert_int_equal(m->mx[1].pref, 20);
		assert_string_equal(m->mx[1].host, "we\"ird\\.example.test");
		t = expect_get_tlsa(correlate_expect(c), "mx1.example.test", 25, T0 + 10, &live);
		assert_non_null(t);
		assert_int_equal(t->n, 2);
		assert_int_equal(t->rec[1].usage, 2);
		assert_int_equal(t->rec[1].selector, 0);
		assert_int_equal(t->rec[1].mtype, 2);
		assert_int_equal(t->rec[1].len, 1);
		assert_int_equal(t->rec[1].data[0], 0x0f);
	}
	state_close(st);
	correlate_free(c);
}

struct fact_case {
	enum state_kind kind;
	const char *key, *value;
	bool usable;
};

#define HEX64                                                                                      \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"                         \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SPKI "ab00000000000000000000000000000000000000000000000000000000000000"

/* Stored facts another sensor or an older sensor may have written: each used or refused whole. */
static const struct fact_case fact_cases[] = {
    {STATE_MX, "ad.test",
     "{\"trust\":\"resolver-ad\",\"resolver\":\"192.0.2.53\",\"expires_us\":1800000600000000,"
     "\"mx\":[[10,\"mx.ad.test\"]]}",
     true},
    {STATE_MX, "noresolver.test",
     "{\"trust\":\"resolver-ad\",\"expires_us\":1800000600000000,\"mx\":[[10,\"mx.ad.test\"]]}",
     false},
    {STATE_MX, "badresolver.test",
     "{\"trust\":\"resolver-ad\",\"resolver\":\"nope\",\"expires_us\":1800000600000000,\"mx\":[]}",
     false},
    {STATE_MX, "conf.test", "{\"trust\":\"policy-file\",\"expires_us\":1800000600000000,\"mx\":[]}",
     true},
    {STATE_MX, "hist.test", "{\"trust\":\"history\",\"expires_us\":1800000600000000,\"mx\":[]}",
     true},
    {STATE_MX, "unknown.test", "{\"trust\":\"unknown\",\"expires_us\":1800000600000000,\"mx\":[]}",
     false},
    {STATE_MX, "notrust.test", "{\"expires_us\":1800000600000000,\"mx\":[]}", false},
    {STATE_MX, "noarray.test", "{\"trust\":\"dnssec\",\"mx\":{}}", false},
    {STATE_MX, "numhost.test", "{\"trust\":\"dnssec\",\"mx\":[[10,5]]}", false},
    {STATE_MX, "many.test",
     "{\"trust\":\"dnssec\",\"mx\":[[1,\"a\"],[2,\"a\"],[3,\"a\"],[4,\"a\"],[5,\"a\"],[6,\"a\"],[7,"
     "\"a\"],[8,\"a\"],[9,\"a\"],[10,\"a\"],[11,\"a\"],[12,\"a\"],[13,\"a\"],[14,\"a\"],[15,\"a\"],"
     "[16,\"a\"],[17,\"a\"]]}",
     false},
    {STATE_MX, "sixteen.test",
     "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"mx\":[[1,\"a\"],[2,\"a\"],[3,\"a\"],["
     "4,\"a\"],[5,\"a\"],[6,\"a\"],[7,\"a\"],[8,\"a\"],[9,\"a\"],[10,\"a\"],[11,\"a\"],[12,\"a\"],["
     "13,\"a\"],[14,\"a\"],[15,\"a\"],[16,\"a\"]]}",
     true},
    {STATE_ADDRS, "two.test",
     "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"addrs\":[\"192.0.2.1\",\"2001:db8::"
     "1\"]}",
     true},
    {STATE_ADDRS, "noaddrs.test", "{\"trust\":\"dnssec\"}", false},
    {STATE_ADDRS, "notrust-a.test", "{\"addrs\":[]}", false},
    {STATE_ADDRS, "numaddr.test", "{\"trust\":\"dnssec\",\"addrs\":[1]}", false},
    {STATE_ADDRS, "badaddr.test", "{\"trust\":\"dnssec\",\"addrs\":[\"192.0.2.300\"]}", false},
    {STATE_ADDRS, "manyaddrs.test",
     "{\"trust\":\"dnssec\",\"addrs\":[\"192.0.2.1\",\"192.0.2.2\",\"192.0.2.3\",\"192.0.2.4\","
     "\"192.0.2.5\",\"192.0.2.6\",\"192.0.2.7\",\"192.0.2.8\",\"192.0.2.9\",\"192.0.2.10\",\"192.0."
     "2.11\",\"192.0.2.12\",\"192.0.2.13\",\"192.0.2.14\",\"192.0.2.15\",\"192.0.2.16\",\"192.0.2."
     "17\"]}",
     false},
    {STATE_TLSA, "full.test:25",
     "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"last_seen_us\":1800000000000000,"
     "\"records\":[[3,1,1,\"" HEX64 "\"]]}",
     true},
    {STATE_TLSA, "long.test:25", "{\"trust\":\"dnssec\",\"records\":[[3,1,1,\"" HEX64 "00\"]]}",
     false},
    {STATE_TLSA, "odd.test:25", "{\"trust\":\"dnssec\",\"records\":[[3,1,1,\"abc\"]]}", false},
    {STATE_TLSA, "nothex.test:25", "{\"trust\":\"dnssec\",\"records\":[[3,1,1,\"zz\"]]}", false},
    {STATE_TLSA, "numdata.test:25", "{\"trust\":\"dnssec\",\"records\":[[3,1,1,7]]}", false},
    {STATE_TLSA, "norecords.test:25", "{\"trust\":\"dnssec\"}", false},
    {STATE_TLSA, "notrust-t.test:25", "{\"records\":[]}", false},
    {STATE_TLSA, "nine.test:25",
     "{\"trust\":\"dnssec\",\"records\":[[3,1,1,\"\"],[3,1,1,\"\"],[3,1,1,\"\"],[3,1,1,\"\"],[3,1,"
     "1,\"\"],[3,1,1,\"\"],[3,1,1,\"\"],[3,1,1,\"\"],[3,1,1,\"\"]]}",
     false},
    {STATE_TLSA, "eight.test:25",
     "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"last_seen_us\":1800000000000000,"
     "\"records\":[[3,1,1,\"01\"],[3,1,1,\"02\"],[3,1,1,\"03\"],[3,1,1,\"04\"],[3,1,1,\"05\"],[3,1,"
     "1,\"06\"],[3,1,1,\"07\"],[3,1,1,\"08\"]]}",
     true},
    {STATE_HISTORY, "192.0.2.25",
     "{\"sessions\":3,\"last_seen_us\":1800000000000000,\"spki_sha256\":[\"" SPKI "\",\"" SPKI
     "\"]}",
     true},
    {STATE_HISTORY, "192.0.2.26",
     "{\"sessions\":3,\"spki_sha256\":[\"" SPKI "\",\"" SPKI "\",\"" SPKI "\",\"" SPKI "\",\"" SPKI
     "\"]}",
     false},
    {STATE_HISTORY, "192.0.2.27", "{\"sessions\":3,\"spki_sha256\":[7]}", false},
    {STATE_HISTORY, "192.0.2.28", "{\"sessions\":3,\"spki_sha256\":[\"abab\"]}", false},
    {STATE_HISTORY, "192.0.2.29",
     "{\"sessions\":3,\"spki_sha256\":["
     "\"zz00000000000000000000000000000000000000000000000000000000000000\"]}",
     false},
    {STATE_HISTORY, "not-an-address", "{\"sessions\":3}", false},
    {STATE_HOSTS_OF_ADDR, "192.0.2.1", "{\"names\":[\"two.test\"]}", true},
    {STATE_HOSTS_OF_ADDR, "nowhere", "{\"names\":[\"two.test\"]}", false},
    {STATE_HOSTS_OF_ADDR, "192.0.2.2", "{\"names\":\"two.test\"}", false},
    {STATE_HOSTS_OF_ADDR, "192.0.2.3", "{\"names\":[3]}", false},
    {STATE_HOSTS_OF_ADDR, "192.0.2.4",
     "{\"names\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}", false},
    {STATE_MX_CLAIMS, "mx.ad.test", "{\"names\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]}",
     true},
    {STATE_MX_CLAIMS, "nonames.test", "{}", false},
    {STATE_DNSKEY, "norrs.test", "{\"expires_us\":1800000600000000}", false},
    {STATE_DNSKEY, "v.test",
     "{\"expires_us\":1800000600000000,\"vouched_by\":\"198.51.100.53\",\"rrs\":[\"v.test. 3600 IN "
     "DNSKEY 257 3 13 "
     "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\"]}",
     false},
    {STATE_DNSKEY, "w.test",
     "{\"expires_us\":1800000600000000,\"vouched_by\":\"192.0.2.53\",\"rrs\":[\"w.test. 3600 IN "
     "DNSKEY 257 3 13 "
     "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\"]}",
     true},
    {STATE_DNSKEY, "x.test",
     "{\"expires_us\":1800000600000000,\"vouched_by\":\"192.0.2.53\",\"rrs\":[\"x.test. 3600 IN "
     "DNSKEY 257 3 13 "
     "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\"]}",
     true},
    {STATE_DS, "usable.test",
     "{\"expires_us\":1800000600000000,\"usable\":true,\"rrs\":[\"usable.test. 3600 IN DS 2371 13 "
     "2 1F987CC6583E92DF0890718C42B9AC3EDDA4A62F0D1F2D6CC25ED9D5F4B8F9A0\"]}",
     true},
};

/* Each stored fact is used whole or refused and counted, whatever another sensor wrote. */
static void test_facts_used_or_refused(void **unused)
{
	struct correlate_config cfg;
	struct correlate *c;
	struct state *st = open_store(0);
	const struct expect_mxset *m;
	const struct expect_addrs *a;
	const struct expect_tlsa *t;
	const struct server_history *h;
	struct mx_addr addr, r;
	char err[256], hosts[8][EXPECT_NAME_MAX];
	size_t refused = 0;
	bool live;

	(void)unused;
	correlate_config_defaults(&cfg);
	/* AD bits count from 192.0.2.53 only: keys 198.51.100.53 vouched for do not */
	assert_true(mx_prefix_parse(&cfg.trusted_resolvers[0], "192.0.2.53"));
	cfg.n_trusted_resolvers = 1;
	c = correlate_new(&cfg, err, sizeof(err));
	assert_non_null(c);
	for (size_t i = 0; i < MX_ARRAY_LEN(fact_cases); i++) {
		put(st, fact_cases[i].kind, fact_cases[i].key, fact_cases[i].value, T0 + i,
		    T0 + SEC(600));
		refused += !fact_cases[i].usable;
	}
	state_sync(st);
	state_close(st);
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	assert_int_equal(state_counters(st)->loaded, MX_ARRAY_LEN(fact_cases));
	assert_int_equal(state_counters(st)->load_rejected, refused);

	m = expect_get_mx(correlate_expect(c), "ad.test", T0 + SEC(1));
	assert_non_null(m);
	assert_int_equal(m->trust, EXPECT_RESOLVER_AD);
	assert_true(mx_addr_parse(&r, "192.0.2.53"));
	assert_int_equal(mx_addr_cmp(&m->resolver, &r), 0);
	assert_string_equal(m->mx[0].host, "mx.ad.test");
	assert_int_equal(m->mx[0].pref, 10);
	assert_int_equal(expect_get_mx(correlate_expect(c), "conf.test", T0)->trust,
			 EXPECT_CONFIGURED);
	assert_int_equal(expect_get_mx(correlate_expect(c), "hist.test", T0)->trust,
			 EXPECT_HISTORY);
	assert_int_equal(expect_get_mx(correlate_expect(c), "sixteen.test", T0)->n, 16);
	assert_int_equal(expect_get_mx(correlate_expect(c), "sixteen.test", T0)->mx[15].pref, 16);
	assert_null(expect_get_mx(correlate_expect(c), "unknown.test", T0));
	assert_null(expect_get_mx(correlate_expect(c), "noarray.test", T0));

	a = expect_get_addrs(correlate_expect(c), "two.test", T0);
	assert_non_null(a);
	assert_int_equal(a->n, 2);
	assert_true(mx_addr_parse(&addr, "2001:db8::1"));
	assert_int_equal(mx_addr_cmp(&a->addr[1], &addr), 0);
	assert_null(expect_get_addrs(correlate_expect(c), "noaddrs.test", T0));
	assert_true(mx_addr_parse(&addr, "192.0.2.1"));
	assert_int_equal(expect_hosts_of_addr(correlate_expect(c), &addr, T0, hosts, 8), 1);
	assert_string_equal(hosts[0], "two.test");

	t = expect_get_tlsa(correlate_expect(c), "full.test", 25, T0, &live);
	assert_non_null(t);
	assert_int_equal(t->rec[0].len, 64);
	assert_int_equal(t->rec[0].data[63], 0xff);
	t = expect_get_tlsa(correlate_expect(c), "eight.test", 25, T0, &live);
	assert_non_null(t);
	assert_int_equal(t->n, 8);
	assert_int_equal(t->rec[7].data[0], 8);
	assert_null(expect_get_tlsa(correlate_expect(c), "odd.test", 25, T0, &live));

	assert_true(mx_addr_parse(&addr, "192.0.2.25"));
	h = expect_history(correlate_expect(c), &addr, T0, false);
	assert_non_null(h);
	assert_int_equal(h->sessions, 3);
	assert_int_equal(h->n_spki, 2);
	assert_int_equal(h->spki_sha256[1][0], 0xab);
	assert_true(mx_addr_parse(&addr, "192.0.2.26"));
	assert_null(expect_history(correlate_expect(c), &addr, T0, false));

	assert_int_equal(expect_claims_of_host(correlate_expect(c), "mx.ad.test", hosts, 8), 8);
	assert_string_equal(hosts[7], "h");
	state_close(st);
	correlate_free(c);
}

/*
 * An MX set or TLSA RRset another sensor shared (its source names the
 * sensor) says so in learned_from, which the alerts carry; one this
 * sensor stored itself, or a kind without the field, does not.
 */
static void test_learned_from_other_sensor(void **unused)
{
	struct correlate *c = stage();
	struct state *st = open_store(0);
	const struct expect_mxset *m;
	const struct expect_tlsa *t;
	const struct expect_addrs *a;
	char err[256];
	bool live;

	(void)unused;
	put_from(st, STATE_MX, "shared.test",
		 "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"mx\":[[10,\"mx.shared."
		 "test\"]]}",
		 "sensor B via redis: DNS MX answer");
	put_from(st, STATE_TLSA, "mx.shared.test:25",
		 "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"last_seen_us\":"
		 "1800000000000000,\"records\":[[3,1,1,\"ab\"]]}",
		 "sensor B via redis: DNS TLSA answer");
	put_from(
	    st, STATE_ADDRS, "mx.shared.test",
	    "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"addrs\":[\"192.0.2.25\"]}",
	    "sensor B via redis: DNS A/AAAA answer");
	put_from(
	    st, STATE_MX, "own.test",
	    "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"mx\":[[10,\"mx.own.test\"]]}",
	    "DNS MX answer");
	put_from(st, STATE_TLSA, "mx.own.test:25",
		 "{\"trust\":\"dnssec\",\"expires_us\":1800000600000000,\"last_seen_us\":"
		 "1800000000000000,\"records\":[[3,1,1,\"ab\"]]}",
		 "sensorless");
	state_sync(st);
	state_close(st);
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	assert_int_equal(state_counters(st)->load_rejected, 0);
	m = expect_get_mx(correlate_expect(c), "shared.test", T0);
	assert_non_null(m);
	assert_string_equal(m->learned_from, "sensor B via redis: DNS MX answer");
	assert_string_equal(m->mx[0].host, "mx.shared.test");
	t = expect_get_tlsa(correlate_expect(c), "mx.shared.test", 25, T0, &live);
	assert_non_null(t);
	assert_string_equal(t->learned_from, "sensor B via redis: DNS TLSA answer");
	assert_int_equal(t->n, 1);
	assert_int_equal(t->rec[0].data[0], 0xab);
	a = expect_get_addrs(correlate_expect(c), "mx.shared.test", T0);
	assert_non_null(a);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->trust, EXPECT_DNSSEC);
	m = expect_get_mx(correlate_expect(c), "own.test", T0);
	assert_non_null(m);
	assert_string_equal(m->learned_from, "");
	t = expect_get_tlsa(correlate_expect(c), "mx.own.test", 25, T0, &live);
	assert_non_null(t);
	assert_string_equal(t->learned_from, "");
	state_close(st);
	correlate_free(c);
}

static bool never_called(void *arg, const struct state_fact *f)
{
	(void)arg;
	(void)f;
	fail_msg("no handler was registered for this kind");
	return false;
}

/*
 * Without a store attached there is nothing to poll or put, also once the
 * stage has a link (a handler registered, a state loaded); detaching an
 * unattached stage is harmless; with a store, a caller's fact is written.
 */
static void test_link_without_store(void **unused)
{
	struct correlate *c = stage();
	struct state *st;
	struct state_fact f;
	struct resolver_ad_obs o;
	struct seen *s = calloc(1, sizeof(*s));
	char err[256];

	(void)unused;
	assert_non_null(s);
	memset(&f, 0, sizeof(f));
	f.kind = STATE_TLS_FAILURE;
	snprintf(f.key, sizeof(f.key), "198.51.100.7 192.0.2.25");
	f.value = "{\"any\":1}";
	f.value_len = strlen(f.value);
	f.learned_us = T0;
	f.expires_us = T0 + SEC(60);
	memset(&o, 0, sizeof(o));
	snprintf(o.zone, sizeof(o.zone), "zone.test");
	assert_true(mx_addr_parse(&o.resolver, "192.0.2.53"));
	o.first_ad_us = T0;
	o.last_ad_us = T0 + SEC(1);
	o.ad_answers = 2;
	correlate_attach_state(c, NULL);
	correlate_state_put(c, &f);
	correlate_state_put_resolver_ad(c, &o);
	correlate_state_handler(c, STATE_HISTORY, never_called, NULL);
	correlate_state_handler(c, STATE_HISTORY, NULL, NULL);
	correlate_state_put(c, &f);
	correlate_state_put_resolver_ad(c, &o);
	assert_int_equal(correlate_poll_state(c, 10), 0);
	st = open_store(0);
	assert_true(correlate_load_state(c, st, err, sizeof(err)));
	assert_int_equal(correlate_poll_state(c, 10), 0);
	correlate_state_put(c, &f);
	state_sync(st);
	assert_int_equal(state_counters(st)->written, 0);
	correlate_attach_state(c, st);
	correlate_state_put(c, &f);
	correlate_state_put_resolver_ad(c, &o);
	state_sync(st);
	assert_int_equal(state_counters(st)->written, 2);
	assert_true(state_load(st, collect, s, err, sizeof(err)));
	assert_string_equal(stored(s, "tls-failure", "198.51.100.7 192.0.2.25"),
			    "{\"any\":1} 1800000000000000");
	assert_string_equal(stored(s, "resolver-ad", "zone.test 192.0.2.53"),
			    "{\"first_us\":1800000000000000,\"last_us\":1800000001000000,"
			    "\"answers\":2} 1800000001000000");
	correlate_attach_state(c, NULL);
	state_close(st);
	free(s);
	correlate_free(c);
}

/* A name with a control character is not written (the JSON value would not be valid). */
static void test_control_char_name_not_written(void **unused)
{
	struct correlate *c = stage();
	struct state *st = open_store(0);
	struct expect_mxset mx;
	struct seen *s = calloc(1, sizeof(*s));
	char err[256];

	(void)unused;
	assert_non_null(s);
	correlate_attach_state(c, st);
	memset(&mx, 0, sizeof(mx));
	mx.trust = EXPECT_DNSSEC;
	mx.expires_us = T0 + SEC(300);
	mx.mx[0].pref = 10;
	strcpy(mx.mx[0].host, "mx\x01.example.test");
	mx.n = 1;
	expect_put_mx(correlate_expect(c), "ctl.test", &mx, T0);
	strcpy(mx.mx[0].host, "mx1.example.test");
	expect_put_mx(correlate_expect(c), "plain.test", &mx, T0);
	correlate_flush_state(c);
	state_sync(st);
	correlate_attach_state(c, NULL);
	assert_true(state_load(st, collect, s, err, sizeof(err)));
	assert_null(stored(s, "mx", "ctl.test"));
	assert_non_null(stored(s, "mx", "plain.test"));
	state_close(st);
	free(s);
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
	    cmocka_unit_test_setup_teardown(test_values_as_stored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_facts_used_or_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_learned_from_other_sensor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_without_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_control_char_name_not_written, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
