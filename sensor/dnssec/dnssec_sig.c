/*
 * dnssec_sig.c - signature verification for the validator on top of
 * ldns: every record from traffic is checked field by field before ldns
 * reads it, keys are narrowed to the signature's tag and algorithm, ldns's
 * statuses are mapped (a malformed ECDSA signature comes back from ldns
 * as LDNS_STATUS_MEM_ERR: that is a malformed signature here, never an
 * out-of-memory condition), and the validity window is judged at packet
 * time after the cryptography, so an expired but genuine signature is
 * told apart from a forged one.
 */
#include "dnssec/dnssec_sig.h"

#include <string.h>

/* Keys with the same tag and algorithm tried for one signature. */
#define SIG_MAX_CANDIDATES 8
/* Largest RSA signature accepted (a 8192-bit modulus). */
#define SIG_RSA_MAX 1024

static bool rdf_ok(const ldns_rr *rr, size_t i, size_t size)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);

	return f != NULL && ldns_rdf_size(f) == size;
}

bool dnssec_rrsig_parse(const ldns_rr *rr, struct rrsig_info *out)
{
	const ldns_rdf *sig;

	if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(rr) != 9)
		return false;
	if (!rdf_ok(rr, 0, 2) || !rdf_ok(rr, 1, 1) || !rdf_ok(rr, 2, 1) || !rdf_ok(rr, 3, 4) ||
	    !rdf_ok(rr, 4, 4) || !rdf_ok(rr, 5, 4) || !rdf_ok(rr, 6, 2))
		return false;
	if (!dnssec_name_from_rdf(&out->signer, ldns_rr_rdf(rr, 7)))
		return false;
	sig = ldns_rr_rdf(rr, 8);
	if (sig == NULL)
		return false;
	out->type_covered = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	out->algorithm = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	out->labels = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
	out->original_ttl = ldns_rdf2native_int32(ldns_rr_rdf(rr, 3));
	out->expiration = ldns_rdf2native_int32(ldns_rr_rdf(rr, 4));
	out->inception = ldns_rdf2native_int32(ldns_rr_rdf(rr, 5));
	out->key_tag = ldns_rdf2native_int16(ldns_rr_rdf(rr, 6));
	out->sig = ldns_rdf_data(sig);
	out->sig_len = ldns_rdf_size(sig);
	return true;
}

bool dnssec_dnskey_parse(const ldns_rr *rr, struct dnskey_info *out)
{
	const ldns_rdf *key;

	if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(rr) != 4)
		return false;
	if (!rdf_ok(rr, 0, 2) || !rdf_ok(rr, 1, 1) || !rdf_ok(rr, 2, 1))
		return false;
	key = ldns_rr_rdf(rr, 3);
	if (key == NULL)
		return false;
	out->flags = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	out->protocol = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	out->algorithm = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
	out->key = ldns_rdf_data(key);
	out->key_len = ldns_rdf_size(key);
	return true;
}

bool dnssec_ds_parse(const ldns_rr *rr, struct ds_info *out)
{
	const ldns_rdf *d;

	if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS || ldns_rr_rd_count(rr) != 4)
		return false;
	if (!rdf_ok(rr, 0, 2) || !rdf_ok(rr, 1, 1) || !rdf_ok(rr, 2, 1))
		return false;
	d = ldns_rr_rdf(rr, 3);
	if (d == NULL)
		return false;
	out->key_tag = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	out->algorithm = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	out->digest_type = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
	out->digest = ldns_rdf_data(d);
	out->digest_len = ldns_rdf_size(d);
	return true;
}

bool dnssec_algorithm_supported(uint8_t alg)
{
	switch (alg) {
	case LDNS_RSASHA1:
	case LDNS_RSASHA1_NSEC3:
	case LDNS_RSASHA256:
	case LDNS_RSASHA512:
	case LDNS_ECDSAP256SHA256:
	case LDNS_ECDSAP384SHA384:
#if LDNS_BUILD_CONFIG_USE_ED25519
	case LDNS_ED25519:
#endif
#if LDNS_BUILD_CONFIG_USE_ED448
	case LDNS_ED448:
#endif
		return true;
	default:
		return false;
	}
}

size_t dnssec_ds_digest_len(uint8_t digest_type)
{
	switch (digest_type) {
	case LDNS_SHA1:
		return 20;
	case LDNS_SHA256:
		return 32;
	case LDNS_SHA384:
		return 48;
	default:
		return 0;
	}
}

bool dnssec_ds_usable(const struct ds_info *ds)
{
	size_t want = dnssec_ds_digest_len(ds->digest_type);

	return want != 0 && ds->digest_len == want && dnssec_algorithm_supported(ds->algorithm);
}

bool dnssec_ds_matches_dnskey(const ldns_rr *ds, const ldns_rr *key)
{
	struct ds_info d;
	struct dnskey_info k;
	struct dname o1, o2;
	ldns_rr *gen;
	const ldns_rdf *g;
	bool match;

	if (!dnssec_ds_parse(ds, &d) || !dnssec_dnskey_parse(key, &k) || !dnssec_ds_usable(&d))
		return false;
	if (d.algorithm != k.algorithm || k.protocol != 3 || !(k.flags & DNSKEY_FLAG_ZONE))
		return false;
	if (!dnssec_name_from_rdf(&o1, ldns_rr_owner(ds)) ||
	    !dnssec_name_from_rdf(&o2, ldns_rr_owner(key)) || !dnssec_name_equal(&o1, &o2))
		return false;
	if (ldns_calc_keytag(key) != d.key_tag)
		return false;
	gen = ldns_key_rr2ds(key, (ldns_hash)d.digest_type);
	if (gen == NULL)
		return false;
	g = ldns_rr_rd_count(gen) == 4 ? ldns_rr_rdf(gen, 3) : NULL;
	match = g != NULL && ldns_rdf_size(g) == d.digest_len &&
		memcmp(ldns_rdf_data(g), d.digest, d.digest_len) == 0;
	ldns_rr_free(gen);
	return match;
}

/* Signature length the algorithm needs; false when sig_len cannot be one. */
static bool sig_len_ok(uint8_t alg, size_t len)
{
	switch (alg) {
	case LDNS_ECDSAP256SHA256:
		return len == 64;
	case LDNS_ECDSAP384SHA384:
		return len == 96;
	case LDNS_ED25519:
		return len == 64;
	case LDNS_ED448:
		return len == 114;
	default:
		return len >= 1 && len <= SIG_RSA_MAX;
	}
}

/* Judges the validity window at now with RFC 1982 serial arithmetic. */
static enum sig_outcome check_times(const struct rrsig_info *si, uint32_t now)
{
	if ((int32_t)(si->expiration - si->inception) < 0)
		return SIGV_BAD_TIMES;
	if ((int32_t)(now - si->inception) < 0)
		return SIGV_NOT_INCEPTED;
	if ((int32_t)(si->expiration - now) < 0)
		return SIGV_EXPIRED;
	return SIGV_OK;
}

uint32_t dnssec_sig_remaining(const struct rrsig_info *si, uint32_t now)
{
	int32_t d = (int32_t)(si->expiration - now);

	return d > 0 ? (uint32_t)d : 0;
}

static enum sig_outcome map_status(ldns_status s)
{
	switch (s) {
	case LDNS_STATUS_OK:
		return SIGV_OK;
	case LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY:
		return SIGV_NO_KEY;
	case LDNS_STATUS_CRYPTO_UNKNOWN_ALGO:
	case LDNS_STATUS_CRYPTO_ALGO_NOT_IMPL:
		return SIGV_UNSUPPORTED;
	case LDNS_STATUS_CRYPTO_TYPE_COVERED_ERR:
		return SIGV_MISMATCH;
	case LDNS_STATUS_MEM_ERR:
	case LDNS_STATUS_MISSING_RDATA_FIELDS_RRSIG:
	case LDNS_STATUS_MISSING_RDATA_FIELDS_KEY:
		return SIGV_MALFORMED;
	default:
		return SIGV_BAD;
	}
}

/* True when every record of rrset has the owner, type and class of the first. */
static bool rrset_consistent(const ldns_rr_list *rrset, struct dname *owner)
{
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);

	if (!dnssec_name_from_rdf(owner, ldns_rr_owner(first)))
		return false;
	for (size_t i = 1; i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		struct dname o;

		if (ldns_rr_get_type(rr) != ldns_rr_get_type(first) ||
		    ldns_rr_get_class(rr) != ldns_rr_get_class(first) ||
		    !dnssec_name_from_rdf(&o, ldns_rr_owner(rr)) || !dnssec_name_equal(&o, owner))
			return false;
	}
	return true;
}

enum sig_outcome dnssec_sig_verify(const ldns_rr_list *rrset, const ldns_rr *rrsig,
				   const struct rrsig_info *si, const ldns_rr_list *keys,
				   uint32_t now, const ldns_rr **key_used)
{
	const ldns_rr *first;
	ldns_rr_list *cand = NULL, *good = NULL;
	ldns_rr *sig = NULL;
	struct dname owner;
	enum sig_outcome out;
	ldns_status s;

	*key_used = NULL;
	if (!dnssec_algorithm_supported(si->algorithm))
		return SIGV_UNSUPPORTED;
	if (rrset == NULL || ldns_rr_list_rr_count(rrset) == 0)
		return SIGV_MISMATCH;
	first = ldns_rr_list_rr(rrset, 0);
	if (!rrset_consistent(rrset, &owner) || ldns_rr_get_type(first) != si->type_covered ||
	    ldns_rr_get_class(first) != ldns_rr_get_class(rrsig) || si->labels > owner.nlabels ||
	    !dnssec_name_is_subdomain(&owner, &si->signer))
		return SIGV_MISMATCH;
	if (!sig_len_ok(si->algorithm, si->sig_len))
		return SIGV_MALFORMED;

	cand = ldns_rr_list_new();
	if (cand == NULL)
		return SIGV_MALFORMED;
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++) {
		ldns_rr *k = ldns_rr_list_rr(keys, i);
		struct dnskey_info ki;

		if (!dnssec_dnskey_parse(k, &ki) || ki.protocol != 3 ||
		    !(ki.flags & DNSKEY_FLAG_ZONE) || ki.algorithm != si->algorithm ||
		    ki.key_len == 0)
			continue;
		if (ldns_calc_keytag(k) != si->key_tag)
			continue;
		if (ldns_rr_list_rr_count(cand) >= SIG_MAX_CANDIDATES)
			break;
		if (!ldns_rr_list_push_rr(cand, k))
			break;
	}
	if (ldns_rr_list_rr_count(cand) == 0) {
		out = SIGV_NO_KEY;
		goto done;
	}
	/* ldns lowercases the RRSIG owner in place: give it a copy */
	sig = ldns_rr_clone(rrsig);
	good = ldns_rr_list_new();
	if (sig == NULL || good == NULL) {
		out = SIGV_MALFORMED;
		goto done;
	}
	s = ldns_verify_rrsig_keylist_notime(rrset, sig, cand, good);
	out = map_status(s);
	if (out == SIGV_OK) {
		if (ldns_rr_list_rr_count(good) > 0)
			*key_used = ldns_rr_list_rr(good, 0);
		out = check_times(si, now);
	}
done:
	ldns_rr_list_free(good);
	ldns_rr_free(sig);
	ldns_rr_list_free(cand);
	return out;
}
