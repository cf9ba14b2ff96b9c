/*
 * decode.h - link layer to L4: Ethernet, 802.1Q/802.1ad, Linux SLL and
 * SLL2, raw IP, BSD loopback; IPv4 (with fragment reassembly) and IPv6
 * (extension headers, fragments); TCP and UDP. Every malformed length is
 * counted under its own reason and never trusted.
 */
#ifndef MX_DECODE_H
#define MX_DECODE_H

#include "common.h"
#include "packet.h"

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
};

/* Table of every decode counter for the stats record, {NULL,0}-terminated. */
extern const struct mx_counter_desc decode_counter_desc[];

struct decode_config {
	size_t defrag_memcap;	   /* bytes held at most: fragment data and bookkeeping */
	uint32_t defrag_timeout_s; /* a fragment train older than this is dropped */
	uint32_t defrag_max_trains;
	uint32_t defrag_max_frags; /* stored pieces per train at most */
};

/* Fills cfg with the defaults (16 MiB, 60 s, 4096 trains, 256 pieces a train). */
void decode_config_defaults(struct decode_config *cfg);

enum decode_result {
	DECODE_OK,	/* *p holds a TCP or UDP packet */
	DECODE_HELD,	/* an IP fragment was stored; nothing to process yet */
	DECODE_SKIP,	/* valid but not IP/TCP/UDP (ARP, ICMP, ...): counted */
	DECODE_INVALID, /* malformed: counted under its reason */
};

struct decoder;

/* Creates a decoder with its own defragmenter; NULL on allocation failure. */
struct decoder *decoder_new(const struct decode_config *cfg);
/* Frees the decoder and every fragment it holds. */
void decoder_free(struct decoder *d);

/*
 * Decodes one frame of link type `dlt` (a pcap DLT_* value). On DECODE_OK
 * *p is filled; its pointers stay valid until the next decoder_packet call.
 * Never reads beyond caplen. For a datagram completed from fragments
 * (p->reassembled) the pointers refer to the defragmenter's buffer and
 * p->caplen and p->wirelen are the rebuilt IP datagram's length.
 * DECODE_SKIP is also returned for a fragment dropped by a resource limit
 * (memcap, trains, pieces a train), each counted under its own name.
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
