/*
 * mitm.h - shared declarations of the lab's man in the middle.
 *
 * The lab (tests/lab/lab.sh) runs this program on the router namespace
 * between the mail clients and the mail and DNS servers, with nftables
 * redirecting port 25 or 53 to it. It attacks mail transport the way real
 * on-path attackers do, so the captures show what mxsentry must detect.
 * It is a test tool: it only ever runs inside the lab's namespaces.
 */
#ifndef MXLAB_MITM_H
#define MXLAB_MITM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* Everything the command line sets. */
struct mitm_opts {
	const char *mode;	    /* attack mode, see usage() in mitm.c */
	unsigned short listen_port; /* port the redirect sends traffic to */
	struct in_addr upstream;    /* DNS: the real name server */
	bool have_upstream;
	const char *cert_file;	   /* own-cert: certificate shown to clients */
	const char *key_file;	   /* own-cert: its private key */
	int tls_max;		   /* own-cert: highest TLS version to clients */
	const char *zone;	   /* forge-mx: the domain whose MX is forged */
	const char *forge_host;	   /* forge-mx: the exchange put in its place */
	struct in_addr forge_addr; /* forge-mx: the address of that exchange */
	const char *wire_iface;	   /* insert-*: the client-facing interface */
};

/* Writes one line to stderr, prefixed with the time and the process id. */
void mitm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs like mitm_log and exits the process with status 1. */
_Noreturn void mitm_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Opens a socket of TYPE (SOCK_STREAM or SOCK_DGRAM) bound to PORT on every
 * IPv4 address, listening when it is a stream socket. Exits on failure.
 */
int mitm_listen(int type, unsigned short port);

/* Opens a TCP connection to ADDR:PORT; returns the socket or -1. */
int mitm_connect(const struct sockaddr_in *addr);

/*
 * Writes all LEN bytes of BUF to FD, retrying short writes and EINTR.
 * Returns false when the peer is gone.
 */
bool mitm_write_all(int fd, const void *buf, size_t len);

/* One proxied connection watched and written to on the wire (mitm_wire.c). */
struct wire_tap;

/*
 * Opens a packet socket on IFNAME watching the connection of CLIENT_FD
 * (accepted from a client whose original destination was DST). Exits on
 * failure.
 */
struct wire_tap *mitm_wire_open(const char *ifname, int client_fd, const struct sockaddr_in *dst);

/*
 * Writes one raw frame toward the client carrying PAYLOAD at the sequence
 * number of the next byte the proxy will send it, with a wrong TCP
 * checksum. False when the connection's segments were not seen.
 */
bool mitm_wire_decoy(struct wire_tap *t, const void *payload, size_t len);

/* Turns transmit checksum offload off on the N interfaces named. Exits on failure. */
int mitm_wire_csum_off(int n, char **ifnames);

/* Runs the SMTP proxy until killed. Returns an exit status. */
int mitm_smtp_run(const struct mitm_opts *o);

/* Runs the DNS proxy (UDP and TCP) until killed. Returns an exit status. */
int mitm_dns_run(const struct mitm_opts *o);

#endif
