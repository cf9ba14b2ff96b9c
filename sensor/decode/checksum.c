/*
 * checksum.c - one's complement sums for the IPv4 header, TCP and UDP
 * checksums, and the bounded per-source table of `auto` mode (see
 * checksum.h). No allocation per packet: the table is made once.
 */
#include "decode/checksum.h"
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

#define CSUM_WAYS 4

enum src_state {
	SRC_EMPTY,
	SRC_NO_DATA_YET, /* its first packet passed; no packet with data judged yet */
	SRC_CAPABLE,	 /* its first data passed: checked for good */
	SRC_OFFLOADED,	 /* taken for offloaded: failures pass; checks stop once confirmed */
};

struct csum_source {
	struct mx_addr addr;
	uint64_t last_us; /* packet time of the last packet judged */
	uint8_t state;	  /* enum src_state */
	uint8_t fails;	  /* SRC_OFFLOADED: failing packets so far, up to CSUM_OFFLOAD_CONFIRM */
	uint16_t port;	  /* SRC_OFFLOADED: the source port of the failure that marked it */
};

struct csum_sources {
	struct mx_hash_key key;
	uint32_t mask; /* buckets - 1 */
	struct csum_source e[CSUM_SOURCES];
};

bool checksum_mode_parse(const char *s, enum checksum_mode *mode)
{
	static const struct {
		const char *name;
		enum checksum_mode mode;
	} names[] = {{"auto", CHECKSUM_AUTO}, {"all", CHECKSUM_ALL},   {"yes", CHECKSUM_ALL},
		     {"true", CHECKSUM_ALL},  {"none", CHECKSUM_NONE}, {"no", CHECKSUM_NONE},
		     {"false", CHECKSUM_NONE}};

	for (size_t i = 0; i < MX_ARRAY_LEN(names); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*mode = names[i].mode;
			return true;
		}
	}
	return false;
}

const char *checksum_mode_name(enum checksum_mode mode)
{
	switch (mode) {
	case CHECKSUM_ALL:
		return "all";
	case CHECKSUM_NONE:
		return "none";
	case CHECKSUM_AUTO:
	default:
		return "auto";
	}
}

/*
 * The one's complement sum does not depend on byte order (RFC 1071 2(B)):
 * the words are added as the machine loads them, eight bytes at a time,
 * folded to 16 bits and swapped back to network order once. The result
 * is congruent modulo 0xffff to the big-endian sum, which is all that
 * folding and csum_ok look at.
 */
uint64_t csum_add(uint64_t sum, const uint8_t *b, size_t len)
{
	uint64_t native = 0;
	uint16_t w16;

	while (len >= 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		native += (w & 0xffffffffu) + (w >> 32);
		b += 8;
		len -= 8;
	}
	while (len >= 2) {
		memcpy(&w16, b, 2);
		native += w16;
		b += 2;
		len -= 2;
	}
	while (native >> 16)
		native = (native & 0xffff) + (native >> 16);
	w16 = (uint16_t)native;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w16 = (uint16_t)(w16 >> 8 | w16 << 8);
#endif
	sum += w16;
	if (len == 1)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

bool csum_ok(uint64_t sum)
{
	/* 32-bit words summed: folding twice through 32 and 16 bits is exact. */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

uint64_t csum_pseudo(const uint8_t *ip, int version, uint8_t proto, uint32_t l4len)
{
	uint64_t sum = version == 4 ? csum_add(0, ip + 12, 8) : csum_add(0, ip + 8, 32);

	return sum + proto + (l4len >> 16) + (l4len & 0xffff);
}

struct csum_sources *csum_sources_new(void)
{
	struct csum_sources *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->mask = CSUM_SOURCES / CSUM_WAYS - 1;
	/* A secret key: which sources share a bucket is not predictable. */
	mx_hash_key_init(&t->key);
	return t;
}

void csum_sources_free(struct csum_sources *t)
{
	free(t);
}

static struct csum_source *bucket(const struct csum_sources *t, const struct mx_addr *a)
{
	uint64_t h = mx_siphash(&t->key, a->b, sizeof(a->b));

	return (struct csum_source *)&t->e[(h & t->mask) * CSUM_WAYS];
}

static struct csum_source *find(const struct csum_sources *t, const struct mx_addr *a)
{
	struct csum_source *b = bucket(t, a);

	for (int i = 0; i < CSUM_WAYS; i++)
		if (b[i].state != SRC_EMPTY && memcmp(&b[i].addr, a, sizeof(*a)) == 0)
			return &b[i];
	return NULL;
}

bool csum_source_offloaded(const struct csum_sources *t, const struct mx_addr *src)
{
	const struct csum_source *s = find(t, src);

	return s != NULL && s->state == SRC_OFFLOADED && s->fails >= CSUM_OFFLOAD_CONFIRM;
}

/* The entry of src, made (evicting the least recently judged) when missing. */
static struct csum_source *get(struct csum_sources *t, const struct mx_addr *a, bool *evicted)
{
	struct csum_source *b = bucket(t, a), *victim = NULL;

	for (int i = 0; i < CSUM_WAYS; i++) {
		if (b[i].state != SRC_EMPTY && memcmp(&b[i].addr, a, sizeof(*a)) == 0)
			return &b[i];
		if (victim == NULL || (victim->state != SRC_EMPTY &&
				       (b[i].state == SRC_EMPTY || b[i].last_us < victim->last_us)))
			victim = &b[i];
	}
	if (victim->state != SRC_EMPTY)
		*evicted = true;
	memset(victim, 0, sizeof(*victim));
	victim->addr = *a;
	return victim;
}

bool csum_source_judge(struct csum_sources *t, const struct mx_addr *src, uint16_t sport, bool ok,
		       bool data, uint64_t ts_us, bool *became_offloaded, bool *reverted,
		       bool *evicted)
{
	struct csum_source *s = get(t, src, evicted);

	s->last_us = ts_us;
	switch (s->state) {
	case SRC_OFFLOADED:
		if (ok && data && sport == s->port && s->fails < CSUM_OFFLOAD_CONFIRM) {
			/* Offload never lets data pass: the failures were decoys. */
			s->state = SRC_CAPABLE;
			*reverted = true;
		} else if (!ok && s->fails < CSUM_OFFLOAD_CONFIRM) {
			s->fails++;
		}
		return true;
	case SRC_CAPABLE:
		return ok;
	case SRC_NO_DATA_YET:
		if (!data)
			return ok; /* a bad SYN or ACK after good ones: a decoy, not offload */
		break;
	default:
		break;
	}
	if (ok) {
		s->state = data ? SRC_CAPABLE : SRC_NO_DATA_YET;
		return true;
	}
	/* The source's first packet, or its first data, failed. */
	s->state = SRC_OFFLOADED;
	s->fails = 1;
	s->port = sport;
	*became_offloaded = true;
	return true;
}
