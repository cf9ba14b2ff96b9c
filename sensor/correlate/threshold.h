/*
 * threshold.h - alert thresholds and suppressions as a SOC knows them from
 * Suricata's threshold.config, written in the rules YAML:
 *
 *   thresholds:
 *     - {sid: 9000002, type: limit, track: by_src, count: 1, seconds: 60}
 *   suppress:
 *     - {sid: 9000001, track: by_src, ip: 192.0.2.0/24}   # or one address
 *     - {sid: 0, domain: example.test, subdomains: true}  # sid 0: every rule
 *     - {sid: 9000006, mx: mx1.example.test}
 *
 * type: limit (at most count alerts per window), threshold (one alert for
 * every count events in a window), both (one alert per window, once count
 * events were seen). track: by_src, by_dst, by_domain or by_rule. The
 * window is in seconds of packet time. A sid of 0 in a threshold is the
 * default for every rule without its own.
 *
 * The state is a fixed-size table keyed by (sid, track, tracked value);
 * when it is full the least recently used entry is evicted and counted.
 * Domains are keyed by a 128-bit keyed hash, so no name is stored and
 * chosen names cannot collide on purpose. Suppressed and rate-limited
 * alerts are counted.
 */
#ifndef MX_THRESHOLD_H
#define MX_THRESHOLD_H

#include "util/common.h"
#include "correlate/mtasts.h"
#include "conf/yaml_doc.h"

enum thr_type { THR_TYPE_LIMIT, THR_TYPE_THRESHOLD, THR_TYPE_BOTH };

enum thr_track {
	THR_TRACK_BY_SRC,
	THR_TRACK_BY_DST,
	THR_TRACK_BY_DOMAIN,
	THR_TRACK_BY_RULE,
	THR_TRACK_BY_EITHER, /* suppress by ip only: source or destination */
};

struct thr_rule {
	uint32_t sid;  /* 0: default for every sid */
	uint8_t type;  /* enum thr_type */
	uint8_t track; /* enum thr_track (not by_either) */
	uint32_t count;
	uint32_t seconds;
	char origin[160]; /* "FILE:LINE:COL" of the entry */
};

enum sup_match { SUP_MATCH_IP, SUP_MATCH_DOMAIN, SUP_MATCH_MX };

struct sup_rule {
	uint32_t sid;	 /* 0: every sid */
	uint8_t match;	 /* enum sup_match */
	uint8_t track;	 /* SUP_MATCH_IP: by_src, by_dst or by_either */
	uint8_t prefix;	 /* SUP_MATCH_IP: prefix length over the 128-bit form */
	bool subdomains; /* SUP_MATCH_DOMAIN: names below the domain too */
	struct mx_addr net;
	char name[MX_HOST_MAX + 1]; /* domain or MX host, lower case */
	char origin[160];
};

struct threshold_set {
	struct thr_rule *thr;
	size_t n_thr;
	struct sup_rule *sup;
	size_t n_sup;
};

/* An empty set. */
void threshold_set_init(struct threshold_set *s);

/* Frees the entries; the set is empty afterwards. */
void threshold_set_free(struct threshold_set *s);

/*
 * Adds the entries of a "thresholds:" sequence. Errors (unknown key,
 * wrong type, out of range, missing field, a second threshold for one
 * sid) go to errs; returns true when there was none.
 */
bool threshold_set_load_thresholds(struct threshold_set *s, const struct ydoc_node *seq,
				   struct mx_errors *errs);

/* Adds the entries of a "suppress:" sequence, as above (bad CIDR, bad address...). */
bool threshold_set_load_suppress(struct threshold_set *s, const struct ydoc_node *seq,
				 struct mx_errors *errs);

/*
 * Parses "addr" or "addr/len" (IPv4 or IPv6) into a network and a prefix
 * length over the 128-bit (IPv4-mapped) form. Host bits set beyond the
 * prefix are refused. false with *why on error.
 */
bool threshold_parse_cidr(const char *s, struct mx_addr *net, uint8_t *prefix, const char **why);

/* True when a lies in net/prefix. */
bool threshold_cidr_match(const struct mx_addr *net, uint8_t prefix, const struct mx_addr *a);

/* What one alert looks like to the threshold stage. */
struct thr_event {
	uint32_t sid;
	uint64_t ts_us;		   /* packet time */
	const struct mx_addr *src; /* may be NULL */
	const struct mx_addr *dst; /* may be NULL */
	const char *domain;	   /* mail domain, may be NULL */
	const char *mx_host;	   /* MX host name, may be NULL */
};

enum thr_verdict {
	THR_PASS,	/* emit the alert */
	THR_SUPPRESSED, /* a suppress entry matched */
	THR_DROPPED,	/* a threshold held it back */
};

struct threshold_counters {
	uint64_t checked, passed, suppressed, threshold_dropped, state_evicted, state_entries;
};
extern const struct mx_counter_desc threshold_counter_desc[];

#define THRESHOLD_TABLE_DEFAULT 16384

struct threshold_ctx;

/*
 * Creates the runtime state for set (which must outlive it) with a table
 * of table_size entries (rounded up to a power of two, 16..16M). NULL on
 * allocation failure.
 */
struct threshold_ctx *threshold_ctx_new(const struct threshold_set *set, uint32_t table_size);

/* Frees the state; NULL is allowed. */
void threshold_ctx_free(struct threshold_ctx *c);

/*
 * Decides whether the alert ev is emitted. Suppressions are checked first
 * and leave the threshold state alone. An event without the tracked value
 * (no domain for by_domain, no address for by_src/by_dst) is tracked under
 * an empty value. Packet time going backwards counts as no time passing.
 * Never allocates.
 */
enum thr_verdict threshold_check(struct threshold_ctx *c, const struct thr_event *ev);

const struct threshold_counters *threshold_ctx_counters(const struct threshold_ctx *c);

/* "limit", "threshold", "both". */
const char *thr_type_name(enum thr_type t);
/* "by_src", "by_dst", "by_domain", "by_rule", "by_either". */
const char *thr_track_name(enum thr_track t);

#endif
