/*
 * threshold.c - loading of thresholds and suppressions, and the bounded
 * per-(sid, tracked value) state that applies them at alert time.
 */
#include "correlate/threshold.h"
#include "util/hash.h"
#include "util/name.h"

#include <stdlib.h>
#include <string.h>

#include "util/netset.h"

const struct mx_counter_desc threshold_counter_desc[] = {
    MX_COUNTER("alerts.checked", struct threshold_counters, checked),
    MX_COUNTER("alerts.passed", struct threshold_counters, passed),
    MX_COUNTER("alerts.suppressed", struct threshold_counters, suppressed),
    MX_COUNTER("alerts.threshold_dropped", struct threshold_counters, threshold_dropped),
    MX_COUNTER("alerts.threshold_state_evicted", struct threshold_counters, state_evicted),
    MX_COUNTER("alerts.threshold_state_entries", struct threshold_counters, state_entries),
    {NULL, 0},
};

const char *thr_type_name(enum thr_type t)
{
	switch (t) {
	case THR_TYPE_THRESHOLD:
		return "threshold";
	case THR_TYPE_BOTH:
		return "both";
	case THR_TYPE_LIMIT:
		break;
	}
	return "limit";
}

const char *thr_track_name(enum thr_track t)
{
	switch (t) {
	case THR_TRACK_BY_DST:
		return "by_dst";
	case THR_TRACK_BY_DOMAIN:
		return "by_domain";
	case THR_TRACK_BY_RULE:
		return "by_rule";
	case THR_TRACK_BY_EITHER:
		return "by_either";
	case THR_TRACK_BY_SRC:
		break;
	}
	return "by_src";
}

void threshold_set_init(struct threshold_set *s)
{
	memset(s, 0, sizeof(*s));
}

void threshold_set_free(struct threshold_set *s)
{
	free(s->thr);
	free(s->sup);
	memset(s, 0, sizeof(*s));
}

/* ---- CIDR ---- */

bool threshold_parse_cidr(const char *s, struct mx_addr *net, uint8_t *prefix, const char **why)
{
	return mx_cidr_parse(s, net, prefix, why);
}

bool threshold_cidr_match(const struct mx_addr *net, uint8_t prefix, const struct mx_addr *a)
{
	return mx_cidr_match(net, prefix, a);
}

/* ---- loading ---- */

static void origin_of(const struct ydoc_node *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u:%u", n->file, n->line, n->col);
}

static bool get_enum(const struct ydoc_node *n, const char *what, const char *const *names,
		     const char *expected, struct mx_errors *errs, uint8_t *out)
{
	const char *s;

	if (!ydoc_get_str(n, 64, what, errs, &s))
		return false;
	for (uint8_t i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return true;
		}
	}
	ydoc_error(errs, n, "bad value '%.40s' for '%s' (expected %s)", s, what, expected);
	return false;
}

static bool load_threshold(struct threshold_set *s, const struct ydoc_node *m,
			   struct mx_errors *errs)
{
	static const char *const keys[] = {"sid", "type", "track", "count", "seconds", NULL};
	static const char *const types[] = {"limit", "threshold", "both", NULL};
	static const char *const tracks[] = {"by_src", "by_dst", "by_domain", "by_rule", NULL};
	static const char *const required[] = {"sid", "type", "track", "count", "seconds"};
	const struct ydoc_node *v;
	struct thr_rule r;
	bool ok = true;

	if (!ydoc_expect(m, YDOC_MAP, "thresholds", errs))
		return false;
	ok = ydoc_check_keys(m, keys, "threshold", errs);
	for (size_t i = 0; i < MX_ARRAY_LEN(required); i++) {
		if (ydoc_map_get(m, required[i]) == NULL) {
			ydoc_error(errs, m, "missing required field '%s' in threshold",
				   required[i]);
			ok = false;
		}
	}
	if (!ok)
		return false;
	memset(&r, 0, sizeof(r));
	origin_of(m, r.origin, sizeof(r.origin));
	ok &= ydoc_get_u32(ydoc_map_get(m, "sid"), 0, UINT32_MAX, "sid", errs, &r.sid);
	ok &= get_enum(ydoc_map_get(m, "type"), "type", types, "limit, threshold or both", errs,
		       &r.type);
	ok &= get_enum(ydoc_map_get(m, "track"), "track", tracks,
		       "by_src, by_dst, by_domain or by_rule", errs, &r.track);
	ok &= ydoc_get_u32(ydoc_map_get(m, "count"), 1, 1000000000, "count", errs, &r.count);
	ok &= ydoc_get_u32(ydoc_map_get(m, "seconds"), 1, 31536000, "seconds", errs, &r.seconds);
	if (!ok)
		return false;
	for (size_t i = 0; i < s->n_thr; i++) {
		if (s->thr[i].sid == r.sid) {
			v = ydoc_map_get(m, "sid");
			ydoc_error(errs, v, "duplicate threshold for sid %u (first at %s)", r.sid,
				   s->thr[i].origin);
			return false;
		}
	}
	{
		struct thr_rule *grown = realloc(s->thr, (s->n_thr + 1) * sizeof(*grown));

		if (grown == NULL) {
			ydoc_error(errs, m, "out of memory");
			return false;
		}
		s->thr = grown;
		s->thr[s->n_thr++] = r;
	}
	return true;
}

static bool get_host(const struct ydoc_node *n, const char *what, struct mx_errors *errs, char *out)
{
	const char *str, *why = NULL;

	if (!ydoc_get_str(n, 1024, what, errs, &str))
		return false;
	if (mtasts_host_normalize(str, n->n, true, out, &why) < 0) {
		ydoc_error(errs, n, "bad %s '%.80s': %s", what, str, why);
		return false;
	}
	return true;
}

static bool load_suppress(struct threshold_set *s, const struct ydoc_node *m,
			  struct mx_errors *errs)
{
	static const char *const keys[] = {"sid",	 "track", "ip", "domain",
					   "subdomains", "mx",	  NULL};
	static const char *const tracks[] = {"by_src", "by_dst", NULL};
	const struct ydoc_node *sid = ydoc_map_get(m, "sid");
	const struct ydoc_node *ip = ydoc_map_get(m, "ip");
	const struct ydoc_node *dom = ydoc_map_get(m, "domain");
	const struct ydoc_node *mx = ydoc_map_get(m, "mx");
	const struct ydoc_node *track = ydoc_map_get(m, "track");
	const struct ydoc_node *sub = ydoc_map_get(m, "subdomains");
	struct sup_rule r;
	bool ok;

	if (!ydoc_expect(m, YDOC_MAP, "suppress", errs))
		return false;
	ok = ydoc_check_keys(m, keys, "suppress", errs);
	memset(&r, 0, sizeof(r));
	origin_of(m, r.origin, sizeof(r.origin));
	if (sid == NULL) {
		ydoc_error(errs, m, "missing required field 'sid' in suppress");
		return false;
	}
	ok &= ydoc_get_u32(sid, 0, UINT32_MAX, "sid", errs, &r.sid);
	if ((ip != NULL) + (dom != NULL) + (mx != NULL) != 1) {
		ydoc_error(errs, m, "%s in suppress",
			   (ip || dom || mx)
			       ? "give only one of 'ip', 'domain' or 'mx'"
			       : "missing required field: one of 'ip', 'domain' or 'mx'");
		return false;
	}
	if (track != NULL && ip == NULL) {
		ydoc_error(errs, track, "'track' applies only to 'ip' in suppress");
		return false;
	}
	if (sub != NULL && dom == NULL) {
		ydoc_error(errs, sub, "'subdomains' applies only to 'domain' in suppress");
		return false;
	}
	if (ip != NULL) {
		const char *str, *why = NULL;

		r.match = SUP_MATCH_IP;
		r.track = THR_TRACK_BY_EITHER;
		if (track != NULL) {
			uint8_t t;

			if (get_enum(track, "track", tracks, "by_src or by_dst", errs, &t))
				r.track = t == 0 ? THR_TRACK_BY_SRC : THR_TRACK_BY_DST;
			else
				ok = false;
		}
		if (!ydoc_get_str(ip, 64, "ip", errs, &str))
			return false;
		if (!threshold_parse_cidr(str, &r.net, &r.prefix, &why)) {
			ydoc_error(errs, ip, "bad CIDR '%.64s': %s", str, why);
			return false;
		}
	} else if (dom != NULL) {
		r.match = SUP_MATCH_DOMAIN;
		ok &= get_host(dom, "domain", errs, r.name);
		if (sub != NULL)
			ok &= ydoc_get_bool(sub, "subdomains", errs, &r.subdomains);
	} else {
		r.match = SUP_MATCH_MX;
		ok &= get_host(mx, "mx", errs, r.name);
	}
	if (!ok)
		return false;
	{
		struct sup_rule *grown = realloc(s->sup, (s->n_sup + 1) * sizeof(*grown));

		if (grown == NULL) {
			ydoc_error(errs, m, "out of memory");
			return false;
		}
		s->sup = grown;
		s->sup[s->n_sup++] = r;
	}
	return true;
}

bool threshold_set_load_thresholds(struct threshold_set *s, const struct ydoc_node *seq,
				   struct mx_errors *errs)
{
	bool ok = true;

	if (!ydoc_expect(seq, YDOC_SEQ, "thresholds", errs))
		return false;
	for (uint32_t i = 0; i < seq->n; i++)
		ok &= load_threshold(s, seq->items[i], errs);
	return ok;
}

bool threshold_set_load_suppress(struct threshold_set *s, const struct ydoc_node *seq,
				 struct mx_errors *errs)
{
	bool ok = true;

	if (!ydoc_expect(seq, YDOC_SEQ, "suppress", errs))
		return false;
	for (uint32_t i = 0; i < seq->n; i++)
		ok &= load_suppress(s, seq->items[i], errs);
	return ok;
}

/* ---- runtime state ---- */

#define NIL UINT32_MAX

struct thr_state {
	uint32_t sid;
	uint8_t track;
	bool used;
	uint8_t key[16];
	uint64_t first_us;	     /* start of the current window */
	uint32_t count;		     /* events in the current window */
	uint32_t hnext;		     /* bucket chain */
	uint32_t lru_prev, lru_next; /* lru_prev is toward the most recent */
};

struct threshold_ctx {
	const struct threshold_set *set;
	const struct thr_rule **by_sid; /* thresholds sorted by sid */
	size_t n_by_sid;
	const struct thr_rule *global; /* sid 0 */
	struct thr_state *st;
	uint32_t *bucket;
	uint32_t size, mask;
	uint32_t free_head;	     /* chain of unused entries through hnext */
	uint32_t lru_head, lru_tail; /* most and least recently used */
	struct mx_hash_key k[2];     /* hash keys */
	struct threshold_counters ctr;
};

static int cmp_thr(const void *a, const void *b)
{
	const struct thr_rule *x = *(const struct thr_rule *const *)a;
	const struct thr_rule *y = *(const struct thr_rule *const *)b;

	return x->sid < y->sid ? -1 : (x->sid > y->sid);
}

struct threshold_ctx *threshold_ctx_new(const struct threshold_set *set, uint32_t table_size)
{
	struct threshold_ctx *c = calloc(1, sizeof(*c));
	uint32_t size = 16;
	size_t n = 0;

	if (c == NULL)
		return NULL;
	if (table_size > (1u << 24))
		table_size = 1u << 24;
	while (size < table_size)
		size <<= 1;
	c->set = set;
	c->size = size;
	c->mask = size - 1;
	c->st = calloc(size, sizeof(*c->st));
	c->bucket = malloc(size * sizeof(*c->bucket));
	c->by_sid = calloc(set->n_thr ? set->n_thr : 1, sizeof(*c->by_sid));
	if (c->st == NULL || c->bucket == NULL || c->by_sid == NULL) {
		threshold_ctx_free(c);
		return NULL;
	}
	for (size_t i = 0; i < set->n_thr; i++) {
		if (set->thr[i].sid == 0)
			c->global = &set->thr[i];
		else
			c->by_sid[n++] = &set->thr[i];
	}
	c->n_by_sid = n;
	qsort(c->by_sid, n, sizeof(*c->by_sid), cmp_thr);
	for (uint32_t i = 0; i < size; i++) {
		c->bucket[i] = NIL;
		c->st[i].hnext = i + 1 < size ? i + 1 : NIL;
	}
	c->free_head = 0;
	c->lru_head = c->lru_tail = NIL;
	mx_hash_key_init(&c->k[0]);
	mx_hash_key_init(&c->k[1]);
	return c;
}

void threshold_ctx_free(struct threshold_ctx *c)
{
	if (c == NULL)
		return;
	free(c->st);
	free(c->bucket);
	free(c->by_sid);
	free(c);
}

const struct threshold_counters *threshold_ctx_counters(const struct threshold_ctx *c)
{
	return &c->ctr;
}

static void make_key(const struct threshold_ctx *c, const struct thr_rule *r,
		     const struct thr_event *ev, uint8_t key[16])
{
	const struct mx_addr *a = NULL;

	memset(key, 0, 16);
	switch (r->track) {
	case THR_TRACK_BY_SRC:
		a = ev->src;
		break;
	case THR_TRACK_BY_DST:
		a = ev->dst;
		break;
	case THR_TRACK_BY_DOMAIN:
		if (ev->domain != NULL) {
			char name[MX_HOST_MAX + 2];
			size_t n = mx_name_fold(ev->domain, strnlen(ev->domain, MX_HOST_MAX + 1),
						name, sizeof(name));
			uint64_t h0 = mx_siphash(&c->k[0], name, n);
			uint64_t h1 = mx_siphash(&c->k[1], name, n);

			memcpy(key, &h0, 8);
			memcpy(key + 8, &h1, 8);
		}
		return;
	default:
		return;
	}
	if (a != NULL)
		memcpy(key, a->b, 16);
}

static uint32_t bucket_of(const struct threshold_ctx *c, uint32_t sid, uint8_t track,
			  const uint8_t key[16])
{
	uint8_t buf[21];

	memcpy(buf, &sid, 4);
	buf[4] = track;
	memcpy(buf + 5, key, 16);
	return (uint32_t)mx_siphash(&c->k[0], buf, sizeof(buf)) & c->mask;
}

static void lru_unlink(struct threshold_ctx *c, uint32_t i)
{
	struct thr_state *s = &c->st[i];

	if (s->lru_prev != NIL)
		c->st[s->lru_prev].lru_next = s->lru_next;
	else
		c->lru_head = s->lru_next;
	if (s->lru_next != NIL)
		c->st[s->lru_next].lru_prev = s->lru_prev;
	else
		c->lru_tail = s->lru_prev;
}

static void lru_push_front(struct threshold_ctx *c, uint32_t i)
{
	struct thr_state *s = &c->st[i];

	s->lru_prev = NIL;
	s->lru_next = c->lru_head;
	if (c->lru_head != NIL)
		c->st[c->lru_head].lru_prev = i;
	c->lru_head = i;
	if (c->lru_tail == NIL)
		c->lru_tail = i;
}

static void bucket_remove(struct threshold_ctx *c, uint32_t i)
{
	const struct thr_state *s = &c->st[i];
	uint32_t *pp = &c->bucket[bucket_of(c, s->sid, s->track, s->key)];

	while (*pp != NIL && *pp != i)
		pp = &c->st[*pp].hnext;
	if (*pp == i)
		*pp = s->hnext;
}

/* Finds the state for (rule, key), creating it (evicting the oldest) if needed. */
static struct thr_state *state_get(struct threshold_ctx *c, const struct thr_rule *r, uint32_t sid,
				   const uint8_t key[16], bool *fresh)
{
	uint32_t b = bucket_of(c, sid, r->track, key);
	uint32_t i;
	struct thr_state *s;

	for (i = c->bucket[b]; i != NIL; i = c->st[i].hnext) {
		s = &c->st[i];
		if (s->sid == sid && s->track == r->track && memcmp(s->key, key, 16) == 0) {
			lru_unlink(c, i);
			lru_push_front(c, i);
			*fresh = false;
			return s;
		}
	}
	if (c->free_head != NIL) {
		i = c->free_head;
		c->free_head = c->st[i].hnext;
		c->ctr.state_entries++;
	} else {
		i = c->lru_tail;
		lru_unlink(c, i);
		bucket_remove(c, i);
		c->ctr.state_evicted++;
	}
	s = &c->st[i];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->sid = sid;
	s->track = r->track;
	memcpy(s->key, key, 16);
	s->hnext = c->bucket[b];
	c->bucket[b] = i;
	lru_push_front(c, i);
	*fresh = true;
	return s;
}

static bool name_matches(const struct sup_rule *r, const char *name)
{
	char folded[MX_HOST_MAX + 2];
	size_t n, rl;

	if (name == NULL)
		return false;
	n = mx_name_fold(name, strnlen(name, MX_HOST_MAX + 1), folded, sizeof(folded));
	rl = strlen(r->name);
	if (n == rl)
		return memcmp(folded, r->name, n) == 0;
	return r->match == SUP_MATCH_DOMAIN && r->subdomains && n > rl + 1 &&
	       folded[n - rl - 1] == '.' && memcmp(folded + n - rl, r->name, rl) == 0;
}

static bool suppressed(const struct threshold_ctx *c, const struct thr_event *ev)
{
	for (size_t i = 0; i < c->set->n_sup; i++) {
		const struct sup_rule *r = &c->set->sup[i];

		if (r->sid != 0 && r->sid != ev->sid)
			continue;
		switch (r->match) {
		case SUP_MATCH_IP:
			if (r->track != THR_TRACK_BY_DST && ev->src != NULL &&
			    threshold_cidr_match(&r->net, r->prefix, ev->src))
				return true;
			if (r->track != THR_TRACK_BY_SRC && ev->dst != NULL &&
			    threshold_cidr_match(&r->net, r->prefix, ev->dst))
				return true;
			break;
		case SUP_MATCH_DOMAIN:
			if (name_matches(r, ev->domain))
				return true;
			break;
		case SUP_MATCH_MX:
			if (name_matches(r, ev->mx_host))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static const struct thr_rule *rule_for(const struct threshold_ctx *c, uint32_t sid)
{
	size_t lo = 0, hi = c->n_by_sid;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->by_sid[mid]->sid == sid)
			return c->by_sid[mid];
		if (c->by_sid[mid]->sid < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return c->global;
}

enum thr_verdict threshold_check(struct threshold_ctx *c, const struct thr_event *ev)
{
	const struct thr_rule *r;
	struct thr_state *s;
	uint8_t key[16];
	uint64_t window;
	bool fresh, pass = false;

	c->ctr.checked++;
	if (suppressed(c, ev)) {
		c->ctr.suppressed++;
		return THR_SUPPRESSED;
	}
	r = rule_for(c, ev->sid);
	if (r == NULL) {
		c->ctr.passed++;
		return THR_PASS;
	}
	make_key(c, r, ev, key);
	s = state_get(c, r, ev->sid, key, &fresh);
	window = (uint64_t)r->seconds * MX_USEC;
	if (fresh || (ev->ts_us > s->first_us && ev->ts_us - s->first_us >= window)) {
		s->first_us = ev->ts_us;
		s->count = 0;
	}
	if (s->count < UINT32_MAX)
		s->count++;
	switch (r->type) {
	case THR_TYPE_LIMIT:
		pass = s->count <= r->count;
		break;
	case THR_TYPE_THRESHOLD:
		if (s->count >= r->count) {
			pass = true;
			s->count = 0;
		}
		break;
	case THR_TYPE_BOTH:
		pass = s->count == r->count;
		break;
	default:
		break;
	}
	if (pass) {
		c->ctr.passed++;
		return THR_PASS;
	}
	c->ctr.threshold_dropped++;
	return THR_DROPPED;
}
