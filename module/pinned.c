// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - the record of a pin's pages
 *
 * Vocabulary:
 *  - entry: 8 bytes, one of two kinds, told apart by bit 0.
 *  - plain entry (bit 0 clear): one struct page pointer, exactly as GUP
 *    wrote it.  For 4K memory the record is GUP's own page array, kept as
 *    it is and released with the array API: 8 bytes a page, no extra work.
 *  - run (bit 0 set): pages at consecutive frames, each pinned once: frame
 *    number in the top GUPDEMO_RUN_PFN_BITS bits, page count from bit 1
 *    up.  A batch that starts in a large folio (THP, hugetlb) is folded in
 *    place into runs, so a 2 MiB folio takes one entry instead of 512, and
 *    is released a folio at a time.
 *  - range: what readers see: pages at consecutive frames, whatever entries
 *    they came from (struct gupdemo_range).  Neighbouring plain entries of
 *    consecutive frames make one range, so an sg_table built from ranges has
 *    one entry per physically contiguous stretch.
 *
 * A driver that does not hold pins for long may prefer the plain form
 * everywhere: a struct page ** and sg_alloc_table_from_pages_segment() (see
 * module/pin.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "gupdemo_private.h"
#include "pinned.h"

/* The entry; the union has the size of a pointer so GUP can write into it. */
union gupdemo_entry {
	struct page *page;
	unsigned long run;
};

#define GUPDEMO_RUN_TAG		1UL
#define GUPDEMO_RUN_PFN_BITS	44
#define GUPDEMO_RUN_PFN_SHIFT	(BITS_PER_LONG - GUPDEMO_RUN_PFN_BITS)
#define GUPDEMO_RUN_MAX_PAGES	((1UL << (GUPDEMO_RUN_PFN_SHIFT - 1)) - 1)

/* A run entry must hold any frame number: widen GUPDEMO_RUN_PFN_BITS if not. */
#ifdef MAX_POSSIBLE_PHYSMEM_BITS
static_assert(MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT <= GUPDEMO_RUN_PFN_BITS);
#else
static_assert(MAX_PHYSMEM_BITS - PAGE_SHIFT <= GUPDEMO_RUN_PFN_BITS);
#endif
static_assert(sizeof(union gupdemo_entry) == sizeof(struct page *));
/* The run encoding splits 64 bits between frame number and page count. */
static_assert(BITS_PER_LONG == 64);

static bool gupdemo_entry_is_run(union gupdemo_entry e)
{
	return e.run & GUPDEMO_RUN_TAG;
}

static union gupdemo_entry gupdemo_run_encode(unsigned long pfn,
					      unsigned long npages)
{
	return (union gupdemo_entry){
		.run = pfn << GUPDEMO_RUN_PFN_SHIFT | npages << 1 |
		       GUPDEMO_RUN_TAG,
	};
}

static unsigned long gupdemo_entry_pfn(union gupdemo_entry e)
{
	return gupdemo_entry_is_run(e) ? e.run >> GUPDEMO_RUN_PFN_SHIFT :
					 page_to_pfn(e.page);
}

static unsigned long gupdemo_entry_npages(union gupdemo_entry e)
{
	return gupdemo_entry_is_run(e) ?
	       (e.run >> 1) & GUPDEMO_RUN_MAX_PAGES : 1;
}

/**
 * gupdemo_pfns_alloc() - room for one entry per page, the most GUP can need
 * @r: the record
 * @npages: pages the pin spans
 *
 * Charged to the caller's memcg: the user decides how much it pins.
 * Return: 0 or -ENOMEM.
 */
int gupdemo_pfns_alloc(struct gupdemo_pfns *r, unsigned long npages)
{
	r->entries = kvmalloc_array(npages, sizeof(*r->entries),
				    GFP_KERNEL_ACCOUNT);
	if (!r->entries)
		return -ENOMEM;
	r->size = npages * sizeof(*r->entries);
	r->nentries = 0;
	r->nruns = 0;
	return 0;
}

/* Where GUP writes the next batch of page pointers. */
struct page **gupdemo_pfns_slot(struct gupdemo_pfns *r)
{
	return &r->entries[r->nentries].page;
}

/*
 * Let run @e grow by @len pages starting at frame @pfn, if they follow on
 * and the run stays within GUPDEMO_RUN_MAX_PAGES.  Return: whether it grew.
 */
static bool gupdemo_run_extend(union gupdemo_entry *e, unsigned long pfn,
			       unsigned long len)
{
	unsigned long start = gupdemo_entry_pfn(*e);
	unsigned long npages = gupdemo_entry_npages(*e);

	if (!gupdemo_entry_is_run(*e) || start + npages != pfn ||
	    npages + len > GUPDEMO_RUN_MAX_PAGES)
		return false;
	*e = gupdemo_run_encode(start, npages + len);
	return true;
}

/**
 * gupdemo_pfns_add() - take in the @n pages GUP just wrote at the slot
 * @r: the record
 * @n: pages GUP returned
 *
 * If the batch starts in a large folio, fold it in place into runs: each
 * page is compared once with where the run says it should be
 * (gupdemo_nth_page(): struct pages of contiguous frames need not be
 * contiguous themselves),
 * and every run is written at or before the first page it consumed.  A
 * lone page stays plain.  Small folios and batches of one page cost
 * nothing: GUP's array is kept as it is.
 */
void gupdemo_pfns_add(struct gupdemo_pfns *r, unsigned long n)
{
	union gupdemo_entry *e = r->entries;
	struct page **pages = gupdemo_pfns_slot(r);
	unsigned long i, len, out = r->nentries;

	if (n == 1 || !folio_test_large(page_folio(pages[0]))) {
		r->nentries += n;
		return;
	}
	for (i = 0; i < n; i += len) {
		struct page *first = pages[i];
		unsigned long pfn = page_to_pfn(first);
		unsigned long lim = min(n - i, GUPDEMO_RUN_MAX_PAGES);

		for (len = 1; len < lim; len++)
			if (pages[i + len] != gupdemo_nth_page(first, len))
				break;
		/* The previous batch's last run may go on. */
		if (!i && out && gupdemo_run_extend(&e[out - 1], pfn, len))
			continue;
		if (len == 1) {
			e[out++].page = first;
		} else {
			e[out++] = gupdemo_run_encode(pfn, len);
			r->nruns++;
		}
	}
	r->nentries = out;
}

/*
 * The entries array was sized for one entry per page.  When runs made it
 * much shorter, move the entries to an array of their size, so that a
 * held THP pin costs a few bytes.  Failing to is harmless: keep the big one.
 */
void gupdemo_pfns_trim(struct gupdemo_pfns *r)
{
	size_t size = r->nentries * sizeof(*r->entries);
	union gupdemo_entry *e;

	if (size > r->size / 2)
		return;
	e = kvmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!e)
		return;
	memcpy(e, r->entries, size);
	kvfree(r->entries);
	r->entries = e;
	r->size = size;
}

/**
 * gupdemo_pfns_release() - release every page of the record
 * @r: the record
 * @api: GUPDEMO_API_* the pages were taken with
 * @dirty: mark them dirty first
 *
 * Stretches of plain entries are a page array, released by the array API
 * as GUP's own callers do; a run is released folio by folio: one atomic
 * update for all 512 pages of a THP.  A record without runs (4K memory) is
 * one page array, released in one call without looking for runs.
 */
void gupdemo_pfns_release(struct gupdemo_pfns *r, u32 api, bool dirty)
{
	union gupdemo_entry *e = r->entries;
	unsigned long i = 0, j;

	if (!r->nruns) {
		if (r->nentries)
			gupdemo_gup_release_pages(api, &e[0].page, r->nentries,
						  dirty);
		return;
	}
	while (i < r->nentries) {
		if (gupdemo_entry_is_run(e[i])) {
			gupdemo_gup_release_range(api,
						  pfn_to_page(gupdemo_entry_pfn(e[i])),
						  gupdemo_entry_npages(e[i]), dirty);
			i++;
			continue;
		}
		for (j = i + 1; j < r->nentries; j++)
			if (gupdemo_entry_is_run(e[j]))
				break;
		gupdemo_gup_release_pages(api, &e[i].page, j - i, dirty);
		i = j;
	}
}

/* Free the entries; the pages must have been released. */
void gupdemo_pfns_free(struct gupdemo_pfns *r)
{
	kvfree(r->entries);
	r->entries = NULL;
	r->nentries = 0;
	r->nruns = 0;
	r->size = 0;
}

/* Kernel memory the entries take. */
size_t gupdemo_pfns_kmem(const struct gupdemo_pfns *r)
{
	return is_vmalloc_addr(r->entries) ? PAGE_ALIGN(r->size) :
					     ksize(r->entries);
}

/**
 * gupdemo_range_iter_init() - start walking a record as ranges
 * @it: the iterator
 * @r: the record
 * @npages: walk the first @npages pages only (at most what @r holds)
 */
void gupdemo_range_iter_init(struct gupdemo_range_iter *it,
			     const struct gupdemo_pfns *r,
			     unsigned long npages)
{
	it->pfns = r;
	it->next = 0;
	it->left = npages;
}

/**
 * gupdemo_range_next() - the next range of consecutive frames
 * @it: the iterator
 * @range: filled in
 *
 * Neighbouring entries whose frames continue each other are merged, so a
 * range is as long as the memory is physically contiguous.
 *
 * Return: false when the walk is over.
 */
bool gupdemo_range_next(struct gupdemo_range_iter *it,
			struct gupdemo_range *range)
{
	const struct gupdemo_pfns *r = it->pfns;

	range->npages = 0;
	while (it->left && it->next < r->nentries) {
		union gupdemo_entry e = r->entries[it->next];
		unsigned long pfn = gupdemo_entry_pfn(e);
		unsigned long n = min(gupdemo_entry_npages(e), it->left);

		if (range->npages && range->pfn + range->npages != pfn)
			break;
		if (!range->npages)
			range->pfn = pfn;
		range->npages += n;
		it->left -= n;
		it->next++;
	}
	return range->npages;
}

#ifdef GUPDEMO_KUNIT
#include "pinned_test.c"
#endif
