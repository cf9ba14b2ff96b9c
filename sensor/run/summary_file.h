/*
 * summary_file.h - the end-of-run summary as a JSON file (--summary FILE,
 * summary: in the configuration), written whatever stderr is: packets,
 * SMTP sessions, DNS flows, alerts, the sessions by server and domain
 * with TLS and the DANE/MTA-STS verdicts, and alerts by kind. A live
 * sensor rewrites it at every stats interval; the file is replaced
 * atomically (written beside it, then renamed), so a reader never sees
 * half of one.
 */
#ifndef MX_SUMMARY_FILE_H
#define MX_SUMMARY_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate/correlate.h"

/* A counter of the stats record by name ("decoder.pkts"); 0 when unknown. */
typedef uint64_t (*summary_counter_fn)(void *ctx, const char *name);

/*
 * Writes the summary to path. final says whether the run has ended;
 * elapsed_s is the wall time since start. Takes the correlate stage's
 * lock while it reads the tally and the alert counters. False with a
 * message in err when the file cannot be written.
 */
bool summary_write_json(const char *path, struct correlate *c, summary_counter_fn counter,
			void *ctx, bool final, double elapsed_s, char *err, size_t errlen);

#endif
