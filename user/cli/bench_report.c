// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - what a run reports: the targets it is compared against
 * (information, never assertions) and the table, JSON and CSV outputs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
	t->name = "PIN+UNPIN ns/page within 5 % of bare GUP (every cell)";
	t->pass = total ? within == total : -1;
	if (!worst)
		return;
	size_text(worst->size, sz, sizeof(sz));
	snprintf(t->value, sizeof(t->value),
		 "%u of %u cells; worst %.3fx (%s %s %s b%u %s)", within, total,
		 worst->ratio, apis[worst->api].name, mem_names[worst->mem], sz,
		 worst->batch, worst->write ? "w" : "r");
}

/* 2. Soft-engine loopback >= 0.8x memcpy of the same pages. */
static void target_dma(const struct bench *b, struct target *t)
{
	double min_ratio = 0;
	int have_dma = 0;

	for (unsigned int i = 0; i < b->o.ndma; i++) {
		if (b->dma[i].err)
			continue;
		if (!have_dma++ || b->dma[i].ratio < min_ratio)
			min_ratio = b->dma[i].ratio;
	}
	t->name = "soft-engine loopback >= 0.8x in-kernel memcpy";
	t->pass = have_dma ? min_ratio >= 0.8 : -1;
	snprintf(t->value, sizeof(t->value), "lowest %.2fx over %d sizes",
		 min_ratio, have_dma);
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
	t->name = "ns/page flat +-20 % over the sizes (per API, memory)";
	t->pass = groups ? flat == groups : -1;
	snprintf(t->value, sizeof(t->value),
		 "%u of %u flat (batch %u, %s); worst +-%.0f %% (%s)", flat,
		 groups, batch, write ? "write" : "read", worst_flat * 100, what);
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

	t[0].name = "held 4K pin: <= 8 bytes/page + constant";
	t[0].pass = -1;
	if (kmem_worst(b, MEM_4K, KMEM_CONSTANT, &per_page, &cells)) {
		t[0].pass = per_page <= 8.0 + 1e-9;
		snprintf(t[0].value, sizeof(t[0].value),
			 "at most %.2f bytes/page + %d bytes (%u sizes)",
			 per_page, KMEM_CONSTANT, cells);
	}
	t[1].name = "held THP pin: far less than 8 bytes/page";
	t[1].pass = -1;
	if (kmem_worst(b, MEM_THP, 0, &per_page, &cells)) {
		t[1].pass = per_page < 1.0;
		snprintf(t[1].value, sizeof(t[1].value),
			 "at most %.3f bytes/page, all included (%u sizes)",
			 per_page, cells);
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

/* Targets are information: a noisy host is not a failure. */
static const char *pass_text(int pass)
{
	return pass > 0 ? "met" : pass == 0 ? "off" : "n/a";
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

static void table_pin(const struct bench *b)
{
	char sz[24], gp[40], bgp[40];

	printf("\nPIN + UNPIN (gup_test style, medians) against the bare GUP "
	       "loop (GUPDEMO_IOC_BENCH)\n");
	printf("%-8s %-7s %5s %5s %s  %-24s %-24s %7s %7s %7s  %7s %6s\n",
	       "api", "mem", "size", "batch", "rw", "gupdemo (median)",
	       "bare GUP (median)", "min", "med", "max", "base", "ratio");
	printf("%-8s %-7s %5s %5s %s  %-24s %-24s %23s  %7s\n", "", "", "", "",
	       "  ", "", "", "ns/page (get+put)", "ns/page");
	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		size_text(c->size, sz, sizeof(sz));
		if (c->err) {
			printf("%-8s %-7s %5s %5u %s   (%s: %s)\n",
			       apis[c->api].name, mem_names[c->mem], sz,
			       c->batch, c->write ? "w " : "r ", c->why,
			       strerror(-c->err));
			continue;
		}
		snprintf(gp, sizeof(gp), "get:%.0f put:%.0f us",
			 c->get_ns / 1e3, c->put_ns / 1e3);
		snprintf(bgp, sizeof(bgp), "get:%.0f put:%.0f us",
			 c->base_get_ns / 1e3, c->base_put_ns / 1e3);
		printf("%-8s %-7s %5s %5u %s  %-24s %-24s %7.1f %7.1f %7.1f  "
		       "%7.1f %6.3f\n", apis[c->api].name, mem_names[c->mem],
		       sz, c->batch, c->write ? "w " : "r ", gp, bgp, c->nspp.min,
		       c->nspp.med, c->nspp.max, c->base_nspp.med, c->ratio);
	}
}

static void table_dma(const struct bench *b)
{
	char sz[24];

	printf("\nDMA between held handles: soft-engine LOOPBACK vs in-kernel "
	       "memcpy (GB/s)\n");
	printf("%6s  %7s %7s %7s  %7s %7s %7s  %6s\n", "size", "soft min",
	       "med", "max", "cpy min", "med", "max", "ratio");
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		const struct dma_cell *c = &b->dma[i];

		size_text(c->size, sz, sizeof(sz));
		if (c->err)
			printf("%6s  (%s)\n", sz, strerror(-c->err));
		else
			printf("%6s  %8.3f %7.3f %7.3f  %7.3f %7.3f %7.3f  "
			       "%6.3f\n", sz, c->soft_gbps.min,
			       c->soft_gbps.med, c->soft_gbps.max,
			       c->memcpy_gbps.min, c->memcpy_gbps.med,
			       c->memcpy_gbps.max, c->ratio);
	}
	if (!b->o.nedu)
		return;
	printf("\nedu device LOOPBACK (100 ms per command), KiB/s\n");
	for (unsigned int i = 0; i < b->o.nedu; i++) {
		const struct edu_cell *c = &b->edu[i];

		if (c->err)
			printf("%6" PRIu64 " B  (%s)\n", c->size,
			       c->err == -ENODEV ? "no edu device" :
			       strerror(-c->err));
		else
			printf("%6" PRIu64 " B  min %.2f  med %.2f  max %.2f\n",
			       c->size, c->kibps.min, c->kibps.med,
			       c->kibps.max);
	}
}

/* pin + sg + map + unmap + unpin, in per cent of the transfer (medians). */
static double around_pct(const struct stages *s)
{
	double around = s->pin.med + s->sg.med + s->map.med + s->unmap.med +
			s->unpin.med;

	return s->xfer.med > 0 ? 100.0 * around / s->xfer.med : 0;
}

static void table_stages(const struct bench *b)
{
	char sz[24];

	printf("\nstages of one LOOPBACK by address (median ns; around: pin + sg"
	       " + map + unmap\n+ unpin in %% of the transfer; soft-thp: the "
	       "soft engine on THP buffers)\n");
	printf("%-8s %5s %8s %8s %8s %9s %8s %8s %6s\n", "engine", "size",
	       "pin", "sg", "map", "transfer", "unmap", "unpin", "around");
	for (int k = 0; k < 3; k++) {
		const struct stages *s = &b->stages[k];

		if (!s->engine)
			continue;
		size_text(s->size, sz, sizeof(sz));
		if (s->err)
			printf("%-8s %5s (%s)\n", s->engine, sz,
			       s->err == -ENODEV ? "engine not present" :
			       s->err == -EOPNOTSUPP ? "the kernel has no THP" :
			       strerror(-s->err));
		else
			printf("%-8s %5s %8.0f %8.0f %8.0f %9.0f %8.0f %8.0f "
			       "%5.0f%%\n", s->engine, sz, s->pin.med,
			       s->sg.med, s->map.med, s->xfer.med, s->unmap.med,
			       s->unpin.med, around_pct(s));
	}
}

static void table_kmem(const struct bench *b)
{
	char sz[24];

	printf("\nkernel memory of a held pin (QUERY.kmem_bytes)\n");
	for (unsigned int i = 0; i < b->nkmem; i++) {
		const struct kmem_cell *c = &b->kmem[i];

		size_text(c->size, sz, sizeof(sz));
		if (c->err)
			printf("%-4s %6s (%s)\n", mem_names[c->mem], sz,
			       strerror(-c->err));
		else
			printf("%-4s %6s %8" PRIu64 " pages %10" PRIu64
			       " bytes  %.3f bytes/page\n", mem_names[c->mem],
			       sz, c->pages, c->kmem_bytes,
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

static void table_mirror(const struct bench *b)
{
	const struct mirror_cell *c = &b->mirror;
	char sz[24];

	printf("\npin vs mirror: what each allows\n");
	for (size_t i = 0; i < sizeof(pin_vs_mirror) / sizeof(pin_vs_mirror[0]); i++)
		printf("  %-24s %-29s %s\n", pin_vs_mirror[i][0],
		       pin_vs_mirror[i][1], pin_vs_mirror[i][2]);
	size_text(c->size, sz, sizeof(sz));
	printf("\npin vs mirror: what each costs (soft engine, %s, median ns of "
	       "one DMA call)\n", sz);
	if (c->err) {
		printf("  (%s)\n", c->err == -EOPNOTSUPP ?
		       "the kernel has no HMM_MIRROR" : strerror(-c->err));
		return;
	}
	printf("  %-8s %12s %12s %24s\n", "", "TO_DEVICE", "FROM_DEVICE",
	       "TO_DEVICE, invalidated");
	printf("  %-8s %12.0f %12.0f %24s\n", "pin", c->to_pin.med,
	       c->from_pin.med, "-");
	printf("  %-8s %12.0f %12.0f %24.0f\n", "mirror", c->to_mirror.med,
	       c->from_mirror.med, c->invalidated.med);
	printf("  mirror/pin %.3f (TO_DEVICE); an invalidation and its re-fault "
	       "add %.0f ns\n", c->to_mirror.med / c->to_pin.med,
	       c->invalidated.med - c->to_mirror.med);
}

void print_table(const struct bench *b, const struct target *t,
		 unsigned int nt)
{
	table_env(b);
	table_pin(b);
	table_dma(b);
	table_stages(b);
	table_kmem(b);
	printf("\ntargets (information; measured, median of %u repeats, this run)\n",
	       b->o.reps);
	for (unsigned int i = 0; i < nt; i++)
		printf("  %-4s %s\n       %s\n", pass_text(t[i].pass), t[i].name,
		       t[i].value[0] ? t[i].value : "not measured");
	table_mirror(b);
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
	json_kmem(b);
	json_mirror(b);
	printf("  \"targets\": [");
	for (unsigned int i = 0; i < nt; i++) {
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_str(stdout, t[i].name);
		printf(", \"value\": ");
		json_str(stdout, t[i].value);
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

void print_csv(const struct bench *b)
{
	printf("kind,kernel,accel,cpus,mem_kib,time,api,mem,size,batch,write,"
	       "pages,v_min,v_med,v_max,base_min,base_med,base_max,ratio,"
	       "get_ns,put_ns,base_get_ns,base_put_ns\n");
	csv_pin(b);
	csv_dma(b);
	csv_stages(b);
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
}
