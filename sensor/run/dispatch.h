/*
 * dispatch.h - which worker a captured frame goes to. The choice is a
 * symmetric hash of the frame's outermost IP address pair, read without
 * any state: the same for both directions of a connection, for every
 * fragment of a datagram (ports are not looked at) and whatever VLAN tags
 * the frame carries. Frames without a visible IP header go to worker 0.
 * It also tells the frames that may carry DNS, which the workers run in
 * capture order (order.h).
 */
#ifndef MX_DISPATCH_H
#define MX_DISPATCH_H

#include "util/common.h"

/*
 * Reads the outermost IPv4 or IPv6 source and destination address of a
 * frame of link type dlt (Ethernet with up to DISPATCH_MAX_TAGS
 * 802.1Q/802.1ad/0x9100 tags, PPPoE session, MPLS; Linux SLL and SLL2;
 * raw IP; BSD null/loopback). Never reads beyond caplen. Returns the IP
 * version (4 or 6) with *src and *dst filled, or 0 when no IP header is
 * visible (another protocol, a truncated frame, an unknown link type).
 */
int dispatch_peek_addrs(int dlt, const uint8_t *frame, uint32_t caplen, struct mx_addr *src,
			struct mx_addr *dst);

/* VLAN tags (and MPLS labels) walked over at most. */
#define DISPATCH_MAX_TAGS 8

/*
 * A hash of the address pair that does not depend on their order:
 * dispatch_pair_hash(a, b) == dispatch_pair_hash(b, a).
 */
uint32_t dispatch_pair_hash(const struct mx_addr *a, const struct mx_addr *b);

/*
 * The worker, in [0, n), for a frame: by dispatch_pair_hash of its
 * addresses; 0 when it has none or n <= 1.
 */
unsigned dispatch_worker(int dlt, const uint8_t *frame, uint32_t caplen, unsigned n);

/*
 * Whether the outermost IP packet of a frame may carry DNS: UDP or TCP
 * with port 53 on either side, or any IP fragment (ports are in the first
 * fragment only, and large DNSSEC answers arrive fragmented). DNS inside
 * a tunnel is not looked for. Never reads beyond caplen.
 */
bool dispatch_may_be_dns(int dlt, const uint8_t *frame, uint32_t caplen);

#endif
