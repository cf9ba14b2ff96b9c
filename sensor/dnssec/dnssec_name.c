/*
 * dnssec_name.c - fixed-size, lowercased wire-form domain names for the
 * DNSSEC validator: parsing from ldns rdfs and text, ancestry, canonical
 * ordering and the presentation form, all without allocation except the
 * text parser, which goes through ldns.
 */
#include "dnssec/dnssec_name.h"

#include <stdio.h>
#include <string.h>

/* A name has at most 127 labels besides the root (each takes >= 2 bytes). */
#define DNAME_MAX_LABELS 128

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

void dnssec_name_root(struct dname *d)
{
	d->len = 1;
	d->nlabels = 0;
	d->w[0] = 0;
}

bool dnssec_name_from_wire(struct dname *d, const uint8_t *p, size_t len)
{
	size_t i = 0;
	unsigned n = 0;

	if (p == NULL || len == 0 || len > DNAME_WIRE_MAX)
		return false;
	for (;;) {
		uint8_t l = p[i];

		if (l > 63)
			return false;
		if (l == 0) {
			if (i + 1 != len)
				return false;
			break;
		}
		if (i + 1 + l >= len)
			return false;
		d->w[i] = l;
		for (size_t k = 1; k <= l; k++)
			d->w[i + k] = lower(p[i + k]);
		i += 1 + (size_t)l;
		n++;
	}
	d->w[i] = 0;
	d->len = (uint8_t)len;
	d->nlabels = (uint8_t)n;
	return true;
}

bool dnssec_name_from_rdf(struct dname *d, const ldns_rdf *rdf)
{
	if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return false;
	return dnssec_name_from_wire(d, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
}

bool dnssec_name_from_str(struct dname *d, const char *s)
{
	ldns_rdf *rdf = NULL;
	bool ok;

	if (s == NULL || *s == '\0')
		return false;
	if (ldns_str2rdf_dname(&rdf, s) != LDNS_STATUS_OK || rdf == NULL)
		return false;
	ok = dnssec_name_from_wire(d, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
	ldns_rdf_deep_free(rdf);
	return ok;
}

void dnssec_name_view(const struct dname *d, ldns_rdf *view)
{
	view->_size = d->len;
	view->_type = LDNS_RDF_TYPE_DNAME;
	view->_data = (void *)(uintptr_t)d->w;
}

bool dnssec_name_equal(const struct dname *a, const struct dname *b)
{
	return a->len == b->len && memcmp(a->w, b->w, a->len) == 0;
}

/* Offset of the label that leaves `keep` labels (keep <= d->nlabels). */
static size_t label_offset(const struct dname *d, unsigned keep)
{
	size_t off = 0;

	for (unsigned skip = d->nlabels - keep; skip > 0; skip--)
		off += 1 + (size_t)d->w[off];
	return off;
}

bool dnssec_name_is_subdomain(const struct dname *d, const struct dname *a)
{
	size_t off;

	if (d->nlabels < a->nlabels)
		return false;
	off = label_offset(d, a->nlabels);
	return (size_t)d->len - off == a->len && memcmp(d->w + off, a->w, a->len) == 0;
}

void dnssec_name_ancestor(const struct dname *d, unsigned nlabels, struct dname *out)
{
	size_t off;

	if (nlabels > d->nlabels)
		nlabels = d->nlabels;
	off = label_offset(d, nlabels);
	out->len = (uint8_t)(d->len - off);
	out->nlabels = (uint8_t)nlabels;
	memmove(out->w, d->w + off, out->len);
}

bool dnssec_name_parent(const struct dname *d, struct dname *out)
{
	if (d->nlabels == 0)
		return false;
	dnssec_name_ancestor(d, d->nlabels - 1u, out);
	return true;
}

bool dnssec_name_wildcard(const struct dname *d, struct dname *out)
{
	struct dname tmp;

	if ((size_t)d->len + 2 > DNAME_WIRE_MAX)
		return false;
	tmp.w[0] = 1;
	tmp.w[1] = '*';
	memcpy(tmp.w + 2, d->w, d->len);
	tmp.len = (uint8_t)(d->len + 2);
	tmp.nlabels = (uint8_t)(d->nlabels + 1);
	*out = tmp;
	return true;
}

/* Fills off[] with the offset of every label, leftmost first. */
static unsigned label_offsets(const struct dname *d, uint8_t off[DNAME_MAX_LABELS])
{
	size_t o = 0;
	unsigned n = 0;

	while (n < d->nlabels && n < DNAME_MAX_LABELS) {
		off[n++] = (uint8_t)o;
		o += 1 + (size_t)d->w[o];
	}
	return n;
}

/* Compares the labels at a->w + oa and b->w + ob as RFC 4034 6.1 wants. */
static int label_cmp(const struct dname *a, size_t oa, const struct dname *b, size_t ob)
{
	uint8_t la = a->w[oa], lb = b->w[ob];
	int c = memcmp(a->w + oa + 1, b->w + ob + 1, MX_MIN(la, lb));

	if (c != 0)
		return c;
	return (int)la - (int)lb;
}

unsigned dnssec_name_common_labels(const struct dname *a, const struct dname *b)
{
	uint8_t oa[DNAME_MAX_LABELS], ob[DNAME_MAX_LABELS];
	unsigned na = label_offsets(a, oa), nb = label_offsets(b, ob);
	unsigned n = 0;

	while (n < na && n < nb && label_cmp(a, oa[na - 1 - n], b, ob[nb - 1 - n]) == 0)
		n++;
	return n;
}

int dnssec_name_canon_cmp(const struct dname *a, const struct dname *b)
{
	uint8_t oa[DNAME_MAX_LABELS], ob[DNAME_MAX_LABELS];
	unsigned na = label_offsets(a, oa), nb = label_offsets(b, ob);

	for (unsigned n = 0; n < na && n < nb; n++) {
		int c = label_cmp(a, oa[na - 1 - n], b, ob[nb - 1 - n]);

		if (c != 0)
			return c;
	}
	return (int)na - (int)nb;
}

int dnssec_name_wire_cmp(const struct dname *a, const struct dname *b)
{
	int c = memcmp(a->w, b->w, MX_MIN(a->len, b->len));

	if (c != 0)
		return c;
	return (int)a->len - (int)b->len;
}

/* Appends the escaped form of byte c to buf at *pos; false when it does not fit. */
static bool put_char(char *buf, size_t cap, size_t *pos, uint8_t c)
{
	char tmp[5];
	size_t n;

	if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
	    c == '$') {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		n = 2;
	} else if (c < 0x21 || c > 0x7e) {
		n = (size_t)snprintf(tmp, sizeof(tmp), "\\%03u", (unsigned)c);
	} else {
		tmp[0] = (char)c;
		n = 1;
	}
	if (*pos + n + 1 > cap)
		return false;
	memcpy(buf + *pos, tmp, n);
	*pos += n;
	return true;
}

void dnssec_name_to_str(const struct dname *d, char *buf, size_t cap)
{
	size_t pos = 0, o = 0;

	if (cap == 0)
		return;
	buf[0] = '\0';
	if (d->nlabels == 0) {
		if (cap >= 2) {
			buf[0] = '.';
			buf[1] = '\0';
		}
		return;
	}
	while (o < d->len && d->w[o] != 0) {
		uint8_t l = d->w[o];

		if (o > 0) {
			if (pos + 2 > cap)
				break;
			buf[pos++] = '.';
		}
		for (size_t k = 1; k <= l; k++)
			if (!put_char(buf, cap, &pos, d->w[o + k]))
				goto out;
		o += 1 + (size_t)l;
	}
out:
	buf[pos] = '\0';
}
