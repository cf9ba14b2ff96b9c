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
#include "flow/flow.h"

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
 * to a constant string.
 */
void dns_correlate_response(struct correlate *c, struct flow *f, const struct dns_message *m,
			    bool matched, bool query_do, uint64_t ts_us, struct dns_verdict *v,
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
