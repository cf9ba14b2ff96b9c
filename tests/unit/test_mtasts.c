/*
 * test_mtasts.c - MX pattern parsing and matching (RFC 8461 section 4.1
 * and the STARTTLS-Everywhere suffix form), host name normalisation, and
 * the RFC 8461 policy body parser with its positioned errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/mtasts.h"

static struct mx_pattern pat(const char *s, enum mx_pattern_syntax syn)
{
	struct mx_pattern p;
	const char *why = NULL;

	memset(&p, 0, sizeof(p));
	assert_true(mtasts_pattern_parse(s, strlen(s), syn, &p, &why));
	return p;
}

static bool match(const struct mx_pattern *p, const char *host)
{
	return mtasts_pattern_match(p, host, strlen(host));
}

static void test_rfc_wildcard(void **state)
{
	struct mx_pattern p = pat("*.example.com", MX_SYNTAX_MTASTS);

	(void)state;
	assert_int_equal(p.kind, MX_PATTERN_WILDCARD);
	assert_string_equal(p.name, "example.com");
	assert_true(match(&p, "mx1.example.com"));
	assert_true(match(&p, "MX1.Example.COM"));
	assert_true(match(&p, "mx1.example.com."));
	assert_false(match(&p, "a.b.example.com"));
	assert_false(match(&p, "example.com"));
	assert_false(match(&p, ".example.com"));
	assert_false(match(&p, "mx1.example.org"));
	assert_false(match(&p, "mx1example.com"));
	assert_false(match(&p, "mx1.xexample.com"));
}

static void test_exact(void **state)
{
	struct mx_pattern p = pat("MX1.Example.Test.", MX_SYNTAX_MTASTS);

	(void)state;
	assert_int_equal(p.kind, MX_PATTERN_EXACT);
	assert_string_equal(p.name, "mx1.example.test");
	assert_true(match(&p, "mx1.example.test"));
	assert_true(match(&p, "mx1.EXAMPLE.test."));
	assert_false(match(&p, "mx2.example.test"));
	assert_false(match(&p, "a.mx1.example.test"));
	assert_false(match(&p, "mx1.example.tes"));
}

static void test_suffix(void **state)
{
	struct mx_pattern p = pat(".yahoodns.test", MX_SYNTAX_STARTTLS_EVERYWHERE);

	(void)state;
	assert_int_equal(p.kind, MX_PATTERN_SUFFIX);
	assert_true(match(&p, "mta7.am0.yahoodns.test"));
	assert_true(match(&p, "mx.yahoodns.test"));
	assert_false(match(&p, "yahoodns.test"));
	assert_false(match(&p, "xyahoodns.test"));
	assert_false(match(&p, "a..yahoodns.test"));
	/* "*." is not list syntax, "." is not RFC 8461 syntax */
	{
		struct mx_pattern q;
		const char *why = NULL;

		assert_false(
		    mtasts_pattern_parse("*.a.test", 8, MX_SYNTAX_STARTTLS_EVERYWHERE, &q, &why));
		assert_false(mtasts_pattern_parse(".a.test", 7, MX_SYNTAX_MTASTS, &q, &why));
	}
}

static void test_bad_patterns(void **state)
{
	static const char *const bad[] = {
	    "",
	    "*",
	    "*.",
	    "**.example.com",
	    "mx*.example.com",
	    "mx.*.example.com",
	    "*.com",
	    "a..b",
	    "-a.example.com",
	    "a-.example.com",
	    "a b.example",
	    "a_b.example",
	    "\xc3\xa9.example",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mx_pattern p;
		const char *why = NULL;

		if (mtasts_pattern_parse(bad[i], strlen(bad[i]), MX_SYNTAX_MTASTS, &p, &why))
			fail_msg("pattern '%s' was accepted", bad[i]);
		assert_non_null(why);
	}
}

static void test_host_normalize(void **state)
{
	char out[MX_HOST_MAX + 1];
	const char *why = NULL;
	char longlabel[80];
	char longname[300];

	(void)state;
	assert_int_equal(mtasts_host_normalize("Mail.Example.TEST.", 18, false, out, &why), 17);
	assert_string_equal(out, "mail.example.test");
	assert_int_equal(mtasts_host_normalize("_25._tcp.mx.test", 16, true, out, &why), 16);
	assert_int_equal(mtasts_host_normalize("_25._tcp.mx.test", 16, false, out, &why), -1);
	memset(longlabel, 'a', 64);
	longlabel[64] = '\0';
	assert_int_equal(mtasts_host_normalize(longlabel, 64, false, out, &why), -1);
	assert_string_equal(why, "label longer than 63 bytes");
	for (size_t i = 0; i < 254; i++)
		longname[i] = (i % 2) ? '.' : 'a';
	longname[253] = 'a';
	assert_int_equal(mtasts_host_normalize(longname, 254, false, out, &why), -1);
	assert_int_equal(mtasts_host_normalize(longname, 253, false, out, &why), 253);
	assert_int_equal(mtasts_host_normalize(".", 1, false, out, &why), -1);
}

static void test_mode(void **state)
{
	enum mtasts_mode m;

	(void)state;
	assert_true(mtasts_mode_parse("enforce", &m));
	assert_int_equal(m, MTASTS_MODE_ENFORCE);
	assert_true(mtasts_mode_parse("testing", &m));
	assert_int_equal(m, MTASTS_MODE_TESTING);
	assert_true(mtasts_mode_parse("none", &m));
	assert_int_equal(m, MTASTS_MODE_NONE);
	assert_false(mtasts_mode_parse("Enforce", &m));
	assert_false(mtasts_mode_parse("report", &m));
	assert_string_equal(mtasts_mode_name(MTASTS_MODE_ENFORCE), "enforce");
}

static void test_text_good_crlf(void **state)
{
	const char *text = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
			   "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
	struct mtasts_policy p;
	struct mx_errors errs;

	(void)state;
	mx_errors_init(&errs);
	assert_true(mtasts_parse_text("p.txt", text, strlen(text), &p, &errs));
	assert_int_equal(mx_errors_count(&errs), 0);
	assert_int_equal(p.mode, MTASTS_MODE_ENFORCE);
	assert_int_equal(p.max_age, 604800);
	assert_int_equal(p.n_mx, 3);
	assert_true(mtasts_policy_mx_match(&p, "mail.example.com"));
	assert_true(mtasts_policy_mx_match(&p, "mx9.example.net"));
	assert_false(mtasts_policy_mx_match(&p, "a.b.example.net"));
	assert_false(mtasts_policy_mx_match(&p, "evil.example.org"));
	mtasts_policy_free(&p);
	assert_null(p.mx);
}

static void test_text_good_lf_extensions(void **state)
{
	/* LF endings, blanks after the colon and at line end, an extension field, no final LF */
	const char *text = "version:   STSv1\nmode: testing \nx-extra.field_1: what-ever\n"
			   "mx: mx.example.test\nmax_age: 0";
	struct mtasts_policy p;
	struct mx_errors errs;

	(void)state;
	mx_errors_init(&errs);
	assert_true(mtasts_parse_text("p.txt", text, strlen(text), &p, &errs));
	assert_int_equal(p.mode, MTASTS_MODE_TESTING);
	assert_int_equal(p.max_age, 0);
	assert_int_equal(p.n_mx, 1);
	mtasts_policy_free(&p);

	/* mode none needs no mx */
	text = "version: STSv1\nmode: none\nmax_age: 86400\n";
	assert_true(mtasts_parse_text("p.txt", text, strlen(text), &p, &errs));
	assert_int_equal(p.n_mx, 0);
	mtasts_policy_free(&p);
}

struct bad_text {
	const char *text;
	const char *error; /* the first error expected */
	size_t count;	   /* errors expected */
};

static void test_text_bad(void **state)
{
	static const struct bad_text cases[] = {
	    {"version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1\n",
	     "p.txt:1:10: unsupported MTA-STS version 'STSv2' (expected STSv1)", 1},
	    {"version: STSv1\nmode: enforced\nmx: a.test\nmax_age: 1\n",
	     "p.txt:2:7: bad MTA-STS mode 'enforced' (expected enforce, testing or none)", 1},
	    {"version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601\n",
	     "p.txt:4:10: bad MTA-STS max_age '31557601' (0..31557600 seconds)", 1},
	    {"version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1\n",
	     "p.txt:4:10: bad MTA-STS max_age '-1' (0..31557600 seconds)", 1},
	    {"version: STSv1\nmode: enforce\nmx: mx.*.test\nmax_age: 1\n",
	     "p.txt:3:5: bad MTA-STS mx pattern 'mx.*.test': a wildcard may only be the whole "
	     "left-most label (\"*.\")",
	     1},
	    {"version: STSv1\nmode: enforce\nmax_age: 1\n",
	     "p.txt:3:1: MTA-STS policy in mode enforce has no 'mx' field", 1},
	    {"mode: enforce\r\nmx: a.test\r\nmax_age: 1\r\n",
	     "p.txt:3:1: MTA-STS policy has no 'version' field", 1},
	    {"version: STSv1\nmode: testing\nmode: enforce\nmx: a.test\nmax_age: 1\n",
	     "p.txt:3:1: MTA-STS field 'mode' given twice (first at line 2)", 1},
	    {"version STSv1\nmode: enforce\nmx: a.test\nmax_age: 1\n",
	     "p.txt:1:1: malformed MTA-STS line: expected 'key: value'", 2},
	    {"# note: comment\nversion: STSv1\nmode: enforce\nmx: a.test\nmax_age: 1\n",
	     "p.txt:1:1: malformed MTA-STS field name '# note'", 1},
	    {"version: STSv1\nmode: enforce\nmx:\nmax_age: 1\n",
	     "p.txt:3:4: malformed MTA-STS value for 'mx'", 2},
	    {"", "p.txt:1:1: MTA-STS policy has no 'version' field", 3},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mtasts_policy p;
		struct mx_errors errs;

		mx_errors_init(&errs);
		memset(&p, 0, sizeof(p));
		if (mtasts_parse_text("p.txt", cases[i].text, strlen(cases[i].text), &p, &errs))
			fail_msg("case %zu accepted", i);
		assert_string_equal(mx_errors_get(&errs, 0), cases[i].error);
		if (mx_errors_count(&errs) != cases[i].count)
			fail_msg("case %zu: %zu errors, expected %zu (first: %s)", i,
				 mx_errors_count(&errs), cases[i].count, mx_errors_get(&errs, 0));
		assert_null(p.mx);
	}
}

static void test_text_limits(void **state)
{
	static char big[MTASTS_MAX_TEXT + 2];
	char *many;
	size_t off = 0;
	struct mtasts_policy p;
	struct mx_errors errs;

	(void)state;
	memset(big, 'a', sizeof(big));
	mx_errors_init(&errs);
	assert_false(mtasts_parse_text("big.txt", big, sizeof(big), &p, &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "big.txt: MTA-STS policy larger than 65536 bytes");

	many = malloc(40 * (MTASTS_MAX_MX + 1) + 64);
	assert_non_null(many);
	off += (size_t)sprintf(many, "version: STSv1\nmode: enforce\nmax_age: 5\n");
	for (int i = 0; i <= MTASTS_MAX_MX; i++)
		off += (size_t)sprintf(many + off, "mx: mx%d.example.test\n", i);
	mx_errors_init(&errs);
	assert_false(mtasts_parse_text("many.txt", many, off, &p, &errs));
	assert_string_equal(mx_errors_get(&errs, 0), "many.txt:260:5: more than 256 mx patterns");
	free(many);
}

/* Field names and values at the edges of RFC 8461's grammar. */
static void test_text_fields(void **state)
{
	static const struct bad_text cases[] = {
	    {"version: STSv1\nmode: none\n_x: y\nmax_age: 1\n",
	     "p.txt:3:1: malformed MTA-STS field name '_x'", 1},
	    {"version: STSv1\nmode: none\nx!y: v\nmax_age: 1\n",
	     "p.txt:3:1: malformed MTA-STS field name 'x!y'", 1},
	    {"version: STSv1\nmode: none\n: v\nmax_age: 1\n",
	     "p.txt:3:1: malformed MTA-STS field name ''", 1},
	    {"version: STSv1\nmode: none\n"
	     "abcdefghijabcdefghijabcdefghijabc: v\nmax_age: 1\n",
	     "p.txt:3:1: malformed MTA-STS field name 'abcdefghijabcdefghijabcdefghijabc'", 1},
	    {"version: STSv1\nmode: none\nx: a=b\nmax_age: 1\n",
	     "p.txt:3:4: malformed MTA-STS value for 'x'", 1},
	    {"version: STSv1\nmode: none\nx: a;b\nmax_age: 1\n",
	     "p.txt:3:4: malformed MTA-STS value for 'x'", 1},
	    {"version: STSv1\nmode: none\nx: a\001b\nmax_age: 1\n",
	     "p.txt:3:4: malformed MTA-STS value for 'x'", 1},
	    {"version: STSv1\nmode: none\nx: a\177b\nmax_age: 1\n",
	     "p.txt:3:4: malformed MTA-STS value for 'x'", 1},
	    {"version: STSv1\nmode: none\nx: a\xc3\xa9\nmax_age: 1\n",
	     "p.txt:3:4: malformed MTA-STS value for 'x'", 1},
	    {"version: STSv1\nmode: none\nmax_age: 12a\n",
	     "p.txt:3:10: bad MTA-STS max_age '12a' (0..31557600 seconds)", 1},
	    {"version: STSv1\nmode: none\nmax_age: 10000000000\n",
	     "p.txt:3:10: bad MTA-STS max_age '10000000000' (0..31557600 seconds)", 1},
	    {"version: STSv1\nmode: none\nmax_age: 1\nmax_age: 2\n",
	     "p.txt:4:1: MTA-STS field 'max_age' given twice (first at line 3)", 1},
	    {"version: STSv1\nversion: STSv1\nmode: none\nmax_age: 1\n",
	     "p.txt:2:1: MTA-STS field 'version' given twice (first at line 1)", 1},
	    {"version: STSv1\nmode: none\n", "p.txt:2:1: MTA-STS policy has no 'max_age' field", 1},
	    {"version: STSv1\nmax_age: 1\n", "p.txt:2:1: MTA-STS policy has no 'mode' field", 1},
	    {"version: STSv1\nmode: testing\nmax_age: 1\n",
	     "p.txt:3:1: MTA-STS policy in mode testing has no 'mx' field", 1},
	    {"version: STSv1\nmode: abcdefghijabcdefghijabcdefghijabcdefghij\nmax_age: 1\n",
	     "p.txt:2:7: bad MTA-STS mode 'abcdefghijabcdefghijabcdefghijabcdefghij' (expected "
	     "enforce, testing or none)",
	     1},
	    {"version: STSv1\nmode: enforcex\nmax_age: 1\n",
	     "p.txt:2:7: bad MTA-STS mode 'enforcex' (expected enforce, testing or none)", 1},
	};
	static const char *const good[] = {
	    /* a 32-byte extension name of every allowed character, a value with
	       blanks inside and the edges of the printable range */
	    "version: STSv1\nmode: none\nabcdefghij-_.ABCDEFGHIJ012345678: a b\t!~\nmax_age: "
	    "31557600\n",
	    "version: STSv1\nmode: none\nx: <>\nmax_age: 0000000001\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mtasts_policy p;
		struct mx_errors errs;

		mx_errors_init(&errs);
		memset(&p, 0, sizeof(p));
		if (mtasts_parse_text("p.txt", cases[i].text, strlen(cases[i].text), &p, &errs))
			fail_msg("case %zu accepted", i);
		if (strcmp(mx_errors_get(&errs, 0), cases[i].error) != 0)
			fail_msg("case %zu: %s", i, mx_errors_get(&errs, 0));
		if (mx_errors_count(&errs) != cases[i].count)
			fail_msg("case %zu: %zu errors, expected %zu (first: %s)", i,
				 mx_errors_count(&errs), cases[i].count, mx_errors_get(&errs, 0));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct mtasts_policy p;
		struct mx_errors errs;

		mx_errors_init(&errs);
		if (!mtasts_parse_text("p.txt", good[i], strlen(good[i]), &p, &errs))
			fail_msg("good %zu: %s", i, mx_errors_get(&errs, 0));
		mtasts_policy_free(&p);
	}
}

static void test_pattern_str(void **state)
{
	struct mx_pattern p;
	const char *why = NULL;
	char buf[300];

	(void)state;
	assert_true(mtasts_pattern_parse("*.example.test", 14, MX_SYNTAX_MTASTS, &p, &why));
	assert_string_equal(mtasts_pattern_str(&p, buf, sizeof(buf)), "*.example.test");
	assert_true(mtasts_pattern_parse("mx.example.test", 15, MX_SYNTAX_MTASTS, &p, &why));
	assert_string_equal(mtasts_pattern_str(&p, buf, sizeof(buf)), "mx.example.test");
	assert_true(
	    mtasts_pattern_parse(".example.test", 13, MX_SYNTAX_STARTTLS_EVERYWHERE, &p, &why));
	assert_string_equal(mtasts_pattern_str(&p, buf, sizeof(buf)), ".example.test");
}

/* Parses text copied into a buffer of its exact size (so a read before or
   after it is caught); returns the number of errors. */
static size_t parse_exact(const char *text, struct mtasts_policy *p, struct mx_errors *errs)
{
	size_t len = strlen(text);
	char *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	memcpy(buf, text, len);
	mx_errors_init(errs);
	memset(p, 0, sizeof(*p));
	mtasts_parse_text("p.txt", buf, len, p, errs);
	free(buf);
	return mx_errors_count(errs);
}

/*
 * Extension fields whose names share a prefix or a length with a known
 * field are ignored; blank lines (LF or CRLF) are skipped; a repeated
 * version is one error; max_age has at most ten digits.
 */
static void test_text_extension_names(void **state)
{
	struct mtasts_policy p;
	struct mx_errors errs;

	(void)state;
	assert_int_equal(parse_exact("\nversion: STSv1\r\n\r\nmode: enforce\n\n"
				     "modex: bogus!\nmood: none\nversionx: STSv9\nversio: x\n"
				     "max_agex: -5\nmax_ag3: x\nmx-backup: *.bad\nmy: other.test\n"
				     "mx: mx.example.test\nmax_age: 0000000600\n\r\n",
				     &p, &errs),
			 0);
	assert_int_equal(p.mode, MTASTS_MODE_ENFORCE);
	assert_int_equal(p.max_age, 600);
	assert_int_equal(p.n_mx, 1);
	assert_true(mtasts_policy_mx_match(&p, "mx.example.test"));
	assert_false(mtasts_policy_mx_match(&p, "other.test"));
	mtasts_policy_free(&p);

	assert_int_equal(
	    parse_exact("version: STSv1\nversion: STSv2\nmode: none\nmax_age: 1\n", &p, &errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "p.txt:2:1: MTA-STS field 'version' given twice (first at line 1)");
	assert_int_equal(
	    parse_exact("version: STSv1\nmode: none\nmax_age: 00000000001\n", &p, &errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "p.txt:3:10: bad MTA-STS max_age '00000000001' (0..31557600 seconds)");
	assert_int_equal(
	    parse_exact("version: STSv1\nmode: none\nmax_age: 31557600\nmode: none\n", &p, &errs),
	    1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "p.txt:4:1: MTA-STS field 'mode' given twice (first at line 2)");
}

/* Suffix patterns need whole, non-empty labels before the suffix. */
static void test_suffix_empty_labels(void **state)
{
	struct mx_pattern p = pat(".l.google.example", MX_SYNTAX_STARTTLS_EVERYWHERE);
	struct mx_pattern w = pat("*.mail.example.test", MX_SYNTAX_MTASTS);
	char *empty = malloc(1);
	char *dot = malloc(1);

	(void)state;
	assert_non_null(empty);
	assert_non_null(dot);
	assert_true(match(&p, "a.b.l.google.example"));
	assert_false(match(&p, ".b.l.google.example"));
	assert_false(match(&p, "a..l.google.example"));
	assert_false(match(&p, "a..b.l.google.example"));
	assert_false(match(&p, "..l.google.example"));
	assert_false(match(&w, ".mail.example.test"));
	assert_false(match(&w, "a..mail.example.test"));
	assert_true(match(&w, "a.mail.example.test."));
	/* an empty host, in a buffer of its own, matches nothing */
	assert_false(mtasts_pattern_match(&p, empty, 0));
	assert_false(mtasts_pattern_match(&w, empty, 0));
	dot[0] = '.';
	assert_false(mtasts_pattern_match(&w, dot, 1));
	free(empty);
	free(dot);
}

/* Only letters, digits and the hyphen make a host name (underscore when allowed). */
static void test_host_characters(void **state)
{
	static const char *const bad[] = {"a{b.test", "a[b.test", "a`b.test", "a@b.test",
					  "a/b.test", "a:b.test", "a_b.test"};
	char out[MX_HOST_MAX + 1];
	const char *why = NULL;

	(void)state;
	assert_int_equal(mtasts_host_normalize("az.AZ.09.Z-0.test", 17, false, out, &why), 17);
	assert_string_equal(out, "az.az.09.z-0.test");
	assert_int_equal(mtasts_host_normalize("_a.test", 7, true, out, &why), 7);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (mtasts_host_normalize(bad[i], strlen(bad[i]), false, out, &why) >= 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_string_equal(why, "character not allowed in a host name");
	}
	assert_true(mtasts_host_normalize("a.b-", 4, false, out, &why) < 0);
	assert_string_equal(why, "label ends with a hyphen");
	assert_true(mtasts_host_normalize("a.b-.", 5, false, out, &why) < 0);
	assert_string_equal(why, "label ends with a hyphen");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_wildcard),
	    cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_suffix),
	    cmocka_unit_test(test_bad_patterns),
	    cmocka_unit_test(test_host_normalize),
	    cmocka_unit_test(test_mode),
	    cmocka_unit_test(test_text_good_crlf),
	    cmocka_unit_test(test_text_good_lf_extensions),
	    cmocka_unit_test(test_text_bad),
	    cmocka_unit_test(test_text_limits),
	    cmocka_unit_test(test_text_fields),
	    cmocka_unit_test(test_pattern_str),
	    cmocka_unit_test(test_text_extension_names),
	    cmocka_unit_test(test_suffix_empty_labels),
	    cmocka_unit_test(test_host_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
