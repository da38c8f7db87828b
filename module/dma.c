// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - DMA from and to pinned user memory
 *
 * The second file to copy: one buffer's shape, as umem's (the call around
 * it, both sides, its locks and a device that does not stop, is
 * dma_call.c; the ioctl is dma_ioctl.c).  A buffer whose pages are held (pinned: short-term,
 * Case 1 of pin_user_pages.rst, or long-term, Case 2) goes:
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

/**
 * gupdemo_dma_map() - map a built table for the device
 * @dev: the device that will do the DMA
 * @sgt: built by gupdemo_dma_table_build(), or filled from other held pages
 * @dir: the direction of the transfer
 *
 * Return: 0, or what dma_map_sgtable() returns, with @sgt freed.
 */
int gupdemo_dma_map(struct device *dev, struct sg_table *sgt,
		    enum dma_data_direction dir)
{
	int ret = -ENOMEM;

	if (!gupdemo_should_fail())
		ret = dma_map_sgtable(dev, sgt, dir, 0);
	if (ret)
		sg_free_table(sgt);
	return ret;
}

/**
 * gupdemo_dma_unmap() - undo the mapping of one table
 * @dev: the device
 * @sgt: mapped by gupdemo_dma_map(); the caller frees it
 * @dir: as mapped
 *
 * The engine must be quiet: after this the device may no longer touch the
 * pages.
 */
void gupdemo_dma_unmap(struct device *dev, struct sg_table *sgt,
		       enum dma_data_direction dir)
{
	dma_unmap_sgtable(dev, sgt, dir, 0);
}
