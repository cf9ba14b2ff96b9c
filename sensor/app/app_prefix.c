/*
 * app_prefix.c - the kept first bytes of an unidentified TCP flow and the
 * SMTP probe over them; see app_prefix.h. A kept chunk is a 4-byte header
 * (direction, kind, length big-endian) followed, for data and both sides
 * of differing overlaps, by its bytes.
 */
#include "app/app_prefix.h"

#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

#define CHUNK_HDR 4

static bool has_bytes(enum stream_chunk kind)
{
	return kind == STREAM_DATA || kind == STREAM_OVERLAP_KEPT || kind == STREAM_OVERLAP_DIFF;
}

/* Notes a direction's first bytes for the probe. */
static void note_head(struct app_prefix *p, int dir, enum stream_chunk kind, const uint8_t *data,
		      size_t len)
{
	size_t room = APP_PREFIX_HEAD - p->head_len[dir];

	if (room == 0)
		return;
	if (kind == STREAM_GAP) {
		p->head_gap[dir] = true;
	} else if (kind == STREAM_DATA) {
		size_t n = len < room ? len : room;

		memcpy(p->head[dir] + p->head_len[dir], data, n);
		p->head_len[dir] = (uint8_t)(p->head_len[dir] + n);
	}
}

bool app_prefix_add(struct app_prefix *p, int dir, enum stream_chunk kind, const uint8_t *data,
		    size_t len, size_t *bytes, size_t memcap)
{
	size_t body = has_bytes(kind) ? len : 0;
	uint8_t *r;

	if ((dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT) ||
	    (kind != STREAM_DATA && kind != STREAM_GAP && kind != STREAM_OVERLAP_KEPT &&
	     kind != STREAM_OVERLAP_DIFF))
		return true;
	if (body > 0 && data == NULL)
		return true;
	note_head(p, dir, kind, data, len);
	/* Bytes that cannot open an SMTP dialogue are not worth keeping. */
	if (p->cut || app_prefix_probe(p) == APP_PROBE_NO)
		return false;
	if (p->buf == NULL) {
		if (*bytes + APP_PREFIX_MAX > memcap || (p->buf = malloc(APP_PREFIX_MAX)) == NULL) {
			p->cut = true;
			return false;
		}
		*bytes += APP_PREFIX_MAX;
	}
	if (len > 0xffff || CHUNK_HDR + body > (size_t)(APP_PREFIX_MAX - p->len)) {
		p->cut = true;
		return false;
	}
	r = p->buf + p->len;
	r[0] = (uint8_t)dir;
	r[1] = (uint8_t)kind;
	r[2] = (uint8_t)(len >> 8);
	r[3] = (uint8_t)len;
	if (body > 0)
		memcpy(r + CHUNK_HDR, data, body);
	p->len = (uint16_t)(p->len + CHUNK_HDR + body);
	return true;
}

/*
 * Whether a direction's first bytes match one of the patterns (letters
 * without regard to case): APP_PROBE_SMTP when one matches in full,
 * APP_PROBE_UNSURE while the bytes so far could still match one.
 */
static enum app_probe head_matches(const struct app_prefix *p, int dir, const char *const *patterns,
				   size_t n)
{
	bool could = false;

	if (p->head_gap[dir])
		return APP_PROBE_NO;
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(patterns[i]);
		size_t m = p->head_len[dir] < plen ? p->head_len[dir] : plen;
		bool same = true;

		for (size_t k = 0; k < m && same; k++) {
			uint8_t c = p->head[dir][k];

			if (c >= 'a' && c <= 'z')
				c = (uint8_t)(c - 'a' + 'A');
			same = c == (uint8_t)patterns[i][k];
		}
		if (same && m == plen)
			return APP_PROBE_SMTP;
		could |= same;
	}
	return could ? APP_PROBE_UNSURE : APP_PROBE_NO;
}

enum app_probe app_prefix_probe(const struct app_prefix *p)
{
	static const char *const greeting[] = {"220 ", "220-", "220\r"};
	static const char *const hello[] = {"EHLO ", "HELO ", "EHLO\r", "HELO\r"};
	enum app_probe srv = head_matches(p, FLOW_TOCLIENT, greeting, MX_ARRAY_LEN(greeting));
	enum app_probe cli = head_matches(p, FLOW_TOSERVER, hello, MX_ARRAY_LEN(hello));

	if (srv == APP_PROBE_NO || cli == APP_PROBE_NO)
		return APP_PROBE_NO;
	if (srv == APP_PROBE_SMTP && cli == APP_PROBE_SMTP)
		return APP_PROBE_SMTP;
	/* Undecided with no room left to decide in: as good as no. */
	return p->cut ? APP_PROBE_NO : APP_PROBE_UNSURE;
}

void app_prefix_replay(const struct app_prefix *p, app_prefix_fn fn, void *ctx)
{
	size_t at = 0;

	while (p->buf != NULL && at + CHUNK_HDR <= p->len) {
		const uint8_t *r = p->buf + at;
		enum stream_chunk kind = (enum stream_chunk)r[1];
		size_t len = (size_t)r[2] << 8 | r[3];

		fn(ctx, r[0], kind, has_bytes(kind) ? r + CHUNK_HDR : NULL, len);
		at += CHUNK_HDR + (has_bytes(kind) ? len : 0);
	}
}

void app_prefix_free(struct app_prefix *p, size_t *bytes)
{
	if (p->buf != NULL)
		*bytes -= APP_PREFIX_MAX;
	free(p->buf);
	memset(p, 0, sizeof(*p));
}
