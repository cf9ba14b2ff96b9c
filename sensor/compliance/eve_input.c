/*
 * eve_input.c - EVE files, gzip and directories for the report; see
 * eve_input.h.
 */
#include "compliance/eve_input.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define LINE_MAX_BYTES	(16u << 20) /* an EVE line longer than this is garbage */
#define GARBAGE_NAMED	3	    /* bad lines named per file */
#define DIR_MAX_ENTRIES 100000
#define DIR_MAX_DEPTH	8

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}

/* Reads one line of any length up to LINE_MAX_BYTES into *buf; NULL at the end. */
static char *read_line(gzFile g, char **buf, size_t *cap, bool *too_long)
{
	size_t len = 0;

	*too_long = false;
	for (;;) {
		if (*cap - len < 2) {
			size_t ncap = *cap ? *cap * 2 : 65536;
			char *n;

			if (ncap > LINE_MAX_BYTES + 2) {
				/* skip the rest of the line */
				int c;

				while ((c = gzgetc(g)) != -1 && c != '\n')
					;
				*too_long = true;
				(*buf)[0] = '\0';
				return *buf;
			}
			n = realloc(*buf, ncap);
			if (n == NULL)
				return NULL;
			*buf = n;
			*cap = ncap;
		}
		if (gzgets(g, *buf + len, (int)(*cap - len)) == NULL)
			return len > 0 ? *buf : NULL;
		len += strlen(*buf + len);
		if (len > 0 && (*buf)[len - 1] == '\n')
			return *buf;
	}
}

static bool read_file(const char *path, eve_record_fn fn, void *ctx, struct eve_input_stats *st)
{
	gzFile g = gzopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;
	uint64_t lineno = 0, bad = 0, good = 0;
	bool too_long, ok = true;
	int zerr;
	const char *zmsg;

	if (g == NULL) {
		fprintf(stderr, "mxsentry report: %s: %s\n", path,
			errno ? strerror(errno) : "cannot open");
		return false;
	}
	st->files++;
	while (read_line(g, &buf, &cap, &too_long) != NULL) {
		json_t *rec;
		json_error_t jerr;

		lineno++;
		st->lines++;
		if (!too_long && is_blank(buf))
			continue;
		rec = too_long ? NULL : json_loads(buf, JSON_REJECT_DUPLICATES, &jerr);
		if (rec == NULL || !json_is_object(rec)) {
			if (bad < GARBAGE_NAMED)
				fprintf(stderr,
					"mxsentry report: %s:%llu: not an EVE record (%s); "
					"skipped\n",
					path, (unsigned long long)lineno,
					too_long      ? "line too long"
					: rec == NULL ? jerr.text
						      : "not a JSON object");
			bad++;
			json_decref(rec);
			continue;
		}
		good++;
		st->records++;
		fn(ctx, rec);
		json_decref(rec);
	}
	zmsg = gzerror(g, &zerr);
	if (zerr != Z_OK && zerr != Z_STREAM_END) {
		fprintf(stderr,
			"mxsentry report: %s: %s after line %llu (gzip data truncated or "
			"corrupt); the records before it are used\n",
			path, zmsg != NULL && zmsg[0] ? zmsg : "read error",
			(unsigned long long)lineno);
		ok = false;
	}
	if (bad > GARBAGE_NAMED)
		fprintf(stderr, "mxsentry report: %s: %llu more lines that are not EVE records\n",
			path, (unsigned long long)(bad - GARBAGE_NAMED));
	if (bad > 0 && good == 0)
		fprintf(stderr, "mxsentry report: %s: no EVE record in %llu line%s\n", path,
			(unsigned long long)lineno, lineno == 1 ? "" : "s");
	if (lineno == 0 && ok) {
		fprintf(stderr, "mxsentry report: %s: empty\n", path);
		st->empty_files++;
	}
	st->garbage += bad;
	free(buf);
	gzclose(g);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool read_path(const char *path, eve_record_fn fn, void *ctx, struct eve_input_stats *st,
		      int depth);

static bool read_dir(const char *path, eve_record_fn fn, void *ctx, struct eve_input_stats *st,
		     int depth)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;

	if (d == NULL) {
		fprintf(stderr, "mxsentry report: %s: %s\n", path, strerror(errno));
		return false;
	}
	while ((de = readdir(d)) != NULL && n < DIR_MAX_ENTRIES) {
		char *full;

		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 64) * sizeof(*names));

			if (nn == NULL)
				break;
			names = nn;
			cap = cap ? cap * 2 : 64;
		}
		if (asprintf(&full, "%s/%s", path, de->d_name) < 0)
			break;
		names[n++] = full;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		ok &= read_path(names[i], fn, ctx, st, depth + 1);
		free(names[i]);
	}
	free(names);
	return ok;
}

static bool read_path(const char *path, eve_record_fn fn, void *ctx, struct eve_input_stats *st,
		      int depth)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "mxsentry report: %s: %s\n", path, strerror(errno));
		return false;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (depth >= DIR_MAX_DEPTH) {
			fprintf(stderr, "mxsentry report: %s: directories nested too deep\n", path);
			return false;
		}
		return read_dir(path, fn, ctx, st, depth);
	}
	return read_file(path, fn, ctx, st);
}

bool eve_input_read(const char *path, eve_record_fn fn, void *ctx, struct eve_input_stats *st)
{
	return read_path(path, fn, ctx, st, 0);
}
