/*
 * policy.c - loads policy files (YAML, RFC 8461 text, STARTTLS-Everywhere
 * JSON) into a policy set and keeps sorted indexes for the lookups by
 * domain, MX host and address. Indexes are rebuilt after every load; the
 * lookups themselves never allocate.
 */
#include "correlate/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct addr_ref {
	struct mx_addr a;
	const char *host;
	const struct policy *p;
};

struct policy_set {
	struct policy **pol;
	size_t n, cap;
	uint32_t seq;
	struct mx_addr *res;
	size_t n_res;
	/* indexes over the policies in effect */
	struct policy **by_domain;
	size_t n_by_domain;
	const struct policy_tlsa **tlsa_idx;
	size_t n_tlsa_idx;
	const struct policy_host **host_idx;
	size_t n_host_idx;
	struct addr_ref *addr_idx;
	size_t n_addr_idx;
};

struct loader {
	struct policy_set *s;
	const char *base_dir;
	struct mx_errors *errs;
};

const char *policy_origin_name(enum policy_origin o)
{
	switch (o) {
	case POLICY_ORIGIN_MTA_STS_TEXT:
		return "mta-sts";
	case POLICY_ORIGIN_STARTTLS_EVERYWHERE:
		return "starttls-everywhere";
	case POLICY_ORIGIN_YAML:
		break;
	}
	return "yaml";
}

const char *policy_dane_name(enum policy_dane d)
{
	switch (d) {
	case POLICY_DANE_REQUIRED:
		return "required";
	case POLICY_DANE_NONE:
		return "none";
	case POLICY_DANE_AUTO:
		break;
	}
	return "auto";
}

struct policy_set *policy_set_new(void)
{
	return calloc(1, sizeof(struct policy_set));
}

static void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	mtasts_policy_free(&p->sts);
	for (size_t i = 0; i < p->n_tlsa; i++)
		free(p->tlsa[i].data);
	free(p->tlsa);
	for (size_t i = 0; i < p->n_hosts; i++)
		free(p->hosts[i].addrs);
	free(p->hosts);
	free(p);
}

static void free_indexes(struct policy_set *s)
{
	free(s->by_domain);
	free(s->tlsa_idx);
	free(s->host_idx);
	free(s->addr_idx);
	s->by_domain = NULL;
	s->tlsa_idx = NULL;
	s->host_idx = NULL;
	s->addr_idx = NULL;
	s->n_by_domain = s->n_tlsa_idx = s->n_host_idx = s->n_addr_idx = 0;
}

void policy_set_free(struct policy_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		policy_free(s->pol[i]);
	free(s->pol);
	free(s->res);
	free_indexes(s);
	free(s);
}

/* ---- building policies ---- */

static struct policy *policy_new(struct loader *ld, const char *file, uint32_t line, uint32_t col,
				 enum policy_origin origin)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		mx_errors_add(ld->errs, file, line, col, "out of memory");
		return NULL;
	}
	snprintf(p->file, sizeof(p->file), "%s", file);
	snprintf(p->id, sizeof(p->id), "%s:%u", file, line);
	p->line = line;
	p->col = col;
	p->origin = origin;
	return p;
}

/* Takes ownership of p. */
static bool policy_add(struct loader *ld, struct policy *p)
{
	struct policy_set *s = ld->s;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct policy **grown = realloc(s->pol, cap * sizeof(*grown));

		if (grown == NULL) {
			mx_errors_add(ld->errs, p->file, p->line, p->col, "out of memory");
			policy_free(p);
			return false;
		}
		s->pol = grown;
		s->cap = cap;
	}
	p->seq = ++s->seq;
	s->pol[s->n++] = p;
	return true;
}

static bool get_domain(struct loader *ld, const struct ydoc_node *n, const char *what,
		       char out[MX_HOST_MAX + 1])
{
	const char *str, *why = NULL;

	if (!ydoc_get_str(n, 1024, what, ld->errs, &str))
		return false;
	if (mtasts_host_normalize(str, n->n, false, out, &why) < 0) {
		ydoc_error(ld->errs, n, "bad domain '%.80s' for '%s': %s", str, what, why);
		return false;
	}
	return true;
}

static bool get_addr(struct loader *ld, const struct ydoc_node *n, const char *what,
		     struct mx_addr *a)
{
	const char *str;

	if (!ydoc_get_str(n, 64, what, ld->errs, &str))
		return false;
	if (!mx_addr_parse(a, str)) {
		ydoc_error(ld->errs, n, "bad address '%.64s' for '%s'", str, what);
		return false;
	}
	return true;
}

static void parse_mx_list(struct loader *ld, const struct ydoc_node *seq,
			  enum mx_pattern_syntax syntax, const char *what,
			  struct mtasts_policy *sts)
{
	if (!ydoc_expect(seq, YDOC_SEQ, what, ld->errs))
		return;
	if (seq->n > MTASTS_MAX_MX) {
		ydoc_error(ld->errs, seq, "more than %d patterns in '%s'", MTASTS_MAX_MX, what);
		return;
	}
	free(sts->mx);
	sts->n_mx = 0;
	sts->mx = calloc(seq->n ? seq->n : 1, sizeof(*sts->mx));
	if (sts->mx == NULL) {
		ydoc_error(ld->errs, seq, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < seq->n; i++) {
		const struct ydoc_node *it = seq->items[i];
		const char *str, *why = NULL;

		if (!ydoc_get_str(it, 1024, what, ld->errs, &str))
			continue;
		if (!mtasts_pattern_parse(str, it->n, syntax, &sts->mx[sts->n_mx], &why)) {
			ydoc_error(ld->errs, it, "bad MTA-STS pattern '%.80s': %s", str, why);
			continue;
		}
		sts->n_mx++;
	}
}

static void parse_sts_map(struct loader *ld, struct policy *p, const struct ydoc_node *m)
{
	static const char *const keys[] = {"mode", "mx", "max_age", NULL};
	const struct ydoc_node *mode = ydoc_map_get(m, "mode");
	const struct ydoc_node *mx = ydoc_map_get(m, "mx");
	const struct ydoc_node *age = ydoc_map_get(m, "max_age");
	const char *str;

	if (!ydoc_expect(m, YDOC_MAP, "mta-sts", ld->errs))
		return;
	ydoc_check_keys(m, keys, "mta-sts", ld->errs);
	p->has_sts = true;
	p->sts.max_age = 86400;
	if (mode == NULL) {
		ydoc_error(ld->errs, m, "missing required field 'mode' in mta-sts");
	} else if (ydoc_get_str(mode, 64, "mode", ld->errs, &str) &&
		   !mtasts_mode_parse(str, &p->sts.mode)) {
		ydoc_error(ld->errs, mode, "bad mode '%.40s' (expected enforce, testing or none)",
			   str);
	}
	if (age != NULL)
		ydoc_get_u32(age, 0, MTASTS_MAX_AGE_MAX, "max_age", ld->errs, &p->sts.max_age);
	if (mx != NULL)
		parse_mx_list(ld, mx, MX_SYNTAX_MTASTS, "mx", &p->sts);
	else if (mode != NULL && p->sts.mode != MTASTS_MODE_NONE)
		ydoc_error(ld->errs, m, "missing required field 'mx' in mta-sts");
}

static void parse_sts_file(struct loader *ld, struct policy *p, const struct ydoc_node *n)
{
	char path[4096];
	const char *str;
	char *text;
	size_t len;
	FILE *f;

	if (!ydoc_get_str(n, 1024, "mta-sts-file", ld->errs, &str))
		return;
	if (ld->base_dir == NULL) {
		ydoc_error(ld->errs, n,
			   "mta-sts-file cannot be used here (no directory to read from)");
		return;
	}
	if (str[0] == '/')
		snprintf(path, sizeof(path), "%s", str);
	else
		snprintf(path, sizeof(path), "%s/%s", ld->base_dir, str);
	f = fopen(path, "rb");
	if (f == NULL) {
		ydoc_error(ld->errs, n, "cannot open mta-sts-file '%.200s': %s", str,
			   strerror(errno));
		return;
	}
	fclose(f);
	text = ydoc_read_file(path, MTASTS_MAX_TEXT, &len, ld->errs);
	if (text == NULL)
		return;
	if (mtasts_parse_text(path, text, len, &p->sts, ld->errs))
		p->has_sts = true;
	free(text);
}

static void skip_blanks(const char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

/* A decimal field followed by a blank; false when there is none. */
static bool num_field(const char **s, unsigned *out)
{
	unsigned v = 0;
	size_t digits = 0;

	skip_blanks(s);
	while (**s >= '0' && **s <= '9' && digits < 5) {
		v = v * 10 + (unsigned)(**s - '0');
		(*s)++;
		digits++;
	}
	if (digits == 0 || (**s != ' ' && **s != '\t'))
		return false;
	*out = v;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool policy_tlsa_parse(const char *s, struct policy_tlsa *out, const char **why)
{
	const char *hex;
	size_t digits = 0, want = 0, nbytes;
	unsigned usage, selector, mtype;
	uint8_t *data;

	if (!num_field(&s, &usage) || !num_field(&s, &selector) || !num_field(&s, &mtype)) {
		*why = "expected 'usage selector matching-type data'";
		return false;
	}
	if (usage > 3) {
		*why = "usage must be 0, 1, 2 or 3";
		return false;
	}
	if (selector > 1) {
		*why = "selector must be 0 or 1";
		return false;
	}
	if (mtype > 2) {
		*why = "matching type must be 0, 1 or 2";
		return false;
	}
	out->usage = (uint8_t)usage;
	out->selector = (uint8_t)selector;
	out->mtype = (uint8_t)mtype;
	skip_blanks(&s);
	hex = s;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (hexval(*s) < 0) {
			*why = "data is not hexadecimal";
			return false;
		}
		digits++;
	}
	if (digits == 0) {
		*why = "no data";
		return false;
	}
	if (digits % 2 != 0) {
		*why = "odd number of hex digits";
		return false;
	}
	nbytes = digits / 2;
	if (out->mtype == 1)
		want = 32;
	else if (out->mtype == 2)
		want = 64;
	if (want != 0 && nbytes != want) {
		*why = out->mtype == 1 ? "SHA-256 data must be 32 bytes (64 hex digits)"
				       : "SHA-512 data must be 64 bytes (128 hex digits)";
		return false;
	}
	if (nbytes > POLICY_TLSA_MAX_DATA) {
		*why = "data longer than 16384 bytes";
		return false;
	}
	data = malloc(nbytes);
	if (data == NULL) {
		*why = "out of memory";
		return false;
	}
	for (size_t i = 0; i < nbytes; i++) {
		int hi, lo;

		skip_blanks(&hex);
		hi = hexval(*hex++);
		skip_blanks(&hex);
		lo = hexval(*hex++);
		if (hi < 0 || lo < 0) { /* cannot happen: the digits were counted above */
			free(data);
			*why = "data is not hexadecimal";
			return false;
		}
		data[i] = (uint8_t)((unsigned)hi << 4 | (unsigned)lo);
	}
	out->data = data;
	out->len = (uint16_t)nbytes;
	return true;
}

static void parse_tlsa_entry(struct loader *ld, struct policy *p, const struct ydoc_node *m)
{
	static const char *const keys[] = {"host", "port", "records", NULL};
	const struct ydoc_node *host = ydoc_map_get(m, "host");
	const struct ydoc_node *port = ydoc_map_get(m, "port");
	const struct ydoc_node *recs = ydoc_map_get(m, "records");
	char name[MX_HOST_MAX + 1];
	uint32_t portv = 25;
	struct policy_tlsa *grown;

	if (!ydoc_expect(m, YDOC_MAP, "tlsa", ld->errs))
		return;
	ydoc_check_keys(m, keys, "tlsa", ld->errs);
	if (host == NULL) {
		ydoc_error(ld->errs, m, "missing required field 'host' in tlsa");
		return;
	}
	if (recs == NULL) {
		ydoc_error(ld->errs, m, "missing required field 'records' in tlsa");
		return;
	}
	if (!get_domain(ld, host, "host", name))
		return;
	if (port != NULL && !ydoc_get_u32(port, 1, 65535, "port", ld->errs, &portv))
		return;
	if (!ydoc_expect(recs, YDOC_SEQ, "records", ld->errs))
		return;
	grown = realloc(p->tlsa, (p->n_tlsa + recs->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		ydoc_error(ld->errs, recs, "out of memory");
		return;
	}
	p->tlsa = grown;
	for (uint32_t i = 0; i < recs->n; i++) {
		const struct ydoc_node *r = recs->items[i];
		struct policy_tlsa *t = &p->tlsa[p->n_tlsa];
		const char *str, *why = NULL;

		if (!ydoc_get_str(r, 2 * POLICY_TLSA_MAX_DATA + 64, "records", ld->errs, &str))
			continue;
		memset(t, 0, sizeof(*t));
		if (!policy_tlsa_parse(str, t, &why)) {
			ydoc_error(ld->errs, r, "bad TLSA record '%.48s%s': %s", str,
				   r->n > 48 ? "..." : "", why);
			continue;
		}
		memcpy(t->host, name, sizeof(name));
		t->port = (uint16_t)portv;
		t->policy = p;
		p->n_tlsa++;
	}
}

static void parse_tlsa_list(struct loader *ld, struct policy *p, const struct ydoc_node *seq)
{
	if (!ydoc_expect(seq, YDOC_SEQ, "tlsa", ld->errs))
		return;
	for (uint32_t i = 0; i < seq->n; i++)
		parse_tlsa_entry(ld, p, seq->items[i]);
}

static void parse_addresses(struct loader *ld, struct policy *p, const struct ydoc_node *m)
{
	if (!ydoc_expect(m, YDOC_MAP, "addresses", ld->errs))
		return;
	p->hosts = calloc(m->n ? m->n : 1, sizeof(*p->hosts));
	if (p->hosts == NULL) {
		ydoc_error(ld->errs, m, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ydoc_node *k = m->items[2 * i], *v = m->items[2 * i + 1];
		struct policy_host *h = &p->hosts[p->n_hosts];
		const struct ydoc_node *const *list = (const struct ydoc_node *const *)&v;
		uint32_t count = 1;

		if (!get_domain(ld, k, "addresses", h->host))
			continue;
		if (v->type == YDOC_SEQ) {
			list = (const struct ydoc_node *const *)v->items;
			count = v->n;
		}
		h->addrs = calloc(count ? count : 1, sizeof(*h->addrs));
		if (h->addrs == NULL) {
			ydoc_error(ld->errs, v, "out of memory");
			continue;
		}
		for (uint32_t j = 0; j < count; j++)
			if (get_addr(ld, list[j], "addresses", &h->addrs[h->n_addrs]))
				h->n_addrs++;
		h->policy = p;
		p->n_hosts++;
	}
}

static void parse_dane(struct loader *ld, struct policy *p, const struct ydoc_node *n)
{
	const char *str;

	if (!ydoc_get_str(n, 64, "dane", ld->errs, &str))
		return;
	if (strcmp(str, "required") == 0)
		p->dane = POLICY_DANE_REQUIRED;
	else if (strcmp(str, "auto") == 0)
		p->dane = POLICY_DANE_AUTO;
	else if (strcmp(str, "none") == 0)
		p->dane = POLICY_DANE_NONE;
	else
		ydoc_error(ld->errs, n,
			   "bad mode '%.40s' for 'dane' (expected required, auto or none)", str);
}

static void parse_entry(struct loader *ld, const struct ydoc_node *m)
{
	static const char *const keys[] = {"domain",	  "mta-sts", "mta-sts-file", "dane",
					   "require-tls", "tlsa",    "addresses",    NULL};
	const struct ydoc_node *v;
	struct policy *p;

	if (!ydoc_expect(m, YDOC_MAP, "policies", ld->errs))
		return;
	ydoc_check_keys(m, keys, "policy", ld->errs);
	p = policy_new(ld, m->file, m->line, m->col, POLICY_ORIGIN_YAML);
	if (p == NULL)
		return;
	v = ydoc_map_get(m, "domain");
	if (v == NULL) {
		ydoc_error(ld->errs, m, "missing required field 'domain' in policy");
		policy_free(p);
		return;
	}
	if (!get_domain(ld, v, "domain", p->domain)) {
		policy_free(p);
		return;
	}
	if ((v = ydoc_map_get(m, "mta-sts")) != NULL) {
		if (ydoc_map_get(m, "mta-sts-file") != NULL)
			ydoc_error(ld->errs, v,
				   "give either 'mta-sts' or 'mta-sts-file', not both");
		else
			parse_sts_map(ld, p, v);
	} else if ((v = ydoc_map_get(m, "mta-sts-file")) != NULL) {
		parse_sts_file(ld, p, v);
	}
	if ((v = ydoc_map_get(m, "dane")) != NULL)
		parse_dane(ld, p, v);
	if ((v = ydoc_map_get(m, "require-tls")) != NULL)
		ydoc_get_bool(v, "require-tls", ld->errs, &p->require_tls);
	if ((v = ydoc_map_get(m, "tlsa")) != NULL)
		parse_tlsa_list(ld, p, v);
	if ((v = ydoc_map_get(m, "addresses")) != NULL)
		parse_addresses(ld, p, v);
	policy_add(ld, p);
}

static void parse_resolvers(struct loader *ld, const struct ydoc_node *seq)
{
	struct mx_addr *grown;

	if (!ydoc_expect(seq, YDOC_SEQ, "trusted-resolvers", ld->errs))
		return;
	grown = realloc(ld->s->res, (ld->s->n_res + seq->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		ydoc_error(ld->errs, seq, "out of memory");
		return;
	}
	ld->s->res = grown;
	for (uint32_t i = 0; i < seq->n; i++)
		if (get_addr(ld, seq->items[i], "trusted-resolvers", &ld->s->res[ld->s->n_res]))
			ld->s->n_res++;
}

/* ---- STARTTLS-Everywhere policy list ---- */

static const char *const se_top_keys[] = {"timestamp", "expires",	 "version",
					  "author",    "comment",	 "pinsets",
					  "policies",  "policy-aliases", NULL};
static const char *const yaml_top_keys[] = {"policies", "trusted-resolvers", NULL};

struct se_alias {
	const char *name;
	const struct ydoc_node *node;
	struct mtasts_policy sts;
	bool ok;
};

/* Reads one list policy definition into *sts; false after an error. */
static const char *const se_def_keys[] = {
    "mode", "mxs", "mta-sts", "pin", "report", "min-tls-version", "policy-alias", NULL};

static bool se_definition(struct loader *ld, const struct ydoc_node *m, bool in_alias,
			  struct mtasts_policy *sts)
{
	const struct ydoc_node *mode = ydoc_map_get(m, "mode");
	const struct ydoc_node *mxs = ydoc_map_get(m, "mxs");
	const struct ydoc_node *v;
	size_t before = mx_errors_count(ld->errs);
	const char *str;
	bool b;

	ydoc_check_keys(m, se_def_keys, "STARTTLS-Everywhere policy", ld->errs);
	if (in_alias && (v = ydoc_map_get(m, "policy-alias")) != NULL)
		ydoc_error(ld->errs, v, "'policy-alias' cannot be used inside policy-aliases");
	if ((v = ydoc_map_get(m, "mta-sts")) != NULL)
		ydoc_get_bool(v, "mta-sts", ld->errs, &b);
	if (mode == NULL) {
		ydoc_error(ld->errs, m,
			   "missing required field 'mode' in STARTTLS-Everywhere policy");
	} else if (ydoc_get_str(mode, 64, "mode", ld->errs, &str)) {
		if (strcmp(str, "testing") == 0)
			sts->mode = MTASTS_MODE_TESTING;
		else if (strcmp(str, "enforce") == 0)
			sts->mode = MTASTS_MODE_ENFORCE;
		else
			ydoc_error(ld->errs, mode, "bad mode '%.40s' (expected testing or enforce)",
				   str);
	}
	if (mxs == NULL)
		ydoc_error(ld->errs, m,
			   "missing required field 'mxs' in STARTTLS-Everywhere policy");
	else
		parse_mx_list(ld, mxs, MX_SYNTAX_STARTTLS_EVERYWHERE, "mxs", sts);
	return mx_errors_count(ld->errs) == before;
}

static bool copy_sts(struct mtasts_policy *dst, const struct mtasts_policy *src)
{
	*dst = *src;
	dst->mx = malloc((src->n_mx ? src->n_mx : 1) * sizeof(*dst->mx));
	if (dst->mx == NULL) {
		dst->n_mx = 0;
		return false;
	}
	memcpy(dst->mx, src->mx, src->n_mx * sizeof(*dst->mx));
	return true;
}

static void se_policy(struct loader *ld, const struct ydoc_node *key, const struct ydoc_node *m,
		      const struct se_alias *aliases, size_t n_aliases)
{
	const struct ydoc_node *alias;
	struct policy *p;

	if (!ydoc_expect(m, YDOC_MAP, "policies", ld->errs))
		return;
	p = policy_new(ld, key->file, key->line, key->col, POLICY_ORIGIN_STARTTLS_EVERYWHERE);
	if (p == NULL)
		return;
	if (!get_domain(ld, key, "policies", p->domain)) {
		policy_free(p);
		return;
	}
	alias = ydoc_map_get(m, "policy-alias");
	if (alias != NULL) {
		const char *name;
		const struct se_alias *found = NULL;

		ydoc_check_keys(m, se_def_keys, "STARTTLS-Everywhere policy", ld->errs);
		if (!ydoc_get_str(alias, 256, "policy-alias", ld->errs, &name)) {
			policy_free(p);
			return;
		}
		for (size_t i = 0; i < n_aliases && found == NULL; i++)
			if (strcmp(aliases[i].name, name) == 0)
				found = &aliases[i];
		if (found == NULL) {
			ydoc_error(ld->errs, alias, "unknown policy-alias '%.60s'", name);
			policy_free(p);
			return;
		}
		if (!found->ok || !copy_sts(&p->sts, &found->sts)) {
			policy_free(p);
			return;
		}
	} else if (!se_definition(ld, m, false, &p->sts)) {
		policy_free(p);
		return;
	}
	p->has_sts = true;
	p->require_tls = p->sts.mode == MTASTS_MODE_ENFORCE;
	policy_add(ld, p);
}

static void load_se_list(struct loader *ld, const struct ydoc_node *root)
{
	const struct ydoc_node *pols = ydoc_map_get(root, "policies");
	const struct ydoc_node *al = ydoc_map_get(root, "policy-aliases");
	struct se_alias *aliases = NULL;
	size_t n_aliases = 0;

	if (al != NULL && ydoc_expect(al, YDOC_MAP, "policy-aliases", ld->errs)) {
		aliases = calloc(al->n ? al->n : 1, sizeof(*aliases));
		if (aliases == NULL) {
			ydoc_error(ld->errs, al, "out of memory");
			return;
		}
		for (uint32_t i = 0; i < al->n; i++) {
			const struct ydoc_node *k = al->items[2 * i], *v = al->items[2 * i + 1];
			struct se_alias *a = &aliases[n_aliases];

			if (!ydoc_get_str(k, 256, "policy-aliases", ld->errs, &a->name))
				continue;
			a->node = v;
			if (ydoc_expect(v, YDOC_MAP, "policy-aliases", ld->errs))
				a->ok = se_definition(ld, v, true, &a->sts);
			n_aliases++;
		}
	}
	for (uint32_t i = 0; i < pols->n; i++)
		se_policy(ld, pols->items[2 * i], pols->items[2 * i + 1], aliases, n_aliases);
	for (size_t i = 0; i < n_aliases; i++)
		mtasts_policy_free(&aliases[i].sts);
	free(aliases);
}

/* ---- indexes ---- */

static int strength(const struct policy *p)
{
	return p->origin == POLICY_ORIGIN_STARTTLS_EVERYWHERE ? 1 : 2;
}

static int cmp_policy(const void *a, const void *b)
{
	const struct policy *x = *(const struct policy *const *)a;
	const struct policy *y = *(const struct policy *const *)b;
	int c = strcmp(x->domain, y->domain);

	if (c != 0)
		return c;
	if (strength(x) != strength(y))
		return strength(y) - strength(x);
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static int cmp_tlsa(const void *a, const void *b)
{
	const struct policy_tlsa *x = *(const struct policy_tlsa *const *)a;
	const struct policy_tlsa *y = *(const struct policy_tlsa *const *)b;
	int c = strcmp(x->host, y->host);

	if (c != 0)
		return c;
	return (int)x->port - (int)y->port;
}

static int cmp_host(const void *a, const void *b)
{
	const struct policy_host *x = *(const struct policy_host *const *)a;
	const struct policy_host *y = *(const struct policy_host *const *)b;

	return strcmp(x->host, y->host);
}

static int cmp_addr(const void *a, const void *b)
{
	const struct addr_ref *x = a, *y = b;
	int c = mx_addr_cmp(&x->a, &y->a);

	if (c != 0)
		return c;
	c = strcmp(x->p->domain, y->p->domain);
	return c != 0 ? c : strcmp(x->host, y->host);
}

/*
 * Rebuilds every index. Policies for one domain: the strongest (then the
 * earliest) wins; a same-strength duplicate loaded with a sequence number
 * above first_new is reported.
 */
static bool reindex(struct policy_set *s, uint32_t first_new, struct mx_errors *errs)
{
	struct policy **all;
	size_t nt = 0, nh = 0, na = 0, i = 0;

	free_indexes(s);
	all = calloc(s->n ? s->n : 1, sizeof(*all));
	if (all == NULL)
		goto oom;
	for (size_t k = 0; k < s->n; k++)
		all[k] = s->pol[k];
	qsort(all, s->n, sizeof(*all), cmp_policy);
	s->by_domain = all;
	while (i < s->n) {
		size_t j = i + 1;

		all[i]->shadowed = false;
		for (; j < s->n && strcmp(all[j]->domain, all[i]->domain) == 0; j++) {
			all[j]->shadowed = true;
			if (strength(all[j]) == strength(all[i]) && all[j]->seq > first_new)
				mx_errors_add(errs, all[j]->file, all[j]->line, all[j]->col,
					      "duplicate policy for domain '%s' (first at %s)",
					      all[j]->domain, all[i]->id);
		}
		all[s->n_by_domain++] = all[i];
		i = j;
	}
	for (size_t k = 0; k < s->n_by_domain; k++) {
		nt += s->by_domain[k]->n_tlsa;
		nh += s->by_domain[k]->n_hosts;
		for (size_t h = 0; h < s->by_domain[k]->n_hosts; h++)
			na += s->by_domain[k]->hosts[h].n_addrs;
	}
	s->tlsa_idx = calloc(nt ? nt : 1, sizeof(*s->tlsa_idx));
	s->host_idx = calloc(nh ? nh : 1, sizeof(*s->host_idx));
	s->addr_idx = calloc(na ? na : 1, sizeof(*s->addr_idx));
	if (s->tlsa_idx == NULL || s->host_idx == NULL || s->addr_idx == NULL)
		goto oom;
	for (size_t k = 0; k < s->n_by_domain; k++) {
		const struct policy *p = s->by_domain[k];

		for (size_t t = 0; t < p->n_tlsa; t++)
			s->tlsa_idx[s->n_tlsa_idx++] = &p->tlsa[t];
		for (size_t h = 0; h < p->n_hosts; h++) {
			s->host_idx[s->n_host_idx++] = &p->hosts[h];
			for (size_t a = 0; a < p->hosts[h].n_addrs; a++)
				s->addr_idx[s->n_addr_idx++] =
				    (struct addr_ref){p->hosts[h].addrs[a], p->hosts[h].host, p};
		}
	}
	qsort(s->tlsa_idx, s->n_tlsa_idx, sizeof(*s->tlsa_idx), cmp_tlsa);
	qsort(s->host_idx, s->n_host_idx, sizeof(*s->host_idx), cmp_host);
	qsort(s->addr_idx, s->n_addr_idx, sizeof(*s->addr_idx), cmp_addr);
	return true;
oom:
	free_indexes(s);
	mx_errors_add(errs, "policy set", 0, 0, "out of memory while indexing policies");
	return false;
}

/* ---- loading entry points ---- */

bool policy_is_top_key(const struct ydoc_node *root, const char *key)
{
	const struct ydoc_node *pols = ydoc_map_get(root, "policies");
	const char *const *keys =
	    pols != NULL && pols->type == YDOC_MAP ? se_top_keys : yaml_top_keys;

	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

static void load_root(struct loader *ld, const struct ydoc_node *root)
{
	const struct ydoc_node *pols = ydoc_map_get(root, "policies");
	const struct ydoc_node *res = ydoc_map_get(root, "trusted-resolvers");

	if (pols != NULL && pols->type == YDOC_MAP) {
		load_se_list(ld, root);
		return;
	}
	if (pols != NULL && ydoc_expect(pols, YDOC_SEQ, "policies", ld->errs))
		for (uint32_t i = 0; i < pols->n; i++)
			parse_entry(ld, pols->items[i]);
	if (res != NULL)
		parse_resolvers(ld, res);
}

bool policy_load_doc(struct policy_set *s, const struct ydoc_node *root, const char *base_dir,
		     struct mx_errors *errs)
{
	struct loader ld = {s, base_dir, errs};
	size_t before = mx_errors_count(errs);
	uint32_t first_new = s->seq;

	if (root == NULL)
		return true;
	if (!ydoc_expect(root, YDOC_MAP, "document", errs))
		return false;
	load_root(&ld, root);
	reindex(s, first_new, errs);
	return mx_errors_count(errs) == before;
}

static bool load_parsed(struct policy_set *s, struct ydoc *d, const char *base_dir,
			struct mx_errors *errs)
{
	const struct ydoc_node *root;
	size_t before = mx_errors_count(errs);

	if (d == NULL)
		return false;
	root = ydoc_root(d);
	if (root != NULL && root->type == YDOC_MAP) {
		for (uint32_t i = 0; i < root->n; i++) {
			const char *k = ydoc_key(root, i);

			if (k == NULL)
				ydoc_expect(root->items[2 * i], YDOC_SCALAR, "key", errs);
			else if (!policy_is_top_key(root, k))
				ydoc_error(errs, root->items[2 * i], "unknown key '%.60s' in %s", k,
					   "policy file");
		}
	}
	policy_load_doc(s, root, base_dir, errs);
	ydoc_free(d);
	return mx_errors_count(errs) == before;
}

bool policy_load_buffer(struct policy_set *s, const char *name, const char *text, size_t len,
			const char *base_dir, struct mx_errors *errs)
{
	return load_parsed(s, ydoc_parse(name, text, len, NULL, errs), base_dir, errs);
}

bool policy_import_mta_sts_text(struct policy_set *s, const char *domain, const char *name,
				const char *text, size_t len, struct mx_errors *errs)
{
	struct loader ld = {s, NULL, errs};
	uint32_t first_new = s->seq;
	size_t before = mx_errors_count(errs);
	const char *why = NULL;
	struct policy *p = policy_new(&ld, name, 1, 1, POLICY_ORIGIN_MTA_STS_TEXT);

	if (p == NULL)
		return false;
	if (mtasts_host_normalize(domain, strlen(domain), false, p->domain, &why) < 0) {
		mx_errors_add(errs, name, 0, 0, "bad domain '%.80s': %s", domain, why);
		policy_free(p);
		return false;
	}
	if (!mtasts_parse_text(name, text, len, &p->sts, errs)) {
		policy_free(p);
		return false;
	}
	p->has_sts = true;
	if (!policy_add(&ld, p))
		return false;
	reindex(s, first_new, errs);
	return mx_errors_count(errs) == before;
}

bool policy_load_file(struct policy_set *s, const char *path, struct mx_errors *errs)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	char dir[4096];
	struct ydoc_limits lim;

	if (blen > 4 && strcmp(base + blen - 4, ".txt") == 0) {
		char domain[MX_HOST_MAX + 1];
		size_t len;
		char *text;
		bool ok;

		if (blen - 4 > MX_HOST_MAX) {
			mx_errors_add(errs, path, 0, 0, "file name is too long to name a domain");
			return false;
		}
		memcpy(domain, base, blen - 4);
		domain[blen - 4] = '\0';
		text = ydoc_read_file(path, MTASTS_MAX_TEXT, &len, errs);
		if (text == NULL)
			return false;
		ok = policy_import_mta_sts_text(s, domain, path, text, len, errs);
		free(text);
		return ok;
	}
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	ydoc_limits_default(&lim);
	return load_parsed(s, ydoc_load_file(path, &lim, errs), dir, errs);
}

/* ---- lookups ---- */

size_t policy_set_count(const struct policy_set *s)
{
	return s->n_by_domain;
}

const struct policy *policy_set_get(const struct policy_set *s, size_t i)
{
	return i < s->n_by_domain ? s->by_domain[i] : NULL;
}

/* Lower-cases name into buf without a trailing dot; false when no host name. */
static bool norm_lookup(const char *name, char buf[MX_HOST_MAX + 1])
{
	const char *why;

	return name != NULL && mtasts_host_normalize(name, strlen(name), true, buf, &why) >= 0;
}

const struct policy *policy_find(const struct policy_set *s, const char *domain)
{
	char key[MX_HOST_MAX + 1];
	size_t lo = 0, hi = s->n_by_domain;

	if (!norm_lookup(domain, key))
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->by_domain[mid]->domain, key);

		if (c == 0)
			return s->by_domain[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t policy_tlsa_for_host(const struct policy_set *s, const char *host, uint16_t port,
			    const struct policy_tlsa **out, size_t max)
{
	char key[MX_HOST_MAX + 1];
	size_t lo = 0, hi = s->n_tlsa_idx, n = 0;

	if (!norm_lookup(host, key))
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct policy_tlsa *t = s->tlsa_idx[mid];
		int c = strcmp(t->host, key);

		if (c < 0 || (c == 0 && t->port < port))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n_tlsa_idx; lo++) {
		const struct policy_tlsa *t = s->tlsa_idx[lo];

		if (strcmp(t->host, key) != 0 || t->port != port)
			break;
		if (n < max)
			out[n] = t;
		n++;
	}
	return n;
}

size_t policy_hosts_for_name(const struct policy_set *s, const char *host,
			     const struct policy_host **out, size_t max)
{
	char key[MX_HOST_MAX + 1];
	size_t lo = 0, hi = s->n_host_idx, n = 0;

	if (!norm_lookup(host, key))
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->host_idx[mid]->host, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n_host_idx && strcmp(s->host_idx[lo]->host, key) == 0; lo++) {
		if (n < max)
			out[n] = s->host_idx[lo];
		n++;
	}
	return n;
}

size_t policy_refs_for_addr(const struct policy_set *s, const struct mx_addr *a,
			    struct policy_addr_ref *out, size_t max)
{
	size_t lo = 0, hi = s->n_addr_idx, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mx_addr_cmp(&s->addr_idx[mid].a, a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n_addr_idx && mx_addr_cmp(&s->addr_idx[lo].a, a) == 0; lo++) {
		if (n < max)
			out[n] = (struct policy_addr_ref){s->addr_idx[lo].host, s->addr_idx[lo].p};
		n++;
	}
	return n;
}

bool policy_mx_allowed(const struct policy *p, const char *host)
{
	return p->has_sts && mtasts_policy_mx_match(&p->sts, host);
}

size_t policy_trusted_resolver_count(const struct policy_set *s)
{
	return s->n_res;
}

const struct mx_addr *policy_trusted_resolver(const struct policy_set *s, size_t i)
{
	return i < s->n_res ? &s->res[i] : NULL;
}

bool policy_is_trusted_resolver(const struct policy_set *s, const struct mx_addr *a)
{
	for (size_t i = 0; i < s->n_res; i++)
		if (mx_addr_cmp(&s->res[i], a) == 0)
			return true;
	return false;
}
