/*
 * dnssec_judge.c - DNSSEC judgement of DNS responses; see dnssec_judge.h.
 */
#include "correlate/dnssec_judge.h"

#include <stdio.h>
#include <string.h>

#include "dnssec/dnssec.h"

/* Distinct answer RRsets validated per response. */
#define JUDGE_MAX_RRSETS 8

struct bogus_evidence {
	const struct dns_message *m;
	const struct dnssec_result *r;
	const char *what;
	char owner[DNS_NAME_STR_MAX];
	uint16_t type;
};

static void bogus_evidence(struct evidence *e, const void *arg)
{
	const struct bogus_evidence *b = arg;
	char type[DNS_TYPE_STR_MAX];
	const char *rc = dns_rcode_str(b->m->rcode);

	evidence_str(e, "rrname", b->owner[0] ? b->owner : b->m->qname);
	evidence_str(e, "rrtype",
		     dns_type_str(b->type ? b->type : b->m->qtype, type, sizeof(type)));
	evidence_str(e, "rcode", rc != NULL ? rc : "other");
	evidence_u64(e, "id", b->m->id);
	evidence_str(e, "observed", b->what);
	evidence_str(e, "validation", dnssec_status_name(b->r->status));
	if (b->r->reason != DNSSEC_R_NONE)
		evidence_str(e, "reason", dnssec_reason_name(b->r->reason));
	if (b->r->signer[0]) {
		evidence_str(e, "signer", b->r->signer);
		evidence_u64(e, "key_tag", b->r->key_tag);
		evidence_u64(e, "algorithm", b->r->algorithm);
	}
	if (b->r->zone[0])
		evidence_str(e, "signed_zone", b->r->zone);
	evidence_u64(e, "rrsigs",
		     dns_count_type(b->m->pkt, DNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG));
}

/* Keeps an alert found by the checks for dnssec_judge_raise. */
static void pend(struct dnssec_judgement *j, enum mx_kind k, const struct bogus_evidence *ev)
{
	struct dnssec_pending *p;

	if (j->npending >= JUDGE_MAX_PENDING)
		return;
	p = &j->pending[j->npending++];
	p->kind = k;
	p->r = *ev->r;
	p->what = ev->what;
	mx_strlcpy(p->owner, ev->owner, sizeof(p->owner));
	p->type = ev->type;
}

static void raise_dns(struct corr_locked *c, enum mx_kind k, const struct corr_ends *f, uint64_t ts,
		      const struct bogus_evidence *ev, bool validated)
{
	struct alert_keys keys;
	struct alert_expectation exp = {.source = "dane",
					.trust = validated ? EXPECT_DNSSEC : EXPECT_UNVALIDATED,
					.domain = ev->r->zone[0] ? ev->r->zone : NULL,
					.detail = "zone known to be signed"};

	if (f == NULL)
		return; /* a quiet re-validation: the alerts were decided the first time */
	keys = (struct alert_keys){&f->srv, &f->cli, ev->m->qname, NULL};
	corr_decide(c, k, ts, MX_TOCLIENT, "dns", &keys, k == KIND_DNSSEC_STRIPPED ? &exp : NULL,
		    bogus_evidence, ev);
}

/* Does the answer section hold a record of type t? */
static bool answer_has(const struct dns_message *m, uint16_t t)
{
	return dns_count_type(m->pkt, DNS_SECTION_ANSWER, t) > 0;
}

static void set_status(struct dnssec_judgement *j, const struct dnssec_result *r)
{
	j->status = dnssec_status_name(r->status);
	snprintf(j->reason, sizeof(j->reason), "%s", dnssec_reason_name(r->reason));
}

/* Validates every RRset of the answer; the one of qtype decides the trust. */
static void judge_answer(struct corr_vlocked *c, const struct dns_message *m, bool query_do,
			 uint64_t ts, struct dnssec_judgement *j)
{
	struct dnssec_validator *v = corr_v_dnssec(c);
	const ldns_rr_list *ans = ldns_pkt_answer(m->pkt);
	const ldns_rr *seen[JUDGE_MAX_RRSETS];
	size_t nseen = 0;
	bool decided = false, bogus_raised = false, stripped_raised = false;

	for (size_t i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		uint16_t type = (uint16_t)ldns_rr_get_type(rr);
		struct dnssec_result r;
		struct bogus_evidence ev;
		bool dup = false;

		if (type == LDNS_RR_TYPE_RRSIG || nseen == JUDGE_MAX_RRSETS)
			continue;
		for (size_t k = 0; k < nseen && !dup; k++)
			dup = ldns_rr_get_type(seen[k]) == type &&
			      ldns_dname_compare(ldns_rr_owner(seen[k]), ldns_rr_owner(rr)) == 0;
		if (dup)
			continue;
		seen[nseen++] = rr;
		if (!dnssec_validate_answer(v, m->pkt, ldns_rr_owner(rr), type, ts, &r))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.m = m;
		ev.r = &r;
		ev.type = type;
		dns_name_str(ldns_rr_owner(rr), ev.owner, sizeof(ev.owner));
		if (r.status == DNSSEC_BOGUS)
			j->bogus = true;
		if (r.status == DNSSEC_BOGUS && !bogus_raised) {
			bogus_raised = true;
			ev.what = "RRSIG does not validate against validated keys";
			pend(j, KIND_DNSSEC_BOGUS, &ev);
		} else if (r.status == DNSSEC_INDETERMINATE && r.reason == DNSSEC_R_NO_SIGNATURES &&
			   r.zone_known_signed && query_do && !m->tc && !stripped_raised) {
			stripped_raised = true;
			j->stripped_raised = true;
			ev.what = "answer to a DO query without RRSIG from a signed zone";
			pend(j, KIND_DNSSEC_STRIPPED, &ev);
		}
		if (!decided && (type == m->qtype || !answer_has(m, m->qtype))) {
			decided = true;
			set_status(j, &r);
			if (r.status == DNSSEC_SECURE && r.vouched) {
				j->trust = EXPECT_RESOLVER_AD;
				j->vouched = true;
				j->voucher = r.voucher;
			} else if (r.status == DNSSEC_SECURE) {
				j->trust = EXPECT_DNSSEC;
			}
		}
	}
}

static void judge_denial(struct corr_vlocked *c, const struct dns_message *m, bool query_do,
			 uint64_t ts, struct dnssec_judgement *j)
{
	struct dnssec_result r;
	struct bogus_evidence ev;

	dnssec_check_denial(corr_v_dnssec(c), m->pkt, ts, &r);
	set_status(j, &r);
	memset(&ev, 0, sizeof(ev));
	ev.m = m;
	ev.r = &r;
	if (r.status == DNSSEC_SECURE) {
		j->denial_secure = true;
		j->trust = EXPECT_DNSSEC;
	} else if (r.status == DNSSEC_BOGUS) {
		j->bogus = true;
		ev.what = "denial of existence does not validate";
		pend(j, KIND_DNSSEC_BOGUS, &ev);
	} else if (r.status == DNSSEC_NO_PROOF && r.zone_known_signed && query_do && !m->tc) {
		j->denial_stripped = true;
		mx_strlcpy(j->signed_zone, r.zone, sizeof(j->signed_zone));
	}
}

void dnssec_judge_raise(struct corr_locked *c, const struct corr_ends *f,
			const struct dns_message *m, const struct dnssec_judgement *j,
			uint64_t ts_us)
{
	for (size_t i = 0; i < j->npending; i++) {
		const struct dnssec_pending *p = &j->pending[i];
		struct bogus_evidence ev;

		memset(&ev, 0, sizeof(ev));
		ev.m = m;
		ev.r = &p->r;
		ev.what = p->what;
		mx_strlcpy(ev.owner, p->owner, sizeof(ev.owner));
		ev.type = p->type;
		raise_dns(c, p->kind, f, ts_us, &ev, true);
	}
}

void dnssec_judge_stripped(struct corr_locked *c, const struct corr_ends *f,
			   const struct dns_message *m, const struct dnssec_judgement *j,
			   uint64_t ts_us)
{
	struct dnssec_result r;
	struct bogus_evidence ev;

	if (!j->denial_stripped)
		return;
	memset(&r, 0, sizeof(r));
	r.status = DNSSEC_NO_PROOF;
	r.zone_known_signed = true;
	mx_strlcpy(r.zone, j->signed_zone, sizeof(r.zone));
	memset(&ev, 0, sizeof(ev));
	ev.m = m;
	ev.r = &r;
	ev.what = "NXDOMAIN/NODATA to a DO query without NSEC/NSEC3 from a signed zone";
	raise_dns(c, KIND_DNSSEC_STRIPPED, f, ts_us, &ev, true);
}

void dnssec_judge_response(struct corr_vlocked *c, const struct corr_ends *f,
			   const struct dns_message *m, bool query_do, uint64_t ts_us,
			   struct dnssec_judgement *j)
{
	enum resolver_ad_verdict adv = RESOLVER_AD_OFF;

	if (f != NULL && m->ad)
		adv = corr_v_ad_verdict(c, &f->srv);
	memset(j, 0, sizeof(*j));
	j->ad_verdict = adv;
	j->ad_counts = f != NULL && m->ad && adv == RESOLVER_AD_COUNTS;
	j->status = "insecure";
	j->trust = EXPECT_UNVALIDATED;
	dnssec_observe_pkt(corr_v_dnssec(c), m->pkt, ts_us);
	/* Keys the resolver vouched for: signatures under them are checked by
	   the sensor from now on (a bogus one is then found even under AD=1). */
	if (j->ad_counts && m->rcode == LDNS_RCODE_NOERROR && answer_has(m, LDNS_RR_TYPE_DNSKEY))
		dnssec_vouch_keys(corr_v_dnssec(c), m->pkt, &f->srv, ts_us);
	if (m->rcode == LDNS_RCODE_NOERROR && answer_has(m, m->qtype))
		judge_answer(c, m, query_do, ts_us, j);
	else if (m->rcode == LDNS_RCODE_NOERROR || m->rcode == LDNS_RCODE_NXDOMAIN)
		judge_denial(c, m, query_do, ts_us, j);
	/* The sensor's own judgement wins: secure stays dnssec, bogus stays bogus. */
	if (j->ad_counts && j->trust == EXPECT_UNVALIDATED && !j->bogus) {
		j->trust = EXPECT_RESOLVER_AD;
		if (m->rcode == LDNS_RCODE_NXDOMAIN || !answer_has(m, m->qtype))
			j->denial_secure = true;
	}
}
