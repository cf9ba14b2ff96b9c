/*
 * capture.c - the capture stage. Offline inputs are expanded at open
 * (directories into their capture files in name order) and opened one at
 * a time while running; every file is read through zlib, which passes
 * uncompressed data through unchanged, so gzip captures and stdin need no
 * special case, and through pcapng_norm.c, which makes the snapshot
 * lengths of a pcapng file's interfaces agree (libpcap refuses them
 * otherwise). A file cut short is reported and the run goes on. Live
 * capture polls the handle's descriptor so a tick can run on time even on
 * a quiet link.
 */
#include "capture/capture.h"
#include "capture/pcapng_norm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define TICK_NS	     (100ull * 1000 * 1000)
#define GZ_BUFFER    (256u * 1024)
#define DEFAULT_SNAP 262144
#define DEFAULT_MIB  64
#define LIVE_TIMEOUT 100 /* ms, for the kernel ring's block timeout */
#define WARNING	     "mxsentry: warning: "

#define CC(path, field) MX_COUNTER(path, struct capture_counters, field)

const struct mx_counter_desc capture_counter_desc[] = {
    CC("capture.kernel_packets", kernel_packets),
    CC("capture.kernel_drops", kernel_drops),
    CC("capture.kernel_ifdrops", kernel_ifdrops),
    CC("capture.files", files),
    CC("capture.files_incomplete", files_incomplete),
    CC("capture.bytes", bytes),
    {NULL, 0},
};

struct input {
	char *path;
	uint64_t size; /* regular files: bytes on disk; 0 otherwise */
	bool is_stdin;
	bool checked; /* its magic was read at open: a capture file */
};

/* A zlib stream seen through stdio, for pcap_fopen_offline. */
struct gz_cookie {
	gzFile gz;
	uint64_t pos;	  /* uncompressed bytes handed to stdio */
	char errmsg[128]; /* zlib's complaint, when it had one */
	struct pcapng_norm norm;
};

struct capture {
	bool live;
	pcap_t *pcap;
	FILE *fp;
	struct gz_cookie *ck;
	int fd; /* live: selectable descriptor, -1 if none */
	struct input *inputs;
	size_t n_inputs, cur;
	bool reading;
	char *iface, *bpf;
	uint64_t done_bytes, total_bytes;
	struct capture_counters c;
	struct pcap_stat last;
	struct timespec next_tick;
	capture_packet_fn on_packet;
	capture_tick_fn on_tick;
	void *ctx;
	volatile sig_atomic_t *stop;
	char err[PATH_MAX + 1024];
	char why[512]; /* reason part of err for a refused file header */
};

void capture_config_defaults(struct capture_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->snaplen = DEFAULT_SNAP;
	cfg->buffer_mib = DEFAULT_MIB;
	cfg->immediate = false;
	cfg->promisc = true;
}

static ssize_t gz_cookie_read(void *cookie, char *buf, size_t size)
{
	struct gz_cookie *ck = cookie;
	int n, zerr;
	const char *msg;

	if (size > INT_MAX)
		size = INT_MAX;
	n = gzread(ck->gz, buf, (unsigned)size);
	if (n == 0 || n < 0) {
		msg = gzerror(ck->gz, &zerr);
		if (n < 0 || zerr == Z_BUF_ERROR) {
			snprintf(ck->errmsg, sizeof(ck->errmsg), "%s",
				 zerr == Z_BUF_ERROR ? "unexpected end of compressed data" : msg);
			errno = EIO;
			return -1;
		}
		return 0;
	}
	ck->pos += (uint64_t)n;
	pcapng_norm_feed(&ck->norm, (uint8_t *)buf, (size_t)n);
	return n;
}

/* Only telling the position is supported: libpcap never seeks a savefile. */
static int gz_cookie_seek(void *cookie, off64_t *off, int whence)
{
	const struct gz_cookie *ck = cookie;

	if (whence == SEEK_CUR && *off == 0) {
		*off = (off64_t)ck->pos;
		return 0;
	}
	errno = ESPIPE;
	return -1;
}

static int gz_cookie_close(void *cookie)
{
	struct gz_cookie *ck = cookie;
	int rc = gzclose(ck->gz);

	free(ck);
	return rc == Z_OK ? 0 : -1;
}

static const cookie_io_functions_t gz_cookie_io = {
    .read = gz_cookie_read,
    .write = NULL,
    .seek = gz_cookie_seek,
    .close = gz_cookie_close,
};

/* True when the 4 bytes are a pcap (any byte order or precision) or pcapng magic. */
static bool capture_magic(const uint8_t m[4])
{
	static const uint8_t magics[][4] = {
	    {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, /* pcap, microseconds */
	    {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, /* pcap, nanoseconds */
	    {0x34, 0xcd, 0xb2, 0xa1}, {0xa1, 0xb2, 0xcd, 0x34}, /* pcap, Kuznetzov */
	    {0x0a, 0x0d, 0x0d, 0x0a},				/* pcapng section header */
	};

	for (size_t i = 0; i < MX_ARRAY_LEN(magics); i++)
		if (memcmp(m, magics[i], 4) == 0)
			return true;
	return false;
}

/*
 * Reads the first 4 (decompressed) bytes of path: 1 a capture file, 0 not
 * one (why says so), -1 unreadable (errno).
 */
static int check_magic(const char *path, const char **why)
{
	uint8_t m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	gzFile gz;
	int n;

	if (fd < 0)
		return -1;
	gz = gzdopen(fd, "rb");
	if (gz == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	n = gzread(gz, m, sizeof(m));
	gzclose(gz);
	if (n == (int)sizeof(m) && capture_magic(m))
		return 1;
	*why = n == 0 ? "empty file" : "not a pcap or pcapng capture file";
	return 0;
}

static void clean_path(const char *path, char *out, size_t outlen);

static bool add_input(struct capture *c, const char *path, uint64_t size, bool is_stdin,
		      bool checked)
{
	struct input *in = realloc(c->inputs, (c->n_inputs + 1) * sizeof(*in));

	if (in == NULL)
		return false;
	c->inputs = in;
	in = &c->inputs[c->n_inputs];
	in->path = malloc(strlen(path) + 2);
	if (in->path != NULL)
		clean_path(path, in->path, strlen(path) + 2);
	if (in->path == NULL)
		return false;
	in->size = size;
	in->is_stdin = is_stdin;
	in->checked = checked;
	c->n_inputs++;
	c->total_bytes += size;
	return true;
}

static int dirent_visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int dirent_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Subdirectory levels -r DIR descends at most. */
#define DIR_MAX_DEPTH 16

/* Files of a directory walk that are not captures: counted, the first named. */
struct skipped {
	uint64_t n;
	char first[PATH_MAX];
	const char *why;
};

/*
 * Writes path into out without the noise a shell or a join leaves: runs
 * of slashes become one, "." components and a trailing slash go ("./a//b/"
 * is "a/b"; "." stays "."). ".." is kept: nothing is resolved.
 */
static void clean_path(const char *path, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = path;
	bool abs = *p == '/';

	if (outlen == 0)
		return;
	if (abs && o + 1 < outlen)
		out[o++] = '/';
	while (*p != '\0') {
		const char *end;
		size_t len;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			break;
		if (!(len == 1 && p[0] == '.')) {
			if (o > 0 && out[o - 1] != '/' && o + 1 < outlen)
				out[o++] = '/';
			if (o + len >= outlen)
				len = outlen - o - 1;
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
	}
	if (o == 0 && outlen > 1)
		out[o++] = abs ? '/' : '.';
	out[o] = '\0';
}

/*
 * Adds the capture files under directory dir: its entries in name order,
 * each subdirectory's files where the subdirectory sorts (symbolic links
 * to directories are not followed). Files that are not captures are
 * counted in sk.
 */
static bool add_dir_at(struct capture *c, const char *dir, unsigned depth, struct skipped *sk)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, dirent_visible, dirent_cmp);
	bool ok = true;

	if (n < 0) {
		snprintf(c->err, sizeof(c->err), "%s: %s", dir, strerror(errno));
		return false;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;
		const char *why = NULL;
		int m;

		if (!ok)
			goto next;
		if (snprintf(path, sizeof(path), "%s%s%s", dir,
			     dir[strlen(dir) - 1] == '/' ? "" : "/",
			     list[i]->d_name) >= (int)sizeof(path)) {
			snprintf(c->err, sizeof(c->err), "%s/%s: path too long", dir,
				 list[i]->d_name);
			ok = false;
			goto next;
		}
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < DIR_MAX_DEPTH)
				ok = add_dir_at(c, path, depth + 1, sk);
			else
				fprintf(stderr,
					WARNING "%s: more than %d directory levels, skipped\n",
					path, DIR_MAX_DEPTH);
			goto next;
		}
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			goto next;
		m = check_magic(path, &why);
		if (m < 0) {
			snprintf(c->err, sizeof(c->err), "%s: %s", path, strerror(errno));
			ok = false;
		} else if (m == 0) {
			if (sk->n++ == 0) {
				mx_strlcpy(sk->first, path, sizeof(sk->first));
				sk->why = why;
			}
		} else if (!add_input(c, path, (uint64_t)st.st_size, false, true)) {
			snprintf(c->err, sizeof(c->err), "%s: out of memory", path);
			ok = false;
		}
	next:
		free(list[i]);
	}
	free(list);
	return ok;
}

/* Adds the capture files under dir; one warning counts the files skipped. */
static bool add_dir(struct capture *c, const char *dir)
{
	struct skipped sk = {0, "", NULL};
	size_t before = c->n_inputs;
	bool ok = add_dir_at(c, dir, 0, &sk);

	if (ok && sk.n > 0)
		fprintf(stderr,
			WARNING "%s: skipped %llu file%s that %s not a capture (first: %s: %s)\n",
			dir, (unsigned long long)sk.n, sk.n == 1 ? "" : "s",
			sk.n == 1 ? "is" : "are", sk.first, sk.why);
	if (ok && c->n_inputs == before) {
		snprintf(c->err, sizeof(c->err), "%s: no capture files in directory", dir);
		ok = false;
	}
	return ok;
}

static bool add_path(struct capture *c, const char *given, bool *stdin_seen)
{
	char path[PATH_MAX];
	struct stat st;
	const char *why = NULL;
	int m;

	if (strlen(given) >= sizeof(path)) {
		snprintf(c->err, sizeof(c->err), "%.64s...: path too long", given);
		return false;
	}
	clean_path(given, path, sizeof(path));

	if (strcmp(path, "-") == 0) {
		if (*stdin_seen) {
			snprintf(c->err, sizeof(c->err), "-: standard input given more than once");
			return false;
		}
		*stdin_seen = true;
		if (fstat(STDIN_FILENO, &st) != 0)
			memset(&st, 0, sizeof(st));
		return add_input(c, path, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0, true,
				 false);
	}
	if (stat(path, &st) != 0) {
		snprintf(c->err, sizeof(c->err), "%s: %s", path, strerror(errno));
		return false;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(c, path);
	if (!S_ISREG(st.st_mode))
		return add_input(c, path, 0, false, false);
	m = check_magic(path, &why);
	if (m < 0) {
		snprintf(c->err, sizeof(c->err), "%s: %s", path, strerror(errno));
		return false;
	}
	if (m == 0) {
		snprintf(c->err, sizeof(c->err), "%s: %s", path, why);
		return false;
	}
	return add_input(c, path, (uint64_t)st.st_size, false, true);
}

/* Compiles and sets filter on p; false with c->err naming what. */
static bool set_filter(struct capture *c, pcap_t *p, const char *what, const char *filter)
{
	struct bpf_program prog;

	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(c->err, sizeof(c->err), "%s: bad filter '%s': %s", what, filter,
			 pcap_geterr(p));
		return false;
	}
	if (pcap_setfilter(p, &prog) != 0) {
		snprintf(c->err, sizeof(c->err), "%s: cannot set filter: %s", what, pcap_geterr(p));
		pcap_freecode(&prog);
		return false;
	}
	pcap_freecode(&prog);
	return true;
}

bool capture_check_filter(const char *filter, char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, DEFAULT_SNAP);
	struct bpf_program prog;
	bool ok;

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	ok = pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (ok)
		pcap_freecode(&prog);
	else
		snprintf(err, errlen, "bad filter '%s': %s", filter, pcap_geterr(p));
	pcap_close(p);
	return ok;
}

/* Catches a bad expression before any file is read. */
static bool check_filter(struct capture *c, const char *filter)
{
	return capture_check_filter(filter, c->err, sizeof(c->err));
}

/*
 * One message for a failed pcap_activate: libpcap's own text when it says
 * more than the status (it often repeats it), else the status, plus what
 * to do for the two an operator meets most.
 */
static void activate_error(struct capture *c, const char *iface, int rc)
{
	const char *status = pcap_statustostr(rc);
	const char *detail = pcap_geterr(c->pcap);
	const char *hint = "";

	if (detail[0] == '\0' || strcmp(detail, status) == 0 || strstr(detail, status) != NULL)
		detail = "";
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
		hint = " (no such interface; `ip link` lists them)";
	else if (rc == PCAP_ERROR_PERM_DENIED)
		hint = " (capturing needs root or CAP_NET_RAW and CAP_NET_ADMIN)";
	if (detail[0] != '\0' && strstr(detail, iface) == NULL)
		snprintf(c->err, sizeof(c->err), "%s: %s: %s%s", iface, status, detail, hint);
	else if (detail[0] != '\0')
		snprintf(c->err, sizeof(c->err), "%s%s", detail, hint);
	else
		snprintf(c->err, sizeof(c->err), "%s: %s%s", iface, status, hint);
}

static bool open_live(struct capture *c, const struct capture_config *cfg)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	const char *filter = cfg->watch_all ? NULL : cfg->bpf ? cfg->bpf : CAPTURE_DEFAULT_BPF;
	int rc;

	c->pcap = pcap_create(cfg->iface, ebuf);
	if (c->pcap == NULL) {
		snprintf(c->err, sizeof(c->err), "%s: %s", cfg->iface, ebuf);
		return false;
	}
	if (pcap_set_snaplen(c->pcap, cfg->snaplen > 0 ? cfg->snaplen : DEFAULT_SNAP) != 0 ||
	    pcap_set_promisc(c->pcap, cfg->promisc) != 0 ||
	    pcap_set_timeout(c->pcap, LIVE_TIMEOUT) != 0 ||
	    pcap_set_buffer_size(
		c->pcap,
		(cfg->buffer_mib > 0 && cfg->buffer_mib <= 2047 ? cfg->buffer_mib : DEFAULT_MIB)
		    << 20) != 0 ||
	    pcap_set_immediate_mode(c->pcap, cfg->immediate) != 0) {
		snprintf(c->err, sizeof(c->err), "%s: cannot configure capture: %s", cfg->iface,
			 pcap_geterr(c->pcap));
		return false;
	}
	rc = pcap_activate(c->pcap);
	if (rc < 0) {
		activate_error(c, cfg->iface, rc);
		return false;
	}
	if (rc > 0)
		fprintf(stderr, WARNING "%s: %s%s%s\n", cfg->iface, pcap_statustostr(rc),
			*pcap_geterr(c->pcap) ? ": " : "", pcap_geterr(c->pcap));
	if (filter != NULL && !set_filter(c, c->pcap, cfg->iface, filter))
		return false;
	c->fd = pcap_get_selectable_fd(c->pcap);
	if (c->fd >= 0 && pcap_setnonblock(c->pcap, 1, ebuf) != 0) {
		snprintf(c->err, sizeof(c->err), "%s: %s", cfg->iface, ebuf);
		return false;
	}
	return true;
}

struct capture *capture_open(const struct capture_config *cfg, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));
	bool stdin_seen = false, ok = true;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	if (cfg->bpf != NULL && (c->bpf = strdup(cfg->bpf)) == NULL) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		ok = false;
	} else if (cfg->n_paths > 0) {
		ok = c->bpf == NULL || check_filter(c, c->bpf);
		for (size_t i = 0; ok && i < cfg->n_paths; i++)
			ok = add_path(c, cfg->paths[i], &stdin_seen);
	} else if (cfg->iface != NULL && cfg->iface[0] != '\0') {
		c->live = true;
		c->iface = strdup(cfg->iface);
		ok = c->iface != NULL && open_live(c, cfg);
		if (c->iface == NULL)
			snprintf(c->err, sizeof(c->err), "out of memory");
	} else {
		snprintf(c->err, sizeof(c->err), "no capture file or interface given");
		ok = false;
	}
	if (!ok) {
		snprintf(err, errlen, "%s", c->err);
		capture_close(c);
		return NULL;
	}
	return c;
}

static void close_current(struct capture *c)
{
	if (c->pcap != NULL)
		pcap_close(c->pcap); /* closes c->fp, which frees c->ck */
	else if (c->fp != NULL)
		fclose(c->fp);
	c->pcap = NULL;
	c->fp = NULL;
	c->ck = NULL;
	c->reading = false;
}

void capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	close_current(c);
	for (size_t i = 0; i < c->n_inputs; i++)
		free(c->inputs[i].path);
	free(c->inputs);
	free(c->iface);
	free(c->bpf);
	free(c);
}

const char *capture_error(const struct capture *c)
{
	return c->err;
}

const char *capture_current_file(const struct capture *c)
{
	if (c->live || !c->reading)
		return NULL;
	return c->inputs[c->cur].is_stdin ? "stdin" : c->inputs[c->cur].path;
}

int capture_datalink(const struct capture *c)
{
	return c->pcap != NULL ? pcap_datalink(c->pcap) : -1;
}

bool capture_is_live(const struct capture *c)
{
	return c->live;
}

const struct capture_counters *capture_counters(const struct capture *c)
{
	return &c->c;
}

void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total)
{
	uint64_t d = c->done_bytes;

	if (!c->live && c->reading && c->inputs[c->cur].size > 0) {
		int64_t o = c->ck != NULL ? (int64_t)gzoffset(c->ck->gz)
					  : (c->fp != NULL ? (int64_t)ftello(c->fp) : -1);

		if (o > 0)
			d += MX_MIN((uint64_t)o, c->inputs[c->cur].size);
	}
	*done = d;
	*total = c->total_bytes;
}

bool capture_refresh_stats(struct capture *c)
{
	struct pcap_stat st;
	uint64_t before;

	if (!c->live || c->pcap == NULL || pcap_stats(c->pcap, &st) != 0)
		return false;
	before = c->c.kernel_drops + c->c.kernel_ifdrops;
	/* The kernel's counters are 32 bits and wrap: add the differences. */
	c->c.kernel_packets += (uint32_t)(st.ps_recv - c->last.ps_recv);
	c->c.kernel_drops += (uint32_t)(st.ps_drop - c->last.ps_drop);
	c->c.kernel_ifdrops += (uint32_t)(st.ps_ifdrop - c->last.ps_ifdrop);
	c->last = st;
	return c->c.kernel_drops + c->c.kernel_ifdrops > before;
}

static void tick_reset(struct capture *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->next_tick);
	c->next_tick.tv_nsec += (long)TICK_NS;
	if (c->next_tick.tv_nsec >= 1000000000L) {
		c->next_tick.tv_sec++;
		c->next_tick.tv_nsec -= 1000000000L;
	}
}

/* Nanoseconds until the next tick (0 when due). */
static uint64_t tick_wait_ns(const struct capture *c, clockid_t clk)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(clk, &now);
	ns = (int64_t)(c->next_tick.tv_sec - now.tv_sec) * 1000000000LL +
	     (c->next_tick.tv_nsec - now.tv_nsec);
	return ns > 0 ? (uint64_t)ns : 0;
}

static void maybe_tick(struct capture *c, clockid_t clk)
{
	if (tick_wait_ns(c, clk) > 0)
		return;
	tick_reset(c);
	if (c->on_tick != NULL)
		c->on_tick(c->ctx);
}

static bool stopped(const struct capture *c)
{
	return c->stop != NULL && *c->stop != 0;
}

static uint64_t ts_us(const struct pcap_pkthdr *h)
{
	if (h->ts.tv_sec < 0 || h->ts.tv_usec < 0)
		return 0;
	return (uint64_t)h->ts.tv_sec * MX_USEC + (uint64_t)h->ts.tv_usec;
}

static void deliver(struct capture *c, const struct pcap_pkthdr *h, const uint8_t *bytes)
{
	c->c.bytes += h->caplen;
	c->on_packet(c->ctx, pcap_datalink(c->pcap), ts_us(h), bytes, h->caplen, h->len);
}

enum open_status {
	OPEN_OK,
	OPEN_FAILED,	 /* cannot be read at all */
	OPEN_BAD_HEADER, /* libpcap refused the file header */
};

/* True when fd's first bytes are a classic pcap magic (either byte order,
   micro- or nanosecond); the file position is left at the start. */
static bool is_plain_pcap(int fd)
{
	uint8_t m[4];

	if (pread(fd, m, sizeof(m), 0) != (ssize_t)sizeof(m))
		return false;
	return (m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1) ||
	       (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
	       (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1) ||
	       (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d);
}

/* Opens input in for reading; on failure c->err says why. */
static enum open_status open_input(struct capture *c, const struct input *in)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int fd = in->is_stdin ? dup(STDIN_FILENO) : open(in->path, O_RDONLY | O_CLOEXEC);
	const char *name = in->is_stdin ? "stdin" : in->path;
	gzFile gz;

	if (fd < 0) {
		snprintf(c->err, sizeof(c->err), "%s: %s", name, strerror(errno));
		return OPEN_FAILED;
	}
	/* A plain (classic) pcap file needs neither zlib nor the pcapng
	   rewrite: libpcap reads it straight through stdio, one copy less. */
	if (!in->is_stdin && is_plain_pcap(fd)) {
		c->fp = fdopen(fd, "rb");
		if (c->fp == NULL) {
			snprintf(c->err, sizeof(c->err), "%s: %s", name, strerror(errno));
			close(fd);
			return OPEN_FAILED;
		}
		setvbuf(c->fp, NULL, _IOFBF, GZ_BUFFER);
		c->reading = true;
		c->pcap = pcap_fopen_offline_with_tstamp_precision(
		    c->fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
		if (c->pcap == NULL) {
			snprintf(c->why, sizeof(c->why), "%s", ebuf);
			snprintf(c->err, sizeof(c->err), "%s: %s", name, c->why);
			return OPEN_BAD_HEADER;
		}
		if (c->bpf != NULL && !set_filter(c, c->pcap, name, c->bpf))
			return OPEN_FAILED;
		return OPEN_OK;
	}
	gz = gzdopen(fd, "rb");
	c->ck = calloc(1, sizeof(*c->ck));
	if (gz == NULL || c->ck == NULL) {
		snprintf(c->err, sizeof(c->err), "%s: out of memory", name);
		if (gz != NULL)
			gzclose(gz);
		else
			close(fd);
		free(c->ck);
		c->ck = NULL;
		return OPEN_FAILED;
	}
	gzbuffer(gz, GZ_BUFFER);
	c->ck->gz = gz;
	pcapng_norm_init(&c->ck->norm);
	c->fp = fopencookie(c->ck, "r", gz_cookie_io);
	if (c->fp == NULL) {
		snprintf(c->err, sizeof(c->err), "%s: %s", name, strerror(errno));
		gzclose(gz);
		free(c->ck);
		c->ck = NULL;
		return OPEN_FAILED;
	}
	c->reading = true;
	c->pcap =
	    pcap_fopen_offline_with_tstamp_precision(c->fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (c->pcap == NULL) {
		snprintf(c->why, sizeof(c->why), "%s", c->ck->errmsg[0] ? c->ck->errmsg : ebuf);
		snprintf(c->err, sizeof(c->err), "%s: %s", name, c->why);
		return OPEN_BAD_HEADER;
	}
	if (c->bpf != NULL && !set_filter(c, c->pcap, name, c->bpf))
		return OPEN_FAILED;
	return OPEN_OK;
}

/*
 * Why reading stopped early: interfaces of different link types when that
 * is what libpcap refused (*mixed is then set), else zlib's account, else
 * libpcap's.
 */
static const char *read_error(struct capture *c, bool *mixed)
{
	const char *pe = pcap_geterr(c->pcap);

	*mixed = false;
	if (c->ck != NULL && c->ck->norm.other_linktype >= 0 &&
	    strstr(pe, "different from the type") != NULL) {
		*mixed = true;
		snprintf(c->why, sizeof(c->why),
			 "the pcapng file has interfaces of different link types (%d and %d), "
			 "which libpcap cannot read in one file (%s)",
			 (int)c->ck->norm.first_linktype, (int)c->ck->norm.other_linktype, pe);
		return c->why;
	}
	return c->ck != NULL && c->ck->errmsg[0] ? c->ck->errmsg : pe;
}

/* "truncated", "corrupt" or "stopped" (a file libpcap cannot read on), after N packets. */
static void warn_cut(const char *name, bool stopped_early, uint64_t pkts, uint64_t off,
		     const char *why)
{
	bool trunc = strstr(why, "truncated") != NULL || strstr(why, "unexpected end") != NULL;

	fprintf(stderr, WARNING "%s: %s after %llu packets (offset %llu): %s\n", name,
		stopped_early ? "stopped"
		: trunc	      ? "truncated"
			      : "corrupt",
		(unsigned long long)pkts, (unsigned long long)off, why);
}

/* Reads the current input to its end; false when it was cut short. */
static bool read_file(struct capture *c, const char *name)
{
	struct pcap_pkthdr *h;
	const u_char *bytes;
	uint64_t pkts = 0, good_off;
	const char *why;
	bool mixed;
	off_t o;
	int rc;

	/* Where the last whole packet ended. A classic pcap file is a 24-byte
	   header and 16-byte record headers: counted, not asked of stdio (an
	   lseek per packet); the zlib path's position is its own counter. */
	o = c->ck != NULL ? ftello(c->fp) : 24;
	good_off = o > 0 ? (uint64_t)o : 0;
	while (!stopped(c)) {
		rc = pcap_next_ex(c->pcap, &h, &bytes);
		if (rc == 1) {
			deliver(c, h, bytes);
			pkts++;
			if (c->ck == NULL) {
				good_off += 16 + (uint64_t)h->caplen;
			} else {
				o = ftello(c->fp);
				if (o > 0)
					good_off = (uint64_t)o;
			}
			maybe_tick(c, CLOCK_MONOTONIC_COARSE);
			continue;
		}
		if (rc == PCAP_ERROR_BREAK)
			return true;
		why = read_error(c, &mixed);
		warn_cut(name, mixed, pkts, good_off, why);
		return false;
	}
	return true;
}

static enum capture_result run_offline(struct capture *c)
{
	bool incomplete = false;

	for (c->cur = 0; c->cur < c->n_inputs; c->cur++) {
		const struct input *in = &c->inputs[c->cur];
		const char *name = in->is_stdin ? "stdin" : in->path;
		enum open_status os;
		bool ok;

		if (stopped(c))
			return CAPTURE_STOPPED;
		os = open_input(c, in);
		if (os != OPEN_OK) {
			close_current(c);
			if (os == OPEN_FAILED || !in->checked)
				return CAPTURE_ERROR;
			/* Its magic was right: the file header itself is cut or damaged. */
			warn_cut(name, false, 0, 0, c->why);
			c->err[0] = '\0';
			c->c.files++;
			c->c.files_incomplete++;
			c->done_bytes += in->size;
			incomplete = true;
			continue;
		}
		c->c.files++;
		ok = read_file(c, name);
		if (!ok) {
			c->c.files_incomplete++;
			incomplete = true;
		}
		close_current(c);
		c->done_bytes += in->size;
		if (stopped(c))
			return CAPTURE_STOPPED;
	}
	return incomplete ? CAPTURE_INCOMPLETE : CAPTURE_OK;
}

static void live_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)(void *)user;

	deliver(c, h, bytes);
	maybe_tick(c, CLOCK_MONOTONIC_COARSE);
	if (stopped(c))
		pcap_breakloop(c->pcap);
}

static enum capture_result run_live(struct capture *c)
{
	while (!stopped(c)) {
		int n;

		if (c->fd >= 0) {
			struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
			int ms = (int)((tick_wait_ns(c, CLOCK_MONOTONIC) + 999999) / 1000000);

			if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
				snprintf(c->err, sizeof(c->err), "%s: poll: %s", c->iface,
					 strerror(errno));
				return CAPTURE_ERROR;
			}
		}
		n = pcap_dispatch(c->pcap, -1, live_packet, (u_char *)(void *)c);
		if (n == PCAP_ERROR) {
			snprintf(c->err, sizeof(c->err), "%s: %s", c->iface, pcap_geterr(c->pcap));
			return CAPTURE_ERROR;
		}
		if (n == PCAP_ERROR_BREAK)
			break;
		maybe_tick(c, CLOCK_MONOTONIC);
	}
	return CAPTURE_STOPPED;
}

enum capture_result capture_run(struct capture *c, capture_packet_fn on_packet,
				capture_tick_fn on_tick, void *ctx, volatile sig_atomic_t *stop)
{
	c->on_packet = on_packet;
	c->on_tick = on_tick;
	c->ctx = ctx;
	c->stop = stop;
	c->err[0] = '\0';
	tick_reset(c);
	return c->live ? run_live(c) : run_offline(c);
}
