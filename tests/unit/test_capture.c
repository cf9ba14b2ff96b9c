/*
 * test_capture.c - unit tests of the capture stage: pcap, nanosecond pcap
 * and hand-written pcapng files read in order across several inputs, a
 * directory, gzip-compressed files and stdin; files cut short (mid-record,
 * in the file header, in the gzip stream) and garbage inputs; the offline
 * filter, the stop flag, progress and counters; pcapng files whose
 * interfaces differ in snapshot length (read, in both byte orders and
 * several sections) or in link type (reported) and the block walk that
 * rewrites them; and the default live BPF matched against tagged and
 * untagged frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "app/app.h"
#include "capture/capture.h"
#include "capture/pcapng_norm.h"

#define MAX_REC 256

struct rec {
	int dlt;
	uint64_t ts_us;
	uint32_t caplen, wirelen;
	uint8_t tag; /* first byte after the 14-byte Ethernet header, or byte 0 */
	char file[PATH_MAX];
};

struct sink {
	struct capture *cap;
	struct rec r[MAX_REC];
	size_t n;
	size_t stop_after; /* 0: never */
	volatile sig_atomic_t stop;
	uint64_t last_done;
};

static char tmpdir[PATH_MAX / 2];

/* ---- helpers --------------------------------------------------------------- */

static void path_of(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

static void on_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
		      uint32_t wirelen)
{
	struct sink *s = ctx;
	struct rec *r;
	const char *f = capture_current_file(s->cap);
	uint64_t done, total;

	assert_true(s->n < MAX_REC);
	r = &s->r[s->n++];
	r->dlt = dlt;
	r->ts_us = ts_us;
	r->caplen = caplen;
	r->wirelen = wirelen;
	r->tag = dlt == DLT_EN10MB && caplen > 14 ? frame[14] : caplen > 0 ? frame[0] : 0;
	assert_non_null(f);
	snprintf(r->file, sizeof(r->file), "%s", f);
	assert_int_equal(capture_datalink(s->cap), dlt);
	capture_progress(s->cap, &done, &total);
	assert_true(done <= total);
	assert_true(done >= s->last_done);
	s->last_done = done;
	if (s->stop_after && s->n == s->stop_after)
		s->stop = 1;
}

/* Writes npkts frames of 60 bytes (wire length 100) with tags tag0, tag0+1, ... */
static void write_pcap_prec(const char *path, int dlt, int npkts, uint8_t tag0, long sec0, int prec)
{
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(dlt, 65535, (u_int)prec);
	pcap_dumper_t *du;
	uint8_t data[60];

	assert_non_null(pd);
	du = pcap_dump_open(pd, path);
	assert_non_null(du);
	for (int i = 0; i < npkts; i++) {
		struct pcap_pkthdr h;

		memset(data, 0x11 * (i + 1), sizeof(data));
		data[dlt == DLT_EN10MB ? 14 : 0] = (uint8_t)(tag0 + i);
		h.ts.tv_sec = sec0 + i;
		h.ts.tv_usec = prec == PCAP_TSTAMP_PRECISION_NANO ? 123456789 : 10 * i + 1;
		h.caplen = sizeof(data);
		h.len = 100;
		pcap_dump((u_char *)du, &h, data);
	}
	pcap_dump_close(du);
	pcap_close(pd);
}

static void write_pcap(const char *path, int dlt, int npkts, uint8_t tag0, long sec0)
{
	write_pcap_prec(path, dlt, npkts, tag0, sec0, PCAP_TSTAMP_PRECISION_MICRO);
}

static void put_le16(FILE *f, uint16_t v)
{
	fputc(v & 0xff, f);
	fputc(v >> 8, f);
}

static void put_le32(FILE *f, uint32_t v)
{
	put_le16(f, (uint16_t)v);
	put_le16(f, (uint16_t)(v >> 16));
}

/* A pcapng file: section, one Ethernet interface with nanosecond resolution, npkts EPBs. */
static void write_pcapng(const char *path, int npkts, uint8_t tag0, uint64_t ts_ns0)
{
	FILE *f = fopen(path, "wb");
	uint8_t data[62];

	assert_non_null(f);
	/* Section Header Block */
	put_le32(f, 0x0A0D0D0A);
	put_le32(f, 28);
	put_le32(f, 0x1A2B3C4D);
	put_le16(f, 1);
	put_le16(f, 0);
	put_le32(f, 0xffffffff);
	put_le32(f, 0xffffffff);
	put_le32(f, 28);
	/* Interface Description Block with if_tsresol = 9 */
	put_le32(f, 1);
	put_le32(f, 32);
	put_le16(f, DLT_EN10MB);
	put_le16(f, 0);
	put_le32(f, 0);
	put_le16(f, 9); /* if_tsresol */
	put_le16(f, 1);
	put_le32(f, 9); /* value 9, three bytes of padding */
	put_le32(f, 0); /* opt_endofopt */
	put_le32(f, 32);
	for (int i = 0; i < npkts; i++) {
		uint64_t ts = ts_ns0 + (uint64_t)i * 1000;

		memset(data, 0x22, sizeof(data));
		data[14] = (uint8_t)(tag0 + i);
		put_le32(f, 6);
		put_le32(f, 32 + 64);
		put_le32(f, 0);
		put_le32(f, (uint32_t)(ts >> 32));
		put_le32(f, (uint32_t)ts);
		put_le32(f, sizeof(data));
		put_le32(f, 1500);
		fwrite(data, 1, sizeof(data), f);
		fputc(0, f);
		fputc(0, f);
		put_le32(f, 32 + 64);
	}
	assert_int_equal(fclose(f), 0);
}

static long file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (long)st.st_size;
}

static void gzip_file(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb");
	gzFile out = gzopen(dst, "wb9");
	char buf[4096];
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(gzwrite(out, buf, (unsigned)n), (int)n);
	fclose(in);
	assert_int_equal(gzclose(out), Z_OK);
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Runs the capture of paths into s; returns the result, stderr text in errtext. */
static enum capture_result run_paths(const char *const *paths, size_t n, const char *bpf,
				     struct sink *s, char *errtext, size_t errlen)
{
	struct capture_config cfg;
	char err[512], errpath[PATH_MAX];
	enum capture_result r;
	int saved, fd;
	ssize_t got;

	capture_config_defaults(&cfg);
	cfg.paths = paths;
	cfg.n_paths = n;
	cfg.bpf = bpf;
	memset(s, 0, sizeof(*s));
	path_of(errpath, "stderr.txt");
	fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	s->cap = capture_open(&cfg, err, sizeof(err));
	r = s->cap != NULL ? capture_run(s->cap, on_packet, NULL, s, &s->stop) : CAPTURE_ERROR;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	got = pread(fd, errtext, errlen - 1, 0);
	errtext[got > 0 ? got : 0] = '\0';
	close(fd);
	if (s->cap == NULL)
		fail_msg("capture_open: %s", err);
	return r;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_files_in_order(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], craw[PATH_MAX], e[PATH_MAX], et[256];
	const char *paths[4] = {a, b, c, e};
	static struct sink s;
	const struct capture_counters *cnt;
	uint64_t done, total;

	(void)state;
	path_of(a, "a.pcap");
	path_of(b, "b.pcapng");
	path_of(craw, "c-raw.pcap");
	path_of(c, "c.pcap.gz");
	path_of(e, "e-nano.pcap");
	write_pcap(a, DLT_EN10MB, 3, 10, 1000);
	write_pcapng(b, 2, 20, 1700000000123456789ULL);
	write_pcap(craw, DLT_RAW, 2, 0x45, 2000);
	gzip_file(craw, c);
	write_pcap_prec(e, DLT_EN10MB, 1, 40, 3000, PCAP_TSTAMP_PRECISION_NANO);
	assert_int_equal(run_paths(paths, 4, NULL, &s, et, sizeof(et)), CAPTURE_OK);
	assert_string_equal(et, "");
	assert_int_equal(s.n, 8);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(s.r[i].dlt, DLT_EN10MB);
		assert_int_equal(s.r[i].tag, 10 + i);
		assert_int_equal(s.r[i].ts_us, (1000ULL + i) * 1000000 + 10 * i + 1);
		assert_int_equal(s.r[i].caplen, 60);
		assert_int_equal(s.r[i].wirelen, 100);
		assert_string_equal(s.r[i].file, a);
	}
	for (int i = 0; i < 2; i++) {
		struct rec *r = &s.r[3 + i];

		assert_int_equal(r->dlt, DLT_EN10MB);
		assert_int_equal(r->tag, 20 + i);
		assert_int_equal(r->ts_us, 1700000000123456ULL + (uint64_t)i);
		assert_int_equal(r->caplen, 62);
		assert_int_equal(r->wirelen, 1500);
		assert_string_equal(r->file, b);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(s.r[5 + i].dlt, DLT_RAW);
		assert_int_equal(s.r[5 + i].tag, 0x45 + i);
		assert_string_equal(s.r[5 + i].file, c);
	}
	assert_int_equal(s.r[7].ts_us, 3000ULL * 1000000 + 123456);
	assert_null(capture_current_file(s.cap));
	cnt = capture_counters(s.cap);
	assert_int_equal(cnt->files, 4);
	assert_int_equal(cnt->files_incomplete, 0);
	assert_int_equal(cnt->bytes, 3 * 60 + 2 * 62 + 2 * 60 + 60);
	capture_progress(s.cap, &done, &total);
	assert_int_equal(total, file_size(a) + file_size(b) + file_size(c) + file_size(e));
	assert_int_equal(done, total);
	assert_false(capture_is_live(s.cap));
	assert_false(capture_refresh_stats(s.cap));
	capture_close(s.cap);
}

static void test_directory(void **state)
{
	char dir[PATH_MAX], p[PATH_MAX + 64], et[1024];
	const char *paths[1] = {dir};
	static struct sink s;

	(void)state;
	path_of(dir, "dir");
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(p, sizeof(p), "%s/02.pcap", dir);
	write_pcap(p, DLT_EN10MB, 2, 2, 10);
	snprintf(p, sizeof(p), "%s/01.pcapng", dir);
	write_pcapng(p, 1, 1, 5000000000ULL);
	snprintf(p, sizeof(p), "%s/.hidden.pcap", dir);
	write_pcap(p, DLT_EN10MB, 1, 99, 10);
	snprintf(p, sizeof(p), "%s/README.txt", dir);
	write_bytes(p, "notes about this capture\n", 25);
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/0-sub", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/0-sub/notes", dir);
	write_bytes(p, "more notes\n", 11);
	snprintf(p, sizeof(p), "%s/sub/03.pcap", dir);
	write_pcap(p, DLT_EN10MB, 1, 7, 20);
	assert_int_equal(run_paths(paths, 1, NULL, &s, et, sizeof(et)), CAPTURE_OK);
	/* 0-sub (nothing), 01.pcapng, 02.pcap, README.txt (skipped), sub/03.pcap */
	assert_int_equal(s.n, 4);
	assert_int_equal(s.r[0].tag, 1);
	assert_int_equal(s.r[1].tag, 2);
	assert_int_equal(s.r[2].tag, 3);
	assert_int_equal(s.r[3].tag, 7);
	assert_non_null(strstr(s.r[0].file, "/01.pcapng"));
	assert_non_null(strstr(s.r[2].file, "/02.pcap"));
	assert_non_null(strstr(s.r[3].file, "/sub/03.pcap"));
	assert_null(strstr(s.r[3].file, "//"));
	/* One warning counts the two files that are not captures. */
	assert_non_null(strstr(et, "skipped 2 files that are not a capture (first: "));
	assert_non_null(strstr(et, "0-sub/notes: not a pcap or pcapng capture file)"));
	assert_null(strstr(et, "README.txt"));
	capture_close(s.cap);
}

static void test_truncated_mid_record(void **state)
{
	char cut[PATH_MAX], good[PATH_MAX], et[1024], want[PATH_MAX + 128];
	const char *paths[2] = {cut, good};
	static struct sink s;
	long sz;

	(void)state;
	path_of(cut, "cut.pcap");
	path_of(good, "good.pcap");
	write_pcap(cut, DLT_EN10MB, 3, 50, 100);
	write_pcap(good, DLT_EN10MB, 2, 60, 200);
	sz = file_size(cut);
	assert_int_equal(sz, 24 + 3 * (16 + 60));
	assert_int_equal(truncate(cut, sz - 10), 0);
	assert_int_equal(run_paths(paths, 2, NULL, &s, et, sizeof(et)), CAPTURE_INCOMPLETE);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.r[0].tag, 50);
	assert_int_equal(s.r[1].tag, 51);
	assert_int_equal(s.r[2].tag, 60);
	assert_int_equal(s.r[3].tag, 61);
	snprintf(want, sizeof(want),
		 "mxsentry: warning: %s: truncated after 2 packets (offset %d): ", cut,
		 24 + 2 * (16 + 60));
	if (strstr(et, want) == NULL)
		fail_msg("stderr was: %s", et);
	assert_int_equal(capture_counters(s.cap)->files, 2);
	assert_int_equal(capture_counters(s.cap)->files_incomplete, 1);
	capture_close(s.cap);
}

static void test_truncated_header(void **state)
{
	char p[PATH_MAX], full[PATH_MAX], et[1024];
	const char *paths[1] = {p};
	static struct sink s;
	uint8_t head[10];
	FILE *f;

	(void)state;
	path_of(full, "full.pcap");
	path_of(p, "head.pcap");
	write_pcap(full, DLT_EN10MB, 1, 1, 1);
	f = fopen(full, "rb");
	assert_non_null(f);
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	write_bytes(p, head, sizeof(head));
	assert_int_equal(run_paths(paths, 1, NULL, &s, et, sizeof(et)), CAPTURE_INCOMPLETE);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(et, "head.pcap: truncated after 0 packets (offset 0)"));
	capture_close(s.cap);
}

static void test_truncated_gzip(void **state)
{
	char raw[PATH_MAX], gz[PATH_MAX], et[1024];
	const char *paths[1] = {gz};
	static struct sink s;
	long sz;

	(void)state;
	path_of(raw, "many.pcap");
	path_of(gz, "many.pcap.gz");
	write_pcap(raw, DLT_EN10MB, 200, 0, 1);
	gzip_file(raw, gz);
	sz = file_size(gz);
	assert_int_equal(truncate(gz, sz / 2), 0);
	assert_int_equal(run_paths(paths, 1, NULL, &s, et, sizeof(et)), CAPTURE_INCOMPLETE);
	assert_true(s.n < 200);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.r[i].tag, (uint8_t)i);
	assert_non_null(strstr(et, "many.pcap.gz: truncated after"));
	assert_int_equal(capture_counters(s.cap)->files_incomplete, 1);
	capture_close(s.cap);
}

static void test_stdin_gzip(void **state)
{
	char raw[PATH_MAX], gz[PATH_MAX], et[256];
	const char *paths[1] = {"-"};
	static struct sink s;
	int saved = dup(0), fd;

	(void)state;
	path_of(raw, "in.pcap");
	path_of(gz, "in.pcap.gz");
	write_pcap(raw, DLT_EN10MB, 3, 7, 1);
	gzip_file(raw, gz);
	fd = open(gz, O_RDONLY);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 0);
	close(fd);
	assert_int_equal(run_paths(paths, 1, NULL, &s, et, sizeof(et)), CAPTURE_OK);
	dup2(saved, 0);
	close(saved);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.r[2].tag, 9);
	assert_string_equal(s.r[0].file, "stdin");
	capture_close(s.cap);
}

static void expect_open_error(const char *const *paths, size_t n, const char *bpf,
			      const char *needle)
{
	struct capture_config cfg;
	char err[PATH_MAX + 256] = "";
	struct capture *c;

	capture_config_defaults(&cfg);
	cfg.paths = paths;
	cfg.n_paths = n;
	cfg.bpf = bpf;
	c = capture_open(&cfg, err, sizeof(err));
	assert_null(c);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_open_errors(void **state)
{
	char junk[PATH_MAX], empty[PATH_MAX], none[PATH_MAX], dir[PATH_MAX], good[PATH_MAX];
	char want[PATH_MAX + 64];
	const char *p[2];

	(void)state;
	path_of(junk, "garbage.pcap");
	path_of(empty, "empty.pcap");
	path_of(none, "missing.pcap");
	path_of(dir, "emptydir");
	path_of(good, "ok.pcap");
	write_bytes(junk, "this is not a capture file at all", 33);
	write_bytes(empty, "", 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_pcap(good, DLT_EN10MB, 1, 1, 1);

	p[0] = good;
	p[1] = junk;
	snprintf(want, sizeof(want), "%s: not a pcap or pcapng capture file", junk);
	expect_open_error(p, 2, NULL, want);
	p[0] = empty;
	snprintf(want, sizeof(want), "%s: empty file", empty);
	expect_open_error(p, 1, NULL, want);
	p[0] = none;
	snprintf(want, sizeof(want), "%s: No such file or directory", none);
	expect_open_error(p, 1, NULL, want);
	p[0] = dir;
	snprintf(want, sizeof(want), "%s: no capture files in directory", dir);
	expect_open_error(p, 1, NULL, want);
	p[0] = "-";
	p[1] = "-";
	expect_open_error(p, 2, NULL, "-: standard input given more than once");
	p[0] = good;
	expect_open_error(p, 1, "tcp port twentyfive", "bad filter 'tcp port twentyfive'");
	expect_open_error(p, 0, NULL, "no capture file or interface given");
}

static void test_stop_flag(void **state)
{
	char a[PATH_MAX], b[PATH_MAX];
	const char *paths[2] = {a, b};
	struct capture_config cfg;
	char err[512];
	static struct sink s;

	(void)state;
	path_of(a, "s1.pcap");
	path_of(b, "s2.pcap");
	write_pcap(a, DLT_EN10MB, 3, 1, 1);
	write_pcap(b, DLT_EN10MB, 3, 4, 1);
	capture_config_defaults(&cfg);
	cfg.paths = paths;
	cfg.n_paths = 2;
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	s.cap = capture_open(&cfg, err, sizeof(err));
	assert_non_null(s.cap);
	assert_int_equal(capture_run(s.cap, on_packet, NULL, &s, &s.stop), CAPTURE_STOPPED);
	assert_int_equal(s.n, 2);
	assert_int_equal(capture_counters(s.cap)->files, 1);
	capture_close(s.cap);
}

/* ---- pcapng with several interfaces ----------------------------------------- */

/* A pcapng file built in memory, in either byte order. */
struct ng {
	uint8_t b[8192];
	size_t n;
	bool be;
};

static void ng16(struct ng *g, uint16_t v)
{
	assert_true(g->n + 2 <= sizeof(g->b));
	g->b[g->n++] = (uint8_t)(g->be ? v >> 8 : v);
	g->b[g->n++] = (uint8_t)(g->be ? v : v >> 8);
}

static void ng32(struct ng *g, uint32_t v)
{
	ng16(g, (uint16_t)(g->be ? v >> 16 : v));
	ng16(g, (uint16_t)(g->be ? v : v >> 16));
}

static void ng_shb(struct ng *g)
{
	ng32(g, 0x0A0D0D0A);
	ng32(g, 28);
	ng32(g, 0x1A2B3C4D);
	ng16(g, 1);
	ng16(g, 0);
	ng32(g, 0xffffffff);
	ng32(g, 0xffffffff);
	ng32(g, 28);
}

/* An Interface Description Block without options (microsecond timestamps). */
static size_t ng_idb(struct ng *g, uint16_t linktype, uint32_t snaplen)
{
	size_t at = g->n;

	ng32(g, 1);
	ng32(g, 20);
	ng16(g, linktype);
	ng16(g, 0);
	ng32(g, snaplen);
	ng32(g, 20);
	return at;
}

/* An Enhanced Packet Block of 60 bytes on interface ifid, byte 14 = tag. */
static void ng_epb(struct ng *g, uint32_t ifid, uint64_t ts_us, uint8_t tag)
{
	ng32(g, 6);
	ng32(g, 32 + 60);
	ng32(g, ifid);
	ng32(g, (uint32_t)(ts_us >> 32));
	ng32(g, (uint32_t)ts_us);
	ng32(g, 60);
	ng32(g, 100);
	assert_true(g->n + 60 <= sizeof(g->b));
	memset(g->b + g->n, 0x33, 60);
	g->b[g->n + 14] = tag;
	g->n += 60;
	ng32(g, 32 + 60);
}

/*
 * Two sections; the first has interfaces with snapshot lengths 4000 and
 * 262144 and a third (65535) declared after packets, the second one
 * interface of snapshot length 128. Packets tagged 1..5.
 */
static void ng_mixed_snaplens(struct ng *g, bool be, size_t idb_at[4])
{
	memset(g, 0, sizeof(*g));
	g->be = be;
	ng_shb(g);
	idb_at[0] = ng_idb(g, DLT_EN10MB, 4000);
	idb_at[1] = ng_idb(g, DLT_EN10MB, 262144);
	ng_epb(g, 0, 1700000000000001ULL, 1);
	ng_epb(g, 1, 1700000000000002ULL, 2);
	idb_at[2] = ng_idb(g, DLT_EN10MB, 65535);
	ng_epb(g, 2, 1700000000000003ULL, 3);
	ng_epb(g, 0, 1700000000000004ULL, 4);
	ng_shb(g);
	idb_at[3] = ng_idb(g, DLT_EN10MB, 128);
	ng_epb(g, 0, 1700000000000005ULL, 5);
}

static void test_pcapng_snaplens_differ(void **state)
{
	char le[PATH_MAX], be[PATH_MAX], gz[PATH_MAX], et[1024];
	const char *paths[3] = {le, be, gz};
	static struct ng g;
	static struct sink s;
	size_t at[4];

	(void)state;
	path_of(le, "snaplens-le.pcapng");
	path_of(be, "snaplens-be.pcapng");
	path_of(gz, "snaplens-le.pcapng.gz");
	ng_mixed_snaplens(&g, false, at);
	write_bytes(le, g.b, g.n);
	gzip_file(le, gz);
	ng_mixed_snaplens(&g, true, at);
	write_bytes(be, g.b, g.n);
	assert_int_equal(run_paths(paths, 3, NULL, &s, et, sizeof(et)), CAPTURE_OK);
	if (et[0] != '\0')
		fail_msg("stderr was: %s", et);
	assert_int_equal(s.n, 15);
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.r[i].dlt, DLT_EN10MB);
		assert_int_equal(s.r[i].tag, i % 5 + 1);
		assert_int_equal(s.r[i].ts_us, 1700000000000001ULL + i % 5);
		assert_int_equal(s.r[i].caplen, 60);
		assert_int_equal(s.r[i].wirelen, 100);
	}
	assert_string_equal(s.r[5].file, be);
	assert_string_equal(s.r[10].file, gz);
	assert_int_equal(capture_counters(s.cap)->files, 3);
	assert_int_equal(capture_counters(s.cap)->files_incomplete, 0);
	capture_close(s.cap);
}

static void test_pcapng_linktypes_differ(void **state)
{
	char p[PATH_MAX], good[PATH_MAX], et[1024], want[PATH_MAX + 64];
	const char *paths[2] = {p, good};
	static struct ng g;
	static struct sink s;

	(void)state;
	path_of(p, "linktypes.pcapng");
	path_of(good, "after.pcap");
	memset(&g, 0, sizeof(g));
	ng_shb(&g);
	ng_idb(&g, DLT_EN10MB, 0);
	ng_epb(&g, 0, 1700000000000001ULL, 1);
	ng_idb(&g, 101 /* LINKTYPE_RAW */, 0);
	ng_epb(&g, 1, 1700000000000002ULL, 0x45);
	write_bytes(p, g.b, g.n);
	write_pcap(good, DLT_EN10MB, 1, 9, 1);
	assert_int_equal(run_paths(paths, 2, NULL, &s, et, sizeof(et)), CAPTURE_INCOMPLETE);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].tag, 1);
	assert_int_equal(s.r[1].tag, 9);
	snprintf(want, sizeof(want), "mxsentry: warning: %s: stopped after 1 packets", p);
	if (strstr(et, want) == NULL ||
	    strstr(et, "interfaces of different link types (1 and 101), which libpcap cannot "
		       "read in one file") == NULL)
		fail_msg("stderr was: %s", et);
	assert_int_equal(capture_counters(s.cap)->files_incomplete, 1);
	capture_close(s.cap);
}

static uint32_t le32_at(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void test_pcapng_norm_walk(void **state)
{
	static struct ng g, whole, piece;
	struct pcapng_norm n;
	size_t at[4], chunks[] = {1, 3, 7, 4096};
	uint8_t pcap_hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};

	(void)state;
	ng_mixed_snaplens(&g, false, at);
	whole = g;
	pcapng_norm_init(&n);
	pcapng_norm_feed(&n, whole.b, whole.n);
	assert_true(pcapng_norm_active(&n));
	assert_int_equal(n.idbs, 4);
	assert_int_equal(n.rewritten, 4);
	assert_int_equal(n.blocks, 2 + 4 + 5);
	assert_int_equal(n.first_linktype, DLT_EN10MB);
	assert_int_equal(n.other_linktype, -1);
	/* exactly the snapshot lengths changed, to 0 */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(le32_at(whole.b + at[i] + 12), 0);
		memcpy(g.b + at[i] + 12, whole.b + at[i] + 12, 4);
	}
	assert_memory_equal(g.b, whole.b, g.n);
	/* the same whatever the pieces the stream comes in */
	ng_mixed_snaplens(&g, false, at);
	for (size_t c = 0; c < MX_ARRAY_LEN(chunks); c++) {
		piece = g;
		pcapng_norm_init(&n);
		for (size_t o = 0; o < piece.n; o += chunks[c])
			pcapng_norm_feed(&n, piece.b + o, MX_MIN(chunks[c], piece.n - o));
		assert_memory_equal(piece.b, whole.b, g.n);
		assert_int_equal(n.rewritten, 4);
	}
	/* big-endian: snapshot lengths zeroed, link type noted */
	ng_mixed_snaplens(&g, true, at);
	pcapng_norm_init(&n);
	pcapng_norm_feed(&n, g.b, g.n);
	assert_true(pcapng_norm_active(&n));
	assert_int_equal(n.first_linktype, DLT_EN10MB);
	for (int i = 0; i < 4; i++)
		assert_int_equal(le32_at(g.b + at[i] + 12), 0);
	/* a pcap file passes untouched */
	piece.n = sizeof(pcap_hdr);
	memcpy(piece.b, pcap_hdr, sizeof(pcap_hdr));
	pcapng_norm_init(&n);
	pcapng_norm_feed(&n, piece.b, piece.n);
	assert_false(pcapng_norm_active(&n));
	assert_memory_equal(piece.b, pcap_hdr, sizeof(pcap_hdr));
	/* broken framing (a length not a multiple of 4) stops the walk: the rest passes as it is */
	ng_mixed_snaplens(&g, false, at);
	g.b[at[1] + 4] = 21;
	piece = g;
	pcapng_norm_init(&n);
	pcapng_norm_feed(&n, piece.b, piece.n);
	assert_false(pcapng_norm_active(&n));
	assert_int_equal(n.rewritten, 1);
	assert_memory_equal(piece.b + at[1], g.b + at[1], g.n - at[1]);
	/* an IDB too short to hold a snapshot length */
	ng_mixed_snaplens(&g, false, at);
	g.b[at[0] + 4] = 16;
	pcapng_norm_init(&n);
	pcapng_norm_feed(&n, g.b, g.n);
	assert_false(pcapng_norm_active(&n));
	assert_int_equal(n.idbs, 0);
	/* a section header with a bad byte-order magic */
	ng_mixed_snaplens(&g, false, at);
	g.b[8] = 0x11;
	pcapng_norm_init(&n);
	pcapng_norm_feed(&n, g.b, g.n);
	assert_false(pcapng_norm_active(&n));
	assert_int_equal(le32_at(g.b + at[0] + 12), 4000);
}

/* ---- frames for filter tests ------------------------------------------------ */

static void w16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/*
 * Ethernet (ntags tags of tpid) + IPv4 with protocol proto, fragment field
 * frag and ports sport -> dport. Returns the frame length.
 */
static uint32_t frame_v4(uint8_t *f, uint16_t tpid, int ntags, uint8_t proto, uint16_t frag,
			 uint16_t sport, uint16_t dport)
{
	uint32_t n = 12;
	uint8_t *ip;

	memset(f, 0, 200);
	for (int i = 0; i < ntags; i++, n += 4) {
		w16(f + n, i == 0 ? tpid : 0x8100);
		w16(f + n + 2, (uint16_t)(100 + i));
	}
	w16(f + n, 0x0800);
	ip = f + n + 2;
	ip[0] = 0x45;
	w16(ip + 2, 40);
	w16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 192;
	ip[15] = 1;
	ip[16] = 198;
	ip[19] = 2;
	w16(ip + 20, sport);
	w16(ip + 22, dport);
	if (proto == IPPROTO_UDP)
		w16(ip + 24, 20);
	else
		ip[32] = 5 << 4;
	return n + 2 + 40;
}

/* Ethernet + IPv6 whose first next header is a fragment header. */
static uint32_t frame_v6_frag(uint8_t *f)
{
	memset(f, 0, 200);
	w16(f + 12, 0x86dd);
	f[14] = 0x60;
	w16(f + 18, 16);
	f[20] = 44;
	f[21] = 64;
	f[54] = IPPROTO_UDP;
	w16(f + 56, 8 | 1);
	return 14 + 40 + 16;
}

static bool matches(const struct bpf_program *prog, const uint8_t *f, uint32_t n)
{
	struct pcap_pkthdr h = {.caplen = n, .len = n};

	return pcap_offline_filter(prog, &h, f) != 0;
}

static void test_default_bpf(void **state)
{
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program prog, plain;
	uint8_t f[256];
	uint32_t n;

	(void)state;
	assert_non_null(pd);
	if (pcap_compile(pd, &prog, CAPTURE_DEFAULT_BPF, 1, PCAP_NETMASK_UNKNOWN) != 0)
		fail_msg("default filter: %s", pcap_geterr(pd));
	assert_int_equal(pcap_compile(pd, &plain, "tcp port 25", 1, PCAP_NETMASK_UNKNOWN), 0);

	n = frame_v4(f, 0, 0, IPPROTO_TCP, 0, 40000, 25);
	assert_true(matches(&prog, f, n));
	n = frame_v4(f, 0x8100, 1, IPPROTO_TCP, 0, 25, 40000);
	assert_true(matches(&prog, f, n));
	assert_false(matches(&plain, f, n)); /* why the default has a vlan branch */
	n = frame_v4(f, 0x88a8, 2, IPPROTO_TCP, 0, 40000, 587);
	assert_true(matches(&prog, f, n));
	n = frame_v4(f, 0x9100, 2, IPPROTO_TCP, 0, 40000, 465);
	assert_true(matches(&prog, f, n));
	n = frame_v4(f, 0x8100, 1, IPPROTO_UDP, 0, 5353, 53);
	assert_true(matches(&prog, f, n));
	n = frame_v4(f, 0, 0, IPPROTO_TCP, 0, 40000, 53);
	assert_true(matches(&prog, f, n));
	/* Every port the application layer names, plain and under one or two tags. */
	{
		struct app_config ac;
		const uint16_t *lists[3];

		app_config_defaults(&ac);
		lists[0] = ac.smtp_ports;
		lists[1] = ac.smtps_ports;
		lists[2] = ac.dns_ports;
		for (int l = 0; l < 3; l++) {
			for (int i = 0; i < APP_MAX_PORTS && lists[l][i] != 0; i++) {
				for (int tags = 0; tags <= 2; tags++) {
					n = frame_v4(f, 0x8100, tags, IPPROTO_TCP, 0, 40000,
						     lists[l][i]);
					if (!matches(&prog, f, n))
						fail_msg("port %u with %d tags not in the default "
							 "filter",
							 lists[l][i], tags);
					n = frame_v4(f, 0x8100, tags, IPPROTO_TCP, 0, lists[l][i],
						     40000);
					assert_true(matches(&prog, f, n));
				}
			}
		}
		n = frame_v4(f, 0x8100, 1, IPPROTO_TCP, 0, 40000, 2525);
		assert_true(matches(&prog, f, n));
	}
	/* a non-first IPv4 fragment carries no ports but may belong to DNS */
	n = frame_v4(f, 0x8100, 1, IPPROTO_UDP, 185, 0, 0);
	assert_true(matches(&prog, f, n));
	n = frame_v6_frag(f);
	assert_true(matches(&prog, f, n));
	n = frame_v4(f, 0, 0, IPPROTO_TCP, 0, 40000, 80);
	assert_false(matches(&prog, f, n));
	n = frame_v4(f, 0x8100, 1, IPPROTO_TCP, 0, 40000, 443);
	assert_false(matches(&prog, f, n));
	n = frame_v4(f, 0x88a8, 2, IPPROTO_UDP, 0, 5353, 123);
	assert_false(matches(&prog, f, n));
	n = frame_v4(f, 0, 0, IPPROTO_UDP, 0, 25, 25); /* UDP port 25 is not mail */
	assert_false(matches(&prog, f, n));
	pcap_freecode(&prog);
	pcap_freecode(&plain);
	pcap_close(pd);
}

static void test_offline_filter(void **state)
{
	char p[PATH_MAX], et[256];
	const char *paths[1] = {p};
	static struct sink s;
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *du;
	uint8_t f[256];

	(void)state;
	path_of(p, "mixed.pcap");
	du = pcap_dump_open(pd, p);
	assert_non_null(du);
	for (int i = 0; i < 4; i++) {
		uint32_t n = frame_v4(f, 0, 0, i % 2 ? IPPROTO_UDP : IPPROTO_TCP, 0, 1000,
				      (uint16_t)(i % 2 ? 53 : 80));
		struct pcap_pkthdr h = {.ts = {.tv_sec = i}, .caplen = n, .len = n};

		pcap_dump((u_char *)du, &h, f);
	}
	pcap_dump_close(du);
	pcap_close(pd);
	assert_int_equal(run_paths(paths, 1, "udp port 53", &s, et, sizeof(et)), CAPTURE_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].ts_us, 1000000);
	assert_int_equal(s.r[1].ts_us, 3000000);
	capture_close(s.cap);
}

static void on_tick(void *ctx)
{
	struct sink *s = ctx;

	if (++s->n >= 3)
		s->stop = 1;
}

static void ignore_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
			  uint32_t wirelen)
{
	(void)ctx;
	(void)dlt;
	(void)ts_us;
	(void)frame;
	(void)caplen;
	(void)wirelen;
}

static void test_live(void **state)
{
	struct capture_config cfg;
	char err[512] = "";
	struct capture *c;
	static struct sink s;
	struct timespec t0, t1;

	(void)state;
	capture_config_defaults(&cfg);
	cfg.iface = "mxnosuchif0";
	c = capture_open(&cfg, err, sizeof(err));
	assert_null(c);
	assert_non_null(strstr(err, "mxnosuchif0"));

	/* The loopback needs capture privileges; without them the rest is skipped. */
	cfg.iface = "lo";
	cfg.immediate = true;
	c = capture_open(&cfg, err, sizeof(err));
	if (c == NULL) {
		print_message("live capture on lo unavailable: %s\n", err);
		skip();
	}
	assert_true(capture_is_live(c));
	assert_int_equal(capture_datalink(c), DLT_EN10MB);
	assert_null(capture_current_file(c));
	memset(&s, 0, sizeof(s));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(capture_run(c, ignore_packet, on_tick, &s, &s.stop), CAPTURE_STOPPED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(s.n, 3);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 250);
	assert_false(capture_refresh_stats(c));
	capture_close(c);
}

static void test_counter_table(void **state)
{
	size_t n = 0;

	(void)state;
	for (const struct mx_counter_desc *c = capture_counter_desc; c->name; c++, n++)
		assert_true(strncmp(c->name, "capture.", 8) == 0);
	assert_int_equal(n, sizeof(struct capture_counters) / sizeof(uint64_t));
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/mxcap.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_files_in_order),
	    cmocka_unit_test(test_directory),
	    cmocka_unit_test(test_truncated_mid_record),
	    cmocka_unit_test(test_truncated_header),
	    cmocka_unit_test(test_truncated_gzip),
	    cmocka_unit_test(test_stdin_gzip),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_stop_flag),
	    cmocka_unit_test(test_pcapng_snaplens_differ),
	    cmocka_unit_test(test_pcapng_linktypes_differ),
	    cmocka_unit_test(test_pcapng_norm_walk),
	    cmocka_unit_test(test_default_bpf),
	    cmocka_unit_test(test_offline_filter),
	    cmocka_unit_test(test_live),
	    cmocka_unit_test(test_counter_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
