/*
 * addr_prefix.c - address prefixes; see addr_prefix.h.
 */
#include "util/addr_prefix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void clear_host_bits(struct mx_addr *a, unsigned bits)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;

		if (bits >= lo + 8)
			continue;
		a->b[i] &= bits <= lo ? 0 : (uint8_t)(0xffu << (8 - (bits - lo)));
	}
}

bool mx_prefix_parse(struct mx_prefix *p, const char *s)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;
	bool v4;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!mx_addr_parse(&p->addr, buf))
		return false;
	v4 = strchr(buf, ':') == NULL;
	if (slash == NULL) {
		p->bits = 128;
		return true;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return false;
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || len > (v4 ? 32u : 128u))
		return false;
	p->bits = (uint8_t)(v4 ? len + 96 : len);
	clear_host_bits(&p->addr, p->bits);
	return true;
}

bool mx_prefix_match(const struct mx_prefix *p, const struct mx_addr *a)
{
	struct mx_addr m = *a;

	clear_host_bits(&m, p->bits);
	return mx_addr_cmp(&m, &p->addr) == 0;
}

const char *mx_prefix_str(const struct mx_prefix *p, char *buf, size_t len)
{
	char a[64];
	bool v4 = mx_addr_is_v4(&p->addr) && p->bits >= 96;

	mx_addr_str(&p->addr, a, sizeof(a));
	if (p->bits == 128)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, v4 ? p->bits - 96u : p->bits);
	return buf;
}
