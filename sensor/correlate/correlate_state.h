/*
 * correlate_state.h - the correlate stage's link to the persisted state
 * store (state/state.h): what the expectation store and the DNSSEC zone
 * cache learn is put to the store as facts (JSON values, one layout per
 * kind), and facts loaded at start or polled from other sensors are put
 * back into them. The in-memory stores stay the working set.
 *
 * correlate_attach_state, correlate_load_state, correlate_poll_state and
 * correlate_flush_state are entry points: they take the stage's lock
 * (and the validator's, after it, when they reach the DNSSEC cache)
 * themselves, so they are never called with correlate_lock held.
 * correlate_state_handler and correlate_state_put take no lock.
 */
#ifndef MX_CORRELATE_STATE_H
#define MX_CORRELATE_STATE_H

#include "correlate/correlate.h"
#include "state/state.h"

/*
 * Mirrors every later change of the stage's stores into st (NULL: stop).
 * st stays the caller's; it must outlive the link.
 */
void correlate_attach_state(struct correlate *c, struct state *st);

/*
 * Replays the facts of st into the stage's stores (oldest first) without
 * writing them back. Call it once at start, before traffic; a new capture
 * timeline starts empty and does not call it. False with err on a store
 * failure.
 */
bool correlate_load_state(struct correlate *c, struct state *st, char *err, size_t errlen);

/* Applies up to max facts other sensors stored (shared backends); how many. */
size_t correlate_poll_state(struct correlate *c, size_t max);

/* Puts the change the expectation store still holds back (end of input). */
void correlate_flush_state(struct correlate *c);

/*
 * Handles loaded or polled facts of a kind this file does not decode
 * (STATE_TLS_FAILURE is kept by the mail sessions): fn gets each such fact.
 */
void correlate_state_handler(struct correlate *c, enum state_kind kind, state_apply_fn fn,
			     void *arg);

/*
 * Entry point: puts a resolver-AD observation (correlate/resolver_ad.h)
 * to the attached store, if any; loading puts it back into the stage's
 * table. (The DNS detections, already under the lock, call
 * corr_state_put_resolver_ad.)
 */
struct resolver_ad_obs;
void correlate_state_put_resolver_ad(struct correlate *c, const struct resolver_ad_obs *o);

/* Puts one fact of the caller's own to the attached store, if any. */
void correlate_state_put(struct correlate *c, const struct state_fact *f);

#endif
