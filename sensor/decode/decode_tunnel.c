/*
 * decode_tunnel.c - the layers between a link and the IP datagram the
 * sensor watches that are not Ethernet or VLAN tags: PPPoE sessions, MPLS
 * label stacks, and tunnels: VXLAN, Geneve, GRE (with ERSPAN I/II/III and
 * transparent Ethernet bridging), IPv4/IPv6 in IPv4/IPv6. A tunnel is
 * decapsulated and the frame inside decoded as if captured directly, at
 * most DECODE_MAX_TUNNELS deep; every header length is checked against
 * what was captured before use.
 */
#include "decode/decode_int.h"

#include <netinet/in.h>

#define PPPOE_HLEN	     6
#define PPP_IPV4	     0x0021
#define PPP_IPV6	     0x0057
#define MPLS_HLEN	     4
#define MPLS_PW_CW_LEN	     4 /* pseudowire control word (RFC 4385) */
#define MPLS_LABEL_IPV4_NULL 0
#define MPLS_LABEL_IPV6_NULL 2
#define VXLAN_HLEN	     8
#define VXLAN_FLAG_I	     0x08 /* the VNI is valid */
#define GENEVE_HLEN	     8
#define GENEVE_OPT_HLEN	     4
#define GRE_HLEN	     4
#define GRE_SRE_HLEN	     4
#define GRE_FLAG_C	     0x80 /* checksum present */
#define GRE_FLAG_R	     0x40 /* routing present (RFC 1701) */
#define GRE_FLAG_K	     0x20 /* key present */
#define GRE_FLAG_S	     0x10 /* sequence number present */
#define ERSPAN2_HLEN	     8
#define ERSPAN3_HLEN	     12
#define ERSPAN3_SUBHDR_LEN   8 /* platform specific subheader, when the O flag is set */
#define ERSPAN3_FT_ETHERNET  0
#define DNS_PORT	     53

/*
 * Enters a tunnel: false (counted under decoder.too_many_layers) when
 * DECODE_MAX_TUNNELS are open already. The VLAN ids seen outside the
 * tunnel are cleared: only the inner frame's own tags key its flow.
 */
static bool tunnel_enter(struct decoder *d, struct mx_packet *p)
{
	if (d->tunnels >= DECODE_MAX_TUNNELS) {
		d->c.tunnel_too_deep++;
		return false;
	}
	d->tunnels++;
	p->vlan[0] = p->vlan[1] = 0;
	p->vlan_count = 0;
	return true;
}

enum decode_result decode_pppoe_session(struct decoder *d, const uint8_t *b, uint32_t len,
					struct mx_packet *p)
{
	uint32_t plen, hl;
	uint16_t proto;

	d->c.pppoe++;
	if (len < PPPOE_HLEN)
		return decode_bad(d, &d->c.pppoe_trunc);
	if (b[1] != 0) /* session data has code 0 */
		return decode_bad(d, &d->c.pppoe_wrong_code);
	plen = rd16(b + 4);
	b += PPPOE_HLEN;
	len -= PPPOE_HLEN;
	/* Bytes past the PPPoE payload are Ethernet padding; IP counts a frame cut short. */
	if (plen < len)
		len = plen;
	if (len == 0)
		return decode_bad(d, &d->c.pppoe_trunc);
	/* The PPP protocol field is one byte when compressed (its low bit set), else two. */
	if (b[0] & 1) {
		proto = b[0];
		hl = 1;
	} else {
		if (len < 2)
			return decode_bad(d, &d->c.pppoe_trunc);
		proto = rd16(b);
		hl = 2;
	}
	switch (proto) {
	case PPP_IPV4:
		return decode_ipv4(d, b + hl, len - hl, p, false);
	case PPP_IPV6:
		return decode_ipv6(d, b + hl, len - hl, p, false);
	default: /* LCP, IPCP, authentication, ... */
		return decode_skip(&d->c.ppp_unsup_proto);
	}
}

enum decode_result decode_mpls(struct decoder *d, const uint8_t *b, uint32_t len,
			       struct mx_packet *p)
{
	uint32_t label;
	bool bottom;

	d->c.mpls++;
	do {
		if (len < MPLS_HLEN)
			return decode_bad(d, &d->c.mpls_header_too_small);
		label = rd32(b) >> 12;
		bottom = (b[2] & 1) != 0;
		b += MPLS_HLEN;
		len -= MPLS_HLEN;
	} while (!bottom);
	if (len == 0)
		return decode_bad(d, &d->c.mpls_pkt_too_small);
	if (label == MPLS_LABEL_IPV4_NULL)
		return decode_ipv4(d, b, len, p, false);
	if (label == MPLS_LABEL_IPV6_NULL)
		return decode_ipv6(d, b, len, p, false);
	/* MPLS does not say what it carries: the first nibble tells IP from a pseudowire. */
	switch (b[0] >> 4) {
	case 4:
		return decode_ipv4(d, b, len, p, false);
	case 6:
		return decode_ipv6(d, b, len, p, false);
	case 0:
		if (len < MPLS_PW_CW_LEN)
			return decode_bad(d, &d->c.mpls_pkt_too_small);
		if (!tunnel_enter(d, p))
			return DECODE_SKIP;
		return decode_ethernet(d, b + MPLS_PW_CW_LEN, len - MPLS_PW_CW_LEN, p);
	default:
		return decode_bad(d, &d->c.mpls_unknown_payload);
	}
}

/* VXLAN (RFC 7348): flags with I set, 24 reserved bits, VNI, 8 reserved bits; Ethernet. */
static enum decode_result decode_vxlan(struct decoder *d, const uint8_t *b, uint32_t len,
				       struct mx_packet *p)
{
	if (len < VXLAN_HLEN)
		return decode_bad(d, &d->c.vxlan_trunc);
	if ((b[0] & VXLAN_FLAG_I) == 0 || b[7] != 0)
		return decode_bad(d, &d->c.vxlan_invalid);
	d->c.vxlan++;
	return decode_ethernet(d, b + VXLAN_HLEN, len - VXLAN_HLEN, p);
}

/*
 * Geneve (RFC 8926): version 0, options length in 4-byte words, protocol
 * type (an ethertype), VNI; then options, each a 4-byte header whose low
 * 5 bits of the last byte count its data words. The options must fill
 * their area exactly.
 */
static enum decode_result decode_geneve(struct decoder *d, const uint8_t *b, uint32_t len,
					struct mx_packet *p)
{
	uint32_t hl, off;
	uint16_t proto;

	if (len < GENEVE_HLEN)
		return decode_bad(d, &d->c.geneve_trunc);
	if (b[0] >> 6 != 0)
		return decode_bad(d, &d->c.geneve_invalid);
	hl = GENEVE_HLEN + (uint32_t)(b[0] & 0x3f) * 4;
	if (hl > len)
		return decode_bad(d, &d->c.geneve_trunc);
	/* Both the area and each option are whole words, so an option header always fits. */
	for (off = GENEVE_HLEN; off < hl;) {
		uint32_t ol = GENEVE_OPT_HLEN + (uint32_t)(b[off + 3] & 0x1f) * 4;

		if (ol > hl - off)
			return decode_bad(d, &d->c.geneve_invalid);
		off += ol;
	}
	d->c.geneve++;
	proto = rd16(b + 2);
	if (proto == ETHERTYPE_TEB)
		return decode_ethernet(d, b + hl, len - hl, p);
	return decode_ethertype(d, proto, b + hl, len - hl, p);
}

bool decode_udp_tunnel(struct decoder *d, const uint8_t *b, uint32_t len, struct mx_packet *p,
		       enum decode_result *r)
{
	if (p->sport == DNS_PORT || (p->dport != UDP_PORT_VXLAN && p->dport != UDP_PORT_GENEVE))
		return false;
	if (!tunnel_enter(d, p))
		*r = DECODE_SKIP;
	else if (p->dport == UDP_PORT_VXLAN)
		*r = decode_vxlan(d, b, len, p);
	else
		*r = decode_geneve(d, b, len, p);
	return true;
}

/* The mirrored Ethernet frame of ERSPAN; an untagged one takes the header's VLAN id. */
static enum decode_result erspan_frame(struct decoder *d, uint16_t vlan, const uint8_t *b,
				       uint32_t len, struct mx_packet *p)
{
	if (vlan != 0) {
		p->vlan[0] = vlan;
		p->vlan_count = 1;
	}
	return decode_ethernet(d, b, len, p);
}

/*
 * ERSPAN behind GRE protocol 0x88BE: type I (GRE without sequence number)
 * has no header of its own; type II has 8 bytes: version 1, VLAN, COS,
 * encapsulation, truncation, session id, index.
 */
static enum decode_result decode_erspan2(struct decoder *d, bool has_seq, const uint8_t *b,
					 uint32_t len, struct mx_packet *p)
{
	d->c.erspan++;
	if (!has_seq)
		return decode_ethernet(d, b, len, p);
	if (len < ERSPAN2_HLEN)
		return decode_bad(d, &d->c.erspan_trunc);
	if (b[0] >> 4 != 1)
		return decode_bad(d, &d->c.erspan_version);
	return erspan_frame(d, rd16(b) & 0x0fff, b + ERSPAN2_HLEN, len - ERSPAN2_HLEN, p);
}

/*
 * ERSPAN type III behind GRE protocol 0x22EB: 12 bytes (version 2, VLAN,
 * COS, BSO, T, session id; timestamp; SGT, P, frame type, hardware id, D,
 * granularity, O), then 8 more when O flags a platform specific subheader.
 */
static enum decode_result decode_erspan3(struct decoder *d, const uint8_t *b, uint32_t len,
					 struct mx_packet *p)
{
	uint32_t hl = ERSPAN3_HLEN;

	d->c.erspan++;
	if (len < ERSPAN3_HLEN)
		return decode_bad(d, &d->c.erspan_trunc);
	if (b[0] >> 4 != 2)
		return decode_bad(d, &d->c.erspan_version);
	if (b[11] & 1)
		hl += ERSPAN3_SUBHDR_LEN;
	if (len < hl)
		return decode_bad(d, &d->c.erspan_trunc);
	if (((b[10] >> 2) & 0x1f) != ERSPAN3_FT_ETHERNET)
		return decode_bad(d, &d->c.erspan_frame_type);
	return erspan_frame(d, rd16(b) & 0x0fff, b + hl, len - hl, p);
}

/* RFC 1701 source route entries after the optional fields, ending with family 0 and length 0. */
static bool gre_skip_routing(const uint8_t *b, uint32_t len, uint32_t *hl)
{
	uint32_t off = *hl;

	for (;;) {
		uint16_t af;
		uint8_t sl;

		if (len - off < GRE_SRE_HLEN)
			return false;
		af = rd16(b + off);
		sl = b[off + 3];
		off += GRE_SRE_HLEN;
		if (af == 0 && sl == 0)
			break;
		if (sl > len - off)
			return false;
		off += sl;
	}
	*hl = off;
	return true;
}

enum decode_result decode_gre(struct decoder *d, const uint8_t *b, uint32_t len,
			      struct mx_packet *p)
{
	uint32_t hl = GRE_HLEN;
	uint16_t proto;
	uint8_t flags;

	if (!tunnel_enter(d, p))
		return DECODE_SKIP;
	d->c.gre++;
	if (len < GRE_HLEN)
		return decode_bad(d, &d->c.gre_trunc);
	flags = b[0];
	switch (b[1] & 0x07) {
	case 0:
		break;
	case 1: /* PPTP's enhanced GRE, carrying PPP */
		return decode_skip(&d->c.gre_version1);
	default:
		return decode_bad(d, &d->c.gre_wrong_version);
	}
	if (flags & (GRE_FLAG_C | GRE_FLAG_R))
		hl += 4;
	if (flags & GRE_FLAG_K)
		hl += 4;
	if (flags & GRE_FLAG_S)
		hl += 4;
	if (hl > len)
		return decode_bad(d, &d->c.gre_hdr_too_big);
	if ((flags & GRE_FLAG_R) && !gre_skip_routing(b, len, &hl))
		return decode_bad(d, &d->c.gre_sre_malformed);
	proto = rd16(b + 2);
	b += hl;
	len -= hl;
	switch (proto) {
	case ETHERTYPE_TEB:
		return decode_ethernet(d, b, len, p);
	case ETHERTYPE_ERSPAN2:
		return decode_erspan2(d, (flags & GRE_FLAG_S) != 0, b, len, p);
	case ETHERTYPE_ERSPAN3:
		return decode_erspan3(d, b, len, p);
	default: /* the protocol is an ethertype: IPv4, IPv6, MPLS, ... */
		return decode_ethertype(d, proto, b, len, p);
	}
}

enum decode_result decode_ip_in_ip(struct decoder *d, uint8_t proto, const uint8_t *b, uint32_t len,
				   struct mx_packet *p)
{
	bool outer6 = p->ip_version == 6;

	if (!tunnel_enter(d, p))
		return DECODE_SKIP;
	if (proto == IPPROTO_IPIP) {
		if (outer6)
			d->c.ipv4_in_ipv6++;
		else
			d->c.ipv4_in_ipv4++;
		return decode_ipv4(d, b, len, p, false);
	}
	if (outer6)
		d->c.ipv6_in_ipv6++;
	else
		d->c.ipv6_in_ipv4++;
	return decode_ipv6(d, b, len, p, false);
}
