/*
 * dnssec_cache.c - the validator's zone cache: one entry per zone in a
 * red-black tree (ldns's, keyed by the wire name, so hostile names cannot
 * degrade lookups), holding the validated DNSKEY RRset, the validated DS
 * RRset and a no-DS proof, each with its lifetime in packet time. Entries
 * are kept in the order they were last stored; beyond the memcap the
 * oldest are evicted. Memory is estimated from what ldns allocates for
 * each record (rdata sizes plus structure and allocator overhead).
 */
#include "dnssec/dnssec_int.h"

#include <stdlib.h>
#include <string.h>

/* Per allocation overhead assumed for malloc. */
#define MALLOC_OVERHEAD 16

static size_t rdf_mem(const ldns_rdf *f)
{
	return f == NULL ? 0 : sizeof(ldns_rdf) + ldns_rdf_size(f) + 2 * MALLOC_OVERHEAD;
}

size_t dnssec_rr_mem(const ldns_rr *rr)
{
	size_t m = sizeof(ldns_rr) + MALLOC_OVERHEAD;

	m += rdf_mem(ldns_rr_owner(rr));
	m += ldns_rr_rd_count(rr) * sizeof(ldns_rdf *) + MALLOC_OVERHEAD;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		m += rdf_mem(ldns_rr_rdf(rr, i));
	return m;
}

size_t dnssec_rr_list_mem(const ldns_rr_list *l)
{
	size_t m;

	if (l == NULL)
		return 0;
	m = sizeof(ldns_rr_list) + MALLOC_OVERHEAD + ldns_rr_list_rr_count(l) * sizeof(ldns_rr *) +
	    MALLOC_OVERHEAD;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		m += dnssec_rr_mem(ldns_rr_list_rr(l, i));
	return m;
}

static int entry_cmp(const void *a, const void *b)
{
	return dnssec_name_wire_cmp(a, b);
}

void dnssec_cache_init(struct zone_cache *c, size_t memcap, struct dnssec_counters *ctr)
{
	memset(c, 0, sizeof(*c));
	ldns_rbtree_init(&c->tree, entry_cmp);
	c->memcap = memcap;
	c->ctr = ctr;
}

static size_t entry_mem(const struct zone_entry *e)
{
	return sizeof(*e) + MALLOC_OVERHEAD + dnssec_rr_list_mem(e->keys) +
	       dnssec_rr_list_mem(e->ds);
}

/* Recomputes e's accounted bytes after a change. */
static void account(struct zone_cache *c, struct zone_entry *e)
{
	size_t m = entry_mem(e);

	c->memuse = c->memuse - e->mem + m;
	e->mem = m;
}

static void lru_unlink(struct zone_cache *c, struct zone_entry *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	e->older = e->newer = NULL;
}

static void lru_append(struct zone_cache *c, struct zone_entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
}

static void drop_keys(struct zone_cache *c, struct zone_entry *e)
{
	if (e->keys == NULL)
		return;
	ldns_rr_list_deep_free(e->keys);
	e->keys = NULL;
	e->keys_exp = 0;
	e->keys_vouched = false;
	c->ctr->keys_cached--;
}

static void drop_ds(struct zone_cache *c, struct zone_entry *e)
{
	if (e->ds == NULL)
		return;
	ldns_rr_list_deep_free(e->ds);
	e->ds = NULL;
	e->ds_exp = 0;
	e->ds_vouched = false;
	e->dnssec_ds_usable = false;
	c->ctr->ds_cached--;
}

static void drop_insecure(struct zone_cache *c, struct zone_entry *e)
{
	if (e->insecure_exp == 0)
		return;
	e->insecure_exp = 0;
	c->ctr->insecure_cached--;
}

static void entry_free(struct zone_cache *c, struct zone_entry *e)
{
	drop_keys(c, e);
	drop_ds(c, e);
	drop_insecure(c, e);
	(void)ldns_rbtree_delete(&c->tree, &e->name);
	lru_unlink(c, e);
	c->memuse -= e->mem;
	free(e);
}

static bool entry_empty(const struct zone_entry *e)
{
	return e->keys == NULL && e->ds == NULL && e->insecure_exp == 0;
}

/* Drops the expired parts of e; frees it when nothing is left (returns false). */
static bool entry_expire(struct zone_cache *c, struct zone_entry *e, uint64_t ts_us)
{
	if (e->keys != NULL && ts_us >= e->keys_exp) {
		drop_keys(c, e);
		c->ctr->expired++;
	}
	if (e->ds != NULL && ts_us >= e->ds_exp) {
		drop_ds(c, e);
		c->ctr->expired++;
	}
	if (e->insecure_exp != 0 && ts_us >= e->insecure_exp) {
		drop_insecure(c, e);
		c->ctr->expired++;
	}
	if (entry_empty(e)) {
		entry_free(c, e);
		return false;
	}
	account(c, e);
	return true;
}

struct zone_entry *dnssec_cache_find(struct zone_cache *c, const struct dname *name, uint64_t ts_us)
{
	ldns_rbnode_t *n = ldns_rbtree_search(&c->tree, name);
	struct zone_entry *e;

	if (n == NULL)
		return NULL;
	e = (struct zone_entry *)(uintptr_t)n->data;
	return entry_expire(c, e, ts_us) ? e : NULL;
}

/* The entry of name, created when missing, moved to the newest end. */
static struct zone_entry *entry_get(struct zone_cache *c, const struct dname *name)
{
	ldns_rbnode_t *n = ldns_rbtree_search(&c->tree, name);
	struct zone_entry *e;

	if (n != NULL) {
		e = (struct zone_entry *)(uintptr_t)n->data;
		lru_unlink(c, e);
		lru_append(c, e);
		return e;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		c->ctr->alloc_fail++;
		return NULL;
	}
	e->name = *name;
	e->node.key = &e->name;
	e->node.data = e;
	if (ldns_rbtree_insert(&c->tree, &e->node) == NULL) {
		free(e);
		return NULL;
	}
	lru_append(c, e);
	account(c, e);
	return e;
}

/*
 * Evicts the oldest entries until the memcap holds, never keep (the
 * entry just stored, which is the newest); false when keep alone is
 * over it.
 */
static bool make_room(struct zone_cache *c, const struct zone_entry *keep)
{
	while (c->memuse > c->memcap && c->oldest != NULL && c->oldest != keep) {
		entry_free(c, c->oldest);
		c->ctr->evicted++;
	}
	return c->memuse <= c->memcap;
}

/* After storing into e: enforce the memcap, dropping e's new part if it cannot fit. */
static bool settle(struct zone_cache *c, struct zone_entry *e,
		   void (*undo)(struct zone_cache *, struct zone_entry *))
{
	account(c, e);
	if (make_room(c, e))
		return true;
	undo(c, e);
	c->ctr->memcap_drop++;
	if (entry_empty(e))
		entry_free(c, e);
	else
		account(c, e);
	return false;
}

/* Shows a stored part to the observer; true. */
static bool shown(struct zone_cache *c, const struct zone_entry *e, int part, uint64_t ts_us)
{
	if (c->observe != NULL)
		c->observe(c->observe_arg, e, part, ts_us);
	return true;
}

/*
 * The entry an RRset list valid until exp_us is stored in, or NULL (the
 * list freed) when it has already expired at ts_us or there is no room.
 */
static struct zone_entry *entry_for_list(struct zone_cache *c, const struct dname *name,
					 ldns_rr_list *list, uint64_t exp_us, uint64_t ts_us)
{
	struct zone_entry *e = exp_us > ts_us ? entry_get(c, name) : NULL;

	if (e == NULL)
		ldns_rr_list_deep_free(list);
	return e;
}

bool dnssec_cache_set_keys(struct zone_cache *c, const struct dname *name, ldns_rr_list *list,
			   uint64_t exp_us, uint64_t ts_us)
{
	struct zone_entry *e = entry_for_list(c, name, list, exp_us, ts_us);

	if (e == NULL)
		return false;
	drop_keys(c, e);
	e->keys = list;
	e->keys_exp = exp_us;
	e->keys_vouched = c->vouch_next;
	e->keys_voucher = c->vouch_by;
	c->ctr->keys_cached++;
	return settle(c, e, drop_keys) && shown(c, e, ZONE_PART_KEYS, ts_us);
}

bool dnssec_cache_set_ds(struct zone_cache *c, const struct dname *name, ldns_rr_list *list,
			 bool usable, uint64_t exp_us, uint64_t ts_us)
{
	struct zone_entry *e = entry_for_list(c, name, list, exp_us, ts_us);

	if (e == NULL)
		return false;
	drop_ds(c, e);
	drop_insecure(c, e);
	e->ds = list;
	e->ds_exp = exp_us;
	e->dnssec_ds_usable = usable;
	e->ds_vouched = c->vouch_next;
	e->ds_voucher = c->vouch_by;
	c->ctr->ds_cached++;
	return settle(c, e, drop_ds) && shown(c, e, ZONE_PART_DS, ts_us);
}

bool dnssec_cache_set_insecure(struct zone_cache *c, const struct dname *name, uint64_t exp_us,
			       uint64_t ts_us)
{
	struct zone_entry *e;

	if (exp_us <= ts_us)
		return false;
	e = entry_get(c, name);
	if (e == NULL)
		return false;
	drop_ds(c, e);
	drop_keys(c, e);
	if (e->insecure_exp == 0)
		c->ctr->insecure_cached++;
	e->insecure_exp = exp_us;
	return settle(c, e, drop_insecure) && shown(c, e, ZONE_PART_INSECURE, ts_us);
}

void dnssec_cache_expire(struct zone_cache *c, uint64_t ts_us)
{
	struct zone_entry *e = c->oldest;

	while (e != NULL) {
		struct zone_entry *next = e->newer;

		(void)entry_expire(c, e, ts_us);
		e = next;
	}
}

void dnssec_cache_clear(struct zone_cache *c)
{
	while (c->oldest != NULL)
		entry_free(c, c->oldest);
}
