/*
 * stream.h - TCP reassembly, per direction: in-order data is handed on at
 * once; out-of-order segments wait (bounded per stream and globally);
 * retransmissions are dropped; on overlaps the first data wins and an
 * overlap whose bytes differ is reported as an anomaly (an evasion
 * attempt); gaps are reported and the stream continues after them.
 */
#ifndef MX_STREAM_H
#define MX_STREAM_H

#include "util/common.h"
#include "flow/flow.h"
#include "decode/packet.h"

/* What a stream_data_fn call carries. */
enum stream_chunk {
	STREAM_DATA,	     /* data/len: the next in-order bytes */
	STREAM_GAP,	     /* len: bytes that will never be seen (data NULL) */
	STREAM_OVERLAP_KEPT, /* data/len: the kept bytes (first data, which won)
				of a conflicting run; one or two of these come
				just before its STREAM_OVERLAP_DIFF */
	STREAM_OVERLAP_DIFF, /* len: bytes of a retransmission that differ from
				what was kept; data points at the conflicting
				copy (first data already won) */
	STREAM_FIN,	     /* the direction closed in order (FIN) */
	STREAM_RST,	     /* the connection was reset */
};

/*
 * Receives the reassembled stream of one direction of flow f, in order.
 * dir is FLOW_TOSERVER or FLOW_TOCLIENT.
 */
typedef void (*stream_data_fn)(void *ctx, struct flow *f, int dir, enum stream_chunk kind,
			       const uint8_t *data, size_t len);

struct stream_config {
	size_t memcap;	       /* bytes held, all streams: sessions, recent
				  windows and out-of-order data */
	size_t stream_memcap;  /* bytes held for one direction of one flow */
	size_t recent_window;  /* delivered bytes kept per direction to compare
				  retransmissions with (0 disables the check) */
	uint32_t max_segments; /* out-of-order segments held per direction */
};

/* Defaults: 64 MiB, 256 KiB, 4 KiB, 256. */
void stream_config_defaults(struct stream_config *cfg);

/*
 * Counters of the reassembly; stats names in stream_counter_desc[]. syn,
 * synack, rst, fin, pkts and bytes count packets (and their payload) fed;
 * overlap counts segments overlapping data already seen, retransmission
 * those that brought nothing new and no conflicting byte (and keep-alive
 * probes: one byte just before the next expected, never compared),
 * overlap_diff_data those with a conflicting byte (each conflicting run is
 * also reported: STREAM_OVERLAP_KEPT, then STREAM_OVERLAP_DIFF), overlap_diff_cut
 * those whose conflicting bytes came from or met a segment cut by the
 * snaplen (not reported: the cut copy cannot be checked). memcap_drop, stream_memcap_drop
 * and segments_max_drop count out-of-order pieces that did not fit a cap
 * (a gap was forced instead of waiting); memcap_drop also counts recent
 * windows not allocated (those retransmissions go uncompared). wrong_seq_before_isn counts
 * segments carrying bytes before the start of their direction;
 * out_of_window those more than 1 GiB ahead (dropped); data_after_fin
 * those carrying bytes past the direction's FIN (those bytes dropped);
 * ack_unseen_data ACKs beyond a hole (a gap followed); rst_invalid RSTs
 * outside the window (ignored). active_sessions, memuse (sessions and
 * recent windows) and reassembly_memuse (queued segments) are gauges.
 */
struct stream_counters {
	uint64_t sessions, midstream, syn, synack, rst, fin, pkts, bytes;
	uint64_t reassembly_gap, overlap, overlap_diff_data, overlap_diff_cut, retransmission,
	    ooo_segments,
	    memcap_drop, stream_memcap_drop, segments_max_drop, wrong_seq_before_isn, alloc_fail;
	uint64_t ssn_memcap_drop, out_of_window, data_after_fin, ack_unseen_data, rst_invalid;
	uint64_t active_sessions, memuse, reassembly_memuse;
};
extern const struct mx_counter_desc stream_counter_desc[];

struct stream_engine;

/* Creates an engine delivering to fn with ctx; NULL when memory runs out. */
struct stream_engine *stream_engine_new(const struct stream_config *cfg, stream_data_fn fn,
					void *ctx);
/* Frees the engine (after every flow was detached). */
void stream_engine_free(struct stream_engine *e);

/*
 * Starts reassembly for a TCP flow (f->tcp is set; true at once when it
 * already is). The session is allocated under the memcap: false when it
 * does not fit (tcp.ssn_memcap_drop) or memory runs out. A flow picked up
 * mid stream starts at the first data seen in each direction (or at the
 * peer's last ACK when that data lies just after it).
 */
bool stream_attach(struct stream_engine *e, struct flow *f);

/*
 * Feeds one TCP packet of flow f in direction dir. Delivers whatever it
 * makes contiguous through the data callback before returning: first a
 * gap the packet's ACK reveals in the other direction, then this
 * direction's data. STREAM_FIN comes once, when the FIN's sequence number
 * is reached in order; STREAM_RST once per flow, after which nothing more
 * is delivered. The callback must not call stream functions for f.
 */
void stream_packet(struct stream_engine *e, struct flow *f, int dir, const struct mx_packet *p);

/*
 * Flushes what a closing flow still holds (out-of-order data behind a
 * hole is delivered after a STREAM_GAP; a FIN seen beyond missing data is
 * reported after a STREAM_GAP up to it) and frees f->tcp. Nothing is
 * delivered after a RST. Every attached flow must be detached before the
 * engine is freed.
 */
void stream_detach(struct stream_engine *e, struct flow *f);

/* The engine's counters, updated in place (valid until stream_engine_free). */
const struct stream_counters *stream_engine_counters(const struct stream_engine *e);

#endif
