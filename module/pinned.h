/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo - the record of a pin's pages (module/pinned.c)
 *
 * What the rest of the module may know of it: GUP writes a batch of page
 * pointers at gupdemo_pfns_slot(), gupdemo_pfns_add() takes them in, and
 * the pages are read back as ranges of consecutive frames (or one page at
 * a time).  How the record stores them is pinned.c's business.
 */
#ifndef _GUPDEMO_PINNED_H
#define _GUPDEMO_PINNED_H

#include <linux/types.h>

struct page;
union gupdemo_entry;

/*
 * The most pages one record can hold: an entry is the size of a page
 * pointer, and the array must stay below what kvmalloc() takes (INT_MAX
 * bytes; more WARNs).
 */
#define GUPDEMO_PFNS_MAX_PAGES	(INT_MAX / sizeof(struct page *))

/**
 * struct gupdemo_pfns - the pages a pin holds, in address order
 * @entries: private to pinned.c
 * @nentries: entries used
 * @nruns: how many of them are runs (0: the record is a page array)
 * @size: bytes allocated for @entries
 */
struct gupdemo_pfns {
	union gupdemo_entry *entries;
	unsigned long nentries;
	unsigned long nruns;
	size_t size;
};

/**
 * struct gupdemo_range - pages at consecutive frames
 * @pfn: the first frame
 * @npages: how many
 */
struct gupdemo_range {
	unsigned long pfn;
	unsigned long npages;
};

/**
 * struct gupdemo_range_iter - walks a record as ranges of consecutive frames
 * @pfns: the record
 * @next: the next entry to read
 * @left: pages still to walk
 */
struct gupdemo_range_iter {
	const struct gupdemo_pfns *pfns;
	unsigned long next;
	unsigned long left;
};

int gupdemo_pfns_alloc(struct gupdemo_pfns *r, unsigned long npages);
struct page **gupdemo_pfns_slot(struct gupdemo_pfns *r);
void gupdemo_pfns_add(struct gupdemo_pfns *r, unsigned long n);
void gupdemo_pfns_trim(struct gupdemo_pfns *r);
void gupdemo_pfns_release(struct gupdemo_pfns *r, u32 api, bool dirty);
void gupdemo_pfns_free(struct gupdemo_pfns *r);
size_t gupdemo_pfns_kmem(const struct gupdemo_pfns *r);

void gupdemo_range_iter_init(struct gupdemo_range_iter *it,
			     const struct gupdemo_pfns *r,
			     unsigned long npages);
bool gupdemo_range_next(struct gupdemo_range_iter *it,
			struct gupdemo_range *range);

#endif /* _GUPDEMO_PINNED_H */
