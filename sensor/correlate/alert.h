/*
 * alert.h - deciding an alert: the rule of its kind (enabled, sid, rev,
 * message, category, severity), suppression and rate limiting, its
 * incident (see incident.h); then an alert request that says everything
 * the EVE alert record needs (the rule as it stood, the `downgrade`
 * object's kind, TLSRPT result type, evidence and expectation as typed
 * fields (evidence.h), the incident). The request goes into a bounded
 * list the caller gave; the caller writes the records (app/alert_out.h)
 * once the correlate stage's lock is released.
 */
#ifndef MX_ALERT_H
#define MX_ALERT_H

#include "util/common.h"
#include "correlate/evidence.h"
#include "correlate/expect.h"
#include "correlate/incident.h"
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

/* Appends the members of the alert's "evidence" object to ev. */
typedef void (*alert_evidence_fn)(struct evidence *ev, const void *arg);

struct alert_counters {
	uint64_t raised, written, disabled, suppressed, rate_limited;
	uint64_t incidents, incident_merged, incident_joined; /* incident.h */
	uint64_t requests_dropped; /* a request list was full: decided, not written */
	uint64_t by_kind[KIND_COUNT];
};
extern const struct mx_counter_desc alert_counter_desc[];

/* Requests one entry point of correlate can hand back, and their fields. */
#define ALERT_LIST_MAX 8
#define ALERT_TEXT_MAX 65536

/* One alert decided: what its EVE record says, without the flow. */
struct alert_req {
	enum mx_kind kind;
	int dir; /* MX_TOSERVER: the client is the source */
	uint64_t ts_us;
	const char *app_proto; /* a constant string ("smtp", "dns") */
	/* the rule as it stood when the alert was decided */
	uint32_t sid, rev;
	int severity; /* adjusted to the expectation */
	char signature[160];
	char category[96];
	const char *tlsrpt;  /* TLSRPT result type (a constant string), NULL: none */
	char exp_source[16]; /* the expectation's source, "" without one */
	struct incident_ref incident;
	/* the keys suppression and thresholds looked at */
	struct mx_addr src, dst;
	char domain[EXPECT_NAME_MAX]; /* "" when none */
	char mx_host[EXPECT_NAME_MAX];
	/* members of downgrade.evidence and downgrade.expectation: evidence.h
	   fields in the list's text (built only when the list asks for it) */
	size_t evidence_off, evidence_len;
	size_t expectation_off, expectation_len;
};

/*
 * Alert requests handed back by correlate, filled in the order the
 * alerts were decided. A full list (or text) drops the request and
 * counts it (alert_counters.requests_dropped).
 */
struct alert_list {
	bool render; /* set by the owner: evidence and expectation fields are built */
	size_t n;
	struct alert_req req[ALERT_LIST_MAX];
	size_t text_len;
	char text[ALERT_TEXT_MAX];
};

/* Empties l (render stays). */
void alert_list_clear(struct alert_list *l);

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
 * Decides an alert of kind k, dir giving which side is the source (keys
 * src and dst follow it). exp may be NULL (the kind needs no
 * expectation). Severity: the rule's history_severity for a history
 * expectation, one step lower than the rule's for an unvalidated one,
 * the rule's expected_severity (when set) for a validated one. When the
 * alert passes the rule, the filter and its incident, its request is
 * appended to out (the fields evidence(ev, arg) appends built then, when
 * out->render) and
 * true returned. The context is not locked here: callers that share it
 * between threads hold the correlate stage's lock.
 */
bool alert_decide(struct alert_ctx *a, struct alert_list *out, enum mx_kind k, uint64_t ts_us,
		  int dir, const char *app_proto, const struct alert_keys *keys,
		  const struct alert_expectation *exp, alert_evidence_fn evidence, const void *arg);

const struct alert_counters *alert_counters(const struct alert_ctx *a);

/* Writes a TLSA record as "U S M hex" into buf. */
void alert_format_tlsa(const struct tlsa_record *r, char *buf, size_t len);

#endif
