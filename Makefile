# gupdemo - top-level Makefile.  `make help` lists the targets.
#
# Kernel selection (module, demo):
#   KVER=<release>|6.1|6.12|6.12-rt|lts|newest
#                             kernel to build for: a short name is a kernel of the cache that
#                             scripts/kernels.sh fetch fills from Debian's archive (make kernels);
#                             a release may also be a kernel installed on this machine.  Default:
#                             the running kernel if its headers are installed, else the newest
#                             cached generic kernel the host's compiler builds for
#   KVER=all                  the matrix: 6.1, 6.12, 6.12-rt, lts, newest (scripts/kernels.sh matrix)
#   KDIR=<dir>                build against this kernel build directory (KVER is read from it)
# The cache is ${GUPDEMO_CACHE:-~/.cache/gupdemo}: kernels/ (unpacked Debian packages),
# buildroot/ (Debian build roots for kernels built with a newer compiler than the host's);
# make distclean-cache removes it.  Nothing is installed on the host, nothing goes to /boot.
# Each kernel's module goes to $(BUILD)/kernel/<KVER>/gupdemo.ko.  W=1 always; WERROR=1 makes
# any warning fatal (make check and make lint do), SPARSE=1 runs sparse too.
# Userspace and tests come from user/user.mk and tests/tests.mk.

BUILD ?= build
export BUILD

# Shell helpers; evaluated only where used, so `make help` / `make clean` need no kernel.
kernels := scripts/kernels.sh
ifneq ($(strip $(KDIR)),)
KVERS = $(shell $(kernels) release $(KDIR))
else ifeq ($(KVER),all)
KVERS = $(shell $(kernels) matrix)
else
KVERS = $(shell $(kernels) resolve $(or $(KVER),default))
endif
ALL_KVERS = $(shell $(kernels) matrix)
# make check's kernels: the matrix, or CHECK_KERNELS="newest" (short names or releases) for some.
CHECK_KERNELS ?= all
CHECK_KVERS = $(if $(filter all,$(CHECK_KERNELS)),$(ALL_KVERS),$(foreach k,$(CHECK_KERNELS),$(shell $(kernels) resolve $(k) 2>/dev/null)))
GUPDEMO_CACHE ?= $(HOME)/.cache/gupdemo
export GUPDEMO_CACHE
# The kernels make demo downloads when the cache has none (one kernel, about 120 MB).
DEMO_KERNELS ?= 6.12
DEFAULT_KVER = $(shell $(kernels) resolve $(or $(KVER),default))

# Files checkpatch must find clean.
LINT_C := $(wildcard module/*.[ch] tests/kmod/*.c) include/uapi/linux/gupdemo.h
LINT_SH := scripts/deps.sh scripts/kernels.sh scripts/buildroot.sh scripts/build-module scripts/checkpatch.sh \
	scripts/extract-vmlinux scripts/mkinitramfs scripts/vm-run scripts/mk-guest-wrappers \
	scripts/lint-tap .ci/run tests/pkg/t_dkms tests/pkg/t_install tests/pkg/t_vmrun \
	scripts/build-debug-kernel scripts/bench-plot scripts/demo
LINT_INIT := scripts/guest-init

# prove: -j3 unless told otherwise.  With 2 cores, -j2 was faster than -j1, and -j3 faster than
# -j2 (one kernel's suite and the host tests: 137 s against 217 s): the edu lines wait on the
# device's 100 ms timer, and a third guest fills that time (README, Tests).
PROVE_JOBS ?= 3
GUEST_SUITE ?= tests/guest/suite
PROVE_FLAGS ?= -j$(PROVE_JOBS) --timer
# make check's builds (module for every kernel, library, CLI, tests): one job per CPU unless
# told otherwise (measured here: 85 s serial, 58 s with 2 jobs, for the three modules with sparse).
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 1)

.PHONY: all
all: module user tests

# user/user.mk and tests/tests.mk (owned by the userspace side) define USER_*, HOST_TESTS,
# GUEST_BINS and the rules for them.
-include user/user.mk
-include tests/tests.mk

# Debian's trinity fuzzer and gupdemo's ioctl group for it (tests/trinity/gupdemo.c, an
# LD_PRELOAD object that registers the group through trinity's exported
# register_ioctl_group()) go into the guest as /bin/trinity and /bin/gupdemo-trinity.so
# for tests/guest/t_trinity.  The group declares trinity's structs itself: it is built
# only against the trinity version whose ABI it mirrors (Debian bookworm's).
TRINITY := /usr/bin/trinity
TRINITY_VERSION := 1.9+git20230109.87f1530-1
TRINITY_SO := $(BUILD)/tests/trinity/gupdemo-trinity.so
GUEST_BINS += $(TRINITY) $(TRINITY_SO)
tests-all: $(TRINITY_SO)

$(TRINITY):
	@echo 'make: $@ not found: install Debian'"'"'s trinity package (make deps)' >&2; exit 1

$(TRINITY_SO): tests/trinity/gupdemo.c include/uapi/linux/gupdemo.h $(TRINITY)
	@v=$$(dpkg-query -W -f='$${Version}' trinity 2>/dev/null); [ "$$v" = '$(TRINITY_VERSION)' ] || \
		{ echo "make: tests/trinity/gupdemo.c mirrors the ABI of trinity $(TRINITY_VERSION), installed: $${v:-none}" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $<

.PHONY: help deps module user tests lint lint-checkpatch lint-shell check check-build check-run \
	demo bench clean distclean kernels install install-module uninstall check-debug lint-cppcheck \
	distclean-cache kernels-fetch

help:
	@echo 'gupdemo targets:'
	@echo '  make [module] [KVER=..|all] [KDIR=..]  build gupdemo.ko into $(BUILD)/kernel/<KVER>/'
	@echo '  make user          libgupdemo (.a, .so), gupdemo.pc and the gupdemo CLI'
	@echo '  make tests         host unit tests and guest test binaries'
	@echo '  make demo          boot the default kernel (edu device) in QEMU, load the module with'
	@echo '                     libkmod, run every scenario (gupdemo run) and a short benchmark'
	@echo '  make bench         the benchmark matrix on every installed kernel (KVER= for one):'
	@echo '                     $(BUILD)/bench/<KVER>.{json,csv,txt} and PNG plots (BENCH_OPTS=...)'
	@echo '  make check         deps, the kernels (cached), build for each kernel of the matrix (W=1,'
	@echo '                     sparse where it parses the headers, warnings fatal), then one prove run:'
	@echo '                     lint, host tests, the guest suite on each kernel'

	@echo '  make check-debug   build (or reuse) the debug kernel (scripts/build-debug-kernel), the module'
	@echo '                     for it (warnings fatal), then one prove run of tests/guest/suite and'
	@echo '                     tests/guest/suite-debug on it with vm-run --debug-checks (kmemleak,'
	@echo '                     DMA-API debug, rmmod after every test)'
	@echo '  make lint          checkpatch --strict, sparse + W=1 -Werror builds, shellcheck, cppcheck'
	@echo '  make install       module (+depmod), library, headers, gupdemo.pc, CLI, man page, examples'
	@echo '                     (PREFIX=/usr/local DESTDIR= KVER=); make uninstall removes them'
	@echo '  make kernels       download the matrix kernels into the cache (Debian packages unpacked, not'
	@echo '                     installed; about 450 MB) and list the cached and installed kernels'
	@echo '  make distclean-cache  remove the kernel cache and build roots ($(GUPDEMO_CACHE))'
	@echo '  make deps          install missing Debian packages (root) or print the apt command'
	@echo '  make clean         remove build products (keeps $(BUILD)/tools); distclean: all of $(BUILD)'
	@echo 'Variables: KVER KDIR BUILD WERROR=1 SPARSE=1 PROVE_JOBS=N BUILD_JOBS=N V=1 GUPDEMO_CACHE'
	@echo '  CHECK_KERNELS="newest lts": make check on some kernels of the matrix only (default all)'
	@echo 'One guest test by hand:  scripts/vm-run --kernel 6.12 -- /bin/t_basic'

deps:
	@scripts/deps.sh

# The kernel cache: scripts/kernels.sh fetch (the archive's package lists each time, the
# packages only when a release is new); SKIP lines say which kernel is not available and why.
kernels-fetch:
	@$(kernels) fetch

kernels: kernels-fetch
	@echo 'matrix:'; for k in $$($(kernels) matrix); do echo "  $$k"; done
	@$(kernels) skipped | sed 's/^/  SKIP /'
	@echo 'all cached and installed:'; $(kernels) list | sed 's/^/  /'

distclean-cache:
	rm -rf '$(GUPDEMO_CACHE)/kernels' '$(GUPDEMO_CACHE)/buildroot' '$(GUPDEMO_CACHE)/debug-kernel'

module:
	+@kvers='$(KVERS)'; [ -n "$$kvers" ] || { echo 'make: no kernel to build for (see make kernels)' >&2; exit 1; }; \
	for k in $$kvers; do \
		scripts/build-module $(if $(filter 1,$(WERROR)),--werror) $(if $(filter 1,$(SPARSE)),--sparse) \
			"$$k" $(KDIR) || exit 1; \
	done

user: $(USER_LIB_A) $(USER_LIB_SO) $(USER_CLI) $(USER_PC)

# Besides the binaries, record GUEST_BINS for scripts/vm-run (it puts them into the initramfs).
tests: $(HOST_TESTS) $(GUEST_BINS)
	@mkdir -p $(BUILD)/vm
	@echo '$(GUEST_BINS)' > $(BUILD)/vm/guest-bins.tmp && mv $(BUILD)/vm/guest-bins.tmp $(BUILD)/vm/guest-bins

lint-checkpatch:
	@scripts/checkpatch.sh $(LINT_C)

lint-shell:
	@scripts/lint-tap shellcheck $(LINT_SH) $(LINT_INIT)

# cppcheck on user/ and tests/ (zero findings; each suppression in scripts/cppcheck.supp says why).
LINT_CPPCHECK := $(wildcard user/*/*.c tests/*/*.c)
lint-cppcheck:
	@scripts/lint-tap cppcheck $(LINT_CPPCHECK)

lint: lint-checkpatch lint-shell lint-cppcheck
	@$(MAKE) --no-print-directory module KVER=all WERROR=1 SPARSE=1

# make check: every step in order (also under make -j); prove's summary is the last output,
# followed by what each failed guest test said (scripts/show-failures) when one failed.
check: deps
	@start=$$(date +%s); $(MAKE) --no-print-directory check-build && \
		echo "check: builds took $$(( $$(date +%s) - start )) s"
	@$(MAKE) --no-print-directory check-run

check-build: kernels-fetch
	$(if $(strip $(CHECK_KVERS)),,@echo 'check: no kernel in the cache (see the SKIP lines): no module to build' >&2; exit 0; )$(MAKE) --no-print-directory -j$(BUILD_JOBS) module $(if $(filter all,$(CHECK_KERNELS)),KVER=all,KVER= KDIR= KVERS='$(CHECK_KVERS)') WERROR=1 SPARSE=1
	$(MAKE) --no-print-directory -j$(BUILD_JOBS) user tests

# One prove run: the lint (checkpatch, shellcheck) as TAP tests, the host tests, and the guest
# suite's wrappers $(BUILD)/check/<KVER>/<name> for each installed kernel.
LINT_TESTS := $(BUILD)/check/lint/checkpatch $(BUILD)/check/lint/shellcheck $(BUILD)/check/lint/cppcheck
# Packaging checks: DKMS builds, the syzlang description matches the uapi header.
PKG_TESTS := $(wildcard tests/pkg/t_*)
check-run:
	@scripts/mk-guest-wrappers $(GUEST_SUITE) $(BUILD)/check $(CHECK_KVERS)
	@$(kernels) skipped | awk -v want=' $(CHECK_KERNELS) ' '{ n = $$1; sub(/:$$/, "", n) } \
		want ~ / all / || index(want, " " n " ")' > $(BUILD)/check/skipped; while IFS=: read -r n why; do \
		mkdir -p $(BUILD)/check/$$n; echo "check: SKIP kernel $$n:$$why"; \
		printf '#!/bin/sh\ngrep -m1 "^%s: " %s | sed "s/^/1..0 # SKIP kernel /"\n' "$$n" '$(abspath $(BUILD))/check/skipped' \
			> $(BUILD)/check/$$n/suite; chmod +x $(BUILD)/check/$$n/suite; \
		echo $(BUILD)/check/$$n/suite >> $(BUILD)/check/list; done < $(BUILD)/check/skipped
	@mkdir -p $(BUILD)/check/lint
	@printf '#!/bin/sh\nexec scripts/lint-tap checkpatch %s\n' '$(LINT_C)' > $(BUILD)/check/lint/checkpatch
	@printf '#!/bin/sh\nexec scripts/lint-tap shellcheck %s\n' '$(LINT_SH) $(LINT_INIT)' > $(BUILD)/check/lint/shellcheck
	@printf '#!/bin/sh\nexec scripts/lint-tap cppcheck %s\n' '$(LINT_CPPCHECK)' > $(BUILD)/check/lint/cppcheck
	@chmod +x $(LINT_TESTS)
	@echo 'prove $(PROVE_FLAGS): lint, $(words $(HOST_TESTS) $(PKG_TESTS)) host tests, guest suite on: $(CHECK_KVERS)'
	@prove $(PROVE_FLAGS) $(LINT_TESTS) $(HOST_TESTS) $(PKG_TESTS) $$(cat $(BUILD)/check/list) || \
		{ scripts/show-failures $(BUILD)/check; exit 1; }

# make check-debug: the debug kernel (built once, cached outside the tree by
# scripts/build-debug-kernel), gupdemo.ko for it with warnings fatal, then one prove run of
# the normal suite and tests/guest/suite-debug on it.  Every test runs with vm-run
# --debug-checks (kmemleak, DMA-API debug, rmmod after the command; any report fails it)
# and --timeout-scale $(DEBUG_TIMEOUT_SCALE) (KASAN and lockdep under TCG are slow).
# The test helper modules of tests/kmod (kprobes: debug kernel only) go to $(HELPER_KMOD_DIR),
# where the suite-debug lines that need one pass it to vm-run --file.
DEBUG_SERIES ?= newest
DEBUG_SUITE ?= tests/guest/suite-debug
DEBUG_TIMEOUT_SCALE ?= 4
HELPER_KMOD_DIR = $(BUILD)/tests/kmod/debug
check-debug: deps
	+@start=$$(date +%s); \
	dir=$$(scripts/build-debug-kernel $(DEBUG_SERIES) | tail -n 1) && [ -d "$$dir/build" ] || \
		{ echo 'check-debug: building the debug kernel failed' >&2; exit 1; }; \
	echo "check-debug: debug kernel $$dir (ready after $$(( $$(date +%s) - start )) s; cold build took $$(cat $$dir/build-seconds 2>/dev/null || echo ?) s)"; \
	$(MAKE) --no-print-directory module KDIR="$$dir/build" WERROR=1 KVER= && \
	mkdir -p $(HELPER_KMOD_DIR) && cp -sf $(abspath tests/kmod)/* $(HELPER_KMOD_DIR)/ && \
	$(MAKE) -C "$$dir/build" M=$(abspath $(HELPER_KMOD_DIR)) W=1 KCFLAGS=-Werror modules >/dev/null && \
	$(MAKE) --no-print-directory user tests && \
	mkdir -p $(BUILD)/check-debug && cat $(GUEST_SUITE) $(DEBUG_SUITE) > $(BUILD)/check-debug/suite && \
	scripts/mk-guest-wrappers --vm-opts '--debug-checks --timeout-scale $(DEBUG_TIMEOUT_SCALE)' \
		$(BUILD)/check-debug/suite $(BUILD)/check-debug/run debug="$$dir/build" && \
	echo "check-debug: prove $(PROVE_FLAGS): $$(wc -l < $(BUILD)/check-debug/run/list) guest tests on the debug kernel" && \
	{ prove $(PROVE_FLAGS) $$(cat $(BUILD)/check-debug/run/list) || \
		{ scripts/show-failures $(BUILD)/check-debug/run; exit 1; }; }

# make demo: scripts/demo boots four guests of the default kernel (every scenario and the lab
# with an edu device of a 64-bit DMA mask; the lab's ZONE_MOVABLE scenarios; its NUMA one; a
# short benchmark ending with pin vs mirror), a line per phase with its time, and one verdict.
demo: deps
	@$(if $(KVER),,$(kernels) matrix | grep -q . || $(kernels) fetch $(DEMO_KERNELS))
	@mkdir -p $(BUILD)/demo
	@echo "demo: building gupdemo.ko for $(DEFAULT_KVER) and the gupdemo CLI (log: $(BUILD)/demo/build.log)"
	@{ $(MAKE) --no-print-directory module KVER='$(DEFAULT_KVER)' KDIR= && \
	   $(MAKE) --no-print-directory $(USER_CLI); } >$(BUILD)/demo/build.log 2>&1 || \
		{ tail -n 30 $(BUILD)/demo/build.log; echo "demo: the build failed (log: $(BUILD)/demo/build.log)"; exit 1; }
	@scripts/demo '$(DEFAULT_KVER)' '$(USER_CLI)'

# make bench: boot each kernel with room for 1 GiB buffers (and as much hugetlb), run the whole
# matrix, take the JSON/CSV/table out of the guest's output (between marker lines: its stdout is
# the only channel) and plot it.  BENCH_OPTS adds gupdemo bench options (e.g. --sizes 1M,128M).
BENCH_DIR = $(BUILD)/bench
BENCH_KVERS = $(if $(filter-out all,$(KVER)),$(DEFAULT_KVER),$(ALL_KVERS))
BENCH_VM_OPTS := --mem 3G --timeout 5400 --edu-dma-mask 0xffffffffffffffff \
	--modparams edu_dma_bits=64
BENCH_OPTS ?=
bench: deps
	@$(MAKE) --no-print-directory module KVER='$(if $(filter-out all,$(KVER)),$(KVER),all)' KDIR=
	@$(MAKE) --no-print-directory $(USER_CLI)
	@mkdir -p $(BENCH_DIR)
	@for k in $(BENCH_KVERS); do \
		accel=$${GUPDEMO_ACCEL:-$$(cat $(BUILD)/vm/accel 2>/dev/null || true)}; \
		echo "bench: kernel $$k: running the matrix in the guest (minutes under TCG), log $(BENCH_DIR)/$$k.log"; \
		GUPDEMO_GUEST_BINS='$(USER_CLI)' scripts/vm-run --kernel "$$k" $(BENCH_VM_OPTS) -- \
			env GUPDEMO_ACCEL="$$accel" /bin/gupdemo bench --table --json --csv --markers --repeats 7 \
			$(BENCH_OPTS) >$(BENCH_DIR)/$$k.log 2>&1 || \
			{ tail -n 40 $(BENCH_DIR)/$$k.log; echo "bench: kernel $$k failed"; exit 1; }; \
		scripts/bench-plot $(BENCH_DIR)/$$k.log $(BENCH_DIR) $$k || exit 1; \
		cat $(BENCH_DIR)/$$k.txt; echo; \
	done

# make install: the module (kbuild modules_install into /lib/modules/<KVER>/updates, depmod
# when installing into the running system, i.e. without DESTDIR), the library, headers,
# gupdemo.pc, the CLI, the man pages (user/user.mk) and the configuration examples
# under $(DATADIR)/gupdemo/examples (the modprobe.d one written from the module's
# modinfo).  PREFIX (default /usr/local), DESTDIR and KVER are honoured.
# make uninstall removes exactly those files.
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
EXAMPLES := module/etc/60-gupdemo.rules module/etc/modules-load-gupdemo.conf
INSTALL_KVER = $(DEFAULT_KVER)
MOD_INSTALL_DIR = $(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates

# Without DESTDIR the module goes into the running system: only for a kernel installed there
# (a cached kernel is data, not an installed kernel: stage it with DESTDIR=).
install-module:
	@$(if $(DESTDIR),,[ -d '/lib/modules/$(INSTALL_KVER)/kernel' ] || { echo 'make install: $(INSTALL_KVER) is not installed on this machine (no /lib/modules/$(INSTALL_KVER)/kernel): give KVER= an installed kernel, or stage with DESTDIR=' >&2; exit 1; })
	@$(MAKE) --no-print-directory module KVER='$(INSTALL_KVER)' KDIR=
	$(MAKE) -C $$($(kernels) kdir '$(INSTALL_KVER)') M=$(abspath $(BUILD))/kernel/$(INSTALL_KVER) \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= modules_install
	$(if $(DESTDIR),@echo 'install: DESTDIR is set: depmod is left to the packager',depmod -a '$(INSTALL_KVER)')

install: install-module user-install
	install -d $(DESTDIR)$(DATADIR)/gupdemo/examples
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DATADIR)/gupdemo/examples/
	$(call user_modprobe_conf,$(BUILD)/kernel/$(INSTALL_KVER)/gupdemo.ko,$(DESTDIR)$(DATADIR)/gupdemo/examples/modprobe-gupdemo.conf)

uninstall:
	rm -f $(MOD_INSTALL_DIR)/gupdemo.ko $(MOD_INSTALL_DIR)/gupdemo.ko.xz \
		$(MOD_INSTALL_DIR)/gupdemo.ko.zst
	$(if $(DESTDIR),,depmod -a '$(INSTALL_KVER)')
	rm -f $(addprefix $(DESTDIR),$(USER_INSTALLED)) \
		$(addprefix $(DESTDIR)$(DATADIR)/gupdemo/examples/,$(notdir $(EXAMPLES)) \
			modprobe-gupdemo.conf)
	-rmdir $(DESTDIR)$(DATADIR)/gupdemo/examples $(DESTDIR)$(DATADIR)/gupdemo 2>/dev/null

clean:
	rm -rf $(BUILD)/kernel $(BUILD)/user $(BUILD)/tests $(BUILD)/check $(BUILD)/vm

distclean:
	rm -rf $(BUILD)
