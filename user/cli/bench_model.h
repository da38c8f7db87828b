/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - what its files share: what is measured (the cells), the
 * options, the run's state, and the buffers and held pins it measures on
 * (bench_model.c).  Not part of libgupdemo.  The files, each with its own
 * header, and what they use (no file uses one above it):
 *
 *   bench.c         the command line and the order of the runs (everything)
 *   bench_report.c  the targets and the table, JSON and CSV outputs
 *   bench_matrix.c  the PIN/UNPIN matrix against bare GUP; held-pin memory
 *   bench_dma.c     soft engine vs memcpy, edu, the stages of one DMA, its
 *                   pin stage vs PIN of the same bytes
 *   bench_mirror.c  pin vs mirror: one DMA call from each
 *   bench_map.c     sg_table vs IOVA link vs held mapping (edu behind an
 *                   IOMMU); a mirror's full re-map vs one invalidation's
 *   bench_env.c     the machine: kernel, accelerator, CPUs, memory, THP
 *   bench_stat.c    statistics, human units as text, progress lines, the clock
 *   bench_model.c   the APIs and memory kinds; buffers and held pins
 */
#ifndef GUPDEMO_BENCH_MODEL_H
#define GUPDEMO_BENCH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gupdemo.h"

#define KIB		((uint64_t)1024)
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define HUGE_SIZE	((uint64_t)GUPDEMO_HUGE_SIZE)
#define MAX_LIST	16
#define MAX_REPS	101

/* ---- what is measured ---- */

struct bench_api {
	const char *name;
	uint32_t api;
	uint32_t flags;
};

/* gup_test's four: fast, locked (pin_user_pages), long-term, FOLL_GET. */
extern const struct bench_api apis[];
#define N_APIS		4

/* Memory kinds, in libgupdemo's order (enum gupdemo_mem). */
enum mem_kind { MEM_4K, MEM_THP, MEM_HUGETLB, N_MEMS };
extern const char *const mem_names[N_MEMS];

struct stat3 {
	double min, med, max;
};

struct pin_cell {
	unsigned int api;	/* index in apis[] */
	enum mem_kind mem;
	uint64_t size;
	uint32_t batch;
	bool write;
	uint64_t pages;
	int err;		/* 0, or -errno: not measured */
	const char *why;	/* when err: what failed */
	struct stat3 nspp;	/* PIN + UNPIN, ns per page */
	struct stat3 base_nspp;	/* GUPDEMO_IOC_BENCH, ns per page */
	double get_ns, put_ns;	/* medians, whole call */
	double base_get_ns, base_put_ns;
	double ratio;		/* median of the paired nspp / base_nspp */
	uint64_t folios;	/* distinct folios (THP / hugetlb coverage) */
};

struct dma_cell {
	uint64_t size;
	int err;
	struct stat3 soft_gbps;		/* soft-engine LOOPBACK, held handles */
	struct stat3 memcpy_gbps;	/* GUPDEMO_DMA_MEMCPY, same handles */
	double ratio;
};

/* Pin vs mirror: ns of one soft-engine DMA call, whole ioctl. */
struct mirror_cell {
	uint64_t size;
	int err;
	struct stat3 to_pin;		/* TO_DEVICE from a held pin */
	struct stat3 to_mirror;		/* TO_DEVICE from a mirror, table current */
	struct stat3 from_pin;		/* FROM_DEVICE into the pin */
	struct stat3 from_mirror;	/* FROM_DEVICE into the mirror */
	struct stat3 invalidated;	/* TO_DEVICE after two invalidations */
};

struct edu_cell {
	uint64_t size;
	int err;
	struct stat3 kibps;		/* edu LOOPBACK, held handles */
};

struct stages {
	const char *engine;	/* "soft", "soft-thp", "edu"; NULL: not run */
	enum mem_kind mem;	/* the buffers' memory: 4K or THP */
	uint64_t size;
	int err;
	struct stat3 pin, sg, map, xfer, unmap, unpin;
};

/*
 * The pin stage of a DMA call by address, one side (soft TO_DEVICE), next
 * to PIN and UNPIN of the same bytes: the stage's clock covers the range
 * check, the charges, the page record and GUP; PIN's get_ns only GUP.
 */
struct pinstage_cell {
	uint64_t size;
	int err;
	struct stat3 dma_pin, dma_unpin;	/* DMA pin_ns, unpin_ns */
	struct stat3 pin_get, pin_put;		/* PIN get_ns, UNPIN put_ns */
	double pin_ratio, unpin_ratio;		/* medians of paired ratios */
};

struct kmem_cell {
	enum mem_kind mem;
	uint64_t size;
	uint64_t pages;
	uint64_t kmem_bytes;
	int err;
};

struct env_info {
	char kernel[128];
	char accel[64];
	char cpu_model[128];
	long cpus;
	uint64_t mem_kib;
	char thp[32];
	char start[32];
	double seconds;
};

struct bench_opts {
	uint64_t sizes[MAX_LIST];
	unsigned int nsizes;
	uint32_t batches[MAX_LIST];
	unsigned int nbatches;
	bool api_on[N_APIS];
	bool mem_on[N_MEMS];
	bool rw[2];		/* [0] read-only pins, [1] FOLL_WRITE */
	unsigned int reps;
	uint64_t dma_sizes[MAX_LIST];
	unsigned int ndma;
	uint64_t edu_sizes[MAX_LIST];
	unsigned int nedu;
	uint64_t kmem_sizes[MAX_LIST];
	unsigned int nkmem;
	bool json, csv, table, markers, quiet;
};

struct bench {
	struct bench_opts o;
	int fd;
	size_t psz;
	uint64_t features;
	struct env_info env;
	struct pin_cell *cells;
	size_t ncells;
	struct dma_cell dma[MAX_LIST];
	struct edu_cell edu[MAX_LIST];
	/* soft engine on 4K pages, the same on THP, edu (4K) */
	struct stages stages[3];
	struct pinstage_cell pinstage;
	struct mirror_cell mirror;
	struct kmem_cell kmem[2 * MAX_LIST];
	unsigned int nkmem;
};

/* A target the run is compared against: information, never a verdict. */
struct target {
	const char *name;
	const char *goal;	/* the target value: "<= 1.05x" */
	char measured[40];	/* what this run gave: "worst 1.082x" */
	char value[160];	/* the detail: which cells, how many */
	int pass;		/* 1 pass, 0 fail, -1 not measured */
};
#define MAX_TARGETS	8

/* @len bytes of @kind, every page written (touched) before any timing. */
int bench_buf_alloc(const struct bench *b, enum mem_kind kind, size_t len,
		    struct gupdemo_buf *m);
/* A long-term pin held by handle, as a driver's buffer would be. */
int bench_hold(const struct bench *b, void *addr, size_t len, bool write,
	       uint32_t *handle);

#endif /* GUPDEMO_BENCH_MODEL_H */
