/*
 * state_backends.c - which state backends this build has besides SQLite
 * (state.h): state_open picks Redis (state_redis.c) for redis:// and
 * unix:// specs through state_redis_ops.
 */
#include "state/state_redis.h"

const struct state_ops *const state_redis_ops = &state_redis_backend_ops;
