// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - a pin handle that stays mapped (GUPDEMO_DMA_KEEP_MAPPED)
 *
 * Every DMA through a held pin maps it (dma.c) and unmaps it after.  A
 * driver that moves data through the same buffer again and again (a ring,
 * a registered memory region) maps it once and keeps the mapping:
 *
 *   first call with KEEP_MAPPED: map the whole pin for the engine's device
 *   (one IOVA range or an sg_table, as for one call) and keep it
 *   -> each call: hand it to the device (dma_sync_*_for_device()), transfer,
 *      hand it back to the CPU (dma_sync_*_for_cpu()); no table, no map
 *   -> UNPIN or close(): unmap, then unpin (dirty if a device wrote)
 *   -> the device unbinds first: unmap while the device is still there
 *
 * A mapping belongs to one struct device: a call through the handle on
 * the other engine is -EXDEV, not silently mapped a second time (two
 * device-writable mappings of one page are what the DMA API forbids).
 *
 * Bounce buffers: a kept sg_table mapping that swiotlb bounced would hold
 * its bounce slots (a small, shared pool) for as long as the handle lives,
 * and every sync copies the whole buffer.  A device whose every mapping is
 * bounced (swiotlb=force, SEV/TDX guests) is refused with -EOPNOTSUPP; one
 * that bounces only what it cannot reach is refused by the reach check as
 * for one call (-ERANGE).  A kept IOVA range is linked with
 * DMA_ATTR_REQUIRE_COHERENT: the link refuses what would need a bounce.
 *
 * Lifetimes.  One mutex, gupdemo_dma_held_lock, protects every kept
 * mapping, each pin's pointer to its own and each engine's list.  A call
 * uses a kept mapping without the lock: it holds the pin (so UNPIN says
 * -EBUSY and close() leaves the end to the call's put) and the engine (so
 * an unbind waits for it in gupdemo_engine_unregister() before it tears
 * the engine's kept mappings down).  A call that went to the quarantine
 * keeps holding both until the device is disabled.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

#include "dma.h"

/**
 * struct gupdemo_dma_held - a mapping a pin handle keeps
 * @map: the whole pin, mapped for @eng's device
 * @eng: the engine whose device it is mapped for
 * @pin: the pin, whose @held points back here
 * @node: on @eng->held
 */
struct gupdemo_dma_held {
	struct gupdemo_dma_map map;
	struct gupdemo_engine *eng;
	struct gupdemo_pinned *pin;
	struct list_head node;
};

/* Protects every struct gupdemo_dma_held, pin->held, engine->held. */
static DEFINE_MUTEX(gupdemo_dma_held_lock);

/* Map all of @pin for @eng's device, to keep.  Context: the lock held. */
static struct gupdemo_dma_held *
gupdemo_dma_held_make(struct gupdemo_engine *eng, struct gupdemo_pinned *pin,
		      enum gupdemo_map_mode mode)
{
	struct device *dev = eng->dev;
	struct gupdemo_dma_held *h;
	int ret;

	lockdep_assert_held(&gupdemo_dma_held_lock);
	if (is_swiotlb_force_bounce(dev))
		return ERR_PTR(-EOPNOTSUPP);
	if (gupdemo_should_fail())
		return ERR_PTR(-ENOMEM);
	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return ERR_PTR(-ENOMEM);
	/* Whatever the calls will do with it: the pin says what may happen. */
	h->map.dir = pin->flags & GUPDEMO_PIN_WRITE ? DMA_BIDIRECTIONAL :
						      DMA_TO_DEVICE;
	h->map.attrs = GUPDEMO_DMA_ATTR_HELD_IOVA;
	ret = gupdemo_dma_prepare(dev, &h->map, pin,
				  (size_t)pin->npages * PAGE_SIZE - pin->offset,
				  mode);
	if (ret)
		goto err_free;
	ret = gupdemo_dma_map(dev, &h->map, pin);
	if (ret)
		goto err_unprepare;
	h->eng = eng;
	h->pin = pin;
	list_add(&h->node, &eng->held);
	WRITE_ONCE(pin->held, h);
	atomic64_inc(&gupdemo_stats.dma_maps_held);
	return h;

err_unprepare:
	gupdemo_dma_unprepare(dev, &h->map);
err_free:
	kfree(h);
	return ERR_PTR(ret);
}

/* Unmap and forget a kept mapping.  Context: the lock held. */
static void gupdemo_dma_held_unmake(struct gupdemo_dma_held *h)
{
	struct device *dev = h->eng->dev;

	lockdep_assert_held(&gupdemo_dma_held_lock);
	gupdemo_dma_unmap(dev, &h->map);
	gupdemo_dma_unprepare(dev, &h->map);
	list_del(&h->node);
	WRITE_ONCE(h->pin->held, NULL);
	kfree(h);
	atomic64_dec(&gupdemo_stats.dma_maps_held);
}

/**
 * gupdemo_dma_held_get() - the mapping a handle keeps for this engine
 * @eng: the call's engine, held
 * @pin: the handle's pin, held
 * @keep: make one if the handle keeps none yet
 * @mode: how to map it when it is made
 * @mapp: (out) the kept mapping, or NULL: the call maps the side itself
 *
 * Context: process context, none of the call's locks held (mapping a big
 * pin takes a while, under this file's lock only).
 * Return: 0, or -EXDEV (kept for the other engine's device), -EOPNOTSUPP
 * (a device that bounces every mapping; or _IOVA that cannot be had),
 * -EINTR, or what preparing and mapping return.
 */
int gupdemo_dma_held_get(struct gupdemo_engine *eng,
			 struct gupdemo_pinned *pin, bool keep,
			 enum gupdemo_map_mode mode,
			 struct gupdemo_dma_map **mapp)
{
	struct gupdemo_dma_held *h;
	int ret;

	*mapp = NULL;
	ret = mutex_lock_killable(&gupdemo_dma_held_lock);
	if (ret)
		return ret;
	h = pin->held;
	if (h && h->eng != eng)
		ret = -EXDEV;
	else if (!h && keep)
		h = gupdemo_dma_held_make(eng, pin, mode);
	if (IS_ERR(h))
		ret = PTR_ERR(h);
	else if (!ret && h)
		*mapp = &h->map;
	mutex_unlock(&gupdemo_dma_held_lock);
	return ret;
}

/**
 * gupdemo_dma_held_drop() - the pin is ending: unmap what it keeps
 * @pin: no call uses it any more
 */
void gupdemo_dma_held_drop(struct gupdemo_pinned *pin)
{
	/* Only an unbind can clear it behind our back, never set it. */
	if (!READ_ONCE(pin->held))
		return;
	mutex_lock(&gupdemo_dma_held_lock);
	if (pin->held)
		gupdemo_dma_held_unmake(pin->held);
	mutex_unlock(&gupdemo_dma_held_lock);
}

/**
 * gupdemo_dma_held_release_engine() - unmap what handles keep for @eng
 * @eng: unregistered: no call uses it any more
 *
 * The handles stay; their next call maps per call again (or keeps a new
 * mapping for a device bound again).  Called before the device goes.
 */
void gupdemo_dma_held_release_engine(struct gupdemo_engine *eng)
{
	struct gupdemo_dma_held *h, *tmp;

	mutex_lock(&gupdemo_dma_held_lock);
	list_for_each_entry_safe(h, tmp, &eng->held, node)
		gupdemo_dma_held_unmake(h);
	mutex_unlock(&gupdemo_dma_held_lock);
}
