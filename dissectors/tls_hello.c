/*
 * tls_hello.c - ClientHello and ServerHello bodies: offered versions
 * (legacy field and supported_versions, GREASE skipped), SNI, the
 * negotiated version and cipher, HelloRetryRequest and the downgrade
 * sentinel of RFC 8446 4.1.3, and the fields JA3/JA3S take (tls_ja3.c).
 * Every length is checked against what is left; a message that does not
 * fit is reported as malformed.
 */
#include "tls_int.h"

#include <string.h>

#define EXT_SERVER_NAME	       0
#define EXT_SUPPORTED_VERSIONS 43

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static bool grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static void malformed(struct tls_run *r, int dir, uint8_t type)
{
	struct tls_event ev;

	r->t->info.malformed++;
	memset(&ev, 0, sizeof(ev));
	ev.type = TLS_EV_MALFORMED;
	ev.dir = dir;
	ev.u.malformed.hs_type = type;
	tls_emit(r, &ev);
}

/* Copies a host name, control bytes replaced, NUL-terminated. */
static void copy_name(char *dst, size_t cap, const uint8_t *src, size_t len)
{
	size_t n = MX_MIN(len, cap - 1);

	for (size_t i = 0; i < n; i++)
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : (char)src[i];
	dst[n] = '\0';
}

static void offer(struct tls_event *ev, uint16_t v)
{
	ev->u.client_hello.offered |= tls_version_bit(v);
	if (v > ev->u.client_hello.max_version && v <= 0x03ff)
		ev->u.client_hello.max_version = v;
}

/* SNI extension: the first host_name entry. */
static void ext_sni(struct tls_rd *e, const uint8_t **name, size_t *len)
{
	struct tls_rd list;

	if (!tls_rd_sub(e, tls_rd_u(e, 2), &list))
		return;
	while (list.left > 0 && !list.bad) {
		uint8_t type = (uint8_t)tls_rd_u(&list, 1);
		size_t l = tls_rd_u(&list, 2);
		struct tls_rd nm;

		if (!tls_rd_sub(&list, l, &nm))
			return;
		if (type == 0 && *name == NULL) {
			*name = nm.p;
			*len = l;
		}
	}
}

void tls_client_hello(struct tls_run *r, int dir, const uint8_t *p, size_t len)
{
	struct tls_info *in = &r->t->info;
	struct tls_event ev;
	struct tls_rd rd, sub, ciphers, exts = {NULL, 0, false}, exts_all = {NULL, 0, false};
	const uint8_t *sni = NULL;
	size_t sni_len = 0;
	char sni_buf[TLS_SNI_MAX + 1];

	memset(&ev, 0, sizeof(ev));
	ev.type = TLS_EV_CLIENT_HELLO;
	ev.dir = dir;
	tls_rd_init(&rd, p, len);
	ev.u.client_hello.legacy_version = (uint16_t)tls_rd_u(&rd, 2);
	tls_rd_sub(&rd, 32, &sub);
	tls_rd_sub(&rd, tls_rd_u(&rd, 1), &sub);
	tls_rd_sub(&rd, tls_rd_u(&rd, 2), &ciphers);
	ev.u.client_hello.cipher_suites = (unsigned)(ciphers.left / 2);
	tls_rd_sub(&rd, tls_rd_u(&rd, 1), &sub);
	if (rd.bad) {
		malformed(r, dir, 1);
		return;
	}
	if (rd.left >= 2 && !tls_rd_sub(&rd, tls_rd_u(&rd, 2), &exts)) {
		malformed(r, dir, 1);
	} else if (!rd.bad && exts.p != NULL) {
		exts_all = exts;
		while (exts.left >= 4) {
			uint16_t type = (uint16_t)tls_rd_u(&exts, 2);
			struct tls_rd e;

			if (!tls_rd_sub(&exts, tls_rd_u(&exts, 2), &e))
				break;
			if (type == EXT_SERVER_NAME) {
				ext_sni(&e, &sni, &sni_len);
			} else if (type == EXT_SUPPORTED_VERSIONS) {
				struct tls_rd vl;

				ev.u.client_hello.has_supported_versions = true;
				tls_rd_sub(&e, tls_rd_u(&e, 1), &vl);
				while (vl.left >= 2) {
					uint16_t v = (uint16_t)tls_rd_u(&vl, 2);
					unsigned *n = &ev.u.client_hello.nversions;

					if (grease(v))
						continue;
					offer(&ev, v);
					if (*n < TLS_VERSIONS_MAX)
						ev.u.client_hello.versions[(*n)++] = v;
				}
			}
		}
		if (exts.bad)
			malformed(r, dir, 1);
	}
	if (!ev.u.client_hello.has_supported_versions)
		offer(&ev, ev.u.client_hello.legacy_version);
	ev.u.client_hello.record_version = r->t->d[dir].rec_version;
	if (sni != NULL) {
		copy_name(sni_buf, sizeof(sni_buf), sni, sni_len);
		ev.u.client_hello.sni = sni_buf;
		ev.u.client_hello.sni_len = strlen(sni_buf);
		if (!in->client_hello)
			memcpy(in->sni, sni_buf, sizeof(in->sni));
	}
	if (!in->client_hello) {
		in->client_version = ev.u.client_hello.max_version;
		in->offered = ev.u.client_hello.offered;
		tls_ja3_client(in, ev.u.client_hello.legacy_version, ciphers, exts_all);
	}
	in->client_hello = true;
	tls_emit(r, &ev);
}

void tls_sslv2_hello(struct tls_run *r, const uint8_t *p, size_t len)
{
	struct tls_info *in = &r->t->info;
	struct tls_event ev;
	uint16_t v;

	if (len < 3)
		return;
	v = (uint16_t)(p[1] << 8 | p[2]);
	memset(&ev, 0, sizeof(ev));
	ev.type = TLS_EV_CLIENT_HELLO;
	ev.dir = TLS_DIR_TOSERVER;
	ev.u.client_hello.sslv2 = true;
	ev.u.client_hello.legacy_version = v;
	ev.u.client_hello.record_version = TLS_V_SSL2;
	offer(&ev, v);
	ev.u.client_hello.offered |= TLS_VBIT_SSL2;
	if (!in->client_hello) {
		in->client_version = ev.u.client_hello.max_version;
		in->offered = ev.u.client_hello.offered;
	}
	in->client_hello = true;
	tls_emit(r, &ev);
}

void tls_server_hello(struct tls_run *r, int dir, const uint8_t *p, size_t len)
{
	struct tls_state *t = r->t;
	struct tls_event ev;
	struct tls_rd rd, sub, exts = {NULL, 0, false}, exts_all = {NULL, 0, false};
	const uint8_t *random;

	memset(&ev, 0, sizeof(ev));
	ev.type = TLS_EV_SERVER_HELLO;
	ev.dir = dir;
	tls_rd_init(&rd, p, len);
	ev.u.server_hello.legacy_version = (uint16_t)tls_rd_u(&rd, 2);
	random = rd.p;
	tls_rd_sub(&rd, 32, &sub);
	tls_rd_sub(&rd, tls_rd_u(&rd, 1), &sub);
	ev.u.server_hello.cipher = (uint16_t)tls_rd_u(&rd, 2);
	tls_rd_u(&rd, 1);
	if (rd.bad) {
		malformed(r, dir, 2);
		return;
	}
	ev.u.server_hello.version = ev.u.server_hello.legacy_version;
	if (rd.left >= 2 && !tls_rd_sub(&rd, tls_rd_u(&rd, 2), &exts)) {
		malformed(r, dir, 2);
	} else if (!rd.bad && exts.p != NULL) {
		exts_all = exts;
		while (exts.left >= 4) {
			uint16_t type = (uint16_t)tls_rd_u(&exts, 2);
			struct tls_rd e;

			if (!tls_rd_sub(&exts, tls_rd_u(&exts, 2), &e))
				break;
			if (type == EXT_SUPPORTED_VERSIONS && e.left >= 2) {
				ev.u.server_hello.has_supported_versions = true;
				ev.u.server_hello.version = (uint16_t)tls_rd_u(&e, 2);
			}
		}
		if (exts.bad)
			malformed(r, dir, 2);
	}
	ev.u.server_hello.hello_retry = memcmp(random, hrr_random, 32) == 0;
	if (memcmp(random + 24, "DOWNGRD", 7) == 0 && random[31] <= 1)
		ev.u.server_hello.downgrade = random[31] == 1 ? 1 : 2;
	if (ev.u.server_hello.hello_retry) {
		t->info.hello_retry = true;
	} else {
		t->info.server_hello = true;
		t->info.version = ev.u.server_hello.version;
		t->info.cipher = ev.u.server_hello.cipher;
		t->info.downgrade_sentinel = ev.u.server_hello.downgrade;
		tls_ja3_server(&t->info, ev.u.server_hello.legacy_version, ev.u.server_hello.cipher,
			       exts_all);
		if (t->info.version == TLS_V_13) {
			/* Everything after this ServerHello is protected. */
			t->tls13 = true;
			t->d[0].encrypted = true;
			t->d[1].encrypted = true;
			t->info.cert_visibility = TLS_CERT_ENCRYPTED;
		}
	}
	tls_emit(r, &ev);
}
