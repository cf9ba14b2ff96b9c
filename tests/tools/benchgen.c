/*
 * benchgen.c - writes the deterministic benchmark capture.
 *
 * Usage: benchgen [--profile bulk|mail] OUT.pcap [SIZE_MB]
 *                                         (default bulk, 300; MB = 10^6 bytes)
 *        benchgen --version               (prints the generator version)
 *
 * The capture mixes, interleaved over a pool of concurrent sessions:
 *  - bulk TLS 1.3 on port 443 (most of the bytes): handshake record
 *    shapes, then full-size application data records of pseudo-random
 *    bytes, ACKed every two segments; some flows upload, some use jumbo
 *    segments, a few end in RST;
 *  - thousands of complete SMTP sessions on port 25: banner, EHLO with a
 *    capability list (STARTTLS on most servers, masked as XXXXXXXA in a
 *    small fraction of sessions), then either MAIL/RCPT/DATA with a short
 *    body and QUIT in cleartext, or STARTTLS followed by a TLS 1.2
 *    handshake (ClientHello with SNI, ServerHello, a real certificate,
 *    ECDHE key exchange) and opaque application data records;
 *  - DNS over UDP port 53: MX, A, AAAA and TLSA queries with EDNS0 DO,
 *    answered with the records the SMTP traffic uses; signed domains add
 *    RRSIGs (and AD), unsigned ones answer TLSA with NXDOMAIN and a SOA.
 * About 10% of sessions are IPv6 and about 10% are VLAN tagged (a fifth
 * of those QinQ). Everything comes from a fixed-seed PRNG, so the same
 * version and size always give the same bytes.
 *
 * The mail profile is a mail gateway's uplink instead: almost no bulk
 * TLS, SMTP sessions carry most packets, 3,000 domains whose MX hosts
 * each present a certificate of their own (a per-host P-256 key, so each
 * signed domain has its own TLSA digest), 15% IPv6, and a few percent of
 * sessions attacked (STARTTLS masked, or stripped for a signed domain).
 */
#include "benchcert.h"
#include "pcapwrite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bump whenever the output for a given size changes. */
#define BENCHGEN_VERSION 2

#define MB	       1000000ull
#define POOL	       48
#define MAX_OPS	       48
#define N_DOMAINS      1000
#define N_DOMAINS_MAIL 3000
#define START_US       (1800000000ll * 1000000) /* 2027-01-15T08:00:00Z */
#define PACKET_GAP_US  3
#define TLS_REC_MAX    16401 /* TLS 1.3 ciphertext: 2^14 + type + 16-byte tag */
#define BULK_RECORDS   4     /* full records per bulk step */
#define RECORD_HDR     5
#define GCM_OVERHEAD   24 /* TLS 1.2 AES-GCM: explicit nonce + tag */
#define RRSIG_VALIDITY (21 * 86400u)

/*
 * The server certificate of every STARTTLS session: a self-signed P-256
 * certificate for mx.bench.example (SAN *.bench.example). The TLSA
 * records of the signed domains are "3 1 1" over its public key.
 */
static const uint8_t server_cert[] = {
    0x30, 0x82, 0x01, 0xba, 0x30, 0x82, 0x01, 0x60, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x51,
    0xec, 0x13, 0xcd, 0x83, 0xe8, 0x20, 0x8d, 0x31, 0xd7, 0x2a, 0xfd, 0x6e, 0x3e, 0xcd, 0x87, 0xae,
    0x21, 0x16, 0xc3, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x1b, 0x31, 0x19, 0x30, 0x17, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x10, 0x6d, 0x78, 0x2e, 0x62,
    0x65, 0x6e, 0x63, 0x68, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x1e, 0x17, 0x0d,
    0x32, 0x36, 0x31, 0x31, 0x32, 0x39, 0x31, 0x36, 0x33, 0x35, 0x33, 0x32, 0x5a, 0x17, 0x0d, 0x33,
    0x36, 0x31, 0x31, 0x32, 0x36, 0x31, 0x36, 0x33, 0x35, 0x33, 0x32, 0x5a, 0x30, 0x1b, 0x31, 0x19,
    0x30, 0x17, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x10, 0x6d, 0x78, 0x2e, 0x62, 0x65, 0x6e, 0x63,
    0x68, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    0x03, 0x42, 0x00, 0x04, 0xb7, 0x51, 0x48, 0xe8, 0xca, 0x74, 0x44, 0xba, 0x46, 0x01, 0xc6, 0xdc,
    0x02, 0xa8, 0x12, 0x3a, 0xb3, 0x48, 0x25, 0xef, 0x84, 0xdd, 0x64, 0x36, 0xde, 0x7d, 0x80, 0x25,
    0x13, 0x76, 0xcb, 0xf3, 0x6b, 0x99, 0xfa, 0x78, 0x17, 0x5c, 0xc2, 0x7b, 0xc8, 0xbc, 0x75, 0x11,
    0x58, 0x9e, 0x13, 0xf8, 0xb0, 0x4b, 0xc1, 0x14, 0x56, 0x10, 0x6c, 0x59, 0x9c, 0xd6, 0xd3, 0xa5,
    0x15, 0x02, 0x83, 0x8b, 0xa3, 0x81, 0x81, 0x30, 0x7f, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e,
    0x04, 0x16, 0x04, 0x14, 0xfc, 0x61, 0x5d, 0x04, 0x57, 0x5c, 0x3b, 0xdf, 0xb0, 0x93, 0xc1, 0x99,
    0x23, 0x50, 0xa3, 0xbd, 0x91, 0x7e, 0xac, 0xb0, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04,
    0x18, 0x30, 0x16, 0x80, 0x14, 0xfc, 0x61, 0x5d, 0x04, 0x57, 0x5c, 0x3b, 0xdf, 0xb0, 0x93, 0xc1,
    0x99, 0x23, 0x50, 0xa3, 0xbd, 0x91, 0x7e, 0xac, 0xb0, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13,
    0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x2c, 0x06, 0x03, 0x55, 0x1d,
    0x11, 0x04, 0x25, 0x30, 0x23, 0x82, 0x10, 0x6d, 0x78, 0x2e, 0x62, 0x65, 0x6e, 0x63, 0x68, 0x2e,
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x82, 0x0f, 0x2a, 0x2e, 0x62, 0x65, 0x6e, 0x63, 0x68,
    0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00, 0x30, 0x45, 0x02, 0x21, 0x00, 0x95, 0x14, 0x16, 0x8e,
    0xad, 0x5f, 0x8f, 0x9d, 0x59, 0x43, 0x1e, 0xaa, 0xf7, 0xf0, 0x16, 0x19, 0x4c, 0x67, 0x78, 0xa8,
    0xbd, 0x11, 0x6b, 0xfe, 0x17, 0xde, 0x9d, 0x46, 0x37, 0x60, 0xba, 0x84, 0x02, 0x20, 0x52, 0xa8,
    0x1a, 0x1a, 0x1a, 0x8f, 0x50, 0xfa, 0x70, 0x8a, 0x5a, 0xca, 0xee, 0xa4, 0xe6, 0x0f, 0xcd, 0x28,
    0x29, 0x96, 0xf9, 0xb7, 0xff, 0xe4, 0xc6, 0xa9, 0x88, 0x00, 0xae, 0x58, 0xa7, 0x30,
};

/* SHA-256 of server_cert's SubjectPublicKeyInfo. */
static const uint8_t cert_spki_sha256[32] = {
    0x9c, 0x97, 0x63, 0x88, 0xbf, 0xfc, 0x7c, 0x93, 0xee, 0xfc, 0x3e, 0xdd, 0x32, 0x6e, 0x52, 0x49,
    0x18, 0x65, 0x89, 0xa0, 0x3a, 0x85, 0xd5, 0x8b, 0x36, 0x1a, 0x58, 0x4a, 0xda, 0x63, 0x13, 0xa7,
};

/* splitmix64 with a fixed seed: fast, and the same sequence on every run. */
static uint64_t rng_state = 0x6d78656e74727931ull;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static uint32_t rnd(uint32_t n)
{
	return (uint32_t)((rng() >> 32) * n >> 32);
}

/* True with probability pct percent. */
static int chance(uint32_t pct)
{
	return rnd(100) < pct;
}

static void fill_random(uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rng();

		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng();

		memcpy(p, &v, n);
	}
}

enum op_kind {
	OP_HANDSHAKE,
	OP_TCP,	 /* one message of the script's data */
	OP_UDP,	 /* one datagram of the script's data */
	OP_BULK, /* bulk TLS records until bulk_left is 0 */
	OP_FIN,
	OP_RST,
};

struct op {
	uint8_t kind;
	uint8_t dir;
	uint32_t off;
	uint32_t len;
};

/* One session of the pool: its path, connection and the script it runs. */
struct session {
	int active;
	struct pw_path path;
	struct pw_tcp tcp;
	uint8_t *data;
	size_t len;
	size_t cap;
	struct op ops[MAX_OPS];
	unsigned nops;
	unsigned pc;
	size_t msg_off;
	enum pw_dir msg_dir;
	uint64_t bulk_left;
	enum pw_dir bulk_dir;
	unsigned bulk_steps;
	size_t mss;
};

struct stats {
	uint64_t web, smtp, smtp_tls, smtp_masked, smtp_stripped, dns, v6, vlan;
};

/* The certificate of one MX host in the mail profile, made on first use. */
struct mx_cert {
	uint8_t *der;
	size_t len;
	uint8_t spki_sha256[32];
};

static int mail;
static unsigned n_domains = N_DOMAINS;
static struct mx_cert *mx_certs;
static struct pw_writer *w;
static struct session pool[POOL];
static struct stats st;
static uint64_t serial;
static uint8_t scratch[BULK_RECORDS * (TLS_REC_MAX + RECORD_HDR) + 1024];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "benchgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Returns room for n more bytes at the end of s's data. */
static uint8_t *grow(struct session *s, size_t n)
{
	if (s->len + n > s->cap) {
		size_t nc = s->cap ? s->cap : 4096;

		while (nc < s->len + n)
			nc *= 2;
		s->data = realloc(s->data, nc);
		if (!s->data)
			die("out of memory");
		s->cap = nc;
	}
	s->len += n;
	return s->data + s->len - n;
}

static void app8(struct session *s, uint8_t v)
{
	*grow(s, 1) = v;
}

static void app16(struct session *s, uint16_t v)
{
	uint8_t *p = grow(s, 2);

	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void app24(struct session *s, uint32_t v)
{
	uint8_t *p = grow(s, 3);

	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static void app32(struct session *s, uint32_t v)
{
	app16(s, (uint16_t)(v >> 16));
	app16(s, (uint16_t)v);
}

static void appbytes(struct session *s, const void *p, size_t n)
{
	memcpy(grow(s, n), p, n);
}

static void apprand(struct session *s, size_t n)
{
	fill_random(grow(s, n), n);
}

static void appf(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void appf(struct session *s, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("text too long");
	appbytes(s, tmp, (size_t)n);
}

/* Writes the big-endian length of the bytes after a `width`-byte field at mark. */
static void patch_len(struct session *s, size_t mark, int width)
{
	size_t v = s->len - mark - (size_t)width;
	int i;

	for (i = width - 1; i >= 0; i--, v >>= 8)
		s->data[mark + (size_t)i] = (uint8_t)v;
}

static void add_op(struct session *s, enum op_kind kind, enum pw_dir dir, size_t off, size_t len)
{
	struct op *o;

	if (s->nops >= MAX_OPS)
		die("session script too long");
	o = &s->ops[s->nops++];
	o->kind = (uint8_t)kind;
	o->dir = (uint8_t)dir;
	o->off = (uint32_t)off;
	o->len = (uint32_t)len;
}

static void msg_begin(struct session *s, enum pw_dir dir)
{
	s->msg_off = s->len;
	s->msg_dir = dir;
}

static void msg_end(struct session *s, enum op_kind kind)
{
	add_op(s, kind, s->msg_dir, s->msg_off, s->len - s->msg_off);
}

/* Adds one text message (a TCP message of the formatted text). */
static void say(struct session *s, enum pw_dir dir, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct session *s, enum pw_dir dir, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("text too long");
	msg_begin(s, dir);
	appbytes(s, tmp, (size_t)n);
	msg_end(s, OP_TCP);
}

/* Starts a TLS record of the given content type; returns the length mark. */
static size_t rec_begin(struct session *s, uint8_t type, uint16_t version)
{
	size_t mark;

	app8(s, type);
	app16(s, version);
	mark = s->len;
	app16(s, 0);
	return mark;
}

/* Starts a handshake message of the given type; returns the length mark. */
static size_t hs_begin(struct session *s, uint8_t type)
{
	size_t mark;

	app8(s, type);
	mark = s->len;
	app24(s, 0);
	return mark;
}

/* Appends an opaque (encrypted) record with len bytes of ciphertext. */
static void opaque_record(struct session *s, uint8_t type, size_t len)
{
	app8(s, type);
	app16(s, 0x0303);
	app16(s, (uint16_t)len);
	apprand(s, len);
}

static void ext_sni(struct session *s, const char *host)
{
	size_t n = strlen(host);

	app16(s, 0x0000);
	app16(s, (uint16_t)(n + 5));
	app16(s, (uint16_t)(n + 3));
	app8(s, 0);
	app16(s, (uint16_t)n);
	appbytes(s, host, n);
}

/* Appends a ClientHello record (TLS 1.3-capable when tls13 is set). */
static void client_hello(struct session *s, const char *sni, int tls13)
{
	static const uint16_t suites12[] = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
					    0xcca8, 0xc013, 0xc014, 0x009c, 0x009d};
	static const uint16_t suites13[] = {0x1301, 0x1302, 0x1303};
	size_t rec = rec_begin(s, 22, 0x0301), hs = hs_begin(s, 1), m, exts;
	unsigned i;

	app16(s, 0x0303);
	apprand(s, 32);
	app8(s, 32);
	apprand(s, 32);
	m = s->len;
	app16(s, 0);
	if (tls13)
		for (i = 0; i < sizeof(suites13) / sizeof(suites13[0]); i++)
			app16(s, suites13[i]);
	for (i = 0; i < sizeof(suites12) / sizeof(suites12[0]); i++)
		app16(s, suites12[i]);
	patch_len(s, m, 2);
	app8(s, 1);
	app8(s, 0);
	exts = s->len;
	app16(s, 0);
	ext_sni(s, sni);
	appbytes(s, "\x00\x0a\x00\x08\x00\x06\x00\x1d\x00\x17\x00\x18", 12); /* groups */
	appbytes(s, "\x00\x0b\x00\x02\x01\x00", 6);			     /* point formats */
	appbytes(s, "\x00\x0d\x00\x0a\x00\x08\x04\x03\x05\x03\x08\x04\x04\x01", 14);
	appbytes(s, "\x00\x17\x00\x00", 4); /* extended master secret */
	if (tls13) {
		appbytes(s, "\x00\x2b\x00\x05\x04\x03\x04\x03\x03", 9);	     /* versions */
		appbytes(s, "\x00\x33\x00\x26\x00\x24\x00\x1d\x00\x20", 10); /* key share */
		apprand(s, 32);
	}
	patch_len(s, exts, 2);
	patch_len(s, hs, 3);
	patch_len(s, rec, 2);
}

/* Appends a TLS 1.2 ServerHello, Certificate, ServerKeyExchange and ServerHelloDone. */
static void server_flight12(struct session *s, const uint8_t *cert, size_t cert_len)
{
	size_t rec, hs, m;

	rec = rec_begin(s, 22, 0x0303);
	hs = hs_begin(s, 2);
	app16(s, 0x0303);
	apprand(s, 32);
	app8(s, 32);
	apprand(s, 32);
	app16(s, 0xc02b);
	app8(s, 0);
	appbytes(s, "\x00\x0f\xff\x01\x00\x01\x00\x00\x0b\x00\x02\x01\x00\x00\x17\x00\x00", 17);
	patch_len(s, hs, 3);
	patch_len(s, rec, 2);

	rec = rec_begin(s, 22, 0x0303);
	hs = hs_begin(s, 11);
	m = s->len;
	app24(s, 0);
	app24(s, (uint32_t)cert_len);
	appbytes(s, cert, cert_len);
	patch_len(s, m, 3);
	patch_len(s, hs, 3);
	patch_len(s, rec, 2);

	rec = rec_begin(s, 22, 0x0303);
	hs = hs_begin(s, 12);
	app8(s, 3); /* named curve */
	app16(s, 0x001d);
	app8(s, 32);
	apprand(s, 32);
	app16(s, 0x0403);
	/* A DER ECDSA signature: SEQUENCE { INTEGER r, INTEGER s }, 32 bytes each. */
	appbytes(s, "\x00\x46\x30\x44", 4);
	for (int k = 0; k < 2; k++) {
		uint8_t *v;

		appbytes(s, "\x02\x20", 2);
		v = grow(s, 32);
		fill_random(v, 32);
		v[0] = (uint8_t)((v[0] & 0x7f) | 0x01); /* positive and minimal */
	}
	patch_len(s, hs, 3);
	hs = hs_begin(s, 14);
	patch_len(s, hs, 3);
	patch_len(s, rec, 2);
}

/* Appends the client's ClientKeyExchange, ChangeCipherSpec and encrypted Finished. */
static void client_finish12(struct session *s)
{
	size_t rec = rec_begin(s, 22, 0x0303), hs = hs_begin(s, 16);

	app8(s, 32);
	apprand(s, 32);
	patch_len(s, hs, 3);
	patch_len(s, rec, 2);
	appbytes(s, "\x14\x03\x03\x00\x01\x01", 6);
	opaque_record(s, 22, 40);
}

/* Appends opaque application data records carrying about n bytes of plaintext. */
static void app_data12(struct session *s, size_t n)
{
	while (n > 0) {
		size_t l = n > 16384 ? 16384 : n;

		opaque_record(s, 23, l + GCM_OVERHEAD);
		n -= l;
	}
}

static const char *const words[] = {
    "the",    "report", "meeting", "invoice", "please", "attached", "regards", "schedule",
    "review", "budget", "project", "update",  "team",	"tomorrow", "thanks",  "draft",
};

/* Appends a short RFC 5322 message (CRLF lines, dot-stuffing not needed) and the final dot. */
static void mail_body(struct session *s, unsigned n, unsigned j)
{
	unsigned lines = 4 + rnd(40), i, k;

	appf(s, "From: <user%u@sender%u.example>\r\nTo: <rcpt%u@dom%u.example>\r\n", n % 997,
	     n % 89, n % 613, j);
	appf(s, "Subject: message %u\r\nDate: Fri, 15 Jan 2027 08:00:00 +0000\r\n", n);
	appf(s, "Message-ID: <%u.%08x@sender%u.example>\r\nMIME-Version: 1.0\r\n\r\n", n,
	     (unsigned)rng(), n % 89);
	for (i = 0; i < lines; i++) {
		unsigned nw = 3 + rnd(10);

		for (k = 0; k < nw; k++)
			appf(s, "%s%s", k ? " " : "", words[rnd(16)]);
		appf(s, "\r\n");
	}
	appf(s, ".\r\n");
}

static int domain_starttls(unsigned j)
{
	return j % 7 != 0;
}

static int domain_signed(unsigned j)
{
	return domain_starttls(j) && j % 3 != 0;
}

static void v4(struct pw_endpoint *ep, unsigned a, unsigned b, unsigned c, unsigned d,
	       uint16_t port)
{
	pw_endpoint_ipv4(ep, (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d, port);
}

static void v6(struct pw_endpoint *ep, uint16_t net, uint32_t host, uint16_t port)
{
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};

	a[4] = (uint8_t)(net >> 8);
	a[5] = (uint8_t)net;
	a[12] = (uint8_t)(host >> 24);
	a[13] = (uint8_t)(host >> 16);
	a[14] = (uint8_t)(host >> 8);
	a[15] = (uint8_t)host;
	pw_endpoint_ipv6(ep, a, port);
}

/* Client address of session serial n in address group g (1 web, 2 mail/DNS). */
static void client_ep(struct pw_endpoint *ep, int ipv6, unsigned g, uint64_t n, uint16_t port)
{
	unsigned h = (unsigned)(n % 5000);

	if (ipv6)
		v6(ep, (uint16_t)(0xc000 + g), h + 1, port);
	else
		v4(ep, 10, g, h / 250, h % 250 + 1, port);
}

/* Address of mail server j (mx1 of domain j; mx2 when second is set). */
static void mx_ep(struct pw_endpoint *ep, int ipv6, unsigned j, int second)
{
	unsigned k = j + (second ? n_domains : 0);

	if (ipv6)
		v6(ep, 0x0025, k + 1, 25);
	else
		v4(ep, 198, 19, k / 250, k % 250 + 1, 25);
}

/* Chooses tagging and family for a new session's path. */
static int new_path(struct session *s)
{
	int ipv6 = chance(mail ? 15 : 10);

	memset(&s->path, 0, sizeof(s->path));
	if (chance(10)) {
		st.vlan++;
		if (chance(20)) {
			s->path.vlan_outer = 10;
			s->path.vlan_inner = (uint16_t)(200 + rnd(8));
		} else {
			s->path.vlan_outer = (uint16_t)(100 + rnd(20));
		}
	}
	if (ipv6)
		st.v6++;
	return ipv6;
}

static uint16_t ephemeral(uint64_t n)
{
	return (uint16_t)(32768 + n % 28000);
}

static void reset_session(struct session *s)
{
	s->len = 0;
	s->nops = 0;
	s->pc = 0;
	s->bulk_left = 0;
	s->bulk_steps = 0;
	s->active = 1;
}

static void start_web(struct session *s)
{
	uint64_t n = serial++;
	int ipv6 = new_path(s);
	unsigned srv = rnd(2000);
	char sni[64];

	reset_session(s);
	st.web++;
	client_ep(&s->path.client, ipv6, 1, n, ephemeral(n));
	if (ipv6)
		v6(&s->path.server, 0x0443, srv + 1, 443);
	else
		v4(&s->path.server, 198, 18, srv / 250, srv % 250 + 1, 443);
	snprintf(sni, sizeof(sni), "www%u.site%u.example", srv % 10, srv);
	s->mss = chance(10) ? 8948 : (ipv6 ? 1428 : 1448);
	s->bulk_left = (uint64_t)(1u << (16 + rnd(7))) + rnd(65536);
	s->bulk_dir = chance(10) ? PW_TO_SERVER : PW_TO_CLIENT;

	add_op(s, OP_HANDSHAKE, PW_TO_SERVER, 0, 0);
	msg_begin(s, PW_TO_SERVER);
	client_hello(s, sni, 1);
	msg_end(s, OP_TCP);

	msg_begin(s, PW_TO_CLIENT);
	{
		size_t rec = rec_begin(s, 22, 0x0303), hs = hs_begin(s, 2);

		app16(s, 0x0303);
		apprand(s, 32);
		app8(s, 32);
		apprand(s, 32);
		app16(s, 0x1301);
		app8(s, 0);
		appbytes(s, "\x00\x2e\x00\x2b\x00\x02\x03\x04\x00\x33\x00\x24\x00\x1d\x00\x20", 16);
		apprand(s, 32);
		patch_len(s, hs, 3);
		patch_len(s, rec, 2);
	}
	appbytes(s, "\x14\x03\x03\x00\x01\x01", 6);
	opaque_record(s, 23, 2000 + rnd(2500)); /* encrypted extensions .. finished */
	msg_end(s, OP_TCP);

	msg_begin(s, PW_TO_SERVER);
	appbytes(s, "\x14\x03\x03\x00\x01\x01", 6);
	opaque_record(s, 23, 53);
	opaque_record(s, 23, 100 + rnd(600));
	msg_end(s, OP_TCP);

	add_op(s, OP_BULK, s->bulk_dir, 0, 0);
	add_op(s, chance(3) ? OP_RST : OP_FIN, chance(50) ? PW_TO_SERVER : PW_TO_CLIENT, 0, 0);
}

/*
 * Adds STARTTLS, its 220, the TLS 1.2 handshake and the mail transaction
 * as opaque application data records (sizes of the plaintext dialogue plus
 * the AES-GCM overhead), then close_notify alerts both ways.
 */
static void smtp_tls(struct session *s, const char *host, const uint8_t *cert, size_t cert_len)
{
	/* EHLO, capabilities, MAIL+RCPT+DATA, replies, body (0), queued, QUIT, bye. */
	static const unsigned dialogue[][2] = {
	    {PW_TO_SERVER, 33}, {PW_TO_CLIENT, 160}, {PW_TO_SERVER, 90}, {PW_TO_CLIENT, 46},
	    {PW_TO_SERVER, 0},	{PW_TO_CLIENT, 48},  {PW_TO_SERVER, 6},	 {PW_TO_CLIENT, 24},
	};
	unsigned i;

	say(s, PW_TO_SERVER, "STARTTLS\r\n");
	say(s, PW_TO_CLIENT, "220 2.0.0 Ready to start TLS\r\n");
	msg_begin(s, PW_TO_SERVER);
	client_hello(s, host, 0);
	msg_end(s, OP_TCP);
	msg_begin(s, PW_TO_CLIENT);
	server_flight12(s, cert, cert_len);
	msg_end(s, OP_TCP);
	msg_begin(s, PW_TO_SERVER);
	client_finish12(s);
	msg_end(s, OP_TCP);
	msg_begin(s, PW_TO_CLIENT);
	appbytes(s, "\x14\x03\x03\x00\x01\x01", 6);
	opaque_record(s, 22, 40);
	msg_end(s, OP_TCP);
	for (i = 0; i < sizeof(dialogue) / sizeof(dialogue[0]); i++) {
		msg_begin(s, (enum pw_dir)dialogue[i][0]);
		app_data12(s, dialogue[i][1] ? dialogue[i][1] : 400 + rnd(6000));
		msg_end(s, OP_TCP);
	}
	msg_begin(s, PW_TO_SERVER);
	opaque_record(s, 21, 26); /* close_notify */
	msg_end(s, OP_TCP);
	msg_begin(s, PW_TO_CLIENT);
	opaque_record(s, 21, 26);
	msg_end(s, OP_TCP);
}

/* The certificate of mx1.dom<j>.example in the mail profile, made on first use. */
static const struct mx_cert *mx_cert(unsigned j)
{
	struct mx_cert *c = &mx_certs[j];
	char host[64];

	if (!c->der) {
		snprintf(host, sizeof(host), "mx1.dom%u.example", j);
		if (bc_make(host, 0x6d78000000ull + j, START_US / 1000000 - 30 * 86400, &c->der,
			    &c->len, c->spki_sha256) != 0)
			die("cannot make the certificate of %s", host);
	}
	return c;
}

static void start_smtp(struct session *s)
{
	uint64_t n = serial++;
	int ipv6 = new_path(s);
	unsigned j = rnd(n_domains), un = (unsigned)n;
	int offer = domain_starttls(j), masked = offer && chance(2);
	int strip = mail && offer && !masked && domain_signed(j) && chance(2);
	int tls = offer && !masked && !strip && chance(95);
	char host[64];

	reset_session(s);
	st.smtp++;
	st.smtp_tls += tls;
	st.smtp_masked += masked;
	st.smtp_stripped += strip;
	client_ep(&s->path.client, ipv6, 2, n, ephemeral(n));
	mx_ep(&s->path.server, ipv6, j, 0);
	s->mss = ipv6 ? 1428 : 1448;
	snprintf(host, sizeof(host), "mx1.dom%u.example", j);

	add_op(s, OP_HANDSHAKE, PW_TO_SERVER, 0, 0);
	say(s, PW_TO_CLIENT, "220 %s ESMTP Postfix\r\n", host);
	say(s, PW_TO_SERVER, "EHLO mta%u.sender%u.example\r\n", un % 50, un % 89);
	msg_begin(s, PW_TO_CLIENT);
	appf(s, "250-%s\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-VRFY\r\n250-ETRN\r\n", host);
	if (offer && !strip)
		appf(s, "250-%s\r\n", masked ? "XXXXXXXA" : "STARTTLS");
	appf(s, "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n");
	msg_end(s, OP_TCP);
	if (tls) {
		if (mail) {
			const struct mx_cert *c = mx_cert(j);

			smtp_tls(s, host, c->der, c->len);
		} else {
			smtp_tls(s, host, server_cert, sizeof(server_cert));
		}
	} else {
		say(s, PW_TO_SERVER, "MAIL FROM:<user%u@sender%u.example> SIZE=%u\r\n", un % 997,
		    un % 89, 1000 + rnd(4000));
		say(s, PW_TO_CLIENT, "250 2.1.0 Ok\r\n");
		say(s, PW_TO_SERVER, "RCPT TO:<rcpt%u@dom%u.example>\r\n", un % 613, j);
		say(s, PW_TO_CLIENT, "250 2.1.5 Ok\r\n");
		say(s, PW_TO_SERVER, "DATA\r\n");
		say(s, PW_TO_CLIENT, "354 End data with <CR><LF>.<CR><LF>\r\n");
		msg_begin(s, PW_TO_SERVER);
		mail_body(s, un, j);
		msg_end(s, OP_TCP);
		say(s, PW_TO_CLIENT, "250 2.0.0 Ok: queued as %08X\r\n", (unsigned)rng());
		say(s, PW_TO_SERVER, "QUIT\r\n");
		say(s, PW_TO_CLIENT, "221 2.0.0 Bye\r\n");
	}
	add_op(s, chance(2) ? OP_RST : OP_FIN, PW_TO_SERVER, 0, 0);
}

/* Appends a domain name in wire form (no compression). */
static void dns_name(struct session *s, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		app8(s, (uint8_t)n);
		appbytes(s, name, n);
		name += n + (dot ? 1 : 0);
	}
	app8(s, 0);
}

/* Starts an RR: owner as a compression pointer, type, class IN, TTL; returns the rdlength mark. */
static size_t dns_rr(struct session *s, uint16_t owner_ptr, uint16_t type, uint32_t ttl)
{
	size_t mark;

	app16(s, (uint16_t)(0xc000 | owner_ptr));
	app16(s, type);
	app16(s, 1);
	app32(s, ttl);
	mark = s->len;
	app16(s, 0);
	return mark;
}

static void dns_rrsig(struct session *s, uint16_t covered, uint8_t labels, unsigned j)
{
	uint32_t now = (uint32_t)(pw_time(w) / 1000000);
	size_t rd = dns_rr(s, 12, 46, 3600);
	char signer[32];

	app16(s, covered);
	app8(s, 13); /* ECDSA P-256 SHA-256 */
	app8(s, labels);
	app32(s, 3600);
	app32(s, now + RRSIG_VALIDITY);
	app32(s, now - 7 * 86400u);
	app16(s, (uint16_t)(20000 + j));
	snprintf(signer, sizeof(signer), "dom%u.example", j);
	dns_name(s, signer);
	apprand(s, 64);
	patch_len(s, rd, 2);
}

static void dns_opt(struct session *s)
{
	app8(s, 0);
	app16(s, 41);
	app16(s, 1232);
	app32(s, 0x00008000); /* DO */
	app16(s, 0);
}

static void start_dns(struct session *s)
{
	uint64_t n = serial++;
	int ipv6 = new_path(s);
	unsigned j = rnd(n_domains), r = rnd(100), labels = 3, i;
	int sig = domain_signed(j), nx = 0;
	uint16_t qtype, id = (uint16_t)rng(), qoff = 12;
	char qname[64];
	size_t ancount_at;
	unsigned ancount = 0;

	reset_session(s);
	st.dns++;
	client_ep(&s->path.client, ipv6, 2, n, (uint16_t)(1024 + rnd(64000)));
	if (ipv6)
		v6(&s->path.server, 0x0053, 0x53, 53);
	else
		v4(&s->path.server, 10, 0, 0, 53, 53);
	if (r < 35) {
		qtype = 15;
		labels = 2;
		snprintf(qname, sizeof(qname), "dom%u.example", j);
	} else if (r < 60) {
		qtype = 1;
		snprintf(qname, sizeof(qname), "mx1.dom%u.example", j);
	} else if (r < 70) {
		qtype = 28;
		snprintf(qname, sizeof(qname), "mx1.dom%u.example", j);
	} else {
		qtype = 52;
		labels = 5;
		nx = !sig;
		snprintf(qname, sizeof(qname), "_25._tcp.mx1.dom%u.example", j);
	}

	/* Query: RD, one question, an OPT record with DO. */
	msg_begin(s, PW_TO_SERVER);
	app16(s, id);
	app16(s, 0x0100);
	app16(s, 1);
	app16(s, 0);
	app16(s, 0);
	app16(s, 1);
	dns_name(s, qname);
	app16(s, qtype);
	app16(s, 1);
	dns_opt(s);
	msg_end(s, OP_UDP);

	/* Response. */
	msg_begin(s, PW_TO_CLIENT);
	app16(s, id);
	app16(s, (uint16_t)(0x8180 | (sig ? 0x0020 : 0) | (nx ? 3 : 0)));
	app16(s, 1);
	ancount_at = s->len;
	app16(s, 0);
	app16(s, nx ? 1 : 0);
	app16(s, 1);
	dns_name(s, qname);
	app16(s, qtype);
	app16(s, 1);
	if (qtype == 15) {
		for (i = 0; i < 2; i++) {
			size_t rd = dns_rr(s, qoff, 15, 3600);

			app16(s, (uint16_t)(10 * (i + 1)));
			appbytes(s, i ? "\x03mx2" : "\x03mx1", 4);
			app16(s, (uint16_t)(0xc000 | qoff));
			patch_len(s, rd, 2);
			ancount++;
		}
	} else if (qtype == 1 || qtype == 28) {
		struct pw_endpoint ep;
		size_t rd = dns_rr(s, qoff, qtype, 3600);

		mx_ep(&ep, qtype == 28, j, 0);
		appbytes(s, ep.addr, qtype == 28 ? 16 : 4);
		patch_len(s, rd, 2);
		ancount++;
	} else if (!nx) {
		size_t rd = dns_rr(s, qoff, 52, 3600);

		app8(s, 3);
		app8(s, 1);
		app8(s, 1);
		appbytes(s, mail ? mx_cert(j)->spki_sha256 : cert_spki_sha256, 32);
		patch_len(s, rd, 2);
		ancount++;
	}
	if (sig && !nx) {
		dns_rrsig(s, qtype, (uint8_t)labels, j);
		ancount++;
	}
	if (nx) {
		/* SOA of the domain: its name is the suffix of _25._tcp.mx1.<domain>. */
		uint16_t dom = (uint16_t)(qoff + 4 + 5 + 4);
		size_t rd = dns_rr(s, dom, 6, 3600);

		appbytes(s, "\x03ns1", 4);
		app16(s, (uint16_t)(0xc000 | dom));
		appbytes(s, "\x0ahostmaster", 11);
		app16(s, (uint16_t)(0xc000 | dom));
		app32(s, 2027011501);
		app32(s, 7200);
		app32(s, 3600);
		app32(s, 1209600);
		app32(s, 300);
		patch_len(s, rd, 2);
	}
	dns_opt(s);
	s->data[ancount_at] = (uint8_t)(ancount >> 8);
	s->data[ancount_at + 1] = (uint8_t)ancount;
	msg_end(s, OP_UDP);
}

/* Starts a new session of a kind drawn by the traffic mix. */
static void start_session(struct session *s)
{
	uint32_t r = rnd(1000);

	if (mail) {
		if (r < 2)
			start_web(s);
		else if (r < 450)
			start_smtp(s);
		else
			start_dns(s);
		return;
	}
	if (r < 25)
		start_web(s);
	else if (r < 400)
		start_smtp(s);
	else
		start_dns(s);
}

/* Sends one bulk step: up to BULK_RECORDS full records, ACKed every two segments. */
static void bulk_step(struct session *s)
{
	struct pw_send_opts o;
	size_t n = 0, off;
	unsigned i;

	memset(&o, 0, sizeof(o));
	o.segment = s->mss;
	if (s->bulk_steps % 16 == 15) {
		/* Every 16 steps the other side sends a small record (a new request). */
		size_t l = 100 + rnd(500);

		memcpy(scratch, "\x17\x03\x03", 3);
		scratch[3] = (uint8_t)(l >> 8);
		scratch[4] = (uint8_t)l;
		fill_random(scratch + RECORD_HDR, l);
		if (pw_tcp_send(&s->tcp, s->bulk_dir == PW_TO_CLIENT ? PW_TO_SERVER : PW_TO_CLIENT,
				scratch, RECORD_HDR + l, &o))
			die("%s", pw_error(w));
	}
	for (i = 0; i < BULK_RECORDS && s->bulk_left > 0; i++) {
		size_t l = s->bulk_left > TLS_REC_MAX ? TLS_REC_MAX : (size_t)s->bulk_left;

		if (l < 17)
			l = 17;
		scratch[n] = 23;
		scratch[n + 1] = 3;
		scratch[n + 2] = 3;
		scratch[n + 3] = (uint8_t)(l >> 8);
		scratch[n + 4] = (uint8_t)l;
		fill_random(scratch + n + RECORD_HDR, l);
		n += RECORD_HDR + l;
		s->bulk_left = s->bulk_left > l ? s->bulk_left - l : 0;
	}
	for (off = 0; off < n; off += 2 * s->mss) {
		size_t l = n - off < 2 * s->mss ? n - off : 2 * s->mss;

		if (pw_tcp_send(&s->tcp, s->bulk_dir, scratch + off, l, &o))
			die("%s", pw_error(w));
	}
	s->bulk_steps++;
}

/* Runs the next step of s; clears s->active when its script is done. */
static void step(struct session *s)
{
	const struct op *o = &s->ops[s->pc];
	struct pw_send_opts opts;
	int rc = 0;

	memset(&opts, 0, sizeof(opts));
	opts.segment = s->mss;
	switch (o->kind) {
	case OP_HANDSHAKE:
		pw_tcp_init(&s->tcp, w, &s->path, (uint32_t)rng(), (uint32_t)rng());
		s->tcp.mss = s->mss;
		rc = pw_tcp_handshake(&s->tcp);
		break;
	case OP_TCP:
		rc = pw_tcp_send(&s->tcp, (enum pw_dir)o->dir, s->data + o->off, o->len, &opts);
		break;
	case OP_UDP:
		rc = pw_udp(w, &s->path, (enum pw_dir)o->dir, s->data + o->off, o->len);
		break;
	case OP_BULK:
		if (s->bulk_left > 0) {
			bulk_step(s);
			return;
		}
		break;
	case OP_FIN:
		rc = pw_tcp_fin(&s->tcp, (enum pw_dir)o->dir);
		break;
	case OP_RST:
		rc = pw_tcp_rst(&s->tcp, (enum pw_dir)o->dir);
		break;
	}
	if (rc)
		die("%s", pw_error(w));
	if (++s->pc >= s->nops)
		s->active = 0;
}

int main(int argc, char **argv)
{
	char err[256];
	unsigned long long size_mb = 300, target;
	unsigned i, active;
	int draining = 0;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("benchgen %d\n", BENCHGEN_VERSION);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "--profile") == 0) {
		if (strcmp(argv[2], "mail") == 0)
			mail = 1;
		else if (strcmp(argv[2], "bulk") != 0)
			die("unknown profile %s (bulk or mail)", argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || argc > 3 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: benchgen [--profile bulk|mail] OUT.pcap [SIZE_MB]\n"
				"       benchgen --version\n");
		return 2;
	}
	if (mail) {
		n_domains = N_DOMAINS_MAIL;
		mx_certs = calloc(n_domains, sizeof(*mx_certs));
		if (!mx_certs)
			die("out of memory");
	}
	if (argc == 3) {
		char *end;

		size_mb = strtoull(argv[2], &end, 10);
		if (*end || size_mb == 0 || size_mb > 100000)
			die("SIZE_MB must be 1..100000");
	}
	target = size_mb * MB;
	w = pw_open(argv[1], err, sizeof(err));
	if (!w)
		die("%s", err);
	pw_set_time(w, START_US);
	pw_set_gap(w, PACKET_GAP_US);
	for (i = 0; i < POOL; i++)
		start_session(&pool[i]);
	for (;;) {
		struct session *s = &pool[rnd(POOL)];

		if (!s->active)
			continue;
		step(s);
		pw_advance(w, rnd(400));
		if (!draining && 24 + pw_bytes(w) + 16 * pw_packets(w) >= target) {
			draining = 1;
			for (i = 0; i < POOL; i++)
				if (pool[i].active && pool[i].bulk_left > TLS_REC_MAX)
					pool[i].bulk_left = TLS_REC_MAX;
		}
		if (!s->active) {
			if (!draining)
				start_session(s);
			for (i = 0, active = 0; i < POOL && draining; i++)
				active += (unsigned)pool[i].active;
			if (draining && active == 0)
				break;
		}
	}
	fprintf(stderr,
		"benchgen: %llu packets, %llu bytes; %llu web, %llu smtp (%llu STARTTLS, %llu "
		"masked, %llu stripped), %llu dns; %llu IPv6, %llu VLAN sessions\n",
		(unsigned long long)pw_packets(w), (unsigned long long)pw_bytes(w),
		(unsigned long long)st.web, (unsigned long long)st.smtp,
		(unsigned long long)st.smtp_tls, (unsigned long long)st.smtp_masked,
		(unsigned long long)st.smtp_stripped, (unsigned long long)st.dns,
		(unsigned long long)st.v6, (unsigned long long)st.vlan);
	for (i = 0; i < POOL; i++)
		free(pool[i].data);
	for (i = 0; mx_certs && i < n_domains; i++)
		free(mx_certs[i].der);
	free(mx_certs);
	if (pw_close(w) != 0)
		die("%s: write error", argv[1]);
	return 0;
}
