/*
 * test_decode_tunnel.c - unit tests of the decode stage's encapsulations:
 * PPPoE sessions (under VLAN tags, compressed protocol, discovery and
 * control frames skipped), MPLS label stacks (IP by label and by nibble,
 * Ethernet pseudowires), and the tunnels VXLAN, Geneve (options), GRE
 * (optional fields, source routes, transparent Ethernet bridging, ERSPAN
 * I/II/III) and IP in IP; the tunnel depth limit, the VLAN ids that key the
 * inner flow, fragments outside and inside a tunnel, and every malformed
 * header with the exact counters it must move.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode_frames.h"

#define BUF 2048

/* ---- building encapsulations -------------------------------------------- */

/* Ethernet with one 802.1Q tag vid (none when vid is 0). */
static uint32_t eth_tag(uint8_t *f, uint16_t vid, uint16_t type, const uint8_t *pl, uint32_t n)
{
	uint16_t tp[] = {0x8100}, v[] = {vid};

	return build_eth(f, tp, v, vid ? 1 : 0, type, pl, n);
}

/* Ethernet (tag vid) + IPv4 from OUT4_A to OUT4_B with protocol proto carrying pl. */
static uint32_t outer_ip4(uint8_t *f, uint16_t vid, uint8_t proto, const uint8_t *pl, uint32_t n)
{
	uint8_t ip[BUF];
	uint32_t m = build_ipv4_from(ip, proto, 1, 0, 30, OUT4_A, OUT4_B, pl, n);

	return eth_tag(f, vid, 0x0800, ip, m);
}

/* Ethernet + IPv6 from OUT6_A to OUT6_B with next header nh carrying pl. */
static uint32_t outer_ip6(uint8_t *f, uint8_t nh, const uint8_t *pl, uint32_t n)
{
	uint8_t ip[BUF];
	uint32_t m = build_ipv6_from(ip, nh, 30, OUT6_A, OUT6_B, pl, n);

	return eth_tag(f, 0, 0x86dd, ip, m);
}

/* Ethernet (tag vid) + outer IPv4 + UDP sport -> dport carrying pl. */
static uint32_t outer_udp4(uint8_t *f, uint16_t vid, uint16_t sport, uint16_t dport,
			   const uint8_t *pl, uint32_t n)
{
	uint8_t l4[BUF];
	uint32_t m = build_udp(l4, sport, dport, pl, n);

	return outer_ip4(f, vid, IPPROTO_UDP, l4, m);
}

/* A VXLAN header with VNI 0x1234 in front of the frame in. */
static uint32_t vxlan(uint8_t *o, const uint8_t *in, uint32_t n)
{
	memset(o, 0, 8);
	o[0] = 0x08;
	o[5] = 0x12;
	o[6] = 0x34;
	memmove(o + 8, in, n);
	return 8 + n;
}

/* A GRE header: flags byte, version, protocol, then nopt zeroed 4-byte optional fields. */
static uint32_t gre(uint8_t *o, uint8_t flags, uint8_t version, uint16_t proto, int nopt,
		    const uint8_t *in, uint32_t n)
{
	uint32_t hl = 4 + 4 * (uint32_t)nopt;

	memset(o, 0, hl);
	o[0] = flags;
	o[1] = version;
	w16(o + 2, proto);
	memmove(o + hl, in, n);
	return hl + n;
}

/* A PPPoE session header (code, length plen) and its payload. */
static uint32_t pppoe(uint8_t *o, uint8_t code, uint16_t plen, const uint8_t *pl, uint32_t n)
{
	o[0] = 0x11;
	o[1] = code;
	w16(o + 2, 0x1234);
	w16(o + 4, plen);
	memmove(o + 6, pl, n);
	return 6 + n;
}

/* An MPLS label stack entry. */
static void mpls_label(uint8_t *o, uint32_t label, bool bottom)
{
	w32(o, label << 12 | (bottom ? 0x100u : 0) | 64);
}

/* Decodes f and asserts DECODE_SKIP with exactly these counters moved. */
#define EXPECT_SKIP(d, f, n, ...)                                                                  \
	do {                                                                                       \
		struct decode_counters b_ = *decoder_counters(d);                                  \
		struct mx_packet p_;                                                               \
		assert_int_equal(run(d, DLT_EN10MB, f, n, &p_), DECODE_SKIP);                      \
		assert_moved(d, &b_, "decoder.pkts", "decoder.bytes", __VA_ARGS__, NULL);          \
	} while (0)

/* ---- PPPoE ------------------------------------------------------------------ */

static void test_pppoe_session_qinq(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint16_t tp[] = {0x8100, 0x8100}, vid[] = {100, 200};
	uint8_t ip[BUF], pp[BUF], f[BUF];
	uint32_t ipn = v4_udp(ip + 2), n;
	struct mx_packet p;

	(void)state;
	/* the shape of ntop-nDPI/dns.pcap: QinQ, PPPoE, PPP IPv4, UDP; Ethernet padding after */
	w16(ip, 0x0021);
	n = pppoe(pp, 0, (uint16_t)(ipn + 2), ip, ipn + 2);
	memset(pp + n, 0, 6);
	n = build_eth(f, tp, vid, 2, 0x8864, pp, n + 6);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 2, 100, 200);
	assert_ptr_equal(p.l3, f + 14 + 8 + 6 + 2);
	assert_int_equal(p.l3_len, ipn);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.vlan", "decoder.vlan_qinq", "decoder.pppoe", "decoder.ipv4",
		     "decoder.udp", NULL);

	/* IPv6, untagged */
	ipn = v6_tcp(ip + 2);
	w16(ip, 0x0057);
	n = pppoe(pp, 0, (uint16_t)(ipn + 2), ip, ipn + 2);
	n = build_eth(f, NULL, NULL, 0, 0x8864, pp, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 6, 55, 0, 0, 0);

	/* a compressed (one byte) protocol field; a length beyond the capture is not trusted */
	ipn = v4_tcp(ip + 1);
	ip[0] = 0x21;
	n = pppoe(pp, 0, (uint16_t)(ipn + 1 + 100), ip, ipn + 1);
	n = build_eth(f, NULL, NULL, 0, 0x8864, pp, n);
	before = *decoder_counters(d);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.pppoe", "decoder.ipv4", "decoder.tcp", NULL);
	assert_int_equal(counter(d, "decoder.pppoe"), 3);
	decoder_free(d);
}

static void test_pppoe_skipped_and_bad(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t pl[64] = {0}, pp[BUF], f[BUF];
	uint32_t n;

	(void)state;
	/* discovery (PADI) is skipped */
	n = pppoe(pp, 0x09, 0, pl, 0);
	n = build_eth(f, NULL, NULL, 0, 0x8863, pp, n);
	EXPECT_SKIP(d, f, n, "decoder.ethernet", "decoder.pppoe", "decoder.pppoe_discovery");
	/* LCP inside a session is skipped */
	w16(pl, 0xc021);
	n = pppoe(pp, 0, 8, pl, 8);
	n = build_eth(f, NULL, NULL, 0, 0x8864, pp, n);
	EXPECT_SKIP(d, f, n, "decoder.ethernet", "decoder.pppoe", "decoder.event.ppp.unsup_proto");
	/* a discovery code on the session ethertype */
	n = pppoe(pp, 0x09, 8, pl, 8);
	n = build_eth(f, NULL, NULL, 0, 0x8864, pp, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.pppoe",
		       "decoder.event.pppoe.wrong_code");
	/* header cut short */
	n = build_eth(f, NULL, NULL, 0, 0x8864, pp, 5);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.pppoe",
		       "decoder.event.pppoe.pkt_too_small");
	/* empty payload, and a payload of one byte that is not a compressed protocol */
	n = pppoe(pp, 0, 0, pl, 8);
	n = build_eth(f, NULL, NULL, 0, 0x8864, pp, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.pppoe",
		       "decoder.event.pppoe.pkt_too_small");
	pl[0] = 0;
	n = pppoe(pp, 0, 1, pl, 8);
	n = build_eth(f, NULL, NULL, 0, 0x8864, pp, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.pppoe",
		       "decoder.event.pppoe.pkt_too_small");
	decoder_free(d);
}

/* ---- MPLS ------------------------------------------------------------------- */

static void test_mpls(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t st[BUF], in[BUF], f[BUF];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	/* two labels, IPv4 told by its version nibble */
	mpls_label(st, 100, false);
	mpls_label(st + 4, 200, true);
	n = v4_tcp(st + 8);
	n = build_eth(f, NULL, NULL, 0, 0x8847, st, 8 + n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	assert_ptr_equal(p.l3, f + 14 + 8);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.mpls", "decoder.ipv4", "decoder.tcp", NULL);
	/* IPv6 explicit null, under a VLAN tag that stays */
	mpls_label(st, 2, true);
	n = v6_udp(st + 4);
	n = eth_tag(f, 33, 0x8847, st, 4 + n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 1, 33, 0);
	/* IPv4 explicit null, multicast ethertype */
	mpls_label(st, 0, true);
	n = v4_udp(st + 4);
	n = build_eth(f, NULL, NULL, 0, 0x8848, st, 4 + n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 0, 0, 0);
	/* an Ethernet pseudowire with its control word: the inner tag keys the flow */
	before = *decoder_counters(d);
	mpls_label(st, 1000, true);
	memset(st + 4, 0, 4);
	n = v4_udp(in);
	n = eth_tag(st + 8, 55, 0x0800, in, n);
	n = eth_tag(f, 7, 0x8847, st, 8 + n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 1, 55, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.vlan", "decoder.mpls", "decoder.ipv4", "decoder.udp", NULL);
	assert_int_equal(counter(d, "decoder.ethernet") - before.ethernet, 2);
	assert_int_equal(counter(d, "decoder.vlan") - before.vlan, 2);
	decoder_free(d);
}

static void test_mpls_bad(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t st[64], f[BUF];
	uint32_t n;

	(void)state;
	mpls_label(st, 100, true);
	memset(st + 4, 0x55, 20); /* version nibble 5 */
	n = build_eth(f, NULL, NULL, 0, 0x8847, st, 24);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.mpls",
		       "decoder.event.mpls.unknown_payload_type");
	/* no bottom of stack before the frame ends */
	mpls_label(st, 100, false);
	mpls_label(st + 4, 101, false);
	n = build_eth(f, NULL, NULL, 0, 0x8847, st, 8);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.mpls",
		       "decoder.event.mpls.header_too_small");
	/* nothing below the stack */
	mpls_label(st, 100, true);
	n = build_eth(f, NULL, NULL, 0, 0x8847, st, 4);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.mpls",
		       "decoder.event.mpls.pkt_too_small");
	/* a pseudowire control word cut short */
	memset(st + 4, 0, 2);
	n = build_eth(f, NULL, NULL, 0, 0x8847, st, 6);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.mpls",
		       "decoder.event.mpls.pkt_too_small");
	decoder_free(d);
}

/* ---- VXLAN ------------------------------------------------------------------- */

static void test_vxlan(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t ip[BUF], in[BUF], vx[BUF], f[BUF];
	uint32_t n = v4_tcp(ip), ipoff;
	struct mx_packet p;

	(void)state;
	/* tagged outside (VLAN 9) and inside (VLAN 300): the inner tag keys the flow */
	n = eth_tag(in, 300, 0x0800, ip, n);
	n = vxlan(vx, in, n);
	n = outer_udp4(f, 9, 50000, 4789, vx, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 1, 300, 0);
	ipoff = 18 + 20 + 8 + 8 + 18;
	assert_ptr_equal(p.l3, f + ipoff);
	assert_int_equal(p.l3_len, n - ipoff);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.vlan", "decoder.ipv4", "decoder.udp", "decoder.tcp", "decoder.vxlan",
		     NULL);
	assert_int_equal(counter(d, "decoder.ethernet"), 2);
	assert_int_equal(counter(d, "decoder.ipv4"), 2);
	assert_int_equal(counter(d, "decoder.udp"), 1);
	assert_int_equal(counter(d, "decoder.vlan"), 2);
	/* untagged inside: no VLAN id, whatever the outer tag */
	n = v6_udp(ip);
	n = eth_tag(in, 0, 0x86dd, ip, n);
	n = vxlan(vx, in, n);
	n = outer_udp4(f, 9, 50001, 4789, vx, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 0, 0, 0);
	decoder_free(d);
}

static void test_vxlan_garbage(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t ip[BUF], in[BUF], vx[BUF], f[BUF];
	uint32_t n = v4_udp(ip), m;
	struct mx_packet p;
	struct decode_counters b;

	(void)state;
	n = eth_tag(in, 0, 0x0800, ip, n);
	m = vxlan(vx, in, n);
	/* the I flag missing */
	vx[0] = 0;
	n = outer_udp4(f, 0, 50000, 4789, vx, m);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp",
		       "decoder.event.vxlan.invalid_header");
	/* the last reserved byte set */
	vx[0] = 0x08;
	vx[7] = 1;
	n = outer_udp4(f, 0, 50000, 4789, vx, m);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp",
		       "decoder.event.vxlan.invalid_header");
	/* shorter than its header */
	n = outer_udp4(f, 0, 50000, 4789, vx, 5);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp",
		       "decoder.event.vxlan.header_too_small");
	/* a valid header with a cut inner frame */
	vx[7] = 0;
	n = outer_udp4(f, 0, 50000, 4789, vx, 8 + 10);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp",
		       "decoder.vxlan", "decoder.event.ethernet.pkt_too_small");
	/* a UDP length that claims more than the datagram holds is not trusted */
	n = outer_udp4(f, 0, 50000, 4789, vx, m);
	w16(f + 14 + 20 + 4, (uint16_t)(8 + m + 400));
	b = *decoder_counters(d);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 0, 0, 0);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.ethernet", "decoder.ipv4",
		     "decoder.udp", "decoder.vxlan", "decoder.event.udp.pkt_too_small", NULL);
	/* a DNS answer to port 4789 is DNS, not VXLAN */
	n = outer_udp4(f, 0, 53, 4789, vx, m);
	b = *decoder_counters(d);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	assert_int_equal(p.sport, 53);
	assert_int_equal(p.dport, 4789);
	assert_int_equal(p.payload_len, m);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.ethernet", "decoder.ipv4",
		     "decoder.udp", NULL);
	decoder_free(d);
}

/* ---- Geneve ------------------------------------------------------------------ */

/* A Geneve header of protocol proto with opt_words words of options (copied from opts). */
static uint32_t geneve(uint8_t *o, uint8_t ver, uint16_t proto, const uint8_t *opts,
		       uint8_t opt_words, const uint8_t *in, uint32_t n)
{
	o[0] = (uint8_t)(ver << 6 | opt_words);
	o[1] = 0;
	w16(o + 2, proto);
	w32(o + 4, 0x00109200);
	if (opt_words > 0)
		memcpy(o + 8, opts, opt_words * 4u);
	memmove(o + 8 + opt_words * 4u, in, n);
	return 8 + opt_words * 4u + n;
}

static void test_geneve(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	/* an option with one data word, then one with none */
	static const uint8_t opts[12] = {0x01, 0x02, 0x80, 0x01, 0xaa, 0xbb,
					 0xcc, 0xdd, 0x01, 0x03, 0x01, 0x00};
	uint8_t ip[BUF], in[BUF], gn[BUF], l4[BUF], f[BUF];
	uint32_t n = v6_udp(ip);
	struct mx_packet p;

	(void)state;
	/* Ethernet inside, over IPv6 */
	n = eth_tag(in, 0, 0x86dd, ip, n);
	n = geneve(gn, 0, 0x6558, opts, 3, in, n);
	n = build_udp(l4, 40000, 6081, gn, n);
	n = outer_ip6(f, IPPROTO_UDP, l4, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.ipv6", "decoder.udp", "decoder.geneve", NULL);
	assert_int_equal(counter(d, "decoder.ethernet"), 2);
	/* IPv4 directly inside */
	n = v4_tcp(ip);
	n = geneve(gn, 0, 0x0800, opts, 0, ip, n);
	n = outer_udp4(f, 0, 40000, 6081, gn, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	/* a protocol that is not decoded is skipped */
	n = geneve(gn, 0, 0x0806, opts, 0, ip, 28);
	n = outer_udp4(f, 0, 40000, 6081, gn, n);
	EXPECT_SKIP(d, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp", "decoder.geneve",
		    "decoder.unknown_ethertype");
	decoder_free(d);
}

static void test_geneve_bad(void **state)
{
	struct decoder *d = new_decoder();
	static const uint8_t opts[12] = {0x01, 0x02, 0x80, 0x03, 0xaa, 0xbb,
					 0xcc, 0xdd, 0x01, 0x03, 0x01, 0x00};
	uint8_t ip[BUF], gn[BUF], f[BUF];
	uint32_t n = v4_tcp(ip);

	(void)state;
	/* the first option claims three data words, overrunning the 3-word area */
	n = geneve(gn, 0, 0x0800, opts, 3, ip, n);
	n = outer_udp4(f, 0, 40000, 6081, gn, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp",
		       "decoder.event.geneve.invalid_header");
	/* version 1 */
	n = geneve(gn, 1, 0x0800, opts, 0, ip, 40);
	n = outer_udp4(f, 0, 40000, 6081, gn, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp",
		       "decoder.event.geneve.invalid_header");
	/* options beyond the datagram, and a header cut short */
	n = geneve(gn, 0, 0x0800, opts, 0, ip, 0);
	gn[0] = 40;
	n = outer_udp4(f, 0, 40000, 6081, gn, n + 20);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp",
		       "decoder.event.geneve.header_too_small");
	n = outer_udp4(f, 0, 40000, 6081, gn, 7);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.udp",
		       "decoder.event.geneve.header_too_small");
	decoder_free(d);
}

/*
 * The shape of zeek's geneve-vxlan-dns-truncated.pcap: Geneve carrying
 * IPv4/UDP to 4789, VXLAN, Ethernet, IPv4, UDP to 53; the capture keeps
 * all but the last 6 bytes, so every layer's length claims more.
 */
static void test_geneve_vxlan_snaplen_cut(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t ip[BUF], in[BUF], vx[BUF], mid[BUF], gn[BUF], f[BUF];
	uint32_t n = v4_udp(ip);
	struct mx_packet p;

	(void)state;
	n = eth_tag(in, 0, 0x0800, ip, n);
	n = vxlan(vx, in, n);
	n = build_udp(mid, 26383, 4789, vx, n);
	n = build_ipv4_from(ip, IPPROTO_UDP, 2, 0, 64, OUT4_A, OUT4_A, mid, n);
	n = geneve(gn, 0, 0x0800, NULL, 0, ip, n);
	n = outer_udp4(f, 0, 11803, 6081, gn, n);
	assert_int_equal(decoder_packet(d, DLT_EN10MB, TS0, f, n - 6, n, &p), DECODE_OK);
	check_common(&p, &(struct expect){4, IPPROTO_UDP, 63, 0, 0, 0, 5353, 53, false});
	assert_int_equal(p.payload_len, PLEN - 6);
	assert_memory_equal(p.payload, PAYLOAD, PLEN - 6);
	assert_int_equal(p.l3_len, 20 + 8 + PLEN - 6);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.snaplen_cut",
		     "decoder.ethernet", "decoder.ipv4", "decoder.udp", "decoder.geneve",
		     "decoder.vxlan", "decoder.event.ipv4.trunc_pkt",
		     "decoder.event.udp.pkt_too_small", NULL);
	assert_int_equal(counter(d, "decoder.ipv4"), 3);
	assert_int_equal(counter(d, "decoder.udp"), 3);
	assert_int_equal(counter(d, "decoder.event.ipv4.trunc_pkt"), 3);
	assert_int_equal(counter(d, "decoder.event.udp.pkt_too_small"), 3);
	decoder_free(d);
}

/* ---- GRE and ERSPAN ---------------------------------------------------------- */

static void test_gre(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t ip[BUF], in[BUF], g[BUF], f[BUF];
	uint32_t n = v4_tcp(ip);
	struct mx_packet p;

	(void)state;
	/* plain IPv4 in GRE in IPv4, outer tag cleared */
	n = gre(g, 0, 0, 0x0800, 0, ip, n);
	n = outer_ip4(f, 9, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	assert_ptr_equal(p.l3, f + 18 + 20 + 4);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.vlan", "decoder.ipv4", "decoder.gre", "decoder.tcp", NULL);
	assert_int_equal(counter(d, "decoder.ipv4"), 2);
	/* checksum, key and sequence number present; IPv6 inside; IPv6 outside */
	n = v6_udp(ip);
	n = gre(g, 0xb0, 0, 0x86dd, 3, ip, n);
	n = outer_ip6(f, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 0, 0, 0);
	assert_ptr_equal(p.l3, f + 14 + 40 + 16);
	/* transparent Ethernet bridging with a key (NVGRE), tagged inside */
	n = v4_udp(ip);
	n = eth_tag(in, 12, 0x0800, ip, n);
	n = gre(g, 0x20, 0, 0x6558, 1, in, n);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 1, 12, 0);
	/* RFC 1701 routing: checksum/offset word, one source route entry, the terminator */
	n = v4_tcp(ip);
	memset(in, 0, 16);
	w16(in, 0x0800);
	in[3] = 8;
	memcpy(in + 16, ip, n);
	n = gre(g, 0xc0, 0, 0x0800, 1, in, n + 16);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	assert_int_equal(counter(d, "decoder.gre"), 4);
	decoder_free(d);
}

static void test_gre_bad(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t ip[BUF], in[BUF], g[BUF], f[BUF];
	uint32_t n = v4_tcp(ip);

	(void)state;
	n = gre(g, 0, 1, 0x880b, 0, ip, n);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_SKIP(d, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		    "decoder.event.gre.version1_skipped");
	n = gre(g, 0, 3, 0x0800, 0, ip, 20);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.event.gre.wrong_version");
	n = outer_ip4(f, 0, IPPROTO_GRE, g, 3);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.event.gre.pkt_too_small");
	/* key and sequence flagged, only one of them there */
	n = gre(g, 0x30, 0, 0x0800, 0, ip, 0);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n + 6);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.event.gre.version0_hdr_too_big");
	/* a source route entry longer than the packet, and one without a terminator */
	memset(in, 0, 32);
	w16(in, 0x0800);
	in[3] = 200;
	n = gre(g, 0x40, 0, 0x0800, 1, in, 32);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.event.gre.version0_malformed_sre_hdr");
	in[3] = 4;
	n = gre(g, 0x40, 0, 0x0800, 1, in, 8);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.event.gre.version0_malformed_sre_hdr");
	decoder_free(d);
}

/* An ERSPAN type II header: version 1, vlan, session 5, index 0. */
static uint32_t erspan2(uint8_t *o, uint8_t ver, uint16_t vlan, const uint8_t *in, uint32_t n)
{
	w16(o, (uint16_t)(ver << 12 | vlan));
	w16(o + 2, 5);
	w32(o + 4, 0);
	memmove(o + 8, in, n);
	return 8 + n;
}

/* An ERSPAN type III header: version 2, vlan, frame type ft, subheader when o_flag. */
static uint32_t erspan3(uint8_t *o, uint8_t ver, uint16_t vlan, uint8_t ft, bool o_flag,
			const uint8_t *in, uint32_t n)
{
	uint32_t hl = o_flag ? 20 : 12;

	memset(o, 0, hl);
	w16(o, (uint16_t)(ver << 12 | vlan));
	w16(o + 2, 5);
	w32(o + 4, 0x01020304);
	o[10] = (uint8_t)(ft << 2);
	o[11] = o_flag ? 1 : 0;
	memmove(o + hl, in, n);
	return hl + n;
}

static void test_erspan(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t ip[BUF], in[BUF], es[BUF], g[BUF], f[BUF];
	uint32_t n = v4_tcp(ip), fn;
	struct mx_packet p;

	(void)state;
	/* type II, untagged mirrored frame: the header's VLAN keys the flow, not the outer tag */
	fn = eth_tag(in, 0, 0x0800, ip, n);
	n = erspan2(es, 1, 42, in, fn);
	n = gre(g, 0x10, 0, 0x88be, 1, es, n);
	n = outer_ip4(f, 9, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 1, 42, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.vlan", "decoder.ipv4", "decoder.gre", "decoder.erspan", "decoder.tcp",
		     NULL);
	/* type II, tagged mirrored frame: its own tag */
	n = v4_tcp(ip);
	fn = eth_tag(in, 77, 0x0800, ip, n);
	n = erspan2(es, 1, 42, in, fn);
	n = gre(g, 0x10, 0, 0x88be, 1, es, n);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 1, 77, 0);
	/* type I: no sequence number, no ERSPAN header */
	fn = eth_tag(in, 0, 0x0800, ip, v4_tcp(ip));
	n = gre(g, 0, 0, 0x88be, 0, in, fn);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	/* type III with a platform specific subheader */
	n = erspan3(es, 2, 0, 0, true, in, fn);
	n = gre(g, 0x10, 0, 0x22eb, 1, es, n);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	/* type III without, VLAN from the header */
	n = erspan3(es, 2, 3000, 0, false, in, fn);
	n = gre(g, 0x10, 0, 0x22eb, 1, es, n);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 1, 3000, 0);
	assert_int_equal(counter(d, "decoder.erspan"), 5);
	decoder_free(d);
}

static void test_erspan_bad(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t ip[BUF], in[BUF], es[BUF], g[BUF], f[BUF];
	uint32_t n, fn = eth_tag(in, 0, 0x0800, ip, v4_tcp(ip));

	(void)state;
	n = erspan2(es, 2, 0, in, fn);
	n = gre(g, 0x10, 0, 0x88be, 1, es, n);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.erspan", "decoder.event.erspan.unsupported_version");
	n = gre(g, 0x10, 0, 0x88be, 1, es, 7);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.erspan", "decoder.event.erspan.header_too_small");
	n = erspan3(es, 1, 0, 0, false, in, fn);
	n = gre(g, 0x10, 0, 0x22eb, 1, es, n);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.erspan", "decoder.event.erspan.unsupported_version");
	n = erspan3(es, 2, 0, 2, false, in, fn);
	n = gre(g, 0x10, 0, 0x22eb, 1, es, n);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.erspan", "decoder.event.erspan.unsupported_frame_type");
	/* the O flag promises a subheader the packet does not have */
	n = erspan3(es, 2, 0, 0, true, in, 0);
	n = gre(g, 0x10, 0, 0x22eb, 1, es, n - 4);
	n = outer_ip4(f, 0, IPPROTO_GRE, g, n);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4", "decoder.gre",
		       "decoder.erspan", "decoder.event.erspan.header_too_small");
	decoder_free(d);
}

/* ---- IP in IP and the depth limit ----------------------------------------------- */

static void test_ip_in_ip(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t ip[BUF], ext[BUF], f[BUF];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	n = outer_ip4(f, 0, IPPROTO_IPIP, ip, v4_tcp(ip));
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	n = outer_ip4(f, 0, IPPROTO_IPV6, ip, v6_tcp(ip));
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 6, 55, 0, 0, 0);
	n = outer_ip6(f, IPPROTO_IPIP, ip, v4_udp(ip));
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 0, 0, 0);
	/* IPv6 in IPv6 behind a destination options header */
	memset(ext, 0, 8);
	ext[0] = IPPROTO_IPV6;
	n = v6_udp(ext + 8);
	n = outer_ip6(f, IPPROTO_DSTOPTS, ext, n + 8);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.ipv4", "decoder.ipv6", "decoder.tcp", "decoder.udp",
		     "decoder.ipv4_in_ipv4", "decoder.ipv6_in_ipv4", "decoder.ipv4_in_ipv6",
		     "decoder.ipv6_in_ipv6", NULL);
	assert_int_equal(counter(d, "decoder.ipv4_in_ipv4"), 1);
	assert_int_equal(counter(d, "decoder.ipv6_in_ipv4"), 1);
	assert_int_equal(counter(d, "decoder.ipv4_in_ipv6"), 1);
	assert_int_equal(counter(d, "decoder.ipv6_in_ipv6"), 1);
	/* a cut inner header is the inner decoder's to count */
	n = outer_ip4(f, 0, IPPROTO_IPIP, ip, 10);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4",
		       "decoder.ipv4_in_ipv4", "decoder.event.ipv4.pkt_too_small");
	decoder_free(d);
}

/* Wraps the datagram in a[0..*n) into `levels` IPv4-in-IPv4 headers. */
static void nest_ipip(uint8_t *a, uint32_t *n, int levels)
{
	uint8_t tmp[BUF];

	for (int i = 0; i < levels; i++) {
		*n = build_ipv4_from(tmp, IPPROTO_IPIP, 1, 0, 9, OUT4_A, OUT4_B, a, *n);
		memcpy(a, tmp, *n);
	}
}

static void test_tunnel_depth(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters b;
	uint8_t ip[BUF], vx[BUF], in[BUF], f[BUF];
	uint32_t n = v4_tcp(ip), m;
	struct mx_packet p;

	(void)state;
	/* three tunnels: decoded */
	nest_ipip(ip, &n, 3);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	assert_int_equal(counter(d, "decoder.ipv4_in_ipv4"), 3);
	/* four: counted and skipped */
	nest_ipip(ip, &n, 1);
	b = *decoder_counters(d);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_SKIP);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv4",
		     "decoder.ipv4_in_ipv4", "decoder.too_many_layers", NULL);
	assert_int_equal(counter(d, "decoder.ipv4") - b.ipv4, 4);
	assert_int_equal(counter(d, "decoder.ipv4_in_ipv4") - b.ipv4_in_ipv4, 3);
	/* the limit holds across kinds: VXLAN inside three IP-in-IP levels */
	n = v4_tcp(ip);
	m = eth_tag(in, 0, 0x0800, ip, n);
	m = vxlan(vx, in, m);
	m = build_udp(in, 50000, 4789, vx, m);
	m = build_ipv4_from(ip, IPPROTO_UDP, 1, 0, 9, OUT4_A, OUT4_B, in, m);
	nest_ipip(ip, &m, 3);
	b = *decoder_counters(d);
	assert_int_equal(run(d, DLT_RAW, ip, m, &p), DECODE_SKIP);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv4",
		     "decoder.udp", "decoder.ipv4_in_ipv4", "decoder.too_many_layers", NULL);
	/* a new frame starts from depth zero again */
	n = v4_tcp(ip);
	nest_ipip(ip, &n, 2);
	n = outer_ip4(f, 0, IPPROTO_IPIP, ip, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	decoder_free(d);
}

/* ---- fragments and tunnels ----------------------------------------------------- */

/* An Ethernet + outer IPv4 fragment (id 0x77) of proto carrying dgram[off, off+len). */
static uint32_t outer_frag4(uint8_t *f, uint8_t proto, const uint8_t *dgram, uint32_t off,
			    uint32_t len, bool more)
{
	uint8_t ip[BUF];
	uint32_t m = build_ipv4_from(ip, proto, 0x77, (uint16_t)((more ? 0x2000 : 0) | off / 8), 30,
				     OUT4_A, OUT4_B, dgram + off, len);

	return eth_tag(f, 0, 0x0800, ip, m);
}

static void test_fragmented_tunnels(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t ip[BUF], in[BUF], g[BUF], f[BUF], v6[BUF];
	uint32_t n = v4_tcp(ip), m;
	struct mx_packet p;

	(void)state;
	/* GRE split into two outer fragments: decoded once rebuilt */
	m = gre(g, 0, 0, 0x0800, 0, ip, n);
	assert_true(m > 24);
	n = outer_frag4(f, IPPROTO_GRE, g, 0, 24, true);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = outer_frag4(f, IPPROTO_GRE, g, 24, m - 24, false);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	p.reassembled = false;
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.ipv4", "decoder.gre", "decoder.tcp", "defrag.ipv4.fragments",
		     "defrag.ipv4.reassembled", NULL);
	/* VXLAN split into two outer fragments */
	n = v4_udp(ip);
	m = eth_tag(in, 0, 0x0800, ip, n);
	m = vxlan(g, in, m);
	m = build_udp(in, 50000, 4789, g, m);
	n = outer_frag4(f, IPPROTO_UDP, in, 0, 32, true);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = outer_frag4(f, IPPROTO_UDP, in, 32, m - 32, false);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	assert_true(p.reassembled);
	p.reassembled = false;
	check_std_udp(&p, 4, 63, 0, 0, 0);
	assert_int_equal(counter(d, "decoder.vxlan"), 1);
	/* GRE in IPv6 fragments */
	n = v6_tcp(ip);
	m = gre(g, 0, 0, 0x86dd, 0, ip, n);
	memset(v6, 0, 8);
	v6[0] = IPPROTO_GRE;
	w16(v6 + 2, 1);
	w32(v6 + 4, 99);
	memcpy(v6 + 8, g, 32);
	n = outer_ip6(f, IPPROTO_FRAGMENT, v6, 40);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	w16(v6 + 2, 32);
	memcpy(v6 + 8, g + 32, m - 32);
	n = outer_ip6(f, IPPROTO_FRAGMENT, v6, 8 + m - 32);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	p.reassembled = false;
	check_std_tcp(&p, 6, 55, 0, 0, 0);
	decoder_free(d);
}

static void test_fragments_inside_tunnel(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t l4[64], data[40], ip[BUF], in[BUF], vx[BUF], f[BUF];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	fill_pattern(data, 40, 3);
	build_udp(l4, 5353, 53, data, 40);
	/* each VXLAN packet carries one inner fragment, tagged inside with VLAN 5 */
	n = build_ipv4(ip, IPPROTO_UDP, 0x31, 0x2000, 64, l4, 24);
	n = eth_tag(in, 5, 0x0800, ip, n);
	n = vxlan(vx, in, n);
	n = outer_udp4(f, 0, 50000, 4789, vx, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = build_ipv4(ip, IPPROTO_UDP, 0x31, 3, 64, l4 + 24, 24);
	n = eth_tag(in, 5, 0x0800, ip, n);
	n = vxlan(vx, in, n);
	n = outer_udp4(f, 0, 50000, 4789, vx, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_common(&p, &(struct expect){4, IPPROTO_UDP, 64, 1, 5, 0, 5353, 53, true});
	assert_int_equal(p.payload_len, 40);
	assert_memory_equal(p.payload, data, 40);
	/* l3 is the rebuilt inner datagram with a whole header */
	assert_int_equal(p.l3_len, 68);
	assert_int_equal(p.l3[2] << 8 | p.l3[3], 68);
	assert_int_equal(p.l3[6] << 8 | p.l3[7], 0);
	assert_int_equal(counter(d, "defrag.ipv4.reassembled"), 1);
	assert_int_equal(counter(d, "decoder.vxlan"), 2);
	decoder_free(d);
}

static void test_counter_names(void **state)
{
	static const char *const names[] = {
	    "decoder.pppoe",
	    "decoder.mpls",
	    "decoder.vxlan",
	    "decoder.geneve",
	    "decoder.gre",
	    "decoder.erspan",
	    "decoder.ipv4_in_ipv4",
	    "decoder.ipv6_in_ipv4",
	    "decoder.ipv4_in_ipv6",
	    "decoder.ipv6_in_ipv6",
	    "decoder.too_many_layers",
	};
	struct decoder *d = new_decoder();

	(void)state;
	for (size_t i = 0; i < MX_ARRAY_LEN(names); i++)
		assert_int_equal(counter(d, names[i]), 0);
	decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pppoe_session_qinq),
	    cmocka_unit_test(test_pppoe_skipped_and_bad),
	    cmocka_unit_test(test_mpls),
	    cmocka_unit_test(test_mpls_bad),
	    cmocka_unit_test(test_vxlan),
	    cmocka_unit_test(test_vxlan_garbage),
	    cmocka_unit_test(test_geneve),
	    cmocka_unit_test(test_geneve_bad),
	    cmocka_unit_test(test_geneve_vxlan_snaplen_cut),
	    cmocka_unit_test(test_gre),
	    cmocka_unit_test(test_gre_bad),
	    cmocka_unit_test(test_erspan),
	    cmocka_unit_test(test_erspan_bad),
	    cmocka_unit_test(test_ip_in_ip),
	    cmocka_unit_test(test_tunnel_depth),
	    cmocka_unit_test(test_fragmented_tunnels),
	    cmocka_unit_test(test_fragments_inside_tunnel),
	    cmocka_unit_test(test_counter_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
