/*
 * dnssec_name.h - domain names as the DNSSEC validator keeps them: the
 * uncompressed wire form, lowercased, in a fixed 255-byte buffer, with the
 * operations validation needs (parent, ancestry, canonical order of
 * RFC 4034 6.1, presentation form) done without allocation. Private to
 * the validator (dnssec*.c).
 */
#ifndef MX_DNSSEC_NAME_H
#define MX_DNSSEC_NAME_H

#include <ldns/ldns.h>

#include "util/common.h"

/* Longest name in wire form (RFC 1035 3.1). */
#define DNAME_WIRE_MAX 255

/* A name: wire form with the root label, every ASCII letter lowercased. */
struct dname {
	uint8_t len;	 /* bytes of w used, 1 for the root */
	uint8_t nlabels; /* labels without the root label (root: 0) */
	uint8_t w[DNAME_WIRE_MAX];
};

/* The root name. */
void dnssec_name_root(struct dname *d);

/*
 * Reads a wire-form name from len bytes at p (no compression pointers).
 * False when it is not one well-formed name of exactly len bytes.
 */
bool dnssec_name_from_wire(struct dname *d, const uint8_t *p, size_t len);

/* dnssec_name_from_wire on a DNAME rdf; false for any other rdf or NULL. */
bool dnssec_name_from_rdf(struct dname *d, const ldns_rdf *rdf);

/*
 * Reads a name in presentation form ("mail.example.com", trailing dot
 * optional, "." for the root) through ldns. False when ldns cannot read it.
 */
bool dnssec_name_from_str(struct dname *d, const char *s);

/* A read-only rdf view of d for ldns calls that take a name; valid while d is. */
void dnssec_name_view(const struct dname *d, ldns_rdf *view);

/* True when a and b are the same name. */
bool dnssec_name_equal(const struct dname *a, const struct dname *b);

/* True when d is a or below a (every name is below the root). */
bool dnssec_name_is_subdomain(const struct dname *d, const struct dname *a);

/* Writes the parent of d to *out; false (out untouched) for the root. */
bool dnssec_name_parent(const struct dname *d, struct dname *out);

/* Writes the ancestor of d that has nlabels labels (nlabels <= d->nlabels). */
void dnssec_name_ancestor(const struct dname *d, unsigned nlabels, struct dname *out);

/* Writes "*." + d to *out; false when the result would be too long. */
bool dnssec_name_wildcard(const struct dname *d, struct dname *out);

/* Labels the closest common ancestor of a and b has. */
unsigned dnssec_name_common_labels(const struct dname *a, const struct dname *b);

/* Canonical DNS name order (RFC 4034 6.1): <0, 0, >0 like strcmp. */
int dnssec_name_canon_cmp(const struct dname *a, const struct dname *b);

/* Byte order of the wire forms: a total order for lookup trees. */
int dnssec_name_wire_cmp(const struct dname *a, const struct dname *b);

/*
 * Writes the presentation form: lowercased, without the trailing dot,
 * "." for the root, special characters escaped as ldns does (\. \\ \DDD).
 * Cut short (still NUL-terminated) when it does not fit in cap.
 */
void dnssec_name_to_str(const struct dname *d, char *buf, size_t cap);

#endif
