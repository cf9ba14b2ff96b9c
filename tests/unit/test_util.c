/*
 * test_util.c - the shared helpers of sensor/util/: SipHash-2-4 against
 * the reference vectors of its paper, random keys that differ, ASCII
 * name folding and the certificate wildcard match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/hash.h"
#include "util/name.h"

/* Key 00..0f; message 00..(len-1): the reference vectors of the SipHash paper. */
static void test_siphash_vectors(void **state)
{
	struct mx_hash_key k;
	uint8_t key[16], msg[64];

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	memcpy(&k.k0, key, 8);
	memcpy(&k.k1, key + 8, 8);
	assert_int_equal(mx_siphash(&k, msg, 0), 0x726fdb47dd0e0e31ULL);
	assert_int_equal(mx_siphash(&k, msg, 15), 0xa129ca6149be45e5ULL);
	/* every length up to two blocks differs from its neighbours */
	for (size_t n = 1; n < 17; n++)
		assert_true(mx_siphash(&k, msg, n) != mx_siphash(&k, msg, n - 1));
}

static void test_keys_differ(void **state)
{
	struct mx_hash_key a, b;

	(void)state;
	mx_hash_key_init(&a);
	mx_hash_key_init(&b);
	assert_true(a.k0 != b.k0 || a.k1 != b.k1);
	assert_true(mx_siphash(&a, "mx.example.test", 15) != mx_siphash(&b, "mx.example.test", 15));
}

static void test_fold(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(mx_name_fold("MX.Example.TEST.", 16, out, sizeof(out)), 15);
	assert_string_equal(out, "mx.example.test");
	/* bytes beyond ASCII stay as they are, whatever the locale */
	assert_int_equal(mx_name_fold("\xc4X", 2, out, sizeof(out)), 2);
	assert_string_equal(out, "\xc4x");
	assert_int_equal(mx_name_fold("abcdefghijklmnopq", 17, out, sizeof(out)), (size_t)-1);
	assert_string_equal(out, "");
	assert_int_equal(mx_ascii_lower('Q'), 'q');
	assert_int_equal(mx_ascii_lower('['), '[');
}

static void test_wildcard(void **state)
{
	(void)state;
	assert_true(mx_host_wildcard_match("MX.example.test", "mx.EXAMPLE.test"));
	assert_true(mx_host_wildcard_match("*.example.test", "mx.example.test"));
	assert_false(mx_host_wildcard_match("*.example.test", "a.mx.example.test"));
	assert_false(mx_host_wildcard_match("*.example.test", "example.test"));
	assert_false(mx_host_wildcard_match("*.example.test", ".example.test"));
	assert_false(mx_host_wildcard_match("m*.example.test", "mx.example.test"));
	assert_false(mx_host_wildcard_match("mx.example.test", "mx.example.tes"));
	assert_false(mx_host_wildcard_match("mx.example.tes", "mx.example.test"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_vectors),
	    cmocka_unit_test(test_keys_differ),
	    cmocka_unit_test(test_fold),
	    cmocka_unit_test(test_wildcard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
