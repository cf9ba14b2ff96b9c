/*
 * dnssec_group.c - the RRsets of a message section grouped by owner and
 * type with the RRSIGs that cover them: what both the key chain (DNSKEY,
 * DS) and the denial proofs (NSEC, NSEC3) start from.
 */
#include "dnssec/dnssec_int.h"

#include <string.h>

static struct dnssec_group *group_get(struct dnssec_validator *v, struct dnssec_group *g,
				      size_t *ng, size_t max, uint16_t type,
				      const struct dname *owner)
{
	for (size_t i = 0; i < *ng; i++)
		if (g[i].type == type && dnssec_name_equal(&g[i].owner, owner))
			return &g[i];
	if (*ng >= max)
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

size_t dnssec_collect(struct dnssec_validator *v, const ldns_rr_list *sec, uint16_t t1, uint16_t t2,
		      struct dnssec_group *g, size_t max, size_t max_rrs)
{
	size_t ng = 0;

	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sec, i);
		uint16_t t = ldns_rr_get_type(rr);
		struct dnssec_group *grp;
		struct dname owner;

		if ((t != t1 && t != t2) || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    !dnssec_name_from_rdf(&owner, ldns_rr_owner(rr)))
			continue;
		grp = group_get(v, g, &ng, max, t, &owner);
		if (grp != NULL && ldns_rr_list_rr_count(grp->rrset) < max_rrs)
			(void)ldns_rr_list_push_rr(grp->rrset, rr);
	}
	for (size_t i = 0; ng > 0 && i < ldns_rr_list_rr_count(sec); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sec, i);
		struct rrsig_info si;
		struct dname owner;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || !dnssec_rrsig_parse(rr, &si) ||
		    !dnssec_name_from_rdf(&owner, ldns_rr_owner(rr)))
			continue;
		for (size_t k = 0; k < ng; k++)
			if (g[k].type == si.type_covered &&
			    dnssec_name_equal(&g[k].owner, &owner) &&
			    ldns_rr_list_rr_count(g[k].sigs) < DNSSEC_MAX_SIGS)
				(void)ldns_rr_list_push_rr(g[k].sigs, rr);
	}
	return ng;
}

void dnssec_groups_free(struct dnssec_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ldns_rr_list_free(g[i].rrset);
		ldns_rr_list_free(g[i].sigs);
	}
}
