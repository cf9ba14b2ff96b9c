/*
 * dnssec_judge.h - how far a DNS response can be trusted: the passive
 * validator learns the keys in it, then its answer RRsets are validated
 * (or its denial of existence checked) at packet time; where that cannot
 * decide, an AD=1 answer counts as validated when correlate_ad_verdict
 * says so (trust resolver-ad), never over a signature the sensor found
 * bogus. Raises dnssec-bogus (a
 * signature or denial fails against validated keys) and dnssec-stripped
 * (a DO query to a zone known to be signed answered without signatures
 * or without denial records).
 */
#ifndef MX_DNSSEC_JUDGE_H
#define MX_DNSSEC_JUDGE_H

#include "correlate/correlate_locked.h"
#include "dnssec/dnssec.h"
#include "dns.h"

/* An alert the signature checks found, raised later under the stage's lock. */
struct dnssec_pending {
	enum mx_kind kind; /* dnssec-bogus or dnssec-stripped */
	struct dnssec_result r;
	const char *what; /* a constant string */
	char owner[DNS_NAME_STR_MAX];
	uint16_t type;
};

#define JUDGE_MAX_PENDING 2

struct dnssec_judgement {
	const char *status;	 /* "secure", "bogus", "insecure", "indeterminate", "no-proof" */
	char reason[96];	 /* validator reason, "" when none */
	enum expect_trust trust; /* what the answer's records may be trusted as */
	bool denial_secure;	 /* NXDOMAIN/NODATA proven (DNSSEC or trusted AD) */
	/* A denial without proof from a zone known to be signed, to a DO query:
	   dnssec-stripped unless a more specific kind (tlsa-stripped,
	   mta-sts-stripped) covers it; see dnssec_judge_stripped(). */
	bool denial_stripped;
	char signed_zone[256];
	bool bogus;	      /* the sensor's own validation failed: AD is not believed */
	bool stripped_raised; /* dnssec-stripped was raised for the answer already */
	bool ad_counts;	      /* the response had AD=1 and its resolver's AD counts */
	/* trust is resolver-ad because the keys the sensor checked the
	   signature with rest on a resolver's AD bit: that resolver */
	bool vouched;
	struct mx_addr voucher;
	enum resolver_ad_verdict ad_verdict; /* for an AD=1 response: why it counts or not */
	/* dnssec-bogus and dnssec-stripped found by the checks, not raised yet */
	struct dnssec_pending pending[JUDGE_MAX_PENDING];
	size_t npending;
};

/*
 * Judges response m seen from the ends f; query_do: the matching query
 * set DO. The alerts the checks find are left in j->pending (see
 * dnssec_judge_raise). f may be NULL (a re-validation of a kept
 * response). Runs under the validator's lock (correlate_validator_enter)
 * and not the stage's: called only by dns_correlate.c's entry point.
 */
void dnssec_judge_response(struct corr_vlocked *c, const struct corr_ends *f,
			   const struct dns_message *m, bool query_do, uint64_t ts_us,
			   struct dnssec_judgement *j);

/*
 * Raises the alerts j->pending holds for response m seen from the ends
 * f. Runs under the stage's lock: called only by dns_correlate.c's entry
 * point, never takes it.
 */
void dnssec_judge_raise(struct corr_locked *c, const struct corr_ends *f,
			const struct dns_message *m, const struct dnssec_judgement *j,
			uint64_t ts_us);

/*
 * Raises dnssec-stripped for a response whose judgement says
 * denial_stripped. Runs under the stage's lock, as above.
 */
void dnssec_judge_stripped(struct corr_locked *c, const struct corr_ends *f,
			   const struct dns_message *m, const struct dnssec_judgement *j,
			   uint64_t ts_us);

#endif
