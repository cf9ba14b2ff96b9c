/*
 * dnssec.c - the passive DNSSEC validator: its life cycle and trust
 * anchors, RRset validation at packet time, denial checks on whole
 * responses, and the "zone known to be signed" question the stripping
 * detections ask. The chain of DNSKEY and DS RRsets built from observed
 * responses is in dnssec_chain.c, the cache in dnssec_cache.c, the
 * NSEC/NSEC3 proofs in dnssec_denial.c.
 */
#include "dnssec/dnssec_int.h"

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
    MX_COUNTER("dnssec.keys_vouched", struct dnssec_counters, keys_vouched),
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

void dnssec_update_gauges(struct dnssec_validator *v)
{
	v->ctr.memuse = v->cache.memuse + v->pending_mem;
	v->ctr.pending = v->npending;
}

/* ------------------------------------------------------------------ */
/* Trust anchors */

struct anchor_zone *dnssec_anchor_find(const struct dnssec_validator *v, const struct dname *name)
{
	for (size_t i = 0; i < v->nanchors; i++)
		if (dnssec_name_equal(&v->anchors[i].name, name))
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

		if (!dnssec_name_from_rdf(&owner, ldns_rr_owner(rr)))
			continue;
		a = dnssec_anchor_find(v, &owner);
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

/* ------------------------------------------------------------------ */
/* Zone state */

/* Validated keys of a zone: the cached DNSKEY RRset, else its anchor DNSKEYs. */
const ldns_rr_list *dnssec_zone_keys(struct dnssec_validator *v, const struct dname *zone,
				     uint64_t ts_us)
{
	struct zone_entry *e = dnssec_cache_find(&v->cache, zone, ts_us);
	const struct anchor_zone *a;

	if (e != NULL && e->keys != NULL)
		return e->keys;
	a = dnssec_anchor_find(v, zone);
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
			struct zone_entry *e = dnssec_cache_find(&v->cache, &d, ts_us);

			if (dnssec_anchor_find(v, &d) != NULL) {
				*zone = d;
				return ZONE_SIGNED;
			}
			if (e != NULL) {
				*zone = d;
				if (e->insecure_exp != 0)
					return ZONE_INSECURE;
				if (e->keys != NULL || (e->ds != NULL && e->dnssec_ds_usable))
					return ZONE_SIGNED;
				return ZONE_INSECURE; /* DS without a usable digest/algorithm */
			}
		}
		if (!dnssec_name_parent(&d, &d))
			return ZONE_UNKNOWN;
	}
}

static void fill_zone(struct dnssec_validator *v, const struct dname *name, uint64_t ts_us,
		      struct dnssec_result *out)
{
	struct dname zone;

	out->zone_known_signed = dnssec_zone_state(v, name, ts_us, &zone) == ZONE_SIGNED;
	if (out->zone_known_signed)
		dnssec_name_to_str(&zone, out->zone, sizeof(out->zone));
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
	if (!dnssec_name_from_rdf(&d, name))
		return false;
	signed_zone = dnssec_zone_state(v, &d, ts_us, &z) == ZONE_SIGNED;
	if (signed_zone && zone != NULL)
		dnssec_name_to_str(&z, zone, zone_cap);
	dnssec_update_gauges(v);
	return signed_zone;
}

bool dnssec_zone_known_signed(struct dnssec_validator *v, const char *name, uint64_t ts_us,
			      char *zone, size_t zone_cap)
{
	struct dname d;
	ldns_rdf view;

	if (zone != NULL && zone_cap > 0)
		zone[0] = '\0';
	if (!dnssec_name_from_str(&d, name))
		return false;
	dnssec_name_view(&d, &view);
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
		ttl = MX_MIN(ttl, dnssec_sig_remaining(si, dnssec_ts_sec(ts_us)));
	}
	return ts_us + (uint64_t)ttl * MX_USEC;
}

static void result_reset(struct dnssec_result *out)
{
	memset(out, 0, sizeof(*out));
}

static void result_sig(struct dnssec_result *out, const struct rrsig_info *si)
{
	dnssec_name_to_str(&si->signer, out->signer, sizeof(out->signer));
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
	if (!dnssec_name_from_rdf(owner, ldns_rr_owner(first)))
		return false;
	for (size_t i = 1; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		struct dname o;

		if (ldns_rr_get_type(rr) != ldns_rr_get_type(first) ||
		    ldns_rr_get_class(rr) != ldns_rr_get_class(first) ||
		    !dnssec_name_from_rdf(&o, ldns_rr_owner(rr)) || !dnssec_name_equal(&o, owner))
			return false;
	}
	return true;
}

/* How telling a failure is, to pick the reason when several RRSIGs fail. */
static int failure_rank(enum sig_outcome o)
{
	switch (o) {
	case SIGV_BAD:
		return 7;
	case SIGV_EXPIRED:
		return 6;
	case SIGV_NOT_INCEPTED:
		return 5;
	case SIGV_BAD_TIMES:
		return 4;
	case SIGV_MALFORMED:
		return 3;
	case SIGV_MISMATCH:
		return 2;
	case SIGV_NO_KEY:
		return 1;
	default:
		return 0;
	}
}

static enum dnssec_reason failure_reason(enum sig_outcome o)
{
	switch (o) {
	case SIGV_EXPIRED:
		return DNSSEC_R_SIG_EXPIRED;
	case SIGV_NOT_INCEPTED:
		return DNSSEC_R_SIG_NOT_INCEPTED;
	case SIGV_BAD_TIMES:
		return DNSSEC_R_SIG_BAD_TIMES;
	case SIGV_NO_KEY:
		return DNSSEC_R_WRONG_KEY;
	case SIGV_MALFORMED:
		return DNSSEC_R_MALFORMED_SIG;
	case SIGV_MISMATCH:
		return DNSSEC_R_SIGNER_MISMATCH;
	default:
		return DNSSEC_R_BAD_SIGNATURE;
	}
}

/* True when sig is an RRSIG (parsed into *si) over the RRset of owner, type, rrclass. */
bool dnssec_sig_covers(struct dnssec_validator *v, const ldns_rr *sig, const struct dname *owner,
		       uint16_t type, ldns_rr_class rrclass, struct rrsig_info *si)
{
	struct dname o;

	if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG)
		return false;
	if (!dnssec_rrsig_parse(sig, si)) {
		v->ctr.malformed++;
		return false;
	}
	return si->type_covered == type && ldns_rr_get_class(sig) == rrclass &&
	       dnssec_name_from_rdf(&o, ldns_rr_owner(sig)) && dnssec_name_equal(&o, owner);
}

/* True when the signer may sign this RRset at all (RFC 4035 5.3.1 and the zone cut rules). */
bool dnssec_signer_fits(const struct dname *owner, uint16_t type, const struct dname *signer)
{
	if (!dnssec_name_is_subdomain(owner, signer))
		return false;
	if (type == LDNS_RR_TYPE_DS && owner->nlabels > 0 && dnssec_name_equal(owner, signer))
		return false; /* a DS lives in (and is signed by) the parent */
	if (type == LDNS_RR_TYPE_DNSKEY && !dnssec_name_equal(owner, signer))
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

		if (!dnssec_sig_covers(v, sig, &owner, type, ldns_rr_get_class(first), &si))
			continue;
		if (++nsig > DNSSEC_MAX_SIGS)
			break;
		if (!dnssec_signer_fits(&owner, type, &si.signer)) {
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
		keys = dnssec_zone_keys(v, &si.signer, ts_us);
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
		o = dnssec_sig_verify(rrset, sig, &si, keys, dnssec_ts_sec(ts_us), &used);
		if (o == SIGV_OK) {
			struct zone_entry *ke = dnssec_cache_find(&v->cache, &si.signer, ts_us);

			result_set(out, DNSSEC_SECURE, DNSSEC_R_NONE, &si);
			if (ke != NULL && ke->keys == keys && ke->keys_vouched) {
				out->vouched = true;
				out->voucher = ke->keys_voucher;
			}
			if (exp_us != NULL)
				*exp_us = dnssec_item_exp(v, rrset, &si, ts_us);
			if (signer != NULL)
				*signer = si.signer;
			return out->status;
		}
		if (o == SIGV_UNSUPPORTED) {
			v->ctr.unsupported_alg++;
			have_unsupported = true;
			other = si;
			continue;
		}
		if (o == SIGV_MALFORMED)
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
	dnssec_update_gauges(v);
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
	if (set == NULL || sigs == NULL || ans == NULL || !dnssec_name_from_rdf(&want, owner)) {
		if (set == NULL || sigs == NULL)
			v->ctr.alloc_fail++;
		goto out;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		uint16_t t = ldns_rr_get_type(rr);

		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    !dnssec_name_from_rdf(&o, ldns_rr_owner(rr)) || !dnssec_name_equal(&o, &want))
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

			if (!dnssec_name_from_rdf(&o, ldns_rr_owner(rr)) ||
			    !dnssec_name_equal(&o, sname))
				continue;
			if (ldns_rr_get_type(rr) == qtype || qtype == LDNS_RR_TYPE_ANY) {
				*has_answer = true;
				return true;
			}
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_rd_count(rr) == 1 &&
			    dnssec_name_from_rdf(&o, ldns_rr_rdf(rr, 0))) {
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
	    !dnssec_name_from_rdf(&sname, ldns_rr_owner(qrr)))
		goto done;
	rcode = ldns_pkt_get_rcode(response);
	if (rcode != LDNS_RCODE_NXDOMAIN && rcode != LDNS_RCODE_NOERROR)
		goto done;
	nxdomain = rcode == LDNS_RCODE_NXDOMAIN;
	if (!follow_cnames(ldns_pkt_answer(response), &sname, qtype, &has_answer) || has_answer)
		goto done;
	/* a referral (NS without SOA in authority) hands the name on: no denial */
	if (!nxdomain && dnssec_section_has(ldns_pkt_authority(response), LDNS_RR_TYPE_NS, NULL) &&
	    !dnssec_section_has(ldns_pkt_authority(response), LDNS_RR_TYPE_SOA, NULL))
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
	dnssec_update_gauges(v);
	return;
done:
	v->ctr.denial_indeterminate++;
	dnssec_update_gauges(v);
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
	dnssec_cache_init(&v->cache, v->cfg.memcap, &v->ctr);
	v->pending = calloc(v->cfg.max_pending + 1u, sizeof(*v->pending));
	if (v->pending == NULL || (ta != NULL && !anchors_load(v, ta))) {
		dnssec_free(v);
		return NULL;
	}
	dnssec_update_gauges(v);
	return v;
}

void dnssec_free(struct dnssec_validator *v)
{
	if (v == NULL)
		return;
	if (v->pending != NULL)
		while (v->npending > 0)
			dnssec_pending_free(v, v->npending - 1);
	free(v->pending);
	dnssec_cache_clear(&v->cache);
	for (size_t i = 0; i < v->nanchors; i++) {
		ldns_rr_list_deep_free(v->anchors[i].ds);
		ldns_rr_list_deep_free(v->anchors[i].keys);
	}
	free(v->anchors);
	free(v);
}

void dnssec_forget(struct dnssec_validator *v)
{
	while (v->npending > 0)
		dnssec_pending_free(v, v->npending - 1);
	dnssec_cache_clear(&v->cache);
	v->last_purge = 0;
	dnssec_update_gauges(v);
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
	dnssec_cache_expire(&v->cache, ts_us);
	for (size_t i = 0; i < v->npending;) {
		if (ts_us >= v->pending[i]->exp_us) {
			dnssec_pending_free(v, i);
			v->ctr.pending_dropped++;
		} else {
			i++;
		}
	}
	dnssec_update_gauges(v);
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
