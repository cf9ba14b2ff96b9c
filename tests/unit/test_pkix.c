/*
 * test_pkix.c - chain verification of sensor/correlate/pkix.c at packet
 * time: a CA and certificates made here, the CA loaded as a PEM file and
 * as a hashed directory; good, expired, not yet valid, unknown issuer,
 * and the intermediate handed over as the untrusted chain.
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "correlate/pkix.h"

#define DAY   86400L
#define NOW_S 1800000000L /* the packet time of these tests */

struct key_cert {
	EVP_PKEY *key;
	X509 *cert;
};

/* A certificate for cn valid [NOW_S + from, NOW_S + to], signed by issuer (NULL: itself). */
static struct key_cert make(const char *cn, const struct key_cert *issuer, bool ca, long from,
			    long to)
{
	struct key_cert kc = {EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), X509_new()};
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	static long serial = 1;

	assert_non_null(kc.key);
	assert_non_null(kc.cert);
	X509_set_version(kc.cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(kc.cert), serial++);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(kc.cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(kc.cert, X509_get_subject_name(issuer ? issuer->cert : kc.cert));
	ASN1_TIME_set(X509_getm_notBefore(kc.cert), (time_t)(NOW_S + from));
	ASN1_TIME_set(X509_getm_notAfter(kc.cert), (time_t)(NOW_S + to));
	X509_set_pubkey(kc.cert, kc.key);
	X509V3_set_ctx(&v3, issuer ? issuer->cert : kc.cert, kc.cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	assert_non_null(ext);
	X509_add_ext(kc.cert, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(kc.cert, issuer ? issuer->key : kc.key, EVP_sha256()) > 0);
	return kc;
}

static void drop(struct key_cert *kc)
{
	EVP_PKEY_free(kc->key);
	X509_free(kc->cert);
}

static void write_pem(const char *path, X509 *c)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(PEM_write_X509(fp, c) == 1);
	fclose(fp);
}

struct fx {
	struct key_cert root, inter, leaf, other_root, other_leaf;
	char dir[64], file[96], hashed[128];
};

static struct fx *fx_new(void)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->root = make("Test Root", NULL, true, -3650 * DAY, 3650 * DAY);
	x->inter = make("Test Intermediate", &x->root, true, -365 * DAY, 365 * DAY);
	x->leaf = make("mx.pkix.test", &x->inter, false, -10 * DAY, 80 * DAY);
	x->other_root = make("Other Root", NULL, true, -3650 * DAY, 3650 * DAY);
	x->other_leaf = make("mx.other.test", &x->other_root, false, -10 * DAY, 80 * DAY);
	snprintf(x->dir, sizeof(x->dir), "/tmp/mx-pkix-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->file, sizeof(x->file), "%s/ca.pem", x->dir);
	write_pem(x->file, x->root.cert);
	snprintf(x->hashed, sizeof(x->hashed), "%s/%08lx.0", x->dir,
		 X509_subject_name_hash(x->root.cert));
	write_pem(x->hashed, x->root.cert);
	return x;
}

static void fx_free(struct fx *x)
{
	unlink(x->file);
	unlink(x->hashed);
	rmdir(x->dir);
	drop(&x->root);
	drop(&x->inter);
	drop(&x->leaf);
	drop(&x->other_root);
	drop(&x->other_leaf);
	free(x);
}

static uint64_t at(long s)
{
	return (uint64_t)(NOW_S + s) * MX_USEC;
}

static void check_store(struct fx *x, const struct pkix_store *s)
{
	X509 *chain[2] = {NULL, x->inter.cert};
	struct pkix_failure why;

	/* good at packet time, the intermediate among the untrusted (NULLs skipped) */
	assert_int_equal(pkix_verify(s, x->leaf.cert, chain, 2, at(0), &why), PKIX_OK);
	assert_int_equal(why.error, 0);
	assert_string_equal(why.subject, "");
	/* without the intermediate the chain leads nowhere */
	assert_int_equal(pkix_verify(s, x->leaf.cert, NULL, 0, at(0), &why), PKIX_NOT_TRUSTED);
	assert_int_equal(why.error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_string_equal(why.subject, "/CN=mx.pkix.test");
	assert_non_null(why.text);
	/* expired and not yet valid: judged at the packet's time, not the wall clock's */
	assert_int_equal(pkix_verify(s, x->leaf.cert, chain, 2, at(81 * DAY), &why), PKIX_EXPIRED);
	assert_int_equal(why.error, X509_V_ERR_CERT_HAS_EXPIRED);
	assert_int_equal(why.depth, 0);
	assert_string_equal(why.subject, "/CN=mx.pkix.test");
	assert_string_equal(why.not_after, "2027-04-05T08:00:00Z");
	assert_string_equal(why.not_before, "2027-01-05T08:00:00Z");
	assert_int_equal(pkix_verify(s, x->leaf.cert, chain, 2, at(-11 * DAY), &why), PKIX_EXPIRED);
	assert_int_equal(why.error, X509_V_ERR_CERT_NOT_YET_VALID);
	/* the intermediate expired: depth 1 */
	assert_int_equal(pkix_verify(s, x->leaf.cert, chain, 2, at(366 * DAY), &why), PKIX_EXPIRED);
	assert_int_equal(why.depth, 1);
	/* another root's certificate */
	assert_int_equal(pkix_verify(s, x->other_leaf.cert, NULL, 0, at(0), &why),
			 PKIX_NOT_TRUSTED);
	assert_string_equal(why.subject, "/CN=mx.other.test");
}

static void test_file(void **state)
{
	struct fx *x = fx_new();
	char err[256];
	struct pkix_store *s = pkix_store_new(x->file, NULL, err, sizeof(err));

	(void)state;
	assert_non_null(s);
	check_store(x, s);
	pkix_store_free(s);
	fx_free(x);
}

static void test_hashed_dir(void **state)
{
	struct fx *x = fx_new();
	char err[256];
	struct pkix_store *s = pkix_store_new(NULL, x->dir, err, sizeof(err));

	(void)state;
	assert_non_null(s);
	check_store(x, s);
	pkix_store_free(s);
	fx_free(x);
}

static void test_errors(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(pkix_store_new("/nonexistent/ca.pem", NULL, err, sizeof(err)));
	assert_string_equal(err,
			    "cannot load the trusted CA certificates from /nonexistent/ca.pem");
	pkix_store_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_hashed_dir),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
