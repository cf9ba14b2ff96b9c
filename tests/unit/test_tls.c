/*
 * test_tls.c - unit tests of the TLS dissector on records built by hand:
 * ClientHello with SNI and supported_versions, ServerHello TLS 1.2 and
 * TLS 1.3, HelloRetryRequest and the downgrade sentinel, a Certificate
 * message with certificates made here with libcrypto (hashes checked
 * against values computed independently), spread over records and fed
 * one byte at a time, alerts, handshake completion, "not TLS", garbage
 * lengths, the memory cap and gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "tls_int.h"

#define BUF_MAX	  65536
#define MX_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct buf {
	uint8_t b[BUF_MAX];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= BUF_MAX);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_u8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(b, &x, 1);
}

static void put_u16(struct buf *b, unsigned v)
{
	put_u8(b, v >> 8);
	put_u8(b, v);
}

static void put_u24(struct buf *b, size_t v)
{
	put_u8(b, (unsigned)(v >> 16));
	put_u16(b, (unsigned)(v & 0xffff));
}

/* Wraps payload into records of at most frag bytes each. */
static void records(struct buf *out, uint8_t type, uint16_t version, const uint8_t *p, size_t n,
		    size_t frag)
{
	size_t off = 0;

	do {
		size_t k = n - off < frag ? n - off : frag;

		put_u8(out, type);
		put_u16(out, version);
		put_u16(out, (unsigned)k);
		put(out, p + off, k);
		off += k;
	} while (off < n);
}

/* A handshake message: type, 24-bit length, body. */
static void hs(struct buf *out, uint8_t type, const struct buf *body)
{
	put_u8(out, type);
	put_u24(out, body->n);
	put(out, body->b, body->n);
}

static void client_hello(struct buf *out, const char *sni, const uint16_t *versions, size_t nv)
{
	static struct buf body, ext, e;

	body.n = ext.n = 0;
	put_u16(&body, 0x0303);
	for (int i = 0; i < 32; i++)
		put_u8(&body, i);
	put_u8(&body, 0);  /* session id */
	put_u16(&body, 4); /* cipher suites */
	put_u16(&body, 0x1301);
	put_u16(&body, 0xc02f);
	put_u8(&body, 1); /* compression */
	put_u8(&body, 0);
	if (sni != NULL) {
		e.n = 0;
		put_u16(&e, (unsigned)strlen(sni) + 3);
		put_u8(&e, 0);
		put_u16(&e, (unsigned)strlen(sni));
		put(&e, sni, strlen(sni));
		put_u16(&ext, 0);
		put_u16(&ext, (unsigned)e.n);
		put(&ext, e.b, e.n);
	}
	if (nv > 0) {
		put_u16(&ext, 43);
		put_u16(&ext, (unsigned)(1 + 2 * nv));
		put_u8(&ext, (unsigned)(2 * nv));
		for (size_t i = 0; i < nv; i++)
			put_u16(&ext, versions[i]);
	}
	put_u16(&body, (unsigned)ext.n);
	put(&body, ext.b, ext.n);
	hs(out, 1, &body);
}

static void server_hello(struct buf *out, uint16_t legacy, uint16_t sv, const uint8_t *random)
{
	static struct buf body;

	body.n = 0;
	put_u16(&body, legacy);
	if (random != NULL) {
		put(&body, random, 32);
	} else {
		for (int i = 0; i < 32; i++)
			put_u8(&body, 0x40 + i);
	}
	put_u8(&body, 0);
	put_u16(&body, sv != 0 ? 0x1301 : 0xc02f);
	put_u8(&body, 0);
	if (sv != 0) {
		put_u16(&body, 6);
		put_u16(&body, 43);
		put_u16(&body, 2);
		put_u16(&body, sv);
	}
	hs(out, 2, &body);
}

/* ---- certificates made here ---- */

struct made_cert {
	uint8_t der[4096];
	size_t der_len;
	uint8_t sha256[32];
	uint8_t spki_sha256[32];
	uint8_t sha1[20];
};

static void make_cert(struct made_cert *mc, const char *cn, const char *san)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *nm;
	X509_EXTENSION *ext;
	unsigned char *der = NULL, *spki = NULL;
	int n, sn;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC, (const unsigned char *)"NL", -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, key);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0 && (size_t)n <= sizeof(mc->der));
	memcpy(mc->der, der, (size_t)n);
	mc->der_len = (size_t)n;
	/* Expected values, computed another way than the dissector does. */
	assert_int_equal(EVP_Digest(der, (size_t)n, mc->sha256, NULL, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_Digest(der, (size_t)n, mc->sha1, NULL, EVP_sha1(), NULL), 1);
	sn = i2d_PUBKEY(key, &spki);
	assert_true(sn > 0);
	assert_int_equal(EVP_Digest(spki, (size_t)sn, mc->spki_sha256, NULL, EVP_sha256(), NULL),
			 1);
	OPENSSL_free(der);
	OPENSSL_free(spki);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void certificate_msg(struct buf *out, const struct made_cert *c, size_t n)
{
	static struct buf body;
	size_t total = 0;

	body.n = 0;
	for (size_t i = 0; i < n; i++)
		total += 3 + c[i].der_len;
	put_u24(&body, total);
	for (size_t i = 0; i < n; i++) {
		put_u24(&body, c[i].der_len);
		put(&body, c[i].der, c[i].der_len);
	}
	hs(out, 11, &body);
}

/* ---- event recorder ---- */

struct seen_cert {
	unsigned index;
	bool parsed, spki_ok;
	uint8_t sha256[32], spki_sha256[32], sha1[20];
	char cn[256], subject[256], issuer[256], serial[64];
	char san[4][64];
	unsigned nsan;
	size_t der_len;
	int dir;
};

struct trec {
	struct tls_state t;
	struct tls_memcap mc;
	unsigned count[TLS_EV_TYPE_COUNT];
	struct tls_event last[TLS_EV_TYPE_COUNT];
	char sni[256];
	uint8_t not_tls[TLS_EVIDENCE_MAX + 1];
	size_t not_tls_len;
	struct seen_cert certs[8];
	unsigned ncerts;
	char log[16384];
	size_t used;
};

static void on_event(void *ctx, const struct tls_event *ev)
{
	struct trec *r = ctx;
	int n;

	assert_true(ev->type < TLS_EV_TYPE_COUNT);
	r->count[ev->type]++;
	r->last[ev->type] = *ev;
	n = snprintf(r->log + r->used, sizeof(r->log) - r->used, "%d/%d", ev->type, ev->dir);
	r->used += (size_t)n;
	switch (ev->type) {
	case TLS_EV_CLIENT_HELLO:
		if (ev->u.client_hello.sni != NULL)
			snprintf(r->sni, sizeof(r->sni), "%s", ev->u.client_hello.sni);
		n = snprintf(r->log + r->used, sizeof(r->log) - r->used, " max=%x sni=%s",
			     ev->u.client_hello.max_version, r->sni);
		r->used += (size_t)n;
		break;
	case TLS_EV_SERVER_HELLO:
		n = snprintf(r->log + r->used, sizeof(r->log) - r->used, " v=%x",
			     ev->u.server_hello.version);
		r->used += (size_t)n;
		break;
	case TLS_EV_CERTIFICATE: {
		struct seen_cert *c;

		assert_true(r->ncerts < 8);
		c = &r->certs[r->ncerts++];
		c->index = ev->u.cert.index;
		c->dir = ev->dir;
		c->parsed = ev->u.cert.parsed;
		c->spki_ok = ev->u.cert.spki_ok;
		c->der_len = ev->u.cert.der_len;
		memcpy(c->sha256, ev->u.cert.sha256, 32);
		memcpy(c->spki_sha256, ev->u.cert.spki_sha256, 32);
		memcpy(c->sha1, ev->u.cert.sha1, 20);
		snprintf(c->cn, sizeof(c->cn), "%s", ev->u.cert.subject_cn);
		snprintf(c->subject, sizeof(c->subject), "%s", ev->u.cert.subject);
		snprintf(c->issuer, sizeof(c->issuer), "%s", ev->u.cert.issuer);
		snprintf(c->serial, sizeof(c->serial), "%s", ev->u.cert.serial);
		c->nsan = ev->u.cert.nsan;
		for (unsigned i = 0; i < ev->u.cert.nsan && i < 4; i++)
			snprintf(c->san[i], sizeof(c->san[i]), "%s", ev->u.cert.san[i]);
		n = snprintf(r->log + r->used, sizeof(r->log) - r->used, " i=%u h=%02x%02x",
			     ev->u.cert.index, c->sha256[0], c->sha256[1]);
		r->used += (size_t)n;
		break;
	}
	case TLS_EV_NOT_TLS:
		assert_true(ev->u.not_tls.len <= TLS_EVIDENCE_MAX);
		memcpy(r->not_tls, ev->u.not_tls.bytes, ev->u.not_tls.len);
		r->not_tls[ev->u.not_tls.len] = 0;
		r->not_tls_len = ev->u.not_tls.len;
		break;
	case TLS_EV_ALERT:
		n = snprintf(r->log + r->used, sizeof(r->log) - r->used, " %u.%u.%d",
			     ev->u.alert.level, ev->u.alert.desc, ev->u.alert.encrypted);
		r->used += (size_t)n;
		break;
	default:
		break;
	}
	n = snprintf(r->log + r->used, sizeof(r->log) - r->used, "\n");
	r->used += (size_t)n;
}

static const struct tls_callbacks cbs = {on_event};

static struct trec *trec_new(size_t max_hs, size_t limit)
{
	struct trec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->mc.limit = limit;
	tls_init(&r->t, max_hs, &r->mc);
	return r;
}

static void trec_free(struct trec *r)
{
	tls_free(&r->t);
	assert_int_equal(r->mc.used, 0);
	free(r);
}

static void feedn(struct trec *r, int dir, const struct buf *b, size_t chunk)
{
	for (size_t off = 0; off < b->n; off += chunk) {
		size_t n = b->n - off < chunk ? b->n - off : chunk;

		tls_feed(&r->t, dir, b->b + off, n, &cbs, r);
	}
}

/* JA3 leaves GREASE values out of ciphers, extensions and groups, and
   takes the groups and point formats from their extensions. */
static void test_ja3_grease(void **state)
{
	static struct buf body, ext, m, rec;
	struct trec *r = trec_new(0, 0);
	const struct tls_info *in = tls_info(&r->t);

	(void)state;
	body.n = ext.n = m.n = rec.n = 0;
	put_u16(&body, 0x0303);
	for (int i = 0; i < 32; i++)
		put_u8(&body, i);
	put_u8(&body, 0);
	put_u16(&body, 6); /* ciphers: GREASE, TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 */
	put_u16(&body, 0x1a1a);
	put_u16(&body, 0x1301);
	put_u16(&body, 0x1302);
	put_u8(&body, 1);
	put_u8(&body, 0);
	put_u16(&ext, 0x2a2a); /* GREASE extension, empty */
	put_u16(&ext, 0);
	put_u16(&ext, 0); /* server_name: one host_name */
	put_u16(&ext, 8);
	put_u16(&ext, 6);
	put_u8(&ext, 0);
	put_u16(&ext, 3);
	put(&ext, "a.b", 3);
	put_u16(&ext, 10); /* supported_groups: GREASE, x25519, secp256r1 */
	put_u16(&ext, 8);
	put_u16(&ext, 6);
	put_u16(&ext, 0x3a3a);
	put_u16(&ext, 29);
	put_u16(&ext, 23);
	put_u16(&ext, 11); /* ec_point_formats: uncompressed, ansiX962_prime */
	put_u16(&ext, 3);
	put_u8(&ext, 2);
	put_u8(&ext, 0);
	put_u8(&ext, 1);
	put_u16(&ext, 43); /* supported_versions: TLS 1.3 */
	put_u16(&ext, 3);
	put_u8(&ext, 2);
	put_u16(&ext, 0x0304);
	put_u16(&body, (unsigned)ext.n);
	put(&body, ext.b, ext.n);
	hs(&m, 1, &body);
	records(&rec, 22, 0x0301, m.b, m.n, 16384);
	feedn(r, 0, &rec, 7);
	/* the MD5 computed outside mxsentry */
	assert_string_equal(in->ja3, "771,4865-4866,0-10-11-43,29-23,0-1");
	assert_string_equal(in->ja3_hash, "a19cfcbdc3da5e8fb135ac7ad9c57a9e");
	trec_free(r);
}

static void test_client_hello(void **state)
{
	static const uint16_t v[] = {0x0a0a, 0x0304, 0x0303, 0x0302};
	static struct buf m, rec;
	struct trec *r = trec_new(0, 0);
	struct trec *r1 = trec_new(0, 0);
	const struct tls_info *in = tls_info(&r->t);
	const struct tls_event *ev;

	(void)state;
	m.n = rec.n = 0;
	client_hello(&m, "mx.example.org", v, 4);
	records(&rec, 22, 0x0301, m.b, m.n, 16384);
	feedn(r, 0, &rec, rec.n);
	feedn(r1, 0, &rec, 1);
	assert_string_equal(r->log, r1->log);
	assert_int_equal(r->count[TLS_EV_CLIENT_HELLO], 1);
	ev = &r->last[TLS_EV_CLIENT_HELLO];
	assert_int_equal(ev->u.client_hello.record_version, 0x0301);
	assert_int_equal(ev->u.client_hello.legacy_version, 0x0303);
	assert_true(ev->u.client_hello.has_supported_versions);
	assert_int_equal(ev->u.client_hello.nversions, 3);
	assert_int_equal(ev->u.client_hello.versions[0], 0x0304);
	assert_int_equal(ev->u.client_hello.versions[2], 0x0302);
	assert_int_equal(ev->u.client_hello.max_version, 0x0304);
	assert_int_equal(ev->u.client_hello.cipher_suites, 2);
	assert_string_equal(r->sni, "mx.example.org");
	assert_string_equal(in->sni, "mx.example.org");
	assert_int_equal(in->client_version, 0x0304);
	assert_int_equal(in->offered, TLS_VBIT_13 | TLS_VBIT_12 | TLS_VBIT_11);
	/* JA3: legacy version, ciphers, extension types (SNI, supported_versions),
	   no groups, no point formats; MD5 computed outside mxsentry */
	assert_string_equal(in->ja3, "771,4865-49199,0-43,,");
	assert_string_equal(in->ja3_hash, "3207ef9f2e951242b53b44f07d8439d0");
	assert_false(in->ja3_truncated);
	assert_string_equal(in->ja3s, "");
	assert_true(in->client_hello);
	assert_false(in->not_tls[0]);
	assert_int_equal(in->records[0], 1);
	assert_int_equal(r->mc.used, 0); /* parsed in place */
	assert_int_equal(r1->mc.used, 4096);
	trec_free(r);
	trec_free(r1);

	/* No supported_versions, no SNI: the legacy field is the offer. */
	r = trec_new(0, 0);
	m.n = rec.n = 0;
	client_hello(&m, NULL, NULL, 0);
	records(&rec, 22, 0x0301, m.b, m.n, 16384);
	feedn(r, 0, &rec, rec.n);
	assert_int_equal(r->last[TLS_EV_CLIENT_HELLO].u.client_hello.max_version, 0x0303);
	assert_null(r->last[TLS_EV_CLIENT_HELLO].u.client_hello.sni);
	assert_string_equal(tls_info(&r->t)->sni, "");
	trec_free(r);
}

/* The server's first flight of a TLS 1.2 handshake. */
static void server_flight_12(struct buf *out, const struct made_cert *c, size_t nc, size_t frag)
{
	static struct buf m;
	struct buf empty = {.n = 0};

	m.n = 0;
	server_hello(&m, 0x0303, 0, NULL);
	if (nc > 0)
		certificate_msg(&m, c, nc);
	hs(&m, 14, &empty); /* ServerHelloDone */
	records(out, 22, 0x0303, m.b, m.n, frag);
}

static void client_finish_12(struct buf *out)
{
	static const uint8_t cke[] = {16, 0, 0, 2, 0, 0};
	static const uint8_t ccs[] = {1};
	static uint8_t fin[40];

	records(out, 22, 0x0303, cke, sizeof(cke), 16384);
	records(out, 20, 0x0303, ccs, 1, 16384);
	memset(fin, 0x5a, sizeof(fin));
	records(out, 22, 0x0303, fin, sizeof(fin), 16384);
}

static void server_finish_12(struct buf *out)
{
	static const uint8_t ccs[] = {1};
	static uint8_t fin[40];

	records(out, 20, 0x0303, ccs, 1, 16384);
	memset(fin, 0xa5, sizeof(fin));
	records(out, 22, 0x0303, fin, sizeof(fin), 16384);
}

static void check_cert(const struct seen_cert *s, const struct made_cert *m, unsigned index)
{
	assert_int_equal(s->index, index);
	assert_true(s->parsed);
	assert_true(s->spki_ok);
	assert_int_equal(s->der_len, m->der_len);
	assert_memory_equal(s->sha256, m->sha256, 32);
	assert_memory_equal(s->spki_sha256, m->spki_sha256, 32);
	assert_memory_equal(s->sha1, m->sha1, 20);
}

static void test_tls12_certificate(void **state)
{
	static struct made_cert certs[2];
	static const uint16_t v[] = {0x0303};
	static struct buf ch, sf, cf, sfin, m;
	const size_t chunks[] = {100000, 1, 7};

	(void)state;
	make_cert(&certs[0], "mx.example.org", "DNS:mx.example.org,DNS:mail.example.org");
	make_cert(&certs[1], "Example CA", NULL);
	m.n = ch.n = sf.n = cf.n = sfin.n = 0;
	client_hello(&m, "mx.example.org", v, 1);
	records(&ch, 22, 0x0301, m.b, m.n, 16384);
	server_flight_12(&sf, certs, 2, 300); /* certificate over several records */
	client_finish_12(&cf);
	server_finish_12(&sfin);

	/* One certificate cache for every round: the first parses, the others
	   must give the very same events from the cache. */
	struct tls_cert_cache *cache = tls_cert_cache_new();

	assert_non_null(cache);
	for (size_t k = 0; k < MX_LEN(chunks); k++) {
		struct trec *r = trec_new(0, 0);
		const struct tls_info *in = tls_info(&r->t);

		tls_set_cert_cache(&r->t, cache);
		feedn(r, 0, &ch, chunks[k]);
		feedn(r, 1, &sf, chunks[k]);
		assert_int_equal(r->count[TLS_EV_SERVER_HELLO], 1);
		assert_int_equal(r->last[TLS_EV_SERVER_HELLO].u.server_hello.version, 0x0303);
		assert_false(r->last[TLS_EV_SERVER_HELLO].u.server_hello.has_supported_versions);
		assert_int_equal(r->ncerts, 2);
		check_cert(&r->certs[0], &certs[0], 0);
		check_cert(&r->certs[1], &certs[1], 1);
		assert_int_equal(r->certs[0].dir, 1);
		assert_string_equal(r->certs[0].cn, "mx.example.org");
		assert_string_equal(r->certs[0].subject, "C=NL, CN=mx.example.org");
		assert_string_equal(r->certs[0].issuer, "C=NL, CN=mx.example.org");
		assert_string_equal(r->certs[0].serial, "12:34");
		assert_int_equal(r->certs[0].nsan, 2);
		assert_string_equal(r->certs[0].san[0], "mx.example.org");
		assert_string_equal(r->certs[0].san[1], "mail.example.org");
		assert_int_equal(r->certs[1].nsan, 0);
		assert_string_equal(r->certs[1].cn, "Example CA");
		assert_int_equal(in->cert_visibility, TLS_CERT_VISIBLE);
		assert_int_equal(in->cert_count, 2);
		assert_memory_equal(in->chain[0].sha256, certs[0].sha256, 32);
		assert_memory_equal(in->chain[0].spki_sha256, certs[0].spki_sha256, 32);
		assert_memory_equal(in->chain[1].sha256, certs[1].sha256, 32);
		assert_memory_equal(in->chain[1].spki_sha256, certs[1].spki_sha256, 32);
		assert_string_equal(in->subject_cn, "mx.example.org");
		assert_int_equal(in->version, 0x0303);
		assert_string_equal(tls_version_name(in->version), "TLS 1.2");
		assert_false(in->handshake_complete);
		feedn(r, 0, &cf, chunks[k]);
		assert_false(in->handshake_complete);
		feedn(r, 1, &sfin, chunks[k]);
		assert_true(in->handshake_complete);
		assert_int_equal(r->count[TLS_EV_HANDSHAKE_DONE], 1);
		assert_int_equal(r->count[TLS_EV_CHANGE_CIPHER_SPEC], 2);
		assert_int_equal(r->count[TLS_EV_MALFORMED], 0);
		assert_false(in->alert_seen);
		/* Encrypted close_notify afterwards: an encrypted alert. */
		{
			static uint8_t enc[26];
			struct buf a = {.n = 0};

			records(&a, 21, 0x0303, enc, sizeof(enc), 16384);
			feedn(r, 1, &a, chunks[k]);
			assert_int_equal(r->count[TLS_EV_ALERT], 1);
			assert_true(r->last[TLS_EV_ALERT].u.alert.encrypted);
			assert_true(in->alert_encrypted);
			assert_true(in->handshake_complete);
		}
		trec_free(r);
	}
	assert_int_equal(tls_cert_cache_counters(cache)->misses, 2);
	assert_int_equal(tls_cert_cache_counters(cache)->hits, 2 * (MX_LEN(chunks) - 1));
	tls_cert_cache_free(cache);
}

/* A fake certificate event for the cache: digest from n (its first two
 * bytes spread like a hash's, or both 0xff when aimed), strings naming n. */
static void cache_event(unsigned n, bool aimed, struct tls_event *ev, struct cert_text *tx)
{
	uint32_t h = n * 2654435761u;

	memset(ev, 0, sizeof(*ev));
	ev->type = TLS_EV_CERTIFICATE;
	ev->u.cert.sha256[0] = aimed ? 0xff : (uint8_t)(h >> 24);
	ev->u.cert.sha256[1] = aimed ? 0xff : (uint8_t)(h >> 16);
	memcpy(ev->u.cert.sha256 + 2, &n, sizeof(n));
	ev->u.cert.spki_sha256[0] = (uint8_t)n;
	ev->u.cert.parsed = ev->u.cert.spki_ok = true;
	ev->u.cert.not_after = n;
	snprintf(tx->cn, sizeof(tx->cn), "mx%u.example", n);
	snprintf(tx->subject, sizeof(tx->subject), "CN=mx%u.example", n);
	snprintf(tx->issuer, sizeof(tx->issuer), "CN=CA %u", n % 7);
	snprintf(tx->serial, sizeof(tx->serial), "%02X", n & 0xff);
	tx->pool_used = (size_t)snprintf(tx->pool, sizeof(tx->pool), "mx%u.example", n) + 1;
	tx->san[0] = tx->pool;
	ev->u.cert.nsan = 1;
}

/* The certificate cache holds the certificates of thousands of MX hosts,
 * gives back exactly what was put, stays under its memcap, and a flood of
 * certificates aimed at one set evicts only that set. */
/* A certificate of the given version (0: v1), serial and names into der. */
static size_t build_cert(uint8_t *der, size_t cap, long version, long serial, const char *cn,
			 const char *san)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *nm;
	unsigned char *out = NULL;
	int n;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, version);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 400);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8,
				   (const unsigned char *)"Ex\xc3\xa4mple, \"q\"", -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, key);
	if (san != NULL) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	n = i2d_X509(x, &out);
	assert_true(n > 0 && (size_t)n <= cap);
	memcpy(der, out, (size_t)n);
	OPENSSL_free(out);
	X509_free(x);
	EVP_PKEY_free(key);
	return (size_t)n;
}

/* Reads der both ways and asserts that every field came out the same;
 * returns whether the part-by-part reading took it. */
static bool same_both_ways(const uint8_t *der, size_t len)
{
	struct tls_event a, b;
	struct cert_text ta, tb;
	bool parts;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&ta, 0, sizeof(ta));
	memset(&tb, 0, sizeof(tb));
	parts = tls_cert_fields(der, len, false, &a, &ta);
	assert_false(tls_cert_fields(der, len, true, &b, &tb));
	assert_int_equal(a.u.cert.parsed, b.u.cert.parsed);
	assert_int_equal(a.u.cert.spki_ok, b.u.cert.spki_ok);
	assert_memory_equal(a.u.cert.spki_sha256, b.u.cert.spki_sha256, 32);
	assert_memory_equal(a.u.cert.spki_sha512, b.u.cert.spki_sha512, 64);
	assert_int_equal(a.u.cert.not_before, b.u.cert.not_before);
	assert_int_equal(a.u.cert.not_after, b.u.cert.not_after);
	assert_string_equal(ta.cn, tb.cn);
	assert_string_equal(ta.subject, tb.subject);
	assert_string_equal(ta.issuer, tb.issuer);
	assert_string_equal(ta.serial, tb.serial);
	assert_int_equal(a.u.cert.nsan, b.u.cert.nsan);
	assert_int_equal(a.u.cert.san_dropped, b.u.cert.san_dropped);
	for (unsigned i = 0; i < a.u.cert.nsan; i++)
		assert_string_equal(ta.san[i], tb.san[i]);
	return parts;
}

/* Certificates read part by part (the public key left undecoded) give
 * what d2i_X509 gives; what that reading does not take (v1, trailing
 * bytes, non-minimal lengths, garbage) goes to d2i_X509. */
static void test_cert_fields_by_parts(void **state)
{
	static uint8_t der[4096], odd[4200];
	char many[2048];
	size_t n, used = 0;
	struct made_cert mc;

	(void)state;
	make_cert(&mc, "mx.example.org", "DNS:mx.example.org,DNS:mail.example.org");
	assert_true(same_both_ways(mc.der, mc.der_len));
	{
		struct tls_event ev;
		struct cert_text tx;

		memset(&ev, 0, sizeof(ev));
		memset(&tx, 0, sizeof(tx));
		assert_true(tls_cert_fields(mc.der, mc.der_len, false, &ev, &tx));
		assert_memory_equal(ev.u.cert.spki_sha256, mc.spki_sha256, 32);
		assert_string_equal(tx.cn, "mx.example.org");
		assert_int_equal(ev.u.cert.nsan, 2);
	}
	n = build_cert(der, sizeof(der), 2, 1, "no-san.example", NULL);
	assert_true(same_both_ways(der, n));
	n = build_cert(der, sizeof(der), 2, -5, "negative.example", "DNS:a.example,IP:192.0.2.1");
	assert_true(same_both_ways(der, n));
	for (int i = 0; i < 40; i++)
		used += (size_t)snprintf(many + used, sizeof(many) - used, "%sDNS:host%d.example",
					 i ? "," : "", i);
	n = build_cert(der, sizeof(der), 2, 0x7fffffff, "many.example", many);
	assert_true(same_both_ways(der, n));
	/* v1: no version field */
	n = build_cert(der, sizeof(der), 0, 7, "v1.example", NULL);
	assert_false(same_both_ways(der, n));
	/* trailing bytes after the certificate */
	n = build_cert(der, sizeof(der), 2, 8, "trail.example", "DNS:trail.example");
	memcpy(odd, der, n);
	odd[n] = 0;
	assert_false(same_both_ways(odd, n + 1));
	/* the outer length in a longer form than needed */
	assert_int_equal(der[1], 0x82);
	odd[0] = der[0];
	odd[1] = 0x83;
	odd[2] = 0;
	memcpy(odd + 3, der + 2, n - 2);
	assert_false(same_both_ways(odd, n + 1));
	/* cut short, and every byte flipped in turn in the first 300 */
	assert_false(same_both_ways(der, n - 1));
	for (size_t i = 0; i < 300 && i < n; i++) {
		memcpy(odd, der, n);
		odd[i] ^= 0x41;
		(void)same_both_ways(odd, n);
	}
}

static void test_cert_cache_many(void **state)
{
	struct tls_cert_cache *c = tls_cert_cache_new();
	const struct tls_cert_cache_counters *ctr;
	struct tls_event ev, got;
	struct cert_text tx, gtx;
	char want[64];

	(void)state;
	assert_non_null(c);
	ctr = tls_cert_cache_counters(c);
	for (unsigned n = 0; n < 3000; n++) {
		cache_event(n, false, &ev, &tx);
		tls_cert_cache_put(c, &ev, &tx);
	}
	assert_int_equal(ctr->entries, 3000);
	assert_int_equal(ctr->evicted, 0);
	assert_true(ctr->memuse <= TLS_CERT_CACHE_MEMCAP);
	for (unsigned n = 0; n < 3000; n++) {
		cache_event(n, false, &ev, &tx);
		memset(&got, 0, sizeof(got));
		memcpy(got.u.cert.sha256, ev.u.cert.sha256, 32);
		assert_true(tls_cert_cache_get(c, &got, &gtx));
		assert_true(got.u.cert.cached);
		assert_int_equal(got.u.cert.not_after, n);
		assert_int_equal(got.u.cert.spki_sha256[0], (uint8_t)n);
		snprintf(want, sizeof(want), "mx%u.example", n);
		assert_string_equal(gtx.cn, want);
		assert_int_equal(got.u.cert.nsan, 1);
		assert_string_equal(gtx.san[0], want);
		snprintf(want, sizeof(want), "CN=CA %u", n % 7);
		assert_string_equal(gtx.issuer, want);
	}
	assert_int_equal(ctr->hits, 3000);
	/* 1000 more certificates, all in one set: only that set's ways are
	   replaced; everything else stays. */
	for (unsigned n = 10000; n < 11000; n++) {
		cache_event(n, true, &ev, &tx);
		tls_cert_cache_put(c, &ev, &tx);
	}
	assert_int_equal(ctr->evicted, 1000 - TLS_CERT_CACHE_WAYS);
	assert_int_equal(ctr->entries, 3000 + TLS_CERT_CACHE_WAYS);
	for (unsigned n = 0; n < 3000; n++) {
		cache_event(n, false, &ev, &tx);
		assert_true(tls_cert_cache_get(c, &ev, &gtx));
	}
	cache_event(10000, true, &ev, &tx);
	assert_false(tls_cert_cache_get(c, &ev, &gtx));
	cache_event(10999, true, &ev, &tx);
	assert_true(tls_cert_cache_get(c, &ev, &gtx));
	tls_cert_cache_free(c);
}

static void test_tls13(void **state)
{
	static const uint16_t v[] = {0x0304, 0x0303};
	static struct buf ch, sf, app, m;
	static uint8_t blob[100];
	static const uint8_t ccs[] = {1};
	struct trec *r = trec_new(0, 0);
	const struct tls_info *in = tls_info(&r->t);

	(void)state;
	m.n = ch.n = sf.n = 0;
	client_hello(&m, "mx.example.org", v, 2);
	records(&ch, 22, 0x0301, m.b, m.n, 16384);
	m.n = 0;
	server_hello(&m, 0x0303, 0x0304, NULL);
	records(&sf, 22, 0x0303, m.b, m.n, 16384);
	records(&sf, 20, 0x0303, ccs, 1, 16384);
	records(&sf, 23, 0x0303, blob, sizeof(blob), 16384);
	feedn(r, 0, &ch, 100000);
	feedn(r, 1, &sf, 100000);
	assert_int_equal(r->last[TLS_EV_SERVER_HELLO].u.server_hello.version, 0x0304);
	assert_int_equal(r->last[TLS_EV_SERVER_HELLO].u.server_hello.legacy_version, 0x0303);
	assert_string_equal(in->ja3s, "771,4865,43");
	assert_string_equal(in->ja3s_hash, "cce84e7a8b742462e40afb585a3e3ccc");
	assert_true(r->last[TLS_EV_SERVER_HELLO].u.server_hello.has_supported_versions);
	assert_int_equal(in->version, 0x0304);
	assert_string_equal(tls_version_name(in->version), "TLS 1.3");
	assert_int_equal(in->cert_visibility, TLS_CERT_ENCRYPTED);
	assert_int_equal(in->cert_count, 0);
	assert_int_equal(r->count[TLS_EV_CERTIFICATE], 0);
	/* Client: CCS, Finished. One record is not yet a completed handshake. */
	app.n = 0;
	records(&app, 20, 0x0303, ccs, 1, 16384);
	records(&app, 23, 0x0303, blob, 53, 16384);
	feedn(r, 0, &app, 1);
	assert_false(in->handshake_complete);
	app.n = 0;
	records(&app, 23, 0x0303, blob, 40, 16384);
	feedn(r, 0, &app, 100000);
	assert_true(in->handshake_complete);
	assert_int_equal(r->count[TLS_EV_HANDSHAKE_DONE], 1);
	trec_free(r);

	/* A client that gives up after the server's flight (encrypted alert). */
	r = trec_new(0, 0);
	feedn(r, 0, &ch, 100000);
	feedn(r, 1, &sf, 100000);
	app.n = 0;
	records(&app, 23, 0x0303, blob, 19, 16384);
	feedn(r, 0, &app, 100000);
	assert_false(tls_info(&r->t)->handshake_complete);
	trec_free(r);
}

static void test_hrr_downgrade(void **state)
{
	static const uint8_t hrr[32] = {
	    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	static uint8_t dg[32];
	static struct buf m, rec;
	struct trec *r = trec_new(0, 0);
	const struct tls_info *in = tls_info(&r->t);

	(void)state;
	m.n = rec.n = 0;
	server_hello(&m, 0x0303, 0x0304, hrr);
	records(&rec, 22, 0x0303, m.b, m.n, 16384);
	feedn(r, 1, &rec, 100000);
	assert_true(r->last[TLS_EV_SERVER_HELLO].u.server_hello.hello_retry);
	assert_true(in->hello_retry);
	assert_false(in->server_hello);
	assert_int_equal(in->version, 0);
	/* The client's compatibility CCS, then its second ClientHello. */
	{
		static const uint16_t v[] = {0x0304};
		static const uint8_t ccs[] = {1};

		m.n = rec.n = 0;
		records(&rec, 20, 0x0303, ccs, 1, 16384);
		client_hello(&m, "second.example", v, 1);
		records(&rec, 22, 0x0303, m.b, m.n, 16384);
		feedn(r, 0, &rec, 100000);
		assert_int_equal(r->count[TLS_EV_CLIENT_HELLO], 1);
		assert_string_equal(r->sni, "second.example");
		m.n = rec.n = 0;
		server_hello(&m, 0x0303, 0x0304, NULL);
		records(&rec, 22, 0x0303, m.b, m.n, 16384);
		feedn(r, 1, &rec, 100000);
		assert_true(in->server_hello);
		assert_int_equal(in->version, 0x0304);
	}
	trec_free(r);

	r = trec_new(0, 0);
	in = tls_info(&r->t);
	memset(dg, 0x11, sizeof(dg));
	memcpy(dg + 24, "DOWNGRD\x01", 8);
	m.n = rec.n = 0;
	server_hello(&m, 0x0303, 0, dg);
	records(&rec, 22, 0x0303, m.b, m.n, 16384);
	feedn(r, 1, &rec, 100000);
	assert_int_equal(r->last[TLS_EV_SERVER_HELLO].u.server_hello.downgrade, 1);
	assert_int_equal(in->downgrade_sentinel, 1);
	assert_int_equal(in->version, 0x0303);
	trec_free(r);
}

static void test_alert(void **state)
{
	static const uint8_t fatal[] = {2, 40};
	static struct buf ch, a, m;
	static const uint16_t v[] = {0x0303};
	struct trec *r = trec_new(0, 0);
	const struct tls_info *in = tls_info(&r->t);

	(void)state;
	m.n = ch.n = a.n = 0;
	client_hello(&m, "x.example", v, 1);
	records(&ch, 22, 0x0301, m.b, m.n, 16384);
	records(&a, 21, 0x0303, fatal, 2, 16384);
	feedn(r, 0, &ch, 100000);
	feedn(r, 1, &a, 1);
	assert_int_equal(r->count[TLS_EV_ALERT], 1);
	assert_int_equal(r->last[TLS_EV_ALERT].u.alert.level, 2);
	assert_int_equal(r->last[TLS_EV_ALERT].u.alert.desc, 40);
	assert_false(r->last[TLS_EV_ALERT].u.alert.encrypted);
	assert_true(in->alert_seen);
	assert_true(in->fatal_alert);
	assert_int_equal(in->alert_dir, 1);
	assert_string_equal(tls_alert_name(in->alert_desc), "handshake_failure");
	assert_false(in->handshake_complete);
	trec_free(r);
}

static void test_not_tls(void **state)
{
	static struct buf b, m;
	static const uint16_t v[] = {0x0303};
	struct trec *r = trec_new(0, 0);
	const struct tls_info *in = tls_info(&r->t);

	(void)state;
	b.n = 0;
	put(&b, "250 ok\r\n", 8);
	feedn(r, 1, &b, 100000);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 1);
	assert_int_equal(r->not_tls_len, 8);
	assert_memory_equal(r->not_tls, "250 ok\r\n", 8);
	assert_int_equal(r->last[TLS_EV_NOT_TLS].u.not_tls.records_before, 0);
	assert_true(in->not_tls[1]);
	feedn(r, 1, &b, 100000);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 1); /* said once */
	trec_free(r);

	/* Fed one byte at a time: the verdict comes at the first byte. */
	r = trec_new(0, 0);
	feedn(r, 1, &b, 1);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 1);
	assert_int_equal(r->not_tls_len, 1);
	trec_free(r);

	/* Plaintext EHLO after a valid ClientHello record. */
	r = trec_new(0, 0);
	m.n = b.n = 0;
	client_hello(&m, NULL, v, 1);
	records(&b, 22, 0x0301, m.b, m.n, 16384);
	put(&b, "EHLO x\r\n", 8);
	feedn(r, 0, &b, 100000);
	assert_int_equal(r->count[TLS_EV_CLIENT_HELLO], 1);
	assert_int_equal(r->last[TLS_EV_NOT_TLS].u.not_tls.records_before, 1);
	assert_memory_equal(r->not_tls, "EHLO x\r\n", 8);
	trec_free(r);

	/* An SSLv2-format ClientHello is TLS. */
	r = trec_new(0, 0);
	b.n = 0;
	put_u8(&b, 0x80);
	put_u8(&b, 3 + 6 + 3 + 16);
	put_u8(&b, 1);
	put_u16(&b, 0x0301);
	put_u16(&b, 3);
	put_u16(&b, 0);
	put_u16(&b, 16);
	put(&b, "\x00\x00\x2f", 3);
	put(&b, "0123456789abcdef", 16);
	feedn(r, 0, &b, 1);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 0);
	assert_true(r->last[TLS_EV_CLIENT_HELLO].u.client_hello.sslv2);
	assert_int_equal(tls_info(&r->t)->client_version, 0x0301);
	assert_true(tls_info(&r->t)->offered & TLS_VBIT_SSL2);
	trec_free(r);
}

static void test_garbage(void **state)
{
	static struct buf b, m;
	static struct made_cert cert;
	struct trec *r;

	(void)state;
	/* Record length beyond 2^14 + 2048. */
	r = trec_new(0, 0);
	b.n = 0;
	put(&b, "\x16\x03\x03\x48\x01", 5);
	feedn(r, 1, &b, 100000);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 1);
	assert_int_equal(r->not_tls_len, 5);
	trec_free(r);

	/* Version major not 3; empty handshake record. */
	r = trec_new(0, 0);
	b.n = 0;
	put(&b, "\x16\x02\x00\x00\x10", 5);
	feedn(r, 0, &b, 2);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 1);
	trec_free(r);
	r = trec_new(0, 0);
	b.n = 0;
	put(&b, "\x16\x03\x01\x00\x00", 5);
	feedn(r, 0, &b, 100000);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 1);
	trec_free(r);

	/* ClientHello whose extensions overrun it. */
	r = trec_new(0, 0);
	m.n = b.n = 0;
	client_hello(&m, "a.example", NULL, 0);
	m.b[4 + 2 + 32 + 1 + 2 + 4 + 1 + 1] = 0x7f; /* extensions length high byte */
	records(&b, 22, 0x0301, m.b, m.n, 16384);
	feedn(r, 0, &b, 100000);
	assert_int_equal(r->count[TLS_EV_MALFORMED], 1);
	assert_int_equal(r->count[TLS_EV_CLIENT_HELLO], 1);
	trec_free(r);

	/* Truncated ClientHello body (lengths point past the message). */
	r = trec_new(0, 0);
	b.n = 0;
	put(&b, "\x16\x03\x01\x00\x08\x01\x00\x00\x04\x03\x03\xff\xff", 13);
	feedn(r, 0, &b, 100000);
	assert_int_equal(r->count[TLS_EV_MALFORMED], 1);
	assert_int_equal(r->count[TLS_EV_CLIENT_HELLO], 0);
	trec_free(r);

	/* Certificate list length that disagrees with its entries. */
	make_cert(&cert, "bad.example", NULL);
	r = trec_new(0, 0);
	m.n = b.n = 0;
	certificate_msg(&m, &cert, 1);
	m.b[6] ^= 0x01; /* list length */
	records(&b, 22, 0x0303, m.b, m.n, 16384);
	feedn(r, 1, &b, 100000);
	assert_int_equal(r->count[TLS_EV_MALFORMED], 1);
	trec_free(r);

	/* Certificate bytes that are not DER: hashed, not parsed. */
	r = trec_new(0, 0);
	m.n = b.n = 0;
	memset(cert.der, 0x30, 64);
	cert.der_len = 64;
	certificate_msg(&m, &cert, 1);
	records(&b, 22, 0x0303, m.b, m.n, 16384);
	feedn(r, 1, &b, 100000);
	assert_int_equal(r->ncerts, 1);
	assert_false(r->certs[0].parsed);
	assert_false(r->certs[0].spki_ok);
	trec_free(r);

	/* A handshake message longer than max_handshake, split over records. */
	r = trec_new(1024, 0);
	m.n = b.n = 0;
	{
		static struct buf body;

		body.n = 0;
		for (int i = 0; i < 3000; i++)
			put_u8(&body, i);
		hs(&m, 11, &body);
	}
	server_hello(&m, 0x0303, 0, NULL);
	records(&b, 22, 0x0303, m.b, m.n, 1000);
	feedn(r, 1, &b, 100000);
	assert_int_equal(tls_info(&r->t)->hs_dropped, 1);
	assert_int_equal(r->count[TLS_EV_SERVER_HELLO], 1); /* still in step */
	trec_free(r);
}

static void test_memcap(void **state)
{
	static struct made_cert certs[1];
	static struct buf sf;
	struct trec *r;

	(void)state;
	make_cert(&certs[0], "mx.example.org", "DNS:mx.example.org");
	sf.n = 0;
	server_flight_12(&sf, certs, 1, 100);
	r = trec_new(0, 1000);
	feedn(r, 1, &sf, 100000);
	assert_int_equal(r->count[TLS_EV_CERTIFICATE], 0);
	assert_int_equal(tls_info(&r->t)->hs_dropped, 1);
	assert_true(r->mc.fail >= 1);
	assert_int_equal(r->count[TLS_EV_SERVER_HELLO], 1);
	trec_free(r);

	r = trec_new(0, 1 << 20);
	feedn(r, 1, &sf, 100000);
	assert_int_equal(r->count[TLS_EV_CERTIFICATE], 1);
	assert_true(r->mc.used > 0);
	trec_free(r); /* checks used went back to 0 */
}

static void test_gap(void **state)
{
	static struct made_cert certs[1];
	static struct buf sf, a, b;
	struct trec *r;
	size_t cut = 200;

	(void)state;
	make_cert(&certs[0], "mx.example.org", NULL);
	sf.n = 0;
	server_flight_12(&sf, certs, 1, 16384);
	/* A hole inside the record that carries the certificate. */
	r = trec_new(0, 0);
	a.n = b.n = 0;
	put(&a, sf.b, cut);
	put(&b, sf.b + cut + 10, sf.n - cut - 10);
	feedn(r, 1, &a, 100000);
	tls_gap(&r->t, 1, 10, &cbs, r);
	feedn(r, 1, &b, 100000);
	assert_int_equal(r->count[TLS_EV_CERTIFICATE], 0);
	assert_int_equal(tls_info(&r->t)->hs_dropped, 1);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 0);
	assert_int_equal(tls_info(&r->t)->records[1], 1);
	assert_int_equal(tls_info(&r->t)->gaps[1], 1);
	trec_free(r);

	/* A hole across record boundaries: the direction is lost. */
	r = trec_new(0, 0);
	feedn(r, 1, &a, 100000);
	tls_gap(&r->t, 1, 100000, &cbs, r);
	feedn(r, 1, &b, 100000);
	assert_true(tls_info(&r->t)->lost[1]);
	assert_int_equal(r->count[TLS_EV_NOT_TLS], 0);
	trec_free(r);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tls_version_name(0x0300), "SSLv3");
	assert_string_equal(tls_version_name(0x0301), "TLSv1");
	assert_string_equal(tls_version_name(0x0302), "TLS 1.1");
	assert_string_equal(tls_version_name(0x0303), "TLS 1.2");
	assert_string_equal(tls_version_name(0x0304), "TLS 1.3");
	assert_string_equal(tls_version_name(0x7f1c), "UNDETERMINED");
	assert_string_equal(tls_version_name(0), "UNDETERMINED");
	assert_string_equal(tls_alert_name(48), "unknown_ca");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_hello),
	    cmocka_unit_test(test_ja3_grease),
	    cmocka_unit_test(test_tls12_certificate),
	    cmocka_unit_test(test_tls13),
	    cmocka_unit_test(test_hrr_downgrade),
	    cmocka_unit_test(test_cert_cache_many),
	    cmocka_unit_test(test_cert_fields_by_parts),
	    cmocka_unit_test(test_alert),
	    cmocka_unit_test(test_not_tls),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_memcap),
	    cmocka_unit_test(test_gap),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
