// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: an ioctl fuzzer for /dev/gupdemo.
 *
 * Usage: t_fuzz [--seed N] [--iterations N] [--threads N]
 *
 * Seeded (the seed is printed; --seed replays the same choices, though the
 * thread interleaving differs), several worker threads fire random and
 * near-valid ioctls at a few shared descriptors: every command and some
 * that do not exist; struct sizes 0, short, exact, long with a zero or a
 * non-zero tail; random flags and reserved bits; valid, stale and random
 * handles (pin and mirror handles, each in the other's place too), DMA on
 * mirrors (*_MIRROR flags); addresses that are NULL, kernel,
 * non-canonical, unaligned, wrapping, PROT_NONE, read-only, hugetlb, THP,
 * memfd, read-only ext4 page cache (a reader's pins, which UNPIN DIRTY must
 * refuse), writable ext4 MAP_SHARED page cache (a FOLL_GET reference of it
 * is never dirtied: DIRTY and device writes EPERM), the VM_PFNMAP mmap of
 * /dev/gupdemo, a hole just munmapped;
 * lengths up to and past the limits; argument structs that are unaligned, read-only, unreadable or
 * straddle into an unmapped page.  A chaos thread meanwhile remaps and
 * mprotects memory the workers pin, replaces it with memfd_secret() memory
 * (which PIN and MIRROR refuse, also at a later fault of a mirror), writes
 * back (fsync) and reclaims (MADV_PAGEOUT) what they pin and mirror, takes
 * writable pins (mostly FOLL_GET) of the ext4 file it writes back and puts
 * them among the handles the workers use, forks
 * children that pin through the
 * inherited descriptors, replaces descriptors (close racing ioctls),
 * unpins handles, runs DMA, and mirrors ranges it then zaps, DMAs on them
 * and unmirrors them (the forked children mirror too: those mirrors outlive
 * their mm, held by the shared file).
 *
 * Every call is checked: the errno is one the README documents for that
 * ioctl (and the exact one where the rules leave no choice: ENOTTY, short
 * struct EINVAL, non-zero tail E2BIG); a failed call leaves the argument
 * untouched; a successful one changes only output fields, to plausible
 * values (no kernel address, no stray byte), and nothing past what it
 * copies back.  MIRROR, UNMIRROR and MIRROR_QUERY are fuzzed like the
 * rest; on a kernel without GUPDEMO_FEAT_MIRROR, MIRROR may fail only with
 * EOPNOTSUPP (or the struct checks' errnos).  At the end: pin counters
 * balanced, the module holds nothing (no pin, no mirror: debugfs
 * mirrors_held 0), it unloads.
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "stress.h"

#define MAX_THREADS	16
#define NFDS		4
#define HPOOL		64
#define MAX_MSGS	24
#define NERRNO		160
#define ARG_WINDOW	8192	/* bytes of argument space per worker */
#define NS_LIMIT	600000000000ULL	/* 10 minutes: no timing is longer */
#define COUNT_LIMIT	(1ULL << 40)	/* no event counter gets near this */

#ifndef offsetofend
#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#endif

enum {
	C_INFO, C_PIN, C_UNPIN, C_QUERY, C_DMA, C_BENCH, C_MIRROR, C_UNMIRROR,
	C_MQUERY, C_BAD, C_COUNT
};

/* gupdemo's real commands are _IO(GUPDEMO_IOCTL_TYPE, 0 .. NR_REAL - 1). */
#define NR_REAL		C_BAD

static const struct cmdinfo {
	const char *name;
	unsigned long cmd;
	size_t ksize;
	size_t min_size;	/* the first version of the struct */
	const int *errs;
} cmds[C_COUNT] = {
	[C_INFO] = { "GET_INFO", GUPDEMO_IOC_GET_INFO, sizeof(struct gupdemo_info),
		     offsetofend(struct gupdemo_info, failures_total), errs_info },
	[C_PIN] = { "PIN", GUPDEMO_IOC_PIN, sizeof(struct gupdemo_pin),
		offsetofend(struct gupdemo_pin, get_ns), errs_pin },
	[C_UNPIN] = { "UNPIN", GUPDEMO_IOC_UNPIN, sizeof(struct gupdemo_unpin),
		  offsetofend(struct gupdemo_unpin, put_ns), errs_unpin },
	[C_QUERY] = { "QUERY", GUPDEMO_IOC_QUERY, sizeof(struct gupdemo_query),
		  offsetofend(struct gupdemo_query, nzero), errs_query },
	[C_DMA] = { "DMA", GUPDEMO_IOC_DMA, sizeof(struct gupdemo_dma),
		offsetofend(struct gupdemo_dma, unpin_ns), errs_dma },
	[C_BENCH] = { "BENCH", GUPDEMO_IOC_BENCH, sizeof(struct gupdemo_bench),
		  offsetofend(struct gupdemo_bench, put_ns), errs_bench },
	[C_MIRROR] = { "MIRROR", GUPDEMO_IOC_MIRROR, sizeof(struct gupdemo_mirror),
		   offsetofend(struct gupdemo_mirror, npages), errs_mirror },
	[C_UNMIRROR] = { "UNMIRROR", GUPDEMO_IOC_UNMIRROR,
		     sizeof(struct gupdemo_unmirror),
		     offsetofend(struct gupdemo_unmirror, invalidations),
		     errs_unmirror },
	[C_MQUERY] = { "MQUERY", GUPDEMO_IOC_MIRROR_QUERY,
		   sizeof(struct gupdemo_mirror_query),
		   offsetofend(struct gupdemo_mirror_query, events),
		   errs_mirror_query },
	[C_BAD] = { "unknown", 0, 0, 0, errs_bad },
};

/* Regions of the arena: one PROT_NONE reservation with guard pages. */
enum {
	R_ANON, R_THP, R_EMPTY, R_RO, R_NONE, R_HUGE, R_PFN, R_MEMFD, R_VOL,
	R_PROT, R_HOLE, R_EXT4, R_EXT4W, R_ARGS, R_COUNT
};

static const char *const region_names[R_COUNT] = {
	"anon", "thp", "untouched", "read-only", "PROT_NONE", "hugetlb",
	"pfnmap", "memfd", "remapped", "mprotected", "hole", "ext4-ro",
	"ext4-rw", "args",
};

/*
 * R_EXT4: page cache of an ext4 file, opened O_RDONLY and mapped PROT_READ,
 * read but never written: a reader's pins, which UNPIN DIRTY must refuse.
 * R_EXT4W: another file of it, mapped MAP_SHARED read-write: the chaos
 * thread writes it back (fsync) and reclaims it (MADV_PAGEOUT), which
 * strips the buffers of pages a FOLL_GET reference holds.
 */
#define FUZZ_FS_IMG	"/tmp/t_fuzz-ext4.img"
#define FUZZ_FS_MNT	"/tmp/t_fuzz-mnt"
#define FUZZ_FS_FILE	FUZZ_FS_MNT "/ro"
#define FUZZ_FS_FILE_RW	FUZZ_FS_MNT "/rw"

struct region {
	uint8_t *p;
	size_t len;
	bool present;
};

static struct {
	uint64_t seed;
	uint64_t iterations;
	unsigned int threads;
	size_t psz;
	uint32_t max_pin_pages;
	bool mirror;		/* GUPDEMO_FEAT_MIRROR */
	uint8_t *arena;
	size_t arena_len;
	struct region r[R_COUNT];
	int fds[NFDS];
	uint8_t *args_ro;	/* a read-only page of argument space */
	uint8_t *args_edge;	/* the last RW page before a guard */
	uint64_t huge_old;
	bool huge_set;
	int ext4w_fd;		/* R_EXT4W's file, for fsync; -1 without */

	_Atomic uint32_t hpool[HPOOL];	/* PIN handles */
	_Atomic uint32_t mpool[HPOOL];	/* MIRROR handles: their own space */
	_Atomic uint64_t done;	/* worker ioctls so far */
	_Atomic bool stop;
	_Atomic uint64_t hist[C_COUNT][NERRNO];
	_Atomic uint64_t hist_dma_mirror[NERRNO];	/* DMA with a *_MIRROR flag */
	_Atomic uint64_t chaos_ops[16];
	_Atomic uint64_t chaos_ioctls;
	_Atomic uint64_t forks;

	pthread_mutex_t msg_lock;
	unsigned int nmsgs;
	uint64_t nfail[4];	/* errno, untouched, output, exact */
	char msgs[MAX_MSGS][256];
} F = {
	.iterations = 20000,
	.threads = 4,
	.ext4w_fd = -1,
	.msg_lock = PTHREAD_MUTEX_INITIALIZER,
};

enum { FAIL_ERRNO, FAIL_UNTOUCHED, FAIL_OUTPUT, FAIL_EXACT };

__attribute__((format(printf, 2, 3)))
static void record(int kind, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&F.msg_lock);
	F.nfail[kind]++;
	if (F.nmsgs < MAX_MSGS) {
		va_start(ap, fmt);
		vsnprintf(F.msgs[F.nmsgs++], sizeof(F.msgs[0]), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&F.msg_lock);
}

/* ---------------------------------------------------------------- arena */

static size_t arena_place(size_t *cur, size_t len, size_t align)
{
	size_t off = (*cur + align - 1) & ~(align - 1);

	*cur = off + len + F.psz;	/* a PROT_NONE guard page after it */
	return off;
}

static void arena_map(int idx, size_t off, size_t len, int prot, int flags,
		      int fd)
{
	uint8_t *want = F.arena + off;
	void *p = mmap(want, len, prot, flags | MAP_FIXED, fd, 0);

	F.r[idx].p = want;
	F.r[idx].len = len;
	if (p == MAP_FAILED) {
		diag("region %s: mmap failed (%s): left PROT_NONE",
		     region_names[idx], strerror(errno));
		return;
	}
	F.r[idx].present = true;
}

static void populate(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += F.psz)
		p[i] = (uint8_t)(i / F.psz + 1);
}

/* The writable ext4 region (a file of 16 written pages). */
static void ext4w_region(size_t off, size_t len)
{
	F.ext4w_fd = open(FUZZ_FS_FILE_RW, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (F.ext4w_fd < 0 || ftruncate(F.ext4w_fd, (off_t)len)) {
		diag("region ext4-rw: %s: left PROT_NONE", strerror(errno));
		F.r[R_EXT4W].p = F.arena + off;
		F.r[R_EXT4W].len = len;
		return;
	}
	arena_map(R_EXT4W, off, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		  F.ext4w_fd);
	if (F.r[R_EXT4W].present)
		populate(F.r[R_EXT4W].p, len);
}

/* The ext4 regions; left PROT_NONE when ext4 cannot be set up. */
static void ext4_region(size_t off, size_t offw)
{
	size_t len = 16 * F.psz;
	volatile uint8_t sum = 0;
	int fd;

	fflush(NULL);
	if (system("umount " FUZZ_FS_MNT " >/dev/null 2>&1; "
		   "truncate -s 8M " FUZZ_FS_IMG " && "
		   "/sbin/mke2fs -q -F -t ext4 " FUZZ_FS_IMG " >/dev/null 2>&1 && "
		   "mkdir -p " FUZZ_FS_MNT " && "
		   "mount -t ext4 -o loop " FUZZ_FS_IMG " " FUZZ_FS_MNT " && "
		   "dd if=/dev/urandom of=" FUZZ_FS_FILE " bs=4096 count=16 "
		   "2>/dev/null && sync") != 0) {
		diag("regions ext4-ro, ext4-rw: no ext4: left PROT_NONE");
		F.r[R_EXT4].p = F.arena + off;
		F.r[R_EXT4].len = len;
		F.r[R_EXT4W].p = F.arena + offw;
		F.r[R_EXT4W].len = len;
		return;
	}
	fd = open(FUZZ_FS_FILE, O_RDONLY | O_CLOEXEC);
	arena_map(R_EXT4, off, len, PROT_READ, MAP_SHARED, fd);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; F.r[R_EXT4].present && i < len; i += F.psz)
		sum += F.r[R_EXT4].p[i];	/* read, never written */
	ext4w_region(offw, len);
}

#define HUGE_2M		(2UL << 20)

/* The regions in arena order: their size and alignment (0: a page each). */
static const struct {
	int r;
	size_t pages;	/* 0: one 2 MiB huge page, 2 MiB aligned */
} arena_layout[] = {
	{ R_THP, 0 }, { R_HUGE, 0 }, { R_ANON, 256 }, { R_EMPTY, 64 },
	{ R_RO, 16 }, { R_NONE, 16 }, { R_PFN, 1 }, { R_MEMFD, 32 },
	{ R_EXT4, 16 }, { R_EXT4W, 16 }, { R_VOL, 64 }, { R_PROT, 32 },
	{ R_HOLE, 16 },
};

/* Reserves the arena (PROT_NONE) and places every region in it. */
static void arena_reserve(size_t *off)
{
	size_t cur = F.psz;

	F.arena_len = 24UL << 20;
	F.arena = mmap(NULL, F.arena_len + HUGE_2M, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (F.arena == MAP_FAILED)
		bail_out("arena mmap: %s", strerror(errno));
	/* 2 MiB aligned, for the THP and hugetlb regions. */
	F.arena = (uint8_t *)(((uintptr_t)F.arena + HUGE_2M - 1) & ~(HUGE_2M - 1));
	for (size_t i = 0; i < G_N(arena_layout); i++) {
		size_t pages = arena_layout[i].pages;

		off[arena_layout[i].r] = pages ?
			arena_place(&cur, pages * F.psz, F.psz) :
			arena_place(&cur, HUGE_2M, HUGE_2M);
	}
	off[R_ARGS] = arena_place(&cur, (MAX_THREADS + 1) * ARG_WINDOW +
				  2 * F.psz, F.psz);
	if (cur > F.arena_len)
		bail_out("arena too small (%zu > %zu)", cur, F.arena_len);
}

/* THP, and hugetlb (it needs reserved huge pages; without, a hole). */
static void arena_map_huge(const size_t *off)
{
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	uint64_t nr;

	arena_map(R_THP, off[R_THP], HUGE_2M, PROT_READ | PROT_WRITE, anon, -1);
	if (F.r[R_THP].present) {
		madvise(F.r[R_THP].p, HUGE_2M, MADV_HUGEPAGE);
		populate(F.r[R_THP].p, HUGE_2M);
	}
	if (g_read_u64("/proc/sys/vm/nr_hugepages", &F.huge_old) == 0 &&
	    g_write_u64("/proc/sys/vm/nr_hugepages", F.huge_old + 2) == 0 &&
	    g_read_u64("/proc/sys/vm/nr_hugepages", &nr) == 0 &&
	    nr >= F.huge_old + 1)
		F.huge_set = true;
	arena_map(R_HUGE, off[R_HUGE], HUGE_2M, PROT_READ | PROT_WRITE,
		  anon | MAP_HUGETLB, -1);
	if (F.r[R_HUGE].present)
		populate(F.r[R_HUGE].p, HUGE_2M);
}

/*
 * The argument windows, then two pages: one read-only, one read-write that
 * ends at the guard page.
 */
static void arena_map_args(const size_t *off)
{
	arena_map(R_ARGS, off[R_ARGS], (MAX_THREADS + 1) * ARG_WINDOW + 2 * F.psz,
		  PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!F.r[R_ARGS].present)
		bail_out("no argument pages");
	F.args_ro = F.r[R_ARGS].p + (MAX_THREADS + 1) * ARG_WINDOW;
	F.args_edge = F.args_ro + F.psz;
	memset(F.args_ro, 0x5a, F.psz);
	if (mprotect(F.args_ro, F.psz, PROT_READ))
		bail_out("mprotect: %s", strerror(errno));
}

static void arena_setup(void)
{
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t off[R_COUNT];
	int mfd;

	arena_reserve(off);
	arena_map_huge(off);
	arena_map(R_ANON, off[R_ANON], 256 * F.psz, PROT_READ | PROT_WRITE,
		  anon, -1);
	madvise(F.r[R_ANON].p, 256 * F.psz, MADV_NOHUGEPAGE);
	populate(F.r[R_ANON].p, 256 * F.psz);
	arena_map(R_EMPTY, off[R_EMPTY], 64 * F.psz, PROT_READ | PROT_WRITE,
		  anon, -1);
	arena_map(R_RO, off[R_RO], 16 * F.psz, PROT_READ, anon, -1);
	F.r[R_NONE].p = F.arena + off[R_NONE];	/* stays PROT_NONE */
	F.r[R_NONE].len = 16 * F.psz;
	arena_map(R_PFN, off[R_PFN], F.psz, PROT_READ | PROT_WRITE,
		  MAP_SHARED, F.fds[0]);
	mfd = memfd_create("t_fuzz", MFD_CLOEXEC);
	if (mfd >= 0 && ftruncate(mfd, 32 * F.psz) == 0)
		arena_map(R_MEMFD, off[R_MEMFD], 32 * F.psz,
			  PROT_READ | PROT_WRITE, MAP_SHARED, mfd);
	if (mfd >= 0)
		close(mfd);
	if (F.r[R_MEMFD].present)
		populate(F.r[R_MEMFD].p, 32 * F.psz);
	ext4_region(off[R_EXT4], off[R_EXT4W]);
	arena_map(R_VOL, off[R_VOL], 64 * F.psz, PROT_READ | PROT_WRITE, anon, -1);
	populate(F.r[R_VOL].p, 64 * F.psz);
	arena_map(R_PROT, off[R_PROT], 32 * F.psz, PROT_READ | PROT_WRITE,
		  anon, -1);
	populate(F.r[R_PROT].p, 32 * F.psz);
	/* A real hole: nothing mapped there at all. */
	F.r[R_HOLE].p = F.arena + off[R_HOLE];
	F.r[R_HOLE].len = 16 * F.psz;
	munmap(F.r[R_HOLE].p, F.r[R_HOLE].len);
	arena_map_args(off);

	diag("arena %p: thp %s, hugetlb %s, memfd %s, pfnmap %s", (void *)F.arena,
	     !F.r[R_THP].present ? "no" : g_thp_built() ? "yes" :
	     "no (small pages: the kernel has no THP)", F.r[R_HUGE].present ? "yes" : "no",
	     F.r[R_MEMFD].present ? "yes" : "no", F.r[R_PFN].present ? "yes" : "no");
}

static void arena_teardown(void)
{
	munmap(F.arena, F.arena_len);
	if (F.ext4w_fd >= 0)
		close(F.ext4w_fd);
	fflush(NULL);
	if (system("umount " FUZZ_FS_MNT " >/dev/null 2>&1; rm -f " FUZZ_FS_IMG))
		diag("cleaning up the ext4 image failed");
	if (F.huge_set)
		g_write_u64("/proc/sys/vm/nr_hugepages", F.huge_old);
}

/* ------------------------------------------------------------ choosers */

static uint64_t pick_addr(struct rng *r)
{
	static const uint64_t special[] = {
		0, 1, 4096, 0xffff888000000000ULL, 0xffffffff81000000ULL,
		0xffffffffff600000ULL /* vsyscall */, 0x0000800000000000ULL,
		0x00007ffffffff000ULL, 0xfffffffffffff000ULL, UINT64_MAX,
		0x00007fffffffffffULL,
	};

	if (rng_pct(r, 12)) {
		if (rng_pct(r, 20))
			return rng_next(r);
		return special[rng_below(r, sizeof(special) / sizeof(special[0]))];
	}
	/* Not the argument pages: a DMA there would corrupt the workers' checks. */
	const struct region *g = &F.r[rng_below(r, R_ARGS)];
	uint64_t off = rng_below(r, g->len);

	if (rng_pct(r, 60))
		off &= ~(uint64_t)(F.psz - 1);	/* page aligned */
	return (uint64_t)(uintptr_t)g->p + off;
}

static uint64_t pick_len(struct rng *r, uint64_t addr)
{
	uint64_t maxb = (uint64_t)F.max_pin_pages * F.psz;

	switch (rng_below(r, 16)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return F.psz - 1;
	case 3: return F.psz;
	case 4: return F.psz + 1;
	case 5: return maxb;			/* at the limit: runs into a guard */
	case 6: return maxb + F.psz;		/* past it: E2BIG */
	case 7: return UINT64_MAX;
	case 8: return -addr;			/* addr + len wraps to 0 */
	case 9: return rng_next(r);
	case 10: return 2UL << 20;
	default: return 1 + rng_below(r, 64 * F.psz);
	}
}

/*
 * Handles are handed out lowest-free first: 1..4 are mostly the ones a PIN
 * (or MIRROR) in another thread is about to return, so UNPIN, QUERY and DMA
 * race it.  @pool: what PIN or MIRROR returned; now and then the other
 * space's (a pin handle is no mirror handle).
 */
static uint32_t pick_from(struct rng *r, _Atomic uint32_t *pool,
			  _Atomic uint32_t *other)
{
	switch (rng_below(r, 13)) {
	case 0: return 0;
	case 1: return (uint32_t)rng_next(r);
	case 2: return 1 + (uint32_t)rng_below(r, 64);
	case 3: return UINT32_MAX;
	case 4:
	case 5: return 1 + (uint32_t)rng_below(r, 4);
	case 6: return atomic_load(&other[rng_below(r, HPOOL)]);
	default: return atomic_load(&pool[rng_below(r, HPOOL)]);
	}
}

static uint32_t pick_handle(struct rng *r)
{
	return pick_from(r, F.hpool, F.mpool);
}

static uint32_t pick_mhandle(struct rng *r)
{
	return pick_from(r, F.mpool, F.hpool);
}

static uint32_t pick_bits(struct rng *r, uint32_t all)
{
	if (rng_pct(r, 6))
		return (uint32_t)rng_next(r);	/* unknown bits */
	return (uint32_t)rng_next(r) & all;
}

static uint32_t pick_small(struct rng *r, uint32_t count)
{
	if (rng_pct(r, 5))
		return rng_pct(r, 50) ? count : (uint32_t)rng_next(r);
	return (uint32_t)rng_below(r, count);
}

static uint32_t pick_reserved(struct rng *r)
{
	return rng_pct(r, 5) ? 1u << rng_below(r, 32) : 0;
}

/*
 * The VFS answers some commands itself before the driver sees them
 * (FIGETBSZ = _IO(0, 2), FIONBIO 'T', FIFREEZE 'X', FS_IOC_* 'f', FICLONE
 * 0x94, FS_IOC_GETFSUUID 0x15): move such types elsewhere.
 */
static unsigned long vfs_free(unsigned long c)
{
	switch (_IOC_TYPE(c)) {
	case 0x00: case 'T': case 'X': case 'f': case 0x94: case 0x15:
	case GUPDEMO_IOCTL_TYPE:
		return (c & ~((unsigned long)_IOC_TYPEMASK << _IOC_TYPESHIFT)) |
		       ((unsigned long)0x42 << _IOC_TYPESHIFT);
	}
	return c;
}

/* Commands that are not gupdemo's: other types, directions, numbers. */
static unsigned long pick_bad_cmd(struct rng *r)
{
	uint32_t nr = (uint32_t)rng_below(r, NR_REAL);

	switch (rng_below(r, 6)) {
	case 0: return _IOWR(GUPDEMO_IOCTL_TYPE, nr, struct gupdemo_pin);
	case 1: return _IOR(GUPDEMO_IOCTL_TYPE, nr, uint64_t);
	case 2: return _IOW(GUPDEMO_IOCTL_TYPE, nr, uint32_t);
	case 3: return _IO(GUPDEMO_IOCTL_TYPE, NR_REAL + rng_below(r, 256 - NR_REAL));
	case 4: return vfs_free(_IO(rng_below(r, 256), nr));
	default: {
		unsigned long c = vfs_free((unsigned long)(uint32_t)rng_next(r));

		/* Keep it invalid: never one of the real commands. */
		return c == _IO(GUPDEMO_IOCTL_TYPE, _IOC_NR(c)) &&
		       _IOC_NR(c) < NR_REAL ? c ^ 0x4000 : c;
	}
	}
}

/* ----------------------------------------------------------- the calls */

/* The struct as we mean it; copied into the argument window. */
union ioc_arg {
	struct gupdemo_info info;
	struct gupdemo_pin pin;
	struct gupdemo_unpin unpin;
	struct gupdemo_query query;
	struct gupdemo_dma dma;
	struct gupdemo_bench bench;
	struct gupdemo_mirror mirror;
	struct gupdemo_unmirror unmirror;
	struct gupdemo_mirror_query mquery;
	uint8_t raw[192];
};

enum argwhere { A_NORMAL, A_UNALIGNED, A_NULL, A_KERNEL, A_RO, A_NONE, A_EDGE };

/* A DMA call: the sides' flags, handles and addresses mostly consistent. */
static void build_dma(struct rng *r, struct gupdemo_dma *d)
{
	const uint32_t src_h = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_SRC_MIRROR;
	const uint32_t dst_h = GUPDEMO_DMA_DST_HANDLE | GUPDEMO_DMA_DST_MIRROR;

	d->flags = pick_bits(r, GUPDEMO_DMA_ALL);
	d->op = pick_small(r, GUPDEMO_DMA_OP_COUNT);
	/*
	 * Random flags rarely make a valid call on a mirror (one side
	 * only, the matching op): often build one.
	 */
	if (rng_pct(r, 30)) {
		bool to = rng_pct(r, 50);

		d->op = to ? GUPDEMO_DMA_TO_DEVICE : GUPDEMO_DMA_FROM_DEVICE;
		d->flags = to ? GUPDEMO_DMA_SRC_MIRROR : GUPDEMO_DMA_DST_MIRROR;
		if (rng_pct(r, 5))
			d->flags |= pick_bits(r, GUPDEMO_DMA_ALL);
	}
	/* Mostly the soft engine: edu is 100 ms a command. */
	d->engine = rng_pct(r, 5) ? pick_small(r, GUPDEMO_ENGINE_COUNT) :
		    rng_pct(r, 40) ? GUPDEMO_ENGINE_AUTO : GUPDEMO_ENGINE_SOFT;
	/* A *_MIRROR side names a mirror, a *_HANDLE side a pin. */
	d->src_handle = (d->flags & GUPDEMO_DMA_SRC_MIRROR) ? pick_mhandle(r) :
			((d->flags & GUPDEMO_DMA_SRC_HANDLE) ||
			 rng_pct(r, 5)) ? pick_handle(r) : 0;
	d->dst_handle = (d->flags & GUPDEMO_DMA_DST_MIRROR) ? pick_mhandle(r) :
			((d->flags & GUPDEMO_DMA_DST_HANDLE) ||
			 rng_pct(r, 5)) ? pick_handle(r) : 0;
	d->src_addr = !(d->flags & src_h) || rng_pct(r, 5) ? pick_addr(r) : 0;
	d->dst_addr = !(d->flags & dst_h) || rng_pct(r, 5) ? pick_addr(r) : 0;
	/* The unused side must be empty: mostly make it so. */
	if (d->op == GUPDEMO_DMA_TO_DEVICE && rng_pct(r, 90)) {
		d->dst_handle = 0;
		d->dst_addr = 0;
		d->flags &= ~dst_h;
	}
	if (d->op == GUPDEMO_DMA_FROM_DEVICE && rng_pct(r, 90)) {
		d->src_handle = 0;
		d->src_addr = 0;
		d->flags &= ~src_h;
	}
	if (d->op == GUPDEMO_DMA_MEMCPY && rng_pct(r, 90))
		d->engine = GUPDEMO_ENGINE_AUTO;
	d->len = rng_pct(r, 85) ? 1 + rng_below(r, 16 * F.psz) :
		 pick_len(r, d->src_addr);
}

static void build(struct rng *r, int c, union ioc_arg *a)
{
	memset(a, 0, sizeof(*a));
	/* Output fields start as junk: they must be overwritten or refused. */
	for (size_t i = 0; i < sizeof(*a); i++)
		a->raw[i] = (uint8_t)rng_next(r);

	switch (c) {
	case C_INFO:
		a->info.flags = rng_pct(r, 5) ? 1u << rng_below(r, 32) : 0;
		break;
	case C_PIN:
		a->pin.flags = pick_bits(r, GUPDEMO_PIN_ALL);
		a->pin.addr = pick_addr(r);
		a->pin.len = pick_len(r, a->pin.addr);
		a->pin.api = pick_small(r, GUPDEMO_API_COUNT);
		a->pin.batch = rng_pct(r, 70) ? 0 : rng_pct(r, 50) ?
			       1 + (uint32_t)rng_below(r, 600) : (uint32_t)rng_next(r);
		a->pin.__reserved = pick_reserved(r);
		break;
	case C_UNPIN:
		a->unpin.flags = pick_bits(r, GUPDEMO_UNPIN_ALL);
		a->unpin.handle = pick_handle(r);
		a->unpin.__reserved = pick_reserved(r);
		break;
	case C_QUERY:
		a->query.flags = rng_pct(r, 5) ? 1u << rng_below(r, 32) : 0;
		a->query.handle = pick_handle(r);
		a->query.__reserved = pick_reserved(r);
		break;
	case C_DMA:
		build_dma(r, &a->dma);
		break;
	case C_BENCH:
		a->bench.flags = rng_pct(r, 5) ? 1u << rng_below(r, 32) : 0;
		a->bench.addr = pick_addr(r);
		a->bench.len = pick_len(r, a->bench.addr);
		a->bench.api = pick_small(r, GUPDEMO_API_COUNT);
		a->bench.pin_flags = pick_bits(r, GUPDEMO_PIN_ALL);
		a->bench.batch = rng_pct(r, 70) ? 0 : 1 + (uint32_t)rng_below(r, 600);
		a->bench.__reserved = pick_reserved(r);
		break;
	case C_MIRROR:
		a->mirror.flags = pick_bits(r, GUPDEMO_MIRROR_ALL);
		a->mirror.addr = pick_addr(r);
		a->mirror.len = pick_len(r, a->mirror.addr);
		a->mirror.__reserved = pick_reserved(r);
		break;
	case C_UNMIRROR:
		a->unmirror.flags = rng_pct(r, 5) ? 1u << rng_below(r, 32) : 0;
		a->unmirror.handle = pick_mhandle(r);
		a->unmirror.__reserved = pick_reserved(r);
		break;
	case C_MQUERY:
		a->mquery.flags = rng_pct(r, 5) ? 1u << rng_below(r, 32) : 0;
		a->mquery.handle = pick_mhandle(r);
		break;
	}
}

/* Struct sizes: exact mostly, else every edge of the size rules. */
static uint32_t pick_size(struct rng *r, size_t ksize, size_t min_size,
			  bool *tail_nonzero)
{
	*tail_nonzero = false;
	if (rng_pct(r, 80))
		return (uint32_t)ksize;
	switch (rng_below(r, 9)) {
	case 0: return 0;
	case 1: return 4;
	case 2: return (uint32_t)ksize - 1;
	case 3: return rng_pct(r, 50) ? (uint32_t)ksize / 2 : (uint32_t)min_size - 1;
	case 4: return (uint32_t)ksize + 8;
	case 5: *tail_nonzero = true; return (uint32_t)ksize + 8;
	case 6: return (uint32_t)ksize + 1 + (uint32_t)rng_below(r, 2000);
	case 7: *tail_nonzero = true; return (uint32_t)ksize + 1 + (uint32_t)rng_below(r, 2000);
	default: return rng_pct(r, 50) ? UINT32_MAX : (uint32_t)rng_next(r);
	}
}

static bool ns_ok(uint64_t ns)
{
	return ns < NS_LIMIT;
}

static uint64_t span_of(uint64_t addr, uint64_t len)
{
	uint64_t psz = F.psz;

	return ((addr + len + psz - 1) / psz) - addr / psz;
}

static const char *check_info(const struct gupdemo_info *i)
{
	if (i->uapi_version != GUPDEMO_UAPI_VERSION)
		return "uapi_version";
	if (i->page_size != F.psz)
		return "page_size";
	if (i->features & ~G_FEAT_KNOWN)
		return "features";
	if (!(i->features & GUPDEMO_FEAT_MIRROR) != !F.mirror)
		return "features (FEAT_MIRROR changed)";
	if (i->max_pin_pages != F.max_pin_pages)
		return "max_pin_pages";
	if (i->pins_held > (1u << 24) || i->pages_held > (1ULL << 32) ||
	    i->pins_total > (1ULL << 40) || i->failures_total > (1ULL << 40))
		return "counters";
	return NULL;
}

static const char *check_pin(const struct gupdemo_pin *in,
			     const struct gupdemo_pin *out)
{
	if (!out->handle || out->handle > INT32_MAX)
		return "handle";
	if (!out->npages || out->npages > span_of(in->addr, in->len) ||
	    (!(in->flags & GUPDEMO_PIN_NO_RETRY) &&
	     out->npages != span_of(in->addr, in->len)))
		return "npages";
	if (!ns_ok(out->get_ns))
		return "get_ns";
	return NULL;
}

static const char *check_query(const struct gupdemo_query *q, uint32_t usize)
{
	if (q->api >= GUPDEMO_API_COUNT)
		return "api";
	if (q->pin_flags & ~GUPDEMO_PIN_ALL)
		return "pin_flags";
	if (!q->len || q->addr >= 0x0000800000000000ULL ||
	    span_of(q->addr, q->len) > F.max_pin_pages)
		return "addr/len";
	if (!q->npages || q->npages > span_of(q->addr, q->len))
		return "npages";
	if (q->npinned + q->nzero > q->npages || q->nfolios > q->npages)
		return "npinned/nzero/nfolios";
	/* ksize() of the pages array: up to twice what was asked. */
	if (usize < offsetofend(struct gupdemo_query, kmem_bytes))
		return NULL;	/* a first-version struct: not returned */
	if (!q->kmem_bytes ||
	    q->kmem_bytes > 16 * span_of(q->addr, q->len) + 3 * F.psz + 4096)
		return "kmem_bytes";
	return NULL;
}

static const char *check_dma(const struct gupdemo_dma *in,
			     const struct gupdemo_dma *out)
{
	if (out->bytes != in->len)
		return "bytes";
	if (in->op == GUPDEMO_DMA_MEMCPY ? out->engine != in->engine :
	    out->engine != GUPDEMO_ENGINE_EDU && out->engine != GUPDEMO_ENGINE_SOFT)
		return "engine";
	if (!ns_ok(out->pin_ns) || !ns_ok(out->map_ns) || !ns_ok(out->xfer_ns) ||
	    !ns_ok(out->unmap_ns) || !ns_ok(out->unpin_ns))
		return "timings";
	return NULL;
}

static const char *check_mquery(const struct gupdemo_mirror_query *q)
{
	uint64_t sum = 0;

	if (q->mirror_flags & ~GUPDEMO_MIRROR_ALL)
		return "mirror_flags";
	if (!q->len || q->addr >= 0x0000800000000000ULL ||
	    span_of(q->addr, q->len) > F.max_pin_pages)
		return "addr/len";
	if (q->npages != span_of(q->addr, q->len))
		return "npages";
	if (q->nvalid > q->npages)
		return "nvalid";
	/* MIRROR filled the table once before it returned the handle. */
	if (!q->faults || q->refaults > q->faults || q->faults >= COUNT_LIMIT)
		return "faults/refaults";
	if (q->retries >= COUNT_LIMIT || q->invalidations >= COUNT_LIMIT)
		return "retries/invalidations";
	for (int e = 0; e < GUPDEMO_MIRROR_EVENTS; e++)
		sum += q->events[e];
	if (sum != q->invalidations)
		return "events (their sum is not invalidations)";
	return NULL;
}

/* Output fields of a successful call: only plausible values. */
static const char *check_output(int c, const union ioc_arg *in,
				const union ioc_arg *out, uint32_t usize)
{
	switch (c) {
	case C_INFO:
		return check_info(&out->info);
	case C_PIN:
		return check_pin(&in->pin, &out->pin);
	case C_UNPIN:
		return ns_ok(out->unpin.put_ns) ? NULL : "put_ns";
	case C_QUERY:
		return check_query(&out->query, usize);
	case C_DMA:
		return check_dma(&in->dma, &out->dma);
	case C_BENCH:
		if (!out->bench.npages ||
		    out->bench.npages != span_of(in->bench.addr, in->bench.len))
			return "npages";
		if (!ns_ok(out->bench.get_ns) || !ns_ok(out->bench.put_ns))
			return "timings";
		return NULL;
	case C_MIRROR:
		if (!out->mirror.handle || out->mirror.handle > INT32_MAX)
			return "handle";
		if (out->mirror.npages != span_of(in->mirror.addr, in->mirror.len))
			return "npages";
		return NULL;
	case C_UNMIRROR:
		return out->unmirror.invalidations < COUNT_LIMIT ? NULL : "invalidations";
	case C_MQUERY:
		return check_mquery(&out->mquery);
	}
	return "unknown command";
}

/* Bytes of @c's struct that are outputs (may change on success). */
static bool is_output_byte(int c, size_t off)
{
#define IN(s, f) (off >= offsetof(struct s, f) && off < offsetofend(struct s, f))
	switch (c) {
	case C_INFO:
		return off >= offsetof(struct gupdemo_info, uapi_version);
	case C_PIN:
		return IN(gupdemo_pin, handle) || IN(gupdemo_pin, npages) ||
		       IN(gupdemo_pin, get_ns);
	case C_UNPIN:
		return IN(gupdemo_unpin, put_ns);
	case C_QUERY:
		return off >= offsetof(struct gupdemo_query, api) &&
		       !IN(gupdemo_query, __reserved);
	case C_DMA:
		return IN(gupdemo_dma, engine) || off >= offsetof(struct gupdemo_dma, bytes);
	case C_BENCH:
		return off >= offsetof(struct gupdemo_bench, npages);
	case C_MIRROR:
		return IN(gupdemo_mirror, handle) || IN(gupdemo_mirror, npages);
	case C_UNMIRROR:
		return IN(gupdemo_unmirror, invalidations);
	case C_MQUERY:
		return off >= offsetof(struct gupdemo_mirror_query, mirror_flags);
	}
	return false;
#undef IN
}

/* Where the argument goes, and how much of it we can check afterwards. */
static uint8_t *place_arg(struct rng *r, uint8_t *win, enum argwhere *w,
			  uint32_t usize)
{
	unsigned int pick = (unsigned int)rng_below(r, 100);

	if (pick < 86) {
		*w = A_NORMAL;
		return win;
	}
	if (pick < 91) {
		*w = A_UNALIGNED;
		return win + 1 + rng_below(r, 7);
	}
	if (pick < 93) {
		*w = A_NULL;
		return NULL;
	}
	if (pick < 95) {
		*w = A_KERNEL;
		return (uint8_t *)(uintptr_t)0xffff888000001000ULL;
	}
	if (pick < 97) {
		*w = A_RO;
		return F.args_ro;
	}
	if (pick < 98) {
		*w = A_NONE;
		return F.r[R_NONE].p;
	}
	/* The struct runs into the guard page after the argument pages. */
	*w = A_EDGE;
	return F.args_edge + F.psz - (usize > 8 ? usize / 2 : 4);
}

static void remember_handle(struct rng *r, _Atomic uint32_t *pool, uint32_t h)
{
	atomic_store(&pool[rng_below(r, HPOOL)], h);
}

/* The errnos @c may fail with, given what the call asked for. */
static const int *errs_of(int c, const union ioc_arg *a)
{
	if (c == C_MIRROR && !F.mirror)
		return errs_mirror_nofeat;
	if (c == C_DMA &&
	    (a->dma.flags & (GUPDEMO_DMA_SRC_MIRROR | GUPDEMO_DMA_DST_MIRROR)))
		return errs_dma_mirror;
	return cmds[c].errs;
}

/* One fuzzed call: what it sent, where, and what came back. */
struct fcall {
	int c;			/* C_*: the command */
	unsigned long cmd;
	union ioc_arg a;	/* the struct as built */
	uint32_t usize;		/* the size field sent */
	size_t ksize;		/* the struct as this header knows it */
	bool tail_nz;		/* bytes past ksize are not all zero */
	bool exact_einval;	/* usize below the first version's */
	enum argwhere where;
	uint8_t *arg;
	size_t checklen;	/* bytes of the window that can be checked after */
	uint8_t shadow[ARG_WINDOW];
	int err;
};

/* Weights: pins, mirrors and DMA dominate, like real use. */
static int pick_cmd(struct rng *r)
{
	int c = (int)rng_below(r, 100);

	return c < 4 ? C_INFO : c < 31 ? C_PIN : c < 42 ? C_UNPIN : c < 50 ? C_QUERY :
	       c < 70 ? C_DMA : c < 75 ? C_BENCH : c < 85 ? C_MIRROR :
	       c < 90 ? C_UNMIRROR : c < 94 ? C_MQUERY : C_BAD;
}

/* A readable window: a pattern everywhere, then the struct, then the tail. */
static void stage_window(struct rng *r, uint8_t *win, struct fcall *f)
{
	size_t room = ARG_WINDOW - (size_t)(f->arg - win);
	size_t n = f->ksize < sizeof(f->a) ? f->ksize : sizeof(f->a);

	for (size_t i = 0; i < ARG_WINDOW; i++)
		win[i] = (uint8_t)(0xa5 ^ i);
	if (f->c == C_BAD)
		n = sizeof(f->a);
	memcpy(f->arg, &f->a, n);
	if (f->usize > f->ksize && f->c != C_BAD) {
		size_t tail = f->usize - f->ksize < room - f->ksize ?
			      f->usize - f->ksize : room - f->ksize;

		memset(f->arg + f->ksize, 0, tail);
		if (f->tail_nz)
			f->arg[f->ksize + rng_below(r, tail)] =
				(uint8_t)(1 + rng_below(r, 255));
		else if (f->usize - f->ksize > room - f->ksize)
			f->tail_nz = true;	/* runs into the pattern: non-zero */
	}
	f->checklen = room;
	memcpy(f->shadow, f->arg, f->checklen);
	if (f->c != C_BAD && f->usize < cmds[f->c].min_size)
		f->exact_einval = true;
}

/* The errno: documented, and exact where the uapi says which. */
static void check_errno(const struct fcall *f)
{
	const char *name = cmds[f->c].name;
	const char *got = f->err ? strerrorname_np(f->err) : "success";

	if (f->err && !errset_has(errs_of(f->c, &f->a), f->err))
		record(FAIL_ERRNO, "%s (cmd %#lx, size %u, arg %d): undocumented errno %s",
		       name, f->cmd, f->usize, f->where, got);
	if (f->c == C_BAD && f->err != ENOTTY)
		record(FAIL_EXACT, "unknown cmd %#lx: got %s, not ENOTTY", f->cmd, got);
	if (f->c == C_MIRROR && !F.mirror && !f->err)
		record(FAIL_EXACT, "MIRROR succeeded on a kernel without "
		       "GUPDEMO_FEAT_MIRROR");
	if (!f->checklen)
		return;
	if (f->exact_einval && f->err != EINVAL)
		record(FAIL_EXACT, "%s with size %u < %zu: got %s, not EINVAL",
		       name, f->usize, cmds[f->c].min_size, got);
	if (f->c != C_BAD && f->usize > f->ksize && f->tail_nz && f->err != E2BIG)
		record(FAIL_EXACT, "%s with size %u and a non-zero tail: got %s, not E2BIG",
		       name, f->usize, got);
}

/* A failed call leaves its argument as it was. */
static void check_untouched(const struct fcall *f)
{
	size_t i = 0;

	if (!memcmp(f->shadow, f->arg, f->checklen))
		return;
	while (f->shadow[i] == f->arg[i])
		i++;
	record(FAIL_UNTOUCHED, "%s failed with %s but changed byte %zu of its "
	       "argument (%#x -> %#x)", cmds[f->c].name, strerrorname_np(f->err),
	       i, f->shadow[i], f->arg[i]);
}

/* Success: inputs and everything past what is copied back untouched. */
static void check_success(struct rng *r, const struct fcall *f)
{
	size_t copied = f->usize < f->ksize ? f->usize : f->ksize;
	union ioc_arg out;
	const char *bad;

	for (size_t i = 0; i < f->checklen; i++) {
		if (f->shadow[i] == f->arg[i] ||
		    (i < copied && is_output_byte(f->c, i)))
			continue;
		record(FAIL_UNTOUCHED, "%s (size %u) changed byte %zu, not an output "
		       "(%#x -> %#x)", cmds[f->c].name, f->usize, i, f->shadow[i],
		       f->arg[i]);
		break;
	}
	memcpy(&out, &f->a, sizeof(out));
	memcpy(&out, f->arg, copied);
	bad = check_output(f->c, &f->a, &out, f->usize);
	if (bad)
		record(FAIL_OUTPUT, "%s: implausible output field %s", cmds[f->c].name,
		       bad);
	if (f->c == C_PIN && !bad)
		remember_handle(r, F.hpool, out.pin.handle);
	if (f->c == C_MIRROR && !bad)
		remember_handle(r, F.mpool, out.mirror.handle);
}

static void fuzz_one(struct rng *r, uint8_t *win)
{
	struct fcall f = { .c = pick_cmd(r) };
	int fd = F.fds[rng_below(r, NFDS)];
	int idx;

	f.cmd = f.c == C_BAD ? pick_bad_cmd(r) : cmds[f.c].cmd;
	f.ksize = cmds[f.c].ksize;
	if (f.c != C_BAD) {
		build(r, f.c, &f.a);
		f.usize = pick_size(r, f.ksize, cmds[f.c].min_size, &f.tail_nz);
		f.a.info.size = f.usize;	/* size is the first field of every struct */
	} else {
		for (size_t i = 0; i < sizeof(f.a); i++)
			f.a.raw[i] = (uint8_t)rng_next(r);
	}
	f.arg = place_arg(r, win, &f.where, f.usize);
	if (f.where == A_NORMAL || f.where == A_UNALIGNED)
		stage_window(r, win, &f);

	f.err = ioctl(fd, f.cmd, f.arg) < 0 ? errno : 0;
	idx = f.err < NERRNO ? f.err : NERRNO - 1;
	atomic_fetch_add(&F.hist[f.c][idx], 1);
	if (f.c == C_DMA &&
	    (f.a.dma.flags & (GUPDEMO_DMA_SRC_MIRROR | GUPDEMO_DMA_DST_MIRROR)))
		atomic_fetch_add(&F.hist_dma_mirror[idx], 1);
	atomic_fetch_add(&F.done, 1);

	check_errno(&f);
	if (!f.checklen)
		return;
	if (f.err || f.c == C_BAD)
		check_untouched(&f);
	else
		check_success(r, &f);
}

struct worker {
	pthread_t tid;
	unsigned int idx;
	struct rng rng;
};

static void *worker_main(void *p)
{
	struct worker *w = p;
	uint8_t *win = F.r[R_ARGS].p + w->idx * ARG_WINDOW;

	while (!atomic_load(&F.stop)) {
		if (atomic_load(&F.done) >= F.iterations)
			break;
		fuzz_one(&w->rng, win);
	}
	return NULL;
}

/* ------------------------------------------------------------- chaos */

enum {
	X_REMAP, X_MPROTECT, X_FORK, X_REOPEN, X_UNPIN, X_DONTNEED, X_DMA,
	X_MIRROR, X_SECRET, X_PAGEOUT, X_FSYNC, X_FILEPIN, X_COUNT
};
_Static_assert(X_COUNT <= sizeof(F.chaos_ops) / sizeof(F.chaos_ops[0]),
	       "chaos_ops has a counter for every action");

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

/*
 * The remapped region becomes memfd_secret() memory (populated): pins,
 * mirrors and DMA on it must fail with EFAULT, also a mirror made before.
 * Where the kernel has no memfd_secret (ENOSYS: 6.1 without
 * secretmem.enable), nothing changes.
 */
static bool remap_secret(struct region *g)
{
	int fd = (int)syscall(SYS_memfd_secret, 0);
	bool good;

	if (fd < 0)
		return false;
	good = ftruncate(fd, (off_t)g->len) == 0 &&
	       mmap(g->p, g->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		    fd, 0) != MAP_FAILED;
	close(fd);
	if (good)
		populate(g->p, g->len / 2);
	return good;
}

/* Reclaim now: a random part of a region pins and mirrors use. */
static void pageout_some(struct rng *r)
{
	static const int regs[] = { R_ANON, R_VOL, R_MEMFD, R_THP, R_EXT4, R_EXT4W };
	const struct region *g = &F.r[regs[rng_below(r, 6)]];
	size_t first = rng_below(r, g->len / F.psz);

	madvise(g->p + first * F.psz, F.psz * (1 + rng_below(r, g->len / F.psz - first)),
		MADV_PAGEOUT);
}

static long chaos_ioctl(int fd, unsigned long cmd, void *arg)
{
	atomic_fetch_add(&F.chaos_ioctls, 1);
	return ioctl(fd, cmd, arg);
}

/*
 * A mirror of part of a region the chaos thread remaps, mprotects or zaps
 * (so it sees invalidations), on a random descriptor.  Return: its handle,
 * or 0.
 */
static uint32_t mirror_some(struct rng *r, int fd)
{
	static const int regs[] = { R_ANON, R_VOL, R_PROT, R_MEMFD, R_THP, R_EXT4W };
	const struct region *g = &F.r[regs[rng_below(r, 6)]];
	struct gupdemo_mirror m = {
		.size = sizeof(m),
		.flags = (uint32_t)rng_below(r, 2) * GUPDEMO_MIRROR_WRITE,
		.addr = (uint64_t)(uintptr_t)g->p + rng_below(r, g->len / 2),
		.len = 1 + rng_below(r, g->len / 2),
	};

	return chaos_ioctl(fd, GUPDEMO_IOC_MIRROR, &m) ? 0 : m.handle;
}

/* DMA on a mirror: TO_DEVICE from it, or FROM_DEVICE into it. */
static void mirror_dma(struct rng *r, int fd, uint32_t h)
{
	bool to = rng_pct(r, 50);
	struct gupdemo_dma d = {
		.size = sizeof(d),
		.flags = to ? GUPDEMO_DMA_SRC_MIRROR : GUPDEMO_DMA_DST_MIRROR,
		.op = to ? GUPDEMO_DMA_TO_DEVICE : GUPDEMO_DMA_FROM_DEVICE,
		.engine = GUPDEMO_ENGINE_SOFT,
		.src_handle = to ? h : 0,
		.dst_handle = to ? 0 : h,
		.len = 1 + rng_below(r, 8 * F.psz),
	};

	chaos_ioctl(fd, GUPDEMO_IOC_DMA, &d);
}

/* In a forked child of a threaded process: only ioctl, memory and _exit. */
static void child_pins(struct rng *r)
{
	const struct region *g = &F.r[R_ANON];

	/*
	 * Mirrors of the child's mm on the shared descriptors: they outlive
	 * it (held by the file), their mm torn down (a RELEASE event); DMA on
	 * them then finds no mm.
	 */
	for (int i = 0; i < 2; i++) {
		int fd = F.fds[rng_below(r, NFDS)];
		uint32_t h = mirror_some(r, fd);

		g->p[rng_below(r, g->len)]++;
		if (h)
			mirror_dma(r, fd, h);
	}

	for (int i = 0; i < 8; i++) {
		struct gupdemo_pin p = {
			.size = sizeof(p),
			.flags = (uint32_t)rng_next(r) & (GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM),
			.addr = (uint64_t)(uintptr_t)g->p + rng_below(r, g->len / 2),
			.len = 1 + rng_below(r, g->len / 2),
			.api = (uint32_t)rng_below(r, 4),
		};

		/* Writes into the child's copy: COW breaks while the parent pins. */
		g->p[rng_below(r, g->len)]++;
		ioctl(F.fds[rng_below(r, NFDS)], GUPDEMO_IOC_PIN, &p);
	}
	_exit(0);
}

static void chaos_remap(struct rng *r)
{
	struct region *g = &F.r[R_VOL];

	(void)r;
	munmap(g->p, g->len);
	sched_yield();	/* a window in which it is a hole */
	if (mmap(g->p, g->len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED)
		populate(g->p, g->len / 2);
}

static void chaos_mprotect(struct rng *r)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE };
	struct region *g = &F.r[R_PROT];

	mprotect(g->p + F.psz * rng_below(r, 16), F.psz * (1 + rng_below(r, 16)),
		 prots[rng_below(r, 3)]);
}

static void chaos_fork(struct rng *r)
{
	struct rng cr = { rng_next(r) };
	pid_t pid = fork();

	if (pid == 0)
		child_pins(&cr);
	if (pid > 0) {
		atomic_fetch_add(&F.forks, 1);
		waitpid(pid, NULL, 0);
	}
}

/* dup2() closes the old file while workers may be in an ioctl on it. */
static void chaos_reopen(struct rng *r)
{
	int slot = (int)rng_below(r, NFDS), nfd;

	if (gupdemo_open(NULL, &nfd) == 0) {
		dup2(nfd, F.fds[slot]);
		close(nfd);
	}
}

static void chaos_unpin(struct rng *r)
{
	for (int i = 0; i < 4; i++) {
		struct gupdemo_unpin u = {
			.size = sizeof(u),
			.flags = (uint32_t)rng_below(r, 2),
			.handle = pick_handle(r),
		};

		chaos_ioctl(F.fds[rng_below(r, NFDS)], GUPDEMO_IOC_UNPIN, &u);
	}
}

static void chaos_dontneed(struct rng *r)
{
	struct region *g = &F.r[R_ANON];

	madvise(g->p + F.psz * rng_below(r, 128), F.psz * (1 + rng_below(r, 64)),
		MADV_DONTNEED);
}

static void chaos_dma(struct rng *r)
{
	struct region *g = &F.r[R_ANON];
	struct gupdemo_dma d = {
		.size = sizeof(d),
		.op = GUPDEMO_DMA_LOOPBACK,
		.engine = GUPDEMO_ENGINE_SOFT,
		.src_addr = (uint64_t)(uintptr_t)g->p + rng_below(r, g->len / 2),
		.dst_addr = (uint64_t)(uintptr_t)F.r[R_VOL].p + rng_below(r, F.r[R_VOL].len / 2),
		.len = 1 + rng_below(r, 8 * F.psz),
	};

	chaos_ioctl(F.fds[rng_below(r, NFDS)], GUPDEMO_IOC_DMA, &d);
}

static void chaos_mirror(struct rng *r)
{
	int fd = F.fds[rng_below(r, NFDS)];
	uint32_t h = mirror_some(r, fd);
	struct gupdemo_unmirror u = { .size = sizeof(u) };

	if (h) {
		atomic_store(&F.mpool[rng_below(r, HPOOL)], h);
		mirror_dma(r, fd, h);
	}
	/* Keep the number held bounded: drop one of the pool's. */
	u.handle = atomic_load(&F.mpool[rng_below(r, HPOOL)]);
	chaos_ioctl(F.fds[rng_below(r, NFDS)], GUPDEMO_IOC_UNMIRROR, &u);
}

static void chaos_secret(struct rng *r)
{
	(void)r;
	remap_secret(&F.r[R_VOL]);
}

/*
 * A writable pin (often FOLL_GET) of the file the chaos thread writes back
 * and reclaims, into the handle pool: UNPIN DIRTY and DMA from the workers
 * and the chaos thread meet it.
 */
static void chaos_filepin(struct rng *r)
{
	struct region *g = &F.r[R_EXT4W];
	struct gupdemo_pin p = {
		.size = sizeof(p), .flags = GUPDEMO_PIN_WRITE,
		.api = rng_pct(r, 75) ? GUPDEMO_API_GET_FAST :
					GUPDEMO_API_PIN_FAST,
	};

	p.addr = (uint64_t)(uintptr_t)g->p + F.psz * rng_below(r, g->len / F.psz);
	p.len = 1 + rng_below(r, 2 * F.psz);
	if (chaos_ioctl(F.fds[rng_below(r, NFDS)], GUPDEMO_IOC_PIN, &p) == 0)
		atomic_store(&F.hpool[rng_below(r, HPOOL)], p.handle);
}

/*
 * Dirty a page through the mapping, write the file back, and mostly reclaim
 * it all at once: the sequence after which a page only a FOLL_GET handle
 * holds has lost its buffers.
 */
static void chaos_fsync(struct rng *r)
{
	struct region *g = &F.r[R_EXT4W];

	if (g->present)
		g->p[F.psz * rng_below(r, g->len / F.psz)]++;
	if (F.ext4w_fd >= 0)
		fsync(F.ext4w_fd);
	if (g->present && rng_pct(r, 75))
		madvise(g->p, g->len, MADV_PAGEOUT);
}

/* The chaos thread's actions: one picked at random per step. */
static const struct {
	const char *name;
	void (*run)(struct rng *r);
} chaos_actions[X_COUNT] = {
	[X_REMAP] = { "munmap+mmap", chaos_remap },
	[X_MPROTECT] = { "mprotect", chaos_mprotect },
	[X_FORK] = { "fork", chaos_fork },
	[X_REOPEN] = { "close/reopen", chaos_reopen },
	[X_UNPIN] = { "unpin", chaos_unpin },
	[X_DONTNEED] = { "MADV_DONTNEED", chaos_dontneed },
	[X_DMA] = { "dma", chaos_dma },
	[X_MIRROR] = { "mirror+dma+unmirror", chaos_mirror },
	[X_SECRET] = { "memfd_secret", chaos_secret },
	[X_PAGEOUT] = { "MADV_PAGEOUT", pageout_some },
	[X_FSYNC] = { "fsync", chaos_fsync },
	[X_FILEPIN] = { "pin ext4-rw", chaos_filepin },
};

static void chaos_step(struct rng *r)
{
	int x = (int)rng_below(r, X_COUNT);

	atomic_fetch_add(&F.chaos_ops[x], 1);
	chaos_actions[x].run(r);
}

static void *chaos_main(void *p)
{
	struct rng *r = p;

	while (!atomic_load(&F.stop))
		chaos_step(r);
	return NULL;
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr, "usage: t_fuzz [--seed N] [--iterations N] [--threads N]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_seed = false;
	int o;

	while ((o = getopt_long(argc, argv, "s:i:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': F.seed = stress_parse_u64("--seed", optarg); have_seed = true; break;
		case 'i': F.iterations = stress_parse_u64("--iterations", optarg); break;
		case 't': F.threads = (unsigned int)stress_parse_u64("--threads", optarg); break;
		default: usage();
		}
	}
	if (optind != argc || !F.threads || F.threads > MAX_THREADS)
		usage();
	if (!have_seed)
		F.seed = stress_seed_from_clock();
}

/* The workers until they made their ioctls, the chaos thread meanwhile. */
static void run_threads(void)
{
	struct worker w[MAX_THREADS];
	struct rng chaos_rng;
	pthread_t chaos;

	for (unsigned int i = 0; i < F.threads; i++) {
		w[i].idx = i;
		w[i].rng.s = F.seed ^ (0x1000193ULL * (i + 1));
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]))
			bail_out("pthread_create failed");
	}
	chaos_rng.s = F.seed ^ 0xc4a05ULL;
	if (pthread_create(&chaos, NULL, chaos_main, &chaos_rng))
		bail_out("pthread_create failed");
	for (unsigned int i = 0; i < F.threads; i++)
		pthread_join(w[i].tid, NULL);
	atomic_store(&F.stop, true);
	pthread_join(chaos, NULL);
}

/* " ENAME count" for each errno of @hist seen, after @line[0..n). */
static int errno_spread(char *line, size_t size, int n,
			const _Atomic uint64_t *hist, uint64_t *sum)
{
	for (int e = 0; e < NERRNO && n < (int)size; e++) {
		uint64_t v = atomic_load(&hist[e]);

		if (!v)
			continue;
		*sum += v;
		n += snprintf(line + n, size - (size_t)n, " %s %llu",
			      e ? strerrorname_np(e) : "ok", (unsigned long long)v);
	}
	return n;
}

/* "#" lines: the errnos of every command, the chaos actions; the ioctl count. */
static uint64_t report_spread(void)
{
	uint64_t total = 0, dma_mirror = 0;
	char line[512];
	int n;

	for (int c = 0; c < C_COUNT; c++) {
		n = snprintf(line, sizeof(line), "%-8s", cmds[c].name);
		errno_spread(line, sizeof(line), n, F.hist[c], &total);
		diag("%s", line);
	}
	n = snprintf(line, sizeof(line), "(of DMA, with a *_MIRROR flag:");
	errno_spread(line, sizeof(line), n, F.hist_dma_mirror, &dma_mirror);
	diag("%s)", line);
	n = 0;
	for (int x = 0; x < X_COUNT; x++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %llu",
			      x ? ", " : "", chaos_actions[x].name,
			      (unsigned long long)atomic_load(&F.chaos_ops[x]));
	diag("chaos: %s; %llu ioctls", line,
	     (unsigned long long)atomic_load(&F.chaos_ioctls));
	return total;
}

static void report_mirrors(void)
{
	int64_t v[4] = { -1, -1, -1, -1 };

	g_stat_get("mirrors_held", &v[0]);
	g_stat_get("mirrors_total", &v[1]);
	g_stat_get("mirror_invalidations", &v[2]);
	g_stat_get("mirror_refaults", &v[3]);
	diag("mirrors: %lld held before the descriptors close, %lld made since load, %lld "
	     "invalidations, %lld re-faults", (long long)v[0],
	     (long long)v[1], (long long)v[2], (long long)v[3]);
}

int main(int argc, char **argv)
{
	struct gupdemo_vmstat before;
	struct gupdemo_info info;
	uint64_t total;
	double t0, el;

	parse_args(argc, argv);
	/* Children must not flush our stdio buffers twice. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	diag("t_fuzz: seed %llu (rerun: t_fuzz --seed %llu --iterations %llu --threads %u)",
	     (unsigned long long)F.seed, (unsigned long long)F.seed,
	     (unsigned long long)F.iterations, F.threads);
	F.psz = (size_t)sysconf(_SC_PAGESIZE);
	for (int i = 0; i < NFDS; i++)
		F.fds[i] = g_open();
	if (gupdemo_get_info(F.fds[0], &info))
		bail_out("GET_INFO failed");
	F.max_pin_pages = info.max_pin_pages;
	F.mirror = info.features & GUPDEMO_FEAT_MIRROR;
	if (!F.mirror)
		diag("no GUPDEMO_FEAT_MIRROR: MIRROR must fail with EOPNOTSUPP");
	arena_setup();
	for (int i = 0; i < HPOOL; i++) {
		atomic_store(&F.hpool[i], (uint32_t)i + 1);
		atomic_store(&F.mpool[i], (uint32_t)i + 1);
	}

	before = g_vmstat();
	t0 = stress_now();
	run_threads();
	el = stress_now() - t0;

	total = report_spread();
	diag("%llu fuzzed ioctls in %.1f s (%.0f/s), %u threads, seed %llu",
	     (unsigned long long)total, el, total / (el > 0 ? el : 1), F.threads,
	     (unsigned long long)F.seed);
	diag("gupdemo-fuzz: ioctls %llu chaos_ioctls %llu forks %llu seed %llu",
	       (unsigned long long)total,
	       (unsigned long long)atomic_load(&F.chaos_ioctls),
	     (unsigned long long)atomic_load(&F.forks), (unsigned long long)F.seed);
	report_mirrors();
	for (unsigned int i = 0; i < F.nmsgs; i++)
		diag("finding: %s", F.msgs[i]);
	ok(total >= F.iterations, "%llu ioctls made (asked for %llu)",
	   (unsigned long long)total, (unsigned long long)F.iterations);
	is_u64(F.nfail[FAIL_ERRNO], 0, "every errno is one the README documents for the ioctl");
	is_u64(F.nfail[FAIL_EXACT], 0, "exact errnos: unknown command ENOTTY, short "
	       "struct EINVAL, non-zero tail E2BIG");
	is_u64(F.nfail[FAIL_UNTOUCHED], 0, "failed calls leave the argument untouched; "
	       "successful ones change only output fields, nothing past the struct");
	is_u64(F.nfail[FAIL_OUTPUT], 0, "every output field is plausible (no stray "
	       "bytes, no kernel addresses)");
	ok(atomic_load(&F.chaos_ops[X_FORK]) > 0 || el < 1,
	   "the chaos thread raced the workers (%llu forks)",
	   (unsigned long long)atomic_load(&F.forks));

	for (int i = 0; i < NFDS; i++)
		close(F.fds[i]);
	arena_teardown();	/* drops the PFNMAP mapping's file reference */
	stress_final_checks(&before, "after the fuzz");
	return done_testing();
}
