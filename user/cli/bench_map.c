// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - sg_table vs IOVA link vs held mapping: what mapping a
 * held pin for the edu device costs each way, behind an IOMMU, and what a
 * mapping kept across calls (GUPDEMO_DMA_KEEP_MAPPED) saves a call.
 *
 * A call maps only the bytes it moves (its len), and edu moves at most
 * 64 KiB a call at 4095 bytes per 100 ms command, so the per-MiB cost of
 * mapping a whole buffer is measured where the module maps a whole pin:
 * the first KEEP_MAPPED call through a handle builds the table or reserves
 * the range and maps all of it before the transfer (its sg_ns; map_ns is
 * 0), and UNPIN unmaps it before unpinning.  UNPIN reports only the unpin
 * (put_ns), so the unmap is its wall time less put_ns, less the same for
 * a pin of the same bytes that was never kept mapped.  Each row:
 *
 *   per path (sg_table: GUPDEMO_DMA_MAP_SG, IOVA: _MAP_IOVA; the order
 *   alternates over the repeats)
 *     PIN; one call of the transfer length mapped for the call (whole
 *     call: wall clock around the ioctl); UNPIN (the baseline)
 *     PIN; a 64-byte call with KEEP_MAPPED (the whole pin mapped);
 *     [IOVA: one call of the transfer length through the held mapping:
 *     whole call, and its xfer_ns alone]; UNPIN (the unmap)
 *
 * Every call is TO_DEVICE from a long-term read-only pin, and every path
 * is checked against the src_path the module reports.  The table is there
 * only where the IOVA path can be had (a kernel with the two-step DMA API,
 * edu behind a translating IOMMU): elsewhere one line says why.
 *
 * The second table here: a mirror's live DMA mapping (hmm_dma_map_*, 6.16
 * and later: GUPDEMO_FEAT_MIRROR_LIVE) across three soft-engine calls on a
 * fresh mirror, the first mapping every entry, the second none, the third,
 * after MADV_DONTNEED of one page, that one (mirror_mapped says how many).
 *
 * This part's options and results live here, not in struct bench: one
 * bench runs per process.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench_map.h"
#include "bench_stat.h"
#include "json.h"
#include "num.h"

#define MAP_KEEP_LEN	64	/* the call that makes a held mapping */
#define MAP_MAX_XFER	(64 * KIB)	/* edu's most per call */

enum { P_SG, P_IOVA, N_PATHS };
static const char *const path_names[N_PATHS] = { "sg", "iova" };
static const uint32_t path_flags[N_PATHS] = {
	GUPDEMO_DMA_MAP_SG, GUPDEMO_DMA_MAP_IOVA,
};
static const uint32_t path_vals[N_PATHS] = {
	GUPDEMO_DMA_PATH_SG, GUPDEMO_DMA_PATH_IOVA,
};

struct map_row {
	enum mem_kind mem;
	uint64_t size;
	int err;
	const char *why;		/* when err: what failed */
	struct stat3 map[N_PATHS];	/* whole pin: map + unmap, ns */
	struct stat3 mapping[N_PATHS];	/* of which the map (module clock) */
	struct stat3 unmapping[N_PATHS];	/* and the unmap (wall clock) */
	struct stat3 call_map[N_PATHS];	/* per call: sg + map + unmap, ns */
	struct stat3 call[N_PATHS];	/* whole call, mapped for it, ns */
	struct stat3 held;		/* whole call, held mapping, ns */
	struct stat3 xfer;		/* that call's xfer_ns */
	struct stat3 over[N_PATHS + 1];	/* each call less its xfer_ns */
	double ratio;			/* IOVA / sg_table, their medians */
};

/* One repeat's numbers of one row. */
struct map_rep {
	double map[N_PATHS], call_map[N_PATHS], call[N_PATHS];
	double mapping[N_PATHS], unmapping[N_PATHS];
	double held, xfer, over[N_PATHS + 1];
};

static struct {
	uint64_t sizes[MAX_LIST];
	unsigned int nsizes;
	uint64_t xfer;
	int err;			/* the table is not there */
	char why[320];			/* ... because */
	char domain[40];		/* edu's IOMMU domain type */
	struct map_row rows[2 * MAX_LIST];
	unsigned int nrows;
} ms;

static const struct cli_num map_sizes_spec = {
	.min = 4 * KIB, .max = 1 * GIB, .suffix = true, .zero_none = true,
};
static const struct cli_num map_xfer_spec = {
	.min = 1, .max = MAP_MAX_XFER, .suffix = true,
};

void map_opts_default(bool quick)
{
	static const uint64_t full[] = {
		64 * KIB, 1 * MIB, 4 * MIB, 16 * MIB, 64 * MIB,
	};

	ms.nsizes = quick ? 2 : 5;
	memcpy(ms.sizes, quick ? full + 1 : full, ms.nsizes * sizeof(*full));
	ms.xfer = 64 * KIB;
}

int map_opt_sizes(struct cli *cli, void *ctx, const char *arg)
{
	(void)ctx;
	return cli_parse_num_list(cli, arg, &map_sizes_spec, ms.sizes,
				  MAX_LIST, &ms.nsizes);
}

int map_opt_xfer(struct cli *cli, void *ctx, const char *arg)
{
	(void)ctx;
	return cli_parse_num(cli, arg, &map_xfer_spec, &ms.xfer);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * One edu TO_DEVICE call from handle @h: its wall time into *@wall; the
 * path it reports must be @want (-EPROTO otherwise).
 */
static int edu_call(const struct bench *b, uint32_t h, size_t len,
		    uint32_t flags, uint32_t want, struct gupdemo_dma *d,
		    double *wall)
{
	double t0;
	int ret;

	memset(d, 0, sizeof(*d));
	d->flags = GUPDEMO_DMA_SRC_HANDLE | flags;
	d->op = GUPDEMO_DMA_TO_DEVICE;
	d->engine = GUPDEMO_ENGINE_EDU;
	d->src_handle = h;
	d->len = len;
	t0 = now_ns();
	ret = gupdemo_dma(b->fd, d);
	*wall = now_ns() - t0;
	if (!ret && d->src_path != want)
		ret = -EPROTO;
	return ret;
}

/* UNPIN of @h: its wall time less what it reports for the unpin itself. */
static int unpin_extra(const struct bench *b, uint32_t h, double *ns)
{
	struct gupdemo_unpin u = { .handle = h };
	double t0 = now_ns();
	int ret = gupdemo_unpin(b->fd, &u);

	*ns = now_ns() - t0 - (double)u.put_ns;
	return ret;
}

/* A pin of the buffer, mapped for one call only: whole call, baseline. */
static int rep_per_call(const struct bench *b, void *p, uint64_t size,
			int path, struct map_rep *r, double *base)
{
	size_t len = ms.xfer < size ? ms.xfer : size;
	struct gupdemo_dma d;
	uint32_t h;
	int ret = bench_hold(b, p, size, false, &h);

	if (ret)
		return ret;
	ret = edu_call(b, h, len, path_flags[path], path_vals[path], &d,
		       &r->call[path]);
	r->call_map[path] = (double)(d.sg_ns + d.map_ns + d.unmap_ns);
	r->over[path] = r->call[path] - (double)d.xfer_ns;
	if (ret) {
		gupdemo_unpin_handle(b->fd, h, 0);
		return ret;
	}
	return unpin_extra(b, h, base);
}

/* A pin kept mapped: made, [used], dropped; the map + unmap it took. */
static int rep_held(const struct bench *b, void *p, uint64_t size, int path,
		    struct map_rep *r, double base)
{
	uint32_t held = path_vals[path] | GUPDEMO_DMA_PATH_HELD;
	size_t len = ms.xfer < size ? ms.xfer : size;
	struct gupdemo_dma d;
	double make, drop, wall;
	uint32_t h;
	int ret = bench_hold(b, p, size, false, &h);

	if (ret)
		return ret;
	ret = edu_call(b, h, MAP_KEEP_LEN, path_flags[path] |
		       GUPDEMO_DMA_KEEP_MAPPED, held, &d, &wall);
	/* The whole pin is mapped in the call's prepare stage. */
	make = (double)(d.sg_ns + d.map_ns);
	if (!ret && path == P_IOVA) {
		ret = edu_call(b, h, len, 0, held, &d, &r->held);
		r->xfer = (double)d.xfer_ns;
		r->over[N_PATHS] = r->held - r->xfer;
	}
	if (ret) {
		gupdemo_unpin_handle(b->fd, h, 0);
		return ret;
	}
	ret = unpin_extra(b, h, &drop);
	r->mapping[path] = make;
	r->unmapping[path] = drop - base;
	r->map[path] = make + drop - base;
	return ret;
}

/*
 * One untimed small call on each path first: whichever went first would
 * otherwise pay alone for what the first mapping of a buffer costs once
 * (the IOMMU's page-table pages for a fresh IOVA region).
 */
static int row_warm(const struct bench *b, uint64_t size, void *p)
{
	struct gupdemo_dma d;
	double wall;
	uint32_t h;
	int ret = bench_hold(b, p, size, false, &h);

	if (ret)
		return ret;
	for (int k = 0; k < N_PATHS && !ret; k++)
		ret = edu_call(b, h, MAP_KEEP_LEN, path_flags[k], path_vals[k],
			       &d, &wall);
	gupdemo_unpin_handle(b->fd, h, 0);
	return ret;
}

/* The repeats of one row on buffer @p; the medians into @row. */
static int row_reps(const struct bench *b, struct map_row *row, void *p)
{
	/*
	 * map sg, iova, (unused); call map sg, iova; call sg, iova; held,
	 * xfer; beyond the transfer sg, iova, held; mapping sg, iova;
	 * unmapping sg, iova
	 */
	double v[16][MAX_REPS];
	struct map_rep r = { 0 };
	unsigned int i, n = b->o.reps;
	int ret;

	row->why = "the first calls";
	ret = row_warm(b, row->size, p);
	for (i = 0; i < n && !ret; i++) {
		for (int k = 0; k < N_PATHS && !ret; k++) {
			int path = (int)((i + (unsigned int)k) % N_PATHS);
			double base = 0;

			row->why = "a call mapped for itself";
			ret = rep_per_call(b, p, row->size, path, &r, &base);
			if (!ret) {
				row->why = "a held mapping";
				ret = rep_held(b, p, row->size, path, &r, base);
			}
		}
		v[0][i] = r.map[P_SG];
		v[1][i] = r.map[P_IOVA];
		v[2][i] = 0;
		v[3][i] = r.call_map[P_SG];
		v[4][i] = r.call_map[P_IOVA];
		v[5][i] = r.call[P_SG];
		v[6][i] = r.call[P_IOVA];
		v[7][i] = r.held;
		v[8][i] = r.xfer;
		for (int k = 0; k <= N_PATHS; k++)
			v[9 + k][i] = r.over[k];
		for (int k = 0; k < N_PATHS; k++) {
			v[12 + k][i] = r.mapping[k];
			v[14 + k][i] = r.unmapping[k];
		}
	}
	if (ret)
		return ret;
	for (int k = 0; k < N_PATHS; k++) {
		row->map[k] = stat3_of(v[k], n);
		row->mapping[k] = stat3_of(v[12 + k], n);
		row->unmapping[k] = stat3_of(v[14 + k], n);
		row->call_map[k] = stat3_of(v[3 + k], n);
		row->call[k] = stat3_of(v[5 + k], n);
	}
	row->held = stat3_of(v[7], n);
	row->xfer = stat3_of(v[8], n);
	for (int k = 0; k <= N_PATHS; k++)
		row->over[k] = stat3_of(v[9 + k], n);
	/* Of the medians: the unmap's estimate can be near 0, even below. */
	row->ratio = row->map[P_SG].med > 0 ?
		     row->map[P_IOVA].med / row->map[P_SG].med : 0;
	return 0;
}

/* The first line of @path into @buf, without its newline; "" if none. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * The type of edu's IOMMU domain: "DMA" (strict: every unmap flushes the
 * IOTLB), "DMA-FQ" (lazy: flushes batched in a queue), "identity"
 * (passthrough), or "none" (no IOMMU group).
 */
static void edu_domain(char *buf, size_t len)
{
	static const char root[] = "/sys/bus/pci/devices";
	DIR *d = opendir(root);
	struct dirent *e;
	char path[300], id[16];

	snprintf(buf, len, "none");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", root, e->d_name);
		read_line(path, id, sizeof(id));
		if (strcmp(id, "0x1234"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", root, e->d_name);
		read_line(path, id, sizeof(id));
		if (strcmp(id, "0x11e8"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/iommu_group/type", root,
			 e->d_name);
		read_line(path, buf, len);
		if (!buf[0])
			snprintf(buf, len, "none");
		break;
	}
	if (d)
		closedir(d);
}

/* "strict", "lazy" or what else the domain type says. */
static const char *domain_mode(const char *type)
{
	if (!strcmp(type, "DMA"))
		return "strict";
	if (!strcmp(type, "DMA-FQ"))
		return "lazy";
	if (!strcmp(type, "identity"))
		return "passthrough";
	return "no IOMMU";
}

/* Say why the table is not there; 0 (not a failure). */
static int map_absent(const char *fmt, const char *arg)
{
	ms.err = -EOPNOTSUPP;
	snprintf(ms.why, sizeof(ms.why), fmt, arg);
	return 0;
}

/* Ask edu which path a call through @h takes, IOVA first. */
static int probe_paths(const struct bench *b, uint32_t h)
{
	struct gupdemo_dma d;
	double wall;
	char why[120];
	int ret = edu_call(b, h, MAP_KEEP_LEN, GUPDEMO_DMA_MAP_IOVA,
			   GUPDEMO_DMA_PATH_IOVA, &d, &wall);

	if (ret != -EOPNOTSUPP)
		return ret;
	/* Auto: the path it takes instead, or why it cannot (-ERANGE). */
	ret = edu_call(b, h, MAP_KEEP_LEN, 0, GUPDEMO_DMA_PATH_SG, &d, &wall);
	snprintf(why, sizeof(why), "auto path %s, MAP_IOVA EOPNOTSUPP, edu's "
		 "IOMMU domain %s", !ret ? "sg" : ret == -EPROTO ? "not sg" :
		 strerrorname_np(-ret), ms.domain);
	return map_absent("edu maps through an sg_table here: no IOMMU "
			  "translates for it (%s); boot with one (vm-run "
			  "--iommu)", why);
}

/*
 * Whether the table can be measured here: 0 with ms.err 0 when it can,
 * 0 with ms.err and ms.why when it cannot, -errno when the probe failed.
 */
static int map_probe(const struct bench *b)
{
	struct gupdemo_buf m;
	uint32_t h;
	int ret;

	edu_domain(ms.domain, sizeof(ms.domain));
	if (!(b->features & GUPDEMO_FEAT_DMA_IOVA))
		return map_absent("this kernel has no two-step DMA API "
				  "(dma_iova_*, 6.16 and later): "
				  "GUPDEMO_FEAT_DMA_IOVA clear%s", "");
	if (!(b->features & GUPDEMO_FEAT_DMA_KEEP))
		return map_absent("the module keeps no mappings "
				  "(GUPDEMO_FEAT_DMA_KEEP clear)%s", "");
	if (!(b->features & GUPDEMO_FEAT_ENGINE_EDU))
		return map_absent("no edu device: only it sits behind the "
				  "IOMMU (GUPDEMO_FEAT_ENGINE_EDU clear)%s", "");
	ret = bench_buf_alloc(b, MEM_4K, 4096, &m);
	if (ret)
		return ret;
	ret = bench_hold(b, m.p, 4096, false, &h);
	if (!ret) {
		ret = probe_paths(b, h);
		gupdemo_unpin_handle(b->fd, h, 0);
	}
	gupdemo_buf_free(&m);
	return ret;
}

/*
 * A 4K buffer whose neighbouring pages are not neighbouring frames, as in
 * a long-running system's fragmented memory: the even pages are touched
 * first, then the odd ones, so every page is a run of its own (an sg_table
 * entry, a dma_iova_link()).  Touched in order, a fresh guest's pages come
 * out largely contiguous and the 4K rows would measure few long runs.
 */
static int buf_scattered(const struct bench *b, size_t len,
			 struct gupdemo_buf *m)
{
	size_t n = len / b->psz;
	int ret = gupdemo_buf_alloc(m, GUPDEMO_MEM_4K, len, 0);

	if (ret)
		return ret;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = k; i < n; i += 2)
			((volatile char *)m->p)[i * b->psz] = 1;
	return 0;
}

/* One row: its buffer, its repeats. */
static void map_row_run(const struct bench *b, struct map_row *row)
{
	struct gupdemo_buf m;
	char sz[24];

	size_text(row->size, sz, sizeof(sz));
	row->why = "the buffer";
	row->err = row->mem == MEM_4K ? buf_scattered(b, row->size, &m) :
		   bench_buf_alloc(b, row->mem, row->size, &m);
	if (!row->err) {
		row->err = row_reps(b, row, m.p);
		gupdemo_buf_free(&m);
	}
	progress(b, "sg_table vs IOVA vs held, %s %s: %s", mem_names[row->mem],
		 sz, row->err ? strerror(-row->err) : "done");
}

void run_map(struct bench *b)
{
	static const enum mem_kind mems[] = { MEM_4K, MEM_THP };

	int ret;

	ms.nrows = 0;
	ms.err = 0;
	ms.why[0] = '\0';
	if (!ms.nsizes)
		return;
	ret = map_probe(b);
	if (ret) {
		ms.err = ret;
		snprintf(ms.why, sizeof(ms.why), "the probe failed: %s",
			 strerror(-ret));
	}
	if (ms.err)
		return;
	for (unsigned int k = 0; k < 2; k++) {
		if (!b->o.mem_on[mems[k]])
			continue;
		for (unsigned int i = 0; i < ms.nsizes; i++) {
			struct map_row *row = &ms.rows[ms.nrows++];

			memset(row, 0, sizeof(*row));
			row->mem = mems[k];
			row->size = ms.sizes[i];
			map_row_run(b, row);
		}
	}
}

/* ---- the table ---- */

#define MAP_TITLE	"sg_table vs IOVA link vs held mapping"
/* memory size | map: sg IOVA ratio | call: sg IOVA held transfer | beyond */
static const int map_w[] = { -6, 7, 9, 9, 6, 9, 9, 9, 9, 9, 9, 9 };
#define MAP_COLS	(sizeof(map_w) / sizeof(map_w[0]))

static void map_put_row(const char *const *cells)
{
	for (unsigned int i = 0; i < MAP_COLS; i++) {
		if (i)
			putchar(' ');
		put_col(cells[i], map_w[i]);
	}
	putchar('\n');
}

/* Per MiB of @size bytes. */
static double per_mib(double ns, uint64_t size)
{
	return ns * (double)MIB / (double)size;
}

static void map_row_print(const struct map_row *r)
{
	const double v[] = {
		per_mib(r->map[P_SG].med, r->size),
		per_mib(r->map[P_IOVA].med, r->size), 0, r->call[P_SG].med,
		r->call[P_IOVA].med, r->held.med, r->xfer.med,
		r->over[P_SG].med, r->over[P_IOVA].med, r->over[N_PATHS].med,
	};
	char t[MAP_COLS][24];
	const char *cells[MAP_COLS];

	for (unsigned int i = 0; i < MAP_COLS; i++)
		cells[i] = t[i];
	cells[0] = mem_names[r->mem];
	size_text(r->size, t[1], sizeof(t[1]));
	for (unsigned int i = 0; i + 2 < MAP_COLS; i++)
		time_text(v[i], t[2 + i], sizeof(t[2 + i]));
	snprintf(t[4], sizeof(t[4]), "%.2fx", r->ratio);
	if (!r->err) {
		map_put_row(cells);
		return;
	}
	printf("%-6s %7s (%s: %s)\n", cells[0], t[1], r->why,
	       strerror(-r->err));
}

/*
 * "0.61x at 1 MiB, 0.58x at 4 MiB" for the rows of @mem of at least
 * 1 MiB, and in how many of them the IOVA path was the cheaper.
 */
static void summary_ratios(enum mem_kind mem)
{
	unsigned int n = 0, lower = 0;
	char sz[24];

	printf("map in short: %s pages, IOVA vs sg_table map+unmap per MiB:",
	       mem == MEM_4K ? "4K" : "THP");
	for (unsigned int i = 0; i < ms.nrows; i++) {
		const struct map_row *r = &ms.rows[i];

		if (r->mem != mem || r->err || r->size < MIB)
			continue;
		size_text(r->size, sz, sizeof(sz));
		printf("%s %.2fx at %s", n++ ? "," : "", r->ratio, sz);
		lower += r->ratio < 1;
	}
	if (n)
		printf(" (IOVA lower at %u of %u sizes >= 1 MiB)\n", lower, n);
	else
		printf(" not measured (no size >= 1 MiB)\n");
}

/* The row the held-mapping summary is of: the first 4K row measured. */
static const struct map_row *held_row(void)
{
	const struct map_row *any = NULL;

	for (unsigned int i = 0; i < ms.nrows; i++) {
		const struct map_row *r = &ms.rows[i];

		if (r->err)
			continue;
		if (r->mem == MEM_4K)
			return r;
		if (!any)
			any = r;
	}
	return any;
}

/* The held mapping's whole call against its transfer alone. */
static void summary_held(void)
{
	const struct map_row *r = held_row();
	char t[5][24];

	if (!r) {
		printf("map in short: held mapping: not measured\n");
		return;
	}
	size_text(ms.xfer < r->size ? ms.xfer : r->size, t[0], sizeof(t[0]));
	size_text(r->size, t[1], sizeof(t[1]));
	time_text(r->held.med, t[2], sizeof(t[2]));
	time_text(r->over[N_PATHS].med, t[3], sizeof(t[3]));
	time_text(r->xfer.max - r->xfer.min, t[4], sizeof(t[4]));
	printf("map in short: held mapping, %s transfer (%s, %s pin): whole "
	       "call %s, %s beyond its transfer (the transfer's spread: %s)\n",
	       t[0], mem_names[r->mem], t[1], t[2], t[3], t[4]);
}

void table_map(const struct bench *b)
{
	static const char *const head[MAP_COLS] = {
		"memory", "size", "sg_table", "IOVA", "ratio", "sg_table",
		"IOVA", "held", "transfer", "sg_table", "IOVA", "held",
	};
	char xf[24];

	if (!ms.nsizes)
		return;
	if (ms.err) {
		printf("\n" MAP_TITLE ": not measured: %s\n", ms.why);
		return;
	}
	size_text(ms.xfer, xf, sizeof(xf));
	printf("\n" MAP_TITLE " (edu behind the IOMMU, domain %s: %s;\n"
	       "TO_DEVICE from a long-term pin; 4k: pages touched out of "
	       "order, each its own run;\nmedians of %u repeats).  map+unmap: "
	       "the whole pin, per MiB: mapped by the first\nKEEP_MAPPED call "
	       "(its sg_ns), unmapped by UNPIN (its wall time less put_ns and "
	       "less\na plain pin's).  whole call: one %s transfer, wall "
	       "clock, mapped for the call\n(sg_table, IOVA) or held (IOVA); "
	       "transfer: its xfer_ns; ratio: IOVA/sg_table of the medians\n",
	       ms.domain, domain_mode(ms.domain),
	       b->o.reps, xf);
	printf("%15s%-26s %-39s %s\n", "", "map+unmap per MiB", "whole call",
	       "beyond the transfer");
	map_put_row(head);
	for (unsigned int i = 0; i < ms.nrows; i++)
		map_row_print(&ms.rows[i]);
	summary_ratios(MEM_4K);
	summary_ratios(MEM_THP);
	summary_held();
}

/* ---- mirror: full re-map vs entries re-mapped after one invalidation ---- */

#define LIVE_TITLE	"mirror: full re-map vs entries re-mapped after one " \
			"invalidation"
#define LIVE_STEPS	3
static const char *const live_steps[LIVE_STEPS] = {
	"first call", "again", "after one page's DONTNEED",
};

struct live_row {
	uint64_t size;
	int err;
	uint32_t map;			/* GUPDEMO_DMA_MIRROR_MAP_* */
	double entries[LIVE_STEPS];	/* median mirror_mapped */
	struct stat3 mapns[LIVE_STEPS];	/* map_ns + unmap_ns */
	struct stat3 call[LIVE_STEPS];	/* whole call, wall clock */
};

static struct {
	int err;
	const char *why;
	struct live_row rows[2];
	unsigned int nrows;
} ls;

/* One soft TO_DEVICE of the whole mirror @h. */
static int live_call(const struct bench *b, uint32_t h, size_t len,
		     struct gupdemo_dma *d, double *wall)
{
	double t0;
	int ret;

	memset(d, 0, sizeof(*d));
	d->flags = GUPDEMO_DMA_SRC_MIRROR;
	d->op = GUPDEMO_DMA_TO_DEVICE;
	d->engine = GUPDEMO_ENGINE_SOFT;
	d->src_handle = h;
	d->len = len;
	t0 = now_ns();
	ret = gupdemo_dma(b->fd, d);
	*wall = now_ns() - t0;
	return ret;
}

/*
 * One repeat on a fresh mirror of @m: the first call maps every entry,
 * the second none, and after MADV_DONTNEED of one page (written again, so
 * that a new page is there) only that one.
 */
static int live_rep(const struct bench *b, struct live_row *row,
		    struct gupdemo_buf *m, double v[][LIVE_STEPS])
{
	char *page = (char *)m->p + row->size / 2;
	struct gupdemo_dma d;
	uint32_t h;
	int ret = gupdemo_mirror_range(b->fd, m->p, row->size, 0, &h, NULL);

	if (ret)
		return ret;
	for (int i = 0; !ret && i < LIVE_STEPS; i++) {
		if (i == 2) {
			if (madvise(page, b->psz, MADV_DONTNEED)) {
				ret = -errno;
				break;
			}
			*(volatile char *)page = 1;
		}
		ret = live_call(b, h, row->size, &d, &v[1][i]);
		v[0][i] = (double)(d.map_ns + d.unmap_ns);
		v[2][i] = d.mirror_mapped;
		row->map = d.mirror_map;
	}
	gupdemo_unmirror(b->fd, h);
	return ret;
}

static void live_row_run(const struct bench *b, struct live_row *row)
{
	double v[MAX_REPS][3][LIVE_STEPS], s[MAX_REPS];
	struct gupdemo_buf m;
	unsigned int n = b->o.reps, r;

	row->err = bench_buf_alloc(b, MEM_4K, row->size, &m);
	for (r = 0; r < n && !row->err; r++)
		row->err = live_rep(b, row, &m, v[r]);
	gupdemo_buf_free(&m);
	if (row->err)
		return;
	for (int i = 0; i < LIVE_STEPS; i++) {
		for (r = 0; r < n; r++)
			s[r] = v[r][0][i];
		row->mapns[i] = stat3_of(s, n);
		for (r = 0; r < n; r++)
			s[r] = v[r][1][i];
		row->call[i] = stat3_of(s, n);
		for (r = 0; r < n; r++)
			s[r] = v[r][2][i];
		row->entries[i] = median_of(s, n);
	}
}

void run_live(struct bench *b)
{
	static const uint64_t sizes[] = { 1 * MIB, 4 * MIB };
	char sz[24];

	ls.nrows = 0;
	ls.err = 0;
	if (!ms.nsizes)
		return;
	ls.err = -EOPNOTSUPP;
	ls.why = "no soft engine (GUPDEMO_FEAT_ENGINE_SOFT clear)";
	if (!(b->features & GUPDEMO_FEAT_ENGINE_SOFT))
		return;
	ls.why = "no live mirror mapping (<linux/hmm-dma.h>, 6.16 and later): "
		 "GUPDEMO_FEAT_MIRROR_LIVE clear";
	if (!(b->features & GUPDEMO_FEAT_MIRROR_LIVE))
		return;
	ls.err = 0;
	for (unsigned int i = 0; i < 2; i++) {
		struct live_row *row = &ls.rows[ls.nrows++];

		memset(row, 0, sizeof(*row));
		row->size = sizes[i];
		live_row_run(b, row);
		size_text(row->size, sz, sizeof(sz));
		progress(b, "mirror re-map %s: %s", sz,
			 row->err ? strerror(-row->err) : "done");
	}
}

bool map_failed(void)
{
	if (ms.err && ms.err != -EOPNOTSUPP)
		return true;
	for (unsigned int i = 0; i < ls.nrows; i++)
		if (ls.rows[i].err)
			return true;
	for (unsigned int i = 0; i < ms.nrows; i++) {
		const struct map_row *r = &ms.rows[i];

		/* The kernel may have no THP. */
		if (r->err && !(r->mem == MEM_THP && r->err == -EOPNOTSUPP))
			return true;
	}
	return false;
}

static const int live_w[] = { 7, -26, 8, 10, 10 };
#define LIVE_COLS	(sizeof(live_w) / sizeof(live_w[0]))

static void live_put_row(const char *const *cells)
{
	for (unsigned int i = 0; i < LIVE_COLS; i++) {
		if (i)
			putchar(' ');
		put_col(cells[i], live_w[i]);
	}
	putchar('\n');
}

static void live_row_print(const struct live_row *r)
{
	char t[4][24];
	const char *cells[LIVE_COLS] = { t[0], NULL, t[1], t[2], t[3] };

	size_text(r->size, t[0], sizeof(t[0]));
	if (r->err) {
		printf("%7s (%s)\n", t[0], strerror(-r->err));
		return;
	}
	for (int k = 0; k < LIVE_STEPS; k++) {
		cells[1] = live_steps[k];
		snprintf(t[1], sizeof(t[1]), "%.0f", r->entries[k]);
		time_text(r->mapns[k].med, t[2], sizeof(t[2]));
		time_text(r->call[k].med, t[3], sizeof(t[3]));
		live_put_row(cells);
	}
}

void table_live(const struct bench *b)
{
	static const char *const head[LIVE_COLS] = {
		"size", "call", "entries", "map+unmap", "whole call",
	};

	if (!ms.nsizes)
		return;
	if (ls.err) {
		printf("\n" LIVE_TITLE ": not measured: %s\n", ls.why);
		return;
	}
	printf("\n" LIVE_TITLE "\n(soft engine, TO_DEVICE of the whole "
	       "mirror of 4K pages, a fresh mirror per repeat,\nthe mirror's "
	       "live mapping: %s; entries: the call's mirror_mapped; medians "
	       "of %u\nrepeats)\n", ls.rows[0].map == GUPDEMO_DMA_MIRROR_MAP_LIVE ?
	       "yes" : "no, mapped per call", b->o.reps);
	live_put_row(head);
	for (unsigned int i = 0; i < ls.nrows; i++)
		live_row_print(&ls.rows[i]);
}

/* ---- JSON and CSV: raw ns and bytes ---- */

static void json_s3(const char *key, const struct stat3 *s)
{
	printf("\"%s\": {\"min\": %.0f, \"median\": %.0f, \"max\": %.0f}", key,
	       s->min, s->med, s->max);
}

static void json_map_row(const struct map_row *r, bool first)
{
	const struct stat3 *v[] = {
		&r->map[P_SG], &r->map[P_IOVA], &r->call_map[P_SG],
		&r->call_map[P_IOVA], &r->call[P_SG], &r->call[P_IOVA],
		&r->held, &r->xfer, &r->over[P_SG], &r->over[P_IOVA],
		&r->over[N_PATHS], &r->mapping[P_SG], &r->mapping[P_IOVA],
		&r->unmapping[P_SG], &r->unmapping[P_IOVA],
	};
	static const char *const keys[] = {
		"sg_map_ns", "iova_map_ns", "sg_call_map_ns",
		"iova_call_map_ns", "sg_call_ns", "iova_call_ns",
		"held_call_ns", "xfer_ns", "sg_beyond_ns", "iova_beyond_ns",
		"held_beyond_ns", "sg_mapping_ns", "iova_mapping_ns",
		"sg_unmapping_ns", "iova_unmapping_ns",
	};

	printf("%s\n      {\"mem\": \"%s\", \"size\": %" PRIu64 ", ",
	       first ? "" : ",", mem_names[r->mem], r->size);
	if (r->err) {
		printf("\"error\": \"%s\"}", strerrorname_np(-r->err));
		return;
	}
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		json_s3(keys[i], v[i]);
		printf(i % 3 == 2 ? ",\n       " : ", ");
	}
	printf("\"ratio\": %.4f}", r->ratio);
}

/*
 * "map": {"transfer", "iommu_domain", "rows": [...]}, or with "error" and
 * "why" where the table is not there; nothing without sizes.
 */
void json_map(const struct bench *b)
{
	(void)b;
	if (!ms.nsizes)
		return;
	printf("  \"map\": {\"transfer\": %" PRIu64 ", \"iommu_domain\": \"%s\", ",
	       ms.xfer, ms.domain);
	if (ms.err) {
		printf("\"error\": \"%s\", \"why\": ", strerrorname_np(-ms.err));
		json_str(stdout, ms.why);
		printf("},\n");
		return;
	}
	printf("\"rows\": [");
	for (unsigned int i = 0; i < ms.nrows; i++)
		json_map_row(&ms.rows[i], i == 0);
	printf("\n  ]},\n");
}

static void json_live_row(const struct live_row *r, bool first)
{
	printf("%s\n      {\"size\": %" PRIu64 ", ", first ? "" : ",",
	       r->size);
	if (r->err) {
		printf("\"error\": \"%s\"}", strerrorname_np(-r->err));
		return;
	}
	printf("\"live\": %s, \"steps\": [",
	       r->map == GUPDEMO_DMA_MIRROR_MAP_LIVE ? "true" : "false");
	for (int k = 0; k < LIVE_STEPS; k++) {
		printf("%s\n        {\"step\": \"%s\", \"entries\": %.0f, ",
		       k ? "," : "", live_steps[k], r->entries[k]);
		json_s3("map_ns", &r->mapns[k]);
		printf(", ");
		json_s3("call_ns", &r->call[k]);
		printf("}");
	}
	printf("]}");
}

/* "mirror_remap": {"rows": [...]}, or "error" and "why". */
void json_live(const struct bench *b)
{
	(void)b;
	if (!ms.nsizes)
		return;
	printf("  \"mirror_remap\": {");
	if (ls.err) {
		printf("\"error\": \"%s\", \"why\": ", strerrorname_np(-ls.err));
		json_str(stdout, ls.why);
		printf("},\n");
		return;
	}
	printf("\"rows\": [");
	for (unsigned int i = 0; i < ls.nrows; i++)
		json_live_row(&ls.rows[i], i == 0);
	printf("\n  ]},\n");
}

/* The columns every CSV row starts with (bench_report.c's csv_head()). */
static void csv_map_head(const struct bench *b, const char *kind,
			 const char *api, const struct map_row *r,
			 uint64_t batch)
{
	const struct env_info *e = &b->env;

	printf("%s,%s,%s,%ld,%" PRIu64 ",%s,%s,%s,%" PRIu64 ",%" PRIu64
	       ",0,%" PRIu64, kind, e->kernel, e->accel, e->cpus, e->mem_kib,
	       e->start, api, mem_names[r->mem], r->size, batch,
	       (r->size + b->psz - 1) / b->psz);
}

static void csv_live(const struct bench *b)
{
	static const char *const steps[LIVE_STEPS] = {
		"first", "again", "invalidated",
	};
	const struct env_info *e = &b->env;

	for (unsigned int i = 0; i < ls.nrows; i++) {
		const struct live_row *r = &ls.rows[i];

		for (int k = 0; k < LIVE_STEPS && !r->err; k++)
			printf("remap,%s,%s,%ld,%" PRIu64 ",%s,%s,4k,%" PRIu64
			       ",0,0,%" PRIu64 ",%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,"
			       "%.0f,,,,\n", e->kernel, e->accel, e->cpus,
			       e->mem_kib, e->start, steps[k], r->size,
			       r->size / b->psz, r->call[k].min, r->call[k].med,
			       r->call[k].max, r->mapns[k].min, r->mapns[k].med,
			       r->mapns[k].max, r->entries[k]);
	}
}

/*
 * map:     api = sg or iova, v_* = map + unmap of the whole pin, ns;
 *          ratio (iova rows) = IOVA / sg_table, of the medians
 * mapcall: api = sg, iova or held, batch = the transfer's bytes,
 *          v_* = whole call ns, base_* = the call less its xfer_ns
 * remap:   api = first, again or invalidated (a mirror's DMA calls),
 *          v_* = whole call ns, base_* = map + unmap ns, ratio = entries
 *          mapped
 */
void csv_map(const struct bench *b)
{
	static const char *const calls[] = { "sg", "iova", "held" };

	for (unsigned int i = 0; i < ms.nrows; i++) {
		const struct map_row *r = &ms.rows[i];
		uint64_t len = ms.xfer < r->size ? ms.xfer : r->size;

		if (r->err)
			continue;
		for (int k = 0; k < N_PATHS; k++) {
			csv_map_head(b, "map", path_names[k], r, 0);
			printf(",%.0f,%.0f,%.0f,,,,", r->map[k].min,
			       r->map[k].med, r->map[k].max);
			if (k == P_IOVA)
				printf("%.4f", r->ratio);
			printf(",,,,\n");
		}
		for (int k = 0; k <= N_PATHS; k++) {
			const struct stat3 *c = k < N_PATHS ? &r->call[k] :
							      &r->held;

			csv_map_head(b, "mapcall", calls[k], r, len);
			printf(",%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,,,,,\n", c->min,
			       c->med, c->max, r->over[k].min, r->over[k].med,
			       r->over[k].max);
		}
	}
	csv_live(b);
}
