/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - DMA engines: the edu PCI device and the software engine
 *
 * An engine moves bytes between DMA-mapped sg_tables and its 4 KiB device
 * buffer.  dma.c does the pin -> map -> transfer -> unmap -> unpin sequence
 * and calls the engine only for the transfer.
 */
#ifndef _GUPDEMO_ENGINE_H
#define _GUPDEMO_ENGINE_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/wait.h>

struct device;
struct sg_table;

/* Both engines model edu's buffer: 4 KiB, at most 4095 bytes per command. */
#define GUPDEMO_DEV_BUF_SIZE	4096
#define GUPDEMO_DEV_CHUNK	(GUPDEMO_DEV_BUF_SIZE - 1)

/**
 * struct gupdemo_xfer - one transfer handed to an engine
 * @op: GUPDEMO_DMA_TO_DEVICE, _FROM_DEVICE or _LOOPBACK
 * @src: DMA-mapped (DMA_TO_DEVICE) source, or NULL for FROM_DEVICE
 * @src_offset: byte offset of the data in @src
 * @dst: DMA-mapped (DMA_FROM_DEVICE) destination, or NULL for TO_DEVICE
 * @dst_offset: byte offset of the data in @dst
 * @len: bytes to move
 *
 * The device side works in chunks of at most GUPDEMO_DEV_CHUNK bytes, each
 * at offset 0 of the device buffer.
 */
struct gupdemo_xfer {
	u32 op;
	struct sg_table *src;
	unsigned int src_offset;
	struct sg_table *dst;
	unsigned int dst_offset;
	size_t len;
};

struct gupdemo_engine;

/**
 * struct gupdemo_engine_ops - what an engine implements
 * @transfer: move @x->len bytes; returns when the engine no longer touches
 *	the memory (also on error, timeout or a fatal signal), 0 or -errno
 */
struct gupdemo_engine_ops {
	int (*transfer)(struct gupdemo_engine *eng,
			const struct gupdemo_xfer *x);
};

/**
 * struct gupdemo_engine - a registered engine
 * @id: GUPDEMO_ENGINE_EDU or GUPDEMO_ENGINE_SOFT
 * @name: for messages
 * @dev: the device the DMA API maps for
 * @ops: its operations
 * @users: transfers that looked the engine up and have not put it back
 * @users_wq: unregister waits here for @users to drop to 0
 * @removing: set by unregister; transfers stop at the next chunk
 */
struct gupdemo_engine {
	u32 id;
	const char *name;
	struct device *dev;
	const struct gupdemo_engine_ops *ops;
	atomic_t users;
	wait_queue_head_t users_wq;
	bool removing;
};

void gupdemo_engine_init(struct gupdemo_engine *eng, u32 id, const char *name,
			 struct device *dev,
			 const struct gupdemo_engine_ops *ops);
int gupdemo_engine_register(struct gupdemo_engine *eng);
void gupdemo_engine_unregister(struct gupdemo_engine *eng);
struct gupdemo_engine *gupdemo_engine_get(u32 id);
void gupdemo_engine_put(struct gupdemo_engine *eng);
bool gupdemo_engine_present(u32 id);

/* soft_engine.c */
int gupdemo_soft_init(void);
void gupdemo_soft_exit(void);

/* edu.c */
int gupdemo_edu_init(void);
void gupdemo_edu_exit(void);

#endif /* _GUPDEMO_ENGINE_H */
