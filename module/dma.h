/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - one buffer's DMA mapping (dma.c) and one DMA call's state
 * (dma_call.c, the call; dma_ioctl.c, the ioctl around it)
 */
#ifndef _GUPDEMO_DMA_H
#define _GUPDEMO_DMA_H

#include <linux/dma-direction.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

#include "engine.h"
#include "gupdemo_private.h"

/* The two sides of a call, indexes of gupdemo_dma_call.side[]. */
enum { GUPDEMO_SRC, GUPDEMO_DST, GUPDEMO_SIDES };

/**
 * enum gupdemo_dma_kind - what a side of a DMA call is
 * @GUPDEMO_SIDE_NONE: the operation does not use this side
 * @GUPDEMO_SIDE_ADDR: a user address, pinned short-term for this call
 * @GUPDEMO_SIDE_PIN: a held pin handle, referenced by this call
 * @GUPDEMO_SIDE_MIRROR: a mirrored range (never pinned), referenced by this
 *	call; mirror.c fills its table and holds its lock for the call
 */
enum gupdemo_dma_kind {
	GUPDEMO_SIDE_NONE,
	GUPDEMO_SIDE_ADDR,
	GUPDEMO_SIDE_PIN,
	GUPDEMO_SIDE_MIRROR,
};

/**
 * struct gupdemo_dma_side - one side (source or destination) of a DMA call
 * @kind: what the side is, set before it is held
 * @pin: the pages once held: a handle's, or @short_term's; else NULL
 * @short_term: pinned for this call only (%GUPDEMO_SIDE_ADDR)
 * @mirror: the mirrored range once referenced (%GUPDEMO_SIDE_MIRROR)
 * @sgt: the sg_table mapped for the engine's device
 * @dir: DMA_TO_DEVICE for the source; DMA_FROM_DEVICE (DMA_BIDIRECTIONAL
 *	for an engine that is the CPU) for the destination
 * @mapped: @sgt is allocated and mapped
 * @held: @mirror's pages are referenced for a quarantine (a device that
 *	did not stop), put when @sgt is unmapped
 * @live: @sgt is a view of @mirror's live mapping (mirror.c): never
 *	dma_unmap_sgtable()d
 * @mirror_mapped: entries of @mirror this call mapped (reported back)
 */
struct gupdemo_dma_side {
	enum gupdemo_dma_kind kind;
	struct gupdemo_pinned *pin;
	struct gupdemo_pinned short_term;
	struct gupdemo_mirrored *mirror;
	struct sg_table sgt;
	enum dma_data_direction dir;
	bool mapped;
	bool held;
	bool live;
	u32 mirror_mapped;
};

/**
 * struct gupdemo_dma_call - what one DMA call holds
 * @quarantined: on the engine's quarantine when the device did not stop
 * @eng: the engine, held by the caller for the call
 * @side: the source (%GUPDEMO_SRC) and the destination (%GUPDEMO_DST)
 * @len: bytes to move
 * @wrote: the device (or the CPU copy) may have written the destination
 */
struct gupdemo_dma_call {
	struct gupdemo_quarantined quarantined;
	struct gupdemo_engine *eng;
	struct gupdemo_dma_side side[GUPDEMO_SIDES];
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

/* dma.c: one buffer's table and mapping */
int gupdemo_dma_table_build(struct device *dev, struct sg_table *sgt,
			    const struct gupdemo_pinned *pin, size_t len);
int gupdemo_dma_check_reach(struct device *dev, struct sg_table *sgt);
int gupdemo_dma_map(struct device *dev, struct sg_table *sgt,
		    enum dma_data_direction dir);
void gupdemo_dma_unmap(struct device *dev, struct sg_table *sgt,
		       enum dma_data_direction dir);

/* dma_call.c: one call, both sides */
int gupdemo_dma_side_pin(struct gupdemo_dma_side *side, u64 addr,
			 size_t len);
void gupdemo_dma_side_put(struct gupdemo_dma_side *side, bool wrote);
int gupdemo_dma_run(struct gupdemo_dma_call *call, u32 op,
		    struct gupdemo_dma_times *t);

#endif /* _GUPDEMO_DMA_H */
