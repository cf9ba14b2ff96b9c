/*
 * state_backends.c - which state backends this build has besides SQLite
 * (state.h): state_open picks Redis for redis:// specs through
 * state_redis_ops, NULL while no Redis backend is built in.
 */
#include "state/state.h"

const struct state_ops *const state_redis_ops = NULL;
