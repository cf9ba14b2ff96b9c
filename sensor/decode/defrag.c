/*
 * defrag.c - IP fragment reassembly: a hash table of fragment trains, each
 * a sorted list of disjoint pieces. A new fragment only fills the gaps
 * left by the pieces already held (first data wins); the parts it shares
 * with them are compared and counted. Trains are kept in creation order
 * so expiry by packet time is a walk from the oldest end.
 */
#include "decode/defrag.h"
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

/* Largest reassembled datagram data (both families' length fields are 16 bits). */
#define DEFRAG_MAX_DATA 65535u

_Static_assert(sizeof(struct defrag_key) == 44, "defrag_key must have no implicit padding");

struct piece {
	struct piece *next;
	uint32_t off, len;
	uint8_t data[];
};

struct train {
	struct defrag_key key;
	struct train *hnext;	     /* hash chain */
	struct train *older, *newer; /* creation order */
	struct piece *pieces;	     /* sorted by offset, disjoint */
	uint64_t first_ts;
	size_t mem; /* bytes accounted to this train */
	uint32_t npieces;
	uint32_t end; /* datagram data length, once have_end */
	uint32_t hash;
	bool have_end;
	uint8_t hdr_len; /* 0 until the offset-0 fragment arrived */
	uint8_t hdr[DEFRAG_MAX_HDR];
};

struct defrag {
	struct decode_counters *c;
	size_t memcap, memuse;
	uint64_t timeout_us;
	uint32_t max_trains, max_pieces, ntrains, mask;
	struct mx_hash_key key; /* of the bucket hash */
	struct train **buckets;
	struct train *oldest, *newest;
	uint8_t *buf; /* reassembly output */
};

static uint32_t key_hash(const struct defrag *df, const struct defrag_key *k)
{
	return (uint32_t)mx_siphash(&df->key, k, sizeof(*k));
}

static void set_memuse(struct defrag *df)
{
	df->c->frag_memuse = df->memuse;
}

static void train_free(struct defrag *df, struct train *t)
{
	struct train **pp = &df->buckets[t->hash & df->mask];
	struct piece *p, *next;

	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	if (t->older)
		t->older->newer = t->newer;
	else
		df->oldest = t->newer;
	if (t->newer)
		t->newer->older = t->older;
	else
		df->newest = t->older;
	for (p = t->pieces; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	df->memuse -= t->mem;
	df->ntrains--;
	free(t);
	set_memuse(df);
}

struct defrag *defrag_new(const struct decode_config *cfg, struct decode_counters *cnt)
{
	struct defrag *df = calloc(1, sizeof(*df));
	uint32_t nb = 16;

	if (df == NULL)
		return NULL;
	df->c = cnt;
	df->memcap = cfg->defrag_memcap;
	df->timeout_us = (uint64_t)cfg->defrag_timeout_s * MX_USEC;
	df->max_trains = cfg->defrag_max_trains;
	df->max_pieces = cfg->defrag_max_frags;
	while (nb < df->max_trains && nb < (1u << 20))
		nb <<= 1;
	df->mask = nb - 1;
	mx_hash_key_init(&df->key);
	df->buckets = calloc(nb, sizeof(*df->buckets));
	df->buf = malloc(DEFRAG_MAX_HDR + DEFRAG_MAX_DATA);
	if (df->buckets == NULL || df->buf == NULL) {
		defrag_free(df);
		return NULL;
	}
	return df;
}

void defrag_free(struct defrag *df)
{
	if (df == NULL)
		return;
	for (struct train *t = df->oldest, *newer; t != NULL; t = newer) {
		newer = t->newer;
		train_free(df, t);
	}
	free(df->buckets);
	free(df->buf);
	free(df);
}

static bool train_expired(const struct defrag *df, const struct train *t, uint64_t now_us)
{
	return now_us > t->first_ts && now_us - t->first_ts > df->timeout_us;
}

void defrag_expire(struct defrag *df, uint64_t now_us)
{
	struct train *t = df->oldest;

	while (t != NULL && train_expired(df, t, now_us)) {
		struct train *newer = t->newer;

		df->c->frag_timeouts++;
		train_free(df, t);
		t = newer;
	}
}

static struct train *train_find(struct defrag *df, const struct defrag_key *key, uint32_t h)
{
	struct train *t;

	for (t = df->buckets[h & df->mask]; t != NULL; t = t->hnext)
		if (t->hash == h && memcmp(&t->key, key, sizeof(*key)) == 0)
			return t;
	return NULL;
}

static struct train *train_create(struct defrag *df, const struct defrag_key *key, uint32_t h,
				  uint64_t ts_us)
{
	struct train *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->key = *key;
	t->hash = h;
	t->first_ts = ts_us;
	t->mem = sizeof(*t);
	t->hnext = df->buckets[h & df->mask];
	df->buckets[h & df->mask] = t;
	t->older = df->newest;
	if (df->newest)
		df->newest->newer = t;
	else
		df->oldest = t;
	df->newest = t;
	df->ntrains++;
	df->memuse += t->mem;
	set_memuse(df);
	return t;
}

/* What adding f to t would take: new pieces, their bytes, and overlaps. */
struct scan {
	uint32_t new_pieces;
	size_t new_bytes;
	bool overlap, differs;
};

static void train_scan(const struct train *t, const struct defrag_frag *f, struct scan *s)
{
	uint32_t pos = f->offset, end = f->offset + f->len;
	const struct piece *p = t->pieces;

	memset(s, 0, sizeof(*s));
	while (pos < end) {
		uint32_t ov_end;

		while (p != NULL && p->off + p->len <= pos)
			p = p->next;
		if (p == NULL || p->off >= end) {
			s->new_pieces++;
			s->new_bytes += end - pos;
			break;
		}
		if (p->off > pos) {
			s->new_pieces++;
			s->new_bytes += p->off - pos;
			pos = p->off;
		}
		ov_end = MX_MIN(end, p->off + p->len);
		s->overlap = true;
		if (memcmp(f->data + (pos - f->offset), p->data + (pos - p->off), ov_end - pos) !=
		    0)
			s->differs = true;
		pos = ov_end;
	}
}

/* Stores the parts of f no piece covers yet; false on allocation failure. */
static bool train_fill(struct defrag *df, struct train *t, const struct defrag_frag *f)
{
	uint32_t pos = f->offset, end = f->offset + f->len;
	struct piece **link = &t->pieces;

	while (pos < end) {
		struct piece *p, *np;
		uint32_t gap_end;
		size_t sz;

		while (*link != NULL && (*link)->off + (*link)->len <= pos)
			link = &(*link)->next;
		p = *link;
		if (p == NULL || p->off >= end) {
			gap_end = end;
		} else if (p->off > pos) {
			gap_end = p->off;
		} else {
			pos = MX_MIN(end, p->off + p->len);
			continue;
		}
		sz = sizeof(*np) + (gap_end - pos);
		np = malloc(sz);
		if (np == NULL)
			return false;
		np->off = pos;
		np->len = gap_end - pos;
		memcpy(np->data, f->data + (pos - f->offset), np->len);
		np->next = p;
		*link = np;
		link = &np->next;
		t->npieces++;
		t->mem += sz;
		df->memuse += sz;
		pos = gap_end;
	}
	set_memuse(df);
	return true;
}

/* End of the data held so far (0 with no pieces). */
static uint32_t train_data_end(const struct train *t)
{
	const struct piece *p = t->pieces;

	if (p == NULL)
		return 0;
	while (p->next != NULL)
		p = p->next;
	return p->off + p->len;
}

static bool train_complete(const struct train *t)
{
	uint32_t expect = 0;

	if (!t->have_end || t->hdr_len == 0)
		return false;
	for (const struct piece *p = t->pieces; p != NULL; p = p->next) {
		if (p->off != expect)
			return false;
		expect += p->len;
	}
	return expect == t->end;
}

/* Copies the template and the data of a complete train into df->buf. */
static uint32_t train_assemble(struct defrag *df, const struct train *t)
{
	memcpy(df->buf, t->hdr, t->hdr_len);
	for (const struct piece *p = t->pieces; p != NULL; p = p->next)
		memcpy(df->buf + t->hdr_len + p->off, p->data, p->len);
	return t->hdr_len + t->end;
}

/* A fragment that contradicts the end of its train, or a bad length. */
static bool frag_inconsistent(const struct train *t, const struct defrag_frag *f, uint32_t end)
{
	if (t->have_end)
		return end > t->end || (!f->more && end != t->end);
	return !f->more && train_data_end(t) > end;
}

/* Drops the train of a fragment that hit a resource limit. */
static enum defrag_result drop_train(struct defrag *df, struct train *t, uint64_t *counter)
{
	(*counter)++;
	train_free(df, t);
	return DEFRAG_DROPPED;
}

enum defrag_result defrag_insert(struct defrag *df, const struct defrag_key *key,
				 const struct defrag_frag *f, uint8_t **out, uint32_t *out_len,
				 uint32_t *hdr_len)
{
	uint32_t max_end = MX_MIN(f->max_end, DEFRAG_MAX_DATA);
	uint32_t h, end;
	struct train *t;
	struct scan s;

	if (key->family == 4)
		df->c->frag_ipv4_fragments++;
	else
		df->c->frag_ipv6_fragments++;
	if (f->hdr_len == 0 || f->hdr_len > DEFRAG_MAX_HDR ||
	    (f->more && (f->len == 0 || f->len % 8 != 0))) {
		df->c->frag_invalid++;
		return DEFRAG_INVALID;
	}
	if (f->offset > max_end || f->len > max_end - f->offset) {
		df->c->frag_too_large++;
		return DEFRAG_INVALID;
	}
	end = f->offset + f->len;
	defrag_expire(df, f->ts_us);
	h = key_hash(df, key);
	t = train_find(df, key, h);
	if (t != NULL && train_expired(df, t, f->ts_us)) {
		df->c->frag_timeouts++;
		train_free(df, t);
		t = NULL;
	}
	if (t == NULL) {
		if (df->ntrains >= df->max_trains) {
			df->c->frag_max_trains++;
			return DEFRAG_DROPPED;
		}
		if (df->memuse + sizeof(struct train) > df->memcap) {
			df->c->frag_memcap_drop++;
			return DEFRAG_DROPPED;
		}
		t = train_create(df, key, h, f->ts_us);
		if (t == NULL) {
			df->c->frag_memcap_drop++;
			return DEFRAG_DROPPED;
		}
	}
	if (frag_inconsistent(t, f, end)) {
		df->c->frag_invalid++;
		return DEFRAG_INVALID;
	}
	train_scan(t, f, &s);
	if (s.new_pieces > df->max_pieces - MX_MIN(t->npieces, df->max_pieces))
		return drop_train(df, t, &df->c->frag_max_frags);
	if (df->memuse + s.new_bytes + s.new_pieces * sizeof(struct piece) > df->memcap)
		return drop_train(df, t, &df->c->frag_memcap_drop);
	if (s.overlap)
		df->c->frag_overlap++;
	if (s.differs)
		df->c->frag_overlap_diff++;
	if (!train_fill(df, t, f))
		return drop_train(df, t, &df->c->frag_memcap_drop);
	if (!f->more) {
		t->have_end = true;
		t->end = end;
	}
	if (f->offset == 0 && t->hdr_len == 0) {
		memcpy(t->hdr, f->hdr, f->hdr_len);
		t->hdr_len = (uint8_t)f->hdr_len;
	}
	if (!train_complete(t))
		return DEFRAG_HELD;
	*hdr_len = t->hdr_len;
	*out_len = train_assemble(df, t);
	*out = df->buf;
	if (key->family == 4)
		df->c->frag_ipv4_reassembled++;
	else
		df->c->frag_ipv6_reassembled++;
	train_free(df, t);
	return DEFRAG_DONE;
}
