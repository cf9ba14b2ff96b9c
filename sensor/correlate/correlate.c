/*
 * correlate.c - construction and ownership of the correlate stage's
 * parts; the detections live beside the sessions that feed them.
 */
#include "correlate/correlate.h"

#include "correlate/dns_correlate.h"
#include "correlate/pkix.h"
#include "dnssec/dnssec.h"
#include "correlate/policy.h"
#include "dnssec/trust_anchor.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct correlate {
	pthread_mutex_t lock;	/* plain; taken once per entry point, see correlate.h */
	struct alert_list *out; /* the running entry point's requests; NULL: none */
	/* the validator's own lock: guards dnssec and retry (see correlate.h) */
	pthread_mutex_t vlock;
	struct correlate_config cfg;
	struct alert_ctx *alerts;
	struct expect_store *expect;
	struct policy_set *policies;
	struct dnssec_validator *dnssec;
	struct dns_retry *retry;
	struct resolver_ad_table *resolver_ad;
	/* The configured trusted resolvers, then the policy files' ones. */
	struct mx_prefix ad_list[CORRELATE_MAX_TRUSTED * 2];
	size_t n_ad_list;
	struct blind_counters blind;
	struct pkix_store *pkix;
	struct tally tally;
	struct correlate_state_link *state; /* correlate_state.c; NULL without --state */
};

const struct mx_counter_desc blind_counter_desc[] = {
    MX_COUNTER("blind.dns_keys_unknown", struct blind_counters, dns_keys_unknown),
    MX_COUNTER("blind.dns_no_ad", struct blind_counters, dns_no_ad),
    MX_COUNTER("blind.dns_ad_off", struct blind_counters, dns_ad_off),
    MX_COUNTER("blind.dns_ad_untrusted", struct blind_counters, dns_ad_untrusted),
    MX_COUNTER("blind.dane_tls13", struct blind_counters, dane_tls13),
    MX_COUNTER("blind.dane_no_cert", struct blind_counters, dane_no_cert),
    MX_COUNTER("blind.smtp_unknown_mx", struct blind_counters, smtp_unknown_mx),
    {NULL, 0},
};

void correlate_config_defaults(struct correlate_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	expect_config_defaults(&cfg->expect);
	cfg->starttls_history = (struct history_knobs){3, 30 * 86400};
	cfg->version_history = (struct history_knobs){3, 30 * 86400};
	cfg->tlsa_history = (struct history_knobs){1, 30 * 86400};
	cfg->sts_history = (struct history_knobs){1, 30 * 86400};
	cfg->fallback_window_s = 600;
	cfg->tls_version_floor = 0;
	cfg->trust_anchor_file = NULL;
	cfg->dnssec_memcap = 16u << 20;
	cfg->race_window_ms = 2000;
	cfg->trust_ad = true;
	cfg->resolver_ad_max = 4096;
}

/* The AD list: the configuration's prefixes, then the policy files' addresses. */
static void build_ad_list(struct correlate *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->cfg.n_trusted_resolvers && n < MX_ARRAY_LEN(c->ad_list); i++)
		c->ad_list[n++] = c->cfg.trusted_resolvers[i];
	for (size_t i = 0; c->policies != NULL && i < policy_trusted_resolver_count(c->policies) &&
			   n < MX_ARRAY_LEN(c->ad_list);
	     i++) {
		c->ad_list[n].addr = *policy_trusted_resolver(c->policies, i);
		c->ad_list[n++].bits = 128;
	}
	c->n_ad_list = n;
}

struct correlate *correlate_new(const struct correlate_config *cfg, char *err, size_t errlen)
{
	struct correlate *c = calloc(1, sizeof(*c));
	struct trust_anchors *ta;
	struct dnssec_config dcfg;

	if (c == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	if (pthread_mutex_init(&c->vlock, NULL) != 0) {
		snprintf(err, errlen, "out of memory");
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	c->cfg = *cfg;
	c->cfg.trust_anchor_file = NULL;
	c->cfg.ca_file = c->cfg.ca_path = NULL;
	c->pkix = pkix_store_new(cfg->ca_file, cfg->ca_path, err, errlen);
	if (c->pkix == NULL) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	ta = trust_anchors_setup(cfg->trust_anchor_file, err, errlen);
	if (ta == NULL) {
		pkix_store_free(c->pkix);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	dnssec_config_defaults(&dcfg);
	dcfg.memcap = cfg->dnssec_memcap;
	c->dnssec = dnssec_new(ta, &dcfg);
	trust_anchors_free(ta);
	c->alerts = alert_ctx_new();
	c->expect = expect_new(&cfg->expect);
	c->policies = policy_set_new();
	c->retry = dns_retry_new();
	c->resolver_ad =
	    resolver_ad_new(cfg->resolver_ad_max ? cfg->resolver_ad_max : 1, cfg->expect.history_s);
	if (c->cfg.n_trusted_resolvers > CORRELATE_MAX_TRUSTED)
		c->cfg.n_trusted_resolvers = CORRELATE_MAX_TRUSTED;
	build_ad_list(c);
	if (c->alerts == NULL || c->expect == NULL || c->policies == NULL || c->dnssec == NULL ||
	    c->retry == NULL || c->resolver_ad == NULL) {
		snprintf(err, errlen, "out of memory");
		correlate_free(c);
		return NULL;
	}
	return c;
}

void correlate_free(struct correlate *c)
{
	if (c == NULL)
		return;
	alert_ctx_free(c->alerts);
	expect_free(c->expect);
	policy_set_free(c->policies);
	dnssec_free(c->dnssec);
	dns_retry_free(c->retry);
	free(c->state);
	resolver_ad_free(c->resolver_ad);
	pkix_store_free(c->pkix);
	pthread_mutex_destroy(&c->vlock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void correlate_enter(struct correlate *c, struct alert_list *out)
{
	pthread_mutex_lock(&c->lock);
	c->out = out;
}

void correlate_leave(struct correlate *c)
{
	c->out = NULL;
	pthread_mutex_unlock(&c->lock);
}

void correlate_validator_enter(struct correlate *c)
{
	pthread_mutex_lock(&c->vlock);
}

void correlate_validator_leave(struct correlate *c)
{
	pthread_mutex_unlock(&c->vlock);
}

void correlate_lock(struct correlate *c)
{
	correlate_enter(c, NULL);
	correlate_validator_enter(c);
}

void correlate_unlock(struct correlate *c)
{
	correlate_validator_leave(c);
	correlate_leave(c);
}

bool correlate_decide(struct correlate *c, enum mx_kind k, uint64_t ts_us, int dir,
		      const char *app_proto, const struct alert_keys *keys,
		      const struct alert_expectation *exp, alert_evidence_fn evidence,
		      const void *arg)
{
	return alert_decide(c->alerts, c->out, k, ts_us, dir, app_proto, keys, exp, evidence, arg);
}

bool correlate_raise(struct correlate *c, enum mx_kind k, uint64_t ts_us, int dir,
		     const char *app_proto, const struct alert_keys *keys,
		     const struct alert_expectation *exp, alert_evidence_fn evidence,
		     const void *arg, struct alert_list *out)
{
	bool decided;

	correlate_enter(c, out);
	decided = correlate_decide(c, k, ts_us, dir, app_proto, keys, exp, evidence, arg);
	correlate_leave(c);
	return decided;
}

void correlate_tally_add(struct correlate *c, const struct mx_addr *server, const char *domain,
			 bool tls, bool cleartext_mail, enum verdict dane, enum verdict sts)
{
	correlate_enter(c, NULL);
	tally_add(&c->tally, server, domain, tls, cleartext_mail, dane, sts);
	correlate_leave(c);
}

const struct correlate_config *correlate_config(const struct correlate *c)
{
	return &c->cfg;
}

const struct pkix_store *correlate_pkix(const struct correlate *c)
{
	return c->pkix;
}

struct alert_ctx *correlate_alerts(struct correlate *c)
{
	return c->alerts;
}

struct expect_store *correlate_expect(struct correlate *c)
{
	return c->expect;
}

void correlate_set_policies(struct correlate *c, struct policy_set *set)
{
	policy_set_free(c->policies);
	c->policies = set;
	build_ad_list(c);
}

const struct policy_set *correlate_policies(const struct correlate *c)
{
	return c->policies;
}

const struct policy *correlate_policy(const struct correlate *c, const char *domain)
{
	return policy_find(c->policies, domain);
}

struct dnssec_validator *correlate_dnssec(struct correlate *c)
{
	return c->dnssec;
}

struct dns_retry *correlate_dns_retry(struct correlate *c)
{
	return c->retry;
}

size_t correlate_stats_sources(struct correlate *c, struct stats_source *out, size_t max)
{
	const struct stats_source all[] = {
	    {alert_counters(c->alerts), alert_counter_desc},
	    {expect_counters(c->expect), expect_counter_desc},
	    {dnssec_counters(c->dnssec), dnssec_counter_desc},
	    {c->retry, dns_retry_counter_desc()},
	    {resolver_ad_counters(c->resolver_ad), resolver_ad_counter_desc},
	    {&c->blind, blind_counter_desc},
	};
	size_t n = MX_MIN(max, MX_ARRAY_LEN(all));

	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

struct correlate_state_link **correlate_state_slot(struct correlate *c)
{
	return &c->state;
}

struct tally *correlate_tally(struct correlate *c)
{
	return &c->tally;
}

enum resolver_ad_verdict correlate_ad_verdict(const struct correlate *c, const struct mx_addr *addr)
{
	return resolver_ad_decide(c->cfg.trust_ad, c->ad_list, c->n_ad_list, addr);
}

struct resolver_ad_table *correlate_resolver_ad(struct correlate *c)
{
	return c->resolver_ad;
}

struct blind_counters *correlate_blind(struct correlate *c)
{
	return &c->blind;
}

void correlate_forget(struct correlate *c)
{
	correlate_lock(c);
	expect_clear(c->expect);
	dnssec_forget(c->dnssec);
	dns_retry_clear(c->retry);
	resolver_ad_clear(c->resolver_ad);
	correlate_unlock(c);
}
