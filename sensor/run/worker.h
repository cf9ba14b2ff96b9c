/*
 * worker.h - live capture on several threads. The capture thread hands
 * each frame to one of N workers, picked by a symmetric hash of the
 * frame's IP address pair (dispatch.h), through a bounded per-worker
 * queue (ring.h): both directions of a connection and every fragment of a
 * datagram reach the same worker. Each worker owns a whole pipeline
 * (decoder with defragmentation, flow table, reassembly, application
 * layer with its own nDPI module) and its own EVE record builder; the
 * correlate stage (expectations, DNSSEC validator, policies, alerts,
 * tally) and the EVE outputs are shared under their locks.
 *
 * A worker runs a frame only when no other worker still holds an older
 * frame that may carry DNS (order.h): what DNS teaches is learned before
 * any frame captured after it is judged, as with one thread.
 *
 * A worker with nothing queued sleeps at most 100 ms, then runs its
 * pipeline's timeouts by the wall clock, so sessions end and alerts are
 * written on a quiet link too. A frame whose worker's queue is full is
 * dropped and counted (capture.worker_queue_drops and per worker).
 * Offline runs do not use workers: one thread keeps them deterministic.
 */
#ifndef MX_WORKER_H
#define MX_WORKER_H

#include "correlate/correlate.h"
#include "output/eve.h"
#include "run/pipeline.h"
#include "output/stats.h"

/* Workers at most (config.c allows 1..64). */
#define WORKER_MAX 64
/* Default queue per worker. */
#define WORKER_QUEUE_DEFAULT (16u << 20)

struct worker_pool_config {
	unsigned workers;   /* 1..WORKER_MAX */
	size_t queue_bytes; /* per worker; 0: WORKER_QUEUE_DEFAULT */
	/*
	 * The pipeline configuration as for one pipeline: each worker gets
	 * 1/workers of its memcaps (flow, stream, defrag, nDPI, sessions),
	 * trains and hash buckets, so the configured totals hold.
	 */
	struct pipeline_config pipe;
	uint32_t stats_interval_s; /* worker_pool_tick writes stats this often; 0: never */
	/* Wall clock in microseconds; NULL: CLOCK_REALTIME. Returning 0 turns the idle ticks off.
	 */
	uint64_t (*clock_us)(void);
};

/* Fills cfg: one worker, the default queue, pipeline defaults, no stats interval. */
void worker_pool_config_defaults(struct worker_pool_config *cfg);

/* The default number of live workers: the online CPUs, within 1..WORKER_MAX. */
unsigned worker_default_count(void);

/*
 * Divides the memcaps, trains and hash buckets of pc among n pipelines
 * (each at least 1, hash buckets at least 1024).
 */
void worker_share_limits(struct pipeline_config *pc, unsigned n);

struct worker_pool;

/*
 * Builds the workers (each a pipeline writing through its own writer of
 * eve, judging through corr) and starts their threads. eve is the calling
 * thread's writer, used for stats records. The caller keeps eve and corr
 * alive until worker_pool_free. NULL with a message in err on failure.
 */
struct worker_pool *worker_pool_new(const struct worker_pool_config *cfg, struct eve *eve,
				    struct correlate *corr, char *err, size_t errlen);

/*
 * Stops the workers if still running (worker_pool_stop), frees them and
 * their pipelines and writers.
 */
void worker_pool_free(struct worker_pool *wp);

/*
 * Capture callback (ctx is the pool): copies the frame into the queue of
 * its worker, or drops and counts it when that queue is full. Only one
 * thread (the capture) may call it.
 */
void worker_pool_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
			uint32_t wirelen);

/* Waits until every frame queued so far has been processed. */
void worker_pool_drain(struct worker_pool *wp);

/*
 * Ends the run: every queue is drained, every worker ends its open flows
 * (their records and alerts are written) and its thread exits. Idempotent.
 */
void worker_pool_stop(struct worker_pool *wp);

/*
 * Called by the capture thread about every 100 ms with the wall clock:
 * writes the periodic stats record when stats_interval_s is due.
 */
void worker_pool_tick(struct worker_pool *wp, uint64_t now_us);

/*
 * Adds a counter table to the stats record. under_correlate_lock: the
 * table is updated under the correlate stage's lock (alert filter state)
 * and is read under it; otherwise only the calling (capture) thread
 * updates it.
 */
void worker_pool_add_stats_source(struct worker_pool *wp, const void *base,
				  const struct mx_counter_desc *desc, bool under_correlate_lock);

/* Points the source that uses table desc at base instead (after a reload). */
void worker_pool_replace_stats_source(struct worker_pool *wp, const struct mx_counter_desc *desc,
				      const void *base);

/*
 * Writes one stats record for the whole sensor at wall time now_us: every
 * worker's counters summed, the shared stages, the EVE writer and the
 * added sources once, capture.worker_queue_drops, and per worker
 * workers.wN.packets and workers.wN.queue_drops.
 */
void worker_pool_write_stats(struct worker_pool *wp, uint64_t now_us);

/*
 * Frames dropped so far because their worker's queue was full. Cheap, for
 * the capture thread (the only one that drops).
 */
uint64_t worker_pool_queue_drops(const struct worker_pool *wp);

/* Number of workers. */
unsigned worker_pool_count(const struct worker_pool *wp);

/* Sum of one named counter over the workers and the sources (0 when none has it). */
uint64_t worker_pool_counter(struct worker_pool *wp, const char *name);

#endif
