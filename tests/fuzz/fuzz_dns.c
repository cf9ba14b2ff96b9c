/*
 * fuzz_dns.c - libFuzzer target for the DNS dissector.
 *
 * Input: a mode byte, then the body.
 *   mode bit 0: 0 = the body is one UDP payload; 1 = DNS over TCP
 *   mode bit 1: tcp_max_msg 512 (oversize path)
 *   mode bit 2: tcp_memcap 4096 (memcap path)
 *   mode bit 3: max_parse_cost 64 KiB and max_rrs 64 (refusal paths)
 * TCP body: a sequence of control bytes, each followed by its data:
 *   bit 7 direction; bit 6 set: a gap of (low 6 bits + 1) bytes, no data;
 *   else (low 6 bits + 1) data bytes follow, 0x3f meaning all the rest.
 * Every delivered message is run through every record helper.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Calls every helper on one record, results are checked for sanity. */
static void poke_rr(const ldns_pkt *pkt, enum dns_section sec, const ldns_rr *rr)
{
	char name[DNS_NAME_STR_MAX], text[300], id[DNS_STS_ID_MAX];
	struct mx_addr a;
	struct dns_tlsa t;
	struct dns_rrsig s;
	struct dns_dnskey k;
	struct dns_ds d;
	ldns_rr_list *set = NULL, *sigs = NULL;
	uint16_t pref;
	size_t len;

	if (dns_rr_mx(rr, &pref, name, sizeof(name)) && strlen(name) >= sizeof(name))
		__builtin_trap();
	(void)dns_rr_addr(rr, &a);
	(void)dns_rr_cname(rr, name, sizeof(name));
	if (dns_rr_tlsa(rr, &t) && t.len == 0)
		__builtin_trap();
	if (dns_rr_txt(rr, text, sizeof(text), &len) && strlen(text) > len)
		__builtin_trap();
	if (dns_rr_sts(rr, id, sizeof(id)) && strlen(id) >= DNS_STS_ID_MAX)
		__builtin_trap();
	(void)dns_rr_rrsig(rr, &s);
	(void)dns_rr_dnskey(rr, &k);
	(void)dns_rr_ds(rr, &d);
	if (dns_rrset(pkt, sec, ldns_rr_owner(rr), (uint16_t)ldns_rr_get_type(rr),
		      (uint16_t)ldns_rr_get_class(rr), &set, &sigs) &&
	    set == NULL)
		__builtin_trap(); /* rr itself belongs to its own set */
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
}

/* Entries the answer summary may give: one per record, one per string of a TXT record. */
static size_t summary_bound(const ldns_pkt *pkt)
{
	const ldns_rr_list *l = ldns_pkt_answer(pkt);
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);

		n += ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT ? ldns_rr_rd_count(rr) : 1;
	}
	return n;
}

static void on_message(void *ctx, const struct dns_message *m)
{
	struct dns_answer ans[4];
	struct dns_rr_iter it;
	const ldns_rr *rr;
	unsigned budget = 16;

	(void)ctx;
	if (m->qdcount != ldns_rr_list_rr_count(ldns_pkt_question(m->pkt)) ||
	    strlen(m->qname) >= sizeof(m->qname))
		__builtin_trap();
	for (int s = DNS_SECTION_QUESTION; s <= DNS_SECTION_ADDITIONAL; s++) {
		dns_rr_iter_init(&it, m->pkt, (enum dns_section)s, 0);
		while (budget > 0 && (rr = dns_rr_iter_next(&it)) != NULL) {
			budget--;
			poke_rr(m->pkt, (enum dns_section)s, rr);
		}
	}
	(void)dns_pkt_nsec3_hash_ok(m->pkt);
	if (dns_answer_summary(m->pkt, ans, MX_ARRAY_LEN(ans)) > summary_bound(m->pkt))
		__builtin_trap();
	(void)dns_rcode_str(m->rcode);
}

static void on_error(void *ctx, const struct dns_error *e)
{
	(void)ctx;
	(void)dns_malformed_reason_str(e->reason);
}

static void feed_tcp(struct dns_parser *p, const uint8_t *data, size_t size)
{
	struct dns_tcp_state st;

	dns_tcp_init(&st);
	while (size > 0) {
		uint8_t ctl = *data++;
		int dir = ctl >> 7;
		size_t n = (size_t)(ctl & 0x3f) + 1;

		size--;
		if (ctl & 0x40) {
			dns_tcp_gap(&st, dir, n, p);
			continue;
		}
		if ((ctl & 0x3f) == 0x3f || n > size)
			n = size;
		dns_tcp_feed(&st, dir, data, n, p, NULL);
		data += n;
		size -= n;
	}
	dns_tcp_free(&st, p);
	if (p->counters.memuse != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_parser p;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	dns_parser_init(&p, on_message, on_error);
	if (mode & 0x02)
		p.cfg.tcp_max_msg = 512;
	if (mode & 0x04)
		p.cfg.tcp_memcap = 4096;
	if (mode & 0x08) {
		p.cfg.max_parse_cost = 64 * 1024;
		p.cfg.max_rrs = 64;
	}
	if (mode & 0x01)
		feed_tcp(&p, data + 1, size - 1);
	else
		(void)dns_parse_udp(data + 1, size - 1, &p, NULL);
	return 0;
}
