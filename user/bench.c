// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - how much the PIN/UNPIN path costs on top of GUP, how fast
 * the software DMA engine is next to a memcpy, and how much kernel memory a
 * held pin takes.
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
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"

#define KIB		((uint64_t)1024)
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define HUGE_SIZE	(2 * MIB)
#define MAX_LIST	16
#define MAX_REPS	101
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

/* ---- what is measured ---- */

struct bench_api {
	const char *name;
	uint32_t api;
	uint32_t flags;
};

/* gup_test's four: fast, locked (pin_user_pages), long-term, FOLL_GET. */
static const struct bench_api apis[] = {
	/* pin_user_pages_fast() */
	{ "fast", GUPDEMO_API_PIN_FAST, 0 },
	/* pin_user_pages() under mmap_read_lock */
	{ "locked", GUPDEMO_API_PIN, 0 },
	/* pin_user_pages(FOLL_LONGTERM) */
	{ "longterm", GUPDEMO_API_PIN, GUPDEMO_PIN_LONGTERM },
	/* get_user_pages_fast() (FOLL_GET) */
	{ "get", GUPDEMO_API_GET_FAST, 0 },
};
#define N_APIS (sizeof(apis) / sizeof(apis[0]))

enum mem_kind { MEM_4K, MEM_THP, MEM_HUGETLB, N_MEMS };
static const char *const mem_names[N_MEMS] = { "4k", "thp", "hugetlb" };

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

struct edu_cell {
	uint64_t size;
	int err;
	struct stat3 kibps;		/* edu LOOPBACK, held handles */
};

struct stages {
	const char *engine;
	uint64_t size;
	int err;
	struct stat3 pin, sg, map, xfer, unmap, unpin;
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
	struct stages soft_stages, edu_stages;
	struct kmem_cell kmem[2 * MAX_LIST];
	unsigned int nkmem;
};

/* ---- small helpers ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct stat3 stat3_of(double *v, unsigned int n)
{
	struct stat3 s = { 0, 0, 0 };

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

static double median_of(double *v, unsigned int n)
{
	return stat3_of(v, n).med;
}

static void size_text(uint64_t size, char *buf, size_t len)
__attribute__((nonnull));
static void size_text(uint64_t size, char *buf, size_t len)
{
	if (size >= GIB && size % GIB == 0)
		snprintf(buf, len, "%" PRIu64 "G", size / GIB);
	else if (size >= MIB && size % MIB == 0)
		snprintf(buf, len, "%" PRIu64 "M", size / MIB);
	else if (size >= KIB && size % KIB == 0)
		snprintf(buf, len, "%" PRIu64 "K", size / KIB);
	else
		snprintf(buf, len, "%" PRIu64, size);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v == 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		v *= KIB;
		end++;
		break;
	case 'm': case 'M':
		v *= MIB;
		end++;
		break;
	case 'g': case 'G':
		v *= GIB;
		end++;
		break;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "1M,4M,1G" into @out; -EINVAL on a bad item or more than MAX_LIST. */
static int parse_size_list(const char *s, uint64_t *out, unsigned int *n)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_LIST || parse_size(tok, &out[*n]))
			return -EINVAL;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

static int parse_batch_list(const char *s, uint32_t *out, unsigned int *n)
{
	uint64_t v[MAX_LIST];
	int ret = parse_size_list(s, v, n);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < *n; i++) {
		if (v[i] > 1U << 20)
			return -EINVAL;
		out[i] = (uint32_t)v[i];
	}
	return 0;
}

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

static int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void progress(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void progress(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->o.quiet)
		return;
	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- environment ---- */

/*
 * TCG or KVM: the harness says so in GUPDEMO_ACCEL; otherwise guess from
 * the CPU's hypervisor flag, kvm-clock and the DMI vendor.
 */
static void detect_accel(char *buf, size_t size)
{
	char text[65536], clk[256] = "", vendor[64] = "";
	const char *env = getenv("GUPDEMO_ACCEL");
	bool hv = false;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return;
	}
	if (read_text("/proc/cpuinfo", text, sizeof(text)) == 0) {
		char *flags = strstr(text, "\nflags");

		if (flags) {
			char *nl = strchr(flags + 1, '\n');

			if (nl)
				*nl = '\0';
			hv = strstr(flags, " hypervisor") != NULL;
		}
	}
	read_text("/sys/devices/system/clocksource/clocksource0/"
		  "available_clocksource", clk, sizeof(clk));
	read_text("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	vendor[strcspn(vendor, "\n")] = '\0';
	if (!hv)
		snprintf(buf, size, "none");
	else if (strstr(clk, "kvm-clock"))
		snprintf(buf, size, "kvm");
	else if (strcmp(vendor, "QEMU") == 0)
		snprintf(buf, size, "tcg");
	else
		snprintf(buf, size, "hypervisor");
}

static void env_collect(struct env_info *e)
{
	char text[65536], *p;
	struct utsname u;
	time_t now = time(NULL);

	uname(&u);
	snprintf(e->kernel, sizeof(e->kernel), "%s", u.release);
	detect_accel(e->accel, sizeof(e->accel));
	e->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(e->cpu_model, sizeof(e->cpu_model), "unknown");
	if (read_text("/proc/cpuinfo", text, sizeof(text)) == 0 &&
	    (p = strstr(text, "model name"))) {
		p = strchr(p, ':');
		if (p) {
			p += 2;
			p[strcspn(p, "\n")] = '\0';
			snprintf(e->cpu_model, sizeof(e->cpu_model), "%s", p);
		}
	}
	if (read_text("/proc/meminfo", text, sizeof(text)) == 0 &&
	    (p = strstr(text, "MemTotal:")))
		e->mem_kib = strtoull(p + 9, NULL, 10);
	snprintf(e->thp, sizeof(e->thp), "unknown");
	if (read_text("/sys/kernel/mm/transparent_hugepage/enabled", text,
		      sizeof(text)) == 0 && (p = strchr(text, '['))) {
		char *q = strchr(p, ']');

		if (q) {
			*q = '\0';
			snprintf(e->thp, sizeof(e->thp), "%s", p + 1);
		}
	}
	strftime(e->start, sizeof(e->start), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- memory ---- */

struct buf {
	void *raw;
	size_t rawlen;
	char *p;
	size_t len;
};

static void buf_free(struct buf *m)
{
	if (m->raw)
		munmap(m->raw, m->rawlen);
	memset(m, 0, sizeof(*m));
}

/* @len bytes of @kind, every page written (touched) before any timing. */
static int buf_alloc(struct bench *b, enum mem_kind kind, size_t len,
		     struct buf *m)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;

	memset(m, 0, sizeof(*m));
	m->len = len;
	m->rawlen = kind == MEM_THP ? len + HUGE_SIZE : len;
	if (kind == MEM_HUGETLB)
		flags |= MAP_HUGETLB;
	m->raw = mmap(NULL, m->rawlen, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (m->raw == MAP_FAILED) {
		m->raw = NULL;
		return -errno;
	}
	m->p = m->raw;
	if (kind == MEM_THP) {
		m->p = (char *)(((uintptr_t)m->raw + HUGE_SIZE - 1) &
				~(uintptr_t)(HUGE_SIZE - 1));
		madvise(m->p, len, MADV_HUGEPAGE);
	} else if (kind == MEM_4K) {
		madvise(m->p, len, MADV_NOHUGEPAGE);
	}
	for (size_t off = 0; off < len; off += b->psz)
		m->p[off] = (char)off;
	return 0;
}

/* ---- the PIN/UNPIN matrix ---- */

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

	if (gd_read_u64(NR_HUGEPAGES, &was))
		was = 0;
	*orig = was;
	gd_write_u64(NR_HUGEPAGES, was + want);
	if (gd_read_u64(NR_HUGEPAGES, &now))
		now = 0;
	return now > *orig ? now - *orig : 0;
}

static int run_matrix(struct bench *b)
{
	for (int mem = 0; mem < N_MEMS; mem++) {
		uint64_t orig = 0, have = 0, maxsize = 0;

		if (!b->o.mem_on[mem])
			continue;
		for (unsigned int s = 0; s < b->o.nsizes; s++)
			if (b->o.sizes[s] > maxsize)
				maxsize = b->o.sizes[s];
		if (mem == MEM_HUGETLB) {
			have = hugetlb_reserve(maxsize / HUGE_SIZE, &orig);
			progress(b, "hugetlb: %" PRIu64 " huge pages reserved",
				 have);
		}
		for (unsigned int s = 0; s < b->o.nsizes; s++) {
			uint64_t size = b->o.sizes[s], folios = 0;
			double t0 = now_s();
			struct buf m;
			char sz[24];
			int ret;

			size_text(size, sz, sizeof(sz));
			/* Huge pages come 2 MiB at a time: no smaller cells. */
			if (mem != MEM_4K && size % HUGE_SIZE)
				continue;
			if (mem == MEM_HUGETLB && size / HUGE_SIZE > have)
				ret = -ENOMEM;
			else
				ret = buf_alloc(b, mem, size, &m);
			if (!ret && mem != MEM_4K)
				folios = count_folios(b, m.p, size);
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
						c->api = a;
						c->mem = mem;
						c->size = size;
						c->batch = b->o.batches[bt];
						c->write = w;
						c->pages = size / b->psz;
						c->folios = folios;
						if (ret) {
							c->err = ret;
							c->why = "no such memory";
							continue;
						}
						measure_cell(b, c, m.p);
					}
				}
			}
			if (!ret)
				buf_free(&m);
			progress(b, "pin matrix %s %s: %s (%.1f s)",
				 mem_names[mem], sz,
				 ret ? strerror(-ret) : "done", now_s() - t0);
		}
		if (mem == MEM_HUGETLB && have)
			gd_write_u64(NR_HUGEPAGES, orig);
	}
	return 0;
}

/* ---- DMA ---- */

static int hold(struct bench *b, void *addr, size_t len, bool write,
		uint32_t *handle)
{
	return gupdemo_pin_range(b->fd, addr, len, GUPDEMO_API_PIN_FAST,
				 GUPDEMO_PIN_LONGTERM |
				 (write ? GUPDEMO_PIN_WRITE : 0), handle, NULL);
}

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

static int dma_pair(struct bench *b, size_t len, struct buf *src,
		    struct buf *dst, uint32_t *hs, uint32_t *hd)
{
	int ret = buf_alloc(b, MEM_4K, len, src);

	if (ret)
		return ret;
	ret = buf_alloc(b, MEM_4K, len, dst);
	if (ret)
		goto err_src;
	ret = hold(b, src->p, len, false, hs);
	if (ret)
		goto err_dst;
	ret = hold(b, dst->p, len, true, hd);
	if (ret)
		goto err_unpin;
	return 0;
err_unpin:
	gupdemo_unpin_handle(b->fd, *hs, 0);
err_dst:
	buf_free(dst);
err_src:
	buf_free(src);
	return ret;
}

static void dma_pair_free(struct bench *b, struct buf *src, struct buf *dst,
			  uint32_t hs, uint32_t hd)
{
	gupdemo_unpin_handle(b->fd, hd, GUPDEMO_UNPIN_DIRTY);
	gupdemo_unpin_handle(b->fd, hs, 0);
	buf_free(dst);
	buf_free(src);
}

static void run_dma(struct bench *b)
{
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		struct dma_cell *c = &b->dma[i];
		double soft[MAX_REPS], cpu[MAX_REPS], ns = 1;
		struct buf src, dst;
		uint32_t hs, hd;
		unsigned int r;
		char sz[24];
		int ret;

		c->size = b->o.dma_sizes[i];
		size_text(c->size, sz, sizeof(sz));
		if (!(b->features & GUPDEMO_FEAT_ENGINE_SOFT)) {
			c->err = -ENODEV;
			continue;
		}
		ret = dma_pair(b, c->size, &src, &dst, &hs, &hd);
		if (ret) {
			c->err = ret;
			continue;
		}
		for (r = 0; r < b->o.reps && !ret; r++) {
			/* Same pinned pages, same run: only the copy differs. */
			for (int k = 0; k < 2 && !ret; k++) {
				bool soft_turn = (r + (unsigned int)k) % 2 == 0;

				ret = dma_handles(b, soft_turn ?
						  GUPDEMO_DMA_LOOPBACK :
						  GUPDEMO_DMA_MEMCPY,
						  soft_turn ? GUPDEMO_ENGINE_SOFT :
						  GUPDEMO_ENGINE_AUTO, hs, hd,
						  c->size, &ns);
				if (soft_turn)
					soft[r] = (double)c->size / ns;
				else
					cpu[r] = (double)c->size / ns;
			}
		}
		c->err = ret;
		if (!ret) {
			double ratio[MAX_REPS];

			/* Paired, like the PIN cells, before stat3_of() sorts. */
			for (unsigned int i = 0; i < r; i++)
				ratio[i] = soft[i] / cpu[i];
			c->ratio = median_of(ratio, r);
			c->soft_gbps = stat3_of(soft, r);
			c->memcpy_gbps = stat3_of(cpu, r);
		}
		dma_pair_free(b, &src, &dst, hs, hd);
		progress(b, "dma soft/memcpy %s: %s", sz,
			 ret ? strerror(-ret) : "done");
	}
}

static void run_edu(struct bench *b)
{
	for (unsigned int i = 0; i < b->o.nedu; i++) {
		struct edu_cell *c = &b->edu[i];
		double rate[MAX_REPS], ns = 1;
		struct buf src, dst;
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

/* One representative DMA by address: every stage, pins included. */
static void run_stages(struct bench *b, struct stages *st, uint32_t engine,
		       uint64_t size)
{
	double v[6][MAX_REPS];
	struct buf src, dst;
	unsigned int r;
	int ret;

	st->engine = engine == GUPDEMO_ENGINE_EDU ? "edu" : "soft";
	st->size = size;
	if (!size || !(b->features & (engine == GUPDEMO_ENGINE_EDU ?
				      GUPDEMO_FEAT_ENGINE_EDU :
				      GUPDEMO_FEAT_ENGINE_SOFT))) {
		st->err = -ENODEV;
		return;
	}
	ret = buf_alloc(b, MEM_4K, size, &src);
	if (!ret) {
		ret = buf_alloc(b, MEM_4K, size, &dst);
		if (ret)
			buf_free(&src);
	}
	if (ret) {
		st->err = ret;
		return;
	}
	for (r = 0; r < b->o.reps; r++) {
		struct gupdemo_dma d = {
			.op = GUPDEMO_DMA_LOOPBACK, .engine = engine,
			.src_addr = (uintptr_t)src.p,
			.dst_addr = (uintptr_t)dst.p, .len = size,
		};

		ret = gupdemo_dma(b->fd, &d);
		if (ret)
			break;
		v[0][r] = (double)d.pin_ns;
		v[1][r] = (double)d.map_ns;
		v[2][r] = (double)d.xfer_ns;
		v[3][r] = (double)d.unmap_ns;
		v[4][r] = (double)d.unpin_ns;
		v[5][r] = (double)d.sg_ns;
	}
	st->err = ret;
	if (!ret) {
		st->pin = stat3_of(v[0], r);
		st->map = stat3_of(v[1], r);
		st->xfer = stat3_of(v[2], r);
		st->unmap = stat3_of(v[3], r);
		st->unpin = stat3_of(v[4], r);
		st->sg = stat3_of(v[5], r);
	}
	buf_free(&dst);
	buf_free(&src);
	progress(b, "stages (%s): %s", st->engine, ret ? strerror(-ret) : "done");
}

static void run_kmem(struct bench *b)
{
	static const enum mem_kind kinds[] = { MEM_4K, MEM_THP };

	for (unsigned int k = 0; k < 2; k++) {
		for (unsigned int i = 0; i < b->o.nkmem; i++) {
			struct kmem_cell *c = &b->kmem[b->nkmem++];
			struct gupdemo_query q = { 0 };
			uint32_t h;
			struct buf m;
			int ret;

			c->mem = kinds[k];
			c->size = b->o.kmem_sizes[i];
			c->pages = c->size / b->psz;
			if (c->mem == MEM_THP && c->size % HUGE_SIZE) {
				b->nkmem--;	/* no THP smaller than 2 MiB */
				continue;
			}
			ret = buf_alloc(b, c->mem, c->size, &m);
			if (ret) {
				c->err = ret;
				continue;
			}
			/* A held pin that is not DMA-mapped. */
			ret = hold(b, m.p, c->size, true, &h);
			if (!ret) {
				q.handle = h;
				ret = gupdemo_query(b->fd, &q);
				c->kmem_bytes = q.kmem_bytes;
				gupdemo_unpin_handle(b->fd, h, 0);
			}
			c->err = ret;
			buf_free(&m);
		}
	}
}

/* ---- targets ---- */

/* The constant of the 4K memory target: struct gupdemo_pinned, rounded. */
#define KMEM_CONSTANT	128

struct target {
	const char *name;
	char value[160];
	int pass;		/* 1 pass, 0 fail, -1 not measured */
};

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

static unsigned int compute_targets(const struct bench *b, struct target *t)
{
	unsigned int n = 0, within = 0, total = 0;
	const struct pin_cell *worst = NULL;
	double min_ratio = 0, worst_flat = 0, per_page;
	unsigned int cells;
	const char *flat_what = "";
	int have_dma = 0;
	char sz[24];

	/* 1. PIN + UNPIN within 5 % of the bare GUP loop. */
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
	t[n].name = "PIN+UNPIN ns/page within 5 % of bare GUP (every cell)";
	t[n].pass = total ? within == total : -1;
	if (worst) {
		size_text(worst->size, sz, sizeof(sz));
		snprintf(t[n].value, sizeof(t[n].value),
			 "%u of %u cells; worst %.3fx (%s %s %s b%u %s)",
			 within, total, worst->ratio, apis[worst->api].name,
			 mem_names[worst->mem], sz, worst->batch,
			 worst->write ? "w" : "r");
	}
	n++;

	/* 2. Soft-engine loopback >= 0.8x memcpy of the same pages. */
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		if (b->dma[i].err)
			continue;
		if (!have_dma++ || b->dma[i].ratio < min_ratio)
			min_ratio = b->dma[i].ratio;
	}
	t[n].name = "soft-engine loopback >= 0.8x in-kernel memcpy";
	t[n].pass = have_dma ? min_ratio >= 0.8 : -1;
	snprintf(t[n].value, sizeof(t[n].value), "lowest %.2fx over %d sizes",
		 min_ratio, have_dma);
	n++;

	/*
	 * 3. ns/page flat within +-20 % over the sizes, per API and memory
	 * kind, at the largest batch and with FOLL_WRITE when measured.
	 */
	{
		uint32_t batch = 0;
		bool write = b->o.rw[1];
		unsigned int groups = 0, flat = 0;

		for (unsigned int i = 0; i < b->o.nbatches; i++)
			if (b->o.batches[i] > batch)
				batch = b->o.batches[i];
		for (unsigned int a = 0; a < N_APIS; a++) {
			for (int mem = 0; mem < N_MEMS; mem++) {
				double v[MAX_LIST], ref, dev = 0;
				unsigned int nv = 0;

				for (size_t i = 0; i < b->ncells; i++) {
					const struct pin_cell *c = &b->cells[i];

					if (c->api == a && (int)c->mem == mem &&
					    c->batch == batch &&
					    c->write == write && !c->err &&
					    nv < MAX_LIST)
						v[nv++] = c->nspp.med;
				}
				if (nv < 2)
					continue;
				double sorted[MAX_LIST];

				memcpy(sorted, v, nv * sizeof(*v));
				ref = median_of(sorted, nv);
				for (unsigned int i = 0; i < nv; i++) {
					double d = v[i] / ref - 1;

					if (d < 0)
						d = -d;
					if (d > dev)
						dev = d;
				}
				groups++;
				if (dev <= 0.20)
					flat++;
				if (dev > worst_flat || groups == 1) {
					static char what[64];

					worst_flat = dev;
					snprintf(what, sizeof(what), "%s %s",
						 apis[a].name, mem_names[mem]);
					flat_what = what;
				}
			}
		}
		t[n].name = "ns/page flat +-20 % over the sizes (per API, memory)";
		t[n].pass = groups ? flat == groups : -1;
		snprintf(t[n].value, sizeof(t[n].value),
			 "%u of %u flat (batch %u, %s); worst +-%.0f %% (%s)",
			 flat, groups, batch, write ? "write" : "read",
			 worst_flat * 100, flat_what);
		n++;
	}

	/* 4. Kernel memory of a held 4K pin: <= 8 bytes/page + constant. */
	t[n].name = "held 4K pin: <= 8 bytes/page + constant";
	t[n].pass = -1;
	if (kmem_worst(b, MEM_4K, KMEM_CONSTANT, &per_page, &cells)) {
		t[n].pass = per_page <= 8.0 + 1e-9;
		snprintf(t[n].value, sizeof(t[n].value),
			 "at most %.2f bytes/page + %d bytes (%u sizes)",
			 per_page, KMEM_CONSTANT, cells);
	}
	n++;
	t[n].name = "held THP pin: far less than 8 bytes/page";
	t[n].pass = -1;
	if (kmem_worst(b, MEM_THP, 0, &per_page, &cells)) {
		t[n].pass = per_page < 1.0;
		snprintf(t[n].value, sizeof(t[n].value),
			 "at most %.3f bytes/page, all included (%u sizes)",
			 per_page, cells);
	}
	n++;
	return n;
}

/* ---- output ---- */

/* Targets are information: a noisy host is not a failure. */
static const char *pass_text(int pass)
{
	return pass > 0 ? "met" : pass == 0 ? "off" : "n/a";
}

static void print_env_table(const struct bench *b)
{
	const struct env_info *e = &b->env;

	printf("gupdemo bench: kernel %s, accel %s, %ld CPUs, %.1f GiB RAM\n",
	       e->kernel, e->accel, e->cpus, (double)e->mem_kib / (1 << 20));
	printf("cpu %s; THP %s; started %s, took %.0f s\n", e->cpu_model,
	       e->thp, e->start, e->seconds);
	printf("times from the module (ktime_get_ns); %u repeats: min / median "
	       "/ max\n", b->o.reps);
}

static void print_table(struct bench *b, const struct target *t,
			unsigned int nt)
{
	char sz[24];

	print_env_table(b);
	printf("\nPIN + UNPIN (gup_test style, medians) against the bare GUP "
	       "loop (GUPDEMO_IOC_BENCH)\n");
	printf("%-8s %-7s %5s %5s %s  %-24s %-24s %7s %7s %7s  %7s %6s\n",
	       "api", "mem", "size", "batch", "rw", "gupdemo (median)",
	       "bare GUP (median)", "min", "med", "max", "base", "ratio");
	printf("%-8s %-7s %5s %5s %s  %-24s %-24s %23s  %7s\n", "", "", "", "",
	       "  ", "", "", "ns/page (get+put)", "ns/page");
	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];
		char gp[40], bgp[40];

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
	if (b->o.nedu) {
		printf("\nedu device LOOPBACK (100 ms per command), KiB/s\n");
		for (unsigned int i = 0; i < b->o.nedu; i++) {
			const struct edu_cell *c = &b->edu[i];

			if (c->err)
				printf("%6" PRIu64 " B  (%s)\n", c->size,
				       c->err == -ENODEV ? "no edu device" :
				       strerror(-c->err));
			else
				printf("%6" PRIu64 " B  min %.2f  med %.2f  "
				       "max %.2f\n", c->size, c->kibps.min,
				       c->kibps.med, c->kibps.max);
		}
	}
	printf("\nstages of one LOOPBACK by address (median ns)\n");
	printf("%-6s %6s %9s %9s %9s %10s %9s %9s\n", "engine", "size", "pin",
	       "sg", "map", "transfer", "unmap", "unpin");
	for (int k = 0; k < 2; k++) {
		const struct stages *s = k ? &b->edu_stages : &b->soft_stages;

		if (!s->engine)
			continue;
		size_text(s->size, sz, sizeof(sz));
		if (s->err)
			printf("%-6s %6s (%s)\n", s->engine, sz,
			       s->err == -ENODEV ? "engine not present" :
			       strerror(-s->err));
		else
			printf("%-6s %6s %9.0f %9.0f %9.0f %10.0f %9.0f %9.0f\n",
			       s->engine, sz, s->pin.med, s->sg.med, s->map.med,
			       s->xfer.med, s->unmap.med, s->unpin.med);
	}
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
	printf("\ntargets (information; measured, median of %u repeats, this run)\n",
	       b->o.reps);
	for (unsigned int i = 0; i < nt; i++)
		printf("  %-4s %s\n       %s\n", pass_text(t[i].pass), t[i].name,
		       t[i].value[0] ? t[i].value : "not measured");
}

static void json_stat3(const char *key, const struct stat3 *s)
{
	printf("\"%s\": {\"min\": %.3f, \"median\": %.3f, \"max\": %.3f}", key,
	       s->min, s->med, s->max);
}

static void print_json(struct bench *b, const struct target *t,
		       unsigned int nt)
{
	const struct env_info *e = &b->env;
	bool first = true;

	printf("{\n  \"tool\": \"gupdemo bench\",\n  \"env\": {\"kernel\": ");
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
	printf("  \"pin\": [");
	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		printf("%s\n    {\"api\": \"%s\", \"mem\": \"%s\", \"size\": %"
		       PRIu64 ", \"batch\": %u, \"write\": %s, \"pages\": %"
		       PRIu64 ", \"folios\": %" PRIu64 ", ", first ? "" : ",",
		       apis[c->api].name, mem_names[c->mem], c->size, c->batch,
		       c->write ? "true" : "false", c->pages, c->folios);
		first = false;
		if (c->err) {
			printf("\"error\": ");
			json_str(stdout, strerrorname_np(-c->err));
			printf("}");
			continue;
		}
		printf("\"get_ns\": %.0f, \"put_ns\": %.0f, \"base_get_ns\": "
		       "%.0f, \"base_put_ns\": %.0f,\n     ", c->get_ns,
		       c->put_ns, c->base_get_ns, c->base_put_ns);
		json_stat3("ns_per_page", &c->nspp);
		printf(",\n     ");
		json_stat3("base_ns_per_page", &c->base_nspp);
		printf(", \"ratio\": %.4f}", c->ratio);
	}
	printf("\n  ],\n  \"dma\": [");
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		const struct dma_cell *c = &b->dma[i];

		printf("%s\n    {\"size\": %" PRIu64 ", ", i ? "," : "", c->size);
		if (c->err) {
			printf("\"error\": ");
			json_str(stdout, strerrorname_np(-c->err));
			printf("}");
			continue;
		}
		json_stat3("soft_gbps", &c->soft_gbps);
		printf(", ");
		json_stat3("memcpy_gbps", &c->memcpy_gbps);
		printf(", \"ratio\": %.4f}", c->ratio);
	}
	printf("\n  ],\n  \"edu\": [");
	for (unsigned int i = 0; i < b->o.nedu; i++) {
		const struct edu_cell *c = &b->edu[i];

		printf("%s\n    {\"size\": %" PRIu64 ", ", i ? "," : "", c->size);
		if (c->err) {
			printf("\"error\": ");
			json_str(stdout, strerrorname_np(-c->err));
			printf("}");
			continue;
		}
		json_stat3("kib_per_s", &c->kibps);
		printf("}");
	}
	printf("\n  ],\n  \"stages\": [");
	first = true;
	for (int k = 0; k < 2; k++) {
		const struct stages *s = k ? &b->edu_stages : &b->soft_stages;

		if (!s->engine)
			continue;
		printf("%s\n    {\"engine\": \"%s\", \"size\": %" PRIu64 ", ",
		       first ? "" : ",", s->engine, s->size);
		first = false;
		if (s->err) {
			printf("\"error\": ");
			json_str(stdout, strerrorname_np(-s->err));
			printf("}");
			continue;
		}
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
		printf("}");
	}
	printf("\n  ],\n  \"kmem\": [");
	for (unsigned int i = 0; i < b->nkmem; i++) {
		const struct kmem_cell *c = &b->kmem[i];

		printf("%s\n    {\"mem\": \"%s\", \"size\": %" PRIu64
		       ", \"pages\": %" PRIu64 ", ", i ? "," : "",
		       mem_names[c->mem], c->size, c->pages);
		if (c->err) {
			printf("\"error\": ");
			json_str(stdout, strerrorname_np(-c->err));
			printf("}");
			continue;
		}
		printf("\"kmem_bytes\": %" PRIu64 "}", c->kmem_bytes);
	}
	printf("\n  ],\n  \"targets\": [");
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

/*
 * One header for every row: kind tells which columns mean what; every
 * row names the kernel, accelerator, CPUs, memory and start time.
 *   pin:   v_* = gupdemo PIN+UNPIN ns/page, base_* = bare GUP ns/page
 *   dma:   v_* = soft loopback GB/s, base_* = memcpy GB/s
 *   edu:   v_* = KiB/s
 *   stage: api = engine, mem = stage name, v_* = ns
 *   kmem:  v_med = kmem bytes, ratio = bytes/page
 */
static void print_csv(struct bench *b)
{
	const struct env_info *e = &b->env;
	static const char *const stage_names[] = {
		"pin", "sg", "map", "xfer", "unmap", "unpin",
	};

	printf("kind,kernel,accel,cpus,mem_kib,time,api,mem,size,batch,write,"
	       "pages,v_min,v_med,v_max,base_min,base_med,base_max,ratio,"
	       "get_ns,put_ns,base_get_ns,base_put_ns\n");
#define CSV_HEAD(kind, api, mem, size, batch, write, pages) \
	printf("%s,%s,%s,%ld,%" PRIu64 ",%s,%s,%s,%" PRIu64 ",%u,%d,%" PRIu64, \
	       kind, e->kernel, e->accel, e->cpus, e->mem_kib, e->start, api, \
	       mem, (uint64_t)(size), (unsigned int)(batch), (int)(write), \
	       (uint64_t)(pages))
	for (size_t i = 0; i < b->ncells; i++) {
		const struct pin_cell *c = &b->cells[i];

		if (c->err)
			continue;
		CSV_HEAD("pin", apis[c->api].name, mem_names[c->mem], c->size,
			 c->batch, c->write, c->pages);
		printf(",%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,%.0f,%.0f,%.0f,"
		       "%.0f\n", c->nspp.min, c->nspp.med, c->nspp.max,
		       c->base_nspp.min, c->base_nspp.med, c->base_nspp.max,
		       c->ratio, c->get_ns, c->put_ns, c->base_get_ns,
		       c->base_put_ns);
	}
	for (unsigned int i = 0; i < b->o.ndma; i++) {
		const struct dma_cell *c = &b->dma[i];

		if (c->err)
			continue;
		CSV_HEAD("dma", "soft", "4k", c->size, 0, 1, c->size / b->psz);
		printf(",%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,,,,\n",
		       c->soft_gbps.min, c->soft_gbps.med, c->soft_gbps.max,
		       c->memcpy_gbps.min, c->memcpy_gbps.med,
		       c->memcpy_gbps.max, c->ratio);
	}
	for (unsigned int i = 0; i < b->o.nedu; i++) {
		const struct edu_cell *c = &b->edu[i];

		if (c->err)
			continue;
		CSV_HEAD("edu", "edu", "4k", c->size, 0, 1, 1);
		printf(",%.3f,%.3f,%.3f,,,,,,,,\n", c->kibps.min, c->kibps.med,
		       c->kibps.max);
	}
	for (int k = 0; k < 2; k++) {
		const struct stages *s = k ? &b->edu_stages : &b->soft_stages;
		const struct stat3 *v[6] = {
			&s->pin, &s->sg, &s->map, &s->xfer, &s->unmap, &s->unpin,
		};

		if (!s->engine || s->err)
			continue;
		for (int j = 0; j < 6; j++) {
			CSV_HEAD("stage", s->engine, stage_names[j], s->size, 0,
				 1, (s->size + b->psz - 1) / b->psz);
			printf(",%.0f,%.0f,%.0f,,,,,,,,\n", v[j]->min, v[j]->med,
			       v[j]->max);
		}
	}
	for (unsigned int i = 0; i < b->nkmem; i++) {
		const struct kmem_cell *c = &b->kmem[i];

		if (c->err)
			continue;
		CSV_HEAD("kmem", "fast", mem_names[c->mem], c->size, 0, 1,
			 c->pages);
		printf(",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",,,,%.4f,,,,\n",
		       c->kmem_bytes, c->kmem_bytes, c->kmem_bytes,
		       (double)c->kmem_bytes / (double)c->pages);
	}
#undef CSV_HEAD
}

/* ---- command line ---- */

static void opts_default(struct bench_opts *o, bool quick)
{
	static const uint64_t full_sizes[] = {
		1 * MIB, 4 * MIB, 16 * MIB, 64 * MIB, 128 * MIB, 256 * MIB,
		1 * GIB,
	};
	static const uint64_t quick_sizes[] = { 1 * MIB, 4 * MIB, 16 * MIB };

	memset(o, 0, sizeof(*o));
	if (quick) {
		memcpy(o->sizes, quick_sizes, sizeof(quick_sizes));
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
	} else {
		memcpy(o->sizes, full_sizes, sizeof(full_sizes));
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
	memset(o->api_on, 1, sizeof(o->api_on));
	o->reps = 5;
}

static int usage_error(struct cli *cli, const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	errmsg(cli, "bench: %s", msg);
	cli_command_usage(stderr, cli->prog, cli_find_command("bench"));
	return EXIT_USAGE;
}

static const char bench_help[] =
	"Every time is measured in the module: PIN returns get_ns, UNPIN put_ns;\n"
	"GUPDEMO_IOC_BENCH runs the same GUP calls with the same batch on a\n"
	"preallocated array (the baseline).  Memory is touched before timing.\n"
	"\n"
	"  -q, --quick          short preset (make demo): 1M,4M,16M; 4k,thp;\n"
	"                       batch 512; write; DMA 1M,4M; edu 1 KiB\n"
	"  -s, --sizes LIST     buffer sizes (default 1M,4M,16M,64M,128M,256M,1G)\n"
	"  -a, --apis LIST      fast,locked,longterm,get or all (default all)\n"
	"  -m, --mem LIST       4k,thp,hugetlb or all (default all; hugetlb\n"
	"                       reserves vm.nr_hugepages for the run)\n"
	"  -b, --batch LIST     pages per GUP call (default 1,123,512)\n"
	"  -w, --rw MODE        write, read or both (default both)\n"
	"  -r, --repeats N      repeats per cell, 1..101 (default 5)\n"
	"      --dma-sizes LIST soft loopback vs memcpy sizes (default\n"
	"                       1M,16M,128M; 0 for none)\n"
	"      --edu-sizes LIST edu loopback sizes in bytes, each < 4096 is one\n"
	"                       command per direction (default 1024,4096; 0)\n"
	"      --kmem-sizes LIST held-pin sizes for QUERY.kmem_bytes\n"
	"  -j, --json           JSON    -c, --csv  CSV    -T, --table  table\n"
	"                       (default: table; several may be given)\n"
	"      --markers        wrap each output between marker lines\n"
	"                       (\"==== gupdemo-bench-FORMAT-begin/end ====\")\n"
	"      --quiet          no progress lines on stderr\n"
	"  -d, --device PATH    device node\n"
	"\n"
	"Sizes take K, M, G suffixes.  The accelerator is read from\n"
	"$GUPDEMO_ACCEL, else guessed (hypervisor flag, kvm-clock, DMI).\n"
	"The targets printed at the end are measurements, not assertions.\n"
	"Exit status: 0 measured (whatever the targets say); 1 a measurement\n"
	"failed; 2 usage error; 3 device missing; 4 permission denied.";

int cmd_bench(struct cli *cli, int argc, char **argv)
{
	enum {
		OPT_DMA = 256, OPT_EDU, OPT_KMEM, OPT_MARKERS, OPT_QUIET,
	};
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "device", required_argument, NULL, 'd' },
		{ "quick", no_argument, NULL, 'q' },
		{ "sizes", required_argument, NULL, 's' },
		{ "apis", required_argument, NULL, 'a' },
		{ "mem", required_argument, NULL, 'm' },
		{ "batch", required_argument, NULL, 'b' },
		{ "rw", required_argument, NULL, 'w' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "dma-sizes", required_argument, NULL, OPT_DMA },
		{ "edu-sizes", required_argument, NULL, OPT_EDU },
		{ "kmem-sizes", required_argument, NULL, OPT_KMEM },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "table", no_argument, NULL, 'T' },
		{ "markers", no_argument, NULL, OPT_MARKERS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const api_names[N_APIS] = {
		"fast", "locked", "longterm", "get",
	};
	struct bench b = { .fd = -1 };
	struct bench_opts *o = &b.o;
	const char *api_arg = NULL, *mem_arg = NULL, *sizes = NULL;
	const char *batch = NULL, *rw = NULL, *dma = NULL, *edu = NULL;
	const char *kmem = NULL, *reps = NULL;
	struct target t[8];
	struct gupdemo_info info;
	bool quick = false, json = false, csv = false, table = false;
	bool markers = false, quiet = false;
	unsigned int nt;
	double t0;
	int opt, ret;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hd:qs:a:m:b:w:r:jcT", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'h':
			cli_command_usage(stdout, cli->prog,
					  cli_find_command("bench"));
			printf("\n%s\n", bench_help);
			return EXIT_OK;
		case 'd':
			cli->device = optarg;
			break;
		case 'q':
			quick = true;
			break;
		case 's':
			sizes = optarg;
			break;
		case 'a':
			api_arg = optarg;
			break;
		case 'm':
			mem_arg = optarg;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'w':
			rw = optarg;
			break;
		case 'r':
			reps = optarg;
			break;
		case OPT_DMA:
			dma = optarg;
			break;
		case OPT_EDU:
			edu = optarg;
			break;
		case OPT_KMEM:
			kmem = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'c':
			csv = true;
			break;
		case 'T':
			table = true;
			break;
		case OPT_MARKERS:
			markers = true;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		default:
			return usage_error(cli, "unknown option or missing "
					   "argument '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(cli, "unexpected argument '%s'", argv[optind]);

	opts_default(o, quick);
	if (sizes && parse_size_list(sizes, o->sizes, &o->nsizes))
		return usage_error(cli, "bad --sizes '%s' (e.g. 1M,16M,1G)", sizes);
	if (api_arg && parse_name_list(api_arg, api_names, N_APIS, o->api_on))
		return usage_error(cli, "bad --apis '%s' (fast,locked,longterm,"
				   "get or all)", api_arg);
	if (mem_arg && parse_name_list(mem_arg, mem_names, N_MEMS, o->mem_on))
		return usage_error(cli, "bad --mem '%s' (4k,thp,hugetlb or all)",
				   mem_arg);
	if (batch && parse_batch_list(batch, o->batches, &o->nbatches))
		return usage_error(cli, "bad --batch '%s' (e.g. 1,123,512)", batch);
	if (rw) {
		if (strcmp(rw, "both") && strcmp(rw, "write") && strcmp(rw, "read"))
			return usage_error(cli, "bad --rw '%s' (write, read or "
					   "both)", rw);
		o->rw[0] = strcmp(rw, "write") != 0;
		o->rw[1] = strcmp(rw, "read") != 0;
	}
	if (reps) {
		char *end;
		unsigned long v = strtoul(reps, &end, 10);

		if (*end || end == reps || v < 1 || v > MAX_REPS)
			return usage_error(cli, "bad --repeats '%s' (1..101)", reps);
		o->reps = (unsigned int)v;
	}
	if (dma && strcmp(dma, "0") == 0)
		o->ndma = 0;
	else if (dma && parse_size_list(dma, o->dma_sizes, &o->ndma))
		return usage_error(cli, "bad --dma-sizes '%s'", dma);
	if (edu && strcmp(edu, "0") == 0)
		o->nedu = 0;
	else if (edu && parse_size_list(edu, o->edu_sizes, &o->nedu))
		return usage_error(cli, "bad --edu-sizes '%s'", edu);
	if (kmem && strcmp(kmem, "0") == 0)
		o->nkmem = 0;
	else if (kmem && parse_size_list(kmem, o->kmem_sizes, &o->nkmem))
		return usage_error(cli, "bad --kmem-sizes '%s'", kmem);
	o->json = json;
	o->csv = csv;
	o->table = table || (!json && !csv);
	o->markers = markers;
	o->quiet = quiet;

	ret = cli_open_device(cli, &b.fd);
	if (ret)
		return ret;
	ret = cli_get_info(cli, b.fd, &info);
	if (ret)
		goto out;
	if (!(info.features & GUPDEMO_FEAT_BENCH)) {
		errmsg(cli, "bench: the module has no GUPDEMO_IOC_BENCH");
		ret = EXIT_FAIL;
		goto out;
	}
	b.features = info.features;
	b.psz = (size_t)sysconf(_SC_PAGESIZE);
	env_collect(&b.env);
	t0 = now_s();

	ret = run_matrix(&b);
	if (ret) {
		errmsg(cli, "bench: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out;
	}
	run_dma(&b);
	run_edu(&b);
	{
		uint64_t stage = 0;

		/* The middle DMA size, at most 16 MiB, stands for the rest. */
		for (unsigned int i = 0; i < o->ndma; i++)
			if (o->dma_sizes[i] <= 16 * MIB && o->dma_sizes[i] > stage)
				stage = o->dma_sizes[i];
		if (!stage && o->ndma)
			stage = o->dma_sizes[0];
		run_stages(&b, &b.soft_stages, GUPDEMO_ENGINE_SOFT, stage);
		if (o->nedu)
			run_stages(&b, &b.edu_stages, GUPDEMO_ENGINE_EDU,
				   o->edu_sizes[0]);
	}
	run_kmem(&b);
	b.env.seconds = now_s() - t0;
	nt = compute_targets(&b, t);

	if (o->table) {
		if (o->markers)
			printf("==== gupdemo-bench-table-begin ====\n");
		print_table(&b, t, nt);
		if (o->markers)
			printf("==== gupdemo-bench-table-end ====\n");
	}
	if (o->json) {
		if (o->markers)
			printf("==== gupdemo-bench-json-begin ====\n");
		print_json(&b, t, nt);
		if (o->markers)
			printf("==== gupdemo-bench-json-end ====\n");
	}
	if (o->csv) {
		if (o->markers)
			printf("==== gupdemo-bench-csv-begin ====\n");
		print_csv(&b);
		if (o->markers)
			printf("==== gupdemo-bench-csv-end ====\n");
	}
	fflush(stdout);
	ret = EXIT_OK;
	for (size_t i = 0; i < b.ncells; i++)
		if (b.cells[i].err && b.cells[i].err != -EINVAL &&
		    !(b.cells[i].mem == (enum mem_kind)MEM_HUGETLB &&
		      b.cells[i].err == -ENOMEM))
			ret = EXIT_FAIL;
	for (unsigned int i = 0; i < o->ndma; i++)
		if (b.dma[i].err && b.dma[i].err != -ENODEV)
			ret = EXIT_FAIL;
out:
	free(b.cells);
	gupdemo_close(b.fd);
	return ret;
}
