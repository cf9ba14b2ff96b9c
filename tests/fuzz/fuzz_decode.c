/*
 * fuzz_decode.c - libFuzzer target for the decode stage. The first input
 * byte picks the link type; the rest is split on the marker "FRAG" into
 * frames decoded in turn by one decoder with small defragmentation limits,
 * so fragment trains, overlaps, limits and timeouts are reached. Each
 * frame is copied into its own allocation so a read past it is caught, and
 * every decoded packet is checked against the decoder's promises: its
 * payload and its IP datagram (l3) within the frame or the rebuilt
 * datagram, a rebuilt datagram with a whole, valid IP header. Seeds cover
 * every link type, fragments, PPPoE, MPLS and each kind of tunnel.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int link_types[] = {
    DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,	 101 /* LINKTYPE_RAW */,
    DLT_IPV4,	DLT_IPV6,      DLT_NULL,       DLT_LOOP,
};

static const uint8_t marker[4] = {'F', 'R', 'A', 'G'};

static volatile uint8_t sink;

/* True when the IPv4 header checksum of the 20 bytes at h is right. */
static int ipv4_sum_ok(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* l3 is the packet's IP datagram, inside the frame (or the rebuilt one), holding the payload. */
static void check_l3(const struct mx_packet *p, const uint8_t *frame, uint32_t caplen)
{
	uint8_t sum = 0;

	if (p->l3 == NULL || p->l3_len < (p->ip_version == 4 ? 20u : 40u))
		abort();
	if (p->l3[0] >> 4 != p->ip_version)
		abort();
	if (p->payload < p->l3 || p->payload_len > p->l3_len ||
	    (size_t)(p->payload - p->l3) > p->l3_len - p->payload_len)
		abort();
	if (!p->reassembled &&
	    (p->l3 < frame || p->l3_len > caplen || (size_t)(p->l3 - frame) > caplen - p->l3_len))
		abort();
	if (p->reassembled && p->l3_len > p->caplen)
		abort();
	/* A datagram rebuilt from fragments: a whole header nDPI can parse. */
	if (p->reassembled && p->l3_len == p->caplen) {
		if (p->ip_version == 4 &&
		    (p->l3[0] != 0x45 || (uint32_t)(p->l3[2] << 8 | p->l3[3]) != p->l3_len ||
		     (p->l3[6] & 0x3f) != 0 || p->l3[7] != 0 || !ipv4_sum_ok(p->l3)))
			abort();
		if (p->ip_version == 6 && (uint32_t)(p->l3[4] << 8 | p->l3[5]) + 40 != p->l3_len)
			abort();
	}
	for (uint32_t i = 0; i < p->l3_len; i++)
		sum ^= p->l3[i];
	sink = sum;
}

static void check_packet(const struct mx_packet *p, const uint8_t *frame, uint32_t caplen)
{
	uint8_t sum = 0;

	if (p->ip_version != 4 && p->ip_version != 6)
		abort();
	if (p->proto != 6 && p->proto != 17)
		abort();
	if (p->vlan_count > 2)
		abort();
	if (!p->reassembled && (p->payload < frame || p->payload_len > caplen ||
				(size_t)(p->payload - frame) > caplen - p->payload_len))
		abort();
	if (p->reassembled && p->payload_len > p->caplen)
		abort();
	for (uint32_t i = 0; i < p->payload_len; i++)
		sum ^= p->payload[i];
	sink = sum;
	check_l3(p, frame, caplen);
}

static void decode_one(struct decoder *d, int dlt, uint64_t ts, const uint8_t *b, size_t n,
		       uint32_t extra)
{
	uint8_t *frame = malloc(n ? n : 1);
	struct mx_packet p;

	if (frame == NULL)
		return;
	memcpy(frame, b, n);
	if (decoder_packet(d, dlt, ts, frame, (uint32_t)n, (uint32_t)n + extra, &p) == DECODE_OK)
		check_packet(&p, frame, (uint32_t)n);
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_config cfg;
	struct decoder *d;
	const struct decode_counters *c;
	uint64_t ts = 1700000000ULL * 1000000;
	size_t pos, frames = 0;
	int dlt;

	if (size < 1)
		return 0;
	dlt = link_types[data[0] % (sizeof(link_types) / sizeof(link_types[0]))];
	decode_config_defaults(&cfg);
	cfg.defrag_memcap = 64 * 1024;
	cfg.defrag_timeout_s = 1;
	cfg.defrag_max_trains = 8;
	cfg.defrag_max_frags = 8;
	d = decoder_new(&cfg);
	if (d == NULL)
		return 0;
	pos = 1;
	while (pos <= size) {
		const uint8_t *hit = NULL;
		size_t end;

		if (size - pos >= sizeof(marker))
			hit = memmem(data + pos, size - pos, marker, sizeof(marker));
		end = hit ? (size_t)(hit - data) : size;
		decode_one(d, dlt, ts, data + pos, end - pos, (uint32_t)(data[0] >> 7));
		frames++;
		ts += 300 * 1000;
		if (frames % 5 == 0)
			decoder_expire(d, ts);
		if (hit == NULL)
			break;
		pos = end + sizeof(marker);
	}
	c = decoder_counters(d);
	if (c->pkts != frames || c->invalid > c->pkts)
		abort();
	if (c->frag_memuse > cfg.defrag_memcap)
		abort();
	decoder_free(d);
	return 0;
}
