/*
 * stats.h - the EVE stats record: every stage's counter table gathered
 * into one nested "stats" object, Suricata's names where it has them.
 */
#ifndef MX_STATS_H
#define MX_STATS_H

#include "util/common.h"
#include "output/eve.h"

/* struct stats_source (one stage's counter table) is in util/common.h. */

/* Most counters one stats record carries; more are left out and said so. */
#define STATS_MAX_COUNTERS 512

/*
 * Writes one stats record at packet time ts_us with the counters of every
 * source, nested by the dots in their names, plus stats.uptime (seconds of
 * packet time since the first packet).
 */
void stats_write(struct eve *e, uint64_t ts_us, uint64_t uptime_s, const struct stats_source *src,
		 size_t nsrc);

/* Sum of one named counter over the sources; 0 when no source has it. */
uint64_t stats_get(const struct stats_source *src, size_t nsrc, const char *name);

#endif
