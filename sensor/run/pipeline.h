/*
 * pipeline.h - one packet's way through the sensor: decode, flow lookup,
 * TCP reassembly or UDP hand-off, the application layer; timeouts driven
 * by packet time; the periodic and final stats record.
 */
#ifndef MX_PIPELINE_H
#define MX_PIPELINE_H

#include "app/app.h"
#include "correlate/correlate.h"
#include "decode/decode.h"
#include "output/eve.h"
#include "flow/flow.h"
#include "output/stats.h"
#include "flow/stream.h"

struct pipeline_config {
	struct decode_config decode;
	struct flow_config flow;
	struct stream_config stream;
	struct app_config app;
	uint32_t stats_interval_s; /* 0: only the final stats record */
	/*
	 * Several pipelines running side by side (workers): this one is number
	 * worker_index of worker_count, and gives its flows ids no other
	 * worker gives. worker_count 0 or 1: the only pipeline, flow ids as
	 * the flow table numbers them.
	 */
	unsigned worker_index, worker_count;
};

/* Fills every stage's defaults. */
void pipeline_config_defaults(struct pipeline_config *cfg);

struct pipeline_counters {
	uint64_t decode_ok, decode_held, decode_skip, decode_invalid, flow_none;
	uint64_t timelines;	  /* new timelines started after the first */
	uint64_t decode_checksum; /* dropped: a checksum failed */
};

struct pipeline;

/*
 * Builds every stage. The pipeline writes to eve (a writer of the
 * calling thread's) but does not own it; the writer's counters are not
 * among the pipeline's stats sources (add them once for all pipelines).
 * Returns NULL with a message in err on failure.
 */
struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct eve *eve,
			      struct correlate *corr, char *err, size_t errlen);
/* Ends every open flow (their records are written) and frees all stages. */
void pipeline_free(struct pipeline *p);

/* Processes one captured frame; the signature of a capture callback. */
void pipeline_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
		     uint32_t wirelen);

/*
 * Runs the work due at packet time now_us (flow timeouts, fragment
 * expiry, periodic stats). Called by pipeline_packet on its own; live
 * capture also calls it from its idle tick with the wall clock.
 */
void pipeline_tick(struct pipeline *p, uint64_t now_us);

/* Ends every open flow now, writing its records (end of input). */
void pipeline_flush(struct pipeline *p);

/*
 * Starts a new timeline (an unrelated capture follows): ends every open
 * flow, drops held fragments and what sessions left for later ones, and
 * lets packet time start again from the next packet. The correlate
 * stage's memory is the caller's to clear (correlate_forget).
 */
void pipeline_new_timeline(struct pipeline *p);

/* Adds extra counter tables (capture, rules) to every stats record. */
void pipeline_add_stats_source(struct pipeline *p, const void *base,
			       const struct mx_counter_desc *desc);

/* Points the source that uses table desc at base instead (after a reload). */
void pipeline_replace_stats_source(struct pipeline *p, const struct mx_counter_desc *desc,
				   const void *base);

/* Writes a stats record now, at the last packet time seen. */
void pipeline_write_stats(struct pipeline *p);

/*
 * Writes a stats record stamped ts_us with uptime_s (a live run: the wall
 * clock and the seconds since the sensor started).
 */
void pipeline_write_stats_at(struct pipeline *p, uint64_t ts_us, uint64_t uptime_s);

/* The application layer, for the end-of-run summary. */
struct app *pipeline_app(struct pipeline *p);

/* The counter sources of every stage, for summaries and tests. */
size_t pipeline_stats_sources(const struct pipeline *p, const struct stats_source **out);

/* Packet time of the last packet seen (0 before the first). */
uint64_t pipeline_last_ts(const struct pipeline *p);

#endif
