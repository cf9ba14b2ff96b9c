/*
 * dns_str.c - presentation strings of the DNS dissector: domain names
 * (lowercased, no trailing dot), RR type and rcode mnemonics, and the
 * bounded answer summary the EVE dns record is written from. All text
 * comes from ldns's presentation functions.
 */
#include "dns.h"

#include <stdio.h>
#include <string.h>

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool dns_name_str(const ldns_rdf *dname, char *buf, size_t cap)
{
	ldns_buffer *b;
	bool ok = false;

	if (cap == 0)
		return false;
	buf[0] = '\0';
	if (dname == NULL || ldns_rdf_get_type(dname) != LDNS_RDF_TYPE_DNAME)
		return false;
	b = ldns_buffer_new(LDNS_MAX_DOMAINLEN + 1);
	if (b == NULL)
		return false;
	if (ldns_rdf2buffer_str_dname(b, dname) == LDNS_STATUS_OK && ldns_buffer_status_ok(b)) {
		const char *s = (const char *)ldns_buffer_begin(b);
		size_t n = ldns_buffer_position(b);

		/* ldns ends every name but the root with the separator dot */
		if (n > 1 && s[n - 1] == '.')
			n--;
		if (n > 0 && n < cap) {
			for (size_t i = 0; i < n; i++)
				buf[i] = ascii_lower(s[i]);
			buf[n] = '\0';
			ok = true;
		}
	}
	ldns_buffer_free(b);
	return ok;
}

const char *dns_type_str(uint16_t type, char *buf, size_t cap)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (cap == 0)
		return buf;
	if (d != NULL && d->_type == type && d->_name != NULL)
		snprintf(buf, cap, "%s", d->_name);
	else
		snprintf(buf, cap, "TYPE%u", (unsigned)type);
	return buf;
}

const char *dns_rcode_str(uint16_t rcode)
{
	static const char *const names[] = {
	    "NOERROR",	"FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",   "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",  "DSOTYPENI",
	    NULL,	NULL,	   NULL,       NULL,	   "BADVERS",  "BADKEY",
	    "BADTIME",	"BADMODE", "BADNAME",  "BADALG",   "BADTRUNC", "BADCOOKIE",
	};

	if (rcode >= MX_ARRAY_LEN(names))
		return NULL;
	return names[rcode];
}

/* The rdata of rr in RFC 3597 generic form ("\# len hex") into b. */
static bool rdata_generic(ldns_buffer *b, ldns_buffer *tmp, const ldns_rr *rr)
{
	const uint8_t *d;
	size_t n;

	ldns_buffer_clear(b);
	ldns_buffer_clear(tmp);
	if (ldns_rr_rdata2buffer_wire(tmp, rr) != LDNS_STATUS_OK)
		return false;
	d = ldns_buffer_begin(tmp);
	n = ldns_buffer_position(tmp);
	ldns_buffer_printf(b, "\\# %zu%s", n, n > 0 ? " " : "");
	/* only what the summary can hold (and one byte more, so that the
	   cut shows) is written out */
	for (size_t i = 0; i < n && i <= DNS_RDATA_STR_MAX / 2; i++)
		ldns_buffer_printf(b, "%02x", d[i]);
	return ldns_buffer_status_ok(b);
}

/*
 * Types whose rdata ldns presents in its usual form. Every other type is
 * written in the RFC 3597 generic form: ldns's printers for the rest are
 * not all safe on hostile rdata (the SVCB/HTTPS parameter printer aborts
 * on an assertion), and the sensor must never let a packet stop it.
 */
static bool presentable(ldns_rr_type t)
{
	switch (t) {
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_DNAME:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_TXT:
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_SRV:
	case LDNS_RR_TYPE_TLSA:
	case LDNS_RR_TYPE_DS:
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
	case LDNS_RR_TYPE_NSEC3PARAM:
	case LDNS_RR_TYPE_CAA:
	case LDNS_RR_TYPE_SSHFP:
		return true;
	default:
		return false;
	}
}

/* The rdata fields of rr in presentation form, space separated, into b;
   the generic form when ldns cannot present a field (malformed rdata) or
   the type is not one ldns presents safely. */
static bool rdata_text(ldns_buffer *b, ldns_buffer *tmp, const ldns_rr *rr)
{
	if (!presentable(ldns_rr_get_type(rr)))
		return rdata_generic(b, tmp, rr);
	ldns_buffer_clear(b);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (i > 0)
			ldns_buffer_printf(b, " ");
		if (ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, i)) != LDNS_STATUS_OK)
			return rdata_generic(b, tmp, rr);
	}
	return ldns_buffer_status_ok(b) || rdata_generic(b, tmp, rr);
}

size_t dns_answer_summary(const ldns_pkt *pkt, struct dns_answer *out, size_t max)
{
	const ldns_rr_list *list = pkt != NULL ? ldns_pkt_answer(pkt) : NULL;
	size_t count = ldns_rr_list_rr_count(list), n = 0;
	ldns_buffer *b, *tmp;

	if (count == 0 || max == 0)
		return 0;
	b = ldns_buffer_new(256);
	tmp = ldns_buffer_new(256);
	if (b == NULL || tmp == NULL) {
		ldns_buffer_free(b);
		ldns_buffer_free(tmp);
		return 0;
	}
	for (size_t i = 0; i < count && n < max; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		struct dns_answer *a = &out[n];
		size_t len;

		if (!dns_name_str(ldns_rr_owner(rr), a->rrname, sizeof(a->rrname)) ||
		    !rdata_text(b, tmp, rr))
			break;
		dns_type_str((uint16_t)ldns_rr_get_type(rr), a->rrtype, sizeof(a->rrtype));
		a->ttl = ldns_rr_ttl(rr);
		len = ldns_buffer_position(b);
		a->rdata_truncated = len >= sizeof(a->rdata);
		if (a->rdata_truncated)
			len = sizeof(a->rdata) - 1;
		memcpy(a->rdata, ldns_buffer_begin(b), len);
		a->rdata[len] = '\0';
		n++;
	}
	ldns_buffer_free(b);
	ldns_buffer_free(tmp);
	return n;
}
