/*
 * pcapng_norm.h - a streaming rewrite of a pcapng file on its way to
 * libpcap. libpcap 1.10 refuses a file whose interfaces have different
 * snapshot lengths; tshark and Wireshark write such files (mergecap,
 * several capture interfaces). The rewrite sets every Interface
 * Description Block's snapshot length to 0 ("no limit", which libpcap
 * takes as the link type's maximum), so every interface agrees. Link types
 * that differ between interfaces cannot be fixed this way (libpcap has one
 * link type per file): they are noted so the reader can say why libpcap
 * stopped. The block framing (type, total length, byte order from each
 * Section Header Block's magic) is walked and checked; input that is not
 * pcapng, or whose framing breaks, passes on unchanged from that point.
 */
#ifndef MX_PCAPNG_NORM_H
#define MX_PCAPNG_NORM_H

#include "util/common.h"

struct pcapng_norm {
	uint8_t state;		/* where in the block stream the next byte falls */
	bool big_endian;	/* byte order of the current section */
	uint8_t have;		/* header bytes of the current block gathered */
	uint8_t snap_left;	/* snapshot length bytes still to rewrite */
	bool snap_nonzero;	/* a rewritten byte of this IDB was not 0 */
	uint8_t hdr[12];	/* first 12 bytes of the current block */
	uint32_t left;		/* bytes of the current block still to pass */
	uint32_t blocks;	/* blocks walked */
	uint32_t idbs;		/* interface description blocks seen */
	uint32_t rewritten;	/* IDBs whose snapshot length was not 0 */
	int32_t first_linktype; /* link type of the first interface, -1 before */
	int32_t other_linktype; /* first link type differing from it, -1 if none */
};

/* Prepares n for the start of a stream. */
void pcapng_norm_init(struct pcapng_norm *n);

/*
 * Passes the next len bytes of the stream, rewriting snapshot lengths in
 * place. The stream may be cut into pieces anywhere.
 */
void pcapng_norm_feed(struct pcapng_norm *n, uint8_t *buf, size_t len);

/* True while the stream is being followed as well-framed pcapng. */
bool pcapng_norm_active(const struct pcapng_norm *n);

#endif
