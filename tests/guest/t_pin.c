// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the pinning engine.
 *
 * Every scenario measures nr_foll_pin_acquired / nr_foll_pin_released
 * exactly (after stat_refresh) and checks that the module holds nothing
 * afterwards.  Expectations that differ between kernels are chosen from the
 * running kernel's version, never loosened.  Runs as root in a guest with
 * >= 1 GiB (THP) and the module loaded by init.
 */
#include <linux/capability.h>
#include <linux/loop.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>

#include "gupdemo-lab.h"
#include "guest.h"

#define N		16	/* pages of the basic scenarios */
#define HPAGE		GUPDEMO_HUGE_SIZE
#define NTHP		2	/* huge pages in the THP / hugetlb scenarios */
/*
 * A held pin of NTHP whole 2 MiB folios is a run or two (8 bytes each):
 * far less than the 8 bytes a page an array of page pointers would take.
 * A quarter of a byte a page leaves room for the pin's own struct.
 */
#define HUGE_KMEM	(NTHP * (int64_t)(HPAGE / 4096) / 4)

#define W		GUPDEMO_PIN_WRITE
#define LT		GUPDEMO_PIN_LONGTERM
#define NOFAULT		GUPDEMO_PIN_NOFAULT
#define NORETRY		GUPDEMO_PIN_NO_RETRY

#define ANY		(-1)	/* a QUERY field that is not checked */

static int fd;
static size_t psz;
static uint32_t kver;
static struct gupdemo_info info0;

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static const char *api_name(uint32_t api)
{
	const char *n = "api?";

	gupdemo_api_name(api, &n);
	return n;
}

/* "W|LT" style names of pin flags, for descriptions. */
static const char *flags_name(uint32_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", flags & W ? "W" : "R",
		 flags & LT ? "|LONGTERM" : "", flags & NOFAULT ? "|NOFAULT" : "",
		 flags & NORETRY ? "|NO_RETRY" : "",
		 flags & ~GUPDEMO_PIN_ALL ? "|unknown" : "");
	return buf;
}

static int do_pin(int f, const void *addr, size_t len, uint32_t api,
		  uint32_t flags, uint32_t batch, struct gupdemo_pin *out)
{
	struct gupdemo_pin p = {
		.addr = (uintptr_t)addr, .len = len, .api = api,
		.flags = flags, .batch = batch,
	};
	int ret = gupdemo_pin(f, &p);

	if (out)
		*out = p;
	return ret;
}

static int do_query(int f, uint32_t handle, struct gupdemo_query *q)
{
	memset(q, 0, sizeof(*q));
	q->handle = handle;
	return gupdemo_query(f, q);
}

static uint64_t failures_total(void)
{
	struct gupdemo_info i;

	if (gupdemo_get_info(fd, &i))
		return 0;
	return i.failures_total;
}

/* One TAP line: both deltas since @before. */
__attribute__((format(printf, 4, 5)))
static bool delta_is(const struct gupdemo_vmstat *before, int64_t acq,
		     int64_t rel, const char *fmt, ...)
{
	struct gupdemo_vmstat now = g_vmstat();
	int64_t da = (int64_t)(now.acquired - before->acquired);
	int64_t dr = (int64_t)(now.released - before->released);
	char desc[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (!ok(da == acq && dr == rel, "%s: delta acquired/released = %lld/%lld",
		desc, (long long)acq, (long long)rel)) {
		diag("    got delta acquired/released = %lld/%lld", (long long)da,
		     (long long)dr);
		return false;
	}
	return true;
}

/*
 * Counters once the releases the bio completion does just after the read
 * returned are done (gupdemo_vmstat_settle(), up to 2 s).
 */
static struct gupdemo_vmstat wait_balanced(const struct gupdemo_vmstat *before)
{
	struct gupdemo_vmstat now;
	int ret = gupdemo_vmstat_settle(before, &now, 2000);

	if (ret && ret != -ETIMEDOUT)
		bail_out("reading /proc/vmstat: %s", strerror(-ret));
	return now;
}

/* One TAP line: whatever was pinned since @before was released again. */
static bool balanced_since(const struct gupdemo_vmstat *before,
			   const char *what)
{
	struct gupdemo_vmstat now = g_vmstat();
	uint64_t da = now.acquired - before->acquired;
	uint64_t dr = now.released - before->released;

	return ok(da == dr, "%s: delta acquired == delta released (%llu/%llu)",
		  what, (unsigned long long)da, (unsigned long long)dr);
}

/* Waits up to ~1 s for the module to hold nothing (a dying task's files). */
static void wait_nothing_held(void)
{
	for (int i = 0; i < 100; i++) {
		struct gupdemo_info inf;

		if (gupdemo_get_info(fd, &inf) == 0 && inf.pins_held == 0)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
}

static bool held_nothing(const char *what)
{
	return g_check_nothing_held(fd, what);
}

/* VmPin of this process, in pages. */
static int64_t vmpin_pages(void)
{
	char buf[4096], *p;

	if (g_read_file("/proc/self/status", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "VmPin:");
	if (!p)
		return -1;
	return strtoll(p + 6, NULL, 10) * 1024 / (int64_t)psz;
}

/* @kmem_max: a bound on QUERY.kmem_bytes beyond the general one, or 0. */
struct qexp {
	int64_t npages, npinned, nfolios, nzero, kmem_max;
};

/*
 * What any held pin may cost the module (QUERY.kmem_bytes): its struct and
 * at most 8 bytes a page, the entries array rounded up by the allocator
 * (kmalloc's power-of-two sizes, or whole pages from vmalloc).
 */
#define KMEM_PIN_CONST	128
static int64_t kmem_bound(int64_t npages)
{
	int64_t pow2 = 1;

	while (pow2 < npages)
		pow2 <<= 1;
	return KMEM_PIN_CONST + 8 * pow2;
}

/*
 * A pin that must work: pin, QUERY, check the counters while it is held,
 * unpin, check them again and that the module holds nothing.
 * @exp_acq is the pin-counter delta of the pin (0 for FOLL_GET or zero
 * pages); the release delta must be the same after the unpin.  @transient
 * pages were pinned and released again inside the call (GUP-fast grabbing
 * a page before it finds it must fall back): they are in both deltas.
 */
static void pin_ok_t(const void *addr, size_t len, uint32_t api,
		     uint32_t flags, uint32_t batch, struct qexp q,
		     int64_t exp_acq, int64_t transient, const char *what)
{
	struct gupdemo_vmstat before = g_vmstat();
	struct gupdemo_query qr;
	struct gupdemo_pin p;
	char fl[64], desc[256];
	int ret;

	snprintf(desc, sizeof(desc), "%s: %s %s", what, api_name(api),
		 flags_name(flags, fl, sizeof(fl)));
	ret = do_pin(fd, addr, len, api, flags, batch, &p);
	if (!is_errno(ret, 0, "%s: pin succeeds", desc)) {
		delta_is(&before, 0, 0, "%s: after the failed pin", desc);
		held_nothing(desc);
		return;
	}
	ok(p.handle > 0 && p.npages == (uint64_t)q.npages,
	   "%s: handle %u, %lld pages pinned", desc, p.handle,
	   (long long)q.npages);
	if (p.npages != (uint64_t)q.npages)
		diag("    got npages %llu", (unsigned long long)p.npages);

	ret = do_query(fd, p.handle, &qr);
	if (!ok(ret == 0 && qr.npages == (uint64_t)q.npages &&
		(q.npinned == ANY || qr.npinned == (uint64_t)q.npinned) &&
		(q.nfolios == ANY || qr.nfolios == (uint64_t)q.nfolios) &&
		(q.nzero == ANY || qr.nzero == (uint64_t)q.nzero) &&
		qr.api == api && qr.pin_flags == flags &&
		qr.addr == (uintptr_t)addr && qr.len == len,
		"%s: QUERY npages %lld npinned %lld nfolios %lld nzero %lld, "
		"api/flags/addr/len echoed", desc, (long long)q.npages,
		(long long)q.npinned, (long long)q.nfolios, (long long)q.nzero))
		diag("    got ret %d npages %llu npinned %llu nfolios %llu nzero "
		     "%llu api %u flags 0x%x", ret,
		     (unsigned long long)qr.npages,
		     (unsigned long long)qr.npinned,
		     (unsigned long long)qr.nfolios,
		     (unsigned long long)qr.nzero, qr.api, qr.pin_flags);

	if (ret == 0) {
		int64_t max = q.kmem_max ? q.kmem_max : kmem_bound(q.npages);

		ok(qr.kmem_bytes > 0 && (int64_t)qr.kmem_bytes <= max,
		   "%s: QUERY kmem_bytes %llu <= %lld (%.2f bytes a page)", desc,
		   (unsigned long long)qr.kmem_bytes, (long long)max,
		   (double)qr.kmem_bytes / (double)(q.npages ? q.npages : 1));
	}

	delta_is(&before, exp_acq + transient, transient, "%s: while pinned",
		 desc);
	is_errno(gupdemo_unpin_handle(fd, p.handle, 0), 0, "%s: unpin", desc);
	delta_is(&before, exp_acq + transient, exp_acq + transient,
		 "%s: after unpin", desc);
	held_nothing(desc);
}

static void pin_ok(const void *addr, size_t len, uint32_t api, uint32_t flags,
		   uint32_t batch, struct qexp q, int64_t exp_acq,
		   const char *what)
{
	pin_ok_t(addr, len, api, flags, batch, q, exp_acq, 0, what);
}

/*
 * 6.2+ unshares page cache pages of a MAP_PRIVATE mapping for a R/O
 * long-term pin.  GUP-fast first grabs (pins) the first page, sees that it
 * must be unshared, releases it and falls back to the slow path: one
 * transient pin, counted in both counters.
 */
static int64_t fast_unshare_transient(uint32_t api)
{
	return api == GUPDEMO_API_PIN_FAST && kver >= KV(6, 2, 0) ? 1 : 0;
}

/*
 * A pin that must fail with @exp_errno.  @rolled is how many pages GUP
 * pinned before the failure and the module released again (the counters
 * move by it in both directions).
 */
static void pin_err(const void *addr, size_t len, uint32_t api, uint32_t flags,
		    uint32_t batch, int exp_errno, int64_t rolled,
		    const char *what)
{
	struct gupdemo_vmstat before = g_vmstat();
	uint64_t fails = failures_total();
	struct gupdemo_pin p;
	char fl[64];
	int ret;

	ret = do_pin(fd, addr, len, api, flags, batch, &p);
	is_errno(ret, exp_errno, "%s: %s %s -> %s", what, api_name(api),
		 flags_name(flags, fl, sizeof(fl)), strerrorname_np(exp_errno));
	if (ret == 0)
		gupdemo_unpin_handle(fd, p.handle, 0);
	delta_is(&before, rolled, rolled, "%s: nothing left pinned", what);
	ok(failures_total() == fails + (ret ? 1 : 0),
	   "%s: failures_total counts the failed call", what);
	held_nothing(what);
}

/* ------------------------------------------------------------------ */
/* tables of PIN rows                                                  */
/* ------------------------------------------------------------------ */

/* Pins of the zero page moved the counters on some kernels. */
static bool zero_page_counted(void)
{
	/* "mm: don't pin ZERO_PAGE" is 6.5, backported to 6.1.130. */
	return kver < KV(6, 1, 130) || (kver >= KV(6, 2, 0) && kver < KV(6, 5, 0));
}

/* Where the range of a row of a PIN table lies (row_mem[] has the memory). */
enum row_at {
	AT_ABS,		/* nowhere: the offset is the address itself */
	AT_BUF,		/* 4 populated anonymous pages */
	AT_NONE,	/* 4 PROT_NONE pages */
	AT_RO,		/* 4 never-touched read-only pages */
	AT_GONE,	/* 4 pages unmapped again */
	AT_HOLE,	/* [4 populated][4 unmapped][4 populated] */
	AT_PFN,		/* the VM_PFNMAP | VM_IO page of mmap(/dev/gupdemo) */
	AT_ANON_PFN,	/* [a populated anonymous page][the PFN page] */
	AT_COUNT
};

#define ACQ_ZERO	(-2)	/* .acq: the zero page's pages, if counted */

/*
 * One PIN of a table: the range starts @pages pages + @bytes into @at and
 * is @len_pages pages + @len_bytes long (plus max_pin_pages with
 * @over_max).  It runs with @api, or with every API (@each_api; with W too
 * when @rw), unless the kernel is @until or newer.  @err 0: the pin must
 * work and QUERY must show @q, the counters move by @acq; else it must fail
 * with @err, the counters move by @rolled in both directions (pages GUP
 * pinned before the failure and the module released again; FOLL_GET pins
 * none) and nothing stays held (pin_err()).
 */
struct pin_row {
	const char *what;
	enum row_at at;
	int64_t pages, bytes, len_pages, len_bytes;
	bool over_max, each_api, rw;
	uint32_t api, flags, batch, until;
	int err;
	int64_t rolled, acq;
	struct qexp q;
};

static const uint32_t row_apis[] = {
	GUPDEMO_API_PIN_FAST, GUPDEMO_API_PIN, GUPDEMO_API_PIN_UNLOCKED,
	GUPDEMO_API_PIN_REMOTE, GUPDEMO_API_GET_FAST,
};

/* The memory the rows' ranges lie in (one mapping per enum row_at). */
static char *row_mem[AT_COUNT];

static void pin_row_run(const struct pin_row *r, uint32_t api, uint32_t flags,
			uint64_t max_pages)
{
	uintptr_t base = r->at == AT_ABS ? 0 : (uintptr_t)row_mem[r->at];
	const void *addr = (const void *)(base + (uint64_t)r->pages * psz +
					  (uint64_t)r->bytes);
	uint64_t len = (uint64_t)r->len_pages * psz + (uint64_t)r->len_bytes +
		       (r->over_max ? max_pages * psz : 0);
	int64_t acq = r->acq;

	if (r->err) {
		pin_err(addr, len, api, flags, r->batch, r->err,
			api == GUPDEMO_API_GET_FAST ? 0 : r->rolled, r->what);
		return;
	}
	if (acq == ACQ_ZERO)
		acq = zero_page_counted() ? r->q.npages : 0;
	pin_ok(addr, len, api, flags, r->batch, r->q, acq, r->what);
}

/* Runs every row of a PIN table, in order. */
static void pin_table(const struct pin_row *rows, size_t n)
{
	uint64_t max_pages = 0;

	g_param_get("max_pin_pages", &max_pages);
	for (size_t i = 0; i < n; i++) {
		const struct pin_row *r = &rows[i];
		size_t na = r->each_api ? G_N(row_apis) : 1;

		if (r->until && kver >= r->until)
			continue;
		for (size_t a = 0; a < na; a++) {
			uint32_t api = r->each_api ? row_apis[a] : r->api;

			pin_row_run(r, api, r->flags, max_pages);
			if (r->rw)
				pin_row_run(r, api, r->flags | W, max_pages);
		}
	}
}

/* ------------------------------------------------------------------ */
/* 1, 2: the APIs on populated anonymous 4K pages; FOLL_GET control   */
/* ------------------------------------------------------------------ */

/* The same pages pinned twice count twice. */
static void api_pinned_twice(char *buf)
{
	struct gupdemo_vmstat before;
	struct gupdemo_query q;
	struct gupdemo_pin a, b;
	int r1, r2;

	diag("the same pages pinned twice count twice");
	before = g_vmstat();
	r1 = do_pin(fd, buf, N * psz, GUPDEMO_API_PIN_FAST, W, 0, &a);
	r2 = do_pin(fd, buf, N * psz, GUPDEMO_API_PIN, 0, 0, &b);

	ok(r1 == 0 && r2 == 0 && a.handle != b.handle,
	   "two pins of one range: two handles");
	delta_is(&before, 2 * N, 0, "two pins of one range");
	ok(do_query(fd, b.handle, &q) == 0 && q.npinned == N,
	   "QUERY of the second pin: all pages dma-pinned");
	if (!r1)
		gupdemo_unpin_handle(fd, a.handle, 0);
	ok(do_query(fd, b.handle, &q) == 0 && q.npinned == N,
	   "after one unpin the other pin still holds every page");
	if (!r2)
		gupdemo_unpin_handle(fd, b.handle, 0);
	delta_is(&before, 2 * N, 2 * N, "two pins of one range, both unpinned");
	held_nothing("two pins of one range");
}

/* Lengths and starts on the edges of a page (buf: N populated pages). */
static const struct pin_row api_edges[] = {
	{ .what = "len 1", .at = AT_BUF, .len_bytes = 1,
	  .api = GUPDEMO_API_PIN_FAST, .flags = W, .acq = 1,
	  .q = { 1, 1, 1, 0, 0 } },
	{ .what = "len PAGE_SIZE-1", .at = AT_BUF, .len_pages = 1,
	  .len_bytes = -1, .api = GUPDEMO_API_PIN_FAST, .flags = W, .acq = 1,
	  .q = { 1, 1, 1, 0, 0 } },
	{ .what = "len PAGE_SIZE", .at = AT_BUF, .len_pages = 1,
	  .api = GUPDEMO_API_PIN_FAST, .flags = W, .acq = 1,
	  .q = { 1, 1, 1, 0, 0 } },
	{ .what = "len PAGE_SIZE+1", .at = AT_BUF, .len_pages = 1,
	  .len_bytes = 1, .api = GUPDEMO_API_PIN_FAST, .flags = W, .acq = 2,
	  .q = { 2, 2, 2, 0, 0 } },
	{ .what = "2 bytes across a page boundary", .at = AT_BUF, .pages = 1,
	  .bytes = -1, .len_bytes = 2, .api = GUPDEMO_API_PIN, .flags = W,
	  .acq = 2, .q = { 2, 2, 2, 0, 0 } },
	{ .what = "unaligned start, 2 pages long", .at = AT_BUF, .bytes = 100,
	  .len_pages = 2, .api = GUPDEMO_API_PIN_FAST, .acq = 3,
	  .q = { 3, 3, 3, 0, 0 } },
	{ .what = "last byte of the buffer", .at = AT_BUF, .pages = N,
	  .bytes = -1, .len_bytes = 1, .api = GUPDEMO_API_PIN_UNLOCKED,
	  .flags = W, .acq = 1, .q = { 1, 1, 1, 0, 0 } },
};

/* Several GUP calls per pin (.batch). */
static const struct pin_row api_batches[] = {
	{ .what = "batch 1", .at = AT_BUF, .len_pages = N,
	  .api = GUPDEMO_API_PIN_FAST, .flags = W, .batch = 1, .acq = N,
	  .q = { N, N, N, 0, 0 } },
	{ .what = "batch 3", .at = AT_BUF, .len_pages = N,
	  .api = GUPDEMO_API_PIN, .flags = W, .batch = 3, .acq = N,
	  .q = { N, N, N, 0, 0 } },
	{ .what = "batch 5", .at = AT_BUF, .len_pages = N,
	  .api = GUPDEMO_API_PIN_REMOTE, .flags = W | LT, .batch = 5, .acq = N,
	  .q = { N, N, N, 0, 0 } },
	{ .what = "batch N+1", .at = AT_BUF, .len_pages = N,
	  .api = GUPDEMO_API_PIN_FAST, .flags = W, .batch = N + 1, .acq = N,
	  .q = { N, N, N, 0, 0 } },
	{ .what = "FOLL_GET batch 3", .at = AT_BUF, .len_pages = N,
	  .api = GUPDEMO_API_GET_FAST, .flags = W, .batch = 3,
	  .q = { N, 0, N, 0, 0 } },
};

static void test_apis(void)
{
	static const uint32_t apis[] = {
		GUPDEMO_API_PIN_FAST, GUPDEMO_API_PIN,
		GUPDEMO_API_PIN_UNLOCKED, GUPDEMO_API_PIN_REMOTE,
	};
	static const uint32_t flagsets[] = { W, 0, W | LT, LT };
	char *buf = g_map_anon(N, true);
	struct qexp full = { N, N, N, 0, 0 };

	diag("1. pin APIs on %d populated anonymous 4K pages", N);
	for (size_t a = 0; a < sizeof(apis) / sizeof(apis[0]); a++) {
		for (size_t f = 0; f < sizeof(flagsets) / sizeof(flagsets[0]); f++) {
			uint32_t api = apis[a], flags = flagsets[f];

			/* FOLL_LONGTERM with *_unlocked(): WARN before 6.3. */
			if (api == GUPDEMO_API_PIN_UNLOCKED && (flags & LT) &&
			    kver < KV(6, 3, 0)) {
				pin_err(buf, N * psz, api, flags, 0, EINVAL, 0,
					"anon 4K (LONGTERM unlocked refused before 6.3)");
				continue;
			}
			pin_ok(buf, N * psz, api, flags, 0, full, N, "anon 4K");
		}
	}

	diag("2. FOLL_GET control group: get_user_pages_fast() moves no pin counter");
	pin_ok(buf, N * psz, GUPDEMO_API_GET_FAST, W, 0,
	       (struct qexp){ N, 0, N, 0, 0 }, 0, "anon 4K FOLL_GET");
	pin_ok(buf, N * psz, GUPDEMO_API_GET_FAST, 0, 0,
	       (struct qexp){ N, 0, N, 0, 0 }, 0, "anon 4K FOLL_GET");
	pin_err(buf, N * psz, GUPDEMO_API_GET_FAST, LT, 0, EINVAL, 0,
		"FOLL_GET + LONGTERM refused before GUP");
	pin_err(buf, N * psz, GUPDEMO_API_GET_FAST, W | LT, 0, EINVAL, 0,
		"FOLL_GET + LONGTERM refused before GUP");

	diag("pin_user_pages_fast_only(): present before 6.3 only");
	ok(!!(info0.features & GUPDEMO_FEAT_PIN_FAST_ONLY) == (kver < KV(6, 3, 0)),
	   "FEAT_PIN_FAST_ONLY matches the kernel version");
	if (kver < KV(6, 3, 0))
		pin_ok(buf, N * psz, GUPDEMO_API_PIN_FAST_ONLY, W, 0, full, N,
		       "anon 4K populated");
	else
		pin_err(buf, N * psz, GUPDEMO_API_PIN_FAST_ONLY, W, 0,
			EOPNOTSUPP, 0, "FAST_ONLY on a kernel without it");

	row_mem[AT_BUF] = buf;
	diag("edges: sizes and alignment");
	pin_table(api_edges, G_N(api_edges));
	diag("batches: several GUP calls per pin");
	pin_table(api_batches, G_N(api_batches));

	api_pinned_twice(buf);
	munmap(buf, N * psz);
}

/* ------------------------------------------------------------------ */
/* 3, 4: THP and hugetlb                                               */
/* ------------------------------------------------------------------ */

/* AnonHugePages of the mapping containing @addr, in kB (-1 if unknown). */
static long anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;

		/* Mapping lines start "lo-hi "; field lines "Name: ...". */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) {
			in = lo <= (uintptr_t)addr && (uintptr_t)addr < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void test_thp(void)
{
	char thp[256] = "", *p;
	size_t len = NTHP * HPAGE;
	struct gupdemo_buf b;
	size_t hp = HPAGE / psz; /* base pages per huge page */
	const char *off;
	long kb;
	int ret;

	diag("3. THP: %d huge pages, MADV_HUGEPAGE", NTHP);
	g_read_file(G_THP_DIR "/enabled", thp, sizeof(thp));
	if (strstr(thp, "[never]"))
		g_write_file(G_THP_DIR "/enabled", "madvise");
	off = g_thp_off_reason();
	if (off) {
		skip(1, "THP scenarios: %s", off);
		return;
	}
	ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_THP, len, GUPDEMO_BUF_TOUCH);
	if (ret)
		bail_out("THP buffer (MADV_HUGEPAGE) of %zu bytes: %s", len,
			 strerror(-ret));
	p = b.p;
	kb = anon_huge_kb(p);
	if (!ok(kb >= (long)(len >> 10), "THP: the buffer is backed by huge pages "
		"(AnonHugePages %ld kB)", kb)) {
		gupdemo_buf_free(&b);
		return;
	}

	pin_ok(p, len, GUPDEMO_API_PIN_FAST, W, 0,
	       (struct qexp){ NTHP * hp, NTHP * hp, NTHP, 0, HUGE_KMEM }, NTHP * hp,
	       "THP whole");
	pin_ok(p, len, GUPDEMO_API_PIN, 0, 0,
	       (struct qexp){ NTHP * hp, NTHP * hp, NTHP, 0, HUGE_KMEM }, NTHP * hp,
	       "THP whole");
	pin_ok(p, len, GUPDEMO_API_PIN_REMOTE, W | LT, 0,
	       (struct qexp){ NTHP * hp, NTHP * hp, NTHP, 0, HUGE_KMEM }, NTHP * hp,
	       "THP whole");
	pin_ok(p, len, GUPDEMO_API_PIN_FAST, W | LT, 100,
	       (struct qexp){ NTHP * hp, NTHP * hp, NTHP, 0, HUGE_KMEM }, NTHP * hp,
	       "THP whole, batch 100");
	pin_ok(p, len, GUPDEMO_API_GET_FAST, W, 0,
	       (struct qexp){ NTHP * hp, 0, NTHP, 0, HUGE_KMEM }, 0, "THP FOLL_GET");
	pin_ok(p + 100 * psz, 5 * psz, GUPDEMO_API_PIN_FAST, W, 0,
	       (struct qexp){ 5, 5, 1, 0, 0 }, 5, "THP 5 pages inside one");
	pin_ok(p + HPAGE - psz, 3 * psz, GUPDEMO_API_PIN_FAST, W, 0,
	       (struct qexp){ 3, 3, 2, 0, 0 }, 3, "THP 3 pages across two");
	ok(anon_huge_kb(p) >= (long)(len >> 10),
	   "THP: still huge pages after the pins (nothing was split)");
	gupdemo_buf_free(&b);
}

static void test_hugetlb(void)
{
	uint64_t old = 0, now = 0;
	size_t hp = HPAGE / psz;
	char mi[4096] = "", *p;
	struct gupdemo_buf b;
	int ret;

	diag("4. hugetlb: %d reserved 2 MiB pages", NTHP);
	g_read_file("/proc/meminfo", mi, sizeof(mi));
	if (!strstr(mi, "Hugepagesize:       2048 kB")) {
		skip(1, "default huge page size is not 2 MiB");
		return;
	}
	g_read_u64("/proc/sys/vm/nr_hugepages", &old);
	g_write_u64("/proc/sys/vm/nr_hugepages", old + NTHP);
	g_read_u64("/proc/sys/vm/nr_hugepages", &now);
	if (now < old + NTHP) {
		skip(1, "could not reserve %d hugetlb pages (got %llu)", NTHP,
		     (unsigned long long)(now - old));
		g_write_u64("/proc/sys/vm/nr_hugepages", old);
		return;
	}
	ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_HUGETLB, NTHP * HPAGE,
				GUPDEMO_BUF_TOUCH);
	if (!ok(ret == 0, "hugetlb: mmap(MAP_HUGETLB) of %d pages", NTHP)) {
		g_write_u64("/proc/sys/vm/nr_hugepages", old);
		return;
	}
	p = b.p;
	pin_ok(p, NTHP * HPAGE, GUPDEMO_API_PIN_FAST, W, 0,
	       (struct qexp){ NTHP * hp, NTHP * hp, NTHP, 0, HUGE_KMEM }, NTHP * hp,
	       "hugetlb whole");
	pin_ok(p, NTHP * HPAGE, GUPDEMO_API_PIN, W | LT, 0,
	       (struct qexp){ NTHP * hp, NTHP * hp, NTHP, 0, HUGE_KMEM }, NTHP * hp,
	       "hugetlb whole");
	pin_ok(p, NTHP * HPAGE, GUPDEMO_API_PIN_UNLOCKED, 0, 64,
	       (struct qexp){ NTHP * hp, NTHP * hp, NTHP, 0, HUGE_KMEM }, NTHP * hp,
	       "hugetlb whole, batch 64");
	pin_ok(p, NTHP * HPAGE, GUPDEMO_API_GET_FAST, 0, 0,
	       (struct qexp){ NTHP * hp, 0, NTHP, 0, HUGE_KMEM }, 0, "hugetlb FOLL_GET");
	pin_ok(p + HPAGE - 2 * psz, 4 * psz, GUPDEMO_API_PIN_FAST, W, 0,
	       (struct qexp){ 4, 4, 2, 0, 0 }, 4, "hugetlb 4 pages across two");
	gupdemo_buf_free(&b);
	g_write_u64("/proc/sys/vm/nr_hugepages", old);
}

/* ------------------------------------------------------------------ */
/* 5: shmem, memfd, tmpfs and ext4 file mappings                      */
/* ------------------------------------------------------------------ */

#define FP 8	/* pages of the file scenarios */

/* R/O, R/W, short-term and long-term pins of a mapping that allows all. */
static void file_all_ok(char *p, const char *what)
{
	static const uint32_t flagsets[] = { 0, W, LT, W | LT };
	struct qexp q = { FP, FP, ANY, 0, 0 };

	for (size_t f = 0; f < sizeof(flagsets) / sizeof(flagsets[0]); f++)
		pin_ok(p, FP * psz, GUPDEMO_API_PIN_FAST, flagsets[f], 0, q, FP,
		       what);
	pin_ok(p, FP * psz, GUPDEMO_API_PIN, W | LT, 0, q, FP, what);
	pin_ok(p, FP * psz, GUPDEMO_API_GET_FAST, W, 0,
	       (struct qexp){ FP, ANY, ANY, 0, 0 }, 0, what);
}

static char *map_file(int f, int prot, int flags, bool write_touch)
{
	char *p = mmap(NULL, FP * psz, prot, flags, f, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < FP; i++) {
		if (write_touch)
			p[i * psz] = (char)('a' + i);
		else
			(void)*(volatile char *)(p + i * psz);
	}
	return p;
}

static void test_private_file(int f, const char *what)
{
	char desc[96];
	char *p = map_file(f, PROT_READ | PROT_WRITE, MAP_PRIVATE, false);
	struct qexp q = { FP, FP, ANY, 0, 0 };

	snprintf(desc, sizeof(desc), "%s MAP_PRIVATE", what);
	if (!ok(p != NULL, "%s: mmap", desc))
		return;
	/* Page cache pages; long-term R/O unshares them into anon on 6.2+. */
	pin_ok(p, FP * psz, GUPDEMO_API_PIN_FAST, 0, 0, q, FP, desc);
	pin_ok(p, FP * psz, GUPDEMO_API_PIN, LT, 0, q, FP, desc);
	munmap(p, FP * psz);
	p = map_file(f, PROT_READ | PROT_WRITE, MAP_PRIVATE, false);
	if (!ok(p != NULL, "%s: mmap again", desc))
		return;
	pin_ok_t(p, FP * psz, GUPDEMO_API_PIN_FAST, LT, 0, q, FP,
		 fast_unshare_transient(GUPDEMO_API_PIN_FAST), desc);
	pin_ok(p, FP * psz, GUPDEMO_API_PIN, 0, 0, q, FP, desc);
	/* Writable: COW into anonymous pages first. */
	pin_ok(p, FP * psz, GUPDEMO_API_PIN_FAST, W, 0, q, FP, desc);
	pin_ok(p, FP * psz, GUPDEMO_API_PIN_FAST, W | LT, 0, q, FP, desc);
	munmap(p, FP * psz);
}

static bool write_pages(int f, size_t npages, char fill)
{
	char *b = malloc(npages * psz);
	bool good;

	memset(b, fill, npages * psz);
	good = pwrite(f, b, npages * psz, 0) == (ssize_t)(npages * psz) &&
	       fsync(f) == 0;
	free(b);
	return good;
}

static void test_shmem_memfd_tmpfs(void)
{
	struct statfs sfs;
	char *p;
	int f;

	diag("5. shmem, memfd, tmpfs");
	p = mmap(NULL, FP * psz, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ok(p != MAP_FAILED, "shmem: mmap(MAP_SHARED | MAP_ANONYMOUS)")) {
		memset(p, 's', FP * psz);
		file_all_ok(p, "shmem");
		munmap(p, FP * psz);
	}

	f = memfd_create("t_pin", MFD_CLOEXEC);
	if (ok(f >= 0 && ftruncate(f, FP * psz) == 0, "memfd: create, size")) {
		p = map_file(f, PROT_READ | PROT_WRITE, MAP_SHARED, true);
		if (ok(p != NULL, "memfd: mmap MAP_SHARED")) {
			file_all_ok(p, "memfd MAP_SHARED");
			munmap(p, FP * psz);
		}
		test_private_file(f, "memfd");
		close(f);
	}

	f = open("/tmp/t_pin.tmpfs", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (ok(f >= 0 && fstatfs(f, &sfs) == 0 && sfs.f_type == 0x01021994,
	       "tmpfs: /tmp is tmpfs, file created")) {
		write_pages(f, FP, 't');
		p = map_file(f, PROT_READ | PROT_WRITE, MAP_SHARED, true);
		if (ok(p != NULL, "tmpfs: mmap MAP_SHARED")) {
			file_all_ok(p, "tmpfs MAP_SHARED");
			munmap(p, FP * psz);
		}
		test_private_file(f, "tmpfs");
	}
	if (f >= 0)
		close(f);
	unlink("/tmp/t_pin.tmpfs");
}

/* ---- ext4 on a loop device made in the guest ---- */

#define EXT4_IMG	"/tmp/t_pin.ext4"
#define EXT4_MNT	"/tmp/t_pin.mnt"

static int run_quiet(const char *const argv[])
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], (char *const *)argv);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char loopdev[32];

static bool ext4_mount(void)
{
	static const char *const mkfs_real[] = {
		"/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", EXT4_IMG, NULL };
	static const char *const mkfs_bb[] = {
		"mke2fs", "-F", "-b", "4096", EXT4_IMG, NULL };
	int img, ctl, lfd, n;

	img = open(EXT4_IMG, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (img < 0 || ftruncate(img, 32 << 20))
		return fail("ext4: create a 32 MiB image in /tmp");
	close(img);
	if (run_quiet(mkfs_real) != 0 && run_quiet(mkfs_bb) != 0)
		return fail("ext4: mke2fs on the image");
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	n = ctl >= 0 ? ioctl(ctl, LOOP_CTL_GET_FREE) : -1;
	if (ctl >= 0)
		close(ctl);
	if (n < 0)
		return fail("ext4: a free loop device (/dev/loop-control: %s)",
			    strerror(errno));
	snprintf(loopdev, sizeof(loopdev), "/dev/loop%d", n);
	lfd = open(loopdev, O_RDWR | O_CLOEXEC);
	img = open(EXT4_IMG, O_RDWR | O_CLOEXEC);
	if (lfd < 0 || img < 0 || ioctl(lfd, LOOP_SET_FD, img)) {
		int err = errno;

		if (lfd >= 0)
			close(lfd);
		if (img >= 0)
			close(img);
		return fail("ext4: attach the image to %s (%s)", loopdev,
			    strerror(err));
	}
	close(img);
	mkdir(EXT4_MNT, 0755);
	if (mount(loopdev, EXT4_MNT, "ext4", 0, NULL)) {
		int err = errno;

		ioctl(lfd, LOOP_CLR_FD, 0);
		close(lfd);
		return fail("ext4: mount %s (%s)", loopdev, strerror(err));
	}
	/* The mount holds the loop device; clear it when unmounted. */
	{
		struct loop_info64 li;

		memset(&li, 0, sizeof(li));
		if (ioctl(lfd, LOOP_GET_STATUS64, &li) == 0) {
			li.lo_flags |= LO_FLAGS_AUTOCLEAR;
			ioctl(lfd, LOOP_SET_STATUS64, &li);
		}
	}
	close(lfd);
	return pass("ext4: image made with mke2fs, loop-mounted on " EXT4_MNT);
}

static void ext4_umount(void)
{
	ok(umount(EXT4_MNT) == 0, "ext4: unmount (nothing keeps it busy)");
	rmdir(EXT4_MNT);
	unlink(EXT4_IMG);
}

/*
 * The bio completion wakes the reader first and unpins after, so a reading
 * taken the moment pread() returns can show released behind acquired (on
 * 6.12-rt about 1 read in 750).  Every scenario that measures across an
 * O_DIRECT read must wait for that (gupdemo_vmstat_settle()); this checks
 * the wait is exact: many reads, each +np/+np once settled on 6.3+, +0/+0
 * before.  How many were late is reported, not asserted.
 */
#define ODIRECT_READS 1000
static void odirect_late(int f, char *buf, size_t np)
{
	uint64_t want = kver >= KV(6, 3, 0) ? np : 0;
	unsigned int late = 0, wrong = 0, timeouts = 0;
	struct gupdemo_vmstat before, now, after;
	int ret;

	for (int i = 0; i < ODIRECT_READS; i++) {
		before = g_vmstat();
		if (pread(f, buf, np * psz, 0) != (ssize_t)(np * psz)) {
			wrong++;
			break;
		}
		now = g_vmstat();
		late += now.released - before.released !=
			now.acquired - before.acquired;
		ret = gupdemo_vmstat_settle(&before, &after, 2000);
		if (ret == -ETIMEDOUT)
			timeouts++;
		else if (ret)
			bail_out("reading /proc/vmstat: %s", strerror(-ret));
		if (after.acquired - before.acquired != want ||
		    after.released - before.released != want) {
			if (!wrong)
				diag("    read %d: +%llu/+%llu, expected +%llu/+%llu",
				     i, (unsigned long long)(after.acquired - before.acquired),
				     (unsigned long long)(after.released - before.released),
				     (unsigned long long)want, (unsigned long long)want);
			wrong++;
		}
	}
	diag("    %u of %d O_DIRECT reads had released behind acquired when "
	     "pread() returned", late, ODIRECT_READS);
	ok(!wrong && !timeouts, "O_DIRECT: %d reads, each +%llu/+%llu once "
	   "the completion's unpin is waited for (%u wrong, %u timed out)",
	   ODIRECT_READS, (unsigned long long)want, (unsigned long long)want,
	   wrong, timeouts);
}

static void test_odirect(void)
{
	const size_t np = 16;
	struct gupdemo_vmstat before;
	char *buf;
	ssize_t n;
	bool data_ok = true;
	int f;

	diag("13. O_DIRECT read into a buffer (seed 004)");
	f = open(EXT4_MNT "/dio", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (!ok(f >= 0 && write_pages(f, np, 'd'), "O_DIRECT: file of %zu pages "
		"written and synced", np)) {
		if (f >= 0)
			close(f);
		return;
	}
	close(f);
	f = open(EXT4_MNT "/dio", O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (!ok(f >= 0, "O_DIRECT: open")) {
		diag("    open(O_DIRECT): %s", strerror(errno));
		return;
	}
	buf = g_map_anon(np, true);
	before = g_vmstat();
	n = pread(f, buf, np * psz, 0);
	is_int(n, (ssize_t)(np * psz), "O_DIRECT: read of %zu pages", np);
	for (size_t i = 0; i < np * psz; i++)
		data_ok &= buf[i] == 'd';
	ok(data_ok, "O_DIRECT: the data arrived");
	if (kver >= KV(6, 3, 0)) {
		/* The block layer pins user pages with FOLL_PIN since 6.3. */
		struct gupdemo_vmstat after = wait_balanced(&before);
		uint64_t da = after.acquired - before.acquired;
		uint64_t dr = after.released - before.released;

		ok(da > 0 && da == dr,
		   "O_DIRECT on 6.3+: FOLL_PIN moved the counters and they "
		   "balance (delta acquired %llu, released %llu)",
		   (unsigned long long)da, (unsigned long long)dr);
	} else {
		delta_is(&before, 0, 0,
			 "O_DIRECT before 6.3 (FOLL_GET, no pin counted)");
	}
	odirect_late(f, buf, np);
	close(f);
	munmap(buf, np * psz);
}

/*
 * A FOLL_GET reference does not keep reclaim away from a page: after
 * fsync() and MADV_PAGEOUT, ext4 has cleaned the page and stripped its
 * buffers while the handle still holds it, and dirtying it then WARNs in
 * ext4_dirty_folio() (a panic here).  So the module refuses to dirty a
 * FOLL_GET handle that holds file pages: UNPIN with DIRTY and device
 * writes through it are EPERM; reading it still works.  An anonymous
 * FOLL_GET handle may be dirtied as before.
 */
static int get_dma(uint32_t op, uint32_t h)
{
	struct gupdemo_dma d = { .op = op, .engine = GUPDEMO_ENGINE_SOFT,
				 .len = 64 };

	d.flags = GUPDEMO_DMA_ALLOW_GET |
		  (op == GUPDEMO_DMA_TO_DEVICE ? GUPDEMO_DMA_SRC_HANDLE :
						 GUPDEMO_DMA_DST_HANDLE);
	if (op == GUPDEMO_DMA_TO_DEVICE)
		d.src_handle = h;
	else
		d.dst_handle = h;
	return gupdemo_dma(fd, &d);
}

static void get_dirty_one(char *p, const char *what, int want)
{
	struct gupdemo_pin pin = { .api = GUPDEMO_API_GET_FAST,
				   .flags = GUPDEMO_PIN_WRITE,
				   .addr = (uintptr_t)p, .len = FP * psz };
	struct gupdemo_unpin u = { .flags = GUPDEMO_UNPIN_DIRTY };
	struct gupdemo_vmstat before = g_vmstat();

	if (!ok(gupdemo_pin(fd, &pin) == 0, "%s: FOLL_GET WRITE handle", what))
		return;
	u.handle = pin.handle;
	ok(madvise(p, FP * psz, MADV_PAGEOUT) == 0,
	   "%s: MADV_PAGEOUT while the handle holds the pages", what);
	is_errno(get_dma(GUPDEMO_DMA_TO_DEVICE, pin.handle), 0,
		 "%s: the device reads through it (ALLOW_GET)", what);
	is_errno(get_dma(GUPDEMO_DMA_FROM_DEVICE, pin.handle), want,
		 "%s: the device writes through it -> %s", what,
		 want ? "EPERM" : "0");
	is_errno(gupdemo_unpin(fd, &u), want, "%s: UNPIN DIRTY -> %s", what,
		 want ? "EPERM" : "0");
	if (want) {
		u.flags = 0;
		is_errno(gupdemo_unpin(fd, &u), 0, "%s: UNPIN(0) releases it",
			 what);
	}
	delta_is(&before, 0, 0, what);
	g_check_nothing_held(fd, what);
}

static void test_get_dirty(int f)
{
	char *p = map_file(f, PROT_READ | PROT_WRITE, MAP_SHARED, true), *a;

	diag("5b. FOLL_GET handles are dirtied only where a reference may be");
	if (!ok(p != NULL, "ext4 FOLL_GET: mmap MAP_SHARED"))
		return;
	ok(fsync(f) == 0, "ext4 FOLL_GET: fsync() cleans the pages");
	get_dirty_one(p, "ext4 MAP_SHARED FOLL_GET", EPERM);
	munmap(p, FP * psz);
	a = g_map_anon(FP, true);
	get_dirty_one(a, "anon FOLL_GET", 0);
	munmap(a, FP * psz);
}

static void test_ext4(void)
{
	char *p;
	int f;

	diag("5. ext4 on a loop device");
	if (!ext4_mount()) {
		skip(1, "no ext4 mount");
		return;
	}
	f = open(EXT4_MNT "/data", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (ok(f >= 0 && write_pages(f, FP, 'e'), "ext4: file written")) {
		struct qexp q = { FP, FP, ANY, 0, 0 };

		p = map_file(f, PROT_READ | PROT_WRITE, MAP_SHARED, true);
		if (ok(p != NULL, "ext4: mmap MAP_SHARED")) {
			const char *d = "ext4 MAP_SHARED";

			pin_ok(p, FP * psz, GUPDEMO_API_PIN_FAST, 0, 0, q, FP, d);
			pin_ok(p, FP * psz, GUPDEMO_API_PIN_FAST, LT, 0, q, FP, d);
			pin_ok(p, FP * psz, GUPDEMO_API_PIN_FAST, W, 0, q, FP, d);
			pin_ok(p, FP * psz, GUPDEMO_API_PIN, W, 0, q, FP, d);
			/*
			 * A writable long-term pin of a file that needs dirty
			 * tracking: allowed on 6.1, refused since 6.5.
			 */
			if (kver < KV(6, 5, 0)) {
				pin_ok(p, FP * psz, GUPDEMO_API_PIN_FAST, W | LT, 0,
				       q, FP, "ext4 MAP_SHARED (allowed before 6.5)");
				pin_ok(p, FP * psz, GUPDEMO_API_PIN, W | LT, 0, q,
				       FP, "ext4 MAP_SHARED (allowed before 6.5)");
			} else {
				/*
				 * GUP-fast grabs the first page before it
				 * checks whether a long-term writable pin of
				 * it is allowed: one transient pin.
				 */
				pin_err(p, FP * psz, GUPDEMO_API_PIN_FAST, W | LT, 0,
					EFAULT, 1,
					"ext4 MAP_SHARED writable LONGTERM (6.5+, "
					"1 transient fast pin)");
				pin_err(p, FP * psz, GUPDEMO_API_PIN, W | LT, 0,
					EFAULT, 0,
					"ext4 MAP_SHARED writable LONGTERM (6.5+)");
			}
			munmap(p, FP * psz);
		}
		test_private_file(f, "ext4");
		test_get_dirty(f);
	}
	if (f >= 0)
		close(f);
	unlink(EXT4_MNT "/data");
	test_odirect();
	unlink(EXT4_MNT "/dio");
	ext4_umount();
}

/* ------------------------------------------------------------------ */
/* 6: the zero page                                                    */
/* ------------------------------------------------------------------ */

static void test_zero_page(void)
{
	const size_t np = 8;
	int64_t zc = zero_page_counted() ? np : 0;
	char *p;

	diag("6. the zero page: R/O pins of never-touched anonymous memory");
	p = g_map_anon(np, false);
	pin_ok(p, np * psz, GUPDEMO_API_PIN_FAST, 0, 0,
	       (struct qexp){ np, 0, 1, np, 0 }, zc, "never touched");
	munmap(p, np * psz);
	p = g_map_anon(np, false);
	pin_ok(p, np * psz, GUPDEMO_API_PIN, 0, 0, (struct qexp){ np, 0, 1, np, 0 },
	       zc, "never touched");
	munmap(p, np * psz);
	p = g_map_anon(np, false);
	pin_ok(p, np * psz, GUPDEMO_API_GET_FAST, 0, 0,
	       (struct qexp){ np, 0, 1, np, 0 }, 0, "never touched FOLL_GET");
	munmap(p, np * psz);

	p = g_map_anon(np, false);
	if (kver >= KV(6, 2, 0))
		/* Reliable R/O long-term pins unshare: real pages. */
		pin_ok(p, np * psz, GUPDEMO_API_PIN_FAST, LT, 0,
		       (struct qexp){ np, np, np, 0, 0 }, np,
		       "never touched, unshared on 6.2+");
	else
		pin_ok(p, np * psz, GUPDEMO_API_PIN_FAST, LT, 0,
		       (struct qexp){ np, 0, 1, np, 0 }, zc,
		       "never touched, zero pages before 6.2");
	munmap(p, np * psz);

	p = g_map_anon(np, false);
	pin_ok(p, np * psz, GUPDEMO_API_PIN_FAST, W, 0,
	       (struct qexp){ np, np, np, 0, 0 }, np,
	       "never touched, WRITE faults real pages in");
	munmap(p, np * psz);
}

/* ------------------------------------------------------------------ */
/* 7: negative cases                                                   */
/* ------------------------------------------------------------------ */

/*
 * Maps the memory of the ranges table (the PFN page comes later).  Nothing
 * may be mapped until its rows ran: it could land in AT_GONE or the hole.
 */
static void neg_mem_map(void)
{
	row_mem[AT_BUF] = g_map_anon(4, true);
	row_mem[AT_NONE] = mmap(NULL, 4 * psz, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	row_mem[AT_RO] = mmap(NULL, 4 * psz, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (row_mem[AT_NONE] == MAP_FAILED || row_mem[AT_RO] == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	row_mem[AT_HOLE] = g_map_anon(12, true);
	munmap(row_mem[AT_HOLE] + 4 * psz, 4 * psz);
	/* Last: the next mapping could take its place. */
	row_mem[AT_GONE] = g_map_anon(4, true);
	munmap(row_mem[AT_GONE], 4 * psz);
}

static void neg_mem_unmap(void)
{
	munmap(row_mem[AT_BUF], 4 * psz);
	munmap(row_mem[AT_NONE], 4 * psz);
	munmap(row_mem[AT_RO], 4 * psz);
	munmap(row_mem[AT_HOLE], 4 * psz);
	munmap(row_mem[AT_HOLE] + 8 * psz, 4 * psz);
}

/* Ranges GUP cannot pin, and the one read-only pin that works. */
static const struct pin_row neg_ranges[] = {
	{ .what = "PROT_NONE", .at = AT_NONE, .len_pages = 4,
	  .each_api = true, .err = EFAULT },
	{ .what = "read-only mapping with WRITE", .at = AT_RO, .len_pages = 4,
	  .each_api = true, .flags = W, .err = EFAULT },
	{ .what = "read-only mapping without WRITE", .at = AT_RO,
	  .len_pages = 4, .api = GUPDEMO_API_PIN_FAST, .acq = ACQ_ZERO,
	  .q = { 4, 0, 1, 4, 0 } },
	{ .what = "unmapped range", .at = AT_GONE, .len_pages = 4,
	  .each_api = true, .flags = W, .err = EFAULT },
	/* The pages before the hole are pinned, then rolled back. */
	{ .what = "hole in the middle (4 pages pinned, rolled back)",
	  .at = AT_HOLE, .len_pages = 12, .each_api = true, .flags = W,
	  .err = EFAULT, .rolled = 4 },
	{ .what = "range ending in the hole, batch 7", .at = AT_HOLE,
	  .pages = 2, .len_pages = 4, .api = GUPDEMO_API_PIN_FAST, .flags = W,
	  .batch = 7, .err = EFAULT, .rolled = 2 },
};

/* The VM_PFNMAP page alone, and after an anonymous page GUP pins first. */
static const struct pin_row neg_pfn[] = {
	{ .what = "VM_PFNMAP page", .at = AT_PFN, .len_pages = 1,
	  .each_api = true, .rw = true, .err = EFAULT },
	{ .what = "VM_PFNMAP page", .at = AT_PFN, .len_pages = 1,
	  .api = GUPDEMO_API_PIN_FAST_ONLY, .flags = W, .until = KV(6, 3, 0),
	  .err = EFAULT },
};

static const struct pin_row neg_anon_pfn[] = {
	{ .what = "anon + VM_PFNMAP (1 page rolled back)", .at = AT_ANON_PFN,
	  .len_pages = 2, .api = GUPDEMO_API_PIN_FAST, .flags = W,
	  .err = EFAULT, .rolled = 1 },
	{ .what = "anon + VM_PFNMAP (1 page rolled back)", .at = AT_ANON_PFN,
	  .len_pages = 2, .api = GUPDEMO_API_PIN, .err = EFAULT, .rolled = 1 },
};

/* Addresses and lengths PIN refuses before it pins anything. */
static const struct pin_row neg_args[] = {
	{ .what = "kernel address", .bytes = (int64_t)0xffffffff81000000ULL,
	  .len_pages = 1, .api = GUPDEMO_API_PIN_FAST, .err = EFAULT },
	{ .what = "kernel direct map address",
	  .bytes = (int64_t)0xffff888000000000ULL, .len_pages = 1,
	  .api = GUPDEMO_API_PIN, .flags = W, .err = EFAULT },
	{ .what = "range crossing the end of user space",
	  .bytes = 0x00007ffffffff000LL, .len_pages = 2,
	  .api = GUPDEMO_API_PIN_FAST, .err = EFAULT },
	{ .what = "address 0", .len_pages = 1, .api = GUPDEMO_API_PIN_FAST,
	  .err = EFAULT },
	{ .what = "len 0", .at = AT_BUF, .api = GUPDEMO_API_PIN_FAST,
	  .flags = W, .err = EINVAL },
	/* The last page of the address space, 2 pages long. */
	{ .what = "addr + len overflows", .pages = -1, .len_pages = 2,
	  .api = GUPDEMO_API_PIN_FAST, .err = EOVERFLOW },
	{ .what = "len UINT64_MAX", .at = AT_BUF, .len_bytes = -1,
	  .api = GUPDEMO_API_PIN_FAST, .err = EOVERFLOW },
	{ .what = "max_pin_pages + 1 pages", .at = AT_BUF, .len_pages = 1,
	  .over_max = true, .api = GUPDEMO_API_PIN_FAST, .err = E2BIG },
	{ .what = "max_pin_pages bytes spanning one page more", .at = AT_BUF,
	  .bytes = 1, .over_max = true, .api = GUPDEMO_API_PIN_FAST,
	  .err = E2BIG },
};

/* With max_pin_pages set to 4. */
static const struct pin_row neg_max4[] = {
	{ .what = "exactly max_pin_pages (4)", .at = AT_BUF, .len_pages = 4,
	  .api = GUPDEMO_API_PIN_FAST, .flags = W, .acq = 4,
	  .q = { 4, 4, 4, 0, 0 } },
	{ .what = "max_pin_pages (4) + 1 byte", .at = AT_BUF, .len_pages = 4,
	  .len_bytes = 1, .api = GUPDEMO_API_PIN_FAST, .flags = W,
	  .err = E2BIG },
	{ .what = "4 pages' worth from an unaligned start (span 5)",
	  .at = AT_BUF, .bytes = 1, .len_pages = 4,
	  .api = GUPDEMO_API_PIN_FAST, .flags = W, .err = E2BIG },
};

/* Unknown APIs and every unknown flag bit. */
static void neg_api_flags(void)
{
	struct pin_row rows[2 + 28] = {
		{ .what = "api GUPDEMO_API_COUNT", .at = AT_BUF, .len_pages = 1,
		  .api = GUPDEMO_API_COUNT, .err = EINVAL },
		{ .what = "api 0xffffffff", .at = AT_BUF, .len_pages = 1,
		  .api = 0xffffffffu, .err = EINVAL },
	};
	char names[28][32];

	for (unsigned int bit = 4; bit < 32; bit++) {
		snprintf(names[bit - 4], sizeof(names[0]), "unknown flag bit %u",
			 bit);
		rows[bit - 2] = (struct pin_row){
			.what = names[bit - 4], .at = AT_BUF, .len_pages = 1,
			.api = GUPDEMO_API_PIN_FAST, .flags = 1u << bit,
			.err = EINVAL,
		};
	}
	pin_table(rows, G_N(rows));
}

static void neg_max_pin_pages(void)
{
	uint64_t max_pages = 0;

	g_param_get("max_pin_pages", &max_pages);
	if (g_param_set("max_pin_pages", 4)) {
		skip(1, "max_pin_pages is not writable");
		return;
	}
	pin_table(neg_max4, G_N(neg_max4));
	ok(g_param_set("max_pin_pages", max_pages) == 0,
	   "max_pin_pages restored to %llu", (unsigned long long)max_pages);
}

static bool mmap_fails(size_t len, int flags, off_t off)
{
	void *m = mmap(NULL, len, PROT_READ, flags, fd, off);

	if (m == MAP_FAILED)
		return true;
	munmap(m, len);
	return false;
}

static void neg_pfnmap(void)
{
	char *pf, *p;

	if (!(info0.features & GUPDEMO_FEAT_MMAP_PFNMAP)) {
		skip(1, "FEAT_MMAP_PFNMAP not advertised");
		return;
	}
	pf = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ok(pf != MAP_FAILED, "mmap(/dev/gupdemo) of one page")) {
		pf[0] = 'x';
		ok(pf[0] == 'x', "the PFN mapping is usable from userspace");
		row_mem[AT_PFN] = pf;
		pin_table(neg_pfn, G_N(neg_pfn));
		munmap(pf, psz);
	}
	is_syscall_errno(mmap_fails(2 * psz, MAP_SHARED, 0) ? -1 : 0, EINVAL,
			 "mmap(/dev/gupdemo) of two pages -> EINVAL");
	is_syscall_errno(mmap_fails(psz, MAP_SHARED, (off_t)psz) ? -1 : 0,
			 EINVAL, "mmap(/dev/gupdemo) at offset PAGE_SIZE -> EINVAL");
	is_syscall_errno(mmap_fails(psz, MAP_PRIVATE, 0) ? -1 : 0, EINVAL,
			 "mmap(/dev/gupdemo) MAP_PRIVATE -> EINVAL");

	/* [anon page][PFN page]: GUP pins the first, then must stop. */
	p = g_map_anon(2, true);
	pf = mmap(p + psz, psz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		  fd, 0);
	if (ok(pf == p + psz, "an anonymous page followed by the PFN page")) {
		row_mem[AT_ANON_PFN] = p;
		pin_table(neg_anon_pfn, G_N(neg_anon_pfn));
	}
	munmap(p, 2 * psz);
}

/* PIN with __reserved set: refused, nothing pinned. */
static void neg_pin_reserved(void)
{
	struct gupdemo_vmstat before = g_vmstat();
	struct gupdemo_pin pr = { .addr = (uintptr_t)row_mem[AT_BUF],
				  .len = psz, .api = GUPDEMO_API_PIN_FAST };

	pr.__reserved = 1;
	is_errno(gupdemo_pin(fd, &pr), EINVAL, "PIN __reserved 1 -> EINVAL");
	pr.__reserved = 0x80000000u;
	is_errno(gupdemo_pin(fd, &pr), EINVAL,
		 "PIN __reserved 0x80000000 -> EINVAL");
	delta_is(&before, 0, 0, "PIN with __reserved set");
	held_nothing("PIN with __reserved set");
}

/*
 * One refused UNPIN or QUERY of a held pin (its handle + @handle_add), on
 * this file or on a second one: the pin stays held.
 */
struct neg_handle {
	const char *what;
	bool query, other_fd;
	uint32_t handle_add, flags, reserved;
	int err;
};

static int neg_handle_call(const struct neg_handle *r, int f, uint32_t h)
{
	struct gupdemo_unpin u = { .size = sizeof(u), .handle = h,
				   .flags = r->flags,
				   .__reserved = r->reserved };
	struct gupdemo_query q = { .size = sizeof(q), .handle = h,
				   .flags = r->flags,
				   .__reserved = r->reserved };

	if (r->query)
		return gupdemo_ioctl(f, GUPDEMO_IOC_QUERY, &q);
	return gupdemo_ioctl(f, GUPDEMO_IOC_UNPIN, &u);
}

static void neg_handle_table(const struct neg_handle *rows, size_t n,
			     uint32_t h, int fd2)
{
	for (size_t i = 0; i < n; i++) {
		const struct neg_handle *r = &rows[i];

		is_errno(neg_handle_call(r, r->other_fd ? fd2 : fd,
					 h + r->handle_add), r->err, "%s -> %s",
			 r->what, strerrorname_np(r->err));
	}
}

/* Handle 0 is never handed out, not even after an UNPIN of it. */
static void neg_handle_zero(void)
{
	struct gupdemo_pin z;
	int rz;

	is_errno(gupdemo_unpin_handle(fd, 0, 0), ENOENT,
		 "UNPIN handle 0 -> ENOENT");
	rz = do_pin(fd, row_mem[AT_BUF], psz, GUPDEMO_API_PIN_FAST, 0, 0, &z);
	ok(rz == 0 && z.handle > 0,
	   "after UNPIN of handle 0 a new pin still gets a handle > 0 (got %u)",
	   rz ? 0 : z.handle);
	if (rz == 0)
		gupdemo_unpin_handle(fd, z.handle, 0);
	is_errno(gupdemo_unpin_handle(fd, 0, 0), ENOENT,
		 "UNPIN handle 0 again -> ENOENT");
}

static void neg_handles(void)
{
	/* The lowest unknown UNPIN flag bit, a middle and the top one. */
	const unsigned int bits[3] = {
		(unsigned int)__builtin_ctz(~(uint32_t)GUPDEMO_UNPIN_ALL), 16, 31,
	};
	char names[3][32];
	const struct neg_handle rows[] = {
		{ "UNPIN unknown handle", .handle_add = 1000, .err = ENOENT },
		{ "QUERY unknown handle", .query = true, .handle_add = 1000,
		  .err = ENOENT },
		{ "UNPIN of another fd's handle", .other_fd = true,
		  .err = ENOENT },
		{ "QUERY of another fd's handle", .query = true,
		  .other_fd = true, .err = ENOENT },
		{ names[0], .flags = 1u << bits[0], .err = EINVAL },
		{ names[1], .flags = 1u << bits[1], .err = EINVAL },
		{ names[2], .flags = 1u << bits[2], .err = EINVAL },
		{ "UNPIN __reserved", .reserved = 1, .err = EINVAL },
		{ "QUERY flags 1", .query = true, .flags = 1, .err = EINVAL },
		{ "QUERY __reserved", .query = true, .reserved = 1,
		  .err = EINVAL },
	};
	struct gupdemo_query q;
	struct gupdemo_pin pn;
	int fd2 = g_open();

	for (size_t i = 0; i < 3; i++)
		snprintf(names[i], sizeof(names[i]), "UNPIN flag bit %u",
			 bits[i]);
	diag("UNPIN and QUERY: handles and fields");
	is_errno(do_pin(fd, row_mem[AT_BUF], 4 * psz, GUPDEMO_API_PIN_FAST, W, 0,
			&pn), 0, "a pin to play with");
	neg_handle_zero();
	neg_handle_table(rows, G_N(rows), pn.handle, fd2);
	ok(do_query(fd, pn.handle, &q) == 0 && q.npages == 4,
	   "after the refused calls the pin is still held");
	is_errno(gupdemo_unpin_handle(fd, pn.handle, GUPDEMO_UNPIN_DIRTY), 0,
		 "UNPIN with DIRTY");
	is_errno(gupdemo_unpin_handle(fd, pn.handle, 0), ENOENT,
		 "double UNPIN -> ENOENT");
	is_errno(do_query(fd, pn.handle, &q), ENOENT,
		 "QUERY after UNPIN -> ENOENT");
	gupdemo_close(fd2);
	held_nothing("handles");
}

/* The module-wide budget of held pages. */
static void neg_max_held(void)
{
	struct gupdemo_vmstat before;
	uint64_t old = 0;
	struct gupdemo_pin a;
	int r1;

	if (g_param_get("max_held_pages", &old) ||
	    g_param_set("max_held_pages", 4)) {
		skip(1, "no writable max_held_pages parameter");
		return;
	}
	before = g_vmstat();
	r1 = do_pin(fd, row_mem[AT_BUF], 4 * psz, GUPDEMO_API_PIN_FAST, W, 0, &a);
	is_errno(r1, 0, "max_held_pages 4: a 4-page pin fits");
	is_errno(do_pin(fd, row_mem[AT_BUF], psz, GUPDEMO_API_PIN, 0, 0, NULL),
		 ENOSPC, "max_held_pages 4: one page more -> ENOSPC");
	if (r1 == 0)
		gupdemo_unpin_handle(fd, a.handle, 0);
	delta_is(&before, 4, 4, "max_held_pages");
	held_nothing("max_held_pages");
	ok(g_param_set("max_held_pages", old) == 0, "max_held_pages restored");
}

static void test_negative(void)
{
	diag("7. negative cases");
	neg_mem_map();
	pin_table(neg_ranges, G_N(neg_ranges));
	neg_pfnmap();
	pin_table(neg_args, G_N(neg_args));
	neg_max_pin_pages();
	neg_api_flags();
	neg_pin_reserved();
	neg_handles();
	neg_max_held();
	neg_mem_unmap();
}

/* ------------------------------------------------------------------ */
/* 8, 9: NOFAULT, FAST_ONLY, the retry helper, partial pins, fail_nth  */
/* ------------------------------------------------------------------ */

static void retry_case(void *addr, size_t len, uint32_t api, uint32_t flags,
		       unsigned int max_rounds, int exp_errno,
		       unsigned int exp_rounds, int64_t exp_acq, const char *what)
{
	struct gupdemo_vmstat before = g_vmstat();
	struct gupdemo_pin p = { .addr = (uintptr_t)addr, .len = len,
				 .api = api, .flags = flags };
	unsigned int rounds = 0;
	char fl[64];
	int ret;

	ret = gupdemo_pin_retry(fd, &p, max_rounds, &rounds);
	is_errno(ret, exp_errno, "retry helper, %s: %s %s -> %s", what,
		 api_name(api), flags_name(flags, fl, sizeof(fl)),
		 exp_errno ? strerrorname_np(exp_errno) : "0");
	is_int(rounds, exp_rounds, "retry helper, %s: %u of at most %u rounds",
	       what, exp_rounds, max_rounds);
	if (ret == 0)
		gupdemo_unpin_handle(fd, p.handle, 0);
	delta_is(&before, exp_acq, exp_acq, "retry helper, %s", what);
	held_nothing(what);
}

/* 9: NO_RETRY keeps a partial pin's short count (@p: first half touched). */
static void nofault_no_retry(char *p, size_t np, bool fo)
{
	diag("9. partial pins: NO_RETRY keeps the short count");
	pin_ok(p, np * psz, GUPDEMO_API_PIN_FAST, W | NOFAULT | NORETRY, 0,
	       (struct qexp){ np / 2, np / 2, np / 2, 0, 0 }, np / 2,
	       "NO_RETRY over a half-populated range");
	pin_ok(p, np * psz, GUPDEMO_API_PIN, W | NOFAULT | NORETRY, 0,
	       (struct qexp){ np / 2, np / 2, np / 2, 0, 0 }, np / 2,
	       "NO_RETRY over a half-populated range");
	if (fo) {
		pin_err(p, np * psz, GUPDEMO_API_PIN_FAST_ONLY, W, 0, EFAULT,
			np / 2, "FAST_ONLY, first half touched (rolled back)");
		pin_ok(p, np * psz, GUPDEMO_API_PIN_FAST_ONLY, W | NORETRY, 0,
		       (struct qexp){ np / 2, np / 2, np / 2, 0, 0 }, np / 2,
		       "NO_RETRY over a half-populated range");
	}
	pin_err(p + np / 2 * psz, np / 2 * psz, GUPDEMO_API_PIN_FAST,
		W | NOFAULT | NORETRY, 0, EFAULT, 0,
		"NO_RETRY with nothing pinnable (0 pages is an error)");
	{
		/* [4 populated][hole]: one GUP call stops at the hole. */
		char *h = g_map_anon(8, true);

		munmap(h + 4 * psz, 4 * psz);
		pin_ok(h, 8 * psz, GUPDEMO_API_PIN, W | NORETRY, 0,
		       (struct qexp){ 4, 4, 4, 0, 0 }, 4,
		       "NO_RETRY up to a hole");
		pin_ok(h, 8 * psz, GUPDEMO_API_PIN_FAST, W | NORETRY | LT, 0,
		       (struct qexp){ 4, 4, 4, 0, 0 }, 4,
		       "NO_RETRY up to a hole");
		munmap(h, 4 * psz);
	}
}

static void test_retry_helper(void)
{
	const size_t np = 8;
	bool fo = kver < KV(6, 3, 0);
	char *p, *pf;

	diag("8. the bounded fault-in-and-retry helper");
	p = g_map_anon(np, false);
	retry_case(p, np * psz, GUPDEMO_API_PIN_FAST, W | NOFAULT, 4, 0, 2, np,
		   "never touched, write fault-in");
	munmap(p, np * psz);
	p = g_map_anon(np, false);
	retry_case(p, np * psz, GUPDEMO_API_PIN, NOFAULT, 4, 0, 2,
		   zero_page_counted() ? np : 0,
		   "never touched, read fault-in maps zero pages");
	munmap(p, np * psz);
	p = g_map_anon(np, false);
	retry_case(p, np * psz, GUPDEMO_API_PIN_FAST, W | NOFAULT, 1, EFAULT, 1,
		   0, "one round only");
	memset(p, 1, np / 2 * psz);
	/* Round 1 pins half (released again), round 2 all. */
	retry_case(p, np * psz, GUPDEMO_API_PIN_FAST, W | NOFAULT | NORETRY, 4,
		   0, 2, np / 2 + np, "NO_RETRY short count, then all");
	retry_case(p, np * psz, GUPDEMO_API_PIN_FAST, W | NOFAULT, 4, 0, 1, np,
		   "already populated: first round");
	munmap(p, np * psz);
	if (fo) {
		p = g_map_anon(np, false);
		retry_case(p, np * psz, GUPDEMO_API_PIN_FAST_ONLY, W, 4, 0, 2, np,
			   "FAST_ONLY never touched");
		munmap(p, np * psz);
	}
	p = mmap(NULL, np * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	retry_case(p, np * psz, GUPDEMO_API_PIN_FAST, NOFAULT, 4, EFAULT, 1, 0,
		   "PROT_NONE: cannot fault in, stops at once");
	munmap(p, np * psz);

	pf = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pf != MAP_FAILED) {
		/* The gfs2 lesson: fault-in works, the pin never will. */
		retry_case(pf, psz, GUPDEMO_API_PIN_FAST, W | NOFAULT, 4, EFAULT, 4,
			   0, "VM_PFNMAP gives up after its rounds");
		if (fo)
			retry_case(pf, psz, GUPDEMO_API_PIN_FAST_ONLY, W, 5,
				   EFAULT, 5, 0,
				   "VM_PFNMAP FAST_ONLY gives up after its rounds");
		munmap(pf, psz);
	} else {
		skip(1, "no PFN mapping of /dev/gupdemo");
	}
}

static void test_nofault(void)
{
	const size_t np = 8;
	bool fo = kver < KV(6, 3, 0);
	char *p;

	diag("8. FOLL_NOFAULT and FAST_ONLY: no faults, bounded retries");
	p = g_map_anon(np, false);
	pin_err(p, np * psz, GUPDEMO_API_PIN_FAST, W | NOFAULT, 0, EFAULT, 0,
		"NOFAULT, never touched");
	pin_err(p, np * psz, GUPDEMO_API_PIN, W | NOFAULT, 0, EFAULT, 0,
		"NOFAULT, never touched");
	if (fo)
		pin_err(p, np * psz, GUPDEMO_API_PIN_FAST_ONLY, W, 0, EFAULT, 0,
			"FAST_ONLY, never touched");
	memset(p, 1, np / 2 * psz);
	pin_err(p, np * psz, GUPDEMO_API_PIN_FAST, W | NOFAULT, 0, EFAULT,
		np / 2, "NOFAULT, first half touched (half rolled back)");
	pin_err(p, np * psz, GUPDEMO_API_PIN, W | NOFAULT, 0, EFAULT, np / 2,
		"NOFAULT, first half touched (half rolled back)");

	nofault_no_retry(p, np, fo);
	memset(p, 1, np * psz);
	pin_ok(p, np * psz, GUPDEMO_API_PIN_FAST, W | NOFAULT, 0,
	       (struct qexp){ np, np, np, 0, 0 }, np, "NOFAULT after touching");
	if (fo)
		pin_ok(p, np * psz, GUPDEMO_API_PIN_FAST_ONLY, W, 0,
		       (struct qexp){ np, np, np, 0, 0 }, np,
		       "FAST_ONLY after touching");
	munmap(p, np * psz);

	test_retry_helper();
}

static void test_fail_inject(void)
{
	const char *knob = GUPDEMO_DEBUGFS_DIR "/fail_nth";
	const size_t np = 20;
	const uint32_t batch = 4;
	int64_t vmpin0 = vmpin_pages();
	unsigned int failed = 0, n;
	char *p;

	diag("9. failure injection: fail the 1st, 2nd, ... step of a %zu-page "
	     "pin in batches of %u", np, batch);
	if (!(info0.features & GUPDEMO_FEAT_FAIL_INJECT) || access(knob, W_OK)) {
		skip(1, "no fail_nth knob");
		return;
	}
	p = g_map_anon(np, true);
	for (n = 1; n <= 64; n++) {
		struct gupdemo_vmstat before = g_vmstat();
		struct gupdemo_pin pin;
		uint64_t left = 99;
		int ret;

		if (g_write_u64(knob, n)) {
			fail("fail_nth: arm %u", n);
			break;
		}
		ret = do_pin(fd, p, np * psz, GUPDEMO_API_PIN_FAST, W | LT, batch,
			     &pin);
		g_read_u64(knob, &left);
		if (ret == 0) {
			ok(left > 0, "fail_nth %u: beyond the last step, the pin "
			   "works (%llu left on the countdown)", n,
			   (unsigned long long)left);
			is_int(pin.npages, np, "fail_nth %u: all pages", n);
			gupdemo_unpin_handle(fd, pin.handle, 0);
			delta_is(&before, np, np, "fail_nth %u: pin + unpin", n);
			break;
		}
		failed++;
		is_errno(ret, ENOMEM, "fail_nth %u: the pin fails with ENOMEM", n);
		is_int(left, 0, "fail_nth %u: the countdown fired", n);
		{
			char what[48];

			snprintf(what, sizeof(what), "fail_nth %u: rolled back", n);
			balanced_since(&before, what);
			held_nothing(what);
		}
		is_int(vmpin_pages(), vmpin0, "fail_nth %u: VmPin charge undone", n);
	}
	g_write_u64(knob, 0);
	ok(failed >= 2 + np / batch,
	   "fail_nth: %u steps failed one by one (>= 2 allocations + %zu GUP "
	   "batches)", failed, np / batch);
	{
		uint64_t left = 99;

		ok(g_read_u64(knob, &left) == 0 && left == 0,
		   "fail_nth: disarmed (reads 0)");
	}
	munmap(p, np * psz);
}

/* ------------------------------------------------------------------ */
/* 10: long-term accounting                                            */
/* ------------------------------------------------------------------ */

static int drop_cap_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	data[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	data[CAP_IPC_LOCK / 32].inheritable &= ~(1u << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

struct memlock_result {
	int setup;
	int over;		/* LONGTERM 32 pages, limit 16 */
	int at_limit;		/* LONGTERM 16 pages */
	int64_t vmpin_at_limit;
	int one_more;		/* LONGTERM 1 page more */
	int short_term;		/* not LONGTERM, 32 pages: not charged */
	int64_t vmpin_end;
};

static void memlock_child(int wfd)
{
	struct memlock_result r = { 0 };
	struct rlimit rl = { 16 * psz, 16 * psz };
	struct gupdemo_pin a, b;
	char *p = g_map_anon(32, true);
	int f;

	r.setup = gupdemo_open(NULL, &f);
	if (!r.setup && setrlimit(RLIMIT_MEMLOCK, &rl))
		r.setup = -errno;
	if (!r.setup)
		r.setup = drop_cap_ipc_lock();
	if (!r.setup) {
		r.over = do_pin(f, p, 32 * psz, GUPDEMO_API_PIN_FAST, W | LT, 0, NULL);
		r.at_limit = do_pin(f, p, 16 * psz, GUPDEMO_API_PIN, W | LT, 0, &a);
		r.vmpin_at_limit = vmpin_pages();
		r.one_more = do_pin(f, p + 16 * psz, psz, GUPDEMO_API_PIN_FAST,
				    LT, 0, NULL);
		r.short_term = do_pin(f, p, 32 * psz, GUPDEMO_API_PIN_FAST, W, 0, &b);
		if (!r.at_limit)
			gupdemo_unpin_handle(f, a.handle, 0);
		if (!r.short_term)
			gupdemo_unpin_handle(f, b.handle, 0);
		r.vmpin_end = vmpin_pages();
		gupdemo_close(f);
	}
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

/* RLIMIT_MEMLOCK of 16 pages, no CAP_IPC_LOCK, in a child. */
static void memlock_rlimit(void)
{
	struct gupdemo_vmstat before = g_vmstat();
	struct memlock_result r;
	int pfd[2], st;
	pid_t pid;

	if (pipe(pfd))
		bail_out("pipe failed");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		memlock_child(pfd[1]);
	}
	close(pfd[1]);
	memset(&r, 0, sizeof(r));
	r.setup = -EIO;
	if (read(pfd[0], &r, sizeof(r)) != sizeof(r))
		r.setup = -EIO;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	is_errno(r.setup, 0, "child: RLIMIT_MEMLOCK 16 pages, CAP_IPC_LOCK dropped");
	is_errno(r.over, ENOMEM, "child: LONGTERM pin of 32 pages -> ENOMEM");
	is_errno(r.at_limit, 0, "child: LONGTERM pin of exactly 16 pages works");
	is_int(r.vmpin_at_limit, 16, "child: VmPin 16 pages at the limit");
	is_errno(r.one_more, ENOMEM, "child: one long-term page more -> ENOMEM");
	is_errno(r.short_term, 0,
		 "child: a short-term pin of 32 pages is not limited");
	is_int(r.vmpin_end, 0, "child: VmPin 0 after unpinning");
	/* Only the two successful pins moved the counters (16 + 32). */
	delta_is(&before, 48, 48, "RLIMIT_MEMLOCK child");
	held_nothing("RLIMIT_MEMLOCK child");
}

static void test_memlock(void)
{
	int64_t vm0 = vmpin_pages();
	struct gupdemo_pin a, b, c;
	char *p = g_map_anon(N, true);
	int fd2;

	diag("10. long-term pins are charged to VmPin / RLIMIT_MEMLOCK");
	ok(vm0 >= 0, "VmPin is shown in /proc/self/status (%lld pages)",
	   (long long)vm0);
	is_errno(do_pin(fd, p, N * psz, GUPDEMO_API_PIN_FAST, W | LT, 0, &a), 0,
		 "LONGTERM pin of %d pages", N);
	is_int(vmpin_pages(), vm0 + N, "VmPin grows by %d pages", N);
	is_errno(do_pin(fd, p, N / 2 * psz, GUPDEMO_API_PIN, LT, 0, &b), 0,
		 "a second LONGTERM pin of %d pages", N / 2);
	is_int(vmpin_pages(), vm0 + N + N / 2, "VmPin adds up both");
	is_errno(do_pin(fd, p, N * psz, GUPDEMO_API_PIN_FAST, W, 0, &c), 0,
		 "a short-term pin of %d pages", N);
	is_int(vmpin_pages(), vm0 + N + N / 2, "short-term pins are not charged");
	gupdemo_unpin_handle(fd, c.handle, 0);
	gupdemo_unpin_handle(fd, a.handle, 0);
	is_int(vmpin_pages(), vm0 + N / 2, "VmPin shrinks on unpin");
	gupdemo_unpin_handle(fd, b.handle, 0);
	is_int(vmpin_pages(), vm0, "VmPin back to where it was");

	fd2 = g_open();
	is_errno(do_pin(fd2, p, N * psz, GUPDEMO_API_PIN_FAST, W | LT, 0, &a), 0,
		 "LONGTERM pin on a second fd");
	is_int(vmpin_pages(), vm0 + N, "VmPin counts it");
	gupdemo_close(fd2);
	is_int(vmpin_pages(), vm0, "close() uncharges what the fd held");

	{
		char *h = g_map_anon(8, false);

		memset(h, 1, 4 * psz);
		is_errno(do_pin(fd, h, 8 * psz, GUPDEMO_API_PIN_FAST,
				W | LT | NOFAULT | NORETRY, 0, &a), 0,
			 "LONGTERM NO_RETRY pin over a half-populated range");
		ok(a.npages == 4 && vmpin_pages() == vm0 + 4,
		   "a short long-term pin is charged for what it holds (4), "
		   "not the span (8)");
		gupdemo_unpin_handle(fd, a.handle, 0);
		is_int(vmpin_pages(), vm0, "... and uncharged exactly");
		munmap(h, 8 * psz);
	}

	memlock_rlimit();
	munmap(p, N * psz);
}

/* ------------------------------------------------------------------ */
/* 11: fork, munmap and MADV_DONTNEED with a pin held                  */
/* ------------------------------------------------------------------ */

/* The soft engine writes @len bytes of @src_h's pages into @dst_h's. */
static int dma_write(uint32_t src_h, uint32_t dst_h, size_t len,
		     struct gupdemo_dma *out)
{
	struct gupdemo_dma d = {
		.flags = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE,
		.op = GUPDEMO_DMA_LOOPBACK,
		.engine = GUPDEMO_ENGINE_SOFT,
		.src_handle = src_h,
		.dst_handle = dst_h,
		.len = len,
	};
	int ret = gupdemo_dma(fd, &d);

	if (out)
		*out = d;
	return ret;
}

static bool all_bytes(const char *p, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

/*
 * The forked child: once told (@go), whether it still sees its own copy of
 * @buf and whether its write stays in it, two 'y'/'n' bytes into @res.
 */
__attribute__((noreturn))
static void fork_child(char *buf, size_t len, const int go[2], const int res[2])
{
	char c, v[2];

	close(go[1]);
	close(res[0]);
	if (read(go[0], &c, 1) != 1)
		_exit(2);
	/* The device wrote into the parent's pages, not ours. */
	v[0] = all_bytes(buf, len, 'P') ? 'y' : 'n';
	memset(buf, 'C', len);
	v[1] = all_bytes(buf, len, 'C') ? 'y' : 'n';
	if (write(res[1], v, 2) != 2)
		_exit(2);
	_exit(0);
}

static void test_fork(void)
{
	const size_t np = 4, len = 2048;
	struct gupdemo_vmstat before;
	struct gupdemo_pin dst, src;
	struct gupdemo_query q;
	struct gupdemo_dma d;
	char *buf, *s;
	int go[2], res[2], st;
	char verdict[2] = { 0, 0 };
	pid_t pid;

	diag("11. fork() while a writable pin is held");
	if (!(info0.features & GUPDEMO_FEAT_DMA) ||
	    !(info0.features & GUPDEMO_FEAT_ENGINE_SOFT)) {
		skip(1, "no DMA with the software engine");
		return;
	}
	buf = g_map_anon(np, false);
	s = g_map_anon(1, false);
	memset(buf, 'P', np * psz);
	memset(s, 'D', psz);
	before = g_vmstat();
	if (do_pin(fd, buf, np * psz, GUPDEMO_API_PIN_FAST, W, 0, &dst) ||
	    do_pin(fd, s, psz, GUPDEMO_API_PIN_FAST, 0, 0, &src))
		bail_out("fork test: pins failed");

	if (pipe(go) || pipe(res))
		bail_out("pipe failed");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		fork_child(buf, np * psz, go, res);
	close(go[0]);
	close(res[1]);

	ok(do_query(fd, dst.handle, &q) == 0 && q.npinned == np,
	   "fork: the parent's pin still holds %zu dma-pinned pages", np);
	is_errno(dma_write(src.handle, dst.handle, len, &d), 0,
		 "fork: DMA (soft engine) writes through the pin");
	ok(d.bytes == len && d.engine == GUPDEMO_ENGINE_SOFT,
	   "fork: %zu bytes by the soft engine", len);
	ok(all_bytes(buf, len, 'D') && all_bytes(buf + len, np * psz - len, 'P'),
	   "fork: the parent sees the device's write");
	if (write(go[1], "g", 1) != 1 || read(res[0], verdict, 2) != 2)
		verdict[0] = verdict[1] = '?';
	waitpid(pid, &st, 0);
	ok(verdict[0] == 'y',
	   "fork: the child has its own copy (does not see the write)");
	ok(verdict[1] == 'y' && all_bytes(buf, len, 'D'),
	   "fork: the child's writes stay in the child");
	memset(buf, 'X', psz);
	memset(s, 'E', psz);
	is_errno(dma_write(src.handle, dst.handle, len, NULL), 0,
		 "fork: a second DMA after the parent wrote the page");
	ok(all_bytes(buf, len, 'E') && all_bytes(buf + len, psz - len, 'X'),
	   "fork: the parent's page is still the pinned one");
	close(go[1]);
	close(res[0]);
	gupdemo_unpin_handle(fd, dst.handle, GUPDEMO_UNPIN_DIRTY);
	gupdemo_unpin_handle(fd, src.handle, 0);
	delta_is(&before, np + 1, np + 1, "fork");
	held_nothing("fork");
	munmap(buf, np * psz);
	munmap(s, psz);
}

static void test_munmap_dontneed(void)
{
	const size_t np = 4, len = 2048;
	struct gupdemo_vmstat before;
	struct gupdemo_pin dst, src;
	struct gupdemo_query q;
	struct gupdemo_info inf;
	char *buf, *s, *again;
	bool dma = (info0.features & GUPDEMO_FEAT_DMA) &&
		   (info0.features & GUPDEMO_FEAT_ENGINE_SOFT);

	diag("11. munmap and MADV_DONTNEED while pinned");
	s = g_map_anon(1, false);
	memset(s, 'F', psz);

	/* munmap */
	buf = g_map_anon(np, false);
	memset(buf, 'M', np * psz);
	before = g_vmstat();
	if (do_pin(fd, buf, np * psz, GUPDEMO_API_PIN_FAST, W, 0, &dst) ||
	    do_pin(fd, s, psz, GUPDEMO_API_PIN_FAST, 0, 0, &src))
		bail_out("munmap test: pins failed");
	munmap(buf, np * psz);
	ok(do_query(fd, dst.handle, &q) == 0 && q.npages == np &&
	   q.npinned == np, "munmap: the pages stay pinned");
	ok(gupdemo_get_info(fd, &inf) == 0 && inf.pages_held == np + 1,
	   "munmap: the module still holds them (pages_held %llu)",
	   (unsigned long long)inf.pages_held);
	if (dma)
		is_errno(dma_write(src.handle, dst.handle, len, NULL), 0,
			 "munmap: DMA into the unmapped pages still works");
	again = mmap(buf, np * psz, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ok(again == buf && all_bytes(buf, np * psz, 0),
	   "munmap: new memory at the address does not see the device's write");
	delta_is(&before, np + 1, 0, "munmap: while pinned");
	gupdemo_unpin_handle(fd, dst.handle, GUPDEMO_UNPIN_DIRTY);
	gupdemo_unpin_handle(fd, src.handle, 0);
	delta_is(&before, np + 1, np + 1, "munmap: after unpin");
	held_nothing("munmap");
	if (again != MAP_FAILED)
		munmap(again, np * psz);

	/* MADV_DONTNEED */
	buf = g_map_anon(np, false);
	memset(buf, 'N', np * psz);
	before = g_vmstat();
	if (do_pin(fd, buf, np * psz, GUPDEMO_API_PIN, W | LT, 0, &dst) ||
	    do_pin(fd, s, psz, GUPDEMO_API_PIN_FAST, 0, 0, &src))
		bail_out("MADV_DONTNEED test: pins failed");
	ok(madvise(buf, np * psz, MADV_DONTNEED) == 0 &&
	   all_bytes(buf, np * psz, 0),
	   "MADV_DONTNEED: the process sees fresh zeroed memory");
	ok(do_query(fd, dst.handle, &q) == 0 && q.npinned == np,
	   "MADV_DONTNEED: the old pages stay pinned");
	if (dma) {
		is_errno(dma_write(src.handle, dst.handle, len, NULL), 0,
			 "MADV_DONTNEED: DMA into the pinned pages");
		ok(all_bytes(buf, np * psz, 0),
		   "MADV_DONTNEED: the process no longer sees device writes");
	}
	gupdemo_unpin_handle(fd, dst.handle, GUPDEMO_UNPIN_DIRTY);
	gupdemo_unpin_handle(fd, src.handle, 0);
	delta_is(&before, np + 1, np + 1, "MADV_DONTNEED");
	held_nothing("MADV_DONTNEED");
	munmap(buf, np * psz);
	munmap(s, psz);
}

/* ------------------------------------------------------------------ */
/* 12: lifetime: close, SIGKILL, threads, two fds                      */
/* ------------------------------------------------------------------ */

static void test_close_kill(void)
{
	struct gupdemo_vmstat before;
	struct gupdemo_info inf;
	char *buf = g_map_anon(8, true);
	int64_t vm0 = vmpin_pages();
	int fd2, pfd[2], st;
	char c = 0;
	pid_t pid;

	diag("12. close() and SIGKILL with pins held");
	before = g_vmstat();
	fd2 = g_open();
	ok(do_pin(fd2, buf, 8 * psz, GUPDEMO_API_PIN_FAST, W, 0, NULL) == 0 &&
	   do_pin(fd2, buf, 8 * psz, GUPDEMO_API_PIN, 0, 0, NULL) == 0 &&
	   do_pin(fd2, buf, 8 * psz, GUPDEMO_API_PIN_REMOTE, W | LT, 0, NULL) == 0 &&
	   do_pin(fd2, buf, 8 * psz, GUPDEMO_API_GET_FAST, W, 0, NULL) == 0,
	   "close: four pins held on a second fd");
	ok(gupdemo_get_info(fd, &inf) == 0 && inf.pins_held == 4 &&
	   inf.pages_held == 32, "close: the module holds 4 pins, 32 pages");
	gupdemo_close(fd2);
	delta_is(&before, 24, 24, "close: all released (3 FOLL_PIN pins of 8)");
	is_int(vmpin_pages(), vm0, "close: VmPin uncharged");
	held_nothing("close");

	before = g_vmstat();
	if (pipe(pfd))
		bail_out("pipe failed");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int f, good;

		close(pfd[0]);
		good = gupdemo_open(NULL, &f) == 0 &&
		       do_pin(f, buf, 8 * psz, GUPDEMO_API_PIN_FAST, W | LT, 0,
			      NULL) == 0 &&
		       do_pin(f, buf, 8 * psz, GUPDEMO_API_PIN_UNLOCKED, W, 0,
			      NULL) == 0 &&
		       do_pin(f, buf, 8 * psz, GUPDEMO_API_GET_FAST, 0, 0,
			      NULL) == 0;
		if (write(pfd[1], good ? "r" : "e", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		c = '?';
	close(pfd[0]);
	ok(c == 'r', "SIGKILL: the child holds three pins");
	ok(gupdemo_get_info(fd, &inf) == 0 && inf.pins_held == 3,
	   "SIGKILL: the module sees them (%llu)",
	   (unsigned long long)inf.pins_held);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL: child killed");
	wait_nothing_held();
	/* The child's copy of buf: its own pages, pinned and released. */
	delta_is(&before, 16, 16, "SIGKILL: everything released");
	held_nothing("SIGKILL");
	munmap(buf, 8 * psz);
}

#define NTHREADS	4
#define NLOOPS		25

struct thr {
	pthread_t tid;
	int f;
	char *buf;
	pthread_barrier_t *bar;
	uint32_t handle;
	int err;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	struct gupdemo_pin p;

	/* Phase 1: everyone holds one pin of the same range at once. */
	t->err = do_pin(t->f, t->buf, 8 * psz, GUPDEMO_API_PIN_FAST, W, 0, &p);
	t->handle = p.handle;
	pthread_barrier_wait(t->bar);	/* held */
	pthread_barrier_wait(t->bar);	/* main thread checked */
	if (!t->err)
		t->err = gupdemo_unpin_handle(t->f, t->handle, 0);
	/* Phase 2: pin/unpin as fast as we can, all at once. */
	for (int i = 0; i < NLOOPS && !t->err; i++) {
		uint32_t api = i % 2 ? GUPDEMO_API_PIN : GUPDEMO_API_PIN_FAST;

		t->err = do_pin(t->f, t->buf, 8 * psz, api, W, 0, &p);
		if (!t->err)
			t->err = gupdemo_unpin_handle(t->f, p.handle, 0);
	}
	return NULL;
}

static void test_threads(void)
{
	struct gupdemo_vmstat before;
	pthread_barrier_t bar;
	struct thr t[NTHREADS];
	struct gupdemo_info inf;
	struct gupdemo_query q;
	char *buf = g_map_anon(8, true);
	int fd2 = g_open(), errs = 0;

	diag("12. %d threads on two fds pin the same range at once", NTHREADS);
	before = g_vmstat();
	pthread_barrier_init(&bar, NULL, NTHREADS + 1);
	for (int i = 0; i < NTHREADS; i++) {
		t[i] = (struct thr){ .f = i % 2 ? fd2 : fd, .buf = buf, .bar = &bar };
		pthread_create(&t[i].tid, NULL, thr_main, &t[i]);
	}
	pthread_barrier_wait(&bar);
	ok(gupdemo_get_info(fd, &inf) == 0 && inf.pins_held == NTHREADS &&
	   inf.pages_held == NTHREADS * 8,
	   "threads: %d pins of the same 8 pages held at once", NTHREADS);
	delta_is(&before, NTHREADS * 8, 0, "threads: each pin counted");
	ok(do_query(t[1].f, t[1].handle, &q) == 0 && q.npinned == 8,
	   "threads: QUERY through the second fd");
	pthread_barrier_wait(&bar);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i].tid, NULL);
		errs += t[i].err != 0;
	}
	pthread_barrier_destroy(&bar);
	is_int(errs, 0, "threads: every pin and unpin of %d x %d rounds worked",
	       NTHREADS, NLOOPS);
	delta_is(&before, NTHREADS * 8 * (NLOOPS + 1), NTHREADS * 8 * (NLOOPS + 1),
		 "threads: balanced");
	gupdemo_close(fd2);
	held_nothing("threads");
	munmap(buf, 8 * psz);
}

static void test_two_fds(void)
{
	struct gupdemo_vmstat before = g_vmstat();
	char *buf = g_map_anon(8, true);
	struct gupdemo_pin a, b;
	struct gupdemo_query q;
	int fd2 = g_open();

	diag("12. two fds pin the same range");
	ok(do_pin(fd, buf, 8 * psz, GUPDEMO_API_PIN_FAST, W, 0, &a) == 0 &&
	   do_pin(fd2, buf, 8 * psz, GUPDEMO_API_PIN_FAST, W, 0, &b) == 0,
	   "two fds: a pin on each");
	delta_is(&before, 16, 0, "two fds: both pins counted");
	is_errno(gupdemo_unpin_handle(fd, a.handle, 0), 0, "two fds: unpin on the first");
	ok(do_query(fd2, b.handle, &q) == 0 && q.npinned == 8,
	   "two fds: the second still holds its pin");
	is_errno(gupdemo_module_unload(), EAGAIN,
		 "the module cannot be unloaded while open (EAGAIN)");
	gupdemo_close(fd2);
	delta_is(&before, 16, 16, "two fds: balanced after close");
	held_nothing("two fds");
	munmap(buf, 8 * psz);
}

/* ------------------------------------------------------------------ */
/* the library's scenario helper                                       */
/* ------------------------------------------------------------------ */

struct step_arg {
	char *buf;
	size_t npages;
	uint32_t api;
};

static int step_pin_unpin(void *arg)
{
	struct step_arg *a = arg;
	uint32_t h;
	int ret = gupdemo_pin_range(fd, a->buf, a->npages * psz, a->api, W, &h,
				    NULL);

	return ret ? ret : gupdemo_unpin_handle(fd, h, 0);
}

static void test_scenario_helper(void)
{
	struct step_arg a = { g_map_anon(8, true), 8, GUPDEMO_API_PIN_FAST };
	struct gupdemo_scenario_result r;
	int ret;

	diag("libgupdemo's scenario helper");
	ret = gupdemo_scenario_run(step_pin_unpin, &a, 8, 8, &r);
	ok(ret == 0 && r.step_ret == 0 && r.match && r.d_acquired == 8 &&
	   r.d_released == 8 && r.before.refreshed && r.after.refreshed,
	   "scenario_run: pin + unpin of 8 pages matches 8/8");
	ret = gupdemo_scenario_run(step_pin_unpin, &a, 9, 8, &r);
	ok(ret == 0 && !r.match && r.d_acquired == 8,
	   "scenario_run: a wrong expectation (9/8) does not match");
	ret = gupdemo_scenario_run(step_pin_unpin, &a, GUPDEMO_DELTA_ANY, 8, &r);
	ok(ret == 0 && r.match, "scenario_run: GUPDEMO_DELTA_ANY matches anything");
	a.api = GUPDEMO_API_GET_FAST;
	ret = gupdemo_scenario_run(step_pin_unpin, &a, 0, 0, &r);
	ok(ret == 0 && r.step_ret == 0 && r.match,
	   "scenario_run: FOLL_GET step matches 0/0");
	munmap(a.buf, 8 * psz);
	a.api = GUPDEMO_API_PIN_FAST;
	ret = gupdemo_scenario_run(step_pin_unpin, &a, 0, 0, &r);
	ok(ret == 0 && r.step_ret == -EFAULT && r.match,
	   "scenario_run: a failing step reports its errno (-EFAULT) and 0/0");
	held_nothing("scenario helper");
}

/* A valid BENCH request over @buf; the caller then spoils one field. */
static struct gupdemo_bench bench_req(char *buf)
{
	return (struct gupdemo_bench){
		.addr = (uintptr_t)buf, .len = N * psz,
		.api = GUPDEMO_API_PIN_FAST,
	};
}

/*
 * GUPDEMO_IOC_BENCH: the bare GUP baseline pins and releases in one call,
 * so it moves both counters by the span and leaves nothing held; each
 * input it refuses gets its exact errno and pins nothing.
 */
static void test_bench(void)
{
	char *buf = g_map_anon(N, true);
	struct gupdemo_vmstat before;
	struct gupdemo_bench b;
	int ret;

	diag("BENCH: the bare GUP baseline");
	before = g_vmstat();
	b = bench_req(buf);
	b.pin_flags = W;
	b.batch = 3;
	ret = gupdemo_bench(fd, &b);
	is_errno(ret, 0, "BENCH: pin_user_pages_fast, batch 3");
	is_int(b.npages, N, "BENCH: %d pages pinned and released", N);
	delta_is(&before, N, N, "BENCH pin_fast");
	b = bench_req(buf);
	b.api = GUPDEMO_API_GET_FAST;
	is_errno(gupdemo_bench(fd, &b), 0, "BENCH: get_user_pages_fast");
	delta_is(&before, N, N, "BENCH get_fast moves no counter");

	before = g_vmstat();
	b = bench_req(buf);
	b.flags = 1;
	is_errno(gupdemo_bench(fd, &b), EINVAL, "BENCH: flags != 0 -> EINVAL");
	b = bench_req(buf);
	b.pin_flags = GUPDEMO_PIN_NO_RETRY;
	is_errno(gupdemo_bench(fd, &b), EINVAL, "BENCH: NO_RETRY -> EINVAL");
	b = bench_req(buf);
	b.pin_flags = 1U << 31;
	is_errno(gupdemo_bench(fd, &b), EINVAL, "BENCH: unknown pin flag -> EINVAL");
	b = bench_req(buf);
	b.__reserved = 1;
	is_errno(gupdemo_bench(fd, &b), EINVAL, "BENCH: __reserved != 0 -> EINVAL");
	b = bench_req(buf);
	b.api = GUPDEMO_API_COUNT;
	is_errno(gupdemo_bench(fd, &b), EINVAL, "BENCH: unknown api -> EINVAL");
	b = bench_req(buf);
	b.api = GUPDEMO_API_GET_FAST;
	b.pin_flags = LT;
	is_errno(gupdemo_bench(fd, &b), EINVAL, "BENCH: FOLL_GET + LONGTERM -> EINVAL");
	b = bench_req(buf);
	b.len = 0;
	is_errno(gupdemo_bench(fd, &b), EINVAL, "BENCH: len 0 -> EINVAL");
	b = bench_req(buf);
	b.addr = UINT64_MAX - psz;
	b.len = 2 * psz;
	is_errno(gupdemo_bench(fd, &b), EOVERFLOW, "BENCH: addr + len wraps -> EOVERFLOW");
	delta_is(&before, 0, 0, "BENCH refusals");
	held_nothing("BENCH");
	munmap(buf, N * psz);
}

int main(void)
{
	struct gupdemo_vmstat start;
	int64_t vm0;
	int ret;

	psz = (size_t)sysconf(_SC_PAGESIZE);
	kver = g_kernel_version();
	fd = g_open();
	ret = gupdemo_get_info(fd, &info0);
	if (ret)
		bail_out("GET_INFO: %s", strerror(-ret));
	if (!(info0.features & GUPDEMO_FEAT_PIN))
		bail_out("the module does not advertise FEAT_PIN");
	diag("kernel %u.%u.%u, features 0x%llx", kver >> 16, (kver >> 8) & 0xff,
	     kver & 0xff, (unsigned long long)info0.features);
	start = g_vmstat();
	vm0 = vmpin_pages();
	held_nothing("at start");

	test_apis();
	test_thp();
	test_hugetlb();
	test_shmem_memfd_tmpfs();
	test_ext4();
	test_zero_page();
	test_negative();
	test_nofault();
	test_fail_inject();
	test_memlock();
	test_fork();
	test_munmap_dontneed();
	test_close_kill();
	test_threads();
	test_two_fds();
	test_scenario_helper();
	test_bench();

	diag("end of run");
	held_nothing("end of run");
	{
		int64_t v = -1;

		ok(g_stat_get("pins_held", &v) == 0 && v == 0,
		   "debugfs stats: pins_held 0");
		ok(g_stat_get("pages_held", &v) == 0 && v == 0,
		   "debugfs stats: pages_held 0");
	}
	is_int(vmpin_pages(), vm0, "VmPin back to its start value");
	{
		struct gupdemo_vmstat end = g_vmstat();

		is_u64(end.acquired - start.acquired, end.released - start.released,
		       "whole run: delta acquired == delta released (%llu)",
		       (unsigned long long)(end.acquired - start.acquired));
	}
	gupdemo_close(fd);
	return done_testing();
}
