/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gupdemo - user ABI of /dev/gupdemo
 *
 * Every ioctl argument begins with "__u32 size; __u32 flags;".  The kernel
 * copies it with copy_struct_from_user() semantics: a shorter struct (from
 * an older userspace) is zero-extended, a longer one is accepted only if the
 * bytes the kernel does not know are zero (else -E2BIG), and a size below the
 * first version of the struct is -EINVAL.  Reserved fields and unknown flag
 * bits must be zero (-EINVAL).  Unknown commands fail with -ENOTTY.
 *
 * The flag bits here are gupdemo's own; the module translates them to the
 * kernel's FOLL_* values, which differ between kernel versions.
 *
 * ioctl type: 0xBE ('\xbe'), not claimed in ioctl-number.rst; numbers 0x00
 * to 0x1f are gupdemo's.
 */
#ifndef _UAPI_LINUX_GUPDEMO_H
#define _UAPI_LINUX_GUPDEMO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define GUPDEMO_UAPI_VERSION	1
#define GUPDEMO_IOCTL_TYPE	0xBE

/* GUPDEMO_IOC_GET_INFO features */
#define GUPDEMO_FEAT_PIN		(1ULL << 0) /* PIN/UNPIN/QUERY */
#define GUPDEMO_FEAT_PIN_FAST_ONLY	(1ULL << 1) /* pin_user_pages_fast_only() exists */
#define GUPDEMO_FEAT_LONGTERM_UNLOCKED	(1ULL << 2) /* LONGTERM with *_unlocked() allowed */
#define GUPDEMO_FEAT_FAIL_INJECT	(1ULL << 3) /* debugfs fail_nth knob */
#define GUPDEMO_FEAT_MMAP_PFNMAP	(1ULL << 4) /* mmap() gives a VM_PFNMAP page */
#define GUPDEMO_FEAT_DMA		(1ULL << 5) /* GUPDEMO_IOC_DMA */
#define GUPDEMO_FEAT_ENGINE_SOFT	(1ULL << 6) /* software engine registered */
#define GUPDEMO_FEAT_ENGINE_EDU		(1ULL << 7) /* an edu device is bound */
#define GUPDEMO_FEAT_BENCH		(1ULL << 8) /* GUPDEMO_IOC_BENCH */
#define GUPDEMO_FEAT_MIRROR		(1ULL << 9) /* MIRROR/UNMIRROR/MIRROR_QUERY */
#define GUPDEMO_FEAT_DMA_IOVA		(1ULL << 10) /* DMA can link one IOVA range */
#define GUPDEMO_FEAT_DMA_KEEP		(1ULL << 11) /* GUPDEMO_DMA_KEEP_MAPPED */
/* A mirror keeps its DMA mapping across calls (<linux/hmm-dma.h>, 6.16+) */
#define GUPDEMO_FEAT_MIRROR_LIVE	(1ULL << 12)

/**
 * struct gupdemo_info - GUPDEMO_IOC_GET_INFO
 * @size: (in) sizeof(struct gupdemo_info)
 * @flags: (in) must be 0
 * @uapi_version: (out) GUPDEMO_UAPI_VERSION the module implements
 * @kernel_version: (out) LINUX_VERSION_CODE the module was built for
 * @features: (out) GUPDEMO_FEAT_* bits
 * @page_size: (out) PAGE_SIZE
 * @max_pin_pages: (out) value of the max_pin_pages module parameter
 * @pins_held: (out) handles held now, all files together
 * @pages_held: (out) pages pinned or referenced by those handles
 * @pins_total: (out) successful PIN calls since load
 * @failures_total: (out) failed PIN and DMA calls since load
 * @mirrors_held: (out) mirrors held now, all files together
 * @mirror_pages_held: (out) pages charged to those mirrors: what
 *	max_mirror_pages limits (each mirror is charged the pages it spans
 *	plus GUPDEMO_MIRROR_FIXED_PAGES)
 * @max_mirror_pages: (out) the max_mirror_pages module parameter: most
 *	pages all mirrors together may span
 * @max_mirror_pages_file: (out) the max_mirror_pages_file module parameter:
 *	most pages the mirrors of one open file may span
 */
struct gupdemo_info {
	__u32 size;
	__u32 flags;
	__u32 uapi_version;
	__u32 kernel_version;
	__aligned_u64 features;
	__u32 page_size;
	__u32 max_pin_pages;
	__aligned_u64 pins_held;
	__aligned_u64 pages_held;
	__aligned_u64 pins_total;
	__aligned_u64 failures_total;
	__aligned_u64 mirrors_held;
	__aligned_u64 mirror_pages_held;
	__u32 max_mirror_pages;
	__u32 max_mirror_pages_file;
};

/* struct gupdemo_pin.api: which exported GUP function pins the range */
#define GUPDEMO_API_PIN_FAST		0 /* pin_user_pages_fast() */
#define GUPDEMO_API_PIN			1 /* pin_user_pages() under mmap_read_lock */
#define GUPDEMO_API_PIN_UNLOCKED	2 /* pin_user_pages_unlocked() */
#define GUPDEMO_API_PIN_REMOTE		3 /* pin_user_pages_remote() on the caller's mm */
#define GUPDEMO_API_PIN_FAST_ONLY	4 /* pin_user_pages_fast_only(), before 6.3 */
#define GUPDEMO_API_GET_FAST		5 /* get_user_pages_fast(): FOLL_GET, put_page() */
#define GUPDEMO_API_COUNT		6

/* struct gupdemo_pin.flags */
#define GUPDEMO_PIN_WRITE	(1U << 0) /* FOLL_WRITE: the device will write */
#define GUPDEMO_PIN_LONGTERM	(1U << 1) /* FOLL_LONGTERM, charged to RLIMIT_MEMLOCK */
#define GUPDEMO_PIN_NOFAULT	(1U << 2) /* FOLL_NOFAULT: never fault pages in */
#define GUPDEMO_PIN_NO_RETRY	(1U << 3) /* one GUP call; keep a short count */
#define GUPDEMO_PIN_ALL		(GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM | \
				 GUPDEMO_PIN_NOFAULT | GUPDEMO_PIN_NO_RETRY)

/**
 * struct gupdemo_pin - GUPDEMO_IOC_PIN
 * @size: (in) sizeof(struct gupdemo_pin)
 * @flags: (in) GUPDEMO_PIN_* bits
 * @addr: (in) start of the user range, any alignment
 * @len: (in) length in bytes, > 0; the pages spanned are pinned
 * @api: (in) GUPDEMO_API_*
 * @batch: (in) pages per GUP call, 0 for the module's default
 * @handle: (out) names the pin in UNPIN, QUERY and DMA; > 0
 * @__reserved: must be 0
 * @npages: (out) pages pinned; less than the span only with NO_RETRY
 * @get_ns: (out) time spent in the GUP calls, in ns
 *
 * The pin is held by the open file until GUPDEMO_IOC_UNPIN or close().
 */
struct gupdemo_pin {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 len;
	__u32 api;
	__u32 batch;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 npages;
	__aligned_u64 get_ns;
};

/*
 * struct gupdemo_unpin.flags.  Without flags, UNPIN dirties the pages
 * exactly when a DMA call wrote them through the handle.
 *   DIRTY       dirty them even if no DMA wrote them (WRITE pins only)
 *   SKIP_DIRTY  do not dirty what a DMA wrote: the classic driver bug, for
 *               demonstrations; the filesystem may lose the device's data
 */
#define GUPDEMO_UNPIN_DIRTY	 (1U << 0)
#define GUPDEMO_UNPIN_SKIP_DIRTY (1U << 1)
#define GUPDEMO_UNPIN_ALL	(GUPDEMO_UNPIN_DIRTY | GUPDEMO_UNPIN_SKIP_DIRTY)

/**
 * struct gupdemo_unpin - GUPDEMO_IOC_UNPIN
 * @size: (in) sizeof(struct gupdemo_unpin)
 * @flags: (in) GUPDEMO_UNPIN_* bits
 * @handle: (in) from GUPDEMO_IOC_PIN
 * @__reserved: must be 0
 * @put_ns: (out) time spent unpinning, in ns
 *
 * Errors: -ENOENT (unknown handle), -EBUSY (a DMA call is using the handle,
 * or a device that would not stop still may write it), -EPERM (DIRTY on a
 * pin taken without GUPDEMO_PIN_WRITE, or on a GUPDEMO_API_GET_FAST handle
 * that holds file pages: see GUPDEMO_DMA_ALLOW_GET), -EINVAL (DIRTY with
 * SKIP_DIRTY).
 */
struct gupdemo_unpin {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 put_ns;
};

/**
 * struct gupdemo_query - GUPDEMO_IOC_QUERY
 * @size: (in) sizeof(struct gupdemo_query)
 * @flags: (in) must be 0
 * @handle: (in) from GUPDEMO_IOC_PIN
 * @api: (out) GUPDEMO_API_* the pin was made with
 * @pin_flags: (out) GUPDEMO_PIN_* the pin was made with
 * @__reserved: must be 0
 * @addr: (out) user address the pin started at
 * @len: (out) length asked for
 * @npages: (out) pages held
 * @npinned: (out) pages for which folio_maybe_dma_pinned() is true now
 * @nfolios: (out) distinct folios among the pages
 * @nzero: (out) pages that are the shared zero page
 * @kmem_bytes: (out) kernel memory the pin takes: its record of the pages
 *	(a page pointer each, or runs of contiguous pages: at most 8 bytes a
 *	page) and bookkeeping
 */
struct gupdemo_query {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 api;
	__u32 pin_flags;
	__u32 __reserved;
	__aligned_u64 addr;
	__aligned_u64 len;
	__aligned_u64 npages;
	__aligned_u64 npinned;
	__aligned_u64 nfolios;
	__aligned_u64 nzero;
	__aligned_u64 kmem_bytes;
};

/* struct gupdemo_dma.op */
#define GUPDEMO_DMA_TO_DEVICE	0 /* user memory -> device buffer: device reads */
#define GUPDEMO_DMA_FROM_DEVICE	1 /* device buffer -> user memory: device writes */
#define GUPDEMO_DMA_LOOPBACK	2 /* src -> device -> dst */
#define GUPDEMO_DMA_MEMCPY	3 /* baseline: CPU memcpy src -> dst, no device */
#define GUPDEMO_DMA_OP_COUNT	4

/* struct gupdemo_dma.engine */
#define GUPDEMO_ENGINE_AUTO	0 /* edu if bound, else soft */
#define GUPDEMO_ENGINE_EDU	1 /* QEMU edu device, 1234:11e8 */
#define GUPDEMO_ENGINE_SOFT	2 /* software engine: a workqueue that copies */
#define GUPDEMO_ENGINE_COUNT	3

/* struct gupdemo_dma.flags */
#define GUPDEMO_DMA_SRC_HANDLE	(1U << 0) /* src_handle names a held pin */
#define GUPDEMO_DMA_DST_HANDLE	(1U << 1) /* dst_handle names a held pin */
/*
 * A handle may be a FOLL_GET reference (GUPDEMO_API_GET_FAST).  Only to show
 * what goes wrong: a device writing through a FOLL_GET reference loses its
 * data to copy-on-write after fork().  Without this flag such a handle is
 * refused with EINVAL.  A reference does not keep reclaim from cleaning a
 * file page and stripping its buffers either, and dirtying it afterwards is
 * a kernel warning and lost data: so a FOLL_GET handle holding pages of a
 * file system's page cache (anything but anonymous, shmem/memfd and
 * hugetlb memory) is never dirtied, and a device write through it is
 * refused with EPERM, as is UNPIN with GUPDEMO_UNPIN_DIRTY.
 */
#define GUPDEMO_DMA_ALLOW_GET	(1U << 2)
/*
 * src_handle / dst_handle names a mirror (GUPDEMO_IOC_MIRROR), not a pin.
 * A call uses at most one side: TO_DEVICE from a mirror or FROM_DEVICE into
 * one (MIRROR_DST needs a mirror made with GUPDEMO_MIRROR_WRITE).
 */
#define GUPDEMO_DMA_SRC_MIRROR	(1U << 3)
#define GUPDEMO_DMA_DST_MIRROR	(1U << 4)
/*
 * How a side given by address or by pin handle is mapped for the device
 * (at most one of the two; neither is AUTO):
 *   AUTO  one IOVA range when the kernel has the two-step DMA API
 *         (dma_iova_try_alloc(), GUPDEMO_FEAT_DMA_IOVA) and the device sits
 *         behind an IOMMU that translates for it; else an sg_table
 *   SG    always an sg_table (dma_map_sgtable())
 *   IOVA  always one IOVA range; -EOPNOTSUPP where it cannot be had (a
 *         kernel without the API, or a device with no IOMMU DMA domain:
 *         no IOMMU, passthrough, the software engine)
 * A mirror side maps its own way: with a mirror, MAP_SG and MAP_IOVA are
 * -EINVAL.  The path taken is reported in src_path and dst_path.
 */
#define GUPDEMO_DMA_MAP_SG	(1U << 5)
#define GUPDEMO_DMA_MAP_IOVA	(1U << 6)
/*
 * KEEP_MAPPED: a side given by pin handle stays mapped after the call (a
 * held mapping), for the device of the engine that ran, until UNPIN,
 * close() or that device's unbind; later calls through the handle on that
 * engine use it, with or without this flag, and skip building, mapping
 * and unmapping (map_ns and unmap_ns 0 when every side is held).  The
 * whole pin is mapped, bidirectionally for a GUPDEMO_PIN_WRITE pin, else
 * for the device to read; MAP_SG and MAP_IOVA choose its path when it is
 * made.  A call through the handle on the other engine is -EXDEV.  Needs
 * a handle side (-EINVAL otherwise).
 */
#define GUPDEMO_DMA_KEEP_MAPPED	(1U << 7)
#define GUPDEMO_DMA_ALL		(GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE | \
				 GUPDEMO_DMA_ALLOW_GET | GUPDEMO_DMA_SRC_MIRROR | \
				 GUPDEMO_DMA_DST_MIRROR | GUPDEMO_DMA_MAP_SG | \
				 GUPDEMO_DMA_MAP_IOVA | GUPDEMO_DMA_KEEP_MAPPED)

/* struct gupdemo_dma.src_path, .dst_path: how a side was mapped */
#define GUPDEMO_DMA_PATH_NONE	0 /* side unused, or MEMCPY: not mapped */
#define GUPDEMO_DMA_PATH_SG	1 /* sg_table, dma_map_sgtable() */
#define GUPDEMO_DMA_PATH_IOVA	2 /* one IOVA range, dma_iova_link() per run */
#define GUPDEMO_DMA_PATH_HELD	(1U << 8) /* or-ed in: a held mapping */

/* struct gupdemo_dma.mirror_map */
#define GUPDEMO_DMA_MIRROR_MAP_NONE	0 /* no mirrored side */
#define GUPDEMO_DMA_MIRROR_MAP_CALL	1 /* an sg_table mapped for this call */
#define GUPDEMO_DMA_MIRROR_MAP_LIVE	2 /* the mirror's live mapping */

/**
 * struct gupdemo_dma - GUPDEMO_IOC_DMA
 * @size: (in) sizeof(struct gupdemo_dma)
 * @flags: (in) GUPDEMO_DMA_* bits
 * @op: (in) GUPDEMO_DMA_TO_DEVICE, _FROM_DEVICE, _LOOPBACK or _MEMCPY
 * @engine: (in) GUPDEMO_ENGINE_*; (out) the engine that ran
 * @src_handle: (in) with GUPDEMO_DMA_SRC_HANDLE: a held pin to read from
 * @dst_handle: (in) with GUPDEMO_DMA_DST_HANDLE: a held, writable pin
 * @src_addr: (in) without GUPDEMO_DMA_SRC_HANDLE: user range to read from,
 *	pinned for this call only
 * @dst_addr: (in) without GUPDEMO_DMA_DST_HANDLE: user range to write to,
 *	pinned for this call only
 * @len: (in) bytes to move, > 0; must fit in every handle used
 * @bytes: (out) bytes moved
 * @pin_ns: (out) time pinning the ranges given by address
 * @map_ns: (out) time mapping the sg_tables (dma_map_sgtable())
 * @xfer_ns: (out) time in the transfer
 * @unmap_ns: (out) time unmapping and freeing the sg_tables
 * @unpin_ns: (out) time unpinning the ranges given by address
 * @sg_ns: (out) time building the sg_tables, or reserving the IOVA ranges
 * @src_path: (out) GUPDEMO_DMA_PATH_* of the source
 * @dst_path: (out) GUPDEMO_DMA_PATH_* of the destination
 * @mirror_map: (out) how a mirrored side was mapped, GUPDEMO_DMA_MIRROR_MAP_*
 * @mirror_mapped: (out) entries (pages) of a mirrored side this call
 *	mapped: with the mirror's live mapping, those (re-)mapped because they
 *	were new or invalidated (0 when all were still mapped); mapped for the
 *	call, every entry
 *
 * TO_DEVICE uses only the source, FROM_DEVICE only the destination; the
 * other side's fields must be zero.  The device buffer is 4 KiB: a transfer
 * that does not fit wraps around in it.  @map_ns is dma_iova_link() of each
 * run and dma_iova_sync() on the IOVA path, @unmap_ns dma_iova_unlink() and
 * dma_iova_free().
 *
 * Errors of the mapping flags: -EOPNOTSUPP (MAP_IOVA where the IOVA path
 * cannot be used; KEEP_MAPPED on a device whose mappings are bounced
 * through swiotlb), -EXDEV (a handle held mapped for the other engine's
 * device), -EINVAL (MAP_SG with MAP_IOVA; either with a mirror or MEMCPY;
 * KEEP_MAPPED without a handle side).
 */
struct gupdemo_dma {
	__u32 size;
	__u32 flags;
	__u32 op;
	__u32 engine;
	__u32 src_handle;
	__u32 dst_handle;
	__aligned_u64 src_addr;
	__aligned_u64 dst_addr;
	__aligned_u64 len;
	__aligned_u64 bytes;
	__aligned_u64 pin_ns;
	__aligned_u64 map_ns;
	__aligned_u64 xfer_ns;
	__aligned_u64 unmap_ns;
	__aligned_u64 unpin_ns;
	__aligned_u64 sg_ns;
	__u32 src_path;
	__u32 dst_path;
	__u32 mirror_map;
	__u32 mirror_mapped;
};

/**
 * struct gupdemo_bench - GUPDEMO_IOC_BENCH: the bare GUP baseline
 * @size: (in) sizeof(struct gupdemo_bench)
 * @flags: (in) must be 0
 * @addr: (in) user range, as for GUPDEMO_IOC_PIN
 * @len: (in) length in bytes
 * @api: (in) GUPDEMO_API_*
 * @pin_flags: (in) GUPDEMO_PIN_WRITE, _LONGTERM and _NOFAULT only
 * @batch: (in) pages per GUP call, 0 for the module's default
 * @__reserved: must be 0
 * @npages: (out) pages pinned
 * @get_ns: (out) time in the GUP calls, in ns
 * @put_ns: (out) time releasing the pages, in ns
 *
 * Pins the range into a preallocated pages array with the same GUP calls
 * and batches as GUPDEMO_IOC_PIN, without accounting or handles, and
 * releases it at once: the floor that PIN + UNPIN are measured against
 * (like mm/gup_test.c).  Nothing is held afterwards.
 */
struct gupdemo_bench {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 len;
	__u32 api;
	__u32 pin_flags;
	__u32 batch;
	__u32 __reserved;
	__aligned_u64 npages;
	__aligned_u64 get_ns;
	__aligned_u64 put_ns;
};

/*
 * A mirror costs kernel memory in proportion to its range (8 bytes a page
 * of table, 8 more for one the device may write) and a fixed part (its
 * notifier and bookkeeping, about 512 bytes): the budgets charge it the
 * pages it spans plus this many, so many small mirrors cost their share.
 */
#define GUPDEMO_MIRROR_FIXED_PAGES	32

/* struct gupdemo_mirror.flags */
#define GUPDEMO_MIRROR_WRITE	(1U << 0) /* the device may write: fault writable */
#define GUPDEMO_MIRROR_ALL	GUPDEMO_MIRROR_WRITE

/**
 * struct gupdemo_mirror - GUPDEMO_IOC_MIRROR: mirror a range, pin nothing
 * @size: (in) sizeof(struct gupdemo_mirror)
 * @flags: (in) GUPDEMO_MIRROR_* bits
 * @handle: (out) names the mirror in DMA (GUPDEMO_DMA_*_MIRROR),
 *	GUPDEMO_IOC_MIRROR_QUERY and GUPDEMO_IOC_UNMIRROR
 * @__reserved: must be 0
 * @addr: (in) user address, any alignment
 * @len: (in) bytes, > 0; at most max_pin_pages pages.  Mirrors hold no
 *	pages, but their tables are kernel memory: each is charged the pages
 *	it spans plus GUPDEMO_MIRROR_FIXED_PAGES, all mirrors together at most
 *	max_mirror_pages, the mirrors of one open file at most
 *	max_mirror_pages_file (-ENOSPC past either)
 * @npages: (out) pages the mirror spans
 *
 * Registers an mmu_interval_notifier on the range of the calling process
 * and fills the device's table with hmm_range_fault().  No page is pinned
 * or referenced: the kernel may unmap, migrate or reclaim the pages at any
 * time, and tells the module first (an invalidation); the next DMA faults
 * them in again.  The mirror is held by the open file until
 * GUPDEMO_IOC_UNMIRROR or close().
 *
 * What PIN refuses, MIRROR refuses too: VM_IO and VM_PFNMAP ranges and
 * memfd_secret() memory are -EFAULT, as for PIN, at MIRROR and at any
 * later fault of a DMA call (the range may be mapped again); WRITE on a
 * read-only mapping is -EPERM (PIN says -EFAULT).  The
 * mirror names memory of the calling process: a DMA call on it from
 * another process (after fork(), or with the file passed on) is -EPERM;
 * MIRROR_QUERY and UNMIRROR work from anywhere.
 */
struct gupdemo_mirror {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 addr;
	__aligned_u64 len;
	__aligned_u64 npages;
};

/**
 * struct gupdemo_unmirror - GUPDEMO_IOC_UNMIRROR
 * @size: (in) sizeof(struct gupdemo_unmirror)
 * @flags: (in) must be 0
 * @handle: (in) from GUPDEMO_IOC_MIRROR
 * @__reserved: must be 0
 * @invalidations: (out) invalidations the range saw while it was mirrored
 */
struct gupdemo_unmirror {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 invalidations;
};

/* Indexes of struct gupdemo_mirror_query.events: what invalidated the range. */
#define GUPDEMO_MIRROR_EV_UNMAP		0 /* munmap(), mremap() */
#define GUPDEMO_MIRROR_EV_CLEAR		1 /* unmapped: migration, reclaim, COW, DONTNEED */
#define GUPDEMO_MIRROR_EV_PROT_VMA	2 /* mprotect() */
#define GUPDEMO_MIRROR_EV_PROT_PAGE	3 /* write-protect: fork() COW, writeback */
#define GUPDEMO_MIRROR_EV_SOFT_DIRTY	4 /* soft-dirty tracking */
#define GUPDEMO_MIRROR_EV_RELEASE	5 /* the mm is torn down (exit) */
#define GUPDEMO_MIRROR_EV_MIGRATE	6 /* migrate_vma (device memory) */
#define GUPDEMO_MIRROR_EV_OTHER		7 /* anything newer */
#define GUPDEMO_MIRROR_EVENTS		8

/**
 * struct gupdemo_mirror_query - GUPDEMO_IOC_MIRROR_QUERY
 * @size: (in) sizeof(struct gupdemo_mirror_query)
 * @flags: (in) must be 0
 * @handle: (in) from GUPDEMO_IOC_MIRROR
 * @mirror_flags: (out) GUPDEMO_MIRROR_* it was made with
 * @addr: (out) user address it started at
 * @len: (out) length asked for
 * @npages: (out) pages it spans
 * @nvalid: (out) pages the device's table holds now (not invalidated)
 * @faults: (out) hmm_range_fault() rounds that filled the table
 * @refaults: (out) of those, rounds a DMA needed because entries were
 *	invalidated
 * @retries: (out) rounds thrown away because an invalidation came in
 *	between (mmu_interval_read_retry())
 * @invalidations: (out) invalidations that hit the range
 * @events: (out) @invalidations by cause, GUPDEMO_MIRROR_EV_*
 * @live_engine: (out) GUPDEMO_ENGINE_* the mirror's live DMA mapping is
 *	for (the first engine that could take one), 0 while it has none
 * @live_nmapped: (out) entries of the live mapping mapped now
 * @live_mapped: (out) entries mapped into a live mapping in total
 * @live_unmapped: (out) entries an invalidation unmapped in total
 *
 * With GUPDEMO_FEAT_MIRROR_LIVE a mirror keeps its DMA mapping for one
 * engine's device across DMA calls, and an invalidation unmaps only the
 * entries it hits; the next DMA maps just those again.  A DMA with the
 * other engine, or with a device the mapping cannot serve (one that needs
 * bounce buffers or syncs, e.g. edu's 28-bit mask), maps an sg_table for
 * the call, as kernels without the feature always do.
 */
struct gupdemo_mirror_query {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 mirror_flags;
	__aligned_u64 addr;
	__aligned_u64 len;
	__aligned_u64 npages;
	__aligned_u64 nvalid;
	__aligned_u64 faults;
	__aligned_u64 refaults;
	__aligned_u64 retries;
	__aligned_u64 invalidations;
	__aligned_u64 events[GUPDEMO_MIRROR_EVENTS];
	__u32 live_engine;
	__u32 live_nmapped;
	__aligned_u64 live_mapped;
	__aligned_u64 live_unmapped;
};

/*
 * Like iommufd, the size lives in the struct, not in the command number, so
 * that a struct can grow without changing the command.
 */
#define GUPDEMO_IOC_GET_INFO	_IO(GUPDEMO_IOCTL_TYPE, 0x00)
#define GUPDEMO_IOC_PIN		_IO(GUPDEMO_IOCTL_TYPE, 0x01)
#define GUPDEMO_IOC_UNPIN	_IO(GUPDEMO_IOCTL_TYPE, 0x02)
#define GUPDEMO_IOC_QUERY	_IO(GUPDEMO_IOCTL_TYPE, 0x03)
#define GUPDEMO_IOC_DMA		_IO(GUPDEMO_IOCTL_TYPE, 0x04)
#define GUPDEMO_IOC_BENCH	_IO(GUPDEMO_IOCTL_TYPE, 0x05)
#define GUPDEMO_IOC_MIRROR	_IO(GUPDEMO_IOCTL_TYPE, 0x06)
#define GUPDEMO_IOC_UNMIRROR	_IO(GUPDEMO_IOCTL_TYPE, 0x07)
#define GUPDEMO_IOC_MIRROR_QUERY	_IO(GUPDEMO_IOCTL_TYPE, 0x08)

#endif /* _UAPI_LINUX_GUPDEMO_H */
