/*
 * test_rules.c - the built-in rules (the DESIGN.md detection table), the
 * override of single fields by later files, every knob (set, range, kind it
 * applies to), the whole-set checks, loading a rules directory with rules,
 * policies and the STARTTLS-Everywhere list, and every bad rules file in
 * tests/config/rules-*.yaml with its exact expected errors.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "correlate/rules.h"

#include "expected_errors.h"

/* ---- fixtures ---- */

static void load_builtin(struct ruleset *rs)
{
	struct mx_errors errs;

	ruleset_init(rs);
	mx_errors_init(&errs);
	if (!rules_load_builtin(rs, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
}

static void rules_fixture(const char *dir, const char *path, void *ctx)
{
	struct ruleset rs;
	struct mx_errors errs;

	(void)dir;
	(void)ctx;
	load_builtin(&rs);
	mx_errors_init(&errs);
	if (rules_load_file(&rs, path, &errs))
		rules_finish(&rs, &errs);
	compare_errors(NULL, path, "RULESFILE", &errs);
	ruleset_free(&rs);
}

static void test_fixtures(void **state)
{
	static const char *const suffixes[] = {".yaml", NULL};

	(void)state;
	assert_true(each_fixture(__FILE__, "unit/test_rules.c", "rules-", suffixes, rules_fixture,
				 NULL) >= 8);
}

/* ---- built-in rules ---- */

static void test_builtin_table(void **state)
{
	static const struct {
		const char *kind;
		const char *tlsrpt;
	} table[RULE_KIND_COUNT] = {
	    {"starttls-stripped", "starttls-not-supported"},
	    {"starttls-masked", "starttls-not-supported"},
	    {"starttls-rejected", "starttls-not-supported"},
	    {"tls-fallback-cleartext", "validation-failure"},
	    {"cleartext-policy-violation", "starttls-not-supported"},
	    {"mx-redirect", "validation-failure"},
	    {"tlsa-mismatch", "tlsa-invalid"},
	    {"dnssec-bogus", "dnssec-invalid"},
	    {"dnssec-stripped", "dnssec-invalid"},
	    {"tlsa-stripped", "tlsa-invalid"},
	    {"mta-sts-stripped", "sts-policy-fetch-error"},
	    {"starttls-command-injection", NULL},
	    {"starttls-response-injection", NULL},
	    {"ehlo-downgrade", "starttls-not-supported"},
	    {"dns-answer-race", NULL},
	    {"requiretls-violation", NULL},
	    {"tls-version-downgrade", NULL},
	    {"certificate-host-mismatch", "certificate-host-mismatch"},
	    {"stream-evasion", NULL},
	    {"certificate-not-trusted", "certificate-not-trusted"},
	    {"certificate-expired", "certificate-expired"},
	};
	struct ruleset rs;
	struct mx_errors errs;

	(void)state;
	load_builtin(&rs);
	mx_errors_init(&errs);
	assert_true(rules_finish(&rs, &errs));
	for (unsigned i = 0; i < RULE_KIND_COUNT; i++) {
		const struct rule *r = rules_get(&rs, (enum rule_kind)i);
		enum rule_kind k;

		assert_string_equal(rule_kind_name(r->kind), table[i].kind);
		assert_true(rule_kind_parse(table[i].kind, &k));
		assert_int_equal(k, i);
		if (table[i].tlsrpt == NULL)
			assert_null(rule_kind_tlsrpt(k));
		else
			assert_string_equal(rule_kind_tlsrpt(k), table[i].tlsrpt);
		assert_true(r->defined);
		assert_true(r->enabled);
		assert_false(r->user_set);
		assert_int_equal(r->sid, 9000001 + i);
		assert_int_equal(r->rev, 1);
		assert_in_range(r->severity, 1, 3);
		assert_int_equal(strncmp(r->signature, "MXSENTRY ", 9), 0);
		assert_true(strlen(r->category) > 0);
		assert_ptr_equal(rules_by_sid(&rs, 9000001 + i), r);
		assert_non_null(strstr(r->origin, "<built-in rules/default.yaml>:"));
	}
	assert_null(rules_by_sid(&rs, 9000001 + RULE_KIND_COUNT));
	assert_null(rules_by_sid(&rs, 0));
	assert_null(rules_get(&rs, RULE_KIND_COUNT));
	assert_string_equal(rule_kind_name(RULE_KIND_COUNT), "unknown");
	assert_false(rule_kind_parse("nonsense", &(enum rule_kind){0}));
	/* the shipped knob values */
	assert_int_equal(rules_get(&rs, RULE_STARTTLS_STRIPPED)->history_min_sightings, 2);
	assert_int_equal(rules_get(&rs, RULE_STARTTLS_STRIPPED)->history_severity, 2);
	assert_int_equal(rules_get(&rs, RULE_TLS_FALLBACK_CLEARTEXT)->fallback_window_s, 300);
	assert_int_equal(rules_get(&rs, RULE_TLS_VERSION_DOWNGRADE)->tls_version_floor, 0);
	assert_int_equal(rules_get(&rs, RULE_DNS_ANSWER_RACE)->race_window_ms, 1000);
	assert_int_equal(rules_get(&rs, RULE_STARTTLS_REJECTED)->expected_severity, 1);
	assert_int_equal(rs.thr.n_thr, 0);
	assert_int_equal(rs.thr.n_sup, 0);
	/* loading the built-in rules twice is a duplicate */
	assert_false(rules_load_builtin(&rs, &errs));
	assert_int_equal(mx_errors_count(&errs), RULE_KIND_COUNT);
	ruleset_free(&rs);
}

static void test_default_file_is_builtin(void **state)
{
	char tdir[1024], path[1200];
	struct ruleset a, b;
	struct mx_errors errs;

	(void)state;
	tests_dir(__FILE__, "unit/test_rules.c", tdir, sizeof(tdir));
	snprintf(path, sizeof(path), "%s/../rules/default.yaml", tdir);
	load_builtin(&a);
	ruleset_init(&b);
	mx_errors_init(&errs);
	if (!rules_load_file(&b, path, &errs) || !rules_finish(&b, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
	for (unsigned i = 0; i < RULE_KIND_COUNT; i++) {
		const struct rule *x = &a.rules[i], *y = &b.rules[i];

		assert_int_equal(x->sid, y->sid);
		assert_int_equal(x->severity, y->severity);
		assert_string_equal(x->signature, y->signature);
		assert_string_equal(x->category, y->category);
		assert_int_equal(x->history_min_sightings, y->history_min_sightings);
		assert_int_equal(x->tls_version_floor, y->tls_version_floor);
	}
	ruleset_free(&a);
	ruleset_free(&b);
}

/* Applies override text to the built-in rules; returns whether it loaded. */
static bool apply(struct ruleset *rs, const char *text, struct mx_errors *errs)
{
	mx_errors_init(errs);
	return rules_load_buffer(rs, "o.yaml", text, strlen(text), errs) && rules_finish(rs, errs);
}

static void test_override_fields(void **state)
{
	struct ruleset rs;
	struct mx_errors errs;
	const struct rule *r;
	char before_sig[RULE_SIGNATURE_MAX];

	(void)state;
	load_builtin(&rs);
	r = rules_get(&rs, RULE_DNS_ANSWER_RACE);
	snprintf(before_sig, sizeof(before_sig), "%s", r->signature);
	assert_true(apply(&rs,
			  "rules:\n"
			  "  - kind: dns-answer-race\n"
			  "    enabled: false\n"
			  "  - kind: mx-redirect\n"
			  "    sid: 9000906\n"
			  "    rev: 4\n"
			  "    severity: 4\n"
			  "    signature: \"LOCAL mail went to a strange MX\"\n"
			  "    category: \"Misc activity\"\n",
			  &errs));
	/* only what the file names changes */
	assert_false(r->enabled);
	assert_int_equal(r->sid, 9000015);
	assert_string_equal(r->signature, before_sig);
	assert_true(r->user_set);
	assert_string_equal(r->origin, "o.yaml:2:5");
	r = rules_get(&rs, RULE_MX_REDIRECT);
	assert_int_equal(r->sid, 9000906);
	assert_int_equal(r->rev, 4);
	assert_int_equal(r->severity, 4);
	assert_string_equal(r->signature, "LOCAL mail went to a strange MX");
	assert_string_equal(r->category, "Misc activity");
	assert_ptr_equal(rules_by_sid(&rs, 9000906), r);
	assert_null(rules_by_sid(&rs, 9000006));
	assert_true(rules_get(&rs, RULE_TLSA_MISMATCH)->enabled);

	/* a faulty entry changes nothing of its rule */
	assert_false(
	    apply(&rs, "rules:\n  - kind: tlsa-mismatch\n    severity: 2\n    rev: x\n", &errs));
	assert_int_equal(rules_get(&rs, RULE_TLSA_MISMATCH)->severity, 1);
	/* a second file overriding a kind already overridden is a duplicate */
	assert_false(apply(&rs, "rules:\n  - kind: dns-answer-race\n    enabled: true\n", &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "o.yaml:2:11: duplicate rule for kind 'dns-answer-race' (first at "
			    "o.yaml:2:5)");
	ruleset_free(&rs);
}

struct knob_case {
	const char *kind;
	const char *key;
	const char *good;
	const char *bad; /* out of range or malformed */
};

static void test_knobs(void **state)
{
	static const struct knob_case cases[] = {
	    {"starttls-stripped", "history-min-sightings", "5", "0"},
	    {"mta-sts-stripped", "history-min-sightings", "1", "1000001"},
	    {"tlsa-stripped", "history-max-age", "86400", "59"},
	    {"mta-sts-stripped", "history-severity", "4", "5"},
	    {"tls-version-downgrade", "history-min-sightings", "10", "x"},
	    {"tls-fallback-cleartext", "fallback-window", "30", "86401"},
	    {"tls-version-downgrade", "tls-version-floor", "\"1.3\"", "\"2.0\""},
	    {"dns-answer-race", "race-window-ms", "250", "60001"},
	    {"starttls-rejected", "expected-severity", "2", "0"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ruleset rs;
		struct mx_errors errs;
		char text[256];
		enum rule_kind k;
		const struct rule *r;

		assert_true(rule_kind_parse(cases[i].kind, &k));
		load_builtin(&rs);
		r = rules_get(&rs, k);
		snprintf(text, sizeof(text), "rules:\n  - kind: %s\n    %s: %s\n", cases[i].kind,
			 cases[i].key, cases[i].good);
		if (!apply(&rs, text, &errs))
			fail_msg("case %zu: %s", i, mx_errors_get(&errs, 0));
		if (strcmp(cases[i].key, "history-min-sightings") == 0)
			assert_int_equal(r->history_min_sightings, atoi(cases[i].good));
		else if (strcmp(cases[i].key, "history-max-age") == 0)
			assert_int_equal(r->history_max_age_s, 86400);
		else if (strcmp(cases[i].key, "history-severity") == 0)
			assert_int_equal(r->history_severity, 4);
		else if (strcmp(cases[i].key, "fallback-window") == 0)
			assert_int_equal(r->fallback_window_s, 30);
		else if (strcmp(cases[i].key, "tls-version-floor") == 0)
			assert_int_equal(r->tls_version_floor, 0x0304);
		else if (strcmp(cases[i].key, "race-window-ms") == 0)
			assert_int_equal(r->race_window_ms, 250);
		else
			assert_int_equal(r->expected_severity, 2);
		ruleset_free(&rs);

		load_builtin(&rs);
		snprintf(text, sizeof(text), "rules:\n  - kind: %s\n    %s: %s\n", cases[i].kind,
			 cases[i].key, cases[i].bad);
		if (apply(&rs, text, &errs))
			fail_msg("case %zu: bad value accepted", i);
		assert_int_equal(mx_errors_count(&errs), 1);
		assert_non_null(strstr(mx_errors_get(&errs, 0), cases[i].key));
		assert_int_equal(strncmp(mx_errors_get(&errs, 0), "o.yaml:3:", 9), 0);
		ruleset_free(&rs);
	}
}

static void test_tls_floor_values(void **state)
{
	static const struct {
		const char *text;
		uint16_t v;
		const char *name;
	} floors[] = {{"none", 0, "none"},
		      {"\"1.0\"", 0x0301, "1.0"},
		      {"1.1", 0x0302, "1.1"},
		      {"'1.2'", 0x0303, "1.2"},
		      {"\"1.3\"", 0x0304, "1.3"}};
	(void)state;
	for (size_t i = 0; i < sizeof(floors) / sizeof(floors[0]); i++) {
		struct ruleset rs;
		struct mx_errors errs;
		char text[128];

		load_builtin(&rs);
		snprintf(text, sizeof(text),
			 "rules: [{kind: tls-version-downgrade, tls-version-floor: %s}]\n",
			 floors[i].text);
		assert_true(apply(&rs, text, &errs));
		assert_int_equal(rules_get(&rs, RULE_TLS_VERSION_DOWNGRADE)->tls_version_floor,
				 floors[i].v);
		assert_string_equal(rules_tls_version_name(floors[i].v), floors[i].name);
		ruleset_free(&rs);
	}
}

static void test_whole_set_checks(void **state)
{
	struct ruleset rs;
	struct mx_errors errs;

	(void)state;
	/* without the built-in rules every field is required, every kind needed */
	ruleset_init(&rs);
	mx_errors_init(&errs);
	assert_false(
	    rules_load_buffer(&rs, "n.yaml", "rules: [{kind: mx-redirect, sid: 5}]\n", 37, &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "n.yaml:1:9: missing required field 'rev' in rule");
	assert_int_equal(mx_errors_count(&errs), 4);
	mx_errors_init(&errs);
	assert_false(rules_finish(&rs, &errs));
	assert_int_equal(mx_errors_count(&errs), RULE_KIND_COUNT);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "rules: no rule for detection kind 'starttls-stripped'");
	ruleset_free(&rs);

	/* thresholds and suppressions on built-in sids, sid 0 and an overridden sid */
	load_builtin(&rs);
	assert_true(
	    apply(&rs,
		  "rules: [{kind: mx-redirect, sid: 9000906}]\n"
		  "thresholds:\n"
		  "  - {sid: 9000002, type: limit, track: by_src, count: 1, seconds: 600}\n"
		  "  - {sid: 9000906, type: both, track: by_domain, count: 2, seconds: 60}\n"
		  "  - {sid: 0, type: limit, track: by_rule, count: 100, seconds: 60}\n"
		  "suppress:\n"
		  "  - {sid: 9000015, ip: \"2001:db8::/32\"}\n",
		  &errs));
	assert_int_equal(rs.thr.n_thr, 3);
	assert_int_equal(rs.thr.n_sup, 1);
	/* the old sid is gone: a threshold on it is an error */
	assert_false(apply(&rs,
			   "thresholds: [{sid: 9000006, type: limit, track: by_src, count: 1, "
			   "seconds: 1}]\n",
			   &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "o.yaml:1:14: threshold for unknown sid 9000006");
	ruleset_free(&rs);
}

/* ---- rules directory ---- */

static void put(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void clean_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void test_load_dir(void **state)
{
	char tmpl[] = "/tmp/mxsentry-rules-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct ruleset rs;
	struct policy_set *ps = policy_set_new();
	struct mx_errors errs;
	struct mx_addr a;

	(void)state;
	assert_non_null(dir);
	put(dir, "10-local.yaml",
	    "rules:\n  - {kind: ehlo-downgrade, severity: 3}\n"
	    "suppress:\n  - {sid: 9000014, domain: lab.test, subdomains: true}\n");
	put(dir, "20-partners.yml",
	    "policies:\n  - domain: partner.test\n    require-tls: true\n"
	    "    mta-sts-file: partner.test.txt\n"
	    "trusted-resolvers: [192.0.2.53]\n");
	put(dir, "partner.test.txt",
	    "version: STSv1\nmode: enforce\nmx: mx.partner.test\n"
	    "max_age: 86400\n");
	put(dir, "30-both.yaml",
	    "rules: [{kind: dns-answer-race, race-window-ms: 500}]\n"
	    "policies: [{domain: both.test, dane: required}]\n");
	put(dir, "40-list.json",
	    "{\"policies\": {\"list.test\": {\"mode\": \"testing\", \"mxs\": [\".list.test\"]}},"
	    " \"policy-aliases\": {}, \"version\": \"0.1\"}\n");
	put(dir, ".hidden.yaml", "this: is ignored\n");
	put(dir, "notes.txt", "not a rules file\n");
	put(dir, "50-empty.yaml", "# nothing here\n");
	load_builtin(&rs);
	mx_errors_init(&errs);
	if (!rules_load_dir(&rs, ps, dir, &errs) || !rules_finish(&rs, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
	assert_int_equal(rules_get(&rs, RULE_EHLO_DOWNGRADE)->severity, 3);
	assert_int_equal(rules_get(&rs, RULE_DNS_ANSWER_RACE)->race_window_ms, 500);
	assert_int_equal(rs.thr.n_sup, 1);
	assert_int_equal(policy_set_count(ps), 3);
	assert_true(policy_mx_allowed(policy_find(ps, "partner.test"), "mx.partner.test"));
	assert_int_equal(policy_find(ps, "both.test")->dane, POLICY_DANE_REQUIRED);
	assert_true(policy_mx_allowed(policy_find(ps, "list.test"), "a.b.list.test"));
	assert_true(mx_addr_parse(&a, "192.0.2.53"));
	assert_true(policy_is_trusted_resolver(ps, &a));

	/* an unknown top-level key, and a file that is no mapping */
	put(dir, "60-bad.yaml", "rules: []\nthreshold: []\n");
	put(dir, "70-list.yaml", "- a\n- b\n");
	ruleset_free(&rs);
	load_builtin(&rs);
	policy_set_free(ps);
	ps = policy_set_new();
	mx_errors_init(&errs);
	assert_false(rules_load_dir(&rs, ps, dir, &errs));
	assert_int_equal(mx_errors_count(&errs), 2);
	assert_non_null(
	    strstr(mx_errors_get(&errs, 0),
		   "/60-bad.yaml:2:1: unknown key 'threshold' in rules or policy file"));
	assert_non_null(strstr(mx_errors_get(&errs, 1),
			       "/70-list.yaml:1:1: wrong type for 'document': expected a mapping, "
			       "got a sequence"));
	clean_dir(dir);
	mx_errors_init(&errs);
	assert_false(rules_load_dir(&rs, ps, dir, &errs));
	assert_non_null(strstr(mx_errors_get(&errs, 0), ": cannot open rules directory: "));
	ruleset_free(&rs);
	policy_set_free(ps);
}

/* Out-of-range kinds and unknown TLS versions have no entry. */
static void test_out_of_range_lookups(void **state)
{
	struct ruleset rs;

	(void)state;
	load_builtin(&rs);
	assert_null(rule_kind_tlsrpt(RULE_KIND_COUNT));
	assert_null(rule_kind_tlsrpt((enum rule_kind)(RULE_KIND_COUNT + 7)));
	assert_null(rules_get(&rs, RULE_KIND_COUNT));
	assert_non_null(rules_get(&rs, (enum rule_kind)(RULE_KIND_COUNT - 1)));
	assert_string_equal(rules_tls_version_name(0x0305), "unknown");
	assert_string_equal(rules_tls_version_name(0x0300), "unknown");
	ruleset_free(&rs);
}

/* Without the built-in rules, only a defined rule answers to its sid. */
static void test_sid_lookup_partial_set(void **state)
{
	static const char one[] = "rules: [{kind: mx-redirect, sid: 5, rev: 1, signature: s, "
				  "category: c, severity: 2}]\n";
	struct ruleset rs;
	struct mx_errors errs;
	const struct rule *r;

	(void)state;
	ruleset_init(&rs);
	assert_null(rules_by_sid(&rs, 0));
	assert_null(rules_by_sid(&rs, 5));
	mx_errors_init(&errs);
	assert_true(rules_load_buffer(&rs, "one.yaml", one, strlen(one), &errs));
	r = rules_by_sid(&rs, 5);
	assert_non_null(r);
	assert_int_equal(r->kind, RULE_MX_REDIRECT);
	assert_null(rules_by_sid(&rs, 0));
	assert_null(rules_by_sid(&rs, 6));
	ruleset_free(&rs);
}

/*
 * Documents that are empty, no mapping, broken YAML or missing: an empty
 * one is accepted, the others are refused with one error naming the file.
 */
static void test_document_edges(void **state)
{
	char tmpl[] = "/tmp/mxsentry-rules-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char path[1024];
	struct ruleset rs;
	struct mx_errors errs;

	(void)state;
	assert_non_null(dir);
	load_builtin(&rs);
	mx_errors_init(&errs);
	assert_true(rules_load_buffer(&rs, "e.yaml", "", 0, &errs));
	assert_true(rules_load_buffer(&rs, "e.yaml", "# only a comment\n", 17, &errs));
	assert_int_equal(mx_errors_count(&errs), 0);
	assert_false(rules_load_buffer(&rs, "l.yaml", "- a\n", 4, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "l.yaml:1:1: wrong type for 'document': expected a mapping, got a "
			    "sequence");
	mx_errors_init(&errs);
	assert_false(rules_load_buffer(&rs, "s.yaml", "rules: [\n", 9, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_non_null(strstr(mx_errors_get(&errs, 0), "s.yaml:2:1: YAML syntax error"));

	put(dir, "empty.yaml", "");
	put(dir, "list.yaml", "- kind: mx-redirect\n");
	put(dir, "broken.yaml", "rules: [\n");
	mx_errors_init(&errs);
	snprintf(path, sizeof(path), "%s/empty.yaml", dir);
	assert_true(rules_load_file(&rs, path, &errs));
	snprintf(path, sizeof(path), "%s/list.yaml", dir);
	assert_false(rules_load_file(&rs, path, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_non_null(strstr(mx_errors_get(&errs, 0), "/list.yaml:1:1: wrong type for "
							"'document': expected a mapping"));
	mx_errors_init(&errs);
	snprintf(path, sizeof(path), "%s/broken.yaml", dir);
	assert_false(rules_load_file(&rs, path, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_non_null(strstr(mx_errors_get(&errs, 0), "/broken.yaml:2:1: YAML syntax error"));
	mx_errors_init(&errs);
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	assert_false(rules_load_file(&rs, path, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_non_null(strstr(mx_errors_get(&errs, 0), "/missing.yaml"));
	assert_true(rules_finish(&rs, &errs) || mx_errors_count(&errs) == 1);
	ruleset_free(&rs);
	clean_dir(dir);
}

/*
 * A rules directory reads *.yaml, *.yml and *.json (short names too) in
 * name order; a file with broken YAML is reported and the others load.
 */
static void test_load_dir_names(void **state)
{
	char tmpl[] = "/tmp/mxsentry-rules-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct ruleset rs;
	struct policy_set *ps = policy_set_new();
	struct mx_errors errs;

	(void)state;
	assert_non_null(dir);
	put(dir, "a.yml", "rules: [{kind: ehlo-downgrade, severity: 4}]\n");
	put(dir, "b.json", "{\"rules\": [{\"kind\": \"mx-redirect\", \"severity\": 4}]}\n");
	put(dir, "c.yaml", "rules: [{kind: tlsa-mismatch, severity: 4}]\n");
	put(dir, "m.yaml", "rules: [\n");
	put(dir, "yml", "rules: [{kind: dnssec-bogus, severity: 4}]\n");
	put(dir, "json", "rules: [{kind: dnssec-bogus, severity: 4}]\n");
	put(dir, "x.yaml.txt", "rules: [{kind: dnssec-bogus, severity: 4}]\n");
	put(dir, "z.yaml", "rules: [{kind: ehlo-downgrade, severity: 1}]\n");
	load_builtin(&rs);
	mx_errors_init(&errs);
	assert_false(rules_load_dir(&rs, ps, dir, &errs));
	assert_int_equal(mx_errors_count(&errs), 2);
	assert_non_null(strstr(mx_errors_get(&errs, 0), "/m.yaml:2:1: YAML syntax error"));
	assert_non_null(
	    strstr(mx_errors_get(&errs, 1),
		   "/z.yaml:1:16: duplicate rule for kind 'ehlo-downgrade' (first at "));
	assert_non_null(strstr(mx_errors_get(&errs, 1), "/a.yml:1:9)"));
	assert_int_equal(rules_get(&rs, RULE_EHLO_DOWNGRADE)->severity, 4);
	assert_int_equal(rules_get(&rs, RULE_MX_REDIRECT)->severity, 4);
	assert_int_equal(rules_get(&rs, RULE_TLSA_MISMATCH)->severity, 4);
	assert_int_not_equal(rules_get(&rs, RULE_DNSSEC_BOGUS)->severity, 4);
	ruleset_free(&rs);
	policy_set_free(ps);
	clean_dir(dir);
}

/* rules_load_doc (the configuration file's rules section) says whether the
   document it was given loaded without an error. */
static void test_load_doc_result(void **state)
{
	static const char good[] = "rules: [{kind: mx-redirect, severity: 2}]\n"
				   "suppress: [{sid: 9000006, domain: lab.test}]\n";
	static const char bad[] = "rules: [{kind: tlsa-mismatch, severity: 9}]\n";
	struct ruleset rs;
	struct mx_errors errs;
	struct ydoc *d;

	(void)state;
	load_builtin(&rs);
	mx_errors_init(&errs);
	d = ydoc_parse("g.yaml", good, strlen(good), NULL, &errs);
	assert_non_null(d);
	assert_true(rules_load_doc(&rs, ydoc_root(d), &errs));
	ydoc_free(d);
	assert_int_equal(rules_get(&rs, RULE_MX_REDIRECT)->severity, 2);
	assert_int_equal(rs.thr.n_sup, 1);
	assert_true(rules_load_doc(&rs, NULL, &errs));
	d = ydoc_parse("b.yaml", bad, strlen(bad), NULL, &errs);
	assert_non_null(d);
	assert_false(rules_load_doc(&rs, ydoc_root(d), &errs));
	ydoc_free(d);
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "b.yaml:1:41: value out of range for 'severity': 9 (allowed 1..4)");
	assert_int_equal(rules_get(&rs, RULE_MX_REDIRECT)->severity, 2);
	ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin_table),
	    cmocka_unit_test(test_default_file_is_builtin),
	    cmocka_unit_test(test_override_fields),
	    cmocka_unit_test(test_knobs),
	    cmocka_unit_test(test_tls_floor_values),
	    cmocka_unit_test(test_whole_set_checks),
	    cmocka_unit_test(test_load_dir),
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_out_of_range_lookups),
	    cmocka_unit_test(test_sid_lookup_partial_set),
	    cmocka_unit_test(test_document_edges),
	    cmocka_unit_test(test_load_dir_names),
	    cmocka_unit_test(test_load_doc_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
