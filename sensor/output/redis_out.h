/*
 * redis_out.h - the Redis EVE output: each line goes to a Redis server as
 * RPUSH key line (list, as Suricata's redis output), PUBLISH key line
 * (channel) or XADD key MAXLEN ~ N * eve line (stream).
 *
 * The packet path only copies the line into a bounded in-memory queue
 * (memcap bytes; a line that does not fit is dropped and counted). A
 * sender thread of its own takes up to `batch` lines at a time and writes
 * them pipelined; when the connection fails it puts back the lines that
 * got no reply, reconnects with exponential backoff (100 ms doubling up
 * to 5 s) and carries on. A line whose command the server rejects (ACL,
 * wrong type) is dropped and counted.
 *
 * Counters (stats.redis.*, summed over every Redis output of the process):
 * queued lines, sent (acknowledged by the server), dropped (queue full,
 * rejected, or still unsent when the flush at exit timed out), pending
 * (queued, not yet sent or dropped): queued = sent + dropped + pending.
 */
#ifndef MX_REDIS_OUT_H
#define MX_REDIS_OUT_H

#include "util/redis_conn.h"
#include "util/common.h"

enum redis_mode { REDIS_MODE_LIST, REDIS_MODE_CHANNEL, REDIS_MODE_STREAM };

#define REDIS_KEY_MAX 256

struct redis_out_config {
	struct redis_target target;
	enum redis_mode mode;
	char key[REDIS_KEY_MAX];
	uint64_t memcap;	   /* bytes of queued lines */
	uint64_t stream_maxlen;	   /* stream: approximate MAXLEN; 0 = none */
	uint32_t batch;		   /* lines per pipelined write */
	uint32_t flush_timeout_ms; /* at exit: how long unsent lines may take */
	uint32_t timeout_ms;	   /* connect and reply timeout */
	bool must_connect;	   /* an unreachable server at start is an error */
};

struct redis_counters {
	uint64_t queued, sent, dropped, dropped_full, rejected, unsent_at_exit, pending, reconnects;
};
extern const struct mx_counter_desc redis_counter_desc[];

struct redis_out;

enum redis_open_result {
	REDIS_OPEN_OK,
	REDIS_OPEN_REFUSED, /* wrong password, ACL, database, or (must_connect) unreachable */
	REDIS_OPEN_ERROR,   /* out of memory, thread */
};

/*
 * Connects once (so a wrong password or a refused login is reported at
 * start), then starts the sender thread. An unreachable server is an
 * error when cfg->must_connect, else a warning on stderr and the sender
 * keeps trying. NULL with a message in err and *res saying why.
 */
struct redis_out *redis_out_new(const struct redis_out_config *cfg, enum redis_open_result *res,
				char *err, size_t errlen);

/* Queues one line (no newline); never blocks on the network. */
void redis_out_push(struct redis_out *r, const char *line, size_t len);

/* Waits until nothing is queued or the flush timeout has passed. */
void redis_out_drain(struct redis_out *r);

/*
 * Flushes within the flush timeout, stops the sender, counts what is
 * left as dropped (with a warning on stderr), and frees r.
 */
void redis_out_free(struct redis_out *r);

/* The process-wide counters (updated atomically; a stats source). */
const struct redis_counters *redis_out_counters(void);

/* Number of Redis outputs open now. */
unsigned redis_out_open_count(void);

#endif
