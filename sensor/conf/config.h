/*
 * config.h - the sensor configuration (-c mxsentry.yaml): capture
 * settings, memcaps and timeouts of every stage, where rules, policies and
 * trust anchors come from, outputs, and process settings.
 *
 * Precedence: built-in defaults (config_defaults) < the file
 * (config_load_file, which changes only what the file sets; a list in the
 * file replaces the default list) < command-line flags (the caller writes
 * the fields after loading). Every problem in the file is reported as
 * "FILE:LINE:COLUMN: message"; the caller refuses to start on any.
 *
 * File shape (every key optional):
 *
 *   capture: {interface: eth0, files: [a.pcap], bpf: "tcp port 25",
 *             snaplen: 65535, buffer-size-mib: 32, promisc: true,
 *             immediate: false, watch-all: false}
 *   flow: {memcap: 16mb (all per-flow state), hash-size: 0 (one bucket per
 *          flow the memcap holds),
 *          timeouts: {new: 30, established: 600, closed: 10, udp: 30}}
 *   stream: {memcap: 16mb, stream-memcap: 256kb, recent-window: 4kb,
 *            max-segments: 256}
 *   defrag: {memcap: 4mb, timeout: 60, max-trains: 4096}
 *   checksum-validation: auto        (yes: drop every packet with a bad
 *                                     IPv4/TCP/UDP checksum; no: check none)
 *   app: {session-memcap: 16mb, ndpi-memcap: 4mb, ndpi-max-packets: 8}
 *   expectations: {memcap: 12mb}
 *   dns: {cache-memcap: 4mb}
 *   dnssec: {trust-ad: true}
 *   tls: {handshake-buffer: 64kb, ca-file: "", ca-path: ""}   (MTA-STS roots;
 *        none set: the system store)
 *   alerts: {threshold-table-size: 16384}
 *   rules-dir: /etc/mxsentry/rules
 *   policy-files: [/etc/mxsentry/partners.yaml]
 *   trust-anchor-file: /etc/mxsentry/root.key
 *   trusted-resolvers: [192.0.2.53, "2001:db8::53", 198.51.100.0/24]
 *   outputs:
 *     - {type: eve-file, path: eve.json, append: true,
 *        event-types: [alert, smtp, dns, tls, flow, stats]}
 *     - {type: stdout, event-types: [alert]}
 *     - {type: syslog, facility: local5, event-types: [alert]}
 *     - {type: redis, server: "redis://user:pw@127.0.0.1:6379/0", mode: list,
 *        key: mxsentry, username: "", password: "", memcap: 64mb,
 *        stream-maxlen: 100000, batch: 256, flush-timeout: 5, timeout-ms: 2000,
 *        event-types: [alert]}
 *   home-net: [192.0.2.0/24, "2001:db8::/32"]   (or "192.0.2.0/24,2001:db8::/32")
 *   mail-relays: [192.0.2.25]
 *   summary: /var/log/mxsentry/summary.json
 *   stats-interval: 60
 *   redact-local-parts: false
 *   log-dir: /var/log/mxsentry
 *   pid-file: /run/mxsentry.pid
 *   user: mxsentry
 *   group: mxsentry
 *   workers: 1
 *   state: /var/lib/mxsentry/state.db
 *   state-max-rows: 1000000
 */
#ifndef MX_CONFIG_H
#define MX_CONFIG_H

#include "util/addr_prefix.h"
#include "util/common.h"
#include "util/netset.h"
#include "conf/yaml_doc.h"

#define CONFIG_PATH_MAX	     1024
#define CONFIG_NAME_MAX	     64
#define CONFIG_BPF_MAX	     4096
#define CONFIG_MAX_OUTPUTS   8
#define CONFIG_MAX_LIST	     1024 /* entries of files, policy-files */
#define CONFIG_MAX_RESOLVERS 64	  /* entries of trusted-resolvers */

/* EVE event types an output carries. */
#define MX_EVT_ALERT 0x01u
#define MX_EVT_SMTP  0x02u
#define MX_EVT_DNS   0x04u
#define MX_EVT_TLS   0x08u
#define MX_EVT_FLOW  0x10u
#define MX_EVT_STATS 0x20u
#define MX_EVT_ALL   0x3fu

enum mx_output_type {
	MX_OUTPUT_EVE_FILE,
	MX_OUTPUT_STDOUT,
	MX_OUTPUT_SYSLOG,
	MX_OUTPUT_REDIS,
	MX_OUTPUT_FAST
};

/* A redis output: how each line is written (RPUSH, PUBLISH or XADD). */
enum mx_redis_mode { MX_REDIS_LIST, MX_REDIS_CHANNEL, MX_REDIS_STREAM };

struct mx_output_redis {
	char server[CONFIG_PATH_MAX]; /* redis://[user:password@]host:port/db or a socket path */
	enum mx_redis_mode mode;
	char key[256];
	char username[128];	   /* "" = as in server, else the default user */
	char password[256];	   /* "" = as in server, else none */
	uint64_t memcap;	   /* queue bytes while Redis is slow or away */
	uint64_t stream_maxlen;	   /* XADD MAXLEN ~ N; 0 = unbounded */
	uint32_t batch;		   /* lines per pipelined write */
	uint32_t flush_timeout_ms; /* at exit */
	uint32_t timeout_ms;	   /* connect and reply */
};

struct mx_output {
	enum mx_output_type type;
	char path[CONFIG_PATH_MAX];   /* eve-file: relative paths are under log_dir */
	int facility;		      /* syslog: a LOG_* facility value */
	unsigned event_types;	      /* MX_EVT_* mask */
	bool append;		      /* eve-file, fast: append instead of truncating */
	unsigned filemode;	      /* eve-file, fast: permission bits (default 0640) */
	int dns_version;	      /* eve-file, stdout: dns record layout, 2 or 3 (default) */
	struct mx_output_redis redis; /* redis */
};

struct mx_config_capture {
	char interface[CONFIG_NAME_MAX]; /* "" = none */
	char **files;			 /* offline inputs, in order */
	size_t n_files;
	char bpf[CONFIG_BPF_MAX]; /* "" = the built-in filter */
	uint32_t snaplen;
	uint32_t buffer_mib;
	bool promisc, immediate;
	bool watch_all; /* classify every TCP/UDP flow, not only mail/DNS ports */
};

struct mx_config_flow {
	uint64_t memcap;
	uint32_t hash_size;
	uint32_t timeout_new_s, timeout_est_s, timeout_closed_s, timeout_udp_s;
};

struct mx_config_stream {
	uint64_t memcap, stream_memcap, recent_window;
	uint32_t max_segments;
};

struct mx_config_defrag {
	uint64_t memcap;
	uint32_t timeout_s;
	uint32_t max_trains;
};

struct mx_config_app {
	uint64_t session_memcap; /* SMTP/TLS/DNS session state, all flows */
	uint64_t ndpi_memcap;	 /* nDPI per-flow state */
	uint32_t ndpi_max_packets;
	bool flow_records_no_data; /* flow records also for TCP flows that carried no payload */
};

/* checksum-validation: what the decoder checks (decode/checksum.h modes). */
enum mx_checksum_validation { MX_CSUM_AUTO, MX_CSUM_YES, MX_CSUM_NO };

struct mx_config {
	struct mx_config_capture capture;
	enum mx_checksum_validation checksum_validation;
	struct mx_config_flow flow;
	struct mx_config_stream stream;
	struct mx_config_defrag defrag;
	struct mx_config_app app;
	uint64_t expect_memcap; /* the expectation store */
	uint64_t dns_cache_memcap;
	uint64_t tls_handshake_buffer;	   /* bytes of handshake kept per direction */
	char tls_ca_file[CONFIG_PATH_MAX]; /* "" = none; with tls_ca_path "": system store */
	char tls_ca_path[CONFIG_PATH_MAX];
	uint32_t threshold_table_size;
	char rules_dir[CONFIG_PATH_MAX]; /* "" = built-in rules only */
	char **policy_files;
	size_t n_policy_files;
	char trust_anchor_file[CONFIG_PATH_MAX]; /* "" = the built-in root anchors */
	struct mx_prefix *trusted_resolvers;	 /* addresses or prefixes */
	size_t n_trusted_resolvers;
	bool trust_ad; /* dnssec.trust-ad: an AD=1 answer counts as validated */
	struct mx_output outputs[CONFIG_MAX_OUTPUTS];
	size_t n_outputs;
	uint32_t stats_interval_s; /* 0 = only at the end */
	bool redact_local_parts;
	char log_dir[CONFIG_PATH_MAX];
	char pid_file[CONFIG_PATH_MAX]; /* "" = none */
	char user[CONFIG_NAME_MAX];	/* "" = keep privileges */
	char group[CONFIG_NAME_MAX];
	uint32_t workers;
	char state[CONFIG_PATH_MAX];	    /* "" = in memory only */
	uint32_t state_max_rows;	    /* facts the state store keeps at most */
	struct mx_netset home_net;	    /* our side of the link; empty: not set */
	struct mx_netset mail_relays;	    /* our sending MTAs (counted as home-net) */
	char summary_file[CONFIG_PATH_MAX]; /* "" = no summary file */
};

/*
 * Fills cfg (uninitialised memory is fine) with the built-in defaults:
 * no interface or files, the built-in filter, snaplen 65535, 32 MiB
 * buffer, promiscuous, not immediate; flow 32 MiB / 65536 buckets / 30,
 * 600, 10, 30 s; stream 64 MiB / 256 KiB / 4 KiB / 256 segments; defrag
 * 16 MiB / 60 s / 4096 trains; checksum validation auto; DNS cache 16 MiB; TLS handshake buffer
 * 64 KiB; threshold table 16384; one output: eve-file "eve.json", all
 * event types, append; stats every 60 s; no redaction; log dir "."; one
 * worker.
 */
void config_defaults(struct mx_config *cfg);

/* Frees the lists; cfg must be given config_defaults again before reuse. */
void config_free(struct mx_config *cfg);

/*
 * Applies the YAML file at path over cfg: only keys present in the file
 * change cfg. Errors go to errs; returns true when there was none. On
 * error cfg may hold part of the file's settings: do not start.
 */
bool config_load_file(struct mx_config *cfg, const char *path, struct mx_errors *errs);

/* Same for a configuration held in memory, named `name` in errors. */
bool config_load_buffer(struct mx_config *cfg, const char *name, const char *text, size_t len,
			struct mx_errors *errs);

/* Appends an offline input (for -r); false on allocation failure or a full list. */
bool config_add_capture_file(struct mx_config *cfg, const char *path);

/* Empties the offline inputs (before the first -r replaces the file's list). */
void config_clear_capture_files(struct mx_config *cfg);

/* Appends a policy file (for -p); false on allocation failure or a full list. */
bool config_add_policy_file(struct mx_config *cfg, const char *path);

/* "eve-file", "stdout", "syslog", "redis", "fast". */
const char *config_output_type_name(enum mx_output_type t);

/* The name of one MX_EVT_* bit ("alert", ...) in the file; NULL for another value. */
const char *config_event_type_name(unsigned bit);

/* The name of a LOG_* facility value in the file ("local5", ...); NULL when it has none. */
const char *config_facility_name(int facility);

#endif
