/*
 * hash.h - the one hash of every table that traffic fills: SipHash-2-4
 * under a secret key drawn from getrandom when the table is made, so an
 * attacker who chooses names or addresses cannot predict which bucket
 * they land in (and cannot pile them into one chain).
 *
 * Offline runs are reproducible instead: some tables are direct-mapped
 * and overwrite on a collision (counted), so which entries collide must
 * not change from one replay of a capture to the next. They ask for
 * fixed keys before any table is made.
 */
#ifndef MX_HASH_H
#define MX_HASH_H

#include <stddef.h>
#include <stdint.h>

struct mx_hash_key {
	uint64_t k0, k1;
};

/*
 * From now on mx_hash_key_init hands out one fixed key (offline runs).
 * Call once at start, before any table is made and before threads start.
 */
void mx_hash_use_fixed_keys(void);

/*
 * Fills k with 128 random bits from getrandom. Should the kernel have no
 * entropy to give (early boot), falls back to the clock and k's address
 * mixed together, which still differs between runs and tables.
 */
void mx_hash_key_init(struct mx_hash_key *k);

/* SipHash-2-4 of data[0..len) under key k (the reference algorithm). */
uint64_t mx_siphash(const struct mx_hash_key *k, const void *data, size_t len);

#endif
