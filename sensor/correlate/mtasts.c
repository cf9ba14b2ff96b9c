/*
 * mtasts.c - RFC 8461 policy body parser, MX pattern parsing and matching,
 * host name normalisation.
 */
#include "correlate/mtasts.h"

#include "util/common.h"
#include "util/name.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int mtasts_host_normalize(const char *in, size_t len, bool allow_underscore, char *out,
			  const char **why)
{
	size_t label = 0;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty name";
		return -1;
	}
	if (len > MX_HOST_MAX) {
		*why = "name longer than 253 bytes";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '.') {
			if (label == 0) {
				*why = "empty label";
				return -1;
			}
			if (in[i - 1] == '-') {
				*why = "label ends with a hyphen";
				return -1;
			}
			label = 0;
		} else if (is_alnum(c) || (c == '_' && allow_underscore)) {
			label++;
		} else if (c == '-') {
			if (label == 0) {
				*why = "label starts with a hyphen";
				return -1;
			}
			label++;
		} else {
			*why = "character not allowed in a host name";
			return -1;
		}
		if (label > 63) {
			*why = "label longer than 63 bytes";
			return -1;
		}
		out[i] = mx_ascii_lower(c);
	}
	if (in[len - 1] == '-') {
		*why = "label ends with a hyphen";
		return -1;
	}
	out[len] = '\0';
	return (int)len;
}

bool mtasts_pattern_parse(const char *s, size_t len, enum mx_pattern_syntax syntax,
			  struct mx_pattern *out, const char **why)
{
	enum mx_pattern_kind kind = MX_PATTERN_EXACT;
	int n;

	if (syntax == MX_SYNTAX_MTASTS && len >= 2 && s[0] == '*' && s[1] == '.') {
		kind = MX_PATTERN_WILDCARD;
		s += 2;
		len -= 2;
	} else if (syntax == MX_SYNTAX_STARTTLS_EVERYWHERE && len >= 1 && s[0] == '.') {
		kind = MX_PATTERN_SUFFIX;
		s++;
		len--;
	}
	if (memchr(s, '*', len) != NULL) {
		*why = syntax == MX_SYNTAX_MTASTS
			   ? "a wildcard may only be the whole left-most label (\"*.\")"
			   : "'*' is not allowed (a leading '.' matches subdomains)";
		return false;
	}
	n = mtasts_host_normalize(s, len, false, out->name, why);
	if (n < 0)
		return false;
	if (kind != MX_PATTERN_EXACT && memchr(out->name, '.', (size_t)n) == NULL) {
		*why = "a wildcard needs at least two labels after it";
		return false;
	}
	out->kind = (uint8_t)kind;
	out->len = (uint8_t)n;
	return true;
}

/* Case-insensitive equality of a[0..n) with the lower-case b[0..n). */
static bool eq_lower(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mx_ascii_lower(a[i]) != b[i])
			return false;
	return true;
}

bool mtasts_pattern_match(const struct mx_pattern *p, const char *host, size_t len)
{
	size_t prefix;

	if (len > 0 && host[len - 1] == '.')
		len--;
	if (p->kind == MX_PATTERN_EXACT)
		return len == p->len && eq_lower(host, p->name, len);
	/* "*.rest" and ".rest": host = <labels> "." rest */
	if (len < (size_t)p->len + 2)
		return false;
	prefix = len - p->len;
	if (host[prefix - 1] != '.' || !eq_lower(host + prefix, p->name, p->len))
		return false;
	prefix--; /* bytes before the dot */
	for (size_t i = 0; i < prefix; i++) {
		if (host[i] == '.') {
			if (p->kind == MX_PATTERN_WILDCARD)
				return false; /* more than one label */
			if (i == 0 || host[i - 1] == '.')
				return false; /* empty label */
		}
	}
	return host[prefix - 1] != '.';
}

const char *mtasts_pattern_str(const struct mx_pattern *p, char *buf, size_t len)
{
	const char *pre = p->kind == MX_PATTERN_WILDCARD ? "*."
			  : p->kind == MX_PATTERN_SUFFIX ? "."
							 : "";

	snprintf(buf, len, "%s%s", pre, p->name);
	return buf;
}

const char *mtasts_mode_name(enum mtasts_mode m)
{
	switch (m) {
	case MTASTS_MODE_TESTING:
		return "testing";
	case MTASTS_MODE_ENFORCE:
		return "enforce";
	case MTASTS_MODE_NONE:
		break;
	}
	return "none";
}

bool mtasts_mode_parse(const char *s, enum mtasts_mode *m)
{
	if (strcmp(s, "none") == 0)
		*m = MTASTS_MODE_NONE;
	else if (strcmp(s, "testing") == 0)
		*m = MTASTS_MODE_TESTING;
	else if (strcmp(s, "enforce") == 0)
		*m = MTASTS_MODE_ENFORCE;
	else
		return false;
	return true;
}

void mtasts_policy_free(struct mtasts_policy *p)
{
	free(p->mx);
	memset(p, 0, sizeof(*p));
}

bool mtasts_policy_mx_match(const struct mtasts_policy *p, const char *host)
{
	size_t len = strlen(host);

	for (size_t i = 0; i < p->n_mx; i++)
		if (mtasts_pattern_match(&p->mx[i], host, len))
			return true;
	return false;
}

/* ---- policy body ---- */

enum { F_VERSION, F_MODE, F_MAX_AGE, F_COUNT };

struct text_state {
	const char *name;
	struct mx_errors *errs;
	struct mtasts_policy pol;
	uint32_t seen_line[F_COUNT];
	bool mx_seen; /* an mx field was given, valid or not */
	bool failed;
};

static bool is_ext_name(const char *s, size_t n)
{
	if (n == 0 || n > 32 || !is_alnum(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* ext-value: 1*(%x21-3A / %x3C / %x3E-7E) with WSP allowed inside. */
static bool is_ext_value(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t')
			continue;
		if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
			return false;
	}
	return n > 0;
}

static void terr(struct text_state *st, uint32_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void terr(struct text_state *st, uint32_t line, size_t col, const char *fmt, ...)
{
	char buf[MX_ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mx_errors_add(st->errs, st->name, line, (uint32_t)col, "%s", buf);
	st->failed = true;
}

static bool once(struct text_state *st, int field, const char *key, uint32_t line)
{
	if (st->seen_line[field] != 0) {
		terr(st, line, 1, "MTA-STS field '%s' given twice (first at line %u)", key,
		     st->seen_line[field]);
		return false;
	}
	st->seen_line[field] = line;
	return true;
}

static void add_mx(struct text_state *st, const char *v, size_t vlen, uint32_t line, size_t col)
{
	struct mx_pattern pat, *grown;
	const char *why = NULL;

	if (!mtasts_pattern_parse(v, vlen, MX_SYNTAX_MTASTS, &pat, &why)) {
		terr(st, line, col, "bad MTA-STS mx pattern '%.*s': %s", (int)MX_MIN(vlen, 80), v,
		     why);
		return;
	}
	if (st->pol.n_mx >= MTASTS_MAX_MX) {
		terr(st, line, col, "more than %d mx patterns", MTASTS_MAX_MX);
		return;
	}
	grown = realloc(st->pol.mx, (st->pol.n_mx + 1) * sizeof(*grown));
	if (grown == NULL) {
		terr(st, line, col, "out of memory");
		return;
	}
	st->pol.mx = grown;
	st->pol.mx[st->pol.n_mx++] = pat;
}

static void parse_field(struct text_state *st, const char *key, size_t klen, const char *v,
			size_t vlen, uint32_t line, size_t vcol)
{
	char buf[32];

	if (klen == 7 && memcmp(key, "version", 7) == 0) {
		if (once(st, F_VERSION, "version", line) &&
		    !(vlen == 5 && memcmp(v, "STSv1", 5) == 0))
			terr(st, line, vcol, "unsupported MTA-STS version '%.*s' (expected STSv1)",
			     (int)MX_MIN(vlen, 40), v);
	} else if (klen == 4 && memcmp(key, "mode", 4) == 0) {
		enum mtasts_mode m;

		if (!once(st, F_MODE, "mode", line))
			return;
		snprintf(buf, sizeof(buf), "%.*s", (int)MX_MIN(vlen, sizeof(buf) - 1), v);
		if (vlen >= sizeof(buf) || !mtasts_mode_parse(buf, &m))
			terr(st, line, vcol,
			     "bad MTA-STS mode '%.*s' (expected enforce, testing or none)",
			     (int)MX_MIN(vlen, 40), v);
		else
			st->pol.mode = m;
	} else if (klen == 7 && memcmp(key, "max_age", 7) == 0) {
		uint64_t age = 0;
		bool ok = vlen >= 1 && vlen <= 10;

		if (!once(st, F_MAX_AGE, "max_age", line))
			return;
		for (size_t i = 0; ok && i < vlen; i++) {
			ok = v[i] >= '0' && v[i] <= '9';
			age = age * 10 + (uint64_t)(v[i] - '0');
		}
		if (!ok || age > MTASTS_MAX_AGE_MAX)
			terr(st, line, vcol, "bad MTA-STS max_age '%.*s' (0..%u seconds)",
			     (int)MX_MIN(vlen, 40), v, MTASTS_MAX_AGE_MAX);
		else
			st->pol.max_age = (uint32_t)age;
	} else if (klen == 2 && memcmp(key, "mx", 2) == 0) {
		st->mx_seen = true;
		add_mx(st, v, vlen, line, vcol);
	}
	/* any other well-formed field is an extension: ignored (RFC 8461 3.2) */
}

static void parse_line(struct text_state *st, const char *s, size_t n, uint32_t line)
{
	const char *colon = memchr(s, ':', n);
	size_t klen, vstart, vend;

	if (colon == NULL) {
		terr(st, line, 1, "malformed MTA-STS line: expected 'key: value'");
		return;
	}
	klen = (size_t)(colon - s);
	if (!is_ext_name(s, klen)) {
		terr(st, line, 1, "malformed MTA-STS field name '%.*s'", (int)MX_MIN(klen, 40), s);
		return;
	}
	vstart = klen + 1;
	while (vstart < n && (s[vstart] == ' ' || s[vstart] == '\t'))
		vstart++;
	vend = n;
	while (vend > vstart && (s[vend - 1] == ' ' || s[vend - 1] == '\t'))
		vend--;
	if (!is_ext_value(s + vstart, vend - vstart)) {
		terr(st, line, vstart + 1, "malformed MTA-STS value for '%.*s'",
		     (int)MX_MIN(klen, 40), s);
		return;
	}
	parse_field(st, s, klen, s + vstart, vend - vstart, line, vstart + 1);
}

bool mtasts_parse_text(const char *name, const char *text, size_t len, struct mtasts_policy *out,
		       struct mx_errors *errs)
{
	struct text_state st;
	size_t pos = 0;
	uint32_t line = 0;

	memset(&st, 0, sizeof(st));
	st.name = name;
	st.errs = errs;
	if (len > MTASTS_MAX_TEXT) {
		mx_errors_add(errs, name, 0, 0, "MTA-STS policy larger than %d bytes",
			      MTASTS_MAX_TEXT);
		return false;
	}
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		parse_line(&st, s, n, line);
	}
	if (line == 0)
		line = 1;
	if (st.seen_line[F_VERSION] == 0)
		terr(&st, line, 1, "MTA-STS policy has no 'version' field");
	if (st.seen_line[F_MODE] == 0)
		terr(&st, line, 1, "MTA-STS policy has no 'mode' field");
	if (st.seen_line[F_MAX_AGE] == 0)
		terr(&st, line, 1, "MTA-STS policy has no 'max_age' field");
	if (!st.mx_seen && st.seen_line[F_MODE] != 0 && st.pol.mode != MTASTS_MODE_NONE)
		terr(&st, line, 1, "MTA-STS policy in mode %s has no 'mx' field",
		     mtasts_mode_name(st.pol.mode));
	if (st.failed) {
		mtasts_policy_free(&st.pol);
		return false;
	}
	*out = st.pol;
	return true;
}
