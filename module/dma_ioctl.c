// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - GUPDEMO_IOC_DMA: the ioctl around the DMA call of dma_call.c
 *
 * Checks the request, picks and holds the engine, pins the sides given by
 * address and references the handles, refuses a destination that holds one
 * page twice, runs the sequence (or, for MEMCPY, the CPU baseline), unpins,
 * and times each stage for the benchmark.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "dma.h"
#include "mirror.h"

/* A mirror side: TO_DEVICE from one, or FROM_DEVICE into one, alone. */
static int gupdemo_dma_validate_mirror(const struct gupdemo_dma *d)
{
	u32 src = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_SRC_MIRROR;
	u32 dst = GUPDEMO_DMA_DST_HANDLE | GUPDEMO_DMA_DST_MIRROR;

	if ((d->flags & src) == src || (d->flags & dst) == dst)
		return -EINVAL;
	if ((d->flags & GUPDEMO_DMA_SRC_MIRROR) &&
	    (d->op != GUPDEMO_DMA_TO_DEVICE || d->src_addr))
		return -EINVAL;
	if ((d->flags & GUPDEMO_DMA_DST_MIRROR) &&
	    (d->op != GUPDEMO_DMA_FROM_DEVICE || d->dst_addr))
		return -EINVAL;
	return 0;
}

/*
 * The mapping flags: one path at most; they concern sides given by
 * address or handle (a mirror maps its own way, MEMCPY maps nothing), and
 * KEEP_MAPPED a side given by handle.
 */
static int gupdemo_dma_validate_map(const struct gupdemo_dma *d)
{
	const u32 map = GUPDEMO_DMA_MAP_SG | GUPDEMO_DMA_MAP_IOVA;
	const u32 mirror = GUPDEMO_DMA_SRC_MIRROR | GUPDEMO_DMA_DST_MIRROR;
	const u32 handle = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE;

	if ((d->flags & map) == map)
		return -EINVAL;
	if ((d->flags & (map | GUPDEMO_DMA_KEEP_MAPPED)) &&
	    (d->op == GUPDEMO_DMA_MEMCPY || (d->flags & mirror)))
		return -EINVAL;
	if ((d->flags & GUPDEMO_DMA_KEEP_MAPPED) && !(d->flags & handle))
		return -EINVAL;
	return 0;
}

static int gupdemo_dma_validate(const struct gupdemo_dma *d)
{
	const u32 src_h = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_SRC_MIRROR;
	const u32 dst_h = GUPDEMO_DMA_DST_HANDLE | GUPDEMO_DMA_DST_MIRROR;
	bool src_used = d->op != GUPDEMO_DMA_FROM_DEVICE;
	bool dst_used = d->op != GUPDEMO_DMA_TO_DEVICE;

	if ((d->flags & ~GUPDEMO_DMA_ALL) || d->op >= GUPDEMO_DMA_OP_COUNT ||
	    d->engine >= GUPDEMO_ENGINE_COUNT || !d->len ||
	    gupdemo_dma_validate_mirror(d) || gupdemo_dma_validate_map(d))
		return -EINVAL;
	if (d->op == GUPDEMO_DMA_MEMCPY && d->engine != GUPDEMO_ENGINE_AUTO)
		return -EINVAL;
	/* ALLOW_GET is about handles: a call with none cannot use it. */
	if ((d->flags & GUPDEMO_DMA_ALLOW_GET) &&
	    !(d->flags & (GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE)))
		return -EINVAL;
	/* The side an operation does not use must be left empty. */
	if (!src_used && (d->src_handle || d->src_addr || (d->flags & src_h)))
		return -EINVAL;
	if (!dst_used && (d->dst_handle || d->dst_addr || (d->flags & dst_h)))
		return -EINVAL;
	/* A handle side has no address and the reverse. */
	if ((d->flags & src_h) ? d->src_addr : d->src_handle)
		return -EINVAL;
	if ((d->flags & dst_h) ? d->dst_addr : d->dst_handle)
		return -EINVAL;
	return 0;
}

/* The engine a call asks for (AUTO: edu if bound, else soft), held. */
static int gupdemo_dma_engine_get(const struct gupdemo_dma *d,
				  struct gupdemo_engine **engp)
{
	struct gupdemo_engine *eng;

	if (d->engine != GUPDEMO_ENGINE_AUTO)
		eng = gupdemo_engine_get(d->engine);
	else
		eng = gupdemo_engine_get(GUPDEMO_ENGINE_EDU) ?:
		      gupdemo_engine_get(GUPDEMO_ENGINE_SOFT);
	if (!eng)
		return -ENODEV;
	/* One call's length is bounded, and so is the time it holds locks. */
	if (d->len > eng->max_len) {
		gupdemo_engine_put(eng);
		return -E2BIG;
	}
	*engp = eng;
	return 0;
}

/*
 * A side given by handle: it must be a FOLL_PIN pin that covers @len, or,
 * with GUPDEMO_DMA_ALLOW_GET, a FOLL_GET reference (the fork lab shows why
 * DMA must not use one).
 */
static int gupdemo_dma_use_handle(struct gupdemo_file *f,
				  struct gupdemo_dma_side *side, u32 handle,
				  const struct gupdemo_dma *d)
{
	struct gupdemo_pinned *pin = gupdemo_pin_get(f, handle);
	int ret = 0;

	if (!pin)
		return -ENOENT;
	/* DMA needs FOLL_PIN: a FOLL_GET reference is what it replaced. */
	if (pin->api == GUPDEMO_API_GET_FAST &&
	    !(d->flags & GUPDEMO_DMA_ALLOW_GET))
		ret = -EINVAL;
	/*
	 * The device writes: the pin must have been taken with FOLL_WRITE,
	 * and a FOLL_GET reference must hold nothing it may not dirty.
	 */
	else if (side->dir != DMA_TO_DEVICE &&
		 (!(pin->flags & GUPDEMO_PIN_WRITE) || pin->nfile))
		ret = -EPERM;
	else if (d->len > (u64)pin->npages * PAGE_SIZE - pin->offset)
		ret = -EINVAL;
	if (ret) {
		gupdemo_pin_put(pin);
		return ret;
	}
	side->pin = pin;
	return 0;
}

/* What each side is: none, an address, a pin handle or a mirror. */
static void gupdemo_dma_kinds(struct gupdemo_dma_call *call,
			      const struct gupdemo_dma *d)
{
	static const u32 handle[GUPDEMO_SIDES] = {
		GUPDEMO_DMA_SRC_HANDLE, GUPDEMO_DMA_DST_HANDLE };
	static const u32 mirror[GUPDEMO_SIDES] = {
		GUPDEMO_DMA_SRC_MIRROR, GUPDEMO_DMA_DST_MIRROR };
	const bool used[GUPDEMO_SIDES] = {
		d->op != GUPDEMO_DMA_FROM_DEVICE, d->op != GUPDEMO_DMA_TO_DEVICE };
	int i;

	for (i = 0; i < GUPDEMO_SIDES; i++) {
		if (!used[i])
			call->side[i].kind = GUPDEMO_SIDE_NONE;
		else if (d->flags & handle[i])
			call->side[i].kind = GUPDEMO_SIDE_PIN;
		else if (d->flags & mirror[i])
			call->side[i].kind = GUPDEMO_SIDE_MIRROR;
		else
			call->side[i].kind = GUPDEMO_SIDE_ADDR;
	}
}

/* Both sides given by handle, looked up and referenced under f->lock. */
static int gupdemo_dma_get_handles(struct gupdemo_file *f,
				   struct gupdemo_dma_call *call,
				   const struct gupdemo_dma *d)
{
	const u32 handle[GUPDEMO_SIDES] = { d->src_handle, d->dst_handle };
	int i, ret;

	ret = mutex_lock_killable(&f->lock);
	if (ret)
		return ret;
	for (i = 0; i < GUPDEMO_SIDES && !ret; i++) {
		struct gupdemo_dma_side *side = &call->side[i];

		if (side->kind == GUPDEMO_SIDE_PIN)
			ret = gupdemo_dma_use_handle(f, side, handle[i], d);
		if (side->kind != GUPDEMO_SIDE_MIRROR)
			continue;
		side->mirror = gupdemo_mirror_get(f, handle[i]);
		if (!side->mirror)
			ret = -ENOENT;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static int gupdemo_cmp_ranges(const void *a, const void *b)
{
	unsigned long x = ((const struct gupdemo_range *)a)->pfn;
	unsigned long y = ((const struct gupdemo_range *)b)->pfn;

	return x < y ? -1 : x > y;
}

/*
 * Device-writable mappings of one page must not exist twice at once (see
 * dma_call.c), and one destination can hold a page twice when userspace maps a
 * file page at two addresses: sort the destination's ranges; two that
 * overlap share a page.
 */
static int gupdemo_dma_check_aliases(const struct gupdemo_pinned *pin,
				     size_t len)
{
	unsigned long npages = DIV_ROUND_UP(pin->offset + len, PAGE_SIZE);
	struct gupdemo_range_iter it;
	struct gupdemo_range r, *v;
	unsigned long n = 0, i;
	int ret = 0;

	gupdemo_range_iter_init(&it, &pin->pfns, npages);
	while (gupdemo_range_next(&it, &r))
		n++;
	if (n < 2)
		return 0;
	v = kvmalloc_array(n, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	gupdemo_range_iter_init(&it, &pin->pfns, npages);
	for (i = 0; i < n && gupdemo_range_next(&it, &v[i]); i++)
		;
	sort(v, n, sizeof(*v), gupdemo_cmp_ranges, NULL);
	for (i = 1; i < n; i++) {
		if (v[i].pfn < v[i - 1].pfn + v[i - 1].npages) {
			ret = -EINVAL;
			break;
		}
	}
	kvfree(v);
	return ret;
}

/* Pin or look up both sides; check the destination for aliases. */
static int gupdemo_dma_get_sides(struct gupdemo_file *f,
				 struct gupdemo_dma_call *call,
				 struct gupdemo_dma *d)
{
	const u64 addr[GUPDEMO_SIDES] = { d->src_addr, d->dst_addr };
	struct gupdemo_dma_side *dst = &call->side[GUPDEMO_DST];
	int i, ret = 0;
	u64 t;

	/* Short-term pins first: GUP must not run under f->lock. */
	gupdemo_stamp(&t);
	for (i = 0; i < GUPDEMO_SIDES && !ret; i++)
		if (call->side[i].kind == GUPDEMO_SIDE_ADDR)
			ret = gupdemo_dma_side_pin(&call->side[i], addr[i],
						   d->len);
	d->pin_ns = gupdemo_stamp(&t);
	if (!ret)
		ret = gupdemo_dma_get_handles(f, call, d);
	if (!ret && (dst->kind == GUPDEMO_SIDE_ADDR ||
		     dst->kind == GUPDEMO_SIDE_PIN))
		ret = gupdemo_dma_check_aliases(dst->pin, d->len);
	return ret;
}

/**
 * struct gupdemo_page_cursor - a byte position in a pin, for the CPU copy
 * @it: the ranges
 * @r: the current range
 * @i: the page of @r the cursor is in
 * @off: offset in that page
 */
struct gupdemo_page_cursor {
	struct gupdemo_range_iter it;
	struct gupdemo_range r;
	unsigned long i;
	size_t off;
};

static void gupdemo_cursor_init(struct gupdemo_page_cursor *c,
				const struct gupdemo_pinned *pin)
{
	gupdemo_range_iter_init(&c->it, &pin->pfns, pin->npages);
	gupdemo_range_next(&c->it, &c->r);
	c->i = 0;
	c->off = pin->offset;
}

static void gupdemo_cursor_advance(struct gupdemo_page_cursor *c, size_t n)
{
	c->off += n;
	if (c->off < PAGE_SIZE)
		return;
	c->off = 0;
	if (++c->i == c->r.npages) {
		gupdemo_range_next(&c->it, &c->r);
		c->i = 0;
	}
}

/* GUPDEMO_DMA_MEMCPY: the CPU baseline, no engine, no mapping. */
static void gupdemo_dma_memcpy(struct gupdemo_dma_call *call)
{
	struct gupdemo_page_cursor s, d;
	size_t done = 0, since = 0;

	gupdemo_cursor_init(&s, call->side[GUPDEMO_SRC].pin);
	gupdemo_cursor_init(&d, call->side[GUPDEMO_DST].pin);
	while (done < call->len) {
		size_t n = min3(call->len - done, PAGE_SIZE - s.off,
				PAGE_SIZE - d.off);

		/* The same copy the software engine's loopback makes. */
		memcpy_page(pfn_to_page(d.r.pfn + d.i), d.off,
			    pfn_to_page(s.r.pfn + s.i), s.off, n);
		gupdemo_cursor_advance(&s, n);
		gupdemo_cursor_advance(&d, n);
		done += n;
		since += n;
		if (since >= SZ_1M) {
			cond_resched();
			since = 0;
		}
	}
	call->wrote = true;
}

/*
 * A call on a mirror (its only side): fault what the call uses with no lock
 * held, then run the sequence, which takes the shared locks and the
 * mirror's lock last; when an invalidation came in between, fault again,
 * for a bounded time.  A call that went to the quarantine let go of the
 * mirror's lock there.
 */
static int gupdemo_dma_run_mirror(struct gupdemo_dma_call *call, u32 op,
				  struct gupdemo_dma_times *t)
{
	struct gupdemo_dma_side *side = &call->side[GUPDEMO_SRC];
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(GUPDEMO_MIRROR_DMA_TIMEOUT_MS);
	unsigned int tries = 0;
	int ret;

	if (side->kind != GUPDEMO_SIDE_MIRROR)
		side = &call->side[GUPDEMO_DST];
	/* At least a few tries: queueing for the locks may take the time. */
	do {
		ret = gupdemo_mirror_dma_prepare(side->mirror, call->eng,
						 &side->map.sgt, call->len,
						 side == &call->side[GUPDEMO_DST]);
		if (!ret)
			ret = gupdemo_dma_run(call, op, t);
	} while (ret == -EAGAIN &&
		 (++tries < 3 || time_before(jiffies, deadline)));
	return ret == -EAGAIN ? -EBUSY : ret;
}

/* How a mirrored side was mapped, and how many entries (uapi). */
static void gupdemo_dma_mirror_report(const struct gupdemo_dma_call *call,
				      struct gupdemo_dma *d)
{
	int i;

	d->mirror_map = GUPDEMO_DMA_MIRROR_MAP_NONE;
	d->mirror_mapped = 0;
	for (i = 0; i < GUPDEMO_SIDES; i++) {
		const struct gupdemo_dma_side *side = &call->side[i];

		if (side->kind != GUPDEMO_SIDE_MIRROR)
			continue;
		d->mirror_map = side->live ? GUPDEMO_DMA_MIRROR_MAP_LIVE :
					     GUPDEMO_DMA_MIRROR_MAP_CALL;
		d->mirror_mapped = side->mirror_mapped;
	}
}

/* Run the engine (or the CPU copy) between pinning and unpinning. */
static int gupdemo_dma_move(struct gupdemo_dma_call *call,
			    struct gupdemo_dma *d)
{
	struct gupdemo_dma_times t = { };
	u64 stamp;
	int ret = 0;

	gupdemo_stamp(&stamp);
	if (call->side[GUPDEMO_SRC].kind == GUPDEMO_SIDE_MIRROR ||
	    call->side[GUPDEMO_DST].kind == GUPDEMO_SIDE_MIRROR)
		ret = gupdemo_dma_run_mirror(call, d->op, &t);
	else if (call->eng)
		ret = gupdemo_dma_run(call, d->op, &t);
	else
		gupdemo_dma_memcpy(call);
	if (!call->eng)
		t.xfer = gupdemo_stamp(&stamp);
	gupdemo_dma_mirror_report(call, d);
	d->sg_ns = t.sg;
	d->map_ns = t.map;
	d->xfer_ns = t.xfer;
	d->unmap_ns = t.unmap;
	return ret;
}

/* What the request asks of the call: engine, length, sides, mapping. */
static void gupdemo_dma_call_init(struct gupdemo_dma_call *call,
				  const struct gupdemo_dma *d,
				  struct gupdemo_engine *eng)
{
	call->eng = eng;
	call->len = d->len;
	call->mode = d->flags & GUPDEMO_DMA_MAP_SG ? GUPDEMO_MAP_SG :
		     d->flags & GUPDEMO_DMA_MAP_IOVA ? GUPDEMO_MAP_IOVA :
		     GUPDEMO_MAP_AUTO;
	call->keep = d->flags & GUPDEMO_DMA_KEEP_MAPPED;
	gupdemo_dma_kinds(call, d);
	call->side[GUPDEMO_SRC].dir = DMA_TO_DEVICE;
	call->side[GUPDEMO_DST].dir = eng && eng->cpu_writes ?
				      DMA_BIDIRECTIONAL : DMA_FROM_DEVICE;
}

/**
 * gupdemo_ioctl_dma() - GUPDEMO_IOC_DMA: pin, map, transfer, unmap, unpin
 * @f: the open file; its handles may be used
 * @arg: struct gupdemo_dma, validated here; outputs filled in on success
 *
 * Context: process context; sleeps.  Every wait is killable or bounded: a
 * fatal signal stops the transfer once the engine is quiet.  f->lock is
 * held only to look up handles, never across the transfer.
 *
 * Return: 0, or -EINVAL (bad request, or a destination that holds one page
 * twice), -ENOENT (unknown handle), -EPERM (destination handle not pinned
 * for writing, or a FOLL_GET one holding file pages; a mirror of another
 * process), -EFAULT (a mirror's range unmapped, or now memory GUP refuses),
 * -EBUSY (a mirror kept being invalidated), -ENODEV (no such engine),
 * -E2BIG (longer than the engine takes in one call), -ENOSPC (module-wide
 * pin budget), -ERANGE (the device cannot address the pages), -EIO (the
 * device did not stop: this call's memory stays pinned until it is
 * unbound, and until then no call writes memory through a device),
 * -ETIMEDOUT, -EINTR, or what pinning and mapping return; with the
 * mapping flags also -EOPNOTSUPP (MAP_IOVA where there is no IOVA path;
 * KEEP_MAPPED on a device that bounces every mapping) and -EXDEV (a handle
 * kept mapped for the other engine's device).
 */
int gupdemo_ioctl_dma(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_dma *d = arg;
	struct gupdemo_engine *eng = NULL;
	struct gupdemo_dma_call *call;
	u64 t;
	int ret;

	ret = gupdemo_dma_validate(d);
	if (ret)
		return ret;
	d->src_path = GUPDEMO_DMA_PATH_NONE;
	d->dst_path = GUPDEMO_DMA_PATH_NONE;
	if (d->op != GUPDEMO_DMA_MEMCPY) {
		ret = gupdemo_dma_engine_get(d, &eng);
		if (ret)
			return ret;
	}
	ret = -ENOMEM;
	call = kzalloc(sizeof(*call), GFP_KERNEL_ACCOUNT);
	if (!call)
		goto out_put_engine;
	gupdemo_dma_call_init(call, d, eng);

	ret = gupdemo_dma_get_sides(f, call, d);
	/* Pinning may have waited: do not start on an engine being removed. */
	if (!ret && eng && READ_ONCE(eng->removing))
		ret = -ENODEV;
	if (!ret)
		ret = gupdemo_dma_move(call, d);
	if (ret > 0) {
		/* The call is in the engine's quarantine now. */
		ret = -EIO;
		goto out_put_engine;
	}
	d->src_path = call->side[GUPDEMO_SRC].path;
	d->dst_path = call->side[GUPDEMO_DST].path;
	gupdemo_stamp(&t);
	gupdemo_dma_side_put(&call->side[GUPDEMO_DST], call->wrote);
	gupdemo_dma_side_put(&call->side[GUPDEMO_SRC], false);
	d->unpin_ns = gupdemo_stamp(&t);
	kfree(call);
	if (!ret) {
		d->engine = eng ? eng->id : GUPDEMO_ENGINE_AUTO;
		d->bytes = d->len;
		atomic64_inc(&gupdemo_stats.dma_total);
		atomic64_add(d->len, &gupdemo_stats.dma_bytes);
	}
out_put_engine:
	if (eng)
		gupdemo_engine_put(eng);
	return ret;
}
