/*
 * report.c - progress line and end-of-run summary; see report.h.
 */
#include "run/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct report {
	struct pipeline *pipe;
	struct correlate *corr;
	double start, last_draw;
	bool drawn;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct report *report_new(struct pipeline *p, struct correlate *c)
{
	struct report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->pipe = p;
	r->corr = c;
	r->start = wall_now();
	return r;
}

void report_free(struct report *r)
{
	free(r);
}

static uint64_t counter(struct report *r, const char *name)
{
	const struct stats_source *src;
	size_t n = pipeline_stats_sources(r->pipe, &src);

	return stats_get(src, n, name);
}

void report_progress(struct report *r, const struct capture *cap)
{
	double now = wall_now();
	uint64_t done = 0, total = 0, pkts;
	const char *file;
	double secs;

	if (now - r->last_draw < 0.25)
		return;
	r->last_draw = now;
	capture_progress(cap, &done, &total);
	pkts = counter(r, "decoder.pkts");
	secs = now - r->start > 0.001 ? now - r->start : 0.001;
	file = capture_current_file(cap);
	if (file == NULL)
		file = "";
	/* The file's name, its last characters when long: they tell files apart. */
	if (strlen(file) > 32)
		file += strlen(file) - 32;
	if (total > 0)
		fprintf(stderr, "\r%6.1f%%  %llu of %llu MB  %.0f pkts/s  %llu alerts  %-32s ",
			100.0 * (double)done / (double)total, (unsigned long long)(done >> 20),
			(unsigned long long)(total >> 20), (double)pkts / secs,
			(unsigned long long)alert_counters(correlate_alerts(r->corr))->written,
			file);
	else /* stdin or a pipe: no total to measure against */
		fprintf(stderr, "\r%s: %.1f MB, %llu packets read  %.0f pkts/s  %llu alerts   ",
			file, (double)capture_counters(cap)->bytes / 1048576.0,
			(unsigned long long)pkts, (double)pkts / secs,
			(unsigned long long)alert_counters(correlate_alerts(r->corr))->written);
	r->drawn = true;
}

/*
 * Where DANE or DNSSEC could not be judged, how often, and what the
 * sensor would need (the blind.* counters of the stats record).
 */
static void blind_spots(struct report *r, FILE *out)
{
	static const struct {
		const char *counter, *what, *give;
	} lines[] = {
	    {"blind.dns_keys_unknown",
	     "DNS answers signed by keys the sensor never validated, "
	     "without AD",
	     "a --trust-anchor whose chain passes by, --state from a longer run, or the "
	     "sending MTA's own resolver traffic (its AD=1 answers count)"},
	    {"blind.dns_ad_untrusted",
	     "DNS answers with AD=1 from resolvers not in "
	     "trusted-resolvers",
	     "add the sending MTA's resolver to trusted-resolvers"},
	    {"blind.dns_ad_off", "DNS answers with AD=1 not believed (dnssec.trust-ad: false)",
	     "dnssec: {trust-ad: true} to trust what the sending MTA trusts"},
	    {"blind.dns_no_ad", "DNS answers without signatures and without AD",
	     "nothing if the zones are unsigned; else a validating resolver that sets AD, "
	     "or a --trust-anchor"},
	    {"blind.dane_tls13", "SMTP sessions under DANE in TLS 1.3 (certificate encrypted)",
	     "nothing on the wire: only TLS itself and the MX host could be checked"},
	    {"blind.dane_no_cert",
	     "SMTP sessions under DANE in TLS 1.2 or lower without a certificate on the wire "
	     "(resumed sessions, handshakes not captured)",
	     "nothing for resumptions (the first, full handshake is judged); else a capture "
	     "that holds the handshakes"},
	    {"blind.smtp_unknown_mx",
	     "SMTP sessions to port 25 of servers no DNS answer or "
	     "policy named",
	     "the sending MTA's DNS traffic on the same capture, --state from a longer run, "
	     "or a policy file"},
	};
	bool any = false;

	for (size_t i = 0; i < MX_ARRAY_LEN(lines); i++) {
		uint64_t n = counter(r, lines[i].counter);

		if (n == 0)
			continue;
		if (!any)
			fprintf(out, "\nnot judged (DANE/DNSSEC blind spots):\n");
		any = true;
		fprintf(out, "  %6" PRIu64 "  %s\n          give: %s\n", n, lines[i].what,
			lines[i].give);
	}
}

void report_summary(struct report *r, FILE *out)
{
	const struct tally *t = correlate_tally(r->corr);
	const struct alert_counters *ac = alert_counters(correlate_alerts(r->corr));
	char addr[64];

	if (r->drawn)
		fprintf(out, "\r%*s\r", 110, "");
	uint64_t smtp = counter(r, "app_layer.flow.smtp") + counter(r, "app_layer.flow.smtps");

	fprintf(out,
		"mxsentry: %" PRIu64 " packets, %" PRIu64 " SMTP sessions, %" PRIu64
		" DNS flows, %" PRIu64 " alerts in %.1f s\n",
		counter(r, "decoder.pkts"), smtp, counter(r, "app_layer.flow.dns"), ac->written,
		wall_now() - r->start);
	if (t->n > 0 || t->rows[TALLY_MAX_ROWS].other) {
		fprintf(out, "\n%-39s %-24s %5s %4s %5s  %-22s %-22s\n", "server", "domain", "sess",
			"tls", "clear", "dane ok/unv/fail", "mta-sts ok/unv/fail");
		for (size_t i = 0; i <= TALLY_MAX_ROWS; i++) {
			const struct tally_row *row = &t->rows[i];

			if (i == t->n)
				i = TALLY_MAX_ROWS;
			if (i == TALLY_MAX_ROWS && !row->other)
				break;
			fprintf(
			    out,
			    "%-39s %-24.24s %5llu %4llu %5llu  %6llu/%llu/%-10llu "
			    "%6llu/%llu/%llu\n",
			    row->other ? "(other)" : mx_addr_str(&row->server, addr, sizeof(addr)),
			    row->other ? "" : row->domain, (unsigned long long)row->sessions,
			    (unsigned long long)row->tls, (unsigned long long)row->cleartext_mail,
			    (unsigned long long)row->dane[VERDICT_OK],
			    (unsigned long long)row->dane[VERDICT_UNVERIFIABLE],
			    (unsigned long long)row->dane[VERDICT_FAIL],
			    (unsigned long long)row->sts[VERDICT_OK],
			    (unsigned long long)row->sts[VERDICT_UNVERIFIABLE],
			    (unsigned long long)row->sts[VERDICT_FAIL]);
		}
	}
	if (ac->written > 0) {
		fprintf(out, "\nalerts by kind:\n");
		for (int k = 0; k < KIND_COUNT; k++)
			if (ac->by_kind[k] > 0)
				fprintf(out, "  %-28s %llu\n", kind_name((enum mx_kind)k),
					(unsigned long long)ac->by_kind[k]);
	}
	if (ac->suppressed + ac->rate_limited > 0)
		fprintf(out, "  (%llu suppressed, %llu rate-limited)\n",
			(unsigned long long)ac->suppressed, (unsigned long long)ac->rate_limited);
	blind_spots(r, out);
}
