/*
 * test_mail_detect.c - the SMTP-side detections of sensor/correlate/
 * driven through mail_correlate.h with hand-made session facts (no
 * capture): every kind mail_correlate decides, each with the guards that
 * keep it from firing on a harmless session. Assertions are on the alerts
 * the stage counts per kind, on the alert requests it hands back, and on
 * the EVE alert lines written from them (app/alert_out.h).
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "app/alert_out.h"
#include "app/cert_check.h"
#include "correlate/mail_correlate.h"
#include "correlate/policy.h"
#include "correlate/correlate_state.h"
#include "state/state.h"

#define SEC(x) ((uint64_t)(x)*MX_USEC)
#define T0     SEC(1800000000)

/* One correlate stage, one session's facts, an EVE file for its alerts. */
struct fx {
	struct correlate *c;
	struct eve *eve;
	char path[64];
	struct flow f; /* the flow the alert records are written on */
	struct mail_facts mf;
	struct alert_list out; /* the requests of the last entry point */
};

static const char policies[] =
    "policies:\n"
    "  - domain: required.test\n"
    "    require-tls: true\n"
    "    addresses: {mx.required.test: 192.0.2.25}\n"
    "  - domain: sts.test\n"
    "    mta-sts: {mode: enforce, mx: [mx.sts.test], max_age: 604800}\n"
    "    addresses: {mx.sts.test: 192.0.2.26}\n"
    "  - domain: testing.test\n"
    "    mta-sts: {mode: testing, mx: [mx.testing.test], max_age: 604800}\n"
    "    addresses: {mx.testing.test: 192.0.2.27}\n"
    "  - domain: pinned.test\n"
    "    addresses: {mx.pinned.test: 192.0.2.28}\n"
    "    tlsa:\n"
    "      - host: mx.pinned.test\n"
    "        port: 25\n"
    "        records:\n"
    "          - \"1 0 1 1111111111111111111111111111111111111111111111111111111111111111\"\n"
    "          - \"3 0 1 3333333333333333333333333333333333333333333333333333333333333333\"\n";

static void addr(struct mx_addr *a, const char *s)
{
	assert_true(mx_addr_parse(a, s));
}

static struct fx *fx_new_cfg(const struct correlate_config *cfg)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct policy_set *ps = policy_set_new();
	struct mx_errors errs;
	char err[128];
	int fd;

	assert_non_null(x);
	assert_non_null(ps);
	x->c = correlate_new(cfg, err, sizeof(err));
	assert_non_null(x->c);
	mx_errors_init(&errs);
	assert_true(policy_load_buffer(ps, "p.yaml", policies, strlen(policies), NULL, &errs));
	correlate_set_policies(x->c, ps);
	snprintf(x->path, sizeof(x->path), "/tmp/mx-maildetect-XXXXXX");
	fd = mkstemp(x->path);
	assert_true(fd >= 0);
	close(fd);
	x->eve = eve_new();
	assert_non_null(x->eve);
	assert_true(eve_add_file(x->eve, x->path, EVE_ALERT, false, err, sizeof(err)));
	return x;
}

static struct fx *fx_new(void)
{
	struct correlate_config cfg;

	correlate_config_defaults(&cfg);
	return fx_new_cfg(&cfg);
}

/* A fresh session from 198.51.100.7 to server srv:25, EHLO answered 250. */
static void session(struct fx *x, const char *srv)
{
	memset(&x->f, 0, sizeof(x->f));
	memset(&x->mf, 0, sizeof(x->mf));
	addr(&x->f.cli, "198.51.100.7");
	addr(&x->f.srv, srv);
	x->f.cport = 40000;
	x->f.sport = 25;
	x->f.proto = 6;
	x->f.flow_id = 1;
	x->mf.ends = (struct corr_ends){x->f.cli, x->f.srv, x->f.cport, x->f.sport, x->f.flow_id};
}

static void fx_free(struct fx *x)
{
	eve_free(x->eve);
	correlate_free(x->c);
	unlink(x->path);
	free(x);
}

/* Writes the requests handed back so far, as the session does. */
static void write_out(struct fx *x)
{
	alert_out_flush(x->eve, &x->f, &x->out);
}

/* The list for the next entry point (what the last one handed back is written first). */
static struct alert_list *out(struct fx *x)
{
	write_out(x);
	x->out.render = true;
	return &x->out;
}

static uint64_t raised(struct fx *x, enum mx_kind k)
{
	const struct alert_counters *ac = alert_counters(correlate_alerts(x->c));

	return ac->by_kind[k];
}

static uint64_t raised_total(struct fx *x)
{
	return alert_counters(correlate_alerts(x->c))->raised;
}

/* True when the EVE file holds needle. */
static bool eve_has(struct fx *x, const char *needle)
{
	char buf[65536];
	FILE *fp;
	size_t n;

	write_out(x);
	eve_flush(x->eve);
	fp = fopen(x->path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void history(struct fx *x, const char *srv, uint32_t streak, uint64_t last_us,
		    uint16_t max_version, uint32_t version_sightings)
{
	struct mx_addr a;
	struct server_history *h;

	addr(&a, srv);
	h = expect_history(correlate_expect(x->c), &a, T0 - SEC(1), true);
	assert_non_null(h);
	h->sessions = h->starttls_offers = h->starttls_streak = streak;
	h->starttls_last_us = h->version_last_us = last_us;
	h->last_seen_us = T0 - SEC(1);
	h->max_tls_version = max_version;
	h->version_sightings = version_sightings;
}

/* ---- starttls-stripped ---- */

static void test_stripped_policy(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	session(x, "192.0.2.25");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_STARTTLS_STRIPPED), 1);
	assert_true(eve_has(x, "\"source\":\"policy\""));
	/* raised once per session */
	mail_correlate_ehlo(x->c, &x->mf, T0 + 1, out(x));
	assert_int_equal(raised(x, KIND_STARTTLS_STRIPPED), 1);

	/* guards: STARTTLS offered, mid-stream pick-up, implicit TLS, no expectation */
	session(x, "192.0.2.25");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	session(x, "192.0.2.25");
	x->mf.smtp.midstream = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	session(x, "192.0.2.25");
	x->mf.implicit_tls = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	session(x, "203.0.113.9");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_STARTTLS_STRIPPED), 1);
	assert_int_equal(raised_total(x), 1);
	fx_free(x);
}

static void test_stripped_history(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	/* three sessions offered STARTTLS, the last a day ago: expected */
	history(x, "203.0.113.10", 3, T0 - SEC(86400), 0, 0);
	session(x, "203.0.113.10");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_STARTTLS_STRIPPED), 1);
	assert_true(eve_has(x, "\"source\":\"history\""));
	/* two sightings are not enough */
	history(x, "203.0.113.11", 2, T0 - SEC(86400), 0, 0);
	session(x, "203.0.113.11");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	/* the last sighting more than 30 days ago is too old */
	history(x, "203.0.113.12", 5, T0 - SEC(31 * 86400), 0, 0);
	session(x, "203.0.113.12");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	/* exactly at the age limit still counts */
	history(x, "203.0.113.13", 3, T0 - SEC(30 * 86400), 0, 0);
	session(x, "203.0.113.13");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_STARTTLS_STRIPPED), 2);
	fx_free(x);
}

/* ---- starttls-rejected ---- */

static void test_rejected(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	session(x, "203.0.113.9");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_rejected(x->c, &x->mf, T0, NULL, NULL, out(x));
	assert_int_equal(raised(x, KIND_STARTTLS_REJECTED), 1);
	assert_false(eve_has(x, "\"expectation\""));
	session(x, "192.0.2.25");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_rejected(x->c, &x->mf, T0, NULL, NULL, out(x));
	assert_int_equal(raised(x, KIND_STARTTLS_REJECTED), 2);
	assert_true(eve_has(x, "\"detail\":\"policy requires TLS\""));
	fx_free(x);
}

/* ---- cleartext-policy-violation ---- */

static void test_cleartext(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	/* the recipient's domain requires TLS; the server is unknown */
	session(x, "203.0.113.9");
	mail_correlate_cleartext_mail(x->c, &x->mf, "required.test", T0, out(x));
	assert_int_equal(raised(x, KIND_CLEARTEXT_POLICY_VIOLATION), 1);
	/* guards: mid-stream; a domain without policy; MTA-STS in testing mode */
	session(x, "203.0.113.9");
	x->mf.smtp.midstream = true;
	mail_correlate_cleartext_mail(x->c, &x->mf, "required.test", T0, out(x));
	session(x, "203.0.113.9");
	mail_correlate_cleartext_mail(x->c, &x->mf, "free.test", T0, out(x));
	session(x, "203.0.113.9");
	mail_correlate_cleartext_mail(x->c, &x->mf, "testing.test", T0, out(x));
	session(x, "203.0.113.9");
	mail_correlate_cleartext_mail(x->c, &x->mf, NULL, T0, out(x));
	assert_int_equal(raised(x, KIND_CLEARTEXT_POLICY_VIOLATION), 1);
	/* the server itself is a policy MX; MTA-STS enforce counts too */
	session(x, "192.0.2.26");
	mail_correlate_cleartext_mail(x->c, &x->mf, NULL, T0, out(x));
	assert_int_equal(raised(x, KIND_CLEARTEXT_POLICY_VIOLATION), 2);
	assert_true(eve_has(x, "\"source\":\"mta-sts\""));
	fx_free(x);
}

/* DANE for the recipient's domain: its validated MX host publishes TLSA. */
static void test_cleartext_dane(void **state)
{
	struct fx *x = fx_new();
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_tlsa t = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.dane.test");
	t.rec[0] = (struct tlsa_record){3, 1, 1, 32, {0}};
	expect_put_mx(correlate_expect(x->c), "dane.test", &mx, T0);
	expect_put_tlsa(correlate_expect(x->c), "mx.dane.test", 25, &t, T0);
	session(x, "203.0.113.9");
	mail_correlate_cleartext_mail(x->c, &x->mf, "dane.test", T0, out(x));
	assert_int_equal(raised(x, KIND_CLEARTEXT_POLICY_VIOLATION), 1);
	assert_true(eve_has(x, "\"source\":\"dane\""));
	/* an unvalidated MX set is no expectation */
	mx.trust = EXPECT_UNVALIDATED;
	expect_put_mx(correlate_expect(x->c), "plain.test", &mx, T0);
	session(x, "203.0.113.9");
	mail_correlate_cleartext_mail(x->c, &x->mf, "plain.test", T0, out(x));
	assert_int_equal(raised(x, KIND_CLEARTEXT_POLICY_VIOLATION), 1);
	/* the server itself has TLSA (a policy pin), whatever the recipient */
	session(x, "192.0.2.28");
	mail_correlate_cleartext_mail(x->c, &x->mf, NULL, T0, out(x));
	assert_int_equal(raised(x, KIND_CLEARTEXT_POLICY_VIOLATION), 2);
	assert_true(eve_has(x, "\"mx_host\":\"mx.pinned.test\""));
	fx_free(x);
}

/* ---- mx-redirect ---- */

static void test_mx_redirect(void **state)
{
	struct fx *x = fx_new();
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	addr(&a.addr[0], "198.51.100.25");
	expect_put_mx(correlate_expect(x->c), "signed.test", &mx, T0);
	expect_put_addrs(correlate_expect(x->c), "mx.signed.test", &a, T0);
	/* mail for signed.test delivered to an address none of its MX hosts has */
	session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "signed.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	/* guards: the right server; not port 25; mid-stream */
	session(x, "198.51.100.25");
	mail_correlate_rcpt(x->c, &x->mf, "signed.test", T0, out(x));
	session(x, "203.0.113.9");
	x->f.sport = x->mf.ends.sport = 587;
	mail_correlate_rcpt(x->c, &x->mf, "signed.test", T0, out(x));
	session(x, "203.0.113.9");
	x->mf.smtp.midstream = true;
	mail_correlate_rcpt(x->c, &x->mf, "signed.test", T0, out(x));
	/* the MX host's addresses unknown: nothing to compare with */
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.unknown.test");
	expect_put_mx(correlate_expect(x->c), "unknown.test", &mx, T0);
	session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "unknown.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);

	/* MTA-STS: the server is known only as a name the policy does not allow */
	session(x, "192.0.2.25"); /* mx.required.test */
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 2);
	session(x, "192.0.2.26"); /* mx.sts.test: allowed */
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	session(x, "203.0.113.9"); /* known by no name: nothing to say */
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 2);
	fx_free(x);
}

/* The server is known only by a name a forged MX answer claimed for a signed domain. */
static void test_mx_redirect_claims(void **state)
{
	struct fx *x = fx_new();
	struct expect_store *st = correlate_expect(x->c);
	struct expect_mxset good = {.n = 2, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_mxset forged = {
	    .n = 2, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(good.mx[0].host, EXPECT_NAME_MAX, "mx.signed.test");
	snprintf(good.mx[1].host, EXPECT_NAME_MAX, "mx2.signed.test");
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "evil.example");
	snprintf(forged.mx[1].host, EXPECT_NAME_MAX, "mx2.signed.test");
	expect_put_mx(st, "signed.test", &good, T0);
	expect_put_mx(st, "signed.test", &forged, T0); /* not believed, but its claim is kept */
	addr(&a.addr[0], "198.51.100.25");
	expect_put_addrs(st, "mx.signed.test", &a, T0);
	a.trust = EXPECT_UNVALIDATED;
	addr(&a.addr[0], "203.0.113.66");
	expect_put_addrs(st, "evil.example", &a, T0);
	addr(&a.addr[0], "203.0.113.67");
	expect_put_addrs(st, "mx2.signed.test", &a, T0);

	session(x, "203.0.113.66");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(eve_has(x, "validated MX set does not hold"));
	assert_true(eve_has(x, "\"source\":\"dane\""));
	/* guards: a host the validated set lists; not port 25; mid-stream */
	session(x, "203.0.113.67");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	session(x, "203.0.113.66");
	x->f.sport = x->mf.ends.sport = 587;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	session(x, "203.0.113.66");
	x->mf.smtp.midstream = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	/* the claimed name reaches the right server after all: no redirect */
	a.trust = EXPECT_DNSSEC;
	addr(&a.addr[0], "198.51.100.25");
	expect_put_addrs(st, "evil.example", &a, T0);
	session(x, "198.51.100.25");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	fx_free(x);
}

/* ---- tlsa-mismatch ---- */

static void cert(struct fx *x, uint8_t fill)
{
	x->mf.ncerts = 1;
	memset(x->mf.certs[0].cert_sha256, fill, 32);
	memset(x->mf.certs[0].spki_sha256, fill, 32);
	x->mf.certs[0].spki_ok = true;
	x->mf.tls.server_hello = true;
	x->mf.tls.version = 0x0303;
	x->mf.tls.cert_visibility = TLS_CERT_VISIBLE;
}

static void test_tlsa_mismatch_pins(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	/* the chain matches the DANE-EE pin */
	session(x, "192.0.2.28");
	cert(x, 0x33);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 0);
	/* it matches only the PKIX-EE (usage 1) pin: not a DANE match for SMTP */
	session(x, "192.0.2.28");
	cert(x, 0x11);
	snprintf(x->mf.tls.sni, sizeof(x->mf.tls.sni), "mx.pinned.test");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 1);
	/* the evidence names the chain and the SNI */
	assert_true(eve_has(x, "\"chain_sha256\":[\"1111111111111111"));
	assert_true(eve_has(x, "\"sni\":\"mx.pinned.test\""));
	/* no certificate seen: nothing to judge */
	session(x, "192.0.2.28");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 1);
	fx_free(x);
}

static void test_tlsa_mismatch_dns(void **state)
{
	struct fx *x = fx_new();
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_tlsa t = {.n = 2, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	addr(&a.addr[0], "203.0.113.40");
	expect_put_addrs(correlate_expect(x->c), "mx.dnstlsa.test", &a, T0);
	t.rec[0] = (struct tlsa_record){0, 0, 1, 32, {0}};
	memset(t.rec[0].data, 0x44, 32);
	t.rec[1] = (struct tlsa_record){3, 1, 1, 32, {0}};
	memset(t.rec[1].data, 0x55, 32);
	expect_put_tlsa(correlate_expect(x->c), "mx.dnstlsa.test", 25, &t, T0);
	session(x, "203.0.113.40");
	cert(x, 0x55);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 0);
	/* matches the PKIX-TA (usage 0) record only */
	session(x, "203.0.113.40");
	cert(x, 0x44);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 1);
	/* SPKI record but the SPKI could not be read */
	session(x, "203.0.113.40");
	cert(x, 0x55);
	x->mf.certs[0].spki_ok = false;
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 2);
	/* the key that could not be read is not shown */
	assert_true(eve_has(x, "\"spki_sha256\":\"4444"));
	assert_false(eve_has(x, "\"spki_sha256\":\"5555"));
	/* an unvalidated TLSA RRset is no expectation */
	t.trust = EXPECT_UNVALIDATED;
	expect_put_addrs(correlate_expect(x->c), "mx.plain.test", &a, T0);
	expect_put_tlsa(correlate_expect(x->c), "mx.plain.test", 25, &t, T0);
	addr(&a.addr[0], "203.0.113.41");
	expect_put_addrs(correlate_expect(x->c), "mx.plain.test", &a, T0);
	session(x, "203.0.113.41");
	cert(x, 0x99);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 2);
	fx_free(x);
}

/* ---- certificate-host-mismatch ---- */

static void sans(struct fx *x, const char *cn, const char *san)
{
	snprintf(x->mf.cn, sizeof(x->mf.cn), "%s", cn);
	x->mf.nsan = 0;
	if (san != NULL)
		snprintf(x->mf.san[x->mf.nsan++], EXPECT_NAME_MAX, "%s", san);
}

static void test_cert_host(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	session(x, "192.0.2.26"); /* mx.sts.test, MTA-STS enforce */
	cert(x, 0x01);
	sans(x, "mx.sts.test", "mail.other.test");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 1);
	/* must not fire: the SAN names the host, by name or by wildcard */
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "whatever", "MX.sts.test");
	cert_check(x->c, &x->mf, T0, out(x));
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "whatever", "*.sts.test");
	cert_check(x->c, &x->mf, T0, out(x));
	/* no SAN: the CN counts */
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "mx.sts.test", NULL);
	cert_check(x->c, &x->mf, T0, out(x));
	/* MTA-STS testing mode only reports: no alert */
	session(x, "192.0.2.27");
	cert(x, 0x01);
	sans(x, "x", "mail.other.test");
	cert_check(x->c, &x->mf, T0, out(x));
	/* a server no policy covers */
	session(x, "203.0.113.9");
	cert(x, 0x01);
	sans(x, "x", "mail.other.test");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 1);
	/* the wildcard stands for one label only */
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "x", "*.test");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 2);
	fx_free(x);
}

/* A self-signed certificate naming n hosts a0.other.test .. and last. */
static X509 *make_cert(unsigned n, const char *last)
{
	X509 *c = X509_new();
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	char name[64];

	assert_non_null(c);
	assert_non_null(k);
	for (unsigned i = 0; i <= n; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		snprintf(name, sizeof(name), "a%u.other.test", i);
		ASN1_STRING_set(s, i == n ? last : name, -1);
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
				   (const unsigned char *)"x", -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_add1_ext_i2d(c, NID_subject_alt_name, gens, 0, 0);
	GENERAL_NAMES_free(gens);
	X509_set_pubkey(c, k);
	X509_sign(c, k, EVP_sha256());
	EVP_PKEY_free(k);
	return c;
}

/* Hands the session the DER of certificate c (freed here). */
static void leaf(struct fx *x, X509 *c)
{
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);

	assert_true(n > 0);
	x->mf.leaf_der = malloc((size_t)n);
	assert_non_null(x->mf.leaf_der);
	memcpy(x->mf.leaf_der, der, (size_t)n);
	x->mf.leaf_der_len = (size_t)n;
	OPENSSL_free(der);
	X509_free(c);
}

/* The 20th name of the certificate counts (the facts keep only 16 for the record). */
static void test_cert_host_x509(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "x", "a0.other.test");
	leaf(x, make_cert(20, "mx.sts.test"));
	cert_check(x->c, &x->mf, T0, out(x));
	free(x->mf.leaf_der);
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 0);
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "x", "mx.sts.test"); /* the copy says yes; the certificate says no */
	leaf(x, make_cert(20, "mx.sts.test.other.test"));
	cert_check(x->c, &x->mf, T0, out(x));
	free(x->mf.leaf_der);
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 1);
	fx_free(x);
}

/* ---- tls-version-downgrade ---- */

static void test_version_floor(void **state)
{
	struct correlate_config cfg;
	struct fx *x;

	(void)state;
	correlate_config_defaults(&cfg);
	cfg.tls_version_floor = 0x0303;
	x = fx_new_cfg(&cfg);
	session(x, "203.0.113.9");
	x->mf.tls.version = 0x0302;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 1);
	assert_true(eve_has(x, "below the configured TLS version floor"));
	session(x, "203.0.113.9");
	x->mf.tls.version = 0x0303;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	session(x, "203.0.113.9");
	x->mf.tls.version = 0; /* not known */
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 1);
	fx_free(x);
}

static void test_version_history(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	history(x, "203.0.113.20", 0, T0 - SEC(3600), 0x0304, 3);
	/* A client that offered only TLS 1.2 got it: no downgrade. */
	session(x, "203.0.113.20");
	x->mf.tls.version = 0x0303;
	x->mf.tls.client_version = 0x0303;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 0);
	/* One that offered TLS 1.3 got 1.2 from a server that did 1.3 before. */
	session(x, "203.0.113.20");
	x->mf.tls.version = 0x0303;
	x->mf.tls.client_version = 0x0304;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 1);
	assert_true(eve_has(x, "the client offered more and the server"));
	/* guards: the same version; too few sightings; too old */
	session(x, "203.0.113.20");
	x->mf.tls.version = 0x0304;
	x->mf.tls.client_version = 0x0304;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	history(x, "203.0.113.21", 0, T0 - SEC(3600), 0x0304, 2);
	session(x, "203.0.113.21");
	x->mf.tls.version = 0x0303;
	x->mf.tls.client_version = 0x0304;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	history(x, "203.0.113.22", 0, T0 - SEC(31 * 86400), 0x0304, 9);
	session(x, "203.0.113.22");
	x->mf.tls.version = 0x0303;
	x->mf.tls.client_version = 0x0304;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 1);
	/* no floor set: the default config has none */
	session(x, "203.0.113.23");
	x->mf.tls.version = 0x0301;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 1);
	fx_free(x);
}

/* ---- the learned history and the verdicts ---- */

static const struct server_history *hist(struct fx *x, const char *srv)
{
	struct mx_addr a;

	addr(&a, srv);
	return expect_history(correlate_expect(x->c), &a, T0, false);
}

static void clean_tls_session(struct fx *x, const char *srv)
{
	session(x, srv);
	x->mf.smtp.starttls_offered = true;
	cert(x, 0x01);
	x->mf.tls.handshake_complete = true;
	x->mf.tls.version = 0x0304;
}

static void test_history_learning(void **state)
{
	struct fx *x = fx_new();
	enum mx_kind attacks[] = {KIND_STARTTLS_STRIPPED, KIND_STARTTLS_MASKED,
				  KIND_TLS_VERSION_DOWNGRADE};

	(void)state;
	clean_tls_session(x, "203.0.113.30");
	/* the STARTTLS offer counts when the EHLO reply is seen, before the
	   session ends (concurrent sessions to one MX see each other's) */
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_non_null(hist(x, "203.0.113.30"));
	assert_int_equal(hist(x, "203.0.113.30")->starttls_streak, 1);
	assert_int_equal(hist(x, "203.0.113.30")->max_tls_version, 0);
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(hist(x, "203.0.113.30")->starttls_streak, 1);
	assert_int_equal(hist(x, "203.0.113.30")->max_tls_version, 0x0304);
	/* counted once per session */
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(hist(x, "203.0.113.30")->starttls_streak, 1);
	/* a session without STARTTLS resets the streak */
	session(x, "203.0.113.30");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(hist(x, "203.0.113.30")->starttls_streak, 0);
	assert_int_equal(hist(x, "203.0.113.30")->sessions, 2);

	/* attacked sessions and mid-stream pick-ups teach nothing; a version
	   downgrade is seen after the EHLO reply, whose offer was real, so
	   only the version it negotiated is not learned */
	for (size_t i = 0; i < MX_ARRAY_LEN(attacks); i++) {
		clean_tls_session(x, "203.0.113.31");
		x->mf.alerted[attacks[i]] = attacks[i] != KIND_TLS_VERSION_DOWNGRADE;
		mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
		x->mf.alerted[attacks[i]] = true;
		mail_correlate_end(x->c, &x->mf, T0);
		if (attacks[i] == KIND_TLS_VERSION_DOWNGRADE)
			assert_int_equal(hist(x, "203.0.113.31")->max_tls_version, 0);
		else
			assert_null(hist(x, "203.0.113.31"));
	}
	clean_tls_session(x, "203.0.113.33");
	x->mf.smtp.midstream = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	mail_correlate_end(x->c, &x->mf, T0);
	assert_null(hist(x, "203.0.113.33"));
	/* HELO instead of EHLO, or a refused EHLO (the session then hands
	   correlate no EHLO reply), is no sighting of STARTTLS */
	clean_tls_session(x, "203.0.113.32");
	mail_correlate_end(x->c, &x->mf, T0);
	clean_tls_session(x, "203.0.113.32");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(hist(x, "203.0.113.32")->sessions, 0);
	/* a lower version does not replace the highest seen */
	clean_tls_session(x, "203.0.113.30");
	x->mf.tls.version = 0x0303;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(hist(x, "203.0.113.30")->max_tls_version, 0x0304);
	assert_int_equal(hist(x, "203.0.113.30")->version_sightings, 1);
	fx_free(x);
}

static void test_verdicts(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	/* DANE pinned server, matching chain, complete handshake: ok */
	clean_tls_session(x, "192.0.2.28");
	cert(x, 0x33);
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_OK);
	assert_int_equal(x->mf.sts, VERDICT_NONE);
	/* a TLSA mismatch fails it */
	clean_tls_session(x, "192.0.2.28");
	x->mf.alerted[KIND_TLSA_MISMATCH] = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	/* no TLS at all fails it */
	session(x, "192.0.2.28");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	/* TLS 1.3: the chain is hidden, unverifiable */
	clean_tls_session(x, "192.0.2.28");
	x->mf.tls.cert_visibility = TLS_CERT_ENCRYPTED;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_UNVERIFIABLE);
	/* MTA-STS: ok, and fail after a host mismatch */
	clean_tls_session(x, "192.0.2.26");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_OK);
	clean_tls_session(x, "192.0.2.26");
	x->mf.alerted[KIND_CERTIFICATE_HOST_MISMATCH] = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_FAIL);
	/* picked up mid-stream inside TLS: the start is missing */
	session(x, "192.0.2.26");
	x->mf.smtp.midstream = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_UNVERIFIABLE);
	fx_free(x);
}

/* ---- starttls-masked: the keyword rule of the SMTP dissector ---- */

static void test_masked_rule(void **state)
{
	(void)state;
	/* six letters of STARTTLS in place, or five masks, or letters and masks only */
	assert_true(smtp_keyword_is_masked_starttls("STARTTAB", 8));
	assert_true(smtp_keyword_is_masked_starttls("XXXXXABC", 8));
	assert_true(smtp_keyword_is_masked_starttls("STARTX_.", 8));
	/* five or four letters, or four masks, with other bytes: an unknown extension */
	assert_false(smtp_keyword_is_masked_starttls("STARTABC", 8));
	assert_false(smtp_keyword_is_masked_starttls("STARABCD", 8));
	assert_false(smtp_keyword_is_masked_starttls("XXXXABCD", 8));
	assert_false(smtp_keyword_is_masked_starttls("STARXTQQ", 8));
	assert_false(smtp_keyword_is_masked_starttls("STARTTL\x01", 8));
	/* STARTTLS itself, in any case, is not masked */
	assert_false(smtp_keyword_is_masked_starttls("STARTTLS", 8));
	assert_false(smtp_keyword_is_masked_starttls("starttls", 8));
	assert_false(smtp_keyword_is_masked_starttls("StartTls", 8));
}

/* ---- what the smtp record is told: the policies behind the verdicts ---- */

static void test_policy_notes(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	/* a policy pin: the DANE expectation, its host and its two records */
	clean_tls_session(x, "192.0.2.28");
	cert(x, 0x33);
	mail_correlate_end(x->c, &x->mf, T0);
	assert_true(x->mf.policy.dane);
	assert_string_equal(x->mf.policy.dane_source, "policy");
	assert_int_equal(x->mf.policy.dane_trust, EXPECT_CONFIGURED);
	assert_string_equal(x->mf.policy.dane_host, "mx.pinned.test");
	assert_int_equal(x->mf.policy.ntlsa, 2);
	assert_int_equal(x->mf.policy.tlsa[1].usage, 3);
	assert_false(x->mf.policy.sts);
	/* MTA-STS enforce: mode, max_age, domain and the mx patterns */
	clean_tls_session(x, "192.0.2.26");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_false(x->mf.policy.dane);
	assert_true(x->mf.policy.sts);
	assert_int_equal(x->mf.policy.sts_mode, MTASTS_MODE_ENFORCE);
	assert_int_equal(x->mf.policy.sts_max_age, 604800);
	assert_string_equal(x->mf.policy.sts_domain, "sts.test");
	assert_int_equal(x->mf.policy.sts_nmx, 1);
	assert_string_equal(x->mf.policy.sts_mx[0], "mx.sts.test");
	/* testing mode is noted as well (it gives a verdict) */
	clean_tls_session(x, "192.0.2.27");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_true(x->mf.policy.sts);
	assert_int_equal(x->mf.policy.sts_mode, MTASTS_MODE_TESTING);
	assert_int_equal(x->mf.sts, VERDICT_OK);
	/* a recipient domain of the transaction brings its policy in */
	clean_tls_session(x, "203.0.113.9");
	x->mf.smtp.nrcpt = 1;
	snprintf(x->mf.smtp.rcpt_domain[0], sizeof(x->mf.smtp.rcpt_domain[0]), "sts.test");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_true(x->mf.policy.sts);
	assert_string_equal(x->mf.policy.sts_domain, "sts.test");
	/* nothing known: nothing noted, no verdict */
	clean_tls_session(x, "203.0.113.9");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_false(x->mf.policy.dane);
	assert_false(x->mf.policy.sts);
	assert_int_equal(x->mf.dane, VERDICT_NONE);
	assert_int_equal(x->mf.sts, VERDICT_NONE);
	fx_free(x);
}

/* DANE from validated DNS TLSA: noted with the DNS trust and only the usable records. */
static void test_policy_notes_dns(void **state)
{
	struct fx *x = fx_new();
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_tlsa t = {.n = 3, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	addr(&a.addr[0], "203.0.113.40");
	expect_put_addrs(correlate_expect(x->c), "mx.dnstlsa.test", &a, T0);
	t.rec[0] = (struct tlsa_record){1, 0, 1, 32, {0}};
	t.rec[1] = (struct tlsa_record){3, 1, 1, 32, {0}};
	memset(t.rec[1].data, 0x55, 32);
	t.rec[2] = (struct tlsa_record){2, 0, 1, 32, {0}};
	expect_put_tlsa(correlate_expect(x->c), "mx.dnstlsa.test", 25, &t, T0);
	clean_tls_session(x, "203.0.113.40");
	cert(x, 0x55);
	mail_correlate_end(x->c, &x->mf, T0);
	assert_true(x->mf.policy.dane);
	assert_string_equal(x->mf.policy.dane_source, "dane");
	assert_int_equal(x->mf.policy.dane_trust, EXPECT_DNSSEC);
	assert_string_equal(x->mf.policy.dane_host, "mx.dnstlsa.test");
	assert_int_equal(x->mf.policy.ntlsa, 2);
	assert_int_equal(x->mf.policy.tlsa[0].usage, 3);
	assert_int_equal(x->mf.policy.tlsa[1].usage, 2);
	assert_int_equal(x->mf.dane, VERDICT_OK);
	/* the records' time is up: no expectation any more */
	clean_tls_session(x, "203.0.113.40");
	cert(x, 0x55);
	mail_correlate_end(x->c, &x->mf, T0 + SEC(7200));
	assert_false(x->mf.policy.dane);
	assert_int_equal(x->mf.dane, VERDICT_NONE);
	fx_free(x);
}

/* ---- the verdicts' other branches and the blind-spot counters ---- */

static void test_verdicts_tls(void **state)
{
	struct fx *x = fx_new();
	const struct blind_counters *b = correlate_blind(x->c);

	(void)state;
	/* TLS that failed or never was: fail */
	clean_tls_session(x, "192.0.2.28");
	cert(x, 0x33);
	x->mf.tls.fatal_alert = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	clean_tls_session(x, "192.0.2.28");
	cert(x, 0x33);
	x->mf.tls.not_tls[1] = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	clean_tls_session(x, "192.0.2.28");
	cert(x, 0x33);
	x->mf.tls.not_tls[0] = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	clean_tls_session(x, "192.0.2.28");
	cert(x, 0x33);
	x->mf.tls.version = 0x0300; /* SSL 3 */
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	clean_tls_session(x, "192.0.2.28");
	cert(x, 0x33);
	x->mf.tls.version = 0x0301;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_OK);
	clean_tls_session(x, "192.0.2.26");
	x->mf.tls.server_hello = false;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_FAIL);
	clean_tls_session(x, "192.0.2.26");
	x->mf.tls.fatal_alert = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_FAIL);
	assert_int_equal(b->dane_tls13, 0);
	/* TLS 1.3 hides the chain: unverifiable, counted as a blind spot */
	clean_tls_session(x, "192.0.2.28");
	x->mf.tls.cert_visibility = TLS_CERT_ENCRYPTED;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_UNVERIFIABLE);
	assert_int_equal(b->dane_tls13, 1);
	clean_tls_session(x, "192.0.2.26");
	x->mf.tls.cert_visibility = TLS_CERT_ENCRYPTED;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_UNVERIFIABLE);
	/* a resumed TLS 1.2 session shows no certificate either: its own blind spot */
	clean_tls_session(x, "192.0.2.28");
	x->mf.tls.cert_visibility = TLS_CERT_NOT_SEEN;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_UNVERIFIABLE);
	assert_int_equal(b->dane_tls13, 1);
	assert_int_equal(b->dane_no_cert, 1);
	/* mid-stream inside TLS: unverifiable, but not a TLS 1.3 blind spot */
	session(x, "192.0.2.28");
	x->mf.smtp.midstream = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_UNVERIFIABLE);
	assert_int_equal(b->dane_tls13, 1);
	/* ... unless what it saw already failed */
	session(x, "192.0.2.28");
	x->mf.smtp.midstream = true;
	x->mf.alerted[KIND_TLSA_MISMATCH] = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	session(x, "192.0.2.26");
	x->mf.smtp.midstream = true;
	x->mf.alerted[KIND_MX_REDIRECT] = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_FAIL);
	/* mid-stream with cleartext mail seen, or a ServerHello seen: judged */
	session(x, "192.0.2.28");
	x->mf.smtp.midstream = true;
	x->mf.smtp.cleartext_mail = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	clean_tls_session(x, "192.0.2.28");
	cert(x, 0x33);
	x->mf.smtp.midstream = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_OK);
	/* each failure of MTA-STS fails its verdict */
	enum mx_kind breaks[] = {KIND_MX_REDIRECT, KIND_CERTIFICATE_NOT_TRUSTED,
				 KIND_CERTIFICATE_EXPIRED};
	for (size_t i = 0; i < MX_ARRAY_LEN(breaks); i++) {
		clean_tls_session(x, "192.0.2.26");
		x->mf.alerted[breaks[i]] = true;
		mail_correlate_end(x->c, &x->mf, T0);
		assert_int_equal(x->mf.sts, VERDICT_FAIL);
	}
	/* a redirect fails the verdict of what it broke, even with nothing else expected */
	clean_tls_session(x, "203.0.113.9");
	x->mf.redirect_dane = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	assert_int_equal(x->mf.sts, VERDICT_NONE);
	clean_tls_session(x, "203.0.113.9");
	x->mf.redirect_sts = true;
	x->mf.alerted[KIND_MX_REDIRECT] = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_NONE);
	assert_int_equal(x->mf.sts, VERDICT_FAIL);
	fx_free(x);
}

static void test_unknown_mx_counter(void **state)
{
	struct fx *x = fx_new();
	const struct blind_counters *b = correlate_blind(x->c);

	(void)state;
	clean_tls_session(x, "203.0.113.9"); /* named by nothing */
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(b->smtp_unknown_mx, 1);
	clean_tls_session(x, "192.0.2.26"); /* named by a policy */
	mail_correlate_end(x->c, &x->mf, T0);
	clean_tls_session(x, "203.0.113.9"); /* not port 25 */
	x->f.sport = x->mf.ends.sport = 587;
	mail_correlate_end(x->c, &x->mf, T0);
	clean_tls_session(x, "203.0.113.9"); /* mid-stream */
	x->mf.smtp.midstream = true;
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(b->smtp_unknown_mx, 1);
	fx_free(x);
}

/* ---- the history: versions and keys learned at the end of a session ---- */

static void test_history_versions_keys(void **state)
{
	struct fx *x = fx_new();
	const struct server_history *h;

	(void)state;
	clean_tls_session(x, "203.0.113.50");
	x->mf.tls.version = 0x0303;
	x->mf.tls.cert_count = 1;
	memset(x->mf.tls.leaf_spki_sha256, 0xab, 32);
	x->mf.tls.leaf_spki_ok = true;
	mail_correlate_end(x->c, &x->mf, T0);
	h = hist(x, "203.0.113.50");
	assert_non_null(h);
	assert_int_equal(h->max_tls_version, 0x0303);
	assert_int_equal(h->version_sightings, 1);
	assert_int_equal(h->version_last_us, T0);
	assert_int_equal(h->last_seen_us, T0);
	assert_int_equal(h->n_spki, 1);
	assert_int_equal(h->spki_sha256[0][0], 0xab);
	/* the same version again counts; a higher one starts over */
	clean_tls_session(x, "203.0.113.50");
	x->mf.tls.version = 0x0303;
	mail_correlate_end(x->c, &x->mf, T0 + 5);
	assert_int_equal(h->version_sightings, 2);
	assert_int_equal(h->version_last_us, T0 + 5);
	assert_int_equal(h->n_spki, 1);
	clean_tls_session(x, "203.0.113.50");
	x->mf.tls.version = 0x0304;
	mail_correlate_end(x->c, &x->mf, T0 + 6);
	assert_int_equal(h->max_tls_version, 0x0304);
	assert_int_equal(h->version_sightings, 1);
	/* an unfinished handshake teaches no version; an unread key no key */
	clean_tls_session(x, "203.0.113.50");
	x->mf.tls.handshake_complete = false;
	x->mf.tls.cert_count = 1;
	memset(x->mf.tls.leaf_spki_sha256, 0xcd, 32);
	x->mf.tls.leaf_spki_ok = false;
	mail_correlate_end(x->c, &x->mf, T0 + 7);
	assert_int_equal(h->version_sightings, 1);
	assert_int_equal(h->version_last_us, T0 + 6);
	assert_int_equal(h->n_spki, 1);
	assert_int_equal(h->last_seen_us, T0 + 7);
	/* a key seen with no certificate message counts for nothing either */
	clean_tls_session(x, "203.0.113.50");
	x->mf.tls.cert_count = 0;
	x->mf.tls.leaf_spki_ok = true;
	mail_correlate_end(x->c, &x->mf, T0 + 8);
	assert_int_equal(h->n_spki, 1);
	/* a new key goes in front */
	clean_tls_session(x, "203.0.113.50");
	x->mf.tls.cert_count = 2;
	memset(x->mf.tls.leaf_spki_sha256, 0xcd, 32);
	x->mf.tls.leaf_spki_ok = true;
	mail_correlate_end(x->c, &x->mf, T0 + 9);
	assert_int_equal(h->n_spki, 2);
	assert_int_equal(h->spki_sha256[0][0], 0xcd);
	assert_int_equal(h->spki_sha256[1][0], 0xab);
	/* counted once per session, and a session ended twice is one */
	mail_correlate_end(x->c, &x->mf, T0 + 10);
	assert_int_equal(h->last_seen_us, T0 + 9);
	fx_free(x);
}

/* ---- tls-version-downgrade: the downgrade sentinel ---- */

static void test_version_sentinel(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	/* offered TLS 1.3, got 1.2 with DOWNGRD 01 in the ServerHello */
	session(x, "203.0.113.60");
	x->mf.tls.version = 0x0303;
	x->mf.tls.client_version = 0x0304;
	x->mf.tls.downgrade_sentinel = 1;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 1);
	assert_true(eve_has(x, "\"downgrade_sentinel\":\"DOWNGRD 01 (TLS 1.2)\""));
	assert_true(eve_has(x, "\"client_offered\":\"TLS 1.3\""));
	/* guards: no sentinel and no history; the client offered only 1.2;
	   the client offered a version above 1.3 and got 1.3 */
	session(x, "203.0.113.60");
	x->mf.tls.version = 0x0303;
	x->mf.tls.client_version = 0x0304;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	session(x, "203.0.113.60");
	x->mf.tls.version = 0x0302;
	x->mf.tls.client_version = 0x0303;
	x->mf.tls.downgrade_sentinel = 2;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	session(x, "203.0.113.60");
	x->mf.tls.version = 0x0304;
	x->mf.tls.client_version = 0x0305;
	x->mf.tls.downgrade_sentinel = 1;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 1);
	/* DOWNGRD 00: TLS 1.1 or below */
	session(x, "203.0.113.61");
	x->mf.tls.version = 0x0302;
	x->mf.tls.client_version = 0x0304;
	x->mf.tls.downgrade_sentinel = 2;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 2);
	assert_true(eve_has(x, "DOWNGRD 00 (TLS 1.1 or below)"));
	/* history: exactly at the age limit and exactly enough sightings still count;
	   a server that never did more than it answered is no downgrade */
	history(x, "203.0.113.62", 0, T0 - SEC(30 * 86400), 0x0304, 3);
	session(x, "203.0.113.62");
	x->mf.tls.version = 0x0303;
	x->mf.tls.client_version = 0x0304;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 3);
	assert_true(eve_has(x, "\"source\":\"history\""));
	history(x, "203.0.113.63", 0, T0 - SEC(60), 0x0303, 9);
	session(x, "203.0.113.63");
	x->mf.tls.version = 0x0303;
	x->mf.tls.client_version = 0x0304;
	mail_correlate_tls_version(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLS_VERSION_DOWNGRADE), 3);
	fx_free(x);
}

/* ---- TLSA matching: usages, selectors, matching types ---- */

/* A validated TLSA RRset of n records for host (reached at srv). */
static void dns_tlsa(struct fx *x, const char *host, const char *srv,
		     const struct tlsa_record *recs, size_t n)
{
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_tlsa t = {.n = n, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	addr(&a.addr[0], srv);
	expect_put_addrs(correlate_expect(x->c), host, &a, T0);
	for (size_t i = 0; i < n; i++)
		t.rec[i] = recs[i];
	expect_put_tlsa(correlate_expect(x->c), host, 25, &t, T0);
}

/* A chain of two: the leaf filled with 0xaa, the issuer with 0xbb. */
static void chain2(struct fx *x)
{
	cert(x, 0xaa);
	x->mf.ncerts = 2;
	memset(x->mf.certs[0].cert_sha512, 0xa5, 64);
	memset(x->mf.certs[0].spki_sha512, 0xa6, 64);
	memset(x->mf.certs[0].spki_sha256, 0xa7, 32);
	memset(x->mf.certs[1].cert_sha256, 0xbb, 32);
	memset(x->mf.certs[1].spki_sha256, 0xbc, 32);
	memset(x->mf.certs[1].cert_sha512, 0xb5, 64);
	memset(x->mf.certs[1].spki_sha512, 0xb6, 64);
	x->mf.certs[1].spki_ok = true;
}

/* Whether a chain2 session to srv raises tlsa-mismatch against one record. */
static bool mismatch_with(struct fx *x, const char *srv, struct tlsa_record r, uint8_t fill)
{
	static unsigned n;
	char host[64];
	uint64_t before = raised(x, KIND_TLSA_MISMATCH);

	snprintf(host, sizeof(host), "mx%u.match.test", n++);
	memset(r.data, fill, r.len);
	dns_tlsa(x, host, srv, &r, 1);
	session(x, srv);
	chain2(x);
	cert_check(x->c, &x->mf, T0, out(x));
	return raised(x, KIND_TLSA_MISMATCH) > before;
}

static void test_tlsa_match_kinds(void **state)
{
	struct fx *x = fx_new();
	uint64_t base;

	(void)state;
	/* DANE-EE: the leaf only, by certificate or key, SHA-256 or SHA-512 */
	assert_false(
	    mismatch_with(x, "203.0.113.70", (struct tlsa_record){3, 0, 1, 32, {0}}, 0xaa));
	assert_false(
	    mismatch_with(x, "203.0.113.71", (struct tlsa_record){3, 1, 1, 32, {0}}, 0xa7));
	assert_false(
	    mismatch_with(x, "203.0.113.72", (struct tlsa_record){3, 0, 2, 64, {0}}, 0xa5));
	assert_false(
	    mismatch_with(x, "203.0.113.73", (struct tlsa_record){3, 1, 2, 64, {0}}, 0xa6));
	assert_true(mismatch_with(x, "203.0.113.74", (struct tlsa_record){3, 0, 1, 32, {0}}, 0xbb));
	assert_true(mismatch_with(x, "203.0.113.75", (struct tlsa_record){3, 1, 1, 32, {0}}, 0xaa));
	assert_true(mismatch_with(x, "203.0.113.76", (struct tlsa_record){3, 0, 2, 64, {0}}, 0xa6));
	/* a digest of the wrong length never matches */
	assert_true(mismatch_with(x, "203.0.113.77", (struct tlsa_record){3, 0, 1, 31, {0}}, 0xaa));
	assert_true(mismatch_with(x, "203.0.113.78", (struct tlsa_record){3, 0, 2, 32, {0}}, 0xa5));
	/* DANE-TA: any certificate of the chain */
	assert_false(
	    mismatch_with(x, "203.0.113.79", (struct tlsa_record){2, 0, 1, 32, {0}}, 0xbb));
	assert_false(
	    mismatch_with(x, "203.0.113.80", (struct tlsa_record){2, 1, 1, 32, {0}}, 0xbc));
	assert_false(
	    mismatch_with(x, "203.0.113.81", (struct tlsa_record){2, 1, 2, 64, {0}}, 0xb6));
	assert_true(mismatch_with(x, "203.0.113.82", (struct tlsa_record){2, 0, 1, 32, {0}}, 0xcc));
	/* records SMTP cannot use (selector or matching type unknown, usage 0/1):
	   no DANE expectation, no alert */
	assert_false(
	    mismatch_with(x, "203.0.113.83", (struct tlsa_record){3, 2, 1, 32, {0}}, 0xcc));
	assert_false(
	    mismatch_with(x, "203.0.113.84", (struct tlsa_record){3, 0, 3, 32, {0}}, 0xcc));
	assert_false(
	    mismatch_with(x, "203.0.113.85", (struct tlsa_record){1, 0, 1, 32, {0}}, 0xcc));
	assert_false(
	    mismatch_with(x, "203.0.113.86", (struct tlsa_record){4, 0, 1, 32, {0}}, 0xcc));
	/* matching type 0: what full_match found while the DER was at hand */
	base = raised(x, KIND_TLSA_MISMATCH);
	dns_tlsa(x, "mx.full.test", "203.0.113.87", &(struct tlsa_record){3, 0, 0, 1, {0}}, 1);
	session(x, "203.0.113.87");
	chain2(x);
	x->mf.certs[0].full_match_cert = true;
	cert_check(x->c, &x->mf, T0, out(x));
	session(x, "203.0.113.87");
	chain2(x);
	x->mf.certs[0].full_match_spki = true;
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), base + 1);
	assert_true(eve_has(x, "\"spki_sha256\":\"a7a7a7"));
	dns_tlsa(x, "mx.fullspki.test", "203.0.113.88", &(struct tlsa_record){3, 1, 0, 1, {0}}, 1);
	session(x, "203.0.113.88");
	chain2(x);
	x->mf.certs[0].full_match_spki = true;
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), base + 1);
	fx_free(x);
}

/* ---- full-data TLSA pins (matching type 0), compared with the DER ---- */

/* Replaces the policies with text. */
static void fx_policies(struct fx *x, const char *text)
{
	struct policy_set *ps = policy_set_new();
	struct mx_errors errs;

	assert_non_null(ps);
	mx_errors_init(&errs);
	assert_true(policy_load_buffer(ps, "q.yaml", text, strlen(text), NULL, &errs));
	correlate_set_policies(x->c, ps);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_full_match(void **state)
{
	struct fx *x = fx_new();
	X509 *c = make_cert(1, "mx.full.test");
	unsigned char *der = NULL, *spki = NULL;
	int nder = i2d_X509(c, &der);
	int nspki = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c), &spki);
	char *text = malloc((size_t)(nder + nspki) * 2 + 1024);
	char *h1 = malloc((size_t)nder * 2 + 1), *h2 = malloc((size_t)nspki * 2 + 1);
	struct cert_digest d;

	(void)state;
	assert_true(nder > 0 && nspki > 0 && text && h1 && h2);
	hex(der, (size_t)nder, h1);
	hex(spki, (size_t)nspki, h2);
	sprintf(text,
		"policies:\n"
		"  - domain: full.test\n"
		"    addresses: {mx.full.test: 192.0.2.30, mx.key.test: 192.0.2.31}\n"
		"    tlsa:\n"
		"      - {host: mx.full.test, port: 25, records: [\"3 0 0 %s\"]}\n"
		"      - {host: mx.key.test, port: 25, records: [\"3 1 0 %s\", \"3 1 1 %064d\"]}\n",
		h1, h2, 0);
	fx_policies(x, text);
	/* the certificate pinned whole */
	session(x, "192.0.2.30");
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der, (size_t)nder, T0);
	assert_true(d.full_match_cert);
	assert_false(d.full_match_spki);
	/* another certificate, or the pin reached by SNI only */
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der, (size_t)nder - 1, T0);
	assert_false(d.full_match_cert);
	session(x, "203.0.113.9");
	snprintf(x->mf.tls.sni, sizeof(x->mf.tls.sni), "mx.full.test");
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der, (size_t)nder, T0);
	assert_true(d.full_match_cert);
	/* the key pinned whole */
	session(x, "192.0.2.31");
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der, (size_t)nder, T0);
	assert_false(d.full_match_cert);
	assert_true(d.full_match_spki);
	/* not a certificate at all: no key, no match */
	session(x, "192.0.2.31");
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, (const uint8_t *)"junk", 4, T0);
	assert_false(d.full_match_spki);
	/* a server no pin covers */
	session(x, "203.0.113.9");
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der, (size_t)nder, T0);
	assert_false(d.full_match_cert || d.full_match_spki);
	/* the whole pipeline: the pin matched, no mismatch; a digest pin of the same host alone
	 * would */
	session(x, "192.0.2.31");
	cert(x, 0x99);
	x->mf.certs[0].full_match_spki = true;
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 0);
	session(x, "192.0.2.31");
	cert(x, 0x99);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 1);
	free(text);
	free(h1);
	free(h2);
	OPENSSL_free(der);
	OPENSSL_free(spki);
	X509_free(c);
	fx_free(x);
}

/* ---- policies: dane required, and which source names the expectation ---- */

static void test_dane_required_policy(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	fx_policies(x, "policies:\n"
		       "  - domain: dreq.test\n"
		       "    dane: required\n"
		       "    require-tls: true\n"
		       "    addresses: {mx.dreq.test: 192.0.2.40}\n"
		       "  - domain: both.test\n"
		       "    require-tls: true\n"
		       "    mta-sts: {mode: enforce, mx: [mx.both.test], max_age: 86400}\n"
		       "    addresses: {mx.both.test: 192.0.2.41}\n");
	session(x, "192.0.2.40");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_STARTTLS_STRIPPED), 1);
	assert_true(eve_has(x, "\"detail\":\"policy requires DANE\""));
	assert_true(eve_has(x, "\"domain\":\"dreq.test\""));
	session(x, "192.0.2.41");
	mail_correlate_cleartext_mail(x->c, &x->mf, NULL, T0, out(x));
	assert_int_equal(raised(x, KIND_CLEARTEXT_POLICY_VIOLATION), 1);
	assert_true(eve_has(x, "\"detail\":\"policy requires TLS\""));
	/* dane required: a verdict is due even without TLSA */
	clean_tls_session(x, "192.0.2.40");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_true(x->mf.policy.dane);
	assert_string_equal(x->mf.policy.dane_source, "policy");
	assert_int_equal(x->mf.dane, VERDICT_OK);
	clean_tls_session(x, "192.0.2.41");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_false(x->mf.policy.dane);
	assert_int_equal(x->mf.dane, VERDICT_NONE);
	assert_int_equal(x->mf.sts, VERDICT_OK);
	fx_free(x);
}

/* ---- the alert record and the filter: keys, severity, rules ---- */

struct seen_keys {
	enum alert_verdict answer;
	unsigned calls;
	uint32_t sid;
	char domain[EXPECT_NAME_MAX], mx_host[EXPECT_NAME_MAX], src[64], dst[64];
};

static enum alert_verdict record_keys(void *ctx, uint32_t sid, const struct alert_keys *keys,
				      uint64_t ts_us)
{
	struct seen_keys *k = ctx;

	(void)ts_us;
	k->calls++;
	k->sid = sid;
	snprintf(k->domain, sizeof(k->domain), "%s", keys->domain ? keys->domain : "-");
	snprintf(k->mx_host, sizeof(k->mx_host), "%s", keys->mx_host ? keys->mx_host : "-");
	mx_addr_str(keys->src, k->src, sizeof(k->src));
	mx_addr_str(keys->dst, k->dst, sizeof(k->dst));
	return k->answer;
}

static void test_alert_keys_and_filter(void **state)
{
	struct fx *x = fx_new();
	struct seen_keys k = {.answer = ALERT_PASS};
	const struct alert_counters *ac = alert_counters(correlate_alerts(x->c));
	struct alert_rule off;

	(void)state;
	alert_set_filter(correlate_alerts(x->c), record_keys, &k);
	/* the expectation's domain and MX host are the keys; the server is the source */
	session(x, "192.0.2.25");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(k.calls, 1);
	assert_string_equal(k.domain, "required.test");
	assert_string_equal(k.mx_host, "mx.required.test");
	assert_string_equal(k.src, "192.0.2.25");
	assert_string_equal(k.dst, "198.51.100.7");
	assert_int_equal(k.sid, kind_sid(KIND_STARTTLS_STRIPPED));
	/* a recipient domain's policy: the policy's domain, though the session knew none */
	session(x, "203.0.113.9");
	mail_correlate_cleartext_mail(x->c, &x->mf, "required.test", T0, out(x));
	assert_string_equal(k.domain, "required.test");
	assert_string_equal(k.mx_host, "-");
	assert_string_equal(k.src, "198.51.100.7");
	assert_string_equal(k.dst, "203.0.113.9");
	/* DANE by SNI: the host whose TLSA applies */
	session(x, "203.0.113.9");
	cert(x, 0x99);
	snprintf(x->mf.tls.sni, sizeof(x->mf.tls.sni), "mx.pinned.test");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_string_equal(k.mx_host, "mx.pinned.test");
	assert_int_equal(ac->written, 3);
	/* suppressed and rate limited: counted, not written, the session still marked */
	k.answer = ALERT_SUPPRESSED;
	session(x, "192.0.2.25");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_true(x->mf.alerted[KIND_STARTTLS_STRIPPED]);
	k.answer = ALERT_RATE_LIMITED;
	session(x, "192.0.2.25");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(ac->suppressed, 1);
	assert_int_equal(ac->rate_limited, 1);
	assert_int_equal(ac->written, 3);
	assert_int_equal(ac->raised, 5);
	assert_int_equal(raised(x, KIND_STARTTLS_STRIPPED), 1);
	/* a disabled rule: counted as such, the filter not asked */
	k.answer = ALERT_PASS;
	off = *alert_get_rule(correlate_alerts(x->c), KIND_STARTTLS_STRIPPED);
	off.enabled = false;
	alert_set_rule(correlate_alerts(x->c), KIND_STARTTLS_STRIPPED, &off);
	assert_false(alert_get_rule(correlate_alerts(x->c), KIND_STARTTLS_STRIPPED)->enabled);
	session(x, "192.0.2.25");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(ac->disabled, 1);
	assert_int_equal(k.calls, 5);
	assert_null(alert_get_rule(correlate_alerts(x->c), KIND_COUNT));
	fx_free(x);
}

static void test_alert_record(void **state)
{
	struct fx *x = fx_new();
	struct alert_rule r;

	(void)state;
	/* a configured expectation: the rule's severity; no incident for a session alert */
	session(x, "192.0.2.25");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_true(eve_has(x, "\"severity\":2"));
	assert_true(eve_has(x, "\"expectation_source\":[\"policy\"]"));
	assert_true(eve_has(x, "\"validated\":true"));
	assert_false(eve_has(x, "\"incident\""));
	assert_false(eve_has(x, "\"severity\":4"));
	/* resting on history only: two steps lower */
	history(x, "203.0.113.10", 3, T0 - SEC(86400), 0, 0);
	session(x, "203.0.113.10");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_true(eve_has(x, "\"severity\":4"));
	assert_true(eve_has(x, "\"trust\":\"history\""));
	/* the rule's own severities for history and validated expectations */
	r = *alert_get_rule(correlate_alerts(x->c), KIND_STARTTLS_STRIPPED);
	r.history_severity = 1;
	r.expected_severity = 3;
	r.severity = 1;
	alert_set_rule(correlate_alerts(x->c), KIND_STARTTLS_STRIPPED, &r);
	history(x, "203.0.113.11", 3, T0 - SEC(86400), 0, 0);
	session(x, "203.0.113.11");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_true(eve_has(x, "\"severity\":1,"));
	assert_false(eve_has(x, "\"severity\":3,"));
	session(x, "192.0.2.26");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_true(eve_has(x, "\"severity\":3,"));
	fx_free(x);
}

/* ---- the kinds' names, sids and TLSRPT result types ---- */

static void test_kind_names(void **state)
{
	(void)state;
	for (int k = 0; k < KIND_COUNT; k++) {
		assert_int_equal(kind_by_name(kind_name((enum mx_kind)k)), k);
		assert_int_equal(kind_sid((enum mx_kind)k), kind_sid(KIND_STARTTLS_STRIPPED) + k);
	}
	assert_int_equal(kind_by_name("tlsa-stripped"), KIND_TLSA_STRIPPED);
	assert_int_equal(kind_by_name("no-such-kind"), KIND_COUNT);
	assert_int_equal(kind_by_name(""), KIND_COUNT);
	assert_string_equal(kind_name(KIND_COUNT), "unknown");
	assert_null(kind_tlsrpt(KIND_COUNT));
	assert_null(kind_tlsrpt(KIND_STREAM_EVASION));
	assert_string_equal(kind_tlsrpt(KIND_CERTIFICATE_EXPIRED), "certificate-expired");
}

static void test_format_tlsa(void **state)
{
	struct tlsa_record r = {3, 1, 1, 4, {0xde, 0xad, 0xbe, 0xef}};
	char buf[64], small[12];

	(void)state;
	alert_format_tlsa(&r, buf, sizeof(buf));
	assert_string_equal(buf, "3 1 1 deadbeef");
	/* cut at whole bytes when the room runs out */
	alert_format_tlsa(&r, small, sizeof(small));
	assert_string_equal(small, "3 1 1 dead");
	r.len = 0;
	alert_format_tlsa(&r, buf, sizeof(buf));
	assert_string_equal(buf, "3 1 1 ");
}

/* A host known both from DNS and from a policy is one name the server is known by. */
static void test_known_as_once(void **state)
{
	struct fx *x = fx_new();
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	addr(&a.addr[0], "192.0.2.26");
	expect_put_addrs(correlate_expect(x->c), "MX.sts.test.", &a, T0);
	session(x, "192.0.2.26");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(x->mf.nhosts, 1);
	assert_string_equal(x->mf.hosts[0], "mx.sts.test");
	assert_int_equal(raised_total(x), 0);
	fx_free(x);
}

/*
 * A claimed host that the validated MX set lists is no redirect, even
 * when its addresses are no longer known (the session learnt the name the
 * server is known by before the address set expired).
 */
static void test_claim_listed_no_addrs(void **state)
{
	struct fx *x = fx_new();
	struct expect_store *st = correlate_expect(x->c);
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 - SEC(10)};

	(void)state;
	snprintf(mx.mx[0].host, EXPECT_NAME_MAX, "mx.listed.test");
	expect_put_mx(st, "listed.test", &mx, T0 - SEC(100));
	addr(&a.addr[0], "203.0.113.70");
	expect_put_addrs(st, "mx.listed.test", &a, T0 - SEC(100));
	session(x, "203.0.113.70");
	mail_correlate_targets(x->c, &x->mf, T0 - SEC(50));
	assert_int_equal(x->mf.nhosts, 1);
	assert_null(expect_get_addrs(st, "mx.listed.test", T0));
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	fx_free(x);
}

/* The redirect evidence: the names the server is known by, the policy's MX patterns. */
static void test_redirect_evidence(void **state)
{
	struct fx *x = fx_new();
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	session(x, "192.0.2.25"); /* mx.required.test */
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(eve_has(x, "\"mail_domain\":\"sts.test\""));
	assert_true(eve_has(x, "\"server_known_as\":[\"mx.required.test\"]"));
	assert_true(eve_has(x, "\"policy_mx\":[\"mx.sts.test\"]"));
	assert_false(eve_has(x, "\"expected_mx\""));
	fx_free(x);

	/* against a validated MX set, from a server known by no name */
	x = fx_new();
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	addr(&a.addr[0], "198.51.100.25");
	expect_put_mx(correlate_expect(x->c), "signed.test", &mx, T0);
	expect_put_addrs(correlate_expect(x->c), "mx.signed.test", &a, T0);
	session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "signed.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(eve_has(x, "\"expected_mx\":[\"mx.signed.test\"]"));
	assert_false(eve_has(x, "\"server_known_as\""));
	assert_false(eve_has(x, "\"policy_mx\""));
	fx_free(x);

	/* a policy of a name and a wildcard */
	x = fx_new();
	fx_policies(x, "policies:\n"
		       "  - domain: pat.test\n"
		       "    mta-sts: {mode: enforce, mx: [mx1.pat.test, \"*.pool.pat.test\"], "
		       "max_age: 604800}\n"
		       "  - domain: other.test\n"
		       "    addresses: {mx.other.test: 192.0.2.29}\n");
	session(x, "192.0.2.29");
	mail_correlate_rcpt(x->c, &x->mf, "pat.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(eve_has(x, "\"server_known_as\":[\"mx.other.test\"]"));
	assert_true(eve_has(x, "\"policy_mx\":[\"mx1.pat.test\",\"*.pool.pat.test\"]"));
	fx_free(x);

	/* a policy with no MX pattern at all: every name is refused, none listed */
	x = fx_new();
	fx_policies(x, "policies:\n"
		       "  - domain: none.test\n"
		       "    mta-sts: {mode: enforce, mx: [], max_age: 604800}\n"
		       "  - domain: other.test\n"
		       "    addresses: {mx.other.test: 192.0.2.29}\n");
	session(x, "192.0.2.29");
	mail_correlate_rcpt(x->c, &x->mf, "none.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(eve_has(x, "\"server_known_as\":[\"mx.other.test\"]"));
	assert_false(eve_has(x, "\"policy_mx\""));
	fx_free(x);
}

/* ---- the session's names, looked up once; what is no name ---- */

static void test_targets_once(void **state)
{
	struct fx *x = fx_new();
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	session(x, "192.0.2.25");
	mail_correlate_targets(x->c, &x->mf, T0);
	assert_int_equal(x->mf.nhosts, 1);
	assert_string_equal(x->mf.hosts[0], "mx.required.test");
	assert_int_equal(x->mf.ndomains, 1);
	/* a name that gets the server's address later does not join the session */
	addr(&a.addr[0], "192.0.2.25");
	expect_put_addrs(correlate_expect(x->c), "mx.late.test", &a, T0);
	mail_correlate_targets(x->c, &x->mf, T0 + 1);
	mail_correlate_end(x->c, &x->mf, T0 + 2);
	assert_int_equal(x->mf.nhosts, 1);
	/* a new session to the server knows both */
	session(x, "192.0.2.25");
	mail_correlate_targets(x->c, &x->mf, T0 + 3);
	assert_int_equal(x->mf.nhosts, 2);
	/* an empty recipient domain is no domain */
	session(x, "203.0.113.9");
	x->mf.smtp.nrcpt = 2;
	snprintf(x->mf.smtp.rcpt_domain[0], sizeof(x->mf.smtp.rcpt_domain[0]), ".");
	snprintf(x->mf.smtp.rcpt_domain[1], sizeof(x->mf.smtp.rcpt_domain[1]), "Rcpt.Test.");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.ndomains, 1);
	assert_string_equal(x->mf.domains[0], "rcpt.test");
	/* at most MAIL_MAX_TARGETS names are kept, the first ones */
	for (int i = 0; i < MAIL_MAX_TARGETS + 2; i++) {
		char h[32];

		snprintf(h, sizeof(h), "mx%d.many.test", i);
		addr(&a.addr[0], "203.0.113.90");
		expect_put_addrs(correlate_expect(x->c), h, &a, T0);
	}
	session(x, "203.0.113.90");
	mail_correlate_targets(x->c, &x->mf, T0);
	assert_int_equal(x->mf.nhosts, MAIL_MAX_TARGETS);
	fx_free(x);
}

/* ---- mx-redirect: what it fails, the MTA-STS claims, policy addresses ---- */

/* The verdict of what a redirect broke fails with it: DANE's MX set or the MTA-STS policy. */
static void test_redirect_verdicts(void **state)
{
	struct fx *x = fx_new();
	struct expect_store *st = correlate_expect(x->c);
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	addr(&a.addr[0], "198.51.100.25");
	expect_put_mx(st, "signed.test", &mx, T0);
	expect_put_addrs(st, "mx.signed.test", &a, T0);
	mx.trust = EXPECT_CONFIGURED;
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.conf.test");
	expect_put_mx(st, "conf.test", &mx, T0);
	expect_put_addrs(st, "mx.conf.test", &a, T0);

	/* DANE's validated MX set: the DANE verdict fails, MTA-STS has none */
	clean_tls_session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "signed.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(x->mf.redirect_dane);
	assert_false(x->mf.redirect_sts);
	/* one redirect per session: a later recipient breaking MTA-STS adds nothing */
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_false(x->mf.redirect_sts);
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_FAIL);
	assert_int_equal(x->mf.sts, VERDICT_NONE);
	/* the MTA-STS policy: its verdict fails, DANE has none */
	clean_tls_session(x, "192.0.2.25");
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 2);
	assert_true(x->mf.redirect_sts);
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_FAIL);
	assert_int_equal(x->mf.dane, VERDICT_NONE);
	/* an MX set a policy file configured: source policy, neither verdict */
	clean_tls_session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "conf.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 3);
	assert_true(eve_has(x, "\"expectation_source\":[\"policy\"]"));
	assert_false(x->mf.redirect_dane || x->mf.redirect_sts);
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.dane, VERDICT_NONE);
	assert_int_equal(x->mf.sts, VERDICT_NONE);
	fx_free(x);
}

/* Recipient domains: an unvalidated MX set, MX hosts known in part, resolver AD. */
static void test_redirect_rcpt_guards(void **state)
{
	struct fx *x = fx_new();
	struct expect_store *st = correlate_expect(x->c);
	struct expect_mxset mx = {
	    .n = 1, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	addr(&a.addr[0], "198.51.100.25");
	expect_put_addrs(st, "mx.signed.test", &a, T0);
	/* a plain MX answer is no expectation */
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	expect_put_mx(st, "plain.test", &mx, T0);
	session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "plain.test", T0, out(x));
	/* one MX host's addresses unknown: the server may be that one */
	mx.trust = EXPECT_DNSSEC;
	mx.n = 2;
	snprintf(mx.mx[1].host, sizeof(mx.mx[1].host), "mx.nowhere.test");
	expect_put_mx(st, "half.test", &mx, T0);
	session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "half.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	/* an MX host known by a policy's addresses only: the server is it, or not */
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.required.test");
	mx.n = 1;
	expect_put_mx(st, "bypolicy.test", &mx, T0);
	session(x, "192.0.2.25");
	mail_correlate_rcpt(x->c, &x->mf, "bypolicy.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "bypolicy.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(eve_has(x, "\"expected_mx\":[\"mx.required.test\"]"));
	/* vouched for by a resolver's AD bit: the expectation names it */
	mx.trust = EXPECT_RESOLVER_AD;
	addr(&mx.resolver, "198.51.100.53");
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	expect_put_mx(st, "ad.test", &mx, T0);
	session(x, "203.0.113.9");
	mail_correlate_rcpt(x->c, &x->mf, "ad.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 2);
	assert_true(eve_has(x, "\"resolver\":\"198.51.100.53\""));
	assert_true(eve_has(x, "\"trust\":\"resolver-ad\""));
	fx_free(x);
}

/* MTA-STS in mode none: no expectation of MX names, no verdict. */
static void test_sts_mode_none(void **state)
{
	struct fx *x = fx_new();
	struct expect_mxset forged = {
	    .n = 1, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};

	(void)state;
	fx_policies(x, "policies:\n"
		       "  - domain: off.test\n"
		       "    mta-sts: {mode: none, mx: [mx.off.test], max_age: 86400}\n"
		       "  - domain: other.test\n"
		       "    addresses: {mx.other.test: 192.0.2.29}\n");
	session(x, "192.0.2.29");
	mail_correlate_rcpt(x->c, &x->mf, "off.test", T0, out(x));
	/* a forged MX answer for it names the server's name */
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "evil.example");
	expect_put_mx(correlate_expect(x->c), "off.test", &forged, T0);
	addr(&a.addr[0], "203.0.113.66");
	expect_put_addrs(correlate_expect(x->c), "evil.example", &a, T0);
	clean_tls_session(x, "203.0.113.66");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	x->mf.smtp.nrcpt = 1;
	snprintf(x->mf.smtp.rcpt_domain[0], sizeof(x->mf.smtp.rcpt_domain[0]), "off.test");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_false(x->mf.policy.sts);
	assert_int_equal(x->mf.sts, VERDICT_NONE);
	fx_free(x);
}

/* The server known only by a name a forged MX answer gave a domain with an MTA-STS policy. */
static void test_redirect_claims_sts(void **state)
{
	struct fx *x = fx_new();
	struct expect_store *st = correlate_expect(x->c);
	struct expect_mxset forged = {
	    .n = 1, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "evil.example");
	expect_put_mx(st, "sts.test", &forged, T0);
	addr(&a.addr[0], "203.0.113.66");
	expect_put_addrs(st, "evil.example", &a, T0);
	clean_tls_session(x, "203.0.113.66");
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(x->mf.redirect_sts);
	assert_false(x->mf.redirect_dane);
	assert_true(eve_has(x, "the MTA-STS policy does not allow"));
	assert_true(eve_has(x, "\"tlsrpt_result\":\"sts-policy-invalid\""));
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_FAIL);
	/* an answer naming a host the policy allows is no redirect */
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "mx.sts.test");
	expect_put_mx(st, "sts.test", &forged, T0);
	session(x, "192.0.2.26");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	fx_free(x);
}

/* A DANE claim: already alerted, the MX set gone, a set that no longer names the host. */
static void test_redirect_claims_guards(void **state)
{
	struct fx *x = fx_new();
	struct expect_store *st = correlate_expect(x->c);
	struct expect_mxset good = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_mxset forged = {
	    .n = 1, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(good.mx[0].host, EXPECT_NAME_MAX, "mx.signed.test");
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "evil.example");
	expect_put_mx(st, "signed.test", &good, T0);
	expect_put_mx(st, "signed.test", &forged, T0);
	addr(&a.addr[0], "198.51.100.25");
	expect_put_addrs(st, "mx.signed.test", &a, T0);
	a.expires_us = T0 + SEC(86400);
	addr(&a.addr[0], "203.0.113.66");
	expect_put_addrs(st, "evil.example", &a, T0);
	/* a session that already had its mx-redirect is not judged again */
	session(x, "203.0.113.66");
	x->mf.smtp.starttls_offered = true;
	x->mf.alerted[KIND_MX_REDIRECT] = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_false(x->mf.redirect_dane);
	assert_int_equal(raised_total(x), 0);
	/* the validated MX set has expired: nothing to compare the claim with */
	session(x, "203.0.113.66");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0 + SEC(7200), out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	/* only unvalidated answers, the last one naming another host: no expectation */
	forged.expires_us = T0 + SEC(86400);
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "evil.example");
	expect_put_mx(st, "plain.test", &forged, T0 + SEC(7100));
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "mx.plain.test");
	expect_put_mx(st, "plain.test", &forged, T0 + SEC(7101));
	session(x, "203.0.113.66");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0 + SEC(7200), out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 0);
	/* a validated MX set of resolver AD: named in the expectation */
	good.trust = EXPECT_RESOLVER_AD;
	good.expires_us = T0 + SEC(86400);
	addr(&good.resolver, "198.51.100.53");
	snprintf(good.mx[0].host, EXPECT_NAME_MAX, "mx.ad.test");
	expect_put_mx(st, "ad.test", &good, T0 + SEC(7100));
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "evil.example");
	expect_put_mx(st, "ad.test", &forged, T0 + SEC(7100));
	session(x, "203.0.113.66");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0 + SEC(7200), out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(eve_has(x, "\"resolver\":\"198.51.100.53\""));
	assert_true(eve_has(x, "\"expected_mx\":[\"mx.ad.test\"]"));
	fx_free(x);
}

/* ---- TLSA: a digest of the wrong length; long pins ---- */

static void test_tlsa_lengths(void **state)
{
	struct fx *x = fx_new();
	struct tlsa_record r = {3, 0, 1, 64, {0}};
	char text[1024], h[300];

	(void)state;
	/* a SHA-256 record of 64 bytes whose first 32 are the leaf's digest */
	memset(r.data, 0xaa, 32);
	dns_tlsa(x, "mx.long.test", "203.0.113.95", &r, 1);
	session(x, "203.0.113.95");
	chain2(x);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 1);
	/* a full-certificate pin longer than the bytes kept for the evidence
	   still makes DANE expected */
	memset(h, 'b', 160);
	h[160] = '\0';
	snprintf(text, sizeof(text),
		 "policies:\n"
		 "  - domain: pins.test\n"
		 "    addresses: {mx.whole.test: 192.0.2.51}\n"
		 "    tlsa:\n"
		 "      - {host: mx.whole.test, port: 25, records: [\"3 0 0 %s\"]}\n",
		 h);
	fx_policies(x, text);
	session(x, "192.0.2.51");
	mail_correlate_cleartext_mail(x->c, &x->mf, NULL, T0, out(x));
	assert_int_equal(raised(x, KIND_CLEARTEXT_POLICY_VIOLATION), 1);
	fx_free(x);
}

/* Full-data pins compare every byte: a certificate or key of the same length is no match. */
static void test_full_match_bytes(void **state)
{
	struct fx *x = fx_new();
	X509 *c = make_cert(1, "mx.full.test"), *other = make_cert(1, "mx.full.test");
	unsigned char *der = NULL, *spki = NULL, *der2 = NULL;
	int nder = i2d_X509(c, &der), nspki = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c), &spki);
	int nder2 = i2d_X509(other, &der2);
	char *text = malloc((size_t)(nder + nspki) * 2 + 1024);
	char *h1 = malloc((size_t)nder * 2 + 1), *h2 = malloc((size_t)nspki * 2 + 1);
	struct cert_digest d;

	(void)state;
	assert_true(nder > 0 && nspki > 0 && nder2 > 0 && text && h1 && h2);
	hex(der, (size_t)nder, h1);
	hex(spki, (size_t)nspki, h2);
	sprintf(text,
		"policies:\n"
		"  - domain: full.test\n"
		"    addresses: {mx.full.test: 192.0.2.30, mx.key.test: 192.0.2.31, "
		"mx.short.test: 192.0.2.32}\n"
		"    tlsa:\n"
		"      - {host: mx.full.test, port: 25, records: [\"3 0 0 %s\"]}\n"
		"      - {host: mx.key.test, port: 25, records: [\"3 1 0 %s\"]}\n"
		"      - {host: mx.short.test, port: 25, records: [\"3 1 0 %.20s\"]}\n",
		h1, h2, h2);
	fx_policies(x, text);
	/* the same certificate with one byte changed */
	der[nder - 1] ^= 0x01;
	session(x, "192.0.2.30");
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der, (size_t)nder, T0);
	assert_false(d.full_match_cert);
	der[nder - 1] ^= 0x01;
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der, (size_t)nder, T0);
	assert_true(d.full_match_cert);
	/* another key of the same type (and length) */
	session(x, "192.0.2.31");
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der2, (size_t)nder2, T0);
	assert_false(d.full_match_spki);
	/* a pin holding only the key's first bytes */
	session(x, "192.0.2.32");
	memset(&d, 0, sizeof(d));
	mail_correlate_full_match(x->c, &x->mf, &d, der, (size_t)nder, T0);
	assert_false(d.full_match_spki);
	free(text);
	free(h1);
	free(h2);
	OPENSSL_free(der);
	OPENSSL_free(der2);
	OPENSSL_free(spki);
	X509_free(c);
	X509_free(other);
	fx_free(x);
}

/* A leaf that does not parse: the names kept from the dissector decide. */
static void test_cert_host_bad_der(void **state)
{
	struct fx *x = fx_new();
	static uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};

	(void)state;
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "x", "mx.sts.test");
	x->mf.leaf_der = junk;
	x->mf.leaf_der_len = sizeof(junk);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 0);
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "x", "mail.other.test");
	x->mf.leaf_der = junk;
	x->mf.leaf_der_len = sizeof(junk);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 1);
	fx_free(x);
}

/* The masked-keyword rule: a keyword is printable ASCII, whatever it shares with STARTTLS. */
static void test_masked_rule_bytes(void **state)
{
	(void)state;
	assert_false(smtp_keyword_is_masked_starttls("STARTTL ", 8));
	assert_false(smtp_keyword_is_masked_starttls(" TARTTLS", 8));
	assert_false(smtp_keyword_is_masked_starttls("STARTTL\x7f", 8));
	assert_false(smtp_keyword_is_masked_starttls("XXXXXX\xffX", 8));
	assert_true(smtp_keyword_is_masked_starttls("STARTTL~", 8));
	assert_true(smtp_keyword_is_masked_starttls("!TARTTLS", 8));
	/* eight bytes exactly */
	assert_false(smtp_keyword_is_masked_starttls("XXXXXXXXX", 9));
	assert_false(smtp_keyword_is_masked_starttls("XXXXXXX", 7));
}

/* ---- tls-fallback-cleartext ---- */

static void test_fallback(void **state)
{
	struct fx *x = fx_new();
	struct tls_failure_facts prev = {.used = true, .ts_us = T0, .flow_id = 7};

	(void)state;
	snprintf(prev.why, sizeof(prev.why), "handshake failure");
	addr(&prev.cli, "198.51.100.7");
	addr(&prev.srv, "203.0.113.9");
	/* the same client and server in cleartext, exactly at the window's end */
	session(x, "203.0.113.9");
	assert_true(mail_correlate_fallback(x->c, &x->mf, &prev, T0 + SEC(600), out(x)));
	assert_int_equal(raised(x, KIND_TLS_FALLBACK_CLEARTEXT), 1);
	assert_true(x->mf.alerted[KIND_TLS_FALLBACK_CLEARTEXT]);
	assert_true(eve_has(x, "\"tls_failure\":\"handshake failure\""));
	assert_true(eve_has(x, "\"seconds_after_failure\":600"));
	assert_true(eve_has(x, "\"failed_flow_id\":7"));
	/* guards: nothing remembered, the failed flow itself, another client or
	   server, a failure after the mail, one too long before */
	session(x, "203.0.113.9");
	prev.used = false;
	assert_false(mail_correlate_fallback(x->c, &x->mf, &prev, T0 + SEC(1), out(x)));
	prev.used = true;
	prev.flow_id = x->mf.ends.flow_id;
	assert_false(mail_correlate_fallback(x->c, &x->mf, &prev, T0 + SEC(1), out(x)));
	prev.flow_id = 7;
	addr(&prev.cli, "198.51.100.8");
	assert_false(mail_correlate_fallback(x->c, &x->mf, &prev, T0 + SEC(1), out(x)));
	addr(&prev.cli, "198.51.100.7");
	addr(&prev.srv, "203.0.113.8");
	assert_false(mail_correlate_fallback(x->c, &x->mf, &prev, T0 + SEC(1), out(x)));
	addr(&prev.srv, "203.0.113.9");
	assert_false(mail_correlate_fallback(x->c, &x->mf, &prev, T0 - 1, out(x)));
	assert_false(mail_correlate_fallback(x->c, &x->mf, &prev, T0 + SEC(600) + 1, out(x)));
	assert_false(x->mf.alerted[KIND_TLS_FALLBACK_CLEARTEXT]);
	assert_int_equal(raised(x, KIND_TLS_FALLBACK_CLEARTEXT), 1);
	fx_free(x);
}

/* ---- certificate-host-mismatch: no allowed name to check; the first policy noted ---- */

static void test_cert_host_no_allowed_name(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	fx_policies(x, "policies:\n"
		       "  - domain: x.test\n"
		       "    mta-sts: {mode: enforce, mx: [mx1.x.test], max_age: 86400}\n"
		       "    addresses: {other.x.test: 192.0.2.60}\n");
	/* known only by a name the policy does not allow: that is mx-redirect's
	   to say; the certificate has no MX host to name */
	session(x, "192.0.2.60");
	cert(x, 0x01);
	sans(x, "x", "mail.other.test");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 0);
	/* the SNI the policy allows is the name to check */
	session(x, "192.0.2.60");
	cert(x, 0x01);
	sans(x, "x", "mail.other.test");
	snprintf(x->mf.tls.sni, sizeof(x->mf.tls.sni), "mx1.x.test");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 1);
	assert_true(eve_has(x, "\"mx_host\":\"mx1.x.test\""));
	fx_free(x);
}

static void test_policy_notes_first(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	clean_tls_session(x, "192.0.2.26"); /* sts.test, enforce */
	x->mf.smtp.nrcpt = 1;
	snprintf(x->mf.smtp.rcpt_domain[0], sizeof(x->mf.smtp.rcpt_domain[0]), "testing.test");
	mail_correlate_end(x->c, &x->mf, T0);
	assert_true(x->mf.policy.sts);
	assert_string_equal(x->mf.policy.sts_domain, "sts.test");
	assert_int_equal(x->mf.policy.sts_mode, MTASTS_MODE_ENFORCE);
	fx_free(x);
}

/* A validated MX set with no host at all: the evidence lists none. */
static void test_redirect_null_mx(void **state)
{
	struct fx *x = fx_new();
	struct expect_store *st = correlate_expect(x->c);
	struct expect_mxset none = {.n = 0, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_mxset forged = {
	    .n = 1, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_UNVALIDATED, .expires_us = T0 + SEC(3600)};

	(void)state;
	expect_put_mx(st, "nullmx.test", &none, T0);
	snprintf(forged.mx[0].host, EXPECT_NAME_MAX, "evil.example");
	expect_put_mx(st, "nullmx.test", &forged, T0);
	addr(&a.addr[0], "203.0.113.66");
	expect_put_addrs(st, "evil.example", &a, T0);
	session(x, "203.0.113.66");
	x->mf.smtp.starttls_offered = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(eve_has(x, "\"mail_domain\":\"nullmx.test\""));
	assert_false(eve_has(x, "\"expected_mx\""));
	fx_free(x);
}

/* ---- MTA-STS PKIX: certificate-not-trusted and certificate-expired ---- */

/* A certificate for cn valid [T0 + from, T0 + to] seconds, signed by issuer
   with ikey (itself when issuer is NULL); ca: may sign others. */
static X509 *pkix_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, bool ca,
		       long from, long to)
{
	static long serial = 100;
	X509 *c = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(issuer ? issuer : c));
	ASN1_TIME_set(X509_getm_notBefore(c), (time_t)(T0 / MX_USEC) + from);
	ASN1_TIME_set(X509_getm_notAfter(c), (time_t)(T0 / MX_USEC) + to);
	X509_set_pubkey(c, key);
	X509V3_set_ctx(&v3, issuer ? issuer : c, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	assert_non_null(ext);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c, issuer ? ikey : key, EVP_sha256()) > 0);
	return c;
}

/* The session's chain: DER copies of certs (n of them), freed by chain_free. */
static void chain_der(struct fx *x, X509 **certs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(certs[i], &der);

		assert_true(len > 0);
		x->mf.chain_der[i] = malloc((size_t)len);
		assert_non_null(x->mf.chain_der[i]);
		memcpy(x->mf.chain_der[i], der, (size_t)len);
		x->mf.chain_der_len[i] = (size_t)len;
		OPENSSL_free(der);
	}
	x->mf.ncerts = n;
}

static void chain_free(struct fx *x)
{
	for (unsigned i = 0; i < TLS_CHAIN_MAX; i++) {
		free(x->mf.chain_der[i]);
		x->mf.chain_der[i] = NULL;
	}
}

/* One enforce-policy session to srv presenting certs; true when it raised kind k. */
static bool pkix_session(struct fx *x, const char *srv, X509 **certs, unsigned n, enum mx_kind k)
{
	uint64_t before = raised(x, k);

	session(x, srv);
	cert(x, 0x01);
	sans(x, "x", "*.pkix.test");
	chain_der(x, certs, n);
	cert_check(x->c, &x->mf, T0, out(x));
	chain_free(x);
	return raised(x, k) > before;
}

static void test_pkix_alerts(void **state)
{
	struct correlate_config cfg;
	struct fx *x;
	EVP_PKEY *kr = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ki = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *kl = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *root, *inter, *leaf, *old, *stray;
	char ca[64];
	FILE *fp;
	int fd;

	(void)state;
	assert_true(kr && ki && kl);
	root = pkix_cert("Mail Root", kr, NULL, NULL, true, -86400L * 3650, 86400L * 3650);
	inter = pkix_cert("Mail Intermediate", ki, root, kr, true, -86400L * 365, 86400L * 365);
	leaf = pkix_cert("mx.pkix.test", kl, inter, ki, false, -86400L * 10, 86400L * 80);
	old = pkix_cert("mx.pkix.test", kl, inter, ki, false, -86400L * 100, -86400L);
	stray = pkix_cert("mx.pkix.test", kl, NULL, NULL, false, -86400L * 10, 86400L * 80);
	snprintf(ca, sizeof(ca), "/tmp/mx-maildetect-ca-XXXXXX");
	fd = mkstemp(ca);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_true(PEM_write_X509(fp, root) == 1);
	fclose(fp);
	correlate_config_defaults(&cfg);
	cfg.ca_file = ca;
	x = fx_new_cfg(&cfg);
	fx_policies(x, "policies:\n"
		       "  - domain: pkix.test\n"
		       "    mta-sts: {mode: enforce, mx: [\"*.pkix.test\"], max_age: 86400}\n"
		       "    addresses: {mx.pkix.test: 192.0.2.80}\n"
		       "  - domain: soft.test\n"
		       "    mta-sts: {mode: testing, mx: [\"*.soft.test\"], max_age: 86400}\n"
		       "    addresses: {mx.soft.test: 192.0.2.81}\n"
		       "  - domain: both.test\n"
		       "    mta-sts: {mode: enforce, mx: [\"*.both.test\"], max_age: 86400}\n"
		       "    addresses: {mx.both.test: 192.0.2.82}\n"
		       "    tlsa:\n"
		       "      - host: mx.both.test\n"
		       "        port: 25\n"
		       "        records:\n"
		       "          - \"3 0 1 "
		       "0101010101010101010101010101010101010101010101010101010101010101\"\n");
	/* a chain to the trusted root, the intermediate handed over */
	assert_false(pkix_session(x, "192.0.2.80", (X509 *[]){leaf, inter}, 2,
				  KIND_CERTIFICATE_NOT_TRUSTED));
	assert_int_equal(raised(x, KIND_CERTIFICATE_EXPIRED), 0);
	/* without the intermediate it leads nowhere */
	assert_true(
	    pkix_session(x, "192.0.2.80", (X509 *[]){leaf}, 1, KIND_CERTIFICATE_NOT_TRUSTED));
	assert_true(eve_has(x, "\"verify_error\""));
	assert_true(eve_has(x, "\"chain_length\":1"));
	assert_true(eve_has(x, "chain leads to no trusted root"));
	assert_true(eve_has(x, "\"domain\":\"pkix.test\""));
	/* self-signed */
	assert_true(
	    pkix_session(x, "192.0.2.80", (X509 *[]){stray}, 1, KIND_CERTIFICATE_NOT_TRUSTED));
	/* expired at the time of the packet */
	assert_true(
	    pkix_session(x, "192.0.2.80", (X509 *[]){old, inter}, 2, KIND_CERTIFICATE_EXPIRED));
	assert_true(eve_has(x, "\"not_after\""));
	assert_true(eve_has(x, "outside its validity"));
	assert_int_equal(raised(x, KIND_CERTIFICATE_NOT_TRUSTED), 2);
	/* testing mode, a DANE host, no chain, a chain that does not parse: not judged */
	assert_false(
	    pkix_session(x, "192.0.2.81", (X509 *[]){stray}, 1, KIND_CERTIFICATE_NOT_TRUSTED));
	assert_false(
	    pkix_session(x, "192.0.2.82", (X509 *[]){stray}, 1, KIND_CERTIFICATE_NOT_TRUSTED));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 0);
	session(x, "192.0.2.80");
	cert(x, 0x01);
	sans(x, "x", "*.pkix.test");
	cert_check(x->c, &x->mf, T0, out(x));
	session(x, "192.0.2.80");
	cert(x, 0x01);
	sans(x, "x", "*.pkix.test");
	x->mf.chain_der[0] = (uint8_t *)"junk";
	x->mf.chain_der_len[0] = 4;
	cert_check(x->c, &x->mf, T0, out(x));
	x->mf.chain_der[0] = NULL;
	assert_int_equal(raised(x, KIND_CERTIFICATE_NOT_TRUSTED), 2);
	assert_int_equal(raised(x, KIND_CERTIFICATE_EXPIRED), 1);
	fx_free(x);
	unlink(ca);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_free(old);
	X509_free(stray);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(ki);
	EVP_PKEY_free(kl);
}

/* An implicit-TLS session shows no EHLO reply in cleartext: it teaches no STARTTLS history. */
static void test_history_implicit_tls(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	clean_tls_session(x, "203.0.113.34");
	x->mf.implicit_tls = true;
	mail_correlate_ehlo(x->c, &x->mf, T0, out(x));
	assert_null(hist(x, "203.0.113.34"));
	fx_free(x);
}

/* A DANE expectation names no domain: the session's own domain is the key. */
static void test_keys_dane_domain(void **state)
{
	struct fx *x = fx_new();
	struct seen_keys k = {.answer = ALERT_PASS};

	(void)state;
	alert_set_filter(correlate_alerts(x->c), record_keys, &k);
	session(x, "192.0.2.28"); /* mx.pinned.test of pinned.test */
	cert(x, 0x99);
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_TLSA_MISMATCH), 1);
	assert_string_equal(k.domain, "pinned.test");
	assert_string_equal(k.mx_host, "mx.pinned.test");
	fx_free(x);
}

/* A session is redirected once: a later recipient that would break MTA-STS adds nothing. */
static void test_redirect_once(void **state)
{
	struct fx *x = fx_new();
	struct expect_mxset mx = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.signed.test");
	addr(&a.addr[0], "198.51.100.25");
	expect_put_mx(correlate_expect(x->c), "signed.test", &mx, T0);
	expect_put_addrs(correlate_expect(x->c), "mx.signed.test", &a, T0);
	clean_tls_session(x, "192.0.2.25"); /* known as mx.required.test only */
	mail_correlate_rcpt(x->c, &x->mf, "signed.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	assert_true(x->mf.redirect_dane);
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_false(x->mf.redirect_sts);
	mail_correlate_end(x->c, &x->mf, T0);
	assert_int_equal(x->mf.sts, VERDICT_NONE);
	/* the same recipient alone would have broken the policy */
	clean_tls_session(x, "192.0.2.25");
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_true(x->mf.redirect_sts);
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 2);
	fx_free(x);
}

/* The certificate's evidence: every name the dissector kept, the CN, the SNI. */
static void test_cert_evidence_names(void **state)
{
	struct fx *x = fx_new();

	(void)state;
	session(x, "192.0.2.26");
	cert(x, 0x01);
	sans(x, "mail.cn.test", "mail.other.test");
	snprintf(x->mf.san[x->mf.nsan++], EXPECT_NAME_MAX, "%s", "mail2.other.test");
	cert_check(x->c, &x->mf, T0, out(x));
	assert_int_equal(raised(x, KIND_CERTIFICATE_HOST_MISMATCH), 1);
	assert_true(eve_has(x, "\"subjectaltname\":[\"mail.other.test\",\"mail2.other.test\"]"));
	assert_true(eve_has(x, "\"subject_cn\":\"mail.cn.test\""));
	assert_true(eve_has(x, "\"mx_host\":\"mx.sts.test\""));
	fx_free(x);
}

/* Puts an expectation fact with its source into st. */
static void put_shared(struct state *st, enum state_kind k, const char *key, const char *value,
		       const char *source)
{
	struct state_fact f;

	memset(&f, 0, sizeof(f));
	f.kind = k;
	snprintf(f.key, sizeof(f.key), "%s", key);
	f.value = value;
	f.value_len = strlen(value);
	f.learned_us = T0 - SEC(10);
	f.expires_us = T0 + SEC(3600);
	snprintf(f.source, sizeof(f.source), "%s", source);
	snprintf(f.trust, sizeof(f.trust), "dnssec");
	state_put(st, &f);
}

/*
 * An MX set another sensor shared through the state store: the mx-redirect
 * it leads to names that sensor in the expectation's learned_from; the
 * same set this sensor stored itself names nobody.
 */
static void test_shared_mx_named(void **state)
{
	static const char *const sources[] = {"sensor B via redis: DNS MX answer", "DNS MX answer"};
	struct state_config cfg;
	char dir[64], path[128], p2[160], err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mx-mailstate-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	state_config_defaults(&cfg);
	cfg.flush_ms = 20;
	for (int i = 0; i < 2; i++) {
		struct fx *x = fx_new();
		struct state *st = state_open(path, &cfg, err, sizeof(err));

		assert_non_null(st);
		put_shared(st, STATE_MX, "shared.test",
			   "{\"trust\":\"dnssec\",\"expires_us\":1800003600000000,"
			   "\"mx\":[[10,\"mx.shared.test\"]]}",
			   sources[i]);
		put_shared(st, STATE_ADDRS, "mx.shared.test",
			   "{\"trust\":\"dnssec\",\"expires_us\":1800003600000000,"
			   "\"addrs\":[\"198.51.100.25\"]}",
			   sources[i]);
		state_sync(st);
		assert_true(correlate_load_state(x->c, st, err, sizeof(err)));
		assert_int_equal(state_counters(st)->load_rejected, 0);
		session(x, "203.0.113.9");
		mail_correlate_rcpt(x->c, &x->mf, "shared.test", T0, out(x));
		assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
		assert_true(eve_has(x, "\"expected_mx\":[\"mx.shared.test\"]"));
		assert_int_equal(
		    eve_has(x, "\"learned_from\":\"sensor B via redis: DNS MX answer\""), i == 0);
		assert_int_equal(eve_has(x, "\"learned_from\""), i == 0);
		state_close(st);
		fx_free(x);
	}
	unlink(path);
	snprintf(p2, sizeof(p2), "%s-wal", path);
	unlink(p2);
	snprintf(p2, sizeof(p2), "%s-shm", path);
	unlink(p2);
	rmdir(dir);
}

/*
 * A server among the domain's validated MX hosts is no redirect, even
 * where the domain's MTA-STS patterns leave its name out: that is the
 * domain's own inconsistency, not mail taken elsewhere.
 */
static void test_validated_mx_before_sts(void **state)
{
	struct fx *x = fx_new();
	struct expect_mxset mx = {.n = 2, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};
	struct expect_addrs a = {.n = 1, .trust = EXPECT_DNSSEC, .expires_us = T0 + SEC(3600)};

	(void)state;
	snprintf(mx.mx[0].host, sizeof(mx.mx[0].host), "mx.sts.test");
	snprintf(mx.mx[1].host, sizeof(mx.mx[1].host), "mx.required.test");
	addr(&a.addr[0], "192.0.2.25");
	expect_put_addrs(correlate_expect(x->c), "mx.required.test", &a, T0);
	/* without the MX set, MTA-STS alone says redirect */
	session(x, "192.0.2.25");
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	expect_put_mx(correlate_expect(x->c), "sts.test", &mx, T0);
	session(x, "192.0.2.25");
	mail_correlate_rcpt(x->c, &x->mf, "sts.test", T0, out(x));
	assert_int_equal(raised(x, KIND_MX_REDIRECT), 1);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stripped_policy),
	    cmocka_unit_test(test_stripped_history),
	    cmocka_unit_test(test_rejected),
	    cmocka_unit_test(test_cleartext),
	    cmocka_unit_test(test_cleartext_dane),
	    cmocka_unit_test(test_mx_redirect),
	    cmocka_unit_test(test_mx_redirect_claims),
	    cmocka_unit_test(test_known_as_once),
	    cmocka_unit_test(test_claim_listed_no_addrs),
	    cmocka_unit_test(test_redirect_evidence),
	    cmocka_unit_test(test_tlsa_mismatch_pins),
	    cmocka_unit_test(test_tlsa_mismatch_dns),
	    cmocka_unit_test(test_cert_host),
	    cmocka_unit_test(test_cert_host_x509),
	    cmocka_unit_test(test_version_floor),
	    cmocka_unit_test(test_version_history),
	    cmocka_unit_test(test_history_learning),
	    cmocka_unit_test(test_verdicts),
	    cmocka_unit_test(test_masked_rule),
	    cmocka_unit_test(test_policy_notes),
	    cmocka_unit_test(test_policy_notes_dns),
	    cmocka_unit_test(test_verdicts_tls),
	    cmocka_unit_test(test_unknown_mx_counter),
	    cmocka_unit_test(test_history_versions_keys),
	    cmocka_unit_test(test_version_sentinel),
	    cmocka_unit_test(test_tlsa_match_kinds),
	    cmocka_unit_test(test_full_match),
	    cmocka_unit_test(test_dane_required_policy),
	    cmocka_unit_test(test_alert_keys_and_filter),
	    cmocka_unit_test(test_alert_record),
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test(test_format_tlsa),
	    cmocka_unit_test(test_targets_once),
	    cmocka_unit_test(test_redirect_verdicts),
	    cmocka_unit_test(test_redirect_rcpt_guards),
	    cmocka_unit_test(test_sts_mode_none),
	    cmocka_unit_test(test_redirect_claims_sts),
	    cmocka_unit_test(test_redirect_claims_guards),
	    cmocka_unit_test(test_tlsa_lengths),
	    cmocka_unit_test(test_full_match_bytes),
	    cmocka_unit_test(test_cert_host_bad_der),
	    cmocka_unit_test(test_masked_rule_bytes),
	    cmocka_unit_test(test_fallback),
	    cmocka_unit_test(test_cert_host_no_allowed_name),
	    cmocka_unit_test(test_policy_notes_first),
	    cmocka_unit_test(test_redirect_null_mx),
	    cmocka_unit_test(test_pkix_alerts),
	    cmocka_unit_test(test_history_implicit_tls),
	    cmocka_unit_test(test_keys_dane_domain),
	    cmocka_unit_test(test_redirect_once),
	    cmocka_unit_test(test_cert_evidence_names),
	    cmocka_unit_test(test_shared_mx_named),
	    cmocka_unit_test(test_validated_mx_before_sts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
