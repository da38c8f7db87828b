// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - the handle table: publish, get, put, take, release-all
 *
 * One table for every kind of object an open file holds, as iommufd keeps
 * one object table: pins and mirrors each have a handle space (an xarray of
 * the file), and share these rules.  Anyone who shares the file (threads,
 * a forked child, SCM_RIGHTS) can guess the next handle, so an object is
 * published only after everything its ioctl reports has been read.  A call
 * that uses an object holds it by reference, taken under the file's lock,
 * never by holding that lock across its work; UNPIN and UNMIRROR take the
 * object out of the table only while the table's is the only reference.
 *
 * Handle h lives at index h - 1: handle 0 stays invalid, and the first
 * handle sits in the xarray's head.  A file that holds one object at a
 * time (PIN, DMA, UNPIN, again) then allocates no xarray node, and UNPIN
 * frees none: a node is freed after an RCU grace period, work that runs
 * on another CPU while the next PIN and UNPIN are timed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/sched.h>

#include "gupdemo_private.h"
#include "handles.h"

/**
 * gupdemo_handle_publish() - give an object a handle in one of @f's tables
 * @f: the open file
 * @table: @f->pins or @f->mirrors
 * @obj: initialised, its creator's reference becomes the table's
 * @handle: (out) the handle, never 0
 *
 * From here on another thread sharing the file can find the object, use
 * it and take it out again: the caller must not touch it after success.
 *
 * Return: 0, or -EINTR, -ENOMEM, -EBUSY (no free handle).
 */
int gupdemo_handle_publish(struct gupdemo_file *f, struct xarray *table,
			   struct gupdemo_object *obj, u32 *handle)
{
	u32 index;
	int ret;

	ret = mutex_lock_killable(&f->lock);
	if (ret)
		return ret;
	ret = xa_alloc(table, &index, obj, XA_LIMIT(0, INT_MAX - 1),
		       GFP_KERNEL_ACCOUNT);
	mutex_unlock(&f->lock);
	if (!ret)
		*handle = index + 1;
	return ret;
}

/**
 * gupdemo_handle_get() - look up a handle and hold its object
 * @f: the open file
 * @table: @f->pins or @f->mirrors
 * @handle: from the ioctl that published it
 *
 * While a call holds an object, UNPIN or UNMIRROR refuse it with -EBUSY,
 * and close() leaves its end to the last gupdemo_object_put().
 *
 * Context: f->lock held.
 * Return: the object, to be given back with gupdemo_object_put(), or NULL.
 */
struct gupdemo_object *gupdemo_handle_get(struct gupdemo_file *f,
					  struct xarray *table, u32 handle)
{
	struct gupdemo_object *obj;

	lockdep_assert_held(&f->lock);
	if (!handle)
		return NULL;
	obj = xa_load(table, handle - 1);
	if (obj)
		refcount_inc(&obj->ref);
	return obj;
}

/**
 * gupdemo_object_put() - give back a reference; the last one destroys
 * @obj: the object
 *
 * Context: process context; sleeps when it destroys.
 */
void gupdemo_object_put(struct gupdemo_object *obj)
{
	if (refcount_dec_and_test(&obj->ref))
		obj->destroy(obj);
}

/**
 * gupdemo_handle_take() - take an object out of its table, to end it
 * @f: the open file
 * @table: @f->pins or @f->mirrors
 * @handle: its handle; 0 is never allocated
 * @may_take: if not NULL, may refuse with -errno before anything changes
 * @arg: for @may_take
 *
 * Return: the object, out of the table and with no reference left (the
 * caller ends it), or an ERR_PTR(): -ENOENT (no such handle), what
 * @may_take said, -EBUSY (a call is using it), -EINTR.
 */
struct gupdemo_object *
gupdemo_handle_take(struct gupdemo_file *f, struct xarray *table, u32 handle,
		    int (*may_take)(struct gupdemo_object *obj, const void *arg),
		    const void *arg)
{
	struct gupdemo_object *obj;
	int ret;

	if (!handle)
		return ERR_PTR(-ENOENT);
	ret = mutex_lock_killable(&f->lock);
	if (ret)
		return ERR_PTR(ret);
	obj = xa_load(table, handle - 1);
	if (!obj)
		ret = -ENOENT;
	else if (may_take)
		ret = may_take(obj, arg);
	if (!ret && !refcount_dec_if_one(&obj->ref))
		ret = -EBUSY;
	if (!ret)
		xa_erase(table, handle - 1);
	mutex_unlock(&f->lock);
	if (ret)
		return ERR_PTR(ret);
	/* Pairs with the release in a call's gupdemo_object_put(). */
	smp_acquire__after_ctrl_dep();
	return obj;
}

/**
 * gupdemo_handles_release() - drop every object of a closing file's table
 * @table: @f->pins or @f->mirrors; no ioctl runs on the file any more
 * @drop: if not NULL, called on each object first (the file's own
 *	accounting)
 * @arg: for @drop
 *
 * An object a call still holds (a device that would not stop keeps its
 * call) ends with that call's last put.
 */
void gupdemo_handles_release(struct xarray *table,
			     void (*drop)(struct gupdemo_object *obj,
					  void *arg),
			     void *arg)
{
	struct gupdemo_object *obj;
	unsigned long index;

	xa_for_each(table, index, obj) {
		if (drop)
			drop(obj, arg);
		gupdemo_object_put(obj);
		cond_resched();
	}
	xa_destroy(table);
}
