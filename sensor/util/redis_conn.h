/*
 * redis_conn.h - where a Redis server is and how to log in to it: the
 * server string of the configuration parsed into a target, and a blocking
 * connection opened with a timeout, authenticated (password, or ACL user
 * and password) and switched to its database. Used by the Redis EVE
 * output's sender thread and by the Redis state backend; never called on
 * the packet path.
 *
 * Server strings:
 *   redis://[user[:password]@]host[:port][/db]   (port 6379, db 0 by default;
 *                                                  host may be [v6-address];
 *                                                  %XX escapes in user/password)
 *   unix:///path/to/redis.sock[?db=N]
 *   /path/to/redis.sock                           (a unix socket path)
 * rediss:// (TLS) is refused with REDIS_NO_TLS.
 */
#ifndef MX_REDIS_CONN_H
#define MX_REDIS_CONN_H

#include <hiredis/hiredis.h>

#include "util/common.h"

#define REDIS_HOST_MAX 256
#define REDIS_CRED_MAX 256

struct redis_target {
	char host[REDIS_HOST_MAX]; /* "" with a unix socket */
	int port;
	char unix_path[108]; /* "" with TCP */
	int db;
	char user[REDIS_CRED_MAX];     /* "" = the default user */
	char password[REDIS_CRED_MAX]; /* "" = no AUTH */
};

/* Why a rediss:// server is refused: Debian's hiredis has no TLS. */
#define REDIS_NO_TLS                                                                               \
	"rediss:// (TLS) is not supported: this build's hiredis has no TLS (Debian 12's "          \
	"libhiredis 0.14 comes without hiredis_ssl); reach Redis through a local TLS tunnel "      \
	"(stunnel, spiped) or a unix socket"

/*
 * Parses a server string (forms above) into t. A user or password given
 * in the string stays unless the caller overwrites it. False with a
 * message in err when the string is malformed.
 */
bool redis_target_parse(const char *server, struct redis_target *t, char *err, size_t errlen);

/*
 * url for messages: a user and password in it shown as "***" (the result
 * is url itself when it holds none, else buf).
 */
const char *redis_url_shown(const char *url, char *buf, size_t len);

/* "host:port/db" or "unix:PATH/db", for messages (never the password). */
void redis_target_describe(const struct redis_target *t, char *buf, size_t len);

enum redis_conn_status {
	REDIS_CONN_OK,
	REDIS_CONN_UNREACHABLE, /* connect or I/O failed, or timed out */
	REDIS_CONN_REFUSED,	/* the server answered no: password, ACL, database */
};

/*
 * Connects (timeout_ms for the connect and for every later reply), sends
 * AUTH when a password is set, SELECT when db is not 0, then PING so a
 * server that wants a password says so now. Returns the context, or NULL
 * with *st saying why and a message in err naming the server.
 */
redisContext *redis_conn_open(const struct redis_target *t, unsigned timeout_ms,
			      enum redis_conn_status *st, char *err, size_t errlen);

#endif
