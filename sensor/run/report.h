/*
 * report.h - what an offline run shows a person on a terminal: a progress
 * line on stderr while reading (bytes of the total, packets/s, alerts so
 * far, the file being read; on stdin the bytes and packets read) and a summary table at the end
 * (sessions by server and domain, TLS, DANE/MTA-STS verdicts, alerts by kind).
 */
#ifndef MX_REPORT_H
#define MX_REPORT_H

#include <stdio.h>

#include "capture/capture.h"
#include "correlate/correlate.h"
#include "run/pipeline.h"

struct report;

struct report *report_new(struct pipeline *p, struct correlate *c);
void report_free(struct report *r);

/* Redraws the progress line, at most a few times a second of wall time. */
void report_progress(struct report *r, const struct capture *cap);

/* Clears the progress line and prints the summary table. */
void report_summary(struct report *r, FILE *out);

#endif
