/*
 * addr_prefix.h - an address prefix ("192.0.2.0/24", "2001:db8::/32", or a
 * single address) over the 16-byte form of struct mx_addr, where an IPv4
 * prefix length counts within the IPv4-mapped block.
 */
#ifndef MX_ADDR_PREFIX_H
#define MX_ADDR_PREFIX_H

#include "util/common.h"

struct mx_prefix {
	struct mx_addr addr; /* host bits cleared */
	uint8_t bits;	     /* 0..128, over the 16-byte form */
};

/*
 * Parses "ADDRESS" or "ADDRESS/LEN" (LEN 0..32 for IPv4, 0..128 for IPv6);
 * false when s is neither.
 */
bool mx_prefix_parse(struct mx_prefix *p, const char *s);

/* True when a lies inside p. */
bool mx_prefix_match(const struct mx_prefix *p, const struct mx_addr *a);

/* Writes "ADDRESS" (full length) or "ADDRESS/LEN" into buf. */
const char *mx_prefix_str(const struct mx_prefix *p, char *buf, size_t len);

#endif
