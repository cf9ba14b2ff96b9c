/*
 * flow.h - the bidirectional flow table: 5-tuple plus VLAN ids, timeouts
 * driven by packet time (new, established, closed, UDP), a memcap with
 * eviction of the least recently seen flows, and one end callback per flow.
 */
#ifndef MX_FLOW_H
#define MX_FLOW_H

#include "util/common.h"
#include "decode/packet.h"

struct tcp_session; /* stream.h */

/* Direction of a packet within its flow (util/common.h's enum mx_dir). */
#define FLOW_TOSERVER MX_TOSERVER
#define FLOW_TOCLIENT MX_TOCLIENT

enum flow_state { FLOW_NEW, FLOW_ESTABLISHED, FLOW_CLOSED };

enum flow_end_reason {
	FLOW_END_TIMEOUT,  /* idle past its timeout */
	FLOW_END_EVICTED,  /* removed to make room under the memcap */
	FLOW_END_SHUTDOWN, /* end of input / sensor stopping */
};

struct flow {
	/* client (initiator) and server side; dir FLOW_TOSERVER is cli->srv */
	struct mx_addr cli, srv;
	uint16_t cport, sport;
	uint16_t vlan[2];
	uint8_t proto;
	uint8_t state;	     /* enum flow_state */
	bool client_guessed; /* no SYN seen: the client side is a guess */
	bool alerted;	     /* an alert was raised on this flow */
	uint64_t flow_id;    /* unique, non-zero, stable for the run */
	uint64_t first_ts, last_ts;
	uint64_t pkts[2], bytes[2];
	struct tcp_session *tcp; /* reassembly state, NULL when not reassembled */
	void *app;		 /* owned by the application layer */
	/* table internals */
	struct flow *hnext;
	struct flow **hprev; /* the link that points at this flow */
	struct flow *lru_prev, *lru_next;
	uint32_t hash;
	uint8_t seen;	   /* TCP flags and data seen, per direction (flow.c) */
	uint8_t lru_class; /* which timeout list holds the flow (flow.c) */
};

struct flow_config {
	size_t memcap;		   /* bytes of per-flow state held at most: flow
				      structs and what the state source counts */
	uint32_t hash_size;	   /* buckets, rounded up to a power of two; 0:
				      one per flow the memcap holds */
	uint32_t timeout_new_s;	   /* TCP before the handshake completes */
	uint32_t timeout_est_s;	   /* TCP established */
	uint32_t timeout_closed_s; /* TCP after FIN/RST */
	uint32_t timeout_udp_s;
};

/* Defaults: 16 MiB, buckets for the memcap (0), 30 s / 600 s / 10 s / 30 s. */
void flow_config_defaults(struct flow_config *cfg);

/*
 * Counters of the flow table; stats names in flow_counter_desc[]. active
 * and memuse are gauges (flows and bytes of struct flow held now); evicted
 * is Suricata's flow.get_used (a flow ended to make room under the memcap),
 * evicted_state the part of it ended because the per-flow state outside
 * the flow structs (the state source) grew past the memcap;
 * timeout counts every idle flow ended, timeout_* split it by timeout class;
 * end_* count every ended flow by its state; tcp_reuse counts closed TCP
 * flows replaced by a new connection (a SYN) on the same tuple.
 */
struct flow_counters {
	uint64_t total, tcp, udp, active, memcap, evicted, timeout_new, timeout_est, timeout_closed,
	    timeout_udp, shutdown, alloc_fail;
	uint64_t memuse, timeout, tcp_reuse, end_new, end_est, end_closed;
	uint64_t state_memuse;	/* gauge: flow structs plus the state source's bytes */
	uint64_t state_peak;	/* the largest state_memuse seen */
	uint64_t evicted_state; /* flows ended because the state outgrew the memcap */
};
extern const struct mx_counter_desc flow_counter_desc[];

/*
 * Called once for every flow as it leaves the table; the callee releases
 * f->app and f->tcp. The flow struct itself goes back to the table's pool
 * after.
 */
typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_end_reason why);

struct flow_table;

/*
 * Creates an empty table; on_end (may be NULL) is called with ctx for every
 * flow that leaves it. NULL when memory runs out.
 */
struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn on_end, void *ctx);
/*
 * Bytes of per-flow state held outside the flow structs (reassembly,
 * sessions, nDPI), counted with the flow structs against the one memcap.
 */
typedef size_t (*flow_state_bytes_fn)(void *ctx);

/*
 * Makes fn(ctx) part of the memcap: a new flow evicts the least recently
 * seen flows while the flow structs and fn's bytes leave no room for it,
 * and a packet of a known flow evicts other flows, least recently seen
 * first, while they exceed the memcap. fn is called once per packet.
 */
void flow_table_set_state_source(struct flow_table *t, flow_state_bytes_fn fn, void *ctx);

/* Ends every flow (FLOW_END_SHUTDOWN) and frees the table. */
void flow_table_free(struct flow_table *t);

/*
 * Finds or creates the flow of p and sets *dir. A new TCP flow's client is
 * the SYN sender (the destination of a SYN-ACK); with no SYN seen, the side
 * using the lower port (the service) is taken as the server and
 * client_guessed is set (equal ports: the first packet's destination is the
 * server). A UDP flow's client is the first packet's source unless that
 * source uses the lower port; client_guessed is set when it does. Updates
 * the flow's counters, times and state (TCP: established after the
 * handshake's final ACK or data both ways, closed after FIN both ways or
 * RST; UDP: established once both ways were seen). A flow found idle past
 * its timeout, or a closed TCP flow that sees a new SYN, is ended
 * (FLOW_END_TIMEOUT) and replaced by a new flow. At the memcap the least
 * recently seen flows are ended (FLOW_END_EVICTED) to make room. Returns
 * NULL only when the memcap is reached and nothing can be evicted (counted
 * as flow.memcap) or memory runs out (flow.alloc_fail).
 */
struct flow *flow_lookup(struct flow_table *t, const struct mx_packet *p, int *dir);

/*
 * Ends flows idle past their timeout at packet time now_us (idle longer
 * than the timeout of their class). Costs O(1) plus O(1) per flow ended,
 * so it may be called for every packet.
 */
void flow_table_timeout(struct flow_table *t, uint64_t now_us);

/* Ends every flow (FLOW_END_SHUTDOWN), leaving the table empty. */
void flow_table_flush(struct flow_table *t);

/* True when the flow carried payload in either direction (always for UDP). */
bool flow_carried_data(const struct flow *f);

/* The table's counters, updated in place (valid until flow_table_free). */
const struct flow_counters *flow_table_counters(const struct flow_table *t);

#endif
