// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - the software engine
 *
 * Same interface as the edu driver, for machines without the device and
 * for transfers too large for edu's 100 ms per command.  It behaves like
 * hardware in the ways that matter to the caller: the tables are
 * DMA-mapped for its own (platform) device, the work runs asynchronously
 * on a workqueue, and the caller waits for a completion with a timeout and
 * must stop the engine before unmapping.
 *
 * A CPU cannot dereference bus addresses, so this engine copies through the
 * CPU entries of the sg_tables (memcpy_page() and friends); real hardware is
 * programmed from the DMA entries (see edu.c).  Writing through the CPU side
 * of a mapping the device owns is only correct if the bytes are then handed
 * to the device side: with swiotlb (swiotlb=force, SEV/TDX guests, RAM above
 * 4 GiB) the device side is a bounce buffer, which unmap copies back over
 * the pages.  So destinations are mapped DMA_BIDIRECTIONAL for this engine
 * (engine->cpu_writes) and synced for the device after it wrote them.  Its
 * loopback copies source to destination directly, as a memcpy engine would;
 * TO/FROM_DEVICE use a 4 KiB buffer like edu's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "engine.h"
#include "gupdemo_private.h"

/* Generous: a 1 GiB copy under TCG emulation takes seconds. */
#define GUPDEMO_SOFT_TIMEOUT	(120 * HZ)

/*
 * The longest transfer one call may ask for.  A call holds the engine (and,
 * on a mirror, the mirror's lock, which invalidations of the range wait
 * for) for the whole transfer: 256 MiB is well under a second of copying
 * on hardware, a few seconds under TCG emulation.  Longer buffers take
 * several calls.
 */
#define GUPDEMO_SOFT_MAX_LEN	SZ_256M

/**
 * struct gupdemo_soft - the software engine
 * @eng: registered engine
 * @pdev: the device the DMA API maps for
 * @lock: one transfer at a time, like a single-channel device
 * @wq: the engine's own workqueue: a transfer may run for seconds
 * @work: runs the transfer
 * @done: completed by @work when the transfer ends
 * @xfer: the transfer being run, under @lock
 * @status: its result, written by @work before @done
 * @abort: set by the waiter to stop @work at its next step
 * @buf: the device buffer
 */
struct gupdemo_soft {
	struct gupdemo_engine eng;
	struct platform_device *pdev;
	struct mutex lock; /* one transfer at a time */
	struct workqueue_struct *wq;
	struct work_struct work;
	struct completion done;
	struct gupdemo_xfer *xfer;
	int status;
	bool abort;
	u8 buf[GUPDEMO_DEV_BUF_SIZE];
};

static struct gupdemo_soft *gupdemo_soft;

/* Between two steps of a transfer: stop if asked to, or if told to fail. */
static int gupdemo_soft_step(struct gupdemo_soft *soft)
{
	if (READ_ONCE(soft->abort) || READ_ONCE(soft->eng.removing))
		return -ECANCELED;
	if (gupdemo_should_fail())
		return -ENOMEM;
	cond_resched();
	return 0;
}

/**
 * struct gupdemo_soft_cursor - position in the CPU entries of an sg_table
 * @sg: current entry, NULL past the end
 * @off: bytes of @sg already used
 */
struct gupdemo_soft_cursor {
	struct scatterlist *sg;
	unsigned int off;
};

/*
 * The page under the cursor, the offset in it, and how many bytes can be
 * copied before the page or the entry ends.  The CPU entries are the right
 * list here: sg_page() is never used on DMA entries.
 */
static size_t gupdemo_soft_cursor_page(const struct gupdemo_soft_cursor *c,
				       struct page **page, size_t *poff)
{
	size_t o = c->sg->offset + c->off;

	*page = gupdemo_nth_page(sg_page(c->sg), o >> PAGE_SHIFT);
	*poff = offset_in_page(o);
	return min_t(size_t, c->sg->length - c->off, PAGE_SIZE - *poff);
}

static void gupdemo_soft_cursor_advance(struct gupdemo_soft_cursor *c,
					size_t n)
{
	c->off += n;
	if (c->off == c->sg->length) {
		c->sg = sg_next(c->sg);
		c->off = 0;
	}
}

/* Copy @len bytes between the device buffer and an sg_table. */
static int gupdemo_soft_buf_xfer(struct gupdemo_soft *soft,
				 struct sg_table *sgt, size_t len, bool to_dev)
{
	struct gupdemo_soft_cursor c = { .sg = sgt->sgl };
	size_t done = 0;
	int ret;

	while (done < len) {
		/* Each chunk starts at offset 0 of the buffer, as on edu. */
		size_t chunk = min_t(size_t, len - done, GUPDEMO_DEV_CHUNK);
		size_t off = 0;

		ret = gupdemo_soft_step(soft);
		if (ret)
			return ret;
		while (off < chunk) {
			struct page *page;
			size_t poff, n;

			if (!c.sg)
				return -EINVAL;
			n = min(chunk - off,
				gupdemo_soft_cursor_page(&c, &page, &poff));
			if (to_dev)
				memcpy_from_page(soft->buf + off, page, poff, n);
			else
				memcpy_to_page(page, poff, soft->buf + off, n);
			gupdemo_soft_cursor_advance(&c, n);
			off += n;
		}
		done += chunk;
	}
	return 0;
}

/* Loopback: source pages straight to destination pages, page by page. */
static int gupdemo_soft_loopback(struct gupdemo_soft *soft,
				 const struct gupdemo_xfer *x)
{
	struct gupdemo_soft_cursor s = { .sg = x->src->sgt->sgl };
	struct gupdemo_soft_cursor d = { .sg = x->dst->sgt->sgl };
	size_t done = 0;
	int ret;

	while (done < x->len) {
		struct page *sp, *dp;
		size_t soff, doff, n;

		if (!s.sg || !d.sg)
			return -EINVAL;
		/* Once per source page: stop, fail or reschedule here. */
		if (!s.off || !offset_in_page(s.sg->offset + s.off)) {
			ret = gupdemo_soft_step(soft);
			if (ret)
				return ret;
		}
		n = min3(x->len - done, gupdemo_soft_cursor_page(&s, &sp, &soff),
			 gupdemo_soft_cursor_page(&d, &dp, &doff));
		memcpy_page(dp, doff, sp, soff, n);
		gupdemo_soft_cursor_advance(&s, n);
		gupdemo_soft_cursor_advance(&d, n);
		done += n;
	}
	return 0;
}

static void gupdemo_soft_work(struct work_struct *work)
{
	struct gupdemo_soft *soft = container_of(work, struct gupdemo_soft,
						 work);
	const struct gupdemo_xfer *x = soft->xfer;
	int ret;

	switch (x->op) {
	case GUPDEMO_DMA_TO_DEVICE:
		ret = gupdemo_soft_buf_xfer(soft, x->src->sgt, x->len, true);
		break;
	case GUPDEMO_DMA_FROM_DEVICE:
		ret = gupdemo_soft_buf_xfer(soft, x->dst->sgt, x->len, false);
		break;
	case GUPDEMO_DMA_LOOPBACK:
		ret = gupdemo_soft_loopback(soft, x);
		break;
	default:
		ret = -EINVAL;
	}
	soft->status = ret;
	complete(&soft->done);
}

static int gupdemo_soft_transfer(struct gupdemo_engine *eng,
				 struct gupdemo_xfer *x)
{
	struct gupdemo_soft *soft = container_of(eng, struct gupdemo_soft, eng);
	long left;
	int ret;

	/*
	 * The CPU copies through the pages, so it needs the sg_table shape.
	 * It always gets it: its platform device has no IOMMU DMA domain, so
	 * dma_iova_try_alloc() says no for it (the IOVA shape is a device's
	 * view, one bus range, of which the CPU can make nothing).
	 */
	if ((x->src && !x->src->sgt) || (x->dst && !x->dst->sgt))
		return -EINVAL;
	ret = mutex_lock_killable(&soft->lock);
	if (ret)
		return ret;

	soft->xfer = x;
	soft->abort = false;
	reinit_completion(&soft->done);
	/*
	 * On this CPU, which the caller is about to leave idle: waking a
	 * worker elsewhere costs milliseconds under emulation.
	 */
	queue_work(soft->wq, &soft->work);

	left = wait_for_completion_killable_timeout(&soft->done,
						    GUPDEMO_SOFT_TIMEOUT);
	if (left <= 0) {
		/* Stop the engine before the caller unmaps and unpins. */
		WRITE_ONCE(soft->abort, true);
		wait_for_completion(&soft->done);
		ret = left ? -EINTR : -ETIMEDOUT;
	} else {
		ret = soft->status;
	}
	/* What the engine wrote through the pages, to the device side. */
	if (x->dst)
		dma_sync_sgtable_for_device(eng->dev, x->dst->sgt,
					    DMA_BIDIRECTIONAL);
	/* An abort on unregister reads as the device having gone away. */
	if (ret == -ECANCELED)
		ret = -ENODEV;
	mutex_unlock(&soft->lock);
	return ret;
}

static const struct gupdemo_engine_ops gupdemo_soft_ops = {
	.transfer = gupdemo_soft_transfer,
};

int gupdemo_soft_init(void)
{
	struct gupdemo_soft *soft;
	int ret;

	soft = kzalloc(sizeof(*soft), GFP_KERNEL);
	if (!soft)
		return -ENOMEM;
	mutex_init(&soft->lock);
	INIT_WORK(&soft->work, gupdemo_soft_work);
	init_completion(&soft->done);
	/*
	 * A rescuer thread: a DMA on a mirror waits for this work with the
	 * mirror's lock held, and reclaim (which creating a worker may enter)
	 * can need that lock to invalidate the range.
	 */
	soft->wq = alloc_workqueue("gupdemo-soft", GUPDEMO_WQ_PERCPU |
				   WQ_HIGHPRI | WQ_MEM_RECLAIM, 1);
	if (!soft->wq) {
		ret = -ENOMEM;
		goto err_free;
	}

	soft->pdev = platform_device_register_simple("gupdemo-soft",
						     PLATFORM_DEVID_NONE,
						     NULL, 0);
	if (IS_ERR(soft->pdev)) {
		ret = PTR_ERR(soft->pdev);
		goto err_destroy_wq;
	}
	/* The CPU reaches all memory: no bounce buffers, no limit. */
	ret = dma_coerce_mask_and_coherent(&soft->pdev->dev,
					   DMA_BIT_MASK(64));
	if (ret)
		goto err_unregister_pdev;

	gupdemo_engine_init(&soft->eng, GUPDEMO_ENGINE_SOFT, "soft",
			    &soft->pdev->dev, &gupdemo_soft_ops);
	soft->eng.cpu_writes = true;
	soft->eng.max_len = GUPDEMO_SOFT_MAX_LEN;
	ret = gupdemo_engine_register(&soft->eng);
	if (ret)
		goto err_unregister_pdev;

	gupdemo_soft = soft;
	return 0;

err_unregister_pdev:
	platform_device_unregister(soft->pdev);
err_destroy_wq:
	destroy_workqueue(soft->wq);
err_free:
	mutex_destroy(&soft->lock);
	kfree(soft);
	return ret;
}

void gupdemo_soft_exit(void)
{
	struct gupdemo_soft *soft = gupdemo_soft;

	gupdemo_engine_unregister(&soft->eng);
	gupdemo_dma_held_release_engine(&soft->eng);
	/* No transfer is left; the last work may still be returning. */
	destroy_workqueue(soft->wq);
	platform_device_unregister(soft->pdev);
	mutex_destroy(&soft->lock);
	kfree(soft);
	gupdemo_soft = NULL;
}
