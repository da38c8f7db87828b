/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - private declarations shared by the module's files
 */
#ifndef _GUPDEMO_H
#define _GUPDEMO_H

#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
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
 * union gupdemo_entry - one entry of a held pin's record of its pages
 * @page: bit 0 clear: one page, as GUP returned it
 * @run: bit 0 set: a run of pages at consecutive frames, each pinned once,
 *	encoded by gupdemo_run_encode(): frame number in the top
 *	GUPDEMO_RUN_PFN_BITS bits, page count in bits 1 and up
 *
 * GUP fills an array of struct page pointers, and for 4K memory that array
 * is kept as it is: 8 bytes a page, released with the array API.  When a
 * batch starts in a large folio (THP, hugetlb), its pages are folded in
 * place into runs: a whole 2 MiB folio takes one entry instead of 512.
 * The union has the size of a pointer, so an array of it can be handed to
 * GUP as a struct page ** (see gupdemo_entry_pages()).
 */
union gupdemo_entry {
	struct page *page;
	unsigned long run;
};

#define GUPDEMO_RUN_PFN_BITS	44
#define GUPDEMO_RUN_PFN_SHIFT	(BITS_PER_LONG - GUPDEMO_RUN_PFN_BITS)
#define GUPDEMO_RUN_MAX_PAGES	((1UL << (GUPDEMO_RUN_PFN_SHIFT - 1)) - 1)

static inline bool gupdemo_entry_is_run(union gupdemo_entry e)
{
	return e.run & 1;
}

static inline unsigned long gupdemo_run_encode(unsigned long pfn,
					       unsigned long npages)
{
	return pfn << GUPDEMO_RUN_PFN_SHIFT | npages << 1 | 1;
}

/* The first frame and the number of pages of an entry of either kind. */
static inline unsigned long gupdemo_entry_pfn(union gupdemo_entry e)
{
	return gupdemo_entry_is_run(e) ? e.run >> GUPDEMO_RUN_PFN_SHIFT :
					 page_to_pfn(e.page);
}

static inline unsigned long gupdemo_entry_npages(union gupdemo_entry e)
{
	return gupdemo_entry_is_run(e) ?
	       (e.run >> 1) & GUPDEMO_RUN_MAX_PAGES : 1;
}

/* Entries from @e on, as the page array GUP writes and the array API reads. */
static inline struct page **gupdemo_entry_pages(union gupdemo_entry *e)
{
	return &e->page;
}

/**
 * struct gupdemo_pinned - one pinned (or, for FOLL_GET, referenced) range
 * @entries: the pages, in address order (union gupdemo_entry)
 * @nentries: entries used
 * @entries_size: bytes allocated for @entries
 * @npages: pages held
 * @offset: offset of @addr in the first page
 * @addr: user address the caller asked for
 * @len: length the caller asked for
 * @api: GUPDEMO_API_* used
 * @flags: GUPDEMO_PIN_* used
 * @charged_mm: the mm whose pinned_vm was charged (LONGTERM only), grabbed
 * @ref: a held handle only: one reference for the open file's table, one
 *	for each DMA call using it (taken under the file's lock); the last
 *	gupdemo_handle_put() releases the pages
 * @device_wrote: a DMA wrote into these pages; release unpins them dirty
 * @release_flags: GUPDEMO_UNPIN_* given by UNPIN, read by the last put
 * @get_ns: time the pin loop took, for the benchmark
 *
 * @entries is the whole per-page cost of a held pin: at most 8 bytes a
 * page, a few bytes per 2 MiB for THP and hugetlb memory.
 */
struct gupdemo_pinned {
	union gupdemo_entry *entries;
	unsigned long nentries;
	size_t entries_size;
	unsigned long npages;
	unsigned int offset;
	u64 addr;
	u64 len;
	u32 api;
	u32 flags;
	struct mm_struct *charged_mm;
	refcount_t ref;
	bool device_wrote;
	u32 release_flags;
	u64 get_ns;
};

/**
 * struct gupdemo_page_iter - walks the pages of a pin, one at a time
 * @e: the current entry
 * @i: index of the current page in @e
 */
struct gupdemo_page_iter {
	const union gupdemo_entry *e;
	unsigned long i;
};

/**
 * struct gupdemo_file - state of one open file of /dev/gupdemo
 * @lock: protects @pins; a DMA call takes its handles' references under
 *	it.  Held only for table lookups and updates: never while GUP runs
 *	(so it never nests with mmap_lock) and never across a transfer
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
int gupdemo_pages_charge(unsigned long npages);
void gupdemo_pages_uncharge(unsigned long npages);
void gupdemo_pin_query(const struct gupdemo_pinned *pin,
		       struct gupdemo_query *q);
void gupdemo_page_iter_init(struct gupdemo_page_iter *it,
			    const struct gupdemo_pinned *pin);
struct page *gupdemo_page_iter_page(const struct gupdemo_page_iter *it);
void gupdemo_page_iter_next(struct gupdemo_page_iter *it);

/* chardev.c */
int gupdemo_chardev_register(void);
void gupdemo_chardev_unregister(void);
struct gupdemo_pinned *gupdemo_handle_get(struct gupdemo_file *f,
					  u32 handle);
void gupdemo_handle_put(struct gupdemo_pinned *pin);

/* bench.c */
int gupdemo_ioctl_bench(struct gupdemo_file *f, void *arg);

/* dma.c */
int gupdemo_ioctl_dma(struct gupdemo_file *f, struct gupdemo_dma *d);

/* debugfs.c */
void gupdemo_debugfs_init(void);
void gupdemo_debugfs_exit(void);
bool gupdemo_should_fail(void);

#endif /* _GUPDEMO_H */
