/*
 * mkpcap.c - builds a crafted capture from a small scenario text file, so
 * the test captures in pcaps/ can be regenerated from readable sources.
 *
 * Usage: mkpcap SCENARIO [OUT.pcap]     (OUT overrides the `capture` line)
 *
 * Scenario format: one directive per line. Blank lines and lines whose
 * first non-blank character is '#' are ignored (there are no trailing
 * comments: text messages may contain '#'). Relative paths in the scenario
 * are relative to its directory (OUT.pcap on the command line is not).
 * Each message goes out as its segments (in the order asked for), then any
 * retransmission, then the peer's ACK. Example:
 *
 *   capture out.pcap
 *   time 2026-11-29T10:00:00Z
 *   conn client 192.0.2.10:40001 server 198.51.100.25:25 vlan 100
 *   S: 220 mx.example.test ESMTP\r\n
 *   C: EHLO client.example.test\r\n
 *   option segment 1
 *   S: 250-mx.example.test\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n
 *   option segment default
 *   option order reverse
 *   option retransmit-diff 3 "Q"
 *   C: hex 16 03 01 00 05 01 00 00 01 00
 *   wait 0.5
 *   close fin
 *   udp 192.0.2.53:53 192.0.2.10:5353 file dns_answer.bin
 *
 * Directives:
 *   capture PATH      output file (unless given on the command line); must
 *                     come before the first packet
 *   time ISO8601      set the clock: YYYY-MM-DDTHH:MM:SS[.ffffff]Z (UTC);
 *                     default 2026-11-29T10:00:00Z
 *   wait SECONDS      advance the clock (decimal, microsecond resolution)
 *   conn client EP server EP [name NAME] [vlan ID] [vlan2 ID] [mss N]
 *        [isn CLIENT SERVER] [cmac MAC] [smac MAC] [midstream]
 *                     open a TCP connection with a three-way handshake (none
 *                     with `midstream`) and make it the current one. EP is
 *                     a.b.c.d:port or [ipv6]:port; vlan2 adds an inner tag
 *                     (QinQ, outer TPID 0x88a8); mss sets the default segment
 *                     size (1460). Connections are named 1, 2, ... unless named.
 *   use NAME          make connection NAME the current one
 *   C: PAYLOAD        the client sends PAYLOAD on the current connection as
 *                     one message; the server ACKs it afterwards
 *   S: PAYLOAD        the same from the server
 *   close fin|rst [client|server]
 *                     FIN exchange or RST from the given side (default client)
 *   udp SRC DST [vlan ID] [vlan2 ID] [smac MAC] [dmac MAC] PAYLOAD
 *                     one UDP datagram from SRC to DST (EP as above)
 *   option segment N|default   split following messages in N-byte segments
 *   option ack on|off          whether the peer ACKs each message (default on)
 *   option gap SECONDS         clock step after each packet (default 0.0001)
 *   option order reverse|I,J,K emit the next message's segments last to first
 *                              or in the given permutation of 0..n-1
 *   option retransmit-diff OFFSET PAYLOAD
 *                     after the next message, retransmit its bytes from
 *                     OFFSET with the content PAYLOAD (conflicting overlap)
 *   option decoy PAYLOAD
 *                     before the next message, send PAYLOAD at its sequence
 *                     numbers with a wrong TCP checksum (an insertion the
 *                     receiver's kernel drops)
 *   option offload client|server|both|off
 *                     from now on TCP/UDP packets from that side (udp: the
 *                     SRC side is the client) carry wrong checksums, as
 *                     captured on a host with checksum offload
 *
 * PAYLOAD is one of:
 *   hex 16 03 01 ...  bytes in hex (blanks between bytes allowed)
 *   file PATH         the bytes of a file (at most 16 MiB)
 *   text REST         REST of the line with escapes
 *   "QUOTED"          the quoted string with escapes
 * and after C: and S: also any other text, taken as `text` (so text that
 * starts with the word hex, file or text, or with a quote, needs `text`). Escapes:
 * \r \n \t \0 \\ \" \xNN; a one-byte space after "C:"/"S:" is a separator.
 * Line endings (LF or CRLF) of the scenario file itself are not payload.
 */
#include "pcapwrite.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD_BYTES (16u << 20)
#define MAX_CONNS	  10000
#define MAX_NAME	  64
#define DEFAULT_TIME_US	  (1795946400LL * 1000000) /* 2026-11-29T10:00:00Z */
#define DEFAULT_GAP_US	  100

struct buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

struct conn_slot {
	char name[MAX_NAME];
	struct pw_tcp tcp;
};

struct scen {
	const char *path;
	char dir[PATH_MAX];
	unsigned long line;
	const char *out_arg;
	char *out;
	struct pw_writer *w;
	int64_t now;
	int64_t gap;
	struct conn_slot *conns;
	size_t nconns;
	size_t cur; /* index of the current connection; nconns when none */
	/* persistent options */
	size_t segment;
	int ack;
	/* options for the next message */
	int reverse_next;
	size_t *order_next;
	size_t order_len;
	struct buf rtx;
	size_t rtx_off;
	int rtx_pending;
	struct buf decoy;
	int decoy_pending;
	unsigned offload; /* pw_set_bad_checksums mask of `option offload` */
};

static int fail(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "scenario:line: message" and returns -1. */
static int fail(struct scen *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%lu: ", s->path, s->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int buf_put(struct scen *s, struct buf *b, const uint8_t *p, size_t n)
{
	if (n > MAX_PAYLOAD_BYTES - b->len)
		return fail(s, "payload larger than %u bytes", MAX_PAYLOAD_BYTES);
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		uint8_t *np;

		while (nc < b->len + n)
			nc *= 2;
		np = realloc(b->p, nc);
		if (!np)
			return fail(s, "out of memory");
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blank(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

/*
 * Appends the text [p, end) to b with escapes decoded. When quote is set,
 * stops at an unescaped '"' and returns a pointer after it (NULL when it is
 * missing); otherwise returns end.
 */
static const char *unescape(struct scen *s, const char *p, const char *end, int quote,
			    struct buf *b)
{
	while (p < end) {
		uint8_t c = (uint8_t)*p++;

		if (quote && c == '"')
			return p;
		if (c == '\\') {
			int hi, lo;

			if (p >= end) {
				fail(s, "backslash at end of text");
				return NULL;
			}
			switch (*p++) {
			case 'r':
				c = '\r';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '0':
				c = 0;
				break;
			case '\\':
				c = '\\';
				break;
			case '"':
				c = '"';
				break;
			case 'x':
				hi = p < end ? hexval(p[0]) : -1;
				lo = p + 1 < end ? hexval(p[1]) : -1;
				if (hi < 0 || lo < 0) {
					fail(s, "\\x needs two hex digits");
					return NULL;
				}
				c = (uint8_t)(hi << 4 | lo);
				p += 2;
				break;
			default:
				fail(s, "unknown escape \\%c", p[-1]);
				return NULL;
			}
		}
		if (buf_put(s, b, &c, 1))
			return NULL;
	}
	if (quote) {
		fail(s, "missing closing quote");
		return NULL;
	}
	return end;
}

static int parse_hex(struct scen *s, const char *p, struct buf *b)
{
	int hi = -1;

	for (; *p; p++) {
		int v;

		if (is_blank(*p))
			continue;
		v = hexval(*p);
		if (v < 0)
			return fail(s, "not a hex digit: '%c'", *p);
		if (hi < 0) {
			hi = v;
		} else {
			uint8_t c = (uint8_t)(hi << 4 | v);

			if (buf_put(s, b, &c, 1))
				return -1;
			hi = -1;
		}
	}
	if (hi >= 0)
		return fail(s, "odd number of hex digits");
	return 0;
}

/* Joins a path relative to the scenario's directory (absolute paths stay). */
static int rel_path(struct scen *s, const char *name, char *out, size_t outlen)
{
	int n;

	if (name[0] == '/' || !s->dir[0])
		n = snprintf(out, outlen, "%s", name);
	else
		n = snprintf(out, outlen, "%s/%s", s->dir, name);
	if (n < 0 || (size_t)n >= outlen)
		return fail(s, "path too long");
	return 0;
}

static int read_file(struct scen *s, const char *name, struct buf *b)
{
	char path[PATH_MAX];
	uint8_t chunk[65536];
	FILE *f;
	size_t n;

	if (!*name)
		return fail(s, "file needs a path");
	if (rel_path(s, name, path, sizeof(path)))
		return -1;
	f = fopen(path, "rb");
	if (!f)
		return fail(s, "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_put(s, b, chunk, n)) {
			fclose(f);
			return -1;
		}
	}
	if (ferror(f)) {
		fclose(f);
		return fail(s, "%s: read error", path);
	}
	fclose(f);
	return 0;
}

/* True when p starts with the word kw followed by a blank or the end. */
static int starts_word(const char *p, const char *kw)
{
	size_t n = strlen(kw);

	return strncmp(p, kw, n) == 0 && (p[n] == '\0' || is_blank(p[n]));
}

/*
 * Parses a PAYLOAD (see the header comment) from p into b, which is
 * emptied first. free_text allows plain text without a keyword.
 */
static int parse_payload(struct scen *s, const char *p, int free_text, struct buf *b)
{
	b->len = 0;
	if (starts_word(p, "hex")) {
		if (parse_hex(s, p + 3, b))
			return -1;
	} else if (starts_word(p, "file")) {
		if (read_file(s, skip_blank(p + 4), b))
			return -1;
	} else if (starts_word(p, "text")) {
		p += 4;
		if (*p)
			p++;
		if (!unescape(s, p, p + strlen(p), 0, b))
			return -1;
	} else if (*p == '"') {
		const char *e = unescape(s, p + 1, p + strlen(p), 1, b);

		if (!e)
			return -1;
		if (*skip_blank(e))
			return fail(s, "text after the closing quote");
	} else if (free_text) {
		if (!unescape(s, p, p + strlen(p), 0, b))
			return -1;
	} else {
		return fail(s, "expected hex, file, text or a quoted string");
	}
	if (b->len == 0)
		return fail(s, "empty payload");
	return 0;
}

/* Copies the next blank-separated word of *p into tok and moves *p past it. */
static int next_word(char **p, char *tok, size_t toklen)
{
	char *q = (char *)skip_blank(*p);
	size_t n = 0;

	while (q[n] && !is_blank(q[n]))
		n++;
	if (n == 0 || n >= toklen)
		return -1;
	memcpy(tok, q, n);
	tok[n] = '\0';
	*p = q + n;
	return 0;
}

/* Parses a decimal number of seconds with up to 6 fractional digits. */
static int parse_seconds(const char *t, int64_t *usec)
{
	int64_t whole = 0, frac = 0;
	int digits = 0, any = 0;

	for (; *t >= '0' && *t <= '9'; t++, any = 1) {
		if (whole > 1000000000)
			return -1;
		whole = whole * 10 + (*t - '0');
	}
	if (*t == '.') {
		for (t++; *t >= '0' && *t <= '9'; t++, any = 1) {
			if (++digits > 6)
				return -1;
			frac = frac * 10 + (*t - '0');
		}
	}
	if (*t || !any)
		return -1;
	while (digits++ < 6)
		frac *= 10;
	*usec = whole * 1000000 + frac;
	return 0;
}

static int parse_time(const char *t, int64_t *usec)
{
	struct tm tm;
	int y, mo, d, h, mi, se, n = 0;
	int64_t frac = 0;
	time_t secs;

	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
		return -1;
	t += n;
	if (*t == '.') {
		char num[16];
		size_t k = 0;

		num[k++] = '0';
		num[k++] = '.';
		for (t++; *t >= '0' && *t <= '9' && k < sizeof(num) - 1; t++)
			num[k++] = *t;
		num[k] = '\0';
		if (parse_seconds(num, &frac))
			return -1;
	}
	if (strcmp(t, "Z") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	secs = timegm(&tm);
	if (secs == (time_t)-1)
		return -1;
	*usec = (int64_t)secs * 1000000 + frac;
	return 0;
}

static int parse_uint(const char *t, unsigned long max, unsigned long *v)
{
	char *end;

	if (*t < '0' || *t > '9')
		return -1;
	errno = 0;
	*v = strtoul(t, &end, 0);
	if (errno || *end || *v > max)
		return -1;
	return 0;
}

/* Returns the writer, creating the output file on first use. */
static struct pw_writer *writer(struct scen *s)
{
	char err[256], path[PATH_MAX];

	if (s->w)
		return s->w;
	if (s->out_arg) {
		snprintf(path, sizeof(path), "%s", s->out_arg);
	} else if (s->out) {
		if (rel_path(s, s->out, path, sizeof(path)))
			return NULL;
	} else {
		fail(s, "no output: give OUT.pcap or a `capture` line before the first packet");
		return NULL;
	}
	s->w = pw_open(path, err, sizeof(err));
	if (!s->w) {
		fail(s, "%s", err);
		return NULL;
	}
	pw_set_bad_checksums(s->w, s->offload);
	free(s->out);
	s->out = strdup(path);
	if (!s->out) {
		fail(s, "out of memory");
		return NULL;
	}
	pw_set_time(s->w, s->now);
	pw_set_gap(s->w, s->gap);
	return s->w;
}

static void set_now(struct scen *s, int64_t usec)
{
	s->now = usec;
	if (s->w)
		pw_set_time(s->w, usec);
}

static struct conn_slot *find_conn(struct scen *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nconns; i++)
		if (strcmp(s->conns[i].name, name) == 0)
			return &s->conns[i];
	return NULL;
}

/*
 * Parses the VLAN words shared by `conn` and `udp` (tok and its argument
 * at *p). Sets *done when tok was one of them.
 */
static int vlan_word(struct scen *s, const char *tok, char **p, struct pw_path *path, int *done)
{
	char arg[32];
	unsigned long v;

	*done = 0;
	if (strcmp(tok, "vlan") != 0 && strcmp(tok, "vlan2") != 0)
		return 0;
	*done = 1;
	if (next_word(p, arg, sizeof(arg)) || parse_uint(arg, 4094, &v) || v == 0)
		return fail(s, "%s needs a VLAN id 1..4094", tok);
	if (tok[4])
		path->vlan_inner = (uint16_t)v;
	else
		path->vlan_outer = (uint16_t)v;
	return 0;
}

/* Parses a MAC word (`name MAC` at *p) into mac. */
static int mac_word(struct scen *s, const char *tok, char **p, uint8_t mac[6])
{
	char arg[32];

	if (next_word(p, arg, sizeof(arg)) || pw_mac_parse(mac, arg))
		return fail(s, "%s needs a MAC address xx:xx:xx:xx:xx:xx", tok);
	return 0;
}

static int do_conn(struct scen *s, char *p)
{
	char tok[128], name[MAX_NAME] = "";
	struct pw_path path;
	int have_c = 0, have_s = 0, midstream = 0;
	unsigned long mss = 0, isn_c, isn_s;
	struct conn_slot *slot;
	struct pw_writer *w;

	memset(&path, 0, sizeof(path));
	isn_c = 0x1a2b3c00ul + (unsigned long)s->nconns * 0x01000193ul;
	isn_s = 0x5e6f7000ul + (unsigned long)s->nconns * 0x0100019dul;
	while (next_word(&p, tok, sizeof(tok)) == 0) {
		char arg[128];
		int done;

		if (strcmp(tok, "client") == 0 || strcmp(tok, "server") == 0) {
			struct pw_endpoint *ep = tok[0] == 'c' ? &path.client : &path.server;

			if (next_word(&p, arg, sizeof(arg)) || pw_endpoint_parse(ep, arg))
				return fail(s, "%s needs a.b.c.d:port or [ipv6]:port", tok);
			if (tok[0] == 'c')
				have_c = 1;
			else
				have_s = 1;
			continue;
		}
		if (vlan_word(s, tok, &p, &path, &done))
			return -1;
		if (done)
			continue;
		if (strcmp(tok, "cmac") == 0) {
			if (mac_word(s, tok, &p, path.client.mac))
				return -1;
		} else if (strcmp(tok, "smac") == 0) {
			if (mac_word(s, tok, &p, path.server.mac))
				return -1;
		} else if (strcmp(tok, "name") == 0) {
			if (next_word(&p, name, sizeof(name)))
				return fail(s, "name needs a word of at most %d characters",
					    MAX_NAME - 1);
		} else if (strcmp(tok, "mss") == 0) {
			if (next_word(&p, arg, sizeof(arg)) ||
			    parse_uint(arg, PW_MAX_PAYLOAD, &mss) || mss == 0)
				return fail(s, "mss needs 1..%d", PW_MAX_PAYLOAD);
		} else if (strcmp(tok, "isn") == 0) {
			if (next_word(&p, arg, sizeof(arg)) ||
			    parse_uint(arg, UINT32_MAX, &isn_c) ||
			    next_word(&p, arg, sizeof(arg)) || parse_uint(arg, UINT32_MAX, &isn_s))
				return fail(s, "isn needs two numbers (client, server)");
		} else if (strcmp(tok, "midstream") == 0) {
			midstream = 1;
		} else {
			return fail(s, "unknown conn word '%s'", tok);
		}
	}
	if (!have_c || !have_s)
		return fail(s, "conn needs client and server");
	if (path.client.family != path.server.family)
		return fail(s, "client and server must both be IPv4 or both IPv6");
	if (path.vlan_inner && !path.vlan_outer)
		return fail(s, "vlan2 needs vlan");
	if (!name[0])
		snprintf(name, sizeof(name), "%zu", s->nconns + 1);
	if (find_conn(s, name))
		return fail(s, "connection '%s' exists already", name);
	if (s->nconns >= MAX_CONNS)
		return fail(s, "more than %d connections", MAX_CONNS);
	w = writer(s);
	if (!w)
		return -1;
	slot = realloc(s->conns, (s->nconns + 1) * sizeof(*slot));
	if (!slot)
		return fail(s, "out of memory");
	s->conns = slot;
	slot = &s->conns[s->nconns];
	snprintf(slot->name, sizeof(slot->name), "%s", name);
	pw_tcp_init(&slot->tcp, w, &path, (uint32_t)isn_c, (uint32_t)isn_s);
	if (mss)
		slot->tcp.mss = mss;
	if ((midstream ? pw_tcp_midstream(&slot->tcp) : pw_tcp_handshake(&slot->tcp)) != 0)
		return fail(s, "%s", pw_error(w));
	s->cur = s->nconns++;
	return 0;
}

static int do_udp(struct scen *s, char *p)
{
	char src[128], dst[128], tok[128];
	struct pw_path path;
	struct buf b = {0};
	struct pw_writer *w;
	int rc = -1;

	memset(&path, 0, sizeof(path));
	if (next_word(&p, src, sizeof(src)) || pw_endpoint_parse(&path.client, src) ||
	    next_word(&p, dst, sizeof(dst)) || pw_endpoint_parse(&path.server, dst))
		return fail(s, "udp needs SRC and DST as a.b.c.d:port or [ipv6]:port");
	if (path.client.family != path.server.family)
		return fail(s, "SRC and DST must both be IPv4 or both IPv6");
	for (;;) {
		char *save = p;
		int done;

		if (next_word(&p, tok, sizeof(tok)))
			return fail(s, "udp needs a payload");
		if (strcmp(tok, "smac") == 0 || strcmp(tok, "dmac") == 0) {
			if (mac_word(s, tok, &p, tok[0] == 's' ? path.client.mac : path.server.mac))
				return -1;
			continue;
		}
		if (vlan_word(s, tok, &p, &path, &done))
			return -1;
		if (!done) {
			p = (char *)skip_blank(save);
			break;
		}
	}
	if (path.vlan_inner && !path.vlan_outer)
		return fail(s, "vlan2 needs vlan");
	if (parse_payload(s, p, 0, &b))
		goto out;
	if (b.len > PW_MAX_PAYLOAD) {
		fail(s, "UDP payload of %zu bytes above %d", b.len, PW_MAX_PAYLOAD);
		goto out;
	}
	w = writer(s);
	if (!w)
		goto out;
	if (pw_udp(w, &path, PW_TO_SERVER, b.p, b.len)) {
		fail(s, "%s", pw_error(w));
		goto out;
	}
	rc = 0;
out:
	free(b.p);
	return rc;
}

static void clear_next(struct scen *s)
{
	s->reverse_next = 0;
	free(s->order_next);
	s->order_next = NULL;
	s->order_len = 0;
	s->rtx_pending = 0;
	s->decoy_pending = 0;
}

static int do_message(struct scen *s, enum pw_dir dir, const char *p)
{
	struct pw_send_opts o;
	struct buf b = {0};
	struct pw_tcp *c;
	int rc = -1;

	if (s->cur >= s->nconns)
		return fail(s, "no connection: use `conn` first");
	c = &s->conns[s->cur].tcp;
	if (parse_payload(s, p, 1, &b))
		goto out;
	memset(&o, 0, sizeof(o));
	o.segment = s->segment;
	o.reverse = s->reverse_next;
	o.order = s->order_next;
	o.order_len = s->order_len;
	o.no_ack = !s->ack;
	if (s->rtx_pending) {
		o.rtx_data = s->rtx.p;
		o.rtx_len = s->rtx.len;
		o.rtx_off = s->rtx_off;
	}
	if (s->decoy_pending) {
		pw_set_bad_checksums(c->w, s->offload | 1u << dir);
		rc = pw_tcp_segment(c, dir, PW_TCP_FLAG_ACK | PW_TCP_FLAG_PSH, c->next_seq[dir],
				    s->decoy.p, s->decoy.len);
		pw_set_bad_checksums(c->w, s->offload);
		if (rc) {
			rc = -1;
			fail(s, "%s", pw_error(c->w));
			goto out;
		}
		rc = -1;
	}
	if (pw_tcp_send(c, dir, b.p, b.len, &o)) {
		fail(s, "%s", pw_error(c->w));
		goto out;
	}
	clear_next(s);
	rc = 0;
out:
	free(b.p);
	return rc;
}

static int parse_order(struct scen *s, const char *t)
{
	size_t n = 1, i = 0;
	const char *q;

	for (q = t; *q; q++)
		if (*q == ',')
			n++;
	free(s->order_next);
	s->order_next = calloc(n, sizeof(*s->order_next));
	if (!s->order_next)
		return fail(s, "out of memory");
	s->order_len = n;
	for (q = t; i < n; i++) {
		char *end;
		unsigned long v;

		if (*q < '0' || *q > '9')
			return fail(s, "order needs reverse or comma-separated segment indexes");
		errno = 0;
		v = strtoul(q, &end, 10);
		if (errno || (*end != ',' && *end != '\0'))
			return fail(s, "order needs reverse or comma-separated segment indexes");
		s->order_next[i] = v;
		q = *end ? end + 1 : end;
	}
	return 0;
}

static int do_option(struct scen *s, char *p)
{
	char tok[64], arg[4096];
	unsigned long v;
	int64_t us;

	if (next_word(&p, tok, sizeof(tok)))
		return fail(s, "option needs a name and a value");
	if (strcmp(tok, "decoy") == 0) {
		s->decoy.len = 0;
		if (parse_payload(s, skip_blank(p), 0, &s->decoy))
			return -1;
		if (s->decoy.len == 0)
			return fail(s, "decoy needs a payload");
		s->decoy_pending = 1;
		return 0;
	}
	if (next_word(&p, arg, sizeof(arg)))
		return fail(s, "option needs a name and a value");
	if (strcmp(tok, "segment") == 0) {
		if (strcmp(arg, "default") == 0)
			s->segment = 0;
		else if (parse_uint(arg, PW_MAX_PAYLOAD, &v) || v == 0)
			return fail(s, "segment needs 1..%d or default", PW_MAX_PAYLOAD);
		else
			s->segment = v;
	} else if (strcmp(tok, "ack") == 0) {
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			return fail(s, "ack needs on or off");
		s->ack = strcmp(arg, "on") == 0;
	} else if (strcmp(tok, "gap") == 0) {
		if (parse_seconds(arg, &us))
			return fail(s, "gap needs seconds");
		s->gap = us;
		if (s->w)
			pw_set_gap(s->w, us);
	} else if (strcmp(tok, "order") == 0) {
		free(s->order_next);
		s->order_next = NULL;
		s->order_len = 0;
		s->reverse_next = 0;
		if (strcmp(arg, "reverse") == 0)
			s->reverse_next = 1;
		else if (parse_order(s, arg))
			return -1;
	} else if (strcmp(tok, "retransmit-diff") == 0) {
		if (parse_uint(arg, MAX_PAYLOAD_BYTES, &v))
			return fail(s, "retransmit-diff needs an offset and a payload");
		if (parse_payload(s, skip_blank(p), 0, &s->rtx))
			return -1;
		s->rtx_off = v;
		s->rtx_pending = 1;
	} else if (strcmp(tok, "offload") == 0) {
		if (strcmp(arg, "client") == 0)
			s->offload = 1u << PW_TO_SERVER;
		else if (strcmp(arg, "server") == 0)
			s->offload = 1u << PW_TO_CLIENT;
		else if (strcmp(arg, "both") == 0)
			s->offload = 1u << PW_TO_SERVER | 1u << PW_TO_CLIENT;
		else if (strcmp(arg, "off") == 0)
			s->offload = 0;
		else
			return fail(s, "offload needs client, server, both or off");
		if (s->w)
			pw_set_bad_checksums(s->w, s->offload);
	} else {
		return fail(s, "unknown option '%s'", tok);
	}
	if (*skip_blank(p) && strcmp(tok, "retransmit-diff") != 0)
		return fail(s, "unexpected text after option %s", tok);
	return 0;
}

static int do_close(struct scen *s, char *p)
{
	char how[16], side[16] = "client";
	struct pw_tcp *c;
	enum pw_dir dir;
	int rc;

	if (s->cur >= s->nconns)
		return fail(s, "no connection to close");
	c = &s->conns[s->cur].tcp;
	if (next_word(&p, how, sizeof(how)))
		return fail(s, "close needs fin or rst");
	if (next_word(&p, side, sizeof(side)) == 0 && strcmp(side, "client") &&
	    strcmp(side, "server"))
		return fail(s, "close side must be client or server");
	if (*skip_blank(p))
		return fail(s, "unexpected text after close");
	dir = side[0] == 'c' ? PW_TO_SERVER : PW_TO_CLIENT;
	if (strcmp(how, "fin") == 0)
		rc = pw_tcp_fin(c, dir);
	else if (strcmp(how, "rst") == 0)
		rc = pw_tcp_rst(c, dir);
	else
		return fail(s, "close needs fin or rst");
	if (rc)
		return fail(s, "%s", pw_error(c->w));
	return 0;
}

/* Carries out one line of the scenario. */
static int do_line(struct scen *s, char *line)
{
	char word[64], *p = line, arg[256];
	const char *t = skip_blank(line);
	int64_t us;

	if (*t == '\0' || *t == '#')
		return 0;
	if ((t[0] == 'C' || t[0] == 'S') && t[1] == ':') {
		const char *payload = t + 2;

		if (*payload == ' ')
			payload++;
		return do_message(s, t[0] == 'C' ? PW_TO_SERVER : PW_TO_CLIENT, payload);
	}
	if (next_word(&p, word, sizeof(word)))
		return fail(s, "directive too long");
	if (strcmp(word, "conn") == 0)
		return do_conn(s, p);
	if (strcmp(word, "udp") == 0)
		return do_udp(s, p);
	if (strcmp(word, "option") == 0)
		return do_option(s, p);
	if (strcmp(word, "close") == 0)
		return do_close(s, p);
	if (next_word(&p, arg, sizeof(arg)) || *skip_blank(p))
		return fail(s, "%s needs exactly one argument", word);
	if (strcmp(word, "capture") == 0) {
		if (s->w)
			return fail(s, "capture must come before the first packet");
		free(s->out);
		s->out = strdup(arg);
		return s->out ? 0 : fail(s, "out of memory");
	}
	if (strcmp(word, "time") == 0) {
		if (parse_time(arg, &us))
			return fail(s, "time needs YYYY-MM-DDTHH:MM:SS[.ffffff]Z");
		set_now(s, us);
		return 0;
	}
	if (strcmp(word, "wait") == 0) {
		if (parse_seconds(arg, &us))
			return fail(s, "wait needs seconds");
		if (s->w)
			pw_advance(s->w, us);
		else
			s->now += us;
		return 0;
	}
	if (strcmp(word, "use") == 0) {
		struct conn_slot *c = find_conn(s, arg);

		if (!c)
			return fail(s, "no connection named '%s'", arg);
		s->cur = (size_t)(c - s->conns);
		return 0;
	}
	return fail(s, "unknown directive '%s'", word);
}

static int run(struct scen *s)
{
	FILE *f = fopen(s->path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", s->path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		s->line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (strlen(line) != (size_t)n)
			rc = fail(s, "NUL byte in the scenario");
		else
			rc = do_line(s, line);
	}
	free(line);
	if (rc == 0 && ferror(f))
		rc = fail(s, "read error");
	fclose(f);
	if (rc == 0 && (s->reverse_next || s->order_next || s->rtx_pending || s->decoy_pending))
		rc = fail(s, "an option for the next message was never used");
	if (rc == 0 && !writer(s))
		rc = -1;
	return rc;
}

int main(int argc, char **argv)
{
	struct scen s;
	const char *slash;
	int rc;

	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: mkpcap SCENARIO [OUT.pcap]\n");
		return 2;
	}
	memset(&s, 0, sizeof(s));
	s.path = argv[1];
	s.out_arg = argc == 3 ? argv[2] : NULL;
	s.now = DEFAULT_TIME_US;
	s.gap = DEFAULT_GAP_US;
	s.ack = 1;
	slash = strrchr(s.path, '/');
	if (slash) {
		size_t dl = (size_t)(slash - s.path);

		if (dl >= sizeof(s.dir)) {
			fprintf(stderr, "%s: path too long\n", s.path);
			return 1;
		}
		memcpy(s.dir, s.path, dl ? dl : 1);
		s.dir[dl ? dl : 1] = '\0';
	}
	rc = run(&s);
	if (s.w && pw_close(s.w) != 0) {
		fprintf(stderr, "%s: write error\n", s.out ? s.out : "capture");
		rc = -1;
	}
	if (rc != 0 && s.w && s.out && strcmp(s.out, "-") != 0)
		unlink(s.out);
	free(s.conns);
	free(s.out);
	free(s.order_next);
	free(s.rtx.p);
	free(s.decoy.p);
	return rc == 0 ? 0 : 1;
}
