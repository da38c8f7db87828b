// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the mirror mode (module/mirror.c): mmu_interval_notifier +
 * hmm_range_fault() instead of pins, on the same engines.
 *
 * Groups (--group NAME, default all; --list names them):
 *   errors   every refused input with its exact errno, nothing left held
 *   basic    TO_DEVICE from a mirror, FROM_DEVICE into another: byte-exact
 *            round trips on the soft engine and on edu (when bound); the
 *            pin counters do not move at all
 *   munmap   munmap of a mirrored range: an UNMAP invalidation is counted,
 *            the table empties, the next DMA fails with EFAULT
 *   dirty    a device write into a page MADV_FREE cleaned (still writable:
 *            nothing to fault) survives reclaim: the module dirtied it
 *   fork     fork + the parent's write: invalidations, and the device then
 *            writes the parent's new page (the child keeps the old data)
 *   migrate  move_pages(2) of mirrored pages succeeds (two NUMA nodes);
 *            the next DMA faults them again and reads the data there
 *   offline  the ZONE_MOVABLE memory block holding a mirrored buffer goes
 *            offline (vm-run --movable); the next DMA faults again
 *   stress   DMA into a mirror while another thread keeps zapping it
 *            (MADV_DONTNEED) and an UNMIRROR races: no error but the
 *            documented ones, the last DMA's data exact
 *   close    mirrors left at close() and at a SIGKILL are unregistered
 *   kinds    memory GUP refuses, MIRROR refuses with the same errno:
 *            memfd_secret() (not in the direct map) and a VM_PFNMAP page,
 *            at MIRROR and when a mirrored range is mapped again as such
 *   budget   max_mirror_pages_file and max_mirror_pages: the mirror past
 *            either is ENOSPC; GET_INFO and debugfs report the pages held
 *   cow      a device that only reads a WRITE mirror shared with a forked
 *            child does not break copy-on-write: the re-fault asks for
 *            write access only when the device writes
 *   owner    a DMA on a mirror from another process (a forked child
 *            sharing the file) is EPERM; the owner, SIGKILLed while other
 *            processes keep the soft engine busy with mirror transfers,
 *            exits at once: its mirror's lock never waits behind them
 * A missing kernel feature (HMM_MIRROR, a second node, ZONE_MOVABLE) is a
 * skip with its reason.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "gupdemo-lab.h"
#include "guest.h"

#define N		8
#define XFER		3000	/* fits edu's 4 KiB buffer: a round trip is exact */

static struct {
	int fd;
	size_t psz;
	bool edu;
} T;

static char *map_pages(size_t n, int byte)
{
	char *p = g_map_anon(n, true);

	memset(p, byte, n * T.psz);
	return p;
}

static int mirror(void *p, size_t len, uint32_t flags, uint32_t *h)
{
	return gupdemo_mirror_range(T.fd, p, len, flags, h, NULL);
}

/* One side on a mirror: TO_DEVICE from @h, or FROM_DEVICE into it. */
static int mdma(uint32_t op, uint32_t engine, uint32_t h, size_t len)
{
	return g_mirror_dma(T.fd, op, engine, h, len, NULL);
}

static struct gupdemo_mirror_query mquery(uint32_t h)
{
	struct gupdemo_mirror_query q = { .handle = h };
	int ret = gupdemo_mirror_query(T.fd, &q);

	if (ret)
		fail("MIRROR_QUERY %u: %s", h, strerror(-ret));
	return q;
}

static int64_t stat_of(const char *key)
{
	int64_t v = -1;

	g_stat_get(key, &v);
	return v;
}

static void check_none_held(const char *what)
{
	is_int(stat_of("mirrors_held"), 0, "%s: no mirror held (debugfs)",
	       what);
	g_check_nothing_held(T.fd, what);
}

static const char *eng_name(uint32_t e)
{
	return e == GUPDEMO_ENGINE_EDU ? "edu" : "soft";
}

/* ---- errors ---- */

/* Where a refused MIRROR's range lies. */
enum merr_at {
	M_ABS,	/* nowhere: the offset is the address itself */
	M_BUF,	/* N populated pages, the last one unmapped again */
	M_RO,	/* a PROT_READ page */
};

/* One refused MIRROR: @at + @off, @len_pages pages + @len bytes long. */
struct merr_row {
	const char *what;
	enum merr_at at;
	int64_t off;
	int64_t len_pages;
	uint64_t len;
	uint32_t flags, reserved;
	int err;
};

static const struct merr_row merr_rows[] = {
	{ "MIRROR unknown flag", M_BUF, 0, 1, 0, 1U << 1, 0, EINVAL },
	{ "MIRROR __reserved", M_BUF, 0, 1, 0, 0, 1, EINVAL },
	{ "MIRROR len 0", M_BUF, 0, 0, 0, 0, 0, EINVAL },
	/* The last page of the address space, 2 pages long. */
	{ "MIRROR wrapping range", M_ABS, -1, 2, 0, 0, 0, EOVERFLOW },
	{ "MIRROR kernel address", M_ABS, (int64_t)0xffff888000000000ULL, 1, 0,
	  0, 0, EFAULT },
	{ "MIRROR beyond max_pin_pages", M_ABS, 0x100000, 0, (uint64_t)1 << 40,
	  0, 0, E2BIG },
	{ "MIRROR over an unmapped page", M_BUF, 0, N, 0, 0, 0, EFAULT },
	{ "MIRROR WRITE of a PROT_READ mapping", M_RO, 0, 1, 0,
	  GUPDEMO_MIRROR_WRITE, 0, EPERM },
};

static void errors_mirror(void)
{
	char *mem[] = { [M_ABS] = NULL, [M_BUF] = map_pages(N, 1),
			[M_RO] = mmap(NULL, T.psz, PROT_READ,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) };

	munmap(mem[M_BUF] + (N - 1) * T.psz, T.psz);
	for (size_t i = 0; i < G_N(merr_rows); i++) {
		const struct merr_row *r = &merr_rows[i];
		/* M_ABS: a negative @off counts pages back from the top. */
		uint64_t off = r->at == M_ABS && r->off < 0 ?
			       (uint64_t)r->off * T.psz : (uint64_t)r->off;
		struct gupdemo_mirror m = {
			.flags = r->flags, .__reserved = r->reserved,
			.addr = (uintptr_t)mem[r->at] + off,
			.len = (uint64_t)r->len_pages * T.psz + r->len,
		};

		is_errno(gupdemo_mirror(T.fd, &m), r->err, "%s -> %s", r->what,
			 strerrorname_np(r->err));
	}
	munmap(mem[M_RO], T.psz);
	munmap(mem[M_BUF], (N - 1) * T.psz);
}

/* What goes into a handle or address field of a refused call. */
enum merr_val { MV_NONE, MV_UNKNOWN, MV_R, MV_W, MV_BUF };

/*
 * One refused UNMIRROR, MIRROR_QUERY (@cmd, of handle @h) or DMA (@op,
 * the rest) on a read (MV_R) and a write (MV_W) mirror of MV_BUF.
 */
struct merr_call {
	const char *what;
	unsigned long cmd;
	enum merr_val h;
	uint32_t flags, reserved;
	uint32_t op;
	enum merr_val src_handle, src_addr, dst_handle, dst_addr;
	bool over;		/* one byte longer than the mirror */
	int err;
};

#define SRC_M	GUPDEMO_DMA_SRC_MIRROR
#define DST_M	GUPDEMO_DMA_DST_MIRROR

static const struct merr_call merr_calls[] = {
	{ "UNMIRROR unknown", GUPDEMO_IOC_UNMIRROR, MV_UNKNOWN, .err = ENOENT },
	{ "UNMIRROR flags", GUPDEMO_IOC_UNMIRROR, MV_UNKNOWN, .flags = 1,
	  .err = EINVAL },
	{ "UNMIRROR __reserved", GUPDEMO_IOC_UNMIRROR, MV_UNKNOWN,
	  .reserved = 1, .err = EINVAL },
	{ "MIRROR_QUERY flags", GUPDEMO_IOC_MIRROR_QUERY, MV_UNKNOWN,
	  .flags = 1, .err = EINVAL },
	{ "MIRROR_QUERY unknown", GUPDEMO_IOC_MIRROR_QUERY, MV_UNKNOWN,
	  .err = ENOENT },
	{ "FROM_DEVICE into a read-only mirror", GUPDEMO_IOC_DMA, .flags = DST_M,
	  .op = GUPDEMO_DMA_FROM_DEVICE, .dst_handle = MV_R, .err = EPERM },
	{ "TO_DEVICE from an unknown mirror", GUPDEMO_IOC_DMA, .flags = SRC_M,
	  .op = GUPDEMO_DMA_TO_DEVICE, .src_handle = MV_UNKNOWN, .err = ENOENT },
	{ "TO_DEVICE longer than the mirror", GUPDEMO_IOC_DMA, .flags = SRC_M,
	  .op = GUPDEMO_DMA_TO_DEVICE, .src_handle = MV_R, .over = true,
	  .err = EINVAL },
	{ "LOOPBACK with a mirror side", GUPDEMO_IOC_DMA, .flags = SRC_M,
	  .op = GUPDEMO_DMA_LOOPBACK, .src_handle = MV_R, .dst_addr = MV_BUF,
	  .err = EINVAL },
	{ "SRC_MIRROR with SRC_HANDLE", GUPDEMO_IOC_DMA,
	  .flags = SRC_M | GUPDEMO_DMA_SRC_HANDLE, .op = GUPDEMO_DMA_TO_DEVICE,
	  .src_handle = MV_R, .err = EINVAL },
	{ "SRC_MIRROR with an address", GUPDEMO_IOC_DMA, .flags = SRC_M,
	  .op = GUPDEMO_DMA_TO_DEVICE, .src_handle = MV_R, .src_addr = MV_BUF,
	  .err = EINVAL },
	{ "DST_MIRROR on TO_DEVICE", GUPDEMO_IOC_DMA, .flags = DST_M,
	  .op = GUPDEMO_DMA_TO_DEVICE, .src_addr = MV_BUF, .dst_handle = MV_W,
	  .err = EINVAL },
};

#undef SRC_M
#undef DST_M

static int merr_call(const struct merr_call *c, const uint64_t *v)
{
	struct gupdemo_unmirror u = { .size = sizeof(u), .handle = (uint32_t)v[c->h],
				      .flags = c->flags, .__reserved = c->reserved };
	struct gupdemo_mirror_query q = { .size = sizeof(q), .flags = c->flags,
					  .handle = (uint32_t)v[c->h] };
	struct gupdemo_dma d = {
		.size = sizeof(d), .flags = c->flags, .op = c->op,
		.engine = GUPDEMO_ENGINE_SOFT,
		.src_handle = (uint32_t)v[c->src_handle], .src_addr = v[c->src_addr],
		.dst_handle = (uint32_t)v[c->dst_handle], .dst_addr = v[c->dst_addr],
		.len = c->over ? N * T.psz + 1 : 8,
	};

	if (c->cmd == GUPDEMO_IOC_UNMIRROR)
		return gupdemo_ioctl(T.fd, c->cmd, &u);
	if (c->cmd == GUPDEMO_IOC_MIRROR_QUERY)
		return gupdemo_ioctl(T.fd, c->cmd, &q);
	return gupdemo_ioctl(T.fd, c->cmd, &d);
}

static void errors_handles(void)
{
	char *p = map_pages(N, 2);
	uint64_t v[] = { [MV_NONE] = 0, [MV_UNKNOWN] = 12345, [MV_R] = 0,
			 [MV_W] = 0, [MV_BUF] = (uintptr_t)p };
	uint32_t r, w;

	if (mirror(p, N * T.psz, 0, &r) || mirror(p, N * T.psz,
						 GUPDEMO_MIRROR_WRITE, &w))
		bail_out("MIRROR of a plain buffer failed");
	v[MV_R] = r;
	v[MV_W] = w;
	for (size_t i = 0; i < G_N(merr_calls); i++)
		is_errno(merr_call(&merr_calls[i], v), merr_calls[i].err,
			 "%s -> %s", merr_calls[i].what,
			 strerrorname_np(merr_calls[i].err));
	/* A pin handle is not a mirror handle: separate spaces. */
	is_errno(gupdemo_unpin_handle(T.fd, r, 0), ENOENT,
		 "UNPIN of a mirror handle -> ENOENT");
	is_errno(gupdemo_unmirror(T.fd, r), 0, "UNMIRROR read mirror");
	is_errno(gupdemo_unmirror(T.fd, r), ENOENT, "UNMIRROR twice -> ENOENT");
	is_errno(gupdemo_unmirror(T.fd, w), 0, "UNMIRROR write mirror");
	munmap(p, N * T.psz);
}

/* One memfd page mapped at two neighbouring addresses: written twice. */
static void errors_alias(void)
{
	int mfd = memfd_create("t_mirror", 0);
	char *two = mmap(NULL, 2 * T.psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	uint32_t h;

	if (mfd < 0 || two == MAP_FAILED || ftruncate(mfd, (off_t)T.psz) ||
	    mmap(two, T.psz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd,
		 0) == MAP_FAILED ||
	    mmap(two + T.psz, T.psz, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, mfd, 0) == MAP_FAILED)
		bail_out("memfd mapped twice: %s", strerror(errno));
	two[0] = 1;
	is_errno(mirror(two, 2 * T.psz, GUPDEMO_MIRROR_WRITE, &h), 0,
		 "MIRROR of one memfd page mapped twice");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, 2 * T.psz),
		 EINVAL, "FROM_DEVICE into a mirror holding one page twice -> EINVAL");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, T.psz), 0,
		 "FROM_DEVICE into its first page alone");
	gupdemo_unmirror(T.fd, h);
	munmap(two, 2 * T.psz);
	close(mfd);
}

static void group_errors(void)
{
	struct gupdemo_vmstat v0 = g_vmstat();

	diag("--- refused inputs ---");
	errors_mirror();
	errors_handles();
	errors_alias();
	g_check_delta(&v0, 0, 0, "errors");
	check_none_held("errors");
}

/* ---- basic ---- */

static void round_trip(uint32_t engine)
{
	char *a = map_pages(N, 0), *b = map_pages(N, 0);
	struct gupdemo_vmstat v0 = g_vmstat();
	uint32_t ha, hb;
	int64_t held;
	int ret;

	for (size_t i = 0; i < XFER; i++)
		a[i] = (char)(i * 7 + 3);
	is_errno(mirror(a, N * T.psz, 0, &ha), 0, "%s: mirror source",
		 eng_name(engine));
	is_errno(mirror(b, N * T.psz, GUPDEMO_MIRROR_WRITE, &hb), 0,
		 "%s: mirror destination (WRITE)", eng_name(engine));
	held = stat_of("mirrors_held");
	is_int(held, 2, "%s: debugfs mirrors_held 2", eng_name(engine));
	ret = mdma(GUPDEMO_DMA_TO_DEVICE, engine, ha, XFER);
	is_errno(ret, 0, "%s: TO_DEVICE from the mirror", eng_name(engine));
	ret = mdma(GUPDEMO_DMA_FROM_DEVICE, engine, hb, XFER);
	is_errno(ret, 0, "%s: FROM_DEVICE into the mirror", eng_name(engine));
	ok(!memcmp(a, b, XFER), "%s: the round trip is byte-exact",
	   eng_name(engine));
	is_int(mquery(ha).refaults, 0, "%s: no re-fault (nothing invalidated)",
	       eng_name(engine));
	is_int(mquery(hb).nvalid, N, "%s: the table holds all %d pages",
	       eng_name(engine), N);
	is_errno(gupdemo_unmirror(T.fd, ha), 0, "%s: UNMIRROR", eng_name(engine));
	is_errno(gupdemo_unmirror(T.fd, hb), 0, "%s: UNMIRROR", eng_name(engine));
	g_check_delta(&v0, 0, 0, "mirror round trip: no pin at all");
	munmap(a, N * T.psz);
	munmap(b, N * T.psz);
}

static void group_basic(void)
{
	diag("--- mirror round trips ---");
	round_trip(GUPDEMO_ENGINE_SOFT);
	if (T.edu)
		round_trip(GUPDEMO_ENGINE_EDU);
	else
		skip(10, "edu: no edu device bound");
	check_none_held("basic");
}

/* ---- munmap ---- */

static void group_munmap(void)
{
	char *p = map_pages(N, 5);
	struct gupdemo_mirror_query q;
	struct gupdemo_unmirror u = { .size = sizeof(u) };
	uint32_t h;

	diag("--- munmap of a mirrored range ---");
	if (mirror(p, N * T.psz, GUPDEMO_MIRROR_WRITE, &h))
		bail_out("MIRROR failed");
	munmap(p, N * T.psz);
	q = mquery(h);
	ok(q.events[GUPDEMO_MIRROR_EV_UNMAP] >= 1,
	   "munmap: an UNMAP invalidation (%llu)",
	   (unsigned long long)q.events[GUPDEMO_MIRROR_EV_UNMAP]);
	is_int(q.nvalid, 0, "munmap: the device's table is empty");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, 64), EFAULT,
		 "munmap: the next DMA -> EFAULT");
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, h, 64), EFAULT,
		 "munmap: TO_DEVICE too -> EFAULT");
	u.handle = h;
	is_errno(gupdemo_ioctl(T.fd, GUPDEMO_IOC_UNMIRROR, &u), 0, "UNMIRROR");
	ok(u.invalidations >= 1, "UNMIRROR reports %llu invalidations",
	   (unsigned long long)u.invalidations);
	check_none_held("munmap");
}

/* ---- dirty ---- */

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

/*
 * MADV_FREE cleans the pages but leaves them writable: the device's write
 * faults nothing, and reclaim discards a clean lazily-freed page.  The
 * module marks what the device wrote dirty, so the write survives.
 */
static void group_dirty(void)
{
	char *p = map_pages(N, 'A'), *src = map_pages(N, 'D');
	uint32_t h, hs;

	diag("--- a device write into a lazily freed page, then reclaim ---");
	if (mirror(p, N * T.psz, GUPDEMO_MIRROR_WRITE, &h) ||
	    mirror(src, N * T.psz, 0, &hs))
		bail_out("MIRROR failed");
	is_syscall_errno(madvise(p, N * T.psz, MADV_FREE), 0,
			 "dirty: MADV_FREE of the mirrored range");
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, hs, XFER), 0,
		 "dirty: the device reads 'D'");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, XFER), 0,
		 "dirty: the device writes the lazily freed page");
	is_syscall_errno(madvise(p, N * T.psz, MADV_PAGEOUT), 0,
			 "dirty: MADV_PAGEOUT (reclaim now)");
	is_int(p[0], 'D', "dirty: the device's write survived reclaim");
	is_int(p[XFER - 1], 'D', "dirty: ... to its last byte");
	gupdemo_unmirror(T.fd, h);
	gupdemo_unmirror(T.fd, hs);
	munmap(p, N * T.psz);
	munmap(src, N * T.psz);
}

/* ---- fork ---- */

static void group_fork(void)
{
	char *p = map_pages(1, 'A'), *src = map_pages(1, 'D');
	struct gupdemo_vmstat v0 = g_vmstat();
	struct gupdemo_mirror_query q;
	int sync[2], st = 0;
	uint32_t h, hs;
	pid_t pid;

	diag("--- fork and the parent's write ---");
	if (mirror(p, T.psz, GUPDEMO_MIRROR_WRITE, &h) ||
	    mirror(src, T.psz, 0, &hs) || pipe(sync))
		bail_out("MIRROR failed");
	pid = fork();
	if (pid == 0) {
		char go;

		close(sync[1]);
		_exit(read(sync[0], &go, 1) == 1 ? (unsigned char)p[0] : 0);
	}
	close(sync[0]);
	p[T.psz - 1] = 'P';	/* COW: the parent gets a new page */
	q = mquery(h);
	ok(q.events[GUPDEMO_MIRROR_EV_PROT_PAGE] + q.events[GUPDEMO_MIRROR_EV_CLEAR] >= 1,
	   "fork: invalidated (write-protect %llu, clear %llu)",
	   (unsigned long long)q.events[GUPDEMO_MIRROR_EV_PROT_PAGE],
	   (unsigned long long)q.events[GUPDEMO_MIRROR_EV_CLEAR]);
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, hs, 64), 0,
		 "fork: the device reads 'D'");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, 64), 0,
		 "fork: the device writes the mirror");
	is_int(p[0], 'D', "fork: the parent sees the device's write");
	ok(mquery(h).refaults >= 1, "fork: the DMA faulted the range again");
	if (write(sync[1], "x", 1) != 1 || waitpid(pid, &st, 0) != pid)
		fail("fork: the child");
	close(sync[1]);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 'A',
	       "fork: the child keeps its copy");
	gupdemo_unmirror(T.fd, h);
	gupdemo_unmirror(T.fd, hs);
	g_check_delta(&v0, 0, 0, "fork");
	check_none_held("fork");
	munmap(p, T.psz);
	munmap(src, T.psz);
}

/* ---- migrate ---- */

static long move_all(char *p, int node, int *status)
{
	void *pages[N];
	int nodes[N];

	for (int i = 0; i < N; i++) {
		pages[i] = p + i * T.psz;
		nodes[i] = node;
	}
	return syscall(SYS_move_pages, 0, N, pages, node < 0 ? NULL : nodes,
		       status, 0);
}

static void group_migrate(void)
{
	char *p, *back;
	struct gupdemo_vmstat v0;
	struct gupdemo_mirror_query q;
	int st[N], to;
	uint32_t h, hb;

	diag("--- move_pages of mirrored pages ---");
	if (access("/sys/devices/system/node/node1", F_OK)) {
		skip(7, "one NUMA node (vm-run --numa 2), or a kernel without NUMA");
		return;
	}
	p = map_pages(N, 0);
	back = map_pages(N, 0);
	for (size_t i = 0; i < XFER; i++)
		p[i] = (char)(i * 13 + 1);
	v0 = g_vmstat();
	if (mirror(p, N * T.psz, 0, &h) ||
	    mirror(back, N * T.psz, GUPDEMO_MIRROR_WRITE, &hb))
		bail_out("MIRROR failed");
	if (move_all(p, -1, st))
		bail_out("move_pages query: %s", strerror(errno));
	to = st[0] == 0;
	is_int(move_all(p, to, st), 0,
	       "migrate: move_pages of mirrored pages to node %d: all moved", to);
	move_all(p, -1, st);
	is_int(st[0], to, "migrate: page 0 is on node %d", to);
	q = mquery(h);
	ok(q.invalidations >= 1 && q.nvalid < N,
	   "migrate: invalidated (%llu; %llu of %d entries left)",
	   (unsigned long long)q.invalidations, (unsigned long long)q.nvalid, N);
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, h, XFER), 0,
		 "migrate: TO_DEVICE after the move");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, hb, XFER), 0,
		 "migrate: FROM_DEVICE into another mirror");
	ok(!memcmp(p, back, XFER) && mquery(h).refaults == 1,
	   "migrate: the device read the data at its new place (one re-fault)");
	gupdemo_unmirror(T.fd, h);
	gupdemo_unmirror(T.fd, hb);
	g_check_delta(&v0, 0, 0, "migrate: no pin");
	munmap(p, N * T.psz);
	munmap(back, N * T.psz);
}

/* ---- offline ---- */

/* A Movable block that can go offline (no reserved page in it), or -1. */
static int64_t offline_target(void)
{
	uint64_t block;

	return gupdemo_memblock_offline_candidate(NULL, &block) ? -1 :
								   (int64_t)block;
}

static void group_offline(void)
{
	const size_t big = 65536;	/* 256 MiB, touched until a page is in the block */
	struct gupdemo_mirror_query q;
	int64_t block = offline_target();
	char *p = NULL, *mine = NULL;
	uint64_t pfn, b;
	uint32_t h;
	int ret;

	diag("--- memory offline of a mirrored page's block ---");
	if (block < 0) {
		skip(5, "no ZONE_MOVABLE block that can go offline (vm-run --movable; a kernel with memory hotplug; no reserved page in it)");
		return;
	}
	p = mmap(NULL, big * T.psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	madvise(p, big * T.psz, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < big && !mine; i++) {
		p[i * T.psz] = 'M';
		if (!gupdemo_virt_to_pfn(p + i * T.psz, &pfn) &&
		    !gupdemo_memblock_of_pfn(NULL, pfn, &b) && (int64_t)b == block)
			mine = p + i * T.psz;
	}
	if (!ok(mine != NULL, "offline: a page in block %lld", (long long)block)) {
		skip(4, "no page landed in the block");
		munmap(p, big * T.psz);
		return;
	}
	if (mirror(mine, T.psz, 0, &h))
		bail_out("MIRROR failed");
	ret = gupdemo_memblock_offline(NULL, (uint64_t)block);
	is_errno(ret, 0, "offline: block %lld goes offline while mirrored",
		 (long long)block);
	q = mquery(h);
	ok(q.invalidations >= 1 && q.nvalid == 0,
	   "offline: the mirror was invalidated (%llu)",
	   (unsigned long long)q.invalidations);
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, h, 64), 0,
		 "offline: the next DMA faults the page at its new place");
	if (!ret)
		is_errno(gupdemo_memblock_online(NULL, (uint64_t)block, true), 0,
			 "offline: online again");
	else
		skip(1, "the block did not go offline");
	gupdemo_unmirror(T.fd, h);
	munmap(p, big * T.psz);
}

/* ---- stress ---- */

static struct {
	char *p;
	volatile bool stop;
} S;

static void *zapper(void *arg)
{
	(void)arg;
	while (!S.stop) {
		madvise(S.p, N * T.psz, MADV_DONTNEED);
		sched_yield();
	}
	return NULL;
}

static void group_stress(void)
{
	char *src = map_pages(N, 'S');
	struct gupdemo_vmstat v0 = g_vmstat();
	unsigned int ok_n = 0, bad = 0, i;
	uint32_t h, hs;
	pthread_t t;
	int ret;

	diag("--- DMA into a mirror that another thread keeps zapping ---");
	S.p = map_pages(N, 0);
	S.stop = false;
	if (mirror(S.p, N * T.psz, GUPDEMO_MIRROR_WRITE, &h) ||
	    mirror(src, N * T.psz, 0, &hs))
		bail_out("MIRROR failed");
	pthread_create(&t, NULL, zapper, NULL);
	for (i = 0; i < 2000; i++) {
		ret = mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, hs, XFER);
		if (!ret)
			ret = mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h,
				   XFER);
		if (!ret)
			ok_n++;
		else if (ret != -EBUSY)
			bad++;
	}
	S.stop = true;
	pthread_join(t, NULL);
	is_int(bad, 0, "stress: no error but EBUSY in %u round trips (%u ok)",
	       i, ok_n);
	ok(ok_n > 0, "stress: round trips went through");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, XFER), 0,
		 "stress: a last DMA, no zapper");
	ok(!memcmp(S.p, src, XFER), "stress: its data is exact");
	diag("stress: %llu invalidations, %llu re-faults, %llu retries",
	     (unsigned long long)mquery(h).invalidations,
	     (unsigned long long)mquery(h).refaults,
	     (unsigned long long)mquery(h).retries);
	gupdemo_unmirror(T.fd, h);
	gupdemo_unmirror(T.fd, hs);
	g_check_delta(&v0, 0, 0, "stress: no pin");
	check_none_held("stress");
	munmap(S.p, N * T.psz);
	munmap(src, N * T.psz);
}

/* ---- close ---- */

static void group_close(void)
{
	char *p = map_pages(N, 3);
	int fd2, st = 0;
	uint32_t h;
	pid_t pid;

	diag("--- mirrors left at close() and at SIGKILL ---");
	fd2 = g_open();
	ok(gupdemo_mirror_range(fd2, p, N * T.psz, 0, &h, NULL) == 0 &&
	   gupdemo_mirror_range(fd2, p, T.psz, GUPDEMO_MIRROR_WRITE, &h,
				NULL) == 0, "close: two mirrors on a second fd");
	is_int(stat_of("mirrors_held"), 2, "close: 2 held");
	close(fd2);
	is_int(stat_of("mirrors_held"), 0, "close: none held after close()");
	pid = fork();
	if (pid == 0) {
		int fd3 = g_open();

		gupdemo_mirror_range(fd3, p, N * T.psz, 0, &h, NULL);
		for (;;)
			pause();
	}
	for (int i = 0; i < 100 && stat_of("mirrors_held") < 1; i++)
		usleep(10000);
	is_int(stat_of("mirrors_held"), 1, "kill: the child holds a mirror");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	is_int(stat_of("mirrors_held"), 0, "kill: none held after SIGKILL");
	munmap(p, N * T.psz);
}

/* ---- kinds ---- */

/* memfd_secret(2) memory, or NULL with the reason in @why. */
static char *map_secret(size_t len, void *at, const char **why)
{
	int fd = (int)syscall(SYS_memfd_secret, 0);
	char *p;

	if (fd < 0) {
		*why = errno == ENOSYS ? "memfd_secret: ENOSYS (no CONFIG_SECRETMEM or secretmem.enable=0)" :
					 "memfd_secret failed";
		return NULL;
	}
	if (ftruncate(fd, (off_t)len)) {
		close(fd);
		*why = "ftruncate of the secret memfd failed";
		return NULL;
	}
	p = mmap(at, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (at ? MAP_FIXED : 0), fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		*why = "mmap of the secret memfd failed (RLIMIT_MEMLOCK?)";
		return NULL;
	}
	memset(p, 'S', len);
	return p;
}

static void kinds_secret(void)
{
	const char *why = NULL;
	char *p = map_secret(N * T.psz, NULL, &why), *q;
	struct gupdemo_pin pin = { .api = GUPDEMO_API_PIN_FAST };
	uint32_t h;

	if (!p) {
		skip(6, "%s", why);
		return;
	}
	pin.addr = (uintptr_t)p;
	pin.len = T.psz;
	is_errno(gupdemo_pin(T.fd, &pin), EFAULT, "secretmem: PIN -> EFAULT");
	is_errno(mirror(p, N * T.psz, 0, &h), EFAULT,
		 "secretmem: MIRROR -> EFAULT, as PIN");
	is_errno(mirror(p, T.psz, GUPDEMO_MIRROR_WRITE, &h), EFAULT,
		 "secretmem: MIRROR WRITE -> EFAULT");
	munmap(p, N * T.psz);

	/* A mirror of ordinary memory whose range becomes secret memory. */
	p = map_pages(N, 'a');
	if (mirror(p, N * T.psz, GUPDEMO_MIRROR_WRITE, &h))
		bail_out("MIRROR of anon memory failed");
	q = map_secret(T.psz, p + T.psz, &why);
	ok(q == p + T.psz, "secretmem: mapped over the mirror's second page");
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, h, 2 * T.psz),
		 EFAULT, "secretmem: soft TO_DEVICE over it -> EFAULT, nothing read");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, 2 * T.psz),
		 EFAULT, "secretmem: soft FROM_DEVICE over it -> EFAULT");
	gupdemo_unmirror(T.fd, h);
	munmap(p, N * T.psz);
}

static void group_kinds(void)
{
	char *pfn;
	uint32_t h;

	diag("--- memory GUP refuses: MIRROR refuses it too ---");
	kinds_secret();
	pfn = mmap(NULL, T.psz, PROT_READ | PROT_WRITE, MAP_SHARED, T.fd, 0);
	if (pfn == MAP_FAILED)
		bail_out("mmap of /dev/gupdemo failed");
	is_errno(mirror(pfn, T.psz, 0, &h), EFAULT,
		 "PFNMAP: MIRROR -> EFAULT, as PIN");
	munmap(pfn, T.psz);
	check_none_held("kinds");
}

/* ---- budget ---- */

/* What one mirror of @n pages is charged: its pages and its fixed cost. */
#define CHARGE(n)	((n) + GUPDEMO_MIRROR_FIXED_PAGES)

static void budget_one(const char *param, int fd2)
{
	uint64_t old = 0;
	char *p = map_pages(N, 4);
	struct gupdemo_info info;
	uint32_t h1, h2, h3;

	if (g_param_get(param, &old) || g_param_set(param, 2 * CHARGE(N))) {
		fail("%s: cannot set the module parameter", param);
		munmap(p, N * T.psz);
		return;
	}
	is_errno(mirror(p, N * T.psz, 0, &h1), 0, "%s=%d: a mirror of %d pages",
		 param, 2 * CHARGE(N), N);
	is_errno(mirror(p, N * T.psz, GUPDEMO_MIRROR_WRITE, &h2), 0,
		 "%s: a second one fills it", param);
	is_errno(mirror(p, T.psz, 0, &h3), ENOSPC,
		 "%s: one page more -> ENOSPC", param);
	if (!gupdemo_get_info(T.fd, &info)) {
		is_int(info.mirror_pages_held, 2 * CHARGE(N),
		       "%s: GET_INFO mirror_pages_held (2 x %d pages + fixed %d)",
		       param, N, GUPDEMO_MIRROR_FIXED_PAGES);
		is_int(info.mirrors_held, 2, "%s: GET_INFO mirrors_held", param);
	}
	is_int(stat_of("mirror_pages_held"), 2 * CHARGE(N),
	       "%s: debugfs mirror_pages_held", param);
	/* The other file: only the module-wide budget is shared. */
	is_errno(gupdemo_mirror_range(fd2, p, T.psz, 0, &h3, NULL),
		 !strcmp(param, "max_mirror_pages") ? ENOSPC : 0,
		 "%s: another open file %s", param,
		 !strcmp(param, "max_mirror_pages") ? "is refused too" : "has its own budget");
	gupdemo_unmirror(fd2, h3);
	gupdemo_unmirror(T.fd, h2);
	is_errno(mirror(p, T.psz, 0, &h3), 0, "%s: UNMIRROR gives it back", param);
	gupdemo_unmirror(T.fd, h3);
	gupdemo_unmirror(T.fd, h1);
	g_param_set(param, old);
	is_int(stat_of("mirror_pages_held"), 0, "%s: nothing charged after", param);
	munmap(p, N * T.psz);
}

static void group_budget(void)
{
	struct gupdemo_info info;
	int fd2 = g_open();

	diag("--- the mirror budgets ---");
	if (!gupdemo_get_info(T.fd, &info)) {
		ok(info.max_mirror_pages > 0 && info.max_mirror_pages_file > 0,
		   "GET_INFO: max_mirror_pages %u, max_mirror_pages_file %u",
		   info.max_mirror_pages, info.max_mirror_pages_file);
	}
	budget_one("max_mirror_pages_file", fd2);
	budget_one("max_mirror_pages", fd2);
	close(fd2);
	check_none_held("budget");
}

/* ---- cow ---- */

/* A re-fault takes the pages the call uses, not the whole mirror. */
static void cow_only_used(void)
{
	const size_t n = 4096;
	char *p = map_pages(n, 'u');
	uint32_t h;

	if (mirror(p, n * T.psz, GUPDEMO_MIRROR_WRITE, &h))
		bail_out("MIRROR failed");
	madvise(p, n * T.psz, MADV_DONTNEED);
	is_int(mquery(h).nvalid, 0, "used: MADV_DONTNEED emptied a %zu-page mirror", n);
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, h, 100), 0,
		 "used: TO_DEVICE of its first 100 bytes");
	is_int(mquery(h).nvalid, 1, "used: the re-fault took 1 page, not %zu", n);
	gupdemo_unmirror(T.fd, h);
	munmap(p, n * T.psz);
}

static void group_cow(void)
{
	char *p = map_pages(N, 'c');
	uint64_t before[N], after[N];
	int sync[2], st = 0, same = 0;
	uint32_t h;
	pid_t pid;
	char go;

	diag("--- a device that reads does not break COW ---");
	if (mirror(p, N * T.psz, GUPDEMO_MIRROR_WRITE, &h) || pipe(sync))
		bail_out("MIRROR failed");
	pid = fork();
	if (pid == 0) {
		close(sync[1]);
		_exit(read(sync[0], &go, 1) == 1 ? 0 : 1);
	}
	close(sync[0]);
	for (int i = 0; i < N; i++)
		if (gupdemo_virt_to_pfn(p + i * T.psz, &before[i]))
			bail_out("pagemap");
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, h, N * T.psz), 0,
		 "cow: TO_DEVICE from a WRITE mirror after fork()");
	for (int i = 0; i < N; i++)
		same += !gupdemo_virt_to_pfn(p + i * T.psz, &after[i]) &&
			after[i] == before[i];
	is_int(same, N, "cow: all %d pages still shared with the child (no write fault)",
	       N);
	ok(mquery(h).refaults >= 1, "cow: the DMA re-faulted (fork invalidated the range)");
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, T.psz), 0,
		 "cow: FROM_DEVICE into the first page");
	ok(!gupdemo_virt_to_pfn(p, &after[0]) && after[0] != before[0],
	   "cow: a device write breaks COW of the page it writes");
	if (write(sync[1], "x", 1) != 1 || waitpid(pid, &st, 0) != pid)
		fail("cow: the child");
	close(sync[1]);
	gupdemo_unmirror(T.fd, h);
	munmap(p, N * T.psz);
	cow_only_used();
	check_none_held("cow");
}

/* ---- owner ---- */

#define BUSY_LEN	(16U << 20)
#define STRANGER_LEN	(256U << 20)	/* the soft engine's max_len */

/*
 * A stranger: its own mirror of untouched read-only memory (the zero
 * page: no RSS), soft-engine transfers of the longest length the engine
 * takes, until killed.
 */
static pid_t busy_stranger(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = g_open();
		char *p = mmap(NULL, STRANGER_LEN, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		uint32_t h;

		if (p == MAP_FAILED ||
		    gupdemo_mirror_range(fd, p, STRANGER_LEN, 0, &h, NULL))
			_exit(1);
		for (;;) {
			struct gupdemo_dma d = { .op = GUPDEMO_DMA_TO_DEVICE,
				.engine = GUPDEMO_ENGINE_SOFT,
				.flags = GUPDEMO_DMA_SRC_MIRROR,
				.src_handle = h, .len = STRANGER_LEN };

			gupdemo_dma(fd, &d);
		}
	}
	return pid;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The owner's child (sharing the file) tries a DMA on the owner's mirror
 * again and again: EPERM every time, so it never holds the mirror's lock
 * (it exits with 2 if a call is not EPERM, and dies with the owner).
 */
static void owner_kill(void)
{
	int to_owner[2], from_owner[2], st = 0;
	pid_t busy[2], owner;
	double t0, dt;
	char c = 0;

	if (pipe(to_owner) || pipe(from_owner))
		bail_out("pipe");
	owner = fork();
	if (owner == 0) {
		char *p = map_pages(BUSY_LEN / T.psz, 5);
		int fd = g_open();
		uint32_t h;
		pid_t kid;

		if (gupdemo_mirror_range(fd, p, BUSY_LEN, 0, &h, NULL))
			_exit(1);
		kid = fork();
		if (kid == 0) {
			struct gupdemo_dma d = { .op = GUPDEMO_DMA_TO_DEVICE,
				.engine = GUPDEMO_ENGINE_SOFT,
				.flags = GUPDEMO_DMA_SRC_MIRROR,
				.src_handle = h, .len = BUSY_LEN };

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				if (gupdemo_dma(fd, &d) != -EPERM)
					_exit(2);
		}
		if (write(from_owner[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	busy[0] = busy_stranger();
	busy[1] = busy_stranger();
	if (read(from_owner[0], &c, 1) != 1 || c != 'r')
		fail("owner: not ready");
	usleep(300000);
	t0 = now_s();
	kill(owner, SIGKILL);
	waitpid(owner, &st, 0);
	dt = now_s() - t0;
	ok(dt < 1.0, "owner: SIGKILLed with two strangers busy on the soft engine, it exited in %.3f s (< 1 s)",
	   dt);
	for (int i = 0; i < 2; i++) {
		kill(busy[i], SIGKILL);
		waitpid(busy[i], &st, 0);
	}
	/* The owner's child goes with it (PR_SET_PDEATHSIG), and its file. */
	for (int i = 0; i < 300 && stat_of("mirrors_held") > 0; i++)
		usleep(10000);
	close(to_owner[0]);
	close(to_owner[1]);
	close(from_owner[0]);
	close(from_owner[1]);
}

static void group_owner(void)
{
	char *p = map_pages(1, 'o');
	int st = 0;
	uint32_t h;
	pid_t pid;

	diag("--- a mirror belongs to its process ---");
	if (mirror(p, T.psz, GUPDEMO_MIRROR_WRITE, &h))
		bail_out("MIRROR failed");
	pid = fork();
	if (pid == 0) {
		struct gupdemo_mirror_query q = { .handle = h };
		int a = mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, h, 64);
		int b = mdma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT, h, 64);
		int c = gupdemo_mirror_query(T.fd, &q);

		_exit((a == -EPERM) | (b == -EPERM) << 1 | (c == 0) << 2);
	}
	waitpid(pid, &st, 0);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 7,
	       "owner: a forked child's TO_DEVICE and FROM_DEVICE on the parent's mirror -> EPERM; its MIRROR_QUERY works");
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, h, 64), 0,
		 "owner: the parent's own DMA works");
	gupdemo_unmirror(T.fd, h);
	munmap(p, T.psz);
	owner_kill();
	check_none_held("owner");
}

/* The groups, in the order a run without --group takes them. */
static const struct g_test groups[] = {
	G_TEST("errors", group_errors),
	G_TEST("basic", group_basic),
	G_TEST("munmap", group_munmap),
	G_TEST("dirty", group_dirty),
	G_TEST("fork", group_fork),
	G_TEST("migrate", group_migrate),
	G_TEST("offline", group_offline),
	G_TEST("stress", group_stress),
	G_TEST("close", group_close),
	G_TEST("kinds", group_kinds),
	G_TEST("budget", group_budget),
	G_TEST("cow", group_cow),
	G_TEST("owner", group_owner),
};

int main(int argc, char **argv)
{
	struct gupdemo_info info;

	g_parse_args(argc, argv, G_OPT_GROUP | G_OPT_LIST,
		     "t_mirror [--group NAME] [--list]");
	if (g_listing())
		return !g_run(groups, G_N(groups), G_BY_GROUP);
	T.psz = (size_t)sysconf(_SC_PAGESIZE);
	T.fd = g_open();
	if (gupdemo_get_info(T.fd, &info))
		bail_out("GET_INFO failed");
	if (!(info.features & GUPDEMO_FEAT_MIRROR)) {
		skip(1, "the kernel has no HMM_MIRROR: no mirror mode");
		return done_testing();
	}
	T.edu = info.features & GUPDEMO_FEAT_ENGINE_EDU;
	g_run(groups, G_N(groups), G_BY_GROUP);
	return done_testing();
}
