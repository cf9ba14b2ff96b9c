/*
 * test_correlate.c - building the correlate stage: a CA file or trust
 * anchor file that cannot be read, and a resolver-AD table larger than
 * can be held, each refuse the stage with a message; freeing no stage is
 * harmless.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/correlate.h"

static void test_refused_configs(void **unused)
{
	struct correlate_config cfg;
	struct correlate *c;
	char err[256];

	(void)unused;
	correlate_config_defaults(&cfg);
	cfg.ca_file = "/nonexistent/mxsentry-test-ca.pem";
	err[0] = '\0';
	assert_null(correlate_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/mxsentry-test-ca.pem"));

	correlate_config_defaults(&cfg);
	cfg.trust_anchor_file = "/nonexistent/mxsentry-test-anchors";
	err[0] = '\0';
	assert_null(correlate_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/mxsentry-test-anchors"));

	correlate_config_defaults(&cfg);
	cfg.resolver_ad_max = UINT32_MAX;
	err[0] = '\0';
	assert_null(correlate_new(&cfg, err, sizeof(err)));
	assert_string_equal(err, "out of memory");

	/* the defaults build */
	correlate_config_defaults(&cfg);
	c = correlate_new(&cfg, err, sizeof(err));
	assert_non_null(c);
	correlate_free(c);
	correlate_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused_configs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
