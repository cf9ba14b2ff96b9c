/*
 * test_workers.c - unit tests of live capture on several threads: the
 * dispatch hash puts both directions of a conversation on one worker
 * whatever the link layer, VLAN tags, IP version or fragmentation; the
 * frame ring keeps order across wrap-around and drops (and counts) what
 * does not fit, also with a producer and a consumer thread; and a worker
 * pool fed a synthetic capture (DNS answers from a trusted resolver that
 * make a DANE expectation, a fragmented one among them, then SMTP
 * sessions over IPv4, IPv6 and VLANs) writes the same records as one
 * pipeline fed the same frames. DNS frames are told apart at dispatch,
 * and a worker does not run a frame while another worker still holds an
 * older DNS frame: sessions on one worker wait for the answers a slower
 * worker has not reached yet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/dlt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "correlate/correlate.h"
#include "run/dispatch.h"
#include "output/eve.h"
#include "run/order.h"
#include "run/pipeline.h"
#include "run/ring.h"
#include "run/worker.h"

#define TS0	  1790000000000000ULL
#define FRAME_MAX 1600

/* ---- frame building ------------------------------------------------------ */

struct frame {
	int dlt;
	uint64_t ts_us;
	uint32_t len;
	uint8_t b[FRAME_MAX];
};

static void w16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void w32(uint8_t *b, uint32_t v)
{
	w16(b, (uint16_t)(v >> 16));
	w16(b + 2, (uint16_t)v);
}

/* An address: 4 or 16 bytes. */
struct ip {
	int v;
	uint8_t a[16];
};

static struct ip ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ip r = {4, {a, b, c, d}};

	return r;
}

static struct ip ip6(uint16_t last)
{
	struct ip r = {6, {0x20, 0x01, 0x0d, 0xb8}};

	w16(r.a + 14, last);
	return r;
}

/* Ethernet with ntags tags (802.1ad outer when two), then ethertype. */
static uint32_t eth_hdr(uint8_t *o, const uint16_t *vids, unsigned ntags, uint16_t type)
{
	uint32_t n = 12;

	memset(o, 0, 12);
	o[0] = 0x02;
	o[6] = 0x02;
	o[11] = 1;
	for (unsigned i = 0; i < ntags; i++) {
		w16(o + n, ntags == 2 && i == 0 ? 0x88a8 : 0x8100);
		w16(o + n + 2, vids[i]);
		n += 4;
	}
	w16(o + n, type);
	return n + 2;
}

/* An IP header for len bytes of payload; frag: IPv4 flags+offset field. */
static uint32_t ip_hdr(uint8_t *o, const struct ip *src, const struct ip *dst, uint8_t proto,
		       uint32_t len, uint16_t id, uint16_t frag)
{
	if (src->v == 4) {
		memset(o, 0, 20);
		o[0] = 0x45;
		w16(o + 2, (uint16_t)(20 + len));
		w16(o + 4, id);
		w16(o + 6, frag);
		o[8] = 64;
		o[9] = proto;
		memcpy(o + 12, src->a, 4);
		memcpy(o + 16, dst->a, 4);
		return 20;
	}
	memset(o, 0, 40);
	o[0] = 0x60;
	w16(o + 4, (uint16_t)len);
	o[6] = proto;
	o[7] = 64;
	memcpy(o + 8, src->a, 16);
	memcpy(o + 24, dst->a, 16);
	return 40;
}

/* A growing list of frames, with packet time advancing 100 us a frame. */
struct stream {
	struct frame *f;
	size_t n, cap;
	uint64_t ts;
};

static struct frame *stream_add(struct stream *s, int dlt)
{
	struct frame *f;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->f = realloc(s->f, s->cap * sizeof(*s->f));
		assert_non_null(s->f);
	}
	f = &s->f[s->n++];
	memset(f, 0, sizeof(*f));
	f->dlt = dlt;
	s->ts += 100;
	f->ts_us = TS0 + s->ts;
	return f;
}

/* An Ethernet frame carrying one IP datagram (proto, l4 bytes). */
static void add_ip(struct stream *s, const uint16_t *vids, unsigned ntags, const struct ip *src,
		   const struct ip *dst, uint8_t proto, const uint8_t *l4, uint32_t l4len)
{
	struct frame *f = stream_add(s, DLT_EN10MB);
	uint32_t n = eth_hdr(f->b, vids, ntags, src->v == 4 ? 0x0800 : 0x86dd);

	n += ip_hdr(f->b + n, src, dst, proto, l4len, 1, 0);
	assert_true(n + l4len <= FRAME_MAX);
	memcpy(f->b + n, l4, l4len);
	f->len = n + l4len;
}

/* One TCP connection followed through its sequence numbers. */
struct conn {
	struct ip c, s;
	uint16_t cport, sport;
	uint16_t vids[2];
	unsigned ntags;
	uint32_t seq[2]; /* next sequence number of client (0) and server (1) */
};

static void tcp_seg(struct stream *st, struct conn *cn, int dir, uint8_t flags, const char *data)
{
	uint8_t seg[FRAME_MAX];
	uint32_t dlen = data != NULL ? (uint32_t)strlen(data) : 0;

	memset(seg, 0, 20);
	w16(seg, dir == 0 ? cn->cport : cn->sport);
	w16(seg + 2, dir == 0 ? cn->sport : cn->cport);
	w32(seg + 4, cn->seq[dir]);
	w32(seg + 8, (flags & 0x10) ? cn->seq[!dir] : 0);
	seg[12] = 5 << 4;
	seg[13] = flags;
	w16(seg + 14, 65535);
	if (dlen > 0)
		memcpy(seg + 20, data, dlen);
	add_ip(st, cn->vids, cn->ntags, dir == 0 ? &cn->c : &cn->s, dir == 0 ? &cn->s : &cn->c, 6,
	       seg, 20 + dlen);
	cn->seq[dir] += dlen + ((flags & 0x03) ? 1 : 0); /* SYN and FIN take one */
}

enum ehlo_kind { EHLO_STARTTLS, EHLO_NONE, EHLO_MASKED };

/* A whole SMTP session: handshake, one mail in cleartext, FIN both ways. */
static void smtp_session(struct stream *st, struct conn *cn, enum ehlo_kind k,
			 const char *rcpt_domain)
{
	char rcpt[128];

	static const char *const ehlo[] = {
	    "250-mx1.example.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
	    "250-mx1.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
	    "250-mx1.example.test\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n",
	};

	tcp_seg(st, cn, 0, 0x02, NULL);
	tcp_seg(st, cn, 1, 0x12, NULL);
	tcp_seg(st, cn, 0, 0x10, NULL);
	tcp_seg(st, cn, 1, 0x18, "220 mx1.example.test ESMTP\r\n");
	tcp_seg(st, cn, 0, 0x18, "EHLO client.example.org\r\n");
	tcp_seg(st, cn, 1, 0x18, ehlo[k]);
	tcp_seg(st, cn, 0, 0x18, "MAIL FROM:<a@example.org>\r\n");
	tcp_seg(st, cn, 1, 0x18, "250 2.1.0 ok\r\n");
	snprintf(rcpt, sizeof(rcpt), "RCPT TO:<b@%s>\r\n", rcpt_domain);
	tcp_seg(st, cn, 0, 0x18, rcpt);
	tcp_seg(st, cn, 1, 0x18, "250 2.1.5 ok\r\n");
	tcp_seg(st, cn, 0, 0x18, "QUIT\r\n");
	tcp_seg(st, cn, 1, 0x18, "221 2.0.0 bye\r\n");
	tcp_seg(st, cn, 1, 0x11, NULL);
	tcp_seg(st, cn, 0, 0x11, NULL);
	tcp_seg(st, cn, 1, 0x10, NULL);
}

/* ---- DNS answers --------------------------------------------------------- */

static uint32_t dns_name(uint8_t *o, const char *name)
{
	uint32_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);

		o[n++] = (uint8_t)l;
		memcpy(o + n, name, l);
		n += (uint32_t)l;
		name += l + (dot != NULL);
	}
	o[n++] = 0;
	return n;
}

/* A response with AD set holding one answer record (owner: the question). */
static uint32_t dns_response(uint8_t *o, uint16_t id, const char *qname, uint16_t qtype,
			     const uint8_t *rdata, uint16_t rdlen)
{
	uint32_t n = 12;

	w16(o, id);
	w16(o + 2, 0x81a0); /* QR RD RA AD */
	w16(o + 4, 1);
	w16(o + 6, 1);
	w16(o + 8, 0);
	w16(o + 10, 0);
	n += dns_name(o + n, qname);
	w16(o + n, qtype);
	w16(o + n + 2, 1);
	n += 4;
	w16(o + n, 0xc00c);
	w16(o + n + 2, qtype);
	w16(o + n + 4, 1);
	w32(o + n + 6, 3600);
	w16(o + n + 10, rdlen);
	memcpy(o + n + 12, rdata, rdlen);
	return n + 12 + rdlen;
}

/* A UDP datagram from port 53, as one frame or as two IPv4 fragments. */
static void add_udp53(struct stream *st, const uint16_t *vids, unsigned ntags, const struct ip *srv,
		      const struct ip *cli, uint16_t cport, const uint8_t *dns, uint32_t dlen,
		      bool fragment)
{
	uint8_t udp[FRAME_MAX];
	const uint32_t first = 48; /* bytes of the first fragment's payload: a multiple of 8 */
	struct frame *f;
	uint32_t n;

	w16(udp, 53);
	w16(udp + 2, cport);
	w16(udp + 4, (uint16_t)(8 + dlen));
	w16(udp + 6, 0);
	memcpy(udp + 8, dns, dlen);
	if (!fragment) {
		add_ip(st, vids, ntags, srv, cli, 17, udp, 8 + dlen);
		return;
	}
	assert_true(srv->v == 4 && 8 + dlen > first);
	f = stream_add(st, DLT_EN10MB);
	n = eth_hdr(f->b, vids, ntags, 0x0800);
	n += ip_hdr(f->b + n, srv, cli, 17, first, 77, 0x2000); /* MF */
	memcpy(f->b + n, udp, first);
	f->len = n + first;
	f = stream_add(st, DLT_EN10MB);
	n = eth_hdr(f->b, vids, ntags, 0x0800);
	n += ip_hdr(f->b + n, srv, cli, 17, 8 + dlen - first, 77, first / 8);
	memcpy(f->b + n, udp + first, 8 + dlen - first);
	f->len = n + 8 + dlen - first;
}

static const struct ip *resolver(void)
{
	static struct ip r;

	r = ip4(192, 0, 2, 53);
	return &r;
}

/* ---- the dispatch hash --------------------------------------------------- */

/* Both directions of an IPv4 TCP packet as frames of every link type. */
static void frames_v4(int dir, uint8_t out[8][128], uint32_t len[8], int dlt[8])
{
	struct ip a = ip4(192, 0, 2, 10), b = ip4(198, 51, 100, 25);
	const struct ip *src = dir == 0 ? &a : &b, *dst = dir == 0 ? &b : &a;
	uint16_t vids[2] = {100, 200};
	uint8_t ip[40];
	uint32_t iplen = ip_hdr(ip, src, dst, 6, 20, 5, 0);
	uint32_t n;

	memset(ip + iplen, 0, 20);
	iplen += 20;
	/* Ethernet, 802.1Q, QinQ */
	for (unsigned t = 0; t < 3; t++) {
		n = eth_hdr(out[t], vids, t, 0x0800);
		memcpy(out[t] + n, ip, iplen);
		len[t] = n + iplen;
		dlt[t] = DLT_EN10MB;
	}
	/* Linux SLL: protocol at 14 */
	memset(out[3], 0, 16);
	w16(out[3] + 14, 0x0800);
	memcpy(out[3] + 16, ip, iplen);
	len[3] = 16 + iplen;
	dlt[3] = DLT_LINUX_SLL;
	/* Linux SLL2: protocol first */
	memset(out[4], 0, 20);
	w16(out[4], 0x0800);
	memcpy(out[4] + 20, ip, iplen);
	len[4] = 20 + iplen;
	dlt[4] = DLT_LINUX_SLL2;
	/* raw */
	memcpy(out[5], ip, iplen);
	len[5] = iplen;
	dlt[5] = DLT_RAW;
	/* BSD loopback, host byte order AF_INET */
	memset(out[6], 0, 4);
	out[6][0] = 2;
	memcpy(out[6] + 4, ip, iplen);
	len[6] = 4 + iplen;
	dlt[6] = DLT_NULL;
	/* PPPoE session over Ethernet */
	n = eth_hdr(out[7], NULL, 0, 0x8864);
	memset(out[7] + n, 0, 6);
	out[7][n] = 0x11;
	w16(out[7] + n + 6, 0x0021);
	memcpy(out[7] + n + 8, ip, iplen);
	len[7] = n + 8 + iplen;
	dlt[7] = DLT_EN10MB;
}

static void test_hash_both_directions_every_link(void **state)
{
	uint8_t f[2][8][128];
	uint32_t len[2][8];
	int dlt[2][8];

	(void)state;
	frames_v4(0, f[0], len[0], dlt[0]);
	frames_v4(1, f[1], len[1], dlt[1]);
	for (unsigned n = 1; n <= WORKER_MAX; n++) {
		unsigned want = dispatch_worker(dlt[0][0], f[0][0], len[0][0], n);

		assert_true(want < n);
		for (int d = 0; d < 2; d++)
			for (int k = 0; k < 8; k++)
				assert_int_equal(dispatch_worker(dlt[d][k], f[d][k], len[d][k], n),
						 want);
	}
	for (int k = 0; k < 8; k++) {
		struct mx_addr s, d;
		char buf[64];

		assert_int_equal(dispatch_peek_addrs(dlt[0][k], f[0][k], len[0][k], &s, &d), 4);
		assert_string_equal(mx_addr_str(&s, buf, sizeof(buf)), "192.0.2.10");
		assert_string_equal(mx_addr_str(&d, buf, sizeof(buf)), "198.51.100.25");
	}
}

static void test_hash_ipv6_and_fragments(void **state)
{
	struct ip a = ip6(0x10), b = ip6(0x25), c = ip4(192, 0, 2, 10), d = ip4(198, 51, 100, 25);
	uint16_t vid = 42;
	uint8_t f[6][200];
	uint32_t len[6], n;

	(void)state;
	/* IPv6 TCP both ways, one of them VLAN-tagged */
	n = eth_hdr(f[0], NULL, 0, 0x86dd);
	len[0] = n + ip_hdr(f[0] + n, &a, &b, 6, 0, 0, 0);
	n = eth_hdr(f[1], &vid, 1, 0x86dd);
	len[1] = n + ip_hdr(f[1] + n, &b, &a, 6, 0, 0, 0);
	/* IPv6 fragment header (next header 44), a later fragment */
	n = eth_hdr(f[2], NULL, 0, 0x86dd);
	len[2] = n + ip_hdr(f[2] + n, &b, &a, 44, 8, 0, 0);
	memset(f[2] + len[2], 0, 8);
	f[2][len[2]] = 17;
	w16(f[2] + len[2] + 2, 185 << 3);
	len[2] += 8;
	/* IPv4: first fragment (MF), a later fragment with no UDP header, both ways */
	n = eth_hdr(f[3], NULL, 0, 0x0800);
	len[3] = n + ip_hdr(f[3] + n, &c, &d, 17, 8, 9, 0x2000);
	n = eth_hdr(f[4], NULL, 0, 0x0800);
	len[4] = n + ip_hdr(f[4] + n, &c, &d, 17, 8, 9, 0x0010);
	n = eth_hdr(f[5], &vid, 1, 0x0800);
	len[5] = n + ip_hdr(f[5] + n, &d, &c, 17, 8, 10, 0x2020);
	for (unsigned w = 2; w <= WORKER_MAX; w++) {
		unsigned v6 = dispatch_worker(DLT_EN10MB, f[0], len[0], w);
		unsigned v4 = dispatch_worker(DLT_EN10MB, f[3], len[3], w);

		assert_int_equal(dispatch_worker(DLT_EN10MB, f[1], len[1], w), v6);
		assert_int_equal(dispatch_worker(DLT_EN10MB, f[2], len[2], w), v6);
		assert_int_equal(dispatch_worker(DLT_EN10MB, f[4], len[4], w), v4);
		assert_int_equal(dispatch_worker(DLT_EN10MB, f[5], len[5], w), v4);
	}
	assert_int_equal(dispatch_pair_hash(&(struct mx_addr){{1}}, &(struct mx_addr){{2}}),
			 dispatch_pair_hash(&(struct mx_addr){{2}}, &(struct mx_addr){{1}}));
}

static void test_hash_no_ip_goes_to_worker_0(void **state)
{
	uint8_t f[64];
	uint32_t n;
	struct mx_addr s, d;

	(void)state;
	n = eth_hdr(f, NULL, 0, 0x0806); /* ARP */
	memset(f + n, 0xab, 28);
	assert_int_equal(dispatch_worker(DLT_EN10MB, f, n + 28, 8), 0);
	/* IPv4 ethertype but a truncated header */
	n = eth_hdr(f, NULL, 0, 0x0800);
	f[n] = 0x45;
	assert_int_equal(dispatch_peek_addrs(DLT_EN10MB, f, n + 10, &s, &d), 0);
	assert_int_equal(dispatch_worker(DLT_EN10MB, f, n + 10, 8), 0);
	/* too short for the link header, unknown link type, endless tags */
	assert_int_equal(dispatch_worker(DLT_EN10MB, f, 5, 8), 0);
	assert_int_equal(dispatch_worker(DLT_IEEE802_11, f, sizeof(f), 8), 0);
	for (unsigned i = 0; i < sizeof(f) / 2; i++)
		w16(f + i * 2, 0x8100);
	assert_int_equal(dispatch_peek_addrs(DLT_LINUX_SLL2, f, sizeof(f), &s, &d), 0);
}

static void test_hash_spreads(void **state)
{
	unsigned count[4] = {0};

	(void)state;
	for (unsigned i = 0; i < 4000; i++) {
		struct ip a = ip4(10, (uint8_t)(i >> 8), (uint8_t)i, 1), b = ip4(192, 0, 2, 25);
		uint8_t f[64];
		uint32_t n = eth_hdr(f, NULL, 0, 0x0800);

		n += ip_hdr(f + n, &a, &b, 6, 0, 0, 0);
		count[dispatch_worker(DLT_EN10MB, f, n, 4)]++;
	}
	for (int w = 0; w < 4; w++)
		assert_true(count[w] > 800 && count[w] < 1200);
}

/* ---- DNS frames, and their order ------------------------------------------ */

/* An IPv6 frame: hop-by-hop options, then a UDP header with the given ports. */
static uint32_t v6_hbh_udp(uint8_t *f, uint16_t sport, uint16_t dport)
{
	struct ip a = ip6(0x10), b = ip6(0x53);
	uint32_t n = eth_hdr(f, NULL, 0, 0x86dd);

	n += ip_hdr(f + n, &a, &b, 0, 16, 0, 0);
	memset(f + n, 0, 16);
	f[n] = 17; /* next: UDP, length 8 bytes */
	n += 8;
	w16(f + n, sport);
	w16(f + n + 2, dport);
	return n + 8;
}

static void test_dispatch_tells_dns_frames(void **state)
{
	struct stream st;
	struct ip res = ip4(192, 0, 2, 53), cli = ip4(192, 0, 2, 10), r6 = ip6(0x53), c6 = ip6(1);
	uint16_t vids[2] = {7, 8};
	uint8_t dns[64] = {0}, f[8][128];
	uint32_t len[8];
	int dlt[8];
	struct conn cn = {
	    .c = ip4(192, 0, 2, 10), .s = ip4(198, 51, 100, 25), .cport = 40000, .sport = 25};

	(void)state;
	memset(&st, 0, sizeof(st));
	add_udp53(&st, NULL, 0, &res, &cli, 40001, dns, 40, false);
	add_udp53(&st, vids, 2, &res, &cli, 40001, dns, 40, false);
	add_udp53(&st, NULL, 0, &res, &cli, 40001, dns, 60, true); /* two fragments */
	add_udp53(&st, NULL, 0, &r6, &c6, 40001, dns, 40, false);
	for (size_t i = 0; i < st.n; i++)
		assert_true(dispatch_may_be_dns(st.f[i].dlt, st.f[i].b, st.f[i].len));
	/* a query: port 53 on the destination side; over TCP too */
	cn.sport = 53;
	tcp_seg(&st, &cn, 0, 0x02, NULL);
	assert_true(dispatch_may_be_dns(DLT_EN10MB, st.f[st.n - 1].b, st.f[st.n - 1].len));
	/* SMTP is not */
	cn.sport = 25;
	tcp_seg(&st, &cn, 1, 0x12, NULL);
	assert_false(dispatch_may_be_dns(DLT_EN10MB, st.f[st.n - 1].b, st.f[st.n - 1].len));
	/* every link type, ports 0: not DNS */
	frames_v4(0, f, len, dlt);
	for (int k = 0; k < 8; k++)
		assert_false(dispatch_may_be_dns(dlt[k], f[k], len[k]));
	/* ports cut off by the capture length */
	assert_false(dispatch_may_be_dns(DLT_EN10MB, st.f[0].b, 14 + 20 + 1));
	/* IPv6 after an extension header; its fragment header (test above: next 44) */
	len[0] = v6_hbh_udp(f[0], 5353, 53);
	assert_true(dispatch_may_be_dns(DLT_EN10MB, f[0], len[0]));
	assert_false(dispatch_may_be_dns(DLT_EN10MB, f[0], len[0] - 6));
	len[0] = v6_hbh_udp(f[0], 5353, 5354);
	assert_false(dispatch_may_be_dns(DLT_EN10MB, f[0], len[0]));
	f[0][14 + 40] = 44;
	assert_true(dispatch_may_be_dns(DLT_EN10MB, f[0], len[0]));
	free(st.f);
}

static void test_order_queue(void **state)
{
	struct order_queue *q[3];
	uint64_t v = 0, blocker = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		q[i] = order_queue_new(4);
		assert_non_null(q[i]);
	}
	assert_false(order_queue_oldest(q[0], &v));
	assert_true(order_queue_add(q[0], 5));
	assert_true(order_queue_add(q[0], 9));
	assert_true(order_queue_oldest(q[0], &v));
	assert_int_equal(v, 5);
	order_queue_release(q[0], 7); /* frame 7 run: releases 5, not 9 */
	assert_true(order_queue_oldest(q[0], &v));
	assert_int_equal(v, 9);
	/* full at four pending; a note taken back frees its slot */
	assert_true(order_queue_add(q[0], 12));
	assert_true(order_queue_add(q[0], 13));
	assert_true(order_queue_add(q[0], 14));
	assert_false(order_queue_add(q[0], 15));
	order_queue_unadd(q[0]);
	assert_true(order_queue_add(q[0], 15));
	assert_true(order_queue_oldest(q[0], &v));
	assert_int_equal(v, 9);
	/* worker 1's frames wait for worker 0's older DNS frames only */
	assert_true(order_may_run(q, 3, 1, 9, 0, &blocker));
	assert_false(order_may_run(q, 3, 1, 10, 0, &blocker));
	assert_int_equal(blocker, 9);
	assert_true(order_queue_add(q[2], 3));
	assert_false(order_may_run(q, 3, 1, 10, 0, &blocker));
	assert_int_equal(blocker, 3);
	/* its own are not waited for; those below ignore_below neither */
	assert_true(order_may_run(q, 3, 0, 100, 4, &blocker));
	assert_false(order_may_run(q, 3, 2, 100, 0, &blocker));
	assert_true(order_may_run(q, 3, 1, 100, 100, &blocker));
	order_queue_release(q[0], 100);
	order_queue_release(q[2], 3);
	assert_false(order_queue_oldest(q[0], &v));
	assert_true(order_may_run(q, 3, 1, 1000, 0, &blocker));
	for (int i = 0; i < 3; i++)
		order_queue_free(q[i]);
}

/* ---- the frame ring ------------------------------------------------------- */

static void test_ring_drops_and_counts_when_full(void **state)
{
	struct frame_ring *r = frame_ring_new(1);
	struct frame_ring_item it;
	uint8_t frame[1000];
	uint8_t *huge = calloc(1, FRAME_RING_MIN_BYTES);
	uint64_t pushed = 0, dropped = 0;

	(void)state;
	assert_non_null(r);
	assert_non_null(huge);
	assert_int_equal(frame_ring_capacity(r), FRAME_RING_MIN_BYTES);
	assert_true(frame_ring_empty(r));
	assert_false(frame_ring_peek(r, &it));
	for (unsigned i = 0; i < 200; i++) {
		memset(frame, (int)i, sizeof(frame));
		if (frame_ring_push(r, 1000 + i, 1, i, frame, sizeof(frame), 1500)) {
			assert_int_equal(dropped, 0); /* once full, it stays full */
			pushed++;
		} else {
			dropped++;
		}
	}
	/* 64 KiB hold about 64 frames of 1000 bytes with their headers. */
	assert_true(pushed >= 60 && pushed <= 65);
	assert_int_equal(pushed + dropped, 200);
	assert_int_equal(frame_ring_pushed(r), pushed);
	assert_int_equal(frame_ring_drops(r), dropped);
	/* larger than half the ring: never queued */
	assert_false(frame_ring_push(r, 1, 1, 0, huge, FRAME_RING_MIN_BYTES, FRAME_RING_MIN_BYTES));
	assert_int_equal(frame_ring_drops(r), dropped + 1);
	for (unsigned i = 0; i < pushed; i++) {
		assert_true(frame_ring_peek(r, &it));
		assert_int_equal(it.ts_us, i);
		assert_int_equal(it.seq, 1000 + i);
		assert_int_equal(it.dlt, 1);
		assert_int_equal(it.caplen, sizeof(frame));
		assert_int_equal(it.wirelen, 1500);
		assert_int_equal(it.frame[0], i);
		assert_int_equal(it.frame[sizeof(frame) - 1], i);
		frame_ring_pop(r);
	}
	assert_false(frame_ring_peek(r, &it));
	assert_true(frame_ring_empty(r));
	/* room again once drained, across the end of the buffer */
	for (unsigned i = 0; i < 3 * pushed; i++) {
		assert_true(frame_ring_push(r, i, 1, i, frame, sizeof(frame), 1500));
		assert_true(frame_ring_peek(r, &it));
		assert_int_equal(it.ts_us, i);
		frame_ring_pop(r);
	}
	assert_int_equal(frame_ring_drops(r), dropped + 1);
	free(huge);
	frame_ring_free(r);
}

static void test_ring_wraps_in_order(void **state)
{
	struct frame_ring *r = frame_ring_new(FRAME_RING_MIN_BYTES);
	struct frame_ring_item it;
	uint8_t frame[3000];
	uint64_t next_in = 0, next_out = 0;

	(void)state;
	/* Sizes that do not divide the ring: records pad at its end. */
	for (unsigned round = 0; round < 2000; round++) {
		uint32_t len = (uint32_t)(next_in * 37 % 2999) + 1;

		memset(frame, (int)(next_in & 0xff), len);
		if (frame_ring_push(r, 3 * next_in, (int)(next_in % 7), next_in, frame, len, len))
			next_in++;
		if (round % 3 != 0 && frame_ring_peek(r, &it)) {
			uint32_t want = (uint32_t)(next_out * 37 % 2999) + 1;

			assert_int_equal(it.ts_us, next_out);
			assert_int_equal(it.seq, 3 * next_out);
			assert_int_equal(it.dlt, (int)(next_out % 7));
			assert_int_equal(it.caplen, want);
			assert_int_equal(it.frame[0], next_out & 0xff);
			assert_int_equal(it.frame[want - 1], next_out & 0xff);
			frame_ring_pop(r);
			next_out++;
		}
	}
	while (frame_ring_peek(r, &it)) {
		assert_int_equal(it.ts_us, next_out++);
		frame_ring_pop(r);
	}
	assert_int_equal(next_out, next_in);
	assert_true(next_in > 1000);
	frame_ring_free(r);
}

struct ring_thread {
	struct frame_ring *r;
	atomic_bool done; /* the producer pushed its last frame */
	uint64_t got, bad;
};

static void *ring_consumer(void *arg)
{
	struct ring_thread *t = arg;
	struct frame_ring_item it;
	uint64_t last = 0;

	for (;;) {
		bool done = atomic_load(&t->done);

		if (!frame_ring_peek(t->r, &it)) {
			if (done)
				break;
			continue;
		}
		/* strictly increasing; a gap only where frames were dropped */
		if (it.ts_us <= last || it.seq != it.ts_us + 7 || it.caplen != it.ts_us % 500 + 1 ||
		    it.frame[it.caplen - 1] != (uint8_t)it.ts_us)
			t->bad++;
		last = it.ts_us;
		t->got++;
		frame_ring_pop(t->r);
	}
	return NULL;
}

static void test_ring_two_threads(void **state)
{
	struct ring_thread t;
	const uint64_t n = 200000;
	pthread_t th;
	uint8_t frame[512];

	(void)state;
	memset(&t, 0, sizeof(t));
	t.r = frame_ring_new(FRAME_RING_MIN_BYTES);
	atomic_init(&t.done, false);
	assert_int_equal(pthread_create(&th, NULL, ring_consumer, &t), 0);
	for (uint64_t i = 1; i <= n; i++) {
		uint32_t len = (uint32_t)(i % 500) + 1;

		frame[len - 1] = (uint8_t)i;
		frame_ring_push(t.r, i + 7, 1, i, frame, len, len);
	}
	atomic_store(&t.done, true);
	pthread_join(th, NULL);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.got + frame_ring_drops(t.r), n);
	assert_int_equal(frame_ring_pushed(t.r), t.got);
	assert_true(t.got > 0);
	frame_ring_free(t.r);
}

/* ---- N workers write what one pipeline writes ----------------------------- */

/* The capture of the comparison, in three phases (see build_capture). */
struct capture_plan {
	struct stream st;
	size_t phase_end[3];
};

static void build_capture(struct capture_plan *cp)
{
	struct ip cli = ip4(192, 0, 2, 10), cli6 = ip6(0x10), srv4 = ip4(198, 51, 100, 25);
	struct ip srv6 = ip6(0x25);
	uint8_t dns[512], rd[64];
	uint16_t vid = 300;
	struct conn conns[40];
	size_t nconn = 0, ndone;
	uint32_t n;

	memset(cp, 0, sizeof(*cp));
	/* Phase 0: the trusted resolver's answers (AD): MX, A, and TLSA (fragmented). */
	n = dns_name(rd + 2, "mx1.example.test");
	w16(rd, 10);
	add_udp53(&cp->st, NULL, 0, resolver(), &cli, 40001, dns,
		  dns_response(dns, 1, "example.test", 15, rd, (uint16_t)(n + 2)), false);
	add_udp53(&cp->st, NULL, 0, resolver(), &cli, 40002, dns,
		  dns_response(dns, 2, "mx1.example.test", 1, srv4.a, 4), false);
	rd[0] = 3;
	rd[1] = 1;
	rd[2] = 1;
	for (int i = 0; i < 32; i++)
		rd[3 + i] = (uint8_t)(0xa0 + i);
	add_udp53(&cp->st, NULL, 0, resolver(), &cli, 40003, dns,
		  dns_response(dns, 3, "_25._tcp.mx1.example.test", 52, rd, 35), true);
	cp->phase_end[0] = cp->st.n;
	/* Phase 1: the IPv6 address, over IPv6 on a VLAN (another worker, likely). */
	{
		struct ip res6 = ip6(0x53);

		add_udp53(&cp->st, &vid, 1, &res6, &cli6, 40004, dns,
			  dns_response(dns, 4, "mx1.example.test", 28, srv6.a, 16), false);
	}
	cp->phase_end[1] = cp->st.n;
	/*
	 * Phase 2: SMTP sessions, their packets interleaved. To the DANE host
	 * without STARTTLS (IPv4 and IPv6) from many clients; masked STARTTLS
	 * to servers of their own (some on VLANs, one QinQ); benign ones.
	 * Each server sees at most one client per kind, so no session's
	 * verdict rests on the history another worker is writing.
	 */
	for (unsigned i = 0; i < 36; i++) {
		struct conn *cn = &conns[nconn++];

		memset(cn, 0, sizeof(*cn));
		cn->cport = (uint16_t)(30000 + i);
		cn->sport = 25;
		cn->seq[0] = 1000 * i + 1;
		cn->seq[1] = 7000000 + 999 * i;
		if (i < 8) {
			cn->c = ip4(192, 0, 2, (uint8_t)(100 + i));
			cn->s = srv4;
		} else if (i < 12) {
			cn->c = ip6((uint16_t)(0x100 + i));
			cn->s = srv6;
		} else if (i < 28) {
			cn->c = ip4(192, 0, 2, (uint8_t)(100 + i));
			cn->s = ip4(203, 0, 113, (uint8_t)(10 + i));
			cn->ntags = i % 3 == 0 ? 2 : i % 3;
			cn->vids[0] = (uint16_t)(10 + i);
			cn->vids[1] = 77;
		} else {
			cn->c = ip4(192, 0, 2, (uint8_t)(100 + i));
			cn->s = ip4(203, 0, 113, (uint8_t)(100 + i));
		}
	}
	/* Build each session apart, then deal their packets out round robin. */
	{
		struct stream one[40];
		size_t pos[40] = {0};

		for (size_t i = 0; i < nconn; i++) {
			memset(&one[i], 0, sizeof(one[i]));
			/* Mail for example.test to its MX; the others for a domain without
			   expectations (to example.test they would be redirects). */
			smtp_session(&one[i], &conns[i],
				     i < 12 ? EHLO_NONE : (i < 28 ? EHLO_MASKED : EHLO_STARTTLS),
				     i < 12 ? "example.test" : "example.net");
		}
		do {
			ndone = 0;
			for (size_t i = 0; i < nconn; i++) {
				struct frame *f;

				if (pos[i] == one[i].n) {
					ndone++;
					continue;
				}
				f = stream_add(&cp->st, DLT_EN10MB);
				memcpy(f->b, one[i].f[pos[i]].b, one[i].f[pos[i]].len);
				f->len = one[i].f[pos[i]].len;
				pos[i]++;
			}
		} while (ndone < nconn);
		for (size_t i = 0; i < nconn; i++)
			free(one[i].f);
	}
	cp->phase_end[2] = cp->st.n;
}

static struct correlate *new_correlate(void)
{
	struct correlate_config kc;
	char err[256];
	struct correlate *c;

	correlate_config_defaults(&kc);
	mx_addr_from_v4(&kc.trusted_resolvers[0].addr, resolver()->a);
	kc.trusted_resolvers[0].bits = 128;
	mx_addr_from_v6(&kc.trusted_resolvers[1].addr, ip6(0x53).a);
	kc.trusted_resolvers[1].bits = 128;
	kc.n_trusted_resolvers = 2;
	c = correlate_new(&kc, err, sizeof(err));
	assert_non_null(c);
	return c;
}

static struct eve *new_eve(char *path)
{
	struct eve *e = eve_new();
	char err[256];
	int fd;

	strcpy(path, "/tmp/mxsentry-test-workers-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(e);
	assert_true(eve_add_file(e, path, EVE_ALL, false, err, sizeof(err)));
	return e;
}

static uint64_t no_clock(void)
{
	return 0;
}

struct lines {
	char **l;
	size_t n;
};

/* Removes every "<key>":<digits> member (and its comma) from line. */
static void strip_member(char *line, const char *key)
{
	char pat[64];
	char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	while ((p = strstr(line, pat)) != NULL) {
		char *e = p + strlen(pat);

		while (*e >= '0' && *e <= '9')
			e++;
		if (*e == ',')
			e++;
		else if (p > line && p[-1] == ',')
			p--;
		memmove(p, e, strlen(e) + 1);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The file's lines without flow ids (each worker numbers its own flows),
 * sorted (workers interleave their records), with the flow ids of the flow
 * records collected into ids when ids is not NULL.
 */
static struct lines read_lines(const char *path, uint64_t *ids, size_t *nids)
{
	FILE *fp = fopen(path, "r");
	struct lines r = {NULL, 0};
	char *buf = NULL;
	size_t cap = 0;

	assert_non_null(fp);
	while (getline(&buf, &cap, fp) > 0) {
		const char *fid = strstr(buf, "\"flow_id\":");

		if (ids != NULL && fid != NULL && strstr(buf, "\"event_type\":\"flow\"") != NULL)
			ids[(*nids)++] = strtoull(fid + 10, NULL, 10);
		strip_member(buf, "flow_id");
		strip_member(buf, "failed_flow_id");
		r.l = realloc(r.l, (r.n + 1) * sizeof(*r.l));
		assert_non_null(r.l);
		r.l[r.n++] = strdup(buf);
	}
	free(buf);
	fclose(fp);
	qsort(r.l, r.n, sizeof(*r.l), cmp_str);
	return r;
}

static void free_lines(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->l[i]);
	free(l->l);
}

static size_t count_matching(const struct lines *l, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += strstr(l->l[i], needle) != NULL;
	return n;
}

/* One pipeline, as an offline run feeds it. */
static void run_one(const struct capture_plan *cp, char *path)
{
	struct eve *e = new_eve(path);
	struct correlate *c = new_correlate();
	struct pipeline_config pc;
	struct pipeline *p;
	char err[256] = "";

	pipeline_config_defaults(&pc);
	p = pipeline_new(&pc, e, c, err, sizeof(err));
	assert_non_null(p);
	for (size_t i = 0; i < cp->st.n; i++)
		pipeline_packet(p, cp->st.f[i].dlt, cp->st.f[i].ts_us, cp->st.f[i].b,
				cp->st.f[i].len, cp->st.f[i].len);
	pipeline_flush(p);
	pipeline_free(p);
	correlate_free(c);
	eve_free(e);
}

/* What a pool run counted about the order of DNS frames. */
struct order_counts {
	uint64_t waits, timeouts, unqueued;
};

/* How run_pool feeds the pool. */
enum feed {
	FEED_SETTLED,	   /* the shared state settles between the phases */
	FEED_BACK_TO_BACK, /* the frames come back to back */
	/* back to back with the correlate stage's lock held, and for 100 ms more */
	FEED_HOLD_CORRELATE,
};

/* A pool of n workers fed the capture; alerts: the alerts expected. */
static void run_pool(const struct capture_plan *cp, unsigned n, enum feed feed, uint64_t alerts,
		     char *path, struct order_counts *oc)
{
	struct eve *e = new_eve(path);
	struct correlate *c = new_correlate();
	struct worker_pool_config wc;
	struct worker_pool *wp;
	char err[256] = "";
	size_t i = 0;
	uint64_t pushed = 0;

	worker_pool_config_defaults(&wc);
	wc.workers = n;
	wc.queue_bytes = 4u << 20;
	wc.clock_us = no_clock; /* packet time only, as in run_one */
	wp = worker_pool_new(&wc, e, c, err, sizeof(err));
	assert_non_null(wp);
	assert_int_equal(worker_pool_count(wp), n);
	if (feed == FEED_HOLD_CORRELATE)
		correlate_lock(c);
	for (int ph = 0; ph < 3; ph++) {
		for (; i < cp->phase_end[ph]; i++)
			worker_pool_packet(wp, cp->st.f[i].dlt, cp->st.f[i].ts_us, cp->st.f[i].b,
					   cp->st.f[i].len, cp->st.f[i].len);
		if (feed == FEED_SETTLED)
			worker_pool_drain(wp);
	}
	if (feed == FEED_HOLD_CORRELATE) {
		const struct timespec hold = {0, 100000000};

		nanosleep(&hold, NULL);
		correlate_unlock(c);
	}
	worker_pool_stop(wp);
	oc->waits = worker_pool_counter(wp, "capture.worker_order_waits");
	oc->timeouts = worker_pool_counter(wp, "capture.worker_order_timeouts");
	oc->unqueued = worker_pool_counter(wp, "capture.worker_order_unqueued");
	assert_int_equal(worker_pool_counter(wp, "capture.worker_queue_drops"), 0);
	for (unsigned w = 0; w < n; w++) {
		char name[64];

		snprintf(name, sizeof(name), "workers.w%u.packets", w);
		pushed += worker_pool_counter(wp, name);
	}
	assert_int_equal(pushed, cp->st.n);
	assert_int_equal(worker_pool_counter(wp, "decoder.pkts"), cp->st.n);
	assert_int_equal(worker_pool_counter(wp, "detect.alert"), alerts);
	worker_pool_free(wp);
	correlate_free(c);
	eve_free(e);
}

static void test_workers_write_what_one_pipeline_writes(void **state)
{
	struct capture_plan cp;
	char one_path[64], pool_path[64];
	struct lines one, many;
	uint64_t ids[256];
	size_t nids = 0;

	(void)state;
	build_capture(&cp);
	run_one(&cp, one_path);
	one = read_lines(one_path, NULL, NULL);
	/* The capture means something: the DANE expectation made it to the sessions. */
	assert_int_equal(count_matching(&one, "\"kind\":\"starttls-stripped\""), 12);
	assert_int_equal(count_matching(&one, "\"kind\":\"cleartext-policy-violation\""), 12);
	assert_int_equal(count_matching(&one, "\"kind\":\"starttls-masked\""), 16);
	assert_int_equal(count_matching(&one, "\"event_type\":\"alert\""), 40);
	assert_int_equal(count_matching(&one, "\"event_type\":\"smtp\""), 36);
	assert_int_equal(count_matching(&one, "\"expectation\":{\"source\":\"dane\",\"validated\":"
					      "true,\"trust\":\"resolver-ad\""),
			 24);
	/* With the phases settled, then back to back (the order of DNS frames holds). */
	for (unsigned run = 0; run < 6; run++) {
		unsigned n = 1u << (run % 3);
		struct order_counts oc;

		run_pool(&cp, n, run < 3 ? FEED_SETTLED : FEED_BACK_TO_BACK, 12 * 2 + 16, pool_path,
			 &oc);
		assert_int_equal(oc.timeouts, 0);
		assert_int_equal(oc.unqueued, 0);
		nids = 0;
		many = read_lines(pool_path, ids, &nids);
		assert_int_equal(many.n, one.n);
		for (size_t i = 0; i < one.n; i++)
			assert_string_equal(many.l[i], one.l[i]);
		/* flow ids stay unique across workers */
		assert_true(nids >= 36);
		for (size_t i = 0; i < nids; i++)
			for (size_t j = i + 1; j < nids; j++)
				assert_true(ids[i] != ids[j]);
		free_lines(&many);
		unlink(pool_path);
	}
	free_lines(&one);
	unlink(one_path);
	free(cp.st.f);
}

/*
 * The DNS answers go to one worker, held up at the correlate stage's lock;
 * the sessions that rely on them, captured after them, go to the other
 * worker, which would otherwise judge them as soon as the lock is free,
 * maybe first. They wait for the answers: the records are those of one
 * pipeline, and the waits are counted. The other worker is given 100 ms
 * to reach the sessions; a run where it did not is tried again.
 */
static void test_sessions_wait_for_older_dns_on_another_worker(void **state)
{
	struct capture_plan cp;
	struct ip cli = ip4(192, 0, 2, 10), srv = ip4(198, 51, 100, 25);
	uint8_t dns[512], rd[64];
	char one_path[64], pool_path[64];
	struct lines one, many;
	struct order_counts oc;
	unsigned dns_worker, nsess = 0;
	uint32_t n;

	(void)state;
	memset(&cp, 0, sizeof(cp));
	/* The answers that make the DANE expectation of example.test. */
	n = dns_name(rd + 2, "mx1.example.test");
	w16(rd, 10);
	add_udp53(&cp.st, NULL, 0, resolver(), &cli, 40001, dns,
		  dns_response(dns, 1, "example.test", 15, rd, (uint16_t)(n + 2)), false);
	add_udp53(&cp.st, NULL, 0, resolver(), &cli, 40002, dns,
		  dns_response(dns, 2, "mx1.example.test", 1, srv.a, 4), false);
	memset(rd, 0xa0, sizeof(rd));
	rd[0] = 3;
	rd[1] = 1;
	rd[2] = 1;
	add_udp53(&cp.st, NULL, 0, resolver(), &cli, 40003, dns,
		  dns_response(dns, 3, "_25._tcp.mx1.example.test", 52, rd, 35), true);
	dns_worker = dispatch_worker(DLT_EN10MB, cp.st.f[0].b, cp.st.f[0].len, 2);
	/* Then sessions to the MX without STARTTLS, from clients on the other worker. */
	for (unsigned i = 0; nsess < 8 && i < 200; i++) {
		struct conn cn = {.c = ip4(203, 0, 113, (uint8_t)i),
				  .s = srv,
				  .cport = (uint16_t)(30000 + i),
				  .sport = 25,
				  .seq = {1000 * i + 1, 7000000 + 999 * i}};
		size_t at = cp.st.n;

		smtp_session(&cp.st, &cn, EHLO_NONE, "example.test");
		if (dispatch_worker(DLT_EN10MB, cp.st.f[at].b, cp.st.f[at].len, 2) == dns_worker)
			cp.st.n = at; /* same worker as the answers: not this client */
		else
			nsess++;
	}
	assert_int_equal(nsess, 8);
	cp.phase_end[0] = cp.phase_end[1] = cp.phase_end[2] = cp.st.n;
	run_one(&cp, one_path);
	one = read_lines(one_path, NULL, NULL);
	assert_int_equal(count_matching(&one, "\"kind\":\"starttls-stripped\""), 8);
	assert_int_equal(count_matching(&one, "\"expectation\":{\"source\":\"dane\""), 16);
	for (int attempt = 0; attempt < 5; attempt++) {
		run_pool(&cp, 2, FEED_HOLD_CORRELATE, 16, pool_path, &oc);
		many = read_lines(pool_path, NULL, NULL);
		assert_int_equal(many.n, one.n);
		for (size_t i = 0; i < one.n; i++)
			assert_string_equal(many.l[i], one.l[i]);
		assert_int_equal(oc.timeouts, 0);
		assert_int_equal(oc.unqueued, 0);
		free_lines(&many);
		unlink(pool_path);
		if (oc.waits > 0)
			break;
	}
	assert_true(oc.waits > 0);
	free_lines(&one);
	unlink(one_path);
	free(cp.st.f);
}

/*
 * A worker that cannot keep up: it waits on the correlate stage's lock
 * (held here) at the first DNS answer while frames of the same address
 * pair keep coming; those that do not fit its queue are dropped and
 * counted, in total and for that worker, and the rest are run once the
 * lock is free.
 */
static void test_pool_full_queue_drops_and_counts(void **state)
{
	struct stream st;
	struct ip cli = ip4(192, 0, 2, 10);
	uint8_t dns[512], filler[1400];
	struct eve *e;
	struct correlate *c = new_correlate();
	struct worker_pool_config wc;
	struct worker_pool *wp;
	char path[64], err[256] = "", name[64];
	uint64_t drops, pushed = 0, wdrops = 0;

	(void)state;
	memset(&st, 0, sizeof(st));
	add_udp53(&st, NULL, 0, resolver(), &cli, 40001, dns,
		  dns_response(dns, 1, "mx1.example.test", 1, cli.a, 4), false);
	memset(filler, 0x5a, sizeof(filler));
	for (int i = 0; i < 200; i++)
		add_udp53(&st, NULL, 0, resolver(), &cli, 40002, filler, sizeof(filler), false);
	e = new_eve(path);
	worker_pool_config_defaults(&wc);
	wc.workers = 2;
	wc.queue_bytes = FRAME_RING_MIN_BYTES;
	wc.clock_us = no_clock;
	wp = worker_pool_new(&wc, e, c, err, sizeof(err));
	assert_non_null(wp);
	correlate_lock(c);
	for (size_t i = 0; i < st.n; i++)
		worker_pool_packet(wp, st.f[i].dlt, st.f[i].ts_us, st.f[i].b, st.f[i].len,
				   st.f[i].len);
	correlate_unlock(c);
	worker_pool_drain(wp);
	worker_pool_stop(wp);
	drops = worker_pool_counter(wp, "capture.worker_queue_drops");
	for (unsigned w = 0; w < 2; w++) {
		snprintf(name, sizeof(name), "workers.w%u.packets", w);
		pushed += worker_pool_counter(wp, name);
		snprintf(name, sizeof(name), "workers.w%u.queue_drops", w);
		wdrops += worker_pool_counter(wp, name);
	}
	/* 64 KiB hold at most 46 frames of 1400 bytes: most of 201 were dropped. */
	assert_true(drops >= 201 - 47);
	assert_int_equal(wdrops, drops);
	assert_int_equal(worker_pool_queue_drops(wp), drops);
	assert_int_equal(pushed + drops, st.n);
	assert_int_equal(worker_pool_counter(wp, "decoder.pkts"), pushed);
	worker_pool_free(wp);
	correlate_free(c);
	eve_free(e);
	unlink(path);
	free(st.f);
}

static void test_share_limits(void **state)
{
	struct pipeline_config pc, orig;

	(void)state;
	pipeline_config_defaults(&pc);
	orig = pc;
	worker_share_limits(&pc, 1);
	assert_memory_equal(&pc, &orig, sizeof(pc));
	worker_share_limits(&pc, 4);
	assert_int_equal(pc.flow.memcap, orig.flow.memcap / 4);
	assert_int_equal(pc.stream.memcap, orig.stream.memcap / 4);
	assert_int_equal(pc.decode.defrag_memcap, orig.decode.defrag_memcap / 4);
	assert_int_equal(pc.app.session_memcap, orig.app.session_memcap / 4);
	assert_int_equal(pc.stream.stream_memcap, orig.stream.stream_memcap);
	assert_true(pc.flow.hash_size == 0 || pc.flow.hash_size >= 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_both_directions_every_link),
	    cmocka_unit_test(test_hash_ipv6_and_fragments),
	    cmocka_unit_test(test_hash_no_ip_goes_to_worker_0),
	    cmocka_unit_test(test_hash_spreads),
	    cmocka_unit_test(test_dispatch_tells_dns_frames),
	    cmocka_unit_test(test_order_queue),
	    cmocka_unit_test(test_ring_drops_and_counts_when_full),
	    cmocka_unit_test(test_ring_wraps_in_order),
	    cmocka_unit_test(test_ring_two_threads),
	    cmocka_unit_test(test_workers_write_what_one_pipeline_writes),
	    cmocka_unit_test(test_sessions_wait_for_older_dns_on_another_worker),
	    cmocka_unit_test(test_pool_full_queue_drops_and_counts),
	    cmocka_unit_test(test_share_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
