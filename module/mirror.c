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
 *   -> a DMA call faults again what was invalidated, with no lock held,
 *      takes the shared locks (the device-writable mapping, then the
 *      engine), then the mirror's lock last; if an invalidation came in between it
 *      lets go of everything and faults again, else it builds its sg_table
 *      from the table and keeps the lock until the device is done with the
 *      pages: dma_call.c maps, transfers, unmaps
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
 * the lock), never fault (a fault may invalidate) and never wait for
 * anything a stranger holds (another caller's transfer): the invalidate
 * callback waits for m->lock uninterruptibly, and exit, munmap, reclaim,
 * compaction and memory offline of the whole mm wait for the callback.
 * The sg_table is allocated, the range faulted and the shared locks taken
 * before m->lock; m->lock is held for one bounded transfer (the engine's
 * max_len) and no longer: an invalidation waits for at most the transfer
 * in flight and one queued on the mirror's lock from another engine.
 *
 * What GUP refuses, a mirror refuses too: hmm_range_fault() checks only
 * VM_IO/VM_PFNMAP and readability, so each fault also applies GUP's VMA
 * rules (gupdemo_mirror_vma_check()); memfd_secret() memory, for one, is
 * not in the kernel's direct map, and the software engine would fault on
 * it while edu would copy the secret out.
 *
 * A mirror names memory of the process that made it: a DMA call from any
 * other mm (a forked child, a file passed with SCM_RIGHTS) is refused, as
 * it would fault pages into, and read or write, an address space that is
 * not the caller's.
 *
 * A mirror's live mapping (kernels with <linux/hmm-dma.h>, 6.16+): instead
 * of mapping an sg_table per call, the mirror keeps one hmm_dma_map for the
 * first engine's device that can take one, and the DMA call maps only the
 * entries that are not mapped yet:
 *
 *   hmm_dma_map_alloc() at the first DMA call, before any lock (an IOVA
 *   range for the whole mirror where the device sits behind an IOMMU)
 *   -> under m->lock, hmm_dma_map_pfn() of each entry not yet mapped, and
 *      an sg_table for the engine whose CPU entries are the pages and whose
 *      DMA entries are the live addresses (gupdemo_mirror_live_view()),
 *      never given to dma_unmap_sgtable()
 *   -> the invalidate callback hmm_dma_unmap_pfn()s just the entries it
 *      clears, under m->lock; the next DMA maps those again
 *   -> every entry unmapped and hmm_dma_map_free() at UNMIRROR or close(),
 *      and before the engine's device goes (gupdemo_mirror_engine_gone())
 *
 * The map's pfn_list is written under m->lock only; hmm_range_fault()
 * fills m->scratch, zeroed each round.  Since 6.16 hmm_range_fault() keeps
 * the bits of HMM_PFN_INOUT_FLAGS (HMM_PFN_DMA_MAPPED and the P2P bits) of
 * its input: faulting into the map's list directly, with no lock held,
 * would read-modify-write HMM_PFN_DMA_MAPPED against the callback clearing
 * it.  So the sticky bit lives in the map's list alone, set by
 * hmm_dma_map_pfn() and cleared by hmm_dma_unmap_pfn(), both under m->lock.
 *
 * The kernel refuses a live mapping for a device that needs bounce
 * buffers or syncs (hmm_dma_map_alloc(): the mapping outlives any one
 * transfer, so buffer ownership cannot move): edu with its 28-bit mask
 * without an IOMMU, or under swiotlb=force.  Such a device, and the second
 * engine on a mirror already live for the first, get today's sg_table per
 * call, with its reach check and its errno (-ERANGE).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mmu_context.h>
#include <linux/sched/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swiotlb.h>

#include <uapi/linux/magic.h>

#include "compat.h"
#include "dma.h"
#include "gupdemo_private.h"
#include "mirror.h"

/**
 * struct gupdemo_mirror_live - a mirror's DMA mapping kept across calls
 * @map: the kernel's table: per entry the frame it maps (HMM pfn bits) and
 *	HMM_PFN_DMA_MAPPED, and the DMA addresses
 * @dev: the engine's device it maps for
 * @engine: GUPDEMO_ENGINE_* of @dev
 * @nmapped: entries mapped now
 * @frozen: a device that did not stop may still use it (the quarantine,
 *	dma_call.c): invalidations leave it alone and no call maps through
 *	it until gupdemo_mirror_dma_release()
 * @node: on gupdemo_mirror_lives
 * @m: its mirror
 *
 * Everything but @node is under the mirror's lock.
 */
struct gupdemo_mirror_live {
	struct hmm_dma_map map;
	struct device *dev;
	u32 engine;
	unsigned long nmapped;
	bool frozen;
	struct list_head node;
	struct gupdemo_mirrored *m;
};

/*
 * Every live mapping, so that one can be freed before its device goes.
 * Taken before a mirror's lock, never by the invalidate callback.
 */
static DEFINE_MUTEX(gupdemo_mirror_lives_lock);
static LIST_HEAD(gupdemo_mirror_lives);

/* Whether entries [@first, @last) hold a live DMA mapping. */
static bool gupdemo_mirror_live_any(const struct gupdemo_mirror_live *live,
				    unsigned long first, unsigned long last)
{
	unsigned long i;

	for (i = first; i < last; i++)
		if (live->map.pfn_list[i] & GUPDEMO_HMM_PFN_DMA_MAPPED)
			return true;
	return false;
}

/*
 * Unmap entries [@first, @last) of the live mapping; the mirror's lock is
 * held.  Return: how many were mapped.
 */
static unsigned long gupdemo_mirror_live_unmap(struct gupdemo_mirrored *m,
					       unsigned long first,
					       unsigned long last)
{
	struct gupdemo_mirror_live *live = m->live;
	unsigned long i, n = 0;

	lockdep_assert_held(&m->lock);
	for (i = first; i < last; i++) {
		if (hmm_dma_unmap_pfn(live->dev, &live->map, i))
			n++;
		live->map.pfn_list[i] = 0;
	}
	live->nmapped -= n;
	atomic64_sub(n, &gupdemo_stats.mirror_live_entries);
	return n;
}

/*
 * Take the live mapping off its mirror, every entry unmapped; both locks
 * held.  The caller frees it with gupdemo_mirror_live_free() afterwards.
 */
static struct gupdemo_mirror_live *
gupdemo_mirror_live_detach(struct gupdemo_mirrored *m)
{
	struct gupdemo_mirror_live *live = m->live;

	lockdep_assert_held(&gupdemo_mirror_lives_lock);
	lockdep_assert_held(&m->lock);
	if (!live)
		return NULL;
	gupdemo_mirror_live_unmap(m, 0, m->npages);
	list_del(&live->node);
	m->live = NULL;
	return live;
}

/* Free a detached live mapping (or none). */
static void gupdemo_mirror_live_free(struct gupdemo_mirror_live *live)
{
	if (!live)
		return;
	hmm_dma_map_free(live->dev, &live->map);
	kfree(live);
	atomic64_dec(&gupdemo_stats.mirror_live_maps);
}

/* Detach and free @m's live mapping, if any; no lock held. */
static void gupdemo_mirror_live_put(struct gupdemo_mirrored *m)
{
	struct gupdemo_mirror_live *live;

	mutex_lock(&gupdemo_mirror_lives_lock);
	mutex_lock(&m->lock);
	live = gupdemo_mirror_live_detach(m);
	mutex_unlock(&m->lock);
	mutex_unlock(&gupdemo_mirror_lives_lock);
	gupdemo_mirror_live_free(live);
}

/**
 * gupdemo_mirror_engine_gone() - free the live mappings for a device
 * @dev: an engine's device, unregistered: no DMA call uses it any more
 *
 * Called before the device goes.  A mapping a stuck command still uses
 * (frozen) is left to the quarantine, released once the device is
 * disabled, before the device goes too.
 *
 * Context: process context; takes each mirror's lock.
 */
void gupdemo_mirror_engine_gone(struct device *dev)
{
	struct gupdemo_mirror_live *live, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&gupdemo_mirror_lives_lock);
	list_for_each_entry_safe(live, tmp, &gupdemo_mirror_lives, node) {
		struct gupdemo_mirrored *m = live->m;

		if (live->dev != dev || live->frozen)
			continue;
		mutex_lock(&m->lock);
		gupdemo_mirror_live_detach(m);
		mutex_unlock(&m->lock);
		list_add(&live->node, &gone);
	}
	mutex_unlock(&gupdemo_mirror_lives_lock);
	list_for_each_entry_safe(live, tmp, &gone, node)
		gupdemo_mirror_live_free(live);
}

/*
 * The mirror's live mapping for @eng's device, made at its first DMA call
 * with no lock held (the tables are allocated with reclaim).  The first
 * device that can take one keeps it.  Return: 0 (a live mapping, or a
 * device that cannot have one: the call maps an sg_table), or -ENOMEM.
 */
static int gupdemo_mirror_live_attach(struct gupdemo_mirrored *m,
				      struct gupdemo_engine *eng)
{
	struct gupdemo_mirror_live *live;
	int ret = -ENOMEM;

	/* A racy look: the check under the lock below decides. */
	if (!GUPDEMO_HAVE_HMM_DMA || data_race(m->live) ||
	    dma_addressing_limited(eng->dev) ||
	    is_swiotlb_force_bounce(eng->dev))
		return 0;
	live = kzalloc(sizeof(*live), GFP_KERNEL_ACCOUNT);
	if (live && !gupdemo_should_fail())
		ret = hmm_dma_map_alloc(eng->dev, &live->map, m->npages,
					PAGE_SIZE);
	if (ret) {
		kfree(live);
		/* The device needs syncs or bounce buffers: per call. */
		return ret == -EOPNOTSUPP ? 0 : ret;
	}
	live->dev = eng->dev;
	live->engine = eng->id;
	live->m = m;
	atomic64_inc(&gupdemo_stats.mirror_live_maps);
	mutex_lock(&gupdemo_mirror_lives_lock);
	mutex_lock(&m->lock);
	if (!m->live) {
		m->live = live;
		list_add(&live->node, &gupdemo_mirror_lives);
		live = NULL;
	}
	mutex_unlock(&m->lock);
	mutex_unlock(&gupdemo_mirror_lives_lock);
	gupdemo_mirror_live_free(live);
	return 0;
}

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

	bool blockable = mmu_notifier_range_blockable(range);
	struct gupdemo_mirror_live *live;

	if (blockable)
		mutex_lock(&m->lock);
	else if (!mutex_trylock(&m->lock))
		return false;
	first = (max(range->start, m->start) - m->start) >> PAGE_SHIFT;
	last = DIV_ROUND_UP(min(range->end, end) - m->start, PAGE_SIZE);
	live = m->live && !m->live->frozen ? m->live : NULL;
	/*
	 * An unmap may flush the IOTLB and wait for the IOMMU: not where the
	 * caller (the OOM reaper) may not block.  It tries again later, as
	 * with RDMA ODP, which refuses every non-blockable invalidation.
	 */
	if (!blockable && live && gupdemo_mirror_live_any(live, first, last)) {
		mutex_unlock(&m->lock);
		return false;
	}
	mmu_interval_set_seq(mni, cur_seq);
	for (i = first; i < last; i++) {
		if (m->pfns[i]) {
			m->pfns[i] = 0;
			m->nvalid--;
		}
	}
	if (live) {
		unsigned long n = gupdemo_mirror_live_unmap(m, first, last);

		m->live_unmapped += n;
		atomic64_add(n, &gupdemo_stats.mirror_live_unmapped);
	}
	gupdemo_mirror_count(m, range->event);
	mutex_unlock(&m->lock);
	return true;
}

static const struct mmu_interval_notifier_ops gupdemo_mirror_ops = {
	.invalidate = gupdemo_mirror_invalidate,
};

/*
 * GUP's VMA rules (check_vma_flags() in mm/gup.c) that hmm_range_fault()
 * does not apply: memfd_secret() memory (not in the direct map; found by
 * its file system, as vma_is_secretmem() is not exported), a shadow stack
 * written, and protection keys that deny this thread the access.  Holes
 * and VM_IO/VM_PFNMAP ranges hmm_range_fault() refuses itself.
 */
static int gupdemo_mirror_vma_check(struct mm_struct *mm, unsigned long start,
				    unsigned long end, bool write)
{
	struct vm_area_struct *vma;

	mmap_assert_locked(mm);
	for (vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if (vma->vm_file &&
		    file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC)
			return -EFAULT;
		if (write && (vma->vm_flags & VM_SHADOW_STACK))
			return -EFAULT;
		if (!arch_vma_access_permitted(vma, write, false, false))
			return -EFAULT;
	}
	return 0;
}

/* The entries of pages [@first, @first + @n) are valid (and writable). */
static bool gupdemo_mirror_current(const struct gupdemo_mirrored *m,
				   unsigned long first, unsigned long n,
				   bool write)
{
	unsigned long i, need = HMM_PFN_VALID | (write ? HMM_PFN_WRITE : 0);

	lockdep_assert_held(&m->lock);
	for (i = first; i < first + n; i++)
		if ((m->pfns[i] & need) != need)
			return false;
	return true;
}

/*
 * The device's table takes what a fault of pages [@first, @first + @n)
 * found; the first chunk a call commits counts as one round (@refault: of
 * a DMA call).
 */
static void gupdemo_mirror_commit(struct gupdemo_mirrored *m,
				  unsigned long first, unsigned long n,
				  bool *counted, bool refault)
{
	unsigned long i;

	lockdep_assert_held(&m->lock);
	for (i = 0; i < n; i++) {
		if (!m->pfns[first + i])
			m->nvalid++;
		m->pfns[first + i] = m->scratch[i];
	}
	if (*counted)
		return;
	*counted = true;
	m->faults++;
	if (refault) {
		m->refaults++;
		atomic64_inc(&gupdemo_stats.mirror_refaults);
	}
}

/*
 * One hmm_range_fault() of @range (@n pages into m->scratch), under the
 * mmap lock, after GUP's VMA rules.  Return: 0, -EBUSY (invalidated
 * meanwhile: the caller retries), or -errno.
 */
static int gupdemo_mirror_fault_once(struct gupdemo_mirrored *m,
				     struct hmm_range *range, unsigned long n,
				     bool write)
{
	struct mm_struct *mm = m->notifier.mm;
	int ret;

	if (fatal_signal_pending(current))
		return -EINTR;
	/* No mm reference across the lock: its last mmput() invalidates. */
	if (!mmget_not_zero(mm))
		return -EFAULT;
	/* hmm_range_fault() keeps some input bits (6.16+): start at 0. */
	memset(m->scratch, 0, n * sizeof(*m->scratch));
	range->notifier_seq = mmu_interval_read_begin(&m->notifier);
	ret = mmap_read_lock_killable(mm);
	if (!ret) {
		ret = gupdemo_mirror_vma_check(mm, range->start, range->end,
					       write);
		if (!ret)
			ret = hmm_range_fault(range);
		mmap_read_unlock(mm);
	}
	mmput(mm);
	return ret;
}

/*
 * One chunk of at most GUPDEMO_MIRROR_CHUNK pages: the loop of hmm.rst,
 * skipped when the chunk is current.  Only retries (an invalidation came
 * in) are bounded, by HMM_RANGE_DEFAULT_TIMEOUT from the chunk's start: a
 * fault that merely takes long goes on.  Return: 0 with the chunk committed
 * and no lock held, or -errno: -EFAULT (the range, or the process, is
 * gone, or it is memory GUP refuses), -EPERM (a write fault of memory that
 * cannot be written), -EBUSY (still invalidated at the bound), -EINTR.
 */
static int gupdemo_mirror_fault_chunk(struct gupdemo_mirrored *m,
				      unsigned long first, unsigned long n,
				      bool write, bool *counted, bool refault)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct hmm_range range = {
		.notifier = &m->notifier,
		.start = m->start + (first << PAGE_SHIFT),
		.end = m->start + ((first + n) << PAGE_SHIFT),
		.hmm_pfns = m->scratch,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
	};
	int ret;

	for (;;) {
		ret = mutex_lock_killable(&m->lock);
		if (ret)
			return ret;
		if (gupdemo_mirror_current(m, first, n, write)) {
			mutex_unlock(&m->lock);
			return 0;
		}
		mutex_unlock(&m->lock);
		ret = gupdemo_mirror_fault_once(m, &range, n, write);
		if (ret && ret != -EBUSY)
			return ret;
		if (!ret) {
			ret = mutex_lock_killable(&m->lock);
			if (ret)
				return ret;
			if (!mmu_interval_read_retry(&m->notifier,
						     range.notifier_seq)) {
				gupdemo_mirror_commit(m, first, n, counted,
						      refault);
				mutex_unlock(&m->lock);
				return 0;
			}
			m->retries++;
			mutex_unlock(&m->lock);
		}
		/* Invalidated meanwhile: again, for a bounded time. */
		if (time_after(jiffies, deadline))
			return -EBUSY;
	}
}

/*
 * Fault pages [0, @n) of the range, with write access if @write, in chunks
 * that keep their progress: an invalidation of one chunk (the write fault
 * of the next can break COW or unshare a zero page or a KSM page) costs
 * that chunk again, not the whole range.  Each chunk's retries are
 * bounded by HMM_RANGE_DEFAULT_TIMEOUT and everything is killable.  The sequence
 * count is the whole mirror's: an invalidation of pages the call does not
 * use also makes a chunk retry.  Serialized per mirror by
 * m->fault_lock, which owns m->scratch.  Return: 0 with no lock held (an
 * invalidation may still come before the caller takes m->lock: it checks),
 * or what gupdemo_mirror_fault_chunk() returns.
 */
static int gupdemo_mirror_fault(struct gupdemo_mirrored *m, unsigned long n,
				bool write, bool refault)
{
	unsigned long first;
	bool counted = false;
	int ret;

	ret = mutex_lock_killable(&m->fault_lock);
	if (ret)
		return ret;
	for (first = 0; first < n && !ret; first += GUPDEMO_MIRROR_CHUNK)
		ret = gupdemo_mirror_fault_chunk(m, first,
						 min_t(unsigned long, n - first,
						       GUPDEMO_MIRROR_CHUNK),
						 write, &counted, refault);
	mutex_unlock(&m->fault_lock);
	return ret;
}

/**
 * gupdemo_mirror_init() - register a range and fill the device's table
 * @m: zeroed
 * @addr: user address, in the calling process
 * @len: bytes
 * @flags: GUPDEMO_MIRROR_*
 *
 * The table (and, for a mirror the device may write, the scratch array of
 * the alias check) is allocated here once: DMA calls allocate nothing in
 * proportion to the mirror.
 *
 * Return: 0, or -EINVAL, -EOVERFLOW, -EFAULT, -E2BIG (as
 * gupdemo_user_range_check()), -ENOMEM, or what gupdemo_mirror_fault()
 * returns.
 */
int gupdemo_mirror_init(struct gupdemo_mirrored *m, u64 addr, u64 len,
			u32 flags)
{
	int ret;

	if (flags & ~GUPDEMO_MIRROR_ALL)
		return -EINVAL;
	ret = gupdemo_user_range_check(addr, len);
	if (ret)
		return ret;
	mutex_init(&m->lock);
	mutex_init(&m->fault_lock);
	m->addr = addr;
	m->len = len;
	m->start = addr & PAGE_MASK;
	m->npages = gupdemo_pin_span(addr, len);
	m->flags = flags;
	m->pfns = kvcalloc(m->npages, sizeof(*m->pfns), GFP_KERNEL_ACCOUNT);
	m->scratch = kvmalloc_array(min(m->npages, GUPDEMO_MIRROR_CHUNK),
				    sizeof(*m->scratch), GFP_KERNEL_ACCOUNT);
	if (flags & GUPDEMO_MIRROR_WRITE)
		m->alias = kvmalloc_array(m->npages, sizeof(*m->alias),
					  GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!m->pfns || !m->scratch ||
	    ((flags & GUPDEMO_MIRROR_WRITE) && !m->alias) ||
	    gupdemo_should_fail())
		goto err_free;
	ret = mmu_interval_notifier_insert(&m->notifier, current->mm, m->start,
					   m->npages << PAGE_SHIFT,
					   &gupdemo_mirror_ops);
	if (ret)
		goto err_free;
	ret = gupdemo_mirror_fault(m, m->npages,
				   flags & GUPDEMO_MIRROR_WRITE, false);
	if (ret)
		goto err_remove;
	return 0;

err_remove:
	mmu_interval_notifier_remove(&m->notifier);
err_free:
	kvfree(m->alias);
	kvfree(m->scratch);
	kvfree(m->pfns);
	mutex_destroy(&m->fault_lock);
	mutex_destroy(&m->lock);
	return ret;
}

/**
 * gupdemo_mirror_fini() - unregister the range; the device no longer uses it
 * @m: from gupdemo_mirror_init(), no DMA call on it
 *
 * Its live mapping, if any, is unmapped and freed.
 *
 * Context: process context; waits for an invalidation in progress.
 */
void gupdemo_mirror_fini(struct gupdemo_mirrored *m)
{
	mmu_interval_notifier_remove(&m->notifier);
	gupdemo_mirror_live_put(m);
	kvfree(m->alias);
	kvfree(m->scratch);
	kvfree(m->pfns);
	mutex_destroy(&m->fault_lock);
	mutex_destroy(&m->lock);
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
 * Device-writable mappings of one page must not exist twice (see
 * dma_call.c): a range can map one file page at two addresses.  m->alias,
 * allocated with the mirror, is the scratch of the sort; the lock is held.
 */
static bool gupdemo_mirror_aliased(struct gupdemo_mirrored *m, unsigned long n)
{
	unsigned long i;

	lockdep_assert_held(&m->lock);
	for (i = 0; i < n; i++)
		m->alias[i] = page_to_pfn(hmm_pfn_to_page(m->pfns[i]));
	sort(m->alias, n, sizeof(*m->alias), gupdemo_cmp_ulong, NULL);
	for (i = 1; i < n; i++)
		if (m->alias[i] == m->alias[i - 1])
			return true;
	return false;
}

/**
 * gupdemo_mirror_dma_prepare() - fault what one transfer needs; no lock held
 * @m: the mirror, referenced by the caller
 * @eng: the engine of the call, held by the caller
 * @sgt: (out) allocated with one entry per page of the first @len bytes,
 *	not filled
 * @len: bytes, at most @m->len
 * @write: the device writes them
 *
 * Faults again, with write access only when the device writes, just the
 * pages of the first @len bytes that were invalidated since they were
 * faulted.  At the mirror's first call on a device that can have one, the
 * live mapping is allocated.  The caller takes its shared locks, then
 * gupdemo_mirror_dma_lock().
 *
 * Return: 0, or -EINVAL (@len too long), -EPERM (@write on a read-only
 * mirror, or a caller whose mm is not the mirror's), -ENOMEM, or what
 * gupdemo_mirror_fault() returns (e.g. -EFAULT after munmap of the range).
 */
int gupdemo_mirror_dma_prepare(struct gupdemo_mirrored *m,
			       struct gupdemo_engine *eng,
			       struct sg_table *sgt, size_t len, bool write)
{
	unsigned long n = gupdemo_pin_span(m->addr, len);
	int ret;

	if (len > m->len)
		return -EINVAL;
	if (write && !(m->flags & GUPDEMO_MIRROR_WRITE))
		return -EPERM;
	if (current->mm != m->notifier.mm)
		return -EPERM;
	ret = gupdemo_mirror_fault(m, n, write, true);
	if (!ret)
		ret = gupdemo_mirror_live_attach(m, eng);
	if (ret)
		return ret;
	return sg_alloc_table(sgt, n, GFP_KERNEL_ACCOUNT);
}

/**
 * gupdemo_mirror_dma_lock() - take the mirror's lock, the table current
 * @m: after gupdemo_mirror_dma_prepare()
 * @sgt: its table, filled here
 * @len: as for gupdemo_mirror_dma_prepare()
 * @write: as for gupdemo_mirror_dma_prepare()
 *
 * On success m->lock is held: invalidations of the range wait until
 * gupdemo_mirror_dma_end() (or gupdemo_mirror_dma_hold()).
 *
 * Return: 0, -EAGAIN (an entry was invalidated since it was faulted: let go
 * of every lock and prepare again), -EINVAL (a written range that maps one
 * page twice), -EINTR.
 */
int gupdemo_mirror_dma_lock(struct gupdemo_mirrored *m, struct sg_table *sgt,
			    size_t len, bool write)
{
	unsigned long n = gupdemo_pin_span(m->addr, len);
	int ret;

	ret = mutex_lock_killable(&m->lock);
	if (ret)
		return ret;
	if (!gupdemo_mirror_current(m, 0, n, write))
		ret = -EAGAIN;
	else if (write && gupdemo_mirror_aliased(m, n))
		ret = -EINVAL;
	if (ret) {
		mutex_unlock(&m->lock);
		return ret;
	}
	gupdemo_mirror_fill_sg(m, sgt, len);
	return 0;
}

/*
 * The call's view of a live mapping: @sgt's CPU entries are the pages
 * (gupdemo_mirror_fill_sg()), its DMA entries are filled here from the
 * live addresses, mapping each entry that is not mapped yet (a new one,
 * or one an invalidation unmapped).  The table is the call's; the mapping
 * is the mirror's: it is never given to dma_unmap_sgtable().  The lock is
 * held.  Return: 0 with *@mapped increased by the entries mapped, or
 * -ENOMEM (the DMA layer could not map one; those mapped stay).
 */
static int gupdemo_mirror_live_view(struct gupdemo_mirrored *m,
				    struct sg_table *sgt, u32 *mapped)
{
	struct gupdemo_mirror_live *live = m->live;
	unsigned long *pfn = live->map.pfn_list;
	struct scatterlist *sg;
	unsigned int i;

	lockdep_assert_held(&m->lock);
	if (gupdemo_should_fail())
		return -ENOMEM;
	for_each_sgtable_sg(sgt, sg, i) {
		bool was = pfn[i] & GUPDEMO_HMM_PFN_DMA_MAPPED;
		dma_addr_t addr;

		/* Invalidations unmap first: a mapped entry maps this frame. */
		if (was && hmm_pfn_to_page(pfn[i]) !=
			   hmm_pfn_to_page(m->pfns[i])) {
			gupdemo_mirror_live_unmap(m, i, i + 1);
			was = false;
		}
		if (!was)
			pfn[i] = m->pfns[i];
		/* A mapped entry: its address, nothing mapped again. */
		addr = hmm_dma_map_pfn(live->dev, &live->map, i, NULL);
		if (addr == DMA_MAPPING_ERROR)
			return -ENOMEM;
		if (!was) {
			live->nmapped++;
			m->live_mapped++;
			(*mapped)++;
			atomic64_inc(&gupdemo_stats.mirror_live_entries);
			atomic64_inc(&gupdemo_stats.mirror_live_mapped);
		}
		sg_dma_address(sg) = addr + sg->offset;
		sg_dma_len(sg) = sg->length;
	}
	sgt->nents = sgt->orig_nents;
	return 0;
}

/**
 * gupdemo_mirror_dma_map() - map a call's table: live, or for this call
 * @m: after gupdemo_mirror_dma_lock() (its lock held)
 * @dev: the engine's device
 * @map: the call's mapping: @map->sgt's CPU entries filled; on success
 *	@map->mapped is set
 * @mapped: (out) increased by the entries this call mapped
 *
 * Through the mirror's live mapping when it is for @dev and not frozen,
 * else dma_map_sgtable() for this call (gupdemo_dma_map()).  The caller
 * frees the table (gupdemo_dma_unprepare()) either way.
 *
 * Return: GUPDEMO_DMA_PATH_HELD or-ed with the live mapping's path (IOVA
 * when it is one IOVA range, else SG): unmap with
 * gupdemo_mirror_dma_unmap(..., true); 0 (mapped for the call); or -errno.
 */
int gupdemo_mirror_dma_map(struct gupdemo_mirrored *m, struct device *dev,
			   struct gupdemo_dma_map *map, u32 *mapped)
{
	int ret;

	lockdep_assert_held(&m->lock);
	if (!m->live || m->live->dev != dev || m->live->frozen) {
		*mapped = map->sgt.orig_nents;
		return gupdemo_dma_map(dev, map, NULL);
	}
	ret = gupdemo_mirror_live_view(m, &map->sgt, mapped);
	if (ret)
		return ret;
	map->mapped = true;
	return GUPDEMO_DMA_PATH_HELD |
	       (dma_use_iova(&m->live->map.state) ? GUPDEMO_DMA_PATH_IOVA :
						     GUPDEMO_DMA_PATH_SG);
}

/**
 * gupdemo_mirror_dma_unmap() - undo gupdemo_mirror_dma_map() for a call
 * @dev: the engine's device
 * @map: the call's mapping; the caller frees its table
 * @live: gupdemo_mirror_dma_map() returned a path: the mapping stays, only
 *	the call's view of it goes
 */
void gupdemo_mirror_dma_unmap(struct device *dev, struct gupdemo_dma_map *map,
			      bool live)
{
	if (live)
		map->mapped = false;
	else
		gupdemo_dma_unmap(dev, map);
}

/**
 * gupdemo_mirror_live_query() - the live mapping's part of MIRROR_QUERY
 * @m: the mirror, its lock held
 * @q: filled in
 */
void gupdemo_mirror_live_query(struct gupdemo_mirrored *m,
			       struct gupdemo_mirror_query *q)
{
	lockdep_assert_held(&m->lock);
	q->live_engine = m->live ? m->live->engine : 0;
	q->live_nmapped = m->live ? m->live->nmapped : 0;
	q->live_mapped = m->live_mapped;
	q->live_unmapped = m->live_unmapped;
}

/**
 * gupdemo_mirror_dma_end() - the device is done with the pages
 * @m: after gupdemo_mirror_dma_lock(), the table unmapped
 * @written: bytes from the start the device may have written (0: none);
 *	their pages are marked dirty before the lock goes
 */
void gupdemo_mirror_dma_end(struct gupdemo_mirrored *m, size_t written)
{
	unsigned long i, n = written ? gupdemo_pin_span(m->addr, written) : 0;

	/* The lock held since dma_lock: no entry was invalidated since. */
	lockdep_assert_held(&m->lock);
	for (i = 0; i < n; i++)
		set_page_dirty(hmm_pfn_to_page(m->pfns[i]));
	mutex_unlock(&m->lock);
}

/**
 * gupdemo_mirror_dma_hold() - a device that did not stop keeps the pages
 * @m: after gupdemo_mirror_dma_lock()
 * @sgt: its table, still mapped
 * @live: mapped through the live mapping: it is frozen (entries past the
 *	call unmapped; invalidations and other calls leave it alone) until
 *	gupdemo_mirror_dma_release()
 *
 * The pages were never pinned: take a reference on each, so that they are
 * not freed while the device may still write them, and let invalidations
 * go on.  That is a trade-off for a broken device, not a guarantee: a page
 * that is only write-protected (writeback, mprotect) stays mapped and in
 * the page cache, and the device's stray writes to it are not tracked as
 * dirty; folio_maybe_dma_pinned() does not see a reference either.
 * gupdemo_mirror_dma_release() drops them once the device is disabled.
 */
void gupdemo_mirror_dma_hold(struct gupdemo_mirrored *m, struct sg_table *sgt,
			     bool live)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i)
		get_page(sg_page(sg));
	if (live) {
		gupdemo_mirror_live_unmap(m, sgt->orig_nents, m->npages);
		m->live->frozen = true;
	}
	mutex_unlock(&m->lock);
}

/**
 * gupdemo_mirror_dma_release() - drop what gupdemo_mirror_dma_hold() took
 * @m: the mirror, still referenced by the quarantined call
 * @sgt: the table, unmapped (the caller frees it)
 * @live: as for gupdemo_mirror_dma_hold(): the frozen live mapping is
 *	unmapped and freed; the device is disabled now
 */
void gupdemo_mirror_dma_release(struct gupdemo_mirrored *m,
				struct sg_table *sgt, bool live)
{
	struct scatterlist *sg;
	unsigned int i;

	if (live)
		gupdemo_mirror_live_put(m);
	for_each_sgtable_sg(sgt, sg, i)
		put_page(sg_page(sg));
}
