/*
 * tls_cert.c - the Certificate message of TLS <= 1.2: splits the DER
 * chain and, with libcrypto, computes per certificate the SHA-256 of the
 * DER and of its SubjectPublicKeyInfo (what DANE TLSA records of
 * matching type 1 pin), the SHA-1 fingerprint, subject CN, subject and
 * issuer names, serial, validity and the SAN DNS names. Every string is
 * bounded and lives only for the event callback.
 */
#include "tls_int.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Appends src (len bytes) to dst of size cap at *used, control bytes
 * replaced, always NUL-terminated; stops when full. */
static void append(char *dst, size_t cap, size_t *used, const unsigned char *src, size_t len)
{
	for (size_t i = 0; i < len && *used + 1 < cap; i++) {
		unsigned char c = src[i];

		dst[(*used)++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[*used] = '\0';
}

/* Value of a name entry as UTF-8 into dst. */
static void entry_value(X509_NAME_ENTRY *e, char *dst, size_t cap, size_t *used)
{
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));

	if (n > 0)
		append(dst, cap, used, utf8, (size_t)n);
	OPENSSL_free(utf8);
}

/* "C=NL, O=Example, CN=mx.example.nl": entries in certificate order. */
static void format_dn(const X509_NAME *nm, char *dst, size_t cap)
{
	size_t used = 0;
	int count = X509_NAME_entry_count(nm);

	dst[0] = '\0';
	for (int i = 0; i < count; i++) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
		char oid[64];

		if (sn == NULL) {
			if (OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1) <= 0)
				snprintf(oid, sizeof(oid), "?");
			sn = oid;
		}
		if (i > 0)
			append(dst, cap, &used, (const unsigned char *)", ", 2);
		append(dst, cap, &used, (const unsigned char *)sn, strlen(sn));
		append(dst, cap, &used, (const unsigned char *)"=", 1);
		entry_value(e, dst, cap, &used);
	}
}

static void subject_cn(const X509_NAME *nm, char *dst, size_t cap)
{
	int idx = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	size_t used = 0;

	dst[0] = '\0';
	if (idx >= 0)
		entry_value(X509_NAME_get_entry(nm, idx), dst, cap, &used);
}

static void format_serial(const ASN1_INTEGER *sn, char *dst, size_t cap)
{
	const unsigned char *b = ASN1_STRING_get0_data(sn);
	int n = ASN1_STRING_length(sn);
	size_t used = 0;

	dst[0] = '\0';
	for (int i = 0; i < n && used + 4 <= cap; i++)
		used += (size_t)snprintf(dst + used, cap - used, i > 0 ? ":%02X" : "%02X", b[i]);
}

static int64_t asn1_time(const ASN1_TIME *at)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (at == NULL || ASN1_TIME_to_tm(at, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void san_names(GENERAL_NAMES *gens, struct cert_text *tx, struct tls_event *ev)
{
	int n;

	if (gens == NULL)
		return;
	n = sk_GENERAL_NAME_num(gens);
	for (int i = 0; i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		size_t len, start;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = (size_t)ASN1_STRING_length(g->d.dNSName);
		if (ev->u.cert.nsan >= TLS_SAN_MAX ||
		    tx->pool_used + MX_MIN(len, 255) + 1 > SAN_POOL) {
			ev->u.cert.san_dropped++;
			continue;
		}
		start = tx->pool_used;
		append(tx->pool, SAN_POOL, &tx->pool_used, d, MX_MIN(len, (size_t)255));
		tx->pool_used++; /* keep the NUL */
		tx->san[ev->u.cert.nsan++] = tx->pool + start;
	}
	GENERAL_NAMES_free(gens);
}

/* SHA-256 and SHA-512 of n bytes of DER (freed here). */
static bool spki_digests(unsigned char *der, int n, uint8_t out256[32], uint8_t out512[64])
{
	bool ok = n > 0 && EVP_Digest(der, (size_t)n, out256, NULL, EVP_sha256(), NULL) == 1 &&
		  EVP_Digest(der, (size_t)n, out512, NULL, EVP_sha512(), NULL) == 1;

	OPENSSL_free(der);
	return ok;
}

/* Every field of the event and its strings from a certificate d2i_X509 parsed. */
static void fields_of_x509(X509 *x, struct tls_event *ev, struct cert_text *tx)
{
	const X509_PUBKEY *pk = X509_get_X509_PUBKEY(x);
	unsigned char *der = NULL;

	ev->u.cert.parsed = true;
	ev->u.cert.spki_ok =
	    pk != NULL && spki_digests(der, i2d_X509_PUBKEY(pk, &der), ev->u.cert.spki_sha256,
				       ev->u.cert.spki_sha512);
	subject_cn(X509_get_subject_name(x), tx->cn, sizeof(tx->cn));
	format_dn(X509_get_subject_name(x), tx->subject, sizeof(tx->subject));
	format_dn(X509_get_issuer_name(x), tx->issuer, sizeof(tx->issuer));
	format_serial(X509_get0_serialNumber(x), tx->serial, sizeof(tx->serial));
	ev->u.cert.not_before = asn1_time(X509_get0_notBefore(x));
	ev->u.cert.not_after = asn1_time(X509_get0_notAfter(x));
	san_names(X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL), tx, ev);
}

/* ---- the parts of a certificate one by one, without its key decoded ---- */

/* One DER element: its tag and class, constructed or not, its contents. */
struct der_elem {
	int tag, cls;
	bool cons;
	const uint8_t *start, *body, *end; /* the element, its contents, past it */
};

/*
 * Reads the element at *p (before end) in strict DER: definite, minimal
 * length, inside end. Moves *p past it.
 */
static bool der_next(const uint8_t **p, const uint8_t *end, struct der_elem *e)
{
	const unsigned char *q = *p;
	long len;
	int r;

	if (*p >= end)
		return false;
	e->start = *p;
	r = ASN1_get_object(&q, &len, &e->tag, &e->cls, (long)(end - *p));
	if (r & 0x80 || (r & 0x01) != 0 ||
	    (size_t)(q - e->start) != (size_t)ASN1_object_size(0, len, e->tag) - (size_t)len)
		return false;
	e->cons = (r & V_ASN1_CONSTRUCTED) != 0;
	e->body = q;
	e->end = q + len;
	*p = e->end;
	return true;
}

/* True when e is a universal SEQUENCE. */
static bool der_seq(const struct der_elem *e)
{
	return e->cons && e->cls == V_ASN1_UNIVERSAL && e->tag == V_ASN1_SEQUENCE;
}

/* Decodes element e with d2i into dst, which must take exactly all of
 * it; else jumps to the caller's label out. */
#define DER_D2I(fn, e, dst)                                                                        \
	do {                                                                                       \
		const unsigned char *q_ = (e)->start;                                              \
		(dst) = fn(NULL, &q_, (long)((e)->end - (e)->start));                              \
		if ((dst) == NULL || q_ != (e)->end)                                               \
			goto out;                                                                  \
	} while (0)

/*
 * The certificate's fields as fields_of_x509 gives them, read part by
 * part: decoding the public key (which d2i_X509 does, through OpenSSL's
 * decoders) costs more than all the rest. Taken only for a plain DER v3
 * certificate with nothing after it: anything else (v1, unique IDs,
 * trailing bytes, BER) returns false and is left to d2i_X509. The SPKI is
 * encoded again from its parts, as i2d_X509_PUBKEY does.
 */
static bool fields_by_parts(const uint8_t *der, size_t len, struct tls_event *ev,
			    struct cert_text *tx)
{
	const uint8_t *p = der, *end = der + len;
	struct der_elem cert, tbs, e, sub;
	ASN1_INTEGER *version = NULL, *serial = NULL;
	X509_ALGOR *alg = NULL, *tbs_alg = NULL, *key_alg = NULL;
	ASN1_BIT_STRING *sig = NULL, *key = NULL;
	X509_NAME *issuer = NULL, *subject = NULL;
	ASN1_TIME *nb = NULL, *na = NULL;
	X509_EXTENSIONS *exts = NULL;
	unsigned char *spki = NULL, *w;
	int la, lb, n;
	bool ok = false;

	if (!der_next(&p, end, &cert) || p != end || !der_seq(&cert))
		return false;
	p = cert.body;
	if (!der_next(&p, cert.end, &tbs) || !der_seq(&tbs) || !der_next(&p, cert.end, &e))
		return false;
	DER_D2I(d2i_X509_ALGOR, &e, alg);
	if (!der_next(&p, cert.end, &e))
		goto out;
	DER_D2I(d2i_ASN1_BIT_STRING, &e, sig);
	if (p != cert.end)
		goto out;

	p = tbs.body;
	/* [0] EXPLICIT version, v3 */
	if (!der_next(&p, tbs.end, &e) || !e.cons || e.cls != V_ASN1_CONTEXT_SPECIFIC || e.tag != 0)
		goto out;
	{
		const uint8_t *vp = e.body;

		if (!der_next(&vp, e.end, &sub) || vp != e.end)
			goto out;
		DER_D2I(d2i_ASN1_INTEGER, &sub, version);
		if (ASN1_INTEGER_get(version) != 2)
			goto out;
	}
	if (!der_next(&p, tbs.end, &e))
		goto out;
	DER_D2I(d2i_ASN1_INTEGER, &e, serial);
	if (!der_next(&p, tbs.end, &e))
		goto out;
	DER_D2I(d2i_X509_ALGOR, &e, tbs_alg);
	if (!der_next(&p, tbs.end, &e))
		goto out;
	DER_D2I(d2i_X509_NAME, &e, issuer);
	/* validity */
	if (!der_next(&p, tbs.end, &e) || !der_seq(&e))
		goto out;
	{
		const uint8_t *vp = e.body;

		if (!der_next(&vp, e.end, &sub))
			goto out;
		DER_D2I(d2i_ASN1_TIME, &sub, nb);
		if (!der_next(&vp, e.end, &sub) || vp != e.end)
			goto out;
		DER_D2I(d2i_ASN1_TIME, &sub, na);
	}
	if (!der_next(&p, tbs.end, &e))
		goto out;
	DER_D2I(d2i_X509_NAME, &e, subject);
	/* subjectPublicKeyInfo: SEQUENCE { algorithm, subjectPublicKey } */
	if (!der_next(&p, tbs.end, &e) || !der_seq(&e))
		goto out;
	{
		const uint8_t *kp = e.body;

		if (!der_next(&kp, e.end, &sub))
			goto out;
		DER_D2I(d2i_X509_ALGOR, &sub, key_alg);
		if (!der_next(&kp, e.end, &sub) || kp != e.end)
			goto out;
		DER_D2I(d2i_ASN1_BIT_STRING, &sub, key);
	}
	/* [3] EXPLICIT extensions, or nothing */
	if (p != tbs.end) {
		const uint8_t *xp;

		if (!der_next(&p, tbs.end, &e) || p != tbs.end || !e.cons ||
		    e.cls != V_ASN1_CONTEXT_SPECIFIC || e.tag != 3)
			goto out;
		xp = e.body;
		if (!der_next(&xp, e.end, &sub) || xp != e.end)
			goto out;
		DER_D2I(d2i_X509_EXTENSIONS, &sub, exts);
	}

	la = i2d_X509_ALGOR(key_alg, NULL);
	lb = i2d_ASN1_BIT_STRING(key, NULL);
	if (la <= 0 || lb <= 0)
		goto out;
	n = ASN1_object_size(1, la + lb, V_ASN1_SEQUENCE);
	if (n <= 0 || (spki = OPENSSL_malloc((size_t)n)) == NULL)
		goto out;
	w = spki;
	ASN1_put_object(&w, 1, la + lb, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	if (i2d_X509_ALGOR(key_alg, &w) != la || i2d_ASN1_BIT_STRING(key, &w) != lb ||
	    w != spki + n)
		goto out;

	ev->u.cert.parsed = true;
	ev->u.cert.spki_ok = spki_digests(spki, n, ev->u.cert.spki_sha256, ev->u.cert.spki_sha512);
	spki = NULL;
	subject_cn(subject, tx->cn, sizeof(tx->cn));
	format_dn(subject, tx->subject, sizeof(tx->subject));
	format_dn(issuer, tx->issuer, sizeof(tx->issuer));
	format_serial(serial, tx->serial, sizeof(tx->serial));
	ev->u.cert.not_before = asn1_time(nb);
	ev->u.cert.not_after = asn1_time(na);
	if (exts != NULL)
		san_names(X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL), tx, ev);
	ok = true;
out:
	OPENSSL_free(spki);
	ASN1_INTEGER_free(version);
	ASN1_INTEGER_free(serial);
	X509_ALGOR_free(alg);
	X509_ALGOR_free(tbs_alg);
	X509_ALGOR_free(key_alg);
	ASN1_BIT_STRING_free(sig);
	ASN1_BIT_STRING_free(key);
	X509_NAME_free(issuer);
	X509_NAME_free(subject);
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok;
}

bool tls_cert_fields(const uint8_t *der, size_t len, bool whole, struct tls_event *ev,
		     struct cert_text *tx)
{
	const unsigned char *p = der;
	X509 *x;

	if (!whole && fields_by_parts(der, len, ev, tx))
		return true;
	x = d2i_X509(NULL, &p, (long)len); /* len < 2^24 */
	if (x != NULL) {
		fields_of_x509(x, ev, tx);
		X509_free(x);
	}
	return false;
}

static void one_cert(struct tls_run *r, int dir, unsigned index, const uint8_t *der, size_t len)
{
	struct tls_info *in = &r->t->info;
	struct tls_event ev;
	struct cert_text tx;

	memset(&ev, 0, sizeof(ev));
	tx.cn[0] = tx.subject[0] = tx.issuer[0] = tx.serial[0] = '\0';
	tx.pool_used = 0;
	ev.type = TLS_EV_CERTIFICATE;
	ev.dir = dir;
	ev.u.cert.index = index;
	ev.u.cert.der = der;
	ev.u.cert.der_len = len;
	ev.u.cert.subject_cn = tx.cn;
	ev.u.cert.subject = tx.subject;
	ev.u.cert.issuer = tx.issuer;
	ev.u.cert.serial = tx.serial;
	ev.u.cert.san = tx.san;
	EVP_Digest(der, len, ev.u.cert.sha256, NULL, EVP_sha256(), NULL);
	if (r->t->cache != NULL && tls_cert_cache_get(r->t->cache, &ev, &tx))
		goto parsed;
	EVP_Digest(der, len, ev.u.cert.sha1, NULL, EVP_sha1(), NULL);
	EVP_Digest(der, len, ev.u.cert.sha512, NULL, EVP_sha512(), NULL);
	tls_cert_fields(der, len, false, &ev, &tx);
	if (r->t->cache != NULL)
		tls_cert_cache_put(r->t->cache, &ev, &tx);
parsed:
	if (dir == TLS_DIR_TOCLIENT && index < TLS_CHAIN_MAX) {
		memcpy(in->chain[index].sha256, ev.u.cert.sha256, 32);
		memcpy(in->chain[index].spki_sha256, ev.u.cert.spki_sha256, 32);
		in->chain[index].spki_ok = ev.u.cert.spki_ok;
		if (index == 0)
			memcpy(in->subject_cn, tx.cn, sizeof(in->subject_cn));
	}
	tls_emit(r, &ev);
}

void tls_certificate(struct tls_run *r, int dir, const uint8_t *p, size_t len)
{
	struct tls_info *in = &r->t->info;
	struct tls_rd rd, list;
	unsigned index = 0;

	if (r->t->tls13)
		return;
	tls_rd_init(&rd, p, len);
	tls_rd_sub(&rd, tls_rd_u(&rd, 3), &list);
	while (list.left >= 3) {
		struct tls_rd der;
		size_t l = tls_rd_u(&list, 3);

		if (!tls_rd_sub(&list, l, &der))
			break;
		if (index < TLS_CERTS_MAX && l > 0)
			one_cert(r, dir, index, der.p, l);
		index++;
	}
	if (rd.bad || list.bad || list.left != 0) {
		struct tls_event ev;

		in->malformed++;
		memset(&ev, 0, sizeof(ev));
		ev.type = TLS_EV_MALFORMED;
		ev.dir = dir;
		ev.u.malformed.hs_type = 11;
		tls_emit(r, &ev);
	}
	if (dir == TLS_DIR_TOCLIENT) {
		in->cert_count = index;
		in->cert_visibility = TLS_CERT_VISIBLE;
	}
}
