/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - the handle table: what an open file holds (pins, mirrors), one
 * handle space per kind, every object refcounted
 */
#ifndef _GUPDEMO_HANDLES_H
#define _GUPDEMO_HANDLES_H

#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct gupdemo_file;

/**
 * struct gupdemo_object - what a handle names
 * @ref: one reference for the open file's table, one for each call using
 *	the object (taken under the file's lock); the last put destroys it
 * @destroy: frees the object and what it holds; process context
 */
struct gupdemo_object {
	refcount_t ref;
	void (*destroy)(struct gupdemo_object *obj);
};

/**
 * gupdemo_object_init() - a new object, held once by its creator
 * @obj: embedded in the pin or the mirror
 * @destroy: called by the last gupdemo_object_put()
 */
static inline void gupdemo_object_init(struct gupdemo_object *obj,
				       void (*destroy)(struct gupdemo_object *))
{
	refcount_set(&obj->ref, 1);
	obj->destroy = destroy;
}

int gupdemo_handle_publish(struct gupdemo_file *f, struct xarray *table,
			   struct gupdemo_object *obj, u32 *handle);
struct gupdemo_object *gupdemo_handle_get(struct gupdemo_file *f,
					  struct xarray *table, u32 handle);
void gupdemo_object_put(struct gupdemo_object *obj);
struct gupdemo_object *
gupdemo_handle_take(struct gupdemo_file *f, struct xarray *table, u32 handle,
		    int (*may_take)(struct gupdemo_object *obj, const void *arg),
		    const void *arg);
void gupdemo_handles_release(struct xarray *table,
			     void (*drop)(struct gupdemo_object *obj,
					  void *arg),
			     void *arg);

#endif /* _GUPDEMO_HANDLES_H */
