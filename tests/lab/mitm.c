/*
 * mitm.c - command line, logging and socket helpers of the lab's man in the
 * middle. `mitm smtp MODE ...` attacks SMTP sessions, `mitm dns MODE ...`
 * rewrites DNS answers; see usage() for the modes.
 */
#include "mitm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void vlog(const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld mitm[%d] ", when, ts.tv_nsec / 1000000L, (int)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void mitm_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

_Noreturn void mitm_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(1);
}

int mitm_listen(int type, unsigned short port)
{
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
	int one = 1;
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		mitm_fatal("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		mitm_fatal("bind port %u: %s", port, strerror(errno));
	if (type == SOCK_STREAM && listen(fd, 16) < 0)
		mitm_fatal("listen: %s", strerror(errno));
	return fd;
}

int mitm_connect(const struct sockaddr_in *addr)
{
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	/* A lab server answers at once; never hang on a missing one. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

bool mitm_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static _Noreturn void usage(void)
{
	fputs("usage: mitm smtp MODE -l PORT [-c CERT -k KEY [-t 1.2|1.3]] [-i IFACE]\n"
	      "       mitm dns MODE -l PORT -u UPSTREAM [-z ZONE -H HOST -A ADDR]\n"
	      "       mitm csum-off IFACE...\n"
	      "smtp modes: pass-smtp strip-starttls mask-starttls starttls-454 "
	      "own-cert insert-strip insert-decoy (these two need -i)\n"
	      "dns modes:  pass-dns forge-mx strip-tlsa strip-rrsig "
	      "strip-mta-sts stub-strip-tlsa stub-bogus-rrsig\n",
	      stderr);
	exit(2);
}

static void parse_addr(const char *s, struct in_addr *a)
{
	if (inet_pton(AF_INET, s, a) != 1)
		mitm_fatal("not an IPv4 address: %s", s);
}

int main(int argc, char **argv)
{
	struct mitm_opts o = {.tls_max = 12};
	const char *kind;
	int c;

	if (argc < 3)
		usage();
	kind = argv[1];
	if (strcmp(kind, "csum-off") == 0)
		return mitm_wire_csum_off(argc - 2, argv + 2);
	o.mode = argv[2];
	optind = 3;
	while ((c = getopt(argc, argv, "l:u:c:k:t:z:H:A:i:")) != -1) {
		switch (c) {
		case 'l':
			o.listen_port = (unsigned short)atoi(optarg);
			break;
		case 'u':
			parse_addr(optarg, &o.upstream);
			o.have_upstream = true;
			break;
		case 'c':
			o.cert_file = optarg;
			break;
		case 'k':
			o.key_file = optarg;
			break;
		case 't':
			o.tls_max = strcmp(optarg, "1.3") == 0 ? 13 : 12;
			break;
		case 'z':
			o.zone = optarg;
			break;
		case 'H':
			o.forge_host = optarg;
			break;
		case 'A':
			parse_addr(optarg, &o.forge_addr);
			break;
		case 'i':
			o.wire_iface = optarg;
			break;
		default:
			usage();
		}
	}
	if (o.listen_port == 0)
		usage();
	/* Children are reaped by the kernel; a dead peer is not fatal. */
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (strcmp(kind, "smtp") == 0)
		return mitm_smtp_run(&o);
	if (strcmp(kind, "dns") == 0)
		return mitm_dns_run(&o);
	usage();
}
