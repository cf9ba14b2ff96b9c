/*
 * trust_anchor.h - the DNSSEC trust anchors the validator chains to: the
 * IANA root key-signing keys built in (KSK-2017, key tag 20326, and
 * KSK-2024, key tag 38696, as DS records), or the DS and DNSKEY records
 * of a `--trust-anchor FILE` in zone-file format (as unbound's
 * trust-anchor-file), which replace them.
 *
 * File format: one record per line, or several lines inside parentheses;
 * ';' starts a comment; $ORIGIN and $TTL are understood, $INCLUDE is not;
 * owner names are absolute (a relative owner needs a $ORIGIN before it);
 * an omitted owner repeats the previous one. Only class IN DS and DNSKEY
 * records are anchors: a DS must have a known digest type (1 SHA-1,
 * 2 SHA-256, 4 SHA-384) with a digest of its length, a DNSKEY protocol 3
 * and the zone-key flag. Errors read "FILE:LINE: message".
 */
#ifndef MX_TRUST_ANCHOR_H
#define MX_TRUST_ANCHOR_H

#include <ldns/ldns.h>

#include "util/common.h"

/* Room for an error message ("FILE:LINE: message"). */
#define TRUST_ANCHOR_ERR_MAX 512
/* Longest record (all its lines joined) a trust-anchor file may hold. */
#define TRUST_ANCHOR_MAX_RECORD 65536
/* Most anchors a set holds. */
#define TRUST_ANCHOR_MAX 256

struct trust_anchors;

/* An empty set; NULL on allocation failure. */
struct trust_anchors *trust_anchors_new(void);

/* Frees the set and its records (NULL is fine). */
void trust_anchors_free(struct trust_anchors *ta);

/*
 * Adds the built-in IANA root anchors (DS 20326 and DS 38696, algorithm 8,
 * digest type 2). False only on allocation failure.
 */
bool trust_anchors_add_root(struct trust_anchors *ta);

/*
 * Adds the anchors of the file at path. On error returns false with
 * "path:line: message" (or "path: message") in err, and adds nothing.
 * A file without any anchor is an error.
 */
bool trust_anchors_load_file(struct trust_anchors *ta, const char *path, char *err, size_t errlen);

/*
 * Same as trust_anchors_load_file on the text of a file held in memory;
 * label stands for the file name in messages.
 */
bool trust_anchors_load_text(struct trust_anchors *ta, const char *text, size_t len,
			     const char *label, char *err, size_t errlen);

/*
 * The anchors the sensor runs with: those of path when it is not NULL
 * (replacing the root anchors), else the built-in root anchors. NULL on
 * error with the message in err.
 */
struct trust_anchors *trust_anchors_setup(const char *path, char *err, size_t errlen);

/* Number of anchor records (DS and DNSKEY). */
size_t trust_anchors_count(const struct trust_anchors *ta);

/* Anchor record i (0 <= i < count), owned by the set; NULL out of range. */
const ldns_rr *trust_anchors_get(const struct trust_anchors *ta, size_t i);

/* Key tag of an anchor: the DS key tag field, or the DNSKEY's computed tag. */
uint16_t trust_anchor_key_tag(const ldns_rr *rr);

#endif
