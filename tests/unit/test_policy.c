/*
 * test_policy.c - policy loading and lookups: YAML policies (the shipped
 * example included), TLSA record parsing, RFC 8461 text import (direct,
 * by file name and by mta-sts-file reference), the STARTTLS-Everywhere
 * list with aliases, precedence between sources, and every bad policy file
 * in tests/config/policy-*.{yaml,json} with its exact expected errors.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "correlate/policy.h"

#include "expected_errors.h"

/* ---- fixtures ---- */

static void policy_fixture(const char *dir, const char *path, void *ctx)
{
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;

	(void)ctx;
	assert_non_null(s);
	mx_errors_init(&errs);
	assert_false(policy_load_file(s, path, &errs));
	compare_errors(dir, path, "POLICYFILE", &errs);
	policy_set_free(s);
}

static void test_fixtures(void **state)
{
	static const char *const suffixes[] = {".yaml", ".json", NULL};

	(void)state;
	assert_true(each_fixture(__FILE__, "unit/test_policy.c", "policy-", suffixes,
				 policy_fixture, NULL) >= 10);
}

/* ---- loading and lookups ---- */

static struct policy_set *load_text(const char *text)
{
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;

	assert_non_null(s);
	mx_errors_init(&errs);
	if (!policy_load_buffer(s, "p.yaml", text, strlen(text), NULL, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
	return s;
}

static const char sample[] =
    "policies:\n"
    "  - domain: example.test\n"
    "    mta-sts: {mode: enforce, mx: [mx1.example.test, \"*.mail.example.test\"], "
    "max_age: 604800}\n"
    "    dane: required\n"
    "    require-tls: true\n"
    "    tlsa:\n"
    "      - host: MX1.example.test\n"
    "        port: 25\n"
    "        records:\n"
    "          - \"3 1 1 0123456789abcdef0123456789abcdef 0123456789abcdef0123456789abcdef\"\n"
    "          - \"2 0 0 30 82 01 0a\"\n"
    "      - {host: mx1.example.test, port: 465, records: [\"3 1 1 "
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"]}\n"
    "    addresses:\n"
    "      mx1.example.test: [192.0.2.25, \"2001:db8::25\"]\n"
    "      shared.example.test: 192.0.2.99\n"
    "  - domain: other.test\n"
    "    mta-sts: {mode: none}\n"
    "    addresses: {shared.example.test: [192.0.2.99]}\n"
    "trusted-resolvers: [192.0.2.53]\n";

static void test_lookups(void **state)
{
	struct policy_set *s = load_text(sample);
	const struct policy *p, *q;
	const struct policy_tlsa *t[4];
	const struct policy_host *h[4];
	struct policy_addr_ref refs[4];
	struct mx_addr a;

	(void)state;
	assert_int_equal(policy_set_count(s), 2);
	p = policy_find(s, "example.test");
	assert_non_null(p);
	assert_ptr_equal(policy_find(s, "EXAMPLE.Test."), p);
	assert_null(policy_find(s, "sub.example.test"));
	assert_null(policy_find(s, "example.tes"));
	assert_null(policy_find(s, ""));
	assert_null(policy_find(s, NULL));
	assert_string_equal(p->domain, "example.test");
	assert_string_equal(p->id, "p.yaml:2");
	assert_int_equal(p->origin, POLICY_ORIGIN_YAML);
	assert_true(p->has_sts);
	assert_int_equal(p->sts.mode, MTASTS_MODE_ENFORCE);
	assert_int_equal(p->sts.max_age, 604800);
	assert_int_equal(p->dane, POLICY_DANE_REQUIRED);
	assert_true(p->require_tls);
	assert_true(policy_mx_allowed(p, "mx1.example.test"));
	assert_true(policy_mx_allowed(p, "in.mail.example.test."));
	assert_false(policy_mx_allowed(p, "a.b.mail.example.test"));
	assert_false(policy_mx_allowed(p, "mx.attacker.test"));

	/* TLSA by host and port, case-insensitive */
	assert_int_equal(policy_tlsa_for_host(s, "mx1.EXAMPLE.test", 25, t, 4), 2);
	assert_int_equal(t[0]->port, 25);
	assert_ptr_equal(t[0]->policy, p);
	assert_int_equal(t[0]->usage + t[1]->usage, 5);
	for (int i = 0; i < 2; i++) {
		if (t[i]->mtype == 1) {
			assert_int_equal(t[i]->len, 32);
			assert_int_equal(t[i]->data[0], 0x01);
			assert_int_equal(t[i]->data[31], 0xef);
		} else {
			assert_int_equal(t[i]->mtype, 0);
			assert_int_equal(t[i]->len, 4);
			assert_memory_equal(t[i]->data, "\x30\x82\x01\x0a", 4);
		}
	}
	assert_int_equal(policy_tlsa_for_host(s, "mx1.example.test", 465, t, 1), 1);
	assert_int_equal(t[0]->data[0], 0xff);
	assert_int_equal(policy_tlsa_for_host(s, "mx1.example.test", 587, t, 4), 0);
	assert_int_equal(policy_tlsa_for_host(s, "mx2.example.test", 25, t, 4), 0);
	/* more than max: the count is still the total */
	assert_int_equal(policy_tlsa_for_host(s, "mx1.example.test", 25, t, 1), 2);

	/* hosts and addresses */
	assert_int_equal(policy_hosts_for_name(s, "MX1.example.test.", h, 4), 1);
	assert_int_equal(h[0]->n_addrs, 2);
	assert_ptr_equal(h[0]->policy, p);
	assert_int_equal(policy_hosts_for_name(s, "shared.example.test", h, 4), 2);
	assert_true(mx_addr_parse(&a, "2001:db8::25"));
	assert_int_equal(policy_refs_for_addr(s, &a, refs, 4), 1);
	assert_string_equal(refs[0].mx_host, "mx1.example.test");
	assert_ptr_equal(refs[0].policy, p);
	assert_true(mx_addr_parse(&a, "192.0.2.99"));
	assert_int_equal(policy_refs_for_addr(s, &a, refs, 4), 2);
	q = policy_find(s, "other.test");
	assert_non_null(q);
	assert_ptr_equal(refs[0].policy, p); /* sorted by domain */
	assert_ptr_equal(refs[1].policy, q);
	assert_true(mx_addr_parse(&a, "192.0.2.26"));
	assert_int_equal(policy_refs_for_addr(s, &a, refs, 4), 0);

	/* mode none: a policy, but no MX is "allowed" by it */
	assert_true(q->has_sts);
	assert_int_equal(q->sts.mode, MTASTS_MODE_NONE);
	assert_false(policy_mx_allowed(q, "shared.example.test"));
	assert_int_equal(q->dane, POLICY_DANE_AUTO);
	assert_false(q->require_tls);

	/* resolvers */
	assert_int_equal(policy_trusted_resolver_count(s), 1);
	assert_true(mx_addr_parse(&a, "192.0.2.53"));
	assert_true(policy_is_trusted_resolver(s, &a));
	assert_int_equal(mx_addr_cmp(policy_trusted_resolver(s, 0), &a), 0);
	assert_null(policy_trusted_resolver(s, 1));
	assert_true(mx_addr_parse(&a, "192.0.2.54"));
	assert_false(policy_is_trusted_resolver(s, &a));

	/* iteration in domain order */
	assert_ptr_equal(policy_set_get(s, 0), p);
	assert_ptr_equal(policy_set_get(s, 1), q);
	assert_null(policy_set_get(s, 2));
	assert_string_equal(policy_origin_name(p->origin), "yaml");
	assert_string_equal(policy_dane_name(p->dane), "required");
	policy_set_free(s);
}

static void test_tlsa_parse(void **state)
{
	struct policy_tlsa t;
	const char *why = NULL;
	char sha512[200];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_true(policy_tlsa_parse("  3\t1 1 " /* blanks anywhere in the data */
				      "01 23 45 67 89ab cdef 0123456789abcdef 0123456789ABCDEF "
				      "0123456789abcdef",
				      &t, &why));
	assert_int_equal(t.usage, 3);
	assert_int_equal(t.selector, 1);
	assert_int_equal(t.mtype, 1);
	assert_int_equal(t.len, 32);
	assert_int_equal(t.data[16], 0x01);
	free(t.data);
	snprintf(sha512, sizeof(sha512), "0 0 2 %0128d", 7);
	assert_true(policy_tlsa_parse(sha512, &t, &why));
	assert_int_equal(t.len, 64);
	assert_int_equal(t.data[63], 0x07);
	free(t.data);
	assert_false(policy_tlsa_parse("3 1 1 00", &t, &why));
	assert_false(policy_tlsa_parse("31 1 00", &t, &why));
	assert_false(policy_tlsa_parse("", &t, &why));
	assert_false(policy_tlsa_parse("3 1 0", &t, &why));
	assert_false(policy_tlsa_parse("000003 1 0 00", &t, &why));
	assert_true(policy_tlsa_parse("003 1 0 00", &t, &why));
	free(t.data);
}

static void test_example_file(void **state)
{
	char tdir[1024], path[1200];
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;
	const struct policy *p;
	const struct policy_tlsa *t[2];

	(void)state;
	tests_dir(__FILE__, "unit/test_policy.c", tdir, sizeof(tdir));
	snprintf(path, sizeof(path), "%s/../rules/example-policies.yaml", tdir);
	mx_errors_init(&errs);
	if (!policy_load_file(s, path, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
	assert_int_equal(policy_set_count(s), 3);
	p = policy_find(s, "example.test");
	assert_non_null(p);
	assert_true(policy_mx_allowed(p, "a.mail.example.test"));
	assert_int_equal(policy_tlsa_for_host(s, "mx1.example.test", 25, t, 2), 1);
	assert_non_null(policy_find(s, "partner.test"));
	assert_non_null(policy_find(s, "legacy.test"));
	assert_false(policy_find(s, "legacy.test")->has_sts);
	assert_int_equal(policy_trusted_resolver_count(s), 2);
	policy_set_free(s);
}

/* Writes text to dir/name. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void test_mta_sts_import(void **state)
{
	static const char body[] = "version: STSv1\r\nmode: testing\r\nmx: mx.sts.test\r\n"
				   "mx: *.pool.sts.test\r\nmax_age: 86400\r\n";
	char tmpl[] = "/tmp/mxsentry-policy-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char path[1024];
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;
	const struct policy *p;

	(void)state;
	assert_non_null(dir);
	/* direct import */
	mx_errors_init(&errs);
	assert_true(
	    policy_import_mta_sts_text(s, "Direct.TEST.", "direct.txt", body, strlen(body), &errs));
	p = policy_find(s, "direct.test");
	assert_non_null(p);
	assert_int_equal(p->origin, POLICY_ORIGIN_MTA_STS_TEXT);
	assert_string_equal(p->id, "direct.txt:1");
	assert_int_equal(p->sts.mode, MTASTS_MODE_TESTING);
	assert_true(policy_mx_allowed(p, "a.pool.sts.test"));
	/* a bad body or a bad domain imports nothing */
	assert_false(policy_import_mta_sts_text(s, "bad.test", "bad.txt", "mode: x\n", 8, &errs));
	assert_false(
	    policy_import_mta_sts_text(s, "bad domain", "b.txt", body, strlen(body), &errs));
	assert_string_equal(mx_errors_get(&errs, mx_errors_count(&errs) - 1),
			    "b.txt: bad domain 'bad domain': character not allowed in a host name");
	assert_null(policy_find(s, "bad.test"));

	/* by file name: DOMAIN.txt */
	write_file(dir, "sts.test.txt", body);
	snprintf(path, sizeof(path), "%s/sts.test.txt", dir);
	mx_errors_init(&errs);
	assert_true(policy_load_file(s, path, &errs));
	p = policy_find(s, "sts.test");
	assert_non_null(p);
	assert_true(policy_mx_allowed(p, "mx.sts.test"));

	/* by reference from YAML, relative to the YAML file */
	write_file(dir, "ref.yaml",
		   "policies:\n  - domain: ref.test\n    mta-sts-file: sts.test.txt\n"
		   "    require-tls: true\n");
	snprintf(path, sizeof(path), "%s/ref.yaml", dir);
	assert_true(policy_load_file(s, path, &errs));
	p = policy_find(s, "ref.test");
	assert_non_null(p);
	assert_int_equal(p->origin, POLICY_ORIGIN_YAML);
	assert_true(p->require_tls);
	assert_int_equal(p->sts.n_mx, 2);
	assert_int_equal(policy_set_count(s), 3);

	/* a reference cannot be followed from a buffer without a directory */
	mx_errors_init(&errs);
	{
		const char *t = "policies: [{domain: x.test, mta-sts-file: a.txt}]\n";

		assert_false(policy_load_buffer(s, "buf.yaml", t, strlen(t), NULL, &errs));
	}
	assert_string_equal(mx_errors_get(&errs, 0),
			    "buf.yaml:1:43: mta-sts-file cannot be used here (no directory to read "
			    "from)");
	remove_file(dir, "sts.test.txt");
	remove_file(dir, "ref.yaml");
	rmdir(dir);
	policy_set_free(s);
}

static const char se_list[] =
    "{\n"
    "  \"timestamp\": \"2018-09-28T11:57:09.977018279-07:00\",\n"
    "  \"expires\": \"2018-10-12T11:57:09.977018279-07:00\",\n"
    "  \"version\": \"0.1\",\n"
    "  \"author\": \"Electronic Frontier Foundation https://eff.org\",\n"
    "  \"pinsets\": {},\n"
    "  \"policy-aliases\": {\n"
    "    \"google\": {\"mode\": \"testing\", \"mxs\": [\".l.google.example\"]},\n"
    "    \"outlook\": {\"mode\": \"enforce\", \"mxs\": [\".outlook.example\", "
    "\"outlook.example\"]}\n"
    "  },\n"
    "  \"policies\": {\n"
    "    \"gmail.example\": {\"policy-alias\": \"google\"},\n"
    "    \"hotmail.example\": {\"policy-alias\": \"outlook\"},\n"
    "    \"live.example\": {\"policy-alias\": \"outlook\"},\n"
    "    \"eff.example\": {\"mode\": \"enforce\", \"mxs\": [\"mail.eff.example\"], "
    "\"mta-sts\": true,\n"
    "                    \"pin\": \"eff\", \"report\": [\"mailto:tls@eff.example\"]}\n"
    "  }\n"
    "}\n";

static void test_starttls_everywhere(void **state)
{
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;
	const struct policy *p;

	(void)state;
	mx_errors_init(&errs);
	if (!policy_load_buffer(s, "policy.json", se_list, strlen(se_list), NULL, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
	assert_int_equal(policy_set_count(s), 4);
	p = policy_find(s, "gmail.example");
	assert_non_null(p);
	assert_int_equal(p->origin, POLICY_ORIGIN_STARTTLS_EVERYWHERE);
	assert_string_equal(p->id, "policy.json:12");
	assert_int_equal(p->sts.mode, MTASTS_MODE_TESTING);
	assert_false(p->require_tls);
	/* ".suffix" matches any depth below, not the name itself */
	assert_true(policy_mx_allowed(p, "aspmx.l.google.example"));
	assert_true(policy_mx_allowed(p, "alt1.aspmx.l.google.example"));
	assert_false(policy_mx_allowed(p, "l.google.example"));
	assert_false(policy_mx_allowed(p, "mx.google.example"));
	p = policy_find(s, "live.example");
	assert_non_null(p);
	assert_int_equal(p->sts.mode, MTASTS_MODE_ENFORCE);
	assert_true(p->require_tls);
	assert_true(policy_mx_allowed(p, "outlook.example"));
	assert_true(policy_mx_allowed(p, "a.b.outlook.example"));
	p = policy_find(s, "eff.example");
	assert_non_null(p);
	assert_true(policy_mx_allowed(p, "mail.eff.example"));
	assert_false(policy_mx_allowed(p, "x.mail.eff.example"));
	assert_string_equal(policy_origin_name(p->origin), "starttls-everywhere");

	/* a YAML policy overrides a list entry silently, whatever the order */
	mx_errors_init(&errs);
	{
		const char *own = "policies:\n  - domain: gmail.example\n    dane: none\n";

		assert_true(policy_load_buffer(s, "own.yaml", own, strlen(own), NULL, &errs));
	}
	assert_int_equal(policy_set_count(s), 4);
	p = policy_find(s, "gmail.example");
	assert_int_equal(p->origin, POLICY_ORIGIN_YAML);
	assert_false(p->has_sts);
	/* loading the list again: its entries stay below the YAML one... */
	assert_false(policy_load_buffer(s, "again.json", se_list, strlen(se_list), NULL, &errs));
	assert_int_equal(policy_find(s, "gmail.example")->origin, POLICY_ORIGIN_YAML);
	/* ...but a list entry twice is a duplicate */
	assert_string_equal(mx_errors_get(&errs, 0),
			    "again.json:15:5: duplicate policy for domain 'eff.example' (first at "
			    "policy.json:15)");
	assert_int_equal(mx_errors_count(&errs), 3);
	policy_set_free(s);
}

/*
 * A policy-alias inside a policy-aliases definition is an error at its
 * place, and a policy naming that broken alias is not loaded; a policy
 * naming a good alias still is.
 */
static void test_alias_in_alias(void **state)
{
	static const char list[] =
	    "{\n"
	    "  \"policy-aliases\": {\n"
	    "    \"good\": {\"mode\": \"enforce\", \"mxs\": [\".good.example\"]},\n"
	    "    \"bad\": {\"mode\": \"enforce\", \"mxs\": [\".bad.example\"],\n"
	    "            \"policy-alias\": \"good\"}\n"
	    "  },\n"
	    "  \"policies\": {\n"
	    "    \"a.example\": {\"policy-alias\": \"bad\"},\n"
	    "    \"b.example\": {\"policy-alias\": \"good\"},\n"
	    "    \"c.example\": {\"policy-alias\": \"bad\"}\n"
	    "  }\n"
	    "}\n";
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;
	const struct policy *p;

	(void)state;
	mx_errors_init(&errs);
	assert_false(policy_load_buffer(s, "aliases.json", list, strlen(list), NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0), "aliases.json:5:29: 'policy-alias' cannot be "
						     "used inside policy-aliases");
	assert_null(policy_find(s, "a.example"));
	assert_null(policy_find(s, "c.example"));
	p = policy_find(s, "b.example");
	assert_non_null(p);
	assert_true(p->require_tls);
	assert_true(policy_mx_allowed(p, "mx.good.example"));
	policy_set_free(s);
}

static void test_empty_documents(void **state)
{
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;

	(void)state;
	mx_errors_init(&errs);
	assert_true(policy_load_buffer(s, "e.yaml", "", 0, NULL, &errs));
	assert_true(policy_load_buffer(s, "e.yaml", "policies: []\n", 13, NULL, &errs));
	assert_true(policy_load_buffer(s, "e.yaml", "---\n", 4, NULL, &errs));
	assert_int_equal(policy_set_count(s), 0);
	assert_false(policy_load_buffer(s, "e.yaml", "just text\n", 10, NULL, &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "e.yaml:1:1: wrong type for 'document': expected a mapping, got a "
			    "scalar");
	{
		const char *t = "policies: {}\nversion: 1\nfoo: 2\n";

		assert_false(policy_load_buffer(s, "e.yaml", t, strlen(t), NULL, &errs));
	}
	assert_string_equal(mx_errors_get(&errs, 1),
			    "e.yaml:3:1: unknown key 'foo' in policy file");
	assert_int_equal(mx_errors_count(&errs), 2);
	policy_set_free(s);
	policy_set_free(NULL);
}

/*
 * Why a TLSA record is refused: a field that runs on past five digits is
 * a malformed field, not the start of the next one; blanks (tabs too) may
 * split the data; only 0-9, a-f and A-F are hexadecimal; the data is
 * bounded at POLICY_TLSA_MAX_DATA bytes.
 */
static void test_tlsa_parse_errors(void **state)
{
	static const char shape[] = "expected 'usage selector matching-type data'";
	struct policy_tlsa t;
	const char *why = NULL;
	char *big;
	size_t n = 2 * POLICY_TLSA_MAX_DATA + 2;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_false(policy_tlsa_parse("123456 1 1 00", &t, &why));
	assert_string_equal(why, shape);
	assert_false(policy_tlsa_parse("3 123456 1 00", &t, &why));
	assert_string_equal(why, shape);
	assert_false(policy_tlsa_parse("3 1 123456 00", &t, &why));
	assert_string_equal(why, shape);
	assert_false(policy_tlsa_parse("3 1x 1 00", &t, &why));
	assert_string_equal(why, shape);
	assert_false(policy_tlsa_parse("3 0 0 0:", &t, &why));
	assert_string_equal(why, "data is not hexadecimal");
	assert_false(policy_tlsa_parse("3 0 0 @0", &t, &why));
	assert_string_equal(why, "data is not hexadecimal");
	assert_false(policy_tlsa_parse("3 0 0 0g", &t, &why));
	assert_string_equal(why, "data is not hexadecimal");
	assert_false(policy_tlsa_parse("3 0 0 0G", &t, &why));
	assert_string_equal(why, "data is not hexadecimal");

	/* a tab inside the data is a blank like a space */
	assert_true(policy_tlsa_parse("2 0 0 30\t82 0\t1", &t, &why));
	assert_int_equal(t.len, 3);
	assert_memory_equal(t.data, "\x30\x82\x01", 3);
	free(t.data);
	assert_true(policy_tlsa_parse("2 0 0 aF Fa 09 90", &t, &why));
	assert_int_equal(t.len, 4);
	assert_memory_equal(t.data, "\xaf\xfa\x09\x90", 4);
	free(t.data);

	/* exactly the limit is accepted, one byte more is not */
	big = malloc(n + 16);
	assert_non_null(big);
	memcpy(big, "3 0 0 ", 6);
	memset(big + 6, 'a', 2 * POLICY_TLSA_MAX_DATA);
	big[6 + 2 * POLICY_TLSA_MAX_DATA] = '\0';
	assert_true(policy_tlsa_parse(big, &t, &why));
	assert_int_equal(t.len, POLICY_TLSA_MAX_DATA);
	assert_int_equal(t.data[POLICY_TLSA_MAX_DATA - 1], 0xaa);
	free(t.data);
	memcpy(big + 6 + 2 * POLICY_TLSA_MAX_DATA, "bb", 3);
	assert_false(policy_tlsa_parse(big, &t, &why));
	assert_string_equal(why, "data longer than 16384 bytes");
	free(big);
}

/* Lookups keep counting past max but never write past it, and a name that
   is no host name finds nothing, even right after one that did. */
static void test_lookup_limits(void **state)
{
	struct policy_set *s = load_text(sample);
	const struct policy_tlsa *t[3] = {NULL, NULL, NULL};
	const struct policy_host *h[3] = {NULL, NULL, NULL};

	(void)state;
	assert_int_equal(policy_tlsa_for_host(s, "mx1.example.test", 25, t, 1), 2);
	assert_non_null(t[0]);
	assert_int_equal(t[0]->port, 25);
	assert_null(t[1]);
	assert_int_equal(policy_tlsa_for_host(s, NULL, 25, t, 3), 0);
	assert_int_equal(policy_tlsa_for_host(s, "mx1 example", 25, t, 3), 0);
	assert_int_equal(policy_hosts_for_name(s, "shared.example.test", h, 1), 2);
	assert_non_null(h[0]);
	assert_string_equal(h[0]->host, "shared.example.test");
	assert_null(h[1]);
	assert_int_equal(policy_hosts_for_name(s, NULL, h, 3), 0);
	assert_int_equal(policy_hosts_for_name(s, "shared example", h, 3), 0);
	policy_set_free(s);
}

/* One address named by two MX hosts of one policy: both refs, by host name. */
static void test_addr_refs_order(void **state)
{
	struct policy_set *s =
	    load_text("policies:\n"
		      "  - domain: order.test\n"
		      "    addresses: {mxb.order.test: 192.0.2.5, mxa.order.test: "
		      "192.0.2.5, mxc.order.test: 192.0.2.5}\n");
	struct policy_addr_ref refs[4];
	struct mx_addr a;

	(void)state;
	assert_true(mx_addr_parse(&a, "192.0.2.5"));
	assert_int_equal(policy_refs_for_addr(s, &a, refs, 4), 3);
	assert_string_equal(refs[0].mx_host, "mxa.order.test");
	assert_string_equal(refs[1].mx_host, "mxb.order.test");
	assert_string_equal(refs[2].mx_host, "mxc.order.test");
	policy_set_free(s);
}

/* Each DANE mode by name; a TLSA entry whose host is bad loads no record. */
static void test_dane_modes_and_bad_tlsa_host(void **state)
{
	static const char text[] = "policies:\n"
				   "  - {domain: a.test, dane: auto}\n"
				   "  - {domain: b.test, dane: none}\n"
				   "  - {domain: c.test, dane: required}\n"
				   "  - domain: d.test\n"
				   "    tlsa:\n"
				   "      - {host: bad_host.d.test, records: [\"2 0 0 01\"]}\n"
				   "      - {host: mx.d.test, records: [\"2 0 0 02\"]}\n";
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;
	const struct policy_tlsa *t[2];
	const struct policy *p;

	(void)state;
	mx_errors_init(&errs);
	assert_false(policy_load_buffer(s, "d.yaml", text, strlen(text), NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0), "d.yaml:7:16: bad domain 'bad_host.d.test' "
						     "for 'host': character not allowed in a host "
						     "name");
	assert_int_equal(policy_find(s, "a.test")->dane, POLICY_DANE_AUTO);
	assert_int_equal(policy_find(s, "b.test")->dane, POLICY_DANE_NONE);
	assert_int_equal(policy_find(s, "c.test")->dane, POLICY_DANE_REQUIRED);
	assert_string_equal(policy_dane_name(POLICY_DANE_NONE), "none");
	assert_string_equal(policy_dane_name(POLICY_DANE_AUTO), "auto");
	p = policy_find(s, "d.test");
	assert_non_null(p);
	assert_int_equal(p->n_tlsa, 1);
	assert_int_equal(policy_tlsa_for_host(s, "mx.d.test", 25, t, 2), 1);
	assert_int_equal(t[0]->data[0], 0x02);
	policy_set_free(s);
}

/* A duplicate is reported by the load that made it, not by later loads. */
static void test_duplicate_reported_once(void **state)
{
	static const char dup[] = "policies:\n  - domain: dup.test\n  - domain: dup.test\n";
	static const char other[] = "policies:\n  - domain: other.test\n";
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;

	(void)state;
	mx_errors_init(&errs);
	assert_false(policy_load_buffer(s, "dup.yaml", dup, strlen(dup), NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "dup.yaml:3:5: duplicate policy for domain 'dup.test' (first at "
			    "dup.yaml:2)");
	assert_string_equal(policy_find(s, "dup.test")->id, "dup.yaml:2");
	mx_errors_init(&errs);
	assert_true(policy_load_buffer(s, "other.yaml", other, strlen(other), NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 0);
	assert_int_equal(policy_set_count(s), 2);
	policy_set_free(s);
}

/* At most MTASTS_MAX_MX patterns in one policy. */
static void test_mx_pattern_limit(void **state)
{
	size_t cap = 64 + (MTASTS_MAX_MX + 1) * 24;
	char *text = malloc(cap);
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;
	size_t len;
	const struct policy *p;

	(void)state;
	assert_non_null(text);
	for (int round = 0; round < 2; round++) {
		int count = MTASTS_MAX_MX + round;

		len = (size_t)snprintf(text, cap,
				       "policies:\n- domain: lim%d.test\n  mta-sts:\n"
				       "    mode: enforce\n    mx:\n",
				       round);
		for (int i = 0; i < count; i++)
			len += (size_t)snprintf(text + len, cap - len, "    - mx%d.lim.test\n", i);
		mx_errors_init(&errs);
		if (round == 0) {
			assert_true(policy_load_buffer(s, "lim.yaml", text, len, NULL, &errs));
			p = policy_find(s, "lim0.test");
			assert_int_equal(p->sts.n_mx, MTASTS_MAX_MX);
			assert_true(policy_mx_allowed(p, "mx255.lim.test"));
		} else {
			assert_false(policy_load_buffer(s, "lim.yaml", text, len, NULL, &errs));
			assert_int_equal(mx_errors_count(&errs), 1);
			assert_string_equal(mx_errors_get(&errs, 0),
					    "lim.yaml:6:5: more than 256 patterns in 'mx'");
			assert_false(
			    policy_mx_allowed(policy_find(s, "lim1.test"), "mx1.lim.test"));
		}
	}
	free(text);
	policy_set_free(s);
}

/*
 * File names: DOMAIN.txt whose name is too long for a domain, or that does
 * not exist; a YAML file named without a directory reads its mta-sts-file
 * from the current directory; an mta-sts-file over the size limit.
 */
static void test_policy_file_names(void **state)
{
	static const char body[] = "version: STSv1\nmode: enforce\nmx: mx.cwd.test\nmax_age: 600\n";
	char tmpl[] = "/tmp/mxsentry-policy-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char path[1200], cwd[1024], *big;
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;
	const struct policy *p;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	mx_errors_init(&errs);
	/* MX_HOST_MAX + 1 letters before .txt: too long; MX_HOST_MAX: read */
	memset(path, 'a', MX_HOST_MAX + 1);
	memcpy(path + MX_HOST_MAX + 1, ".txt", 5);
	assert_false(policy_load_file(s, path, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_non_null(
	    strstr(mx_errors_get(&errs, 0), "aaaa.txt: file name is too long to name a domain"));
	memmove(path + MX_HOST_MAX, ".txt", 5);
	mx_errors_init(&errs);
	assert_false(policy_load_file(s, path, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_non_null(strstr(mx_errors_get(&errs, 0), "aaaa.txt: cannot open: "));
	mx_errors_init(&errs);
	snprintf(path, sizeof(path), "%s/missing.test.txt", dir);
	assert_false(policy_load_file(s, path, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_non_null(
	    strstr(mx_errors_get(&errs, 0), "missing.test.txt: cannot open: No such file"));
	assert_int_equal(policy_set_count(s), 0);

	write_file(dir, "cwd.test.txt", body);
	write_file(dir, "cwd.yaml", "policies: [{domain: cwd.test, mta-sts-file: cwd.test.txt}]\n");
	snprintf(path, sizeof(path), "%s/big.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	big = calloc(1, MTASTS_MAX_TEXT + 2);
	assert_non_null(big);
	memset(big, '#', MTASTS_MAX_TEXT + 1);
	fputs(big, f);
	fclose(f);
	free(big);
	write_file(dir, "big.yaml", "policies: [{domain: big.test, mta-sts-file: big.txt}]\n");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	mx_errors_init(&errs);
	assert_true(policy_load_file(s, "cwd.yaml", &errs));
	assert_false(policy_load_file(s, "big.yaml", &errs));
	assert_int_equal(chdir(cwd), 0);
	p = policy_find(s, "cwd.test");
	assert_non_null(p);
	assert_true(p->has_sts);
	assert_true(policy_mx_allowed(p, "mx.cwd.test"));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "./big.txt: file is larger than the limit of 65536 bytes");
	p = policy_find(s, "big.test");
	assert_non_null(p);
	assert_false(p->has_sts);
	remove_file(dir, "cwd.test.txt");
	remove_file(dir, "cwd.yaml");
	remove_file(dir, "big.txt");
	remove_file(dir, "big.yaml");
	rmdir(dir);
	policy_set_free(s);
}

/*
 * Keys that are no string (a YAML complex key) at the top of a policy file
 * or naming a policy alias are errors at their place; broken YAML is one
 * error and loads nothing.
 */
static void test_odd_keys_and_syntax(void **state)
{
	static const char top[] = "? [a]\n: 1\npolicies: [{domain: top.test}]\n";
	static const char alias[] = "policies:\n"
				    "  x.test: {policy-alias: a}\n"
				    "  y.test: {policy-alias: b}\n"
				    "policy-aliases:\n"
				    "  ? [a]\n"
				    "  : {mode: testing, mxs: [.a.test]}\n"
				    "  b: {mode: enforce, mxs: [.b.test]}\n";
	struct policy_set *s = policy_set_new();
	struct mx_errors errs;
	const struct policy *p;

	(void)state;
	mx_errors_init(&errs);
	assert_false(policy_load_buffer(s, "top.yaml", top, strlen(top), NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(
	    mx_errors_get(&errs, 0),
	    "top.yaml:1:3: wrong type for 'key': expected a scalar, got a sequence");
	mx_errors_init(&errs);
	assert_false(policy_load_buffer(s, "alias.yaml", alias, strlen(alias), NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 2);
	assert_string_equal(mx_errors_get(&errs, 0), "alias.yaml:5:5: wrong type for "
						     "'policy-aliases': expected a string, got a "
						     "sequence");
	assert_string_equal(mx_errors_get(&errs, 1), "alias.yaml:2:26: unknown policy-alias 'a'");
	assert_null(policy_find(s, "x.test"));
	p = policy_find(s, "y.test");
	assert_non_null(p);
	assert_true(policy_mx_allowed(p, "mx.b.test"));
	mx_errors_init(&errs);
	assert_false(policy_load_buffer(s, "s.yaml", "policies: [\n", 12, NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_non_null(strstr(mx_errors_get(&errs, 0), "s.yaml:2:1: YAML syntax error"));
	assert_int_equal(policy_set_count(s), 2);
	policy_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookups),
	    cmocka_unit_test(test_tlsa_parse),
	    cmocka_unit_test(test_example_file),
	    cmocka_unit_test(test_mta_sts_import),
	    cmocka_unit_test(test_starttls_everywhere),
	    cmocka_unit_test(test_alias_in_alias),
	    cmocka_unit_test(test_empty_documents),
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_tlsa_parse_errors),
	    cmocka_unit_test(test_lookup_limits),
	    cmocka_unit_test(test_addr_refs_order),
	    cmocka_unit_test(test_dane_modes_and_bad_tlsa_host),
	    cmocka_unit_test(test_duplicate_reported_once),
	    cmocka_unit_test(test_mx_pattern_limit),
	    cmocka_unit_test(test_policy_file_names),
	    cmocka_unit_test(test_odd_keys_and_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
