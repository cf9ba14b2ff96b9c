/*
 * dns.c - the DNS dissector's entry for one message: parse it (dns_wire.c),
 * fill struct dns_message from the ldns packet, deliver it or the error
 * through the caller's callbacks, count. Also the UDP entry point, the
 * configuration defaults and the counter table.
 */
#include "dns_int.h"

#include <string.h>

const struct mx_counter_desc dns_counter_desc[] = {
    MX_COUNTER("dns.messages", struct dns_counters, messages),
    MX_COUNTER("dns.queries", struct dns_counters, queries),
    MX_COUNTER("dns.responses", struct dns_counters, responses),
    MX_COUNTER("dns.malformed", struct dns_counters, malformed),
    MX_COUNTER("dns.malformed_queries", struct dns_counters, malformed_queries),
    MX_COUNTER("dns.malformed_responses", struct dns_counters, malformed_responses),
    MX_COUNTER("dns.malformed_short_header", struct dns_counters, malformed_short_header),
    MX_COUNTER("dns.malformed_too_many_rrs", struct dns_counters, malformed_too_many_rrs),
    MX_COUNTER("dns.malformed_cost", struct dns_counters, malformed_cost),
    MX_COUNTER("dns.malformed_name_work", struct dns_counters, malformed_name_work),
    MX_COUNTER("dns.malformed_question", struct dns_counters, malformed_question),
    MX_COUNTER("dns.malformed_answer", struct dns_counters, malformed_answer),
    MX_COUNTER("dns.malformed_authority", struct dns_counters, malformed_authority),
    MX_COUNTER("dns.malformed_additional", struct dns_counters, malformed_additional),
    MX_COUNTER("dns.malformed_pointer", struct dns_counters, malformed_pointer),
    MX_COUNTER("dns.malformed_label", struct dns_counters, malformed_label),
    MX_COUNTER("dns.malformed_name_len", struct dns_counters, malformed_name_len),
    MX_COUNTER("dns.malformed_other", struct dns_counters, malformed_other),
    MX_COUNTER("dns.anomaly_multi_tsig", struct dns_counters, anomaly_multi_tsig),
    MX_COUNTER("dns.anomaly_tsig_not_last", struct dns_counters, anomaly_tsig_not_last),
    MX_COUNTER("dns.anomaly_multi_opt", struct dns_counters, anomaly_multi_opt),
    MX_COUNTER("dns.tcp_messages", struct dns_counters, tcp_messages),
    MX_COUNTER("dns.tcp_gaps", struct dns_counters, tcp_gaps),
    MX_COUNTER("dns.tcp_gap_msgs", struct dns_counters, tcp_gap_msgs),
    MX_COUNTER("dns.tcp_lost", struct dns_counters, tcp_lost),
    MX_COUNTER("dns.tcp_resync", struct dns_counters, tcp_resync),
    MX_COUNTER("dns.tcp_lost_bytes", struct dns_counters, tcp_lost_bytes),
    MX_COUNTER("dns.tcp_incomplete", struct dns_counters, tcp_incomplete),
    MX_COUNTER("dns.oversize", struct dns_counters, oversize),
    MX_COUNTER("dns.memcap", struct dns_counters, memcap),
    MX_COUNTER("dns.alloc_fail", struct dns_counters, alloc_fail),
    MX_COUNTER("dns.memuse", struct dns_counters, memuse),
    {NULL, 0},
};

void dns_config_defaults(struct dns_config *cfg)
{
	cfg->max_rrs = 1024;
	cfg->max_parse_cost = 4u << 20;
	cfg->tcp_max_msg = DNS_MSG_MAX;
	cfg->tcp_memcap = 16u << 20;
}

void dns_parser_init(struct dns_parser *p, dns_message_fn on_message, dns_error_fn on_error)
{
	memset(p, 0, sizeof(*p));
	dns_config_defaults(&p->cfg);
	p->on_message = on_message;
	p->on_error = on_error;
}

const char *dns_malformed_reason_str(enum dns_malformed_reason r)
{
	switch (r) {
	case DNS_MAL_SHORT_HEADER:
		return "short_header";
	case DNS_MAL_TOO_MANY_RRS:
		return "too_many_rrs";
	case DNS_MAL_COST:
		return "cost";
	case DNS_MAL_NAME_WORK:
		return "name_work";
	case DNS_MAL_OVERSIZE:
		return "oversize";
	case DNS_MAL_PARSE:
		return "parse";
	case DNS_MAL_ALLOC:
		return "alloc";
	}
	return "unknown";
}

/* Counts a refused message under its reason. */
static void count_error(struct dns_counters *c, const struct dns_wire_info *info)
{
	switch (info->reason) {
	case DNS_MAL_SHORT_HEADER:
		c->malformed_short_header++;
		break;
	case DNS_MAL_TOO_MANY_RRS:
		c->malformed_too_many_rrs++;
		break;
	case DNS_MAL_COST:
		c->malformed_cost++;
		break;
	case DNS_MAL_NAME_WORK:
		c->malformed_name_work++;
		break;
	case DNS_MAL_OVERSIZE:
		c->oversize++;
		break;
	case DNS_MAL_ALLOC:
		c->alloc_fail++;
		break;
	case DNS_MAL_PARSE:
		switch (info->status) {
		case LDNS_STATUS_WIRE_INCOMPLETE_QUESTION:
			c->malformed_question++;
			break;
		case LDNS_STATUS_WIRE_INCOMPLETE_ANSWER:
			c->malformed_answer++;
			break;
		case LDNS_STATUS_WIRE_INCOMPLETE_AUTHORITY:
			c->malformed_authority++;
			break;
		case LDNS_STATUS_WIRE_INCOMPLETE_ADDITIONAL:
			c->malformed_additional++;
			break;
		case LDNS_STATUS_INVALID_POINTER:
			c->malformed_pointer++;
			break;
		case LDNS_STATUS_LABEL_OVERFLOW:
			c->malformed_label++;
			break;
		case LDNS_STATUS_DOMAINNAME_OVERFLOW:
			c->malformed_name_len++;
			break;
		default:
			c->malformed_other++;
			break;
		}
		break;
	}
	if (info->reason != DNS_MAL_OVERSIZE && info->reason != DNS_MAL_ALLOC)
		c->malformed++;
}

static void count_anomalies(struct dns_counters *c, uint32_t anomalies)
{
	if (anomalies & DNS_ANOM_MULTI_TSIG)
		c->anomaly_multi_tsig++;
	if (anomalies & DNS_ANOM_TSIG_NOT_LAST)
		c->anomaly_tsig_not_last++;
	if (anomalies & DNS_ANOM_MULTI_OPT)
		c->anomaly_multi_opt++;
}

/* Fills the question fields of m from the first question of pkt. */
static void fill_question(struct dns_message *m, const ldns_pkt *pkt)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);

	m->qname[0] = '\0';
	if (q == NULL)
		return;
	m->has_question = true;
	m->qtype = (uint16_t)ldns_rr_get_type(q);
	m->qclass = (uint16_t)ldns_rr_get_class(q);
	if (!dns_name_str(ldns_rr_owner(q), m->qname, sizeof(m->qname)))
		m->qname[0] = '\0';
}

/* Fills m from a parsed packet. */
static void fill_message(struct dns_message *m, ldns_pkt *pkt, const struct dns_wire_info *info)
{
	m->pkt = pkt;
	m->id = ldns_pkt_id(pkt);
	m->qr = ldns_pkt_qr(pkt);
	m->opcode = (uint8_t)ldns_pkt_get_opcode(pkt);
	m->aa = ldns_pkt_aa(pkt);
	m->tc = ldns_pkt_tc(pkt);
	m->rd = ldns_pkt_rd(pkt);
	m->ra = ldns_pkt_ra(pkt);
	m->ad = ldns_pkt_ad(pkt);
	m->cd = ldns_pkt_cd(pkt);
	m->rcode = (uint16_t)(ldns_pkt_get_rcode(pkt) & 0x0f);
	m->edns = info->edns;
	if (m->edns) {
		m->rcode |= (uint16_t)(ldns_pkt_edns_extended_rcode(pkt) << 4);
		m->edns_version = ldns_pkt_edns_version(pkt);
		m->do_bit = ldns_pkt_edns_do(pkt);
		m->udp_size = ldns_pkt_edns_udp_size(pkt);
	}
	m->tsig = ldns_pkt_tsig(pkt) != NULL;
	m->anomalies = info->anomalies;
	m->qdcount = ldns_pkt_qdcount(pkt);
	m->ancount = ldns_pkt_ancount(pkt);
	m->nscount = ldns_pkt_nscount(pkt);
	m->arcount = ldns_pkt_arcount(pkt);
	fill_question(m, pkt);
}

bool dns_message_deliver(const uint8_t *wire, size_t len, bool tcp, struct dns_parser *p, void *ctx)
{
	struct dns_wire_info info;
	struct dns_message m;
	ldns_pkt *pkt;

	pkt = dns_wire_parse(&p->cfg, wire, len, &info);
	if (pkt == NULL) {
		count_error(&p->counters, &info);
		/* The header's QR bit still tells what the sender meant it as. */
		if (len >= DNS_HEADER_LEN) {
			if (wire[2] & 0x80)
				p->counters.malformed_responses++;
			else
				p->counters.malformed_queries++;
		}
		if (p->on_error != NULL) {
			struct dns_error e = {
			    .reason = info.reason,
			    .status = info.status,
			    .wire = wire,
			    .wire_len = len,
			    .tcp = tcp,
			};
			p->on_error(ctx, &e);
		}
		return false;
	}
	memset(&m, 0, sizeof(m));
	m.wire = wire;
	m.wire_len = len;
	m.tcp = tcp;
	fill_message(&m, pkt, &info);
	p->counters.messages++;
	if (m.qr)
		p->counters.responses++;
	else
		p->counters.queries++;
	count_anomalies(&p->counters, m.anomalies);
	if (p->on_message != NULL)
		p->on_message(ctx, &m);
	ldns_pkt_free(pkt);
	return true;
}

bool dns_parse_udp(const uint8_t *payload, size_t len, struct dns_parser *p, void *ctx)
{
	return dns_message_deliver(payload, len, false, p, ctx);
}

bool dns_probe(const uint8_t *payload, size_t len)
{
	struct dns_config cfg;
	struct dns_wire_info info;
	ldns_pkt *pkt;

	if (payload == NULL || len < DNS_HEADER_LEN || len > DNS_MSG_MAX)
		return false;
	if (((payload[2] >> 3) & 0x0f) != 0 || (payload[3] & 0x40) != 0 ||
	    (payload[4] << 8 | payload[5]) != 1)
		return false;
	dns_config_defaults(&cfg);
	pkt = dns_wire_parse(&cfg, payload, len, &info);
	if (pkt == NULL)
		return false;
	ldns_pkt_free(pkt);
	return true;
}

ldns_pkt *dns_reparse(const uint8_t *wire, size_t len)
{
	struct dns_config cfg;
	struct dns_wire_info info;

	dns_config_defaults(&cfg);
	cfg.max_rrs = UINT32_MAX;
	cfg.max_parse_cost = SIZE_MAX;
	return dns_wire_parse(&cfg, wire, len, &info);
}
