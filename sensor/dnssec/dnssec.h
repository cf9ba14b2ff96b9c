/*
 * dnssec.h - passive DNSSEC validation from what the sensor sees: DNSKEY
 * and DS RRsets harvested from DNS responses are validated up a chain to
 * the trust anchors (in any order: RRsets that cannot be validated yet
 * wait, bounded, until their parent's keys are), RRSIGs are verified with
 * ldns at packet time (never wall time), and NSEC/NSEC3 denials of
 * existence are checked. The sensor never sends a query.
 *
 * The validator keeps, per zone, the validated DNSKEY RRset, the
 * validated DS RRset (signed by the parent's validated keys), and proofs
 * that a zone has no DS (insecure delegation), each with a lifetime in
 * packet time (the least of the records' TTL, the RRSIG original TTL and
 * the time left to the signature's expiration, at most one day), under a
 * memory cap with eviction of the oldest zone. Everything it reads from a
 * packet is hostile: records are checked field by field before ldns sees
 * them, the signature verifications one call may do are bounded, and NSEC3
 * hashing is bounded by an iteration cap.
 *
 * Input: ldns types only (ldns_pkt, ldns_rr_list), so the validator does
 * not depend on the DNS dissector. Names in results are in presentation
 * form, lowercased, without the trailing dot ("example.com"; root ".").
 */
#ifndef MX_DNSSEC_H
#define MX_DNSSEC_H

#include <ldns/ldns.h>

#include "util/common.h"
#include "dnssec/trust_anchor.h"

/* Room for a name in presentation form including the NUL. */
#define DNSSEC_NAME_MAX 1025

/* Outcome of a validation or of a denial check. */
enum dnssec_status {
	DNSSEC_SECURE,	      /* an RRSIG verified with a validated key of the signer */
	DNSSEC_INSECURE,      /* no chain of trust applies (unsigned or proven insecure) */
	DNSSEC_INDETERMINATE, /* cannot decide yet (keys not seen, unsupported, unsigned
				 in a signed zone): never an alert by itself */
	DNSSEC_BOGUS,	      /* signatures or denial records fail against validated keys */
	DNSSEC_NO_PROOF,      /* denial only: no NSEC/NSEC3 record at all */
};

/* Why; stable names from dnssec_reason_name() for EVE. */
enum dnssec_reason {
	DNSSEC_R_NONE,		   /* "" */
	DNSSEC_R_NO_SIGNATURES,	   /* "no-signatures": no RRSIG covers the RRset */
	DNSSEC_R_UNSIGNED_ZONE,	   /* "unsigned-zone": no RRSIG, zone not known signed */
	DNSSEC_R_ZONE_INSECURE,	   /* "zone-insecure": the zone is proven to have no DS */
	DNSSEC_R_KEYS_UNKNOWN,	   /* "keys-unknown": signer's DNSKEYs not validated (yet) */
	DNSSEC_R_UNSUPPORTED_ALG,  /* "unsupported-algorithm" */
	DNSSEC_R_SIG_EXPIRED,	   /* "signature-expired": packet time after expiration */
	DNSSEC_R_SIG_NOT_INCEPTED, /* "signature-not-yet-valid": before inception */
	DNSSEC_R_SIG_BAD_TIMES,	   /* "signature-bad-validity": expiration before inception */
	DNSSEC_R_WRONG_KEY,	   /* "wrong-key": no validated key has the RRSIG's tag */
	DNSSEC_R_BAD_SIGNATURE,	   /* "bad-signature": does not verify */
	DNSSEC_R_MALFORMED_SIG,	   /* "malformed-signature": cannot be decoded */
	DNSSEC_R_SIGNER_MISMATCH,  /* "signer-mismatch": signer not an ancestor of the owner,
				      or labels/type/class do not fit */
	DNSSEC_R_MALFORMED_RRSET,  /* "malformed-rrset": input not one well-formed RRset */
	DNSSEC_R_NOT_DENIAL,	   /* "not-a-denial": response is neither NXDOMAIN nor NODATA */
	DNSSEC_R_NAME_NOT_COVERED, /* "name-not-covered": no NSEC/NSEC3 proves the name absent */
	DNSSEC_R_WILDCARD_NOT_COVERED,	 /* "wildcard-not-covered" */
	DNSSEC_R_TYPE_EXISTS,		 /* "type-exists": the bitmap shows the type (or CNAME) */
	DNSSEC_R_WRONG_SIDE,		 /* "delegation-nsec": the record is from the wrong side
					    of a zone cut */
	DNSSEC_R_NO_CLOSEST_ENCLOSER,	 /* "no-closest-encloser": NSEC3 proof incomplete */
	DNSSEC_R_NSEC3_OPTOUT,		 /* "nsec3-opt-out": an opt-out span; insecure */
	DNSSEC_R_NSEC3_UNSUPPORTED_HASH, /* "nsec3-unsupported-hash": only hash algorithms
					    other than 1 (SHA-1) */
	DNSSEC_R_NSEC3_ITERATIONS,	 /* "nsec3-too-many-iterations": above the cap */
	DNSSEC_R_NSEC3_MALFORMED,	 /* "nsec3-malformed": owner/next hash unreadable */
	DNSSEC_R_BUDGET,		 /* "verification-budget": per-call verifications spent */
};

/* Result of dnssec_validate_rrset and dnssec_check_denial. */
struct dnssec_result {
	enum dnssec_status status;
	enum dnssec_reason reason;
	/* The RRSIG that decided (the one that verified, or the failing one):
	   its signer, key tag and algorithm; "" / 0 when none did. */
	char signer[DNSSEC_NAME_MAX];
	uint16_t key_tag;
	uint8_t algorithm;
	/* Whether the zone of the owner (denial: of the name denied) is
	   known to be signed at that packet time (dnssec_zone_known_signed),
	   and which zone made it so ("" when not). */
	bool zone_known_signed;
	char zone[DNSSEC_NAME_MAX];
	/* Denial only: the record type that proved or failed (LDNS_RR_TYPE_NSEC
	   or LDNS_RR_TYPE_NSEC3), 0 when none. */
	uint16_t denial_type;
	/* SECURE under keys that rest on a resolver's AD bit (dnssec_vouch_keys)
	   rather than a trust anchor; voucher is that resolver. */
	bool vouched;
	struct mx_addr voucher;
};

/* Largest RRset (estimated bytes) kept while it waits for its parent's keys. */
#define DNSSEC_PENDING_MAX_BYTES 16384

/* Limits of a validator. */
struct dnssec_config {
	size_t memcap;		       /* bytes of cached validated RRsets (zones evicted
					  oldest first beyond it) */
	uint32_t max_pending;	       /* DNSKEY/DS RRsets waiting for their parent's keys,
					  each at most DNSSEC_PENDING_MAX_BYTES */
	uint32_t verify_budget;	       /* signature verifications per call */
	uint16_t nsec3_max_iterations; /* above: the NSEC3 proof is insecure (RFC 9276) */
	uint32_t max_ttl;	       /* longest lifetime of a cached item, seconds */
};

/* Defaults: 16 MiB, 64 pending, 64 verifications, 150 iterations, 86400 s. */
void dnssec_config_defaults(struct dnssec_config *cfg);

/* Counters (all uint64_t); exported through dnssec_counter_desc. */
struct dnssec_counters {
	uint64_t keys_cached;	  /* gauge: validated DNSKEY RRsets held */
	uint64_t ds_cached;	  /* gauge: validated DS RRsets held */
	uint64_t insecure_cached; /* gauge: zones held as proven without DS */
	uint64_t pending;	  /* gauge: RRsets waiting for their parent */
	uint64_t memuse;	  /* gauge: bytes accounted */
	uint64_t keys_validated;  /* DNSKEY RRsets validated */
	uint64_t ds_validated;	  /* DS RRsets validated */
	uint64_t keys_bogus;	  /* DNSKEY/DS RRsets that failed against trusted material */
	uint64_t keys_vouched;	  /* DNSKEY RRsets taken on a resolver's AD bit */
	uint64_t pending_dropped; /* pending RRsets dropped: full, expired or replaced */
	uint64_t evicted;	  /* zones evicted to stay under the memcap */
	uint64_t memcap_drop;	  /* items not stored: larger than the memcap allows */
	uint64_t expired;	  /* cached items removed at the end of their lifetime */
	uint64_t validated;	  /* dnssec_validate_rrset: SECURE */
	uint64_t bogus;		  /* dnssec_validate_rrset: BOGUS */
	uint64_t insecure;	  /* dnssec_validate_rrset: INSECURE */
	uint64_t indeterminate;	  /* dnssec_validate_rrset: INDETERMINATE */
	uint64_t denial_secure, denial_bogus, denial_insecure, denial_indeterminate,
	    denial_no_proof;	    /* dnssec_check_denial outcomes */
	uint64_t verifications;	    /* signature verifications done */
	uint64_t verify_capped;	    /* verifications skipped: per-call budget spent */
	uint64_t unsupported_alg;   /* signatures with an algorithm not supported */
	uint64_t malformed;	    /* RRSIG/DNSKEY/DS/NSEC3 records that failed the checks */
	uint64_t nsec3_hashes;	    /* NSEC3 name hashes computed */
	uint64_t nsec3_bad_hash;    /* NSEC3 records with a hash algorithm other than 1 */
	uint64_t nsec3_iter_capped; /* NSEC3 proofs given up: too many iterations */
	uint64_t alloc_fail;	    /* allocations that failed (item not stored) */
};
extern const struct mx_counter_desc dnssec_counter_desc[];

struct dnssec_validator;

/*
 * A validator chaining to the anchors of ta (copied: ta may be freed
 * afterwards) with the limits of cfg (NULL: defaults). NULL on allocation
 * failure.
 */
struct dnssec_validator *dnssec_new(const struct trust_anchors *ta,
				    const struct dnssec_config *cfg);

/* Frees the validator and everything it holds (NULL is fine). */
void dnssec_free(struct dnssec_validator *v);
/*
 * Forgets every validated key, DS and no-DS proof and every pending
 * RRset (a new timeline); the trust anchors and the counters stay.
 */
void dnssec_forget(struct dnssec_validator *v);

/* The validator's counters (gauges are current). */
const struct dnssec_counters *dnssec_counters(const struct dnssec_validator *v);

/*
 * Learns from one DNS message seen at ts_us (packet time): every DNSKEY
 * and DS RRset in any section, with the RRSIGs of the same section that
 * cover it, is validated when its parent's material is known (trust
 * anchor or validated DS for a DNSKEY RRset; the signer's validated
 * DNSKEYs for a DS RRset) and cached; otherwise it waits (bounded) and is
 * retried whenever new keys or DS are validated, here or in a later call.
 * Responses that prove a child zone has no DS (NODATA for DS, or a
 * referral, with validated NSEC/NSEC3) mark that zone insecure. Call it
 * for every response before validating the data in it. The message is
 * not modified and not kept.
 */
void dnssec_observe_pkt(struct dnssec_validator *v, const ldns_pkt *pkt, uint64_t ts_us);

/*
 * Takes the DNSKEY RRsets in the answer of pkt, an AD=1 response whose AD
 * counts, as the validated keys of their zones on the word of resolver:
 * each must be signed by one of its own keys (verified at ts_us), and a
 * zone whose keys the validator validated itself keeps them. Signatures
 * are then checked under these keys as under any other (a bogus one is
 * bogus), but results under them, and under keys chained from them, say
 * vouched. Returns how many RRsets were taken.
 */
size_t dnssec_vouch_keys(struct dnssec_validator *v, const ldns_pkt *pkt,
			 const struct mx_addr *resolver, uint64_t ts_us);

/*
 * Validates one RRset (same owner, type and class) with the RRSIGs in
 * rrsigs that cover it (other records there are ignored; rrsigs may be
 * NULL) at packet time ts_us:
 *  - SECURE: an RRSIG whose signer is the owner or an ancestor verifies
 *    with a validated DNSKEY of the signer and inception <= time <=
 *    expiration (wildcard expansions included);
 *  - BOGUS: RRSIGs are present, the signer's keys are validated and none
 *    verifies (reason: wrong-key, signature-expired, ... );
 *  - INDETERMINATE: RRSIGs present but the signer's keys are not
 *    validated (keys-unknown) or the algorithm is not supported; or no
 *    RRSIG at all while the zone is known signed (no-signatures: the
 *    caller decides whether that is stripping, e.g. from the query's DO);
 *  - INSECURE: no RRSIG and the zone is not known signed, or the zone is
 *    proven to have no DS.
 * out->zone_known_signed is always filled. Neither list is modified.
 */
void dnssec_validate_rrset(struct dnssec_validator *v, const ldns_rr_list *rrset,
			   const ldns_rr_list *rrsigs, uint64_t ts_us, struct dnssec_result *out);

/*
 * dnssec_validate_rrset on the RRset (owner, type, class IN) of a
 * message's answer section with the RRSIGs of the answer section. When
 * the answer holds no such record, returns false and out says
 * INDETERMINATE with reason malformed-rrset; true otherwise.
 */
bool dnssec_validate_answer(struct dnssec_validator *v, const ldns_pkt *pkt, const ldns_rdf *owner,
			    uint16_t type, uint64_t ts_us, struct dnssec_result *out);

/*
 * Checks the denial of existence in a response (NXDOMAIN, or NOERROR
 * without the asked type, i.e. NODATA; after following a CNAME chain in
 * the answer): the NSEC or NSEC3 records of the authority section, whose
 * RRSIGs must validate SECURE, must prove that the name (and for NODATA
 * the type) does not exist, wildcards included (RFC 4035 5.4, RFC 5155
 * 8). SECURE when proven; BOGUS when denial records are present but their
 * signatures fail or they do not prove it; NO_PROOF when there is no
 * NSEC/NSEC3 at all (with zone_known_signed: the stripping signal);
 * INSECURE for an NSEC3 opt-out span, a hash algorithm other than SHA-1
 * or more iterations than the cap; INDETERMINATE when the signer's keys
 * are not validated, or the response is not a denial (not-a-denial: a
 * positive answer, a referral, another rcode, a CNAME loop).
 */
void dnssec_check_denial(struct dnssec_validator *v, const ldns_pkt *response, uint64_t ts_us,
			 struct dnssec_result *out);

/*
 * True when the zone of name is known to be signed at ts_us: walking up
 * from name, the first zone the validator has validated state for is
 * signed (a trust anchor, a validated DS RRset with a usable digest and
 * algorithm, or validated DNSKEYs) rather than proven insecure. The root
 * and top-level zones only count for their own name: they are
 * delegation-only, so the root anchor alone says nothing about
 * "example.com". name is in presentation form (trailing dot optional).
 * zone (may be NULL) gets the zone that decided ("" when none).
 */
bool dnssec_zone_known_signed(struct dnssec_validator *v, const char *name, uint64_t ts_us,
			      char *zone, size_t zone_cap);

/* dnssec_zone_known_signed with the name as an ldns dname rdf. */
bool dnssec_zone_known_signed_rdf(struct dnssec_validator *v, const ldns_rdf *name, uint64_t ts_us,
				  char *zone, size_t zone_cap);

/*
 * Drops cached and pending items whose lifetime ended before ts_us (also
 * done lazily when an item is looked up). Cheap to call per packet: it
 * scans at most every 10 seconds of packet time.
 */
void dnssec_tick(struct dnssec_validator *v, uint64_t ts_us);

/* "secure", "insecure", "indeterminate", "bogus", "no-proof". */
const char *dnssec_status_name(enum dnssec_status s);

/* The stable reason names listed with enum dnssec_reason ("" for NONE). */
const char *dnssec_reason_name(enum dnssec_reason r);

/*
 * Persistence (state/): each validated DNSKEY RRset, DS RRset and no-DS
 * proof the cache stores is shown to an observer; dnssec_restore puts one
 * back, so replaying them in order rebuilds the cache.
 */
enum dnssec_fact_kind { DNSSEC_F_KEYS, DNSSEC_F_DS, DNSSEC_F_INSECURE };

struct dnssec_fact {
	enum dnssec_fact_kind kind;
	char zone[DNSSEC_NAME_MAX];
	const ldns_rr_list *rrs; /* KEYS and DS; NULL for INSECURE */
	bool ds_usable;		 /* DS: one of them has a supported digest and algorithm */
	uint64_t learned_us;	 /* packet time it was validated */
	uint64_t expires_us;
	/* KEYS and DS: they rest on a resolver's AD bit (taken on its word, or
	   chained from keys that were), not on the sensor's own validation */
	bool vouched;
	struct mx_addr voucher;
};

typedef void (*dnssec_observer_fn)(void *arg, const struct dnssec_fact *f);

/* Shows every part stored from now on to fn (NULL: none). */
void dnssec_set_observer(struct dnssec_validator *v, dnssec_observer_fn fn, void *arg);

/*
 * Stores f (its records copied) as validated at f->learned_us, without
 * showing it; false when malformed or already expired then.
 */
bool dnssec_restore(struct dnssec_validator *v, const struct dnssec_fact *f);

#endif
