/*
 * incident.c - the bounded table of open incidents (see incident.h).
 */
#include "correlate/incident.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define WAYS 4

struct incident {
	bool used;
	uint64_t key;  /* kind, domain, MX host, resolver */
	uint64_t link; /* kind, domain, MX host: what an SMTP alert is matched on */
	struct incident_ref ref;
};

struct incident_table {
	struct mx_hash_key key;
	uint64_t next_id;
	struct incident e[INCIDENT_SLOTS];
	struct incident_counters ctr;
};

struct incident_table *incident_table_new(void)
{
	struct incident_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	mx_hash_key_init(&t->key);
	return t;
}

void incident_table_free(struct incident_table *t)
{
	free(t);
}

const struct incident_counters *incident_counters(const struct incident_table *t)
{
	return &t->ctr;
}

/* Appends a name, lower case and cut at 255 bytes, then a NUL no name holds. */
static size_t put_name(uint8_t *buf, size_t o, const char *s)
{
	for (size_t n = 0; s != NULL && *s && n < 255; s++, n++)
		buf[o++] = (uint8_t)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
	buf[o++] = 0;
	return o;
}

/* Kind, domain and MX host under the table's key. */
static uint64_t link_hash(const struct incident_table *t, const struct incident_key *k)
{
	uint8_t buf[1 + 2 * 256];
	size_t o = 0;

	buf[o++] = (uint8_t)k->kind;
	o = put_name(buf, o, k->domain);
	o = put_name(buf, o, k->mx_host);
	return mx_siphash(&t->key, buf, o);
}

/* The link hash and the resolver's address. */
static uint64_t key_hash(const struct incident_table *t, uint64_t link, const struct mx_addr *r)
{
	uint8_t buf[8 + sizeof(r->b)];

	memcpy(buf, &link, 8);
	memcpy(buf + 8, r->b, sizeof(r->b));
	return mx_siphash(&t->key, buf, sizeof(buf));
}

/* Kinds judged on a DNS answer whose repeats are retries of one lookup. */
static bool groups_retries(enum mx_kind k)
{
	return k == KIND_DNSSEC_STRIPPED || k == KIND_DNSSEC_BOGUS || k == KIND_MX_REDIRECT ||
	       k == KIND_TLSA_STRIPPED || k == KIND_MTA_STS_STRIPPED;
}

static bool open_at(const struct incident *e, uint64_t ts_us)
{
	return e->used && ts_us <= e->ref.last_us + INCIDENT_WINDOW_S * MX_USEC;
}

static void touch(struct incident *e, uint64_t ts_us, struct incident_ref *ref)
{
	e->ref.count++;
	if (ts_us > e->ref.last_us)
		e->ref.last_us = ts_us;
	*ref = e->ref;
}

/* An SMTP alert about a domain and MX host: the newest open DNS incident of that kind. */
static enum incident_verdict join(struct incident_table *t, const struct incident_key *k,
				  uint64_t ts_us, struct incident_ref *ref)
{
	uint64_t link = link_hash(t, k);
	struct incident *best = NULL;

	for (size_t i = 0; i < INCIDENT_SLOTS; i++) {
		struct incident *e = &t->e[i];

		if (e->link == link && open_at(e, ts_us) &&
		    (best == NULL || e->ref.last_us > best->ref.last_us))
			best = e;
	}
	if (best == NULL)
		return INCIDENT_NONE;
	touch(best, ts_us, ref);
	t->ctr.joined++;
	return INCIDENT_JOINED;
}

enum incident_verdict incident_note(struct incident_table *t, const struct incident_key *k,
				    uint64_t ts_us, struct incident_ref *ref)
{
	uint64_t key, link;
	struct incident *b, *victim = NULL;

	memset(ref, 0, sizeof(*ref));
	if (t == NULL || !groups_retries(k->kind) || (k->domain == NULL && k->mx_host == NULL))
		return INCIDENT_NONE;
	if (k->resolver == NULL)
		return k->mx_host != NULL ? join(t, k, ts_us, ref) : INCIDENT_NONE;
	link = link_hash(t, k);
	key = key_hash(t, link, k->resolver);
	b = &t->e[(key % (INCIDENT_SLOTS / WAYS)) * WAYS];
	for (int i = 0; i < WAYS; i++) {
		if (b[i].used && b[i].key == key && open_at(&b[i], ts_us)) {
			touch(&b[i], ts_us, ref);
			t->ctr.merged++;
			return INCIDENT_MERGED;
		}
		if (victim == NULL || !b[i].used ||
		    (victim->used && b[i].ref.last_us < victim->ref.last_us))
			victim = &b[i];
	}
	/* A closed incident of the same key is replaced too: it is over. */
	for (int i = 0; i < WAYS; i++)
		if (b[i].used && b[i].key == key)
			victim = &b[i];
	if (victim->used && victim->key != key && open_at(victim, ts_us))
		t->ctr.evicted++;
	victim->used = true;
	victim->key = key;
	victim->link = link;
	victim->ref = (struct incident_ref){++t->next_id, 1, ts_us, ts_us};
	*ref = victim->ref;
	t->ctr.opened++;
	return INCIDENT_NEW;
}
