/*
 * benchcert.h - deterministic server certificates for generated captures:
 * one certificate per host name with a P-256 key derived from a seed,
 * issued by a fixed Ed25519 test CA. EdDSA signatures are deterministic,
 * so the same host and seed always give the same bytes, and every host
 * gets its own key (its own TLSA digest) and its own certificate.
 */
#ifndef BENCHCERT_H
#define BENCHCERT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Makes the DER certificate of host (CN and one dNSName SAN), valid from
 * not_before (Unix seconds) for ten years, with a key derived from seed.
 * On success returns 0, *der (malloc'd, the caller frees it), *len and the
 * SHA-256 of its SubjectPublicKeyInfo (a TLSA "3 1 1" digest); on failure
 * returns -1 with nothing allocated.
 */
int bc_make(const char *host, uint64_t seed, int64_t not_before, uint8_t **der, size_t *len,
	    uint8_t spki_sha256[32]);

#endif
