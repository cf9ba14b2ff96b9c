/*
 * setup.c - configuration assembly and check; see setup.h.
 */
#include "run/setup.h"
#include "util/hash.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "correlate/kinds.h"
#include "dnssec/trust_anchor.h"
#include "output/redis_out.h"
#include "run/worker.h"

static void copy_text(char *dst, size_t len, const char *src)
{
	mx_strlcpy(dst, src, len);
}

/* A range list given on the command line replaces the file's. */
static void apply_netset(struct setup *s, struct mx_netset *dst, const char *list, const char *flag)
{
	struct mx_netset fresh = {0};
	char err[160];

	if (list == NULL)
		return;
	if (!mx_netset_add_list(&fresh, list, err, sizeof(err))) {
		mx_errors_add(&s->errs, "command line", 0, 0, "%s: %s", flag, err);
		return;
	}
	*dst = fresh;
}

/* Flags override what the file set. */
static bool apply_flags(struct setup *s, const struct cli_options *o)
{
	struct mx_config *c = &s->cfg;
	bool ok = true;

	if (o->n_inputs > 0) {
		config_clear_capture_files(c);
		for (size_t i = 0; i < o->n_inputs; i++)
			ok &= config_add_capture_file(c, o->inputs[i]);
		c->capture.interface[0] = '\0';
	}
	if (o->iface != NULL) {
		copy_text(c->capture.interface, sizeof(c->capture.interface), o->iface);
		config_clear_capture_files(c);
	}
	if (o->bpf != NULL)
		copy_text(c->capture.bpf, sizeof(c->capture.bpf), o->bpf);
	if (o->rules_dir != NULL)
		copy_text(c->rules_dir, sizeof(c->rules_dir), o->rules_dir);
	for (size_t i = 0; i < o->n_policy_files; i++)
		ok &= config_add_policy_file(c, o->policy_files[i]);
	if (o->log_dir != NULL)
		copy_text(c->log_dir, sizeof(c->log_dir), o->log_dir);
	if (o->eve_path != NULL) {
		/* -e replaces the file's outputs with one EVE output of every type. */
		memset(c->outputs, 0, sizeof(c->outputs));
		c->n_outputs = 1;
		c->outputs[0].type =
		    strcmp(o->eve_path, "-") == 0 ? MX_OUTPUT_STDOUT : MX_OUTPUT_EVE_FILE;
		copy_text(c->outputs[0].path, sizeof(c->outputs[0].path), o->eve_path);
		c->outputs[0].event_types = MX_EVT_ALL;
		c->outputs[0].append = true;
		c->outputs[0].filemode = 0640; /* the defaults of an output in the file */
		c->outputs[0].dns_version = 3;
	}
	if (o->trust_anchor != NULL)
		copy_text(c->trust_anchor_file, sizeof(c->trust_anchor_file), o->trust_anchor);
	if (o->user != NULL)
		copy_text(c->user, sizeof(c->user), o->user);
	if (o->group != NULL)
		copy_text(c->group, sizeof(c->group), o->group);
	if (o->pidfile != NULL)
		copy_text(c->pid_file, sizeof(c->pid_file), o->pidfile);
	if (o->state != NULL)
		copy_text(c->state, sizeof(c->state), o->state);
	if (o->all_traffic)
		c->capture.watch_all = true;
	if (o->redact)
		c->redact_local_parts = true;
	if (o->ca_file != NULL)
		mx_strlcpy(c->tls_ca_file, o->ca_file, sizeof(c->tls_ca_file));
	if (o->checksums != NULL)
		c->checksum_validation = strcmp(o->checksums, "all") == 0    ? MX_CSUM_YES
					 : strcmp(o->checksums, "none") == 0 ? MX_CSUM_NO
									     : MX_CSUM_AUTO;
	if (o->snaplen > 0)
		c->capture.snaplen = (uint32_t)o->snaplen;
	if (o->buffer_mib > 0)
		c->capture.buffer_mib = (uint32_t)o->buffer_mib;
	if (o->promisc >= 0)
		c->capture.promisc = o->promisc != 0;
	if (o->immediate >= 0)
		c->capture.immediate = o->immediate != 0;
	if (c->capture.interface[0] == '\0')
		/* Offline: one stats record at the end unless asked otherwise. */
		c->stats_interval_s = 0;
	if (o->stats_interval >= 0)
		c->stats_interval_s = (uint32_t)o->stats_interval;
	if (o->workers > 0)
		c->workers = (uint32_t)o->workers;
	if (o->summary != NULL)
		copy_text(c->summary_file, sizeof(c->summary_file), o->summary);
	apply_netset(s, &c->home_net, o->home_net, "--home-net");
	apply_netset(s, &c->mail_relays, o->mail_relays, "--mail-relays");
	if (!ok)
		mx_errors_add(&s->errs, "command line", 0, 0, "too many inputs or policy files");
	return ok;
}

static void check_trust_anchor(struct setup *s)
{
	char err[TRUST_ANCHOR_ERR_MAX];
	struct trust_anchors *ta;

	if (s->cfg.trust_anchor_file[0] == '\0')
		return;
	ta = trust_anchors_setup(s->cfg.trust_anchor_file, err, sizeof(err));
	if (ta == NULL)
		mx_errors_add(&s->errs, s->cfg.trust_anchor_file, 0, 0, "%s", err);
	trust_anchors_free(ta);
}

bool setup_load(struct setup *s, const struct cli_options *o)
{
	memset(s, 0, sizeof(*s));
	mx_errors_init(&s->errs);
	config_defaults(&s->cfg);
	ruleset_init(&s->rules);
	s->policies = policy_set_new();
	if (s->policies == NULL) {
		mx_errors_add(&s->errs, "mxsentry", 0, 0, "out of memory");
		return false;
	}
	/* 0 until the file or a flag sets it: then the default of the run's mode. */
	s->cfg.workers = 0;
	if (o->config != NULL)
		config_load_file(&s->cfg, o->config, &s->errs);
	apply_flags(s, o);
	s->live = s->cfg.capture.interface[0] != '\0';
	if (!s->live)
		mx_hash_use_fixed_keys(); /* replays of a capture give the same output */
	/* Live: one worker per online CPU unless told; offline runs use one thread. */
	if (s->cfg.workers == 0)
		s->cfg.workers = s->live ? worker_default_count() : 1;
	rules_load_builtin(&s->rules, &s->errs);
	if (s->cfg.rules_dir[0] != '\0')
		rules_load_dir(&s->rules, s->policies, s->cfg.rules_dir, &s->errs);
	for (size_t i = 0; i < s->cfg.n_policy_files; i++)
		policy_load_file(s->policies, s->cfg.policy_files[i], &s->errs);
	rules_finish(&s->rules, &s->errs);
	check_trust_anchor(s);
	if (!o->check_only && !s->live && s->cfg.capture.n_files == 0)
		mx_errors_add(
		    &s->errs, "command line", 0, 0,
		    "nothing to read: give -r FILE or -i IFACE (or capture: in the configuration)");
	return mx_errors_count(&s->errs) == 0;
}

void setup_free(struct setup *s)
{
	config_free(&s->cfg);
	ruleset_free(&s->rules);
	policy_set_free(s->policies);
	s->policies = NULL;
}

void setup_capture_config(const struct setup *s, struct capture_config *cc, const char **paths)
{
	const struct mx_config_capture *c = &s->cfg.capture;

	capture_config_defaults(cc);
	for (size_t i = 0; i < c->n_files; i++)
		paths[i] = c->files[i];
	cc->paths = paths;
	cc->n_paths = c->n_files;
	cc->iface = c->interface[0] ? c->interface : NULL;
	cc->bpf = c->bpf[0] ? c->bpf : NULL;
	cc->watch_all = c->watch_all;
	cc->snaplen = (int)c->snaplen;
	cc->buffer_mib = (int)c->buffer_mib;
	cc->promisc = c->promisc;
	cc->immediate = c->immediate;
}

void setup_pipeline_config(const struct setup *s, struct pipeline_config *pc)
{
	const struct mx_config *c = &s->cfg;

	pipeline_config_defaults(pc);
	pc->flow.memcap = c->flow.memcap;
	pc->flow.hash_size = c->flow.hash_size;
	pc->flow.timeout_new_s = c->flow.timeout_new_s;
	pc->flow.timeout_est_s = c->flow.timeout_est_s;
	pc->flow.timeout_closed_s = c->flow.timeout_closed_s;
	pc->flow.timeout_udp_s = c->flow.timeout_udp_s;
	pc->stream.memcap = c->stream.memcap;
	pc->stream.stream_memcap = c->stream.stream_memcap;
	pc->stream.recent_window = c->stream.recent_window;
	pc->stream.max_segments = c->stream.max_segments;
	pc->decode.defrag_memcap = c->defrag.memcap;
	pc->decode.defrag_timeout_s = c->defrag.timeout_s;
	pc->decode.defrag_max_trains = c->defrag.max_trains;
	/* Said on stderr live, or offline on a terminal (as the summary is). */
	pc->decode.checksum_note = s->live || isatty(STDERR_FILENO);
	pc->decode.checksum = c->checksum_validation == MX_CSUM_YES  ? CHECKSUM_ALL
			      : c->checksum_validation == MX_CSUM_NO ? CHECKSUM_NONE
								     : CHECKSUM_AUTO;
	pc->app.tls_max_handshake = c->tls_handshake_buffer;
	pc->app.session_memcap = c->app.session_memcap;
	pc->app.ndpi_memcap = c->app.ndpi_memcap;
	pc->app.ndpi_max_pkts = c->app.ndpi_max_packets;
	pc->app.flow_records_no_data = c->app.flow_records_no_data;
	pc->app.redact_local_parts = c->redact_local_parts;
	pc->app.home_net = c->home_net;
	pc->app.mail_relays = c->mail_relays;
	pc->app.ndpi = true;
	pc->stats_interval_s = c->stats_interval_s;
}

/* A kind's history knobs, where its rule has them. */
static void history_knobs(const struct rule *r, struct history_knobs *h)
{
	if (r == NULL)
		return;
	if (r->history_min_sightings)
		h->min_sightings = r->history_min_sightings;
	if (r->history_max_age_s)
		h->max_age_s = r->history_max_age_s;
}

void setup_correlate_config(const struct setup *s, struct correlate_config *kc)
{
	const struct rule *stripped = rules_get(&s->rules, RULE_STARTTLS_STRIPPED);
	const struct rule *fallback = rules_get(&s->rules, RULE_TLS_FALLBACK_CLEARTEXT);
	const struct rule *version = rules_get(&s->rules, RULE_TLS_VERSION_DOWNGRADE);
	const struct rule *race = rules_get(&s->rules, RULE_DNS_ANSWER_RACE);

	correlate_config_defaults(kc);
	kc->trust_anchor_file = s->cfg.trust_anchor_file[0] ? s->cfg.trust_anchor_file : NULL;
	kc->dnssec_memcap = s->cfg.dns_cache_memcap;
	kc->ca_file = s->cfg.tls_ca_file[0] ? s->cfg.tls_ca_file : NULL;
	kc->ca_path = s->cfg.tls_ca_path[0] ? s->cfg.tls_ca_path : NULL;
	kc->expect.memcap = s->cfg.expect_memcap;
	kc->trust_ad = s->cfg.trust_ad;
	for (size_t i = 0; i < s->cfg.n_trusted_resolvers && i < CORRELATE_MAX_TRUSTED; i++)
		kc->trusted_resolvers[kc->n_trusted_resolvers++] = s->cfg.trusted_resolvers[i];
	history_knobs(stripped, &kc->starttls_history);
	history_knobs(version, &kc->version_history);
	history_knobs(rules_get(&s->rules, RULE_TLSA_STRIPPED), &kc->tlsa_history);
	history_knobs(rules_get(&s->rules, RULE_MTA_STS_STRIPPED), &kc->sts_history);
	/* The store keeps history as long as the longest-lived kind needs it. */
	kc->expect.history_s =
	    MX_MAX(MX_MAX(kc->starttls_history.max_age_s, kc->version_history.max_age_s),
		   MX_MAX(kc->tlsa_history.max_age_s, kc->sts_history.max_age_s));
	if (fallback != NULL && fallback->fallback_window_s)
		kc->fallback_window_s = fallback->fallback_window_s;
	if (version != NULL)
		kc->tls_version_floor = version->tls_version_floor;
	if (race != NULL && race->race_window_ms)
		kc->race_window_ms = race->race_window_ms;
}

static void redis_hook_push(void *ctx, const char *line, size_t len)
{
	redis_out_push(ctx, line, len);
}

static void redis_hook_drain(void *ctx)
{
	redis_out_drain(ctx);
}

static void redis_hook_close(void *ctx)
{
	redis_out_free(ctx);
}

/*
 * Opens a redis output on e. Offline, an unreachable server is an error
 * (the run would only fill the queue); live, the sensor starts and the
 * output keeps trying. A refused login is an error either way (*refused).
 */
static bool add_redis_output(const struct setup *s, const struct mx_output *o, struct eve *e,
			     bool *refused, char *err, size_t errlen)
{
	static const enum redis_mode modes[] = {[MX_REDIS_LIST] = REDIS_MODE_LIST,
						[MX_REDIS_CHANNEL] = REDIS_MODE_CHANNEL,
						[MX_REDIS_STREAM] = REDIS_MODE_STREAM};
	const struct mx_output_redis *c = &o->redis;
	struct redis_out_config rc;
	enum redis_open_result res;
	struct eve_hook hook;
	struct redis_out *r;

	memset(&rc, 0, sizeof(rc));
	if (!redis_target_parse(c->server, &rc.target, err, errlen)) {
		*refused = true;
		return false;
	}
	if (c->username[0])
		snprintf(rc.target.user, sizeof(rc.target.user), "%s", c->username);
	if (c->password[0])
		snprintf(rc.target.password, sizeof(rc.target.password), "%s", c->password);
	rc.mode = modes[c->mode];
	snprintf(rc.key, sizeof(rc.key), "%s", c->key);
	rc.memcap = c->memcap;
	rc.stream_maxlen = c->stream_maxlen;
	rc.batch = c->batch;
	rc.flush_timeout_ms = c->flush_timeout_ms;
	rc.timeout_ms = c->timeout_ms;
	rc.must_connect = !s->live;
	r = redis_out_new(&rc, &res, err, errlen);
	if (r == NULL) {
		*refused = res == REDIS_OPEN_REFUSED;
		return false;
	}
	hook = (struct eve_hook){redis_hook_push, redis_hook_drain, redis_hook_close, r};
	if (!eve_add_hook(e, &hook, o->event_types)) {
		redis_out_free(r);
		snprintf(err, errlen, "too many outputs");
		return false;
	}
	return true;
}

bool setup_outputs(const struct setup *s, struct eve *e, bool *refused, char *err, size_t errlen)
{
	*refused = false;
	for (size_t i = 0; i < s->cfg.n_outputs; i++) {
		const struct mx_output *o = &s->cfg.outputs[i];
		char path[CONFIG_PATH_MAX * 2 + 2];
		struct eve_output_opts opts = {o->event_types, o->append, o->filemode,
					       o->dns_version, o->type == MX_OUTPUT_FAST};

		switch (o->type) {
		case MX_OUTPUT_STDOUT:
			if (!eve_add_output(e, "-", &opts, err, errlen))
				return false;
			break;
		case MX_OUTPUT_SYSLOG:
			if (!eve_add_syslog(e, o->facility, o->event_types)) {
				snprintf(err, errlen, "too many outputs");
				return false;
			}
			break;
		case MX_OUTPUT_REDIS:
			if (!add_redis_output(s, o, e, refused, err, errlen))
				return false;
			break;
		case MX_OUTPUT_EVE_FILE:
		case MX_OUTPUT_FAST:
		default:
			if (o->path[0] == '/' || strcmp(o->path, "-") == 0)
				snprintf(path, sizeof(path), "%s", o->path);
			else
				snprintf(path, sizeof(path), "%s/%s", s->cfg.log_dir, o->path);
			if (!eve_add_output(e, path, &opts, err, errlen))
				return false;
			break;
		}
	}
	return true;
}

static enum alert_verdict threshold_filter(void *ctx, uint32_t sid, const struct alert_keys *keys,
					   uint64_t ts_us)
{
	struct thr_event ev = {sid, ts_us, keys->src, keys->dst, keys->domain, keys->mx_host};

	switch (threshold_check(ctx, &ev)) {
	case THR_SUPPRESSED:
		return ALERT_SUPPRESSED;
	case THR_DROPPED:
		return ALERT_RATE_LIMITED;
	default:
		return ALERT_PASS;
	}
}

struct threshold_ctx *setup_apply(struct setup *s, struct correlate *c)
{
	struct alert_ctx *a = correlate_alerts(c);
	struct threshold_ctx *t;

	for (int k = 0; k < KIND_COUNT; k++) {
		const struct rule *r = rules_get(&s->rules, (enum rule_kind)k);
		struct alert_rule ar;

		if (r == NULL)
			continue;
		memset(&ar, 0, sizeof(ar));
		ar.enabled = r->enabled;
		ar.sid = r->sid;
		ar.rev = r->rev;
		ar.severity = r->severity;
		/* The severity knobs count only for the kinds that have them. */
		if (k == KIND_STARTTLS_STRIPPED || k == KIND_TLS_VERSION_DOWNGRADE ||
		    k == KIND_TLSA_STRIPPED || k == KIND_MTA_STS_STRIPPED)
			ar.history_severity = r->history_severity;
		if (k == KIND_STARTTLS_REJECTED)
			ar.expected_severity = r->expected_severity;
		mx_strlcpy(ar.signature, r->signature, sizeof(ar.signature));
		mx_strlcpy(ar.category, r->category, sizeof(ar.category));
		alert_set_rule(a, (enum mx_kind)k, &ar);
	}
	correlate_set_policies(c, s->policies);
	s->policies = NULL;
	t = threshold_ctx_new(&s->rules.thr, s->cfg.threshold_table_size);
	if (t != NULL)
		alert_set_filter(a, threshold_filter, t);
	return t;
}
