/*
 * dns_str.c - presentation strings of the DNS dissector: domain names
 * (lowercased, no trailing dot), RR type and rcode mnemonics, and the
 * bounded answer summary the EVE dns record is written from. All text
 * comes from ldns's presentation functions, except the answer entries
 * Suricata spells its own way (addresses, host names, TXT strings, SOA
 * and SRV fields).
 */
#include "dns.h"
#include "util/name.h"

#include <stdio.h>
#include <string.h>

/* Appends c to buf at *n while it fits below cap (one byte for the NUL). */
static bool put_char(char *buf, size_t cap, size_t *n, char c)
{
	if (*n + 1 >= cap)
		return false;
	buf[(*n)++] = c;
	return true;
}

/*
 * One name byte as ldns's ldns_rdf2buffer_str_dname writes it: the
 * separators and specials . ; ( ) and backslash as \c, bytes that are not
 * printable ASCII (isgraph in the C locale) as \DDD, the rest as they are;
 * lowercased here.
 */
static bool put_name_byte(char *buf, size_t cap, size_t *n, uint8_t c)
{
	if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\')
		return put_char(buf, cap, n, '\\') && put_char(buf, cap, n, (char)c);
	if (c < 0x21 || c > 0x7e)
		return put_char(buf, cap, n, '\\') &&
		       put_char(buf, cap, n, (char)('0' + c / 100)) &&
		       put_char(buf, cap, n, (char)('0' + c / 10 % 10)) &&
		       put_char(buf, cap, n, (char)('0' + c % 10));
	return put_char(buf, cap, n, mx_ascii_lower((char)c));
}

/*
 * Written straight from the wire form, byte for byte what ldns's
 * presentation function gives (test_dns compares the two over every byte
 * value), without its buffer allocation and printf per character.
 */
bool dns_name_str(const ldns_rdf *dname, char *buf, size_t cap)
{
	const uint8_t *d;
	size_t size, pos = 0, n = 0;
	uint8_t len;

	if (cap == 0)
		return false;
	buf[0] = '\0';
	if (dname == NULL || ldns_rdf_get_type(dname) != LDNS_RDF_TYPE_DNAME)
		return false;
	d = ldns_rdf_data(dname);
	size = ldns_rdf_size(dname);
	if (d == NULL || size == 0 || size > LDNS_MAX_DOMAINLEN)
		return false;
	if (size == 1) {
		if (cap < 2)
			return false;
		buf[0] = '.';
		buf[1] = '\0';
		return true;
	}
	len = d[0];
	while (len > 0) {
		pos++;
		if (pos + len >= size) /* a label running past the end */
			goto fail;
		for (uint8_t i = 0; i < len; i++, pos++)
			if (!put_name_byte(buf, cap, &n, d[pos]))
				goto fail;
		len = d[pos];
		/* ldns puts a dot after every label, the last one dropped here */
		if (len > 0 && !put_char(buf, cap, &n, '.'))
			goto fail;
	}
	if (n == 0)
		goto fail;
	buf[n] = '\0';
	return true;
fail:
	buf[0] = '\0';
	return false;
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

/* Copies len bytes of text into the entry's rdata, cut to fit. */
static void set_rdata(struct dns_answer *a, const void *p, size_t len)
{
	a->rdata_truncated = len >= sizeof(a->rdata);
	if (a->rdata_truncated)
		len = sizeof(a->rdata) - 1;
	memcpy(a->rdata, p, len);
	a->rdata[len] = '\0';
	a->rdata_len = len;
}

static bool rdf_name(const ldns_rr *rr, size_t i, char *buf, size_t cap)
{
	return i < ldns_rr_rd_count(rr) && dns_name_str(ldns_rr_rdf(rr, i), buf, cap);
}

static uint32_t rdf_u(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = i < ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, i) : NULL;
	const uint8_t *d = f != NULL ? ldns_rdf_data(f) : NULL;
	size_t n = f != NULL ? ldns_rdf_size(f) : 0;
	uint32_t v = 0;

	for (size_t k = 0; d != NULL && k < n && k < 4; k++)
		v = v << 8 | d[k];
	return v;
}

/* The address of an A/AAAA record as Suricata prints it; false if malformed. */
static bool addr_text(const ldns_rr *rr, char *buf, size_t cap)
{
	const ldns_rdf *f = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
	const uint8_t *d = f != NULL ? ldns_rdf_data(f) : NULL;
	size_t o = 0;

	if (d != NULL && ldns_rdf_size(f) == 4) {
		snprintf(buf, cap, "%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
		return true;
	}
	if (d == NULL || ldns_rdf_size(f) != 16 || cap < 40)
		return false;
	for (int i = 0; i < 16; i += 2)
		o += (size_t)snprintf(buf + o, cap - o, "%s%02x%02x", i ? ":" : "", d[i], d[i + 1]);
	return true;
}

/*
 * The entry of one record that is not TXT: Suricata's spelling where it
 * has one, ldns presentation otherwise (also for a record whose fields do
 * not parse as its type says).
 */
static bool format_entry(struct dns_answer *a, const ldns_rr *rr, ldns_buffer *b, ldns_buffer *tmp)
{
	char text[DNS_NAME_STR_MAX];

	a->form = DNS_RDATA_STRING;
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
		if (!addr_text(rr, text, sizeof(text)))
			break;
		set_rdata(a, text, strlen(text));
		return true;
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_PTR:
		if (ldns_rr_rd_count(rr) != 1 || !rdf_name(rr, 0, text, sizeof(text)))
			break;
		set_rdata(a, text, strlen(text));
		return true;
	case LDNS_RR_TYPE_MX:
		if (ldns_rr_rd_count(rr) != 2 || !rdf_name(rr, 1, text, sizeof(text)))
			break;
		set_rdata(a, text, strlen(text));
		return true;
	case LDNS_RR_TYPE_SOA:
		if (ldns_rr_rd_count(rr) != 7 ||
		    !rdf_name(rr, 0, a->u.soa.mname, sizeof(a->u.soa.mname)) ||
		    !rdf_name(rr, 1, a->u.soa.rname, sizeof(a->u.soa.rname)))
			break;
		a->u.soa.serial = rdf_u(rr, 2);
		a->u.soa.refresh = rdf_u(rr, 3);
		a->u.soa.retry = rdf_u(rr, 4);
		a->u.soa.expire = rdf_u(rr, 5);
		a->u.soa.minimum = rdf_u(rr, 6);
		a->form = DNS_RDATA_SOA;
		set_rdata(a, "", 0);
		return true;
	case LDNS_RR_TYPE_SRV:
		if (ldns_rr_rd_count(rr) != 4 ||
		    !rdf_name(rr, 3, a->u.srv.name, sizeof(a->u.srv.name)))
			break;
		a->u.srv.priority = (uint16_t)rdf_u(rr, 0);
		a->u.srv.weight = (uint16_t)rdf_u(rr, 1);
		a->u.srv.port = (uint16_t)rdf_u(rr, 2);
		a->form = DNS_RDATA_SRV;
		set_rdata(a, "", 0);
		return true;
	default:
		break;
	}
	if (!rdata_text(b, tmp, rr))
		return false;
	set_rdata(a, ldns_buffer_begin(b), ldns_buffer_position(b));
	return true;
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
		uint16_t type = (uint16_t)ldns_rr_get_type(rr);
		struct dns_answer *a = &out[n];

		if (!dns_name_str(ldns_rr_owner(rr), a->rrname, sizeof(a->rrname)))
			break;
		dns_type_str(type, a->rrtype, sizeof(a->rrtype));
		a->type = type;
		a->ttl = ldns_rr_ttl(rr);
		if (type != LDNS_RR_TYPE_TXT) {
			if (!format_entry(a, rr, b, tmp))
				break;
			n++;
			continue;
		}
		/* TXT: one entry per character-string (a length byte, then the bytes) */
		for (size_t k = 0; k < ldns_rr_rd_count(rr) && n < max; k++) {
			const ldns_rdf *f = ldns_rr_rdf(rr, k);
			const uint8_t *d = ldns_rdf_data(f);
			size_t len = ldns_rdf_size(f);

			a = &out[n];
			if (k > 0) {
				memcpy(a->rrname, out[n - 1].rrname, sizeof(a->rrname));
				memcpy(a->rrtype, out[n - 1].rrtype, sizeof(a->rrtype));
				a->type = type;
				a->ttl = ldns_rr_ttl(rr);
			}
			a->form = DNS_RDATA_STRING;
			if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_STR && len >= 1 &&
			    d[0] + 1u <= len)
				set_rdata(a, d + 1, d[0]);
			else
				set_rdata(a, "", 0);
			n++;
		}
	}
	ldns_buffer_free(b);
	ldns_buffer_free(tmp);
	return n;
}
