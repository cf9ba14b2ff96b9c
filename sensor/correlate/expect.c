/*
 * expect.c - the expectation store of expect.h: one hash table of typed
 * entries with an LRU list and a byte memcap, plus reverse indexes
 * (address -> hosts, host -> domains) kept as entries of their own and
 * checked against the forward entries on every lookup. An entry holds
 * only what it uses: the payload of its kind (an MX set's or a reverse
 * index's used slots only), then its name; it grows when that does.
 */
#include "correlate/expect.h"
#include "util/hash.h"
#include "util/name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REV_MAX EXPECT_NAMES_MAX /* names remembered per reverse index entry */

enum ekind { K_MX, K_ADDRS, K_TLSA, K_STS, K_HIST, K_REV_ADDR, K_REV_HOST };

#define rev_names expect_names

struct entry {
	struct entry *hnext;
	struct entry *lru_prev, *lru_next;
	uint32_t hash;
	uint8_t kind;
	uint16_t port;
	uint32_t vcap; /* payload bytes allocated; the name follows them */
	size_t size;   /* bytes of the whole entry */
	uint64_t touched_us;
	struct mx_addr addr; /* address keys */
	union {
		struct expect_mxset mx;
		struct expect_addrs addrs;
		struct expect_tlsa tlsa;
		struct expect_sts sts;
		struct server_history hist;
		struct rev_names rev;
	} v; /* only vcap bytes of it, then the name */
};

/* The entry's domain or host name ("" for address keys). */
static char *entry_name(const struct entry *e)
{
	return (char *)&e->v + e->vcap;
}

struct expect_store {
	struct expect_config cfg;
	struct entry **buckets;
	uint32_t nbuckets;
	struct mx_hash_key key;		   /* of the bucket hash: names come from traffic */
	struct entry *lru_head, *lru_tail; /* head: most recent */
	struct expect_counters ctr;
	expect_observer_fn observe;
	void *observe_arg;
	struct entry *held; /* a server history handed out for writing, not yet shown */
};

const struct mx_counter_desc expect_counter_desc[] = {
    MX_COUNTER("expect.entries", struct expect_counters, entries),
    MX_COUNTER("expect.memuse", struct expect_counters, bytes),
    MX_COUNTER("expect.inserts", struct expect_counters, inserts),
    MX_COUNTER("expect.updates", struct expect_counters, updates),
    MX_COUNTER("expect.evicted", struct expect_counters, evicted),
    MX_COUNTER("expect.memcap_drop", struct expect_counters, memcap_drop),
    {NULL, 0},
};

static const char *const trust_names[] = {
    [EXPECT_CONFIGURED] = "policy-file",  [EXPECT_DNSSEC] = "dnssec",
    [EXPECT_RESOLVER_AD] = "resolver-ad", [EXPECT_UNVALIDATED] = "unvalidated",
    [EXPECT_HISTORY] = "history",
};

const char *expect_trust_name(enum expect_trust t)
{
	return (unsigned)t < MX_ARRAY_LEN(trust_names) ? trust_names[t] : "unknown";
}

bool expect_trust_validated(enum expect_trust t)
{
	return t == EXPECT_CONFIGURED || t == EXPECT_DNSSEC || t == EXPECT_RESOLVER_AD;
}

void expect_config_defaults(struct expect_config *cfg)
{
	cfg->memcap = 32u << 20;
	cfg->history_s = 30 * 86400;
	cfg->min_ttl_s = 60;
	cfg->max_ttl_s = 7 * 86400;
}

struct expect_store *expect_new(const struct expect_config *cfg)
{
	struct expect_store *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->cfg = *cfg;
	/* About one bucket per entry the memcap holds (entries take 300+ bytes). */
	st->nbuckets = 1024;
	while (st->nbuckets < (1u << 22) && (size_t)st->nbuckets * 256 < cfg->memcap)
		st->nbuckets <<= 1;
	mx_hash_key_init(&st->key);
	st->buckets = calloc(st->nbuckets, sizeof(*st->buckets));
	if (st->buckets == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void expect_free(struct expect_store *st)
{
	struct entry *e, *next;

	if (st == NULL)
		return;
	for (e = st->lru_head; e != NULL; e = next) {
		next = e->lru_next;
		free(e);
	}
	free(st->buckets);
	free(st);
}

bool expect_norm_name(const char *name, char out[EXPECT_NAME_MAX])
{
	return mx_name_fold(name, strlen(name), out, EXPECT_NAME_MAX) != (size_t)-1;
}

/* The keyed hash of the key parts (name at most EXPECT_NAME_MAX - 1 bytes). */
static uint32_t key_hash(const struct expect_store *st, uint8_t kind, const char *name,
			 const struct mx_addr *addr, uint16_t port)
{
	uint8_t buf[3 + sizeof(struct mx_addr) + EXPECT_NAME_MAX];
	size_t n = strnlen(name, EXPECT_NAME_MAX), o = 0;

	buf[o++] = kind;
	buf[o++] = (uint8_t)(port >> 8);
	buf[o++] = (uint8_t)port;
	if (addr != NULL) {
		memcpy(buf + o, addr->b, sizeof(addr->b));
		o += sizeof(addr->b);
	}
	memcpy(buf + o, name, n);
	return (uint32_t)mx_siphash(&st->key, buf, o + n);
}

static void lru_unlink(struct expect_store *st, struct entry *e)
{
	if (st->lru_head == e)
		st->lru_head = e->lru_next;
	else if (e->lru_prev != NULL)
		e->lru_prev->lru_next = e->lru_next;
	if (st->lru_tail == e)
		st->lru_tail = e->lru_prev;
	else if (e->lru_next != NULL)
		e->lru_next->lru_prev = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push(struct expect_store *st, struct entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = st->lru_head;
	if (st->lru_head)
		st->lru_head->lru_prev = e;
	st->lru_head = e;
	if (st->lru_tail == NULL)
		st->lru_tail = e;
}

static void entry_remove(struct expect_store *st, struct entry *e)
{
	struct entry **pp = &st->buckets[e->hash & (st->nbuckets - 1)];

	if (st->held == e)
		st->held = NULL;
	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	lru_unlink(st, e);
	st->ctr.entries--;
	st->ctr.bytes -= e->size;
	free(e);
}

static void show(struct expect_store *st, const struct entry *e);

void expect_clear(struct expect_store *st)
{
	while (st->lru_tail != NULL)
		entry_remove(st, st->lru_tail);
}

static struct entry *lookup(struct expect_store *st, uint8_t kind, const char *name,
			    const struct mx_addr *addr, uint16_t port)
{
	uint32_t h = key_hash(st, kind, name, addr, port);

	expect_flush_observed(st);

	for (struct entry *e = st->buckets[h & (st->nbuckets - 1)]; e != NULL; e = e->hnext) {
		if (e->hash != h || e->kind != kind || e->port != port ||
		    strcmp(entry_name(e), name) != 0)
			continue;
		if (addr != NULL && mx_addr_cmp(&e->addr, addr) != 0)
			continue;
		lru_unlink(st, e);
		lru_push(st, e);
		return e;
	}
	return NULL;
}

/*
 * Bytes of the union member a kind uses with n slots (MX hosts, reverse
 * index names; other kinds have a fixed size): entries are sized by use.
 */
static size_t payload_size(uint8_t kind, size_t n)
{
	switch (kind) {
	case K_MX:
		return offsetof(struct expect_mxset, mx) +
		       MX_MIN(n, (size_t)EXPECT_MAX_MX) * sizeof(struct expect_mx);
	case K_ADDRS:
		return sizeof(struct expect_addrs);
	case K_TLSA:
		return sizeof(struct expect_tlsa);
	case K_STS:
		return sizeof(struct expect_sts);
	case K_HIST:
		return sizeof(struct server_history);
	default:
		return offsetof(struct rev_names, name) +
		       MX_MIN(n, (size_t)REV_MAX) * sizeof(((struct rev_names *)NULL)->name[0]);
	}
}

/*
 * Evicts least recently used entries other than keep until size more
 * bytes fit; false (counted in memcap_drop) when they cannot fit even
 * with every other entry gone.
 */
static bool make_room(struct expect_store *st, size_t size, const struct entry *keep)
{
	if (size > st->cfg.memcap) {
		st->ctr.memcap_drop++;
		return false;
	}
	while (st->ctr.bytes + size > st->cfg.memcap) {
		struct entry *victim = st->lru_tail;

		if (victim != NULL && victim == keep)
			victim = victim->lru_prev;
		if (victim == NULL)
			break;
		entry_remove(st, victim);
		st->ctr.evicted++;
	}
	if (st->ctr.bytes + size > st->cfg.memcap) {
		st->ctr.memcap_drop++;
		return false;
	}
	return true;
}

/*
 * Gives e room for need payload bytes (it moves: the hash chain, the LRU
 * list and the held entry follow); NULL when that cannot be had, e stays.
 */
static struct entry *entry_grow(struct expect_store *st, struct entry *e, size_t need)
{
	size_t name_len = strlen(entry_name(e)) + 1;
	size_t size = offsetof(struct entry, v) + need + name_len;
	struct entry *ne, **pp;

	if (need <= e->vcap)
		return e;
	if (!make_room(st, size - e->size, e))
		return NULL;
	ne = calloc(1, size);
	if (ne == NULL) {
		st->ctr.memcap_drop++;
		return NULL;
	}
	memcpy(ne, e, offsetof(struct entry, v) + e->vcap);
	ne->vcap = (uint32_t)need;
	ne->size = size;
	memcpy(entry_name(ne), entry_name(e), name_len);
	for (pp = &st->buckets[e->hash & (st->nbuckets - 1)]; *pp != e; pp = &(*pp)->hnext)
		;
	*pp = ne;
	if (ne->lru_prev != NULL)
		ne->lru_prev->lru_next = ne;
	else
		st->lru_head = ne;
	if (ne->lru_next != NULL)
		ne->lru_next->lru_prev = ne;
	else
		st->lru_tail = ne;
	if (st->held == e)
		st->held = ne;
	st->ctr.bytes += size - e->size;
	free(e);
	return ne;
}

/*
 * The entry of the key, found or made, with room for need payload bytes;
 * NULL when it cannot be held.
 */
static struct entry *insert(struct expect_store *st, uint8_t kind, const char *name,
			    const struct mx_addr *addr, uint16_t port, uint64_t now_us, size_t need)
{
	struct entry *e = lookup(st, kind, name, addr, port);
	size_t name_len = strnlen(name, EXPECT_NAME_MAX - 1) + 1;
	size_t size = offsetof(struct entry, v) + need + name_len;

	if (e != NULL) {
		st->ctr.updates++;
		e->touched_us = now_us;
		return entry_grow(st, e, need);
	}
	if (!make_room(st, size, NULL))
		return NULL;
	e = calloc(1, size);
	if (e == NULL) {
		st->ctr.memcap_drop++;
		return NULL;
	}
	e->kind = kind;
	e->port = port;
	e->size = size;
	e->vcap = (uint32_t)need;
	e->touched_us = now_us;
	memcpy(entry_name(e), name, name_len - 1);
	if (addr != NULL)
		e->addr = *addr;
	e->hash = key_hash(st, kind, name, addr, port);
	e->hnext = st->buckets[e->hash & (st->nbuckets - 1)];
	st->buckets[e->hash & (st->nbuckets - 1)] = e;
	lru_push(st, e);
	st->ctr.entries++;
	st->ctr.bytes += size;
	st->ctr.inserts++;
	return e;
}

static uint64_t history_us(const struct expect_store *st)
{
	return st->cfg.history_s * MX_USEC;
}

static const enum expect_fact_kind fact_kinds[] = {
    [K_MX] = EXPECT_F_MX,
    [K_ADDRS] = EXPECT_F_ADDRS,
    [K_TLSA] = EXPECT_F_TLSA,
    [K_STS] = EXPECT_F_STS,
    [K_HIST] = EXPECT_F_HISTORY,
    [K_REV_ADDR] = EXPECT_F_HOSTS_OF_ADDR,
    [K_REV_HOST] = EXPECT_F_MX_CLAIMS,
};

/* Packet time after which an entry's value no longer counts. */
static uint64_t keep_until(const struct expect_store *st, const struct entry *e)
{
	switch (e->kind) {
	case K_MX:
		return e->v.mx.expires_us;
	case K_ADDRS:
		return e->v.addrs.expires_us;
	case K_TLSA:
		return e->v.tlsa.last_seen_us + history_us(st);
	case K_STS:
		return e->v.sts.last_seen_us + history_us(st);
	case K_HIST:
		return e->v.hist.last_seen_us + history_us(st);
	default:
		return e->touched_us + history_us(st);
	}
}

/* Shows e's current value to the observer. */
static void show(struct expect_store *st, const struct entry *e)
{
	struct expect_fact f;

	if (st->observe == NULL)
		return;
	f.kind = fact_kinds[e->kind];
	f.name = entry_name(e);
	f.addr = e->addr;
	f.port = e->port;
	f.value = &e->v;
	f.touched_us = e->touched_us;
	f.keep_until_us = keep_until(st, e);
	st->observe(st->observe_arg, &f);
}

void expect_set_observer(struct expect_store *st, expect_observer_fn fn, void *arg)
{
	st->observe = fn;
	st->observe_arg = arg;
	st->held = NULL;
}

void expect_flush_observed(struct expect_store *st)
{
	struct entry *e = st->held;

	st->held = NULL;
	if (e != NULL)
		show(st, e);
}

static bool may_replace(enum expect_trust old, uint64_t old_expires, enum expect_trust neu,
			uint64_t now_us);

/*
 * A restored (or shared) value may replace e's as a fresh answer may:
 * unless e's is better trusted and not yet expired at now_us.
 */
static bool restore_may_replace(const struct entry *e, const void *value, uint64_t now_us)
{
	switch (e->kind) {
	case K_MX:
		return may_replace(e->v.mx.trust, e->v.mx.expires_us,
				   ((const struct expect_mxset *)value)->trust, now_us);
	case K_ADDRS:
		return may_replace(e->v.addrs.trust, e->v.addrs.expires_us,
				   ((const struct expect_addrs *)value)->trust, now_us);
	case K_TLSA:
		return may_replace(e->v.tlsa.trust, e->v.tlsa.expires_us,
				   ((const struct expect_tlsa *)value)->trust, now_us);
	case K_STS:
		return may_replace(e->v.sts.trust, e->v.sts.expires_us,
				   ((const struct expect_sts *)value)->trust, now_us);
	default:
		return true;
	}
}

bool expect_restore(struct expect_store *st, const struct expect_fact *f)
{
	static const uint8_t kinds[] = {
	    [EXPECT_F_MX] = K_MX,
	    [EXPECT_F_ADDRS] = K_ADDRS,
	    [EXPECT_F_TLSA] = K_TLSA,
	    [EXPECT_F_STS] = K_STS,
	    [EXPECT_F_HISTORY] = K_HIST,
	    [EXPECT_F_HOSTS_OF_ADDR] = K_REV_ADDR,
	    [EXPECT_F_MX_CLAIMS] = K_REV_HOST,
	};
	bool by_addr = f->kind == EXPECT_F_HISTORY || f->kind == EXPECT_F_HOSTS_OF_ADDR;
	char name[EXPECT_NAME_MAX] = "";
	struct entry *e;
	uint8_t kind;
	size_t need;

	if ((unsigned)f->kind >= MX_ARRAY_LEN(kinds))
		return false;
	kind = kinds[f->kind];
	if (!by_addr && !expect_norm_name(f->name, name))
		return false;
	e = lookup(st, kind, name, by_addr ? &f->addr : NULL, kind == K_TLSA ? f->port : 0);
	if (e != NULL && !restore_may_replace(e, f->value, f->touched_us))
		return true; /* what memory holds is better trusted and still alive */
	if (kind == K_MX)
		need = payload_size(kind, ((const struct expect_mxset *)f->value)->n);
	else if (kind == K_REV_ADDR || kind == K_REV_HOST)
		need = payload_size(kind, ((const struct rev_names *)f->value)->n);
	else
		need = payload_size(kind, 0);
	e = insert(st, kind, name, by_addr ? &f->addr : NULL, kind == K_TLSA ? f->port : 0,
		   f->touched_us, need);
	if (e == NULL)
		return false;
	memcpy(&e->v, f->value, need);
	if (kind == K_MX)
		e->v.mx.n = MX_MIN(e->v.mx.n, (size_t)EXPECT_MAX_MX);
	else if (kind == K_REV_ADDR || kind == K_REV_HOST)
		e->v.rev.n = MX_MIN(e->v.rev.n, (size_t)REV_MAX);
	return true;
}

/* A new value of the given trust may replace the old one. */
static bool may_replace(enum expect_trust old, uint64_t old_expires, enum expect_trust neu,
			uint64_t now_us)
{
	return neu <= old || now_us >= old_expires;
}

static void rev_add(struct expect_store *st, uint8_t kind, const char *name,
		    const struct mx_addr *addr, const char *value, uint64_t now_us)
{
	struct entry *e = insert(st, kind, name, addr, 0, now_us, payload_size(kind, 1));
	struct rev_names *r;

	if (e == NULL)
		return;
	r = &e->v.rev;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->name[i], value) == 0)
			return;
	if (r->n == REV_MAX) {
		memmove(&r->name[0], &r->name[1], sizeof(r->name[0]) * (REV_MAX - 1));
		r->n--;
	} else {
		e = entry_grow(st, e, payload_size(kind, r->n + 1));
		if (e == NULL)
			return;
		r = &e->v.rev;
	}
	snprintf(r->name[r->n++], EXPECT_NAME_MAX, "%s", value);
	show(st, e);
}

void expect_put_mx(struct expect_store *st, const char *domain, const struct expect_mxset *set,
		   uint64_t now_us)
{
	char d[EXPECT_NAME_MAX];
	struct entry *e;
	bool fresh;

	if (!expect_norm_name(domain, d))
		return;
	/* Every claim is remembered, also one that does not replace the set. */
	for (size_t i = 0; i < set->n && i < EXPECT_MAX_MX; i++) {
		char h[EXPECT_NAME_MAX];

		if (expect_norm_name(set->mx[i].host, h))
			rev_add(st, K_REV_HOST, h, NULL, d, now_us);
	}
	e = lookup(st, K_MX, d, NULL, 0);
	fresh = e == NULL;
	if (!fresh && !may_replace(e->v.mx.trust, e->v.mx.expires_us, set->trust, now_us))
		return;
	e = insert(st, K_MX, d, NULL, 0, now_us, payload_size(K_MX, set->n));
	if (e == NULL)
		return;
	memcpy(&e->v.mx, set, payload_size(K_MX, set->n));
	e->v.mx.n = MX_MIN(set->n, (size_t)EXPECT_MAX_MX);
	for (size_t i = 0; i < set->n && i < EXPECT_MAX_MX; i++)
		expect_norm_name(set->mx[i].host, e->v.mx.mx[i].host);
	show(st, e);
}

const struct expect_mxset *expect_get_mx(struct expect_store *st, const char *domain,
					 uint64_t now_us)
{
	char d[EXPECT_NAME_MAX];
	struct entry *e;

	if (!expect_norm_name(domain, d))
		return NULL;
	e = lookup(st, K_MX, d, NULL, 0);
	if (e == NULL)
		return NULL;
	if (now_us >= e->v.mx.expires_us) {
		st->ctr.expired_lookups++;
		return NULL;
	}
	return &e->v.mx;
}

void expect_put_addrs(struct expect_store *st, const char *host, const struct expect_addrs *a,
		      uint64_t now_us)
{
	char h[EXPECT_NAME_MAX];
	struct entry *e;

	if (!expect_norm_name(host, h))
		return;
	e = lookup(st, K_ADDRS, h, NULL, 0);
	if (e != NULL && !may_replace(e->v.addrs.trust, e->v.addrs.expires_us, a->trust, now_us)) {
		/* Same trust, other family (A then AAAA): merge. */
		return;
	}
	e = insert(st, K_ADDRS, h, NULL, 0, now_us, payload_size(K_ADDRS, 0));
	if (e == NULL)
		return;
	if (e->v.addrs.n > 0 && e->v.addrs.trust == a->trust && now_us < e->v.addrs.expires_us) {
		for (size_t i = 0; i < a->n; i++) {
			bool dup = false;

			for (size_t j = 0; j < e->v.addrs.n; j++)
				dup |= mx_addr_cmp(&e->v.addrs.addr[j], &a->addr[i]) == 0;
			if (!dup && e->v.addrs.n < EXPECT_MAX_ADDRS)
				e->v.addrs.addr[e->v.addrs.n++] = a->addr[i];
		}
		e->v.addrs.expires_us = MX_MIN(e->v.addrs.expires_us, a->expires_us);
	} else {
		e->v.addrs = *a;
	}
	show(st, e);
	for (size_t i = 0; i < a->n && i < EXPECT_MAX_ADDRS; i++)
		rev_add(st, K_REV_ADDR, "", &a->addr[i], h, now_us);
}

const struct expect_addrs *expect_get_addrs(struct expect_store *st, const char *host,
					    uint64_t now_us)
{
	char h[EXPECT_NAME_MAX];
	struct entry *e;

	if (!expect_norm_name(host, h))
		return NULL;
	e = lookup(st, K_ADDRS, h, NULL, 0);
	if (e == NULL)
		return NULL;
	if (now_us >= e->v.addrs.expires_us) {
		st->ctr.expired_lookups++;
		return NULL;
	}
	return &e->v.addrs;
}

static bool addrs_hold(const struct expect_addrs *a, const struct mx_addr *addr)
{
	for (size_t i = 0; i < a->n; i++)
		if (mx_addr_cmp(&a->addr[i], addr) == 0)
			return true;
	return false;
}

size_t expect_hosts_of_addr(struct expect_store *st, const struct mx_addr *addr, uint64_t now_us,
			    char hosts[][EXPECT_NAME_MAX], size_t max)
{
	struct entry *r = lookup(st, K_REV_ADDR, "", addr, 0);
	struct rev_names names;
	size_t n = 0;

	if (r == NULL)
		return 0;
	/* A copy: lookups below may reorder the LRU, not free. */
	memcpy(&names, &r->v.rev, payload_size(K_REV_ADDR, r->v.rev.n));
	for (size_t i = 0; i < names.n && n < max; i++) {
		const struct expect_addrs *a = expect_get_addrs(st, names.name[i], now_us);

		if (a != NULL && addrs_hold(a, addr))
			snprintf(hosts[n++], EXPECT_NAME_MAX, "%s", names.name[i]);
	}
	return n;
}

size_t expect_domains_of_host(struct expect_store *st, const char *host, uint64_t now_us,
			      char domains[][EXPECT_NAME_MAX], size_t max)
{
	char h[EXPECT_NAME_MAX];
	struct entry *r;
	struct rev_names names;
	size_t n = 0;

	if (!expect_norm_name(host, h))
		return 0;
	r = lookup(st, K_REV_HOST, h, NULL, 0);
	if (r == NULL)
		return 0;
	memcpy(&names, &r->v.rev, payload_size(K_REV_HOST, r->v.rev.n));
	for (size_t i = 0; i < names.n && n < max; i++) {
		const struct expect_mxset *m = expect_get_mx(st, names.name[i], now_us);
		bool named = false;

		for (size_t j = 0; m != NULL && j < m->n; j++)
			named |= strcmp(m->mx[j].host, h) == 0;
		if (named)
			snprintf(domains[n++], EXPECT_NAME_MAX, "%s", names.name[i]);
	}
	return n;
}

size_t expect_claims_of_host(struct expect_store *st, const char *host,
			     char domains[][EXPECT_NAME_MAX], size_t max)
{
	char h[EXPECT_NAME_MAX];
	struct entry *r;
	size_t n = 0;

	if (!expect_norm_name(host, h))
		return 0;
	r = lookup(st, K_REV_HOST, h, NULL, 0);
	for (size_t i = 0; r != NULL && i < r->v.rev.n && n < max; i++)
		mx_strlcpy(domains[n++], r->v.rev.name[i], EXPECT_NAME_MAX);
	return n;
}

void expect_put_tlsa(struct expect_store *st, const char *host, uint16_t port,
		     const struct expect_tlsa *t, uint64_t now_us)
{
	char h[EXPECT_NAME_MAX];
	struct entry *e;

	if (!expect_norm_name(host, h))
		return;
	uint32_t seen = 0;

	e = lookup(st, K_TLSA, h, NULL, port);
	if (e != NULL) {
		seen = e->v.tlsa.sightings;
		if (!may_replace(e->v.tlsa.trust, e->v.tlsa.expires_us, t->trust, now_us)) {
			/* Not believed over what stands, but seen once more. */
			e->v.tlsa.sightings = seen + 1;
			e->v.tlsa.last_seen_us = now_us;
			e->touched_us = now_us;
			show(st, e);
			return;
		}
	}
	e = insert(st, K_TLSA, h, NULL, port, now_us, payload_size(K_TLSA, 0));
	if (e == NULL)
		return;
	e->v.tlsa = *t;
	e->v.tlsa.last_seen_us = now_us;
	e->v.tlsa.sightings = seen + 1;
	show(st, e);
}

const struct expect_tlsa *expect_get_tlsa(struct expect_store *st, const char *host, uint16_t port,
					  uint64_t now_us, bool *live)
{
	char h[EXPECT_NAME_MAX];
	struct entry *e;

	*live = false;
	if (!expect_norm_name(host, h))
		return NULL;
	e = lookup(st, K_TLSA, h, NULL, port);
	if (e == NULL)
		return NULL;
	if (now_us >= e->v.tlsa.last_seen_us + history_us(st) &&
	    e->v.tlsa.trust != EXPECT_CONFIGURED) {
		entry_remove(st, e);
		return NULL;
	}
	*live = now_us < e->v.tlsa.expires_us;
	return &e->v.tlsa;
}

void expect_put_sts(struct expect_store *st, const char *domain, const struct expect_sts *s,
		    uint64_t now_us)
{
	char d[EXPECT_NAME_MAX];
	struct entry *e;

	if (!expect_norm_name(domain, d))
		return;
	uint32_t seen = 0;

	e = lookup(st, K_STS, d, NULL, 0);
	if (e != NULL) {
		seen = e->v.sts.sightings;
		if (!may_replace(e->v.sts.trust, e->v.sts.expires_us, s->trust, now_us)) {
			e->v.sts.sightings = seen + 1;
			e->v.sts.last_seen_us = now_us;
			e->touched_us = now_us;
			show(st, e);
			return;
		}
	}
	e = insert(st, K_STS, d, NULL, 0, now_us, payload_size(K_STS, 0));
	if (e == NULL)
		return;
	e->v.sts = *s;
	e->v.sts.last_seen_us = now_us;
	e->v.sts.sightings = seen + 1;
	show(st, e);
}

const struct expect_sts *expect_get_sts(struct expect_store *st, const char *domain,
					uint64_t now_us, bool *live)
{
	char d[EXPECT_NAME_MAX];
	struct entry *e;

	*live = false;
	if (!expect_norm_name(domain, d))
		return NULL;
	e = lookup(st, K_STS, d, NULL, 0);
	if (e == NULL)
		return NULL;
	if (now_us >= e->v.sts.last_seen_us + history_us(st)) {
		entry_remove(st, e);
		return NULL;
	}
	*live = now_us < e->v.sts.expires_us;
	return &e->v.sts;
}

struct server_history *expect_history(struct expect_store *st, const struct mx_addr *addr,
				      uint64_t now_us, bool create)
{
	struct entry *e = lookup(st, K_HIST, "", addr, 0);

	if (e != NULL && now_us >= e->v.hist.last_seen_us + history_us(st)) {
		entry_remove(st, e);
		e = NULL;
	}
	if (e == NULL && create) {
		e = insert(st, K_HIST, "", addr, 0, now_us, payload_size(K_HIST, 0));
		if (e != NULL)
			e->v.hist.last_seen_us = now_us;
	}
	if (e != NULL && create) {
		e->touched_us = now_us;
		st->held = e; /* the caller writes it now; shown at the next call */
	}
	return e != NULL ? &e->v.hist : NULL;
}

void expect_history_add_spki(struct server_history *h, const uint8_t spki[32], uint64_t now_us)
{
	size_t at = h->n_spki < EXPECT_SPKI_MAX ? h->n_spki : EXPECT_SPKI_MAX - 1;

	for (size_t i = 0; i < h->n_spki; i++)
		if (memcmp(h->spki_sha256[i], spki, 32) == 0)
			at = i;
	memmove(h->spki_sha256[1], h->spki_sha256[0], at * sizeof(h->spki_sha256[0]));
	memcpy(h->spki_sha256[0], spki, 32);
	if (at == h->n_spki)
		h->n_spki++;
	h->spki_last_us = now_us;
}

const struct expect_counters *expect_counters(const struct expect_store *st)
{
	return &st->ctr;
}
