/*
 * pkix.h - certificate path validation for MTA-STS (RFC 8461 4.2): the
 * chain a server sent in the clear (TLS <= 1.2) must lead to a trusted
 * root, every certificate valid at the time of use. The time of use is
 * packet time, so a capture is judged as on the day it was taken. Trust
 * comes from the system store (OpenSSL's default paths: Debian's
 * ca-certificates in /etc/ssl/certs) unless a CA file or directory is
 * configured (`--ca-file`, `tls: {ca-file, ca-path}`), which then replaces it.
 * The host name is not checked here (certificate-host-mismatch does).
 */
#ifndef MX_PKIX_H
#define MX_PKIX_H

#include <openssl/x509.h>

#include "util/common.h"

enum pkix_result {
	PKIX_OK,
	PKIX_NOT_TRUSTED, /* no path to a trusted root (self-signed, unknown CA, bad signature) */
	PKIX_EXPIRED,	  /* a certificate of the path is outside its validity at that time */
};

/* What went wrong, for the alert's evidence. */
struct pkix_failure {
	int error;			    /* the X509_V_ERR_* code */
	const char *text;		    /* X509_verify_cert_error_string of it */
	int depth;			    /* 0 = the server's certificate */
	char subject[160];		    /* of the certificate at that depth ("" if none) */
	char not_before[32], not_after[32]; /* its validity, ISO 8601 UTC */
};

struct pkix_store;

/*
 * The trust store: ca_file and/or ca_path when given (PEM file, hashed
 * directory), else the system's default paths. NULL with a message in err
 * when a given file or directory cannot be loaded.
 */
struct pkix_store *pkix_store_new(const char *ca_file, const char *ca_path, char *err,
				  size_t errlen);
void pkix_store_free(struct pkix_store *s);

/*
 * Verifies leaf with the untrusted certificates chain[0..n) (as the
 * server sent them) at packet time ts_us. On failure *why says what and
 * where. Safe to call from several threads.
 */
enum pkix_result pkix_verify(const struct pkix_store *s, X509 *leaf, X509 *const *chain, size_t n,
			     uint64_t ts_us, struct pkix_failure *why);

#endif
