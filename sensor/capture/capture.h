/*
 * capture.h - the capture stage: packets from capture files (pcap and
 * pcapng, several in order, directories, stdin, gzip-compressed) or from
 * a live interface (BPF filter, snaplen, buffer, immediate mode), handed
 * one by one to a callback with their link type and packet time.
 */
#ifndef MX_CAPTURE_H
#define MX_CAPTURE_H

#include "util/common.h"

#include <signal.h>

/*
 * Every port the application layer takes for mail (SMTP 25, 587 and 2525,
 * submissions 465) and DNS (53), plus IP fragments.
 */
#define CAPTURE_MAIL_DNS_EXPR                                                                      \
	"tcp port 25 or tcp port 465 or tcp port 587 or tcp port 2525 or port 53 or "              \
	"(ip[6:2] & 0x1fff != 0) or (ip6[6] = 44)"

/*
 * Default live filter: CAPTURE_MAIL_DNS_EXPR untagged, under one VLAN tag
 * and under two (802.1Q, 802.1ad and 0x9100 tags alike).
 */
#define CAPTURE_DEFAULT_BPF                                                                        \
	"(" CAPTURE_MAIL_DNS_EXPR ") or (vlan and ((" CAPTURE_MAIL_DNS_EXPR                        \
	") or (vlan and (" CAPTURE_MAIL_DNS_EXPR "))))"

struct capture_config {
	/* Offline: each a pcap/pcapng file (gzip or not), a directory or "-". */
	const char *const *paths;
	size_t n_paths;
	/* Live (when paths is empty): interface name. */
	const char *iface;
	/*
	 * BPF filter. Live: NULL means CAPTURE_DEFAULT_BPF unless watch_all.
	 * Offline: NULL means every packet; a filter is applied to each file.
	 */
	const char *bpf;
	bool watch_all; /* live: no filter at all, ignoring bpf */
	int snaplen;	/* live: bytes kept of each packet */
	int buffer_mib; /* live: kernel ring buffer size, 1..2047 (else the default) */
	bool immediate; /* live: deliver each packet as it arrives */
	bool promisc;	/* live: promiscuous mode */
};

/* Fills cfg with the defaults: no inputs, snaplen 262144, 64 MiB, immediate off, promisc on. */
void capture_config_defaults(struct capture_config *cfg);

struct capture_counters {
	uint64_t kernel_packets, kernel_drops, kernel_ifdrops; /* live, from pcap_stats */
	uint64_t files;					       /* capture files started */
	uint64_t files_incomplete; /* files cut short (truncated or corrupt) */
	uint64_t bytes;		   /* bytes of frames read (captured length) */
};

/* Table of every capture counter for the stats record, {NULL,0}-terminated. */
extern const struct mx_counter_desc capture_counter_desc[];

enum capture_result {
	CAPTURE_OK,	    /* every input read to its end */
	CAPTURE_INCOMPLETE, /* all inputs read, but at least one was cut short */
	CAPTURE_STOPPED,    /* the stop flag ended the run */
	CAPTURE_ERROR,	    /* an input could not be read: see capture_error() */
};

/* Called for every packet in input order; frame holds caplen bytes. */
typedef void (*capture_packet_fn)(void *ctx, int dlt, uint64_t ts_us, const uint8_t *frame,
				  uint32_t caplen, uint32_t wirelen);
/* Called about every 100 ms of wall time (live: also when no packets arrive). */
typedef void (*capture_tick_fn)(void *ctx);

struct capture;

/*
 * Opens the inputs of cfg. Offline: every path is checked (exists, is a
 * capture file by its magic, a directory has capture files; other files
 * in a directory are skipped with a warning on stderr) and the total size
 * of regular inputs is taken; files are opened one by one while running.
 * Live: the interface is activated and the filter set. On failure returns
 * NULL and writes a message naming the path or interface into err.
 */
struct capture *capture_open(const struct capture_config *cfg, char *err, size_t errlen);

/*
 * Compiles filter for Ethernet frames: true when it is a valid expression,
 * else false with "bad filter 'EXPR': why" in err.
 */
bool capture_check_filter(const char *filter, char *err, size_t errlen);

/* Closes every handle and frees c. */
void capture_close(struct capture *c);

/*
 * Reads every input in order and calls on_packet for each packet (pcapng
 * and nanosecond timestamps are delivered in microseconds), on_tick about
 * every 100 ms (may be NULL). *stop is checked between packets (stop may
 * be NULL). A file cut short delivers everything before the cut, prints
 * "mxsentry: warning: FILE: truncated after N packets (offset B): why" on
 * stderr ("corrupt" for damaged data, "stopped" for a pcapng file whose
 * interfaces have different link types, which libpcap cannot read on) and
 * the run goes on with the next input. pcapng files whose interfaces have
 * different snapshot lengths are read whole. Live mode runs until *stop or
 * an error.
 */
enum capture_result capture_run(struct capture *c, capture_packet_fn on_packet,
				capture_tick_fn on_tick, void *ctx, volatile sig_atomic_t *stop);

/* Text of the last error (empty when none). */
const char *capture_error(const struct capture *c);

/* Path of the file being read ("stdin" for "-"); NULL live or between files. */
const char *capture_current_file(const struct capture *c);

/* Link type (pcap DLT) of the live handle or of the file being read; -1 if none. */
int capture_datalink(const struct capture *c);

/* True in live mode. */
bool capture_is_live(const struct capture *c);

/*
 * Progress of an offline run: *done bytes consumed of *total, the summed
 * size of the regular input files (compressed size for gzip files).
 */
void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total);

/*
 * Live: refreshes kernel_packets/kernel_drops/kernel_ifdrops from
 * pcap_stats (32-bit wraps handled) and returns true when drops grew since
 * the previous call. Offline: does nothing and returns false.
 */
bool capture_refresh_stats(struct capture *c);

/* The capture counters. */
const struct capture_counters *capture_counters(const struct capture *c);

#endif
