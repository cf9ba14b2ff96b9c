/*
 * main.c - the mxsentry command line: reads options, sets up outputs and
 * the pipeline, runs the capture, handles signals, and reports.
 *
 * Exit status: 0 success; 1 error (bad configuration, unreadable input,
 * output not writable); 2 usage error; 3 every input was read but at
 * least one capture file was truncated or corrupt (its packets up to the
 * cut were processed and their events written).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "correlate.h"
#include "eve.h"
#include "pipeline.h"
#include "report.h"

#define MX_VERSION "0.1.0"
#define MAX_INPUTS 256

enum exit_code { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2, EXIT_INCOMPLETE = 3 };

struct options {
	const char *inputs[MAX_INPUTS];
	size_t n_inputs;
	const char *iface;
	const char *bpf;
	const char *config;
	const char *rules_dir;
	const char *policy_files[16];
	size_t n_policy_files;
	const char *log_dir;
	const char *eve_path;
	const char *trust_anchor;
	const char *user, *group;
	const char *pidfile;
	bool check_only, quiet, all_traffic, redact;
	int snaplen, buffer_mib, promisc, immediate;
	long stats_interval;
};

static volatile sig_atomic_t stop_flag, hup_flag, usr1_flag;

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
	fprintf(out,
		"usage: mxsentry [-r FILE|DIR|- ...] [-i IFACE] [options]\n"
		"  -r FILE       read a capture (pcap, pcapng, gzip; a directory; - for stdin); repeatable\n"
		"  -i IFACE      capture live on IFACE\n"
		"  -f BPF        capture filter (live default: mail and DNS ports, VLAN-tagged too)\n"
		"  -c FILE       configuration file (YAML)\n"
		"  -R DIR        rules and policies directory\n"
		"  -p FILE       one more policy file (repeatable)\n"
		"  -l DIR        log directory (default .)\n"
		"  -e PATH       EVE output (default LOGDIR/eve.json; - for stdout)\n"
		"  -T, --check   validate configuration, rules and policies, then exit\n"
		"  -u USER       drop privileges to USER once the capture is open\n"
		"  -g GROUP      drop privileges to GROUP once the capture is open\n"
		"  -q            no progress line and no summary on stderr\n"
		"  --trust-anchor FILE   DS/DNSKEY lines (zone-file format) replacing the root anchors\n"
		"  --snaplen N, --buffer-size MIB, --no-promisc, --immediate\n"
		"  --all-traffic         live: no filter, nDPI finds SMTP/DNS on any port\n"
		"  --stats-interval SEC  write a stats record every SEC seconds (live default 60)\n"
		"  --redact              hide local parts of mail addresses\n"
		"  --pidfile FILE        write the process id to FILE\n"
		"  -V, --version   -h, --help\n"
		"exit status: 0 ok, 1 error, 2 usage, 3 an input capture was truncated or corrupt\n");
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

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { O_TA = 256, O_SNAP, O_BUF, O_NOPROMISC, O_IMM, O_ALL, O_STATS, O_REDACT, O_PID };
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
		{NULL, 0, NULL, 0},
	};
	int c;
	long v;

	memset(o, 0, sizeof(*o));
	o->promisc = -1;
	o->immediate = -1;
	o->stats_interval = -1;
	while ((c = getopt_long(argc, argv, "r:i:f:c:R:p:l:e:Tu:g:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->n_inputs == MAX_INPUTS) {
				fprintf(stderr, "mxsentry: too many -r inputs (at most %d)\n",
					MAX_INPUTS);
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
	if (!o->check_only && o->n_inputs == 0 && o->iface == NULL) {
		fprintf(stderr, "mxsentry: nothing to read: give -r FILE or -i IFACE\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->n_inputs > 0 && o->iface != NULL) {
		fprintf(stderr, "mxsentry: -r and -i exclude each other\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static bool drop_privileges(const char *user, const char *group)
{
	gid_t gid = (gid_t)-1;
	uid_t uid = (uid_t)-1;

	if (user == NULL && group == NULL)
		return true;
	if (user != NULL) {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL) {
			fprintf(stderr, "mxsentry: unknown user '%s'\n", user);
			return false;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr == NULL) {
			fprintf(stderr, "mxsentry: unknown group '%s'\n", group);
			return false;
		}
		gid = gr->gr_gid;
	}
	if (gid != (gid_t)-1 && (setgroups(0, NULL) != 0 || setgid(gid) != 0)) {
		fprintf(stderr, "mxsentry: cannot change group: %s\n", strerror(errno));
		return false;
	}
	if (uid != (uid_t)-1 && setuid(uid) != 0) {
		fprintf(stderr, "mxsentry: cannot change user: %s\n", strerror(errno));
		return false;
	}
	return true;
}

static bool write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "mxsentry: %s: %s\n", path, strerror(errno));
		return false;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0;
}

struct run_ctx {
	struct pipeline *pipe;
	struct capture *cap;
	struct eve *eve;
	struct report *report;
	bool live;
	bool warned_drops;
};

static void on_tick(void *ctx)
{
	struct run_ctx *r = ctx;

	if (hup_flag) {
		hup_flag = 0;
		eve_reopen(r->eve);
	}
	if (usr1_flag) {
		usr1_flag = 0;
		pipeline_write_stats(r->pipe);
	}
	if (r->live) {
		struct timespec now;

		if (capture_refresh_stats(r->cap) && !r->warned_drops) {
			fprintf(stderr, "mxsentry: warning: the kernel is dropping packets (%llu so far)\n",
				(unsigned long long)capture_counters(r->cap)->kernel_drops);
			r->warned_drops = true;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		pipeline_tick(r->pipe, (uint64_t)now.tv_sec * MX_USEC + (uint64_t)now.tv_nsec / 1000);
		eve_flush(r->eve);
	}
	if (r->report != NULL)
		report_progress(r->report, r->cap);
}

static void on_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
		      uint32_t wirelen)
{
	struct run_ctx *r = ctx;

	pipeline_packet(r->pipe, dlt, ts_us, frame, caplen, wirelen);
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

static bool open_outputs(const struct options *o, struct eve *eve)
{
	char path[4096], err[512];
	const char *p = o->eve_path;

	if (p == NULL) {
		snprintf(path, sizeof(path), "%s/eve.json", o->log_dir ? o->log_dir : ".");
		p = path;
	} else if (strcmp(p, "-") != 0 && p[0] != '/' && o->log_dir != NULL) {
		snprintf(path, sizeof(path), "%s/%s", o->log_dir, p);
		p = path;
	}
	if (!eve_add_file(eve, p, EVE_ALL, err, sizeof(err))) {
		fprintf(stderr, "mxsentry: cannot open EVE output %s\n", err);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct options o;
	struct capture_config ccfg;
	struct pipeline_config pcfg;
	struct correlate_config kcfg;
	struct run_ctx r;
	struct correlate *corr = NULL;
	enum capture_result res;
	char err[512] = "";
	int rc;

	rc = parse_options(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	if (o.check_only) {
		printf("mxsentry: configuration OK\n");
		return EXIT_OK;
	}

	memset(&r, 0, sizeof(r));
	capture_config_defaults(&ccfg);
	ccfg.paths = o.inputs;
	ccfg.n_paths = o.n_inputs;
	ccfg.iface = o.iface;
	ccfg.bpf = o.bpf;
	ccfg.watch_all = o.all_traffic;
	if (o.snaplen)
		ccfg.snaplen = o.snaplen;
	if (o.buffer_mib)
		ccfg.buffer_mib = o.buffer_mib;
	if (o.promisc >= 0)
		ccfg.promisc = o.promisc != 0;
	if (o.immediate >= 0)
		ccfg.immediate = o.immediate != 0;

	pipeline_config_defaults(&pcfg);
	pcfg.app.redact_local_parts = o.redact;
	if (o.iface != NULL)
		pcfg.stats_interval_s = 60;
	if (o.stats_interval >= 0)
		pcfg.stats_interval_s = (uint32_t)o.stats_interval;
	correlate_config_defaults(&kcfg);

	r.cap = capture_open(&ccfg, err, sizeof(err));
	if (r.cap == NULL) {
		fprintf(stderr, "mxsentry: %s\n", err);
		return EXIT_ERR;
	}
	r.live = capture_is_live(r.cap);
	if (!drop_privileges(o.user, o.group)) {
		capture_close(r.cap);
		return EXIT_ERR;
	}
	if (o.pidfile != NULL && !write_pidfile(o.pidfile)) {
		capture_close(r.cap);
		return EXIT_ERR;
	}
	r.eve = eve_new();
	if (r.eve == NULL || !open_outputs(&o, r.eve)) {
		eve_free(r.eve);
		capture_close(r.cap);
		return EXIT_ERR;
	}
	kcfg.trust_anchor_file = o.trust_anchor;
	corr = correlate_new(&kcfg, r.eve, err, sizeof(err));
	r.pipe = corr ? pipeline_new(&pcfg, r.eve, corr, err, sizeof(err)) : NULL;
	if (r.pipe == NULL) {
		fprintf(stderr, "mxsentry: %s\n", err[0] ? err : "out of memory");
		correlate_free(corr);
		eve_free(r.eve);
		capture_close(r.cap);
		return EXIT_ERR;
	}
	pipeline_add_stats_source(r.pipe, capture_counters(r.cap), capture_counter_desc);
	correlate_add_stats_sources(corr, r.pipe);
	if (!o.quiet && !r.live && isatty(STDERR_FILENO))
		r.report = report_new(r.pipe, corr);
	if (install_signals() != 0) {
		fprintf(stderr, "mxsentry: cannot install signal handlers\n");
		return EXIT_ERR;
	}

	res = capture_run(r.cap, on_packet, on_tick, &r, &stop_flag);
	pipeline_flush(r.pipe);
	if (r.live)
		capture_refresh_stats(r.cap);
	pipeline_write_stats(r.pipe);
	eve_flush(r.eve);
	if (r.report != NULL) {
		report_summary(r.report, stderr);
		report_free(r.report);
	}

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
	pipeline_free(r.pipe);
	correlate_free(corr);
	eve_free(r.eve);
	capture_close(r.cap);
	if (o.pidfile != NULL)
		unlink(o.pidfile);
	return rc;
}
