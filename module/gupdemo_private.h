/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - private declarations shared by the module's files
 */
#ifndef _GUPDEMO_PRIVATE_H
#define _GUPDEMO_PRIVATE_H

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <uapi/linux/gupdemo.h>

#include "handles.h"
#include "pinned.h"

struct gupdemo_dma_held;
struct mm_struct;
struct page;

/* Module parameters (main.c) */
extern unsigned int gupdemo_max_pin_pages;
extern unsigned int gupdemo_pin_batch;
extern unsigned int gupdemo_max_held_pages;
extern unsigned int gupdemo_max_mirror_pages;
extern unsigned int gupdemo_max_mirror_pages_file;

/**
 * struct gupdemo_pinned - one pinned (or, for FOLL_GET, referenced) range
 * @pfns: the pages, in address order (module/pinned.c)
 * @npages: pages held
 * @offset: offset of @addr in the first page
 * @addr: user address the caller asked for
 * @len: length the caller asked for
 * @api: GUPDEMO_API_* used
 * @flags: GUPDEMO_PIN_* used
 * @charged_mm: the mm whose pinned_vm was charged (LONGTERM only), grabbed
 * @obj: a held handle only: its references (handles.h); the last
 *	gupdemo_pin_put() releases the pages
 * @device_wrote: a DMA wrote into these pages; release unpins them dirty
 * @nfile: FOLL_GET (GUPDEMO_API_GET_FAST) only: pages among them that a
 *	reference does not let the module dirty (gupdemo_get_dirtiable())
 * @release_flags: GUPDEMO_UNPIN_* given by UNPIN, read by the last put
 * @held: a held handle only: the mapping it keeps for a device
 *	(GUPDEMO_DMA_KEEP_MAPPED), or NULL; dma_held.c's, under its lock
 */
struct gupdemo_pinned {
	struct gupdemo_pfns pfns;
	unsigned long npages;
	unsigned int offset;
	u64 addr;
	u64 len;
	u32 api;
	u32 flags;
	struct mm_struct *charged_mm;
	struct gupdemo_object obj;
	bool device_wrote;
	u32 release_flags;
	unsigned long nfile;
	struct gupdemo_dma_held *held;
};

/**
 * struct gupdemo_file - state of one open file of /dev/gupdemo
 * @lock: protects @pins; a DMA call takes its handles' references under
 *	it.  Held only for table lookups and updates: never while GUP runs
 *	(so it never nests with mmap_lock) and never across a transfer
 * @pins: handle -> struct gupdemo_pinned
 * @mirrors: handle -> struct gupdemo_mirrored (its own handle space), under
 *	@lock as @pins
 * @mmap_page: the page mmap() maps as VM_PFNMAP, installed with cmpxchg()
 *	on first mmap
 * @mirror_pages: pages the mirrors in @mirrors span, under @lock: what
 *	max_mirror_pages_file limits
 */
struct gupdemo_file {
	struct mutex lock; /* protects pins and mirrors, see above */
	struct xarray pins;
	struct xarray mirrors;
	struct page *mmap_page;
	unsigned long mirror_pages;
};

/**
 * struct gupdemo_stats - module-wide counters, shown in debugfs and GET_INFO
 * @pins_held: handles held now, all files together (a handle a stuck
 *	device still holds counts until the device is disabled)
 * @pages_held: pages held by those handles
 * @pages_charged: pages held now by every pin of the module (handles,
 *	a DMA call's short-term pins, BENCH): what max_held_pages limits
 * @pages_quarantined: pages a device that would not stop may still write;
 *	kept pinned and mapped until the device is disabled
 * @pins_total: successful pins since load
 * @pages_total: pages pinned since load
 * @failures_total: failed PIN and DMA calls since load
 * @dma_total: successful DMA calls since load
 * @dma_bytes: bytes moved by those calls
 * @mirrors_held: mirrors held now, all files together
 * @mirror_pages_held: pages those mirrors span: what max_mirror_pages
 *	limits
 * @mirrors_total: mirrors made since load
 * @mirror_invalidations: invalidations of mirrored ranges since load
 * @mirror_refaults: DMA calls that faulted a mirror again since load
 * @mirror_live_maps: mirrors' live DMA mappings held now
 * @mirror_live_entries: entries mapped in those now
 * @mirror_live_mapped: entries mapped into live mappings since load
 * @mirror_live_unmapped: entries invalidations unmapped since load
 * @dma_maps_held: mappings pin handles keep for a device now
 *	(GUPDEMO_DMA_KEEP_MAPPED)
 */
struct gupdemo_stats {
	atomic64_t pins_held;
	atomic64_t pages_held;
	atomic64_t pages_charged;
	atomic64_t pages_quarantined;
	atomic64_t pins_total;
	atomic64_t pages_total;
	atomic64_t failures_total;
	atomic64_t dma_total;
	atomic64_t dma_bytes;
	atomic64_t mirrors_held;
	atomic64_t mirror_pages_held;
	atomic64_t mirrors_total;
	atomic64_t mirror_invalidations;
	atomic64_t mirror_refaults;
	atomic64_t mirror_live_maps;
	atomic64_t mirror_live_entries;
	atomic64_t mirror_live_mapped;
	atomic64_t mirror_live_unmapped;
	atomic64_t dma_maps_held;
};

extern struct gupdemo_stats gupdemo_stats;

/* pin.c */
unsigned long gupdemo_pin_span(u64 addr, u64 len);
unsigned int gupdemo_foll_flags(u32 flags);
int gupdemo_pin_validate(u64 addr, u64 len, u32 api, u32 flags);
int gupdemo_user_range_check(u64 addr, u64 len);
int gupdemo_pin_user_range(struct gupdemo_pinned *pin, u32 batch,
			   u64 *gup_ns);
void gupdemo_unpin_user_range(struct gupdemo_pinned *pin, bool dirty,
			      u64 *put_ns);
unsigned long gupdemo_get_count_undirtiable(const struct gupdemo_pinned *pin);
int gupdemo_budget_charge(unsigned long npages);
void gupdemo_budget_uncharge(unsigned long npages);

/* gup_api.c */
int gupdemo_gup_check(u32 api, u32 flags);
long gupdemo_gup_call(u32 api, unsigned long start, unsigned long nr_pages,
		      unsigned int gup_flags, struct page **pages);
void gupdemo_gup_release_pages(u32 api, struct page **pages,
			       unsigned long npages, bool dirty);
void gupdemo_gup_release_range(u32 api, struct page *page,
			       unsigned long npages, bool dirty);

/* main.c */
int gupdemo_ioctl_get_info(struct gupdemo_file *f, void *arg);

/* pin_ioctl.c */
struct gupdemo_pinned *gupdemo_pin_get(struct gupdemo_file *f, u32 handle);
void gupdemo_pin_put(struct gupdemo_pinned *pin);
void gupdemo_file_release_handles(struct gupdemo_file *f);
int gupdemo_ioctl_pin(struct gupdemo_file *f, void *arg);
int gupdemo_ioctl_unpin(struct gupdemo_file *f, void *arg);
int gupdemo_ioctl_query(struct gupdemo_file *f, void *arg);

/* mirror_ioctl.c */
struct gupdemo_mirrored;
struct gupdemo_mirrored *gupdemo_mirror_get(struct gupdemo_file *f, u32 handle);
void gupdemo_mirror_put(struct gupdemo_mirrored *m);
void gupdemo_file_release_mirrors(struct gupdemo_file *f);
int gupdemo_ioctl_mirror(struct gupdemo_file *f, void *arg);
int gupdemo_ioctl_unmirror(struct gupdemo_file *f, void *arg);
int gupdemo_ioctl_mirror_query(struct gupdemo_file *f, void *arg);

/* chardev.c */
int gupdemo_chardev_register(void);
void gupdemo_chardev_unregister(void);

/* bench.c */
int gupdemo_ioctl_bench(struct gupdemo_file *f, void *arg);

/* dma_ioctl.c */
int gupdemo_ioctl_dma(struct gupdemo_file *f, void *arg);

/*
 * gupdemo_stamp() - the ns since *@t, and *@t moves to now: each stage of
 * a call is timed by one stamp after it (the benchmark's stage table).
 */
static inline u64 gupdemo_stamp(u64 *t)
{
	u64 now = ktime_get_ns(), d = now - *t;

	*t = now;
	return d;
}

/* debugfs.c */
void gupdemo_debugfs_init(void);
void gupdemo_debugfs_exit(void);
bool gupdemo_should_fail(void);

#endif /* _GUPDEMO_PRIVATE_H */
