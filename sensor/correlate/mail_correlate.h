/*
 * mail_correlate.h - the detections that judge an SMTP session against
 * what should have happened for its server and its recipients' domains:
 * starttls-stripped, cleartext-policy-violation, mx-redirect,
 * tlsa-mismatch, certificate-host-mismatch, certificate-not-trusted,
 * certificate-expired, tls-version-downgrade; the
 * server's STARTTLS/TLS history; and the session's DANE and MTA-STS
 * verdicts. Every mail_correlate_* function is an entry point: it takes
 * the correlate stage's lock exactly once for its run (mail_pkix_check
 * takes none); the session's mail_facts belong to the caller's thread. The alerts it decides are
 * appended to out, whose records the caller writes (app/alert_out.h).
 */
#ifndef MX_MAIL_CORRELATE_H
#define MX_MAIL_CORRELATE_H

#include "correlate/correlate.h"
#include "correlate/mtasts.h"
#include "correlate/pkix.h"
#include "smtp.h"
#include "correlate/tally.h"
#include "tls.h"

#define MAIL_MAX_SAN	  16
#define MAIL_MAX_TARGETS  4
#define MAIL_EVIDENCE_MAX 512
/* Largest server certificate kept for the host name check. */
#define MAIL_LEAF_DER_MAX 65536

/* Digests of one certificate of the server's chain, for TLSA matching. */
struct cert_digest {
	uint8_t cert_sha256[32], cert_sha512[64];
	uint8_t spki_sha256[32], spki_sha512[64];
	bool spki_ok;
	/* full-data TLSA (matching type 0) is compared while the DER is at hand */
	bool full_match_cert, full_match_spki;
};

#define MAIL_POLICY_TLSA 8
#define MAIL_POLICY_MX	 4

/*
 * The policies behind a session's verdicts, as judge_end found them (for
 * the smtp record with home-net set, and from it the compliance report).
 */
struct mail_policy_seen {
	bool dane;		 /* a DANE expectation was in force */
	const char *dane_source; /* "dane" or "policy" (static string) */
	enum expect_trust dane_trust;
	char dane_host[EXPECT_NAME_MAX]; /* the MX host whose TLSA records apply */
	struct tlsa_record tlsa[MAIL_POLICY_TLSA];
	size_t ntlsa;
	bool sts; /* an MTA-STS policy was in force */
	enum mtasts_mode sts_mode;
	uint32_t sts_max_age;
	char sts_domain[EXPECT_NAME_MAX];	      /* the policy domain */
	char sts_mx[MAIL_POLICY_MX][EXPECT_NAME_MAX]; /* its mx patterns (first few) */
	size_t sts_nmx;
};

/* What the detections read of the SMTP dissector's state (a copy). */
struct mail_smtp_facts {
	bool midstream;	       /* picked up in the middle */
	bool starttls_offered; /* in any EHLO reply */
	bool starttls_issued;
	bool cleartext_mail; /* MAIL/RCPT/DATA/BDAT sent in cleartext */
	/* the recipients' domains ("" for none), as the dissector keeps them */
	char rcpt_domain[SMTP_MAX_RCPT][SMTP_DOMAIN_MAX + 1];
	unsigned nrcpt;
};

/* What the detections read of the TLS dissector's state (a copy). */
struct mail_tls_facts {
	bool server_hello, handshake_complete, fatal_alert;
	bool not_tls[2]; /* direction did not carry TLS records */
	uint16_t version, client_version;
	uint8_t downgrade_sentinel;
	enum tls_cert_visibility cert_visibility;
	unsigned cert_count;
	bool leaf_spki_ok; /* leaf_spki_sha256 holds the server certificate's SPKI digest */
	uint8_t leaf_spki_sha256[32];
	char sni[TLS_SNI_MAX + 1];
};

/*
 * What the correlation knows of one session; filled by mail_session.c,
 * which copies ends, smtp and tls from the flow and the dissectors before
 * each entry point. The rest is the session's own memory: what correlate
 * wrote into it, and the server's certificates (owned by the session).
 */
struct mail_facts {
	struct corr_ends ends;
	struct mail_smtp_facts smtp;
	struct mail_tls_facts tls;
	bool implicit_tls;
	struct cert_digest certs[TLS_CHAIN_MAX];
	unsigned ncerts;
	/* the DER of the same certificates from their arrival until they are
	   judged, parsed only for PKIX under an MTA-STS enforce policy (owned
	   by mail_session.c); NULL: not kept */
	uint8_t *chain_der[TLS_CHAIN_MAX];
	size_t chain_der_len[TLS_CHAIN_MAX];
	char san[MAIL_MAX_SAN][EXPECT_NAME_MAX];
	unsigned nsan;
	char cn[EXPECT_NAME_MAX];
	/* the DER of the server's own certificate from its arrival until it
	   is judged, for X509_check_host (every name, not only the first
	   MAIL_MAX_SAN); owned by the session; NULL: judge by san[] and cn */
	uint8_t *leaf_der;
	size_t leaf_der_len;
	/* the EHLO reply lines as seen, '\n'-joined, for evidence */
	char ehlo_lines[MAIL_EVIDENCE_MAX];
	size_t ehlo_lines_len;
	bool alerted[KIND_COUNT];
	/* MX hosts the server address is known as, and their mail domains */
	bool targets_known;
	char hosts[MAIL_MAX_TARGETS][EXPECT_NAME_MAX];
	size_t nhosts;
	char domains[MAIL_MAX_TARGETS][EXPECT_NAME_MAX];
	size_t ndomains;
	bool history_counted;
	bool ehlo_counted; /* the EHLO reply went into the server's history */
	/* mx-redirect on this session broke a DANE-validated MX set / an MTA-STS policy */
	bool redirect_dane, redirect_sts;
	enum verdict dane, sts;
	struct mail_policy_seen policy;
};

/* A TLS attempt that failed between a client and a server, as the session keeps it. */
struct tls_failure_facts {
	bool used; /* false: none remembered */
	struct mx_addr cli, srv;
	uint64_t ts_us;
	uint64_t flow_id;
	char why[48];
};

/*
 * The session's first cleartext MAIL FROM. prev is the failed TLS attempt
 * the session remembers for its client and server: tls-fallback-cleartext
 * when it was another flow of the same pair at most fallback_window_s
 * before. Returns true when it was judged a fallback (the caller then
 * forgets prev); the lock is taken only to decide the alert.
 */
bool mail_correlate_fallback(struct correlate *c, struct mail_facts *mf,
			     const struct tls_failure_facts *prev, uint64_t ts_us,
			     struct alert_list *out);

/*
 * Something the session's dissectors recognised on their own
 * (starttls-masked, the injections, ehlo-downgrade, requiretls-violation,
 * stream-evasion): kind k, once per session, with the session's MX host
 * and domain as keys and evidence(e, arg) as its evidence.
 */
void mail_correlate_seen(struct correlate *c, struct mail_facts *mf, enum mx_kind k, int dir,
			 uint64_t ts_us, alert_evidence_fn evidence, const void *arg,
			 struct alert_list *out);

/* A successful EHLO reply in cleartext: starttls-stripped. */
void mail_correlate_ehlo(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
			 struct alert_list *out);

/*
 * STARTTLS offered and then refused: raises starttls-rejected, naming the
 * expectation behind it when there is one (its severity is then higher).
 */
void mail_correlate_rejected(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
			     alert_evidence_fn evidence, const void *arg, struct alert_list *out);

/*
 * A mail command (MAIL, RCPT, DATA, BDAT) in cleartext; rcpt_domain is
 * the recipient's domain for RCPT, else NULL: cleartext-policy-violation
 * and mx-redirect.
 */
void mail_correlate_cleartext_mail(struct correlate *c, struct mail_facts *mf,
				   const char *rcpt_domain, uint64_t ts_us, struct alert_list *out);

/* A recipient seen over TLS or in cleartext: mx-redirect. */
void mail_correlate_rcpt(struct correlate *c, struct mail_facts *mf, const char *rcpt_domain,
			 uint64_t ts_us, struct alert_list *out);

/*
 * What the chain of a session is to be verified for: the MTA-STS
 * enforce policy (copied, as the policy set may be replaced while the
 * chain is verified) and the trust store (fixed for the stage's life).
 */
struct mail_pkix_want {
	bool wanted; /* false: no verification, no alert */
	const struct pkix_store *store;
	char domain[EXPECT_NAME_MAX];
	char policy_id[192];
};

/*
 * The server's certificate chain was read: tlsa-mismatch and
 * certificate-host-mismatch; *w says whether the chain is to be verified
 * for an MTA-STS enforce policy (certificate-not-trusted,
 * certificate-expired). The caller then runs mail_pkix_check with no
 * lock held and hands its result to mail_correlate_pkix, so OpenSSL's
 * chain verification never runs under the stage's lock.
 */
void mail_correlate_certificate(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
				struct mail_pkix_want *w, struct alert_list *out);

/*
 * Not an entry point, takes no lock: verifies the session's chain
 * (pkix_verify at packet time ts_us) against w's trust store. PKIX_OK
 * when w does not want it or the leaf cannot be parsed; *why says what
 * failed otherwise. Reads only mf and w, safe in any thread.
 */
enum pkix_result mail_pkix_check(const struct mail_pkix_want *w, const struct mail_facts *mf,
				 uint64_t ts_us, struct pkix_failure *why);

/*
 * The result r of mail_pkix_check for w: certificate-expired or
 * certificate-not-trusted when it failed (the lock is taken only then).
 */
void mail_correlate_pkix(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
			 const struct mail_pkix_want *w, enum pkix_result r,
			 const struct pkix_failure *why, struct alert_list *out);

/* The ServerHello fixed the version: tls-version-downgrade. */
void mail_correlate_tls_version(struct correlate *c, struct mail_facts *mf, uint64_t ts_us,
				struct alert_list *out);

/* The session ended: history update, DANE and MTA-STS verdicts in mf. */
void mail_correlate_end(struct correlate *c, struct mail_facts *mf, uint64_t ts_us);

/*
 * The full-data TLSA records (matching type 0) pinned for the server of
 * mf, compared with one certificate's DER (and its SPKI, taken out of it
 * only when such a record asks for it) while they are at hand.
 */
void mail_correlate_full_match(struct correlate *c, struct mail_facts *mf, struct cert_digest *d,
			       const uint8_t *der, size_t der_len, uint64_t ts_us);

/* Fills mf's MX hosts and domains from the server address (once). */
void mail_correlate_targets(struct correlate *c, struct mail_facts *mf, uint64_t ts_us);

#endif
