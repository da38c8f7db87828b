# user/user.mk - the three products of user/ (user/README.md): libgupdemo
# (user/lib: static + shared, gupdemo.pc; installed), the lab kit (user/lab:
# libgupdemo-lab.a, not installed) and the gupdemo CLI (user/cli).
# Included by the top-level Makefile; paths are relative to the top of the tree.
#
# Defines: USER_CFLAGS (the library's public header and the uapi),
# USER_LAB_CFLAGS (the lab kit's header), USER_LIB_A, USER_LIB_SO, USER_LAB_A,
# USER_CLI, USER_PC and their
# rules; phony targets user-all, user-install (PREFIX, LIBDIR, INCLUDEDIR,
# BINDIR, MANDIR, DESTDIR; ldconfig when DESTDIR is empty) and user-clean;
# USER_INSTALLED (what user-install installs) and user_modprobe_conf (the
# modprobe.d example from a module file's modinfo) for the top Makefile.

BUILD ?= build
PREFIX ?= /usr/local
# PREFIX=/usr: the distribution's multiarch directory (lib/x86_64-linux-gnu),
# where its ld.so and pkg-config look; elsewhere PREFIX/lib.
USER_MULTIARCH = $(shell $(CC) -print-multiarch 2>/dev/null || \
	dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
LIBDIR ?= $(PREFIX)/lib$(if $(filter /usr /usr/,$(PREFIX)),$(addprefix /,$(USER_MULTIARCH)))
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(or $(DATADIR),$(PREFIX)/share)/man

# The one version number of gupdemo: module (MODULE_VERSION), library (.pc
# Version:, the soname's major), CLI (gupdemo -V) and DKMS (dkms.conf).  Its
# one place is MODULE_VERSION in module/main.c, because the module is also
# built without any Makefile (DKMS, plain kbuild) and must carry it itself;
# everything here reads it from there.  dkms.conf holds a copy (DKMS reads
# it literally); tests/host/t_version checks that all of them agree.  How to
# bump it: user/lib/libgupdemo.map.
USER_VERSION := $(shell sed -n 's/^MODULE_VERSION("\([0-9]*\.[0-9]*\.[0-9]*\)");.*/\1/p' module/main.c)
ifeq ($(USER_VERSION),)
$(error user/user.mk: no MODULE_VERSION("X.Y.Z") line in module/main.c)
endif
USER_SOVERSION := $(firstword $(subst ., ,$(USER_VERSION)))

# CFLAGS from the command line or environment are appended (e.g. CFLAGS=-O0).
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
	-Iinclude/uapi -Iuser/lib -DGUPDEMO_VERSION_STRING='"$(USER_VERSION)"'
USER_LAB_CFLAGS := -Iuser/lab
USER_LDLIBS := -lkmod

# Quiet builds, kbuild style ("  CC      build/user/obj/cli.o"); V=1 prints
# the whole command lines.  Also used by tests/tests.mk.
ifeq ($(V),1)
USER_Q :=
USER_SAY = @:
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
USER_Q := @
USER_SAY = @:
else
USER_Q := @
USER_SAY = @printf '  %-7s %s\n'
endif

# Each wing's objects in $(USER_OBJDIR)/<wing>/.  A wing's private headers
# sit beside its sources (found by #include "..." from there); the -I flags
# name only public headers: the library's for everyone, the lab kit's for
# the lab and the CLI.
USER_OBJDIR := $(BUILD)/user/obj
USER_LIB_SRCS := $(addprefix user/lib/,libgupdemo.c buf.c kmod.c vmstat.c retry.c)
USER_LAB_SRCS := $(addprefix user/lab/,catalogue.c verdict.c lab.c pageinfo.c measure.c \
	sysfs.c)
USER_CLI_SRCS := $(addprefix user/cli/,cli.c command.c cmd_info.c cmd_load.c cmd_demo.c cmd_run.c \
	run_report.c \
	json.c num.c bench.c bench_model.c bench_env.c bench_stat.c bench_matrix.c bench_dma.c \
	bench_mirror.c bench_map.c bench_report.c)
user_objs = $(patsubst user/%.c,$(USER_OBJDIR)/%.o,$(1))
USER_LIB_OBJS := $(call user_objs,$(USER_LIB_SRCS))
USER_LAB_OBJS := $(call user_objs,$(USER_LAB_SRCS))
USER_CLI_OBJS := $(call user_objs,$(USER_CLI_SRCS))

USER_LIB_A := $(BUILD)/user/libgupdemo.a
USER_LAB_A := $(BUILD)/user/libgupdemo-lab.a
USER_LIB_SONAME := libgupdemo.so.$(USER_SOVERSION)
USER_LIB_SO_REAL := $(BUILD)/user/$(USER_LIB_SONAME)
USER_LIB_SO := $(BUILD)/user/libgupdemo.so
USER_LIB_MAP := user/lib/libgupdemo.map
USER_CLI := $(BUILD)/user/gupdemo
USER_PC := $(BUILD)/user/gupdemo.pc

$(USER_OBJDIR)/%.o: user/%.c
	@mkdir -p $(@D)
	$(USER_SAY) CC $@
	$(USER_Q)$(CC) $(USER_CFLAGS) $(USER_WING_CFLAGS) $(CFLAGS) -fPIC -MMD -MP -c -o $@ $<

$(USER_LAB_OBJS) $(USER_CLI_OBJS): USER_WING_CFLAGS := $(USER_LAB_CFLAGS)

# What prints the version is rebuilt when it changes.
$(call user_objs,user/cli/cli.c user/cli/json.c user/cli/cmd_info.c): module/main.c

$(USER_LIB_A): $(USER_LIB_OBJS)
$(USER_LAB_A): $(USER_LAB_OBJS)
$(USER_LIB_A) $(USER_LAB_A):
	@mkdir -p $(@D)
	$(USER_SAY) AR $@
	$(USER_Q)rm -f $@
	$(USER_Q)$(AR) rcs $@ $^

$(USER_LIB_SO_REAL): $(USER_LIB_OBJS) $(USER_LIB_MAP)
	@mkdir -p $(@D)
	$(USER_SAY) LD $@
	$(USER_Q)$(CC) -shared -Wl,-soname,$(USER_LIB_SONAME) \
		-Wl,--version-script=$(USER_LIB_MAP) -Wl,--no-undefined \
		$(LDFLAGS) -o $@ $(USER_LIB_OBJS) $(USER_LDLIBS)

$(USER_LIB_SO): $(USER_LIB_SO_REAL)
	$(USER_Q)ln -sf $(USER_LIB_SONAME) $@

# The CLI links the lab kit and libgupdemo statically, libkmod dynamically
# (no static libkmod).  The tests link the same way (tests/tests.mk).
USER_STATIC_LIBS := $(USER_LAB_A) $(USER_LIB_A)
$(USER_CLI): $(USER_CLI_OBJS) $(USER_STATIC_LIBS)
	$(USER_SAY) LD $@
	$(USER_Q)$(CC) $(LDFLAGS) -o $@ $(USER_CLI_OBJS) $(USER_STATIC_LIBS) $(USER_LDLIBS)

# gupdemo.pc says where the files go: it is rewritten whenever PREFIX, LIBDIR,
# INCLUDEDIR or the version differ from the last time (a plain `make` and
# then `make install PREFIX=/usr` installs one that says /usr).
USER_PC_VARS := $(BUILD)/user/gupdemo.pc.vars
$(USER_PC_VARS): FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(USER_VERSION)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

$(USER_PC): user/lib/gupdemo.pc.in user/user.mk $(USER_PC_VARS)
	@mkdir -p $(@D)
	$(USER_SAY) GEN $@
	$(USER_Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(USER_VERSION)|' \
		$< > $@

.PHONY: FORCE
FORCE:

# The man pages (sources beside what they describe; installed by user-install).
USER_MAN_PAGES := user/cli/gupdemo.1 user/lib/libgupdemo.3 user/lib/gupdemo.4

# The modprobe.d example, from the module file's own parameter list:
# $(call user_modprobe_conf,MODULE.ko,OUTPUT).  Each parameter whose
# description says "(default N)" goes into the options line at N; every one
# is listed with its description.
USER_MODINFO = $(or $(shell command -v modinfo 2>/dev/null),/sbin/modinfo)
define user_modprobe_conf
	@mkdir -p $(dir $(2))
	@{ echo '# modprobe.d example for gupdemo (not activated by default): copy to'; \
	  echo '# /etc/modprobe.d/gupdemo.conf.  Written from modinfo of gupdemo.ko'; \
	  echo '# $(USER_VERSION): every parameter, the options line at the defaults.'; \
	  $(USER_MODINFO) -F parm '$(1)' | sed 's/^\([^:]*\):/#   \1: /'; \
	  nodef=$$($(USER_MODINFO) -F parm '$(1)' | grep -v '(default [0-9]' | \
		sed -n 's/^\([^:]*\):.*/\1/p' | tr '\n' ' '); \
	  [ -z "$$nodef" ] || echo "# Not below (no \"default N\" in the description): $$nodef"; \
	  printf 'options gupdemo'; \
	  $(USER_MODINFO) -F parm '$(1)' | \
		sed -n 's/^\([^:]*\):.*(default \([0-9][0-9]*\).*/ \1=\2/p' | tr -d '\n'; \
	  echo; } > '$(2)' && grep -q '^options gupdemo ' '$(2)' || \
	  { echo 'install: no module parameters in modinfo of $(1)' >&2; exit 1; }
endef

# Installed by user-install, relative to DESTDIR (for make uninstall).
USER_INSTALLED = $(LIBDIR)/libgupdemo.a $(LIBDIR)/$(USER_LIB_SONAME) \
	$(LIBDIR)/libgupdemo.so $(LIBDIR)/pkgconfig/gupdemo.pc \
	$(INCLUDEDIR)/gupdemo.h $(INCLUDEDIR)/linux/gupdemo.h $(BINDIR)/gupdemo \
	$(MANDIR)/man1/gupdemo.1 $(MANDIR)/man3/libgupdemo.3 $(MANDIR)/man4/gupdemo.4

.PHONY: user-all user-install user-clean
user-all: $(USER_LIB_A) $(USER_LIB_SO) $(USER_LAB_A) $(USER_CLI) $(USER_PC)

user-install: user-all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(BINDIR)
	install -m 0644 $(USER_LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(USER_LIB_SO_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf $(USER_LIB_SONAME) $(DESTDIR)$(LIBDIR)/libgupdemo.so
	install -m 0644 $(USER_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 user/lib/gupdemo.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 include/uapi/linux/gupdemo.h $(DESTDIR)$(INCLUDEDIR)/linux/
	install -m 0755 $(USER_CLI) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man4
	install -m 0644 user/cli/gupdemo.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 user/lib/libgupdemo.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 0644 user/lib/gupdemo.4 $(DESTDIR)$(MANDIR)/man4/
	$(if $(DESTDIR),@echo 'install: DESTDIR is set: ldconfig is left to the packager',\
		ldconfig || echo 'install: ldconfig failed (not root?): run it as root' >&2)

user-clean:
	rm -rf $(BUILD)/user

-include $(patsubst %.o,%.d,$(USER_LIB_OBJS) $(USER_LAB_OBJS) $(USER_CLI_OBJS))
