/*
 * netset.c - CIDR parsing and matching, and sets of ranges; see netset.h.
 */
#include "util/netset.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool mx_cidr_parse(const char *s, struct mx_addr *net, uint8_t *prefix, const char **why)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned plen, max;
	bool v4;

	if (alen == 0 || alen >= sizeof(buf)) {
		*why = "not an address";
		return false;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (!mx_addr_parse(net, buf)) {
		*why = "not an IPv4 or IPv6 address";
		return false;
	}
	v4 = strchr(buf, ':') == NULL;
	max = v4 ? 32 : 128;
	plen = max;
	if (slash != NULL) {
		const char *p = slash + 1;

		if (*p == '\0' || strlen(p) > 3) {
			*why = "bad prefix length";
			return false;
		}
		plen = 0;
		for (; *p != '\0'; p++) {
			if (*p < '0' || *p > '9') {
				*why = "bad prefix length";
				return false;
			}
			plen = plen * 10 + (unsigned)(*p - '0');
		}
		if (plen > max) {
			*why = v4 ? "prefix length above 32" : "prefix length above 128";
			return false;
		}
	}
	if (v4)
		plen += 96;
	for (unsigned bit = plen; bit < 128; bit++) {
		if (net->b[bit / 8] & (0x80 >> (bit % 8))) {
			*why = "host bits set beyond the prefix length";
			return false;
		}
	}
	*prefix = (uint8_t)plen;
	return true;
}

bool mx_cidr_match(const struct mx_addr *net, uint8_t prefix, const struct mx_addr *a)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(net->b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((net->b[full] ^ a->b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool mx_netset_add_list(struct mx_netset *s, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	char item[64];

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '[')
		p++;
	for (;;) {
		const char *start, *end;
		size_t n;
		const char *why;

		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (*p == '\0' || *p == ']')
			break;
		start = p;
		while (*p != '\0' && *p != ',' && *p != ']' && !isspace((unsigned char)*p))
			p++;
		end = p;
		n = (size_t)(end - start);
		if (n >= sizeof(item)) {
			snprintf(err, errlen, "'%.40s...' is not an address range", start);
			return false;
		}
		memcpy(item, start, n);
		item[n] = '\0';
		if (s->n == MX_NETSET_MAX) {
			snprintf(err, errlen, "more than %d address ranges", MX_NETSET_MAX);
			return false;
		}
		if (!mx_cidr_parse(item, &s->net[s->n], &s->prefix[s->n], &why)) {
			snprintf(err, errlen, "bad address range '%s': %s", item, why);
			return false;
		}
		s->n++;
	}
	return true;
}

bool mx_netset_contains(const struct mx_netset *s, const struct mx_addr *a)
{
	for (size_t i = 0; i < s->n; i++)
		if (mx_cidr_match(&s->net[i], s->prefix[i], a))
			return true;
	return false;
}
