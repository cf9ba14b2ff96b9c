/*
 * app.h - the application layer: decides which dissector a flow gets (by
 * port, or by nDPI for flows on other ports), feeds it the reassembled
 * stream or the datagrams, and writes the flow record when a flow ends.
 */
#ifndef MX_APP_H
#define MX_APP_H

#include "util/common.h"
#include "util/netset.h"
#include "output/eve.h"
#include "output/stats.h"
#include "flow/flow.h"
#include "decode/packet.h"
#include "flow/stream.h"

enum app_proto {
	APP_NONE,    /* not a mail or DNS flow */
	APP_PENDING, /* nDPI is still looking */
	APP_SMTP,    /* SMTP, STARTTLS possible (25, 587, ...) */
	APP_SMTPS,   /* SMTP inside implicit TLS (465) */
	APP_DNS,
};

#define APP_MAX_PORTS 8

struct app_config {
	uint16_t smtp_ports[APP_MAX_PORTS];  /* 0-terminated */
	uint16_t smtps_ports[APP_MAX_PORTS]; /* 0-terminated */
	uint16_t dns_ports[APP_MAX_PORTS];   /* 0-terminated */
	bool ndpi;			     /* classify flows on other ports with nDPI */
	uint32_t ndpi_max_pkts;		     /* payload packets nDPI may look at per flow */
	size_t ndpi_memcap;		     /* bytes of nDPI flow state held at most */
	size_t session_memcap;		     /* bytes of SMTP/TLS/DNS session state */
	size_t tls_max_handshake;	     /* handshake bytes buffered per direction */
	bool redact_local_parts;	     /* MAIL FROM / RCPT TO local parts hidden */
	bool all_dns_answers;		     /* dns records for every answer, not only mail ones */
	bool flow_records_all;		     /* flow records for every flow, not only mail/DNS */
	bool flow_records_no_data;	     /* ... also for TCP flows that carried no payload */
	struct mx_netset home_net;	     /* our side; empty: smtp records say no direction */
	struct mx_netset mail_relays;	     /* our sending MTAs, counted as home-net */
};

void app_config_defaults(struct app_config *cfg);

struct app_counters {
	uint64_t flows_smtp, flows_smtps, flows_dns, ndpi_flows, ndpi_classified, ndpi_gave_up,
	    ndpi_memcap, session_memcap, dns_probed, smtp_probed, prefix_replayed, prefix_truncated,
	    flows_no_data;
};

struct app;

struct correlate;

/* The application layer; corr receives what the sessions learn and see. */
struct app *app_new(const struct app_config *cfg, struct eve *eve, struct correlate *corr,
		    char *err, size_t errlen);
void app_free(struct app *a);

/*
 * Called with the first packet of a new flow. Returns true when the flow
 * gets reassembly (TCP): a mail or DNS flow by its port, or one that is
 * still to be identified (its first bytes are kept meanwhile, see
 * app_prefix.h).
 */
bool app_flow_start(struct app *a, struct flow *f, const struct mx_packet *p, int dir);

/* What app_classify asks of the flow's reassembly. */
enum app_stream_want {
	APP_STREAM_AS_IS,  /* no change */
	APP_STREAM_ATTACH, /* the flow is now known to be mail or DNS: reassemble it */
	APP_STREAM_DETACH, /* neither mail nor DNS: reassembly no longer needed */
};

/*
 * Called with every TCP packet before its reassembly. A flow still to be
 * identified is shown to nDPI (its first packets with payload); it is
 * SMTP, SMTPS or DNS once nDPI or the SMTP probe over its reassembled
 * first bytes (app_prefix.h) says so. When the probe names it, the
 * session gets every byte from the first on; when nDPI does after the
 * probe said no, the session starts at that packet. It is neither once
 * both have given up.
 */
enum app_stream_want app_classify(struct app *a, struct flow *f, const struct mx_packet *p,
				  int dir);

/* Reassembled TCP data of flow f (stream_data_fn semantics). */
void app_stream(struct app *a, struct flow *f, int dir, enum stream_chunk kind, const uint8_t *data,
		size_t len);

/*
 * True once the flow's reassembly is no longer wanted: its session ended
 * at FIN from both sides or RST, or it is still to be identified and its
 * first bytes are no SMTP opening (app_classify asks for reassembly again
 * if nDPI names it later). The caller may release the reassembly state.
 */
bool app_flow_done(const struct app *a, const struct flow *f);

/* One UDP datagram of flow f. */
void app_datagram(struct app *a, struct flow *f, int dir, const struct mx_packet *p);

/* The flow leaves the table: write its records, free its state. */
void app_flow_end(struct app *a, struct flow *f, enum flow_end_reason why);

/* Periodic work at packet time now_us (expiring correlation state). */
void app_tick(struct app *a, uint64_t now_us);

/* Forgets what sessions left behind for later ones (a new timeline). */
void app_forget(struct app *a);

/*
 * The application layer's counter tables (its own, then the mail and DNS
 * sessions'), written to out (at most max); returns how many. The
 * pipeline asks for them; the tables live as long as a.
 */
size_t app_stats_sources(struct app *a, struct stats_source *out, size_t max);

/*
 * Bytes of per-flow state the application layer holds now: its flow
 * records, nDPI state and kept prefixes, mail sessions and their TLS
 * buffers (what the flow memcap counts beside the flow structs).
 */
size_t app_memuse(const struct app *a);

#endif
