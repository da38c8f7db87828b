// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - one DMA call: its two sides, its locks, its transfer
 *
 * Copied with dma.c (one buffer's table and mapping), above it.
 * A call has two sides, a source and a destination, each one of: a user
 * address pinned for this call only (Case 1 of pin_user_pages.rst), a held
 * pin handle (Case 2), or a mirror (mirror.c, never pinned).
 * gupdemo_dma_run() goes:
 *
 *   prepare each side (dma.c: reserve one IOVA range, or build the
 *   sg_table; a mirror's table is allocated by mirror.c; a handle's kept
 *   mapping is looked up, or made), before any lock an mmu notifier
 *   (reclaim) may have to wait for
 *   -> the device-writable-mapping lock (a call with a destination), the
 *      engine's lock, a mirror's lock last (mirror.c fills its table)
 *   -> map each side (dma.c: link each run into the IOVA range and sync
 *      once, or dma_map_sgtable()); a kept mapping is only handed to the
 *      device
 *   -> the engine moves the data from bus addresses (one range or the DMA
 *      entries); we wait with a timeout and the engine is quiet again
 *      before we go on
 *   -> unmap (dma.c: unlink and free the range, or dma_unmap_sgtable()),
 *      a kept mapping handed back to the CPU; or the quarantine below
 *   -> the mirror's lock let go (the pages it wrote dirtied), then the
 *      others
 *
 * The caller then gives the sides back (gupdemo_dma_side_put()): unpin,
 * dirty exactly when the device wrote the pages.  Handles are held by
 * reference while a call uses them: no lock of the open file is held
 * across a transfer.
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
#include <linux/dma-mapping.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
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
	return 0;
}

/**
 * gupdemo_dma_side_put() - give back one side's pages
 * @side: the side, held or not
 * @wrote: the device may have written them
 *
 * A short-term pin is unpinned, dirty when the device wrote; a handle is
 * marked written (it is unpinned dirty later) and its reference dropped;
 * so is a mirror's (its pages were never pinned).
 */
void gupdemo_dma_side_put(struct gupdemo_dma_side *side, bool wrote)
{
	switch (side->kind) {
	case GUPDEMO_SIDE_ADDR:
		if (side->pin)
			gupdemo_unpin_user_range(&side->short_term, wrote, NULL);
		break;
	case GUPDEMO_SIDE_PIN:
		if (side->pin && wrote)
			WRITE_ONCE(side->pin->device_wrote, true);
		if (side->pin)
			gupdemo_pin_put(side->pin);
		break;
	case GUPDEMO_SIDE_MIRROR:
		if (side->mirror)
			gupdemo_mirror_put(side->mirror);
		side->mirror = NULL;
		break;
	case GUPDEMO_SIDE_NONE:
		break;
	}
	side->pin = NULL;
}

/* Whether the call has a side @i. */
static bool gupdemo_dma_has(const struct gupdemo_dma_call *call, int i)
{
	return call->side[i].kind != GUPDEMO_SIDE_NONE;
}

/*
 * Prepare one side: a handle's kept mapping for this engine (made now
 * with KEEP_MAPPED), or this call's own: one IOVA range reserved, or the
 * sg_table built (dma.c).  A mirrored side's table was allocated by the
 * caller and is filled under the mirror's lock (gupdemo_dma_mirror_lock()).
 */
static int gupdemo_dma_side_prepare(struct gupdemo_dma_call *call,
				    struct gupdemo_dma_side *side)
{
	struct gupdemo_engine *eng = call->eng;
	int ret;

	side->map.dir = side->dir;
	if (side->kind == GUPDEMO_SIDE_MIRROR) {
		side->map.prepared = true;
		return 0;
	}
	if (side->kind == GUPDEMO_SIDE_PIN) {
		ret = gupdemo_dma_held_get(eng, side->pin, call->keep,
					   call->mode, &side->kept);
		if (ret || side->kept)
			return ret;
	}
	return gupdemo_dma_prepare(eng->dev, &side->map, side->pin, call->len,
				   call->mode);
}

/* Undo what the sides prepared and did not map; free the tables. */
static void gupdemo_dma_free_tables(struct gupdemo_dma_call *call)
{
	int i;

	for (i = 0; i < GUPDEMO_SIDES; i++)
		if (call->side[i].map.prepared)
			gupdemo_dma_unprepare(call->eng->dev, &call->side[i].map);
}

/* Prepare both sides; on failure nothing of this call is left. */
static int gupdemo_dma_build_tables(struct gupdemo_dma_call *call)
{
	int i, ret;

	for (i = 0; i < GUPDEMO_SIDES; i++) {
		if (call->side[i].kind == GUPDEMO_SIDE_NONE)
			continue;
		ret = gupdemo_dma_side_prepare(call, &call->side[i]);
		if (ret) {
			gupdemo_dma_free_tables(call);
			return ret;
		}
	}
	return 0;
}

/*
 * The mirror side's mapping: a view of the mirror's live mapping, or an
 * sg_table mapped for this call (mirror.c decides; a mirrored side is
 * mapped under its lock).  The other sides map themselves (dma.c).
 */
static int gupdemo_dma_side_map(struct device *dev,
				struct gupdemo_dma_side *side)
{
	int ret;

	if (side->kind != GUPDEMO_SIDE_MIRROR) {
		ret = gupdemo_dma_map(dev, &side->map, side->pin);
		side->path = gupdemo_dma_path(&side->map);
		return ret;
	}
	ret = gupdemo_mirror_dma_map(side->mirror, dev, &side->map,
				     &side->mirror_mapped);
	side->live = ret > 0;
	side->path = ret > 0 ? ret : gupdemo_dma_path(&side->map);
	return min(ret, 0);
}

static void gupdemo_dma_side_unmap_table(struct device *dev,
					 struct gupdemo_dma_side *side)
{
	if (side->kind != GUPDEMO_SIDE_MIRROR) {
		gupdemo_dma_unmap(dev, &side->map);
		return;
	}
	gupdemo_mirror_dma_unmap(dev, &side->map, side->live);
	if (side->held)
		gupdemo_mirror_dma_release(side->mirror, &side->map.sgt,
					   side->live);
}

/*
 * Map both sides that have no kept mapping: link each run of the IOVA
 * range, or map the table.  Return: 1 when at least one side was mapped
 * here, 0 when none needed it, -errno when one failed (the caller undoes
 * the rest with gupdemo_dma_unmap_sides()).
 */
static int gupdemo_dma_map_sides(struct gupdemo_dma_call *call)
{
	struct device *dev = call->eng->dev;
	int i, ret, mapped = 0;

	for (i = 0; i < GUPDEMO_SIDES; i++) {
		struct gupdemo_dma_side *side = &call->side[i];

		if (side->kind == GUPDEMO_SIDE_NONE)
			continue;
		if (side->kept) {
			side->path = gupdemo_dma_path(side->kept) |
				     GUPDEMO_DMA_PATH_HELD;
			continue;
		}
		ret = gupdemo_dma_side_map(dev, side);
		if (ret)
			return ret;
		mapped = 1;
	}
	return mapped;
}

/*
 * Undo the mapping and the table of one side, mapped or not; a quarantined
 * mirror's pages are let go in between.  The engine must be quiet.
 */
static void gupdemo_dma_side_unmap(struct device *dev,
				   struct gupdemo_dma_side *side)
{
	if (side->map.mapped)
		gupdemo_dma_side_unmap_table(dev, side);
	if (side->map.prepared)
		gupdemo_dma_unprepare(dev, &side->map);
}

/* Unmap the destination, then the source. */
static void gupdemo_dma_unmap_sides(struct gupdemo_dma_call *call)
{
	int i;

	for (i = GUPDEMO_SIDES - 1; i >= 0; i--)
		gupdemo_dma_side_unmap(call->eng->dev, &call->side[i]);
}

/*
 * Kept mappings live across calls: each is the device's for a transfer
 * and the CPU's again after it (dma.c, gupdemo_dma_sync()).
 */
static void gupdemo_dma_sync_kept(struct gupdemo_dma_call *call,
				  bool for_device)
{
	int i;

	for (i = 0; i < GUPDEMO_SIDES; i++)
		if (call->side[i].kept)
			gupdemo_dma_sync(call->eng->dev, call->side[i].kept,
					 for_device);
}

/* The side a call uses a mirror for (dma_ioctl.c: at most one), or NULL. */
static struct gupdemo_dma_side *gupdemo_dma_mirror_side(struct gupdemo_dma_call *call)
{
	int i;

	for (i = 0; i < GUPDEMO_SIDES; i++)
		if (call->side[i].kind == GUPDEMO_SIDE_MIRROR)
			return &call->side[i];
	return NULL;
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
	ret = gupdemo_mirror_dma_lock(side->mirror, &side->map.sgt, call->len,
				      side == &call->side[GUPDEMO_DST]);
	if (ret)
		return ret;
	ret = gupdemo_dma_check_reach(call->eng->dev, &side->map.sgt);
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
				       call->wrote &&
				       side == &call->side[GUPDEMO_DST] ?
				       call->len : 0);
}

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
static int gupdemo_dma_call_lock(struct gupdemo_dma_call *call)
{
	bool writes = gupdemo_dma_has(call, GUPDEMO_DST);
	int ret = 0;

	if (writes) {
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
	if (ret && writes)
		mutex_unlock(&gupdemo_dma_write_lock);
	return ret;
}

/* Give back what gupdemo_dma_call_lock() took. */
static void gupdemo_dma_call_unlock(struct gupdemo_dma_call *call)
{
	mutex_unlock(&call->eng->lock);
	if (gupdemo_dma_has(call, GUPDEMO_DST))
		mutex_unlock(&gupdemo_dma_write_lock);
}

static unsigned long gupdemo_dma_npages(const struct gupdemo_dma_call *call)
{
	unsigned long npages = 0;
	int i;

	for (i = 0; i < GUPDEMO_SIDES; i++) {
		const struct gupdemo_dma_side *side = &call->side[i];

		if (side->kind == GUPDEMO_SIDE_MIRROR)
			npages += side->map.sgt.orig_nents;
		else if (side->kind != GUPDEMO_SIDE_NONE)
			npages += side->pin->npages;
	}
	return npages;
}

/* Released from the quarantine once the stuck device is disabled. */
static void gupdemo_dma_release_quarantined(struct gupdemo_quarantined *q)
{
	struct gupdemo_dma_call *call = container_of(q, struct gupdemo_dma_call,
						     quarantined);

	atomic64_sub(gupdemo_dma_npages(call),
		     &gupdemo_stats.pages_quarantined);
	gupdemo_dma_unmap_sides(call);
	gupdemo_dma_side_put(&call->side[GUPDEMO_DST], call->wrote);
	gupdemo_dma_side_put(&call->side[GUPDEMO_SRC], false);
	kfree(call);
}

/*
 * Hand a call the device did not stop to its engine; the caller must not
 * touch it again.  Its mappings stay, its pins stay; a mirrored side was
 * never pinned: its pages are referenced instead, and the mirror's lock
 * let go (see gupdemo_mirror_dma_hold()).
 */
static void gupdemo_dma_quarantine(struct gupdemo_dma_call *call)
{
	struct gupdemo_dma_side *side = gupdemo_dma_mirror_side(call);
	unsigned long npages = gupdemo_dma_npages(call);

	if (side) {
		gupdemo_mirror_dma_hold(side->mirror, &side->map.sgt, side->live);
		side->held = true;
	}
	atomic64_add(npages, &gupdemo_stats.pages_quarantined);
	call->quarantined.release = gupdemo_dma_release_quarantined;
	gupdemo_engine_quarantine(call->eng, &call->quarantined);
	dev_err(call->eng->dev,
		"DMA does not stop: its memory stays mapped and pinned until the device is unbound\n");
}

/* What the engine is handed for side @i, or NULL when the call has none. */
static struct gupdemo_xfer_buf *gupdemo_dma_xfer_table(struct gupdemo_dma_call *call,
						       int i)
{
	struct gupdemo_dma_side *side = &call->side[i];

	if (!gupdemo_dma_has(call, i))
		return NULL;
	gupdemo_dma_xfer_buf(side->kept ?: &side->map, &side->xbuf);
	return &side->xbuf;
}

/*
 * The transfer, between handing kept mappings to the device and back:
 * their syncs count as transfer time, so a call through kept mappings
 * only reports map and unmap times of 0.
 */
static int gupdemo_dma_xfer(struct gupdemo_dma_call *call, u32 op,
			    struct gupdemo_xfer *x)
{
	struct gupdemo_engine *eng = call->eng;
	int ret;

	x->op = op;
	x->len = call->len;
	x->src = gupdemo_dma_xfer_table(call, GUPDEMO_SRC);
	x->dst = gupdemo_dma_xfer_table(call, GUPDEMO_DST);
	gupdemo_dma_sync_kept(call, true);
	/* Returns once the engine no longer touches the memory... */
	ret = eng->ops->transfer(eng, x);
	if (!x->stuck)
		gupdemo_dma_sync_kept(call, false);
	/* Even a failed transfer may have written the destination. */
	call->wrote = gupdemo_dma_has(call, GUPDEMO_DST);
	return ret;
}

/**
 * gupdemo_dma_run() - tables, locks, map, transfer, unmap: one DMA call
 * @call: both sides pinned (or referenced; a mirrored side's table
 *	allocated by gupdemo_mirror_dma_prepare()), @call->eng held
 * @op: GUPDEMO_DMA_TO_DEVICE, _FROM_DEVICE or _LOOPBACK
 * @t: filled in with the time of each stage
 *
 * Tables are built first, then the locks are taken in their order (the
 * device-writable mapping for a call with a destination, the engine, a
 * mirror's lock last), each killably; they are held for one bounded
 * transfer.  The caller unpins (gupdemo_dma_side_put()).
 *
 * Return: 0 or -errno (-EAGAIN: a mirrored side was invalidated since it
 * was faulted; fault again and retry), with every table freed; 1 when the
 * device did not stop and the call went to the engine's quarantine: the
 * caller must not touch it again.
 */
int gupdemo_dma_run(struct gupdemo_dma_call *call, u32 op,
		    struct gupdemo_dma_times *t)
{
	struct gupdemo_xfer x = { };
	int ret, mapped;
	u64 stamp;

	/* Allocations first: no lock a notifier may wait for is held yet. */
	gupdemo_stamp(&stamp);
	ret = gupdemo_dma_build_tables(call);
	t->sg = gupdemo_stamp(&stamp);
	if (ret)
		return ret;
	ret = gupdemo_dma_call_lock(call);
	if (!ret) {
		ret = gupdemo_dma_mirror_lock(call);	/* the last lock */
		if (ret)
			gupdemo_dma_call_unlock(call);
	}
	if (ret) {
		gupdemo_dma_free_tables(call);
		return ret;
	}
	gupdemo_stamp(&stamp);
	mapped = gupdemo_dma_map_sides(call);
	/* Kept mappings only: no map or unmap stage at all. */
	t->map = mapped ? gupdemo_stamp(&stamp) : 0;
	ret = mapped < 0 ? mapped : 0;
	if (!ret) {
		gupdemo_stamp(&stamp);
		ret = gupdemo_dma_xfer(call, op, &x);
		t->xfer = gupdemo_stamp(&stamp);
	}
	if (x.stuck) {
		/* ... unless it could not be stopped: keep everything. */
		gupdemo_dma_quarantine(call);
		ret = 1;
	} else {
		gupdemo_dma_unmap_sides(call);
		t->unmap = mapped ? gupdemo_stamp(&stamp) : 0;
		gupdemo_dma_mirror_unlock(call);
	}
	gupdemo_dma_call_unlock(call);
	return ret;
}
