// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - DMA from and to pinned user memory
 *
 * The second file to copy: the sequence and nothing else (the ioctl around
 * it is dma_ioctl.c).  One DMA call goes:
 *
 *   pin (short-term, Case 1 of pin_user_pages.rst, unless the caller
 *   passes a long-term handle: Case 2)
 *   -> sg_table over the pinned ranges of consecutive frames, segments no
 *      longer than the device and the DMA API take; refuse what the device
 *      cannot reach
 *   -> dma_map_sgtable()
 *   -> the engine walks the DMA entries and moves the data; we wait with a
 *      timeout and the engine is quiet again before we go on
 *   -> dma_unmap_sgtable()
 *   -> unpin, dirty exactly when the device wrote the pages
 *
 * A device that cannot be stopped keeps everything: its mappings and pins
 * go to the engine's quarantine (dma_guard.c), released only once the
 * device is disabled (bus mastering off).  Handles are held by reference
 * while a call uses them: no lock of the open file is held across a
 * transfer.  A side may also be a mirror (mirror.c), whose table mirror.c
 * fills under the mirror's lock; so every table is allocated before any
 * lock is taken that an mmu notifier (reclaim) may have to wait for.
 *
 * Two walks of one sg_table: the device is programmed from the DMA entries
 * (for_each_sgtable_dma_sg(), sg_dma_address()/sg_dma_len()); anything that
 * touches struct page uses the CPU entries (for_each_sgtable_sg()).  Never
 * call sg_page() under a DMA iterator: with an IOMMU the two lists differ.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cc_platform.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>

#include "dma.h"
#include "mirror.h"

/**
 * gupdemo_dma_side_pin() - pin a side given by address, for this call only
 * @side: @side->dir is set: a destination is pinned with FOLL_WRITE
 * @addr: user address
 * @len: bytes
 *
 * Return: 0, or what gupdemo_pin_validate() and gupdemo_pin_user_range()
 * return.
 */
int gupdemo_dma_side_pin(struct gupdemo_dma_side *side, u64 addr, size_t len)
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
	ret = gupdemo_pin_user_range(pin, 0, NULL);
	if (ret)
		return ret;
	side->pin = pin;
	side->pinned = true;
	return 0;
}

/**
 * gupdemo_dma_side_put() - give back one side's pages
 * @side: the side
 * @wrote: the device may have written them
 *
 * A short-term pin is unpinned, dirty when the device wrote; a handle is
 * marked written (it is unpinned dirty later) and its reference dropped;
 * so is a mirror's (its pages were never pinned).
 */
void gupdemo_dma_side_put(struct gupdemo_dma_side *side, bool wrote)
{
	if (side->mirror) {
		gupdemo_mirror_put(side->mirror);
		side->mirror = NULL;
	}
	if (side->pinned)
		gupdemo_unpin_user_range(&side->short_term, wrote, NULL);
	if (side->handle) {
		if (wrote)
			WRITE_ONCE(side->pin->device_wrote, true);
		gupdemo_pin_put(side->pin);
	}
	side->pinned = false;
	side->handle = false;
}

/**
 * gupdemo_dma_check_reach() - will @dev reach every page of @sgt directly?
 * @dev: the device that will do the DMA
 * @sgt: the CPU entries of the table, not yet mapped
 *
 * Without a translating IOMMU the bus address is the physical address, and
 * a device with a narrow mask (edu: 28 bits) cannot reach every page.  The
 * DMA API would bounce such pages through swiotlb, but the bounce pool may
 * itself lie beyond the mask (swiotlb then WARNs), and without a pool the
 * DMA layer WARNs at once.  So when the device cannot address all memory,
 * refuse whenever every mapping is bounced (swiotlb=force, as in SEV/TDX
 * guests) or memory is encrypted (the bus address carries the encryption
 * bit), and whenever a page lies beyond the device's limit; what is left
 * maps directly, without bouncing.
 *
 * Only driver API is used: iommu_get_domain_for_dev(),
 * dma_addressing_limited(), dma_get_mask() and the device's bus limit,
 * cc_platform_has(), and is_swiotlb_force_bounce() (an inline of
 * <linux/swiotlb.h> that reads the device's own swiotlb state).  Not
 * dma_capable() or phys_to_dma(): those are helpers of the DMA-direct
 * implementation in <linux/dma-direct.h>, which change with it and may
 * call what is not exported (7.3's dma_capable() calls
 * force_dma_unencrypted(): such a module no longer links).  A driver asks
 * the DMA API what the device can do; it does not redo the DMA layer's
 * own decision.
 *
 * The physical address stands for the bus address.  Where the firmware
 * describes a bus offset (dev->dma_range_map, some arm64 SoCs) the driver
 * has no exported way to translate it, so a limited device there is
 * refused rather than guessed at.
 *
 * Context: process context; no lock needed.
 * Return: 0, or -ERANGE when a page would have to be bounced.
 */
static int gupdemo_dma_check_reach(struct device *dev, struct sg_table *sgt)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct scatterlist *sg;
	unsigned int i;
	u64 limit;

	if (domain && domain->type != IOMMU_DOMAIN_IDENTITY)
		return 0;
	if (!dma_addressing_limited(dev))
		return 0;
	if (is_swiotlb_force_bounce(dev) ||
	    cc_platform_has(CC_ATTR_MEM_ENCRYPT) || dev->dma_range_map)
		return -ERANGE;
	limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
	for_each_sgtable_sg(sgt, sg, i) {
		if (sg_phys(sg) + sg->length - 1 > limit)
			return -ERANGE;
	}
	return 0;
}

/*
 * Describe the first @len bytes of a pin: one scatterlist entry per range
 * of consecutive frames, split at @seg_pages pages and where a segment
 * would cross the device's boundary (@bnd_pages, a power of two).  With
 * @sgl NULL only count them.
 */
static unsigned int gupdemo_dma_fill_sg(const struct gupdemo_pinned *pin,
					size_t len, unsigned long seg_pages,
					unsigned long bnd_pages,
					struct scatterlist *sgl)
{
	unsigned int offset = pin->offset, nents = 0;
	struct scatterlist *sg = sgl;
	struct gupdemo_range_iter it;
	struct gupdemo_range r;

	gupdemo_range_iter_init(&it, &pin->pfns,
				DIV_ROUND_UP(pin->offset + len, PAGE_SIZE));
	while (gupdemo_range_next(&it, &r)) {
		while (r.npages) {
			unsigned long n = min3(r.npages, seg_pages,
					       bnd_pages - (r.pfn & (bnd_pages - 1)));
			size_t bytes = min_t(size_t, n * PAGE_SIZE - offset, len);

			if (sg) {
				sg_set_page(sg, pfn_to_page(r.pfn), bytes, offset);
				sg = sg_next(sg);
			}
			nents++;
			len -= bytes;
			offset = 0;
			r.pfn += n;
			r.npages -= n;
		}
	}
	return nents;
}

/**
 * gupdemo_dma_table_build() - describe a side's pages in an sg_table
 * @dev: the device that will do the DMA
 * @side: @side->pin holds the pages
 * @len: bytes used, from @side->pin->offset in the first page
 *
 * Segments are capped at the device's max segment size (set by the driver
 * at probe) and at the largest mapping the DMA API can make (a swiotlb slot
 * run, 256 KiB, when it may bounce), and never cross its segment boundary
 * (4 GiB for PCI devices).  A driver that keeps a plain page
 * array gets the same table from sg_alloc_table_from_pages_segment().
 *
 * Return: 0, -ENOMEM, -EINVAL (max segment below a page), or -ERANGE (the
 * device cannot reach the pages).
 */
static int gupdemo_dma_table_build(struct device *dev,
				   struct gupdemo_dma_side *side, size_t len)
{
	size_t seg = min_t(size_t, dma_get_max_seg_size(dev),
			   dma_max_mapping_size(dev));
	unsigned long seg_pages = seg >> PAGE_SHIFT;
	unsigned long bnd_pages = (dma_get_seg_boundary(dev) >> PAGE_SHIFT) + 1;
	unsigned int nents;
	int ret;

	if (!seg_pages)
		return -EINVAL;
	if (gupdemo_should_fail())
		return -ENOMEM;
	nents = gupdemo_dma_fill_sg(side->pin, len, seg_pages, bnd_pages, NULL);
	ret = sg_alloc_table(&side->sgt, nents, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	gupdemo_dma_fill_sg(side->pin, len, seg_pages, bnd_pages,
			    side->sgt.sgl);
	ret = gupdemo_dma_check_reach(dev, &side->sgt);
	if (ret)
		sg_free_table(&side->sgt);
	return ret;
}

/* Map a built table; on failure the table is freed. */
static int gupdemo_dma_map(struct device *dev, struct gupdemo_dma_side *side)
{
	int ret = -ENOMEM;

	if (!gupdemo_should_fail())
		ret = dma_map_sgtable(dev, &side->sgt, side->dir, 0);
	if (ret) {
		sg_free_table(&side->sgt);
		return ret;
	}
	side->mapped = true;
	return 0;
}

/**
 * gupdemo_dma_unmap() - undo the mapping and the table of one side
 * @dev: the engine's device
 * @side: mapped or not
 *
 * The engine must be quiet: after this the device may no longer touch the
 * pages.
 */
void gupdemo_dma_unmap(struct device *dev, struct gupdemo_dma_side *side)
{
	if (!side->mapped)
		return;
	dma_unmap_sgtable(dev, &side->sgt, side->dir, 0);
	if (side->held)
		gupdemo_mirror_dma_release(&side->sgt);
	sg_free_table(&side->sgt);
	side->mapped = false;
}

/* The side a call uses a mirror for (dma_ioctl.c: at most one), or NULL. */
static struct gupdemo_dma_side *gupdemo_dma_mirror_side(struct gupdemo_dma_call *call)
{
	if (call->src.used && call->src.mirror)
		return &call->src;
	if (call->dst.used && call->dst.mirror)
		return &call->dst;
	return NULL;
}

/*
 * Describe a side in its sg_table.  A mirrored side's table was allocated
 * by the caller and is filled under the mirror's lock, once the shared
 * locks are held (gupdemo_dma_mirror_lock()).  On failure the table is
 * freed.
 */
static int gupdemo_dma_side_build(struct device *dev,
				  struct gupdemo_dma_side *side, size_t len)
{
	if (side->mirror)
		return 0;
	return gupdemo_dma_table_build(dev, side, len);
}

/*
 * A mirrored side: its table filled under the mirror's lock, taken last
 * (mirror.c), and checked for reach.  Return: 0 with the mirror's lock
 * held (or no mirrored side), or -errno without it; -EAGAIN when the range
 * was invalidated since it was faulted.
 */
static int gupdemo_dma_mirror_lock(struct gupdemo_dma_call *call)
{
	struct gupdemo_dma_side *side = gupdemo_dma_mirror_side(call);
	int ret;

	if (!side)
		return 0;
	ret = gupdemo_mirror_dma_lock(side->mirror, &side->sgt, call->len,
				      side == &call->dst);
	if (ret)
		return ret;
	ret = gupdemo_dma_check_reach(call->eng->dev, &side->sgt);
	if (ret)
		gupdemo_mirror_dma_end(side->mirror, 0);
	return ret;
}

/* The device is done with a mirrored side: dirty what it wrote, unlock. */
static void gupdemo_dma_mirror_unlock(struct gupdemo_dma_call *call)
{
	struct gupdemo_dma_side *side = gupdemo_dma_mirror_side(call);

	if (side)
		gupdemo_mirror_dma_end(side->mirror,
				       call->wrote && side == &call->dst ?
				       call->len : 0);
}

/* The shared locks, then a mirror's lock last; on failure none is held. */
static int gupdemo_dma_lock_all(struct gupdemo_dma_call *call)
{
	int ret;

	ret = gupdemo_dma_call_lock(call);
	if (ret)
		return ret;
	ret = gupdemo_dma_mirror_lock(call);
	if (ret)
		gupdemo_dma_call_unlock(call);
	return ret;
}

/*
 * Build the tables of both sides.  A call with a mirrored side uses that
 * side only (dma_ioctl.c).  On failure no table is left.
 */
static int gupdemo_dma_build_sides(struct gupdemo_dma_call *call)
{
	struct device *dev = call->eng->dev;
	struct gupdemo_dma_side *s = &call->src, *d = &call->dst;
	int ret = 0;

	if (s->used)
		ret = gupdemo_dma_side_build(dev, s, call->len);
	if (!ret && d->used) {
		ret = gupdemo_dma_side_build(dev, d, call->len);
		if (ret && s->used)
			sg_free_table(&s->sgt);
	}
	return ret;
}

/* Free built tables that were never mapped. */
static void gupdemo_dma_free_tables(struct gupdemo_dma_call *call)
{
	if (call->src.used)
		sg_free_table(&call->src.sgt);
	if (call->dst.used)
		sg_free_table(&call->dst.sgt);
}

/* Map both built tables; a table that fails to map is freed. */
static int gupdemo_dma_map_sides(struct gupdemo_dma_call *call)
{
	struct device *dev = call->eng->dev;
	struct gupdemo_dma_side *s = &call->src, *d = &call->dst;
	int ret = 0;

	if (s->used)
		ret = gupdemo_dma_map(dev, s);
	if (d->used) {
		if (ret)
			sg_free_table(&d->sgt);
		else
			ret = gupdemo_dma_map(dev, d);
	}
	return ret;
}

/**
 * gupdemo_dma_run() - map, transfer, unmap: the middle of the sequence
 * @call: both sides pinned (or referenced; a mirrored side's table
 *	allocated by gupdemo_mirror_dma_prepare()), @call->eng held
 * @op: GUPDEMO_DMA_TO_DEVICE, _FROM_DEVICE or _LOOPBACK
 * @t: filled in with the time of each stage
 *
 * Tables are built first, then the locks are taken in their order (the
 * device-writable mapping for a call with a destination, the engine, a
 * mirror's lock last), each killably; they are held for one bounded
 * transfer.  The caller unpins.
 *
 * Return: 0 or -errno (-EAGAIN: a mirrored side was invalidated since it
 * was faulted; fault again and retry), with every table freed; 1 when the
 * device did not stop and the call went to the engine's quarantine: the
 * caller must not touch it again.
 */
int gupdemo_dma_run(struct gupdemo_dma_call *call, u32 op,
		    struct gupdemo_dma_times *t)
{
	struct gupdemo_engine *eng = call->eng;
	struct gupdemo_xfer x = { .op = op, .len = call->len };
	u64 stamp;
	int ret;

	/* Allocations first: no lock a notifier may wait for is held yet. */
	gupdemo_stamp(&stamp);
	ret = gupdemo_dma_build_sides(call);
	t->sg = gupdemo_stamp(&stamp);
	if (ret)
		return ret;
	ret = gupdemo_dma_lock_all(call);
	if (ret) {
		gupdemo_dma_free_tables(call);
		return ret;
	}
	gupdemo_stamp(&stamp);
	ret = gupdemo_dma_map_sides(call);
	t->map = gupdemo_stamp(&stamp);
	if (!ret) {
		x.src = call->src.used ? &call->src.sgt : NULL;
		x.dst = call->dst.used ? &call->dst.sgt : NULL;
		/* Returns once the engine no longer touches the memory... */
		ret = eng->ops->transfer(eng, &x);
		t->xfer = gupdemo_stamp(&stamp);
		/* Even a failed transfer may have written the destination. */
		call->wrote = call->dst.used;
	}
	if (x.stuck) {
		/* ... unless it could not be stopped. */
		gupdemo_dma_quarantine(call);
		ret = 1;
	} else {
		gupdemo_dma_unmap(eng->dev, &call->dst);
		gupdemo_dma_unmap(eng->dev, &call->src);
		t->unmap = gupdemo_stamp(&stamp);
		gupdemo_dma_mirror_unlock(call);
	}
	gupdemo_dma_call_unlock(call);
	return ret;
}
