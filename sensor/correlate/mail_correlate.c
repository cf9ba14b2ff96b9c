/*
 * mail_correlate.c - SMTP sessions judged against expectations; see
 * mail_correlate.h. An expectation for a server address comes from the
 * MX host names it is known by (A/AAAA answers, policy addresses, the SNI
 * a client sent) and the mail domains those hosts serve (MX answers,
 * policies); the strongest source wins: DANE TLSA records, a policy file,
 * an MTA-STS policy, then the server's own STARTTLS history.
 */
#include "correlate/mail_correlate.h"
#include "correlate/correlate_locked.h"
#include "correlate/pkix.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "correlate/policy.h"
#include "util/name.h"

#define MAX_TLSA_SEEN 8

static void add_unique(char list[][EXPECT_NAME_MAX], size_t *n, size_t max, const char *name)
{
	char norm[EXPECT_NAME_MAX];

	if (!expect_norm_name(name, norm) || norm[0] == '\0')
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], norm) == 0)
			return;
	if (*n < max)
		snprintf(list[(*n)++], EXPECT_NAME_MAX, "%s", norm);
}

static void targets(struct corr_locked *c, struct mail_facts *mf, uint64_t ts_us)
{
	struct expect_store *st = corr_expect(c);
	char hosts[MAIL_MAX_TARGETS][EXPECT_NAME_MAX];
	char doms[MAIL_MAX_TARGETS][EXPECT_NAME_MAX];
	struct policy_addr_ref refs[MAIL_MAX_TARGETS];
	size_t n, nrefs;

	if (mf->targets_known)
		return;
	mf->targets_known = true;
	n = expect_hosts_of_addr(st, &mf->ends.srv, ts_us, hosts, MAIL_MAX_TARGETS);
	for (size_t i = 0; i < n; i++) {
		size_t nd = expect_domains_of_host(st, hosts[i], ts_us, doms, MAIL_MAX_TARGETS);

		add_unique(mf->hosts, &mf->nhosts, MAIL_MAX_TARGETS, hosts[i]);
		for (size_t j = 0; j < nd; j++)
			add_unique(mf->domains, &mf->ndomains, MAIL_MAX_TARGETS, doms[j]);
	}
	nrefs = policy_refs_for_addr(corr_policies(c), &mf->ends.srv, refs, MAIL_MAX_TARGETS);
	for (size_t i = 0; i < MX_MIN(nrefs, (size_t)MAIL_MAX_TARGETS); i++) {
		add_unique(mf->hosts, &mf->nhosts, MAIL_MAX_TARGETS, refs[i].mx_host);
		add_unique(mf->domains, &mf->ndomains, MAIL_MAX_TARGETS, refs[i].policy->domain);
	}
}

/* Usable DANE records for SMTP (RFC 7672 3.1.3): DANE-TA(2) and DANE-EE(3). */
static bool tlsa_usable(const struct tlsa_record *r)
{
	return (r->usage == 2 || r->usage == 3) && r->selector <= 1 && r->mtype <= 2;
}

/* The TLSA expectation of one host: DNS (live, validated) or a policy pin. */
struct tlsa_expect {
	struct tlsa_record rec[MAX_TLSA_SEEN];
	size_t n;
	enum expect_trust trust;
	struct mx_addr resolver; /* trust EXPECT_RESOLVER_AD: who vouched */
	const char *source;
	const char *policy_id;
	const char *learned_from; /* NULL unless another sensor shared the TLSA */
	char host[EXPECT_NAME_MAX];
};

static bool host_tlsa(struct corr_locked *c, const char *host, uint64_t ts, struct tlsa_expect *te)
{
	const struct expect_tlsa *t;
	const struct policy_tlsa *pins[MAX_TLSA_SEEN];
	size_t np;
	bool live;

	memset(te, 0, sizeof(*te));
	snprintf(te->host, sizeof(te->host), "%s", host);
	np = policy_tlsa_for_host(corr_policies(c), host, 25, pins, MAX_TLSA_SEEN);
	for (size_t i = 0; i < MX_MIN(np, (size_t)MAX_TLSA_SEEN); i++) {
		struct tlsa_record *r = &te->rec[te->n];

		/* A full-data pin (matching type 0) longer than the slot is matched
		   by full_match while the DER is at hand; only its first bytes are
		   kept here, for the alert's evidence. */
		if (pins[i]->len > EXPECT_TLSA_DATA_MAX && pins[i]->mtype != 0)
			continue;
		r->usage = pins[i]->usage;
		r->selector = pins[i]->selector;
		r->mtype = pins[i]->mtype;
		r->len = (uint8_t)MX_MIN(pins[i]->len, (size_t)EXPECT_TLSA_DATA_MAX);
		memcpy(r->data, pins[i]->data, r->len);
		te->n++;
		te->policy_id = pins[i]->policy->id;
	}
	if (te->n > 0) {
		te->trust = EXPECT_CONFIGURED;
		te->source = "policy";
		return true;
	}
	t = expect_get_tlsa(corr_expect(c), host, 25, ts, &live);
	if (t == NULL || !live || !expect_trust_validated(t->trust))
		return false;
	for (size_t i = 0; i < t->n && te->n < MAX_TLSA_SEEN; i++)
		if (tlsa_usable(&t->rec[i]))
			te->rec[te->n++] = t->rec[i];
	te->trust = t->trust;
	te->resolver = t->resolver;
	te->source = "dane";
	te->learned_from = t->learned_from[0] ? t->learned_from : NULL;
	return te->n > 0;
}

/* The first host of the session (SNI first, then the known names) with TLSA. */
static bool session_tlsa(struct corr_locked *c, struct mail_facts *mf, uint64_t ts,
			 struct tlsa_expect *te)
{
	if (mf->tls.sni[0] && host_tlsa(c, mf->tls.sni, ts, te))
		return true;
	targets(c, mf, ts);
	for (size_t i = 0; i < mf->nhosts; i++)
		if (host_tlsa(c, mf->hosts[i], ts, te))
			return true;
	return false;
}

/* Fills exp from te; the caller keeps te alive while exp is used. */
static void exp_from_tlsa(const struct tlsa_expect *te, struct alert_expectation *exp,
			  const char *detail)
{
	memset(exp, 0, sizeof(*exp));
	exp->source = te->source;
	exp->trust = te->trust;
	exp->mx_host = te->host;
	exp->policy_id = te->policy_id;
	exp->learned_from = te->learned_from;
	exp->tlsa = te->rec;
	exp->ntlsa = te->n;
	exp->detail = detail;
	exp->resolver = te->trust == EXPECT_RESOLVER_AD ? &te->resolver : NULL;
}

/* A policy among the session's domains that requires TLS; why says how. */
static const struct policy *session_policy(struct corr_locked *c, struct mail_facts *mf,
					   const char *extra_domain, const char **why,
					   const char **source)
{
	const char *doms[MAIL_MAX_TARGETS + 1];
	size_t n = 0;

	if (extra_domain != NULL)
		doms[n++] = extra_domain;
	for (size_t i = 0; i < mf->ndomains; i++)
		doms[n++] = mf->domains[i];
	for (size_t i = 0; i < n; i++) {
		const struct policy *p = corr_policy(c, doms[i]);

		if (p == NULL)
			continue;
		if (p->dane == POLICY_DANE_REQUIRED) {
			*why = "policy requires DANE";
			*source = "policy";
			return p;
		}
		if (p->require_tls) {
			*why = "policy requires TLS";
			*source = "policy";
			return p;
		}
		if (p->has_sts && p->sts.mode == MTASTS_MODE_ENFORCE) {
			*why = "MTA-STS policy in enforce mode";
			*source = "mta-sts";
			return p;
		}
	}
	return NULL;
}

/* DANE for a recipient domain: its validated MX hosts publish TLSA. */
static bool domain_dane(struct corr_locked *c, const char *domain, uint64_t ts,
			struct tlsa_expect *te)
{
	const struct expect_mxset *mx = expect_get_mx(corr_expect(c), domain, ts);

	if (mx == NULL || !expect_trust_validated(mx->trust))
		return false;
	for (size_t i = 0; i < mx->n; i++)
		if (host_tlsa(c, mx->mx[i].host, ts, te))
			return true;
	return false;
}

static void ehlo_evidence(struct evidence *e, const void *arg)
{
	const struct mail_facts *mf = arg;
	const char *p = mf->ehlo_lines, *end = mf->ehlo_lines + mf->ehlo_lines_len;

	evidence_str(e, "observed", "EHLO reply without STARTTLS");
	evidence_list_begin(e, "ehlo_reply");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		evidence_list_bytes(e, (const uint8_t *)p, l);
		p += l + 1;
	}
	evidence_list_end(e);
}

static struct alert_keys session_keys(const struct mail_facts *mf, int dir)
{
	struct alert_keys k = {dir == MX_TOSERVER ? &mf->ends.cli : &mf->ends.srv,
			       dir == MX_TOSERVER ? &mf->ends.srv : &mf->ends.cli,
			       mf->ndomains ? mf->domains[0] : NULL,
			       mf->nhosts ? mf->hosts[0] : NULL};

	return k;
}

static void raise(struct corr_locked *c, struct mail_facts *mf, enum mx_kind k, int dir,
		  uint64_t ts, const struct alert_expectation *exp, alert_evidence_fn fn,
		  const void *arg)
{
	struct alert_keys keys = session_keys(mf, dir);

	if (mf->alerted[k])
		return;
	mf->alerted[k] = true;
	if (exp != NULL && exp->domain != NULL)
		keys.domain = exp->domain;
	if (exp != NULL && exp->mx_host != NULL)
		keys.mx_host = exp->mx_host;
	corr_decide(c, k, ts, dir, "smtp", &keys, exp, fn, arg);
}

struct redirect_evidence {
	const struct mail_facts *mf;
	const char *domain;
	const struct expect_mxset *mx;
	const struct mtasts_policy *sts; /* the policy whose mx patterns the server breaks */
};
static void redirect_evidence(struct evidence *e, const void *arg);
static int host_has_server(struct corr_locked *c, const char *host, const struct mx_addr *srv,
			   uint64_t ts);

/*
 * mx-redirect on the session itself (its own 5-tuple): the verdict of
 * what it breaks, DANE's validated MX set or the MTA-STS policy, is fail.
 */
static void raise_redirect(struct corr_locked *c, struct mail_facts *mf, uint64_t ts,
			   const struct alert_expectation *exp, const struct redirect_evidence *re)
{
	if (strcmp(exp->source, "mta-sts") == 0)
		mf->redirect_sts = true;
	else if (strcmp(exp->source, "dane") == 0)
		mf->redirect_dane = true;
	raise(c, mf, KIND_MX_REDIRECT, MX_TOSERVER, ts, exp, redirect_evidence, re);
}

/* Room for an expectation the session is judged against. */
struct session_expect {
	struct tlsa_expect te;
	char detail[96];
};

/*
 * The expectation that TLS is mandatory toward the session's server:
 * DANE TLSA, then a policy (require-tls, dane required, MTA-STS enforce),
 * then (when with_history) the server's own STARTTLS history. Fills exp,
 * whose pointers refer to se and to the stores.
 */
static bool tls_expected(struct corr_locked *c, struct mail_facts *mf, uint64_t ts,
			 bool with_history, struct session_expect *se,
			 struct alert_expectation *exp)
{
	const struct policy *p;
	const char *why = NULL, *source = NULL;
	const struct server_history *h;

	targets(c, mf, ts);
	if (session_tlsa(c, mf, ts, &se->te)) {
		exp_from_tlsa(&se->te, exp,
			      "MX host publishes TLSA records: STARTTLS is mandatory");
		return true;
	}
	memset(exp, 0, sizeof(*exp));
	p = session_policy(c, mf, NULL, &why, &source);
	if (p != NULL) {
		exp->source = source;
		exp->trust = EXPECT_CONFIGURED;
		exp->domain = p->domain;
		exp->policy_id = p->id;
		exp->detail = why;
		return true;
	}
	if (!with_history)
		return false;
	h = expect_history(corr_expect(c), &mf->ends.srv, ts, false);
	if (h == NULL || h->starttls_streak < corr_config(c)->starttls_history.min_sightings ||
	    ts > h->starttls_last_us + corr_config(c)->starttls_history.max_age_s * MX_USEC)
		return false;
	snprintf(se->detail, sizeof(se->detail), "STARTTLS offered in the last %u sessions",
		 h->starttls_streak);
	exp->source = "history";
	exp->trust = EXPECT_HISTORY;
	exp->mx_host = mf->nhosts ? mf->hosts[0] : NULL;
	exp->detail = se->detail;
	return true;
}

/*
 * The server is known only by names that an MX answer claimed for a
 * domain whose validated MX set does not hold them: mail for that domain
 * went to the wrong place (seen even when the recipients hide in TLS).
 */
static void check_server_claims(struct corr_locked *c, struct mail_facts *mf, uint64_t ts)
{
	struct expect_store *st = corr_expect(c);
	char doms[MAIL_MAX_TARGETS][EXPECT_NAME_MAX];

	if (mf->ends.sport != 25 || mf->alerted[KIND_MX_REDIRECT] || mf->smtp.midstream)
		return;
	targets(c, mf, ts);
	for (size_t i = 0; i < mf->nhosts; i++) {
		size_t nd = expect_claims_of_host(st, mf->hosts[i], doms, MAIL_MAX_TARGETS);

		for (size_t j = 0; j < nd; j++) {
			const struct expect_mxset *mx = expect_get_mx(st, doms[j], ts);
			const struct policy *p = corr_policy(c, doms[j]);
			struct alert_expectation exp;
			struct redirect_evidence re = {mf, doms[j], mx, NULL};
			bool listed = false, reachable = false;

			if (p != NULL && p->has_sts && p->sts.mode != MTASTS_MODE_NONE &&
			    !policy_mx_allowed(p, mf->hosts[i])) {
				memset(&exp, 0, sizeof(exp));
				exp.source = "mta-sts";
				exp.trust = EXPECT_CONFIGURED;
				exp.domain = doms[j];
				exp.mx_host = mf->hosts[i];
				exp.policy_id = p->id;
				exp.detail =
				    "server known only by an MX name the MTA-STS policy does "
				    "not allow";
				re.mx = NULL;
				re.sts = &p->sts;
				raise_redirect(c, mf, ts, &exp, &re);
				return;
			}
			if (mx == NULL || !expect_trust_validated(mx->trust))
				continue;
			for (size_t k = 0; k < mx->n; k++) {
				listed |= strcmp(mx->mx[k].host, mf->hosts[i]) == 0;
				reachable |=
				    host_has_server(c, mx->mx[k].host, &mf->ends.srv, ts) == 1;
			}
			if (listed || reachable)
				continue;
			memset(&exp, 0, sizeof(exp));
			exp.source = mx->trust == EXPECT_CONFIGURED ? "policy" : "dane";
			exp.trust = mx->trust;
			exp.learned_from = mx->learned_from[0] ? mx->learned_from : NULL;
			exp.resolver = mx->trust == EXPECT_RESOLVER_AD ? &mx->resolver : NULL;
			exp.domain = doms[j];
			exp.mx_host = mf->hosts[i];
			exp.detail =
			    "server known only by an MX name the validated MX set does not hold";
			raise_redirect(c, mf, ts, &exp, &re);
			return;
		}
	}
}

/*
 * The server's STARTTLS history, counted when its EHLO reply is seen (not
 * when the session ends: sessions to a busy MX overlap, and a strip in one
 * must be judged against the offers of the others already seen). A
 * session that was attacked teaches nothing.
 */
static void count_ehlo(struct corr_locked *c, struct mail_facts *mf, uint64_t ts)
{
	struct server_history *h;

	if (mf->ehlo_counted || mf->smtp.midstream || mf->implicit_tls ||
	    mf->alerted[KIND_STARTTLS_STRIPPED] || mf->alerted[KIND_STARTTLS_MASKED])
		return;
	mf->ehlo_counted = true;
	h = expect_history(corr_expect(c), &mf->ends.srv, ts, true);
	if (h == NULL)
		return;
	h->last_seen_us = ts;
	h->sessions++;
	if (mf->smtp.starttls_offered) {
		h->starttls_offers++;
		h->starttls_streak++;
		h->starttls_last_us = ts;
	} else {
		h->starttls_streak = 0;
	}
}

static void judge_ehlo(struct corr_locked *c, struct mail_facts *mf, uint64_t ts_us)
{
	check_server_claims(c, mf, ts_us);
	struct session_expect se;
	struct alert_expectation exp;

	if (!mf->smtp.starttls_offered && !mf->smtp.midstream && !mf->implicit_tls &&
	    tls_expected(c, mf, ts_us, true, &se, &exp))
		raise(c, mf, KIND_STARTTLS_STRIPPED, MX_TOCLIENT, ts_us, &exp, ehlo_evidence, mf);
	count_ehlo(c, mf, ts_us);
}

static void judge_rejected(struct corr_locked *c, struct mail_facts *mf, uint64_t ts_us,
			   alert_evidence_fn evidence, const void *arg)
{
	struct session_expect se;
	struct alert_expectation exp;
	bool have = tls_expected(c, mf, ts_us, true, &se, &exp);

	raise(c, mf, KIND_STARTTLS_REJECTED, MX_TOCLIENT, ts_us, have ? &exp : NULL, evidence, arg);
}

struct cleartext_evidence {
	const struct mail_facts *mf;
	const char *rcpt_domain;
};

static void cleartext_evidence(struct evidence *e, const void *arg)
{
	const struct cleartext_evidence *ce = arg;

	evidence_str(e, "observed", "mail transaction in cleartext");
	if (ce->rcpt_domain != NULL)
		evidence_str(e, "rcpt_domain", ce->rcpt_domain);
	evidence_bool(e, "starttls_offered", ce->mf->smtp.starttls_offered);
	evidence_bool(e, "starttls_issued", ce->mf->smtp.starttls_issued);
}

static void judge_cleartext_mail(struct corr_locked *c, struct mail_facts *mf,
				 const char *rcpt_domain, uint64_t ts_us)
{
	struct tlsa_expect te;
	struct alert_expectation exp;
	const struct policy *p;
	const char *why = NULL, *source = NULL;
	struct cleartext_evidence ce = {mf, rcpt_domain};

	if (mf->alerted[KIND_CLEARTEXT_POLICY_VIOLATION] || mf->smtp.midstream)
		return;
	targets(c, mf, ts_us);
	if (session_tlsa(c, mf, ts_us, &te) ||
	    (rcpt_domain != NULL && domain_dane(c, rcpt_domain, ts_us, &te))) {
		exp_from_tlsa(&te, &exp, "DANE: TLS is mandatory toward this MX host");
		exp.domain = rcpt_domain;
		raise(c, mf, KIND_CLEARTEXT_POLICY_VIOLATION, MX_TOSERVER, ts_us, &exp,
		      cleartext_evidence, &ce);
		return;
	}
	p = session_policy(c, mf, rcpt_domain, &why, &source);
	if (p != NULL) {
		memset(&exp, 0, sizeof(exp));
		exp.source = source;
		exp.trust = EXPECT_CONFIGURED;
		exp.domain = p->domain;
		exp.policy_id = p->id;
		exp.detail = why;
		raise(c, mf, KIND_CLEARTEXT_POLICY_VIOLATION, MX_TOSERVER, ts_us, &exp,
		      cleartext_evidence, &ce);
	}
}

static void redirect_evidence(struct evidence *e, const void *arg)
{
	const struct redirect_evidence *re = arg;

	evidence_str(e, "mail_domain", re->domain);
	evidence_addr(e, "server", &re->mf->ends.srv);
	if (re->mf->nhosts > 0) {
		evidence_list_begin(e, "server_known_as");
		for (size_t i = 0; i < re->mf->nhosts; i++)
			evidence_list_str(e, re->mf->hosts[i]);
		evidence_list_end(e);
	}
	if (re->mx != NULL && re->mx->n > 0) {
		evidence_list_begin(e, "expected_mx");
		for (size_t i = 0; i < re->mx->n; i++)
			evidence_list_str(e, re->mx->mx[i].host);
		evidence_list_end(e);
	}
	if (re->sts != NULL && re->sts->n_mx > 0) {
		char pat[MX_HOST_MAX + 3];

		evidence_list_begin(e, "policy_mx");
		for (size_t i = 0; i < re->sts->n_mx; i++) {
			const struct mx_pattern *m = &re->sts->mx[i];

			snprintf(pat, sizeof(pat), "%s%s",
				 m->kind == MX_PATTERN_WILDCARD ? "*."
				 : m->kind == MX_PATTERN_SUFFIX ? "."
								: "",
				 m->name);
			evidence_list_str(e, pat);
		}
		evidence_list_end(e);
	}
}

/*
 * Whether the server address is one of host's addresses: 1 yes, 0 no,
 * -1 unknown (no address set known for host).
 */
static int host_has_server(struct corr_locked *c, const char *host, const struct mx_addr *srv,
			   uint64_t ts)
{
	const struct expect_addrs *a = expect_get_addrs(corr_expect(c), host, ts);
	const struct policy_host *ph[4];
	size_t np = policy_hosts_for_name(corr_policies(c), host, ph, 4);
	bool known = false;

	if (a != NULL) {
		known = true;
		for (size_t i = 0; i < a->n; i++)
			if (mx_addr_cmp(&a->addr[i], srv) == 0)
				return 1;
	}
	for (size_t i = 0; i < MX_MIN(np, (size_t)4); i++) {
		known = true;
		for (size_t j = 0; j < ph[i]->n_addrs; j++)
			if (mx_addr_cmp(&ph[i]->addrs[j], srv) == 0)
				return 1;
	}
	return known ? 0 : -1;
}

static void judge_rcpt(struct corr_locked *c, struct mail_facts *mf, const char *rcpt_domain,
		       uint64_t ts_us)
{
	const struct expect_mxset *mx;
	const struct policy *p;
	struct alert_expectation exp;
	struct redirect_evidence re = {mf, rcpt_domain, NULL, NULL};
	bool all_known = true, any = false;

	if (mf->alerted[KIND_MX_REDIRECT] || mf->smtp.midstream || mf->ends.sport != 25)
		return;
	targets(c, mf, ts_us);
	memset(&exp, 0, sizeof(exp));
	exp.domain = rcpt_domain;
	mx = expect_get_mx(corr_expect(c), rcpt_domain, ts_us);
	if (mx != NULL && expect_trust_validated(mx->trust) && mx->n > 0) {
		for (size_t i = 0; i < mx->n; i++) {
			int r = host_has_server(c, mx->mx[i].host, &mf->ends.srv, ts_us);

			if (r == 1)
				return;
			any |= r == 0;
			all_known &= r == 0;
		}
		if (any && all_known) {
			re.mx = mx;
			exp.source = mx->trust == EXPECT_CONFIGURED ? "policy" : "dane";
			exp.trust = mx->trust;
			exp.learned_from = mx->learned_from[0] ? mx->learned_from : NULL;
			exp.resolver = mx->trust == EXPECT_RESOLVER_AD ? &mx->resolver : NULL;
			exp.detail =
			    "server address belongs to none of the domain's validated MX hosts";
			raise_redirect(c, mf, ts_us, &exp, &re);
			return;
		}
	}
	p = corr_policy(c, rcpt_domain);
	if (p == NULL || !p->has_sts || p->sts.mode == MTASTS_MODE_NONE)
		return;
	/* Names the server is known by: is one of them allowed by the policy? */
	if (mf->nhosts > 0) {
		for (size_t i = 0; i < mf->nhosts; i++)
			if (policy_mx_allowed(p, mf->hosts[i]))
				return;
		exp.source = "mta-sts";
		exp.trust = EXPECT_CONFIGURED;
		exp.policy_id = p->id;
		exp.detail = "server is known only by names the MTA-STS policy does not allow";
		re.sts = &p->sts;
		raise_redirect(c, mf, ts_us, &exp, &re);
	}
}

/* Does one TLSA record match the chain? */
static bool tlsa_matches(const struct tlsa_record *r, const struct mail_facts *mf)
{
	unsigned last = r->usage == 3 ? 1 : mf->ncerts;

	for (unsigned i = 0; i < last && i < mf->ncerts; i++) {
		const struct cert_digest *d = &mf->certs[i];
		const uint8_t *h = NULL;
		size_t hl = 0;

		if (r->mtype == 0) {
			if (r->selector == 0 ? d->full_match_cert : d->full_match_spki)
				return true;
			continue;
		}
		if (r->selector == 1 && !d->spki_ok)
			continue;
		if (r->mtype == 1) {
			h = r->selector == 0 ? d->cert_sha256 : d->spki_sha256;
			hl = 32;
		} else if (r->mtype == 2) {
			h = r->selector == 0 ? d->cert_sha512 : d->spki_sha512;
			hl = 64;
		}
		if (h != NULL && r->len == hl && memcmp(h, r->data, hl) == 0)
			return true;
	}
	return false;
}

/* The DER SubjectPublicKeyInfo of a certificate (OPENSSL_free it); NULL if none. */
static uint8_t *spki_of(const uint8_t *der, size_t len, size_t *spki_len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	unsigned char *out = NULL;
	int n = -1;

	if (x != NULL) {
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &out);
		X509_free(x);
	}
	if (n <= 0) {
		OPENSSL_free(out);
		return NULL;
	}
	*spki_len = (size_t)n;
	return out;
}

static void full_match(struct corr_locked *c, struct mail_facts *mf, struct cert_digest *d,
		       const uint8_t *der, size_t der_len, uint64_t ts_us)
{
	const struct policy_tlsa *pins[MAX_TLSA_SEEN];
	const char *hosts[MAIL_MAX_TARGETS + 1];
	uint8_t *spki = NULL;
	size_t nh = 0, spki_len = 0;
	bool spki_tried = false;

	targets(c, mf, ts_us);
	if (mf->tls.sni[0])
		hosts[nh++] = mf->tls.sni;
	for (size_t i = 0; i < mf->nhosts; i++)
		hosts[nh++] = mf->hosts[i];
	/* Full-data records longer than EXPECT_TLSA_DATA_MAX live only in policies. */
	for (size_t h = 0; h < nh; h++) {
		size_t np =
		    policy_tlsa_for_host(corr_policies(c), hosts[h], 25, pins, MAX_TLSA_SEEN);

		for (size_t i = 0; i < MX_MIN(np, (size_t)MAX_TLSA_SEEN); i++) {
			if (pins[i]->mtype != 0)
				continue;
			if (pins[i]->selector == 0 && pins[i]->len == der_len &&
			    memcmp(pins[i]->data, der, der_len) == 0)
				d->full_match_cert = true;
			if (pins[i]->selector != 1)
				continue;
			if (!spki_tried) {
				spki_tried = true;
				spki = spki_of(der, der_len, &spki_len);
			}
			if (spki != NULL && pins[i]->len == spki_len &&
			    memcmp(pins[i]->data, spki, spki_len) == 0)
				d->full_match_spki = true;
		}
	}
	OPENSSL_free(spki);
}

static void cert_evidence(struct evidence *e, const void *arg)
{
	const struct mail_facts *mf = arg;
	char h[65];

	evidence_list_begin(e, "chain_sha256");
	for (unsigned i = 0; i < mf->ncerts; i++) {
		mx_hex(mf->certs[i].cert_sha256, 32, h, sizeof(h), 0);
		evidence_list_str(e, h);
	}
	evidence_list_end(e);
	if (mf->ncerts > 0 && mf->certs[0].spki_ok) {
		mx_hex(mf->certs[0].spki_sha256, 32, h, sizeof(h), 0);
		evidence_str(e, "spki_sha256", h);
	}
	if (mf->cn[0])
		evidence_str(e, "subject_cn", mf->cn);
	if (mf->nsan > 0) {
		evidence_list_begin(e, "subjectaltname");
		for (unsigned i = 0; i < mf->nsan; i++)
			evidence_list_str(e, mf->san[i]);
		evidence_list_end(e);
	}
	if (mf->tls.sni[0])
		evidence_str(e, "sni", mf->tls.sni);
}

static bool cert_names_host(const struct mail_facts *mf, const char *host)
{
	if (mf->leaf_der != NULL) {
		const unsigned char *p = mf->leaf_der;
		X509 *x = d2i_X509(NULL, &p, (long)mf->leaf_der_len);

		if (x != NULL) {
			int r = X509_check_host(x, host, strlen(host),
						X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);

			X509_free(x);
			return r == 1;
		}
	}
	for (unsigned i = 0; i < mf->nsan; i++)
		if (mx_host_wildcard_match(mf->san[i], host))
			return true;
	return mf->nsan == 0 && mf->cn[0] && mx_host_wildcard_match(mf->cn, host);
}

struct pkix_evidence {
	const struct mail_facts *mf;
	const struct pkix_failure *why;
};

static void pkix_evidence(struct evidence *e, const void *arg)
{
	const struct pkix_evidence *pe = arg;

	evidence_str(e, "verify_error", pe->why->text);
	evidence_i64(e, "verify_error_code", pe->why->error);
	evidence_i64(e, "depth", pe->why->depth);
	if (pe->why->subject[0])
		evidence_str(e, "certificate_subject", pe->why->subject);
	if (pe->why->not_before[0])
		evidence_str(e, "not_before", pe->why->not_before);
	if (pe->why->not_after[0])
		evidence_str(e, "not_after", pe->why->not_after);
	evidence_u64(e, "chain_length", pe->mf->ncerts);
	if (pe->mf->cn[0])
		evidence_str(e, "subject_cn", pe->mf->cn);
}

/*
 * MTA-STS PKIX (RFC 8461 4.2): under an enforce policy, the chain must
 * lead to a trusted root and be valid at packet time. A host with usable
 * TLSA records is judged by DANE instead (RFC 8461 2), never here.
 */
/* A certificate parsed from DER (X509_free it); NULL if absent or unparsable. */
static X509 *parse_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;

	return der == NULL ? NULL : d2i_X509(NULL, &p, (long)len);
}

/* Under the stage's lock: whether the chain needs PKIX, and for which policy. */
static void pkix_wanted(struct corr_locked *c, const struct mail_facts *mf, bool dane_applies,
			struct mail_pkix_want *w)
{
	const struct policy *p = NULL;

	memset(w, 0, sizeof(*w));
	if (dane_applies || mf->chain_der[0] == NULL)
		return;
	for (size_t i = 0; i < mf->ndomains && p == NULL; i++) {
		p = corr_policy(c, mf->domains[i]);
		if (p != NULL && (!p->has_sts || p->sts.mode != MTASTS_MODE_ENFORCE))
			p = NULL;
	}
	if (p == NULL)
		return;
	w->wanted = true;
	w->store = corr_pkix(c);
	mx_strlcpy(w->domain, p->domain, sizeof(w->domain));
	mx_strlcpy(w->policy_id, p->id, sizeof(w->policy_id));
}

enum pkix_result mail_pkix_check(const struct mail_pkix_want *w, const struct mail_facts *mf,
				 uint64_t ts_us, struct pkix_failure *why)
{
	X509 *leaf, *chain[TLS_CHAIN_MAX];
	size_t n = 0;
	enum pkix_result r;

	if (!w->wanted)
		return PKIX_OK;
	leaf = parse_der(mf->chain_der[0], mf->chain_der_len[0]);
	if (leaf == NULL)
		return PKIX_OK;
	for (unsigned i = 1; i < mf->ncerts && i < TLS_CHAIN_MAX; i++)
		if ((chain[n] = parse_der(mf->chain_der[i], mf->chain_der_len[i])) != NULL)
			n++;
	r = pkix_verify(w->store, leaf, chain, n, ts_us, why);
	X509_free(leaf);
	for (size_t i = 0; i < n; i++)
		X509_free(chain[i]);
	return r;
}

/* Under the stage's lock: certificate-expired or certificate-not-trusted. */
static void pkix_raise(struct corr_locked *c, struct mail_facts *mf, uint64_t ts_us,
		       const struct mail_pkix_want *w, enum pkix_result r,
		       const struct pkix_failure *why)
{
	struct pkix_evidence pe = {mf, why};
	struct alert_expectation exp;

	if (r == PKIX_OK)
		return;
	memset(&exp, 0, sizeof(exp));
	exp.source = "mta-sts";
	exp.trust = EXPECT_CONFIGURED;
	exp.domain = w->domain;
	exp.mx_host = mf->nhosts ? mf->hosts[0] : NULL;
	exp.policy_id = w->policy_id;
	exp.detail = r == PKIX_EXPIRED
			 ? "certificate outside its validity at the time of use (MTA-STS enforce)"
			 : "certificate chain leads to no trusted root (MTA-STS enforce)";
	raise(c, mf, r == PKIX_EXPIRED ? KIND_CERTIFICATE_EXPIRED : KIND_CERTIFICATE_NOT_TRUSTED,
	      MX_TOCLIENT, ts_us, &exp, pkix_evidence, &pe);
}

/* Under the stage's lock; w says whether the chain is to be verified. */
static void judge_certificate(struct corr_locked *c, struct mail_facts *mf, uint64_t ts_us,
			      struct mail_pkix_want *w)
{
	struct tlsa_expect te;
	struct alert_expectation exp;
	bool matched = false, dane_applies = false;

	memset(w, 0, sizeof(*w));
	if (mf->ncerts == 0)
		return;
	if (session_tlsa(c, mf, ts_us, &te)) {
		for (size_t i = 0; i < te.n; i++)
			dane_applies |= tlsa_usable(&te.rec[i]);
		for (size_t i = 0; i < te.n && !matched; i++)
			matched = tlsa_usable(&te.rec[i]) && tlsa_matches(&te.rec[i], mf);
		if (!matched) {
			exp_from_tlsa(&te, &exp, "certificate chain matches no TLSA record");
			raise(c, mf, KIND_TLSA_MISMATCH, MX_TOCLIENT, ts_us, &exp, cert_evidence,
			      mf);
		}
	}
	for (size_t i = 0; i < mf->ndomains; i++) {
		const struct policy *p = corr_policy(c, mf->domains[i]);
		const char *want = NULL;

		if (p == NULL || !p->has_sts || p->sts.mode != MTASTS_MODE_ENFORCE)
			continue;
		if (mf->tls.sni[0] && policy_mx_allowed(p, mf->tls.sni))
			want = mf->tls.sni;
		for (size_t h = 0; want == NULL && h < mf->nhosts; h++)
			if (policy_mx_allowed(p, mf->hosts[h]))
				want = mf->hosts[h];
		if (want == NULL || cert_names_host(mf, want))
			continue;
		memset(&exp, 0, sizeof(exp));
		exp.source = "mta-sts";
		exp.trust = EXPECT_CONFIGURED;
		exp.domain = p->domain;
		exp.mx_host = want;
		exp.policy_id = p->id;
		exp.detail = "certificate does not name the MX host (MTA-STS enforce)";
		raise(c, mf, KIND_CERTIFICATE_HOST_MISMATCH, MX_TOCLIENT, ts_us, &exp,
		      cert_evidence, mf);
		break;
	}
	pkix_wanted(c, mf, dane_applies, w);
}

struct version_evidence {
	uint16_t version, expected, offered;
	uint8_t sentinel; /* the ServerHello's DOWNGRD mark when it is evidence, else 0 */
	const char *why;
};

static void version_evidence(struct evidence *e, const void *arg)
{
	const struct version_evidence *ve = arg;

	evidence_str(e, "negotiated", tls_version_name(ve->version));
	evidence_str(e, "expected_at_least", tls_version_name(ve->expected));
	if (ve->offered != 0)
		evidence_str(e, "client_offered", tls_version_name(ve->offered));
	if (ve->sentinel != 0)
		evidence_str(e, "downgrade_sentinel",
			     ve->sentinel == 1 ? "DOWNGRD 01 (TLS 1.2)"
					       : "DOWNGRD 00 (TLS 1.1 or below)");
	evidence_str(e, "reason", ve->why);
}

/*
 * tls-version-downgrade: below a configured floor; or a real downgrade,
 * where this client offered more than the server answered. What the
 * server negotiated with other clients says only what it can do: it never
 * makes an alert for a client that did not offer that much. The RFC 8446
 * downgrade sentinel in a TLS 1.2 (or lower) ServerHello is the server's
 * own word that it can do TLS 1.3; it is evidence only when this client
 * offered TLS 1.3 (the server then answered another ClientHello).
 */
static void judge_tls_version(struct corr_locked *c, struct mail_facts *mf, uint64_t ts_us)
{
	uint16_t v = mf->tls.version, offered = mf->tls.client_version;
	uint16_t floor = corr_config(c)->tls_version_floor;
	const struct server_history *h;
	struct version_evidence ve = {v, 0, offered, 0, NULL};
	struct alert_expectation exp;

	if (v == 0)
		return;
	memset(&exp, 0, sizeof(exp));
	if (floor != 0 && v < floor) {
		ve.expected = floor;
		ve.why = "below the configured TLS version floor";
		exp.source = "policy";
		exp.trust = EXPECT_CONFIGURED;
		exp.detail = "tls version floor";
		raise(c, mf, KIND_TLS_VERSION_DOWNGRADE, MX_TOCLIENT, ts_us, &exp, version_evidence,
		      &ve);
		return;
	}
	if (offered <= v)
		return; /* the client got what it asked for */
	if (mf->tls.downgrade_sentinel != 0 && offered >= TLS_V_13 && v < TLS_V_13) {
		ve.expected = TLS_V_13;
		ve.sentinel = mf->tls.downgrade_sentinel;
		ve.why = "the client offered TLS 1.3 and the server's hello carries the downgrade "
			 "sentinel: the server answered a ClientHello that offered less";
		raise(c, mf, KIND_TLS_VERSION_DOWNGRADE, MX_TOCLIENT, ts_us, NULL, version_evidence,
		      &ve);
		return;
	}
	h = expect_history(corr_expect(c), &mf->ends.srv, ts_us, false);
	if (h != NULL && h->max_tls_version > v &&
	    h->version_sightings >= corr_config(c)->version_history.min_sightings &&
	    ts_us <= h->version_last_us + corr_config(c)->version_history.max_age_s * MX_USEC) {
		ve.expected = MX_MIN(h->max_tls_version, offered);
		ve.why = "the client offered more and the server, which negotiated it before, "
			 "answered less";
		exp.source = "history";
		exp.trust = EXPECT_HISTORY;
		exp.detail = "highest TLS version seen from this server";
		raise(c, mf, KIND_TLS_VERSION_DOWNGRADE, MX_TOCLIENT, ts_us, &exp, version_evidence,
		      &ve);
	}
}

static bool tls_ok(const struct mail_facts *mf)
{
	return mf->tls.server_hello && mf->tls.version >= 0x0301 && !mf->tls.fatal_alert &&
	       !mf->tls.not_tls[0] && !mf->tls.not_tls[1];
}

static void update_history(struct corr_locked *c, struct mail_facts *mf, uint64_t ts)
{
	struct server_history *h;

	if (mf->history_counted || mf->smtp.midstream)
		return;
	mf->history_counted = true;
	if (mf->alerted[KIND_STARTTLS_STRIPPED] || mf->alerted[KIND_STARTTLS_MASKED] ||
	    mf->alerted[KIND_TLS_VERSION_DOWNGRADE])
		return; /* an attacked session teaches nothing */
	h = expect_history(corr_expect(c), &mf->ends.srv, ts, true);
	if (h == NULL)
		return;
	h->last_seen_us = ts;
	/* STARTTLS offers were counted when the EHLO reply came (count_ehlo). */
	if (mf->tls.handshake_complete && mf->tls.version >= h->max_tls_version) {
		if (mf->tls.version > h->max_tls_version)
			h->version_sightings = 0;
		h->max_tls_version = mf->tls.version;
		h->version_sightings++;
		h->version_last_us = ts;
	}
	if (mf->tls.cert_count > 0 && mf->tls.leaf_spki_ok)
		expect_history_add_spki(h, mf->tls.leaf_spki_sha256, ts);
}

/* Keeps the DANE expectation behind the verdict for the smtp record. */
static void note_dane_policy(struct mail_policy_seen *ps, const struct tlsa_expect *te)
{
	ps->dane = true;
	ps->dane_source = te->source;
	ps->dane_trust = te->trust;
	snprintf(ps->dane_host, sizeof(ps->dane_host), "%s", te->host);
	ps->ntlsa = MX_MIN(te->n, (size_t)MAIL_POLICY_TLSA);
	memcpy(ps->tlsa, te->rec, ps->ntlsa * sizeof(ps->tlsa[0]));
}

/* Keeps the MTA-STS policy behind the verdict for the smtp record. */
static void note_sts_policy(struct mail_policy_seen *ps, const struct policy *p)
{
	ps->sts = true;
	ps->sts_mode = p->sts.mode;
	ps->sts_max_age = p->sts.max_age;
	snprintf(ps->sts_domain, sizeof(ps->sts_domain), "%s", p->domain);
	ps->sts_nmx = 0;
	for (size_t i = 0; i < p->sts.n_mx && ps->sts_nmx < MAIL_POLICY_MX; i++)
		mtasts_pattern_str(&p->sts.mx[i], ps->sts_mx[ps->sts_nmx++], EXPECT_NAME_MAX);
}

static void judge_end(struct corr_locked *c, struct mail_facts *mf, uint64_t ts_us)
{
	struct tlsa_expect te;
	const char *why = NULL, *source = NULL;
	bool dane_expected, sts_expected = false, visible, blind;

	targets(c, mf, ts_us);
	for (unsigned i = 0; i < mf->smtp.nrcpt; i++)
		add_unique(mf->domains, &mf->ndomains, MAIL_MAX_TARGETS, mf->smtp.rcpt_domain[i]);
	dane_expected = session_tlsa(c, mf, ts_us, &te);
	if (dane_expected)
		note_dane_policy(&mf->policy, &te);
	for (size_t i = 0; i < mf->ndomains && !dane_expected; i++) {
		const struct policy *p = corr_policy(c, mf->domains[i]);

		dane_expected = p != NULL && p->dane == POLICY_DANE_REQUIRED;
		if (dane_expected) {
			mf->policy.dane = true;
			mf->policy.dane_source = "policy";
			mf->policy.dane_trust = EXPECT_CONFIGURED;
		}
	}
	for (size_t i = 0; i < mf->ndomains; i++) {
		const struct policy *p = corr_policy(c, mf->domains[i]);

		if (p != NULL && p->has_sts && p->sts.mode != MTASTS_MODE_NONE && !sts_expected)
			note_sts_policy(&mf->policy, p);
		sts_expected |= p != NULL && p->has_sts && p->sts.mode != MTASTS_MODE_NONE;
	}
	(void)why;
	(void)source;
	visible = mf->tls.cert_visibility == TLS_CERT_VISIBLE;
	/* Picked up mid-stream with no cleartext mail seen: the start, where
	   STARTTLS and the handshake were, is missing; say so, never "fail". */
	blind = mf->smtp.midstream && !mf->smtp.cleartext_mail && !mf->tls.server_hello;

	/* A redirect breaks what set the expected MX hosts, whatever the server offers. */
	dane_expected |= mf->redirect_dane;
	sts_expected |= mf->redirect_sts;
	mf->dane = VERDICT_NONE;
	if (mf->redirect_dane) {
		mf->dane = VERDICT_FAIL;
	} else if (dane_expected) {
		if (blind && !mf->alerted[KIND_TLSA_MISMATCH])
			mf->dane = VERDICT_UNVERIFIABLE;
		else if (!tls_ok(mf) || mf->alerted[KIND_TLSA_MISMATCH])
			mf->dane = VERDICT_FAIL;
		else if (!visible)
			mf->dane = VERDICT_UNVERIFIABLE;
		else
			mf->dane = VERDICT_OK;
		if (mf->dane == VERDICT_UNVERIFIABLE && !blind) {
			if (mf->tls.cert_visibility == TLS_CERT_ENCRYPTED)
				corr_blind(c)->dane_tls13++;
			else
				corr_blind(c)->dane_no_cert++;
		}
	}
	if (mf->ends.sport == 25 && !mf->smtp.midstream && mf->nhosts == 0)
		corr_blind(c)->smtp_unknown_mx++;
	mf->sts = VERDICT_NONE;
	if (sts_expected) {
		bool broken = mf->alerted[KIND_CERTIFICATE_HOST_MISMATCH] ||
			      mf->alerted[KIND_MX_REDIRECT] ||
			      mf->alerted[KIND_CERTIFICATE_NOT_TRUSTED] ||
			      mf->alerted[KIND_CERTIFICATE_EXPIRED];

		if (blind && !broken)
			mf->sts = VERDICT_UNVERIFIABLE;
		else if (!tls_ok(mf) || broken)
			mf->sts = VERDICT_FAIL;
		else if (!visible)
			mf->sts = VERDICT_UNVERIFIABLE;
		else
			mf->sts = VERDICT_OK;
	}
	update_history(c, mf, ts_us);
}

struct fallback_evidence {
	const struct tls_failure_facts *prev;
	uint64_t ts;
};

static void fallback_evidence(struct evidence *e, const void *arg)
{
	const struct fallback_evidence *fe = arg;

	evidence_str(e, "tls_failure", fe->prev->why);
	evidence_u64(e, "failed_flow_id", fe->prev->flow_id & 0x7ffffffffffffULL);
	evidence_u64(e, "seconds_after_failure", (fe->ts - fe->prev->ts_us) / MX_USEC);
	evidence_str(e, "cleartext", "MAIL FROM sent without TLS");
}

/* ---- the public entry points: each takes the correlate stage's lock once ---- */

void mail_correlate_targets(struct correlate *c, struct mail_facts *mf, uint64_t ts_us)
{
	struct corr_locked *l = correlate_enter(c, NULL);

	targets(l, mf, ts_us);
	correlate_leave(c);
}

void mail_correlate_ehlo(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
			 struct alert_list *out)
{
	struct corr_locked *l = correlate_enter(c, out);

	judge_ehlo(l, mf, ts_us);
	correlate_leave(c);
}

void mail_correlate_rejected(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
			     alert_evidence_fn evidence, const void *arg, struct alert_list *out)
{
	struct corr_locked *l = correlate_enter(c, out);

	judge_rejected(l, mf, ts_us, evidence, arg);
	correlate_leave(c);
}

void mail_correlate_cleartext_mail(struct correlate *c, struct mail_facts *mf,
				   const char *rcpt_domain, uint64_t ts_us, struct alert_list *out)
{
	struct corr_locked *l = correlate_enter(c, out);

	judge_cleartext_mail(l, mf, rcpt_domain, ts_us);
	correlate_leave(c);
}

void mail_correlate_rcpt(struct correlate *c, struct mail_facts *mf, const char *rcpt_domain,
			 uint64_t ts_us, struct alert_list *out)
{
	struct corr_locked *l = correlate_enter(c, out);

	judge_rcpt(l, mf, rcpt_domain, ts_us);
	correlate_leave(c);
}

void mail_correlate_full_match(struct correlate *c, struct mail_facts *mf, struct cert_digest *d,
			       const uint8_t *der, size_t der_len, uint64_t ts_us)
{
	struct corr_locked *l = correlate_enter(c, NULL);

	full_match(l, mf, d, der, der_len, ts_us);
	correlate_leave(c);
}

void mail_correlate_certificate(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
				struct mail_pkix_want *w, struct alert_list *out)
{
	struct corr_locked *l = correlate_enter(c, out);

	judge_certificate(l, mf, ts_us, w);
	correlate_leave(c);
}

void mail_correlate_pkix(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
			 const struct mail_pkix_want *w, enum pkix_result r,
			 const struct pkix_failure *why, struct alert_list *out)
{
	struct corr_locked *l;

	if (!w->wanted || r == PKIX_OK)
		return;
	l = correlate_enter(c, out);
	pkix_raise(l, mf, ts_us, w, r, why);
	correlate_leave(c);
}

void mail_correlate_tls_version(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
				struct alert_list *out)
{
	struct corr_locked *l = correlate_enter(c, out);

	judge_tls_version(l, mf, ts_us);
	correlate_leave(c);
}

void mail_correlate_end(struct correlate *c, struct mail_facts *mf, uint64_t ts_us)
{
	struct corr_locked *l = correlate_enter(c, NULL);

	judge_end(l, mf, ts_us);
	correlate_leave(c);
}

bool mail_correlate_fallback(struct correlate *c, struct mail_facts *mf,
			     const struct tls_failure_facts *prev, uint64_t ts_us,
			     struct alert_list *out)
{
	const struct corr_ends *f = &mf->ends;
	struct fallback_evidence fe = {prev, ts_us};
	struct alert_keys keys = {&f->cli, &f->srv, NULL, NULL};
	struct corr_locked *l;

	if (!prev->used || prev->flow_id == f->flow_id || mx_addr_cmp(&prev->cli, &f->cli) != 0 ||
	    mx_addr_cmp(&prev->srv, &f->srv) != 0)
		return false;
	if (ts_us < prev->ts_us ||
	    ts_us - prev->ts_us > (uint64_t)correlate_config(c)->fallback_window_s * MX_USEC)
		return false;
	l = correlate_enter(c, out);
	corr_decide(l, KIND_TLS_FALLBACK_CLEARTEXT, ts_us, MX_TOSERVER, "smtp", &keys, NULL,
		    fallback_evidence, &fe);
	mf->alerted[KIND_TLS_FALLBACK_CLEARTEXT] = true;
	correlate_leave(c);
	return true;
}

void mail_correlate_seen(struct correlate *c, struct mail_facts *mf, enum mx_kind k, int dir,
			 uint64_t ts_us, alert_evidence_fn evidence, const void *arg,
			 struct alert_list *out)
{
	struct corr_locked *l = correlate_enter(c, out);

	if (!mf->alerted[k]) {
		/* The MX host and domain of the server, for suppressions and
		   thresholds by domain or MX host. */
		targets(l, mf, ts_us);
		raise(l, mf, k, dir, ts_us, NULL, evidence, arg);
	}
	correlate_leave(c);
}
