// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - engine registry
 *
 * /dev/gupdemo lives at module level and outlives any PCI device: an open
 * file must survive an unbind of the edu device.  So DMA never holds a
 * pointer to an engine it did not look up here, and unregistering waits
 * until every transfer that looked the engine up has put it back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/wait_bit.h>

#include "engine.h"
#include "gupdemo_private.h"
#include "mirror.h"

static DEFINE_MUTEX(gupdemo_engines_lock);
/* Protected by gupdemo_engines_lock. */
static struct gupdemo_engine *gupdemo_engines[GUPDEMO_ENGINE_COUNT];

void gupdemo_engine_init(struct gupdemo_engine *eng, u32 id, const char *name,
			 struct device *dev,
			 const struct gupdemo_engine_ops *ops)
{
	eng->id = id;
	eng->name = name;
	eng->dev = dev;
	eng->ops = ops;
	eng->max_len = 0;
	mutex_init(&eng->lock);
	eng->cpu_writes = false;
	atomic_set(&eng->users, 0);
	eng->removing = false;
	spin_lock_init(&eng->quarantine_lock);
	INIT_LIST_HEAD(&eng->quarantine);
	INIT_LIST_HEAD(&eng->held);
}

/**
 * gupdemo_seg_cursor_init() - start walking a buffer's bus addresses
 * @c: the cursor
 * @buf: the buffer, mapped
 */
void gupdemo_seg_cursor_init(struct gupdemo_seg_cursor *c,
			     const struct gupdemo_xfer_buf *buf)
{
	c->buf = buf;
	c->sg = buf->sgt ? buf->sgt->sgl : NULL;
	c->left = buf->sgt ? buf->sgt->nents : 0;
	c->off = 0;
}

/**
 * gupdemo_seg_next() - the next piece of a buffer, in bus addresses
 * @c: the cursor
 * @max: the most bytes the caller takes
 * @addr: (out) the bus address of the piece
 *
 * On the sg_table shape the pieces come from the DMA entries
 * (sg_dma_address()/sg_dma_len()), never the CPU entries; on the IOVA
 * shape from the one contiguous range.
 *
 * Return: the bytes of the piece (at most @max), which the cursor moves
 * past; 0 at the end of the buffer.
 */
size_t gupdemo_seg_next(struct gupdemo_seg_cursor *c, size_t max,
			dma_addr_t *addr)
{
	size_t n;

	if (!c->buf->sgt) {
		n = min(max, c->buf->len - c->off);
		*addr = c->buf->addr + c->off;
		c->off += n;
		return n;
	}
	while (c->left && c->off == sg_dma_len(c->sg)) {
		c->sg = sg_next(c->sg);
		c->left--;
		c->off = 0;
	}
	if (!c->left)
		return 0;
	n = min_t(size_t, max, sg_dma_len(c->sg) - c->off);
	*addr = sg_dma_address(c->sg) + c->off;
	c->off += n;
	return n;
}

/**
 * gupdemo_engine_register() - make an engine available to DMA calls
 * @eng: initialised with gupdemo_engine_init()
 *
 * Return: 0, or -EBUSY when an engine of that kind is registered already
 * (gupdemo drives one edu device).
 */
int gupdemo_engine_register(struct gupdemo_engine *eng)
{
	int ret = 0;

	mutex_lock(&gupdemo_engines_lock);
	if (gupdemo_engines[eng->id])
		ret = -EBUSY;
	else
		gupdemo_engines[eng->id] = eng;
	mutex_unlock(&gupdemo_engines_lock);
	return ret;
}

/**
 * gupdemo_engine_unregister() - withdraw an engine and wait for its users
 * @eng: a registered engine
 *
 * New lookups fail at once; transfers in flight see @eng->removing, stop at
 * their next chunk and put the engine back.
 *
 * The wait is on the address of @eng->users, in the kernel's hashed wait
 * queues, not on a wait queue inside @eng: the last user's wake-up may come
 * after we saw @users drop to 0 and our caller freed @eng.
 *
 * Context: sleeps until the last user is gone.
 */
void gupdemo_engine_unregister(struct gupdemo_engine *eng)
{
	mutex_lock(&gupdemo_engines_lock);
	gupdemo_engines[eng->id] = NULL;
	WRITE_ONCE(eng->removing, true);
	mutex_unlock(&gupdemo_engines_lock);

	wait_var_event(&eng->users, !atomic_read(&eng->users));
	/* No call maps through it any more: mirrors let go of its device. */
	gupdemo_mirror_engine_gone(eng->dev);
}

/**
 * gupdemo_engine_get() - look up an engine and hold it
 * @id: GUPDEMO_ENGINE_EDU or GUPDEMO_ENGINE_SOFT
 *
 * Return: the engine, to be given back with gupdemo_engine_put(), or NULL.
 */
struct gupdemo_engine *gupdemo_engine_get(u32 id)
{
	struct gupdemo_engine *eng;

	mutex_lock(&gupdemo_engines_lock);
	eng = gupdemo_engines[id];
	if (eng)
		atomic_inc(&eng->users);
	mutex_unlock(&gupdemo_engines_lock);
	return eng;
}

/**
 * gupdemo_engine_put() - give back an engine taken with gupdemo_engine_get()
 * @eng: the engine
 *
 * After the decrement @eng may be freed already: wake_up_var() only hashes
 * the address, it does not touch @eng.
 */
void gupdemo_engine_put(struct gupdemo_engine *eng)
{
	if (atomic_dec_and_test(&eng->users))
		wake_up_var(&eng->users);
}

bool gupdemo_engine_present(u32 id)
{
	bool present;

	mutex_lock(&gupdemo_engines_lock);
	present = gupdemo_engines[id];
	mutex_unlock(&gupdemo_engines_lock);
	return present;
}

/**
 * gupdemo_engine_quarantine() - keep memory a stuck device may still write
 * @eng: the engine whose device did not stop
 * @q: what to release once the device is disabled
 *
 * Unmapping and unpinning would hand the frames (or the IOVAs, or the
 * swiotlb slots) to someone else while the device can still write them.
 */
void gupdemo_engine_quarantine(struct gupdemo_engine *eng,
			       struct gupdemo_quarantined *q)
{
	spin_lock(&eng->quarantine_lock);
	list_add_tail(&q->node, &eng->quarantine);
	spin_unlock(&eng->quarantine_lock);
}

/**
 * gupdemo_engine_release_quarantine() - release what stuck commands held
 * @eng: an unregistered engine
 *
 * Context: the device can no longer reach memory (bus mastering is off);
 * process context, sleeps.
 */
void gupdemo_engine_release_quarantine(struct gupdemo_engine *eng)
{
	struct gupdemo_quarantined *q, *tmp;
	LIST_HEAD(list);

	spin_lock(&eng->quarantine_lock);
	list_splice_init(&eng->quarantine, &list);
	spin_unlock(&eng->quarantine_lock);
	list_for_each_entry_safe(q, tmp, &list, node) {
		list_del(&q->node);
		q->release(q);
	}
}
