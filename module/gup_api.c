// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - the GUP functions a caller can choose, and their releases
 *
 * gupdemo lets userspace pick any of the exported GUP entry points, like
 * mm/gup_test.c does, to compare them: this file is that switch, shared by
 * PIN and the BENCH baseline.  A driver calls one of them and does not need
 * this file: pin_user_pages_fast() for a range of the caller's memory, or
 * pin_user_pages() when it holds mmap_lock already.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "compat.h"
#include "gupdemo_private.h"

/**
 * gupdemo_gup_check() - refuse what this GUP function would WARN on
 * @api: GUPDEMO_API_*, below GUPDEMO_API_COUNT
 * @flags: GUPDEMO_PIN_*
 *
 * Return: 0, -EINVAL (FOLL_LONGTERM with FOLL_GET, or with *_unlocked()
 * before 6.3), or -EOPNOTSUPP (the function does not exist on this kernel).
 */
int gupdemo_gup_check(u32 api, u32 flags)
{
	switch (api) {
	case GUPDEMO_API_GET_FAST:
		/* FOLL_LONGTERM is only defined together with FOLL_PIN. */
		if (flags & GUPDEMO_PIN_LONGTERM)
			return -EINVAL;
		break;
	case GUPDEMO_API_PIN_UNLOCKED:
		if ((flags & GUPDEMO_PIN_LONGTERM) &&
		    !GUPDEMO_HAVE_LONGTERM_UNLOCKED)
			return -EINVAL;
		break;
	case GUPDEMO_API_PIN_FAST_ONLY:
		if (!GUPDEMO_HAVE_PIN_FAST_ONLY)
			return -EOPNOTSUPP;
		break;
	}
	return 0;
}

/**
 * gupdemo_gup_call() - one GUP call through the function the user chose
 * @api: GUPDEMO_API_*
 * @start: page-aligned user address
 * @nr_pages: pages to pin
 * @gup_flags: FOLL_* (FOLL_PIN or FOLL_GET is implied by @api)
 * @pages: where GUP writes the page pointers
 *
 * Return: the number of pages pinned (possibly fewer than @nr_pages,
 * possibly 0) or -errno.
 */
long gupdemo_gup_call(u32 api, unsigned long start, unsigned long nr_pages,
		      unsigned int gup_flags, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	long ret;

	switch (api) {
	case GUPDEMO_API_PIN_FAST:
		return pin_user_pages_fast(start, nr_pages, gup_flags, pages);
	case GUPDEMO_API_PIN:
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		ret = gupdemo_compat_pin_user_pages(start, nr_pages, gup_flags,
						    pages);
		mmap_read_unlock(mm);
		return ret;
	case GUPDEMO_API_PIN_UNLOCKED:
		return pin_user_pages_unlocked(start, nr_pages, pages,
					       gup_flags);
	case GUPDEMO_API_PIN_REMOTE:
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		ret = gupdemo_compat_pin_user_pages_remote(mm, start, nr_pages,
							   gup_flags, pages);
		mmap_read_unlock(mm);
		return ret;
	case GUPDEMO_API_PIN_FAST_ONLY:
		return gupdemo_compat_pin_user_pages_fast_only(start, nr_pages,
							       gup_flags,
							       pages);
	case GUPDEMO_API_GET_FAST:
		return get_user_pages_fast(start, nr_pages, gup_flags, pages);
	}
	return -EINVAL;
}

/**
 * gupdemo_gup_release_pages() - drop what GUP gave: an array of pages
 * @api: the GUPDEMO_API_* the pages were taken with
 * @pages: the pages
 * @npages: how many
 * @dirty: mark them dirty first
 *
 * unpin_user_pages_dirty_lock() for FOLL_PIN; put_page() for FOLL_GET.
 */
void gupdemo_gup_release_pages(u32 api, struct page **pages,
			       unsigned long npages, bool dirty)
{
	unsigned long i;

	if (api != GUPDEMO_API_GET_FAST) {
		unpin_user_pages_dirty_lock(pages, npages, dirty);
		return;
	}
	for (i = 0; i < npages; i++) {
		if (dirty)
			set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
}

/*
 * The FOLL_GET counterpart of unpin_user_page_range_dirty_lock(): drop
 * the references on @npages contiguous pages a folio at a time.  Each page
 * GUP returned holds one reference on its folio, so the pages of one large
 * folio give back theirs with one folio_put_refs().  ZONE_DEVICE pages are
 * left to put_page(), which knows their rules.
 */
static void gupdemo_put_page_range(struct page *page, unsigned long npages,
				   bool dirty)
{
	while (npages) {
		struct folio *folio = page_folio(page);
		unsigned long nr = 1;

		if (folio_test_large(folio) && !folio_is_zone_device(folio))
			nr = min_t(unsigned long, npages,
				   folio_nr_pages(folio) -
				   folio_page_idx(folio, page));
		if (dirty)
			set_page_dirty_lock(page);
		if (nr == 1)
			put_page(page);
		else
			folio_put_refs(folio, nr);
		page = gupdemo_nth_page(page, nr);
		npages -= nr;
	}
}

/**
 * gupdemo_gup_release_range() - drop what GUP gave: pages at consecutive
 *	frames, each taken once
 * @api: the GUPDEMO_API_* the pages were taken with
 * @page: the first page
 * @npages: how many
 * @dirty: mark them dirty first
 *
 * unpin_user_page_range_dirty_lock() for FOLL_PIN: one atomic update per
 * folio.
 */
void gupdemo_gup_release_range(u32 api, struct page *page,
			       unsigned long npages, bool dirty)
{
	if (api == GUPDEMO_API_GET_FAST)
		gupdemo_put_page_range(page, npages, dirty);
	else
		unpin_user_page_range_dirty_lock(page, npages, dirty);
}
