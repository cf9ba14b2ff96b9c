/*
 * dns_rr.c - record helpers on a parsed DNS message for the correlate
 * stage and the DNSSEC validator: section iteration, typed field
 * extraction (MX, A/AAAA, CNAME, TLSA, TXT and MTA-STS, RRSIG, DNSKEY,
 * DS), the NSEC3 hash algorithm pre-check and RRset extraction with the
 * covering RRSIGs. Fields come from ldns's rdata fields; every field's
 * presence and size is checked, since a record from the wire may carry
 * fewer fields than its type defines.
 */
#include "dns.h"

#include <string.h>

const ldns_rr_list *dns_section_list(const ldns_pkt *pkt, enum dns_section sec)
{
	if (pkt == NULL)
		return NULL;
	switch (sec) {
	case DNS_SECTION_QUESTION:
		return ldns_pkt_question(pkt);
	case DNS_SECTION_ANSWER:
		return ldns_pkt_answer(pkt);
	case DNS_SECTION_AUTHORITY:
		return ldns_pkt_authority(pkt);
	case DNS_SECTION_ADDITIONAL:
		return ldns_pkt_additional(pkt);
	}
	return NULL;
}

void dns_rr_iter_init(struct dns_rr_iter *it, const ldns_pkt *pkt, enum dns_section sec,
		      uint16_t type)
{
	it->list = dns_section_list(pkt, sec);
	it->next = 0;
	it->type = type;
	it->owner[0] = '\0';
}

const ldns_rr *dns_rr_iter_next(struct dns_rr_iter *it)
{
	size_t count = ldns_rr_list_rr_count(it->list);

	while (it->next < count) {
		const ldns_rr *rr = ldns_rr_list_rr(it->list, it->next++);

		if (it->type != 0 && ldns_rr_get_type(rr) != it->type)
			continue;
		if (!dns_name_str(ldns_rr_owner(rr), it->owner, sizeof(it->owner)))
			it->owner[0] = '\0';
		return rr;
	}
	it->owner[0] = '\0';
	return NULL;
}

size_t dns_count_type(const ldns_pkt *pkt, enum dns_section sec, uint16_t type)
{
	const ldns_rr_list *list = dns_section_list(pkt, sec);
	size_t count = ldns_rr_list_rr_count(list), n = 0;

	for (size_t i = 0; i < count; i++)
		if (type == 0 || ldns_rr_get_type(ldns_rr_list_rr(list, i)) == type)
			n++;
	return n;
}

/* Rdata field i of rr when it is present and, size > 0, exactly size
   bytes long (size 0: at least one byte). */
static const ldns_rdf *field(const ldns_rr *rr, size_t i, size_t size)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);

	if (f == NULL || ldns_rdf_size(f) == 0)
		return NULL;
	if (size != 0 && ldns_rdf_size(f) != size)
		return NULL;
	return f;
}

static uint8_t u8_at(const ldns_rdf *f)
{
	return ldns_rdf_data(f)[0];
}

static uint16_t u16_at(const ldns_rdf *f)
{
	const uint8_t *d = ldns_rdf_data(f);

	return (uint16_t)((uint16_t)d[0] << 8 | d[1]);
}

static uint32_t u32_at(const ldns_rdf *f)
{
	const uint8_t *d = ldns_rdf_data(f);

	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

static bool is_type(const ldns_rr *rr, ldns_rr_type t)
{
	return rr != NULL && ldns_rr_get_type(rr) == t;
}

bool dns_rr_mx(const ldns_rr *rr, uint16_t *preference, char *exchange, size_t cap)
{
	const ldns_rdf *pref, *name;

	if (!is_type(rr, LDNS_RR_TYPE_MX) || (pref = field(rr, 0, 2)) == NULL ||
	    (name = field(rr, 1, 0)) == NULL)
		return false;
	if (!dns_name_str(name, exchange, cap))
		return false;
	*preference = u16_at(pref);
	return true;
}

bool dns_rr_addr(const ldns_rr *rr, struct mx_addr *a)
{
	const ldns_rdf *f;

	if (is_type(rr, LDNS_RR_TYPE_A) && (f = field(rr, 0, 4)) != NULL) {
		mx_addr_from_v4(a, ldns_rdf_data(f));
		return true;
	}
	if (is_type(rr, LDNS_RR_TYPE_AAAA) && (f = field(rr, 0, 16)) != NULL) {
		mx_addr_from_v6(a, ldns_rdf_data(f));
		return true;
	}
	return false;
}

bool dns_rr_cname(const ldns_rr *rr, char *target, size_t cap)
{
	const ldns_rdf *name;

	if (!is_type(rr, LDNS_RR_TYPE_CNAME) || (name = field(rr, 0, 0)) == NULL)
		return false;
	return dns_name_str(name, target, cap);
}

bool dns_rr_tlsa(const ldns_rr *rr, struct dns_tlsa *t)
{
	const ldns_rdf *u, *s, *m, *d;

	if (!is_type(rr, LDNS_RR_TYPE_TLSA) || (u = field(rr, 0, 1)) == NULL ||
	    (s = field(rr, 1, 1)) == NULL || (m = field(rr, 2, 1)) == NULL ||
	    (d = field(rr, 3, 0)) == NULL)
		return false;
	t->usage = u8_at(u);
	t->selector = u8_at(s);
	t->matching_type = u8_at(m);
	t->data = ldns_rdf_data(d);
	t->len = ldns_rdf_size(d);
	return true;
}

bool dns_rr_txt(const ldns_rr *rr, char *buf, size_t cap, size_t *len)
{
	size_t total = 0, used = 0;

	if (cap > 0)
		buf[0] = '\0';
	if (len != NULL)
		*len = 0;
	if (!is_type(rr, LDNS_RR_TYPE_TXT))
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(f);
		size_t n = ldns_rdf_size(f);

		/* a character-string: length byte, then the bytes */
		if (n == 0 || (size_t)d[0] + 1 != n)
			return false;
		n--;
		total += n;
		if (cap > 0 && used < cap - 1) {
			size_t c = MX_MIN(n, cap - 1 - used);

			memcpy(buf + used, d + 1, c);
			used += c;
		}
	}
	if (cap > 0)
		buf[used] = '\0';
	if (len != NULL)
		*len = total;
	return cap > 0 && total < cap;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Copies the value of an "id=" field [s, e) into id when it is valid. */
static void sts_id(const char *s, const char *e, char *id, size_t idcap)
{
	size_t n = (size_t)(e - s);

	if (n == 0 || n > DNS_STS_ID_MAX - 1 || n >= idcap)
		return;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]))
			return;
	memcpy(id, s, n);
	id[n] = '\0';
}

bool dns_sts_parse(const char *txt, size_t len, char *id, size_t idcap)
{
	static const char version[] = "v=STSv1";
	const size_t vlen = sizeof(version) - 1;
	const char *p, *end;
	bool have_id = false;

	if (id != NULL && idcap > 0)
		id[0] = '\0';
	if (txt == NULL || len < vlen || memcmp(txt, version, vlen) != 0)
		return false;
	if (len > vlen && txt[vlen] != ';' && !is_blank(txt[vlen]))
		return false;
	/* sts-version 1*(*WSP ";" *WSP sts-field) [";"] */
	p = txt + vlen;
	end = txt + len;
	while (p < end) {
		const char *f, *fe;

		while (p < end && (is_blank(*p) || *p == ';'))
			p++;
		f = p;
		while (p < end && *p != ';')
			p++;
		fe = p;
		while (fe > f && is_blank(fe[-1]))
			fe--;
		if (!have_id && fe - f > 3 && memcmp(f, "id=", 3) == 0) {
			have_id = true;
			if (id != NULL && idcap > 0)
				sts_id(f + 3, fe, id, idcap);
		}
	}
	return true;
}

bool dns_rr_sts(const ldns_rr *rr, char *id, size_t idcap)
{
	char text[512];
	size_t len;

	if (id != NULL && idcap > 0)
		id[0] = '\0';
	if (dns_rr_txt(rr, text, sizeof(text), &len))
		return dns_sts_parse(text, len, id, idcap);
	/* longer than any MTA-STS record: its version still shows, but an id
	   could be cut, so none is reported */
	return len >= sizeof(text) && dns_sts_parse(text, sizeof(text) - 1, NULL, 0);
}

bool dns_rr_rrsig(const ldns_rr *rr, struct dns_rrsig *s)
{
	const ldns_rdf *f[9];
	static const size_t size[9] = {2, 1, 1, 4, 4, 4, 2, 0, 0};

	if (!is_type(rr, LDNS_RR_TYPE_RRSIG))
		return false;
	for (size_t i = 0; i < 9; i++)
		if ((f[i] = field(rr, i, size[i])) == NULL)
			return false;
	if (!dns_name_str(f[7], s->signer, sizeof(s->signer)))
		return false;
	s->type_covered = u16_at(f[0]);
	s->algorithm = u8_at(f[1]);
	s->labels = u8_at(f[2]);
	s->original_ttl = u32_at(f[3]);
	s->expiration = u32_at(f[4]);
	s->inception = u32_at(f[5]);
	s->key_tag = u16_at(f[6]);
	s->signature = ldns_rdf_data(f[8]);
	s->signature_len = ldns_rdf_size(f[8]);
	return true;
}

bool dns_rr_dnskey(const ldns_rr *rr, struct dns_dnskey *k)
{
	const ldns_rdf *fl, *pr, *al, *key;

	if (!is_type(rr, LDNS_RR_TYPE_DNSKEY) || (fl = field(rr, 0, 2)) == NULL ||
	    (pr = field(rr, 1, 1)) == NULL || (al = field(rr, 2, 1)) == NULL ||
	    (key = field(rr, 3, 0)) == NULL)
		return false;
	k->flags = u16_at(fl);
	k->protocol = u8_at(pr);
	k->algorithm = u8_at(al);
	k->key = ldns_rdf_data(key);
	k->key_len = ldns_rdf_size(key);
	k->key_tag = ldns_calc_keytag(rr);
	return true;
}

bool dns_rr_ds(const ldns_rr *rr, struct dns_ds *d)
{
	const ldns_rdf *kt, *al, *dt, *dg;

	if (!is_type(rr, LDNS_RR_TYPE_DS) || (kt = field(rr, 0, 2)) == NULL ||
	    (al = field(rr, 1, 1)) == NULL || (dt = field(rr, 2, 1)) == NULL ||
	    (dg = field(rr, 3, 0)) == NULL)
		return false;
	d->key_tag = u16_at(kt);
	d->algorithm = u8_at(al);
	d->digest_type = u8_at(dt);
	d->digest = ldns_rdf_data(dg);
	d->digest_len = ldns_rdf_size(dg);
	return true;
}

bool dns_pkt_nsec3_hash_ok(const ldns_pkt *pkt)
{
	for (int s = DNS_SECTION_ANSWER; s <= DNS_SECTION_ADDITIONAL; s++) {
		const ldns_rr_list *list = dns_section_list(pkt, (enum dns_section)s);

		for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(list, i);
			const ldns_rdf *alg;

			if (!is_type(rr, LDNS_RR_TYPE_NSEC3))
				continue;
			alg = field(rr, 0, 1);
			if (alg == NULL || u8_at(alg) != LDNS_SHA1)
				return false;
		}
	}
	return true;
}

/* Clones rr onto *list (created on first use). False on allocation failure. */
static bool push_clone(ldns_rr_list **list, const ldns_rr *rr)
{
	ldns_rr *c;

	if (*list == NULL && (*list = ldns_rr_list_new()) == NULL)
		return false;
	c = ldns_rr_clone(rr);
	if (c == NULL)
		return false;
	if (!ldns_rr_list_push_rr(*list, c)) {
		ldns_rr_free(c);
		return false;
	}
	return true;
}

bool dns_rrset(const ldns_pkt *pkt, enum dns_section sec, const ldns_rdf *owner, uint16_t type,
	       uint16_t rrclass, ldns_rr_list **rrset, ldns_rr_list **sigs)
{
	const ldns_rr_list *list = dns_section_list(pkt, sec);

	*rrset = NULL;
	*sigs = NULL;
	if (owner == NULL || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME)
		return true;
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		const ldns_rdf *covered;
		bool ok = true;

		if (ldns_rr_get_class(rr) != rrclass ||
		    ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		if (ldns_rr_get_type(rr) == type)
			ok = push_clone(rrset, rr);
		else if (is_type(rr, LDNS_RR_TYPE_RRSIG) && (covered = field(rr, 0, 2)) != NULL &&
			 u16_at(covered) == type)
			ok = push_clone(sigs, rr);
		if (!ok) {
			ldns_rr_list_deep_free(*rrset);
			ldns_rr_list_deep_free(*sigs);
			*rrset = NULL;
			*sigs = NULL;
			return false;
		}
	}
	return true;
}

bool dns_rrset_by_name(const ldns_pkt *pkt, enum dns_section sec, const char *owner, uint16_t type,
		       uint16_t rrclass, ldns_rr_list **rrset, ldns_rr_list **sigs)
{
	ldns_rdf *name;
	bool ok;

	*rrset = NULL;
	*sigs = NULL;
	if (owner == NULL)
		return true;
	name = ldns_dname_new_frm_str(owner);
	if (name == NULL)
		return true;
	ok = dns_rrset(pkt, sec, name, type, rrclass, rrset, sigs);
	ldns_rdf_deep_free(name);
	return ok;
}
