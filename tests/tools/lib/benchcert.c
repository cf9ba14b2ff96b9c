/*
 * benchcert.c - deterministic per-host certificates of benchcert.h, made
 * with OpenSSL: an Ed25519 key from 32 seed bytes, a version 3
 * certificate with CN and subjectAltName, signed by its own key.
 */
#include "benchcert.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 32 key bytes from the seed (splitmix64, four words). */
static void seed_bytes(uint64_t seed, uint8_t out[32])
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		memcpy(out + 8 * i, &z, 8);
	}
}

/* Adds the subjectAltName dNSName host to x; returns 1 on success. */
static int add_san(X509 *x, const char *host)
{
	char value[300];
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int ok;

	if (snprintf(value, sizeof(value), "DNS:%s", host) >= (int)sizeof(value))
		return 0;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int bc_make(const char *host, uint64_t seed, int64_t not_before, uint8_t **der, size_t *len,
	    uint8_t spki_sha256[32])
{
	uint8_t key[32], *spki = NULL, *out = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	int n, rc = -1;

	seed_bytes(seed, key);
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, key, sizeof(key));
	x = X509_new();
	if (!pk || !x || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(seed & 0x7fffffff) + 1) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(not_before + 3650ll * 86400)))
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host,
					-1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, pk) || !add_san(x, host) ||
	    X509_sign(x, pk, NULL) <= 0)
		goto out;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	if (n <= 0)
		goto out;
	SHA256(spki, (size_t)n, spki_sha256);
	n = i2d_X509(x, &out);
	if (n <= 0)
		goto out;
	*der = malloc((size_t)n);
	if (!*der)
		goto out;
	memcpy(*der, out, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(out);
	OPENSSL_free(spki);
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}
