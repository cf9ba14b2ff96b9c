/*
 * summary_file.c - the summary as JSON; see summary_file.h.
 */
#include "run/summary_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "correlate/kinds.h"
#include "correlate/alert.h"
#include "correlate/tally.h"

static json_t *verdicts(const uint64_t v[VERDICT_COUNT])
{
	return json_pack("{s:I, s:I, s:I, s:I}", "none", (json_int_t)v[VERDICT_NONE], "ok",
			 (json_int_t)v[VERDICT_OK], "unverifiable",
			 (json_int_t)v[VERDICT_UNVERIFIABLE], "fail", (json_int_t)v[VERDICT_FAIL]);
}

static json_t *rows(const struct tally *t)
{
	json_t *a = json_array();
	char addr[64];

	for (size_t i = 0; i <= TALLY_MAX_ROWS; i++) {
		const struct tally_row *row = &t->rows[i];

		if (i == t->n)
			i = TALLY_MAX_ROWS;
		if (i == TALLY_MAX_ROWS && !row->other)
			break;
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:o}", "server",
				 row->other ? "(other)"
					    : mx_addr_str(&row->server, addr, sizeof(addr)),
				 "domain", row->other ? "" : row->domain, "sessions",
				 (json_int_t)row->sessions, "tls", (json_int_t)row->tls,
				 "cleartext_mail", (json_int_t)row->cleartext_mail, "dane",
				 verdicts(row->dane), "mta-sts", verdicts(row->sts)));
	}
	return a;
}

static json_t *build(struct correlate *c, summary_counter_fn counter, void *ctx, bool final,
		     double elapsed_s)
{
	const struct alert_counters *ac;
	json_t *kinds = json_object(), *doc;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	uint64_t smtp, packets, dns_flows;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* The pipeline's counters first: reading them takes the correlate lock. */
	smtp = counter(ctx, "app_layer.flow.smtp") + counter(ctx, "app_layer.flow.smtps");
	packets = counter(ctx, "decoder.pkts");
	dns_flows = counter(ctx, "app_layer.flow.dns");
	correlate_lock(c);
	ac = alert_counters(correlate_alerts(c));
	for (int k = 0; k < KIND_COUNT; k++)
		if (ac->by_kind[k] > 0)
			json_object_set_new(kinds, kind_name((enum mx_kind)k),
					    json_integer((json_int_t)ac->by_kind[k]));
	doc =
	    json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "written_at", now,
		      "final", final, "elapsed_ms", (json_int_t)(elapsed_s * 1000.0), "packets",
		      (json_int_t)packets, "smtp_sessions", (json_int_t)smtp, "dns_flows",
		      (json_int_t)dns_flows, "alerts", (json_int_t)ac->written, "suppressed",
		      (json_int_t)ac->suppressed, "rate_limited", (json_int_t)ac->rate_limited,
		      "sessions", rows(correlate_tally(c)), "alerts_by_kind", kinds);
	correlate_unlock(c);
	return doc;
}

bool summary_write_json(const char *path, struct correlate *c, summary_counter_fn counter,
			void *ctx, bool final, double elapsed_s, char *err, size_t errlen)
{
	char tmp[4096];
	json_t *doc = build(c, counter, ctx, final, elapsed_s);
	int rc;

	if (doc == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return false;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		json_decref(doc);
		snprintf(err, errlen, "%s: path too long", path);
		return false;
	}
	rc = json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		remove(tmp);
		return false;
	}
	return true;
}
