/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgupdemo - the scenario catalogue behind `gupdemo run`
 *
 * Each scenario pins (or refuses to pin) one kind of memory with one GUP
 * API and checks the exact result and the exact movement of
 * nr_foll_pin_acquired / nr_foll_pin_released (read after
 * /proc/sys/vm/stat_refresh) against what the running kernel is expected to
 * do: the expectations follow the kernel version (6.1 vs 6.2, 6.3, 6.5 ...),
 * never a loosened "some pages".  Conventions as in gupdemo.h: 0 or -errno.
 */
#ifndef GUPDEMO_SCENARIOS_H
#define GUPDEMO_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gupdemo.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#endif /* GUPDEMO_SCENARIOS_H */
