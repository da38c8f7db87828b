// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - driver for QEMU's "edu" educational PCI device (1234:11e8)
 *
 * The device has one DMA channel between bus addresses and a 4 KiB buffer
 * inside the device, completes every command after 100 ms of virtual time
 * and raises an interrupt when asked to.  Its sharp edges, all handled
 * here:
 *  - QEMU 7.2 aborts on a 0-byte command or one that ends exactly at the
 *    end of the buffer (a 4096-byte one): every command moves 1..4095 bytes.
 *  - It masks DMA addresses to 28 bits by default, silently: the DMA mask
 *    must say so (edu_dma_bits, to match the device's dma_mask property).
 *  - Registers below 0x80 take 32-bit accesses only; the DMA registers
 *    take 64-bit ones.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/wait.h>

#include "engine.h"
#include "gupdemo_private.h"

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

#define EDU_BAR			0
#define EDU_REG_IDENT		0x00	/* 0xRRrr00ed: major, minor, 0xed */
#define EDU_REG_LIVENESS	0x04	/* reads back the bitwise NOT */
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_IDENT_MAGIC		0xed
#define EDU_IDENT_MAGIC_MASK	0xff

#define EDU_DMA_CMD_RUN		BIT(0)	/* start; reads 1 while running */
#define EDU_DMA_CMD_FROM_DEV	BIT(1)	/* 0: RAM -> device, 1: device -> RAM */
#define EDU_DMA_CMD_IRQ		BIT(2)	/* raise EDU_IRQ_DMA when done */

#define EDU_IRQ_DMA		0x100

/* The DMA buffer's address on the device side. */
#define EDU_BUF_ADDR		0x40000

static unsigned int edu_dma_bits = 28;
module_param(edu_dma_bits, uint, 0444);
MODULE_PARM_DESC(edu_dma_bits,
		 "DMA address width of the edu device, 28..64 (default 28): raise it only with QEMU's dma_mask property");

/*
 * Bounded: a user waits this long (killably) for a command, and then as
 * long again (not killably) for a device that will not stop.
 */
#define EDU_TIMEOUT_MAX_MS	10000

static unsigned int edu_timeout_ms = 2000;

static int edu_timeout_ms_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, EDU_TIMEOUT_MAX_MS);
}

static const struct kernel_param_ops edu_timeout_ms_ops = {
	.set = edu_timeout_ms_set,
	.get = param_get_uint,
};
module_param_cb(edu_timeout_ms, &edu_timeout_ms_ops, &edu_timeout_ms, 0644);
MODULE_PARM_DESC(edu_timeout_ms,
		 "How long one edu DMA command may take, in ms (default 2000, 1..10000)");

/*
 * One DMA call on edu moves at most this much: 17 commands each way, 100 ms
 * each, so a call (and the locks it holds) ends within a few seconds.
 */
#define EDU_MAX_LEN		SZ_64K

/**
 * struct gupdemo_edu - one bound edu device
 * @eng: registered engine
 * @pdev: the PCI device
 * @regs: BAR0
 * @irq: Linux IRQ number of vector 0
 * @lock: one DMA command at a time: the device has one channel
 * @wq: the interrupt handler wakes the waiter here when a command finishes
 * @dead: a command could not be stopped; the device is not used again
 */
struct gupdemo_edu {
	struct gupdemo_engine eng;
	struct pci_dev *pdev;
	void __iomem *regs;
	int irq;
	struct mutex lock; /* one command at a time */
	wait_queue_head_t wq;
	bool dead;
};

static irqreturn_t gupdemo_edu_irq(int irq, void *data)
{
	struct gupdemo_edu *edu = data;
	u32 status = ioread32(edu->regs + EDU_REG_IRQ_STATUS);

	/* The INTx line may be shared. */
	if (!status)
		return IRQ_NONE;
	/* Acknowledge even with MSI: the status stays set until we do. */
	iowrite32(status, edu->regs + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		wake_up(&edu->wq);
	return IRQ_HANDLED;
}

/*
 * The waiter asks the device, not the interrupt, whether its command is
 * done: a late interrupt of a command that timed out cannot complete the
 * next one early.
 */
static bool gupdemo_edu_idle(struct gupdemo_edu *edu)
{
	return !(readq(edu->regs + EDU_REG_DMA_CMD) & EDU_DMA_CMD_RUN);
}

/*
 * After a timeout or a fatal signal the command may still be running and
 * writing memory we are about to unpin: wait until the device reports it
 * idle.  A device that stays busy is never used again.
 */
static int gupdemo_edu_quiesce(struct gupdemo_edu *edu)
{
	u64 cmd;
	int ret;

	ret = readq_poll_timeout(edu->regs + EDU_REG_DMA_CMD, cmd,
				 !(cmd & EDU_DMA_CMD_RUN), 1000,
				 (u64)edu_timeout_ms * USEC_PER_MSEC);
	if (ret)
		edu->dead = true;
	return ret;
}

/**
 * gupdemo_edu_command() - run one DMA command and wait for it
 * @edu: the device, @edu->lock held
 * @bus: bus address of the memory side
 * @buf_off: offset in the device buffer
 * @len: 1..GUPDEMO_DEV_CHUNK bytes, @buf_off + @len within the buffer
 * @from_dev: device -> memory if true
 *
 * Return: 0, -ETIMEDOUT, -EINTR (fatal signal), or -EIO if the device could
 * not be stopped; in every case the device no longer touches the memory,
 * unless -EIO: then the caller must keep the memory mapped and pinned.
 */
static int gupdemo_edu_command(struct gupdemo_edu *edu, dma_addr_t bus,
			       u32 buf_off, u32 len, bool from_dev)
{
	u64 cmd = EDU_DMA_CMD_RUN | EDU_DMA_CMD_IRQ;
	long ret;

	lockdep_assert_held(&edu->lock);
	if (WARN_ON_ONCE(!len || buf_off + len > GUPDEMO_DEV_CHUNK))
		return -EINVAL;

	if (from_dev) {
		cmd |= EDU_DMA_CMD_FROM_DEV;
		writeq(EDU_BUF_ADDR + buf_off, edu->regs + EDU_REG_DMA_SRC);
		writeq(bus, edu->regs + EDU_REG_DMA_DST);
	} else {
		writeq(bus, edu->regs + EDU_REG_DMA_SRC);
		writeq(EDU_BUF_ADDR + buf_off, edu->regs + EDU_REG_DMA_DST);
	}
	writeq(len, edu->regs + EDU_REG_DMA_COUNT);
	writeq(cmd, edu->regs + EDU_REG_DMA_CMD);

	ret = wait_event_killable_timeout(edu->wq, gupdemo_edu_idle(edu),
					  msecs_to_jiffies(edu_timeout_ms));
	if (ret > 0)
		return 0;
	if (gupdemo_edu_quiesce(edu))
		return -EIO;
	return ret ? -EINTR : -ETIMEDOUT;
}

/*
 * Move @len bytes between a mapped buffer and the device buffer at
 * @buf_off, one command per piece: the device is programmed from bus
 * addresses only, the DMA entries of an sg_table or the one IOVA range
 * (gupdemo_seg_next()).
 */
static int gupdemo_edu_move(struct gupdemo_edu *edu,
			    struct gupdemo_seg_cursor *c, u32 buf_off,
			    u32 len, bool from_dev)
{
	while (len) {
		dma_addr_t bus;
		size_t n;
		int ret;

		if (READ_ONCE(edu->eng.removing))
			return -ENODEV;
		if (gupdemo_should_fail())
			return -ENOMEM;
		n = gupdemo_seg_next(c, len, &bus);
		if (!n)
			return -EINVAL;
		ret = gupdemo_edu_command(edu, bus, buf_off, n, from_dev);
		if (ret)
			return ret;
		buf_off += n;
		len -= n;
	}
	return 0;
}

static int gupdemo_edu_transfer(struct gupdemo_engine *eng,
				struct gupdemo_xfer *x)
{
	struct gupdemo_edu *edu = container_of(eng, struct gupdemo_edu, eng);
	struct gupdemo_seg_cursor src, dst;
	size_t done = 0;
	int ret;

	ret = mutex_lock_killable(&edu->lock);
	if (ret)
		return ret;
	if (edu->dead) {
		ret = -EIO;
		goto out_unlock;
	}
	if (x->src)
		gupdemo_seg_cursor_init(&src, x->src);
	if (x->dst)
		gupdemo_seg_cursor_init(&dst, x->dst);

	/* Through the buffer in chunks, each at offset 0 of the buffer. */
	while (done < x->len) {
		u32 chunk = min_t(size_t, x->len - done, GUPDEMO_DEV_CHUNK);

		if (x->src) {
			ret = gupdemo_edu_move(edu, &src, 0, chunk, false);
			if (ret)
				break;
		}
		if (x->dst) {
			ret = gupdemo_edu_move(edu, &dst, 0, chunk, true);
			if (ret)
				break;
		}
		done += chunk;
	}
	/* A command that would not stop may still write or read the memory. */
	x->stuck = edu->dead && ret == -EIO;
out_unlock:
	mutex_unlock(&edu->lock);
	return ret;
}

static const struct gupdemo_engine_ops gupdemo_edu_ops = {
	.transfer = gupdemo_edu_transfer,
};

/* Map BAR0 and check that the device answers like an edu. */
static int gupdemo_edu_map(struct gupdemo_edu *edu)
{
	struct pci_dev *pdev = edu->pdev;
	struct device *dev = &pdev->dev;
	u32 ident;
	int ret;

	ret = pci_request_region(pdev, EDU_BAR, KBUILD_MODNAME);
	if (ret)
		return dev_err_probe(dev, ret, "cannot request BAR%d\n", EDU_BAR);
	edu->regs = pci_iomap(pdev, EDU_BAR, 0);
	if (!edu->regs) {
		ret = dev_err_probe(dev, -ENOMEM, "cannot map BAR%d\n", EDU_BAR);
		goto err_release_region;
	}
	ident = ioread32(edu->regs + EDU_REG_IDENT);
	iowrite32(0x5a5aa5a5, edu->regs + EDU_REG_LIVENESS);
	if ((ident & EDU_IDENT_MAGIC_MASK) != EDU_IDENT_MAGIC ||
	    ioread32(edu->regs + EDU_REG_LIVENESS) != ~0x5a5aa5a5U) {
		ret = dev_err_probe(dev, -ENODEV, "not an edu device (ident %#x)\n",
				    ident);
		goto err_unmap;
	}
	return 0;

err_unmap:
	pci_iounmap(pdev, edu->regs);
err_release_region:
	pci_release_region(pdev, EDU_BAR);
	return ret;
}

static void gupdemo_edu_unmap(struct gupdemo_edu *edu)
{
	pci_iounmap(edu->pdev, edu->regs);
	pci_release_region(edu->pdev, EDU_BAR);
}

/*
 * edu masks DMA addresses to 28 bits unless QEMU was told otherwise: an
 * address above the mask would be silently truncated.  No segment limit of
 * its own: every segment is split into commands of at most 4095 bytes.
 */
static int gupdemo_edu_dma_setup(struct gupdemo_edu *edu)
{
	struct device *dev = &edu->pdev->dev;
	int ret;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(edu_dma_bits));
	if (ret)
		return dev_err_probe(dev, ret, "no usable %u-bit DMA\n",
				     edu_dma_bits);
	dma_set_max_seg_size(dev, UINT_MAX);
	return 0;
}

/* edu has one MSI vector; INTx otherwise. */
static int gupdemo_edu_irq_get(struct gupdemo_edu *edu)
{
	struct pci_dev *pdev = edu->pdev;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (ret < 0)
		return dev_err_probe(&pdev->dev, ret, "no interrupt vector\n");
	edu->irq = pci_irq_vector(pdev, 0);
	ret = request_irq(edu->irq, gupdemo_edu_irq, IRQF_SHARED,
			  KBUILD_MODNAME, edu);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return dev_err_probe(&pdev->dev, ret, "cannot request IRQ %d\n",
				     edu->irq);
	}
	return 0;
}

static void gupdemo_edu_irq_put(struct gupdemo_edu *edu)
{
	free_irq(edu->irq, edu);
	pci_free_irq_vectors(edu->pdev);
}

static int gupdemo_edu_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct gupdemo_edu *edu;
	int ret;

	if (edu_dma_bits < 28 || edu_dma_bits > 64)
		return dev_err_probe(dev, -EINVAL, "edu_dma_bits %u not in 28..64\n",
				     edu_dma_bits);
	edu = kzalloc(sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->lock);
	init_waitqueue_head(&edu->wq);

	ret = pci_enable_device(pdev);
	if (ret) {
		dev_err_probe(dev, ret, "cannot enable device\n");
		goto err_free;
	}
	ret = gupdemo_edu_map(edu);
	if (ret)
		goto err_disable;
	ret = gupdemo_edu_dma_setup(edu);
	if (ret)
		goto err_unmap;
	pci_set_master(pdev);
	ret = gupdemo_edu_irq_get(edu);
	if (ret)
		goto err_clear_master;

	gupdemo_engine_init(&edu->eng, GUPDEMO_ENGINE_EDU, "edu", dev,
			    &gupdemo_edu_ops);
	edu->eng.max_len = EDU_MAX_LEN;
	ret = gupdemo_engine_register(&edu->eng);
	if (ret) {
		dev_err_probe(dev, ret, "gupdemo drives one edu device only\n");
		goto err_irq_put;
	}
	pci_set_drvdata(pdev, edu);
	dev_info(dev, "%u-bit DMA, IRQ %d (%s)\n", edu_dma_bits, edu->irq,
		 pdev->msi_enabled ? "MSI" : "INTx");
	return 0;

err_irq_put:
	gupdemo_edu_irq_put(edu);
err_clear_master:
	pci_clear_master(pdev);
err_unmap:
	gupdemo_edu_unmap(edu);
err_disable:
	pci_disable_device(pdev);
err_free:
	mutex_destroy(&edu->lock);
	kfree(edu);
	return ret;
}

/*
 * Safe with files open and DMA queued: the engine registry drains users.
 * Memory a stuck command still held is released once bus mastering is off.
 */
static void gupdemo_edu_remove(struct pci_dev *pdev)
{
	struct gupdemo_edu *edu = pci_get_drvdata(pdev);

	gupdemo_engine_unregister(&edu->eng);
	/* First: a stuck command's late completion can no longer signal. */
	pci_clear_master(pdev);
	gupdemo_edu_irq_put(edu);
	gupdemo_engine_release_quarantine(&edu->eng);
	/* Mappings handles keep for this device go while it is still here. */
	gupdemo_dma_held_release_engine(&edu->eng);
	gupdemo_edu_unmap(edu);
	pci_disable_device(pdev);
	mutex_destroy(&edu->lock);
	kfree(edu);
}

static const struct pci_device_id gupdemo_edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, gupdemo_edu_ids);

static struct pci_driver gupdemo_edu_driver = {
	.name = "gupdemo-edu",
	.id_table = gupdemo_edu_ids,
	.probe = gupdemo_edu_probe,
	.remove = gupdemo_edu_remove,
};

int gupdemo_edu_init(void)
{
	return pci_register_driver(&gupdemo_edu_driver);
}

void gupdemo_edu_exit(void)
{
	pci_unregister_driver(&gupdemo_edu_driver);
}
