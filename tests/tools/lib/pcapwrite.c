/*
 * pcapwrite.c - builds Ethernet/IP/TCP/UDP frames with correct lengths,
 * sequence numbers and checksums, and writes them to a pcap file through
 * libpcap's dumper. See pcapwrite.h for what each call promises.
 */
#include "pcapwrite.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ETH_HDR_LEN  14
#define VLAN_TAG_LEN 4
#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_LEN  20
#define UDP_HDR_LEN  8
#define TCP_OPT_MAX  40
#define PW_SNAPLEN   262144
#define PW_TTL	     64
#define TCP_WIN_SYN  64240
#define TCP_WIN	     502 /* scaled by 2^7 as announced in the SYN options */
#define TCP_WSCALE   7

_Static_assert(ETH_HDR_LEN + 2 * VLAN_TAG_LEN + IPV6_HDR_LEN + TCP_HDR_LEN + TCP_OPT_MAX <=
		   PW_MAX_FRAME - PW_MAX_PAYLOAD,
	       "largest headers fit in a frame");

struct pw_writer {
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	int64_t now;
	int64_t gap;
	uint64_t packets;
	uint64_t bytes;
	int failed;
	unsigned bad_dirs; /* bit 1 << dir: TCP/UDP checksums made wrong that way */
	char err[192];
	uint8_t frame[PW_MAX_FRAME];
};

static void set_err(struct pw_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct pw_writer *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Adds the bytes at p to a one's complement sum as big-endian 16-bit
 * words (an odd last byte is padded with zero). Adding 32-bit words is
 * equivalent because 2^16 is 1 modulo 2^16 - 1. len must be even except
 * for the last piece of a checksummed region.
 */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	while (len >= 4) {
		sum += (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/*
 * A checksum that fails where ck passes: neither ck nor its other
 * one's complement form (0x0000 and 0xffff both mean zero), never 0.
 */
static uint16_t wrong_checksum(uint16_t ck)
{
	uint16_t bad = (uint16_t)(ck ^ 0x1234);

	return bad == 0 || bad == 0xffff ? 0x4321 : bad;
}

void pw_set_bad_checksums(struct pw_writer *w, unsigned dirs)
{
	w->bad_dirs = dirs;
}

unsigned pw_bad_checksums(const struct pw_writer *w)
{
	return w->bad_dirs;
}

/* Folds a sum from csum_add into the 16-bit one's complement checksum. */
static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct pw_writer *pw_open(const char *path, char *err, size_t errlen)
{
	struct pw_writer *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->pcap = pcap_open_dead(DLT_EN10MB, PW_SNAPLEN);
	if (!w->pcap) {
		snprintf(err, errlen, "pcap_open_dead failed");
		free(w);
		return NULL;
	}
	w->dumper = pcap_dump_open(w->pcap, path);
	if (!w->dumper) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(w->pcap));
		pcap_close(w->pcap);
		free(w);
		return NULL;
	}
	return w;
}

int pw_close(struct pw_writer *w)
{
	int rc;
	FILE *f;

	if (!w)
		return -1;
	f = pcap_dump_file(w->dumper);
	if (pcap_dump_flush(w->dumper) != 0 || ferror(f))
		w->failed = 1;
	pcap_dump_close(w->dumper);
	pcap_close(w->pcap);
	rc = w->failed ? -1 : 0;
	free(w);
	return rc;
}

void pw_set_time(struct pw_writer *w, int64_t usec)
{
	w->now = usec;
}

void pw_advance(struct pw_writer *w, int64_t usec)
{
	if (usec > 0)
		w->now += usec;
}

int64_t pw_time(const struct pw_writer *w)
{
	return w->now;
}

void pw_set_gap(struct pw_writer *w, int64_t usec)
{
	w->gap = usec > 0 ? usec : 0;
}

uint64_t pw_packets(const struct pw_writer *w)
{
	return w->packets;
}

uint64_t pw_bytes(const struct pw_writer *w)
{
	return w->bytes;
}

const char *pw_error(const struct pw_writer *w)
{
	return w->err;
}

int pw_frame(struct pw_writer *w, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;
	int64_t sec, usec;

	if (len == 0 || len > PW_MAX_FRAME) {
		set_err(w, "frame length %zu out of range", len);
		return -1;
	}
	if (w->now < 0) {
		set_err(w, "negative timestamp");
		return -1;
	}
	sec = w->now / 1000000;
	usec = w->now % 1000000;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)sec;
	h.ts.tv_usec = (suseconds_t)usec;
	h.caplen = (bpf_u_int32)len;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)w->dumper, &h, frame);
	w->packets++;
	w->bytes += len;
	w->now += w->gap;
	return 0;
}

void pw_endpoint_ipv4(struct pw_endpoint *ep, uint32_t addr, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = AF_INET;
	put32(ep->addr, addr);
	ep->port = port;
	ep->mac[0] = 0x02;
	ep->mac[1] = 0x00;
	memcpy(ep->mac + 2, ep->addr, 4);
}

void pw_endpoint_ipv6(struct pw_endpoint *ep, const uint8_t addr[16], uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = AF_INET6;
	memcpy(ep->addr, addr, 16);
	ep->port = port;
	ep->mac[0] = 0x02;
	ep->mac[1] = 0x06;
	memcpy(ep->mac + 2, ep->addr + 12, 4);
}

/* Parses a decimal port 0..65535 that fills the whole string. */
static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int pw_endpoint_parse(struct pw_endpoint *ep, const char *text)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *close;
	uint8_t a[16];
	uint16_t port;
	size_t hl;

	if (text[0] == '[') {
		close = strchr(text, ']');
		if (!close || close[1] != ':')
			return -1;
		hl = (size_t)(close - text - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, text + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, a) != 1 || parse_port(close + 2, &port) != 0)
			return -1;
		pw_endpoint_ipv6(ep, a, port);
		return 0;
	}
	colon = strrchr(text, ':');
	if (!colon)
		return -1;
	hl = (size_t)(colon - text);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, a) != 1 || parse_port(colon + 1, &port) != 0)
		return -1;
	pw_endpoint_ipv4(
	    ep, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3], port);
	return 0;
}

int pw_mac_parse(uint8_t mac[6], const char *text)
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -1;
	if (strlen(text) != 17)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/*
 * Writes Ethernet, tags and the IP header for an L4 segment of l4len bytes
 * into w->frame. Returns the offset of the L4 header and the pseudo-header
 * sum through *pseudo, or 0 when the path is unusable.
 */
static size_t build_l3(struct pw_writer *w, const struct pw_path *p, enum pw_dir dir, uint8_t proto,
		       size_t l4len, uint16_t ip_id, uint64_t *pseudo)
{
	const struct pw_endpoint *src = dir == PW_TO_SERVER ? &p->client : &p->server;
	const struct pw_endpoint *dst = dir == PW_TO_SERVER ? &p->server : &p->client;
	uint8_t *f = w->frame;
	uint8_t ph[4];
	size_t o = 0;

	if (src->family != dst->family || (src->family != AF_INET && src->family != AF_INET6)) {
		set_err(w, "path endpoints must both be IPv4 or both IPv6");
		return 0;
	}
	if (p->vlan_outer > 4095 || p->vlan_inner > 4095 || (p->vlan_inner && !p->vlan_outer)) {
		set_err(w, "bad VLAN ids %u/%u", p->vlan_outer, p->vlan_inner);
		return 0;
	}
	memcpy(f, dst->mac, 6);
	memcpy(f + 6, src->mac, 6);
	o = 12;
	if (p->vlan_outer) {
		uint16_t tpid = p->outer_tpid ? p->outer_tpid : (p->vlan_inner ? 0x88a8 : 0x8100);

		put16(f + o, tpid);
		put16(f + o + 2, p->vlan_outer);
		o += VLAN_TAG_LEN;
		if (p->vlan_inner) {
			put16(f + o, 0x8100);
			put16(f + o + 2, p->vlan_inner);
			o += VLAN_TAG_LEN;
		}
	}
	if (src->family == AF_INET) {
		uint8_t *ip;

		if (l4len + IPV4_HDR_LEN > 65535) {
			set_err(w, "IPv4 packet too long");
			return 0;
		}
		put16(f + o, 0x0800);
		o += 2;
		ip = f + o;
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(IPV4_HDR_LEN + l4len));
		put16(ip + 4, ip_id);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = PW_TTL;
		ip[9] = proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, src->addr, 4);
		memcpy(ip + 16, dst->addr, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, IPV4_HDR_LEN)));
		*pseudo = csum_add(0, ip + 12, 8);
		o += IPV4_HDR_LEN;
	} else {
		uint8_t *ip;

		if (l4len > 65535) {
			set_err(w, "IPv6 payload too long");
			return 0;
		}
		put16(f + o, 0x86dd);
		o += 2;
		ip = f + o;
		put32(ip, 0x60000000);
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = PW_TTL;
		memcpy(ip + 8, src->addr, 16);
		memcpy(ip + 24, dst->addr, 16);
		*pseudo = csum_add(0, ip + 8, 32);
		o += IPV6_HDR_LEN;
	}
	put32(ph, (uint32_t)l4len);
	*pseudo = csum_add(*pseudo, ph, 4);
	ph[0] = ph[1] = ph[2] = 0;
	ph[3] = proto;
	*pseudo = csum_add(*pseudo, ph, 4);
	return o;
}

int pw_udp(struct pw_writer *w, const struct pw_path *p, enum pw_dir dir, const uint8_t *data,
	   size_t len)
{
	const struct pw_endpoint *src = dir == PW_TO_SERVER ? &p->client : &p->server;
	const struct pw_endpoint *dst = dir == PW_TO_SERVER ? &p->server : &p->client;
	size_t l4len = UDP_HDR_LEN + len, o;
	uint64_t sum;
	uint16_t ck;
	uint8_t *u;

	if (len > PW_MAX_PAYLOAD) {
		set_err(w, "UDP payload of %zu bytes too long", len);
		return -1;
	}
	o = build_l3(w, p, dir, 17, l4len, (uint16_t)(w->packets * 7919u + 1), &sum);
	if (!o)
		return -1;
	u = w->frame + o;
	put16(u, src->port);
	put16(u + 2, dst->port);
	put16(u + 4, (uint16_t)l4len);
	put16(u + 6, 0);
	if (len)
		memcpy(u + UDP_HDR_LEN, data, len);
	ck = csum_fold(csum_add(sum, u, l4len));
	if (w->bad_dirs & 1u << dir)
		ck = wrong_checksum(ck);
	put16(u + 6, ck ? ck : 0xffff);
	return pw_frame(w, w->frame, o + l4len);
}

void pw_tcp_init(struct pw_tcp *c, struct pw_writer *w, const struct pw_path *p,
		 uint32_t client_isn, uint32_t server_isn)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->path = *p;
	c->next_seq[PW_TO_SERVER] = client_isn;
	c->next_seq[PW_TO_CLIENT] = server_isn;
	c->ip_id[PW_TO_SERVER] = (uint16_t)(client_isn >> 16 ^ p->client.port);
	c->ip_id[PW_TO_CLIENT] = (uint16_t)(server_isn >> 16 ^ p->server.port);
	c->mss = PW_DEFAULT_MSS;
	c->state = PW_TCP_NEW;
}

/* Writes one TCP segment with the given header fields, options and payload. */
static int tcp_emit(struct pw_tcp *c, enum pw_dir dir, uint8_t flags, uint32_t seq, uint32_t ack,
		    const uint8_t *opt, size_t optlen, const uint8_t *data, size_t len)
{
	struct pw_writer *w = c->w;
	const struct pw_endpoint *src = dir == PW_TO_SERVER ? &c->path.client : &c->path.server;
	const struct pw_endpoint *dst = dir == PW_TO_SERVER ? &c->path.server : &c->path.client;
	size_t hl = TCP_HDR_LEN + optlen, l4len = hl + len, o;
	uint64_t sum;
	uint8_t *t;

	if (len > PW_MAX_PAYLOAD || optlen > TCP_OPT_MAX || optlen % 4) {
		set_err(w, "TCP segment of %zu bytes (options %zu) out of range", len, optlen);
		return -1;
	}
	o = build_l3(w, &c->path, dir, 6, l4len, c->ip_id[dir], &sum);
	if (!o)
		return -1;
	c->ip_id[dir]++;
	t = w->frame + o;
	put16(t, src->port);
	put16(t + 2, dst->port);
	put32(t + 4, seq);
	put32(t + 8, (flags & PW_TCP_FLAG_ACK) ? ack : 0);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put16(t + 14, (flags & PW_TCP_FLAG_SYN) ? TCP_WIN_SYN : TCP_WIN);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (optlen)
		memcpy(t + TCP_HDR_LEN, opt, optlen);
	if (len)
		memcpy(t + hl, data, len);
	put16(t + 16, csum_fold(csum_add(sum, t, l4len)));
	if (w->bad_dirs & 1u << dir)
		put16(t + 16, wrong_checksum((uint16_t)(t[16] << 8 | t[17])));
	return pw_frame(w, w->frame, o + l4len);
}

int pw_tcp_segment(struct pw_tcp *c, enum pw_dir dir, uint8_t flags, uint32_t seq,
		   const uint8_t *data, size_t len)
{
	return tcp_emit(c, dir, flags, seq, c->next_seq[!dir], NULL, 0, data, len);
}

int pw_tcp_handshake(struct pw_tcp *c)
{
	/* MSS, NOP, window scale, NOP, NOP, SACK permitted: 12 bytes. */
	uint8_t opt[12] = {2, 4, 0, 0, 1, 3, 3, TCP_WSCALE, 1, 1, 4, 2};
	uint32_t *cs = &c->next_seq[PW_TO_SERVER], *ss = &c->next_seq[PW_TO_CLIENT];

	if (c->state != PW_TCP_NEW) {
		set_err(c->w, "handshake on a connection that is not new");
		return -1;
	}
	put16(opt + 2, (uint16_t)(c->mss > 65535 ? 65535 : c->mss));
	if (tcp_emit(c, PW_TO_SERVER, PW_TCP_FLAG_SYN, *cs, 0, opt, sizeof(opt), NULL, 0))
		return -1;
	(*cs)++;
	if (tcp_emit(c, PW_TO_CLIENT, PW_TCP_FLAG_SYN | PW_TCP_FLAG_ACK, *ss, *cs, opt, sizeof(opt),
		     NULL, 0))
		return -1;
	(*ss)++;
	if (tcp_emit(c, PW_TO_SERVER, PW_TCP_FLAG_ACK, *cs, *ss, NULL, 0, NULL, 0))
		return -1;
	c->state = PW_TCP_OPEN;
	return 0;
}

int pw_tcp_midstream(struct pw_tcp *c)
{
	if (c->state != PW_TCP_NEW) {
		set_err(c->w, "mid-stream start on a connection that is not new");
		return -1;
	}
	c->state = PW_TCP_OPEN;
	return 0;
}

/* True when order[0..n) holds each of 0..n-1 exactly once. */
static int is_permutation(const size_t *order, size_t n)
{
	uint8_t *seen = calloc(n ? n : 1, 1);
	size_t i;
	int ok = 1;

	if (!seen)
		return 0;
	for (i = 0; i < n && ok; i++) {
		if (order[i] >= n || seen[order[i]])
			ok = 0;
		else
			seen[order[i]] = 1;
	}
	free(seen);
	return ok;
}

int pw_tcp_send(struct pw_tcp *c, enum pw_dir dir, const uint8_t *data, size_t len,
		const struct pw_send_opts *opts)
{
	static const struct pw_send_opts defaults;
	const struct pw_send_opts *o = opts ? opts : &defaults;
	enum pw_dir peer = dir == PW_TO_SERVER ? PW_TO_CLIENT : PW_TO_SERVER;
	uint32_t base = c->next_seq[dir];
	size_t seg = o->segment ? o->segment : c->mss, n, k;

	if (c->state != PW_TCP_OPEN) {
		set_err(c->w, "send on a connection that is not open");
		return -1;
	}
	if (len == 0 || len > UINT32_MAX / 2) {
		set_err(c->w, "message length %zu out of range", len);
		return -1;
	}
	if (seg > PW_MAX_PAYLOAD) {
		set_err(c->w, "segment size %zu above %d", seg, PW_MAX_PAYLOAD);
		return -1;
	}
	n = (len + seg - 1) / seg;
	if (o->order && (o->order_len != n || !is_permutation(o->order, n))) {
		set_err(c->w, "segment order is not a permutation of the %zu segments", n);
		return -1;
	}
	if (o->rtx_data && (o->rtx_len == 0 || o->rtx_len > PW_MAX_PAYLOAD || o->rtx_off >= len ||
			    o->rtx_len > len - o->rtx_off)) {
		set_err(c->w, "retransmitted range %zu+%zu outside the %zu-byte message",
			o->rtx_off, o->rtx_len, len);
		return -1;
	}
	for (k = 0; k < n; k++) {
		size_t i = o->order ? o->order[k] : (o->reverse ? n - 1 - k : k);
		size_t off = i * seg, l = len - off < seg ? len - off : seg;
		uint8_t fl = PW_TCP_FLAG_ACK | (off + l == len ? PW_TCP_FLAG_PSH : 0);

		if (tcp_emit(c, dir, fl, base + (uint32_t)off, c->next_seq[peer], NULL, 0,
			     data + off, l))
			return -1;
	}
	if (o->rtx_data &&
	    tcp_emit(c, dir, PW_TCP_FLAG_ACK | PW_TCP_FLAG_PSH, base + (uint32_t)o->rtx_off,
		     c->next_seq[peer], NULL, 0, o->rtx_data, o->rtx_len))
		return -1;
	c->next_seq[dir] = base + (uint32_t)len;
	if (!o->no_ack && tcp_emit(c, peer, PW_TCP_FLAG_ACK, c->next_seq[peer], c->next_seq[dir],
				   NULL, 0, NULL, 0))
		return -1;
	return 0;
}

int pw_tcp_fin(struct pw_tcp *c, enum pw_dir dir)
{
	enum pw_dir peer = dir == PW_TO_SERVER ? PW_TO_CLIENT : PW_TO_SERVER;
	uint8_t fa = PW_TCP_FLAG_FIN | PW_TCP_FLAG_ACK;

	if (c->state != PW_TCP_OPEN) {
		set_err(c->w, "FIN on a connection that is not open");
		return -1;
	}
	if (tcp_emit(c, dir, fa, c->next_seq[dir], c->next_seq[peer], NULL, 0, NULL, 0))
		return -1;
	c->next_seq[dir]++;
	if (tcp_emit(c, peer, fa, c->next_seq[peer], c->next_seq[dir], NULL, 0, NULL, 0))
		return -1;
	c->next_seq[peer]++;
	if (tcp_emit(c, dir, PW_TCP_FLAG_ACK, c->next_seq[dir], c->next_seq[peer], NULL, 0, NULL,
		     0))
		return -1;
	c->state = PW_TCP_CLOSED;
	return 0;
}

int pw_tcp_rst(struct pw_tcp *c, enum pw_dir dir)
{
	enum pw_dir peer = dir == PW_TO_SERVER ? PW_TO_CLIENT : PW_TO_SERVER;

	if (c->state != PW_TCP_OPEN) {
		set_err(c->w, "RST on a connection that is not open");
		return -1;
	}
	if (tcp_emit(c, dir, PW_TCP_FLAG_RST | PW_TCP_FLAG_ACK, c->next_seq[dir], c->next_seq[peer],
		     NULL, 0, NULL, 0))
		return -1;
	c->state = PW_TCP_CLOSED;
	return 0;
}
