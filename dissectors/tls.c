/*
 * tls.c - the TLS dissector's record layer: record headers (and the
 * "not TLS" verdict when they are not records), handshake message
 * reassembly across records and TCP chunks (one bounded, lazily
 * allocated buffer per direction under the caller's memcap), alerts,
 * ChangeCipherSpec, which records are protected, and when the handshake
 * completed. Hello and certificate messages are read in tls_hello.c and
 * tls_cert.c.
 */
#include "tls_int.h"

#include <stdlib.h>
#include <string.h>

/* Record layer modes of a direction. */
enum {
	R_HDR,	 /* reading a 5-byte record header */
	R_BODY,	 /* inside a record */
	R_SSLV2, /* inside an SSLv2-format hello */
	R_DEAD,	 /* not TLS, or boundaries lost: nothing more is read */
};

#define CT_CCS	     20
#define CT_ALERT     21
#define CT_HANDSHAKE 22
#define CT_APPDATA   23
#define CT_HEARTBEAT 24

/* TLSCiphertext.length may exceed 2^14 by 2048 (RFC 5246 6.2.3). */
#define RECORD_MAX (16384 + 2048)

void tls_init(struct tls_state *t, size_t max_handshake, struct tls_memcap *mc)
{
	memset(t, 0, sizeof(*t));
	t->max_handshake = max_handshake != 0 ? max_handshake : TLS_DEFAULT_MAX_HANDSHAKE;
	t->mc = mc;
	t->info.alert_dir = -1;
}

static void buf_release(struct tls_state *t, struct tls_dirstate *ds)
{
	if (ds->buf == NULL)
		return;
	free(ds->buf);
	if (t->mc != NULL)
		t->mc->used -= ds->buf_cap;
	ds->buf = NULL;
	ds->buf_cap = 0;
}

void tls_free(struct tls_state *t)
{
	buf_release(t, &t->d[0]);
	buf_release(t, &t->d[1]);
}

const struct tls_info *tls_info(const struct tls_state *t)
{
	return &t->info;
}

void tls_emit(struct tls_run *r, struct tls_event *ev)
{
	if (r->cb != NULL && r->cb->event != NULL)
		r->cb->event(r->ctx, ev);
}

uint32_t tls_version_bit(uint16_t v)
{
	switch (v) {
	case TLS_V_SSL2:
		return TLS_VBIT_SSL2;
	case TLS_V_SSL3:
		return TLS_VBIT_SSL3;
	case TLS_V_10:
		return TLS_VBIT_10;
	case TLS_V_11:
		return TLS_VBIT_11;
	case TLS_V_12:
		return TLS_VBIT_12;
	case TLS_V_13:
		return TLS_VBIT_13;
	default:
		return TLS_VBIT_OTHER;
	}
}

const char *tls_version_name(uint16_t version)
{
	switch (version) {
	case TLS_V_SSL2:
		return "SSLv2";
	case TLS_V_SSL3:
		return "SSLv3";
	case TLS_V_10:
		return "TLSv1";
	case TLS_V_11:
		return "TLS 1.1";
	case TLS_V_12:
		return "TLS 1.2";
	case TLS_V_13:
		return "TLS 1.3";
	default:
		return "UNDETERMINED";
	}
}

const char *tls_alert_name(uint8_t desc)
{
	switch (desc) {
	case 0:
		return "close_notify";
	case 10:
		return "unexpected_message";
	case 20:
		return "bad_record_mac";
	case 22:
		return "record_overflow";
	case 40:
		return "handshake_failure";
	case 42:
		return "bad_certificate";
	case 43:
		return "unsupported_certificate";
	case 44:
		return "certificate_revoked";
	case 45:
		return "certificate_expired";
	case 46:
		return "certificate_unknown";
	case 47:
		return "illegal_parameter";
	case 48:
		return "unknown_ca";
	case 49:
		return "access_denied";
	case 50:
		return "decode_error";
	case 51:
		return "decrypt_error";
	case 70:
		return "protocol_version";
	case 71:
		return "insufficient_security";
	case 80:
		return "internal_error";
	case 86:
		return "inappropriate_fallback";
	case 90:
		return "user_canceled";
	case 100:
		return "no_renegotiation";
	case 109:
		return "missing_extension";
	case 110:
		return "unsupported_extension";
	case 112:
		return "unrecognized_name";
	case 113:
		return "bad_certificate_status_response";
	case 115:
		return "unknown_psk_identity";
	case 116:
		return "certificate_required";
	case 120:
		return "no_application_protocol";
	default:
		return "unknown";
	}
}

/* Makes room for a handshake message of size bytes; false if refused. */
static bool buf_reserve(struct tls_state *t, struct tls_dirstate *ds, size_t size)
{
	size_t want;

	if (ds->buf_cap >= size)
		return true;
	if (size > t->max_handshake)
		return false;
	want = MX_MIN(MX_MAX(size, (size_t)4096), t->max_handshake);
	buf_release(t, ds);
	if (t->mc != NULL && t->mc->limit != 0 && t->mc->used + want > t->mc->limit) {
		t->mc->fail++;
		return false;
	}
	ds->buf = malloc(want);
	if (ds->buf == NULL) {
		if (t->mc != NULL)
			t->mc->fail++;
		return false;
	}
	ds->buf_cap = want;
	if (t->mc != NULL)
		t->mc->used += want;
	return true;
}

static void check_done(struct tls_run *r)
{
	struct tls_state *t = r->t;
	struct tls_event ev;
	bool done;

	if (t->done_emitted || t->info.fatal_alert)
		return;
	if (t->tls13)
		done = t->d[1].app_records >= 1 && t->d[0].app_records >= 2;
	else
		done = t->info.ccs[0] && t->info.ccs[1] && t->d[0].post_ccs_records >= 1 &&
		       t->d[1].post_ccs_records >= 1;
	if (!done)
		return;
	t->done_emitted = true;
	t->info.handshake_complete = true;
	memset(&ev, 0, sizeof(ev));
	ev.type = TLS_EV_HANDSHAKE_DONE;
	ev.dir = -1;
	tls_emit(r, &ev);
}

static void alert_event(struct tls_run *r, int dir, uint8_t level, uint8_t desc, bool enc)
{
	struct tls_info *in = &r->t->info;
	struct tls_event ev;

	if (!in->alert_seen) {
		in->alert_seen = true;
		in->alert_level = level;
		in->alert_desc = desc;
		in->alert_dir = dir;
		in->alert_encrypted = enc;
	}
	if (level == 2)
		in->fatal_alert = true;
	memset(&ev, 0, sizeof(ev));
	ev.type = TLS_EV_ALERT;
	ev.dir = dir;
	ev.u.alert.level = level;
	ev.u.alert.desc = desc;
	ev.u.alert.encrypted = enc;
	tls_emit(r, &ev);
}

/* One complete handshake message of a plaintext direction. */
static void hs_message(struct tls_run *r, int dir, uint8_t type, const uint8_t *p, size_t len)
{
	switch (type) {
	case 1:
		if (dir == TLS_DIR_TOSERVER)
			tls_client_hello(r, dir, p, len);
		break;
	case 2:
		if (dir == TLS_DIR_TOCLIENT)
			tls_server_hello(r, dir, p, len);
		break;
	case 11:
		tls_certificate(r, dir, p, len);
		break;
	default:
		break;
	}
}

/* Handshake bytes of a plaintext record: split into messages. */
static void hs_feed(struct tls_run *r, int dir, const uint8_t *p, size_t n)
{
	struct tls_state *t = r->t;
	struct tls_dirstate *ds = &t->d[dir];

	while (n > 0 && !ds->hs_dead && !ds->encrypted) {
		size_t take;

		if (ds->hs_hdr_len < 4) {
			if (ds->hs_hdr_len == 0 && n >= 4) {
				size_t l = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];

				if (n - 4 >= l) {
					/* Whole message in place: no copy. */
					hs_message(r, dir, p[0], p + 4, l);
					p += 4 + l;
					n -= 4 + l;
					continue;
				}
			}
			take = MX_MIN(n, (size_t)(4 - ds->hs_hdr_len));
			memcpy(ds->hs_hdr + ds->hs_hdr_len, p, take);
			ds->hs_hdr_len = (uint8_t)(ds->hs_hdr_len + take);
			p += take;
			n -= take;
			if (ds->hs_hdr_len < 4)
				return;
			ds->hs_len = (uint32_t)ds->hs_hdr[1] << 16 | (uint32_t)ds->hs_hdr[2] << 8 |
				     ds->hs_hdr[3];
			ds->hs_got = 0;
			ds->hs_skip = false;
			if (ds->hs_len == 0) {
				hs_message(r, dir, ds->hs_hdr[0], NULL, 0);
				ds->hs_hdr_len = 0;
			} else if (!buf_reserve(t, ds, ds->hs_len)) {
				ds->hs_skip = true;
				t->info.hs_dropped++;
			}
			continue;
		}
		take = MX_MIN(n, (size_t)(ds->hs_len - ds->hs_got));
		if (!ds->hs_skip)
			memcpy(ds->buf + ds->hs_got, p, take);
		ds->hs_got += (uint32_t)take;
		p += take;
		n -= take;
		if (ds->hs_got == ds->hs_len) {
			ds->hs_hdr_len = 0;
			if (!ds->hs_skip)
				hs_message(r, dir, ds->hs_hdr[0], ds->buf, ds->hs_len);
		}
	}
}

/* A hole of n bytes inside handshake records. */
static void hs_gap(struct tls_state *t, struct tls_dirstate *ds, size_t n)
{
	size_t take;

	if (ds->hs_dead || ds->encrypted)
		return;
	if (ds->hs_hdr_len < 4) {
		ds->hs_dead = true;
		return;
	}
	take = MX_MIN(n, (size_t)(ds->hs_len - ds->hs_got));
	if (!ds->hs_skip)
		t->info.hs_dropped++;
	ds->hs_skip = true;
	ds->hs_got += (uint32_t)take;
	if (ds->hs_got == ds->hs_len)
		ds->hs_hdr_len = 0;
	if (n > take)
		ds->hs_dead = true;
}

static void record_end(struct tls_run *r, int dir)
{
	struct tls_state *t = r->t;
	struct tls_dirstate *ds = &t->d[dir];
	struct tls_event ev;

	t->info.records[dir]++;
	if (ds->encrypted)
		buf_release(t, ds); /* no plaintext handshake follows */
	switch (ds->ctype) {
	case CT_CCS:
		t->info.ccs[dir] = true;
		memset(&ev, 0, sizeof(ev));
		ev.type = TLS_EV_CHANGE_CIPHER_SPEC;
		ev.dir = dir;
		tls_emit(r, &ev);
		/* Protection starts here in TLS <= 1.2; in TLS 1.3 (also the
		 * compatibility CCS after a HelloRetryRequest) it is a no-op. */
		if (!t->tls13 && !t->info.hello_retry && !ds->encrypted) {
			ds->encrypted = true;
			buf_release(t, ds);
		}
		break;
	case CT_ALERT:
		if (ds->encrypted && ds->rec_len != 2)
			alert_event(r, dir, 0, 0, true);
		break;
	case CT_HANDSHAKE:
		if (ds->encrypted && !t->tls13)
			ds->post_ccs_records++;
		break;
	case CT_APPDATA:
		if (t->tls13)
			ds->app_records++;
		else if (ds->encrypted)
			ds->post_ccs_records++;
		break;
	default:
		break;
	}
	ds->alert_len = 0;
	check_done(r);
}

static size_t record_body(struct tls_run *r, int dir, const uint8_t *data, size_t len)
{
	struct tls_dirstate *ds = &r->t->d[dir];
	size_t n = MX_MIN(len, (size_t)ds->rec_left);

	if (ds->ctype == CT_HANDSHAKE && !ds->encrypted) {
		hs_feed(r, dir, data, n);
	} else if (ds->ctype == CT_ALERT && (!ds->encrypted || ds->rec_len == 2)) {
		for (size_t i = 0; i < n; i++) {
			ds->alert[ds->alert_len++] = data[i];
			if (ds->alert_len == 2) {
				alert_event(r, dir, ds->alert[0], ds->alert[1], false);
				ds->alert_len = 0;
			}
		}
	}
	ds->rec_left -= (uint32_t)n;
	if (ds->rec_left == 0) {
		ds->mode = R_HDR;
		record_end(r, dir);
	}
	return n;
}

/* Direction dir is not TLS from here: report the bytes that show it. */
static void not_tls(struct tls_run *r, int dir, const uint8_t *data, size_t len)
{
	struct tls_state *t = r->t;
	struct tls_dirstate *ds = &t->d[dir];
	uint8_t ev_bytes[TLS_EVIDENCE_MAX];
	size_t n = MX_MIN((size_t)ds->hdr_len, sizeof(ev_bytes));
	struct tls_event ev;

	memcpy(ev_bytes, ds->hdr, n);
	if (n < sizeof(ev_bytes)) {
		size_t more = MX_MIN(len, sizeof(ev_bytes) - n);

		memcpy(ev_bytes + n, data, more);
		n += more;
	}
	ds->mode = R_DEAD;
	t->info.not_tls[dir] = true;
	buf_release(t, ds);
	memset(&ev, 0, sizeof(ev));
	ev.type = TLS_EV_NOT_TLS;
	ev.dir = dir;
	ev.u.not_tls.bytes = ev_bytes;
	ev.u.not_tls.len = n;
	ev.u.not_tls.records_before = t->info.records[dir];
	tls_emit(r, &ev);
}

static bool sslv2_hello(const struct tls_state *t, int dir, const uint8_t *h)
{
	size_t len = (size_t)(h[0] & 0x7f) << 8 | h[1];

	return dir == TLS_DIR_TOSERVER && t->info.records[dir] == 0 && (h[0] & 0x80) != 0 &&
	       h[2] == 1 && h[3] <= 3 && len >= 3 + 6 + 16;
}

/* A complete 5-byte header: start the record or call it not TLS. */
static bool record_start(struct tls_run *r, int dir)
{
	struct tls_state *t = r->t;
	struct tls_dirstate *ds = &t->d[dir];
	const uint8_t *h = ds->hdr;
	size_t len = (size_t)h[3] << 8 | h[4];

	if ((h[0] & 0x80) != 0) {
		if (!sslv2_hello(t, dir, h))
			return false;
		ds->sslv2 = true;
		tls_sslv2_hello(r, h + 2, 3);
		ds->rec_left = (uint32_t)(((size_t)(h[0] & 0x7f) << 8 | h[1]) - 3);
		ds->mode = R_SSLV2;
		ds->hdr_len = 0;
		return true;
	}
	if (h[2] > 4 || len > RECORD_MAX || (len == 0 && h[0] != CT_APPDATA))
		return false;
	ds->ctype = h[0];
	ds->rec_version = (uint16_t)(h[1] << 8 | h[2]);
	ds->rec_len = (uint16_t)len;
	ds->rec_left = (uint32_t)len;
	ds->alert_len = 0;
	ds->hdr_len = 0;
	ds->mode = R_BODY;
	if (len == 0) {
		ds->mode = R_HDR;
		record_end(r, dir);
	}
	return true;
}

void tls_feed(struct tls_state *t, int dir, const uint8_t *data, size_t len,
	      const struct tls_callbacks *cb, void *ctx)
{
	struct tls_run r = {t, cb, ctx};
	struct tls_dirstate *ds;
	size_t off = 0;

	if ((dir != TLS_DIR_TOSERVER && dir != TLS_DIR_TOCLIENT) || data == NULL)
		return;
	ds = &t->d[dir];
	while (off < len) {
		switch (ds->mode) {
		case R_HDR: {
			uint8_t b = data[off];
			bool v2 = ds->hdr_len > 0 && (ds->hdr[0] & 0x80) != 0;

			if (ds->hdr_len == 0 && !(b >= CT_CCS && b <= CT_HEARTBEAT) &&
			    !(dir == TLS_DIR_TOSERVER && (b & 0x80) != 0 &&
			      t->info.records[dir] == 0)) {
				not_tls(&r, dir, data + off, len - off);
				return;
			}
			if (ds->hdr_len == 1 && !v2 && b != 3) {
				not_tls(&r, dir, data + off, len - off);
				return;
			}
			ds->hdr[ds->hdr_len++] = b;
			off++;
			if (ds->hdr_len == 5 && !record_start(&r, dir)) {
				not_tls(&r, dir, data + off, len - off);
				return;
			}
			break;
		}
		case R_BODY:
			off += record_body(&r, dir, data + off, len - off);
			break;
		case R_SSLV2: {
			size_t n = MX_MIN(len - off, (size_t)ds->rec_left);

			ds->rec_left -= (uint32_t)n;
			off += n;
			if (ds->rec_left == 0) {
				ds->mode = R_HDR;
				t->info.records[dir]++;
			}
			break;
		}
		default:
			return;
		}
	}
}

void tls_gap(struct tls_state *t, int dir, size_t len, const struct tls_callbacks *cb, void *ctx)
{
	struct tls_run r = {t, cb, ctx};
	struct tls_dirstate *ds;

	if (dir != TLS_DIR_TOSERVER && dir != TLS_DIR_TOCLIENT)
		return;
	ds = &t->d[dir];
	t->info.gaps[dir]++;
	if (ds->mode == R_DEAD)
		return;
	if ((ds->mode == R_BODY || ds->mode == R_SSLV2) && len > 0 && len <= ds->rec_left) {
		if (ds->mode == R_BODY && ds->ctype == CT_HANDSHAKE)
			hs_gap(t, ds, len);
		ds->alert_len = 0;
		ds->rec_left -= (uint32_t)len;
		if (ds->rec_left == 0) {
			if (ds->mode == R_SSLV2) {
				t->info.records[dir]++;
				ds->mode = R_HDR;
			} else {
				ds->mode = R_HDR;
				record_end(&r, dir);
			}
		}
		return;
	}
	ds->mode = R_DEAD;
	t->info.lost[dir] = true;
	buf_release(t, ds);
}
