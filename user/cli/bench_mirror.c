// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - pin vs mirror: the same soft-engine transfers through a
 * held pin and through a mirror (GUPDEMO_IOC_MIRROR), and what one
 * invalidation costs the mirror: mprotect() write-protects the range and
 * gives the write back, and the next DMA faults the table in again.
 * Times are of the whole ioctl (clock_gettime around it): the mirror's
 * table check and lock are part of what it costs.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench_mirror.h"
#include "bench_stat.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One soft-engine DMA on one side, a pin handle or a mirror; its ns. */
static int side_dma(struct bench *b, uint32_t op, bool mirror, uint32_t h,
		    size_t len, double *ns)
{
	struct gupdemo_dma d = {
		.op = op, .engine = GUPDEMO_ENGINE_SOFT, .len = len,
	};
	double t0;
	int ret;

	if (op == GUPDEMO_DMA_TO_DEVICE) {
		d.flags = mirror ? GUPDEMO_DMA_SRC_MIRROR : GUPDEMO_DMA_SRC_HANDLE;
		d.src_handle = h;
	} else {
		d.flags = mirror ? GUPDEMO_DMA_DST_MIRROR : GUPDEMO_DMA_DST_HANDLE;
		d.dst_handle = h;
	}
	t0 = now_ns();
	ret = gupdemo_dma(b->fd, &d);
	*ns = now_ns() - t0;
	return ret;
}

/* Write-protect and unprotect @m: two invalidations of a mirror on it. */
static int invalidate(struct gupdemo_buf *m)
{
	if (mprotect(m->p, m->len, PROT_READ) ||
	    mprotect(m->p, m->len, PROT_READ | PROT_WRITE))
		return -errno;
	return 0;
}

/* The repeats: pin and mirror take turns, the invalidated DMA last. */
static int mirror_reps(struct bench *b, struct mirror_cell *c,
		       struct gupdemo_buf *m, uint32_t hp, uint32_t hm)
{
	double to_p[MAX_REPS], to_m[MAX_REPS], from_p[MAX_REPS];
	double from_m[MAX_REPS], inv[MAX_REPS];
	unsigned int r;
	int ret = 0;

	for (r = 0; r < b->o.reps && !ret; r++) {
		/* Which goes first alternates, for both directions. */
		for (int k = 0; k < 4 && !ret; k++) {
			bool mirror = (r + (unsigned int)k) % 2;
			uint32_t op = k < 2 ? GUPDEMO_DMA_TO_DEVICE :
					      GUPDEMO_DMA_FROM_DEVICE;
			double *ns = k < 2 ? (mirror ? &to_m[r] : &to_p[r]) :
					     (mirror ? &from_m[r] : &from_p[r]);

			ret = side_dma(b, op, mirror, mirror ? hm : hp, c->size,
				       ns);
		}
		if (!ret)
			ret = invalidate(m);
		if (!ret)
			ret = side_dma(b, GUPDEMO_DMA_TO_DEVICE, true, hm,
				       c->size, &inv[r]);
	}
	if (ret)
		return ret;
	c->to_pin = stat3_of(to_p, r);
	c->to_mirror = stat3_of(to_m, r);
	c->from_pin = stat3_of(from_p, r);
	c->from_mirror = stat3_of(from_m, r);
	c->invalidated = stat3_of(inv, r);
	return 0;
}

void run_mirror(struct bench *b)
{
	struct mirror_cell *c = &b->mirror;
	struct gupdemo_buf m;
	uint32_t hp, hm;
	char sz[24];

	c->size = b->o.dma_sizes[0];
	size_text(c->size, sz, sizeof(sz));
	c->err = -ENODEV;
	if (!(b->features & GUPDEMO_FEAT_ENGINE_SOFT))
		return;
	c->err = -EOPNOTSUPP;
	if (!(b->features & GUPDEMO_FEAT_MIRROR))
		return;
	c->err = bench_buf_alloc(b, MEM_4K, c->size, &m);
	if (c->err)
		return;
	c->err = bench_hold(b, m.p, c->size, true, &hp);
	if (!c->err) {
		c->err = gupdemo_mirror_range(b->fd, m.p, c->size,
					      GUPDEMO_MIRROR_WRITE, &hm, NULL);
		if (!c->err) {
			c->err = mirror_reps(b, c, &m, hp, hm);
			gupdemo_unmirror(b->fd, hm);
		}
		gupdemo_unpin_handle(b->fd, hp, GUPDEMO_UNPIN_DIRTY);
	}
	gupdemo_buf_free(&m);
	progress(b, "pin vs mirror %s: %s", sz,
		 c->err ? strerror(-c->err) : "done");
}
