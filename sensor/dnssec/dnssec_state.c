/*
 * dnssec_state.c - the zone cache's side of persistence (dnssec.h): turns
 * each stored part of a zone entry into a dnssec_fact for the observer,
 * and puts a fact back into the cache when the state is loaded.
 */
#include "dnssec/dnssec_int.h"

#include <string.h>

struct observer {
	dnssec_observer_fn fn;
	void *arg;
};

static void observe_entry(void *arg, const struct zone_entry *e, int part, uint64_t ts_us)
{
	struct dnssec_validator *v = arg;
	struct dnssec_fact f;

	memset(&f, 0, sizeof(f));
	dnssec_name_to_str(&e->name, f.zone, sizeof(f.zone));
	f.learned_us = ts_us;
	switch (part) {
	case ZONE_PART_KEYS:
		f.kind = DNSSEC_F_KEYS;
		f.rrs = e->keys;
		f.expires_us = e->keys_exp;
		f.vouched = e->keys_vouched;
		f.voucher = e->keys_voucher;
		break;
	case ZONE_PART_DS:
		f.kind = DNSSEC_F_DS;
		f.rrs = e->ds;
		f.ds_usable = e->dnssec_ds_usable;
		f.expires_us = e->ds_exp;
		f.vouched = e->ds_vouched;
		f.voucher = e->ds_voucher;
		break;
	default:
		f.kind = DNSSEC_F_INSECURE;
		f.expires_us = e->insecure_exp;
		break;
	}
	v->observe(v->observe_arg, &f);
}

void dnssec_set_observer(struct dnssec_validator *v, dnssec_observer_fn fn, void *arg)
{
	v->observe = fn;
	v->observe_arg = arg;
	v->cache.observe = fn != NULL ? observe_entry : NULL;
	v->cache.observe_arg = v;
}

bool dnssec_restore(struct dnssec_validator *v, const struct dnssec_fact *f)
{
	void (*saved)(void *, const struct zone_entry *, int, uint64_t) = v->cache.observe;
	struct dname name;
	ldns_rr_list *copy = NULL;
	bool ok;

	if (!dnssec_name_from_str(&name, f->zone))
		return false;
	if (f->kind != DNSSEC_F_INSECURE) {
		if (f->rrs == NULL || ldns_rr_list_rr_count(f->rrs) == 0)
			return false;
		copy = ldns_rr_list_clone(f->rrs);
		if (copy == NULL)
			return false;
	}
	v->cache.observe = NULL;
	/* Keys and DS that rested on a resolver's word come back marked so. */
	v->cache.vouch_next = f->kind != DNSSEC_F_INSECURE && f->vouched;
	v->cache.vouch_by = f->voucher;
	switch (f->kind) {
	case DNSSEC_F_KEYS:
		ok = dnssec_cache_set_keys(&v->cache, &name, copy, f->expires_us, f->learned_us);
		break;
	case DNSSEC_F_DS:
		ok = dnssec_cache_set_ds(&v->cache, &name, copy, f->ds_usable, f->expires_us,
					 f->learned_us);
		break;
	default:
		ok = dnssec_cache_set_insecure(&v->cache, &name, f->expires_us, f->learned_us);
		break;
	}
	v->cache.observe = saved;
	v->cache.vouch_next = false;
	return ok;
}
