/*
 * test_flow.c - unit tests of the flow table: both directions meet in one
 * flow, VLAN ids separate flows, client detection (handshake and guess),
 * state changes, timeouts per state driven by packet time, memcap
 * eviction, flow ids, port reuse and the end callback's once-per-flow
 * promise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "flow/flow.h"

#define MAX_ENDS 64

struct ends {
	int n;
	uint64_t id[MAX_ENDS];
	enum flow_end_reason why[MAX_ENDS];
	uint8_t state[MAX_ENDS];
};

static void on_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
	struct ends *e = ctx;

	for (int i = 0; i < e->n; i++)
		assert_int_not_equal(e->id[i], f->flow_id); /* never twice */
	assert_true(e->n < MAX_ENDS);
	e->id[e->n] = f->flow_id;
	e->why[e->n] = why;
	e->state[e->n] = f->state;
	e->n++;
}

static struct mx_packet pkt(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			    uint8_t proto, uint8_t flags, uint64_t ts_us)
{
	struct mx_packet p;

	memset(&p, 0, sizeof(p));
	assert_true(mx_addr_parse(&p.src, src));
	assert_true(mx_addr_parse(&p.dst, dst));
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	p.tcp_flags = flags;
	p.ts_us = ts_us;
	p.ip_version = 4;
	p.wirelen = 60;
	p.caplen = 60;
	return p;
}

static struct mx_packet tcp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			    uint8_t flags, uint64_t ts_us)
{
	return pkt(src, sport, dst, dport, IPPROTO_TCP, flags, ts_us);
}

static struct flow_table *table(struct ends *e, struct flow_config *cfg)
{
	struct flow_config def;
	struct flow_table *t;

	memset(e, 0, sizeof(*e));
	if (cfg == NULL) {
		flow_config_defaults(&def);
		cfg = &def;
	}
	t = flow_table_new(cfg, on_end, e);
	assert_non_null(t);
	return t;
}

static const uint8_t payload[] = "EHLO example.org\r\n";

static void test_both_directions(void **state)
{
	struct ends e;
	struct flow_table *t = table(&e, NULL);
	struct mx_packet p;
	struct flow *f, *g;
	int dir = -1;
	char buf[64];

	(void)state;
	p = tcp("192.0.2.1", 40000, "198.51.100.25", 25, MX_TCP_SYN, 1000);
	f = flow_lookup(t, &p, &dir);
	assert_non_null(f);
	assert_int_equal(dir, FLOW_TOSERVER);
	assert_int_equal(f->state, FLOW_NEW);
	assert_false(f->client_guessed);
	assert_string_equal(mx_addr_str(&f->cli, buf, sizeof(buf)), "192.0.2.1");
	assert_int_equal(f->cport, 40000);
	assert_int_equal(f->sport, 25);
	assert_int_not_equal(f->flow_id, 0);

	p = tcp("198.51.100.25", 25, "192.0.2.1", 40000, MX_TCP_SYN | MX_TCP_ACK, 2000);
	g = flow_lookup(t, &p, &dir);
	assert_ptr_equal(f, g);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_int_equal(f->state, FLOW_NEW);

	p = tcp("192.0.2.1", 40000, "198.51.100.25", 25, MX_TCP_ACK, 3000);
	g = flow_lookup(t, &p, &dir);
	assert_ptr_equal(f, g);
	assert_int_equal(dir, FLOW_TOSERVER);
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	assert_int_equal(f->pkts[FLOW_TOSERVER], 2);
	assert_int_equal(f->pkts[FLOW_TOCLIENT], 1);
	assert_int_equal(f->bytes[FLOW_TOSERVER], 120);
	assert_int_equal(f->first_ts, 1000);
	assert_int_equal(f->last_ts, 3000);

	/* Same addresses and ports but UDP: another flow. */
	p = pkt("192.0.2.1", 40000, "198.51.100.25", 25, IPPROTO_UDP, 0, 3500);
	g = flow_lookup(t, &p, &dir);
	assert_non_null(g);
	assert_ptr_not_equal(f, g);

	assert_int_equal(flow_table_counters(t)->total, 2);
	assert_int_equal(flow_table_counters(t)->tcp, 1);
	assert_int_equal(flow_table_counters(t)->udp, 1);
	assert_int_equal(flow_table_counters(t)->active, 2);
	assert_int_equal(flow_table_counters(t)->memuse, 2 * sizeof(struct flow));
	flow_table_free(t);
	assert_int_equal(e.n, 2);
}

static void test_vlan(void **state)
{
	struct ends e;
	struct flow_table *t = table(&e, NULL);
	struct mx_packet p;
	struct flow *plain, *v10, *v20, *qinq, *f;
	int dir;

	(void)state;
	p = tcp("10.0.0.1", 1234, "10.0.0.2", 25, MX_TCP_SYN, 1);
	p.vlan[0] = 77; /* ignored: vlan_count is 0 */
	plain = flow_lookup(t, &p, &dir);
	p.vlan_count = 1;
	p.vlan[0] = 10;
	v10 = flow_lookup(t, &p, &dir);
	p.vlan[0] = 20;
	v20 = flow_lookup(t, &p, &dir);
	p.vlan_count = 2;
	p.vlan[0] = 10;
	p.vlan[1] = 30;
	qinq = flow_lookup(t, &p, &dir);
	assert_non_null(plain);
	assert_non_null(v10);
	assert_non_null(v20);
	assert_non_null(qinq);
	assert_ptr_not_equal(plain, v10);
	assert_ptr_not_equal(v10, v20);
	assert_ptr_not_equal(v10, qinq);
	assert_int_equal(flow_table_counters(t)->total, 4);

	/* The reply on VLAN 10 meets the VLAN 10 flow. */
	p = tcp("10.0.0.2", 25, "10.0.0.1", 1234, MX_TCP_SYN | MX_TCP_ACK, 2);
	p.vlan_count = 1;
	p.vlan[0] = 10;
	p.vlan[1] = 99; /* ignored: one tag */
	f = flow_lookup(t, &p, &dir);
	assert_ptr_equal(f, v10);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_int_equal(v10->vlan[0], 10);
	assert_int_equal(v10->vlan[1], 0);
	assert_int_equal(qinq->vlan[1], 30);
	flow_table_free(t);
	assert_int_equal(e.n, 4);
}

static void test_client_detection(void **state)
{
	struct ends e;
	struct flow_table *t = table(&e, NULL);
	struct mx_packet p;
	struct flow *f;
	int dir;
	char buf[64];

	(void)state;
	/* SYN-ACK first: its destination is the client. */
	p = tcp("198.51.100.25", 25, "192.0.2.1", 40001, MX_TCP_SYN | MX_TCP_ACK, 1);
	f = flow_lookup(t, &p, &dir);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_false(f->client_guessed);
	assert_string_equal(mx_addr_str(&f->cli, buf, sizeof(buf)), "192.0.2.1");
	assert_int_equal(f->cport, 40001);

	/* Mid-stream data from the server: the lower port is the server. */
	p = tcp("198.51.100.25", 587, "192.0.2.1", 40002, MX_TCP_ACK | MX_TCP_PSH, 2);
	p.payload = payload;
	p.payload_len = sizeof(payload) - 1;
	f = flow_lookup(t, &p, &dir);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_true(f->client_guessed);
	assert_int_equal(f->sport, 587);
	assert_int_equal(f->state, FLOW_NEW);
	/* Data the other way too: established without a handshake. */
	p = tcp("192.0.2.1", 40002, "198.51.100.25", 587, MX_TCP_ACK | MX_TCP_PSH, 3);
	p.payload = payload;
	p.payload_len = sizeof(payload) - 1;
	assert_ptr_equal(flow_lookup(t, &p, &dir), f);
	assert_int_equal(dir, FLOW_TOSERVER);
	assert_int_equal(f->state, FLOW_ESTABLISHED);

	/* Mid-stream from the client side. */
	p = tcp("192.0.2.1", 40003, "198.51.100.25", 25, MX_TCP_ACK, 4);
	f = flow_lookup(t, &p, &dir);
	assert_int_equal(dir, FLOW_TOSERVER);
	assert_true(f->client_guessed);

	/* Equal ports: the first packet's destination is the server. */
	p = tcp("192.0.2.9", 5000, "192.0.2.1", 5000, MX_TCP_ACK, 5);
	f = flow_lookup(t, &p, &dir);
	assert_int_equal(dir, FLOW_TOSERVER);
	assert_string_equal(mx_addr_str(&f->srv, buf, sizeof(buf)), "192.0.2.1");

	/* UDP: a query's source is the client... */
	p = pkt("192.0.2.1", 40004, "192.0.2.53", 53, IPPROTO_UDP, 0, 6);
	f = flow_lookup(t, &p, &dir);
	assert_int_equal(dir, FLOW_TOSERVER);
	assert_false(f->client_guessed);
	assert_int_equal(f->state, FLOW_NEW);
	p = pkt("192.0.2.53", 53, "192.0.2.1", 40004, IPPROTO_UDP, 0, 7);
	assert_ptr_equal(flow_lookup(t, &p, &dir), f);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	/* ...but a response seen first still makes the port-53 side the server. */
	p = pkt("192.0.2.53", 53, "192.0.2.1", 40005, IPPROTO_UDP, 0, 8);
	f = flow_lookup(t, &p, &dir);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_true(f->client_guessed);
	assert_int_equal(f->sport, 53);
	assert_int_equal(f->cport, 40005);
	flow_table_free(t);
}

static void test_tcp_states(void **state)
{
	struct ends e;
	struct flow_table *t = table(&e, NULL);
	struct mx_packet p;
	struct flow *f;
	int dir;

	(void)state;
	/* FIN from one side only keeps it established; both sides close it. */
	p = tcp("10.0.0.1", 1111, "10.0.0.2", 25, MX_TCP_SYN, 1);
	f = flow_lookup(t, &p, &dir);
	p = tcp("10.0.0.2", 25, "10.0.0.1", 1111, MX_TCP_SYN | MX_TCP_ACK, 2);
	flow_lookup(t, &p, &dir);
	assert_int_equal(f->state, FLOW_NEW);
	p = tcp("10.0.0.1", 1111, "10.0.0.2", 25, MX_TCP_ACK, 3);
	flow_lookup(t, &p, &dir);
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	p = tcp("10.0.0.1", 1111, "10.0.0.2", 25, MX_TCP_ACK | MX_TCP_FIN, 4);
	flow_lookup(t, &p, &dir);
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	p = tcp("10.0.0.2", 25, "10.0.0.1", 1111, MX_TCP_ACK | MX_TCP_FIN, 5);
	flow_lookup(t, &p, &dir);
	assert_int_equal(f->state, FLOW_CLOSED);

	/* RST closes at once, even before the handshake completes. */
	p = tcp("10.0.0.1", 2222, "10.0.0.2", 25, MX_TCP_SYN, 6);
	f = flow_lookup(t, &p, &dir);
	p = tcp("10.0.0.2", 25, "10.0.0.1", 2222, MX_TCP_RST | MX_TCP_ACK, 7);
	assert_ptr_equal(flow_lookup(t, &p, &dir), f);
	assert_int_equal(f->state, FLOW_CLOSED);

	/* A SYN on the closed tuple is a new connection. */
	p = tcp("10.0.0.1", 2222, "10.0.0.2", 25, MX_TCP_SYN, 8);
	{
		uint64_t old_id = f->flow_id;
		struct flow *g = flow_lookup(t, &p, &dir);

		assert_non_null(g);
		assert_int_equal(g->state, FLOW_NEW);
		assert_int_not_equal(g->flow_id, old_id);
		assert_int_equal(e.n, 1);
		assert_int_equal(e.id[0], old_id);
		assert_int_equal(e.why[0], FLOW_END_TIMEOUT);
		assert_int_equal(e.state[0], FLOW_CLOSED);
		assert_int_equal(flow_table_counters(t)->tcp_reuse, 1);
		assert_int_equal(flow_table_counters(t)->timeout, 0);
	}
	/* A retransmitted SYN on a flow not closed stays in it. */
	p = tcp("10.0.0.1", 2222, "10.0.0.2", 25, MX_TCP_SYN, 9);
	flow_lookup(t, &p, &dir);
	assert_int_equal(flow_table_counters(t)->total, 3);
	flow_table_free(t);
	assert_int_equal(e.n, 3);
}

/* One flow in each timeout class, all last seen at t0. */
static void make_one_per_class(struct flow_table *t, uint64_t t0, struct flow **fl)
{
	struct mx_packet p;
	int dir;

	p = tcp("10.1.0.1", 1000, "10.1.0.2", 25, MX_TCP_SYN, t0);
	fl[0] = flow_lookup(t, &p, &dir); /* new */
	p = tcp("10.1.0.1", 1001, "10.1.0.2", 25, MX_TCP_SYN, t0);
	fl[1] = flow_lookup(t, &p, &dir);
	p = tcp("10.1.0.2", 25, "10.1.0.1", 1001, MX_TCP_SYN | MX_TCP_ACK, t0);
	flow_lookup(t, &p, &dir);
	p = tcp("10.1.0.1", 1001, "10.1.0.2", 25, MX_TCP_ACK, t0);
	flow_lookup(t, &p, &dir); /* established */
	p = tcp("10.1.0.1", 1002, "10.1.0.2", 25, MX_TCP_RST, t0);
	fl[2] = flow_lookup(t, &p, &dir); /* closed */
	p = pkt("10.1.0.1", 1003, "10.1.0.2", 53, IPPROTO_UDP, 0, t0);
	fl[3] = flow_lookup(t, &p, &dir); /* udp */
	assert_int_equal(fl[0]->state, FLOW_NEW);
	assert_int_equal(fl[1]->state, FLOW_ESTABLISHED);
	assert_int_equal(fl[2]->state, FLOW_CLOSED);
}

static void test_timeouts(void **state)
{
	struct ends e;
	struct flow_config cfg;
	struct flow_table *t;
	struct flow *fl[4];
	uint64_t id[4];
	const uint64_t t0 = 1700000000ULL * MX_USEC;
	const struct flow_counters *c;

	(void)state;
	flow_config_defaults(&cfg);
	cfg.timeout_new_s = 30;
	cfg.timeout_est_s = 600;
	cfg.timeout_closed_s = 10;
	cfg.timeout_udp_s = 20;
	t = table(&e, &cfg);
	c = flow_table_counters(t);
	make_one_per_class(t, t0, fl);
	for (int i = 0; i < 4; i++)
		id[i] = fl[i]->flow_id;

	flow_table_timeout(t, t0 + 10 * MX_USEC);
	assert_int_equal(e.n, 0);
	flow_table_timeout(t, t0 + 10 * MX_USEC + 1);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.id[0], id[2]);
	assert_int_equal(e.why[0], FLOW_END_TIMEOUT);
	assert_int_equal(c->timeout_closed, 1);

	flow_table_timeout(t, t0 + 20 * MX_USEC + 1);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.id[1], id[3]);
	assert_int_equal(c->timeout_udp, 1);

	flow_table_timeout(t, t0 + 30 * MX_USEC + 1);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.id[2], id[0]);
	assert_int_equal(c->timeout_new, 1);

	flow_table_timeout(t, t0 + 599 * MX_USEC);
	assert_int_equal(e.n, 3);
	flow_table_timeout(t, t0 + 600 * MX_USEC + 1);
	assert_int_equal(e.n, 4);
	assert_int_equal(e.id[3], id[1]);
	assert_int_equal(c->timeout_est, 1);
	assert_int_equal(c->timeout, 4);
	assert_int_equal(c->active, 0);
	assert_int_equal(c->memuse, 0);
	assert_int_equal(c->end_new, 2); /* the SYN-only flow and the UDP one */
	assert_int_equal(c->end_est, 1);
	assert_int_equal(c->end_closed, 1);
	flow_table_free(t);
	assert_int_equal(e.n, 4);
}

static void test_timeout_refresh_and_lookup(void **state)
{
	struct ends e;
	struct flow_table *t = table(&e, NULL); /* new: 30 s */
	struct mx_packet p;
	struct flow *a, *f;
	uint64_t ida, idb;
	int dir;

	(void)state;
	p = tcp("10.2.0.1", 1000, "10.2.0.2", 25, MX_TCP_SYN, 0);
	a = flow_lookup(t, &p, &dir);
	ida = a->flow_id;
	p = tcp("10.2.0.1", 1001, "10.2.0.2", 25, MX_TCP_SYN, 10 * MX_USEC);
	idb = flow_lookup(t, &p, &dir)->flow_id;
	/* a is seen again at 20 s: now b is the older one. */
	p = tcp("10.2.0.1", 1000, "10.2.0.2", 25, MX_TCP_SYN, 20 * MX_USEC);
	assert_ptr_equal(flow_lookup(t, &p, &dir), a);
	flow_table_timeout(t, 40 * MX_USEC + 1);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.id[0], idb);

	/* A packet for a flow idle past its timeout starts a new flow. */
	p = tcp("10.2.0.1", 1000, "10.2.0.2", 25, MX_TCP_SYN, 51 * MX_USEC);
	f = flow_lookup(t, &p, &dir);
	assert_non_null(f);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.id[1], ida);
	assert_int_equal(e.why[1], FLOW_END_TIMEOUT);
	assert_int_not_equal(f->flow_id, ida);
	assert_int_equal(f->first_ts, 51 * MX_USEC);

	/* Time running backwards never times anything out. */
	flow_table_timeout(t, 0);
	assert_int_equal(e.n, 2);
	flow_table_free(t);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.why[2], FLOW_END_SHUTDOWN);
}

static void test_memcap_eviction(void **state)
{
	struct ends e;
	struct flow_config cfg;
	struct flow_table *t;
	struct mx_packet p;
	struct flow *f[4];
	uint64_t id1;
	int dir;
	const struct flow_counters *c;

	(void)state;
	flow_config_defaults(&cfg);
	cfg.memcap = 3 * sizeof(struct flow);
	t = table(&e, &cfg);
	c = flow_table_counters(t);
	for (int i = 0; i < 3; i++) {
		p = tcp("10.3.0.1", (uint16_t)(2000 + i), "10.3.0.2", 25, MX_TCP_SYN,
			(uint64_t)(i + 1) * MX_USEC);
		f[i] = flow_lookup(t, &p, &dir);
		assert_non_null(f[i]);
	}
	/* Touch the oldest so the second becomes the least recently seen. */
	p = tcp("10.3.0.2", 25, "10.3.0.1", 2000, MX_TCP_SYN | MX_TCP_ACK, 4 * MX_USEC);
	assert_ptr_equal(flow_lookup(t, &p, &dir), f[0]);
	id1 = f[1]->flow_id;
	p = tcp("10.3.0.1", 2003, "10.3.0.2", 25, MX_TCP_SYN, 5 * MX_USEC);
	f[3] = flow_lookup(t, &p, &dir);
	assert_non_null(f[3]);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.id[0], id1);
	assert_int_equal(e.why[0], FLOW_END_EVICTED);
	assert_int_equal(c->evicted, 1);
	assert_int_equal(c->memcap, 1);
	assert_int_equal(c->active, 3);
	assert_true(c->memuse <= cfg.memcap);

	/* The next eviction takes the third flow, then the first. */
	p = tcp("10.3.0.1", 2004, "10.3.0.2", 25, MX_TCP_SYN, 6 * MX_USEC);
	assert_non_null(flow_lookup(t, &p, &dir));
	assert_int_equal(e.n, 2);
	assert_int_equal(e.why[1], FLOW_END_EVICTED);
	flow_table_free(t);
	assert_int_equal(e.n, 5);

	/* A memcap below one flow: nothing to evict, NULL and counted. */
	cfg.memcap = sizeof(struct flow) - 1;
	t = table(&e, &cfg);
	p = tcp("10.3.0.1", 2000, "10.3.0.2", 25, MX_TCP_SYN, 1);
	assert_null(flow_lookup(t, &p, &dir));
	assert_null(flow_lookup(t, &p, &dir));
	assert_int_equal(flow_table_counters(t)->memcap, 2);
	assert_int_equal(flow_table_counters(t)->total, 0);
	flow_table_free(t);
	assert_int_equal(e.n, 0);
}

static void test_flush_once(void **state)
{
	struct ends e;
	struct flow_table *t = table(&e, NULL);
	struct mx_packet p;
	int dir;

	(void)state;
	for (int i = 0; i < 20; i++) {
		p = tcp("10.4.0.1", (uint16_t)(3000 + i), "10.4.0.2", 25, MX_TCP_SYN,
			(uint64_t)(20 - i));
		assert_non_null(flow_lookup(t, &p, &dir));
	}
	flow_table_flush(t);
	assert_int_equal(e.n, 20); /* on_end asserts that no flow came twice */
	for (int i = 0; i < 20; i++)
		assert_int_equal(e.why[i], FLOW_END_SHUTDOWN);
	assert_int_equal(flow_table_counters(t)->shutdown, 20);
	assert_int_equal(flow_table_counters(t)->active, 0);
	flow_table_flush(t);
	flow_table_timeout(t, 1000 * MX_USEC * MX_USEC);
	flow_table_free(t);
	assert_int_equal(e.n, 20);
	flow_table_free(NULL);
}

static void collect_ids(uint64_t *ids, int n)
{
	struct flow_config cfg;
	struct flow_table *t;
	struct mx_packet p;
	int dir;

	flow_config_defaults(&cfg);
	t = flow_table_new(&cfg, NULL, NULL); /* no end callback: allowed */
	assert_non_null(t);

	for (int i = 0; i < n; i++) {
		p = tcp("10.5.0.1", (uint16_t)(1024 + i), "10.5.0.2", 25, MX_TCP_SYN, 1);
		ids[i] = flow_lookup(t, &p, &dir)->flow_id;
	}
	flow_table_free(t);
}

static void test_flow_ids(void **state)
{
	enum { N = 2000 };
	static uint64_t a[N], b[N];

	(void)state;
	collect_ids(a, N);
	collect_ids(b, N);
	for (int i = 0; i < N; i++) {
		assert_int_not_equal(a[i], 0);
		assert_true(a[i] < (1ULL << 53));
		assert_int_equal(a[i], b[i]); /* deterministic for the same input */
		for (int j = 0; j < i; j++)
			assert_int_not_equal(a[i], a[j]);
	}
}

static void test_many_flows(void **state)
{
	struct ends e;
	struct flow_config cfg;
	struct flow_table *t;
	struct mx_packet p;
	int dir;

	(void)state;
	flow_config_defaults(&cfg);
	cfg.hash_size = 3; /* rounded up to 4: long chains */
	t = table(&e, &cfg);
	for (int i = 0; i < 50; i++) {
		p = tcp("10.6.0.1", (uint16_t)(5000 + i), "10.6.0.2", 25, MX_TCP_SYN, 1);
		assert_non_null(flow_lookup(t, &p, &dir));
	}
	for (int i = 0; i < 50; i++) {
		struct flow *f;

		p = tcp("10.6.0.2", 25, "10.6.0.1", (uint16_t)(5000 + i), MX_TCP_SYN | MX_TCP_ACK,
			2);
		f = flow_lookup(t, &p, &dir);
		assert_int_equal(dir, FLOW_TOCLIENT);
		assert_int_equal(f->cport, 5000 + i);
	}
	assert_int_equal(flow_table_counters(t)->total, 50);
	/* Remove from the middle of chains. */
	flow_table_timeout(t, 3 + 30 * MX_USEC);
	assert_int_equal(e.n, 50);
	assert_int_equal(flow_table_counters(t)->active, 0);
	flow_table_free(t);
}

static void test_ipv6(void **state)
{
	struct ends e;
	struct flow_table *t = table(&e, NULL);
	struct mx_packet p;
	struct flow *f;
	int dir;

	(void)state;
	p = tcp("2001:db8::1", 40000, "2001:db8::25", 25, MX_TCP_SYN, 1);
	p.ip_version = 6;
	f = flow_lookup(t, &p, &dir);
	p = tcp("2001:db8::25", 25, "2001:db8::1", 40000, MX_TCP_SYN | MX_TCP_ACK, 2);
	p.ip_version = 6;
	assert_ptr_equal(flow_lookup(t, &p, &dir), f);
	assert_int_equal(dir, FLOW_TOCLIENT);
	flow_table_free(t);
}

static size_t outside_bytes(void *ctx)
{
	return *(const size_t *)ctx;
}

/*
 * One memcap for all per-flow state: the bytes a state source reports
 * beside the flow structs make new flows evict old ones sooner, and a
 * packet of a known flow sheds other flows, oldest first, never itself.
 */
static void test_state_budget(void **state)
{
	struct ends e;
	struct flow_config cfg;
	struct flow_table *t;
	struct mx_packet p;
	struct flow *f, *last = NULL;
	size_t outside = 0;
	int dir;

	(void)state;
	flow_config_defaults(&cfg);
	cfg.memcap = 10 * sizeof(struct flow);
	t = table(&e, &cfg);
	flow_table_set_state_source(t, outside_bytes, &outside);
	for (int i = 0; i < 10; i++) {
		p = tcp("10.7.0.1", (uint16_t)(6000 + i), "10.7.0.2", 25, MX_TCP_SYN, 1 + i);
		last = flow_lookup(t, &p, &dir);
		assert_non_null(last);
	}
	assert_int_equal(e.n, 0);
	assert_int_equal(flow_table_counters(t)->state_memuse, 9 * sizeof(struct flow));
	/* Sessions and buffers of the flows grow by four flows' worth: the
	   next packet of the newest flow sheds the four oldest, not itself. */
	outside = 4 * sizeof(struct flow);
	p = tcp("10.7.0.1", 6009, "10.7.0.2", 25, MX_TCP_ACK, 20);
	f = flow_lookup(t, &p, &dir);
	assert_ptr_equal(f, last);
	assert_int_equal(e.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(e.why[i], FLOW_END_EVICTED);
	assert_int_equal(flow_table_counters(t)->evicted_state, 4);
	assert_int_equal(flow_table_counters(t)->active, 6);
	/* A new flow makes room for itself under the same sum. */
	p = tcp("10.7.0.3", 7000, "10.7.0.2", 25, MX_TCP_SYN, 21);
	assert_non_null(flow_lookup(t, &p, &dir));
	assert_int_equal(e.n, 5);
	assert_int_equal(flow_table_counters(t)->active, 6);
	/* The peak gauge saw the overshoot of one packet, before the shedding. */
	assert_int_equal(flow_table_counters(t)->state_peak, 14 * sizeof(struct flow));
	/* Outside state alone over the memcap: everything else goes, the
	   flow being worked on stays. */
	outside = cfg.memcap;
	p = tcp("10.7.0.3", 7000, "10.7.0.2", 25, MX_TCP_ACK, 22);
	f = flow_lookup(t, &p, &dir);
	assert_non_null(f);
	assert_int_equal(flow_table_counters(t)->active, 1);
	flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_both_directions),
	    cmocka_unit_test(test_vlan),
	    cmocka_unit_test(test_client_detection),
	    cmocka_unit_test(test_tcp_states),
	    cmocka_unit_test(test_timeouts),
	    cmocka_unit_test(test_timeout_refresh_and_lookup),
	    cmocka_unit_test(test_memcap_eviction),
	    cmocka_unit_test(test_flush_once),
	    cmocka_unit_test(test_flow_ids),
	    cmocka_unit_test(test_many_flows),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_state_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
