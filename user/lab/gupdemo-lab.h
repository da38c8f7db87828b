/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gupdemo lab kit (libgupdemo-lab.a, not installed) - what the CLI and the
 * tests use besides libgupdemo: the scenario catalogue behind `gupdemo run`
 * and the consequences lab, measuring one step, where a page is (frame,
 * zone, memory block), and small procfs/sysfs file helpers.
 *
 * Each scenario pins (or refuses to pin) one kind of memory with one GUP
 * API and checks the exact result and the exact movement of
 * nr_foll_pin_acquired / nr_foll_pin_released (read after
 * /proc/sys/vm/stat_refresh) against what the running kernel is expected to
 * do: the expectations follow the kernel version (6.1 vs 6.2, 6.3, 6.5 ...),
 * never a loosened "some pages".  Conventions as in gupdemo.h: 0 or -errno.
 */
#ifndef GUPDEMO_LAB_H
#define GUPDEMO_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gupdemo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Measuring one step (measure.c)                                      */
/* ------------------------------------------------------------------ */

/* An expected delta that is not checked. */
#define GUPDEMO_DELTA_ANY	INT64_MIN

/**
 * struct gupdemo_scenario_result - outcome of gupdemo_scenario_run()
 * @step_ret: what the step returned (0 or -errno, the step's own convention)
 * @before: counters before the step
 * @after: counters after the step
 * @d_acquired: after.acquired - before.acquired
 * @d_released: after.released - before.released
 * @match: both deltas equal the expected ones (GUPDEMO_DELTA_ANY matches
 *	anything) and both snapshots were exact (refreshed)
 */
struct gupdemo_scenario_result {
	int step_ret;
	struct gupdemo_vmstat before;
	struct gupdemo_vmstat after;
	int64_t d_acquired;
	int64_t d_released;
	bool match;
};

/* A scenario step: returns 0 or -errno, @arg is the caller's. */
typedef int (*gupdemo_step_fn)(void *arg);

/**
 * gupdemo_scenario_run() - measure the pin counters around one step
 * @step: the step to run
 * @arg: passed to @step
 * @exp_acquired: expected Δnr_foll_pin_acquired, or GUPDEMO_DELTA_ANY
 * @exp_released: expected Δnr_foll_pin_released, or GUPDEMO_DELTA_ANY
 * @res: (out) deltas, the step's return value and the verdict
 *
 * Snapshots the counters (after stat_refresh), runs @step, snapshots again
 * and compares.  A failing step is not an error of this function: its value
 * is in res->step_ret (the step may be expected to fail).
 *
 * Return: 0 when both snapshots were taken, else -errno of the snapshot
 * (then @res is filled only as far as it got).
 */
int gupdemo_scenario_run(gupdemo_step_fn step, void *arg, int64_t exp_acquired,
			 int64_t exp_released, struct gupdemo_scenario_result *res);

/* ------------------------------------------------------------------ */
/* Where a page is: frame, zone, memory block (pageinfo.c)            */
/* ------------------------------------------------------------------ */

#define GUPDEMO_PAGEMAP_PATH	"/proc/self/pagemap"
#define GUPDEMO_ZONEINFO_PATH	"/proc/zoneinfo"
#define GUPDEMO_MEMORY_DIR	"/sys/devices/system/memory"

/* Room for a zone name ("DMA", "DMA32", "Normal", "Movable", "Device"). */
#define GUPDEMO_ZONE_NAME_MAX	16

/**
 * gupdemo_pagemap_entry_pfn() - the frame of one /proc/PID/pagemap entry
 * @entry: the 64-bit entry (bit 63 present, bits 0..54 the frame)
 * @pfn: (out) the page frame number
 *
 * Pure function (host-testable).
 * Return: 0; -ENOENT when the page is not present (never touched, or
 * swapped out); -EPERM when it is present but the frame reads 0, which is
 * what the kernel gives readers without CAP_SYS_ADMIN; -EINVAL for a NULL
 * @pfn.
 */
int gupdemo_pagemap_entry_pfn(uint64_t entry, uint64_t *pfn);

/**
 * gupdemo_virt_to_pfn() - the frame behind a virtual address of the caller
 * @addr: any address in the page
 * @pfn: (out) its page frame number, from /proc/self/pagemap
 *
 * The frame is a snapshot: the kernel may migrate or free an unpinned page
 * right after (compaction, memory offlining, MADV_DONTNEED).
 * Return: 0; -EPERM without CAP_SYS_ADMIN; -ENOENT when the page is not
 * present; -errno from open(2) or pread(2) (-EIO for a short read).
 */
int gupdemo_virt_to_pfn(const void *addr, uint64_t *pfn);

/**
 * gupdemo_zoneinfo_zone() - the zone whose span holds a frame, from text
 * @text: NUL-terminated contents of /proc/zoneinfo
 * @pfn: page frame number
 * @name: (out) the zone's name as zoneinfo prints it, e.g. "Movable"
 * @size: size of @name (GUPDEMO_ZONE_NAME_MAX is enough)
 *
 * A zone's span is [start_pfn, start_pfn + spanned) of its "Node N, zone
 * NAME" block; a zone without present pages has no start_pfn line and
 * spans nothing.  Spans may overlap (hotplugged memory onlined into one
 * zone inside another's span); this function then does not guess.  Pure
 * function (host-testable).
 *
 * Return: 0; -ENOENT when no span holds @pfn; -ENOTUNIQ when several do;
 * -EINVAL for malformed text (a "Node" line without "zone NAME", a zone
 * without "spanned", a key twice in one zone, a value that is not a
 * decimal number); -ERANGE for a number or a span end beyond 64 bits;
 * -ENAMETOOLONG when @size is too small.
 */
int gupdemo_zoneinfo_zone(const char *text, uint64_t pfn, char *name,
			  size_t size);

/**
 * gupdemo_pfn_zone() - the zone of a frame on the running kernel
 * @pfn: page frame number (e.g. from gupdemo_virt_to_pfn())
 * @name: (out) "DMA", "DMA32", "Normal", "Movable", ...
 * @size: size of @name
 *
 * gupdemo_zoneinfo_zone() on /proc/zoneinfo; where spans overlap, the
 * frame's memory block decides when it is online and its valid_zones names
 * a single zone (sysfs prints the block's own zone for an online block).
 *
 * Return: as gupdemo_zoneinfo_zone(), or -errno from reading the files.
 */
int gupdemo_pfn_zone(uint64_t pfn, char *name, size_t size);

/**
 * struct gupdemo_memblock - one /sys/devices/system/memory/memoryN
 * @block: N
 * @start_pfn: first frame of the block
 * @nr_pfns: frames in the block (block_size_bytes / page size)
 * @state: "online", "offline" or "going-offline"
 * @valid_zones: as sysfs prints it: for an online block its zone
 *	("Movable", "DMA32"; "none" when the block straddles zones), for an
 *	offline block the zones it may be onlined to, default first
 *	("Normal Movable")
 */
struct gupdemo_memblock {
	uint64_t block;
	uint64_t start_pfn;
	uint64_t nr_pfns;
	char state[16];
	char valid_zones[64];
};

/*
 * In the memory-block functions @dir is the memory directory: NULL for
 * GUPDEMO_MEMORY_DIR (tests pass their own).
 */

/**
 * gupdemo_memblock_size() - bytes per memory block (block_size_bytes)
 * @dir: see above
 * @bytes: (out) e.g. 134217728 (the file says "8000000", hex)
 *
 * Return: 0; -EINVAL when the file is not a non-zero hex number; -errno.
 */
int gupdemo_memblock_size(const char *dir, uint64_t *bytes);

/**
 * gupdemo_memblock_of_pfn() - the memory block holding a frame
 * @dir: see above
 * @pfn: page frame number
 * @block: (out) N of memoryN (which need not exist: holes have no block)
 *
 * Return: 0, -ERANGE for a frame beyond 64-bit addresses, or as
 * gupdemo_memblock_size().
 */
int gupdemo_memblock_of_pfn(const char *dir, uint64_t pfn, uint64_t *block);

/**
 * gupdemo_memblock_get() - state and zones of one memory block
 * @dir: see above
 * @block: N of memoryN
 * @mb: (out) the block
 *
 * Return: 0; -ENOENT when there is no memoryN; -ENAMETOOLONG when a value
 * does not fit its field; -errno.
 */
int gupdemo_memblock_get(const char *dir, uint64_t block,
			 struct gupdemo_memblock *mb);

/**
 * gupdemo_memblock_offline() - write "offline" to memoryN/state (root)
 * @dir: see above
 * @block: N of memoryN
 *
 * The kernel migrates every page out of the block first; pinned pages
 * cannot move, and it retries until they are unpinned or a signal comes.
 *
 * Return: 0, or -errno of the open or write: -ENOENT (no such block),
 * -EACCES (not root), -EBUSY (unmovable pages), -EINVAL (the block is
 * offline already, or not fully backed by RAM: e.g. the top block of a
 * 1 GiB x86 guest, which holds the firmware's reserved end of RAM),
 * -EINTR.
 */
int gupdemo_memblock_offline(const char *dir, uint64_t block);

/**
 * gupdemo_memblock_online() - write "online" or "online_movable" to state
 * @dir: see above
 * @block: N of memoryN
 * @movable: online into ZONE_MOVABLE ("online_movable"); false lets the
 *	kernel choose, which is the first zone of valid_zones and may be
 *	Normal even for a block that was Movable before it went offline
 *
 * Return: 0, or -errno of the open or write: -ENOENT, -EACCES, -EINVAL
 * (the block is online already, or cannot go to that zone).
 */
int gupdemo_memblock_online(const char *dir, uint64_t block, bool movable);

/**
 * gupdemo_memblock_list_movable() - blocks whose valid_zones is "Movable"
 * @dir: see above
 * @blocks: (out) block numbers, ascending; may be NULL when @max is 0
 * @max: room in @blocks
 * @count: (out) how many blocks there are (also with -ENOSPC)
 *
 * Online blocks in ZONE_MOVABLE, and offline blocks that can go nowhere
 * else.  An offline block that could also go to Normal says "Normal
 * Movable" and is not listed.
 *
 * Return: 0; -ENOSPC when more than @max blocks matched (the first @max
 * are stored, *@count says how many there are); -errno.
 */
int gupdemo_memblock_list_movable(const char *dir, uint64_t *blocks,
				  size_t max, size_t *count);

/**
 * gupdemo_memblock_reserved() - reserved pages in a memory block (root)
 * @dir: see above
 * @block: N of memoryN
 * @nreserved: (out) its frames with PG_reserved, from /proc/kpageflags
 *
 * A reserved page (firmware, the kernel image, memory the boot left
 * reserved: e.g. where the boot loader put the initramfs on some kernels)
 * never migrates: a block holding one cannot go offline (EBUSY).
 * Return: 0, -EINVAL, -EPERM/-EACCES (not root), or as gupdemo_memblock_get().
 */
int gupdemo_memblock_reserved(const char *dir, uint64_t block,
			      uint64_t *nreserved);

/**
 * gupdemo_memblock_offline_candidate() - a block that can go offline
 * @dir: see above
 * @block: (out) the lowest online block whose valid_zones is "Movable" and
 *	that holds no reserved page
 *
 * Return: 0, -ENOENT when there is none (no ZONE_MOVABLE: boot with
 * movablecore=), or as gupdemo_memblock_reserved().
 */
int gupdemo_memblock_offline_candidate(const char *dir, uint64_t *block);

/* ------------------------------------------------------------------ */
/* procfs and sysfs files (sysfs.c)                                    */
/* ------------------------------------------------------------------ */

/*
 * Reads a whole file (procfs files report size 0) into a NUL-terminated
 * buffer the caller frees.  Returns 0 or -errno.
 */
int gupdemo_lab_read_text(const char *path, char **textp);

/*
 * Writes @text to a procfs or sysfs file in one write() (a sysfs store sees
 * exactly that buffer).  Returns 0, -errno of open() or write(), or -EIO
 * for a short write.
 */
int gupdemo_lab_write_text(const char *path, const char *text);

/*
 * One number in a procfs or sysfs file (e.g. /proc/sys/vm/nr_hugepages):
 * read it, or write it followed by a newline.  Return 0 or -errno.
 */
int gupdemo_lab_read_u64(const char *path, unsigned long long *v);
int gupdemo_lab_write_u64(const char *path, unsigned long long v);

/*
 * The value part of a "name value" line: @p points just after the name;
 * at least one blank, a decimal number, optional blanks, then the end of
 * the line or text.  Returns 0, -EINVAL (malformed) or -ERANGE (beyond
 * 64 bits).
 */
int gupdemo_lab_parse_value(const char *p, uint64_t *value);

/* ------------------------------------------------------------------ */
/* Scenarios: the catalogue (catalogue.c) and the lab (lab.c)          */
/* ------------------------------------------------------------------ */

/* struct gupdemo_scenario.needs */
#define GUPDEMO_NEEDS_EXT4	(1U << 0) /* a directory on ext4 (env->ext4_dir) */
#define GUPDEMO_NEEDS_SOFT	(1U << 1) /* the software DMA engine */
#define GUPDEMO_NEEDS_EDU	(1U << 2) /* an edu device bound to the module */
#define GUPDEMO_NEEDS_ROOT	(1U << 3) /* root (hugetlb reservation) */
#define GUPDEMO_NEEDS_MOVABLE	(1U << 4) /* ZONE_MOVABLE memory (movablecore=) */
#define GUPDEMO_NEEDS_NUMA	(1U << 5) /* two NUMA nodes with memory */

/**
 * struct gupdemo_scenario - one entry of the catalogue
 * @name: unique, lower case, e.g. "anon-fast"
 * @api: short label of the GUP call ("fast", "locked/LT", "dma-soft", ...)
 * @memory: short label of the memory kind ("anon-4k", "thp", "ext4-shr" ...)
 * @pages: pages the scenario asks GUP for (all buffers together)
 * @needs: GUPDEMO_NEEDS_* bits
 * @summary: one line, for `gupdemo list`
 * @lesson: for the scenarios of the consequences lab (what a held pin does
 *	to the rest of the kernel): the lesson in one line; NULL for the
 *	scenarios that check pins and their counters
 */
struct gupdemo_scenario {
	const char *name;
	const char *api;
	const char *memory;
	uint32_t pages;
	uint32_t needs;
	const char *summary;
	const char *lesson;
};

/**
 * struct gupdemo_scenario_env - what scenarios run against
 * @fd: an open /dev/gupdemo
 * @kernel: LINUX_VERSION_CODE of the running kernel
 *	(gupdemo_kernel_version()); the expectations are chosen from it
 * @features: GUPDEMO_FEAT_* from GET_INFO
 * @ext4_dir: a writable directory on ext4, or NULL: scenarios that need one
 *	are skipped (see gupdemo_ext4_mount())
 */
struct gupdemo_scenario_env {
	int fd;
	uint32_t kernel;
	uint64_t features;
	const char *ext4_dir;
};

enum gupdemo_verdict {
	GUPDEMO_VERDICT_PASS = 0,
	GUPDEMO_VERDICT_FAIL = 1,
	GUPDEMO_VERDICT_SKIP = 2,
};

/**
 * struct gupdemo_scenario_outcome - what one scenario did
 * @verdict: pass, fail or skip
 * @ret: 0 or -errno of the operation under test (PIN, DMA, read(2))
 * @npages: pages it pinned (or read, for O_DIRECT); 0 when it failed
 * @exp_ret: the expected @ret on this kernel
 * @exp_npages: the expected @npages
 * @d_acquired: Δnr_foll_pin_acquired over the whole scenario
 * @d_released: Δnr_foll_pin_released over the whole scenario
 * @exp_acquired: expected @d_acquired, exactly
 * @exp_released: expected @d_released, exactly
 * @note: why it failed or was skipped, or a remark; "" when none
 */
struct gupdemo_scenario_outcome {
	enum gupdemo_verdict verdict;
	int ret;
	uint64_t npages;
	int exp_ret;
	uint64_t exp_npages;
	int64_t d_acquired;
	int64_t d_released;
	int64_t exp_acquired;
	int64_t exp_released;
	char note[256];
};

/**
 * gupdemo_scenario_count() - number of scenarios in the catalogue
 */
unsigned int gupdemo_scenario_count(void);

/**
 * gupdemo_scenario_get() - one catalogue entry
 * @index: 0 .. gupdemo_scenario_count() - 1
 * @sc: (out) the entry (static storage)
 *
 * Return: 0 or -EINVAL for an index out of range.
 */
int gupdemo_scenario_get(unsigned int index, const struct gupdemo_scenario **sc);

/**
 * gupdemo_scenario_find() - look a scenario up by name
 * @name: its name
 * @index: (out) its index
 *
 * Return: 0 or -ENOENT.
 */
int gupdemo_scenario_find(const char *name, unsigned int *index);

/**
 * gupdemo_scenario_exec() - run one scenario and judge it
 * @index: which scenario
 * @env: device, kernel version, features, ext4 directory
 * @out: (out) result, expectations, deltas and verdict; filled whatever
 *	the verdict
 *
 * Needs root for exact counters (stat_refresh): without it the verdict is
 * "fail" with a note.  A scenario whose requirements are missing (no ext4
 * directory, no edu device, THP off, ...) is skipped with the reason in
 * @out->note.  Everything a scenario pins is released before it returns.
 *
 * Return: 0 (the verdict is in @out), or -EINVAL for a bad index or @env.
 */
int gupdemo_scenario_exec(unsigned int index,
			  const struct gupdemo_scenario_env *env,
			  struct gupdemo_scenario_outcome *out);

/**
 * struct gupdemo_ext4 - a scratch ext4 file system on a loop device
 * @dir: the mount point (a new directory under the work directory)
 * @image: the image file
 * @loop: the loop device node
 * @loop_fd: open descriptor of @loop, or -1
 * @mounted: @dir is mounted
 */
struct gupdemo_ext4 {
	char dir[256];
	char image[256];
	char loop[64];
	int loop_fd;
	bool mounted;
};

/**
 * gupdemo_ext4_mount() - make and mount a small ext4 file system
 * @workdir: where to put the image and the mount point (e.g. "/tmp")
 * @size_mib: image size in MiB (16 is plenty)
 * @m: (out) what was set up, for gupdemo_ext4_umount()
 *
 * Runs mke2fs (/sbin/mke2fs or /usr/sbin/mke2fs, by full path: a busybox
 * shell would otherwise run its own applet), attaches the image to a free
 * loop device and mounts it.  Needs root and the loop and ext4 drivers.
 *
 * Return: 0; -ENOENT when mke2fs or /dev/loop-control is missing; -EPERM
 * when not root; -EIO when mke2fs fails; or -errno from the loop ioctls or
 * mount(2).  On failure nothing is left behind.
 */
int gupdemo_ext4_mount(const char *workdir, unsigned int size_mib,
		       struct gupdemo_ext4 *m);

/**
 * gupdemo_ext4_umount() - undo gupdemo_ext4_mount()
 * @m: as filled by gupdemo_ext4_mount()
 *
 * Return: 0 or the first -errno (everything is still attempted).
 */
int gupdemo_ext4_umount(struct gupdemo_ext4 *m);

#ifdef __cplusplus
}
#endif

#endif /* GUPDEMO_LAB_H */
