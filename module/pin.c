// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - pinning user memory
 *
 * This is the file to copy.  It follows the sequence production pinners
 * use (drivers/infiniband/core/umem.c is the model):
 *
 *   validate -> charge long-term pins to RLIMIT_MEMLOCK -> pin in bounded
 *   batches, rolling back everything on failure -> ... use ... ->
 *   unpin (dirty if the device wrote) -> uncharge
 *
 * Which GUP flags (Documentation/core-api/pin_user_pages.rst):
 *  - FOLL_PIN, not FOLL_GET, whenever the pages' contents are accessed by
 *    DMA or through a kernel mapping (Cases 1, 2 and 5).  The pin_user_pages*()
 *    family sets FOLL_PIN; get_user_pages_fast() (FOLL_GET) is here only as
 *    the control group that does not move the nr_foll_pin_* counters.
 *  - FOLL_WRITE exactly when the device will write the pages.
 *  - FOLL_LONGTERM when the pin outlives the system call (Case 2: a
 *    handle kept by the open file); not for a pin released before the ioctl
 *    returns (Case 1: the short-term pins of the DMA ioctl).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "gupdemo.h"

/**
 * gupdemo_pin_span() - number of pages a user range touches
 * @addr: start of the range
 * @len: length in bytes, > 0, and addr + len must not overflow
 *
 * Return: the pages from the one holding @addr to the one holding the last
 * byte.
 */
unsigned long gupdemo_pin_span(u64 addr, u64 len)
{
	return (PAGE_ALIGN(addr + len) - (addr & PAGE_MASK)) >> PAGE_SHIFT;
}

/**
 * gupdemo_pin_validate() - check a pin request before touching anything
 * @addr: user address
 * @len: length in bytes
 * @api: GUPDEMO_API_*
 * @flags: GUPDEMO_PIN_*
 *
 * Refuses every combination the kernel would WARN on, before GUP sees it:
 * with panic_on_warn a WARN reachable from userspace is a denial of service.
 *
 * Return: 0, or -EINVAL (bad api, flags or length), -EOVERFLOW (addr + len
 * wraps), -EFAULT (not a user address), -E2BIG (more than max_pin_pages),
 * -EOPNOTSUPP (api not available on this kernel).
 */
int gupdemo_pin_validate(u64 addr, u64 len, u32 api, u32 flags)
{
	u64 end;

	if (api >= GUPDEMO_API_COUNT || (flags & ~GUPDEMO_PIN_ALL))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (check_add_overflow(addr, len, &end) || end > U64_MAX - PAGE_SIZE)
		return -EOVERFLOW;
	/* Also keeps the vsyscall page and kernel addresses away from GUP. */
	if (!access_ok(u64_to_user_ptr(addr), len))
		return -EFAULT;
	if (gupdemo_pin_span(addr, len) > gupdemo_max_pin_pages)
		return -E2BIG;

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

unsigned int gupdemo_foll_flags(u32 flags)
{
	unsigned int gup_flags = 0;

	if (flags & GUPDEMO_PIN_WRITE)
		gup_flags |= FOLL_WRITE;
	if (flags & GUPDEMO_PIN_LONGTERM)
		gup_flags |= FOLL_LONGTERM;
	if (flags & GUPDEMO_PIN_NOFAULT)
		gup_flags |= FOLL_NOFAULT;
	return gup_flags;
}

/*
 * One GUP call through the API the user chose.  Returns the number of
 * pages pinned (possibly fewer than @nr_pages, possibly 0) or -errno.
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

/* Drop what GUP gave us: unpin for FOLL_PIN, put_page() for FOLL_GET. */
void gupdemo_release_pages(u32 api, struct page **pages, unsigned long npages,
			   bool dirty)
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

/* A run entry must hold any frame number: widen GUPDEMO_RUN_PFN_BITS if not. */
#ifdef MAX_POSSIBLE_PHYSMEM_BITS
static_assert(MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT <= GUPDEMO_RUN_PFN_BITS);
#else
static_assert(MAX_PHYSMEM_BITS - PAGE_SHIFT <= GUPDEMO_RUN_PFN_BITS);
#endif
static_assert(sizeof(union gupdemo_entry) == sizeof(struct page *));
/* The run encoding splits 64 bits between frame number and page count. */
static_assert(BITS_PER_LONG == 64);

/*
 * GUP just wrote @n page pointers at the end of @pin->entries.  If the
 * batch starts in a large folio, fold them in place into runs: each page
 * is compared once with where the run says it should be (nth_page():
 * struct pages of contiguous frames need not be contiguous themselves),
 * and every run is written at or before the first page it consumed.  A
 * lone page stays a plain pointer.  Small folios (4K memory) and batches
 * of one page (nothing to fold) cost nothing: GUP's array is kept as it is.
 */
static void gupdemo_entries_add(struct gupdemo_pinned *pin, unsigned long n)
{
	union gupdemo_entry *e = pin->entries;
	struct page **pages = gupdemo_entry_pages(&e[pin->nentries]);
	unsigned long i, len, out = pin->nentries;

	if (n == 1 || !folio_test_large(page_folio(pages[0]))) {
		pin->nentries += n;
		return;
	}
	for (i = 0; i < n; i += len) {
		struct page *first = pages[i];
		unsigned long pfn = page_to_pfn(first);
		unsigned long lim = min(n - i, GUPDEMO_RUN_MAX_PAGES);
		union gupdemo_entry *last = out ? &e[out - 1] : NULL;

		for (len = 1; len < lim; len++)
			if (pages[i + len] != nth_page(first, len))
				break;
		/* The previous batch's last run may go on. */
		if (last && gupdemo_entry_is_run(*last) && !i &&
		    gupdemo_entry_pfn(*last) + gupdemo_entry_npages(*last) == pfn &&
		    gupdemo_entry_npages(*last) + len <= GUPDEMO_RUN_MAX_PAGES) {
			last->run = gupdemo_run_encode(gupdemo_entry_pfn(*last),
						       gupdemo_entry_npages(*last) + len);
		} else if (len == 1) {
			e[out++].page = first;
		} else {
			e[out++].run = gupdemo_run_encode(pfn, len);
		}
	}
	pin->nentries = out;
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
		page = nth_page(page, nr);
		npages -= nr;
	}
}

/*
 * Release every page.  Stretches of plain entries are an array of pages,
 * released by the array API as GUP's own callers do; a run goes to
 * unpin_user_page_range_dirty_lock(), folio by folio: one atomic update
 * for all 512 pages of a THP.
 */
static void gupdemo_release_entries(struct gupdemo_pinned *pin, bool dirty)
{
	union gupdemo_entry *e = pin->entries;
	unsigned long i = 0, j;

	while (i < pin->nentries) {
		if (gupdemo_entry_is_run(e[i])) {
			struct page *page = pfn_to_page(gupdemo_entry_pfn(e[i]));
			unsigned long n = gupdemo_entry_npages(e[i]);

			if (pin->api == GUPDEMO_API_GET_FAST)
				gupdemo_put_page_range(page, n, dirty);
			else
				unpin_user_page_range_dirty_lock(page, n,
								 dirty);
			i++;
			continue;
		}
		for (j = i + 1; j < pin->nentries; j++)
			if (gupdemo_entry_is_run(e[j]))
				break;
		gupdemo_release_pages(pin->api, gupdemo_entry_pages(&e[i]),
				      j - i, dirty);
		i = j;
	}
}

/*
 * The entries array was sized for one entry per page.  When runs made it
 * much shorter, move the entries to an array of their size, so that a
 * held THP pin costs a few bytes.  Failing to is harmless: keep the big one.
 */
static void gupdemo_entries_trim(struct gupdemo_pinned *pin)
{
	size_t size = pin->nentries * sizeof(*pin->entries);
	union gupdemo_entry *e;

	if (size > pin->entries_size / 2)
		return;
	e = kvmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!e)
		return;
	memcpy(e, pin->entries, size);
	kvfree(pin->entries);
	pin->entries = e;
	pin->entries_size = size;
}

/**
 * gupdemo_page_iter_init() - start walking the pages of a held pin
 * @it: the iterator
 * @pin: the pin; must hold at least one page
 */
void gupdemo_page_iter_init(struct gupdemo_page_iter *it,
			    const struct gupdemo_pinned *pin)
{
	it->e = pin->entries;
	it->i = 0;
}

/* The page the iterator is at. */
struct page *gupdemo_page_iter_page(const struct gupdemo_page_iter *it)
{
	if (!gupdemo_entry_is_run(*it->e))
		return it->e->page;
	return pfn_to_page(gupdemo_entry_pfn(*it->e) + it->i);
}

/* Go to the next page; past the last page the iterator must not be read. */
void gupdemo_page_iter_next(struct gupdemo_page_iter *it)
{
	if (++it->i == gupdemo_entry_npages(*it->e)) {
		it->e++;
		it->i = 0;
	}
}

/**
 * gupdemo_pages_charge() - take @npages from the module-wide pin budget
 * @npages: pages about to be pinned
 *
 * Each pin of a small folio adds GUP_PIN_COUNTING_BIAS (1024) to its
 * refcount: about two million pins of one page (a memfd page mapped at
 * many addresses, pinned by many calls at once) overflow it, and the
 * kernel WARNs.  Every pin the module takes, held by a handle or only for
 * one DMA or BENCH call, is charged here first, so max_held_pages keeps
 * that out of reach.
 *
 * Return: 0, or -ENOSPC when the budget would be exceeded.
 */
int gupdemo_pages_charge(unsigned long npages)
{
	if (atomic64_add_return(npages, &gupdemo_stats.pages_charged) >
	    READ_ONCE(gupdemo_max_held_pages)) {
		atomic64_sub(npages, &gupdemo_stats.pages_charged);
		return -ENOSPC;
	}
	return 0;
}

/* Give back what gupdemo_pages_charge() took. */
void gupdemo_pages_uncharge(unsigned long npages)
{
	atomic64_sub(npages, &gupdemo_stats.pages_charged);
}

/*
 * Long-term pins are charged to mm->pinned_vm and limited by
 * RLIMIT_MEMLOCK unless the caller has CAP_IPC_LOCK, as ib_umem_get() does:
 * memory pinned for an unbounded time is memory the user has locked.
 */
static int gupdemo_account(struct gupdemo_pinned *pin, unsigned long npages)
{
	struct mm_struct *mm = current->mm;
	unsigned long limit;
	s64 new_pinned;

	if (!(pin->flags & GUPDEMO_PIN_LONGTERM))
		return 0;

	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	new_pinned = atomic64_add_return(npages, &mm->pinned_vm);
	if (new_pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &mm->pinned_vm);
		return -ENOMEM;
	}
	/* Uncharged later, maybe after this process exited: hold the mm. */
	mmgrab(mm);
	pin->charged_mm = mm;
	return 0;
}

static void gupdemo_unaccount(struct gupdemo_pinned *pin,
			      unsigned long npages)
{
	if (!pin->charged_mm)
		return;
	atomic64_sub(npages, &pin->charged_mm->pinned_vm);
	mmdrop(pin->charged_mm);
	pin->charged_mm = NULL;
}

/**
 * gupdemo_pin_user_range() - pin the pages spanning a user range
 * @pin: @addr, @len, @api and @flags set and validated by
 *	gupdemo_pin_validate(); the rest is filled in
 * @batch: pages per GUP call; 0 for the pin_batch module parameter
 *
 * Charges the module-wide budget and long-term pins' RLIMIT_MEMLOCK, then
 * pins in batches of @batch pages with
 * cond_resched() between them, so a 1 GiB pin neither hogs the CPU nor
 * holds mmap_lock for long.  GUP writes straight into the pin's entries
 * array, which gupdemo_entries_add() folds into runs where the memory is
 * made of large folios.  GUP may pin fewer pages than asked for: loop until
 * the whole span is pinned.  A return of 0 is an error too (since 6.3 GUP
 * returns 0 for invalid arguments).  On any error, exactly the pages
 * pinned so far are released and the charge is undone: the caller never
 * sees a half-pinned range.
 *
 * With GUPDEMO_PIN_NO_RETRY, a single GUP call is made for the whole span
 * and a short count is kept, so tests can observe partial pins.
 *
 * Context: process context, the caller's mm.  Sleeps.
 * Return: 0 with @pin->npages pages held, or -errno with nothing held:
 * -ENOSPC (module-wide budget), -ENOMEM (RLIMIT_MEMLOCK or allocation),
 * -EINTR (fatal signal), or GUP's error.
 */
int gupdemo_pin_user_range(struct gupdemo_pinned *pin, u32 batch)
{
	unsigned long npages = gupdemo_pin_span(pin->addr, pin->len);
	unsigned long start = pin->addr & PAGE_MASK;
	unsigned int gup_flags = gupdemo_foll_flags(pin->flags);
	unsigned long pinned = 0;
	u64 start_ns;
	long ret;

	if (pin->flags & GUPDEMO_PIN_NO_RETRY)
		batch = npages;
	else if (!batch)
		batch = gupdemo_pin_batch;
	/* GUP takes the page count as int on some paths. */
	batch = clamp_t(u32, batch, 1, INT_MAX);

	ret = gupdemo_pages_charge(npages);
	if (ret)
		return ret;
	ret = gupdemo_account(pin, npages);
	if (ret)
		goto err_uncharge;

	if (gupdemo_should_fail()) {
		ret = -ENOMEM;
		goto err_unaccount;
	}
	/*
	 * One entry per page, the most GUP can need.  Charged to the caller's
	 * memcg: the user decides how much it pins.
	 */
	pin->entries = kvmalloc_array(npages, sizeof(*pin->entries),
				      GFP_KERNEL_ACCOUNT);
	if (!pin->entries) {
		ret = -ENOMEM;
		goto err_unaccount;
	}
	pin->entries_size = npages * sizeof(*pin->entries);
	pin->nentries = 0;

	/* Like mm/gup_test.c, the clock runs around the pin loop only. */
	start_ns = ktime_get_ns();
	while (pinned < npages) {
		unsigned long nr = min_t(unsigned long, npages - pinned, batch);

		if (gupdemo_should_fail()) {
			ret = -ENOMEM;
			goto err_unpin;
		}
		ret = gupdemo_gup_call(pin->api, start + pinned * PAGE_SIZE,
				       nr, gup_flags,
				       gupdemo_entry_pages(&pin->entries[pin->nentries]));
		if (ret <= 0) {
			if (!ret)
				ret = -EFAULT;
			goto err_unpin;
		}
		gupdemo_entries_add(pin, ret);
		pinned += ret;
		if (pin->flags & GUPDEMO_PIN_NO_RETRY)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_unpin;
		}
		cond_resched();
	}
	pin->get_ns = ktime_get_ns() - start_ns;
	gupdemo_entries_trim(pin);

	/* A short NO_RETRY pin charged the whole span: give back the rest. */
	if (pinned < npages && pin->charged_mm)
		atomic64_sub(npages - pinned, &pin->charged_mm->pinned_vm);
	gupdemo_pages_uncharge(npages - pinned);

	pin->npages = pinned;
	pin->offset = offset_in_page(pin->addr);
	return 0;

err_unpin:
	gupdemo_release_entries(pin, false);
	kvfree(pin->entries);
	pin->entries = NULL;
	pin->nentries = 0;
err_unaccount:
	gupdemo_unaccount(pin, npages);
err_uncharge:
	gupdemo_pages_uncharge(npages);
	return ret;
}

/**
 * gupdemo_unpin_user_range() - release what gupdemo_pin_user_range() pinned
 * @pin: a range pinned by gupdemo_pin_user_range()
 * @dirty: mark the pages dirty first, because the device wrote them
 *
 * unpin_user_pages_dirty_lock() and unpin_user_page_range_dirty_lock() take
 * the folio lock to dirty the pages, so the filesystem learns about data it
 * did not write itself.  FOLL_GET references are dropped with put_page().
 * Then the long-term charge is given back.
 *
 * Context: process context or a kernel thread; sleeps.
 * Return: the time releasing the pages took, in ns, for the benchmark.
 */
u64 gupdemo_unpin_user_range(struct gupdemo_pinned *pin, bool dirty)
{
	u64 start_ns = ktime_get_ns();
	u64 put_ns;

	gupdemo_release_entries(pin, dirty);
	put_ns = ktime_get_ns() - start_ns;
	gupdemo_unaccount(pin, pin->npages);
	gupdemo_pages_uncharge(pin->npages);
	kvfree(pin->entries);
	pin->entries = NULL;
	pin->nentries = 0;
	pin->npages = 0;
	return put_ns;
}

/**
 * gupdemo_pin_query() - describe what a held pin looks like now
 * @pin: a held pin
 * @q: output fields filled in; @q->handle and @q->size left alone
 */
void gupdemo_pin_query(const struct gupdemo_pinned *pin,
		       struct gupdemo_query *q)
{
	struct gupdemo_page_iter it;
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
	q->kmem_bytes = ksize(pin) + (is_vmalloc_addr(pin->entries) ?
		PAGE_ALIGN(pin->entries_size) : ksize(pin->entries));

	gupdemo_page_iter_init(&it, pin);
	for (i = 0; i < pin->npages; i++, gupdemo_page_iter_next(&it)) {
		struct page *page = gupdemo_page_iter_page(&it);
		struct folio *folio = page_folio(page);

		if (is_zero_pfn(page_to_pfn(page)))
			q->nzero++;
		else if (folio_maybe_dma_pinned(folio))
			q->npinned++;
		if (folio != prev)
			q->nfolios++;
		prev = folio;
	}
}
