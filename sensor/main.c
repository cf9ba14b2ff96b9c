/*
 * main.c - the mxsentry command line: reads options, sets up outputs and
 * the pipeline, runs the capture, handles signals, and reports.
 *
 * Exit status: 0 success; 1 error (unreadable input, output not
 * writable, a failed -T check); 2 usage or start-up error (bad option or
 * configuration, unknown user or group, bad capture filter, an interface
 * that cannot be opened); 3 every input was read but at least one capture
 * file was truncated or corrupt (its packets up to the cut were processed
 * and their events written).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "compliance/compliance.h"
#include "conf/config_dump.h"
#include "correlate/correlate.h"
#include "git_rev.h" /* MX_GIT_REV, written by the build */
#include "output/eve.h"
#include "output/redis_out.h"
#include "correlate/correlate_state.h"
#include "run/persist.h"
#include "state/state_redis.h"
#include "run/daemon.h"
#include "run/operator.h"
#include "run/pipeline.h"
#include "run/report.h"
#include "run/setup.h"
#include "run/state_show.h"
#include "run/summary_file.h"
#include "run/worker.h"

#define MX_VERSION "0.1.0"

enum exit_code { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2, EXIT_INCOMPLETE = 3 };

static volatile sig_atomic_t stop_flag, hup_flag, usr1_flag;

/* What to do instead of a run: print something about the sensor and exit. */
static struct {
	bool list_rules, dump_config;
} mode;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_flag = 1;
	else if (sig == SIGUSR1)
		usr1_flag = 1;
	else
		stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: mxsentry [-r FILE|DIR|- ...] [-i IFACE] [options]\n"
	    "       mxsentry state show [--state FILE | -c CONFIG] [DOMAIN|HOST|ADDRESS]\n"
	    "  -r FILE       read a capture (pcap, pcapng, gzip; a directory; - for stdin); "
	    "repeatable\n"
	    "  -i IFACE      capture live on IFACE\n"
	    "  -f BPF        capture filter (live default: mail and DNS ports, VLAN-tagged too)\n"
	    "  -c FILE       configuration file (YAML)\n"
	    "  -R DIR        rules and policies directory\n"
	    "  -p FILE       one more policy file (repeatable)\n"
	    "  -l DIR        log directory (default .)\n"
	    "  -e PATH       EVE output (default LOGDIR/eve.json; - for stdout)\n"
	    "  -T, --check   validate configuration, rules and policies, then exit\n"
	    "  --state FILE  keep what was learned in FILE (SQLite) across runs\n"
	    "  --state redis://[user:pw@]host:port/db?ns=NAME&sensor=NAME\n"
	    "                share it with the other sensors of namespace NAME\n"
	    "  -u USER       drop privileges to USER once the capture, pid file and outputs\n"
	    "                are open\n"
	    "  -g GROUP      drop privileges to GROUP (default: the group of -u USER)\n"
	    "  -q            no progress line and no summary on stderr\n"
	    "  -k all|none|auto  checksums checked (default auto: not for a source whose\n"
	    "                first packets mostly fail, as with checksum offload)\n"
	    "  --trust-anchor FILE   DS/DNSKEY lines (zone-file format) replacing the root "
	    "anchors\n"
	    "  --snaplen N, --buffer-size MIB, --no-promisc, --immediate\n"
	    "  --all-traffic         live: no filter, nDPI finds SMTP/DNS on any port\n"
	    "  --stats-interval SEC  write a stats record every SEC seconds (live default 60)\n"
	    "  --redact              hide local parts of mail addresses\n"
	    "  --ca-file FILE        trusted roots (PEM) for MTA-STS instead of the system store\n"
	    "  --pidfile FILE        write the process id to FILE\n"
	    "  --workers N           live: N worker threads, flows spread by address pair\n"
	    "                        (default: the online CPUs, or workers: in the file);\n"
	    "                        offline runs always use one thread in packet order, so\n"
	    "                        the same input gives the same output whatever N\n"
	    "  --worker-queue MIB    live: each worker's queue (default 16; full: dropped, "
	    "counted)\n"
	    "  --home-net CIDR[,CIDR...]  our side: smtp records say direction and destination\n"
	    "  --mail-relays CIDR[,...]   our sending MTAs (counted as home-net)\n"
	    "  --summary FILE        write the end-of-run summary as JSON to FILE (live: at\n"
	    "                        every stats interval too)\n"
	    "  --build-info          version, git revision, libraries, features; exit\n"
	    "  --list-rules          one line per rule (sid, rev, kind, severity, enabled,\n"
	    "                        threshold) after -c/-R; exit\n"
	    "  --dump-config         the effective configuration as YAML -c accepts; exit\n"
	    "  --isolate             offline: every input file starts a new timeline (nothing\n"
	    "                        learned from one file judges another); without it a\n"
	    "                        file that starts before the last packet seen does so\n"
	    "  -V, --version   -h, --help\n"
	    "       mxsentry report -o DIR [options] EVE... (mxsentry report -h)\n"
	    "exit status: 0 ok, 1 error, 2 usage or start-up error, 3 an input capture was "
	    "truncated or corrupt\n");
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_options(int argc, char **argv, struct cli_options *o)
{
	enum {
		O_TA = 256,
		O_SNAP,
		O_BUF,
		O_NOPROMISC,
		O_IMM,
		O_ALL,
		O_STATS,
		O_REDACT,
		O_PID,
		O_WORKERS,
		O_WQUEUE,
		O_STATE,
		O_HOMENET,
		O_RELAYS,
		O_SUMMARY,
		O_BUILD_INFO,
		O_LIST_RULES,
		O_DUMP_CONFIG,
		O_ISOLATE,
		O_CAFILE
	};
	static const struct option longopts[] = {
	    {"check", no_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"trust-anchor", required_argument, NULL, O_TA},
	    {"snaplen", required_argument, NULL, O_SNAP},
	    {"buffer-size", required_argument, NULL, O_BUF},
	    {"no-promisc", no_argument, NULL, O_NOPROMISC},
	    {"immediate", no_argument, NULL, O_IMM},
	    {"all-traffic", no_argument, NULL, O_ALL},
	    {"stats-interval", required_argument, NULL, O_STATS},
	    {"redact", no_argument, NULL, O_REDACT},
	    {"pidfile", required_argument, NULL, O_PID},
	    {"workers", required_argument, NULL, O_WORKERS},
	    {"worker-queue", required_argument, NULL, O_WQUEUE},
	    {"state", required_argument, NULL, O_STATE},
	    {"home-net", required_argument, NULL, O_HOMENET},
	    {"mail-relays", required_argument, NULL, O_RELAYS},
	    {"summary", required_argument, NULL, O_SUMMARY},
	    {"build-info", no_argument, NULL, O_BUILD_INFO},
	    {"list-rules", no_argument, NULL, O_LIST_RULES},
	    {"dump-config", no_argument, NULL, O_DUMP_CONFIG},
	    {"isolate", no_argument, NULL, O_ISOLATE},
	    {"ca-file", required_argument, NULL, O_CAFILE},
	    {NULL, 0, NULL, 0},
	};
	int c;
	long v;

	memset(o, 0, sizeof(*o));
	o->promisc = -1;
	o->immediate = -1;
	o->stats_interval = -1;
	while ((c = getopt_long(argc, argv, "r:i:f:c:R:p:l:e:Tu:g:qk:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->n_inputs == SETUP_MAX_INPUTS) {
				fprintf(stderr, "mxsentry: too many -r inputs (at most %d)\n",
					SETUP_MAX_INPUTS);
				return EXIT_USAGE;
			}
			o->inputs[o->n_inputs++] = optarg;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'f':
			o->bpf = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'R':
			o->rules_dir = optarg;
			break;
		case 'p':
			if (o->n_policy_files == MX_ARRAY_LEN(o->policy_files)) {
				fprintf(stderr, "mxsentry: too many -p files\n");
				return EXIT_USAGE;
			}
			o->policy_files[o->n_policy_files++] = optarg;
			break;
		case 'l':
			o->log_dir = optarg;
			break;
		case 'e':
			o->eve_path = optarg;
			break;
		case 'T':
			o->check_only = true;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'k':
			if (strcmp(optarg, "all") != 0 && strcmp(optarg, "none") != 0 &&
			    strcmp(optarg, "auto") != 0) {
				fprintf(stderr, "mxsentry: -k: all, none or auto expected\n");
				return EXIT_USAGE;
			}
			o->checksums = optarg;
			break;
		case 'V':
			printf("mxsentry %s\n", MX_VERSION);
			exit(EXIT_OK);
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case O_TA:
			o->trust_anchor = optarg;
			break;
		case O_SNAP:
			if (!parse_long(optarg, 64, 262144, &v)) {
				fprintf(stderr, "mxsentry: --snaplen: 64..262144 expected\n");
				return EXIT_USAGE;
			}
			o->snaplen = (int)v;
			break;
		case O_BUF:
			if (!parse_long(optarg, 1, 4096, &v)) {
				fprintf(stderr, "mxsentry: --buffer-size: 1..4096 MiB expected\n");
				return EXIT_USAGE;
			}
			o->buffer_mib = (int)v;
			break;
		case O_NOPROMISC:
			o->promisc = 0;
			break;
		case O_IMM:
			o->immediate = 1;
			break;
		case O_ALL:
			o->all_traffic = true;
			break;
		case O_STATS:
			if (!parse_long(optarg, 0, 86400, &v)) {
				fprintf(stderr, "mxsentry: --stats-interval: 0..86400 expected\n");
				return EXIT_USAGE;
			}
			o->stats_interval = v;
			break;
		case O_REDACT:
			o->redact = true;
			break;
		case O_PID:
			o->pidfile = optarg;
			break;
		case O_WORKERS:
			if (!parse_long(optarg, 1, WORKER_MAX, &v)) {
				fprintf(stderr, "mxsentry: --workers: 1..%d expected\n",
					WORKER_MAX);
				return EXIT_USAGE;
			}
			o->workers = (int)v;
			break;
		case O_CAFILE:
			o->ca_file = optarg;
			break;
		case O_WQUEUE:
			if (!parse_long(optarg, 1, 1024, &v)) {
				fprintf(stderr, "mxsentry: --worker-queue: 1..1024 MiB expected\n");
				return EXIT_USAGE;
			}
			o->worker_queue_mib = (int)v;
			break;
		case O_STATE:
			o->state = optarg;
			break;
		case O_HOMENET:
			o->home_net = optarg;
			break;
		case O_RELAYS:
			o->mail_relays = optarg;
			break;
		case O_SUMMARY:
			o->summary = optarg;
			break;
		case O_BUILD_INFO:
			operator_build_info(stdout, MX_VERSION, MX_GIT_REV);
			exit(EXIT_OK);
		case O_LIST_RULES:
			mode.list_rules = true;
			break;
		case O_DUMP_CONFIG:
			mode.dump_config = true;
			break;
		case O_ISOLATE:
			o->isolate = true;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mxsentry: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->n_inputs > 0 && o->iface != NULL) {
		fprintf(stderr, "mxsentry: -r and -i exclude each other\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

struct run_ctx {
	struct pipeline *pipe;	  /* one thread: offline, or live with one worker */
	struct worker_pool *pool; /* live with several workers */
	struct capture *cap;
	struct eve *eve;
	struct correlate *corr;
	struct threshold_ctx *thr;
	struct setup *reloaded; /* the last reload's setup: its rules back thr */
	const struct cli_options *opts;
	struct report *report;
	struct persist *state;	 /* --state; NULL: in memory only */
	bool state_failed;	 /* the state could not be loaded: exit 2 */
	const char *file;	 /* the capture file being read, for pcap_filename */
	uint64_t next_stats_us;	 /* live, one pipeline: when the next stats record is due */
	uint32_t stats_interval; /* live, one pipeline: seconds between stats records */
	uint64_t timelines;	 /* timelines started because a file went back in time */
	bool live;
	bool warned_drops;
	bool warned_queue_drops;
	const char *summary;	   /* --summary FILE, or NULL */
	uint64_t summary_every_us; /* live: rewrite interval (the stats interval); 0: at the end */
	uint64_t next_summary_us, start_us;
	bool warned_summary;
};

static uint64_t wall_us(void)
{
	return mx_clock_us(CLOCK_REALTIME);
}

/*
 * SIGHUP: loads configuration, rules and policies again. When they are
 * good, the rules, the suppression/threshold filter and the policies are
 * replaced (under the correlate stage's lock: workers go on meanwhile);
 * flows, caches and history stay. When they are not, every error is
 * reported and the running configuration is kept.
 */
static void reload(struct run_ctx *r)
{
	struct setup *st = malloc(sizeof(*st)), *old = NULL;
	struct threshold_ctx *thr;

	if (st == NULL) {
		fprintf(stderr,
			"mxsentry: reload: out of memory; the running configuration stays\n");
		return;
	}
	if (!setup_load(st, r->opts)) {
		mx_errors_print(&st->errs, stderr);
		fprintf(stderr,
			"mxsentry: reload refused (%zu errors); the running configuration stays\n",
			mx_errors_count(&st->errs));
		setup_free(st);
		free(st);
		return;
	}
	correlate_lock(r->corr);
	thr = setup_apply(st, r->corr);
	if (thr != NULL) {
		/* The filter refers to the thresholds of st: st lives as long as it. */
		threshold_ctx_free(r->thr);
		r->thr = thr;
		old = r->reloaded;
		r->reloaded = st;
	}
	correlate_unlock(r->corr);
	if (thr == NULL) {
		fprintf(stderr, "mxsentry: reload: out of memory; the running filter stays\n");
		setup_free(st);
		free(st);
		return;
	}
	if (r->pool != NULL)
		worker_pool_replace_stats_source(r->pool, threshold_counter_desc,
						 threshold_ctx_counters(thr));
	else
		pipeline_replace_stats_source(r->pipe, threshold_counter_desc,
					      threshold_ctx_counters(thr));
	if (old != NULL) {
		setup_free(old);
		free(old);
	}
	fprintf(stderr, "mxsentry: configuration, rules and policies reloaded\n");
}

/* Live, the stats record carries the wall clock; offline, the packet time. */
static void write_stats(struct run_ctx *r)
{
	uint64_t now = wall_us();

	if (r->pool != NULL)
		worker_pool_write_stats(r->pool, now);
	else if (r->live)
		pipeline_write_stats_at(r->pipe, now,
					now > r->start_us ? (now - r->start_us) / MX_USEC : 0);
	else
		pipeline_write_stats(r->pipe);
}

static uint64_t run_counter(void *ctx, const char *name)
{
	struct run_ctx *r = ctx;
	const struct stats_source *src;
	size_t n;

	if (r->pool != NULL)
		return worker_pool_counter(r->pool, name);
	n = pipeline_stats_sources(r->pipe, &src);
	return stats_get(src, n, name);
}

/* Writes the --summary file; false (once with a message) when it cannot. */
static bool write_summary_file(struct run_ctx *r, bool final)
{
	char err[512];

	if (summary_write_json(r->summary, r->corr, run_counter, r, final,
			       (double)(wall_us() - r->start_us) / 1e6, err, sizeof(err)))
		return true;
	if (!r->warned_summary || final)
		fprintf(stderr, "mxsentry: cannot write the summary: %s\n", err);
	r->warned_summary = true;
	return false;
}

/* Live with one pipeline: the periodic stats record, on the wall clock. */
static void stats_tick(struct run_ctx *r)
{
	uint64_t now = wall_us();

	if (r->stats_interval == 0 || now < r->next_stats_us)
		return;
	r->next_stats_us = now + r->stats_interval * MX_USEC;
	write_stats(r);
}

static void on_tick(void *ctx)
{
	struct run_ctx *r = ctx;

	if (hup_flag) {
		hup_flag = 0;
		eve_reopen(r->eve);
		reload(r);
	}
	if (usr1_flag) {
		usr1_flag = 0;
		write_stats(r);
	}
	if (r->state != NULL && !r->state_failed)
		correlate_poll_state(r->corr, 4096);
	if (r->live) {
		if (capture_refresh_stats(r->cap) && !r->warned_drops) {
			fprintf(stderr,
				"mxsentry: warning: the kernel is dropping packets (%llu so far)\n",
				(unsigned long long)capture_counters(r->cap)->kernel_drops);
			r->warned_drops = true;
		}
		if (r->pool != NULL && !r->warned_queue_drops &&
		    worker_pool_queue_drops(r->pool) > 0) {
			fprintf(
			    stderr,
			    "mxsentry: warning: worker queues are full, frames are being dropped "
			    "(%llu so far; stats.workers.wN.queue_drops says where)\n",
			    (unsigned long long)worker_pool_queue_drops(r->pool));
			r->warned_queue_drops = true;
		}
		if (r->pool != NULL) {
			worker_pool_tick(r->pool, wall_us());
		} else {
			pipeline_tick(r->pipe, wall_us());
			stats_tick(r);
		}
		eve_flush(r->eve);
		if (r->summary != NULL && r->summary_every_us > 0 &&
		    wall_us() >= r->next_summary_us) {
			r->next_summary_us = wall_us() + r->summary_every_us;
			write_summary_file(r, false);
		}
	}
	if (r->report != NULL)
		report_progress(r->report, r->cap);
}

/*
 * A new input file: with --isolate, or when its first packet is older than
 * the last packet already seen (an unrelated capture), everything learned
 * so far is forgotten and packet time starts again. The first such file
 * is named on stderr; the rest are counted (end of run, and
 * stats.pipeline.timelines). True when a new timeline was started.
 */
static bool maybe_new_timeline(struct run_ctx *r, const char *file, uint64_t ts_us)
{
	uint64_t last = pipeline_last_ts(r->pipe);

	if (!r->opts->isolate && (last == 0 || ts_us >= last))
		return false;
	pipeline_new_timeline(r->pipe);
	persist_new_timeline(r->state, file);
	correlate_forget(r->corr);
	if (r->opts->isolate)
		return true;
	if (r->timelines++ == 0)
		fprintf(stderr,
			"mxsentry: %s starts %.3f s before the last packet already seen: "
			"new timeline (nothing learned from earlier files judges it; "
			"--isolate does this for every file)\n",
			file, (double)(last - ts_us) / 1e6);
	return true;
}

static void on_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
		      uint32_t wirelen)
{
	struct run_ctx *r = ctx;
	const char *file = capture_current_file(r->cap);
	char err[512];

	if (r->state != NULL && !persist_packet(r->state, ts_us, err, sizeof(err))) {
		fprintf(stderr, "mxsentry: %s\n", err);
		r->state_failed = true;
		stop_flag = 1;
		return;
	}
	if (file != r->file) {
		/* Flows that time out in the gap before this file's first packet
		   are written under the file they were seen in. */
		if (r->file != NULL && !maybe_new_timeline(r, file, ts_us))
			pipeline_tick(r->pipe, ts_us);
		r->file = file;
		eve_set_pcap_filename(r->eve, file);
	}
	pipeline_packet(r->pipe, dlt, ts_us, frame, caplen, wirelen);
}

/* Live with workers: the capture thread only hands frames out. */
static void on_packet_pool(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame,
			   uint32_t caplen, uint32_t wirelen)
{
	struct run_ctx *r = ctx;

	worker_pool_packet(r->pool, dlt, ts_us, frame, caplen, wirelen);
}

/*
 * Builds what processes the packets: one pipeline, or (live with more
 * than one worker) the worker pool; and registers the counter tables of
 * the stats record. False with a message in err.
 */
static bool build_processing(struct run_ctx *r, const struct setup *st,
			     const struct pipeline_config *pcfg, char *err, size_t errlen)
{
	if (r->live && st->cfg.workers > 1) {
		struct worker_pool_config wcfg;

		worker_pool_config_defaults(&wcfg);
		wcfg.workers = st->cfg.workers;
		if (r->opts->worker_queue_mib > 0)
			wcfg.queue_bytes = (size_t)r->opts->worker_queue_mib << 20;
		wcfg.pipe = *pcfg;
		wcfg.stats_interval_s = pcfg->stats_interval_s;
		r->pool = worker_pool_new(&wcfg, r->eve, r->corr, err, errlen);
		if (r->pool == NULL)
			return false;
		worker_pool_add_stats_source(r->pool, capture_counters(r->cap),
					     capture_counter_desc, false);
		worker_pool_add_stats_source(r->pool, threshold_ctx_counters(r->thr),
					     threshold_counter_desc, true);
		if (redis_out_open_count() > 0)
			worker_pool_add_stats_source(r->pool, redis_out_counters(),
						     redis_counter_desc, false);
		return true;
	}
	if (r->live) {
		/* The periodic stats record follows the wall clock, not packet time. */
		struct pipeline_config live_cfg = *pcfg;

		r->stats_interval = pcfg->stats_interval_s;
		r->next_stats_us = wall_us() + r->stats_interval * MX_USEC;
		live_cfg.stats_interval_s = 0;
		r->pipe = pipeline_new(&live_cfg, r->eve, r->corr, err, errlen);
	} else {
		r->pipe = pipeline_new(pcfg, r->eve, r->corr, err, errlen);
	}
	if (r->pipe == NULL)
		return false;
	pipeline_add_stats_source(r->pipe, eve_counters(r->eve), eve_counter_desc);
	pipeline_add_stats_source(r->pipe, capture_counters(r->cap), capture_counter_desc);
	pipeline_add_stats_source(r->pipe, threshold_ctx_counters(r->thr), threshold_counter_desc);
	if (redis_out_open_count() > 0)
		pipeline_add_stats_source(r->pipe, redis_out_counters(), redis_counter_desc);
	struct stats_source corr_src[8];
	size_t ncorr = correlate_stats_sources(r->corr, corr_src, MX_ARRAY_LEN(corr_src));

	for (size_t i = 0; i < ncorr; i++)
		pipeline_add_stats_source(r->pipe, corr_src[i].base, corr_src[i].desc);
	return true;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGHUP, &sa, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Prints every configuration error and says the sensor will not start. */
static void report_errors(const struct setup *st, bool check_only)
{
	mx_errors_print(&st->errs, stderr);
	fprintf(stderr, "mxsentry: %zu error%s in the configuration; %s\n",
		mx_errors_count(&st->errs), mx_errors_count(&st->errs) == 1 ? "" : "s",
		check_only ? "check failed" : "not starting");
}

int main(int argc, char **argv)
{
	struct cli_options o;
	struct setup st;
	struct capture_config ccfg;
	struct pipeline_config pcfg;
	struct correlate_config kcfg;
	struct run_ctx r;
	struct correlate *corr = NULL;
	struct threshold_ctx *thr = NULL;
	struct daemon_ids ids;
	struct pidfile pid = {.dirfd = -1};
	const char *paths[CONFIG_MAX_LIST];
	enum capture_result res;
	char err[512] = "";
	bool refused = false;
	int rc;

	if (argc > 1 && strcmp(argv[1], "state") == 0)
		return state_show_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return compliance_main(argc - 1, argv + 1);
	rc = parse_options(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	if (mode.list_rules || mode.dump_config)
		o.check_only = true; /* no input needed */
	if (!setup_load(&st, &o)) {
		report_errors(&st, o.check_only);
		setup_free(&st);
		return o.check_only ? EXIT_ERR : EXIT_USAGE;
	}
	if (mode.list_rules || mode.dump_config) {
		if (mode.list_rules)
			operator_list_rules(&st.rules, stdout);
		if (mode.dump_config)
			config_dump(&st.cfg, stdout);
		setup_free(&st);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERR;
	}
	if (o.check_only) {
		operator_check_report(&st, stdout);
		printf("mxsentry: configuration OK (%zu policies)\n",
		       policy_set_count(st.policies));
		setup_free(&st);
		return EXIT_OK;
	}
	/* Start-up errors an operator can fix: said once, exit 2, nothing opened. */
	if (!daemon_resolve_ids(st.cfg.user[0] ? st.cfg.user : NULL,
				st.cfg.group[0] ? st.cfg.group : NULL, &ids, err, sizeof(err)) ||
	    (!st.live && st.cfg.capture.bpf[0] &&
	     !capture_check_filter(st.cfg.capture.bpf, err, sizeof(err)))) {
		fprintf(stderr, "mxsentry: %s\n", err);
		setup_free(&st);
		return EXIT_USAGE;
	}

	memset(&r, 0, sizeof(r));
	setup_capture_config(&st, &ccfg, paths);
	setup_pipeline_config(&st, &pcfg);
	setup_correlate_config(&st, &kcfg);

	r.cap = capture_open(&ccfg, err, sizeof(err));
	if (r.cap == NULL) {
		/* Live, an interface that cannot be opened is a start-up error. */
		rc = st.live ? EXIT_USAGE : EXIT_ERR;
		fprintf(stderr, "mxsentry: %s\n", err);
		setup_free(&st);
		return rc;
	}
	r.live = capture_is_live(r.cap);
	rc = EXIT_ERR;
	/* The pid file and the outputs are opened while the privileges last. */
	if (st.cfg.pid_file[0] && !pidfile_write(&pid, st.cfg.pid_file, err, sizeof(err))) {
		fprintf(stderr, "mxsentry: pid file %s\n", err);
		goto out_capture;
	}
	r.eve = eve_new();
	if (r.eve == NULL || !setup_outputs(&st, r.eve, &refused, err, sizeof(err))) {
		fprintf(stderr, "mxsentry: cannot open output: %s\n",
			err[0] ? err : "out of memory");
		if (refused)
			rc = EXIT_USAGE;
		goto out_eve;
	}
	/* So is the state store: its file, and the -wal and -shm beside it. */
	r.state = persist_open(st.cfg.state, st.cfg.state_max_rows, !r.live, err, sizeof(err));
	if (r.state == NULL && err[0] != '\0') {
		fprintf(stderr, "mxsentry: %s\n", err);
		rc = EXIT_USAGE;
		goto out_eve;
	}
	if (!daemon_drop_privileges(&ids, err, sizeof(err))) {
		fprintf(stderr, "mxsentry: %s\n", err);
		goto out_eve;
	}
	corr = correlate_new(&kcfg, err, sizeof(err));
	thr = corr != NULL ? setup_apply(&st, corr) : NULL;
	r.corr = corr;
	r.thr = thr;
	r.opts = &o;
	if (thr == NULL || !build_processing(&r, &st, &pcfg, err, sizeof(err))) {
		fprintf(stderr, "mxsentry: %s\n", err[0] ? err : "out of memory");
		goto out_pipe;
	}
	if (!persist_attach(r.state, corr, err, sizeof(err))) {
		fprintf(stderr, "mxsentry: %s\n", err);
		rc = EXIT_USAGE;
		goto out_pipe;
	}
	if (r.state != NULL && r.pool != NULL)
		worker_pool_add_stats_source(r.pool, state_counters(persist_state(r.state)),
					     state_counter_desc, true);
	else if (r.state != NULL)
		pipeline_add_stats_source(r.pipe, state_counters(persist_state(r.state)),
					  state_counter_desc);
	if (r.state != NULL && strcmp(state_backend_name(persist_state(r.state)), "redis") == 0) {
		if (r.pool != NULL)
			worker_pool_add_stats_source(r.pool, state_redis_counters(),
						     state_redis_counter_desc, false);
		else
			pipeline_add_stats_source(r.pipe, state_redis_counters(),
						  state_redis_counter_desc);
	}
	r.start_us = wall_us();
	if (st.cfg.summary_file[0]) {
		r.summary = st.cfg.summary_file;
		r.summary_every_us = (uint64_t)pcfg.stats_interval_s * MX_USEC;
		r.next_summary_us = r.start_us + r.summary_every_us;
	}
	if (!o.quiet && !r.live && isatty(STDERR_FILENO))
		r.report = report_new(r.pipe, corr);
	if (install_signals() != 0) {
		fprintf(stderr, "mxsentry: cannot install signal handlers\n");
		goto out_pipe;
	}
	if (r.live && !o.quiet)
		operator_start_line(&st, stderr);

	res = capture_run(r.cap, r.pool != NULL ? on_packet_pool : on_packet, on_tick, &r,
			  &stop_flag);
	if (r.pool != NULL)
		worker_pool_stop(r.pool); /* drains the queues, ends every worker's flows */
	else
		pipeline_flush(r.pipe);
	if (r.live)
		capture_refresh_stats(r.cap);
	eve_drain(r.eve); /* the last stats record counts what the Redis outputs sent */
	persist_sync(r.state);
	if (r.state != NULL)
		(void)state_counters(persist_state(r.state));
	write_stats(&r);
	eve_flush(r.eve);
	if (r.report != NULL)
		report_summary(r.report, stderr);
	if (r.timelines > 1)
		fprintf(stderr,
			"mxsentry: %llu files started a new timeline (earlier than the last "
			"packet seen)\n",
			(unsigned long long)r.timelines);

	switch (res) {
	case CAPTURE_ERROR:
		fprintf(stderr, "mxsentry: %s\n", capture_error(r.cap));
		rc = EXIT_ERR;
		break;
	case CAPTURE_INCOMPLETE:
		rc = EXIT_INCOMPLETE;
		break;
	default:
		rc = EXIT_OK;
		break;
	}
	if (r.state_failed)
		rc = EXIT_USAGE;
	if (r.summary != NULL && !write_summary_file(&r, true) && rc == EXIT_OK)
		rc = EXIT_ERR;
out_pipe:
	persist_close(r.state); /* before the stage it is attached to goes */
	r.state = NULL;
	report_free(r.report);
	worker_pool_free(r.pool);
	pipeline_free(r.pipe);
	correlate_free(corr);
	threshold_ctx_free(r.thr);
	if (r.reloaded != NULL) {
		setup_free(r.reloaded);
		free(r.reloaded);
	}
out_eve:
	persist_close(r.state);
	eve_free(r.eve);
	pidfile_remove(&pid);
out_capture:
	capture_close(r.cap);
	setup_free(&st);
	return rc;
}
