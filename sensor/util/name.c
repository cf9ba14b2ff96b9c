/*
 * name.c - ASCII name folding and the certificate wildcard match.
 */
#include "util/name.h"

#include <string.h>

size_t mx_name_fold(const char *name, size_t len, char *out, size_t cap)
{
	if (cap == 0)
		return (size_t)-1;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len >= cap) {
		out[0] = '\0';
		return (size_t)-1;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = mx_ascii_lower(name[i]);
	out[len] = '\0';
	return len;
}

/* Case-insensitive ASCII equality that ignores the locale. */
static bool eq_ascii(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (mx_ascii_lower(*a) != mx_ascii_lower(*b))
			return false;
	return *a == *b;
}

bool mx_host_wildcard_match(const char *pattern, const char *host)
{
	const char *dot;

	if (eq_ascii(pattern, host))
		return true;
	if (strncmp(pattern, "*.", 2) != 0)
		return false;
	dot = strchr(host, '.');
	return dot != NULL && dot != host && eq_ascii(dot + 1, pattern + 2);
}
