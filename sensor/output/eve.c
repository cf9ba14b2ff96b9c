/*
 * eve.c - EVE JSON records written straight into a per-writer line buffer
 * as their fields arrive (compact JSON in the order written, a stack of
 * the open objects and arrays), then as lines to files, stdout, syslog
 * and hooks. No tree is built and nothing is allocated per record. Each
 * writer has its own buffer; the outputs are shared and locked around
 * each finished line. See eve.h for the escaping of traffic bytes: every
 * string is printable ASCII once escaped, so every line is valid JSON.
 * jansson is used only to read a finished alert line back for the fast
 * output.
 */
#include "output/eve.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define EVE_MAX_OUTPUTS 8
#define EVE_PATH_MAX	4096
/* Longest escaped string field written; longer values are cut. */
#define EVE_MAX_FIELD 4096
/* Nesting of objects and arrays in one record. */
#define EVE_MAX_DEPTH 16
/* Longest record line; longer ones are counted and dropped. */
#define EVE_MAX_LINE (1u << 20)

enum sink_kind { SINK_FILE, SINK_STDOUT, SINK_SYSLOG, SINK_HOOK };

struct eve_sink {
	enum sink_kind kind;
	unsigned mask;
	FILE *fp;
	struct eve_hook hook;
	char path[EVE_PATH_MAX];
	unsigned filemode;
	int dns_version; /* layout of dns records: 2 or 3 */
	bool fast;	 /* one fast.log line per alert instead of JSON */
	int dirfd;	 /* file: its directory, opened with the file, for reopening */
};

/*
 * The outputs, shared by the writer that created them and every writer
 * made from it; lock guards the sinks' streams and the counters.
 */
struct eve_out {
	pthread_mutex_t lock;
	struct eve_sink sinks[EVE_MAX_OUTPUTS];
	size_t nsinks;
	unsigned wanted;       /* union of the sinks' masks */
	unsigned dns_versions; /* bit v set: a sink takes dns records in layout v */
	char pcap_filename[EVE_PATH_MAX];
	bool have_pcap_filename;
	struct eve_counters ctr;
};

/* A record builder; the first one (eve_new) also owns the outputs. */
struct eve {
	struct eve_out *out;
	bool owns_out;
	unsigned cur_type;
	uint64_t cur_ts;
	int cur_dns_version; /* 0: the record goes to every selected sink */
	bool open_record;
	struct eve_app_layer app; /* of the flow being processed */
	int depth;		  /* open containers; 0 is the record, -1 none */
	unsigned overflow;	  /* containers opened past the depth limit */
	bool is_list[EVE_MAX_DEPTH];
	bool has_item[EVE_MAX_DEPTH]; /* a member was written: the next needs a comma */
	char *line;
	size_t len;
	bool too_long; /* the record outgrew EVE_MAX_LINE: it is dropped */
	char scratch[EVE_MAX_FIELD * 4 + 8];
};

const struct mx_counter_desc eve_counter_desc[] = {
    MX_COUNTER("eve.lines", struct eve_counters, lines),
    MX_COUNTER("eve.alerts", struct eve_counters, alerts),
    MX_COUNTER("eve.write_errors", struct eve_counters, write_errors),
    MX_COUNTER("eve.reopens", struct eve_counters, reopens),
    {NULL, 0},
};

static const struct {
	unsigned bit;
	const char *name;
} type_names[] = {
    {EVE_ALERT, "alert"}, {EVE_SMTP, "smtp"}, {EVE_DNS, "dns"},
    {EVE_TLS, "tls"},	  {EVE_FLOW, "flow"}, {EVE_STATS, "stats"},
};

const char *eve_type_name(unsigned type)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(type_names); i++)
		if (type_names[i].bit == type)
			return type_names[i].name;
	return "unknown";
}

unsigned eve_type_parse(const char *name)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(type_names); i++)
		if (strcmp(type_names[i].name, name) == 0)
			return type_names[i].bit;
	return 0;
}

static struct eve *builder_new(struct eve_out *out, bool owns)
{
	struct eve *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->line = malloc(EVE_MAX_LINE);
	if (e->line == NULL) {
		free(e);
		return NULL;
	}
	e->out = out;
	e->owns_out = owns;
	e->depth = -1;
	return e;
}

struct eve *eve_new(void)
{
	struct eve_out *out = calloc(1, sizeof(*out));
	struct eve *e;

	if (out == NULL)
		return NULL;
	if (pthread_mutex_init(&out->lock, NULL) != 0) {
		free(out);
		return NULL;
	}
	e = builder_new(out, true);
	if (e == NULL) {
		pthread_mutex_destroy(&out->lock);
		free(out);
	}
	return e;
}

struct eve *eve_writer_new(struct eve *e)
{
	return builder_new(e->out, false);
}

static void close_outputs(struct eve_out *o)
{
	for (size_t i = 0; i < o->nsinks; i++) {
		struct eve_sink *s = &o->sinks[i];

		if (s->kind == SINK_FILE) {
			if (s->fp != NULL)
				fclose(s->fp);
			if (s->dirfd >= 0)
				close(s->dirfd);
		} else if (s->kind == SINK_STDOUT) {
			fflush(stdout);
		} else if (s->kind == SINK_SYSLOG) {
			closelog();
		} else if (s->kind == SINK_HOOK && s->hook.close != NULL) {
			s->hook.close(s->hook.ctx);
		}
	}
	pthread_mutex_destroy(&o->lock);
	free(o);
}

void eve_free(struct eve *e)
{
	if (e == NULL)
		return;
	if (e->owns_out)
		close_outputs(e->out);
	free(e->line);
	free(e);
}

/* A stream on fd (NULL when fd < 0), the file given mode on the way. */
static FILE *stream_with_mode(int fd, unsigned mode)
{
	struct stat st;
	FILE *fp;

	if (fd < 0)
		return NULL;
	/* A regular file gets the configured mode, whatever the umask or an
	   older file said (a device such as /dev/null is left as it is); a
	   file mxsentry may write but not chmod keeps its mode. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) != mode)
		(void)fchmod(fd, mode);
	fp = fdopen(fd, "a");
	if (fp == NULL)
		close(fd);
	return fp;
}

static FILE *open_append(const char *path, bool truncate, unsigned mode)
{
	return stream_with_mode(
	    open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), mode),
	    mode);
}

/*
 * The directory of path, opened (O_PATH) while the process may still reach
 * it: files are reopened in it after privileges were dropped, even when
 * the unprivileged user may not search its parents. -1 when it cannot be
 * opened (reopening then goes by the path).
 */
static int open_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[EVE_PATH_MAX];

	if (slash == NULL)
		return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (slash == path)
		return open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Opens s's file again for appending, in the directory held since it was added. */
static FILE *reopen_sink(const struct eve_sink *s)
{
	const char *base = strrchr(s->path, '/');

	if (s->dirfd < 0)
		return open_append(s->path, false, s->filemode);
	return stream_with_mode(openat(s->dirfd, base != NULL ? base + 1 : s->path,
				       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, s->filemode),
				s->filemode);
}

bool eve_add_file(struct eve *e, const char *path, unsigned mask, bool append, char *err,
		  size_t errlen)
{
	struct eve_output_opts opts = {mask, append, 0, 0, false};

	return eve_add_output(e, path, &opts, err, errlen);
}

bool eve_add_output(struct eve *e, const char *path, const struct eve_output_opts *opts, char *err,
		    size_t errlen)
{
	struct eve_out *o = e->out;
	struct eve_sink *s;
	bool append = opts->append;

	if (o->nsinks == EVE_MAX_OUTPUTS) {
		snprintf(err, errlen, "too many outputs (at most %d)", EVE_MAX_OUTPUTS);
		return false;
	}
	s = &o->sinks[o->nsinks];
	memset(s, 0, sizeof(*s));
	s->fast = opts->fast;
	s->mask = opts->fast ? EVE_ALERT : opts->mask;
	s->filemode = opts->filemode ? opts->filemode & 07777 : EVE_DEFAULT_FILEMODE;
	s->dns_version = opts->dns_version == 2 ? 2 : 3;
	if (strcmp(path, "-") == 0) {
		s->kind = SINK_STDOUT;
		s->fp = stdout;
	} else {
		s->kind = SINK_FILE;
		if (strlen(path) >= sizeof(s->path)) {
			snprintf(err, errlen, "%s: path too long", path);
			return false;
		}
		strcpy(s->path, path);
		s->fp = open_append(path, !append, s->filemode);
		if (s->fp == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return false;
		}
		s->dirfd = open_parent(path);
	}
	o->nsinks++;
	o->wanted |= s->mask;
	if (s->mask & EVE_DNS)
		o->dns_versions |= 1u << s->dns_version;
	return true;
}

bool eve_add_syslog(struct eve *e, int facility, unsigned mask)
{
	struct eve_out *o = e->out;
	struct eve_sink *s;

	if (o->nsinks == EVE_MAX_OUTPUTS)
		return false;
	s = &o->sinks[o->nsinks++];
	memset(s, 0, sizeof(*s));
	s->kind = SINK_SYSLOG;
	s->mask = mask;
	s->dns_version = 3;
	if (mask & EVE_DNS)
		o->dns_versions |= 1u << 3;
	openlog("mxsentry", LOG_PID | LOG_NDELAY, facility ? facility : LOG_DAEMON);
	o->wanted |= mask;
	return true;
}

bool eve_add_hook(struct eve *e, const struct eve_hook *hook, unsigned mask)
{
	struct eve_out *o = e->out;
	struct eve_sink *s;

	if (o->nsinks == EVE_MAX_OUTPUTS)
		return false;
	s = &o->sinks[o->nsinks++];
	memset(s, 0, sizeof(*s));
	s->kind = SINK_HOOK;
	s->mask = mask;
	s->hook = *hook;
	s->dns_version = 3;
	if (mask & EVE_DNS)
		o->dns_versions |= 1u << 3;
	o->wanted |= mask;
	return true;
}

void eve_drain(struct eve *e)
{
	struct eve_out *o = e->out;

	for (size_t i = 0; i < o->nsinks; i++)
		if (o->sinks[i].kind == SINK_HOOK && o->sinks[i].hook.drain != NULL)
			o->sinks[i].hook.drain(o->sinks[i].hook.ctx);
}

void eve_reopen(struct eve *e)
{
	struct eve_out *o = e->out;

	pthread_mutex_lock(&o->lock);
	for (size_t i = 0; i < o->nsinks; i++) {
		struct eve_sink *s = &o->sinks[i];
		FILE *fp;

		if (s->kind != SINK_FILE)
			continue;
		fp = reopen_sink(s);
		if (fp == NULL) {
			/* Keep writing to the old file rather than losing records. */
			o->ctr.write_errors++;
			continue;
		}
		if (s->fp != NULL)
			fclose(s->fp);
		s->fp = fp;
		o->ctr.reopens++;
	}
	pthread_mutex_unlock(&o->lock);
}

void eve_flush(struct eve *e)
{
	struct eve_out *o = e->out;

	pthread_mutex_lock(&o->lock);
	for (size_t i = 0; i < o->nsinks; i++)
		if (o->sinks[i].fp != NULL && fflush(o->sinks[i].fp) != 0)
			o->ctr.write_errors++;
	pthread_mutex_unlock(&o->lock);
}

bool eve_wants(const struct eve *e, unsigned type)
{
	return (e->out->wanted & type) != 0;
}

bool eve_wants_dns_version(const struct eve *e, int version)
{
	return version >= 0 && version < 32 && (e->out->dns_versions & (1u << version)) != 0;
}

void eve_only_dns_version(struct eve *e, int version)
{
	e->cur_dns_version = version;
}

struct eve_app_layer eve_swap_app_layer(struct eve *e, struct eve_app_layer app)
{
	struct eve_app_layer prev = e->app;

	e->app = app;
	return prev;
}

void eve_app_layer(struct eve *e, const void *flow)
{
	if (flow != NULL && flow == e->app.flow && e->app.fn != NULL)
		e->app.fn(e, e->app.arg);
}

void eve_set_pcap_filename(struct eve *e, const char *name)
{
	struct eve_out *o = e->out;

	if (name == NULL) {
		o->have_pcap_filename = false;
		return;
	}
	snprintf(o->pcap_filename, sizeof(o->pcap_filename), "%s", name);
	o->have_pcap_filename = true;
}

void eve_format_time(uint64_t ts_us, char *buf, size_t len)
{
	/* Records come in packet-time order: the date of the last second is
	   kept (per thread) and only the microseconds are written each time. */
	static __thread time_t last_sec = (time_t)-1;
	static __thread char date[32];
	time_t sec = (time_t)(ts_us / MX_USEC);
	unsigned us = (unsigned)(ts_us % MX_USEC);
	char tail[16];

	if (sec != last_sec) {
		struct tm tm;

		if (gmtime_r(&sec, &tm) == NULL ||
		    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
			snprintf(date, sizeof(date), "1970-01-01T00:00:00");
		last_sec = sec;
	}
	tail[0] = '.';
	for (int i = 6; i >= 1; i--, us /= 10)
		tail[i] = (char)('0' + us % 10);
	memcpy(tail + 7, "+0000", 6);
	if (len > 0) {
		size_t d = strlen(date);

		mx_strlcpy(buf, date, len);
		if (d < len)
			mx_strlcpy(buf + d, tail, len - d);
	}
}

size_t eve_escape_bytes(const uint8_t *val, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = val[i];

		if (c >= 0x20 && c <= 0x7e && c != '\\') {
			if (o + 1 >= len)
				break;
			buf[o++] = (char)c;
		} else {
			if (o + 4 >= len)
				break;
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return o;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The SHA-1 implementation, fetched once for the process (SHA1() fetches
 * it again on every call). */
static EVP_MD *sha1_md;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void sha1_fetch(void)
{
	sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
}

/* SHA-1 of in with the fetched implementation; false without it (the
 * caller falls back to SHA1()). */
static bool sha1_of(const uint8_t *in, size_t n, uint8_t digest[SHA_DIGEST_LENGTH])
{
	pthread_once(&sha1_once, sha1_fetch);
	return sha1_md != NULL && EVP_Digest(in, n, digest, NULL, sha1_md, NULL) == 1;
}

/* The last Community ID computed on this thread and its hash input: the
 * records of one flow (its DNS, SMTP, TLS, alert and flow records) come
 * one after another. */
static __thread uint8_t cid_last_in[2 + 16 + 16 + 1 + 1 + 2 + 2];
static __thread size_t cid_last_len;
static __thread char cid_last[72];

void eve_community_id(const struct flow *f, char *buf, size_t len)
{
	uint8_t in[2 + 16 + 16 + 1 + 1 + 2 + 2];
	uint8_t digest[SHA_DIGEST_LENGTH];
	char b64[64];
	size_t alen = mx_addr_is_v4(&f->cli) ? 4 : 16;
	size_t off = alen == 4 ? 12 : 0;
	const struct mx_addr *a = &f->cli, *b = &f->srv;
	uint16_t pa = f->cport, pb = f->sport;
	int c = memcmp(a->b + off, b->b + off, alen);
	size_t n = 0;

	if (c > 0 || (c == 0 && pa > pb)) {
		const struct mx_addr *t = a;
		uint16_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	put_be16(in, 0);
	n = 2;
	memcpy(in + n, a->b + off, alen);
	n += alen;
	memcpy(in + n, b->b + off, alen);
	n += alen;
	in[n++] = f->proto;
	in[n++] = 0;
	put_be16(in + n, pa);
	n += 2;
	put_be16(in + n, pb);
	n += 2;
	if (n != cid_last_len || memcmp(in, cid_last_in, n) != 0) {
		if (!sha1_of(in, n, digest))
			SHA1(in, n, digest);
		EVP_EncodeBlock((unsigned char *)b64, digest, SHA_DIGEST_LENGTH);
		snprintf(cid_last, sizeof(cid_last), "1:%s", b64);
		memcpy(cid_last_in, in, n);
		cid_last_len = n;
	}
	snprintf(buf, len, "%s", cid_last);
}

/* Appends n bytes to the record (marking it too long when they do not fit). */
static void emit(struct eve *e, const char *p, size_t n)
{
	if (e->too_long || n > EVE_MAX_LINE - e->len) {
		e->too_long = true;
		return;
	}
	memcpy(e->line + e->len, p, n);
	e->len += n;
}

static void emit_c(struct eve *e, char c)
{
	if (e->too_long || e->len >= EVE_MAX_LINE) {
		e->too_long = true;
		return;
	}
	e->line[e->len++] = c;
}

/* Appends s (n bytes) as a JSON string: quotes, and the two characters
 * printable ASCII needs escaped. */
static void emit_string(struct eve *e, const char *s, size_t n)
{
	size_t run = 0;

	emit_c(e, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c < 0x20) {
			char esc[8];

			emit(e, s + run, i - run);
			if (c == '"' || c == '\\') {
				esc[0] = '\\';
				esc[1] = (char)c;
				emit(e, esc, 2);
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				emit(e, esc, 6);
			}
			run = i + 1;
		}
	}
	emit(e, s + run, n - run);
	emit_c(e, '"');
}

/*
 * Starts a member of the innermost open container: the comma before it
 * and, inside an object, its key. False when nothing may be written (no
 * record, or inside a container past the depth limit).
 */
static bool member(struct eve *e, const char *key)
{
	if (e->depth < 0 || e->overflow > 0)
		return false;
	if (e->has_item[e->depth])
		emit_c(e, ',');
	e->has_item[e->depth] = true;
	if (!e->is_list[e->depth]) {
		emit_string(e, key != NULL ? key : "", key != NULL ? strlen(key) : 0);
		emit_c(e, ':');
	}
	return true;
}

static void open_container(struct eve *e, const char *key, bool list)
{
	if (e->depth < 0 || e->overflow > 0 || e->depth + 1 >= EVE_MAX_DEPTH) {
		e->overflow++;
		return;
	}
	member(e, key);
	emit_c(e, list ? '[' : '{');
	e->depth++;
	e->is_list[e->depth] = list;
	e->has_item[e->depth] = false;
}

static void close_container(struct eve *e)
{
	if (e->overflow > 0) {
		e->overflow--;
	} else if (e->depth > 0) {
		emit_c(e, e->is_list[e->depth] ? ']' : '}');
		e->depth--;
	}
}

/* Writes v in decimal. */
static void emit_i64(struct eve *e, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	emit(e, p, (size_t)(buf + sizeof(buf) - p));
}

void eve_begin(struct eve *e, unsigned type, uint64_t ts_us, const struct flow *f, int dir,
	       const char *app_proto)
{
	char tbuf[48], abuf[64];

	e->len = 0;
	e->too_long = false;
	e->line[e->len++] = '{';
	e->depth = 0;
	e->is_list[0] = false;
	e->has_item[0] = false;
	e->overflow = 0;
	e->cur_type = type;
	e->cur_ts = ts_us;
	e->cur_dns_version = 0;
	e->open_record = true;
	eve_format_time(ts_us, tbuf, sizeof(tbuf));
	eve_str(e, "timestamp", tbuf);
	if (f != NULL) {
		eve_u64(e, "flow_id", f->flow_id & 0x7ffffffffffffULL);
		eve_community_id(f, abuf, sizeof(abuf));
		eve_str(e, "community_id", abuf);
	}
	if (e->out->have_pcap_filename)
		eve_bytes(e, "pcap_filename", (const uint8_t *)e->out->pcap_filename,
			  strlen(e->out->pcap_filename));
	eve_str(e, "event_type", eve_type_name(type));
	if (f != NULL) {
		const struct mx_addr *src = dir == FLOW_TOSERVER ? &f->cli : &f->srv;
		const struct mx_addr *dst = dir == FLOW_TOSERVER ? &f->srv : &f->cli;

		if (f->vlan[0] != 0 || f->vlan[1] != 0) {
			eve_list_begin(e, "vlan");
			eve_u64(e, NULL, f->vlan[0]);
			if (f->vlan[1] != 0)
				eve_u64(e, NULL, f->vlan[1]);
			eve_list_end(e);
		}
		eve_addr(e, "src_ip", src);
		eve_u64(e, "src_port", dir == FLOW_TOSERVER ? f->cport : f->sport);
		eve_addr(e, "dest_ip", dst);
		eve_u64(e, "dest_port", dir == FLOW_TOSERVER ? f->sport : f->cport);
		eve_str(e, "proto", f->proto == 6 ? "TCP" : "UDP");
		if (app_proto != NULL)
			eve_str(e, "app_proto", app_proto);
		if (type == EVE_ALERT)
			eve_str(e, "direction", dir == FLOW_TOSERVER ? "to_server" : "to_client");
	}
}

void eve_str(struct eve *e, const char *key, const char *val)
{
	eve_bytes(e, key, (const uint8_t *)val, strlen(val));
}

void eve_bytes(struct eve *e, const char *key, const uint8_t *val, size_t len)
{
	size_t n;

	if (!member(e, key))
		return;
	n = eve_escape_bytes(val, MX_MIN(len, (size_t)EVE_MAX_FIELD), e->scratch,
			     sizeof(e->scratch));
	emit_string(e, e->scratch, n);
}

void eve_u64(struct eve *e, const char *key, uint64_t val)
{
	if (member(e, key))
		emit_i64(e, val > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)val);
}

void eve_i64(struct eve *e, const char *key, int64_t val)
{
	if (member(e, key))
		emit_i64(e, val);
}

void eve_bool(struct eve *e, const char *key, bool val)
{
	if (member(e, key))
		emit(e, val ? "true" : "false", val ? 4 : 5);
}

void eve_addr(struct eve *e, const char *key, const struct mx_addr *a)
{
	char buf[64];

	eve_str(e, key, mx_addr_str(a, buf, sizeof(buf)));
}

void eve_obj_begin(struct eve *e, const char *key)
{
	open_container(e, key, false);
}

void eve_obj_end(struct eve *e)
{
	close_container(e);
}

void eve_list_begin(struct eve *e, const char *key)
{
	open_container(e, key, true);
}

void eve_list_end(struct eve *e)
{
	close_container(e);
}

void eve_list_str(struct eve *e, const char *val)
{
	eve_bytes(e, "", (const uint8_t *)val, strlen(val));
}

void eve_list_bytes(struct eve *e, const uint8_t *val, size_t len)
{
	eve_bytes(e, "", val, len);
}

/* The month/day/year time of fast.log lines, UTC: 11/29/2026-15:32:35.251547 */
static void fast_time(uint64_t ts_us, char *buf, size_t len)
{
	time_t sec = (time_t)(ts_us / MX_USEC);
	struct tm tm;

	if (gmtime_r(&sec, &tm) == NULL) {
		snprintf(buf, len, "ts-error");
		return;
	}
	snprintf(buf, len, "%02d/%02d/%04d-%02d:%02d:%02d.%06u", tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ts_us % MX_USEC));
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

static long long jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/*
 * The alert record as one fast.log line (Suricata's alert-fastlog layout):
 * time  [**] [gid:sid:rev] signature [**] [Classification: category]
 * [Priority: severity] {PROTO} src:port -> dest:port
 */
static size_t format_fast(const struct eve *e, char *buf, size_t cap)
{
	json_t *r = json_loadb(e->line, e->len, 0, NULL);
	const json_t *a = json_object_get(r, "alert");
	char tbuf[48];
	int n;

	fast_time(e->cur_ts, tbuf, sizeof(tbuf));
	n = snprintf(buf, cap,
		     "%s  [**] [%lld:%lld:%lld] %s [**] [Classification: %s] [Priority: %lld] {%s} "
		     "%s:%lld -> %s:%lld",
		     tbuf, jint(a, "gid"), jint(a, "signature_id"), jint(a, "rev"),
		     jstr(a, "signature"), jstr(a, "category"), jint(a, "severity"),
		     json_object_get(r, "proto") != NULL ? jstr(r, "proto") : "UNKNOWN",
		     jstr(r, "src_ip"), jint(r, "src_port"), jstr(r, "dest_ip"),
		     jint(r, "dest_port"));
	json_decref(r);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Whether sink s takes the record being committed. */
static bool sink_takes(const struct eve *e, const struct eve_sink *s)
{
	if ((s->mask & e->cur_type) == 0)
		return false;
	if (e->cur_type == EVE_DNS && e->cur_dns_version != 0 &&
	    s->dns_version != e->cur_dns_version)
		return false;
	return true;
}

void eve_commit(struct eve *e)
{
	struct eve_out *o = e->out;
	size_t len, fast_len = 0;
	char *buf = e->line;
	char fast[EVE_MAX_FIELD * 2];
	bool any = false;

	if (!e->open_record)
		return;
	e->open_record = false;
	/* Containers still open are closed, the record last. */
	e->overflow = 0;
	while (e->depth > 0)
		close_container(e);
	emit_c(e, '}');
	e->depth = -1;
	len = e->too_long ? 0 : e->len;
	if (e->cur_type == EVE_ALERT && len > 0)
		for (size_t i = 0; i < o->nsinks; i++)
			if (o->sinks[i].fast && sink_takes(e, &o->sinks[i]))
				fast_len = format_fast(e, fast, sizeof(fast));
	/* The line is built outside the lock; only its write is serialised. */
	pthread_mutex_lock(&o->lock);
	if (len == 0 || len > EVE_MAX_LINE) {
		o->ctr.write_errors++;
		pthread_mutex_unlock(&o->lock);
		return;
	}
	for (size_t i = 0; i < o->nsinks; i++) {
		struct eve_sink *s = &o->sinks[i];
		const char *text = s->fast ? fast : buf;
		size_t n = s->fast ? fast_len : len;

		if (!sink_takes(e, s))
			continue;
		any = true;
		if (s->kind == SINK_SYSLOG) {
			syslog(e->cur_type == EVE_ALERT ? LOG_WARNING : LOG_INFO, "%.*s", (int)len,
			       buf);
			continue;
		}
		if (s->kind == SINK_HOOK) {
			s->hook.push(s->hook.ctx, buf, len);
			continue;
		}
		if (fwrite(text, 1, n, s->fp) != n || fputc('\n', s->fp) == EOF)
			o->ctr.write_errors++;
	}
	if (any || e->cur_type != EVE_DNS || e->cur_dns_version == 0) {
		o->ctr.lines++;
		if (e->cur_type == EVE_ALERT)
			o->ctr.alerts++;
	}
	pthread_mutex_unlock(&o->lock);
}

const struct eve_counters *eve_counters(const struct eve *e)
{
	return &e->out->ctr;
}

void eve_counters_read(const struct eve *e, struct eve_counters *out)
{
	pthread_mutex_lock(&e->out->lock);
	*out = e->out->ctr;
	pthread_mutex_unlock(&e->out->lock);
}
