/*
 * tls.h - the TLS dissector: record and handshake layer of one TCP
 * connection (after STARTTLS, or from the first byte on implicit-TLS
 * ports), both directions as reassembled byte streams.
 *
 * It reads what is visible without keys: ClientHello (offered versions
 * incl. supported_versions, SNI), ServerHello (negotiated version incl.
 * supported_versions, cipher, HelloRetryRequest, the RFC 8446 downgrade
 * sentinel), JA3 and JA3S fingerprints, the Certificate message of TLS <= 1.2 (SHA-256 of each DER
 * certificate and of its SubjectPublicKeyInfo, subject, issuer, SAN DNS
 * names, via libcrypto), alerts (plaintext, or marked encrypted), whether
 * the handshake completed, and "not TLS" when a direction does not start
 * with TLS records. In TLS 1.3 the certificate is encrypted: the summary
 * says so and nothing is guessed.
 *
 * The state is fixed-size except one handshake reassembly buffer per
 * direction, allocated only for a handshake message split over records
 * or TCP chunks, at most max_handshake bytes, accounted in a caller's
 * struct tls_memcap so a global memory cap holds.
 */
#ifndef MX_TLS_H
#define MX_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_DIR_TOSERVER 0
#define TLS_DIR_TOCLIENT 1

#define TLS_SNI_MAX		  255
#define TLS_CHAIN_MAX		  4    /* certificates kept in the summary */
#define TLS_CERTS_MAX		  16   /* certificates reported per message */
#define TLS_SAN_MAX		  32   /* SAN DNS names reported per certificate */
#define TLS_VERSIONS_MAX	  16   /* versions reported per ClientHello */
#define TLS_EVIDENCE_MAX	  64   /* bytes carried by TLS_EV_NOT_TLS */
#define TLS_NAME_MAX		  255  /* subject CN kept in the summary */
#define TLS_JA3_MAX		  1023 /* JA3/JA3S string kept (the hash covers all of it) */
#define TLS_JA3_HASH_LEN	  32   /* MD5 in hex */
#define TLS_DEFAULT_MAX_HANDSHAKE 65536

/* Protocol versions on the wire. */
#define TLS_V_SSL2 0x0002
#define TLS_V_SSL3 0x0300
#define TLS_V_10   0x0301
#define TLS_V_11   0x0302
#define TLS_V_12   0x0303
#define TLS_V_13   0x0304

/* Bits of tls_info.offered. */
#define TLS_VBIT_SSL2  (1u << 0)
#define TLS_VBIT_SSL3  (1u << 1)
#define TLS_VBIT_10    (1u << 2)
#define TLS_VBIT_11    (1u << 3)
#define TLS_VBIT_12    (1u << 4)
#define TLS_VBIT_13    (1u << 5)
#define TLS_VBIT_OTHER (1u << 6)

/* Memory the reassembly buffers may use, shared by many connections. */
struct tls_memcap {
	size_t limit;  /* 0: no limit */
	size_t used;   /* bytes held now */
	uint64_t fail; /* allocations refused */
};

enum tls_cert_visibility {
	TLS_CERT_NOT_SEEN = 0, /* no Certificate message (yet) */
	TLS_CERT_VISIBLE,      /* TLS <= 1.2, chain read */
	TLS_CERT_ENCRYPTED,    /* TLS 1.3: not visible, never guessed */
};

enum tls_event_type {
	TLS_EV_CLIENT_HELLO,
	TLS_EV_SERVER_HELLO,
	TLS_EV_CERTIFICATE, /* one per certificate of a Certificate message */
	TLS_EV_ALERT,
	TLS_EV_CHANGE_CIPHER_SPEC,
	TLS_EV_HANDSHAKE_DONE,
	TLS_EV_NOT_TLS,	  /* the direction is not (or no longer) TLS records */
	TLS_EV_MALFORMED, /* a handshake message that does not parse */
	TLS_EV_TYPE_COUNT
};

/* Every pointer in an event is valid only during the callback. */
struct tls_event {
	enum tls_event_type type;
	int dir; /* 0 client->server, 1 server->client: who sent it */
	union {
		struct {
			uint16_t record_version;
			uint16_t legacy_version;
			uint16_t versions[TLS_VERSIONS_MAX]; /* supported_versions,
								GREASE left out */
			unsigned nversions;
			bool has_supported_versions;
			uint16_t max_version; /* highest offered */
			uint32_t offered;     /* TLS_VBIT_* */
			const char *sni;      /* NULL if none */
			size_t sni_len;
			unsigned cipher_suites;
			bool sslv2; /* SSLv2-format hello */
		} client_hello;
		struct {
			uint16_t legacy_version;
			uint16_t version; /* negotiated (supported_versions wins) */
			bool has_supported_versions;
			uint16_t cipher;
			bool hello_retry;  /* a HelloRetryRequest, not the final one */
			uint8_t downgrade; /* random ends in DOWNGRD: 1 (TLS 1.2) or
					      2 (TLS 1.1 or below), else 0 */
		} server_hello;
		struct {
			unsigned index;	    /* 0 = the sender's own certificate */
			const uint8_t *der; /* as sent */
			size_t der_len;
			bool parsed;	    /* libcrypto could decode it */
			uint8_t sha256[32]; /* of the DER certificate */
			uint8_t sha1[20];   /* of the DER certificate */
			bool spki_ok;
			uint8_t spki_sha256[32]; /* of its SubjectPublicKeyInfo */
			uint8_t sha512[64];	 /* of the DER certificate */
			uint8_t spki_sha512[64]; /* of its SubjectPublicKeyInfo */
			bool cached;		 /* taken from the certificate cache */
			const char *subject_cn;	 /* "" if none */
			const char *subject;	 /* "C=.., O=.., CN=.." */
			const char *issuer;
			const char *serial;	/* "0A:1B:.." */
			const char *const *san; /* DNS names */
			unsigned nsan;
			unsigned san_dropped;
			int64_t not_before, not_after; /* seconds since the epoch */
		} cert;
		struct {
			uint8_t level; /* 1 warning, 2 fatal, 0 unknown (encrypted) */
			uint8_t desc;
			bool encrypted;
		} alert;
		struct {
			const uint8_t *bytes; /* the first bytes that are not TLS */
			size_t len;
			uint64_t records_before; /* 0: not TLS at all */
		} not_tls;
		struct {
			uint8_t hs_type;
		} malformed;
	} u;
};

struct tls_callbacks {
	void (*event)(void *ctx, const struct tls_event *ev);
};

/* Hashes of one certificate of the server chain. */
struct tls_chain_cert {
	uint8_t sha256[32];
	uint8_t spki_sha256[32];
	bool spki_ok;
};

/* The session record. */
struct tls_info {
	bool client_hello, server_hello, hello_retry;
	uint16_t client_version; /* highest version offered */
	uint32_t offered;	 /* TLS_VBIT_* */
	char sni[TLS_SNI_MAX + 1];
	uint16_t version; /* negotiated, 0 if unknown */
	uint16_t cipher;
	uint8_t downgrade_sentinel;
	/* JA3 of the first ClientHello, JA3S of the final ServerHello ("" if
	   not seen): the string (cut at TLS_JA3_MAX, ja3_truncated) and the
	   MD5 of the whole string in lowercase hex */
	char ja3[TLS_JA3_MAX + 1], ja3_hash[TLS_JA3_HASH_LEN + 1];
	bool ja3_truncated;
	char ja3s[TLS_JA3_MAX + 1], ja3s_hash[TLS_JA3_HASH_LEN + 1];
	enum tls_cert_visibility cert_visibility;
	unsigned cert_count; /* certificates in the server's message */
	struct tls_chain_cert chain[TLS_CHAIN_MAX];
	char subject_cn[TLS_NAME_MAX + 1]; /* of the server certificate */
	bool handshake_complete;
	bool alert_seen, fatal_alert;
	uint8_t alert_level, alert_desc; /* the first alert */
	int alert_dir;
	bool alert_encrypted;
	bool ccs[2];
	bool not_tls[2]; /* direction did not carry TLS records */
	bool lost[2];	 /* record boundaries lost after a gap */
	uint64_t records[2];
	uint64_t gaps[2];
	uint64_t hs_dropped; /* handshake messages too big or over memcap */
	uint64_t malformed;
};

/* Private: one direction. */
struct tls_dirstate {
	uint8_t mode;
	uint8_t hdr[5];
	uint8_t hdr_len;
	uint8_t ctype;
	uint16_t rec_len;
	uint16_t rec_version;
	uint32_t rec_left;
	bool encrypted; /* records of this direction are protected */
	bool sslv2;
	uint64_t post_ccs_records;
	uint64_t app_records; /* application_data after a TLS 1.3 ServerHello */
	uint8_t alert[2];
	uint8_t alert_len;
	/* handshake message reassembly */
	bool hs_dead; /* alignment lost */
	uint8_t hs_hdr[4];
	uint8_t hs_hdr_len;
	uint32_t hs_len, hs_got;
	bool hs_skip;
	uint8_t *buf;
	size_t buf_cap;
};

/* The dissector state of one connection. Fields other than info are
 * private. */
struct tls_state {
	struct tls_info info;
	struct tls_dirstate d[2];
	size_t max_handshake;
	struct tls_memcap *mc;
	struct tls_cert_cache *cache;
	bool tls13;
	bool done_emitted;
};

/*
 * Starts a connection. max_handshake bounds one handshake message kept
 * for reassembly (0: TLS_DEFAULT_MAX_HANDSHAKE); mc (may be NULL)
 * accounts what is allocated.
 */
void tls_init(struct tls_state *t, size_t max_handshake, struct tls_memcap *mc);

/*
 * A cache of parsed certificates, keyed by the SHA-256 of their DER and
 * shared by many connections (the same MX certificate is seen again and
 * again, and a mail gateway talks to thousands of MX hosts): a hit gives
 * the same event without parsing. Set-associative (TLS_CERT_CACHE_SETS
 * sets of TLS_CERT_CACHE_WAYS entries, LRU within a set, so a flood of
 * certificates aimed at one set only evicts that set), each entry sized
 * to its strings, all of it under a memcap.
 */
#define TLS_CERT_CACHE_SETS   1024
#define TLS_CERT_CACHE_WAYS   8
#define TLS_CERT_CACHE_MEMCAP (4u << 20)
struct tls_cert_cache;
struct tls_cert_cache_counters {
	uint64_t hits, misses, evicted, memcap, memuse, entries;
};
/* An empty cache under TLS_CERT_CACHE_MEMCAP; NULL on allocation failure. */
struct tls_cert_cache *tls_cert_cache_new(void);
void tls_cert_cache_free(struct tls_cert_cache *c);
const struct tls_cert_cache_counters *tls_cert_cache_counters(const struct tls_cert_cache *c);
/* Makes t use cache (may be NULL: every certificate is parsed). */
void tls_set_cert_cache(struct tls_state *t, struct tls_cert_cache *cache);

/* Frees the reassembly buffers (and gives their bytes back to mc). */
void tls_free(struct tls_state *t);

/*
 * Feeds the next in-order bytes of direction dir (0 client->server, 1
 * server->client). Events go through cb (may be NULL) before it returns.
 */
void tls_feed(struct tls_state *t, int dir, const uint8_t *data, size_t len,
	      const struct tls_callbacks *cb, void *ctx);

/*
 * A hole of len bytes (0: unknown) in direction dir. Inside a record it
 * is skipped (a handshake message it hits is dropped); otherwise record
 * boundaries are lost and the direction is no longer read (info.lost).
 */
void tls_gap(struct tls_state *t, int dir, size_t len, const struct tls_callbacks *cb, void *ctx);

/* The session record so far. */
const struct tls_info *tls_info(const struct tls_state *t);

/* The version as Suricata's EVE tls.version writes it, the one spelling
 * mxsentry uses everywhere: "SSLv2", "SSLv3", "TLSv1", "TLS 1.1",
 * "TLS 1.2", "TLS 1.3", "UNDETERMINED" (0 or any other value). */
const char *tls_version_name(uint16_t version);

/* Name of an alert description ("handshake_failure", ...) or "unknown". */
const char *tls_alert_name(uint8_t desc);

#endif
