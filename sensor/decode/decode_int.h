/*
 * decode_int.h - internals shared by the files of the decode stage:
 * decode.c (link layers, IP, TCP, UDP) and decode_tunnel.c (PPPoE, MPLS
 * and the tunnels: VXLAN, Geneve, GRE with ERSPAN, IP in IP). Not for use
 * outside the decode stage.
 */
#ifndef MX_DECODE_INT_H
#define MX_DECODE_INT_H

#include "decode/decode.h"

#define ETH_HLEN  14
#define VLAN_HLEN 4

#define ETHERTYPE_IPV4	     0x0800
#define ETHERTYPE_IPV6	     0x86dd
#define ETHERTYPE_8021Q	     0x8100
#define ETHERTYPE_8021AD     0x88a8
#define ETHERTYPE_QINQ9100   0x9100
#define ETHERTYPE_PPPOE_DISC 0x8863
#define ETHERTYPE_PPPOE_SESS 0x8864
#define ETHERTYPE_MPLS_UC    0x8847
#define ETHERTYPE_MPLS_MC    0x8848
#define ETHERTYPE_TEB	     0x6558 /* transparent Ethernet bridging */
#define ETHERTYPE_ERSPAN2    0x88be /* ERSPAN type I (no sequence) and II */
#define ETHERTYPE_ERSPAN3    0x22eb

#define UDP_PORT_VXLAN	4789
#define UDP_PORT_GENEVE 6081

struct decoder {
	struct decode_counters c;
	struct defrag *defrag;
	unsigned int tunnels; /* tunnels entered while decoding the current frame */
	enum checksum_mode csum_mode;
	bool csum_note;			/* decode_config.checksum_note */
	struct csum_sources *csum_srcs; /* auto mode: sources found offloaded */
	/* the innermost IP header being decoded, for the TCP/UDP checksum */
	const uint8_t *csum_ip;
	int csum_ip_version;
	bool csum_skip;	  /* no L4 check for this datagram (mode, offload, cut) */
	bool csum_judged; /* the source was judged on this datagram already */
};

/*
 * Judges a checksum result of the current IP datagram from src, source
 * port sport (0 for the IPv4 header; checksum.h auto mode; data: it
 * carries payload), once per datagram; true when the packet goes on. A
 * failure that is dropped is counted under *reason.
 */
bool decode_csum_verdict(struct decoder *d, const struct mx_addr *src, uint16_t sport, bool ok,
			 bool data, uint64_t ts_us, uint64_t *reason);

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Counts a malformed packet under its reason and under decoder.invalid. */
enum decode_result decode_bad(struct decoder *d, uint64_t *reason);

/* Counts a valid packet that is not decoded further under its reason. */
enum decode_result decode_skip(uint64_t *reason);

/*
 * Decodes an IPv4 (IPv6) datagram of len captured bytes at b. reasm is
 * true for a datagram the defragmenter rebuilt (not counted again).
 */
enum decode_result decode_ipv4(struct decoder *d, const uint8_t *b, uint32_t len,
			       struct mx_packet *p, bool reasm);
enum decode_result decode_ipv6(struct decoder *d, const uint8_t *b, uint32_t len,
			       struct mx_packet *p, bool reasm);

/* Decodes what follows an Ethernet type field (VLAN tags, PPPoE, MPLS, IP). */
enum decode_result decode_ethertype(struct decoder *d, uint16_t type, const uint8_t *b,
				    uint32_t len, struct mx_packet *p);

/* Decodes an Ethernet frame (counted under decoder.ethernet). */
enum decode_result decode_ethernet(struct decoder *d, const uint8_t *b, uint32_t len,
				   struct mx_packet *p);

/* A PPPoE session frame (ethertype 0x8864) carrying IPv4 or IPv6 over PPP. */
enum decode_result decode_pppoe_session(struct decoder *d, const uint8_t *b, uint32_t len,
					struct mx_packet *p);

/* An MPLS label stack and the IPv4, IPv6 or Ethernet pseudowire below it. */
enum decode_result decode_mpls(struct decoder *d, const uint8_t *b, uint32_t len,
			       struct mx_packet *p);

/* GRE (IP protocol 47), with ERSPAN types I, II and III. */
enum decode_result decode_gre(struct decoder *d, const uint8_t *b, uint32_t len,
			      struct mx_packet *p);

/* IPv4 (proto 4) or IPv6 (proto 41) carried in the IP datagram just decoded. */
enum decode_result decode_ip_in_ip(struct decoder *d, uint8_t proto, const uint8_t *b, uint32_t len,
				   struct mx_packet *p);

/*
 * True when the UDP datagram decoded into *p (data at b, len bytes) is
 * addressed to a tunnel port (VXLAN, Geneve); *r is then the result of
 * decoding the tunnel and what it carries.
 */
bool decode_udp_tunnel(struct decoder *d, const uint8_t *b, uint32_t len, struct mx_packet *p,
		       enum decode_result *r);

#endif
