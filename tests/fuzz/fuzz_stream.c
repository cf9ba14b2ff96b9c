/*
 * fuzz_stream.c - libFuzzer target for TCP reassembly. The input is a
 * small header (both directions' base sequence numbers, a byte choosing
 * the caps) followed by 6-byte segment descriptors fed to one flow:
 *
 *   flags   bit 0 direction, 1 SYN, 2 FIN, 3 RST (only with bit 7),
 *           4 ACK, 5 corrupt the payload, 6 far sequence offset
 *   seq     int16, big endian, offset from the direction's base
 *           (shifted left by 16 with bit 6)
 *   ack     uint16, big endian, offset from the other direction's base
 *   len     payload length (0..255)
 *
 * Header byte 8 picks the recent window, max_segments, stream_memcap and
 * memcap (2 bits each). Payload byte i of a segment is the low byte of its sequence number plus
 * i (XOR 0x5a when corrupted), so a direction fed no corrupted segment must
 * deliver bytes that count up by one, skipping exactly the length of each
 * gap, and must never report conflicting overlaps. Always checked: every
 * chunk is non-empty (stream offsets strictly increase), no more bytes are
 * delivered than were fed, FIN at most once a direction and no data or gap
 * after it, RST at most once and nothing after it, memory within the memcap and
 * all of it returned at detach.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "flow/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

struct dir_check {
	uint64_t fed, delivered, offset;
	bool corrupted; /* a corrupted segment was fed: bytes are not predictable */
	bool have_next;
	uint8_t next_byte; /* the byte the next delivered one must be */
	bool fin;
};

struct harness {
	struct flow f;
	struct dir_check d[2];
	bool rst;
};

static void on_chunk(void *ctx, struct flow *f, int dir, enum stream_chunk kind,
		     const uint8_t *data, size_t len)
{
	struct harness *h = ctx;
	struct dir_check *d;

	CHECK(f == &h->f);
	CHECK(dir == FLOW_TOSERVER || dir == FLOW_TOCLIENT);
	d = &h->d[dir];
	CHECK(!h->rst);
	/* After its FIN a direction delivers nothing more (a conflict or RST may come). */
	CHECK(!d->fin || kind == STREAM_OVERLAP_DIFF || kind == STREAM_RST);
	switch (kind) {
	case STREAM_DATA:
		CHECK(data != NULL && len > 0);
		d->delivered += len;
		d->offset += len;
		CHECK(d->delivered <= d->fed);
		if (!d->corrupted) {
			for (size_t i = 0; i < len; i++) {
				if (d->have_next)
					CHECK(data[i] == d->next_byte);
				d->next_byte = (uint8_t)(data[i] + 1);
				d->have_next = true;
			}
		}
		break;
	case STREAM_GAP:
		CHECK(data == NULL && len > 0);
		d->offset += len;
		d->next_byte = (uint8_t)(d->next_byte + len);
		break;
	case STREAM_OVERLAP_KEPT:
		/* The kept side of a conflicting overlap, just before its DIFF. */
		CHECK(data != NULL && len > 0);
		break;
	case STREAM_OVERLAP_DIFF:
		CHECK(data != NULL && len > 0);
		CHECK(d->corrupted);
		break;
	case STREAM_FIN:
		CHECK(data == NULL && len == 0);
		d->fin = true;
		break;
	case STREAM_RST:
		CHECK(data == NULL && len == 0);
		h->rst = true;
		break;
	default:
		abort();
	}
}

static const size_t windows[4] = {0, 16, 4096, 64};
static const uint32_t max_segs[4] = {2, 8, 256, 1};
static const size_t stream_caps[4] = {64, 1024, 256U << 10, 300};
static const size_t memcaps[4] = {700, 4096, 64U << 20, 300};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h;
	struct stream_config cfg;
	struct stream_engine *e;
	const struct stream_counters *c;
	uint32_t base[2] = {1000, 5000};
	uint8_t payload[256];
	uint8_t conf = 0xaa;
	size_t pos = 0;

	memset(&h, 0, sizeof(h));
	h.f.proto = IPPROTO_TCP;
	if (size >= 9) {
		base[0] = be32(data);
		base[1] = be32(data + 4);
		conf = data[8];
		pos = 9;
	}
	stream_config_defaults(&cfg);
	cfg.recent_window = windows[conf & 3];
	cfg.max_segments = max_segs[(conf >> 2) & 3];
	cfg.stream_memcap = stream_caps[(conf >> 4) & 3];
	cfg.memcap = conf == 0xff ? 64 : memcaps[(conf >> 6) & 3]; /* 0xff: no room for a session */
	e = stream_engine_new(&cfg, on_chunk, &h);
	if (e == NULL)
		return 0;
	c = stream_engine_counters(e);
	if (!stream_attach(e, &h.f)) {
		CHECK(c->ssn_memcap_drop + c->alloc_fail == 1);
		stream_engine_free(e);
		return 0;
	}

	while (size - pos >= 6) {
		const uint8_t *dsc = data + pos;
		struct mx_packet p;
		int dir = dsc[0] & 1;
		int32_t soff = (int16_t)(uint16_t)(dsc[1] << 8 | dsc[2]);
		uint32_t aoff = (uint32_t)(dsc[3] << 8 | dsc[4]);
		uint32_t len = dsc[5];
		uint32_t dseq;

		pos += 6;
		memset(&p, 0, sizeof(p));
		p.proto = IPPROTO_TCP;
		p.seq = base[dir] + ((dsc[0] & 0x40) ? (uint32_t)soff << 16 : (uint32_t)soff);
		p.ack = base[!dir] + aoff;
		if (dsc[0] & 0x02)
			p.tcp_flags |= MX_TCP_SYN;
		if (dsc[0] & 0x04)
			p.tcp_flags |= MX_TCP_FIN;
		if ((dsc[0] & 0x88) == 0x88)
			p.tcp_flags |= MX_TCP_RST;
		if (dsc[0] & 0x10)
			p.tcp_flags |= MX_TCP_ACK;
		dseq = p.seq + ((p.tcp_flags & MX_TCP_SYN) ? 1 : 0);
		for (uint32_t i = 0; i < len; i++)
			payload[i] = (uint8_t)((dseq + i) ^ ((dsc[0] & 0x20) ? 0x5a : 0));
		if ((dsc[0] & 0x20) && len > 0)
			h.d[dir].corrupted = true;
		p.payload = len > 0 ? payload : NULL;
		p.payload_len = len;
		h.d[dir].fed += len;
		stream_packet(e, &h.f, dir, &p);
		CHECK(c->memuse + c->reassembly_memuse <= cfg.memcap);
	}
	stream_detach(e, &h.f);
	CHECK(h.f.tcp == NULL);
	CHECK(c->memuse == 0 && c->reassembly_memuse == 0 && c->active_sessions == 0);
	CHECK(c->overlap_diff_data == 0 || h.d[0].corrupted || h.d[1].corrupted);
	stream_engine_free(e);
	return 0;
}
