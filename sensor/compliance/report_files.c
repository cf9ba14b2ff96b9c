/*
 * report_files.c - report.json, domains.csv and the RFC 8460 TLSRPT
 * files; see report_files.h.
 */
#include "compliance/report_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static bool mkdir_p(const char *path)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return false;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

static json_t *counts_obj(const struct ledger_count *c, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, c[i].name, json_integer((json_int_t)c[i].n));
	return o;
}

static json_t *row_json(const struct ledger_row *r)
{
	char day[16], t1[32], t2[32], pol[64];
	json_t *sources = json_array();
	json_t *o;

	for (size_t i = 0; i < r->nsources; i++)
		json_array_append_new(sources, json_string(r->sources[i]));
	o = json_pack(
	    "{s:s, s:s, s:{s:s, s:b, s:s, s:o}, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, "
	    "s:o, s:I, s:s, s:s}",
	    "domain", r->domain, "date", ledger_day_str(r->day, day, sizeof(day)), "policy",
	    "in_force", ledger_row_policy(r, pol, sizeof(pol)), "dane", r->dane, "mta-sts",
	    r->sts_enforce   ? "enforce"
	    : r->sts_testing ? "testing"
			     : "none",
	    "sources", sources, "sessions", (json_int_t)r->sessions, "tls", (json_int_t)r->tls,
	    "verified", (json_int_t)r->verified, "unverifiable", (json_int_t)r->unverifiable,
	    "failed", (json_int_t)r->failed, "failed_by_result",
	    counts_obj(r->by_result, r->nresults), "cleartext", (json_int_t)r->cleartext,
	    "no_policy", (json_int_t)r->no_policy, "alerts", counts_obj(r->alerts, r->nalerts),
	    "alerts_total", (json_int_t)r->alerts_total, "first_seen",
	    ledger_time_str(r->first_us, t1, sizeof(t1)), "last_seen",
	    ledger_time_str(r->last_us, t2, sizeof(t2)));
	return o;
}

bool report_write_json(const char *dir, const struct ledger *l, const struct report_meta *m)
{
	uint64_t sess, ver, unv, fail, clear, tls, pol;
	json_t *root, *rows = json_array(), *inputs = json_array();
	char path[4096];
	int rc;

	ledger_totals(l, &sess, &ver, &unv, &fail, &clear, &tls);
	pol = ver + unv + fail;
	for (int i = 0; i < m->ninputs; i++)
		json_array_append_new(inputs, json_string(m->inputs[i]));
	for (size_t i = 0; i < l->nrows; i++)
		json_array_append_new(rows, row_json(&l->rows[i]));
	root = json_pack(
	    "{s:s, s:{s:o, s:o}, s:o, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:s, s:o}",
	    "generator", "mxsentry report", "window", "from",
	    m->from ? json_string(m->from) : json_null(), "to",
	    m->to ? json_string(m->to) : json_null(), "inputs", inputs, "records", "smtp",
	    (json_int_t)l->smtp_records, "alert", (json_int_t)l->alert_records, "other",
	    (json_int_t)l->other_records, "not_kept", (json_int_t)l->not_kept, "directions",
	    "outbound", (json_int_t)l->by_direction[0], "inbound", (json_int_t)l->by_direction[1],
	    "internal", (json_int_t)l->by_direction[2], "external", (json_int_t)l->by_direction[3],
	    "unknown", (json_int_t)l->by_direction[4], "outside_window",
	    (json_int_t)l->outside_window, "totals", "sessions", (json_int_t)sess,
	    "policy_sessions", (json_int_t)pol, "verified", (json_int_t)ver, "unverifiable",
	    (json_int_t)unv, "failed", (json_int_t)fail, "cleartext", (json_int_t)clear, "tls",
	    (json_int_t)tls, "note",
	    sess == 0 ? "no outbound SMTP sessions in the input and window"
		      : "counts are per destination domain and UTC day; a session to several "
			"domains counts in each; unverifiable (TLS 1.3 hides the certificate) is "
			"not counted as failed",
	    "rows", rows);
	if (root != NULL && m->state != NULL)
		json_object_set(root, "state_policies", m->state);
	if (root == NULL) {
		fprintf(stderr, "mxsentry report: cannot build report.json\n");
		return false;
	}
	snprintf(path, sizeof(path), "%s/report.json", dir);
	rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc != 0) {
		fprintf(stderr, "mxsentry report: %s: cannot write: %s\n", path, strerror(errno));
		return false;
	}
	return true;
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"\n") != NULL) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void csv_counts(FILE *f, const struct ledger_count *c, size_t n, bool last)
{
	char buf[2048];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s=%llu", i ? ";" : "",
				      c[i].name, (unsigned long long)c[i].n);
	csv_field(f, buf, last);
}

bool report_write_csv(const char *dir, const struct ledger *l)
{
	char path[4096], day[16], t1[32], t2[32], pol[64], src[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/domains.csv", dir);
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "mxsentry report: %s: %s\n", path, strerror(errno));
		return false;
	}
	fputs("domain,date,policy,policy_sources,sessions,tls,verified,unverifiable,failed,", f);
	for (int i = 0; i < LEDGER_RESULTS; i++)
		fprintf(f, "failed_%s,", ledger_result_types[i]);
	fputs("cleartext,no_policy,alerts_total,alerts,first_seen,last_seen\n", f);
	for (size_t i = 0; i < l->nrows; i++) {
		const struct ledger_row *r = &l->rows[i];
		size_t o = 0;

		src[0] = '\0';
		for (size_t k = 0; k < r->nsources && o < sizeof(src); k++)
			o += (size_t)snprintf(src + o, sizeof(src) - o, "%s%s", k ? "; " : "",
					      r->sources[k]);
		csv_field(f, r->domain, false);
		fprintf(f, "%s,", ledger_day_str(r->day, day, sizeof(day)));
		csv_field(f, ledger_row_policy(r, pol, sizeof(pol)), false);
		csv_field(f, src, false);
		fprintf(f, "%llu,%llu,%llu,%llu,%llu,", (unsigned long long)r->sessions,
			(unsigned long long)r->tls, (unsigned long long)r->verified,
			(unsigned long long)r->unverifiable, (unsigned long long)r->failed);
		for (int k = 0; k < LEDGER_RESULTS; k++) {
			uint64_t n = 0;

			for (size_t j = 0; j < r->nresults; j++)
				if (strcmp(r->by_result[j].name, ledger_result_types[k]) == 0)
					n = r->by_result[j].n;
			fprintf(f, "%llu,", (unsigned long long)n);
		}
		fprintf(f, "%llu,%llu,%llu,", (unsigned long long)r->cleartext,
			(unsigned long long)r->no_policy, (unsigned long long)r->alerts_total);
		csv_counts(f, r->alerts, r->nalerts, false);
		fprintf(f, "%s,%s\n", ledger_time_str(r->first_us, t1, sizeof(t1)),
			ledger_time_str(r->last_us, t2, sizeof(t2)));
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "mxsentry report: %s: %s\n", path, strerror(errno));
		return false;
	}
	return true;
}

/* ---- RFC 8460 ---- */

const char *report_policy_type(const struct ledger_session *s)
{
	if (s->pol_dane || (s->dane_verdict != NULL && strcmp(s->dane_verdict, "none") != 0))
		return "tlsa";
	if (s->sts_mode != NULL || (s->sts_verdict != NULL && strcmp(s->sts_verdict, "none") != 0))
		return "sts";
	if (s->alert_source != NULL &&
	    (strcmp(s->alert_source, "dane") == 0 || strcmp(s->alert_source, "policy") == 0))
		return "tlsa";
	if (s->alert_source != NULL && strcmp(s->alert_source, "mta-sts") == 0)
		return "sts";
	return "no-policy-found";
}

static const char *session_mx(const struct ledger_session *s, const char *type)
{
	if (strcmp(type, "tlsa") == 0 && s->dane_host != NULL)
		return s->dane_host;
	if (strcmp(type, "sts") == 0 && s->nsts_mx > 0)
		return s->sts_mx[0];
	if (s->mx_host != NULL)
		return s->mx_host;
	return s->dest_ip != NULL ? s->dest_ip : "";
}

static json_t *policy_string(const struct ledger_session *s, const char *type)
{
	json_t *a = json_array();
	char buf[64];

	if (strcmp(type, "tlsa") == 0) {
		for (int i = 0; i < s->ntlsa; i++)
			json_array_append_new(a, json_string(s->tlsa[i]));
	} else if (strcmp(type, "sts") == 0 && s->sts_mode != NULL) {
		json_array_append_new(a, json_string("version: STSv1"));
		snprintf(buf, sizeof(buf), "mode: %s", s->sts_mode);
		json_array_append_new(a, json_string(buf));
		for (int i = 0; i < s->nsts_mx; i++) {
			char mx[300];

			snprintf(mx, sizeof(mx), "mx: %s", s->sts_mx[i]);
			json_array_append_new(a, json_string(mx));
		}
		snprintf(buf, sizeof(buf), "max_age: %lld", (long long)s->sts_max_age);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

/* The policies[] entry for (type, mx) in arr, created on first use. */
static json_t *policy_entry(json_t *arr, const struct ledger_session *s, const char *type,
			    const char *domain)
{
	const char *mx = session_mx(s, type);
	/* failed on an alert alone (e.g. mail to a redirected MX): the policy the
	   domain's other sessions were under, whatever host it went to */
	bool any_mx = !s->pol_dane && s->sts_mode == NULL;
	size_t i;
	json_t *e;

	for (i = 0; i < json_array_size(arr) && (e = json_array_get(arr, i)) != NULL; i++) {
		json_t *p = json_object_get(e, "policy");

		if (strcmp(json_string_value(json_object_get(p, "policy-type")), type) == 0 &&
		    (any_mx || strcmp(json_string_value(json_object_get(p, "mx-host")), mx) == 0)) {
			json_t *ps = json_object_get(p, "policy-string");

			if (json_array_size(ps) == 0)
				json_object_set_new(p, "policy-string", policy_string(s, type));
			return e;
		}
	}
	e = json_pack("{s:{s:s, s:o, s:s, s:s}, s:{s:I, s:I}, s:[]}", "policy", "policy-type", type,
		      "policy-string", policy_string(s, type), "policy-domain", domain, "mx-host",
		      mx, "summary", "total-successful-session-count", (json_int_t)0,
		      "total-failure-session-count", (json_int_t)0, "failure-details");
	json_array_append_new(arr, e);
	return e;
}

static void add_failure(json_t *entry, const struct ledger_session *s, const char *type)
{
	json_t *fd = json_object_get(entry, "failure-details");
	const char *mx = session_mx(s, type);
	size_t i;
	json_t *d;

	for (i = 0; i < json_array_size(fd) && (d = json_array_get(fd, i)) != NULL; i++) {
		if (strcmp(json_string_value(json_object_get(d, "result-type")), s->result) == 0 &&
		    strcmp(json_string_value(json_object_get(d, "sending-mta-ip")), s->src_ip) ==
			0 &&
		    strcmp(json_string_value(json_object_get(d, "receiving-mx-hostname")), mx) ==
			0 &&
		    strcmp(json_string_value(json_object_get(d, "receiving-ip")), s->dest_ip) ==
			0 &&
		    strcmp(json_string_value(json_object_get(d, "failure-reason-code")),
			   s->reason) == 0) {
			json_t *n = json_object_get(d, "failed-session-count");

			json_integer_set(n, json_integer_value(n) + 1);
			return;
		}
	}
	json_array_append_new(fd,
			      json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "result-type", s->result,
					"sending-mta-ip", s->src_ip, "receiving-mx-hostname", mx,
					"receiving-ip", s->dest_ip, "failed-session-count",
					(json_int_t)1, "failure-reason-code", s->reason));
}

static void bump(json_t *entry, const char *key)
{
	json_t *n = json_object_get(json_object_get(entry, "summary"), key);

	json_integer_set(n, json_integer_value(n) + 1);
}

static bool write_doc(const char *path, json_t *doc, bool gz)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	bool ok = text != NULL;

	if (ok && gz) {
		gzFile g = gzopen(path, "wb9");

		ok = g != NULL && gzwrite(g, text, (unsigned)strlen(text)) == (int)strlen(text);
		if (g != NULL)
			ok &= gzclose(g) == Z_OK;
	} else if (ok) {
		FILE *f = fopen(path, "w");

		ok = f != NULL && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
		if (f != NULL)
			ok &= fclose(f) == 0;
	}
	free(text);
	if (!ok)
		fprintf(stderr, "mxsentry report: %s: cannot write: %s\n", path, strerror(errno));
	return ok;
}

static bool safe_name(const char *s)
{
	if (s[0] == '\0' || s[0] == '.' || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!(*s == '-' || *s == '.' || *s == '_' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

bool report_write_tlsrpt(const char *dir, const struct ledger *l, const struct report_meta *m,
			 unsigned *written)
{
	*written = 0;
	for (size_t i = 0; i < l->nrows; i++) {
		const struct ledger_row *r = &l->rows[i];
		char day[16], path[4096], start[32], end[32], id[400];
		json_t *doc, *policies;
		bool ok;

		if (r->verified + r->unverifiable + r->failed == 0)
			continue;
		if (!safe_name(r->domain)) {
			fprintf(stderr,
				"mxsentry report: no TLSRPT file for domain '%s' (not a "
				"plain host name)\n",
				r->domain);
			continue;
		}
		ledger_day_str(r->day, day, sizeof(day));
		policies = json_array();
		for (size_t k = 0; k < r->nsess; k++) {
			const struct ledger_session *s = &l->sessions[r->sess[k]];
			const char *type;
			json_t *e;

			if (s->outcome == OUT_NO_POLICY)
				continue;
			type = report_policy_type(s);
			e = policy_entry(policies, s, type, r->domain);
			if (s->outcome == OUT_FAILED) {
				bump(e, "total-failure-session-count");
				add_failure(e, s, type);
			} else {
				bump(e, "total-successful-session-count");
			}
		}
		snprintf(start, sizeof(start), "%sT00:00:00Z", day);
		snprintf(end, sizeof(end), "%sT23:59:59Z", day);
		snprintf(id, sizeof(id), "%s_%s@mxsentry", day, r->domain);
		doc = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:o}", "organization-name", m->org,
				"date-range", "start-datetime", start, "end-datetime", end,
				"contact-info", m->contact, "report-id", id, "policies", policies);
		snprintf(path, sizeof(path), "%s/tlsrpt/%s", dir, r->domain);
		if (doc == NULL || !mkdir_p(path)) {
			fprintf(stderr, "mxsentry report: %s: cannot create: %s\n", path,
				strerror(errno));
			json_decref(doc);
			return false;
		}
		snprintf(path, sizeof(path), "%s/tlsrpt/%s/%s.json%s", dir, r->domain, day,
			 m->gzip ? ".gz" : "");
		ok = write_doc(path, doc, m->gzip);
		json_decref(doc);
		if (!ok)
			return false;
		(*written)++;
	}
	return true;
}

bool report_mkdir(const char *dir)
{
	return mkdir_p(dir);
}
