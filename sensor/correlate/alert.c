/*
 * alert.c - deciding alerts (alert.h): rule, filter, incident, then the
 * request, with the evidence and expectation objects built as typed
 * fields (evidence.h) into the request list's text (app/alert_out.c
 * renders them into the record).
 */
#include "correlate/alert.h"
#include "correlate/incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct alert_ctx {
	struct alert_rule rules[KIND_COUNT];
	alert_filter_fn filter;
	void *filter_ctx;
	struct incident_table *incidents;
	struct alert_counters ctr;
};

#define KIND_COUNTER(k, n) MX_COUNTER("detect.kind." n, struct alert_counters, by_kind[k])

const struct mx_counter_desc alert_counter_desc[] = {
    MX_COUNTER("detect.alert", struct alert_counters, written),
    MX_COUNTER("detect.alerts_raised", struct alert_counters, raised),
    MX_COUNTER("detect.alerts_disabled", struct alert_counters, disabled),
    MX_COUNTER("detect.alerts_suppressed", struct alert_counters, suppressed),
    MX_COUNTER("detect.alerts_rate_limited", struct alert_counters, rate_limited),
    MX_COUNTER("detect.incidents", struct alert_counters, incidents),
    MX_COUNTER("detect.incident_merged", struct alert_counters, incident_merged),
    MX_COUNTER("detect.incident_joined", struct alert_counters, incident_joined),
    MX_COUNTER("detect.alert_requests_dropped", struct alert_counters, requests_dropped),
    KIND_COUNTER(KIND_STARTTLS_STRIPPED, "starttls_stripped"),
    KIND_COUNTER(KIND_STARTTLS_MASKED, "starttls_masked"),
    KIND_COUNTER(KIND_STARTTLS_REJECTED, "starttls_rejected"),
    KIND_COUNTER(KIND_TLS_FALLBACK_CLEARTEXT, "tls_fallback_cleartext"),
    KIND_COUNTER(KIND_CLEARTEXT_POLICY_VIOLATION, "cleartext_policy_violation"),
    KIND_COUNTER(KIND_MX_REDIRECT, "mx_redirect"),
    KIND_COUNTER(KIND_TLSA_MISMATCH, "tlsa_mismatch"),
    KIND_COUNTER(KIND_DNSSEC_BOGUS, "dnssec_bogus"),
    KIND_COUNTER(KIND_DNSSEC_STRIPPED, "dnssec_stripped"),
    KIND_COUNTER(KIND_TLSA_STRIPPED, "tlsa_stripped"),
    KIND_COUNTER(KIND_MTA_STS_STRIPPED, "mta_sts_stripped"),
    KIND_COUNTER(KIND_STARTTLS_COMMAND_INJECTION, "starttls_command_injection"),
    KIND_COUNTER(KIND_STARTTLS_RESPONSE_INJECTION, "starttls_response_injection"),
    KIND_COUNTER(KIND_EHLO_DOWNGRADE, "ehlo_downgrade"),
    KIND_COUNTER(KIND_DNS_ANSWER_RACE, "dns_answer_race"),
    KIND_COUNTER(KIND_REQUIRETLS_VIOLATION, "requiretls_violation"),
    KIND_COUNTER(KIND_TLS_VERSION_DOWNGRADE, "tls_version_downgrade"),
    KIND_COUNTER(KIND_CERTIFICATE_HOST_MISMATCH, "certificate_host_mismatch"),
    KIND_COUNTER(KIND_STREAM_EVASION, "stream_evasion"),
    KIND_COUNTER(KIND_CERTIFICATE_NOT_TRUSTED, "certificate_not_trusted"),
    KIND_COUNTER(KIND_CERTIFICATE_EXPIRED, "certificate_expired"),
    {NULL, 0},
};

struct alert_ctx *alert_ctx_new(void)
{
	struct alert_ctx *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->incidents = incident_table_new();
	if (a->incidents == NULL) {
		free(a);
		return NULL;
	}
	for (int k = 0; k < KIND_COUNT; k++) {
		struct alert_rule *r = &a->rules[k];

		r->enabled = true;
		r->sid = kind_sid((enum mx_kind)k);
		r->rev = 1;
		r->severity = 2;
		snprintf(r->signature, sizeof(r->signature), "MXSENTRY %s",
			 kind_name((enum mx_kind)k));
		snprintf(r->category, sizeof(r->category), "Mail transport downgrade");
	}
	return a;
}

void alert_ctx_free(struct alert_ctx *a)
{
	if (a == NULL)
		return;
	incident_table_free(a->incidents);
	free(a);
}

void alert_list_clear(struct alert_list *l)
{
	l->n = 0;
	l->text_len = 0;
}

/* Files the alert into its incident; false when it is only counted there. */
static bool incident_of(struct alert_ctx *a, enum mx_kind k, uint64_t ts_us, const char *app_proto,
			const struct alert_keys *keys, struct incident_ref *ref)
{
	struct incident_key ik = {k, keys != NULL ? keys->domain : NULL,
				  keys != NULL ? keys->mx_host : NULL, NULL};

	/* An alert on a DNS answer: its destination is the resolver that asked. */
	if (keys != NULL && app_proto != NULL && strcmp(app_proto, "dns") == 0)
		ik.resolver = keys->dst;
	switch (incident_note(a->incidents, &ik, ts_us, ref)) {
	case INCIDENT_MERGED:
		a->ctr.incident_merged++;
		return false;
	case INCIDENT_NEW:
		a->ctr.incidents++;
		return true;
	case INCIDENT_JOINED:
		a->ctr.incident_joined++;
		return true;
	case INCIDENT_NONE:
	default:
		return true;
	}
}

void alert_set_rule(struct alert_ctx *a, enum mx_kind k, const struct alert_rule *r)
{
	if ((unsigned)k < KIND_COUNT)
		a->rules[k] = *r;
}

const struct alert_rule *alert_get_rule(const struct alert_ctx *a, enum mx_kind k)
{
	return (unsigned)k < KIND_COUNT ? &a->rules[k] : NULL;
}

void alert_set_filter(struct alert_ctx *a, alert_filter_fn fn, void *ctx)
{
	a->filter = fn;
	a->filter_ctx = ctx;
}

void alert_format_tlsa(const struct tlsa_record *r, char *buf, size_t len)
{
	size_t o;

	o = (size_t)snprintf(buf, len, "%u %u %u ", r->usage, r->selector, r->mtype);
	for (size_t i = 0; i < r->len && o + 3 <= len; i++, o += 2)
		snprintf(buf + o, len - o, "%02x", r->data[i]);
}

static int adjusted_severity(const struct alert_rule *r, const struct alert_expectation *exp)
{
	int sev = r->severity;

	if (exp == NULL)
		return sev;
	if (exp->trust == EXPECT_HISTORY)
		sev = r->history_severity ? r->history_severity : sev + 2;
	else if (!expect_trust_validated(exp->trust))
		sev += 1;
	else if (r->expected_severity)
		sev = r->expected_severity;
	return MX_MAX(1, MX_MIN(sev, 4));
}

static void write_expectation(struct evidence *e, const struct alert_expectation *exp)
{
	char buf[EXPECT_TLSA_DATA_MAX * 2 + 16];

	evidence_str(e, "source", exp->source);
	evidence_bool(e, "validated", expect_trust_validated(exp->trust));
	evidence_str(e, "trust", expect_trust_name(exp->trust));
	if (exp->resolver != NULL)
		evidence_addr(e, "resolver", exp->resolver);
	if (exp->domain != NULL)
		evidence_str(e, "domain", exp->domain);
	if (exp->mx_host != NULL)
		evidence_str(e, "mx_host", exp->mx_host);
	if (exp->policy_id != NULL)
		evidence_str(e, "policy_id", exp->policy_id);
	if (exp->ntlsa > 0) {
		evidence_list_begin(e, "tlsa");
		for (size_t i = 0; i < exp->ntlsa; i++) {
			alert_format_tlsa(&exp->tlsa[i], buf, sizeof(buf));
			evidence_list_str(e, buf);
		}
		evidence_list_end(e);
	}
	if (exp->detail != NULL)
		evidence_str(e, "detail", exp->detail);
	if (exp->learned_from != NULL)
		evidence_str(e, "learned_from", exp->learned_from);
}

/*
 * Builds one object's fields into the list's text: the members fn(ev, arg)
 * appends. False when the text is full.
 */
static bool render(struct alert_list *out, alert_evidence_fn fn, const void *arg, size_t *off,
		   size_t *len)
{
	struct evidence ev;

	evidence_init(&ev, out->text + out->text_len, ALERT_TEXT_MAX - out->text_len);
	if (fn != NULL)
		fn(&ev, arg);
	if (ev.full)
		return false;
	*off = out->text_len;
	*len = ev.len;
	out->text_len += ev.len;
	return true;
}

static void expectation_members(struct evidence *e, const void *arg)
{
	write_expectation(e, arg);
}

/* Builds the request's fields into out; false when the text is full. */
static bool render_text(struct alert_list *out, struct alert_req *q,
			const struct alert_expectation *exp, alert_evidence_fn evidence,
			const void *arg)
{
	size_t mark = out->text_len;

	if (!out->render)
		return true;
	if (render(out, evidence, arg, &q->evidence_off, &q->evidence_len) &&
	    (exp == NULL ||
	     render(out, expectation_members, exp, &q->expectation_off, &q->expectation_len)))
		return true;
	out->text_len = mark;
	return false;
}

static void copy_keys(struct alert_req *q, const struct alert_keys *keys)
{
	if (keys == NULL)
		return;
	if (keys->src != NULL)
		q->src = *keys->src;
	if (keys->dst != NULL)
		q->dst = *keys->dst;
	if (keys->domain != NULL)
		mx_strlcpy(q->domain, keys->domain, sizeof(q->domain));
	if (keys->mx_host != NULL)
		mx_strlcpy(q->mx_host, keys->mx_host, sizeof(q->mx_host));
}

bool alert_decide(struct alert_ctx *a, struct alert_list *out, enum mx_kind k, uint64_t ts_us,
		  int dir, const char *app_proto, const struct alert_keys *keys,
		  const struct alert_expectation *exp, alert_evidence_fn evidence, const void *arg)
{
	const struct alert_rule *r;
	struct alert_req *q;

	if ((unsigned)k >= KIND_COUNT)
		return false;
	r = &a->rules[k];
	a->ctr.raised++;
	if (!r->enabled) {
		a->ctr.disabled++;
		return false;
	}
	if (a->filter != NULL && keys != NULL) {
		enum alert_verdict v = a->filter(a->filter_ctx, r->sid, keys, ts_us);

		if (v == ALERT_SUPPRESSED) {
			a->ctr.suppressed++;
			return false;
		}
		if (v == ALERT_RATE_LIMITED) {
			a->ctr.rate_limited++;
			return false;
		}
	}
	if (out == NULL || out->n >= ALERT_LIST_MAX) {
		a->ctr.requests_dropped++;
		return false;
	}
	q = &out->req[out->n];
	memset(q, 0, sizeof(*q));
	if (!incident_of(a, k, ts_us, app_proto, keys, &q->incident))
		return false;
	if (!render_text(out, q, exp, evidence, arg)) {
		a->ctr.requests_dropped++;
		return false;
	}
	q->kind = k;
	q->dir = dir;
	q->ts_us = ts_us;
	q->app_proto = app_proto;
	q->sid = r->sid;
	q->rev = r->rev;
	q->severity = adjusted_severity(r, exp);
	mx_strlcpy(q->signature, r->signature, sizeof(q->signature));
	mx_strlcpy(q->category, r->category, sizeof(q->category));
	q->tlsrpt = kind_tlsrpt(k);
	if (k == KIND_MX_REDIRECT && exp != NULL && strcmp(exp->source, "mta-sts") == 0)
		q->tlsrpt = "sts-policy-invalid";
	if (exp != NULL)
		mx_strlcpy(q->exp_source, exp->source, sizeof(q->exp_source));
	copy_keys(q, keys);
	out->n++;
	a->ctr.written++;
	a->ctr.by_kind[k]++;
	return true;
}

const struct alert_counters *alert_counters(const struct alert_ctx *a)
{
	return &a->ctr;
}
