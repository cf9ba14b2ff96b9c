/*
 * pcapng_norm.c - walks the pcapng block stream as it passes (gathering
 * the first 12 bytes of each block, skipping the rest by its total
 * length) and zeroes the snapshot length field of every Interface
 * Description Block. A snapshot length of 0 reads the same in both byte
 * orders, so the rewrite needs no byte swapping.
 */
#include "capture/pcapng_norm.h"

#include <string.h>

#define BT_SHB		 0x0a0d0d0au
#define BT_IDB		 0x00000001u
#define BLOCK_MIN	 12u /* type, total length, trailing total length */
#define SHB_MIN		 28u
#define IDB_MIN		 20u
#define IDB_SNAPLEN_OFF	 12u /* after type, length, link type and reserved */
#define IDB_SNAPLEN_SIZE 4u

enum {
	NORM_HEADER, /* gathering the first bytes of a block */
	NORM_SNAP,   /* on an IDB's snapshot length */
	NORM_BODY,   /* passing the rest of a block */
	NORM_OFF,    /* not pcapng, or the framing broke: bytes pass unchanged */
};

static const uint8_t shb_type[4] = {0x0a, 0x0d, 0x0d, 0x0a};
static const uint8_t magic_be[4] = {0x1a, 0x2b, 0x3c, 0x4d};
static const uint8_t magic_le[4] = {0x4d, 0x3c, 0x2b, 0x1a};

void pcapng_norm_init(struct pcapng_norm *n)
{
	memset(n, 0, sizeof(*n));
	n->state = NORM_HEADER;
	n->first_linktype = -1;
	n->other_linktype = -1;
}

bool pcapng_norm_active(const struct pcapng_norm *n)
{
	return n->state != NORM_OFF;
}

static uint32_t rd32(const struct pcapng_norm *n, const uint8_t *b)
{
	if (n->big_endian)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static uint16_t rd16(const struct pcapng_norm *n, const uint8_t *b)
{
	return n->big_endian ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
}

static void note_linktype(struct pcapng_norm *n, int32_t lt)
{
	n->idbs++;
	if (n->first_linktype < 0)
		n->first_linktype = lt;
	else if (lt != n->first_linktype && n->other_linktype < 0)
		n->other_linktype = lt;
}

/* The first 12 bytes of a block are in n->hdr: decide what follows. */
static void block_start(struct pcapng_norm *n)
{
	bool shb = memcmp(n->hdr, shb_type, 4) == 0;
	uint32_t type, len;

	n->have = 0;
	if (shb) {
		if (memcmp(n->hdr + 8, magic_be, 4) == 0)
			n->big_endian = true;
		else if (memcmp(n->hdr + 8, magic_le, 4) == 0)
			n->big_endian = false;
		else
			goto off;
	} else if (n->blocks == 0) {
		goto off; /* a pcapng file starts with a section header */
	}
	type = rd32(n, n->hdr);
	len = rd32(n, n->hdr + 4);
	if (len < BLOCK_MIN || len % 4 != 0 || (shb && len < SHB_MIN))
		goto off;
	n->blocks++;
	if (type == BT_IDB) {
		if (len < IDB_MIN)
			goto off;
		note_linktype(n, rd16(n, n->hdr + 8));
		n->left = len - IDB_SNAPLEN_OFF - IDB_SNAPLEN_SIZE;
		n->snap_left = IDB_SNAPLEN_SIZE;
		n->snap_nonzero = false;
		n->state = NORM_SNAP;
		return;
	}
	n->left = len - BLOCK_MIN;
	n->state = n->left > 0 ? NORM_BODY : NORM_HEADER;
	return;
off:
	n->state = NORM_OFF;
}

void pcapng_norm_feed(struct pcapng_norm *n, uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		switch (n->state) {
		case NORM_HEADER:
			n->hdr[n->have++] = buf[i++];
			if (n->have == sizeof(n->hdr))
				block_start(n);
			break;
		case NORM_SNAP:
			n->snap_nonzero |= buf[i] != 0;
			buf[i++] = 0;
			if (--n->snap_left == 0) {
				if (n->snap_nonzero)
					n->rewritten++;
				n->state = n->left > 0 ? NORM_BODY : NORM_HEADER;
			}
			break;
		case NORM_BODY: {
			size_t k = MX_MIN(len - i, (size_t)n->left);

			i += k;
			n->left -= (uint32_t)k;
			if (n->left == 0)
				n->state = NORM_HEADER;
			break;
		}
		default:
			return;
		}
	}
}
