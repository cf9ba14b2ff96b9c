/*
 * benchflood.c - writes the deterministic flood capture of the benchmark's
 * flood profile: what someone who can put packets past a span port sends
 * to blind a sensor.
 *
 * Usage: benchflood OUT.pcap [SYNS]      (default 1000000)
 *        benchflood --version
 *
 * Interleaved over the run:
 *  - SYNS TCP SYNs to port 25, each from a different source address
 *    (100.64.0.0/10, one address each) and never answered;
 *  - SYNS/10 DNS transactions over UDP port 53 for distinct random names
 *    under flood.example (a query and an A answer each);
 *  - SYNS/1,000 SMTP connections that each send a 100-byte command as
 *    one-byte segments in reverse order (SYNS/10 tiny out-of-order
 *    segments in all).
 * A fixed-seed PRNG and clock: the same version and count give the same bytes.
 */
#include "pcapwrite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bump whenever the output for a given count changes. */
#define BENCHFLOOD_VERSION 1

#define START_US      (1800000000ll * 1000000) /* 2027-01-15T08:00:00Z */
#define PACKET_GAP_US 2
#define TINY_LEN      100

static uint64_t rng_state = 0x666c6f6f64313233ull;

/* splitmix64 with a fixed seed. */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct pw_writer *w;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "benchflood: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void check(int rc)
{
	if (rc != 0)
		die("%s", pw_error(w));
}

/* One SYN from source number i (a distinct address) to the mail server. */
static void syn(uint64_t i)
{
	struct pw_path p;
	struct pw_tcp c;

	memset(&p, 0, sizeof(p));
	pw_endpoint_ipv4(&p.client, 0x64400000u + (uint32_t)(i % 0x400000u),
			 (uint16_t)(1024 + rng() % 64000));
	pw_endpoint_ipv4(&p.server, 0xc6336419u /* 198.51.100.25 */, 25);
	pw_tcp_init(&c, w, &p, (uint32_t)rng(), 0);
	check(pw_tcp_segment(&c, PW_TO_SERVER, PW_TCP_FLAG_SYN, c.next_seq[PW_TO_SERVER], NULL, 0));
}

/* Appends name in DNS wire form to buf at *n. */
static void wire_name(uint8_t *buf, size_t *n, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		buf[(*n)++] = (uint8_t)l;
		memcpy(buf + *n, name, l);
		*n += l;
		name += l + (dot ? 1 : 0);
	}
	buf[(*n)++] = 0;
}

/* One DNS query for a fresh random name and its A answer. */
static void dns(uint64_t i)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t q[128], *a = q;
	char name[64];
	struct pw_path p;
	size_t n = 0, i2;
	uint64_t r = rng();
	uint16_t id = (uint16_t)r;

	for (i2 = 0; i2 < 12; i2++, r >>= 5)
		name[i2] = alphabet[(r & 31) % 36];
	snprintf(name + 12, sizeof(name) - 12, "%llx.flood.example", (unsigned long long)i);
	memset(&p, 0, sizeof(p));
	pw_endpoint_ipv4(&p.client, 0xc0000235u /* 192.0.2.53 */, (uint16_t)(1024 + rng() % 64000));
	pw_endpoint_ipv4(&p.server, 0xc6336435u /* 198.51.100.53 */, 53);
	memcpy(q, (uint8_t[]){(uint8_t)(id >> 8), (uint8_t)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0},
	       12);
	n = 12;
	wire_name(q, &n, name);
	memcpy(q + n, "\x00\x01\x00\x01", 4);
	n += 4;
	check(pw_udp(w, &p, PW_TO_SERVER, q, n));
	a[2] = 0x81;
	a[3] = 0x80;
	a[7] = 1;
	memcpy(a + n, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xcb\x00\x71", 15);
	n += 15;
	a[n++] = (uint8_t)(1 + i % 250);
	check(pw_udp(w, &p, PW_TO_CLIENT, a, n));
}

/* One SMTP connection whose client sends a command as one-byte segments, last first. */
static void tiny(uint64_t i)
{
	uint8_t data[TINY_LEN];
	struct pw_send_opts o;
	struct pw_path p;
	struct pw_tcp c;

	memset(&p, 0, sizeof(p));
	pw_endpoint_ipv4(&p.client, 0xcb007100u + (uint32_t)(i % 250) + 1,
			 (uint16_t)(1024 + i % 64000));
	pw_endpoint_ipv4(&p.server, 0xc6336419u, 25);
	pw_tcp_init(&c, w, &p, (uint32_t)rng(), (uint32_t)rng());
	check(pw_tcp_handshake(&c));
	memset(data, 'A', sizeof(data));
	memcpy(data, "EHLO ", 5);
	memcpy(data + sizeof(data) - 2, "\r\n", 2);
	memset(&o, 0, sizeof(o));
	o.segment = 1;
	o.reverse = 1;
	check(pw_tcp_send(&c, PW_TO_SERVER, data, sizeof(data), &o));
	check(pw_tcp_rst(&c, PW_TO_SERVER));
}

int main(int argc, char **argv)
{
	unsigned long long syns = 1000000, i;
	char err[256];

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("benchflood %d\n", BENCHFLOOD_VERSION);
		return 0;
	}
	if (argc < 2 || argc > 3 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: benchflood OUT.pcap [SYNS]\n       benchflood --version\n");
		return 2;
	}
	if (argc == 3) {
		char *end;

		syns = strtoull(argv[2], &end, 10);
		if (*end || syns < 10000 || syns > 4000000)
			die("SYNS must be 10000..4000000");
	}
	w = pw_open(argv[1], err, sizeof(err));
	if (!w)
		die("%s", err);
	pw_set_time(w, START_US);
	pw_set_gap(w, PACKET_GAP_US);
	for (i = 0; i < syns; i++) {
		syn(i);
		if (i % 10 == 9)
			dns(i / 10);
		if (i % 1000 == 999)
			tiny(i / 1000);
	}
	fprintf(stderr,
		"benchflood: %llu packets, %llu bytes; %llu SYNs, %llu DNS answers, %llu "
		"tiny segments\n",
		(unsigned long long)pw_packets(w), (unsigned long long)pw_bytes(w), syns, syns / 10,
		syns / 1000 * TINY_LEN);
	if (pw_close(w) != 0)
		die("%s: write error", argv[1]);
	return 0;
}
