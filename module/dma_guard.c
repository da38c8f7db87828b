// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - two guards around the DMA sequence of dma.c
 *
 * One device-writable mapping of a page at a time: a lock that a call with
 * a destination holds from mapping to unmapping.
 *
 * The quarantine of a call whose device would not stop.  When an engine
 * reports that its device could not be stopped (edu after a timeout), the
 * device may still write the destination and read the source.  Nothing of
 * the call may be released: its mappings stay, its pins stay (a mirrored
 * side's pages get references instead), its handles stay referenced
 * (UNPIN says -EBUSY, close() leaves them).  The engine keeps the call and
 * releases it once the device is disabled (bus mastering off, at unbind).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "dma.h"
#include "mirror.h"

/*
 * The DMA API does not allow two mappings through which devices may write
 * the same cacheline at the same time (DMA-API debug reports "overlapping
 * mappings").  Two calls, on two files or two engines, may target the same
 * user pages, so device-writable mappings exist for one call at a time.
 */
static DEFINE_MUTEX(gupdemo_dma_write_lock);

/**
 * gupdemo_dma_call_lock() - the shared locks of one call, in their order
 * @call: the engine held, the sides pinned (or referenced)
 *
 * A call with a destination first takes the device-writable-mapping lock,
 * then every call takes its engine's lock: both killably, both before any
 * mirror's lock, so a mirror's lock is never held while waiting for other
 * callers.
 *
 * Return: 0 with both held, or -EINTR, -EIO (a stuck device's memory is
 * quarantined: no new device-writable mapping until it is disabled),
 * -ENODEV (the engine is going: the wait may have been long), with none
 * held.
 */
int gupdemo_dma_call_lock(struct gupdemo_dma_call *call)
{
	int ret = 0;

	if (call->dst.used) {
		ret = mutex_lock_killable(&gupdemo_dma_write_lock);
		if (ret)
			return ret;
		if (atomic64_read(&gupdemo_stats.pages_quarantined))
			ret = -EIO;
	}
	if (!ret)
		ret = mutex_lock_killable(&call->eng->lock);
	if (!ret && READ_ONCE(call->eng->removing)) {
		mutex_unlock(&call->eng->lock);
		ret = -ENODEV;
	}
	if (ret && call->dst.used)
		mutex_unlock(&gupdemo_dma_write_lock);
	return ret;
}

/* Give back what gupdemo_dma_call_lock() took. */
void gupdemo_dma_call_unlock(struct gupdemo_dma_call *call)
{
	mutex_unlock(&call->eng->lock);
	if (call->dst.used)
		mutex_unlock(&gupdemo_dma_write_lock);
}

static unsigned long gupdemo_dma_side_npages(const struct gupdemo_dma_side *side)
{
	if (!side->used)
		return 0;
	return side->mirror ? side->sgt.orig_nents : side->pin->npages;
}

/* Released from the quarantine once the stuck device is disabled. */
static void gupdemo_dma_release_quarantined(struct gupdemo_quarantined *q)
{
	struct gupdemo_dma_call *call = container_of(q, struct gupdemo_dma_call,
						     quarantined);
	unsigned long npages = gupdemo_dma_side_npages(&call->src) +
			       gupdemo_dma_side_npages(&call->dst);

	atomic64_sub(npages, &gupdemo_stats.pages_quarantined);
	gupdemo_dma_unmap(call->eng->dev, &call->dst);
	gupdemo_dma_unmap(call->eng->dev, &call->src);
	gupdemo_dma_side_put(&call->dst, call->wrote);
	gupdemo_dma_side_put(&call->src, false);
	kfree(call);
}

/**
 * gupdemo_dma_quarantine() - hand a call the device did not stop to its engine
 * @call: mapped, its sides pinned (or referenced); the caller must not
 *	touch it again
 *
 * Its mappings stay, its pins stay; a mirrored side was never pinned: its
 * pages are referenced instead, and the mirror's lock let go (see
 * gupdemo_mirror_dma_hold()).
 */
void gupdemo_dma_quarantine(struct gupdemo_dma_call *call)
{
	unsigned long npages = gupdemo_dma_side_npages(&call->src) +
			       gupdemo_dma_side_npages(&call->dst);
	struct gupdemo_dma_side *side[] = { &call->src, &call->dst };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(side); i++) {
		if (side[i]->used && side[i]->mirror) {
			gupdemo_mirror_dma_hold(side[i]->mirror, &side[i]->sgt);
			side[i]->held = true;
		}
	}
	atomic64_add(npages, &gupdemo_stats.pages_quarantined);
	call->quarantined.release = gupdemo_dma_release_quarantined;
	gupdemo_engine_quarantine(call->eng, &call->quarantined);
	dev_err(call->eng->dev,
		"DMA does not stop: its memory stays mapped and pinned until the device is unbound\n");
}

#if IS_ENABLED(CONFIG_HMM_MIRROR)
/**
 * gupdemo_mirror_dma_hold() - a device that did not stop keeps the pages
 * @m: after gupdemo_mirror_dma_lock()
 * @sgt: its table, still mapped
 *
 * The pages were never pinned: take a reference on each, so that they are
 * not freed while the device may still write them, and let invalidations
 * go on.  That is a trade-off for a broken device, not a guarantee: a page
 * that is only write-protected (writeback, mprotect) stays mapped and in
 * the page cache, and the device's stray writes to it are not tracked as
 * dirty; folio_maybe_dma_pinned() does not see a reference either.
 * gupdemo_mirror_dma_release() drops them once the device is disabled.
 */
void gupdemo_mirror_dma_hold(struct gupdemo_mirrored *m, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i)
		get_page(sg_page(sg));
	mutex_unlock(&m->lock);
}

/**
 * gupdemo_mirror_dma_release() - drop what gupdemo_mirror_dma_hold() took
 * @sgt: the table, unmapped (the caller frees it)
 */
void gupdemo_mirror_dma_release(struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i)
		put_page(sg_page(sg));
}
#endif
