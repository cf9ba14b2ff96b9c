/*
 * test_decode.c - unit tests of the decode stage: frames built by hand for
 * every link type and tag stack, IPv6 extension headers, IPv4 and IPv6
 * fragment reassembly (in order, out of order, overlapping), the IP
 * datagram handed on as l3 (bounds, rebuilt headers of reassembled
 * datagrams), and each malformed case with the exact counters it must
 * move. Tunnels, PPPoE and MPLS are in test_decode_tunnel.c.
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

/* ---- link layers --------------------------------------------------------- */

static void test_ethernet_ipv4_tcp(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t ip[512], f[600];
	uint32_t n = build_eth(f, NULL, NULL, 0, 0x0800, ip, v4_tcp(ip));
	struct mx_packet p;

	(void)state;
	assert_int_equal(decoder_packet(d, DLT_EN10MB, TS0 + 5, f, n, n + 4, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	assert_int_equal(p.ts_us, TS0 + 5);
	assert_int_equal(p.caplen, n);
	assert_int_equal(p.wirelen, n + 4);
	assert_true(p.payload >= f && p.payload + p.payload_len <= f + n);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.ipv4", "decoder.tcp", "decoder.snaplen_cut", NULL);
	assert_int_equal(counter(d, "decoder.bytes"), n);
	decoder_free(d);
}

static void test_vlan_8021q_udp(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint16_t tp[] = {0x8100}, vid[] = {0x2000 | 100}; /* priority bits must be masked */
	uint8_t ip[512], f[600];
	uint32_t n = build_eth(f, tp, vid, 1, 0x0800, ip, v4_udp(ip));
	struct mx_packet p;

	(void)state;
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 1, 100, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.vlan", "decoder.ipv4", "decoder.udp", NULL);
	decoder_free(d);
}

static void test_qinq_8021ad_ipv6_tcp(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint16_t tp[] = {0x88a8, 0x8100}, vid[] = {200, 300};
	uint8_t ip[512], f[600];
	uint32_t n = build_eth(f, tp, vid, 2, 0x86dd, ip, v6_tcp(ip));
	struct mx_packet p;

	(void)state;
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 6, 55, 2, 200, 300);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.vlan", "decoder.vlan_qinq", "decoder.ipv6", "decoder.tcp", NULL);
	decoder_free(d);
}

static void test_vlan_three_tags_decoded(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint16_t tp[] = {0x9100, 0x88a8, 0x8100}, vid[] = {11, 12, 13};
	uint8_t ip[512], f[600];
	uint32_t n = build_eth(f, tp, vid, 3, 0x0800, ip, v4_udp(ip));
	struct mx_packet p;

	(void)state;
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 2, 11, 12);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.vlan", "decoder.vlan_qinq", "decoder.event.vlan.too_many_layers",
		     "decoder.ipv4", "decoder.udp", NULL);
	decoder_free(d);
}

static void test_vlan_nine_tags_invalid(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint16_t tp[9], vid[9];
	uint8_t ip[512], f[600];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	for (int i = 0; i < 9; i++) {
		tp[i] = 0x8100;
		vid[i] = (uint16_t)(i + 1);
	}
	n = build_eth(f, tp, vid, 9, 0x0800, ip, v4_udp(ip));
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_INVALID);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.event.vlan.too_many_layers", "decoder.invalid", NULL);
	decoder_free(d);
}

static void test_sll_ipv4_tcp(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t f[600];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	memset(f, 0, 16);
	w16(f, 0);     /* packet to us */
	w16(f + 2, 1); /* ARPHRD_ETHER */
	w16(f + 4, 6); /* address length */
	w16(f + 14, 0x0800);
	n = 16 + v4_tcp(f + 16);
	assert_int_equal(run(d, DLT_LINUX_SLL, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.sll", "decoder.ipv4",
		     "decoder.tcp", NULL);
	decoder_free(d);
}

static void test_sll_vlan_ipv6_udp(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t f[600];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	memset(f, 0, 16);
	w16(f + 14, 0x8100);
	w16(f + 16, 42);
	w16(f + 18, 0x86dd);
	n = 20 + v6_udp(f + 20);
	assert_int_equal(run(d, DLT_LINUX_SLL, f, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 1, 42, 0);
	decoder_free(d);
}

static void test_sll2_ipv6_udp(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t f[600];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	memset(f, 0, 20);
	w16(f, 0x86dd);
	w32(f + 4, 3); /* ifindex */
	w16(f + 8, 1); /* ARPHRD_ETHER */
	f[11] = 6;
	n = 20 + v6_udp(f + 20);
	assert_int_equal(run(d, DLT_LINUX_SLL2, f, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.sll2", "decoder.ipv6",
		     "decoder.udp", NULL);
	decoder_free(d);
}

static void test_raw_ipv4_and_ipv6(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t f[600];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	n = v4_tcp(f);
	assert_int_equal(run(d, DLT_RAW, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 4, 64, 0, 0, 0);
	n = v6_tcp(f);
	assert_int_equal(run(d, 101 /* LINKTYPE_RAW */, f, n, &p), DECODE_OK);
	check_std_tcp(&p, 6, 55, 0, 0, 0);
	n = v4_udp(f);
	assert_int_equal(run(d, DLT_IPV4, f, n, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 0, 0, 0);
	n = v6_udp(f);
	assert_int_equal(run(d, DLT_IPV6, f, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv4",
		     "decoder.ipv6", "decoder.tcp", "decoder.udp", NULL);
	assert_int_equal(counter(d, "decoder.raw"), 4);
	assert_int_equal(counter(d, "decoder.ipv4"), 2);
	assert_int_equal(counter(d, "decoder.ipv6"), 2);
	decoder_free(d);
}

static void test_bsd_loopback_both_orders(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	static const uint8_t fams[][4] = {
	    {2, 0, 0, 0},  /* AF_INET, little-endian host */
	    {0, 0, 0, 2},  /* AF_INET, big-endian (DLT_LOOP) */
	    {24, 0, 0, 0}, /* AF_INET6 NetBSD/OpenBSD */
	    {0, 0, 0, 28}, /* AF_INET6 FreeBSD, big-endian */
	    {30, 0, 0, 0}, /* AF_INET6 Darwin */
	    {0, 0, 0, 30},
	};
	uint8_t f[600];
	struct mx_packet p;

	(void)state;
	for (size_t i = 0; i < MX_ARRAY_LEN(fams); i++) {
		bool v6 = fams[i][0] + fams[i][3] != 2;
		uint32_t n = 4 + (v6 ? v6_tcp(f + 4) : v4_tcp(f + 4));

		memcpy(f, fams[i], 4);
		assert_int_equal(run(d, i % 2 ? DLT_LOOP : DLT_NULL, f, n, &p), DECODE_OK);
		check_std_tcp(&p, v6 ? 6 : 4, v6 ? 55 : 64, 0, 0, 0);
	}
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.null", "decoder.ipv4",
		     "decoder.ipv6", "decoder.tcp", NULL);
	assert_int_equal(counter(d, "decoder.null"), MX_ARRAY_LEN(fams));
	/* An unknown family is skipped and counted. */
	before = *decoder_counters(d);
	memcpy(f, (const uint8_t[]){7, 0, 0, 0}, 4);
	assert_int_equal(run(d, DLT_NULL, f, 44, &p), DECODE_SKIP);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.null",
		     "decoder.unknown_ethertype", NULL);
	decoder_free(d);
}

static void test_ipv6_extension_headers(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t ext[512], ip[600];
	uint32_t n = 0, l4;
	struct mx_packet p;

	(void)state;
	/* hop-by-hop (8 bytes, PadN) -> routing (24 bytes) -> destination options (16 bytes) */
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_ROUTING;
	ext[1] = 0;
	ext[2] = 1; /* PadN */
	ext[3] = 4;
	n = 8;
	ext[n] = IPPROTO_DSTOPTS;
	ext[n + 1] = 2;
	ext[n + 2] = 4; /* segment routing type, opaque here */
	n += 24;
	ext[n] = IPPROTO_TCP;
	ext[n + 1] = 1;
	ext[n + 2] = 1;
	ext[n + 3] = 12;
	n += 16;
	l4 = build_tcp(ext + n, 40000, 25, 1000, 2000, 0x18, 512, NULL, 0, PAYLOAD, PLEN);
	n = build_ipv6(ip, IPPROTO_HOPOPTS, 55, ext, n + l4);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	check_std_tcp(&p, 6, 55, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv6",
		     "decoder.tcp", NULL);
	decoder_free(d);
}

static void test_ipv6_ah_skipped_esp_skip(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t ext[512], ip[600];
	uint32_t n, l4;
	struct mx_packet p;
	struct decode_counters before;

	(void)state;
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_UDP;
	ext[1] = 4; /* (4 + 2) * 4 = 24 bytes */
	l4 = build_udp(ext + 24, 5353, 53, PAYLOAD, PLEN);
	n = build_ipv6(ip, IPPROTO_AH, 54, ext, 24 + l4);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	check_std_udp(&p, 6, 54, 0, 0, 0);
	before = *decoder_counters(d);
	n = build_ipv6(ip, IPPROTO_ESP, 54, ext, 24);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_SKIP);
	n = build_ipv6(ip, 59, 54, ext, 0);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_SKIP);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv6",
		     "decoder.other_l4", NULL);
	assert_int_equal(counter(d, "decoder.other_l4"), 2);
	decoder_free(d);
}

static void test_tcp_options_and_flags(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	/* MSS 1460, SACK permitted, NOP, window scale 7, NOP, NOP, EOL padding */
	static const uint8_t opt[] = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 0};
	uint8_t l4[256], ip[300];
	uint32_t n = build_tcp(l4, 25, 40000, 0xfffffff0u, 0x80000001u, 0xc2, 65535, opt,
			       sizeof(opt), NULL, 0);
	struct mx_packet p;

	(void)state;
	n = build_ipv4(ip, IPPROTO_TCP, 9, 0, 128, l4, n);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_int_equal(p.sport, 25);
	assert_int_equal(p.dport, 40000);
	assert_int_equal(p.seq, 0xfffffff0u);
	assert_int_equal(p.ack, 0x80000001u);
	assert_int_equal(p.tcp_flags, 0xc2);
	assert_int_equal(p.win, 65535);
	assert_int_equal(p.ttl, 128);
	assert_int_equal(p.payload_len, 0);
	assert_ptr_equal(p.payload, ip + 20 + 20 + sizeof(opt));
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv4",
		     "decoder.tcp", NULL);
	decoder_free(d);
}

static void test_ipv4_options_and_trailer(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t l4[256], ip[300], f[400];
	uint32_t n = build_udp(l4, 5353, 53, PAYLOAD, PLEN);
	struct mx_packet p;

	(void)state;
	/* 8 bytes of options (NOP x3, EOL, pad) between header and UDP */
	memset(ip, 0, 28);
	ip[0] = 0x47;
	w16(ip + 2, (uint16_t)(28 + n));
	ip[8] = 63;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, SRC4, 4);
	memcpy(ip + 16, DST4, 4);
	ip[20] = ip[21] = ip[22] = 1;
	memcpy(ip + 28, l4, n);
	n += 28;
	/* Ethernet padding after the datagram must not become payload. */
	n = build_eth(f, NULL, NULL, 0, 0x0800, ip, n);
	memset(f + n, 0xaa, 6);
	assert_int_equal(run(d, DLT_EN10MB, f, n + 6, &p), DECODE_OK);
	check_std_udp(&p, 4, 63, 0, 0, 0);
	decoder_free(d);
}

static void test_skip_other_l3_l4(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t arp[28] = {0}, icmp[8] = {8, 0}, ip[100], f[200];
	uint32_t n = build_eth(f, NULL, NULL, 0, 0x0806, arp, sizeof(arp));
	struct mx_packet p;

	(void)state;
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_SKIP);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.unknown_ethertype", NULL);
	before = *decoder_counters(d);
	n = build_ipv4(ip, IPPROTO_ICMP, 1, 0, 64, icmp, sizeof(icmp));
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_SKIP);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv4",
		     "decoder.other_l4", NULL);
	decoder_free(d);
}

/* ---- malformed ------------------------------------------------------------ */

static void test_bad_link_layers(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t ip[512], f[600];
	uint16_t tp[] = {0x8100};
	uint16_t vid[] = {5};
	uint32_t n;
	struct decode_counters before;
	struct mx_packet p;

	(void)state;
	n = build_eth(f, NULL, NULL, 0, 0x0800, ip, v4_tcp(ip));
	EXPECT_INVALID(d, 147 /* DLT_USER0 */, f, n, "decoder.unknown_linktype");
	EXPECT_INVALID(d, DLT_EN10MB, f, 10, "decoder.ethernet",
		       "decoder.event.ethernet.pkt_too_small");
	n = build_eth(f, tp, vid, 1, 0x0800, ip, 0);
	assert_int_equal(n, 18);
	EXPECT_INVALID(d, DLT_EN10MB, f, n - 2, "decoder.ethernet",
		       "decoder.event.vlan.header_too_small");
	EXPECT_INVALID(d, DLT_LINUX_SLL, f, 15, "decoder.sll", "decoder.event.sll.pkt_too_small");
	EXPECT_INVALID(d, DLT_LINUX_SLL2, f, 19, "decoder.sll2",
		       "decoder.event.sll2.pkt_too_small");
	EXPECT_INVALID(d, DLT_NULL, f, 3, "decoder.null", "decoder.event.ltnull.pkt_too_small");
	f[0] = 0x50;
	EXPECT_INVALID(d, DLT_RAW, f, 40, "decoder.raw", "decoder.event.ipraw.invalid_ip_version");
	before = *decoder_counters(d);
	assert_int_equal(run(d, DLT_RAW, f, 0, &p), DECODE_INVALID);
	assert_moved(d, &before, "decoder.pkts", "decoder.raw", "decoder.invalid",
		     "decoder.event.ipraw.invalid_ip_version", NULL);
	assert_false(decoder_supports_dlt(147));
	assert_true(decoder_supports_dlt(DLT_LINUX_SLL2));
	decoder_free(d);
}

static void test_bad_ipv4(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t ip[512];
	uint32_t n = v4_tcp(ip);
	struct mx_packet p;
	struct decode_counters b;

	(void)state;
	EXPECT_INVALID(d, DLT_RAW, ip, 19, "decoder.raw", "decoder.ipv4",
		       "decoder.event.ipv4.pkt_too_small");
	ip[0] = 0x44; /* hlen 16 */
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv4",
		       "decoder.event.ipv4.hlen_too_small");
	ip[0] = 0x45;
	w16(ip + 2, 19); /* total length < hlen */
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv4",
		       "decoder.event.ipv4.iplen_smaller_than_hlen");
	w16(ip + 2, 60);
	ip[0] = 0x4f; /* 60-byte header, 30 bytes captured */
	EXPECT_INVALID(d, DLT_RAW, ip, 30, "decoder.raw", "decoder.ipv4",
		       "decoder.event.ipv4.opt_trunc");
	ip[0] = 0x65;
	EXPECT_INVALID(d, DLT_IPV4, ip, n, "decoder.raw", "decoder.ipv4",
		       "decoder.event.ipv4.wrong_ip_version");
	/* total length > captured: decoded with what is there, and counted */
	n = v4_tcp(ip);
	b = *decoder_counters(d);
	assert_int_equal(decoder_packet(d, DLT_RAW, TS0, ip, n - 5, n, &p), DECODE_OK);
	assert_int_equal(p.payload_len, PLEN - 5);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv4",
		     "decoder.tcp", "decoder.event.ipv4.trunc_pkt", "decoder.snaplen_cut", NULL);
	decoder_free(d);
}

static void test_bad_tcp(void **state)
{
	struct decoder *d = new_decoder();
	static const uint8_t badopt[] = {2, 4, 0x05, 0xb4, 8, 9, 0, 0};
	uint8_t l4[256], ip[300];
	uint32_t n;
	struct mx_packet p;
	struct decode_counters b;

	(void)state;
	n = build_tcp(l4, 1, 2, 3, 4, 0x02, 5, NULL, 0, NULL, 0);
	l4[12] = 4 << 4; /* data offset 4 */
	n = build_ipv4(ip, IPPROTO_TCP, 1, 0, 64, l4, n);
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv4", "decoder.tcp",
		       "decoder.event.tcp.hlen_too_small");
	n = build_tcp(l4, 1, 2, 3, 4, 0x02, 5, NULL, 0, PAYLOAD, 4);
	l4[12] = 15 << 4; /* 60-byte header in a 24-byte segment */
	n = build_ipv4(ip, IPPROTO_TCP, 1, 0, 64, l4, n);
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv4", "decoder.tcp",
		       "decoder.event.tcp.invalid_optlen");
	n = build_ipv4(ip, IPPROTO_TCP, 1, 0, 64, l4, 12);
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv4", "decoder.tcp",
		       "decoder.event.tcp.pkt_too_small");
	/* an option running past the header is counted, the segment still decoded */
	n = build_tcp(l4, 1, 2, 3, 4, 0x10, 5, badopt, sizeof(badopt), PAYLOAD, PLEN);
	n = build_ipv4(ip, IPPROTO_TCP, 1, 0, 64, l4, n);
	b = *decoder_counters(d);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_int_equal(p.payload_len, PLEN);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv4",
		     "decoder.tcp", "decoder.event.tcp.opt_invalid_len", NULL);
	decoder_free(d);
}

static void test_bad_udp(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t l4[256], ip[300];
	uint32_t n;
	struct mx_packet p;
	struct decode_counters b;

	(void)state;
	n = build_udp(l4, 1, 53, PAYLOAD, 10);
	w16(l4 + 4, 7);
	n = build_ipv4(ip, IPPROTO_UDP, 1, 0, 64, l4, n);
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv4", "decoder.udp",
		       "decoder.event.udp.len_invalid");
	n = build_ipv4(ip, IPPROTO_UDP, 1, 0, 64, l4, 6);
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv4", "decoder.udp",
		       "decoder.event.udp.hlen_too_small");
	/* UDP length beyond the IP payload: the smaller is used and counted */
	n = build_udp(l4, 1, 53, PAYLOAD, 10);
	w16(l4 + 4, 100);
	n = build_ipv4(ip, IPPROTO_UDP, 1, 0, 64, l4, n);
	b = *decoder_counters(d);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_int_equal(p.payload_len, 10);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv4",
		     "decoder.udp", "decoder.event.udp.pkt_too_small", NULL);
	/* UDP length shorter than the IP payload: trailing bytes are not payload */
	w16(l4 + 4, 12);
	n = build_ipv4(ip, IPPROTO_UDP, 1, 0, 64, l4, 18);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_int_equal(p.payload_len, 4);
	decoder_free(d);
}

static void test_bad_ipv6(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t ext[512], ip[700];
	uint32_t n;
	struct mx_packet p;
	struct decode_counters b;

	(void)state;
	n = v6_tcp(ip);
	EXPECT_INVALID(d, DLT_RAW, ip, 39, "decoder.raw", "decoder.ipv6",
		       "decoder.event.ipv6.pkt_too_small");
	ip[0] = 0x40;
	EXPECT_INVALID(d, DLT_IPV6, ip, n, "decoder.raw", "decoder.ipv6",
		       "decoder.event.ipv6.wrong_ip_version");
	/* destination options claiming 64 bytes in a 16-byte payload */
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_TCP;
	ext[1] = 7;
	n = build_ipv6(ip, IPPROTO_DSTOPTS, 1, ext, 16);
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv6",
		       "decoder.event.ipv6.trunc_exthdr");
	/* an extension header cut before its length byte */
	n = build_ipv6(ip, IPPROTO_HOPOPTS, 1, ext, 4);
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv6",
		       "decoder.event.ipv6.trunc_exthdr");
	/* nine destination options headers */
	memset(ext, 0, sizeof(ext));
	for (int i = 0; i < 9; i++)
		ext[i * 8] = i < 8 ? IPPROTO_DSTOPTS : IPPROTO_TCP;
	n = build_ipv6(ip, IPPROTO_DSTOPTS, 1, ext, 9 * 8 + 20);
	EXPECT_INVALID(d, DLT_RAW, ip, n, "decoder.raw", "decoder.ipv6",
		       "decoder.event.ipv6.too_many_exthdrs");
	/* payload length beyond the capture: decoded with what is there */
	n = v6_udp(ip);
	b = *decoder_counters(d);
	assert_int_equal(decoder_packet(d, DLT_RAW, TS0, ip, n - 3, n - 3, &p), DECODE_OK);
	assert_int_equal(p.payload_len, PLEN - 3);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv6",
		     "decoder.udp", "decoder.event.ipv6.trunc_pkt",
		     "decoder.event.udp.pkt_too_small", NULL);
	decoder_free(d);
}

/* ---- fragments ------------------------------------------------------------ */

/* The datagram the IPv4 fragment tests split: UDP 5353 -> 53 with 40 bytes. */
static uint32_t frag_datagram(uint8_t *l4, uint8_t *data)
{
	fill_pattern(data, 40, 3);
	return build_udp(l4, 5353, 53, data, 40);
}

/* An IPv4 fragment at offset off carrying len bytes at data, in an Ethernet frame. */
static uint32_t v4_frag_data(uint8_t *f, const uint8_t *data, uint32_t off, uint32_t len, bool more,
			     uint16_t id, uint8_t ttl)
{
	uint8_t ip[2000];
	uint32_t n = build_ipv4(ip, IPPROTO_UDP, id, (uint16_t)((more ? 0x2000 : 0) | off / 8), ttl,
				data, len);

	return build_eth(f, NULL, NULL, 0, 0x0800, ip, n);
}

/* An IPv4 fragment of bytes [off, off+len) of l4. */
static uint32_t v4_frag(uint8_t *f, const uint8_t *l4, uint32_t off, uint32_t len, bool more,
			uint16_t id, uint8_t ttl)
{
	return v4_frag_data(f, l4 + off, off, len, more, id, ttl);
}

static void check_frag_result_vlan(const struct mx_packet *p, const uint8_t *data, uint8_t nvlan,
				   uint16_t vid)
{
	struct expect e = {4, IPPROTO_UDP, 64, nvlan, vid, 0, 5353, 53, true};

	check_common(p, &e);
	assert_int_equal(p->payload_len, 40);
	assert_memory_equal(p->payload, data, 40);
	assert_int_equal(p->caplen, 20 + 48);
	assert_int_equal(p->wirelen, 20 + 48);
}

static void check_frag_result(const struct mx_packet *p, const uint8_t *data)
{
	check_frag_result_vlan(p, data, 0, 0);
}

static void test_ipv4_frags_in_order(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t l4[64], data[40], f[200];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	frag_datagram(l4, data);
	n = v4_frag(f, l4, 0, 16, true, 0x1234, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	assert_true(counter(d, "defrag.memuse") > 0);
	n = v4_frag(f, l4, 16, 16, true, 0x1234, 61);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = v4_frag(f, l4, 32, 16, false, 0x1234, 62);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_frag_result(&p, data);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.ipv4", "decoder.udp", "defrag.ipv4.fragments",
		     "defrag.ipv4.reassembled", NULL);
	assert_int_equal(counter(d, "defrag.ipv4.fragments"), 3);
	assert_int_equal(counter(d, "defrag.ipv4.reassembled"), 1);
	assert_int_equal(counter(d, "decoder.ipv4"), 3);
	assert_int_equal(counter(d, "decoder.udp"), 1);
	assert_int_equal(counter(d, "defrag.memuse"), 0);
	decoder_free(d);
}

static void test_ipv4_frags_out_of_order_vlan(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t l4[64], data[40], f[200], ip[200];
	uint16_t tp[] = {0x8100}, vid[] = {77};
	uint32_t order[3] = {32, 0, 16}, n;
	struct mx_packet p;
	enum decode_result r = DECODE_INVALID;

	(void)state;
	frag_datagram(l4, data);
	for (int i = 0; i < 3; i++) {
		uint32_t off = order[i];

		n = build_ipv4(ip, IPPROTO_UDP, 0x99,
			       (uint16_t)((off == 32 ? 0 : 0x2000) | off / 8), off ? 60 : 64,
			       l4 + off, 16);
		n = build_eth(f, tp, vid, 1, 0x0800, ip, n);
		r = run(d, DLT_EN10MB, f, n, &p);
		assert_int_equal(r, i < 2 ? DECODE_HELD : DECODE_OK);
	}
	check_frag_result_vlan(&p, data, 1, 77);
	/* The same id on another VLAN is another train. */
	n = build_ipv4(ip, IPPROTO_UDP, 0x99, 0x2000, 64, l4, 16);
	n = build_eth(f, tp, (uint16_t[]){78}, 1, 0x0800, ip, n);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = v4_frag(f, l4, 16, 32, false, 0x99, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	assert_int_equal(counter(d, "defrag.ipv4.reassembled"), 1);
	decoder_free(d);
}

static void test_ipv4_frags_overlap_same(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t l4[64], data[40], f[200];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	frag_datagram(l4, data);
	n = v4_frag(f, l4, 0, 16, true, 5, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = v4_frag(f, l4, 8, 16, true, 5, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = v4_frag(f, l4, 24, 24, false, 5, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_frag_result(&p, data);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.ipv4", "decoder.udp", "defrag.ipv4.fragments",
		     "defrag.ipv4.reassembled", "defrag.overlap", NULL);
	assert_int_equal(counter(d, "defrag.overlap"), 1);
	decoder_free(d);
}

static void test_ipv4_frags_overlap_different(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t l4[64], evil[64], data[40], want[40], f[200];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	frag_datagram(l4, data);
	memcpy(evil, l4, sizeof(evil));
	memset(evil + 8, 0xee, 8); /* bytes 8..15 of the datagram: data[0..7] */
	/* The conflicting fragment arrives first, so its bytes win. */
	n = v4_frag(f, evil, 8, 16, true, 6, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = v4_frag(f, l4, 0, 24, true, 6, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = v4_frag(f, l4, 24, 24, false, 6, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	memcpy(want, data, 40);
	memset(want, 0xee, 8);
	check_frag_result(&p, want);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.ethernet",
		     "decoder.ipv4", "decoder.udp", "defrag.ipv4.fragments",
		     "defrag.ipv4.reassembled", "defrag.overlap", "defrag.overlap_diff", NULL);
	assert_int_equal(counter(d, "defrag.overlap"), 1);
	assert_int_equal(counter(d, "defrag.overlap_diff"), 1);
	decoder_free(d);
}

/* An IPv6 fragment of bytes [off, off+len) of l4 (next header nh). */
static uint32_t v6_frag(uint8_t *o, const uint8_t *l4, uint32_t off, uint32_t len, bool more,
			uint32_t id, uint8_t nh, bool with_hbh)
{
	uint8_t pl[2000];
	uint32_t n = 0;

	if (with_hbh) {
		memset(pl, 0, 8);
		pl[0] = IPPROTO_FRAGMENT;
		pl[2] = 1;
		pl[3] = 4;
		n = 8;
	}
	pl[n] = nh;
	pl[n + 1] = 0;
	w16(pl + n + 2, (uint16_t)(off | (more ? 1 : 0)));
	w32(pl + n + 4, id);
	memcpy(pl + n + 8, l4 + off, len);
	return build_ipv6(o, with_hbh ? IPPROTO_HOPOPTS : IPPROTO_FRAGMENT, 55, pl, n + 8 + len);
}

static void test_ipv6_frags(void **state)
{
	struct decoder *d = new_decoder();
	struct decode_counters before = *decoder_counters(d);
	uint8_t l4[256], ip[400];
	uint32_t n, tl = build_tcp(l4, 40000, 25, 1000, 2000, 0x18, 512, NULL, 0, PAYLOAD, PLEN);
	struct mx_packet p;

	(void)state;
	assert_true(tl > 24);
	n = v6_frag(ip, l4, 24, tl - 24, false, 0xdeadbeef, IPPROTO_TCP, false);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_HELD);
	/* another train: same addresses, other id */
	n = v6_frag(ip, l4, 0, 24, true, 0xdeadbeee, IPPROTO_TCP, false);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_HELD);
	n = v6_frag(ip, l4, 0, 24, true, 0xdeadbeef, IPPROTO_TCP, true);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_true(p.reassembled);
	assert_int_equal(p.caplen, 40 + tl);
	p.reassembled = false; /* the rest as the whole segment */
	check_std_tcp(&p, 6, 55, 0, 0, 0);
	assert_moved(d, &before, "decoder.pkts", "decoder.bytes", "decoder.raw", "decoder.ipv6",
		     "decoder.tcp", "defrag.ipv6.fragments", "defrag.ipv6.reassembled",
		     "defrag.memuse", NULL);
	assert_int_equal(counter(d, "defrag.ipv6.fragments"), 3);
	/* an atomic fragment is decoded directly */
	n = v6_frag(ip, l4, 0, tl, false, 1, IPPROTO_TCP, false);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	check_std_tcp(&p, 6, 55, 0, 0, 0);
	assert_false(p.reassembled);
	assert_int_equal(counter(d, "defrag.ipv6.fragments"), 3);
	decoder_free(d);
}

static void test_frag_invalid_and_too_large(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t l4[64], data[40], f[200], big[80];
	uint32_t n;

	(void)state;
	frag_datagram(l4, data);
	/* a non-final fragment whose length is not a multiple of 8 */
	n = v4_frag(f, l4, 0, 12, true, 1, 64);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4",
		       "defrag.ipv4.fragments", "defrag.invalid");
	/* past the end the final fragment fixed */
	n = v4_frag(f, l4, 16, 8, false, 2, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &(struct mx_packet){0}), DECODE_HELD);
	n = v4_frag(f, l4, 16, 16, true, 2, 64);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4",
		       "defrag.ipv4.fragments", "defrag.invalid");
	/* a datagram beyond 65535 bytes */
	memset(big, 0, sizeof(big));
	n = v4_frag_data(f, big, 65512, 24, false, 3, 64);
	EXPECT_INVALID(d, DLT_EN10MB, f, n, "decoder.ethernet", "decoder.ipv4",
		       "defrag.ipv4.fragments", "defrag.pkt_too_large");
	decoder_free(d);
}

static void test_frag_memcap(void **state)
{
	struct decode_config cfg;
	struct decoder *d;
	uint8_t l4[1100], f[1200];
	uint32_t n, held = 0;
	struct mx_packet p;
	enum decode_result r = DECODE_HELD;
	struct decode_counters b;

	(void)state;
	decode_config_defaults(&cfg);
	cfg.checksum = CHECKSUM_NONE;
	cfg.defrag_memcap = 4096;
	d = decoder_new(&cfg);
	assert_non_null(d);
	memset(l4, 0x5a, sizeof(l4));
	for (uint16_t id = 1; id < 20 && r == DECODE_HELD; id++) {
		n = v4_frag(f, l4, 0, 1000, true, id, 64);
		b = *decoder_counters(d);
		r = run(d, DLT_EN10MB, f, n, &p);
		if (r == DECODE_HELD)
			held++;
	}
	assert_int_equal(r, DECODE_SKIP);
	assert_true(held >= 2 && held <= 4);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.ethernet", "decoder.ipv4",
		     "defrag.ipv4.fragments", "defrag.memcap_drop", NULL);
	assert_int_equal(counter(d, "defrag.memcap_drop"), 1);
	assert_true(counter(d, "defrag.memuse") <= 4096);
	decoder_free(d);
}

static void test_frag_limits(void **state)
{
	struct decode_config cfg;
	struct decoder *d;
	uint8_t l4[64], data[40], f[200];
	uint32_t n;
	struct mx_packet p;
	struct decode_counters b;

	(void)state;
	decode_config_defaults(&cfg);
	cfg.checksum = CHECKSUM_NONE;
	cfg.defrag_max_trains = 2;
	cfg.defrag_max_frags = 2;
	d = decoder_new(&cfg);
	assert_non_null(d);
	frag_datagram(l4, data);
	for (uint16_t id = 1; id <= 2; id++) {
		n = v4_frag(f, l4, 0, 8, true, id, 64);
		assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	}
	b = *decoder_counters(d);
	n = v4_frag(f, l4, 0, 8, true, 3, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_SKIP);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.ethernet", "decoder.ipv4",
		     "defrag.ipv4.fragments", "defrag.max_trackers_reached", NULL);
	n = v4_frag(f, l4, 16, 8, true, 1, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	b = *decoder_counters(d);
	n = v4_frag(f, l4, 32, 16, false, 1, 64);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_SKIP);
	assert_moved(d, &b, "decoder.pkts", "decoder.bytes", "decoder.ethernet", "decoder.ipv4",
		     "defrag.ipv4.fragments", "defrag.max_frags_reached", "defrag.memuse", NULL);
	decoder_free(d);
}

static void test_frag_timeout(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t l4[64], data[40], f[200];
	uint32_t n;
	struct mx_packet p;
	struct decode_counters b;

	(void)state;
	frag_datagram(l4, data);
	n = v4_frag(f, l4, 0, 32, true, 1, 64);
	assert_int_equal(decoder_packet(d, DLT_EN10MB, TS0, f, n, n, &p), DECODE_HELD);
	b = *decoder_counters(d);
	decoder_expire(d, TS0 + 60 * MX_USEC);
	assert_int_equal(counter(d, "defrag.mgr.tracker_timeout"), 0);
	decoder_expire(d, TS0 + 61 * MX_USEC);
	assert_moved(d, &b, "defrag.mgr.tracker_timeout", "defrag.memuse", NULL);
	assert_int_equal(counter(d, "defrag.memuse"), 0);
	/* the rest arriving after the timeout starts a new train instead of completing */
	n = v4_frag(f, l4, 0, 32, true, 2, 64);
	assert_int_equal(decoder_packet(d, DLT_EN10MB, TS0, f, n, n, &p), DECODE_HELD);
	n = v4_frag(f, l4, 32, 16, false, 2, 64);
	assert_int_equal(decoder_packet(d, DLT_EN10MB, TS0 + 90 * MX_USEC, f, n, n, &p),
			 DECODE_HELD);
	assert_int_equal(counter(d, "defrag.mgr.tracker_timeout"), 2);
	assert_int_equal(counter(d, "defrag.ipv4.reassembled"), 0);
	decoder_free(d);
}

/* ---- l3: the IP datagram handed to nDPI ------------------------------------- */

static void test_l3_bounds(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t ip[512], f[600];
	uint32_t ipn = v4_tcp(ip), n = build_eth(f, NULL, NULL, 0, 0x0800, ip, ipn);
	struct mx_packet p;

	(void)state;
	/* Ethernet padding after the datagram is not part of it. */
	memset(f + n, 0, 8);
	assert_int_equal(run(d, DLT_EN10MB, f, n + 8, &p), DECODE_OK);
	assert_ptr_equal(p.l3, f + 14);
	assert_int_equal(p.l3_len, ipn);
	/* A datagram cut by the snaplen: as far as captured. */
	assert_int_equal(decoder_packet(d, DLT_EN10MB, TS0, f, n - 5, n, &p), DECODE_OK);
	assert_ptr_equal(p.l3, f + 14);
	assert_int_equal(p.l3_len, ipn - 5);
	assert_int_equal(p.payload_len, PLEN - 5);
	ipn = v6_udp(ip);
	n = build_eth(f, NULL, NULL, 0, 0x86dd, ip, ipn);
	memset(f + n, 0, 8);
	assert_int_equal(run(d, DLT_EN10MB, f, n + 8, &p), DECODE_OK);
	assert_ptr_equal(p.l3, f + 14);
	assert_int_equal(p.l3_len, ipn);
	assert_int_equal(decoder_packet(d, DLT_EN10MB, TS0, f, n - 2, n, &p), DECODE_OK);
	assert_int_equal(p.l3_len, ipn - 2);
	/* Raw IP: l3 is the frame itself. */
	ipn = v4_udp(ip);
	assert_int_equal(run(d, DLT_RAW, ip, ipn, &p), DECODE_OK);
	assert_ptr_equal(p.l3, ip);
	assert_int_equal(p.l3_len, ipn);
	decoder_free(d);
}

/* True when the 20-byte IPv4 header at h has a correct checksum. */
static bool ipv4_checksum_ok(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static void test_reassembled_l3_ipv4(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t l4[64], data[40], f[200], ip[100];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	frag_datagram(l4, data);
	/* The last fragment first, then the first one with 4 bytes of options. */
	n = v4_frag(f, l4, 16, 32, false, 0x4242, 61);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_HELD);
	n = build_ipv4(ip, IPPROTO_UDP, 0x4242, 0x2000, 64, l4, 16);
	memmove(ip + 24, ip + 20, 16);
	memset(ip + 20, 1, 4); /* NOP options */
	ip[0] = 0x46;
	w16(ip + 2, (uint16_t)(n + 4));
	ip[10] = 0xde; /* a checksum that the rebuilt header must not keep */
	n = build_eth(f, NULL, NULL, 0, 0x0800, ip, n + 4);
	assert_int_equal(run(d, DLT_EN10MB, f, n, &p), DECODE_OK);
	check_frag_result(&p, data);
	/* l3 is a whole, valid datagram: header without options or fragment fields. */
	assert_int_equal(p.l3_len, 20 + 48);
	assert_int_equal(p.l3[0], 0x45);
	assert_int_equal(p.l3[2] << 8 | p.l3[3], 20 + 48);
	assert_int_equal(p.l3[4] << 8 | p.l3[5], 0x4242);
	assert_int_equal(p.l3[6], 0);
	assert_int_equal(p.l3[7], 0);
	assert_int_equal(p.l3[8], 64);
	assert_int_equal(p.l3[9], IPPROTO_UDP);
	assert_memory_equal(p.l3 + 12, SRC4, 4);
	assert_memory_equal(p.l3 + 16, DST4, 4);
	assert_true(ipv4_checksum_ok(p.l3));
	assert_memory_equal(p.l3 + 20, l4, 48);
	assert_ptr_equal(p.payload, p.l3 + 28);
	decoder_free(d);
}

static void test_reassembled_l3_ipv6(void **state)
{
	struct decoder *d = new_decoder();
	uint8_t l4[256], ip[400];
	uint32_t n, tl = build_tcp(l4, 40000, 25, 1000, 2000, 0x18, 512, NULL, 0, PAYLOAD, PLEN);
	struct mx_packet p;

	(void)state;
	/* the first fragment behind a hop-by-hop header, which the rebuilt datagram drops */
	n = v6_frag(ip, l4, 0, 24, true, 77, IPPROTO_TCP, true);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_HELD);
	n = v6_frag(ip, l4, 24, tl - 24, false, 77, IPPROTO_TCP, false);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_true(p.reassembled);
	assert_int_equal(p.l3_len, 40 + tl);
	assert_int_equal(p.l3[0] >> 4, 6);
	assert_int_equal(p.l3[4] << 8 | p.l3[5], tl);
	assert_int_equal(p.l3[6], IPPROTO_TCP);
	assert_memory_equal(p.l3 + 40, l4, tl);
	assert_ptr_equal(p.payload, p.l3 + 40 + 20);
	decoder_free(d);
}

static void test_counter_table(void **state)
{
	size_t n = 0;

	(void)state;
	for (const struct mx_counter_desc *c = decode_counter_desc; c->name; c++, n++) {
		assert_true(c->offset % sizeof(uint64_t) == 0);
		assert_true(c->offset < sizeof(struct decode_counters));
		for (const struct mx_counter_desc *o = decode_counter_desc; o != c; o++) {
			assert_true(strcmp(o->name, c->name) != 0);
			assert_true(o->offset != c->offset);
		}
	}
	assert_int_equal(n, sizeof(struct decode_counters) / sizeof(uint64_t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ethernet_ipv4_tcp),
	    cmocka_unit_test(test_vlan_8021q_udp),
	    cmocka_unit_test(test_qinq_8021ad_ipv6_tcp),
	    cmocka_unit_test(test_vlan_three_tags_decoded),
	    cmocka_unit_test(test_vlan_nine_tags_invalid),
	    cmocka_unit_test(test_sll_ipv4_tcp),
	    cmocka_unit_test(test_sll_vlan_ipv6_udp),
	    cmocka_unit_test(test_sll2_ipv6_udp),
	    cmocka_unit_test(test_raw_ipv4_and_ipv6),
	    cmocka_unit_test(test_bsd_loopback_both_orders),
	    cmocka_unit_test(test_ipv6_extension_headers),
	    cmocka_unit_test(test_ipv6_ah_skipped_esp_skip),
	    cmocka_unit_test(test_tcp_options_and_flags),
	    cmocka_unit_test(test_ipv4_options_and_trailer),
	    cmocka_unit_test(test_skip_other_l3_l4),
	    cmocka_unit_test(test_bad_link_layers),
	    cmocka_unit_test(test_bad_ipv4),
	    cmocka_unit_test(test_bad_tcp),
	    cmocka_unit_test(test_bad_udp),
	    cmocka_unit_test(test_bad_ipv6),
	    cmocka_unit_test(test_ipv4_frags_in_order),
	    cmocka_unit_test(test_ipv4_frags_out_of_order_vlan),
	    cmocka_unit_test(test_ipv4_frags_overlap_same),
	    cmocka_unit_test(test_ipv4_frags_overlap_different),
	    cmocka_unit_test(test_ipv6_frags),
	    cmocka_unit_test(test_frag_invalid_and_too_large),
	    cmocka_unit_test(test_frag_memcap),
	    cmocka_unit_test(test_frag_limits),
	    cmocka_unit_test(test_frag_timeout),
	    cmocka_unit_test(test_l3_bounds),
	    cmocka_unit_test(test_reassembled_l3_ipv4),
	    cmocka_unit_test(test_reassembled_l3_ipv6),
	    cmocka_unit_test(test_counter_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
