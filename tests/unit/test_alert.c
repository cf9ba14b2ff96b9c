/*
 * test_alert.c - deciding one alert (correlate/alert.h) without a session:
 * the request handed back (kind, keys, TLSRPT result type, expectation
 * source), what is dropped and counted when the request list or its text
 * is full or there is no list, the filter's keys, the DNS resolver that
 * keeps retries of one lookup apart in incidents, and the fields
 * (correlate/evidence.h) built for the evidence and the expectation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/alert.h"

#define T0 ((uint64_t)1800000000 * MX_USEC)

struct fx {
	struct alert_ctx *a;
	struct alert_list out;
	struct mx_addr cli, srv, res2;
};

static struct fx *fx_new(void)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->a = alert_ctx_new();
	assert_non_null(x->a);
	assert_true(mx_addr_parse(&x->cli, "198.51.100.7"));
	assert_true(mx_addr_parse(&x->srv, "203.0.113.9"));
	assert_true(mx_addr_parse(&x->res2, "198.51.100.53"));
	x->out.render = true;
	return x;
}

static void fx_free(struct fx *x)
{
	alert_ctx_free(x->a);
	free(x);
}

static const struct alert_counters *ctr(struct fx *x)
{
	return alert_counters(x->a);
}

/* Appends the printf-style text to buf (len bytes) at *o. */
static void put(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < len - *o);
	*o += (size_t)n;
}

/*
 * The fields of request i's evidence (e) or expectation (!e) as compact
 * JSON members (strings unescaped: the tests use plain text), in buf.
 */
static const char *text_of(struct fx *x, size_t i, bool e, char *buf, size_t len)
{
	const struct alert_req *q = &x->out.req[i];
	size_t off = e ? q->evidence_off : q->expectation_off;
	size_t n = e ? q->evidence_len : q->expectation_len;
	struct evidence_field f;
	size_t pos = 0, o = 0;
	bool first = true;
	char a[64];

	assert_true(off + n <= x->out.text_len);
	buf[0] = '\0';
	while (evidence_next(x->out.text + off, n, &pos, &f)) {
		bool end = f.type == EVIDENCE_OBJ_END || f.type == EVIDENCE_LIST_END;

		if (!first && !end)
			put(buf, len, &o, ",");
		first = f.type == EVIDENCE_OBJ_BEGIN || f.type == EVIDENCE_LIST_BEGIN;
		if (f.key[0])
			put(buf, len, &o, "\"%s\":", f.key);
		switch (f.type) {
		case EVIDENCE_BYTES:
		case EVIDENCE_LIST_BYTES:
			put(buf, len, &o, "\"%.*s\"", (int)f.len, (const char *)f.bytes);
			break;
		case EVIDENCE_U64:
			put(buf, len, &o, "%llu", (unsigned long long)f.u64);
			break;
		case EVIDENCE_I64:
			put(buf, len, &o, "%lld", (long long)f.i64);
			break;
		case EVIDENCE_BOOL:
			put(buf, len, &o, f.b ? "true" : "false");
			break;
		case EVIDENCE_ADDR:
			put(buf, len, &o, "\"%s\"", mx_addr_str(&f.addr, a, sizeof(a)));
			break;
		case EVIDENCE_OBJ_BEGIN:
			put(buf, len, &o, "{");
			break;
		case EVIDENCE_LIST_BEGIN:
			put(buf, len, &o, "[");
			break;
		case EVIDENCE_OBJ_END:
			put(buf, len, &o, "}");
			break;
		case EVIDENCE_LIST_END:
			put(buf, len, &o, "]");
			break;
		default:
			fail();
		}
	}
	assert_int_equal(pos, n);
	return buf;
}

static void small_evidence(struct evidence *e, const void *arg)
{
	evidence_str(e, "observed", arg);
}

/* Evidence longer than a request list's whole text: 20 fields of 4000 bytes. */
static void huge_evidence(struct evidence *e, const void *arg)
{
	char key[16];

	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		evidence_str(e, key, arg);
	}
}

static void test_tlsrpt_of_redirect(void **state)
{
	struct fx *x = fx_new();
	struct alert_keys k = {&x->cli, &x->srv, "sts.test", "mx.other.test"};
	struct alert_expectation sts = {.source = "mta-sts", .trust = EXPECT_CONFIGURED};
	struct alert_expectation dane = {.source = "dane", .trust = EXPECT_DNSSEC};

	(void)state;
	/* an mx-redirect that breaks an MTA-STS policy: the policy is what failed */
	assert_true(
	    alert_decide(x->a, &x->out, KIND_MX_REDIRECT, T0, 0, "smtp", &k, &sts, NULL, NULL));
	assert_string_equal(x->out.req[0].tlsrpt, "sts-policy-invalid");
	assert_string_equal(x->out.req[0].exp_source, "mta-sts");
	/* one that breaks DANE's validated MX set keeps the kind's own type */
	k.domain = "signed.test";
	assert_true(
	    alert_decide(x->a, &x->out, KIND_MX_REDIRECT, T0, 0, "smtp", &k, &dane, NULL, NULL));
	assert_non_null(kind_tlsrpt(KIND_MX_REDIRECT));
	assert_string_equal(x->out.req[1].tlsrpt, kind_tlsrpt(KIND_MX_REDIRECT));
	assert_string_not_equal(x->out.req[1].tlsrpt, "sts-policy-invalid");
	assert_string_equal(x->out.req[1].exp_source, "dane");
	/* no expectation at all: the kind's type, no source */
	k.domain = "none.test";
	assert_true(
	    alert_decide(x->a, &x->out, KIND_MX_REDIRECT, T0, 0, "smtp", &k, NULL, NULL, NULL));
	assert_string_equal(x->out.req[2].tlsrpt, kind_tlsrpt(KIND_MX_REDIRECT));
	assert_string_equal(x->out.req[2].exp_source, "");
	/* another kind under MTA-STS keeps its own type */
	assert_true(alert_decide(x->a, &x->out, KIND_CERTIFICATE_HOST_MISMATCH, T0, 1, "smtp", &k,
				 &sts, NULL, NULL));
	assert_string_equal(x->out.req[3].tlsrpt, kind_tlsrpt(KIND_CERTIFICATE_HOST_MISMATCH));
	assert_string_not_equal(x->out.req[3].tlsrpt, "sts-policy-invalid");
	assert_int_equal(x->out.n, 4);
	fx_free(x);
}

static void test_request_fields(void **state)
{
	struct fx *x = fx_new();
	struct alert_keys k = {&x->srv, &x->cli, "d.test", "mx.d.test"};
	struct alert_keys only_dst = {NULL, &x->cli, NULL, NULL};

	(void)state;
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_STRIPPED, T0 + 5, 1, "smtp", &k, NULL,
				 NULL, NULL));
	assert_int_equal(x->out.req[0].kind, KIND_STARTTLS_STRIPPED);
	assert_int_equal(x->out.req[0].dir, 1);
	assert_int_equal(x->out.req[0].ts_us, T0 + 5);
	assert_string_equal(x->out.req[0].app_proto, "smtp");
	assert_int_equal(x->out.req[0].sid, kind_sid(KIND_STARTTLS_STRIPPED));
	assert_int_equal(mx_addr_cmp(&x->out.req[0].src, &x->srv), 0);
	assert_int_equal(mx_addr_cmp(&x->out.req[0].dst, &x->cli), 0);
	assert_string_equal(x->out.req[0].domain, "d.test");
	assert_string_equal(x->out.req[0].mx_host, "mx.d.test");
	/* keys only in part, or none: the rest stays empty */
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_STRIPPED, T0, 1, "smtp", &only_dst,
				 NULL, NULL, NULL));
	assert_int_equal(mx_addr_cmp(&x->out.req[1].dst, &x->cli), 0);
	assert_int_not_equal(mx_addr_cmp(&x->out.req[1].src, &x->srv), 0);
	assert_string_equal(x->out.req[1].domain, "");
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_STRIPPED, T0, 1, "smtp", NULL, NULL,
				 NULL, NULL));
	assert_string_equal(x->out.req[2].domain, "");
	assert_string_equal(x->out.req[2].mx_host, "");
	assert_int_not_equal(mx_addr_cmp(&x->out.req[2].dst, &x->cli), 0);
	assert_int_equal(ctr(x)->written, 3);
	assert_int_equal(ctr(x)->by_kind[KIND_STARTTLS_STRIPPED], 3);
	/* a kind out of range is no alert, and not counted as raised */
	assert_false(alert_decide(x->a, &x->out, KIND_COUNT, T0, 1, "smtp", &k, NULL, NULL, NULL));
	assert_int_equal(ctr(x)->raised, 3);
	assert_int_equal(x->out.n, 3);
	fx_free(x);
}

static unsigned filter_calls;

static enum alert_verdict suppress_all(void *ctx, uint32_t sid, const struct alert_keys *keys,
				       uint64_t ts_us)
{
	(void)ctx;
	(void)sid;
	(void)ts_us;
	assert_non_null(keys);
	filter_calls++;
	return ALERT_SUPPRESSED;
}

/* The filter judges keys: an alert without keys is not filtered. */
static void test_filter_needs_keys(void **state)
{
	struct fx *x = fx_new();
	struct alert_keys k = {&x->cli, &x->srv, "d.test", NULL};

	(void)state;
	filter_calls = 0;
	alert_set_filter(x->a, suppress_all, NULL);
	assert_false(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", &k, NULL,
				  NULL, NULL));
	assert_int_equal(filter_calls, 1);
	assert_int_equal(ctr(x)->suppressed, 1);
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, NULL,
				 NULL, NULL));
	assert_int_equal(filter_calls, 1);
	assert_int_equal(ctr(x)->written, 1);
	/* no filter: every alert passes */
	alert_set_filter(x->a, NULL, NULL);
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", &k, NULL,
				 NULL, NULL));
	assert_int_equal(ctr(x)->suppressed, 1);
	fx_free(x);
}

/* No list, a full list: decided, dropped, counted. */
static void test_list_full(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	assert_false(alert_decide(x->a, NULL, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, NULL,
				  NULL, NULL));
	assert_int_equal(ctr(x)->requests_dropped, 1);
	assert_int_equal(ctr(x)->written, 0);
	for (unsigned i = 0; i < ALERT_LIST_MAX; i++)
		assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0 + i, 0, "smtp",
					 NULL, NULL, small_evidence, "x"));
	assert_int_equal(x->out.n, ALERT_LIST_MAX);
	assert_false(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, NULL,
				  small_evidence, "x"));
	assert_int_equal(x->out.n, ALERT_LIST_MAX);
	assert_int_equal(ctr(x)->requests_dropped, 2);
	assert_int_equal(ctr(x)->written, ALERT_LIST_MAX);
	/* emptied, it takes requests again */
	alert_list_clear(&x->out);
	assert_int_equal(x->out.text_len, 0);
	assert_true(x->out.render);
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, NULL,
				 NULL, NULL));
	assert_int_equal(x->out.n, 1);
	fx_free(x);
}

/* Text that does not fit: the request is dropped and the text left as it was. */
static void test_text_full(void **state)
{
	struct fx *x = fx_new();
	size_t big = 4000, ntlsa = 1200;
	char *huge = malloc(big + 1);
	struct tlsa_record *many = calloc(ntlsa, sizeof(*many));
	struct alert_expectation exp = {.source = "policy", .trust = EXPECT_CONFIGURED};
	size_t before;
	char buf[256];

	(void)state;
	assert_non_null(huge);
	assert_non_null(many);
	for (size_t i = 0; i < ntlsa; i++)
		many[i] = (struct tlsa_record){3, 1, 1, 32, {0}};
	memset(huge, 'a', big);
	huge[big] = '\0';
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, NULL,
				 small_evidence, "first"));
	before = x->out.text_len;
	assert_true(before > 0);
	/* the evidence is too long */
	assert_false(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, NULL,
				  huge_evidence, huge));
	assert_int_equal(x->out.n, 1);
	assert_int_equal(x->out.text_len, before);
	assert_int_equal(ctr(x)->requests_dropped, 1);
	/* the evidence fits, the expectation does not: neither is kept */
	exp.tlsa = many;
	exp.ntlsa = ntlsa;
	assert_false(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, &exp,
				  small_evidence, "second"));
	assert_int_equal(x->out.n, 1);
	assert_int_equal(x->out.text_len, before);
	assert_int_equal(ctr(x)->requests_dropped, 2);
	assert_int_equal(ctr(x)->written, 1);
	/* the next alert's text follows the first one's */
	exp.ntlsa = 0;
	exp.detail = "fits";
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, &exp,
				 small_evidence, "third"));
	assert_int_equal(x->out.req[1].evidence_off, before);
	assert_non_null(strstr(text_of(x, 0, true, buf, sizeof(buf)), "first"));
	assert_non_null(strstr(text_of(x, 1, true, buf, sizeof(buf)), "third"));
	assert_non_null(strstr(text_of(x, 1, false, buf, sizeof(buf)), "\"detail\":\"fits\""));
	free(huge);
	free(many);
	fx_free(x);
}

/* A list that does not ask for text gets none, whatever the evidence. */
static void test_no_render(void **state)
{
	struct fx *x = fx_new();
	struct alert_expectation exp = {.source = "policy", .trust = EXPECT_CONFIGURED};

	(void)state;
	x->out.render = false;
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_REJECTED, T0, 0, "smtp", NULL, &exp,
				 small_evidence, "x"));
	assert_int_equal(x->out.text_len, 0);
	assert_int_equal(x->out.req[0].evidence_len, 0);
	assert_int_equal(x->out.req[0].expectation_len, 0);
	fx_free(x);
}

/* The expectation's fields: optional members only when set. */
static void test_expectation_text(void **state)
{
	struct fx *x = fx_new();
	struct tlsa_record r = {3, 1, 1, 2, {0xab, 0xcd}};
	struct alert_expectation full = {
	    "dane", EXPECT_RESOLVER_AD,	  "d.test", "mx.d.test", "p.yaml:3", &r, 1,
	    "why",  "sensor b via redis", &x->res2};
	struct alert_expectation bare = {.source = "history", .trust = EXPECT_HISTORY};
	char buf[1024];

	(void)state;
	assert_true(alert_decide(x->a, &x->out, KIND_TLSA_MISMATCH, T0, 1, "smtp", NULL, &full,
				 NULL, NULL));
	text_of(x, 0, false, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"source\":\"dane\""));
	assert_non_null(strstr(buf, "\"resolver\":\"198.51.100.53\""));
	assert_non_null(strstr(buf, "\"domain\":\"d.test\""));
	assert_non_null(strstr(buf, "\"mx_host\":\"mx.d.test\""));
	assert_non_null(strstr(buf, "\"policy_id\":\"p.yaml:3\""));
	assert_non_null(strstr(buf, "\"tlsa\":[\"3 1 1 abcd\"]"));
	assert_non_null(strstr(buf, "\"detail\":\"why\""));
	assert_non_null(strstr(buf, "\"learned_from\":\"sensor b via redis\""));
	assert_true(alert_decide(x->a, &x->out, KIND_STARTTLS_STRIPPED, T0, 1, "smtp", NULL, &bare,
				 NULL, NULL));
	text_of(x, 1, false, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"source\":\"history\""));
	assert_non_null(strstr(buf, "\"validated\":false"));
	assert_null(strstr(buf, "resolver"));
	assert_null(strstr(buf, "domain"));
	assert_null(strstr(buf, "mx_host"));
	assert_null(strstr(buf, "policy_id"));
	assert_null(strstr(buf, "tlsa"));
	assert_null(strstr(buf, "detail"));
	assert_null(strstr(buf, "learned_from"));
	fx_free(x);
}

/*
 * Repeats of a DNS alert to one resolver are one incident; another
 * resolver asking the same is its own. An SMTP alert has no resolver: it
 * only joins an open DNS incident of its kind, domain and MX host.
 */
static void test_dns_incidents(void **state)
{
	struct fx *x = fx_new();
	struct alert_keys r1 = {&x->srv, &x->cli, "inc.test", NULL};
	struct alert_keys r2 = {&x->srv, &x->res2, "inc.test", NULL};
	struct alert_keys mail = {&x->cli, &x->srv, "mail.test", "mx.mail.test"};

	(void)state;
	assert_true(
	    alert_decide(x->a, &x->out, KIND_DNSSEC_STRIPPED, T0, 1, "dns", &r1, NULL, NULL, NULL));
	assert_int_not_equal(x->out.req[0].incident.id, 0);
	assert_false(alert_decide(x->a, &x->out, KIND_DNSSEC_STRIPPED, T0 + 1, 1, "dns", &r1, NULL,
				  NULL, NULL));
	assert_int_equal(ctr(x)->incident_merged, 1);
	assert_true(alert_decide(x->a, &x->out, KIND_DNSSEC_STRIPPED, T0 + 2, 1, "dns", &r2, NULL,
				 NULL, NULL));
	assert_int_not_equal(x->out.req[1].incident.id, x->out.req[0].incident.id);
	assert_int_equal(ctr(x)->incidents, 2);
	assert_int_equal(x->out.n, 2);
	/* SMTP mx-redirects of one domain and host with no DNS incident: each written */
	assert_true(
	    alert_decide(x->a, &x->out, KIND_MX_REDIRECT, T0, 0, "smtp", &mail, NULL, NULL, NULL));
	assert_true(alert_decide(x->a, &x->out, KIND_MX_REDIRECT, T0 + 1, 0, "smtp", &mail, NULL,
				 NULL, NULL));
	assert_int_equal(x->out.req[3].incident.id, 0);
	assert_int_equal(ctr(x)->incidents, 2);
	assert_int_equal(ctr(x)->incident_merged, 1);
	/* the DNS answer that named the wrong MX opens one; the session joins it */
	assert_true(alert_decide(
	    x->a, &x->out, KIND_MX_REDIRECT, T0 + 2, 1, "dns",
	    &(struct alert_keys){&x->srv, &x->cli, "mail.test", "mx.mail.test"}, NULL, NULL, NULL));
	assert_true(alert_decide(x->a, &x->out, KIND_MX_REDIRECT, T0 + 3, 0, "smtp", &mail, NULL,
				 NULL, NULL));
	assert_int_equal(ctr(x)->incident_joined, 1);
	assert_int_equal(x->out.req[5].incident.id, x->out.req[4].incident.id);
	assert_int_equal(x->out.req[5].incident.count, 2);
	/* no app_proto, no keys: no incident, no harm */
	assert_true(
	    alert_decide(x->a, &x->out, KIND_DNSSEC_STRIPPED, T0, 1, NULL, &r1, NULL, NULL, NULL));
	assert_true(alert_decide(x->a, &x->out, KIND_DNSSEC_STRIPPED, T0, 1, "dns", NULL, NULL,
				 NULL, NULL));
	assert_int_equal(x->out.n, 8);
	assert_int_equal(ctr(x)->incidents, 3);
	fx_free(x);
}

/* Rules of kinds out of range are neither set nor read; freeing nothing is fine. */
static void test_rule_bounds(void **state)
{
	struct fx *x = fx_new();
	struct alert_rule r = *alert_get_rule(x->a, KIND_STARTTLS_STRIPPED);

	(void)state;
	r.sid = 4242;
	alert_set_rule(x->a, KIND_COUNT, &r);
	assert_null(alert_get_rule(x->a, KIND_COUNT));
	for (int k = 0; k < KIND_COUNT; k++)
		assert_int_not_equal(alert_get_rule(x->a, (enum mx_kind)k)->sid, 4242);
	alert_set_rule(x->a, KIND_CERTIFICATE_EXPIRED, &r);
	assert_int_equal(alert_get_rule(x->a, KIND_CERTIFICATE_EXPIRED)->sid, 4242);
	alert_ctx_free(NULL);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tlsrpt_of_redirect), cmocka_unit_test(test_request_fields),
	    cmocka_unit_test(test_filter_needs_keys),  cmocka_unit_test(test_list_full),
	    cmocka_unit_test(test_text_full),	       cmocka_unit_test(test_no_render),
	    cmocka_unit_test(test_expectation_text),   cmocka_unit_test(test_dns_incidents),
	    cmocka_unit_test(test_rule_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
