/*
 * config_dump.c - the configuration as YAML; see config_dump.h.
 */
#include "conf/config_dump.h"

#include <inttypes.h>
#include <string.h>

/* A double-quoted YAML scalar: backslash, quote and control bytes escaped. */
static void put_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* key: "text", or a comment when text is empty. */
static void put_text(FILE *out, const char *indent, const char *key, const char *text,
		     const char *unset)
{
	if (text[0] == '\0') {
		fprintf(out, "%s# %s: (%s)\n", indent, key, unset);
		return;
	}
	fprintf(out, "%s%s: ", indent, key);
	put_str(out, text);
	fputc('\n', out);
}

static void put_size(FILE *out, const char *indent, const char *key, uint64_t v)
{
	static const struct {
		unsigned shift;
		const char *unit;
	} units[] = {{30, "gb"}, {20, "mb"}, {10, "kb"}};

	for (size_t i = 0; i < MX_ARRAY_LEN(units); i++) {
		uint64_t one = 1ull << units[i].shift;

		if (v != 0 && v % one == 0) {
			fprintf(out, "%s%s: %" PRIu64 "%s\n", indent, key, v / one, units[i].unit);
			return;
		}
	}
	fprintf(out, "%s%s: %" PRIu64 "\n", indent, key, v);
}

static void put_u32(FILE *out, const char *indent, const char *key, uint32_t v)
{
	fprintf(out, "%s%s: %" PRIu32 "\n", indent, key, v);
}

static void put_bool(FILE *out, const char *indent, const char *key, bool v)
{
	fprintf(out, "%s%s: %s\n", indent, key, v ? "true" : "false");
}

static void put_list(FILE *out, const char *indent, const char *key, char *const *list, size_t n,
		     const char *unset)
{
	if (n == 0) {
		fprintf(out, "%s# %s: (%s)\n", indent, key, unset);
		return;
	}
	fprintf(out, "%s%s:\n", indent, key);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s  - ", indent);
		put_str(out, list[i]);
		fputc('\n', out);
	}
}

/* A set of address ranges as a list of "ADDR/LEN" strings, or a comment when empty. */
static void put_netset(FILE *out, const char *key, const struct mx_netset *set)
{
	char addr[64];

	if (set->n == 0) {
		fprintf(out, "# %s: (none)\n", key);
		return;
	}
	fprintf(out, "%s:\n", key);
	for (size_t i = 0; i < set->n; i++) {
		bool v4 = mx_addr_is_v4(&set->net[i]);

		fprintf(out, "  - \"%s/%u\"\n", mx_addr_str(&set->net[i], addr, sizeof(addr)),
			v4 ? set->prefix[i] - 96u : set->prefix[i]);
	}
}

static void put_output(FILE *out, const struct mx_output *o)
{
	const char *sep = "";

	fprintf(out, "  - type: %s\n", config_output_type_name(o->type));
	if (o->type == MX_OUTPUT_EVE_FILE || o->type == MX_OUTPUT_FAST) {
		fprintf(out, "    path: ");
		put_str(out, o->path);
		fprintf(out, "\n    append: %s\n", o->append ? "true" : "false");
		fprintf(out, "    filemode: \"%04o\"\n", o->filemode);
	}
	if (o->type == MX_OUTPUT_EVE_FILE || o->type == MX_OUTPUT_STDOUT)
		fprintf(out, "    dns-version: %d\n", o->dns_version);
	if (o->type == MX_OUTPUT_FAST) {
		return; /* alerts only: it takes no event-types */
	} else if (o->type == MX_OUTPUT_SYSLOG) {
		const char *fac = config_facility_name(o->facility);

		fprintf(out, "    facility: %s\n", fac != NULL ? fac : "local5");
	} else if (o->type == MX_OUTPUT_REDIS) {
		static const char *const modes[] = {"list", "channel", "stream"};
		const struct mx_output_redis *r = &o->redis;

		put_text(out, "    ", "server", r->server, "none");
		fprintf(out, "    mode: %s\n",
			(size_t)r->mode < MX_ARRAY_LEN(modes) ? modes[r->mode] : "list");
		put_text(out, "    ", "key", r->key, "none");
		put_text(out, "    ", "username", r->username, "as in server");
		put_text(out, "    ", "password", r->password, "as in server");
		put_size(out, "    ", "memcap", r->memcap);
		fprintf(out, "    stream-maxlen: %" PRIu64 "\n", r->stream_maxlen);
		put_u32(out, "    ", "batch", r->batch);
		put_u32(out, "    ", "flush-timeout", r->flush_timeout_ms / 1000u);
		put_u32(out, "    ", "timeout-ms", r->timeout_ms);
	}
	fprintf(out, "    event-types: [");
	for (unsigned bit = 1; bit <= MX_EVT_ALL; bit <<= 1) {
		const char *name = config_event_type_name(bit);

		if ((o->event_types & bit) == 0 || name == NULL)
			continue;
		fprintf(out, "%s%s", sep, name);
		sep = ", ";
	}
	fprintf(out, "]\n");
}

void config_dump(const struct mx_config *cfg, FILE *out)
{
	const struct mx_config_capture *c = &cfg->capture;
	char addr[64];

	fprintf(out, "# mxsentry configuration: built-in defaults, the -c file and the flags\n");
	fprintf(out, "capture:\n");
	put_text(out, "  ", "interface", c->interface, "none: offline");
	put_list(out, "  ", "files", c->files, c->n_files, "none");
	put_text(out, "  ", "bpf", c->bpf, "the built-in filter");
	put_u32(out, "  ", "snaplen", c->snaplen);
	put_u32(out, "  ", "buffer-size-mib", c->buffer_mib);
	put_bool(out, "  ", "promisc", c->promisc);
	put_bool(out, "  ", "immediate", c->immediate);
	put_bool(out, "  ", "watch-all", c->watch_all);

	fprintf(out, "flow:\n");
	put_size(out, "  ", "memcap", cfg->flow.memcap);
	put_u32(out, "  ", "hash-size", cfg->flow.hash_size);
	fprintf(out, "  timeouts:\n");
	put_u32(out, "    ", "new", cfg->flow.timeout_new_s);
	put_u32(out, "    ", "established", cfg->flow.timeout_est_s);
	put_u32(out, "    ", "closed", cfg->flow.timeout_closed_s);
	put_u32(out, "    ", "udp", cfg->flow.timeout_udp_s);

	fprintf(out, "stream:\n");
	put_size(out, "  ", "memcap", cfg->stream.memcap);
	put_size(out, "  ", "stream-memcap", cfg->stream.stream_memcap);
	put_size(out, "  ", "recent-window", cfg->stream.recent_window);
	put_u32(out, "  ", "max-segments", cfg->stream.max_segments);

	fprintf(out, "defrag:\n");
	put_size(out, "  ", "memcap", cfg->defrag.memcap);
	put_u32(out, "  ", "timeout", cfg->defrag.timeout_s);
	put_u32(out, "  ", "max-trains", cfg->defrag.max_trains);
	fprintf(out, "checksum-validation: %s\n",
		cfg->checksum_validation == MX_CSUM_YES	 ? "yes"
		: cfg->checksum_validation == MX_CSUM_NO ? "no"
							 : "auto");

	fprintf(out, "app:\n");
	put_size(out, "  ", "session-memcap", cfg->app.session_memcap);
	put_size(out, "  ", "ndpi-memcap", cfg->app.ndpi_memcap);
	put_u32(out, "  ", "ndpi-max-packets", cfg->app.ndpi_max_packets);
	put_bool(out, "  ", "flow-records-without-data", cfg->app.flow_records_no_data);

	fprintf(out, "expectations:\n");
	put_size(out, "  ", "memcap", cfg->expect_memcap);
	fprintf(out, "dns:\n");
	put_size(out, "  ", "cache-memcap", cfg->dns_cache_memcap);
	fprintf(out, "dnssec:\n");
	put_bool(out, "  ", "trust-ad", cfg->trust_ad);
	fprintf(out, "tls:\n");
	put_size(out, "  ", "handshake-buffer", cfg->tls_handshake_buffer);
	put_text(out, "  ", "ca-file", cfg->tls_ca_file, "none: the system store");
	put_text(out, "  ", "ca-path", cfg->tls_ca_path, "none: the system store");
	fprintf(out, "alerts:\n");
	put_u32(out, "  ", "threshold-table-size", cfg->threshold_table_size);

	put_text(out, "", "rules-dir", cfg->rules_dir, "none: the built-in rules only");
	put_list(out, "", "policy-files", cfg->policy_files, cfg->n_policy_files, "none");
	put_text(out, "", "trust-anchor-file", cfg->trust_anchor_file,
		 "none: the built-in root anchors");
	if (cfg->n_trusted_resolvers == 0) {
		fprintf(out, "# trusted-resolvers: (none)\n");
	} else {
		fprintf(out, "trusted-resolvers:\n");
		for (size_t i = 0; i < cfg->n_trusted_resolvers; i++)
			fprintf(out, "  - \"%s\"\n",
				mx_prefix_str(&cfg->trusted_resolvers[i], addr, sizeof(addr)));
	}
	fprintf(out, "outputs:%s\n", cfg->n_outputs == 0 ? " []" : "");
	for (size_t i = 0; i < cfg->n_outputs; i++)
		put_output(out, &cfg->outputs[i]);
	put_netset(out, "home-net", &cfg->home_net);
	put_netset(out, "mail-relays", &cfg->mail_relays);
	put_text(out, "", "summary", cfg->summary_file, "none");
	put_u32(out, "", "stats-interval", cfg->stats_interval_s);
	put_bool(out, "", "redact-local-parts", cfg->redact_local_parts);
	put_text(out, "", "log-dir", cfg->log_dir, "the current directory");
	put_text(out, "", "pid-file", cfg->pid_file, "none");
	put_text(out, "", "user", cfg->user, "none: keep the starting user");
	put_text(out, "", "group", cfg->group, "none: the user's group");
	put_u32(out, "", "workers", cfg->workers);
	put_text(out, "", "state", cfg->state, "none: in memory only");
	put_u32(out, "", "state-max-rows", cfg->state_max_rows);
}
