/*
 * redis_conn.c - Redis server strings and logging in: see redis_conn.h.
 */
#include "util/redis_conn.h"
#include "util/name.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = mx_ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Copies [s, s+n) into out with %XX decoded; false when it does not fit or an escape is bad. */
static bool copy_decoded(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return false;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= outlen)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

static bool parse_number(const char *s, size_t n, long lo, long hi, long *out)
{
	long v = 0;

	if (n == 0 || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_unix(const char *path, struct redis_target *t, char *err, size_t errlen)
{
	const char *q = strchr(path, '?');
	size_t n = q != NULL ? (size_t)(q - path) : strlen(path);
	long db;

	if (n == 0 || path[0] != '/') {
		snprintf(err, errlen, "redis server '%.64s': a unix socket path must be absolute",
			 path);
		return false;
	}
	if (n >= sizeof(t->unix_path)) {
		snprintf(err, errlen, "redis server: unix socket path longer than %zu bytes",
			 sizeof(t->unix_path) - 1);
		return false;
	}
	memcpy(t->unix_path, path, n);
	t->unix_path[n] = '\0';
	if (q != NULL) {
		if (strncmp(q, "?db=", 4) != 0 ||
		    !parse_number(q + 4, strlen(q + 4), 0, 1000000, &db)) {
			snprintf(err, errlen, "redis server '%.64s': expected ?db=N after the path",
				 path);
			return false;
		}
		t->db = (int)db;
	}
	return true;
}

/* user[:password] before the '@' of a redis:// URL. */
static bool parse_userinfo(const char *s, size_t n, struct redis_target *t)
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL)
		return copy_decoded(s, n, t->user, sizeof(t->user));
	return copy_decoded(s, (size_t)(colon - s), t->user, sizeof(t->user)) &&
	       copy_decoded(colon + 1, n - (size_t)(colon - s) - 1, t->password,
			    sizeof(t->password));
}

const char *redis_url_shown(const char *url, char *buf, size_t len)
{
	const char *p = strstr(url, "://");
	const char *at;

	if (p == NULL)
		return url;
	p += 3;
	at = strchr(p, '@');
	if (at == NULL || (size_t)(at - p) > strcspn(p, "/"))
		return url;
	snprintf(buf, len, "%.*s***%s", (int)(p - url), url, at);
	return buf;
}

static bool parse_url(const char *url_in, struct redis_target *t, char *err, size_t errlen)
{
	char safe[128];
	const char *url = redis_url_shown(url_in, safe, sizeof(safe));
	const char *p = url_in + strlen("redis://");
	const char *end = p + strcspn(p, "/");
	const char *at = NULL, *hp, *port = NULL;
	size_t hlen;
	long v;

	for (const char *c = p; c < end; c++)
		if (*c == '@')
			at = c;
	if (at != NULL) {
		if (!parse_userinfo(p, (size_t)(at - p), t)) {
			snprintf(err, errlen, "redis server: bad user or password in the URL");
			return false;
		}
		p = at + 1;
	}
	hp = p;
	if (*hp == '[') {
		const char *close = memchr(hp, ']', (size_t)(end - hp));

		if (close == NULL) {
			snprintf(err, errlen, "redis server '%.64s': unclosed '['", url);
			return false;
		}
		hlen = (size_t)(close - hp - 1);
		hp++;
		if (close + 1 < end) {
			if (close[1] != ':') {
				snprintf(err, errlen, "redis server '%.64s': bad port", url);
				return false;
			}
			port = close + 2;
		}
	} else {
		const char *colon = memchr(hp, ':', (size_t)(end - hp));

		hlen = colon != NULL ? (size_t)(colon - hp) : (size_t)(end - hp);
		if (colon != NULL)
			port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(t->host)) {
		snprintf(err, errlen, "redis server '%.64s': missing or too long host", url);
		return false;
	}
	memcpy(t->host, hp, hlen);
	t->host[hlen] = '\0';
	if (port != NULL) {
		if (!parse_number(port, (size_t)(end - port), 1, 65535, &v)) {
			snprintf(err, errlen, "redis server '%.64s': bad port", url);
			return false;
		}
		t->port = (int)v;
	}
	if (*end == '/' && end[1] != '\0') {
		if (!parse_number(end + 1, strlen(end + 1), 0, 1000000, &v)) {
			snprintf(err, errlen, "redis server '%.64s': bad database number", url);
			return false;
		}
		t->db = (int)v;
	}
	return true;
}

bool redis_target_parse(const char *server, struct redis_target *t, char *err, size_t errlen)
{
	char safe[128];

	memset(t, 0, sizeof(*t));
	t->port = 6379;
	if (strncmp(server, "redis://", 8) == 0)
		return parse_url(server, t, err, errlen);
	if (strncmp(server, "unix://", 7) == 0)
		return parse_unix(server + 7, t, err, errlen);
	if (server[0] == '/')
		return parse_unix(server, t, err, errlen);
	if (strncmp(server, "rediss://", 9) == 0) {
		snprintf(err, errlen, "redis server '%.64s': %s",
			 redis_url_shown(server, safe, sizeof(safe)), REDIS_NO_TLS);
		return false;
	}
	snprintf(err, errlen,
		 "redis server '%.64s': expected redis://[user:password@]host[:port][/db], "
		 "unix:///path or an absolute socket path",
		 redis_url_shown(server, safe, sizeof(safe)));
	return false;
}

void redis_target_describe(const struct redis_target *t, char *buf, size_t len)
{
	if (t->unix_path[0])
		snprintf(buf, len, "unix:%s/%d", t->unix_path, t->db);
	else if (strchr(t->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d/%d", t->host, t->port, t->db);
	else
		snprintf(buf, len, "%s:%d/%d", t->host, t->port, t->db);
}

/* Runs one command; false with the server's error (or the I/O error) in err. */
static bool command_ok(redisContext *c, int argc, const char **argv, enum redis_conn_status *st,
		       char *err, size_t errlen)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);

	if (r == NULL) {
		*st = REDIS_CONN_UNREACHABLE;
		snprintf(err, errlen, "%s", c->errstr[0] ? c->errstr : "connection lost");
		return false;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		*st = REDIS_CONN_REFUSED;
		snprintf(err, errlen, "%s", r->str != NULL ? r->str : "error");
		freeReplyObject(r);
		return false;
	}
	freeReplyObject(r);
	return true;
}

redisContext *redis_conn_open(const struct redis_target *t, unsigned timeout_ms,
			      enum redis_conn_status *st, char *err, size_t errlen)
{
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
	char where[REDIS_HOST_MAX + 128], why[256] = "";
	char dbs[16];
	redisContext *c;

	redis_target_describe(t, where, sizeof(where));
	*st = REDIS_CONN_UNREACHABLE;
	if (t->unix_path[0])
		c = redisConnectUnixWithTimeout(t->unix_path, tv);
	else
		c = redisConnectWithTimeout(t->host, t->port, tv);
	if (c == NULL || c->err) {
		snprintf(err, errlen, "redis %s: cannot connect: %s", where,
			 c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "redis %s: cannot set the timeout", where);
		redisFree(c);
		return NULL;
	}
	if (t->password[0]) {
		const char *auth_user[] = {"AUTH", t->user, t->password};
		const char *auth_pw[] = {"AUTH", t->password};
		bool ok = t->user[0] ? command_ok(c, 3, auth_user, st, why, sizeof(why))
				     : command_ok(c, 2, auth_pw, st, why, sizeof(why));

		if (!ok) {
			snprintf(err, errlen, "redis %s: login as '%s' refused: %s", where,
				 t->user[0] ? t->user : "default", why);
			redisFree(c);
			return NULL;
		}
	}
	if (t->db != 0) {
		const char *sel[] = {"SELECT", dbs};

		snprintf(dbs, sizeof(dbs), "%d", t->db);
		if (!command_ok(c, 2, sel, st, why, sizeof(why))) {
			snprintf(err, errlen, "redis %s: cannot select database %d: %s", where,
				 t->db, why);
			redisFree(c);
			return NULL;
		}
	}
	{
		const char *ping[] = {"PING"};

		if (!command_ok(c, 1, ping, st, why, sizeof(why))) {
			snprintf(err, errlen, "redis %s: %s%s", where, why,
				 *st == REDIS_CONN_REFUSED && !t->password[0]
				     ? " (the server wants a password: set one in the server URL "
				       "or the output's password)"
				     : "");
			redisFree(c);
			return NULL;
		}
	}
	*st = REDIS_CONN_OK;
	return c;
}
