# SPDX-License-Identifier: MIT
# ODM — on-demand mobility for Linux hosts.
#
#   make            build libodm.so, odmagent, odmctl and the examples
#   make deps       install the Debian packages the build and tests need
#   make check      deps + build + unit tests + command-line tests + sanitizer run +
#                   network suite (net-all: the plain agents but for
#                   NET_SAN_ONLY, the sanitized ones (net-san's tests but
#                   test_anchor) and the kernel tunnel backends (net-kernel's) in
#                   one pool; test_samples runs test_cha there), with the short
#                   fuzz built and run beside it at the idle scheduling class
#   make cli        odmctl's and odmagent's command lines (no network, no root)
#   make demo       a real move of a real host with a live session surviving it
#   make bench      benchmarks (ratios measured side by side in one run)
#   make fuzz       run each libFuzzer harness for FUZZ_RUNS executions (10 million;
#                   FUZZ_TIME seconds at most each)
#   make install    PREFIX=/usr/local DESTDIR= LIBDIR=$(PREFIX)/lib (make uninstall:
#                   the same variables)
#   make deb        a Debian package, $(BUILD)/odm_VERSION_ARCH.deb
#
# Source layout conventions (wildcards, so a new file needs no Makefile edit):
#   libodm/core/*.c      code the shim, odmctl and the agent share (IPC schema,
#                        address type names), built once into libodmcore.a and
#                        linked into everything else
#   libodm/*.c           libodm.so (shim + API); files named hook_*.c hold the
#                        interposed libc symbols and are never linked into tests
#   odmagent/*.c         odmagent, with what only the agent uses (the Mobility
#                        Header codec mh*.c and cksum.c, log.c); main.c holds
#                        main(), all else is unit-testable
#   odmagent/ctl/*.c     odmctl
#   tests/unit/*.c       one Criterion binary
#   tests/fuzz/fuzz_*.c  one libFuzzer binary each (core and agent code)
#   examples/*.c         one program each, linked against libodm.so

SHELL    := /bin/bash
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= gcc
FUZZ_RUNS ?= 10000000
FUZZ_TIME ?= 1800
FUZZ_MIN_RUNS ?= $(FUZZ_RUNS)
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SAN      ?=
# The one version number of ODM: odmagent -V, odmctl --version, odm_version()
VERSION  := 0.3.0

PKGS     := libuv libcares jansson libnl-3.0 libnl-route-3.0 libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(AGENT_PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Only the agent (and its tests) speak DNS UPDATE and drive nftables: ldns
# and libnftables stay out of the shim, whose start-up every program pays.
AGENT_PKGS := ldns libnftables libbpf
AGENT_LIBS = $(shell pkg-config --libs $(AGENT_PKGS) 2>/dev/null || echo -lldns -lnftables -lbpf)

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 -Wvla
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Ilibodm/core -Ilibodm -Iodmagent -DODM_VERSION='"$(VERSION)"'
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -fPIC $(WARN) -fno-strict-aliasing
LDFLAGS  ?=

ifneq ($(SAN),)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

CORE_SRC  := $(wildcard libodm/core/*.c)
SHIM_SRC  := $(wildcard libodm/*.c)
# lazylib.c stands in for c-ares and jansson inside libodm.so only
SHIM_PURE := $(filter-out libodm/hook_%.c libodm/lazylib.c,$(SHIM_SRC))
AGENT_SRC := $(filter-out odmagent/main.c,$(wildcard odmagent/*.c))
CTL_SRC   := $(wildcard odmagent/ctl/*.c)
UNIT_SRC  := $(wildcard tests/unit/*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
EX_SRC    := $(wildcard examples/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

CORE_A    := $(BUILD)/libodmcore.a
LIBODM    := $(BUILD)/libodm.so
AGENT     := $(BUILD)/odmagent
CTL       := $(BUILD)/odmctl
UNIT      := $(BUILD)/unit-tests
EXAMPLES  := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EX_SRC))
FUZZERS   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all deps deps-net check unit cli san san-build fuzz fuzz-short net net-san net-kernel net-all demo bench install clean

all: $(LIBODM) $(AGENT) $(CTL) $(EXAMPLES)

deps:
	@sh tests/install-deps.sh build

deps-net:
	@sh tests/install-deps.sh net

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(CORE_A): $(call obj,$(CORE_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Its soname is libodm.so.$(SOVERSION) (make install adds the version), and
# build/libodm.so.$(SOVERSION) links to it for the programs linked with -lodm.
# libodm.map: only the interposed libc functions and the public API are exported.
# It is linked with libc alone: every program it is preloaded into pays at
# start for each library it needs, so c-ares and jansson are loaded on first
# use instead (libodm/lazylib.c, given their sonames here). Its calls into libc
# stay lazily bound: -z now made the first getaddrinfo cheaper but every
# process start dearer by more (it binds all of them, used or not).
soname_of = $(or $(shell objdump -p "$$($(CC) -print-file-name=$(1))" 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }'),$(2))
$(BUILD)/obj/libodm/lazylib.o: CPPFLAGS += \
	-DODM_CARES_SONAME='"$(call soname_of,libcares.so,libcares.so.2)"' \
	-DODM_JANSSON_SONAME='"$(call soname_of,libjansson.so,libjansson.so.4)"'
$(LIBODM): $(call obj,$(SHIM_SRC)) $(CORE_A) libodm/libodm.map Makefile
	$(CC) -shared -Wl,-soname,libodm.so.$(SOVERSION) -Wl,-z,defs -Wl,--version-script=libodm/libodm.map \
		$(LDFLAGS) -o $@ $(filter %.o %.a,$^) -ldl -lpthread
	ln -sf libodm.so $@.$(SOVERSION)

# The "bpf" tunnel backend's tc programs (odmagent/bpf/), compiled for the
# kernel's BPF machine and carried inside the agent (tunnel_bpf_obj.c).
BPF_OBJ := $(BUILD)/bpf/tunnel.bpf.o
$(BPF_OBJ): odmagent/bpf/tunnel.bpf.c odmagent/tunnel_bpf_abi.h odmagent/tunnel_ecn.h
	@mkdir -p $(dir $@)
	clang -O2 -g -target bpf -Wall -Werror -I/usr/include/$(shell $(CC) -dumpmachine) -c $< -o $@
$(BUILD)/obj/odmagent/tunnel_bpf_obj.o $(BUILD)/fuzzobj/odmagent/tunnel_bpf_obj.o: $(BPF_OBJ)
$(BUILD)/obj/odmagent/tunnel_bpf_obj.o $(BUILD)/fuzzobj/odmagent/tunnel_bpf_obj.o: \
	CPPFLAGS += -DODM_BPF_OBJ='"$(BPF_OBJ)"'

$(AGENT): $(call obj,odmagent/main.c $(AGENT_SRC)) $(CORE_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(AGENT_LIBS) -lpthread

$(CTL): $(call obj,$(CTL_SRC)) $(CORE_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(UNIT): $(call obj,$(UNIT_SRC) $(AGENT_SRC) $(SHIM_PURE)) $(CORE_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(AGENT_LIBS) -lcriterion -ldl -lpthread

$(BUILD)/examples/%: examples/%.c $(LIBODM)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(BUILD) -lodm -Wl,-rpath,'$$ORIGIN/..'

# Fuzzers are built with clang and libFuzzer from the core and agent sources
# (agent parsers such as config.c are fuzzed too), compiled once into
# $(BUILD)/fuzzobj and shared by every harness.
# tests/fuzz/*.c other than the harnesses are helpers linked into every one.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_HELP   := $(filter-out $(FUZZ_SRC),$(wildcard tests/fuzz/*.c))
FUZZ_OBJS    = $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(CORE_SRC) $(AGENT_SRC) $(FUZZ_HELP))

.PRECIOUS: $(BUILD)/fuzzobj/%.o
$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%: $(BUILD)/fuzzobj/tests/fuzz/%.o $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) $(AGENT_LIBS)

# The unit tests run UNIT_JOBS at a time, three per core: the longest of
# them wait on the library's timers (a 4 s agent call, a 2 s cha lookup
# bound), not on the CPU, so more of them than cores finish sooner (on two
# cores 28 -> 13 s plain, 52 -> 34 s under ASan).
UNIT_JOBS ?= $(shell echo $$(($(JOBS) * 3)))
unit: $(UNIT)
	$(UNIT) --jobs $(UNIT_JOBS)

# odmctl and odmagent from the outside: versions, help, usage errors, exit
# status and -j, against no agent and a scripted one on a Unix socket; the
# operations commands, logging, privileges, the man pages and the licence
# line of every source file (tests/cli/test_*.sh, each one script; exit 77
# is a skip).
cli: $(LIBODM) $(AGENT) $(CTL)
	@fail=0; for t in tests/cli/test_*.sh; do \
		rc=0; ODM_BUILD=$(abspath $(BUILD)) bash $$t || rc=$$?; \
		if [ $$rc -eq 77 ]; then echo "cli: $$t skipped"; \
		elif [ $$rc -ne 0 ]; then echo "cli: $$t FAILED"; fail=1; fi; \
	done; exit $$fail

# The same unit tests built and run under AddressSanitizer + UBSan.
san:
	$(MAKE) BUILD=$(BUILD)/san SAN=1 unit

# libFuzzer before LLVM 18 looks each feature of a run up in a plain vector
# of "rare" features, and keeps there every feature seen fewer than
# -entropic_feature_frequency_threshold times (255 by default): with the
# step scripts of fuzz_reg and fuzz_anchor that search grew to most of a
# run as the corpus grew (LLVM pull request 65288, "Optimize
# UpdateFeatureFrequency", replaced it with a bitset). A lower threshold
# keeps the list short; the entropic schedule still favours the rarest
# features.
FUZZ_FLAGS ?= -entropic_feature_frequency_threshold=16

# Each harness runs until FUZZ_RUNS executions or FUZZ_TIME seconds, whichever
# comes first, with its corpus and its seeds (tests/fuzz/seeds/NAME, if any), and the flags named on a line
# "fuzz-flags: ..." of its source (e.g. -max_len); tests/fuzz/run1.sh runs one.
# The harnesses' own output is
# discarded (-close_fd_mask=3; libFuzzer's report and the crash still print);
# undefined behaviour stops a run like a crash. FUZZ_JOBS harnesses run side
# by side (1 by default), each on its own core for its whole FUZZ_TIME.
# Fails on a crash, and on fewer than FUZZ_MIN_RUNS executions (FUZZ_RUNS by
# default: run with FUZZ_TIME large enough for the slowest harness).
FUZZ_JOBS ?= 1
fuzz: $(FUZZERS)
	@printf '%s\n' $(FUZZERS) | BUILD=$(BUILD) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_TIME=$(FUZZ_TIME) \
		FUZZ_MIN_RUNS=$(FUZZ_MIN_RUNS) FUZZ_FLAGS='$(FUZZ_FLAGS)' \
		xargs -P $(FUZZ_JOBS) -n 1 sh tests/fuzz/run1.sh

# Short runs in make check: a time cap only, one harness per core.
fuzz-short:
	$(MAKE) FUZZ_TIME=2 FUZZ_MIN_RUNS=0 FUZZ_JOBS=$(JOBS) fuzz

# deps-net first (and the real programs test_programs runs, in net): on a
# fresh machine the build needs its packages too. The
# network suites run NET_JOBS tests side by side, two per core (run-all.sh,
# ODM_NET_JOBS: they mostly wait; nine of them, make check's longest among
# them, used 0.32 s of CPU per second each, so four keep about two thirds of
# two cores busy); those that must not share the machine say so and run
# alone.
NET_JOBS ?= $(shell echo $$(($(JOBS) * 2)))
net:
	@sh tests/install-deps.sh programs
	$(MAKE) all
	ODM_NET_JOBS=$(NET_JOBS) ODM_BUILD=$(abspath $(BUILD)) bash tests/net/run-all.sh

# The agents built with ASan+UBSan, on the network: the tests that run no
# program under the shim (a sanitized libodm.so cannot be preloaded into
# uninstrumented programs; the examples, linked with it, are sanitized too);
# they fail on a sanitizer report in the logs.
# NET_SAN_ONLY: those of them make check does not run again with the plain
# agents (the agents' own logic, which the sanitized build checks more
# strictly; test_anchor, which also times the agents, runs on both, and
# test_mn runs with the plain agents in net-kernel).
NET_SAN_TESTS := anchor$$|anchor_modes|mn|strayba|ctl$$|monitor|graceful
NET_SAN_ONLY  := ^test_(anchor_modes|mn|strayba|ctl|monitor|graceful)$$
# make check's sanitized pass leaves test_anchor to the plain agents: it
# floods the anchor and times its answers, so it runs alone (28 s more of
# the suite's length), and the sanitizers see the anchor's code in
# fuzz_anchor (its core, under every crafted message) and, on the wire, in
# test_anchor_modes, test_strayba, test_mn and test_graceful
NET_SAN_CHECK := ^test_(anchor_modes|mn|strayba|ctl|monitor|graceful)$$
SAN_AGENTS    := $(BUILD)/san/odmagent $(BUILD)/san/odmctl $(BUILD)/san/libodm.so \
	$(patsubst $(BUILD)/%,$(BUILD)/san/%,$(EXAMPLES))
net-san:
	@$(MAKE) --no-print-directory deps-net
	$(MAKE) -j$(JOBS) BUILD=$(BUILD)/san SAN=1 $(SAN_AGENTS)
	ODM_NET_JOBS=$(NET_JOBS) ODM_BUILD=$(abspath $(BUILD)/san) bash tests/net/run-all.sh '$(NET_SAN_TESTS)'

# The host and replay tests (and the anchor's restart on it), the flap
# storm (a move's hold and reroute of every binding, 100 times, and what the
# agents leak meanwhile: about 20 s, alone), and an agent out of descriptors
# (the bpf backend looks at the interfaces each second), and the same
# care-of address back after a carrier loss (the kernel path's capture
# replays what went to that address) again with
# both agents on each kernel tunnel backend the kernel runs (kernel: seg6 lightweight tunnels; bpf: tc
# programs; tests/net/lib/kernelpath.sh says which; `net` runs them on the
# userspace one, make check test_mn there with the sanitized agents only,
# and test_tunnel_kernel compares each with it on the wire). The CHA
# continuity test runs there in `net` already: test_samples runs it with
# the samples' "tunnel auto", which takes the first kernel backend the
# kernel runs (it checks which backend it took, and why).
NET_KERNEL_TESTS := ^test_(mn|replay|replay_restart|tunnel_ra|flaps|lostbe_flood|ctl_nofile|carrier)$$
net-kernel:
	@kbes=$$(ODM_BUILD=$(abspath $(BUILD)) bash tests/net/lib/kernelpath.sh); \
	if [ -z "$$kbes" ]; then echo "net-kernel: skipped: no kernel tunnel backend runs here"; exit 0; fi; \
	rc=0; for be in $$kbes; do \
		echo "net-kernel: tunnel $$be"; \
		ODM_NET_JOBS=$(NET_JOBS) ODM_TUNNEL=$$be ODM_BUILD=$(abspath $(BUILD)) \
			bash tests/net/run-all.sh '$(NET_KERNEL_TESTS)' || rc=1; \
	done; exit $$rc

# make check's network part: net (but for NET_SAN_ONLY), net-san (but for
# test_anchor, above) and net-kernel as one suite, their tests in one pool
# (run-all.sh's ODM_NET_ALSO), so that no part waits for its own slowest
# test while the other slots stand empty. NET_IDLE_CMD runs beside the
# tests that share the machine, on the CPU time they leave (run-all.sh's
# ODM_NET_IDLE_CMD: the idle scheduling class); make check builds and runs
# its short fuzzing there.
NET_IDLE_CMD ?=
net-all:
	@sh tests/install-deps.sh programs
	$(MAKE) -j$(JOBS) all
	$(MAKE) -j$(JOBS) BUILD=$(BUILD)/san SAN=1 $(SAN_AGENTS)
	@kbes=$$(ODM_BUILD=$(abspath $(BUILD)) bash tests/net/lib/kernelpath.sh); \
	[ -n "$$kbes" ] || echo "net-all: the kernel backends' pass skipped: no kernel tunnel backend runs here"; \
	also='san $(NET_SAN_CHECK) ODM_BUILD=$(abspath $(BUILD)/san)'; \
	for be in $$kbes; do also="$$also"$$'\n'"$$be "'$(NET_KERNEL_TESTS)'" ODM_TUNNEL=$$be"; done; \
	echo "net-all: passes besides the plain one:"; echo "$$also" | sed 's/^/  /'; \
	ODM_NET_ALSO="$$also" ODM_NET_SKIP='$(NET_SAN_ONLY)' ODM_NET_JOBS=$(NET_JOBS) \
		ODM_NET_IDLE_CMD='$(NET_IDLE_CMD)' ODM_BUILD=$(abspath $(BUILD)) bash tests/net/run-all.sh

# make check runs the unit tests (and the command lines') while the
# sanitized build compiles: the unit tests mostly fork and wait, the build
# takes the CPU they leave (104 against 108 s one after another). Each
# part's output comes whole when it ends (--output-sync). The fuzzers are
# built and run beside the network tests that share the machine, at the
# idle scheduling class (net-all's NET_IDLE_CMD): about 70 s of CPU work
# that no longer adds to make check's length.
CHECK_PAR := -j$(shell echo $$(($(JOBS) * 2))) --output-sync=recurse
san-build:
	$(MAKE) BUILD=$(BUILD)/san SAN=1 $(BUILD)/san/unit-tests

check:
	@$(MAKE) --no-print-directory deps
	$(MAKE) -j$(JOBS) all $(UNIT)
	$(MAKE) $(CHECK_PAR) unit cli san-build
	$(MAKE) san
	$(MAKE) net-all NET_IDLE_CMD='MAKEFLAGS= $(MAKE) -j$(JOBS) $(FUZZERS) && MAKEFLAGS= $(MAKE) fuzz-short'

demo:
	@$(MAKE) --no-print-directory deps-net
	$(MAKE) all
	ODM_BUILD=$(abspath $(BUILD)) bash tests/net/demo.sh

# Bench programs that need the agent's code (the others run.sh compiles itself).
BENCH_AGENT := $(BUILD)/bench/anchor_bench $(BUILD)/bench/bu_flood $(BUILD)/bench/bpf_state \
	$(BUILD)/bench/bpf_binds
$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench_bu.h $(call obj,$(AGENT_SRC)) $(CORE_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) \
		$(PKG_LIBS) $(AGENT_LIBS) -lpthread

bench:
	@sh tests/install-deps.sh bench
	$(MAKE) all $(BENCH_AGENT)
	ODM_BUILD=$(abspath $(BUILD)) bash tests/bench/run.sh

# ---------------------------------------------------------------- install, uninstall, deb
# make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=$(PREFIX)/lib] [SYSCONFDIR=/etc]
# Installs the programs, libodm.so with its soname (libodm.so.0) and version,
# odm.h, odm.pc, the man pages of man/, the systemd units, the tmpfiles.d
# entry and the bash completion (packaging sources in odmagent/dist/), the
# sample configurations in $(DOCDIR)/examples, and those of the host, the
# CHA and the policy in $(SYSCONFDIR)/odm unless a file of that name is
# there. make uninstall removes all of it; a configuration file only when it
# is still the sample. odmctl run finds libodm.so in ../lib of its own
# directory: with another LIBDIR it needs ODM_LIBODM (odmctl(8)).
# make deb: $(BUILD)/odm_$(VERSION)_ARCH.deb with Debian's dpkg-deb
# (odmagent/dist/deb/build.sh).
SOVERSION     := 0
LIBDIR        ?= $(PREFIX)/lib
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
INCLUDEDIR    ?= $(PREFIX)/include
MANDIR        ?= $(PREFIX)/share/man
DOCDIR        ?= $(PREFIX)/share/doc/odm
PKGCONFIGDIR  ?= $(LIBDIR)/pkgconfig
SYSCONFDIR    ?= /etc
UNITDIR       ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR   ?= $(PREFIX)/lib/tmpfiles.d
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

DIST         := odmagent/dist
DIST_SAMPLES := $(DIST)/odmagent.conf $(DIST)/anchor-cha.conf $(DIST)/anchor-home.conf \
	$(DIST)/anchor-access.conf $(DIST)/policy.conf
# installed name in $(SYSCONFDIR)/odm : sample it starts as
DIST_ETC     := odmagent.conf:odmagent.conf anchor.conf:anchor-cha.conf policy.conf:policy.conf
MAN_PAGES    := $(wildcard man/*.[1-8])
LIBODM_REAL  := libodm.so.$(VERSION)
D            := $(DESTDIR)
DIST_SUBST    = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@VERSION@|$(VERSION)|g'
# dist_unit NAME,DESCRIPTION,CONFIG,STATEDIR - a systemd unit from odmagent.service.in
dist_unit = $(DIST_SUBST) -e 's|@UNIT@|$(1)|g' -e 's|@DESCRIPTION@|$(2)|g' \
	-e 's|@CONFIG@|$(SYSCONFDIR)/odm/$(3)|g' -e 's|@STATEDIR@|$(4)|g' \
	$(DIST)/odmagent.service.in >$(D)$(UNITDIR)/$(1) && chmod 0644 $(D)$(UNITDIR)/$(1)

.PHONY: uninstall deb

install: all
	install -d $(D)$(LIBDIR) $(D)$(BINDIR) $(D)$(SBINDIR) $(D)$(INCLUDEDIR) $(D)$(PKGCONFIGDIR) \
		$(D)$(DOCDIR)/examples $(D)$(SYSCONFDIR)/odm $(D)$(UNITDIR) $(D)$(TMPFILESDIR) \
		$(D)$(COMPLETIONDIR) $(addprefix $(D)$(MANDIR)/man,$(sort $(subst .,,$(suffix $(MAN_PAGES)))))
	install -m 0644 $(LIBODM) $(D)$(LIBDIR)/$(LIBODM_REAL)
	ln -sf $(LIBODM_REAL) $(D)$(LIBDIR)/libodm.so.$(SOVERSION)
	ln -sf libodm.so.$(SOVERSION) $(D)$(LIBDIR)/libodm.so
	install -m 0755 $(AGENT) $(D)$(SBINDIR)/
	install -m 0755 $(CTL) $(D)$(BINDIR)/
	install -m 0644 include/odm.h $(D)$(INCLUDEDIR)/
	$(DIST_SUBST) libodm/odm.pc.in >$(D)$(PKGCONFIGDIR)/odm.pc
	for m in $(MAN_PAGES); do install -m 0644 $$m $(D)$(MANDIR)/man$${m##*.}/; done
	install -m 0644 LICENSE $(D)$(DOCDIR)/
	install -m 0644 $(DIST_SAMPLES) $(D)$(DOCDIR)/examples/
	for e in $(DIST_ETC); do f=$(D)$(SYSCONFDIR)/odm/$${e%%:*}; \
		[ -e $$f ] || install -m 0644 $(DIST)/$${e#*:} $$f; done
	$(call dist_unit,odmagent.service,ODM host agent (on-demand mobility),odmagent.conf,odm)
	$(call dist_unit,odmagent-anchor.service,ODM anchor (on-demand mobility),anchor.conf,odm/anchor)
	install -m 0644 $(DIST)/odm.tmpfiles $(D)$(TMPFILESDIR)/odm.conf
	install -m 0644 $(DIST)/odmctl.bash-completion $(D)$(COMPLETIONDIR)/odmctl

uninstall:
	rm -f $(D)$(LIBDIR)/$(LIBODM_REAL) $(D)$(LIBDIR)/libodm.so.$(SOVERSION) $(D)$(LIBDIR)/libodm.so \
		$(D)$(SBINDIR)/odmagent $(D)$(BINDIR)/odmctl $(D)$(INCLUDEDIR)/odm.h \
		$(D)$(PKGCONFIGDIR)/odm.pc $(D)$(DOCDIR)/LICENSE \
		$(addprefix $(D)$(DOCDIR)/examples/,$(notdir $(DIST_SAMPLES))) \
		$(addprefix $(D)$(UNITDIR)/,odmagent.service odmagent-anchor.service) \
		$(D)$(TMPFILESDIR)/odm.conf $(D)$(COMPLETIONDIR)/odmctl
	for m in $(MAN_PAGES); do rm -f $(D)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	for e in $(DIST_ETC); do f=$(D)$(SYSCONFDIR)/odm/$${e%%:*}; \
		if cmp -s $$f $(DIST)/$${e#*:}; then rm -f $$f; \
		elif [ -e $$f ]; then echo "uninstall: $$f differs from the sample: kept"; fi; done
	rmdir $(D)$(DOCDIR)/examples $(D)$(DOCDIR) $(D)$(SYSCONFDIR)/odm 2>/dev/null || true

deb: all
	bash $(DIST)/deb/build.sh $(BUILD) $(VERSION)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/fuzzobj -name '*.d' 2>/dev/null)
