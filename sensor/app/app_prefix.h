/*
 * app_prefix.h - the first bytes of a TCP flow that no port identifies,
 * kept while the application layer decides what it is. They are handed to
 * the session once the flow turns out to be mail or DNS, so that SMTP on
 * any port is followed from its banner. A probe of its own tells SMTP by
 * the reassembled bytes (a 220 greeting one way, EHLO or HELO the other),
 * which packet-by-packet classification misses when the dialogue comes in
 * tiny segments.
 */
#ifndef MX_APP_PREFIX_H
#define MX_APP_PREFIX_H

#include "util/common.h"
#include "flow/stream.h"

/*
 * Reassembled bytes kept (both directions together, with 4 bytes of
 * bookkeeping per chunk): a banner, an EHLO and its reply fit.
 */
#define APP_PREFIX_MAX 4096

/* Bytes of each direction's start the SMTP probe looks at. */
#define APP_PREFIX_HEAD 8

struct app_prefix {
	uint8_t *buf; /* APP_PREFIX_MAX bytes once the first chunk came */
	uint16_t len;
	bool cut; /* a chunk did not fit (or found the memcap full): dropped */
	/* each direction's first bytes, and whether a gap came before them */
	uint8_t head[2][APP_PREFIX_HEAD];
	uint8_t head_len[2];
	bool head_gap[2];
};

/* What the probe makes of the bytes so far. */
enum app_probe {
	APP_PROBE_UNSURE, /* not enough bytes yet */
	APP_PROBE_NO,	  /* not the start of an SMTP dialogue */
	APP_PROBE_SMTP,	  /* a 220 greeting to the client, EHLO/HELO to the server */
};

/*
 * Keeps one chunk (dir is FLOW_TOSERVER or FLOW_TOCLIENT) as the
 * reassembly delivered it: data, gaps and differing overlaps; FIN and RST
 * are not kept. The buffer is allocated with the first chunk kept when
 * *bytes stays within memcap (*bytes then grows by APP_PREFIX_MAX).
 * Returns false when the chunk is not kept: once the probe says the bytes
 * cannot open an SMTP dialogue (nothing is kept then: the caller drops the
 * prefix), or when it does not fit or finds the memcap full (the prefix is
 * cut from then on).
 */
bool app_prefix_add(struct app_prefix *p, int dir, enum stream_chunk kind, const uint8_t *data,
		    size_t len, size_t *bytes, size_t memcap);

/* Whether the kept bytes start an SMTP dialogue. */
enum app_probe app_prefix_probe(const struct app_prefix *p);

/* Called by app_prefix_replay with each chunk kept, in order. */
typedef void (*app_prefix_fn)(void *ctx, int dir, enum stream_chunk kind, const uint8_t *data,
			      size_t len);

/* Hands every kept chunk to fn, in the order they were kept. */
void app_prefix_replay(const struct app_prefix *p, app_prefix_fn fn, void *ctx);

/* Frees the buffer (*bytes shrinks accordingly) and empties p. */
void app_prefix_free(struct app_prefix *p, size_t *bytes);

#endif
