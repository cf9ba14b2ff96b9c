/*
 * ledger.c - the compliance report's model; see ledger.h.
 */
#include "compliance/ledger.h"
#include "util/hash.h"
#include "util/name.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const ledger_result_types[LEDGER_RESULTS] = {
    "starttls-not-supported", "certificate-host-mismatch",
    "certificate-expired",    "certificate-not-trusted",
    "validation-failure",     "tlsa-invalid",
    "dnssec-invalid",	      "dane-required",
    "sts-policy-fetch-error", "sts-policy-invalid",
    "sts-webpki-invalid",
};

/* ---- interned strings: equal strings share one pointer ---- */

struct pool {
	char **slot;
	size_t cap, n;
	struct mx_hash_key key; /* the names come from traffic */
};

static uint32_t hash_str(const struct pool *p, const char *s)
{
	return (uint32_t)mx_siphash(&p->key, s, strlen(s));
}

static bool pool_grow(struct pool *p)
{
	size_t ncap = p->cap ? p->cap * 2 : 1024;
	char **ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return false;
	if (p->cap == 0)
		mx_hash_key_init(&p->key);
	for (size_t i = 0; i < p->cap; i++) {
		size_t j;

		if (p->slot[i] == NULL)
			continue;
		for (j = hash_str(p, p->slot[i]) & (ncap - 1); ns[j] != NULL;
		     j = (j + 1) & (ncap - 1))
			;
		ns[j] = p->slot[i];
	}
	free(p->slot);
	p->slot = ns;
	p->cap = ncap;
	return true;
}

/* The pool's copy of s (NULL stays NULL; NULL also on allocation failure). */
static const char *intern(struct pool *p, const char *s)
{
	size_t j;

	if (s == NULL)
		return NULL;
	if ((p->n + 1) * 2 > p->cap && !pool_grow(p))
		return NULL;
	for (j = hash_str(p, s) & (p->cap - 1); p->slot[j] != NULL; j = (j + 1) & (p->cap - 1))
		if (strcmp(p->slot[j], s) == 0)
			return p->slot[j];
	p->slot[j] = strdup(s);
	if (p->slot[j] != NULL)
		p->n++;
	return p->slot[j];
}

static void pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->cap; i++)
		free(p->slot[i]);
	free(p->slot);
	free(p);
}

/* ---- time ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool ledger_parse_time(const char *s, int64_t *us, int32_t *day)
{
	int Y, M, D, h, mi, sec, oh = 0, om = 0;
	int64_t frac = 0, scale = 1000000, secs;
	const char *p;

	if (s == NULL || strlen(s) < 19 || !digits(s, 4, &Y) || s[4] != '-' ||
	    !digits(s + 5, 2, &M) || s[7] != '-' || !digits(s + 8, 2, &D) ||
	    (s[10] != 'T' && s[10] != ' ') || !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	p = s + 19;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		p++;
		if (!digits(p, 2, &oh))
			return false;
		p += 2;
		if (*p == ':')
			p++;
		if (!digits(p, 2, &om))
			return false;
		p += 2;
		oh *= sign;
		om *= sign;
	} else if (*p == 'Z') {
		p++;
	}
	if (*p != '\0')
		return false;
	secs = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + sec -
	       (oh * 3600 + om * 60);
	*us = secs * 1000000 + frac;
	*day = (int32_t)((secs >= 0 ? secs : secs - 86399) / 86400);
	return true;
}

const char *ledger_day_str(int32_t day, char *buf, size_t len)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
	return buf;
}

const char *ledger_time_str(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* ---- reading records ---- */

static const char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static uint64_t get_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = mx_ascii_lower(*s);
}

/* The domain of "<local@domain>" lower-cased into buf; NULL when there is none. */
static const char *rcpt_domain(const char *addr, char *buf, size_t len)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	size_t n;

	if (at == NULL)
		return NULL;
	at++;
	n = strcspn(at, ">");
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, at, n);
	buf[n] = '\0';
	lower(buf);
	return buf;
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	void *na;
	size_t ncap;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 256;
	na = realloc(*arr, ncap * elem);
	if (na == NULL)
		return false;
	*arr = na;
	*cap = ncap;
	return true;
}

/* Adds the domains of an rcpt_to list ("<local@domain>" strings) to s, once each. */
static void add_rcpt_domains(struct ledger *l, struct ledger_session *s, json_t *list)
{
	char dom[256];
	size_t i;
	json_t *it;

	for (i = 0; i < json_array_size(list) && (it = json_array_get(list, i)) != NULL; i++) {
		const char *d = rcpt_domain(json_string_value(it), dom, sizeof(dom));
		bool dup = false;

		if (d == NULL || s->ndomains == LEDGER_MAX_DOMAINS)
			continue;
		d = intern(l->strings, d);
		for (int k = 0; k < s->ndomains; k++)
			dup |= s->domains[k] == d;
		if (!dup)
			s->domains[s->ndomains++] = d;
	}
}

static void add_session(struct ledger *l, json_t *rec, int64_t us, int32_t day)
{
	json_t *smtp = json_object_get(rec, "smtp");
	json_t *v, *it, *tls, *pol, *pd, *ps;
	struct ledger_session *s;
	const char *dir;
	char dom[256];
	size_t i;

	if (!json_is_object(smtp))
		return;
	dir = get_str(smtp, "direction");
	if (dir == NULL)
		l->by_direction[4]++;
	else if (strcmp(dir, "outbound") == 0)
		l->by_direction[0]++;
	else if (strcmp(dir, "inbound") == 0)
		l->by_direction[1]++;
	else if (strcmp(dir, "internal") == 0)
		l->by_direction[2]++;
	else
		l->by_direction[3]++;
	if (dir != NULL && strcmp(dir, "outbound") != 0)
		return;
	if (l->nsessions >= LEDGER_MAX_KEPT ||
	    !grow((void **)&l->sessions, &l->cap_sessions, l->nsessions, sizeof(*s))) {
		l->not_kept++;
		return;
	}
	s = &l->sessions[l->nsessions++];
	memset(s, 0, sizeof(*s));
	s->ts_us = us;
	s->day = day;
	/* kept outside the window too: an alert of the window may belong to it */
	s->in_window = day >= l->from_day && day <= l->to_day;
	l->outside_window += !s->in_window;
	s->flow_id = get_u64(rec, "flow_id");
	s->timestamp = intern(l->strings, get_str(rec, "timestamp"));
	s->community_id = intern(l->strings, get_str(rec, "community_id"));
	s->src_ip = intern(l->strings, get_str(rec, "src_ip"));
	s->dest_ip = intern(l->strings, get_str(rec, "dest_ip"));
	s->direction = intern(l->strings, dir);
	v = json_object_get(smtp, "destination_domains");
	for (i = 0; i < json_array_size(v) && (it = json_array_get(v, i)) != NULL; i++) {
		if (json_is_string(it) && s->ndomains < LEDGER_MAX_DOMAINS) {
			snprintf(dom, sizeof(dom), "%s", json_string_value(it));
			lower(dom);
			s->domains[s->ndomains++] = intern(l->strings, dom);
		}
	}
	if (s->ndomains == 0) {
		json_t *tr = json_object_get(smtp, "transactions");
		size_t j;

		add_rcpt_domains(l, s, json_object_get(smtp, "rcpt_to"));
		/* records with one entry per mail: transactions[].rcpt_to */
		for (j = 0; j < json_array_size(tr) && (it = json_array_get(tr, j)) != NULL; j++)
			add_rcpt_domains(l, s, json_object_get(it, "rcpt_to"));
	}
	if (s->ndomains == 0) {
		s->domains[s->ndomains++] = intern(l->strings, "(unknown)");
		s->domains_unknown = true;
	}
	v = json_object_get(smtp, "mx_hosts");
	if (json_array_size(v) > 0)
		s->mx_host = intern(l->strings, json_string_value(json_array_get(v, 0)));
	v = json_object_get(smtp, "verdict");
	s->dane_verdict = intern(l->strings, get_str(v, "dane"));
	s->sts_verdict = intern(l->strings, get_str(v, "mta-sts"));
	tls = json_object_get(smtp, "tls");
	s->tls = json_is_true(json_object_get(tls, "handshake_complete"));
	s->tls_version = intern(l->strings, get_str(tls, "version"));
	s->cleartext = json_is_true(json_object_get(smtp, "cleartext_transaction"));
	pol = json_object_get(smtp, "policy");
	pd = json_object_get(pol, "dane");
	if (json_is_object(pd)) {
		s->pol_dane = true;
		s->dane_trust = intern(l->strings, get_str(pd, "trust"));
		s->dane_source = intern(l->strings, get_str(pd, "source"));
		s->dane_host = intern(l->strings, get_str(pd, "mx_host"));
		v = json_object_get(pd, "tlsa");
		for (i = 0; i < json_array_size(v) && s->ntlsa < LEDGER_MAX_TLSA; i++)
			if (json_is_string(it = json_array_get(v, i)))
				s->tlsa[s->ntlsa++] = intern(l->strings, json_string_value(it));
	}
	ps = json_object_get(pol, "mta-sts");
	if (json_is_object(ps)) {
		s->sts_mode = intern(l->strings, get_str(ps, "mode"));
		s->sts_domain = intern(l->strings, get_str(ps, "policy_domain"));
		s->sts_max_age = (int64_t)get_u64(ps, "max_age");
		v = json_object_get(ps, "mx");
		for (i = 0; i < json_array_size(v) && s->nsts_mx < LEDGER_MAX_STS_MX; i++)
			if (json_is_string(it = json_array_get(v, i)))
				s->sts_mx[s->nsts_mx++] = intern(l->strings, json_string_value(it));
	}
}

static void add_alert(struct ledger *l, json_t *rec, int64_t us, int32_t day)
{
	json_t *dg = json_object_get(rec, "downgrade");
	json_t *ex = json_object_get(dg, "expectation");
	struct ledger_alert *a;
	char dom[256];
	const char *d;

	if (!json_is_object(dg))
		return;
	if (l->nalerts >= LEDGER_MAX_KEPT ||
	    !grow((void **)&l->alerts, &l->cap_alerts, l->nalerts, sizeof(*a))) {
		l->not_kept++;
		return;
	}
	a = &l->alerts[l->nalerts++];
	memset(a, 0, sizeof(*a));
	a->ts_us = us;
	a->day = day;
	a->session = -1;
	a->flow_id = get_u64(rec, "flow_id");
	a->timestamp = intern(l->strings, get_str(rec, "timestamp"));
	a->community_id = intern(l->strings, get_str(rec, "community_id"));
	a->src_ip = intern(l->strings, get_str(rec, "src_ip"));
	a->dest_ip = intern(l->strings, get_str(rec, "dest_ip"));
	a->app_proto = intern(l->strings, get_str(rec, "app_proto"));
	a->kind = intern(l->strings, get_str(dg, "kind"));
	a->result = intern(l->strings, get_str(dg, "tlsrpt_result"));
	a->mx_host = intern(l->strings, get_str(ex, "mx_host"));
	a->source = intern(l->strings, get_str(ex, "source"));
	d = get_str(ex, "domain");
	if (d != NULL) {
		snprintf(dom, sizeof(dom), "%s", d);
		lower(dom);
		a->domain = intern(l->strings, dom);
	}
	if (a->kind == NULL)
		a->kind = intern(l->strings, "(unnamed)");
}

void ledger_add(struct ledger *l, json_t *rec)
{
	const char *type = get_str(rec, "event_type");
	int64_t us;
	int32_t day;

	if (type == NULL || !ledger_parse_time(get_str(rec, "timestamp"), &us, &day)) {
		l->other_records++;
		return;
	}
	if (strcmp(type, "smtp") == 0) {
		l->smtp_records++;
		add_session(l, rec, us, day);
	} else if (strcmp(type, "alert") == 0) {
		l->alert_records++;
		add_alert(l, rec, us, day);
	} else {
		l->other_records++;
	}
}

/* ---- joining and judging ---- */

static struct ledger *sort_ctx;

static int cmp_session_flow(const void *a, const void *b)
{
	const struct ledger_session *x = &sort_ctx->sessions[*(const long *)a];
	const struct ledger_session *y = &sort_ctx->sessions[*(const long *)b];

	if (x->flow_id != y->flow_id)
		return x->flow_id < y->flow_id ? -1 : 1;
	if (x->ts_us != y->ts_us)
		return x->ts_us < y->ts_us ? -1 : 1;
	return *(const long *)a < *(const long *)b ? -1 : 1;
}

/* The session of the alert: same flow_id, its record at or after the alert. */
static long find_session(const struct ledger *l, const long *by_flow, const struct ledger_alert *a)
{
	size_t lo = 0, hi = l->nsessions;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (l->sessions[by_flow[mid]].flow_id < a->flow_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < l->nsessions && l->sessions[by_flow[lo]].flow_id == a->flow_id; lo++)
		if (l->sessions[by_flow[lo]].ts_us >= a->ts_us)
			return by_flow[lo];
	return -1;
}

static bool is(const char *s, const char *v)
{
	return s != NULL && strcmp(s, v) == 0;
}

static void judge(struct ledger_session *s, const struct ledger_alert *first_failure)
{
	bool fail = is(s->dane_verdict, "fail") || is(s->sts_verdict, "fail");

	if (first_failure != NULL) {
		s->outcome = OUT_FAILED;
		s->result = first_failure->result;
		s->reason = first_failure->kind;
		s->alert_source = first_failure->source;
	} else if (fail) {
		s->outcome = OUT_FAILED;
		s->result = "validation-failure";
		s->reason = "verdict-fail";
	} else if (is(s->dane_verdict, "ok") || is(s->sts_verdict, "ok")) {
		s->outcome = OUT_VERIFIED;
	} else if (is(s->dane_verdict, "unverifiable") || is(s->sts_verdict, "unverifiable")) {
		s->outcome = OUT_UNVERIFIABLE;
	} else {
		s->outcome = OUT_NO_POLICY;
	}
}

/* ---- rows ---- */

struct entry {
	const char *domain;
	int32_t day;
	long idx;
	bool alert;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	if (c != 0)
		return c;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->alert != y->alert)
		return x->alert ? 1 : -1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static void count(struct ledger_count *arr, size_t *n, size_t max, const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if (arr[i].name == name || strcmp(arr[i].name, name) == 0) {
			arr[i].n++;
			return;
		}
	}
	if (*n < max) {
		arr[*n].name = name;
		arr[*n].n = 1;
		(*n)++;
	}
}

static void add_source(struct ledger_row *r, const char *src)
{
	for (size_t i = 0; i < r->nsources; i++)
		if (strcmp(r->sources[i], src) == 0)
			return;
	if (r->nsources < (sizeof(r->sources) / sizeof(r->sources[0])))
		r->sources[r->nsources++] = src;
}

static void row_session(struct ledger *l, struct ledger_row *r, long idx)
{
	const struct ledger_session *s = &l->sessions[idx];

	r->sessions++;
	r->tls += s->tls;
	r->cleartext += s->cleartext;
	switch (s->outcome) {
	case OUT_VERIFIED:
		r->verified++;
		break;
	case OUT_UNVERIFIABLE:
		r->unverifiable++;
		break;
	case OUT_FAILED:
		r->failed++;
		count(r->by_result, &r->nresults, LEDGER_RESULTS, s->result);
		break;
	default:
		r->no_policy++;
		break;
	}
	if (s->pol_dane) {
		r->dane = true;
		add_source(r, s->dane_trust != NULL && strcmp(s->dane_trust, "dnssec") == 0
				  ? "DANE: TLSA validated by DNSSEC in the traffic"
			      : s->dane_trust != NULL && strcmp(s->dane_trust, "policy-file") == 0
				  ? "DANE: policy file"
				  : "DANE: TLSA from the resolver's AD bit or history");
	} else if (s->dane_verdict != NULL && !is(s->dane_verdict, "none")) {
		r->dane = true;
		add_source(r, "DANE: smtp verdict (record without policy object)");
	}
	if (s->sts_mode != NULL) {
		r->sts_enforce |= is(s->sts_mode, "enforce");
		r->sts_testing |= is(s->sts_mode, "testing");
		add_source(r, "MTA-STS: policy file or imported policy");
	} else if (s->sts_verdict != NULL && !is(s->sts_verdict, "none")) {
		r->sts_enforce = true;
		add_source(r, "MTA-STS: smtp verdict (record without policy object)");
	}
	if (r->first_us == 0 || s->ts_us < r->first_us)
		r->first_us = s->ts_us;
	if (s->ts_us > r->last_us)
		r->last_us = s->ts_us;
}

static void row_alert(struct ledger *l, struct ledger_row *r, long idx)
{
	const struct ledger_alert *a = &l->alerts[idx];

	r->alerts_total++;
	count(r->alerts, &r->nalerts, LEDGER_MAX_KINDS, a->kind);
	if (r->first_us == 0 || a->ts_us < r->first_us)
		r->first_us = a->ts_us;
	if (a->ts_us > r->last_us)
		r->last_us = a->ts_us;
}

bool ledger_finish(struct ledger *l)
{
	long *by_flow = malloc((l->nsessions ? l->nsessions : 1) * sizeof(*by_flow));
	const struct ledger_alert **first = calloc(l->nsessions ? l->nsessions : 1, sizeof(*first));
	struct entry *ents = NULL;
	size_t nents = 0, cap = 0;

	if (by_flow == NULL || first == NULL)
		goto fail;
	for (size_t i = 0; i < l->nsessions; i++)
		by_flow[i] = (long)i;
	sort_ctx = l;
	qsort(by_flow, l->nsessions, sizeof(*by_flow), cmp_session_flow);
	for (size_t i = 0; i < l->nalerts; i++) {
		struct ledger_alert *a = &l->alerts[i];

		a->session = find_session(l, by_flow, a);
		if (a->session >= 0 && a->result != NULL &&
		    (first[a->session] == NULL || a->ts_us < first[a->session]->ts_us))
			first[a->session] = a;
	}
	for (size_t i = 0; i < l->nalerts; i++) {
		struct ledger_alert *a = &l->alerts[i];
		struct ledger_session *s = a->session >= 0 ? &l->sessions[a->session] : NULL;

		/* A session nobody could name a domain for (an MX redirect to an
		   unknown host): the domain its alert's expectation names. */
		if (s != NULL && s->domains_unknown && a->domain != NULL) {
			s->domains[0] = a->domain;
			s->domains_unknown = false;
		}
	}
	for (size_t i = 0; i < l->nsessions; i++)
		judge(&l->sessions[i], first[i]);
	for (size_t i = 0; i < l->nsessions; i++) {
		if (!l->sessions[i].in_window)
			continue;
		for (int d = 0; d < l->sessions[i].ndomains; d++) {
			if (!grow((void **)&ents, &cap, nents, sizeof(*ents)))
				goto fail;
			ents[nents++] = (struct entry){l->sessions[i].domains[d],
						       l->sessions[i].day, (long)i, false};
		}
	}
	for (size_t i = 0; i < l->nalerts; i++) {
		const struct ledger_alert *a = &l->alerts[i];

		if (a->session >= 0) {
			const struct ledger_session *s = &l->sessions[a->session];

			if (!s->in_window)
				continue;

			for (int d = 0; d < s->ndomains; d++) {
				if (!grow((void **)&ents, &cap, nents, sizeof(*ents)))
					goto fail;
				ents[nents++] =
				    (struct entry){s->domains[d], s->day, (long)i, true};
			}
			continue;
		}
		if (is(a->app_proto, "smtp") || is(a->app_proto, "smtps"))
			continue; /* an smtp flow that is not outbound */
		if (a->day < l->from_day || a->day > l->to_day)
			continue;
		if (!grow((void **)&ents, &cap, nents, sizeof(*ents)))
			goto fail;
		ents[nents++] = (struct entry){a->domain != NULL ? a->domain : "(unknown)", a->day,
					       (long)i, true};
	}
	if (nents > 0)
		qsort(ents, nents, sizeof(*ents), cmp_entry);
	for (size_t i = 0; i < nents;) {
		size_t j = i;
		struct ledger_row *r;
		struct ledger_row *nr = realloc(l->rows, (l->nrows + 1) * sizeof(*l->rows));

		if (nr == NULL)
			goto fail;
		l->rows = nr;
		r = &l->rows[l->nrows++];
		memset(r, 0, sizeof(*r));
		r->domain = ents[i].domain;
		r->day = ents[i].day;
		while (j < nents && strcmp(ents[j].domain, r->domain) == 0 && ents[j].day == r->day)
			j++;
		r->sess = malloc((j - i) * sizeof(long));
		r->alert_idx = malloc((j - i) * sizeof(long));
		if (r->sess == NULL || r->alert_idx == NULL)
			goto fail;
		for (size_t k = i; k < j; k++) {
			if (ents[k].alert) {
				r->alert_idx[r->nalert_idx++] = ents[k].idx;
				row_alert(l, r, ents[k].idx);
			} else {
				r->sess[r->nsess++] = ents[k].idx;
				row_session(l, r, ents[k].idx);
			}
		}
		i = j;
	}
	free(ents);
	free(by_flow);
	free(first);
	return true;
fail:
	free(ents);
	free(by_flow);
	free(first);
	return false;
}

const char *ledger_row_policy(const struct ledger_row *r, char *buf, size_t len)
{
	const char *sts = r->sts_enforce   ? "mta-sts enforce"
			  : r->sts_testing ? "mta-sts testing"
					   : NULL;

	if (r->dane && sts != NULL)
		snprintf(buf, len, "dane + %s", sts);
	else if (r->dane)
		snprintf(buf, len, "dane");
	else if (sts != NULL)
		snprintf(buf, len, "%s", sts);
	else
		snprintf(buf, len, "none");
	return buf;
}

void ledger_totals(const struct ledger *l, uint64_t *sessions, uint64_t *verified,
		   uint64_t *unverifiable, uint64_t *failed, uint64_t *cleartext, uint64_t *tls)
{
	*sessions = *verified = *unverifiable = *failed = *cleartext = *tls = 0;
	for (size_t i = 0; i < l->nrows; i++) {
		*sessions += l->rows[i].sessions;
		*verified += l->rows[i].verified;
		*unverifiable += l->rows[i].unverifiable;
		*failed += l->rows[i].failed;
		*cleartext += l->rows[i].cleartext;
		*tls += l->rows[i].tls;
	}
}

struct ledger *ledger_new(int32_t from_day, int32_t to_day)
{
	struct ledger *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->strings = calloc(1, sizeof(*l->strings));
	if (l->strings == NULL) {
		free(l);
		return NULL;
	}
	l->from_day = from_day;
	l->to_day = to_day;
	return l;
}

void ledger_free(struct ledger *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nrows; i++) {
		free(l->rows[i].sess);
		free(l->rows[i].alert_idx);
	}
	free(l->rows);
	free(l->sessions);
	free(l->alerts);
	pool_free(l->strings);
	free(l);
}
