// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - mirror a user range instead of pinning it
 *
 * The third file to copy, beside pin.c and dma.c: the sequence of
 * Documentation/mm/hmm.rst and nothing else (the ioctls around it are in
 * mirror_ioctl.c).
 *
 *   mmu_interval_notifier_insert() on the range
 *   -> hmm_range_fault() fills the device's table, in the
 *      mmu_interval_read_begin() / mmu_interval_read_retry() loop, the retry
 *      checked under the driver's update lock (m->lock)
 *   -> a DMA call takes the lock, checks that the table is still current
 *      (faults again what was invalidated), builds its sg_table from it and
 *      keeps the lock until the device is done with the pages: dma.c maps,
 *      transfers, unmaps
 *   -> the invalidate callback takes the same lock, so it waits for a
 *      transfer in flight (edu cannot take a fault), clears the entries and
 *      moves the sequence on
 *   -> mmu_interval_notifier_remove() at UNMIRROR or close()
 *
 * Nothing is pinned: the pin counters do not move, and migration,
 * compaction, memory offline, THP collapse, reclaim and fork go on; each
 * tells us first.  Dirtying: a write fault dirties a page, but a page can
 * be cleaned and stay writable (MADV_FREE clears the dirty bit and leaves
 * the PTE alone; hmm_range_fault() then has nothing to fault), and reclaim
 * discards a clean lazily-freed page.  So the pages a device wrote are
 * marked dirty after the transfer, under the mirror's lock, which keeps them
 * mapped: set_page_dirty(), not set_page_dirty_lock(), whose folio lock
 * would invert with truncate's (it holds the folio lock while it
 * invalidates), as RDMA ODP does.
 *
 * Lock rules, which lockdep checks on the debug kernel: under m->lock never
 * allocate with reclaim (reclaim may invalidate this range and wait for
 * the lock) and never fault (a fault may invalidate).  The sg_table is
 * allocated and the range faulted before the lock is taken.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "gupdemo_private.h"
#include "mirror.h"

/*
 * The CPU page tables of part of the range are about to change: the device
 * must stop using those pages before we return.  A DMA call in flight holds
 * m->lock, so taking it waits for the transfer to end.
 */
static bool gupdemo_mirror_invalidate(struct mmu_interval_notifier *mni,
				      const struct mmu_notifier_range *range,
				      unsigned long cur_seq)
{
	struct gupdemo_mirrored *m = container_of(mni, struct gupdemo_mirrored,
						notifier);
	unsigned long end = m->start + (m->npages << PAGE_SHIFT);
	unsigned long i, first, last;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&m->lock);
	else if (!mutex_trylock(&m->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	first = (max(range->start, m->start) - m->start) >> PAGE_SHIFT;
	last = DIV_ROUND_UP(min(range->end, end) - m->start, PAGE_SIZE);
	for (i = first; i < last; i++) {
		if (m->pfns[i]) {
			m->pfns[i] = 0;
			m->nvalid--;
		}
	}
	gupdemo_mirror_count(m, range->event);
	mutex_unlock(&m->lock);
	return true;
}

static const struct mmu_interval_notifier_ops gupdemo_mirror_ops = {
	.invalidate = gupdemo_mirror_invalidate,
};

/*
 * Fault the whole range into @pfns: the loop of hmm.rst.  Bounded by
 * HMM_RANGE_DEFAULT_TIMEOUT and killable.  Return: 0 with m->lock held and
 * @pfns current, or -errno: -EFAULT (the range, or the process, is gone),
 * -EPERM (a write mirror of memory that cannot be written), -EBUSY (kept
 * being invalidated), -EINTR.
 */
static int gupdemo_mirror_fault(struct gupdemo_mirrored *m, unsigned long *pfns)
{
	struct mm_struct *mm = m->notifier.mm;
	struct hmm_range range = {
		.notifier = &m->notifier,
		.start = m->start,
		.end = m->start + (m->npages << PAGE_SHIFT),
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT |
			((m->flags & GUPDEMO_MIRROR_WRITE) ? HMM_PFN_REQ_WRITE : 0),
	};
	unsigned long timeout = jiffies +
				msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	int ret;

	for (;;) {
		if (time_after(jiffies, timeout))
			return -EBUSY;
		if (fatal_signal_pending(current))
			return -EINTR;
		/* No mm reference across the lock: its last mmput() invalidates. */
		if (!mmget_not_zero(mm))
			return -EFAULT;
		range.notifier_seq = mmu_interval_read_begin(&m->notifier);
		ret = mmap_read_lock_killable(mm);
		if (!ret) {
			ret = hmm_range_fault(&range);
			mmap_read_unlock(mm);
		}
		mmput(mm);
		if (ret == -EBUSY)
			continue;
		if (ret)
			return ret;
		ret = mutex_lock_killable(&m->lock);
		if (ret)
			return ret;
		if (!mmu_interval_read_retry(&m->notifier, range.notifier_seq))
			return 0;
		m->retries++;
		mutex_unlock(&m->lock);
	}
}

/* The device's table takes what a fault found. */
static void gupdemo_mirror_fill(struct gupdemo_mirrored *m,
				const unsigned long *pfns)
{
	lockdep_assert_held(&m->lock);
	memcpy(m->pfns, pfns, m->npages * sizeof(*pfns));
	m->nvalid = m->npages;
	m->faults++;
}

/**
 * gupdemo_mirror_init() - register a range and fill the device's table
 * @m: zeroed
 * @addr: user address, in the calling process
 * @len: bytes
 * @flags: GUPDEMO_MIRROR_*
 *
 * Return: 0, or -EINVAL, -EOVERFLOW, -EFAULT, -E2BIG (as
 * gupdemo_user_range_check()), -ENOMEM, or what gupdemo_mirror_fault()
 * returns.
 */
int gupdemo_mirror_init(struct gupdemo_mirrored *m, u64 addr, u64 len,
			u32 flags)
{
	unsigned long *pfns;
	int ret;

	if (flags & ~GUPDEMO_MIRROR_ALL)
		return -EINVAL;
	ret = gupdemo_user_range_check(addr, len);
	if (ret)
		return ret;
	mutex_init(&m->lock);
	refcount_set(&m->ref, 1);
	m->addr = addr;
	m->len = len;
	m->start = addr & PAGE_MASK;
	m->npages = gupdemo_pin_span(addr, len);
	m->flags = flags;
	m->pfns = kvcalloc(m->npages, sizeof(*m->pfns), GFP_KERNEL_ACCOUNT);
	pfns = kvcalloc(m->npages, sizeof(*pfns), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!m->pfns || !pfns || gupdemo_should_fail())
		goto err_free;
	ret = mmu_interval_notifier_insert(&m->notifier, current->mm, m->start,
					   m->npages << PAGE_SHIFT,
					   &gupdemo_mirror_ops);
	if (ret)
		goto err_free;
	ret = gupdemo_mirror_fault(m, pfns);
	if (ret)
		goto err_remove;
	gupdemo_mirror_fill(m, pfns);
	mutex_unlock(&m->lock);
	kvfree(pfns);
	return 0;

err_remove:
	mmu_interval_notifier_remove(&m->notifier);
err_free:
	kvfree(pfns);
	kvfree(m->pfns);
	mutex_destroy(&m->lock);
	return ret;
}

/**
 * gupdemo_mirror_fini() - unregister the range; the device no longer uses it
 * @m: from gupdemo_mirror_init(), no DMA call on it
 *
 * Context: process context; waits for an invalidation in progress.
 */
void gupdemo_mirror_fini(struct gupdemo_mirrored *m)
{
	mmu_interval_notifier_remove(&m->notifier);
	kvfree(m->pfns);
	mutex_destroy(&m->lock);
}

/* The first @n entries are valid, and writable if @write. */
static bool gupdemo_mirror_current(const struct gupdemo_mirrored *m,
				   unsigned long n, bool write)
{
	unsigned long i, need = HMM_PFN_VALID | (write ? HMM_PFN_WRITE : 0);

	for (i = 0; i < n; i++)
		if ((m->pfns[i] & need) != need)
			return false;
	return true;
}

/* One scatterlist entry a page, from the table: the lock is held. */
static void gupdemo_mirror_fill_sg(const struct gupdemo_mirrored *m,
				   struct sg_table *sgt, size_t len)
{
	unsigned int offset = offset_in_page(m->addr), i;
	struct scatterlist *sg;

	for_each_sgtable_sg(sgt, sg, i) {
		size_t bytes = min_t(size_t, PAGE_SIZE - offset, len);

		sg_set_page(sg, hmm_pfn_to_page(m->pfns[i]), bytes, offset);
		len -= bytes;
		offset = 0;
	}
}

static int gupdemo_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Device-writable mappings of one page must not exist twice (see dma.c): a
 * range can map one file page at two addresses.  @tmp has room for the
 * table's first @n entries (allocated before the lock).
 */
static bool gupdemo_mirror_aliased(const struct gupdemo_mirrored *m,
				   unsigned long n, unsigned long *tmp)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		tmp[i] = page_to_pfn(hmm_pfn_to_page(m->pfns[i]));
	sort(tmp, n, sizeof(*tmp), gupdemo_cmp_ulong, NULL);
	for (i = 1; i < n; i++)
		if (tmp[i] == tmp[i - 1])
			return true;
	return false;
}

/**
 * gupdemo_mirror_dma_begin() - the pages for one transfer, under the lock
 * @m: the mirror, referenced by the caller
 * @sgt: (out) one entry per page of the first @len bytes, not yet mapped
 * @len: bytes, at most @m->len
 * @write: the device writes them
 *
 * Faults again whatever was invalidated since the table was filled.  On
 * success m->lock is held: invalidations of the range wait until
 * gupdemo_mirror_dma_end() (or gupdemo_mirror_dma_hold()).
 *
 * Return: 0, or -EINVAL (@len too long, or a written range that maps one
 * page twice), -EPERM (@write on a read-only mirror), -ENOMEM, -EINTR, or
 * what gupdemo_mirror_fault() returns (e.g. -EFAULT after munmap of the
 * range).
 */
int gupdemo_mirror_dma_begin(struct gupdemo_mirrored *m, struct sg_table *sgt,
			     size_t len, bool write)
{
	unsigned long n = gupdemo_pin_span(m->addr, len);
	unsigned long *pfns, *tmp = NULL;
	int ret;

	if (len > m->len)
		return -EINVAL;
	if (write && !(m->flags & GUPDEMO_MIRROR_WRITE))
		return -EPERM;
	ret = sg_alloc_table(sgt, n, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	ret = -ENOMEM;
	pfns = kvcalloc(m->npages, sizeof(*pfns), GFP_KERNEL_ACCOUNT);
	if (write)
		tmp = kvmalloc_array(n, sizeof(*tmp), GFP_KERNEL_ACCOUNT);
	if (!pfns || (write && !tmp))
		goto err_free;
	ret = mutex_lock_killable(&m->lock);
	if (ret)
		goto err_free;
	if (!gupdemo_mirror_current(m, n, write)) {
		mutex_unlock(&m->lock);
		ret = gupdemo_mirror_fault(m, pfns);
		if (ret)
			goto err_free;
		gupdemo_mirror_fill(m, pfns);
		m->refaults++;
		atomic64_inc(&gupdemo_stats.mirror_refaults);
	}
	if (write && gupdemo_mirror_aliased(m, n, tmp)) {
		mutex_unlock(&m->lock);
		ret = -EINVAL;
		goto err_free;
	}
	gupdemo_mirror_fill_sg(m, sgt, len);
	kvfree(tmp);
	kvfree(pfns);
	return 0;

err_free:
	kvfree(tmp);
	kvfree(pfns);
	sg_free_table(sgt);
	return ret;
}

/**
 * gupdemo_mirror_dma_end() - the device is done with the pages
 * @m: after gupdemo_mirror_dma_begin(), the table unmapped and freed
 * @written: bytes from the start the device may have written (0: none);
 *	their pages are marked dirty before the lock goes
 */
void gupdemo_mirror_dma_end(struct gupdemo_mirrored *m, size_t written)
{
	unsigned long i, n = written ? gupdemo_pin_span(m->addr, written) : 0;

	/* The lock held since dma_begin: no entry was invalidated since. */
	for (i = 0; i < n; i++)
		set_page_dirty(hmm_pfn_to_page(m->pfns[i]));
	mutex_unlock(&m->lock);
}
