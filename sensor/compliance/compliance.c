/*
 * compliance.c - the `mxsentry report` command line; see compliance.h.
 */
#include "compliance/compliance.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance/eve_input.h"
#include "compliance/ledger.h"
#include "compliance/report_files.h"
#include "compliance/report_html.h"
#include "compliance/state_policies.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: mxsentry report -o DIR [--from DATE] [--to DATE] [--gzip] EVE...\n"
	    "  EVE             EVE JSON files (gzip too) or directories of them\n"
	    "  -o DIR          write report.json, domains.csv, tlsrpt/, index.html into DIR\n"
	    "  --from DATE     first UTC day to report (YYYY-MM-DD; default: all)\n"
	    "  --to DATE       last UTC day to report (YYYY-MM-DD; default: all)\n"
	    "  --gzip          write the TLSRPT files gzip-compressed (.json.gz), as RFC 8460\n"
	    "                  sends them\n"
	    "  --org NAME      TLSRPT organization-name (default \"mxsentry\")\n"
	    "  --contact ADDR  TLSRPT contact-info (default \"postmaster\")\n"
	    "  --state SPEC    the sensor's state store (SQLite file or redis://...): list the\n"
	    "                  policy domains it knows, with or without mail in the window\n"
	    "exit status: 0 written, 1 error, 2 usage, 3 written but an input was "
	    "truncated or corrupt\n");
}

static bool parse_day(const char *s, int32_t *day)
{
	char buf[40];
	int64_t us;

	if (strlen(s) != 10)
		return false;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	return ledger_parse_time(buf, &us, day);
}

static void on_record(void *ctx, json_t *rec)
{
	ledger_add(ctx, rec);
}

int compliance_main(int argc, char **argv)
{
	enum { O_FROM = 256, O_TO, O_GZIP, O_ORG, O_CONTACT, O_STATE };
	static const struct option longopts[] = {
	    {"from", required_argument, NULL, O_FROM},
	    {"to", required_argument, NULL, O_TO},
	    {"gzip", no_argument, NULL, O_GZIP},
	    {"org", required_argument, NULL, O_ORG},
	    {"contact", required_argument, NULL, O_CONTACT},
	    {"state", required_argument, NULL, O_STATE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct report_meta meta = {"mxsentry", "postmaster", NULL, NULL, NULL, 0, false, NULL};
	const char *state = NULL;
	struct eve_input_stats st = {0};
	int32_t from = INT32_MIN, to = INT32_MAX;
	const char *out = NULL;
	struct ledger *l;
	bool damaged = false, ok;
	unsigned ntlsrpt = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case O_FROM:
			if (!parse_day(optarg, &from)) {
				fprintf(stderr, "mxsentry report: --from: YYYY-MM-DD expected\n");
				return 2;
			}
			meta.from = optarg;
			break;
		case O_TO:
			if (!parse_day(optarg, &to)) {
				fprintf(stderr, "mxsentry report: --to: YYYY-MM-DD expected\n");
				return 2;
			}
			meta.to = optarg;
			break;
		case O_GZIP:
			meta.gzip = true;
			break;
		case O_ORG:
			meta.org = optarg;
			break;
		case O_CONTACT:
			meta.contact = optarg;
			break;
		case O_STATE:
			state = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (out == NULL || optind >= argc) {
		fprintf(stderr, "mxsentry report: %s\n",
			out == NULL ? "-o DIR is required" : "no EVE input given");
		usage(stderr);
		return 2;
	}
	if (from > to) {
		fprintf(stderr, "mxsentry report: --from is after --to\n");
		return 2;
	}
	meta.inputs = (const char *const *)argv + optind;
	meta.ninputs = argc - optind;
	if (state != NULL && (meta.state = state_policies_load(state)) == NULL)
		return 1;
	l = ledger_new(from, to);
	if (l == NULL) {
		fprintf(stderr, "mxsentry report: out of memory\n");
		json_decref(meta.state);
		return 1;
	}
	for (int i = optind; i < argc; i++)
		damaged |= !eve_input_read(argv[i], on_record, l, &st);
	if (st.records == 0) {
		fprintf(stderr,
			"mxsentry report: no EVE records in the input (%llu file%s, %llu lines, "
			"%llu not EVE); nothing written\n",
			(unsigned long long)st.files, st.files == 1 ? "" : "s",
			(unsigned long long)st.lines, (unsigned long long)st.garbage);
		ledger_free(l);
		json_decref(meta.state);
		return 1;
	}
	if (l->not_kept > 0)
		fprintf(
		    stderr,
		    "mxsentry report: warning: %llu sessions and alerts past the limit of %u "
		    "each (or out of memory) were not counted; split the input by --from/--to\n",
		    (unsigned long long)l->not_kept, LEDGER_MAX_KEPT);
	if (!ledger_finish(l)) {
		fprintf(stderr, "mxsentry report: out of memory\n");
		ledger_free(l);
		json_decref(meta.state);
		return 1;
	}
	if (!report_mkdir(out)) {
		fprintf(stderr, "mxsentry report: %s: cannot create the directory\n", out);
		ledger_free(l);
		json_decref(meta.state);
		return 1;
	}
	ok = report_write_json(out, l, &meta) && report_write_csv(out, l) &&
	     report_write_tlsrpt(out, l, &meta, &ntlsrpt) && report_write_html(out, l, &meta);
	if (ok) {
		uint64_t sess, ver, unv, fail, clear, tls, pol;

		ledger_totals(l, &sess, &ver, &unv, &fail, &clear, &tls);
		pol = ver + unv + fail;
		if (sess == 0)
			fprintf(stderr,
				"mxsentry report: no outbound SMTP sessions in the input%s (%llu "
				"smtp records read); the report says so\n",
				meta.from || meta.to ? " and window" : "",
				(unsigned long long)l->smtp_records);
		fprintf(stderr,
			"mxsentry report: %llu records read; %llu outbound sessions (%llu to "
			"policy domains: %llu verified, %llu unverifiable, %llu failed); %zu "
			"domain-days; %u TLSRPT file%s in %s\n",
			(unsigned long long)st.records, (unsigned long long)sess,
			(unsigned long long)pol, (unsigned long long)ver, (unsigned long long)unv,
			(unsigned long long)fail, l->nrows, ntlsrpt, ntlsrpt == 1 ? "" : "s", out);
	}
	ledger_free(l);
	json_decref(meta.state);
	if (!ok)
		return 1;
	return damaged ? 3 : 0;
}
