/*
 * ledger.h - the compliance report's model: the outbound smtp session
 * records and the alerts of the EVE input, each alert joined to its
 * session (same flow_id, the session's record at or after the alert),
 * each session judged once (verified, unverifiable, failed with a TLSRPT
 * result type, or no policy), and the rows: one per destination domain
 * and UTC day inside the window.
 *
 * The rules, also in the README (they are what an analyst re-counting
 * with jq must apply):
 *  - a session counts when smtp.direction is "outbound", or absent
 *    (records written without home-net: direction unknown, counted);
 *  - its destination domains: smtp.destination_domains, else the
 *    rcpt_to domains (smtp.rcpt_to, or transactions[].rcpt_to in records
 *    with one entry per mail), else the domain named by the expectation of an
 *    alert joined to it, else "(unknown)"; a session to several domains
 *    counts once in each;
 *  - failed: a verdict (dane or mta-sts) is "fail", or an alert with a
 *    tlsrpt_result is joined to it; its result type is that of its
 *    earliest such alert (failure-reason-code: the alert's kind), else
 *    "validation-failure" (reason "verdict-fail");
 *  - verified: not failed and a verdict is "ok"; unverifiable: neither,
 *    and a verdict is "unverifiable" (TLS 1.3); otherwise no policy;
 *  - tls: smtp.tls.handshake_complete; cleartext: cleartext_transaction;
 *  - the day is the UTC date of the record's timestamp (an alert on a
 *    session counts on the session's day, even when the session falls
 *    outside the window and its alert inside); alerts not on an smtp
 *    session (DNS) count for downgrade.expectation.domain on their day.
 */
#ifndef MX_LEDGER_H
#define MX_LEDGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define LEDGER_MAX_DOMAINS 4
#define LEDGER_MAX_TLSA	   8
#define LEDGER_MAX_STS_MX  4
#define LEDGER_MAX_KINDS   32
#define LEDGER_RESULTS	   11
/* Sessions and alerts kept at most (each some 300 bytes); past it, counted in not_kept. */
#define LEDGER_MAX_KEPT (16u << 20)

enum outcome { OUT_NO_POLICY, OUT_VERIFIED, OUT_UNVERIFIABLE, OUT_FAILED };

struct ledger_session {
	int64_t ts_us;
	int32_t day;
	uint64_t flow_id;
	const char *timestamp, *community_id, *src_ip, *dest_ip, *tls_version, *direction;
	const char *domains[LEDGER_MAX_DOMAINS];
	int ndomains;
	bool domains_unknown; /* none in the record: an alert's expectation may name it */
	bool in_window;
	const char *mx_host; /* the first of mx_hosts, or NULL */
	const char *dane_verdict, *sts_verdict;
	bool tls, cleartext;
	/* policy object (home-net runs) */
	bool pol_dane;
	const char *dane_trust, *dane_source, *dane_host;
	const char *tlsa[LEDGER_MAX_TLSA];
	int ntlsa;
	const char *sts_mode, *sts_domain;
	const char *sts_mx[LEDGER_MAX_STS_MX];
	int nsts_mx;
	int64_t sts_max_age;
	/* judged */
	enum outcome outcome;
	const char *result, *reason;
	const char *first_alert_kind; /* of a policy-less failure: which policy the alert named */
	const char *alert_source;
};

struct ledger_alert {
	int64_t ts_us;
	int32_t day;
	uint64_t flow_id;
	const char *timestamp, *community_id, *kind, *result, *domain, *mx_host, *src_ip, *dest_ip,
	    *source, *app_proto;
	long session; /* index into sessions, -1 when none */
};

struct ledger_count {
	const char *name;
	uint64_t n;
};

struct ledger_row {
	const char *domain;
	int32_t day;
	uint64_t sessions, tls, verified, unverifiable, failed, no_policy, cleartext;
	struct ledger_count by_result[LEDGER_RESULTS];
	size_t nresults;
	struct ledger_count alerts[LEDGER_MAX_KINDS];
	size_t nalerts;
	uint64_t alerts_total;
	int64_t first_us, last_us;
	bool dane, sts_enforce, sts_testing;
	const char *sources[8];
	size_t nsources;
	long *sess; /* indexes into sessions */
	size_t nsess;
	long *alert_idx; /* indexes into alerts */
	size_t nalert_idx;
};

struct ledger {
	struct ledger_session *sessions;
	size_t nsessions, cap_sessions;
	struct ledger_alert *alerts;
	size_t nalerts, cap_alerts;
	struct ledger_row *rows;
	size_t nrows;
	uint64_t smtp_records, alert_records, other_records;
	uint64_t by_direction[5]; /* outbound, inbound, internal, external, unknown */
	uint64_t outside_window;
	uint64_t not_kept;	  /* sessions and alerts past LEDGER_MAX_KEPT, or out of memory */
	int32_t from_day, to_day; /* inclusive; INT32_MIN/MAX: open */
	struct pool *strings;
};

/* The RFC 8460 result types, in the RFC's order. */
extern const char *const ledger_result_types[LEDGER_RESULTS];

/* An empty ledger for the days [from_day, to_day]. NULL on allocation failure. */
struct ledger *ledger_new(int32_t from_day, int32_t to_day);
void ledger_free(struct ledger *l);

/* Takes what the report needs from one EVE record (smtp and alert records). */
void ledger_add(struct ledger *l, json_t *rec);

/* Joins alerts to sessions, judges every session, builds the rows (sorted by domain, day). */
bool ledger_finish(struct ledger *l);

/* Days since 1970-01-01 of an EVE timestamp; false when it is not one. */
bool ledger_parse_time(const char *s, int64_t *us, int32_t *day);

/* "YYYY-MM-DD" of day into buf (11 bytes at least). */
const char *ledger_day_str(int32_t day, char *buf, size_t len);

/* "YYYY-MM-DDTHH:MM:SSZ" of a time in microseconds. */
const char *ledger_time_str(int64_t us, char *buf, size_t len);

/* "dane", "mta-sts enforce", "mta-sts testing", "dane + mta-sts enforce", ... or "none". */
const char *ledger_row_policy(const struct ledger_row *r, char *buf, size_t len);

/* Sessions of the rows with a policy: verified, unverifiable, failed over all rows. */
void ledger_totals(const struct ledger *l, uint64_t *sessions, uint64_t *verified,
		   uint64_t *unverifiable, uint64_t *failed, uint64_t *cleartext, uint64_t *tls);

#endif
