/*
 * test_tally.c - the offline summary's session counts (sensor/correlate/
 * tally.c): one row per server and first recipient domain, "-" for none,
 * the verdicts counted per row (an unknown one as none), and the overflow
 * row once the table is full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/tally.h"

static struct mx_addr addr(const char *s)
{
	struct mx_addr a;

	assert_true(mx_addr_parse(&a, s));
	return a;
}

static void test_rows(void **state)
{
	struct tally *t = calloc(1, sizeof(*t));
	struct mx_addr a = addr("192.0.2.25"), b = addr("2001:db8::25");

	(void)state;
	assert_non_null(t);
	tally_add(t, &a, "one.test", true, false, VERDICT_OK, VERDICT_NONE);
	tally_add(t, &a, "one.test", false, true, VERDICT_FAIL, VERDICT_FAIL);
	tally_add(t, &a, "two.test", true, false, VERDICT_UNVERIFIABLE, VERDICT_OK);
	tally_add(t, &b, "one.test", true, false, VERDICT_NONE, VERDICT_NONE);
	tally_add(t, &b, NULL, false, false, (enum verdict)7, (enum verdict) - 1);
	tally_add(t, &b, "", false, false, VERDICT_NONE, VERDICT_NONE);
	assert_int_equal(t->n, 4);
	assert_string_equal(t->rows[0].domain, "one.test");
	assert_int_equal(t->rows[0].sessions, 2);
	assert_int_equal(t->rows[0].tls, 1);
	assert_int_equal(t->rows[0].cleartext_mail, 1);
	assert_int_equal(t->rows[0].dane[VERDICT_OK], 1);
	assert_int_equal(t->rows[0].dane[VERDICT_FAIL], 1);
	assert_int_equal(t->rows[0].sts[VERDICT_FAIL], 1);
	assert_int_equal(t->rows[0].sts[VERDICT_NONE], 1);
	assert_string_equal(t->rows[1].domain, "two.test");
	assert_int_equal(t->rows[1].dane[VERDICT_UNVERIFIABLE], 1);
	assert_int_equal(t->rows[1].sts[VERDICT_OK], 1);
	assert_int_equal(mx_addr_cmp(&t->rows[2].server, &b), 0);
	assert_int_equal(t->rows[2].sessions, 1);
	assert_string_equal(t->rows[3].domain, "-");
	assert_int_equal(t->rows[3].sessions, 2);
	assert_int_equal(t->rows[3].dane[VERDICT_NONE], 2);
	assert_int_equal(t->rows[3].sts[VERDICT_NONE], 2);
	assert_false(t->rows[3].other);
	assert_string_equal(verdict_name(VERDICT_UNVERIFIABLE), "unverifiable");
	assert_string_equal(verdict_name(VERDICT_FAIL), "fail");
	assert_string_equal(verdict_name((enum verdict)9), "none");
	free(t);
}

static void test_overflow(void **state)
{
	struct tally *t = calloc(1, sizeof(*t));
	struct mx_addr a = addr("192.0.2.25");
	char d[32];

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < TALLY_MAX_ROWS + 3; i++) {
		snprintf(d, sizeof(d), "d%d.test", i);
		tally_add(t, &a, d, true, false, VERDICT_OK, VERDICT_OK);
	}
	assert_int_equal(t->n, TALLY_MAX_ROWS);
	assert_true(t->rows[TALLY_MAX_ROWS].other);
	assert_int_equal(t->rows[TALLY_MAX_ROWS].sessions, 3);
	assert_false(t->rows[TALLY_MAX_ROWS - 1].other);
	assert_int_equal(t->rows[TALLY_MAX_ROWS - 1].sessions, 1);
	/* a known row is still counted in place */
	tally_add(t, &a, "d0.test", true, false, VERDICT_OK, VERDICT_OK);
	assert_int_equal(t->rows[0].sessions, 2);
	assert_int_equal(t->rows[TALLY_MAX_ROWS].sessions, 3);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
