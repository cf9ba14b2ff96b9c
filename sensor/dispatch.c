/*
 * dispatch.c - the stateless look at a frame's IP addresses and the
 * symmetric hash that picks its worker; see dispatch.h. Only the fixed
 * headers in front of the IP header are walked: the decoder (which runs
 * on the worker) judges everything else.
 */
#include "dispatch.h"

#include <pcap/dlt.h>
#include <string.h>

/* pcap's LINKTYPE_RAW, which some capture files carry instead of DLT_RAW. */
#define LINKTYPE_RAW_IP 101

#define ETH_HDR	   14
#define SLL_HDR	   16
#define SLL2_HDR   20
#define NULL_HDR   4
#define VLAN_TAG   4
#define PPPOE_HDR  6
#define MPLS_LABEL 4

#define ET_IPV4		 0x0800
#define ET_IPV6		 0x86dd
#define ET_8021Q	 0x8100
#define ET_8021AD	 0x88a8
#define ET_QINQ9100	 0x9100
#define ET_PPPOE_SESSION 0x8864
#define ET_MPLS_UC	 0x8847
#define ET_MPLS_MC	 0x8848

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* The addresses of the IP header at b; want is 4, 6, or 0 for either. */
static int ip_addrs(int want, const uint8_t *b, uint32_t len, struct mx_addr *src,
		    struct mx_addr *dst)
{
	int v;

	if (len < 1)
		return 0;
	v = b[0] >> 4;
	if (want != 0 && v != want)
		return 0;
	if (v == 4 && len >= 20) {
		mx_addr_from_v4(src, b + 12);
		mx_addr_from_v4(dst, b + 16);
		return 4;
	}
	if (v == 6 && len >= 40) {
		mx_addr_from_v6(src, b + 8);
		mx_addr_from_v6(dst, b + 24);
		return 6;
	}
	return 0;
}

/* An MPLS label stack, then IPv4 or IPv6 told apart by the version nibble. */
static int mpls_addrs(const uint8_t *b, uint32_t len, struct mx_addr *src, struct mx_addr *dst)
{
	for (unsigned i = 0; i < DISPATCH_MAX_TAGS; i++) {
		bool bottom;

		if (len < MPLS_LABEL)
			return 0;
		bottom = (b[2] & 1) != 0;
		b += MPLS_LABEL;
		len -= MPLS_LABEL;
		if (bottom)
			return ip_addrs(0, b, len, src, dst);
	}
	return 0;
}

/* What follows an Ethernet type field: tags, PPPoE, MPLS, then IP. */
static int ethertype_addrs(uint16_t type, const uint8_t *b, uint32_t len, struct mx_addr *src,
			   struct mx_addr *dst)
{
	unsigned tags = 0;

	while (type == ET_8021Q || type == ET_8021AD || type == ET_QINQ9100) {
		if (tags++ == DISPATCH_MAX_TAGS || len < VLAN_TAG)
			return 0;
		type = be16(b + 2);
		b += VLAN_TAG;
		len -= VLAN_TAG;
	}
	switch (type) {
	case ET_IPV4:
		return ip_addrs(4, b, len, src, dst);
	case ET_IPV6:
		return ip_addrs(6, b, len, src, dst);
	case ET_PPPOE_SESSION:
		if (len < PPPOE_HDR + 2)
			return 0;
		if (be16(b + PPPOE_HDR) == PPP_IPV4)
			return ip_addrs(4, b + PPPOE_HDR + 2, len - PPPOE_HDR - 2, src, dst);
		if (be16(b + PPPOE_HDR) == PPP_IPV6)
			return ip_addrs(6, b + PPPOE_HDR + 2, len - PPPOE_HDR - 2, src, dst);
		return 0;
	case ET_MPLS_UC:
	case ET_MPLS_MC:
		return mpls_addrs(b, len, src, dst);
	default:
		return 0;
	}
}

/* BSD loopback: the address family in either byte order (INET, and INET6 of the BSDs). */
static int null_addrs(const uint8_t *b, uint32_t len, struct mx_addr *src, struct mx_addr *dst)
{
	uint32_t be, le;

	if (len < NULL_HDR)
		return 0;
	be = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	le = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
	if (be == 2 || le == 2)
		return ip_addrs(4, b + NULL_HDR, len - NULL_HDR, src, dst);
	if (be == 24 || le == 24 || be == 28 || le == 28 || be == 30 || le == 30)
		return ip_addrs(6, b + NULL_HDR, len - NULL_HDR, src, dst);
	return 0;
}

int dispatch_peek_addrs(int dlt, const uint8_t *frame, uint32_t caplen, struct mx_addr *src,
			struct mx_addr *dst)
{
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HDR)
			return 0;
		return ethertype_addrs(be16(frame + 12), frame + ETH_HDR, caplen - ETH_HDR, src,
				       dst);
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR)
			return 0;
		return ethertype_addrs(be16(frame + 14), frame + SLL_HDR, caplen - SLL_HDR, src,
				       dst);
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR)
			return 0;
		return ethertype_addrs(be16(frame), frame + SLL2_HDR, caplen - SLL2_HDR, src, dst);
	case DLT_RAW:
	case LINKTYPE_RAW_IP:
		return ip_addrs(0, frame, caplen, src, dst);
	case DLT_IPV4:
		return ip_addrs(4, frame, caplen, src, dst);
	case DLT_IPV6:
		return ip_addrs(6, frame, caplen, src, dst);
	case DLT_NULL:
	case DLT_LOOP:
		return null_addrs(frame, caplen, src, dst);
	default:
		return 0;
	}
}

/* A 64-bit finaliser: every input bit affects every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t absorb(uint64_t h, const struct mx_addr *a)
{
	for (size_t i = 0; i < sizeof(a->b); i += 8) {
		uint64_t w;

		memcpy(&w, a->b + i, sizeof(w));
		h = mix64(h ^ w);
	}
	return h;
}

uint32_t dispatch_pair_hash(const struct mx_addr *a, const struct mx_addr *b)
{
	const struct mx_addr *lo = a, *hi = b;
	uint64_t h = 0x9e3779b97f4a7c15ULL;

	/* The smaller address first: both orders hash alike. */
	if (mx_addr_cmp(a, b) > 0) {
		lo = b;
		hi = a;
	}
	h = absorb(h, lo);
	h = absorb(h, hi);
	return (uint32_t)(h >> 32);
}

unsigned dispatch_worker(int dlt, const uint8_t *frame, uint32_t caplen, unsigned n)
{
	struct mx_addr src, dst;

	if (n <= 1 || dispatch_peek_addrs(dlt, frame, caplen, &src, &dst) == 0)
		return 0;
	/* Multiply-shift maps the 32-bit hash evenly onto [0, n). */
	return (unsigned)(((uint64_t)dispatch_pair_hash(&src, &dst) * n) >> 32);
}
