// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the /dev/gupdemo skeleton.
 *
 * Device node, GET_INFO, the ioctl argument rules of the uapi header
 * (copy_struct_from_user() semantics, unknown commands -> ENOTTY), and
 * module unload/load through libkmod.  Runs as root in the guest with the
 * module loaded by init; GUPDEMO_KO names the module file.
 */
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

#include "guest.h"

static long psz;
static uint32_t kver;

/* Waits up to ~2 s for the device node to appear (@want) or go away. */
static bool wait_node(bool want)
{
	for (int i = 0; i < 200; i++) {
		struct stat st;
		bool there = stat(GUPDEMO_DEV_PATH, &st) == 0;

		if (there == want)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return false;
}

static void test_node(const char *when)
{
	struct stat st;
	int ret = stat(GUPDEMO_DEV_PATH, &st);

	is_syscall_errno(ret, 0, "%s: " GUPDEMO_DEV_PATH " exists", when);
	if (ret) {
		skip(3, "no device node");
		return;
	}
	ok(S_ISCHR(st.st_mode), "%s: it is a character device (%u:%u)", when,
	   major(st.st_rdev), minor(st.st_rdev));
	is_int(st.st_mode & 07777, 0600, "%s: mode is 0600 (got %04o)", when,
	       st.st_mode & 07777);
	ok(st.st_uid == 0 && st.st_gid == 0, "%s: owned by root:root", when);
}

static void test_info(int fd)
{
	struct gupdemo_info info;
	uint64_t param, known;
	bool fast_only, lt_unlocked;
	int ret;

	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	ret = gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, &info);
	is_errno(ret, 0, "GET_INFO succeeds");
	if (ret)
		bail_out("GET_INFO does not work: %s", strerror(-ret));

	is_int(info.size, sizeof(info), "GET_INFO: size is left as given");
	is_int(info.flags, 0, "GET_INFO: flags is left as given");
	is_int(info.uapi_version, GUPDEMO_UAPI_VERSION,
	       "GET_INFO: uapi_version == GUPDEMO_UAPI_VERSION");
	ok(info.kernel_version == kver,
	   "GET_INFO: kernel_version is the running kernel's LINUX_VERSION_CODE "
	   "(module %u.%u.%u, uname %u.%u.%u)", info.kernel_version >> 16,
	   (info.kernel_version >> 8) & 0xff, info.kernel_version & 0xff,
	   kver >> 16, (kver >> 8) & 0xff, kver & 0xff);
	is_int(info.page_size, psz, "GET_INFO: page_size == sysconf(_SC_PAGESIZE)");
	ok(info.features & GUPDEMO_FEAT_PIN, "GET_INFO: features has PIN");
	known = G_FEAT_KNOWN;
	ok(!(info.features & ~known),
	   "GET_INFO: features has only defined bits (0x%llx)",
	   (unsigned long long)info.features);

	/* Per-kernel features follow the running kernel's version. */
	fast_only = kver < KV(6, 3, 0);
	ok(!!(info.features & GUPDEMO_FEAT_PIN_FAST_ONLY) == fast_only,
	   "GET_INFO: PIN_FAST_ONLY %s on this kernel (pin_user_pages_fast_only "
	   "removed in 6.3)", fast_only ? "set" : "clear");
	lt_unlocked = kver >= KV(6, 3, 0);
	ok(!!(info.features & GUPDEMO_FEAT_LONGTERM_UNLOCKED) == lt_unlocked,
	   "GET_INFO: LONGTERM_UNLOCKED %s on this kernel", lt_unlocked ?
	   "set" : "clear");
	if (info.features & GUPDEMO_FEAT_FAIL_INJECT) {
		ok(access(GUPDEMO_DEBUGFS_DIR "/fail_nth", W_OK) == 0,
		   "GET_INFO: FAIL_INJECT set and debugfs fail_nth is there");
	} else {
		skip(1, "FAIL_INJECT not advertised");
	}

	ret = g_param_get("max_pin_pages", &param);
	ok(ret == 0 && info.max_pin_pages == param,
	   "GET_INFO: max_pin_pages (%u) == module parameter", info.max_pin_pages);
	ok(info.pins_held == 0 && info.pages_held == 0,
	   "GET_INFO: pins_held == 0 and pages_held == 0 at start");
	diag("features 0x%llx, max_pin_pages %u, pins_total %llu, failures_total %llu",
	     (unsigned long long)info.features, info.max_pin_pages,
	     (unsigned long long)info.pins_total,
	     (unsigned long long)info.failures_total);
}

static void test_unknown_ioctls(int fd)
{
	struct gupdemo_info info = { .size = sizeof(info) };
	struct termios tio;
	int zero = 0;

	is_errno(gupdemo_ioctl(fd, TCGETS, &tio), ENOTTY,
		 "TCGETS (another type letter) -> ENOTTY");
	ok(!isatty(fd), "isatty() is false");
	is_errno(gupdemo_ioctl(fd, _IO('x', 0), NULL), ENOTTY,
		 "_IO('x', 0) -> ENOTTY");
	is_errno(gupdemo_ioctl(fd, _IO(GUPDEMO_IOCTL_TYPE, 0x09), &info), ENOTTY,
		 "_IO(0xBE, 0x09) (first unused nr) -> ENOTTY");
	is_errno(gupdemo_ioctl(fd, _IO(GUPDEMO_IOCTL_TYPE, 0x1f), &info), ENOTTY,
		 "_IO(0xBE, 0x1f) (last reserved nr) -> ENOTTY");
	is_errno(gupdemo_ioctl(fd, _IO(GUPDEMO_IOCTL_TYPE, 0xff), &info), ENOTTY,
		 "_IO(0xBE, 0xff) -> ENOTTY");
	is_errno(gupdemo_ioctl(fd, _IOWR(GUPDEMO_IOCTL_TYPE, 0x00,
					 struct gupdemo_info), &info), ENOTTY,
		 "_IOWR(0xBE, 0x00, struct gupdemo_info) (GET_INFO's nr with "
		 "size and direction) -> ENOTTY");
	is_errno(gupdemo_ioctl(fd, _IOR(GUPDEMO_IOCTL_TYPE, 0x01, int), &zero),
		 ENOTTY, "_IOR(0xBE, 0x01, int) (PIN's nr with size) -> ENOTTY");
	is_errno(gupdemo_ioctl(fd, _IO(GUPDEMO_IOCTL_TYPE + 1, 0x00), &info),
		 ENOTTY, "_IO(0xBF, 0x00) (neighbouring type) -> ENOTTY");
}

/* The generic argument rules, for each command. */
struct cmd_desc {
	const char *name;
	unsigned long cmd;
	uint32_t size;		/* the struct as this header knows it */
	uint32_t v1_size;	/* its first version: anything less is EINVAL */
};

static const struct cmd_desc cmds[] = {
	{ "GET_INFO", GUPDEMO_IOC_GET_INFO, sizeof(struct gupdemo_info), 64 },
	{ "PIN", GUPDEMO_IOC_PIN, sizeof(struct gupdemo_pin), 56 },
	{ "UNPIN", GUPDEMO_IOC_UNPIN, sizeof(struct gupdemo_unpin), 24 },
	/* QUERY grew kmem_bytes after v1 (72 bytes, up to nzero). */
	{ "QUERY", GUPDEMO_IOC_QUERY, sizeof(struct gupdemo_query), 72 },
	{ "DMA", GUPDEMO_IOC_DMA, sizeof(struct gupdemo_dma), 96 },
	{ "BENCH", GUPDEMO_IOC_BENCH, sizeof(struct gupdemo_bench), 64 },
};

/* The size rules every command follows, in @buf (a page, then PROT_NONE). */
static void sizes_every_cmd(int fd, char *buf)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd_desc *c = &cmds[i];

		memset(buf, 0, psz);
		is_errno(gupdemo_ioctl(fd, c->cmd, buf), EINVAL,
			 "%s: size 0 -> EINVAL", c->name);
		*(uint32_t *)buf = 4;
		is_errno(gupdemo_ioctl(fd, c->cmd, buf), EINVAL,
			 "%s: size 4 (only the size field) -> EINVAL", c->name);
		*(uint32_t *)buf = c->v1_size - 1;
		is_errno(gupdemo_ioctl(fd, c->cmd, buf), EINVAL,
			 "%s: size %u (first version - 1) -> EINVAL", c->name,
			 c->v1_size - 1);
		*(uint32_t *)buf = c->size + 8;
		buf[c->size] = 1;
		is_errno(gupdemo_ioctl(fd, c->cmd, buf), E2BIG,
			 "%s: size %u with a non-zero byte after the known "
			 "struct -> E2BIG", c->name, c->size + 8);
		memset(buf, 0, psz);
		*(uint32_t *)buf = (uint32_t)psz;
		buf[psz - 1] = 0x80;
		is_errno(gupdemo_ioctl(fd, c->cmd, buf), E2BIG,
			 "%s: size %ld with the last byte non-zero -> E2BIG",
			 c->name, psz);
		is_errno(gupdemo_ioctl(fd, c->cmd, NULL), EFAULT,
			 "%s: NULL argument -> EFAULT", c->name);
	}
}

/* GET_INFO's sizes that work, and the arguments it cannot read. */
static void sizes_get_info(int fd, char *buf)
{
	struct gupdemo_info *info = (struct gupdemo_info *)buf;
	uint32_t sz = sizeof(*info);

	/* QUERY: a v1 caller (72 bytes) is served; the handle is unknown. */
	memset(buf, 0, psz);
	*(uint32_t *)buf = 72;
	((struct gupdemo_query *)buf)->handle = 0x7fffffff;
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_QUERY, buf), ENOENT,
		 "QUERY: the v1 size (72, before kmem_bytes) is accepted "
		 "(unknown handle -> ENOENT, not EINVAL)");

	/* GET_INFO: the sizes that work. */
	memset(buf, 0, psz);
	info->size = sz;
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, buf), 0,
		 "GET_INFO: size == sizeof (v1, the only version) works");
	memset(buf, 0, psz);
	info->size = sz + 8;
	buf[sz + 8] = 0x5a; /* beyond the size given: must not matter */
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, buf), 0,
		 "GET_INFO: size %u with a zero tail (newer userspace) works",
		 sz + 8);
	ok(info->uapi_version == GUPDEMO_UAPI_VERSION &&
	   info->page_size == (uint32_t)psz,
	   "GET_INFO: ... and fills the fields it knows");
	ok(*(uint64_t *)(buf + sz) == 0 && (uint8_t)buf[sz + 8] == 0x5a,
	   "GET_INFO: ... and writes nothing past its own struct");
	memset(buf, 0, psz);
	info->size = (uint32_t)psz;
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, buf), 0,
		 "GET_INFO: size %ld (a whole zeroed page) works", psz);

	/*
	 * A struct at the end of the readable page whose size runs into the
	 * PROT_NONE one: the tail cannot be read.
	 */
	memset(buf, 0, psz);
	((struct gupdemo_info *)(buf + psz - sz))->size = sz + 64;
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, buf + psz - sz), EFAULT,
		 "GET_INFO: size reaching into an unreadable page -> EFAULT");
	/* Like openat2(): a size over a page is refused before any read. */
	memset(buf, 0, psz);
	info->size = (uint32_t)(2 * psz);
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, buf), E2BIG,
		 "GET_INFO: size %ld (over a page) -> E2BIG", 2 * psz);
	memset(buf, 0, psz);
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, buf + psz), EFAULT,
		 "GET_INFO: argument in a PROT_NONE page -> EFAULT");
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO,
			       (void *)(uintptr_t)0xffffffff81000000ULL), EFAULT,
		 "GET_INFO: kernel address as argument -> EFAULT");

	/* flags must be 0. */
	memset(buf, 0, psz);
	info->size = sz;
	info->flags = 1;
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, buf), EINVAL,
		 "GET_INFO: flags 0x1 -> EINVAL");
	info->flags = 0x80000000u;
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, buf), EINVAL,
		 "GET_INFO: flags 0x80000000 -> EINVAL");
}

static void test_sizes(int fd)
{
	/* Two pages: a readable one, then a PROT_NONE one. */
	char *buf = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		bail_out("mmap failed");
	mprotect(buf + psz, psz, PROT_NONE);
	sizes_every_cmd(fd, buf);
	sizes_get_info(fd, buf);
	munmap(buf, 2 * psz);
}

/* Loading things that are not this kernel's gupdemo module. */
static void module_bad_loads(const char *ko)
{
	char garbage[] = "/tmp/t_basic.XXXXXX";
	bool loaded = false;
	int ret, gfd;

	is_errno(gupdemo_module_load("/nonexistent/gupdemo.ko", NULL, NULL),
		 ENOENT, "load of a missing file -> ENOENT");
	gfd = mkstemp(garbage);
	if (gfd >= 0) {
		ssize_t n = write(gfd, "not an ELF module\n", 18);

		(void)n;
		close(gfd);
		is_errno(gupdemo_module_load(garbage, NULL, NULL), ENOEXEC,
			 "load of a file that is not a module -> ENOEXEC");
		unlink(garbage);
	} else {
		skip(1, "cannot create a temporary file");
	}
	is_errno(gupdemo_module_load(ko, "max_pin_pages=abc", NULL), EINVAL,
		 "load with an invalid parameter value -> EINVAL");
	ret = gupdemo_module_loaded(&loaded);
	ok(ret == 0 && !loaded, "... and the module is not loaded");
}

/* Load again with a parameter, twice; the fresh module's counters. */
static void module_reload(const char *ko)
{
	struct gupdemo_info info;
	bool already = true;
	uint64_t param = 0;
	int ret, fd2;

	ret = gupdemo_module_load(ko, "max_pin_pages=4096", &already);
	is_errno(ret, 0, "load via libkmod (%s, max_pin_pages=4096)", ko);
	ok(ret == 0 && !already, "... reported as newly loaded");
	ok(wait_node(true), GUPDEMO_DEV_PATH " appears again");
	test_node("after reload");
	ok(g_param_get("max_pin_pages", &param) == 0 && param == 4096,
	   "the parameter given to load is in effect (%llu)",
	   (unsigned long long)param);

	already = false;
	ret = gupdemo_module_load(ko, "max_pin_pages=8", &already);
	is_errno(ret, 0, "loading it a second time is not an error");
	ok(ret == 0 && already, "... reported as already loaded");
	ok(g_param_get("max_pin_pages", &param) == 0 && param == 4096,
	   "... and its parameters are left alone");
	ok(g_param_set("max_pin_pages", 262144) == 0,
	   "max_pin_pages is writable at run time (restored to 262144)");

	ret = gupdemo_open(NULL, &fd2);
	is_errno(ret, 0, "open after reload");
	if (ret) {
		skip(2, "no device after reload");
		return;
	}
	is_errno(gupdemo_get_info(fd2, &info), 0, "GET_INFO after reload");
	ok(info.pins_held == 0 && info.pages_held == 0 &&
	   info.pins_total == 0 && info.failures_total == 0,
	   "a fresh module starts with all counters at 0");
	gupdemo_close(fd2);
}

static void test_module(int fd, struct gupdemo_vmstat *start)
{
	const char *ko = getenv("GUPDEMO_KO");
	struct gupdemo_info info;
	bool loaded = false;
	int refcnt = -1, ret, fd2;

	ret = gupdemo_module_loaded(&loaded);
	ok(ret == 0 && loaded, "module_loaded(): gupdemo is loaded");
	ret = gupdemo_module_refcnt(&refcnt);
	ok(ret == 0 && refcnt >= 1, "module refcount >= 1 while open (%d)",
	   refcnt);

	is_errno(gupdemo_module_unload(), EAGAIN,
		 "unload via libkmod while the device is open -> EAGAIN");
	ret = gupdemo_module_loaded(&loaded);
	ok(ret == 0 && loaded, "... and the module stays loaded");
	is_errno(gupdemo_get_info(fd, &info), 0, "... and the open fd still works");

	/* A second fd keeps it busy too. */
	ret = gupdemo_open(NULL, &fd2);
	is_errno(ret, 0, "a second open works");
	is_errno(gupdemo_close(fd), 0, "close the first fd");
	is_errno(gupdemo_module_unload(), EAGAIN,
		 "unload with the second fd still open -> EAGAIN");
	is_errno(gupdemo_close(fd2), 0, "close the second fd");

	/* Nothing is pinned in this test: the counters did not move. */
	g_check_delta(start, 0, 0, "whole run before unload");

	if (!ko || access(ko, R_OK)) {
		skip(25, "GUPDEMO_KO not set or not readable: cannot reload");
		return;
	}

	is_errno(gupdemo_module_unload(), 0, "unload via libkmod after close");
	ok(wait_node(false), GUPDEMO_DEV_PATH " disappears");
	ret = gupdemo_module_loaded(&loaded);
	ok(ret == 0 && !loaded, "module_loaded(): not loaded any more");
	is_errno(gupdemo_open(NULL, &fd2), ENOENT,
		 "open after unload -> ENOENT");
	is_errno(gupdemo_module_unload(), ENOENT, "unloading again -> ENOENT");
	module_bad_loads(ko);
	module_reload(ko);
}

int main(void)
{
	struct gupdemo_vmstat start;
	int fd;

	psz = sysconf(_SC_PAGESIZE);
	kver = g_kernel_version();
	start = g_vmstat();
	diag("kernel %u.%u.%u, page size %ld", kver >> 16, (kver >> 8) & 0xff,
	     kver & 0xff, psz);

	test_node("at start");
	fd = g_open();
	test_info(fd);
	test_unknown_ioctls(fd);
	test_sizes(fd);
	g_check_nothing_held(fd, "after the argument tests");
	test_module(fd, &start); /* closes fd */

	g_check_delta(&start, 0, 0, "whole run");
	return done_testing();
}
