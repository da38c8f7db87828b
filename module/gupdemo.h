/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - private declarations shared by the module's files
 */
#ifndef _GUPDEMO_H
#define _GUPDEMO_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <uapi/linux/gupdemo.h>

struct mm_struct;
struct page;

/* Module parameters (main.c) */
extern unsigned int gupdemo_max_pin_pages;
extern unsigned int gupdemo_pin_batch;
extern unsigned int gupdemo_max_held_pages;

/**
 * struct gupdemo_pinned - one pinned (or, for FOLL_GET, referenced) range
 * @pages: the pages, in address order; @npages of them are held
 * @npages: pages held
 * @offset: offset of @addr in the first page
 * @addr: user address the caller asked for
 * @len: length the caller asked for
 * @api: GUPDEMO_API_* used
 * @flags: GUPDEMO_PIN_* used
 * @charged_mm: the mm whose pinned_vm was charged (LONGTERM only), grabbed
 * @device_wrote: a DMA wrote into these pages; release unpins them dirty
 * @get_ns: time the GUP calls took, for the benchmark
 *
 * The pages array is the whole per-page cost of a pin: 8 bytes a page.
 */
struct gupdemo_pinned {
	struct page **pages;
	unsigned long npages;
	unsigned int offset;
	u64 addr;
	u64 len;
	u32 api;
	u32 flags;
	struct mm_struct *charged_mm;
	bool device_wrote;
	u64 get_ns;
};

/**
 * struct gupdemo_file - state of one open file of /dev/gupdemo
 * @lock: protects @pins and keeps a handle alive while an ioctl uses it;
 *	never held while GUP runs, so it never nests with mmap_lock
 * @pins: handle -> struct gupdemo_pinned
 * @mmap_page: the page mmap() maps as VM_PFNMAP, installed with cmpxchg()
 *	on first mmap
 */
struct gupdemo_file {
	struct mutex lock; /* protects pins, see above */
	struct xarray pins;
	struct page *mmap_page;
};

/**
 * struct gupdemo_stats - module-wide counters, shown in debugfs and GET_INFO
 * @pins_held: handles held now, all files together
 * @pages_held: pages held by those handles
 * @pins_total: successful pins since load
 * @pages_total: pages pinned since load
 * @failures_total: failed PIN and DMA calls since load
 * @dma_total: successful DMA calls since load
 * @dma_bytes: bytes moved by those calls
 */
struct gupdemo_stats {
	atomic64_t pins_held;
	atomic64_t pages_held;
	atomic64_t pins_total;
	atomic64_t pages_total;
	atomic64_t failures_total;
	atomic64_t dma_total;
	atomic64_t dma_bytes;
};

extern struct gupdemo_stats gupdemo_stats;

/* pin.c */
unsigned long gupdemo_pin_span(u64 addr, u64 len);
unsigned int gupdemo_foll_flags(u32 flags);
long gupdemo_gup_call(u32 api, unsigned long start, unsigned long nr_pages,
		      unsigned int gup_flags, struct page **pages);
void gupdemo_release_pages(u32 api, struct page **pages, unsigned long npages,
			   bool dirty);
int gupdemo_pin_validate(u64 addr, u64 len, u32 api, u32 flags);
int gupdemo_pin_user_range(struct gupdemo_pinned *pin, u32 batch);
u64 gupdemo_unpin_user_range(struct gupdemo_pinned *pin, bool dirty);
void gupdemo_pin_query(const struct gupdemo_pinned *pin,
		       struct gupdemo_query *q);

/* chardev.c */
int gupdemo_chardev_register(void);
void gupdemo_chardev_unregister(void);
struct gupdemo_pinned *gupdemo_file_find_pin(struct gupdemo_file *f,
					     u32 handle);

/* bench.c */
int gupdemo_ioctl_bench(struct gupdemo_file *f, void *arg);

/* dma.c */
int gupdemo_ioctl_dma(struct gupdemo_file *f, struct gupdemo_dma *d);

/* debugfs.c */
void gupdemo_debugfs_init(void);
void gupdemo_debugfs_exit(void);
bool gupdemo_should_fail(void);

#endif /* _GUPDEMO_H */
