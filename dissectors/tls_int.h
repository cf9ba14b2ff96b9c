/*
 * tls_int.h - what the files of the TLS dissector share: the per-call
 * context, a bounds-checked reader over a handshake message, and the
 * message parsers of tls_hello.c and tls_cert.c.
 */
#ifndef MX_TLS_INT_H
#define MX_TLS_INT_H

#include "util/common.h"
#include "tls.h"

/* One tls_feed/tls_gap call: the state and where events go. */
struct tls_run {
	struct tls_state *t;
	const struct tls_callbacks *cb;
	void *ctx;
};

/* A cursor over untrusted bytes: every read checks what is left. */
struct tls_rd {
	const uint8_t *p;
	size_t left;
	bool bad; /* a read ran past the end */
};

/* Starts a cursor over p[0..len). */
static inline void tls_rd_init(struct tls_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->bad = false;
}

/* Reads an n-byte big-endian number (0 and r->bad when short). */
static inline uint32_t tls_rd_u(struct tls_rd *r, unsigned n)
{
	uint32_t v = 0;

	if (r->bad || r->left < n) {
		r->bad = true;
		r->left = 0;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | r->p[i];
	r->p += n;
	r->left -= n;
	return v;
}

/* Takes len bytes into sub (a reader over just them). */
static inline bool tls_rd_sub(struct tls_rd *r, size_t len, struct tls_rd *sub)
{
	if (r->bad || r->left < len) {
		r->bad = true;
		r->left = 0;
		tls_rd_init(sub, NULL, 0);
		sub->bad = true;
		return false;
	}
	tls_rd_init(sub, r->p, len);
	r->p += len;
	r->left -= len;
	return true;
}

/* Hands ev to the caller's callback, if any. */
void tls_emit(struct tls_run *r, struct tls_event *ev);
/* The TLS_VBIT_* bit of a protocol version. */
uint32_t tls_version_bit(uint16_t v);

/* tls_hello.c: body of a ClientHello / ServerHello (after the 4-byte
 * handshake header). */
void tls_client_hello(struct tls_run *r, int dir, const uint8_t *p, size_t len);
void tls_server_hello(struct tls_run *r, int dir, const uint8_t *p, size_t len);
/* An SSLv2-format ClientHello record (without its 2-byte header). */
void tls_sslv2_hello(struct tls_run *r, const uint8_t *p, size_t len);

/* tls_ja3.c: the JA3 of a ClientHello (its legacy version, the cipher
 * suites list and the extensions block) into in->ja3 / in->ja3_hash, and
 * the JA3S of a ServerHello into in->ja3s / in->ja3s_hash. */
void tls_ja3_client(struct tls_info *in, uint16_t version, struct tls_rd ciphers,
		    struct tls_rd exts);
void tls_ja3_server(struct tls_info *in, uint16_t version, uint16_t cipher, struct tls_rd exts);

/* tls_cert.c: body of a TLS <= 1.2 Certificate message. */
void tls_certificate(struct tls_run *r, int dir, const uint8_t *p, size_t len);

/* Bounds of the strings of one certificate (tls_cert.c). */
#define DN_MAX	   512
#define SERIAL_MAX 64
#define SAN_POOL   4096

/* Scratch space for the strings of one certificate event. */
struct cert_text {
	char cn[TLS_NAME_MAX + 1];
	char subject[DN_MAX];
	char issuer[DN_MAX];
	char serial[SERIAL_MAX * 3 + 1];
	char pool[SAN_POOL];
	size_t pool_used;
	const char *san[TLS_SAN_MAX];
};

/*
 * Fills the certificate fields of ev (parsed, SPKI digests, dates, SAN
 * names) and the strings of tx from der, as d2i_X509 would give them:
 * a plain DER v3 certificate is read part by part without decoding its
 * public key (true is returned); anything else, or every certificate
 * when whole is set, goes through d2i_X509 (false). A certificate that
 * does not parse leaves ev.parsed false.
 */
bool tls_cert_fields(const uint8_t *der, size_t len, bool whole, struct tls_event *ev,
		     struct cert_text *tx);

/*
 * Looks the certificate of ev (its u.cert.sha256 set) up in c. On a hit
 * fills the rest of ev's certificate fields and tx (ev's string pointers
 * must already point into tx) and returns true; counts the hit or miss.
 */
bool tls_cert_cache_get(struct tls_cert_cache *c, struct tls_event *ev, struct cert_text *tx);

/* Keeps the parsed certificate of ev and its strings tx in c (may evict). */
void tls_cert_cache_put(struct tls_cert_cache *c, const struct tls_event *ev,
			const struct cert_text *tx);

#endif
