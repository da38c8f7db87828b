// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - PIN, UNPIN and QUERY: pins held by an open file
 *
 * A handle is a pin the open file holds until UNPIN or close(), in the
 * file's pin table (handles.c: published once everything PIN reports has
 * been read, refcounted, held by reference by a DMA call that uses it).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>

#include "dma.h"
#include "gupdemo_private.h"
#include "handles.h"

/*
 * The pin is over: release its pages, dirty when a device wrote them (or
 * as UNPIN's flags say); @put_ns as for gupdemo_unpin_user_range().
 */
static void gupdemo_handle_free(struct gupdemo_pinned *pin, u64 *put_ns)
{
	unsigned long npages = pin->npages;
	bool dirty = pin->device_wrote;

	if (pin->release_flags & GUPDEMO_UNPIN_DIRTY)
		dirty = true;
	if (pin->release_flags & GUPDEMO_UNPIN_SKIP_DIRTY)
		dirty = false;
	/* A mapping the handle kept goes before the pages do. */
	gupdemo_dma_held_drop(pin);
	gupdemo_unpin_user_range(pin, dirty, put_ns);
	kfree(pin);
	atomic64_dec(&gupdemo_stats.pins_held);
	atomic64_sub(npages, &gupdemo_stats.pages_held);
}

/* The last reference went (gupdemo_object_put()). */
static void gupdemo_pin_destroy(struct gupdemo_object *obj)
{
	gupdemo_handle_free(container_of(obj, struct gupdemo_pinned, obj),
			    NULL);
}

/**
 * gupdemo_pin_get() - look up a pin handle of an open file and hold it
 * @f: the file
 * @handle: from GUPDEMO_IOC_PIN
 *
 * Context: f->lock held.
 * Return: the pin, to be given back with gupdemo_pin_put(), or NULL.
 */
struct gupdemo_pinned *gupdemo_pin_get(struct gupdemo_file *f, u32 handle)
{
	struct gupdemo_object *obj = gupdemo_handle_get(f, &f->pins, handle);

	return obj ? container_of(obj, struct gupdemo_pinned, obj) : NULL;
}

/**
 * gupdemo_pin_put() - give back a pin taken with gupdemo_pin_get()
 * @pin: the handle's pin
 *
 * Context: process context; sleeps when it releases the pages.
 */
void gupdemo_pin_put(struct gupdemo_pinned *pin)
{
	gupdemo_object_put(&pin->obj);
}

/**
 * gupdemo_file_release_handles() - drop every pin of a closing file
 * @f: the file; no ioctl runs on it any more
 *
 * A handle that a device which would not stop still holds (see dma_call.c) is
 * released when that device is disabled.
 */
void gupdemo_file_release_handles(struct gupdemo_file *f)
{
	gupdemo_handles_release(&f->pins, NULL, NULL);
}

/* Count the pin and publish it; p's outputs are filled in before. */
static int gupdemo_pin_publish(struct gupdemo_file *f,
			       struct gupdemo_pinned *pin,
			       struct gupdemo_pin *p)
{
	int ret;

	/*
	 * Answer and count before publishing: from then on another thread
	 * sharing this file can UNPIN the handle and free the pin.
	 */
	p->npages = pin->npages;
	atomic64_inc(&gupdemo_stats.pins_held);
	atomic64_add(p->npages, &gupdemo_stats.pages_held);
	ret = gupdemo_handle_publish(f, &f->pins, &pin->obj, &p->handle);
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
	gupdemo_object_init(&pin->obj, gupdemo_pin_destroy);

	ret = gupdemo_pin_user_range(pin, p->batch, &p->get_ns);
	if (ret)
		goto err_free;
	if (pin->api == GUPDEMO_API_GET_FAST)
		pin->nfile = gupdemo_get_count_undirtiable(pin);
	ret = -ENOMEM;
	if (gupdemo_should_fail())
		goto err_unpin;
	ret = gupdemo_pin_publish(f, pin, p);
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
 * DIRTY on a pin taken without WRITE is -EPERM: a reader must not dirty
 * page cache it cannot write, nor the zero page.  So is DIRTY on a
 * FOLL_GET handle that holds file pages: a reference does not keep them
 * from being cleaned and stripped by reclaim (see pin.c).
 */
static int gupdemo_unpin_allowed(struct gupdemo_object *obj, const void *arg)
{
	const struct gupdemo_pinned *pin =
		container_of(obj, struct gupdemo_pinned, obj);
	const struct gupdemo_unpin *u = arg;

	if ((u->flags & GUPDEMO_UNPIN_DIRTY) &&
	    (!(pin->flags & GUPDEMO_PIN_WRITE) || pin->nfile))
		return -EPERM;
	return 0;
}

/*
 * GUPDEMO_IOC_UNPIN: the table's must be the only reference.  A handle a
 * DMA call is using (or a device that would not stop still holds) is
 * -EBUSY.
 */
int gupdemo_ioctl_unpin(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_unpin *u = arg;
	struct gupdemo_object *obj;
	struct gupdemo_pinned *pin;

	if ((u->flags & ~GUPDEMO_UNPIN_ALL) || u->__reserved ||
	    ((u->flags & GUPDEMO_UNPIN_DIRTY) &&
	     (u->flags & GUPDEMO_UNPIN_SKIP_DIRTY)))
		return -EINVAL;
	obj = gupdemo_handle_take(f, &f->pins, u->handle,
				  gupdemo_unpin_allowed, u);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	pin = container_of(obj, struct gupdemo_pinned, obj);
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
	pin = gupdemo_pin_get(f, q->handle);
	mutex_unlock(&f->lock);
	if (!pin)
		return -ENOENT;
	gupdemo_pin_query(pin, q);
	gupdemo_pin_put(pin);
	return 0;
}
