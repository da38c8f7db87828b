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
 *
 * The pages are kept in a record (module/pinned.c) that is GUP's page array
 * for 4K memory and folds large folios into runs of frames, so a held THP
 * costs a few bytes instead of 8 a page.  A driver that holds pins briefly
 * may prefer the plain form: a struct page ** array, released with
 * unpin_user_pages_dirty_lock(), and sg_alloc_table_from_pages_segment()
 * for the sg_table (drivers/infiniband/core/umem.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "gupdemo_private.h"
#include "pinned.h"

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
	int ret;

	if (api >= GUPDEMO_API_COUNT || (flags & ~GUPDEMO_PIN_ALL))
		return -EINVAL;
	ret = gupdemo_user_range_check(addr, len);
	if (ret)
		return ret;
	return gupdemo_gup_check(api, flags);
}

/**
 * gupdemo_user_range_check() - a user range the module may take on
 * @addr: user address
 * @len: length in bytes
 *
 * Return: 0, or -EINVAL (@len 0), -EOVERFLOW (addr + len wraps), -EFAULT
 * (not a user address), -E2BIG (more than max_pin_pages).
 */
int gupdemo_user_range_check(u64 addr, u64 len)
{
	u64 end;

	if (!len)
		return -EINVAL;
	if (check_add_overflow(addr, len, &end) || end > U64_MAX - PAGE_SIZE)
		return -EOVERFLOW;
	/* Also keeps the vsyscall page and kernel addresses away from GUP. */
	if (!access_ok(u64_to_user_ptr(addr), len))
		return -EFAULT;
	if (gupdemo_pin_span(addr, len) > gupdemo_max_pin_pages)
		return -E2BIG;
	return 0;
}

/* gupdemo's own flag bits to FOLL_* (renumbered in 6.3: never pass raw). */
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

/**
 * gupdemo_budget_charge() - take @npages from the module-wide pin budget
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
int gupdemo_budget_charge(unsigned long npages)
{
	if (atomic64_add_return(npages, &gupdemo_stats.pages_charged) >
	    READ_ONCE(gupdemo_max_held_pages)) {
		atomic64_sub(npages, &gupdemo_stats.pages_charged);
		return -ENOSPC;
	}
	return 0;
}

/* Give back what gupdemo_budget_charge() took. */
void gupdemo_budget_uncharge(unsigned long npages)
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

/*
 * Pin @npages from the page of @pin->addr on, in batches of @batch, into
 * the record.  Returns the pages pinned, or -errno with nothing pinned.
 */
static long gupdemo_pin_batches(struct gupdemo_pinned *pin,
				unsigned long npages, u32 batch)
{
	unsigned long start = pin->addr & PAGE_MASK, pinned = 0;
	unsigned int gup_flags = gupdemo_foll_flags(pin->flags);
	long ret;

	while (pinned < npages) {
		unsigned long nr = min_t(unsigned long, npages - pinned, batch);

		ret = -ENOMEM;
		if (gupdemo_should_fail())
			goto err_release;
		ret = gupdemo_gup_call(pin->api, start + pinned * PAGE_SIZE,
				       nr, gup_flags,
				       gupdemo_pfns_slot(&pin->pfns));
		if (ret <= 0) {
			/* Since 6.3 GUP returns 0 for invalid arguments. */
			ret = ret ?: -EFAULT;
			goto err_release;
		}
		gupdemo_pfns_add(&pin->pfns, ret);
		pinned += ret;
		if (pin->flags & GUPDEMO_PIN_NO_RETRY)
			break;
		ret = -EINTR;
		if (fatal_signal_pending(current))
			goto err_release;
		cond_resched();
	}
	return pinned;

err_release:
	gupdemo_pfns_release(&pin->pfns, pin->api, false);
	return ret;
}

/**
 * gupdemo_pin_user_range() - pin the pages spanning a user range
 * @pin: @addr, @len, @api and @flags set and validated by
 *	gupdemo_pin_validate(); the rest is filled in
 * @batch: pages per GUP call; 0 for the pin_batch module parameter
 * @gup_ns: if not NULL, set to the time the GUP calls took (the benchmark
 *	compares it with the bare GUP loop)
 *
 * Charges the module-wide budget and long-term pins' RLIMIT_MEMLOCK, then
 * pins in batches of @batch pages with cond_resched() between them, so a
 * 1 GiB pin neither hogs the CPU nor holds mmap_lock for long.  GUP may pin
 * fewer pages than asked for: loop until the whole span is pinned.  On any
 * error, exactly the pages pinned so far are released and the charges are
 * undone: the caller never sees a half-pinned range.
 *
 * With GUPDEMO_PIN_NO_RETRY, a single GUP call is made for the whole span
 * and a short count is kept, so tests can observe partial pins.
 *
 * Context: process context, the caller's mm.  Sleeps.
 * Return: 0 with @pin->npages pages held, or -errno with nothing held:
 * -ENOSPC (module-wide budget), -ENOMEM (RLIMIT_MEMLOCK or allocation),
 * -EINTR (fatal signal), or GUP's error.
 */
int gupdemo_pin_user_range(struct gupdemo_pinned *pin, u32 batch,
			   u64 *gup_ns)
{
	unsigned long npages = gupdemo_pin_span(pin->addr, pin->len);
	u64 t;
	long ret;

	if (pin->flags & GUPDEMO_PIN_NO_RETRY)
		batch = npages;
	else if (!batch)
		batch = gupdemo_pin_batch;
	/* GUP takes the page count as int on some paths. */
	batch = clamp_t(u32, batch, 1, INT_MAX);

	ret = gupdemo_budget_charge(npages);
	if (ret)
		return ret;
	ret = gupdemo_account(pin, npages);
	if (ret)
		goto err_uncharge;
	ret = -ENOMEM;
	if (gupdemo_should_fail() || gupdemo_pfns_alloc(&pin->pfns, npages))
		goto err_unaccount;

	gupdemo_stamp(&t);
	ret = gupdemo_pin_batches(pin, npages, batch);
	if (gup_ns)
		*gup_ns = gupdemo_stamp(&t);
	if (ret < 0)
		goto err_free;
	gupdemo_pfns_trim(&pin->pfns);
	/* A short NO_RETRY pin charged the whole span: give back the rest. */
	if (ret < npages && pin->charged_mm)
		atomic64_sub(npages - ret, &pin->charged_mm->pinned_vm);
	gupdemo_budget_uncharge(npages - ret);
	pin->npages = ret;
	pin->offset = offset_in_page(pin->addr);
	return 0;

err_free:
	gupdemo_pfns_free(&pin->pfns);
err_unaccount:
	gupdemo_unaccount(pin, npages);
err_uncharge:
	gupdemo_budget_uncharge(npages);
	return ret;
}

/*
 * May a page held by a FOLL_GET reference be dirtied?  A reference does
 * not hold off reclaim: reclaim skips only folio_maybe_dma_pinned()
 * folios, so writeback can clean a page-cache folio we hold and strip its
 * buffers, and dirtying it afterwards makes the filesystem WARN
 * (ext4_dirty_folio()) and drop the data.  FOLL_PIN exists for this
 * (pin_user_pages.rst).  Anonymous, shmem/memfd (swap-backed) and hugetlb
 * folios need nothing of the kind to be dirtied.
 */
static bool gupdemo_get_dirtiable(struct folio *folio)
{
	return folio_test_anon(folio) || folio_test_swapbacked(folio) ||
	       folio_test_hugetlb(folio);
}

/**
 * gupdemo_get_count_undirtiable() - pages a FOLL_GET holder must not dirty
 * @pin: a range referenced with GUPDEMO_API_GET_FAST
 *
 * Return: the pages of @pin that gupdemo_get_dirtiable() refuses (the page
 * cache of a file system, or pages of no mapping at all).  A FOLL_GET
 * handle with any is never dirtied: UNPIN with DIRTY and DMA writes through
 * it are refused with -EPERM.
 */
unsigned long gupdemo_get_count_undirtiable(const struct gupdemo_pinned *pin)
{
	struct gupdemo_range_iter it;
	struct gupdemo_range r;
	unsigned long i, n = 0;

	gupdemo_range_iter_init(&it, &pin->pfns, pin->npages);
	while (gupdemo_range_next(&it, &r))
		for (i = 0; i < r.npages; i++)
			if (!is_zero_pfn(r.pfn + i) &&
			    !gupdemo_get_dirtiable(pfn_folio(r.pfn + i)))
				n++;
	return n;
}

/**
 * gupdemo_unpin_user_range() - release what gupdemo_pin_user_range() pinned
 * @pin: a range pinned by gupdemo_pin_user_range()
 * @dirty: mark the pages dirty first, because the device wrote them; only
 *	for a pin taken with GUPDEMO_PIN_WRITE
 * @put_ns: if not NULL, set to the time releasing the pages took
 *
 * unpin_user_pages_dirty_lock() and unpin_user_page_range_dirty_lock() take
 * the folio lock to dirty the pages, so the filesystem learns about data it
 * did not write itself.  FOLL_GET references are dropped with put_page().
 * Then the charges are given back.
 *
 * Context: process context or a kernel thread; sleeps.
 */
void gupdemo_unpin_user_range(struct gupdemo_pinned *pin, bool dirty,
			      u64 *put_ns)
{
	u64 t;

	gupdemo_stamp(&t);
	gupdemo_pfns_release(&pin->pfns, pin->api, dirty);
	if (put_ns)
		*put_ns = gupdemo_stamp(&t);
	gupdemo_pfns_free(&pin->pfns);
	gupdemo_unaccount(pin, pin->npages);
	gupdemo_budget_uncharge(pin->npages);
	pin->npages = 0;
}
