/*
 * fuzz_dnssec.c - libFuzzer target for the DNSSEC validator. An input is
 * a mode byte, then a sequence of DNS messages, each preceded by its
 * 16-bit big-endian length (as DNS over TCP frames them). Every message
 * that ldns parses (ldns_wire2pkt) is observed, checked as a denial, its
 * answer RRsets are validated, and the zone of its question is looked up,
 * all at a fixed packet time, by a fresh validator.
 *
 * Mode 0 (even byte): messages as they are, the trust anchor being the
 * lab anchor the seed corpus was signed under (tests/fuzz/corpus/
 * fuzz_dnssec/: a test. -> example.test. chain, MX/TLSA answers, NSEC and
 * NSEC3 denials, a referral to an unsigned delegation).
 * Mode 1 (odd byte): every RRset under test. is re-signed by a `test.`
 * key made at start-up (its DNSKEY RRset, signed by an anchored KSK, is
 * observed first), so that arbitrary records, NSEC/NSEC3 content
 * included, reach the checks that follow signature validation, as a zone
 * owner could make them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssec/dnssec.h"
#include "dnssec/trust_anchor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Packet time the seed signatures are valid at (2023-11-14). */
#define FUZZ_TS_US (1700000000ULL * MX_USEC)
/* Largest message fed to ldns: ldns 1.8's rdata splitting costs grow with the square. */
#define FUZZ_MAX_MSG 4096
/* Most messages taken from one input. */
#define FUZZ_MAX_MSGS 16
/* Most answer RRsets validated per message. */
#define FUZZ_MAX_RRSETS 16

static const char lab_anchor[] =
    "test. 3600 IN DS 26479 13 2 "
    "e11ceea2cfbc1aec050847c0c520ace5fd89679286b16cf27d2339abc5ee8640\n";

/* Validity window of the signatures made here. */
#define FUZZ_INCEPTION	(1700000000u - 86400u)
#define FUZZ_EXPIRATION (1700000000u + 86400u)
/* Most RRsets re-signed per message (mode 1). */
#define FUZZ_MAX_SIGNED 24

/* What the target sets up once: anchors, and the keys of mode 1. */
static struct {
	struct trust_anchors *anchors;
	ldns_key_list *ksk, *zsk;
	ldns_rr_list *keys, *keys_sig;
	ldns_rdf *zone;
} lab;

static ldns_key_list *make_key(uint16_t flags, ldns_rr **rr)
{
	ldns_key_list *kl = ldns_key_list_new();
	ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);

	if (kl == NULL || k == NULL || !ldns_key_list_push_key(kl, k))
		abort();
	ldns_key_set_pubkey_owner(k, ldns_rdf_clone(lab.zone));
	ldns_key_set_flags(k, flags);
	ldns_key_set_inception(k, FUZZ_INCEPTION);
	ldns_key_set_expiration(k, FUZZ_EXPIRATION);
	*rr = ldns_key2rr(k);
	if (*rr == NULL)
		abort();
	ldns_rr_set_ttl(*rr, 3600);
	ldns_key_set_keytag(k, ldns_calc_keytag(*rr));
	return kl;
}

/* Trust anchors (the seeds' and the one of mode 1) and the keys of mode 1. */
static void lab_init(void)
{
	char err[TRUST_ANCHOR_ERR_MAX], text[512], *ds_str;
	ldns_rr *ksk_rr, *zsk_rr, *ds;

	lab.zone = ldns_dname_new_frm_str("test.");
	lab.anchors = trust_anchors_new();
	if (lab.zone == NULL || lab.anchors == NULL)
		abort();
	lab.ksk = make_key(257, &ksk_rr);
	lab.zsk = make_key(256, &zsk_rr);
	ds = ldns_key_rr2ds(ksk_rr, LDNS_SHA256);
	ds_str = ds != NULL ? ldns_rr2str(ds) : NULL;
	if (ds_str == NULL)
		abort();
	snprintf(text, sizeof(text), "%s%s", lab_anchor, ds_str);
	free(ds_str);
	ldns_rr_free(ds);
	if (!trust_anchors_load_text(lab.anchors, text, strlen(text), "fuzz", err, sizeof(err)))
		abort();
	lab.keys = ldns_rr_list_new();
	if (lab.keys == NULL || !ldns_rr_list_push_rr(lab.keys, ksk_rr) ||
	    !ldns_rr_list_push_rr(lab.keys, zsk_rr))
		abort();
	lab.keys_sig = ldns_sign_public(lab.keys, lab.ksk);
	if (lab.keys_sig == NULL)
		abort();
}

/* Skips a (possibly compressed) name at *pos; false when it runs past len. */
static bool skip_name(const uint8_t *m, size_t len, size_t *pos)
{
	while (*pos < len) {
		uint8_t l = m[*pos];

		if ((l & 0xc0) == 0xc0) {
			*pos += 2;
			return *pos <= len;
		}
		*pos += 1 + (size_t)l;
		if (l == 0)
			return *pos <= len;
	}
	return false;
}

/*
 * True when the message has more than one TSIG record: ldns_wire2pkt
 * leaks all but the last (the DNS dissector guards against that; this
 * target feeds ldns directly).
 */
static bool several_tsigs(const uint8_t *m, size_t len)
{
	size_t pos = 12, nrr;
	unsigned tsigs = 0;

	if (len < 12)
		return false;
	for (unsigned q = ((unsigned)m[4] << 8) | m[5]; q > 0; q--) {
		if (!skip_name(m, len, &pos))
			return false;
		pos += 4;
	}
	nrr = (((size_t)m[6] << 8) | m[7]) + (((size_t)m[8] << 8) | m[9]) +
	      (((size_t)m[10] << 8) | m[11]);
	for (; nrr > 0; nrr--) {
		uint16_t type, rdlen;

		if (!skip_name(m, len, &pos) || pos + 10 > len)
			return false;
		type = (uint16_t)((m[pos] << 8) | m[pos + 1]);
		rdlen = (uint16_t)((m[pos + 8] << 8) | m[pos + 9]);
		pos += 10 + (size_t)rdlen;
		if (type == LDNS_RR_TYPE_TSIG && ++tsigs > 1)
			return true;
	}
	return false;
}

/* Validates each RRset of the answer section (first FUZZ_MAX_RRSETS). */
static void validate_answers(struct dnssec_validator *v, const ldns_pkt *pkt, uint64_t ts)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	size_t done = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(an) && done < FUZZ_MAX_RRSETS; i++) {
		ldns_rr *first = ldns_rr_list_rr(an, i);
		ldns_rr_list *set;
		struct dnssec_result r;
		bool seen = false;

		if (ldns_rr_get_type(first) == LDNS_RR_TYPE_RRSIG)
			continue;
		for (size_t k = 0; k < i && !seen; k++) {
			ldns_rr *o = ldns_rr_list_rr(an, k);

			seen = ldns_rr_get_type(o) == ldns_rr_get_type(first) &&
			       ldns_dname_compare(ldns_rr_owner(o), ldns_rr_owner(first)) == 0;
		}
		if (seen)
			continue;
		set = ldns_rr_list_new();
		if (set == NULL)
			return;
		for (size_t k = i; k < ldns_rr_list_rr_count(an); k++) {
			ldns_rr *o = ldns_rr_list_rr(an, k);

			if (ldns_rr_get_type(o) == ldns_rr_get_type(first) &&
			    ldns_dname_compare(ldns_rr_owner(o), ldns_rr_owner(first)) == 0)
				(void)ldns_rr_list_push_rr(set, o);
		}
		dnssec_validate_rrset(v, set, an, ts, &r);
		(void)dnssec_status_name(r.status);
		(void)dnssec_reason_name(r.reason);
		ldns_rr_list_free(set);
		done++;
	}
}

/* Copies the records of list other than RRSIGs to section sec of to, with new RRSIGs. */
static void resign_section(ldns_pkt *to, ldns_pkt_section sec, const ldns_rr_list *list,
			   unsigned *signed_sets)
{
	size_t n = ldns_rr_list_rr_count(list);

	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		ldns_rr_list *set, *sigs;
		bool first = true;

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			continue;
		(void)ldns_pkt_push_rr(to, sec, ldns_rr_clone(rr));
		for (size_t k = 0; k < i && first; k++) {
			ldns_rr *o = ldns_rr_list_rr(list, k);

			first = !(ldns_rr_get_type(o) == ldns_rr_get_type(rr) &&
				  ldns_rr_get_class(o) == ldns_rr_get_class(rr) &&
				  ldns_dname_compare(ldns_rr_owner(o), ldns_rr_owner(rr)) == 0);
		}
		if (!first || *signed_sets >= FUZZ_MAX_SIGNED ||
		    (ldns_dname_compare(ldns_rr_owner(rr), lab.zone) != 0 &&
		     !ldns_dname_is_subdomain(ldns_rr_owner(rr), lab.zone)))
			continue;
		set = ldns_rr_list_new();
		if (set == NULL)
			continue;
		for (size_t k = i; k < n; k++) {
			ldns_rr *o = ldns_rr_list_rr(list, k);

			if (ldns_rr_get_type(o) == ldns_rr_get_type(rr) &&
			    ldns_rr_get_class(o) == ldns_rr_get_class(rr) &&
			    ldns_dname_compare(ldns_rr_owner(o), ldns_rr_owner(rr)) == 0)
				(void)ldns_rr_list_push_rr(set, o);
		}
		sigs = ldns_sign_public(set, lab.zsk);
		for (size_t k = 0; sigs != NULL && k < ldns_rr_list_rr_count(sigs); k++)
			(void)ldns_pkt_push_rr(to, sec, ldns_rr_clone(ldns_rr_list_rr(sigs, k)));
		ldns_rr_list_deep_free(sigs);
		ldns_rr_list_free(set);
		(*signed_sets)++;
	}
}

/* A copy of pkt whose RRsets under test. carry fresh signatures by the lab ZSK. */
static ldns_pkt *resign(const ldns_pkt *pkt)
{
	ldns_pkt *out = ldns_pkt_new();
	unsigned signed_sets = 0;

	if (out == NULL)
		return NULL;
	ldns_pkt_set_qr(out, ldns_pkt_qr(pkt));
	ldns_pkt_set_rcode(out, ldns_pkt_get_rcode(pkt));
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_question(pkt)); i++)
		(void)ldns_pkt_push_rr(out, LDNS_SECTION_QUESTION,
				       ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(pkt), i)));
	resign_section(out, LDNS_SECTION_ANSWER, ldns_pkt_answer(pkt), &signed_sets);
	resign_section(out, LDNS_SECTION_AUTHORITY, ldns_pkt_authority(pkt), &signed_sets);
	resign_section(out, LDNS_SECTION_ADDITIONAL, ldns_pkt_additional(pkt), &signed_sets);
	return out;
}

static void one_message(struct dnssec_validator *v, const uint8_t *m, size_t len, uint64_t ts,
			bool sign)
{
	ldns_pkt *pkt = NULL;
	struct dnssec_result r;
	char zone[DNSSEC_NAME_MAX];

	if (len > FUZZ_MAX_MSG || several_tsigs(m, len))
		return;
	if (ldns_wire2pkt(&pkt, m, len) != LDNS_STATUS_OK) {
		ldns_pkt_free(pkt);
		return;
	}
	if (sign) {
		ldns_pkt *signed_pkt = resign(pkt);

		ldns_pkt_free(pkt);
		pkt = signed_pkt;
		if (pkt == NULL)
			return;
	}
	dnssec_observe_pkt(v, pkt, ts);
	dnssec_check_denial(v, pkt, ts, &r);
	validate_answers(v, pkt, ts);
	if (ldns_pkt_qdcount(pkt) > 0 && ldns_pkt_question(pkt) != NULL &&
	    ldns_rr_list_rr_count(ldns_pkt_question(pkt)) > 0) {
		const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);

		(void)dnssec_validate_answer(v, pkt, ldns_rr_owner(q), ldns_rr_get_type(q), ts, &r);
		(void)dnssec_zone_known_signed_rdf(v, ldns_rr_owner(q), ts, zone, sizeof(zone));
	}
	ldns_pkt_free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnssec_validator *v;
	size_t pos = 1;
	unsigned n = 0;
	bool sign;

	if (lab.anchors == NULL)
		lab_init();
	if (size < 1)
		return 0;
	sign = data[0] & 1;
	v = dnssec_new(lab.anchors, NULL);
	if (v == NULL)
		return 0;
	if (sign) {
		ldns_pkt *p = ldns_pkt_new();
		struct dnssec_result r;

		if (p == NULL) {
			dnssec_free(v);
			return 0;
		}
		ldns_pkt_set_qr(p, true);
		for (size_t i = 0; i < ldns_rr_list_rr_count(lab.keys); i++)
			(void)ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					       ldns_rr_clone(ldns_rr_list_rr(lab.keys, i)));
		(void)ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
				       ldns_rr_clone(ldns_rr_list_rr(lab.keys_sig, 0)));
		dnssec_observe_pkt(v, p, FUZZ_TS_US);
		ldns_pkt_free(p);
		dnssec_validate_rrset(v, lab.keys, lab.keys_sig, FUZZ_TS_US, &r);
		if (r.status != DNSSEC_SECURE)
			abort(); /* the harness itself is broken */
	}
	while (pos + 2 <= size && n < FUZZ_MAX_MSGS) {
		size_t len = ((size_t)data[pos] << 8) | data[pos + 1];

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		one_message(v, data + pos, len, FUZZ_TS_US + n, sign);
		pos += len;
		n++;
	}
	dnssec_tick(v, FUZZ_TS_US + 86400 * MX_USEC);
	dnssec_free(v);
	return 0;
}
