/*
 * alert_out.h - the EVE alert records of the alert requests correlate
 * handed back (correlate/alert.h): Suricata's alert object (with
 * metadata), mxsentry's downgrade object (its evidence and expectation
 * objects rendered from correlate's typed fields, correlate/evidence.h,
 * with the EVE writers), then the app-layer object of
 * the flow (eve_app_layer), as Suricata's alert records carry it. Called
 * by the sessions after the correlate entry point returned, so no record
 * is written under the correlate stage's lock.
 */
#ifndef MX_ALERT_OUT_H
#define MX_ALERT_OUT_H

#include "correlate/alert.h"
#include "correlate/evidence.h"
#include "flow/flow.h"
#include "output/eve.h"

/*
 * Writes the record of every request in l on flow f with writer e (when
 * an output takes alerts; l->render must then have been set), marks f
 * as alerted when there was one, and empties l.
 */
void alert_out_flush(struct eve *e, struct flow *f, struct alert_list *l);

#endif
