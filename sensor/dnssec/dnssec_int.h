/*
 * dnssec_int.h - what the files of the DNSSEC validator share: the zone
 * cache (validated DNSKEY and DS RRsets and no-DS proofs per zone, with
 * lifetimes, LRU order and memory accounting), the validator struct with
 * its anchors and pending RRsets, the lookups the chain and the checks
 * both use, the internal RRset validation the denial checks build on,
 * and the denial proof itself. Private to dnssec*.c.
 */
#ifndef MX_DNSSEC_INT_H
#define MX_DNSSEC_INT_H

#include <ldns/ldns.h>

#include "dnssec/dnssec.h"
#include "dnssec/dnssec_name.h"
#include "dnssec/dnssec_sig.h"

/* Most RRSIGs looked at for one RRset. */
#define DNSSEC_MAX_SIGS 8
/* Most records in one RRset the validator accepts. */
#define DNSSEC_MAX_RRSET 256
/* Most DNSKEY/DS RRsets harvested from one message. */
#define DNSSEC_MAX_GROUPS 16
/* Most NSEC/NSEC3 RRsets looked at in one denial. */
#define DNSSEC_MAX_DENIAL_SETS 16
/* Packet time between full scans for expired items. */
#define DNSSEC_PURGE_INTERVAL_US (10 * MX_USEC)

/* One zone's validated state. A zone entry lives while any part is set. */
struct zone_entry {
	ldns_rbnode_t node; /* key: &name */
	struct dname name;
	struct zone_entry *older, *newer; /* LRU order, newest = last stored */
	ldns_rr_list *keys;		  /* validated DNSKEY RRset, NULL when none */
	uint64_t keys_exp;
	ldns_rr_list *ds; /* validated DS RRset, NULL when none */
	uint64_t ds_exp;
	bool dnssec_ds_usable; /* a DS of it has a supported digest and algorithm */
	/* The keys (DS) rest on a resolver's AD bit, not on a trust anchor:
	   taken on its word (dnssec_vouch_keys) or chained from such keys. */
	bool keys_vouched, ds_vouched;
	struct mx_addr keys_voucher, ds_voucher;
	uint64_t insecure_exp; /* proven without DS until then; 0 when not */
	size_t mem;	       /* bytes accounted */
};

struct zone_cache {
	ldns_rbtree_t tree;
	struct zone_entry *oldest, *newest;
	size_t memcap, memuse;
	struct dnssec_counters *ctr;
	/* Shown each part stored (dnssec_state.c); NULL: nobody watches. */
	void (*observe)(void *arg, const struct zone_entry *e, int part, uint64_t ts_us);
	void *observe_arg;
	/* The next keys/DS stored rest on a resolver's AD bit (vouch_by): they
	   are marked so, and the observer is told (a state store brings them
	   back marked, never as keys the sensor validated). */
	bool vouch_next;
	struct mx_addr vouch_by;
};

/* The parts of a zone entry, for the observer. */
enum { ZONE_PART_KEYS, ZONE_PART_DS, ZONE_PART_INSECURE };

/* Estimated bytes ldns holds for one record / a list of records. */
size_t dnssec_rr_mem(const ldns_rr *rr);
size_t dnssec_rr_list_mem(const ldns_rr_list *l);

void dnssec_cache_init(struct zone_cache *c, size_t memcap, struct dnssec_counters *ctr);
/* Frees every entry. */
void dnssec_cache_clear(struct zone_cache *c);
/*
 * The entry of name with every part whose lifetime ended at ts_us
 * dropped (counted as expired); NULL when there is none left.
 */
struct zone_entry *dnssec_cache_find(struct zone_cache *c, const struct dname *name,
				     uint64_t ts_us);
/*
 * Stores a validated DNSKEY RRset (the cache takes list, also on failure)
 * valid until exp_us. False when it could not be stored (memcap, memory).
 */
bool dnssec_cache_set_keys(struct zone_cache *c, const struct dname *name, ldns_rr_list *list,
			   uint64_t exp_us, uint64_t ts_us);
/* Stores a validated DS RRset (taken as above); clears a no-DS proof. */
bool dnssec_cache_set_ds(struct zone_cache *c, const struct dname *name, ldns_rr_list *list,
			 bool usable, uint64_t exp_us, uint64_t ts_us);
/* Records a proof that name has no DS until exp_us; drops a cached DS. */
bool dnssec_cache_set_insecure(struct zone_cache *c, const struct dname *name, uint64_t exp_us,
			       uint64_t ts_us);
/* Drops every part whose lifetime ended at ts_us. */
void dnssec_cache_expire(struct zone_cache *c, uint64_t ts_us);

/* A trust anchor zone: its anchor DS and DNSKEY records (owned). */
struct anchor_zone {
	struct dname name;
	ldns_rr_list *ds;
	ldns_rr_list *keys;
};

/* A DNSKEY or DS RRset waiting for its parent's material. */
struct pending {
	uint16_t type;
	struct dname owner;
	ldns_rr_list *rrset; /* deep copies */
	ldns_rr_list *sigs;
	uint64_t seen_us; /* packet time it was seen: its signatures are judged then */
	uint64_t exp_us;
	size_t mem;
};

struct dnssec_validator {
	struct dnssec_config cfg;
	struct dnssec_counters ctr;
	struct zone_cache cache;
	struct anchor_zone *anchors;
	size_t nanchors;
	struct pending **pending; /* cfg.max_pending slots, oldest first, NULL-terminated run */
	size_t npending;
	size_t pending_mem;
	uint32_t budget; /* verifications left in the current call */
	uint64_t last_purge;
	dnssec_observer_fn observe; /* dnssec_state.c */
	void *observe_arg;
};

/* Packet time in seconds, as RRSIG times count it (RFC 1982 arithmetic wraps). */
static inline uint32_t dnssec_ts_sec(uint64_t ts_us)
{
	return (uint32_t)(ts_us / MX_USEC);
}

/* Refreshes the gauges (memuse, pending) of v's counters. */
void dnssec_update_gauges(struct dnssec_validator *v);

/* The trust anchor zone of name, NULL when name has no anchor. */
struct anchor_zone *dnssec_anchor_find(const struct dnssec_validator *v, const struct dname *name);

/* Validated keys of a zone: its cached DNSKEY RRset, else its anchor DNSKEYs, else NULL. */
const ldns_rr_list *dnssec_zone_keys(struct dnssec_validator *v, const struct dname *zone,
				     uint64_t ts_us);

/*
 * True when sig is an RRSIG (parsed into *si) over the RRset of owner,
 * type and rrclass; an RRSIG that fails the checks is counted malformed.
 */
bool dnssec_sig_covers(struct dnssec_validator *v, const ldns_rr *sig, const struct dname *owner,
		       uint16_t type, ldns_rr_class rrclass, struct rrsig_info *si);

/*
 * True when signer may sign the RRset of owner and type at all: it is the
 * owner or an ancestor (RFC 4035 5.3.1), the parent for a DS, the owner
 * for a DNSKEY RRset.
 */
bool dnssec_signer_fits(const struct dname *owner, uint16_t type, const struct dname *signer);

/* True when the section has a record of type (and owner, when not NULL). */
bool dnssec_section_has(const ldns_rr_list *sec, uint16_t type, const struct dname *owner);

/* Frees pending RRset i and closes the gap in the list. */
void dnssec_pending_free(struct dnssec_validator *v, size_t i);

/* What the validator knows about the zone of a name. */
enum zone_state {
	ZONE_UNKNOWN,
	ZONE_SIGNED,
	ZONE_INSECURE,
};

/*
 * The state of the closest enclosing zone of name the validator knows
 * (see dnssec_zone_known_signed); *zone gets that zone when not UNKNOWN.
 */
enum zone_state dnssec_zone_state(struct dnssec_validator *v, const struct dname *name,
				  uint64_t ts_us, struct dname *zone);

/*
 * Validates rrset with the RRSIGs of sigs that cover it at ts_us, as
 * dnssec_validate_rrset does but without counting the outcome; for a
 * SECURE result *exp_us gets the end of its lifetime and *signer the
 * signer of the RRSIG that verified (either may be NULL).
 */
enum dnssec_status dnssec_val_rrset(struct dnssec_validator *v, const ldns_rr_list *rrset,
				    const ldns_rr_list *sigs, uint64_t ts_us,
				    struct dnssec_result *out, uint64_t *exp_us,
				    struct dname *signer);

/* Lifetime end of an item of rrset signed by si, seen at ts_us. */
uint64_t dnssec_item_exp(const struct dnssec_validator *v, const ldns_rr_list *rrset,
			 const struct rrsig_info *si, uint64_t ts_us);

/*
 * Proves that sname (and for NODATA the type qtype) does not exist with
 * the NSEC/NSEC3 records of `section` (and their RRSIGs there), filling
 * *out (status, reason, signer, denial_type) but not the zone fields and
 * not the counters. *exp_us (may be NULL) gets the lifetime end of a
 * SECURE or opt-out proof.
 */
void dnssec_denial_prove(struct dnssec_validator *v, const struct dname *sname, uint16_t qtype,
			 bool nxdomain, const ldns_rr_list *section, uint64_t ts_us,
			 struct dnssec_result *out, uint64_t *exp_us);

/* True when the type bitmap (NSEC/NSEC3 wire form) has type. */
bool dnssec_bitmap_has(const uint8_t *bm, size_t len, uint16_t type);

/* One RRset of a message section (records borrowed) and the RRSIGs of the
   same section that cover it. */
struct dnssec_group {
	ldns_rr_list *rrset, *sigs;
	uint16_t type;
	struct dname owner;
};

/*
 * Groups the class IN records of type t1 or t2 in section sec by owner and
 * type, at most max groups of at most max_rrs records, and adds the RRSIGs
 * of the section covering each (at most DNSSEC_MAX_SIGS). The lists are
 * new, their records borrowed: free them with dnssec_groups_free. Returns
 * how many groups were made.
 */
size_t dnssec_collect(struct dnssec_validator *v, const ldns_rr_list *sec, uint16_t t1, uint16_t t2,
		      struct dnssec_group *g, size_t max, size_t max_rrs);

/* Frees the lists (not the records) of n groups. */
void dnssec_groups_free(struct dnssec_group *g, size_t n);

#endif
