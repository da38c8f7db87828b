// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - PIN, UNPIN and QUERY: handles held by an open file
 *
 * A handle is a pin the open file holds until UNPIN or close().  Anyone
 * who shares the file (threads, a forked child, SCM_RIGHTS) can guess the
 * next handle, so a handle is published only after everything PIN reports
 * has been read, and it is refcounted: a DMA call holds it by reference,
 * never by holding the file's lock across a transfer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>

#include "gupdemo_private.h"

/*
 * The last reference to a handle is gone: release its pages, dirty when a
 * device wrote them (or as UNPIN's flags say); @put_ns as for
 * gupdemo_unpin_user_range().
 */
static void gupdemo_handle_free(struct gupdemo_pinned *pin, u64 *put_ns)
{
	unsigned long npages = pin->npages;
	bool dirty = pin->device_wrote;

	if (pin->release_flags & GUPDEMO_UNPIN_DIRTY)
		dirty = true;
	if (pin->release_flags & GUPDEMO_UNPIN_SKIP_DIRTY)
		dirty = false;
	gupdemo_unpin_user_range(pin, dirty, put_ns);
	kfree(pin);
	atomic64_dec(&gupdemo_stats.pins_held);
	atomic64_sub(npages, &gupdemo_stats.pages_held);
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
		gupdemo_handle_free(pin, NULL);
}

/**
 * gupdemo_file_release_handles() - drop every handle of a closing file
 * @f: the file; no ioctl runs on it any more
 *
 * A handle that a device which would not stop still holds (see dma.c) is
 * released when that device is disabled.
 */
void gupdemo_file_release_handles(struct gupdemo_file *f)
{
	struct gupdemo_pinned *pin;
	unsigned long index;

	xa_for_each(&f->pins, index, pin) {
		gupdemo_handle_put(pin);
		cond_resched();
	}
	xa_destroy(&f->pins);
}

/* Count the pin and publish it; p's outputs are filled in before. */
static int gupdemo_handle_publish(struct gupdemo_file *f,
				  struct gupdemo_pinned *pin,
				  struct gupdemo_pin *p)
{
	int ret;

	/*
	 * Answer and count before publishing: from xa_alloc() on, another
	 * thread sharing this file can UNPIN the handle and free the pin.
	 */
	p->npages = pin->npages;
	atomic64_inc(&gupdemo_stats.pins_held);
	atomic64_add(p->npages, &gupdemo_stats.pages_held);

	ret = mutex_lock_killable(&f->lock);
	if (!ret) {
		ret = xa_alloc(&f->pins, &p->handle, pin, xa_limit_31b,
			       GFP_KERNEL_ACCOUNT);
		mutex_unlock(&f->lock);
	}
	if (ret) {
		atomic64_dec(&gupdemo_stats.pins_held);
		atomic64_sub(p->npages, &gupdemo_stats.pages_held);
		return ret;
	}
	atomic64_inc(&gupdemo_stats.pins_total);
	atomic64_add(p->npages, &gupdemo_stats.pages_total);
	return 0;
}

/* GUPDEMO_IOC_PIN */
int gupdemo_ioctl_pin(struct gupdemo_file *f, void *arg)
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

	ret = gupdemo_pin_user_range(pin, p->batch, &p->get_ns);
	if (ret)
		goto err_free;
	if (pin->api == GUPDEMO_API_GET_FAST)
		pin->nfile = gupdemo_get_count_undirtiable(pin);
	ret = -ENOMEM;
	if (gupdemo_should_fail())
		goto err_unpin;
	ret = gupdemo_handle_publish(f, pin, p);
	if (ret)
		goto err_unpin;
	return 0;

err_unpin:
	gupdemo_unpin_user_range(pin, false, NULL);
err_free:
	kfree(pin);
	return ret;
}

/*
 * GUPDEMO_IOC_UNPIN: the caller must hold the only reference.  A handle a
 * DMA call is using (or a device that would not stop still holds) is
 * -EBUSY; DIRTY on a pin taken without WRITE is -EPERM: a reader must not
 * dirty page cache it cannot write, nor the zero page.  So is DIRTY on a
 * FOLL_GET handle that holds file pages: a reference does not keep them
 * from being cleaned and stripped by reclaim (see pin.c).
 */
int gupdemo_ioctl_unpin(struct gupdemo_file *f, void *arg)
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
		 (!(pin->flags & GUPDEMO_PIN_WRITE) || pin->nfile))
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
	gupdemo_handle_free(pin, &u->put_ns);
	return 0;
}

/* What a held pin looks like now, page by page. */
static void gupdemo_pin_query(const struct gupdemo_pinned *pin,
			      struct gupdemo_query *q)
{
	struct gupdemo_range_iter it;
	struct gupdemo_range r;
	struct folio *prev = NULL;
	unsigned long i;

	q->api = pin->api;
	q->pin_flags = pin->flags;
	q->addr = pin->addr;
	q->len = pin->len;
	q->npages = pin->npages;
	q->npinned = 0;
	q->nfolios = 0;
	q->nzero = 0;
	q->kmem_bytes = ksize(pin) + gupdemo_pfns_kmem(&pin->pfns);

	gupdemo_range_iter_init(&it, &pin->pfns, pin->npages);
	while (gupdemo_range_next(&it, &r)) {
		for (i = 0; i < r.npages; i++) {
			struct folio *folio = pfn_folio(r.pfn + i);

			if (is_zero_pfn(r.pfn + i))
				q->nzero++;
			else if (folio_maybe_dma_pinned(folio))
				q->npinned++;
			if (folio != prev)
				q->nfolios++;
			prev = folio;
		}
	}
}

/* GUPDEMO_IOC_QUERY */
int gupdemo_ioctl_query(struct gupdemo_file *f, void *arg)
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
