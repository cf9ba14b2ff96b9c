/*
 * benchcert.c - deterministic per-host certificates of benchcert.h, made
 * with OpenSSL: a P-256 key whose private scalar comes from the seed (as
 * most MX hosts have an ECDSA or RSA key, so a reader decodes a real EC
 * public key), in a version 3 certificate with CN and subjectAltName,
 * signed by a fixed Ed25519 "bench CA" key (EdDSA signatures are
 * deterministic, ECDSA ones are not).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "benchcert.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
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

/* The host key: a P-256 key with the private scalar from seed; NULL on failure. */
static EVP_PKEY *host_key(uint64_t seed)
{
	uint8_t priv[32];
	EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *d = NULL;
	EC_POINT *pub = NULL;
	EVP_PKEY *pk = NULL;

	seed_bytes(seed, priv);
	priv[0] &= 0x7f; /* below the group order */
	if (!ec)
		return NULL;
	d = BN_bin2bn(priv, sizeof(priv), NULL);
	pub = EC_POINT_new(EC_KEY_get0_group(ec));
	if (d && pub && EC_POINT_mul(EC_KEY_get0_group(ec), pub, d, NULL, NULL, NULL) &&
	    EC_KEY_set_private_key(ec, d) && EC_KEY_set_public_key(ec, pub)) {
		pk = EVP_PKEY_new();
		if (pk && !EVP_PKEY_assign_EC_KEY(pk, ec)) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	if (!pk)
		EC_KEY_free(ec);
	EC_POINT_free(pub);
	BN_free(d);
	return pk;
}

int bc_make(const char *host, uint64_t seed, int64_t not_before, uint8_t **der, size_t *len,
	    uint8_t spki_sha256[32])
{
	uint8_t key[32], *spki = NULL, *out = NULL;
	EVP_PKEY *ca = NULL, *pk = NULL;
	X509 *x = NULL;
	X509_NAME *name, *issuer = NULL;
	int n, rc = -1;

	seed_bytes(0x62656e6368204341ull, key);
	ca = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, key, sizeof(key));
	pk = host_key(seed);
	x = X509_new();
	issuer = X509_NAME_new();
	if (!ca || !pk || !x || !issuer || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(seed & 0x7fffffff) + 1) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(not_before + 3650ll * 86400)))
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC,
					(const unsigned char *)"mxsentry bench CA", -1, -1, 0) ||
	    !X509_set_issuer_name(x, issuer) || !X509_set_pubkey(x, pk) || !add_san(x, host) ||
	    X509_sign(x, ca, NULL) <= 0)
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
	X509_NAME_free(issuer);
	X509_free(x);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(ca);
	return rc;
}
