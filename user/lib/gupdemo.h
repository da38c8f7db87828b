/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgupdemo - userspace library for /dev/gupdemo
 *
 * Conventions, for every function below:
 *  - The return value is 0 on success or a negative errno value (-ENOENT,
 *    -EFAULT, ...).  errno is not part of the interface: callers must not
 *    look at it (it may or may not have been changed).
 *  - Outputs go through pointer arguments and are written only on success
 *    unless stated otherwise.
 *  - The library keeps no mutable global state: everything it knows lives in
 *    the arguments and in the caller's file descriptors.  It is safe to call
 *    from several threads, on one fd or on several.
 *
 * The ioctl argument structures and constants are those of the uapi header
 * <linux/gupdemo.h>; the wrappers fill the "size" member themselves.
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

/* ------------------------------------------------------------------ */
/* Device and ioctls                                                   */
/* ------------------------------------------------------------------ */

/**
 * gupdemo_open() - open the gupdemo device
 * @path: device node, or NULL for GUPDEMO_DEV_PATH (tests pass their own)
 * @fdp: (out) the new file descriptor, opened O_RDWR | O_CLOEXEC
 *
 * Return: 0, or -ENOENT when the node does not exist (module not loaded),
 * -EACCES when it is not accessible (the node is root-only, mode 0600), or
 * another -errno from open(2).
 */
int gupdemo_open(const char *path, int *fdp);

/**
 * gupdemo_close() - close a descriptor from gupdemo_open()
 * @fd: the descriptor; pins it still holds are released by the module
 *
 * Return: 0 or -errno from close(2) (-EBADF for a descriptor not open).
 */
int gupdemo_close(int fd);

/**
 * gupdemo_ioctl() - issue a raw ioctl on the device
 * @fd: descriptor
 * @cmd: ioctl number
 * @arg: argument, passed unchanged (its size field is not touched)
 *
 * For tests that need to send malformed arguments.
 * Return: 0 or -errno.
 */
int gupdemo_ioctl(int fd, unsigned long cmd, void *arg);

/**
 * gupdemo_get_info() - GUPDEMO_IOC_GET_INFO
 * @fd: descriptor
 * @info: (out) filled by the module; the library sets size and flags = 0
 *
 * Return: 0 or -errno (-ENOTTY: @fd is not a gupdemo device).
 */
int gupdemo_get_info(int fd, struct gupdemo_info *info);

/**
 * gupdemo_pin() - GUPDEMO_IOC_PIN
 * @fd: descriptor
 * @pin: (in/out) the caller fills flags, addr, len, api, batch (and leaves
 *	__reserved 0); the library sets size.  On success handle, npages and
 *	get_ns are filled.
 *
 * Return: 0 or -errno from the module (see the uapi header and README).
 */
int gupdemo_pin(int fd, struct gupdemo_pin *pin);

/**
 * gupdemo_pin_range() - convenience form of gupdemo_pin()
 * @fd: descriptor
 * @addr: start of the user range
 * @len: length in bytes
 * @api: GUPDEMO_API_*
 * @flags: GUPDEMO_PIN_*
 * @handle: (out) handle of the new pin
 * @npages: (out, may be NULL) pages pinned
 *
 * Return: 0 or -errno.
 */
int gupdemo_pin_range(int fd, const void *addr, size_t len, uint32_t api,
		      uint32_t flags, uint32_t *handle, uint64_t *npages);

/**
 * gupdemo_unpin() - GUPDEMO_IOC_UNPIN
 * @fd: descriptor
 * @unpin: (in/out) the caller fills handle and flags; the library sets size.
 *	On success put_ns is filled.
 *
 * Return: 0, -ENOENT for an unknown or already released handle, or -errno.
 */
int gupdemo_unpin(int fd, struct gupdemo_unpin *unpin);

/**
 * gupdemo_unpin_handle() - convenience form of gupdemo_unpin()
 * @fd: descriptor
 * @handle: from gupdemo_pin()
 * @flags: GUPDEMO_UNPIN_* (GUPDEMO_UNPIN_DIRTY when the device wrote)
 *
 * Return: 0 or -errno.
 */
int gupdemo_unpin_handle(int fd, uint32_t handle, uint32_t flags);

/**
 * gupdemo_query() - GUPDEMO_IOC_QUERY
 * @fd: descriptor
 * @query: (in/out) the caller fills handle; the library sets size and
 *	flags = 0.  The module fills the rest.
 *
 * Return: 0, -ENOENT for an unknown handle, or -errno.
 */
int gupdemo_query(int fd, struct gupdemo_query *query);

/**
 * gupdemo_mirror() - GUPDEMO_IOC_MIRROR: mirror a range, pin nothing
 * @fd: descriptor
 * @mirror: (in/out) the caller fills flags, addr and len; the library sets
 *	size.  On success handle and npages are filled.
 *
 * Return: 0, -EOPNOTSUPP on a kernel without HMM_MIRROR, or -errno.
 */
int gupdemo_mirror(int fd, struct gupdemo_mirror *mirror);

/**
 * gupdemo_mirror_range() - convenience form of gupdemo_mirror()
 * @fd: descriptor
 * @addr: start of the user range
 * @len: length in bytes
 * @flags: GUPDEMO_MIRROR_* (GUPDEMO_MIRROR_WRITE when the device writes)
 * @handle: (out) the mirror's handle (its own space, not a pin's)
 * @npages: (out, may be NULL) pages the mirror spans
 *
 * Return: 0 or -errno.
 */
int gupdemo_mirror_range(int fd, const void *addr, size_t len, uint32_t flags,
			 uint32_t *handle, uint64_t *npages);

/**
 * gupdemo_unmirror() - GUPDEMO_IOC_UNMIRROR
 * @fd: descriptor
 * @handle: from gupdemo_mirror()
 *
 * Return: 0, -ENOENT for an unknown handle, -EBUSY while a DMA call uses
 * it, or -errno.
 */
int gupdemo_unmirror(int fd, uint32_t handle);

/**
 * gupdemo_mirror_query() - GUPDEMO_IOC_MIRROR_QUERY
 * @fd: descriptor
 * @query: (in/out) the caller fills handle; the library sets size and
 *	flags = 0.  The module fills the rest (counters, events).
 *
 * Return: 0, -ENOENT for an unknown handle, or -errno.
 */
int gupdemo_mirror_query(int fd, struct gupdemo_mirror_query *query);

/**
 * gupdemo_dma() - GUPDEMO_IOC_DMA
 * @fd: descriptor
 * @dma: (in/out) the caller fills everything but size; the library sets size
 *
 * Return: 0 or -errno.
 */
int gupdemo_dma(int fd, struct gupdemo_dma *dma);

/**
 * gupdemo_bench() - GUPDEMO_IOC_BENCH: pin and release at once, timed
 * @fd: descriptor
 * @bench: (in/out) the caller fills everything but size; the library sets
 *	size.  On success npages, get_ns and put_ns are filled.
 *
 * The bare GUP baseline the PIN + UNPIN path is measured against; nothing
 * stays pinned.
 * Return: 0 or -errno (as for gupdemo_pin()).
 */
int gupdemo_bench(int fd, struct gupdemo_bench *bench);

/**
 * gupdemo_page_span() - number of pages spanned by [addr, addr + len)
 * @addr: start, any alignment
 * @len: length in bytes
 * @page_size: page size, a power of two
 * @npages: (out) pages touched by the range (0 for len 0)
 *
 * Return: 0, -EINVAL for a page size that is not a power of two, or
 * -EOVERFLOW when addr + len wraps around.
 */
int gupdemo_page_span(uint64_t addr, uint64_t len, uint64_t page_size,
		      uint64_t *npages);

/* ------------------------------------------------------------------ */
/* Buffers of a memory kind                                            */
/* ------------------------------------------------------------------ */

/* Size of a THP (PMD) and of a hugetlb page: x86-64's 2 MiB. */
#define GUPDEMO_HUGE_SIZE	((size_t)2 << 20)

/**
 * enum gupdemo_mem - what backs a buffer of gupdemo_buf_alloc()
 * @GUPDEMO_MEM_4K: small pages only (MADV_NOHUGEPAGE: THP is "always" on
 *	Debian; a kernel without THP has nothing else)
 * @GUPDEMO_MEM_THP: transparent huge pages: GUPDEMO_HUGE_SIZE aligned,
 *	MADV_HUGEPAGE
 * @GUPDEMO_MEM_HUGETLB: hugetlb pages (MAP_HUGETLB), from the reserve of
 *	/proc/sys/vm/nr_hugepages
 */
enum gupdemo_mem {
	GUPDEMO_MEM_4K,
	GUPDEMO_MEM_THP,
	GUPDEMO_MEM_HUGETLB,
};

/* Flags of gupdemo_buf_alloc(). */
#define GUPDEMO_BUF_TOUCH	(1u << 0)	/* write every page: populated */
#define GUPDEMO_BUF_ALL		GUPDEMO_BUF_TOUCH

/**
 * struct gupdemo_buf - a private anonymous buffer of one memory kind
 * @p: the buffer, aligned to its kind's page size
 * @len: its length: the length asked, rounded up to the kind's page size
 *	(the system page size for 4K, GUPDEMO_HUGE_SIZE for THP and hugetlb)
 * @kind: the memory kind
 * @map: the whole mapping (with the alignment slack of a THP buffer)
 * @maplen: its length
 *
 * A zeroed struct is an empty buffer: gupdemo_buf_free() of it does nothing.
 */
struct gupdemo_buf {
	void *p;
	size_t len;
	enum gupdemo_mem kind;
	void *map;
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
 * GUPDEMO_MEM_THP on a kernel without transparent huge pages (it refuses
 * MADV_HUGEPAGE: PREEMPT_RT); -ENOMEM, for hugetlb also when too few huge
 * pages are reserved; or another -errno of mmap(2)/madvise(2).
 */
int gupdemo_buf_alloc(struct gupdemo_buf *b, enum gupdemo_mem kind, size_t len,
		      unsigned int flags);

/**
 * gupdemo_buf_free() - unmap a buffer of gupdemo_buf_alloc()
 * @b: the buffer (NULL, zeroed or freed already: nothing to do); zeroed
 */
void gupdemo_buf_free(struct gupdemo_buf *b);

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

/**
 * gupdemo_api_name() - short name of a GUPDEMO_API_* value
 * @api: GUPDEMO_API_*
 * @name: (out) e.g. "pin_fast", a static string
 *
 * Return: 0 or -EINVAL for an unknown value.
 */
int gupdemo_api_name(uint32_t api, const char **name);

/**
 * gupdemo_api_from_name() - inverse of gupdemo_api_name()
 * @name: a name as returned by gupdemo_api_name()
 * @api: (out) GUPDEMO_API_*
 *
 * Return: 0 or -EINVAL.
 */
int gupdemo_api_from_name(const char *name, uint32_t *api);

/**
 * gupdemo_feature_name() - short name of one GUPDEMO_FEAT_* bit
 * @bit: bit number (0 for GUPDEMO_FEAT_PIN, ...)
 * @name: (out) e.g. "pin_fast_only", a static string ("bench" for bit 8)
 *
 * Return: 0 or -EINVAL for a bit this library does not know.
 */
int gupdemo_feature_name(unsigned int bit, const char **name);

/* ------------------------------------------------------------------ */
/* Kernel module (libkmod)                                             */
/* ------------------------------------------------------------------ */

/**
 * gupdemo_module_load() - load gupdemo.ko through libkmod
 * @path: module file; NULL looks "gupdemo" up in /lib/modules/$(uname -r)
 * @options: module parameters ("max_pin_pages=1024 pin_batch=16"), or NULL
 * @already: (out, may be NULL) set to true when the module was loaded
 *	already (nothing was done), false when this call loaded it
 *
 * A module that is loaded already is not an error: the call returns 0 and
 * its parameters are left as they are.
 *
 * Return: 0; -ENOENT when @path (or the looked-up module) does not exist;
 * -EPERM without CAP_SYS_MODULE; -ENOEXEC when the file was built for
 * another kernel (see gupdemo_module_vermagic()); another -errno from
 * init_module(2)/finit_module(2) or libkmod.
 */
int gupdemo_module_load(const char *path, const char *options, bool *already);

/**
 * gupdemo_module_unload() - unload the gupdemo module through libkmod
 *
 * Never waits and never forces.
 *
 * Return: 0; -EAGAIN while the module is in use (a descriptor is open);
 * -ENOENT when it is not loaded; -EPERM without CAP_SYS_MODULE; or -errno.
 */
int gupdemo_module_unload(void);

/**
 * gupdemo_module_loaded() - whether the gupdemo module is loaded
 * @loaded: (out) true when the kernel lists it (in any init state)
 *
 * Return: 0 or -errno when the state cannot be determined.
 */
int gupdemo_module_loaded(bool *loaded);

/**
 * gupdemo_module_refcnt() - reference count of the loaded module
 * @refcnt: (out) open descriptors and other users
 *
 * Return: 0, -ENOENT when it is not loaded, or -errno.
 */
int gupdemo_module_refcnt(int *refcnt);

/**
 * gupdemo_module_vermagic() - the "vermagic" string of a module file
 * @path: module file (NULL: looked up as in gupdemo_module_load())
 * @buf: (out) NUL-terminated vermagic, e.g. "6.1.0-56-amd64 SMP ..."
 * @size: size of @buf
 *
 * Tells which kernel a module file was built for.
 * Return: 0, -ENOENT (no file or no vermagic), -ENAMETOOLONG when @buf is
 * too small, or -errno.
 */
int gupdemo_module_vermagic(const char *path, char *buf, size_t size);

/**
 * struct gupdemo_module_param - one parameter a module file declares
 * @name: its name, e.g. "max_pin_pages"
 * @type: its type as modinfo says it ("uint", ...; "" when not said)
 * @desc: its MODULE_PARM_DESC ("" when none)
 */
struct gupdemo_module_param {
	char name[64];
	char type[32];
	char desc[256];
};

/**
 * gupdemo_module_params() - the parameters of a module file (modinfo)
 * @path: module file (NULL: looked up as in gupdemo_module_load())
 * @params: (out) room for @max entries, filled in the file's order
 * @max: number of entries in @params
 * @n: (out) number of parameters the file declares; when more than @max,
 *	only the first @max are written
 *
 * Reads the "parm" and "parmtype" entries of the file's .modinfo, as
 * `modinfo -p` does; longer names, types or descriptions are cut.
 * Since 1.4 (GUPDEMO_1.4; GUPDEMO_2 since 2.0).
 * Return: 0, -ENOENT (no such file or module), -EINVAL (@n NULL, or
 * @params NULL with @max > 0), or -errno.
 */
int gupdemo_module_params(const char *path, struct gupdemo_module_param *params,
			  size_t max, size_t *n);

/* ------------------------------------------------------------------ */
/* Kernel version                                                      */
/* ------------------------------------------------------------------ */

/* Same encoding as the kernel's KERNEL_VERSION() (sublevel clamped to 255). */
#define GUPDEMO_KERNEL_VERSION(a, b, c) \
	(((uint32_t)(a) << 16) + ((uint32_t)(b) << 8) + ((c) > 255 ? 255u : (uint32_t)(c)))

/**
 * gupdemo_kernel_version_parse() - LINUX_VERSION_CODE from uname strings
 * @release: utsname.release, e.g. "6.12.117+deb12-amd64" or "6.1.0-56-amd64"
 * @version: utsname.version (may be NULL), e.g.
 *	"#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2025-01-01)"
 * @code: (out) KERNEL_VERSION(major, minor, sublevel)
 *
 * Debian's release string carries the ABI number ("6.1.0-56"), not the
 * sublevel the kernel was built with; the sublevel is then taken from
 * "Debian X.Y.Z" in @version when its X.Y matches the release.  This is a
 * pure function (host-testable).
 *
 * Return: 0 or -EINVAL when @release does not start with "X.Y".
 */
int gupdemo_kernel_version_parse(const char *release, const char *version,
				 uint32_t *code);

/**
 * gupdemo_kernel_version() - LINUX_VERSION_CODE of the running kernel
 * @code: (out) as gupdemo_kernel_version_parse() computes it from uname(2)
 *
 * Return: 0 or -errno.
 */
int gupdemo_kernel_version(uint32_t *code);

/* ------------------------------------------------------------------ */
/* /proc/vmstat pin counters                                           */
/* ------------------------------------------------------------------ */

#define GUPDEMO_VMSTAT_PATH		"/proc/vmstat"
#define GUPDEMO_STAT_REFRESH_PATH	"/proc/sys/vm/stat_refresh"

/**
 * struct gupdemo_vmstat - the two FOLL_PIN counters of /proc/vmstat
 * @acquired: nr_foll_pin_acquired (base pages; a pinned 2 MiB THP = 512)
 * @released: nr_foll_pin_released
 * @refreshed: true when /proc/sys/vm/stat_refresh was written before the
 *	read, i.e. the values are exact (needs root)
 */
struct gupdemo_vmstat {
	uint64_t acquired;
	uint64_t released;
	bool refreshed;
};

/**
 * gupdemo_vmstat_parse_field() - one "name value" line of /proc/vmstat text
 * @text: NUL-terminated contents of /proc/vmstat
 * @name: field name; matches a whole name at the start of a line
 * @value: (out) the decimal value
 *
 * Pure function.
 * Return: 0; -ENOENT when no line has that name; -EINVAL when the line is
 * malformed (no value, not decimal, trailing junk) or the name appears
 * twice; -ERANGE when the value does not fit in 64 bits.
 */
int gupdemo_vmstat_parse_field(const char *text, const char *name,
			       uint64_t *value);

/**
 * gupdemo_vmstat_parse() - both pin counters from /proc/vmstat text
 * @text: NUL-terminated contents of /proc/vmstat
 * @vs: (out) acquired and released; refreshed is set to false
 *
 * Pure function (host-testable).
 * Return: 0, or the first error of gupdemo_vmstat_parse_field() (-ENOENT
 * when the kernel has no such counters).
 */
int gupdemo_vmstat_parse(const char *text, struct gupdemo_vmstat *vs);

/**
 * gupdemo_vmstat_read() - refresh and read the pin counters
 * @vs: (out) the counters
 *
 * Writes "1" to /proc/sys/vm/stat_refresh (folds the per-cpu deltas, so the
 * totals are exact), then reads /proc/vmstat.  If the refresh is not
 * permitted (not root) the counters are still read and vs->refreshed is
 * false: they can then lag by a few pages.
 *
 * Return: 0 or -errno from reading or parsing /proc/vmstat.
 */
int gupdemo_vmstat_read(struct gupdemo_vmstat *vs);

/**
 * gupdemo_vmstat_read_paths() - gupdemo_vmstat_read() with other files
 * @refresh_path: file to write "1" to, or NULL to skip the refresh
 * @vmstat_path: file to read
 * @vs: (out) the counters
 *
 * Return: as gupdemo_vmstat_read().
 */
int gupdemo_vmstat_read_paths(const char *refresh_path, const char *vmstat_path,
			      struct gupdemo_vmstat *vs);

/**
 * gupdemo_vmstat_settle() - the counters once what was pinned has been released
 * @before: a reading taken before the operation
 * @after: (out) the last reading
 * @timeout_ms: how long to keep reading
 *
 * Some kernel pins are released just after the system call that took them
 * has returned: an O_DIRECT read wakes the reader from its bio completion and
 * unpins the pages right after (on PREEMPT_RT measured at about 1 read in
 * 750, a few microseconds late).  A reading taken at once can then show
 * released behind acquired.  This reads the counters (as
 * gupdemo_vmstat_read()) until the releases since @before have caught up
 * with the acquisitions since @before, for at most @timeout_ms.  It checks
 * nothing else: the caller still compares the deltas with what it expects.
 *
 * Return: 0 when they caught up, -ETIMEDOUT when they had not after
 * @timeout_ms (@after holds the last reading), -EINVAL for a NULL pointer,
 * or -errno from reading /proc/vmstat.
 */
int gupdemo_vmstat_settle(const struct gupdemo_vmstat *before,
			  struct gupdemo_vmstat *after, unsigned int timeout_ms);

/**
 * gupdemo_vmstat_settle_paths() - gupdemo_vmstat_settle() with other files
 * @refresh_path: as gupdemo_vmstat_read_paths()
 * @vmstat_path: as gupdemo_vmstat_read_paths()
 * @before: as gupdemo_vmstat_settle()
 * @after: as gupdemo_vmstat_settle()
 * @timeout_ms: as gupdemo_vmstat_settle()
 *
 * Return: as gupdemo_vmstat_settle().
 */
int gupdemo_vmstat_settle_paths(const char *refresh_path,
				const char *vmstat_path,
				const struct gupdemo_vmstat *before,
				struct gupdemo_vmstat *after,
				unsigned int timeout_ms);

/* ------------------------------------------------------------------ */
/* Bounded fault-in-and-retry for FAST_ONLY / NOFAULT pins             */
/* ------------------------------------------------------------------ */

/* Default number of rounds for gupdemo_pin_retry(). */
#define GUPDEMO_RETRY_ROUNDS	4

/**
 * gupdemo_fault_in() - fault a user range in from userspace
 * @addr: start, any alignment
 * @len: length in bytes
 * @write: touch for writing (an atomic add of 0: the data is preserved even
 *	with concurrent writers) instead of reading
 *
 * Touches one byte in every page of the range.  Before touching it checks
 * /proc/self/maps that every page is mapped with the needed permission, so
 * a hole or a PROT_NONE page gives -EFAULT instead of SIGSEGV.  (A page that
 * is mapped but cannot be backed, e.g. beyond the end of a file, still
 * raises SIGBUS, as any access would.)
 *
 * Return: 0, -EFAULT (not mapped with that permission), -EOVERFLOW, or
 * -errno from reading /proc/self/maps.
 */
int gupdemo_fault_in(void *addr, size_t len, bool write);

/**
 * gupdemo_pin_retry() - pin, and on failure fault in and retry, boundedly
 * @fd: descriptor
 * @pin: (in/out) as for gupdemo_pin(); meant for GUPDEMO_API_PIN_FAST_ONLY
 *	or GUPDEMO_PIN_NOFAULT pins, which never fault pages in themselves
 * @max_rounds: attempts in all (GUPDEMO_RETRY_ROUNDS is a good value); 0 is
 *	taken as 1
 * @rounds: (out, may be NULL) attempts made, also on failure
 *
 * Each round pins; if that fails with -EFAULT, or succeeds with fewer pages
 * than the range spans (a NO_RETRY pin; the short pin is released first),
 * the range is faulted in with gupdemo_fault_in() (for writing when
 * GUPDEMO_PIN_WRITE is set) and the next round starts.  Any other error
 * ends the loop at once.
 *
 * Why bounded (the gfs2 lesson): gfs2 once looped "fault in, retry the
 * no-fault access" until it worked.  On a special PTE (VM_PFNMAP / VM_IO,
 * e.g. the page mmap(/dev/gupdemo) gives) the fault-in from userspace
 * succeeds every time, but the fast/no-fault GUP path can never pin the page,
 * so an unbounded loop never ends: a livelock.  After @max_rounds attempts
 * this helper gives up with -EFAULT.
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
