/*
 * test_netset.c - address ranges (util/netset) and the configuration keys
 * that use them: home-net and mail-relays as a YAML list or as one
 * comma-separated string (Suricata's HOME_NET form), and summary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf/config.h"
#include "util/netset.h"

static bool in(const struct mx_netset *s, const char *addr)
{
	struct mx_addr a;

	assert_true(mx_addr_parse(&a, addr));
	return mx_netset_contains(s, &a);
}

static void test_list_forms(void **state)
{
	struct mx_netset s = {0};
	char err[160];

	(void)state;
	assert_true(
	    mx_netset_add_list(&s, "[192.0.2.0/24, 2001:db8::/32,198.51.100.7]", err, sizeof(err)));
	assert_int_equal(s.n, 3);
	assert_true(in(&s, "192.0.2.0"));
	assert_true(in(&s, "192.0.2.255"));
	assert_false(in(&s, "192.0.3.0"));
	assert_true(in(&s, "2001:db8:ffff::1"));
	assert_false(in(&s, "2001:db9::1"));
	assert_true(in(&s, "198.51.100.7"));
	assert_false(in(&s, "198.51.100.8"));
	/* an IPv4 range never holds an IPv6 address outside ::ffff:0:0/96 */
	assert_false(in(&s, "::c000:201"));
}

static void test_empty_and_zero(void **state)
{
	struct mx_netset s = {0};
	char err[160];

	(void)state;
	assert_true(mx_netset_add_list(&s, "  [ ] ", err, sizeof(err)));
	assert_int_equal(s.n, 0);
	assert_false(in(&s, "192.0.2.1"));
	assert_true(mx_netset_add_list(&s, "0.0.0.0/0", err, sizeof(err)));
	assert_true(in(&s, "203.0.113.9"));
	assert_false(in(&s, "2001:db8::1"));
}

static void test_errors(void **state)
{
	struct mx_netset s = {0};
	char err[160];

	(void)state;
	assert_false(mx_netset_add_list(&s, "192.0.2.0/24,192.0.2.300", err, sizeof(err)));
	assert_string_equal(err, "bad address range '192.0.2.300': not an IPv4 or IPv6 address");
	assert_int_equal(s.n, 1);
	assert_false(mx_netset_add_list(&s, "2001:db8::/129", err, sizeof(err)));
	assert_string_equal(err, "bad address range '2001:db8::/129': prefix length above 128");
	assert_false(mx_netset_add_list(&s, "192.0.2.1/24", err, sizeof(err)));
	assert_string_equal(
	    err, "bad address range '192.0.2.1/24': host bits set beyond the prefix length");
	s.n = 0;
	for (int i = 0; i < MX_NETSET_MAX; i++)
		assert_true(mx_netset_add_list(&s, "192.0.2.1", err, sizeof(err)));
	assert_false(mx_netset_add_list(&s, "192.0.2.2", err, sizeof(err)));
	assert_string_equal(err, "more than 64 address ranges");
}

static void test_config_keys(void **state)
{
	static const char text[] = "home-net: [192.0.2.0/24, \"2001:db8::/32\"]\n"
				   "mail-relays: \"198.51.100.25,198.51.100.26\"\n"
				   "summary: /tmp/summary.json\n";
	struct mx_config cfg;
	struct mx_errors errs;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(cfg.home_net.n, 0);
	assert_string_equal(cfg.summary_file, "");
	mx_errors_init(&errs);
	assert_true(config_load_buffer(&cfg, "t.yaml", text, strlen(text), &errs));
	assert_int_equal(cfg.home_net.n, 2);
	assert_int_equal(cfg.mail_relays.n, 2);
	assert_true(in(&cfg.home_net, "2001:db8::25"));
	assert_true(in(&cfg.mail_relays, "198.51.100.26"));
	assert_false(in(&cfg.mail_relays, "198.51.100.27"));
	assert_string_equal(cfg.summary_file, "/tmp/summary.json");
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_forms),
	    cmocka_unit_test(test_empty_and_zero),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
