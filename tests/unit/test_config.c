/*
 * test_config.c - the configuration loader and the YAML document loader
 * under it: built-in defaults, the override order (built-in < file),
 * every section and value form, the hostile-YAML bounds, the error list,
 * and every bad configuration in tests/config/config-*.yaml, whose
 * "# expect: LINE:COL: message" comments give the exact errors expected,
 * in order.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "conf/config.h"
#include "conf/yaml_doc.h"

#include "expected_errors.h"

/* ---- fixtures: tests/config next to tests/unit ---- */

static void config_fixture(const char *dir, const char *path, void *ctx)
{
	struct mx_config cfg;
	struct mx_errors errs;

	(void)dir;
	(void)ctx;
	config_defaults(&cfg);
	mx_errors_init(&errs);
	assert_false(config_load_file(&cfg, path, &errs));
	compare_errors(NULL, path, NULL, &errs);
	config_free(&cfg);
}

static void test_fixtures(void **state)
{
	static const char *const suffixes[] = {".yaml", NULL};

	(void)state;
	assert_true(each_fixture(__FILE__, "unit/test_config.c", "config-", suffixes,
				 config_fixture, NULL) >= 15);
}

/* ---- defaults and the override order ---- */

static void test_defaults(void **state)
{
	struct mx_config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_string_equal(cfg.capture.interface, "");
	assert_int_equal(cfg.capture.n_files, 0);
	assert_string_equal(cfg.capture.bpf, "");
	assert_int_equal(cfg.capture.snaplen, 65535);
	assert_int_equal(cfg.capture.buffer_mib, 32);
	assert_true(cfg.capture.promisc);
	assert_false(cfg.capture.immediate);
	assert_false(cfg.capture.watch_all);
	assert_int_equal(cfg.flow.memcap, 16 << 20);
	assert_int_equal(cfg.flow.hash_size, 0);
	assert_int_equal(cfg.flow.timeout_new_s, 30);
	assert_int_equal(cfg.flow.timeout_est_s, 600);
	assert_int_equal(cfg.flow.timeout_closed_s, 10);
	assert_int_equal(cfg.flow.timeout_udp_s, 30);
	assert_int_equal(cfg.stream.memcap, 16 << 20);
	assert_int_equal(cfg.stream.stream_memcap, 256 << 10);
	assert_int_equal(cfg.stream.recent_window, 4 << 10);
	assert_int_equal(cfg.stream.max_segments, 256);
	assert_int_equal(cfg.defrag.memcap, 4 << 20);
	assert_int_equal(cfg.defrag.timeout_s, 60);
	assert_int_equal(cfg.defrag.max_trains, 4096);
	assert_int_equal(cfg.dns_cache_memcap, 4 << 20);
	assert_int_equal(cfg.tls_handshake_buffer, 64 << 10);
	assert_int_equal(cfg.threshold_table_size, 16384);
	assert_string_equal(cfg.rules_dir, "");
	assert_int_equal(cfg.n_policy_files, 0);
	assert_int_equal(cfg.n_trusted_resolvers, 0);
	assert_true(cfg.trust_ad);
	assert_int_equal(cfg.n_outputs, 1);
	assert_int_equal(cfg.outputs[0].type, MX_OUTPUT_EVE_FILE);
	assert_string_equal(cfg.outputs[0].path, "eve.json");
	assert_int_equal(cfg.outputs[0].event_types, MX_EVT_ALL);
	assert_true(cfg.outputs[0].append);
	assert_int_equal(cfg.outputs[0].filemode, 0640);
	assert_int_equal(cfg.outputs[0].dns_version, 3);
	assert_int_equal(cfg.stats_interval_s, 60);
	assert_false(cfg.redact_local_parts);
	assert_string_equal(cfg.log_dir, ".");
	assert_string_equal(cfg.pid_file, "");
	assert_string_equal(cfg.user, "");
	assert_int_equal(cfg.workers, 1);
	config_free(&cfg);
}

static bool load(struct mx_config *cfg, const char *text, struct mx_errors *errs)
{
	mx_errors_init(errs);
	return config_load_buffer(cfg, "t.yaml", text, strlen(text), errs);
}

static void test_override_order(void **state)
{
	struct mx_config cfg;
	struct mx_errors errs;

	(void)state;
	config_defaults(&cfg);
	assert_true(config_add_capture_file(&cfg, "default.pcap"));
	/* the file sets a few keys; everything else keeps the built-in value */
	assert_true(load(&cfg,
			 "capture:\n  snaplen: 1500\n  files: [a.pcap, b.pcap]\n"
			 "flow:\n  timeouts: {udp: 5}\nworkers: 4\n",
			 &errs));
	assert_int_equal(cfg.capture.snaplen, 1500);
	assert_true(cfg.capture.promisc);
	assert_int_equal(cfg.capture.buffer_mib, 32);
	assert_int_equal(cfg.flow.timeout_udp_s, 5);
	assert_int_equal(cfg.flow.timeout_new_s, 30);
	assert_int_equal(cfg.flow.memcap, 16 << 20);
	assert_int_equal(cfg.workers, 4);
	assert_int_equal(cfg.n_outputs, 1);
	/* a list in the file replaces the earlier list */
	assert_int_equal(cfg.capture.n_files, 2);
	assert_string_equal(cfg.capture.files[0], "a.pcap");
	assert_string_equal(cfg.capture.files[1], "b.pcap");
	/* a second file applies over the first */
	assert_true(load(&cfg, "workers: 2\n", &errs));
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.capture.snaplen, 1500);
	/* an empty file changes nothing */
	assert_true(load(&cfg, "", &errs));
	assert_true(load(&cfg, "# only a comment\n", &errs));
	assert_int_equal(cfg.workers, 2);
	/* a faulty list leaves the earlier list alone */
	assert_false(load(&cfg, "capture: {files: [c.pcap, [x]]}\n", &errs));
	assert_int_equal(cfg.capture.n_files, 2);
	/* helpers the command line uses */
	config_clear_capture_files(&cfg);
	assert_int_equal(cfg.capture.n_files, 0);
	assert_true(config_add_capture_file(&cfg, "-"));
	assert_true(config_add_policy_file(&cfg, "p.yaml"));
	assert_int_equal(cfg.capture.n_files, 1);
	assert_int_equal(cfg.n_policy_files, 1);
	config_free(&cfg);
	assert_int_equal(cfg.capture.n_files, 0);
}

static void test_every_key(void **state)
{
	static const char text[] =
	    "capture:\n"
	    "  interface: eth1\n"
	    "  files: [one.pcap]\n"
	    "  bpf: \"tcp port 25 or (vlan and tcp port 25)\"\n"
	    "  snaplen: 9000\n"
	    "  buffer-size-mib: 128\n"
	    "  promisc: no\n"
	    "  immediate: on\n"
	    "  watch-all: TRUE\n"
	    "flow:\n"
	    "  memcap: 1gb\n"
	    "  hash-size: 0x10000\n"
	    "  timeouts: {new: 5, established: 3600, closed: 2, udp: 60}\n"
	    "stream: {memcap: 128MiB, stream-memcap: 1m, recent-window: 0, max-segments: 1024}\n"
	    "defrag: {memcap: 512k, timeout: 30, max-trains: 100}\n"
	    "dns: {cache-memcap: 4mb}\n"
	    "tls: {handshake-buffer: 128kb}\n"
	    "alerts: {threshold-table-size: 1000}\n"
	    "app: {session-memcap: 32mb, ndpi-memcap: 1mb, ndpi-max-packets: 4}\n"
	    "expectations: {memcap: 8mb}\n"
	    "rules-dir: /etc/mxsentry/rules\n"
	    "policy-files: [a.yaml, b.json]\n"
	    "trust-anchor-file: /etc/mxsentry/root.key\n"
	    "trusted-resolvers: [192.0.2.53, \"2001:db8::53\", 198.51.100.0/24]\n"
	    "dnssec: {trust-ad: false}\n"
	    "outputs:\n"
	    "  - {type: eve-file, path: /var/log/eve.json, append: false, "
	    "event-types: [alert, stats], filemode: \"0644\", dns-version: 2}\n"
	    "  - {type: stdout, event-types: [alert]}\n"
	    "  - {type: syslog, facility: mail}\n"
	    "  - {type: fast, path: fast.log, filemode: 600}\n"
	    "stats-interval: 0\n"
	    "redact-local-parts: true\n"
	    "log-dir: /var/log/mxsentry\n"
	    "pid-file: /run/mxsentry.pid\n"
	    "user: mxsentry\n"
	    "group: adm\n"
	    "workers: 64\n";
	struct mx_config cfg;
	struct mx_errors errs;
	struct mx_addr a;
	char buf[64];

	(void)state;
	config_defaults(&cfg);
	if (!load(&cfg, text, &errs))
		fail_msg("%s", mx_errors_get(&errs, 0));
	assert_string_equal(cfg.capture.interface, "eth1");
	assert_int_equal(cfg.capture.n_files, 1);
	assert_string_equal(cfg.capture.bpf, "tcp port 25 or (vlan and tcp port 25)");
	assert_int_equal(cfg.capture.snaplen, 9000);
	assert_int_equal(cfg.capture.buffer_mib, 128);
	assert_false(cfg.capture.promisc);
	assert_true(cfg.capture.immediate);
	assert_true(cfg.capture.watch_all);
	assert_int_equal(cfg.flow.memcap, 1ull << 30);
	assert_int_equal(cfg.flow.hash_size, 65536);
	assert_int_equal(cfg.flow.timeout_new_s, 5);
	assert_int_equal(cfg.flow.timeout_est_s, 3600);
	assert_int_equal(cfg.flow.timeout_closed_s, 2);
	assert_int_equal(cfg.flow.timeout_udp_s, 60);
	assert_int_equal(cfg.stream.memcap, 128 << 20);
	assert_int_equal(cfg.stream.stream_memcap, 1 << 20);
	assert_int_equal(cfg.stream.recent_window, 0);
	assert_int_equal(cfg.stream.max_segments, 1024);
	assert_int_equal(cfg.defrag.memcap, 512 << 10);
	assert_int_equal(cfg.defrag.timeout_s, 30);
	assert_int_equal(cfg.defrag.max_trains, 100);
	assert_int_equal(cfg.dns_cache_memcap, 4 << 20);
	assert_int_equal(cfg.tls_handshake_buffer, 128 << 10);
	assert_int_equal(cfg.threshold_table_size, 1000);
	assert_int_equal(cfg.app.session_memcap, 32 << 20);
	assert_int_equal(cfg.app.ndpi_memcap, 1 << 20);
	assert_int_equal(cfg.app.ndpi_max_packets, 4);
	assert_int_equal(cfg.expect_memcap, 8 << 20);
	assert_string_equal(cfg.rules_dir, "/etc/mxsentry/rules");
	assert_int_equal(cfg.n_policy_files, 2);
	assert_string_equal(cfg.policy_files[1], "b.json");
	assert_string_equal(cfg.trust_anchor_file, "/etc/mxsentry/root.key");
	assert_int_equal(cfg.n_trusted_resolvers, 3);
	assert_true(mx_addr_parse(&a, "2001:db8::53"));
	assert_int_equal(mx_addr_cmp(&a, &cfg.trusted_resolvers[1].addr), 0);
	assert_string_equal(mx_addr_str(&cfg.trusted_resolvers[0].addr, buf, sizeof(buf)),
			    "192.0.2.53");
	assert_string_equal(mx_prefix_str(&cfg.trusted_resolvers[2], buf, sizeof(buf)),
			    "198.51.100.0/24");
	assert_false(cfg.trust_ad);
	assert_int_equal(cfg.n_outputs, 4);
	assert_int_equal(cfg.outputs[0].type, MX_OUTPUT_EVE_FILE);
	assert_string_equal(cfg.outputs[0].path, "/var/log/eve.json");
	assert_false(cfg.outputs[0].append);
	assert_int_equal(cfg.outputs[0].event_types, MX_EVT_ALERT | MX_EVT_STATS);
	assert_int_equal(cfg.outputs[0].filemode, 0644);
	assert_int_equal(cfg.outputs[0].dns_version, 2);
	assert_int_equal(cfg.outputs[1].type, MX_OUTPUT_STDOUT);
	assert_int_equal(cfg.outputs[1].event_types, MX_EVT_ALERT);
	assert_int_equal(cfg.outputs[1].dns_version, 3);
	assert_int_equal(cfg.outputs[3].type, MX_OUTPUT_FAST);
	assert_string_equal(config_output_type_name(cfg.outputs[3].type), "fast");
	assert_int_equal(cfg.outputs[3].filemode, 0600);
	assert_int_equal(cfg.outputs[3].event_types, MX_EVT_ALERT);
	assert_true(cfg.outputs[3].append);
	assert_int_equal(cfg.outputs[2].type, MX_OUTPUT_SYSLOG);
	assert_int_equal(cfg.outputs[2].facility, LOG_MAIL);
	assert_int_equal(cfg.outputs[2].event_types, MX_EVT_ALL);
	assert_string_equal(config_output_type_name(cfg.outputs[2].type), "syslog");
	assert_int_equal(cfg.stats_interval_s, 0);
	assert_true(cfg.redact_local_parts);
	assert_string_equal(cfg.log_dir, "/var/log/mxsentry");
	assert_string_equal(cfg.pid_file, "/run/mxsentry.pid");
	assert_string_equal(cfg.user, "mxsentry");
	assert_string_equal(cfg.group, "adm");
	assert_int_equal(cfg.workers, 64);
	config_free(&cfg);
}

/* ---- YAML loader bounds ---- */

static void test_huge_scalar(void **state)
{
	size_t n = 70000;
	char *text = malloc(n + 32);
	struct mx_config cfg;
	struct mx_errors errs;

	(void)state;
	assert_non_null(text);
	memcpy(text, "workers: 1\nuser: ", 17);
	memset(text + 17, 'u', n);
	memcpy(text + 17 + n, "\n", 2);
	config_defaults(&cfg);
	assert_false(load(&cfg, text, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "t.yaml:2:7: scalar of 70000 bytes is longer than the limit of 65536");
	free(text);
	config_free(&cfg);
}

static void test_input_limit(void **state)
{
	struct ydoc_limits lim;
	struct mx_errors errs;
	const char *text = "a: [1, 2, 3, 4]\n";

	(void)state;
	ydoc_limits_default(&lim);
	lim.max_input = 8;
	mx_errors_init(&errs);
	assert_null(ydoc_parse("x.yaml", text, strlen(text), &lim, &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "x.yaml: input of 16 bytes is larger than the limit of 8");
	lim.max_input = 1024;
	lim.max_nodes = 5;
	mx_errors_init(&errs);
	assert_null(ydoc_parse("x.yaml", text, strlen(text), &lim, &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "x.yaml:1:11: document has more than 5 nodes (aliases expanded)");
	lim.max_nodes = 7;
	mx_errors_init(&errs);
	{
		struct ydoc *d = ydoc_parse("x.yaml", text, strlen(text), &lim, &errs);

		assert_non_null(d);
		assert_int_equal(ydoc_root(d)->weight, 7);
		ydoc_free(d);
	}
}

static void test_aliases_shared(void **state)
{
	const char *text = "base: &b {x: 1, y: [2, 3]}\nuse: *b\nagain: *b\n";
	struct mx_errors errs;
	struct ydoc *d;
	const struct ydoc_node *root, *base, *use;

	(void)state;
	mx_errors_init(&errs);
	d = ydoc_parse("a.yaml", text, strlen(text), NULL, &errs);
	assert_non_null(d);
	root = ydoc_root(d);
	base = ydoc_map_get(root, "base");
	use = ydoc_map_get(root, "use");
	assert_ptr_equal(base, use);
	/* mapping, x, 1, y, sequence, 2, 3 */
	assert_int_equal(base->weight, 7);
	/* root + 3 keys + base and two expansions of it */
	assert_int_equal(root->weight, 1 + 3 + 3 * 7);
	assert_int_equal(root->height, 3);
	ydoc_free(d);

	/* an alias inside its own anchor does not resolve: no cycles */
	text = "a: &x [1, *x]\n";
	mx_errors_init(&errs);
	assert_null(ydoc_parse("c.yaml", text, strlen(text), NULL, &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "c.yaml:1:11: alias '*x' names no complete anchor");

	/* depth through an alias counts */
	{
		struct ydoc_limits lim;

		ydoc_limits_default(&lim);
		lim.max_depth = 4;
		text = "a: &x [[[1]]]\nb: [*x]\n";
		mx_errors_init(&errs);
		assert_null(ydoc_parse("d.yaml", text, strlen(text), &lim, &errs));
		assert_string_equal(mx_errors_get(&errs, 0),
				    "d.yaml:2:5: alias '*x' nests deeper than 4 levels");
	}
}

static void test_reader_error(void **state)
{
	const char text[] = "workers: 1\nuser: ab\xff\xfe\n";
	struct mx_errors errs;

	(void)state;
	mx_errors_init(&errs);
	assert_null(ydoc_parse("r.yaml", text, sizeof(text) - 1, NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "r.yaml:2:9: YAML syntax error: invalid leading UTF-8 octet");
}

static void test_duplicate_keys_many(void **state)
{
	/* a large mapping with one repeated key far apart */
	char *text = malloc(20 * 5000 + 64);
	size_t off = 0;
	struct mx_errors errs;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 5000; i++)
		off += (size_t)sprintf(text + off, "k%d: %d\n", i, i);
	off += (size_t)sprintf(text + off, "k17: again\n");
	mx_errors_init(&errs);
	assert_null(ydoc_parse("m.yaml", text, off, NULL, &errs));
	assert_int_equal(mx_errors_count(&errs), 1);
	assert_string_equal(mx_errors_get(&errs, 0),
			    "m.yaml:5001:1: duplicate key 'k17' (first at line 18)");
	free(text);
}

static void test_accessors(void **state)
{
	const char *text = "s: 1k\nb: 2MiB\nc: 3 gb\nd: 0x20\ne: 18446744073709551616\n"
			   "f: \"quoted\"\ng: ~\nh: \"a\\0b\"\n";
	struct mx_errors errs;
	struct ydoc *d;
	const struct ydoc_node *r;
	uint64_t v;
	const char *s;

	(void)state;
	mx_errors_init(&errs);
	d = ydoc_parse("acc.yaml", text, strlen(text), NULL, &errs);
	assert_non_null(d);
	r = ydoc_root(d);
	assert_true(ydoc_get_size(ydoc_map_get(r, "s"), 0, UINT64_MAX, "s", &errs, &v));
	assert_int_equal(v, 1024);
	assert_true(ydoc_get_size(ydoc_map_get(r, "b"), 0, UINT64_MAX, "b", &errs, &v));
	assert_int_equal(v, 2 << 20);
	assert_true(ydoc_get_size(ydoc_map_get(r, "c"), 0, UINT64_MAX, "c", &errs, &v));
	assert_int_equal(v, 3ull << 30);
	assert_true(ydoc_get_u64(ydoc_map_get(r, "d"), 0, 100, "d", &errs, &v));
	assert_int_equal(v, 32);
	assert_int_equal(mx_errors_count(&errs), 0);
	assert_false(ydoc_get_u64(ydoc_map_get(r, "e"), 0, UINT64_MAX, "e", &errs, &v));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "acc.yaml:5:4: value out of range for 'e': 18446744073709551616 "
			    "(allowed 0..18446744073709551615)");
	assert_true(ydoc_get_str(ydoc_map_get(r, "f"), 10, "f", &errs, &s));
	assert_string_equal(s, "quoted");
	assert_false(ydoc_map_get(r, "f")->plain);
	assert_true(ydoc_map_get(r, "g")->null);
	assert_false(ydoc_get_str(ydoc_map_get(r, "g"), 10, "g", &errs, &s));
	assert_string_equal(mx_errors_get(&errs, 1),
			    "acc.yaml:7:4: wrong type for 'g': expected a string, got null");
	assert_false(ydoc_get_str(ydoc_map_get(r, "h"), 10, "h", &errs, &s));
	assert_string_equal(mx_errors_get(&errs, 2), "acc.yaml:8:4: NUL byte in the value of 'h'");
	assert_string_equal(ydoc_type_name(r), "mapping");
	assert_string_equal(ydoc_name(d), "acc.yaml");
	ydoc_free(d);
}

/* ---- error list ---- */

static void test_error_list(void **state)
{
	struct mx_errors errs;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	mx_errors_init(&errs);
	for (int i = 0; i < 100; i++)
		mx_errors_add(&errs, "f.yaml", (uint32_t)i + 1, 3, "problem %d", i);
	assert_int_equal(mx_errors_count(&errs), 100);
	assert_string_equal(mx_errors_get(&errs, 0), "f.yaml:1:3: problem 0");
	assert_string_equal(mx_errors_get(&errs, MX_ERRORS_MAX - 1), "f.yaml:64:3: problem 63");
	assert_null(mx_errors_get(&errs, MX_ERRORS_MAX));
	f = open_memstream(&out, &len);
	assert_non_null(f);
	mx_errors_print(&errs, f);
	fclose(f);
	assert_non_null(strstr(out, "f.yaml:64:3: problem 63\n(36 more errors not shown)\n"));
	assert_null(strstr(out, "problem 64"));
	free(out);

	/* no position, and text from a file cannot carry control bytes */
	mx_errors_init(&errs);
	mx_errors_add(&errs, "x\x1b[31m.yaml", 0, 0, "bad '%s'", "a\nb\x7f\xc3\xa9");
	assert_string_equal(mx_errors_get(&errs, 0), "x?[31m.yaml: bad 'a?b???\x27");
	mx_errors_add(NULL, "ignored", 1, 1, "nothing");
}

static void test_missing_file(void **state)
{
	struct mx_config cfg;
	struct mx_errors errs;

	(void)state;
	config_defaults(&cfg);
	mx_errors_init(&errs);
	assert_false(config_load_file(&cfg, "/nonexistent/mxsentry.yaml", &errs));
	assert_string_equal(mx_errors_get(&errs, 0),
			    "/nonexistent/mxsentry.yaml: cannot open: No such file or directory");
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_override_order),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_huge_scalar),
	    cmocka_unit_test(test_input_limit),
	    cmocka_unit_test(test_aliases_shared),
	    cmocka_unit_test(test_reader_error),
	    cmocka_unit_test(test_duplicate_keys_many),
	    cmocka_unit_test(test_accessors),
	    cmocka_unit_test(test_error_list),
	    cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
