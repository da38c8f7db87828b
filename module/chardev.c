// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - /dev/gupdemo: open/release, mmap and the ioctl dispatcher
 *
 * Every resource an ioctl creates is tied to the open file and torn down in
 * gupdemo_release(), so a process that dies with pins held leaks nothing.
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

#include "compat.h"
#include "engine.h"
#include "gupdemo.h"

/* The ABI is fixed: catch any layout change at build time. */
static_assert(sizeof(struct gupdemo_info) == 64);
static_assert(sizeof(struct gupdemo_pin) == 56);
static_assert(sizeof(struct gupdemo_unpin) == 24);
static_assert(sizeof(struct gupdemo_query) == 80);
static_assert(sizeof(struct gupdemo_bench) == 64);
static_assert(sizeof(struct gupdemo_dma) == 104);

static int gupdemo_open(struct inode *inode, struct file *filp)
{
	struct gupdemo_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	xa_init_flags(&f->pins, XA_FLAGS_ALLOC1);
	filp->private_data = f;
	return 0;
}

/*
 * The last reference to a handle is gone: release its pages, dirty when a
 * device wrote them (or as UNPIN's flags say).  Returns the time releasing
 * the pages took, for UNPIN's put_ns.
 */
static u64 gupdemo_handle_free(struct gupdemo_pinned *pin)
{
	unsigned long npages = pin->npages;
	bool dirty = pin->device_wrote;
	u64 put_ns;

	if (pin->release_flags & GUPDEMO_UNPIN_DIRTY)
		dirty = true;
	if (pin->release_flags & GUPDEMO_UNPIN_SKIP_DIRTY)
		dirty = false;
	put_ns = gupdemo_unpin_user_range(pin, dirty);
	kfree(pin);
	atomic64_dec(&gupdemo_stats.pins_held);
	atomic64_sub(npages, &gupdemo_stats.pages_held);
	return put_ns;
}

/**
 * gupdemo_handle_get() - look up a handle of an open file and hold it
 * @f: the file
 * @handle: from GUPDEMO_IOC_PIN
 *
 * While a DMA call holds a handle, UNPIN refuses it with -EBUSY, and close()
 * leaves its release to the last gupdemo_handle_put().
 *
 * Context: f->lock held.
 * Return: the pin, to be given back with gupdemo_handle_put(), or NULL.
 */
struct gupdemo_pinned *gupdemo_handle_get(struct gupdemo_file *f, u32 handle)
{
	struct gupdemo_pinned *pin;

	lockdep_assert_held(&f->lock);
	pin = xa_load(&f->pins, handle);
	if (pin)
		refcount_inc(&pin->ref);
	return pin;
}

/**
 * gupdemo_handle_put() - give back a handle taken with gupdemo_handle_get()
 * @pin: the handle's pin
 *
 * Context: process context; sleeps when it releases the pages.
 */
void gupdemo_handle_put(struct gupdemo_pinned *pin)
{
	if (refcount_dec_and_test(&pin->ref))
		gupdemo_handle_free(pin);
}

static int gupdemo_release(struct inode *inode, struct file *filp)
{
	struct gupdemo_file *f = filp->private_data;
	struct gupdemo_pinned *pin;
	unsigned long index;

	/*
	 * Last reference to the file: no ioctl runs, and no mapping is left.
	 * A handle that a device which would not stop still holds (see
	 * dma.c) is released when that device is disabled.
	 */
	xa_for_each(&f->pins, index, pin) {
		gupdemo_handle_put(pin);
		cond_resched();
	}
	xa_destroy(&f->pins);
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
static int gupdemo_mmap(struct file *filp, struct vm_area_struct *vma)
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

static int gupdemo_ioctl_get_info(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_info *info = arg;

	if (info->flags)
		return -EINVAL;

	info->uapi_version = GUPDEMO_UAPI_VERSION;
	info->kernel_version = GUPDEMO_BUILT_FOR;
	info->features = GUPDEMO_FEAT_PIN | GUPDEMO_FEAT_FAIL_INJECT |
			 GUPDEMO_FEAT_MMAP_PFNMAP | GUPDEMO_FEAT_DMA |
			 GUPDEMO_FEAT_BENCH;
	if (GUPDEMO_HAVE_PIN_FAST_ONLY)
		info->features |= GUPDEMO_FEAT_PIN_FAST_ONLY;
	if (GUPDEMO_HAVE_LONGTERM_UNLOCKED)
		info->features |= GUPDEMO_FEAT_LONGTERM_UNLOCKED;
	if (gupdemo_engine_present(GUPDEMO_ENGINE_SOFT))
		info->features |= GUPDEMO_FEAT_ENGINE_SOFT;
	if (gupdemo_engine_present(GUPDEMO_ENGINE_EDU))
		info->features |= GUPDEMO_FEAT_ENGINE_EDU;
	info->page_size = PAGE_SIZE;
	info->max_pin_pages = gupdemo_max_pin_pages;
	info->pins_held = atomic64_read(&gupdemo_stats.pins_held);
	info->pages_held = atomic64_read(&gupdemo_stats.pages_held);
	info->pins_total = atomic64_read(&gupdemo_stats.pins_total);
	info->failures_total = atomic64_read(&gupdemo_stats.failures_total);
	return 0;
}

static int gupdemo_ioctl_pin(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_pin *p = arg;
	struct gupdemo_pinned *pin;
	int ret;

	if (p->__reserved)
		return -EINVAL;
	ret = gupdemo_pin_validate(p->addr, p->len, p->api, p->flags);
	if (ret)
		return ret;

	if (gupdemo_should_fail())
		return -ENOMEM;
	pin = kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
	if (!pin)
		return -ENOMEM;
	pin->addr = p->addr;
	pin->len = p->len;
	pin->api = p->api;
	pin->flags = p->flags;
	refcount_set(&pin->ref, 1);

	ret = gupdemo_pin_user_range(pin, p->batch);
	if (ret)
		goto err_free;

	if (gupdemo_should_fail()) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	/*
	 * Answer and count before publishing: from xa_alloc() on, another
	 * thread sharing this file can UNPIN the handle and free the pin.
	 */
	p->npages = pin->npages;
	p->get_ns = pin->get_ns;
	atomic64_inc(&gupdemo_stats.pins_held);
	atomic64_add(p->npages, &gupdemo_stats.pages_held);

	ret = mutex_lock_killable(&f->lock);
	if (ret)
		goto err_uncount;
	ret = xa_alloc(&f->pins, &p->handle, pin, xa_limit_31b,
		       GFP_KERNEL_ACCOUNT);
	mutex_unlock(&f->lock);
	if (ret)
		goto err_uncount;

	atomic64_inc(&gupdemo_stats.pins_total);
	atomic64_add(p->npages, &gupdemo_stats.pages_total);
	return 0;

err_uncount:
	atomic64_dec(&gupdemo_stats.pins_held);
	atomic64_sub(p->npages, &gupdemo_stats.pages_held);
err_unpin:
	gupdemo_unpin_user_range(pin, false);
err_free:
	kfree(pin);
	return ret;
}

/*
 * UNPIN: the caller must hold the only reference.  A handle a DMA call is
 * using (or a device that would not stop still holds) is -EBUSY; DIRTY on
 * a pin taken without WRITE is -EPERM: a reader must not dirty page cache
 * it cannot write, nor the zero page.
 */
static int gupdemo_ioctl_unpin(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_unpin *u = arg;
	struct gupdemo_pinned *pin;
	int ret;

	if ((u->flags & ~GUPDEMO_UNPIN_ALL) || u->__reserved ||
	    ((u->flags & GUPDEMO_UNPIN_DIRTY) &&
	     (u->flags & GUPDEMO_UNPIN_SKIP_DIRTY)))
		return -EINVAL;
	/* Index 0 is never allocated; erasing it would make it allocatable. */
	if (!u->handle)
		return -ENOENT;

	ret = mutex_lock_killable(&f->lock);
	if (ret)
		return ret;
	pin = xa_load(&f->pins, u->handle);
	if (!pin)
		ret = -ENOENT;
	else if ((u->flags & GUPDEMO_UNPIN_DIRTY) &&
		 !(pin->flags & GUPDEMO_PIN_WRITE))
		ret = -EPERM;
	else if (!refcount_dec_if_one(&pin->ref))
		ret = -EBUSY;
	else
		xa_erase(&f->pins, u->handle);
	mutex_unlock(&f->lock);
	if (ret)
		return ret;

	/* Pairs with the release in a DMA call's gupdemo_handle_put(). */
	smp_acquire__after_ctrl_dep();
	pin->release_flags = u->flags;
	u->put_ns = gupdemo_handle_free(pin);
	return 0;
}

static int gupdemo_ioctl_query(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_query *q = arg;
	struct gupdemo_pinned *pin;
	int ret;

	if (q->flags || q->__reserved)
		return -EINVAL;

	ret = mutex_lock_killable(&f->lock);
	if (ret)
		return ret;
	pin = xa_load(&f->pins, q->handle);
	if (pin)
		gupdemo_pin_query(pin, q);
	mutex_unlock(&f->lock);
	return pin ? 0 : -ENOENT;
}

static int gupdemo_ioctl_dma_op(struct gupdemo_file *f, void *arg)
{
	return gupdemo_ioctl_dma(f, arg);
}

union gupdemo_ioctl_buffer {
	struct gupdemo_info info;
	struct gupdemo_pin pin;
	struct gupdemo_unpin unpin;
	struct gupdemo_query query;
	struct gupdemo_dma dma;
	struct gupdemo_bench bench;
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
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_DMA, gupdemo_ioctl_dma_op,
			 struct gupdemo_dma, unpin_ns),
	GUPDEMO_IOCTL_OP(GUPDEMO_IOC_BENCH, gupdemo_ioctl_bench,
			 struct gupdemo_bench, put_ns),
};

static long gupdemo_ioctl(struct file *filp, unsigned int cmd,
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
		if (cmd == GUPDEMO_IOC_PIN || cmd == GUPDEMO_IOC_DMA)
			atomic64_inc(&gupdemo_stats.failures_total);
		return ret;
	}
	if (copy_to_user(uarg, &buf, min_t(u32, op->size, usize)))
		return -EFAULT;
	return 0;
}

static const struct file_operations gupdemo_fops = {
	.owner = THIS_MODULE,
	.open = gupdemo_open,
	.release = gupdemo_release,
	.mmap = gupdemo_mmap,
	.unlocked_ioctl = gupdemo_ioctl,
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
