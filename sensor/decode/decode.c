/*
 * decode.c - the decode stage: from a captured frame to a struct mx_packet.
 * Link layers (Ethernet with up to 8 VLAN tags, Linux SLL/SLL2, raw IP,
 * BSD loopback), IPv4 and IPv6 with their fragments handed to defrag.c,
 * then TCP and UDP; PPPoE, MPLS and tunnels are in decode_tunnel.c. Each
 * length read from the frame is checked against what was captured before
 * use; each malformed case has its own counter.
 */
#include "decode/decode.h"
#include "decode/decode_int.h"
#include "decode/defrag.h"

#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLL_HLEN	16
#define SLL2_HLEN	20
#define NULL_HLEN	4
#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define TCP_HLEN	20
#define UDP_HLEN	8
#define IPV6_FRAG_HLEN	8
#define LINKTYPE_RAW	101 /* pcap file link type of raw IP */
#define VLAN_MAX_DEPTH	8   /* tags walked at most */
#define IPV6_MAX_EXTHDR 8   /* extension headers walked at most */

/* Address family values of BSD loopback headers. */
#define BSD_AF_INET	     2
#define BSD_AF_INET6_NETBSD  24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN  30

#define IPPROTO_V6_NONXT 59

#define DC(path, field) MX_COUNTER(path, struct decode_counters, field)

const struct mx_counter_desc decode_counter_desc[] = {
    DC("decoder.pkts", pkts),
    DC("decoder.bytes", bytes),
    DC("decoder.invalid", invalid),
    DC("decoder.ethernet", ethernet),
    DC("decoder.sll", sll),
    DC("decoder.sll2", sll2),
    DC("decoder.null", null),
    DC("decoder.raw", raw),
    DC("decoder.vlan", vlan),
    DC("decoder.vlan_qinq", vlan_qinq),
    DC("decoder.ipv4", ipv4),
    DC("decoder.ipv6", ipv6),
    DC("decoder.tcp", tcp),
    DC("decoder.udp", udp),
    DC("decoder.other_l4", other_l4),
    DC("decoder.unknown_ethertype", other_l3),
    DC("decoder.unknown_linktype", unknown_linktype),
    DC("decoder.snaplen_cut", snaplen_cut),
    DC("decoder.event.vlan.too_many_layers", too_many_layers),
    DC("decoder.event.ethernet.pkt_too_small", eth_trunc),
    DC("decoder.event.vlan.header_too_small", vlan_trunc),
    DC("decoder.event.sll.pkt_too_small", sll_trunc),
    DC("decoder.event.sll2.pkt_too_small", sll2_trunc),
    DC("decoder.event.ltnull.pkt_too_small", null_trunc),
    DC("decoder.event.ipraw.invalid_ip_version", raw_invalid_version),
    DC("decoder.event.ipv4.pkt_too_small", ipv4_trunc),
    DC("decoder.event.ipv4.hlen_too_small", ipv4_hlen_too_small),
    DC("decoder.event.ipv4.iplen_smaller_than_hlen", ipv4_iplen_smaller_than_hlen),
    DC("decoder.event.ipv4.opt_trunc", ipv4_opt_trunc),
    DC("decoder.event.ipv4.wrong_ip_version", ipv4_wrong_version),
    DC("decoder.event.ipv4.trunc_pkt", ipv4_len_gt_caplen),
    DC("decoder.event.ipv6.pkt_too_small", ipv6_trunc),
    DC("decoder.event.ipv6.trunc_pkt", ipv6_plen_gt_caplen),
    DC("decoder.event.ipv6.trunc_exthdr", ipv6_exthdr_trunc),
    DC("decoder.event.ipv6.wrong_ip_version", ipv6_wrong_version),
    DC("decoder.event.ipv6.too_many_exthdrs", ipv6_too_many_exthdrs),
    DC("decoder.event.tcp.pkt_too_small", tcp_trunc),
    DC("decoder.event.tcp.hlen_too_small", tcp_hlen_too_small),
    DC("decoder.event.tcp.invalid_optlen", tcp_opt_trunc),
    DC("decoder.event.tcp.opt_invalid_len", tcp_opt_invalid_len),
    DC("decoder.event.udp.hlen_too_small", udp_trunc),
    DC("decoder.event.udp.len_invalid", udp_hlen_invalid),
    DC("decoder.event.udp.pkt_too_small", udp_len_gt_ip),
    DC("defrag.ipv4.fragments", frag_ipv4_fragments),
    DC("defrag.ipv4.reassembled", frag_ipv4_reassembled),
    DC("defrag.ipv6.fragments", frag_ipv6_fragments),
    DC("defrag.ipv6.reassembled", frag_ipv6_reassembled),
    DC("defrag.overlap", frag_overlap),
    DC("defrag.overlap_diff", frag_overlap_diff),
    DC("defrag.mgr.tracker_timeout", frag_timeouts),
    DC("defrag.memcap_drop", frag_memcap_drop),
    DC("defrag.pkt_too_large", frag_too_large),
    DC("defrag.max_frags_reached", frag_max_frags),
    DC("defrag.max_trackers_reached", frag_max_trains),
    DC("defrag.invalid", frag_invalid),
    DC("defrag.memuse", frag_memuse),
    DC("decoder.pppoe", pppoe),
    DC("decoder.pppoe_discovery", pppoe_discovery),
    DC("decoder.event.pppoe.pkt_too_small", pppoe_trunc),
    DC("decoder.event.pppoe.wrong_code", pppoe_wrong_code),
    DC("decoder.event.ppp.unsup_proto", ppp_unsup_proto),
    DC("decoder.mpls", mpls),
    DC("decoder.event.mpls.header_too_small", mpls_header_too_small),
    DC("decoder.event.mpls.pkt_too_small", mpls_pkt_too_small),
    DC("decoder.event.mpls.unknown_payload_type", mpls_unknown_payload),
    DC("decoder.vxlan", vxlan),
    DC("decoder.event.vxlan.header_too_small", vxlan_trunc),
    DC("decoder.event.vxlan.invalid_header", vxlan_invalid),
    DC("decoder.geneve", geneve),
    DC("decoder.event.geneve.header_too_small", geneve_trunc),
    DC("decoder.event.geneve.invalid_header", geneve_invalid),
    DC("decoder.gre", gre),
    DC("decoder.event.gre.pkt_too_small", gre_trunc),
    DC("decoder.event.gre.wrong_version", gre_wrong_version),
    DC("decoder.event.gre.version1_skipped", gre_version1),
    DC("decoder.event.gre.version0_hdr_too_big", gre_hdr_too_big),
    DC("decoder.event.gre.version0_malformed_sre_hdr", gre_sre_malformed),
    DC("decoder.erspan", erspan),
    DC("decoder.event.erspan.header_too_small", erspan_trunc),
    DC("decoder.event.erspan.unsupported_version", erspan_version),
    DC("decoder.event.erspan.unsupported_frame_type", erspan_frame_type),
    DC("decoder.ipv4_in_ipv4", ipv4_in_ipv4),
    DC("decoder.ipv6_in_ipv4", ipv6_in_ipv4),
    DC("decoder.ipv4_in_ipv6", ipv4_in_ipv6),
    DC("decoder.ipv6_in_ipv6", ipv6_in_ipv6),
    DC("decoder.too_many_layers", tunnel_too_deep),
    DC("decoder.invalid_checksum.ipv4", invalid_checksum_ipv4),
    DC("decoder.invalid_checksum.tcp", invalid_checksum_tcp),
    DC("decoder.invalid_checksum.udp", invalid_checksum_udp),
    DC("decoder.checksum_offload.sources", checksum_offload_sources),
    DC("decoder.checksum_offload.evicted", checksum_offload_evicted),
    DC("decoder.checksum_offload.reverted", checksum_offload_reverted),
    {NULL, 0},
};

void decode_config_defaults(struct decode_config *cfg)
{
	cfg->defrag_memcap = 16u << 20;
	cfg->defrag_timeout_s = 60;
	cfg->defrag_max_trains = 4096;
	cfg->defrag_max_frags = 256;
	cfg->checksum = CHECKSUM_AUTO;
	cfg->checksum_note = false;
}

struct decoder *decoder_new(const struct decode_config *cfg)
{
	struct decoder *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->csum_mode = cfg->checksum;
	d->csum_note = cfg->checksum_note;
	d->defrag = defrag_new(cfg, &d->c);
	if (cfg->checksum == CHECKSUM_AUTO)
		d->csum_srcs = csum_sources_new();
	if (d->defrag == NULL || (cfg->checksum == CHECKSUM_AUTO && d->csum_srcs == NULL)) {
		decoder_free(d);
		return NULL;
	}
	return d;
}

void decoder_free(struct decoder *d)
{
	if (d == NULL)
		return;
	defrag_free(d->defrag);
	csum_sources_free(d->csum_srcs);
	free(d);
}

/* Said once per process: the first source whose checksums were given up. */
static atomic_bool offload_told;
static const char offload_note[] =
    "the first packets (or data) from this address have wrong checksums (checksum offload where "
    "the capture was taken?): no longer checked for it (-k all checks them anyway)";

bool decode_csum_verdict(struct decoder *d, const struct mx_addr *src, uint16_t sport, bool ok,
			 bool data, uint64_t ts_us, uint64_t *reason)
{
	bool marked = false, reverted = false, evicted = false, pass;
	char a[64];

	if (d->csum_judged || d->csum_mode == CHECKSUM_NONE)
		return true;
	d->csum_judged = true;
	if (d->csum_mode == CHECKSUM_ALL) {
		pass = ok;
	} else {
		pass = csum_source_judge(d->csum_srcs, src, sport, ok, data, ts_us, &marked,
					 &reverted, &evicted);
		if (evicted)
			d->c.checksum_offload_evicted++;
		if (reverted)
			d->c.checksum_offload_reverted++;
		if (marked) {
			d->c.checksum_offload_sources++;
			if (d->csum_note && !atomic_exchange(&offload_told, true))
				fprintf(stderr, "mxsentry: %s: %s\n",
					mx_addr_str(src, a, sizeof(a)), offload_note);
		}
	}
	if (!pass)
		(*reason)++;
	return pass;
}

/*
 * Sets up the checks of one IP datagram: none when the mode says so or its
 * source was found offloaded.
 */
static void csum_begin(struct decoder *d, const uint8_t *ip, int version, const struct mx_addr *src)
{
	d->csum_ip = ip;
	d->csum_ip_version = version;
	d->csum_judged = false;
	d->csum_skip = d->csum_mode == CHECKSUM_NONE ||
		       (d->csum_mode == CHECKSUM_AUTO && csum_source_offloaded(d->csum_srcs, src));
}

/* Verifies the TCP or UDP checksum over len bytes at b; true when the packet goes on. */
static bool csum_l4(struct decoder *d, uint8_t proto, const uint8_t *b, uint32_t len,
		    const struct mx_packet *p, uint64_t *reason)
{
	uint64_t sum;
	bool data;

	if (d->csum_skip || d->csum_ip == NULL)
		return true;
	sum = csum_pseudo(d->csum_ip, d->csum_ip_version, proto, len);
	/* Data: a UDP datagram, or a TCP segment with payload (len covers its header). */
	data = proto != IPPROTO_TCP || len > (uint32_t)(b[12] >> 4) * 4;
	return decode_csum_verdict(d, &p->src, rd16(b), csum_ok(csum_add(sum, b, len)), data,
				   p->ts_us, reason);
}

void decoder_expire(struct decoder *d, uint64_t now_us)
{
	defrag_expire(d->defrag, now_us);
}

const struct decode_counters *decoder_counters(const struct decoder *d)
{
	return &d->c;
}

bool decoder_supports_dlt(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

static inline void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

enum decode_result decode_bad(struct decoder *d, uint64_t *reason)
{
	(*reason)++;
	d->c.invalid++;
	return DECODE_INVALID;
}

enum decode_result decode_skip(uint64_t *reason)
{
	(*reason)++;
	return DECODE_SKIP;
}

static enum decode_result decode_tcp(struct decoder *d, const uint8_t *b, uint32_t len,
				     struct mx_packet *p)
{
	uint32_t hlen, o;

	d->c.tcp++;
	if (len < TCP_HLEN)
		return decode_bad(d, &d->c.tcp_trunc);
	hlen = (uint32_t)(b[12] >> 4) * 4;
	if (hlen < TCP_HLEN)
		return decode_bad(d, &d->c.tcp_hlen_too_small);
	if (hlen > len)
		return decode_bad(d, &d->c.tcp_opt_trunc);
	/*
	 * Options are only checked: a receiver stops parsing at a bad one and
	 * still takes the segment, so dropping it here would blind the sensor.
	 */
	for (o = TCP_HLEN; o < hlen;) {
		uint8_t kind = b[o];

		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (hlen - o < 2 || b[o + 1] < 2 || b[o + 1] > hlen - o) {
			d->c.tcp_opt_invalid_len++;
			break;
		}
		o += b[o + 1];
	}
	if (!csum_l4(d, IPPROTO_TCP, b, len, p, &d->c.invalid_checksum_tcp))
		return DECODE_CHECKSUM;
	p->proto = IPPROTO_TCP;
	p->sport = rd16(b);
	p->dport = rd16(b + 2);
	p->seq = rd32(b + 4);
	p->ack = rd32(b + 8);
	p->tcp_flags = b[13];
	p->win = rd16(b + 14);
	p->payload = b + hlen;
	p->payload_len = len - hlen;
	return DECODE_OK;
}

static enum decode_result decode_udp(struct decoder *d, const uint8_t *b, uint32_t len,
				     struct mx_packet *p)
{
	enum decode_result r;
	uint32_t ulen;

	d->c.udp++;
	if (len < UDP_HLEN)
		return decode_bad(d, &d->c.udp_trunc);
	ulen = rd16(b + 4);
	if (ulen < UDP_HLEN)
		return decode_bad(d, &d->c.udp_hlen_invalid);
	if (ulen > len) {
		d->c.udp_len_gt_ip++;
		ulen = len;
		d->csum_skip = true;
	}
	/* A zero UDP checksum means none was computed (IPv4; IPv6 tunnels, RFC 6935). */
	if (rd16(b + 6) != 0 && !csum_l4(d, IPPROTO_UDP, b, ulen, p, &d->c.invalid_checksum_udp))
		return DECODE_CHECKSUM;
	p->proto = IPPROTO_UDP;
	p->sport = rd16(b);
	p->dport = rd16(b + 2);
	p->payload = b + UDP_HLEN;
	p->payload_len = ulen - UDP_HLEN;
	if (decode_udp_tunnel(d, p->payload, p->payload_len, p, &r))
		return r;
	return DECODE_OK;
}

static enum decode_result decode_l4(struct decoder *d, uint8_t proto, const uint8_t *b,
				    uint32_t len, struct mx_packet *p)
{
	switch (proto) {
	case IPPROTO_TCP:
		return decode_tcp(d, b, len, p);
	case IPPROTO_UDP:
		return decode_udp(d, b, len, p);
	case IPPROTO_GRE:
		return decode_gre(d, b, len, p);
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		return decode_ip_in_ip(d, proto, b, len, p);
	default:
		return decode_skip(&d->c.other_l4);
	}
}

/* IP protocols decoded further: worth reassembling when fragmented. */
static bool l4_wanted(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_GRE ||
	       proto == IPPROTO_IPIP || proto == IPPROTO_IPV6;
}

/* Sets the IPv4 header checksum of the 20-byte header at h. */
static void ipv4_set_checksum(uint8_t *h)
{
	uint32_t sum = 0;

	h[10] = h[11] = 0;
	for (int i = 0; i < IPV4_HLEN; i += 2)
		sum += rd16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wr16(h + 10, (uint16_t)~sum);
}

static void frag_key(struct defrag_key *k, const struct mx_packet *p, uint32_t id, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->id = id;
	k->vlan[0] = p->vlan[0];
	k->vlan[1] = p->vlan[1];
	k->proto = proto;
	k->family = p->ip_version;
}

/*
 * Hands a fragment to the defragmenter; on completion decodes the rebuilt
 * datagram, after fixing the length fields of its header template.
 */
static enum decode_result defrag_packet(struct decoder *d, const struct defrag_key *key,
					const struct defrag_frag *f, struct mx_packet *p)
{
	uint8_t *out;
	uint32_t out_len, hdr_len;

	switch (defrag_insert(d->defrag, key, f, &out, &out_len, &hdr_len)) {
	case DEFRAG_HELD:
		return DECODE_HELD;
	case DEFRAG_INVALID:
		d->c.invalid++;
		return DECODE_INVALID;
	case DEFRAG_DROPPED:
		return DECODE_SKIP;
	case DEFRAG_DONE:
		break;
	}
	p->reassembled = true;
	p->caplen = out_len;
	p->wirelen = out_len;
	if (key->family == 4) {
		wr16(out + 2, (uint16_t)out_len);
		ipv4_set_checksum(out);
		return decode_ipv4(d, out, out_len, p, true);
	}
	wr16(out + 4, (uint16_t)(out_len - hdr_len));
	return decode_ipv6(d, out, out_len, p, true);
}

enum decode_result decode_ipv4(struct decoder *d, const uint8_t *b, uint32_t len,
			       struct mx_packet *p, bool reasm)
{
	uint32_t hlen, iplen, frag, off;
	uint8_t proto;

	if (!reasm)
		d->c.ipv4++;
	if (len < IPV4_HLEN)
		return decode_bad(d, &d->c.ipv4_trunc);
	if (b[0] >> 4 != 4)
		return decode_bad(d, &d->c.ipv4_wrong_version);
	hlen = (uint32_t)(b[0] & 0x0f) * 4;
	if (hlen < IPV4_HLEN)
		return decode_bad(d, &d->c.ipv4_hlen_too_small);
	iplen = rd16(b + 2);
	if (iplen < hlen)
		return decode_bad(d, &d->c.ipv4_iplen_smaller_than_hlen);
	if (len < hlen)
		return decode_bad(d, &d->c.ipv4_opt_trunc);
	p->ip_version = 4;
	p->ttl = b[8];
	mx_addr_from_v4(&p->src, b + 12);
	mx_addr_from_v4(&p->dst, b + 16);
	csum_begin(d, b, 4, &p->src);
	if (!reasm && !d->csum_skip && !csum_ok(csum_add(0, b, hlen)) &&
	    !decode_csum_verdict(d, &p->src, 0, false, false, p->ts_us,
				 &d->c.invalid_checksum_ipv4))
		return DECODE_CHECKSUM;
	if (iplen > len) {
		d->c.ipv4_len_gt_caplen++;
		iplen = len;
		d->csum_skip = true;
		p->l3_cut = true;
	}
	proto = b[9];
	frag = rd16(b + 6);
	off = (frag & 0x1fff) * 8u;
	if ((frag & 0x2000) != 0 || off != 0) {
		struct defrag_key key;
		struct defrag_frag f;
		uint8_t tmpl[IPV4_HLEN];

		if (!l4_wanted(proto))
			return decode_skip(&d->c.other_l4);
		/* A fragment cut by the snaplen cannot be placed: it is counted above. */
		if (rd16(b + 2) > len) {
			d->c.invalid++;
			return DECODE_INVALID;
		}
		memcpy(tmpl, b, IPV4_HLEN);
		tmpl[0] = 0x45;
		wr16(tmpl + 6, 0);
		frag_key(&key, p, rd16(b + 4), proto);
		f = (struct defrag_frag){
		    .ts_us = p->ts_us,
		    .offset = off,
		    .more = (frag & 0x2000) != 0,
		    .hdr = tmpl,
		    .hdr_len = IPV4_HLEN,
		    .data = b + hlen,
		    .len = iplen - hlen,
		    .max_end = 65535 - IPV4_HLEN,
		};
		return defrag_packet(d, &key, &f, p);
	}
	p->l3 = b;
	p->l3_len = iplen;
	return decode_l4(d, proto, b + hlen, iplen - hlen, p);
}

/* Next headers that may lead to a protocol decoded further inside an IPv6 fragment. */
static bool ipv6_frag_wanted(uint8_t nh)
{
	return l4_wanted(nh) || nh == IPPROTO_DSTOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_AH;
}

/*
 * Handles the fragment header at b + off. An atomic fragment sets *nh to
 * its next header and *atomic: the walk goes on. Otherwise the result is
 * that of the fragment (held, dropped, or the decoded datagram it completed).
 */
static enum decode_result decode_ipv6_frag(struct decoder *d, const uint8_t *b, uint32_t len,
					   uint32_t off, bool truncated, struct mx_packet *p,
					   bool reasm, uint8_t *nh, bool *atomic)
{
	const uint8_t *fh = b + off;
	uint32_t foff = rd16(fh + 2) & 0xfff8u;
	bool more = (fh[3] & 1) != 0;
	struct defrag_key key;
	struct defrag_frag f;
	uint8_t tmpl[IPV6_HLEN];

	if (foff == 0 && !more) {
		/* An atomic fragment (RFC 6946): the datagram is whole. */
		*nh = fh[0];
		*atomic = true;
		return DECODE_OK;
	}
	if (!ipv6_frag_wanted(fh[0]))
		return decode_skip(&d->c.other_l4);
	if (reasm)
		return decode_bad(d, &d->c.frag_invalid);
	if (truncated) {
		d->c.invalid++;
		return DECODE_INVALID;
	}
	memcpy(tmpl, b, IPV6_HLEN);
	tmpl[6] = fh[0];
	frag_key(&key, p, rd32(fh + 4), 0);
	f = (struct defrag_frag){
	    .ts_us = p->ts_us,
	    .offset = foff,
	    .more = more,
	    .hdr = tmpl,
	    .hdr_len = IPV6_HLEN,
	    .data = b + off + IPV6_FRAG_HLEN,
	    .len = len - off - IPV6_FRAG_HLEN,
	    .max_end = 65535,
	};
	return defrag_packet(d, &key, &f, p);
}

enum decode_result decode_ipv6(struct decoder *d, const uint8_t *b, uint32_t len,
			       struct mx_packet *p, bool reasm)
{
	uint32_t plen, off = IPV6_HLEN, hl;
	unsigned int nexthdrs = 0;
	bool truncated = false;
	uint8_t nh;

	if (!reasm)
		d->c.ipv6++;
	if (len < IPV6_HLEN)
		return decode_bad(d, &d->c.ipv6_trunc);
	if (b[0] >> 4 != 6)
		return decode_bad(d, &d->c.ipv6_wrong_version);
	plen = rd16(b + 4);
	if (plen > len - IPV6_HLEN) {
		d->c.ipv6_plen_gt_caplen++;
		truncated = true;
	} else {
		len = IPV6_HLEN + plen;
	}
	p->ip_version = 6;
	p->ttl = b[7];
	mx_addr_from_v6(&p->src, b + 8);
	mx_addr_from_v6(&p->dst, b + 24);
	csum_begin(d, b, 6, &p->src);
	if (truncated) {
		d->csum_skip = true;
		p->l3_cut = true;
	}
	p->l3 = b;
	p->l3_len = len;
	nh = b[6];
	for (;;) {
		switch (nh) {
		case IPPROTO_TCP:
		case IPPROTO_UDP:
		case IPPROTO_GRE:
		case IPPROTO_IPIP:
		case IPPROTO_IPV6:
			return decode_l4(d, nh, b + off, len - off, p);
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
		case IPPROTO_FRAGMENT:
			break;
		default: /* ESP, no next header, ICMPv6, ... */
			return decode_skip(&d->c.other_l4);
		}
		if (++nexthdrs > IPV6_MAX_EXTHDR)
			return decode_bad(d, &d->c.ipv6_too_many_exthdrs);
		if (len - off < 8)
			return decode_bad(d, &d->c.ipv6_exthdr_trunc);
		if (nh == IPPROTO_FRAGMENT) {
			bool atomic = false;
			enum decode_result r =
			    decode_ipv6_frag(d, b, len, off, truncated, p, reasm, &nh, &atomic);

			if (!atomic)
				return r;
			off += IPV6_FRAG_HLEN;
			continue;
		}
		/* The pseudo-header would name the routing header's final address. */
		if (nh == IPPROTO_ROUTING)
			d->csum_skip = true;
		if (nh == IPPROTO_AH)
			hl = ((uint32_t)b[off + 1] + 2) * 4;
		else
			hl = ((uint32_t)b[off + 1] + 1) * 8;
		if (hl > len - off)
			return decode_bad(d, &d->c.ipv6_exthdr_trunc);
		nh = b[off];
		off += hl;
	}
}

enum decode_result decode_ethertype(struct decoder *d, uint16_t type, const uint8_t *b,
				    uint32_t len, struct mx_packet *p)
{
	unsigned int tags = 0;

	while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD || type == ETHERTYPE_QINQ9100) {
		if (tags == VLAN_MAX_DEPTH)
			return decode_bad(d, &d->c.too_many_layers);
		if (len < VLAN_HLEN)
			return decode_bad(d, &d->c.vlan_trunc);
		if (tags < MX_ARRAY_LEN(p->vlan))
			p->vlan[tags] = rd16(b) & 0x0fff;
		type = rd16(b + 2);
		b += VLAN_HLEN;
		len -= VLAN_HLEN;
		tags++;
	}
	if (tags > 0) {
		d->c.vlan++;
		if (tags >= 2)
			d->c.vlan_qinq++;
		if (tags > 2)
			d->c.too_many_layers++;
		p->vlan_count = (uint8_t)MX_MIN(tags, MX_ARRAY_LEN(p->vlan));
	}
	switch (type) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(d, b, len, p, false);
	case ETHERTYPE_IPV6:
		return decode_ipv6(d, b, len, p, false);
	case ETHERTYPE_PPPOE_SESS:
		return decode_pppoe_session(d, b, len, p);
	case ETHERTYPE_PPPOE_DISC:
		d->c.pppoe++;
		return decode_skip(&d->c.pppoe_discovery);
	case ETHERTYPE_MPLS_UC:
	case ETHERTYPE_MPLS_MC:
		return decode_mpls(d, b, len, p);
	default:
		return decode_skip(&d->c.other_l3);
	}
}

enum decode_result decode_ethernet(struct decoder *d, const uint8_t *b, uint32_t len,
				   struct mx_packet *p)
{
	d->c.ethernet++;
	if (len < ETH_HLEN)
		return decode_bad(d, &d->c.eth_trunc);
	return decode_ethertype(d, rd16(b + 12), b + ETH_HLEN, len - ETH_HLEN, p);
}

/* Raw IP: the version nibble says which; want is 4, 6 or 0 for either. */
static enum decode_result decode_raw(struct decoder *d, int want, const uint8_t *b, uint32_t len,
				     struct mx_packet *p)
{
	int v;

	d->c.raw++;
	if (len == 0)
		return decode_bad(d, &d->c.raw_invalid_version);
	v = b[0] >> 4;
	if (want == 4 || (want == 0 && v == 4))
		return decode_ipv4(d, b, len, p, false);
	if (want == 6 || (want == 0 && v == 6))
		return decode_ipv6(d, b, len, p, false);
	return decode_bad(d, &d->c.raw_invalid_version);
}

static bool bsd_af_inet6(uint32_t af)
{
	return af == BSD_AF_INET6_NETBSD || af == BSD_AF_INET6_FREEBSD || af == BSD_AF_INET6_DARWIN;
}

/* BSD loopback: a 4-byte address family in the byte order of the capturing host. */
static enum decode_result decode_null(struct decoder *d, const uint8_t *b, uint32_t len,
				      struct mx_packet *p)
{
	uint32_t be, le;

	d->c.null++;
	if (len < NULL_HLEN)
		return decode_bad(d, &d->c.null_trunc);
	be = rd32(b);
	le = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
	if (be == BSD_AF_INET || le == BSD_AF_INET)
		return decode_ipv4(d, b + NULL_HLEN, len - NULL_HLEN, p, false);
	if (bsd_af_inet6(be) || bsd_af_inet6(le))
		return decode_ipv6(d, b + NULL_HLEN, len - NULL_HLEN, p, false);
	return decode_skip(&d->c.other_l3);
}

enum decode_result decoder_packet(struct decoder *d, int dlt, uint64_t ts_us, const uint8_t *frame,
				  uint32_t caplen, uint32_t wirelen, struct mx_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->ts_us = ts_us;
	p->caplen = caplen;
	p->wirelen = wirelen;
	d->tunnels = 0;
	d->csum_ip = NULL;
	d->csum_judged = false;
	d->c.pkts++;
	d->c.bytes += caplen;
	if (caplen < wirelen)
		d->c.snaplen_cut++;
	switch (dlt) {
	case DLT_EN10MB:
		return decode_ethernet(d, frame, caplen, p);
	case DLT_LINUX_SLL:
		d->c.sll++;
		if (caplen < SLL_HLEN)
			return decode_bad(d, &d->c.sll_trunc);
		return decode_ethertype(d, rd16(frame + 14), frame + SLL_HLEN, caplen - SLL_HLEN,
					p);
	case DLT_LINUX_SLL2:
		d->c.sll2++;
		if (caplen < SLL2_HLEN)
			return decode_bad(d, &d->c.sll2_trunc);
		return decode_ethertype(d, rd16(frame), frame + SLL2_HLEN, caplen - SLL2_HLEN, p);
	case DLT_RAW:
	case LINKTYPE_RAW:
		return decode_raw(d, 0, frame, caplen, p);
	case DLT_IPV4:
		return decode_raw(d, 4, frame, caplen, p);
	case DLT_IPV6:
		return decode_raw(d, 6, frame, caplen, p);
	case DLT_NULL:
	case DLT_LOOP:
		return decode_null(d, frame, caplen, p);
	default:
		return decode_bad(d, &d->c.unknown_linktype);
	}
}
