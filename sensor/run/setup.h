/*
 * setup.h - assembling the sensor's configuration: built-in defaults, then
 * the configuration file, then command-line flags; the rules (built in,
 * then the rules directory), the policies (rules directory, policy files
 * of the configuration and of -p) and the trust anchors, every error
 * collected as FILE:LINE:COLUMN: message. The sensor starts only when
 * nothing was reported: it never runs half-configured.
 */
#ifndef MX_SETUP_H
#define MX_SETUP_H

#include "capture/capture.h"
#include "conf/config.h"
#include "correlate/correlate.h"
#include "output/eve.h"
#include "run/pipeline.h"
#include "correlate/policy.h"
#include "correlate/rules.h"
#include "correlate/threshold.h"

#define SETUP_MAX_INPUTS       256
#define SETUP_MAX_POLICY_FILES 16

/* What the command line says; NULL / -1 / false: not given. */
struct cli_options {
	const char *inputs[SETUP_MAX_INPUTS];
	size_t n_inputs;
	const char *iface;
	const char *bpf;
	const char *config;
	const char *rules_dir;
	const char *policy_files[SETUP_MAX_POLICY_FILES];
	size_t n_policy_files;
	const char *log_dir;
	const char *eve_path;
	const char *trust_anchor;
	const char *user, *group;
	const char *pidfile;
	const char *state;		    /* --state FILE */
	const char *home_net, *mail_relays; /* --home-net, --mail-relays: CIDR lists */
	const char *summary;		    /* --summary FILE */
	bool check_only, quiet, all_traffic, redact;
	bool isolate; /* --isolate: every input file starts a new timeline */
	int snaplen, buffer_mib, promisc, immediate;
	long stats_interval;
	int workers;	       /* --workers; 0: not given */
	int worker_queue_mib;  /* --worker-queue; 0: not given */
	const char *checksums; /* -k all|none|auto; NULL: not given */
	const char *ca_file;   /* --ca-file; NULL: not given */
};

struct setup {
	struct mx_config cfg;
	struct ruleset rules;
	struct policy_set *policies;
	struct mx_errors errs;
	bool live;
};

/*
 * Loads everything in order (defaults < file < flags) and checks it.
 * Returns true when no error was reported; the errors are in s->errs.
 * s must be released with setup_free either way. workers, when neither
 * the file nor the flags set it, is the number of online CPUs for a live
 * run and 1 offline (offline runs use one thread whatever it says).
 */
bool setup_load(struct setup *s, const struct cli_options *o);
void setup_free(struct setup *s);

/* The stage configurations; pointers in them refer into s. */
void setup_capture_config(const struct setup *s, struct capture_config *cc, const char **paths);
void setup_pipeline_config(const struct setup *s, struct pipeline_config *pc);
void setup_correlate_config(const struct setup *s, struct correlate_config *kc);

/*
 * Opens the configured outputs on e; false with a message in err, and
 * *refused set when a Redis server refused the login or (offline) cannot
 * be reached, or its server string is malformed: a usage error.
 */
bool setup_outputs(const struct setup *s, struct eve *e, bool *refused, char *err, size_t errlen);

/*
 * Gives the rules, the suppression/threshold filter and the policies to
 * the correlate stage (the policies move: s no longer holds them).
 * Returns the filter's state, to be freed with threshold_ctx_free after
 * the correlate stage; it refers to the thresholds of s, so s must stay
 * (not setup_free'd) while the filter is installed. NULL on allocation
 * failure. With workers running, call it under the correlate stage's lock.
 */
struct threshold_ctx *setup_apply(struct setup *s, struct correlate *c);

#endif
