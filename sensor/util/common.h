/*
 * common.h - small shared types of every mxsentry stage: addresses,
 * directions, the counter description table and stats source each stage
 * exports for the stats record, and bounded-buffer helpers.
 */
#ifndef MX_COMMON_H
#define MX_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MX_MIN(a, b)	((a) < (b) ? (a) : (b))
#define MX_MAX(a, b)	((a) > (b) ? (a) : (b))

/* Microseconds per second: packet time is kept in microseconds. */
#define MX_USEC 1000000ULL

/*
 * An IP address. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so both
 * families compare and hash the same way.
 */
struct mx_addr {
	uint8_t b[16];
};

/* Fills *a with the IPv4-mapped form of the 4 bytes at v4. */
void mx_addr_from_v4(struct mx_addr *a, const uint8_t v4[4]);
/* Fills *a with the 16 bytes at v6. */
void mx_addr_from_v6(struct mx_addr *a, const uint8_t v6[16]);
/* True when a holds an IPv4-mapped address. */
bool mx_addr_is_v4(const struct mx_addr *a);
/* Writes the printable form (dotted quad or RFC 5952 IPv6) into buf. */
const char *mx_addr_str(const struct mx_addr *a, char *buf, size_t len);
/* Parses a printable IPv4 or IPv6 address; false when it is not one. */
bool mx_addr_parse(struct mx_addr *a, const char *s);
/* memcmp-style ordering of two addresses. */
int mx_addr_cmp(const struct mx_addr *x, const struct mx_addr *y);

/*
 * Direction of a packet or an alert within its flow: MX_TOSERVER goes
 * from the client (the initiator) to the server, MX_TOCLIENT back.
 * flow/flow.h's FLOW_TOSERVER and FLOW_TOCLIENT are the same values.
 */
enum mx_dir { MX_TOSERVER = 0, MX_TOCLIENT = 1 };

/*
 * Copies src into dst (size bytes), cutting it to fit and always
 * terminating it; returns strlen(src) so a cut shows as >= size.
 */
size_t mx_strlcpy(char *dst, const char *src, size_t size);

/* The time of clock clk (CLOCK_REALTIME, CLOCK_MONOTONIC, ...) in microseconds. */
uint64_t mx_clock_us(clockid_t clk);

/*
 * Writes n bytes as lowercase hex into out (outlen bytes, always
 * terminated, cut on a byte boundary), sep between bytes when not 0.
 */
void mx_hex(const uint8_t *b, size_t n, char *out, size_t outlen, char sep);

/*
 * One counter of a stage, for the EVE stats record: `name` is the dotted
 * path below "stats" (Suricata's name where Suricata has one, e.g.
 * "decoder.pkts"), `offset` the offset of a uint64_t in the stage's
 * counters struct. Tables end with a {NULL, 0} entry.
 */
struct mx_counter_desc {
	const char *name;
	size_t offset;
};

#define MX_COUNTER(path, type, field)                                                              \
	{                                                                                          \
		path, offsetof(type, field)                                                        \
	}

/* One stage's counters: the struct at `base`, described by `desc`. */
struct stats_source {
	const void *base;
	const struct mx_counter_desc *desc;
};

/* Reads counter `d` out of the counters struct at base. */
static inline uint64_t mx_counter_get(const void *base, const struct mx_counter_desc *d)
{
	return *(const uint64_t *)(const void *)((const char *)base + d->offset);
}

#endif
