// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: a mirror's live DMA mapping (module/mirror.c, <linux/hmm-dma.h>,
 * 6.16+).  A mirror keeps one hmm_dma_map for the first engine's device that
 * can take one; a DMA maps only the entries not mapped yet, an invalidation
 * unmaps only the entries it hits.
 *
 * On a kernel with the feature (GUPDEMO_FEAT_MIRROR_LIVE, expected from
 * 6.16 on):
 *   bytes     TO_DEVICE / FROM_DEVICE through a mirror, byte-exact, on the
 *             soft engine and on edu; the path each reports (live, or an
 *             sg_table per call for a device that cannot have a live
 *             mapping: edu's 28-bit mask, with or without an IOMMU)
 *   counts    a first DMA maps every entry, a second maps 0; after
 *             MADV_DONTNEED of one page, or mprotect() of one page, the
 *             next DMA maps exactly 1, with the right data; MIRROR_QUERY
 *             and debugfs agree
 *   other     the second engine on a mirror live for the first maps an
 *             sg_table per call; the live mapping stays the first's
 *   race      a thread zaps pages (MADV_DONTNEED) or maps a page anew
 *             (MAP_FIXED) while DMAs run: each returns 0 or a documented
 *             errno (EBUSY, EFAULT), the last DMA's data is exact
 *   teardown  UNMIRROR, close() and process exit with a live mapping held,
 *             and unbinding edu while a mirror is live for it: nothing
 *             left (debugfs mirror_live_maps and _entries back to 0)
 *   faults    fail_nth over the DMA call's steps (the live mapping's
 *             allocation and its mapping step among them): each fails
 *             alone with ENOMEM and leaves a consistent mapping
 * On a kernel without it: the feature bit is absent and every DMA maps an
 * sg_table for the call, all its entries, every time.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "guest.h"

#define FAIL_NTH	GUPDEMO_DEBUGFS_DIR "/fail_nth"
#define EDU_DRV		"/sys/bus/pci/drivers/gupdemo-edu"
#define CHUNK		4095	/* the engines' device-side chunk */
#define RACE_DMAS	300

static struct {
	int fd;
	size_t psz;
	bool live;		/* the module has the feature */
	bool edu;		/* edu is bound */
	bool edu_live;		/* edu can have a live mapping */
	char edu_bdf[32];
} T;

static int64_t stat_of(const char *key)
{
	int64_t v = -1;

	g_stat_get(key, &v);
	return v;
}

static const char *eng_name(uint32_t e)
{
	return e == GUPDEMO_ENGINE_EDU ? "edu" : "soft";
}

/* How a DMA on @e maps a fresh mirror. */
static uint32_t expect_map(uint32_t e)
{
	if (!T.live)
		return GUPDEMO_DMA_MIRROR_MAP_CALL;
	if (e == GUPDEMO_ENGINE_EDU && !T.edu_live)
		return GUPDEMO_DMA_MIRROR_MAP_CALL;
	return GUPDEMO_DMA_MIRROR_MAP_LIVE;
}

static const char *map_name(uint32_t m)
{
	return m == GUPDEMO_DMA_MIRROR_MAP_LIVE ? "live" :
	       m == GUPDEMO_DMA_MIRROR_MAP_CALL ? "per call" : "none";
}

static char *map_anon(size_t n)
{
	char *p = mmap(NULL, n * T.psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	return p;
}

static void fill(char *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(seed * 131 + i * 7 + (i >> 12));
}

static int mirror(void *p, size_t len, uint32_t *h)
{
	return gupdemo_mirror_range(T.fd, p, len, GUPDEMO_MIRROR_WRITE, h, NULL);
}

/* One DMA on mirror @h (TO_DEVICE from it or FROM_DEVICE into it). */
static int mdma(uint32_t op, uint32_t e, uint32_t h, size_t len,
		struct gupdemo_dma *out)
{
	return g_mirror_dma(T.fd, op, e, h, len, out);
}

/* A DMA by address (the device buffer's other side). */
static int adma(uint32_t op, uint32_t e, void *p, size_t len)
{
	struct gupdemo_dma d = { .op = op, .engine = e, .len = len };

	if (op == GUPDEMO_DMA_TO_DEVICE)
		d.src_addr = (uintptr_t)p;
	else
		d.dst_addr = (uintptr_t)p;
	return gupdemo_dma(T.fd, &d);
}

static struct gupdemo_mirror_query mquery(uint32_t h)
{
	struct gupdemo_mirror_query q = { .handle = h };

	q.live_engine = 0xdead;
	if (gupdemo_mirror_query(T.fd, &q))
		fail("MIRROR_QUERY %u failed", h);
	return q;
}

/* One DMA, its path and entries mapped as expected. */
static bool dma_maps(uint32_t op, uint32_t e, uint32_t h, size_t len,
		     uint32_t map, uint32_t n, const char *what)
{
	struct gupdemo_dma d;
	int ret = mdma(op, e, h, len, &d);

	if (!is_errno(ret, 0, "%s: %s DMA succeeds", eng_name(e), what))
		return false;
	return ok(d.mirror_map == map && d.mirror_mapped == n,
		  "%s: %s DMA: %s, %u entries mapped (expected %s, %u)",
		  eng_name(e), what, map_name(d.mirror_map), d.mirror_mapped,
		  map_name(map), n);
}

/* Nothing live is left: debugfs counters back to @maps / @entries. */
static void check_live_left(int64_t maps, int64_t entries, const char *what)
{
	is_int(stat_of("mirror_live_maps"), maps,
	       "%s: debugfs mirror_live_maps == %lld", what, (long long)maps);
	is_int(stat_of("mirror_live_entries"), entries,
	       "%s: debugfs mirror_live_entries == %lld", what,
	       (long long)entries);
}

/*
 * Device buffer <- @src[..len) by address, then FROM_DEVICE into the
 * mirror: byte x of the mirror gets src[x % CHUNK].  Return: data right.
 */
static bool check_from_device(uint32_t e, uint32_t h, char *mp, size_t len,
			      uint32_t map, uint32_t n, const char *what)
{
	char *src = map_anon(1);
	bool good = true;

	fill(src, CHUNK, (unsigned int)len + n);
	if (adma(GUPDEMO_DMA_TO_DEVICE, e, src, CHUNK))
		bail_out("%s: TO_DEVICE by address failed", what);
	if (!dma_maps(GUPDEMO_DMA_FROM_DEVICE, e, h, len, map, n, what))
		good = false;
	for (size_t x = 0; good && x < len; x++)
		good = mp[x] == src[x % CHUNK];
	ok(good, "%s: %s: FROM_DEVICE wrote the right %zu bytes", eng_name(e),
	   what, len);
	munmap(src, T.psz);
	return good;
}

/*
 * TO_DEVICE from the mirror, then FROM_DEVICE by address: the device
 * buffer holds the last chunk of the mirror's @len bytes.
 */
static bool check_to_device(uint32_t e, uint32_t h, const char *mp,
			    size_t len, uint32_t map, uint32_t n,
			    const char *what)
{
	size_t last = (len - 1) / CHUNK * CHUNK, tail = len - last;
	char *dst = map_anon(1);
	bool good = false;

	memset(dst, 0x5a, T.psz);
	if (dma_maps(GUPDEMO_DMA_TO_DEVICE, e, h, len, map, n, what) &&
	    !adma(GUPDEMO_DMA_FROM_DEVICE, e, dst, tail))
		good = !memcmp(dst, mp + last, tail);
	ok(good, "%s: %s: the device read the right bytes (last %zu)",
	   eng_name(e), what, tail);
	munmap(dst, T.psz);
	return good;
}

/* ---- bytes and counts ---- */

static void t_counts(uint32_t e, size_t np)
{
	uint32_t map = expect_map(e), live = map == GUPDEMO_DMA_MIRROR_MAP_LIVE;
	size_t off = 100, len = np * T.psz - off;
	char *p = map_anon(np + 1), *mp = p + off, what[96];
	struct gupdemo_mirror_query q;
	uint32_t h;

	fill(p, (np + 1) * T.psz, 3);
	if (!is_errno(mirror(mp, len, &h), 0, "%s: MIRROR %zu pages at +%zu",
		      eng_name(e), np, off))
		goto out;
	snprintf(what, sizeof(what), "first DMA of %zu pages", np);
	check_to_device(e, h, mp, len, map, np, what);
	check_to_device(e, h, mp, len, map, live ? 0 : np,
			"the same range again");
	q = mquery(h);
	is_int(q.live_engine, live ? e : 0, "%s: MIRROR_QUERY live_engine",
	       eng_name(e));
	is_int(q.live_nmapped, live ? np : 0, "%s: MIRROR_QUERY live_nmapped",
	       eng_name(e));

	/* One page zapped: that entry alone is unmapped, and mapped again. */
	madvise(p + (np - 1) * T.psz, T.psz, MADV_DONTNEED);
	q = mquery(h);
	is_int(q.live_nmapped, live ? np - 1 : 0,
	       "%s: MADV_DONTNEED of the last page unmapped 1 entry",
	       eng_name(e));
	is_int(q.live_unmapped, live ? 1 : 0, "%s: MIRROR_QUERY live_unmapped",
	       eng_name(e));
	fill(p + (np - 1) * T.psz, T.psz, 9);
	check_to_device(e, h, mp, len, map, live ? 1 : np,
			"after MADV_DONTNEED of one page");
	check_from_device(e, h, mp, len, map, 0 + (live ? 0 : np),
			  "FROM_DEVICE, nothing invalidated");

	/* mprotect() of one page, read-only and back: one entry each time. */
	mprotect(p + T.psz, T.psz, PROT_READ);
	check_to_device(e, h, mp, len, map, live ? 1 : np,
			"after mprotect(PROT_READ) of one page");
	mprotect(p + T.psz, T.psz, PROT_READ | PROT_WRITE);
	check_from_device(e, h, mp, len, map, live ? 1 : np,
			  "after mprotect(PROT_READ | PROT_WRITE) of one page");
	q = mquery(h);
	is_int(q.live_mapped, live ? np + 3 : 0,
	       "%s: MIRROR_QUERY live_mapped == %zu pages + 3 re-mapped",
	       eng_name(e), np);
	diag("%s: %zu-page mirror: %llu entries mapped, %llu unmapped by %llu "
	     "invalidations", eng_name(e), np,
	     (unsigned long long)q.live_mapped,
	     (unsigned long long)q.live_unmapped,
	     (unsigned long long)q.invalidations);
	is_errno(gupdemo_unmirror(T.fd, h), 0, "%s: UNMIRROR", eng_name(e));
	check_live_left(0, 0, "after UNMIRROR");
out:
	munmap(p, (np + 1) * T.psz);
}

/* The second engine on a mirror live for the first: per call. */
static void t_other(void)
{
	size_t np = 2, len = np * T.psz;
	char *p = map_anon(np);
	struct gupdemo_mirror_query q;
	uint32_t h, first = GUPDEMO_ENGINE_SOFT, second = GUPDEMO_ENGINE_EDU;

	fill(p, len, 5);
	if (mirror(p, len, &h))
		bail_out("MIRROR failed");
	check_to_device(first, h, p, len, expect_map(first), np,
			"other: the first engine");
	check_to_device(second, h, p, len, GUPDEMO_DMA_MIRROR_MAP_CALL, np,
			"other: the second engine, per call");
	check_to_device(first, h, p, len, expect_map(first),
			T.live ? 0 : np, "other: the first engine again");
	q = mquery(h);
	is_int(q.live_engine, T.live ? first : 0,
	       "other: the live mapping stays the first engine's");
	gupdemo_unmirror(T.fd, h);
	check_live_left(0, 0, "other: after UNMIRROR");
	munmap(p, len);
}

/*
 * Figures: map + unmap time of a TO_DEVICE of a whole mirror (soft: 4 MiB,
 * edu: 64 KiB): the first call, the same again, and after one page's
 * invalidation.  With
 * @thp the buffer is 2 MiB aligned and MADV_HUGEPAGE: MADV_DONTNEED of one
 * page splits its PMD, an invalidation of all 512 (reported, not checked:
 * THP may be off); without, 4 KiB pages, exactly 1.
 */
static void t_measure(uint32_t e, size_t np, bool thp)
{
	size_t len = np * T.psz, al = 2 << 20;
	char *raw = map_anon(np + al / T.psz), *p;
	uint32_t h, live = expect_map(e) == GUPDEMO_DMA_MIRROR_MAP_LIVE;
	uint32_t want[3] = { np, live ? 0 : np, live ? 1 : np };
	const char *step[3] = { "first", "again", "after one invalidation" };
	const char *kind = thp ? "THP" : "4K";

	p = (char *)(((uintptr_t)raw + al - 1) & ~(uintptr_t)(al - 1));
	madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	fill(p, len, 17);
	if (mirror(p, len, &h))
		bail_out("MIRROR failed");
	for (int i = 0; i < 3; i++) {
		struct gupdemo_dma d;

		if (i == 2)
			madvise(p + np / 2 * T.psz, T.psz, MADV_DONTNEED);
		if (mdma(GUPDEMO_DMA_TO_DEVICE, e, h, len, &d))
			bail_out("measure: DMA failed");
		if (!thp || i < 2)
			is_int(d.mirror_mapped, want[i],
			       "measure: %s, %zu KiB %s, %s: %u mapped",
			       eng_name(e), len >> 10, kind, step[i],
			       d.mirror_mapped);
		diag("measure: %s, %zu KiB %s mirror, %s (%s): %u mapped, map "
		     "%llu us, unmap %llu us, transfer %llu us", eng_name(e),
		     len >> 10, kind, step[i],
		     map_name(d.mirror_map), d.mirror_mapped,
		     (unsigned long long)d.map_ns / 1000,
		     (unsigned long long)d.unmap_ns / 1000,
		     (unsigned long long)d.xfer_ns / 1000);
	}
	gupdemo_unmirror(T.fd, h);
	munmap(raw, len + al);
}

/* ---- races ---- */

struct zapper {
	char *p;
	size_t np;
	bool remap;		/* MAP_FIXED a page anew instead of zapping */
	volatile bool stop;
	unsigned long rounds;
};

static void *zap_loop(void *arg)
{
	struct zapper *z = arg;
	unsigned int seed = 1;

	while (!z->stop) {
		char *pg = z->p + (rand_r(&seed) % z->np) * T.psz;

		if (z->remap)
			mmap(pg, T.psz, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		else
			madvise(pg, T.psz, MADV_DONTNEED);
		z->rounds++;
	}
	return NULL;
}

/*
 * DMAs into a mirror while a thread invalidates its pages: 0, or EBUSY
 * (kept being invalidated), or for a page mapped anew between the fault
 * and the lock nothing else; then, quiet, one DMA with exact data.
 */
static void t_race(uint32_t e, bool remap)
{
	size_t np = e == GUPDEMO_ENGINE_EDU ? 2 : 16, len = np * T.psz;
	struct zapper z = { .np = np, .remap = remap };
	unsigned int okc = 0, busy = 0, other = 0;
	struct gupdemo_mirror_query q;
	const char *how = remap ? "MAP_FIXED" : "MADV_DONTNEED";
	int n = e == GUPDEMO_ENGINE_EDU ? 10 : RACE_DMAS;
	pthread_t th;
	uint32_t h;

	z.p = map_anon(np);
	fill(z.p, len, 7);
	if (mirror(z.p, len, &h))
		bail_out("MIRROR failed");
	pthread_create(&th, NULL, zap_loop, &z);
	for (int i = 0; i < n; i++) {
		int ret = mdma(i & 1 ? GUPDEMO_DMA_FROM_DEVICE :
				       GUPDEMO_DMA_TO_DEVICE, e, h, len, NULL);

		if (!ret)
			okc++;
		else if (ret == -EBUSY)
			busy++;
		else {
			other++;
			diag("race: DMA %d: %s", i, strerror(-ret));
		}
	}
	z.stop = true;
	pthread_join(th, NULL);
	ok(!other && okc, "%s: %d DMAs racing %lu %s rounds: %u done, %u "
	   "EBUSY, %u other errors", eng_name(e), n, z.rounds, how, okc, busy,
	   other);
	check_from_device(e, h, z.p, len, expect_map(e),
			  T.live && expect_map(e) == GUPDEMO_DMA_MIRROR_MAP_LIVE ?
			  (uint32_t)(np - mquery(h).live_nmapped) : np,
			  "after the race, quiet");
	q = mquery(h);
	if (expect_map(e) == GUPDEMO_DMA_MIRROR_MAP_LIVE)
		is_int(stat_of("mirror_live_entries"), q.live_nmapped,
		       "%s: debugfs mirror_live_entries == the mirror's %u",
		       eng_name(e), q.live_nmapped);
	gupdemo_unmirror(T.fd, h);
	check_live_left(0, 0, "after the race and UNMIRROR");
	munmap(z.p, len);
}

/* ---- teardown ---- */

static bool edu_sysfs(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), EDU_DRV "/%s", file);
	return g_write_file(path, T.edu_bdf) == 0;
}

/* A live mirror left to close(), and to exit() in a child. */
static void t_close_exit(void)
{
	char *p = map_anon(4);
	int fd2 = g_open(), st = -1;
	pid_t pid;
	uint32_t h;

	fill(p, 4 * T.psz, 1);
	if (gupdemo_mirror_range(fd2, p, 4 * T.psz, 0, &h, NULL))
		bail_out("MIRROR on a second file failed");
	{
		struct gupdemo_dma d = { .flags = GUPDEMO_DMA_SRC_MIRROR,
			.op = GUPDEMO_DMA_TO_DEVICE,
			.engine = GUPDEMO_ENGINE_SOFT, .src_handle = h,
			.len = 4 * T.psz };

		is_errno(gupdemo_dma(fd2, &d), 0, "close: DMA on the second file");
	}
	check_live_left(T.live, T.live ? 4 : 0, "close: one mirror live");
	close(fd2);
	check_live_left(0, 0, "close: after close()");
	pid = fork();
	if (pid == 0) {
		int cfd = g_open();

		if (gupdemo_mirror_range(cfd, p, 4 * T.psz, 0, &h, NULL))
			_exit(1);
		/* T.fd is the parent's: use the child's own file. */
		{
			struct gupdemo_dma d = { .flags = GUPDEMO_DMA_SRC_MIRROR,
				.op = GUPDEMO_DMA_TO_DEVICE,
				.engine = GUPDEMO_ENGINE_SOFT, .src_handle = h,
				.len = 4 * T.psz };

			_exit(gupdemo_dma(cfd, &d) ? 2 : 0);
		}
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && !WEXITSTATUS(st), "exit: the child made a live "
	   "mirror, DMAed and exited (status %#x)", st);
	check_live_left(0, 0, "exit: after the child exited");
	munmap(p, 4 * T.psz);
}

/* edu unbound while a mirror is live for it; rebound, live again. */
static void t_unbind(void)
{
	size_t np = 2, len = np * T.psz;
	char *p = map_anon(np);
	struct gupdemo_mirror_query q;
	uint32_t h, e = GUPDEMO_ENGINE_EDU, map = expect_map(e);
	bool live = map == GUPDEMO_DMA_MIRROR_MAP_LIVE;

	fill(p, len, 11);
	if (mirror(p, len, &h))
		bail_out("MIRROR failed");
	check_to_device(e, h, p, len, map, np, "unbind: before");
	check_live_left(live, live ? np : 0, "unbind: a mirror live for edu");
	if (!ok(edu_sysfs("unbind"), "unbind: write %s to " EDU_DRV "/unbind",
		T.edu_bdf))
		return;
	q = mquery(h);
	ok(q.live_engine == 0 && q.live_nmapped == 0,
	   "unbind: the mirror let go of edu's mapping (engine %u, %u mapped)",
	   q.live_engine, q.live_nmapped);
	check_live_left(0, 0, "unbind: nothing live");
	is_errno(mdma(GUPDEMO_DMA_TO_DEVICE, e, h, len, NULL), ENODEV,
		 "unbind: TO_DEVICE on edu -> ENODEV");
	ok(edu_sysfs("bind"), "rebind: write %s to " EDU_DRV "/bind", T.edu_bdf);
	check_to_device(e, h, p, len, map, np, "rebind: maps every entry again");
	gupdemo_unmirror(T.fd, h);
	check_live_left(0, 0, "rebind: after UNMIRROR");
	munmap(p, len);
}

/*
 * edu does not stop (edu_timeout_ms=1) during a FROM_DEVICE into a live
 * mirror: the call goes to the quarantine with the live mapping frozen
 * (entries past the call unmapped; invalidations go on without unmapping
 * what the device may still write); unbinding edu frees it.
 */
static void t_stuck(void)
{
	size_t np = 2, len = np * T.psz;
	uint32_t h, e = GUPDEMO_ENGINE_EDU, map = expect_map(e);
	bool live = map == GUPDEMO_DMA_MIRROR_MAP_LIVE;
	struct gupdemo_mirror_query q;
	uint64_t tmo = 2000;
	char *p = map_anon(np);

	fill(p, len, 19);
	g_param_get("edu_timeout_ms", &tmo);
	if (mirror(p, len, &h))
		bail_out("MIRROR failed");
	check_to_device(e, h, p, len, map, np, "stuck: before");
	g_param_set("edu_timeout_ms", 1);
	is_errno(mdma(GUPDEMO_DMA_FROM_DEVICE, e, h, CHUNK, NULL), EIO,
		 "stuck: FROM_DEVICE into the mirror that does not stop -> EIO");
	q = mquery(h);
	ok(q.live_engine == (live ? e : 0) && q.live_nmapped == (live ? 1 : 0),
	   "stuck: the live mapping is kept for the call's page only "
	   "(engine %u, %u mapped)", q.live_engine, q.live_nmapped);
	madvise(p, len, MADV_DONTNEED);
	q = mquery(h);
	ok(q.nvalid == 0 && q.live_nmapped == (live ? 1 : 0),
	   "stuck: MADV_DONTNEED goes on; the frozen entry stays mapped "
	   "(nvalid %llu, %u mapped)", (unsigned long long)q.nvalid,
	   q.live_nmapped);
	is_errno(gupdemo_unmirror(T.fd, h), EBUSY,
		 "stuck: UNMIRROR while the stuck call holds it -> EBUSY");
	ok(edu_sysfs("unbind"), "stuck: unbind edu");
	is_int(stat_of("pages_quarantined"), 0, "stuck: quarantine released");
	check_live_left(0, 0, "stuck: after unbind");
	g_param_set("edu_timeout_ms", tmo);
	ok(edu_sysfs("bind"), "stuck: rebind edu");
	is_errno(gupdemo_unmirror(T.fd, h), 0, "stuck: UNMIRROR now");
	munmap(p, len);
}

/* ---- fault injection ---- */

/*
 * For N = 1, 2, ...: fail the Nth step of a DMA on a mirror (fresh, or
 * live with one page invalidated): ENOMEM, the mapping consistent
 * (debugfs entries == the mirror's), until the call succeeds; then it maps
 * what it must.
 */
static void t_faults(uint32_t e, bool fresh)
{
	size_t np = 4, len = np * T.psz;
	char *p = map_anon(np), what[96];
	uint32_t h, want = fresh ? np : 1, map = expect_map(e);
	struct gupdemo_dma d = { 0 };
	uint64_t left = 0;
	bool all = true;
	int n, ret = 0;

	snprintf(what, sizeof(what), "fail_nth, %s, %s mirror", eng_name(e),
		 fresh ? "fresh" : "live, one page invalidated");
	if (map != GUPDEMO_DMA_MIRROR_MAP_LIVE)
		want = np;
	fill(p, len, 13);
	if (mirror(p, len, &h))
		bail_out("MIRROR failed");
	if (!fresh) {
		if (mdma(GUPDEMO_DMA_TO_DEVICE, e, h, len, NULL))
			bail_out("%s: first DMA failed", what);
		madvise(p + 2 * T.psz, T.psz, MADV_DONTNEED);
	}
	for (n = 1; n <= 50; n++) {
		if (g_write_u64(FAIL_NTH, (uint64_t)n))
			bail_out("cannot write " FAIL_NTH);
		ret = mdma(GUPDEMO_DMA_TO_DEVICE, e, h, len, &d);
		g_read_u64(FAIL_NTH, &left);
		if (ret != -ENOMEM)
			break;
		if (left || stat_of("mirror_live_entries") !=
			    mquery(h).live_nmapped) {
			all = false;
			fail("%s: fail_nth=%d: countdown left %llu, debugfs "
			     "entries %lld, the mirror's %u", what, n,
			     (unsigned long long)left,
			     (long long)stat_of("mirror_live_entries"),
			     mquery(h).live_nmapped);
		}
	}
	ok(all, "%s: each of the first %d steps failed alone with ENOMEM",
	   what, n - 1);
	is_errno(ret, 0, "%s: fail_nth=%d succeeds", what, n);
	g_write_u64(FAIL_NTH, 0);
	/* Entries a failed step mapped stay mapped: at most @want here. */
	ok(d.mirror_map == map && d.mirror_mapped <= want &&
	   mquery(h).live_nmapped == (map == GUPDEMO_DMA_MIRROR_MAP_LIVE ?
				      np : 0),
	   "%s: the call that succeeded: %s, %u mapped (at most %u), every "
	   "entry mapped now", what, map_name(d.mirror_map), d.mirror_mapped,
	   want);
	gupdemo_unmirror(T.fd, h);
	check_live_left(0, 0, "fail_nth: after UNMIRROR");
	munmap(p, len);
}

/* ---- main ---- */

static void find_edu(void)
{
	DIR *d = opendir(EDU_DRV);
	struct dirent *ent;

	T.edu_bdf[0] = '\0';
	if (!d)
		return;
	while ((ent = readdir(d)))
		if (!strncmp(ent->d_name, "0000:", 5))
			snprintf(T.edu_bdf, sizeof(T.edu_bdf), "%.31s",
				 ent->d_name);
	closedir(d);
}

/* One past the highest System RAM address (/proc/iomem, as root). */
static uint64_t ram_top(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	unsigned long long a, b, top = 0;
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (line[0] != ' ' && strstr(line, ": System RAM") &&
		    sscanf(line, "%llx-%llx", &a, &b) == 2 && b + 1 > top)
			top = b + 1;
	if (f)
		fclose(f);
	return top;
}

/*
 * Whether edu can have a live mapping: hmm_dma_map_alloc() refuses an
 * addressing-limited device, one whose mask is below what the DMA layer
 * requires: 32 bits behind an IOMMU, all of RAM without one.
 */
static bool edu_can_live(uint64_t bits)
{
	char path[128];
	bool iommu;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 T.edu_bdf);
	iommu = access(path, F_OK) == 0;
	if (bits >= 64)
		return true;
	if (iommu)
		return bits >= 32;
	return ram_top() <= (1ULL << bits);
}

static void setup(void)
{
	struct gupdemo_info info = { 0 };
	uint32_t kver = g_kernel_version();
	uint64_t bits = 0;

	T.psz = (size_t)sysconf(_SC_PAGESIZE);
	T.fd = g_open();
	if (gupdemo_get_info(T.fd, &info))
		bail_out("GET_INFO failed");
	if (!(info.features & GUPDEMO_FEAT_MIRROR)) {
		skip(1, "the kernel has no HMM_MIRROR: no mirrors at all");
		exit(done_testing());
	}
	T.live = info.features & GUPDEMO_FEAT_MIRROR_LIVE;
	ok(T.live == (kver >= KV(6, 16, 0)),
	   "GET_INFO: MIRROR_LIVE %s on this kernel (<linux/hmm-dma.h> since "
	   "6.16)", T.live ? "set" : "clear");
	T.edu = info.features & GUPDEMO_FEAT_ENGINE_EDU;
	find_edu();
	g_param_get("edu_dma_bits", &bits);
	T.edu_live = T.live && T.edu && edu_can_live(bits);
	diag("kernel %s, live mappings %s, edu %s (dma bits %llu: %s)",
	     getenv("GUPDEMO_KVER") ?: "?", T.live ? "yes" : "no",
	     T.edu ? T.edu_bdf : "absent", (unsigned long long)bits,
	     T.edu_live ? "live" : "per call");
}

int main(void)
{
	setup();
	t_counts(GUPDEMO_ENGINE_SOFT, 8);
	if (T.edu)
		t_counts(GUPDEMO_ENGINE_EDU, 3);
	else
		skip(1, "edu is not bound: its counts");
	if (T.edu)
		t_other();
	else
		skip(1, "edu is not bound: a second engine");
	t_measure(GUPDEMO_ENGINE_SOFT, 1024, false);
	t_measure(GUPDEMO_ENGINE_SOFT, 1024, true);
	if (T.edu)
		t_measure(GUPDEMO_ENGINE_EDU, 16, false);
	t_race(GUPDEMO_ENGINE_SOFT, false);
	t_race(GUPDEMO_ENGINE_SOFT, true);
	if (T.edu)
		t_race(GUPDEMO_ENGINE_EDU, false);
	t_close_exit();
	t_faults(GUPDEMO_ENGINE_SOFT, true);
	t_faults(GUPDEMO_ENGINE_SOFT, false);
	if (T.edu)
		t_faults(GUPDEMO_ENGINE_EDU, false);
	if (T.edu && T.edu_bdf[0]) {
		t_unbind();
		t_stuck();
	}
	else
		skip(1, "edu is not bound: unbind with a live mapping");
	g_check_nothing_held(T.fd, "the end");
	check_live_left(0, 0, "the end");
	return done_testing();
}
