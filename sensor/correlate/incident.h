/*
 * incident.h - incidents, not storms. A forged DNS answer is retried by
 * the resolver and answered (forged) again and again; each answer would
 * raise its own alerts. Alerts raised on DNS answers that share kind,
 * domain, MX host (at least one of the two) and resolver within
 * INCIDENT_WINDOW_S seconds (of
 * packet time, since the last one) form one incident: the first is
 * written, the others are only counted into it. An SMTP session alert
 * that names a domain and MX host an incident of the same kind is about
 * (the redirected delivery that a forged MX answer led to) joins that
 * incident: it is written, with the incident's id. Every written alert of
 * an incident says so in `downgrade.incident` {id, count, first, last}:
 * count is the alerts of the incident so far, written or merged.
 *
 * Alerts on DNS answers that are themselves the evidence of separate
 * attempts (dns-answer-race) and alerts of SMTP sessions are never merged:
 * each session is a separate harm.
 *
 * The table is bounded (INCIDENT_SLOTS, 4-way buckets, least recently
 * used evicted and counted); keys are stored as keyed 64-bit hashes, no
 * names. Ids count from 1 in the order incidents open, so an offline run
 * gives the same ids every time.
 */
#ifndef MX_INCIDENT_H
#define MX_INCIDENT_H

#include "util/common.h"
#include "correlate/kinds.h"

#define INCIDENT_WINDOW_S 600
#define INCIDENT_SLOTS	  4096

/* What an alert is about, for grouping. NULL/zero members are "none". */
struct incident_key {
	enum mx_kind kind;
	const char *domain;
	const char *mx_host;
	const struct mx_addr *resolver; /* the DNS client: set for alerts on DNS answers */
};

/* The incident an alert belongs to, as its record shows it. */
struct incident_ref {
	uint64_t id;	/* 0: none */
	uint64_t count; /* alerts of the incident so far, this one included */
	uint64_t first_us, last_us;
};

enum incident_verdict {
	INCIDENT_NONE,	 /* not grouped: write it without an incident */
	INCIDENT_NEW,	 /* opens an incident: write it */
	INCIDENT_JOINED, /* an SMTP alert joining a DNS incident: write it */
	INCIDENT_MERGED, /* counted into an open incident: do not write it */
};

struct incident_counters {
	uint64_t opened, merged, joined, evicted;
};

struct incident_table;

struct incident_table *incident_table_new(void);
void incident_table_free(struct incident_table *t);

/*
 * Files one alert that passed its rule and filter, at packet time ts_us;
 * *ref is filled unless the verdict is INCIDENT_NONE.
 */
enum incident_verdict incident_note(struct incident_table *t, const struct incident_key *k,
				    uint64_t ts_us, struct incident_ref *ref);

const struct incident_counters *incident_counters(const struct incident_table *t);

#endif
