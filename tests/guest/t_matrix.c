// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: every reference kind x memory kind x operation.
 *
 * A check written for one kind of reference or memory must hold for the
 * others.  This walks the product:
 *
 *   reference  pin-r, pin-rlt, pin-w, pin-wlt   FOLL_PIN (PIN_FAST; R/W,
 *                                               short- or long-term)
 *              get-r, get-w                     FOLL_GET (GET_FAST)
 *              mir-r, mir-w                     mirror (MIRROR[_WRITE])
 *   memory     anon, thp, hugetlb, memfd, ext4-shared, ext4-private,
 *              zero (read-faulted anon), pfnmap (mmap of /dev/gupdemo),
 *              secret (memfd_secret), untouched (never-faulted anon)
 *   operation  acquire (PIN / MIRROR); to-device and from-device on every
 *              engine (soft; edu when bound); loopback-in (soft); unpin,
 *              unpin DIRTY; close() with the reference still held
 *
 * Each combination runs three sequences on fresh memory:
 *   xfer   acquire, to-device per engine (read back through the device),
 *          [ext4: fsync + MADV_PAGEOUT], from-device per engine, loopback,
 *          release (UNPIN 0 / UNMIRROR)
 *   dirty  acquire, [ext4: fsync + MADV_PAGEOUT], UNPIN DIRTY (not mirrors)
 *   close  acquire on a second descriptor, a device write where allowed,
 *          close()
 * and every cell asserts the documented errno or a byte-exact result (the
 * device's bytes in the mapping; for ext4 MAP_SHARED also in the file, by
 * pread; for MAP_PRIVATE the file unchanged), exact nr_foll_pin_acquired /
 * released deltas, and nothing left held by the module.  Expectations that
 * differ between kernels are chosen per kernel (resolve()), not loosened.
 *
 * Specials: a mirror whose range became secretmem, a mirror used from a
 * forked child, the mirror budget.
 *
 * Usage: t_matrix [--only SUBSTR]... [--skip SUBSTR]... [--list]
 * SUBSTR matches "ref/mem/seq" (e.g. "get-w/ext4-shared/dirty") or
 * "special/<name>"; --list prints what would run.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "guest.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

#define OFF		2048	/* the range starts mid-page ... */
#define RLEN		4096	/* ... and spans two pages */
#define NP		2	/* pages of the range */
#define XFER		3000	/* bytes a DMA moves: edu-safe, crosses a page */
#define FS_IMG		"/tmp/t_matrix.img"
#define FS_MNT		"/tmp/t_matrix.mnt"

#define W		GUPDEMO_PIN_WRITE
#define LT		GUPDEMO_PIN_LONGTERM

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

enum ref { PIN_R, PIN_RLT, PIN_W, PIN_WLT, GET_R, GET_W, MIR_R, MIR_W, NREF };
enum mem { ANON, THP, HUGETLB, MEMFD, EXT4_SH, EXT4_PRIV, ZERO, PFNMAP, SECRET,
	   UNTOUCHED, NMEM };

static const struct refkind {
	const char *name;
	bool mirror;
	uint32_t api;		/* pins: GUPDEMO_API_* */
	uint32_t flags;		/* GUPDEMO_PIN_* or GUPDEMO_MIRROR_* */
} refs[NREF] = {
	[PIN_R]   = { "pin-r",   false, GUPDEMO_API_PIN_FAST, 0 },
	[PIN_RLT] = { "pin-rlt", false, GUPDEMO_API_PIN_FAST, LT },
	[PIN_W]   = { "pin-w",   false, GUPDEMO_API_PIN_FAST, W },
	[PIN_WLT] = { "pin-wlt", false, GUPDEMO_API_PIN_FAST, W | LT },
	[GET_R]   = { "get-r",   false, GUPDEMO_API_GET_FAST, 0 },
	[GET_W]   = { "get-w",   false, GUPDEMO_API_GET_FAST, W },
	[MIR_R]   = { "mir-r",   true,  0, 0 },
	[MIR_W]   = { "mir-w",   true,  0, GUPDEMO_MIRROR_WRITE },
};

struct region;
static const struct memkind {
	const char *name;
	const char *(*setup)(struct region *r);	/* NULL, or why it cannot run */
	bool zeros;	/* the range reads as zeros (else the pattern) */
	bool file;	/* ext4: fsync + MADV_PAGEOUT before writes and DIRTY */
} *mems;

/*
 * Symbolic values resolved per kernel by resolve().  Errnos are positive;
 * K_* stand for values that depend on the running kernel.
 */
enum {
	K_NP = 1000,	/* pins: NP pages counted */
	K_ZP,		/* pins: zero pages: 0 (NP where the kernel counted them) */
	K_ZP_RLT,	/* pins: R/O long-term of zero pages: unshared on 6.2+ */
	K_UNSHARE,	/* transient: a R/O long-term PIN_FAST of a page-cache
			 * page mapped read-only: GUP-fast has no VMA to tell
			 * whether it must unshare, pins the first page, drops
			 * it and falls back (6.2+): 1 extra pin and release */
	K_EFAULT_65,	/* acquire: EFAULT from 6.5 on (writable long-term pin
			 * of ext4 MAP_SHARED), 0 before */
};

/*
 * One combination.  @acquire: errno of PIN/MIRROR.  @pins: Δacquired the
 * reference counts while held (released at release).  @transient: pins
 * GUP took and dropped inside the acquire call (in both deltas).  @write:
 * errno of a device write through the reference (FROM_DEVICE, LOOPBACK)
 * and of UNPIN DIRTY.
 */
struct exp {
	enum ref ref;
	enum mem mem;
	int acquire, pins, transient, write;
};

#define ROW(r, m, a, p, t, w)	{ r, m, a, p, t, w }
/* GUP and hmm refuse VM_PFNMAP; GUP refuses secretmem, and so must MIRROR. */
#define REFUSED(r, t)							\
	ROW(r, PFNMAP, EFAULT, 0, 0, 0), ROW(r, SECRET, EFAULT, 0, t, 0)

static const struct exp table[] = {
	/* FOLL_PIN, read-only: DIRTY and device writes are EPERM. */
	ROW(PIN_R, ANON,      0, K_NP, 0, EPERM),
	ROW(PIN_R, THP,       0, K_NP, 0, EPERM),
	ROW(PIN_R, HUGETLB,   0, K_NP, 0, EPERM),
	ROW(PIN_R, MEMFD,     0, K_NP, 0, EPERM),
	ROW(PIN_R, EXT4_SH,   0, K_NP, 0, EPERM),
	ROW(PIN_R, EXT4_PRIV, 0, K_NP, 0, EPERM),
	ROW(PIN_R, ZERO,      0, K_ZP, 0, EPERM),
	ROW(PIN_R, UNTOUCHED, 0, K_ZP, 0, EPERM),
	REFUSED(PIN_R, 1),
	ROW(PIN_RLT, ANON,      0, K_NP, 0, EPERM),
	ROW(PIN_RLT, THP,       0, K_NP, 0, EPERM),
	ROW(PIN_RLT, HUGETLB,   0, K_NP, 0, EPERM),
	ROW(PIN_RLT, MEMFD,     0, K_NP, 0, EPERM),
	ROW(PIN_RLT, EXT4_SH,   0, K_NP, K_UNSHARE, EPERM),
	ROW(PIN_RLT, EXT4_PRIV, 0, K_NP, K_UNSHARE, EPERM),
	ROW(PIN_RLT, ZERO,      0, K_ZP_RLT, 0, EPERM),
	ROW(PIN_RLT, UNTOUCHED, 0, K_ZP_RLT, 0, EPERM),
	REFUSED(PIN_RLT, 1),
	/* FOLL_PIN, writable: a write fault gives real pages everywhere. */
	ROW(PIN_W, ANON,      0, K_NP, 0, 0),
	ROW(PIN_W, THP,       0, K_NP, 0, 0),
	ROW(PIN_W, HUGETLB,   0, K_NP, 0, 0),
	ROW(PIN_W, MEMFD,     0, K_NP, 0, 0),
	ROW(PIN_W, EXT4_SH,   0, K_NP, 0, 0),
	ROW(PIN_W, EXT4_PRIV, 0, K_NP, 0, 0),
	ROW(PIN_W, ZERO,      0, K_NP, 0, 0),
	ROW(PIN_W, UNTOUCHED, 0, K_NP, 0, 0),
	REFUSED(PIN_W, 1),
	ROW(PIN_WLT, ANON,      0, K_NP, 0, 0),
	ROW(PIN_WLT, THP,       0, K_NP, 0, 0),
	ROW(PIN_WLT, HUGETLB,   0, K_NP, 0, 0),
	ROW(PIN_WLT, MEMFD,     0, K_NP, 0, 0),
	/* Read-faulted: GUP-fast sees a read-only PTE, pins nothing. */
	ROW(PIN_WLT, EXT4_SH,   K_EFAULT_65, K_NP, 0, 0),
	ROW(PIN_WLT, EXT4_PRIV, 0, K_NP, 0, 0),
	ROW(PIN_WLT, ZERO,      0, K_NP, 0, 0),
	ROW(PIN_WLT, UNTOUCHED, 0, K_NP, 0, 0),
	REFUSED(PIN_WLT, 1),
	/* FOLL_GET counts no pin; without WRITE nothing may write. */
	ROW(GET_R, ANON,      0, 0, 0, EPERM),
	ROW(GET_R, THP,       0, 0, 0, EPERM),
	ROW(GET_R, HUGETLB,   0, 0, 0, EPERM),
	ROW(GET_R, MEMFD,     0, 0, 0, EPERM),
	ROW(GET_R, EXT4_SH,   0, 0, 0, EPERM),
	ROW(GET_R, EXT4_PRIV, 0, 0, 0, EPERM),
	ROW(GET_R, ZERO,      0, 0, 0, EPERM),
	ROW(GET_R, UNTOUCHED, 0, 0, 0, EPERM),
	REFUSED(GET_R, 0),
	/*
	 * FOLL_GET + WRITE: the module never dirties a page-cache page of a
	 * real filesystem through a FOLL_GET reference (reclaim may have
	 * stripped its buffers: it is not dma-pinned).  ext4 MAP_PRIVATE
	 * with WRITE was COW-broken into anon pages: allowed.
	 */
	ROW(GET_W, ANON,      0, 0, 0, 0),
	ROW(GET_W, THP,       0, 0, 0, 0),
	ROW(GET_W, HUGETLB,   0, 0, 0, 0),
	ROW(GET_W, MEMFD,     0, 0, 0, 0),
	ROW(GET_W, EXT4_SH,   0, 0, 0, EPERM),
	ROW(GET_W, EXT4_PRIV, 0, 0, 0, 0),
	ROW(GET_W, ZERO,      0, 0, 0, 0),
	ROW(GET_W, UNTOUCHED, 0, 0, 0, 0),
	REFUSED(GET_W, 0),
	/* Mirrors pin nothing; a read-only mirror is never written. */
	ROW(MIR_R, ANON,      0, 0, 0, EPERM),
	ROW(MIR_R, THP,       0, 0, 0, EPERM),
	ROW(MIR_R, HUGETLB,   0, 0, 0, EPERM),
	ROW(MIR_R, MEMFD,     0, 0, 0, EPERM),
	ROW(MIR_R, EXT4_SH,   0, 0, 0, EPERM),
	ROW(MIR_R, EXT4_PRIV, 0, 0, 0, EPERM),
	ROW(MIR_R, ZERO,      0, 0, 0, EPERM),
	ROW(MIR_R, UNTOUCHED, 0, 0, 0, EPERM),
	REFUSED(MIR_R, 0),
	ROW(MIR_W, ANON,      0, 0, 0, 0),
	ROW(MIR_W, THP,       0, 0, 0, 0),
	ROW(MIR_W, HUGETLB,   0, 0, 0, 0),
	ROW(MIR_W, MEMFD,     0, 0, 0, 0),
	ROW(MIR_W, EXT4_SH,   0, 0, 0, 0),
	ROW(MIR_W, EXT4_PRIV, 0, 0, 0, 0),
	ROW(MIR_W, ZERO,      0, 0, 0, 0),
	ROW(MIR_W, UNTOUCHED, 0, 0, 0, 0),
	REFUSED(MIR_W, 0),
};

#define NROWS	(sizeof(table) / sizeof(table[0]))

/* ------------------------------------------------------------------ */
/* State, filters                                                      */
/* ------------------------------------------------------------------ */

static struct {
	int fd;
	size_t psz;
	uint32_t kver;
	uint32_t engines[2];
	int nengines;
	bool ext4;		/* FS_MNT is mounted */
	const char *ext4_why;	/* why not */
	char *scratch;		/* one populated anon page: the address side */
	unsigned int scratch_pins;	/* address-side pins since the mark */
	unsigned int cells, skipped;
} T;

/* ------------------------------------------------------------------ */
/* Per-kernel expectations                                             */
/* ------------------------------------------------------------------ */

/* "mm: don't pin ZERO_PAGE" is 6.5, backported to 6.1.130. */
static bool zero_page_counted(void)
{
	return T.kver < KV(6, 1, 130) ||
	       (T.kver >= KV(6, 2, 0) && T.kver < KV(6, 5, 0));
}

static int resolve(int v)
{
	switch (v) {
	case K_NP:
		return NP;
	case K_ZP:
		return zero_page_counted() ? NP : 0;
	case K_ZP_RLT:		/* reliable R/O long-term pins unshare (6.2) */
		return T.kver >= KV(6, 2, 0) ? NP : resolve(K_ZP);
	case K_UNSHARE:
		return T.kver >= KV(6, 2, 0) ? 1 : 0;
	case K_EFAULT_65:
		return T.kver >= KV(6, 5, 0) ? EFAULT : 0;
	default:
		return v;
	}
}

/* ------------------------------------------------------------------ */
/* Memory kinds                                                        */
/* ------------------------------------------------------------------ */

struct region {
	char *map;		/* the whole mapping */
	size_t maplen;
	char *p;		/* the range: p .. p + RLEN, p = map + OFF */
	int fd;			/* the file behind it, or -1 */
	char path[64];		/* ext4 file, "" otherwise */
	struct gupdemo_buf buf;	/* THP / hugetlb */
};

static uint8_t pat(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 31 + seed * 101 + 7);
}

static void pat_fill(void *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)p)[i] = pat(i, seed);
}

static bool pat_is(const void *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)p)[i] != pat(i, seed))
			return false;
	return true;
}

static bool all_zero(const void *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)p)[i])
			return false;
	return true;
}

#define SEED_A	1	/* what the memory holds before the cell */

static void region_fill(struct region *r)
{
	r->p = r->map + OFF;
	pat_fill(r->map, 2 * T.psz, SEED_A);
}

static const char *setup_anon(struct region *r)
{
	r->maplen = 2 * T.psz;
	r->map = g_map_anon(2, true);
	region_fill(r);
	return NULL;
}

static const char *setup_huge(struct region *r, enum gupdemo_mem kind)
{
	int ret = gupdemo_buf_alloc(&r->buf, kind, GUPDEMO_HUGE_SIZE,
				    GUPDEMO_BUF_TOUCH);

	if (ret == -EOPNOTSUPP)
		return "the kernel has no transparent huge pages (MADV_HUGEPAGE: EINVAL)";
	if (ret == -ENOMEM && kind == GUPDEMO_MEM_HUGETLB)
		return "no hugetlb page reserved (vm.nr_hugepages)";
	if (ret)
		bail_out("huge buffer: %s", strerror(-ret));
	r->map = r->buf.p;
	r->maplen = 0;		/* freed through buf */
	region_fill(r);
	return NULL;
}

static const char *setup_thp(struct region *r)
{
	const char *why = g_thp_off_reason();

	return why ? why : setup_huge(r, GUPDEMO_MEM_THP);
}

static const char *setup_hugetlb(struct region *r)
{
	return setup_huge(r, GUPDEMO_MEM_HUGETLB);
}

/* Maps @fd (2 pages) and fills or reads the range. */
static const char *map_fd(struct region *r, int flags, bool fill)
{
	r->maplen = 2 * T.psz;
	r->map = mmap(NULL, r->maplen, PROT_READ | PROT_WRITE, flags, r->fd, 0);
	if (r->map == MAP_FAILED)
		bail_out("mmap of a file: %s", strerror(errno));
	if (fill) {
		region_fill(r);
		return NULL;
	}
	r->p = r->map + OFF;
	for (size_t i = 0; i < 2; i++)
		(void)*(volatile char *)(r->map + i * T.psz);
	return NULL;
}

static const char *setup_memfd(struct region *r)
{
	r->fd = memfd_create("t_matrix", MFD_CLOEXEC);
	if (r->fd < 0 || ftruncate(r->fd, (off_t)(2 * T.psz)))
		bail_out("memfd: %s", strerror(errno));
	return map_fd(r, MAP_SHARED, true);
}

static const char *setup_ext4(struct region *r, int flags)
{
	static unsigned int n;
	char *b;

	if (!T.ext4)
		return T.ext4_why;
	b = malloc(2 * T.psz);
	snprintf(r->path, sizeof(r->path), FS_MNT "/f%u", n++);
	r->fd = open(r->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pat_fill(b, 2 * T.psz, SEED_A);
	if (r->fd < 0 || pwrite(r->fd, b, 2 * T.psz, 0) != (ssize_t)(2 * T.psz) ||
	    fsync(r->fd))
		bail_out("ext4 file %s: %s", r->path, strerror(errno));
	free(b);
	return map_fd(r, flags, false);
}

static const char *setup_ext4_shared(struct region *r)
{
	return setup_ext4(r, MAP_SHARED);
}

static const char *setup_ext4_private(struct region *r)
{
	return setup_ext4(r, MAP_PRIVATE);
}

static const char *setup_zero(struct region *r)
{
	r->maplen = 2 * T.psz;
	r->map = g_map_anon(2, false);
	r->p = r->map + OFF;
	for (size_t i = 0; i < 2; i++)	/* read faults: the zero page */
		(void)*(volatile char *)(r->map + i * T.psz);
	return NULL;
}

static const char *setup_untouched(struct region *r)
{
	r->maplen = 2 * T.psz;
	r->map = g_map_anon(2, false);
	r->p = r->map + OFF;
	return NULL;
}

/* The one-page VM_PFNMAP mapping of /dev/gupdemo, twice side by side. */
static const char *setup_pfnmap(struct region *r)
{
	r->maplen = 2 * T.psz;
	r->map = mmap(NULL, r->maplen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	for (size_t i = 0; i < 2; i++)
		if (mmap(r->map + i * T.psz, T.psz, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, T.fd, 0) == MAP_FAILED)
			return "mmap of /dev/gupdemo failed (no FEAT_MMAP_PFNMAP?)";
	r->p = r->map + OFF;
	return NULL;
}

/* memfd_secret() memory, or NULL and errno (ENOSYS: not enabled). */
static char *map_secret(char *at, int *fdp)
{
	int f = (int)syscall(SYS_memfd_secret, 0);
	char *p;

	if (f < 0)
		return NULL;
	if (ftruncate(f, (off_t)(2 * T.psz)))
		bail_out("memfd_secret ftruncate: %s", strerror(errno));
	p = mmap(at, 2 * T.psz, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (at ? MAP_FIXED : 0), f, 0);
	if (p == MAP_FAILED)
		bail_out("mmap of memfd_secret: %s", strerror(errno));
	*fdp = f;
	return p;
}

static const char *setup_secret(struct region *r)
{
	r->map = map_secret(NULL, &r->fd);
	if (!r->map)
		return errno == ENOSYS ?
		       "memfd_secret: ENOSYS (not enabled on this kernel)" :
		       "memfd_secret failed";
	r->maplen = 2 * T.psz;
	region_fill(r);
	return NULL;
}

static const struct memkind memtab[NMEM] = {
	[ANON]      = { "anon",         setup_anon,         false, false },
	[THP]       = { "thp",          setup_thp,          false, false },
	[HUGETLB]   = { "hugetlb",      setup_hugetlb,      false, false },
	[MEMFD]     = { "memfd",        setup_memfd,        false, false },
	[EXT4_SH]   = { "ext4-shared",  setup_ext4_shared,  false, true },
	[EXT4_PRIV] = { "ext4-private", setup_ext4_private, false, true },
	[ZERO]      = { "zero",         setup_zero,         true,  false },
	[PFNMAP]    = { "pfnmap",       setup_pfnmap,       false, false },
	[SECRET]    = { "secret",       setup_secret,       false, false },
	[UNTOUCHED] = { "untouched",    setup_untouched,    true,  false },
};

static void region_free(struct region *r)
{
	if (r->buf.map)
		gupdemo_buf_free(&r->buf);
	else if (r->map && r->map != MAP_FAILED)
		munmap(r->map, r->maplen);
	if (r->fd >= 0)
		close(r->fd);
	if (r->path[0])
		unlink(r->path);
}

/* Fresh memory of @m, or NULL with the reason (the region is then freed). */
static const char *region_new(struct region *r, enum mem m)
{
	const char *why;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	why = mems[m].setup(r);
	if (why)
		region_free(r);
	return why;
}

/* ------------------------------------------------------------------ */
/* ext4 on a loop device                                               */
/* ------------------------------------------------------------------ */

static int sh(const char *cmd)
{
	char full[512];

	snprintf(full, sizeof(full), "{ %s; } >/dev/null 2>&1", cmd);
	fflush(NULL);
	return system(full);
}

static void ext4_setup(void)
{
	sh("umount " FS_MNT "; rm -f " FS_IMG);
	T.ext4 = !sh("truncate -s 32M " FS_IMG) &&
		 !sh("/sbin/mke2fs -q -F -t ext4 -b 4096 " FS_IMG) &&
		 !sh("mkdir -p " FS_MNT) &&
		 !sh("mount -t ext4 -o loop " FS_IMG " " FS_MNT);
	T.ext4_why = T.ext4 ? NULL : "no ext4 mount (mke2fs or loop mount failed)";
	if (!T.ext4)
		diag("%s", T.ext4_why);
}

static void ext4_teardown(void)
{
	if (T.ext4)
		ok(sh("umount " FS_MNT) == 0, "ext4: unmount (nothing keeps it busy)");
	sh("rm -rf " FS_MNT " " FS_IMG);
}

/* The dangerous sequence's middle: written back, then reclaimed. */
static void writeback_and_reclaim(struct region *r)
{
	if (fsync(r->fd))
		bail_out("fsync: %s", strerror(errno));
	if (madvise(r->map, r->maplen, MADV_PAGEOUT))
		bail_out("MADV_PAGEOUT: %s", strerror(errno));
}

/* ------------------------------------------------------------------ */
/* References                                                          */
/* ------------------------------------------------------------------ */

static const char *eng_name(uint32_t e)
{
	return e == GUPDEMO_ENGINE_EDU ? "edu" : "soft";
}

static int acquire(int fd, enum ref rf, const struct region *r, uint32_t *h)
{
	const struct refkind *k = &refs[rf];

	if (k->mirror)
		return gupdemo_mirror_range(fd, r->p, RLEN, k->flags, h, NULL);
	return gupdemo_pin_range(fd, r->p, RLEN, k->api, k->flags, h, NULL);
}

static int release(int fd, enum ref rf, uint32_t h, uint32_t unpin_flags)
{
	if (refs[rf].mirror)
		return gupdemo_unmirror(fd, h);
	return gupdemo_unpin_handle(fd, h, unpin_flags);
}

/* DMA flags naming the reference as source (@dst false) or destination. */
static uint32_t ref_flags(enum ref rf, bool dst, bool allow_get)
{
	uint32_t f;

	if (refs[rf].mirror)
		return dst ? GUPDEMO_DMA_DST_MIRROR : GUPDEMO_DMA_SRC_MIRROR;
	f = dst ? GUPDEMO_DMA_DST_HANDLE : GUPDEMO_DMA_SRC_HANDLE;
	if (allow_get && refs[rf].api == GUPDEMO_API_GET_FAST)
		f |= GUPDEMO_DMA_ALLOW_GET;
	return f;
}

/*
 * One DMA of XFER bytes.  A side is the reference (@h with @hflags) or the
 * scratch page (an address side: a short-term pin of one page, counted).
 */
static int dma_fd(int fd, uint32_t op, uint32_t eng, uint32_t hflags,
		  uint32_t h)
{
	struct gupdemo_dma d = { .op = op, .engine = eng, .len = XFER,
				 .flags = hflags };
	bool src_ref = hflags & (GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_SRC_MIRROR);
	bool dst_ref = hflags & (GUPDEMO_DMA_DST_HANDLE | GUPDEMO_DMA_DST_MIRROR);

	if (src_ref)
		d.src_handle = h;
	else if (op != GUPDEMO_DMA_FROM_DEVICE)
		d.src_addr = (uintptr_t)T.scratch, T.scratch_pins++;
	if (dst_ref)
		d.dst_handle = h;
	else if (op != GUPDEMO_DMA_TO_DEVICE)
		d.dst_addr = (uintptr_t)T.scratch, T.scratch_pins++;
	return gupdemo_dma(fd, &d);
}

static int dma(uint32_t op, uint32_t eng, uint32_t hflags, uint32_t h)
{
	return dma_fd(T.fd, op, eng, hflags, h);
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

static int64_t stat_of(const char *key)
{
	int64_t v = -1;

	g_stat_get(key, &v);
	return v;
}

/* Pins, pages and mirrors held by the module (GET_INFO, debugfs): none. */
static void check_clean(const char *cell)
{
	struct gupdemo_info i;
	int64_t mh = stat_of("mirrors_held"), mp = stat_of("mirror_pages_held");

	if (gupdemo_get_info(T.fd, &i)) {
		fail("%s: GET_INFO", cell);
		return;
	}
	if (!ok(i.pins_held == 0 && i.pages_held == 0 && i.mirrors_held == 0 &&
		i.mirror_pages_held == 0 && mh == 0 && mp == 0,
		"%s: the module holds nothing", cell))
		diag("    GET_INFO pins_held %llu pages_held %llu mirrors_held "
		     "%llu mirror_pages_held %llu; debugfs mirrors_held %lld "
		     "mirror_pages_held %lld", (unsigned long long)i.pins_held,
		     (unsigned long long)i.pages_held,
		     (unsigned long long)i.mirrors_held,
		     (unsigned long long)i.mirror_pages_held, (long long)mh,
		     (long long)mp);
}

static void check_delta(const struct gupdemo_vmstat *v0, int64_t acq,
			int64_t rel, const char *cell)
{
	struct gupdemo_vmstat now = g_vmstat();
	int64_t da = (int64_t)(now.acquired - v0->acquired);
	int64_t dr = (int64_t)(now.released - v0->released);

	if (!ok(da == acq && dr == rel, "%s: delta acquired/released %lld/%lld",
		cell, (long long)acq, (long long)rel))
		diag("    got %lld/%lld", (long long)da, (long long)dr);
}

/* What the range must hold: @seed's pattern, or the kind's original. */
static bool range_is(const char *p, enum mem m, int seed)
{
	if (seed)
		return pat_is(p, XFER, (unsigned int)seed);
	return mems[m].zeros ? all_zero(p, XFER) : pat_is(p, XFER, SEED_A);
}

/* For ext4: what pread() finds at the range. */
static bool file_is(const struct region *r, int seed)
{
	char buf[XFER];

	if (pread(r->fd, buf, XFER, OFF) != XFER)
		return false;
	return pat_is(buf, XFER, (unsigned int)seed);
}

/*
 * After a device write of @seed's pattern that was expected to succeed
 * (@wrote) or be refused: the mapping, and for ext4 the file.
 */
static void check_written(const char *cell, const struct region *r,
			  enum mem m, bool wrote, unsigned int seed)
{
	bool map_ok = range_is(r->p, m, wrote ? (int)seed : 0);

	if (m == EXT4_SH)
		ok(map_ok && file_is(r, wrote ? (int)seed : SEED_A),
		   "%s: %s in the mapping and in the file (pread)", cell,
		   wrote ? "the device's bytes" : "unchanged");
	else if (m == EXT4_PRIV)
		ok(map_ok && file_is(r, SEED_A),
		   "%s: %s in the mapping, the file unchanged (pread)", cell,
		   wrote ? "the device's bytes" : "unchanged");
	else
		ok(map_ok, "%s: %s in the mapping", cell,
		   wrote ? "the device's bytes" : "unchanged");
}

static const char *errname(int e)
{
	return e ? strerrorname_np(e) : "ok";
}

/* ------------------------------------------------------------------ */
/* Sequences                                                           */
/* ------------------------------------------------------------------ */

struct cell {
	const struct exp *e;
	char name[48];		/* "ref/mem" */
	int acquire, pins, transient, write;	/* resolved */
};

/* Acquire on @fd: checks the errno and the deltas; true when held. */
static bool seq_acquire(const struct cell *c, int fd, const struct region *r,
			const struct gupdemo_vmstat *v0, uint32_t *h)
{
	char cell[96];
	int ret = acquire(fd, c->e->ref, r, h);

	snprintf(cell, sizeof(cell), "%s/%s", c->name,
		 refs[c->e->ref].mirror ? "mirror" : "pin");
	T.cells++;
	is_errno(ret, c->acquire, "%s: %s", cell, errname(c->acquire));
	if (ret && ret != -c->acquire)
		diag("    got %s", strerrorname_np(-ret));
	if (ret == 0 && c->acquire) {	/* held against expectations */
		release(fd, c->e->ref, *h, 0);
		return false;
	}
	check_delta(v0, ret ? c->transient : c->pins + c->transient,
		    c->transient, cell);
	return ret == 0;
}

/* to-device from the reference, read back through the device. */
static void op_to_device(const struct cell *c,
			 uint32_t h, uint32_t eng)
{
	char cell[96];
	int ret;

	snprintf(cell, sizeof(cell), "%s/to-device/%s", c->name, eng_name(eng));
	T.cells++;
	memset(T.scratch, 0x5a, XFER);
	ret = dma(GUPDEMO_DMA_TO_DEVICE, eng, ref_flags(c->e->ref, false, true), h);
	is_errno(ret, 0, "%s: ok", cell);
	if (ret)
		return;
	ret = dma(GUPDEMO_DMA_FROM_DEVICE, eng, 0, 0);
	ok(ret == 0 && range_is(T.scratch, c->e->mem, 0),
	   "%s: the device read the range's bytes", cell);
}

/* A FOLL_GET reference without ALLOW_GET is refused, either way. */
static void op_get_without_allow(const struct cell *c, uint32_t h)
{
	T.cells += 2;
	is_errno(dma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT,
		     GUPDEMO_DMA_SRC_HANDLE, h), EINVAL,
		 "%s/to-device/soft without ALLOW_GET: EINVAL", c->name);
	is_errno(dma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT,
		     GUPDEMO_DMA_DST_HANDLE, h), EINVAL,
		 "%s/from-device/soft without ALLOW_GET: EINVAL", c->name);
}

/*
 * from-device (or loopback) into the reference: @seed's bytes.  Returns
 * whether the device wrote.
 */
static bool op_write(const struct cell *c, const struct region *r, uint32_t h,
		     uint32_t op, uint32_t eng, unsigned int seed)
{
	const char *opn = op == GUPDEMO_DMA_LOOPBACK ? "loopback-in" : "from-device";
	uint32_t hf = ref_flags(c->e->ref, true, true);
	char cell[96];
	int ret;

	snprintf(cell, sizeof(cell), "%s/%s/%s", c->name, opn, eng_name(eng));
	T.cells++;
	pat_fill(T.scratch, XFER, seed);
	/* Load the device only for a write that must land (edu: 100 ms each). */
	if (op == GUPDEMO_DMA_FROM_DEVICE && c->write == 0 &&
	    dma(GUPDEMO_DMA_TO_DEVICE, eng, 0, 0))
		bail_out("%s: loading the device failed", cell);
	if (op == GUPDEMO_DMA_LOOPBACK && refs[c->e->ref].mirror) {
		unsigned int pins = T.scratch_pins;

		/* A call uses at most one mirror side, never in LOOPBACK. */
		is_errno(dma(op, eng, hf, h), EINVAL, "%s: EINVAL", cell);
		T.scratch_pins = pins;	/* refused before pinning anything */
		return false;
	}
	ret = dma(op, eng, hf, h);
	is_errno(ret, c->write, "%s: %s", cell, errname(c->write));
	check_written(cell, r, c->e->mem, ret == 0, seed);
	return ret == 0;
}

static void seq_xfer(const struct cell *c)
{
	struct gupdemo_vmstat v0;
	struct region r;
	char cell[96];
	uint32_t h;
	unsigned int seed = 2, last = 0;

	region_new(&r, c->e->mem);
	v0 = g_vmstat();
	T.scratch_pins = 0;
	if (seq_acquire(c, T.fd, &r, &v0, &h)) {
		for (int i = 0; i < T.nengines; i++)
			op_to_device(c, h, T.engines[i]);
		if (refs[c->e->ref].api == GUPDEMO_API_GET_FAST && !refs[c->e->ref].mirror)
			op_get_without_allow(c, h);
		if (mems[c->e->mem].file)
			writeback_and_reclaim(&r);
		for (int i = 0; i < T.nengines; i++, seed++)
			if (op_write(c, &r, h, GUPDEMO_DMA_FROM_DEVICE,
				     T.engines[i], seed))
				last = seed;
		if (op_write(c, &r, h, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT,
			     seed))
			last = seed;
		snprintf(cell, sizeof(cell), "%s/%s", c->name,
			 refs[c->e->ref].mirror ? "unmirror" : "unpin");
		T.cells++;
		is_errno(release(T.fd, c->e->ref, h, 0), 0, "%s: ok", cell);
		if (c->e->mem == EXT4_SH && last)
			ok(file_is(&r, (int)last),
			   "%s: the file keeps the device's last write", cell);
		check_delta(&v0, c->pins + c->transient + T.scratch_pins,
			    c->pins + c->transient + T.scratch_pins, cell);
		check_clean(cell);
	} else {
		check_clean(c->name);
	}
	region_free(&r);
}

/* UNPIN DIRTY (after writeback and reclaim for ext4). */
static void seq_dirty(const struct cell *c)
{
	struct gupdemo_vmstat v0;
	struct region r;
	char cell[96];
	uint32_t h;
	int ret;

	if (refs[c->e->ref].mirror || c->acquire)
		return;
	region_new(&r, c->e->mem);
	v0 = g_vmstat();
	if (seq_acquire(c, T.fd, &r, &v0, &h)) {
		if (mems[c->e->mem].file)
			writeback_and_reclaim(&r);
		snprintf(cell, sizeof(cell), "%s/unpin-dirty", c->name);
		T.cells++;
		ret = release(T.fd, c->e->ref, h, GUPDEMO_UNPIN_DIRTY);
		is_errno(ret, c->write, "%s: %s", cell, errname(c->write));
		if (ret)
			is_errno(release(T.fd, c->e->ref, h, 0), 0,
				 "%s: then UNPIN(0) works", cell);
		check_delta(&v0, c->pins + c->transient, c->pins + c->transient,
			    cell);
		check_clean(cell);
	}
	region_free(&r);
}

/* close() of a second descriptor with the reference (and a write) held. */
static void seq_close(const struct cell *c)
{
	struct gupdemo_vmstat v0;
	struct region r;
	char cell[96];
	int fd2 = g_open(), ret;
	uint32_t h;
	bool wrote = false;

	if (c->acquire) {
		close(fd2);
		return;
	}
	region_new(&r, c->e->mem);
	v0 = g_vmstat();
	T.scratch_pins = 0;
	snprintf(cell, sizeof(cell), "%s/close", c->name);
	if (seq_acquire(c, fd2, &r, &v0, &h)) {
		if (c->write == 0) {
			pat_fill(T.scratch, XFER, 9);
			wrote = !dma_fd(fd2, GUPDEMO_DMA_TO_DEVICE,
					GUPDEMO_ENGINE_SOFT, 0, 0) &&
				!dma_fd(fd2, GUPDEMO_DMA_FROM_DEVICE,
					GUPDEMO_ENGINE_SOFT,
					ref_flags(c->e->ref, true, true), h);
			ok(wrote, "%s: a device write before close()", cell);
		}
		T.cells++;
		ret = close(fd2);
		is_syscall_errno(ret, 0, "%s: close() with it held", cell);
		fd2 = -1;
		if (wrote)
			check_written(cell, &r, c->e->mem, true, 9);
		check_delta(&v0, c->pins + c->transient + T.scratch_pins,
			    c->pins + c->transient + T.scratch_pins, cell);
		check_clean(cell);
	}
	if (fd2 >= 0)
		close(fd2);
	region_free(&r);
}

static const struct {
	const char *name;
	void (*run)(const struct cell *c);
} seqs[] = { { "xfer", seq_xfer }, { "dirty", seq_dirty }, { "close", seq_close } };

#define NSEQS	(sizeof(seqs) / sizeof(seqs[0]))

/* Whether any sequence of @c is selected ("ref/mem/seq"). */
static bool seq_selected(const struct cell *c, size_t i)
{
	char n[64];

	snprintf(n, sizeof(n), "%s/%s", c->name, seqs[i].name);
	return g_selected(n);
}

static void run_row(const struct exp *e)
{
	struct cell c = { .e = e };
	struct region probe;
	const char *why;
	size_t i;

	snprintf(c.name, sizeof(c.name), "%s/%s", refs[e->ref].name,
		 mems[e->mem].name);
	for (i = 0; i < NSEQS && !seq_selected(&c, i); i++)
		;
	if (i == NSEQS)
		return;
	if (g_listing()) {
		for (i = 0; i < NSEQS; i++)
			if (seq_selected(&c, i))
				printf("%s/%s\n", c.name, seqs[i].name);
		return;
	}
	c.acquire = resolve(e->acquire);
	c.pins = resolve(e->pins);
	c.transient = resolve(e->transient);
	c.write = resolve(e->write);
	why = region_new(&probe, e->mem);
	if (why) {
		T.skipped++;
		skip(1, "%s: %s", c.name, why);
		return;
	}
	region_free(&probe);
	for (i = 0; i < NSEQS; i++)
		if (seq_selected(&c, i))
			seqs[i].run(&c);
}

/* ------------------------------------------------------------------ */
/* Specials                                                            */
/* ------------------------------------------------------------------ */

/* A mirror whose range was munmapped and replaced by secretmem. */
static void special_secret_replaced(void)
{
	const char *cell = "special/secret-replaced";
	char *p = g_map_anon(2, true);
	uint32_t h;
	int sfd;

	if (gupdemo_mirror_range(T.fd, p, 2 * T.psz, GUPDEMO_MIRROR_WRITE, &h,
				 NULL))
		bail_out("%s: MIRROR of anon memory failed", cell);
	if (!map_secret(p, &sfd)) {
		skip(1, "%s: memfd_secret: %s", cell, strerror(errno));
		gupdemo_unmirror(T.fd, h);
		munmap(p, 2 * T.psz);
		return;
	}
	memset(p, 's', 2 * T.psz);
	T.cells += 2;
	is_errno(dma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT,
		     GUPDEMO_DMA_SRC_MIRROR, h), EFAULT,
		 "%s/to-device/soft: EFAULT", cell);
	is_errno(dma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT,
		     GUPDEMO_DMA_DST_MIRROR, h), EFAULT,
		 "%s/from-device/soft: EFAULT", cell);
	ok(p[0] == 's' && p[2 * T.psz - 1] == 's' &&
	   !memchr(p, 0, 2 * T.psz), "%s: the secret memory is unchanged", cell);
	is_errno(gupdemo_unmirror(T.fd, h), 0, "%s: UNMIRROR", cell);
	check_clean(cell);
	munmap(p, 2 * T.psz);
	close(sfd);
}

/* A child sharing the descriptor: DMA refused, QUERY and UNMIRROR work. */
static void special_fork(void)
{
	const char *cell = "special/mirror-from-child";
	char *p = g_map_anon(2, true);
	int res[4] = { 1, 1, 1, 1 }, pfd[2], st;
	uint32_t h;
	pid_t pid;

	if (gupdemo_mirror_range(T.fd, p, 2 * T.psz, GUPDEMO_MIRROR_WRITE, &h,
				 NULL) || pipe(pfd))
		bail_out("%s: MIRROR failed", cell);
	pid = fork();
	if (pid == 0) {
		struct gupdemo_mirror_query q = { .handle = h };

		res[0] = dma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT,
			     GUPDEMO_DMA_SRC_MIRROR, h);
		memset(T.scratch, 'c', XFER);	/* the child's own bytes */
		dma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, 0, 0);
		res[1] = dma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_SOFT,
			     GUPDEMO_DMA_DST_MIRROR, h);
		res[2] = gupdemo_mirror_query(T.fd, &q);
		res[3] = gupdemo_unmirror(T.fd, h);
		_exit(write(pfd[1], res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], res, sizeof(res)) != sizeof(res))
		fail("%s: the child's results", cell);
	close(pfd[0]);
	waitpid(pid, &st, 0);
	T.cells += 4;
	is_errno(res[0], EPERM, "%s/to-device/soft: EPERM", cell);
	is_errno(res[1], EPERM, "%s/from-device/soft: EPERM", cell);
	is_errno(res[2], 0, "%s/mirror-query: ok", cell);
	is_errno(res[3], 0, "%s/unmirror: ok", cell);
	if (res[3])
		gupdemo_unmirror(T.fd, h);
	ok(p[0] == 1 && p[T.psz] == 2,
	   "%s: the child's bytes did not reach the parent's memory", cell);
	check_clean(cell);
	munmap(p, 2 * T.psz);
}

/* Each mirror is charged its pages plus a fixed part (uapi). */
#define FIX		GUPDEMO_MIRROR_FIXED_PAGES
#define BUDGET_FILE	(4 + FIX)
#define BUDGET_ALL	(6 + 2 * FIX)

/* GET_INFO and debugfs with both files' mirrors held: 2 mirrors, 6 pages. */
static void budget_info(const char *cell)
{
	struct gupdemo_info i;

	if (gupdemo_get_info(T.fd, &i))
		bail_out("GET_INFO failed");
	ok(i.mirrors_held == 2 && i.mirror_pages_held == BUDGET_ALL &&
	   i.max_mirror_pages == BUDGET_ALL &&
	   i.max_mirror_pages_file == BUDGET_FILE,
	   "%s: GET_INFO mirrors_held 2, mirror_pages_held 6 + 2 x %d, "
	   "max_mirror_pages the same, max_mirror_pages_file 4 + %d", cell,
	   FIX, FIX);
	ok(stat_of("mirrors_held") == 2 &&
	   stat_of("mirror_pages_held") == BUDGET_ALL &&
	   stat_of("max_mirror_pages") == BUDGET_ALL &&
	   stat_of("max_mirror_pages_file") == BUDGET_FILE,
	   "%s: debugfs says the same", cell);
}

/* MIRROR beyond max_mirror_pages_file, then beyond max_mirror_pages. */
static void special_budget(void)
{
	const char *cell = "special/mirror-budget";
	uint64_t all = 0, file = 0;
	char *p;
	int fd2;
	uint32_t h[4];

	if (g_param_get("max_mirror_pages", &all) ||
	    g_param_get("max_mirror_pages_file", &file)) {
		skip(1, "%s: the module has no max_mirror_pages / "
		     "max_mirror_pages_file parameters", cell);
		return;
	}
	if (g_param_set("max_mirror_pages_file", BUDGET_FILE) ||
	    g_param_set("max_mirror_pages", BUDGET_ALL))
		bail_out("%s: cannot set the mirror budget", cell);
	p = g_map_anon(8, true);
	fd2 = g_open();
	T.cells += 4;
	is_errno(gupdemo_mirror_range(T.fd, p, 4 * T.psz, 0, &h[0], NULL), 0,
		 "%s: 4 pages with a per-file budget of 4: ok", cell);
	is_errno(gupdemo_mirror_range(T.fd, p, T.psz, 0, &h[1], NULL), ENOSPC,
		 "%s: one more on that file: ENOSPC", cell);
	is_errno(gupdemo_mirror_range(fd2, p, 2 * T.psz, 0, &h[2], NULL), 0,
		 "%s: 2 pages on another file (6 of 6 module-wide): ok", cell);
	is_errno(gupdemo_mirror_range(fd2, p, T.psz, 0, &h[3], NULL), ENOSPC,
		 "%s: one more module-wide: ENOSPC", cell);
	budget_info(cell);
	is_errno(gupdemo_unmirror(T.fd, h[0]), 0, "%s: UNMIRROR", cell);
	/* Back on the first file: fd2's own budget has no room for a second fixed part. */
	is_errno(gupdemo_mirror_range(T.fd, p, T.psz, 0, &h[3], NULL), 0,
		 "%s: after UNMIRROR the budget is back", cell);
	gupdemo_unmirror(T.fd, h[3]);
	close(fd2);
	check_clean(cell);
	g_param_set("max_mirror_pages", all);
	g_param_set("max_mirror_pages_file", file);
	munmap(p, 8 * T.psz);
}

/* ------------------------------------------------------------------ */

static void reserve_hugetlb(uint64_t *old)
{
	uint64_t now = 0;

	g_read_u64("/proc/sys/vm/nr_hugepages", old);
	g_write_u64("/proc/sys/vm/nr_hugepages", *old + 2);
	g_read_u64("/proc/sys/vm/nr_hugepages", &now);
	if (now < *old + 2)
		diag("hugetlb: only %llu of 2 pages reserved",
		     (unsigned long long)(now - *old));
}

/* The specials, after the cells; each names itself "special/<name>". */
static const struct g_test specials[] = {
	G_TEST("special/secret-replaced", special_secret_replaced),
	G_TEST("special/mirror-from-child", special_fork),
	G_TEST("special/mirror-budget", special_budget),
};

int main(int argc, char **argv)
{
	struct gupdemo_info info;
	uint64_t huge_old = 0;
	time_t t0 = time(NULL);

	g_parse_args(argc, argv, G_OPT_ONLY | G_OPT_SKIP | G_OPT_LIST |
		     G_OPT_SUBSTR,
		     "t_matrix [--only SUBSTR]... [--skip SUBSTR]... [--list]");
	mems = memtab;
	T.psz = (size_t)sysconf(_SC_PAGESIZE);
	if (g_listing()) {
		for (size_t i = 0; i < NROWS; i++)
			run_row(&table[i]);
		g_run(specials, G_N(specials), G_BY_NAME);
		return 0;
	}
	T.fd = g_open();
	T.kver = g_kernel_version();
	if (gupdemo_get_info(T.fd, &info))
		bail_out("GET_INFO failed");
	T.engines[T.nengines++] = GUPDEMO_ENGINE_SOFT;
	if (info.features & GUPDEMO_FEAT_ENGINE_EDU)
		T.engines[T.nengines++] = GUPDEMO_ENGINE_EDU;
	else
		diag("no edu device bound: the soft engine only");
	if (!(info.features & GUPDEMO_FEAT_MIRROR))
		bail_out("the kernel has no HMM_MIRROR");
	T.scratch = g_map_anon(1, true);
	reserve_hugetlb(&huge_old);
	ext4_setup();
	for (size_t i = 0; i < NROWS; i++)
		run_row(&table[i]);
	g_run(specials, G_N(specials), G_BY_NAME);
	ext4_teardown();
	g_write_u64("/proc/sys/vm/nr_hugepages", huge_old);
	diag("%u cells, %u combinations skipped, %lld s", T.cells, T.skipped,
	     (long long)(time(NULL) - t0));
	return done_testing();
}
