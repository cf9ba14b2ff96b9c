/*
 * kinds.h - the detection kinds of DESIGN.md: stable names, fixed
 * signature ids and the TLSRPT (RFC 8460) result type each maps to.
 */
#ifndef MX_KINDS_H
#define MX_KINDS_H

#include <stdint.h>

enum mx_kind {
	KIND_STARTTLS_STRIPPED,
	KIND_STARTTLS_MASKED,
	KIND_STARTTLS_REJECTED,
	KIND_TLS_FALLBACK_CLEARTEXT,
	KIND_CLEARTEXT_POLICY_VIOLATION,
	KIND_MX_REDIRECT,
	KIND_TLSA_MISMATCH,
	KIND_DNSSEC_BOGUS,
	KIND_DNSSEC_STRIPPED,
	KIND_TLSA_STRIPPED,
	KIND_MTA_STS_STRIPPED,
	KIND_STARTTLS_COMMAND_INJECTION,
	KIND_STARTTLS_RESPONSE_INJECTION,
	KIND_EHLO_DOWNGRADE,
	KIND_DNS_ANSWER_RACE,
	KIND_REQUIRETLS_VIOLATION,
	KIND_TLS_VERSION_DOWNGRADE,
	KIND_CERTIFICATE_HOST_MISMATCH,
	KIND_STREAM_EVASION,
	KIND_CERTIFICATE_NOT_TRUSTED,
	KIND_CERTIFICATE_EXPIRED,
	KIND_COUNT
};

#define KIND_SID_BASE 9000001u

/* The kind's stable name, e.g. "starttls-stripped". */
const char *kind_name(enum mx_kind k);
/* The kind's fixed signature id (KIND_SID_BASE + k: 9000001 upwards, README). */
uint32_t kind_sid(enum mx_kind k);
/* The TLSRPT result type, or NULL where none fits. */
const char *kind_tlsrpt(enum mx_kind k);
/* The kind with this name; KIND_COUNT when there is none. */
enum mx_kind kind_by_name(const char *name);

#endif
