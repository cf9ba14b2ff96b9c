/*
 * dnsflood.c - writes a capture of DNS answers for many distinct domains,
 * to fill the state store: each answer (resolver 192.0.2.53 to client
 * 198.51.100.10, UDP) gives the MX of dN.TAG.flood.test as
 * mxN.TAG.flood.test, TTL 3600, one millisecond of packet time apart.
 *
 * Usage: dnsflood OUT.pcap|- COUNT TAG START_SECONDS
 *   COUNT          answers (distinct domains d0 .. dCOUNT-1)
 *   TAG            a label that keeps the names of different runs apart
 *   START_SECONDS  packet time of the first answer (Unix seconds)
 */
#include "pcapwrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Appends name in wire form; returns the new length. */
static size_t put_name(uint8_t *b, size_t n, const char *name)
{
	const char *p = name;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);

		b[n++] = (uint8_t)len;
		memcpy(b + n, p, len);
		n += len;
		p += len;
		if (*p == '.')
			p++;
	}
	b[n++] = 0;
	return n;
}

static size_t put16(uint8_t *b, size_t n, unsigned v)
{
	b[n] = (uint8_t)(v >> 8);
	b[n + 1] = (uint8_t)v;
	return n + 2;
}

/* One answer: the MX of domain is host. */
static size_t answer(uint8_t *b, unsigned id, const char *domain, const char *host)
{
	size_t n = 0, rdlen_at;

	n = put16(b, n, id & 0xffff);
	n = put16(b, n, 0x8180); /* response, RD, RA, NOERROR */
	n = put16(b, n, 1);
	n = put16(b, n, 1);
	n = put16(b, n, 0);
	n = put16(b, n, 0);
	n = put_name(b, n, domain);
	n = put16(b, n, 15); /* MX */
	n = put16(b, n, 1);
	n = put16(b, n, 0xc00c); /* owner: the question's name */
	n = put16(b, n, 15);
	n = put16(b, n, 1);
	n = put16(b, n, 0);
	n = put16(b, n, 3600);
	rdlen_at = n;
	n = put16(b, n, 0);
	n = put16(b, n, 10);
	n = put_name(b, n, host);
	put16(b, rdlen_at, (unsigned)(n - rdlen_at - 2));
	return n;
}

int main(int argc, char **argv)
{
	struct pw_writer *w;
	struct pw_path path;
	char err[256], domain[128], host[128];
	uint8_t msg[512];
	unsigned long count;
	long long start;

	if (argc != 5) {
		fprintf(stderr, "usage: dnsflood OUT.pcap|- COUNT TAG START_SECONDS\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	start = strtoll(argv[4], NULL, 10);
	w = pw_open(argv[1], err, sizeof(err));
	if (w == NULL) {
		fprintf(stderr, "dnsflood: %s\n", err);
		return 1;
	}
	memset(&path, 0, sizeof(path));
	pw_endpoint_ipv4(&path.client, 0xc633640a, 40000); /* 198.51.100.10 */
	pw_endpoint_ipv4(&path.server, 0xc0000235, 53);	   /* 192.0.2.53 */
	pw_set_time(w, start * 1000000ll);
	pw_set_gap(w, 1000);
	for (unsigned long i = 0; i < count; i++) {
		size_t n;

		snprintf(domain, sizeof(domain), "d%lu.%s.flood.test", i, argv[3]);
		snprintf(host, sizeof(host), "mx%lu.%s.flood.test", i, argv[3]);
		path.client.port = (uint16_t)(1024 + i % 60000);
		n = answer(msg, (unsigned)i, domain, host);
		if (pw_udp(w, &path, PW_TO_CLIENT, msg, n) != 0) {
			fprintf(stderr, "dnsflood: %s\n", pw_error(w));
			pw_close(w);
			return 1;
		}
	}
	return pw_close(w) == 0 ? 0 : 1;
}
