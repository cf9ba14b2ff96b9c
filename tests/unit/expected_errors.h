/*
 * expected_errors.h - for the loader tests: where tests/ is, and the
 * comparison of the errors a loader reported with the "# expect: L:C: msg"
 * lines (error in the fixture itself) and "# expect-file: NAME:L:C: msg"
 * lines (error in a file beside it) written in the fixture, and the walk
 * over the fixtures of tests/config. Header-only: each test program
 * includes it once.
 */
#ifndef MX_EXPECTED_ERRORS_H
#define MX_EXPECTED_ERRORS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/yaml_doc.h"

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

/* Called by each_fixture with the fixture directory and one fixture's path. */
typedef void (*fixture_fn)(const char *dir, const char *path, void *ctx);

/*
 * Runs fn on every file of tests/config (MX_TEST_CONFIG_DIR, when set,
 * names another directory) whose name starts with prefix and ends with one
 * of suffixes (NULL-terminated), from the test at compile-time path file
 * named self below tests/ (see tests_dir). Returns how many ran; fails the
 * test when the directory cannot be read.
 */
static inline size_t each_fixture(const char *file, const char *self, const char *prefix,
				  const char *const *suffixes, fixture_fn fn, void *ctx)
{
	const char *env = getenv("MX_TEST_CONFIG_DIR");
	char tdir[1024], dir[1100], path[2048];
	struct dirent *e;
	size_t count = 0;
	DIR *d;

	tests_dir(file, self, tdir, sizeof(tdir));
	if (env != NULL)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%s/config", tdir);
	d = opendir(dir);
	if (d == NULL)
		fail_msg("cannot open fixture directory %s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		bool wanted = false;

		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		for (size_t i = 0; suffixes[i] != NULL && !wanted; i++) {
			size_t sl = strlen(suffixes[i]);

			wanted = l > sl && strcmp(e->d_name + l - sl, suffixes[i]) == 0;
		}
		if (!wanted)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fn(dir, path, ctx);
		count++;
	}
	closedir(d);
	return count;
}

#endif
