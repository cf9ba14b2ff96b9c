/*
 * fuzz_tls.c - libFuzzer target for the TLS dissector.
 *
 * Input: byte 0 holds flags (bit 0: a tight memory cap and a small
 * handshake limit, to run the refusal paths); then chunks, each a control
 * byte (bit 0: direction, bit 1: a gap instead of data) and a length
 * byte, followed by that many data bytes (none for a gap).
 *
 * Checks beyond the sanitizers: every byte an event points at is
 * readable, the memory cap accounting returns to zero after tls_free,
 * and (without the tight cap) feeding every chunk one byte at a time
 * gives the same events as feeding it whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_digest.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *ctx, const struct tls_event *ev)
{
	struct digest *d = ctx;

	d->events++;
	mix_u(d, (uint64_t)ev->type);
	mix_u(d, (uint64_t)(int64_t)ev->dir);
	switch (ev->type) {
	case TLS_EV_CLIENT_HELLO:
		mix_u(d, ev->u.client_hello.max_version);
		mix_u(d, ev->u.client_hello.nversions);
		if (ev->u.client_hello.nversions > TLS_VERSIONS_MAX)
			abort();
		if (ev->u.client_hello.sni != NULL)
			mix(d, ev->u.client_hello.sni, ev->u.client_hello.sni_len);
		break;
	case TLS_EV_SERVER_HELLO:
		mix_u(d, ev->u.server_hello.version);
		mix_u(d, ev->u.server_hello.cipher);
		mix_u(d, ev->u.server_hello.hello_retry);
		break;
	case TLS_EV_CERTIFICATE:
		mix(d, ev->u.cert.der, ev->u.cert.der_len);
		mix(d, ev->u.cert.sha256, 32);
		mix(d, ev->u.cert.spki_sha256, 32);
		mix(d, ev->u.cert.subject_cn, strlen(ev->u.cert.subject_cn));
		mix(d, ev->u.cert.subject, strlen(ev->u.cert.subject));
		mix(d, ev->u.cert.issuer, strlen(ev->u.cert.issuer));
		mix(d, ev->u.cert.serial, strlen(ev->u.cert.serial));
		if (ev->u.cert.nsan > TLS_SAN_MAX)
			abort();
		for (unsigned i = 0; i < ev->u.cert.nsan; i++)
			mix(d, ev->u.cert.san[i], strlen(ev->u.cert.san[i]));
		break;
	case TLS_EV_ALERT:
		mix_u(d, ev->u.alert.level);
		mix_u(d, ev->u.alert.desc);
		mix_u(d, ev->u.alert.encrypted);
		break;
	case TLS_EV_NOT_TLS: {
		/* The evidence depends on how the bytes were cut; touch it only. */
		struct digest scratch = {0, 0};

		if (ev->u.not_tls.len == 0 || ev->u.not_tls.len > TLS_EVIDENCE_MAX)
			abort();
		mix(&scratch, ev->u.not_tls.bytes, ev->u.not_tls.len);
		mix_u(d, ev->u.not_tls.records_before);
		break;
	}
	case TLS_EV_MALFORMED:
		mix_u(d, ev->u.malformed.hs_type);
		break;
	case TLS_EV_CHANGE_CIPHER_SPEC:
	case TLS_EV_HANDSHAKE_DONE:
		break;
	default:
		abort();
	}
}

static const struct tls_callbacks cbs = {on_event};

static void run(struct tls_state *t, struct tls_memcap *mc, struct digest *d, const uint8_t *data,
		size_t size, bool bytewise)
{
	size_t off = 1;
	bool tight = (data[0] & 1) != 0;

	memset(mc, 0, sizeof(*mc));
	mc->limit = tight ? 6000 : 0;
	tls_init(t, tight ? 512 : 0, mc);
	d->h = 0xcbf29ce484222325ULL;
	d->events = 0;
	while (off + 2 <= size) {
		int dir = data[off] & 1;
		bool gap = (data[off] & 2) != 0;
		size_t n = data[off + 1];

		off += 2;
		if (gap) {
			tls_gap(t, dir, n, &cbs, d);
			continue;
		}
		if (n > size - off)
			n = size - off;
		if (bytewise) {
			for (size_t i = 0; i < n; i++)
				tls_feed(t, dir, data + off + i, 1, &cbs, d);
		} else {
			tls_feed(t, dir, data + off, n, &cbs, d);
		}
		off += n;
	}
	tls_free(t);
	if (mc->used != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_state a, b;
	struct tls_memcap ma, mb;
	struct digest da, db;

	if (size < 1)
		return 0;
	run(&a, &ma, &da, data, size, false);
	run(&b, &mb, &db, data, size, true);
	if ((data[0] & 1) == 0 && (da.h != db.h || da.events != db.events))
		abort();
	return 0;
}
