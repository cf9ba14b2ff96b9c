/*
 * fuzz_app_prefix.c - libFuzzer target for the first bytes kept of an
 * unidentified TCP flow and the SMTP probe over them. The input is a list
 * of chunks, each a control byte (bit 0 direction, bits 1-2 kind: data,
 * gap, differing overlap, FIN), a length byte and, for data and overlaps,
 * that many bytes (fewer at the end of the input). The first input byte
 * sets the memcap (0: no room for a prefix at all). Checked: the chunks
 * handed back are exactly those accepted, in order, with their bytes; the
 * prefix never exceeds APP_PREFIX_MAX; the memory accounting returns to
 * where it started; the probe says SMTP only when each direction's first
 * bytes (before any gap) open an SMTP dialogue.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_prefix.h"
#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CHUNKS 4096

struct shadow {
	int dir[MAX_CHUNKS];
	int kind[MAX_CHUNKS];
	const uint8_t *data[MAX_CHUNKS];
	size_t len[MAX_CHUNKS];
	size_t n, next;
};

static void check_chunk(void *ctx, int dir, enum stream_chunk kind, const uint8_t *data, size_t len)
{
	struct shadow *s = ctx;
	size_t i = s->next++;

	if (i >= s->n || s->dir[i] != dir || s->kind[i] != (int)kind || s->len[i] != len)
		abort();
	if ((s->data[i] == NULL) != (data == NULL))
		abort();
	if (data != NULL && memcmp(data, s->data[i], len) != 0)
		abort();
}

/* Whether a side's first bytes (up to the first gap) start with one of the patterns. */
static int opens(const struct shadow *all, int dir, const char *const *pat, size_t npat)
{
	uint8_t head[16];
	size_t h = 0;

	for (size_t i = 0; i < all->n && h < sizeof(head); i++) {
		if (all->dir[i] != dir)
			continue;
		if (all->kind[i] == STREAM_GAP)
			break;
		if (all->kind[i] != STREAM_DATA)
			continue;
		for (size_t k = 0; k < all->len[i] && h < sizeof(head); k++)
			head[h++] = all->data[i][k];
	}
	for (size_t p = 0; p < npat; p++) {
		size_t pl = strlen(pat[p]), k;

		if (h < pl)
			continue;
		for (k = 0; k < pl; k++) {
			uint8_t c = head[k];

			if (c >= 'a' && c <= 'z')
				c = (uint8_t)(c - 'a' + 'A');
			if (c != (uint8_t)pat[p][k])
				break;
		}
		if (k == pl)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shadow kept, all;
	static const char *const greeting[] = {"220 ", "220-", "220\r"};
	static const char *const hello[] = {"EHLO ", "HELO ", "EHLO\r", "HELO\r"};
	static const enum stream_chunk kinds[] = {STREAM_DATA, STREAM_GAP, STREAM_OVERLAP_DIFF,
						  STREAM_FIN};
	struct app_prefix p;
	size_t memcap, bytes = 1000, at = 1;

	if (size < 1)
		return 0;
	memcap = data[0] == 0 ? 0 : 1000 + (size_t)data[0] * 64;
	memset(&p, 0, sizeof(p));
	kept.n = kept.next = 0;
	all.n = 0;
	while (at + 2 <= size && all.n < MAX_CHUNKS) {
		int dir = data[at] & 1;
		enum stream_chunk kind = kinds[(data[at] >> 1) & 3];
		size_t len = data[at + 1];
		const uint8_t *bytes_of = NULL;

		at += 2;
		if (kind == STREAM_DATA || kind == STREAM_OVERLAP_DIFF) {
			if (len > size - at)
				len = size - at;
			bytes_of = data + at;
			at += len;
		}
		all.dir[all.n] = dir;
		all.kind[all.n] = (int)kind;
		all.data[all.n] = bytes_of;
		all.len[all.n] = len;
		all.n++;
		if (app_prefix_add(&p, dir, kind, bytes_of, len, &bytes, memcap) &&
		    kind != STREAM_FIN) {
			kept.dir[kept.n] = dir;
			kept.kind[kept.n] = (int)kind;
			kept.data[kept.n] = bytes_of;
			kept.len[kept.n] = len;
			kept.n++;
		}
		if (p.len > APP_PREFIX_MAX || bytes > memcap + 1000)
			abort();
		if (app_prefix_probe(&p) == APP_PROBE_SMTP &&
		    !(opens(&all, FLOW_TOCLIENT, greeting, 3) &&
		      opens(&all, FLOW_TOSERVER, hello, 4)))
			abort();
	}
	app_prefix_replay(&p, check_chunk, &kept);
	if (kept.next != kept.n)
		abort();
	app_prefix_free(&p, &bytes);
	if (bytes != 1000)
		abort();
	return 0;
}
