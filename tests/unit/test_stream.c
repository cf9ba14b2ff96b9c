/*
 * test_stream.c - unit tests of TCP reassembly. The acceptance test: every
 * order of a 5-segment stream (all 120), with duplicates and with
 * overlapping re-segmentations of the same bytes, yields exactly the same
 * bytes. Then conflicting overlaps (delivered and queued data, first data
 * kept), gaps revealed by ACKs and at detach, sequence wraparound, memcaps,
 * FIN and RST once, mid-stream pickup and the window limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "flow/stream.h"

#define REC_MAX	 16384
#define EVS_MAX	 4096
#define DATA_OPS (MX_TCP_ACK | MX_TCP_PSH)

struct ev {
	int dir;
	enum stream_chunk kind;
	size_t len;
};

struct rec {
	uint8_t data[2][REC_MAX]; /* STREAM_DATA bytes, in order */
	size_t len[2];
	uint64_t gap_bytes[2];
	int gaps[2], fin[2], rst[2];
	int ndiff;
	uint8_t diff[256]; /* STREAM_OVERLAP_DIFF bytes, concatenated */
	size_t diff_len;
	uint8_t kept[256]; /* STREAM_OVERLAP_KEPT bytes, concatenated */
	size_t kept_len;
	struct ev ev[EVS_MAX];
	int nev;
};

struct env {
	struct stream_engine *e;
	struct stream_config cfg;
	struct flow f;
	struct rec r;
	uint32_t cisn, sisn;
};

static void on_data(void *ctx, struct flow *f, int dir, enum stream_chunk kind, const uint8_t *data,
		    size_t len)
{
	struct env *v = ctx;
	struct rec *r = &v->r;

	assert_ptr_equal(f, &v->f);
	assert_true(dir == FLOW_TOSERVER || dir == FLOW_TOCLIENT);
	assert_true(r->nev < EVS_MAX);
	r->ev[r->nev++] = (struct ev){dir, kind, len};
	/* Once a direction reported its FIN no data, gap or FIN comes in it. */
	if (kind == STREAM_DATA || kind == STREAM_GAP || kind == STREAM_FIN)
		assert_int_equal(r->fin[dir], 0);
	/* Nothing at all after a RST. */
	assert_int_equal(r->rst[0] + r->rst[1], 0);
	switch (kind) {
	case STREAM_DATA:
		assert_non_null(data);
		assert_true(len > 0);
		assert_true(r->len[dir] + len <= REC_MAX);
		memcpy(r->data[dir] + r->len[dir], data, len);
		r->len[dir] += len;
		break;
	case STREAM_GAP:
		assert_null(data);
		assert_true(len > 0);
		r->gaps[dir]++;
		r->gap_bytes[dir] += len;
		break;
	case STREAM_OVERLAP_KEPT:
		assert_non_null(data);
		assert_true(len > 0);
		assert_true(r->kept_len + len <= sizeof(r->kept));
		memcpy(r->kept + r->kept_len, data, len);
		r->kept_len += len;
		break;
	case STREAM_OVERLAP_DIFF:
		assert_non_null(data);
		assert_true(len > 0);
		/* Its kept bytes came just before, as long as it. */
		assert_int_equal(r->kept_len, r->diff_len + len);
		assert_true(r->diff_len + len <= sizeof(r->diff));
		memcpy(r->diff + r->diff_len, data, len);
		r->diff_len += len;
		r->ndiff++;
		break;
	case STREAM_FIN:
		r->fin[dir]++;
		break;
	case STREAM_RST:
		r->rst[dir]++;
		break;
	}
}

static struct env *env_new(const struct stream_config *cfg)
{
	struct env *v = calloc(1, sizeof(*v));

	assert_non_null(v);
	if (cfg != NULL)
		v->cfg = *cfg;
	else
		stream_config_defaults(&v->cfg);
	v->e = stream_engine_new(&v->cfg, on_data, v);
	assert_non_null(v->e);
	v->f.proto = IPPROTO_TCP;
	assert_true(stream_attach(v->e, &v->f));
	assert_non_null(v->f.tcp);
	return v;
}

static const struct stream_counters *ctr(const struct env *v)
{
	return stream_engine_counters(v->e);
}

static void env_detach(struct env *v)
{
	stream_detach(v->e, &v->f);
	assert_null(v->f.tcp);
	assert_int_equal(ctr(v)->memuse, 0);
	assert_int_equal(ctr(v)->reassembly_memuse, 0);
	assert_int_equal(ctr(v)->active_sessions, 0);
}

static void env_free(struct env *v)
{
	if (v->f.tcp != NULL)
		env_detach(v);
	stream_engine_free(v->e);
	free(v);
}

static void feed(struct env *v, int dir, uint32_t seq, uint32_t ack, uint8_t flags,
		 const uint8_t *data, uint32_t len)
{
	struct mx_packet p;

	memset(&p, 0, sizeof(p));
	p.proto = IPPROTO_TCP;
	p.seq = seq;
	p.ack = ack;
	p.tcp_flags = flags;
	p.payload = data;
	p.payload_len = len;
	stream_packet(v->e, &v->f, dir, &p);
	assert_true(ctr(v)->memuse + ctr(v)->reassembly_memuse <= v->cfg.memcap);
}

/* Client data at stream offset off from a datagram cut by the snaplen. */
static void cdata_cut(struct env *v, uint32_t off, const uint8_t *data, uint32_t len)
{
	struct mx_packet p;

	memset(&p, 0, sizeof(p));
	p.proto = IPPROTO_TCP;
	p.seq = v->cisn + 1 + off;
	p.ack = v->sisn + 1;
	p.tcp_flags = DATA_OPS;
	p.payload = data;
	p.payload_len = len;
	p.l3_cut = true;
	stream_packet(v->e, &v->f, FLOW_TOSERVER, &p);
}

static void handshake(struct env *v, uint32_t cisn, uint32_t sisn)
{
	v->cisn = cisn;
	v->sisn = sisn;
	feed(v, FLOW_TOSERVER, cisn, 0, MX_TCP_SYN, NULL, 0);
	feed(v, FLOW_TOCLIENT, sisn, cisn + 1, MX_TCP_SYN | MX_TCP_ACK, NULL, 0);
	feed(v, FLOW_TOSERVER, cisn + 1, sisn + 1, MX_TCP_ACK, NULL, 0);
}

/* Client data at stream offset off. */
static void cdata(struct env *v, uint32_t off, const uint8_t *data, uint32_t len)
{
	feed(v, FLOW_TOSERVER, v->cisn + 1 + off, v->sisn + 1, DATA_OPS, data, len);
}

/* ---- the acceptance test ---- */

static const uint8_t msg[] = "EHLO client.example.net\r\nMAIL FROM:<a@example.org>";
#define MSG_LEN 50
_Static_assert(sizeof(msg) - 1 == MSG_LEN, "msg is the 50-byte test stream");

struct piece {
	uint32_t off, len;
};

static const struct piece seg_a[5] = {{0, 7}, {7, 13}, {20, 5}, {25, 11}, {36, 14}};
static const struct piece seg_b[5] = {{0, 10}, {10, 8}, {18, 13}, {31, 11}, {42, 8}};
static const struct piece seg_o[5] = {{0, 12}, {8, 17}, {20, 13}, {30, 14}, {40, 10}};

static void feed_piece(struct env *v, const struct piece *pc)
{
	cdata(v, pc->off, msg + pc->off, pc->len);
}

/* Next lexicographic permutation; false after the last. */
static bool next_perm(int *a, int n)
{
	int i = n - 2, j = n - 1;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	int t = a[i];
	a[i] = a[j];
	a[j] = t;
	for (int l = i + 1, r = n - 1; l < r; l++, r--) {
		t = a[l];
		a[l] = a[r];
		a[r] = t;
	}
	return true;
}

enum variant { V_PLAIN, V_DUP_AFTER, V_DUP_EACH, V_OVERLAPPING, V_RESEGMENTED, V_NVARIANTS };

static void run_order(uint32_t cisn, const int *perm, enum variant var)
{
	struct env *v = env_new(NULL);

	handshake(v, cisn, 0x12345678);
	switch (var) {
	case V_PLAIN:
		for (int i = 0; i < 5; i++)
			feed_piece(v, &seg_a[perm[i]]);
		break;
	case V_DUP_AFTER:
		for (int i = 0; i < 10; i++)
			feed_piece(v, &seg_a[perm[i % 5]]);
		assert_int_equal(ctr(v)->retransmission, 5);
		break;
	case V_DUP_EACH:
		for (int i = 0; i < 5; i++) {
			feed_piece(v, &seg_a[perm[i]]);
			feed_piece(v, &seg_a[perm[i]]);
		}
		assert_int_equal(ctr(v)->retransmission, 5);
		break;
	case V_OVERLAPPING:
		for (int i = 0; i < 5; i++)
			feed_piece(v, &seg_o[perm[i]]);
		assert_true(ctr(v)->overlap >= 1);
		break;
	case V_RESEGMENTED:
		for (int i = 0; i < 10; i++)
			feed_piece(v, ((i % 5) % 2 == 0) == (i < 5) ? &seg_a[perm[i % 5]]
								    : &seg_b[perm[i % 5]]);
		assert_true(ctr(v)->overlap >= 1);
		break;
	default:
		fail();
	}
	assert_int_equal(v->r.len[0], MSG_LEN);
	assert_memory_equal(v->r.data[0], msg, MSG_LEN);
	assert_int_equal(v->r.gaps[0], 0);
	assert_int_equal(v->r.ndiff, 0);
	assert_int_equal(ctr(v)->overlap_diff_data, 0);
	assert_int_equal(ctr(v)->reassembly_gap, 0);
	assert_int_equal(ctr(v)->reassembly_memuse, 0); /* nothing left waiting */
	assert_int_equal(v->r.len[1], 0);
	env_detach(v);
	assert_int_equal(v->r.len[0], MSG_LEN);
	assert_int_equal(v->r.gaps[0], 0);
	env_free(v);
}

static void test_every_order(void **state)
{
	static const uint32_t isns[] = {1000, 0xffffffe0U, 0xfffffffeU, 0xffffffffU};
	int runs = 0;

	(void)state;
	for (size_t k = 0; k < MX_ARRAY_LEN(isns); k++) {
		for (int var = 0; var < V_NVARIANTS; var++) {
			int perm[5] = {0, 1, 2, 3, 4};

			do {
				run_order(isns[k], perm, (enum variant)var);
				runs++;
			} while (next_perm(perm, 5));
		}
	}
	assert_int_equal(runs, 4 * V_NVARIANTS * 120);
}

/* ---- conflicting overlaps ---- */

static void test_overlap_diff_delivered(void **state)
{
	struct env *v = env_new(NULL);
	uint8_t alt[MSG_LEN];

	(void)state;
	handshake(v, 5000, 9000);
	cdata(v, 0, msg, 20);
	memcpy(alt, msg, MSG_LEN);
	memset(alt + 12, 'Q', 3);
	cdata(v, 10, alt + 10, 20); /* repeats [10,20) with 3 bytes changed, adds [20,30) */
	assert_int_equal(v->r.ndiff, 1);
	assert_int_equal(v->r.diff_len, 3);
	assert_memory_equal(v->r.diff, "QQQ", 3);
	assert_memory_equal(v->r.kept, msg + 12, 3); /* and the bytes that stand */
	assert_int_equal(ctr(v)->overlap_diff_data, 1);
	assert_int_equal(v->r.len[0], 30);
	assert_memory_equal(v->r.data[0], msg, 30); /* the first data stands */

	/* An identical retransmission is only counted. */
	cdata(v, 0, msg, 20);
	assert_int_equal(v->r.ndiff, 1);
	assert_int_equal(ctr(v)->retransmission, 1);
	assert_int_equal(ctr(v)->overlap, 2);

	/* A keep-alive probe (one garbage byte before the next expected) is no conflict. */
	feed(v, FLOW_TOSERVER, 5000 + 1 + 29, 9001, MX_TCP_ACK, (const uint8_t *)"", 1);
	assert_int_equal(v->r.ndiff, 1);
	assert_int_equal(ctr(v)->retransmission, 2);

	/* Two separate conflicting bytes: one report spanning them. */
	memcpy(alt, msg, MSG_LEN);
	alt[3] = '#';
	alt[8] = '#';
	cdata(v, 0, alt, 30);
	assert_int_equal(v->r.ndiff, 2);
	assert_int_equal(v->r.diff_len, 3 + 6);
	assert_memory_equal(v->r.diff + 3, alt + 3, 6);
	assert_memory_equal(v->r.kept + 3, msg + 3, 6);
	assert_int_equal(ctr(v)->overlap_diff_data, 2);
	assert_int_equal(v->r.len[0], 30);
	env_free(v);
}

/*
 * A conflict where either copy came from a segment cut by the snaplen is
 * counted apart and not reported (that copy's checksum could not be
 * checked); the first data still stands and reassembly goes on.
 */
static void test_overlap_diff_cut(void **state)
{
	struct env *v = env_new(NULL);
	uint8_t alt[MSG_LEN];

	(void)state;
	handshake(v, 4000, 8000);
	memcpy(alt, msg, MSG_LEN);
	memset(alt + 5, '#', 4);
	cdata(v, 0, msg, 20);
	cdata_cut(v, 0, alt, 12); /* a cut retransmission that differs */
	assert_int_equal(v->r.ndiff, 0);
	assert_int_equal(ctr(v)->overlap_diff_data, 0);
	assert_int_equal(ctr(v)->overlap_diff_cut, 1);
	assert_int_equal(ctr(v)->retransmission, 0);

	/* Cut first data, then a whole copy that differs from it: not reported either. */
	cdata_cut(v, 20, msg + 20, 10);
	memcpy(alt, msg, MSG_LEN);
	alt[24] = '!';
	cdata(v, 20, alt + 20, 15);
	assert_int_equal(v->r.ndiff, 0);
	assert_int_equal(ctr(v)->overlap_diff_cut, 2);
	assert_int_equal(v->r.len[0], 35);
	assert_memory_equal(v->r.data[0], msg, 30);

	/* A whole copy conflicting with whole bytes outside the cut range still is. */
	memcpy(alt, msg, MSG_LEN);
	alt[2] = '?';
	cdata(v, 0, alt, 10);
	assert_int_equal(v->r.ndiff, 1);
	assert_int_equal(v->r.diff[0], '?');
	assert_int_equal(ctr(v)->overlap_diff_data, 1);
	env_free(v);
}

static void test_overlap_diff_ring_edge(void **state)
{
	struct stream_config cfg;
	struct env *v;
	uint8_t alt[MSG_LEN];

	(void)state;
	stream_config_defaults(&cfg);
	cfg.recent_window = 16; /* keeps offsets [14,30) after 30 bytes */
	v = env_new(&cfg);
	handshake(v, 0xfffffff0U, 100); /* the ring straddles the wrap too */
	cdata(v, 0, msg, 12);
	cdata(v, 12, msg + 12, 18);
	memcpy(alt, msg, MSG_LEN);
	alt[12] = '!'; /* older than the ring: cannot be compared */
	alt[16] = '?';
	alt[29] = '?';
	cdata(v, 10, alt + 10, 20);
	assert_int_equal(v->r.ndiff, 1);
	assert_int_equal(v->r.diff_len, 14);
	assert_memory_equal(v->r.diff, alt + 16, 14);
	assert_memory_equal(v->r.kept, msg + 16, 14); /* read across the ring's end */
	/* Entirely older than the ring: counted as a retransmission only. */
	cdata(v, 0, alt + 0, 13);
	assert_int_equal(v->r.ndiff, 1);
	assert_int_equal(ctr(v)->retransmission, 1);
	assert_int_equal(v->r.len[0], 30);
	assert_memory_equal(v->r.data[0], msg, 30);
	env_free(v);

	/* recent_window 0 disables the comparison with delivered data. */
	cfg.recent_window = 0;
	v = env_new(&cfg);
	handshake(v, 1, 2);
	cdata(v, 0, msg, 20);
	cdata(v, 0, alt, 20);
	assert_int_equal(v->r.ndiff, 0);
	assert_int_equal(ctr(v)->retransmission, 1);
	env_free(v);
}

static void test_overlap_diff_queued(void **state)
{
	struct env *v = env_new(NULL);
	struct stream_config cfg;
	uint8_t alt[MSG_LEN];

	(void)state;
	handshake(v, 77, 88);
	cdata(v, 20, msg + 20, 10); /* out of order: queued */
	memcpy(alt, msg, MSG_LEN);
	alt[22] = 'Y';
	alt[23] = 'Y';
	cdata(v, 20, alt + 20, 10);
	assert_int_equal(v->r.ndiff, 1);
	assert_int_equal(v->r.diff_len, 2);
	assert_memory_equal(v->r.diff, "YY", 2);
	assert_memory_equal(v->r.kept, msg + 22, 2); /* the queued copy stands */
	assert_int_equal(v->r.len[0], 0);

	/* An in-order segment running into the queued one: the queued bytes win. */
	memcpy(alt, msg, MSG_LEN);
	alt[21] = 'Z';
	cdata(v, 0, alt, 25);
	assert_int_equal(v->r.ndiff, 2);
	assert_int_equal(v->r.diff[2], 'Z');
	assert_int_equal(v->r.len[0], 30);
	assert_memory_equal(v->r.data[0], msg, 30);
	assert_int_equal(ctr(v)->overlap_diff_data, 2);
	assert_int_equal(ctr(v)->ooo_segments, 1);

	/* A segment spanning two queued pieces and the hole between them. */
	cdata(v, 35, msg + 35, 5);
	cdata(v, 45, msg + 45, 5);
	memcpy(alt, msg, MSG_LEN);
	alt[37] = '1';
	alt[47] = '2';
	cdata(v, 32, alt + 32, 18); /* [32,35) new, [35,40) queued, [40,45) new, [45,50) */
	assert_int_equal(v->r.ndiff, 4);
	assert_int_equal(v->r.len[0], 30);
	cdata(v, 30, msg + 30, 2);
	assert_int_equal(v->r.len[0], MSG_LEN);
	assert_memory_equal(v->r.data[0], msg, MSG_LEN);
	env_free(v);

	/* Queued data is compared before it is delivered, even without a recent window. */
	stream_config_defaults(&cfg);
	cfg.recent_window = 0;
	v = env_new(&cfg);
	handshake(v, 77, 88);
	cdata(v, 20, msg + 20, 5);
	cdata(v, 25, msg + 25, 5);
	memcpy(alt, msg, MSG_LEN);
	alt[21] = 'Z';
	alt[27] = 'Z';
	cdata(v, 0, alt, 35);
	assert_int_equal(v->r.ndiff, 2);
	assert_memory_equal(v->r.diff, "ZZ", 2);
	assert_int_equal(v->r.len[0], 35);
	assert_memory_equal(v->r.data[0], msg, 35);
	env_free(v);
}

/* ---- gaps ---- */

static void test_gap_acked(void **state)
{
	struct env *v = env_new(NULL);
	static const enum stream_chunk want[] = {STREAM_DATA, STREAM_GAP, STREAM_DATA, STREAM_DATA};

	(void)state;
	handshake(v, 1000, 2000);
	cdata(v, 0, msg, 10);
	cdata(v, 20, msg + 20, 10); /* [10,20) never seen */
	assert_int_equal(v->r.len[0], 10);
	/* The server acknowledges up to 25: the hole is lost. */
	feed(v, FLOW_TOCLIENT, 2001, 1000 + 1 + 25, MX_TCP_ACK, NULL, 0);
	assert_int_equal(v->r.gaps[0], 1);
	assert_int_equal(v->r.gap_bytes[0], 10);
	assert_int_equal(v->r.len[0], 20);
	cdata(v, 30, msg + 30, 10);
	assert_int_equal(v->r.len[0], 30);
	assert_memory_equal(v->r.data[0], msg, 10);
	assert_memory_equal(v->r.data[0] + 10, msg + 20, 20);
	assert_int_equal(v->r.nev, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(v->r.ev[i].kind, want[i]);
		assert_int_equal(v->r.ev[i].dir, FLOW_TOSERVER);
		assert_int_equal(v->r.ev[i].len, 10);
	}
	assert_int_equal(ctr(v)->reassembly_gap, 1);
	assert_int_equal(ctr(v)->ack_unseen_data, 1);

	/* The lost segment arriving late changes nothing. */
	cdata(v, 10, msg + 10, 10);
	assert_int_equal(v->r.len[0], 30);
	assert_int_equal(v->r.ndiff, 0);

	/* An ACK of data never sent at all gaps up to it, not beyond. */
	feed(v, FLOW_TOCLIENT, 2001, 1000 + 1 + 45, MX_TCP_ACK, NULL, 0);
	assert_int_equal(v->r.gap_bytes[0], 15);
	cdata(v, 45, msg + 45, 5);
	assert_int_equal(v->r.len[0], 35);
	/* Absurd ACKs (more than 1 GiB ahead) are ignored. */
	feed(v, FLOW_TOCLIENT, 2001, 1000 + 1 + 50 + (1U << 30) + 1, MX_TCP_ACK, NULL, 0);
	assert_int_equal(v->r.gaps[0], 2);
	env_free(v);
}

static void test_gap_at_detach(void **state)
{
	struct env *v = env_new(NULL);
	static const enum stream_chunk want[] = {STREAM_DATA, STREAM_GAP,  STREAM_DATA,
						 STREAM_GAP,  STREAM_DATA, STREAM_FIN};

	(void)state;
	handshake(v, 10, 20);
	cdata(v, 0, msg, 10);
	cdata(v, 40, msg + 40, 10);
	cdata(v, 20, msg + 20, 10);
	feed(v, FLOW_TOSERVER, 10 + 1 + 50, 21, MX_TCP_ACK | MX_TCP_FIN, NULL, 0);
	assert_int_equal(v->r.nev, 1);
	env_detach(v);
	assert_int_equal(v->r.nev, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(v->r.ev[i].kind, want[i]);
	assert_int_equal(v->r.gap_bytes[0], 20);
	assert_int_equal(v->r.len[0], 30);
	env_free(v);

	/* A FIN beyond missing data: a gap up to it, then the FIN. */
	v = env_new(NULL);
	handshake(v, 10, 20);
	cdata(v, 0, msg, 10);
	feed(v, FLOW_TOSERVER, 10 + 1 + 30, 21, MX_TCP_ACK | MX_TCP_FIN, NULL, 0);
	assert_int_equal(v->r.fin[0], 0);
	env_detach(v);
	assert_int_equal(v->r.gap_bytes[0], 20);
	assert_int_equal(v->r.fin[0], 1);
	assert_int_equal(v->r.ev[v->r.nev - 1].kind, STREAM_FIN);
	env_free(v);
}

static void test_wraparound(void **state)
{
	struct env *v = env_new(NULL);
	uint8_t alt[MSG_LEN];

	(void)state;
	/* Offsets 0..49 at sequence numbers 0xffffffec..0x1d: offset 20 is at 0. */
	handshake(v, 0xffffffebU, 0x7ffffff0U);
	cdata(v, 40, msg + 40, 10);
	cdata(v, 15, msg + 15, 10); /* straddles 2^32 */
	cdata(v, 30, msg + 30, 10);
	assert_int_equal(v->r.len[0], 0);
	cdata(v, 0, msg, 15);
	assert_int_equal(v->r.len[0], 25);
	memcpy(alt, msg, MSG_LEN);
	alt[18] = '<';
	alt[20] = '>';
	cdata(v, 16, alt + 16, 6); /* conflicting bytes on both sides of 2^32 */
	assert_int_equal(v->r.ndiff, 1);
	assert_int_equal(v->r.diff_len, 3);
	assert_memory_equal(v->r.diff, alt + 18, 3);
	/* The peer ACKs past the hole [25,30); the server's data crosses 2^31. */
	feed(v, FLOW_TOCLIENT, 0x7ffffff1U, 0xffffffebU + 1 + 30, MX_TCP_ACK, msg, 20);
	assert_int_equal(v->r.gap_bytes[0], 5);
	assert_int_equal(v->r.len[0], 45);
	assert_int_equal(v->r.len[1], 20);
	assert_memory_equal(v->r.data[0], msg, 25);
	assert_memory_equal(v->r.data[0] + 25, msg + 30, 20);
	env_free(v);
}

/* ---- caps ---- */

static void test_memcap(void **state)
{
	struct stream_config cfg;
	struct env *v;
	static uint8_t big[4200];
	uint64_t total;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	stream_config_defaults(&cfg);
	cfg.memcap = 2048;
	cfg.recent_window = 0;
	v = env_new(&cfg);
	handshake(v, 1, 2);
	for (uint32_t off = 100; off < 4100; off += 100)
		feed(v, FLOW_TOSERVER, 2 + off, 3, DATA_OPS, big + off, 100);
	assert_true(ctr(v)->memcap_drop >= 1);
	assert_true(v->r.gaps[0] >= 1);
	assert_int_equal(v->r.gap_bytes[0], 100);
	env_detach(v);
	total = v->r.len[0] + v->r.gap_bytes[0];
	assert_int_equal(total, 4100);
	assert_memory_equal(v->r.data[0], big + 100, 4000);
	env_free(v);

	/* Per-stream cap. */
	stream_config_defaults(&cfg);
	cfg.stream_memcap = 250;
	v = env_new(&cfg);
	handshake(v, 1, 2);
	feed(v, FLOW_TOSERVER, 2 + 100, 3, DATA_OPS, big + 100, 100);
	feed(v, FLOW_TOSERVER, 2 + 300, 3, DATA_OPS, big + 300, 100);
	assert_int_equal(ctr(v)->stream_memcap_drop, 0);
	feed(v, FLOW_TOSERVER, 2 + 500, 3, DATA_OPS, big + 500, 100);
	assert_int_equal(ctr(v)->stream_memcap_drop, 1);
	/* Room was made by giving up the first hole only. */
	assert_int_equal(v->r.gap_bytes[0], 100);
	assert_int_equal(v->r.len[0], 100);
	feed(v, FLOW_TOSERVER, 2 + 200, 3, DATA_OPS, big + 200, 100);
	feed(v, FLOW_TOSERVER, 2 + 400, 3, DATA_OPS, big + 400, 100);
	assert_int_equal(v->r.len[0], 500);
	assert_memory_equal(v->r.data[0], big + 100, 500);
	env_free(v);

	/* Segment count cap. */
	stream_config_defaults(&cfg);
	cfg.max_segments = 2;
	v = env_new(&cfg);
	handshake(v, 1, 2);
	feed(v, FLOW_TOSERVER, 2 + 10, 3, DATA_OPS, big + 10, 10);
	feed(v, FLOW_TOSERVER, 2 + 30, 3, DATA_OPS, big + 30, 10);
	feed(v, FLOW_TOSERVER, 2 + 50, 3, DATA_OPS, big + 50, 10);
	assert_int_equal(ctr(v)->segments_max_drop, 1);
	assert_int_equal(v->r.gaps[0], 1);
	assert_int_equal(v->r.len[0], 10);
	env_free(v);

	/* No room even for the session. */
	stream_config_defaults(&cfg);
	cfg.memcap = 8;
	v = calloc(1, sizeof(*v));
	assert_non_null(v);
	v->cfg = cfg;
	v->e = stream_engine_new(&cfg, on_data, v);
	assert_false(stream_attach(v->e, &v->f));
	assert_null(v->f.tcp);
	assert_int_equal(ctr(v)->ssn_memcap_drop, 1);
	assert_int_equal(ctr(v)->sessions, 0);
	feed(v, FLOW_TOSERVER, 1, 0, MX_TCP_SYN, NULL, 0); /* ignored without a session */
	env_free(v);
}

/* ---- FIN and RST ---- */

static void test_fin_once(void **state)
{
	struct env *v = env_new(NULL);

	(void)state;
	handshake(v, 100, 200);
	/* The FIN arrives before the data preceding it. */
	feed(v, FLOW_TOSERVER, 101 + 10, 201, DATA_OPS | MX_TCP_FIN, msg + 10, 10);
	assert_int_equal(v->r.fin[0], 0);
	cdata(v, 0, msg, 10);
	assert_int_equal(v->r.len[0], 20);
	assert_int_equal(v->r.fin[0], 1);
	assert_int_equal(v->r.ev[v->r.nev - 1].kind, STREAM_FIN);
	/* Retransmitted FIN, data after the FIN: nothing more. */
	feed(v, FLOW_TOSERVER, 101 + 10, 201, DATA_OPS | MX_TCP_FIN, msg + 10, 10);
	cdata(v, 20, msg + 20, 10);
	assert_int_equal(v->r.fin[0], 1);
	assert_int_equal(v->r.len[0], 20);
	assert_int_equal(ctr(v)->data_after_fin, 1);
	/* The server closes too; its FIN is reported in its direction. */
	feed(v, FLOW_TOCLIENT, 201, 101 + 21, MX_TCP_ACK | MX_TCP_FIN, NULL, 0);
	assert_int_equal(v->r.fin[1], 1);
	assert_int_equal(ctr(v)->fin, 3);
	env_detach(v);
	assert_int_equal(v->r.fin[0], 1);
	assert_int_equal(v->r.fin[1], 1);
	assert_int_equal(v->r.gaps[0] + v->r.gaps[1], 0);
	env_free(v);

	/* A FIN behind data already delivered is ignored. */
	v = env_new(NULL);
	handshake(v, 100, 200);
	cdata(v, 0, msg, 20);
	feed(v, FLOW_TOSERVER, 101 + 5, 201, MX_TCP_ACK | MX_TCP_FIN, NULL, 0);
	cdata(v, 20, msg + 20, 10);
	assert_int_equal(v->r.len[0], 30);
	assert_int_equal(v->r.fin[0], 0);
	/* Queued data beyond a FIN is dropped when the FIN arrives. */
	cdata(v, 40, msg + 40, 10);
	feed(v, FLOW_TOSERVER, 101 + 35, 201, MX_TCP_ACK | MX_TCP_FIN, NULL, 0);
	assert_int_equal(ctr(v)->reassembly_memuse, 0);
	cdata(v, 30, msg + 30, 10);
	assert_int_equal(v->r.len[0], 35);
	assert_int_equal(v->r.fin[0], 1);
	env_free(v);
}

static void test_rst_once(void **state)
{
	struct env *v = env_new(NULL);

	(void)state;
	handshake(v, 100, 200);
	cdata(v, 0, msg, 10);
	cdata(v, 20, msg + 20, 10);
	/* Far outside the window: ignored. */
	feed(v, FLOW_TOCLIENT, 201 + (100U << 20), 0, MX_TCP_RST, NULL, 0);
	assert_int_equal(v->r.rst[0] + v->r.rst[1], 0);
	assert_int_equal(ctr(v)->rst_invalid, 1);
	feed(v, FLOW_TOCLIENT, 201, 111, MX_TCP_RST | MX_TCP_ACK, NULL, 0);
	assert_int_equal(v->r.rst[1], 1);
	feed(v, FLOW_TOCLIENT, 201, 111, MX_TCP_RST | MX_TCP_ACK, NULL, 0);
	feed(v, FLOW_TOSERVER, 111, 201, MX_TCP_RST, NULL, 0);
	cdata(v, 10, msg + 10, 10);
	assert_int_equal(v->r.rst[0] + v->r.rst[1], 1);
	assert_int_equal(v->r.len[0], 10);
	assert_int_equal(ctr(v)->rst, 4);
	env_detach(v);
	assert_int_equal(v->r.gaps[0], 0); /* nothing flushed after a reset */
	assert_int_equal(v->r.len[0], 10);
	env_free(v);

	/* A RST answering a SYN (the server side never started) is accepted. */
	v = env_new(NULL);
	feed(v, FLOW_TOSERVER, 5, 0, MX_TCP_SYN, NULL, 0);
	feed(v, FLOW_TOCLIENT, 0, 6, MX_TCP_RST | MX_TCP_ACK, NULL, 0);
	assert_int_equal(v->r.rst[1], 1);
	env_free(v);
}

/* ---- pickup and limits ---- */

static void test_midstream(void **state)
{
	struct env *v = env_new(NULL);
	static const uint8_t reply[] = "250 2.1.0 Ok\r\n";

	(void)state;
	feed(v, FLOW_TOSERVER, 5000, 9000, DATA_OPS, msg + 25, 25);
	feed(v, FLOW_TOCLIENT, 9000, 5025, DATA_OPS, reply, sizeof(reply) - 1);
	assert_int_equal(v->r.len[0], 25);
	assert_memory_equal(v->r.data[0], msg + 25, 25);
	assert_int_equal(v->r.len[1], sizeof(reply) - 1);
	assert_int_equal(ctr(v)->midstream, 1);
	assert_int_equal(ctr(v)->syn, 0);
	env_free(v);

	/* A direction starts at its first data: earlier bytes are before its start. */
	v = env_new(NULL);
	feed(v, FLOW_TOCLIENT, 9010, 0, DATA_OPS, msg + 10, 10);
	feed(v, FLOW_TOCLIENT, 9000, 0, DATA_OPS, msg, 10);
	assert_int_equal(v->r.len[1], 10);
	assert_memory_equal(v->r.data[1], msg + 10, 10);
	assert_int_equal(ctr(v)->wrong_seq_before_isn, 1);
	env_free(v);

	/* ...unless the peer already acknowledged up to an earlier point. */
	v = env_new(NULL);
	feed(v, FLOW_TOSERVER, 7000, 9000, MX_TCP_ACK, NULL, 0);
	feed(v, FLOW_TOCLIENT, 9010, 7000, DATA_OPS, msg + 10, 10);
	assert_int_equal(v->r.len[1], 0);
	feed(v, FLOW_TOCLIENT, 9000, 7000, DATA_OPS, msg, 10);
	assert_int_equal(v->r.len[1], 20);
	assert_memory_equal(v->r.data[1], msg, 20);
	assert_int_equal(ctr(v)->midstream, 1);
	env_free(v);
}

static void test_window_limits(void **state)
{
	struct env *v = env_new(NULL);

	(void)state;
	handshake(v, 1, 2);
	cdata(v, (1U << 30) + 5, msg, 10);
	assert_int_equal(ctr(v)->out_of_window, 1);
	assert_int_equal(ctr(v)->reassembly_memuse, 0);
	cdata(v, (1U << 30) - 100, msg, 10); /* far, but inside the window: queued */
	assert_int_equal(ctr(v)->out_of_window, 1);
	assert_int_equal(ctr(v)->ooo_segments, 1);
	/* Data before the ISN. */
	feed(v, FLOW_TOSERVER, 1 - 5, 3, DATA_OPS, msg, 10);
	assert_int_equal(ctr(v)->wrong_seq_before_isn, 1);
	assert_int_equal(v->r.len[0], 4); /* the bytes from the ISN + 1 on are new */
	assert_memory_equal(v->r.data[0], msg + 6, 4);
	env_free(v);
}

static void test_syn_data(void **state)
{
	struct env *v = env_new(NULL);

	(void)state;
	feed(v, FLOW_TOSERVER, 500, 0, MX_TCP_SYN, msg, 5);
	assert_int_equal(v->r.len[0], 5);
	feed(v, FLOW_TOCLIENT, 900, 506, MX_TCP_SYN | MX_TCP_ACK, NULL, 0);
	feed(v, FLOW_TOSERVER, 506, 901, DATA_OPS, msg + 5, 10);
	/* A retransmitted SYN with its data: a retransmission, nothing new. */
	feed(v, FLOW_TOSERVER, 500, 0, MX_TCP_SYN, msg, 5);
	assert_int_equal(v->r.len[0], 15);
	assert_memory_equal(v->r.data[0], msg, 15);
	assert_int_equal(ctr(v)->syn, 2);
	assert_int_equal(ctr(v)->synack, 1);
	assert_int_equal(ctr(v)->retransmission, 1);
	assert_int_equal(ctr(v)->midstream, 0);
	assert_int_equal(ctr(v)->sessions, 1);
	env_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_order),
	    cmocka_unit_test(test_overlap_diff_delivered),
	    cmocka_unit_test(test_overlap_diff_cut),
	    cmocka_unit_test(test_overlap_diff_ring_edge),
	    cmocka_unit_test(test_overlap_diff_queued),
	    cmocka_unit_test(test_gap_acked),
	    cmocka_unit_test(test_gap_at_detach),
	    cmocka_unit_test(test_wraparound),
	    cmocka_unit_test(test_memcap),
	    cmocka_unit_test(test_fin_once),
	    cmocka_unit_test(test_rst_once),
	    cmocka_unit_test(test_midstream),
	    cmocka_unit_test(test_window_limits),
	    cmocka_unit_test(test_syn_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
