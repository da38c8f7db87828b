// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - DMA from and to pinned user memory
 *
 * The second file to copy.  One DMA call goes:
 *
 *   pin (short-term, Case 1 of pin_user_pages.rst, unless the caller
 *   passes a long-term handle: Case 2)
 *   -> sg_table over the pages, segments no longer than the device takes
 *   -> dma_map_sgtable()
 *   -> the engine walks the DMA entries and moves the data; we wait with a
 *      timeout and the engine is quiet again before we go on
 *   -> dma_unmap_sgtable()
 *   -> unpin, dirty exactly when the device wrote the pages
 *
 * A device that cannot be stopped keeps everything: its mappings and pins
 * go to the engine's quarantine, released only once the device is disabled
 * (bus mastering off).  Handles are held by reference while a call uses
 * them: no lock of the open file is held across a transfer.
 *
 * Two walks of one sg_table: the device is programmed from the DMA entries
 * (for_each_sgtable_dma_sg(), sg_dma_address()/sg_dma_len()); anything that
 * touches struct page uses the CPU entries (for_each_sgtable_sg()).  Never
 * call sg_page() under a DMA iterator: with an IOMMU the two lists differ.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swiotlb.h>

#include "engine.h"
#include "gupdemo.h"

/**
 * struct gupdemo_dma_side - one side (source or destination) of a DMA call
 * @pin: the pages: a held handle's, or @short_term's
 * @short_term: pinned for this call only, when no handle was given
 * @sgt: the sg_table mapped for the engine's device
 * @dir: DMA_TO_DEVICE for the source; DMA_FROM_DEVICE (DMA_BIDIRECTIONAL
 *	for an engine that is the CPU) for the destination
 * @sg_ns: time building @sgt
 * @used: this side takes part in the operation
 * @pinned: @short_term holds pages
 * @handle: @pin is a held handle, referenced by this call
 * @mapped: @sgt is allocated and mapped
 */
struct gupdemo_dma_side {
	struct gupdemo_pinned *pin;
	struct gupdemo_pinned short_term;
	struct sg_table sgt;
	enum dma_data_direction dir;
	u64 sg_ns;
	bool used;
	bool pinned;
	bool handle;
	bool mapped;
};

/**
 * struct gupdemo_dma_call - what one DMA call holds
 * @quarantined: on the engine's quarantine when the device did not stop
 * @dev: the device the sides are mapped for
 * @src: the source side
 * @dst: the destination side
 * @wrote: the device (or the CPU copy) may have written the destination
 */
struct gupdemo_dma_call {
	struct gupdemo_quarantined quarantined;
	struct device *dev;
	struct gupdemo_dma_side src;
	struct gupdemo_dma_side dst;
	bool wrote;
};

/*
 * The DMA API does not allow two mappings through which devices may write
 * the same cacheline at the same time (DMA-API debug reports "overlapping
 * mappings").  Two calls, on two files or two engines, may target the same
 * user pages, so device-writable mappings exist for one call at a time.
 */
static DEFINE_MUTEX(gupdemo_dma_write_lock);

/* Frames @pfn .. @pfn + @npages - 1, for the alias check. */
struct gupdemo_frames {
	unsigned long pfn;
	unsigned long npages;
};

static int gupdemo_cmp_frames(const void *a, const void *b)
{
	unsigned long x = ((const struct gupdemo_frames *)a)->pfn;
	unsigned long y = ((const struct gupdemo_frames *)b)->pfn;

	return x < y ? -1 : x > y;
}

/*
 * For the same reason one destination must not hold a page twice, which
 * userspace can arrange by mapping one file page at two addresses.  Sort
 * the frames of the entries the first @len bytes use; two ranges that
 * overlap share a page.
 */
static int gupdemo_dma_check_aliases(const struct gupdemo_pinned *pin,
				     size_t len)
{
	unsigned long npages = DIV_ROUND_UP(pin->offset + len, PAGE_SIZE);
	struct gupdemo_frames *f;
	unsigned long n, i;
	int ret = 0;

	for (n = 0, i = 0; i < npages; n++)
		i += gupdemo_entry_npages(pin->entries[n]);
	if (n < 2)
		return 0;
	f = kvmalloc_array(n, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		f[i].pfn = gupdemo_entry_pfn(pin->entries[i]);
		f[i].npages = gupdemo_entry_npages(pin->entries[i]);
	}
	/* The last entry may reach past what the transfer uses. */
	for (i = 0; i + 1 < n; i++)
		npages -= f[i].npages;
	f[n - 1].npages = npages;
	sort(f, n, sizeof(*f), gupdemo_cmp_frames, NULL);
	for (i = 1; i < n; i++) {
		if (f[i].pfn < f[i - 1].pfn + f[i - 1].npages) {
			ret = -EINVAL;
			break;
		}
	}
	kvfree(f);
	return ret;
}

/*
 * Without a translating IOMMU the bus address is the physical address, and
 * a device with a narrow mask (edu: 28 bits) cannot reach every page.  The
 * DMA API would bounce such pages through swiotlb, but the bounce pool may
 * itself lie beyond the mask, and swiotlb_map() then WARNs.  So when the
 * device cannot address all memory, refuse whenever swiotlb bounces every
 * mapping (swiotlb=force, as in SEV/TDX guests) and whenever a page lies
 * beyond the mask; what is left maps directly, without bouncing.
 */
static int gupdemo_dma_check_reach(struct device *dev, struct sg_table *sgt)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	u64 limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
	struct scatterlist *sg;
	unsigned int i;

	if (domain && domain->type != IOMMU_DOMAIN_IDENTITY)
		return 0;
	if (!dma_addressing_limited(dev))
		return 0;
	if (is_swiotlb_force_bounce(dev))
		return -ERANGE;
	for_each_sgtable_sg(sgt, sg, i) {
		if (sg_phys(sg) + sg->length - 1 > limit)
			return -ERANGE;
	}
	return 0;
}

/**
 * struct gupdemo_sg_builder - scatterlist entries being made from a pin
 * @sg: the next entry to fill; NULL to count only
 * @nents: entries made
 * @pfn: first frame of the segment being built
 * @npages: its pages, 0 when there is none
 * @offset: offset of the data in its first page
 * @left: bytes still to describe
 */
struct gupdemo_sg_builder {
	struct scatterlist *sg;
	unsigned int nents;
	unsigned long pfn;
	unsigned long npages;
	unsigned int offset;
	size_t left;
};

static void gupdemo_sg_emit(struct gupdemo_sg_builder *b)
{
	size_t bytes = min_t(size_t, b->npages * PAGE_SIZE - b->offset,
			     b->left);

	if (b->sg) {
		sg_set_page(b->sg, pfn_to_page(b->pfn), bytes, b->offset);
		b->sg = sg_next(b->sg);
	}
	b->nents++;
	b->left -= bytes;
	b->offset = 0;
	b->npages = 0;
}

/*
 * Describe the first @len bytes of a pin as scatterlist entries: pages at
 * consecutive frames share an entry, of at most @seg_pages pages, as
 * sg_alloc_table_from_pages_segment() would make them from a page array.
 * With @sgl NULL only count them.
 */
static unsigned int gupdemo_dma_fill_sg(const struct gupdemo_pinned *pin,
					size_t len, unsigned long seg_pages,
					struct scatterlist *sgl)
{
	unsigned long left = DIV_ROUND_UP(pin->offset + len, PAGE_SIZE);
	struct gupdemo_sg_builder b = {
		.sg = sgl, .offset = pin->offset, .left = len,
	};
	unsigned long i;

	for (i = 0; i < pin->nentries && left; i++) {
		unsigned long pfn = gupdemo_entry_pfn(pin->entries[i]);
		unsigned long n = min(gupdemo_entry_npages(pin->entries[i]),
				      left);

		left -= n;
		while (n) {
			unsigned long take;

			if (b.npages && b.pfn + b.npages == pfn &&
			    b.npages < seg_pages) {
				take = min(n, seg_pages - b.npages);
			} else {
				if (b.npages)
					gupdemo_sg_emit(&b);
				b.pfn = pfn;
				take = min(n, seg_pages);
			}
			b.npages += take;
			pfn += take;
			n -= take;
		}
	}
	if (b.npages)
		gupdemo_sg_emit(&b);
	return b.nents;
}

/**
 * gupdemo_dma_map() - describe pinned pages in an sg_table and map it
 * @dev: the device that will do the DMA
 * @side: @side->pin holds the pages; @side->dir is set
 * @len: bytes used, from @side->pin->offset in the first page
 *
 * The table's segments are capped at the device's max segment size (set
 * by the driver at probe) and at the largest mapping the DMA API can make
 * (a swiotlb slot run, 256 KiB, when it may bounce), so every DMA entry is
 * one the device and the DMA API can take.
 * A driver that keeps only a pages array gets the same table from
 * sg_alloc_table_from_pages_segment().
 *
 * Return: 0 with @side->sgt mapped, or -ENOMEM, -EINVAL (max segment below
 * a page), -ERANGE (device cannot reach the pages), or the DMA API's error.
 */
static int gupdemo_dma_map(struct device *dev, struct gupdemo_dma_side *side,
			   size_t len)
{
	struct gupdemo_pinned *pin = side->pin;
	size_t seg = min_t(size_t, dma_get_max_seg_size(dev),
			   dma_max_mapping_size(dev));
	unsigned long seg_pages = seg >> PAGE_SHIFT;
	u64 start_ns = ktime_get_ns();
	unsigned int nents;
	int ret;

	if (!seg_pages)
		return -EINVAL;
	if (gupdemo_should_fail())
		return -ENOMEM;
	nents = gupdemo_dma_fill_sg(pin, len, seg_pages, NULL);
	ret = sg_alloc_table(&side->sgt, nents, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	gupdemo_dma_fill_sg(pin, len, seg_pages, side->sgt.sgl);
	side->sg_ns = ktime_get_ns() - start_ns;

	ret = gupdemo_dma_check_reach(dev, &side->sgt);
	if (ret)
		goto err_free_table;

	if (gupdemo_should_fail()) {
		ret = -ENOMEM;
		goto err_free_table;
	}
	ret = dma_map_sgtable(dev, &side->sgt, side->dir, 0);
	if (ret)
		goto err_free_table;

	side->mapped = true;
	return 0;

err_free_table:
	sg_free_table(&side->sgt);
	return ret;
}

/**
 * gupdemo_dma_unmap() - undo gupdemo_dma_map()
 * @dev: the device the table was mapped for
 * @side: a mapped side
 *
 * Context: the engine must be quiet: after this the device may no longer
 * touch the pages.
 */
static void gupdemo_dma_unmap(struct device *dev, struct gupdemo_dma_side *side)
{
	if (!side->mapped)
		return;
	dma_unmap_sgtable(dev, &side->sgt, side->dir, 0);
	sg_free_table(&side->sgt);
	side->mapped = false;
}

/*
 * The CPU baseline for the benchmark: copy the same pinned pages with
 * memcpy() in the calling thread, no device, no mapping.
 */
static void gupdemo_cpu_copy(struct gupdemo_pinned *dst,
			     struct gupdemo_pinned *src, size_t len)
{
	struct gupdemo_page_iter s, d;
	size_t done = 0;

	gupdemo_page_iter_init(&s, src);
	gupdemo_page_iter_init(&d, dst);
	while (done < len) {
		size_t soff = offset_in_page(src->offset + done);
		size_t doff = offset_in_page(dst->offset + done);
		size_t n = min3(len - done, PAGE_SIZE - soff, PAGE_SIZE - doff);

		/* The same copy the software engine's loopback makes. */
		memcpy_page(gupdemo_page_iter_page(&d), doff,
			    gupdemo_page_iter_page(&s), soff, n);
		done += n;
		if (soff + n == PAGE_SIZE)
			gupdemo_page_iter_next(&s);
		if (doff + n == PAGE_SIZE)
			gupdemo_page_iter_next(&d);
		if (!(done & (SZ_1M - 1)))
			cond_resched();
	}
}

/* A side given by address: validate it like a PIN call, pin it for now. */
static int gupdemo_dma_pin_short_term(struct gupdemo_dma_side *side, u64 addr,
				      size_t len)
{
	struct gupdemo_pinned *pin = &side->short_term;
	u32 flags = side->dir != DMA_TO_DEVICE ? GUPDEMO_PIN_WRITE : 0;
	int ret;

	ret = gupdemo_pin_validate(addr, len, GUPDEMO_API_PIN_FAST, flags);
	if (ret)
		return ret;

	pin->addr = addr;
	pin->len = len;
	pin->api = GUPDEMO_API_PIN_FAST;
	pin->flags = flags;
	ret = gupdemo_pin_user_range(pin, 0);
	if (ret)
		return ret;
	side->pin = pin;
	side->pinned = true;
	return 0;
}

/* A side given by handle: it must be a FOLL_PIN pin that covers @len. */
static int gupdemo_dma_use_handle(struct gupdemo_file *f,
				  struct gupdemo_dma_side *side, u32 handle,
				  size_t len)
{
	struct gupdemo_pinned *pin = gupdemo_handle_get(f, handle);
	int ret = 0;

	if (!pin)
		return -ENOENT;
	/* DMA needs FOLL_PIN: a FOLL_GET reference is what it replaced. */
	if (pin->api == GUPDEMO_API_GET_FAST)
		ret = -EINVAL;
	/* The device writes: the pin must have been taken with FOLL_WRITE. */
	else if (side->dir != DMA_TO_DEVICE && !(pin->flags & GUPDEMO_PIN_WRITE))
		ret = -EPERM;
	else if (len > (u64)pin->npages * PAGE_SIZE - pin->offset)
		ret = -EINVAL;
	if (ret) {
		gupdemo_handle_put(pin);
		return ret;
	}
	side->pin = pin;
	side->handle = true;
	return 0;
}

/* Both sides given by handle, looked up and referenced under f->lock. */
static int gupdemo_dma_get_handles(struct gupdemo_file *f,
				   struct gupdemo_dma_call *call,
				   const struct gupdemo_dma *d)
{
	int ret;

	ret = mutex_lock_killable(&f->lock);
	if (ret)
		return ret;
	if (call->src.used && (d->flags & GUPDEMO_DMA_SRC_HANDLE))
		ret = gupdemo_dma_use_handle(f, &call->src, d->src_handle,
					     d->len);
	if (!ret && call->dst.used && (d->flags & GUPDEMO_DMA_DST_HANDLE))
		ret = gupdemo_dma_use_handle(f, &call->dst, d->dst_handle,
					     d->len);
	mutex_unlock(&f->lock);
	return ret;
}

/* Both sides given by address, pinned for this call (not under f->lock). */
static int gupdemo_dma_pin_sides(struct gupdemo_dma_call *call,
				 const struct gupdemo_dma *d)
{
	int ret = 0;

	if (call->src.used && !(d->flags & GUPDEMO_DMA_SRC_HANDLE))
		ret = gupdemo_dma_pin_short_term(&call->src, d->src_addr,
						 d->len);
	if (!ret && call->dst.used && !(d->flags & GUPDEMO_DMA_DST_HANDLE))
		ret = gupdemo_dma_pin_short_term(&call->dst, d->dst_addr,
						 d->len);
	return ret;
}

/*
 * Give back one side's pages: a short-term pin is unpinned (dirty when the
 * device wrote), a handle is marked written and its reference dropped.
 */
static void gupdemo_dma_side_put(struct gupdemo_dma_side *side, bool wrote)
{
	if (side->pinned)
		gupdemo_unpin_user_range(&side->short_term, wrote);
	if (side->handle) {
		if (wrote)
			WRITE_ONCE(side->pin->device_wrote, true);
		gupdemo_handle_put(side->pin);
	}
	side->pinned = false;
	side->handle = false;
}

/* Unpin or put both sides; returns the time it took. */
static u64 gupdemo_dma_put_sides(struct gupdemo_dma_call *call)
{
	u64 t0 = ktime_get_ns();

	gupdemo_dma_side_put(&call->dst, call->wrote);
	gupdemo_dma_side_put(&call->src, false);
	return ktime_get_ns() - t0;
}

/* Released from the quarantine once the stuck device is disabled. */
static void gupdemo_dma_release_quarantined(struct gupdemo_quarantined *q)
{
	struct gupdemo_dma_call *call = container_of(q, struct gupdemo_dma_call,
						     quarantined);

	atomic64_sub(call->dst.pin ? call->dst.pin->npages : 0,
		     &gupdemo_stats.pages_quarantined);
	atomic64_sub(call->src.pin ? call->src.pin->npages : 0,
		     &gupdemo_stats.pages_quarantined);
	gupdemo_dma_unmap(call->dev, &call->dst);
	gupdemo_dma_unmap(call->dev, &call->src);
	gupdemo_dma_put_sides(call);
	kfree(call);
}

/*
 * The device did not stop: it may still write the destination and read the
 * source.  Keep both mapped and pinned (and the handles referenced, so UNPIN
 * says -EBUSY and close() leaves them) until the device is disabled.
 */
static void gupdemo_dma_quarantine(struct gupdemo_engine *eng,
				   struct gupdemo_dma_call *call)
{
	atomic64_add(call->dst.pin ? call->dst.pin->npages : 0,
		     &gupdemo_stats.pages_quarantined);
	atomic64_add(call->src.pin ? call->src.pin->npages : 0,
		     &gupdemo_stats.pages_quarantined);
	call->quarantined.release = gupdemo_dma_release_quarantined;
	gupdemo_engine_quarantine(eng, &call->quarantined);
	dev_err(eng->dev,
		"DMA does not stop: its memory stays mapped and pinned until the device is unbound\n");
}

/* Map both sides for the engine's device. */
static int gupdemo_dma_map_sides(struct gupdemo_dma_call *call,
				 struct gupdemo_dma *d)
{
	u64 t0 = ktime_get_ns();
	int ret = 0;

	if (call->src.used)
		ret = gupdemo_dma_map(call->dev, &call->src, d->len);
	if (!ret && call->dst.used)
		ret = gupdemo_dma_map(call->dev, &call->dst, d->len);
	d->sg_ns = call->src.sg_ns + call->dst.sg_ns;
	d->map_ns = ktime_get_ns() - t0 - d->sg_ns;
	return ret;
}

/*
 * Map, transfer, unmap.  Device-writable mappings exist for one call at a
 * time; the lock is taken killably and held for one bounded transfer.
 * Returns 1 when the call went to the quarantine (the caller must not touch
 * it again), else 0 or -errno.
 */
static int gupdemo_dma_transfer(struct gupdemo_engine *eng,
				struct gupdemo_dma_call *call,
				struct gupdemo_dma *d)
{
	struct gupdemo_xfer x = {
		.op = d->op,
		.src = call->src.used ? &call->src.sgt : NULL,
		.dst = call->dst.used ? &call->dst.sgt : NULL,
		.len = d->len,
	};
	u64 t0;
	int ret;

	if (call->dst.used) {
		ret = mutex_lock_killable(&gupdemo_dma_write_lock);
		if (ret)
			return ret;
		/*
		 * A device that could not be stopped may still write its
		 * quarantined memory: no new device-writable mapping until it
		 * is disabled.
		 */
		if (atomic64_read(&gupdemo_stats.pages_quarantined)) {
			mutex_unlock(&gupdemo_dma_write_lock);
			return -EIO;
		}
	}
	ret = gupdemo_dma_map_sides(call, d);
	if (!ret) {
		t0 = ktime_get_ns();
		/* Returns once the engine no longer touches the memory... */
		ret = eng->ops->transfer(eng, &x);
		d->xfer_ns = ktime_get_ns() - t0;
		/* Even a failed transfer may have written the destination. */
		call->wrote = call->dst.used;
	}
	/* ... unless it could not be stopped. */
	if (x.stuck) {
		gupdemo_dma_quarantine(eng, call);
		ret = 1;
	} else {
		t0 = ktime_get_ns();
		gupdemo_dma_unmap(call->dev, &call->dst);
		gupdemo_dma_unmap(call->dev, &call->src);
		d->unmap_ns = ktime_get_ns() - t0;
	}
	if (call->dst.used)
		mutex_unlock(&gupdemo_dma_write_lock);
	return ret;
}

static int gupdemo_dma_validate(const struct gupdemo_dma *d)
{
	bool src_used = d->op != GUPDEMO_DMA_FROM_DEVICE;
	bool dst_used = d->op != GUPDEMO_DMA_TO_DEVICE;

	if ((d->flags & ~GUPDEMO_DMA_ALL) || d->op >= GUPDEMO_DMA_OP_COUNT ||
	    d->engine >= GUPDEMO_ENGINE_COUNT || !d->len)
		return -EINVAL;
	if (d->op == GUPDEMO_DMA_MEMCPY && d->engine != GUPDEMO_ENGINE_AUTO)
		return -EINVAL;
	/* The side an operation does not use must be left empty. */
	if (!src_used && (d->src_handle || d->src_addr ||
			  (d->flags & GUPDEMO_DMA_SRC_HANDLE)))
		return -EINVAL;
	if (!dst_used && (d->dst_handle || d->dst_addr ||
			  (d->flags & GUPDEMO_DMA_DST_HANDLE)))
		return -EINVAL;
	/* A handle side has no address and the reverse. */
	if ((d->flags & GUPDEMO_DMA_SRC_HANDLE) ? d->src_addr : d->src_handle)
		return -EINVAL;
	if ((d->flags & GUPDEMO_DMA_DST_HANDLE) ? d->dst_addr : d->dst_handle)
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

/* Pin or look up both sides; check the destination for aliases. */
static int gupdemo_dma_get_sides(struct gupdemo_file *f,
				 struct gupdemo_dma_call *call,
				 struct gupdemo_dma *d)
{
	u64 t0 = ktime_get_ns();
	int ret;

	/* Short-term pins first: GUP must not run under f->lock. */
	ret = gupdemo_dma_pin_sides(call, d);
	d->pin_ns = ktime_get_ns() - t0;
	if (!ret)
		ret = gupdemo_dma_get_handles(f, call, d);
	if (!ret && call->dst.used)
		ret = gupdemo_dma_check_aliases(call->dst.pin, d->len);
	return ret;
}

/* GUPDEMO_DMA_MEMCPY: the CPU baseline, no engine. */
static void gupdemo_dma_memcpy(struct gupdemo_dma_call *call,
			       struct gupdemo_dma *d)
{
	u64 t0 = ktime_get_ns();

	gupdemo_cpu_copy(call->dst.pin, call->src.pin, d->len);
	call->wrote = true;
	d->xfer_ns = ktime_get_ns() - t0;
	d->sg_ns = 0;
	d->map_ns = 0;
	d->unmap_ns = 0;
}

/**
 * gupdemo_ioctl_dma() - GUPDEMO_IOC_DMA: pin, map, transfer, unmap, unpin
 * @f: the open file; its handles may be used
 * @d: the request, validated here; outputs filled in on success
 *
 * Context: process context; sleeps.  Every wait is killable or bounded: a
 * fatal signal stops the transfer once the engine is quiet.  f->lock is
 * held only to look up handles, never across the transfer.
 *
 * Return: 0, or -EINVAL (bad request, or a destination that holds one page
 * twice), -ENOENT (unknown handle), -EPERM (destination handle not pinned
 * for writing), -ENODEV (no such engine), -E2BIG (longer than the engine
 * takes in one call), -ENOSPC (module-wide pin budget), -ERANGE (the device
 * cannot address the pages), -EIO (the device did not stop: this call's
 * memory stays pinned until it is unbound, and until then no call writes
 * memory through a device), -ETIMEDOUT, -EINTR, or what pinning and mapping
 * return.
 */
int gupdemo_ioctl_dma(struct gupdemo_file *f, struct gupdemo_dma *d)
{
	struct gupdemo_engine *eng = NULL;
	struct gupdemo_dma_call *call;
	int ret;

	ret = gupdemo_dma_validate(d);
	if (ret)
		return ret;
	if (d->op != GUPDEMO_DMA_MEMCPY) {
		ret = gupdemo_dma_engine_get(d, &eng);
		if (ret)
			return ret;
	}
	call = kzalloc(sizeof(*call), GFP_KERNEL_ACCOUNT);
	if (!call) {
		ret = -ENOMEM;
		goto out_put_engine;
	}
	call->src.used = d->op != GUPDEMO_DMA_FROM_DEVICE;
	call->dst.used = d->op != GUPDEMO_DMA_TO_DEVICE;
	call->src.dir = DMA_TO_DEVICE;
	call->dst.dir = eng && eng->cpu_writes ? DMA_BIDIRECTIONAL :
						 DMA_FROM_DEVICE;
	call->dev = eng ? eng->dev : NULL;

	ret = gupdemo_dma_get_sides(f, call, d);
	if (!ret && eng)
		ret = gupdemo_dma_transfer(eng, call, d);
	else if (!ret)
		gupdemo_dma_memcpy(call, d);
	if (ret > 0) {
		/* The call is in the quarantine now. */
		ret = -EIO;
		goto out_put_engine;
	}
	d->unpin_ns = gupdemo_dma_put_sides(call);
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
