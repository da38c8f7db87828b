// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - /dev/gupdemo: open/release, mmap and the ioctl dispatch table
 *
 * The handlers live by topic: GET_INFO in main.c, PIN/UNPIN/QUERY in
 * pin_ioctl.c, DMA in dma_ioctl.c, BENCH in bench.c, MIRROR/UNMIRROR/
 * MIRROR_QUERY in mirror_ioctl.c.  Every object an ioctl creates is held
 * in the open file's handle table (handles.c) and let go of in
 * gupdemo_fop_release(), so a process that dies with pins or mirrors held
 * leaks nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "gupdemo_private.h"

/* The ABI is fixed: catch any layout change at build time. */
static_assert(sizeof(struct gupdemo_info) == 88);
static_assert(sizeof(struct gupdemo_pin) == 56);
static_assert(sizeof(struct gupdemo_unpin) == 24);
static_assert(sizeof(struct gupdemo_query) == 80);
static_assert(sizeof(struct gupdemo_bench) == 64);
static_assert(sizeof(struct gupdemo_dma) == 120);
static_assert(sizeof(struct gupdemo_mirror) == 40);
static_assert(sizeof(struct gupdemo_unmirror) == 24);
static_assert(sizeof(struct gupdemo_mirror_query) == 168);

static int gupdemo_fop_open(struct inode *inode, struct file *filp)
{
	struct gupdemo_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	/* Handles start at 1 (handles.c: handle h at index h - 1). */
	xa_init_flags(&f->pins, XA_FLAGS_ALLOC);
	xa_init_flags(&f->mirrors, XA_FLAGS_ALLOC);
	filp->private_data = f;
	return 0;
}

static int gupdemo_fop_release(struct inode *inode, struct file *filp)
{
	struct gupdemo_file *f = filp->private_data;

	/* Last reference to the file: no ioctl runs, and no mapping is left. */
	gupdemo_file_release_handles(f);
	gupdemo_file_release_mirrors(f);
	if (f->mmap_page)
		__free_page(f->mmap_page);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

/*
 * A one-page VM_PFNMAP | VM_IO mapping: a "special" mapping without struct
 * page semantics, which GUP must refuse.  In 2022 FOLL_PIN on such a range
 * could leave garbage in the pages array; the tests pin this mapping to
 * guard against that class of bug.
 */
static int gupdemo_fop_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct gupdemo_file *f = filp->private_data;
	struct page *page;

	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	/* A private writable PFN mapping would need COW of a PFN. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	/*
	 * mmap_lock is held here and GUP takes it under f->lock: taking
	 * f->lock here would invert that order.  Install the page locklessly.
	 */
	page = READ_ONCE(f->mmap_page);
	if (!page) {
		struct page *new = alloc_page(GFP_KERNEL | __GFP_ZERO);

		if (!new)
			return -ENOMEM;
		page = cmpxchg(&f->mmap_page, NULL, new);
		if (page)
			__free_page(new);
		else
			page = new;
	}

	/* Sets VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP. */
	return remap_pfn_range(vma, vma->vm_start, page_to_pfn(page),
			       PAGE_SIZE, vma->vm_page_prot);
}

union gupdemo_ioctl_buffer {
	struct gupdemo_info info;
	struct gupdemo_pin pin;
	struct gupdemo_unpin unpin;
	struct gupdemo_query query;
	struct gupdemo_dma dma;
	struct gupdemo_bench bench;
	struct gupdemo_mirror mirror;
	struct gupdemo_unmirror unmirror;
	struct gupdemo_mirror_query mirror_query;
};

/**
 * struct gupdemo_ioctl_op - one ioctl command
 * @size: size of the struct the module knows
 * @min_size: size of the first version of the struct; anything shorter is
 *	refused with -EINVAL
 * @execute: the handler; gets a kernel copy and never re-reads user memory
 */
struct gupdemo_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct gupdemo_file *f, void *arg);
};

#define GUPDEMO_IOCTL_OP(_ioctl, _fn, _struct, _last)                         \
	[_IOC_NR(_ioctl)] = {                                                 \
		.size = sizeof(_struct) +                                     \
			BUILD_BUG_ON_ZERO(sizeof(union gupdemo_ioctl_buffer) <\
					  sizeof(_struct)),                   \
		.min_size = offsetofend(_struct, _last),                      \
		.execute = _fn,                                               \
	}

static const struct gupdemo_ioctl_op gupdemo_ioctl_ops[] = {
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_GET_INFO, gupdemo_ioctl_get_info,
			 struct gupdemo_info, failures_total),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_PIN, gupdemo_ioctl_pin,
			 struct gupdemo_pin, get_ns),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_UNPIN, gupdemo_ioctl_unpin,
			 struct gupdemo_unpin, put_ns),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_QUERY, gupdemo_ioctl_query,
			 struct gupdemo_query, nzero),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_DMA, gupdemo_ioctl_dma,
			 struct gupdemo_dma, unpin_ns),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_BENCH, gupdemo_ioctl_bench,
			 struct gupdemo_bench, put_ns),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_MIRROR, gupdemo_ioctl_mirror,
			 struct gupdemo_mirror, npages),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_UNMIRROR, gupdemo_ioctl_unmirror,
			 struct gupdemo_unmirror, invalidations),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_MIRROR_QUERY, gupdemo_ioctl_mirror_query,
			 struct gupdemo_mirror_query, events),
};

static long gupdemo_fop_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	struct gupdemo_file *f = filp->private_data;
	void __user *uarg = (void __user *)arg;
	const struct gupdemo_ioctl_op *op;
	union gupdemo_ioctl_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int ret;

	/* All commands are _IO(GUPDEMO_IOCTL_TYPE, nr): the size is inside. */
	if (cmd != _IO(GUPDEMO_IOCTL_TYPE, nr) ||
	    nr >= ARRAY_SIZE(gupdemo_ioctl_ops))
		return -ENOTTY;
	op = &gupdemo_ioctl_ops[array_index_nospec(nr,
						   ARRAY_SIZE(gupdemo_ioctl_ops))];
	if (!op->execute)
		return -ENOTTY;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	/* Like openat2(): a struct never grows past a page. */
	if (usize > PAGE_SIZE)
		return -E2BIG;
	/* Zero-extends an older, shorter struct; -E2BIG on a non-zero tail. */
	ret = copy_struct_from_user(&buf, op->size, uarg, usize);
	if (ret)
		return ret;

	ret = op->execute(f, &buf);
	if (ret) {
		if (cmd == GUPDEMO_IOC_PIN || cmd == GUPDEMO_IOC_DMA ||
		    cmd == GUPDEMO_IOC_MIRROR)
			atomic64_inc(&gupdemo_stats.failures_total);
		return ret;
	}
	if (copy_to_user(uarg, &buf, min_t(u32, op->size, usize)))
		return -EFAULT;
	return 0;
}

static const struct file_operations gupdemo_fops = {
	.owner = THIS_MODULE,
	.open = gupdemo_fop_open,
	.release = gupdemo_fop_release,
	.mmap = gupdemo_fop_mmap,
	.unlocked_ioctl = gupdemo_fop_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice gupdemo_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "gupdemo",
	.fops = &gupdemo_fops,
	.mode = 0600,
};

int gupdemo_chardev_register(void)
{
	return misc_register(&gupdemo_misc);
}

void gupdemo_chardev_unregister(void)
{
	misc_deregister(&gupdemo_misc);
}
