/*
 * decode.h - link layer to L4: Ethernet, 802.1Q/802.1ad, PPPoE, MPLS,
 * Linux SLL and SLL2, raw IP, BSD loopback; IPv4 (with fragment
 * reassembly) and IPv6 (extension headers, fragments); TCP and UDP; and
 * the tunnels a SPAN session or a cloud traffic mirror delivers (VXLAN,
 * Geneve, GRE with ERSPAN I/II/III and transparent Ethernet bridging,
 * IPv4/IPv6 in IPv4/IPv6), decapsulated to the frame inside. Every
 * malformed length is counted under its own reason and never trusted.
 *
 * Tunnels: at most DECODE_MAX_TUNNELS are decapsulated for one frame; a
 * deeper one is counted (decoder.too_many_layers) and skipped. The inner
 * frame is decoded as if it had been captured directly: addresses, ports,
 * l3 and payload are those of the innermost IP datagram. VLAN ids are
 * those of the innermost frame only: entering a tunnel clears the tags
 * seen outside it, since the outer tags describe the mirror transport
 * (both directions of one conversation often arrive on different outer
 * VLANs); an untagged frame inside ERSPAN takes the VLAN id the ERSPAN
 * header records for it. VXLAN and Geneve are recognised by UDP
 * destination port (4789, 6081) unless the source port is 53: a DNS answer
 * to a resolver that picked 4789 or 6081 as its random port stays DNS.
 */
#ifndef MX_DECODE_H
#define MX_DECODE_H

#include "util/common.h"
#include "decode/checksum.h"
#include "decode/packet.h"

/*
 * Counters of the decoder and the defragmenter. The stats name of each
 * (Suricata's where Suricata has one) is in decode_counter_desc[].
 */
struct decode_counters {
	uint64_t pkts, bytes, invalid, ethernet, sll, sll2, null, raw;
	uint64_t vlan, vlan_qinq, ipv4, ipv6, tcp, udp, other_l4, other_l3;
	uint64_t too_many_layers; /* more than 2 VLAN tags (decoded up to 8) */
	uint64_t eth_trunc, vlan_trunc, sll_trunc, sll2_trunc, null_trunc, unknown_linktype,
	    raw_invalid_version;
	uint64_t ipv4_trunc, ipv4_hlen_too_small, ipv4_iplen_smaller_than_hlen, ipv4_opt_trunc,
	    ipv4_wrong_version, ipv4_len_gt_caplen;
	uint64_t ipv6_trunc, ipv6_plen_gt_caplen, ipv6_exthdr_trunc, ipv6_wrong_version,
	    ipv6_too_many_exthdrs;
	uint64_t tcp_trunc, tcp_hlen_too_small, tcp_opt_trunc;
	uint64_t tcp_opt_invalid_len; /* bad option TLV: counted, segment still decoded */
	uint64_t udp_trunc, udp_hlen_invalid, udp_len_gt_ip;
	uint64_t snaplen_cut; /* caplen < wirelen: payload visibly cut */
	/* defragmentation */
	uint64_t frag_ipv4_fragments, frag_ipv4_reassembled, frag_ipv6_fragments,
	    frag_ipv6_reassembled, frag_overlap, frag_overlap_diff, frag_timeouts, frag_memcap_drop,
	    frag_too_large, frag_max_frags;
	uint64_t frag_max_trains; /* fragment dropped: defrag_max_trains trains held */
	uint64_t frag_invalid;	  /* fragment inconsistent with its train */
	uint64_t frag_memuse;	  /* gauge: bytes held by the defragmenter now */
	/* PPPoE (session frames decoded, discovery frames skipped) and MPLS */
	uint64_t pppoe, pppoe_discovery, pppoe_trunc, pppoe_wrong_code, ppp_unsup_proto;
	uint64_t mpls, mpls_header_too_small, mpls_pkt_too_small, mpls_unknown_payload;
	/* tunnels */
	uint64_t vxlan, vxlan_trunc, vxlan_invalid;
	uint64_t geneve, geneve_trunc, geneve_invalid;
	uint64_t gre, gre_trunc, gre_wrong_version, gre_version1, gre_hdr_too_big,
	    gre_sre_malformed;
	uint64_t erspan, erspan_trunc, erspan_version, erspan_frame_type;
	uint64_t ipv4_in_ipv4, ipv6_in_ipv4, ipv4_in_ipv6, ipv6_in_ipv6;
	uint64_t tunnel_too_deep; /* tunnel nested deeper than DECODE_MAX_TUNNELS: skipped */
	/* checksums (checksum.h): packets dropped, sources found offloaded */
	uint64_t invalid_checksum_ipv4, invalid_checksum_tcp, invalid_checksum_udp;
	uint64_t checksum_offload_sources, checksum_offload_evicted, checksum_offload_reverted;
};

/* Tunnels decapsulated at most for one frame. */
#define DECODE_MAX_TUNNELS 3

/* Table of every decode counter for the stats record, {NULL,0}-terminated. */
extern const struct mx_counter_desc decode_counter_desc[];

struct decode_config {
	size_t defrag_memcap;	   /* bytes held at most: fragment data and bookkeeping */
	uint32_t defrag_timeout_s; /* a fragment train older than this is dropped */
	uint32_t defrag_max_trains;
	uint32_t defrag_max_frags;   /* stored pieces per train at most */
	enum checksum_mode checksum; /* which IPv4/TCP/UDP checksums are verified */
	bool checksum_note;	     /* say on stderr when auto mode gives up on a source */
};

/*
 * Fills cfg with the defaults (16 MiB, 60 s, 4096 trains, 256 pieces a
 * train; checksums in auto mode).
 */
void decode_config_defaults(struct decode_config *cfg);

enum decode_result {
	DECODE_OK,	 /* *p holds a TCP or UDP packet */
	DECODE_HELD,	 /* an IP fragment was stored; nothing to process yet */
	DECODE_SKIP,	 /* valid but not IP/TCP/UDP (ARP, ICMP, ...): counted */
	DECODE_INVALID,	 /* malformed: counted under its reason */
	DECODE_CHECKSUM, /* a checksum failed: dropped, counted under decoder.invalid_checksum */
};

struct decoder;

/* Creates a decoder with its own defragmenter; NULL on allocation failure. */
struct decoder *decoder_new(const struct decode_config *cfg);
/* Frees the decoder and every fragment it holds. */
void decoder_free(struct decoder *d);

/*
 * Decodes one frame of link type `dlt` (a pcap DLT_* value). On DECODE_OK
 * *p is filled; its pointers stay valid until the next decoder_packet call.
 * Never reads beyond caplen. p->l3 points at the (innermost) IP header and
 * p->l3_len is the datagram's length as far as both its length field and
 * the capture go; the payload lies inside it. When a datagram was
 * completed from fragments (p->reassembled) the pointers refer to the
 * defragmenter's buffer and p->caplen and p->wirelen are the rebuilt
 * datagram's length; if it is the innermost one, l3 is that whole datagram
 * with a valid header: IPv4 with its total length, no fragment flags or
 * offset, no options and a correct header checksum; IPv6 with its payload
 * length and no fragment header (nor the extension headers before it).
 * DECODE_SKIP is also returned for a fragment dropped by a resource limit
 * (memcap, trains, pieces a train), each counted under its own name.
 * DECODE_CHECKSUM: an IPv4 header checksum (checked before a fragment is
 * stored) or a TCP/UDP checksum (over the whole datagram, pseudo-header
 * included; not when the capture cut the datagram, nor a zero UDP
 * checksum, nor past an IPv6 routing header) failed and the checksum mode
 * says to drop it (checksum.h); nothing of the packet is handed on.
 */
enum decode_result decoder_packet(struct decoder *d, int dlt, uint64_t ts_us, const uint8_t *frame,
				  uint32_t caplen, uint32_t wirelen, struct mx_packet *p);

/* Drops fragment trains older than the timeout, by packet time. */
void decoder_expire(struct decoder *d, uint64_t now_us);

/* True when the decoder supports this pcap link type. */
bool decoder_supports_dlt(int dlt);

/* The decoder's counters. */
const struct decode_counters *decoder_counters(const struct decoder *d);

#endif
