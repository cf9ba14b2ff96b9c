/*
 * name.h - the one way host and DNS names are compared: ASCII-only lower
 * case (never the locale's), one trailing dot dropped, and the RFC 6125
 * wildcard ("*." standing for exactly one left-most label).
 */
#ifndef MX_NAME_H
#define MX_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* c in lower case when it is an ASCII capital; every other byte as it is. */
static inline char mx_ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/*
 * Writes name[0..len) to out in ASCII lower case without one trailing
 * dot, NUL-terminated. Returns the length written, or (size_t)-1 (out
 * untouched past out[0] = '\0') when it does not fit in cap bytes.
 */
size_t mx_name_fold(const char *name, size_t len, char *out, size_t cap);

/*
 * True when certificate name pattern names host (both without a trailing
 * dot, case ignored): equal, or pattern "*.rest" and host one non-empty
 * label followed by ".rest". No partial-label wildcards ("f*.example").
 */
bool mx_host_wildcard_match(const char *pattern, const char *host);

#endif
