/*
 * dnssec_sig.h - the validator's guarded use of ldns's signature code:
 * structural checks of RRSIG, DNSKEY and DS records taken from traffic
 * before ldns sees them, the algorithms and digests the validator
 * supports, DS-to-DNSKEY matching, and the verification of one RRSIG over
 * one RRset with a set of keys at packet time, with ldns's status codes
 * mapped to what went wrong. Private to the validator (dnssec*.c) and the
 * trust anchor reader.
 */
#ifndef MX_DNSSEC_SIG_H
#define MX_DNSSEC_SIG_H

#include <ldns/ldns.h>

#include "util/common.h"
#include "dnssec/dnssec_name.h"

#define DNSKEY_FLAG_ZONE 0x0100u
#define DNSKEY_FLAG_SEP	 0x0001u

/* RRSIG fields (RFC 4034 3.1); sig points into the record. */
struct rrsig_info {
	uint16_t type_covered;
	uint8_t algorithm, labels;
	uint32_t original_ttl, expiration, inception;
	uint16_t key_tag;
	struct dname signer;
	const uint8_t *sig;
	size_t sig_len;
};

/* DNSKEY fields (RFC 4034 2.1); key points into the record. */
struct dnskey_info {
	uint16_t flags;
	uint8_t protocol, algorithm;
	const uint8_t *key;
	size_t key_len;
};

/* DS fields (RFC 4034 5.1); digest points into the record. */
struct ds_info {
	uint16_t key_tag;
	uint8_t algorithm, digest_type;
	const uint8_t *digest;
	size_t digest_len;
};

/* True when rr is an RRSIG with all nine fields well formed. */
bool dnssec_rrsig_parse(const ldns_rr *rr, struct rrsig_info *out);
/* True when rr is a DNSKEY with its four fields well formed. */
bool dnssec_dnskey_parse(const ldns_rr *rr, struct dnskey_info *out);
/* True when rr is a DS with its four fields well formed. */
bool dnssec_ds_parse(const ldns_rr *rr, struct ds_info *out);

/*
 * True for the DNSSEC algorithms the validator verifies (RFC 8624 "MUST"
 * and "RECOMMENDED" for validation, as built into ldns here): 5 RSASHA1,
 * 7 RSASHA1-NSEC3-SHA1, 8 RSASHA256, 10 RSASHA512, 13 ECDSAP256SHA256,
 * 14 ECDSAP384SHA384, 15 ED25519, 16 ED448.
 */
bool dnssec_algorithm_supported(uint8_t alg);

/* Digest length of a supported DS digest type (1, 2, 4), else 0. */
size_t dnssec_ds_digest_len(uint8_t digest_type);

/* True when the DS can be used: supported digest type and length, supported algorithm. */
bool dnssec_ds_usable(const struct ds_info *ds);

/*
 * True when DS ds (owner must equal the key's) is the digest of DNSKEY
 * key: key tag, algorithm, then the digest ldns_key_rr2ds computes.
 */
bool dnssec_ds_matches_dnskey(const ldns_rr *ds, const ldns_rr *key);

/* What became of one signature. */
enum sig_outcome {
	SIGV_OK,
	SIGV_EXPIRED,	   /* verifies, but the packet time is after expiration */
	SIGV_NOT_INCEPTED, /* verifies, but the packet time is before inception */
	SIGV_BAD_TIMES,	   /* verifies, but expiration is before inception */
	SIGV_NO_KEY,	   /* no key with the signature's tag and algorithm */
	SIGV_BAD,	   /* the signature does not verify with any such key */
	SIGV_MALFORMED,	   /* the signature or key cannot be decoded */
	SIGV_UNSUPPORTED,  /* algorithm not supported */
	SIGV_MISMATCH,	   /* the RRSIG does not fit the RRset (type, labels, class) */
};

/*
 * Verifies rrsig (already checked by dnssec_rrsig_parse into *si) over rrset
 * with the keys of `keys` that have its key tag and algorithm, the
 * validity window judged at now (seconds, RFC 1982 serial arithmetic).
 * The RRset must be non-empty, one owner, type and class. *key_used gets
 * the DNSKEY that verified (NULL otherwise). Neither list is modified.
 */
enum sig_outcome dnssec_sig_verify(const ldns_rr_list *rrset, const ldns_rr *rrsig,
				   const struct rrsig_info *si, const ldns_rr_list *keys,
				   uint32_t now, const ldns_rr **key_used);

/* Seconds from now until the RRSIG expires (0 when already expired). */
uint32_t dnssec_sig_remaining(const struct rrsig_info *si, uint32_t now);

#endif
