/*
 * flow.c - the bidirectional flow table. Flows are found through a hash of
 * the normalized 5-tuple and both VLAN ids (keyed SipHash, so traffic
 * cannot choose its buckets), kept on one LRU list per timeout class (TCP
 * new, established, closed; UDP) so that timing out walks only expired
 * flows, and taken from a pool under a memcap that evicts the least
 * recently seen flow when reached. The pool grows in slabs of flows up to
 * what the memcap holds and never gives them back: creating or ending a
 * flow costs no allocation, and the buckets are as many as the flows the
 * memcap holds (unless configured), so a chain is about one flow long.
 * Packet time is the only clock.
 */
#include "flow/flow.h"
#include "util/hash.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Timeout classes, one LRU list each. */
enum lru_class { LRU_NEW, LRU_EST, LRU_CLOSED, LRU_UDP, LRU_NCLASS };

/* Bits of struct flow.seen. */
#define SEEN_SYN     0x01
#define SEEN_SYNACK  0x02
#define SEEN_FIN_TS  0x04
#define SEEN_FIN_TC  0x08
#define SEEN_DATA_TS 0x10
#define SEEN_DATA_TC 0x20
#define SEEN_RST     0x40

#define HASH_SIZE_MAX (1U << 24)
/* Flows per slab of the pool (about 600 KiB). */
#define SLAB_FLOWS 4096

/* A slab of pooled flows; slabs are chained for freeing. */
struct slab {
	struct slab *next;
	struct flow flows[SLAB_FLOWS];
};

struct lru {
	struct flow *head; /* least recently seen */
	struct flow *tail; /* most recently seen */
};

struct flow_table {
	struct flow_config cfg;
	flow_end_fn on_end;
	void *ctx;
	struct flow **buckets;
	uint32_t mask;
	struct lru lru[LRU_NCLASS];
	uint64_t timeout_us[LRU_NCLASS];
	struct mx_hash_key key; /* of the bucket hash */
	uint64_t id_counter;
	struct flow_counters c;
	flow_state_bytes_fn state_fn;
	void *state_ctx;
	struct slab *slabs;
	struct flow *free_list; /* through hnext */
	size_t slab_used;	/* flows handed out of the newest slab */
};

/* The normalized lookup key: the lower (address, port) side first. */
struct flow_key {
	uint8_t lo[16], hi[16];
	uint16_t plo, phi;
	uint16_t vlan[2];
	uint8_t proto;
	uint8_t pad[7];
};

const struct mx_counter_desc flow_counter_desc[] = {
    MX_COUNTER("flow.total", struct flow_counters, total),
    MX_COUNTER("flow.tcp", struct flow_counters, tcp),
    MX_COUNTER("flow.udp", struct flow_counters, udp),
    MX_COUNTER("flow.active", struct flow_counters, active),
    MX_COUNTER("flow.memuse", struct flow_counters, memuse),
    MX_COUNTER("flow.memcap", struct flow_counters, memcap),
    MX_COUNTER("flow.get_used", struct flow_counters, evicted),
    MX_COUNTER("flow.tcp_reuse", struct flow_counters, tcp_reuse),
    MX_COUNTER("flow.mgr.flows_timeout", struct flow_counters, timeout),
    MX_COUNTER("flow.timeout.new", struct flow_counters, timeout_new),
    MX_COUNTER("flow.timeout.established", struct flow_counters, timeout_est),
    MX_COUNTER("flow.timeout.closed", struct flow_counters, timeout_closed),
    MX_COUNTER("flow.timeout.udp", struct flow_counters, timeout_udp),
    MX_COUNTER("flow.shutdown", struct flow_counters, shutdown),
    MX_COUNTER("flow.end.state.new", struct flow_counters, end_new),
    MX_COUNTER("flow.end.state.established", struct flow_counters, end_est),
    MX_COUNTER("flow.end.state.closed", struct flow_counters, end_closed),
    MX_COUNTER("flow.alloc_fail", struct flow_counters, alloc_fail),
    MX_COUNTER("flow.state_memuse", struct flow_counters, state_memuse),
    MX_COUNTER("flow.state_memuse_peak", struct flow_counters, state_peak),
    MX_COUNTER("flow.get_used_state", struct flow_counters, evicted_state),
    {NULL, 0},
};

void flow_config_defaults(struct flow_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = 16U << 20;
	cfg->hash_size = 0;
	cfg->timeout_new_s = 30;
	cfg->timeout_est_s = 600;
	cfg->timeout_closed_s = 10;
	cfg->timeout_udp_s = 30;
}

/* ---- bucket hash: mx_siphash over the whole fixed-size key ---- */

_Static_assert(sizeof(struct flow_key) % 8 == 0, "flow_key must be whole words");

/*
 * A flow id: a bijection of the 51-bit counter space (so ids are unique and
 * non-zero for non-zero counters) that scatters consecutive counters. 51
 * bits keep the id exact in JSON consumers that use doubles.
 */
static uint64_t flow_id_from_counter(uint64_t n)
{
	const uint64_t mask = (1ULL << 51) - 1;
	uint64_t x = n & mask;

	x = (x * 0x5bd1e9955bd1e995ULL) & mask; /* odd multiplier: invertible mod 2^51 */
	x ^= x >> 25;
	x = (x * 0x94d049bb133111ebULL) & mask;
	x ^= x >> 29;
	return x;
}

/* ---- LRU lists ---- */

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	struct lru *l = &t->lru[f->lru_class];

	if (f->lru_prev != NULL)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != NULL)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct flow_table *t, struct flow *f, uint8_t cls)
{
	struct lru *l = &t->lru[cls];

	f->lru_class = cls;
	f->lru_next = NULL;
	f->lru_prev = l->tail;
	if (l->tail != NULL)
		l->tail->lru_next = f;
	else
		l->head = f;
	l->tail = f;
}

static uint8_t flow_class(const struct flow *f)
{
	if (f->proto != IPPROTO_TCP)
		return LRU_UDP;
	switch (f->state) {
	case FLOW_ESTABLISHED:
		return LRU_EST;
	case FLOW_CLOSED:
		return LRU_CLOSED;
	default:
		return LRU_NEW;
	}
}

/* The least recently seen flow of all classes, NULL when the table is empty. */
static struct flow *lru_oldest(const struct flow_table *t)
{
	struct flow *best = NULL;

	for (int c = 0; c < LRU_NCLASS; c++) {
		struct flow *f = t->lru[c].head;

		if (f != NULL && (best == NULL || f->last_ts < best->last_ts))
			best = f;
	}
	return best;
}

static bool flow_expired(const struct flow_table *t, const struct flow *f, uint64_t now_us)
{
	return now_us > f->last_ts && now_us - f->last_ts > t->timeout_us[f->lru_class];
}

/* ---- ending flows ---- */

/* O(1): the chain is doubly linked, so the bucket is not walked. */
static void hash_unlink(struct flow_table *t, struct flow *f)
{
	(void)t;
	*f->hprev = f->hnext;
	if (f->hnext != NULL)
		f->hnext->hprev = f->hprev;
	f->hnext = NULL;
	f->hprev = NULL;
}

/*
 * Removes f from the table, counts why, calls on_end once and frees f. A
 * closed TCP flow replaced by a new connection (reuse) ends as a timeout
 * but is counted as flow.tcp_reuse only.
 */
static void flow_end(struct flow_table *t, struct flow *f, enum flow_end_reason why, bool reuse)
{
	hash_unlink(t, f);
	lru_unlink(t, f);
	switch (why) {
	case FLOW_END_TIMEOUT:
		if (reuse) {
			t->c.tcp_reuse++;
			break;
		}
		t->c.timeout++;
		if (f->lru_class == LRU_NEW)
			t->c.timeout_new++;
		else if (f->lru_class == LRU_EST)
			t->c.timeout_est++;
		else if (f->lru_class == LRU_CLOSED)
			t->c.timeout_closed++;
		else
			t->c.timeout_udp++;
		break;
	case FLOW_END_EVICTED:
		t->c.evicted++;
		break;
	case FLOW_END_SHUTDOWN:
		t->c.shutdown++;
		break;
	}
	if (f->state == FLOW_ESTABLISHED)
		t->c.end_est++;
	else if (f->state == FLOW_CLOSED)
		t->c.end_closed++;
	else
		t->c.end_new++;
	if (t->on_end != NULL)
		t->on_end(t->ctx, f, why);
	t->c.active--;
	t->c.memuse -= sizeof(struct flow);
	f->hnext = t->free_list;
	t->free_list = f;
}

/* ---- creation and update ---- */

static void key_from_packet(struct flow_key *k, const struct mx_packet *p)
{
	int c = mx_addr_cmp(&p->src, &p->dst);

	memset(k, 0, sizeof(*k));
	if (c < 0 || (c == 0 && p->sport <= p->dport)) {
		memcpy(k->lo, p->src.b, 16);
		memcpy(k->hi, p->dst.b, 16);
		k->plo = p->sport;
		k->phi = p->dport;
	} else {
		memcpy(k->lo, p->dst.b, 16);
		memcpy(k->hi, p->src.b, 16);
		k->plo = p->dport;
		k->phi = p->sport;
	}
	k->vlan[0] = p->vlan_count > 0 ? p->vlan[0] : 0;
	k->vlan[1] = p->vlan_count > 1 ? p->vlan[1] : 0;
	k->proto = p->proto;
}

/* Which side of a new flow is the client: true when it is p's source. */
static bool client_is_source(const struct mx_packet *p, bool *guessed)
{
	uint8_t fl = p->tcp_flags;

	if (p->proto == IPPROTO_TCP) {
		if ((fl & (MX_TCP_SYN | MX_TCP_ACK)) == MX_TCP_SYN) {
			*guessed = false;
			return true;
		}
		if ((fl & (MX_TCP_SYN | MX_TCP_ACK)) == (MX_TCP_SYN | MX_TCP_ACK)) {
			*guessed = false;
			return false;
		}
		*guessed = true;
		return p->sport >= p->dport;
	}
	/* UDP and anything else: the first sender, unless it uses the service port. */
	*guessed = p->sport < p->dport;
	return p->sport >= p->dport;
}

/* Bytes of per-flow state held now: flow structs and the state source's. */
static uint64_t state_bytes(struct flow_table *t)
{
	uint64_t n = t->c.memuse;

	if (t->state_fn != NULL)
		n += t->state_fn(t->state_ctx);
	t->c.state_memuse = n;
	if (n > t->c.state_peak)
		t->c.state_peak = n;
	return n;
}

/* Makes room for one more flow under the memcap; false when nothing can go. */
static bool make_room(struct flow_table *t)
{
	bool counted = false;

	while (state_bytes(t) + sizeof(struct flow) > t->cfg.memcap) {
		struct flow *old = lru_oldest(t);

		if (!counted) {
			t->c.memcap++;
			counted = true;
		}
		if (old == NULL)
			return false;
		if (t->c.memuse + sizeof(struct flow) <= t->cfg.memcap)
			t->c.evicted_state++;
		flow_end(t, old, FLOW_END_EVICTED, false);
	}
	return true;
}

/*
 * The state outside the flow structs grew past the memcap while f was
 * being worked on: other flows go, least recently seen first.
 */
static void shed_state(struct flow_table *t, const struct flow *f)
{
	while (state_bytes(t) > t->cfg.memcap) {
		struct flow *old = lru_oldest(t);

		if (old == NULL || old == f)
			return;
		t->c.evicted_state++;
		flow_end(t, old, FLOW_END_EVICTED, false);
	}
}

/* A zeroed flow from the pool, NULL when memory runs out. */
static struct flow *pool_get(struct flow_table *t)
{
	struct flow *f = t->free_list;

	if (f != NULL) {
		t->free_list = f->hnext;
	} else {
		if (t->slabs == NULL || t->slab_used == SLAB_FLOWS) {
			struct slab *s = malloc(sizeof(*s));

			if (s == NULL)
				return NULL;
			s->next = t->slabs;
			t->slabs = s;
			t->slab_used = 0;
		}
		f = &t->slabs->flows[t->slab_used++];
	}
	memset(f, 0, sizeof(*f));
	return f;
}

static struct flow *flow_create(struct flow_table *t, const struct mx_packet *p, uint32_t hash,
				const struct flow_key *k)
{
	struct flow *f;
	bool guessed;

	if (!make_room(t))
		return NULL;
	f = pool_get(t);
	if (f == NULL) {
		t->c.alloc_fail++;
		return NULL;
	}
	if (client_is_source(p, &guessed)) {
		f->cli = p->src;
		f->srv = p->dst;
		f->cport = p->sport;
		f->sport = p->dport;
	} else {
		f->cli = p->dst;
		f->srv = p->src;
		f->cport = p->dport;
		f->sport = p->sport;
	}
	f->client_guessed = guessed;
	f->vlan[0] = k->vlan[0];
	f->vlan[1] = k->vlan[1];
	f->proto = p->proto;
	f->state = FLOW_NEW;
	/* The counter starts at the first packet's time in ms: ids stay unique
	   and repeatable for one input, and differ between captures. */
	if (t->id_counter == 0)
		t->id_counter = p->ts_us / 1000;
	f->flow_id = flow_id_from_counter(++t->id_counter);
	f->first_ts = f->last_ts = p->ts_us;
	f->hash = hash;
	f->hnext = t->buckets[hash & t->mask];
	f->hprev = &t->buckets[hash & t->mask];
	if (f->hnext != NULL)
		f->hnext->hprev = &f->hnext;
	t->buckets[hash & t->mask] = f;
	lru_append(t, f, flow_class(f));

	t->c.total++;
	t->c.active++;
	t->c.memuse += sizeof(struct flow);
	if (p->proto == IPPROTO_TCP)
		t->c.tcp++;
	else if (p->proto == IPPROTO_UDP)
		t->c.udp++;
	return f;
}

static void tcp_state_update(struct flow *f, const struct mx_packet *p, int dir)
{
	uint8_t fl = p->tcp_flags;

	if (fl & MX_TCP_RST)
		f->seen |= SEEN_RST;
	if ((fl & (MX_TCP_SYN | MX_TCP_ACK)) == MX_TCP_SYN)
		f->seen |= SEEN_SYN;
	if ((fl & (MX_TCP_SYN | MX_TCP_ACK)) == (MX_TCP_SYN | MX_TCP_ACK))
		f->seen |= SEEN_SYNACK;
	if (fl & MX_TCP_FIN)
		f->seen |= dir == FLOW_TOSERVER ? SEEN_FIN_TS : SEEN_FIN_TC;
	if (p->payload_len > 0)
		f->seen |= dir == FLOW_TOSERVER ? SEEN_DATA_TS : SEEN_DATA_TC;

	if (f->state == FLOW_NEW) {
		bool final_ack = (f->seen & SEEN_SYNACK) && dir == FLOW_TOSERVER &&
				 (fl & (MX_TCP_SYN | MX_TCP_ACK | MX_TCP_RST)) == MX_TCP_ACK;
		bool data_both =
		    (f->seen & (SEEN_DATA_TS | SEEN_DATA_TC)) == (SEEN_DATA_TS | SEEN_DATA_TC);

		if (final_ack || data_both)
			f->state = FLOW_ESTABLISHED;
	}
	if ((f->seen & SEEN_RST) ||
	    (f->seen & (SEEN_FIN_TS | SEEN_FIN_TC)) == (SEEN_FIN_TS | SEEN_FIN_TC))
		f->state = FLOW_CLOSED;
}

static void flow_update(struct flow_table *t, struct flow *f, const struct mx_packet *p, int dir)
{
	uint8_t cls;

	if (p->ts_us > f->last_ts)
		f->last_ts = p->ts_us;
	f->pkts[dir]++;
	f->bytes[dir] += p->wirelen;
	if (f->proto == IPPROTO_TCP)
		tcp_state_update(f, p, dir);
	else if (f->state == FLOW_NEW && f->pkts[0] > 0 && f->pkts[1] > 0)
		f->state = FLOW_ESTABLISHED;
	cls = flow_class(f);
	if (t->lru[f->lru_class].tail != f || cls != f->lru_class) {
		lru_unlink(t, f);
		lru_append(t, f, cls);
	}
}

/* ---- public API ---- */

static uint32_t round_pow2(uint32_t n)
{
	uint32_t r = 1;

	if (n > HASH_SIZE_MAX)
		n = HASH_SIZE_MAX;
	while (r < n)
		r <<= 1;
	return r;
}

struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn on_end, void *ctx)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	uint32_t n;

	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	t->on_end = on_end;
	t->ctx = ctx;
	n = round_pow2(cfg->hash_size != 0 ? cfg->hash_size
					    : (uint32_t)MX_MIN(cfg->memcap / sizeof(struct flow),
							       (size_t)HASH_SIZE_MAX));
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->timeout_us[LRU_NEW] = (uint64_t)cfg->timeout_new_s * MX_USEC;
	t->timeout_us[LRU_EST] = (uint64_t)cfg->timeout_est_s * MX_USEC;
	t->timeout_us[LRU_CLOSED] = (uint64_t)cfg->timeout_closed_s * MX_USEC;
	t->timeout_us[LRU_UDP] = (uint64_t)cfg->timeout_udp_s * MX_USEC;
	/* The bucket key only spreads flows; nothing observable depends on it. */
	mx_hash_key_init(&t->key);
	return t;
}

void flow_table_set_state_source(struct flow_table *t, flow_state_bytes_fn fn, void *ctx)
{
	t->state_fn = fn;
	t->state_ctx = ctx;
}

void flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	flow_table_flush(t);
	while (t->slabs != NULL) {
		struct slab *s = t->slabs;

		t->slabs = s->next;
		free(s);
	}
	free(t->buckets);
	free(t);
}

struct flow *flow_lookup(struct flow_table *t, const struct mx_packet *p, int *dir)
{
	struct flow_key k;
	struct flow *f;
	uint32_t hash;

	key_from_packet(&k, p);
	hash = (uint32_t)mx_siphash(&t->key, &k, sizeof(k));

	for (f = t->buckets[hash & t->mask]; f != NULL; f = f->hnext) {
		if (f->hash != hash || f->proto != k.proto || f->vlan[0] != k.vlan[0] ||
		    f->vlan[1] != k.vlan[1])
			continue;
		if (f->cport == p->sport && f->sport == p->dport &&
		    mx_addr_cmp(&f->cli, &p->src) == 0 && mx_addr_cmp(&f->srv, &p->dst) == 0) {
			*dir = FLOW_TOSERVER;
			break;
		}
		if (f->cport == p->dport && f->sport == p->sport &&
		    mx_addr_cmp(&f->cli, &p->dst) == 0 && mx_addr_cmp(&f->srv, &p->src) == 0) {
			*dir = FLOW_TOCLIENT;
			break;
		}
	}

	if (f != NULL && flow_expired(t, f, p->ts_us)) {
		flow_end(t, f, FLOW_END_TIMEOUT, false);
		f = NULL;
	} else if (f != NULL && f->proto == IPPROTO_TCP && f->state == FLOW_CLOSED &&
		   (p->tcp_flags & (MX_TCP_SYN | MX_TCP_ACK | MX_TCP_RST)) == MX_TCP_SYN) {
		flow_end(t, f, FLOW_END_TIMEOUT, true);
		f = NULL;
	}
	if (f == NULL) {
		bool guessed;

		f = flow_create(t, p, hash, &k);
		if (f == NULL)
			return NULL;
		*dir = client_is_source(p, &guessed) ? FLOW_TOSERVER : FLOW_TOCLIENT;
		flow_update(t, f, p, *dir);
		return f;
	}
	flow_update(t, f, p, *dir);
	if (t->state_fn != NULL)
		shed_state(t, f);
	return f;
}

void flow_table_timeout(struct flow_table *t, uint64_t now_us)
{
	for (int c = 0; c < LRU_NCLASS; c++) {
		struct flow *f = t->lru[c].head;

		while (f != NULL && flow_expired(t, f, now_us)) {
			struct flow *next = f->lru_next;

			flow_end(t, f, FLOW_END_TIMEOUT, false);
			f = next;
		}
	}
}

void flow_table_flush(struct flow_table *t)
{
	struct flow *f;

	while ((f = lru_oldest(t)) != NULL)
		flow_end(t, f, FLOW_END_SHUTDOWN, false);
}

bool flow_carried_data(const struct flow *f)
{
	return f->proto != IPPROTO_TCP || (f->seen & (SEEN_DATA_TS | SEEN_DATA_TC)) != 0;
}

const struct flow_counters *flow_table_counters(const struct flow_table *t)
{
	return &t->c;
}
