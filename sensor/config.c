/*
 * config.c - built-in defaults and the YAML configuration loader. Each
 * section has a small function that checks its keys, converts and range-
 * checks the values it finds, and leaves everything else alone.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

void config_defaults(struct mx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capture.snaplen = 65535;
	cfg->capture.buffer_mib = 32;
	cfg->capture.promisc = true;
	cfg->flow.memcap = 32ull << 20;
	cfg->flow.hash_size = 65536;
	cfg->flow.timeout_new_s = 30;
	cfg->flow.timeout_est_s = 600;
	cfg->flow.timeout_closed_s = 10;
	cfg->flow.timeout_udp_s = 30;
	cfg->stream.memcap = 64ull << 20;
	cfg->stream.stream_memcap = 256ull << 10;
	cfg->stream.recent_window = 4ull << 10;
	cfg->stream.max_segments = 256;
	cfg->defrag.memcap = 16ull << 20;
	cfg->defrag.timeout_s = 60;
	cfg->defrag.max_trains = 4096;
	cfg->dns_cache_memcap = 16ull << 20;
	cfg->app.session_memcap = 64ull << 20;
	cfg->app.ndpi_memcap = 16ull << 20;
	cfg->app.ndpi_max_packets = 8;
	cfg->expect_memcap = 32ull << 20;
	cfg->tls_handshake_buffer = 64ull << 10;
	cfg->threshold_table_size = 16384;
	cfg->n_outputs = 1;
	cfg->outputs[0].type = MX_OUTPUT_EVE_FILE;
	snprintf(cfg->outputs[0].path, sizeof(cfg->outputs[0].path), "eve.json");
	cfg->outputs[0].facility = LOG_LOCAL5;
	cfg->outputs[0].event_types = MX_EVT_ALL;
	cfg->outputs[0].append = true;
	cfg->stats_interval_s = 60;
	snprintf(cfg->log_dir, sizeof(cfg->log_dir), ".");
	cfg->workers = 1;
}

static void free_list(char ***list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

void config_free(struct mx_config *cfg)
{
	free_list(&cfg->capture.files, &cfg->capture.n_files);
	free_list(&cfg->policy_files, &cfg->n_policy_files);
	free(cfg->trusted_resolvers);
	cfg->trusted_resolvers = NULL;
	cfg->n_trusted_resolvers = 0;
}

static bool list_add(char ***list, size_t *n, const char *s)
{
	char **grown;
	char *copy;

	if (*n >= CONFIG_MAX_LIST)
		return false;
	copy = strdup(s);
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (copy == NULL || grown == NULL) {
		free(copy);
		if (grown != NULL)
			*list = grown;
		return false;
	}
	*list = grown;
	(*list)[(*n)++] = copy;
	return true;
}

bool config_add_capture_file(struct mx_config *cfg, const char *path)
{
	return list_add(&cfg->capture.files, &cfg->capture.n_files, path);
}

void config_clear_capture_files(struct mx_config *cfg)
{
	free_list(&cfg->capture.files, &cfg->capture.n_files);
}

bool config_add_policy_file(struct mx_config *cfg, const char *path)
{
	return list_add(&cfg->policy_files, &cfg->n_policy_files, path);
}

const char *config_output_type_name(enum mx_output_type t)
{
	switch (t) {
	case MX_OUTPUT_STDOUT:
		return "stdout";
	case MX_OUTPUT_SYSLOG:
		return "syslog";
	case MX_OUTPUT_EVE_FILE:
		break;
	}
	return "eve-file";
}

/* ---- value helpers ---- */

static void get_text(const struct ydoc_node *n, const char *what, char *dst, size_t cap,
		     struct mx_errors *errs)
{
	const char *s;

	if (ydoc_get_str(n, cap - 1, what, errs, &s))
		memcpy(dst, s, n->n + 1);
}

static void get_u32(const struct ydoc_node *n, uint32_t min, uint32_t max, const char *what,
		    struct mx_errors *errs, uint32_t *dst)
{
	uint32_t v;

	if (ydoc_get_u32(n, min, max, what, errs, &v))
		*dst = v;
}

static void get_size(const struct ydoc_node *n, uint64_t min, uint64_t max, const char *what,
		     struct mx_errors *errs, uint64_t *dst)
{
	uint64_t v;

	if (ydoc_get_size(n, min, max, what, errs, &v))
		*dst = v;
}

static void get_bool(const struct ydoc_node *n, const char *what, struct mx_errors *errs, bool *dst)
{
	bool v;

	if (ydoc_get_bool(n, what, errs, &v))
		*dst = v;
}

/* Replaces *list with the strings of sequence n (each at most CONFIG_PATH_MAX-1 bytes). */
static void get_path_list(const struct ydoc_node *n, const char *what, struct mx_errors *errs,
			  char ***list, size_t *count)
{
	char **fresh = NULL;
	size_t nfresh = 0;
	bool ok = true;

	if (!ydoc_expect(n, YDOC_SEQ, what, errs))
		return;
	if (n->n > CONFIG_MAX_LIST) {
		ydoc_error(errs, n, "more than %d entries in '%s'", CONFIG_MAX_LIST, what);
		return;
	}
	for (uint32_t i = 0; i < n->n; i++) {
		const char *s;

		if (!ydoc_get_str(n->items[i], CONFIG_PATH_MAX - 1, what, errs, &s)) {
			ok = false;
			continue;
		}
		if (!list_add(&fresh, &nfresh, s)) {
			ydoc_error(errs, n->items[i], "out of memory");
			ok = false;
		}
	}
	if (!ok) {
		free_list(&fresh, &nfresh);
		return;
	}
	free_list(list, count);
	*list = fresh;
	*count = nfresh;
}

static void get_addr_list(const struct ydoc_node *n, const char *what, struct mx_errors *errs,
			  struct mx_config *cfg)
{
	struct mx_addr *fresh;
	size_t nfresh = 0;
	bool ok = true;

	if (!ydoc_expect(n, YDOC_SEQ, what, errs))
		return;
	if (n->n > CONFIG_MAX_LIST) {
		ydoc_error(errs, n, "more than %d entries in '%s'", CONFIG_MAX_LIST, what);
		return;
	}
	fresh = calloc(n->n ? n->n : 1, sizeof(*fresh));
	if (fresh == NULL) {
		ydoc_error(errs, n, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < n->n; i++) {
		const char *s;

		if (!ydoc_get_str(n->items[i], 64, what, errs, &s)) {
			ok = false;
		} else if (!mx_addr_parse(&fresh[nfresh], s)) {
			ydoc_error(errs, n->items[i], "bad address '%.64s' in '%s'", s, what);
			ok = false;
		} else {
			nfresh++;
		}
	}
	if (!ok) {
		free(fresh);
		return;
	}
	free(cfg->trusted_resolvers);
	cfg->trusted_resolvers = fresh;
	cfg->n_trusted_resolvers = nfresh;
}

#define KEY_IS(k, s) (strcmp((k), (s)) == 0)

/* ---- sections ---- */

static void load_capture(struct mx_config_capture *c, const struct ydoc_node *m,
			 struct mx_errors *errs)
{
	static const char *const keys[] = {"interface", "files",	   "bpf",
					   "snaplen",	"buffer-size-mib", "promisc",
					   "immediate", "watch-all",	   NULL};

	if (!ydoc_expect(m, YDOC_MAP, "capture", errs))
		return;
	ydoc_check_keys(m, keys, "capture", errs);
	for (uint32_t i = 0; i < m->n; i++) {
		const char *k = ydoc_key(m, i);
		const struct ydoc_node *v = m->items[2 * i + 1];

		if (k == NULL)
			continue;
		if (KEY_IS(k, "interface"))
			get_text(v, k, c->interface, sizeof(c->interface), errs);
		else if (KEY_IS(k, "files"))
			get_path_list(v, k, errs, &c->files, &c->n_files);
		else if (KEY_IS(k, "bpf"))
			get_text(v, k, c->bpf, sizeof(c->bpf), errs);
		else if (KEY_IS(k, "snaplen"))
			get_u32(v, 64, 262144, k, errs, &c->snaplen);
		else if (KEY_IS(k, "buffer-size-mib"))
			get_u32(v, 1, 4096, k, errs, &c->buffer_mib);
		else if (KEY_IS(k, "promisc"))
			get_bool(v, k, errs, &c->promisc);
		else if (KEY_IS(k, "immediate"))
			get_bool(v, k, errs, &c->immediate);
		else if (KEY_IS(k, "watch-all"))
			get_bool(v, k, errs, &c->watch_all);
	}
}

static void load_timeouts(struct mx_config_flow *f, const struct ydoc_node *m,
			  struct mx_errors *errs)
{
	static const char *const keys[] = {"new", "established", "closed", "udp", NULL};

	if (!ydoc_expect(m, YDOC_MAP, "timeouts", errs))
		return;
	ydoc_check_keys(m, keys, "flow timeouts", errs);
	for (uint32_t i = 0; i < m->n; i++) {
		const char *k = ydoc_key(m, i);
		const struct ydoc_node *v = m->items[2 * i + 1];

		if (k == NULL)
			continue;
		if (KEY_IS(k, "new"))
			get_u32(v, 1, 86400, k, errs, &f->timeout_new_s);
		else if (KEY_IS(k, "established"))
			get_u32(v, 1, 86400, k, errs, &f->timeout_est_s);
		else if (KEY_IS(k, "closed"))
			get_u32(v, 1, 86400, k, errs, &f->timeout_closed_s);
		else if (KEY_IS(k, "udp"))
			get_u32(v, 1, 86400, k, errs, &f->timeout_udp_s);
	}
}

static void load_flow(struct mx_config_flow *f, const struct ydoc_node *m, struct mx_errors *errs)
{
	static const char *const keys[] = {"memcap", "hash-size", "timeouts", NULL};

	if (!ydoc_expect(m, YDOC_MAP, "flow", errs))
		return;
	ydoc_check_keys(m, keys, "flow", errs);
	for (uint32_t i = 0; i < m->n; i++) {
		const char *k = ydoc_key(m, i);
		const struct ydoc_node *v = m->items[2 * i + 1];

		if (k == NULL)
			continue;
		if (KEY_IS(k, "memcap"))
			get_size(v, 1ull << 20, 64ull << 30, k, errs, &f->memcap);
		else if (KEY_IS(k, "hash-size"))
			get_u32(v, 1024, 1u << 24, k, errs, &f->hash_size);
		else if (KEY_IS(k, "timeouts"))
			load_timeouts(f, v, errs);
	}
}

static void load_stream(struct mx_config_stream *s, const struct ydoc_node *m,
			struct mx_errors *errs)
{
	static const char *const keys[] = {"memcap", "stream-memcap", "recent-window",
					   "max-segments", NULL};

	if (!ydoc_expect(m, YDOC_MAP, "stream", errs))
		return;
	ydoc_check_keys(m, keys, "stream", errs);
	for (uint32_t i = 0; i < m->n; i++) {
		const char *k = ydoc_key(m, i);
		const struct ydoc_node *v = m->items[2 * i + 1];

		if (k == NULL)
			continue;
		if (KEY_IS(k, "memcap"))
			get_size(v, 1ull << 20, 64ull << 30, k, errs, &s->memcap);
		else if (KEY_IS(k, "stream-memcap"))
			get_size(v, 4ull << 10, 1ull << 30, k, errs, &s->stream_memcap);
		else if (KEY_IS(k, "recent-window"))
			get_size(v, 0, 1ull << 20, k, errs, &s->recent_window);
		else if (KEY_IS(k, "max-segments"))
			get_u32(v, 1, 65535, k, errs, &s->max_segments);
	}
}

static void load_defrag(struct mx_config_defrag *d, const struct ydoc_node *m,
			struct mx_errors *errs)
{
	static const char *const keys[] = {"memcap", "timeout", "max-trains", NULL};

	if (!ydoc_expect(m, YDOC_MAP, "defrag", errs))
		return;
	ydoc_check_keys(m, keys, "defrag", errs);
	for (uint32_t i = 0; i < m->n; i++) {
		const char *k = ydoc_key(m, i);
		const struct ydoc_node *v = m->items[2 * i + 1];

		if (k == NULL)
			continue;
		if (KEY_IS(k, "memcap"))
			get_size(v, 64ull << 10, 16ull << 30, k, errs, &d->memcap);
		else if (KEY_IS(k, "timeout"))
			get_u32(v, 1, 3600, k, errs, &d->timeout_s);
		else if (KEY_IS(k, "max-trains"))
			get_u32(v, 1, 1u << 20, k, errs, &d->max_trains);
	}
}

static void load_app(struct mx_config_app *a, const struct ydoc_node *m, struct mx_errors *errs)
{
	static const char *const keys[] = {"session-memcap", "ndpi-memcap", "ndpi-max-packets",
					   NULL};

	if (!ydoc_expect(m, YDOC_MAP, "app", errs))
		return;
	ydoc_check_keys(m, keys, "app", errs);
	for (uint32_t i = 0; i < m->n; i++) {
		const char *k = ydoc_key(m, i);
		const struct ydoc_node *v = m->items[2 * i + 1];

		if (k == NULL)
			continue;
		if (KEY_IS(k, "session-memcap"))
			get_size(v, 1ull << 20, 16ull << 30, k, errs, &a->session_memcap);
		else if (KEY_IS(k, "ndpi-memcap"))
			get_size(v, 64ull << 10, 16ull << 30, k, errs, &a->ndpi_memcap);
		else if (KEY_IS(k, "ndpi-max-packets"))
			get_u32(v, 1, 255, k, errs, &a->ndpi_max_packets);
	}
}

static void load_single_size(const struct ydoc_node *m, const char *section, const char *key,
			     uint64_t min, uint64_t max, struct mx_errors *errs, uint64_t *dst)
{
	const char *const keys[] = {key, NULL};
	const struct ydoc_node *v;

	if (!ydoc_expect(m, YDOC_MAP, section, errs))
		return;
	ydoc_check_keys(m, keys, section, errs);
	if ((v = ydoc_map_get(m, key)) != NULL)
		get_size(v, min, max, key, errs, dst);
}

static void load_alerts(struct mx_config *cfg, const struct ydoc_node *m, struct mx_errors *errs)
{
	static const char *const keys[] = {"threshold-table-size", NULL};
	const struct ydoc_node *v;

	if (!ydoc_expect(m, YDOC_MAP, "alerts", errs))
		return;
	ydoc_check_keys(m, keys, "alerts", errs);
	if ((v = ydoc_map_get(m, "threshold-table-size")) != NULL)
		get_u32(v, 16, 1u << 24, "threshold-table-size", errs, &cfg->threshold_table_size);
}

static bool parse_event_types(const struct ydoc_node *n, struct mx_errors *errs, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} types[] = {{"alert", MX_EVT_ALERT}, {"smtp", MX_EVT_SMTP}, {"dns", MX_EVT_DNS},
		     {"tls", MX_EVT_TLS},     {"flow", MX_EVT_FLOW}, {"stats", MX_EVT_STATS}};
	unsigned mask = 0;
	bool ok = true;

	if (!ydoc_expect(n, YDOC_SEQ, "event-types", errs))
		return false;
	for (uint32_t i = 0; i < n->n; i++) {
		const char *s;
		bool found = false;

		if (!ydoc_get_str(n->items[i], 32, "event-types", errs, &s)) {
			ok = false;
			continue;
		}
		for (size_t j = 0; j < MX_ARRAY_LEN(types) && !found; j++) {
			if (strcmp(types[j].name, s) == 0) {
				mask |= types[j].bit;
				found = true;
			}
		}
		if (!found) {
			ydoc_error(
			    errs, n->items[i],
			    "bad event type '%.32s' (expected alert, smtp, dns, tls, flow or "
			    "stats)",
			    s);
			ok = false;
		}
	}
	if (ok && mask == 0) {
		ydoc_error(errs, n, "empty value for 'event-types'");
		ok = false;
	}
	*out = mask;
	return ok;
}

static bool parse_facility(const struct ydoc_node *n, struct mx_errors *errs, int *out)
{
	static const struct {
		const char *name;
		int value;
	} fac[] = {{"daemon", LOG_DAEMON}, {"mail", LOG_MAIL},	       {"user", LOG_USER},
		   {"auth", LOG_AUTH},	   {"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0},
		   {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3},
		   {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6},
		   {"local7", LOG_LOCAL7}};
	const char *s;

	if (!ydoc_get_str(n, 32, "facility", errs, &s))
		return false;
	for (size_t i = 0; i < MX_ARRAY_LEN(fac); i++) {
		if (strcmp(fac[i].name, s) == 0) {
			*out = fac[i].value;
			return true;
		}
	}
	ydoc_error(errs, n,
		   "bad syslog facility '%.32s' (expected daemon, mail, user, auth, authpriv or "
		   "local0..local7)",
		   s);
	return false;
}

static bool load_output(struct mx_output *o, const struct ydoc_node *m, struct mx_errors *errs)
{
	static const char *const eve_keys[] = {"type", "path", "append", "event-types", NULL};
	static const char *const stdout_keys[] = {"type", "event-types", NULL};
	static const char *const syslog_keys[] = {"type", "facility", "event-types", NULL};
	const struct ydoc_node *type, *v;
	size_t before = mx_errors_count(errs);
	const char *s;

	if (!ydoc_expect(m, YDOC_MAP, "outputs", errs))
		return false;
	memset(o, 0, sizeof(*o));
	o->event_types = MX_EVT_ALL;
	o->facility = LOG_LOCAL5;
	o->append = true;
	type = ydoc_map_get(m, "type");
	if (type == NULL) {
		ydoc_error(errs, m, "missing required field 'type' in output");
		return false;
	}
	if (!ydoc_get_str(type, 32, "type", errs, &s))
		return false;
	if (strcmp(s, "eve-file") == 0) {
		o->type = MX_OUTPUT_EVE_FILE;
		ydoc_check_keys(m, eve_keys, "eve-file output", errs);
		if ((v = ydoc_map_get(m, "path")) == NULL)
			ydoc_error(errs, m, "missing required field 'path' in eve-file output");
		else
			get_text(v, "path", o->path, sizeof(o->path), errs);
		if ((v = ydoc_map_get(m, "append")) != NULL)
			get_bool(v, "append", errs, &o->append);
	} else if (strcmp(s, "stdout") == 0) {
		o->type = MX_OUTPUT_STDOUT;
		ydoc_check_keys(m, stdout_keys, "stdout output", errs);
	} else if (strcmp(s, "syslog") == 0) {
		o->type = MX_OUTPUT_SYSLOG;
		ydoc_check_keys(m, syslog_keys, "syslog output", errs);
		if ((v = ydoc_map_get(m, "facility")) != NULL)
			parse_facility(v, errs, &o->facility);
	} else {
		ydoc_error(errs, type,
			   "bad output type '%.32s' (expected eve-file, stdout or syslog)", s);
		return false;
	}
	if ((v = ydoc_map_get(m, "event-types")) != NULL)
		parse_event_types(v, errs, &o->event_types);
	return mx_errors_count(errs) == before;
}

static void load_outputs(struct mx_config *cfg, const struct ydoc_node *seq, struct mx_errors *errs)
{
	struct mx_output fresh[CONFIG_MAX_OUTPUTS];
	bool ok = true;

	if (!ydoc_expect(seq, YDOC_SEQ, "outputs", errs))
		return;
	if (seq->n > CONFIG_MAX_OUTPUTS) {
		ydoc_error(errs, seq, "more than %d outputs", CONFIG_MAX_OUTPUTS);
		return;
	}
	for (uint32_t i = 0; i < seq->n; i++)
		ok &= load_output(&fresh[i], seq->items[i], errs);
	if (!ok)
		return;
	memcpy(cfg->outputs, fresh, seq->n * sizeof(fresh[0]));
	cfg->n_outputs = seq->n;
}

static void load_root(struct mx_config *cfg, const struct ydoc_node *root, struct mx_errors *errs)
{
	static const char *const keys[] = {"capture",
					   "flow",
					   "stream",
					   "defrag",
					   "dns",
					   "tls",
					   "alerts",
					   "rules-dir",
					   "policy-files",
					   "trust-anchor-file",
					   "trusted-resolvers",
					   "outputs",
					   "stats-interval",
					   "redact-local-parts",
					   "log-dir",
					   "pid-file",
					   "user",
					   "group",
					   "workers",
					   "app",
					   "expectations",
					   NULL};

	if (!ydoc_expect(root, YDOC_MAP, "configuration", errs))
		return;
	ydoc_check_keys(root, keys, "configuration", errs);
	for (uint32_t i = 0; i < root->n; i++) {
		const char *k = ydoc_key(root, i);
		const struct ydoc_node *v = root->items[2 * i + 1];

		if (k == NULL)
			continue;
		if (KEY_IS(k, "capture"))
			load_capture(&cfg->capture, v, errs);
		else if (KEY_IS(k, "flow"))
			load_flow(&cfg->flow, v, errs);
		else if (KEY_IS(k, "stream"))
			load_stream(&cfg->stream, v, errs);
		else if (KEY_IS(k, "defrag"))
			load_defrag(&cfg->defrag, v, errs);
		else if (KEY_IS(k, "app"))
			load_app(&cfg->app, v, errs);
		else if (KEY_IS(k, "expectations"))
			load_single_size(v, "expectations", "memcap", 64ull << 10, 16ull << 30,
					 errs, &cfg->expect_memcap);
		else if (KEY_IS(k, "dns"))
			load_single_size(v, "dns", "cache-memcap", 64ull << 10, 16ull << 30, errs,
					 &cfg->dns_cache_memcap);
		else if (KEY_IS(k, "tls"))
			load_single_size(v, "tls", "handshake-buffer", 16ull << 10, 16ull << 20,
					 errs, &cfg->tls_handshake_buffer);
		else if (KEY_IS(k, "alerts"))
			load_alerts(cfg, v, errs);
		else if (KEY_IS(k, "rules-dir"))
			get_text(v, k, cfg->rules_dir, sizeof(cfg->rules_dir), errs);
		else if (KEY_IS(k, "policy-files"))
			get_path_list(v, k, errs, &cfg->policy_files, &cfg->n_policy_files);
		else if (KEY_IS(k, "trust-anchor-file"))
			get_text(v, k, cfg->trust_anchor_file, sizeof(cfg->trust_anchor_file),
				 errs);
		else if (KEY_IS(k, "trusted-resolvers"))
			get_addr_list(v, k, errs, cfg);
		else if (KEY_IS(k, "outputs"))
			load_outputs(cfg, v, errs);
		else if (KEY_IS(k, "stats-interval"))
			get_u32(v, 0, 86400, k, errs, &cfg->stats_interval_s);
		else if (KEY_IS(k, "redact-local-parts"))
			get_bool(v, k, errs, &cfg->redact_local_parts);
		else if (KEY_IS(k, "log-dir"))
			get_text(v, k, cfg->log_dir, sizeof(cfg->log_dir), errs);
		else if (KEY_IS(k, "pid-file"))
			get_text(v, k, cfg->pid_file, sizeof(cfg->pid_file), errs);
		else if (KEY_IS(k, "user"))
			get_text(v, k, cfg->user, sizeof(cfg->user), errs);
		else if (KEY_IS(k, "group"))
			get_text(v, k, cfg->group, sizeof(cfg->group), errs);
		else if (KEY_IS(k, "workers"))
			get_u32(v, 1, 64, k, errs, &cfg->workers);
	}
}

static bool load_doc(struct mx_config *cfg, struct ydoc *d, struct mx_errors *errs)
{
	size_t before = mx_errors_count(errs);

	if (d == NULL)
		return false;
	if (ydoc_root(d) != NULL)
		load_root(cfg, ydoc_root(d), errs);
	ydoc_free(d);
	return mx_errors_count(errs) == before;
}

bool config_load_file(struct mx_config *cfg, const char *path, struct mx_errors *errs)
{
	return load_doc(cfg, ydoc_load_file(path, NULL, errs), errs);
}

bool config_load_buffer(struct mx_config *cfg, const char *name, const char *text, size_t len,
			struct mx_errors *errs)
{
	return load_doc(cfg, ydoc_parse(name, text, len, NULL, errs), errs);
}
