/*
 * dnssec_denial.c - denial of existence for the validator: the NSEC
 * (RFC 4035 5.4, RFC 7129) and NSEC3 (RFC 5155 8) proofs that a name, or
 * a type at a name, does not exist, wildcards and empty non-terminals
 * included, from the NSEC/NSEC3 RRsets of one message section whose
 * RRSIGs must validate first.
 *
 * The proofs are done here on ldns-parsed records rather than with
 * ldns_dnssec_verify_denial*: those trust every field (the NSEC3 one
 * derefences the NULL that hashing returns for a hash algorithm other
 * than SHA-1, takes the hash parameters of the first record for all,
 * and leaks a name on its NODATA success path). Here hash algorithms are
 * checked before anything is hashed, iterations are capped (RFC 9276),
 * and hashing (ldns_sha1) allocates nothing.
 */
#include "dnssec/dnssec_int.h"

#include <string.h>

#define NSEC3_HASH_LEN	  20
#define NSEC3_FLAG_OPTOUT 0x01u

/* One NSEC record. */
struct nsec_rec {
	struct dname owner, next, zone;
	const uint8_t *bm;
	size_t bmlen;
};

/* One NSEC3 record. */
struct nsec3_rec {
	struct dname zone;
	uint8_t alg, flags;
	uint16_t iterations;
	uint8_t salt_len;
	const uint8_t *salt;
	uint8_t hash[NSEC3_HASH_LEN]; /* the owner's first label, decoded */
	uint8_t next[NSEC3_HASH_LEN];
	bool hash_ok; /* owner and next are 20-byte hashes */
	const uint8_t *bm;
	size_t bmlen;
};

/* The NSEC/NSEC3 RRsets of the section (dnssec_collect) and the signer
   zone of each once validated. */
struct dsets {
	struct dnssec_group g[DNSSEC_MAX_DENIAL_SETS];
	struct dname signer[DNSSEC_MAX_DENIAL_SETS];
	size_t n;
};

/* The proof at hand. */
struct proof {
	struct dnssec_validator *v;
	const struct dname *sname;
	uint16_t qtype;
	struct nsec_rec nsec[DNSSEC_MAX_DENIAL_SETS];
	size_t nnsec;
	struct nsec3_rec nsec3[DNSSEC_MAX_DENIAL_SETS];
	size_t nnsec3;
};

bool dnssec_bitmap_has(const uint8_t *bm, size_t len, uint16_t type)
{
	uint8_t window = (uint8_t)(type >> 8), bit = (uint8_t)(type & 0xff);
	size_t pos = 0;

	while (bm != NULL && pos + 2 <= len) {
		uint8_t w = bm[pos], blen = bm[pos + 1];

		if (blen == 0 || blen > 32 || pos + 2 + blen > len)
			return false;
		if (w == window)
			return (size_t)(bit / 8) < blen &&
			       (bm[pos + 2 + bit / 8] & (0x80 >> (bit % 8)));
		pos += 2 + (size_t)blen;
	}
	return false;
}

static bool has(const uint8_t *bm, size_t len, uint16_t type)
{
	return dnssec_bitmap_has(bm, len, type);
}

/* ------------------------------------------------------------------ */
/* Records */

static bool nsec_parse(const ldns_rr *rr, const struct dname *zone, struct nsec_rec *r)
{
	size_t n = ldns_rr_rd_count(rr);

	if (n < 1 || n > 2 || !dnssec_name_from_rdf(&r->owner, ldns_rr_owner(rr)) ||
	    !dnssec_name_from_rdf(&r->next, ldns_rr_rdf(rr, 0)))
		return false;
	r->zone = *zone;
	r->bm = n == 2 ? ldns_rdf_data(ldns_rr_rdf(rr, 1)) : NULL;
	r->bmlen = n == 2 ? ldns_rdf_size(ldns_rr_rdf(rr, 1)) : 0;
	return true;
}

/* Decodes a 32-character base32hex label (RFC 4648, either case) into 20 bytes. */
static bool b32hex_decode20(const uint8_t *s, size_t len, uint8_t out[NSEC3_HASH_LEN])
{
	return len == 32 && ldns_b32_pton_extended_hex((const char *)s, len, out, NSEC3_HASH_LEN) ==
				NSEC3_HASH_LEN;
}

static bool nsec3_parse(const ldns_rr *rr, struct nsec3_rec *r)
{
	size_t n = ldns_rr_rd_count(rr);
	const ldns_rdf *salt, *next;
	struct dname owner;

	memset(r, 0, sizeof(*r));
	if (n < 5 || n > 6 || !dnssec_name_from_rdf(&owner, ldns_rr_owner(rr)) ||
	    owner.nlabels == 0)
		return false;
	if (ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 1 || ldns_rdf_size(ldns_rr_rdf(rr, 1)) != 1 ||
	    ldns_rdf_size(ldns_rr_rdf(rr, 2)) != 2)
		return false;
	salt = ldns_rr_rdf(rr, 3);
	next = ldns_rr_rdf(rr, 4);
	if (ldns_rdf_size(salt) < 1 || ldns_rdf_size(salt) != 1u + ldns_rdf_data(salt)[0] ||
	    ldns_rdf_size(next) < 1 || ldns_rdf_size(next) != 1u + ldns_rdf_data(next)[0])
		return false;
	r->alg = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
	r->flags = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	r->iterations = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
	r->salt_len = ldns_rdf_data(salt)[0];
	r->salt = ldns_rdf_data(salt) + 1;
	(void)dnssec_name_parent(&owner, &r->zone);
	r->hash_ok = ldns_rdf_data(next)[0] == NSEC3_HASH_LEN &&
		     b32hex_decode20(owner.w + 1, owner.w[0], r->hash);
	if (r->hash_ok)
		memcpy(r->next, ldns_rdf_data(next) + 1, NSEC3_HASH_LEN);
	r->bm = n == 6 ? ldns_rdf_data(ldns_rr_rdf(rr, 5)) : NULL;
	r->bmlen = n == 6 ? ldns_rdf_size(ldns_rr_rdf(rr, 5)) : 0;
	return true;
}

/* ------------------------------------------------------------------ */
/* NSEC */

static const struct nsec_rec *nsec_match(const struct proof *p, const struct dname *n)
{
	for (size_t i = 0; i < p->nnsec; i++)
		if (dnssec_name_equal(&p->nsec[i].owner, n))
			return &p->nsec[i];
	return NULL;
}

/* True when r proves that n does not exist (n strictly between owner and next). */
static bool nsec_covers(const struct nsec_rec *r, const struct dname *n)
{
	if (!dnssec_name_is_subdomain(n, &r->zone) || dnssec_name_canon_cmp(&r->owner, n) >= 0)
		return false;
	/* an NSEC at a delegation or DNAME above n says nothing about names below it */
	if (r->owner.nlabels < n->nlabels && dnssec_name_is_subdomain(n, &r->owner) &&
	    ((has(r->bm, r->bmlen, LDNS_RR_TYPE_NS) && !has(r->bm, r->bmlen, LDNS_RR_TYPE_SOA)) ||
	     has(r->bm, r->bmlen, LDNS_RR_TYPE_DNAME)))
		return false;
	if (dnssec_name_canon_cmp(&r->owner, &r->next) < 0)
		return dnssec_name_canon_cmp(n, &r->next) < 0;
	return true; /* the last NSEC of the zone: next is the apex */
}

static const struct nsec_rec *nsec_cover(const struct proof *p, const struct dname *n)
{
	for (size_t i = 0; i < p->nnsec; i++)
		if (nsec_covers(&p->nsec[i], n))
			return &p->nsec[i];
	return NULL;
}

/* Type checks of a record that matches the name of a NODATA answer. */
static enum dnssec_reason nodata_types(const uint8_t *bm, size_t len, uint16_t qtype,
				       const struct dname *name)
{
	if (has(bm, len, qtype) || has(bm, len, LDNS_RR_TYPE_CNAME))
		return DNSSEC_R_TYPE_EXISTS;
	if (qtype != LDNS_RR_TYPE_DS && has(bm, len, LDNS_RR_TYPE_NS) &&
	    !has(bm, len, LDNS_RR_TYPE_SOA))
		return DNSSEC_R_WRONG_SIDE; /* the parent's record of a delegation */
	if (qtype == LDNS_RR_TYPE_DS && name->nlabels > 0 && has(bm, len, LDNS_RR_TYPE_SOA))
		return DNSSEC_R_WRONG_SIDE; /* the child's apex record */
	return DNSSEC_R_NONE;
}

/* The closest encloser of sname a covering NSEC implies. */
static bool nsec_wildcard(const struct proof *p, const struct nsec_rec *c, struct dname *w)
{
	unsigned ce = MX_MAX(dnssec_name_common_labels(p->sname, &c->owner),
			     dnssec_name_common_labels(p->sname, &c->next));
	struct dname enc;

	ce = MX_MAX(ce, c->zone.nlabels);
	dnssec_name_ancestor(p->sname, ce, &enc);
	return dnssec_name_wildcard(&enc, w);
}

static enum dnssec_status nsec_prove(struct proof *p, bool nxdomain, enum dnssec_reason *why)
{
	const struct nsec_rec *m = nsec_match(p, p->sname), *c, *wm;
	struct dname w;

	*why = DNSSEC_R_NONE;
	if (!nxdomain && m != NULL) {
		*why = nodata_types(m->bm, m->bmlen, p->qtype, p->sname);
		return *why == DNSSEC_R_NONE ? DNSSEC_SECURE : DNSSEC_BOGUS;
	}
	if (m != NULL) {
		*why = DNSSEC_R_NAME_NOT_COVERED; /* the name exists */
		return DNSSEC_BOGUS;
	}
	c = nsec_cover(p, p->sname);
	if (c == NULL) {
		*why = DNSSEC_R_NAME_NOT_COVERED;
		return DNSSEC_BOGUS;
	}
	if (c->next.nlabels > p->sname->nlabels && dnssec_name_is_subdomain(&c->next, p->sname)) {
		/* sname is an empty non-terminal: it exists without data */
		if (nxdomain) {
			*why = DNSSEC_R_NAME_NOT_COVERED;
			return DNSSEC_BOGUS;
		}
		return DNSSEC_SECURE;
	}
	if (!nsec_wildcard(p, c, &w)) {
		*why = DNSSEC_R_WILDCARD_NOT_COVERED;
		return DNSSEC_BOGUS;
	}
	wm = nsec_match(p, &w);
	if (!nxdomain) {
		if (wm == NULL) {
			*why = DNSSEC_R_WILDCARD_NOT_COVERED;
			return DNSSEC_BOGUS;
		}
		*why = nodata_types(wm->bm, wm->bmlen, p->qtype, &w);
		return *why == DNSSEC_R_NONE ? DNSSEC_SECURE : DNSSEC_BOGUS;
	}
	if (wm != NULL || nsec_cover(p, &w) == NULL) {
		*why = DNSSEC_R_WILDCARD_NOT_COVERED;
		return DNSSEC_BOGUS;
	}
	return DNSSEC_SECURE;
}

/* ------------------------------------------------------------------ */
/* NSEC3 */

static bool nsec3_usable(const struct nsec3_rec *r, const struct nsec3_rec *ref)
{
	return r->alg == LDNS_SHA1 && r->flags <= 1 && r->hash_ok &&
	       r->iterations == ref->iterations && r->salt_len == ref->salt_len &&
	       memcmp(r->salt, ref->salt, r->salt_len) == 0 &&
	       dnssec_name_equal(&r->zone, &ref->zone);
}

/* RFC 5155 5: IH(salt, x, 0) = H(x || salt), IH(salt, x, k) = H(IH(salt, x, k-1) || salt). */
static void nsec3_hash(struct proof *p, const struct nsec3_rec *ref, const struct dname *n,
		       uint8_t out[NSEC3_HASH_LEN])
{
	uint8_t buf[DNAME_WIRE_MAX + 255];
	size_t len;

	memcpy(buf, n->w, n->len);
	memcpy(buf + n->len, ref->salt, ref->salt_len);
	len = (size_t)n->len + ref->salt_len;
	(void)ldns_sha1(buf, (unsigned int)len, out);
	for (uint32_t i = 0; i < ref->iterations; i++) {
		memcpy(buf, out, NSEC3_HASH_LEN);
		memcpy(buf + NSEC3_HASH_LEN, ref->salt, ref->salt_len);
		(void)ldns_sha1(buf, (unsigned int)(NSEC3_HASH_LEN + ref->salt_len), out);
	}
	p->v->ctr.nsec3_hashes++;
}

static const struct nsec3_rec *h_match(const struct proof *p, const struct nsec3_rec *ref,
				       const uint8_t h[NSEC3_HASH_LEN])
{
	for (size_t i = 0; i < p->nnsec3; i++) {
		const struct nsec3_rec *r = &p->nsec3[i];

		if (nsec3_usable(r, ref) && memcmp(r->hash, h, NSEC3_HASH_LEN) == 0)
			return r;
	}
	return NULL;
}

static bool h_covers(const struct nsec3_rec *r, const uint8_t h[NSEC3_HASH_LEN])
{
	int a = memcmp(r->hash, h, NSEC3_HASH_LEN), b = memcmp(h, r->next, NSEC3_HASH_LEN);

	if (memcmp(r->hash, r->next, NSEC3_HASH_LEN) < 0)
		return a < 0 && b < 0;
	return a < 0 || b < 0; /* the last record of the chain wraps around */
}

static const struct nsec3_rec *h_cover(const struct proof *p, const struct nsec3_rec *ref,
				       const uint8_t h[NSEC3_HASH_LEN])
{
	for (size_t i = 0; i < p->nnsec3; i++) {
		const struct nsec3_rec *r = &p->nsec3[i];

		if (nsec3_usable(r, ref) && h_covers(r, h))
			return r;
	}
	return NULL;
}

/*
 * Closest encloser proof (RFC 5155 8.3): the longest ancestor of sname
 * with a matching NSEC3, whose next closer name is covered. 1 with *ce
 * and *nc_cover set, 0 when there is no such proof, -1 when the closest
 * encloser is a delegation or DNAME (the wrong side of a zone cut).
 */
static int closest_encloser(struct proof *p, const struct nsec3_rec *ref, struct dname *ce,
			    const struct nsec3_rec **nc_cover)
{
	uint8_t h[NSEC3_HASH_LEN];

	for (unsigned n = p->sname->nlabels; n-- > ref->zone.nlabels;) {
		const struct nsec3_rec *m;
		struct dname a, nc;

		dnssec_name_ancestor(p->sname, n, &a);
		nsec3_hash(p, ref, &a, h);
		m = h_match(p, ref, h);
		if (m == NULL)
			continue;
		if (has(m->bm, m->bmlen, LDNS_RR_TYPE_DNAME) ||
		    (has(m->bm, m->bmlen, LDNS_RR_TYPE_NS) &&
		     !has(m->bm, m->bmlen, LDNS_RR_TYPE_SOA)))
			return -1;
		dnssec_name_ancestor(p->sname, n + 1, &nc);
		nsec3_hash(p, ref, &nc, h);
		*nc_cover = h_cover(p, ref, h);
		if (*nc_cover == NULL)
			return 0;
		*ce = a;
		return 1;
	}
	return 0;
}

static enum dnssec_status nsec3_prove(struct proof *p, bool nxdomain, enum dnssec_reason *why)
{
	const struct nsec3_rec *ref = NULL, *m, *nc_cover = NULL;
	uint8_t h[NSEC3_HASH_LEN];
	struct dname ce, w;
	bool other_hash = false;
	int r;

	*why = DNSSEC_R_NONE;
	for (size_t i = 0; i < p->nnsec3; i++) {
		const struct nsec3_rec *x = &p->nsec3[i];

		if (x->alg != LDNS_SHA1) {
			other_hash = true;
			p->v->ctr.nsec3_bad_hash++;
			continue;
		}
		if (!x->hash_ok) {
			p->v->ctr.malformed++;
			continue;
		}
		if (x->flags <= 1 && ref == NULL && dnssec_name_is_subdomain(p->sname, &x->zone))
			ref = x;
	}
	if (ref == NULL) {
		*why = other_hash ? DNSSEC_R_NSEC3_UNSUPPORTED_HASH : DNSSEC_R_NSEC3_MALFORMED;
		return other_hash ? DNSSEC_INSECURE : DNSSEC_BOGUS;
	}
	if (ref->iterations > p->v->cfg.nsec3_max_iterations) {
		p->v->ctr.nsec3_iter_capped++;
		*why = DNSSEC_R_NSEC3_ITERATIONS;
		return DNSSEC_INSECURE;
	}

	nsec3_hash(p, ref, p->sname, h);
	m = h_match(p, ref, h);
	if (m != NULL) {
		if (nxdomain) {
			*why = DNSSEC_R_NAME_NOT_COVERED; /* the name exists */
			return DNSSEC_BOGUS;
		}
		*why = nodata_types(m->bm, m->bmlen, p->qtype, p->sname);
		return *why == DNSSEC_R_NONE ? DNSSEC_SECURE : DNSSEC_BOGUS;
	}
	r = closest_encloser(p, ref, &ce, &nc_cover);
	if (r <= 0) {
		*why = r < 0
			   ? DNSSEC_R_WRONG_SIDE
			   : (nxdomain ? DNSSEC_R_NO_CLOSEST_ENCLOSER : DNSSEC_R_NAME_NOT_COVERED);
		return DNSSEC_BOGUS;
	}
	if (!nxdomain && p->qtype == LDNS_RR_TYPE_DS) {
		/* RFC 5155 8.6: no DS, proven through an opt-out span */
		if (nc_cover->flags & NSEC3_FLAG_OPTOUT) {
			*why = DNSSEC_R_NSEC3_OPTOUT;
			return DNSSEC_INSECURE;
		}
		*why = DNSSEC_R_NAME_NOT_COVERED;
		return DNSSEC_BOGUS;
	}
	if (!dnssec_name_wildcard(&ce, &w)) {
		*why = DNSSEC_R_WILDCARD_NOT_COVERED;
		return DNSSEC_BOGUS;
	}
	nsec3_hash(p, ref, &w, h);
	m = h_match(p, ref, h);
	if (!nxdomain) {
		/* RFC 5155 8.7: wildcard NODATA */
		if (m == NULL) {
			*why = DNSSEC_R_WILDCARD_NOT_COVERED;
			return DNSSEC_BOGUS;
		}
		*why = nodata_types(m->bm, m->bmlen, p->qtype, &w);
		return *why == DNSSEC_R_NONE ? DNSSEC_SECURE : DNSSEC_BOGUS;
	}
	if (m != NULL || h_cover(p, ref, h) == NULL) {
		*why = DNSSEC_R_WILDCARD_NOT_COVERED;
		return DNSSEC_BOGUS;
	}
	if (nc_cover->flags & NSEC3_FLAG_OPTOUT) {
		/* an unsigned delegation may hide in an opt-out span */
		*why = DNSSEC_R_NSEC3_OPTOUT;
		return DNSSEC_INSECURE;
	}
	return DNSSEC_SECURE;
}

/* ------------------------------------------------------------------ */
/* The section */

/*
 * Validates every set; false (with *out set) unless all are SECURE. The
 * first SECURE result's signature details are kept in *first.
 */
static bool validate_sets(struct dnssec_validator *v, struct dsets *d, uint64_t ts_us,
			  struct dnssec_result *out, struct dnssec_result *first, uint64_t *exp)
{
	struct dnssec_result r, undecided;
	bool have_undecided = false, have_first = false;

	for (size_t i = 0; i < d->n; i++) {
		uint64_t e = 0;

		switch (dnssec_val_rrset(v, d->g[i].rrset, d->g[i].sigs, ts_us, &r, &e,
					 &d->signer[i])) {
		case DNSSEC_SECURE:
			if (!have_first)
				*first = r;
			have_first = true;
			*exp = *exp == 0 ? e : MX_MIN(*exp, e);
			break;
		case DNSSEC_BOGUS:
			*out = r;
			out->denial_type = d->g[i].type;
			return false;
		case DNSSEC_INDETERMINATE:
			if (!have_undecided || undecided.status != DNSSEC_INDETERMINATE)
				undecided = r;
			have_undecided = true;
			break;
		default:
			if (!have_undecided)
				undecided = r;
			have_undecided = true;
			break;
		}
	}
	if (have_undecided) {
		*out = undecided;
		return false;
	}
	return true;
}

void dnssec_denial_prove(struct dnssec_validator *v, const struct dname *sname, uint16_t qtype,
			 bool nxdomain, const ldns_rr_list *section, uint64_t ts_us,
			 struct dnssec_result *out, uint64_t *exp_us)
{
	struct dsets d;
	struct dnssec_result first;
	struct proof p;
	enum dnssec_reason why;
	enum dnssec_status st;
	uint64_t exp = 0;

	memset(out, 0, sizeof(*out));
	memset(&first, 0, sizeof(first));
	if (exp_us != NULL)
		*exp_us = 0;
	d.n = dnssec_collect(v, section, LDNS_RR_TYPE_NSEC, LDNS_RR_TYPE_NSEC3, d.g,
			     DNSSEC_MAX_DENIAL_SETS, 4);
	if (d.n == 0) {
		out->status = DNSSEC_NO_PROOF;
		return;
	}
	if (!validate_sets(v, &d, ts_us, out, &first, &exp))
		goto done;

	memset(&p, 0, sizeof(p));
	p.v = v;
	p.sname = sname;
	p.qtype = qtype;
	for (size_t i = 0; i < d.n; i++) {
		for (size_t k = 0; k < ldns_rr_list_rr_count(d.g[i].rrset); k++) {
			const ldns_rr *rr = ldns_rr_list_rr(d.g[i].rrset, k);

			if (d.g[i].type == LDNS_RR_TYPE_NSEC && p.nnsec < DNSSEC_MAX_DENIAL_SETS) {
				if (!dnssec_name_is_subdomain(sname, &d.signer[i]))
					continue;
				if (nsec_parse(rr, &d.signer[i], &p.nsec[p.nnsec]))
					p.nnsec++;
				else
					v->ctr.malformed++;
			} else if (d.g[i].type == LDNS_RR_TYPE_NSEC3 &&
				   p.nnsec3 < DNSSEC_MAX_DENIAL_SETS) {
				if (!nsec3_parse(rr, &p.nsec3[p.nnsec3])) {
					v->ctr.malformed++;
					continue;
				}
				/* an NSEC3 lives at the apex of its signer's zone */
				if (dnssec_name_equal(&p.nsec3[p.nnsec3].zone, &d.signer[i]))
					p.nnsec3++;
			}
		}
	}
	if (p.nnsec > 0) {
		st = nsec_prove(&p, nxdomain, &why);
		out->denial_type = LDNS_RR_TYPE_NSEC;
	} else if (p.nnsec3 > 0) {
		st = nsec3_prove(&p, nxdomain, &why);
		out->denial_type = LDNS_RR_TYPE_NSEC3;
	} else {
		st = DNSSEC_BOGUS;
		why = DNSSEC_R_NAME_NOT_COVERED;
	}
	out->status = st;
	out->reason = why;
	memcpy(out->signer, first.signer, sizeof(out->signer));
	out->key_tag = first.key_tag;
	out->algorithm = first.algorithm;
	if (exp_us != NULL && (st == DNSSEC_SECURE || why == DNSSEC_R_NSEC3_OPTOUT))
		*exp_us = exp;
done:
	dnssec_groups_free(d.g, d.n);
}
