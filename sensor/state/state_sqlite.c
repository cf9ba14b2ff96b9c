/*
 * state_sqlite.c - the SQLite backend of the state store (state.h): one
 * file, WAL journal, one table of facts keyed by (kind, key), a versioned
 * schema (PRAGMA user_version) brought up to date by the migrations below,
 * and an advisory lock so that one file serves one sensor at a time.
 *
 * A file this build cannot use (a newer schema, not a database, failing
 * its quick check, locked by another process) is an error at open: the
 * sensor must not start empty in its place.
 */
#include "state/state.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The schema this build writes; each migration takes a file one step up. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE facts ("
    " kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " learned_us INTEGER NOT NULL, expires_us INTEGER NOT NULL,"
    " source TEXT NOT NULL, trust TEXT NOT NULL,"
    " PRIMARY KEY (kind, key)) WITHOUT ROWID;"
    "CREATE INDEX facts_expires ON facts (expires_us);"
    "CREATE INDEX facts_learned ON facts (learned_us);"
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
};
#define SCHEMA_VERSION ((int)MX_ARRAY_LEN(migrations))

struct sqlite_be {
	sqlite3 *db;
	int lock_fd;
	char path[512];
	uint64_t max_rows;
	sqlite3_stmt *upsert, *expire, *count, *evict, *newest;
};

static void be_free(struct sqlite_be *b)
{
	sqlite3_finalize(b->upsert);
	sqlite3_finalize(b->expire);
	sqlite3_finalize(b->count);
	sqlite3_finalize(b->evict);
	sqlite3_finalize(b->newest);
	if (b->db != NULL)
		sqlite3_close(b->db);
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	free(b);
}

/* A message for a failed call, naming what the operator must do. */
static void fail(struct sqlite_be *b, int rc, const char *what, char *err, size_t errlen)
{
	const char *msg = b->db != NULL ? sqlite3_errmsg(b->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		snprintf(err, errlen,
			 "state %s: the database is locked by another process (%s); refusing to "
			 "start without its state",
			 b->path, msg);
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		snprintf(err, errlen,
			 "state %s: not a usable state database (%s); refusing to start empty "
			 "(move the file away to start afresh)",
			 b->path, msg);
		break;
	default:
		snprintf(err, errlen, "state %s: %s failed: %s", b->path, what, msg);
	}
}

static int exec(struct sqlite_be *b, const char *sql)
{
	return sqlite3_exec(b->db, sql, NULL, NULL, NULL);
}

/* An integer from a one-row query, or a negative SQLite error code. */
static int64_t query_int(struct sqlite_be *b, const char *sql, int *rc)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	*rc = sqlite3_prepare_v2(b->db, sql, -1, &s, NULL);
	if (*rc == SQLITE_OK) {
		*rc = sqlite3_step(s);
		if (*rc == SQLITE_ROW) {
			v = sqlite3_column_int64(s, 0);
			*rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return v;
}

/* Brings the schema to SCHEMA_VERSION inside one write transaction. */
static bool migrate(struct sqlite_be *b, char *err, size_t errlen)
{
	int rc = exec(b, "BEGIN IMMEDIATE");
	int64_t version;

	if (rc != SQLITE_OK) {
		fail(b, rc, "begin", err, errlen);
		return false;
	}
	version = query_int(b, "PRAGMA user_version", &rc);
	if (rc != SQLITE_OK) {
		fail(b, rc, "reading the schema version", err, errlen);
		exec(b, "ROLLBACK");
		return false;
	}
	if (version > SCHEMA_VERSION || version < 0) {
		snprintf(err, errlen,
			 "state %s: written by a newer mxsentry (schema version %lld, this build "
			 "knows up to %d); refusing to start",
			 b->path, (long long)version, SCHEMA_VERSION);
		exec(b, "ROLLBACK");
		return false;
	}
	for (int v = (int)version; v < SCHEMA_VERSION; v++) {
		char sql[64];

		rc = exec(b, migrations[v]);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (rc == SQLITE_OK)
			rc = exec(b, sql);
		if (rc != SQLITE_OK) {
			fail(b, rc, "schema migration", err, errlen);
			exec(b, "ROLLBACK");
			return false;
		}
	}
	rc = exec(b, "COMMIT");
	if (rc != SQLITE_OK) {
		fail(b, rc, "commit", err, errlen);
		return false;
	}
	return true;
}

/* "ok" from PRAGMA quick_check, else a message. */
static bool quick_check(struct sqlite_be *b, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(b->db, "PRAGMA quick_check(1)", -1, &s, NULL);
	bool ok = false;

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);

		ok = r != NULL && strcmp(r, "ok") == 0;
		if (!ok) {
			snprintf(err, errlen,
				 "state %s: the database fails its integrity check (%s); refusing "
				 "to start empty (move the file away to start afresh)",
				 b->path, r != NULL ? r : "?");
			for (char *p = err; *p != '\0'; p++)
				if (*p == '\n')
					*p = ' ';
		}
	} else {
		fail(b, rc, "integrity check", err, errlen);
	}
	sqlite3_finalize(s);
	return ok;
}

static bool prepare(struct sqlite_be *b, char *err, size_t errlen)
{
	static const struct {
		size_t off;
		const char *sql;
	} stmts[] = {
	    {offsetof(struct sqlite_be, upsert),
	     "INSERT INTO facts (kind, key, value, learned_us, expires_us, source, trust) "
	     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (kind, key) DO UPDATE SET "
	     "value = ?3, learned_us = ?4, expires_us = ?5, source = ?6, trust = ?7"},
	    {offsetof(struct sqlite_be, expire), "DELETE FROM facts WHERE expires_us <= ?1"},
	    {offsetof(struct sqlite_be, count), "SELECT count(*) FROM facts"},
	    {offsetof(struct sqlite_be, evict),
	     "DELETE FROM facts WHERE (kind, key) IN (SELECT kind, key FROM facts "
	     "ORDER BY learned_us LIMIT ?1)"},
	    {offsetof(struct sqlite_be, newest),
	     "INSERT INTO meta (name, value) VALUES ('newest_us', ?1) ON CONFLICT (name) "
	     "DO UPDATE SET value = max(value, excluded.value)"},
	};

	for (size_t i = 0; i < MX_ARRAY_LEN(stmts); i++) {
		sqlite3_stmt **s = (sqlite3_stmt **)(void *)((char *)b + stmts[i].off);
		int rc =
		    sqlite3_prepare_v3(b->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL);

		if (rc != SQLITE_OK) {
			fail(b, rc, "preparing statements", err, errlen);
			return false;
		}
	}
	return true;
}

static void *sqlite_open(const char *spec, const struct state_config *cfg, char *err, size_t errlen)
{
	struct sqlite_be *b = calloc(1, sizeof(*b));
	char mode[16] = "";
	sqlite3_stmt *s = NULL;
	int rc;

	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->lock_fd = -1;
	b->max_rows = cfg->max_rows;
	mx_strlcpy(b->path, spec, sizeof(b->path));
	b->lock_fd = open(spec, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (b->lock_fd < 0) {
		snprintf(err, errlen, "state %s: %s", spec, strerror(errno));
		be_free(b);
		return NULL;
	}
	if (flock(b->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen,
			 "state %s: the database is locked by another mxsentry; one state file "
			 "serves one sensor (share state through redis:// instead)",
			 spec);
		be_free(b);
		return NULL;
	}
	rc = sqlite3_open_v2(spec, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		fail(b, rc, "open", err, errlen);
		be_free(b);
		return NULL;
	}
	sqlite3_busy_timeout(b->db, 1000);
	rc = sqlite3_prepare_v2(b->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		mx_strlcpy(mode, (const char *)sqlite3_column_text(s, 0), sizeof(mode));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		fail(b, rc, "switching to WAL", err, errlen);
		be_free(b);
		return NULL;
	}
	if (strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "state %s: cannot use WAL journal mode (got %s)", spec, mode);
		be_free(b);
		return NULL;
	}
	if (exec(b, "PRAGMA synchronous = NORMAL") != SQLITE_OK || !migrate(b, err, errlen) ||
	    !quick_check(b, err, errlen) || !prepare(b, err, errlen)) {
		if (err[0] == '\0')
			fail(b, sqlite3_errcode(b->db), "setup", err, errlen);
		be_free(b);
		return NULL;
	}
	return b;
}

static bool sqlite_load(void *be, state_apply_fn fn, void *arg, struct state_counters *ctr,
			char *err, size_t errlen)
{
	struct sqlite_be *b = be;
	sqlite3_stmt *s = NULL;
	int rc =
	    sqlite3_prepare_v2(b->db,
			       "SELECT kind, key, value, learned_us, expires_us, source, trust "
			       "FROM facts ORDER BY learned_us, kind, key",
			       -1, &s, NULL);

	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct state_fact f;
		const char *kind = (const char *)sqlite3_column_text(s, 0);

		memset(&f, 0, sizeof(f));
		f.kind = kind != NULL ? state_kind_parse(kind) : 0;
		mx_strlcpy(f.key, (const char *)sqlite3_column_text(s, 1), sizeof(f.key));
		f.value = (const char *)sqlite3_column_text(s, 2);
		f.value_len = (size_t)sqlite3_column_bytes(s, 2);
		f.learned_us = (uint64_t)sqlite3_column_int64(s, 3);
		f.expires_us = (uint64_t)sqlite3_column_int64(s, 4);
		mx_strlcpy(f.source, (const char *)sqlite3_column_text(s, 5), sizeof(f.source));
		mx_strlcpy(f.trust, (const char *)sqlite3_column_text(s, 6), sizeof(f.trust));
		ctr->loaded++;
		if (f.kind == 0 || f.value == NULL || !fn(arg, &f))
			ctr->load_rejected++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		fail(b, rc, "loading", err, errlen);
		return false;
	}
	ctr->rows = ctr->loaded;
	return true;
}

static int bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

static int upsert(struct sqlite_be *b, const struct state_fact *f)
{
	sqlite3_stmt *s = b->upsert;
	int rc;

	sqlite3_reset(s);
	rc = bind_text(s, 1, state_kind_name(f->kind));
	if (rc == SQLITE_OK)
		rc = bind_text(s, 2, f->key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 3, f->value, (int)f->value_len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 4, (sqlite3_int64)f->learned_us);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 5, (sqlite3_int64)MX_MIN(f->expires_us, INT64_MAX));
	if (rc == SQLITE_OK)
		rc = bind_text(s, 6, f->source);
	if (rc == SQLITE_OK)
		rc = bind_text(s, 7, f->trust);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(b->db);
	sqlite3_reset(s);
	return rc;
}

/* Expiry at packet time now_us, then the row cap. */
static int trim(struct sqlite_be *b, uint64_t now_us, struct state_counters *ctr)
{
	int rc;
	int64_t rows;

	sqlite3_reset(b->expire);
	sqlite3_bind_int64(b->expire, 1, (sqlite3_int64)MX_MIN(now_us, INT64_MAX));
	if (sqlite3_step(b->expire) != SQLITE_DONE)
		return sqlite3_errcode(b->db);
	ctr->expired += (uint64_t)sqlite3_changes(b->db);
	sqlite3_reset(b->expire);
	sqlite3_reset(b->count);
	if (sqlite3_step(b->count) != SQLITE_ROW)
		return sqlite3_errcode(b->db);
	rows = sqlite3_column_int64(b->count, 0);
	sqlite3_reset(b->count);
	if (b->max_rows > 0 && (uint64_t)rows > b->max_rows) {
		sqlite3_reset(b->evict);
		sqlite3_bind_int64(b->evict, 1, (sqlite3_int64)((uint64_t)rows - b->max_rows));
		rc = sqlite3_step(b->evict);
		sqlite3_reset(b->evict);
		if (rc != SQLITE_DONE)
			return sqlite3_errcode(b->db);
		ctr->evicted += (uint64_t)sqlite3_changes(b->db);
		rows -= sqlite3_changes(b->db);
	}
	ctr->rows = (uint64_t)rows;
	return SQLITE_OK;
}

static bool sqlite_write(void *be, const struct state_fact *facts, size_t n, uint64_t now_us,
			 struct state_counters *ctr)
{
	struct sqlite_be *b = be;
	struct state_counters c;
	int rc = exec(b, "BEGIN IMMEDIATE");

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
		if (state_kind_name(facts[i].kind) != NULL)
			rc = upsert(b, &facts[i]);
	if (rc == SQLITE_OK) {
		sqlite3_reset(b->newest);
		sqlite3_bind_int64(b->newest, 1, (sqlite3_int64)MX_MIN(now_us, INT64_MAX));
		rc = sqlite3_step(b->newest) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(b->db);
		sqlite3_reset(b->newest);
	}
	if (rc == SQLITE_OK)
		rc = trim(b, now_us, &c);
	if (rc == SQLITE_OK)
		rc = exec(b, "COMMIT");
	if (rc != SQLITE_OK) {
		exec(b, "ROLLBACK");
		return false;
	}
	ctr->expired += c.expired;
	ctr->evicted += c.evicted;
	ctr->rows = c.rows;
	return true;
}

static uint64_t sqlite_newest(void *be)
{
	struct sqlite_be *b = be;
	int rc;
	int64_t v = query_int(b, "SELECT value FROM meta WHERE name = 'newest_us'", &rc);

	return rc == SQLITE_OK && v > 0 ? (uint64_t)v : 0;
}

static void sqlite_close(void *be)
{
	struct sqlite_be *b = be;

	exec(b, "PRAGMA wal_checkpoint(TRUNCATE)");
	be_free(b);
}

const struct state_ops state_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .load = sqlite_load,
    .write = sqlite_write,
    .poll = NULL,
    .close = sqlite_close,
    .newest = sqlite_newest,
};
