/*
 * packet.h - the decoded packet handed from decode to the flow stage.
 * Pointers refer to the capture buffer (or to the defragmenter's buffer
 * for a reassembled datagram) and are valid until the next decode call.
 */
#ifndef MX_PACKET_H
#define MX_PACKET_H

#include "util/common.h"

/* TCP flag bits as on the wire. */
#define MX_TCP_FIN 0x01
#define MX_TCP_SYN 0x02
#define MX_TCP_RST 0x04
#define MX_TCP_PSH 0x08
#define MX_TCP_ACK 0x10
#define MX_TCP_URG 0x20

struct mx_packet {
	uint64_t ts_us;	    /* packet time, microseconds since the epoch */
	uint32_t caplen;    /* bytes captured of the link-layer frame */
	uint32_t wirelen;   /* bytes on the wire */
	uint16_t vlan[2];   /* outer, inner 802.1Q/802.1ad ids */
	uint8_t vlan_count; /* 0, 1 or 2 */
	uint8_t ip_version; /* 4 or 6 */
	uint8_t proto;	    /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t ttl;	    /* IPv4 TTL or IPv6 hop limit */
	bool reassembled;   /* the datagram was rebuilt from IP fragments */
	bool l3_cut;	    /* the IP datagram was cut by the snaplen: its payload is
			       incomplete and its checksum could not be checked */
	struct mx_addr src, dst;
	uint16_t sport, dport;
	/* TCP only */
	uint32_t seq, ack;
	uint16_t win;
	uint8_t tcp_flags;
	/* the IP header and what follows (for nDPI), length bounded by caplen */
	const uint8_t *l3;
	uint32_t l3_len;
	/* L4 payload: TCP segment data or UDP datagram data */
	const uint8_t *payload;
	uint32_t payload_len;
};

#endif
