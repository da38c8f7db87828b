// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - DMA: the soft engine's LOOPBACK against an in-kernel
 * memcpy of the same pinned pages, the edu device's rate, the stages
 * (pin, sg_table, map, transfer, unmap, unpin) of one DMA by address, and
 * its pin stage for one side next to PIN and UNPIN of the same bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "bench_dma.h"
#include "bench_stat.h"

/* One DMA between held handles; its xfer_ns into *@ns. */
static int dma_handles(struct bench *b, uint32_t op, uint32_t engine,
		       uint32_t src, uint32_t dst, size_t len, double *ns)
{
	struct gupdemo_dma d = {
		.flags = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE,
		.op = op, .engine = engine, .src_handle = src,
		.dst_handle = dst, .len = len,
	};
	int ret = gupdemo_dma(b->fd, &d);

	if (!ret)
		*ns = d.xfer_ns ? (double)d.xfer_ns : 1;
	return ret;
}

/* Two touched buffers of @len bytes of @mem, unless one cannot be had. */
static int buf_pair(struct bench *b, enum mem_kind mem, size_t len,
		    struct gupdemo_buf *src, struct gupdemo_buf *dst)
{
	int ret = bench_buf_alloc(b, mem, len, src);

	if (ret)
		return ret;
	ret = bench_buf_alloc(b, mem, len, dst);
	if (ret)
		gupdemo_buf_free(src);
	return ret;
}

/* Two buffers held by handles: @hs read by the device, @hd written. */
static int dma_pair(struct bench *b, size_t len, struct gupdemo_buf *src,
		    struct gupdemo_buf *dst, uint32_t *hs, uint32_t *hd)
{
	int ret = buf_pair(b, MEM_4K, len, src, dst);

	if (ret)
		return ret;
	ret = bench_hold(b, src->p, len, false, hs);
	if (ret)
		goto err_free;
	ret = bench_hold(b, dst->p, len, true, hd);
	if (ret)
		goto err_unpin;
	return 0;
err_unpin:
	gupdemo_unpin_handle(b->fd, *hs, 0);
err_free:
	gupdemo_buf_free(dst);
	gupdemo_buf_free(src);
	return ret;
}

static void dma_pair_free(struct bench *b, struct gupdemo_buf *src,
			  struct gupdemo_buf *dst, uint32_t hs, uint32_t hd)
{
	gupdemo_unpin_handle(b->fd, hd, GUPDEMO_UNPIN_DIRTY);
	gupdemo_unpin_handle(b->fd, hs, 0);
	gupdemo_buf_free(dst);
	gupdemo_buf_free(src);
}

/*
 * The repeats of one size: soft LOOPBACK and MEMCPY of the same pinned
 * pages in the same run, so only the copy differs; which goes first
 * alternates.
 */
static int dma_reps(struct bench *b, struct dma_cell *c, uint32_t hs,
		    uint32_t hd)
{
	double soft[MAX_REPS], cpu[MAX_REPS], ratio[MAX_REPS], ns = 1;
	unsigned int r;
	int ret = 0;

	for (r = 0; r < b->o.reps && !ret; r++) {
		for (int k = 0; k < 2 && !ret; k++) {
			bool soft_turn = (r + (unsigned int)k) % 2 == 0;

			ret = dma_handles(b, soft_turn ? GUPDEMO_DMA_LOOPBACK :
					  GUPDEMO_DMA_MEMCPY,
					  soft_turn ? GUPDEMO_ENGINE_SOFT :
					  GUPDEMO_ENGINE_AUTO, hs, hd, c->size,
					  &ns);
			if (soft_turn)
				soft[r] = (double)c->size / ns;
			else
				cpu[r] = (double)c->size / ns;
		}
	}
	if (ret)
		return ret;
	/* Paired, like the PIN cells, before stat3_of() sorts. */
	for (unsigned int i = 0; i < r; i++)
		ratio[i] = soft[i] / cpu[i];
	c->ratio = median_of(ratio, r);
	c->soft_gbps = stat3_of(soft, r);
	c->memcpy_gbps = stat3_of(cpu, r);
	return 0;
}

void run_dma(struct bench *b)
{
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		struct dma_cell *c = &b->dma[i];
		struct gupdemo_buf src, dst;
		uint32_t hs, hd;
		char sz[24];

		c->size = b->o.dma_sizes[i];
		size_text(c->size, sz, sizeof(sz));
		if (!(b->features & GUPDEMO_FEAT_ENGINE_SOFT)) {
			c->err = -ENODEV;
			continue;
		}
		c->err = dma_pair(b, c->size, &src, &dst, &hs, &hd);
		if (c->err)
			continue;
		c->err = dma_reps(b, c, hs, hd);
		dma_pair_free(b, &src, &dst, hs, hd);
		progress(b, "dma soft/memcpy %s: %s", sz,
			 c->err ? strerror(-c->err) : "done");
	}
}

void run_edu(struct bench *b)
{
	for (unsigned int i = 0; i < b->o.nedu; i++) {
		struct edu_cell *c = &b->edu[i];
		double rate[MAX_REPS], ns = 1;
		struct gupdemo_buf src, dst;
		uint32_t hs, hd;
		unsigned int r;
		int ret;

		c->size = b->o.edu_sizes[i];
		if (!(b->features & GUPDEMO_FEAT_ENGINE_EDU)) {
			c->err = -ENODEV;
			continue;
		}
		ret = dma_pair(b, c->size, &src, &dst, &hs, &hd);
		if (ret) {
			c->err = ret;
			continue;
		}
		for (r = 0; r < b->o.reps && !ret; r++) {
			ret = dma_handles(b, GUPDEMO_DMA_LOOPBACK,
					  GUPDEMO_ENGINE_EDU, hs, hd, c->size,
					  &ns);
			rate[r] = (double)c->size / 1024.0 / (ns / 1e9);
		}
		c->err = ret;
		if (!ret)
			c->kibps = stat3_of(rate, r);
		dma_pair_free(b, &src, &dst, hs, hd);
		progress(b, "edu %" PRIu64 " bytes: %s", c->size,
			 ret ? strerror(-ret) : "done");
	}
}

/* The repeats of one DMA by address, each stage's times into @st. */
static int stage_reps(struct bench *b, struct stages *st, uint32_t engine,
		      const struct gupdemo_buf *src,
		      const struct gupdemo_buf *dst)
{
	double v[6][MAX_REPS];
	unsigned int r;

	for (r = 0; r < b->o.reps; r++) {
		struct gupdemo_dma d = {
			.op = GUPDEMO_DMA_LOOPBACK, .engine = engine,
			.src_addr = (uintptr_t)src->p,
			.dst_addr = (uintptr_t)dst->p, .len = st->size,
		};
		int ret = gupdemo_dma(b->fd, &d);

		if (ret)
			return ret;
		v[0][r] = (double)d.pin_ns;
		v[1][r] = (double)d.map_ns;
		v[2][r] = (double)d.xfer_ns;
		v[3][r] = (double)d.unmap_ns;
		v[4][r] = (double)d.unpin_ns;
		v[5][r] = (double)d.sg_ns;
	}
	st->pin = stat3_of(v[0], r);
	st->map = stat3_of(v[1], r);
	st->xfer = stat3_of(v[2], r);
	st->unmap = stat3_of(v[3], r);
	st->unpin = stat3_of(v[4], r);
	st->sg = stat3_of(v[5], r);
	return 0;
}

/* One representative DMA by address: every stage, pins included. */
static void run_stages(struct bench *b, struct stages *st, uint32_t engine,
		       enum mem_kind mem, uint64_t size)
{
	struct gupdemo_buf src, dst;

	st->engine = engine == GUPDEMO_ENGINE_EDU ? "edu" :
		     mem == MEM_THP ? "soft-thp" : "soft";
	st->mem = mem;
	st->size = size;
	if (!size || !(b->features & (engine == GUPDEMO_ENGINE_EDU ?
				      GUPDEMO_FEAT_ENGINE_EDU :
				      GUPDEMO_FEAT_ENGINE_SOFT))) {
		st->err = -ENODEV;
		return;
	}
	st->err = buf_pair(b, mem, size, &src, &dst);
	if (!st->err) {
		st->err = stage_reps(b, st, engine, &src, &dst);
		gupdemo_buf_free(&dst);
		gupdemo_buf_free(&src);
	}
	progress(b, "stages (%s, %s): %s", st->engine, mem_names[mem],
		 st->err ? strerror(-st->err) : "done");
}

/* One soft TO_DEVICE by address (one side): its pin and unpin stages. */
static int pinstage_dma(struct bench *b, const struct gupdemo_buf *m,
			uint64_t size, double *pin, double *unpin)
{
	struct gupdemo_dma d = {
		.op = GUPDEMO_DMA_TO_DEVICE, .engine = GUPDEMO_ENGINE_SOFT,
		.src_addr = (uintptr_t)m->p, .len = size,
	};
	int ret = gupdemo_dma(b->fd, &d);

	if (!ret) {
		*pin = (double)d.pin_ns;
		*unpin = (double)d.unpin_ns;
	}
	return ret;
}

/*
 * PIN and UNPIN of the bytes the DMA side pins, as it pins them: read
 * only, pin_user_pages_fast(), the module's batch, not long-term.
 */
static int pinstage_pin(struct bench *b, const struct gupdemo_buf *m,
			uint64_t size, double *get, double *put)
{
	struct gupdemo_pin p = {
		.addr = (uintptr_t)m->p, .len = size,
		.api = GUPDEMO_API_PIN_FAST,
	};
	struct gupdemo_unpin u = { 0 };
	int ret = gupdemo_pin(b->fd, &p);

	if (ret)
		return ret;
	u.handle = p.handle;
	ret = gupdemo_unpin(b->fd, &u);
	if (!ret) {
		*get = (double)p.get_ns;
		*put = (double)u.put_ns;
	}
	return ret;
}

/* The repeats, A B B A ... so that drift hits both alike; paired ratios. */
static int pinstage_reps(struct bench *b, struct pinstage_cell *c,
			 const struct gupdemo_buf *m)
{
	double v[4][MAX_REPS], rp[MAX_REPS], ru[MAX_REPS];
	unsigned int r;
	int ret = 0;

	for (r = 0; r < b->o.reps && !ret; r++) {
		for (int k = 0; k < 2 && !ret; k++) {
			if ((r + (unsigned int)k) % 2 == 0)
				ret = pinstage_dma(b, m, c->size, &v[0][r],
						   &v[1][r]);
			else
				ret = pinstage_pin(b, m, c->size, &v[2][r],
						   &v[3][r]);
		}
	}
	if (ret)
		return ret;
	for (unsigned int i = 0; i < r; i++) {
		rp[i] = v[2][i] > 0 ? v[0][i] / v[2][i] : 0;
		ru[i] = v[3][i] > 0 ? v[1][i] / v[3][i] : 0;
	}
	c->pin_ratio = median_of(rp, r);
	c->unpin_ratio = median_of(ru, r);
	c->dma_pin = stat3_of(v[0], r);
	c->dma_unpin = stat3_of(v[1], r);
	c->pin_get = stat3_of(v[2], r);
	c->pin_put = stat3_of(v[3], r);
	return 0;
}

/* The DMA call's pin stage, one side, against PIN of the same bytes. */
static void run_pin_stage(struct bench *b, uint64_t size)
{
	struct pinstage_cell *c = &b->pinstage;
	struct gupdemo_buf m;

	c->size = size;
	if (!size || !(b->features & GUPDEMO_FEAT_ENGINE_SOFT)) {
		c->err = -ENODEV;
		return;
	}
	c->err = bench_buf_alloc(b, MEM_4K, size, &m);
	if (!c->err) {
		c->err = pinstage_reps(b, c, &m);
		gupdemo_buf_free(&m);
	}
	progress(b, "pin stage vs PIN: %s",
		 c->err ? strerror(-c->err) : "done");
}

void run_all_stages(struct bench *b)
{
	const struct bench_opts *o = &b->o;
	uint64_t stage = 0;

	/* The middle DMA size, at most 16 MiB, stands for the rest. */
	for (unsigned int i = 0; i < o->ndma; i++)
		if (o->dma_sizes[i] <= 16 * MIB && o->dma_sizes[i] > stage)
			stage = o->dma_sizes[i];
	if (!stage && o->ndma)
		stage = o->dma_sizes[0];
	run_stages(b, &b->stages[0], GUPDEMO_ENGINE_SOFT, MEM_4K, stage);
	run_pin_stage(b, stage);
	/*
	 * The same on THP: pin and sg building are per folio there, so this
	 * row shows what the stages around the copy cost when they are not
	 * per 4K page (without THP the row says so).
	 */
	if (o->mem_on[MEM_THP])
		run_stages(b, &b->stages[1], GUPDEMO_ENGINE_SOFT, MEM_THP,
			   stage);
	if (o->nedu)
		run_stages(b, &b->stages[2], GUPDEMO_ENGINE_EDU, MEM_4K,
			   o->edu_sizes[0]);
}
