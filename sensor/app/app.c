/*
 * app.c - protocol selection and dispatch of the application layer; see
 * app.h. nDPI is consulted only for flows that no port identifies, for a
 * bounded number of packets, with its per-flow state under a memcap. Such
 * a TCP flow is reassembled meanwhile, as long as its first bytes may open
 * an SMTP dialogue; they are kept (under the same memcap) for the SMTP
 * probe and for the session that may follow.
 */
#include "app/app.h"

#include <ndpi_api.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_prefix.h"
#include "dns.h"
#include "app/dns_flow.h"
#include "app/mail_session.h"

struct app_flow {
	uint8_t proto; /* enum app_proto */
	uint8_t ndpi_pkts;
	uint8_t fin_seen; /* bit per direction that closed */
	bool done;	  /* the session ended at FIN/RST; only the flow remains */
	bool no_session;  /* the session memcap refused this flow's session */
	bool ndpi_done;	  /* nDPI gave up on this pending flow */
	bool prefix_off;  /* not an SMTP opening: no prefix, no reassembly while pending */
	struct ndpi_flow_struct *ndpi;
	struct app_prefix prefix; /* a pending TCP flow's first bytes */
	struct mail_session *mail;
	struct dns_flow *dns;
};

struct app {
	struct app_config cfg;
	struct eve *eve;
	struct ndpi_detection_module_struct *ndpi;
	size_t ndpi_bytes;
	size_t app_flow_bytes;
	struct mail_ctx *mail;
	struct dns_ctx *dns;
	struct app_counters ctr;
};

static const struct mx_counter_desc app_counter_desc[] = {
    MX_COUNTER("app_layer.flow.smtp", struct app_counters, flows_smtp),
    MX_COUNTER("app_layer.flow.smtps", struct app_counters, flows_smtps),
    MX_COUNTER("app_layer.flow.dns", struct app_counters, flows_dns),
    MX_COUNTER("app_layer.ndpi.flows", struct app_counters, ndpi_flows),
    MX_COUNTER("app_layer.ndpi.classified", struct app_counters, ndpi_classified),
    MX_COUNTER("app_layer.ndpi.gave_up", struct app_counters, ndpi_gave_up),
    MX_COUNTER("app_layer.ndpi.memcap", struct app_counters, ndpi_memcap),
    MX_COUNTER("app_layer.dns_probed", struct app_counters, dns_probed),
    MX_COUNTER("app_layer.smtp_probed", struct app_counters, smtp_probed),
    MX_COUNTER("app_layer.prefix.replayed", struct app_counters, prefix_replayed),
    MX_COUNTER("app_layer.prefix.truncated", struct app_counters, prefix_truncated),
    MX_COUNTER("app_layer.session_memcap", struct app_counters, session_memcap),
    MX_COUNTER("app_layer.flow.no_data", struct app_counters, flows_no_data),
    {NULL, 0},
};

void app_config_defaults(struct app_config *cfg)
{
	static const uint16_t smtp[] = {25, 587, 2525};
	static const uint16_t smtps[] = {465};
	static const uint16_t dns[] = {53};

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->smtp_ports, smtp, sizeof(smtp));
	memcpy(cfg->smtps_ports, smtps, sizeof(smtps));
	memcpy(cfg->dns_ports, dns, sizeof(dns));
	cfg->ndpi = true;
	cfg->ndpi_max_pkts = 8;
	cfg->ndpi_memcap = 16u << 20;
	cfg->session_memcap = 64u << 20;
	cfg->tls_max_handshake = 64u << 10;
}

static bool port_in(const uint16_t *ports, uint16_t port)
{
	for (size_t i = 0; i < APP_MAX_PORTS && ports[i] != 0; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static struct ndpi_detection_module_struct *ndpi_setup(void)
{
	struct ndpi_detection_module_struct *m = ndpi_init_detection_module(ndpi_no_prefs);
	NDPI_PROTOCOL_BITMASK mask;

	if (m == NULL)
		return NULL;
	NDPI_BITMASK_RESET(mask);
	NDPI_ADD_PROTOCOL_TO_BITMASK(mask, NDPI_PROTOCOL_MAIL_SMTP);
	NDPI_ADD_PROTOCOL_TO_BITMASK(mask, NDPI_PROTOCOL_MAIL_SMTPS);
	NDPI_ADD_PROTOCOL_TO_BITMASK(mask, NDPI_PROTOCOL_DNS);
	ndpi_set_protocol_detection_bitmask2(m, &mask);
	ndpi_finalize_initialization(m);
	return m;
}

struct app *app_new(const struct app_config *cfg, struct eve *eve, struct correlate *corr,
		    char *err, size_t errlen)
{
	struct app *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = *cfg;
	a->eve = eve;
	if (cfg->ndpi) {
		a->ndpi = ndpi_setup();
		if (a->ndpi == NULL) {
			snprintf(err, errlen, "cannot initialise nDPI");
			free(a);
			return NULL;
		}
	}
	a->mail = mail_ctx_new(cfg, eve, corr);
	a->dns = dns_ctx_new(cfg, eve, corr);
	if (a->mail == NULL || a->dns == NULL) {
		snprintf(err, errlen, "out of memory");
		app_free(a);
		return NULL;
	}
	return a;
}

void app_free(struct app *a)
{
	if (a == NULL)
		return;
	if (a->ndpi != NULL)
		ndpi_exit_detection_module(a->ndpi);
	mail_ctx_free(a->mail);
	dns_ctx_free(a->dns);
	free(a);
}

static struct app_flow *app_flow_get(struct app *a, struct flow *f)
{
	struct app_flow *af = f->app;

	if (af != NULL)
		return af;
	if (a->app_flow_bytes + sizeof(*af) > a->cfg.session_memcap) {
		a->ctr.session_memcap++;
		return NULL;
	}
	af = calloc(1, sizeof(*af));
	if (af == NULL)
		return NULL;
	a->app_flow_bytes += sizeof(*af);
	f->app = af;
	return af;
}

/* Frees nDPI's state of the flow. */
static void ndpi_release(struct app *a, struct app_flow *af)
{
	if (af->ndpi == NULL)
		return;
	ndpi_free_flow(af->ndpi);
	af->ndpi = NULL;
	a->ndpi_bytes -= SIZEOF_FLOW_STRUCT;
}

/* Gives the flow its protocol and session state. */
static void set_proto(struct app *a, struct flow *f, struct app_flow *af, enum app_proto proto)
{
	af->proto = (uint8_t)proto;
	ndpi_release(a, af);
	af->ndpi_done = true;
	switch (proto) {
	case APP_SMTP:
	case APP_SMTPS:
		/* The session state comes with the first data (see app_stream):
		   a SYN flood costs flow structs only. */
		if (proto == APP_SMTP)
			a->ctr.flows_smtp++;
		else
			a->ctr.flows_smtps++;
		break;
	case APP_DNS:
		a->ctr.flows_dns++;
		af->dns = dns_flow_new(a->dns, f);
		if (af->dns == NULL)
			a->ctr.session_memcap++;
		break;
	default:
		break;
	}
}

bool app_flow_start(struct app *a, struct flow *f, const struct mx_packet *p, int dir)
{
	struct app_flow *af;
	enum app_proto proto = APP_NONE;

	(void)p;
	(void)dir;
	if (f->proto == IPPROTO_TCP && port_in(a->cfg.smtp_ports, f->sport))
		proto = APP_SMTP;
	else if (f->proto == IPPROTO_TCP && port_in(a->cfg.smtps_ports, f->sport))
		proto = APP_SMTPS;
	else if (port_in(a->cfg.dns_ports, f->sport))
		proto = APP_DNS;
	else if (port_in(a->cfg.dns_ports, f->cport) && f->proto == IPPROTO_UDP)
		proto = APP_DNS;

	if (proto == APP_NONE && a->ndpi == NULL)
		return false;
	af = app_flow_get(a, f);
	if (af == NULL)
		return false;
	if (proto == APP_NONE) {
		af->proto = APP_PENDING;
		return f->proto == IPPROTO_TCP;
	}
	set_proto(a, f, af, proto);
	return true;
}

/* Runs nDPI on one packet of a pending flow; returns the protocol found. */
static enum app_proto ndpi_look(struct app *a, struct app_flow *af, const struct mx_packet *p)
{
	ndpi_protocol r;
	uint16_t id;

	if (p->payload_len == 0 || p->l3 == NULL)
		return APP_PENDING;
	if (af->ndpi == NULL) {
		if (a->ndpi_bytes + SIZEOF_FLOW_STRUCT > a->cfg.ndpi_memcap) {
			a->ctr.ndpi_memcap++;
			return APP_NONE;
		}
		af->ndpi = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
		if (af->ndpi == NULL)
			return APP_NONE;
		memset(af->ndpi, 0, SIZEOF_FLOW_STRUCT);
		a->ndpi_bytes += SIZEOF_FLOW_STRUCT;
		a->ctr.ndpi_flows++;
	}
	r = ndpi_detection_process_packet(
	    a->ndpi, af->ndpi, p->l3, (unsigned short)MX_MIN(p->l3_len, 65535u), p->ts_us / 1000);
	id = r.app_protocol != NDPI_PROTOCOL_UNKNOWN ? r.app_protocol : r.master_protocol;
	if (id == NDPI_PROTOCOL_MAIL_SMTP)
		return APP_SMTP;
	if (id == NDPI_PROTOCOL_MAIL_SMTPS)
		return APP_SMTPS;
	if (id == NDPI_PROTOCOL_DNS)
		return APP_DNS;
	if (++af->ndpi_pkts >= a->cfg.ndpi_max_pkts) {
		a->ctr.ndpi_gave_up++;
		return APP_NONE;
	}
	return APP_PENDING;
}

struct replay_ctx {
	struct app *a;
	struct flow *f;
};

static void replay_chunk(void *ctx, int dir, enum stream_chunk kind, const uint8_t *data,
			 size_t len)
{
	struct replay_ctx *rc = ctx;

	app_stream(rc->a, rc->f, dir, kind, data, len);
}

/*
 * A pending TCP flow turns out to be proto: the session gets the bytes
 * kept so far, then the prefix is freed.
 */
static void identified(struct app *a, struct flow *f, struct app_flow *af, enum app_proto proto)
{
	struct app_prefix kept = af->prefix;
	struct replay_ctx rc = {a, f};

	memset(&af->prefix, 0, sizeof(af->prefix));
	set_proto(a, f, af, proto);
	if (kept.len > 0 || kept.cut)
		a->ctr.prefix_replayed++;
	app_prefix_replay(&kept, replay_chunk, &rc);
	if (kept.cut) {
		/* Bytes were not kept: how many is unknown, but not none. */
		a->ctr.prefix_truncated++;
		app_stream(a, f, FLOW_TOSERVER, STREAM_GAP, NULL, 1);
		app_stream(a, f, FLOW_TOCLIENT, STREAM_GAP, NULL, 1);
	}
	app_prefix_free(&kept, &a->ndpi_bytes);
}

/* A pending flow is neither mail nor DNS: what identification held is freed. */
static void unidentified(struct app *a, struct app_flow *af)
{
	af->proto = APP_NONE;
	ndpi_release(a, af);
	app_prefix_free(&af->prefix, &a->ndpi_bytes);
}

enum app_stream_want app_classify(struct app *a, struct flow *f, const struct mx_packet *p, int dir)
{
	struct app_flow *af = f->app;

	(void)dir;
	if (af == NULL || af->proto != APP_PENDING)
		return APP_STREAM_AS_IS;
	if (!af->ndpi_done) {
		enum app_proto proto = ndpi_look(a, af, p);

		if (proto != APP_PENDING && proto != APP_NONE) {
			a->ctr.ndpi_classified++;
			identified(a, f, af, proto);
			return af->done ? APP_STREAM_AS_IS : APP_STREAM_ATTACH;
		}
		if (proto == APP_NONE) {
			af->ndpi_done = true;
			ndpi_release(a, af);
		}
	}
	/* nDPI gave up: the flow is pending as long as the SMTP probe is unsure. */
	if (af->ndpi_done && (af->prefix_off || app_prefix_probe(&af->prefix) == APP_PROBE_NO)) {
		unidentified(a, af);
		return APP_STREAM_DETACH;
	}
	return APP_STREAM_AS_IS;
}

/* Ends the mail or DNS session of a flow: final checks, records, free. */
static void end_session(struct app *a, struct app_flow *af, struct flow *f)
{
	if (af->mail != NULL)
		mail_session_end(a->mail, af->mail, f);
	if (af->dns != NULL)
		dns_flow_end(a->dns, af->dns, f);
	af->mail = NULL;
	af->dns = NULL;
	af->done = true;
}

void app_stream(struct app *a, struct flow *f, int dir, enum stream_chunk kind, const uint8_t *data,
		size_t len)
{
	struct app_flow *af = f->app;

	if (af == NULL || af->done)
		return;
	if (af->proto == APP_PENDING && f->proto == IPPROTO_TCP && !af->prefix_off) {
		bool was_cut = af->prefix.cut;

		app_prefix_add(&af->prefix, dir, kind, data, len, &a->ndpi_bytes,
			       a->cfg.ndpi_memcap);
		if (af->prefix.cut && !was_cut && af->prefix.buf == NULL)
			a->ctr.ndpi_memcap++;
		switch (app_prefix_probe(&af->prefix)) {
		case APP_PROBE_SMTP:
			/* This chunk is in the prefix: the session gets it from there. */
			a->ctr.smtp_probed++;
			identified(a, f, af, APP_SMTP);
			return;
		case APP_PROBE_NO:
			/* Not an SMTP opening: nothing more is kept, and the flow is
			   not reassembled unless nDPI names it (from that packet on). */
			app_prefix_free(&af->prefix, &a->ndpi_bytes);
			af->prefix_off = true;
			break;
		default:
			break;
		}
	}
	if (af->mail == NULL && (af->proto == APP_SMTP || af->proto == APP_SMTPS) &&
	    (kind == STREAM_DATA || kind == STREAM_GAP) && !af->no_session) {
		af->mail = mail_session_new(a->mail, f, af->proto == APP_SMTPS);
		if (af->mail == NULL) {
			a->ctr.session_memcap++;
			af->no_session = true; /* counted once; the flow is not followed */
		}
	}
	if (af->mail != NULL)
		mail_session_stream(a->mail, af->mail, f, dir, kind, data, len);
	else if (af->dns != NULL)
		dns_flow_stream(a->dns, af->dns, f, dir, kind, data, len);
	if (kind == STREAM_FIN)
		af->fin_seen |= (uint8_t)(1u << dir);
	/* Both sides closed, or a reset: the session is over now, not when the
	   flow times out. Its records are written and its state freed. */
	if (kind == STREAM_RST || af->fin_seen == 3)
		end_session(a, af, f);
}

bool app_flow_done(const struct app *a, const struct flow *f)
{
	const struct app_flow *af = f->app;

	(void)a;
	return af != NULL && (af->done || (af->proto == APP_PENDING && af->prefix_off));
}

void app_datagram(struct app *a, struct flow *f, int dir, const struct mx_packet *p)
{
	struct app_flow *af = f->app;

	if (af == NULL)
		return;
	if (af->proto == APP_PENDING) {
		enum app_proto proto = ndpi_look(a, af, p);

		/* nDPI knows DNS only on its usual ports: a datagram that parses
		   as a whole DNS message with one question is DNS on any port. */
		if (proto != APP_DNS && dns_probe(p->payload, p->payload_len)) {
			a->ctr.dns_probed++;
			proto = APP_DNS;
		}
		if (proto == APP_PENDING)
			return;
		if (proto != APP_DNS) {
			af->proto = APP_NONE;
			ndpi_release(a, af);
			return;
		}
		a->ctr.ndpi_classified++;
		set_proto(a, f, af, proto);
	}
	if (af->dns != NULL)
		dns_flow_datagram(a->dns, af->dns, f, dir, p);
}

static const char *app_proto_name(enum app_proto p)
{
	switch (p) {
	case APP_SMTP:
	case APP_SMTPS:
		return "smtp";
	case APP_DNS:
		return "dns";
	default:
		return "failed";
	}
}

static const char *end_reason_name(enum flow_end_reason why)
{
	switch (why) {
	case FLOW_END_TIMEOUT:
		return "timeout";
	case FLOW_END_EVICTED:
		return "forced";
	case FLOW_END_SHUTDOWN:
	default:
		return "shutdown";
	}
}

static const char *flow_state_name(const struct flow *f)
{
	if (f->proto != IPPROTO_TCP)
		return f->pkts[FLOW_TOCLIENT] ? "established" : "new";
	switch (f->state) {
	case FLOW_ESTABLISHED:
		return "established";
	case FLOW_CLOSED:
		return "closed";
	default:
		return "new";
	}
}

static void write_flow_record(struct app *a, const struct flow *f, enum app_proto proto,
			      enum flow_end_reason why)
{
	char start[48], end[48];

	if (!eve_wants(a->eve, EVE_FLOW))
		return;
	if (proto == APP_NONE && !a->cfg.flow_records_all)
		return;
	/* A TCP flow that never carried payload (a scan, a SYN flood, a
	   refused connection) is counted, not written, unless asked for. */
	if (f->proto == IPPROTO_TCP && !flow_carried_data(f) && !a->cfg.flow_records_no_data) {
		a->ctr.flows_no_data++;
		return;
	}
	eve_begin(a->eve, EVE_FLOW, f->last_ts, f, FLOW_TOSERVER,
		  proto == APP_NONE ? NULL : app_proto_name(proto));
	eve_obj_begin(a->eve, "flow");
	eve_u64(a->eve, "pkts_toserver", f->pkts[FLOW_TOSERVER]);
	eve_u64(a->eve, "pkts_toclient", f->pkts[FLOW_TOCLIENT]);
	eve_u64(a->eve, "bytes_toserver", f->bytes[FLOW_TOSERVER]);
	eve_u64(a->eve, "bytes_toclient", f->bytes[FLOW_TOCLIENT]);
	eve_format_time(f->first_ts, start, sizeof(start));
	eve_format_time(f->last_ts, end, sizeof(end));
	eve_str(a->eve, "start", start);
	eve_str(a->eve, "end", end);
	eve_u64(a->eve, "age", (f->last_ts - f->first_ts) / MX_USEC);
	eve_str(a->eve, "state", flow_state_name(f));
	eve_str(a->eve, "reason", end_reason_name(why));
	eve_bool(a->eve, "alerted", f->alerted);
	eve_bool(a->eve, "client_guessed", f->client_guessed);
	eve_obj_end(a->eve);
	eve_commit(a->eve);
}

void app_flow_end(struct app *a, struct flow *f, enum flow_end_reason why)
{
	struct app_flow *af = f->app;
	enum app_proto proto = APP_NONE;

	if (af != NULL) {
		proto = af->proto == APP_PENDING ? APP_NONE : (enum app_proto)af->proto;
		end_session(a, af, f);
		ndpi_release(a, af);
		app_prefix_free(&af->prefix, &a->ndpi_bytes);
		free(af);
		a->app_flow_bytes -= sizeof(*af);
		f->app = NULL;
	}
	write_flow_record(a, f, proto, why);
}

void app_tick(struct app *a, uint64_t now_us)
{
	mail_ctx_tick(a->mail, now_us);
	dns_ctx_tick(a->dns, now_us);
}

void app_forget(struct app *a)
{
	mail_ctx_forget(a->mail);
	dns_ctx_forget(a->dns);
}

size_t app_stats_sources(struct app *a, struct stats_source *out, size_t max)
{
	size_t n = 0;

	if (n < max)
		out[n++] = (struct stats_source){&a->ctr, app_counter_desc};
	n += mail_ctx_stats_sources(a->mail, out + n, max - n);
	n += dns_ctx_stats_sources(a->dns, out + n, max - n);
	return n;
}

size_t app_memuse(const struct app *a)
{
	return a->app_flow_bytes + a->ndpi_bytes + mail_ctx_memuse(a->mail);
}
