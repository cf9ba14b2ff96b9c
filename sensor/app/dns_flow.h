/*
 * dns_flow.h - DNS over UDP and TCP as the sensor follows it: the DNS
 * dissector, query/response matching, answer races, the dns records, and
 * the hand-off of answers to the expectation store.
 */
#ifndef MX_DNS_FLOW_H
#define MX_DNS_FLOW_H

#include "app/app.h"
#include "output/eve.h"
#include "flow/flow.h"
#include "decode/packet.h"
#include "flow/stream.h"

struct dns_ctx;
struct dns_flow;

struct correlate;

struct dns_ctx *dns_ctx_new(const struct app_config *cfg, struct eve *eve, struct correlate *corr);
void dns_ctx_free(struct dns_ctx *d);
void dns_ctx_tick(struct dns_ctx *d, uint64_t now_us);
/* Forgets every query waiting for its response (a new timeline). */
void dns_ctx_forget(struct dns_ctx *d);

/* The DNS sessions' counter tables, written to out (at most max); returns how many. */
size_t dns_ctx_stats_sources(struct dns_ctx *d, struct stats_source *out, size_t max);

/* Starts following flow f; NULL when the session memcap is reached. */
struct dns_flow *dns_flow_new(struct dns_ctx *d, struct flow *f);
void dns_flow_datagram(struct dns_ctx *d, struct dns_flow *df, struct flow *f, int dir,
		       const struct mx_packet *p);
void dns_flow_stream(struct dns_ctx *d, struct dns_flow *df, struct flow *f, int dir,
		     enum stream_chunk kind, const uint8_t *data, size_t len);
void dns_flow_end(struct dns_ctx *d, struct dns_flow *df, struct flow *f);

#endif
