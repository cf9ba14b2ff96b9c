/*
 * dnssec_chain.c - the validator's chain of trust from traffic: DNSKEY
 * and DS RRsets harvested from each message (with the RRSIGs of the same
 * section), a DNSKEY RRset validated when one of its keys matches a
 * trusted DS (anchor or validated) and signs it, a DS RRset when the
 * parent's validated keys sign it; RRsets that cannot be validated yet
 * wait in a bounded list and are retried whenever something new is
 * validated; responses proving a child has no DS mark it insecure.
 */
#include "dnssec/dnssec_int.h"

#include <stdlib.h>
#include <string.h>

/* True when DNSKEY key has the same flags, protocol, algorithm and key as one of list. */
static bool key_in_list(const ldns_rr *key, const ldns_rr_list *list)
{
	struct dnskey_info k, o;

	if (list == NULL || !dnssec_dnskey_parse(key, &k))
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		if (!dnssec_dnskey_parse(ldns_rr_list_rr(list, i), &o))
			continue;
		if (k.flags == o.flags && k.protocol == o.protocol && k.algorithm == o.algorithm &&
		    k.key_len == o.key_len && memcmp(k.key, o.key, k.key_len) == 0)
			return true;
	}
	return false;
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

	if (!dnssec_dnskey_parse(key, &k))
		return false;
	if (key_in_list(key, anchor_keys))
		return true;
	tag = ldns_calc_keytag(key);
	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *d = ldns_rr_list_rr(ds, i);
		struct ds_info di;

		if (!dnssec_ds_parse(d, &di) || di.key_tag != tag || di.algorithm != k.algorithm)
			continue;
		if (dnssec_ds_matches_dnskey(d, key))
			return true;
	}
	return false;
}

static bool any_usable_ds(const ldns_rr_list *ds)
{
	struct ds_info di;

	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++)
		if (dnssec_ds_parse(ldns_rr_list_rr(ds, i), &di) && dnssec_ds_usable(&di))
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
	const struct anchor_zone *a = dnssec_anchor_find(v, zone);
	struct zone_entry *e = dnssec_cache_find(&v->cache, zone, now_us);
	const ldns_rr_list *ds_anchor = a != NULL ? a->ds : NULL;
	const ldns_rr_list *keys_anchor = a != NULL ? a->keys : NULL;
	const ldns_rr_list *ds_valid = e != NULL ? e->ds : NULL;
	ldns_rr_list *trusted;
	enum chain_result r = CHAIN_FAILED;
	bool capped = false;

	/* The same keys again: nothing new, unless they were only vouched for
	   and may now be validated from an anchor or a validated DS. */
	if (e != NULL && e->keys != NULL && !e->keys_vouched && rrsets_same(e->keys, rrset))
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

		if (!dnssec_sig_covers(v, sig, zone, LDNS_RR_TYPE_DNSKEY, LDNS_RR_CLASS_IN, &si) ||
		    !dnssec_name_equal(&si.signer, zone))
			continue;
		if (v->budget == 0) {
			v->ctr.verify_capped++;
			capped = true;
			break;
		}
		v->budget--;
		v->ctr.verifications++;
		if (dnssec_sig_verify(rrset, sig, &si, trusted, dnssec_ts_sec(seen_us), &used) !=
		    SIGV_OK)
			continue;
		copy = deep_copy(v, rrset);
		/* Keys validated from a DS that rests on a resolver's word rest on it too. */
		v->cache.vouch_next =
		    e != NULL && e->ds_vouched && !key_trusted(used, ds_anchor, keys_anchor);
		if (v->cache.vouch_next)
			v->cache.vouch_by = e->ds_voucher;
		if (copy != NULL &&
		    dnssec_cache_set_keys(&v->cache, zone, copy,
					  dnssec_item_exp(v, rrset, &si, seen_us), now_us)) {
			v->ctr.keys_validated++;
			r = CHAIN_VALIDATED;
		}
		v->cache.vouch_next = false;
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
	struct zone_entry *e = dnssec_cache_find(&v->cache, child, now_us);
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
		struct zone_entry *pe;
		enum chain_result r = CHAIN_FAILED;

		if (!dnssec_sig_covers(v, sig, child, LDNS_RR_TYPE_DS, LDNS_RR_CLASS_IN, &si) ||
		    !dnssec_signer_fits(child, LDNS_RR_TYPE_DS, &si.signer))
			continue;
		keys = dnssec_zone_keys(v, &si.signer, now_us);
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
		if (dnssec_sig_verify(rrset, sig, &si, keys, dnssec_ts_sec(seen_us), &used) !=
		    SIGV_OK) {
			failed = true;
			continue;
		}
		copy = deep_copy(v, rrset);
		pe = dnssec_cache_find(&v->cache, &si.signer, now_us);
		/* A DS signed by keys that rest on a resolver's word rests on it too. */
		v->cache.vouch_next = pe != NULL && pe->keys == keys && pe->keys_vouched;
		if (v->cache.vouch_next)
			v->cache.vouch_by = pe->keys_voucher;
		if (copy != NULL &&
		    dnssec_cache_set_ds(&v->cache, child, copy, any_usable_ds(rrset),
					dnssec_item_exp(v, rrset, &si, seen_us), now_us)) {
			v->ctr.ds_validated++;
			r = CHAIN_VALIDATED;
		}
		v->cache.vouch_next = false;
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

void dnssec_pending_free(struct dnssec_validator *v, size_t i)
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
		if (v->pending[i]->type == type &&
		    dnssec_name_equal(&v->pending[i]->owner, owner)) {
			dnssec_pending_free(v, i); /* replaced by the newer copy */
			v->ctr.pending_dropped++;
			break;
		}
	}
	if (v->npending >= v->cfg.max_pending) {
		dnssec_pending_free(v, 0);
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
				dnssec_pending_free(v, i);
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
			dnssec_pending_free(v, i);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Harvesting a message */

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
		(void)dnssec_cache_set_insecure(&v->cache, child, exp, ts_us);
}

bool dnssec_section_has(const ldns_rr_list *sec, uint16_t type, const struct dname *owner)
{
	struct dname o;

	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(sec, i);

		if (ldns_rr_get_type(rr) != type)
			continue;
		if (owner == NULL ||
		    (dnssec_name_from_rdf(&o, ldns_rr_owner(rr)) && dnssec_name_equal(&o, owner)))
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
	if (!dnssec_section_has(ns, LDNS_RR_TYPE_NSEC, NULL) &&
	    !dnssec_section_has(ns, LDNS_RR_TYPE_NSEC3, NULL))
		return;
	if (ldns_rr_get_type(ldns_rr_list_rr(q, 0)) == LDNS_RR_TYPE_DS &&
	    dnssec_name_from_rdf(&qname, ldns_rr_owner(ldns_rr_list_rr(q, 0)))) {
		learn_no_ds(v, &qname, ns, ts_us);
		return;
	}
	if (dnssec_section_has(ns, LDNS_RR_TYPE_SOA, NULL))
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    !dnssec_name_from_rdf(&child, ldns_rr_owner(rr)))
			continue;
		if (!dnssec_section_has(ns, LDNS_RR_TYPE_DS, &child))
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
		struct dnssec_group g[DNSSEC_MAX_GROUPS];
		size_t ng = dnssec_collect(v, secs[s], LDNS_RR_TYPE_DNSKEY, LDNS_RR_TYPE_DS, g,
					   DNSSEC_MAX_GROUPS, DNSSEC_MAX_RRSET);

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
		dnssec_groups_free(g, ng);
	}
	if (progress)
		pending_retry(v, ts_us);
	observe_no_ds(v, pkt, ts_us);
	dnssec_update_gauges(v);
}

size_t dnssec_vouch_keys(struct dnssec_validator *v, const ldns_pkt *pkt,
			 const struct mx_addr *resolver, uint64_t ts_us)
{
	struct dnssec_group g[DNSSEC_MAX_GROUPS];
	size_t ng, taken = 0;

	if (pkt == NULL)
		return 0;
	v->budget = v->cfg.verify_budget;
	ng = dnssec_collect(v, ldns_pkt_answer(pkt), LDNS_RR_TYPE_DNSKEY, LDNS_RR_TYPE_DNSKEY, g,
			    DNSSEC_MAX_GROUPS, DNSSEC_MAX_RRSET);
	for (size_t i = 0; i < ng; i++) {
		struct zone_entry *e = dnssec_cache_find(&v->cache, &g[i].owner, ts_us);

		if (e != NULL && e->keys != NULL && !e->keys_vouched)
			continue; /* validated by the sensor itself: that stands */
		for (size_t k = 0; g[i].sigs != NULL && k < ldns_rr_list_rr_count(g[i].sigs); k++) {
			const ldns_rr *sig = ldns_rr_list_rr(g[i].sigs, k);
			const ldns_rr *used;
			struct rrsig_info si;
			ldns_rr_list *copy;

			if (!dnssec_sig_covers(v, sig, &g[i].owner, LDNS_RR_TYPE_DNSKEY,
					       LDNS_RR_CLASS_IN, &si) ||
			    !dnssec_name_equal(&si.signer, &g[i].owner) || v->budget == 0)
				continue;
			v->budget--;
			v->ctr.verifications++;
			if (dnssec_sig_verify(g[i].rrset, sig, &si, g[i].rrset,
					      dnssec_ts_sec(ts_us), &used) != SIGV_OK)
				continue;
			copy = deep_copy(v, g[i].rrset);
			v->cache.vouch_next = true;
			v->cache.vouch_by = *resolver;
			if (copy != NULL &&
			    dnssec_cache_set_keys(&v->cache, &g[i].owner, copy,
						  dnssec_item_exp(v, g[i].rrset, &si, ts_us),
						  ts_us)) {
				v->ctr.keys_vouched++;
				taken++;
			}
			v->cache.vouch_next = false;
			break;
		}
	}
	dnssec_groups_free(g, ng);
	if (taken > 0)
		pending_retry(v, ts_us);
	dnssec_update_gauges(v);
	return taken;
}
