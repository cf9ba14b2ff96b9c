/*
 * expect.h - the expectation store: what should happen for a domain, an
 * MX host and a server address, learned from DNS answers seen in the
 * traffic (validated or not), from policy files, and from history (what a
 * server did in earlier sessions). Entries live by packet time; the store
 * is bounded by a memcap and evicts the least recently used entry first,
 * counting every eviction.
 *
 * Names are kept lowercased without the trailing dot.
 */
#ifndef MX_EXPECT_H
#define MX_EXPECT_H

#include "util/common.h"

#define EXPECT_NAME_MAX	     256
#define EXPECT_MAX_MX	     16
#define EXPECT_MAX_ADDRS     16
#define EXPECT_MAX_TLSA	     8
#define EXPECT_TLSA_DATA_MAX 64
#define EXPECT_STS_ID_MAX    64
#define EXPECT_SPKI_MAX	     4
#define EXPECT_FROM_MAX	     64 /* learned_from: the sensor that shared a fact */

/* How an expectation was established, strongest first. */
enum expect_trust {
	EXPECT_CONFIGURED,  /* a policy file says so */
	EXPECT_DNSSEC,	    /* DNSSEC-validated by the sensor */
	EXPECT_RESOLVER_AD, /* AD bit of a resolver whose AD counts (resolver_ad.h) */
	EXPECT_UNVALIDATED, /* plain DNS answer */
	EXPECT_HISTORY,	    /* learned from earlier sessions */
};

/* "dnssec", "resolver-ad", ... for the EVE expectation object. */
const char *expect_trust_name(enum expect_trust t);
/* Validated means configured, DNSSEC-validated, or AD from a resolver whose AD counts. */
bool expect_trust_validated(enum expect_trust t);

struct expect_mx {
	uint16_t pref;
	char host[EXPECT_NAME_MAX];
};

/* mx[] comes last: the store keeps only the n hosts a set has. */
struct expect_mxset {
	enum expect_trust trust;
	struct mx_addr resolver; /* the resolver that vouched (trust EXPECT_RESOLVER_AD) */
	uint64_t expires_us;
	char learned_from[EXPECT_FROM_MAX]; /* "" unless another sensor shared it */
	size_t n;
	struct expect_mx mx[EXPECT_MAX_MX];
};

struct expect_addrs {
	size_t n;
	struct mx_addr addr[EXPECT_MAX_ADDRS];
	enum expect_trust trust;
	struct mx_addr resolver; /* the resolver that vouched (trust EXPECT_RESOLVER_AD) */
	uint64_t expires_us;
};

struct tlsa_record {
	uint8_t usage, selector, mtype;
	uint8_t len;
	uint8_t data[EXPECT_TLSA_DATA_MAX];
};

struct expect_tlsa {
	size_t n;
	struct tlsa_record rec[EXPECT_MAX_TLSA];
	enum expect_trust trust;
	struct mx_addr resolver; /* the resolver that vouched (trust EXPECT_RESOLVER_AD) */
	uint64_t expires_us;	 /* end of the RRset's TTL */
	uint64_t last_seen_us;	 /* for "known to have TLSA" after expiry */
	uint32_t sightings;	 /* answers with TLSA seen for this host and port */
	char learned_from[EXPECT_FROM_MAX]; /* "" unless another sensor shared it */
};

struct expect_sts {
	char id[EXPECT_STS_ID_MAX];
	enum expect_trust trust;
	struct mx_addr resolver; /* the resolver that vouched (trust EXPECT_RESOLVER_AD) */
	uint64_t expires_us;
	uint64_t last_seen_us;
	uint32_t sightings; /* answers with an STSv1 record seen for this domain */
};

/* What a server address did in earlier sessions. */
struct server_history {
	uint32_t sessions;	    /* sessions with an EHLO reply */
	uint32_t starttls_offers;   /* of those, STARTTLS offered */
	uint32_t starttls_streak;   /* consecutive sessions offering STARTTLS */
	uint64_t starttls_last_us;  /* last session that offered it */
	uint16_t max_tls_version;   /* highest TLS version negotiated (wire value) */
	uint32_t version_sightings; /* sessions that negotiated max_tls_version */
	uint64_t version_last_us;   /* the last of them */
	uint64_t last_seen_us;
	uint8_t spki_sha256[EXPECT_SPKI_MAX][32]; /* server certificate keys seen, newest first */
	uint8_t n_spki;
	uint64_t spki_last_us; /* when the newest was seen */
};

/*
 * Records the SHA-256 of the server certificate's SubjectPublicKeyInfo in
 * h: moved to the front when known, else added in front, the oldest
 * dropped beyond EXPECT_SPKI_MAX.
 */
void expect_history_add_spki(struct server_history *h, const uint8_t spki[32], uint64_t now_us);

struct expect_counters {
	uint64_t entries, bytes, inserts, updates, evicted, memcap_drop, expired_lookups;
};
extern const struct mx_counter_desc expect_counter_desc[];

struct expect_config {
	size_t memcap;	    /* bytes of entries held at most */
	uint64_t history_s; /* how long "known to have" and server history are kept */
	uint32_t min_ttl_s; /* TTLs below this are raised to it */
	uint32_t max_ttl_s; /* TTLs above this are cut to it */
};

void expect_config_defaults(struct expect_config *cfg);

struct expect_store;

struct expect_store *expect_new(const struct expect_config *cfg);
void expect_free(struct expect_store *st);
/* Forgets every entry (a new timeline); the counters stay. */
void expect_clear(struct expect_store *st);

/* Lowercases name into out and drops one trailing dot; false if too long. */
bool expect_norm_name(const char *name, char out[EXPECT_NAME_MAX]);

/*
 * Records the MX set of a domain. A weaker trust never replaces a stronger
 * one that has not expired; an equal or stronger one replaces it.
 */
void expect_put_mx(struct expect_store *st, const char *domain, const struct expect_mxset *set,
		   uint64_t now_us);
/*
 * The domain's MX set while it lives, else NULL. Only mx[0..n) of the set
 * are stored: read the fields, never copy the struct whole.
 */
const struct expect_mxset *expect_get_mx(struct expect_store *st, const char *domain,
					 uint64_t now_us);

/* Records the addresses (A and AAAA merged) of a host; same trust rule. */
void expect_put_addrs(struct expect_store *st, const char *host, const struct expect_addrs *a,
		      uint64_t now_us);
const struct expect_addrs *expect_get_addrs(struct expect_store *st, const char *host,
					    uint64_t now_us);

/*
 * Hosts whose live address set holds addr, at most max of them, copied
 * into hosts[]; returns how many.
 */
size_t expect_hosts_of_addr(struct expect_store *st, const struct mx_addr *addr, uint64_t now_us,
			    char hosts[][EXPECT_NAME_MAX], size_t max);

/*
 * Domains whose live MX set names host, at most max, copied into
 * domains[]; returns how many.
 */
size_t expect_domains_of_host(struct expect_store *st, const char *host, uint64_t now_us,
			      char domains[][EXPECT_NAME_MAX], size_t max);

/*
 * Domains any MX answer named host for, whether or not that answer was
 * believed (a forged answer's claim included), at most max.
 */
size_t expect_claims_of_host(struct expect_store *st, const char *host,
			     char domains[][EXPECT_NAME_MAX], size_t max);

/* Records the TLSA RRset of host:port. */
void expect_put_tlsa(struct expect_store *st, const char *host, uint16_t port,
		     const struct expect_tlsa *t, uint64_t now_us);
/*
 * The TLSA RRset of host:port. *live is set when its TTL still runs; an
 * expired entry is still returned while it is remembered as history.
 */
const struct expect_tlsa *expect_get_tlsa(struct expect_store *st, const char *host, uint16_t port,
					  uint64_t now_us, bool *live);

/* Records a domain's _mta-sts TXT id. */
void expect_put_sts(struct expect_store *st, const char *domain, const struct expect_sts *s,
		    uint64_t now_us);
const struct expect_sts *expect_get_sts(struct expect_store *st, const char *domain,
					uint64_t now_us, bool *live);

/* The history of a server address, created empty when create is set. */
struct server_history *expect_history(struct expect_store *st, const struct mx_addr *addr,
				      uint64_t now_us, bool create);

const struct expect_counters *expect_counters(const struct expect_store *st);

/*
 * Persistence (state/): every change the store makes is shown to an
 * observer as a fact holding the whole new value of one entry, so that
 * replaying the facts in order (expect_restore) rebuilds the same store.
 */
#define EXPECT_NAMES_MAX 8

/*
 * Names kept by a reverse index (address -> hosts, host -> claiming
 * domains); name[] comes last: the store keeps only the n names it has.
 */
struct expect_names {
	size_t n;
	char name[EXPECT_NAMES_MAX][EXPECT_NAME_MAX];
};

enum expect_fact_kind {
	EXPECT_F_MX,		/* name: domain; value: struct expect_mxset */
	EXPECT_F_ADDRS,		/* name: host; value: struct expect_addrs */
	EXPECT_F_TLSA,		/* name: host, port; value: struct expect_tlsa */
	EXPECT_F_STS,		/* name: domain; value: struct expect_sts */
	EXPECT_F_HISTORY,	/* addr; value: struct server_history */
	EXPECT_F_HOSTS_OF_ADDR, /* addr; value: struct expect_names */
	EXPECT_F_MX_CLAIMS,	/* name: host; value: struct expect_names */
};

struct expect_fact {
	enum expect_fact_kind kind;
	const char *name; /* "" for address keys */
	struct mx_addr addr;
	uint16_t port;
	const void *value;
	uint64_t touched_us;	/* packet time of the change */
	uint64_t keep_until_us; /* packet time after which the entry means nothing */
};

typedef void (*expect_observer_fn)(void *arg, const struct expect_fact *f);

/*
 * Shows every later change to fn (NULL: none). A server history handed out
 * for writing is shown at the next call into the store or at
 * expect_flush_observed.
 */
void expect_set_observer(struct expect_store *st, expect_observer_fn fn, void *arg);
/* Shows the change still held back (a server history being written), if any. */
void expect_flush_observed(struct expect_store *st);
/* Sets the entry f describes to f's value, without showing it; false if it cannot be held. */
bool expect_restore(struct expect_store *st, const struct expect_fact *f);

#endif
