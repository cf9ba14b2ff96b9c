/*
 * correlate.c - construction and ownership of the correlate stage's
 * parts; the detections live beside the sessions that feed them.
 */
#include "correlate.h"

#include "dns_correlate.h"
#include "dnssec.h"
#include "pipeline.h"
#include "policy.h"
#include "trust_anchor.h"

#include <stdlib.h>
#include <string.h>

struct correlate {
	struct correlate_config cfg;
	struct alert_ctx *alerts;
	struct expect_store *expect;
	struct policy_set *policies;
	struct dnssec_validator *dnssec;
	struct dns_retry *retry;
	struct tally tally;
};

void correlate_config_defaults(struct correlate_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	expect_config_defaults(&cfg->expect);
	cfg->starttls_history_min = 3;
	cfg->fallback_window_s = 600;
	cfg->tls_version_floor = 0;
	cfg->trust_anchor_file = NULL;
	cfg->dnssec_memcap = 16u << 20;
	cfg->race_window_ms = 2000;
}

struct correlate *correlate_new(const struct correlate_config *cfg, struct eve *eve, char *err,
				size_t errlen)
{
	struct correlate *c = calloc(1, sizeof(*c));
	struct trust_anchors *ta;
	struct dnssec_config dcfg;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->cfg.trust_anchor_file = NULL;
	ta = trust_anchors_setup(cfg->trust_anchor_file, err, errlen);
	if (ta == NULL) {
		free(c);
		return NULL;
	}
	dnssec_config_defaults(&dcfg);
	dcfg.memcap = cfg->dnssec_memcap;
	c->dnssec = dnssec_new(ta, &dcfg);
	trust_anchors_free(ta);
	c->alerts = alert_ctx_new(eve);
	c->expect = expect_new(&cfg->expect);
	c->policies = policy_set_new();
	c->retry = dns_retry_new();
	if (c->alerts == NULL || c->expect == NULL || c->policies == NULL || c->dnssec == NULL ||
	    c->retry == NULL) {
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
	free(c);
}

const struct correlate_config *correlate_config(const struct correlate *c)
{
	return &c->cfg;
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

void correlate_add_stats_sources(struct correlate *c, struct pipeline *p)
{
	pipeline_add_stats_source(p, alert_counters(c->alerts), alert_counter_desc);
	pipeline_add_stats_source(p, expect_counters(c->expect), expect_counter_desc);
	pipeline_add_stats_source(p, dnssec_counters(c->dnssec), dnssec_counter_desc);
	pipeline_add_stats_source(p, c->retry, dns_retry_counter_desc());
}

struct tally *correlate_tally(struct correlate *c)
{
	return &c->tally;
}

bool correlate_resolver_trusted(const struct correlate *c, const struct mx_addr *addr)
{
	for (size_t i = 0; i < c->cfg.n_trusted_resolvers; i++)
		if (mx_addr_cmp(&c->cfg.trusted_resolvers[i], addr) == 0)
			return true;
	return policy_is_trusted_resolver(c->policies, addr);
}
