/*
 * test_dnssec.c - unit tests of the passive DNSSEC validator. Every
 * fixture is signed here with ldns: a lab trust anchor (DS of the `test.`
 * KSK), `test.` DNSKEYs, the DS of `example.test.` signed by `test.`, the
 * `example.test.` DNSKEYs, MX/TLSA/TXT RRsets, and the whole example.test
 * zone signed once with NSEC and once with NSEC3 for the denial proofs.
 * Algorithms: ECDSAP256SHA256 (test.), ED25519 (example.test KSK, where
 * ldns has it), RSASHA256 (example.test ZSK).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "dnssec/dnssec.h"
#include "dnssec/trust_anchor.h"

/* Packet time of the tests and the validity window of the signatures. */
#define T0	   1700000000u
#define T_US	   ((uint64_t)T0 * MX_USEC)
#define INCEPTION  (T0 - 86400u)
#define EXPIRATION (T0 + 30u * 86400u)

/* The example.test. KSK: Ed25519 where this ldns has it. */
#if LDNS_BUILD_CONFIG_USE_ED25519
#define EX_KSK_SIGN LDNS_SIGN_ED25519
#define EX_KSK_ALG  LDNS_ED25519
#else
#define EX_KSK_SIGN LDNS_SIGN_ECDSAP256SHA256
#define EX_KSK_ALG  LDNS_ECDSAP256SHA256
#endif

static const char zone_text[] =
    "$ORIGIN example.test.\n"
    "$TTL 3600\n"
    "@ IN SOA ns.example.test. host.example.test. 1 3600 600 86400 300\n"
    "@ IN NS ns.example.test.\n"
    "@ IN MX 10 mx.example.test.\n"
    "ns IN A 192.0.2.1\n"
    "mx IN A 192.0.2.2\n"
    "_mta-sts IN TXT \"v=STSv1; id=20240101\"\n"
    "_25._tcp.mx IN TLSA 3 1 1 "
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
    "*.wild IN TXT \"wild\"\n"
    "unsigned IN NS ns.elsewhere.\n";

struct fx {
	ldns_key *test_ksk, *test_zsk, *ex_ksk, *ex_zsk, *rogue;
	ldns_rr *test_ksk_rr, *test_zsk_rr, *ex_ksk_rr, *ex_zsk_rr;
	ldns_rr_list *test_keys, *test_keys_sig;
	ldns_rr_list *ex_ds, *ex_ds_sig;
	ldns_rr_list *ex_keys, *ex_keys_sig;
	char anchor_text[512];
	struct trust_anchors *ta;
	ldns_dnssec_zone *znsec, *znsec3, *znsec3o;
	ldns_rr_list *znsec_new, *znsec3_new, *znsec3o_new;
};

static struct fx F;

/* ------------------------------------------------------------------ */
/* Helpers */

static ldns_rr *rr(const char *s)
{
	ldns_rr *r = NULL;

	assert_int_equal(ldns_rr_new_frm_str(&r, s, 3600, NULL, NULL), LDNS_STATUS_OK);
	return r;
}

/* A new list holding the given records (NULL-terminated). */
static ldns_rr_list *list_of(ldns_rr *first, ...)
{
	ldns_rr_list *l = ldns_rr_list_new();
	va_list ap;

	va_start(ap, first);
	for (ldns_rr *r = first; r != NULL; r = va_arg(ap, ldns_rr *))
		assert_true(ldns_rr_list_push_rr(l, r));
	va_end(ap);
	return l;
}

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);

	assert_non_null(d);
	return d;
}

static ldns_key *mkkey(ldns_signing_algorithm alg, uint16_t bits, const char *owner, uint16_t flags,
		       ldns_rr **key_rr)
{
	ldns_key *k = ldns_key_new_frm_algorithm(alg, bits);
	ldns_rr *r;

	assert_non_null(k);
	ldns_key_set_pubkey_owner(k, dname(owner));
	ldns_key_set_flags(k, flags);
	r = ldns_key2rr(k);
	assert_non_null(r);
	ldns_rr_set_ttl(r, 3600);
	ldns_key_set_keytag(k, ldns_calc_keytag(r));
	*key_rr = r;
	return k;
}

/* RRSIGs of rrset by key k valid from inc to exp. */
static ldns_rr_list *sign_with(ldns_rr_list *rrset, ldns_key *k, uint32_t inc, uint32_t exp)
{
	ldns_key_list *kl = ldns_key_list_new();
	ldns_rr_list *sigs;

	ldns_key_set_inception(k, inc);
	ldns_key_set_expiration(k, exp);
	assert_true(ldns_key_list_push_key(kl, k));
	sigs = ldns_sign_public(rrset, kl);
	assert_non_null(sigs);
	assert_int_equal(ldns_rr_list_rr_count(sigs), 1);
	ldns_key_list_set_key_count(kl, 0);
	ldns_key_list_free(kl);
	return sigs;
}

static ldns_rr_list *sign(ldns_rr_list *rrset, ldns_key *k)
{
	return sign_with(rrset, k, INCEPTION, EXPIRATION);
}

static ldns_pkt *pkt_new(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *q = ldns_rr_new();

	assert_non_null(p);
	assert_non_null(q);
	ldns_rr_set_owner(q, dname(qname));
	ldns_rr_set_type(q, qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, rcode);
	return p;
}

/* Adds copies of the records of l to a section. */
static void pkt_add(ldns_pkt *p, ldns_pkt_section s, const ldns_rr_list *l)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		assert_true(ldns_pkt_push_rr(p, s, ldns_rr_clone(ldns_rr_list_rr(l, i))));
}

/* A response carrying rrset and sigs in its answer section. */
static ldns_pkt *answer_pkt(const char *qname, ldns_rr_type qtype, const ldns_rr_list *rrset,
			    const ldns_rr_list *sigs)
{
	ldns_pkt *p = pkt_new(qname, qtype, LDNS_RCODE_NOERROR);

	pkt_add(p, LDNS_SECTION_ANSWER, rrset);
	if (sigs != NULL)
		pkt_add(p, LDNS_SECTION_ANSWER, sigs);
	return p;
}

static void observe(struct dnssec_validator *v, const char *qname, ldns_rr_type qtype,
		    const ldns_rr_list *rrset, const ldns_rr_list *sigs, uint64_t ts)
{
	ldns_pkt *p = answer_pkt(qname, qtype, rrset, sigs);

	dnssec_observe_pkt(v, p, ts);
	ldns_pkt_free(p);
}

/* Observes the whole chain test. -> example.test. in order. */
static void observe_chain(struct dnssec_validator *v, uint64_t ts)
{
	observe(v, "test.", LDNS_RR_TYPE_DNSKEY, F.test_keys, F.test_keys_sig, ts);
	observe(v, "example.test.", LDNS_RR_TYPE_DS, F.ex_ds, F.ex_ds_sig, ts);
	observe(v, "example.test.", LDNS_RR_TYPE_DNSKEY, F.ex_keys, F.ex_keys_sig, ts);
}

static struct dnssec_validator *new_validator(void)
{
	struct dnssec_validator *v = dnssec_new(F.ta, NULL);

	assert_non_null(v);
	return v;
}

static void free_lists(ldns_rr_list *a, ldns_rr_list *b)
{
	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(b);
}

static ldns_rr_list *mx_rrset(void)
{
	return list_of(rr("example.test. 3600 IN MX 10 mx.example.test."),
		       rr("example.test. 3600 IN MX 20 mx2.example.test."), NULL);
}

/* Records of a signed zone's new records with this owner and type (RRSIG: type covered). */
static ldns_rr_list *zone_pick(const ldns_rr_list *l, const char *owner, ldns_rr_type type,
			       bool sigs)
{
	ldns_rdf *o = dname(owner);
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *r = ldns_rr_list_rr(l, i);

		if (ldns_dname_compare(ldns_rr_owner(r), o) != 0)
			continue;
		if (!sigs && ldns_rr_get_type(r) == type)
			assert_true(ldns_rr_list_push_rr(out, ldns_rr_clone(r)));
		if (sigs && ldns_rr_get_type(r) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(r)) == type)
			assert_true(ldns_rr_list_push_rr(out, ldns_rr_clone(r)));
	}
	ldns_rdf_deep_free(o);
	return out;
}

/* Adds an NSEC (or NSEC3) of the signed zone with its RRSIG to the authority section. */
static void add_denial(ldns_pkt *p, const ldns_rr_list *zone_new, const char *owner,
		       ldns_rr_type type)
{
	ldns_rr_list *set = zone_pick(zone_new, owner, type, false);
	ldns_rr_list *sig = zone_pick(zone_new, owner, type, true);

	assert_int_equal(ldns_rr_list_rr_count(set), 1);
	assert_true(ldns_rr_list_rr_count(sig) >= 1);
	pkt_add(p, LDNS_SECTION_AUTHORITY, set);
	pkt_add(p, LDNS_SECTION_AUTHORITY, sig);
	free_lists(set, sig);
}

/* Adds every record of type (and its RRSIGs) of the signed zone to the authority section. */
static void add_all(ldns_pkt *p, const ldns_rr_list *zone_new, ldns_rr_type type)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(zone_new); i++) {
		ldns_rr *r = ldns_rr_list_rr(zone_new, i);

		if (ldns_rr_get_type(r) == type ||
		    (ldns_rr_get_type(r) == LDNS_RR_TYPE_RRSIG &&
		     ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(r)) == type))
			assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, ldns_rr_clone(r)));
	}
}

static ldns_dnssec_zone *sign_zone(ldns_rr_list **new_rrs, bool nsec3, uint8_t flags)
{
	FILE *f = fmemopen((void *)(uintptr_t)zone_text, sizeof(zone_text) - 1, "r");
	ldns_rdf *origin = dname("example.test.");
	ldns_dnssec_zone *z = NULL;
	ldns_key_list *kl = ldns_key_list_new();
	uint8_t salt[4] = {0xaa, 0xbb, 0xcc, 0xdd};
	ldns_status s;

	assert_non_null(f);
	assert_int_equal(ldns_dnssec_zone_new_frm_fp(&z, f, origin, 3600, LDNS_RR_CLASS_IN),
			 LDNS_STATUS_OK);
	fclose(f);
	ldns_rdf_deep_free(origin);
	*new_rrs = ldns_rr_list_new();
	ldns_key_set_inception(F.ex_zsk, INCEPTION);
	ldns_key_set_expiration(F.ex_zsk, EXPIRATION);
	assert_true(ldns_key_list_push_key(kl, F.ex_zsk));
	if (nsec3)
		s = ldns_dnssec_zone_sign_nsec3(z, *new_rrs, kl,
						ldns_dnssec_default_replace_signatures, NULL, 1,
						flags, 5, sizeof(salt), salt);
	else
		s = ldns_dnssec_zone_sign(z, *new_rrs, kl, ldns_dnssec_default_replace_signatures,
					  NULL);
	assert_int_equal(s, LDNS_STATUS_OK);
	ldns_key_list_set_key_count(kl, 0);
	ldns_key_list_free(kl);
	return z;
}

/* ------------------------------------------------------------------ */
/* Fixtures */

static int group_setup(void **state)
{
	ldns_rr *ds;
	char *ds_str;
	char err[TRUST_ANCHOR_ERR_MAX];
	ldns_rr *rogue_rr;

	(void)state;
	memset(&F, 0, sizeof(F));
	F.test_ksk = mkkey(LDNS_SIGN_ECDSAP256SHA256, 256, "test.", 257, &F.test_ksk_rr);
	F.test_zsk = mkkey(LDNS_SIGN_ECDSAP256SHA256, 256, "test.", 256, &F.test_zsk_rr);
	F.ex_ksk = mkkey(EX_KSK_SIGN, 256, "example.test.", 257, &F.ex_ksk_rr);
	F.ex_zsk = mkkey(LDNS_SIGN_RSASHA256, 1024, "example.test.", 256, &F.ex_zsk_rr);
	/* a key of example.test. that is not in its DNSKEY RRset, with another tag */
	do {
		if (F.rogue != NULL)
			ldns_key_deep_free(F.rogue);
		F.rogue = mkkey(LDNS_SIGN_RSASHA256, 1024, "example.test.", 256, &rogue_rr);
		ldns_rr_free(rogue_rr);
	} while (ldns_key_keytag(F.rogue) == ldns_key_keytag(F.ex_zsk) ||
		 ldns_key_keytag(F.rogue) == ldns_key_keytag(F.ex_ksk));

	F.test_keys = list_of(ldns_rr_clone(F.test_ksk_rr), ldns_rr_clone(F.test_zsk_rr), NULL);
	F.test_keys_sig = sign(F.test_keys, F.test_ksk);
	ds = ldns_key_rr2ds(F.ex_ksk_rr, LDNS_SHA256);
	assert_non_null(ds);
	F.ex_ds = list_of(ds, NULL);
	F.ex_ds_sig = sign(F.ex_ds, F.test_zsk);
	F.ex_keys = list_of(ldns_rr_clone(F.ex_ksk_rr), ldns_rr_clone(F.ex_zsk_rr), NULL);
	F.ex_keys_sig = sign(F.ex_keys, F.ex_ksk);

	/* the lab anchor: DS of the test. KSK */
	ds = ldns_key_rr2ds(F.test_ksk_rr, LDNS_SHA256);
	ds_str = ldns_rr2str(ds);
	snprintf(F.anchor_text, sizeof(F.anchor_text), "; lab anchor\n%s", ds_str);
	free(ds_str);
	ldns_rr_free(ds);
	F.ta = trust_anchors_new();
	assert_non_null(F.ta);
	assert_true(trust_anchors_load_text(F.ta, F.anchor_text, strlen(F.anchor_text), "lab", err,
					    sizeof(err)));

	F.znsec = sign_zone(&F.znsec_new, false, 0);
	F.znsec3 = sign_zone(&F.znsec3_new, true, 0);
	F.znsec3o = sign_zone(&F.znsec3o_new, true, LDNS_NSEC3_VARS_OPTOUT_MASK);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ldns_key_deep_free(F.test_ksk);
	ldns_key_deep_free(F.test_zsk);
	ldns_key_deep_free(F.ex_ksk);
	ldns_key_deep_free(F.ex_zsk);
	ldns_key_deep_free(F.rogue);
	ldns_rr_free(F.test_ksk_rr);
	ldns_rr_free(F.test_zsk_rr);
	ldns_rr_free(F.ex_ksk_rr);
	ldns_rr_free(F.ex_zsk_rr);
	free_lists(F.test_keys, F.test_keys_sig);
	free_lists(F.ex_ds, F.ex_ds_sig);
	free_lists(F.ex_keys, F.ex_keys_sig);
	trust_anchors_free(F.ta);
	ldns_rr_list_free(F.znsec_new);
	ldns_rr_list_free(F.znsec3_new);
	ldns_rr_list_free(F.znsec3o_new);
	ldns_dnssec_zone_deep_free(F.znsec);
	ldns_dnssec_zone_deep_free(F.znsec3);
	ldns_dnssec_zone_deep_free(F.znsec3o);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The chain and RRset validation */

static void test_chain_secure(void **state)
{
	struct dnssec_validator *v = new_validator();
	const struct dnssec_counters *c = dnssec_counters(v);
	ldns_rr_list *mx = mx_rrset(), *mx_sig = sign(mx, F.ex_zsk);
	ldns_rr_list *tlsa = list_of(rr("_25._tcp.mx.example.test. 3600 IN TLSA 3 1 1 "
					"0123456789abcdef0123456789abcdef0123456789abcdef01234567"
					"89abcdef"),
				     NULL);
	ldns_rr_list *tlsa_sig = sign(tlsa, F.ex_zsk);
	ldns_rr_list *txt =
	    list_of(rr("_mta-sts.example.test. 3600 IN TXT \"v=STSv1; id=1\""), NULL);
	ldns_rr_list *txt_sig = sign(txt, F.ex_zsk);
	struct dnssec_result r;
	char zone[DNSSEC_NAME_MAX];

	(void)state;
	observe_chain(v, T_US);
	assert_int_equal(c->keys_validated, 2);
	assert_int_equal(c->ds_validated, 1);
	assert_int_equal(c->keys_cached, 2);
	assert_int_equal(c->ds_cached, 1);
	assert_int_equal(c->pending, 0);
	assert_true(c->memuse > 0);

	dnssec_validate_rrset(v, mx, mx_sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	assert_int_equal(r.reason, DNSSEC_R_NONE);
	assert_string_equal(r.signer, "example.test");
	assert_int_equal(r.key_tag, ldns_key_keytag(F.ex_zsk));
	assert_int_equal(r.algorithm, LDNS_RSASHA256);
	assert_true(r.zone_known_signed);
	assert_string_equal(r.zone, "example.test");

	dnssec_validate_rrset(v, tlsa, tlsa_sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	dnssec_validate_rrset(v, txt, txt_sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	assert_int_equal(c->validated, 3);

	/* the DNSKEY RRsets themselves validate too (ECDSA and Ed25519 signatures) */
	dnssec_validate_rrset(v, F.test_keys, F.test_keys_sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	assert_int_equal(r.algorithm, LDNS_ECDSAP256SHA256);
	dnssec_validate_rrset(v, F.ex_keys, F.ex_keys_sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	assert_int_equal(r.algorithm, EX_KSK_ALG);

	assert_true(dnssec_zone_known_signed(v, "mx.example.test", T_US, zone, sizeof(zone)));
	assert_string_equal(zone, "example.test");
	assert_true(dnssec_zone_known_signed(v, "example.test.", T_US, NULL, 0));
	assert_true(dnssec_zone_known_signed(v, "test", T_US, zone, sizeof(zone)));
	assert_string_equal(zone, "test");
	assert_false(dnssec_zone_known_signed(v, "www.other.test", T_US, zone, sizeof(zone)));
	assert_string_equal(zone, "");
	assert_false(dnssec_zone_known_signed(v, "example.com", T_US, NULL, 0));

	/* seen again: nothing new to validate */
	observe_chain(v, T_US + MX_USEC);
	assert_int_equal(c->keys_validated, 2);

	free_lists(mx, mx_sig);
	free_lists(tlsa, tlsa_sig);
	free_lists(txt, txt_sig);
	dnssec_free(v);
}

static void test_validate_answer(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset(), *mx_sig = sign(mx, F.ex_zsk);
	ldns_pkt *p = answer_pkt("example.test.", LDNS_RR_TYPE_MX, mx, mx_sig);
	ldns_rdf *owner = dname("example.test.");
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	assert_true(dnssec_validate_answer(v, p, owner, LDNS_RR_TYPE_MX, T_US, &r));
	assert_int_equal(r.status, DNSSEC_SECURE);
	assert_false(dnssec_validate_answer(v, p, owner, LDNS_RR_TYPE_TLSA, T_US, &r));
	assert_int_equal(r.status, DNSSEC_INDETERMINATE);
	assert_int_equal(r.reason, DNSSEC_R_MALFORMED_RRSET);
	ldns_rdf_deep_free(owner);
	ldns_pkt_free(p);
	free_lists(mx, mx_sig);
	dnssec_free(v);
}

static void test_expired(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset();
	ldns_rr_list *sig = sign_with(mx, F.ex_zsk, T0 - 20 * 86400u, T0 - 10 * 86400u);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	assert_int_equal(r.reason, DNSSEC_R_SIG_EXPIRED);
	assert_string_equal(dnssec_reason_name(r.reason), "signature-expired");
	assert_string_equal(r.signer, "example.test");
	assert_int_equal(r.key_tag, ldns_key_keytag(F.ex_zsk));
	assert_int_equal(dnssec_counters(v)->bogus, 1);
	free_lists(mx, sig);
	dnssec_free(v);
}

static void test_not_yet_valid(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset();
	ldns_rr_list *sig = sign_with(mx, F.ex_zsk, T0 + 86400u, T0 + 10 * 86400u);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	assert_int_equal(r.reason, DNSSEC_R_SIG_NOT_INCEPTED);
	free_lists(mx, sig);
	dnssec_free(v);
}

static void test_wrong_key(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset(), *sig = sign(mx, F.rogue);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	assert_int_equal(r.reason, DNSSEC_R_WRONG_KEY);
	assert_int_equal(r.key_tag, ldns_key_keytag(F.rogue));
	free_lists(mx, sig);
	dnssec_free(v);
}

static void test_tampered(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset(), *sig = sign(mx, F.ex_zsk);
	ldns_rr_list *forged = list_of(rr("example.test. 3600 IN MX 10 mx.attacker.example."),
				       rr("example.test. 3600 IN MX 20 mx2.example.test."), NULL);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	dnssec_validate_rrset(v, forged, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	assert_int_equal(r.reason, DNSSEC_R_BAD_SIGNATURE);
	/* a second, good signature makes it secure */
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	free_lists(mx, sig);
	ldns_rr_list_deep_free(forged);
	dnssec_free(v);
}

static void test_no_signatures(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset();
	ldns_rr_list *other = list_of(rr("example.org. 3600 IN MX 10 mx.example.org."), NULL);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	dnssec_validate_rrset(v, mx, NULL, T_US, &r);
	assert_int_equal(r.status, DNSSEC_INDETERMINATE);
	assert_int_equal(r.reason, DNSSEC_R_NO_SIGNATURES);
	assert_true(r.zone_known_signed);
	assert_string_equal(r.zone, "example.test");
	dnssec_validate_rrset(v, other, NULL, T_US, &r);
	assert_int_equal(r.status, DNSSEC_INSECURE);
	assert_int_equal(r.reason, DNSSEC_R_UNSIGNED_ZONE);
	assert_false(r.zone_known_signed);
	/* once the keys have expired, the zone is no longer known signed */
	dnssec_validate_rrset(v, mx, NULL, T_US + 2 * 86400 * MX_USEC, &r);
	assert_int_equal(r.status, DNSSEC_INSECURE);
	assert_true(dnssec_counters(v)->expired > 0);
	ldns_rr_list_deep_free(mx);
	ldns_rr_list_deep_free(other);
	dnssec_free(v);
}

static void test_keys_unknown(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset(), *sig = sign(mx, F.ex_zsk);
	struct dnssec_result r;

	(void)state;
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_INDETERMINATE);
	assert_int_equal(r.reason, DNSSEC_R_KEYS_UNKNOWN);
	assert_string_equal(r.signer, "example.test");
	assert_false(r.zone_known_signed);
	/* the zone's keys alone, without the DS, do not validate */
	observe(v, "example.test.", LDNS_RR_TYPE_DNSKEY, F.ex_keys, F.ex_keys_sig, T_US);
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_INDETERMINATE);
	assert_int_equal(dnssec_counters(v)->pending, 1);
	free_lists(mx, sig);
	dnssec_free(v);
}

static void test_order_independence(void **state)
{
	struct dnssec_validator *v = new_validator();
	const struct dnssec_counters *c = dnssec_counters(v);
	ldns_rr_list *mx = mx_rrset(), *sig = sign(mx, F.ex_zsk);
	struct dnssec_result r;

	(void)state;
	/* child first: the DNSKEY RRset, then the DS, then the parent's keys */
	observe(v, "example.test.", LDNS_RR_TYPE_DNSKEY, F.ex_keys, F.ex_keys_sig, T_US);
	observe(v, "example.test.", LDNS_RR_TYPE_DS, F.ex_ds, F.ex_ds_sig, T_US + 1);
	assert_int_equal(c->pending, 2);
	assert_int_equal(c->keys_validated, 0);
	dnssec_validate_rrset(v, mx, sig, T_US + 2, &r);
	assert_int_equal(r.status, DNSSEC_INDETERMINATE);
	observe(v, "test.", LDNS_RR_TYPE_DNSKEY, F.test_keys, F.test_keys_sig, T_US + 3);
	assert_int_equal(c->pending, 0);
	assert_int_equal(c->keys_validated, 2);
	assert_int_equal(c->ds_validated, 1);
	dnssec_validate_rrset(v, mx, sig, T_US + 4, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	free_lists(mx, sig);
	dnssec_free(v);
}

static void test_one_message_chain(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p = pkt_new("example.test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);

	(void)state;
	/* a response carrying the whole chain, child first */
	pkt_add(p, LDNS_SECTION_ANSWER, F.ex_keys);
	pkt_add(p, LDNS_SECTION_ANSWER, F.ex_keys_sig);
	pkt_add(p, LDNS_SECTION_AUTHORITY, F.ex_ds);
	pkt_add(p, LDNS_SECTION_AUTHORITY, F.ex_ds_sig);
	pkt_add(p, LDNS_SECTION_ADDITIONAL, F.test_keys);
	pkt_add(p, LDNS_SECTION_ADDITIONAL, F.test_keys_sig);
	dnssec_observe_pkt(v, p, T_US);
	assert_int_equal(dnssec_counters(v)->keys_validated, 2);
	assert_int_equal(dnssec_counters(v)->ds_validated, 1);
	assert_true(dnssec_zone_known_signed(v, "example.test", T_US, NULL, 0));
	ldns_pkt_free(p);
	dnssec_free(v);
}

static void test_pending_expires(void **state)
{
	struct dnssec_config cfg;
	struct dnssec_validator *v;
	const struct dnssec_counters *c;

	(void)state;
	dnssec_config_defaults(&cfg);
	cfg.max_pending = 1;
	v = dnssec_new(F.ta, &cfg);
	assert_non_null(v);
	c = dnssec_counters(v);
	observe(v, "example.test.", LDNS_RR_TYPE_DNSKEY, F.ex_keys, F.ex_keys_sig, T_US);
	observe(v, "example.test.", LDNS_RR_TYPE_DS, F.ex_ds, F.ex_ds_sig, T_US);
	/* one slot: the DS pushed the DNSKEY RRset out */
	assert_int_equal(c->pending, 1);
	assert_int_equal(c->pending_dropped, 1);
	/* past the TTL the pending DS is gone */
	dnssec_tick(v, T_US + 7200 * MX_USEC);
	assert_int_equal(c->pending, 0);
	assert_int_equal(c->pending_dropped, 2);
	dnssec_free(v);
}

static void test_bogus_dnskey(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr *rogue_rr = ldns_key2rr(F.rogue);
	ldns_rr_list *keys, *sig;

	(void)state;
	/* a DNSKEY RRset for example.test. signed by a key the DS does not name */
	ldns_rr_set_ttl(rogue_rr, 3600);
	keys = list_of(rogue_rr, ldns_rr_clone(F.ex_zsk_rr), NULL);
	sig = sign(keys, F.rogue);
	observe(v, "test.", LDNS_RR_TYPE_DNSKEY, F.test_keys, F.test_keys_sig, T_US);
	observe(v, "example.test.", LDNS_RR_TYPE_DS, F.ex_ds, F.ex_ds_sig, T_US);
	observe(v, "example.test.", LDNS_RR_TYPE_DNSKEY, keys, sig, T_US);
	assert_int_equal(dnssec_counters(v)->keys_bogus, 1);
	assert_int_equal(dnssec_counters(v)->keys_cached, 1);
	free_lists(keys, sig);
	dnssec_free(v);
}

static void test_wildcard(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *w = list_of(rr("*.wild.example.test. 3600 IN TXT \"wild\""), NULL);
	ldns_rr_list *sig = sign(w, F.ex_zsk);
	ldns_rr_list *expanded = list_of(rr("a.b.wild.example.test. 3600 IN TXT \"wild\""), NULL);
	ldns_rr *s = ldns_rr_list_rr(sig, 0);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rrsig_labels(s)), 3);
	/* the RRSIG as a resolver returns it for the expanded name */
	ldns_rdf_deep_free(ldns_rr_owner(s));
	ldns_rr_set_owner(s, dname("a.b.wild.example.test."));
	dnssec_validate_rrset(v, expanded, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	free_lists(w, sig);
	ldns_rr_list_deep_free(expanded);
	dnssec_free(v);
}

/* Replaces the signature field of an RRSIG with len bytes of pattern. */
static void set_sig_bytes(ldns_rr *sig, size_t len, uint8_t pattern)
{
	uint8_t buf[128];
	ldns_rdf *old;

	memset(buf, pattern, sizeof(buf));
	old = ldns_rr_set_rdf(sig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, len, buf), 8);
	ldns_rdf_deep_free(old);
}

static void test_malformed_ecdsa(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *txt = list_of(rr("ecdsa.test. 3600 IN TXT \"x\""), NULL);
	ldns_rr_list *sig = sign(txt, F.test_zsk);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	dnssec_validate_rrset(v, txt, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	/* too short for ECDSA P-256 (64 bytes): ldns would say out of memory */
	set_sig_bytes(ldns_rr_list_rr(sig, 0), 10, 0x41);
	dnssec_validate_rrset(v, txt, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	assert_int_equal(r.reason, DNSSEC_R_MALFORMED_SIG);
	/* right length, not a signature */
	set_sig_bytes(ldns_rr_list_rr(sig, 0), 64, 0xff);
	dnssec_validate_rrset(v, txt, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	assert_int_equal(r.reason, DNSSEC_R_BAD_SIGNATURE);
	set_sig_bytes(ldns_rr_list_rr(sig, 0), 0, 0);
	dnssec_validate_rrset(v, txt, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	assert_int_equal(r.reason, DNSSEC_R_MALFORMED_SIG);
	free_lists(txt, sig);
	dnssec_free(v);
}

static void test_unsupported_algorithm(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset();
	ldns_rr_list *sig = list_of(rr("example.test. 3600 IN RRSIG MX 253 2 3600 20231215000000 "
				       "20231101000000 12345 example.test. AAECAwQFBgcICQ=="),
				    NULL);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_INDETERMINATE);
	assert_int_equal(r.reason, DNSSEC_R_UNSUPPORTED_ALG);
	assert_int_equal(r.algorithm, 253);
	assert_int_equal(dnssec_counters(v)->unsupported_alg, 1);
	free_lists(mx, sig);
	dnssec_free(v);
}

static void test_signer_mismatch(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mx = mx_rrset();
	ldns_rr_list *txt = list_of(rr("other.test. 3600 IN MX 10 mx.example.test."), NULL);
	ldns_rr_list *sig = sign(txt, F.test_zsk);
	ldns_rr *s = ldns_rr_list_rr(sig, 0);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	/* an RRSIG by test. moved onto example.test.'s MX: labels and data differ */
	ldns_rdf_deep_free(ldns_rr_owner(s));
	ldns_rr_set_owner(s, dname("example.test."));
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	free_lists(mx, sig);
	ldns_rr_list_deep_free(txt);
	dnssec_free(v);
}

static void test_malformed_input(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_rr_list *mixed =
	    list_of(rr("a.test. 3600 IN A 192.0.2.1"), rr("b.test. 3600 IN A 192.0.2.2"), NULL);
	ldns_rr_list *empty = ldns_rr_list_new();
	struct dnssec_result r;

	(void)state;
	dnssec_validate_rrset(v, mixed, NULL, T_US, &r);
	assert_int_equal(r.status, DNSSEC_INDETERMINATE);
	assert_int_equal(r.reason, DNSSEC_R_MALFORMED_RRSET);
	dnssec_validate_rrset(v, empty, NULL, T_US, &r);
	assert_int_equal(r.reason, DNSSEC_R_MALFORMED_RRSET);
	dnssec_validate_rrset(v, NULL, NULL, T_US, &r);
	assert_int_equal(r.reason, DNSSEC_R_MALFORMED_RRSET);
	dnssec_observe_pkt(v, NULL, T_US);
	assert_false(dnssec_zone_known_signed(v, "bad..name", T_US, NULL, 0));
	ldns_rr_list_deep_free(mixed);
	ldns_rr_list_deep_free(empty);
	dnssec_free(v);
}

static void test_memcap_eviction(void **state)
{
	struct dnssec_validator *v = new_validator();
	struct dnssec_config cfg;
	size_t full;
	ldns_rr_list *mx = mx_rrset(), *sig = sign(mx, F.ex_zsk);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	full = dnssec_counters(v)->memuse;
	dnssec_free(v);

	/* one byte short: the oldest zone (test.) goes when example.test.'s keys arrive */
	dnssec_config_defaults(&cfg);
	cfg.memcap = full - 1;
	v = dnssec_new(F.ta, &cfg);
	assert_non_null(v);
	observe_chain(v, T_US);
	assert_int_equal(dnssec_counters(v)->evicted, 1);
	assert_int_equal(dnssec_counters(v)->keys_cached, 1);
	assert_true(dnssec_counters(v)->memuse <= cfg.memcap);
	dnssec_validate_rrset(v, mx, sig, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	dnssec_free(v);

	/* far too small: nothing can be kept */
	cfg.memcap = 64;
	v = dnssec_new(F.ta, &cfg);
	assert_non_null(v);
	observe_chain(v, T_US);
	assert_true(dnssec_counters(v)->memcap_drop > 0);
	assert_int_equal(dnssec_counters(v)->keys_cached, 0);
	assert_int_equal(dnssec_counters(v)->ds_cached, 0);
	free_lists(mx, sig);
	dnssec_free(v);
}

static void test_counter_table(void **state)
{
	struct dnssec_validator *v = new_validator();
	size_t n = 0;
	bool seen_keys = false, seen_evicted = false;

	(void)state;
	observe_chain(v, T_US);
	for (const struct mx_counter_desc *d = dnssec_counter_desc; d->name != NULL; d++) {
		assert_true(strncmp(d->name, "dnssec.", 7) == 0);
		assert_true(d->offset + sizeof(uint64_t) <= sizeof(struct dnssec_counters));
		if (strcmp(d->name, "dnssec.keys_cached") == 0) {
			seen_keys = true;
			assert_int_equal(mx_counter_get(dnssec_counters(v), d), 2);
		}
		seen_evicted |= strcmp(d->name, "dnssec.evicted") == 0;
		n++;
	}
	assert_int_equal(n, sizeof(struct dnssec_counters) / sizeof(uint64_t));
	assert_true(seen_keys && seen_evicted);
	assert_string_equal(dnssec_status_name(DNSSEC_NO_PROOF), "no-proof");
	assert_string_equal(dnssec_reason_name(DNSSEC_R_NONE), "");
	dnssec_free(v);
}

/* ------------------------------------------------------------------ */
/* Denial of existence */

static void check_denial(struct dnssec_validator *v, ldns_pkt *p, enum dnssec_status want,
			 enum dnssec_reason why)
{
	struct dnssec_result r;

	dnssec_check_denial(v, p, T_US, &r);
	if (r.status != want || r.reason != why)
		print_error("denial: got %s/%s, want %s/%s\n", dnssec_status_name(r.status),
			    dnssec_reason_name(r.reason), dnssec_status_name(want),
			    dnssec_reason_name(why));
	assert_int_equal(r.status, want);
	assert_int_equal(r.reason, why);
	ldns_pkt_free(p);
}

static void test_nsec_nxdomain(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p;
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	/* nope.example.test: _25._tcp.mx -> ns covers it, the apex NSEC covers
	 *.example.test */
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_denial(p, F.znsec_new, "_25._tcp.mx.example.test.", LDNS_RR_TYPE_NSEC);
	add_denial(p, F.znsec_new, "example.test.", LDNS_RR_TYPE_NSEC);
	dnssec_check_denial(v, p, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	assert_int_equal(r.denial_type, LDNS_RR_TYPE_NSEC);
	assert_string_equal(r.signer, "example.test");
	assert_true(r.zone_known_signed);
	ldns_pkt_free(p);
	assert_int_equal(dnssec_counters(v)->denial_secure, 1);

	/* the NSEC that covers the wildcard only: the name itself is not covered */
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_denial(p, F.znsec_new, "example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_NAME_NOT_COVERED);

	/* the name is covered but the wildcard is not */
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_denial(p, F.znsec_new, "_25._tcp.mx.example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_WILDCARD_NOT_COVERED);

	/* NXDOMAIN for a name that exists */
	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_denial(p, F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC);
	add_denial(p, F.znsec_new, "example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_NAME_NOT_COVERED);

	/* no NSEC at all: the stripping signal, zone known signed */
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	dnssec_check_denial(v, p, T_US, &r);
	assert_int_equal(r.status, DNSSEC_NO_PROOF);
	assert_true(r.zone_known_signed);
	ldns_pkt_free(p);

	/* after a CNAME the denial is about the target */
	p = pkt_new("alias.other.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
				     rr("alias.other.test. 60 IN CNAME nope.example.test.")));
	add_denial(p, F.znsec_new, "_25._tcp.mx.example.test.", LDNS_RR_TYPE_NSEC);
	add_denial(p, F.znsec_new, "example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);
	p = pkt_new("alias.other.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
				     rr("alias.other.test. 60 IN CNAME alias.other.test.")));
	check_denial(v, p, DNSSEC_INDETERMINATE, DNSSEC_R_NOT_DENIAL);

	/* a positive answer is not a denial */
	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	assert_true(
	    ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr("mx.example.test. 60 IN A 192.0.2.2")));
	check_denial(v, p, DNSSEC_INDETERMINATE, DNSSEC_R_NOT_DENIAL);
	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL);
	check_denial(v, p, DNSSEC_INDETERMINATE, DNSSEC_R_NOT_DENIAL);
	dnssec_free(v);
}

static void test_nsec_nodata(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p;
	ldns_rr_list *set, *sig;

	(void)state;
	observe_chain(v, T_US);
	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_denial(p, F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);

	/* the type exists */
	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_denial(p, F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_TYPE_EXISTS);

	/* wildcard NODATA: foo.wild is covered, *.wild has no MX */
	p = pkt_new("foo.wild.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
	add_denial(p, F.znsec_new, "*.wild.example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);

	/* _tcp.mx.example.test is an empty non-terminal: NODATA, not NXDOMAIN */
	p = pkt_new("_tcp.mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_denial(p, F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);
	p = pkt_new("_tcp.mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN);
	add_denial(p, F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC);
	add_denial(p, F.znsec_new, "example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_NAME_NOT_COVERED);

	/* the delegation NSEC proves no DS ... */
	p = pkt_new("unsigned.example.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	add_denial(p, F.znsec_new, "unsigned.example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);
	/* ... but nothing about the child's own data */
	p = pkt_new("unsigned.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_denial(p, F.znsec_new, "unsigned.example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_WRONG_SIDE);
	p = pkt_new("www.unsigned.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	add_denial(p, F.znsec_new, "unsigned.example.test.", LDNS_RR_TYPE_NSEC);
	add_denial(p, F.znsec_new, "example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_NAME_NOT_COVERED);

	/* a tampered NSEC: its signature fails */
	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	set = zone_pick(F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC, false);
	sig = zone_pick(F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC, true);
	ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(set, 0), dname("zzz.example.test."), 0));
	pkt_add(p, LDNS_SECTION_AUTHORITY, set);
	pkt_add(p, LDNS_SECTION_AUTHORITY, sig);
	free_lists(set, sig);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_BAD_SIGNATURE);

	/* NSEC without its RRSIG in a signed zone */
	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	set = zone_pick(F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC, false);
	pkt_add(p, LDNS_SECTION_AUTHORITY, set);
	ldns_rr_list_deep_free(set);
	check_denial(v, p, DNSSEC_INDETERMINATE, DNSSEC_R_NO_SIGNATURES);
	dnssec_free(v);
}

static void test_nsec_keys_unknown(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p = pkt_new("mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);

	(void)state;
	add_denial(p, F.znsec_new, "mx.example.test.", LDNS_RR_TYPE_NSEC);
	check_denial(v, p, DNSSEC_INDETERMINATE, DNSSEC_R_KEYS_UNKNOWN);
	dnssec_free(v);
}

static void test_insecure_delegation(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p;
	ldns_rr_list *a = list_of(rr("www.unsigned.example.test. 3600 IN A 192.0.2.9"), NULL);
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	assert_true(dnssec_zone_known_signed(v, "www.unsigned.example.test", T_US, NULL, 0));
	/* a referral to unsigned.example.test with the NSEC proving no DS */
	p = pkt_new("www.unsigned.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
				     rr("unsigned.example.test. 3600 IN NS ns.elsewhere.")));
	add_denial(p, F.znsec_new, "unsigned.example.test.", LDNS_RR_TYPE_NSEC);
	dnssec_observe_pkt(v, p, T_US);
	/* a referral is not a denial of www.unsigned.example.test */
	dnssec_check_denial(v, p, T_US, &r);
	assert_int_equal(r.status, DNSSEC_INDETERMINATE);
	assert_int_equal(r.reason, DNSSEC_R_NOT_DENIAL);
	ldns_pkt_free(p);
	assert_int_equal(dnssec_counters(v)->insecure_cached, 1);
	assert_false(dnssec_zone_known_signed(v, "www.unsigned.example.test", T_US, NULL, 0));
	assert_true(dnssec_zone_known_signed(v, "mx.example.test", T_US, NULL, 0));
	dnssec_validate_rrset(v, a, NULL, T_US, &r);
	assert_int_equal(r.status, DNSSEC_INSECURE);
	assert_int_equal(r.reason, DNSSEC_R_ZONE_INSECURE);
	ldns_rr_list_deep_free(a);
	dnssec_free(v);
}

static void test_nsec3_denial(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p;
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_all(p, F.znsec3_new, LDNS_RR_TYPE_NSEC3);
	dnssec_check_denial(v, p, T_US, &r);
	assert_int_equal(r.status, DNSSEC_SECURE);
	assert_int_equal(r.denial_type, LDNS_RR_TYPE_NSEC3);
	assert_true(dnssec_counters(v)->nsec3_hashes > 0);
	ldns_pkt_free(p);

	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_all(p, F.znsec3_new, LDNS_RR_TYPE_NSEC3);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);

	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_all(p, F.znsec3_new, LDNS_RR_TYPE_NSEC3);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_TYPE_EXISTS);

	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	add_all(p, F.znsec3_new, LDNS_RR_TYPE_NSEC3);
	check_denial(v, p, DNSSEC_BOGUS, DNSSEC_R_NAME_NOT_COVERED);

	/* wildcard NODATA */
	p = pkt_new("foo.wild.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
	add_all(p, F.znsec3_new, LDNS_RR_TYPE_NSEC3);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);

	/* DS at the unsigned delegation (its NSEC3 is in the chain: no opt-out) */
	p = pkt_new("unsigned.example.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	add_all(p, F.znsec3_new, LDNS_RR_TYPE_NSEC3);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);
	dnssec_free(v);
}

/* Owner name of the NSEC3 record of name in the test chains. */
static void nsec3_owner(const char *name, char *out, size_t cap)
{
	uint8_t salt[4] = {0xaa, 0xbb, 0xcc, 0xdd};
	ldns_rdf *n = dname(name);
	ldns_rdf *hashed = ldns_nsec3_hash_name(n, 1, 5, sizeof(salt), salt);
	char *label;

	assert_non_null(hashed);
	label = ldns_rdf2str(hashed);
	snprintf(out, cap, "%sexample.test.", label);
	free(label);
	ldns_rdf_deep_free(hashed);
	ldns_rdf_deep_free(n);
}

/*
 * The opt-out chain as a signer that skips insecure delegations makes it:
 * the NSEC3 of unsigned.example.test left out, its predecessor's next
 * hash pointing past it (re-signed), every record with the opt-out flag.
 */
static void add_optout_chain(ldns_pkt *p)
{
	char owner[128];
	ldns_rdf *skip;
	ldns_rr *gone = NULL;

	nsec3_owner("unsigned.example.test.", owner, sizeof(owner));
	skip = dname(owner);
	for (size_t i = 0; i < ldns_rr_list_rr_count(F.znsec3o_new); i++) {
		ldns_rr *r = ldns_rr_list_rr(F.znsec3o_new, i);

		if (ldns_rr_get_type(r) == LDNS_RR_TYPE_NSEC3 &&
		    ldns_dname_compare(ldns_rr_owner(r), skip) == 0)
			gone = r;
	}
	assert_non_null(gone);
	for (size_t i = 0; i < ldns_rr_list_rr_count(F.znsec3o_new); i++) {
		ldns_rr *r = ldns_rr_list_rr(F.znsec3o_new, i);
		char *next, *label;
		ldns_rr_list *set, *sig;
		ldns_rdf *first;
		ldns_rr *c;
		bool pred;

		if (ldns_rr_get_type(r) != LDNS_RR_TYPE_NSEC3 || r == gone)
			continue;
		next = ldns_rdf2str(ldns_rr_rdf(r, 4));
		first = ldns_dname_label(skip, 0);
		label = ldns_rdf2str(first);
		pred = strncasecmp(next, label, strlen(next)) == 0;
		free(next);
		free(label);
		ldns_rdf_deep_free(first);
		c = ldns_rr_clone(r);
		if (pred)
			ldns_rdf_deep_free(
			    ldns_rr_set_rdf(c, ldns_rdf_clone(ldns_rr_rdf(gone, 4)), 4));
		set = list_of(c, NULL);
		sig = sign(set, F.ex_zsk);
		pkt_add(p, LDNS_SECTION_AUTHORITY, set);
		pkt_add(p, LDNS_SECTION_AUTHORITY, sig);
		free_lists(set, sig);
	}
	ldns_rdf_deep_free(skip);
}

static void test_nsec3_optout(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p;

	(void)state;
	observe_chain(v, T_US);
	/* the unsigned delegation has no NSEC3 of its own: an opt-out span covers it */
	p = pkt_new("unsigned.example.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	add_optout_chain(p);
	check_denial(v, p, DNSSEC_INSECURE, DNSSEC_R_NSEC3_OPTOUT);
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_optout_chain(p);
	check_denial(v, p, DNSSEC_INSECURE, DNSSEC_R_NSEC3_OPTOUT);
	/* data that exists is still proven */
	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_optout_chain(p);
	check_denial(v, p, DNSSEC_SECURE, DNSSEC_R_NONE);

	/* the sensor learns from the DS NODATA that the delegation is insecure */
	assert_true(dnssec_zone_known_signed(v, "unsigned.example.test", T_US, NULL, 0));
	p = pkt_new("unsigned.example.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	add_optout_chain(p);
	dnssec_observe_pkt(v, p, T_US);
	ldns_pkt_free(p);
	assert_false(dnssec_zone_known_signed(v, "unsigned.example.test", T_US, NULL, 0));
	assert_false(dnssec_zone_known_signed(v, "mail.unsigned.example.test", T_US, NULL, 0));
	assert_true(dnssec_zone_known_signed(v, "example.test", T_US, NULL, 0));
	dnssec_free(v);
}

static void test_nsec3_incomplete(void **state)
{
	struct dnssec_validator *v = new_validator();
	char owner[128];
	ldns_pkt *p;
	struct dnssec_result r;

	(void)state;
	observe_chain(v, T_US);
	nsec3_owner("example.test.", owner, sizeof(owner));

	/* the apex NSEC3 alone proves neither name nor type absent */
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_denial(p, F.znsec3_new, owner, LDNS_RR_TYPE_NSEC3);
	dnssec_check_denial(v, p, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	assert_true(r.reason == DNSSEC_R_NO_CLOSEST_ENCLOSER ||
		    r.reason == DNSSEC_R_WILDCARD_NOT_COVERED);
	ldns_pkt_free(p);

	p = pkt_new("mx.example.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_denial(p, F.znsec3_new, owner, LDNS_RR_TYPE_NSEC3);
	dnssec_check_denial(v, p, T_US, &r);
	assert_int_equal(r.status, DNSSEC_BOGUS);
	ldns_pkt_free(p);
	dnssec_free(v);
}

/* NSEC3 records of the signed zone with one field changed, re-signed with the zone's key. */
static void add_nsec3_modified(ldns_pkt *p, uint8_t alg, uint16_t iterations)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(F.znsec3_new); i++) {
		ldns_rr *r = ldns_rr_list_rr(F.znsec3_new, i);
		ldns_rr_list *set, *sig;
		ldns_rr *c;

		if (ldns_rr_get_type(r) != LDNS_RR_TYPE_NSEC3)
			continue;
		c = ldns_rr_clone(r);
		ldns_rdf_deep_free(
		    ldns_rr_set_rdf(c, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, alg), 0));
		ldns_rdf_deep_free(
		    ldns_rr_set_rdf(c, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, iterations), 2));
		set = list_of(c, NULL);
		sig = sign(set, F.ex_zsk);
		pkt_add(p, LDNS_SECTION_AUTHORITY, set);
		pkt_add(p, LDNS_SECTION_AUTHORITY, sig);
		free_lists(set, sig);
	}
}

static void test_nsec3_hash_algorithm(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p;

	(void)state;
	observe_chain(v, T_US);
	/* hash algorithm 2: validly signed, never handed to ldns's NSEC3 code */
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_nsec3_modified(p, 2, 5);
	check_denial(v, p, DNSSEC_INSECURE, DNSSEC_R_NSEC3_UNSUPPORTED_HASH);
	assert_true(dnssec_counters(v)->nsec3_bad_hash > 0);
	assert_int_equal(dnssec_counters(v)->denial_insecure, 1);
	dnssec_free(v);
}

static void test_nsec3_iterations(void **state)
{
	struct dnssec_validator *v = new_validator();
	ldns_pkt *p;
	uint64_t hashes;

	(void)state;
	observe_chain(v, T_US);
	hashes = dnssec_counters(v)->nsec3_hashes;
	p = pkt_new("nope.example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN);
	add_nsec3_modified(p, 1, 2500);
	check_denial(v, p, DNSSEC_INSECURE, DNSSEC_R_NSEC3_ITERATIONS);
	assert_int_equal(dnssec_counters(v)->nsec3_iter_capped, 1);
	assert_int_equal(dnssec_counters(v)->nsec3_hashes, hashes);
	dnssec_free(v);
}

static void test_root_anchor_validator(void **state)
{
	struct trust_anchors *ta = trust_anchors_new();
	struct dnssec_validator *v;

	(void)state;
	assert_true(trust_anchors_add_root(ta));
	v = dnssec_new(ta, NULL);
	trust_anchors_free(ta);
	assert_non_null(v);
	/* the root is signed; names below the delegation-only root are not known */
	assert_true(dnssec_zone_known_signed(v, ".", T_US, NULL, 0));
	assert_false(dnssec_zone_known_signed(v, "com", T_US, NULL, 0));
	assert_false(dnssec_zone_known_signed(v, "example.com", T_US, NULL, 0));
	/* the lab chain does not validate against the root */
	observe_chain(v, T_US);
	assert_int_equal(dnssec_counters(v)->keys_validated, 0);
	dnssec_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_secure),
	    cmocka_unit_test(test_validate_answer),
	    cmocka_unit_test(test_expired),
	    cmocka_unit_test(test_not_yet_valid),
	    cmocka_unit_test(test_wrong_key),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_no_signatures),
	    cmocka_unit_test(test_keys_unknown),
	    cmocka_unit_test(test_order_independence),
	    cmocka_unit_test(test_one_message_chain),
	    cmocka_unit_test(test_pending_expires),
	    cmocka_unit_test(test_bogus_dnskey),
	    cmocka_unit_test(test_wildcard),
	    cmocka_unit_test(test_malformed_ecdsa),
	    cmocka_unit_test(test_unsupported_algorithm),
	    cmocka_unit_test(test_signer_mismatch),
	    cmocka_unit_test(test_malformed_input),
	    cmocka_unit_test(test_memcap_eviction),
	    cmocka_unit_test(test_counter_table),
	    cmocka_unit_test(test_nsec_nxdomain),
	    cmocka_unit_test(test_nsec_nodata),
	    cmocka_unit_test(test_nsec_keys_unknown),
	    cmocka_unit_test(test_insecure_delegation),
	    cmocka_unit_test(test_nsec3_denial),
	    cmocka_unit_test(test_nsec3_optout),
	    cmocka_unit_test(test_nsec3_incomplete),
	    cmocka_unit_test(test_nsec3_hash_algorithm),
	    cmocka_unit_test(test_nsec3_iterations),
	    cmocka_unit_test(test_root_anchor_validator),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
