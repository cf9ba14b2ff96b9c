/*
 * report_html.c - the compliance report's page; see report_html.h.
 */
#include "compliance/report_html.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL_MAX 200 /* sessions and alerts listed per domain */
#define TOP_MX	   10

static void esc(FILE *f, const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static double pct(uint64_t n, uint64_t d)
{
	return d ? 100.0 * (double)n / (double)d : 0.0;
}

/* One domain over the whole window. */
struct dom_sum {
	const char *domain;
	uint64_t sessions, verified, unverifiable, failed, cleartext, alerts, no_policy;
	int64_t first_us, last_us;
	char policy[64];
	size_t first_row, nrows;
};

static int cmp_worst(const void *a, const void *b)
{
	const struct dom_sum *x = a, *y = b;

	if (x->failed != y->failed)
		return x->failed > y->failed ? -1 : 1;
	if (x->cleartext != y->cleartext)
		return x->cleartext > y->cleartext ? -1 : 1;
	if (x->alerts != y->alerts)
		return x->alerts > y->alerts ? -1 : 1;
	if (x->unverifiable != y->unverifiable)
		return x->unverifiable > y->unverifiable ? -1 : 1;
	return strcmp(x->domain, y->domain);
}

static struct dom_sum *sum_domains(const struct ledger *l, size_t *n)
{
	struct dom_sum *d = calloc(l->nrows ? l->nrows : 1, sizeof(*d));

	*n = 0;
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < l->nrows; i++) {
		const struct ledger_row *r = &l->rows[i];
		struct dom_sum *s;
		char pol[64];

		if (*n == 0 || strcmp(d[*n - 1].domain, r->domain) != 0) {
			s = &d[(*n)++];
			s->domain = r->domain;
			s->first_row = i;
			s->first_us = r->first_us;
			snprintf(s->policy, sizeof(s->policy), "none");
		}
		s = &d[*n - 1];
		s->nrows++;
		s->sessions += r->sessions;
		s->verified += r->verified;
		s->unverifiable += r->unverifiable;
		s->failed += r->failed;
		s->cleartext += r->cleartext;
		s->alerts += r->alerts_total;
		s->no_policy += r->no_policy;
		if (r->first_us < s->first_us)
			s->first_us = r->first_us;
		if (r->last_us > s->last_us)
			s->last_us = r->last_us;
		ledger_row_policy(r, pol, sizeof(pol));
		if (strcmp(pol, "none") != 0 && strlen(pol) >= strlen(s->policy))
			snprintf(s->policy, sizeof(s->policy), "%s", pol);
	}
	qsort(d, *n, sizeof(*d), cmp_worst);
	return d;
}

static const char *const STYLE =
    "*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d2433;background:#f4f6f9}"
    "header{background:#1d2b45;color:#fff;padding:14px 28px}header h1{font-size:20px;"
    "margin:0 0 2px}header p{margin:0;color:#c8d1e3;font-size:13px}"
    "main{max-width:1300px;margin:0 auto;padding:16px 28px}"
    "section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:12px 16px;"
    "margin:0 0 14px}h2{font-size:15px;margin:0 0 8px;color:#2b3a55}"
    ".cards{display:flex;gap:12px;flex-wrap:wrap}.card{flex:1 1 150px;border-radius:6px;"
    "padding:10px 14px;border:1px solid #dde2ea;background:#fafbfc}"
    ".card b{display:block;font-size:28px;line-height:1.1}.card span{font-size:12px;"
    "color:#55607a}.ok b{color:#1e7b45}.unv b{color:#8a6d00}.bad b{color:#b3261e}"
    ".neutral b{color:#2b3a55}.grid{display:grid;grid-template-columns:minmax(0,2fr) "
    "minmax(0,1fr);gap:14px}td.ts{white-space:nowrap}"
    "table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 8px;"
    "border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top}"
    "th{background:#eef1f6;cursor:pointer;user-select:none;white-space:nowrap}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.more td{background:#f8f9fb}tr.more table{font-size:12px}"
    "button.t{border:1px solid #b8c1d1;background:#fff;border-radius:4px;cursor:pointer;"
    "font-size:11px;padding:1px 6px}.f{color:#b3261e;font-weight:600}.u{color:#8a6d00}"
    ".v{color:#1e7b45}code{font-size:11px;color:#45506a}"
    ".legend span{display:inline-block;margin-right:12px;font-size:12px}"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;"
    "border-radius:2px}.empty{font-size:16px;padding:20px;color:#55607a}"
    "@media (max-width:1000px){.grid{grid-template-columns:1fr}}"
    "@media print{body{background:#fff}header{background:#fff;color:#000;"
    "border-bottom:2px solid #000}header p{color:#333}section{break-inside:avoid;"
    "border-color:#999}button.t{display:none}tr.more{display:none}th{cursor:auto}}";

static const char *const SCRIPT =
    "(function(){var t=document.getElementById('domains');if(!t)return;"
    "t.addEventListener('click',function(e){var b=e.target.closest('button.t');"
    "if(b){var r=b.closest('tbody').querySelector('tr.more');r.hidden=!r.hidden;"
    "b.textContent=r.hidden?'open':'close';return;}"
    "var h=e.target.closest('th');if(!h)return;var i=+h.dataset.i,d=h.dataset.d==='1'?-1:1;"
    "h.dataset.d=d===1?'1':'0';var bs=[].slice.call(t.tBodies);"
    "bs.sort(function(a,b){var x=a.rows[0].cells[i].dataset.v,y=b.rows[0].cells[i].dataset.v;"
    "var nx=parseFloat(x),ny=parseFloat(y);if(!isNaN(nx)&&!isNaN(ny))return (nx-ny)*d;"
    "return x<y?-d:x>y?d:0;});bs.forEach(function(b){t.appendChild(b);});});})();";

#define C_OK  "#2e9d5b"
#define C_UNV "#d9a400"
#define C_BAD "#c8372d"
#define C_NOP "#b8c1d1"

static void headline(FILE *f, const struct ledger *l)
{
	uint64_t sess, ver, unv, fail, clear, tls, pol;

	ledger_totals(l, &sess, &ver, &unv, &fail, &clear, &tls);
	pol = ver + unv + fail;
	fputs("<section id=\"headline\"><h2>Outbound sessions to policy domains (DANE or "
	      "MTA-STS)</h2><div class=\"cards\">",
	      f);
	fprintf(f,
		"<div class=\"card ok\" id=\"h-verified\"><b>%.1f%%</b><span>verified (%llu of "
		"%llu)</span></div>",
		pct(ver, pol), (unsigned long long)ver, (unsigned long long)pol);
	fprintf(f,
		"<div class=\"card unv\" id=\"h-unverifiable\"><b>%.1f%%</b><span>unverifiable, "
		"TLS 1.3 (%llu)</span></div>",
		pct(unv, pol), (unsigned long long)unv);
	fprintf(f,
		"<div class=\"card bad\" id=\"h-failed\"><b>%.1f%%</b><span>failed (%llu)</span>"
		"</div>",
		pct(fail, pol), (unsigned long long)fail);
	fprintf(f,
		"<div class=\"card neutral\" id=\"h-sessions\"><b>%llu</b><span>outbound "
		"sessions, %llu with TLS</span></div>",
		(unsigned long long)sess, (unsigned long long)tls);
	fprintf(f,
		"<div class=\"card %s\" id=\"h-cleartext\"><b>%llu</b><span>cleartext "
		"deliveries</span></div>",
		clear ? "bad" : "neutral", (unsigned long long)clear);
	fputs("</div></section>", f);
}

/* Stacked bars, one per day: verified, unverifiable, failed, no policy. */
static void trend(FILE *f, const struct ledger *l)
{
	int32_t dmin = INT32_MAX, dmax = INT32_MIN;
	uint64_t *v, *u, *x, *np, top = 1;
	int ndays, W = 640, H = 190, L = 44, B = 24, T = 8;
	double bw;
	char day[16];

	for (size_t i = 0; i < l->nrows; i++) {
		if (l->rows[i].sessions == 0)
			continue;
		dmin = l->rows[i].day < dmin ? l->rows[i].day : dmin;
		dmax = l->rows[i].day > dmax ? l->rows[i].day : dmax;
	}
	if (dmin > dmax)
		return;
	ndays = dmax - dmin + 1;
	if (ndays > 400) {
		dmin = dmax - 399;
		ndays = 400;
	}
	v = calloc((size_t)ndays * 4, sizeof(*v));
	if (v == NULL)
		return;
	u = v + ndays;
	x = u + ndays;
	np = x + ndays;
	for (size_t i = 0; i < l->nrows; i++) {
		int k = l->rows[i].day - dmin;

		if (k < 0)
			continue;
		v[k] += l->rows[i].verified;
		u[k] += l->rows[i].unverifiable;
		x[k] += l->rows[i].failed;
		np[k] += l->rows[i].no_policy;
	}
	for (int k = 0; k < ndays; k++)
		top = v[k] + u[k] + x[k] + np[k] > top ? v[k] + u[k] + x[k] + np[k] : top;
	bw = (double)(W - L - 10) / ndays;
	fputs("<section id=\"trend\"><h2>Per day: outbound sessions by outcome</h2>", f);
	fprintf(f,
		"<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" aria-label=\"sessions "
		"per day\" style=\"max-height:180px\">",
		W, H);
	for (int g = 0; g <= 4; g++) {
		double y = T + (H - T - B) * (1.0 - g / 4.0);

		fprintf(f,
			"<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e7ee\"/>"
			"<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
			"fill=\"#55607a\">%.0f</text>",
			L, W - 10, y, y, L - 4, y + 3, (double)top * g / 4.0);
	}
	for (int k = 0; k < ndays; k++) {
		const uint64_t parts[4] = {v[k], u[k], x[k], np[k]};
		const char *const col[4] = {C_OK, C_UNV, C_BAD, C_NOP};
		double w = bw * 0.7 < 56 ? bw * 0.7 : 56, y = H - B, bx = L + k * bw + (bw - w) / 2;

		for (int p = 0; p < 4; p++) {
			double h = (H - T - B) * (double)parts[p] / (double)top;

			if (parts[p] == 0)
				continue;
			y -= h;
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\"><title>%s: %llu</title></rect>",
				bx, y, w, h, col[p], ledger_day_str(dmin + k, day, sizeof(day)),
				(unsigned long long)parts[p]);
		}
		if (ndays <= 16 || k % ((ndays + 15) / 16) == 0)
			fprintf(f,
				"<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
				"fill=\"#55607a\">%s</text>",
				L + k * bw + bw / 2, H - B + 14,
				ledger_day_str(dmin + k, day, sizeof(day)));
	}
	fputs("</svg><div class=\"legend\"><span><i style=\"background:" C_OK
	      "\"></i>verified</span><span><i style=\"background:" C_UNV
	      "\"></i>unverifiable (TLS 1.3)</span><span><i style=\"background:" C_BAD
	      "\"></i>failed</span><span><i style=\"background:" C_NOP
	      "\"></i>no policy</span></div></section>",
	      f);
	free(v);
}

static void failures(FILE *f, const struct ledger *l)
{
	uint64_t n[LEDGER_RESULTS] = {0}, top = 0;
	int shown = 0;

	for (size_t i = 0; i < l->nrows; i++)
		for (size_t j = 0; j < l->rows[i].nresults; j++)
			for (int k = 0; k < LEDGER_RESULTS; k++)
				if (strcmp(l->rows[i].by_result[j].name, ledger_result_types[k]) ==
				    0)
					n[k] += l->rows[i].by_result[j].n;
	for (int k = 0; k < LEDGER_RESULTS; k++) {
		top = n[k] > top ? n[k] : top;
		shown += n[k] > 0;
	}
	fputs("<section id=\"failures\"><h2>Failures by TLSRPT result type</h2>", f);
	if (top == 0) {
		fputs("<p>No failed session.</p></section>", f);
		return;
	}
	fprintf(f,
		"<svg viewBox=\"0 0 440 %d\" width=\"100%%\" role=\"img\" "
		"aria-label=\"failures by result type\">",
		shown * 26 + 4);
	shown = 0;
	for (int k = 0; k < LEDGER_RESULTS; k++) {
		double w;

		if (n[k] == 0)
			continue;
		w = 200.0 * (double)n[k] / (double)top;
		fprintf(f,
			"<text x=\"0\" y=\"%d\" font-size=\"11\" fill=\"#1d2433\">%s</text>"
			"<rect x=\"175\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"" C_BAD
			"\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#1d2433\">%llu"
			"</text>",
			shown * 26 + 16, ledger_result_types[k], shown * 26 + 4, w, 180 + w + 4,
			shown * 26 + 16, (unsigned long long)n[k]);
		shown++;
	}
	fputs("</svg></section>", f);
}

struct mx_fail {
	const char *mx, *ip;
	uint64_t n;
	const char *results[4];
	size_t nresults;
};

static int cmp_mxfail(const void *a, const void *b)
{
	const struct mx_fail *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->mx, y->mx);
}

static void top_mx(FILE *f, const struct ledger *l)
{
	struct mx_fail *m = calloc(l->nsessions ? l->nsessions : 1, sizeof(*m));
	size_t n = 0;

	if (m == NULL)
		return;
	for (size_t i = 0; i < l->nsessions; i++) {
		const struct ledger_session *s = &l->sessions[i];
		const char *mx = s->mx_host != NULL ? s->mx_host : "(unknown)";
		const char *ip = s->dest_ip != NULL ? s->dest_ip : "";
		size_t k;

		if (s->outcome != OUT_FAILED)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(m[k].mx, mx) == 0 && strcmp(m[k].ip, ip) == 0)
				break;
		if (k == n) {
			m[n].mx = mx;
			m[n].ip = ip;
			n++;
		}
		m[k].n++;
		for (size_t r = 0; r <= m[k].nresults; r++) {
			if (r == m[k].nresults) {
				if (r < 4)
					m[k].results[m[k].nresults++] = s->result;
				break;
			}
			if (strcmp(m[k].results[r], s->result) == 0)
				break;
		}
	}
	qsort(m, n, sizeof(*m), cmp_mxfail);
	fputs("<section id=\"topmx\"><h2>MX hosts behind failures</h2>", f);
	if (n == 0) {
		fputs("<p>No failed session.</p></section>", f);
		free(m);
		return;
	}
	fputs("<table><tr><th>MX host</th><th>address</th><th class=\"n\">failed</th>"
	      "<th>result types</th></tr>",
	      f);
	for (size_t k = 0; k < n && k < TOP_MX; k++) {
		fputs("<tr><td>", f);
		esc(f, m[k].mx);
		fputs("</td><td>", f);
		esc(f, m[k].ip);
		fprintf(f, "</td><td class=\"n\">%llu</td><td>", (unsigned long long)m[k].n);
		for (size_t r = 0; r < m[k].nresults; r++) {
			if (r)
				fputs(", ", f);
			esc(f, m[k].results[r]);
		}
		fputs("</td></tr>", f);
	}
	fputs("</table></section>", f);
	free(m);
}

static const char *outcome_name(enum outcome o)
{
	switch (o) {
	case OUT_VERIFIED:
		return "verified";
	case OUT_UNVERIFIABLE:
		return "unverifiable";
	case OUT_FAILED:
		return "failed";
	default:
		return "no policy";
	}
}

static const char *outcome_class(enum outcome o)
{
	return o == OUT_FAILED ? "f" : o == OUT_UNVERIFIABLE ? "u" : o == OUT_VERIFIED ? "v" : "";
}

static void details(FILE *f, const struct ledger *l, const struct dom_sum *d)
{
	size_t listed = 0, total = 0;

	fputs("<tr class=\"more\" hidden><td colspan=\"11\"><b>Sessions</b><table><tr><th>time"
	      "</th><th>client</th><th>server</th><th>MX host</th><th>TLS</th><th>DANE</th>"
	      "<th>MTA-STS</th><th>outcome</th><th>community_id</th></tr>",
	      f);
	for (size_t r = d->first_row; r < d->first_row + d->nrows; r++) {
		const struct ledger_row *row = &l->rows[r];

		for (size_t k = 0; k < row->nsess; k++, total++) {
			const struct ledger_session *s = &l->sessions[row->sess[k]];

			if (listed++ >= DETAIL_MAX)
				continue;
			fputs("<tr><td>", f);
			esc(f, s->timestamp);
			fputs("</td><td>", f);
			esc(f, s->src_ip);
			fputs("</td><td>", f);
			esc(f, s->dest_ip);
			fputs("</td><td>", f);
			esc(f, s->mx_host);
			fputs("</td><td>", f);
			esc(f, s->tls ? (s->tls_version ? s->tls_version : "yes")
				      : (s->cleartext ? "cleartext" : "no"));
			fputs("</td><td>", f);
			esc(f, s->dane_verdict);
			fputs("</td><td>", f);
			esc(f, s->sts_verdict);
			fprintf(f, "</td><td class=\"%s\">%s", outcome_class(s->outcome),
				outcome_name(s->outcome));
			if (s->outcome == OUT_FAILED) {
				fputs(" (", f);
				esc(f, s->result);
				fputs(")", f);
			}
			fputs("</td><td><code>", f);
			esc(f, s->community_id);
			fputs("</code></td></tr>", f);
		}
	}
	if (total > DETAIL_MAX)
		fprintf(f, "<tr><td colspan=\"9\">%zu more in report.json's inputs</td></tr>",
			total - DETAIL_MAX);
	fputs("</table>", f);
	listed = total = 0;
	for (size_t r = d->first_row; r < d->first_row + d->nrows; r++)
		total += l->rows[r].nalert_idx;
	if (total == 0) {
		fputs("<p>No alert.</p></td></tr>", f);
		return;
	}
	fputs("<b>Alerts</b><table><tr><th>time</th><th>kind</th><th>TLSRPT result</th>"
	      "<th>source</th><th>destination</th><th>community_id</th></tr>",
	      f);
	for (size_t r = d->first_row; r < d->first_row + d->nrows; r++) {
		const struct ledger_row *row = &l->rows[r];

		for (size_t k = 0; k < row->nalert_idx; k++) {
			const struct ledger_alert *a = &l->alerts[row->alert_idx[k]];

			if (listed++ >= DETAIL_MAX)
				continue;
			fputs("<tr><td>", f);
			esc(f, a->timestamp);
			fputs("</td><td class=\"f\">", f);
			esc(f, a->kind);
			fputs("</td><td>", f);
			esc(f, a->result != NULL ? a->result : "-");
			fputs("</td><td>", f);
			esc(f, a->src_ip);
			fputs("</td><td>", f);
			esc(f, a->dest_ip);
			fputs("</td><td><code>", f);
			esc(f, a->community_id);
			fputs("</code></td></tr>", f);
		}
	}
	if (total > DETAIL_MAX)
		fprintf(f, "<tr><td colspan=\"6\">%zu more</td></tr>", total - DETAIL_MAX);
	fputs("</table></td></tr>", f);
}

static void num_cell(FILE *f, uint64_t v, const char *cls)
{
	fprintf(f, "<td class=\"n %s\" data-v=\"%llu\">%llu</td>", v ? cls : "",
		(unsigned long long)v, (unsigned long long)v);
}

static void domains(FILE *f, const struct ledger *l)
{
	size_t n;
	struct dom_sum *d = sum_domains(l, &n);
	static const char *const heads[] = {"",		"domain",	"policy",   "sessions",
					    "verified", "unverifiable", "failed",   "cleartext",
					    "alerts",	"first seen",	"last seen"};
	char t[32];

	if (d == NULL)
		return;
	fputs("<section><h2>Destination domains, worst first (click a heading to sort, "
	      "<i>open</i> for sessions and alerts)</h2><table id=\"domains\"><thead><tr>",
	      f);
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		fprintf(f, "<th data-i=\"%zu\"%s>%s</th>", i,
			i >= 3 && i <= 8 ? " class=\"n\"" : "", heads[i]);
	fputs("</tr></thead>", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f,
			"<tbody><tr><td data-v=\"%zu\"><button class=\"t\">open</button></td>"
			"<td data-v=\"",
			i);
		esc(f, d[i].domain);
		fputs("\" class=\"dom\">", f);
		esc(f, d[i].domain);
		fputs("</td><td data-v=\"", f);
		esc(f, d[i].policy);
		fputs("\">", f);
		esc(f, d[i].policy);
		fputs("</td>", f);
		num_cell(f, d[i].sessions, "");
		num_cell(f, d[i].verified, "v");
		num_cell(f, d[i].unverifiable, "u");
		num_cell(f, d[i].failed, "f");
		num_cell(f, d[i].cleartext, "f");
		num_cell(f, d[i].alerts, "f");
		ledger_time_str(d[i].first_us, t, sizeof(t));
		fprintf(f, "<td class=\"ts\" data-v=\"%s\">%.10s %.5s</td>", t, t, t + 11);
		ledger_time_str(d[i].last_us, t, sizeof(t));
		fprintf(f, "<td class=\"ts\" data-v=\"%s\">%.10s %.5s</td></tr>", t, t, t + 11);
		details(f, l, &d[i]);
		fputs("</tbody>", f);
	}
	fputs("</table></section>", f);
	free(d);
}

/* The policy domains of the state store, and the outbound sessions to each in the window. */
static void state_section(FILE *f, const struct ledger *l, json_t *state)
{
	size_t i;
	json_t *d;

	if (state == NULL)
		return;
	fputs("<section id=\"state\"><h2>Policy domains the sensor's state store knows</h2>", f);
	if (json_array_size(state) == 0) {
		fputs("<p>None.</p></section>", f);
		return;
	}
	fputs("<table><tr><th>domain</th><th>MX hosts</th><th>DANE (TLSA on)</th><th>MTA-STS "
	      "record</th><th class=\"n\">outbound sessions in the window</th></tr>",
	      f);
	for (i = 0; i < json_array_size(state) && (d = json_array_get(state, i)) != NULL; i++) {
		const char *dom = json_string_value(json_object_get(d, "domain"));
		uint64_t n = 0;
		size_t k;
		json_t *h, *hosts;

		for (size_t r = 0; r < l->nrows; r++)
			if (strcmp(l->rows[r].domain, dom) == 0)
				n += l->rows[r].sessions;
		fputs("<tr><td>", f);
		esc(f, dom);
		fputs("</td><td>", f);
		hosts = json_object_get(d, "mx_hosts");
		for (k = 0; k < json_array_size(hosts) && (h = json_array_get(hosts, k)) != NULL;
		     k++) {
			if (k)
				fputs(", ", f);
			esc(f, json_string_value(h));
		}
		fputs("</td><td>", f);
		hosts = json_object_get(d, "tlsa_hosts");
		for (k = 0; k < json_array_size(hosts) && (h = json_array_get(hosts, k)) != NULL;
		     k++) {
			if (k)
				fputs(", ", f);
			esc(f, json_string_value(h));
		}
		fputs("</td><td>", f);
		if (json_is_true(json_object_get(d, "mta-sts"))) {
			fputs("id ", f);
			esc(f, json_string_value(json_object_get(d, "mta-sts_id")));
		}
		fprintf(f, "</td><td class=\"n\">%llu</td></tr>", (unsigned long long)n);
	}
	fputs("</table></section>", f);
}

bool report_write_html(const char *dir, const struct ledger *l, const struct report_meta *m)
{
	char path[4096];
	uint64_t sess, ver, unv, fail, clear, tls;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/index.html", dir);
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "mxsentry report: %s: %s\n", path, strerror(errno));
		return false;
	}
	ledger_totals(l, &sess, &ver, &unv, &fail, &clear, &tls);
	fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<title>mxsentry: outbound mail protection</title><style>",
	      f);
	fputs(STYLE, f);
	fputs("</style></head><body><header><h1>Outbound mail protection: DANE and MTA-STS"
	      "</h1><p>",
	      f);
	fprintf(f,
		"mxsentry report &middot; window %s to %s &middot; %llu smtp records, %llu "
		"alerts read &middot; organization ",
		m->from ? m->from : "(start)", m->to ? m->to : "(end)",
		(unsigned long long)l->smtp_records, (unsigned long long)l->alert_records);
	esc(f, m->org);
	fputs("</p></header><main>", f);
	if (sess == 0) {
		fputs("<section id=\"headline\"><p class=\"empty\" id=\"no-sessions\">No outbound "
		      "SMTP sessions in the input",
		      f);
		if (m->from || m->to)
			fputs(" for this window", f);
		fprintf(f,
			". %llu smtp records were read (%llu inbound, %llu internal, %llu "
			"external, %llu outside the window); set home-net on the sensor so its "
			"records say which sessions are ours.</p></section>",
			(unsigned long long)l->smtp_records, (unsigned long long)l->by_direction[1],
			(unsigned long long)l->by_direction[2],
			(unsigned long long)l->by_direction[3],
			(unsigned long long)l->outside_window);
		if (l->nrows > 0)
			domains(f, l);
	} else {
		headline(f, l);
		fputs("<div class=\"grid\">", f);
		trend(f, l);
		failures(f, l);
		fputs("</div>", f);
		domains(f, l);
		top_mx(f, l);
	}
	state_section(f, l, m->state);
	fputs("<p style=\"font-size:12px;color:#55607a\">Verified: DANE or MTA-STS checked "
	      "and matched. Unverifiable: TLS 1.3 hides the certificate, so only TLS, SNI and "
	      "the MX used were checked; not counted as failed. Failed: a verdict failed or an "
	      "alert with a TLSRPT result type was raised on the session. The TLSRPT files are "
	      "in tlsrpt/, the table in domains.csv and report.json.</p></main><script>",
	      f);
	fputs(SCRIPT, f);
	fputs("</script></body></html>\n", f);
	ok = !ferror(f);
	ok &= fclose(f) == 0;
	if (!ok)
		fprintf(stderr, "mxsentry report: %s: cannot write\n", path);
	return ok;
}
