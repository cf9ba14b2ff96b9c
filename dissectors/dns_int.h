/*
 * dns_int.h - declarations shared by the files of the DNS dissector
 * (dns.c, dns_wire.c, dns_tcp.c, dns_rr.c); not part of its API.
 */
#ifndef MX_DNS_INT_H
#define MX_DNS_INT_H

#include "dns.h"

/* What dns_wire_parse found besides the packet. */
struct dns_wire_info {
	enum dns_malformed_reason reason; /* when it failed */
	ldns_status status;		  /* ldns status when it failed in ldns */
	uint32_t anomalies;		  /* DNS_ANOM_* */
	bool edns;			  /* an OPT record was seen */
};

/*
 * Builds an ldns_pkt from one DNS message (header, then every record
 * through ldns_wire2rr, OPT and TSIG handled as ldns_wire2pkt does) under
 * the limits of cfg. Returns the packet (the caller frees it) or NULL
 * with info->reason/status set.
 */
ldns_pkt *dns_wire_parse(const struct dns_config *cfg, const uint8_t *wire, size_t len,
			 struct dns_wire_info *info);

/*
 * Parses one complete message and delivers it (or the error) through p's
 * callbacks, counting it. True when a message was delivered.
 */
bool dns_message_deliver(const uint8_t *wire, size_t len, bool tcp, struct dns_parser *p,
			 void *ctx);

#endif
