// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - debugfs: module counters and failure injection
 *
 * /sys/kernel/debug/gupdemo/stats     counters, "key: value" per line
 * /sys/kernel/debug/gupdemo/fail_nth  write N > 0: the Nth fail-able step
 *                                     from now fails with -ENOMEM; 0 disarms;
 *                                     reads what is left of the countdown
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "gupdemo_private.h"

static struct dentry *gupdemo_debugfs_dir;
static atomic_t gupdemo_fail_nth = ATOMIC_INIT(0);

/**
 * gupdemo_should_fail() - one fail-able step: should it fail?
 *
 * Called before every allocation and GUP call of the pin path and every
 * sg allocation, mapping and device command of the DMA path, so a test can
 * fail the 1st, 2nd, ... Nth step and check that each unwinds completely.
 *
 * Return: true for the step that brings the countdown to zero.
 */
bool gupdemo_should_fail(void)
{
	return atomic_dec_if_positive(&gupdemo_fail_nth) == 0;
}

static int gupdemo_stats_show(struct seq_file *m, void *unused)
{
	struct gupdemo_stats *s = &gupdemo_stats;

	seq_printf(m, "pins_held: %lld\n", atomic64_read(&s->pins_held));
	seq_printf(m, "pages_held: %lld\n", atomic64_read(&s->pages_held));
	seq_printf(m, "pages_charged: %lld\n",
		   atomic64_read(&s->pages_charged));
	seq_printf(m, "pages_quarantined: %lld\n",
		   atomic64_read(&s->pages_quarantined));
	seq_printf(m, "pins_total: %lld\n", atomic64_read(&s->pins_total));
	seq_printf(m, "pages_total: %lld\n", atomic64_read(&s->pages_total));
	seq_printf(m, "failures_total: %lld\n",
		   atomic64_read(&s->failures_total));
	seq_printf(m, "dma_total: %lld\n", atomic64_read(&s->dma_total));
	seq_printf(m, "dma_bytes: %lld\n", atomic64_read(&s->dma_bytes));
	seq_printf(m, "mirrors_held: %lld\n", atomic64_read(&s->mirrors_held));
	seq_printf(m, "mirror_pages_held: %lld\n",
		   atomic64_read(&s->mirror_pages_held));
	seq_printf(m, "max_mirror_pages: %u\n",
		   READ_ONCE(gupdemo_max_mirror_pages));
	seq_printf(m, "max_mirror_pages_file: %u\n",
		   READ_ONCE(gupdemo_max_mirror_pages_file));
	seq_printf(m, "mirrors_total: %lld\n",
		   atomic64_read(&s->mirrors_total));
	seq_printf(m, "mirror_invalidations: %lld\n",
		   atomic64_read(&s->mirror_invalidations));
	seq_printf(m, "mirror_refaults: %lld\n",
		   atomic64_read(&s->mirror_refaults));
	seq_printf(m, "mirror_live_maps: %lld\n",
		   atomic64_read(&s->mirror_live_maps));
	seq_printf(m, "mirror_live_entries: %lld\n",
		   atomic64_read(&s->mirror_live_entries));
	seq_printf(m, "mirror_live_mapped: %lld\n",
		   atomic64_read(&s->mirror_live_mapped));
	seq_printf(m, "mirror_live_unmapped: %lld\n",
		   atomic64_read(&s->mirror_live_unmapped));
	seq_printf(m, "dma_maps_held: %lld\n",
		   atomic64_read(&s->dma_maps_held));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gupdemo_stats);

void gupdemo_debugfs_init(void)
{
	/* debugfs failures are not fatal; the files are for tests. */
	gupdemo_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0400, gupdemo_debugfs_dir, NULL,
			    &gupdemo_stats_fops);
	debugfs_create_atomic_t("fail_nth", 0600, gupdemo_debugfs_dir,
				&gupdemo_fail_nth);
}

void gupdemo_debugfs_exit(void)
{
	debugfs_remove_recursive(gupdemo_debugfs_dir);
}
