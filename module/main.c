// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - pin user buffers with the kernel's GUP API and DMA them to a
 * PCIe device (QEMU's edu) or a software engine, with exact accounting.
 *
 * main.c: module parameters, global counters, GET_INFO, init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "engine.h"
#include "compat.h"
#include "gupdemo_private.h"

/* Writes outside 1..GUPDEMO_PFNS_MAX_PAGES are refused with -EINVAL. */
static int gupdemo_max_pin_pages_set(const char *val,
				     const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, GUPDEMO_PFNS_MAX_PAGES);
}

static const struct kernel_param_ops gupdemo_max_pin_pages_ops = {
	.set = gupdemo_max_pin_pages_set,
	.get = param_get_uint,
};

/*
 * 1 GiB of 4 KiB pages: a pin's record (pinned.c) of at most 2 MiB of
 * entries, 8 bytes a page or less.
 */
unsigned int gupdemo_max_pin_pages = 262144;
module_param_cb(max_pin_pages, &gupdemo_max_pin_pages_ops,
		&gupdemo_max_pin_pages, 0644);
MODULE_PARM_DESC(max_pin_pages,
		 "Most pages one PIN or DMA call may pin (default 262144, at most 268435455)");

/* gup_test's largest nr_pages_per_call in run_gup_matrix. */
unsigned int gupdemo_pin_batch = 512;
module_param_named(pin_batch, gupdemo_pin_batch, uint, 0644);
MODULE_PARM_DESC(pin_batch,
		 "Pages per GUP call when the PIN call asks for 0 (default 512)");

/*
 * Each pin of a small folio adds 1024 to its refcount: about two million
 * pins of one page overflow it, and the kernel WARNs.  A module-wide cap on
 * the pages all pins hold at once (handles, and the short-term pins of DMA
 * and BENCH calls) keeps that out of reach (1M pins -> 2^30).
 */
unsigned int gupdemo_max_held_pages = 1048576;
module_param_named(max_held_pages, gupdemo_max_held_pages, uint, 0644);
MODULE_PARM_DESC(max_held_pages,
		 "Most pages all pins together may hold at once (default 1048576)");

/*
 * Mirrors pin nothing, but each costs kernel memory in proportion to the
 * range (its table, and for a writable one the alias check's scratch: 16
 * bytes a page).  Without a budget a process could mirror one untouched
 * range again and again: no RSS, only kernel memory.
 */
unsigned int gupdemo_max_mirror_pages = 1048576;
module_param_named(max_mirror_pages, gupdemo_max_mirror_pages, uint, 0644);
MODULE_PARM_DESC(max_mirror_pages,
		 "Most pages all mirrors together may span (default 1048576)");

unsigned int gupdemo_max_mirror_pages_file = 524288;
module_param_named(max_mirror_pages_file, gupdemo_max_mirror_pages_file, uint,
		   0644);
MODULE_PARM_DESC(max_mirror_pages_file,
		 "Most pages the mirrors of one open file may span (default 524288)");

struct gupdemo_stats gupdemo_stats;

/* GUPDEMO_IOC_GET_INFO: what this module and kernel offer, and the counters. */
int gupdemo_ioctl_get_info(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_info *info = arg;

	if (info->flags)
		return -EINVAL;

	info->uapi_version = GUPDEMO_UAPI_VERSION;
	info->kernel_version = GUPDEMO_BUILT_FOR;
	info->features = GUPDEMO_FEAT_PIN | GUPDEMO_FEAT_FAIL_INJECT |
			 GUPDEMO_FEAT_MMAP_PFNMAP | GUPDEMO_FEAT_DMA |
			 GUPDEMO_FEAT_BENCH;
	if (GUPDEMO_HAVE_PIN_FAST_ONLY)
		info->features |= GUPDEMO_FEAT_PIN_FAST_ONLY;
	if (GUPDEMO_HAVE_LONGTERM_UNLOCKED)
		info->features |= GUPDEMO_FEAT_LONGTERM_UNLOCKED;
	if (gupdemo_engine_present(GUPDEMO_ENGINE_SOFT))
		info->features |= GUPDEMO_FEAT_ENGINE_SOFT;
	if (gupdemo_engine_present(GUPDEMO_ENGINE_EDU))
		info->features |= GUPDEMO_FEAT_ENGINE_EDU;
	if (IS_ENABLED(CONFIG_HMM_MIRROR))
		info->features |= GUPDEMO_FEAT_MIRROR;
	if (IS_ENABLED(CONFIG_HMM_MIRROR) && GUPDEMO_HAVE_HMM_DMA)
		info->features |= GUPDEMO_FEAT_MIRROR_LIVE;
	if (GUPDEMO_HAVE_DMA_IOVA)
		info->features |= GUPDEMO_FEAT_DMA_IOVA;
	info->features |= GUPDEMO_FEAT_DMA_KEEP;
	info->page_size = PAGE_SIZE;
	info->max_pin_pages = gupdemo_max_pin_pages;
	info->pins_held = atomic64_read(&gupdemo_stats.pins_held);
	info->pages_held = atomic64_read(&gupdemo_stats.pages_held);
	info->pins_total = atomic64_read(&gupdemo_stats.pins_total);
	info->failures_total = atomic64_read(&gupdemo_stats.failures_total);
	info->mirrors_held = atomic64_read(&gupdemo_stats.mirrors_held);
	info->mirror_pages_held =
		atomic64_read(&gupdemo_stats.mirror_pages_held);
	info->max_mirror_pages = READ_ONCE(gupdemo_max_mirror_pages);
	info->max_mirror_pages_file = READ_ONCE(gupdemo_max_mirror_pages_file);
	return 0;
}

static int __init gupdemo_init(void)
{
	int ret;

	gupdemo_debugfs_init();

	ret = gupdemo_soft_init();
	if (ret)
		goto err_debugfs;

	ret = gupdemo_edu_init();
	if (ret)
		goto err_soft;

	/* Last: once the device node exists, userspace can call us. */
	ret = gupdemo_chardev_register();
	if (ret)
		goto err_edu;

	return 0;

err_edu:
	gupdemo_edu_exit();
err_soft:
	gupdemo_soft_exit();
err_debugfs:
	gupdemo_debugfs_exit();
	return ret;
}

static void __exit gupdemo_exit(void)
{
	gupdemo_chardev_unregister();
	gupdemo_edu_exit();
	gupdemo_soft_exit();
	gupdemo_debugfs_exit();
}

module_init(gupdemo_init);
module_exit(gupdemo_exit);

/* pin_user_pages_fast() and get_user_pages_fast() are EXPORT_SYMBOL_GPL. */
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("GUP pinning and DMA demonstrator with exact pin accounting");
MODULE_AUTHOR("gupdemo developers");
MODULE_VERSION("2.0.0");
