/*
 * hash.c - SipHash-2-4 (Aumasson and Bernstein) and its random keys.
 */
#include "util/hash.h"

#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl64(v[2], 32);
}

/* The little-endian word at p (a whole 8 bytes). */
static inline uint64_t load_word(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The n < 8 bytes at p as a little-endian number. */
static inline uint64_t load_tail(const uint8_t *p, size_t n)
{
	uint64_t w = 0;

	for (size_t j = 0; j < n; j++)
		w |= (uint64_t)p[j] << (8 * j);
	return w;
}

uint64_t mx_siphash(const struct mx_hash_key *k, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v[4] = {k->k0 ^ 0x736f6d6570736575ULL, k->k1 ^ 0x646f72616e646f6dULL,
			 k->k0 ^ 0x6c7967656e657261ULL, k->k1 ^ 0x7465646279746573ULL};
	uint64_t m;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		m = load_word(p + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	m = load_tail(p + i, len - i) | (uint64_t)len << 56;
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static bool fixed_keys;

void mx_hash_use_fixed_keys(void)
{
	fixed_keys = true;
}

void mx_hash_key_init(struct mx_hash_key *k)
{
	uint64_t key[2];
	struct timespec ts;

	if (fixed_keys) {
		k->k0 = 0x6d78732d6f66666cULL; /* "mxs-offl" */
		k->k1 = 0x696e652d6b657921ULL; /* "ine-key!" */
		return;
	}
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) == (ssize_t)sizeof(key)) {
		k->k0 = key[0];
		k->k1 = key[1];
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	k->k0 = 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)k;
	k->k1 = 0xc2b2ae3d27d4eb4fULL ^ (uint64_t)ts.tv_sec;
}
