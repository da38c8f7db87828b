// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - MIRROR, UNMIRROR and MIRROR_QUERY: mirrors held by an open file
 *
 * A mirror handle names a user range the device sees through
 * mmu_interval_notifier + hmm_range_fault() (mirror.c) instead of pins.
 * Mirrors live in their own handle space of the file's handle table
 * (handles.c), beside pins, under the same rules.
 *
 * Mirrors pin nothing, but their tables are kernel memory in proportion to
 * the range: every mirror is charged, before anything is allocated, to a
 * module-wide budget (max_mirror_pages, given back when the last reference
 * goes) and to its open file's (max_mirror_pages_file, given back when the
 * file lets go of it).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "gupdemo_private.h"
#include "handles.h"
#include "mirror.h"

/* The kernel's reason for an invalidation, as gupdemo's uapi numbers it. */
static unsigned int gupdemo_mirror_event(enum mmu_notifier_event event)
{
	switch (event) {
	case MMU_NOTIFY_UNMAP:
		return GUPDEMO_MIRROR_EV_UNMAP;
	case MMU_NOTIFY_CLEAR:
		return GUPDEMO_MIRROR_EV_CLEAR;
	case MMU_NOTIFY_PROTECTION_VMA:
		return GUPDEMO_MIRROR_EV_PROT_VMA;
	case MMU_NOTIFY_PROTECTION_PAGE:
		return GUPDEMO_MIRROR_EV_PROT_PAGE;
	case MMU_NOTIFY_SOFT_DIRTY:
		return GUPDEMO_MIRROR_EV_SOFT_DIRTY;
	case MMU_NOTIFY_RELEASE:
		return GUPDEMO_MIRROR_EV_RELEASE;
	case MMU_NOTIFY_MIGRATE:
		return GUPDEMO_MIRROR_EV_MIGRATE;
	default:
		return GUPDEMO_MIRROR_EV_OTHER;
	}
}

/**
 * gupdemo_mirror_count() - count one invalidation of a mirror, by cause
 * @m: the mirror
 * @event: what the kernel is doing to the range
 *
 * Context: m->lock held (the invalidate callback).
 */
void gupdemo_mirror_count(struct gupdemo_mirrored *m,
			  enum mmu_notifier_event event)
{
	lockdep_assert_held(&m->lock);
	m->invalidations++;
	m->events[gupdemo_mirror_event(event)]++;
	atomic64_inc(&gupdemo_stats.mirror_invalidations);
}

/* What a mirror is charged: its pages and its fixed cost (uapi). */
static unsigned long gupdemo_mirror_charged(const struct gupdemo_mirrored *m)
{
	return m->npages + GUPDEMO_MIRROR_FIXED_PAGES;
}

/*
 * Take @npages from the module's mirror budget and from @f's.
 * Return: 0, or -ENOSPC (either budget), -EINTR.
 */
static int gupdemo_mirror_charge(struct gupdemo_file *f, unsigned long npages)
{
	int ret;

	if (atomic64_add_return(npages, &gupdemo_stats.mirror_pages_held) >
	    READ_ONCE(gupdemo_max_mirror_pages)) {
		atomic64_sub(npages, &gupdemo_stats.mirror_pages_held);
		return -ENOSPC;
	}
	ret = mutex_lock_killable(&f->lock);
	if (!ret) {
		if (f->mirror_pages + npages >
		    READ_ONCE(gupdemo_max_mirror_pages_file))
			ret = -ENOSPC;
		else
			f->mirror_pages += npages;
		mutex_unlock(&f->lock);
	}
	if (ret)
		atomic64_sub(npages, &gupdemo_stats.mirror_pages_held);
	return ret;
}

/* Give @f's budget back; f->lock held, or the file is closing. */
static void gupdemo_mirror_uncharge_file(struct gupdemo_file *f,
					 unsigned long npages)
{
	f->mirror_pages -= npages;
}

/*
 * Unregister and free, and give the module's budget back; @invalidations
 * (may be NULL) gets the final count.
 */
static void gupdemo_mirror_free(struct gupdemo_mirrored *m, u64 *invalidations)
{
	unsigned long npages = gupdemo_mirror_charged(m);

	gupdemo_mirror_fini(m);
	/* No invalidation runs any more. */
	if (invalidations)
		*invalidations = m->invalidations;
	kfree(m);
	atomic64_dec(&gupdemo_stats.mirrors_held);
	atomic64_sub(npages, &gupdemo_stats.mirror_pages_held);
}

/* The last reference went (gupdemo_object_put()). */
static void gupdemo_mirror_destroy(struct gupdemo_object *obj)
{
	gupdemo_mirror_free(container_of(obj, struct gupdemo_mirrored, obj),
			    NULL);
}

/**
 * gupdemo_mirror_get() - look up a mirror handle of an open file and hold it
 * @f: the file
 * @handle: from GUPDEMO_IOC_MIRROR
 *
 * Context: f->lock held.
 * Return: the mirror, to be given back with gupdemo_mirror_put(), or NULL.
 */
struct gupdemo_mirrored *gupdemo_mirror_get(struct gupdemo_file *f, u32 handle)
{
	struct gupdemo_object *obj = gupdemo_handle_get(f, &f->mirrors, handle);

	return obj ? container_of(obj, struct gupdemo_mirrored, obj) : NULL;
}

/**
 * gupdemo_mirror_put() - give back a mirror taken with gupdemo_mirror_get()
 * @m: the mirror
 *
 * Context: process context; the last put unregisters the notifier.
 */
void gupdemo_mirror_put(struct gupdemo_mirrored *m)
{
	gupdemo_object_put(&m->obj);
}

/* A closing file lets go of a mirror: its budget first. */
static void gupdemo_mirror_drop(struct gupdemo_object *obj, void *arg)
{
	struct gupdemo_mirrored *m = container_of(obj, struct gupdemo_mirrored,
						obj);

	gupdemo_mirror_uncharge_file(arg, gupdemo_mirror_charged(m));
}

/**
 * gupdemo_file_release_mirrors() - drop every mirror of a closing file
 * @f: the file; no ioctl runs on it any more
 */
void gupdemo_file_release_mirrors(struct gupdemo_file *f)
{
	gupdemo_handles_release(&f->mirrors, gupdemo_mirror_drop, f);
}

/* GUPDEMO_IOC_MIRROR */
int gupdemo_ioctl_mirror(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_mirror *a = arg;
	struct gupdemo_mirrored *m;
	unsigned long npages;
	int ret;

	if (a->__reserved || (a->flags & ~GUPDEMO_MIRROR_ALL))
		return -EINVAL;
	if (!IS_ENABLED(CONFIG_HMM_MIRROR))
		return -EOPNOTSUPP;
	ret = gupdemo_user_range_check(a->addr, a->len);
	if (ret)
		return ret;
	npages = gupdemo_pin_span(a->addr, a->len) + GUPDEMO_MIRROR_FIXED_PAGES;
	ret = gupdemo_mirror_charge(f, npages);
	if (ret)
		return ret;
	ret = -ENOMEM;
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (m)
		ret = gupdemo_mirror_init(m, a->addr, a->len, a->flags);
	if (!ret)
		gupdemo_object_init(&m->obj, gupdemo_mirror_destroy);
	if (ret) {
		kfree(m);
		atomic64_sub(npages, &gupdemo_stats.mirror_pages_held);
		goto err_uncharge_file;
	}
	/* Answer and count before publishing (handles.c). */
	a->npages = m->npages;
	atomic64_inc(&gupdemo_stats.mirrors_held);
	ret = gupdemo_handle_publish(f, &f->mirrors, &m->obj, &a->handle);
	if (ret) {
		gupdemo_mirror_free(m, NULL);
		goto err_uncharge_file;
	}
	atomic64_inc(&gupdemo_stats.mirrors_total);
	return 0;

err_uncharge_file:
	mutex_lock(&f->lock);
	gupdemo_mirror_uncharge_file(f, npages);
	mutex_unlock(&f->lock);
	return ret;
}

/* GUPDEMO_IOC_UNMIRROR: -EBUSY while a DMA call uses the mirror. */
int gupdemo_ioctl_unmirror(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_unmirror *u = arg;
	struct gupdemo_mirrored *m;
	struct gupdemo_object *obj;

	if (u->flags || u->__reserved)
		return -EINVAL;
	obj = gupdemo_handle_take(f, &f->mirrors, u->handle, NULL, NULL);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	/* Ours alone now: no DMA call, no other ioctl can reach it. */
	m = container_of(obj, struct gupdemo_mirrored, obj);
	mutex_lock(&f->lock);
	gupdemo_mirror_uncharge_file(f, gupdemo_mirror_charged(m));
	mutex_unlock(&f->lock);
	gupdemo_mirror_free(m, &u->invalidations);
	return 0;
}

/* GUPDEMO_IOC_MIRROR_QUERY */
int gupdemo_ioctl_mirror_query(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_mirror_query *q = arg;
	struct gupdemo_mirrored *m;
	int ret;

	if (q->flags)
		return -EINVAL;
	ret = mutex_lock_killable(&f->lock);
	if (ret)
		return ret;
	m = gupdemo_mirror_get(f, q->handle);
	mutex_unlock(&f->lock);
	if (!m)
		return -ENOENT;
	ret = mutex_lock_killable(&m->lock);
	if (!ret) {
		q->mirror_flags = m->flags;
		q->addr = m->addr;
		q->len = m->len;
		q->npages = m->npages;
		q->nvalid = m->nvalid;
		q->faults = m->faults;
		q->refaults = m->refaults;
		q->retries = m->retries;
		q->invalidations = m->invalidations;
		memcpy(q->events, m->events, sizeof(q->events));
		gupdemo_mirror_live_query(m, q);
		mutex_unlock(&m->lock);
	}
	gupdemo_mirror_put(m);
	return ret;
}
