/*
 * kinds.c - the fixed table of detection kinds (DESIGN.md).
 */
#include "correlate/kinds.h"

#include <stddef.h>
#include <string.h>

static const struct {
	const char *name;
	const char *tlsrpt;
} kinds[KIND_COUNT] = {
    [KIND_STARTTLS_STRIPPED] = {"starttls-stripped", "starttls-not-supported"},
    [KIND_STARTTLS_MASKED] = {"starttls-masked", "starttls-not-supported"},
    [KIND_STARTTLS_REJECTED] = {"starttls-rejected", "starttls-not-supported"},
    [KIND_TLS_FALLBACK_CLEARTEXT] = {"tls-fallback-cleartext", "validation-failure"},
    [KIND_CLEARTEXT_POLICY_VIOLATION] = {"cleartext-policy-violation", "starttls-not-supported"},
    [KIND_MX_REDIRECT] = {"mx-redirect", "validation-failure"},
    [KIND_TLSA_MISMATCH] = {"tlsa-mismatch", "tlsa-invalid"},
    [KIND_DNSSEC_BOGUS] = {"dnssec-bogus", "dnssec-invalid"},
    [KIND_DNSSEC_STRIPPED] = {"dnssec-stripped", "dnssec-invalid"},
    [KIND_TLSA_STRIPPED] = {"tlsa-stripped", "tlsa-invalid"},
    [KIND_MTA_STS_STRIPPED] = {"mta-sts-stripped", "sts-policy-fetch-error"},
    [KIND_STARTTLS_COMMAND_INJECTION] = {"starttls-command-injection", NULL},
    [KIND_STARTTLS_RESPONSE_INJECTION] = {"starttls-response-injection", NULL},
    [KIND_EHLO_DOWNGRADE] = {"ehlo-downgrade", "starttls-not-supported"},
    [KIND_DNS_ANSWER_RACE] = {"dns-answer-race", NULL},
    [KIND_REQUIRETLS_VIOLATION] = {"requiretls-violation", NULL},
    [KIND_TLS_VERSION_DOWNGRADE] = {"tls-version-downgrade", NULL},
    [KIND_CERTIFICATE_HOST_MISMATCH] = {"certificate-host-mismatch", "certificate-host-mismatch"},
    [KIND_STREAM_EVASION] = {"stream-evasion", NULL},
    [KIND_CERTIFICATE_NOT_TRUSTED] = {"certificate-not-trusted", "certificate-not-trusted"},
    [KIND_CERTIFICATE_EXPIRED] = {"certificate-expired", "certificate-expired"},
};

const char *kind_name(enum mx_kind k)
{
	return (unsigned)k < KIND_COUNT ? kinds[k].name : "unknown";
}

uint32_t kind_sid(enum mx_kind k)
{
	return KIND_SID_BASE + (uint32_t)k;
}

const char *kind_tlsrpt(enum mx_kind k)
{
	return (unsigned)k < KIND_COUNT ? kinds[k].tlsrpt : NULL;
}

enum mx_kind kind_by_name(const char *name)
{
	for (int k = 0; k < KIND_COUNT; k++)
		if (strcmp(kinds[k].name, name) == 0)
			return (enum mx_kind)k;
	return KIND_COUNT;
}
