# tests/tests.mk - host unit tests and guest test binaries (TAP executables).
# Included by the top-level Makefile after user/user.mk.
#
# Defines: HOST_TESTS (run on the build host, e.g. `prove $(HOST_TESTS)`),
# GUEST_TESTS (test binaries), GUEST_BINS (everything to put into the guest's
# /bin: the tests and the CLI), and phony targets tests-all, host-check
# (builds and runs the host tests through prove) and tests-clean.
# The guest suite table is tests/guest/suite.

# The library's header, the lab kit's (tests that use scenarios, page info or
# memory blocks include gupdemo-lab.h) and tests/.
TESTS_CFLAGS := $(USER_CFLAGS) $(USER_LAB_CFLAGS) -Itests

HOST_TEST_NAMES := t_vmstat t_uapi t_lib t_cli t_pageinfo t_buf t_man t_version t_units
# Every tests/guest/t_*.c is a guest test binary.
GUEST_TEST_NAMES := $(sort $(basename $(notdir $(wildcard tests/guest/t_*.c))))

HOST_TESTS := $(addprefix $(BUILD)/tests/host/,$(HOST_TEST_NAMES))
GUEST_TESTS := $(addprefix $(BUILD)/tests/guest/,$(GUEST_TEST_NAMES))
GUEST_BINS := $(GUEST_TESTS) $(USER_CLI)

# Tests link the lab kit and libgupdemo statically and libkmod dynamically,
# like the CLI.
$(BUILD)/tests/host/%: tests/host/%.c tests/tap.h $(USER_STATIC_LIBS)
	@mkdir -p $(@D)/.deps
	$(USER_SAY) CC $@
	$(USER_Q)$(CC) $(TESTS_CFLAGS) $(TEST_DEFS) $(CFLAGS) -MMD -MP -MF $(@D)/.deps/$(@F).d $(LDFLAGS) -o $@ $< \
		$(USER_STATIC_LIBS) $(USER_LDLIBS)

$(BUILD)/tests/guest/%: tests/guest/%.c tests/guest/guest.h tests/tap.h \
		$(USER_STATIC_LIBS)
	@mkdir -p $(@D)/.deps
	$(USER_SAY) CC $@
	$(USER_Q)$(CC) $(TESTS_CFLAGS) $(CFLAGS) -pthread -MMD -MP -MF $(@D)/.deps/$(@F).d $(LDFLAGS) -o $@ $< \
		$(USER_STATIC_LIBS) $(USER_LDLIBS)

# The CLI test runs the CLI it was built next to (override: GUPDEMO_CLI=path).
$(BUILD)/tests/host/t_cli: TEST_DEFS := -DGUPDEMO_CLI_PATH='"$(abspath $(USER_CLI))"'
$(BUILD)/tests/host/t_cli: $(USER_CLI)
# The man page test compares the CLI's help with user/cli/gupdemo.1.
$(BUILD)/tests/host/t_man: TEST_DEFS := -DGUPDEMO_CLI_PATH='"$(abspath $(USER_CLI))"' \
	-DGUPDEMO_TOP='"$(abspath .)"'
$(BUILD)/tests/host/t_man: $(USER_CLI) tests/clirun.h
# The version test reads the version's copies in the tree and the build.
$(BUILD)/tests/host/t_version: TEST_DEFS := -DGUPDEMO_CLI_PATH='"$(abspath $(USER_CLI))"' \
	-DGUPDEMO_TOP='"$(abspath .)"' -DGUPDEMO_BUILD_USER='"$(abspath $(BUILD)/user)"'
$(BUILD)/tests/host/t_version: $(USER_CLI) $(USER_PC) $(USER_LIB_SO) tests/clirun.h

.PHONY: tests-all host-check tests-clean
tests-all: $(HOST_TESTS) $(GUEST_BINS)

host-check: $(HOST_TESTS)
	prove -v $(HOST_TESTS)

tests-clean:
	rm -rf $(BUILD)/tests

-include $(foreach t,$(HOST_TESTS) $(GUEST_TESTS),$(dir $(t)).deps/$(notdir $(t)).d)

# Dependency files live in .deps/ so that a glob of the test directories
# finds only the test executables.
