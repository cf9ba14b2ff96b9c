/*
 * dns.h - the DNS dissector: DNS messages over UDP and over TCP (RFC 1035
 * 4.2.2 length-prefixed framing, both directions, split and coalesced
 * messages, gaps) parsed with ldns, one callback per message; and the
 * record helpers the correlate stage and the DNSSEC validator use on the
 * parsed message (MX, A/AAAA, TLSA, TXT/MTA-STS, CNAME, RRSIG, DNSKEY,
 * DS, NSEC/NSEC3, RRsets with their signatures, an EVE answer summary).
 *
 * Pure: bytes in, events out. All state lives in the caller's struct
 * dns_parser (configuration, callbacks, counters, TCP buffer accounting)
 * and struct dns_tcp_state (one per TCP flow); there is no global state.
 *
 * Names are given in ldns presentation form, lowercased, WITHOUT the
 * trailing dot ("mx.example.test"); the root name is ".". Characters
 * ldns escapes (\., \DDD, ...) stay escaped.
 *
 * Records are parsed by ldns (ldns_wire2rr, section by section, as
 * ldns_wire2pkt does) with guards ldns_wire2pkt lacks, see dns_wire.c:
 *  - ldns_wire2pkt leaks every TSIG but the last of a message; here the
 *    first TSIG is kept, later ones are freed and flagged
 *    (DNS_ANOM_MULTI_TSIG), so such a message is still seen;
 *  - ldns 1.8 allocates the whole rdata length for every rdata field it
 *    splits off (a TXT of 60000 empty strings costs 60000 x 60000 bytes),
 *    so the cost of every record is estimated before ldns parses it and a
 *    message above dns_config.max_parse_cost is refused (DNS_MAL_COST);
 *  - messages announcing more than dns_config.max_rrs records are refused
 *    before any parsing (DNS_MAL_TOO_MANY_RRS);
 *  - ldns follows up to 65535 compression pointers per name (1024 records
 *    naming a chain of 8000 pointers to pointers cost it about 90 ms); a
 *    message where a name would follow more than 128 pointers (no valid
 *    name needs more) is refused before parsing (DNS_MAL_NAME_WORK).
 *
 * Notes for the DNSSEC validator (ldns traps, not handled here):
 *  - ldns's NSEC3 denial checks abort on an NSEC3 hash algorithm other
 *    than 1 (SHA-1): call dns_pkt_nsec3_hash_ok() first and treat the
 *    denial as unverifiable when it returns false;
 *  - a malformed ECDSA signature makes ldns's verify functions return
 *    LDNS_STATUS_MEM_ERR: that is a bogus signature, not an out-of-memory
 *    condition;
 *  - the resolver-bound ldns validators need a live resolver; verify with
 *    the _time variants at packet time on RRsets from dns_rrset().
 */
#ifndef MX_DNS_H
#define MX_DNS_H

/* stdbool.h must come before ldns: without it ldns/common.h defines bool
   as signed char, which does not match the _Bool libldns was built with */
#include <stdbool.h>

#include <ldns/ldns.h>

#include "util/common.h"

_Static_assert((bool)2 == 1, "<ldns/ldns.h> was included before <stdbool.h>: bool is not _Bool");

/* Largest DNS message: the TCP length prefix is 16 bits. */
#define DNS_MSG_MAX 65535
/* Bytes of a DNS header. */
#define DNS_HEADER_LEN 12
/* Room for a name in presentation form including the NUL (255 wire bytes,
   each escaped as \DDD at worst). */
#define DNS_NAME_STR_MAX 1025
/* Room for an RR type mnemonic including the NUL ("TYPE65535"). */
#define DNS_TYPE_STR_MAX 16
/* Room for the rdata of one answer in the EVE summary including the NUL. */
#define DNS_RDATA_STR_MAX 1024
/* Room for an MTA-STS id including the NUL (RFC 8461: 1*32 ALPHA/DIGIT). */
#define DNS_STS_ID_MAX 33

/* Message sections, for the record helpers. */
enum dns_section {
	DNS_SECTION_QUESTION,
	DNS_SECTION_ANSWER,
	DNS_SECTION_AUTHORITY,
	DNS_SECTION_ADDITIONAL,
};

/* Anomalies of a message that was still parsed (dns_message.anomalies). */
#define DNS_ANOM_MULTI_TSIG    0x01u /* more than one TSIG: only the first is kept */
#define DNS_ANOM_TSIG_NOT_LAST 0x02u /* a record follows the TSIG (RFC 8945: last) */
#define DNS_ANOM_MULTI_OPT     0x04u /* more than one OPT: the last one's values are kept */

/* Limits, see dns_config_defaults. */
struct dns_config {
	uint32_t max_rrs;      /* records per message (sum of the header counts) */
	size_t max_parse_cost; /* estimated bytes ldns allocates for one message */
	uint32_t tcp_max_msg;  /* largest DNS-over-TCP message accepted (<= 65535);
				  longer ones are skipped by length (oversize) */
	size_t tcp_memcap;     /* bytes of TCP reassembly buffers held, all flows */
};

/* Defaults: 1024 records, 4 MiB parse cost, 65535-byte TCP messages,
   16 MiB of TCP buffers. */
void dns_config_defaults(struct dns_config *cfg);

/*
 * One parsed DNS message. Everything here is valid during the message
 * callback only: the dissector frees pkt (and the wire buffer) when the
 * callback returns. A callee that needs records later copies them
 * (dns_rrset returns clones; ldns_rr_clone; ldns_pkt_clone).
 */
struct dns_message {
	ldns_pkt *pkt;	     /* the ldns parse; owned by the dissector */
	const uint8_t *wire; /* the message bytes (TCP: without the prefix) */
	size_t wire_len;
	bool tcp; /* came over TCP */
	uint16_t id;
	bool qr;	/* response */
	uint8_t opcode; /* 0 QUERY, 4 NOTIFY, 5 UPDATE, ... */
	uint16_t rcode; /* 12 bits: header RCODE plus the EDNS extended
			   RCODE << 4 when an OPT was present */
	bool aa, tc, rd, ra, ad, cd;
	bool edns;		      /* an OPT record was present */
	uint8_t edns_version;	      /* 0 without OPT */
	bool do_bit;		      /* EDNS DO (DNSSEC OK) */
	uint16_t udp_size;	      /* EDNS payload size; 0 without OPT */
	bool tsig;		      /* a TSIG record was present (ldns_pkt_tsig) */
	uint32_t anomalies;	      /* DNS_ANOM_* */
	bool has_question;	      /* qdcount > 0; the fields below are the first question's */
	char qname[DNS_NAME_STR_MAX]; /* "" without a question */
	uint16_t qtype, qclass;
	/* records parsed per section; arcount excludes OPT and TSIG (as ldns) */
	uint16_t qdcount, ancount, nscount, arcount;
};

/* Why a message was not parsed. */
enum dns_malformed_reason {
	DNS_MAL_SHORT_HEADER, /* fewer than 12 bytes */
	DNS_MAL_TOO_MANY_RRS, /* header counts sum above dns_config.max_rrs */
	DNS_MAL_COST,	      /* estimated ldns allocation above max_parse_cost */
	DNS_MAL_NAME_WORK,    /* a name follows more than 128 compression pointers */
	DNS_MAL_OVERSIZE,     /* longer than DNS_MSG_MAX (UDP) */
	DNS_MAL_PARSE,	      /* ldns refused a record: see status */
	DNS_MAL_ALLOC,	      /* out of memory (ldns or ours) */
};

/* A message the dissector could not parse. */
struct dns_error {
	enum dns_malformed_reason reason;
	ldns_status status;  /* the ldns status for DNS_MAL_PARSE/ALLOC, else LDNS_STATUS_OK */
	const uint8_t *wire; /* the message bytes, valid during the callback */
	size_t wire_len;
	bool tcp;
};

/* Counters of one dns_parser; exported through dns_counter_desc. */
struct dns_counters {
	uint64_t messages;  /* parsed and delivered */
	uint64_t queries;   /* delivered with QR=0 */
	uint64_t responses; /* delivered with QR=1 */
	uint64_t malformed; /* not parsed, all reasons below together */
	/* of those, with a full header: by its QR bit */
	uint64_t malformed_queries, malformed_responses;
	uint64_t malformed_short_header, malformed_too_many_rrs, malformed_cost,
	    malformed_name_work;
	/* ldns parse errors by status: record cut short in each section
	   (LDNS_STATUS_WIRE_INCOMPLETE_*), bad compression pointer (loops
	   included), label over 63 bytes or cut, name over 255 bytes, other */
	uint64_t malformed_question, malformed_answer, malformed_authority, malformed_additional,
	    malformed_pointer, malformed_label, malformed_name_len, malformed_other;
	uint64_t anomaly_multi_tsig, anomaly_tsig_not_last, anomaly_multi_opt;
	uint64_t tcp_messages;	 /* complete messages framed out of TCP */
	uint64_t tcp_gaps;	 /* gaps reported by reassembly */
	uint64_t tcp_gap_msgs;	 /* partial messages dropped because of a gap */
	uint64_t tcp_lost;	 /* directions abandoned: framing lost after a gap */
	uint64_t tcp_resync;	 /* framing found again after a gap (probe) */
	uint64_t tcp_lost_bytes; /* bytes ignored in abandoned directions */
	uint64_t tcp_incomplete; /* partial messages left when a state was freed */
	uint64_t oversize;	 /* messages above the size limit, skipped */
	uint64_t memcap;	 /* TCP messages skipped: buffer over tcp_memcap */
	uint64_t alloc_fail;	 /* allocations that failed (message skipped) */
	uint64_t memuse;	 /* gauge: bytes of TCP buffers held now */
};
extern const struct mx_counter_desc dns_counter_desc[];

struct dns_parser;

/* Receives each parsed message; ctx is the pointer passed to the feed call. */
typedef void (*dns_message_fn)(void *ctx, const struct dns_message *m);
/* Receives each message that could not be parsed (optional). */
typedef void (*dns_error_fn)(void *ctx, const struct dns_error *e);

/*
 * The dissector's state for one thread: fill it with dns_parser_init and
 * change cfg before the first feed if needed. Counters are plain fields.
 */
struct dns_parser {
	struct dns_config cfg;
	dns_message_fn on_message;
	dns_error_fn on_error; /* may be NULL */
	struct dns_counters counters;
};

/* Zeroes *p, sets the default configuration and the callbacks. */
void dns_parser_init(struct dns_parser *p, dns_message_fn on_message, dns_error_fn on_error);

/*
 * Parses one UDP payload as a DNS message. Calls p->on_message (ctx) for
 * a parsed message or p->on_error for one that is not; counts either.
 * Returns true when a message was delivered.
 */
bool dns_parse_udp(const uint8_t *payload, size_t len, struct dns_parser *p, void *ctx);

/*
 * Parses the bytes of a message delivered before (a copy kept by a caller
 * beyond the callback) into a new packet, as the dissector parsed it then,
 * without the limits of dns_config, which it passed then. NULL when it
 * does not parse. The caller frees the packet with ldns_pkt_free.
 */
ldns_pkt *dns_reparse(const uint8_t *wire, size_t len);

/* One direction of DNS over TCP (private to dns_tcp.c). */
struct dns_tcp_dir {
	uint8_t *buf;	/* the message being assembled, NULL when none */
	uint32_t have;	/* bytes of it buffered */
	uint32_t need;	/* its length from the prefix */
	uint32_t skip;	/* bytes still to be discarded */
	uint8_t phase;	/* framing phase */
	uint8_t len_hi; /* first byte of a split length prefix */
};

/*
 * DNS over TCP state of one flow, both directions (index FLOW_TOSERVER /
 * FLOW_TOCLIENT, i.e. 0 / 1). Fixed size; a direction allocates a buffer
 * only for a message split across segments, exactly its length (at most
 * 65535 bytes), accounted in counters.memuse against cfg.tcp_memcap, and
 * frees it when the message completes. Zero-initialised is the start state.
 */
struct dns_tcp_state {
	struct dns_tcp_dir dir[2];
};

/* Puts *st in the start state (same as zero-filling it). */
void dns_tcp_init(struct dns_tcp_state *st);

/*
 * Feeds in-order stream bytes of direction dir (0 or 1) to the framer:
 * every complete message is parsed and delivered as with dns_parse_udp
 * (m->tcp set), several per call when the data holds several. A message
 * longer than cfg.tcp_max_msg, or whose buffer would exceed tcp_memcap or
 * cannot be allocated, is skipped by its length (framing is kept) and
 * counted. Bytes of an abandoned direction are counted and ignored. The
 * callbacks must not feed, gap or free the same state.
 */
void dns_tcp_feed(struct dns_tcp_state *st, int dir, const uint8_t *data, size_t len,
		  struct dns_parser *p, void *ctx);

/*
 * Reports len bytes of direction dir that reassembly will never deliver.
 * A gap inside a message of known length drops that message and resumes
 * at the next length prefix. A gap anywhere else (at a message boundary,
 * in a length prefix, past the current message) hides where messages
 * start: the first data after it is probed for a length prefix and a
 * plausible header (one question, opcode QUERY, sane counts; counted in
 * tcp_resync); when the probe fails the direction is abandoned for the
 * rest of the flow (counted in tcp_lost).
 */
void dns_tcp_gap(struct dns_tcp_state *st, int dir, size_t len, struct dns_parser *p);

/*
 * Releases the buffers of *st (a partial message counts as
 * tcp_incomplete) and returns it to the start state.
 */
void dns_tcp_free(struct dns_tcp_state *st, struct dns_parser *p);

/*
 * True when payload is a whole DNS message over UDP: opcode QUERY, the
 * reserved Z bit clear, exactly one question, and every record parses
 * (with the default limits). For classifying UDP flows on other ports;
 * nothing is counted.
 */
bool dns_probe(const uint8_t *payload, size_t len);

/* Short name of a malformed reason ("short_header", "parse", ...). */
const char *dns_malformed_reason_str(enum dns_malformed_reason r);

/* ------------------------------------------------------------------ */
/* Record helpers for the correlate stage and the validator. All take
   the message's ldns_pkt (m->pkt) or one of its records; pointers they
   return into records stay valid as long as the packet. */

/*
 * Writes the presentation form of a domain name rdf (lowercased, no
 * trailing dot, root "."). False when dname is not a name, on allocation
 * failure or when it does not fit in cap (buf is then "").
 */
bool dns_name_str(const ldns_rdf *dname, char *buf, size_t cap);

/* Writes the mnemonic of an RR type ("MX", "TLSA", or "TYPE65280"). */
const char *dns_type_str(uint16_t type, char *buf, size_t cap);

/* Mnemonic of a (12-bit) rcode as EVE writes it ("NOERROR", "NXDOMAIN",
   "BADVERS"); NULL for a value without one. */
const char *dns_rcode_str(uint16_t rcode);

/* The ldns record list of a section (NULL for a bad section value). */
const ldns_rr_list *dns_section_list(const ldns_pkt *pkt, enum dns_section sec);

/*
 * Iterates the records of one type in one section:
 *
 *	struct dns_rr_iter it;
 *	const ldns_rr *rr;
 *	dns_rr_iter_init(&it, m->pkt, DNS_SECTION_ANSWER, LDNS_RR_TYPE_MX);
 *	while ((rr = dns_rr_iter_next(&it)) != NULL)
 *		use(rr, it.owner);
 *
 * type 0 matches every type. it.owner holds the presentation form of the
 * owner of the record last returned ("" if it could not be formatted).
 */
struct dns_rr_iter {
	const ldns_rr_list *list;
	size_t next;
	uint16_t type;
	char owner[DNS_NAME_STR_MAX];
};
void dns_rr_iter_init(struct dns_rr_iter *it, const ldns_pkt *pkt, enum dns_section sec,
		      uint16_t type);
const ldns_rr *dns_rr_iter_next(struct dns_rr_iter *it);

/* Number of records of a type (0: any) in a section. */
size_t dns_count_type(const ldns_pkt *pkt, enum dns_section sec, uint16_t type);

/* MX: preference and exchange name. False when rr is not a complete MX or
   the name does not fit in cap. */
bool dns_rr_mx(const ldns_rr *rr, uint16_t *preference, char *exchange, size_t cap);

/* A or AAAA: the address (IPv4 stored mapped). False for other records. */
bool dns_rr_addr(const ldns_rr *rr, struct mx_addr *a);

/* CNAME: the target name. False when rr is not a CNAME or it does not fit. */
bool dns_rr_cname(const ldns_rr *rr, char *target, size_t cap);

/* TLSA (RFC 6698) fields; data points into the record. */
struct dns_tlsa {
	uint8_t usage, selector, matching_type;
	const uint8_t *data; /* certificate association data */
	size_t len;
};
/* False when rr is not a TLSA with all four fields (data not empty). */
bool dns_rr_tlsa(const ldns_rr *rr, struct dns_tlsa *t);

/*
 * TXT: the character-strings concatenated, NUL-terminated. *len gets the
 * full length. False when rr is not a TXT or the text (plus NUL) does not
 * fit in cap; buf then holds as much as fits.
 */
bool dns_rr_txt(const ldns_rr *rr, char *buf, size_t cap, size_t *len);

/*
 * MTA-STS (RFC 8461 3.1) on a TXT text: true when it starts with
 * "v=STSv1" followed by ';', blank or the end. id (cap >= DNS_STS_ID_MAX
 * recommended) gets the value of its "id=" field when that is 1 to 32
 * letters/digits, "" otherwise.
 */
bool dns_sts_parse(const char *txt, size_t len, char *id, size_t idcap);
/* dns_sts_parse on a TXT record; false for other records. */
bool dns_rr_sts(const ldns_rr *rr, char *id, size_t idcap);

/* RRSIG (RFC 4034 3.1) fields; signature points into the record. */
struct dns_rrsig {
	uint16_t type_covered;
	uint8_t algorithm, labels;
	uint32_t original_ttl, expiration, inception;
	uint16_t key_tag;
	char signer[DNS_NAME_STR_MAX];
	const uint8_t *signature;
	size_t signature_len;
};
/* False when rr is not a complete RRSIG. */
bool dns_rr_rrsig(const ldns_rr *rr, struct dns_rrsig *s);

/* DNSKEY (RFC 4034 2.1) fields; key points into the record; key_tag is
   computed by ldns_calc_keytag. */
struct dns_dnskey {
	uint16_t flags;
	uint8_t protocol, algorithm;
	uint16_t key_tag;
	const uint8_t *key;
	size_t key_len;
};
/* False when rr is not a complete DNSKEY. */
bool dns_rr_dnskey(const ldns_rr *rr, struct dns_dnskey *k);

/* DS (RFC 4034 5.1) fields; digest points into the record. */
struct dns_ds {
	uint16_t key_tag;
	uint8_t algorithm, digest_type;
	const uint8_t *digest;
	size_t digest_len;
};
/* False when rr is not a complete DS. */
bool dns_rr_ds(const ldns_rr *rr, struct dns_ds *d);

/*
 * True when every NSEC3 record of the authority section uses hash
 * algorithm 1 (SHA-1) and is complete enough to read it; true as well
 * when there is none. ldns's NSEC3 denial checks must only be called when
 * this holds (they abort otherwise).
 */
bool dns_pkt_nsec3_hash_ok(const ldns_pkt *pkt);

/*
 * The RRset (owner, type, class) of a section and the RRSIGs in the same
 * section that cover it (same owner and class, type covered == type).
 * owner is compared case-insensitively (ldns_dname_compare). On success
 * *rrset and *sigs are NEW lists of CLONED records owned by the caller
 * (free with ldns_rr_list_deep_free), or NULL when there is no such
 * record; they outlive the packet. Returns false on allocation failure
 * (both NULL).
 */
bool dns_rrset(const ldns_pkt *pkt, enum dns_section sec, const ldns_rdf *owner, uint16_t type,
	       uint16_t rrclass, ldns_rr_list **rrset, ldns_rr_list **sigs);
/* dns_rrset with the owner in presentation form (trailing dot optional);
   an owner ldns cannot read as a name gives no records (true, NULLs). */
bool dns_rrset_by_name(const ldns_pkt *pkt, enum dns_section sec, const char *owner, uint16_t type,
		       uint16_t rrclass, ldns_rr_list **rrset, ldns_rr_list **sigs);

/* How an answer's rdata is written (as Suricata's EVE dns records do). */
enum dns_rdata_form {
	DNS_RDATA_STRING, /* rdata: A/AAAA address, CNAME/MX/NS/PTR host name, one TXT
			     string (raw bytes), or ldns presentation for types
			     Suricata does not spell out (TLSA, DNSKEY, DS, RRSIG ...) */
	DNS_RDATA_SOA,	  /* soa holds the fields, rdata is empty */
	DNS_RDATA_SRV,	  /* srv holds the fields, rdata is empty */
};

struct dns_soa {
	char mname[DNS_NAME_STR_MAX], rname[DNS_NAME_STR_MAX];
	uint32_t serial, refresh, retry, expire, minimum;
};

struct dns_srv {
	uint16_t priority, weight, port;
	char name[DNS_NAME_STR_MAX];
};

/* One answer entry for the EVE dns record. */
struct dns_answer {
	char rrname[DNS_NAME_STR_MAX];
	char rrtype[DNS_TYPE_STR_MAX];
	uint16_t type;
	uint32_t ttl;
	enum dns_rdata_form form;
	char rdata[DNS_RDATA_STR_MAX]; /* DNS_RDATA_STRING: rdata_len bytes, NUL after them */
	size_t rdata_len;
	bool rdata_truncated; /* rdata was cut to fit */
	union {
		struct dns_soa soa;
		struct dns_srv srv;
	} u;
};

/*
 * Fills out[0..max) with the entries of the answer section, in order, as
 * Suricata writes them: one entry per record, except a TXT record, which
 * gives one entry per character-string (without quotes or escapes; the
 * bytes as sent). MX gives the exchange host name, SOA and SRV their
 * fields; names are lowercased without the trailing dot, AAAA is eight
 * groups of four hex digits. Returns how many entries were written (the
 * first max; fewer when a record could not be formatted for lack of
 * memory).
 */
size_t dns_answer_summary(const ldns_pkt *pkt, struct dns_answer *out, size_t max);

#endif
