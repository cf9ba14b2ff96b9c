/*
 * state_show.c - `mxsentry state show [--state FILE | -c CONFIG] [NAME]`:
 * what the SQLite state store knows about a domain, an MX host, a zone or
 * a server address, and where each fact came from. It opens the file
 * read-only, so it also works beside a running sensor (WAL readers do not
 * block the writer). A shared store (--state redis://...) is read once
 * into an in-memory table of the same layout and shown the same way.
 *
 * For a domain it follows the facts: the domain's MX set and _mta-sts id,
 * then for each MX host its addresses, TLSA records and the domains that
 * named it, then for each address the server's history, and the DNSSEC
 * keys and DS of the name's zones up to the root.
 */
#include "run/state_show.h"

#include "conf/config.h"
#include "state/state.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHOW_MAX_KEYS 256

struct keyset {
	size_t n;
	char key[SHOW_MAX_KEYS][STATE_KEY_MAX];
};

static void key_add(struct keyset *k, const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->key[i], key) == 0)
			return;
	if (k->n < SHOW_MAX_KEYS)
		mx_strlcpy(k->key[k->n++], key, STATE_KEY_MAX);
}

static void put_time(FILE *out, const char *label, sqlite3_int64 us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "    %-8s %s.%06lldZ (packet time)\n", label, buf, (long long)(us % 1000000));
}

/* Prints the rows of stmt (kind, key, value, learned, expires, source, trust); how many. */
static size_t print_rows(sqlite3_stmt *s, FILE *out)
{
	size_t n = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		fprintf(out, "%s %s\n", sqlite3_column_text(s, 0), sqlite3_column_text(s, 1));
		fprintf(out, "    %-8s %s\n", "source", sqlite3_column_text(s, 5));
		fprintf(out, "    %-8s %s\n", "trust", sqlite3_column_text(s, 6));
		put_time(out, "learned", sqlite3_column_int64(s, 3));
		put_time(out, "expires", sqlite3_column_int64(s, 4));
		fprintf(out, "    %-8s %s\n", "value", sqlite3_column_text(s, 2));
		n++;
	}
	sqlite3_reset(s);
	return n;
}

/* Adds the values a JSON path of the facts of kind/key lists (json_each). */
static void collect(sqlite3 *db, const char *sql, const char *key, struct keyset *into)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		if (sqlite3_column_text(s, 0) != NULL)
			key_add(into, (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

#define COLS "kind, key, value, learned_us, expires_us, source, trust"

static int show_name(sqlite3 *db, const char *name, FILE *out)
{
	struct keyset keys = {0};
	sqlite3_stmt *by_key = NULL, *zone = NULL;
	size_t shown = 0;
	char n[STATE_KEY_MAX];
	size_t len;

	mx_strlcpy(n, name, sizeof(n));
	for (char *p = n; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	len = strlen(n);
	if (len > 1 && n[len - 1] == '.')
		n[len - 1] = '\0';
	key_add(&keys, n);
	/* MX hosts of the domain, then their addresses. */
	collect(db,
		"SELECT json_extract(j.value, '$[1]') FROM facts, json_each(facts.value, '$.mx') j "
		"WHERE facts.kind = 'mx' AND facts.key = ?1",
		n, &keys);
	for (size_t i = 0; i < keys.n; i++)
		collect(db,
			"SELECT j.value FROM facts, json_each(facts.value, '$.addrs') j "
			"WHERE facts.kind = 'addrs' AND facts.key = ?1",
			keys.key[i], &keys);
	if (sqlite3_prepare_v2(db,
			       "SELECT " COLS " FROM facts WHERE kind NOT IN ('dnskey', 'ds', "
			       "'insecure') AND (key = ?1 OR (kind = 'tlsa' AND "
			       "substr(key, 1, length(?1) + 1) = ?1 || ':')) ORDER BY kind, key",
			       -1, &by_key, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT " COLS " FROM facts WHERE kind IN ('dnskey', 'ds', "
			       "'insecure') AND key = ?1 ORDER BY kind",
			       -1, &zone, NULL) != SQLITE_OK) {
		fprintf(stderr, "mxsentry state: %s\n", sqlite3_errmsg(db));
		sqlite3_finalize(by_key);
		return 1;
	}
	for (size_t i = 0; i < keys.n; i++) {
		sqlite3_bind_text(by_key, 1, keys.key[i], -1, SQLITE_STATIC);
		shown += print_rows(by_key, out);
	}
	/* The zones of the name, up to the root. */
	for (const char *z = n;;) {
		const char *dot = strchr(z, '.');

		sqlite3_bind_text(zone, 1, z, -1, SQLITE_STATIC);
		shown += print_rows(zone, out);
		if (strcmp(z, ".") == 0)
			break;
		z = dot != NULL && dot[1] != '\0' ? dot + 1 : ".";
	}
	sqlite3_finalize(by_key);
	sqlite3_finalize(zone);
	if (shown == 0)
		fprintf(out, "nothing known about %s\n", n);
	return 0;
}

static int show_all(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db,
			       "SELECT kind, count(*), min(learned_us), max(learned_us) FROM facts "
			       "GROUP BY kind ORDER BY kind",
			       -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "mxsentry state: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	fprintf(out, "%-14s %8s\n", "kind", "facts");
	while (sqlite3_step(s) == SQLITE_ROW)
		fprintf(out, "%-14s %8lld\n", sqlite3_column_text(s, 0),
			(long long)sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT kind, key, source FROM facts ORDER BY kind, key", -1, &s,
			       NULL) != SQLITE_OK)
		return 1;
	fprintf(out, "\n");
	while (sqlite3_step(s) == SQLITE_ROW)
		fprintf(out, "%-14s %s  (%s)\n", sqlite3_column_text(s, 0),
			sqlite3_column_text(s, 1), sqlite3_column_text(s, 2));
	sqlite3_finalize(s);
	return 0;
}

static bool copy_fact(void *arg, const struct state_fact *f)
{
	sqlite3_stmt *ins = arg;
	bool ok;

	sqlite3_reset(ins);
	sqlite3_bind_text(ins, 1, state_kind_name(f->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, f->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, f->value, (int)f->value_len, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 4, (sqlite3_int64)MX_MIN(f->learned_us, INT64_MAX));
	sqlite3_bind_int64(ins, 5, (sqlite3_int64)MX_MIN(f->expires_us, INT64_MAX));
	sqlite3_bind_text(ins, 6, f->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 7, f->trust, -1, SQLITE_STATIC);
	ok = sqlite3_step(ins) == SQLITE_DONE;
	sqlite3_reset(ins);
	return ok;
}

/*
 * A shared store (redis://, unix://): its facts loaded into an in-memory
 * table of the SQLite layout, which the same queries then read. NULL with
 * a message on stderr.
 */
static sqlite3 *open_shared(const char *spec)
{
	struct state_config cfg;
	struct state *st;
	sqlite3_stmt *ins = NULL;
	sqlite3 *db = NULL;
	char err[512] = "";
	bool ok;

	state_config_defaults(&cfg);
	cfg.max_rows = 0;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "CREATE TABLE facts (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT "
			 "NOT NULL, learned_us INTEGER NOT NULL, expires_us INTEGER NOT NULL, "
			 "source TEXT NOT NULL, trust TEXT NOT NULL, PRIMARY KEY (kind, key))",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO facts VALUES (?1,?2,?3,?4,?5,?6,?7)", -1,
			       &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "mxsentry state: %s\n",
			db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	st = state_open(spec, &cfg, err, sizeof(err));
	ok = st != NULL && state_load(st, copy_fact, ins, err, sizeof(err));
	state_close(st);
	sqlite3_finalize(ins);
	if (!ok) {
		fprintf(stderr, "mxsentry state: %s\n", err[0] ? err : "cannot load");
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void show_usage(FILE *out)
{
	fprintf(out,
		"usage: mxsentry state show [--state FILE | -c CONFIG] [DOMAIN|HOST|ADDRESS]\n");
}

int state_show_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"state", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *config = NULL;
	struct mx_config cfg;
	sqlite3 *db = NULL;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "show") != 0) {
		show_usage(stderr);
		return 2;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			show_usage(stdout);
			return 0;
		default:
			show_usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		show_usage(stderr);
		return 2;
	}
	config_defaults(&cfg);
	if (path == NULL && config != NULL) {
		struct mx_errors errs;

		mx_errors_init(&errs);
		config_load_file(&cfg, config, &errs);
		if (mx_errors_count(&errs) > 0) {
			mx_errors_print(&errs, stderr);
			config_free(&cfg);
			return 2;
		}
		path = cfg.state[0] != '\0' ? cfg.state : NULL;
	}
	if (path == NULL) {
		fprintf(stderr, "mxsentry state: no state store: give --state FILE (or -c CONFIG "
				"with state: in it)\n");
		config_free(&cfg);
		return 2;
	}
	if (strncmp(path, "redis://", 8) == 0 || strncmp(path, "rediss://", 9) == 0 ||
	    strncmp(path, "unix://", 7) == 0) {
		db = open_shared(path);
		if (db == NULL) {
			config_free(&cfg);
			return 2;
		}
	} else if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
		   sqlite3_exec(db, "SELECT 1 FROM facts LIMIT 1", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "mxsentry state: %s: %s\n", path,
			db != NULL ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		config_free(&cfg);
		return 2;
	}
	rc = optind < argc ? show_name(db, argv[optind], stdout) : show_all(db, stdout);
	sqlite3_close(db);
	config_free(&cfg);
	return rc;
}
