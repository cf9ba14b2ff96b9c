/*
 * dispatch.c - the stateless look at a frame's IP addresses and the
 * symmetric hash that picks its worker; see dispatch.h. Only the fixed
 * headers in front of the IP header are walked: the decoder (which runs
 * on the worker) judges everything else.
 */
#include "run/dispatch.h"

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

#define PROTO_TCP    6
#define PROTO_UDP    17
#define IP6_HOPOPTS  0
#define IP6_ROUTING  43
#define IP6_FRAGMENT 44
#define IP6_DSTOPTS  60
#define DNS_PORT     53

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Where the outermost IP header of a frame starts: want is 4, 6, or 0 for either. */
struct ip_at {
	const uint8_t *b;
	uint32_t len;
	int want;
};

static bool ip_here(int want, const uint8_t *b, uint32_t len, struct ip_at *at)
{
	at->b = b;
	at->len = len;
	at->want = want;
	return true;
}

/* An MPLS label stack, then IPv4 or IPv6 told apart by the version nibble. */
static bool mpls_ip(const uint8_t *b, uint32_t len, struct ip_at *at)
{
	for (unsigned i = 0; i < DISPATCH_MAX_TAGS; i++) {
		bool bottom;

		if (len < MPLS_LABEL)
			return false;
		bottom = (b[2] & 1) != 0;
		b += MPLS_LABEL;
		len -= MPLS_LABEL;
		if (bottom)
			return ip_here(0, b, len, at);
	}
	return false;
}

/* What follows an Ethernet type field: tags, PPPoE, MPLS, then IP. */
static bool ethertype_ip(uint16_t type, const uint8_t *b, uint32_t len, struct ip_at *at)
{
	unsigned tags = 0;

	while (type == ET_8021Q || type == ET_8021AD || type == ET_QINQ9100) {
		if (tags++ == DISPATCH_MAX_TAGS || len < VLAN_TAG)
			return false;
		type = be16(b + 2);
		b += VLAN_TAG;
		len -= VLAN_TAG;
	}
	switch (type) {
	case ET_IPV4:
		return ip_here(4, b, len, at);
	case ET_IPV6:
		return ip_here(6, b, len, at);
	case ET_PPPOE_SESSION:
		if (len < PPPOE_HDR + 2)
			return false;
		if (be16(b + PPPOE_HDR) == PPP_IPV4)
			return ip_here(4, b + PPPOE_HDR + 2, len - PPPOE_HDR - 2, at);
		if (be16(b + PPPOE_HDR) == PPP_IPV6)
			return ip_here(6, b + PPPOE_HDR + 2, len - PPPOE_HDR - 2, at);
		return false;
	case ET_MPLS_UC:
	case ET_MPLS_MC:
		return mpls_ip(b, len, at);
	default:
		return false;
	}
}

/* BSD loopback: the address family in either byte order (INET, and INET6 of the BSDs). */
static bool null_ip(const uint8_t *b, uint32_t len, struct ip_at *at)
{
	uint32_t be, le;

	if (len < NULL_HDR)
		return false;
	be = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	le = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
	if (be == 2 || le == 2)
		return ip_here(4, b + NULL_HDR, len - NULL_HDR, at);
	if (be == 24 || le == 24 || be == 28 || le == 28 || be == 30 || le == 30)
		return ip_here(6, b + NULL_HDR, len - NULL_HDR, at);
	return false;
}

/* The outermost IP header of a frame of link type dlt; false when there is none. */
static bool find_ip(int dlt, const uint8_t *frame, uint32_t caplen, struct ip_at *at)
{
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HDR)
			return false;
		return ethertype_ip(be16(frame + 12), frame + ETH_HDR, caplen - ETH_HDR, at);
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR)
			return false;
		return ethertype_ip(be16(frame + 14), frame + SLL_HDR, caplen - SLL_HDR, at);
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR)
			return false;
		return ethertype_ip(be16(frame), frame + SLL2_HDR, caplen - SLL2_HDR, at);
	case DLT_RAW:
	case LINKTYPE_RAW_IP:
		return ip_here(0, frame, caplen, at);
	case DLT_IPV4:
		return ip_here(4, frame, caplen, at);
	case DLT_IPV6:
		return ip_here(6, frame, caplen, at);
	case DLT_NULL:
	case DLT_LOOP:
		return null_ip(frame, caplen, at);
	default:
		return false;
	}
}

/* The IP version at at (4 or 6), 0 when the header is not the one wanted. */
static int ip_version(const struct ip_at *at)
{
	int v;

	if (at->len < 1)
		return 0;
	v = at->b[0] >> 4;
	if ((at->want != 0 && v != at->want) || (v != 4 && v != 6))
		return 0;
	return v;
}

int dispatch_peek_addrs(int dlt, const uint8_t *frame, uint32_t caplen, struct mx_addr *src,
			struct mx_addr *dst)
{
	struct ip_at at;
	int v;

	if (!find_ip(dlt, frame, caplen, &at))
		return 0;
	v = ip_version(&at);
	if (v == 4 && at.len >= 20) {
		mx_addr_from_v4(src, at.b + 12);
		mx_addr_from_v4(dst, at.b + 16);
		return 4;
	}
	if (v == 6 && at.len >= 40) {
		mx_addr_from_v6(src, at.b + 8);
		mx_addr_from_v6(dst, at.b + 24);
		return 6;
	}
	return 0;
}

/* Whether a UDP or TCP header at b (len bytes seen) has port 53 on either side. */
static bool port_53(const uint8_t *b, uint32_t len)
{
	return len >= 4 && (be16(b) == DNS_PORT || be16(b + 2) == DNS_PORT);
}

/* IPv4: a fragment, or UDP/TCP to or from port 53. */
static bool v4_dns(const uint8_t *b, uint32_t len)
{
	uint32_t ihl = (uint32_t)(b[0] & 0x0f) * 4;

	if (len < 20)
		return false;
	if ((be16(b + 6) & 0x3fff) != 0) /* MF, or an offset */
		return true;
	if (ihl < 20 || ihl > len || (b[9] != PROTO_UDP && b[9] != PROTO_TCP))
		return false;
	return port_53(b + ihl, len - ihl);
}

/* IPv6: a fragment header, or UDP/TCP to or from port 53 after the usual extension headers. */
static bool v6_dns(const uint8_t *b, uint32_t len)
{
	uint32_t off = 40;
	uint8_t nh;

	if (len < 40)
		return false;
	nh = b[6];
	for (unsigned i = 0; i < DISPATCH_MAX_TAGS; i++) {
		switch (nh) {
		case PROTO_UDP:
		case PROTO_TCP:
			return off <= len && port_53(b + off, len - off);
		case IP6_FRAGMENT:
			return true;
		case IP6_HOPOPTS:
		case IP6_ROUTING:
		case IP6_DSTOPTS:
			if (off + 2 > len)
				return false;
			nh = b[off];
			off += 8 + (uint32_t)b[off + 1] * 8;
			break;
		default:
			return false;
		}
	}
	return false;
}

bool dispatch_may_be_dns(int dlt, const uint8_t *frame, uint32_t caplen)
{
	struct ip_at at;

	if (!find_ip(dlt, frame, caplen, &at))
		return false;
	switch (ip_version(&at)) {
	case 4:
		return v4_dns(at.b, at.len);
	case 6:
		return v6_dns(at.b, at.len);
	default:
		return false;
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
