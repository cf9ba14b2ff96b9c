/*
 * test_expect.c - the expectation store: trust rules when an answer
 * replaces another, lifetimes by packet time, reverse lookups, history
 * after expiry, the memcap with counted evictions, and restored or shared
 * facts under the same trust rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/expect.h"

#define SEC(x) ((uint64_t)(x)*MX_USEC)
#define T0     SEC(1800000000)

static struct expect_store *store(size_t memcap)
{
	struct expect_config cfg;

	expect_config_defaults(&cfg);
	if (memcap)
		cfg.memcap = memcap;
	return expect_new(&cfg);
}

static void mxset(struct expect_mxset *s, enum expect_trust t, uint64_t exp, const char *h1,
		  const char *h2)
{
	memset(s, 0, sizeof(*s));
	s->trust = t;
	s->expires_us = exp;
	strcpy(s->mx[s->n++].host, h1);
	if (h2 != NULL)
		strcpy(s->mx[s->n++].host, h2);
}

static void test_mx_trust(void **state)
{
	struct expect_store *st = store(0);
	struct expect_mxset s;
	const struct expect_mxset *got;

	(void)state;
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "MX1.Example.Test.", NULL);
	expect_put_mx(st, "Example.Test.", &s, T0);
	got = expect_get_mx(st, "example.test", T0 + SEC(1));
	assert_non_null(got);
	assert_int_equal(got->n, 1);
	assert_string_equal(got->mx[0].host, "mx1.example.test");
	assert_int_equal(got->trust, EXPECT_DNSSEC);

	/* A forged, unvalidated answer does not replace a live validated set... */
	mxset(&s, EXPECT_UNVALIDATED, T0 + SEC(300), "evil.example.test", NULL);
	expect_put_mx(st, "example.test", &s, T0 + SEC(10));
	got = expect_get_mx(st, "example.test", T0 + SEC(11));
	assert_string_equal(got->mx[0].host, "mx1.example.test");
	/* ...but its claim is remembered. */
	{
		char d[2][EXPECT_NAME_MAX];

		assert_int_equal(expect_claims_of_host(st, "evil.example.test", d, 2), 1);
		assert_string_equal(d[0], "example.test");
		assert_int_equal(
		    expect_domains_of_host(st, "evil.example.test", T0 + SEC(11), d, 2), 0);
		assert_int_equal(expect_domains_of_host(st, "mx1.example.test", T0 + SEC(11), d, 2),
				 1);
	}
	/* A validated change replaces it (a legitimate MX change). */
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(600), "mx2.example.test", "mx3.example.test");
	expect_put_mx(st, "example.test", &s, T0 + SEC(20));
	got = expect_get_mx(st, "example.test", T0 + SEC(21));
	assert_int_equal(got->n, 2);
	assert_string_equal(got->mx[1].host, "mx3.example.test");
	/* After its TTL the set is gone, and then a weaker one may stand. */
	assert_null(expect_get_mx(st, "example.test", T0 + SEC(601)));
	mxset(&s, EXPECT_UNVALIDATED, T0 + SEC(900), "other.example.test", NULL);
	expect_put_mx(st, "example.test", &s, T0 + SEC(602));
	got = expect_get_mx(st, "example.test", T0 + SEC(603));
	assert_string_equal(got->mx[0].host, "other.example.test");
	expect_free(st);
}

static void test_addresses(void **state)
{
	struct expect_store *st = store(0);
	struct expect_addrs a;
	struct mx_addr v4, v6, other;
	char hosts[4][EXPECT_NAME_MAX];

	(void)state;
	assert_true(mx_addr_parse(&v4, "203.0.113.25"));
	assert_true(mx_addr_parse(&v6, "2001:db8::25"));
	assert_true(mx_addr_parse(&other, "203.0.113.66"));
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_DNSSEC;
	a.expires_us = T0 + SEC(300);
	a.addr[a.n++] = v4;
	expect_put_addrs(st, "mx1.example.test", &a, T0);
	/* The AAAA answer of the same trust merges with the A answer. */
	a.addr[0] = v6;
	expect_put_addrs(st, "mx1.example.test", &a, T0 + SEC(1));
	assert_int_equal(expect_get_addrs(st, "mx1.example.test", T0 + SEC(2))->n, 2);
	assert_int_equal(expect_hosts_of_addr(st, &v6, T0 + SEC(2), hosts, 4), 1);
	assert_string_equal(hosts[0], "mx1.example.test");
	assert_int_equal(expect_hosts_of_addr(st, &other, T0 + SEC(2), hosts, 4), 0);
	/* Expired: no longer an address of the host. */
	assert_int_equal(expect_hosts_of_addr(st, &v4, T0 + SEC(400), hosts, 4), 0);
	expect_free(st);
}

static void test_tlsa_history(void **state)
{
	struct expect_store *st = store(0);
	struct expect_tlsa t;
	const struct expect_tlsa *got;
	bool live;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.trust = EXPECT_DNSSEC;
	t.expires_us = T0 + SEC(300);
	t.rec[0].usage = 3;
	t.rec[0].selector = 1;
	t.rec[0].mtype = 1;
	t.rec[0].len = 32;
	t.n = 1;
	expect_put_tlsa(st, "mx1.example.test", 25, &t, T0);
	got = expect_get_tlsa(st, "mx1.example.test", 25, T0 + SEC(10), &live);
	assert_non_null(got);
	assert_true(live);
	assert_null(expect_get_tlsa(st, "mx1.example.test", 465, T0 + SEC(10), &live));
	/* Past its TTL it is still known (history), no longer live. */
	got = expect_get_tlsa(st, "mx1.example.test", 25, T0 + SEC(3600), &live);
	assert_non_null(got);
	assert_false(live);
	/* Past the history window it is forgotten. */
	assert_null(expect_get_tlsa(st, "mx1.example.test", 25, T0 + SEC(31 * 86400), &live));
	expect_free(st);
}

/* A restored or shared fact follows the trust rules of a fresh answer. */
static void test_restore_trust(void **state)
{
	struct expect_store *st = store(0);
	struct expect_tlsa t, plain;
	struct expect_fact f;
	const struct expect_tlsa *got;
	bool live;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.trust = EXPECT_DNSSEC;
	t.expires_us = T0 + SEC(300);
	t.n = 1;
	t.rec[0].usage = 3;
	expect_put_tlsa(st, "mx1.example.test", 25, &t, T0);
	plain = t;
	plain.trust = EXPECT_UNVALIDATED;
	plain.expires_us = T0 + SEC(3000);
	plain.last_seen_us = T0 + SEC(400);
	snprintf(plain.learned_from, sizeof(plain.learned_from), "sensor B via redis: x");
	memset(&f, 0, sizeof(f));
	f.kind = EXPECT_F_TLSA;
	f.name = "mx1.example.test";
	f.port = 25;
	f.value = &plain;
	f.touched_us = T0 + SEC(10);
	f.keep_until_us = T0 + SEC(3000);
	assert_true(expect_restore(st, &f));
	got = expect_get_tlsa(st, "mx1.example.test", 25, T0 + SEC(20), &live);
	assert_non_null(got);
	assert_int_equal(got->trust, EXPECT_DNSSEC);
	assert_string_equal(got->learned_from, "");
	/* Once the validated RRset has expired, the shared plain one takes its place. */
	f.touched_us = T0 + SEC(400);
	assert_true(expect_restore(st, &f));
	got = expect_get_tlsa(st, "mx1.example.test", 25, T0 + SEC(401), &live);
	assert_non_null(got);
	assert_int_equal(got->trust, EXPECT_UNVALIDATED);
	assert_string_equal(got->learned_from, "sensor B via redis: x");
	expect_free(st);
}

static void test_history(void **state)
{
	struct expect_store *st = store(0);
	struct mx_addr a;
	struct server_history *h;

	(void)state;
	assert_true(mx_addr_parse(&a, "198.51.100.25"));
	assert_null(expect_history(st, &a, T0, false));
	h = expect_history(st, &a, T0, true);
	assert_non_null(h);
	h->starttls_streak = 3;
	assert_int_equal(expect_history(st, &a, T0 + SEC(60), false)->starttls_streak, 3);
	assert_null(expect_history(st, &a, T0 + SEC(31 * 86400), false));
	expect_free(st);
}

static void test_memcap(void **state)
{
	struct expect_store *st = store(64 * 1024);
	const struct expect_counters *c = expect_counters(st);
	struct expect_mxset s;
	char name[64];

	(void)state;
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "d%d.example.test", i);
		mxset(&s, EXPECT_UNVALIDATED, T0 + SEC(300), "mx.example.test", NULL);
		expect_put_mx(st, name, &s, T0 + (uint64_t)i);
	}
	assert_true(c->bytes <= 64 * 1024);
	assert_true(c->evicted > 0);
	/* The newest survive, the oldest were evicted. */
	assert_non_null(expect_get_mx(st, "d199.example.test", T0 + SEC(1)));
	assert_null(expect_get_mx(st, "d0.example.test", T0 + SEC(1)));
	expect_free(st);
}

static void test_names(void **state)
{
	char out[EXPECT_NAME_MAX];
	char longname[300];

	(void)state;
	assert_true(expect_norm_name("MX.Example.TEST.", out));
	assert_string_equal(out, "mx.example.test");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(expect_norm_name(longname, out));
	assert_string_equal(expect_trust_name(EXPECT_RESOLVER_AD), "resolver-ad");
	assert_true(expect_trust_validated(EXPECT_CONFIGURED));
	assert_false(expect_trust_validated(EXPECT_HISTORY));
}

/* Entries leave their bucket chains wherever they are in them (more entries than buckets). */
static void test_chain_removal(void **state)
{
	struct expect_store *st = store(0);
	struct expect_sts s;
	char name[64];
	bool live;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.trust = EXPECT_DNSSEC;
	s.expires_us = T0 + SEC(60);
	snprintf(s.id, sizeof(s.id), "x");
	for (int i = 0; i < 4096; i++) {
		snprintf(name, sizeof(name), "d%d.chain.test", i);
		expect_put_sts(st, name, &s, T0);
	}
	assert_int_equal(expect_counters(st)->entries, 4096);
	/* every other one looked up after the history ends: forgotten */
	for (int i = 0; i < 4096; i += 2) {
		snprintf(name, sizeof(name), "d%d.chain.test", i);
		assert_null(expect_get_sts(st, name, T0 + SEC(31 * 86400), &live));
	}
	assert_int_equal(expect_counters(st)->entries, 2048);
	for (int i = 0; i < 4096; i++) {
		snprintf(name, sizeof(name), "d%d.chain.test", i);
		if (i % 2)
			assert_non_null(expect_get_sts(st, name, T0, &live));
		else
			assert_null(expect_get_sts(st, name, T0, &live));
	}
	expect_free(st);
}

/* A restored MX set, address set or MTA-STS id does not replace a better-trusted live one. */
static void test_restore_trust_mx(void **state)
{
	struct expect_store *st = store(0);
	struct expect_mxset s, shared;
	struct expect_addrs a, plain_a;
	struct expect_sts sts, plain_sts;
	struct expect_fact f;
	const struct expect_mxset *got;
	const struct expect_addrs *ga;
	const struct expect_sts *gs;
	bool live;

	(void)state;
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx1.example.test", NULL);
	expect_put_mx(st, "example.test", &s, T0);
	mxset(&shared, EXPECT_UNVALIDATED, T0 + SEC(3000), "evil.example.test", "mx2.example.test");
	memset(&f, 0, sizeof(f));
	f.kind = EXPECT_F_MX;
	f.name = "example.test";
	f.value = &shared;
	f.touched_us = T0 + SEC(10);
	f.keep_until_us = T0 + SEC(3000);
	assert_true(expect_restore(st, &f));
	got = expect_get_mx(st, "example.test", T0 + SEC(20));
	assert_non_null(got);
	assert_int_equal(got->trust, EXPECT_DNSSEC);
	assert_int_equal(got->n, 1);
	assert_string_equal(got->mx[0].host, "mx1.example.test");
	/* as well trusted: it replaces */
	shared.trust = EXPECT_DNSSEC;
	assert_true(expect_restore(st, &f));
	got = expect_get_mx(st, "example.test", T0 + SEC(20));
	assert_non_null(got);
	assert_int_equal(got->n, 2);
	assert_string_equal(got->mx[0].host, "evil.example.test");
	/* expired: anything replaces it */
	expect_put_mx(st, "example.test", &s, T0 + SEC(30));
	shared.trust = EXPECT_UNVALIDATED;
	f.touched_us = T0 + SEC(300);
	assert_true(expect_restore(st, &f));
	got = expect_get_mx(st, "example.test", T0 + SEC(301));
	assert_non_null(got);
	assert_int_equal(got->trust, EXPECT_UNVALIDATED);

	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_DNSSEC;
	a.expires_us = T0 + SEC(300);
	assert_true(mx_addr_parse(&a.addr[0], "192.0.2.25"));
	a.n = 1;
	expect_put_addrs(st, "mx1.example.test", &a, T0);
	plain_a = a;
	plain_a.trust = EXPECT_UNVALIDATED;
	plain_a.expires_us = T0 + SEC(3000);
	assert_true(mx_addr_parse(&plain_a.addr[0], "203.0.113.66"));
	memset(&f, 0, sizeof(f));
	f.kind = EXPECT_F_ADDRS;
	f.name = "mx1.example.test";
	f.value = &plain_a;
	f.touched_us = T0 + SEC(10);
	assert_true(expect_restore(st, &f));
	ga = expect_get_addrs(st, "mx1.example.test", T0 + SEC(20));
	assert_non_null(ga);
	assert_int_equal(ga->trust, EXPECT_DNSSEC);
	assert_int_equal(mx_addr_cmp(&ga->addr[0], &a.addr[0]), 0);

	memset(&sts, 0, sizeof(sts));
	sts.trust = EXPECT_DNSSEC;
	sts.expires_us = T0 + SEC(300);
	strcpy(sts.id, "good");
	expect_put_sts(st, "example.test", &sts, T0);
	plain_sts = sts;
	plain_sts.trust = EXPECT_UNVALIDATED;
	plain_sts.expires_us = T0 + SEC(3000);
	strcpy(plain_sts.id, "forged");
	memset(&f, 0, sizeof(f));
	f.kind = EXPECT_F_STS;
	f.name = "example.test";
	f.value = &plain_sts;
	f.touched_us = T0 + SEC(10);
	assert_true(expect_restore(st, &f));
	gs = expect_get_sts(st, "example.test", T0 + SEC(20), &live);
	assert_non_null(gs);
	assert_string_equal(gs->id, "good");
	expect_free(st);
}

/* Re-adding an address the host has, or one beyond the cap, leaves the set as it is. */
static void test_address_merge(void **state)
{
	struct expect_store *st = store(0);
	struct expect_addrs a;
	const struct expect_addrs *got;
	char text[32];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_DNSSEC;
	a.expires_us = T0 + SEC(300);
	assert_true(mx_addr_parse(&a.addr[a.n++], "192.0.2.1"));
	expect_put_addrs(st, "mx1.example.test", &a, T0);
	expect_put_addrs(st, "mx1.example.test", &a, T0 + SEC(1));
	got = expect_get_addrs(st, "mx1.example.test", T0 + SEC(2));
	assert_non_null(got);
	assert_int_equal(got->n, 1);
	/* sixteen addresses held at most: the seventeenth is not added */
	for (int i = 2; i <= 17; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", i);
		assert_true(mx_addr_parse(&a.addr[0], text));
		expect_put_addrs(st, "mx1.example.test", &a, T0 + SEC(3));
	}
	got = expect_get_addrs(st, "mx1.example.test", T0 + SEC(4));
	assert_non_null(got);
	assert_int_equal(got->n, EXPECT_MAX_ADDRS);
	assert_int_equal(got->trust, EXPECT_DNSSEC);
	assert_true(mx_addr_parse(&a.addr[0], "192.0.2.16"));
	assert_int_equal(mx_addr_cmp(&got->addr[15], &a.addr[0]), 0);
	expect_free(st);
}

/*
 * Addresses merge only with a live set of the same trust: a better-trusted
 * answer, or one after the old set expired, replaces it whole (the old
 * addresses no longer serve the host); an empty set is replaced too.
 */
static void test_address_replace(void **state)
{
	struct expect_store *st = store(0);
	struct expect_addrs a;
	const struct expect_addrs *got;
	struct mx_addr evil, good;
	char hosts[4][EXPECT_NAME_MAX];

	(void)state;
	assert_true(mx_addr_parse(&evil, "203.0.113.66"));
	assert_true(mx_addr_parse(&good, "192.0.2.25"));
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_UNVALIDATED;
	a.expires_us = T0 + SEC(300);
	a.addr[a.n++] = evil;
	expect_put_addrs(st, "mx.a.test", &a, T0);
	a.trust = EXPECT_DNSSEC;
	a.addr[0] = good;
	expect_put_addrs(st, "mx.a.test", &a, T0 + SEC(1));
	got = expect_get_addrs(st, "mx.a.test", T0 + SEC(2));
	assert_non_null(got);
	assert_int_equal(got->n, 1);
	assert_int_equal(got->trust, EXPECT_DNSSEC);
	assert_int_equal(mx_addr_cmp(&got->addr[0], &good), 0);
	/* the old address is no longer one of the host's */
	assert_int_equal(expect_hosts_of_addr(st, &evil, T0 + SEC(2), hosts, 4), 0);
	assert_int_equal(expect_hosts_of_addr(st, &good, T0 + SEC(2), hosts, 4), 1);

	/* same trust after the old set expired: replaced, not merged */
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_UNVALIDATED;
	a.expires_us = T0 + SEC(100);
	a.addr[a.n++] = evil;
	expect_put_addrs(st, "mx.b.test", &a, T0);
	a.expires_us = T0 + SEC(500);
	a.addr[0] = good;
	expect_put_addrs(st, "mx.b.test", &a, T0 + SEC(200));
	got = expect_get_addrs(st, "mx.b.test", T0 + SEC(201));
	assert_non_null(got);
	assert_int_equal(got->n, 1);
	assert_int_equal(mx_addr_cmp(&got->addr[0], &good), 0);

	/* an empty set (an answer without addresses), then addresses: they and their TTL stand */
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_UNVALIDATED;
	a.expires_us = T0 + SEC(100);
	expect_put_addrs(st, "mx.c.test", &a, T0);
	a.expires_us = T0 + SEC(500);
	a.addr[a.n++] = good;
	expect_put_addrs(st, "mx.c.test", &a, T0 + SEC(1));
	got = expect_get_addrs(st, "mx.c.test", T0 + SEC(200));
	assert_non_null(got);
	assert_int_equal(got->n, 1);
	expect_free(st);
}

/* A store whose memcap is below one entry holds nothing, counts every drop, and never crashes. */
static void test_memcap_below_one_entry(void **state)
{
	struct expect_store *st = store(100);
	const struct expect_counters *c = expect_counters(st);
	struct expect_mxset s;
	struct expect_addrs a;
	struct expect_tlsa t;
	struct expect_sts sts;
	struct expect_fact f;
	struct mx_addr addr;
	char d[2][EXPECT_NAME_MAX];
	bool live;

	(void)state;
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx1.example.test", NULL);
	expect_put_mx(st, "example.test", &s, T0);
	assert_null(expect_get_mx(st, "example.test", T0));
	assert_int_equal(expect_claims_of_host(st, "mx1.example.test", d, 2), 0);
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_DNSSEC;
	a.expires_us = T0 + SEC(300);
	assert_true(mx_addr_parse(&addr, "192.0.2.25"));
	a.addr[a.n++] = addr;
	expect_put_addrs(st, "mx1.example.test", &a, T0);
	assert_null(expect_get_addrs(st, "mx1.example.test", T0));
	memset(&t, 0, sizeof(t));
	t.trust = EXPECT_DNSSEC;
	t.expires_us = T0 + SEC(300);
	t.n = 1;
	expect_put_tlsa(st, "mx1.example.test", 25, &t, T0);
	assert_null(expect_get_tlsa(st, "mx1.example.test", 25, T0, &live));
	memset(&sts, 0, sizeof(sts));
	sts.trust = EXPECT_DNSSEC;
	sts.expires_us = T0 + SEC(300);
	expect_put_sts(st, "example.test", &sts, T0);
	assert_null(expect_get_sts(st, "example.test", T0, &live));
	assert_null(expect_history(st, &addr, T0, true));
	memset(&f, 0, sizeof(f));
	f.kind = EXPECT_F_MX;
	f.name = "example.test";
	f.value = &s;
	f.touched_us = T0;
	assert_false(expect_restore(st, &f));
	assert_int_equal(c->entries, 0);
	assert_int_equal(c->bytes, 0);
	assert_int_equal(c->inserts, 0);
	/* the MX set and its claim, the addresses (nothing to index then), TLSA, STS, history,
	 * restore */
	assert_int_equal(c->memcap_drop, 7);
	expect_free(st);
}

/* An MX set that cannot grow within the memcap keeps its old value; the drop is counted. */
static void test_memcap_growth(void **state)
{
	struct expect_store *st = store(3000);
	struct expect_mxset s;
	const struct expect_mxset *got;

	(void)state;
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx.x.test", NULL);
	expect_put_mx(st, "x.test", &s, T0);
	assert_int_equal(expect_counters(st)->memcap_drop, 0);
	memset(&s, 0, sizeof(s));
	s.trust = EXPECT_DNSSEC;
	s.expires_us = T0 + SEC(600);
	for (unsigned i = 0; i < EXPECT_MAX_MX; i++) {
		s.mx[i].pref = (uint16_t)i;
		strcpy(s.mx[i].host, "mx.x.test");
	}
	s.n = EXPECT_MAX_MX;
	expect_put_mx(st, "x.test", &s, T0 + SEC(1));
	assert_int_equal(expect_counters(st)->memcap_drop, 1);
	got = expect_get_mx(st, "x.test", T0 + SEC(2));
	assert_non_null(got);
	assert_int_equal(got->n, 1);
	assert_int_equal(got->expires_us, T0 + SEC(300));
	assert_true(expect_counters(st)->bytes <= 3000);
	expect_free(st);
}

/*
 * An entry that grows never takes the store over its memcap: the others
 * are evicted (the grown entry may be the least recently used one), and
 * when the grown entry alone would not fit, the growth is refused.
 */
static void test_memcap_growth_bound(void **state)
{
	struct expect_mxset s, big;
	const struct expect_mxset *got;

	(void)state;
	memset(&big, 0, sizeof(big));
	big.trust = EXPECT_DNSSEC;
	big.expires_us = T0 + SEC(600);
	for (unsigned i = 0; i < EXPECT_MAX_MX; i++) {
		big.mx[i].pref = (uint16_t)i;
		strcpy(big.mx[i].host, "mx.x.test");
	}
	big.n = EXPECT_MAX_MX;
	for (size_t cap = 2000; cap <= 12000; cap += 250) {
		struct expect_store *st = store(cap);
		char dom[32];

		mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx.x.test", NULL);
		expect_put_mx(st, "x.test", &s, T0);
		for (int i = 0; i < 4; i++) {
			snprintf(dom, sizeof(dom), "d%d.test", i);
			expect_put_mx(st, dom, &s, T0 + SEC(1) + (uint64_t)i);
		}
		expect_put_mx(st, "x.test", &big, T0 + SEC(10));
		assert_true(expect_counters(st)->bytes <= cap);
		got = expect_get_mx(st, "x.test", T0 + SEC(11));
		if (got != NULL && got->n == EXPECT_MAX_MX)
			assert_int_equal(expect_counters(st)->memcap_drop, 0);
		else
			assert_true(expect_counters(st)->memcap_drop > 0);
		expect_free(st);
	}
}

/*
 * Entries that grow while others share their bucket chain (more entries
 * than buckets at the smallest table) stay reachable, each with its names.
 */
static void test_growth_in_chains(void **state)
{
	struct expect_store *st = store(256 * 1024);
	struct expect_mxset s;
	char host[64], d[4][EXPECT_NAME_MAX];

	(void)state;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 300; i++) {
			snprintf(host, sizeof(host), "mx%d.chain.test", i);
			mxset(&s, EXPECT_UNVALIDATED, T0 + SEC(300), host, NULL);
			expect_put_mx(st, pass ? "b.test" : "a.test", &s, T0 + (uint64_t)i);
		}
	assert_int_equal(expect_counters(st)->evicted, 0);
	for (int i = 0; i < 300; i++) {
		snprintf(host, sizeof(host), "mx%d.chain.test", i);
		assert_int_equal(expect_claims_of_host(st, host, d, 4), 2);
		assert_string_equal(d[0], "a.test");
		assert_string_equal(d[1], "b.test");
	}
	expect_free(st);
}

/*
 * A host's old address stops pointing at it once its live set no longer
 * holds the address; of several hosts on one address, at most max are given.
 */
static void test_hosts_of_addr_checked(void **state)
{
	struct expect_store *st = store(0);
	struct expect_addrs a;
	struct mx_addr old, neu;
	char hosts[3][EXPECT_NAME_MAX];

	(void)state;
	assert_true(mx_addr_parse(&old, "192.0.2.25"));
	assert_true(mx_addr_parse(&neu, "192.0.2.26"));
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_DNSSEC;
	a.expires_us = T0 + SEC(300);
	a.addr[a.n++] = old;
	expect_put_addrs(st, "mx1.example.test", &a, T0);
	expect_put_addrs(st, "mx2.example.test", &a, T0);
	expect_put_addrs(st, "mx3.example.test", &a, T0);
	assert_int_equal(expect_hosts_of_addr(st, &old, T0 + SEC(1), hosts, 3), 3);
	assert_int_equal(expect_hosts_of_addr(st, &old, T0 + SEC(1), hosts, 2), 2);
	assert_string_equal(hosts[1], "mx2.example.test");
	/* mx1 moved (its set expired, a new answer names another address) */
	a.addr[0] = neu;
	a.expires_us = T0 + SEC(900);
	expect_put_addrs(st, "mx1.example.test", &a, T0 + SEC(400));
	assert_int_equal(expect_hosts_of_addr(st, &old, T0 + SEC(401), hosts, 3), 0);
	assert_int_equal(expect_hosts_of_addr(st, &neu, T0 + SEC(401), hosts, 3), 1);
	assert_string_equal(hosts[0], "mx1.example.test");
	expect_free(st);
}

/*
 * A name too long to hold is neither stored nor looked up (it must not
 * alias the root's entry, whose name is empty); a restored fact of a kind
 * the store does not know is refused.
 */
static void test_long_names_refused(void **state)
{
	struct expect_store *st = store(0);
	char lname[300], d[2][EXPECT_NAME_MAX];
	struct expect_mxset s;
	struct expect_addrs a;
	struct expect_tlsa t;
	struct expect_sts sts;
	struct expect_fact f;
	bool live;

	(void)state;
	memset(lname, 'a', sizeof(lname) - 1);
	lname[sizeof(lname) - 1] = '\0';
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx.example.test", NULL);
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_DNSSEC;
	a.expires_us = T0 + SEC(300);
	assert_true(mx_addr_parse(&a.addr[a.n++], "192.0.2.25"));
	memset(&t, 0, sizeof(t));
	t.trust = EXPECT_DNSSEC;
	t.expires_us = T0 + SEC(300);
	t.n = 1;
	memset(&sts, 0, sizeof(sts));
	sts.trust = EXPECT_DNSSEC;
	sts.expires_us = T0 + SEC(300);
	/* the long name stored nowhere */
	expect_put_mx(st, lname, &s, T0);
	expect_put_addrs(st, lname, &a, T0);
	expect_put_tlsa(st, lname, 25, &t, T0);
	expect_put_sts(st, lname, &sts, T0);
	memset(&f, 0, sizeof(f));
	f.kind = EXPECT_F_MX;
	f.name = lname;
	f.value = &s;
	f.touched_us = T0;
	assert_false(expect_restore(st, &f));
	assert_int_equal(expect_counters(st)->entries, 0);
	assert_int_equal(expect_counters(st)->memcap_drop, 0);
	/* the root's entries (empty name) are not the long name's */
	expect_put_mx(st, ".", &s, T0);
	expect_put_addrs(st, ".", &a, T0);
	expect_put_tlsa(st, ".", 25, &t, T0);
	expect_put_sts(st, ".", &sts, T0);
	expect_put_mx(st, "example.test", &s, T0);
	assert_non_null(expect_get_mx(st, "", T0));
	assert_null(expect_get_mx(st, lname, T0));
	assert_null(expect_get_addrs(st, lname, T0));
	assert_null(expect_get_tlsa(st, lname, 25, T0, &live));
	assert_null(expect_get_sts(st, lname, T0, &live));
	assert_int_equal(expect_domains_of_host(st, lname, T0, d, 2), 0);
	assert_int_equal(expect_claims_of_host(st, lname, d, 2), 0);
	f.kind = (enum expect_fact_kind)99;
	f.name = "example.test";
	assert_false(expect_restore(st, &f));
	expect_free(st);
	expect_free(NULL);
}

/* A TLSA RRset from a policy file stays past the history window; a learned one does not. */
static void test_configured_tlsa_kept(void **state)
{
	struct expect_store *st = store(0);
	struct expect_tlsa t;
	bool live;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.trust = EXPECT_CONFIGURED;
	t.expires_us = UINT64_MAX;
	t.n = 1;
	expect_put_tlsa(st, "mx.pinned.test", 25, &t, T0);
	t.trust = EXPECT_DNSSEC;
	t.expires_us = T0 + SEC(300);
	expect_put_tlsa(st, "mx.learned.test", 25, &t, T0);
	assert_non_null(expect_get_tlsa(st, "mx.pinned.test", 25, T0 + SEC(60 * 86400), &live));
	assert_true(live);
	assert_null(expect_get_tlsa(st, "mx.learned.test", 25, T0 + SEC(60 * 86400), &live));
	expect_free(st);
}

static void count_shown(void *arg, const struct expect_fact *f)
{
	unsigned *n = arg;

	(void)f;
	(*n)++;
}

/*
 * A new timeline forgets every entry (a server history being written
 * included, which is then never shown); the counters stay.
 */
static void test_clear(void **state)
{
	struct expect_store *st = store(0);
	struct expect_mxset s;
	struct mx_addr a;
	struct server_history *h;
	unsigned shown = 0;

	(void)state;
	assert_true(mx_addr_parse(&a, "192.0.2.25"));
	expect_set_observer(st, count_shown, &shown);
	h = expect_history(st, &a, T0, true);
	assert_non_null(h);
	h->sessions = 1;
	expect_clear(st);
	expect_flush_observed(st);
	assert_int_equal(shown, 0);
	assert_int_equal(expect_counters(st)->entries, 0);
	assert_int_equal(expect_counters(st)->bytes, 0);
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx1.example.test", NULL);
	expect_put_mx(st, "example.test", &s, T0);
	assert_int_equal(shown, 2); /* the claim and the set */
	h = expect_history(st, &a, T0, true);
	expect_flush_observed(st);
	assert_int_equal(shown, 3);
	expect_clear(st);
	assert_int_equal(expect_counters(st)->entries, 0);
	assert_int_equal(expect_counters(st)->inserts, 4);
	assert_null(expect_get_mx(st, "example.test", T0));
	assert_null(expect_history(st, &a, T0, false));
	expect_free(st);
}

/* Each change is shown to the observer once, also when an entry grows to hold it. */
static void test_shown_once(void **state)
{
	struct expect_store *st = store(0);
	struct expect_mxset s;
	unsigned shown = 0;
	char d[2][EXPECT_NAME_MAX];

	(void)state;
	expect_set_observer(st, count_shown, &shown);
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx1.example.test", NULL);
	expect_put_mx(st, "example.test", &s, T0);
	assert_int_equal(shown, 2);
	/* a second host: its claim and the grown set */
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx1.example.test", "mx2.example.test");
	expect_put_mx(st, "example.test", &s, T0 + SEC(1));
	assert_int_equal(shown, 4);
	/* a second domain claiming mx1: its grown claim entry */
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx1.example.test", NULL);
	expect_put_mx(st, "other.test", &s, T0 + SEC(2));
	assert_int_equal(shown, 6);
	expect_flush_observed(st);
	assert_int_equal(expect_claims_of_host(st, "mx1.example.test", d, 2), 2);
	assert_int_equal(shown, 6);
	expect_free(st);
}

/* Restored values come back whole: every address, record and name, the resolver that vouched. */
static void test_restore_values(void **state)
{
	struct expect_store *st = store(0);
	struct expect_addrs a;
	struct expect_tlsa t;
	struct expect_mxset m;
	struct expect_names rn;
	struct expect_fact f;
	const struct expect_addrs *ga;
	const struct expect_tlsa *gt;
	const struct expect_mxset *gm;
	struct mx_addr r;
	char text[32], hosts[EXPECT_NAMES_MAX][EXPECT_NAME_MAX];
	bool live;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.trust = EXPECT_DNSSEC;
	a.expires_us = T0 + SEC(300);
	for (int i = 0; i < 12; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", 100 + i);
		assert_true(mx_addr_parse(&a.addr[a.n++], text));
	}
	memset(&f, 0, sizeof(f));
	f.kind = EXPECT_F_ADDRS;
	f.name = "mx.r.test";
	f.value = &a;
	f.touched_us = T0;
	assert_true(expect_restore(st, &f));
	ga = expect_get_addrs(st, "mx.r.test", T0);
	assert_non_null(ga);
	assert_int_equal(ga->n, 12);
	for (int i = 0; i < 12; i++)
		assert_int_equal(mx_addr_cmp(&ga->addr[i], &a.addr[i]), 0);

	memset(&t, 0, sizeof(t));
	t.trust = EXPECT_DNSSEC;
	t.expires_us = T0 + SEC(300);
	t.last_seen_us = T0;
	for (int i = 0; i < 3; i++) {
		t.rec[i] = (struct tlsa_record){3, 1, 1, 32, {0}};
		memset(t.rec[i].data, 0xa0 + i, 32);
	}
	t.n = 3;
	f.kind = EXPECT_F_TLSA;
	f.port = 25;
	f.value = &t;
	assert_true(expect_restore(st, &f));
	gt = expect_get_tlsa(st, "mx.r.test", 25, T0, &live);
	assert_non_null(gt);
	assert_int_equal(gt->n, 3);
	assert_memory_equal(gt->rec, t.rec, sizeof(t.rec[0]) * 3);

	mxset(&m, EXPECT_RESOLVER_AD, T0 + SEC(300), "mx.r.test", "mx2.r.test");
	assert_true(mx_addr_parse(&m.resolver, "198.51.100.53"));
	r = m.resolver;
	f.kind = EXPECT_F_MX;
	f.name = "r.test";
	f.port = 0;
	f.value = &m;
	assert_true(expect_restore(st, &f));
	gm = expect_get_mx(st, "r.test", T0);
	assert_non_null(gm);
	assert_int_equal(gm->trust, EXPECT_RESOLVER_AD);
	assert_int_equal(mx_addr_cmp(&gm->resolver, &r), 0);
	assert_int_equal(gm->n, 2);
	assert_string_equal(gm->mx[1].host, "mx2.r.test");

	memset(&rn, 0, sizeof(rn));
	for (int i = 0; i < EXPECT_NAMES_MAX; i++)
		snprintf(rn.name[rn.n++], EXPECT_NAME_MAX, "d%d.r.test", i);
	f.kind = EXPECT_F_MX_CLAIMS;
	f.name = "mx.r.test";
	f.value = &rn;
	assert_true(expect_restore(st, &f));
	assert_int_equal(expect_claims_of_host(st, "mx.r.test", hosts, EXPECT_NAMES_MAX),
			 EXPECT_NAMES_MAX);
	assert_string_equal(hosts[EXPECT_NAMES_MAX - 1], "d7.r.test");
	memset(&rn, 0, sizeof(rn));
	snprintf(rn.name[rn.n++], EXPECT_NAME_MAX, "mx.r.test");
	f.kind = EXPECT_F_HOSTS_OF_ADDR;
	f.name = "";
	f.addr = a.addr[11];
	f.value = &rn;
	assert_true(expect_restore(st, &f));
	assert_int_equal(expect_hosts_of_addr(st, &a.addr[11], T0, hosts, EXPECT_NAMES_MAX), 1);
	assert_string_equal(hosts[0], "mx.r.test");
	expect_free(st);
}

/* Names and addresses nothing was learned about give nothing. */
static void test_unknown_lookups(void **state)
{
	struct expect_store *st = store(0);
	struct expect_mxset s;
	struct mx_addr a;
	char d[2][EXPECT_NAME_MAX];
	bool live;

	(void)state;
	mxset(&s, EXPECT_DNSSEC, T0 + SEC(300), "mx1.example.test", NULL);
	expect_put_mx(st, "example.test", &s, T0);
	assert_true(mx_addr_parse(&a, "192.0.2.99"));
	assert_int_equal(expect_domains_of_host(st, "unclaimed.example.test", T0, d, 2), 0);
	assert_int_equal(expect_claims_of_host(st, "unclaimed.example.test", d, 2), 0);
	assert_int_equal(expect_hosts_of_addr(st, &a, T0, d, 2), 0);
	assert_null(expect_get_mx(st, "other.test", T0));
	assert_null(expect_get_addrs(st, "mx1.example.test", T0));
	assert_null(expect_get_tlsa(st, "mx1.example.test", 25, T0, &live));
	assert_false(live);
	assert_null(expect_get_sts(st, "example.test", T0, &live));
	assert_null(expect_history(st, &a, T0, false));
	assert_int_equal(expect_domains_of_host(st, "mx1.example.test", T0, d, 2), 1);
	expect_free(st);
}

/*
 * A server history: asking for it again with create keeps what the
 * caller wrote; a read-only look neither touches it nor shows it again.
 */
static void test_history_lookups(void **state)
{
	struct expect_store *st = store(0);
	struct mx_addr a;
	struct server_history *h;
	unsigned shown = 0;

	(void)state;
	assert_true(mx_addr_parse(&a, "198.51.100.25"));
	expect_set_observer(st, count_shown, &shown);
	h = expect_history(st, &a, T0, true);
	assert_non_null(h);
	assert_int_equal(h->last_seen_us, T0);
	h->sessions = 1;
	expect_flush_observed(st);
	assert_int_equal(shown, 1);
	h = expect_history(st, &a, T0 + SEC(100), true);
	assert_non_null(h);
	assert_int_equal(h->last_seen_us, T0);
	assert_int_equal(h->sessions, 1);
	h->last_seen_us = T0 + SEC(100);
	expect_flush_observed(st);
	assert_int_equal(shown, 2);
	h = expect_history(st, &a, T0 + SEC(200), false);
	assert_non_null(h);
	expect_flush_observed(st);
	assert_int_equal(shown, 2);
	expect_free(st);
}

/* Certificate keys of a server: newest first, four at most, a known one moved to the front. */
static void test_history_keys(void **state)
{
	struct server_history h;
	uint8_t k[6][32];

	(void)state;
	memset(&h, 0, sizeof(h));
	memset(k, 0, sizeof(k));
	for (int i = 0; i < 6; i++)
		k[i][0] = (uint8_t)(i + 1);
	for (int i = 0; i < 5; i++)
		expect_history_add_spki(&h, k[i], T0 + (uint64_t)i);
	assert_int_equal(h.n_spki, EXPECT_SPKI_MAX);
	assert_int_equal(h.spki_last_us, T0 + 4);
	/* 5 4 3 2: the first one dropped */
	for (int i = 0; i < 4; i++)
		assert_int_equal(h.spki_sha256[i][0], 5 - i);
	expect_history_add_spki(&h, k[2], T0 + 9);
	assert_int_equal(h.n_spki, EXPECT_SPKI_MAX);
	assert_int_equal(h.spki_sha256[0][0], 3);
	assert_int_equal(h.spki_sha256[1][0], 5);
	assert_int_equal(h.spki_sha256[2][0], 4);
	assert_int_equal(h.spki_sha256[3][0], 2);
	memset(&h, 0, sizeof(h));
	expect_history_add_spki(&h, k[0], T0);
	expect_history_add_spki(&h, k[1], T0);
	expect_history_add_spki(&h, k[1], T0);
	assert_int_equal(h.n_spki, 2);
	assert_int_equal(h.spki_sha256[0][0], 2);
	assert_int_equal(h.spki_sha256[1][0], 1);
}

/* An MTA-STS id is live while its TTL runs, then known as history. */
static void test_sts_live(void **state)
{
	struct expect_store *st = store(0);
	struct expect_sts s;
	bool live;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.trust = EXPECT_DNSSEC;
	s.expires_us = T0 + SEC(300);
	strcpy(s.id, "abc");
	expect_put_sts(st, "example.test", &s, T0);
	assert_non_null(expect_get_sts(st, "example.test", T0 + SEC(299), &live));
	assert_true(live);
	assert_non_null(expect_get_sts(st, "example.test", T0 + SEC(300), &live));
	assert_false(live);
	expect_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_removal),
	    cmocka_unit_test(test_mx_trust),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_tlsa_history),
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_memcap),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_restore_trust),
	    cmocka_unit_test(test_restore_trust_mx),
	    cmocka_unit_test(test_address_merge),
	    cmocka_unit_test(test_address_replace),
	    cmocka_unit_test(test_memcap_below_one_entry),
	    cmocka_unit_test(test_memcap_growth),
	    cmocka_unit_test(test_growth_in_chains),
	    cmocka_unit_test(test_hosts_of_addr_checked),
	    cmocka_unit_test(test_long_names_refused),
	    cmocka_unit_test(test_configured_tlsa_kept),
	    cmocka_unit_test(test_clear),
	    cmocka_unit_test(test_shown_once),
	    cmocka_unit_test(test_restore_values),
	    cmocka_unit_test(test_unknown_lookups),
	    cmocka_unit_test(test_history_lookups),
	    cmocka_unit_test(test_history_keys),
	    cmocka_unit_test(test_sts_live),
	    cmocka_unit_test(test_memcap_growth_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
