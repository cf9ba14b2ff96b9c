/*
 * policy.h - the policy set: what operators declare a mail domain should
 * get (MTA-STS policy, DANE requirement, pinned TLSA records, "require
 * TLS", the addresses of its MX hosts), loaded from YAML policy files, from
 * RFC 8461 policy bodies and from the STARTTLS-Everywhere policy list
 * (JSON), and looked up by domain, MX host and server address.
 *
 * Policy file shape (YAML):
 *
 *   policies:
 *     - domain: example.test
 *       mta-sts: {mode: enforce, mx: [mx1.example.test, "*.mail.example.test"],
 *                 max_age: 604800}        # or: mta-sts-file: example.test.txt
 *       dane: required                    # required | auto (default) | none
 *       require-tls: true
 *       tlsa: [{host: mx1.example.test, port: 25, records: ["3 1 1 <hex>"]}]
 *       addresses: {mx1.example.test: [192.0.2.25, "2001:db8::25"]}
 *   trusted-resolvers: [192.0.2.53]
 *
 * A document whose "policies" is a mapping is read as the STARTTLS-
 * Everywhere list instead ({"policies": {"dom": {"mode", "mxs"} or
 * {"policy-alias"}}, "policy-aliases": {...}}); its ".suffix" mx entries
 * match any depth of subdomain.
 *
 * Every policy keeps "FILE:LINE" of its entry as its id, for alerts. Two
 * policies for one domain from sources of the same strength are an error;
 * a YAML or MTA-STS policy silently overrides a STARTTLS-Everywhere entry.
 */
#ifndef MX_POLICY_H
#define MX_POLICY_H

#include "util/common.h"
#include "correlate/mtasts.h"
#include "conf/yaml_doc.h"

enum policy_dane {
	POLICY_DANE_AUTO,     /* DANE applies when validated TLSA records are seen */
	POLICY_DANE_REQUIRED, /* the domain's MX hosts must do DANE */
	POLICY_DANE_NONE,     /* the domain is declared not to use DANE */
};

enum policy_origin {
	POLICY_ORIGIN_YAML,		   /* a policies: entry */
	POLICY_ORIGIN_MTA_STS_TEXT,	   /* an imported RFC 8461 policy body */
	POLICY_ORIGIN_STARTTLS_EVERYWHERE, /* an entry of the EFF policy list */
};

#define POLICY_TLSA_MAX_DATA 16384 /* bytes of one TLSA association */

struct policy;

/* One pinned TLSA record for an MX host and port. */
struct policy_tlsa {
	char host[MX_HOST_MAX + 1]; /* lower case */
	uint16_t port;
	uint8_t usage, selector, mtype;
	uint16_t len;
	uint8_t *data;
	const struct policy *policy;
};

/* The declared addresses of one MX host. */
struct policy_host {
	char host[MX_HOST_MAX + 1]; /* lower case */
	struct mx_addr *addrs;
	size_t n_addrs;
	const struct policy *policy;
};

struct policy {
	char domain[MX_HOST_MAX + 1]; /* lower case, no trailing dot */
	char id[192];		      /* "FILE:LINE" of the entry */
	enum policy_origin origin;
	bool has_sts; /* sts holds an MTA-STS (or list) policy */
	struct mtasts_policy sts;
	enum policy_dane dane;
	bool require_tls; /* TLS is mandatory toward this domain */
	struct policy_tlsa *tlsa;
	size_t n_tlsa;
	struct policy_host *hosts;
	size_t n_hosts;
	/* loader internals */
	uint32_t line, col;
	char file[128];
	uint32_t seq;
	bool shadowed; /* overridden by a stronger policy for the same domain */
};

struct policy_set;

/* An empty set; NULL on allocation failure. */
struct policy_set *policy_set_new(void);

/* Frees the set, its policies and indexes; NULL is allowed. */
void policy_set_free(struct policy_set *s);

/*
 * Loads one policy file. A name ending in ".txt" is an RFC 8461 policy
 * body for the domain named by the file name ("example.test.txt");
 * anything else is a YAML (or JSON) policy document whose top level may
 * hold only policy keys. Relative mta-sts-file references are resolved
 * against the file's directory. Returns true when no error was reported.
 */
bool policy_load_file(struct policy_set *s, const char *path, struct mx_errors *errs);

/*
 * Loads a policy document held in memory, named `name` in errors.
 * base_dir is where mta-sts-file references are looked up; NULL refuses
 * such references (used by the fuzz target).
 */
bool policy_load_buffer(struct policy_set *s, const char *name, const char *text, size_t len,
			const char *base_dir, struct mx_errors *errs);

/*
 * Loads the policy keys ("policies", "trusted-resolvers", and the
 * STARTTLS-Everywhere keys when "policies" is a mapping) of an already
 * parsed document root, ignoring every other top-level key: the caller
 * checks those. A NULL root (empty document) loads nothing.
 */
bool policy_load_doc(struct policy_set *s, const struct ydoc_node *root, const char *base_dir,
		     struct mx_errors *errs);

/* True when key is a top-level key policy_load_doc reads for this root. */
bool policy_is_top_key(const struct ydoc_node *root, const char *key);

/*
 * Adds the RFC 8461 policy body text[0..len) as the MTA-STS policy of
 * `domain`; errors are named `name`. Returns true when no error.
 */
bool policy_import_mta_sts_text(struct policy_set *s, const char *domain, const char *name,
				const char *text, size_t len, struct mx_errors *errs);

/*
 * Parses a TLSA record written "U S M hex" (hex may contain blanks):
 * usage 0..3, selector 0..1, matching type 0..2, and data of 32 bytes for
 * SHA-256 (1), 64 for SHA-512 (2), 1..POLICY_TLSA_MAX_DATA for full data
 * (0). Fills usage/selector/mtype/len and a new data buffer. False with
 * *why (a static string) otherwise.
 */
bool policy_tlsa_parse(const char *s, struct policy_tlsa *out, const char **why);

/* ---- lookups (valid until the next load into the set) ---- */

/* Policies in the set that are in effect (not overridden). */
size_t policy_set_count(const struct policy_set *s);

/* The i-th policy in effect, in domain order. */
const struct policy *policy_set_get(const struct policy_set *s, size_t i);

/* The policy for domain (case-insensitive, one trailing dot ignored), or NULL. */
const struct policy *policy_find(const struct policy_set *s, const char *domain);

/*
 * The pinned TLSA records for MX host and port: fills out[0..max) and
 * returns how many exist (possibly more than max).
 */
size_t policy_tlsa_for_host(const struct policy_set *s, const char *host, uint16_t port,
			    const struct policy_tlsa **out, size_t max);

/*
 * The declared address lists of MX host (one per policy that names the
 * host): fills out[0..max) and returns how many exist.
 */
size_t policy_hosts_for_name(const struct policy_set *s, const char *host,
			     const struct policy_host **out, size_t max);

/* One (MX host, policy) pair an address is declared for. */
struct policy_addr_ref {
	const char *mx_host;
	const struct policy *policy; /* policy->domain is the mail domain */
};

/*
 * Every (MX host, domain) an address is declared for: fills out[0..max)
 * and returns how many exist.
 */
size_t policy_refs_for_addr(const struct policy_set *s, const struct mx_addr *a,
			    struct policy_addr_ref *out, size_t max);

/*
 * True when host may serve the policy's domain under its MTA-STS (or
 * list) mx patterns; false when the policy has none.
 */
bool policy_mx_allowed(const struct policy *p, const char *host);

/* Addresses listed under trusted-resolvers in the loaded files. */
size_t policy_trusted_resolver_count(const struct policy_set *s);
const struct mx_addr *policy_trusted_resolver(const struct policy_set *s, size_t i);
bool policy_is_trusted_resolver(const struct policy_set *s, const struct mx_addr *a);

/* "yaml", "mta-sts", "starttls-everywhere". */
const char *policy_origin_name(enum policy_origin o);

/* "auto", "required", "none". */
const char *policy_dane_name(enum policy_dane d);

#endif
