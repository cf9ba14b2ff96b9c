/*
 * decode_frames.h - what the decode unit tests share: builders of frames
 * (Ethernet with tags, IPv4, IPv6, TCP, UDP), the standard test packets,
 * and checks of a decoded packet and of exactly which counters moved.
 * Included by tests/unit/test_decode*.c after cmocka.h.
 */
#ifndef MX_TEST_DECODE_FRAMES_H
#define MX_TEST_DECODE_FRAMES_H

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

#define TS0 1700000000000000ULL

static const uint8_t SRC4[4] = {192, 0, 2, 1};
static const uint8_t DST4[4] = {198, 51, 100, 25};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25};

/* ---- frame building ---------------------------------------------------- */

static inline void w16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void w32(uint8_t *b, uint32_t v)
{
	w16(b, (uint16_t)(v >> 16));
	w16(b + 2, (uint16_t)v);
}

static inline void fill_pattern(uint8_t *b, uint32_t n, uint8_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static inline uint32_t build_tcp(uint8_t *o, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
				 uint8_t flags, uint16_t win, const uint8_t *opt, uint32_t optlen,
				 const uint8_t *pl, uint32_t plen)
{
	uint32_t hl = 20 + optlen;

	memset(o, 0, 20);
	w16(o, sp);
	w16(o + 2, dp);
	w32(o + 4, seq);
	w32(o + 8, ack);
	o[12] = (uint8_t)((hl / 4) << 4);
	o[13] = flags;
	w16(o + 14, win);
	if (optlen)
		memcpy(o + 20, opt, optlen);
	if (plen)
		memcpy(o + hl, pl, plen);
	return hl + plen;
}

static inline uint32_t build_udp(uint8_t *o, uint16_t sp, uint16_t dp, const uint8_t *pl,
				 uint32_t plen)
{
	w16(o, sp);
	w16(o + 2, dp);
	w16(o + 4, (uint16_t)(8 + plen));
	w16(o + 6, 0);
	if (plen)
		memcpy(o + 8, pl, plen);
	return 8 + plen;
}

/* Addresses of tunnel endpoints: outer headers, never the packet's own. */
static const uint8_t OUT4_A[4] = {10, 9, 8, 7};
static const uint8_t OUT4_B[4] = {10, 9, 8, 6};
static const uint8_t OUT6_A[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a};
static const uint8_t OUT6_B[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b};

static inline uint32_t build_ipv4_from(uint8_t *o, uint8_t proto, uint16_t id, uint16_t frag,
				       uint8_t ttl, const uint8_t *src, const uint8_t *dst,
				       const uint8_t *l4, uint32_t l4len)
{
	memset(o, 0, 20);
	o[0] = 0x45;
	w16(o + 2, (uint16_t)(20 + l4len));
	w16(o + 4, id);
	w16(o + 6, frag);
	o[8] = ttl;
	o[9] = proto;
	memcpy(o + 12, src, 4);
	memcpy(o + 16, dst, 4);
	memmove(o + 20, l4, l4len);
	return 20 + l4len;
}

static inline uint32_t build_ipv4(uint8_t *o, uint8_t proto, uint16_t id, uint16_t frag,
				  uint8_t ttl, const uint8_t *l4, uint32_t l4len)
{
	return build_ipv4_from(o, proto, id, frag, ttl, SRC4, DST4, l4, l4len);
}

static inline uint32_t build_ipv6_from(uint8_t *o, uint8_t nh, uint8_t hlim, const uint8_t *src,
				       const uint8_t *dst, const uint8_t *pl, uint32_t plen)
{
	memset(o, 0, 40);
	o[0] = 0x60;
	w16(o + 4, (uint16_t)plen);
	o[6] = nh;
	o[7] = hlim;
	memcpy(o + 8, src, 16);
	memcpy(o + 24, dst, 16);
	memmove(o + 40, pl, plen);
	return 40 + plen;
}

static inline uint32_t build_ipv6(uint8_t *o, uint8_t nh, uint8_t hlim, const uint8_t *pl,
				  uint32_t plen)
{
	return build_ipv6_from(o, nh, hlim, SRC6, DST6, pl, plen);
}

/* Ethernet with ntags tags (tpid[i], vid[i]) in front of ethertype type. */
static inline uint32_t build_eth(uint8_t *o, const uint16_t *tpid, const uint16_t *vid, int ntags,
				 uint16_t type, const uint8_t *l3, uint32_t len)
{
	uint32_t n = 12;

	for (int i = 0; i < 12; i++)
		o[i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < ntags; i++) {
		w16(o + n, tpid[i]);
		w16(o + n + 2, vid[i]);
		n += 4;
	}
	w16(o + n, type);
	n += 2;
	memcpy(o + n, l3, len);
	return n + len;
}

/* The standard test packets: IPv4/IPv6 carrying TCP 40000 -> 25 or UDP 5353 -> 53. */
static const uint8_t PAYLOAD[] = "EHLO client.example.org\r\n";
#define PLEN ((uint32_t)sizeof(PAYLOAD) - 1)

static inline uint32_t v4_tcp(uint8_t *o)
{
	uint8_t l4[256];
	uint32_t n = build_tcp(l4, 40000, 25, 1000, 2000, 0x18, 512, NULL, 0, PAYLOAD, PLEN);

	return build_ipv4(o, IPPROTO_TCP, 7, 0x4000, 64, l4, n);
}

static inline uint32_t v4_udp(uint8_t *o)
{
	uint8_t l4[256];
	uint32_t n = build_udp(l4, 5353, 53, PAYLOAD, PLEN);

	return build_ipv4(o, IPPROTO_UDP, 8, 0, 63, l4, n);
}

static inline uint32_t v6_tcp(uint8_t *o)
{
	uint8_t l4[256];
	uint32_t n = build_tcp(l4, 40000, 25, 1000, 2000, 0x18, 512, NULL, 0, PAYLOAD, PLEN);

	return build_ipv6(o, IPPROTO_TCP, 55, l4, n);
}

static inline uint32_t v6_udp(uint8_t *o)
{
	uint8_t l4[256];
	uint32_t n = build_udp(l4, 5353, 53, PAYLOAD, PLEN);

	return build_ipv6(o, IPPROTO_UDP, 54, l4, n);
}

/* ---- checks ------------------------------------------------------------ */

static inline struct decoder *new_decoder(void)
{
	struct decode_config cfg;
	struct decoder *d;

	decode_config_defaults(&cfg);
	cfg.checksum = CHECKSUM_NONE; /* the frames here carry no checksums: test_checksum.c */
	d = decoder_new(&cfg);
	assert_non_null(d);
	return d;
}

static inline uint64_t counter(const struct decoder *d, const char *name)
{
	for (const struct mx_counter_desc *c = decode_counter_desc; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return mx_counter_get(decoder_counters(d), c);
	fail_msg("no counter %s", name);
	return 0;
}

/*
 * Asserts that exactly the named counters (NULL-terminated list) differ
 * between before and now; every other counter must be unchanged.
 */
static inline void assert_moved(const struct decoder *d, const struct decode_counters *before, ...)
{
	const struct decode_counters *now = decoder_counters(d);
	const char *names[32];
	size_t n = 0;
	va_list ap;

	va_start(ap, before);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL && n < 32;)
		names[n++] = s;
	va_end(ap);
	for (const struct mx_counter_desc *c = decode_counter_desc; c->name; c++) {
		bool listed = false;

		for (size_t i = 0; i < n; i++)
			listed |= strcmp(names[i], c->name) == 0;
		if (listed && mx_counter_get(now, c) == mx_counter_get(before, c))
			fail_msg("counter %s did not move", c->name);
		if (!listed && mx_counter_get(now, c) != mx_counter_get(before, c))
			fail_msg("counter %s moved (%llu -> %llu)", c->name,
				 (unsigned long long)mx_counter_get(before, c),
				 (unsigned long long)mx_counter_get(now, c));
	}
}

struct expect {
	uint8_t ip_version, proto, ttl, vlan_count;
	uint16_t vlan0, vlan1, sport, dport;
	bool reassembled;
};

static inline void check_common(const struct mx_packet *p, const struct expect *e)
{
	struct mx_addr a;

	assert_int_equal(p->ip_version, e->ip_version);
	assert_int_equal(p->proto, e->proto);
	assert_int_equal(p->ttl, e->ttl);
	assert_int_equal(p->vlan_count, e->vlan_count);
	assert_int_equal(p->vlan[0], e->vlan0);
	assert_int_equal(p->vlan[1], e->vlan1);
	assert_int_equal(p->reassembled, e->reassembled);
	assert_int_equal(p->sport, e->sport);
	assert_int_equal(p->dport, e->dport);
	if (e->ip_version == 4) {
		mx_addr_from_v4(&a, SRC4);
		assert_memory_equal(&p->src, &a, sizeof(a));
		mx_addr_from_v4(&a, DST4);
		assert_memory_equal(&p->dst, &a, sizeof(a));
	} else {
		mx_addr_from_v6(&a, SRC6);
		assert_memory_equal(&p->src, &a, sizeof(a));
		mx_addr_from_v6(&a, DST6);
		assert_memory_equal(&p->dst, &a, sizeof(a));
	}
	/* l3 is the header these addresses came from, and the payload lies inside it. */
	assert_non_null(p->l3);
	assert_int_equal(p->l3[0] >> 4, e->ip_version);
	if (e->ip_version == 4) {
		assert_true(p->l3_len >= 20);
		assert_memory_equal(p->l3 + 12, SRC4, 4);
		assert_memory_equal(p->l3 + 16, DST4, 4);
	} else {
		assert_true(p->l3_len >= 40);
		assert_memory_equal(p->l3 + 8, SRC6, 16);
		assert_memory_equal(p->l3 + 24, DST6, 16);
	}
	assert_true(p->payload >= p->l3);
	assert_true(p->payload + p->payload_len <= p->l3 + p->l3_len);
}

/* The standard TCP packet: 40000 -> 25, seq 1000, ack 2000, PSH|ACK, win 512. */
static inline void check_std_tcp(const struct mx_packet *p, uint8_t ipv, uint8_t ttl, uint8_t nvlan,
				 uint16_t v0, uint16_t v1)
{
	struct expect e = {ipv, IPPROTO_TCP, ttl, nvlan, v0, v1, 40000, 25, false};

	check_common(p, &e);
	assert_int_equal(p->seq, 1000);
	assert_int_equal(p->ack, 2000);
	assert_int_equal(p->tcp_flags, MX_TCP_PSH | MX_TCP_ACK);
	assert_int_equal(p->win, 512);
	assert_int_equal(p->payload_len, PLEN);
	assert_memory_equal(p->payload, PAYLOAD, PLEN);
}

static inline void check_std_udp(const struct mx_packet *p, uint8_t ipv, uint8_t ttl, uint8_t nvlan,
				 uint16_t v0, uint16_t v1)
{
	struct expect e = {ipv, IPPROTO_UDP, ttl, nvlan, v0, v1, 5353, 53, false};

	check_common(p, &e);
	assert_int_equal(p->seq, 0);
	assert_int_equal(p->tcp_flags, 0);
	assert_int_equal(p->payload_len, PLEN);
	assert_memory_equal(p->payload, PAYLOAD, PLEN);
}

static inline enum decode_result run(struct decoder *d, int dlt, const uint8_t *f, uint32_t n,
				     struct mx_packet *p)
{
	return decoder_packet(d, dlt, TS0, f, n, n, p);
}

/* Decodes f and asserts DECODE_INVALID with exactly these counters moved. */
#define EXPECT_INVALID(d, dlt, f, n, ...)                                                          \
	do {                                                                                       \
		struct decode_counters b_ = *decoder_counters(d);                                  \
		struct mx_packet p_;                                                               \
		assert_int_equal(run(d, dlt, f, n, &p_), DECODE_INVALID);                          \
		assert_moved(d, &b_, "decoder.pkts", "decoder.bytes", "decoder.invalid",           \
			     __VA_ARGS__, NULL);                                                   \
	} while (0)

#endif
