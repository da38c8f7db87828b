/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version shims for gupdemo.  Every #if on LINUX_VERSION_CODE lives
 * here and nowhere else; the rest of the module calls the gupdemo_compat_*
 * names.  Shims key on the kernel version, never on raw FOLL_* values (they
 * were renumbered in 6.3).
 */
#ifndef _GUPDEMO_COMPAT_H
#define _GUPDEMO_COMPAT_H

#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/version.h>
#include <linux/workqueue.h>

/*
 * Out-of-tree code has to look at the kernel version; this is the one
 * place it does (checkpatch's LINUX_VERSION_CODE warning is ignored for
 * this reason, see "make lint").
 */
#define GUPDEMO_BUILT_FOR		LINUX_VERSION_CODE
#define GUPDEMO_KERNEL_BEFORE(a, b, c)	(KERNEL_VERSION(a, b, c) > GUPDEMO_BUILT_FOR)

/*
 * 6.5 dropped the vmas argument of pin_user_pages() and
 * pin_user_pages_remote().  gupdemo never wants the vmas.
 *
 * pin_user_pages_remote() is called with the mmap lock held and locked ==
 * NULL: before 6.3, FOLL_LONGTERM together with a non-NULL locked WARNs.
 */
#if GUPDEMO_KERNEL_BEFORE(6, 5, 0)
static inline long gupdemo_compat_pin_user_pages(unsigned long start,
						 unsigned long nr_pages,
						 unsigned int gup_flags,
						 struct page **pages)
{
	return pin_user_pages(start, nr_pages, gup_flags, pages, NULL);
}

static inline long gupdemo_compat_pin_user_pages_remote(struct mm_struct *mm,
							unsigned long start,
							unsigned long nr_pages,
							unsigned int gup_flags,
							struct page **pages)
{
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, NULL);
}
#else
static inline long gupdemo_compat_pin_user_pages(unsigned long start,
						 unsigned long nr_pages,
						 unsigned int gup_flags,
						 struct page **pages)
{
	return pin_user_pages(start, nr_pages, gup_flags, pages);
}

static inline long gupdemo_compat_pin_user_pages_remote(struct mm_struct *mm,
							unsigned long start,
							unsigned long nr_pages,
							unsigned int gup_flags,
							struct page **pages)
{
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL);
}
#endif

/*
 * pin_user_pages_fast_only() was removed in 6.3 (its last user went away).
 * Where it is gone, GUPDEMO_API_PIN_FAST_ONLY fails with -EOPNOTSUPP.
 */
#if GUPDEMO_KERNEL_BEFORE(6, 3, 0)
#define GUPDEMO_HAVE_PIN_FAST_ONLY	1
static inline long gupdemo_compat_pin_user_pages_fast_only(unsigned long start,
							   unsigned long nr_pages,
							   unsigned int gup_flags,
							   struct page **pages)
{
	return pin_user_pages_fast_only(start, nr_pages, gup_flags, pages);
}
#else
#define GUPDEMO_HAVE_PIN_FAST_ONLY	0
static inline long gupdemo_compat_pin_user_pages_fast_only(unsigned long start,
							   unsigned long nr_pages,
							   unsigned int gup_flags,
							   struct page **pages)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * Before 6.3, *_unlocked() with FOLL_LONGTERM hits a WARN_ON_ONCE() and
 * returns -EINVAL; the module refuses that combination itself so that no
 * user can trigger the WARN.
 */
#if GUPDEMO_KERNEL_BEFORE(6, 3, 0)
#define GUPDEMO_HAVE_LONGTERM_UNLOCKED	0
#else
#define GUPDEMO_HAVE_LONGTERM_UNLOCKED	1
#endif

/*
 * VM_SHADOW_STACK (6.6): a mirror refuses to write a shadow stack, as GUP
 * does.  Where the kernel has no user shadow stacks, no VMA is one.
 */
#ifndef VM_SHADOW_STACK
#define VM_SHADOW_STACK	VM_NONE
#endif

/**
 * gupdemo_nth_page() - the page @n frames after @page
 * @page: a page
 * @n: how many frames further
 *
 * For frames known to be contiguous (the pages of one folio, one
 * scatterlist entry, one run of the pin record).  nth_page() did this
 * until 6.18 removed it; going through the frame number is right on every
 * kernel and memory model, including SPARSEMEM without VMEMMAP, where the
 * struct pages of contiguous frames need not be contiguous themselves.
 *
 * Return: the struct page of frame page_to_pfn(@page) + @n.
 */
static inline struct page *gupdemo_nth_page(struct page *page,
					    unsigned long n)
{
	return pfn_to_page(page_to_pfn(page) + n);
}

/*
 * WQ_PERCPU exists since 6.17, and 7.x's alloc_workqueue() WARNs when
 * given neither it nor WQ_UNBOUND (the default is moving to unbound; 6.18
 * does not WARN yet, 7.3 does).  GUPDEMO_WQ_PERCPU asks for what older
 * kernels gave by default: a per-CPU workqueue.  WQ_PERCPU is an enum
 * constant, not a macro: #ifdef cannot see it.
 */
#if GUPDEMO_KERNEL_BEFORE(6, 17, 0)
#define GUPDEMO_WQ_PERCPU	0
#else
#define GUPDEMO_WQ_PERCPU	WQ_PERCPU
#endif

/*
 * The two-step DMA API (6.16): dma_iova_try_alloc() reserves one IOVA range,
 * dma_iova_link() maps each physically contiguous run into it,
 * dma_iova_sync() flushes the IOTLB once, dma_iova_unlink() and
 * dma_iova_free() undo it.  Before 6.16 none of it exists: these stand-ins
 * say "no IOVA path" (dma_iova_try_alloc() false, as the kernel's own does
 * for a device without an IOMMU DMA domain), so dma.c reads the same on
 * every kernel and always falls back to the sg_table.
 *
 * DMA_ATTR_REQUIRE_COHERENT (7.x) makes dma_iova_link() refuse what would
 * need CPU cache maintenance or a bounce buffer: a held IOVA mapping asks
 * for it, since nothing syncs an IOVA range between two transfers.
 */
#if GUPDEMO_KERNEL_BEFORE(6, 16, 0)
#define GUPDEMO_HAVE_DMA_IOVA	0
struct dma_iova_state {
	dma_addr_t addr;
	u64 __size;
};

static inline bool dma_use_iova(struct dma_iova_state *state)
{
	return false;
}

static inline bool dma_iova_try_alloc(struct device *dev,
				      struct dma_iova_state *state,
				      phys_addr_t phys, size_t size)
{
	memset(state, 0, sizeof(*state));
	return false;
}

static inline int dma_iova_link(struct device *dev,
				struct dma_iova_state *state, phys_addr_t phys,
				size_t offset, size_t size,
				enum dma_data_direction dir,
				unsigned long attrs)
{
	return -EOPNOTSUPP;
}

static inline int dma_iova_sync(struct device *dev,
				struct dma_iova_state *state, size_t offset,
				size_t size)
{
	return -EOPNOTSUPP;
}

static inline void dma_iova_unlink(struct device *dev,
				   struct dma_iova_state *state, size_t offset,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
}

static inline void dma_iova_free(struct device *dev,
				 struct dma_iova_state *state)
{
}
#else
#define GUPDEMO_HAVE_DMA_IOVA	1
#endif

#ifdef DMA_ATTR_REQUIRE_COHERENT
#define GUPDEMO_DMA_ATTR_HELD_IOVA	DMA_ATTR_REQUIRE_COHERENT
#else
#define GUPDEMO_DMA_ATTR_HELD_IOVA	0
#endif

/*
 * <linux/hmm-dma.h> (6.16): a mirror's DMA mapping that stays alive across
 * calls (mirror.c).  Where it is missing, the stubs say "not for this
 * device" and the mirror maps each call's sg_table as before.
 */
#if GUPDEMO_KERNEL_BEFORE(6, 16, 0)
#define GUPDEMO_HAVE_HMM_DMA		0
#define GUPDEMO_HMM_PFN_DMA_MAPPED	0UL

struct hmm_dma_map {
	struct dma_iova_state state;
	unsigned long *pfn_list;
};

static inline int hmm_dma_map_alloc(struct device *dev,
				    struct hmm_dma_map *map,
				    size_t nr_entries, size_t dma_entry_size)
{
	return -EOPNOTSUPP;
}

static inline void hmm_dma_map_free(struct device *dev,
				    struct hmm_dma_map *map)
{
}

static inline dma_addr_t hmm_dma_map_pfn(struct device *dev,
					 struct hmm_dma_map *map, size_t idx,
					 void *p2pdma_state)
{
	return DMA_MAPPING_ERROR;
}

static inline bool hmm_dma_unmap_pfn(struct device *dev,
				     struct hmm_dma_map *map, size_t idx)
{
	return false;
}
#else
#include <linux/hmm.h>
#include <linux/hmm-dma.h>
#define GUPDEMO_HAVE_HMM_DMA		1
#define GUPDEMO_HMM_PFN_DMA_MAPPED	HMM_PFN_DMA_MAPPED
#endif

#endif /* _GUPDEMO_COMPAT_H */
