/*
 * common.c - address helpers shared by every stage.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void mx_addr_from_v4(struct mx_addr *a, const uint8_t v4[4])
{
	memcpy(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(a->b + 12, v4, 4);
}

void mx_addr_from_v6(struct mx_addr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
}

bool mx_addr_is_v4(const struct mx_addr *a)
{
	return memcmp(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

const char *mx_addr_str(const struct mx_addr *a, char *buf, size_t len)
{
	const char *r;

	if (mx_addr_is_v4(a))
		r = inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len);
	else
		r = inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	if (r == NULL && len > 0)
		buf[0] = '\0';
	return buf;
}

bool mx_addr_parse(struct mx_addr *a, const char *s)
{
	uint8_t tmp[16];

	if (inet_pton(AF_INET, s, tmp) == 1) {
		mx_addr_from_v4(a, tmp);
		return true;
	}
	if (inet_pton(AF_INET6, s, tmp) == 1) {
		mx_addr_from_v6(a, tmp);
		return true;
	}
	return false;
}

int mx_addr_cmp(const struct mx_addr *x, const struct mx_addr *y)
{
	return memcmp(x->b, y->b, sizeof(x->b));
}

size_t mx_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

uint64_t mx_clock_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * MX_USEC + (uint64_t)ts.tv_nsec / 1000;
}

void mx_hex(const uint8_t *b, size_t n, char *out, size_t outlen, char sep)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	if (outlen == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		size_t need = (sep && i > 0 ? 1 : 0) + 2;

		if (o + need >= outlen)
			break;
		if (sep && i > 0)
			out[o++] = sep;
		out[o++] = digits[b[i] >> 4];
		out[o++] = digits[b[i] & 15];
	}
	out[o] = '\0';
}
