/*
 * state_policies.h - for `mxsentry report --state SPEC`: the policy
 * domains the sensor's state store knows (its MX sets, the TLSA records of
 * their hosts, their _mta-sts records), whether or not mail went to them
 * in the report's window.
 */
#ifndef MX_STATE_POLICIES_H
#define MX_STATE_POLICIES_H

#include <jansson.h>

/*
 * Loads the store named by spec (a SQLite file or redis://...) and returns
 * a JSON array, sorted by domain, of {domain, mx_hosts, mx_trust, dane
 * (an MX host has TLSA records), tlsa_hosts, mta-sts (an _mta-sts record
 * was seen), mta-sts_id, mta-sts_trust}: every domain with an MX set or an
 * _mta-sts record. NULL with a message on stderr when the store cannot be
 * read.
 */
json_t *state_policies_load(const char *spec);

#endif
