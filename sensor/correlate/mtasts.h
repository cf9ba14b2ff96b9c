/*
 * mtasts.h - MTA-STS (RFC 8461) policy text parsing and MX host pattern
 * matching, plus the host name normalisation every policy lookup uses.
 *
 * Patterns come in three kinds: an exact host name; RFC 8461's "*.rest",
 * whose "*" stands for exactly one left-most label; and the
 * STARTTLS-Everywhere list's ".rest", a suffix matching any number of
 * labels in front of "rest" (but not "rest" itself). Matching is
 * case-insensitive and ignores one trailing dot on the host.
 */
#ifndef MX_MTASTS_H
#define MX_MTASTS_H

#include "conf/yaml_doc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MX_HOST_MAX 253 /* bytes of a host name without the trailing dot */

/*
 * Copies host name in[0..len) into out (MX_HOST_MAX + 1 bytes) in lower
 * case without a trailing dot and checks it is a letter-digit-hyphen name
 * (labels of 1..63 bytes, starting and ending with a letter or digit,
 * underscores allowed for service labels when allow_underscore). Returns
 * the length, or -1 with *why set to a static reason.
 */
int mtasts_host_normalize(const char *in, size_t len, bool allow_underscore, char *out,
			  const char **why);

enum mx_pattern_kind {
	MX_PATTERN_EXACT,    /* "mx1.example.test" */
	MX_PATTERN_WILDCARD, /* "*.example.test": one label in front */
	MX_PATTERN_SUFFIX,   /* ".example.test": one or more labels in front */
};

struct mx_pattern {
	uint8_t kind;		    /* enum mx_pattern_kind */
	uint8_t len;		    /* bytes of name */
	char name[MX_HOST_MAX + 1]; /* lower case, without "*." or "." */
};

enum mx_pattern_syntax {
	MX_SYNTAX_MTASTS,	       /* exact or "*." (RFC 8461 section 3.2) */
	MX_SYNTAX_STARTTLS_EVERYWHERE, /* exact or "." suffix */
};

/*
 * Parses pattern s[0..len) written in the given syntax. Any other "*",
 * an empty label or a malformed name is refused: false with *why set.
 */
bool mtasts_pattern_parse(const char *s, size_t len, enum mx_pattern_syntax syntax,
			  struct mx_pattern *out, const char **why);

/* True when host[0..len) matches p (case-insensitive, trailing dot ignored). */
bool mtasts_pattern_match(const struct mx_pattern *p, const char *host, size_t len);

/* Writes the pattern as it would be written in its syntax ("*.x", ".x", "x"). */
const char *mtasts_pattern_str(const struct mx_pattern *p, char *buf, size_t len);

enum mtasts_mode { MTASTS_MODE_NONE, MTASTS_MODE_TESTING, MTASTS_MODE_ENFORCE };

/* "none", "testing", "enforce". */
const char *mtasts_mode_name(enum mtasts_mode m);

/* Parses an exact, case-sensitive mode name as RFC 8461 spells it. */
bool mtasts_mode_parse(const char *s, enum mtasts_mode *m);

#define MTASTS_MAX_AGE_MAX 31557600u /* RFC 8461: at most about a year */
#define MTASTS_MAX_MX	   256	     /* mx patterns accepted in one policy */
#define MTASTS_MAX_TEXT	   65536     /* bytes of a policy body read */

struct mtasts_policy {
	enum mtasts_mode mode;
	uint32_t max_age;
	struct mx_pattern *mx; /* n_mx patterns, owned */
	size_t n_mx;
};

/*
 * Parses an RFC 8461 policy body (lines "key: value" ending in LF or CRLF,
 * version STSv1, mode, max_age, one or more mx; unknown extension fields
 * are ignored as the RFC asks). Every problem is reported into errs as
 * "NAME:LINE:COLUMN: message"; returns true only when there was none, and
 * only then fills *out (release it with mtasts_policy_free).
 */
bool mtasts_parse_text(const char *name, const char *text, size_t len, struct mtasts_policy *out,
		       struct mx_errors *errs);

/* Releases the patterns of p and zeroes it. */
void mtasts_policy_free(struct mtasts_policy *p);

/* True when host matches one of the policy's mx patterns. */
bool mtasts_policy_mx_match(const struct mtasts_policy *p, const char *host);

#endif
