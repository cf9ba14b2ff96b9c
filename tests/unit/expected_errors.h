/*
 * expected_errors.h - for the loader tests: where tests/ is, and the
 * comparison of the errors a loader reported with the "# expect: L:C: msg"
 * lines (error in the fixture itself) and "# expect-file: NAME:L:C: msg"
 * lines (error in a file beside it) written in the fixture. Header-only:
 * each test program includes it once.
 */
#ifndef MX_EXPECTED_ERRORS_H
#define MX_EXPECTED_ERRORS_H

#include <stdio.h>
#include <string.h>

#include "yaml_doc.h"

/* The tests/ directory, from the compile-time path `file` of the test whose
   name below tests/ is `self` (e.g. "unit/test_rules.c"). */
static inline void tests_dir(const char *file, const char *self, char *buf, size_t len)
{
	const char *unit = strstr(file, self);

	if (unit == NULL || unit == file)
		snprintf(buf, len, "..");
	else
		snprintf(buf, len, "%.*s", (int)(unit - file - 1), file);
}

/* Replaces the first `token` in s (cap bytes) by `with`. */
static inline void replace_token(char *s, size_t cap, const char *token, const char *with)
{
	char *at = strstr(s, token);
	char tail[1024];

	if (at == NULL)
		return;
	snprintf(tail, sizeof(tail), "%s", at + strlen(token));
	snprintf(at, cap - (size_t)(at - s), "%s%s", with, tail);
}

/*
 * Reads the expectations of the fixture at path, in order; `token` (may be
 * NULL) in them stands for path; expect-file names are below dir.
 */
static inline size_t read_expects(const char *dir, const char *path, const char *token,
			   char exp[][MX_ERROR_LEN], size_t max)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL && n < max) {
		size_t l = strlen(line);
		int r = 0;

		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (strncmp(line, "# expect: ", 10) == 0)
			r = snprintf(exp[n++], MX_ERROR_LEN, "%s:%s", path, line + 10);
		else if (strncmp(line, "# expect-file: ", 15) == 0 && dir != NULL)
			r = snprintf(exp[n++], MX_ERROR_LEN, "%s/%s", dir, line + 15);
		else
			continue;
		assert_true(r > 0 && r < MX_ERROR_LEN);
		if (token != NULL)
			replace_token(exp[n - 1], MX_ERROR_LEN, token, path);
	}
	fclose(f);
	return n;
}

/* Fails unless errs holds exactly the fixture's expected errors, in order. */
static inline void compare_errors(const char *dir, const char *path, const char *token,
			   const struct mx_errors *errs)
{
	char exp[16][MX_ERROR_LEN];
	size_t n = read_expects(dir, path, token, exp, 16);

	if (n == 0)
		fail_msg("%s has no '# expect:' line", path);
	for (size_t i = 0; i < n || i < mx_errors_count(errs); i++) {
		const char *got = mx_errors_get(errs, i);

		if (i >= n)
			fail_msg("%s: unexpected error: %s", path, got ? got : "?");
		if (got == NULL)
			fail_msg("%s: missing error: %s", path, exp[i]);
		if (strcmp(got, exp[i]) != 0)
			fail_msg("%s: error %zu\n  got:      %s\n  expected: %s", path, i, got,
				 exp[i]);
	}
}

#endif
