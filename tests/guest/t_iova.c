// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: how a DMA call maps its buffers - one IOVA range
 * (dma_iova_try_alloc / dma_iova_link per run / dma_iova_sync /
 * dma_iova_unlink + dma_iova_free) or an sg_table - chosen per call with
 * GUPDEMO_DMA_MAP_SG / _MAP_IOVA (neither: AUTO) and reported in
 * src_path / dst_path; and pin handles kept mapped across calls
 * (GUPDEMO_DMA_KEEP_MAPPED).
 *
 * Usage: t_iova --config iommu|noiommu|mask28|bounce [--seed N]
 *               [--only NAME]... [--skip NAME]... [--list]
 *
 *   iommu    q35 + intel-iommu (strict): edu is translated.  On a kernel
 *            with the two-step DMA API (6.16+) AUTO and MAP_IOVA link one
 *            IOVA range on edu; before 6.16 FEAT_DMA_IOVA is absent, AUTO
 *            maps an sg_table and MAP_IOVA is EOPNOTSUPP
 *   noiommu  no IOMMU, RAM <= 256 MiB (edu reaches every page): the
 *            sg_table fallback everywhere, MAP_IOVA EOPNOTSUPP
 *   mask28   no IOMMU, 1 GiB: a page above edu's 28-bit limit is refused
 *            with ERANGE (AUTO and MAP_SG, kept or not), EOPNOTSUPP for
 *            MAP_IOVA, with nothing left pinned or mapped
 *   bounce   no IOMMU, swiotlb=force (every mapping bounced), edu with a
 *            64-bit mask: the sg_table path with its bytes right; a kept
 *            mapping is refused with EOPNOTSUPP (its bounce slots would
 *            stay taken for the handle's life)
 *
 * The software engine's platform device never has an IOMMU DMA domain:
 * it always gets the sg_table.  Every transfer is checked byte for byte
 * (patterns from a printed seed), with the exact nr_foll_pin_* deltas, the
 * module's pins_held / pages_held and its dma_maps_held counter (debugfs)
 * back at 0 afterwards.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <time.h>

#include "guest.h"

#define FAIL_NTH	GUPDEMO_DEBUGFS_DIR "/fail_nth"
#define EDU_DRV		"/sys/bus/pci/drivers/gupdemo-edu"
#define EDU_LIMIT	0x0fffffffULL	/* edu's 28-bit DMA mask */
#define DMA_V1_SIZE	104		/* struct gupdemo_dma before the paths */
#define NMODES		3

enum config { CFG_IOMMU, CFG_NOIOMMU, CFG_MASK28, CFG_BOUNCE, CFG_COUNT };

static const char *const config_names[] = {
	[CFG_IOMMU] = "iommu", [CFG_NOIOMMU] = "noiommu",
	[CFG_MASK28] = "mask28", [CFG_BOUNCE] = "bounce",
};

static const uint32_t mode_flags[NMODES] = {
	0, GUPDEMO_DMA_MAP_SG, GUPDEMO_DMA_MAP_IOVA,
};
static const char *const mode_names[NMODES] = { "auto", "sg", "iova" };

static struct {
	enum config cfg;
	int fd;
	size_t psz;
	uint64_t seed;
	uint32_t kver;
	bool has_iova;		/* the kernel has the two-step DMA API */
	bool edu;		/* edu bound */
	char edu_bdf[32];
} T;

/* ------------------------------------------------------------------ */

static uint8_t pat(uint64_t seed, size_t i)
{
	uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return (uint8_t)(x >> 32);
}

static void fill(uint8_t *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pat(seed, i);
}

/* Bytes of @p that differ from the pattern of @seed at offset @from. */
static size_t mismatches(const uint8_t *p, size_t len, uint64_t seed,
			 size_t from)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += p[i] != pat(seed, from + i);
	return bad;
}

static uint64_t uaddr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static size_t span(const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;

	return ((a + len + T.psz - 1) / T.psz) - a / T.psz;
}

static const char *eng_name(uint32_t e)
{
	return e == GUPDEMO_ENGINE_EDU ? "edu" : "soft";
}

static int64_t maps_held(void)
{
	int64_t v = -1;

	if (g_stat_get("dma_maps_held", &v))
		bail_out("no dma_maps_held line in " GUPDEMO_DEBUGFS_DIR "/stats");
	return v;
}

/* pins_held / pages_held and the kept mappings are as expected. */
static bool check_held(uint64_t pins, uint64_t pages, int64_t maps,
		       const char *what)
{
	struct gupdemo_info i = g_info(T.fd);
	int64_t m = maps_held();

	return ok(i.pins_held == pins && i.pages_held == pages && m == maps,
		  "%s: module holds %llu pins / %llu pages / %lld kept mappings "
		  "(has %llu / %llu / %lld)", what, (unsigned long long)pins,
		  (unsigned long long)pages, (long long)maps,
		  (unsigned long long)i.pins_held,
		  (unsigned long long)i.pages_held, (long long)m);
}

static int pin(int fd, const void *addr, size_t len, uint32_t flags,
	       uint32_t *handle)
{
	return gupdemo_pin_range(fd, addr, len, GUPDEMO_API_PIN_FAST, flags,
				 handle, NULL);
}

/*
 * The path a call in @mode on @engine takes, or -errno: the software
 * engine's platform device has no IOMMU DMA domain; edu is translated only
 * under the iommu config, and linked only on a kernel with the API.
 */
static int expected_path(uint32_t engine, int mode)
{
	bool iova = engine == GUPDEMO_ENGINE_EDU && T.cfg == CFG_IOMMU &&
		    T.has_iova;

	if (mode_flags[mode] == GUPDEMO_DMA_MAP_SG)
		return GUPDEMO_DMA_PATH_SG;
	if (iova)
		return GUPDEMO_DMA_PATH_IOVA;
	return mode_flags[mode] == GUPDEMO_DMA_MAP_IOVA ? -EOPNOTSUPP :
							  GUPDEMO_DMA_PATH_SG;
}

static void *map_pages(size_t npages)
{
	return g_map_anon(npages, true);
}

/* ------------------------------------------------------------------ */
/* Paths and bytes: each mode x op x (addresses, handles)              */
/* ------------------------------------------------------------------ */

struct xfer_case {
	uint32_t op;
	size_t len;
	size_t soff, doff;
};

/*
 * A TO_DEVICE case reads the device buffer back with FROM_DEVICE into the
 * destination, in the same mode, by address or through a writable handle.
 */
static int readback(const struct xfer_case *c, uint32_t engine, int mode,
		    uint32_t hd, uint8_t *d, const char *what)
{
	uint32_t fl = mode_flags[mode] | (hd ? GUPDEMO_DMA_DST_HANDLE : 0);
	int exp = expected_path(engine, mode);
	struct gupdemo_dma out;
	int ret;

	ret = g_dma(T.fd, GUPDEMO_DMA_FROM_DEVICE, engine, fl, 0,
		       hd ? hd : uaddr(d + c->doff), c->len, &out);
	if (!is_errno(ret, 0, "%s: FROM_DEVICE back", what))
		return ret;
	is_int(out.src_path, GUPDEMO_DMA_PATH_NONE,
	       "%s: FROM_DEVICE src_path 0", what);
	is_int(out.dst_path, exp, "%s: FROM_DEVICE dst_path %d", what, exp);
	return 0;
}

/* The source's bytes at the case's offset in @d (@size bytes), its own around. */
static bool dest_intact(const uint8_t *d, size_t size,
			const struct xfer_case *c, uint64_t ss, uint64_t ds)
{
	return !mismatches(d + c->doff, c->len, ss, c->soff) &&
	       !mismatches(d, c->doff, ds, 0) &&
	       !mismatches(d + c->doff + c->len, size - c->doff - c->len, ds,
			   c->doff + c->len);
}

static void path_what(char *what, size_t size, uint32_t engine, int mode,
		      const struct xfer_case *c, bool handles)
{
	snprintf(what, size, "%s %s %s %s, %zu bytes at +%zu/+%zu",
		 eng_name(engine), mode_names[mode],
		 handles ? "handles" : "addresses",
		 c->op == GUPDEMO_DMA_LOOPBACK ? "LOOPBACK" :
		 "TO_DEVICE+FROM_DEVICE", c->len, c->soff, c->doff);
}

/* One transfer, its data, its path, its counters (several TAP lines). */
static void t_path(uint32_t engine, int mode, const struct xfer_case *c,
		   bool handles)
{
	size_t np = 4 + (c->len + 2 * T.psz) / T.psz;
	uint8_t *s = map_pages(np), *d = map_pages(np);
	uint64_t ss = T.seed ^ 0x5151, ds = T.seed ^ 0xd5d5, pages;
	bool loop = c->op == GUPDEMO_DMA_LOOPBACK;
	uint32_t fl = mode_flags[mode], hs = 0, hd = 0;
	int exp = expected_path(engine, mode), ret = 0;
	struct gupdemo_vmstat v0;
	struct gupdemo_dma out;
	char what[160];

	path_what(what, sizeof(what), engine, mode, c, handles);
	fill(s, np * T.psz, ss);
	fill(d, np * T.psz, ds);
	pages = span(s + c->soff, c->len) + span(d + c->doff, c->len);
	v0 = g_vmstat();
	if (handles) {
		ret = pin(T.fd, s + c->soff, c->len, GUPDEMO_PIN_LONGTERM, &hs);
		ret = ret ?: pin(T.fd, d + c->doff, c->len,
				 GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE, &hd);
		fl |= GUPDEMO_DMA_SRC_HANDLE | (loop ? GUPDEMO_DMA_DST_HANDLE : 0);
	}
	if (!is_errno(ret, 0, "%s: pin", what))
		goto out_unpin;
	ret = g_dma(T.fd, c->op, engine, fl, handles ? hs : uaddr(s + c->soff),
		       !loop ? 0 : handles ? hd : uaddr(d + c->doff), c->len,
		       &out);
	if (exp < 0) {
		is_errno(ret, -exp, "%s: refused", what);
		goto out_unpin;
	}
	if (!is_errno(ret, 0, "%s: DMA", what))
		goto out_unpin;
	is_int(out.src_path, exp, "%s: src_path %d", what, exp);
	is_int(out.dst_path, loop ? exp : GUPDEMO_DMA_PATH_NONE,
	       "%s: dst_path %d", what, loop ? exp : 0);
	is_int(out.engine, engine, "%s: engine that ran", what);
	if (!loop && readback(c, engine, mode, hd, d, what))
		goto out_unpin;
	ok(dest_intact(d, np * T.psz, c, ss, ds),
	   "%s: destination holds the source's bytes, nothing around changed",
	   what);
out_unpin:
	if (hs)
		gupdemo_unpin_handle(T.fd, hs, 0);
	if (hd)
		gupdemo_unpin_handle(T.fd, hd, 0);
	/* A refused TO_DEVICE by address never pinned the destination. */
	if (exp < 0 && !loop && !handles)
		pages = span(s + c->soff, c->len);
	g_check_delta(&v0, pages, pages, what);
	check_held(0, 0, 0, what);
	munmap(s, np * T.psz);
	munmap(d, np * T.psz);
}

static void group_paths(uint32_t engine)
{
	/* Unaligned, crossing pages (several runs), one byte, whole pages. */
	static const struct xfer_case cases[] = {
		{ GUPDEMO_DMA_LOOPBACK, 5000, 100, 3000 },
		{ GUPDEMO_DMA_TO_DEVICE, 3000, 4000, 7 },
		{ GUPDEMO_DMA_TO_DEVICE, 1, 4095, 4095 },
		{ GUPDEMO_DMA_LOOPBACK, 3 * 4096, 0, 0 },
	};

	diag("--- map paths on %s ---", eng_name(engine));
	for (int m = 0; m < NMODES; m++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			t_path(engine, m, &cases[i], false);
			t_path(engine, m, &cases[i], true);
		}
}

/* ------------------------------------------------------------------ */
/* Held mappings (KEEP_MAPPED)                                         */
/* ------------------------------------------------------------------ */

/* Two long-term handles over fresh buffers: a source and a writable one. */
struct pair {
	uint8_t *s, *d;
	size_t np, len;
	uint32_t hs, hd;
	uint64_t pages;
};

static void pair_map(struct pair *p, size_t len)
{
	p->len = len;
	p->np = (len + T.psz - 1) / T.psz;
	p->s = map_pages(p->np);
	p->d = map_pages(p->np);
	p->hs = p->hd = 0;
	p->pages = 2 * p->np;
}

/* Pin both buffers of a mapped pair as handles. */
static bool pair_pin_handles(int fd, struct pair *p)
{
	size_t len = p->len;
	int ret;

	ret = pin(fd, p->s, len, GUPDEMO_PIN_LONGTERM, &p->hs);
	ret = ret ?: pin(fd, p->d, len, GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE,
			 &p->hd);
	return is_errno(ret, 0, "pin a source and a writable handle of %zu bytes",
			len);
}

static bool pair_pin(int fd, struct pair *p, size_t len)
{
	pair_map(p, len);
	return pair_pin_handles(fd, p);
}

static void pair_unpin(int fd, struct pair *p)
{
	if (p->hs)
		gupdemo_unpin_handle(fd, p->hs, 0);
	if (p->hd)
		gupdemo_unpin_handle(fd, p->hd, 0);
	p->hs = p->hd = 0;
}

static void pair_free(int fd, struct pair *p)
{
	pair_unpin(fd, p);
	munmap(p->s, p->np * T.psz);
	munmap(p->d, p->np * T.psz);
}

/* LOOPBACK through both handles with new bytes; checks the data. */
static int pair_loop(int fd, struct pair *p, uint32_t engine, uint32_t flags,
		     struct gupdemo_dma *out, const char *what)
{
	uint64_t seed = T.seed ^ (uint64_t)rand();
	int ret;

	fill(p->s, p->len, seed);
	memset(p->d, 0, p->len);
	ret = g_dma(fd, GUPDEMO_DMA_LOOPBACK, engine,
		       flags | GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE,
		       p->hs, p->hd, p->len, out);
	if (!ret)
		ok(!mismatches(p->d, p->len, seed, 0),
		   "%s: destination holds the source's bytes", what);
	return ret;
}

/* A kept mapping is made, reused with map/unmap 0, and ends at UNPIN. */
static void t_keep(uint32_t engine, int mode)
{
	int exp = expected_path(engine, mode);
	struct gupdemo_vmstat v0 = g_vmstat();
	struct gupdemo_dma out;
	struct pair p;
	char what[96];
	int ret;

	snprintf(what, sizeof(what), "keep %s %s", eng_name(engine),
		 mode_names[mode]);
	if (T.cfg == CFG_BOUNCE && exp >= 0)
		exp = -EOPNOTSUPP;
	if (!pair_pin(T.fd, &p, 5000))
		goto out;
	ret = pair_loop(T.fd, &p, engine,
			mode_flags[mode] | GUPDEMO_DMA_KEEP_MAPPED, &out, what);
	if (exp < 0) {
		is_errno(ret, -exp, "%s: refused, nothing kept", what);
		check_held(2, p.pages, 0, what);
		goto out;
	}
	if (!is_errno(ret, 0, "%s: first call maps and keeps", what))
		goto out;
	is_int(out.src_path, exp | GUPDEMO_DMA_PATH_HELD, "%s: src_path", what);
	is_int(out.dst_path, exp | GUPDEMO_DMA_PATH_HELD, "%s: dst_path", what);
	check_held(2, p.pages, 2, what);
	ret = pair_loop(T.fd, &p, engine, 0, &out, what);
	if (is_errno(ret, 0, "%s: second call, no flags, uses them", what))
		ok(out.src_path == (exp | GUPDEMO_DMA_PATH_HELD) &&
		   out.dst_path == (exp | GUPDEMO_DMA_PATH_HELD) &&
		   out.map_ns == 0 && out.unmap_ns == 0,
		   "%s: held paths, map_ns %llu and unmap_ns %llu are 0", what,
		   (unsigned long long)out.map_ns,
		   (unsigned long long)out.unmap_ns);
	/* TO_DEVICE from the source handle alone, then FROM_DEVICE back. */
	memset(p.d, 0, p.len);
	ret = g_dma(T.fd, GUPDEMO_DMA_TO_DEVICE, engine,
		       GUPDEMO_DMA_SRC_HANDLE, p.hs, 0, 3000, NULL);
	ret = ret ?: g_dma(T.fd, GUPDEMO_DMA_FROM_DEVICE, engine,
			      GUPDEMO_DMA_DST_HANDLE, 0, p.hd, 3000, &out);
	is_errno(ret, 0, "%s: TO_DEVICE and FROM_DEVICE through them", what);
	ok(!ret && out.dst_path == (exp | GUPDEMO_DMA_PATH_HELD) &&
	   !memcmp(p.s, p.d, 3000), "%s: round trip through the device", what);
	is_errno(gupdemo_unpin_handle(T.fd, p.hd, 0), 0, "%s: UNPIN one", what);
	p.hd = 0;
	check_held(1, p.np, 1, what);
out:
	pair_free(T.fd, &p);
	g_check_delta(&v0, p.pages, p.pages, what);
	check_held(0, 0, 0, what);
}

/* A handle kept mapped for one engine is -EXDEV on the other. */
static void t_keep_other(void)
{
	struct gupdemo_vmstat v0 = g_vmstat();
	struct pair p;
	int ret;

	if (!pair_pin(T.fd, &p, 3000))
		goto out;
	ret = pair_loop(T.fd, &p, GUPDEMO_ENGINE_SOFT, GUPDEMO_DMA_KEEP_MAPPED,
			NULL, "keep on soft");
	is_errno(ret, 0, "keep on soft: mapped and kept");
	ret = g_dma(T.fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU,
		       GUPDEMO_DMA_SRC_HANDLE, p.hs, 0, 100, NULL);
	is_errno(ret, EXDEV, "kept for soft: TO_DEVICE on edu -> EXDEV");
	ret = g_dma(T.fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU,
		       GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_KEEP_MAPPED, p.hs, 0,
		       100, NULL);
	is_errno(ret, EXDEV, "kept for soft: KEEP_MAPPED on edu -> EXDEV");
	check_held(2, p.pages, 2, "other engine");
out:
	pair_free(T.fd, &p);
	g_check_delta(&v0, p.pages, p.pages, "other engine");
	check_held(0, 0, 0, "other engine");
}

/* close() with kept mappings: they go with the handles. */
static void t_keep_close(uint32_t engine)
{
	struct gupdemo_vmstat v0 = g_vmstat();
	int fd = g_open(), ret;
	struct pair p;

	if (!pair_pin(fd, &p, 3000)) {
		gupdemo_close(fd);
		goto out;
	}
	ret = pair_loop(fd, &p, engine, GUPDEMO_DMA_KEEP_MAPPED, NULL,
			"keep then close");
	is_errno(ret, 0, "keep then close (%s): kept", eng_name(engine));
	check_held(2, p.pages, 2, "keep then close: before");
	gupdemo_close(fd);
	p.hs = p.hd = 0;
out:
	pair_free(-1, &p);
	g_check_delta(&v0, p.pages, p.pages, "keep then close");
	check_held(0, 0, 0, "keep then close: after");
}

static bool edu_sysfs(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), EDU_DRV "/%s", file);
	return g_write_file(path, T.edu_bdf) == 0;
}

/*
 * Unbind edu with handles kept mapped for it: the mappings go before the
 * device, the handles stay and work on soft, and on edu bound again.
 */
static void t_keep_unbind(void)
{
	struct gupdemo_vmstat v0 = g_vmstat();
	struct gupdemo_dma out;
	struct pair p;
	int ret;

	diag("--- unbind edu with kept mappings (%s) ---", T.edu_bdf);
	if (!pair_pin(T.fd, &p, 3000))
		goto out;
	ret = pair_loop(T.fd, &p, GUPDEMO_ENGINE_EDU, GUPDEMO_DMA_KEEP_MAPPED,
			NULL, "unbind: keep on edu");
	is_errno(ret, 0, "unbind: kept on edu");
	check_held(2, p.pages, 2, "unbind: before");
	if (!ok(edu_sysfs("unbind"), "unbind: write %s to unbind", T.edu_bdf))
		goto out;
	check_held(2, p.pages, 0, "unbind: handles stay, mappings gone");
	is_errno(g_dma(T.fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU,
			  GUPDEMO_DMA_SRC_HANDLE, p.hs, 0, 100, NULL), ENODEV,
		 "unbind: edu through the handle -> ENODEV");
	ret = pair_loop(T.fd, &p, GUPDEMO_ENGINE_SOFT, 0, &out,
			"unbind: soft through the handles");
	is_errno(ret, 0, "unbind: soft through the handles works");
	is_int(out.src_path, GUPDEMO_DMA_PATH_SG,
	       "unbind: soft maps per call (sg)");
	ok(edu_sysfs("bind"), "rebind: write %s to bind", T.edu_bdf);
	ret = pair_loop(T.fd, &p, GUPDEMO_ENGINE_EDU, GUPDEMO_DMA_KEEP_MAPPED,
			&out, "rebind: keep on edu again");
	is_errno(ret, 0, "rebind: kept on edu again");
	ok(out.src_path & GUPDEMO_DMA_PATH_HELD, "rebind: held path");
	check_held(2, p.pages, 2, "rebind");
out:
	pair_free(T.fd, &p);
	g_check_delta(&v0, p.pages, p.pages, "unbind with kept mappings");
	check_held(0, 0, 0, "unbind with kept mappings");
}

/* ------------------------------------------------------------------ */
/* Flags, sizes, refusals                                              */
/* ------------------------------------------------------------------ */

static void group_flags(void)
{
	uint8_t *b = map_pages(2);
	uint32_t h = 0;
	int ret;

	diag("--- mapping flags ---");
	is_errno(g_dma(T.fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT,
			  GUPDEMO_DMA_MAP_SG | GUPDEMO_DMA_MAP_IOVA, uaddr(b),
			  uaddr(b + T.psz), 10, NULL), EINVAL,
		 "MAP_SG with MAP_IOVA -> EINVAL");
	is_errno(g_dma(T.fd, GUPDEMO_DMA_MEMCPY, GUPDEMO_ENGINE_AUTO,
			  GUPDEMO_DMA_MAP_SG, uaddr(b), uaddr(b + T.psz), 10,
			  NULL), EINVAL, "MEMCPY with MAP_SG -> EINVAL");
	is_errno(g_dma(T.fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT,
			  GUPDEMO_DMA_KEEP_MAPPED, uaddr(b), uaddr(b + T.psz),
			  10, NULL), EINVAL, "KEEP_MAPPED by address -> EINVAL");
	is_errno(g_dma(T.fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT,
			  GUPDEMO_DMA_SRC_MIRROR | GUPDEMO_DMA_MAP_IOVA, 1, 0,
			  10, NULL), EINVAL, "a mirror with MAP_IOVA -> EINVAL");
	ret = pin(T.fd, b, 10, 0, &h);
	if (is_errno(ret, 0, "pin 10 bytes"))
		is_errno(g_dma(T.fd, GUPDEMO_DMA_MEMCPY, GUPDEMO_ENGINE_AUTO,
				  GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_KEEP_MAPPED,
				  h, uaddr(b + T.psz), 10, NULL), EINVAL,
			 "MEMCPY with KEEP_MAPPED -> EINVAL");
	if (h)
		gupdemo_unpin_handle(T.fd, h, 0);
	check_held(0, 0, 0, "mapping flags");
	munmap(b, 2 * T.psz);
}

/* A caller built against the old struct (104 bytes) still works. */
static void t_old_size(void)
{
	uint8_t *b = map_pages(2);
	union {
		struct gupdemo_dma d;
		uint8_t raw[sizeof(struct gupdemo_dma) + 8];
	} u;
	int ret;

	fill(b, T.psz, T.seed);
	memset(&u, 0xa5, sizeof(u));
	memset(&u.d, 0, DMA_V1_SIZE);
	u.d.size = DMA_V1_SIZE;
	u.d.op = GUPDEMO_DMA_LOOPBACK;
	u.d.engine = GUPDEMO_ENGINE_SOFT;
	u.d.src_addr = uaddr(b);
	u.d.dst_addr = uaddr(b + T.psz);
	u.d.len = 100;
	ret = ioctl(T.fd, GUPDEMO_IOC_DMA, &u.d) ? -errno : 0;
	is_errno(ret, 0, "DMA with the old struct size %d", DMA_V1_SIZE);
	ok(!ret && u.d.bytes == 100 && !memcmp(b, b + T.psz, 100),
	   "old size: the bytes moved");
	ok(u.raw[DMA_V1_SIZE] == 0xa5 && u.raw[sizeof(u.raw) - 1] == 0xa5,
	   "old size: nothing written past its %d bytes", DMA_V1_SIZE);
	munmap(b, 2 * T.psz);
}

/*
 * A page of @b (@n pages) above edu's 28-bit limit, from
 * /proc/self/pagemap (root sees frame numbers), or NULL.
 */
static uint8_t *high_page(uint8_t *b, size_t n)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t *e = calloc(n, sizeof(*e));
	uint8_t *hi = NULL;
	ssize_t r = -1;

	if (fd >= 0 && e)
		r = pread(fd, e, n * 8, (off_t)((uintptr_t)b / T.psz * 8));
	for (size_t i = 0; r > 0 && i < (size_t)r / 8 && !hi; i++)
		if ((e[i] >> 63) &&
		    (e[i] & ((1ULL << 55) - 1)) * T.psz > EDU_LIMIT)
			hi = b + i * T.psz;
	if (fd >= 0)
		close(fd);
	free(e);
	return hi;
}

/*
 * mask28: a page above edu's limit, without an IOMMU.  The sg_table path
 * refuses it with ERANGE (AUTO falls back to it; a kept mapping too), the
 * IOVA path is EOPNOTSUPP; nothing stays pinned or mapped.
 */
static void group_high_page(void)
{
	/* Most of a 1 GiB guest's free memory: some of it lies high. */
	size_t n = 384 * 1024 * 1024 / T.psz;
	uint8_t *b = map_pages(n), *hi;
	struct gupdemo_vmstat v0;
	uint32_t h = 0;

	diag("--- a page edu cannot reach (28-bit mask, no IOMMU) ---");
	hi = high_page(b, n);
	if (!ok(hi, "found a page above 256 MiB in 384 MiB touched (pagemap)"))
		goto out;
	v0 = g_vmstat();
	for (int m = 0; m < NMODES; m++)
		is_errno(g_dma(T.fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU,
				  mode_flags[m], uaddr(hi), 0, 100, NULL),
			 mode_flags[m] == GUPDEMO_DMA_MAP_IOVA ? EOPNOTSUPP :
								 ERANGE,
			 "high page by address, %s -> %s", mode_names[m],
			 mode_flags[m] == GUPDEMO_DMA_MAP_IOVA ? "EOPNOTSUPP" :
								 "ERANGE");
	g_check_delta(&v0, 3, 3, "high page by address");
	v0 = g_vmstat();
	if (is_errno(pin(T.fd, hi, 100, GUPDEMO_PIN_LONGTERM, &h), 0,
		     "pin the high page")) {
		is_errno(g_dma(T.fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU,
				  GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_KEEP_MAPPED,
				  h, 0, 100, NULL), ERANGE,
			 "high page, KEEP_MAPPED -> ERANGE, nothing kept");
		check_held(1, 1, 0, "high page kept");
		gupdemo_unpin_handle(T.fd, h, 0);
	}
	g_check_delta(&v0, 1, 1, "high page through a handle");
	check_held(0, 0, 0, "high page");
out:
	munmap(b, n * T.psz);
}

/* ------------------------------------------------------------------ */
/* Failure injection                                                   */
/* ------------------------------------------------------------------ */

/*
 * One step of a sweep: fail_nth = @n, then a LOOPBACK of 5000 bytes on
 * @engine in @mode over the buffers of @p, through handles pinned for the
 * step with KEEP_MAPPED (@keep) or by address.  The same pages every step:
 * the steps a call takes (device commands per run) depend on where they
 * lie.  Returns the call's result; *@left is what fail_nth reads after.
 */
static int sweep_step(struct pair *p, uint32_t engine, int mode, bool keep,
		      int n, uint64_t *left)
{
	int ret;

	if (keep && !pair_pin_handles(T.fd, p))
		bail_out("cannot pin for the sweep");
	if (g_write_u64(FAIL_NTH, (uint64_t)n))
		bail_out("cannot write " FAIL_NTH);
	if (keep)
		ret = g_dma(T.fd, GUPDEMO_DMA_LOOPBACK, engine,
			       mode_flags[mode] | GUPDEMO_DMA_KEEP_MAPPED |
			       GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE,
			       p->hs, p->hd, p->len, NULL);
	else
		ret = g_dma(T.fd, GUPDEMO_DMA_LOOPBACK, engine,
			       mode_flags[mode], uaddr(p->s), uaddr(p->d), p->len,
			       NULL);
	if (g_read_u64(FAIL_NTH, left))
		bail_out("cannot read " FAIL_NTH);
	g_write_u64(FAIL_NTH, 0);
	if (!ret && keep && maps_held() != 2)
		fail("sweep: a successful KEEP_MAPPED call keeps 2 mappings");
	pair_unpin(T.fd, p);
	return ret;
}

/*
 * For N = 1, 2, ...: the Nth fail-able step fails with ENOMEM: each leaves
 * nothing mapped, kept or pinned once the handles are gone, and the
 * counters balanced; until the call gets through with the countdown
 * unused.  Covers the kept mapping's allocation, the table, each
 * dma_iova_link() of a run (a half-linked range is unlinked and freed) and
 * the engine's steps.
 */
static void t_sweep(uint32_t engine, int mode, bool keep)
{
	struct gupdemo_vmstat v0, v1;
	uint64_t left = 0;
	struct pair p;
	bool all = true;
	char what[96];
	int n, ret = 0;

	snprintf(what, sizeof(what), "fail_nth sweep, %s %s, %s", eng_name(engine),
		 mode_names[mode], keep ? "kept handles" : "addresses");
	pair_map(&p, 5000);
	for (n = 1; n <= 100; n++) {
		struct gupdemo_info i;
		int64_t da, dr;

		v0 = g_vmstat();
		ret = sweep_step(&p, engine, mode, keep, n, &left);
		v1 = g_vmstat();
		da = (int64_t)(v1.acquired - v0.acquired);
		dr = (int64_t)(v1.released - v0.released);
		i = g_info(T.fd);
		if (ret != -ENOMEM)
			break;
		if (left || da != dr || (keep ? da != (int64_t)p.pages :
					 da > (int64_t)p.pages) ||
		    i.pins_held || i.pages_held || maps_held()) {
			all = false;
			fail("%s: fail_nth=%d: countdown left %llu, delta %lld/%lld, "
			     "held %llu/%llu, kept %lld", what, n,
			     (unsigned long long)left, (long long)da,
			     (long long)dr, (unsigned long long)i.pins_held,
			     (unsigned long long)i.pages_held,
			     (long long)maps_held());
		}
	}
	ok(all, "%s: each of the first %d steps failed alone with ENOMEM, "
	   "nothing left", what, n - 1);
	is_errno(ret, 0, "%s: fail_nth=%d (past the last step) succeeds", what, n);
	is_u64(left, 1, "%s: countdown unused by the successful call", what);
	pair_free(T.fd, &p);
	check_held(0, 0, 0, what);
}

/* ------------------------------------------------------------------ */

static void find_edu(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	T.edu_bdf[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], text[32] = "";

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		if (g_read_file(path, text, sizeof(text)) || !strstr(text, "0x11e8"))
			continue;
		if (strlen(e->d_name) >= sizeof(T.edu_bdf))
			continue;
		memcpy(T.edu_bdf, e->d_name, strlen(e->d_name) + 1);
		break;
	}
	closedir(d);
}

static void check_config(void)
{
	const char *env_iommu = getenv("GUPDEMO_VM_IOMMU");
	struct gupdemo_info i = g_info(T.fd);
	char path[160];
	struct stat st;
	bool group;

	find_edu();
	T.has_iova = T.kver >= KV(6, 16, 0);
	diag("config %s, kernel %s, edu at '%s', features %#llx, seed %llu",
	     config_names[T.cfg], getenv("GUPDEMO_KVER") ?: "?", T.edu_bdf,
	     (unsigned long long)i.features, (unsigned long long)T.seed);
	is_int(!!(i.features & GUPDEMO_FEAT_DMA_IOVA), T.has_iova,
	       "GET_INFO: FEAT_DMA_IOVA %s on this kernel (two-step DMA API "
	       "since 6.16)", T.has_iova ? "set" : "absent");
	ok(i.features & GUPDEMO_FEAT_DMA_KEEP, "GET_INFO: FEAT_DMA_KEEP");
	g_write_u64(FAIL_NTH, 0);
	check_held(0, 0, 0, "at start");
	if (env_iommu)
		is_int(atoi(env_iommu), T.cfg == CFG_IOMMU,
		       "the VM (GUPDEMO_VM_IOMMU=%s) matches --config %s",
		       env_iommu, config_names[T.cfg]);
	T.edu = ok(T.edu_bdf[0] && (i.features & GUPDEMO_FEAT_ENGINE_EDU),
		   "edu PCI device present and bound");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 T.edu_bdf);
	group = T.edu_bdf[0] && stat(path, &st) == 0;
	is_int(group, T.cfg == CFG_IOMMU, "edu %s in an IOMMU group",
	       T.cfg == CFG_IOMMU ? "is" : "is not");
	if (T.cfg == CFG_BOUNCE) {
		char cmdline[1024] = "";

		g_read_file("/proc/cmdline", cmdline, sizeof(cmdline));
		ok(strstr(cmdline, "swiotlb=force"),
		   "bounce config: swiotlb=force on the command line");
	}
	if (T.cfg == CFG_NOIOMMU) {
		uint64_t kb = 0;
		char text[256] = "";

		if (!g_read_file("/proc/meminfo", text, sizeof(text)))
			sscanf(text, "MemTotal: %llu", (unsigned long long *)&kb);
		ok(kb && kb <= 256 * 1024, "noiommu config: RAM <= 256 MiB "
		   "(%llu KiB): edu reaches every page", (unsigned long long)kb);
	}
}

/* ------------------------------------------------------------------ */
/* The named tests                                                     */
/* ------------------------------------------------------------------ */

/* The engine, mapping mode and kept-or-not a variant runs with. */
struct iova_row {
	uint32_t engine;
	int mode;
	bool keep;
};

#define ROW(e, m, k) (&(const struct iova_row){ GUPDEMO_ENGINE_##e, m, k })

static void run_paths(const void *a)
{
	group_paths(((const struct iova_row *)a)->engine);
}

static void run_keep(const void *a)
{
	const struct iova_row *r = a;

	t_keep(r->engine, r->mode);
}

static void run_keep_close(const void *a)
{
	t_keep_close(((const struct iova_row *)a)->engine);
}

static void run_sweep(const void *a)
{
	const struct iova_row *r = a;

	t_sweep(r->engine, r->mode, r->keep);
}

/* Stands in for a test that needs edu when edu is not bound. */
static void skip_no_edu(const void *name)
{
	skip(1, "%s: edu not bound", (const char *)name);
}

#define C_IOMMU		(1u << CFG_IOMMU)
#define C_NOIOMMU	(1u << CFG_NOIOMMU)
#define C_MASK28	(1u << CFG_MASK28)
#define C_BOUNCE	(1u << CFG_BOUNCE)
#define C_ALL		(C_IOMMU | C_NOIOMMU | C_MASK28 | C_BOUNCE)
#define C_MAPPED	(C_IOMMU | C_NOIOMMU)	/* no DMA limit in the way */

/*
 * Every test, in run order, with the configs it runs in and whether it
 * needs edu.  swiotlb=force (bounce): the sg_table path on both engines
 * moves the right bytes through the bounce buffers; a kept mapping is
 * refused.
 */
static const struct iova_test {
	unsigned int cfgs;
	bool edu;
	struct g_test t;
} tests[] = {
	{ C_ALL, false, G_TEST("flags", group_flags) },
	{ C_ALL, false, G_TEST("old-size", t_old_size) },
	{ C_MASK28, true, G_TEST("high-page", group_high_page) },
	{ C_MAPPED | C_BOUNCE, false,
	  G_VARIANT("paths/soft", run_paths, ROW(SOFT, 0, false)) },
	{ C_MAPPED | C_BOUNCE, false,
	  G_VARIANT("keep/soft/auto", run_keep, ROW(SOFT, 0, false)) },
	{ C_MAPPED | C_BOUNCE, false,
	  G_VARIANT("keep/soft/sg", run_keep, ROW(SOFT, 1, false)) },
	{ C_MAPPED | C_BOUNCE, false,
	  G_VARIANT("keep/soft/iova", run_keep, ROW(SOFT, 2, false)) },
	{ C_MAPPED, false,
	  G_VARIANT("keep-close/soft", run_keep_close, ROW(SOFT, 0, false)) },
	{ C_MAPPED, false,
	  G_VARIANT("sweep/soft/keep", run_sweep, ROW(SOFT, 0, true)) },
	{ C_MAPPED | C_BOUNCE, true,
	  G_VARIANT("paths/edu", run_paths, ROW(EDU, 0, false)) },
	{ C_MAPPED | C_BOUNCE, true,
	  G_VARIANT("keep/edu/auto", run_keep, ROW(EDU, 0, false)) },
	{ C_MAPPED | C_BOUNCE, true,
	  G_VARIANT("keep/edu/sg", run_keep, ROW(EDU, 1, false)) },
	{ C_MAPPED | C_BOUNCE, true,
	  G_VARIANT("keep/edu/iova", run_keep, ROW(EDU, 2, false)) },
	{ C_MAPPED, true, G_TEST("keep-other", t_keep_other) },
	{ C_MAPPED, true,
	  G_VARIANT("keep-close/edu", run_keep_close, ROW(EDU, 0, false)) },
	{ C_MAPPED | C_BOUNCE, true,
	  G_VARIANT("sweep/edu", run_sweep, ROW(EDU, 0, false)) },
	{ C_MAPPED, true,
	  G_VARIANT("sweep/edu/keep", run_sweep, ROW(EDU, 0, true)) },
	{ C_MAPPED, true, G_TEST("keep-unbind", t_keep_unbind) },
};

/* The tests of this config into @out; a skip for those edu would run. */
static size_t config_tests(struct g_test *out, bool edu)
{
	size_t n = 0;

	for (size_t i = 0; i < G_N(tests); i++) {
		if (!(tests[i].cfgs & (1u << T.cfg)))
			continue;
		out[n] = tests[i].t;
		if (tests[i].edu && !edu)
			out[n] = (struct g_test)G_VARIANT(tests[i].t.name,
							  skip_no_edu,
							  tests[i].t.name);
		n++;
	}
	return n;
}

#define USAGE "t_iova --config iommu|noiommu|mask28|bounce [--seed N] " \
	      "[--only NAME]... [--skip NAME]... [--list]"

/* --config and --seed are ours; the rest goes to g_parse_args(). */
static void parse(int argc, char **argv)
{
	static char *rest[64];
	bool have = false;
	int n = 1;

	if (argc > (int)G_N(rest))
		g_usage(USAGE);
	rest[0] = argv[0];
	T.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			T.seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			i++;
			for (size_t c = 0; c < CFG_COUNT; c++)
				if (!strcmp(argv[i], config_names[c])) {
					T.cfg = (enum config)c;
					have = true;
				}
		} else {
			rest[n++] = argv[i];
		}
	}
	if (!have)
		g_usage(USAGE);
	g_parse_args(n, rest, G_OPT_ONLY | G_OPT_SKIP | G_OPT_LIST, USAGE);
}

int main(int argc, char **argv)
{
	struct g_test run[G_N(tests)];
	size_t n;

	parse(argc, argv);
	n = config_tests(run, true);
	if (g_listing()) {
		g_run(run, n, G_BY_NAME);
		return 0;
	}
	g_check_names(run, n, G_BY_NAME);	/* a typo stops before any test */
	T.psz = (size_t)sysconf(_SC_PAGESIZE);
	T.kver = g_kernel_version();
	srand((unsigned int)T.seed);
	T.fd = g_open();
	check_config();
	g_run(run, config_tests(run, T.edu), G_BY_NAME);
	g_write_u64(FAIL_NTH, 0);
	check_held(0, 0, 0, "at the end");
	gupdemo_close(T.fd);
	return done_testing();
}
