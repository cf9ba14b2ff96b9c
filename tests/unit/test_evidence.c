/*
 * test_evidence.c - the evidence builder and its reader (correlate/
 * evidence.h): every field type comes back as written and in order; a
 * field that does not fit stops the builder without leaving part of it;
 * a buffer cut anywhere gives back exactly the fields it holds whole and
 * never reads past its end (the cut copies are sized exactly, so
 * AddressSanitizer sees any over-read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/evidence.h"

static const uint8_t raw[] = {0x00, 0xff, 0x41};

/* One field of every type, a nested object and a list. */
static size_t build(char *buf, size_t cap, bool *full)
{
	struct evidence ev;
	struct mx_addr a;

	memset(&a, 0, sizeof(a));
	assert_true(mx_addr_parse(&a, "2001:db8::25"));
	evidence_init(&ev, buf, cap);
	evidence_str(&ev, "rrname", "mx.example.test");
	evidence_bytes(&ev, "raw", raw, sizeof(raw));
	evidence_u64(&ev, "count", 18446744073709551615ULL);
	evidence_i64(&ev, "delta", -42);
	evidence_bool(&ev, "ad", true);
	evidence_addr(&ev, "server", &a);
	evidence_obj_begin(&ev, "tls");
	evidence_str(&ev, "version", "");
	evidence_obj_end(&ev);
	evidence_list_begin(&ev, "mx");
	evidence_list_str(&ev, "mx1.example.test");
	evidence_list_bytes(&ev, raw, sizeof(raw));
	evidence_list_end(&ev);
	*full = ev.full;
	return ev.len;
}

#define NFIELDS 13

static void test_round_trip(void **state)
{
	char buf[1024];
	bool full;
	size_t len = build(buf, sizeof(buf), &full), pos = 0;
	struct evidence_field f[NFIELDS + 1];
	size_t n = 0;
	struct mx_addr a;

	(void)state;
	assert_false(full);
	while (n <= NFIELDS && evidence_next(buf, len, &pos, &f[n]))
		n++;
	assert_int_equal(n, NFIELDS);
	assert_int_equal(pos, len);
	assert_int_equal(f[0].type, EVIDENCE_BYTES);
	assert_string_equal(f[0].key, "rrname");
	assert_int_equal(f[0].len, strlen("mx.example.test"));
	assert_memory_equal(f[0].bytes, "mx.example.test", f[0].len);
	assert_int_equal(f[1].len, sizeof(raw));
	assert_memory_equal(f[1].bytes, raw, sizeof(raw));
	assert_int_equal(f[2].type, EVIDENCE_U64);
	assert_true(f[2].u64 == 18446744073709551615ULL);
	assert_int_equal(f[3].type, EVIDENCE_I64);
	assert_int_equal(f[3].i64, -42);
	assert_int_equal(f[4].type, EVIDENCE_BOOL);
	assert_true(f[4].b);
	assert_int_equal(f[5].type, EVIDENCE_ADDR);
	assert_true(mx_addr_parse(&a, "2001:db8::25"));
	assert_memory_equal(f[5].addr.b, a.b, sizeof(a.b));
	assert_int_equal(f[6].type, EVIDENCE_OBJ_BEGIN);
	assert_string_equal(f[6].key, "tls");
	assert_int_equal(f[7].len, 0);
	assert_int_equal(f[8].type, EVIDENCE_OBJ_END);
	assert_int_equal(f[9].type, EVIDENCE_LIST_BEGIN);
	assert_int_equal(f[10].type, EVIDENCE_LIST_BYTES);
	assert_string_equal(f[10].key, "");
	assert_memory_equal(f[10].bytes, "mx1.example.test", f[10].len);
	assert_int_equal(f[11].len, sizeof(raw));
	assert_int_equal(f[12].type, EVIDENCE_LIST_END);
}

/* A builder too small keeps only the fields that fit whole, then stops. */
static void test_full(void **state)
{
	char whole[1024], buf[1024];
	bool full;
	size_t len = build(whole, sizeof(whole), &full);

	(void)state;
	for (size_t cap = 0; cap < len; cap++) {
		size_t got = build(buf, cap, &full), pos = 0, ends = 0;
		struct evidence_field f;

		assert_true(full);
		assert_true(got <= cap);
		/* what was kept is a prefix of the whole, ending on a field boundary */
		assert_memory_equal(buf, whole, got);
		while (evidence_next(whole, len, &pos, &f) && pos <= got)
			ends = pos;
		assert_int_equal(ends, got);
	}
}

/* A cut buffer gives back the fields it holds whole, and no more. */
static void test_cut_anywhere(void **state)
{
	char whole[1024];
	bool full;
	size_t len = build(whole, sizeof(whole), &full);
	size_t ends[NFIELDS], pos = 0, n = 0;
	struct evidence_field f;

	(void)state;
	while (n < NFIELDS && evidence_next(whole, len, &pos, &f))
		ends[n++] = pos;
	assert_int_equal(n, NFIELDS);
	for (size_t cut = 0; cut <= len; cut++) {
		char *part = malloc(cut > 0 ? cut : 1);
		size_t want = 0, got = 0;

		assert_non_null(part);
		memcpy(part, whole, cut);
		while (want < NFIELDS && ends[want] <= cut)
			want++;
		pos = 0;
		while (evidence_next(part, cut, &pos, &f)) {
			got++;
			assert_true(pos <= cut);
			if (f.bytes != NULL)
				assert_true(f.bytes + f.len <= (const uint8_t *)part + cut);
		}
		assert_int_equal(got, want);
		free(part);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_cut_anywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
