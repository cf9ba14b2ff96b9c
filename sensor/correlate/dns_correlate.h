/*
 * dns_correlate.h - what a DNS response means for mail security: the
 * records it teaches the expectation store (MX sets, MX host addresses,
 * TLSA RRsets, MTA-STS TXT ids, each with how far it can be trusted),
 * and the detections decided on DNS alone: mx-redirect (an answer that
 * contradicts a validated MX set or MTA-STS mx patterns), tlsa-stripped,
 * mta-sts-stripped, dnssec-stripped and dnssec-bogus.
 */
#ifndef MX_DNS_CORRELATE_H
#define MX_DNS_CORRELATE_H

#include "correlate/correlate.h"
#include "dns.h"

/* How the sensor judged a response, for its dns record. */
struct dns_verdict {
	const char *status; /* "secure", "bogus", "insecure", "indeterminate", "unsigned" */
	char reason[96];    /* why bogus/indeterminate; may be empty */
	enum expect_trust trust;
};

/*
 * Entry point: takes in one DNS response seen on flow f (the server side
 * answered). matched says a query was seen for it, query_do whether that
 * query set the DO bit. The alerts it decides are appended to out, whose
 * records the caller writes (app/alert_out.h). Fills *v; v->status points
 * to a constant string. Locks, in this fixed order and never nested: the
 * validator's lock alone for the signature checks, released, then the
 * stage's lock once to store and judge what they proved (the two are
 * only held together by correlate_lock, stage first).
 */
void dns_correlate_response(struct correlate *c, const struct corr_ends *f,
			    const struct dns_message *m, bool matched, bool query_do,
			    uint64_t ts_us, struct dns_verdict *v, struct alert_list *out);

/* What the DNS session remembers of one query and its first answer. */
struct dns_query_facts {
	uint64_t query_ts_us;  /* when the query was seen */
	bool answered;	       /* a first response was seen */
	uint64_t answer_ts_us; /* when */
	uint64_t answer_hash;  /* digest of what it said: rcode and answer records */
	uint16_t answer_rcode;
	bool raced; /* dns-answer-race was judged for this query already */
};

/*
 * Entry point: response m (its digest hash, as answer_hash in q) to a
 * query whose first answer q describes. The first response is only
 * remembered in q. A later one that says something else within
 * race_window_ms of the first is dns-answer-race (once per query; an
 * identical repeat, or a late one, which is a resolver retry, is none):
 * q->raced is set, the alert decided into out, and true returned.
 */
bool dns_correlate_race(struct correlate *c, const struct corr_ends *f, const struct dns_message *m,
			uint64_t hash, struct dns_query_facts *q, uint64_t ts_us,
			struct alert_list *out);

/* Entry point: true when name is a known MX host (from DNS answers or policies). */
bool dns_correlate_is_mx_host(struct correlate *c, const char *name, uint64_t ts_us);

/* The kept-for-revalidation answers the correlate stage owns. */
struct dns_retry;
struct dns_retry *dns_retry_new(void);
void dns_retry_free(struct dns_retry *r);
/* Drops every kept response (a new timeline); the counters stay. */
void dns_retry_clear(struct dns_retry *r);
/* Counter table of a struct dns_retry (dnssec.retry_*). */
const struct mx_counter_desc *dns_retry_counter_desc(void);

#endif
