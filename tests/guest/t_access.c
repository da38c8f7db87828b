// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: access control and information leaks.
 *
 * /dev/gupdemo is 0600 root:root: an unprivileged user (numeric ids; the
 * busybox guest has no user database) cannot open it.  Opened to a group
 * the way module/etc/60-gupdemo.rules does (chgrp + chmod 0660), a member
 * can open it and a non-member still cannot.  The member has no
 * CAP_IPC_LOCK: its LONGTERM pins are charged to RLIMIT_MEMLOCK (VmPin in
 * /proc/self/status) and refused with ENOMEM past it, with nothing pinned
 * by the refused call; pins without LONGTERM and the short-term pins of a
 * DMA are not charged.  Every ioctl the member makes runs on a struct
 * filled with a pattern: afterwards each byte is either a defined output
 * with a plausible value or untouched, a refused call changes nothing, and
 * no 8-byte word of any output looks like a kernel address.  The page
 * mmap() of the device gives is all zeroes.
 *
 * Checks made in the unprivileged child travel to the parent through a
 * pipe and are printed there (tap.h is not for children).
 */
#include <grp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "stress.h"

#define UID_MEMBER	1000
#define UID_OTHER	1001
#define GID_GUPDEMO	2000
#define GID_OTHER	1001

#ifndef offsetofend
#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#endif

struct result {
	int pass;
	char desc[250];
};

static int result_fd = -1;
static size_t psz;

/* In the child: one check, sent to the parent. */
__attribute__((format(printf, 2, 3)))
static bool c_ok(bool pass, const char *fmt, ...)
{
	struct result res = { .pass = pass };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res.desc, sizeof(res.desc), fmt, ap);
	va_end(ap);
	if (write(result_fd, &res, sizeof(res)) != sizeof(res))
		_exit(99);
	return pass;
}

/* Drops to @uid/@gid with @groups; root's capabilities go with uid 0. */
static bool become(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	return setgroups(ngroups, groups) == 0 && setgid(gid) == 0 &&
	       setuid(uid) == 0;
}

static int open_errno(void)
{
	int fd = open(GUPDEMO_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static uint64_t status_kb(const char *key)
{
	char buf[4096], *p;

	if (g_read_file("/proc/self/status", buf, sizeof(buf)))
		return ~0ULL;
	p = strstr(buf, key);
	return p ? strtoull(p + strlen(key), NULL, 10) : ~0ULL;
}

static uint64_t cap_eff(void)
{
	char buf[4096], *p;

	if (g_read_file("/proc/self/status", buf, sizeof(buf)))
		return ~0ULL;
	p = strstr(buf, "CapEff:");
	return p ? strtoull(p + 7, NULL, 16) : ~0ULL;
}

/* ------------------------------------------------- pattern-checked ioctls */

#define TAIL	64	/* zero bytes after the struct: accepted, never written */

union arg {
	struct gupdemo_info info;
	struct gupdemo_pin pin;
	struct gupdemo_unpin unpin;
	struct gupdemo_query query;
	struct gupdemo_dma dma;
	struct gupdemo_bench bench;
	uint8_t raw[128];
};

/* [off, off + len) of the struct are outputs. */
struct span {
	size_t off, len;
};

#define OUT(s, f) { offsetof(struct s, f), sizeof(((struct s *)0)->f) }

static bool in_spans(const struct span *o, size_t n, size_t off)
{
	for (size_t i = 0; i < n; i++)
		if (off >= o[i].off && off < o[i].off + o[i].len)
			return true;
	return false;
}

/* An (in) field the call may also write: DMA's engine. */
static const struct span no_inout[] = { { 0, 0 } };
static const struct span dma_inout[] = { OUT(gupdemo_dma, engine) };

/*
 * Runs @cmd on @in (size set here to @ksize + TAIL, the tail zero) in a
 * buffer otherwise full of a pattern: the @nout (out) spans hold the
 * pattern, the rest of the struct @in.  Every byte outside the (out) spans
 * and @inout must come back as it went in; on failure every byte at all.
 * The outputs (copied to @out) must not be kernel addresses.  Returns 0 or
 * -errno.
 */
static int pat_ioctl_io(int fd, unsigned long cmd, const char *what,
			const union arg *in, size_t ksize, const struct span *outs,
			size_t nout, const struct span *inout, union arg *out)
{
	uint8_t buf[512], sent[512];
	size_t n = ksize + TAIL;
	int ret, bad = -1;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0x5a ^ (i * 7));
	/* Output fields hold the pattern too: unwritten ones show it. */
	for (size_t i = 0; i < ksize; i++)
		if (!in_spans(outs, nout, i))
			buf[i] = in->raw[i];
	memset(buf + ksize, 0, TAIL);
	((struct gupdemo_info *)buf)->size = (uint32_t)n;
	memcpy(sent, buf, sizeof(buf));

	ret = ioctl(fd, cmd, buf) ? -errno : 0;
	for (size_t i = 0; i < sizeof(buf); i++) {
		if (buf[i] == sent[i])
			continue;
		if (!ret && i < ksize &&
		    (in_spans(outs, nout, i) || in_spans(inout, 1, i)))
			continue;
		bad = (int)i;
		break;
	}
	c_ok(bad < 0, "%s: %s; every byte outside the outputs untouched%s", what,
	     ret ? strerror(-ret) : "ok", bad < 0 ? "" : " (one was changed)");
	if (ret)
		return ret;
	memcpy(out, buf, sizeof(*out));
	for (size_t i = 0; i < nout; i++) {
		for (size_t o = outs[i].off; o + 8 <= outs[i].off + outs[i].len; o += 8) {
			uint64_t v;

			memcpy(&v, buf + o, 8);
			if (v >= 0xffff800000000000ULL) {
				c_ok(false, "%s: output at offset %zu is %#llx: a kernel "
				     "address?", what, o, (unsigned long long)v);
				return ret;
			}
		}
	}
	return 0;
}

static int pat_ioctl(int fd, unsigned long cmd, const char *what,
		     const union arg *in, size_t ksize, const struct span *outs,
		     size_t nout, union arg *out)
{
	return pat_ioctl_io(fd, cmd, what, in, ksize, outs, nout, no_inout, out);
}

static const struct span info_out[] = {
	{ offsetof(struct gupdemo_info, uapi_version),
	  sizeof(struct gupdemo_info) - offsetof(struct gupdemo_info, uapi_version) },
};
static const struct span pin_out[] = {
	OUT(gupdemo_pin, handle), OUT(gupdemo_pin, npages), OUT(gupdemo_pin, get_ns),
};
static const struct span unpin_out[] = { OUT(gupdemo_unpin, put_ns) };
static const struct span query_out[] = {
	OUT(gupdemo_query, api), OUT(gupdemo_query, pin_flags),
	{ offsetof(struct gupdemo_query, addr),
	  sizeof(struct gupdemo_query) - offsetof(struct gupdemo_query, addr) },
};
static const struct span dma_out[] = {
	{ offsetof(struct gupdemo_dma, bytes),
	  sizeof(struct gupdemo_dma) - offsetof(struct gupdemo_dma, bytes) },
};
static const struct span bench_out[] = {
	{ offsetof(struct gupdemo_bench, npages),
	  sizeof(struct gupdemo_bench) - offsetof(struct gupdemo_bench, npages) },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool ns_plausible(uint64_t ns)
{
	return ns < 600000000000ULL;
}

static struct gupdemo_info c_info(int fd, const char *what)
{
	union arg in = { .info = { .flags = 0 } }, out = { 0 };

	if (pat_ioctl(fd, GUPDEMO_IOC_GET_INFO, what, &in, sizeof(in.info),
		      info_out, N(info_out), &out) == 0)
		c_ok(out.info.uapi_version == GUPDEMO_UAPI_VERSION &&
		     out.info.page_size == psz &&
		     !(out.info.features & ~G_FEAT_KNOWN) &&
		     out.info.pins_held < (1u << 20) &&
		     out.info.pages_held < (1ULL << 32),
		     "%s: every output has a defined value", what);
	return out.info;
}

static int c_pin(int fd, void *addr, size_t len, uint32_t flags, uint32_t *h,
		 const char *what)
{
	union arg in = { .pin = {
		.flags = flags, .addr = (uint64_t)(uintptr_t)addr, .len = len,
		.api = GUPDEMO_API_PIN_FAST,
	} }, out;
	int ret;

	ret = pat_ioctl(fd, GUPDEMO_IOC_PIN, what, &in, sizeof(in.pin), pin_out,
			N(pin_out), &out);
	if (ret)
		return ret;
	c_ok(out.pin.handle > 0 && out.pin.handle <= INT32_MAX &&
	     out.pin.npages == (len + psz - 1) / psz && ns_plausible(out.pin.get_ns),
	     "%s: handle %u, npages %llu: defined values", what, out.pin.handle,
	     (unsigned long long)out.pin.npages);
	*h = out.pin.handle;
	return 0;
}

static int c_unpin(int fd, uint32_t h, const char *what)
{
	union arg in = { .unpin = { .handle = h } }, out;
	int ret;

	ret = pat_ioctl(fd, GUPDEMO_IOC_UNPIN, what, &in, sizeof(in.unpin),
			unpin_out, N(unpin_out), &out);
	if (!ret)
		c_ok(ns_plausible(out.unpin.put_ns), "%s: put_ns defined", what);
	return ret;
}

static void c_query(int fd, uint32_t h, void *addr, size_t len, uint32_t flags,
		    const char *what)
{
	union arg in = { .query = { .handle = h } }, out;

	if (pat_ioctl(fd, GUPDEMO_IOC_QUERY, what, &in, sizeof(in.query),
		      query_out, N(query_out), &out))
		return;
	c_ok(out.query.api == GUPDEMO_API_PIN_FAST && out.query.pin_flags == flags &&
	     out.query.__reserved == 0 &&
	     out.query.addr == (uint64_t)(uintptr_t)addr && out.query.len == len &&
	     out.query.npages == len / psz && out.query.npinned == len / psz &&
	     out.query.nfolios == len / psz && out.query.nzero == 0 &&
	     out.query.kmem_bytes > 0 && out.query.kmem_bytes < 64 * psz,
	     "%s: every output has its defined value", what);
}

static void c_dma_bench(int fd, uint8_t *src, uint8_t *dst, size_t len)
{
	union arg in = { .dma = {
		.op = GUPDEMO_DMA_LOOPBACK, .engine = GUPDEMO_ENGINE_SOFT,
		.src_addr = (uint64_t)(uintptr_t)src,
		.dst_addr = (uint64_t)(uintptr_t)dst, .len = len,
	} }, out;
	int ret;

	ret = pat_ioctl_io(fd, GUPDEMO_IOC_DMA, "unprivileged DMA (short-term pins)",
			   &in, sizeof(in.dma), dma_out, N(dma_out), dma_inout, &out);
	c_ok(ret == 0, "unprivileged DMA succeeds (%s)", strerror(-ret));
	if (ret == 0)
		c_ok(out.dma.engine == GUPDEMO_ENGINE_SOFT && out.dma.bytes == len &&
		     ns_plausible(out.dma.pin_ns) && ns_plausible(out.dma.map_ns) &&
		     ns_plausible(out.dma.xfer_ns) && ns_plausible(out.dma.unmap_ns) &&
		     ns_plausible(out.dma.unpin_ns) && memcmp(src, dst, len) == 0,
		     "DMA: outputs defined, data copied");

	in = (union arg){ .bench = {
		.addr = (uint64_t)(uintptr_t)src, .len = len,
		.api = GUPDEMO_API_PIN_FAST, .pin_flags = GUPDEMO_PIN_LONGTERM,
	} };
	ret = pat_ioctl(fd, GUPDEMO_IOC_BENCH, "unprivileged BENCH", &in,
			sizeof(in.bench), bench_out, N(bench_out), &out);
	c_ok(ret == 0, "unprivileged BENCH succeeds (%s)", strerror(-ret));
	if (ret == 0)
		c_ok(out.bench.npages == len / psz && ns_plausible(out.bench.get_ns) &&
		     ns_plausible(out.bench.put_ns), "BENCH: outputs defined");
}

/* ----------------------------------------------------------- the member */

/* LONGTERM pins are charged to RLIMIT_MEMLOCK (@limit_pages), others not. */
static void member_memlock(int fd, uint8_t *mem, size_t limit_pages)
{
	uint32_t h1 = 0, h2 = 0, h3 = 0, hs[4];
	struct gupdemo_info i0, i1;
	int ret;

	c_info(fd, "GET_INFO");
	ret = c_pin(fd, mem, 8 * psz, GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE, &h1,
		    "LONGTERM pin of 8 pages");
	c_ok(ret == 0, "LONGTERM pin of 8 pages under a %zu-page limit succeeds (%s)",
	     limit_pages, strerror(-ret));
	c_ok(status_kb("VmPin:") == 8 * psz / 1024, "VmPin is %zu kB (charged)",
	     8 * psz / 1024);
	c_query(fd, h1, mem, 8 * psz, GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE,
		"QUERY of the LONGTERM pin");

	i1 = c_info(fd, "GET_INFO before the refused pin");
	ret = c_pin(fd, mem + 16 * psz, 9 * psz, GUPDEMO_PIN_LONGTERM, &h2,
		    "LONGTERM pin of 9 more pages (over the limit)");
	c_ok(ret == -ENOMEM, "over RLIMIT_MEMLOCK without CAP_IPC_LOCK: ENOMEM (%s)",
	     strerror(-ret));
	i0 = c_info(fd, "GET_INFO after the refused pin");
	c_ok(i0.pins_held == i1.pins_held && i0.pages_held == i1.pages_held,
	     "the refused pin holds nothing (pins_held %llu, pages_held %llu: delta 0)",
	     (unsigned long long)i0.pins_held, (unsigned long long)i0.pages_held);
	c_ok(status_kb("VmPin:") == 8 * psz / 1024, "VmPin still %zu kB",
	     8 * psz / 1024);

	ret = c_pin(fd, mem + 16 * psz, 8 * psz, GUPDEMO_PIN_LONGTERM, &h2,
		    "LONGTERM pin of the last 8 pages of the limit");
	c_ok(ret == 0, "LONGTERM pins up to exactly the limit succeed (%s)",
	     strerror(-ret));
	ret = c_pin(fd, mem + 32 * psz, psz, GUPDEMO_PIN_LONGTERM, &h3,
		    "LONGTERM pin of one page past the limit");
	c_ok(ret == -ENOMEM, "one page past the limit: ENOMEM (%s)", strerror(-ret));

	/* Not LONGTERM: not charged, however much. */
	for (int i = 0; i < 4; i++) {
		ret = c_pin(fd, mem + 32 * psz + i * 16 * psz, 16 * psz,
			    GUPDEMO_PIN_WRITE, &hs[i], "non-LONGTERM pin of 16 pages");
		c_ok(ret == 0, "non-LONGTERM pin %d of 16 pages past the limit succeeds "
		     "(%s)", i + 1, strerror(-ret));
	}
	c_ok(status_kb("VmPin:") == 16 * psz / 1024,
	     "VmPin %zu kB: non-LONGTERM pins are not charged", 16 * psz / 1024);
	c_dma_bench(fd, mem + 100 * psz, mem + 110 * psz, 8 * psz);
	c_ok(status_kb("VmPin:") == 16 * psz / 1024,
	     "VmPin unchanged by DMA and BENCH (short-term pins)");

	for (int i = 0; i < 4; i++)
		c_unpin(fd, hs[i], "UNPIN of a non-LONGTERM pin");
	c_unpin(fd, h1, "UNPIN of a LONGTERM pin");
	c_unpin(fd, h2, "UNPIN of the other LONGTERM pin");
	c_ok(status_kb("VmPin:") == 0, "VmPin back to 0 after UNPIN");
	ret = c_unpin(fd, h1, "UNPIN of a released handle");
	c_ok(ret == -ENOENT, "UNPIN of a released handle: ENOENT");
	c_info(fd, "GET_INFO at the end");
}

/* The mmap()ed page: a fresh kernel page, zeroed before it is shown. */
static void member_mmap(int fd)
{
	uint8_t *pfn = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	bool zero = true;

	if (!c_ok(pfn != MAP_FAILED, "member can mmap the device page"))
		return;
	for (size_t i = 0; i < psz; i++)
		zero &= pfn[i] == 0;
	c_ok(zero, "the mmap()ed kernel page is all zeroes (no stale data)");
	munmap(pfn, psz);
}

static void member(void)
{
	const gid_t groups[] = { GID_GUPDEMO };
	const size_t limit_pages = 16;
	struct rlimit rl = { limit_pages * 4096, limit_pages * 4096 };
	uint32_t h = 0;
	uint8_t *mem;
	int fd, ret;

	if (!become(UID_MEMBER, GID_OTHER, groups, 1))
		_exit(c_ok(false, "setgroups/setgid/setuid to the member"));
	c_ok(cap_eff() == 0, "member: uid %d, group %d, no capabilities (CapEff 0)",
	     UID_MEMBER, GID_GUPDEMO);
	fd = open(GUPDEMO_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (!c_ok(fd >= 0, "member of the group opens " GUPDEMO_DEV_PATH " (%s)",
		  fd >= 0 ? "ok" : strerror(errno)))
		_exit(1);
	c_ok(setrlimit(RLIMIT_MEMLOCK, &rl) == 0, "RLIMIT_MEMLOCK lowered to %zu pages",
	     limit_pages);
	mem = mmap(NULL, 128 * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(c_ok(false, "mmap"));
	madvise(mem, 128 * psz, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < 128; i++)
		mem[i * psz] = (uint8_t)i;

	member_memlock(fd, mem, limit_pages);
	member_mmap(fd);

	rl.rlim_cur = 0;
	c_ok(setrlimit(RLIMIT_MEMLOCK, &rl) == 0, "RLIMIT_MEMLOCK 0");
	ret = c_pin(fd, mem, psz, GUPDEMO_PIN_LONGTERM, &h,
		    "LONGTERM pin with RLIMIT_MEMLOCK 0");
	c_ok(ret == -ENOMEM, "RLIMIT_MEMLOCK 0: a one-page LONGTERM pin is ENOMEM");
	ret = c_pin(fd, mem, psz, 0, &h, "short pin with RLIMIT_MEMLOCK 0");
	c_ok(ret == 0, "RLIMIT_MEMLOCK 0: a non-LONGTERM pin still works");
	close(fd);
	_exit(0);
}

/* Runs @fn in a child; its checks come back through the pipe. */
static void in_child(void (*fn)(void), const char *what)
{
	struct result res;
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		result_fd = p[1];
		fn();
		_exit(0);
	}
	close(p[1]);
	while (read(p[0], &res, sizeof(res)) == sizeof(res)) {
		res.desc[sizeof(res.desc) - 1] = '\0';
		ok(res.pass, "%s: %s", what, res.desc);
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child exited 0", what);
}

static void other(void)
{
	const gid_t groups[] = { GID_OTHER };
	int e;

	if (!become(UID_OTHER, GID_OTHER, groups, 1))
		_exit(c_ok(false, "setgroups/setgid/setuid"));
	e = open_errno();
	c_ok(e == EACCES, "uid %d, not in group %d: open -> EACCES (%s)", UID_OTHER,
	     GID_GUPDEMO, e ? strerror(e) : "opened");
	_exit(0);
}

static void nobody_default(void)
{
	const gid_t groups[] = { GID_GUPDEMO };
	int e;

	/* Even a member of the later group: the default node is root's alone. */
	if (!become(UID_MEMBER, GID_OTHER, groups, 1))
		_exit(c_ok(false, "setgroups/setgid/setuid"));
	e = open_errno();
	c_ok(e == EACCES, "uid %d on the default 0600 root:root node: open -> EACCES "
	     "(%s)", UID_MEMBER, e ? strerror(e) : "opened");
	_exit(0);
}

int main(void)
{
	struct gupdemo_vmstat before;
	struct stat st;

	psz = (size_t)sysconf(_SC_PAGESIZE);
	if (geteuid() != 0)
		bail_out("t_access runs as root (it drops privileges in children)");
	if (stat(GUPDEMO_DEV_PATH, &st))
		bail_out(GUPDEMO_DEV_PATH ": %s", strerror(errno));
	is_int(st.st_mode & 07777, 0600, "the node is mode 0600 (%04o)",
	       st.st_mode & 07777);
	ok(st.st_uid == 0 && st.st_gid == 0, "owned by root:root");
	before = g_vmstat();

	in_child(nobody_default, "default node");

	/* What 60-gupdemo.rules does: GROUP="gupdemo", MODE="0660". */
	ok(chown(GUPDEMO_DEV_PATH, 0, GID_GUPDEMO) == 0 &&
	   chmod(GUPDEMO_DEV_PATH, 0660) == 0,
	   "chgrp %d + chmod 0660 " GUPDEMO_DEV_PATH " (as the udev rule does)",
	   GID_GUPDEMO);
	in_child(other, "non-member");
	in_child(member, "member");

	ok(chown(GUPDEMO_DEV_PATH, 0, 0) == 0 && chmod(GUPDEMO_DEV_PATH, 0600) == 0,
	   "node restored to 0600 root:root");
	stress_final_checks(&before, "after the access tests");
	return done_testing();
}
