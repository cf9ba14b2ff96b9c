/*
 * alert.h - raising an alert: the rule of its kind (enabled, sid, rev,
 * message, category, severity), suppression and rate limiting, then the
 * EVE alert record with its `downgrade` object (kind, TLSRPT result type,
 * evidence, expectation, incident: see incident.h).
 */
#ifndef MX_ALERT_H
#define MX_ALERT_H

#include "util/common.h"
#include "output/eve.h"
#include "correlate/expect.h"
#include "flow/flow.h"
#include "correlate/kinds.h"

/* The rule of one kind as the alert record needs it. */
struct alert_rule {
	bool enabled;
	uint32_t sid, rev;
	int severity;	       /* 1 (highest) .. 4 */
	int history_severity;  /* for alerts resting on history only; 0: severity + 2 */
	int expected_severity; /* when a validated expectation stood behind it; 0: severity */
	char signature[160];
	char category[96];
};

/* Where the expectation an alert was judged against came from. */
struct alert_expectation {
	const char *source; /* "dane", "mta-sts", "policy", "history" */
	enum expect_trust trust;
	const char *domain;    /* may be NULL */
	const char *mx_host;   /* may be NULL */
	const char *policy_id; /* policy file:line, may be NULL */
	const struct tlsa_record *tlsa;
	size_t ntlsa;
	const char *detail; /* a short free text, may be NULL */
	/* Shared by another sensor ("sensor NAME via redis: DNS TLSA answer"); may be NULL. */
	const char *learned_from;
	/* The resolver whose AD bit the expectation rests on (trust
	   resolver-ad), NULL otherwise. */
	const struct mx_addr *resolver;
};

/* What the filter says about an alert about to be written. */
enum alert_verdict { ALERT_PASS, ALERT_SUPPRESSED, ALERT_RATE_LIMITED };

/* The keys suppression and thresholds look at. */
struct alert_keys {
	const struct mx_addr *src, *dst;
	const char *domain;  /* may be NULL */
	const char *mx_host; /* may be NULL */
};

typedef enum alert_verdict (*alert_filter_fn)(void *ctx, uint32_t sid,
					      const struct alert_keys *keys, uint64_t ts_us);

/* Writes the evidence fields into the open "evidence" object. */
typedef void (*alert_evidence_fn)(struct eve *e, const void *arg);

struct alert_counters {
	uint64_t raised, written, disabled, suppressed, rate_limited;
	uint64_t incidents, incident_merged, incident_joined; /* incident.h */
	uint64_t by_kind[KIND_COUNT];
};
extern const struct mx_counter_desc alert_counter_desc[];

struct alert_ctx;

/* Built-in rules: every kind enabled with DESIGN.md's sid, rev 1. */
struct alert_ctx *alert_ctx_new(void);
void alert_ctx_free(struct alert_ctx *a);

/* Replaces the rule of a kind (from the rules files). */
void alert_set_rule(struct alert_ctx *a, enum mx_kind k, const struct alert_rule *r);
const struct alert_rule *alert_get_rule(const struct alert_ctx *a, enum mx_kind k);
/* Installs the suppression/threshold filter. */
void alert_set_filter(struct alert_ctx *a, alert_filter_fn fn, void *ctx);

/*
 * Raises an alert of kind k on flow f (f may be NULL for flowless alerts),
 * dir giving which side is the source; the record is built and written
 * with writer e (the calling thread's). exp may be NULL (the kind needs
 * no expectation). Severity: the rule's history_severity for a history
 * expectation, one step lower than the rule's for an unvalidated one,
 * the rule's expected_severity (when set) for a validated one. Returns
 * true when the alert passed the rule and the filter (the record is then
 * written when an output takes alerts). The context is not locked here:
 * callers that share it between threads hold the correlate stage's lock.
 */
bool alert_raise(struct alert_ctx *a, struct eve *e, enum mx_kind k, uint64_t ts_us, struct flow *f,
		 int dir, const char *app_proto, const struct alert_keys *keys,
		 const struct alert_expectation *exp, alert_evidence_fn evidence, const void *arg);

const struct alert_counters *alert_counters(const struct alert_ctx *a);

/* Writes a TLSA record as "U S M hex" into buf. */
void alert_format_tlsa(const struct tlsa_record *r, char *buf, size_t len);

#endif
