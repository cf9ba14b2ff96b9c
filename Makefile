# mxsentry - build, test, fuzz and benchmark.
#
#   make run     install missing packages, build, run on a bundled capture
#   make test    install missing packages, build with ASan+UBSan, run every test
#   make fuzz    libFuzzer campaigns (FUZZ_SECONDS each, default 600)
#   make bench   generate the benchmark capture and time mxsentry against a bare loop
#   make bench-live  live scaling: tcpreplay of the mail profile over a veth, 1 and 2 workers (root)
#   make lint    include directions, clang-tidy and cppcheck on the project's own code
#   make mutate  single changes to the detections, and which of them the tests miss
#   make format  clang-format in place
#   make install / uninstall   PREFIX (/usr/local) and DESTDIR honoured

CC      ?= gcc
CLANG   ?= clang
PKGS    := libpcap libndpi ldns yaml-0.1 libcrypto zlib jansson sqlite3 hiredis
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# V=1 shows the full commands.
Q := $(if $(V),,@)

WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla
CSTD    := -std=gnu11 -D_GNU_SOURCE
INCS    := -Isensor -Idissectors -Ibuild/gen $(PKG_CFLAGS)
BASE_CFLAGS := $(CSTD) $(WARN) $(INCS) -g
REL_CFLAGS  := $(BASE_CFLAGS) -O2
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS := $(BASE_CFLAGS) -O1 $(SAN_FLAGS)
TSAN_CFLAGS := $(BASE_CFLAGS) -O1 -fsanitize=thread -fno-omit-frame-pointer

LIB_SRCS  := $(sort $(filter-out sensor/main.c,$(wildcard sensor/*.c sensor/*/*.c dissectors/*.c)))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_LIB_SRCS := $(sort $(wildcard tests/tools/lib/*.c))

# The shipped rules, compiled in from rules/default.yaml.
GEN_SRCS  := build/gen/rules_default.c
REL_OBJS  := $(LIB_SRCS:%.c=build/rel/%.o) build/rel/gen/rules_default.o
ASAN_OBJS := $(LIB_SRCS:%.c=build/asan/%.o) build/asan/gen/rules_default.o
FUZZ_OBJS := $(LIB_SRCS:%.c=build/fuzz/%.o) build/fuzz/gen/rules_default.o
TSAN_OBJS := $(LIB_SRCS:%.c=build/tsan/%.o) build/tsan/gen/rules_default.o

UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)
# The unit tests that run threads, built once more with ThreadSanitizer.
TSAN_BINS   := build/tsan/tests/test_workers build/tsan/tests/test_redis_output \
	       build/tsan/tests/test_state build/tsan/tests/test_state_redis
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/asan/replay/%)
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/bin/%)
TOOL_BINS   := $(TOOL_SRCS:tests/tools/%.c=build/rel/tools/%)

# Debian packages the build, the tests and the lab need.
DEB_BUILD := gcc make pkg-config libpcap-dev libndpi-dev libldns-dev libyaml-dev \
             libssl-dev zlib1g-dev libjansson-dev libsqlite3-dev libhiredis-dev
DEB_TEST  := libcmocka-dev clang libclang-rt-14-dev python3 python3-yaml \
             python3-jsonschema tcpdump iproute2 procps time sqlite3 redis-server \
             chromium ca-certificates
DEB_LINT  := clang-tidy clang-format cppcheck
DEB_BENCH := tcpreplay iproute2

.PHONY: all run test deps deps-test fuzz bench bench-live lint format clean check-build \
	lab-captures FORCE install uninstall mutate

all: build/rel/mxsentry

deps:
	@tests/tools/apt-ensure $(DEB_BUILD)

deps-test: deps
	@tests/tools/apt-ensure $(DEB_TEST)
	@tests/lab/install-deps.sh

# A capture made in the lab: a man in the middle strips STARTTLS from a
# DANE-protected MX; swaks then sends in cleartext.
RUN_PCAP := pcaps/lab/strip-starttls.pcap
run: deps
	@$(MAKE) --no-print-directory build/rel/mxsentry
	@./build/rel/mxsentry -r $(RUN_PCAP) --trust-anchor pcaps/lab/trust-anchor.ds -e - -q \
	  | grep '"event_type":"alert"'

test: deps-test
	@$(MAKE) --no-print-directory check-build
	@tests/run-tests

check-build: build/rel/mxsentry build/asan/mxsentry $(UNIT_BINS) $(TSAN_BINS) $(REPLAY_BINS) \
	     $(TOOL_BINS)

# The git revision for --build-info; rewritten only when it changes.
GIT_REV_H := build/gen/git_rev.h
$(GIT_REV_H): FORCE
	@mkdir -p $(dir $@)
	@rev=$$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown); \
	  printf '#define MX_GIT_REV "%s"\n' "$$rev" >$@.tmp; \
	  if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
build/rel/sensor/main.o build/asan/sensor/main.o: $(GIT_REV_H)
FORCE:

build/gen/rules_default.c: rules/default.yaml rules/embed.sh
	@mkdir -p $(dir $@)
	$(Q)rules/embed.sh mx_default_rules_yaml $< > $@

build/rel/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(REL_CFLAGS) -c $< -o $@

build/asan/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

build/tsan/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(TSAN_CFLAGS) -c $< -o $@

build/fuzz/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(CSTD) -g -O1 -c $< -o $@

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(REL_CFLAGS) -MMD -MP -c $< -o $@

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@

build/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(TSAN_CFLAGS) -MMD -MP -c $< -o $@

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)$(CLANG) $(CSTD) $(INCS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -c $< -o $@

build/rel/libmx.a: $(REL_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

build/asan/libmx.a: $(ASAN_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

build/tsan/libmx.a: $(TSAN_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/libmx.a: $(FUZZ_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

build/rel/mxsentry: build/rel/sensor/main.o build/rel/libmx.a
	@echo "  LD      $@"
	$(Q)$(CC) $(REL_CFLAGS) $^ $(PKG_LIBS) -lm -o $@

build/asan/mxsentry: build/asan/sensor/main.o build/asan/libmx.a
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $^ $(PKG_LIBS) -lm -o $@

build/asan/tests/%: tests/unit/%.c build/asan/libmx.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -Itests/unit $< build/asan/libmx.a $(PKG_LIBS) -lcmocka -lm -o $@

build/tsan/tests/%: tests/unit/%.c build/tsan/libmx.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(TSAN_CFLAGS) -Itests/unit $< build/tsan/libmx.a $(PKG_LIBS) -lcmocka -lm -o $@

# Fuzz targets linked with a plain main() that replays files: used by make test.
build/asan/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c tests/fuzz/fuzz_digest.h build/asan/libmx.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $< tests/fuzz/replay_main.c build/asan/libmx.a $(PKG_LIBS) -lm -o $@

build/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz_digest.h build/fuzz/libmx.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CLANG) $(CSTD) $(INCS) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $< build/fuzz/libmx.a $(PKG_LIBS) -lm -o $@

build/rel/tools/%: tests/tools/%.c $(TOOL_LIB_SRCS) build/rel/libmx.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(REL_CFLAGS) -Itests/tools/lib $< $(TOOL_LIB_SRCS) build/rel/libmx.a $(PKG_LIBS) -lm -o $@

# Regenerates pcaps/lab/ and pcaps/lab-ad/ with real software in network
# namespaces (root).
lab-captures: deps-test
	tests/lab/make-captures.sh
	tests/lab/make-ad-captures.sh

fuzz: deps-test
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@tests/fuzz/run-campaigns $(FUZZ_SECONDS)

# Mutation testing of the detections (not part of make test): see tests/mutate/run.
mutate: deps-test
	@tests/mutate/run

bench: deps
	@$(MAKE) --no-print-directory build/rel/mxsentry $(TOOL_BINS)
	@tests/bench/run-bench

# Not part of make test: network namespaces, root, minutes (tests/bench/live-scaling.sh).
bench-live: deps
	@tests/tools/apt-ensure $(DEB_BENCH)
	@$(MAKE) --no-print-directory build/rel/mxsentry build/rel/tools/benchgen
	@tests/bench/live-scaling.sh

LINT_SRCS := $(LIB_SRCS) sensor/main.c
lint: $(GIT_REV_H)
	@tests/tools/apt-ensure $(DEB_LINT)
	tests/tools/include-order
	clang-tidy --quiet $(LINT_SRCS) -- $(CSTD) $(INCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --inline-suppr --suppress=missingIncludeSystem -Isensor -Idissectors $(LINT_SRCS)

format:
	clang-format -i $(LIB_SRCS) sensor/main.c $(UNIT_SRCS) $(FUZZ_SRCS) $(TOOL_SRCS) \
	  $(TOOL_LIB_SRCS) tests/tools/lib/*.h tests/fuzz/*.h sensor/*/*.h dissectors/*.h

# make install [PREFIX=/usr/local] [DESTDIR=staging dir]: the binary, the
# manual page, the shipped rules (reference copies: they are compiled in),
# an example configuration (kept when one is there), the systemd unit, the
# sysusers and logrotate snippets. make uninstall removes them again (the
# configuration only when it is still the example).
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
SYSCONFDIR    ?= $(if $(filter /usr,$(PREFIX)),/etc,$(if $(filter /usr/local,$(PREFIX)),/etc,$(PREFIX)/etc))
LOGDIR        ?= /var/log/mxsentry
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d
DIST_SED := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@DATADIR@|$(DATADIR)|g' -e 's|@LOGDIR@|$(LOGDIR)|g'
SHIPPED_RULES := $(wildcard rules/*.yaml)

# The substituted paths; rewritten only when PREFIX or a directory changes.
build/dist/paths: FORCE
	@mkdir -p $(dir $@)
	@echo "$(DIST_SED)" >$@.tmp; if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

build/dist/%: dist/%.in build/dist/paths
	@mkdir -p $(dir $@)
	$(Q)$(DIST_SED) $< >$@

install: build/rel/mxsentry build/dist/mxsentry.yaml build/dist/mxsentry.service \
	 build/dist/mxsentry.logrotate
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(DATADIR)/mxsentry/rules $(DESTDIR)$(SYSCONFDIR)/mxsentry/rules \
	  $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 build/rel/mxsentry $(DESTDIR)$(BINDIR)/mxsentry
	install -m 0644 mxsentry.8 $(DESTDIR)$(MANDIR)/man8/mxsentry.8
	install -m 0644 $(SHIPPED_RULES) $(DESTDIR)$(DATADIR)/mxsentry/rules/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/mxsentry/mxsentry.yaml ]; then \
	  echo "  kept    $(DESTDIR)$(SYSCONFDIR)/mxsentry/mxsentry.yaml (example not installed)"; \
	else \
	  echo "install -m 0644 build/dist/mxsentry.yaml $(DESTDIR)$(SYSCONFDIR)/mxsentry/mxsentry.yaml"; \
	  install -m 0644 build/dist/mxsentry.yaml $(DESTDIR)$(SYSCONFDIR)/mxsentry/mxsentry.yaml; \
	fi
	install -m 0644 build/dist/mxsentry.service $(DESTDIR)$(SYSTEMDUNITDIR)/mxsentry.service
	install -m 0644 dist/mxsentry.sysusers $(DESTDIR)$(SYSUSERSDIR)/mxsentry.conf
	install -m 0644 build/dist/mxsentry.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/mxsentry

uninstall: build/dist/mxsentry.yaml
	rm -f $(DESTDIR)$(BINDIR)/mxsentry $(DESTDIR)$(MANDIR)/man8/mxsentry.8 \
	  $(addprefix $(DESTDIR)$(DATADIR)/mxsentry/rules/,$(notdir $(SHIPPED_RULES))) \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/mxsentry.service $(DESTDIR)$(SYSUSERSDIR)/mxsentry.conf \
	  $(DESTDIR)$(SYSCONFDIR)/logrotate.d/mxsentry
	@f=$(DESTDIR)$(SYSCONFDIR)/mxsentry/mxsentry.yaml; \
	if [ -e $$f ] && ! cmp -s $$f build/dist/mxsentry.yaml; then \
	  echo "  kept    $$f (changed from the example)"; else rm -f $$f; fi
	-rmdir $(DESTDIR)$(DATADIR)/mxsentry/rules $(DESTDIR)$(DATADIR)/mxsentry \
	  $(DESTDIR)$(SYSCONFDIR)/mxsentry/rules $(DESTDIR)$(SYSCONFDIR)/mxsentry 2>/dev/null

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
