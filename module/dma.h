/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - one DMA call's state, shared by dma.c (the pattern) and
 * dma_ioctl.c (the ioctl around it)
 */
#ifndef _GUPDEMO_DMA_H
#define _GUPDEMO_DMA_H

#include <linux/dma-direction.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

#include "engine.h"
#include "gupdemo_private.h"

/**
 * struct gupdemo_dma_side - one side (source or destination) of a DMA call
 * @pin: the pages: a held handle's, or @short_term's
 * @short_term: pinned for this call only, when no handle was given
 * @sgt: the sg_table mapped for the engine's device
 * @dir: DMA_TO_DEVICE for the source; DMA_FROM_DEVICE (DMA_BIDIRECTIONAL
 *	for an engine that is the CPU) for the destination
 * @mirror: a mirrored range instead of a pin (mirror.c filled @sgt and
 *	holds its lock for the call), referenced by this call
 * @used: this side takes part in the operation
 * @pinned: @short_term holds pages
 * @handle: @pin is a held handle, referenced by this call
 * @mapped: @sgt is allocated and mapped
 * @held: @mirror's pages are referenced for a quarantine (a device that
 *	did not stop), put when @sgt is unmapped
 */
struct gupdemo_dma_side {
	struct gupdemo_pinned *pin;
	struct gupdemo_pinned short_term;
	struct sg_table sgt;
	enum dma_data_direction dir;
	struct gupdemo_mirrored *mirror;
	bool used;
	bool pinned;
	bool handle;
	bool mapped;
	bool held;
};

/**
 * struct gupdemo_dma_call - what one DMA call holds
 * @quarantined: on the engine's quarantine when the device did not stop
 * @eng: the engine, held by the caller for the call
 * @src: the source side
 * @dst: the destination side
 * @len: bytes to move
 * @wrote: the device (or the CPU copy) may have written the destination
 */
struct gupdemo_dma_call {
	struct gupdemo_quarantined quarantined;
	struct gupdemo_engine *eng;
	struct gupdemo_dma_side src;
	struct gupdemo_dma_side dst;
	size_t len;
	bool wrote;
};

/**
 * struct gupdemo_dma_times - where one DMA call spent its time, in ns
 * @sg: building the sg_tables
 * @map: dma_map_sgtable()
 * @xfer: the transfer
 * @unmap: dma_unmap_sgtable() and freeing the tables
 */
struct gupdemo_dma_times {
	u64 sg;
	u64 map;
	u64 xfer;
	u64 unmap;
};

int gupdemo_dma_side_pin(struct gupdemo_dma_side *side, u64 addr,
			 size_t len);
void gupdemo_dma_side_put(struct gupdemo_dma_side *side, bool wrote);
int gupdemo_dma_run(struct gupdemo_dma_call *call, u32 op,
		    struct gupdemo_dma_times *t);
void gupdemo_dma_unmap(struct device *dev, struct gupdemo_dma_side *side);

/* dma_guard.c */
int gupdemo_dma_call_lock(struct gupdemo_dma_call *call);
void gupdemo_dma_call_unlock(struct gupdemo_dma_call *call);
void gupdemo_dma_quarantine(struct gupdemo_dma_call *call);

#endif /* _GUPDEMO_DMA_H */
