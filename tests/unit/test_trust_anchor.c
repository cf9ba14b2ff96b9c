/*
 * test_trust_anchor.c - unit tests of the trust anchor set: the built-in
 * IANA root anchors (key tags 20326 and 38696, cross-checked against the
 * root KSK DNSKEYs), and trust-anchor files in zone-file format, good ones
 * and bad ones with the line numbers of their errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnssec/trust_anchor.h"

/*
 * The root KSKs as published in the root zone (KSK-2017 and KSK-2024):
 * the built-in DS records must be their SHA-256 digests.
 */
static const char ksk2017[] =
    ". IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7Hrx"
    "RixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgC"
    "mr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWe"
    "L3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qih"
    "ylGa8subX2Nn6UwNR1AkUTV74bU=";
static const char ksk2024[] =
    ". IN DNSKEY 257 3 8 AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJN"
    "nOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdp"
    "WWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+Z"
    "OT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2"
    "vaF18UYH9Z9GNUUeayffKC73PYc=";

static bool load(struct trust_anchors *ta, const char *text, char *err, size_t errlen)
{
	return trust_anchors_load_text(ta, text, strlen(text), "ta.conf", err, errlen);
}

/* The digest bytes of DS rr. */
static const ldns_rdf *ds_digest(const ldns_rr *rr)
{
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_DS);
	assert_int_equal(ldns_rr_rd_count(rr), 4);
	return ldns_rr_rdf(rr, 3);
}

static void test_root_anchors(void **state)
{
	struct trust_anchors *ta = trust_anchors_new();
	const char *keys[2] = {ksk2017, ksk2024};
	const uint16_t tags[2] = {20326, 38696};

	(void)state;
	assert_non_null(ta);
	assert_true(trust_anchors_add_root(ta));
	assert_int_equal(trust_anchors_count(ta), 2);
	for (size_t i = 0; i < 2; i++) {
		const ldns_rr *a = trust_anchors_get(ta, i);
		ldns_rr *key = NULL, *ds;

		assert_int_equal(trust_anchor_key_tag(a), tags[i]);
		assert_int_equal(ldns_rdf_size(ldns_rr_owner(a)), 1); /* the root */
		assert_int_equal(ldns_rdf2native_int8(ldns_rr_rdf(a, 1)), 8);
		assert_int_equal(ldns_rdf2native_int8(ldns_rr_rdf(a, 2)), 2);
		/* cross-check: the DS is the digest of the published KSK */
		assert_int_equal(ldns_rr_new_frm_str(&key, keys[i], 0, NULL, NULL), LDNS_STATUS_OK);
		assert_int_equal(ldns_calc_keytag(key), tags[i]);
		assert_int_equal(trust_anchor_key_tag(key), tags[i]);
		ds = ldns_key_rr2ds(key, LDNS_SHA256);
		assert_non_null(ds);
		assert_int_equal(ldns_rdf_compare(ds_digest(ds), ds_digest(a)), 0);
		ldns_rr_free(ds);
		ldns_rr_free(key);
	}
	assert_null(trust_anchors_get(ta, 2));
	trust_anchors_free(ta);
}

static void test_setup_default(void **state)
{
	char err[TRUST_ANCHOR_ERR_MAX];
	struct trust_anchors *ta = trust_anchors_setup(NULL, err, sizeof(err));

	(void)state;
	assert_non_null(ta);
	assert_int_equal(trust_anchors_count(ta), 2);
	trust_anchors_free(ta);
	assert_null(trust_anchors_setup("/nonexistent/ta.conf", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ta.conf: "));
}

static void test_good_file(void **state)
{
	static const char text[] =
	    "; lab trust anchors\n"
	    "\n"
	    "$TTL 86400\n"
	    "example.test. IN DS 12345 13 2 "
	    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF ; comment\n"
	    "$ORIGIN lab.\n"
	    "zone IN DNSKEY ( 257 3 13\n"
	    "   "
	    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
	    "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
	    "   ) ; KSK\n"
	    "     IN DS 54321 13 2 "
	    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
	    "@ 3600 IN DS 1 8 1 0123456789ABCDEF0123456789ABCDEF01234567\r\n";
	struct trust_anchors *ta = trust_anchors_new();
	char err[TRUST_ANCHOR_ERR_MAX];
	char *s;

	(void)state;
	assert_true(load(ta, text, err, sizeof(err)));
	assert_int_equal(trust_anchors_count(ta), 4);
	s = ldns_rdf2str(ldns_rr_owner(trust_anchors_get(ta, 0)));
	assert_string_equal(s, "example.test.");
	free(s);
	assert_int_equal(ldns_rr_ttl(trust_anchors_get(ta, 0)), 86400);
	assert_int_equal(trust_anchor_key_tag(trust_anchors_get(ta, 0)), 12345);
	s = ldns_rdf2str(ldns_rr_owner(trust_anchors_get(ta, 1)));
	assert_string_equal(s, "zone.lab.");
	free(s);
	assert_int_equal(ldns_rr_get_type(trust_anchors_get(ta, 1)), LDNS_RR_TYPE_DNSKEY);
	/* owner omitted: the previous record's */
	s = ldns_rdf2str(ldns_rr_owner(trust_anchors_get(ta, 2)));
	assert_string_equal(s, "zone.lab.");
	free(s);
	s = ldns_rdf2str(ldns_rr_owner(trust_anchors_get(ta, 3)));
	assert_string_equal(s, "lab.");
	free(s);
	assert_int_equal(ldns_rr_ttl(trust_anchors_get(ta, 3)), 3600);
	trust_anchors_free(ta);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_trust_anchor_XXXXXX";
	char err[TRUST_ANCHOR_ERR_MAX], want[600];
	int fd = mkstemp(path);
	FILE *f;
	struct trust_anchors *ta;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("example.test. IN DS 12345 13 2 "
	      "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
	      "\n"
	      "example.test. IN A 192.0.2.1\n",
	      f);
	fclose(f);
	ta = trust_anchors_setup(path, err, sizeof(err));
	assert_null(ta);
	snprintf(want, sizeof(want), "%s:3: only DS and DNSKEY records can be trust anchors", path);
	assert_string_equal(err, want);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("example.test. IN DS 12345 13 2 "
	      "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n",
	      f);
	fclose(f);
	ta = trust_anchors_setup(path, err, sizeof(err));
	assert_non_null(ta);
	assert_int_equal(trust_anchors_count(ta), 1);
	trust_anchors_free(ta);
	unlink(path);
}

/* Loads text expecting the error message want; nothing may be added. */
static void expect_error(const char *text, const char *want)
{
	struct trust_anchors *ta = trust_anchors_new();
	char err[TRUST_ANCHOR_ERR_MAX];

	assert_false(load(ta, text, err, sizeof(err)));
	if (strncmp(err, want, strlen(want)) != 0)
		print_error("got '%s', want '%s...'\n", err, want);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_int_equal(trust_anchors_count(ta), 0);
	trust_anchors_free(ta);
}

#define DIGEST32 "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"

static void test_bad_lines(void **state)
{
	(void)state;
	expect_error("; nothing\n\n", "ta.conf: no DS or DNSKEY trust anchor in the file");
	expect_error("", "ta.conf: no DS or DNSKEY trust anchor in the file");
	expect_error("; a\n; b\nexample.test IN DS 1 8 2 " DIGEST32 "\n",
		     "ta.conf:3: owner name 'example.test' is relative and no $ORIGIN was given");
	expect_error(". IN DS 1 8 2 " DIGEST32 "\nexample.test. IN A 192.0.2.1\n",
		     "ta.conf:2: only DS and DNSKEY records can be trust anchors");
	expect_error("example.test. IN DS 1 8 2 0123\n",
		     "ta.conf:1: DS digest is 2 bytes, digest type 2 needs 32");
	expect_error("example.test. IN DS 1 8 7 " DIGEST32 "\n",
		     "ta.conf:1: DS digest type 7 is not supported");
	expect_error("example.test. IN DS 1 1 2 " DIGEST32 "\n",
		     "ta.conf:1: DNSSEC algorithm 1 is not supported");
	expect_error("\n\nexample.test. IN DS one 8 2 " DIGEST32 "\n", "ta.conf:3: ");
	expect_error("example.test. CH DS 1 8 2 " DIGEST32 "\n",
		     "ta.conf:1: trust anchors must be class IN");
	expect_error("example.test. IN DNSKEY 256 3 8 not*base64\n", "ta.conf:1: ");
	expect_error(
	    "example.test. IN DNSKEY 0 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1v\n",
	    "ta.conf:1: DNSKEY lacks the zone key flag (256)");
	expect_error(
	    "example.test. IN DNSKEY 257 2 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1v\n",
	    "ta.conf:1: DNSKEY protocol must be 3");
	expect_error("; x\nexample.test. IN DS ( 1 8 2\n" DIGEST32 "\n",
		     "ta.conf:2: '(' not closed before the end of the file");
	expect_error("example.test. IN DS 1 8 2 " DIGEST32 " )\n", "ta.conf:1: ')' without '('");
	expect_error("$INCLUDE other.conf\n",
		     "ta.conf:1: $INCLUDE is not supported in a trust-anchor file");
	expect_error("$ORIGIN lab\n", "ta.conf:1: $ORIGIN must be an absolute name");
	expect_error("$TTL soon\n", "ta.conf:1: $TTL: cannot read 'soon'");
	expect_error("$GENERATE 1-2 a A 1.2.3.4\n", "ta.conf:1: unknown directive $GENERATE");
	expect_error("@ IN DS 1 8 2 " DIGEST32 "\n", "ta.conf:1: '@' used before any $ORIGIN");
	expect_error(" IN DS 1 8 2 " DIGEST32 "\n",
		     "ta.conf:1: record without owner name and no previous owner");
	expect_error("example.test. IN TXT \"unterminated\n",
		     "ta.conf:1: unterminated quoted string");
	/* one good line before the bad one: nothing is kept */
	expect_error("example.test. IN DS 1 8 2 " DIGEST32 "\n\n\nbad. IN NS x.\n",
		     "ta.conf:4: only DS and DNSKEY records can be trust anchors");
}

static void test_long_record(void **state)
{
	size_t n = TRUST_ANCHOR_MAX_RECORD + 100;
	char *text = malloc(n + 1);

	(void)state;
	assert_non_null(text);
	memset(text, 'a', n);
	text[n] = '\0';
	expect_error(text, "ta.conf:1: record longer than");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_root_anchors), cmocka_unit_test(test_setup_default),
	    cmocka_unit_test(test_good_file),	 cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_bad_lines),	 cmocka_unit_test(test_long_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
