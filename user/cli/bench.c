// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - how much the PIN/UNPIN path costs on top of GUP, how fast
 * the software DMA engine is next to a memcpy, and how much kernel memory a
 * held pin takes.  This file: the command line and the order of the runs;
 * bench_model.h says where the rest is.
 *
 * Every time comes from the module (ktime_get_ns() around the GUP loop and
 * around the release, like mm/gup_test.c): PIN returns get_ns, UNPIN
 * put_ns, GUPDEMO_IOC_BENCH both for the bare-GUP baseline (same GUP call,
 * same batch, preallocated array), GUPDEMO_IOC_DMA the *_ns of each stage.
 * Each cell runs its repeats interleaved with the baseline's (A B B A ...)
 * so that drift hits both alike; the report gives min / median / max.
 * These are measurements, never assertions: under TCG the numbers are only
 * comparable within one run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_dma.h"
#include "bench_env.h"
#include "bench_map.h"
#include "bench_matrix.h"
#include "bench_mirror.h"
#include "bench_report.h"
#include "bench_stat.h"
#include "commands.h"
#include "num.h"

/* ---- parsing option arguments ---- */

/* Every size option: 1 byte to 64 GiB; lists of at most MAX_LIST. */
static const struct cli_num size_spec = {
	.min = 1, .max = 64 * GIB, .suffix = true,
};
/* --dma-sizes, --edu-sizes, --kmem-sizes: "0" alone for none. */
static const struct cli_num size0_spec = {
	.min = 1, .max = 64 * GIB, .suffix = true, .zero_none = true,
};
static const struct cli_num batch_spec = { .min = 1, .max = 1U << 20 };
static const struct cli_num repeats_spec = { .min = 1, .max = MAX_REPS };

/* Names from @names (N of them) into @on; "all" selects all. */
static int parse_name_list(const char *s, const char *const *names,
			   unsigned int n, bool *on)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(on, 0, n * sizeof(*on));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		if (strcmp(tok, "all") == 0) {
			memset(on, 1, n * sizeof(*on));
			continue;
		}
		for (i = 0; i < n && strcmp(tok, names[i]); i++)
			;
		if (i == n)
			return -EINVAL;
		on[i] = true;
	}
	return 0;
}

/* ---- the presets ---- */

static void opts_quick(struct bench_opts *o)
{
	static const uint64_t sizes[] = { 1 * MIB, 4 * MIB, 16 * MIB };

	memcpy(o->sizes, sizes, sizeof(sizes));
	o->nsizes = 3;
	o->batches[0] = 512;
	o->nbatches = 1;
	o->rw[1] = true;
	o->mem_on[MEM_4K] = o->mem_on[MEM_THP] = true;
	o->dma_sizes[0] = 1 * MIB;
	o->dma_sizes[1] = 4 * MIB;
	o->ndma = 2;
	o->edu_sizes[0] = 1024;
	o->nedu = 1;
	o->kmem_sizes[0] = 2 * MIB;
	o->kmem_sizes[1] = 16 * MIB;
	o->nkmem = 2;
}

static void opts_full(struct bench_opts *o)
{
	static const uint64_t sizes[] = {
		1 * MIB, 4 * MIB, 16 * MIB, 64 * MIB, 128 * MIB, 256 * MIB,
		1 * GIB,
	};

	memcpy(o->sizes, sizes, sizeof(sizes));
	o->nsizes = 7;
	o->batches[0] = 1;
	o->batches[1] = 123;
	o->batches[2] = 512;
	o->nbatches = 3;
	o->rw[0] = o->rw[1] = true;
	memset(o->mem_on, 1, sizeof(o->mem_on));
	o->dma_sizes[0] = 1 * MIB;
	o->dma_sizes[1] = 16 * MIB;
	o->dma_sizes[2] = 128 * MIB;
	o->ndma = 3;
	o->edu_sizes[0] = 1024;
	o->edu_sizes[1] = 4096;
	o->nedu = 2;
	o->kmem_sizes[0] = 2 * MIB;
	o->kmem_sizes[1] = 16 * MIB;
	o->kmem_sizes[2] = 128 * MIB;
	o->nkmem = 3;
}

static void opts_default(struct bench_opts *o, bool quick)
{
	memset(o, 0, sizeof(*o));
	if (quick)
		opts_quick(o);
	else
		opts_full(o);
	memset(o->api_on, 1, sizeof(o->api_on));
	o->reps = 5;
	map_opts_default(quick);
}

/* ---- the options: one table, parser and help ---- */

/* What the options set: ctx of every setter. */
struct bench_args {
	struct bench_opts *o;
	bool table_given;
};

#define OPT_SETTER(fn)	static int fn(struct cli *cli, void *ctx, \
				      const char *arg)
#define OPTS(ctx)	(((struct bench_args *)(ctx))->o)

OPT_SETTER(opt_quick)
{
	(void)cli, (void)arg;
	opts_default(OPTS(ctx), true);
	return 0;
}

OPT_SETTER(opt_sizes)
{
	return cli_parse_num_list(cli, arg, &size_spec, OPTS(ctx)->sizes,
				  MAX_LIST, &OPTS(ctx)->nsizes);
}

OPT_SETTER(opt_apis)
{
	static const char *const names[N_APIS] = {
		"fast", "locked", "longterm", "get",
	};

	(void)cli;
	return parse_name_list(arg, names, N_APIS, OPTS(ctx)->api_on);
}

OPT_SETTER(opt_mem)
{
	(void)cli;
	return parse_name_list(arg, mem_names, N_MEMS, OPTS(ctx)->mem_on);
}

OPT_SETTER(opt_batch)
{
	struct bench_opts *o = OPTS(ctx);
	uint64_t v[MAX_LIST];
	unsigned int n;
	int ret = cli_parse_num_list(cli, arg, &batch_spec, v, MAX_LIST, &n);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < n; i++)
		o->batches[i] = (uint32_t)v[i];
	o->nbatches = n;
	return 0;
}

OPT_SETTER(opt_rw)
{
	(void)cli;
	if (strcmp(arg, "both") && strcmp(arg, "write") && strcmp(arg, "read"))
		return -EINVAL;
	OPTS(ctx)->rw[0] = strcmp(arg, "write") != 0;
	OPTS(ctx)->rw[1] = strcmp(arg, "read") != 0;
	return 0;
}

OPT_SETTER(opt_repeats)
{
	uint64_t v;
	int ret = cli_parse_num(cli, arg, &repeats_spec, &v);

	if (!ret)
		OPTS(ctx)->reps = (unsigned int)v;
	return ret;
}

OPT_SETTER(opt_dma_sizes)
{
	return cli_parse_num_list(cli, arg, &size0_spec, OPTS(ctx)->dma_sizes,
				  MAX_LIST, &OPTS(ctx)->ndma);
}

OPT_SETTER(opt_edu_sizes)
{
	return cli_parse_num_list(cli, arg, &size0_spec, OPTS(ctx)->edu_sizes,
				  MAX_LIST, &OPTS(ctx)->nedu);
}

OPT_SETTER(opt_kmem_sizes)
{
	return cli_parse_num_list(cli, arg, &size0_spec, OPTS(ctx)->kmem_sizes,
				  MAX_LIST, &OPTS(ctx)->nkmem);
}

/* The output switches: --json, --csv, --table, --markers, --quiet. */
OPT_SETTER(opt_json)
{
	(void)cli, (void)arg;
	OPTS(ctx)->json = true;
	return 0;
}

OPT_SETTER(opt_csv)
{
	(void)cli, (void)arg;
	OPTS(ctx)->csv = true;
	return 0;
}

OPT_SETTER(opt_table)
{
	(void)cli, (void)arg;
	((struct bench_args *)ctx)->table_given = true;
	return 0;
}

OPT_SETTER(opt_markers)
{
	(void)cli, (void)arg;
	OPTS(ctx)->markers = true;
	return 0;
}

OPT_SETTER(opt_quiet)
{
	(void)cli, (void)arg;
	OPTS(ctx)->quiet = true;
	return 0;
}

/* --quick first: options given with it override its preset. */
static const struct cli_opt bench_options[] = {
	{ "quick", 'q', NULL, opt_quick, NULL,
	  "short preset (make demo): 1M,4M,16M; 4k,thp;\n"
	  "batch 512; write; DMA 1M,4M; edu 1 KiB" },
	{ "sizes", 's', "LIST", opt_sizes, NULL,
	  "buffer sizes (default 1M,4M,16M,64M,128M,256M,1G)" },
	{ "apis", 'a', "LIST", opt_apis,
	  "bad --apis '%s' (fast,locked,longterm,get or all)",
	  "fast,locked,longterm,get or all (default all)" },
	{ "mem", 'm', "LIST", opt_mem, "bad --mem '%s' (4k,thp,hugetlb or all)",
	  "4k,thp,hugetlb or all (default all; hugetlb\n"
	  "reserves vm.nr_hugepages for the run)" },
	{ "batch", 'b', "LIST", opt_batch, NULL,
	  "pages per GUP call (default 1,123,512)" },
	{ "rw", 'w', "MODE", opt_rw, "bad --rw '%s' (write, read or both)",
	  "write, read or both (default both)" },
	{ "repeats", 'r', "N", opt_repeats, NULL,
	  "repeats per cell, 1..101 (default 5)" },
	{ "dma-sizes", 0, "LIST", opt_dma_sizes, NULL,
	  "soft loopback vs memcpy sizes (default\n1M,16M,128M; 0 for none)" },
	{ "edu-sizes", 0, "LIST", opt_edu_sizes, NULL,
	  "edu loopback sizes in bytes, each < 4096 is one\n"
	  "command per direction (default 1024,4096; 0)" },
	{ "kmem-sizes", 0, "LIST", opt_kmem_sizes, NULL,
	  "held-pin sizes for QUERY.kmem_bytes (default\n"
	  "2M,16M,128M; 0 for none)" },
	{ "map-sizes", 0, "LIST", map_opt_sizes, NULL,
	  "held-pin sizes of sg_table vs IOVA link vs held\n"
	  "mapping, on edu behind an IOMMU (default\n"
	  "64K,1M,4M,16M,64M; --quick 1M,4M; 0 for none)" },
	{ "map-xfer", 0, "BYTES", map_opt_xfer, NULL,
	  "its whole-call transfer, 1..64K (default 64K)" },
	{ "json", 'j', NULL, opt_json, NULL, "JSON output" },
	{ "csv", 'c', NULL, opt_csv, NULL, "CSV output" },
	{ "table", 'T', NULL, opt_table, NULL,
	  "table output (the default; several formats may\nbe given)" },
	{ "markers", 0, NULL, opt_markers, NULL,
	  "wrap each output between marker lines\n"
	  "(\"==== gupdemo-bench-FORMAT-begin/end ====\")" },
	{ "quiet", 0, NULL, opt_quiet, NULL, "no progress lines on stderr" },
	{ "device", 'd', "PATH", cli_set_device, NULL, "device node" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

static const char bench_details[] =
	"Every time is measured in the module: PIN returns get_ns, UNPIN put_ns;\n"
	"GUPDEMO_IOC_BENCH runs the same GUP calls with the same batch on a\n"
	"preallocated array (the baseline).  Memory is touched before timing.";

static const char bench_notes[] =
	"A size is 1 to 64G bytes: digits and an optional suffix K, M or G\n"
	"(x1024); a count (--batch, --repeats) is digits only.  The accelerator is read from\n"
	"$GUPDEMO_ACCEL, else guessed (hypervisor flag, kvm-clock, DMI).\n"
	"The targets printed at the end are measurements, not assertions.\n"
	"Exit status: 0 measured (whatever the targets say); 1 a measurement\n"
	"failed; 2 usage error; 3 device missing; 4 permission denied.";

/* ---- the run ---- */

/* Device, GET_INFO and the module's BENCH; an exit status. */
static int bench_open(struct cli *cli, struct bench *b)
{
	struct gupdemo_info info;
	int ret = cli_open_device(cli, &b->fd);

	if (ret)
		return ret;
	ret = cli_get_info(cli, b->fd, &info);
	if (ret)
		return ret;
	if (!(info.features & GUPDEMO_FEAT_BENCH)) {
		errmsg(cli, "bench: the module has no GUPDEMO_IOC_BENCH");
		return EXIT_FAIL;
	}
	b->features = info.features;
	b->psz = (size_t)sysconf(_SC_PAGESIZE);
	return EXIT_OK;
}

static void output(const struct bench *b, const char *format,
		   const struct target *t, unsigned int nt)
{
	if (b->o.markers)
		printf("==== gupdemo-bench-%s-begin ====\n", format);
	if (format[0] == 't')
		print_table(b, t, nt);
	else if (format[0] == 'j')
		print_json(b, t, nt);
	else
		print_csv(b);
	if (b->o.markers)
		printf("==== gupdemo-bench-%s-end ====\n", format);
}

/*
 * A measurement that failed: not memory the machine does not have (no
 * hugetlb pages, no THP in the kernel), not a refused combination (EINVAL),
 * not an absent engine.
 */
static bool bench_failed(const struct bench *b)
{
	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		if (c->err && c->err != -EINVAL &&
		    !(c->mem == MEM_HUGETLB && c->err == -ENOMEM) &&
		    !(c->mem == MEM_THP && c->err == -EOPNOTSUPP))
			return true;
	}
	for (unsigned int i = 0; i < b->o.ndma; i++)
		if (b->dma[i].err && b->dma[i].err != -ENODEV)
			return true;
	return false;
}

static int bench_run(struct cli *cli, struct bench *b)
{
	struct target t[MAX_TARGETS] = { 0 };
	unsigned int nt;
	double t0;
	int ret;

	env_collect(&b->env);
	t0 = now_s();
	ret = run_matrix(b);
	if (ret) {
		errmsg(cli, "bench: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	run_dma(b);
	run_edu(b);
	run_all_stages(b);
	run_kmem(b);
	run_mirror(b);
	run_map(b);
	run_live(b);
	b->env.seconds = now_s() - t0;
	nt = compute_targets(b, t);
	if (b->o.table)
		output(b, "table", t, nt);
	if (b->o.json)
		output(b, "json", t, nt);
	if (b->o.csv)
		output(b, "csv", t, nt);
	fflush(stdout);
	return bench_failed(b) || map_failed() ? EXIT_FAIL : EXIT_OK;
}

static int cmd_bench(struct cli *cli, int argc, char **argv)
{
	struct bench b = { .fd = -1 };
	struct bench_args args = { .o = &b.o };
	int first, ret;

	opts_default(&b.o, false);
	ret = cli_parse_opts(cli, &bench_command, &args, argc, argv,
			     0, &first);
	if (ret >= 0)
		return ret;
	b.o.table = args.table_given || (!b.o.json && !b.o.csv);
	ret = bench_open(cli, &b);
	if (!ret)
		ret = bench_run(cli, &b);
	free(b.cells);
	if (b.fd >= 0)
		gupdemo_close(b.fd);
	return ret;
}

const struct command bench_command = {
	"bench", cmd_bench,
	"time PIN/UNPIN vs bare GUP and DMA vs memcpy (module clock)",
	"bench [--quick] [--json | --csv | --table] [--markers] [options]",
	bench_details, bench_options, bench_notes,
};
