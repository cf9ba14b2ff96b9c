/*
 * pipeline.c - ties the stages together for each packet; see pipeline.h.
 */
#include "run/pipeline.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIPELINE_MAX_SOURCES 32

struct pipeline {
	struct pipeline_config cfg;
	struct decoder *dec;
	struct flow_table *flows;
	struct stream_engine *streams;
	struct app *app;
	struct eve *eve;
	uint64_t first_ts, last_ts;
	uint64_t next_tick_ts;	/* timeouts run once a second of packet time */
	uint64_t next_stats_ts; /* 0: no periodic stats */
	uint64_t flow_counter;	/* flows created, for worker flow ids */
	struct pipeline_counters ctr;
	struct stats_source sources[PIPELINE_MAX_SOURCES];
	size_t nsources;
};

static const struct mx_counter_desc pipeline_counter_desc[] = {
    MX_COUNTER("pipeline.decode_ok", struct pipeline_counters, decode_ok),
    MX_COUNTER("pipeline.fragments_held", struct pipeline_counters, decode_held),
    MX_COUNTER("pipeline.not_tcp_udp", struct pipeline_counters, decode_skip),
    MX_COUNTER("pipeline.decode_invalid", struct pipeline_counters, decode_invalid),
    MX_COUNTER("pipeline.no_flow", struct pipeline_counters, flow_none),
    MX_COUNTER("pipeline.timelines", struct pipeline_counters, timelines),
    MX_COUNTER("pipeline.invalid_checksum", struct pipeline_counters, decode_checksum),
    {NULL, 0},
};

void pipeline_config_defaults(struct pipeline_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	decode_config_defaults(&cfg->decode);
	flow_config_defaults(&cfg->flow);
	stream_config_defaults(&cfg->stream);
	app_config_defaults(&cfg->app);
	cfg->stats_interval_s = 0;
}

static void on_flow_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
	struct pipeline *p = ctx;

	if (f->tcp != NULL)
		stream_detach(p->streams, f);
	app_flow_end(p->app, f, why);
}

/* Per-flow state beside the flow structs, for the flow memcap. */
static size_t flow_state_bytes(void *ctx)
{
	const struct pipeline *p = ctx;
	const struct stream_counters *sc = stream_engine_counters(p->streams);

	return (size_t)(sc->memuse + sc->reassembly_memuse) + app_memuse(p->app);
}

static void on_stream(void *ctx, struct flow *f, int dir, enum stream_chunk kind,
		      const uint8_t *data, size_t len)
{
	struct pipeline *p = ctx;

	app_stream(p->app, f, dir, kind, data, len);
}

void pipeline_add_stats_source(struct pipeline *p, const void *base,
			       const struct mx_counter_desc *desc)
{
	if (p->nsources < PIPELINE_MAX_SOURCES)
		p->sources[p->nsources++] = (struct stats_source){base, desc};
}

void pipeline_replace_stats_source(struct pipeline *p, const struct mx_counter_desc *desc,
				   const void *base)
{
	for (size_t i = 0; i < p->nsources; i++)
		if (p->sources[i].desc == desc)
			p->sources[i].base = base;
}

struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct eve *eve,
			      struct correlate *corr, char *err, size_t errlen)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = *cfg;
	p->eve = eve;
	p->dec = decoder_new(&cfg->decode);
	p->flows = flow_table_new(&cfg->flow, on_flow_end, p);
	p->streams = stream_engine_new(&cfg->stream, on_stream, p);
	p->app = app_new(&cfg->app, eve, corr, err, errlen);
	if (p->dec == NULL || p->flows == NULL || p->streams == NULL || p->app == NULL) {
		if (p->app != NULL || err[0] == '\0')
			snprintf(err, errlen, "cannot set up the pipeline (out of memory)");
		pipeline_free(p);
		return NULL;
	}
	flow_table_set_state_source(p->flows, flow_state_bytes, p);
	pipeline_add_stats_source(p, decoder_counters(p->dec), decode_counter_desc);
	pipeline_add_stats_source(p, flow_table_counters(p->flows), flow_counter_desc);
	pipeline_add_stats_source(p, stream_engine_counters(p->streams), stream_counter_desc);
	pipeline_add_stats_source(p, &p->ctr, pipeline_counter_desc);
	struct stats_source app_src[16];
	size_t napp = app_stats_sources(p->app, app_src, MX_ARRAY_LEN(app_src));

	for (size_t i = 0; i < napp; i++)
		pipeline_add_stats_source(p, app_src[i].base, app_src[i].desc);
	return p;
}

void pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	/* Flows end first: their records need the application layer. */
	if (p->flows != NULL)
		flow_table_free(p->flows);
	if (p->streams != NULL)
		stream_engine_free(p->streams);
	if (p->app != NULL)
		app_free(p->app);
	if (p->dec != NULL)
		decoder_free(p->dec);
	free(p);
}

void pipeline_write_stats(struct pipeline *p)
{
	uint64_t up = p->last_ts > p->first_ts ? (p->last_ts - p->first_ts) / MX_USEC : 0;

	pipeline_write_stats_at(p, p->last_ts, up);
}

void pipeline_write_stats_at(struct pipeline *p, uint64_t ts_us, uint64_t uptime_s)
{
	if (!eve_wants(p->eve, EVE_STATS))
		return;
	stats_write(p->eve, ts_us, uptime_s, p->sources, p->nsources);
}

void pipeline_tick(struct pipeline *p, uint64_t now_us)
{
	if (now_us < p->next_tick_ts)
		return;
	p->next_tick_ts = now_us + MX_USEC;
	flow_table_timeout(p->flows, now_us);
	decoder_expire(p->dec, now_us);
	app_tick(p->app, now_us);
	if (p->cfg.stats_interval_s != 0) {
		if (p->next_stats_ts == 0) {
			p->next_stats_ts = now_us + p->cfg.stats_interval_s * MX_USEC;
		} else if (now_us >= p->next_stats_ts) {
			p->next_stats_ts = now_us + p->cfg.stats_interval_s * MX_USEC;
			pipeline_write_stats(p);
		}
	}
}

/*
 * A flow id unique across workers: the flow table numbers its flows on its
 * own, so with several workers the pipeline gives each new flow the id of
 * counter * count + index, scattered by a bijection of the 51-bit id space
 * (ids stay exact in JSON consumers that use doubles).
 */
static uint64_t worker_flow_id(struct pipeline *p)
{
	const uint64_t mask = (1ULL << 51) - 1;
	uint64_t x = (++p->flow_counter * p->cfg.worker_count + p->cfg.worker_index) & mask;

	x = (x * 0x9e3779b97f4a7c15ULL) & mask; /* odd: invertible modulo 2^51 */
	x ^= x >> 23;
	x = (x * 0xbf58476d1ce4e5b9ULL) & mask;
	x ^= x >> 27;
	return x;
}

void pipeline_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
		     uint32_t wirelen)
{
	struct pipeline *p = ctx;
	struct mx_packet pkt;
	struct flow *f;
	int dir = FLOW_TOSERVER;

	if (p->first_ts == 0)
		p->first_ts = ts_us;
	/* Packet time never runs backwards for the timeouts. */
	if (ts_us > p->last_ts)
		p->last_ts = ts_us;
	pipeline_tick(p, p->last_ts);

	switch (decoder_packet(p->dec, dlt, ts_us, frame, caplen, wirelen, &pkt)) {
	case DECODE_OK:
		p->ctr.decode_ok++;
		break;
	case DECODE_HELD:
		p->ctr.decode_held++;
		return;
	case DECODE_SKIP:
		p->ctr.decode_skip++;
		return;
	case DECODE_CHECKSUM:
		p->ctr.decode_checksum++;
		return;
	case DECODE_INVALID:
	default:
		p->ctr.decode_invalid++;
		return;
	}

	f = flow_lookup(p->flows, &pkt, &dir);
	if (f == NULL) {
		p->ctr.flow_none++;
		return;
	}
	if (f->pkts[0] + f->pkts[1] == 1 && p->cfg.worker_count > 1)
		f->flow_id = worker_flow_id(p);
	if (f->pkts[0] + f->pkts[1] == 1 && app_flow_start(p->app, f, &pkt, dir) &&
	    pkt.proto == IPPROTO_TCP)
		stream_attach(p->streams, f);

	if (pkt.proto == IPPROTO_TCP) {
		enum app_stream_want want = app_classify(p->app, f, &pkt, dir);

		if (want == APP_STREAM_ATTACH && f->tcp == NULL)
			stream_attach(p->streams, f);
		else if (want == APP_STREAM_DETACH)
			stream_detach(p->streams, f);
		if (f->tcp != NULL) {
			stream_packet(p->streams, f, dir, &pkt);
			if (app_flow_done(p->app, f))
				stream_detach(p->streams, f);
		}
	} else {
		app_datagram(p->app, f, dir, &pkt);
	}
}

void pipeline_flush(struct pipeline *p)
{
	flow_table_flush(p->flows);
}

void pipeline_new_timeline(struct pipeline *p)
{
	flow_table_flush(p->flows);
	decoder_expire(p->dec, UINT64_MAX);
	app_forget(p->app);
	p->last_ts = 0;
	p->next_tick_ts = 0;
	if (p->next_stats_ts != 0)
		p->next_stats_ts = 0;
	p->ctr.timelines++;
}

struct app *pipeline_app(struct pipeline *p)
{
	return p->app;
}

size_t pipeline_stats_sources(const struct pipeline *p, const struct stats_source **out)
{
	*out = p->sources;
	return p->nsources;
}

uint64_t pipeline_last_ts(const struct pipeline *p)
{
	return p->last_ts;
}
