/*
 * eve.h - the EVE JSON writer: one JSON object per line, Suricata's field
 * names, built with jansson and written to every output (file, stdout,
 * syslog) whose event-type selection includes the record.
 *
 * Threads: a struct eve builds one record at a time and belongs to one
 * thread. Each further thread that writes records takes its own writer
 * from eve_writer_new(): it builds its records on its own and shares the
 * outputs, whose writes (one whole line at a time), flushes, reopens and
 * counters are serialised by a lock, so lines never interleave. Outputs
 * are added, and pcap_filename set, only while no other thread writes.
 *
 * Outputs are EVE JSON lines, except a `fast` output: one line per alert
 * in the layout of Suricata's fast.log. dns records come in Suricata's
 * layout 3 (the default) or 2, chosen per output (eve_output_opts).
 *
 * Strings that come from traffic go through eve_bytes(), which keeps
 * printable ASCII (0x20-0x7e) except the backslash and writes every other
 * byte as the four characters \xNN, so any byte sequence round-trips and
 * every line is valid UTF-8 JSON whatever the traffic contained.
 */
#ifndef MX_EVE_H
#define MX_EVE_H

#include <stdio.h>

#include "util/common.h"
#include "flow/flow.h"

/* Event types, as a bit mask for output selection. */
enum eve_type {
	EVE_ALERT = 1u << 0,
	EVE_SMTP = 1u << 1,
	EVE_DNS = 1u << 2,
	EVE_TLS = 1u << 3,
	EVE_FLOW = 1u << 4,
	EVE_STATS = 1u << 5,
};
#define EVE_ALL (EVE_ALERT | EVE_SMTP | EVE_DNS | EVE_TLS | EVE_FLOW | EVE_STATS)

/* The event_type string of one type bit. */
const char *eve_type_name(unsigned type);
/* Parses an event_type name into its bit; 0 when unknown. */
unsigned eve_type_parse(const char *name);

struct eve_counters {
	uint64_t lines, alerts, write_errors, reopens;
};
extern const struct mx_counter_desc eve_counter_desc[];

struct eve;

/* Creates a writer with no outputs; NULL on allocation failure. */
struct eve *eve_new(void);
/*
 * A further writer that writes to the outputs of e (for another thread);
 * NULL on allocation failure. Free it with eve_free before e.
 */
struct eve *eve_writer_new(struct eve *e);
/* Frees a writer; the one made by eve_new also flushes and closes every output. */
void eve_free(struct eve *e);

#define EVE_DEFAULT_FILEMODE 0640

/* How one file (or stdout) output writes. */
struct eve_output_opts {
	unsigned mask;	   /* event types it receives (a fast output: alerts only) */
	bool append;	   /* false: the file is truncated when opened first */
	unsigned filemode; /* permission bits of the file; 0: EVE_DEFAULT_FILEMODE */
	int dns_version;   /* dns record layout: 2 (Suricata's v2) or 3; 0: 3 */
	bool fast;	   /* one fast.log line per alert instead of EVE JSON */
};

/*
 * Adds an output: a file opened for append (or truncated first), given
 * exactly opts->filemode however the umask or an existing file says, and
 * again on every reopen; "-" is stdout. Returns false and fills err when
 * the file cannot be opened.
 */
bool eve_add_output(struct eve *e, const char *path, const struct eve_output_opts *opts, char *err,
		    size_t errlen);
/* eve_add_output with the default mode and the default dns layout. */
bool eve_add_file(struct eve *e, const char *path, unsigned mask, bool append, char *err,
		  size_t errlen);
/* Adds syslog output (LOG_DAEMON unless facility says otherwise). */
bool eve_add_syslog(struct eve *e, int facility, unsigned mask);
/*
 * An output that hands each selected line to code of its own (the Redis
 * output): push gets the line (without newline) under the output lock
 * and must not block; drain waits, within its own bound, until what was
 * pushed has left; close drains and releases ctx. drain and close may be
 * NULL.
 */
struct eve_hook {
	void (*push)(void *ctx, const char *line, size_t len);
	void (*drain)(void *ctx);
	void (*close)(void *ctx);
	void *ctx;
};
/* Adds a hook output taking the types in mask; false when the outputs are full. */
bool eve_add_hook(struct eve *e, const struct eve_hook *hook, unsigned mask);
/* Lets every hook output drain (before the last stats record at exit). */
void eve_drain(struct eve *e);
/* Reopens every file output (log rotation, SIGHUP). */
void eve_reopen(struct eve *e);
/* Flushes buffered output of every file output. */
void eve_flush(struct eve *e);

/* True when some output takes records of this type. */
bool eve_wants(const struct eve *e, unsigned type);
/* True when some output takes dns records in layout `version` (2 or 3). */
bool eve_wants_dns_version(const struct eve *e, int version);
/*
 * After eve_begin of a dns record: the record goes only to outputs that
 * write dns records in layout `version` (a writer builds one record per
 * layout some output wants).
 */
void eve_only_dns_version(struct eve *e, int version);

/* Writes the app-layer object(s) of a flow into the record being built. */
typedef void (*eve_app_fn)(struct eve *e, const void *arg);
/* Who writes the app-layer object of which flow. */
struct eve_app_layer {
	const void *flow;
	eve_app_fn fn;
	const void *arg;
};
/*
 * While the caller processes the data of app.flow, app.fn(e, app.arg)
 * writes that flow's app-layer object (Suricata's smtp/tls/dns in alert
 * records). Returns the one set before, which the caller puts back when
 * done (so a session ended in the middle of another's data leaves the
 * other's in place). One per writer.
 */
struct eve_app_layer eve_swap_app_layer(struct eve *e, struct eve_app_layer app);
/* Calls the app-layer writer when it was set for this very flow. */
void eve_app_layer(struct eve *e, const void *flow);

/* Sets the pcap_filename of following records (NULL for live capture). */
void eve_set_pcap_filename(struct eve *e, const char *name);

/*
 * Starts a record: timestamp from packet time, then flow_id, community_id,
 * src/dest ip and port, proto and app_proto when f is given. dir says
 * which side is the source (FLOW_TOSERVER: the client). app_proto may be
 * NULL.
 */
void eve_begin(struct eve *e, unsigned type, uint64_t ts_us, const struct flow *f, int dir,
	       const char *app_proto);
void eve_str(struct eve *e, const char *key, const char *val);
/* A string from traffic: escaped as described at the top of this file. */
void eve_bytes(struct eve *e, const char *key, const uint8_t *val, size_t len);
void eve_u64(struct eve *e, const char *key, uint64_t val);
void eve_i64(struct eve *e, const char *key, int64_t val);
void eve_bool(struct eve *e, const char *key, bool val);
/* An address in printable form. */
void eve_addr(struct eve *e, const char *key, const struct mx_addr *a);
void eve_obj_begin(struct eve *e, const char *key);
void eve_obj_end(struct eve *e);
void eve_list_begin(struct eve *e, const char *key);
void eve_list_end(struct eve *e);
/* List elements. */
void eve_list_str(struct eve *e, const char *val);
void eve_list_bytes(struct eve *e, const uint8_t *val, size_t len);
/* Ends the record and writes it as one line to every selected output. */
void eve_commit(struct eve *e);

/* The shared counters, updated in place (read them directly only with no other writer). */
const struct eve_counters *eve_counters(const struct eve *e);
/* Copies the shared counters under the output lock. */
void eve_counters_read(const struct eve *e, struct eve_counters *out);

/* Formats packet time as Suricata does: 2026-11-29T15:32:35.251547+0000 (UTC). */
void eve_format_time(uint64_t ts_us, char *buf, size_t len);

/*
 * Escapes traffic bytes into buf as described at the top of this file;
 * returns the length written (truncated to len-1, never splitting an
 * escape).
 */
size_t eve_escape_bytes(const uint8_t *val, size_t n, char *buf, size_t len);

/* The Community ID v1 (seed 0) of a flow: "1:" + base64(SHA-1). */
void eve_community_id(const struct flow *f, char *buf, size_t len);

#endif
