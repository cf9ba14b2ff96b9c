/*
 * checksum.h - IPv4 header, TCP and UDP checksum verification for the
 * decode stage, and the per-source memory of `auto` mode.
 *
 * A packet whose checksum fails is one the receiver's kernel drops; an
 * on-path attacker can send such packets (insertion, Ptacek & Newsham 1998)
 * to make a sensor follow a dialogue the receiver never had. So the decode
 * stage drops them before defragmentation, reassembly and the dissectors.
 *
 * Captures taken on a host with checksum offload carry wrong TCP/UDP
 * checksums on the packets that host sent: on every one (the lab's veth
 * captures), or only on those with data (loopback and TSO captures, where
 * SYNs and pure ACKs are summed in software). In `auto` mode (the default)
 * a source address is taken as offloaded, and its packets are no longer
 * checked, when its first packet fails or its first packet with data
 * fails: most of its early packets, or of its early data packets, would
 * fail. Counted in decoder.checksum_offload.sources, and said once on
 * stderr (live, or offline when stderr is a terminal).
 * A source whose first data passed is checked for good, so a decoy with a
 * bad checksum in an established dialogue is dropped (and a server seen
 * before cannot be made "offloaded" later). A source taken for offloaded
 * is still checked until CSUM_OFFLOAD_CONFIRM of its packets have failed:
 * should a packet with data pass meanwhile from the port whose failure
 * marked it (not another: on loopback one address sends both sides, and
 * only one side's checksums may be offloaded), the source does not offload
 * (the failure was a decoy, say a decoy banner ahead of the real one) and
 * it is checked for good from then on (decoder.checksum_offload.reverted);
 * the decoy that was let through conflicts with the real segment at the
 * same sequence numbers (stream-evasion). The limit: an on-path attacker
 * who fails the first CSUM_OFFLOAD_CONFIRM packets of a source it sees for
 * the first time, ahead of any of its real data, turns checking off for
 * it; -k all has no such mode.
 * The table of sources is bounded (CSUM_SOURCES entries, evictions
 * counted; an evicted source is judged afresh).
 */
#ifndef MX_CHECKSUM_H
#define MX_CHECKSUM_H

#include "util/common.h"

/* What is checked: `-k auto|all|none`, `checksum-validation: auto|yes|no`. */
enum checksum_mode {
	CHECKSUM_AUTO, /* check, but stop for a source whose early packets mostly fail */
	CHECKSUM_ALL,  /* check every packet */
	CHECKSUM_NONE, /* check nothing */
};

/* Failing packets that confirm a source as offloaded (its checks stop). */
#define CSUM_OFFLOAD_CONFIRM 4

/* Sources remembered at most (4-way buckets). */
#define CSUM_SOURCES 4096

/*
 * Parses "auto", "all"/"yes"/"true" or "none"/"no"/"false" into *mode;
 * false for anything else.
 */
bool checksum_mode_parse(const char *s, enum checksum_mode *mode);

/* The name of a mode ("auto", "all", "none"). */
const char *checksum_mode_name(enum checksum_mode mode);

/*
 * Adds len bytes at b to a running one's complement sum, as big-endian
 * 16-bit words (what is added is congruent to their sum modulo 0xffff);
 * an odd last byte is padded with zero. Only the last piece of a
 * checksummed region may have an odd length.
 */
uint64_t csum_add(uint64_t sum, const uint8_t *b, size_t len);

/* True when a running sum over a whole region (checksum included) folds to 0xffff. */
bool csum_ok(uint64_t sum);

/*
 * The pseudo-header sum of a TCP/UDP datagram of l4len bytes of protocol
 * proto: addresses from the IPv4 header at ip (version 4) or the IPv6
 * header at ip (version 6).
 */
uint64_t csum_pseudo(const uint8_t *ip, int version, uint8_t proto, uint32_t l4len);

struct csum_sources;

/* A table for auto mode; NULL on allocation failure. */
struct csum_sources *csum_sources_new(void);
/* Frees the table. */
void csum_sources_free(struct csum_sources *t);

/* True when the source was confirmed offloaded: its packets are not checked. */
bool csum_source_offloaded(const struct csum_sources *t, const struct mx_addr *src);

/*
 * Records one checked packet of src from port sport (0: none known; ok:
 * its checksums passed; data: it carries payload) and says whether it goes on: true when it passed, or
 * when it failed but the source is taken for offloaded (this failure, of
 * its first packet or its first with data, made it so, or an earlier one
 * did). *became_offloaded is set when this call marked the source;
 * *reverted when a packet with data passed from a source taken for
 * offloaded, from the port that marked it: the source is checked for good
 * from now on; *evicted when a
 * remembered source had to make room.
 */
bool csum_source_judge(struct csum_sources *t, const struct mx_addr *src, uint16_t sport, bool ok,
		       bool data, uint64_t ts_us, bool *became_offloaded, bool *reverted,
		       bool *evicted);

#endif
