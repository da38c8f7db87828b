/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgupdemo - userspace library for /dev/gupdemo
 *
 * Conventions, for every function below:
 *  - The return value is 0 on success or a negative errno value (-ENOENT,
 *    -EFAULT, ...).  errno is not part of the interface: callers must not
 *    look at it (it may or may not have been changed).
 *  - Outputs go through pointer arguments and are written only on success
 *    unless stated otherwise.  @fd is a descriptor from gupdemo_open().
 *  - The library keeps no mutable global state: everything it knows lives in
 *    the arguments and in the caller's file descriptors.  It is safe to call
 *    from several threads, on one fd or on several.
 *
 * The ioctl argument structures and constants are those of the uapi header
 * <linux/gupdemo.h>; the wrappers fill the "size" member themselves.  What
 * each ioctl does and returns: gupdemo(4) and the uapi header.
 */
#ifndef GUPDEMO_H
#define GUPDEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/gupdemo.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this library's API (bumped with incompatible changes). */
#define GUPDEMO_LIB_VERSION	2

/* Default path of the device node and name of the kernel module. */
#define GUPDEMO_DEV_PATH	"/dev/gupdemo"
#define GUPDEMO_MODULE_NAME	"gupdemo"

/* ---- Device and ioctls ---- */

/*
 * Opens @path (NULL: GUPDEMO_DEV_PATH) O_RDWR | O_CLOEXEC into *@fdp.
 * -ENOENT: no node (module not loaded); -EACCES: root-only (mode 0600).
 */
int gupdemo_open(const char *path, int *fdp);

/* Closes @fd (pins it still holds are released by the module); -EBADF. */
int gupdemo_close(int fd);

/* A raw ioctl, @arg passed unchanged (for tests of malformed arguments). */
int gupdemo_ioctl(int fd, unsigned long cmd, void *arg);

/* GET_INFO; -ENOTTY when @fd is not a gupdemo device. */
int gupdemo_get_info(int fd, struct gupdemo_info *info);

/*
 * PIN: the caller fills flags, addr, len, api, batch (__reserved 0); on
 * success handle, npages and get_ns are filled.
 */
int gupdemo_pin(int fd, struct gupdemo_pin *pin);

/* PIN of [addr, addr + len) with GUPDEMO_API_* @api, GUPDEMO_PIN_* @flags. */
int gupdemo_pin_range(int fd, const void *addr, size_t len, uint32_t api,
		      uint32_t flags, uint32_t *handle, uint64_t *npages);

/* UNPIN of unpin->handle with unpin->flags; put_ns is filled.  -ENOENT. */
int gupdemo_unpin(int fd, struct gupdemo_unpin *unpin);

/* UNPIN by handle; GUPDEMO_UNPIN_DIRTY when the device wrote. */
int gupdemo_unpin_handle(int fd, uint32_t handle, uint32_t flags);

/* QUERY of query->handle; the module fills the rest.  -ENOENT. */
int gupdemo_query(int fd, struct gupdemo_query *query);

/*
 * MIRROR: mirror a range, pin nothing.  The caller fills flags, addr and
 * len; handle and npages are filled.  -EOPNOTSUPP without HMM_MIRROR.
 */
int gupdemo_mirror(int fd, struct gupdemo_mirror *mirror);

/*
 * Convenience form of gupdemo_mirror(): @flags GUPDEMO_MIRROR_* (WRITE when
 * the device writes), @handle in the mirrors' own handle space, @npages
 * (may be NULL) the pages it spans.
 */
int gupdemo_mirror_range(int fd, const void *addr, size_t len, uint32_t flags,
			 uint32_t *handle, uint64_t *npages);

/* UNMIRROR; -ENOENT, or -EBUSY while a DMA call uses the mirror. */
int gupdemo_unmirror(int fd, uint32_t handle);

/* MIRROR_QUERY of query->handle: counters and events.  -ENOENT. */
int gupdemo_mirror_query(int fd, struct gupdemo_mirror_query *query);

/* DMA: the caller fills everything but size. */
int gupdemo_dma(int fd, struct gupdemo_dma *dma);

/*
 * BENCH: pin and release at once, timed: the bare GUP baseline the
 * PIN + UNPIN path is measured against; npages, get_ns and put_ns are
 * filled, nothing stays pinned.  Errors as gupdemo_pin().
 */
int gupdemo_bench(int fd, struct gupdemo_bench *bench);

/*
 * Pages of @page_size (a power of two, else -EINVAL) that [addr, addr +
 * len) touches (0 for len 0); -EOVERFLOW when addr + len wraps around.
 */
int gupdemo_page_span(uint64_t addr, uint64_t len, uint64_t page_size,
		      uint64_t *npages);

/* ---- Buffers of a memory kind ---- */

/* Size of a THP (PMD) and of a hugetlb page: x86-64's 2 MiB. */
#define GUPDEMO_HUGE_SIZE	((size_t)2 << 20)

/* What backs a buffer of gupdemo_buf_alloc(). */
enum gupdemo_mem {
	GUPDEMO_MEM_4K,		/* small pages only (MADV_NOHUGEPAGE) */
	GUPDEMO_MEM_THP,	/* GUPDEMO_HUGE_SIZE aligned, MADV_HUGEPAGE */
	GUPDEMO_MEM_HUGETLB,	/* MAP_HUGETLB, from vm.nr_hugepages */
};

/* Flags of gupdemo_buf_alloc(). */
#define GUPDEMO_BUF_TOUCH	(1u << 0)	/* write every page: populated */
#define GUPDEMO_BUF_ALL		GUPDEMO_BUF_TOUCH

/*
 * A private anonymous buffer of one memory kind; a zeroed struct is empty.
 * @len is the length asked rounded up to the kind's page size (the system
 * page size for 4K, GUPDEMO_HUGE_SIZE for THP and hugetlb).
 */
struct gupdemo_buf {
	void *p;		/* aligned to its kind's page size */
	size_t len;
	enum gupdemo_mem kind;
	void *map;		/* the whole mapping (a THP buffer's slack) */
	size_t maplen;
};

/**
 * gupdemo_buf_alloc() - map a buffer of a memory kind
 * @b: (out) the buffer; zeroed on failure, so gupdemo_buf_free() is safe
 * @kind: GUPDEMO_MEM_*
 * @len: bytes wanted, rounded up as struct gupdemo_buf says
 * @flags: GUPDEMO_BUF_* (GUPDEMO_BUF_TOUCH: one byte of every page is
 *	written, page i with i + 1, so every page is present before use)
 *
 * Whether THP really backs a GUPDEMO_MEM_THP buffer depends on
 * /sys/kernel/mm/transparent_hugepage/enabled and on fragmentation: count
 * the folios (GUPDEMO_IOC_QUERY) to know.
 *
 * Return: 0; -EINVAL for @len 0, an unknown @kind or unknown @flags bits;
 * -EOVERFLOW when @len rounded up does not fit a size_t; -EOPNOTSUPP for
 * GUPDEMO_MEM_THP on a kernel without THP (PREEMPT_RT refuses
 * MADV_HUGEPAGE); -ENOMEM, for hugetlb also when too few huge pages are
 * reserved; or another -errno of mmap(2)/madvise(2).
 */
int gupdemo_buf_alloc(struct gupdemo_buf *b, enum gupdemo_mem kind, size_t len,
		      unsigned int flags);

/* Unmaps @b (NULL, zeroed or freed already: nothing to do) and zeroes it. */
void gupdemo_buf_free(struct gupdemo_buf *b);

/* ---- Names (static strings; -EINVAL for an unknown value) ---- */

/* GUPDEMO_API_* to its short name, e.g. "pin_fast", and back. */
int gupdemo_api_name(uint32_t api, const char **name);
int gupdemo_api_from_name(const char *name, uint32_t *api);

/* Bit number of a GUPDEMO_FEAT_* (0: GUPDEMO_FEAT_PIN) to its name. */
int gupdemo_feature_name(unsigned int bit, const char **name);

/* ---- Kernel module (libkmod; @path NULL: "gupdemo" in /lib/modules) ---- */

/**
 * gupdemo_module_load() - load gupdemo.ko through libkmod
 * @path: module file, or NULL to look it up in /lib/modules/$(uname -r)
 * @options: module parameters ("max_pin_pages=1024 pin_batch=16"), or NULL
 * @already: (out, may be NULL) true when it was loaded already (nothing
 *	was done: not an error, its parameters are left as they are)
 *
 * Return: 0; -ENOENT when the file does not exist; -EPERM without
 * CAP_SYS_MODULE; -ENOEXEC when it was built for another kernel (see
 * gupdemo_module_vermagic()); another -errno from finit_module(2) or libkmod.
 */
int gupdemo_module_load(const char *path, const char *options, bool *already);

/*
 * Unloads the module; never waits, never forces.  -EAGAIN while it is in
 * use (a descriptor is open), -ENOENT when not loaded, -EPERM.
 */
int gupdemo_module_unload(void);

/* Whether the kernel lists the module (in any init state). */
int gupdemo_module_loaded(bool *loaded);

/* Its reference count (open descriptors and other users); -ENOENT. */
int gupdemo_module_refcnt(int *refcnt);

/*
 * The "vermagic" of a module file ("6.1.0-56-amd64 SMP ..."): which kernel
 * it was built for.  -ENOENT (no file or no vermagic), -ENAMETOOLONG.
 */
int gupdemo_module_vermagic(const char *path, char *buf, size_t size);

/* One parameter a module file declares. */
struct gupdemo_module_param {
	char name[64];		/* e.g. "max_pin_pages" */
	char type[32];		/* as modinfo says it ("uint"; "" if not) */
	char desc[256];		/* its MODULE_PARM_DESC ("" when none) */
};

/**
 * gupdemo_module_params() - the parameters of a module file (modinfo)
 * @path: module file (NULL: looked up as in gupdemo_module_load())
 * @params: (out) room for @max entries, filled in the file's order
 * @max: number of entries in @params
 * @n: (out) number of parameters the file declares; when more than @max,
 *	only the first @max are written
 *
 * The "parm" and "parmtype" entries of .modinfo, as `modinfo -p` reads
 * them; longer names, types or descriptions are cut.  Since 1.4.
 * Return: 0, -ENOENT, -EINVAL (@n NULL, or @params NULL with @max > 0).
 */
int gupdemo_module_params(const char *path, struct gupdemo_module_param *params,
			  size_t max, size_t *n);

/* ---- Kernel version ---- */

/* Same encoding as the kernel's KERNEL_VERSION() (sublevel clamped to 255). */
#define GUPDEMO_KERNEL_VERSION(a, b, c) \
	(((uint32_t)(a) << 16) + ((uint32_t)(b) << 8) + ((c) > 255 ? 255u : (uint32_t)(c)))

/*
 * LINUX_VERSION_CODE from utsname's release ("6.1.0-56-amd64") and version
 * (may be NULL; "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (...)").  Debian's
 * release carries the ABI number, not the sublevel: that is taken from
 * "Debian X.Y.Z" when its X.Y matches.  Pure.  -EINVAL: no "X.Y" release.
 */
int gupdemo_kernel_version_parse(const char *release, const char *version,
				 uint32_t *code);

/* The same for the running kernel (uname(2)). */
int gupdemo_kernel_version(uint32_t *code);

/* ---- /proc/vmstat pin counters ---- */

#define GUPDEMO_VMSTAT_PATH		"/proc/vmstat"
#define GUPDEMO_STAT_REFRESH_PATH	"/proc/sys/vm/stat_refresh"

/* The two FOLL_PIN counters of /proc/vmstat, in base pages. */
struct gupdemo_vmstat {
	uint64_t acquired;	/* nr_foll_pin_acquired */
	uint64_t released;	/* nr_foll_pin_released */
	bool refreshed;		/* after stat_refresh: exact (needs root) */
};

/*
 * One "name value" line of /proc/vmstat @text (a whole name at the start
 * of a line).  Pure.  -ENOENT: no such line; -EINVAL: malformed (no value,
 * not decimal, trailing junk) or the name twice; -ERANGE: beyond 64 bits.
 */
int gupdemo_vmstat_parse_field(const char *text, const char *name,
			       uint64_t *value);

/* Both pin counters from @text (refreshed = false).  Pure. */
int gupdemo_vmstat_parse(const char *text, struct gupdemo_vmstat *vs);

/*
 * Writes "1" to /proc/sys/vm/stat_refresh (folds the per-cpu deltas: exact
 * totals), then reads /proc/vmstat.  Without permission for the refresh
 * (not root) the counters are still read, refreshed false: they can lag by
 * a few pages.
 */
int gupdemo_vmstat_read(struct gupdemo_vmstat *vs);

/* The same with other files; @refresh_path NULL skips the refresh. */
int gupdemo_vmstat_read_paths(const char *refresh_path, const char *vmstat_path,
			      struct gupdemo_vmstat *vs);

/**
 * gupdemo_vmstat_settle() - the counters once what was pinned is released
 * @before: a reading taken before the operation
 * @after: (out) the last reading
 * @timeout_ms: how long to keep reading
 *
 * Some pins are released just after the system call that took them has
 * returned (an O_DIRECT read unpins from its bio completion, on PREEMPT_RT
 * about 1 read in 750 a few microseconds late).  This reads the counters
 * until the releases since @before have caught up with the acquisitions
 * since @before; it checks nothing else.
 *
 * Return: 0; -ETIMEDOUT (@after holds the last reading); -EINVAL for a
 * NULL pointer; -errno from reading /proc/vmstat.
 */
int gupdemo_vmstat_settle(const struct gupdemo_vmstat *before,
			  struct gupdemo_vmstat *after, unsigned int timeout_ms);

/* The same with other files, as gupdemo_vmstat_read_paths(). */
int gupdemo_vmstat_settle_paths(const char *refresh_path,
				const char *vmstat_path,
				const struct gupdemo_vmstat *before,
				struct gupdemo_vmstat *after,
				unsigned int timeout_ms);

/* ---- Bounded fault-in-and-retry for FAST_ONLY / NOFAULT pins ---- */

/* Default number of rounds for gupdemo_pin_retry(). */
#define GUPDEMO_RETRY_ROUNDS	4

/**
 * gupdemo_fault_in() - fault a user range in from userspace
 * @addr: start, any alignment
 * @len: length in bytes
 * @write: touch for writing (an atomic add of 0: concurrent writers keep
 *	their data) instead of reading
 *
 * Touches one byte of every page, after checking in /proc/self/maps that
 * every page is mapped with that permission (a hole or PROT_NONE gives
 * -EFAULT, not SIGSEGV; a mapped page that cannot be backed still SIGBUSes).
 * Return: 0, -EFAULT, -EOVERFLOW, or -errno from reading /proc/self/maps.
 */
int gupdemo_fault_in(void *addr, size_t len, bool write);

/**
 * gupdemo_pin_retry() - pin, and on failure fault in and retry, boundedly
 * @fd: descriptor
 * @pin: (in/out) as for gupdemo_pin(); for GUPDEMO_API_PIN_FAST_ONLY or
 *	GUPDEMO_PIN_NOFAULT pins, which never fault pages in themselves
 * @max_rounds: attempts in all (GUPDEMO_RETRY_ROUNDS; 0 is taken as 1)
 * @rounds: (out, may be NULL) attempts made, also on failure
 *
 * A round that fails with -EFAULT, or pins fewer pages than the range spans
 * (released first), faults the range in (for writing with
 * GUPDEMO_PIN_WRITE) before the next.  Bounded because of the gfs2 lesson:
 * on a special PTE (VM_PFNMAP, e.g. mmap of /dev/gupdemo) the fault-in
 * always succeeds and the no-fault pin always fails: a livelock.
 *
 * Return: 0 with the full span pinned; -EFAULT after @max_rounds rounds or
 * when the range cannot be faulted in; or the first other -errno.
 */
int gupdemo_pin_retry(int fd, struct gupdemo_pin *pin, unsigned int max_rounds,
		      unsigned int *rounds);

#ifdef __cplusplus
}
#endif

#endif /* GUPDEMO_H */
