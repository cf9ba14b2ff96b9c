/*
 * test_checksum.c - unit tests of checksum verification in the decode
 * stage: right IPv4/TCP/UDP checksums pass in every mode, a wrong IPv4
 * header, TCP or UDP (IPv4 and IPv6 pseudo-headers) checksum is dropped
 * and counted by protocol, a fragment with a bad header never reaches the
 * defragmenter, a reassembled datagram is checked whole; auto mode gives
 * up on a source whose first packet or first data fails (veth, loopback
 * offload) and keeps dropping decoys from a source whose first data
 * passed; mode `none` checks nothing; the one's complement helpers
 * against RFC 1071's example.
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

static struct decoder *decoder_mode(enum checksum_mode m)
{
	struct decode_config cfg;
	struct decoder *d;

	decode_config_defaults(&cfg);
	assert_int_equal(cfg.checksum, CHECKSUM_AUTO);
	cfg.checksum = m;
	d = decoder_new(&cfg);
	assert_non_null(d);
	return d;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes right IPv4 header and TCP/UDP checksums into the datagram at ip (no options). */
static void set_checksums(uint8_t *ip)
{
	int v = ip[0] >> 4;
	uint32_t hl = v == 4 ? 20 : 40;
	uint32_t len =
	    v == 4 ? (uint32_t)(ip[2] << 8 | ip[3]) : 40u + (uint32_t)(ip[4] << 8 | ip[5]);
	uint8_t proto = v == 4 ? ip[9] : ip[6];
	uint8_t *l4 = ip + hl;
	uint32_t at = proto == IPPROTO_TCP ? 16 : 6;

	if (v == 4) {
		w16(ip + 10, 0);
		w16(ip + 10, fold(csum_add(0, ip, 20)));
	}
	w16(l4 + at, 0);
	w16(l4 + at, fold(csum_add(csum_pseudo(ip, v, proto, len - hl), l4, len - hl)));
}

static uint32_t good(uint8_t *ip, uint32_t (*build)(uint8_t *))
{
	uint32_t n = build(ip);

	set_checksums(ip);
	return n;
}

static void test_rfc1071_sum(void **state)
{
	/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint8_t odd[3] = {0xab, 0xcd, 0xef};

	(void)state;
	assert_int_equal(fold(csum_add(0, b, sizeof(b))), (uint16_t)~0xddf2);
	/* Split on an even boundary gives the same sum. */
	assert_int_equal(fold(csum_add(csum_add(0, b, 2), b + 2, 6)), (uint16_t)~0xddf2);
	/* An odd last byte is padded with zero. */
	assert_int_equal(fold(csum_add(0, odd, 3)), fold(0xabcd + 0xef00));
	assert_true(csum_ok(0xffff));
	assert_false(csum_ok(0xfffe));
}

/* csum_add against a sum of big-endian words byte by byte: random data,
 * every length up to 300 at every alignment, split into even pieces. */
static void test_sum_matches_bytewise(void **state)
{
	static uint8_t buf[512];
	uint32_t seed = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	buf[100] = buf[101] = buf[102] = buf[103] = 0xff;
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 300; len++) {
			const uint8_t *b = buf + off;
			uint64_t want = 0, got;
			size_t cut = (len / 2) & ~(size_t)1;

			for (size_t i = 0; i < len; i++)
				want += i % 2 == 0 ? (uint64_t)b[i] << 8 : b[i];
			assert_int_equal(fold(csum_add(0, b, len)), fold(want));
			got = csum_add(csum_add(1234, b, cut), b + cut, len - cut);
			assert_int_equal(fold(got), fold(want + 1234));
		}
}

static void test_modes_parse(void **state)
{
	enum checksum_mode m;

	(void)state;
	assert_true(checksum_mode_parse("yes", &m));
	assert_int_equal(m, CHECKSUM_ALL);
	assert_true(checksum_mode_parse("none", &m));
	assert_int_equal(m, CHECKSUM_NONE);
	assert_true(checksum_mode_parse("auto", &m));
	assert_int_equal(m, CHECKSUM_AUTO);
	assert_false(checksum_mode_parse("sometimes", &m));
	assert_string_equal(checksum_mode_name(CHECKSUM_ALL), "all");
}

static void test_right_checksums_pass(void **state)
{
	uint32_t (*builds[])(uint8_t *) = {v4_tcp, v4_udp, v6_tcp, v6_udp};

	(void)state;
	for (enum checksum_mode m = CHECKSUM_AUTO; m <= CHECKSUM_NONE; m++) {
		struct decoder *d = decoder_mode(m);

		for (size_t i = 0; i < MX_ARRAY_LEN(builds); i++) {
			uint8_t ip[512];
			uint32_t n = good(ip, builds[i]);
			struct mx_packet p;

			assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
			assert_int_equal(p.payload_len, PLEN);
		}
		assert_int_equal(counter(d, "decoder.invalid_checksum.tcp"), 0);
		assert_int_equal(counter(d, "decoder.invalid_checksum.udp"), 0);
		assert_int_equal(counter(d, "decoder.invalid_checksum.ipv4"), 0);
		decoder_free(d);
	}
}

static void test_wrong_checksums_dropped(void **state)
{
	struct {
		uint32_t (*build)(uint8_t *);
		uint32_t at; /* byte flipped, from the start of the IP header */
		const char *counter;
	} cases[] = {
	    {v4_tcp, 20 + 16, "decoder.invalid_checksum.tcp"},
	    {v4_tcp, 20 + 25, "decoder.invalid_checksum.tcp"}, /* payload byte */
	    {v4_tcp, 12, "decoder.invalid_checksum.ipv4"},     /* source address */
	    {v4_udp, 20 + 6, "decoder.invalid_checksum.udp"},
	    {v6_tcp, 40 + 30, "decoder.invalid_checksum.tcp"},
	    {v6_udp, 40 + 9, "decoder.invalid_checksum.udp"},
	    {v6_tcp, 8 + 15, "decoder.invalid_checksum.tcp"}, /* pseudo-header: source */
	};

	(void)state;
	for (size_t i = 0; i < MX_ARRAY_LEN(cases); i++) {
		struct decoder *d = decoder_mode(CHECKSUM_ALL);
		uint8_t ip[512];
		uint32_t n = good(ip, cases[i].build);
		struct mx_packet p;

		ip[cases[i].at] ^= 0x40;
		assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_CHECKSUM);
		assert_int_equal(counter(d, cases[i].counter), 1);
		assert_int_equal(counter(d, "decoder.invalid"), 0);
		decoder_free(d);
	}
}

static void test_zero_udp_checksum_and_cut_datagram(void **state)
{
	struct decoder *d = decoder_mode(CHECKSUM_ALL);
	uint8_t ip[512];
	uint32_t n = good(ip, v4_udp);
	struct mx_packet p;

	(void)state;
	w16(ip + 20 + 6, 0); /* no checksum computed: not checked */
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	/* A datagram the snaplen cut cannot be checked: it goes on. */
	n = good(ip, v4_tcp);
	ip[20 + 16] ^= 1;
	assert_int_equal(decoder_packet(d, DLT_RAW, TS0, ip, n - 3, n, &p), DECODE_OK);
	assert_int_equal(counter(d, "decoder.invalid_checksum.tcp"), 0);
	decoder_free(d);
}

static void test_none_checks_nothing(void **state)
{
	struct decoder *d = decoder_mode(CHECKSUM_NONE);
	uint8_t ip[512];
	uint32_t n = good(ip, v4_tcp);
	struct mx_packet p;

	(void)state;
	ip[10] ^= 1;
	ip[20 + 16] ^= 1;
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	decoder_free(d);
}

static void test_fragment_with_bad_header_never_stored(void **state)
{
	struct decoder *d = decoder_mode(CHECKSUM_ALL);
	uint8_t l4[64], ip[128];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	memset(l4, 0x33, sizeof(l4));
	n = build_ipv4(ip, IPPROTO_UDP, 99, 0x2000, 64, l4, 16); /* first piece, more follow */
	set_checksums(ip);
	ip[10] ^= 0x10;
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_CHECKSUM);
	assert_int_equal(counter(d, "defrag.ipv4.fragments"), 0);
	assert_int_equal(counter(d, "decoder.invalid_checksum.ipv4"), 1);
	decoder_free(d);
}

/* A UDP datagram in two IPv4 fragments, its checksum right or not. */
static void test_reassembled_datagram_checked(void **state)
{
	(void)state;
	for (int bad = 0; bad <= 1; bad++) {
		struct decoder *d = decoder_mode(CHECKSUM_ALL);
		uint8_t whole[128], l4[64], f1[128], f2[128];
		uint32_t n = good(whole, v4_udp), l4len = n - 20, n1, n2;
		struct mx_packet p;

		if (bad)
			whole[20 + 12] ^= 0x01;
		memcpy(l4, whole + 20, l4len);
		n1 = build_ipv4(f1, IPPROTO_UDP, 5, 0x2000, 64, l4, 16);
		n2 = build_ipv4(f2, IPPROTO_UDP, 5, 2, 64, l4 + 16, l4len - 16);
		w16(f1 + 10, fold(csum_add(0, f1, 20)));
		w16(f2 + 10, fold(csum_add(0, f2, 20)));
		assert_int_equal(run(d, DLT_RAW, f1, n1, &p), DECODE_HELD);
		assert_int_equal(run(d, DLT_RAW, f2, n2, &p), bad ? DECODE_CHECKSUM : DECODE_OK);
		assert_int_equal(counter(d, "decoder.invalid_checksum.udp"), (uint64_t)bad);
		decoder_free(d);
	}
}

static void test_auto_gives_up_on_offloaded_source(void **state)
{
	struct decoder *d = decoder_mode(CHECKSUM_AUTO);
	uint8_t ip[512];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	/* Every packet of this source is wrong, from its first on: offload. */
	for (int i = 0; i < 5; i++) {
		n = good(ip, v4_tcp);
		ip[20 + 16] ^= 0x21;
		assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	}
	assert_int_equal(counter(d, "decoder.checksum_offload.sources"), 1);
	assert_int_equal(counter(d, "decoder.invalid_checksum.tcp"), 0);
	/* Another source whose first packets pass keeps being checked. */
	n = good(ip, v6_tcp);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	n = good(ip, v6_tcp);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	n = good(ip, v6_tcp);
	ip[40 + 16] ^= 0x21;
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_CHECKSUM);
	assert_int_equal(counter(d, "decoder.invalid_checksum.tcp"), 1);
	assert_int_equal(counter(d, "decoder.checksum_offload.sources"), 1);
	decoder_free(d);
}

/* A TCP segment without payload (a pure ACK) from SRC4, its checksums right. */
static uint32_t v4_ack(uint8_t *ip)
{
	uint8_t l4[64];
	uint32_t n = build_tcp(l4, 40000, 25, 1000, 2000, 0x10, 512, NULL, 0, NULL, 0);

	return build_ipv4(ip, IPPROTO_TCP, 9, 0x4000, 64, l4, n);
}

static void test_auto_loopback_pattern(void **state)
{
	struct decoder *d = decoder_mode(CHECKSUM_AUTO);
	uint8_t ip[512];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	/* Loopback or TSO: SYN and ACKs summed in software, data offloaded. */
	for (int i = 0; i < 3; i++) {
		n = good(ip, v4_ack);
		assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	}
	/* Before any data, a bad ACK is a decoy, not offload. */
	n = good(ip, v4_ack);
	ip[20 + 16] ^= 0x21;
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_CHECKSUM);
	/* The first data fails: offload, and from now on nothing is checked. */
	for (int i = 0; i < 3; i++) {
		n = good(ip, v4_tcp);
		ip[20 + 16] ^= 0x21;
		assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	}
	assert_int_equal(counter(d, "decoder.checksum_offload.sources"), 1);
	assert_int_equal(counter(d, "decoder.invalid_checksum.tcp"), 1);
	decoder_free(d);
}

/*
 * A decoy as a source's first data takes it for offloaded, but only until
 * its real data passes: then it is checked for good, and the next decoy is
 * dropped. A run of CSUM_OFFLOAD_CONFIRM failures confirms offload.
 */
static void test_auto_decoy_first_data_reverts(void **state)
{
	struct decoder *d = decoder_mode(CHECKSUM_AUTO);
	uint8_t ip[512];
	uint32_t n;
	struct mx_packet p;

	(void)state;
	n = good(ip, v4_ack);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	n = good(ip, v4_tcp); /* the decoy banner: let through, offload suspected */
	ip[20 + 30] ^= 0x55;
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_int_equal(counter(d, "decoder.checksum_offload.sources"), 1);
	n = good(ip, v4_tcp); /* the real banner passes: no offload after all */
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_int_equal(counter(d, "decoder.checksum_offload.reverted"), 1);
	n = good(ip, v4_tcp); /* the next decoy is dropped */
	ip[20 + 30] ^= 0x55;
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_CHECKSUM);
	assert_int_equal(counter(d, "decoder.invalid_checksum.tcp"), 1);
	decoder_free(d);

	/* Failures up to the confirmation, then good data: offload stands. */
	d = decoder_mode(CHECKSUM_AUTO);
	for (int i = 0; i < CSUM_OFFLOAD_CONFIRM; i++) {
		n = good(ip, v4_tcp);
		ip[20 + 30] ^= 0x55;
		assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	}
	n = good(ip, v4_tcp);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	n = good(ip, v4_tcp);
	ip[20 + 30] ^= 0x55;
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	assert_int_equal(counter(d, "decoder.checksum_offload.reverted"), 0);
	assert_int_equal(counter(d, "decoder.invalid_checksum.tcp"), 0);
	decoder_free(d);
}

static void test_auto_keeps_dropping_decoys(void **state)
{
	struct decoder *d = decoder_mode(CHECKSUM_AUTO);
	uint8_t ip[512];
	uint32_t n;
	struct mx_packet p;
	int dropped = 0;

	(void)state;
	n = good(ip, v4_tcp);
	assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_OK);
	/* Its first data passed: every later decoy is dropped, however many. */
	for (int i = 0; i < 40; i++) {
		n = good(ip, v4_tcp);
		if (i % 2 == 0)
			ip[20 + 30] ^= 0x55;
		if (run(d, DLT_RAW, ip, n, &p) == DECODE_CHECKSUM)
			dropped++;
	}
	assert_int_equal(dropped, 20);
	/* Even a run of them. */
	for (int i = 0; i < 10; i++) {
		n = good(ip, v4_tcp);
		ip[20 + 30] ^= 0x55;
		assert_int_equal(run(d, DLT_RAW, ip, n, &p), DECODE_CHECKSUM);
	}
	assert_int_equal(counter(d, "decoder.checksum_offload.sources"), 0);
	decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc1071_sum),
	    cmocka_unit_test(test_sum_matches_bytewise),
	    cmocka_unit_test(test_modes_parse),
	    cmocka_unit_test(test_right_checksums_pass),
	    cmocka_unit_test(test_wrong_checksums_dropped),
	    cmocka_unit_test(test_zero_udp_checksum_and_cut_datagram),
	    cmocka_unit_test(test_none_checks_nothing),
	    cmocka_unit_test(test_fragment_with_bad_header_never_stored),
	    cmocka_unit_test(test_reassembled_datagram_checked),
	    cmocka_unit_test(test_auto_gives_up_on_offloaded_source),
	    cmocka_unit_test(test_auto_decoy_first_data_reverts),
	    cmocka_unit_test(test_auto_keeps_dropping_decoys),
	    cmocka_unit_test(test_auto_loopback_pattern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
