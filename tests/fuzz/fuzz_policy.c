/*
 * fuzz_policy.c - libFuzzer target for the policy loader. The input is read
 * as a YAML (or JSON) policy document, then every lookup is run over what
 * was loaded; the same bytes are also fed to the RFC 8461 policy body
 * parser and to the rules and configuration loaders, which share the YAML
 * document loader. No file is ever opened (mta-sts-file is refused).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/config.h"
#include "correlate/policy.h"
#include "correlate/rules.h"
#include "correlate/threshold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mx_errors errs;

static void exercise_lookups(const struct policy_set *s)
{
	const struct policy_tlsa *t[4];
	const struct policy_host *h[4];
	struct policy_addr_ref refs[4];

	for (size_t i = 0; i < policy_set_count(s) && i < 16; i++) {
		const struct policy *p = policy_set_get(s, i);

		if (policy_find(s, p->domain) != p)
			__builtin_trap();
		(void)policy_mx_allowed(p, p->domain);
		for (size_t j = 0; j < p->n_tlsa && j < 4; j++)
			(void)policy_tlsa_for_host(s, p->tlsa[j].host, p->tlsa[j].port, t, 4);
		for (size_t j = 0; j < p->n_hosts && j < 4; j++) {
			(void)policy_hosts_for_name(s, p->hosts[j].host, h, 4);
			(void)policy_mx_allowed(p, p->hosts[j].host);
			for (size_t k = 0; k < p->hosts[j].n_addrs && k < 4; k++)
				(void)policy_refs_for_addr(s, &p->hosts[j].addrs[k], refs, 4);
		}
	}
}

static void exercise_rules(const char *text, size_t size)
{
	struct ruleset rs;
	struct threshold_ctx *ctx;
	struct mx_addr a;
	uint8_t v4[4] = {192, 0, 2, 1};

	ruleset_init(&rs);
	mx_errors_init(&errs);
	rules_load_buffer(&rs, "fuzz.yaml", text, size, &errs);
	rules_finish(&rs, &errs);
	ctx = threshold_ctx_new(&rs.thr, 16);
	if (ctx != NULL) {
		mx_addr_from_v4(&a, v4);
		for (uint32_t i = 0; i < 40; i++) {
			struct thr_event ev = {
			    i % 4 == 0 ? 0 : 9000000 + i % 20, (uint64_t)i * 7 * MX_USEC, &a, &a,
			    i % 3 ? "mx.example.test" : NULL,  "mx.example.test"};

			v4[3] = (uint8_t)i;
			mx_addr_from_v4(&a, v4);
			(void)threshold_check(ctx, &ev);
		}
		threshold_ctx_free(ctx);
	}
	ruleset_free(&rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct policy_set *s = policy_set_new();
	struct mx_config cfg;

	if (s == NULL)
		return 0;
	mx_errors_init(&errs);
	policy_load_buffer(s, "fuzz.yaml", text, size, NULL, &errs);
	exercise_lookups(s);
	mx_errors_init(&errs);
	policy_import_mta_sts_text(s, "fuzz.test", "fuzz.txt", text, size, &errs);
	exercise_lookups(s);
	policy_set_free(s);

	exercise_rules(text, size);

	config_defaults(&cfg);
	mx_errors_init(&errs);
	config_load_buffer(&cfg, "fuzz.yaml", text, size, &errs);
	config_free(&cfg);
	return 0;
}
