/*
 * correlate.h - the correlate stage: owns the expectation store, the
 * policies, the DNSSEC validator and the alert context, and holds the
 * knobs of the detections that compare what happened with what should
 * have happened.
 *
 * Threads: one correlate stage serves every worker. Its state (store,
 * policies, alert context with its filter and incidents, tally,
 * counters) is guarded by one plain (not recursive) mutex. Each entry
 * point the sessions call (mail_correlate_*, dns_correlate_*,
 * correlate_raise, correlate_tally_add, correlate_forget and the
 * correlate_state.h entry points) takes it exactly once. That internal
 * functions cannot take it holds by type: the mutexes live in
 * correlate.c only; an entry point gets a locked view of the state
 * (struct corr_locked, correlate_locked.h, for the files of this folder)
 * from correlate_enter, and every function behind it is given that view,
 * never the struct correlate, and nothing reached from the view leads
 * back to it or to a lock. The DNSSEC validator and the DNS responses
 * kept for re-validation have a lock of their own with a view of its own
 * (struct corr_vlocked): signatures are checked under it alone
 * (dns_correlate_response checks them first, releases it, then takes the
 * stage's lock to store what they proved and raise what they disproved).
 * The two are only held together stage first (correlate_lock), never the
 * other way round. Whoever replaces rules, filter or policies, reads the
 * counters or reaches the validator from outside while workers run takes
 * both with correlate_lock and uses the accessors below. Alerts are
 * decided under the lock and handed back as requests (alert.h) in a list
 * the caller owns; the caller writes their EVE records (app/alert_out.h)
 * after the entry point returned, so no EVE, syslog or Redis output is
 * written under the lock. The configuration (correlate_config) never
 * changes after correlate_new and is read without the lock.
 */
#ifndef MX_CORRELATE_H
#define MX_CORRELATE_H

#include "correlate/alert.h"
#include "util/addr_prefix.h"
#include "util/common.h"
#include "correlate/expect.h"
#include "correlate/tally.h"
#include "correlate/resolver_ad.h"

#define CORRELATE_MAX_TRUSTED 64

struct correlate_config {
	struct expect_config expect;
	/* Whether an AD=1 answer counts as validated (dnssec.trust-ad). */
	bool trust_ad;
	/* When any are listed (here or in a policy file), only these
	   resolvers' AD bits count (trusted-resolvers). */
	struct mx_prefix trusted_resolvers[CORRELATE_MAX_TRUSTED];
	size_t n_trusted_resolvers;
	/* Resolver-AD observations held (resolver and zone pairs). */
	size_t resolver_ad_max;
	/* What makes a history expectation, per kind: how many sightings, and
	   how old the last of them may be (seconds of packet time). */
	struct history_knobs {
		uint32_t min_sightings;
		uint64_t max_age_s;
	} starttls_history, version_history, tlsa_history, sts_history;
	/* Seconds after a failed TLS attempt in which cleartext mail is a fallback. */
	uint32_t fallback_window_s;
	/* Lowest acceptable TLS version (wire value, 0x0303 = TLS 1.2); 0 = none. */
	uint16_t tls_version_floor;
	/* DS/DNSKEY trust anchors replacing the IANA root KSKs; NULL: the root. */
	const char *trust_anchor_file;
	size_t dnssec_memcap;
	/* Two different answers to one query within this many ms are a race. */
	uint32_t race_window_ms;
	/* Trusted roots for MTA-STS (PEM file, hashed directory); both NULL:
	   the system store. */
	const char *ca_file, *ca_path;
};

void correlate_config_defaults(struct correlate_config *cfg);

/*
 * A session's two ends as correlate sees them: a copy of its flow's
 * addresses and ports (the client is cli), never the flow itself.
 */
struct corr_ends {
	struct mx_addr cli, srv;
	uint16_t cport, sport;
	uint64_t flow_id;
};

struct correlate;
struct policy;
struct policy_set;
struct dnssec_validator;
struct dns_retry;
struct pkix_store;

/* NULL with a message in err (bad trust anchor file, out of memory). */
struct correlate *correlate_new(const struct correlate_config *cfg, char *err, size_t errlen);
void correlate_free(struct correlate *c);

/*
 * The stage's lock and then the validator's, for code outside the stage
 * that reads counters or replaces rules, filter or policies while
 * workers run. Never called with either held (they are not recursive).
 */
void correlate_lock(struct correlate *c);
void correlate_unlock(struct correlate *c);

/*
 * Entry point: decides an alert the session found on its own (see
 * alert_decide); its request goes into out. True when it was decided.
 */
bool correlate_raise(struct correlate *c, enum mx_kind k, uint64_t ts_us, int dir,
		     const char *app_proto, const struct alert_keys *keys,
		     const struct alert_expectation *exp, alert_evidence_fn evidence,
		     const void *arg, struct alert_list *out);

/* Entry point: tally_add on the stage's tally. */
void correlate_tally_add(struct correlate *c, const struct mx_addr *server, const char *domain,
			 bool tls, bool cleartext_mail, enum verdict dane, enum verdict sts);

const struct correlate_config *correlate_config(const struct correlate *c);
struct alert_ctx *correlate_alerts(struct correlate *c);
struct expect_store *correlate_expect(struct correlate *c);

/*
 * Installs the policy set (taken over, freed with the correlate stage or
 * when replaced) and adds its trusted resolvers.
 */
void correlate_set_policies(struct correlate *c, struct policy_set *set);

/* correlate_state.c's link to the state store (freed with c). */
struct correlate_state_link;

/* Session counts for the offline summary. */
struct tally *correlate_tally(struct correlate *c);

/* The stage's counter tables (read them under the lock while workers run). */
size_t correlate_stats_sources(struct correlate *c, struct stats_source *out, size_t max);

/*
 * Whether an AD=1 answer from resolver addr counts as validated, and if
 * not why (resolver_ad_decide over the configured and the policy files'
 * trusted resolvers).
 */
enum resolver_ad_verdict correlate_ad_verdict(const struct correlate *c,
					      const struct mx_addr *addr);

/* The resolver-AD observations (see resolver_ad.h); under the lock. */
struct resolver_ad_table *correlate_resolver_ad(struct correlate *c);

/*
 * What the sensor could not judge, for the end summary and the stats
 * record: DNS answers that would carry an expectation (MX, A/AAAA, TLSA,
 * _mta-sts TXT) left unvalidated, by why, and SMTP sessions whose DANE
 * verdict could not be reached.
 */
struct blind_counters {
	uint64_t dns_keys_unknown; /* signed, the signer's keys never seen, no usable AD */
	uint64_t dns_no_ad;	   /* unsigned or without RRSIGs, and without AD */
	uint64_t dns_ad_off;	   /* AD=1 but dnssec.trust-ad is false */
	uint64_t dns_ad_untrusted; /* AD=1 from a resolver not in trusted-resolvers */
	uint64_t dane_tls13;	   /* DANE expected, certificate encrypted (TLS 1.3) */
	uint64_t dane_no_cert;	   /* DANE expected, TLS <= 1.2 without a Certificate
				      message (resumed session, handshake not captured) */
	uint64_t smtp_unknown_mx;  /* port 25 sessions to a server no DNS answer or policy named */
};
extern const struct mx_counter_desc blind_counter_desc[];
/* The stage's blind-spot counters (update them under the lock). */
struct blind_counters *correlate_blind(struct correlate *c);

/*
 * Starts a new timeline: forgets every expectation, the server history,
 * the DNSSEC cache, the kept DNS responses and the resolver-AD
 * observations (counters stay). Policies, rules and trust anchors stay.
 */
void correlate_forget(struct correlate *c);

#endif
