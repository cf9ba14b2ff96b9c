/*
 * compliance.h - `mxsentry report`: turns EVE output into the outbound
 * compliance report (report.json, domains.csv, RFC 8460 TLSRPT files,
 * index.html). See ledger.h for how sessions are counted.
 */
#ifndef MX_COMPLIANCE_H
#define MX_COMPLIANCE_H

/*
 * Runs the subcommand; argv[0] is "report". Returns the exit status: 0
 * written; 1 error (nothing readable, no EVE record at all, output not
 * writable); 2 usage; 3 written, but an input was truncated or corrupt
 * (the records before the damage were used).
 */
int compliance_main(int argc, char **argv);

#endif
