/*
 * config.c - built-in defaults and the YAML configuration loader. Each
 * section has a small function that checks its keys, converts and range-
 * checks the values it finds, and leaves everything else alone.
 */
#include "conf/config.h"
#include "util/redis_conn.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

void config_defaults(struct mx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capture.snaplen = 65535;
	cfg->capture.buffer_mib = 32;
	cfg->capture.promisc = true;
	cfg->flow.memcap = 16ull << 20; /* all per-flow state (flow.h) */
	cfg->flow.hash_size = 0; /* one bucket per flow the memcap holds */
	cfg->flow.timeout_new_s = 30;
	cfg->flow.timeout_est_s = 600;
	cfg->flow.timeout_closed_s = 10;
	cfg->flow.timeout_udp_s = 30;
	cfg->stream.memcap = 16ull << 20;
	cfg->stream.stream_memcap = 256ull << 10;
	cfg->stream.recent_window = 4ull << 10;
	cfg->stream.max_segments = 256;
	cfg->defrag.memcap = 4ull << 20;
	cfg->defrag.timeout_s = 60;
	cfg->defrag.max_trains = 4096;
	cfg->checksum_validation = MX_CSUM_AUTO;
	cfg->dns_cache_memcap = 4ull << 20;
	cfg->trust_ad = true;
	cfg->app.session_memcap = 16ull << 20;
	cfg->app.ndpi_memcap = 4ull << 20;
	cfg->app.ndpi_max_packets = 8;
	cfg->expect_memcap = 12ull << 20;
	cfg->tls_handshake_buffer = 64ull << 10;
	cfg->threshold_table_size = 16384;
	cfg->state_max_rows = 1000000;
	cfg->n_outputs = 1;
	cfg->outputs[0].type = MX_OUTPUT_EVE_FILE;
	snprintf(cfg->outputs[0].path, sizeof(cfg->outputs[0].path), "eve.json");
	cfg->outputs[0].facility = LOG_LOCAL5;
	cfg->outputs[0].event_types = MX_EVT_ALL;
	cfg->outputs[0].append = true;
	cfg->outputs[0].filemode = 0640;
	cfg->outputs[0].dns_version = 3;
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
	case MX_OUTPUT_REDIS:
		return "redis";
	case MX_OUTPUT_FAST:
		return "fast";
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
	struct mx_prefix *fresh;
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
		} else if (!mx_prefix_parse(&fresh[nfresh], s)) {
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

/* ---- sections, as tables of their keys ---- */

/* How a key's value is read. */
enum field_type {
	F_U32,	   /* an integer in [min, max] into a uint32_t */
	F_SIZE,	   /* a size in [min, max] into a uint64_t */
	F_BOOL,	   /* into a bool */
	F_TEXT,	   /* a string into a char array of max bytes */
	F_SECTION, /* a map, read by the table sub */
	F_CUSTOM,  /* read by fn */
};

struct field {
	const char *key;
	enum field_type type;
	size_t off; /* where the value goes, from the start of the section's struct */
	uint64_t min, max;
	const struct field *sub; /* F_SECTION */
	const char *label;	 /* F_SECTION: its name in unknown-key errors (NULL: key) */
	void (*fn)(void *at, const struct ydoc_node *v, const char *key, struct mx_errors *errs);
};

/* clang-format off */
#define U32(k, T, m, lo, hi)        {k, F_U32, offsetof(T, m), lo, hi, NULL, NULL, NULL}
#define SIZE(k, T, m, lo, hi)       {k, F_SIZE, offsetof(T, m), lo, hi, NULL, NULL, NULL}
#define BOOL(k, T, m)               {k, F_BOOL, offsetof(T, m), 0, 0, NULL, NULL, NULL}
#define TEXT(k, T, m)               {k, F_TEXT, offsetof(T, m), 0, sizeof(((T *)NULL)->m), NULL, NULL, NULL}
#define SECTION(k, off, sub, label) {k, F_SECTION, off, 0, 0, sub, label, NULL}
#define CUSTOM(k, fn)               {k, F_CUSTOM, 0, 0, 0, NULL, NULL, fn}
#define FIELDS_END                  {NULL, F_U32, 0, 0, 0, NULL, NULL, NULL}
/* clang-format on */

/* Keys in one table at most. */
#define FIELDS_MAX 32

/*
 * Reads map m, the section what, into base: unknown keys are reported
 * first (as ydoc_check_keys does, with label), then every known key in the
 * order of the file.
 */
static void load_fields(void *base, const struct field *fields, const struct ydoc_node *m,
			const char *what, const char *label, struct mx_errors *errs)
{
	const char *keys[FIELDS_MAX + 1];
	size_t n = 0;

	if (!ydoc_expect(m, YDOC_MAP, what, errs))
		return;
	for (; n < FIELDS_MAX && fields[n].key != NULL; n++)
		keys[n] = fields[n].key;
	keys[n] = NULL;
	ydoc_check_keys(m, keys, label != NULL ? label : what, errs);
	for (uint32_t i = 0; i < m->n; i++) {
		const char *k = ydoc_key(m, i);
		const struct ydoc_node *v = m->items[2 * i + 1];
		const struct field *f = fields;
		void *at;

		if (k == NULL)
			continue;
		while (f->key != NULL && strcmp(f->key, k) != 0)
			f++;
		if (f->key == NULL)
			continue;
		at = (char *)base + f->off;
		switch (f->type) {
		case F_U32:
			get_u32(v, (uint32_t)f->min, (uint32_t)f->max, k, errs, at);
			break;
		case F_SIZE:
			get_size(v, f->min, f->max, k, errs, at);
			break;
		case F_BOOL:
			get_bool(v, k, errs, at);
			break;
		case F_TEXT:
			get_text(v, k, at, (size_t)f->max, errs);
			break;
		case F_SECTION:
			load_fields(at, f->sub, v, k, f->label, errs);
			break;
		case F_CUSTOM:
			f->fn(at, v, k, errs);
			break;
		}
	}
}

static void load_capture_files(void *at, const struct ydoc_node *v, const char *key,
			       struct mx_errors *errs)
{
	struct mx_config_capture *c = at;

	get_path_list(v, key, errs, &c->files, &c->n_files);
}

static const struct field capture_fields[] = {
    TEXT("interface", struct mx_config_capture, interface),
    CUSTOM("files", load_capture_files),
    TEXT("bpf", struct mx_config_capture, bpf),
    U32("snaplen", struct mx_config_capture, snaplen, 64, 262144),
    U32("buffer-size-mib", struct mx_config_capture, buffer_mib, 1, 4096),
    BOOL("promisc", struct mx_config_capture, promisc),
    BOOL("immediate", struct mx_config_capture, immediate),
    BOOL("watch-all", struct mx_config_capture, watch_all),
    FIELDS_END,
};

static const struct field timeout_fields[] = {
    U32("new", struct mx_config_flow, timeout_new_s, 1, 86400),
    U32("established", struct mx_config_flow, timeout_est_s, 1, 86400),
    U32("closed", struct mx_config_flow, timeout_closed_s, 1, 86400),
    U32("udp", struct mx_config_flow, timeout_udp_s, 1, 86400),
    FIELDS_END,
};

static const struct field flow_fields[] = {
    SIZE("memcap", struct mx_config_flow, memcap, 1ull << 20, 64ull << 30),
    U32("hash-size", struct mx_config_flow, hash_size, 0, 1u << 24),
    SECTION("timeouts", 0, timeout_fields, "flow timeouts"),
    FIELDS_END,
};

static const struct field stream_fields[] = {
    SIZE("memcap", struct mx_config_stream, memcap, 1ull << 20, 64ull << 30),
    SIZE("stream-memcap", struct mx_config_stream, stream_memcap, 4ull << 10, 1ull << 30),
    SIZE("recent-window", struct mx_config_stream, recent_window, 0, 1ull << 20),
    U32("max-segments", struct mx_config_stream, max_segments, 1, 65535),
    FIELDS_END,
};

static const struct field defrag_fields[] = {
    SIZE("memcap", struct mx_config_defrag, memcap, 64ull << 10, 16ull << 30),
    U32("timeout", struct mx_config_defrag, timeout_s, 1, 3600),
    U32("max-trains", struct mx_config_defrag, max_trains, 1, 1u << 20),
    FIELDS_END,
};

static const struct field app_fields[] = {
    SIZE("session-memcap", struct mx_config_app, session_memcap, 1ull << 20, 16ull << 30),
    SIZE("ndpi-memcap", struct mx_config_app, ndpi_memcap, 64ull << 10, 16ull << 30),
    U32("ndpi-max-packets", struct mx_config_app, ndpi_max_packets, 1, 255),
    BOOL("flow-records-without-data", struct mx_config_app, flow_records_no_data),
    FIELDS_END,
};

/* Sections of one key whose value sits in struct mx_config itself. */
static const struct field expectations_fields[] = {
    SIZE("memcap", struct mx_config, expect_memcap, 64ull << 10, 16ull << 30),
    FIELDS_END,
};

static const struct field dns_fields[] = {
    SIZE("cache-memcap", struct mx_config, dns_cache_memcap, 64ull << 10, 16ull << 30),
    FIELDS_END,
};

static const struct field dnssec_fields[] = {
    BOOL("trust-ad", struct mx_config, trust_ad),
    FIELDS_END,
};

static const struct field tls_fields[] = {
    SIZE("handshake-buffer", struct mx_config, tls_handshake_buffer, 16ull << 10, 16ull << 20),
    TEXT("ca-file", struct mx_config, tls_ca_file),
    TEXT("ca-path", struct mx_config, tls_ca_path),
    FIELDS_END,
};

static const struct field alerts_fields[] = {
    U32("threshold-table-size", struct mx_config, threshold_table_size, 16, 1u << 24),
    FIELDS_END,
};

static const struct {
	const char *name;
	unsigned bit;
} types[] = {{"alert", MX_EVT_ALERT}, {"smtp", MX_EVT_SMTP}, {"dns", MX_EVT_DNS},
	     {"tls", MX_EVT_TLS},     {"flow", MX_EVT_FLOW}, {"stats", MX_EVT_STATS}};

const char *config_event_type_name(unsigned bit)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(types); i++)
		if (types[i].bit == bit)
			return types[i].name;
	return NULL;
}

static bool parse_event_types(const struct ydoc_node *n, struct mx_errors *errs, unsigned *out)
{
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

static const struct {
	const char *name;
	int value;
} fac[] = {{"daemon", LOG_DAEMON}, {"mail", LOG_MAIL},	       {"user", LOG_USER},
	   {"auth", LOG_AUTH},	   {"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0},
	   {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3},
	   {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6},
	   {"local7", LOG_LOCAL7}};

const char *config_facility_name(int facility)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(fac); i++)
		if (fac[i].value == facility)
			return fac[i].name;
	return NULL;
}

static bool parse_facility(const struct ydoc_node *n, struct mx_errors *errs, int *out)
{
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

static void load_redis_output(struct mx_output_redis *r, const struct ydoc_node *m,
			      struct mx_errors *errs)
{
	static const char *const keys[] = {
	    "type",   "server",	       "mode",	"key",		 "username",   "password",
	    "memcap", "stream-maxlen", "batch", "flush-timeout", "timeout-ms", "event-types",
	    NULL};
	static const char *const modes[] = {"list", "channel", "stream"};
	const struct ydoc_node *v;
	uint32_t secs = 5;
	const char *s;

	ydoc_check_keys(m, keys, "redis output", errs);
	snprintf(r->key, sizeof(r->key), "mxsentry");
	r->mode = MX_REDIS_LIST;
	r->memcap = 64ull << 20;
	r->stream_maxlen = 100000;
	r->batch = 256;
	r->timeout_ms = 2000;
	if ((v = ydoc_map_get(m, "server")) == NULL) {
		ydoc_error(errs, m, "missing required field 'server' in redis output");
	} else {
		struct redis_target t;
		char msg[256];

		get_text(v, "server", r->server, sizeof(r->server), errs);
		/* Malformed, or rediss:// (no TLS here): said by -T too. */
		if (r->server[0] != '\0' && !redis_target_parse(r->server, &t, msg, sizeof(msg)))
			ydoc_error(errs, v, "%s", msg);
	}
	if ((v = ydoc_map_get(m, "mode")) != NULL && ydoc_get_str(v, 32, "mode", errs, &s)) {
		size_t i = 0;

		while (i < MX_ARRAY_LEN(modes) && strcmp(modes[i], s) != 0)
			i++;
		if (i == MX_ARRAY_LEN(modes))
			ydoc_error(errs, v,
				   "bad redis mode '%.32s' (expected list, channel or stream)", s);
		else
			r->mode = (enum mx_redis_mode)i;
	}
	if ((v = ydoc_map_get(m, "key")) != NULL) {
		get_text(v, "key", r->key, sizeof(r->key), errs);
		if (r->key[0] == '\0')
			ydoc_error(errs, v, "empty value for 'key'");
	}
	if ((v = ydoc_map_get(m, "username")) != NULL)
		get_text(v, "username", r->username, sizeof(r->username), errs);
	if ((v = ydoc_map_get(m, "password")) != NULL)
		get_text(v, "password", r->password, sizeof(r->password), errs);
	if ((v = ydoc_map_get(m, "memcap")) != NULL)
		get_size(v, 64ull << 10, 64ull << 30, "memcap", errs, &r->memcap);
	if ((v = ydoc_map_get(m, "stream-maxlen")) != NULL)
		ydoc_get_u64(v, 0, 1ull << 40, "stream-maxlen", errs, &r->stream_maxlen);
	if ((v = ydoc_map_get(m, "batch")) != NULL)
		get_u32(v, 1, 65536, "batch", errs, &r->batch);
	if ((v = ydoc_map_get(m, "flush-timeout")) != NULL)
		get_u32(v, 0, 3600, "flush-timeout", errs, &secs);
	r->flush_timeout_ms = secs * 1000u;
	if ((v = ydoc_map_get(m, "timeout-ms")) != NULL)
		get_u32(v, 10, 600000, "timeout-ms", errs, &r->timeout_ms);
}

/* filemode: octal permission bits, as Suricata's outputs take them (0640, 644). */
static void parse_filemode(const struct ydoc_node *n, struct mx_errors *errs, unsigned *out)
{
	const char *s;
	unsigned v = 0;
	size_t len;

	if (!ydoc_get_str(n, 8, "filemode", errs, &s))
		return;
	len = strlen(s);
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7' || len > 4 || len < 3) {
			ydoc_error(
			    errs, n,
			    "bad filemode '%.8s' (expected octal permission bits such as 0640)", s);
			return;
		}
		v = v * 8 + (unsigned)(s[i] - '0');
	}
	if (v > 0777) {
		ydoc_error(errs, n,
			   "bad filemode '%.8s' (expected octal permission bits such as 0640)", s);
		return;
	}
	*out = v;
}

static void parse_dns_version(const struct ydoc_node *n, struct mx_errors *errs, int *out)
{
	uint32_t v;

	if (ydoc_get_u32(n, 2, 3, "dns-version", errs, &v))
		*out = (int)v;
}

static bool load_output(struct mx_output *o, const struct ydoc_node *m, struct mx_errors *errs)
{
	static const char *const eve_keys[] = {"type",	   "path",	  "append", "event-types",
					       "filemode", "dns-version", NULL};
	static const char *const fast_keys[] = {"type", "path", "append", "filemode", NULL};
	static const char *const stdout_keys[] = {"type", "event-types", "dns-version", NULL};
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
	o->filemode = 0640;
	o->dns_version = 3;
	type = ydoc_map_get(m, "type");
	if (type == NULL) {
		ydoc_error(errs, m, "missing required field 'type' in output");
		return false;
	}
	if (!ydoc_get_str(type, 32, "type", errs, &s))
		return false;
	if (strcmp(s, "eve-file") == 0 || strcmp(s, "fast") == 0) {
		bool fast = strcmp(s, "fast") == 0;

		o->type = fast ? MX_OUTPUT_FAST : MX_OUTPUT_EVE_FILE;
		ydoc_check_keys(m, fast ? fast_keys : eve_keys,
				fast ? "fast output" : "eve-file output", errs);
		if ((v = ydoc_map_get(m, "path")) == NULL)
			ydoc_error(errs, m, "missing required field 'path' in %s output", s);
		else
			get_text(v, "path", o->path, sizeof(o->path), errs);
		if ((v = ydoc_map_get(m, "append")) != NULL)
			get_bool(v, "append", errs, &o->append);
		if ((v = ydoc_map_get(m, "filemode")) != NULL)
			parse_filemode(v, errs, &o->filemode);
		if (fast)
			o->event_types = MX_EVT_ALERT;
	} else if (strcmp(s, "stdout") == 0) {
		o->type = MX_OUTPUT_STDOUT;
		ydoc_check_keys(m, stdout_keys, "stdout output", errs);
	} else if (strcmp(s, "syslog") == 0) {
		o->type = MX_OUTPUT_SYSLOG;
		ydoc_check_keys(m, syslog_keys, "syslog output", errs);
		if ((v = ydoc_map_get(m, "facility")) != NULL)
			parse_facility(v, errs, &o->facility);
	} else if (strcmp(s, "redis") == 0) {
		o->type = MX_OUTPUT_REDIS;
		load_redis_output(&o->redis, m, errs);
	} else {
		ydoc_error(
		    errs, type,
		    "bad output type '%.32s' (expected eve-file, fast, stdout, syslog or redis)",
		    s);
		return false;
	}
	if ((v = ydoc_map_get(m, "event-types")) != NULL)
		parse_event_types(v, errs, &o->event_types);
	if ((v = ydoc_map_get(m, "dns-version")) != NULL)
		parse_dns_version(v, errs, &o->dns_version);
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

static void load_policy_files(void *at, const struct ydoc_node *v, const char *key,
			      struct mx_errors *errs)
{
	struct mx_config *cfg = at;

	get_path_list(v, key, errs, &cfg->policy_files, &cfg->n_policy_files);
}

static void load_trusted_resolvers(void *at, const struct ydoc_node *v, const char *key,
				   struct mx_errors *errs)
{
	if (v->type == YDOC_SEQ && v->n > CONFIG_MAX_RESOLVERS) {
		ydoc_error(errs, v, "more than %d entries in '%s'", CONFIG_MAX_RESOLVERS, key);
		return;
	}
	get_addr_list(v, key, errs, at);
}

/* A list of address ranges: a sequence, or one comma-separated string. */
static void get_netset(const struct ydoc_node *n, const char *what, struct mx_errors *errs,
		       struct mx_netset *out)
{
	struct mx_netset fresh = {0};
	char err[160];
	const char *s;

	if (n->type == YDOC_SCALAR) {
		if (!ydoc_get_str(n, 4096, what, errs, &s))
			return;
		if (!mx_netset_add_list(&fresh, s, err, sizeof(err))) {
			ydoc_error(errs, n, "%s in '%s'", err, what);
			return;
		}
	} else {
		if (!ydoc_expect(n, YDOC_SEQ, what, errs))
			return;
		for (uint32_t i = 0; i < n->n; i++) {
			if (!ydoc_get_str(n->items[i], 64, what, errs, &s))
				return;
			if (!mx_netset_add_list(&fresh, s, err, sizeof(err))) {
				ydoc_error(errs, n->items[i], "%s in '%s'", err, what);
				return;
			}
		}
	}
	*out = fresh;
}

static void load_home_net(void *at, const struct ydoc_node *v, const char *key,
			  struct mx_errors *errs)
{
	get_netset(v, key, errs, &((struct mx_config *)at)->home_net);
}

static void load_mail_relays(void *at, const struct ydoc_node *v, const char *key,
			     struct mx_errors *errs)
{
	get_netset(v, key, errs, &((struct mx_config *)at)->mail_relays);
}

/* checksum-validation: yes (or true), no (or false), auto. */
static void load_checksum_validation(void *at, const struct ydoc_node *v, const char *key,
				     struct mx_errors *errs)
{
	struct mx_config *cfg = at;
	const char *s;

	if (!ydoc_get_str(v, 16, key, errs, &s))
		return;
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
		cfg->checksum_validation = MX_CSUM_YES;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		cfg->checksum_validation = MX_CSUM_NO;
	else if (strcmp(s, "auto") == 0)
		cfg->checksum_validation = MX_CSUM_AUTO;
	else
		ydoc_error(errs, v, "'%s': yes, no or auto expected", key);
}

static void load_outputs_field(void *at, const struct ydoc_node *v, const char *key,
			       struct mx_errors *errs)
{
	(void)key;
	load_outputs(at, v, errs);
}

static const struct field root_fields[] = {
    SECTION("capture", offsetof(struct mx_config, capture), capture_fields, NULL),
    SECTION("flow", offsetof(struct mx_config, flow), flow_fields, NULL),
    SECTION("stream", offsetof(struct mx_config, stream), stream_fields, NULL),
    SECTION("defrag", offsetof(struct mx_config, defrag), defrag_fields, NULL),
    CUSTOM("checksum-validation", load_checksum_validation),
    SECTION("dns", 0, dns_fields, NULL),
    SECTION("dnssec", 0, dnssec_fields, NULL),
    SECTION("tls", 0, tls_fields, NULL),
    SECTION("alerts", 0, alerts_fields, NULL),
    TEXT("rules-dir", struct mx_config, rules_dir),
    CUSTOM("policy-files", load_policy_files),
    TEXT("trust-anchor-file", struct mx_config, trust_anchor_file),
    CUSTOM("trusted-resolvers", load_trusted_resolvers),
    CUSTOM("outputs", load_outputs_field),
    CUSTOM("home-net", load_home_net),
    CUSTOM("mail-relays", load_mail_relays),
    TEXT("summary", struct mx_config, summary_file),
    U32("stats-interval", struct mx_config, stats_interval_s, 0, 86400),
    BOOL("redact-local-parts", struct mx_config, redact_local_parts),
    TEXT("log-dir", struct mx_config, log_dir),
    TEXT("pid-file", struct mx_config, pid_file),
    TEXT("user", struct mx_config, user),
    TEXT("group", struct mx_config, group),
    U32("workers", struct mx_config, workers, 1, 64),
    TEXT("state", struct mx_config, state),
    U32("state-max-rows", struct mx_config, state_max_rows, 100, 1000000000),
    SECTION("app", offsetof(struct mx_config, app), app_fields, NULL),
    SECTION("expectations", 0, expectations_fields, NULL),
    FIELDS_END,
};

static void load_root(struct mx_config *cfg, const struct ydoc_node *root, struct mx_errors *errs)
{
	load_fields(cfg, root_fields, root, "configuration", NULL, errs);
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
