/*
 * defrag.h - IP fragment reassembly for the decoder. Fragment trains are
 * keyed by (family, src, dst, id, protocol, VLAN ids); the first data to
 * arrive for a byte range wins and later overlaps are counted (and counted
 * again when their bytes differ). Held bytes are bounded by a memcap, the
 * number of trains and the pieces a train may have are bounded, trains
 * time out by packet time. Internal to the decode stage.
 */
#ifndef MX_DEFRAG_H
#define MX_DEFRAG_H

#include "util/common.h"
#include "decode/decode.h"

/* Largest header template a train keeps (the IPv6 fixed header). */
#define DEFRAG_MAX_HDR 40

/* Identity of a fragment train. Build it zeroed (memset), then fill. */
struct defrag_key {
	struct mx_addr src, dst;
	uint32_t id; /* IPv4: 16-bit identification; IPv6: 32-bit id */
	uint16_t vlan[2];
	uint8_t proto;	/* IPv4 protocol; 0 for IPv6 (RFC 8200 keys on id) */
	uint8_t family; /* 4 or 6 */
	uint8_t pad[2]; /* always zero: keys are compared bytewise */
};

/* One fragment offered to the defragmenter. */
struct defrag_frag {
	uint64_t ts_us;
	uint32_t offset;    /* byte offset of data in the datagram */
	bool more;	    /* more fragments follow (MF / M flag) */
	const uint8_t *hdr; /* header template, kept from the offset-0 fragment */
	uint32_t hdr_len;   /* at most DEFRAG_MAX_HDR */
	const uint8_t *data;
	uint32_t len;
	uint32_t max_end; /* offset + len beyond this: too large */
};

enum defrag_result {
	DEFRAG_HELD,	/* stored, the datagram is not complete yet */
	DEFRAG_DONE,	/* complete: *out holds header template + data */
	DEFRAG_INVALID, /* inconsistent or too large: counted, dropped */
	DEFRAG_DROPPED, /* a resource limit was reached: counted, dropped */
};

struct defrag;

/*
 * Creates a defragmenter with the limits of cfg that counts into cnt
 * (frag_* fields; cnt must outlive it). NULL on allocation failure.
 */
struct defrag *defrag_new(const struct decode_config *cfg, struct decode_counters *cnt);

/* Frees every train and the defragmenter. */
void defrag_free(struct defrag *df);

/*
 * Adds fragment f to the train of key. On DEFRAG_DONE *out points to the
 * header template of the train's offset-0 fragment followed by the
 * reassembled data, *out_len bytes in all, in a buffer owned by df that
 * stays valid until the next defrag_insert call; *hdr_len is the template
 * length. The caller may patch the template in place.
 */
enum defrag_result defrag_insert(struct defrag *df, const struct defrag_key *key,
				 const struct defrag_frag *f, uint8_t **out, uint32_t *out_len,
				 uint32_t *hdr_len);

/* Drops trains whose first fragment is older than the timeout at now_us. */
void defrag_expire(struct defrag *df, uint64_t now_us);

#endif
