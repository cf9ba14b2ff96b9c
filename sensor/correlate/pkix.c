/*
 * pkix.c - chain verification against a trust store at packet time, with
 * OpenSSL's X509_verify_cert (see pkix.h).
 */
#include "correlate/pkix.h"

#include <openssl/asn1.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pkix_store {
	X509_STORE *store;
};

struct pkix_store *pkix_store_new(const char *ca_file, const char *ca_path, char *err,
				  size_t errlen)
{
	struct pkix_store *s = calloc(1, sizeof(*s));
	bool ok;

	if (s == NULL || (s->store = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	if (ca_file != NULL || ca_path != NULL)
		ok = X509_STORE_load_locations(s->store, ca_file, ca_path) == 1;
	else
		ok = X509_STORE_set_default_paths(s->store) == 1;
	if (!ok) {
		snprintf(err, errlen, "cannot load the trusted CA certificates from %s",
			 ca_file != NULL   ? ca_file
			 : ca_path != NULL ? ca_path
					   : "the system store");
		pkix_store_free(s);
		return NULL;
	}
	return s;
}

void pkix_store_free(struct pkix_store *s)
{
	if (s == NULL)
		return;
	X509_STORE_free(s->store);
	free(s);
}

static void asn1_time_iso(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	buf[0] = '\0';
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return;
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static enum pkix_result classify(int e)
{
	switch (e) {
	case X509_V_OK:
		return PKIX_OK;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return PKIX_EXPIRED;
	default:
		return PKIX_NOT_TRUSTED;
	}
}

enum pkix_result pkix_verify(const struct pkix_store *s, X509 *leaf, X509 *const *chain, size_t n,
			     uint64_t ts_us, struct pkix_failure *why)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	enum pkix_result r = PKIX_NOT_TRUSTED;
	X509 *bad;
	int e = X509_V_ERR_UNSPECIFIED;

	memset(why, 0, sizeof(*why));
	if (untrusted == NULL || ctx == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (chain[i] != NULL && !sk_X509_push(untrusted, chain[i]))
			goto out;
	if (X509_STORE_CTX_init(ctx, s->store, leaf, untrusted) != 1)
		goto out;
	/* The time of use is the packet's, not the wall clock's. */
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)(ts_us / MX_USEC));
	e = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	r = classify(e);
	why->depth = X509_STORE_CTX_get_error_depth(ctx);
	bad = X509_STORE_CTX_get_current_cert(ctx);
	if (r != PKIX_OK && bad != NULL) {
		X509_NAME_oneline(X509_get_subject_name(bad), why->subject, sizeof(why->subject));
		asn1_time_iso(X509_get0_notBefore(bad), why->not_before, sizeof(why->not_before));
		asn1_time_iso(X509_get0_notAfter(bad), why->not_after, sizeof(why->not_after));
	}
out:
	why->error = e;
	why->text = X509_verify_cert_error_string(e);
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	return r;
}
