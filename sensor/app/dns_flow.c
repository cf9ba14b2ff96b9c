/*
 * dns_flow.c - DNS flows: the DNS dissector on UDP datagrams and TCP
 * streams, queries matched to responses (each with what its first answer
 * said, for the answer race dns_correlate_race judges), EVE dns records
 * (in Suricata's version 3 layout, or version 2 for outputs that ask for
 * it), the dns object of alerts raised on a message, and every response
 * handed to the DNS correlation (dns_correlate.h).
 */
#include "app/dns_flow.h"
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "dns.h"
#include "correlate/dns_correlate.h"
#include "app/alert_out.h"

/* Queries remembered for matching, all flows together. */
#define QTABLE_SIZE 16384
/* A response this long after its query no longer matches it. */
#define QUERY_LIFETIME_US   (30 * MX_USEC)
#define DNS_EVE_MAX_ANSWERS 32

struct query_slot {
	bool used;
	struct mx_addr cli, srv;
	uint16_t cport, sport, id, qtype;
	uint32_t name_hash;
	char qname[EXPECT_NAME_MAX];
	uint64_t ts_us;
	bool do_bit;
	struct dns_query_facts answers; /* its first answer, for the race check */
};

struct dns_flow {
	struct dns_tcp_state tcp;
	bool is_tcp;
};

struct dns_ctx_counters {
	uint64_t flows, queries_tracked, responses_matched, responses_unmatched, query_evicted,
	    races, records_written, ad_responses;
};

struct dns_ctx {
	struct app_config cfg;
	struct eve *eve;
	struct correlate *corr;
	struct dns_parser parser;
	struct query_slot *qtable;
	struct mx_hash_key key; /* of the query table and the answer digest */
	struct dns_ctx_counters ctr;
	struct dns_answer answers[DNS_EVE_MAX_ANSWERS];
	/* the flow and direction of the message being delivered */
	struct flow *cur_flow;
	int cur_dir;
	uint64_t cur_ts;
	const struct dns_message *cur_msg;
	long cur_nanswers; /* entries in answers[] for cur_msg; -1: not summarised yet */
	/* what correlate decided in its last entry point, written after it returned */
	struct alert_list alerts;
};

static const struct mx_counter_desc dns_ctx_counter_desc[] = {
    MX_COUNTER("app_layer.dns.flows", struct dns_ctx_counters, flows),
    MX_COUNTER("app_layer.dns.queries_tracked", struct dns_ctx_counters, queries_tracked),
    MX_COUNTER("app_layer.dns.responses_matched", struct dns_ctx_counters, responses_matched),
    MX_COUNTER("app_layer.dns.responses_unmatched", struct dns_ctx_counters, responses_unmatched),
    MX_COUNTER("app_layer.dns.query_evicted", struct dns_ctx_counters, query_evicted),
    MX_COUNTER("app_layer.dns.races", struct dns_ctx_counters, races),
    MX_COUNTER("app_layer.dns.records", struct dns_ctx_counters, records_written),
    MX_COUNTER("dns.ad_responses", struct dns_ctx_counters, ad_responses),
    {NULL, 0},
};

static uint32_t str_hash(const struct dns_ctx *d, const char *s)
{
	return (uint32_t)mx_siphash(&d->key, s, strlen(s));
}

static uint32_t query_slot_index(const struct dns_ctx *d, const struct mx_addr *cli, uint16_t cport,
				 uint16_t id, uint32_t name_hash)
{
	uint32_t h = name_hash ^ ((uint32_t)id << 16) ^ cport;
	uint8_t buf[sizeof(h) + sizeof(cli->b)];

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), cli->b, sizeof(cli->b));
	return (uint32_t)mx_siphash(&d->key, buf, sizeof(buf)) & (QTABLE_SIZE - 1);
}

/* Hash of what a response says: rcode and every answer record's wire form. */
static uint64_t answer_hash(const struct dns_ctx *d, const struct dns_message *m)
{
	const ldns_rr_list *ans = ldns_pkt_answer(m->pkt);
	uint64_t sum = 0;

	for (size_t i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		uint16_t type = (uint16_t)ldns_rr_get_type(rr);
		uint64_t h = mx_siphash(&d->key, &type, sizeof(type));

		/* chained: the record so far, then the digest of each rdata field */
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *rd = ldns_rr_rdf(rr, j);
			uint64_t link[2] = {
			    h, mx_siphash(&d->key, ldns_rdf_data(rd), ldns_rdf_size(rd))};

			h = mx_siphash(&d->key, link, sizeof(link));
		}
		/* Order of records does not matter: sum the per-record hashes. */
		sum += h;
	}
	return sum ^ ((uint64_t)m->rcode << 56);
}

static void flow_sides(const struct dns_ctx *d, const struct mx_addr **cli, uint16_t *cport,
		       const struct mx_addr **srv, uint16_t *sport)
{
	const struct flow *f = d->cur_flow;

	*cli = &f->cli;
	*cport = f->cport;
	*srv = &f->srv;
	*sport = f->sport;
}

/* The request list an entry point of correlate fills. */
static struct alert_list *alerts(struct dns_ctx *d)
{
	d->alerts.render = eve_wants(d->eve, EVE_ALERT);
	return &d->alerts;
}

/* The ends of a flow, as correlate takes them. */
static struct corr_ends flow_ends(const struct flow *f)
{
	return (struct corr_ends){f->cli, f->srv, f->cport, f->sport, f->flow_id};
}

static struct query_slot *query_find(struct dns_ctx *d, const struct dns_message *m)
{
	const struct mx_addr *cli, *srv;
	uint16_t cport, sport;
	uint32_t nh = str_hash(d, m->qname);
	struct query_slot *q;

	flow_sides(d, &cli, &cport, &srv, &sport);
	q = &d->qtable[query_slot_index(d, cli, cport, m->id, nh)];
	if (!q->used || q->id != m->id || q->cport != cport || q->sport != sport ||
	    q->qtype != m->qtype || q->name_hash != nh || mx_addr_cmp(&q->cli, cli) != 0 ||
	    mx_addr_cmp(&q->srv, srv) != 0 || strcmp(q->qname, m->qname) != 0)
		return NULL;
	if (d->cur_ts > q->ts_us + QUERY_LIFETIME_US)
		return NULL;
	return q;
}

static void query_track(struct dns_ctx *d, const struct dns_message *m)
{
	const struct mx_addr *cli, *srv;
	uint16_t cport, sport;
	uint32_t nh = str_hash(d, m->qname);
	struct query_slot *q;

	flow_sides(d, &cli, &cport, &srv, &sport);
	q = &d->qtable[query_slot_index(d, cli, cport, m->id, nh)];
	if (q->used && d->cur_ts <= q->ts_us + QUERY_LIFETIME_US)
		d->ctr.query_evicted++;
	memset(q, 0, sizeof(*q));
	q->used = true;
	q->cli = *cli;
	q->srv = *srv;
	q->cport = cport;
	q->sport = sport;
	q->id = m->id;
	q->qtype = m->qtype;
	q->name_hash = nh;
	mx_strlcpy(q->qname, m->qname, sizeof(q->qname));
	q->ts_us = d->cur_ts;
	q->answers.query_ts_us = d->cur_ts;
	q->do_bit = m->do_bit;
	d->ctr.queries_tracked++;
}

/* A second response to one query: handed to correlate, which judges the race. */
static void check_race(struct dns_ctx *d, struct query_slot *q, const struct dns_message *m)
{
	struct corr_ends ends = flow_ends(d->cur_flow);

	if (dns_correlate_race(d->corr, &ends, m, answer_hash(d, m), &q->answers, d->cur_ts,
			       alerts(d)))
		d->ctr.races++;
	alert_out_flush(d->eve, d->cur_flow, &d->alerts);
}

/* Messages whose dns record is written without the all-answers option. */
static bool mail_relevant(struct dns_ctx *d, const struct dns_message *m)
{
	/* An ANY (or other) query whose answer holds MX or TLSA records. */
	if (m->qr && (dns_count_type(m->pkt, DNS_SECTION_ANSWER, LDNS_RR_TYPE_MX) > 0 ||
		      dns_count_type(m->pkt, DNS_SECTION_ANSWER, LDNS_RR_TYPE_TLSA) > 0))
		return true;
	switch (m->qtype) {
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_TLSA:
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_DS:
		return true;
	case LDNS_RR_TYPE_TXT:
		return strncmp(m->qname, "_mta-sts.", 9) == 0;
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
		return dns_correlate_is_mx_host(d->corr, m->qname, d->cur_ts);
	default:
		return false;
	}
}

/* The header flags as Suricata writes them: hex without leading zeros. */
static void write_flags(struct eve *e, const struct dns_message *m)
{
	char flags[8];
	unsigned v = (unsigned)m->qr << 15 | (unsigned)(m->opcode & 15) << 11 |
		     (unsigned)m->aa << 10 | (unsigned)m->tc << 9 | (unsigned)m->rd << 8 |
		     (unsigned)m->ra << 7 | (unsigned)m->ad << 5 | (unsigned)m->cd << 4 |
		     (m->rcode & 15);

	snprintf(flags, sizeof(flags), "%x", v);
	eve_str(e, "flags", flags);
}

/* The answer entries of the message being written (summarised once). */
static size_t answers_of(struct dns_ctx *d, const struct dns_message *m)
{
	if (d->cur_nanswers < 0)
		d->cur_nanswers =
		    m->qr ? (long)dns_answer_summary(m->pkt, d->answers, DNS_EVE_MAX_ANSWERS) : 0;
	return (size_t)d->cur_nanswers;
}

static void write_soa(struct eve *e, const char *key, const struct dns_soa *soa)
{
	eve_obj_begin(e, key);
	eve_str(e, "mname", soa->mname);
	eve_str(e, "rname", soa->rname);
	eve_u64(e, "serial", soa->serial);
	eve_u64(e, "refresh", soa->refresh);
	eve_u64(e, "retry", soa->retry);
	eve_u64(e, "expire", soa->expire);
	eve_u64(e, "minimum", soa->minimum);
	eve_obj_end(e);
}

static void write_srv(struct eve *e, const char *key, const struct dns_srv *srv)
{
	eve_obj_begin(e, key);
	eve_u64(e, "priority", srv->priority);
	eve_u64(e, "weight", srv->weight);
	eve_u64(e, "port", srv->port);
	eve_str(e, "name", srv->name);
	eve_obj_end(e);
}

/* Types Suricata lists under dns.grouped. */
static bool groupable(uint16_t t)
{
	switch (t) {
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_TXT:
	case LDNS_RR_TYPE_NULL:
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_SRV:
		return true;
	default:
		return false;
	}
}

/* dns.answers (one object per entry) and dns.grouped (the rdata by type). */
static void write_answers(struct eve *e, const struct dns_answer *a, size_t n)
{
	bool done[DNS_EVE_MAX_ANSWERS] = {false};
	bool any_grouped = false;

	if (n == 0)
		return;
	eve_list_begin(e, "answers");
	for (size_t i = 0; i < n; i++) {
		eve_obj_begin(e, "");
		eve_str(e, "rrname", a[i].rrname);
		eve_str(e, "rrtype", a[i].rrtype);
		eve_u64(e, "ttl", a[i].ttl);
		if (a[i].form == DNS_RDATA_SOA)
			write_soa(e, "soa", &a[i].u.soa);
		else if (a[i].form == DNS_RDATA_SRV)
			write_srv(e, "srv", &a[i].u.srv);
		else
			eve_bytes(e, "rdata", (const uint8_t *)a[i].rdata, a[i].rdata_len);
		eve_obj_end(e);
		any_grouped |= groupable(a[i].type);
	}
	eve_list_end(e);
	if (!any_grouped)
		return;
	eve_obj_begin(e, "grouped");
	for (size_t i = 0; i < n; i++) {
		if (done[i] || !groupable(a[i].type))
			continue;
		eve_list_begin(e, a[i].rrtype);
		for (size_t j = i; j < n; j++) {
			if (a[j].type != a[i].type)
				continue;
			done[j] = true;
			if (a[j].form == DNS_RDATA_SOA) {
				write_soa(e, "", &a[j].u.soa);
			} else if (a[j].form == DNS_RDATA_SRV) {
				write_srv(e, "", &a[j].u.srv);
			} else {
				eve_list_bytes(e, (const uint8_t *)a[j].rdata, a[j].rdata_len);
			}
		}
		eve_list_end(e);
	}
	eve_obj_end(e);
}

/* The header bits Suricata writes only when set, then mxsentry's ad and do. */
static void write_bits(struct eve *e, const struct dns_message *m)
{
	if (m->aa)
		eve_bool(e, "aa", true);
	if (m->tc)
		eve_bool(e, "tc", true);
	if (m->rd)
		eve_bool(e, "rd", true);
	if (m->ra)
		eve_bool(e, "ra", true);
	eve_bool(e, "ad", m->ad);
	eve_bool(e, "do", m->do_bit);
}

static void write_dnssec(struct eve *e, const struct dns_message *m, const struct dns_verdict *v)
{
	if (v == NULL || !m->qr)
		return;
	eve_obj_begin(e, "dnssec");
	eve_str(e, "status", v->status);
	if (v->reason[0])
		eve_str(e, "reason", v->reason);
	eve_str(e, "trust", expect_trust_name(v->trust));
	eve_obj_end(e);
}

/* The dns object in Suricata's version 3 layout (dns records and alerts). */
static void dns_object_v3(struct dns_ctx *d, const struct dns_message *m,
			  const struct dns_verdict *v)
{
	struct eve *e = d->eve;
	char type[DNS_TYPE_STR_MAX];
	const char *rcode = dns_rcode_str(m->rcode);

	eve_obj_begin(e, "dns");
	eve_u64(e, "version", 3);
	eve_str(e, "type", m->qr ? "response" : "request");
	eve_u64(e, "id", m->id);
	write_flags(e, m);
	eve_bool(e, "qr", m->qr);
	write_bits(e, m);
	eve_u64(e, "opcode", m->opcode);
	if (m->qr)
		eve_str(e, "rcode", rcode != NULL ? rcode : "other");
	if (m->has_question) {
		eve_list_begin(e, "queries");
		eve_obj_begin(e, "");
		eve_str(e, "rrname", m->qname);
		eve_str(e, "rrtype", dns_type_str(m->qtype, type, sizeof(type)));
		eve_obj_end(e);
		eve_list_end(e);
	}
	write_answers(e, d->answers, answers_of(d, m));
	write_dnssec(e, m, v);
	eve_obj_end(e);
}

/*
 * The dns object in Suricata's version 2 layout: a request is
 * {type: query, id, rrname, rrtype, opcode}, a response {type: answer,
 * id, flags, bits, opcode, rrname, rrtype (of the question), rcode,
 * answers[], grouped{}}.
 */
static void dns_object_v2(struct dns_ctx *d, const struct dns_message *m,
			  const struct dns_verdict *v)
{
	struct eve *e = d->eve;
	char type[DNS_TYPE_STR_MAX];
	const char *rcode = dns_rcode_str(m->rcode);

	eve_obj_begin(e, "dns");
	eve_u64(e, "version", 2);
	eve_str(e, "type", m->qr ? "answer" : "query");
	eve_u64(e, "id", m->id);
	if (m->qr) {
		write_flags(e, m);
		eve_bool(e, "qr", true);
		write_bits(e, m);
	} else {
		eve_bool(e, "ad", m->ad);
		eve_bool(e, "do", m->do_bit);
	}
	if (!m->qr && m->has_question) {
		eve_str(e, "rrname", m->qname);
		eve_str(e, "rrtype", dns_type_str(m->qtype, type, sizeof(type)));
	}
	eve_u64(e, "opcode", m->opcode);
	if (m->qr) {
		if (m->has_question) {
			eve_str(e, "rrname", m->qname);
			eve_str(e, "rrtype", dns_type_str(m->qtype, type, sizeof(type)));
		}
		eve_str(e, "rcode", rcode != NULL ? rcode : "other");
		write_answers(e, d->answers, answers_of(d, m));
	}
	write_dnssec(e, m, v);
	eve_obj_end(e);
}

/* One dns record per layout some output wants. */
static void write_record(struct dns_ctx *d, const struct dns_message *m,
			 const struct dns_verdict *v)
{
	struct eve *e = d->eve;

	for (int version = 3; version >= 2; version--) {
		if (!eve_wants_dns_version(e, version))
			continue;
		eve_begin(e, EVE_DNS, d->cur_ts, d->cur_flow, d->cur_dir, "dns");
		eve_only_dns_version(e, version);
		if (version == 2)
			dns_object_v2(d, m, v);
		else
			dns_object_v3(d, m, v);
		eve_commit(e);
	}
	d->ctr.records_written++;
}

/* The app-layer object of alerts raised on this message: Suricata 8
   writes the version 3 object there whatever the dns records' layout. */
static void alert_dns_object(struct eve *e, const void *arg)
{
	struct dns_ctx *d = (struct dns_ctx *)arg;

	if (e == d->eve && d->cur_msg != NULL)
		dns_object_v3(d, d->cur_msg, NULL);
}

static void on_message(void *ctx, const struct dns_message *m)
{
	struct dns_ctx *d = ctx;
	struct query_slot *q = NULL;
	struct dns_verdict v;
	bool query_do = false, matched = false;
	struct eve_app_layer prev;
	struct corr_ends ends;

	d->cur_msg = m;
	d->cur_nanswers = -1;
	prev = eve_swap_app_layer(d->eve, (struct eve_app_layer){d->cur_flow, alert_dns_object, d});
	if (!m->qr) {
		if (m->opcode == LDNS_PACKET_QUERY && m->has_question)
			query_track(d, m);
		if (d->cfg.all_dns_answers && eve_wants(d->eve, EVE_DNS))
			write_record(d, m, NULL);
		goto done;
	}
	if (m->ad)
		d->ctr.ad_responses++;
	if (m->has_question)
		q = query_find(d, m);
	if (q != NULL) {
		matched = true;
		query_do = q->do_bit;
		d->ctr.responses_matched++;
		check_race(d, q, m);
	} else {
		d->ctr.responses_unmatched++;
	}
	memset(&v, 0, sizeof(v));
	ends = flow_ends(d->cur_flow);
	dns_correlate_response(d->corr, &ends, m, matched, query_do, d->cur_ts, &v, alerts(d));
	alert_out_flush(d->eve, d->cur_flow, &d->alerts);
	if (eve_wants(d->eve, EVE_DNS) && (d->cfg.all_dns_answers || mail_relevant(d, m)))
		write_record(d, m, &v);
done:
	eve_swap_app_layer(d->eve, prev);
	d->cur_msg = NULL;
}

struct dns_ctx *dns_ctx_new(const struct app_config *cfg, struct eve *eve, struct correlate *corr)
{
	struct dns_ctx *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->qtable = calloc(QTABLE_SIZE, sizeof(*d->qtable));
	if (d->qtable == NULL) {
		free(d);
		return NULL;
	}
	mx_hash_key_init(&d->key);
	d->cfg = *cfg;
	d->eve = eve;
	d->corr = corr;
	dns_parser_init(&d->parser, on_message, NULL);
	return d;
}

void dns_ctx_free(struct dns_ctx *d)
{
	if (d == NULL)
		return;
	free(d->qtable);
	free(d);
}

void dns_ctx_tick(struct dns_ctx *d, uint64_t now_us)
{
	(void)d;
	(void)now_us;
}

void dns_ctx_forget(struct dns_ctx *d)
{
	memset(d->qtable, 0, QTABLE_SIZE * sizeof(*d->qtable));
}

size_t dns_ctx_stats_sources(struct dns_ctx *d, struct stats_source *out, size_t max)
{
	const struct stats_source all[] = {
	    {&d->parser.counters, dns_counter_desc},
	    {&d->ctr, dns_ctx_counter_desc},
	};
	size_t n = MX_MIN(max, MX_ARRAY_LEN(all));

	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

struct dns_flow *dns_flow_new(struct dns_ctx *d, struct flow *f)
{
	struct dns_flow *df = calloc(1, sizeof(*df));

	if (df == NULL)
		return NULL;
	df->is_tcp = f->proto == 6;
	dns_tcp_init(&df->tcp);
	d->ctr.flows++;
	return df;
}

static void set_current(struct dns_ctx *d, struct flow *f, int dir, uint64_t ts)
{
	d->cur_flow = f;
	d->cur_dir = dir;
	d->cur_ts = ts;
}

void dns_flow_datagram(struct dns_ctx *d, struct dns_flow *df, struct flow *f, int dir,
		       const struct mx_packet *p)
{
	(void)df;
	set_current(d, f, dir, p->ts_us);
	dns_parse_udp(p->payload, p->payload_len, &d->parser, d);
}

void dns_flow_stream(struct dns_ctx *d, struct dns_flow *df, struct flow *f, int dir,
		     enum stream_chunk kind, const uint8_t *data, size_t len)
{
	set_current(d, f, dir, f->last_ts);
	switch (kind) {
	case STREAM_DATA:
		dns_tcp_feed(&df->tcp, dir, data, len, &d->parser, d);
		break;
	case STREAM_GAP:
		dns_tcp_gap(&df->tcp, dir, len, &d->parser);
		break;
	default:
		break;
	}
}

void dns_flow_end(struct dns_ctx *d, struct dns_flow *df, struct flow *f)
{
	(void)f;
	dns_tcp_free(&df->tcp, &d->parser);
	free(df);
}
