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

#include "compat.h"
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

/* How a call asks its sides to be mapped (GUPDEMO_DMA_MAP_*). */
enum gupdemo_map_mode {
	GUPDEMO_MAP_AUTO,
	GUPDEMO_MAP_SG,
	GUPDEMO_MAP_IOVA,
};

/**
 * struct gupdemo_dma_map - one buffer mapped for one device, either way
 * @sgt: the sg_table path: the table, its DMA entries once mapped
 * @iova: the IOVA path: one range reserved for the whole buffer;
 *	dma_use_iova() says whether this is the path
 * @len: bytes of the buffer
 * @dir: the direction it is mapped for
 * @attrs: DMA_ATTR_* of the IOVA path's links
 * @prepared: @sgt is built, or @iova reserved
 * @mapped: @sgt is mapped, or every run is linked into @iova and synced
 */
struct gupdemo_dma_map {
	struct sg_table sgt;
	struct dma_iova_state iova;
	size_t len;
	enum dma_data_direction dir;
	unsigned long attrs;
	bool prepared;
	bool mapped;
};

/**
 * struct gupdemo_dma_side - one side (source or destination) of a DMA call
 * @kind: what the side is, set before it is held
 * @pin: the pages once held: a handle's, or @short_term's; else NULL
 * @short_term: pinned for this call only (%GUPDEMO_SIDE_ADDR)
 * @mirror: the mirrored range once referenced (%GUPDEMO_SIDE_MIRROR)
 * @map: this call's mapping for the engine's device (a mirror's table is
 *	@map.sgt)
 * @kept: a handle's held mapping for the engine's device (dma_held.c),
 *	used instead of @map; NULL when the call maps the side itself
 * @xbuf: what the engine is handed: @kept or @map as it sees them
 * @path: GUPDEMO_DMA_PATH_* of the mapping used, once mapped
 * @dir: DMA_TO_DEVICE for the source; DMA_FROM_DEVICE (DMA_BIDIRECTIONAL
 *	for an engine that is the CPU) for the destination
 * @held: @mirror's pages are referenced for a quarantine (a device that
 *	did not stop), put when @map is unmapped
 * @live: @map.sgt is a view of @mirror's live mapping (mirror.c): never
 *	dma_unmap_sgtable()d
 * @mirror_mapped: entries of @mirror this call mapped (reported back)
 */
struct gupdemo_dma_side {
	enum gupdemo_dma_kind kind;
	struct gupdemo_pinned *pin;
	struct gupdemo_pinned short_term;
	struct gupdemo_mirrored *mirror;
	struct gupdemo_dma_map map;
	struct gupdemo_dma_map *kept;
	struct gupdemo_xfer_buf xbuf;
	u32 path;
	enum dma_data_direction dir;
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
 * @mode: how the sides given by address or handle are mapped
 * @keep: a handle side without a held mapping gets one (KEEP_MAPPED)
 * @wrote: the device (or the CPU copy) may have written the destination
 */
struct gupdemo_dma_call {
	struct gupdemo_quarantined quarantined;
	struct gupdemo_engine *eng;
	struct gupdemo_dma_side side[GUPDEMO_SIDES];
	size_t len;
	enum gupdemo_map_mode mode;
	bool keep;
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

/* dma.c: one buffer's mapping, one IOVA range or an sg_table */
int gupdemo_dma_table_build(struct device *dev, struct sg_table *sgt,
			    const struct gupdemo_pinned *pin, size_t len);
int gupdemo_dma_check_reach(struct device *dev, struct sg_table *sgt);
int gupdemo_dma_prepare(struct device *dev, struct gupdemo_dma_map *m,
			const struct gupdemo_pinned *pin, size_t len,
			enum gupdemo_map_mode mode);
int gupdemo_dma_map(struct device *dev, struct gupdemo_dma_map *m,
		    const struct gupdemo_pinned *pin);
void gupdemo_dma_unmap(struct device *dev, struct gupdemo_dma_map *m);
void gupdemo_dma_unprepare(struct device *dev, struct gupdemo_dma_map *m);
u32 gupdemo_dma_path(struct gupdemo_dma_map *m);
void gupdemo_dma_xfer_buf(struct gupdemo_dma_map *m,
			  struct gupdemo_xfer_buf *b);
void gupdemo_dma_sync(struct device *dev, struct gupdemo_dma_map *m,
		      bool for_device);

/* dma_held.c: a handle's mapping kept across calls */
int gupdemo_dma_held_get(struct gupdemo_engine *eng,
			 struct gupdemo_pinned *pin, bool keep,
			 enum gupdemo_map_mode mode,
			 struct gupdemo_dma_map **mapp);
void gupdemo_dma_held_drop(struct gupdemo_pinned *pin);

/* dma_call.c: one call, both sides */
int gupdemo_dma_side_pin(struct gupdemo_dma_side *side, u64 addr,
			 size_t len);
void gupdemo_dma_side_put(struct gupdemo_dma_side *side, bool wrote);
int gupdemo_dma_run(struct gupdemo_dma_call *call, u32 op,
		    struct gupdemo_dma_times *t);

#endif /* _GUPDEMO_DMA_H */
