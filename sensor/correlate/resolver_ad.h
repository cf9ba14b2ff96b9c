/*
 * resolver_ad.h - what the sending MTA's resolver vouched for: the trust
 * decision for a response's AD bit (dnssec.trust-ad, trusted-resolvers),
 * and the table of resolver-AD observations (this resolver answered for
 * this zone with AD=1, when first and last, how often), kept so that an
 * answer without AD for such a zone can be recognised as a downgrade.
 *
 * The table is bounded (a fixed number of entries; the one with the
 * oldest AD answer is evicted, counted) and ages by packet time. It is
 * one flat table with an insert and an iterator so a state store can
 * save and load it; it has no lock of its own (the correlate stage's
 * lock covers it).
 */
#ifndef MX_RESOLVER_AD_H
#define MX_RESOLVER_AD_H

#include "util/addr_prefix.h"
#include "util/common.h"

#define RESOLVER_AD_ZONE_MAX 256

/* Why a response's AD bit does or does not count. */
enum resolver_ad_verdict {
	RESOLVER_AD_COUNTS,	/* AD=1 is taken as validated */
	RESOLVER_AD_OFF,	/* dnssec.trust-ad: false */
	RESOLVER_AD_NOT_LISTED, /* trusted-resolvers is set and does not hold it */
};

/*
 * The trust decision: with trust_ad off nothing counts; with a non-empty
 * list (n > 0) only resolvers inside one of its prefixes count; with an
 * empty list every resolver counts (the sending MTA believes its own).
 */
enum resolver_ad_verdict resolver_ad_decide(bool trust_ad, const struct mx_prefix *list, size_t n,
					    const struct mx_addr *resolver);

/* One observation: resolver answered for zone with AD=1. */
struct resolver_ad_obs {
	struct mx_addr resolver;
	char zone[RESOLVER_AD_ZONE_MAX]; /* lowercased, no trailing dot */
	uint64_t first_ad_us, last_ad_us;
	uint32_t ad_answers;
};

struct resolver_ad_counters {
	uint64_t entries, inserts, updates, evicted, expired;
};
extern const struct mx_counter_desc resolver_ad_counter_desc[];

struct resolver_ad_table;

/*
 * A table of at most max_entries observations, each forgotten max_age_s
 * seconds (packet time) after its last AD answer. NULL when out of memory.
 */
struct resolver_ad_table *resolver_ad_new(size_t max_entries, uint64_t max_age_s);
void resolver_ad_free(struct resolver_ad_table *t);
/* Forgets every observation (counters stay). */
void resolver_ad_clear(struct resolver_ad_table *t);

/* Records one AD=1 answer of resolver for zone at ts_us. */
void resolver_ad_note(struct resolver_ad_table *t, const struct mx_addr *resolver, const char *zone,
		      uint64_t ts_us);

/*
 * The observation of resolver for name or (walk set) its closest ancestor
 * zone that has one, still remembered at ts_us; NULL when none.
 */
const struct resolver_ad_obs *resolver_ad_find(struct resolver_ad_table *t,
					       const struct mx_addr *resolver, const char *name,
					       bool walk, uint64_t ts_us);

/*
 * Puts an observation back (a state store loading it): merged with one
 * of the same resolver and zone (earliest first, latest last, answers
 * added). False when it is malformed or the table cannot hold it.
 */
bool resolver_ad_insert(struct resolver_ad_table *t, const struct resolver_ad_obs *o);

/* Calls fn for every observation held, in no particular order. */
void resolver_ad_foreach(const struct resolver_ad_table *t,
			 void (*fn)(const struct resolver_ad_obs *o, void *arg), void *arg);

const struct resolver_ad_counters *resolver_ad_counters(const struct resolver_ad_table *t);

#endif
