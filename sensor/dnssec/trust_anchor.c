/*
 * trust_anchor.c - the trust anchor set: the built-in IANA root KSK
 * digests and the reader of trust-anchor files (zone-file format, line by
 * line so that every error names its line). Records are parsed by ldns
 * (ldns_rr_new_frm_str) once this file has joined a parenthesised record,
 * dropped comments and resolved the owner name.
 */
#include "dnssec/trust_anchor.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssec/dnssec_name.h"
#include "dnssec/dnssec_sig.h"

/*
 * The root zone KSKs as IANA publishes them (root-anchors.xml): KSK-2017
 * and KSK-2024, both RSASHA256, as SHA-256 DS records.
 */
static const char root_anchors_text[] =
    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
    ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

/* Largest trust-anchor file read. */
#define TRUST_ANCHOR_MAX_FILE (4u << 20)

struct trust_anchors {
	ldns_rr_list *rrs;
};

/* Parser state of one file. */
struct ta_parse {
	const char *label;
	char *err;
	size_t errlen;
	ldns_rr_list *out; /* records of this file, moved to the set at the end */
	ldns_rdf *origin;  /* $ORIGIN, absolute; NULL until one is seen */
	uint32_t ttl;	   /* $TTL */
	struct dname prev; /* owner of the previous record */
	bool have_prev;
	char *rec; /* the record being joined */
	size_t rec_len;
	int depth; /* open parentheses */
	bool quoted;
	unsigned start_line;
};

struct trust_anchors *trust_anchors_new(void)
{
	struct trust_anchors *ta = calloc(1, sizeof(*ta));

	if (ta == NULL)
		return NULL;
	ta->rrs = ldns_rr_list_new();
	if (ta->rrs == NULL) {
		free(ta);
		return NULL;
	}
	return ta;
}

void trust_anchors_free(struct trust_anchors *ta)
{
	if (ta == NULL)
		return;
	ldns_rr_list_deep_free(ta->rrs);
	free(ta);
}

size_t trust_anchors_count(const struct trust_anchors *ta)
{
	return ldns_rr_list_rr_count(ta->rrs);
}

const ldns_rr *trust_anchors_get(const struct trust_anchors *ta, size_t i)
{
	if (i >= ldns_rr_list_rr_count(ta->rrs))
		return NULL;
	return ldns_rr_list_rr(ta->rrs, i);
}

uint16_t trust_anchor_key_tag(const ldns_rr *rr)
{
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS && ldns_rr_rd_count(rr) >= 1 &&
	    ldns_rdf_size(ldns_rr_rdf(rr, 0)) == 2)
		return ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY)
		return ldns_calc_keytag(rr);
	return 0;
}

static bool fail(struct ta_parse *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "label:line: message" (or "label: message" for line 0) to p->err. */
static bool fail(struct ta_parse *p, unsigned line, const char *fmt, ...)
{
	char msg[TRUST_ANCHOR_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err != NULL && p->errlen > 0) {
		if (line > 0)
			snprintf(p->err, p->errlen, "%s:%u: %s", p->label, line, msg);
		else
			snprintf(p->err, p->errlen, "%s: %s", p->label, msg);
	}
	return false;
}

/* Checks that a parsed record is a usable anchor. */
static bool check_anchor(struct ta_parse *p, const ldns_rr *rr, unsigned line)
{
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return fail(p, line, "trust anchors must be class IN");
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS) {
		struct ds_info ds;

		if (!dnssec_ds_parse(rr, &ds))
			return fail(p, line, "DS record is incomplete");
		if (dnssec_ds_digest_len(ds.digest_type) == 0)
			return fail(p, line, "DS digest type %u is not supported (1, 2 or 4)",
				    ds.digest_type);
		if (ds.digest_len != dnssec_ds_digest_len(ds.digest_type))
			return fail(p, line, "DS digest is %zu bytes, digest type %u needs %zu",
				    ds.digest_len, ds.digest_type,
				    dnssec_ds_digest_len(ds.digest_type));
		if (!dnssec_algorithm_supported(ds.algorithm))
			return fail(p, line, "DNSSEC algorithm %u is not supported", ds.algorithm);
		return true;
	}
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY) {
		struct dnskey_info k;

		if (!dnssec_dnskey_parse(rr, &k))
			return fail(p, line, "DNSKEY record is incomplete");
		if (k.protocol != 3)
			return fail(p, line, "DNSKEY protocol must be 3");
		if (!(k.flags & DNSKEY_FLAG_ZONE))
			return fail(p, line, "DNSKEY lacks the zone key flag (256)");
		if (k.key_len == 0)
			return fail(p, line, "DNSKEY has no key data");
		if (!dnssec_algorithm_supported(k.algorithm))
			return fail(p, line, "DNSSEC algorithm %u is not supported", k.algorithm);
		return true;
	}
	return fail(p, line, "only DS and DNSKEY records can be trust anchors");
}

/* True when the owner token (up to blank) ends with an unescaped dot. */
static bool token_absolute(const char *tok, size_t len)
{
	size_t bs = 0;

	if (len == 0 || tok[len - 1] != '.')
		return false;
	for (size_t i = len - 1; i > 0 && tok[i - 1] == '\\'; i--)
		bs++;
	return bs % 2 == 0;
}

/* Handles a $ directive (the record starts with '$'). */
static bool directive(struct ta_parse *p, char *rec, unsigned line)
{
	char *name = rec, *arg, *end;
	const char *e = NULL;
	ldns_rdf *o = NULL;
	uint32_t t;

	arg = rec + strcspn(rec, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	if (strcmp(name, "$INCLUDE") == 0)
		return fail(p, line, "$INCLUDE is not supported in a trust-anchor file");
	if (strcmp(name, "$ORIGIN") != 0 && strcmp(name, "$TTL") != 0)
		return fail(p, line, "unknown directive %.64s", name);
	arg += strspn(arg, " \t");
	end = arg + strcspn(arg, " \t");
	if (*end != '\0') {
		*end++ = '\0';
		if (end[strspn(end, " \t")] != '\0')
			return fail(p, line, "%s takes one argument", name);
	}
	if (*arg == '\0')
		return fail(p, line, "%s needs an argument", name);
	if (strcmp(name, "$TTL") == 0) {
		t = ldns_str2period(arg, &e);
		if (e == NULL || *e != '\0')
			return fail(p, line, "$TTL: cannot read '%.64s'", arg);
		p->ttl = t;
		return true;
	}
	if (!token_absolute(arg, strlen(arg)))
		return fail(p, line, "$ORIGIN must be an absolute name (ending in '.')");
	if (ldns_str2rdf_dname(&o, arg) != LDNS_STATUS_OK || o == NULL)
		return fail(p, line, "$ORIGIN: cannot read name '%.255s'", arg);
	ldns_rdf_deep_free(p->origin);
	p->origin = o;
	return true;
}

/* Parses one joined record (comments and parentheses removed). */
static bool record(struct ta_parse *p, char *rec, unsigned line)
{
	char owner[DNAME_WIRE_MAX * 4 + 8];
	char *body, *text = NULL;
	size_t tok;
	ldns_rr *rr = NULL;
	ldns_status s;
	bool ok;

	if (rec[0] == '$')
		return directive(p, rec, line);
	if (rec[0] == ' ' || rec[0] == '\t') {
		/* owner omitted: the previous record's */
		if (!p->have_prev)
			return fail(p, line, "record without owner name and no previous owner");
		dnssec_name_to_str(&p->prev, owner, sizeof(owner) - 1);
		if (strcmp(owner, ".") != 0)
			strcat(owner, ".");
		body = rec;
	} else {
		tok = strcspn(rec, " \t");
		if (tok == 1 && rec[0] == '@') {
			if (p->origin == NULL)
				return fail(p, line, "'@' used before any $ORIGIN");
		} else if (!token_absolute(rec, tok) && p->origin == NULL) {
			return fail(p, line,
				    "owner name '%.*s' is relative and no $ORIGIN was given",
				    (int)MX_MIN(tok, 255), rec);
		}
		owner[0] = '\0';
		body = rec;
	}
	if (owner[0] != '\0') {
		size_t n = strlen(owner) + strlen(body) + 1;

		text = malloc(n);
		if (text == NULL)
			return fail(p, line, "out of memory");
		snprintf(text, n, "%s%s", owner, body);
	}
	s = ldns_rr_new_frm_str(&rr, text != NULL ? text : body, p->ttl, p->origin, NULL);
	free(text);
	if (s != LDNS_STATUS_OK || rr == NULL) {
		ldns_rr_free(rr);
		return fail(p, line, "%s", ldns_get_errorstr_by_id(s));
	}
	if (!dnssec_name_from_rdf(&p->prev, ldns_rr_owner(rr))) {
		ldns_rr_free(rr);
		return fail(p, line, "bad owner name");
	}
	p->have_prev = true;
	if (!check_anchor(p, rr, line)) {
		ldns_rr_free(rr);
		return false;
	}
	if (ldns_rr_list_rr_count(p->out) >= TRUST_ANCHOR_MAX) {
		ldns_rr_free(rr);
		return fail(p, line, "more than %u trust anchors", TRUST_ANCHOR_MAX);
	}
	ok = ldns_rr_list_push_rr(p->out, rr);
	if (!ok) {
		ldns_rr_free(rr);
		return fail(p, line, "out of memory");
	}
	return true;
}

/* Appends byte c to the record being joined. */
static bool rec_put(struct ta_parse *p, char c, unsigned line)
{
	if (p->rec_len + 1 >= TRUST_ANCHOR_MAX_RECORD)
		return fail(p, line, "record longer than %u bytes", TRUST_ANCHOR_MAX_RECORD);
	p->rec[p->rec_len++] = c;
	return true;
}

/* Adds one physical line to the record being joined. */
static bool add_line(struct ta_parse *p, const char *s, size_t len, unsigned line)
{
	if (p->rec_len == 0)
		p->start_line = line;
	else if (!rec_put(p, ' ', line))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\0')
			return fail(p, line, "NUL byte in file");
		if (p->quoted) {
			if (c == '\\' && i + 1 < len) {
				if (!rec_put(p, c, line))
					return false;
				c = s[++i];
			} else if (c == '"') {
				p->quoted = false;
			}
		} else if (c == '\\' && i + 1 < len) {
			if (!rec_put(p, c, line))
				return false;
			c = s[++i];
		} else if (c == '"') {
			p->quoted = true;
		} else if (c == ';') {
			break;
		} else if (c == '(') {
			p->depth++;
			c = ' ';
		} else if (c == ')') {
			if (p->depth == 0)
				return fail(p, line, "')' without '('");
			p->depth--;
			c = ' ';
		} else if (c == '\r' || c == '\f' || c == '\v') {
			c = ' ';
		}
		if (!rec_put(p, c, line))
			return false;
	}
	if (p->quoted)
		return fail(p, line, "unterminated quoted string");
	return true;
}

/* Ends the record being joined when its parentheses are closed. */
static bool flush(struct ta_parse *p)
{
	size_t end = p->rec_len;
	bool ok = true;

	if (p->depth > 0)
		return true;
	while (end > 0 && (p->rec[end - 1] == ' ' || p->rec[end - 1] == '\t'))
		end--;
	p->rec[end] = '\0';
	if (p->rec[strspn(p->rec, " \t")] != '\0')
		ok = record(p, p->rec, p->start_line);
	p->rec_len = 0;
	return ok;
}

static bool parse_text(struct ta_parse *p, const char *text, size_t len)
{
	size_t pos = 0;
	unsigned line = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		line++;
		if (!add_line(p, text + pos, n, line) || !flush(p))
			return false;
		pos += n + 1;
	}
	if (p->depth > 0)
		return fail(p, p->start_line, "'(' not closed before the end of the file");
	if (ldns_rr_list_rr_count(p->out) == 0)
		return fail(p, 0, "no DS or DNSKEY trust anchor in the file");
	return true;
}

bool trust_anchors_load_text(struct trust_anchors *ta, const char *text, size_t len,
			     const char *label, char *err, size_t errlen)
{
	struct ta_parse p;
	bool ok;

	memset(&p, 0, sizeof(p));
	p.label = label;
	p.err = err;
	p.errlen = errlen;
	p.ttl = 3600;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	p.out = ldns_rr_list_new();
	p.rec = malloc(TRUST_ANCHOR_MAX_RECORD);
	if (p.out == NULL || p.rec == NULL) {
		ok = fail(&p, 0, "out of memory");
		goto out;
	}
	ok = parse_text(&p, text, len);
	if (ok && ldns_rr_list_rr_count(ta->rrs) + ldns_rr_list_rr_count(p.out) > TRUST_ANCHOR_MAX)
		ok = fail(&p, 0, "more than %u trust anchors", TRUST_ANCHOR_MAX);
	if (ok) {
		/* move the records: the set takes them over in file order */
		if (!ldns_rr_list_cat(ta->rrs, p.out))
			ok = fail(&p, 0, "out of memory");
		else
			ldns_rr_list_set_rr_count(p.out, 0);
	}
out:
	ldns_rr_list_deep_free(p.out);
	ldns_rdf_deep_free(p.origin);
	free(p.rec);
	return ok;
}

bool trust_anchors_load_file(struct trust_anchors *ta, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;
	bool ok;

	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	buf = malloc(TRUST_ANCHOR_MAX_FILE + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return false;
	}
	n = fread(buf, 1, TRUST_ANCHOR_MAX_FILE + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		ok = false;
	} else if (n > TRUST_ANCHOR_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, TRUST_ANCHOR_MAX_FILE);
		ok = false;
	} else {
		ok = trust_anchors_load_text(ta, buf, n, path, err, errlen);
	}
	free(buf);
	fclose(f);
	return ok;
}

bool trust_anchors_add_root(struct trust_anchors *ta)
{
	char err[TRUST_ANCHOR_ERR_MAX];

	return trust_anchors_load_text(ta, root_anchors_text, sizeof(root_anchors_text) - 1,
				       "built-in root anchors", err, sizeof(err));
}

struct trust_anchors *trust_anchors_setup(const char *path, char *err, size_t errlen)
{
	struct trust_anchors *ta = trust_anchors_new();
	bool ok;

	if (ta == NULL) {
		snprintf(err, errlen, "trust anchors: out of memory");
		return NULL;
	}
	if (path != NULL) {
		ok = trust_anchors_load_file(ta, path, err, errlen);
	} else {
		ok = trust_anchors_add_root(ta);
		if (!ok)
			snprintf(err, errlen, "built-in root anchors: out of memory");
	}
	if (!ok) {
		trust_anchors_free(ta);
		return NULL;
	}
	return ta;
}
