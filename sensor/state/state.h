/*
 * state.h - the persisted state store: one backend-neutral interface for
 * keeping what the sensor learned (validated DNSKEY/DS, expectations,
 * resolver-AD observations, server history) across restarts and, with a
 * shared backend, between sensors.
 *
 * The in-memory stores (correlate/expect.c, the DNSSEC zone cache) stay
 * the working set: the packet path reads memory only. Whatever those
 * stores learn is handed to state_put as a fact; a writer thread owned by
 * this module hands queued facts to the backend in batches, so the packet
 * path never waits on disk or network. At start state_load replays every
 * stored fact into the stores; state_poll hands over facts other sensors
 * stored since (shared backends only).
 *
 * A fact is (kind, key) -> value: the key is a lowercased name, "host:port"
 * or an address in text form; the value is a JSON text whose layout the
 * kind's owner (the store that produced it) defines and parses. Times are
 * packet time in microseconds. A backend keeps at most one fact per
 * (kind, key): a later put replaces it. Where the fact came from and how far
 * it is trusted travel with it (source, trust), for `mxsentry state show`.
 *
 * Backends: "sqlite" (a file path, state/state_sqlite.c) and "redis"
 * (redis://..., a later backend). A backend implements struct state_ops;
 * the queue, the writer thread and the counters are common (state.c).
 * Adding a kind or an optional op at the end keeps other backends as they are.
 *
 * Threads: state_put, state_poll and state_counters are called under the
 * caller's lock (the correlate stage's); state_put takes only the queue's
 * own mutex and returns at once, dropping (and counting) a fact when the
 * queue is full unless the store was opened with block_when_full (offline
 * reads, where waiting costs nothing but time). Backend write, expiry and
 * eviction run on the writer thread only; load runs on the caller's thread
 * before the writer starts work.
 */
#ifndef MX_STATE_H
#define MX_STATE_H

#include "util/common.h"

#define STATE_KEY_MAX	 300
#define STATE_SOURCE_MAX 96
#define STATE_TRUST_MAX	 24

/* What a fact is about. The names (state_kind_name) are stored as they are. */
enum state_kind {
	STATE_DNSKEY = 1,    /* "dnskey": a validated DNSKEY RRset of a zone (key: zone) */
	STATE_DS,	     /* "ds": a validated DS RRset of a zone (key: zone) */
	STATE_INSECURE,	     /* "insecure": a proven absence of DS (key: zone) */
	STATE_MX,	     /* "mx": a domain's MX set (key: domain) */
	STATE_ADDRS,	     /* "addrs": a host's A/AAAA addresses (key: host) */
	STATE_TLSA,	     /* "tlsa": TLSA RRset (key: "host:port") */
	STATE_STS,	     /* "mta-sts": a domain's _mta-sts id (key: domain) */
	STATE_HOSTS_OF_ADDR, /* "hosts-of-addr": names an address served (key: address) */
	STATE_MX_CLAIMS,     /* "mx-claims": domains any MX answer named a host for (key: host) */
	STATE_HISTORY,	     /* "history": what a server did (key: address) */
	STATE_RESOLVER_AD,   /* "resolver-ad": a zone answered with AD=1 (key: "zone resolver") */
	STATE_TLS_FAILURE,   /* "tls-failure": a failed TLS attempt (key: "client server") */
	STATE_KIND_END
};

/* "mx", "tlsa", ...; NULL for an unknown kind. */
const char *state_kind_name(enum state_kind k);
/* The kind named name, or 0 when there is none. */
enum state_kind state_kind_parse(const char *name);

/*
 * One fact. value points at value_len bytes of JSON text (not
 * NUL-terminated necessarily); state_put copies everything it needs.
 */
struct state_fact {
	enum state_kind kind;
	char key[STATE_KEY_MAX];
	const char *value;
	size_t value_len;
	uint64_t learned_us;	       /* packet time it was learned or last confirmed */
	uint64_t expires_us;	       /* packet time after which it is forgotten */
	char source[STATE_SOURCE_MAX]; /* where it came from: "dns answer from 192.0.2.53", ... */
	char trust[STATE_TRUST_MAX];   /* "dnssec", "resolver-ad", "unvalidated", "history", ... */
};

/*
 * Called once per fact by state_load and state_poll (on the caller's
 * thread); returns false when the fact could not be used (it is counted,
 * never fatal).
 */
typedef bool (*state_apply_fn)(void *arg, const struct state_fact *f);

struct state_config {
	size_t queue_max;     /* facts waiting for the writer at most */
	uint32_t batch_max;   /* facts per transaction at most */
	uint32_t flush_ms;    /* the writer commits at least this often (wall time) */
	uint64_t max_rows;    /* stored facts at most; the oldest learned go first */
	bool block_when_full; /* state_put waits for room instead of dropping */
};

void state_config_defaults(struct state_config *cfg);

struct state_counters {
	uint64_t loaded;	/* facts replayed by state_load */
	uint64_t load_rejected; /* of those, refused by the apply function */
	uint64_t queued;	/* facts accepted by state_put */
	uint64_t dropped;	/* facts refused because the queue was full */
	uint64_t written;	/* facts the backend committed */
	uint64_t batches;	/* transactions committed */
	uint64_t write_errors;	/* batches the backend failed to commit */
	uint64_t expired;	/* stored facts removed because their time ran out */
	uint64_t evicted;	/* stored facts removed by the row cap */
	uint64_t rows;		/* stored facts after the last batch */
	uint64_t polled;	/* facts from other sensors applied by state_poll */
};
extern const struct mx_counter_desc state_counter_desc[];

/*
 * A backend. open parses spec (a path, a URL) and returns its handle or
 * NULL with a message in err. load replays every stored fact through fn in
 * the order learned (oldest first); false with err on a failure that must
 * stop the sensor. write stores n facts as one batch (replacing the fact
 * of the same kind and key), then removes what expired before now_us and
 * what exceeds max_rows, adding to *ctr; false when the batch was lost.
 * poll (may be NULL) applies facts stored by others since the last poll,
 * at most max, and returns how many; it never blocks. close flushes and
 * frees.
 */
struct state_ops {
	const char *name;
	void *(*open)(const char *spec, const struct state_config *cfg, char *err, size_t errlen);
	bool (*load)(void *be, state_apply_fn fn, void *arg, struct state_counters *ctr, char *err,
		     size_t errlen);
	bool (*write)(void *be, const struct state_fact *facts, size_t n, uint64_t now_us,
		      struct state_counters *ctr);
	size_t (*poll)(void *be, state_apply_fn fn, void *arg, size_t max);
	void (*close)(void *be);
	/* May be NULL: the newest packet time stored facts were learned at, 0 if none. */
	uint64_t (*newest)(void *be);
};

struct state;

/*
 * Opens the store named by spec: "redis://..." or "rediss://..." picks the
 * Redis backend (when built in), anything else is a SQLite file path.
 * NULL with a clear message in err when the store cannot be used (newer
 * schema, corrupt, locked, unreachable): the caller must not start empty.
 * The writer thread starts here.
 */
struct state *state_open(const char *spec, const struct state_config *cfg, char *err,
			 size_t errlen);

/*
 * Replays every stored fact through fn (oldest learned first). Callable
 * once at start; a new capture timeline skips it and starts empty.
 */
bool state_load(struct state *st, state_apply_fn fn, void *arg, char *err, size_t errlen);

/*
 * The newest packet time the store has recorded (0: empty or unknown), read
 * at open: a capture older than it belongs to another timeline.
 */
uint64_t state_newest_us(const struct state *st);

/* Queues a copy of f for the writer; never blocks unless block_when_full. */
void state_put(struct state *st, const struct state_fact *f);

/* Applies facts learned by other sensors (shared backends), at most max. */
size_t state_poll(struct state *st, state_apply_fn fn, void *arg, size_t max);

/* Waits until every fact queued so far is committed (or dropped). */
void state_sync(struct state *st);

/* Stops the writer after it committed the queue, closes the backend, frees st. */
void state_close(struct state *st);

/* The counters, brought up to date with the writer's at each call. */
const struct state_counters *state_counters(struct state *st);

/* The backend's name ("sqlite", "redis"). */
const char *state_backend_name(const struct state *st);

/*
 * Backends, for state.c's choice. state_backends.c defines state_redis_ops
 * (NULL until the Redis backend is built in: it then points it at its
 * ops there; a weak symbol would not pull the backend out of libmx.a).
 */
extern const struct state_ops state_sqlite_ops;
extern const struct state_ops *const state_redis_ops;

#endif
