/*
 * bareloop.c - the benchmark's baseline: the cheapest complete pass over
 * a capture with libpcap. Reads every packet with pcap_next_ex, adds up
 * every captured byte (so no byte can be skipped), and prints
 *
 *   packets=N bytes=N sum=N
 *
 * where bytes counts captured bytes. Usage: bareloop FILE.
 * Exits 0, or 1 when the file cannot be read to its end.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Sums the bytes at p; eight independent lanes let the compiler vectorize. */
static uint64_t sum_bytes(const uint8_t *p, size_t n)
{
	uint64_t lane[8] = {0};
	uint64_t total = 0;
	size_t i = 0, k;

	for (; i + 8 <= n; i += 8)
		for (k = 0; k < 8; k++)
			lane[k] += p[i + k];
	for (; i < n; i++)
		total += p[i];
	for (k = 0; k < 8; k++)
		total += lane[k];
	return total;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, bytes = 0, sum = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: bareloop FILE\n");
		return 2;
	}
	memset(err, 0, sizeof(err));
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "bareloop: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
		sum += sum_bytes(data, h->caplen);
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "bareloop: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("packets=%llu bytes=%llu sum=%llu\n", (unsigned long long)packets,
	       (unsigned long long)bytes, (unsigned long long)sum);
	return 0;
}
