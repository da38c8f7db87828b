// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: GUPDEMO_IOC_DMA - pinned user pages -> sg_table ->
 * dma_map -> engine (edu or soft) -> unmap -> unpin (dirty if written).
 *
 * Usage: t_dma --config edu|iommu|noedu|mask28 [--seed N] [--blind]
 *
 *   edu     edu without IOMMU, guest RAM <= 256 MiB: every page is below
 *           edu's 28-bit limit
 *   iommu   q35 + intel-iommu (strict), 1 GiB: edu DMA goes through IOVAs
 *   noedu   no edu device: the software engine only, edu tests SKIP
 *   mask28  edu with its 28-bit mask, 1 GiB, no IOMMU: pages above 256 MiB
 *           are refused with ERANGE, nothing pinned or mapped is left
 *
 * Every transfer checks the data byte for byte (random patterns from a
 * seed that is printed; --seed repeats a run), the bytes around the
 * destination, the exact change of nr_foll_pin_acquired/released (a
 * short-term pin of an address side counts its pages once in each; a held
 * handle counts at PIN and UNPIN, the DMA call itself moves nothing) and
 * that the module holds nothing afterwards.
 */
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>

#include "guest.h"

#define MiB			(1024UL * 1024UL)
#define THP_SIZE		GUPDEMO_HUGE_SIZE
#define DEV_CHUNK		4095	/* bytes per device command */
#define EDU_LIMIT		0x0fffffffULL	/* 28-bit DMA mask */
#define FAIL_NTH		GUPDEMO_DEBUGFS_DIR "/fail_nth"
#define EDU_DRV			"/sys/bus/pci/drivers/gupdemo-edu"
#define FS_IMG			"/tmp/t_dma.img"
#define FS_MNT			"/tmp/t_dma.mnt"
#define NONE			((size_t)-1)

enum config { CFG_EDU, CFG_IOMMU, CFG_NOEDU, CFG_MASK28 };

static const char *const config_names[] = {
	[CFG_EDU] = "edu", [CFG_IOMMU] = "iommu", [CFG_NOEDU] = "noedu",
	[CFG_MASK28] = "mask28",
};

static struct {
	enum config cfg;
	int fd;
	size_t psz;
	uint64_t seed;
	uint64_t seq;		/* sub-seeds handed out so far */
	uint32_t kver;
	uint64_t mem_kb;	/* MemTotal */
	bool edu_expected;	/* the configuration has an edu device */
	bool edu_ok;		/* ... and it is bound: run the edu tests */
	char edu_bdf[32];	/* its PCI address, "" if none */
	bool blind;		/* --blind: mask28 without pagemap */
} T;

/* ------------------------------------------------------------------ */
/* Patterns: a counter-based generator, any byte computable on its own */
/* ------------------------------------------------------------------ */

static inline uint64_t pat_word(uint64_t seed, uint64_t idx)
{
	uint64_t z = seed + (idx + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint8_t pat_byte(uint64_t seed, uint64_t pos)
{
	return (uint8_t)(pat_word(seed, pos >> 3) >> ((pos & 7) * 8));
}

/* @p[i] = byte @pos + i of the stream @seed. */
static void pat_fill(uint8_t *p, size_t len, uint64_t seed, uint64_t pos)
{
	size_t i = 0;

	for (; i < len && ((pos + i) & 7); i++)
		p[i] = pat_byte(seed, pos + i);
	for (; i + 8 <= len; i += 8) {
		uint64_t w = pat_word(seed, (pos + i) >> 3);

		memcpy(p + i, &w, 8);
	}
	for (; i < len; i++)
		p[i] = pat_byte(seed, pos + i);
}

/* Index of the first byte that differs from the stream, or NONE. */
static size_t pat_check(const uint8_t *p, size_t len, uint64_t seed,
			uint64_t pos)
{
	size_t i = 0;

	for (; i < len && ((pos + i) & 7); i++)
		if (p[i] != pat_byte(seed, pos + i))
			return i;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (w != pat_word(seed, (pos + i) >> 3))
			break;
	}
	for (; i < len; i++)
		if (p[i] != pat_byte(seed, pos + i))
			return i;
	return NONE;
}

static uint64_t next_seed(void)
{
	return pat_word(T.seed ^ 0x5eedf00dULL, T.seq++);
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static size_t span(const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;

	return ((a + len + T.psz - 1) / T.psz) - a / T.psz;
}

static const char *eng_name(uint32_t engine)
{
	switch (engine) {
	case GUPDEMO_ENGINE_AUTO: return "auto";
	case GUPDEMO_ENGINE_EDU: return "edu";
	case GUPDEMO_ENGINE_SOFT: return "soft";
	}
	return "?";
}

static uint64_t meminfo_kb(const char *key)
{
	char buf[4096], *p;
	size_t klen = strlen(key);

	if (g_read_file("/proc/meminfo", buf, sizeof(buf)))
		return 0;
	for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return strtoull(p + klen + 1, NULL, 10);
	return 0;
}

static bool edu_bound(void)
{
	return g_info(T.fd).features & GUPDEMO_FEAT_ENGINE_EDU;
}

/* The engine that runs for @engine: AUTO is edu when bound, else soft. */
static uint32_t engine_ran(uint32_t engine)
{
	if (engine != GUPDEMO_ENGINE_AUTO)
		return engine;
	return edu_bound() ? GUPDEMO_ENGINE_EDU : GUPDEMO_ENGINE_SOFT;
}

/* pins_held and pages_held are exactly @pins and @pages (one TAP line). */
static bool check_held(uint64_t pins, uint64_t pages, const char *what)
{
	struct gupdemo_info i = g_info(T.fd);

	return ok(i.pins_held == pins && i.pages_held == pages,
		  "%s: module holds %llu pins / %llu pages (has %llu / %llu)",
		  what, (unsigned long long)pins, (unsigned long long)pages,
		  (unsigned long long)i.pins_held,
		  (unsigned long long)i.pages_held);
}

/* Runs a shell command; its output goes to "#" lines if it fails. */
__attribute__((format(printf, 1, 2)))
static int run_cmd(const char *fmt, ...)
{
	char cmd[512], line[256], out[4096] = "";
	size_t used = 0;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	fflush(NULL);
	f = popen(cmd, "r");
	if (!f) {
		diag("popen(%s): %s", cmd, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (used + n < sizeof(out)) {
			memcpy(out + used, line, n + 1);
			used += n;
		}
	}
	st = pclose(f);
	st = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (st) {
		char *save = NULL;

		diag("command '%s' exited with %d", cmd, st);
		for (char *l = strtok_r(out, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			diag("  %s", l);
	}
	return st;
}

/* The PCI address of the first 1234:11e8 device, "" when there is none. */
static void find_edu(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	bdf[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300];
		uint64_t ven, dev;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 e->d_name);
		if (g_read_u64(path, &ven) || ven != 0x1234)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		if (g_read_u64(path, &dev) || dev != 0x11e8)
			continue;
		snprintf(bdf, len, "%.*s", (int)len - 1, e->d_name);
		break;
	}
	closedir(d);
}

/* ------------------------------------------------------------------ */
/* Buffers and DMA calls                                                */
/* ------------------------------------------------------------------ */

/*
 * A user range [p, p + len) inside a private anonymous mapping that has at
 * least one whole page on each side of it (untouched by any DMA: guards).
 * The whole mapping holds the pattern @seed, stream position 0 at @map.
 */
struct region {
	struct gupdemo_buf buf;	/* the mapping */
	uint8_t *map;		/* start of the pattern */
	size_t maplen;
	uint8_t *p;
	size_t len;
	size_t span;		/* pages the range touches */
	uint64_t seed;
};

/*
 * @off: offset of the range in its first page.  @thp: the range is 2 MiB
 * aligned, in a MADV_HUGEPAGE area (else MADV_NOHUGEPAGE: small folios).
 * Returns false (with a diag) when the memory cannot be had.
 */
static bool region_alloc(struct region *r, size_t off, size_t len,
			 uint64_t seed, bool thp)
{
	size_t pages = (off + len + T.psz - 1) / T.psz;
	/* THP: the range starts one huge page in, a guard page before it. */
	size_t want = thp ? THP_SIZE + (pages + 1) * T.psz : (pages + 2) * T.psz;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = gupdemo_buf_alloc(&r->buf, thp ? GUPDEMO_MEM_THP : GUPDEMO_MEM_4K,
				want, 0);
	/* A kernel without THP (PREEMPT_RT) has only small folios anyway. */
	if (ret == -EOPNOTSUPP && thp)
		ret = gupdemo_buf_alloc(&r->buf, GUPDEMO_MEM_4K, want, 0);
	if (ret) {
		diag("buffer of %zu bytes: %s", want, strerror(-ret));
		return false;
	}
	if (thp) {
		r->p = (uint8_t *)r->buf.p + THP_SIZE + off;
		r->map = (uint8_t *)r->buf.p + THP_SIZE - T.psz;
		r->maplen = (pages + 2) * T.psz;
	} else {
		r->map = r->buf.p;
		r->maplen = r->buf.len;
		r->p = r->map + T.psz + off;
	}
	r->len = len;
	r->span = span(r->p, len);
	r->seed = seed;
	pat_fill(r->map, r->maplen, seed, 0);
	return true;
}

static void region_free(struct region *r)
{
	gupdemo_buf_free(&r->buf);
}

/* Stream position of @addr in @r's pattern. */
static uint64_t region_pos(const struct region *r, const void *addr)
{
	return (uint64_t)((const uint8_t *)addr - r->map);
}

/* One DMA call on the test's file (g_dma()). */
static int dma(uint32_t op, uint32_t engine, uint32_t flags, uint64_t src,
	       uint64_t dst, uint64_t len, struct gupdemo_dma *out)
{
	return g_dma(T.fd, op, engine, flags, src, dst, len, out);
}

static uint64_t uaddr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static int pin(int fd, const void *addr, size_t len, uint32_t flags,
	       uint32_t *handle, uint64_t *npages)
{
	return gupdemo_pin_range(fd, addr, len, GUPDEMO_API_PIN_FAST, flags,
				 handle, npages);
}

/* After a failed pair of pins: release whichever was made (handles > 0). */
static void unpin_pair(uint32_t a, uint32_t b)
{
	if (a)
		gupdemo_unpin_handle(T.fd, a, 0);
	if (b)
		gupdemo_unpin_handle(T.fd, b, 0);
}

/*
 * The destination range holds the source's bytes from @spos on, the rest
 * of the destination mapping its own pattern, the source its own: one TAP
 * line, details on "#" lines.
 */
static bool check_copy(const struct region *s, uint64_t spos,
		       const struct region *d, size_t len, const char *what)
{
	size_t head = (size_t)(d->p - d->map);
	size_t bad;

	bad = pat_check(d->p, len, s->seed, spos);
	if (bad != NONE) {
		size_t n = 0;

		for (size_t i = bad; i < len; i++)
			n += d->p[i] != pat_byte(s->seed, spos + i);
		diag("%s: destination byte %zu of %zu is 0x%02x, expected 0x%02x "
		     "(%zu bytes differ; it was 0x%02x before)", what, bad, len,
		     d->p[bad], pat_byte(s->seed, spos + bad), n,
		     pat_byte(d->seed, head + bad));
		return fail("%s: destination holds the source bytes", what);
	}
	bad = pat_check(d->map, head, d->seed, 0);
	if (bad == NONE)
		bad = pat_check(d->p + len, d->maplen - head - len, d->seed,
				head + len);
	if (bad != NONE) {
		diag("%s: a byte outside the destination range changed", what);
		return fail("%s: destination holds the source bytes, nothing "
			    "around it changed", what);
	}
	bad = pat_check(s->map, s->maplen, s->seed, 0);
	if (bad != NONE) {
		diag("%s: source byte %zu of its mapping changed", what, bad);
		return fail("%s: the source is unchanged", what);
	}
	return pass("%s: destination holds the source bytes (%zu), nothing "
		    "around it and no source byte changed", what, len);
}

/* ------------------------------------------------------------------ */
/* Copies: LOOPBACK through an engine, or MEMCPY                        */
/* ------------------------------------------------------------------ */

struct xcase {
	char name[64];
	size_t len;
	size_t soff, doff;	/* offsets of the ranges in their first page */
};

static void xcase_set(struct xcase *x, const char *name, size_t len,
		      size_t soff, size_t doff)
{
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->len = len;
	x->soff = soff;
	x->doff = doff;
}

static double mib_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / MiB / ((double)ns / 1e9) : 0.0;
}

/*
 * Pins both buffers of a copy long-term (the source read-only); with @thp
 * both must be THP-backed.  Returns false when the copy cannot go on (its
 * handles are released again).
 */
static bool copy_pin(const char *what, const struct xcase *x,
		     const struct region *s, const struct region *d, bool thp,
		     const struct gupdemo_vmstat *v0, uint32_t *hs, uint32_t *hd)
{
	struct gupdemo_query qs = { 0 }, qd = { 0 };
	uint64_t ns = 0, nd = 0;
	size_t want = x->len / THP_SIZE;
	bool good;
	int ret;

	ret = pin(T.fd, s->p, x->len, GUPDEMO_PIN_LONGTERM, hs, &ns);
	good = is_errno(ret, 0, "%s: pin the source (long-term, read-only)", what);
	ret = pin(T.fd, d->p, x->len, GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE,
		  hd, &nd);
	good &= is_errno(ret, 0, "%s: pin the destination (long-term, write)",
			 what);
	if (!good) {
		unpin_pair(*hs, *hd);
		return false;
	}
	ok(ns == s->span && nd == d->span,
	   "%s: the handles hold %zu + %zu pages (%llu + %llu)", what, s->span,
	   d->span, (unsigned long long)ns, (unsigned long long)nd);
	if (!thp)
		return true;
	qs.handle = *hs;
	qd.handle = *hd;
	if (!gupdemo_query(T.fd, &qs) && !gupdemo_query(T.fd, &qd) &&
	    qs.nfolios == want && qd.nfolios == want)
		return pass("%s: both buffers are THP-backed (%zu folios of "
			    "512 pages each)", what, want);
	if (!g_thp_built())
		skip(1, "%s: %s", what, g_thp_off_reason());
	else
		skip(1, "%s: not THP-backed (folios %llu and %llu, want %zu each)",
		     what, (unsigned long long)qs.nfolios,
		     (unsigned long long)qd.nfolios, want);
	gupdemo_unpin_handle(T.fd, *hs, 0);
	gupdemo_unpin_handle(T.fd, *hd, 0);
	g_check_delta(v0, s->span + d->span, s->span + d->span, what);
	return false;
}

/* The DMA's result: its bytes, the engine that ran, the stage times. */
static void copy_result(const char *what, int ret, uint32_t op,
			uint32_t engine, const struct xcase *x,
			const struct gupdemo_dma *out)
{
	if (!is_errno(ret, 0, "%s: DMA succeeds", what))
		return;
	is_u64(out->bytes, x->len, "%s: bytes moved", what);
	if (op != GUPDEMO_DMA_MEMCPY)
		is_int(out->engine, engine_ran(engine),
		       "%s: the engine that ran is %s", what,
		       eng_name(engine_ran(engine)));
	if (x->len >= MiB)
		diag("%s: pin %.1f ms, map %.1f ms, transfer %.1f ms "
		     "(%.0f MiB/s), unmap %.1f ms, unpin %.1f ms", what,
		     out->pin_ns / 1e6, out->map_ns / 1e6, out->xfer_ns / 1e6,
		     mib_s(x->len, out->xfer_ns), out->unmap_ns / 1e6,
		     out->unpin_ns / 1e6);
}

/* A MEMCPY of the same pinned pages, for the throughput comparison. */
static void copy_memcpy_too(const char *what, const struct xcase *x,
			    const struct region *s, const struct region *d,
			    uint32_t hs, uint32_t hd, const struct gupdemo_dma *out)
{
	struct gupdemo_dma mc;
	int ret;

	ret = dma(GUPDEMO_DMA_MEMCPY, GUPDEMO_ENGINE_AUTO,
		  GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE, hs, hd, x->len,
		  &mc);
	if (is_errno(ret, 0, "%s: MEMCPY on the same handles", what))
		diag("throughput, %s: %s engine loopback %.0f MiB/s, "
		     "in-kernel memcpy of the same pages %.0f MiB/s "
		     "(engine/memcpy = %.2f)", x->name, eng_name(out->engine),
		     mib_s(x->len, out->xfer_ns), mib_s(x->len, mc.xfer_ns),
		     mc.xfer_ns ? (double)mc.xfer_ns / (double)out->xfer_ns : 0.0);
	check_copy(s, region_pos(s, s->p), d, x->len, what);
}

/*
 * src -> dst through @engine (LOOPBACK) or the CPU (MEMCPY), with the
 * sides given by address (Case 1: the call pins them short-term) or as
 * held long-term handles (Case 2).  With @memcpy_too (handles only) a
 * MEMCPY of the same pinned pages follows, for the throughput comparison.
 */
static void t_copy(uint32_t op, uint32_t engine, const struct xcase *x,
		   bool handles, bool thp, bool memcpy_too)
{
	const uint32_t both = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE;
	struct gupdemo_vmstat v0, v1;
	struct gupdemo_dma out;
	struct region s, d;
	uint32_t hs = 0, hd = 0;
	char what[200];
	int ret;

	snprintf(what, sizeof(what), "%s %s, %s, %s",
		 op == GUPDEMO_DMA_MEMCPY ? "memcpy" : "loopback",
		 op == GUPDEMO_DMA_MEMCPY ? "(cpu)" : eng_name(engine),
		 handles ? "long-term handles" : "addresses", x->name);
	if (!region_alloc(&s, x->soff, x->len, next_seed(), thp) ||
	    !region_alloc(&d, x->doff, x->len, next_seed(), thp)) {
		fail("%s: memory for the buffers", what);
		region_free(&s);
		return;
	}

	v0 = g_vmstat();
	if (handles) {
		if (!copy_pin(what, x, &s, &d, thp, &v0, &hs, &hd))
			goto out;
		v1 = g_vmstat();
		ret = dma(op, engine, both, hs, hd, x->len, &out);
		g_check_delta(&v1, 0, 0, what);
	} else {
		ret = dma(op, engine, 0, uaddr(s.p), uaddr(d.p), x->len, &out);
	}
	copy_result(what, ret, op, engine, x, &out);
	check_copy(&s, region_pos(&s, s.p), &d, x->len, what);
	if (handles && memcpy_too)
		copy_memcpy_too(what, x, &s, &d, hs, hd, &out);
	if (handles) {
		is_errno(gupdemo_unpin_handle(T.fd, hs, 0), 0,
			 "%s: unpin the source", what);
		is_errno(gupdemo_unpin_handle(T.fd, hd, GUPDEMO_UNPIN_DIRTY), 0,
			 "%s: unpin the destination dirty", what);
	}
	g_check_delta(&v0, s.span + d.span, s.span + d.span, what);
	g_check_nothing_held(T.fd, what);
out:
	region_free(&s);
	region_free(&d);
}

/* The transfer sizes, for both engines. */
static size_t base_cases(struct xcase *c)
{
	size_t n = 0, p = T.psz;

	xcase_set(&c[n++], "1 byte", 1, 0, 0);
	xcase_set(&c[n++], "4095 bytes", 4095, 0, 0);
	xcase_set(&c[n++], "4096 bytes", 4096, 0, 0);
	xcase_set(&c[n++], "4097 bytes", 4097, 0, 0);
	xcase_set(&c[n++], "3 pages", 3 * p, 0, 0);
	xcase_set(&c[n++], "300 bytes crossing a page", 300, p - 100, p - 100);
	xcase_set(&c[n++], "2 pages + 7 at offsets 123 / 3001", 2 * p + 7, 123,
		  3001 % p);
	xcase_set(&c[n++], "64 KiB", 64 * 1024, 0, 0);
	return n;
}

/* Seeded random sizes and offsets. */
static size_t random_cases(struct xcase *c, size_t n, size_t maxlen)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t r = next_seed();
		char name[64];
		size_t len = 1 + (size_t)(r % maxlen);
		size_t soff = (size_t)((r >> 24) % T.psz);
		size_t doff = (size_t)((r >> 40) % T.psz);

		snprintf(name, sizeof(name), "random %zu bytes at %zu / %zu", len,
			 soff, doff);
		xcase_set(&c[i], name, len, soff, doff);
	}
	return n;
}

static bool mem_for(size_t bytes, const char *what)
{
	uint64_t avail = meminfo_kb("MemAvailable") * 1024;

	if (avail >= bytes + 48 * MiB)
		return true;
	skip(1, "%s: needs %zu MiB free, the VM has %llu MiB available", what,
	     (bytes + 48 * MiB) / MiB, (unsigned long long)(avail / MiB));
	return false;
}

static void group_loopback(uint32_t engine)
{
	struct xcase c[32];
	size_t n = base_cases(c);
	bool soft = engine == GUPDEMO_ENGINE_SOFT;

	diag("--- loopback matrix, %s engine ---", eng_name(engine));
	if (soft) {
		xcase_set(&c[n++], "1 MiB", MiB, 0, 0);
		xcase_set(&c[n++], "1 MiB + 1 at offsets 1 / 4095", MiB + 1, 1,
			  T.psz - 1);
	}
	n += random_cases(c + n, soft ? 8 : 2, soft ? 5 * T.psz : 2 * T.psz);
	for (size_t i = 0; i < n; i++)
		for (int h = 0; h < 2; h++)
			t_copy(GUPDEMO_DMA_LOOPBACK, engine, &c[i], h, false,
			       false);
	/* AUTO picks edu when it is bound, else soft. */
	if (soft == !edu_bound())
		t_copy(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_AUTO, &c[3], false,
		       false, false);
}

static void group_soft_large(void)
{
	struct xcase x = { 0 };

	diag("--- software engine, large buffers ---");
	if (T.mem_kb < 900 * 1024) {
		skip(1, "soft 64 MiB and 256 MiB THP loopbacks: need a VM with "
		     ">= 1 GiB (THP is off below 512 MiB); this one has %llu MiB",
		     (unsigned long long)(T.mem_kb / 1024));
		return;
	}
	xcase_set(&x, "64 MiB", 64 * MiB, 0, 0);
	if (mem_for(2 * x.len + 4 * MiB, "soft 64 MiB loopback")) {
		t_copy(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, &x, false, false,
		       false);
		t_copy(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, &x, true, false,
		       true);
	}

	xcase_set(&x, "256 MiB THP-backed", 256 * MiB, 0, 0);
	if (!mem_for(2 * x.len + 8 * MiB, "soft 256 MiB THP loopback"))
		return;
	t_copy(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, &x, true, true, false);
}

static void group_memcpy(void)
{
	struct xcase c[4];

	diag("--- MEMCPY op (cpu baseline) ---");
	xcase_set(&c[0], "1 byte", 1, 0, 0);
	xcase_set(&c[1], "2 pages + 7 at offsets 123 / 3001", 2 * T.psz + 7,
		  123, 3001);
	xcase_set(&c[2], "1 MiB + 1 at offsets 1 / 4095", MiB + 1, 1,
		  T.psz - 1);
	for (size_t i = 0; i < 3; i++)
		for (int h = 0; h < 2; h++)
			t_copy(GUPDEMO_DMA_MEMCPY, GUPDEMO_ENGINE_AUTO, &c[i], h,
			       false, false);
}

/* ------------------------------------------------------------------ */
/* TO_DEVICE then FROM_DEVICE                                           */
/* ------------------------------------------------------------------ */

/*
 * TO_DEVICE of @n bytes leaves the last chunk (1..4095 bytes, at offset 0
 * of the device buffer) there; FROM_DEVICE of that many bytes returns it.
 */
static void t_roundtrip(uint32_t engine, size_t n, size_t soff, size_t doff,
			bool handles)
{
	size_t l = (n - 1) % DEV_CHUNK + 1;
	struct gupdemo_vmstat v0;
	struct gupdemo_dma out;
	struct region s, d;
	uint32_t hs = 0, hd = 0;
	char what[160];
	int ret;

	snprintf(what, sizeof(what), "%s TO_DEVICE %zu then FROM_DEVICE %zu, %s",
		 eng_name(engine), n, l, handles ? "long-term handles" : "addresses");
	if (!region_alloc(&s, soff, n, next_seed(), false) ||
	    !region_alloc(&d, doff, l, next_seed(), false)) {
		fail("%s: memory for the buffers", what);
		region_free(&s);
		return;
	}
	v0 = g_vmstat();
	if (handles) {
		ret = pin(T.fd, s.p, n, GUPDEMO_PIN_LONGTERM, &hs, NULL);
		ret = ret ?: pin(T.fd, d.p, l,
				 GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE, &hd,
				 NULL);
		if (!is_errno(ret, 0, "%s: pin both buffers", what)) {
			unpin_pair(hs, hd);
			goto out;
		}
		ret = dma(GUPDEMO_DMA_TO_DEVICE, engine, GUPDEMO_DMA_SRC_HANDLE, hs,
			  0, n, &out);
	} else {
		ret = dma(GUPDEMO_DMA_TO_DEVICE, engine, 0, uaddr(s.p), 0, n, &out);
	}
	if (is_errno(ret, 0, "%s: TO_DEVICE succeeds", what))
		is_int(out.engine, engine_ran(engine), "%s: TO_DEVICE ran on %s",
		       what, eng_name(engine_ran(engine)));
	if (handles)
		ret = dma(GUPDEMO_DMA_FROM_DEVICE, engine, GUPDEMO_DMA_DST_HANDLE,
			  0, hd, l, &out);
	else
		ret = dma(GUPDEMO_DMA_FROM_DEVICE, engine, 0, 0, uaddr(d.p), l,
			  &out);
	is_errno(ret, 0, "%s: FROM_DEVICE succeeds", what);
	check_copy(&s, region_pos(&s, s.p) + (n - l), &d, l, what);
	if (handles) {
		is_errno(gupdemo_unpin_handle(T.fd, hs, 0), 0, "%s: unpin source",
			 what);
		/* Not DIRTY: the module dirties it because the device wrote. */
		is_errno(gupdemo_unpin_handle(T.fd, hd, 0), 0,
			 "%s: unpin destination", what);
	}
	g_check_delta(&v0, s.span + d.span, s.span + d.span, what);
	g_check_nothing_held(T.fd, what);
out:
	region_free(&s);
	region_free(&d);
}

static void group_roundtrip(uint32_t engine)
{
	diag("--- TO_DEVICE / FROM_DEVICE round trips, %s engine ---",
	     eng_name(engine));
	t_roundtrip(engine, 1, 0, 0, false);
	t_roundtrip(engine, 4095, 0, 0, false);
	t_roundtrip(engine, 3000, T.psz - 1000, 77, true);
	/* 5000 bytes: two chunks; the device keeps the last 905. */
	t_roundtrip(engine, 5000, 10, T.psz - 10, false);
	t_roundtrip(engine, 5000, 0, 0, true);
}

/* ------------------------------------------------------------------ */
/* Argument checking: errnos, nothing left behind                       */
/* ------------------------------------------------------------------ */

/*
 * One memfd page mapped at two neighbouring addresses: a destination that
 * holds a page twice.  Devices must not write one cacheline through two
 * mappings at once, so the module refuses it with EINVAL; both short-term
 * pins (source and destination, 2 pages each) are released.
 */
static void t_alias(uint32_t engine)
{
	const char *w = eng_name(engine);
	struct gupdemo_vmstat v0;
	uint8_t *two, *src;
	int mfd;

	mfd = memfd_create("gupdemo-alias", MFD_CLOEXEC);
	two = mmap(NULL, 2 * T.psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, 2 * T.psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!ok(mfd >= 0 && !ftruncate(mfd, T.psz) && two != MAP_FAILED &&
		src != MAP_FAILED &&
		mmap(two, T.psz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		     mfd, 0) == two &&
		mmap(two + T.psz, T.psz, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_FIXED, mfd, 0) == two + T.psz,
		"%s: one memfd page mapped at two neighbouring addresses", w))
		return;
	memset(src, 0x5a, 2 * T.psz);
	two[0] = 1;
	ok(two[T.psz] == 1, "%s: both addresses show the same page", w);
	v0 = g_vmstat();
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, engine, 0, uaddr(src), uaddr(two),
		     2 * T.psz, NULL),
		 EINVAL, "%s: LOOPBACK into a destination holding one page twice -> EINVAL",
		 w);
	g_check_delta(&v0, 4, 4, w);
	g_check_nothing_held(T.fd, w);
	ok(two[0] == 1 && two[1] == 0, "%s: the aliased page was not written", w);
	munmap(two, 2 * T.psz);
	munmap(src, 2 * T.psz);
	close(mfd);
}

/* What goes into an address or handle field of a row of a DMA table. */
enum dma_val {
	V_NONE,		/* 0 */
	V_A, V_B,	/* the two populated regions */
	V_RO,		/* a never-touched PROT_READ page */
	V_HOLE,		/* an address with nothing mapped */
	V_H_RO,		/* handle: region a pinned read-only, short-term api */
	V_H_RO_LT,	/* handle: region a pinned read-only, long-term */
	V_H_W,		/* handle: region b pinned for writing, long-term */
	V_H_GET,	/* handle: region a, a FOLL_GET reference */
	V_H_UNKNOWN,	/* a handle nobody has */
	V_COUNT
};

/*
 * One DMA call of a table: its fields, and the errno it must fail with
 * (@err 0: it works and, with @same_bytes, copies a's first 8 bytes to b).
 * @pinned: FOLL_PIN pages the call pins and releases again: an address
 * side is pinned before a handle is looked up or the other side fails.
 */
struct dma_row {
	const char *what;
	uint32_t op, flags;
	bool bad_engine;	/* GUPDEMO_ENGINE_COUNT, not the group's engine */
	enum dma_val src_addr, src_handle, dst_addr, dst_handle;
	uint64_t len;
	int err;
	bool same_bytes;
	int64_t pinned;
};

struct dma_table_ctx {
	uint32_t engine;
	const char *w;
	uint64_t v[V_COUNT];
	uint8_t *a, *b;
};

/* Runs the rows in order; returns the pages they pinned and released. */
static int64_t dma_table(const struct dma_table_ctx *c,
			 const struct dma_row *rows, size_t n)
{
	int64_t pinned = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dma_row *r = &rows[i];
		struct gupdemo_dma d = {
			.flags = r->flags, .op = r->op, .len = r->len,
			.engine = r->bad_engine ? GUPDEMO_ENGINE_COUNT : c->engine,
			.src_addr = c->v[r->src_addr],
			.src_handle = (uint32_t)c->v[r->src_handle],
			.dst_addr = c->v[r->dst_addr],
			.dst_handle = (uint32_t)c->v[r->dst_handle],
		};
		int ret;

		if (r->same_bytes)
			memset(c->b, 0, 8);
		ret = gupdemo_dma(T.fd, &d);
		if (r->err)
			is_errno(ret, r->err, "%s: %s -> %s", c->w, r->what,
				 strerrorname_np(r->err));
		else
			ok(ret == 0 && (!r->same_bytes || !memcmp(c->a, c->b, 8)),
			   "%s: %s", c->w, r->what);
		pinned += r->pinned;
	}
	return pinned;
}

#define LB	GUPDEMO_DMA_LOOPBACK
#define TO	GUPDEMO_DMA_TO_DEVICE
#define FROM	GUPDEMO_DMA_FROM_DEVICE
#define SRC_H	GUPDEMO_DMA_SRC_HANDLE
#define DST_H	GUPDEMO_DMA_DST_HANDLE

/* Handles that do not fit, after requests that are malformed. */
static const struct dma_row dma_refused[] = {
	{ "unknown op", .op = GUPDEMO_DMA_OP_COUNT, .src_addr = V_A,
	  .dst_addr = V_B, .len = 8, .err = EINVAL },
	{ "unknown engine", .op = LB, .bad_engine = true, .src_addr = V_A,
	  .dst_addr = V_B, .len = 8, .err = EINVAL },
	{ "unknown flag", .op = LB, .flags = 1U << 3, .src_addr = V_A,
	  .dst_addr = V_B, .len = 8, .err = EINVAL },
	{ "ALLOW_GET without a handle", .op = LB,
	  .flags = GUPDEMO_DMA_ALLOW_GET, .src_addr = V_A, .dst_addr = V_B,
	  .len = 8, .err = EINVAL },
	{ "len 0", .op = LB, .src_addr = V_A, .dst_addr = V_B, .err = EINVAL },
	{ "TO_DEVICE with a destination address", .op = TO, .src_addr = V_A,
	  .dst_addr = V_B, .len = 8, .err = EINVAL },
	{ "TO_DEVICE with DST_HANDLE", .op = TO, .flags = DST_H,
	  .src_addr = V_A, .len = 8, .err = EINVAL },
	{ "FROM_DEVICE with a source address", .op = FROM, .src_addr = V_A,
	  .dst_addr = V_B, .len = 8, .err = EINVAL },
	{ "FROM_DEVICE with SRC_HANDLE", .op = FROM, .flags = SRC_H,
	  .src_handle = V_H_RO, .dst_addr = V_B, .len = 8, .err = EINVAL },
	{ "SRC_HANDLE and a source address", .op = LB, .flags = SRC_H,
	  .src_handle = V_H_RO, .src_addr = V_A, .dst_addr = V_B, .len = 8,
	  .err = EINVAL },
	{ "a destination handle without DST_HANDLE", .op = LB,
	  .dst_handle = V_H_W, .src_addr = V_A, .dst_addr = V_B, .len = 8,
	  .err = EINVAL },
	{ NULL /* "MEMCPY with engine <engine>" */, .op = GUPDEMO_DMA_MEMCPY,
	  .src_addr = V_A, .dst_addr = V_B, .len = 8, .err = EINVAL },
	{ "unknown source handle", .op = LB, .flags = SRC_H,
	  .src_handle = V_H_UNKNOWN, .dst_addr = V_B, .len = 8, .err = ENOENT,
	  .pinned = 1 },
	{ "unknown destination handle", .op = LB, .flags = DST_H,
	  .src_addr = V_A, .dst_handle = V_H_UNKNOWN, .len = 8, .err = ENOENT,
	  .pinned = 1 },
	{ "a FOLL_GET (GET_FAST) handle as source", .op = LB, .flags = SRC_H,
	  .src_handle = V_H_GET, .dst_addr = V_B, .len = 8, .err = EINVAL,
	  .pinned = 1 },
	{ "the same with ALLOW_GET moves the bytes", .op = LB,
	  .flags = SRC_H | GUPDEMO_DMA_ALLOW_GET, .src_handle = V_H_GET,
	  .dst_addr = V_B, .len = 8, .same_bytes = true, .pinned = 1 },
	{ "read-only pin as FROM_DEVICE destination", .op = FROM,
	  .flags = DST_H, .dst_handle = V_H_RO, .len = 8, .err = EPERM },
	{ "read-only long-term pin as LOOPBACK destination", .op = LB,
	  .flags = DST_H, .src_addr = V_B, .dst_handle = V_H_RO_LT, .len = 8,
	  .err = EPERM, .pinned = 1 },
};

/* Memory GUP refuses: a LOOPBACK pins its source before its destination fails. */
static const struct dma_row dma_faults[] = {
	{ "FROM_DEVICE into a PROT_READ mapping", .op = FROM,
	  .dst_addr = V_RO, .len = 8, .err = EFAULT },
	{ "LOOPBACK into a PROT_READ mapping", .op = LB, .src_addr = V_A,
	  .dst_addr = V_RO, .len = 8, .err = EFAULT, .pinned = 1 },
	{ "TO_DEVICE from an unmapped address", .op = TO, .src_addr = V_HOLE,
	  .len = 8, .err = EFAULT },
	{ "LOOPBACK into an unmapped address", .op = LB, .src_addr = V_A,
	  .dst_addr = V_HOLE, .len = 8, .err = EFAULT, .pinned = 1 },
};

#undef LB
#undef TO
#undef FROM
#undef SRC_H
#undef DST_H

/* The four handles of the error checks; returns the pages they pinned. */
static uint64_t errors_pin(struct dma_table_ctx *c, const struct region *a,
			   const struct region *b)
{
	uint64_t np, pins = 0;
	uint32_t h = 0;

	is_errno(pin(T.fd, a->p, a->len, 0, &h, &np), 0,
		 "%s: pin read-only (short-term api)", c->w);
	c->v[V_H_RO] = h;
	pins += np;
	is_errno(pin(T.fd, a->p, a->len, GUPDEMO_PIN_LONGTERM, &h, &np), 0,
		 "%s: pin read-only long-term", c->w);
	c->v[V_H_RO_LT] = h;
	pins += np;
	is_errno(pin(T.fd, b->p, b->len, GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM,
		     &h, &np), 0, "%s: pin for writing long-term", c->w);
	c->v[V_H_W] = h;
	pins += np;
	is_errno(gupdemo_pin_range(T.fd, a->p, a->len, GUPDEMO_API_GET_FAST,
				   GUPDEMO_PIN_WRITE, &h, &np), 0,
		 "%s: FOLL_GET reference (get_user_pages_fast)", c->w);
	c->v[V_H_GET] = h;
	return pins;
}

/* A handle covers its pages from the range's start on: that long, no more. */
static void errors_cover(const struct dma_table_ctx *c, const struct region *a,
			 const struct region *b)
{
	size_t cover = a->span * T.psz - 100;
	uint32_t h_ro = (uint32_t)c->v[V_H_RO], h_w = (uint32_t)c->v[V_H_W];

	is_errno(dma(GUPDEMO_DMA_TO_DEVICE, c->engine, GUPDEMO_DMA_SRC_HANDLE,
		     h_ro, 0, cover + 1, NULL), EINVAL,
		 "%s: len one byte past what the handle covers -> EINVAL", c->w);
	is_errno(dma(GUPDEMO_DMA_TO_DEVICE, c->engine, GUPDEMO_DMA_SRC_HANDLE,
		     h_ro, 0, cover, NULL), 0,
		 "%s: len exactly what the handle covers (%zu) works", c->w,
		 cover);
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, c->engine,
		     GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE, h_ro, h_w,
		     cover, NULL), 0,
		 "%s: LOOPBACK handle -> handle of that length works", c->w);
	check_copy(a, region_pos(a, a->p), b, cover, c->w);
}

/* Write pins of a PROT_READ mapping, short- and long-term. */
static void errors_ro_pins(const struct dma_table_ctx *c)
{
	static const struct {
		uint32_t flags;
		const char *what;
	} rows[] = {
		{ GUPDEMO_PIN_WRITE, "write pin" },
		{ GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM, "long-term write pin" },
	};

	for (size_t i = 0; i < G_N(rows); i++) {
		uint32_t h = 0;
		uint64_t np;
		int ret = pin(T.fd, (void *)(uintptr_t)c->v[V_RO], T.psz,
			      rows[i].flags, &h, &np);

		is_errno(ret, EFAULT, "%s: %s of a PROT_READ mapping -> EFAULT",
			 c->w, rows[i].what);
		if (!ret)
			gupdemo_unpin_handle(T.fd, h, 0);
	}
}

static void group_errors(uint32_t engine)
{
	struct dma_table_ctx c = { .engine = engine, .v[V_H_UNKNOWN] = 0x7fffffff };
	struct dma_row refused[G_N(dma_refused)];
	struct gupdemo_vmstat v0;
	struct region a, b;
	uint64_t pins, held;
	int64_t pinned;
	char w[64], memcpy_what[64];
	uint8_t *ro, *hole;

	snprintf(w, sizeof(w), "errors (%s)", eng_name(engine));
	c.w = w;
	diag("--- argument checks and refused pins, %s engine ---",
	     eng_name(engine));
	if (!region_alloc(&a, 100, 2 * T.psz, next_seed(), false) ||
	    !region_alloc(&b, 0, 3 * T.psz, next_seed(), false))
		bail_out("no memory for the error tests");
	ro = mmap(NULL, T.psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, T.psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED || hole == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	munmap(hole, T.psz);	/* now an address with nothing mapped */
	c.a = a.p;
	c.b = b.p;
	c.v[V_A] = uaddr(a.p);
	c.v[V_B] = uaddr(b.p);
	c.v[V_RO] = uaddr(ro);
	c.v[V_HOLE] = uaddr(hole);
	v0 = g_vmstat();
	pins = errors_pin(&c, &a, &b);
	held = 2 * a.span + b.span + a.span;

	memcpy(refused, dma_refused, sizeof(refused));
	snprintf(memcpy_what, sizeof(memcpy_what), "MEMCPY with engine %s",
		 eng_name(engine));
	for (size_t i = 0; i < G_N(refused); i++)
		if (!refused[i].what)
			refused[i].what = memcpy_what;
	pinned = dma_table(&c, refused, G_N(refused));
	errors_cover(&c, &a, &b);
	errors_ro_pins(&c);
	pinned += dma_table(&c, dma_faults, G_N(dma_faults));
	check_held(4, held, w);

	for (enum dma_val h = V_H_RO; h <= V_H_GET; h++)
		is_errno(gupdemo_unpin_handle(T.fd, (uint32_t)c.v[h], 0), 0,
			 "%s: unpin", w);
	/* The FOLL_PIN handles, and what the refused calls pinned (7). */
	g_check_delta(&v0, pins + pinned, pins + pinned, w);
	g_check_nothing_held(T.fd, w);
	munmap(ro, T.psz);
	region_free(&a);
	region_free(&b);
	t_alias(engine);
}

/* ------------------------------------------------------------------ */
/* Device writes into a MAP_SHARED file on ext4                         */
/* ------------------------------------------------------------------ */

struct fcase {
	char path[128];
	char name[96];
	size_t fsize;
	uint64_t fseed;		/* the file's initial content */
	size_t off, len;	/* the range the device wrote */
	uint64_t dseed, dpos;	/* what it wrote: this stream from dpos */
	bool written;		/* a DMA was expected to land */
};

static bool fs_mount(void)
{
	return run_cmd("mount -t ext4 -o loop " FS_IMG " " FS_MNT) == 0;
}

static bool fs_setup(void)
{
	run_cmd("umount " FS_MNT " >/dev/null 2>&1; rm -f " FS_IMG);
	if (run_cmd("truncate -s 32M " FS_IMG) ||
	    run_cmd("/sbin/mke2fs -q -F -t ext4 -b 4096 " FS_IMG) ||
	    run_cmd("mkdir -p " FS_MNT))
		return false;
	return fs_mount();
}

/* Creates the file with its pattern (write + fsync) and maps it shared. */
static uint8_t *fcase_create(struct fcase *f, int *fdp)
{
	uint8_t *buf = malloc(f->fsize), *m;
	int fd;

	fd = open(f->path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0 || !buf) {
		diag("create %s: %s", f->path, strerror(errno));
		free(buf);
		return NULL;
	}
	pat_fill(buf, f->fsize, f->fseed, 0);
	if (write(fd, buf, f->fsize) != (ssize_t)f->fsize || fsync(fd)) {
		diag("write %s: %s", f->path, strerror(errno));
		free(buf);
		close(fd);
		return NULL;
	}
	free(buf);
	m = mmap(NULL, f->fsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		diag("mmap %s: %s", f->path, strerror(errno));
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return m;
}

/* msync, munmap, close: nothing of the file stays mapped or open. */
static bool fcase_release(struct fcase *f, uint8_t *m, int fd)
{
	bool good = true;

	if (msync(m, f->fsize, MS_SYNC)) {
		diag("msync %s: %s", f->path, strerror(errno));
		good = false;
	}
	munmap(m, f->fsize);
	if (fsync(fd))
		good = false;
	close(fd);
	return good;
}

/* After the remount: read(2) the file, compare with what must be there. */
static void fcase_verify(const struct fcase *f)
{
	uint8_t *buf = malloc(f->fsize);
	size_t bad;
	ssize_t n;
	int fd;

	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 || !buf ? -1 : read(fd, buf, f->fsize);
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)f->fsize) {
		fail("%s: read the file back after the remount (%zd: %s)", f->name,
		     n, strerror(errno));
		free(buf);
		return;
	}
	bad = pat_check(buf, f->off, f->fseed, 0);
	if (bad == NONE)
		bad = pat_check(buf + f->off + f->len, f->fsize - f->off - f->len,
				f->fseed, f->off + f->len);
	if (bad != NONE)
		diag("%s: a byte outside the written range changed", f->name);
	if (f->written) {
		size_t d = pat_check(buf + f->off, f->len, f->dseed, f->dpos);

		if (d != NONE)
			diag("%s: file byte %zu is 0x%02x, device wrote 0x%02x "
			     "(initial 0x%02x)", f->name, f->off + d,
			     buf[f->off + d], pat_byte(f->dseed, f->dpos + d),
			     pat_byte(f->fseed, f->off + d));
		ok(bad == NONE && d == NONE,
		   "%s: after msync + umount + mount, read(2) finds the device's "
		   "%zu bytes at %zu and the rest unchanged", f->name, f->len,
		   f->off);
	} else {
		ok(bad == NONE && pat_check(buf + f->off, f->len, f->fseed,
					     f->off) == NONE,
		   "%s: the file is unchanged", f->name);
	}
	free(buf);
}

/*
 * The ways a device writes into a MAP_SHARED ext4 file: each runs one DMA
 * (@engine, source @src) into f->off..+f->len of the mapping @m and returns
 * the pages it pinned (the delta both pin counters must move by).
 */
static uint64_t file_loopback(struct fcase *f, uint8_t *m, uint32_t engine,
			      const uint8_t *src)
{
	/* The call pins the file pages short-term. */
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, engine, 0, uaddr(src),
		     uaddr(m + f->off), f->len, NULL), 0, "%s", f->name);
	return span(src, f->len) + span(m + f->off, f->len);
}

/* A short-term (not LONGTERM) write handle, UNPIN DIRTY. */
static uint64_t file_handle(struct fcase *f, uint8_t *m, uint32_t engine,
			    const uint8_t *src)
{
	uint64_t np = 0;
	uint32_t h = 0;
	int ret;

	ret = pin(T.fd, m + f->off, f->len, GUPDEMO_PIN_WRITE, &h, &np);
	is_errno(ret, 0, "%s: pin the file range for writing (not long-term)",
		 f->name);
	ret = ret ?: dma(GUPDEMO_DMA_TO_DEVICE, engine, 0, uaddr(src), 0,
			 f->len, NULL);
	ret = ret ?: dma(GUPDEMO_DMA_FROM_DEVICE, engine, GUPDEMO_DMA_DST_HANDLE,
			 0, h, f->len, NULL);
	is_errno(ret, 0, "%s", f->name);
	is_errno(gupdemo_unpin_handle(T.fd, h, GUPDEMO_UNPIN_DIRTY), 0,
		 "%s: UNPIN with GUPDEMO_UNPIN_DIRTY", f->name);
	return span(src, f->len) + np;
}

/* A handle on another file, dirtied at close(). */
static uint64_t file_close(struct fcase *f, uint8_t *m, uint32_t engine,
			   const uint8_t *src)
{
	int fd2 = g_open(), ret;
	uint64_t np = 0;
	uint32_t h = 0;

	ret = pin(fd2, m + f->off, f->len, GUPDEMO_PIN_WRITE, &h, &np);
	is_errno(ret, 0, "%s: pin on a second descriptor", f->name);
	if (!ret) {
		struct gupdemo_dma d = {
			.flags = GUPDEMO_DMA_DST_HANDLE,
			.op = GUPDEMO_DMA_LOOPBACK, .engine = engine,
			.src_addr = uaddr(src), .dst_handle = h, .len = f->len,
		};

		ret = gupdemo_dma(fd2, &d);
	}
	is_errno(ret, 0, "%s", f->name);
	close(fd2);
	return span(src, f->len) + np;
}

/* A LONGTERM write pin of a shared ext4 mapping: refused on 6.5+. */
static uint64_t file_longterm(struct fcase *f, uint8_t *m, uint32_t engine,
			      const uint8_t *src)
{
	uint64_t np = 0;
	uint32_t h = 0;
	int ret;

	ret = pin(T.fd, m + f->off, f->len,
		  GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM, &h, &np);
	if (T.kver >= KV(6, 5, 0)) {
		is_errno(ret, EFAULT, "%s: refused by this kernel (>= 6.5: no "
			 "writable long-term pins of ext4 MAP_SHARED) -> EFAULT",
			 f->name);
		f->written = false;
		if (!ret)
			gupdemo_unpin_handle(T.fd, h, 0);
		return ret ? 0 : np;
	}
	is_errno(ret, 0, "%s: allowed on this kernel (< 6.5)", f->name);
	if (ret) {
		f->written = false;
		return 0;
	}
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, engine, GUPDEMO_DMA_DST_HANDLE,
		     uaddr(src), h, f->len, NULL), 0, "%s", f->name);
	is_errno(gupdemo_unpin_handle(T.fd, h, GUPDEMO_UNPIN_DIRTY), 0,
		 "%s: UNPIN dirty", f->name);
	return span(src, f->len) + np;
}

/*
 * The file cases: where in the 6-page file the device writes (@off_pages
 * pages + @off bytes, @len_pages pages + @len bytes) and from where in the
 * source region (@src_pages pages + @src bytes).
 */
static const struct {
	const char *what;
	uint64_t (*run)(struct fcase *f, uint8_t *m, uint32_t engine,
			const uint8_t *src);
	int off_pages, off, len_pages, len, src_pages, src;
} file_cases[] = {
	{ "LOOPBACK to an address", file_loopback, 0, 100, 2, 500, 0, 0 },
	{ "FROM_DEVICE into a write handle", file_handle, 1, -1000, 0, 3000,
	  0, 5 },
	{ "LOOPBACK into a handle released by close", file_close, 2, 7, 1, 3,
	  0, 1 },
	{ "long-term write handle", file_longterm, 0, 0, 2, 0, 2, 0 },
};

/* One file case: a new file, the DMA, msync and the pin deltas. */
static bool file_case(struct fcase *f, int v, uint32_t engine,
		      const struct region *s)
{
	struct gupdemo_vmstat v0 = g_vmstat();
	size_t p = T.psz;
	uint64_t pins;
	const uint8_t *src = s->p + file_cases[v].src_pages * p +
			     file_cases[v].src;
	uint8_t *m;
	int fd = -1;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), FS_MNT "/f-%s-%d", eng_name(engine),
		 v);
	f->fsize = 6 * p;
	f->fseed = next_seed();
	f->dseed = s->seed;
	f->written = true;
	m = fcase_create(f, &fd);
	if (!ok(m, "file %s created and mapped MAP_SHARED", f->path))
		return false;
	snprintf(f->name, sizeof(f->name), "file %s: %s", eng_name(engine),
		 file_cases[v].what);
	f->off = (size_t)(file_cases[v].off_pages * (ssize_t)p + file_cases[v].off);
	f->len = (size_t)(file_cases[v].len_pages * (ssize_t)p + file_cases[v].len);
	f->dpos = region_pos(s, src);
	pins = file_cases[v].run(f, m, engine, src);
	ok(fcase_release(f, m, fd), "%s: msync(MS_SYNC), munmap, fsync",
	   f->name);
	g_check_delta(&v0, pins, pins, f->name);
	return true;
}

static void group_file(uint32_t engine)
{
	struct fcase fc[G_N(file_cases)];
	size_t nf = 0;
	struct region s;

	diag("--- device writes into a MAP_SHARED file on ext4 (%s) ---",
	     eng_name(engine));
	if (!ok(fs_setup(), "ext4 on a loop device in the guest: mke2fs + mount"))
		return;
	if (!region_alloc(&s, 0, 4 * T.psz, next_seed(), false))
		bail_out("no memory");
	for (size_t v = 0; v < G_N(file_cases); v++)
		nf += file_case(&fc[nf], (int)v, engine, &s);
	g_check_nothing_held(T.fd, "file DMA");
	/* Data must come from the disk image, not from the page cache. */
	ok(run_cmd("umount " FS_MNT) == 0 && fs_mount() &&
	   run_cmd("echo 3 > /proc/sys/vm/drop_caches") == 0,
	   "umount, mount again, drop caches");
	for (size_t i = 0; i < nf; i++)
		fcase_verify(&fc[i]);
	run_cmd("umount " FS_MNT "; rm -f " FS_IMG);
	region_free(&s);
}

/* ------------------------------------------------------------------ */
/* Failure injection over the DMA path                                  */
/* ------------------------------------------------------------------ */

/*
 * Pages a short-term pin of @pages pages in batches of @batch holds when
 * its @k-th fail-able step fails (step 1: the pages array, then one per
 * GUP call): the batches before that one, released again.  Past its last
 * step, all of them.
 */
static int64_t pinned_at(uint64_t k, uint64_t pages, uint64_t batch)
{
	uint64_t steps = 1 + (pages + batch - 1) / batch;

	if (k > steps)
		return (int64_t)pages;
	return k <= 1 ? 0 : (int64_t)((k - 2) * batch < pages ? (k - 2) * batch
							      : pages);
}

/* One fail_nth sweep: its buffers, and what it holds throughout. */
struct sweep {
	const char *what;
	uint32_t engine;
	size_t len;
	bool handles;
	uint64_t batch;
	struct region s, d;
	uint32_t hs, hd;
	uint64_t held_pins, held_pages;
};

/* Pins both buffers long-term, for a sweep over handles. */
static bool sweep_pin(struct sweep *w)
{
	int ret = pin(T.fd, w->s.p, w->len, GUPDEMO_PIN_LONGTERM, &w->hs, NULL);

	ret = ret ?: pin(T.fd, w->d.p, w->len,
			 GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE, &w->hd, NULL);
	if (!is_errno(ret, 0, "%s: pin both buffers", w->what)) {
		unpin_pair(w->hs, w->hd);
		return false;
	}
	w->held_pins = 2;
	w->held_pages = w->s.span + w->d.span;
	return true;
}

/*
 * The DMA with fail_nth = @n; when it fails with ENOMEM, whether the pages
 * pinned before the failing step were released and nothing else moved
 * (false, with a failed TAP line, if not).  @ret and @left: its result and
 * what fail_nth reads afterwards.
 */
static bool sweep_step(const struct sweep *w, int n, int *ret, uint64_t *left)
{
	uint32_t fl = w->handles ? GUPDEMO_DMA_SRC_HANDLE |
				   GUPDEMO_DMA_DST_HANDLE : 0;
	struct gupdemo_vmstat v0 = g_vmstat(), v1;
	uint64_t src_steps = 1 + (w->s.span + w->batch - 1) / w->batch;
	struct gupdemo_info i;
	int64_t da, dr, exp = 0;

	if (g_write_u64(FAIL_NTH, (uint64_t)n))
		bail_out("cannot write " FAIL_NTH);
	if (w->handles)
		*ret = dma(GUPDEMO_DMA_LOOPBACK, w->engine, fl, w->hs, w->hd,
			   w->len, NULL);
	else
		*ret = dma(GUPDEMO_DMA_LOOPBACK, w->engine, fl, uaddr(w->s.p),
			   uaddr(w->d.p), w->len, NULL);
	if (g_read_u64(FAIL_NTH, left))
		bail_out("cannot read " FAIL_NTH);
	v1 = g_vmstat();
	if (*ret != -ENOMEM)
		return true;
	i = g_info(T.fd);
	da = (int64_t)(v1.acquired - v0.acquired);
	dr = (int64_t)(v1.released - v0.released);
	if (!w->handles) {
		exp = pinned_at((uint64_t)n, w->s.span, w->batch);
		if ((uint64_t)n > src_steps)
			exp += pinned_at((uint64_t)n - src_steps, w->d.span,
					 w->batch);
	}
	if (*left == 0 && da == exp && dr == exp &&
	    i.pins_held == w->held_pins && i.pages_held == w->held_pages)
		return true;
	fail("%s: fail_nth=%d: ENOMEM, countdown used up, delta acq/rel "
	     "%lld/%lld (expected %lld), held %llu/%llu", w->what, n,
	     (long long)da, (long long)dr, (long long)exp,
	     (unsigned long long)i.pins_held, (unsigned long long)i.pages_held);
	diag("fail_nth reads %llu", (unsigned long long)*left);
	return false;
}

/*
 * For N = 1, 2, ...: arm fail_nth = N, DMA: -ENOMEM with nothing held and
 * the counters balanced, until the call succeeds; it then left the
 * countdown at 1 (armed, unused) and moved the data.  Steps, in order:
 * per address side the pages-array allocation and the GUP call (one batch
 * here), then per side the sg_table allocation and dma_map, then each
 * engine step.
 * @batch: pin_batch module parameter during the sweep (0: leave it); with
 * 1 every page is its own GUP call, so failures hit half-pinned ranges.
 */
static void t_fail_sweep(uint32_t engine, size_t len, size_t soff,
			 size_t doff, bool handles, uint64_t batch)
{
	struct sweep w = { .engine = engine, .len = len, .handles = handles };
	uint64_t old_batch = 0, left = 0;
	struct gupdemo_vmstat v0;
	int steps, ret = 0, n;
	bool all = true;
	char what[128];

	if (g_param_get("pin_batch", &old_batch))
		bail_out("cannot read the pin_batch parameter");
	snprintf(what, sizeof(what), "fail_nth sweep, %s, %zu bytes, %s, "
		 "pin_batch %llu", eng_name(engine), len,
		 handles ? "handles" : "addresses",
		 (unsigned long long)(batch ?: old_batch));
	w.what = what;
	if (batch && g_param_set("pin_batch", batch))
		bail_out("cannot set the pin_batch parameter");
	w.batch = batch ?: old_batch;
	if (!region_alloc(&w.s, soff, len, next_seed(), false) ||
	    !region_alloc(&w.d, doff, len, next_seed(), false))
		bail_out("no memory");
	if (handles && !sweep_pin(&w))
		goto out;
	for (n = 1; n <= 100; n++) {
		all &= sweep_step(&w, n, &ret, &left);
		if (ret != -ENOMEM)
			break;
	}
	steps = n - 1;
	ok(all, "%s: each of the first %d steps failed alone with ENOMEM, "
	   "leaving nothing pinned or held", what, steps);
	is_errno(ret, 0, "%s: fail_nth=%d (one past the last step) succeeds",
		 what, n);
	is_u64(left, 1, "%s: fail_nth still armed afterwards (reads 1)", what);
	g_write_u64(FAIL_NTH, 0);
	g_read_u64(FAIL_NTH, &left);
	is_u64(left, 0, "%s: writing 0 disarms it", what);
	ok(steps > 3, "%s: %d fail-able steps (> 3)", what, steps);
	if (!ret)
		check_copy(&w.s, region_pos(&w.s, w.s.p), &w.d, len, what);
	v0 = g_vmstat();
	if (handles) {
		gupdemo_unpin_handle(T.fd, w.hs, 0);
		gupdemo_unpin_handle(T.fd, w.hd, 0);
		g_check_delta(&v0, 0, w.s.span + w.d.span, what);
	}
	g_check_nothing_held(T.fd, what);
out:
	g_write_u64(FAIL_NTH, 0);
	g_param_set("pin_batch", old_batch);
	region_free(&w.s);
	region_free(&w.d);
}

static void group_fail(uint32_t engine)
{
	diag("--- failure injection, %s engine ---", eng_name(engine));
	if (!(g_info(T.fd).features & GUPDEMO_FEAT_FAIL_INJECT)) {
		fail("GET_INFO has FEAT_FAIL_INJECT");
		return;
	}
	if (engine == GUPDEMO_ENGINE_EDU) {
		/* Tiny: every step that reaches the device costs 100 ms. */
		t_fail_sweep(engine, 2, 10, 20, false, 0);
		t_fail_sweep(engine, 2, 10, T.psz - 1, true, 0);
	} else {
		t_fail_sweep(engine, T.psz + 10, 100, 50, false, 0);
		t_fail_sweep(engine, 3 * T.psz, 0, 0, true, 0);
		/* One page per GUP call: failures between batches. */
		t_fail_sweep(engine, 3 * T.psz + 10, 100, 50, false, 1);
	}
}

/* ------------------------------------------------------------------ */
/* edu: SIGKILL mid-transfer, concurrency, unbind                       */
/* ------------------------------------------------------------------ */

/*
 * A child that runs one long edu loopback (13 chunks: 26 commands with an
 * IOMMU, up to ~50 without, 2.6 to 5 s): signals
 * @ready just before the call, then writes the call's result to @done and
 * waits to be killed.  @span_total gets the pages it pins.
 */
static pid_t spawn_long_edu(int ready[2], int done[2], uint64_t *span_total)
{
	size_t len = 12 * T.psz - 9, off = 5;
	pid_t pid;

	*span_total = 2 * ((off + len + T.psz - 1) / T.psz);
	if (pipe(ready) || pipe(done))
		bail_out("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		struct region s, d;
		int fd, ret;

		close(ready[0]);
		close(done[0]);
		if (gupdemo_open(NULL, &fd) ||
		    !region_alloc(&s, off, len, 1, false) ||
		    !region_alloc(&d, off, len, 2, false))
			_exit(3);
		T.fd = fd;
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		ret = dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU, 0, uaddr(s.p),
			  uaddr(d.p), len, NULL);
		if (write(done[1], &ret, sizeof(ret)) != sizeof(ret))
			_exit(3);
		sleep(60);
		_exit(0);
	}
	close(ready[1]);
	close(done[1]);
	return pid;
}

static void t_sigkill(void)
{
	struct gupdemo_vmstat v0 = g_vmstat();
	int ready[2], done[2], st, ret = 1;
	uint64_t pages;
	double t0, t1;
	char c;
	pid_t pid;

	diag("--- SIGKILL in the middle of an edu transfer ---");
	pid = spawn_long_edu(ready, done, &pages);
	ok(read(ready[0], &c, 1) == 1, "child is about to start a long edu "
	   "loopback");
	sleep_ms(250);
	t0 = now_s();
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	t1 = now_s();
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child killed by SIGKILL");
	is_int(read(done[0], &ret, sizeof(ret)), 0,
	       "the DMA call had not returned when the child died");
	ok(t1 - t0 < 1.0, "the transfer stopped promptly: child gone %.0f ms "
	   "after the kill (the rest of the transfer takes > 2 s)",
	   (t1 - t0) * 1000);
	close(ready[0]);
	close(done[0]);
	g_check_delta(&v0, pages, pages, "after SIGKILL");
	g_check_nothing_held(T.fd, "after SIGKILL");
	ok(edu_bound(), "edu is still bound (quiesced, not dead)");
}

/* @nchild processes at once; edu ones serialise on the one channel. */
static void t_concurrent(void)
{
	enum { NCHILD = 4, ITER = 2 };
	size_t len = T.psz + 1000, soff = 300, doff = 3000;
	uint64_t pages = 0;
	struct gupdemo_vmstat v0 = g_vmstat();
	pid_t pid[NCHILD];
	bool all = true;
	double t0 = now_s();

	diag("--- concurrent DMA: 3 processes on edu, 1 on soft ---");
	fflush(NULL);
	for (int i = 0; i < NCHILD; i++) {
		uint32_t engine = i < 3 ? GUPDEMO_ENGINE_EDU : GUPDEMO_ENGINE_SOFT;
		uint64_t seed = next_seed();

		pages += ITER * ((soff + len + T.psz - 1) / T.psz +
				 (doff + len + T.psz - 1) / T.psz);
		pid[i] = fork();
		if (pid[i] < 0)
			bail_out("fork: %s", strerror(errno));
		if (pid[i] == 0) {
			struct region s, d;
			int fd;

			if (gupdemo_open(NULL, &fd))
				_exit(3);
			T.fd = fd;
			for (int k = 0; k < ITER; k++) {
				if (!region_alloc(&s, soff, len, seed + k, false) ||
				    !region_alloc(&d, doff, len, ~seed - k, false))
					_exit(3);
				if (dma(GUPDEMO_DMA_LOOPBACK, engine, 0, uaddr(s.p),
					uaddr(d.p), len, NULL))
					_exit(1);
				if (pat_check(d.p, len, s.seed, region_pos(&s, s.p))
				    != NONE)
					_exit(2);
				region_free(&s);
				region_free(&d);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < NCHILD; i++) {
		int st;

		waitpid(pid[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			all = false;
			diag("child %d (%s): status %#x (1: DMA failed, 2: wrong "
			     "data, 3: setup)", i, i < 3 ? "edu" : "soft", st);
		}
	}
	ok(all, "%d processes x %d loopbacks of %zu bytes at once: all succeed "
	   "with the right bytes (%.1f s)", NCHILD, ITER, len, now_s() - t0);
	g_check_delta(&v0, pages, pages, "concurrent DMA");
	g_check_nothing_held(T.fd, "concurrent DMA");
}

static bool edu_sysfs(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), EDU_DRV "/%s", file);
	return g_write_file(path, T.edu_bdf) == 0;
}

static void t_unbind(void)
{
	struct region s, d;
	uint32_t hs = 0, hd = 0;
	struct gupdemo_dma out;
	struct gupdemo_vmstat v0;
	uint64_t pages;
	size_t len = 5000;
	int ret;

	diag("--- unbind / rebind the edu PCI device (%s) with files open ---",
	     T.edu_bdf);
	if (!region_alloc(&s, 11, len, next_seed(), false) ||
	    !region_alloc(&d, 22, len, next_seed(), false))
		bail_out("no memory");
	v0 = g_vmstat();
	ret = pin(T.fd, s.p, len, GUPDEMO_PIN_LONGTERM, &hs, NULL);
	ret = ret ?: pin(T.fd, d.p, len, GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE,
			 &hd, NULL);
	if (!is_errno(ret, 0, "unbind: hold two long-term handles")) {
		unpin_pair(hs, hd);
		region_free(&s);
		region_free(&d);
		return;
	}
	pages = s.span + d.span;

	ok(edu_sysfs("unbind"), "unbind: write %s to " EDU_DRV "/unbind",
	   T.edu_bdf);
	ok(!(g_info(T.fd).features & GUPDEMO_FEAT_ENGINE_EDU) &&
	   (g_info(T.fd).features & GUPDEMO_FEAT_ENGINE_SOFT),
	   "unbind: GET_INFO: ENGINE_EDU cleared, ENGINE_SOFT still set");
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU, 0, uaddr(s.p),
		     uaddr(d.p), len, NULL), ENODEV,
		 "unbind: LOOPBACK on edu by address -> ENODEV");
	is_errno(dma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU,
		     GUPDEMO_DMA_SRC_HANDLE, hs, 0, len, NULL), ENODEV,
		 "unbind: TO_DEVICE on edu from a handle -> ENODEV");
	check_held(2, pages, "unbind: the handles survive");
	ret = dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_AUTO,
		  GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE, hs, hd, len, &out);
	is_errno(ret, 0, "unbind: LOOPBACK on auto works");
	is_int(out.engine, GUPDEMO_ENGINE_SOFT, "unbind: auto ran the soft engine");
	check_copy(&s, region_pos(&s, s.p), &d, len, "unbind: soft on handles");

	ok(edu_sysfs("bind"), "rebind: write %s to " EDU_DRV "/bind", T.edu_bdf);
	ok(g_info(T.fd).features & GUPDEMO_FEAT_ENGINE_EDU,
	   "rebind: GET_INFO: ENGINE_EDU set again");
	pat_fill(d.map, d.maplen, d.seed, 0);
	ret = dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU,
		  GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE, hs, hd, len, &out);
	is_errno(ret, 0, "rebind: LOOPBACK on edu from the old handles works");
	check_copy(&s, region_pos(&s, s.p), &d, len, "rebind: edu on handles");
	gupdemo_unpin_handle(T.fd, hs, 0);
	gupdemo_unpin_handle(T.fd, hd, 0);
	g_check_delta(&v0, pages, pages, "unbind / rebind");
	g_check_nothing_held(T.fd, "unbind / rebind");
	region_free(&s);
	region_free(&d);
}

/* Unbind while a transfer runs: it stops with ENODEV, nothing leaks. */
static void t_unbind_inflight(void)
{
	struct gupdemo_vmstat v0 = g_vmstat();
	int ready[2], done[2], st, ret = 0;
	uint64_t pages;
	double t0, t1;
	bool unbound;
	char c;
	pid_t pid;

	diag("--- unbind edu while a transfer runs ---");
	pid = spawn_long_edu(ready, done, &pages);
	ok(read(ready[0], &c, 1) == 1, "child is about to start a long edu "
	   "loopback");
	sleep_ms(300);
	t0 = now_s();
	unbound = edu_sysfs("unbind");
	t1 = now_s();
	ok(unbound, "unbind during the transfer (took %.0f ms)", (t1 - t0) * 1000);
	is_int(read(done[0], &ret, sizeof(ret)), sizeof(ret),
	       "the child's DMA call returned");
	is_errno(ret, ENODEV, "the interrupted transfer fails with ENODEV");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(ready[0]);
	close(done[0]);
	g_check_delta(&v0, pages, pages, "unbind during a transfer");
	g_check_nothing_held(T.fd, "unbind during a transfer");
	ok(edu_sysfs("bind"), "rebind");
	ok(edu_bound(), "edu bound again");
}

/* ------------------------------------------------------------------ */
/* Pages above edu's 28-bit limit                                       */
/* ------------------------------------------------------------------ */

/* Physical address of each page of [addr, addr + n pages), 0 if unknown. */
static void phys_of(const uint8_t *addr, size_t n, uint64_t *phys)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	memset(phys, 0, n * sizeof(*phys));
	if (fd < 0)
		return;
	while (got < n) {
		ssize_t r = pread(fd, phys + got, (n - got) * 8,
				  (off_t)(((uintptr_t)addr / T.psz + got) * 8));

		if (r <= 0)
			break;
		got += (size_t)r / 8;
	}
	close(fd);
	for (size_t i = 0; i < n; i++)
		phys[i] = (phys[i] >> 63) ? (phys[i] & ((1ULL << 55) - 1)) * T.psz
					  : 0;
}

/*
 * Without physical addresses (no pagemap): try pages 1 MiB apart until a
 * few are refused; each result is success with the right bytes or ERANGE.
 */
static void high_pages_blind(uint8_t *big, size_t npages)
{
	struct gupdemo_vmstat v0 = g_vmstat();
	size_t step = MiB / T.psz, tried = 0, refused = 0, good = 0;
	bool all = true;

	for (size_t i = 0; i < npages && refused < 4; i += step, tried++) {
		uint8_t *pg = big + i * T.psz;
		uint64_t seed = next_seed();
		int r1, r2;

		pat_fill(pg, T.psz, seed, 0);
		r1 = dma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU, 0,
			 uaddr(pg + 64), 0, 64, NULL);
		r2 = dma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_EDU, 0, 0,
			 uaddr(pg + 1024), 64, NULL);
		if (r1 == 0 && r2 == 0 &&
		    pat_check(pg + 1024, 64, seed, 64) == NONE) {
			good++;
		} else if (r1 == -ERANGE && r2 == -ERANGE &&
			   pat_check(pg, T.psz, seed, 0) == NONE) {
			refused++;
		} else {
			all = false;
			diag("page %zu: TO_DEVICE %d, FROM_DEVICE %d", i, r1, r2);
		}
	}
	ok(all, "no pagemap: %zu pages tried, each worked with the right bytes "
	   "(%zu) or was refused with ERANGE and left alone (%zu)", tried, good,
	   refused);
	ok(refused > 0, "no pagemap: at least one page refused with ERANGE");
	g_check_delta(&v0, 2 * tried, 2 * tried, "28-bit refusals");
	g_check_nothing_held(T.fd, "28-bit refusals");
}

/* 384 MiB of touched pages, where they lie, and the ones picked to try. */
struct high_area {
	uint8_t *big;
	uint64_t *phys;
	size_t npages, nlow, nhigh;
	size_t low[4], high[8], nl, nh;	/* picked page indexes */
};

static bool high_page(const struct high_area *a, size_t i)
{
	return a->phys[i] + T.psz - 1 > EDU_LIMIT;
}

static void high_area_map(struct high_area *a)
{
	size_t bytes;

	a->npages = 384 * MiB / T.psz;
	bytes = a->npages * T.psz;
	a->phys = calloc(a->npages, sizeof(*a->phys));
	a->big = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->big == MAP_FAILED || !a->phys)
		bail_out("no memory for 384 MiB");
	madvise(a->big, bytes, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < a->npages; i++)
		a->big[i * T.psz] = 1;
	phys_of(a->big, a->npages, a->phys);
	for (size_t i = 0; i < a->npages; i++) {
		if (!a->phys[i])
			continue;
		if (high_page(a, i))
			a->nhigh++;
		else
			a->nlow++;
	}
	diag("384 MiB touched: %zu pages below 256 MiB, %zu above, %zu unknown",
	     a->nlow, a->nhigh, a->npages - a->nlow - a->nhigh);
}

static void high_area_unmap(struct high_area *a)
{
	munmap(a->big, a->npages * T.psz);
	free(a->phys);
}

/* Up to 3 pages below the limit and 8 above, spread over the area. */
static void high_area_pick(struct high_area *a)
{
	for (size_t i = 0, kl = 0, kh = 0; i < a->npages; i++) {
		if (!a->phys[i])
			continue;
		if (high_page(a, i)) {
			if (a->nh < 8 && kh++ % (a->nhigh / 8 + 1) == 0)
				a->high[a->nh++] = i;
		} else if (a->nl < 3 && kl++ % (a->nlow / 3 + 1) == 0) {
			a->low[a->nl++] = i;
		}
	}
}

/* TO_DEVICE + FROM_DEVICE on each picked page; returns the pages pinned. */
static uint64_t high_pages_each(const struct high_area *a, bool refuse)
{
	uint64_t pins = 0;

	for (size_t k = 0; k < a->nl + a->nh; k++) {
		bool is_high = k >= a->nl;
		size_t i = is_high ? a->high[k - a->nl] : a->low[k];
		uint8_t *pg = a->big + i * T.psz;
		uint64_t seed = next_seed();
		int r1, r2;

		pat_fill(pg, T.psz, seed, 0);
		r1 = dma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU, 0,
			 uaddr(pg + 64), 0, 64, NULL);
		r2 = dma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_EDU, 0, 0,
			 uaddr(pg + 1024), 64, NULL);
		pins += 2;
		if (!refuse || !is_high)
			ok(r1 == 0 && r2 == 0 &&
			   pat_check(pg + 1024, 64, seed, 64) == NONE,
			   "edu page at phys %#llx (%s 256 MiB): TO_DEVICE + "
			   "FROM_DEVICE work, bytes right (%d, %d)",
			   (unsigned long long)a->phys[i],
			   is_high ? "above" : "below", r1, r2);
		else
			ok(r1 == -ERANGE && r2 == -ERANGE &&
			   pat_check(pg, T.psz, seed, 0) == NONE,
			   "edu page at phys %#llx (above 256 MiB): TO_DEVICE and "
			   "FROM_DEVICE -> ERANGE, page untouched (%d, %d)",
			   (unsigned long long)a->phys[i], r1, r2);
	}
	return pins;
}

/* LOOPBACK between a low and a high page, both ways; returns the pages pinned. */
static uint64_t high_pages_low_high(const struct high_area *a)
{
	uint8_t *lo = a->big + a->low[0] * T.psz, *hi = a->big + a->high[0] * T.psz;

	is_errno(dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU, 0, uaddr(lo),
		     uaddr(hi + 8), 16, NULL), ERANGE,
		 "edu LOOPBACK low -> high page: ERANGE (source was mapped, "
		 "then unwound)");
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU, 0, uaddr(hi),
		     uaddr(lo + 8), 16, NULL), ERANGE,
		 "edu LOOPBACK high -> low page: ERANGE");
	return 4;
}

/* A held handle over mixed pages: refused on edu, fine on soft. */
static uint64_t high_pages_handle(const struct high_area *a)
{
	size_t first = a->high[0] >= 8 ? a->high[0] - 8 : 0, n = 16;
	uint8_t *p = a->big + first * T.psz;
	struct region d;
	uint64_t np = 0;
	uint32_t h;
	int ret;

	if (!region_alloc(&d, 0, n * T.psz, next_seed(), false))
		bail_out("no memory");
	pat_fill(p, n * T.psz, next_seed(), 0);
	ret = pin(T.fd, p, n * T.psz, GUPDEMO_PIN_LONGTERM, &h, &np);
	is_errno(ret, 0, "long-term handle over 16 pages incl. one above 256 MiB");
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU,
		     GUPDEMO_DMA_SRC_HANDLE, h, uaddr(d.p), n * T.psz, NULL),
		 ERANGE, "edu LOOPBACK from that handle -> ERANGE");
	check_held(1, np, "after ERANGE the handle is still held");
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT,
		     GUPDEMO_DMA_SRC_HANDLE, h, uaddr(d.p), n * T.psz, NULL),
		 0, "soft LOOPBACK from the same handle works");
	ok(memcmp(p, d.p, n * T.psz) == 0, "soft: bytes right");
	is_errno(gupdemo_unpin_handle(T.fd, h, 0), 0, "unpin the handle");
	/* edu pinned the destination, then refused; soft pinned it. */
	np += 2 * d.span;
	region_free(&d);
	return np;
}

/*
 * edu TO_DEVICE / FROM_DEVICE on single pages below and above 256 MiB.
 * @refuse: no IOMMU, 28-bit mask: pages above the limit give ERANGE (and
 * stay untouched); with an IOMMU every page works.
 */
static void group_high_pages(bool refuse)
{
	const char *what = refuse ? "28-bit refusals" : "high pages";
	struct high_area a = { 0 };
	struct gupdemo_vmstat v0;
	uint64_t pins;

	diag("--- edu and pages above 256 MiB (%s) ---",
	     refuse ? "28-bit mask, no IOMMU" : "IOMMU");
	high_area_map(&a);
	if (refuse && (T.blind || (!a.nlow && !a.nhigh))) {
		high_pages_blind(a.big, a.npages);
		high_area_unmap(&a);
		return;
	}
	if (!ok(a.nhigh > 0, "some touched pages lie above 256 MiB (pagemap)")) {
		high_area_unmap(&a);
		return;
	}
	high_area_pick(&a);
	v0 = g_vmstat();
	pins = high_pages_each(&a, refuse);
	if (refuse && a.nl)
		pins += high_pages_low_high(&a);
	if (refuse)
		pins += high_pages_handle(&a);
	g_check_delta(&v0, pins, pins, what);
	g_check_nothing_held(T.fd, what);
	high_area_unmap(&a);
}

/* ------------------------------------------------------------------ */
/* Without edu                                                           */
/* ------------------------------------------------------------------ */

static void group_noedu(void)
{
	struct region s, d;
	struct gupdemo_vmstat v0;
	struct gupdemo_dma out;
	uint32_t h = 0;
	uint64_t np = 0;

	diag("--- no edu device ---");
	ok(!(g_info(T.fd).features & GUPDEMO_FEAT_ENGINE_EDU),
	   "GET_INFO: ENGINE_EDU not set");
	ok(g_info(T.fd).features & GUPDEMO_FEAT_ENGINE_SOFT, "GET_INFO: ENGINE_SOFT set");
	if (!region_alloc(&s, 0, 100, next_seed(), false) ||
	    !region_alloc(&d, 0, 100, next_seed(), false))
		bail_out("no memory");
	v0 = g_vmstat();
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU, 0, uaddr(s.p),
		     uaddr(d.p), 100, NULL), ENODEV, "LOOPBACK on edu -> ENODEV");
	is_errno(dma(GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU, 0, uaddr(s.p), 0,
		     100, NULL), ENODEV, "TO_DEVICE on edu -> ENODEV");
	is_errno(dma(GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_EDU, 0, 0,
		     uaddr(d.p), 100, NULL), ENODEV, "FROM_DEVICE on edu -> ENODEV");
	is_errno(pin(T.fd, s.p, 100, GUPDEMO_PIN_LONGTERM, &h, &np), 0,
		 "pin a handle");
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU,
		     GUPDEMO_DMA_SRC_HANDLE, h, uaddr(d.p), 100, NULL), ENODEV,
		 "LOOPBACK on edu from a handle -> ENODEV");
	is_errno(dma(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_AUTO,
		     GUPDEMO_DMA_SRC_HANDLE, h, uaddr(d.p), 100, &out), 0,
		 "LOOPBACK on auto works");
	is_int(out.engine, GUPDEMO_ENGINE_SOFT, "auto ran the soft engine");
	check_copy(&s, region_pos(&s, s.p), &d, 100, "auto without edu");
	gupdemo_unpin_handle(T.fd, h, 0);
	/* ENODEV comes before any pinning. */
	g_check_delta(&v0, np + d.span, np + d.span, "no edu");
	g_check_nothing_held(T.fd, "no edu");
	region_free(&s);
	region_free(&d);
}

/* ------------------------------------------------------------------ */

static void check_config(void)
{
	const char *env_edu = getenv("GUPDEMO_VM_EDU");
	const char *env_iommu = getenv("GUPDEMO_VM_IOMMU");
	struct gupdemo_info i = g_info(T.fd);
	char path[160];
	struct stat st;
	bool group;

	find_edu(T.edu_bdf, sizeof(T.edu_bdf));
	T.edu_expected = T.cfg != CFG_NOEDU;
	diag("config %s, kernel %s, MemTotal %llu MiB, edu at '%s', features "
	     "%#llx, seed %llu (repeat with --seed %llu)", config_names[T.cfg],
	     getenv("GUPDEMO_KVER") ?: "?",
	     (unsigned long long)(T.mem_kb / 1024), T.edu_bdf,
	     (unsigned long long)i.features, (unsigned long long)T.seed,
	     (unsigned long long)T.seed);
	ok(i.features & GUPDEMO_FEAT_DMA, "GET_INFO: FEAT_DMA");
	ok(i.features & GUPDEMO_FEAT_ENGINE_SOFT, "GET_INFO: FEAT_ENGINE_SOFT");
	g_write_u64(FAIL_NTH, 0);
	g_check_nothing_held(T.fd, "at start");
	if (env_edu)
		is_int(atoi(env_edu), T.edu_expected,
		       "the VM (GUPDEMO_VM_EDU=%s) matches --config %s", env_edu,
		       config_names[T.cfg]);
	if (env_iommu)
		is_int(atoi(env_iommu), T.cfg == CFG_IOMMU,
		       "the VM (GUPDEMO_VM_IOMMU=%s) matches --config %s",
		       env_iommu, config_names[T.cfg]);
	if (!T.edu_expected) {
		ok(!T.edu_bdf[0], "no edu PCI device in this VM");
		return;
	}
	T.edu_ok = ok(T.edu_bdf[0] && (i.features & GUPDEMO_FEAT_ENGINE_EDU),
		      "edu PCI device present and bound (FEAT_ENGINE_EDU)");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 T.edu_bdf);
	group = T.edu_bdf[0] && stat(path, &st) == 0;
	switch (T.cfg) {
	case CFG_EDU:
		ok(T.mem_kb <= 256 * 1024, "edu config: RAM <= 256 MiB, every "
		   "page below edu's 28-bit limit");
		ok(!group, "edu config: no IOMMU");
		break;
	case CFG_IOMMU:
		ok(group, "iommu config: edu is in an IOMMU group");
		break;
	case CFG_MASK28: {
		uint64_t bits = 0;

		ok(!g_param_get("edu_dma_bits", &bits) && bits == 28,
		   "mask28 config: edu_dma_bits is 28 (%llu)",
		   (unsigned long long)bits);
		ok(!group, "mask28 config: no IOMMU");
		ok(T.mem_kb > 512 * 1024, "mask28 config: RAM well above 256 MiB");
		break;
	}
	case CFG_NOEDU:
		break;
	}
}

static void skip_edu(const char *what)
{
	if (T.cfg == CFG_NOEDU)
		skip(1, "%s: no edu device in this VM (--no-edu)", what);
	else if (T.cfg == CFG_MASK28)
		skip(1, "%s: mask28 config, edu reaches only pages below 256 MiB "
		     "(covered by the ERANGE tests)", what);
	else
		skip(1, "%s: edu expected but not bound (see the failure above)",
		     what);
}

/* The next DMA after the kill works. */
static void t_sigkill_then_copy(void)
{
	struct xcase x = { 0 };

	t_sigkill();
	xcase_set(&x, "4097 bytes after SIGKILL", 4097, 0, 0);
	t_copy(GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU, &x, false, false, false);
}

static void t_high_pages_iommu(void)
{
	group_high_pages(false);
}

static void t_unbind_both(void)
{
	t_unbind();
	t_unbind_inflight();
}

#define CFG_ANY		(-1)

/*
 * The run, in order: a group on one engine (@on, the variant @engine) or a
 * test of its own (@fn).  @edu: it needs edu bound; without, it reports
 * skip_edu(@edu_skip) when that is set.  @cfg: only in that configuration.
 */
static const struct {
	void (*on)(uint32_t engine);
	void (*fn)(void);
	uint32_t engine;
	bool edu;
	const char *edu_skip;
	int cfg;
} steps[] = {
	{ group_errors, NULL, GUPDEMO_ENGINE_SOFT, false, NULL, CFG_ANY },
	{ group_errors, NULL, GUPDEMO_ENGINE_EDU, true, NULL, CFG_ANY },
	{ group_loopback, NULL, GUPDEMO_ENGINE_SOFT, false, NULL, CFG_ANY },
	{ group_roundtrip, NULL, GUPDEMO_ENGINE_SOFT, false, NULL, CFG_ANY },
	{ NULL, group_memcpy, 0, false, NULL, CFG_ANY },
	{ NULL, group_soft_large, 0, false, NULL, CFG_ANY },
	{ group_file, NULL, GUPDEMO_ENGINE_SOFT, false, NULL, CFG_ANY },
	{ group_fail, NULL, GUPDEMO_ENGINE_SOFT, false, NULL, CFG_ANY },
	{ NULL, group_noedu, 0, false, NULL, CFG_NOEDU },
	{ group_loopback, NULL, GUPDEMO_ENGINE_EDU, true, "edu loopback matrix",
	  CFG_ANY },
	{ group_roundtrip, NULL, GUPDEMO_ENGINE_EDU, true, "edu round trips",
	  CFG_ANY },
	{ group_file, NULL, GUPDEMO_ENGINE_EDU, true, "edu file writes", CFG_ANY },
	{ group_fail, NULL, GUPDEMO_ENGINE_EDU, true, "edu failure injection",
	  CFG_ANY },
	{ NULL, t_sigkill_then_copy, 0, true, "SIGKILL during an edu transfer",
	  CFG_ANY },
	{ NULL, t_concurrent, 0, true, "concurrent edu DMA", CFG_ANY },
	{ NULL, t_high_pages_iommu, 0, true, NULL, CFG_IOMMU },
	{ NULL, t_unbind_both, 0, true, "edu unbind / rebind", CFG_ANY },
};

static void run_steps(void)
{
	for (size_t i = 0; i < G_N(steps); i++) {
		if (steps[i].cfg != CFG_ANY && steps[i].cfg != (int)T.cfg)
			continue;
		if (steps[i].edu && !T.edu_ok) {
			if (steps[i].edu_skip)
				skip_edu(steps[i].edu_skip);
			continue;
		}
		if (steps[i].on)
			steps[i].on(steps[i].engine);
		else
			steps[i].fn();
	}
}

/* mask28: edu reaches only pages below 256 MiB, the soft engine all. */
static void run_mask28(void)
{
	group_errors(GUPDEMO_ENGINE_SOFT);
	if (T.edu_ok)
		group_high_pages(true);
	else
		skip(1, "28-bit refusals: edu expected but not bound");
	skip_edu("edu loopback matrix");
	group_loopback(GUPDEMO_ENGINE_SOFT);
}

static void usage(void)
{
	fprintf(stderr, "usage: t_dma --config edu|iommu|noedu|mask28 [--seed N] "
		"[--blind]\n"
		"  --blind  mask28: ignore pagemap, try pages until refused\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "blind", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_cfg = false;
	double t0 = now_s();
	int o;

	T.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((o = getopt_long(argc, argv, "c:s:bh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			have_cfg = false;
			for (size_t i = 0; i < 4; i++)
				if (!strcmp(optarg, config_names[i])) {
					T.cfg = (enum config)i;
					have_cfg = true;
				}
			if (!have_cfg)
				usage();
			break;
		case 's':
			T.seed = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			T.blind = true;
			break;
		default:
			usage();
		}
	}
	if (!have_cfg || optind != argc)
		usage();

	T.psz = (size_t)sysconf(_SC_PAGESIZE);
	T.kver = g_kernel_version();
	T.mem_kb = meminfo_kb("MemTotal");
	T.fd = g_open();
	check_config();
	if (T.cfg == CFG_MASK28)
		run_mask28();
	else
		run_steps();
	g_write_u64(FAIL_NTH, 0);
	g_check_nothing_held(T.fd, "at the end");
	gupdemo_close(T.fd);
	diag("t_dma --config %s: %.1f s", config_names[T.cfg], now_s() - t0);
	return done_testing();
}
