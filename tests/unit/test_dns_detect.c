/*
 * test_dns_detect.c - the DNS-side detections driven with DNS responses
 * built by ldns (no capture): tlsa-stripped, mta-sts-stripped and
 * mx-redirect through dns_correlate_response, with their guards (a
 * denial proven by a trusted resolver's AD bit, truncation, answers that
 * do hold the record); dns-answer-race through a DNS session (an
 * identical repeated answer is no race, nor a late one); dnssec-stripped
 * (only for DO queries) and dnssec-bogus on a zone signed with a key made
 * here and anchored by a trust-anchor file; answers and NSEC denials the
 * sensor validated itself raise nothing without AD, and a trusted
 * resolver's AD=1 vouches keys only in a NOERROR answer. Assertions are on
 * the alerts the stage counts per kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/alert_out.h"
#include "app/dns_flow.h"
#include "correlate/dns_correlate.h"
#include "correlate/policy.h"
#include "output/stats.h"
#include "correlate/correlate_state.h"
#include "state/state.h"

#define SEC(x) ((uint64_t)(x)*MX_USEC)
#define T0     SEC(1800000000)

static const char policies[] =
    "policies:\n"
    "  - domain: sts.test\n"
    "    mta-sts: {mode: enforce, mx: [mx.sts.test], max_age: 604800}\n"
    "  - domain: pinned.test\n"
    "    tlsa:\n"
    "      - host: mx.pinned.test\n"
    "        port: 25\n"
    "        records: [\"3 1 1 "
    "3333333333333333333333333333333333333333333333333333333333333333\"]\n";

struct dfx {
	struct correlate *c;
	struct eve *eve;
	struct flow f;
	struct dns_parser parser;
	bool query_do;
	uint64_t ts;
	struct dns_verdict v;
	struct alert_list out;
};

static void on_message(void *ctx, const struct dns_message *m)
{
	struct dfx *x = ctx;
	struct corr_ends ends = {x->f.cli, x->f.srv, x->f.cport, x->f.sport, x->f.flow_id};

	x->out.render = true;
	dns_correlate_response(x->c, &ends, m, true, x->query_do, x->ts, &x->v, &x->out);
	alert_out_flush(x->eve, &x->f, &x->out);
}

static struct dfx *dfx_new_anchor(bool trust_resolver, const char *anchor_file)
{
	struct dfx *x = calloc(1, sizeof(*x));
	struct correlate_config cfg;
	struct policy_set *ps = policy_set_new();
	struct mx_errors errs;
	char err[128];

	assert_non_null(x);
	correlate_config_defaults(&cfg);
	/* The resolver of these tests is 192.0.2.53: listed, or (another
	   resolver listed) not trusted, its AD bit counting for nothing. */
	assert_true(mx_prefix_parse(&cfg.trusted_resolvers[0],
				    trust_resolver ? "192.0.2.53" : "198.51.100.53"));
	cfg.n_trusted_resolvers = 1;
	cfg.trust_anchor_file = anchor_file;
	x->c = correlate_new(&cfg, err, sizeof(err));
	assert_non_null(x->c);
	mx_errors_init(&errs);
	assert_true(policy_load_buffer(ps, "p.yaml", policies, strlen(policies), NULL, &errs));
	correlate_set_policies(x->c, ps);
	x->eve = eve_new();
	assert_non_null(x->eve);
	assert_true(mx_addr_parse(&x->f.cli, "198.51.100.7"));
	assert_true(mx_addr_parse(&x->f.srv, "192.0.2.53"));
	x->f.cport = 40000;
	x->f.sport = 53;
	x->f.proto = 17;
	x->f.flow_id = 1;
	dns_parser_init(&x->parser, on_message, NULL);
	x->ts = T0;
	return x;
}

static struct dfx *dfx_new(bool trust_resolver)
{
	return dfx_new_anchor(trust_resolver, NULL);
}

static void dfx_free(struct dfx *x)
{
	eve_free(x->eve);
	correlate_free(x->c);
	free(x);
}

static uint64_t raised(struct dfx *x, enum mx_kind k)
{
	return alert_counters(correlate_alerts(x->c))->by_kind[k];
}

static uint64_t raised_total(struct dfx *x)
{
	return alert_counters(correlate_alerts(x->c))->raised;
}

/* A response to (qname, qtype) with the answer records given as text ("" ends). */
static ldns_pkt *response(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode, bool ad,
			  const char *const *answers)
{
	ldns_pkt *p = NULL;

	assert_int_equal(ldns_pkt_query_new_frm_str(&p, qname, qtype, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 4242);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_ad(p, ad);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	for (size_t i = 0; answers != NULL && answers[i] != NULL; i++) {
		ldns_rr *rr = NULL;

		assert_int_equal(ldns_rr_new_frm_str(&rr, answers[i], 3600, NULL, NULL),
				 LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	return p;
}

static void feed(struct dfx *x, ldns_pkt *p, bool tc)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	ldns_pkt_set_tc(p, tc);
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	assert_true(dns_parse_udp(wire, len, &x->parser, x));
	free(wire);
	ldns_pkt_free(p);
}

static void put_tlsa(struct dfx *x, const char *host, enum expect_trust trust, uint32_t sightings)
{
	struct expect_tlsa t = {.n = 1, .trust = trust, .expires_us = T0 + SEC(3600)};

	t.rec[0] = (struct tlsa_record){3, 1, 1, 32, {0}};
	expect_put_tlsa(correlate_expect(x->c), host, 25, &t, T0 - SEC(60));
	for (uint32_t i = 1; i < sightings; i++)
		expect_put_tlsa(correlate_expect(x->c), host, 25, &t, T0 - SEC(60));
}

/* ---- tlsa-stripped ---- */

static void test_tlsa_stripped(void **state)
{
	static const char *const tlsa[] = {"_25._tcp.mx.dane.test. IN TLSA 3 1 1 "
					   "55555555555555555555555555555555"
					   "55555555555555555555555555555555",
					   NULL};
	struct dfx *x = dfx_new(false);

	(void)state;
	put_tlsa(x, "mx.dane.test", EXPECT_DNSSEC, 1);
	feed(x,
	     response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 1);
	/* NXDOMAIN too: judged, but the resolver asking again is a retry of the
	   same lookup, counted into the first alert's incident (incident.h) */
	feed(
	    x,
	    response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NXDOMAIN, false, NULL),
	    false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 1);
	/* guards: the answer holds TLSA; truncated; a host not known; another port */
	feed(x,
	     response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, tlsa),
	     false);
	feed(x,
	     response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	     true);
	feed(
	    x,
	    response("_25._tcp.mx.other.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	    false);
	feed(
	    x,
	    response("_465._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	    false);
	/* a SERVFAIL says nothing about the records */
	feed(
	    x,
	    response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_SERVFAIL, false, NULL),
	    false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 1);
	/* no dnssec-stripped on top of the specific kind */
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 0);
	/* a writer without an alert output is handed no alert record */
	assert_int_equal(eve_counters(x->eve)->alerts, 0);
	assert_int_equal(eve_counters(x->eve)->lines, 0);
	/* a policy pin is an expectation as well */
	feed(x,
	     response("_25._tcp.mx.pinned.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false,
		      NULL),
	     false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 2);
	dfx_free(x);
}

/* Unvalidated TLSA seen before: a history expectation, from the first sighting on. */
static void test_tlsa_stripped_history(void **state)
{
	struct dfx *x = dfx_new(false);

	(void)state;
	put_tlsa(x, "mx.seen.test", EXPECT_UNVALIDATED, 1);
	feed(x,
	     response("_25._tcp.mx.seen.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 1);
	/* seen more than 30 days ago: forgotten */
	x->ts = T0 + SEC(31 * 86400);
	feed(x,
	     response("_25._tcp.mx.seen.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 1);
	dfx_free(x);
}

/* A removal the trusted resolver proves (AD on the denial) is no stripping. */
static void test_tlsa_removed_proven(void **state)
{
	struct dfx *x = dfx_new(true);

	(void)state;
	put_tlsa(x, "mx.dane.test", EXPECT_DNSSEC, 1);
	feed(x,
	     response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NXDOMAIN, true, NULL),
	     false);
	feed(x,
	     response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, true, NULL),
	     false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 0);
	assert_string_equal(expect_trust_name(x->v.trust), "resolver-ad");
	/* without AD the same answer from the same resolver is stripped */
	feed(x,
	     response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 1);
	dfx_free(x);
}

/* ---- mta-sts-stripped ---- */

static void test_sts_stripped(void **state)
{
	static const char *const txt[] = {"_mta-sts.sts.test. IN TXT \"v=STSv1; id=20260101\"",
					  NULL};
	static const char *const other[] = {"_mta-sts.sts.test. IN TXT \"something else\"", NULL};
	struct dfx *x = dfx_new(false);

	(void)state;
	feed(x, response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 1);
	/* another answer to the same lookup: the same incident, no second alert */
	feed(x, response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false, other),
	     false);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 1);
	/* guards: the record is there; truncated; a domain nobody expects it for */
	feed(x, response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false, txt),
	     false);
	feed(x, response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false, NULL),
	     true);
	feed(x, response("_mta-sts.free.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false, NULL),
	     false);
	feed(x, response("sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false, NULL), false);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 1);
	/* learned from an earlier answer: the record seen once is expected again */
	feed(x,
	     response(
		 "_mta-sts.learned.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false,
		 (const char *const[]){"_mta-sts.learned.test. IN TXT \"v=STSv1; id=1\"", NULL}),
	     false);
	feed(x,
	     response("_mta-sts.learned.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 2);
	dfx_free(x);
}

static void test_sts_removed_proven(void **state)
{
	struct dfx *x = dfx_new(true);

	(void)state;
	feed(x, response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, true, NULL),
	     false);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 0);
	feed(x, response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 1);
	dfx_free(x);
}

/* ---- mx-redirect on DNS answers ---- */

static void test_mx_answer(void **state)
{
	static const char *const good[] = {"signed.test. IN MX 10 mx.signed.test.", NULL};
	static const char *const bad[] = {"signed.test. IN MX 10 mx.signed.test.",
					  "signed.test. IN MX 20 evil.example.", NULL};
	static const char *const sts_ok[] = {"sts.test. IN MX 10 mx.sts.test.", NULL};
	static const char *const sts_bad[] = {"sts.test. IN MX 10 relay.sts.test.", NULL};
	struct dfx *x = dfx_new(false);
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	expect_put_mx(correlate_expect(x->c), "signed.test", &mx, T0);
	feed(x, response("signed.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, good), false);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	feed(x, response("signed.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, bad), false);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	/* an unvalidated MX set known before is no expectation */
	mx.trust = EXPECT_UNVALIDATED;
	expect_put_mx(correlate_expect(x->c), "plain.test", &mx, T0);
	feed(x,
	     response("plain.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"plain.test. IN MX 10 other.example.", NULL}),
	     false);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	/* MTA-STS mx patterns */
	feed(x, response("sts.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, sts_ok), false);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	feed(x, response("sts.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, sts_bad), false);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 2);
	dfx_free(x);
}

/* ---- dnssec-stripped and dnssec-bogus on a signed zone ---- */

#define INCEPTION  ((uint32_t)(T0 / MX_USEC) - 86400)
#define EXPIRATION ((uint32_t)(T0 / MX_USEC) + 30 * 86400)

struct signed_zone {
	ldns_key *ksk;
	ldns_rr *ksk_rr;
	char anchor[64];
};

static ldns_rr *text_rr(const char *s)
{
	ldns_rr *r = NULL;

	assert_int_equal(ldns_rr_new_frm_str(&r, s, 3600, NULL, NULL), LDNS_STATUS_OK);
	return r;
}

/* A KSK for sec.test. and a trust-anchor file holding its DS. */
static void zone_new(struct signed_zone *z)
{
	ldns_rr *ds;
	char *text;
	FILE *fp;
	int fd;

	z->ksk = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
	assert_non_null(z->ksk);
	ldns_key_set_pubkey_owner(z->ksk, ldns_dname_new_frm_str("sec.test."));
	ldns_key_set_flags(z->ksk, 257);
	z->ksk_rr = ldns_key2rr(z->ksk);
	ldns_rr_set_ttl(z->ksk_rr, 3600);
	ldns_key_set_keytag(z->ksk, ldns_calc_keytag(z->ksk_rr));
	ldns_key_set_inception(z->ksk, INCEPTION);
	ldns_key_set_expiration(z->ksk, EXPIRATION);
	ds = ldns_key_rr2ds(z->ksk_rr, LDNS_SHA256);
	text = ldns_rr2str(ds);
	snprintf(z->anchor, sizeof(z->anchor), "/tmp/mx-dnsdetect-XXXXXX");
	fd = mkstemp(z->anchor);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(text);
	ldns_rr_free(ds);
}

static void zone_free(struct signed_zone *z)
{
	unlink(z->anchor);
	ldns_rr_free(z->ksk_rr);
	ldns_key_deep_free(z->ksk);
}

/* Adds rrs (and, when sign, their RRSIG by the KSK) to the answer of p. */
static ldns_pkt *with_rrset(struct signed_zone *z, ldns_pkt *p, ldns_rr_list *rrs, bool sign,
			    bool tamper)
{
	if (sign) {
		ldns_key_list *kl = ldns_key_list_new();
		ldns_rr_list *sigs;

		ldns_key_list_push_key(kl, z->ksk);
		sigs = ldns_sign_public(rrs, kl);
		assert_non_null(sigs);
		for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 ldns_rr_clone(ldns_rr_list_rr(sigs, i)));
		ldns_rr_list_deep_free(sigs);
		ldns_key_list_set_key_count(kl, 0);
		ldns_key_list_free(kl);
	}
	if (tamper)
		ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(rrs, 0), 0))[3] ^= 1;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(ldns_rr_list_rr(rrs, i)));
	ldns_rr_list_deep_free(rrs);
	return p;
}

static ldns_rr_list *one(ldns_rr *r)
{
	ldns_rr_list *l = ldns_rr_list_new();

	ldns_rr_list_push_rr(l, r);
	return l;
}

/* Feeds the zone's DNSKEY RRset, signed, in an answer with AD=ad. */
static void feed_keys(struct dfx *x, struct signed_zone *z, bool ad)
{
	feed(x,
	     with_rrset(z, response("sec.test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR, ad, NULL),
			one(ldns_rr_clone(z->ksk_rr)), true, false),
	     false);
}

static void test_dnssec_kinds(void **state)
{
	struct signed_zone z;
	struct dfx *x;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	/* the zone's keys, signed: validated, the zone is known to be signed */
	x->query_do = true;
	feed_keys(x, &z, false);
	assert_string_equal(x->v.status, "secure");
	/* a signed answer: secure, nothing raised */
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), true, false),
	     false);
	assert_string_equal(x->v.status, "secure");
	/* the same answer without RRSIG to a query without DO: what a plain query gets */
	x->query_do = false;
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), false, false),
	     false);
	feed(x, response("none.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 0);
	/* with DO: stripped; truncated answers are not judged */
	x->query_do = true;
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), false, false),
	     true);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 0);
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), false, false),
	     false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	/* a denial without NSEC/NSEC3 to a DO query */
	feed(x, response("none.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 2);
	feed(x, response("none.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL), true);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 2);
	/* a name outside the signed zone */
	feed(x, response("none.plain.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 2);
	/* a TLSA denial for a host known to have TLSA: tlsa-stripped says it all */
	put_tlsa(x, "mx.sec.test", EXPECT_DNSSEC, 1);
	feed(x,
	     response("_25._tcp.mx.sec.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 1);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 2);
	/* a signature that does not match the records: bogus */
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 0);
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), true, true),
	     false);
	assert_string_equal(x->v.status, "bogus");
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 1);
	dfx_free(x);
	zone_free(&z);
}

/* ---- dns-answer-race (decided in the DNS session) ---- */

struct race_fx {
	struct dfx *x;
	struct dns_ctx *d;
	struct dns_flow *df;
	struct flow f;
};

static void send_msg(struct race_fx *r, ldns_pkt *p, int dir, uint64_t ts)
{
	struct mx_packet pk;
	uint8_t *wire = NULL;
	size_t len = 0;

	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	memset(&pk, 0, sizeof(pk));
	pk.ts_us = ts;
	pk.payload = wire;
	pk.payload_len = (uint32_t)len;
	r->f.last_ts = ts;
	dns_flow_datagram(r->d, r->df, &r->f, dir, &pk);
	free(wire);
	ldns_pkt_free(p);
}

static ldns_pkt *query(const char *qname)
{
	ldns_pkt *p = NULL;

	assert_int_equal(
	    ldns_pkt_query_new_frm_str(&p, qname, LDNS_RR_TYPE_MX, LDNS_RR_CLASS_IN, LDNS_RD),
	    LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 4242);
	return p;
}

static void race_setup(struct race_fx *r)
{
	struct app_config cfg;

	r->x = dfx_new(false);
	app_config_defaults(&cfg);
	r->d = dns_ctx_new(&cfg, r->x->eve, r->x->c);
	assert_non_null(r->d);
	r->f = r->x->f;
	r->df = dns_flow_new(r->d, &r->f);
	assert_non_null(r->df);
}

static void race_teardown(struct race_fx *r)
{
	dns_flow_end(r->d, r->df, &r->f);
	dns_ctx_free(r->d);
	dfx_free(r->x);
}

/*
 * One query (unless without_query) and two MX answers to it, the second
 * `gap` microseconds after the first, and when third an NXDOMAIN right
 * after; the dns-answer-race alerts raised.
 */
static uint64_t answers(const char *const *first, const char *const *second, uint64_t gap,
			bool third, bool without_query)
{
	struct race_fx r;
	uint64_t n;

	race_setup(&r);
	if (!without_query)
		send_msg(&r, query("race.test."), FLOW_TOSERVER, T0);
	send_msg(&r, response("race.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, first),
		 FLOW_TOCLIENT, T0 + 1000);
	send_msg(&r, response("race.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, second),
		 FLOW_TOCLIENT, T0 + 1000 + gap);
	if (third)
		send_msg(&r,
			 response("race.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN, false, NULL),
			 FLOW_TOCLIENT, T0 + 1000 + gap + 1);
	n = raised(r.x, KIND_DNS_ANSWER_RACE);
	race_teardown(&r);
	return n;
}

static void test_answer_race(void **state)
{
	static const char *const a1[] = {"race.test. IN MX 10 mx.race.test.", NULL};
	static const char *const a2[] = {"race.test. IN MX 10 evil.example.", NULL};
	static const char *const a1_rev[] = {"race.test. IN MX 20 mx2.race.test.",
					     "race.test. IN MX 10 mx.race.test.", NULL};
	static const char *const a1_two[] = {"race.test. IN MX 10 mx.race.test.",
					     "race.test. IN MX 20 mx2.race.test.", NULL};
	const uint64_t window = 2000 * 1000; /* race_window_ms 2000 */

	(void)state;
	/* the same answer twice (a duplicated packet), or in another order: no race */
	assert_int_equal(answers(a1, a1, 1000, false, false), 0);
	assert_int_equal(answers(a1_two, a1_rev, 1000, false, false), 0);
	/* two different answers within the window: a race, raised once */
	assert_int_equal(answers(a2, a1, 1000, false, false), 1);
	assert_int_equal(answers(a2, a1, 1000, true, false), 1);
	assert_int_equal(answers(a2, a1, window, false, false), 1);
	/* after the window: a resolver's retry */
	assert_int_equal(answers(a2, a1, window + 1, false, false), 0);
	/* responses without their query are not judged */
	assert_int_equal(answers(a2, a1, 1000, false, true), 0);
}

/* ---- what responses teach: the expectation store ---- */

/* The value of the stage's counter called name (its stats sources). */
static uint64_t counter(struct correlate *c, const char *name)
{
	struct stats_source src[64];
	size_t n = correlate_stats_sources(c, src, 64);

	for (size_t i = 0; i < n; i++)
		for (const struct mx_counter_desc *d = src[i].desc; d->name != NULL; d++)
			if (strcmp(d->name, name) == 0)
				return *(const uint64_t *)((const char *)src[i].base + d->offset);
	fail_msg("no counter %s", name);
	return 0;
}

static void test_learning(void **state)
{
	struct dfx *x = dfx_new(false);
	struct expect_store *st = correlate_expect(x->c);
	const struct expect_mxset *mx;
	const struct expect_addrs *a;
	const struct expect_tlsa *t;
	const struct expect_sts *s;
	bool live;

	(void)state;
	/* an MX RRset of the name asked for; records of other owners are not its */
	feed(x,
	     response("learn.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"learn.test. 30 IN MX 10 mx.learn.test.",
					    "learn.test. 7200 IN MX 20 mx2.learn.test.",
					    "other.test. IN MX 10 mx.other.test.", NULL}),
	     false);
	mx = expect_get_mx(st, "learn.test", T0);
	assert_non_null(mx);
	assert_int_equal(mx->n, 2);
	assert_string_equal(mx->mx[0].host, "mx.learn.test");
	assert_int_equal(mx->mx[1].pref, 20);
	assert_int_equal(mx->trust, EXPECT_UNVALIDATED);
	/* the lowest TTL, raised to the 60 s floor */
	assert_int_equal(mx->expires_us, T0 + SEC(60));
	assert_null(expect_get_mx(st, "other.test", T0));
	/* a long TTL is cut to the week */
	feed(x,
	     response("long.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"long.test. 99999999 IN MX 10 mx.long.test.", NULL}),
	     false);
	assert_int_equal(expect_get_mx(st, "long.test", T0)->expires_us, T0 + SEC(7 * 86400));
	feed(x,
	     response("mid.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"mid.test. 600 IN MX 10 mx.mid.test.", NULL}),
	     false);
	assert_int_equal(expect_get_mx(st, "mid.test", T0)->expires_us, T0 + SEC(600));
	/* addresses, one set per owner, the lowest TTL of each */
	feed(x,
	     response("mx.learn.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"mx.learn.test. 900 IN A 192.0.2.81",
					    "mx.learn.test. 300 IN A 192.0.2.82",
					    "mx2.learn.test. IN AAAA 2001:db8::25", NULL}),
	     false);
	a = expect_get_addrs(st, "mx.learn.test", T0);
	assert_non_null(a);
	assert_int_equal(a->n, 2);
	assert_int_equal(a->expires_us, T0 + SEC(300));
	a = expect_get_addrs(st, "mx2.learn.test", T0);
	assert_non_null(a);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->expires_us, T0 + SEC(3600));
	/* TLSA of _25._tcp.host, kept for host and port */
	feed(x,
	     response(
		 "_25._tcp.mx.learn.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false,
		 (const char *const[]){
		     "_25._tcp.mx.learn.test. 120 IN TLSA 3 1 1 "
		     "5555555555555555555555555555555555555555555555555555555555555555",
		     "_25._tcp.mx.learn.test. IN TLSA 3 0 2 "
		     "66666666666666666666666666666666666666666666666666666666666666666666666666"
		     "666666666666666666666666666666666666666666666666666666",
		     "_26._tcp.mx.learn.test. IN TLSA 3 1 1 "
		     "7777777777777777777777777777777777777777777777777777777777777777",
		     NULL}),
	     false);
	t = expect_get_tlsa(st, "mx.learn.test", 25, T0, &live);
	assert_non_null(t);
	assert_true(live);
	assert_int_equal(t->n, 2);
	assert_int_equal(t->rec[0].len, 32);
	assert_int_equal(t->rec[0].data[0], 0x55);
	assert_int_equal(t->rec[1].mtype, 2);
	assert_int_equal(t->rec[1].len, 64);
	assert_int_equal(t->expires_us, T0 + SEC(120));
	/* another port; names that are not _PORT._tcp.host */
	feed(x,
	     response("_587._tcp.mx.learn.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){
			  "_587._tcp.mx.learn.test. IN TLSA 3 1 1 "
			  "5555555555555555555555555555555555555555555555555555555555555555",
			  NULL}),
	     false);
	assert_non_null(expect_get_tlsa(st, "mx.learn.test", 587, T0, &live));
	static const char *const bad_owners[] = {"_0._tcp.bad.test.",  "_65536._tcp.bad.test.",
						 "_25._udp.bad.test.", "25._tcp.bad.test.",
						 "_x._tcp.bad.test.",  NULL};
	for (size_t i = 0; bad_owners[i] != NULL; i++) {
		char rr[256];

		snprintf(rr, sizeof(rr),
			 "%s IN TLSA 3 1 1 "
			 "5555555555555555555555555555555555555555555555555555555555555555",
			 bad_owners[i]);
		feed(x,
		     response(bad_owners[i], LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false,
			      (const char *const[]){rr, NULL}),
		     false);
	}
	assert_null(expect_get_tlsa(st, "bad.test", 25, T0, &live));
	assert_null(expect_get_tlsa(st, "bad.test", 0, T0, &live));
	/* full data longer than kept is not learned */
	feed(x,
	     response("_25._tcp.long.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){
			  "_25._tcp.long.test. IN TLSA 3 1 0 "
			  "30593013060728648ce3d020106082a8648ce3d03010703420004"
			  "0000000000000000000000000000000000000000000000000000000000000000"
			  "0000000000000000000000000000000000000000000000000000000000000000",
			  NULL}),
	     false);
	assert_null(expect_get_tlsa(st, "long.test", 25, T0, &live));
	/* the MTA-STS id of _mta-sts.domain */
	feed(x,
	     response("_mta-sts.learn.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"_mta-sts.learn.test. 100 IN TXT \"v=STSv1; id=abc\"",
					    NULL}),
	     false);
	s = expect_get_sts(st, "learn.test", T0, &live);
	assert_non_null(s);
	assert_string_equal(s->id, "abc");
	assert_int_equal(s->expires_us, T0 + SEC(100));
	/* not learned: a TXT of another name, an answer with another rcode */
	feed(x,
	     response("learn2.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"learn2.test. IN TXT \"v=STSv1; id=abc\"", NULL}),
	     false);
	assert_null(expect_get_sts(st, "learn2.test", T0, &live));
	assert_null(expect_get_sts(st, "", T0, &live));
	feed(x,
	     response("nx.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN, false,
		      (const char *const[]){"nx.test. IN MX 10 mx.nx.test.", NULL}),
	     false);
	assert_null(expect_get_mx(st, "nx.test", T0));
	/* learning alone raises nothing */
	assert_int_equal(raised(x, KIND_MX_REDIRECT) + raised(x, KIND_TLSA_STRIPPED), 0);
	dfx_free(x);
}

/* MTA-STS testing mode: the MX answer alert says so. */
static void test_mx_answer_testing(void **state)
{
	struct dfx *x = dfx_new(false);
	struct policy_set *ps = policy_set_new();
	struct mx_errors errs;
	static const char text[] =
	    "policies:\n"
	    "  - domain: tst.test\n"
	    "    mta-sts: {mode: testing, mx: [mx.tst.test], max_age: 604800}\n"
	    "  - domain: none.test\n"
	    "    mta-sts: {mode: none, mx: [mx.none.test], max_age: 604800}\n";

	(void)state;
	mx_errors_init(&errs);
	assert_true(policy_load_buffer(ps, "q.yaml", text, strlen(text), NULL, &errs));
	correlate_set_policies(x->c, ps);
	feed(x,
	     response("none.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"none.test. IN MX 10 evil.example.", NULL}),
	     false);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	feed(x,
	     response("tst.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"tst.test. IN MX 10 mx.tst.test.",
					    "tst.test. IN MX 20 evil.example.", NULL}),
	     false);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	dfx_free(x);
}

/* What could not be judged, counted by why. */
static void test_blind_counters(void **state)
{
	struct dfx *x = dfx_new(false); /* 192.0.2.53 is not the trusted resolver */
	const struct blind_counters *b = correlate_blind(x->c);
	static const char *const a[] = {"mx.blind.test. IN A 192.0.2.90", NULL};

	(void)state;
	feed(x, response("mx.blind.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, a), false);
	assert_int_equal(b->dns_no_ad, 1);
	feed(x, response("mx.blind.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, a), false);
	assert_int_equal(b->dns_ad_untrusted, 1);
	/* NXDOMAIN counts too; SERVFAIL, and types that carry no expectation, do not */
	feed(x, response("mx.blind.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(b->dns_no_ad, 2);
	feed(x, response("mx.blind.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false, NULL),
	     false);
	feed(x,
	     response("blind.test.", LDNS_RR_TYPE_NS, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"blind.test. IN NS ns.blind.test.", NULL}),
	     false);
	feed(x,
	     response("blind.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"blind.test. IN TXT \"x\"", NULL}),
	     false);
	assert_int_equal(b->dns_no_ad, 2);
	/* each type that carries one */
	feed(x,
	     response("blind.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"blind.test. IN MX 10 mx.blind.test.", NULL}),
	     false);
	feed(x,
	     response("mx.blind.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"mx.blind.test. IN AAAA 2001:db8::90", NULL}),
	     false);
	feed(x,
	     response("_25._tcp.mx.blind.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NXDOMAIN, false,
		      NULL),
	     false);
	feed(x,
	     response("_mta-sts.blind.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(b->dns_no_ad, 6);
	assert_int_equal(b->dns_ad_untrusted, 1);
	assert_int_equal(b->dns_ad_off, 0);
	assert_int_equal(b->dns_keys_unknown, 0);
	dfx_free(x);
}

/* AD=1 with dnssec.trust-ad off. */
static void test_blind_ad_off(void **state)
{
	struct dfx *x = calloc(1, sizeof(*x));
	struct correlate_config cfg;
	char err[128];
	static const char *const a[] = {"mx.blind.test. IN A 192.0.2.90", NULL};

	(void)state;
	assert_non_null(x);
	correlate_config_defaults(&cfg);
	cfg.trust_ad = false;
	x->c = correlate_new(&cfg, err, sizeof(err));
	assert_non_null(x->c);
	x->eve = eve_new();
	assert_true(mx_addr_parse(&x->f.cli, "198.51.100.7"));
	assert_true(mx_addr_parse(&x->f.srv, "192.0.2.53"));
	x->f.sport = 53;
	x->f.proto = 17;
	dns_parser_init(&x->parser, on_message, NULL);
	x->ts = T0;
	feed(x, response("mx.blind.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, a), false);
	assert_int_equal(correlate_blind(x->c)->dns_ad_off, 1);
	assert_int_equal(x->v.trust, EXPECT_UNVALIDATED);
	dfx_free(x);
}

/* Signed answers that came before their keys: kept, and upgraded once the keys validate. */
static void test_retry(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	const struct expect_addrs *a;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	feed(x,
	     with_rrset(&z,
			response("mx.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("mx.sec.test. IN A 192.0.2.80")), true, false),
	     false);
	assert_string_equal(x->v.reason, "keys-unknown");
	assert_int_equal(counter(x->c, "dnssec.retry_kept"), 1);
	assert_int_equal(correlate_blind(x->c)->dns_keys_unknown, 1);
	a = expect_get_addrs(correlate_expect(x->c), "mx.sec.test", T0);
	assert_non_null(a);
	assert_int_equal(a->trust, EXPECT_UNVALIDATED);
	/* not kept: unsigned, a type that carries nothing, a denial */
	feed(x,
	     response("mx.plain.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"mx.plain.test. IN A 192.0.2.81", NULL}),
	     false);
	feed(x,
	     with_rrset(&z, response("sec.test.", LDNS_RR_TYPE_NS, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("sec.test. IN NS ns.sec.test.")), true, false),
	     false);
	feed(x,
	     with_rrset(&z,
			response("sec.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("sec.test. IN TXT \"v=STSv1; id=1\"")), true, false),
	     false);
	assert_int_equal(counter(x->c, "dnssec.retry_kept"), 1);
	/* the kept MX, TLSA and _mta-sts answers are kept too */
	feed(x,
	     with_rrset(&z, response("sec.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("sec.test. IN MX 10 mx.sec.test.")), true, false),
	     false);
	feed(x,
	     with_rrset(
		 &z,
		 response("_25._tcp.mx.sec.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false,
			  NULL),
		 one(text_rr("_25._tcp.mx.sec.test. IN TLSA 3 1 1 "
			     "5555555555555555555555555555555555555555555555555555555555555555")),
		 true, false),
	     false);
	feed(x,
	     with_rrset(
		 &z,
		 response("_mta-sts.sec.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false, NULL),
		 one(text_rr("_mta-sts.sec.test. IN TXT \"v=STSv1; id=7\"")), true, false),
	     false);
	feed(x,
	     with_rrset(
		 &z, response("mx.sec.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, false, NULL),
		 one(text_rr("mx.sec.test. IN AAAA 2001:db8::80")), true, false),
	     false);
	assert_int_equal(counter(x->c, "dnssec.retry_kept"), 5);
	/* the keys arrive: every kept answer validated again, its expectation now DNSSEC */
	x->ts = T0 + SEC(10);
	feed_keys(x, &z, false);
	assert_int_equal(counter(x->c, "dnssec.retry_upgraded"), 5);
	assert_int_equal(counter(x->c, "dnssec.retry_dropped"), 0);
	a = expect_get_addrs(correlate_expect(x->c), "mx.sec.test", T0 + SEC(10));
	assert_non_null(a);
	assert_int_equal(a->trust, EXPECT_DNSSEC);
	assert_int_equal(expect_get_mx(correlate_expect(x->c), "sec.test", T0)->trust,
			 EXPECT_DNSSEC);
	dfx_free(x);
	zone_free(&z);
}

/* The ring of kept answers: the oldest overwritten, and dropped after a minute. */
static void test_retry_bounds(void **state)
{
	struct signed_zone z;
	struct dfx *x;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	for (int i = 0; i < 33; i++) {
		char rr[64];

		snprintf(rr, sizeof(rr), "h%d.sec.test. IN A 192.0.2.%d", i, i + 1);
		feed(x,
		     with_rrset(
			 &z,
			 response("h.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			 one(text_rr(rr)), true, false),
		     false);
	}
	assert_int_equal(counter(x->c, "dnssec.retry_kept"), 33);
	assert_int_equal(counter(x->c, "dnssec.retry_dropped"), 1);
	/* the keys come 61 s later: too late for every kept answer */
	x->ts = T0 + SEC(61);
	feed_keys(x, &z, false);
	assert_int_equal(counter(x->c, "dnssec.retry_upgraded"), 0);
	assert_int_equal(counter(x->c, "dnssec.retry_dropped"), 33);
	dfx_free(x);
	zone_free(&z);
}

/* An answer of many RRsets: each judged once, at most eight, the one of the type asked decides. */
static void test_judge_rrsets(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	ldns_pkt *p;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	x->query_do = true;
	feed_keys(x, &z, false);
	/* a signed TXT first, then twelve signed A RRsets of other owners */
	p = with_rrset(&z,
		       response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("www.sec.test. IN TXT \"x\"")), true, false);
	for (int i = 0; i < 12; i++) {
		char rr[64];

		snprintf(rr, sizeof(rr), "h%d.sec.test. IN A 192.0.2.%d", i, i + 1);
		p = with_rrset(&z, p, one(text_rr(rr)), true, false);
	}
	feed(x, p, false);
	assert_string_equal(x->v.status, "secure");
	assert_int_equal(x->v.trust, EXPECT_DNSSEC);
	/* the RRset of the type asked for decides, not the TXT before it: a
	   tampered A after a good TXT is bogus */
	p = with_rrset(&z,
		       response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("www.sec.test. IN TXT \"x\"")), true, false);
	p = with_rrset(&z, p, one(text_rr("h0.sec.test. IN A 192.0.2.1")), true, true);
	feed(x, p, false);
	assert_string_equal(x->v.status, "bogus");
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 1);
	/* and a good A after a tampered AAAA: bogus raised, the A decides the status */
	p = with_rrset(&z,
		       response("www2.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("www2.sec.test. IN AAAA 2001:db8::1")), true, true);
	p = with_rrset(&z, p, one(text_rr("h0.sec.test. IN A 192.0.2.1")), true, false);
	feed(x, p, false);
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 2);
	assert_string_equal(x->v.status, "secure");
	/* two bogus RRsets in one answer: one alert */
	p = with_rrset(&z,
		       response("www3.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("www3.sec.test. IN A 192.0.2.7")), true, true);
	p = with_rrset(&z, p, one(text_rr("h1.sec.test. IN A 192.0.2.2")), true, true);
	feed(x, p, false);
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 3);
	dfx_free(x);
	zone_free(&z);
}

/* Whose AD bit counts: every resolver when none is listed, else the listed ones and the policy
 * files'. */
static void test_ad_list(void **state)
{
	struct correlate_config cfg;
	struct correlate *c;
	struct policy_set *ps = policy_set_new();
	struct mx_errors errs;
	struct mx_addr a, b, p;
	char err[128];
	static const char text[] = "trusted-resolvers: [203.0.113.53]\n";

	(void)state;
	assert_true(mx_addr_parse(&a, "192.0.2.53"));
	assert_true(mx_addr_parse(&b, "198.51.100.53"));
	assert_true(mx_addr_parse(&p, "203.0.113.53"));
	correlate_config_defaults(&cfg);
	c = correlate_new(&cfg, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(correlate_ad_verdict(c, &a), RESOLVER_AD_COUNTS);
	assert_int_equal(correlate_ad_verdict(c, &b), RESOLVER_AD_COUNTS);
	correlate_free(c);
	assert_true(mx_prefix_parse(&cfg.trusted_resolvers[0], "192.0.2.0/24"));
	cfg.n_trusted_resolvers = 1;
	c = correlate_new(&cfg, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(correlate_ad_verdict(c, &a), RESOLVER_AD_COUNTS);
	assert_int_equal(correlate_ad_verdict(c, &b), RESOLVER_AD_NOT_LISTED);
	assert_int_equal(correlate_ad_verdict(c, &p), RESOLVER_AD_NOT_LISTED);
	mx_errors_init(&errs);
	assert_true(policy_load_buffer(ps, "q.yaml", text, strlen(text), NULL, &errs));
	correlate_set_policies(c, ps);
	assert_int_equal(correlate_ad_verdict(c, &p), RESOLVER_AD_COUNTS);
	assert_int_equal(correlate_ad_verdict(c, &a), RESOLVER_AD_COUNTS);
	assert_int_equal(correlate_ad_verdict(c, &b), RESOLVER_AD_NOT_LISTED);
	correlate_free(c);
	cfg.trust_ad = false;
	c = correlate_new(&cfg, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(correlate_ad_verdict(c, &a), RESOLVER_AD_OFF);
	correlate_free(c);
}

/* Several RRsets stripped of their RRSIGs in one answer: one dnssec-stripped. */
static void test_stripped_once(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	ldns_pkt *p;
	uint64_t before;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	x->query_do = true;
	feed_keys(x, &z, false);
	before = alert_counters(correlate_alerts(x->c))->raised;
	p = with_rrset(&z,
		       response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("www.sec.test. IN A 192.0.2.80")), false, false);
	p = with_rrset(&z, p, one(text_rr("www.sec.test. IN TXT \"x\"")), false, false);
	p = with_rrset(&z, p, one(text_rr("w2.sec.test. IN A 192.0.2.81")), false, false);
	feed(x, p, false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	assert_int_equal(alert_counters(correlate_alerts(x->c))->raised, before + 1);
	dfx_free(x);
	zone_free(&z);
}

/* An answer without AD where the trusted resolver gave AD=1 before: the evidence says when. */
static void test_ad_history_evidence(void **state)
{
	struct dfx *x = dfx_new(true);
	char path[64], buf[8192];
	char err[128];
	static const char *const a[] = {"www.ad.test. IN A 192.0.2.80", NULL};
	FILE *fp;
	size_t n;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/mx-dnsdetect-eve-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_true(eve_add_file(x->eve, path, EVE_ALERT, false, err, sizeof(err)));
	feed(x, response("www.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, a), false);
	feed(x, response("www.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, a), false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 0);
	/* without DO nothing was asked of DNSSEC */
	x->ts = T0 + SEC(100);
	feed(x, response("www.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, a), false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 0);
	x->query_do = true;
	feed(x, response("www.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, a), false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	eve_flush(x->eve);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	unlink(path);
	assert_non_null(strstr(buf, "\"ad_answers\":2"));
	assert_non_null(strstr(buf, "\"first_ad_seconds_ago\":100"));
	assert_non_null(strstr(buf, "\"last_ad_seconds_ago\":100"));
	dfx_free(x);
}

static bool count_dnskey(void *arg, const struct state_fact *f)
{
	unsigned *n = arg;

	if (f->kind == STATE_DNSKEY && strcmp(f->key, "sec.test") == 0)
		(*n)++;
	return true;
}

/* A state store in a fresh directory, attached to a fixture's stage. */
struct tmp_state {
	char dir[64], path[128];
	struct state_config cfg;
	struct state *st;
};

static void tmp_state_attach(struct tmp_state *t, struct dfx *x)
{
	char err[256];

	snprintf(t->dir, sizeof(t->dir), "/tmp/mx-dnsstate-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/state.db", t->dir);
	state_config_defaults(&t->cfg);
	t->cfg.flush_ms = 20;
	t->st = state_open(t->path, &t->cfg, err, sizeof(err));
	assert_non_null(t->st);
	correlate_attach_state(x->c, t->st);
}

/* Writes what the stage queued and detaches the store (still open). */
static void tmp_state_detach(struct tmp_state *t, struct dfx *x)
{
	correlate_flush_state(x->c);
	state_sync(t->st);
	correlate_attach_state(x->c, NULL);
}

/* Closes the store and removes its files and directory. */
static void tmp_state_remove(struct tmp_state *t)
{
	char p2[160];

	state_close(t->st);
	unlink(t->path);
	snprintf(p2, sizeof(p2), "%s-wal", t->path);
	unlink(p2);
	snprintf(p2, sizeof(p2), "%s-shm", t->path);
	unlink(p2);
	rmdir(t->dir);
}

/* Validated keys go to the state store, and come back from it. */
static void test_keys_persisted(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	struct tmp_state t;
	char err[256];
	unsigned n = 0;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	tmp_state_attach(&t, x);
	feed_keys(x, &z, false);
	assert_string_equal(x->v.status, "secure");
	tmp_state_detach(&t, x);
	state_close(t.st);
	t.st = state_open(t.path, &t.cfg, err, sizeof(err));
	assert_non_null(t.st);
	assert_true(state_load(t.st, count_dnskey, &n, err, sizeof(err)));
	assert_int_equal(n, 1);
	tmp_state_remove(&t);
	dfx_free(x);
	zone_free(&z);
}

/* Keys a trusted resolver vouched for with AD=1: only from a NOERROR answer, never an NXDOMAIN's.
 */
static void test_keys_vouched_noerror_only(void **state)
{
	struct signed_zone z;
	struct dfx *x;

	(void)state;
	zone_new(&z);
	x = dfx_new(true);
	assert_int_equal(counter(x->c, "dnssec.keys_vouched"), 0);
	feed(x,
	     with_rrset(&z,
			response("sec.test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NXDOMAIN, true, NULL),
			one(ldns_rr_clone(z.ksk_rr)), true, false),
	     false);
	assert_int_equal(counter(x->c, "dnssec.keys_vouched"), 0);
	/* without AD, or from a resolver not trusted, neither */
	feed_keys(x, &z, false);
	assert_int_equal(counter(x->c, "dnssec.keys_vouched"), 0);
	feed_keys(x, &z, true);
	assert_int_equal(counter(x->c, "dnssec.keys_vouched"), 1);
	dfx_free(x);
	x = dfx_new(false);
	feed_keys(x, &z, true);
	assert_int_equal(counter(x->c, "dnssec.keys_vouched"), 0);
	dfx_free(x);
	zone_free(&z);
}

/*
 * An answer the sensor validated itself, without AD, to a DO query, from a
 * resolver whose AD counts and that gave AD=1 for the zone before: the
 * signatures say it is genuine, nothing is raised.
 */
static void test_validated_without_ad(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	ldns_pkt *p;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(true, z.anchor);
	x->query_do = true;
	feed_keys(x, &z, true);
	p = with_rrset(&z,
		       response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, NULL),
		       one(text_rr("www.sec.test. IN A 192.0.2.80")), true, false);
	feed(x, p, false);
	assert_string_equal(x->v.status, "secure");
	x->ts = T0 + SEC(10);
	p = with_rrset(&z,
		       response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("www.sec.test. IN A 192.0.2.80")), true, false);
	feed(x, p, false);
	assert_string_equal(x->v.status, "secure");
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 0);
	/* the same answer stripped of its signatures is what is suspect */
	p = with_rrset(&z,
		       response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("www.sec.test. IN A 192.0.2.80")), false, false);
	feed(x, p, false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	dfx_free(x);
	zone_free(&z);
}

/*
 * Adds rrs and their RRSIG by the KSK to the authority section of p; with
 * tamper, the first record is altered after signing (its signature fails).
 */
static ldns_pkt *with_auth(struct signed_zone *z, ldns_pkt *p, ldns_rr_list *rrs, bool tamper)
{
	ldns_key_list *kl = ldns_key_list_new();
	ldns_rr_list *sigs;

	ldns_key_list_push_key(kl, z->ksk);
	sigs = ldns_sign_public(rrs, kl);
	assert_non_null(sigs);
	if (tamper)
		ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(rrs, 0), 0))[1] ^= 1;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, ldns_rr_clone(ldns_rr_list_rr(rrs, i)));
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
				 ldns_rr_clone(ldns_rr_list_rr(sigs, i)));
	ldns_rr_list_deep_free(sigs);
	ldns_key_list_set_key_count(kl, 0);
	ldns_key_list_free(kl);
	ldns_rr_list_deep_free(rrs);
	return p;
}

/*
 * A denial the sensor proved with NSEC, without AD, to a DO query, from a
 * resolver whose AD counts and that gave AD=1 for the zone before: nothing.
 */
static void test_nsec_denial_without_ad(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	ldns_pkt *p;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(true, z.anchor);
	x->query_do = true;
	feed_keys(x, &z, true);
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), true, false),
	     false);
	x->ts = T0 + SEC(10);
	p = response("www.sec.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, NULL);
	p = with_auth(
	    &z, p, one(text_rr("sec.test. IN SOA ns.sec.test. h.sec.test. 1 3600 600 86400 300")),
	    false);
	p = with_auth(&z, p, one(text_rr("www.sec.test. IN NSEC zz.sec.test. A RRSIG NSEC")),
		      false);
	feed(x, p, false);
	assert_string_equal(x->v.status, "secure");
	assert_int_equal(raised_total(x), 0);
	dfx_free(x);
	zone_free(&z);
}

/* ---- what the alert records say, and more false-positive guards ---- */

/* Sends x's alerts to a fresh file; its path goes into path. */
static void eve_to_file(struct dfx *x, char path[64])
{
	char err[128];
	int fd;

	snprintf(path, 64, "/tmp/mx-dnsdetect-eve-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_true(eve_add_file(x->eve, path, EVE_ALERT, false, err, sizeof(err)));
}

/* The alert lines written so far (malloc'd); the file is removed. */
static char *eve_text(struct dfx *x, const char *path)
{
	char *buf = calloc(1, 65536);
	FILE *fp;
	size_t n;

	assert_non_null(buf);
	eve_flush(x->eve);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, 65535, fp);
	fclose(fp);
	buf[n] = '\0';
	unlink(path);
	return buf;
}

/* The line of buf that holds needle (copied into line), or fails. */
static void line_with(const char *buf, const char *needle, char *line, size_t cap)
{
	const char *p = strstr(buf, needle), *b, *e;

	if (p == NULL)
		fail_msg("no line with %s in %s", needle, buf);
	for (b = p; b > buf && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	if (e == NULL)
		e = p + strlen(p);
	assert_true((size_t)(e - b) < cap);
	memcpy(line, b, (size_t)(e - b));
	line[e - b] = '\0';
}

static void assert_has(const char *line, const char *needle)
{
	if (strstr(line, needle) == NULL)
		fail_msg("%s not in %s", needle, line);
}

/* An mx-redirect on a DNS answer: the answer's MX hosts, the one not expected, the source. */
static void test_mx_answer_evidence(void **state)
{
	static const char *const bad[] = {"signed.test. IN MX 10 mx.signed.test.",
					  "signed.test. IN MX 20 evil.example.", NULL};
	struct dfx *x = dfx_new(false);
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	char path[64], line[4096];
	char *buf;

	(void)state;
	eve_to_file(x, path);
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	expect_put_mx(correlate_expect(x->c), "signed.test", &mx, T0);
	mx.trust = EXPECT_CONFIGURED;
	expect_put_mx(correlate_expect(x->c), "conf.test", &mx, T0);
	feed(x, response("signed.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, bad), false);
	feed(x,
	     response("conf.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"conf.test. IN MX 10 relay.conf.test.", NULL}),
	     false);
	feed(x,
	     response("sts.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"sts.test. IN MX 10 relay.sts.test.", NULL}),
	     false);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 3);
	buf = eve_text(x, path);
	line_with(buf, "\"rrname\":\"signed.test\"", line, sizeof(line));
	assert_has(line, "\"answer_mx\":[\"mx.signed.test\",\"evil.example\"]");
	assert_has(line, "\"unexpected_mx\":\"evil.example\"");
	assert_has(line, "\"observed\":\"mx answer\"");
	assert_has(line, "\"rcode\":\"NOERROR\"");
	assert_has(line, "\"source\":\"dane\"");
	assert_has(line, "\"domain\":\"signed.test\"");
	assert_has(line, "\"mx_host\":\"evil.example\"");
	line_with(buf, "\"rrname\":\"conf.test\"", line, sizeof(line));
	assert_has(line, "\"source\":\"policy\"");
	assert_has(line, "\"unexpected_mx\":\"relay.conf.test\"");
	line_with(buf, "\"rrname\":\"sts.test\"", line, sizeof(line));
	assert_has(line, "\"source\":\"mta-sts\"");
	assert_has(line, "MX not allowed by the enforced MTA-STS policy");
	free(buf);
	dfx_free(x);
}

/* tlsa-stripped and mta-sts-stripped records: NODATA or NXDOMAIN, and no MX list. */
static void test_stripped_evidence(void **state)
{
	struct dfx *x = dfx_new(false);
	char path[64], line[4096];
	char *buf;

	(void)state;
	eve_to_file(x, path);
	put_tlsa(x, "mx.dane.test", EXPECT_DNSSEC, 1);
	put_tlsa(x, "mx2.dane.test", EXPECT_DNSSEC, 1);
	feed(x,
	     response("_25._tcp.mx.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	     false);
	feed(x,
	     response("_25._tcp.mx2.dane.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NXDOMAIN, false,
		      NULL),
	     false);
	feed(x, response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_TLSA_STRIPPED), 2);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 1);
	buf = eve_text(x, path);
	line_with(buf, "\"rrname\":\"_25._tcp.mx.dane.test\"", line, sizeof(line));
	assert_has(line, "\"observed\":\"NODATA without valid denial\"");
	assert_has(line, "\"mx_host\":\"mx.dane.test\"");
	assert_null(strstr(line, "answer_mx"));
	assert_null(strstr(line, "unexpected_mx"));
	assert_null(strstr(line, "ad_history"));
	line_with(buf, "\"rrname\":\"_25._tcp.mx2.dane.test\"", line, sizeof(line));
	assert_has(line, "\"observed\":\"NXDOMAIN without valid denial\"");
	assert_has(line, "\"rcode\":\"NXDOMAIN\"");
	line_with(buf, "\"rrname\":\"_mta-sts.sts.test\"", line, sizeof(line));
	assert_has(line, "\"observed\":\"no v=STSv1 TXT record\"");
	assert_has(line, "\"domain\":\"sts.test\"");
	free(buf);
	dfx_free(x);
}

/* Whether an A/AAAA answer is about an MX host: known from DNS or from a policy's addresses. */
static void test_mx_host_known(void **state)
{
	struct dfx *x = dfx_new(false);
	struct policy_set *ps = policy_set_new();
	struct mx_errors errs;
	static const char text[] =
	    "policies:\n"
	    "  - domain: addr.test\n"
	    "    mta-sts: {mode: enforce, mx: [mx.addr.test], max_age: 604800}\n"
	    "    addresses:\n"
	    "      mx.addr.test: [192.0.2.25]\n";

	(void)state;
	mx_errors_init(&errs);
	assert_true(policy_load_buffer(ps, "a.yaml", text, strlen(text), NULL, &errs));
	correlate_set_policies(x->c, ps);
	assert_true(dns_correlate_is_mx_host(x->c, "mx.addr.test", T0));
	assert_false(dns_correlate_is_mx_host(x->c, "www.addr.test", T0));
	assert_false(dns_correlate_is_mx_host(x->c, "mx.learn.test", T0));
	feed(x,
	     response("learn.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"learn.test. IN MX 10 mx.learn.test.", NULL}),
	     false);
	assert_true(dns_correlate_is_mx_host(x->c, "mx.learn.test", T0));
	assert_false(dns_correlate_is_mx_host(x->c, "www.learn.test", T0));
	dfx_free(x);
}

/*
 * mta-sts-stripped guards: a policy that pins only TLSA sets no MTA-STS
 * expectation; an STSv1 TXT of another owner is not the record asked for.
 */
static void test_sts_owner_and_policy(void **state)
{
	struct dfx *x = dfx_new(false);

	(void)state;
	feed(x,
	     response("_mta-sts.pinned.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 0);
	feed(x,
	     response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"other.sts.test. IN TXT \"v=STSv1; id=1\"", NULL}),
	     false);
	assert_int_equal(raised(x, KIND_MTA_STS_STRIPPED), 1);
	assert_null(expect_get_sts(correlate_expect(x->c), "sts.test", T0, &(bool){false}));
	dfx_free(x);
}

/* A signed record (RRSIG text, signature not checked: no keys are known). */
#define FAKE_SIG                                                                                   \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="

/*
 * The zone an AD=1 answer vouched for is its RRSIG's signer, or the SOA
 * owner of a denial; an answer without AD is judged against the zone it
 * names itself, else the closest zone above the name. Not suspect: a
 * SERVFAIL, a truncated answer, a type that carries no expectation, an
 * unsigned child zone.
 */
static void test_ad_zone(void **state)
{
	struct dfx *x = dfx_new(true);
	static const char *const signed_a[] = {"www.ad.test. IN A 192.0.2.80",
					       "www.ad.test. IN RRSIG A 13 3 3600 20300101000000 "
					       "20200101000000 12345 ad.test. " FAKE_SIG,
					       NULL};
	static const char *const a[] = {"mail.ad.test. IN A 192.0.2.81", NULL};
	ldns_pkt *p;

	(void)state;
	x->query_do = true;
	feed(x, response("www.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, signed_a),
	     false);
	p = response("gone.soa.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, true, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
			 text_rr("soa.test. IN SOA ns.soa.test. h.soa.test. 1 3600 600 86400 300"));
	feed(x, p, false);
	assert_int_equal(raised_total(x), 0);
	x->ts = T0 + SEC(10);
	/* not suspect */
	feed(x, response("mail.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false, NULL), false);
	feed(x, response("mail.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, a), true);
	feed(x,
	     response("ad.test.", LDNS_RR_TYPE_NS, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"ad.test. IN NS ns.ad.test.", NULL}),
	     false);
	p = response("x.child.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL);
	ldns_pkt_push_rr(
	    p, LDNS_SECTION_AUTHORITY,
	    text_rr("child.ad.test. IN SOA ns.child.ad.test. h.ad.test. 1 3600 600 86400 300"));
	feed(x, p, false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 0);
	/* suspect: a name under the RRSIG signer's zone, and under the SOA's */
	feed(x, response("mail.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, a), false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	feed(x,
	     response("mx.soa.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"mx.soa.test. IN A 192.0.2.82", NULL}),
	     false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 2);
	dfx_free(x);
}

/* A denial stripped of its NSEC records from a zone this resolver vouched for: one alert, the
 * sensor's own finding. */
static void test_denial_stripped_once(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	char path[64], line[4096];
	char *buf;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(true, z.anchor);
	eve_to_file(x, path);
	x->query_do = true;
	feed_keys(x, &z, true);
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), true, false),
	     false);
	x->ts = T0 + SEC(10);
	feed(x, response("none.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	assert_int_equal(raised_total(x), 1);
	/* the sensor's own finding (a signed zone, no NSEC) is what the record says */
	buf = eve_text(x, path);
	line_with(buf, "\"rrname\":\"none.sec.test\"", line, sizeof(line));
	assert_has(line, "NXDOMAIN/NODATA to a DO query without NSEC/NSEC3 from a signed zone");
	free(buf);
	dfx_free(x);
	zone_free(&z);
}

/* What was judged is not blind: a secure answer, a bogus one. */
static void test_blind_not_judged(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	const struct blind_counters *b;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	b = correlate_blind(x->c);
	feed_keys(x, &z, false);
	feed(x,
	     with_rrset(&z,
			response("mx.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("mx.sec.test. IN A 192.0.2.80")), true, false),
	     false);
	assert_string_equal(x->v.status, "secure");
	feed(x,
	     with_rrset(&z,
			response("mx.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("mx.sec.test. IN A 192.0.2.80")), true, true),
	     false);
	assert_string_equal(x->v.status, "bogus");
	assert_int_equal(b->dns_no_ad + b->dns_keys_unknown + b->dns_ad_untrusted + b->dns_ad_off,
			 0);
	feed(x,
	     response("mx.plain.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"mx.plain.test. IN A 192.0.2.81", NULL}),
	     false);
	assert_int_equal(b->dns_no_ad, 1);
	dfx_free(x);
	zone_free(&z);
}

/* Kept answers that do not validate under the keys that came stay kept, unlearned. */
static void test_retry_only_valid(void **state)
{
	struct signed_zone z;
	struct dfx *x;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	feed(x,
	     with_rrset(&z,
			response("mx.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("mx.sec.test. IN A 192.0.2.80")), true, false),
	     false);
	feed(x,
	     with_rrset(&z,
			response("bad.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
			one(text_rr("bad.sec.test. IN A 192.0.2.66")), true, true),
	     false);
	assert_int_equal(counter(x->c, "dnssec.retry_kept"), 2);
	x->ts = T0 + SEC(10);
	feed_keys(x, &z, false);
	assert_int_equal(counter(x->c, "dnssec.retry_upgraded"), 1);
	assert_int_equal(
	    expect_get_addrs(correlate_expect(x->c), "mx.sec.test", T0 + SEC(10))->trust,
	    EXPECT_DNSSEC);
	assert_int_equal(
	    expect_get_addrs(correlate_expect(x->c), "bad.sec.test", T0 + SEC(10))->trust,
	    EXPECT_UNVALIDATED);
	dns_retry_free(NULL);
	dfx_free(x);
	zone_free(&z);
}

/* Responses that are not answers to a query (NOTIFY, no question) teach and raise nothing. */
static void test_not_a_query(void **state)
{
	struct dfx *x = dfx_new(false);
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	static const char *const bad[] = {"signed.test. IN MX 10 evil.example.", NULL};
	ldns_pkt *p;

	(void)state;
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	expect_put_mx(correlate_expect(x->c), "signed.test", &mx, T0);
	p = response("signed.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, bad);
	ldns_pkt_set_opcode(p, LDNS_PACKET_NOTIFY);
	feed(x, p, false);
	assert_string_equal(x->v.status, "unsigned");
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	/* a response without a question */
	p = ldns_pkt_new();
	assert_non_null(p);
	ldns_pkt_set_id(p, 4243);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, text_rr("signed.test. IN MX 10 evil.example."));
	feed(x, p, false);
	assert_string_equal(x->v.status, "unsigned");
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	feed(x,
	     response("new.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"new.test. IN MX 10 mx.new.test.", NULL}),
	     false);
	assert_string_equal(x->v.status, "insecure");
	dfx_free(x);
}

/*
 * dnssec-stripped needs a zone known to be signed; in one answer a
 * forged RRset is found beside stripped ones; a denial whose NSEC does
 * not validate is bogus. What the records say of each.
 */
static void test_dnssec_guards_evidence(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	char path[64], line[4096];
	char *buf;
	ldns_pkt *p;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	eve_to_file(x, path);
	x->query_do = true;
	feed_keys(x, &z, false);
	/* an unsigned zone's answer to a DO query is no stripping */
	feed(x,
	     response("www.plain.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"www.plain.test. IN A 192.0.2.90", NULL}),
	     false);
	assert_int_equal(raised_total(x), 0);
	/* two RRsets stripped, then a forged one: both kinds */
	p = with_rrset(&z,
		       response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("www.sec.test. IN A 192.0.2.80")), false, false);
	p = with_rrset(&z, p, one(text_rr("www.sec.test. IN TXT \"x\"")), false, false);
	p = with_rrset(&z, p, one(text_rr("w3.sec.test. IN A 192.0.2.83")), true, true);
	feed(x, p, false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 1);
	/* a denial whose NSEC was altered after signing */
	p = response("none.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL);
	p = with_auth(
	    &z, p, one(text_rr("sec.test. IN SOA ns.sec.test. h.sec.test. 1 3600 600 86400 300")),
	    false);
	p = with_auth(&z, p, one(text_rr("mx.sec.test. IN NSEC zz.sec.test. A RRSIG NSEC")), true);
	feed(x, p, false);
	assert_string_equal(x->v.status, "bogus");
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 2);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	buf = eve_text(x, path);
	line_with(buf, "answer to a DO query without RRSIG from a signed zone", line, sizeof(line));
	assert_has(line, "\"rrname\":\"www.sec.test\"");
	assert_has(line, "zone known to be signed");
	line_with(buf, "RRSIG does not validate against validated keys", line, sizeof(line));
	assert_has(line, "\"rrname\":\"w3.sec.test\"");
	assert_has(line, "\"validation\":\"bogus\"");
	assert_has(line, "\"signer\":\"sec.test\"");
	assert_null(strstr(line, "zone known to be signed"));
	line_with(buf, "denial of existence does not validate", line, sizeof(line));
	assert_has(line, "\"rrname\":\"none.sec.test\"");
	assert_has(line, "\"rrtype\":\"A\"");
	assert_has(line, "\"rcode\":\"NXDOMAIN\"");
	assert_null(strstr(line, "zone known to be signed"));
	free(buf);
	dfx_free(x);
	zone_free(&z);
}

/*
 * Records the stage cannot use are passed over, not misread: an MX
 * target too long to write as text is not learned (the others are); an
 * answer record of another class is not judged as a broken RRset.
 */
static void test_unusable_records(void **state)
{
	struct dfx *x = dfx_new(false);
	const struct expect_mxset *mx;
	char bin[1200], rr[1400];
	size_t n = 0;

	(void)state;
	for (int label = 0; label < 4; label++) {
		for (int i = 0; i < 60; i++)
			n += (size_t)snprintf(bin + n, sizeof(bin) - n, "\\001");
		bin[n++] = '.';
	}
	bin[n] = '\0';
	snprintf(rr, sizeof(rr), "bin.test. IN MX 20 %s", bin);
	feed(x,
	     response("bin.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"bin.test. IN MX 10 mx.bin.test.", rr, NULL}),
	     false);
	mx = expect_get_mx(correlate_expect(x->c), "bin.test", T0);
	assert_non_null(mx);
	assert_int_equal(mx->n, 1);
	assert_string_equal(mx->mx[0].host, "mx.bin.test");
	feed(x,
	     response("chaos.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
		      (const char *const[]){"chaos.test. CH A 192.0.2.1", NULL}),
	     false);
	assert_string_equal(x->v.status, "insecure");
	assert_string_equal(x->v.reason, "");
	dfx_free(x);
}

/*
 * AD history kept from before (a state store's) for a resolver whose AD
 * bit does not count now: its answers without AD raise nothing.
 */
static void test_ad_history_untrusted(void **state)
{
	struct dfx *x = dfx_new(false); /* 192.0.2.53 is not the trusted resolver */
	static const char *const a[] = {"www.ad.test. IN A 192.0.2.80", NULL};

	(void)state;
	x->query_do = true;
	resolver_ad_note(correlate_resolver_ad(x->c), &x->f.srv, "ad.test", T0);
	feed(x, response("www.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, a), false);
	assert_int_equal(raised_total(x), 0);
	/* the same history for a resolver that counts does raise */
	dfx_free(x);
	x = dfx_new(true);
	x->query_do = true;
	resolver_ad_note(correlate_resolver_ad(x->c), &x->f.srv, "ad.test", T0);
	feed(x, response("www.ad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, a), false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	dfx_free(x);
}

/*
 * The sensor's own judgement wins over a trusted resolver's AD bit: a
 * signed answer it validated stays dnssec, a forged one stays bogus and
 * is learned as unvalidated. The RRset of the name asked for decides a
 * response's status, not another RRset of the same type after it.
 */
static void test_own_judgement_wins(void **state)
{
	struct signed_zone z;
	struct dfx *x;
	ldns_pkt *p;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(true, z.anchor);
	feed_keys(x, &z, true);
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), true, false),
	     false);
	assert_string_equal(x->v.status, "secure");
	assert_string_equal(expect_trust_name(x->v.trust), "dnssec");
	assert_int_equal(expect_get_addrs(correlate_expect(x->c), "www.sec.test", T0)->trust,
			 EXPECT_DNSSEC);
	feed(x,
	     with_rrset(&z,
			response("bad.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, NULL),
			one(text_rr("bad.sec.test. IN A 192.0.2.66")), true, true),
	     false);
	assert_string_equal(x->v.status, "bogus");
	assert_string_equal(expect_trust_name(x->v.trust), "unvalidated");
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 1);
	assert_int_equal(expect_get_addrs(correlate_expect(x->c), "bad.sec.test", T0)->trust,
			 EXPECT_UNVALIDATED);
	/* the signed RRset asked for first, an unsigned one of the same type after it */
	p = with_rrset(&z,
		       response("w2.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, NULL),
		       one(text_rr("w2.sec.test. IN A 192.0.2.82")), true, false);
	p = with_rrset(&z, p, one(text_rr("w3.sec.test. IN A 192.0.2.83")), false, false);
	feed(x, p, false);
	assert_string_equal(x->v.status, "secure");
	dfx_free(x);
	zone_free(&z);
}

/*
 * Guards checked on a first answer (no earlier alert's incident to hide
 * a wrong one): a truncated denial says nothing, an answer holding the
 * STSv1 record is no stripping, and a forged RRset of another type
 * beside a genuine one of the same owner is still found.
 */
static void test_first_answer_guards(void **state)
{
	struct signed_zone z;
	struct dfx *x = dfx_new(false);

	(void)state;
	put_tlsa(x, "mx.tc.test", EXPECT_DNSSEC, 1);
	feed(x,
	     response("_25._tcp.mx.tc.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, false, NULL),
	     true);
	feed(x, response("_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, false, NULL),
	     true);
	feed(x,
	     response(
		 "_mta-sts.sts.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, false,
		 (const char *const[]){"_mta-sts.sts.test. IN TXT \"v=STSv1; id=20260101\"", NULL}),
	     false);
	assert_int_equal(raised_total(x), 0);
	dfx_free(x);
	zone_new(&z);
	x = dfx_new_anchor(false, z.anchor);
	feed_keys(x, &z, false);
	feed(x,
	     with_rrset(&z,
			with_rrset(&z,
				   response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
					    false, NULL),
				   one(text_rr("www.sec.test. IN A 192.0.2.80")), true, false),
			one(text_rr("www.sec.test. IN TXT \"forged text\"")), true, true),
	     false);
	assert_int_equal(raised(x, KIND_DNSSEC_BOGUS), 1);
	dfx_free(x);
	zone_free(&z);
}

struct kept_fact {
	char value[2048], source[STATE_SOURCE_MAX], trust[STATE_TRUST_MAX];
	unsigned n;
};

static bool keep_dnskey(void *arg, const struct state_fact *f)
{
	struct kept_fact *k = arg;

	if (f->kind == STATE_DNSKEY && strcmp(f->key, "sec.test") == 0) {
		k->n++;
		snprintf(k->value, sizeof(k->value), "%.*s", (int)f->value_len, f->value);
		snprintf(k->source, sizeof(k->source), "%s", f->source);
		snprintf(k->trust, sizeof(k->trust), "%s", f->trust);
	}
	return true;
}

/*
 * The stored DNSKEY fact of sec.test after the keys answer is fed (with
 * AD=1 when ad): its value, source and trust.
 */
static void stored_keys(struct signed_zone *z, bool trust_resolver, bool ad, struct kept_fact *k)
{
	struct dfx *x = trust_resolver ? dfx_new(true) : dfx_new_anchor(false, z->anchor);
	struct tmp_state t;
	char err[256];

	tmp_state_attach(&t, x);
	feed_keys(x, z, ad);
	tmp_state_detach(&t, x);
	memset(k, 0, sizeof(*k));
	assert_true(state_load(t.st, keep_dnskey, k, err, sizeof(err)));
	tmp_state_remove(&t);
	dfx_free(x);
}

/*
 * Keys the sensor validated and keys a trusted resolver vouched for are
 * stored apart: source and trust say which, the vouched ones name the
 * resolver, and the key is stored as one zone-file line (spaces, no tab
 * or newline) that loads back.
 */
static void test_keys_fact_value(void **state)
{
	struct signed_zone z;
	struct kept_fact k;
	char *text, want[1024];
	size_t n;

	(void)state;
	zone_new(&z);
	text = ldns_rr2str(z.ksk_rr);
	assert_non_null(text);
	n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	for (char *p = text; *p != '\0'; p++)
		if (*p == '\t')
			*p = ' ';
	assert_null(strchr(text, '\t'));
	snprintf(want, sizeof(want), ",\"rrs\":[\"%s\"]}", text);
	free(text);

	stored_keys(&z, false, false, &k);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.source, "DNSSEC chain validated by the sensor");
	assert_string_equal(k.trust, "dnssec");
	assert_true(strncmp(k.value, "{\"expires_us\":18", 16) == 0);
	assert_null(strstr(k.value, "vouched_by"));
	assert_null(strstr(k.value, "usable"));
	assert_true(strlen(k.value) > strlen(want));
	assert_string_equal(k.value + strlen(k.value) - strlen(want), want);

	stored_keys(&z, true, true, &k);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.source, "DNSSEC keys on a resolver's AD bit");
	assert_string_equal(k.trust, "resolver-ad");
	assert_non_null(strstr(k.value, ",\"vouched_by\":\"192.0.2.53\","));
	assert_string_equal(k.value + strlen(k.value) - strlen(want), want);
	zone_free(&z);
}

/* A dns-answer-race record names the query and both answers' rcodes. */
static void test_race_evidence(void **state)
{
	static const char *const a1[] = {"race.test. IN MX 10 mx.race.test.", NULL};
	struct race_fx r;
	char path[64], line[4096];
	char *buf;

	(void)state;
	race_setup(&r);
	eve_to_file(r.x, path);
	send_msg(&r, query("race.test."), FLOW_TOSERVER, T0);
	send_msg(&r, response("race.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN, false, NULL),
		 FLOW_TOCLIENT, T0 + 3000);
	send_msg(&r, response("race.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, a1),
		 FLOW_TOCLIENT, T0 + 5000);
	assert_int_equal(raised(r.x, KIND_DNS_ANSWER_RACE), 1);
	buf = eve_text(r.x, path);
	line_with(buf, "\"first_rcode\"", line, sizeof(line));
	assert_has(line, "\"rrname\":\"race.test\"");
	assert_has(line, "\"first_rcode\":\"NXDOMAIN\"");
	assert_has(line, "\"second_rcode\":\"NOERROR\"");
	assert_has(line, "\"second_answers\":1");
	assert_has(line, "\"ms_after_query\":5");
	free(buf);
	race_teardown(&r);
}

/*
 * A truncated denial (TC=1) from a signed zone to a DO query is not
 * stripped: the proof may be what the truncation cut.
 */
static void test_truncated_denial_not_stripped(void **state)
{
	struct signed_zone z;
	struct dfx *x;

	(void)state;
	zone_new(&z);
	x = dfx_new_anchor(true, z.anchor);
	x->query_do = true;
	feed_keys(x, &z, true);
	feed(x,
	     with_rrset(&z,
			response("www.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, NULL),
			one(text_rr("www.sec.test. IN A 192.0.2.80")), true, false),
	     false);
	x->ts = T0 + SEC(10);
	feed(x, response("none.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL), true);
	assert_int_equal(raised_total(x), 0);
	/* the same answer whole is stripped */
	feed(x, response("none.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL),
	     false);
	assert_int_equal(raised(x, KIND_DNSSEC_STRIPPED), 1);
	dfx_free(x);
	zone_free(&z);
}

static bool count_resolver_ad(void *arg, const struct state_fact *f)
{
	unsigned *n = arg;

	if (f->kind == STATE_RESOLVER_AD)
		(*n)++;
	return true;
}

/* The resolver-AD facts stored after one AD=1 answer from the resolver, trusted or not. */
static unsigned resolver_ad_facts(bool trust_resolver)
{
	static const char *const mx[] = {"ad.test. IN MX 10 mx.ad.test.", NULL};
	struct dfx *x = dfx_new(trust_resolver);
	struct tmp_state t;
	char err[256];
	unsigned n = 0;

	tmp_state_attach(&t, x);
	feed(x, response("ad.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, true, mx), false);
	tmp_state_detach(&t, x);
	assert_true(state_load(t.st, count_resolver_ad, &n, err, sizeof(err)));
	tmp_state_remove(&t);
	dfx_free(x);
	return n;
}

/* Only a resolver whose AD bit counts leaves an AD history in the store. */
static void test_ad_history_stored_if_counted(void **state)
{
	(void)state;
	assert_int_equal(resolver_ad_facts(true), 1);
	assert_int_equal(resolver_ad_facts(false), 0);
}

/*
 * An answer signed by keys a trusted resolver vouched for (AD=1) is
 * trusted as resolver-ad; one signed by keys the sensor validated from
 * its trust anchor as dnssec.
 */
static void test_vouched_answer_trust(void **state)
{
	struct signed_zone z;
	struct dfx *x;

	(void)state;
	zone_new(&z);
	for (int vouched = 0; vouched < 2; vouched++) {
		x = vouched ? dfx_new(true) : dfx_new_anchor(false, z.anchor);
		feed(x,
		     with_rrset(&z,
				response("sec.test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR,
					 vouched, NULL),
				one(ldns_rr_clone(z.ksk_rr)), true, false),
		     false);
		assert_int_equal(counter(x->c, "dnssec.keys_vouched"), (uint64_t)vouched);
		feed(x,
		     with_rrset(
			 &z,
			 response("sec.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, vouched, NULL),
			 one(text_rr("sec.test. IN MX 10 mx.sec.test.")), true, false),
		     false);
		assert_string_equal(x->v.status, "secure");
		assert_int_equal(x->v.trust, vouched ? EXPECT_RESOLVER_AD : EXPECT_DNSSEC);
		dfx_free(x);
	}
	zone_free(&z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tlsa_stripped),
	    cmocka_unit_test(test_tlsa_stripped_history),
	    cmocka_unit_test(test_tlsa_removed_proven),
	    cmocka_unit_test(test_sts_stripped),
	    cmocka_unit_test(test_sts_removed_proven),
	    cmocka_unit_test(test_mx_answer),
	    cmocka_unit_test(test_dnssec_kinds),
	    cmocka_unit_test(test_answer_race),
	    cmocka_unit_test(test_learning),
	    cmocka_unit_test(test_mx_answer_testing),
	    cmocka_unit_test(test_blind_counters),
	    cmocka_unit_test(test_blind_ad_off),
	    cmocka_unit_test(test_retry),
	    cmocka_unit_test(test_retry_bounds),
	    cmocka_unit_test(test_judge_rrsets),
	    cmocka_unit_test(test_ad_list),
	    cmocka_unit_test(test_stripped_once),
	    cmocka_unit_test(test_ad_history_evidence),
	    cmocka_unit_test(test_keys_persisted),
	    cmocka_unit_test(test_keys_vouched_noerror_only),
	    cmocka_unit_test(test_validated_without_ad),
	    cmocka_unit_test(test_nsec_denial_without_ad),
	    cmocka_unit_test(test_mx_answer_evidence),
	    cmocka_unit_test(test_stripped_evidence),
	    cmocka_unit_test(test_mx_host_known),
	    cmocka_unit_test(test_sts_owner_and_policy),
	    cmocka_unit_test(test_ad_zone),
	    cmocka_unit_test(test_denial_stripped_once),
	    cmocka_unit_test(test_blind_not_judged),
	    cmocka_unit_test(test_retry_only_valid),
	    cmocka_unit_test(test_not_a_query),
	    cmocka_unit_test(test_dnssec_guards_evidence),
	    cmocka_unit_test(test_unusable_records),
	    cmocka_unit_test(test_ad_history_untrusted),
	    cmocka_unit_test(test_own_judgement_wins),
	    cmocka_unit_test(test_first_answer_guards),
	    cmocka_unit_test(test_keys_fact_value),
	    cmocka_unit_test(test_race_evidence),
	    cmocka_unit_test(test_truncated_denial_not_stripped),
	    cmocka_unit_test(test_ad_history_stored_if_counted),
	    cmocka_unit_test(test_vouched_answer_trust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
