/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - DMA engines: the edu PCI device and the software engine
 *
 * An engine moves bytes between DMA-mapped sg_tables and its 4 KiB device
 * buffer.  dma_call.c does the map -> transfer -> unmap sequence of a call
 * and calls the engine only for the transfer, with the engine's lock held
 * (one call on a device at a time) and no longer than its max_len.
 */
#ifndef _GUPDEMO_ENGINE_H
#define _GUPDEMO_ENGINE_H

#include <linux/atomic.h>
#include <linux/dma-mapping.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct device;
struct scatterlist;
struct sg_table;

/* Both engines model edu's buffer: 4 KiB, at most 4095 bytes per command. */
#define GUPDEMO_DEV_BUF_SIZE	4096
#define GUPDEMO_DEV_CHUNK	(GUPDEMO_DEV_BUF_SIZE - 1)

/**
 * struct gupdemo_xfer_buf - one mapped buffer as an engine sees it
 * @sgt: the sg_table shape: the device is programmed from its DMA entries,
 *	a CPU engine copies through its CPU entries; NULL for the IOVA shape
 * @addr: the IOVA shape: the device sees the whole buffer as one range,
 *	bus addresses @addr to @addr + @len - 1 (dma_iova_link())
 * @len: the IOVA shape: bytes mapped
 *
 * A device walks either shape as a list of (bus address, length) pieces
 * with gupdemo_seg_next(); so it never looks at which shape it got.
 */
struct gupdemo_xfer_buf {
	struct sg_table *sgt;
	dma_addr_t addr;
	size_t len;
};

/**
 * struct gupdemo_seg_cursor - position in the bus addresses of a buffer
 * @buf: the buffer
 * @sg: the sg_table shape: the current DMA entry
 * @left: the sg_table shape: DMA entries from @sg on
 * @off: bytes of the current entry (or of the one IOVA range) used
 */
struct gupdemo_seg_cursor {
	const struct gupdemo_xfer_buf *buf;
	struct scatterlist *sg;
	unsigned int left;
	size_t off;
};

void gupdemo_seg_cursor_init(struct gupdemo_seg_cursor *c,
			     const struct gupdemo_xfer_buf *buf);
size_t gupdemo_seg_next(struct gupdemo_seg_cursor *c, size_t max,
			dma_addr_t *addr);

/**
 * struct gupdemo_xfer - one transfer handed to an engine
 * @op: GUPDEMO_DMA_TO_DEVICE, _FROM_DEVICE or _LOOPBACK
 * @src: DMA-mapped (DMA_TO_DEVICE) source, or NULL for FROM_DEVICE
 * @dst: DMA-mapped destination (DMA_FROM_DEVICE, or DMA_BIDIRECTIONAL for
 *	an engine with @cpu_writes), or NULL for TO_DEVICE
 * @len: bytes to move
 * @stuck: (out) the device could not be stopped and may still access the
 *	memory: the caller must keep it mapped and pinned (quarantine it)
 *	until the device is disabled
 *
 * The device side works in chunks of at most GUPDEMO_DEV_CHUNK bytes, each
 * at offset 0 of the device buffer.
 */
struct gupdemo_xfer {
	u32 op;
	const struct gupdemo_xfer_buf *src;
	const struct gupdemo_xfer_buf *dst;
	size_t len;
	bool stuck;
};

struct gupdemo_engine;

/**
 * struct gupdemo_engine_ops - what an engine implements
 * @transfer: called with the engine's @lock held by the DMA call;
 *	move @x->len bytes; returns when the engine no longer touches
 *	the memory (also on error, timeout or a fatal signal), 0 or -errno;
 *	or, when the device cannot be stopped, -EIO with @x->stuck set
 */
struct gupdemo_engine_ops {
	int (*transfer)(struct gupdemo_engine *eng, struct gupdemo_xfer *x);
};

/**
 * struct gupdemo_quarantined - memory a stuck device may still write
 * @node: on the engine's quarantine list
 * @release: unmaps and unpins it; called once the device is disabled
 */
struct gupdemo_quarantined {
	struct list_head node;
	void (*release)(struct gupdemo_quarantined *q);
};

/**
 * struct gupdemo_engine - a registered engine
 * @id: GUPDEMO_ENGINE_EDU or GUPDEMO_ENGINE_SOFT
 * @name: for messages
 * @dev: the device the DMA API maps for
 * @ops: its operations
 * @max_len: the longest transfer one DMA call may ask for, so that a call
 *	(and the locks it holds) ends in bounded time; every engine sets one
 * @lock: one DMA call on the engine at a time, held from before the call
 *	maps until it has unmapped.  A call takes it before a mirror's lock,
 *	so a mirror's lock (which invalidations of the range wait for) is
 *	never held while queueing behind other callers' transfers
 * @cpu_writes: the engine is the CPU: it writes destinations through
 *	their CPU (page) side, so they are mapped DMA_BIDIRECTIONAL and it
 *	syncs them for the device afterwards (else swiotlb would copy the
 *	stale bounce buffer over its bytes at unmap)
 * @users: transfers that looked the engine up and have not put it back
 * @removing: set by unregister; transfers stop at the next chunk
 * @quarantine_lock: protects @quarantine
 * @quarantine: struct gupdemo_quarantined of commands that did not stop
 * @held: held mappings made for @dev (dma_held.c, under its lock); torn
 *	down by gupdemo_dma_held_release_engine() before @dev goes
 */
struct gupdemo_engine {
	u32 id;
	const char *name;
	struct device *dev;
	const struct gupdemo_engine_ops *ops;
	size_t max_len;
	struct mutex lock; /* one DMA call at a time, see above */
	bool cpu_writes;
	atomic_t users;
	bool removing;
	spinlock_t quarantine_lock; /* protects quarantine */
	struct list_head quarantine;
	struct list_head held;
};

void gupdemo_engine_init(struct gupdemo_engine *eng, u32 id, const char *name,
			 struct device *dev,
			 const struct gupdemo_engine_ops *ops);
int gupdemo_engine_register(struct gupdemo_engine *eng);
void gupdemo_engine_unregister(struct gupdemo_engine *eng);
struct gupdemo_engine *gupdemo_engine_get(u32 id);
void gupdemo_engine_put(struct gupdemo_engine *eng);
bool gupdemo_engine_present(u32 id);
void gupdemo_engine_quarantine(struct gupdemo_engine *eng,
			       struct gupdemo_quarantined *q);
void gupdemo_engine_release_quarantine(struct gupdemo_engine *eng);

/* dma_held.c: before the engine's device goes, its held mappings go */
void gupdemo_dma_held_release_engine(struct gupdemo_engine *eng);

/* soft_engine.c */
int gupdemo_soft_init(void);
void gupdemo_soft_exit(void);

/* edu.c */
int gupdemo_edu_init(void);
void gupdemo_edu_exit(void);

#endif /* _GUPDEMO_ENGINE_H */
