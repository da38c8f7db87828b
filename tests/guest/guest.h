/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest.h - helpers shared by the guest tests (header only).
 *
 * Guest tests run as root inside the QEMU guest with the module loaded by
 * init; GUPDEMO_KO names the module file.  They print TAP (tests/tap.h).
 */
#ifndef GUPDEMO_GUEST_H
#define GUPDEMO_GUEST_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "gupdemo.h"
#include "tap.h"

#define GUPDEMO_PARAM_DIR	"/sys/module/gupdemo/parameters"
#define GUPDEMO_DEBUGFS_DIR	"/sys/kernel/debug/gupdemo"

#define KV(a, b, c)		GUPDEMO_KERNEL_VERSION(a, b, c)

/* GET_INFO on @fd; a failure ends the test program. */
static inline struct gupdemo_info g_info(int fd)
{
	struct gupdemo_info i;
	int ret = gupdemo_get_info(fd, &i);

	if (ret)
		bail_out("GET_INFO failed: %s", strerror(-ret));
	return i;
}

/*
 * One DMA with one side on mirror @h: TO_DEVICE from it, or FROM_DEVICE
 * into it.  The mirror outputs start as garbage, so a test sees that the
 * module wrote them; the struct as the module left it goes to @out.
 */
static inline int g_mirror_dma(int fd, uint32_t op, uint32_t engine,
			       uint32_t h, size_t len, struct gupdemo_dma *out)
{
	struct gupdemo_dma d = { .op = op, .engine = engine, .len = len };
	int ret;

	if (op == GUPDEMO_DMA_TO_DEVICE) {
		d.flags = GUPDEMO_DMA_SRC_MIRROR;
		d.src_handle = h;
	} else {
		d.flags = GUPDEMO_DMA_DST_MIRROR;
		d.dst_handle = h;
	}
	d.mirror_map = 0xdead;
	d.mirror_mapped = 0xdead;
	ret = gupdemo_dma(fd, &d);
	if (out)
		*out = d;
	return ret;
}

/*
 * One DMA call on @fd.  @src/@dst are addresses, or handles with the
 * matching GUPDEMO_DMA_*_HANDLE flag; 0 for a side the operation does not
 * use.  The struct as the module left it goes to @out, if given.
 */
static inline int g_dma(int fd, uint32_t op, uint32_t engine, uint32_t flags,
			uint64_t src, uint64_t dst, uint64_t len,
			struct gupdemo_dma *out)
{
	struct gupdemo_dma d = {
		.flags = flags, .op = op, .engine = engine, .len = len,
	};
	int ret;

	if (flags & GUPDEMO_DMA_SRC_HANDLE)
		d.src_handle = (uint32_t)src;
	else
		d.src_addr = src;
	if (flags & GUPDEMO_DMA_DST_HANDLE)
		d.dst_handle = (uint32_t)dst;
	else
		d.dst_addr = dst;
	ret = gupdemo_dma(fd, &d);
	if (out)
		*out = d;
	return ret;
}

/* Reads a small text file into @buf; returns 0 or -errno. */
static inline int g_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

static inline int g_write_file(const char *path, const char *text)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return (size_t)n == strlen(text) ? 0 : -EIO;
}

static inline int g_read_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;
	int ret = g_read_file(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

static inline int g_write_u64(const char *path, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)v);
	return g_write_file(path, buf);
}

static inline int g_param_get(const char *name, uint64_t *v)
{
	char path[128];

	snprintf(path, sizeof(path), GUPDEMO_PARAM_DIR "/%s", name);
	return g_read_u64(path, v);
}

static inline int g_param_set(const char *name, uint64_t v)
{
	char path[128];

	snprintf(path, sizeof(path), GUPDEMO_PARAM_DIR "/%s", name);
	return g_write_u64(path, v);
}

/* One "key: value" line of /sys/kernel/debug/gupdemo/stats. */
static inline int g_stat_get(const char *key, int64_t *v)
{
	char buf[2048], *p;
	size_t klen = strlen(key);
	int ret = g_read_file(GUPDEMO_DEBUGFS_DIR "/stats", buf, sizeof(buf));

	if (ret)
		return ret;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			*v = strtoll(p + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

/* LINUX_VERSION_CODE of the running kernel; bails out if unknown. */
static inline uint32_t g_kernel_version(void)
{
	uint32_t code;
	int ret = gupdemo_kernel_version(&code);

	if (ret)
		bail_out("cannot tell the running kernel's version: %d", ret);
	return code;
}

/* Exact counters; bails out if stat_refresh did not work. */
static inline struct gupdemo_vmstat g_vmstat(void)
{
	struct gupdemo_vmstat vs;
	int ret = gupdemo_vmstat_read(&vs);

	if (ret)
		bail_out("cannot read the pin counters of /proc/vmstat: %s",
			 strerror(-ret));
	if (!vs.refreshed)
		bail_out("cannot write /proc/sys/vm/stat_refresh (not root?)");
	return vs;
}

/* Checks Δacquired and Δreleased since @before (two TAP lines). */
static inline bool g_check_delta(const struct gupdemo_vmstat *before,
				 int64_t exp_acq, int64_t exp_rel,
				 const char *what)
{
	struct gupdemo_vmstat now = g_vmstat();
	int64_t da = (int64_t)(now.acquired - before->acquired);
	int64_t dr = (int64_t)(now.released - before->released);
	bool r = true;

	r &= is_int(da, exp_acq, "%s: delta nr_foll_pin_acquired = %lld", what,
		    (long long)exp_acq);
	r &= is_int(dr, exp_rel, "%s: delta nr_foll_pin_released = %lld", what,
		    (long long)exp_rel);
	return r;
}

/* GET_INFO's module-wide pins_held and pages_held are both 0. */
static inline bool g_check_nothing_held(int fd, const char *what)
{
	struct gupdemo_info info;
	int ret = gupdemo_get_info(fd, &info);

	if (ret)
		return fail("%s: nothing held (GET_INFO failed: %s)", what,
			    strerror(-ret));
	if (!ok(info.pins_held == 0 && info.pages_held == 0,
		"%s: module holds no pins (pins_held %llu, pages_held %llu)",
		what, (unsigned long long)info.pins_held,
		(unsigned long long)info.pages_held))
		return false;
	return true;
}

/*
 * Every GET_INFO feature bit this test suite knows: a bit outside it is a
 * feature the tests were not written for.  Add new bits here.
 */
#define G_FEAT_KNOWN		(GUPDEMO_FEAT_MIRROR_LIVE * 2 - 1)

#define G_THP_DIR		"/sys/kernel/mm/transparent_hugepage"

/*
 * Whether the running kernel has transparent huge pages at all.  A kernel
 * built without them (Debian's PREEMPT_RT flavour: THP depends on
 * !PREEMPT_RT) has no /sys/kernel/mm/transparent_hugepage, and there
 * madvise(MADV_HUGEPAGE) and madvise(MADV_NOHUGEPAGE) fail with EINVAL.
 */
static inline bool g_thp_built(void)
{
	struct stat st;

	return stat(G_THP_DIR, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Why THP cannot back a MADV_HUGEPAGE mapping on the running kernel, or
 * NULL when it can (transparent_hugepage/enabled is "always" or "madvise").
 */
static inline const char *g_thp_off_reason(void)
{
	char text[256] = "";

	if (!g_thp_built())
		return "the kernel has no transparent huge pages (no " G_THP_DIR ")";
	if (g_read_file(G_THP_DIR "/enabled", text, sizeof(text)))
		return "cannot read " G_THP_DIR "/enabled";
	if (!strstr(text, "[always]") && !strstr(text, "[madvise]"))
		return "THP is off (" G_THP_DIR "/enabled: never)";
	return NULL;
}

/*
 * @npages small pages of private anonymous memory (THP is "always" on
 * Debian: small-page tests opt out; a kernel without THP has no other),
 * page i holding i + 1 when @populate; bails out on failure.  The buffer is
 * the whole mapping: munmap(p, npages * page size) releases it.
 */
static inline char *g_map_anon(size_t npages, bool populate)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	struct gupdemo_buf b;
	int ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_4K, npages * psz,
				    populate ? GUPDEMO_BUF_TOUCH : 0);

	if (ret)
		bail_out("%zu small anonymous pages: %s", npages, strerror(-ret));
	return b.p;
}

static inline int g_open(void)
{
	int fd, ret = gupdemo_open(NULL, &fd);

	if (ret)
		bail_out("cannot open " GUPDEMO_DEV_PATH ": %s", strerror(-ret));
	return fd;
}

/*
 * Named tests.  A guest program's tests are a table of named entries, one
 * parser reads the options that choose among them, and g_run() walks the
 * table in order:
 *
 *	static const struct g_test groups[] = {
 *		G_TEST("errors", group_errors),
 *		G_TEST("basic", group_basic),
 *		G_VARIANT("copy/soft", copy_on, &engines[0]),
 *	};
 *
 *	g_parse_args(argc, argv, G_OPT_GROUP | G_OPT_LIST,
 *		     "t_mirror [--group NAME] [--list]");
 *	g_run(groups, G_N(groups), G_BY_GROUP);
 *
 * The options a program takes (@opts of g_parse_args()):
 *   --group NAME  runs the one entry of that name (G_BY_GROUP); a group may
 *                 walk a table of its own parts with G_BY_NAME
 *   --only NAME   runs only the entries of that name (repeatable)
 *   --skip NAME   leaves those out (repeatable)
 *   --list        prints the names of the entries it would run, one a line,
 *                 and runs nothing
 * With G_OPT_SUBSTR, --only and --skip match any part of a name
 * (t_matrix's cells: --only get-w/ext4); without, the whole name, and a
 * name no entry has is a bail-out (a typo must not pass with no test).
 * A plain test is a function of no arguments (@fn).  A variant is an entry
 * with @run and @arg, a row of the program's own table (an engine, a memory
 * kind): several entries share @run, each with its own row.
 */
struct g_test {
	const char *name;
	void (*fn)(void);
	void (*run)(const void *arg);
	const void *arg;	/* the variant's row */
};

#define G_TEST(n, f)		{ .name = (n), .fn = (f) }
#define G_VARIANT(n, r, a)	{ .name = (n), .run = (r), .arg = (a) }
#define G_N(a)			(sizeof(a) / sizeof((a)[0]))

enum {
	G_OPT_GROUP		= 1 << 0,
	G_OPT_GROUP_REQUIRED	= 1 << 1,
	G_OPT_ONLY		= 1 << 2,
	G_OPT_SKIP		= 1 << 3,
	G_OPT_LIST		= 1 << 4,
	G_OPT_SUBSTR		= 1 << 5,
};

/* Which option selects the entries of a table g_run() walks. */
enum g_by { G_BY_GROUP, G_BY_NAME };

#define G_SEL_MAX		16

static struct g_sel {
	unsigned int opts;
	const char *group;
	const char *only[G_SEL_MAX], *skip[G_SEL_MAX];
	int nonly, nskip;
	bool list;
} g_sel_;

__attribute__((noreturn))
static inline void g_usage(const char *usage)
{
	bail_out("usage: %s", usage);
}

/* Reads the selection options @opts allows; anything else is a usage error. */
static inline void g_parse_args(int argc, char **argv, unsigned int opts,
				const char *usage)
{
	struct g_sel *s = &g_sel_;

	s->opts = opts;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		bool arg = i + 1 < argc;

		if (!strcmp(o, "--group") && arg && (opts & G_OPT_GROUP) &&
		    !s->group)
			s->group = argv[++i];
		else if (!strcmp(o, "--only") && arg && (opts & G_OPT_ONLY) &&
			 s->nonly < G_SEL_MAX)
			s->only[s->nonly++] = argv[++i];
		else if (!strcmp(o, "--skip") && arg && (opts & G_OPT_SKIP) &&
			 s->nskip < G_SEL_MAX)
			s->skip[s->nskip++] = argv[++i];
		else if (!strcmp(o, "--list") && (opts & G_OPT_LIST))
			s->list = true;
		else
			g_usage(usage);
	}
	if ((opts & G_OPT_GROUP_REQUIRED) && !s->group)
		g_usage(usage);
}

static inline bool g_name_matches(const char *name, const char *pat)
{
	if (g_sel_.opts & G_OPT_SUBSTR)
		return strstr(name, pat) != NULL;
	return !strcmp(name, pat);
}

/* Whether --only and --skip let @name run. */
static inline bool g_selected(const char *name)
{
	bool in = g_sel_.nonly == 0;

	for (int i = 0; i < g_sel_.nonly; i++)
		in |= g_name_matches(name, g_sel_.only[i]);
	for (int i = 0; i < g_sel_.nskip; i++)
		in &= !g_name_matches(name, g_sel_.skip[i]);
	return in;
}

static inline bool g_listing(void)
{
	return g_sel_.list;
}

/* How many --only names were given (0: every entry runs). */
static inline int g_only_count(void)
{
	return g_sel_.nonly;
}

/* Bails out on an exact --only or --group name no entry of @t has. */
static inline void g_check_names(const struct g_test *t, size_t n,
				 enum g_by by)
{
	int npat = by == G_BY_GROUP ? !!g_sel_.group : g_sel_.nonly;

	if (by == G_BY_NAME && (g_sel_.opts & G_OPT_SUBSTR))
		return;
	for (int k = 0; k < npat; k++) {
		const char *pat = by == G_BY_GROUP ? g_sel_.group :
				  g_sel_.only[k];
		size_t i = 0;

		while (i < n && strcmp(t[i].name, pat))
			i++;
		if (i == n)
			bail_out("no %s named '%s'",
				 by == G_BY_GROUP ? "group" : "test", pat);
	}
}

/*
 * Runs, in table order, the entries of @t the options select (or with
 * --list prints their names); returns how many.
 */
static inline int g_run(const struct g_test *t, size_t n, enum g_by by)
{
	int ran = 0;

	g_check_names(t, n, by);
	for (size_t i = 0; i < n; i++) {
		if (by == G_BY_GROUP ? g_sel_.group &&
		    strcmp(g_sel_.group, t[i].name) : !g_selected(t[i].name))
			continue;
		if (g_sel_.list)
			printf("%s\n", t[i].name);
		else if (t[i].fn)
			t[i].fn();
		else
			t[i].run(t[i].arg);
		ran++;
	}
	return ran;
}

#endif /* GUPDEMO_GUEST_H */
