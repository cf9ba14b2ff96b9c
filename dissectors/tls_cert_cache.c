/*
 * tls_cert_cache.c - the certificate cache of tls.h: parsed certificates
 * kept by the SHA-256 of their DER, so that a certificate seen again (the
 * same MX host, session after session) is not decoded again. Sets of a
 * few ways with LRU inside each set; an entry holds its digests, its
 * dates and its strings packed into one allocation of just their size.
 */
#include "tls_int.h"

#include <stdlib.h>
#include <string.h>

/* One certificate: the event's values and its strings, packed. */
struct cert_entry {
	uint8_t sha256[32];
	uint8_t sha1[20], sha512[64], spki_sha256[32], spki_sha512[64];
	bool parsed, spki_ok;
	int64_t not_before, not_after;
	uint64_t last_use;
	unsigned nsan, san_dropped;
	size_t size; /* bytes of this allocation */
	/* offsets into text: cn, subject, issuer, serial, then the SANs */
	uint16_t off_cn, off_subject, off_issuer, off_serial;
	uint16_t off_san[TLS_SAN_MAX];
	char text[];
};

struct tls_cert_cache {
	struct cert_entry *way[TLS_CERT_CACHE_SETS][TLS_CERT_CACHE_WAYS];
	uint64_t clock;
	struct tls_cert_cache_counters ctr;
};

struct tls_cert_cache *tls_cert_cache_new(void)
{
	return calloc(1, sizeof(struct tls_cert_cache));
}

void tls_cert_cache_free(struct tls_cert_cache *c)
{
	if (c == NULL)
		return;
	for (size_t s = 0; s < TLS_CERT_CACHE_SETS; s++)
		for (size_t w = 0; w < TLS_CERT_CACHE_WAYS; w++)
			free(c->way[s][w]);
	free(c);
}

const struct tls_cert_cache_counters *tls_cert_cache_counters(const struct tls_cert_cache *c)
{
	return &c->ctr;
}

void tls_set_cert_cache(struct tls_state *t, struct tls_cert_cache *cache)
{
	t->cache = cache;
}

/* The set of a certificate: bits of its SHA-256, which nobody can aim
 * at more than one set at a time. */
static struct cert_entry **set_of(struct tls_cert_cache *c, const uint8_t sha256[32])
{
	uint32_t h = (uint32_t)sha256[0] | (uint32_t)sha256[1] << 8;

	return c->way[h % TLS_CERT_CACHE_SETS];
}

bool tls_cert_cache_get(struct tls_cert_cache *c, struct tls_event *ev, struct cert_text *tx)
{
	struct cert_entry **set = set_of(c, ev->u.cert.sha256), *e = NULL;

	for (size_t w = 0; w < TLS_CERT_CACHE_WAYS && e == NULL; w++)
		if (set[w] != NULL && memcmp(set[w]->sha256, ev->u.cert.sha256, 32) == 0)
			e = set[w];
	if (e == NULL) {
		c->ctr.misses++;
		return false;
	}
	c->ctr.hits++;
	e->last_use = ++c->clock;
	memcpy(ev->u.cert.sha1, e->sha1, 20);
	memcpy(ev->u.cert.sha512, e->sha512, 64);
	memcpy(ev->u.cert.spki_sha256, e->spki_sha256, 32);
	memcpy(ev->u.cert.spki_sha512, e->spki_sha512, 64);
	ev->u.cert.parsed = e->parsed;
	ev->u.cert.spki_ok = e->spki_ok;
	ev->u.cert.not_before = e->not_before;
	ev->u.cert.not_after = e->not_after;
	ev->u.cert.nsan = e->nsan;
	ev->u.cert.san_dropped = e->san_dropped;
	ev->u.cert.cached = true;
	/* Every string was stored NUL-terminated and shorter than its buffer. */
	strcpy(tx->cn, e->text + e->off_cn);
	strcpy(tx->subject, e->text + e->off_subject);
	strcpy(tx->issuer, e->text + e->off_issuer);
	strcpy(tx->serial, e->text + e->off_serial);
	tx->pool_used = 0;
	for (unsigned i = 0; i < e->nsan; i++) {
		size_t n = strlen(e->text + e->off_san[i]) + 1;

		memcpy(tx->pool + tx->pool_used, e->text + e->off_san[i], n);
		tx->san[i] = tx->pool + tx->pool_used;
		tx->pool_used += n;
	}
	return true;
}

/* Copies the NUL-terminated s to the end of e's text; returns its offset. */
static uint16_t pack(struct cert_entry *e, size_t *used, const char *s)
{
	size_t n = strlen(s) + 1;
	uint16_t off = (uint16_t)*used;

	memcpy(e->text + *used, s, n);
	*used += n;
	return off;
}

/* Removes the way of set that holds e, giving its bytes back. */
static void drop(struct tls_cert_cache *c, struct cert_entry **slot)
{
	c->ctr.memuse -= (*slot)->size;
	c->ctr.entries--;
	free(*slot);
	*slot = NULL;
}

void tls_cert_cache_put(struct tls_cert_cache *c, const struct tls_event *ev,
			const struct cert_text *tx)
{
	struct cert_entry **set = set_of(c, ev->u.cert.sha256), **slot = NULL, *e;
	size_t text = strlen(tx->cn) + strlen(tx->subject) + strlen(tx->issuer) +
		      strlen(tx->serial) + 4,
	       used = 0;

	for (unsigned i = 0; i < ev->u.cert.nsan; i++)
		text += strlen(tx->san[i]) + 1;
	if (text > UINT16_MAX)
		return;
	/* A free way, else the least recently used one of the set. */
	for (size_t w = 0; w < TLS_CERT_CACHE_WAYS; w++) {
		if (set[w] == NULL) {
			slot = &set[w];
			break;
		}
		if (slot == NULL || set[w]->last_use < (*slot)->last_use)
			slot = &set[w];
	}
	if (*slot != NULL) {
		drop(c, slot);
		c->ctr.evicted++;
	}
	if (c->ctr.memuse + sizeof(*e) + text > TLS_CERT_CACHE_MEMCAP) {
		c->ctr.memcap++;
		return;
	}
	e = malloc(sizeof(*e) + text);
	if (e == NULL)
		return;
	memcpy(e->sha256, ev->u.cert.sha256, 32);
	memcpy(e->sha1, ev->u.cert.sha1, 20);
	memcpy(e->sha512, ev->u.cert.sha512, 64);
	memcpy(e->spki_sha256, ev->u.cert.spki_sha256, 32);
	memcpy(e->spki_sha512, ev->u.cert.spki_sha512, 64);
	e->parsed = ev->u.cert.parsed;
	e->spki_ok = ev->u.cert.spki_ok;
	e->not_before = ev->u.cert.not_before;
	e->not_after = ev->u.cert.not_after;
	e->nsan = ev->u.cert.nsan;
	e->san_dropped = ev->u.cert.san_dropped;
	e->size = sizeof(*e) + text;
	e->last_use = ++c->clock;
	e->off_cn = pack(e, &used, tx->cn);
	e->off_subject = pack(e, &used, tx->subject);
	e->off_issuer = pack(e, &used, tx->issuer);
	e->off_serial = pack(e, &used, tx->serial);
	for (unsigned i = 0; i < e->nsan; i++)
		e->off_san[i] = pack(e, &used, tx->san[i]);
	*slot = e;
	c->ctr.memuse += e->size;
	c->ctr.entries++;
}
