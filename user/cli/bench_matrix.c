// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - the PIN/UNPIN matrix: every API x memory kind x size x
 * batch x read/write cell timed against the module's bare GUP loop
 * (GUPDEMO_IOC_BENCH), repeats interleaved; and the kernel memory of a
 * held pin (QUERY.kmem_bytes).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench_matrix.h"
#include "bench_stat.h"
#include "gupdemo-lab.h"

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static int time_pin(struct bench *b, const struct pin_cell *c, void *addr,
		    double *get, double *put)
{
	const struct bench_api *a = &apis[c->api];
	struct gupdemo_pin p = {
		.flags = a->flags | (c->write ? GUPDEMO_PIN_WRITE : 0),
		.addr = (uintptr_t)addr,
		.len = c->size,
		.api = a->api,
		.batch = c->batch,
	};
	struct gupdemo_unpin u = { 0 };
	int ret = gupdemo_pin(b->fd, &p);

	if (ret)
		return ret;
	u.handle = p.handle;
	ret = gupdemo_unpin(b->fd, &u);
	if (ret)
		return ret;
	*get = (double)p.get_ns;
	*put = (double)u.put_ns;
	return 0;
}

static int time_base(struct bench *b, const struct pin_cell *c, void *addr,
		     double *get, double *put)
{
	const struct bench_api *a = &apis[c->api];
	struct gupdemo_bench bb = {
		.addr = (uintptr_t)addr,
		.len = c->size,
		.api = a->api,
		.pin_flags = a->flags | (c->write ? GUPDEMO_PIN_WRITE : 0),
		.batch = c->batch,
	};
	int ret = gupdemo_bench(b->fd, &bb);

	if (ret)
		return ret;
	*get = (double)bb.get_ns;
	*put = (double)bb.put_ns;
	return 0;
}

static void measure_cell(struct bench *b, struct pin_cell *c, void *addr)
{
	double nspp[MAX_REPS], bnspp[MAX_REPS], get[MAX_REPS], put[MAX_REPS];
	double bget[MAX_REPS], bput[MAX_REPS], ratio[MAX_REPS];
	unsigned int r;
	int ret;

	for (r = 0; r < b->o.reps; r++) {
		/* Alternate which goes first: drift hits both alike. */
		if (r % 2 == 0) {
			ret = time_pin(b, c, addr, &get[r], &put[r]);
			if (!ret)
				ret = time_base(b, c, addr, &bget[r], &bput[r]);
		} else {
			ret = time_base(b, c, addr, &bget[r], &bput[r]);
			if (!ret)
				ret = time_pin(b, c, addr, &get[r], &put[r]);
		}
		if (ret) {
			c->err = ret;
			c->why = "PIN/UNPIN or BENCH failed";
			return;
		}
		nspp[r] = (get[r] + put[r]) / (double)c->pages;
		bnspp[r] = (bget[r] + bput[r]) / (double)c->pages;
	}
	/*
	 * The ratio is the median of the paired ratios (each pair ran back to
	 * back, so what drifts between repeats cancels out), taken before
	 * stat3_of() sorts the arrays.
	 */
	for (unsigned int i = 0; i < r; i++)
		ratio[i] = bnspp[i] > 0 ? nspp[i] / bnspp[i] : 0;
	c->ratio = median_of(ratio, r);
	c->nspp = stat3_of(nspp, r);
	c->base_nspp = stat3_of(bnspp, r);
	c->get_ns = median_of(get, r);
	c->put_ns = median_of(put, r);
	c->base_get_ns = median_of(bget, r);
	c->base_put_ns = median_of(bput, r);
}

/* Distinct folios under a buffer: THP / hugetlb coverage, untimed. */
static uint64_t count_folios(struct bench *b, void *addr, size_t len)
{
	struct gupdemo_pin p = {
		.addr = (uintptr_t)addr, .len = len,
		.api = GUPDEMO_API_PIN_FAST,
	};
	struct gupdemo_query q = { 0 };
	uint64_t n = 0;

	if (gupdemo_pin(b->fd, &p))
		return 0;
	q.handle = p.handle;
	if (gupdemo_query(b->fd, &q) == 0)
		n = q.nfolios;
	gupdemo_unpin_handle(b->fd, p.handle, 0);
	return n;
}

static struct pin_cell *new_cell(struct bench *b)
{
	struct pin_cell *c = realloc(b->cells, (b->ncells + 1) * sizeof(*c));

	if (!c)
		return NULL;
	b->cells = c;
	c = &b->cells[b->ncells++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* Huge pages for the hugetlb runs; returns how many we added. */
static uint64_t hugetlb_reserve(uint64_t want, uint64_t *orig)
{
	unsigned long long was, now;

	if (gupdemo_lab_read_u64(NR_HUGEPAGES, &was))
		was = 0;
	*orig = was;
	gupdemo_lab_write_u64(NR_HUGEPAGES, was + want);
	if (gupdemo_lab_read_u64(NR_HUGEPAGES, &now))
		now = 0;
	return now > *orig ? now - *orig : 0;
}

/*
 * The cells of one buffer: every API, batch and direction.  @err: the
 * buffer could not be had (the cells say why, unmeasured).
 */
static int buffer_cells(struct bench *b, const struct pin_cell *proto,
			int err, void *addr)
{
	for (unsigned int a = 0; a < N_APIS; a++) {
		if (!b->o.api_on[a])
			continue;
		for (unsigned int bt = 0; bt < b->o.nbatches; bt++) {
			for (int w = 0; w < 2; w++) {
				struct pin_cell *c;

				if (!b->o.rw[w])
					continue;
				c = new_cell(b);
				if (!c)
					return -ENOMEM;
				*c = *proto;
				c->api = a;
				c->batch = b->o.batches[bt];
				c->write = w;
				c->err = err;
				if (!err)
					measure_cell(b, c, addr);
			}
		}
	}
	return 0;
}

/* One size of one memory kind; @have: hugetlb pages reserved. */
static int matrix_size(struct bench *b, enum mem_kind mem, uint64_t size,
		       uint64_t have)
{
	struct pin_cell proto = {
		.mem = mem, .size = size, .pages = size / b->psz,
		.why = "no such memory",
	};
	struct gupdemo_buf m = { 0 };
	double t0 = now_s();
	char sz[24];
	int err, ret;

	size_text(size, sz, sizeof(sz));
	if (mem == MEM_HUGETLB && size / HUGE_SIZE > have)
		err = -ENOMEM;
	else
		err = bench_buf_alloc(b, mem, size, &m);
	if (err == -EOPNOTSUPP)
		proto.why = "the kernel has no THP";
	if (!err && mem != MEM_4K)
		proto.folios = count_folios(b, m.p, size);
	ret = buffer_cells(b, &proto, err, m.p);
	gupdemo_buf_free(&m);
	progress(b, "pin matrix %s %s: %s (%.1f s)", mem_names[mem], sz,
		 err ? strerror(-err) : "done", now_s() - t0);
	return ret;
}

int run_matrix(struct bench *b)
{
	uint64_t maxsize = 0;

	for (unsigned int s = 0; s < b->o.nsizes; s++)
		if (b->o.sizes[s] > maxsize)
			maxsize = b->o.sizes[s];
	for (int mem = 0; mem < N_MEMS; mem++) {
		uint64_t orig = 0, have = 0;
		int ret = 0;

		if (!b->o.mem_on[mem])
			continue;
		if (mem == MEM_HUGETLB) {
			have = hugetlb_reserve(maxsize / HUGE_SIZE, &orig);
			progress(b, "hugetlb: %" PRIu64 " huge pages reserved",
				 have);
		}
		for (unsigned int s = 0; s < b->o.nsizes && !ret; s++) {
			/* Huge pages come 2 MiB at a time: no smaller cells. */
			if (mem == MEM_4K || b->o.sizes[s] % HUGE_SIZE == 0)
				ret = matrix_size(b, mem, b->o.sizes[s], have);
		}
		if (mem == MEM_HUGETLB && have)
			gupdemo_lab_write_u64(NR_HUGEPAGES, orig);
		if (ret)
			return ret;
	}
	return 0;
}

/* The kernel memory of one held (not DMA-mapped) pin. */
static void kmem_cell(struct bench *b, struct kmem_cell *c)
{
	struct gupdemo_query q = { 0 };
	struct gupdemo_buf m;
	uint32_t h;
	int ret;

	ret = bench_buf_alloc(b, c->mem, c->size, &m);
	if (ret) {
		c->err = ret;
		return;
	}
	ret = bench_hold(b, m.p, c->size, true, &h);
	if (!ret) {
		q.handle = h;
		ret = gupdemo_query(b->fd, &q);
		c->kmem_bytes = q.kmem_bytes;
		gupdemo_unpin_handle(b->fd, h, 0);
	}
	c->err = ret;
	gupdemo_buf_free(&m);
}

void run_kmem(struct bench *b)
{
	static const enum mem_kind kinds[] = { MEM_4K, MEM_THP };

	for (unsigned int k = 0; k < 2; k++) {
		for (unsigned int i = 0; i < b->o.nkmem; i++) {
			struct kmem_cell *c = &b->kmem[b->nkmem];

			c->mem = kinds[k];
			c->size = b->o.kmem_sizes[i];
			c->pages = c->size / b->psz;
			/* No THP smaller than 2 MiB. */
			if (c->mem == MEM_THP && c->size % HUGE_SIZE)
				continue;
			b->nkmem++;
			kmem_cell(b, c);
		}
	}
}
