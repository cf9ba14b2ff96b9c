/*
 * correlate.c - construction and ownership of the correlate stage's
 * parts, its two locks and the locked views (correlate_locked.h); the
 * detections live beside the sessions that feed them.
 */
#include "correlate/correlate.h"
#include "correlate/correlate_locked.h"

#include "correlate/dns_correlate.h"
#include "correlate/pkix.h"
#include "dnssec/dnssec.h"
#include "correlate/policy.h"
#include "dnssec/trust_anchor.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What the stage's lock guards (correlate_locked.h). */
struct corr_locked {
	struct alert_list *out; /* the running entry point's requests; NULL: none */
	struct correlate_config cfg;
	struct alert_ctx *alerts;
	struct expect_store *expect;
	struct policy_set *policies;
	struct resolver_ad_table *resolver_ad;
	/* The configured trusted resolvers, then the policy files' ones
	   (changed only with both locks held). */
	struct mx_prefix ad_list[CORRELATE_MAX_TRUSTED * 2];
	size_t n_ad_list;
	struct blind_counters blind;
	struct pkix_store *pkix;
	struct tally tally;
	struct correlate_state_link *state; /* correlate_state.c; NULL without --state */
};

/* What the validator's lock guards (correlate_locked.h). */
struct corr_vlocked {
	struct dnssec_validator *dnssec;
	struct dns_retry *retry;
	/* configuration and AD list, read only (they change under both locks) */
	const struct corr_locked *stage;
};

/* The mutexes live here only: a view never leads back to them. */
struct correlate {
	pthread_mutex_t lock;  /* plain; taken once per entry point, see correlate.h */
	pthread_mutex_t vlock; /* the validator's own lock (see correlate.h) */
	struct corr_locked st;
	struct corr_vlocked vs;
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
static void build_ad_list(struct corr_locked *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->cfg.n_trusted_resolvers && n < MX_ARRAY_LEN(l->ad_list); i++)
		l->ad_list[n++] = l->cfg.trusted_resolvers[i];
	for (size_t i = 0; l->policies != NULL && i < policy_trusted_resolver_count(l->policies) &&
			   n < MX_ARRAY_LEN(l->ad_list);
	     i++) {
		l->ad_list[n].addr = *policy_trusted_resolver(l->policies, i);
		l->ad_list[n++].bits = 128;
	}
	l->n_ad_list = n;
}

struct correlate *correlate_new(const struct correlate_config *cfg, char *err, size_t errlen)
{
	struct correlate *c = calloc(1, sizeof(*c));
	struct corr_locked *l;
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
	l = &c->st;
	c->vs.stage = l;
	l->cfg = *cfg;
	l->cfg.trust_anchor_file = NULL;
	l->cfg.ca_file = l->cfg.ca_path = NULL;
	l->pkix = pkix_store_new(cfg->ca_file, cfg->ca_path, err, errlen);
	if (l->pkix == NULL) {
		pthread_mutex_destroy(&c->vlock);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	ta = trust_anchors_setup(cfg->trust_anchor_file, err, errlen);
	if (ta == NULL) {
		pkix_store_free(l->pkix);
		pthread_mutex_destroy(&c->vlock);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	dnssec_config_defaults(&dcfg);
	dcfg.memcap = cfg->dnssec_memcap;
	c->vs.dnssec = dnssec_new(ta, &dcfg);
	trust_anchors_free(ta);
	l->alerts = alert_ctx_new();
	l->expect = expect_new(&cfg->expect);
	l->policies = policy_set_new();
	c->vs.retry = dns_retry_new();
	l->resolver_ad =
	    resolver_ad_new(cfg->resolver_ad_max ? cfg->resolver_ad_max : 1, cfg->expect.history_s);
	if (l->cfg.n_trusted_resolvers > CORRELATE_MAX_TRUSTED)
		l->cfg.n_trusted_resolvers = CORRELATE_MAX_TRUSTED;
	build_ad_list(l);
	if (l->alerts == NULL || l->expect == NULL || l->policies == NULL || c->vs.dnssec == NULL ||
	    c->vs.retry == NULL || l->resolver_ad == NULL) {
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
	alert_ctx_free(c->st.alerts);
	expect_free(c->st.expect);
	policy_set_free(c->st.policies);
	dnssec_free(c->vs.dnssec);
	dns_retry_free(c->vs.retry);
	free(c->st.state);
	resolver_ad_free(c->st.resolver_ad);
	pkix_store_free(c->st.pkix);
	pthread_mutex_destroy(&c->vlock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct corr_locked *correlate_enter(struct correlate *c, struct alert_list *out)
{
	pthread_mutex_lock(&c->lock);
	c->st.out = out;
	return &c->st;
}

void correlate_leave(struct correlate *c)
{
	c->st.out = NULL;
	pthread_mutex_unlock(&c->lock);
}

struct corr_vlocked *correlate_validator_enter(struct correlate *c)
{
	pthread_mutex_lock(&c->vlock);
	return &c->vs;
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

bool corr_decide(struct corr_locked *l, enum mx_kind k, uint64_t ts_us, int dir,
		 const char *app_proto, const struct alert_keys *keys,
		 const struct alert_expectation *exp, alert_evidence_fn evidence, const void *arg)
{
	return alert_decide(l->alerts, l->out, k, ts_us, dir, app_proto, keys, exp, evidence, arg);
}

bool correlate_raise(struct correlate *c, enum mx_kind k, uint64_t ts_us, int dir,
		     const char *app_proto, const struct alert_keys *keys,
		     const struct alert_expectation *exp, alert_evidence_fn evidence,
		     const void *arg, struct alert_list *out)
{
	struct corr_locked *l = correlate_enter(c, out);
	bool decided = corr_decide(l, k, ts_us, dir, app_proto, keys, exp, evidence, arg);

	correlate_leave(c);
	return decided;
}

void correlate_tally_add(struct correlate *c, const struct mx_addr *server, const char *domain,
			 bool tls, bool cleartext_mail, enum verdict dane, enum verdict sts)
{
	struct corr_locked *l = correlate_enter(c, NULL);

	tally_add(&l->tally, server, domain, tls, cleartext_mail, dane, sts);
	correlate_leave(c);
}

const struct correlate_config *correlate_config(const struct correlate *c)
{
	return &c->st.cfg;
}

struct alert_ctx *correlate_alerts(struct correlate *c)
{
	return c->st.alerts;
}

struct expect_store *correlate_expect(struct correlate *c)
{
	return c->st.expect;
}

void correlate_set_policies(struct correlate *c, struct policy_set *set)
{
	policy_set_free(c->st.policies);
	c->st.policies = set;
	build_ad_list(&c->st);
}

size_t correlate_stats_sources(struct correlate *c, struct stats_source *out, size_t max)
{
	const struct stats_source all[] = {
	    {alert_counters(c->st.alerts), alert_counter_desc},
	    {expect_counters(c->st.expect), expect_counter_desc},
	    {dnssec_counters(c->vs.dnssec), dnssec_counter_desc},
	    {c->vs.retry, dns_retry_counter_desc()},
	    {resolver_ad_counters(c->st.resolver_ad), resolver_ad_counter_desc},
	    {&c->st.blind, blind_counter_desc},
	};
	size_t n = MX_MIN(max, MX_ARRAY_LEN(all));

	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

struct correlate_state_link **correlate_state_slot(struct correlate *c)
{
	return &c->st.state;
}

struct tally *correlate_tally(struct correlate *c)
{
	return &c->st.tally;
}

enum resolver_ad_verdict correlate_ad_verdict(const struct correlate *c, const struct mx_addr *addr)
{
	return corr_ad_verdict(&c->st, addr);
}

struct resolver_ad_table *correlate_resolver_ad(struct correlate *c)
{
	return c->st.resolver_ad;
}

struct blind_counters *correlate_blind(struct correlate *c)
{
	return &c->st.blind;
}

void correlate_forget(struct correlate *c)
{
	correlate_lock(c);
	expect_clear(c->st.expect);
	dnssec_forget(c->vs.dnssec);
	dns_retry_clear(c->vs.retry);
	resolver_ad_clear(c->st.resolver_ad);
	correlate_unlock(c);
}

/* ---- the locked views ---- */

const struct correlate_config *corr_config(const struct corr_locked *l)
{
	return &l->cfg;
}

struct expect_store *corr_expect(struct corr_locked *l)
{
	return l->expect;
}

const struct policy_set *corr_policies(const struct corr_locked *l)
{
	return l->policies;
}

const struct policy *corr_policy(const struct corr_locked *l, const char *domain)
{
	return policy_find(l->policies, domain);
}

struct blind_counters *corr_blind(struct corr_locked *l)
{
	return &l->blind;
}

struct resolver_ad_table *corr_resolver_ad(struct corr_locked *l)
{
	return l->resolver_ad;
}

enum resolver_ad_verdict corr_ad_verdict(const struct corr_locked *l, const struct mx_addr *addr)
{
	return resolver_ad_decide(l->cfg.trust_ad, l->ad_list, l->n_ad_list, addr);
}

const struct pkix_store *corr_pkix(const struct corr_locked *l)
{
	return l->pkix;
}

struct correlate_state_link **corr_state_slot(struct corr_locked *l)
{
	return &l->state;
}

const struct correlate_config *corr_v_config(const struct corr_vlocked *v)
{
	return &v->stage->cfg;
}

struct dnssec_validator *corr_v_dnssec(struct corr_vlocked *v)
{
	return v->dnssec;
}

struct dns_retry *corr_v_retry(struct corr_vlocked *v)
{
	return v->retry;
}

enum resolver_ad_verdict corr_v_ad_verdict(const struct corr_vlocked *v, const struct mx_addr *addr)
{
	return corr_ad_verdict(v->stage, addr);
}
