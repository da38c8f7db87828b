/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - a mirrored user range (module/mirror.c): what the DMA call and
 * the ioctls may know of it
 */
#ifndef _GUPDEMO_MIRROR_H
#define _GUPDEMO_MIRROR_H

#include <linux/dma-direction.h>
#include <linux/errno.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include <uapi/linux/gupdemo.h>

#include "handles.h"

struct device;
struct gupdemo_dma_map;
struct gupdemo_engine;
struct gupdemo_mirror_live;
struct sg_table;

/*
 * Pages one hmm_range_fault() round covers (2 MiB of 4 KiB pages): a
 * fault keeps its progress chunk by chunk, and m->scratch is at most this
 * long.
 */
#define GUPDEMO_MIRROR_CHUNK	512UL

/*
 * A DMA call on a mirror that keeps being invalidated gives up (-EBUSY)
 * after three tries and this long.
 */
#define GUPDEMO_MIRROR_DMA_TIMEOUT_MS	1000

/**
 * struct gupdemo_mirrored - a user range the device sees without pinning it
 * @notifier: the interval notifier on the range; its sequence count says
 *	whether the table is still current
 * @lock: the "driver update lock" of Documentation/mm/hmm.rst: protects
 *	@pfns, @nvalid, @alias and the counters; the invalidate callback takes
 *	it, and a DMA call holds it from the check that the table is current
 *	until the device is done with the pages, taking it after the engine's
 *	lock and never waiting for anything else under it
 * @fault_lock: one fault of the range at a time; owns @scratch.  Taken
 *	with no other lock held, never by the invalidate callback
 * @obj: its references (handles.h): the open file's table, and each DMA
 *	call using it
 * @addr: user address asked for
 * @len: bytes asked for
 * @start: @addr rounded down to a page
 * @npages: pages spanned
 * @flags: GUPDEMO_MIRROR_* bits
 * @pfns: the device's table: HMM pfns (HMM_PFN_VALID, HMM_PFN_WRITE and
 *	the frame) or 0 where an invalidation cleared it
 * @nvalid: entries of @pfns that are valid
 * @alias: @npages entries for the alias check of a DMA call that writes
 *	(GUPDEMO_MIRROR_WRITE mirrors only), under @lock
 * @scratch: what one hmm_range_fault() round fills (at most
 *	GUPDEMO_MIRROR_CHUNK entries), under @fault_lock
 * @faults: hmm_range_fault() rounds that filled the table
 * @refaults: of those, rounds a DMA call needed after an invalidation
 * @retries: rounds thrown away because an invalidation came in between
 * @invalidations: invalidations that hit the range
 * @events: @invalidations by GUPDEMO_MIRROR_EV_*
 * @live: the DMA mapping kept across calls, for one engine's device
 *	(mirror.c, <linux/hmm-dma.h>), or NULL; set and cleared under @lock
 *	with gupdemo_mirror_lives_lock held first
 * @live_mapped: entries mapped into @live in total
 * @live_unmapped: entries of @live invalidations unmapped in total
 */
struct gupdemo_mirrored {
	struct mmu_interval_notifier notifier;
	struct mutex lock; /* protects the table and counters, see above */
	struct mutex fault_lock; /* one fault at a time; owns scratch */
	struct gupdemo_object obj;
	u64 addr;
	u64 len;
	unsigned long start;
	unsigned long npages;
	u32 flags;
	unsigned long *pfns;
	unsigned long nvalid;
	unsigned long *alias;
	u64 faults;
	u64 refaults;
	u64 retries;
	u64 invalidations;
	u64 events[GUPDEMO_MIRROR_EVENTS];
	unsigned long *scratch;
	struct gupdemo_mirror_live *live;
	u64 live_mapped;
	u64 live_unmapped;
};

/* mirror_ioctl.c: the counters QUERY reports */
void gupdemo_mirror_count(struct gupdemo_mirrored *m,
			  enum mmu_notifier_event event);

#if IS_ENABLED(CONFIG_HMM_MIRROR)
/* mirror.c */
int gupdemo_mirror_init(struct gupdemo_mirrored *m, u64 addr, u64 len,
			u32 flags);
void gupdemo_mirror_fini(struct gupdemo_mirrored *m);
int gupdemo_mirror_dma_prepare(struct gupdemo_mirrored *m,
			       struct gupdemo_engine *eng,
			       struct sg_table *sgt, size_t len, bool write);
int gupdemo_mirror_dma_lock(struct gupdemo_mirrored *m, struct sg_table *sgt,
			    size_t len, bool write);
int gupdemo_mirror_dma_map(struct gupdemo_mirrored *m, struct device *dev,
			   struct gupdemo_dma_map *map, u32 *mapped);
void gupdemo_mirror_dma_unmap(struct device *dev, struct gupdemo_dma_map *map,
			      bool live);
void gupdemo_mirror_dma_end(struct gupdemo_mirrored *m, size_t written);
void gupdemo_mirror_dma_hold(struct gupdemo_mirrored *m, struct sg_table *sgt,
			     bool live);
void gupdemo_mirror_dma_release(struct gupdemo_mirrored *m,
				struct sg_table *sgt, bool live);
void gupdemo_mirror_live_query(struct gupdemo_mirrored *m,
			       struct gupdemo_mirror_query *q);
void gupdemo_mirror_engine_gone(struct device *dev);
#else
/* A kernel without HMM_MIRROR: no mirror is ever made. */
static inline int gupdemo_mirror_init(struct gupdemo_mirrored *m, u64 addr,
				      u64 len, u32 flags)
{
	return -EOPNOTSUPP;
}

static inline void gupdemo_mirror_fini(struct gupdemo_mirrored *m)
{
}

static inline int gupdemo_mirror_dma_prepare(struct gupdemo_mirrored *m,
					     struct gupdemo_engine *eng,
					     struct sg_table *sgt, size_t len,
					     bool write)
{
	return -EOPNOTSUPP;
}

static inline int gupdemo_mirror_dma_lock(struct gupdemo_mirrored *m,
					  struct sg_table *sgt, size_t len,
					  bool write)
{
	return -EOPNOTSUPP;
}

static inline void gupdemo_mirror_dma_end(struct gupdemo_mirrored *m,
					  size_t written)
{
}

static inline int gupdemo_mirror_dma_map(struct gupdemo_mirrored *m,
					 struct device *dev,
					 struct gupdemo_dma_map *map,
					 u32 *mapped)
{
	return -EOPNOTSUPP;
}

static inline void gupdemo_mirror_dma_unmap(struct device *dev,
					    struct gupdemo_dma_map *map,
					    bool live)
{
}

static inline void gupdemo_mirror_dma_hold(struct gupdemo_mirrored *m,
					   struct sg_table *sgt, bool live)
{
}

static inline void gupdemo_mirror_dma_release(struct gupdemo_mirrored *m,
					      struct sg_table *sgt, bool live)
{
}

static inline void gupdemo_mirror_live_query(struct gupdemo_mirrored *m,
					     struct gupdemo_mirror_query *q)
{
}

static inline void gupdemo_mirror_engine_gone(struct device *dev)
{
}
#endif

#endif /* _GUPDEMO_MIRROR_H */
