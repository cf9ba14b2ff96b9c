/*
 * test_incident.c - unit tests of the incident table: retries of one DNS
 * alert merge into the first (counted, not written), another resolver or
 * another MX host opens its own incident, the window closes an incident,
 * an SMTP alert about the same domain and MX joins the newest open one,
 * kinds that are separate attempts (dns-answer-race) and alerts without a
 * domain or MX are never grouped, ids count from 1, a full bucket evicts
 * its least recently used incident, and replacing closed incidents is not
 * counted as an eviction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "correlate/incident.h"

#define S(x) ((uint64_t)(x)*MX_USEC)

static struct mx_addr addr(uint8_t last)
{
	struct mx_addr a;
	uint8_t v4[4] = {192, 0, 2, last};

	mx_addr_from_v4(&a, v4);
	return a;
}

static void test_retries_merge(void **state)
{
	struct incident_table *t = incident_table_new();
	struct mx_addr r1 = addr(53), r2 = addr(54);
	struct incident_key k = {KIND_MX_REDIRECT, "example.test", "evil.example.test", &r1};
	struct incident_ref ref;

	(void)state;
	assert_non_null(t);
	assert_int_equal(incident_note(t, &k, S(100), &ref), INCIDENT_NEW);
	assert_int_equal(ref.id, 1);
	assert_int_equal(ref.count, 1);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(incident_note(t, &k, S(100 + i), &ref), INCIDENT_MERGED);
		assert_int_equal(ref.id, 1);
		assert_int_equal(ref.count, 1 + i);
		assert_int_equal(ref.first_us, S(100));
		assert_int_equal(ref.last_us, S(100 + i));
	}
	/* The same answer through another resolver: an incident of its own. */
	k.resolver = &r2;
	assert_int_equal(incident_note(t, &k, S(110), &ref), INCIDENT_NEW);
	assert_int_equal(ref.id, 2);
	/* Another kind on the same answer too. */
	k.kind = KIND_DNSSEC_STRIPPED;
	assert_int_equal(incident_note(t, &k, S(110), &ref), INCIDENT_NEW);
	assert_int_equal(ref.id, 3);
	/* Case does not make another domain. */
	k = (struct incident_key){KIND_MX_REDIRECT, "EXAMPLE.test", "Evil.example.test", &r1};
	assert_int_equal(incident_note(t, &k, S(111), &ref), INCIDENT_MERGED);
	assert_int_equal(ref.id, 1);
	assert_int_equal(incident_counters(t)->merged, 6);
	assert_int_equal(incident_counters(t)->opened, 3);
	incident_table_free(t);
}

static void test_window_closes(void **state)
{
	struct incident_table *t = incident_table_new();
	struct mx_addr r = addr(53);
	struct incident_key k = {KIND_TLSA_STRIPPED, NULL, "mx1.example.test", &r};
	struct incident_ref ref;

	(void)state;
	assert_int_equal(incident_note(t, &k, S(1000), &ref), INCIDENT_NEW);
	/* Within the window of the last one, the incident goes on. */
	assert_int_equal(incident_note(t, &k, S(1000 + INCIDENT_WINDOW_S), &ref), INCIDENT_MERGED);
	assert_int_equal(incident_note(t, &k, S(1000 + 2 * INCIDENT_WINDOW_S), &ref),
			 INCIDENT_MERGED);
	/* Quiet for longer than the window: a new incident. */
	assert_int_equal(incident_note(t, &k, S(1001 + 3 * INCIDENT_WINDOW_S), &ref), INCIDENT_NEW);
	assert_int_equal(ref.id, 2);
	assert_int_equal(ref.count, 1);
	incident_table_free(t);
}

static void test_smtp_joins(void **state)
{
	struct incident_table *t = incident_table_new();
	struct mx_addr r1 = addr(53), r2 = addr(54);
	struct incident_key dns = {KIND_MX_REDIRECT, "example.test", "evil.example.test", &r1};
	struct incident_key smtp = {KIND_MX_REDIRECT, "example.test", "evil.example.test", NULL};
	struct incident_ref ref;

	(void)state;
	/* No DNS incident yet: the SMTP alert stands alone. */
	assert_int_equal(incident_note(t, &smtp, S(5), &ref), INCIDENT_NONE);
	assert_int_equal(ref.id, 0);
	assert_int_equal(incident_note(t, &dns, S(10), &ref), INCIDENT_NEW);
	assert_int_equal(incident_note(t, &dns, S(11), &ref), INCIDENT_MERGED);
	dns.resolver = &r2;
	assert_int_equal(incident_note(t, &dns, S(12), &ref), INCIDENT_NEW);
	assert_int_equal(ref.id, 2);
	/* The delivery joins the newest open one; it is written, and counted. */
	assert_int_equal(incident_note(t, &smtp, S(20), &ref), INCIDENT_JOINED);
	assert_int_equal(ref.id, 2);
	assert_int_equal(ref.count, 2);
	assert_int_equal(ref.first_us, S(12));
	assert_int_equal(ref.last_us, S(20));
	/* Each session is a harm of its own: the second one is written too. */
	assert_int_equal(incident_note(t, &smtp, S(21), &ref), INCIDENT_JOINED);
	assert_int_equal(ref.count, 3);
	/* Another MX host is another matter. */
	smtp.mx_host = "mx9.example.test";
	assert_int_equal(incident_note(t, &smtp, S(22), &ref), INCIDENT_NONE);
	/* After the window, nothing to join. */
	smtp.mx_host = "evil.example.test";
	assert_int_equal(incident_note(t, &smtp, S(30 + INCIDENT_WINDOW_S), &ref), INCIDENT_NONE);
	incident_table_free(t);
}

static void test_not_grouped(void **state)
{
	struct incident_table *t = incident_table_new();
	struct mx_addr r = addr(53);
	struct incident_key race = {KIND_DNS_ANSWER_RACE, "example.test", NULL, &r};
	struct incident_key bare = {KIND_DNSSEC_STRIPPED, NULL, NULL, &r};
	struct incident_ref ref;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(incident_note(t, &race, S(i), &ref), INCIDENT_NONE);
		assert_int_equal(incident_note(t, &bare, S(i), &ref), INCIDENT_NONE);
	}
	assert_int_equal(incident_note(NULL, &race, S(1), &ref), INCIDENT_NONE);
	assert_int_equal(incident_counters(t)->opened, 0);
	incident_table_free(t);
}

static void test_bounded(void **state)
{
	struct incident_table *t = incident_table_new();
	struct incident_ref ref;
	char name[64];

	(void)state;
	/* Far more open incidents than slots: old ones are evicted, counted. */
	for (unsigned i = 0; i < 4 * INCIDENT_SLOTS; i++) {
		struct mx_addr r = addr((uint8_t)i);
		struct incident_key k = {KIND_DNSSEC_STRIPPED, name, NULL, &r};

		snprintf(name, sizeof(name), "d%u.example.test", i);
		assert_int_equal(incident_note(t, &k, S(1), &ref), INCIDENT_NEW);
	}
	assert_true(incident_counters(t)->evicted >= 3 * INCIDENT_SLOTS);
	incident_table_free(t);
}

/* While there is room, an open incident is never overwritten by another. */
static void test_room_kept(void **state)
{
	struct incident_table *t = incident_table_new();
	struct incident_ref ref;
	char name[64];

	(void)state;
	for (int round = 0; round < 2; round++)
		for (unsigned i = 0; i < 128; i++) {
			struct mx_addr r = addr(53);
			struct incident_key k = {KIND_TLSA_STRIPPED, NULL, name, &r};

			snprintf(name, sizeof(name), "mx%u.example.test", i);
			assert_int_equal(incident_note(t, &k, S(1 + round), &ref),
					 round == 0 ? INCIDENT_NEW : INCIDENT_MERGED);
		}
	assert_int_equal(incident_counters(t)->opened, 128);
	assert_int_equal(incident_counters(t)->merged, 128);
	assert_int_equal(incident_counters(t)->evicted, 0);
	incident_table_free(t);
}

/*
 * In a full bucket the least recently used incident goes: one incident
 * noted again before every new one is always the most recent of its
 * bucket, so it is never the one evicted, however many others come.
 */
static void test_lru_evicted(void **state)
{
	struct incident_table *t = incident_table_new();
	struct mx_addr r = addr(53);
	struct incident_key hot = {KIND_DNSSEC_STRIPPED, "hot.example.test", NULL, &r};
	struct incident_ref ref;
	char name[64];

	(void)state;
	/* Every bucket full first, oldest to newest, so the first incident
	 * of the hot key takes the least recently used slot of its bucket. */
	for (unsigned i = 0; i < 4 * INCIDENT_SLOTS; i++) {
		struct incident_key k = {KIND_DNSSEC_STRIPPED, name, NULL, &r};

		snprintf(name, sizeof(name), "old%u.example.test", i);
		assert_int_equal(incident_note(t, &k, S(1) + i, &ref), INCIDENT_NEW);
	}
	assert_int_equal(incident_note(t, &hot, S(2), &ref), INCIDENT_NEW);
	for (unsigned i = 0; i < 4 * INCIDENT_SLOTS; i++) {
		struct incident_key k = {KIND_DNSSEC_STRIPPED, name, NULL, &r};

		assert_int_equal(incident_note(t, &hot, S(2) + 2 * i + 1, &ref), INCIDENT_MERGED);
		assert_int_equal(ref.id, 4 * INCIDENT_SLOTS + 1);
		snprintf(name, sizeof(name), "d%u.example.test", i);
		assert_int_equal(incident_note(t, &k, S(2) + 2 * i + 2, &ref), INCIDENT_NEW);
	}
	assert_true(incident_counters(t)->evicted >= 7 * INCIDENT_SLOTS);
	incident_table_free(t);
}

/* Replacing incidents whose window has closed is not an eviction. */
static void test_closed_replaced_not_evicted(void **state)
{
	struct incident_table *t = incident_table_new();
	struct mx_addr r = addr(53);
	struct incident_ref ref;
	uint64_t later = S(10 + 2 * INCIDENT_WINDOW_S);
	uint64_t evicted;
	char name[64];

	(void)state;
	for (unsigned i = 0; i < 4 * INCIDENT_SLOTS; i++) {
		struct incident_key k = {KIND_DNSSEC_STRIPPED, name, NULL, &r};

		snprintf(name, sizeof(name), "d%u.example.test", i);
		assert_int_equal(incident_note(t, &k, S(1), &ref), INCIDENT_NEW);
	}
	evicted = incident_counters(t)->evicted;
	assert_true(evicted > 0);
	/* Every bucket is full of closed incidents now: new keys and old ones
	 * alike replace them, and nothing counts as evicted. */
	for (unsigned i = 0; i < 8; i++) {
		struct incident_key k = {KIND_DNSSEC_STRIPPED, name, NULL, &r};

		snprintf(name, sizeof(name), "new%u.example.test", i);
		assert_int_equal(incident_note(t, &k, later + i, &ref), INCIDENT_NEW);
		snprintf(name, sizeof(name), "d%u.example.test", 4 * INCIDENT_SLOTS - 1 - i);
		assert_int_equal(incident_note(t, &k, later + i, &ref), INCIDENT_NEW);
	}
	assert_int_equal(incident_counters(t)->evicted, evicted);
	incident_table_free(t);
}

/*
 * An SMTP alert joins the newest of the open incidents about its domain
 * and MX host (each resolver's forged answers are an incident of their
 * own), never one of another kind or host, nor a closed one.
 */
static void test_join_newest(void **state)
{
	struct incident_table *t = incident_table_new();
	struct incident_key smtp = {KIND_MX_REDIRECT, "example.test", "evil.example.test", NULL};
	struct incident_key other = {KIND_MX_REDIRECT, "example.test", "other.example.test", NULL};
	struct incident_ref ref;
	uint64_t newest = 0;

	(void)state;
	/* Eight resolvers, each forging at its own time (100..107 s in the
	   order 0 5 2 7 4 1 6 3): the newest is the fourth noted. */
	for (uint8_t i = 0; i < 8; i++) {
		struct mx_addr r = addr((uint8_t)(60 + i));
		struct incident_key k = {KIND_MX_REDIRECT, "example.test", "evil.example.test", &r};
		uint64_t at = S(100 + (i * 37) % 8);

		assert_int_equal(incident_note(t, &k, at, &ref), INCIDENT_NEW);
		if ((i * 37) % 8 == 7)
			newest = ref.id;
	}
	assert_true(newest != 0);
	assert_int_equal(incident_note(t, &smtp, S(200), &ref), INCIDENT_JOINED);
	assert_int_equal(ref.id, newest);
	assert_int_equal(ref.count, 2);
	assert_int_equal(ref.last_us, S(200));
	/* The joined incident is the newest now, and stays the one joined. */
	assert_int_equal(incident_note(t, &smtp, S(201), &ref), INCIDENT_JOINED);
	assert_int_equal(ref.id, newest);
	assert_int_equal(ref.count, 3);
	/* Another MX host, another kind: nothing to join. */
	assert_int_equal(incident_note(t, &other, S(202), &ref), INCIDENT_NONE);
	assert_int_equal(ref.id, 0);
	smtp.kind = KIND_TLSA_STRIPPED;
	assert_int_equal(incident_note(t, &smtp, S(202), &ref), INCIDENT_NONE);
	smtp.kind = KIND_MX_REDIRECT;
	/* Every incident closed: nothing joins. */
	assert_int_equal(incident_note(t, &smtp, S(201 + INCIDENT_WINDOW_S), &ref),
			 INCIDENT_JOINED);
	assert_int_equal(incident_note(t, &smtp, S(202 + 2 * INCIDENT_WINDOW_S), &ref),
			 INCIDENT_NONE);
	assert_int_equal(incident_counters(t)->joined, 3);
	incident_table_free(t);
}

/* Names are compared on their first 255 bytes only. */
static void test_long_names(void **state)
{
	struct incident_table *t = incident_table_new();
	struct mx_addr r = addr(53);
	char a[400], b[400];
	struct incident_key k = {KIND_TLSA_STRIPPED, a, NULL, &r};
	struct incident_ref ref;

	(void)state;
	memset(a, 'a', sizeof(a));
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[300] = 'b';
	assert_int_equal(incident_note(t, &k, S(1), &ref), INCIDENT_NEW);
	k.domain = b;
	assert_int_equal(incident_note(t, &k, S(2), &ref), INCIDENT_MERGED);
	b[254] = 'b';
	assert_int_equal(incident_note(t, &k, S(3), &ref), INCIDENT_NEW);
	incident_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_retries_merge),
	    cmocka_unit_test(test_window_closes),
	    cmocka_unit_test(test_smtp_joins),
	    cmocka_unit_test(test_not_grouped),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_room_kept),
	    cmocka_unit_test(test_lru_evicted),
	    cmocka_unit_test(test_closed_replaced_not_evicted),
	    cmocka_unit_test(test_join_newest),
	    cmocka_unit_test(test_long_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
