/*
 * rules.c - the table of detection kinds and the loader of rules files:
 * built-in rules first, then files that override single fields, then a
 * final check that the set is whole and consistent.
 */
#include "correlate/rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KNOB_HISTORY  0x01u
#define KNOB_FALLBACK 0x02u
#define KNOB_FLOOR    0x04u
#define KNOB_RACE     0x08u
#define KNOB_EXPECTED 0x10u

static const struct kind_info {
	const char *name;
	const char *tlsrpt;
	unsigned knobs;
} kinds[RULE_KIND_COUNT] = {
    [RULE_STARTTLS_STRIPPED] = {"starttls-stripped", "starttls-not-supported", KNOB_HISTORY},
    [RULE_STARTTLS_MASKED] = {"starttls-masked", "starttls-not-supported", 0},
    [RULE_STARTTLS_REJECTED] = {"starttls-rejected", "starttls-not-supported", KNOB_EXPECTED},
    [RULE_TLS_FALLBACK_CLEARTEXT] = {"tls-fallback-cleartext", "validation-failure", KNOB_FALLBACK},
    [RULE_CLEARTEXT_POLICY_VIOLATION] = {"cleartext-policy-violation", "starttls-not-supported", 0},
    [RULE_MX_REDIRECT] = {"mx-redirect", "validation-failure", 0},
    [RULE_TLSA_MISMATCH] = {"tlsa-mismatch", "tlsa-invalid", 0},
    [RULE_DNSSEC_BOGUS] = {"dnssec-bogus", "dnssec-invalid", 0},
    [RULE_DNSSEC_STRIPPED] = {"dnssec-stripped", "dnssec-invalid", 0},
    [RULE_TLSA_STRIPPED] = {"tlsa-stripped", "tlsa-invalid", KNOB_HISTORY},
    [RULE_MTA_STS_STRIPPED] = {"mta-sts-stripped", "sts-policy-fetch-error", KNOB_HISTORY},
    [RULE_STARTTLS_COMMAND_INJECTION] = {"starttls-command-injection", NULL, 0},
    [RULE_STARTTLS_RESPONSE_INJECTION] = {"starttls-response-injection", NULL, 0},
    [RULE_EHLO_DOWNGRADE] = {"ehlo-downgrade", "starttls-not-supported", 0},
    [RULE_DNS_ANSWER_RACE] = {"dns-answer-race", NULL, KNOB_RACE},
    [RULE_REQUIRETLS_VIOLATION] = {"requiretls-violation", NULL, 0},
    [RULE_TLS_VERSION_DOWNGRADE] = {"tls-version-downgrade", NULL, KNOB_HISTORY | KNOB_FLOOR},
    [RULE_CERTIFICATE_HOST_MISMATCH] = {"certificate-host-mismatch", "certificate-host-mismatch",
					0},
    [RULE_STREAM_EVASION] = {"stream-evasion", NULL, 0},
    [RULE_CERTIFICATE_NOT_TRUSTED] = {"certificate-not-trusted", "certificate-not-trusted", 0},
    [RULE_CERTIFICATE_EXPIRED] = {"certificate-expired", "certificate-expired", 0},
};

static const struct {
	const char *key;
	unsigned knob;
} knob_keys[] = {
    {"history-min-sightings", KNOB_HISTORY}, {"history-max-age", KNOB_HISTORY},
    {"history-severity", KNOB_HISTORY},	     {"fallback-window", KNOB_FALLBACK},
    {"tls-version-floor", KNOB_FLOOR},	     {"race-window-ms", KNOB_RACE},
    {"expected-severity", KNOB_EXPECTED},
};

static const char *const entry_keys[] = {"kind",
					 "sid",
					 "rev",
					 "signature",
					 "category",
					 "severity",
					 "enabled",
					 "history-min-sightings",
					 "history-max-age",
					 "history-severity",
					 "fallback-window",
					 "tls-version-floor",
					 "race-window-ms",
					 "expected-severity",
					 NULL};

static const char *const top_keys[] = {"rules", "thresholds", "suppress", NULL};

#define BUILTIN_NAME "<built-in rules/default.yaml>"

const char *rule_kind_name(enum rule_kind k)
{
	if ((unsigned)k >= RULE_KIND_COUNT)
		return "unknown";
	return kinds[k].name;
}

bool rule_kind_parse(const char *name, enum rule_kind *k)
{
	for (unsigned i = 0; i < RULE_KIND_COUNT; i++) {
		if (strcmp(kinds[i].name, name) == 0) {
			*k = (enum rule_kind)i;
			return true;
		}
	}
	return false;
}

const char *rule_kind_tlsrpt(enum rule_kind k)
{
	if ((unsigned)k >= RULE_KIND_COUNT)
		return NULL;
	return kinds[k].tlsrpt;
}

static const struct {
	const char *name;
	uint16_t v;
} tls_versions[] = {
    {"none", 0}, {"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304},
};

const char *rules_tls_version_name(uint16_t v)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(tls_versions); i++)
		if (tls_versions[i].v == v)
			return tls_versions[i].name;
	return "unknown";
}

void ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	for (unsigned i = 0; i < RULE_KIND_COUNT; i++) {
		struct rule *r = &rs->rules[i];

		r->kind = (enum rule_kind)i;
		r->enabled = true;
		r->history_min_sightings = 2;
		r->history_max_age_s = 30 * 86400;
		r->history_severity = 3;
		r->fallback_window_s = 300;
		r->tls_version_floor = 0x0303;
		r->race_window_ms = 1000;
		r->expected_severity = 1;
	}
	threshold_set_init(&rs->thr);
}

void ruleset_free(struct ruleset *rs)
{
	threshold_set_free(&rs->thr);
	ruleset_init(rs);
}

bool rules_is_top_key(const char *key)
{
	for (size_t i = 0; top_keys[i] != NULL; i++)
		if (strcmp(top_keys[i], key) == 0)
			return true;
	return false;
}

/* ---- one rules entry ---- */

static bool copy_text(const struct ydoc_node *n, const char *what, char *dst, size_t cap,
		      struct mx_errors *errs)
{
	const char *s;

	if (!ydoc_get_str(n, cap - 1, what, errs, &s))
		return false;
	memcpy(dst, s, n->n + 1);
	return true;
}

static bool get_u8(const struct ydoc_node *n, uint8_t min, uint8_t max, const char *what,
		   struct mx_errors *errs, uint8_t *out)
{
	uint32_t v;

	if (!ydoc_get_u32(n, min, max, what, errs, &v))
		return false;
	*out = (uint8_t)v;
	return true;
}

static void set_knob(struct rule *r, const char *key, const struct ydoc_node *v,
		     struct mx_errors *errs)
{
	if (strcmp(key, "history-min-sightings") == 0) {
		ydoc_get_u32(v, 1, 1000000, key, errs, &r->history_min_sightings);
	} else if (strcmp(key, "history-max-age") == 0) {
		ydoc_get_u32(v, 60, 10 * 31536000u, key, errs, &r->history_max_age_s);
	} else if (strcmp(key, "history-severity") == 0) {
		get_u8(v, 1, 4, key, errs, &r->history_severity);
	} else if (strcmp(key, "fallback-window") == 0) {
		ydoc_get_u32(v, 1, 86400, key, errs, &r->fallback_window_s);
	} else if (strcmp(key, "race-window-ms") == 0) {
		ydoc_get_u32(v, 1, 60000, key, errs, &r->race_window_ms);
	} else if (strcmp(key, "expected-severity") == 0) {
		get_u8(v, 1, 4, key, errs, &r->expected_severity);
	} else if (strcmp(key, "tls-version-floor") == 0) {
		const char *s;

		if (!ydoc_get_str(v, 16, key, errs, &s))
			return;
		for (size_t i = 0; i < MX_ARRAY_LEN(tls_versions); i++) {
			if (strcmp(tls_versions[i].name, s) == 0) {
				r->tls_version_floor = tls_versions[i].v;
				return;
			}
		}
		ydoc_error(errs, v,
			   "bad value '%.20s' for '%s' (expected none, 1.0, 1.1, 1.2 or 1.3)", s,
			   key);
	}
}

static void load_entry(struct ruleset *rs, const struct ydoc_node *m, bool builtin,
		       struct mx_errors *errs)
{
	static const char *const required[] = {"sid", "rev", "signature", "category", "severity"};
	const struct ydoc_node *kn, *v;
	struct rule *r, tmp;
	enum rule_kind k;
	const char *name;
	size_t before = mx_errors_count(errs);

	if (!ydoc_expect(m, YDOC_MAP, "rules", errs))
		return;
	ydoc_check_keys(m, entry_keys, "rule", errs);
	kn = ydoc_map_get(m, "kind");
	if (kn == NULL) {
		ydoc_error(errs, m, "missing required field 'kind' in rule");
		return;
	}
	if (!ydoc_get_str(kn, 64, "kind", errs, &name))
		return;
	if (!rule_kind_parse(name, &k)) {
		ydoc_error(errs, kn, "unknown detection kind '%.64s'", name);
		return;
	}
	r = &rs->rules[k];
	if ((builtin && r->defined) || (!builtin && r->user_set)) {
		ydoc_error(errs, kn, "duplicate rule for kind '%s' (first at %s)", name, r->origin);
		return;
	}
	if (!r->defined) {
		for (size_t i = 0; i < MX_ARRAY_LEN(required); i++)
			if (ydoc_map_get(m, required[i]) == NULL)
				ydoc_error(errs, m, "missing required field '%s' in rule",
					   required[i]);
	}
	/* work on a copy so a faulty entry changes nothing */
	tmp = *r;
	for (uint32_t i = 0; i < m->n; i++) {
		const char *key = ydoc_key(m, i);

		v = m->items[2 * i + 1];
		if (key == NULL || strcmp(key, "kind") == 0)
			continue;
		if (strcmp(key, "sid") == 0) {
			ydoc_get_u32(v, 1, UINT32_MAX, "sid", errs, &tmp.sid);
		} else if (strcmp(key, "rev") == 0) {
			ydoc_get_u32(v, 1, UINT32_MAX, "rev", errs, &tmp.rev);
		} else if (strcmp(key, "signature") == 0) {
			copy_text(v, "signature", tmp.signature, sizeof(tmp.signature), errs);
		} else if (strcmp(key, "category") == 0) {
			copy_text(v, "category", tmp.category, sizeof(tmp.category), errs);
		} else if (strcmp(key, "severity") == 0) {
			get_u8(v, 1, 4, "severity", errs, &tmp.severity);
		} else if (strcmp(key, "enabled") == 0) {
			ydoc_get_bool(v, "enabled", errs, &tmp.enabled);
		} else {
			for (size_t j = 0; j < MX_ARRAY_LEN(knob_keys); j++) {
				if (strcmp(knob_keys[j].key, key) != 0)
					continue;
				if ((kinds[k].knobs & knob_keys[j].knob) == 0)
					ydoc_error(errs, m->items[2 * i],
						   "knob '%s' does not apply to kind '%s'", key,
						   name);
				else
					set_knob(&tmp, key, v, errs);
			}
		}
	}
	if (mx_errors_count(errs) != before)
		return;
	tmp.defined = true;
	tmp.user_set = !builtin;
	snprintf(tmp.origin, sizeof(tmp.origin), "%s:%u:%u", m->file, m->line, m->col);
	*r = tmp;
}

static bool load_doc(struct ruleset *rs, const struct ydoc_node *root, bool builtin,
		     struct mx_errors *errs)
{
	const struct ydoc_node *v;
	size_t before = mx_errors_count(errs);

	if (root == NULL)
		return true;
	if (!ydoc_expect(root, YDOC_MAP, "document", errs))
		return false;
	if ((v = ydoc_map_get(root, "rules")) != NULL && ydoc_expect(v, YDOC_SEQ, "rules", errs))
		for (uint32_t i = 0; i < v->n; i++)
			load_entry(rs, v->items[i], builtin, errs);
	if ((v = ydoc_map_get(root, "thresholds")) != NULL)
		threshold_set_load_thresholds(&rs->thr, v, errs);
	if ((v = ydoc_map_get(root, "suppress")) != NULL)
		threshold_set_load_suppress(&rs->thr, v, errs);
	return mx_errors_count(errs) == before;
}

bool rules_load_doc(struct ruleset *rs, const struct ydoc_node *root, struct mx_errors *errs)
{
	return load_doc(rs, root, false, errs);
}

/* Reports top-level keys that are neither rule keys nor (with policies) policy keys. */
static bool check_top(const struct ydoc_node *root, bool with_policies, struct mx_errors *errs)
{
	bool ok = true;

	if (root == NULL || root->type != YDOC_MAP)
		return true;
	for (uint32_t i = 0; i < root->n; i++) {
		const char *k = ydoc_key(root, i);

		if (k == NULL) {
			ydoc_expect(root->items[2 * i], YDOC_SCALAR, "key", errs);
			ok = false;
		} else if (!rules_is_top_key(k) && !(with_policies && policy_is_top_key(root, k))) {
			ydoc_error(errs, root->items[2 * i], "unknown key '%.60s' in %s", k,
				   with_policies ? "rules or policy file" : "rules file");
			ok = false;
		}
	}
	return ok;
}

static bool load_text(struct ruleset *rs, const char *name, const char *text, size_t len,
		      bool builtin, struct mx_errors *errs)
{
	struct ydoc *d = ydoc_parse(name, text, len, NULL, errs);
	size_t before = mx_errors_count(errs);

	if (d == NULL)
		return false;
	check_top(ydoc_root(d), false, errs);
	load_doc(rs, ydoc_root(d), builtin, errs);
	ydoc_free(d);
	return mx_errors_count(errs) == before;
}

bool rules_load_builtin(struct ruleset *rs, struct mx_errors *errs)
{
	return load_text(rs, BUILTIN_NAME, mx_default_rules_yaml, mx_default_rules_yaml_len, true,
			 errs);
}

bool rules_load_buffer(struct ruleset *rs, const char *name, const char *text, size_t len,
		       struct mx_errors *errs)
{
	return load_text(rs, name, text, len, false, errs);
}

bool rules_load_file(struct ruleset *rs, const char *path, struct mx_errors *errs)
{
	struct ydoc *d = ydoc_load_file(path, NULL, errs);
	size_t before = mx_errors_count(errs);

	if (d == NULL)
		return false;
	check_top(ydoc_root(d), false, errs);
	load_doc(rs, ydoc_root(d), false, errs);
	ydoc_free(d);
	return mx_errors_count(errs) == before;
}

/* ---- a directory of rules and policy files ---- */

#define DIR_MAX_FILES 10000

static bool wanted_name(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.')
		return false;
	return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
	       (len > 4 && strcmp(n + len - 4, ".yml") == 0) ||
	       (len > 5 && strcmp(n + len - 5, ".json") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir_file(struct ruleset *rs, struct policy_set *ps, const char *dir,
			  const char *path, struct mx_errors *errs)
{
	struct ydoc *d = ydoc_load_file(path, NULL, errs);
	const struct ydoc_node *root;

	if (d == NULL)
		return;
	root = ydoc_root(d);
	if (root != NULL) {
		if (ydoc_expect(root, YDOC_MAP, "document", errs)) {
			check_top(root, true, errs);
			load_doc(rs, root, false, errs);
			policy_load_doc(ps, root, dir, errs);
		}
	}
	ydoc_free(d);
}

bool rules_load_dir(struct ruleset *rs, struct policy_set *ps, const char *dir,
		    struct mx_errors *errs)
{
	size_t before = mx_errors_count(errs);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *dh = opendir(dir);

	if (dh == NULL) {
		mx_errors_add(errs, dir, 0, 0, "cannot open rules directory: %s", strerror(errno));
		return false;
	}
	while ((e = readdir(dh)) != NULL) {
		if (!wanted_name(e->d_name))
			continue;
		if (n == DIR_MAX_FILES) {
			mx_errors_add(errs, dir, 0, 0, "more than %d rules and policy files",
				      DIR_MAX_FILES);
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **grown = realloc(names, ncap * sizeof(*grown));

			if (grown == NULL)
				break;
			names = grown;
			cap = ncap;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(dh);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		load_dir_file(rs, ps, dir, path, errs);
		free(names[i]);
	}
	free(names);
	return mx_errors_count(errs) == before;
}

/* ---- whole-set checks and lookups ---- */

static bool sid_known(const struct ruleset *rs, uint32_t sid)
{
	return sid == 0 || rules_by_sid(rs, sid) != NULL;
}

bool rules_finish(struct ruleset *rs, struct mx_errors *errs)
{
	size_t before = mx_errors_count(errs);

	for (unsigned i = 0; i < RULE_KIND_COUNT; i++) {
		const struct rule *r = &rs->rules[i];

		if (!r->defined) {
			mx_errors_add(errs, "rules", 0, 0, "no rule for detection kind '%s'",
				      kinds[i].name);
			continue;
		}
		for (unsigned j = 0; j < i; j++) {
			const struct rule *o = &rs->rules[j];

			if (!o->defined || o->sid != r->sid)
				continue;
			/* report at the entry a user file set, if one did */
			if (r->user_set || !o->user_set)
				mx_errors_add(errs, r->origin, 0, 0,
					      "duplicate sid %u (kind '%s' at %s has it too)",
					      r->sid, kinds[j].name, o->origin);
			else
				mx_errors_add(errs, o->origin, 0, 0,
					      "duplicate sid %u (kind '%s' at %s has it too)",
					      o->sid, kinds[i].name, r->origin);
		}
	}
	for (size_t i = 0; i < rs->thr.n_thr; i++)
		if (!sid_known(rs, rs->thr.thr[i].sid))
			mx_errors_add(errs, rs->thr.thr[i].origin, 0, 0,
				      "threshold for unknown sid %u", rs->thr.thr[i].sid);
	for (size_t i = 0; i < rs->thr.n_sup; i++)
		if (!sid_known(rs, rs->thr.sup[i].sid))
			mx_errors_add(errs, rs->thr.sup[i].origin, 0, 0,
				      "suppress for unknown sid %u", rs->thr.sup[i].sid);
	return mx_errors_count(errs) == before;
}

const struct rule *rules_get(const struct ruleset *rs, enum rule_kind k)
{
	if ((unsigned)k >= RULE_KIND_COUNT)
		return NULL;
	return &rs->rules[k];
}

const struct rule *rules_by_sid(const struct ruleset *rs, uint32_t sid)
{
	for (unsigned i = 0; i < RULE_KIND_COUNT; i++)
		if (rs->rules[i].defined && rs->rules[i].sid == sid)
			return &rs->rules[i];
	return NULL;
}
