// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - pin user buffers with the kernel's GUP API and DMA them to a
 * PCIe device (QEMU's edu) or a software engine, with exact accounting.
 *
 * main.c: module parameters, global counters, init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "engine.h"
#include "gupdemo.h"

/*
 * A pin's array of entries must stay below what kvmalloc() takes (INT_MAX
 * bytes; more WARNs): writes outside the range are refused with -EINVAL.
 */
#define GUPDEMO_MAX_PIN_PAGES_LIMIT	(INT_MAX / sizeof(union gupdemo_entry))

static int gupdemo_max_pin_pages_set(const char *val,
				     const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, GUPDEMO_MAX_PIN_PAGES_LIMIT);
}

static const struct kernel_param_ops gupdemo_max_pin_pages_ops = {
	.set = gupdemo_max_pin_pages_set,
	.get = param_get_uint,
};

/* 1 GiB of 4 KiB pages: a 2 MiB array of entries (union gupdemo_entry). */
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

struct gupdemo_stats gupdemo_stats;

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
MODULE_VERSION("0.1.0");
