/*
 * test_threshold.c - thresholds (limit, threshold, both; tracked by_src,
 * by_dst, by_domain, by_rule; windows in packet time), suppressions (by
 * IPv4/IPv6 address and network, domain with and without subdomains, MX
 * host), the bounded state table with its eviction counter, CIDR parsing,
 * and the loader's errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/threshold.h"

#define SEC(s) ((uint64_t)(s)*MX_USEC)

struct fixture {
	struct ydoc *doc;
	struct threshold_set set;
	struct threshold_ctx *ctx;
};

/* Loads thresholds/suppress from YAML text; fails the test on any error. */
static void setup(struct fixture *fx, const char *yaml, uint32_t table)
{
	struct mx_errors errs;
	const struct ydoc_node *v;

	mx_errors_init(&errs);
	fx->doc = ydoc_parse("t.yaml", yaml, strlen(yaml), NULL, &errs);
	assert_non_null(fx->doc);
	threshold_set_init(&fx->set);
	if ((v = ydoc_map_get(ydoc_root(fx->doc), "thresholds")) != NULL &&
	    !threshold_set_load_thresholds(&fx->set, v, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
	if ((v = ydoc_map_get(ydoc_root(fx->doc), "suppress")) != NULL &&
	    !threshold_set_load_suppress(&fx->set, v, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
	fx->ctx = threshold_ctx_new(&fx->set, table);
	assert_non_null(fx->ctx);
}

static void teardown(struct fixture *fx)
{
	threshold_ctx_free(fx->ctx);
	threshold_set_free(&fx->set);
	ydoc_free(fx->doc);
}

static struct mx_addr addr(const char *s)
{
	struct mx_addr a;

	assert_true(mx_addr_parse(&a, s));
	return a;
}

/* One alert of sid at time t (seconds) from src to dst for domain/mx. */
static enum thr_verdict ev(struct fixture *fx, uint32_t sid, double t, const char *src,
			   const char *dst, const char *domain, const char *mx)
{
	struct mx_addr s, d;
	struct thr_event e = {sid, (uint64_t)(t * 1e6), NULL, NULL, domain, mx};

	if (src != NULL) {
		s = addr(src);
		e.src = &s;
	}
	if (dst != NULL) {
		d = addr(dst);
		e.dst = &d;
	}
	return threshold_check(fx->ctx, &e);
}

#define A "192.0.2.1"
#define B "192.0.2.2"
#define C "198.51.100.7"

static void test_limit_by_src(void **state)
{
	struct fixture fx;
	const struct threshold_counters *c;

	(void)state;
	setup(&fx, "thresholds: [{sid: 7, type: limit, track: by_src, count: 2, seconds: 60}]\n",
	      64);
	assert_int_equal(ev(&fx, 7, 0, A, C, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 7, 1, A, C, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 7, 2, A, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 59.9, A, B, NULL, NULL), THR_DROPPED);
	/* another source has its own count */
	assert_int_equal(ev(&fx, 7, 3, B, C, NULL, NULL), THR_PASS);
	/* another sid has no threshold */
	assert_int_equal(ev(&fx, 8, 3, A, C, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 8, 3, A, C, NULL, NULL), THR_PASS);
	/* the window (packet time) expires 60 s after its first event */
	assert_int_equal(ev(&fx, 7, 60, A, C, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 7, 61, A, C, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 7, 62, A, C, NULL, NULL), THR_DROPPED);
	/* time going backwards counts as no time passing */
	assert_int_equal(ev(&fx, 7, 10, A, C, NULL, NULL), THR_DROPPED);
	c = threshold_ctx_counters(fx.ctx);
	assert_int_equal(c->checked, 11);
	assert_int_equal(c->passed, 7);
	assert_int_equal(c->threshold_dropped, 4);
	assert_int_equal(c->suppressed, 0);
	assert_int_equal(c->state_entries, 2);
	teardown(&fx);
}

static void test_threshold_by_dst(void **state)
{
	struct fixture fx;

	(void)state;
	setup(&fx,
	      "thresholds: [{sid: 7, type: threshold, track: by_dst, count: 3, seconds: 10}]\n",
	      64);
	/* every third event within the window alerts */
	assert_int_equal(ev(&fx, 7, 0, A, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 1, B, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 2, A, C, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 7, 3, A, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 4, A, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 5, A, C, NULL, NULL), THR_PASS);
	/* other destination: separate count */
	assert_int_equal(ev(&fx, 7, 5, A, B, NULL, NULL), THR_DROPPED);
	/* window expiry resets the count */
	assert_int_equal(ev(&fx, 7, 9, A, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 10, A, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 11, A, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 12, A, C, NULL, NULL), THR_PASS);
	teardown(&fx);
}

static void test_both_by_domain(void **state)
{
	struct fixture fx;

	(void)state;
	setup(&fx, "thresholds: [{sid: 7, type: both, track: by_domain, count: 2, seconds: 30}]\n",
	      64);
	/* one alert per window once count events were seen, per domain */
	assert_int_equal(ev(&fx, 7, 0, A, C, "example.test", NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 1, B, B, "EXAMPLE.test.", NULL), THR_PASS);
	assert_int_equal(ev(&fx, 7, 2, A, C, "example.test", NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 29, A, C, "example.test", NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 3, A, C, "other.test", NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 4, A, C, "other.test", NULL), THR_PASS);
	/* events without a domain share one empty key */
	assert_int_equal(ev(&fx, 7, 5, A, C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 6, B, B, NULL, NULL), THR_PASS);
	/* next window */
	assert_int_equal(ev(&fx, 7, 30, A, C, "example.test", NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 31, A, C, "example.test", NULL), THR_PASS);
	assert_int_equal(ev(&fx, 7, 32, A, C, "example.test", NULL), THR_DROPPED);
	teardown(&fx);
}

static void test_by_rule_and_default(void **state)
{
	struct fixture fx;

	(void)state;
	setup(&fx,
	      "thresholds:\n"
	      "  - {sid: 0, type: limit, track: by_rule, count: 1, seconds: 100}\n"
	      "  - {sid: 5, type: limit, track: by_src, count: 3, seconds: 100}\n",
	      64);
	/* sid 0 is the default: one alert per rule per window, any address */
	assert_int_equal(ev(&fx, 9, 0, A, C, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 9, 1, B, B, "x.test", NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 10, 1, B, B, NULL, NULL), THR_PASS);
	/* a sid's own threshold replaces the default */
	for (int i = 0; i < 3; i++)
		assert_int_equal(ev(&fx, 5, i, A, C, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 5, 4, A, C, NULL, NULL), THR_DROPPED);
	/* an event with no address tracks under the empty value */
	assert_int_equal(ev(&fx, 5, 4, NULL, NULL, NULL, NULL), THR_PASS);
	teardown(&fx);
}

static void test_suppress_addresses(void **state)
{
	struct fixture fx;

	(void)state;
	setup(&fx,
	      "suppress:\n"
	      "  - {sid: 1, track: by_src, ip: 192.0.2.1}\n"
	      "  - {sid: 2, track: by_dst, ip: 198.51.100.0/24}\n"
	      "  - {sid: 3, ip: \"2001:db8:1::/48\"}\n"
	      "  - {sid: 4, ip: \"2001:db8::25\"}\n"
	      "  - {sid: 0, ip: 203.0.113.0/25}\n"
	      "thresholds: [{sid: 1, type: limit, track: by_rule, count: 1, seconds: 60}]\n",
	      64);
	/* by_src address */
	assert_int_equal(ev(&fx, 1, 0, A, C, NULL, NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 1, 0, C, A, NULL, NULL), THR_PASS);
	/* suppressed alerts did not count toward the limit, this one did */
	assert_int_equal(ev(&fx, 1, 1, B, C, NULL, NULL), THR_DROPPED);
	/* by_dst network */
	assert_int_equal(ev(&fx, 2, 0, A, "198.51.100.200", NULL, NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 2, 0, "198.51.100.200", A, NULL, NULL), THR_PASS);
	assert_int_equal(ev(&fx, 2, 0, A, "198.51.101.1", NULL, NULL), THR_PASS);
	/* IPv6 network, either direction */
	assert_int_equal(ev(&fx, 3, 0, "2001:db8:1:ffff::1", A, NULL, NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 3, 0, A, "2001:db8:1::9", NULL, NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 3, 0, A, "2001:db8:2::9", NULL, NULL), THR_PASS);
	/* IPv6 address: exact */
	assert_int_equal(ev(&fx, 4, 0, "2001:db8::25", A, NULL, NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 4, 0, "2001:db8::26", A, NULL, NULL), THR_PASS);
	/* sid 0: every rule; /25 boundary */
	assert_int_equal(ev(&fx, 99, 0, "203.0.113.127", A, NULL, NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 4, 0, A, "203.0.113.1", NULL, NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 99, 0, "203.0.113.128", A, NULL, NULL), THR_PASS);
	/* an IPv4 network does not match the same bits written as IPv6 */
	assert_int_equal(ev(&fx, 99, 0, "::cb00:7101", A, NULL, NULL), THR_PASS);
	/* no addresses at all */
	assert_int_equal(ev(&fx, 2, 0, NULL, NULL, NULL, NULL), THR_PASS);
	assert_int_equal(threshold_ctx_counters(fx.ctx)->suppressed, 7);
	teardown(&fx);
}

static void test_suppress_names(void **state)
{
	struct fixture fx;

	(void)state;
	setup(&fx,
	      "suppress:\n"
	      "  - {sid: 1, domain: example.test}\n"
	      "  - {sid: 2, domain: Example.TEST., subdomains: true}\n"
	      "  - {sid: 3, mx: MX1.example.test}\n",
	      64);
	/* exact domain only */
	assert_int_equal(ev(&fx, 1, 0, A, C, "example.test", NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 1, 0, A, C, "EXAMPLE.TEST.", NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 1, 0, A, C, "sub.example.test", NULL), THR_PASS);
	assert_int_equal(ev(&fx, 1, 0, A, C, NULL, NULL), THR_PASS);
	/* the domain and every name below it */
	assert_int_equal(ev(&fx, 2, 0, A, C, "example.test", NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 2, 0, A, C, "a.b.Example.test", NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 2, 0, A, C, "badexample.test", NULL), THR_PASS);
	assert_int_equal(ev(&fx, 2, 0, A, C, "example.test.evil", NULL), THR_PASS);
	/* MX host, exact */
	assert_int_equal(ev(&fx, 3, 0, A, C, "example.test", "mx1.example.test"), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 3, 0, A, C, "example.test", "mx2.example.test"), THR_PASS);
	assert_int_equal(ev(&fx, 3, 0, A, C, "example.test", "a.mx1.example.test"), THR_PASS);
	/* a suppression for another sid does not apply */
	assert_int_equal(ev(&fx, 4, 0, A, C, "example.test", "mx1.example.test"), THR_PASS);
	teardown(&fx);
}

static void test_eviction(void **state)
{
	struct fixture fx;
	char src[32];
	const struct threshold_counters *c;

	(void)state;
	setup(&fx, "thresholds: [{sid: 7, type: limit, track: by_src, count: 1, seconds: 3600}]\n",
	      10); /* rounded up to 16 entries */
	for (int i = 0; i < 16; i++) {
		snprintf(src, sizeof(src), "10.0.0.%d", i);
		assert_int_equal(ev(&fx, 7, i, src, C, NULL, NULL), THR_PASS);
	}
	/* touch 10.0.0.0 so 10.0.0.1 becomes the oldest */
	assert_int_equal(ev(&fx, 7, 20, "10.0.0.0", C, NULL, NULL), THR_DROPPED);
	c = threshold_ctx_counters(fx.ctx);
	assert_int_equal(c->state_entries, 16);
	assert_int_equal(c->state_evicted, 0);
	/* a 17th source evicts the least recently used entry */
	assert_int_equal(ev(&fx, 7, 21, "10.0.0.16", C, NULL, NULL), THR_PASS);
	assert_int_equal(c->state_evicted, 1);
	/* 10.0.0.1 lost its state: it alerts again (and evicts 10.0.0.2) */
	assert_int_equal(ev(&fx, 7, 22, "10.0.0.1", C, NULL, NULL), THR_PASS);
	assert_int_equal(c->state_evicted, 2);
	/* the recently used ones kept theirs */
	assert_int_equal(ev(&fx, 7, 23, "10.0.0.0", C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 23, "10.0.0.15", C, NULL, NULL), THR_DROPPED);
	assert_int_equal(ev(&fx, 7, 23, "10.0.0.16", C, NULL, NULL), THR_DROPPED);
	assert_int_equal(c->state_evicted, 2);
	assert_int_equal(c->state_entries, 16);
	/* many more sources: the table never grows */
	for (int i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 256, i % 256);
		ev(&fx, 7, 30 + i, src, C, NULL, NULL);
	}
	assert_int_equal(c->state_entries, 16);
	assert_int_equal(c->state_evicted, 1002);
	teardown(&fx);
}

static void test_counter_table(void **state)
{
	struct fixture fx;
	const struct threshold_counters *c;
	bool seen_sup = false, seen_drop = false;
	size_t n = 0;

	(void)state;
	setup(&fx,
	      "thresholds: [{sid: 7, type: limit, track: by_src, count: 1, seconds: 60}]\n"
	      "suppress: [{sid: 8, ip: 192.0.2.1}]\n",
	      64);
	ev(&fx, 7, 0, A, C, NULL, NULL);
	ev(&fx, 7, 0, A, C, NULL, NULL);
	ev(&fx, 8, 0, A, C, NULL, NULL);
	c = threshold_ctx_counters(fx.ctx);
	for (const struct mx_counter_desc *d = threshold_counter_desc; d->name != NULL; d++) {
		if (strcmp(d->name, "alerts.suppressed") == 0) {
			assert_int_equal(mx_counter_get(c, d), 1);
			seen_sup = true;
		}
		if (strcmp(d->name, "alerts.threshold_dropped") == 0) {
			assert_int_equal(mx_counter_get(c, d), 1);
			seen_drop = true;
		}
		n++;
	}
	assert_true(seen_sup && seen_drop);
	assert_int_equal(n, 6);
	assert_string_equal(thr_type_name(THR_TYPE_BOTH), "both");
	assert_string_equal(thr_track_name(THR_TRACK_BY_DOMAIN), "by_domain");
	teardown(&fx);
}

static void test_cidr(void **state)
{
	struct mx_addr net, a;
	uint8_t prefix = 0;
	const char *why = NULL;

	(void)state;
	assert_true(threshold_parse_cidr("192.0.2.0/24", &net, &prefix, &why));
	assert_int_equal(prefix, 120);
	a = addr("192.0.2.255");
	assert_true(threshold_cidr_match(&net, prefix, &a));
	a = addr("192.0.3.0");
	assert_false(threshold_cidr_match(&net, prefix, &a));
	assert_true(threshold_parse_cidr("10.0.0.0/9", &net, &prefix, &why));
	a = addr("10.127.255.255");
	assert_true(threshold_cidr_match(&net, prefix, &a));
	a = addr("10.128.0.0");
	assert_false(threshold_cidr_match(&net, prefix, &a));
	assert_true(threshold_parse_cidr("0.0.0.0/0", &net, &prefix, &why));
	assert_int_equal(prefix, 96);
	assert_true(threshold_parse_cidr("::/0", &net, &prefix, &why));
	assert_int_equal(prefix, 0);
	a = addr("192.0.2.1");
	assert_true(threshold_cidr_match(&net, prefix, &a));
	assert_true(threshold_parse_cidr("2001:db8::1", &net, &prefix, &why));
	assert_int_equal(prefix, 128);

	assert_false(threshold_parse_cidr("192.0.2.1/24", &net, &prefix, &why));
	assert_string_equal(why, "host bits set beyond the prefix length");
	assert_false(threshold_parse_cidr("192.0.2.0/33", &net, &prefix, &why));
	assert_string_equal(why, "prefix length above 32");
	assert_false(threshold_parse_cidr("2001:db8::/129", &net, &prefix, &why));
	assert_string_equal(why, "prefix length above 128");
	assert_false(threshold_parse_cidr("192.0.2.0/", &net, &prefix, &why));
	assert_false(threshold_parse_cidr("192.0.2.0/2x", &net, &prefix, &why));
	assert_false(threshold_parse_cidr("192.0.2.0/0024", &net, &prefix, &why));
	assert_false(threshold_parse_cidr("/24", &net, &prefix, &why));
	assert_false(threshold_parse_cidr("example.test/24", &net, &prefix, &why));
	assert_false(threshold_parse_cidr("192.0.2/24", &net, &prefix, &why));
}

struct bad_case {
	const char *yaml;
	const char *error;
};

static void test_load_errors(void **state)
{
	static const struct bad_case cases[] = {
	    {"thresholds: [{sid: 1, type: rate, track: by_src, count: 1, seconds: 1}]",
	     "b.yaml:1:29: bad value 'rate' for 'type' (expected limit, threshold or both)"},
	    {"thresholds: [{sid: 1, type: limit, track: by_flow, count: 1, seconds: 1}]",
	     "b.yaml:1:43: bad value 'by_flow' for 'track' (expected by_src, by_dst, by_domain "
	     "or by_rule)"},
	    {"thresholds: [{sid: 1, type: limit, track: by_src, count: 0, seconds: 1}]",
	     "b.yaml:1:58: value out of range for 'count': 0 (allowed 1..1000000000)"},
	    {"thresholds: [{sid: 1, type: limit, track: by_src, seconds: 1}]",
	     "b.yaml:1:14: missing required field 'count' in threshold"},
	    {"thresholds: [{sid: 1, type: limit, track: by_src, count: 1, seconds: 1, x: 1}]",
	     "b.yaml:1:73: unknown key 'x' in threshold"},
	    {"thresholds:\n - {sid: 1, type: limit, track: by_src, count: 1, seconds: 1}\n"
	     " - {sid: 1, type: both, track: by_dst, count: 1, seconds: 1}",
	     "b.yaml:3:10: duplicate threshold for sid 1 (first at b.yaml:2:4)"},
	    {"suppress: [{sid: 1, ip: 192.0.2.1/24}]",
	     "b.yaml:1:25: bad CIDR '192.0.2.1/24': host bits set beyond the prefix length"},
	    {"suppress: [{sid: 1, ip: 192.0.2.0/24, domain: a.test}]",
	     "b.yaml:1:12: give only one of 'ip', 'domain' or 'mx' in suppress"},
	    {"suppress: [{sid: 1}]",
	     "b.yaml:1:12: missing required field: one of 'ip', 'domain' or 'mx' in suppress"},
	    {"suppress: [{ip: 192.0.2.1}]",
	     "b.yaml:1:12: missing required field 'sid' in suppress"},
	    {"suppress: [{sid: 1, domain: a.test, track: by_src}]",
	     "b.yaml:1:44: 'track' applies only to 'ip' in suppress"},
	    {"suppress: [{sid: 1, mx: a.test, subdomains: true}]",
	     "b.yaml:1:45: 'subdomains' applies only to 'domain' in suppress"},
	    {"suppress: [{sid: 1, ip: 192.0.2.1, track: by_rule}]",
	     "b.yaml:1:43: bad value 'by_rule' for 'track' (expected by_src or by_dst)"},
	    {"suppress: [{sid: 1, domain: \"a b.test\"}]",
	     "b.yaml:1:29: bad domain 'a b.test': character not allowed in a host name"},
	    {"suppress: {sid: 1}", "b.yaml:1:11: wrong type for 'suppress': expected a sequence, "
				   "got a mapping"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mx_errors errs;
		struct threshold_set set;
		struct ydoc *d;
		const struct ydoc_node *v;
		bool ok = true;

		mx_errors_init(&errs);
		d = ydoc_parse("b.yaml", cases[i].yaml, strlen(cases[i].yaml), NULL, &errs);
		assert_non_null(d);
		threshold_set_init(&set);
		if ((v = ydoc_map_get(ydoc_root(d), "thresholds")) != NULL)
			ok &= threshold_set_load_thresholds(&set, v, &errs);
		if ((v = ydoc_map_get(ydoc_root(d), "suppress")) != NULL)
			ok &= threshold_set_load_suppress(&set, v, &errs);
		if (ok)
			fail_msg("case %zu accepted", i);
		if (mx_errors_count(&errs) != 1 || strcmp(mx_errors_get(&errs, 0), cases[i].error))
			fail_msg("case %zu: %zu errors, first:\n  %s\nexpected:\n  %s", i,
				 mx_errors_count(&errs), mx_errors_get(&errs, 0), cases[i].error);
		threshold_set_free(&set);
		ydoc_free(d);
	}
}

/*
 * Several per-sid thresholds given out of order: each sid gets its own
 * (the lookup is by sorted sid), a sid without one falls to sid 0.
 */
static void test_many_sids(void **state)
{
	struct fixture fx;
	static const uint32_t sids[] = {30, 10, 50, 20, 40};
	int passed;

	(void)state;
	setup(&fx,
	      "thresholds:\n"
	      "  - {sid: 30, type: limit, track: by_src, count: 3, seconds: 600}\n"
	      "  - {sid: 10, type: limit, track: by_src, count: 1, seconds: 600}\n"
	      "  - {sid: 50, type: limit, track: by_src, count: 5, seconds: 600}\n"
	      "  - {sid: 0, type: limit, track: by_src, count: 7, seconds: 600}\n"
	      "  - {sid: 20, type: limit, track: by_src, count: 2, seconds: 600}\n"
	      "  - {sid: 40, type: limit, track: by_src, count: 4, seconds: 600}\n",
	      64);
	for (size_t k = 0; k < sizeof(sids) / sizeof(sids[0]); k++) {
		passed = 0;
		for (int i = 0; i < 10; i++)
			passed += ev(&fx, sids[k], i, A, C, NULL, NULL) == THR_PASS;
		assert_int_equal(passed, (int)sids[k] / 10);
	}
	passed = 0;
	for (int i = 0; i < 10; i++)
		passed += ev(&fx, 25, i, A, C, NULL, NULL) == THR_PASS;
	assert_int_equal(passed, 7);
	teardown(&fx);
	threshold_ctx_free(NULL);
}

/*
 * A small table under churn: states of different sids and sources sharing
 * a bucket stay apart, an evicted entry leaves its chain, and the sources
 * touched recently keep their state.
 */
static void test_table_churn(void **state)
{
	struct fixture fx;
	char src[32], old[32];
	const struct threshold_counters *c;

	(void)state;
	setup(&fx, "thresholds: [{sid: 0, type: limit, track: by_src, count: 1, seconds: 3600}]\n",
	      16);
	/* one source, many sids: every first alert of a sid passes */
	for (uint32_t sid = 1; sid <= 12; sid++)
		assert_int_equal(ev(&fx, sid, 0, A, C, NULL, NULL), THR_PASS);
	for (uint32_t sid = 1; sid <= 12; sid++)
		assert_int_equal(ev(&fx, sid, 1, A, C, NULL, NULL), THR_DROPPED);
	/* many sources through 16 entries: new ones pass, the last few are kept */
	for (int i = 0; i < 600; i++) {
		snprintf(src, sizeof(src), "10.2.%d.%d", i / 256, i % 256);
		assert_int_equal(ev(&fx, 9, 10 + i, src, C, NULL, NULL), THR_PASS);
		assert_int_equal(ev(&fx, 9, 10 + i, src, C, NULL, NULL), THR_DROPPED);
		if (i >= 4) {
			snprintf(old, sizeof(old), "10.2.%d.%d", (i - 4) / 256, (i - 4) % 256);
			assert_int_equal(ev(&fx, 9, 10 + i, old, C, NULL, NULL), THR_DROPPED);
		}
	}
	c = threshold_ctx_counters(fx.ctx);
	assert_int_equal(c->state_entries, 16);
	teardown(&fx);
}

/* Subdomain suppression needs a whole label: not the parent's suffix. */
static void test_suppress_subdomain_edges(void **state)
{
	struct fixture fx;

	(void)state;
	setup(&fx,
	      "suppress:\n"
	      "  - {sid: 5, domain: lab.test, subdomains: true}\n"
	      "  - {sid: 6, domain: lab.test, subdomains: false}\n",
	      16);
	assert_int_equal(ev(&fx, 5, 0, A, C, "x.lab.test", NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 5, 0, A, C, "xlab.test", NULL), THR_PASS);
	assert_int_equal(ev(&fx, 5, 0, A, C, ".lab.test", NULL), THR_PASS);
	assert_int_equal(ev(&fx, 5, 0, A, C, "lab.test", NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 5, 0, A, C, "ab.test", NULL), THR_PASS);
	assert_int_equal(ev(&fx, 6, 0, A, C, "x.lab.test", NULL), THR_PASS);
	assert_int_equal(ev(&fx, 6, 0, A, C, "lab.test", NULL), THR_SUPPRESSED);
	assert_int_equal(ev(&fx, 5, 0, A, C, NULL, "x.lab.test"), THR_PASS);
	teardown(&fx);
}

/* Entries of the wrong shape: one error each, at the entry, nothing loaded. */
static void test_load_shape_errors(void **state)
{
	static const struct bad_case cases[] = {
	    {"thresholds: [{sid: 1, type: [limit], track: by_src, count: 1, seconds: 1}]",
	     "b.yaml:1:29: wrong type for 'type': expected a string, got a sequence"},
	    {"thresholds: [limit]",
	     "b.yaml:1:14: wrong type for 'thresholds': expected a mapping, got a scalar"},
	    {"thresholds: {sid: 1}",
	     "b.yaml:1:13: wrong type for 'thresholds': expected a sequence, got a mapping"},
	    {"suppress: [192.0.2.1]",
	     "b.yaml:1:12: wrong type for 'suppress': expected a mapping, got a scalar"},
	    {"suppress: [{sid: 1, ip: [192.0.2.1]}]",
	     "b.yaml:1:25: wrong type for 'ip': expected a string, got a sequence"},
	    {"suppress: [{sid: 1, domain: [a.test]}]",
	     "b.yaml:1:29: wrong type for 'domain': expected a string, got a sequence"},
	    {"suppress: [{sid: 1, mx: {a: b}}]",
	     "b.yaml:1:25: wrong type for 'mx': expected a string, got a mapping"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mx_errors errs;
		struct threshold_set set;
		struct ydoc *d;
		const struct ydoc_node *v;
		bool ok = true;

		mx_errors_init(&errs);
		d = ydoc_parse("b.yaml", cases[i].yaml, strlen(cases[i].yaml), NULL, &errs);
		assert_non_null(d);
		threshold_set_init(&set);
		if ((v = ydoc_map_get(ydoc_root(d), "thresholds")) != NULL)
			ok &= threshold_set_load_thresholds(&set, v, &errs);
		if ((v = ydoc_map_get(ydoc_root(d), "suppress")) != NULL)
			ok &= threshold_set_load_suppress(&set, v, &errs);
		if (ok)
			fail_msg("case %zu accepted", i);
		if (mx_errors_count(&errs) != 1 || strcmp(mx_errors_get(&errs, 0), cases[i].error))
			fail_msg("case %zu: %zu errors, first:\n  %s\nexpected:\n  %s", i,
				 mx_errors_count(&errs), mx_errors_get(&errs, 0), cases[i].error);
		assert_int_equal(set.n_thr + set.n_sup, 0);
		threshold_set_free(&set);
		ydoc_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit_by_src),
	    cmocka_unit_test(test_threshold_by_dst),
	    cmocka_unit_test(test_both_by_domain),
	    cmocka_unit_test(test_by_rule_and_default),
	    cmocka_unit_test(test_suppress_addresses),
	    cmocka_unit_test(test_suppress_names),
	    cmocka_unit_test(test_eviction),
	    cmocka_unit_test(test_counter_table),
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_many_sids),
	    cmocka_unit_test(test_table_churn),
	    cmocka_unit_test(test_suppress_subdomain_edges),
	    cmocka_unit_test(test_load_shape_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
