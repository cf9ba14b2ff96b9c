/*
 * test_resolver_ad.c - the resolver-AD trust decision (dnssec.trust-ad,
 * trusted-resolvers as addresses and prefixes), address prefixes, and the
 * table of resolver-AD observations: notes, the walk to the closest zone,
 * expiry by packet time, the bound with counted evictions (least recently
 * noted first), and the
 * insert/iterate pair a state store uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/resolver_ad.h"
#include "util/addr_prefix.h"

#define SEC(x) ((uint64_t)(x)*MX_USEC)
#define T0     SEC(1800000000)

static struct mx_addr addr(const char *s)
{
	struct mx_addr a;

	assert_true(mx_addr_parse(&a, s));
	return a;
}

static struct mx_prefix prefix(const char *s)
{
	struct mx_prefix p;

	assert_true(mx_prefix_parse(&p, s));
	return p;
}

static void test_prefixes(void **state)
{
	struct mx_prefix p;
	struct mx_addr a;
	char buf[64];

	(void)state;
	p = prefix("192.0.2.77/24");
	assert_string_equal(mx_prefix_str(&p, buf, sizeof(buf)), "192.0.2.0/24");
	a = addr("192.0.2.200");
	assert_true(mx_prefix_match(&p, &a));
	a = addr("192.0.3.1");
	assert_false(mx_prefix_match(&p, &a));
	a = addr("2001:db8::1");
	assert_false(mx_prefix_match(&p, &a));

	p = prefix("2001:db8::/32");
	a = addr("2001:db8:ffff::53");
	assert_true(mx_prefix_match(&p, &a));
	a = addr("2001:db9::53");
	assert_false(mx_prefix_match(&p, &a));

	p = prefix("192.0.2.53");
	assert_int_equal(p.bits, 128);
	assert_string_equal(mx_prefix_str(&p, buf, sizeof(buf)), "192.0.2.53");
	a = addr("192.0.2.54");
	assert_false(mx_prefix_match(&p, &a));

	p = prefix("0.0.0.0/0");
	a = addr("203.0.113.9");
	assert_true(mx_prefix_match(&p, &a));
	a = addr("2001:db8::9");
	assert_false(mx_prefix_match(&p, &a)); /* /0 of IPv4 is all of IPv4 only */

	assert_false(mx_prefix_parse(&p, "192.0.2.0/33"));
	assert_false(mx_prefix_parse(&p, "2001:db8::/129"));
	assert_false(mx_prefix_parse(&p, "192.0.2.0/"));
	assert_false(mx_prefix_parse(&p, "192.0.2.0/2x"));
	assert_false(mx_prefix_parse(&p, "192.0.2.0/-1"));
	assert_false(mx_prefix_parse(&p, "/24"));
	assert_false(mx_prefix_parse(&p, "resolver.test"));
}

static void test_decision(void **state)
{
	struct mx_prefix list[2];
	struct mx_addr r53 = addr("192.0.2.53"), r6 = addr("2001:db8::53"),
		       other = addr("198.51.100.53");

	(void)state;
	/* No list: the sending MTA believes its resolver, so does the sensor. */
	assert_int_equal(resolver_ad_decide(true, NULL, 0, &r53), RESOLVER_AD_COUNTS);
	assert_int_equal(resolver_ad_decide(true, NULL, 0, &other), RESOLVER_AD_COUNTS);
	/* trust-ad false: nothing counts, listed or not. */
	list[0] = prefix("192.0.2.0/24");
	assert_int_equal(resolver_ad_decide(false, NULL, 0, &r53), RESOLVER_AD_OFF);
	assert_int_equal(resolver_ad_decide(false, list, 1, &r53), RESOLVER_AD_OFF);
	/* A list: only its members count. */
	assert_int_equal(resolver_ad_decide(true, list, 1, &r53), RESOLVER_AD_COUNTS);
	assert_int_equal(resolver_ad_decide(true, list, 1, &other), RESOLVER_AD_NOT_LISTED);
	assert_int_equal(resolver_ad_decide(true, list, 1, &r6), RESOLVER_AD_NOT_LISTED);
	list[1] = prefix("2001:db8::53");
	assert_int_equal(resolver_ad_decide(true, list, 2, &r6), RESOLVER_AD_COUNTS);
}

static void test_walk_and_expiry(void **state)
{
	struct resolver_ad_table *t = resolver_ad_new(16, 3600);
	struct mx_addr r = addr("192.0.2.53"), other = addr("192.0.2.54");
	const struct resolver_ad_obs *o;

	(void)state;
	assert_non_null(t);
	resolver_ad_note(t, &r, "Example.TEST.", T0);
	resolver_ad_note(t, &r, "example.test", T0 + SEC(10));
	o = resolver_ad_find(t, &r, "_25._tcp.MX.example.test", true, T0 + SEC(20));
	assert_non_null(o);
	assert_string_equal(o->zone, "example.test");
	assert_int_equal(o->ad_answers, 2);
	assert_int_equal(o->first_ad_us, T0);
	assert_int_equal(o->last_ad_us, T0 + SEC(10));
	/* Another resolver, a sibling zone, a parent zone: nothing known. */
	assert_null(resolver_ad_find(t, &other, "mx.example.test", true, T0 + SEC(20)));
	assert_null(resolver_ad_find(t, &r, "plain.test", true, T0 + SEC(20)));
	assert_null(resolver_ad_find(t, &r, "test", true, T0 + SEC(20)));
	assert_null(resolver_ad_find(t, &r, "notexample.test", true, T0 + SEC(20)));
	/* Without the walk, only the zone itself. */
	assert_null(resolver_ad_find(t, &r, "mx.example.test", false, T0 + SEC(20)));
	assert_non_null(resolver_ad_find(t, &r, "example.test.", false, T0 + SEC(20)));
	/* The closest zone wins. */
	resolver_ad_note(t, &r, "sub.example.test", T0 + SEC(30));
	o = resolver_ad_find(t, &r, "mx.sub.example.test", true, T0 + SEC(40));
	assert_non_null(o);
	assert_string_equal(o->zone, "sub.example.test");
	/* Forgotten max-age after the last AD answer, counted. */
	assert_non_null(resolver_ad_find(t, &r, "example.test", true, T0 + SEC(10 + 3600)));
	assert_null(resolver_ad_find(t, &r, "example.test", true, T0 + SEC(10 + 3601)));
	assert_int_equal(resolver_ad_counters(t)->expired, 1);
	assert_int_equal(resolver_ad_counters(t)->entries, 1);
	resolver_ad_clear(t);
	assert_int_equal(resolver_ad_counters(t)->entries, 0);
	assert_null(resolver_ad_find(t, &r, "mx.sub.example.test", true, T0 + SEC(40)));
	resolver_ad_free(t);
}

static void count_obs(const struct resolver_ad_obs *o, void *arg)
{
	size_t *n = arg;

	(void)o;
	(*n)++;
}

static void test_bound(void **state)
{
	struct resolver_ad_table *t = resolver_ad_new(4, 86400);
	struct mx_addr r = addr("192.0.2.53");
	char zone[64];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(zone, sizeof(zone), "zone%d.test", i);
		resolver_ad_note(t, &r, zone, T0 + SEC(i));
	}
	assert_int_equal(resolver_ad_counters(t)->entries, 4);
	assert_int_equal(resolver_ad_counters(t)->inserts, 10);
	assert_int_equal(resolver_ad_counters(t)->evicted, 6);
	/* The oldest AD answers went first. */
	assert_null(resolver_ad_find(t, &r, "zone5.test", true, T0 + SEC(20)));
	assert_non_null(resolver_ad_find(t, &r, "zone6.test", true, T0 + SEC(20)));
	assert_non_null(resolver_ad_find(t, &r, "zone9.test", true, T0 + SEC(20)));
	resolver_ad_foreach(t, count_obs, &n);
	assert_int_equal(n, 4);
	/* A zone answered again is recent again: the next one out is zone7. */
	resolver_ad_note(t, &r, "zone6.test", T0 + SEC(30));
	resolver_ad_note(t, &r, "zone10.test", T0 + SEC(31));
	assert_non_null(resolver_ad_find(t, &r, "zone6.test", true, T0 + SEC(40)));
	assert_null(resolver_ad_find(t, &r, "zone7.test", true, T0 + SEC(40)));
	assert_int_equal(resolver_ad_counters(t)->evicted, 7);
	resolver_ad_free(t);
}

struct copy_ctx {
	struct resolver_ad_table *to;
};

static void copy_obs(const struct resolver_ad_obs *o, void *arg)
{
	struct copy_ctx *c = arg;

	assert_true(resolver_ad_insert(c->to, o));
}

static void test_insert_iterate(void **state)
{
	struct resolver_ad_table *a = resolver_ad_new(8, 86400), *b = resolver_ad_new(8, 86400);
	struct mx_addr r = addr("2001:db8::53");
	struct resolver_ad_obs bad;
	struct copy_ctx c = {b};
	const struct resolver_ad_obs *o;

	(void)state;
	resolver_ad_note(a, &r, "example.test", T0);
	resolver_ad_note(a, &r, "example.test", T0 + SEC(5));
	resolver_ad_note(a, &r, "other.test", T0 + SEC(7));
	resolver_ad_note(b, &r, "example.test", T0 + SEC(100));
	/* What one table holds goes into another (a store saving and loading). */
	resolver_ad_foreach(a, copy_obs, &c);
	o = resolver_ad_find(b, &r, "example.test", true, T0 + SEC(100));
	assert_non_null(o);
	assert_int_equal(o->ad_answers, 3);
	assert_int_equal(o->first_ad_us, T0);
	assert_int_equal(o->last_ad_us, T0 + SEC(100));
	assert_non_null(resolver_ad_find(b, &r, "other.test", true, T0 + SEC(100)));
	/* Malformed observations are refused. */
	memset(&bad, 0, sizeof(bad));
	bad.resolver = r;
	mx_strlcpy(bad.zone, "x.test", sizeof(bad.zone));
	assert_false(resolver_ad_insert(b, &bad)); /* no AD answer */
	bad.ad_answers = 1;
	bad.first_ad_us = T0 + 1;
	bad.last_ad_us = T0;
	assert_false(resolver_ad_insert(b, &bad)); /* first after last */
	memset(bad.zone, 'a', sizeof(bad.zone));
	bad.first_ad_us = T0;
	assert_false(resolver_ad_insert(b, &bad)); /* not terminated */
	resolver_ad_free(a);
	resolver_ad_free(b);
}

/* A table of no entries is refused; freeing no table is allowed. */
static void test_new_refused(void **state)
{
	(void)state;
	assert_null(resolver_ad_new(0, 3600));
	resolver_ad_free(NULL);
}

/* Zone names up to 255 bytes (a trailing dot aside) are kept; longer ones are not. */
static void test_long_zone(void **state)
{
	struct resolver_ad_table *t = resolver_ad_new(8, 3600);
	struct mx_addr r = addr("192.0.2.53");
	char z255[300], z256[300], dotted[300], empty[1] = "";

	(void)state;
	memset(z255, 'a', 255);
	z255[255] = '\0';
	memset(z256, 'b', 256);
	z256[256] = '\0';
	memcpy(dotted, z255, 255);
	memcpy(dotted + 255, ".", 2);
	resolver_ad_note(t, &r, z256, T0);
	assert_int_equal(resolver_ad_counters(t)->inserts, 0);
	assert_null(resolver_ad_find(t, &r, z256, true, T0));
	resolver_ad_note(t, &r, dotted, T0);
	assert_int_equal(resolver_ad_counters(t)->inserts, 1);
	assert_non_null(resolver_ad_find(t, &r, z255, false, T0));
	assert_non_null(resolver_ad_find(t, &r, dotted, false, T0));
	assert_null(resolver_ad_find(t, &r, empty, true, T0));
	resolver_ad_free(t);
}

/*
 * The least recently answered zone goes first, whatever its place in the
 * recency list; many zones in few buckets stay each findable until evicted.
 */
static void test_recency_order(void **state)
{
	struct resolver_ad_table *t = resolver_ad_new(4, 86400);
	struct resolver_ad_table *big = resolver_ad_new(64, 86400);
	struct mx_addr r = addr("192.0.2.53");
	char zone[64];

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(zone, sizeof(zone), "z%d.test", i);
		resolver_ad_note(t, &r, zone, T0 + SEC(i));
	}
	/* z1, in the middle of the recency list, answered again: z0, z2, z3 go first */
	resolver_ad_note(t, &r, "z1.test", T0 + SEC(10));
	resolver_ad_note(t, &r, "z4.test", T0 + SEC(12));
	assert_null(resolver_ad_find(t, &r, "z0.test", false, T0 + SEC(20)));
	resolver_ad_note(t, &r, "z5.test", T0 + SEC(13));
	assert_null(resolver_ad_find(t, &r, "z2.test", false, T0 + SEC(20)));
	assert_non_null(resolver_ad_find(t, &r, "z1.test", false, T0 + SEC(20)));
	resolver_ad_note(t, &r, "z6.test", T0 + SEC(14));
	assert_null(resolver_ad_find(t, &r, "z3.test", false, T0 + SEC(20)));
	assert_non_null(resolver_ad_find(t, &r, "z1.test", false, T0 + SEC(20)));
	assert_non_null(resolver_ad_find(t, &r, "z4.test", false, T0 + SEC(20)));
	assert_non_null(resolver_ad_find(t, &r, "z5.test", false, T0 + SEC(20)));
	assert_non_null(resolver_ad_find(t, &r, "z6.test", false, T0 + SEC(20)));
	assert_int_equal(resolver_ad_counters(t)->evicted, 3);
	assert_int_equal(resolver_ad_counters(t)->entries, 4);
	/* 64 entries in 64 buckets share chains: every one found, then all replaced */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 64; i++) {
			snprintf(zone, sizeof(zone), "r%d-%d.test", round, i);
			resolver_ad_note(big, &r, zone, T0 + SEC(round * 100 + i));
		}
		for (int i = 0; i < 64; i++) {
			const struct resolver_ad_obs *o;

			snprintf(zone, sizeof(zone), "r%d-%d.test", round, i);
			o = resolver_ad_find(big, &r, zone, false, T0 + SEC(round * 100 + 64));
			assert_non_null(o);
			assert_string_equal(o->zone, zone);
			assert_int_equal(o->ad_answers, 1);
			if (round > 0) {
				snprintf(zone, sizeof(zone), "r%d-%d.test", round - 1, i);
				assert_null(resolver_ad_find(big, &r, zone, false,
							     T0 + SEC(round * 100 + 64)));
			}
		}
		assert_int_equal(resolver_ad_counters(big)->entries, 64);
	}
	assert_int_equal(resolver_ad_counters(big)->evicted, 128);
	/* every entry expired by a lookup, one by one, out of every chain */
	for (int i = 0; i < 64; i++) {
		snprintf(zone, sizeof(zone), "r2-%d.test", (i * 29) % 64);
		assert_null(resolver_ad_find(big, &r, zone, false, T0 + SEC(300 + 86400)));
	}
	assert_int_equal(resolver_ad_counters(big)->expired, 64);
	assert_int_equal(resolver_ad_counters(big)->entries, 0);
	/* and the freed slots take new zones */
	for (int i = 0; i < 64; i++) {
		snprintf(zone, sizeof(zone), "n%d.test", i);
		resolver_ad_note(big, &r, zone, T0 + SEC(400000));
	}
	assert_int_equal(resolver_ad_counters(big)->evicted, 128);
	assert_non_null(resolver_ad_find(big, &r, "n0.test", false, T0 + SEC(400000)));
	assert_non_null(resolver_ad_find(big, &r, "n63.test", false, T0 + SEC(400000)));
	resolver_ad_free(t);
	resolver_ad_free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefixes),	    cmocka_unit_test(test_decision),
	    cmocka_unit_test(test_walk_and_expiry), cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_insert_iterate),  cmocka_unit_test(test_new_refused),
	    cmocka_unit_test(test_long_zone),	    cmocka_unit_test(test_recency_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
