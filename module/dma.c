// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - DMA from and to pinned user memory
 *
 * The second file to copy: one buffer's shape, as umem's (the call around
 * it, both sides, its locks and a device that does not stop, is
 * dma_call.c; the ioctl is dma_ioctl.c).  A buffer whose pages are held
 * (pinned: short-term, Case 1 of pin_user_pages.rst, or long-term, Case 2)
 * is mapped one of two ways.
 *
 * One IOVA range (the two-step DMA API, since 6.16), when the device sits
 * behind an IOMMU that translates for it:
 *
 *   -> dma_iova_try_alloc(): one IOVA range for the whole buffer (false:
 *      no IOMMU DMA domain; use the sg_table below)
 *   -> dma_iova_link() of each run of consecutive frames, no scatterlist
 *   -> dma_iova_sync(): one IOTLB flush for all of them
 *   -> (the engine moves the data: the device sees one contiguous range)
 *   -> dma_iova_unlink() of everything linked, dma_iova_free()
 *
 * An sg_table, everywhere else (and on kernels before 6.16):
 *
 *   -> sg_table over the held ranges of consecutive frames, segments no
 *      longer than the device and the DMA API take; refuse what the device
 *      cannot reach
 *   -> dma_map_sgtable()
 *   -> (the engine moves the data: dma_call.c)
 *   -> dma_unmap_sgtable(), sg_free_table()
 *
 * Two walks of one sg_table: the device is programmed from the DMA entries
 * (for_each_sgtable_dma_sg(), sg_dma_address()/sg_dma_len()); anything that
 * touches struct page uses the CPU entries (for_each_sgtable_sg()).  Never
 * call sg_page() under a DMA iterator: with an IOMMU the two lists differ.
 * The engines take either shape as a list of (bus address, length) pieces
 * (gupdemo_seg_next() in engine.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cc_platform.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>

#include "dma.h"

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
int gupdemo_dma_check_reach(struct device *dev, struct sg_table *sgt)
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
 * gupdemo_dma_table_build() - describe held pages in an sg_table
 * @dev: the device that will do the DMA
 * @sgt: the table to allocate and fill
 * @pin: holds the pages
 * @len: bytes used, from @pin->offset in the first page
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
int gupdemo_dma_table_build(struct device *dev, struct sg_table *sgt,
			    const struct gupdemo_pinned *pin, size_t len)
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
	nents = gupdemo_dma_fill_sg(pin, len, seg_pages, bnd_pages, NULL);
	ret = sg_alloc_table(sgt, nents, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	gupdemo_dma_fill_sg(pin, len, seg_pages, bnd_pages, sgt->sgl);
	ret = gupdemo_dma_check_reach(dev, sgt);
	if (ret)
		sg_free_table(sgt);
	return ret;
}

/* The physical address of the buffer's first byte. */
static phys_addr_t gupdemo_dma_first_phys(const struct gupdemo_pinned *pin)
{
	struct gupdemo_range_iter it;
	struct gupdemo_range r = { };

	gupdemo_range_iter_init(&it, &pin->pfns, 1);
	gupdemo_range_next(&it, &r);
	return PFN_PHYS(r.pfn) + pin->offset;
}

/**
 * gupdemo_dma_prepare() - reserve one IOVA range, or build the sg_table
 * @dev: the device that will do the DMA
 * @m: zeroed, @m->dir set; @m->attrs set for the IOVA path if needed
 * @pin: holds the pages
 * @len: bytes used, from @pin->offset in the first page
 * @mode: GUPDEMO_MAP_AUTO tries the IOVA path first; _SG never does;
 *	_IOVA takes nothing else
 *
 * dma_iova_try_alloc() is the question "does this device translate?":
 * false without an IOMMU DMA domain (no IOMMU, passthrough, a platform
 * device like the software engine's), and false before 6.16 (compat.h).
 * The IOVA allocator honours the device's DMA mask, so behind an IOMMU
 * every page is reachable; on the sg_table path the reach check stays.
 *
 * Allocations only, no mapping yet: called before the call's locks.
 *
 * Return: 0 with @m->prepared, or -EOPNOTSUPP (_IOVA where the IOVA path
 * cannot be used), or what gupdemo_dma_table_build() returns.
 */
int gupdemo_dma_prepare(struct device *dev, struct gupdemo_dma_map *m,
			const struct gupdemo_pinned *pin, size_t len,
			enum gupdemo_map_mode mode)
{
	int ret;

	m->len = len;
	/*
	 * Runs after the first start on a page boundary: that is enough for
	 * dma_iova_link() only if the IOMMU maps in pages no larger than the
	 * CPU's (its granule; 64 KiB IOMMU pages under 4 KiB CPU pages are
	 * not), which dma_get_merge_boundary() tells.
	 */
	if (mode != GUPDEMO_MAP_SG && dma_get_merge_boundary(dev) < PAGE_SIZE &&
	    dma_iova_try_alloc(dev, &m->iova, gupdemo_dma_first_phys(pin),
			       len)) {
		m->prepared = true;
		return 0;
	}
	if (mode == GUPDEMO_MAP_IOVA)
		return -EOPNOTSUPP;
	ret = gupdemo_dma_table_build(dev, &m->sgt, pin, len);
	m->prepared = !ret;
	return ret;
}

/*
 * The IOVA path: link each run of consecutive frames at its offset in the
 * range, then flush the IOTLB once.  Only the first run may start inside
 * a page (dma_iova_link() wants later runs page-aligned, and they are).
 * A link that fails half-way unlinks what was linked: nothing is left
 * mapped; the range itself is freed by gupdemo_dma_unprepare().
 */
static int gupdemo_dma_link(struct device *dev, struct gupdemo_dma_map *m,
			    const struct gupdemo_pinned *pin)
{
	unsigned int offset = pin->offset;
	struct gupdemo_range_iter it;
	struct gupdemo_range r;
	size_t done = 0;
	int ret = 0;

	gupdemo_range_iter_init(&it, &pin->pfns,
				DIV_ROUND_UP(pin->offset + m->len, PAGE_SIZE));
	while (done < m->len && gupdemo_range_next(&it, &r)) {
		size_t n = min_t(size_t, r.npages * PAGE_SIZE - offset,
				 m->len - done);

		ret = -ENOMEM;
		if (!gupdemo_should_fail())
			ret = dma_iova_link(dev, &m->iova,
					    PFN_PHYS(r.pfn) + offset, done, n,
					    m->dir, m->attrs);
		if (ret)
			goto err_unlink;
		done += n;
		offset = 0;
	}
	ret = dma_iova_sync(dev, &m->iova, 0, done);
	if (ret)
		goto err_unlink;
	return 0;

err_unlink:
	if (done)
		dma_iova_unlink(dev, &m->iova, 0, done, m->dir, m->attrs);
	return ret;
}

/**
 * gupdemo_dma_map() - map a prepared buffer for the device
 * @dev: the device that will do the DMA
 * @m: prepared by gupdemo_dma_prepare() (or a table filled from other
 *	held pages, @m->prepared set)
 * @pin: the pages, for the IOVA path
 *
 * Return: 0 with @m->mapped, or -errno with nothing mapped (@m stays
 * prepared: gupdemo_dma_unprepare() it).
 */
int gupdemo_dma_map(struct device *dev, struct gupdemo_dma_map *m,
		    const struct gupdemo_pinned *pin)
{
	int ret = -ENOMEM;

	if (dma_use_iova(&m->iova))
		ret = gupdemo_dma_link(dev, m, pin);
	else if (!gupdemo_should_fail())
		ret = dma_map_sgtable(dev, &m->sgt, m->dir, 0);
	m->mapped = !ret;
	return ret;
}

/**
 * gupdemo_dma_unmap() - undo gupdemo_dma_map()
 * @dev: the device
 * @m: mapped
 *
 * The engine must be quiet: after this the device may no longer touch the
 * pages.  The IOVA path unlinks the whole range at once: its runs were
 * linked back to back.
 */
void gupdemo_dma_unmap(struct device *dev, struct gupdemo_dma_map *m)
{
	if (dma_use_iova(&m->iova))
		dma_iova_unlink(dev, &m->iova, 0, m->len, m->dir, m->attrs);
	else
		dma_unmap_sgtable(dev, &m->sgt, m->dir, 0);
	m->mapped = false;
}

/**
 * gupdemo_dma_unprepare() - undo gupdemo_dma_prepare()
 * @dev: the device
 * @m: prepared, not mapped
 */
void gupdemo_dma_unprepare(struct device *dev, struct gupdemo_dma_map *m)
{
	if (dma_use_iova(&m->iova))
		dma_iova_free(dev, &m->iova);
	else
		sg_free_table(&m->sgt);
	m->prepared = false;
}

/* GUPDEMO_DMA_PATH_IOVA or _SG: which way @m is mapped. */
u32 gupdemo_dma_path(struct gupdemo_dma_map *m)
{
	return dma_use_iova(&m->iova) ? GUPDEMO_DMA_PATH_IOVA :
					GUPDEMO_DMA_PATH_SG;
}

/* What an engine is handed: the table, or the one range. */
void gupdemo_dma_xfer_buf(struct gupdemo_dma_map *m,
			  struct gupdemo_xfer_buf *b)
{
	b->sgt = dma_use_iova(&m->iova) ? NULL : &m->sgt;
	b->addr = m->iova.addr;
	b->len = m->len;
}

/**
 * gupdemo_dma_sync() - hand a mapping kept across transfers over
 * @dev: the device
 * @m: mapped, and kept mapped between transfers
 * @for_device: before a transfer (to the device) or after it (to the CPU)
 *
 * A streaming mapping belongs to the device while it is mapped: one kept
 * across transfers is handed to the device before each and back to the
 * CPU after, where the user's bytes may need cache maintenance or a
 * bounce-buffer copy.  An IOVA range has no such call: a kept one was
 * linked with DMA_ATTR_REQUIRE_COHERENT (compat.h), so it needs none.
 */
void gupdemo_dma_sync(struct device *dev, struct gupdemo_dma_map *m,
		      bool for_device)
{
	if (dma_use_iova(&m->iova))
		return;
	if (for_device)
		dma_sync_sgtable_for_device(dev, &m->sgt, m->dir);
	else
		dma_sync_sgtable_for_cpu(dev, &m->sgt, m->dir);
}
