/*
 * stats.c - gathers counter tables into the nested EVE stats record.
 */
#include "output/stats.h"

#include <stdlib.h>
#include <string.h>

struct named_value {
	const char *name;
	uint64_t value;
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named_value *)a)->name, ((const struct named_value *)b)->name);
}

/* Length of the first `depth` dotted components of name (without the dot). */
static size_t prefix_len(const char *name, int depth)
{
	size_t i = 0;

	for (int d = 0; name[i] != '\0'; i++)
		if (name[i] == '.' && ++d == depth)
			return i;
	return i;
}

static int count_dots(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '.';
	return n;
}

/* Number of leading path components (objects) name shares with prev. */
static int shared_objects(const char *prev, const char *name)
{
	int shared = 0;
	int max = MX_MIN(count_dots(prev), count_dots(name));

	for (int d = 1; d <= max; d++) {
		size_t lp = prefix_len(prev, d), ln = prefix_len(name, d);

		if (lp != ln || memcmp(prev, name, lp) != 0)
			break;
		shared = d;
	}
	return shared;
}

void stats_write(struct eve *e, uint64_t ts_us, uint64_t uptime_s, const struct stats_source *src,
		 size_t nsrc)
{
	static struct named_value v[STATS_MAX_COUNTERS];
	size_t n = 0, dropped = 0;
	int open = 0;
	const char *prev = "";

	for (size_t s = 0; s < nsrc; s++) {
		for (const struct mx_counter_desc *d = src[s].desc; d->name != NULL; d++) {
			if (n == STATS_MAX_COUNTERS) {
				dropped++;
				continue;
			}
			v[n].name = d->name;
			v[n].value = mx_counter_get(src[s].base, d);
			n++;
		}
	}
	qsort(v, n, sizeof(v[0]), cmp_named);

	eve_begin(e, EVE_STATS, ts_us, NULL, 0, NULL);
	eve_obj_begin(e, "stats");
	eve_u64(e, "uptime", uptime_s);
	for (size_t i = 0; i < n; i++) {
		const char *name = v[i].name;
		int keep = shared_objects(prev, name);
		int depth = count_dots(name);
		char part[128];

		/* Two tables naming the same counter: sum them. */
		if (i + 1 < n && strcmp(name, v[i + 1].name) == 0) {
			v[i + 1].value += v[i].value;
			continue;
		}
		for (; open > keep; open--)
			eve_obj_end(e);
		for (int d = open + 1; d <= depth; d++) {
			size_t start = d == 1 ? 0 : prefix_len(name, d - 1) + 1;
			size_t end = prefix_len(name, d);
			size_t l = MX_MIN(end - start, sizeof(part) - 1);

			memcpy(part, name + start, l);
			part[l] = '\0';
			eve_obj_begin(e, part);
			open++;
		}
		eve_u64(e, name + (depth == 0 ? 0 : prefix_len(name, depth) + 1), v[i].value);
		prev = name;
	}
	for (; open > 0; open--)
		eve_obj_end(e);
	if (dropped)
		eve_u64(e, "counters_left_out", dropped);
	eve_obj_end(e);
	eve_commit(e);
}

uint64_t stats_get(const struct stats_source *src, size_t nsrc, const char *name)
{
	uint64_t sum = 0;

	for (size_t s = 0; s < nsrc; s++)
		for (const struct mx_counter_desc *d = src[s].desc; d->name != NULL; d++)
			if (strcmp(d->name, name) == 0)
				sum += mx_counter_get(src[s].base, d);
	return sum;
}
