/*
 * resolver_ad.c - the AD trust decision and the resolver-AD observation
 * table of resolver_ad.h: an array of slots with chained hash buckets
 * over slot indexes, a list of free slots, and a recency list (the slot
 * touched last at its head); a full table evicts its tail, the
 * observation noted or loaded longest ago. Every operation is O(1) but
 * the walk over a name's labels.
 */
#include "correlate/resolver_ad.h"

#include "util/hash.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define NO_SLOT UINT32_MAX

struct slot {
	struct resolver_ad_obs o;
	uint32_t hash;
	uint32_t next;	       /* used: next slot in the bucket; free: next free slot */
	uint32_t newer, older; /* the recency list of used slots */
	bool used;
};

struct resolver_ad_table {
	struct slot *slots;
	uint32_t *buckets;
	uint32_t nslots, nbuckets, used;
	uint32_t free_head;	 /* first free slot, NO_SLOT when full */
	uint32_t newest, oldest; /* ends of the recency list */
	uint64_t max_age_us;
	struct mx_hash_key key; /* keyed hash: zones in traffic cannot pile into a bucket */
	struct resolver_ad_counters ctr;
};

const struct mx_counter_desc resolver_ad_counter_desc[] = {
    MX_COUNTER("dnssec.resolver_ad.entries", struct resolver_ad_counters, entries),
    MX_COUNTER("dnssec.resolver_ad.inserts", struct resolver_ad_counters, inserts),
    MX_COUNTER("dnssec.resolver_ad.updates", struct resolver_ad_counters, updates),
    MX_COUNTER("dnssec.resolver_ad.evicted", struct resolver_ad_counters, evicted),
    MX_COUNTER("dnssec.resolver_ad.expired", struct resolver_ad_counters, expired),
    {NULL, 0},
};

enum resolver_ad_verdict resolver_ad_decide(bool trust_ad, const struct mx_prefix *list, size_t n,
					    const struct mx_addr *resolver)
{
	if (!trust_ad)
		return RESOLVER_AD_OFF;
	if (n == 0)
		return RESOLVER_AD_COUNTS;
	for (size_t i = 0; i < n; i++)
		if (mx_prefix_match(&list[i], resolver))
			return RESOLVER_AD_COUNTS;
	return RESOLVER_AD_NOT_LISTED;
}

struct resolver_ad_table *resolver_ad_new(size_t max_entries, uint64_t max_age_s)
{
	struct resolver_ad_table *t = calloc(1, sizeof(*t));
	uint32_t nb = 16;

	if (t == NULL || max_entries == 0 || max_entries > UINT32_MAX / 4) {
		free(t);
		return NULL;
	}
	while (nb < max_entries)
		nb <<= 1;
	t->nslots = (uint32_t)max_entries;
	t->nbuckets = nb;
	t->max_age_us = max_age_s * MX_USEC;
	mx_hash_key_init(&t->key);
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->buckets = malloc(nb * sizeof(*t->buckets));
	if (t->slots == NULL || t->buckets == NULL) {
		resolver_ad_free(t);
		return NULL;
	}
	resolver_ad_clear(t);
	return t;
}

void resolver_ad_free(struct resolver_ad_table *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->buckets);
	free(t);
}

void resolver_ad_clear(struct resolver_ad_table *t)
{
	memset(t->slots, 0, t->nslots * sizeof(*t->slots));
	for (uint32_t i = 0; i < t->nbuckets; i++)
		t->buckets[i] = NO_SLOT;
	for (uint32_t i = 0; i < t->nslots; i++)
		t->slots[i].next = i + 1 < t->nslots ? i + 1 : NO_SLOT;
	t->free_head = 0;
	t->newest = t->oldest = NO_SLOT;
	t->used = 0;
	t->ctr.entries = 0;
}

static void recency_unlink(struct resolver_ad_table *t, uint32_t idx)
{
	struct slot *s = &t->slots[idx];

	if (s->newer != NO_SLOT)
		t->slots[s->newer].older = s->older;
	else
		t->newest = s->older;
	if (s->older != NO_SLOT)
		t->slots[s->older].newer = s->newer;
	else
		t->oldest = s->newer;
	s->newer = s->older = NO_SLOT;
}

static void recency_push(struct resolver_ad_table *t, uint32_t idx)
{
	struct slot *s = &t->slots[idx];

	s->newer = NO_SLOT;
	s->older = t->newest;
	if (t->newest != NO_SLOT)
		t->slots[t->newest].newer = idx;
	t->newest = idx;
	if (t->oldest == NO_SLOT)
		t->oldest = idx;
}

/* Lowercase without a trailing dot; false when it does not fit. */
static bool norm_zone(const char *in, char out[RESOLVER_AD_ZONE_MAX])
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n >= RESOLVER_AD_ZONE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return true;
}

static uint32_t key_hash(const struct resolver_ad_table *t, const struct mx_addr *resolver,
			 const char *zone)
{
	uint8_t buf[sizeof(resolver->b) + RESOLVER_AD_ZONE_MAX];
	size_t n = strnlen(zone, RESOLVER_AD_ZONE_MAX);

	memcpy(buf, resolver->b, sizeof(resolver->b));
	memcpy(buf + sizeof(resolver->b), zone, n);
	return (uint32_t)mx_siphash(&t->key, buf, sizeof(resolver->b) + n);
}

static void unlink_slot(struct resolver_ad_table *t, uint32_t idx)
{
	uint32_t *pp = &t->buckets[t->slots[idx].hash & (t->nbuckets - 1)];

	while (*pp != NO_SLOT && *pp != idx)
		pp = &t->slots[*pp].next;
	if (*pp == idx)
		*pp = t->slots[idx].next;
	recency_unlink(t, idx);
	memset(&t->slots[idx], 0, sizeof(t->slots[idx]));
	t->slots[idx].next = t->free_head;
	t->free_head = idx;
	t->used--;
	t->ctr.entries--;
}

static uint32_t find_slot(const struct resolver_ad_table *t, const struct mx_addr *resolver,
			  const char *zone, uint32_t h)
{
	for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i != NO_SLOT; i = t->slots[i].next) {
		const struct slot *s = &t->slots[i];

		if (s->hash == h && mx_addr_cmp(&s->o.resolver, resolver) == 0 &&
		    strcmp(s->o.zone, zone) == 0)
			return i;
	}
	return NO_SLOT;
}

/* A free slot, evicting the least recently touched one when full. */
static uint32_t free_slot(struct resolver_ad_table *t)
{
	uint32_t idx;

	if (t->free_head == NO_SLOT) {
		unlink_slot(t, t->oldest);
		t->ctr.evicted++;
	}
	idx = t->free_head;
	t->free_head = t->slots[idx].next;
	return idx;
}

static struct slot *add_slot(struct resolver_ad_table *t, const struct mx_addr *resolver,
			     const char *zone, uint32_t h)
{
	uint32_t idx = free_slot(t);
	struct slot *s = &t->slots[idx];

	s->used = true;
	s->hash = h;
	s->o.resolver = *resolver;
	mx_strlcpy(s->o.zone, zone, sizeof(s->o.zone));
	s->next = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = idx;
	recency_push(t, idx);
	t->used++;
	t->ctr.entries++;
	t->ctr.inserts++;
	return s;
}

void resolver_ad_note(struct resolver_ad_table *t, const struct mx_addr *resolver, const char *zone,
		      uint64_t ts_us)
{
	struct resolver_ad_obs o;

	memset(&o, 0, sizeof(o));
	o.resolver = *resolver;
	if (!norm_zone(zone, o.zone))
		return;
	o.first_ad_us = o.last_ad_us = ts_us;
	o.ad_answers = 1;
	resolver_ad_insert(t, &o);
}

bool resolver_ad_insert(struct resolver_ad_table *t, const struct resolver_ad_obs *o)
{
	char zone[RESOLVER_AD_ZONE_MAX];
	uint32_t h, idx;
	struct slot *s;

	if (memchr(o->zone, '\0', sizeof(o->zone)) == NULL || !norm_zone(o->zone, zone) ||
	    o->first_ad_us > o->last_ad_us || o->ad_answers == 0)
		return false;
	h = key_hash(t, &o->resolver, zone);
	idx = find_slot(t, &o->resolver, zone, h);
	if (idx == NO_SLOT) {
		s = add_slot(t, &o->resolver, zone, h);
		s->o.first_ad_us = o->first_ad_us;
		s->o.last_ad_us = o->last_ad_us;
		s->o.ad_answers = o->ad_answers;
		return true;
	}
	s = &t->slots[idx];
	recency_unlink(t, idx);
	recency_push(t, idx);
	t->ctr.updates++;
	s->o.first_ad_us = MX_MIN(s->o.first_ad_us, o->first_ad_us);
	s->o.last_ad_us = MX_MAX(s->o.last_ad_us, o->last_ad_us);
	s->o.ad_answers = s->o.ad_answers > UINT32_MAX - o->ad_answers
			      ? UINT32_MAX
			      : s->o.ad_answers + o->ad_answers;
	return true;
}

const struct resolver_ad_obs *resolver_ad_find(struct resolver_ad_table *t,
					       const struct mx_addr *resolver, const char *name,
					       bool walk, uint64_t ts_us)
{
	char zone[RESOLVER_AD_ZONE_MAX];
	const char *z;

	if (!norm_zone(name, zone))
		return NULL;
	for (z = zone; *z != '\0';) {
		uint32_t h = key_hash(t, resolver, z);
		uint32_t idx = find_slot(t, resolver, z, h);
		const char *dot;

		if (idx != NO_SLOT) {
			struct slot *s = &t->slots[idx];

			if (ts_us <= s->o.last_ad_us + t->max_age_us)
				return &s->o;
			unlink_slot(t, idx);
			t->ctr.expired++;
		}
		dot = strchr(z, '.');
		if (dot == NULL || !walk)
			break;
		z = dot + 1;
	}
	return NULL;
}

void resolver_ad_foreach(const struct resolver_ad_table *t,
			 void (*fn)(const struct resolver_ad_obs *o, void *arg), void *arg)
{
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i].used)
			fn(&t->slots[i].o, arg);
}

const struct resolver_ad_counters *resolver_ad_counters(const struct resolver_ad_table *t)
{
	return &t->ctr;
}
