/*
 * fuzz_digest.h - a running 64-bit FNV-1a digest of the events a fuzz
 * target sees, so that two ways of feeding the same input (whole chunks,
 * and one byte at a time) can be compared: equal digests, equal events.
 */
#ifndef MX_FUZZ_DIGEST_H
#define MX_FUZZ_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct digest {
	uint64_t h;
	uint64_t events;
};

/* Extends the digest over n bytes at p. */
static inline void mix(struct digest *d, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		d->h ^= b[i];
		d->h *= 0x100000001b3ULL;
	}
}

/* Extends the digest over a number. */
static inline void mix_u(struct digest *d, uint64_t v)
{
	mix(d, &v, sizeof(v));
}

/* Extends the digest over a string of n bytes, or over its absence (s NULL). */
static inline void mix_str(struct digest *d, const char *s, size_t n)
{
	mix_u(d, s != NULL ? n : UINT64_MAX);
	if (s != NULL)
		mix(d, s, n);
}

#endif
