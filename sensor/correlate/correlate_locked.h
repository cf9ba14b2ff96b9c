/*
 * correlate_locked.h - for the files of sensor/correlate/ only: how an
 * entry point reaches the stage's state, and all that the functions
 * behind it get. correlate_enter takes the stage's lock and hands back
 * the locked view (struct corr_locked); correlate_validator_enter takes
 * the validator's lock and hands back its view (struct corr_vlocked).
 * The views are distinct opaque types that hold the state, not the
 * mutexes: nothing reached from a view leads back to the struct
 * correlate, so a function that is given only a view (every function
 * behind an entry point) cannot take or release a lock. Only entry
 * points, which are handed the struct correlate by their caller, call
 * correlate_enter/leave and correlate_validator_enter/leave, each pair
 * once per run, the stage's first when both are held.
 */
#ifndef MX_CORRELATE_LOCKED_H
#define MX_CORRELATE_LOCKED_H

#include "correlate/correlate.h"

/* What the stage's lock guards: store, policies, alerts, tally, counters. */
struct corr_locked;
/* What the validator's lock guards: the DNSSEC validator, the kept responses. */
struct corr_vlocked;

/*
 * Takes the stage's lock; the alerts decided until correlate_leave go to
 * out (NULL: decided, counted as dropped requests, not written).
 */
struct corr_locked *correlate_enter(struct correlate *c, struct alert_list *out);
void correlate_leave(struct correlate *c);

/*
 * Takes the validator's lock: without the stage's, or after it; never
 * the other way round.
 */
struct corr_vlocked *correlate_validator_enter(struct correlate *c);
void correlate_validator_leave(struct correlate *c);

/* The stage's state, through its locked view. */
const struct correlate_config *corr_config(const struct corr_locked *l);
struct expect_store *corr_expect(struct corr_locked *l);
const struct policy_set *corr_policies(const struct corr_locked *l);
const struct policy *corr_policy(const struct corr_locked *l, const char *domain);
struct blind_counters *corr_blind(struct corr_locked *l);
struct resolver_ad_table *corr_resolver_ad(struct corr_locked *l);
enum resolver_ad_verdict corr_ad_verdict(const struct corr_locked *l, const struct mx_addr *addr);
const struct pkix_store *corr_pkix(const struct corr_locked *l);
struct correlate_state_link **corr_state_slot(struct corr_locked *l);
/*
 * The same slot from the stage itself, for correlate_state.c's functions
 * that the caller runs with correlate_lock held or before workers run.
 */
struct correlate_state_link **correlate_state_slot(struct correlate *c);
/* alert_decide on the stage's alert context into the running entry point's list. */
bool corr_decide(struct corr_locked *l, enum mx_kind k, uint64_t ts_us, int dir,
		 const char *app_proto, const struct alert_keys *keys,
		 const struct alert_expectation *exp, alert_evidence_fn evidence, const void *arg);

/*
 * correlate_state.c: puts a resolver-AD observation (resolver_ad.h) to
 * the attached state store, if any; loading puts it back into the
 * stage's table.
 */
struct resolver_ad_obs;
void corr_state_put_resolver_ad(struct corr_locked *l, const struct resolver_ad_obs *o);

/* The validator's state, through its locked view. */
const struct correlate_config *corr_v_config(const struct corr_vlocked *v);
struct dnssec_validator *corr_v_dnssec(struct corr_vlocked *v);
struct dns_retry *corr_v_retry(struct corr_vlocked *v);
/* correlate_ad_verdict: the lists it reads change only under both locks. */
enum resolver_ad_verdict corr_v_ad_verdict(const struct corr_vlocked *v,
					   const struct mx_addr *addr);

#endif
