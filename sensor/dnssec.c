/*
 * dnssec.c - the passive DNSSEC validator: trust anchors, the chain of
 * DNSKEY and DS RRsets built from observed responses in any order (with
 * a bounded list of RRsets waiting for their parent's keys), RRset
 * validation at packet time, denial checks on whole responses, and the
 * "zone known to be signed" question the stripping detections ask.
 */
#include "dnssec_int.h"

#include <stdlib.h>
#include <string.h>

const struct mx_counter_desc dnssec_counter_desc[] = {
    MX_COUNTER("dnssec.keys_cached", struct dnssec_counters, keys_cached),
    MX_COUNTER("dnssec.ds_cached", struct dnssec_counters, ds_cached),
    MX_COUNTER("dnssec.insecure_cached", struct dnssec_counters, insecure_cached),
    MX_COUNTER("dnssec.pending", struct dnssec_counters, pending),
    MX_COUNTER("dnssec.memuse", struct dnssec_counters, memuse),
    MX_COUNTER("dnssec.keys_validated", struct dnssec_counters, keys_validated),
    MX_COUNTER("dnssec.ds_validated", struct dnssec_counters, ds_validated),
    MX_COUNTER("dnssec.keys_bogus", struct dnssec_counters, keys_bogus),
    MX_COUNTER("dnssec.pending_dropped", struct dnssec_counters, pending_dropped),
    MX_COUNTER("dnssec.evicted", struct dnssec_counters, evicted),
    MX_COUNTER("dnssec.memcap_drop", struct dnssec_counters, memcap_drop),
    MX_COUNTER("dnssec.expired", struct dnssec_counters, expired),
    MX_COUNTER("dnssec.validated", struct dnssec_counters, validated),
    MX_COUNTER("dnssec.bogus", struct dnssec_counters, bogus),
    MX_COUNTER("dnssec.insecure", struct dnssec_counters, insecure),
    MX_COUNTER("dnssec.indeterminate", struct dnssec_counters, indeterminate),
    MX_COUNTER("dnssec.denial_secure", struct dnssec_counters, denial_secure),
    MX_COUNTER("dnssec.denial_bogus", struct dnssec_counters, denial_bogus),
    MX_COUNTER("dnssec.denial_insecure", struct dnssec_counters, denial_insecure),
    MX_COUNTER("dnssec.denial_indeterminate", struct dnssec_counters, denial_indeterminate),
    MX_COUNTER("dnssec.denial_no_proof", struct dnssec_counters, denial_no_proof),
    MX_COUNTER("dnssec.verifications", struct dnssec_counters, verifications),
    MX_COUNTER("dnssec.verify_capped", struct dnssec_counters, verify_capped),
    MX_COUNTER("dnssec.unsupported_alg", struct dnssec_counters, unsupported_alg),
    MX_COUNTER("dnssec.malformed", struct dnssec_counters, malformed),
    MX_COUNTER("dnssec.nsec3_hashes", struct dnssec_counters, nsec3_hashes),
    MX_COUNTER("dnssec.nsec3_bad_hash", struct dnssec_counters, nsec3_bad_hash),
    MX_COUNTER("dnssec.nsec3_iter_capped", struct dnssec_counters, nsec3_iter_capped),
    MX_COUNTER("dnssec.alloc_fail", struct dnssec_counters, alloc_fail),
    {NULL, 0},
};

void dnssec_config_defaults(struct dnssec_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = 16u << 20;
	cfg->max_pending = 64;
	cfg->verify_budget = 64;
	cfg->nsec3_max_iterations = 150;
	cfg->max_ttl = 86400;
}

static uint32_t ts_sec(uint64_t ts_us)
{
	return (uint32_t)(ts_us / MX_USEC);
}

static void update_gauges(struct dnssec_validator *v)
{
	v->ctr.memuse = v->cache.memuse + v->pending_mem;
	v->ctr.pending = v->npending;
}

/* ------------------------------------------------------------------ */
/* Trust anchors */

static struct anchor_zone *anchor_find(const struct dnssec_validator *v, const struct dname *name)
{
	for (size_t i = 0; i < v->nanchors; i++)
		if (dname_equal(&v->anchors[i].name, name))
			return &v->anchors[i];
	return NULL;
}

static bool anchors_load(struct dnssec_validator *v, const struct trust_anchors *ta)
{
	size_t n = trust_anchors_count(ta);

	v->anchors = calloc(n > 0 ? n : 1, sizeof(*v->anchors));
	if (v->anchors == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = trust_anchors_get(ta, i);
		struct anchor_zone *a;
		struct dname owner;
		ldns_rr_list **list;
		ldns_rr *copy;

		if (!dname_from_rdf(&owner, ldns_rr_owner(rr)))
			continue;
		a = anchor_find(v, &owner);
		if (a == NULL) {
			a = &v->anchors[v->nanchors++];
			a->name = owner;
		}
		list = ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS ? &a->ds : &a->keys;
		if (*list == NULL && (*list = ldns_rr_list_new()) == NULL)
			return false;
		copy = ldns_rr_clone(rr);
		if (copy == NULL || !ldns_rr_list_push_rr(*list, copy)) {
			ldns_rr_free(copy);
			return false;
		}
	}
	return true;
}

/* True when DNSKEY key has the same flags, protocol, algorithm and key as one of list. */
static bool key_in_list(const ldns_rr *key, const ldns_rr_list *list)
{
	struct dnskey_info k, o;

	if (list == NULL || !dnskey_parse(key, &k))
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		if (!dnskey_parse(ldns_rr_list_rr(list, i), &o))
			continue;
		if (k.flags == o.flags && k.protocol == o.protocol && k.algorithm == o.algorithm &&
		    k.key_len == o.key_len && memcmp(k.key, o.key, k.key_len) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Zone state */

/* Validated keys of a zone: the cached DNSKEY RRset, else its anchor DNSKEYs. */
static const ldns_rr_list *zone_keys(struct dnssec_validator *v, const struct dname *zone,
				     uint64_t ts_us)
{
	struct zone_entry *e = zcache_find(&v->cache, zone, ts_us);
	const struct anchor_zone *a;

	if (e != NULL && e->keys != NULL)
		return e->keys;
	a = anchor_find(v, zone);
	if (a != NULL && a->keys != NULL && ldns_rr_list_rr_count(a->keys) > 0)
		return a->keys;
	return NULL;
}

enum zone_state dnssec_zone_state(struct dnssec_validator *v, const struct dname *name,
				  uint64_t ts_us, struct dname *zone)
{
	struct dname d = *name;

	for (;;) {
		/* the root and top-level zones are delegation-only: they say
		   nothing about the names in the zones below them */
		if (d.nlabels >= 2 || d.nlabels == name->nlabels) {
			struct zone_entry *e = zcache_find(&v->cache, &d, ts_us);

			if (anchor_find(v, &d) != NULL) {
				*zone = d;
				return ZONE_SIGNED;
			}
			if (e != NULL) {
				*zone = d;
				if (e->insecure_exp != 0)
					return ZONE_INSECURE;
				if (e->keys != NULL || (e->ds != NULL && e->ds_usable))
					return ZONE_SIGNED;
				return ZONE_INSECURE; /* DS without a usable digest/algorithm */
			}
		}
		if (!dname_parent(&d, &d))
			return ZONE_UNKNOWN;
	}
}

static void fill_zone(struct dnssec_validator *v, const struct dname *name, uint64_t ts_us,
		      struct dnssec_result *out)
{
	struct dname zone;

	out->zone_known_signed = dnssec_zone_state(v, name, ts_us, &zone) == ZONE_SIGNED;
	if (out->zone_known_signed)
		dname_to_str(&zone, out->zone, sizeof(out->zone));
	else
		out->zone[0] = '\0';
}

bool dnssec_zone_known_signed_rdf(struct dnssec_validator *v, const ldns_rdf *name, uint64_t ts_us,
				  char *zone, size_t zone_cap)
{
	struct dname d, z;
	bool signed_zone;

	if (zone != NULL && zone_cap > 0)
		zone[0] = '\0';
	if (!dname_from_rdf(&d, name))
		return false;
	signed_zone = dnssec_zone_state(v, &d, ts_us, &z) == ZONE_SIGNED;
	if (signed_zone && zone != NULL)
		dname_to_str(&z, zone, zone_cap);
	update_gauges(v);
	return signed_zone;
}

bool dnssec_zone_known_signed(struct dnssec_validator *v, const char *name, uint64_t ts_us,
			      char *zone, size_t zone_cap)
{
	struct dname d;
	ldns_rdf view;

	if (zone != NULL && zone_cap > 0)
		zone[0] = '\0';
	if (!dname_from_str(&d, name))
		return false;
	dname_view(&d, &view);
	return dnssec_zone_known_signed_rdf(v, &view, ts_us, zone, zone_cap);
}

/* ------------------------------------------------------------------ */
/* RRset validation */

uint64_t dnssec_item_exp(const struct dnssec_validator *v, const ldns_rr_list *rrset,
			 const struct rrsig_info *si, uint64_t ts_us)
{
	uint32_t ttl = v->cfg.max_ttl;

	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++)
		ttl = MX_MIN(ttl, ldns_rr_ttl(ldns_rr_list_rr(rrset, i)));
	if (si != NULL) {
		ttl = MX_MIN(ttl, si->original_ttl);
		ttl = MX_MIN(ttl, sig_remaining(si, ts_sec(ts_us)));
	}
	return ts_us + (uint64_t)ttl * MX_USEC;
}

static void result_reset(struct dnssec_result *out)
{
	memset(out, 0, sizeof(*out));
}

static void result_sig(struct dnssec_result *out, const struct rrsig_info *si)
{
	dname_to_str(&si->signer, out->signer, sizeof(out->signer));
	out->key_tag = si->key_tag;
	out->algorithm = si->algorithm;
}

static void result_set(struct dnssec_result *out, enum dnssec_status s, enum dnssec_reason r,
		       const struct rrsig_info *si)
{
	out->status = s;
	out->reason = r;
	if (si != NULL)
		result_sig(out, si);
}

/* Owner of a consistent RRset; false when rrset is not one RRset. */
static bool rrset_owner(const ldns_rr_list *rrset, struct dname *owner)
{
	size_t n = rrset == NULL ? 0 : ldns_rr_list_rr_count(rrset);
	const ldns_rr *first;

	if (n == 0 || n > DNSSEC_MAX_RRSET)
		return false;
	first = ldns_rr_list_rr(rrset, 0);
	if (!dname_from_rdf(owner, ldns_rr_owner(first)))
		return false;
	for (size_t i = 1; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		struct dname o;

		if (ldns_rr_get_type(rr) != ldns_rr_get_type(first) ||
		    ldns_rr_get_class(rr) != ldns_rr_get_class(first) ||
		    !dname_from_rdf(&o, ldns_rr_owner(rr)) || !dname_equal(&o, owner))
			return false;
	}
	return true;
}

/* How telling a failure is, to pick the reason when several RRSIGs fail. */
static int failure_rank(enum sig_outcome o)
{
	switch (o) {
	case SIG_BAD:
		return 7;
	case SIG_EXPIRED:
		return 6;
	case SIG_NOT_INCEPTED:
		return 5;
	case SIG_BAD_TIMES:
		return 4;
	case SIG_MALFORMED:
		return 3;
	case SIG_MISMATCH:
		return 2;
	case SIG_NO_KEY:
		return 1;
	default:
		return 0;
	}
}

static enum dnssec_reason failure_reason(enum sig_outcome o)
{
	switch (o) {
	case SIG_EXPIRED:
		return DNSSEC_R_SIG_EXPIRED;
	case SIG_NOT_INCEPTED:
		return DNSSEC_R_SIG_NOT_INCEPTED;
	case SIG_BAD_TIMES:
		return DNSSEC_R_SIG_BAD_TIMES;
	case SIG_NO_KEY:
		return DNSSEC_R_WRONG_KEY;
	case SIG_MALFORMED:
		return DNSSEC_R_MALFORMED_SIG;
	case SIG_MISMATCH:
		return DNSSEC_R_SIGNER_MISMATCH;
	default:
		return DNSSEC_R_BAD_SIGNATURE;
	}
}

/* True when sig is an RRSIG (parsed into *si) over the RRset of owner, type, rrclass. */
static bool sig_covers(struct dnssec_validator *v, const ldns_rr *sig, const struct dname *owner,
		       uint16_t type, ldns_rr_class rrclass, struct rrsig_info *si)
{
	struct dname o;

	if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG)
		return false;
	if (!rrsig_parse(sig, si)) {
		v->ctr.malformed++;
		return false;
	}
	return si->type_covered == type && ldns_rr_get_class(sig) == rrclass &&
	       dname_from_rdf(&o, ldns_rr_owner(sig)) && dname_equal(&o, owner);
}

/* True when the signer may sign this RRset at all (RFC 4035 5.3.1 and the zone cut rules). */
static bool signer_fits(const struct dname *owner, uint16_t type, const struct dname *signer)
{
	if (!dname_is_subdomain(owner, signer))
		return false;
	if (type == LDNS_RR_TYPE_DS && owner->nlabels > 0 && dname_equal(owner, signer))
		return false; /* a DS lives in (and is signed by) the parent */
	if (type == LDNS_RR_TYPE_DNSKEY && !dname_equal(owner, signer))
		return false;
	return true;
}

enum dnssec_status dnssec_val_rrset(struct dnssec_validator *v, const ldns_rr_list *rrset,
				    const ldns_rr_list *sigs, uint64_t ts_us,
				    struct dnssec_result *out, uint64_t *exp_us,
				    struct dname *signer)
{
	struct rrsig_info si, best, unknown, other;
	struct dname owner, zone;
	const ldns_rr *first;
	uint16_t type;
	int best_rank = -1;
	size_t nsig = 0;
	bool have_unknown = false, have_unsupported = false, capped = false, mismatch = false;
	enum zone_state zs;

	result_reset(out);
	if (exp_us != NULL)
		*exp_us = 0;
	if (!rrset_owner(rrset, &owner)) {
		result_set(out, DNSSEC_INDETERMINATE, DNSSEC_R_MALFORMED_RRSET, NULL);
		return out->status;
	}
	fill_zone(v, &owner, ts_us, out);
	first = ldns_rr_list_rr(rrset, 0);
	type = ldns_rr_get_type(first);

	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rr_list *keys;
		const ldns_rr *used;
		enum sig_outcome o;

		if (!sig_covers(v, sig, &owner, type, ldns_rr_get_class(first), &si))
			continue;
		if (++nsig > DNSSEC_MAX_SIGS)
			break;
		if (!signer_fits(&owner, type, &si.signer)) {
			mismatch = true;
			other = si;
			continue;
		}
		if (!dnssec_algorithm_supported(si.algorithm)) {
			v->ctr.unsupported_alg++;
			if (!have_unsupported && !have_unknown)
				other = si;
			have_unsupported = true;
			continue;
		}
		keys = zone_keys(v, &si.signer, ts_us);
		if (keys == NULL) {
			if (!have_unknown)
				unknown = si;
			have_unknown = true;
			continue;
		}
		if (v->budget == 0) {
			v->ctr.verify_capped++;
			capped = true;
			continue;
		}
		v->budget--;
		v->ctr.verifications++;
		o = sig_verify(rrset, sig, &si, keys, ts_sec(ts_us), &used);
		if (o == SIG_OK) {
			result_set(out, DNSSEC_SECURE, DNSSEC_R_NONE, &si);
			if (exp_us != NULL)
				*exp_us = dnssec_item_exp(v, rrset, &si, ts_us);
			if (signer != NULL)
				*signer = si.signer;
			return out->status;
		}
		if (o == SIG_UNSUPPORTED) {
			v->ctr.unsupported_alg++;
			have_unsupported = true;
			other = si;
			continue;
		}
		if (o == SIG_MALFORMED)
			v->ctr.malformed++;
		if (failure_rank(o) > best_rank) {
			best_rank = failure_rank(o);
			best = si;
			out->reason = failure_reason(o);
		}
	}

	if (best_rank >= 0) {
		result_set(out, DNSSEC_BOGUS, out->reason, &best);
	} else if (nsig == 0) {
		zs = dnssec_zone_state(v, &owner, ts_us, &zone);
		if (zs == ZONE_SIGNED)
			result_set(out, DNSSEC_INDETERMINATE, DNSSEC_R_NO_SIGNATURES, NULL);
		else if (zs == ZONE_INSECURE)
			result_set(out, DNSSEC_INSECURE, DNSSEC_R_ZONE_INSECURE, NULL);
		else
			result_set(out, DNSSEC_INSECURE, DNSSEC_R_UNSIGNED_ZONE, NULL);
	} else if (have_unknown) {
		if (dnssec_zone_state(v, &unknown.signer, ts_us, &zone) == ZONE_INSECURE)
			result_set(out, DNSSEC_INSECURE, DNSSEC_R_ZONE_INSECURE, &unknown);
		else
			result_set(out, DNSSEC_INDETERMINATE, DNSSEC_R_KEYS_UNKNOWN, &unknown);
	} else if (have_unsupported) {
		result_set(out, DNSSEC_INDETERMINATE, DNSSEC_R_UNSUPPORTED_ALG, &other);
	} else if (capped) {
		result_set(out, DNSSEC_INDETERMINATE, DNSSEC_R_BUDGET, NULL);
	} else if (mismatch) {
		result_set(out, DNSSEC_INDETERMINATE, DNSSEC_R_SIGNER_MISMATCH, &other);
	}
	return out->status;
}

static void count_result(struct dnssec_validator *v, enum dnssec_status s)
{
	switch (s) {
	case DNSSEC_SECURE:
		v->ctr.validated++;
		break;
	case DNSSEC_BOGUS:
		v->ctr.bogus++;
		break;
	case DNSSEC_INSECURE:
		v->ctr.insecure++;
		break;
	default:
		v->ctr.indeterminate++;
		break;
	}
}

void dnssec_validate_rrset(struct dnssec_validator *v, const ldns_rr_list *rrset,
			   const ldns_rr_list *rrsigs, uint64_t ts_us, struct dnssec_result *out)
{
	v->budget = v->cfg.verify_budget;
	count_result(v, dnssec_val_rrset(v, rrset, rrsigs, ts_us, out, NULL, NULL));
	update_gauges(v);
}

bool dnssec_validate_answer(struct dnssec_validator *v, const ldns_pkt *pkt, const ldns_rdf *owner,
			    uint16_t type, uint64_t ts_us, struct dnssec_result *out)
{
	const ldns_rr_list *ans = pkt != NULL ? ldns_pkt_answer(pkt) : NULL;
	ldns_rr_list *set = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	struct dname want, o;
	bool found = false;

	result_reset(out);
	out->status = DNSSEC_INDETERMINATE;
	out->reason = DNSSEC_R_MALFORMED_RRSET;
	if (set == NULL || sigs == NULL || ans == NULL || !dname_from_rdf(&want, owner)) {
		if (set == NULL || sigs == NULL)
			v->ctr.alloc_fail++;
		goto out;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		uint16_t t = ldns_rr_get_type(rr);

		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    !dname_from_rdf(&o, ldns_rr_owner(rr)) || !dname_equal(&o, &want))
			continue;
		if (t == type && ldns_rr_list_rr_count(set) < DNSSEC_MAX_RRSET)
			found |= ldns_rr_list_push_rr(set, rr);
		else if (t == LDNS_RR_TYPE_RRSIG &&
			 ldns_rr_list_rr_count(sigs) < 4 * DNSSEC_MAX_SIGS)
			(void)ldns_rr_list_push_rr(sigs, rr);
	}
	if (found)
		dnssec_validate_rrset(v, set, sigs, ts_us, out);
out:
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	return found;
}

/* ------------------------------------------------------------------ */
/* The chain: DNSKEY and DS RRsets from traffic */

enum chain_result {
	CHAIN_VALIDATED, /* validated and cached */
	CHAIN_SAME,	 /* the same RRset is already cached */
	CHAIN_PENDING,	 /* the parent's material is not known yet */
	CHAIN_FAILED,	 /* failed against trusted material, or nothing to do */
};

/* True when every record of a has an equal-rdata record in b and the counts match. */
static bool rrsets_same(const ldns_rr_list *a, const ldns_rr_list *b)
{
	if (ldns_rr_list_rr_count(a) != ldns_rr_list_rr_count(b))
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(a); i++) {
		const ldns_rr *x = ldns_rr_list_rr(a, i);
		bool found = false;

		for (size_t j = 0; j < ldns_rr_list_rr_count(b) && !found; j++) {
			const ldns_rr *y = ldns_rr_list_rr(b, j);

			if (ldns_rr_rd_count(x) != ldns_rr_rd_count(y))
				continue;
			found = true;
			for (size_t k = 0; k < ldns_rr_rd_count(x) && found; k++)
				found = ldns_rdf_compare(ldns_rr_rdf(x, k), ldns_rr_rdf(y, k)) == 0;
		}
		if (!found)
			return false;
	}
	return true;
}

static ldns_rr_list *deep_copy(struct dnssec_validator *v, const ldns_rr_list *l)
{
	ldns_rr_list *c = ldns_rr_list_clone(l);

	if (c == NULL)
		v->ctr.alloc_fail++;
	return c;
}

/* True when the DS record may point at a key of this RRset (tag and algorithm). */
static bool key_trusted(const ldns_rr *key, const ldns_rr_list *ds, const ldns_rr_list *anchor_keys)
{
	struct dnskey_info k;
	uint16_t tag;

	if (!dnskey_parse(key, &k))
		return false;
	if (key_in_list(key, anchor_keys))
		return true;
	tag = ldns_calc_keytag(key);
	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *d = ldns_rr_list_rr(ds, i);
		struct ds_info di;

		if (!ds_parse(d, &di) || di.key_tag != tag || di.algorithm != k.algorithm)
			continue;
		if (ds_matches_dnskey(d, key))
			return true;
	}
	return false;
}

static bool any_usable_ds(const ldns_rr_list *ds)
{
	struct ds_info di;

	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++)
		if (ds_parse(ldns_rr_list_rr(ds, i), &di) && ds_usable(&di))
			return true;
	return false;
}

/*
 * Tries to validate the DNSKEY RRset of zone: its keys must match a
 * trusted DS (anchor or validated) or an anchor DNSKEY, and an RRSIG by
 * such a key must verify at seen_us. Cache lookups are at now_us.
 */
static enum chain_result try_dnskey(struct dnssec_validator *v, const struct dname *zone,
				    const ldns_rr_list *rrset, const ldns_rr_list *sigs,
				    uint64_t seen_us, uint64_t now_us)
{
	const struct anchor_zone *a = anchor_find(v, zone);
	struct zone_entry *e = zcache_find(&v->cache, zone, now_us);
	const ldns_rr_list *ds_anchor = a != NULL ? a->ds : NULL;
	const ldns_rr_list *keys_anchor = a != NULL ? a->keys : NULL;
	const ldns_rr_list *ds_valid = e != NULL ? e->ds : NULL;
	ldns_rr_list *trusted;
	enum chain_result r = CHAIN_FAILED;
	bool capped = false;

	if (e != NULL && e->keys != NULL && rrsets_same(e->keys, rrset))
		return CHAIN_SAME;
	if (ds_anchor == NULL && keys_anchor == NULL && ds_valid == NULL)
		return (e != NULL && e->insecure_exp != 0) ? CHAIN_FAILED : CHAIN_PENDING;
	if (ds_anchor == NULL && keys_anchor == NULL && !any_usable_ds(ds_valid))
		return CHAIN_FAILED; /* insecure: no DS the validator can use */

	trusted = ldns_rr_list_new();
	if (trusted == NULL) {
		v->ctr.alloc_fail++;
		return CHAIN_FAILED;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
		ldns_rr *k = ldns_rr_list_rr(rrset, i);

		if ((key_trusted(k, ds_anchor, keys_anchor) || key_trusted(k, ds_valid, NULL)) &&
		    !ldns_rr_list_push_rr(trusted, k))
			break;
	}
	for (size_t i = 0;
	     sigs != NULL && i < ldns_rr_list_rr_count(sigs) && ldns_rr_list_rr_count(trusted) > 0;
	     i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rr *used;
		struct rrsig_info si;
		ldns_rr_list *copy;

		if (!sig_covers(v, sig, zone, LDNS_RR_TYPE_DNSKEY, LDNS_RR_CLASS_IN, &si) ||
		    !dname_equal(&si.signer, zone))
			continue;
		if (v->budget == 0) {
			v->ctr.verify_capped++;
			capped = true;
			break;
		}
		v->budget--;
		v->ctr.verifications++;
		if (sig_verify(rrset, sig, &si, trusted, ts_sec(seen_us), &used) != SIG_OK)
			continue;
		copy = deep_copy(v, rrset);
		if (copy != NULL &&
		    zcache_set_keys(&v->cache, zone, copy, dnssec_item_exp(v, rrset, &si, seen_us),
				    now_us)) {
			v->ctr.keys_validated++;
			r = CHAIN_VALIDATED;
		}
		ldns_rr_list_free(trusted);
		return r;
	}
	ldns_rr_list_free(trusted);
	if (capped)
		return CHAIN_PENDING;
	v->ctr.keys_bogus++;
	return CHAIN_FAILED;
}

/*
 * Tries to validate the DS RRset of child: an RRSIG by a proper ancestor
 * whose DNSKEYs are validated must verify at seen_us.
 */
static enum chain_result try_ds(struct dnssec_validator *v, const struct dname *child,
				const ldns_rr_list *rrset, const ldns_rr_list *sigs,
				uint64_t seen_us, uint64_t now_us)
{
	struct zone_entry *e = zcache_find(&v->cache, child, now_us);
	bool waiting = false, failed = false;

	if (child->nlabels == 0)
		return CHAIN_FAILED;
	if (e != NULL && e->ds != NULL && rrsets_same(e->ds, rrset))
		return CHAIN_SAME;
	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rr_list *keys;
		const ldns_rr *used;
		struct rrsig_info si;
		ldns_rr_list *copy;
		enum chain_result r = CHAIN_FAILED;

		if (!sig_covers(v, sig, child, LDNS_RR_TYPE_DS, LDNS_RR_CLASS_IN, &si) ||
		    !signer_fits(child, LDNS_RR_TYPE_DS, &si.signer))
			continue;
		keys = zone_keys(v, &si.signer, now_us);
		if (keys == NULL) {
			waiting = true;
			continue;
		}
		if (v->budget == 0) {
			v->ctr.verify_capped++;
			return CHAIN_PENDING;
		}
		v->budget--;
		v->ctr.verifications++;
		if (sig_verify(rrset, sig, &si, keys, ts_sec(seen_us), &used) != SIG_OK) {
			failed = true;
			continue;
		}
		copy = deep_copy(v, rrset);
		if (copy != NULL &&
		    zcache_set_ds(&v->cache, child, copy, any_usable_ds(rrset),
				  dnssec_item_exp(v, rrset, &si, seen_us), now_us)) {
			v->ctr.ds_validated++;
			r = CHAIN_VALIDATED;
		}
		return r;
	}
	if (failed) {
		v->ctr.keys_bogus++;
		return CHAIN_FAILED;
	}
	return waiting ? CHAIN_PENDING : CHAIN_FAILED;
}

static enum chain_result try_rrset(struct dnssec_validator *v, uint16_t type,
				   const struct dname *owner, const ldns_rr_list *rrset,
				   const ldns_rr_list *sigs, uint64_t seen_us, uint64_t now_us)
{
	if (type == LDNS_RR_TYPE_DNSKEY)
		return try_dnskey(v, owner, rrset, sigs, seen_us, now_us);
	return try_ds(v, owner, rrset, sigs, seen_us, now_us);
}

/* ------------------------------------------------------------------ */
/* Pending RRsets */

static void pending_free(struct dnssec_validator *v, size_t i)
{
	struct pending *p = v->pending[i];

	v->pending_mem -= p->mem;
	ldns_rr_list_deep_free(p->rrset);
	ldns_rr_list_deep_free(p->sigs);
	free(p);
	memmove(&v->pending[i], &v->pending[i + 1], (v->npending - i - 1) * sizeof(*v->pending));
	v->npending--;
	v->pending[v->npending] = NULL;
}

static void pending_add(struct dnssec_validator *v, uint16_t type, const struct dname *owner,
			const ldns_rr_list *rrset, const ldns_rr_list *sigs, uint64_t seen_us)
{
	struct pending *p;
	size_t mem = sizeof(*p) + dnssec_rr_list_mem(rrset) + dnssec_rr_list_mem(sigs);

	if (v->cfg.max_pending == 0)
		return;
	if (mem > DNSSEC_PENDING_MAX_BYTES) {
		v->ctr.memcap_drop++;
		return;
	}
	for (size_t i = 0; i < v->npending; i++) {
		if (v->pending[i]->type == type && dname_equal(&v->pending[i]->owner, owner)) {
			pending_free(v, i); /* replaced by the newer copy */
			v->ctr.pending_dropped++;
			break;
		}
	}
	if (v->npending >= v->cfg.max_pending) {
		pending_free(v, 0);
		v->ctr.pending_dropped++;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		v->ctr.alloc_fail++;
		return;
	}
	p->type = type;
	p->owner = *owner;
	p->rrset = deep_copy(v, rrset);
	p->sigs = deep_copy(v, sigs);
	p->seen_us = seen_us;
	p->exp_us = dnssec_item_exp(v, rrset, NULL, seen_us);
	p->mem = mem;
	if (p->rrset == NULL || p->sigs == NULL || p->exp_us <= seen_us) {
		ldns_rr_list_deep_free(p->rrset);
		ldns_rr_list_deep_free(p->sigs);
		free(p);
		return;
	}
	v->pending[v->npending++] = p;
	v->pending_mem += mem;
}

/* Retries every pending RRset until a round validates nothing new. */
static void pending_retry(struct dnssec_validator *v, uint64_t now_us)
{
	bool progress = true;

	for (size_t round = 0; progress && round <= v->cfg.max_pending; round++) {
		progress = false;
		for (size_t i = 0; i < v->npending;) {
			struct pending *p = v->pending[i];
			enum chain_result r;

			if (now_us >= p->exp_us) {
				pending_free(v, i);
				v->ctr.pending_dropped++;
				continue;
			}
			r = try_rrset(v, p->type, &p->owner, p->rrset, p->sigs, p->seen_us, now_us);
			if (r == CHAIN_PENDING) {
				i++;
				continue;
			}
			if (r == CHAIN_VALIDATED)
				progress = true;
			pending_free(v, i);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Harvesting a message */

struct group {
	uint16_t type;
	struct dname owner;
	ldns_rr_list *rrset; /* borrowed records */
	ldns_rr_list *sigs;
};

static struct group *group_get(struct dnssec_validator *v, struct group *g, size_t *ng,
			       uint16_t type, const struct dname *owner)
{
	for (size_t i = 0; i < *ng; i++)
		if (g[i].type == type && dname_equal(&g[i].owner, owner))
			return &g[i];
	if (*ng >= DNSSEC_MAX_GROUPS)
		return NULL;
	g[*ng].type = type;
	g[*ng].owner = *owner;
	g[*ng].rrset = ldns_rr_list_new();
	g[*ng].sigs = ldns_rr_list_new();
	if (g[*ng].rrset == NULL || g[*ng].sigs == NULL) {
		ldns_rr_list_free(g[*ng].rrset);
		ldns_rr_list_free(g[*ng].sigs);
		v->ctr.alloc_fail++;
		return NULL;
	}
	return &g[(*ng)++];
}

/* Collects the DNSKEY and DS RRsets of one section with their RRSIGs. */
static size_t harvest(struct dnssec_validator *v, const ldns_rr_list *sec, struct group *g)
{
	size_t ng = 0;

	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sec, i);
		uint16_t t = ldns_rr_get_type(rr);
		struct group *grp;
		struct dname owner;

		if ((t != LDNS_RR_TYPE_DNSKEY && t != LDNS_RR_TYPE_DS) ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    !dname_from_rdf(&owner, ldns_rr_owner(rr)))
			continue;
		grp = group_get(v, g, &ng, t, &owner);
		if (grp != NULL && ldns_rr_list_rr_count(grp->rrset) < DNSSEC_MAX_RRSET)
			(void)ldns_rr_list_push_rr(grp->rrset, rr);
	}
	for (size_t i = 0; ng > 0 && i < ldns_rr_list_rr_count(sec); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sec, i);
		struct rrsig_info si;
		struct dname owner;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || !rrsig_parse(rr, &si) ||
		    !dname_from_rdf(&owner, ldns_rr_owner(rr)))
			continue;
		for (size_t k = 0; k < ng; k++)
			if (g[k].type == si.type_covered && dname_equal(&g[k].owner, &owner) &&
			    ldns_rr_list_rr_count(g[k].sigs) < DNSSEC_MAX_SIGS)
				(void)ldns_rr_list_push_rr(g[k].sigs, rr);
	}
	return ng;
}

/* Marks child insecure when the denial proves it has no DS. */
static void learn_no_ds(struct dnssec_validator *v, const struct dname *child,
			const ldns_rr_list *auth, uint64_t ts_us)
{
	struct dnssec_result r;
	uint64_t exp = 0;

	if (child->nlabels == 0)
		return;
	dnssec_denial_prove(v, child, LDNS_RR_TYPE_DS, false, auth, ts_us, &r, &exp);
	if (r.status == DNSSEC_SECURE ||
	    (r.status == DNSSEC_INSECURE && r.reason == DNSSEC_R_NSEC3_OPTOUT))
		(void)zcache_set_insecure(&v->cache, child, exp, ts_us);
}

static bool section_has(const ldns_rr_list *sec, uint16_t type, const struct dname *owner)
{
	struct dname o;

	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(sec, i);

		if (ldns_rr_get_type(rr) != type)
			continue;
		if (owner == NULL ||
		    (dname_from_rdf(&o, ldns_rr_owner(rr)) && dname_equal(&o, owner)))
			return true;
	}
	return false;
}

/* Responses proving a zone has no DS: NODATA for DS, or a referral without DS. */
static void observe_no_ds(struct dnssec_validator *v, const ldns_pkt *pkt, uint64_t ts_us)
{
	const ldns_rr_list *q = ldns_pkt_question(pkt), *an = ldns_pkt_answer(pkt),
			   *ns = ldns_pkt_authority(pkt);
	struct dname qname, child;

	if (!ldns_pkt_qr(pkt) || ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR ||
	    ldns_rr_list_rr_count(q) != 1 || ldns_rr_list_rr_count(an) != 0)
		return;
	if (!section_has(ns, LDNS_RR_TYPE_NSEC, NULL) && !section_has(ns, LDNS_RR_TYPE_NSEC3, NULL))
		return;
	if (ldns_rr_get_type(ldns_rr_list_rr(q, 0)) == LDNS_RR_TYPE_DS &&
	    dname_from_rdf(&qname, ldns_rr_owner(ldns_rr_list_rr(q, 0)))) {
		learn_no_ds(v, &qname, ns, ts_us);
		return;
	}
	if (section_has(ns, LDNS_RR_TYPE_SOA, NULL))
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    !dname_from_rdf(&child, ldns_rr_owner(rr)))
			continue;
		if (!section_has(ns, LDNS_RR_TYPE_DS, &child))
			learn_no_ds(v, &child, ns, ts_us);
		return; /* a referral names one child */
	}
}

void dnssec_observe_pkt(struct dnssec_validator *v, const ldns_pkt *pkt, uint64_t ts_us)
{
	const ldns_rr_list *secs[3];
	bool progress = false;

	if (pkt == NULL)
		return;
	dnssec_tick(v, ts_us);
	v->budget = v->cfg.verify_budget;
	secs[0] = ldns_pkt_answer(pkt);
	secs[1] = ldns_pkt_authority(pkt);
	secs[2] = ldns_pkt_additional(pkt);
	for (size_t s = 0; s < 3; s++) {
		struct group g[DNSSEC_MAX_GROUPS];
		size_t ng = harvest(v, secs[s], g);

		/* DS first: a DS validated here may validate a DNSKEY RRset next */
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < ng; i++) {
				enum chain_result r;

				if ((pass == 0) != (g[i].type == LDNS_RR_TYPE_DS))
					continue;
				r = try_rrset(v, g[i].type, &g[i].owner, g[i].rrset, g[i].sigs,
					      ts_us, ts_us);
				if (r == CHAIN_VALIDATED)
					progress = true;
				else if (r == CHAIN_PENDING)
					pending_add(v, g[i].type, &g[i].owner, g[i].rrset,
						    g[i].sigs, ts_us);
			}
		}
		for (size_t i = 0; i < ng; i++) {
			ldns_rr_list_free(g[i].rrset);
			ldns_rr_list_free(g[i].sigs);
		}
	}
	if (progress)
		pending_retry(v, ts_us);
	observe_no_ds(v, pkt, ts_us);
	update_gauges(v);
}

/* ------------------------------------------------------------------ */
/* Denial of a response */

/* The name a response's answer leads to: qname after the answer's CNAME chain. */
static bool follow_cnames(const ldns_rr_list *an, struct dname *sname, uint16_t qtype,
			  bool *has_answer)
{
	*has_answer = false;
	for (int hop = 0; hop < 16; hop++) {
		bool moved = false;

		for (size_t i = 0; an != NULL && i < ldns_rr_list_rr_count(an); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			struct dname o;

			if (!dname_from_rdf(&o, ldns_rr_owner(rr)) || !dname_equal(&o, sname))
				continue;
			if (ldns_rr_get_type(rr) == qtype || qtype == LDNS_RR_TYPE_ANY) {
				*has_answer = true;
				return true;
			}
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_rd_count(rr) == 1 && dname_from_rdf(&o, ldns_rr_rdf(rr, 0))) {
				*sname = o;
				moved = true;
				break;
			}
		}
		if (!moved)
			return true;
	}
	return false; /* a CNAME loop or an overlong chain */
}

void dnssec_check_denial(struct dnssec_validator *v, const ldns_pkt *response, uint64_t ts_us,
			 struct dnssec_result *out)
{
	const ldns_rr_list *q;
	const ldns_rr *qrr;
	struct dname sname;
	uint16_t qtype;
	bool nxdomain, has_answer;
	ldns_pkt_rcode rcode;

	result_reset(out);
	out->status = DNSSEC_INDETERMINATE;
	out->reason = DNSSEC_R_NOT_DENIAL;
	v->budget = v->cfg.verify_budget;
	if (response == NULL || !ldns_pkt_qr(response))
		goto done;
	q = ldns_pkt_question(response);
	if (ldns_rr_list_rr_count(q) != 1)
		goto done;
	qrr = ldns_rr_list_rr(q, 0);
	qtype = ldns_rr_get_type(qrr);
	if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN ||
	    !dname_from_rdf(&sname, ldns_rr_owner(qrr)))
		goto done;
	rcode = ldns_pkt_get_rcode(response);
	if (rcode != LDNS_RCODE_NXDOMAIN && rcode != LDNS_RCODE_NOERROR)
		goto done;
	nxdomain = rcode == LDNS_RCODE_NXDOMAIN;
	if (!follow_cnames(ldns_pkt_answer(response), &sname, qtype, &has_answer) || has_answer)
		goto done;
	/* a referral (NS without SOA in authority) hands the name on: no denial */
	if (!nxdomain && section_has(ldns_pkt_authority(response), LDNS_RR_TYPE_NS, NULL) &&
	    !section_has(ldns_pkt_authority(response), LDNS_RR_TYPE_SOA, NULL))
		goto done;
	dnssec_denial_prove(v, &sname, qtype, nxdomain, ldns_pkt_authority(response), ts_us, out,
			    NULL);
	fill_zone(v, &sname, ts_us, out);
	switch (out->status) {
	case DNSSEC_SECURE:
		v->ctr.denial_secure++;
		break;
	case DNSSEC_BOGUS:
		v->ctr.denial_bogus++;
		break;
	case DNSSEC_INSECURE:
		v->ctr.denial_insecure++;
		break;
	case DNSSEC_NO_PROOF:
		v->ctr.denial_no_proof++;
		break;
	default:
		v->ctr.denial_indeterminate++;
		break;
	}
	update_gauges(v);
	return;
done:
	v->ctr.denial_indeterminate++;
	update_gauges(v);
}

/* ------------------------------------------------------------------ */
/* Life cycle */

struct dnssec_validator *dnssec_new(const struct trust_anchors *ta, const struct dnssec_config *cfg)
{
	struct dnssec_validator *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	if (cfg != NULL)
		v->cfg = *cfg;
	else
		dnssec_config_defaults(&v->cfg);
	zcache_init(&v->cache, v->cfg.memcap, &v->ctr);
	v->pending = calloc(v->cfg.max_pending + 1u, sizeof(*v->pending));
	if (v->pending == NULL || (ta != NULL && !anchors_load(v, ta))) {
		dnssec_free(v);
		return NULL;
	}
	update_gauges(v);
	return v;
}

void dnssec_free(struct dnssec_validator *v)
{
	if (v == NULL)
		return;
	if (v->pending != NULL)
		while (v->npending > 0)
			pending_free(v, v->npending - 1);
	free(v->pending);
	zcache_clear(&v->cache);
	for (size_t i = 0; i < v->nanchors; i++) {
		ldns_rr_list_deep_free(v->anchors[i].ds);
		ldns_rr_list_deep_free(v->anchors[i].keys);
	}
	free(v->anchors);
	free(v);
}

const struct dnssec_counters *dnssec_counters(const struct dnssec_validator *v)
{
	return &v->ctr;
}

void dnssec_tick(struct dnssec_validator *v, uint64_t ts_us)
{
	if (v->last_purge != 0 && ts_us >= v->last_purge &&
	    ts_us - v->last_purge < DNSSEC_PURGE_INTERVAL_US)
		return;
	v->last_purge = ts_us;
	zcache_expire(&v->cache, ts_us);
	for (size_t i = 0; i < v->npending;) {
		if (ts_us >= v->pending[i]->exp_us) {
			pending_free(v, i);
			v->ctr.pending_dropped++;
		} else {
			i++;
		}
	}
	update_gauges(v);
}

const char *dnssec_status_name(enum dnssec_status s)
{
	switch (s) {
	case DNSSEC_SECURE:
		return "secure";
	case DNSSEC_INSECURE:
		return "insecure";
	case DNSSEC_INDETERMINATE:
		return "indeterminate";
	case DNSSEC_BOGUS:
		return "bogus";
	case DNSSEC_NO_PROOF:
		return "no-proof";
	}
	return "indeterminate";
}

const char *dnssec_reason_name(enum dnssec_reason r)
{
	static const char *const names[] = {
	    [DNSSEC_R_NONE] = "",
	    [DNSSEC_R_NO_SIGNATURES] = "no-signatures",
	    [DNSSEC_R_UNSIGNED_ZONE] = "unsigned-zone",
	    [DNSSEC_R_ZONE_INSECURE] = "zone-insecure",
	    [DNSSEC_R_KEYS_UNKNOWN] = "keys-unknown",
	    [DNSSEC_R_UNSUPPORTED_ALG] = "unsupported-algorithm",
	    [DNSSEC_R_SIG_EXPIRED] = "signature-expired",
	    [DNSSEC_R_SIG_NOT_INCEPTED] = "signature-not-yet-valid",
	    [DNSSEC_R_SIG_BAD_TIMES] = "signature-bad-validity",
	    [DNSSEC_R_WRONG_KEY] = "wrong-key",
	    [DNSSEC_R_BAD_SIGNATURE] = "bad-signature",
	    [DNSSEC_R_MALFORMED_SIG] = "malformed-signature",
	    [DNSSEC_R_SIGNER_MISMATCH] = "signer-mismatch",
	    [DNSSEC_R_MALFORMED_RRSET] = "malformed-rrset",
	    [DNSSEC_R_NOT_DENIAL] = "not-a-denial",
	    [DNSSEC_R_NAME_NOT_COVERED] = "name-not-covered",
	    [DNSSEC_R_WILDCARD_NOT_COVERED] = "wildcard-not-covered",
	    [DNSSEC_R_TYPE_EXISTS] = "type-exists",
	    [DNSSEC_R_WRONG_SIDE] = "delegation-nsec",
	    [DNSSEC_R_NO_CLOSEST_ENCLOSER] = "no-closest-encloser",
	    [DNSSEC_R_NSEC3_OPTOUT] = "nsec3-opt-out",
	    [DNSSEC_R_NSEC3_UNSUPPORTED_HASH] = "nsec3-unsupported-hash",
	    [DNSSEC_R_NSEC3_ITERATIONS] = "nsec3-too-many-iterations",
	    [DNSSEC_R_NSEC3_MALFORMED] = "nsec3-malformed",
	    [DNSSEC_R_BUDGET] = "verification-budget",
	};

	if ((size_t)r < MX_ARRAY_LEN(names) && names[r] != NULL)
		return names[r];
	return "";
}
