/*
 * tls_ja3.c - JA3 and JA3S fingerprints of a ClientHello / ServerHello:
 * the decimal field values joined with '-' and the fields with ',' (JA3:
 * version, cipher suites, extension types, supported groups, EC point
 * formats; JA3S: version, chosen cipher, extension types), GREASE values
 * (RFC 8701) left out, and the MD5 of that string in lowercase hex, as
 * Suricata's tls.ja3 / tls.ja3s write them. The digest is taken over the
 * whole string, also where the copy kept for the record is cut.
 */
#include "tls_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define EXT_SUPPORTED_GROUPS 10
#define EXT_EC_POINT_FORMATS 11

/* The string under construction: the kept copy and the running digest. */
struct ja3_buf {
	EVP_MD_CTX *md;
	char *out;
	size_t cap, len;
	bool truncated;
	bool first; /* no value yet in the current field */
};

static void put(struct ja3_buf *b, const char *s, size_t n)
{
	if (b->md != NULL)
		EVP_DigestUpdate(b->md, s, n);
	if (b->len + n >= b->cap) {
		b->truncated = true;
		n = b->len + 1 < b->cap ? b->cap - 1 - b->len : 0;
	}
	memcpy(b->out + b->len, s, n);
	b->len += n;
	b->out[b->len] = '\0';
}

static void field(struct ja3_buf *b, bool first_field)
{
	if (!first_field)
		put(b, ",", 1);
	b->first = true;
}

static void value(struct ja3_buf *b, unsigned v)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%s%u", b->first ? "" : "-", v);

	b->first = false;
	put(b, num, (size_t)n);
}

static bool grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static void begin(struct ja3_buf *b, char *out, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->out = out;
	b->cap = cap;
	out[0] = '\0';
	b->md = EVP_MD_CTX_new();
	if (b->md != NULL && EVP_DigestInit_ex(b->md, EVP_md5(), NULL) != 1) {
		EVP_MD_CTX_free(b->md);
		b->md = NULL;
	}
}

static void finish(struct ja3_buf *b, char hash[TLS_JA3_HASH_LEN + 1], bool *truncated)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	hash[0] = '\0';
	*truncated = b->truncated;
	if (b->md == NULL)
		return;
	if (EVP_DigestFinal_ex(b->md, d, &dl) == 1 && dl == TLS_JA3_HASH_LEN / 2) {
		for (unsigned i = 0; i < dl; i++) {
			hash[2 * i] = hex[d[i] >> 4];
			hash[2 * i + 1] = hex[d[i] & 15];
		}
		hash[TLS_JA3_HASH_LEN] = '\0';
	}
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
}

/* Every u16 of a list, GREASE left out, into the current field. */
static void u16_list(struct ja3_buf *b, struct tls_rd l)
{
	while (l.left >= 2) {
		uint16_t v = (uint16_t)tls_rd_u(&l, 2);

		if (!grease(v))
			value(b, v);
	}
}

/* The extension types of an extensions block, GREASE left out. */
static void ext_types(struct ja3_buf *b, struct tls_rd exts)
{
	while (exts.left >= 4) {
		uint16_t type = (uint16_t)tls_rd_u(&exts, 2);
		struct tls_rd e;

		if (!tls_rd_sub(&exts, tls_rd_u(&exts, 2), &e))
			break;
		if (!grease(type))
			value(b, type);
	}
}

void tls_ja3_client(struct tls_info *in, uint16_t version, struct tls_rd ciphers,
		    struct tls_rd exts)
{
	struct ja3_buf b;
	struct tls_rd groups = {NULL, 0, false}, formats = {NULL, 0, false}, walk = exts;

	while (walk.left >= 4) {
		uint16_t type = (uint16_t)tls_rd_u(&walk, 2);
		struct tls_rd e;

		if (!tls_rd_sub(&walk, tls_rd_u(&walk, 2), &e))
			break;
		if (type == EXT_SUPPORTED_GROUPS && groups.p == NULL)
			tls_rd_sub(&e, tls_rd_u(&e, 2), &groups);
		else if (type == EXT_EC_POINT_FORMATS && formats.p == NULL)
			tls_rd_sub(&e, tls_rd_u(&e, 1), &formats);
	}
	begin(&b, in->ja3, sizeof(in->ja3));
	field(&b, true);
	value(&b, version);
	field(&b, false);
	u16_list(&b, ciphers);
	field(&b, false);
	ext_types(&b, exts);
	field(&b, false);
	u16_list(&b, groups);
	field(&b, false);
	while (formats.left >= 1)
		value(&b, tls_rd_u(&formats, 1));
	finish(&b, in->ja3_hash, &in->ja3_truncated);
}

void tls_ja3_server(struct tls_info *in, uint16_t version, uint16_t cipher, struct tls_rd exts)
{
	struct ja3_buf b;
	bool truncated;

	begin(&b, in->ja3s, sizeof(in->ja3s));
	field(&b, true);
	value(&b, version);
	field(&b, false);
	value(&b, cipher);
	field(&b, false);
	ext_types(&b, exts);
	finish(&b, in->ja3s_hash, &truncated);
}
