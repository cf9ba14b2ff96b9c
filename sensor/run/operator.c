/*
 * operator.c - build information, rule listing, check report and start-up
 * line; see operator.h.
 */
#include "run/operator.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include <ndpi/ndpi_api.h>
#include <openssl/crypto.h>
#include <pcap/pcap.h>
#include <sqlite3.h>
#include <string.h>
#include <yaml.h>
#include <zlib.h>

#include "dnssec/trust_anchor.h"
#include "run/worker.h"

static const char *build_flavour(void)
{
#if defined(__SANITIZE_THREAD__)
	return "ThreadSanitizer";
#elif defined(__SANITIZE_ADDRESS__)
	return "AddressSanitizer+UndefinedBehaviorSanitizer";
#elif defined(__OPTIMIZE__)
	return "release";
#else
	return "debug";
#endif
}

void operator_build_info(FILE *out, const char *version, const char *git_rev)
{
	fprintf(out, "version: %s\n", version);
	fprintf(out, "git-revision: %s\n", git_rev);
	fprintf(out, "build: %s\n", build_flavour());
	fprintf(out, "compiler: %s\n", __VERSION__);
	fprintf(out, "libpcap: %s\n", pcap_lib_version());
	fprintf(out, "nDPI: %s\n", ndpi_revision());
	fprintf(out, "ldns: %s (built with %s)\n", ldns_version(), LDNS_VERSION);
	fprintf(out, "libyaml: %s\n", yaml_get_version_string());
	fprintf(out, "OpenSSL: %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "jansson: %s\n", JANSSON_VERSION);
	fprintf(out, "zlib: %s\n", zlibVersion());
	fprintf(out, "SQLite: %s\n", sqlite3_libversion());
	fprintf(out, "hiredis: %d.%d.%d\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
	fprintf(out,
		"features: live capture (libpcap), pcap/pcapng/gzip input, nDPI classification, "
		"passive DNSSEC validation, DANE/MTA-STS policies, worker threads (up to %d), "
		"EVE file/stdout/syslog outputs, built-in rules (%d kinds)\n",
		WORKER_MAX, (int)RULE_KIND_COUNT);
}

/* The threshold that applies to sid: its own, else the sid 0 default. */
static const struct thr_rule *threshold_for(const struct threshold_set *t, uint32_t sid)
{
	const struct thr_rule *dflt = NULL;

	for (size_t i = 0; i < t->n_thr; i++) {
		if (t->thr[i].sid == sid)
			return &t->thr[i];
		if (t->thr[i].sid == 0)
			dflt = &t->thr[i];
	}
	return dflt;
}

void operator_list_rules(const struct ruleset *rs, FILE *out)
{
	fprintf(out, "# %-8s %-4s %-30s %-8s %-7s %s\n", "sid", "rev", "kind", "severity",
		"enabled", "threshold");
	for (int k = 0; k < RULE_KIND_COUNT; k++) {
		const struct rule *r = rules_get(rs, (enum rule_kind)k);
		const struct thr_rule *t;
		char thr[96];

		if (r == NULL || !r->defined)
			continue;
		t = threshold_for(&rs->thr, r->sid);
		if (t == NULL)
			snprintf(thr, sizeof(thr), "none");
		else
			snprintf(thr, sizeof(thr), "%s %s count %u seconds %u%s",
				 thr_type_name((enum thr_type)t->type),
				 thr_track_name((enum thr_track)t->track), t->count, t->seconds,
				 t->sid == 0 ? " (sid 0 default)" : "");
		fprintf(out, "%-10u %-4u %-30s %-8u %-7s %s\n", r->sid, r->rev,
			rule_kind_name((enum rule_kind)k), r->severity, r->enabled ? "yes" : "no",
			thr);
	}
}

const char *operator_live_filter(const struct setup *st)
{
	if (st->cfg.capture.watch_all)
		return "(none: --all-traffic)";
	return st->cfg.capture.bpf[0] ? st->cfg.capture.bpf : CAPTURE_DEFAULT_BPF;
}

static void put_outputs(const struct mx_config *c, FILE *out)
{
	for (size_t i = 0; i < c->n_outputs; i++) {
		const struct mx_output *o = &c->outputs[i];

		fprintf(out, "%s%s", i > 0 ? ", " : "", config_output_type_name(o->type));
		if ((o->type == MX_OUTPUT_EVE_FILE || o->type == MX_OUTPUT_FAST) &&
		    strcmp(o->path, "-") != 0)
			fprintf(out, " %s%s%s", o->path[0] == '/' ? "" : c->log_dir,
				o->path[0] == '/' ? "" : "/", o->path);
	}
	if (c->n_outputs == 0)
		fprintf(out, "none");
}

void operator_check_report(const struct setup *st, FILE *out)
{
	const struct ruleset *rs = &st->rules;
	const struct mx_config *c = &st->cfg;
	size_t total = 0, enabled = 0, n_anchors = 0, n_res;
	char err[TRUST_ANCHOR_ERR_MAX], addr[64];
	struct trust_anchors *ta;

	for (int k = 0; k < RULE_KIND_COUNT; k++) {
		const struct rule *r = rules_get(rs, (enum rule_kind)k);

		if (r != NULL && r->defined) {
			total++;
			enabled += r->enabled;
		}
	}
	fprintf(out, "rules: %zu enabled of %zu (built in%s%s), %zu thresholds, %zu suppressions\n",
		enabled, total, c->rules_dir[0] ? ", then " : "", c->rules_dir, rs->thr.n_thr,
		rs->thr.n_sup);
	fprintf(out, "policies: %zu (%zu policy files", policy_set_count(st->policies),
		c->n_policy_files);
	fprintf(out, "%s)\n", c->rules_dir[0] ? " and the rules directory" : "");
	ta = trust_anchors_setup(c->trust_anchor_file[0] ? c->trust_anchor_file : NULL, err,
				 sizeof(err));
	if (ta != NULL)
		n_anchors = trust_anchors_count(ta);
	trust_anchors_free(ta);
	fprintf(out, "trust anchors: %zu (%s)\n", n_anchors,
		c->trust_anchor_file[0] ? c->trust_anchor_file : "the built-in IANA root anchors");
	n_res = c->n_trusted_resolvers + policy_trusted_resolver_count(st->policies);
	fprintf(out, "trusted resolvers: %zu", n_res);
	for (size_t i = 0; i < c->n_trusted_resolvers; i++)
		fprintf(out, "%s%s", i ? ", " : " (",
			mx_prefix_str(&c->trusted_resolvers[i], addr, sizeof(addr)));
	for (size_t i = 0; i < policy_trusted_resolver_count(st->policies); i++)
		fprintf(out, "%s%s", i + c->n_trusted_resolvers ? ", " : " (",
			mx_addr_str(policy_trusted_resolver(st->policies, i), addr, sizeof(addr)));
	fprintf(out, "%s\n", n_res ? ")" : "");
	fprintf(out, "resolver AD bits: %s\n",
		!c->trust_ad ? "not believed (dnssec.trust-ad: false)"
		: n_res	     ? "believed from the trusted resolvers only"
			     : "believed from every resolver (trust resolver-ad)");
	fprintf(out, "live filter: %s\n", operator_live_filter(st));
	fprintf(out, "outputs: ");
	put_outputs(c, out);
	fputc('\n', out);
}

void operator_start_line(const struct setup *st, FILE *out)
{
	fprintf(out, "mxsentry: capturing on %s; filter: %s; workers: %u; outputs: ",
		st->cfg.capture.interface, operator_live_filter(st), st->cfg.workers);
	put_outputs(&st->cfg, out);
	fputc('\n', out);
}
