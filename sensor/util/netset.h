/*
 * netset.h - address ranges: one CIDR (IPv4 or IPv6) and a bounded set of
 * them, such as home-net (our side of the link, Suricata's HOME_NET) and
 * mail-relays (our sending MTAs).
 */
#ifndef MX_NETSET_H
#define MX_NETSET_H

#include "util/common.h"

#define MX_NETSET_MAX 64

/*
 * Parses "ADDR" or "ADDR/LEN" (IPv4 or IPv6). The prefix is returned over
 * the IPv4-mapped form (an IPv4 /24 is 120). False with a reason in *why
 * when it is not one, or has host bits set beyond the prefix.
 */
bool mx_cidr_parse(const char *s, struct mx_addr *net, uint8_t *prefix, const char **why);

/* True when a lies in net/prefix (prefix as mx_cidr_parse returns it). */
bool mx_cidr_match(const struct mx_addr *net, uint8_t prefix, const struct mx_addr *a);

struct mx_netset {
	size_t n;
	struct mx_addr net[MX_NETSET_MAX];
	uint8_t prefix[MX_NETSET_MAX];
};

/*
 * Adds the ranges of a comma-separated list, optionally in brackets
 * ("[192.0.2.0/24, 2001:db8::/32]"). False with a message in err (the set
 * then holds the entries before the bad one) on a bad entry or a full set.
 */
bool mx_netset_add_list(struct mx_netset *s, const char *list, char *err, size_t errlen);

/* True when a lies in one of the ranges of s. */
bool mx_netset_contains(const struct mx_netset *s, const struct mx_addr *a);

#endif
