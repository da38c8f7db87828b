// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - the bare GUP baseline for the benchmark
 *
 * PIN + UNPIN time is only meaningful next to what GUP itself costs.  This
 * loop makes the same GUP calls with the same batch size into a pages array
 * allocated before the clock starts, and releases them at once: no
 * accounting, no handle, no per-pin allocation.  Like mm/gup_test.c, the
 * clock runs around the GUP loop and around the release.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "gupdemo_private.h"

#define GUPDEMO_BENCH_PIN_FLAGS \
	(GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_NOFAULT)

int gupdemo_ioctl_bench(struct gupdemo_file *f, void *arg)
{
	struct gupdemo_bench *b = arg;
	unsigned int gup_flags;
	unsigned long npages, pinned = 0;
	struct page **pages;
	u32 batch = b->batch ?: gupdemo_pin_batch;
	u64 t0;
	long ret;

	if (b->flags || b->__reserved ||
	    (b->pin_flags & ~GUPDEMO_BENCH_PIN_FLAGS))
		return -EINVAL;
	ret = gupdemo_pin_validate(b->addr, b->len, b->api, b->pin_flags);
	if (ret)
		return ret;
	npages = gupdemo_pin_span(b->addr, b->len);
	gup_flags = gupdemo_foll_flags(b->pin_flags);
	batch = clamp_t(u32, batch, 1, INT_MAX);

	ret = gupdemo_budget_charge(npages);
	if (ret)
		return ret;
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages) {
		gupdemo_budget_uncharge(npages);
		return -ENOMEM;
	}

	gupdemo_stamp(&t0);
	while (pinned < npages) {
		unsigned long nr = min_t(unsigned long, npages - pinned, batch);

		ret = gupdemo_gup_call(b->api,
				       (b->addr & PAGE_MASK) + pinned * PAGE_SIZE,
				       nr, gup_flags, pages + pinned);
		if (ret <= 0) {
			if (!ret)
				ret = -EFAULT;
			break;
		}
		pinned += ret;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	b->get_ns = gupdemo_stamp(&t0);
	gupdemo_gup_release_pages(b->api, pages, pinned, false);
	b->put_ns = gupdemo_stamp(&t0);

	kvfree(pages);
	gupdemo_budget_uncharge(npages);
	if (ret < 0)
		return ret;
	b->npages = pinned;
	return 0;
}
