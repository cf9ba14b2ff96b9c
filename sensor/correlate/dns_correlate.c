/*
 * dns_correlate.c - DNS responses into expectations and DNS-side
 * detections; see dns_correlate.h.
 */
#include "correlate/dns_correlate.h"
#include "correlate/correlate_locked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssec/dnssec.h"
#include "correlate/correlate_state.h"
#include "correlate/dnssec_judge.h"
#include "correlate/policy.h"

#define TTL_US(c, ttl) ttl_us(corr_config(c), (ttl))

static uint64_t ttl_us(const struct correlate_config *cfg, uint32_t ttl)
{
	uint32_t t = ttl;

	if (t < cfg->expect.min_ttl_s)
		t = cfg->expect.min_ttl_s;
	if (t > cfg->expect.max_ttl_s)
		t = cfg->expect.max_ttl_s;
	return (uint64_t)t * MX_USEC;
}

/* The host of a "_PORT._tcp.host" TLSA owner; false for other names. */
static bool tlsa_owner_host(const char *owner, uint16_t *port, const char **host)
{
	unsigned p = 0;
	const char *s = owner;

	if (*s++ != '_')
		return false;
	while (*s >= '0' && *s <= '9' && p <= 65535)
		p = p * 10 + (unsigned)(*s++ - '0');
	if (p == 0 || p > 65535 || strncmp(s, "._tcp.", 6) != 0 || s[6] == '\0')
		return false;
	*port = (uint16_t)p;
	*host = s + 6;
	return true;
}

/* The domain of an "_mta-sts.domain" owner; NULL for other names. */
static const char *sts_owner_domain(const char *owner)
{
	if (strncmp(owner, "_mta-sts.", 9) != 0 || owner[9] == '\0')
		return NULL;
	return owner + 9;
}

/* The MX RRset of qname in the answer section. */
static size_t collect_mx(const struct dns_message *m, struct expect_mxset *set, uint32_t *min_ttl)
{
	struct dns_rr_iter it;
	const ldns_rr *rr;

	memset(set, 0, sizeof(*set));
	*min_ttl = UINT32_MAX;
	dns_rr_iter_init(&it, m->pkt, DNS_SECTION_ANSWER, LDNS_RR_TYPE_MX);
	while ((rr = dns_rr_iter_next(&it)) != NULL && set->n < EXPECT_MAX_MX) {
		struct expect_mx *mx = &set->mx[set->n];

		if (strcmp(it.owner, m->qname) != 0)
			continue;
		if (!dns_rr_mx(rr, &mx->pref, mx->host, sizeof(mx->host)))
			continue;
		set->n++;
		*min_ttl = MX_MIN(*min_ttl, ldns_rr_ttl(rr));
	}
	return set->n;
}

/* The resolver to name beside an expectation of this trust, else NULL. */
static const struct mx_addr *vouching(enum expect_trust trust, const struct mx_addr *resolver)
{
	return trust == EXPECT_RESOLVER_AD ? resolver : NULL;
}

static void learn_addresses(struct corr_locked *c, const struct dns_message *m,
			    enum expect_trust trust, const struct mx_addr *resolver, uint64_t ts)
{
	struct dns_rr_iter it;
	const ldns_rr *rr;
	struct expect_addrs a;
	char owner[EXPECT_NAME_MAX] = "";

	memset(&a, 0, sizeof(a));
	/* Records of one owner are usually adjacent: flush at owner changes. */
	dns_rr_iter_init(&it, m->pkt, DNS_SECTION_ANSWER, 0);
	while ((rr = dns_rr_iter_next(&it)) != NULL) {
		struct mx_addr addr;
		uint32_t ttl = ldns_rr_ttl(rr);

		if (!dns_rr_addr(rr, &addr))
			continue;
		if (strcmp(owner, it.owner) != 0) {
			if (a.n > 0)
				expect_put_addrs(corr_expect(c), owner, &a, ts);
			memset(&a, 0, sizeof(a));
			mx_strlcpy(owner, it.owner, sizeof(owner));
			a.trust = trust;
			if (vouching(trust, resolver) != NULL)
				a.resolver = *resolver;
			a.expires_us = UINT64_MAX;
		}
		if (a.n < EXPECT_MAX_ADDRS)
			a.addr[a.n++] = addr;
		a.expires_us = MX_MIN(a.expires_us, ts + TTL_US(c, ttl));
	}
	if (a.n > 0)
		expect_put_addrs(corr_expect(c), owner, &a, ts);
}

static void learn_tlsa(struct corr_locked *c, const struct dns_message *m, enum expect_trust trust,
		       const struct mx_addr *resolver, uint64_t ts)
{
	struct dns_rr_iter it;
	const ldns_rr *rr;
	struct expect_tlsa t;
	uint16_t port = 0;
	const char *host = NULL;

	if (!tlsa_owner_host(m->qname, &port, &host))
		return;
	memset(&t, 0, sizeof(t));
	t.trust = trust;
	if (vouching(trust, resolver) != NULL)
		t.resolver = *resolver;
	t.expires_us = UINT64_MAX;
	dns_rr_iter_init(&it, m->pkt, DNS_SECTION_ANSWER, LDNS_RR_TYPE_TLSA);
	while ((rr = dns_rr_iter_next(&it)) != NULL && t.n < EXPECT_MAX_TLSA) {
		struct dns_tlsa d;
		struct tlsa_record *r = &t.rec[t.n];

		if (strcmp(it.owner, m->qname) != 0 || !dns_rr_tlsa(rr, &d) ||
		    d.len > EXPECT_TLSA_DATA_MAX)
			continue;
		r->usage = d.usage;
		r->selector = d.selector;
		r->mtype = d.matching_type;
		r->len = (uint8_t)d.len;
		memcpy(r->data, d.data, d.len);
		t.n++;
		t.expires_us = MX_MIN(t.expires_us, ts + TTL_US(c, ldns_rr_ttl(rr)));
	}
	if (t.n > 0)
		expect_put_tlsa(corr_expect(c), host, port, &t, ts);
}

/* The MTA-STS id of the response, "" when it has no STSv1 TXT. */
static bool find_sts(const struct dns_message *m, char *id, size_t idlen, uint32_t *ttl)
{
	struct dns_rr_iter it;
	const ldns_rr *rr;

	dns_rr_iter_init(&it, m->pkt, DNS_SECTION_ANSWER, LDNS_RR_TYPE_TXT);
	while ((rr = dns_rr_iter_next(&it)) != NULL) {
		if (strcmp(it.owner, m->qname) != 0)
			continue;
		if (dns_rr_sts(rr, id, idlen)) {
			*ttl = ldns_rr_ttl(rr);
			return true;
		}
	}
	return false;
}

static bool answer_has_type(const struct dns_message *m, uint16_t type)
{
	return dns_count_type(m->pkt, DNS_SECTION_ANSWER, type) > 0;
}

struct dns_evidence {
	const struct dns_message *m;
	const char *what;
	const struct expect_mxset *answer_mx;
	const char *bad_host;
	/* AD=1 answers this resolver gave for the zone before, when they are
	   what makes this answer suspect; NULL otherwise. */
	const struct resolver_ad_obs *ad;
	uint64_t ts;
};

static void ad_history_evidence(struct evidence *e, const struct resolver_ad_obs *o, uint64_t ts)
{
	evidence_obj_begin(e, "ad_history");
	evidence_addr(e, "resolver", &o->resolver);
	evidence_str(e, "zone", o->zone);
	evidence_u64(e, "ad_answers", o->ad_answers);
	evidence_u64(e, "first_ad_seconds_ago",
		     ts > o->first_ad_us ? (ts - o->first_ad_us) / MX_USEC : 0);
	evidence_u64(e, "last_ad_seconds_ago",
		     ts > o->last_ad_us ? (ts - o->last_ad_us) / MX_USEC : 0);
	evidence_str(e, "observed",
		     "this resolver answered for the zone with AD=1 before; "
		     "this answer has no AD");
	evidence_obj_end(e);
}

static void dns_evidence(struct evidence *e, const void *arg)
{
	const struct dns_evidence *d = arg;
	const char *rc = dns_rcode_str(d->m->rcode);
	char type[DNS_TYPE_STR_MAX];

	evidence_str(e, "rrname", d->m->qname);
	evidence_str(e, "rrtype", dns_type_str(d->m->qtype, type, sizeof(type)));
	evidence_str(e, "rcode", rc != NULL ? rc : "other");
	evidence_u64(e, "id", d->m->id);
	evidence_bool(e, "ad", d->m->ad);
	evidence_u64(e, "answers", d->m->ancount);
	evidence_u64(e, "rrsigs",
		     dns_count_type(d->m->pkt, DNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG));
	if (d->what != NULL)
		evidence_str(e, "observed", d->what);
	if (d->answer_mx != NULL && d->answer_mx->n > 0) {
		evidence_list_begin(e, "answer_mx");
		for (size_t i = 0; i < d->answer_mx->n; i++)
			evidence_list_str(e, d->answer_mx->mx[i].host);
		evidence_list_end(e);
	}
	if (d->bad_host != NULL)
		evidence_str(e, "unexpected_mx", d->bad_host);
	if (d->ad != NULL)
		ad_history_evidence(e, d->ad, d->ts);
}

static void raise_dns(struct corr_locked *c, enum mx_kind k, const struct corr_ends *f, uint64_t ts,
		      const struct dns_evidence *ev, const struct alert_expectation *exp)
{
	struct alert_keys keys = {&f->srv, &f->cli, exp != NULL ? exp->domain : NULL,
				  exp != NULL ? exp->mx_host : NULL};

	corr_decide(c, k, ts, MX_TOCLIENT, "dns", &keys, exp, dns_evidence, ev);
}

static bool mx_in_set(const struct expect_mxset *set, const char *host)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcasecmp(set->mx[i].host, host) == 0)
			return true;
	return false;
}

/* An MX answer against the validated MX set and the MTA-STS patterns. */
static void check_mx_answer(struct corr_locked *c, const struct corr_ends *f,
			    const struct dns_message *m, const struct expect_mxset *ans,
			    uint64_t ts)
{
	const struct expect_mxset *known = expect_get_mx(corr_expect(c), m->qname, ts);
	const struct policy *pol = corr_policy(c, m->qname);
	struct dns_evidence ev = {m, "mx answer", ans, NULL, NULL, ts};

	if (known != NULL && expect_trust_validated(known->trust) &&
	    !expect_trust_validated(ans->trust)) {
		for (size_t i = 0; i < ans->n; i++) {
			struct alert_expectation exp = {
			    .source = known->trust == EXPECT_CONFIGURED ? "policy" : "dane",
			    .trust = known->trust,
			    .domain = m->qname,
			    .detail = "MX answer differs from the validated MX set",
			    .resolver = vouching(known->trust, &known->resolver)};

			if (mx_in_set(known, ans->mx[i].host))
				continue;
			ev.bad_host = ans->mx[i].host;
			exp.mx_host = ans->mx[i].host;
			raise_dns(c, KIND_MX_REDIRECT, f, ts, &ev, &exp);
			return;
		}
	}
	if (pol != NULL && pol->has_sts && pol->sts.mode != MTASTS_MODE_NONE) {
		for (size_t i = 0; i < ans->n; i++) {
			struct alert_expectation exp = {
			    .source = "mta-sts",
			    .trust = EXPECT_CONFIGURED,
			    .domain = m->qname,
			    .policy_id = pol->id,
			    .detail = pol->sts.mode == MTASTS_MODE_ENFORCE
					  ? "MX not allowed by the enforced MTA-STS policy"
					  : "MX not allowed by the MTA-STS policy (testing)"};

			if (policy_mx_allowed(pol, ans->mx[i].host))
				continue;
			ev.bad_host = ans->mx[i].host;
			exp.mx_host = ans->mx[i].host;
			raise_dns(c, KIND_MX_REDIRECT, f, ts, &ev, &exp);
			return;
		}
	}
}

/*
 * Whether a record seen earlier makes an expectation now: seen recently
 * enough for the kind's max-age, and either validated or seen the kind's
 * minimum number of times (a history expectation). *trust says which.
 */
static bool known_enough(enum expect_trust seen_trust, uint32_t sightings, uint64_t last_seen_us,
			 const struct history_knobs *k, uint64_t ts, enum expect_trust *trust)
{
	if (ts > last_seen_us + k->max_age_s * MX_USEC)
		return false;
	if (expect_trust_validated(seen_trust)) {
		*trust = seen_trust;
		return true;
	}
	*trust = EXPECT_HISTORY;
	return sightings >= k->min_sightings;
}

/*
 * A TLSA query answered without TLSA for a host known to have TLSA, or
 * (ad set) without AD from a resolver that answered for the zone with
 * AD=1 before: the denial cannot be told from a forged one.
 */
static bool check_tlsa_gone(struct corr_locked *c, const struct corr_ends *f,
			    const struct dns_message *m, bool denial_secure,
			    const struct resolver_ad_obs *ad, uint64_t ts)
{
	uint16_t port;
	const char *host;
	const struct expect_tlsa *known;
	const struct policy_tlsa *pinned[1];
	bool live;
	struct alert_expectation exp = {.source = "dane"};
	struct dns_evidence ev = {m, NULL, NULL, NULL, ad, ts};

	if (!tlsa_owner_host(m->qname, &port, &host) || answer_has_type(m, LDNS_RR_TYPE_TLSA))
		return false;
	if (denial_secure)
		return false;
	known = expect_get_tlsa(corr_expect(c), host, port, ts, &live);
	if (known != NULL && known_enough(known->trust, known->sightings, known->last_seen_us,
					  &corr_config(c)->tlsa_history, ts, &exp.trust)) {
		exp.tlsa = known->rec;
		exp.ntlsa = known->n;
		exp.resolver = vouching(exp.trust, &known->resolver);
		exp.detail = "host known to publish TLSA records";
	} else if (policy_tlsa_for_host(corr_policies(c), host, port, pinned, 1) > 0) {
		exp.source = "policy";
		exp.trust = EXPECT_CONFIGURED;
		exp.policy_id = pinned[0]->policy->id;
		exp.detail = "host known to publish TLSA records";
	} else if (ad != NULL) {
		exp.trust = EXPECT_RESOLVER_AD;
		exp.resolver = &ad->resolver;
		exp.domain = ad->zone;
		exp.detail = "zone answered with AD=1 by this resolver before: a TLSA denial "
			     "without AD cannot be told from a forged one";
	} else {
		return false;
	}
	exp.mx_host = host;
	ev.what = m->rcode == LDNS_RCODE_NXDOMAIN ? "NXDOMAIN without valid denial"
						  : "NODATA without valid denial";
	raise_dns(c, KIND_TLSA_STRIPPED, f, ts, &ev, &exp);
	return true;
}

/* An _mta-sts TXT query answered without an STSv1 record, for a known domain. */
static bool check_sts_gone(struct corr_locked *c, const struct corr_ends *f,
			   const struct dns_message *m, bool denial_secure,
			   const struct resolver_ad_obs *ad, uint64_t ts)
{
	const char *domain = sts_owner_domain(m->qname);
	const struct expect_sts *known;
	const struct policy *pol;
	bool live;
	struct alert_expectation exp = {.source = "mta-sts"};
	struct dns_evidence ev = {m, "no v=STSv1 TXT record", NULL, NULL, ad, ts};

	if (domain == NULL || denial_secure)
		return false;
	known = expect_get_sts(corr_expect(c), domain, ts, &live);
	pol = corr_policy(c, domain);
	if (pol != NULL && pol->has_sts) {
		exp.trust = EXPECT_CONFIGURED;
		exp.policy_id = pol->id;
		exp.source = "policy";
	} else if (known != NULL &&
		   known_enough(known->trust, known->sightings, known->last_seen_us,
				&corr_config(c)->sts_history, ts, &exp.trust)) {
		exp.detail = "domain known to publish an MTA-STS TXT record";
		exp.resolver = vouching(exp.trust, &known->resolver);
	} else {
		return false;
	}
	exp.domain = domain;
	raise_dns(c, KIND_MTA_STS_STRIPPED, f, ts, &ev, &exp);
	return true;
}

struct race_evidence {
	const struct dns_message *m;
	const struct dns_query_facts *q;
	uint64_t ts_us;
};

static void race_evidence(struct evidence *e, const void *arg)
{
	const struct race_evidence *r = arg;
	const char *rc1 = dns_rcode_str(r->q->answer_rcode), *rc2 = dns_rcode_str(r->m->rcode);
	char type[DNS_TYPE_STR_MAX];

	evidence_str(e, "rrname", r->m->qname);
	evidence_str(e, "rrtype", dns_type_str(r->m->qtype, type, sizeof(type)));
	evidence_u64(e, "id", r->m->id);
	evidence_str(e, "first_rcode", rc1 != NULL ? rc1 : "other");
	evidence_str(e, "second_rcode", rc2 != NULL ? rc2 : "other");
	evidence_u64(e, "second_answers", ldns_rr_list_rr_count(ldns_pkt_answer(r->m->pkt)));
	evidence_u64(e, "ms_after_query", (r->ts_us - r->q->query_ts_us) / 1000);
}

bool dns_correlate_race(struct correlate *c, const struct corr_ends *f, const struct dns_message *m,
			uint64_t hash, struct dns_query_facts *q, uint64_t ts_us,
			struct alert_list *out)
{
	struct race_evidence ev = {m, q, ts_us};
	struct alert_keys keys = {&f->srv, &f->cli, m->qname, NULL};
	struct corr_locked *l;

	if (!q->answered) {
		q->answered = true;
		q->answer_ts_us = ts_us;
		q->answer_hash = hash;
		q->answer_rcode = m->rcode;
		return false;
	}
	if (q->answer_hash == hash || q->raced)
		return false;
	/* A late second answer is a resolver retry, not a race. */
	if (ts_us - q->answer_ts_us > (uint64_t)correlate_config(c)->race_window_ms * 1000)
		return false;
	q->raced = true;
	l = correlate_enter(c, out);
	corr_decide(l, KIND_DNS_ANSWER_RACE, ts_us, MX_TOCLIENT, "dns", &keys, NULL, race_evidence,
		    &ev);
	correlate_leave(c);
	return true;
}

bool dns_correlate_is_mx_host(struct correlate *c, const char *name, uint64_t ts_us)
{
	char domains[1][EXPECT_NAME_MAX];
	const struct policy_host *ph[1];
	struct corr_locked *l = correlate_enter(c, NULL);
	bool known = expect_domains_of_host(corr_expect(l), name, ts_us, domains, 1) > 0 ||
		     policy_hosts_for_name(corr_policies(l), name, ph, 1) > 0;

	correlate_leave(c);
	return known;
}

/* Teaches the store what a NOERROR answer says, trusted as far as trust. */
static void learn(struct corr_locked *c, const struct corr_ends *f, const struct dns_message *m,
		  enum expect_trust trust, const struct mx_addr *resolver, uint64_t ts_us)
{
	struct expect_mxset mx;
	uint32_t ttl;
	char id[DNS_STS_ID_MAX];

	if (m->rcode != LDNS_RCODE_NOERROR || m->ancount == 0)
		return;
	/* An MX RRset of the name asked for, whatever the query type (ANY). */
	if (collect_mx(m, &mx, &ttl) > 0) {
		mx.trust = trust;
		if (vouching(trust, resolver) != NULL)
			mx.resolver = *resolver;
		mx.expires_us = ts_us + TTL_US(c, ttl);
		if (f != NULL)
			check_mx_answer(c, f, m, &mx, ts_us);
		expect_put_mx(corr_expect(c), m->qname, &mx, ts_us);
	}
	learn_addresses(c, m, trust, resolver, ts_us);
	if (m->qtype == LDNS_RR_TYPE_TLSA)
		learn_tlsa(c, m, trust, resolver, ts_us);
	if (m->qtype == LDNS_RR_TYPE_TXT && sts_owner_domain(m->qname) != NULL &&
	    find_sts(m, id, sizeof(id), &ttl)) {
		struct expect_sts st;

		memset(&st, 0, sizeof(st));
		mx_strlcpy(st.id, id, sizeof(st.id));
		st.trust = trust;
		if (vouching(trust, resolver) != NULL)
			st.resolver = *resolver;
		st.expires_us = ts_us + TTL_US(c, ttl);
		expect_put_sts(corr_expect(c), sts_owner_domain(m->qname), &st, ts_us);
	}
}

/*
 * Signed answers that arrived before the keys that validate them (a
 * resolver asks for the data and the DNSKEY at once): kept, bounded, and
 * validated again once new keys are validated, so the expectation they
 * carry is upgraded to DNSSEC.
 */
#define RETRY_SLOTS	  32
#define RETRY_LIFETIME_US (60 * MX_USEC)

struct retry_slot {
	struct dns_message m; /* pkt set only while it is judged again */
	bool used;
	uint8_t *wire; /* a copy of the message, parsed again when retried */
	size_t wire_len, wire_cap;
	uint64_t ts_us;
};

struct dns_retry {
	struct retry_slot slot[RETRY_SLOTS];
	size_t next;
	uint64_t kept, upgraded, dropped;
};

static const struct mx_counter_desc retry_counter_desc[] = {
    MX_COUNTER("dnssec.retry_kept", struct dns_retry, kept),
    MX_COUNTER("dnssec.retry_upgraded", struct dns_retry, upgraded),
    MX_COUNTER("dnssec.retry_dropped", struct dns_retry, dropped),
    {NULL, 0},
};

struct dns_retry *dns_retry_new(void)
{
	return calloc(1, sizeof(struct dns_retry));
}

/* Empties a slot; its buffer stays for the next message kept there. */
static void retry_clear(struct retry_slot *s)
{
	s->used = false;
	s->wire_len = 0;
}

void dns_retry_free(struct dns_retry *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < RETRY_SLOTS; i++)
		free(r->slot[i].wire);
	free(r);
}

void dns_retry_clear(struct dns_retry *r)
{
	for (size_t i = 0; i < RETRY_SLOTS; i++)
		retry_clear(&r->slot[i]);
	r->next = 0;
}

const struct mx_counter_desc *dns_retry_counter_desc(void)
{
	return retry_counter_desc;
}

static bool worth_keeping(const struct dns_message *m, const struct dnssec_judgement *j)
{
	if (m->rcode != LDNS_RCODE_NOERROR || m->ancount == 0 ||
	    (j->trust != EXPECT_UNVALIDATED && j->trust != EXPECT_RESOLVER_AD))
		return false;
	if (strcmp(j->reason, "keys-unknown") != 0)
		return false;
	return m->qtype == LDNS_RR_TYPE_MX || m->qtype == LDNS_RR_TYPE_TLSA ||
	       m->qtype == LDNS_RR_TYPE_A || m->qtype == LDNS_RR_TYPE_AAAA ||
	       (m->qtype == LDNS_RR_TYPE_TXT && sts_owner_domain(m->qname) != NULL);
}

/* Keeps the message's bytes (a copy of the packet costs several times
 * more, and most kept messages are never retried). */
static void retry_keep(struct dns_retry *r, const struct dns_message *m, uint64_t ts_us)
{
	struct retry_slot *s = &r->slot[r->next];

	if (m->wire == NULL || m->wire_len == 0)
		return;
	if (m->wire_len > s->wire_cap) {
		uint8_t *w = realloc(s->wire, m->wire_len);

		if (w == NULL)
			return;
		s->wire = w;
		s->wire_cap = m->wire_len;
	}
	if (s->used)
		r->dropped++;
	memcpy(s->wire, m->wire, m->wire_len);
	s->m = *m;
	s->m.pkt = NULL;
	s->m.wire = NULL;
	s->m.wire_len = 0;
	s->wire_len = m->wire_len;
	s->used = true;
	s->ts_us = ts_us;
	r->next = (r->next + 1) % RETRY_SLOTS;
	r->kept++;
}

/* A kept response the keys learned since made trustworthy: learned later. */
struct retry_upgrade {
	struct dns_message m; /* owns m.pkt */
	struct dnssec_judgement j;
	uint64_t ts_us;
};

/*
 * Re-validates every kept response (under the validator's lock); the
 * ones that now validate leave the table into *up (malloc'd, *up NULL
 * when none), in table order. Returns how many.
 */
static size_t retry_all(struct corr_vlocked *v, struct dns_retry *r, uint64_t ts_us,
			struct retry_upgrade **up)
{
	size_t n = 0;

	*up = NULL;
	for (size_t i = 0; i < RETRY_SLOTS; i++) {
		struct retry_slot *s = &r->slot[i];
		struct dnssec_judgement j;

		if (!s->used)
			continue;
		if (ts_us > s->ts_us + RETRY_LIFETIME_US ||
		    (s->m.pkt = dns_reparse(s->wire, s->wire_len)) == NULL) {
			retry_clear(s);
			r->dropped++;
			continue;
		}
		dnssec_judge_response(v, NULL, &s->m, false, s->ts_us, &j);
		if ((j.trust != EXPECT_DNSSEC && !j.vouched) ||
		    (*up == NULL && (*up = calloc(RETRY_SLOTS, sizeof(**up))) == NULL)) {
			/* not yet (or no room to hand it over): kept for the next keys */
			ldns_pkt_free(s->m.pkt);
			s->m.pkt = NULL;
			continue;
		}
		(*up)[n].m = s->m;
		(*up)[n].j = j;
		(*up)[n].ts_us = s->ts_us;
		n++;
		s->m.pkt = NULL;
		retry_clear(s);
		r->upgraded++;
	}
	return n;
}

/* A response of a type that carries an expectation (MX, A/AAAA, TLSA, _mta-sts TXT). */
static bool carries_expectation(const struct dns_message *m)
{
	return m->qtype == LDNS_RR_TYPE_MX || m->qtype == LDNS_RR_TYPE_TLSA ||
	       m->qtype == LDNS_RR_TYPE_A || m->qtype == LDNS_RR_TYPE_AAAA ||
	       (m->qtype == LDNS_RR_TYPE_TXT && sts_owner_domain(m->qname) != NULL);
}

/*
 * The zone of an answer: the signer of an RRSIG in the answer, else the
 * owner of the SOA in the authority section (a denial); true when one of
 * them said it. Else the name asked for, and false.
 */
static bool ad_zone(const struct dns_message *m, char *zone, size_t len)
{
	const ldns_rr_list *ans = ldns_pkt_answer(m->pkt), *auth = ldns_pkt_authority(m->pkt);

	for (size_t i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rr_rrsig_signame(rr) != NULL) {
			dns_name_str(ldns_rr_rrsig_signame(rr), zone, len);
			return true;
		}
	}
	for (size_t i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			dns_name_str(ldns_rr_owner(rr), zone, len);
			return true;
		}
	}
	mx_strlcpy(zone, m->qname, len);
	return false;
}

/* What could not be judged about a response that would carry an expectation. */
static void count_blind(struct corr_locked *c, const struct dns_message *m,
			const struct dnssec_judgement *j)
{
	struct blind_counters *b = corr_blind(c);

	if (j->trust != EXPECT_UNVALIDATED || j->bogus || j->denial_secure ||
	    !carries_expectation(m) ||
	    (m->rcode != LDNS_RCODE_NOERROR && m->rcode != LDNS_RCODE_NXDOMAIN))
		return;
	if (m->ad && j->ad_verdict == RESOLVER_AD_OFF)
		b->dns_ad_off++;
	else if (m->ad && j->ad_verdict == RESOLVER_AD_NOT_LISTED)
		b->dns_ad_untrusted++;
	else if (strcmp(j->reason, "keys-unknown") == 0)
		b->dns_keys_unknown++;
	else
		b->dns_no_ad++;
}

/*
 * Resolver-AD bookkeeping of one response: an AD=1 answer that counts is
 * noted for its zone; an answer without AD to a DO query, from a
 * resolver whose AD counts, for a zone it answered with AD=1 before, is
 * suspect: returns that earlier observation (else NULL).
 */
static const struct resolver_ad_obs *ad_history(struct corr_locked *c, const struct corr_ends *f,
						const struct dns_message *m, bool query_do,
						const struct dnssec_judgement *j, uint64_t ts_us)
{
	char zone[DNS_NAME_STR_MAX];

	if (f == NULL || (m->rcode != LDNS_RCODE_NOERROR && m->rcode != LDNS_RCODE_NXDOMAIN))
		return NULL;
	if (m->ad) {
		if (j->ad_counts && !j->bogus) {
			ad_zone(m, zone, sizeof(zone));
			const struct resolver_ad_obs *obs;

			resolver_ad_note(corr_resolver_ad(c), &f->srv, zone, ts_us);
			obs = resolver_ad_find(corr_resolver_ad(c), &f->srv, zone, false, ts_us);
			if (obs != NULL)
				corr_state_put_resolver_ad(c, obs);
		}
		return NULL;
	}
	if (!query_do || m->tc || j->trust == EXPECT_DNSSEC || j->denial_secure ||
	    !carries_expectation(m) || corr_ad_verdict(c, &f->srv) != RESOLVER_AD_COUNTS)
		return NULL;
	/* An answer that names its zone (RRSIG signer, SOA of a denial) is
	   judged by that zone alone: an unsigned child zone under a signed one
	   is answered without AD for good reason. One that does not is judged
	   by the closest zone above the name. */
	if (ad_zone(m, zone, sizeof(zone)))
		return resolver_ad_find(corr_resolver_ad(c), &f->srv, zone, false, ts_us);
	return resolver_ad_find(corr_resolver_ad(c), &f->srv, m->qname, true, ts_us);
}

/* An answer without AD where this resolver gave AD=1 for the zone before. */
static void raise_ad_stripped(struct corr_locked *c, const struct corr_ends *f,
			      const struct dns_message *m, const struct resolver_ad_obs *ad,
			      uint64_t ts)
{
	struct dns_evidence ev = {
	    m, "answer without AD from a resolver that validated this zone", NULL, NULL, ad, ts};
	struct alert_expectation exp = {.source = sts_owner_domain(m->qname) ? "mta-sts" : "dane",
					.trust = EXPECT_RESOLVER_AD,
					.domain = ad->zone,
					.resolver = &ad->resolver,
					.detail =
					    "zone answered with AD=1 by this resolver before"};

	raise_dns(c, KIND_DNSSEC_STRIPPED, f, ts, &ev, &exp);
}

/* Under the stage's lock: what the checks found, stored and judged. */
static void response(struct corr_locked *c, const struct corr_ends *f, const struct dns_message *m,
		     bool query_do, uint64_t ts_us, const struct dnssec_judgement *j,
		     const struct retry_upgrade *up, size_t nup)
{
	const struct resolver_ad_obs *ad;
	uint32_t ttl;
	char id[DNS_STS_ID_MAX];
	bool specific = false;

	dnssec_judge_raise(c, f, m, j, ts_us);
	count_blind(c, m, j);
	ad = ad_history(c, f, m, query_do, j, ts_us);
	learn(c, f, m, j->trust, j->vouched ? &j->voucher : f != NULL ? &f->srv : NULL, ts_us);
	for (size_t i = 0; i < nup; i++)
		learn(c, NULL, &up[i].m, up[i].j.trust, up[i].j.vouched ? &up[i].j.voucher : NULL,
		      up[i].ts_us);

	if ((m->rcode == LDNS_RCODE_NOERROR || m->rcode == LDNS_RCODE_NXDOMAIN) && !m->tc) {
		if (m->qtype == LDNS_RR_TYPE_TLSA)
			specific = check_tlsa_gone(c, f, m, j->denial_secure, ad, ts_us);
		else if (m->qtype == LDNS_RR_TYPE_TXT && !find_sts(m, id, sizeof(id), &ttl))
			specific = check_sts_gone(c, f, m, j->denial_secure, ad, ts_us);
	}
	/* The more specific kind says it all: no dnssec-stripped on top. */
	if (specific)
		return;
	if (ad != NULL && !j->stripped_raised && !j->denial_stripped)
		raise_ad_stripped(c, f, m, ad, ts_us);
	else
		dnssec_judge_stripped(c, f, m, j, ts_us);
}

void dns_correlate_response(struct correlate *c, const struct corr_ends *f,
			    const struct dns_message *m, bool matched, bool query_do,
			    uint64_t ts_us, struct dns_verdict *v, struct alert_list *out)
{
	struct dnssec_judgement j;
	const struct dnssec_counters *dc;
	uint64_t keys_before;
	struct retry_upgrade *up = NULL;
	size_t nup = 0;
	struct corr_vlocked *vl;
	struct corr_locked *l;

	(void)matched;
	memset(v, 0, sizeof(*v));
	if (!m->has_question || m->opcode != LDNS_PACKET_QUERY) {
		v->status = "unsigned";
		v->trust = EXPECT_UNVALIDATED;
		return;
	}
	/* The signature checks, under the validator's lock only. */
	vl = correlate_validator_enter(c);
	dc = dnssec_counters(corr_v_dnssec(vl));
	keys_before = dc->keys_validated + dc->ds_validated + dc->keys_vouched;
	dnssec_judge_response(vl, f, m, query_do, ts_us, &j);
	if (worth_keeping(m, &j))
		retry_keep(corr_v_retry(vl), m, ts_us);
	if (dc->keys_validated + dc->ds_validated + dc->keys_vouched != keys_before)
		nup = retry_all(vl, corr_v_retry(vl), ts_us, &up);
	correlate_validator_leave(c);
	v->status = j.status;
	mx_strlcpy(v->reason, j.reason, sizeof(v->reason));
	v->trust = j.trust;

	l = correlate_enter(c, out);
	response(l, f, m, query_do, ts_us, &j, up, nup);
	correlate_leave(c);
	for (size_t i = 0; i < nup; i++)
		ldns_pkt_free(up[i].m.pkt);
	free(up);
}
