/*
 * rules.h - the detection rules: one entry per detection kind with its
 * Suricata-style identity (sid, rev, signature, category, severity), an
 * enabled flag and the knobs that tune it, plus the thresholds and
 * suppressions of threshold.h. Rules come from YAML:
 *
 *   rules:
 *     - kind: starttls-stripped
 *       sid: 9000001
 *       rev: 1
 *       signature: "MXSENTRY STARTTLS stripped from EHLO reply"
 *       category: "Attempted Information Leak"
 *       severity: 1
 *       enabled: true
 *       history-min-sightings: 2      # knobs, where the kind has them
 *   thresholds: [...]
 *   suppress: [...]
 *
 * The built-in rules are rules/default.yaml compiled into the binary; files
 * loaded afterwards override single fields of a kind's rule ("kind" is the
 * only required key then). Knobs:
 *   history-min-sightings, history-max-age (seconds), history-severity:
 *     starttls-stripped, dnssec-stripped, tlsa-stripped, mta-sts-stripped,
 *     tls-version-downgrade (how many earlier sightings make a learned
 *     expectation, how long one counts, the severity of an alert that
 *     rests on learned history only)
 *   fallback-window (seconds): tls-fallback-cleartext
 *   tls-version-floor (none, 1.0, 1.1, 1.2, 1.3): tls-version-downgrade
 *   race-window-ms: dns-answer-race
 *   expected-severity: starttls-rejected (severity when STARTTLS was
 *     expected, not just offered)
 */
#ifndef MX_RULES_H
#define MX_RULES_H

#include "util/common.h"
#include "correlate/policy.h"
#include "correlate/threshold.h"
#include "conf/yaml_doc.h"

enum rule_kind {
	RULE_STARTTLS_STRIPPED,
	RULE_STARTTLS_MASKED,
	RULE_STARTTLS_REJECTED,
	RULE_TLS_FALLBACK_CLEARTEXT,
	RULE_CLEARTEXT_POLICY_VIOLATION,
	RULE_MX_REDIRECT,
	RULE_TLSA_MISMATCH,
	RULE_DNSSEC_BOGUS,
	RULE_DNSSEC_STRIPPED,
	RULE_TLSA_STRIPPED,
	RULE_MTA_STS_STRIPPED,
	RULE_STARTTLS_COMMAND_INJECTION,
	RULE_STARTTLS_RESPONSE_INJECTION,
	RULE_EHLO_DOWNGRADE,
	RULE_DNS_ANSWER_RACE,
	RULE_REQUIRETLS_VIOLATION,
	RULE_TLS_VERSION_DOWNGRADE,
	RULE_CERTIFICATE_HOST_MISMATCH,
	RULE_STREAM_EVASION,
	RULE_CERTIFICATE_NOT_TRUSTED,
	RULE_CERTIFICATE_EXPIRED,
	RULE_KIND_COUNT
};

#define RULE_SIGNATURE_MAX 160
#define RULE_CATEGORY_MAX  80

struct rule {
	enum rule_kind kind;
	bool defined; /* a rules file gave this kind sid, rev, signature... */
	bool enabled;
	uint32_t sid, rev;
	uint8_t severity; /* 1 (highest) .. 4 */
	char signature[RULE_SIGNATURE_MAX];
	char category[RULE_CATEGORY_MAX];
	/* knobs: meaningful only for the kinds listed above */
	uint32_t history_min_sightings;
	uint32_t history_max_age_s;
	uint8_t history_severity;
	uint32_t fallback_window_s;
	uint16_t tls_version_floor; /* 0x0301 (1.0) .. 0x0304 (1.3); 0 = none */
	uint32_t race_window_ms;
	uint8_t expected_severity;
	/* loader bookkeeping */
	bool user_set;	  /* a file after the built-in rules set this kind */
	char origin[160]; /* "FILE:LINE:COL" of the entry that last set it */
};

struct ruleset {
	struct rule rules[RULE_KIND_COUNT];
	struct threshold_set thr;
};

/*
 * The default rules text, rules/default.yaml, linked into the binary by the
 * build (not NUL-terminated necessarily; _len bytes).
 */
extern const char mx_default_rules_yaml[];
extern const size_t mx_default_rules_yaml_len;

/* Stable kind name ("starttls-stripped", ...), or "unknown". */
const char *rule_kind_name(enum rule_kind k);

/* Kind by its name; false when there is none. */
bool rule_kind_parse(const char *name, enum rule_kind *k);

/* The TLSRPT (RFC 8460) result type the kind maps to, or NULL. */
const char *rule_kind_tlsrpt(enum rule_kind k);

/* An empty ruleset: no kind defined, every knob at its default. */
void ruleset_init(struct ruleset *rs);

/* Frees the thresholds and suppressions; the ruleset is empty afterwards. */
void ruleset_free(struct ruleset *rs);

/*
 * Loads mx_default_rules_yaml (named "<built-in rules/default.yaml>" in
 * errors). Returns true when no error was reported.
 */
bool rules_load_builtin(struct ruleset *rs, struct mx_errors *errs);

/*
 * Loads the rule keys (rules, thresholds, suppress) of a parsed document
 * root, ignoring any other top-level key (the caller checks those).
 */
bool rules_load_doc(struct ruleset *rs, const struct ydoc_node *root, struct mx_errors *errs);

/* Loads a rules file held in memory; only rule keys are allowed. */
bool rules_load_buffer(struct ruleset *rs, const char *name, const char *text, size_t len,
		       struct mx_errors *errs);

/* Loads a rules file; only rule keys are allowed at its top level. */
bool rules_load_file(struct ruleset *rs, const char *path, struct mx_errors *errs);

/* True for "rules", "thresholds" and "suppress". */
bool rules_is_top_key(const char *key);

/*
 * Loads every *.yaml, *.yml and *.json file of dir, in name order. Each
 * file may hold rule keys, policy keys (policy.h) or both; any other
 * top-level key is an error. Policies go to ps.
 */
bool rules_load_dir(struct ruleset *rs, struct policy_set *ps, const char *dir,
		    struct mx_errors *errs);

/*
 * Checks the loaded whole: every kind has a rule, no sid is used by two
 * kinds, every threshold and suppression names sid 0 or a rule's sid.
 * Returns true when no error was reported.
 */
bool rules_finish(struct ruleset *rs, struct mx_errors *errs);

/* The rule of kind k (check ->defined and ->enabled). */
const struct rule *rules_get(const struct ruleset *rs, enum rule_kind k);

/* The rule with this sid, or NULL. */
const struct rule *rules_by_sid(const struct ruleset *rs, uint32_t sid);

/* "none", "1.0", "1.1", "1.2", "1.3" for a floor value. */
const char *rules_tls_version_name(uint16_t v);

#endif
