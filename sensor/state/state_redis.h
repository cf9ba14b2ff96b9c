/*
 * state_redis.h - what the Redis backend of the state store (state_redis.c,
 * reached through state_open with a redis:// or unix:// spec) shows beyond
 * state.h: its own counters, for the stats record.
 */
#ifndef MX_STATE_REDIS_H
#define MX_STATE_REDIS_H

#include "state/state.h"

/* The backend's operations (state_backends.c hands them to state_open). */
extern const struct state_ops state_redis_backend_ops;

/* stats.state.redis.*: stale writes, rejected, feed read, fetched, missing, dropped, reconnects. */
extern const struct mx_counter_desc state_redis_counter_desc[];

/* The counters of the process's Redis state backend (updated atomically). */
const void *state_redis_counters(void);

#endif
