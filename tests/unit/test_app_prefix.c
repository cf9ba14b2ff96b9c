/*
 * test_app_prefix.c - unit tests of the first bytes kept for a TCP flow no
 * port identifies: chunks come back in order with their kinds, what does
 * not fit (or finds the memcap full) cuts the prefix, nothing is kept once
 * the bytes cannot open an SMTP dialogue, the memory is given back; the
 * SMTP probe says SMTP only for a 220 greeting one way and EHLO/HELO the
 * other, whatever the segment sizes, no as soon as either side cannot be
 * SMTP, and unsure while bytes are missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "app/app_prefix.h"
#include "flow/flow.h"

#define MEMCAP (1u << 20)

struct seen {
	int dir[64];
	enum stream_chunk kind[64];
	char data[64][128];
	size_t len[64];
	size_t n;
};

static void collect(void *ctx, int dir, enum stream_chunk kind, const uint8_t *data, size_t len)
{
	struct seen *s = ctx;

	assert_true(s->n < 64);
	s->dir[s->n] = dir;
	s->kind[s->n] = kind;
	s->len[s->n] = len;
	if (data != NULL) {
		assert_true(len < sizeof(s->data[0]));
		memcpy(s->data[s->n], data, len);
	}
	s->n++;
}

/* Adds text one byte at a time (seg 1) or whole (seg 0). */
static void add_text(struct app_prefix *p, int dir, const char *text, size_t seg, size_t *bytes)
{
	size_t len = strlen(text);

	if (seg == 0)
		seg = len;
	for (size_t at = 0; at < len; at += seg)
		app_prefix_add(p, dir, STREAM_DATA, (const uint8_t *)text + at,
			       len - at < seg ? len - at : seg, bytes, MEMCAP);
}

static void test_replay_in_order(void **state)
{
	static const char banner[] = "220 mx.test\r\n", ehlo[] = "EHLO c\r\n";
	struct app_prefix p;
	struct seen s;
	size_t bytes = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(&s, 0, sizeof(s));
	assert_true(app_prefix_add(&p, FLOW_TOCLIENT, STREAM_DATA, (const uint8_t *)banner,
				   strlen(banner), &bytes, MEMCAP));
	assert_int_equal(bytes, APP_PREFIX_MAX);
	/* a gap after a side's first 8 bytes does not hide its start */
	assert_true(app_prefix_add(&p, FLOW_TOCLIENT, STREAM_GAP, NULL, 300, &bytes, MEMCAP));
	assert_true(app_prefix_add(&p, FLOW_TOSERVER, STREAM_OVERLAP_DIFF, (const uint8_t *)"xy", 2,
				   &bytes, MEMCAP));
	/* FIN and RST are not kept (the flow's own handling sees them) */
	assert_true(app_prefix_add(&p, FLOW_TOSERVER, STREAM_FIN, NULL, 0, &bytes, MEMCAP));
	assert_true(app_prefix_add(&p, FLOW_TOSERVER, STREAM_DATA, (const uint8_t *)ehlo,
				   strlen(ehlo), &bytes, MEMCAP));
	assert_int_equal(app_prefix_probe(&p), APP_PROBE_SMTP);
	app_prefix_replay(&p, collect, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.dir[0], FLOW_TOCLIENT);
	assert_int_equal(s.kind[0], STREAM_DATA);
	assert_int_equal(s.len[0], strlen(banner));
	assert_memory_equal(s.data[0], banner, strlen(banner));
	assert_int_equal(s.kind[1], STREAM_GAP);
	assert_int_equal(s.len[1], 300);
	assert_int_equal(s.dir[2], FLOW_TOSERVER);
	assert_int_equal(s.kind[2], STREAM_OVERLAP_DIFF);
	assert_memory_equal(s.data[2], "xy", 2);
	assert_int_equal(s.kind[3], STREAM_DATA);
	assert_memory_equal(s.data[3], ehlo, strlen(ehlo));
	app_prefix_free(&p, &bytes);
	assert_int_equal(bytes, 0);
	assert_null(p.buf);
}

static void test_cut_when_full_or_over_memcap(void **state)
{
	struct app_prefix p;
	struct seen s;
	uint8_t big[1000];
	size_t bytes = 0, kept = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(&s, 0, sizeof(s));
	memset(big, 'a', sizeof(big));
	memcpy(big, "220 ", 4);
	for (int i = 0; i < 10; i++)
		kept += app_prefix_add(&p, FLOW_TOCLIENT, STREAM_DATA, big, sizeof(big), &bytes,
				       MEMCAP);
	/* four chunks of 1004 bytes fit in 4096, the fifth cuts */
	assert_int_equal(kept, 4);
	assert_true(p.cut);
	assert_true(p.len <= APP_PREFIX_MAX);
	/* once cut, nothing more is kept, even what would fit */
	assert_false(app_prefix_add(&p, FLOW_TOCLIENT, STREAM_DATA, big, 1, &bytes, MEMCAP));
	app_prefix_free(&p, &bytes);
	assert_int_equal(bytes, 0);
	/* bytes that cannot open SMTP (a TLS record): not kept, no buffer */
	assert_false(app_prefix_add(&p, FLOW_TOSERVER, STREAM_DATA, (const uint8_t *)"\x16\x03\x01",
				    3, &bytes, MEMCAP));
	assert_null(p.buf);
	assert_false(p.cut);
	assert_int_equal(app_prefix_probe(&p), APP_PROBE_NO);
	app_prefix_free(&p, &bytes);
	/* the memcap: no buffer at all */
	bytes = MEMCAP - 10;
	assert_false(app_prefix_add(&p, FLOW_TOCLIENT, STREAM_DATA, big, 10, &bytes, MEMCAP));
	assert_null(p.buf);
	assert_true(p.cut);
	assert_int_equal(bytes, MEMCAP - 10);
	app_prefix_replay(&p, collect, &s);
	assert_int_equal(s.n, 0);
	app_prefix_free(&p, &bytes);
	assert_int_equal(bytes, MEMCAP - 10);
}

/* The probe's answer for a server greeting and a client opening, in segments of seg. */
static enum app_probe probe(const char *srv, const char *cli, size_t seg)
{
	struct app_prefix p;
	size_t bytes = 0;
	enum app_probe r;

	memset(&p, 0, sizeof(p));
	add_text(&p, FLOW_TOCLIENT, srv, seg, &bytes);
	add_text(&p, FLOW_TOSERVER, cli, seg, &bytes);
	r = app_prefix_probe(&p);
	app_prefix_free(&p, &bytes);
	return r;
}

/* What the probe must say for a server greeting and a client opening. */
static const struct probe_case {
	const char *srv, *cli;
	enum app_probe want;
} probe_cases[] = {
    {"220 mx.example.test ESMTP\r\n", "EHLO c.test\r\n", APP_PROBE_SMTP},
    {"220-mx.example.test\r\n", "helo c.test\r\n", APP_PROBE_SMTP},
    {"220\r\n", "EHLO\r\n", APP_PROBE_SMTP},
    /* FTP greets with 220 too */
    {"220 ftp ready\r\n", "USER anonymous\r\n", APP_PROBE_NO},
    {"", "GET / HTTP/1.1\r\n", APP_PROBE_NO},
    {"SSH-2.0-x\r\n", "", APP_PROBE_NO},
    {"* OK IMAP\r\n", "", APP_PROBE_NO},
    {"554 no service\r\n", "", APP_PROBE_NO},
    {"220 mx\r\n", "EHLOX\r\n", APP_PROBE_NO},
    {"", "", APP_PROBE_UNSURE},
    {"22", "", APP_PROBE_UNSURE},
    {"220 mx\r\n", "", APP_PROBE_UNSURE},
    {"220 mx\r\n", "EHL", APP_PROBE_UNSURE},
    {"", "EHLO c\r\n", APP_PROBE_UNSURE},
};

/* Every case, whole and in 1-byte segments: the answer does not depend on them. */
static void test_probe_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < MX_ARRAY_LEN(probe_cases); i++)
		for (size_t seg = 0; seg <= 1; seg++)
			assert_int_equal(probe(probe_cases[i].srv, probe_cases[i].cli, seg),
					 probe_cases[i].want);
}

/* A gap before a side's first bytes: its start is unknown. */
static void test_probe_gap_first(void **state)
{
	struct app_prefix p;
	size_t bytes = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	app_prefix_add(&p, FLOW_TOCLIENT, STREAM_GAP, NULL, 10, &bytes, MEMCAP);
	add_text(&p, FLOW_TOCLIENT, "220 mx\r\n", 0, &bytes);
	add_text(&p, FLOW_TOSERVER, "EHLO c\r\n", 0, &bytes);
	assert_int_equal(app_prefix_probe(&p), APP_PROBE_NO);
	app_prefix_free(&p, &bytes);
}

static void test_probe_unsure_when_cut(void **state)
{
	struct app_prefix p;
	size_t bytes = 0;
	uint8_t big[1000];

	(void)state;
	/* unsure with the prefix cut: no room left to decide in */
	memset(&p, 0, sizeof(p));
	memset(big, 'x', sizeof(big));
	add_text(&p, FLOW_TOCLIENT, "220 mx\r\n", 0, &bytes);
	for (int i = 0; i < 5; i++)
		app_prefix_add(&p, FLOW_TOCLIENT, STREAM_DATA, big, sizeof(big), &bytes, MEMCAP);
	assert_true(p.cut);
	assert_int_equal(app_prefix_probe(&p), APP_PROBE_NO);
	/* a side's head is noted even once cut: the answer is still right */
	add_text(&p, FLOW_TOSERVER, "EHLO c\r\n", 0, &bytes);
	assert_int_equal(app_prefix_probe(&p), APP_PROBE_SMTP);
	app_prefix_free(&p, &bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replay_in_order),
	    cmocka_unit_test(test_cut_when_full_or_over_memcap),
	    cmocka_unit_test(test_probe_cases),
	    cmocka_unit_test(test_probe_gap_first),
	    cmocka_unit_test(test_probe_unsure_when_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
