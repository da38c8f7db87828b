// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - what a run reports: the targets it is compared against
 * (information, never assertions) and the table, JSON and CSV outputs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench_map.h"
#include "bench_report.h"
#include "bench_stat.h"
#include "json.h"

/* ---- targets ---- */

/* The constant of the 4K memory target: struct gupdemo_pinned, rounded. */
#define KMEM_CONSTANT	128

/* 1. PIN + UNPIN within 5 % of the bare GUP loop. */
static void target_ratio(const struct bench *b, struct target *t)
{
	unsigned int within = 0, total = 0;
	const struct pin_cell *worst = NULL;
	char sz[24];

	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		if (c->err)
			continue;
		total++;
		if (c->ratio <= 1.05)
			within++;
		if (!worst || c->ratio > worst->ratio)
			worst = c;
	}
	t->name = "PIN+UNPIN vs bare GUP, every cell";
	t->goal = "<= 1.05x";
	t->pass = total ? within == total : -1;
	if (!worst)
		return;
	size_text(worst->size, sz, sizeof(sz));
	snprintf(t->measured, sizeof(t->measured), "%.3fx", worst->ratio);
	snprintf(t->value, sizeof(t->value),
		 "%u of %u cells within 5 %%; the worst: %s %s %s, batch %u, %s",
		 within, total, apis[worst->api].name, mem_names[worst->mem],
		 sz, worst->batch, worst->write ? "write" : "read");
}

/* 2. Soft-engine loopback >= 0.8x memcpy of the same pages. */
static void target_dma(const struct bench *b, struct target *t)
{
	double min_ratio = 0;
	uint64_t min_size = 0;
	int have_dma = 0;
	char sz[24];

	for (unsigned int i = 0; i < b->o.ndma; i++) {
		if (b->dma[i].err)
			continue;
		if (!have_dma++ || b->dma[i].ratio < min_ratio) {
			min_ratio = b->dma[i].ratio;
			min_size = b->dma[i].size;
		}
	}
	t->name = "soft-engine loopback vs in-kernel memcpy";
	t->goal = ">= 0.80x";
	t->pass = have_dma ? min_ratio >= 0.8 : -1;
	snprintf(t->measured, sizeof(t->measured), "%.2fx", min_ratio);
	size_text(min_size, sz, sizeof(sz));
	snprintf(t->value, sizeof(t->value), "the lowest of %d sizes: %s",
		 have_dma, have_dma ? sz : "none");
}

/*
 * The largest deviation from the median ns/page over the sizes of one API
 * and memory kind (at @batch, @write); -1 with fewer than two sizes.
 */
static double flat_dev(const struct bench *b, unsigned int a, int mem,
		       uint32_t batch, bool write)
{
	double v[MAX_LIST], sorted[MAX_LIST], ref, dev = 0;
	unsigned int nv = 0;

	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		if (c->api == a && (int)c->mem == mem && c->batch == batch &&
		    c->write == write && !c->err && nv < MAX_LIST)
			v[nv++] = c->nspp.med;
	}
	if (nv < 2)
		return -1;
	memcpy(sorted, v, nv * sizeof(*v));
	ref = median_of(sorted, nv);
	for (unsigned int i = 0; i < nv; i++) {
		double d = v[i] / ref - 1;

		if (d < 0)
			d = -d;
		if (d > dev)
			dev = d;
	}
	return dev;
}

/*
 * 3. ns/page flat within +-20 % over the sizes, per API and memory kind,
 * at the largest batch and with FOLL_WRITE when measured.
 */
static void target_flat(const struct bench *b, struct target *t)
{
	unsigned int groups = 0, flat = 0;
	bool write = b->o.rw[1];
	double worst_flat = 0;
	char what[64] = "";
	uint32_t batch = 0;

	for (unsigned int i = 0; i < b->o.nbatches; i++)
		if (b->o.batches[i] > batch)
			batch = b->o.batches[i];
	for (unsigned int a = 0; a < N_APIS; a++) {
		for (int mem = 0; mem < N_MEMS; mem++) {
			double dev = flat_dev(b, a, mem, batch, write);

			if (dev < 0)
				continue;
			groups++;
			if (dev <= 0.20)
				flat++;
			if (dev > worst_flat || groups == 1) {
				worst_flat = dev;
				snprintf(what, sizeof(what), "%s %s",
					 apis[a].name, mem_names[mem]);
			}
		}
	}
	t->name = "ns/page flat over the sizes";
	t->goal = "+-20 %";
	t->pass = groups ? flat == groups : -1;
	snprintf(t->measured, sizeof(t->measured), "+-%.0f %%",
		 worst_flat * 100);
	snprintf(t->value, sizeof(t->value),
		 "%u of %u API and memory pairs flat (batch %u, %s); the "
		 "worst: %s", flat, groups,
		 batch, write ? "write" : "read", what);
}

/*
 * The largest kmem_bytes per page over the cells of @mem, after taking
 * away @constant bytes (the pin's own struct, roughly).  Whether a buffer's
 * 4K pages are physically contiguous (they fold into runs) depends on the
 * allocator: a bound per cell holds either way, a line fit does not.
 */
static bool kmem_worst(const struct bench *b, enum mem_kind mem,
		       double constant, double *per_page, unsigned int *cells)
{
	*per_page = 0;
	*cells = 0;
	for (unsigned int i = 0; i < b->nkmem; i++) {
		const struct kmem_cell *c = &b->kmem[i];
		double v;

		if (c->mem != mem || c->err || !c->pages)
			continue;
		v = ((double)c->kmem_bytes - constant) / (double)c->pages;
		if (!(*cells)++ || v > *per_page)
			*per_page = v;
	}
	return *cells > 0;
}

/* 4. Kernel memory of a held 4K pin: <= 8 bytes/page + constant; THP. */
static void target_kmem(const struct bench *b, struct target *t)
{
	unsigned int cells;
	double per_page;

	t[0].name = "kernel memory of a held 4K pin";
	t[0].goal = "<= 8 B/page";
	t[0].pass = -1;
	if (kmem_worst(b, MEM_4K, KMEM_CONSTANT, &per_page, &cells)) {
		t[0].pass = per_page <= 8.0 + 1e-9;
		snprintf(t[0].measured, sizeof(t[0].measured), "%.2f B/page",
			 per_page);
		snprintf(t[0].value, sizeof(t[0].value),
			 "the most over %u sizes, after a constant of %d B",
			 cells, KMEM_CONSTANT);
	}
	t[1].name = "kernel memory of a held THP pin";
	t[1].goal = "< 1 B/page";
	t[1].pass = -1;
	if (kmem_worst(b, MEM_THP, 0, &per_page, &cells)) {
		t[1].pass = per_page < 1.0;
		snprintf(t[1].measured, sizeof(t[1].measured), "%.3f B/page",
			 per_page);
		snprintf(t[1].value, sizeof(t[1].value),
			 "the most over %u sizes, all included", cells);
	}
}

/* Fills @t (MAX_TARGETS entries, zeroed); returns how many. */
unsigned int compute_targets(const struct bench *b, struct target *t)
{
	target_ratio(b, &t[0]);
	target_dma(b, &t[1]);
	target_flat(b, &t[2]);
	target_kmem(b, &t[3]);
	return 5;
}

/* ---- table ---- */

/*
 * The table is for people: sizes in KiB/MiB, times in ns/µs/ms, rates in
 * KiB/s..GiB/s, every column as wide as its header or its widest value.
 * Per-page costs stay in ns (the header says so): they are small numbers.
 */

/* The cell texts of one row, printed in @w (put_col() widths). */
static void put_row(const char *const *cells, const int *w, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (i)
			putchar(' ');
		put_col(cells[i], i + 1 == n && w[i] < 0 ? 0 : w[i]);
	}
	putchar('\n');
}

static void table_env(const struct bench *b)
{
	const struct env_info *e = &b->env;

	printf("gupdemo bench: kernel %s, accel %s, %ld CPUs, %.1f GiB RAM\n",
	       e->kernel, e->accel, e->cpus, (double)e->mem_kib / (1 << 20));
	printf("cpu %s; THP %s; started %s, took %.0f s\n", e->cpu_model,
	       e->thp, e->start, e->seconds);
	printf("times from the module (ktime_get_ns); %u repeats: min / median "
	       "/ max\n", b->o.reps);
}

/* api mem size batch rw | get put | bare get put | min med max bare ratio */
static const int pin_w[] = { -8, -7, 7, 5, -5, 8, 8, 8, 8, 8, 8, 8, 8, 6 };
#define PIN_COLS	(sizeof(pin_w) / sizeof(pin_w[0]))

static void pin_row(const struct pin_cell *c)
{
	char t[PIN_COLS][24];
	const char *cells[PIN_COLS];
	const double v[] = { c->get_ns, c->put_ns, c->base_get_ns,
			     c->base_put_ns };
	const double pp[] = { c->nspp.min, c->nspp.med, c->nspp.max,
			      c->base_nspp.med };

	for (unsigned int i = 0; i < PIN_COLS; i++)
		cells[i] = t[i];
	cells[0] = apis[c->api].name;
	cells[1] = mem_names[c->mem];
	size_text(c->size, t[2], sizeof(t[2]));
	snprintf(t[3], sizeof(t[3]), "%u", c->batch);
	cells[4] = c->write ? "write" : "read";
	for (unsigned int i = 0; i < 4; i++)
		time_text(v[i], t[5 + i], sizeof(t[5 + i]));
	for (unsigned int i = 0; i < 4; i++)
		snprintf(t[9 + i], sizeof(t[9 + i]), "%.1f", pp[i]);
	snprintf(t[13], sizeof(t[13]), "%.3f", c->ratio);
	put_row(cells, pin_w, PIN_COLS);
}

static void table_pin(const struct bench *b)
{
	static const char *const head[PIN_COLS] = {
		"api", "mem", "size", "batch", "rw", "get", "put", "get",
		"put", "min", "med", "max", "bare", "ratio",
	};
	char sz[24];

	printf("\nPIN + UNPIN (gup_test style) against the bare GUP loop "
	       "(GUPDEMO_IOC_BENCH)\n");
	/* Over get+put, bare get+put, the four ns/page columns. */
	printf("%37s%17s %17s %35s\n", "", "gupdemo, median",
	       "bare GUP, median", "ns per page (get + put)");
	put_row(head, pin_w, PIN_COLS);
	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		if (!c->err) {
			pin_row(c);
			continue;
		}
		size_text(c->size, sz, sizeof(sz));
		printf("%-8s %-7s %7s %5u %-5s (%s: %s)\n", apis[c->api].name,
		       mem_names[c->mem], sz, c->batch,
		       c->write ? "write" : "read", c->why, strerror(-c->err));
	}
}

/* One row of three rates (bytes per second) and, when > 0, a ratio. */
static void rate_row(const char *sz, const struct stat3 *r, double scale,
		     const struct stat3 *r2, double ratio)
{
	char t[6][24];
	const char *cells[8] = { sz, t[0], t[1], t[2], t[3], t[4], t[5], "" };
	static const int w[] = { 8, 11, 11, 11, 11, 11, 11, 6 };
	char rt[16] = "";

	rate_text(r->min * scale, t[0], sizeof(t[0]));
	rate_text(r->med * scale, t[1], sizeof(t[1]));
	rate_text(r->max * scale, t[2], sizeof(t[2]));
	if (!r2) {
		put_row(cells, w, 4);
		return;
	}
	rate_text(r2->min * scale, t[3], sizeof(t[3]));
	rate_text(r2->med * scale, t[4], sizeof(t[4]));
	rate_text(r2->max * scale, t[5], sizeof(t[5]));
	snprintf(rt, sizeof(rt), "%.3f", ratio);
	cells[7] = rt;
	put_row(cells, w, 8);
}

static void table_dma(const struct bench *b)
{
	static const char *const head[] = {
		"size", "min", "med", "max", "min", "med", "max", "ratio",
	};
	static const int w[] = { 8, 11, 11, 11, 11, 11, 11, 6 };
	char sz[24];

	printf("\nDMA between held handles: soft-engine LOOPBACK vs in-kernel "
	       "memcpy\n");
	printf("%8s %35s %35s\n", "", "soft engine", "memcpy in the kernel");
	put_row(head, w, 8);
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		const struct dma_cell *c = &b->dma[i];

		size_text(c->size, sz, sizeof(sz));
		if (c->err)
			printf("%8s (%s)\n", sz, strerror(-c->err));
		else	/* GB/s: bytes per ns */
			rate_row(sz, &c->soft_gbps, 1e9, &c->memcpy_gbps,
				 c->ratio);
	}
	if (!b->o.nedu)
		return;
	printf("\nedu device LOOPBACK (100 ms per command)\n");
	put_row(head, w, 4);
	for (unsigned int i = 0; i < b->o.nedu; i++) {
		const struct edu_cell *c = &b->edu[i];

		size_text(c->size, sz, sizeof(sz));
		if (c->err)
			printf("%8s (%s)\n", sz, c->err == -ENODEV ?
			       "no edu device" : strerror(-c->err));
		else
			rate_row(sz, &c->kibps, 1024, NULL, 0);
	}
}

/* pin + sg + map + unmap + unpin, in per cent of the transfer (medians). */
static double around_pct(const struct stages *s)
{
	double around = s->pin.med + s->sg.med + s->map.med + s->unmap.med +
			s->unpin.med;

	return s->xfer.med > 0 ? 100.0 * around / s->xfer.med : 0;
}

static const int stage_w[] = { -8, 8, 9, 9, 9, 9, 9, 9, 6 };

static void stage_row(const struct stages *s, const char *sz)
{
	const struct stat3 *v[6] = {
		&s->pin, &s->sg, &s->map, &s->xfer, &s->unmap, &s->unpin,
	};
	const char *cells[9] = { s->engine, sz };
	char t[7][24];

	for (int j = 0; j < 6; j++) {
		time_text(v[j]->med, t[j], sizeof(t[j]));
		cells[2 + j] = t[j];
	}
	snprintf(t[6], sizeof(t[6]), "%.0f%%", around_pct(s));
	cells[8] = t[6];
	put_row(cells, stage_w, 9);
}

static void table_stages(const struct bench *b)
{
	static const char *const head[] = {
		"engine", "size", "pin", "sg", "map", "transfer", "unmap",
		"unpin", "around",
	};
	char sz[24];

	printf("\nstages of one LOOPBACK by address (medians; pin and unpin: "
	       "both buffers, source\nand destination; around: pin + sg + "
	       "map + unmap + unpin in %% of the transfer;\nsoft-thp: the soft "
	       "engine on THP buffers)\n");
	put_row(head, stage_w, 9);
	for (int k = 0; k < 3; k++) {
		const struct stages *s = &b->stages[k];

		if (!s->engine)
			continue;
		size_text(s->size, sz, sizeof(sz));
		if (s->err)
			printf("%-8s %8s (%s)\n", s->engine, sz,
			       s->err == -ENODEV ? "engine not present" :
			       s->err == -EOPNOTSUPP ? "the kernel has no THP" :
			       strerror(-s->err));
		else
			stage_row(s, sz);
	}
}

/* One row: the stage's median, PIN's (or UNPIN's), the paired ratio. */
static void pinstage_row(const char *name, const struct stat3 *dma,
			 const struct stat3 *pin, double ratio, const int *w)
{
	char t[3][24];
	const char *cells[] = { name, t[0], t[1], t[2] };

	time_text(dma->med, t[0], sizeof(t[0]));
	time_text(pin->med, t[1], sizeof(t[1]));
	snprintf(t[2], sizeof(t[2]), "%.3f", ratio);
	put_row(cells, w, 4);
}

static void table_pinstage(const struct bench *b)
{
	static const char *const head[] = {
		"stage", "DMA call", "PIN ioctl", "ratio",
	};
	static const int w[] = { -7, 9, 9, 6 };
	const struct pinstage_cell *c = &b->pinstage;
	char sz[24];

	size_text(c->size, sz, sizeof(sz));
	printf("\nDMA pin stage vs PIN ioctl, same bytes, one side (soft "
	       "TO_DEVICE by address,\n%s of 4K pages, medians; the stage "
	       "also checks the range and allocates the\npage record, PIN's "
	       "get_ns times the GUP calls only)\n", c->size ? sz : "no size");
	if (c->err) {
		printf("  (%s)\n", c->err == -ENODEV ?
		       "no soft engine or no DMA size" : strerror(-c->err));
		return;
	}
	put_row(head, w, 4);
	pinstage_row("pin", &c->dma_pin, &c->pin_get, c->pin_ratio, w);
	pinstage_row("unpin", &c->dma_unpin, &c->pin_put, c->unpin_ratio, w);
}

static void table_kmem(const struct bench *b)
{
	char sz[24], kb[24];

	printf("\nkernel memory of a held pin (QUERY.kmem_bytes)\n");
	printf("%-7s %8s %8s %10s %10s\n", "mem", "size", "pages", "kmem",
	       "per page");
	for (unsigned int i = 0; i < b->nkmem; i++) {
		const struct kmem_cell *c = &b->kmem[i];

		size_text(c->size, sz, sizeof(sz));
		if (c->err) {
			printf("%-7s %8s (%s)\n", mem_names[c->mem], sz,
			       strerror(-c->err));
			continue;
		}
		size_text(c->kmem_bytes, kb, sizeof(kb));
		printf("%-7s %8s %8" PRIu64 " %10s %8.3f B\n",
		       mem_names[c->mem], sz, c->pages, kb,
		       (double)c->kmem_bytes / (double)c->pages);
	}
}

/* What each allows: t_lab (the pin column) and t_mirror check every row. */
static const char *const pin_vs_mirror[][3] = {
	{ "", "pin (FOLL_PIN, held)", "mirror (hmm_range_fault)" },
	{ "nr_foll_pin_* per page", "+1 acquired, +1 released", "0: nothing pinned" },
	{ "migration, offline", "refused while held", "go on: invalidate, re-fault" },
	{ "fork + parent write", "parent keeps the page", "parent's new page, re-faulted" },
	{ "munmap", "pages live until UNPIN", "invalidated; next DMA EFAULT" },
};

/* The costs of one DMA call from a pin and from a mirror. */
static void mirror_costs(const struct mirror_cell *c)
{
	static const int w[] = { -8, 12, 12, 24 };
	static const char *const head[] = {
		"", "TO_DEVICE", "FROM_DEVICE", "TO_DEVICE, invalidated",
	};
	char t[6][24];
	const char *pin[] = { "  pin", t[0], t[1], "-" };
	const char *mirror[] = { "  mirror", t[2], t[3], t[4] };
	double extra = c->invalidated.med - c->to_mirror.med;

	time_text(c->to_pin.med, t[0], sizeof(t[0]));
	time_text(c->from_pin.med, t[1], sizeof(t[1]));
	time_text(c->to_mirror.med, t[2], sizeof(t[2]));
	time_text(c->from_mirror.med, t[3], sizeof(t[3]));
	time_text(c->invalidated.med, t[4], sizeof(t[4]));
	put_row(head, w, 4);
	put_row(pin, w, 4);
	put_row(mirror, w, 4);
	printf("  mirror/pin %.2fx (TO_DEVICE); ", c->to_mirror.med / c->to_pin.med);
	if (extra > 0) {
		time_text(extra, t[5], sizeof(t[5]));
		printf("an invalidation and its re-fault add %s\n", t[5]);
	} else {
		printf("an invalidation and its re-fault cost less than this\n"
		       "  run's noise (the invalidated call was the faster)\n");
	}
}

static void table_mirror(const struct bench *b)
{
	const struct mirror_cell *c = &b->mirror;
	char sz[24];

	printf("\npin vs mirror: what each allows\n");
	for (size_t i = 0; i < sizeof(pin_vs_mirror) / sizeof(pin_vs_mirror[0]); i++)
		printf("  %-24s %-29s %s\n", pin_vs_mirror[i][0],
		       pin_vs_mirror[i][1], pin_vs_mirror[i][2]);
	size_text(c->size, sz, sizeof(sz));
	printf("\npin vs mirror: what each costs (soft engine, %s, median of "
	       "one DMA call)\n", sz);
	if (c->err) {
		printf("  (%s)\n", c->err == -EOPNOTSUPP ?
		       "the kernel has no HMM_MIRROR" : strerror(-c->err));
		return;
	}
	mirror_costs(c);
}

/*
 * Targets are information: a noisy host is not a failure.  A missed one
 * says by how much: "missed (1.082x vs target <= 1.05x)".
 */
static void table_targets(const struct bench *b, const struct target *t,
			  unsigned int nt)
{
	printf("\ntargets (information, not assertions; medians of %u "
	       "repeats, this run)\n", b->o.reps);
	for (unsigned int i = 0; i < nt; i++) {
		printf("  %s: ", t[i].name);
		if (t[i].pass < 0)
			printf("n/a (not measured)\n");
		else
			printf("%s (%s vs target %s)\n",
			       t[i].pass ? "met" : "missed", t[i].measured,
			       t[i].goal);
		if (t[i].value[0])
			printf("      %s\n", t[i].value);
	}
}

void print_table(const struct bench *b, const struct target *t,
		 unsigned int nt)
{
	table_env(b);
	table_pin(b);
	table_dma(b);
	table_stages(b);
	table_pinstage(b);
	table_kmem(b);
	table_targets(b, t, nt);
	table_mirror(b);
	table_map(b);
	table_live(b);
}

/* ---- JSON ---- */

static void json_stat3(const char *key, const struct stat3 *s)
{
	printf("\"%s\": {\"min\": %.3f, \"median\": %.3f, \"max\": %.3f}", key,
	       s->min, s->med, s->max);
}

/* Closes an object of a cell that was not measured; false if it was. */
static bool json_error(int err)
{
	if (!err)
		return false;
	printf("\"error\": ");
	json_str(stdout, strerrorname_np(-err));
	printf("}");
	return true;
}

static void json_env(const struct bench *b)
{
	const struct env_info *e = &b->env;

	json_begin("gupdemo bench");
	printf(",\n  \"env\": {\"kernel\": ");
	json_str(stdout, e->kernel);
	printf(", \"accel\": ");
	json_str(stdout, e->accel);
	printf(", \"cpus\": %ld, \"cpu_model\": ", e->cpus);
	json_str(stdout, e->cpu_model);
	printf(", \"mem_kib\": %" PRIu64 ", \"thp\": ", e->mem_kib);
	json_str(stdout, e->thp);
	printf(", \"time\": ");
	json_str(stdout, e->start);
	printf(", \"seconds\": %.1f, \"page_size\": %zu, \"repeats\": %u},\n",
	       e->seconds, b->psz, b->o.reps);
}

static void json_pin(const struct bench *b)
{
	printf("  \"pin\": [");
	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		printf("%s\n    {\"api\": \"%s\", \"mem\": \"%s\", \"size\": %"
		       PRIu64 ", \"batch\": %u, \"write\": %s, \"pages\": %"
		       PRIu64 ", \"folios\": %" PRIu64 ", ", i ? "," : "",
		       apis[c->api].name, mem_names[c->mem], c->size, c->batch,
		       c->write ? "true" : "false", c->pages, c->folios);
		if (json_error(c->err))
			continue;
		printf("\"get_ns\": %.0f, \"put_ns\": %.0f, \"base_get_ns\": "
		       "%.0f, \"base_put_ns\": %.0f,\n     ", c->get_ns,
		       c->put_ns, c->base_get_ns, c->base_put_ns);
		json_stat3("ns_per_page", &c->nspp);
		printf(",\n     ");
		json_stat3("base_ns_per_page", &c->base_nspp);
		printf(", \"ratio\": %.4f}", c->ratio);
	}
	printf("\n  ],\n");
}

static void json_dma(const struct bench *b)
{
	printf("  \"dma\": [");
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		const struct dma_cell *c = &b->dma[i];

		printf("%s\n    {\"size\": %" PRIu64 ", ", i ? "," : "", c->size);
		if (json_error(c->err))
			continue;
		json_stat3("soft_gbps", &c->soft_gbps);
		printf(", ");
		json_stat3("memcpy_gbps", &c->memcpy_gbps);
		printf(", \"ratio\": %.4f}", c->ratio);
	}
	printf("\n  ],\n  \"edu\": [");
	for (unsigned int i = 0; i < b->o.nedu; i++) {
		const struct edu_cell *c = &b->edu[i];

		printf("%s\n    {\"size\": %" PRIu64 ", ", i ? "," : "", c->size);
		if (json_error(c->err))
			continue;
		json_stat3("kib_per_s", &c->kibps);
		printf("}");
	}
	printf("\n  ],\n");
}

static void json_mirror(const struct bench *b)
{
	const struct mirror_cell *c = &b->mirror;

	printf("  \"mirror\": {\"size\": %" PRIu64 ", ", c->size);
	if (json_error(c->err)) {
		printf(",\n");
		return;
	}
	json_stat3("to_pin_ns", &c->to_pin);
	printf(", ");
	json_stat3("to_mirror_ns", &c->to_mirror);
	printf(", ");
	json_stat3("from_pin_ns", &c->from_pin);
	printf(", ");
	json_stat3("from_mirror_ns", &c->from_mirror);
	printf(", ");
	json_stat3("invalidated_ns", &c->invalidated);
	printf("},\n");
}

static void json_stages(const struct bench *b)
{
	bool first = true;

	printf("  \"stages\": [");
	for (int k = 0; k < 3; k++) {
		const struct stages *s = &b->stages[k];

		if (!s->engine)
			continue;
		printf("%s\n    {\"engine\": \"%s\", \"size\": %" PRIu64 ", ",
		       first ? "" : ",", s->engine, s->size);
		first = false;
		if (json_error(s->err))
			continue;
		json_stat3("pin_ns", &s->pin);
		printf(", ");
		json_stat3("sg_ns", &s->sg);
		printf(", ");
		json_stat3("map_ns", &s->map);
		printf(",\n     ");
		json_stat3("xfer_ns", &s->xfer);
		printf(", ");
		json_stat3("unmap_ns", &s->unmap);
		printf(", ");
		json_stat3("unpin_ns", &s->unpin);
		printf(", \"around_pct\": %.1f}", around_pct(s));
	}
	printf("\n  ],\n");
}

static void json_pinstage(const struct bench *b)
{
	const struct pinstage_cell *c = &b->pinstage;

	printf("  \"pin_stage\": {\"size\": %" PRIu64 ", ", c->size);
	if (json_error(c->err)) {
		printf(",\n");
		return;
	}
	json_stat3("dma_pin_ns", &c->dma_pin);
	printf(", ");
	json_stat3("pin_get_ns", &c->pin_get);
	printf(",\n     ");
	json_stat3("dma_unpin_ns", &c->dma_unpin);
	printf(", ");
	json_stat3("unpin_put_ns", &c->pin_put);
	printf(",\n     \"pin_ratio\": %.4f, \"unpin_ratio\": %.4f},\n",
	       c->pin_ratio, c->unpin_ratio);
}

static void json_kmem(const struct bench *b)
{
	printf("  \"kmem\": [");
	for (unsigned int i = 0; i < b->nkmem; i++) {
		const struct kmem_cell *c = &b->kmem[i];

		printf("%s\n    {\"mem\": \"%s\", \"size\": %" PRIu64
		       ", \"pages\": %" PRIu64 ", ", i ? "," : "",
		       mem_names[c->mem], c->size, c->pages);
		if (json_error(c->err))
			continue;
		printf("\"kmem_bytes\": %" PRIu64 "}", c->kmem_bytes);
	}
	printf("\n  ],\n");
}

void print_json(const struct bench *b, const struct target *t,
		unsigned int nt)
{
	json_env(b);
	json_pin(b);
	json_dma(b);
	json_stages(b);
	json_pinstage(b);
	json_kmem(b);
	json_mirror(b);
	json_map(b);
	json_live(b);
	printf("  \"targets\": [");
	for (unsigned int i = 0; i < nt; i++) {
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_str(stdout, t[i].name);
		printf(", \"value\": ");
		json_str(stdout, t[i].value);
		printf(", \"measured\": ");
		json_str(stdout, t[i].measured);
		printf(", \"target\": ");
		json_str(stdout, t[i].goal ? t[i].goal : "");
		printf(", \"pass\": %s}", t[i].pass > 0 ? "true" :
		       t[i].pass == 0 ? "false" : "null");
	}
	printf("\n  ]\n}\n");
}

/* ---- CSV ---- */

/*
 * One header for every row: kind tells which columns mean what; every
 * row names the kernel, accelerator, CPUs, memory and start time.
 *   pin:   v_* = gupdemo PIN+UNPIN ns/page, base_* = bare GUP ns/page
 *   dma:   v_* = soft loopback GB/s, base_* = memcpy GB/s
 *   edu:   v_* = KiB/s
 *   stage: api = engine (soft, soft-thp: on THP buffers, edu),
 *          mem = stage name, v_* = ns
 *   pinstage: mem = pin or unpin; v_* = the DMA call's stage ns (one
 *          side, TO_DEVICE by address), base_* = PIN get_ns or UNPIN
 *          put_ns of the same bytes, ratio = median of the paired ratios
 *   kmem:  v_med = kmem bytes, ratio = bytes/page
 */
static void csv_head(const struct bench *b, const char *kind, const char *api,
		     const char *mem, uint64_t size, unsigned int batch,
		     int write, uint64_t pages)
{
	const struct env_info *e = &b->env;

	printf("%s,%s,%s,%ld,%" PRIu64 ",%s,%s,%s,%" PRIu64 ",%u,%d,%" PRIu64,
	       kind, e->kernel, e->accel, e->cpus, e->mem_kib, e->start, api,
	       mem, size, batch, write, pages);
}

static void csv_pin(const struct bench *b)
{
	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		if (c->err)
			continue;
		csv_head(b, "pin", apis[c->api].name, mem_names[c->mem],
			 c->size, c->batch, c->write, c->pages);
		printf(",%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,%.0f,%.0f,%.0f,"
		       "%.0f\n", c->nspp.min, c->nspp.med, c->nspp.max,
		       c->base_nspp.min, c->base_nspp.med, c->base_nspp.max,
		       c->ratio, c->get_ns, c->put_ns, c->base_get_ns,
		       c->base_put_ns);
	}
}

static void csv_dma(const struct bench *b)
{
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		const struct dma_cell *c = &b->dma[i];

		if (c->err)
			continue;
		csv_head(b, "dma", "soft", "4k", c->size, 0, 1,
			 c->size / b->psz);
		printf(",%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,,,,\n",
		       c->soft_gbps.min, c->soft_gbps.med, c->soft_gbps.max,
		       c->memcpy_gbps.min, c->memcpy_gbps.med,
		       c->memcpy_gbps.max, c->ratio);
	}
	for (unsigned int i = 0; i < b->o.nedu; i++) {
		const struct edu_cell *c = &b->edu[i];

		if (c->err)
			continue;
		csv_head(b, "edu", "edu", "4k", c->size, 0, 1, 1);
		printf(",%.3f,%.3f,%.3f,,,,,,,,\n", c->kibps.min, c->kibps.med,
		       c->kibps.max);
	}
}

static void csv_stages(const struct bench *b)
{
	static const char *const stage_names[] = {
		"pin", "sg", "map", "xfer", "unmap", "unpin",
	};

	for (int k = 0; k < 3; k++) {
		const struct stages *s = &b->stages[k];
		const struct stat3 *v[6] = {
			&s->pin, &s->sg, &s->map, &s->xfer, &s->unmap, &s->unpin,
		};

		if (!s->engine || s->err)
			continue;
		for (int j = 0; j < 6; j++) {
			csv_head(b, "stage", s->engine, stage_names[j], s->size,
				 0, 1, (s->size + b->psz - 1) / b->psz);
			printf(",%.0f,%.0f,%.0f,,,,,,,,\n", v[j]->min, v[j]->med,
			       v[j]->max);
		}
	}
}

static void csv_pinstage(const struct bench *b)
{
	const struct pinstage_cell *c = &b->pinstage;
	const struct stat3 *v[2][2] = {
		{ &c->dma_pin, &c->pin_get }, { &c->dma_unpin, &c->pin_put },
	};
	const double ratio[2] = { c->pin_ratio, c->unpin_ratio };
	static const char *const names[2] = { "pin", "unpin" };

	if (c->err)
		return;
	for (int j = 0; j < 2; j++) {
		csv_head(b, "pinstage", "soft", names[j], c->size, 0, 0,
			 (c->size + b->psz - 1) / b->psz);
		printf(",%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.4f,,,,\n",
		       v[j][0]->min, v[j][0]->med, v[j][0]->max, v[j][1]->min,
		       v[j][1]->med, v[j][1]->max, ratio[j]);
	}
}

void print_csv(const struct bench *b)
{
	printf("kind,kernel,accel,cpus,mem_kib,time,api,mem,size,batch,write,"
	       "pages,v_min,v_med,v_max,base_min,base_med,base_max,ratio,"
	       "get_ns,put_ns,base_get_ns,base_put_ns\n");
	csv_pin(b);
	csv_dma(b);
	csv_stages(b);
	csv_pinstage(b);
	for (unsigned int i = 0; i < b->nkmem; i++) {
		const struct kmem_cell *c = &b->kmem[i];

		if (c->err)
			continue;
		csv_head(b, "kmem", "fast", mem_names[c->mem], c->size, 0, 1,
			 c->pages);
		printf(",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",,,,%.4f,,,,\n",
		       c->kmem_bytes, c->kmem_bytes, c->kmem_bytes,
		       (double)c->kmem_bytes / (double)c->pages);
	}
	csv_map(b);
}
