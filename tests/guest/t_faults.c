// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: kernel fault injection sweeps.  Debug kernel only
 * (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS):
 * on other kernels every test is skipped.
 *
 * Usage: t_faults [--seed N] [--random-ops N] [--max-nth N]
 *
 * 1. fail-nth sweeps: for each operation (open+close, PIN of populated and
 *    of never-touched memory, a PIN whose pages array needs vmalloc, DMA by
 *    address, DMA on handles, UNPIN) and N = 1, 2, ...: arm
 *    /proc/thread-self/fail-nth with N, run the operation, and see whether
 *    the Nth slab or page allocation of this task failed.  failslab and
 *    fail_page_alloc are set to cover GFP_KERNEL and order-0 allocations,
 *    so every allocation on the path, the module's and the kernel's (GUP's
 *    page faults, page tables, sg_tables, the file), is failed in turn,
 *    until the operation runs out of allocations.
 * 2. A random run with probability-based failslab and fail_page_alloc,
 *    filtered to this task (task-filter + /proc/self/make-it-fail).
 * 3. The module's own fail_nth knob over every step of PIN and DMA.
 *
 * After every injected failure: the errno is a documented one, and the
 * module holds exactly what it held before (GET_INFO pins_held and
 * pages_held); at the end the pin counters balance, nothing is held, the
 * module unloads (and the debug checks of vm-run find kmemleak and DMA-API
 * debug clean).
 */
#include <getopt.h>
#include <sys/ioctl.h>

#include "stress.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAILPAGE	"/sys/kernel/debug/fail_page_alloc"
#define MOD_FAIL_NTH	GUPDEMO_DEBUGFS_DIR "/fail_nth"

static struct {
	size_t psz;
	int nth_fd;		/* /proc/thread-self/fail-nth */
	int fd;			/* the device, for ops that need one open */
	uint8_t *pop;		/* populated, 64 pages */
	uint8_t *dst;		/* populated, 64 pages */
	uint8_t *big;		/* populated, 2048 pages: an 16 KiB pages array */
	unsigned int max_nth;
	uint64_t injected_nth;	/* faults injected by fail-nth sweeps */
	uint64_t injected_mod;	/* by the module's fail_nth */
	uint64_t bad_errno;
	uint64_t bad_held;
} T = { .max_nth = 4000 };

static const int errs_open[] = { ENOMEM, 0 };

static int set_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(T.nth_fd, buf, (size_t)len, 0) == len ? 0 : -errno;
}

static unsigned int get_nth(void)
{
	char buf[16] = "";

	if (pread(T.nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return ~0u;
	return (unsigned int)strtoul(buf, NULL, 10);
}

static bool held(uint64_t *pins, uint64_t *pages)
{
	struct gupdemo_info info;

	if (gupdemo_get_info(T.fd, &info))
		return false;
	*pins = info.pins_held;
	*pages = info.pages_held;
	return true;
}

/* ------------------------------------------------------------ the ops */

/* Each op returns 0 or -errno and leaves nothing behind. */
struct op {
	const char *name;
	int (*run)(void);
	const int *errs;
};

static int op_open_close(void)
{
	int fd = open(GUPDEMO_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int pin_unpin(void *addr, size_t len, uint32_t flags)
{
	uint32_t h;
	int ret = gupdemo_pin_range(T.fd, addr, len, GUPDEMO_API_PIN_FAST, flags,
				    &h, NULL);

	if (ret)
		return ret;
	return gupdemo_unpin_handle(T.fd, h, 0);
}

static int op_pin(void)
{
	return pin_unpin(T.pop, 64 * T.psz, GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM);
}

/* Never touched: GUP faults every page in (page and page-table allocations). */
static int op_pin_fault(void)
{
	uint8_t *m = mmap(NULL, 64 * T.psz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	if (m == MAP_FAILED)
		return -ENOMEM;	/* not the module's: mmap itself was failed */
	madvise(m, 64 * T.psz, MADV_NOHUGEPAGE);
	ret = pin_unpin(m, 64 * T.psz, GUPDEMO_PIN_WRITE);
	munmap(m, 64 * T.psz);
	return ret;
}

/* 2048 pages: the 16 KiB pages array falls back from kmalloc to vmalloc. */
static int op_pin_big(void)
{
	return pin_unpin(T.big, 2048 * T.psz, GUPDEMO_PIN_LONGTERM);
}

static int op_dma_addr(void)
{
	struct gupdemo_dma d = {
		.op = GUPDEMO_DMA_LOOPBACK, .engine = GUPDEMO_ENGINE_SOFT,
		.src_addr = (uint64_t)(uintptr_t)T.pop + 100,
		.dst_addr = (uint64_t)(uintptr_t)T.dst + 7,
		.len = 16 * T.psz + 3,
	};

	return gupdemo_dma(T.fd, &d);
}

static int op_dma_handles(void)
{
	struct gupdemo_dma d = {
		.flags = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE,
		.op = GUPDEMO_DMA_LOOPBACK, .engine = GUPDEMO_ENGINE_SOFT,
		.len = 32 * T.psz,
	};
	uint32_t hs, hd;
	int ret;

	/* The pins are made unarmed: only the DMA itself is swept. */
	unsigned int n = get_nth();

	set_nth(0);
	ret = gupdemo_pin_range(T.fd, T.pop, 32 * T.psz, GUPDEMO_API_PIN_FAST,
				GUPDEMO_PIN_LONGTERM, &hs, NULL);
	if (ret)
		return ret;
	ret = gupdemo_pin_range(T.fd, T.dst, 32 * T.psz, GUPDEMO_API_PIN_FAST,
				GUPDEMO_PIN_LONGTERM | GUPDEMO_PIN_WRITE, &hd, NULL);
	if (ret) {
		gupdemo_unpin_handle(T.fd, hs, 0);
		return ret;
	}
	d.src_handle = hs;
	d.dst_handle = hd;
	set_nth(n);
	ret = gupdemo_dma(T.fd, &d);
	n = get_nth();
	set_nth(0);
	gupdemo_unpin_handle(T.fd, hs, 0);
	gupdemo_unpin_handle(T.fd, hd, GUPDEMO_UNPIN_DIRTY);
	set_nth(n);
	return ret;
}

/* Closing a file that holds pins: release must unpin all, whatever fails. */
static int op_close_held(void)
{
	unsigned int n = get_nth();
	uint32_t h;
	int fd, ret;

	set_nth(0);
	ret = gupdemo_open(NULL, &fd);
	if (ret)
		return ret;
	for (int i = 0; i < 8; i++) {
		ret = gupdemo_pin_range(fd, T.pop + i * 8 * T.psz, 8 * T.psz,
					GUPDEMO_API_PIN_FAST, GUPDEMO_PIN_LONGTERM,
					&h, NULL);
		if (ret) {
			close(fd);
			return ret;
		}
	}
	set_nth(n);
	close(fd);
	return 0;
}

static const struct op ops[] = {
	{ "open+close", op_open_close, errs_open },
	{ "PIN+UNPIN of 64 populated pages (LONGTERM)", op_pin, errs_pin },
	{ "PIN+UNPIN of 64 never-touched pages", op_pin_fault, errs_pin },
	{ "PIN+UNPIN of 2048 pages (vmalloc'ed pages array)", op_pin_big, errs_pin },
	{ "close of a file holding 8 pins", op_close_held, errs_open },
	/*
	 * Last: an injected failure in DMA-API debug's own tracking makes it
	 * disable itself, so its mapping check is made before these.
	 */
	{ "DMA loopback by address (soft)", op_dma_addr, errs_dma },
	{ "DMA loopback on handles (soft)", op_dma_handles, errs_dma },
};

#define FIRST_DMA_OP 5

#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* After a call: documented errno, and the module holds what it held. */
static void check_after(const struct op *o, int ret, uint64_t pins0,
			uint64_t pages0, const char *how, unsigned int n)
{
	uint64_t pins = ~0ULL, pages = ~0ULL;

	if (ret && !errset_has(o->errs, -ret)) {
		if (T.bad_errno++ < 10)
			diag("%s, %s %u: undocumented errno %s", o->name, how, n,
			     strerrorname_np(-ret));
	}
	if (!held(&pins, &pages) || pins != pins0 || pages != pages0) {
		if (T.bad_held++ < 10)
			diag("%s, %s %u: module holds %llu pins / %llu pages, not "
			     "%llu / %llu", o->name, how, n, (unsigned long long)pins,
			     (unsigned long long)pages, (unsigned long long)pins0,
			     (unsigned long long)pages0);
	}
}

/* Δnr_foll_pin_acquired == Δnr_foll_pin_released since @before. */
static void balanced(const struct gupdemo_vmstat *before, const char *what)
{
	struct gupdemo_vmstat now = g_vmstat();
	int64_t da = (int64_t)(now.acquired - before->acquired);
	int64_t dr = (int64_t)(now.released - before->released);

	ok(da == dr, "%s: pin counters balanced (delta acquired %lld == delta "
	   "released %lld)", what, (long long)da, (long long)dr);
}

/* ------------------------------------------------------- fail-nth sweep */

static void sweep_nth(const struct op *o)
{
	uint64_t pins0, pages0, failed = 0, ok_after = 0;
	struct gupdemo_vmstat before = g_vmstat();
	unsigned int n;
	bool done = false;

	if (!held(&pins0, &pages0))
		bail_out("GET_INFO failed");
	for (n = 1; n <= T.max_nth; n++) {
		unsigned int left;
		int ret;

		if (set_nth(n))
			bail_out("cannot arm fail-nth: %s", strerror(errno));
		ret = o->run();
		left = get_nth();
		set_nth(0);
		check_after(o, ret, pins0, pages0, "fail-nth", n);
		if (left) {	/* fewer than n fault points: all swept */
			done = true;
			break;
		}
		T.injected_nth++;
		if (ret)
			failed++;
		else
			ok_after++;
	}
	ok(done, "fail-nth sweep: %s: %u fault points, %llu failed cleanly, %llu "
	   "absorbed (the call succeeded)", o->name, n - 1,
	   (unsigned long long)failed, (unsigned long long)ok_after);
	balanced(&before, o->name);
}

/* --------------------------------------------- probability-based run */

static int fi_set(const char *dir, const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return g_write_file(path, val);
}

static uint64_t fi_get(const char *dir, const char *file)
{
	char path[128];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	g_read_u64(path, &v);
	return v;
}

static bool fi_setup(const char *dir)
{
	/* GFP_KERNEL and order-0 allocations too; quiet; only marked tasks. */
	return fi_set(dir, "ignore-gfp-wait", "N") == 0 &&
	       fi_set(dir, "verbose", "0") == 0 &&
	       fi_set(dir, "task-filter", "Y") == 0 &&
	       fi_set(dir, "probability", "0") == 0 &&
	       fi_set(dir, "interval", "1") == 0 &&
	       fi_set(dir, "times", "-1") == 0 &&
	       (strcmp(dir, FAILPAGE) ||
		(fi_set(dir, "min-order", "0") == 0 &&
		 fi_set(dir, "ignore-gfp-highmem", "N") == 0));
}

static void random_run(uint64_t seed, unsigned int nops_run)
{
	const uint64_t budget = 1000000;
	uint64_t pins0, pages0, inj_slab, inj_page;
	struct gupdemo_vmstat before = g_vmstat();
	unsigned int fails = 0;
	struct rng r = { seed };

	if (!held(&pins0, &pages0))
		bail_out("GET_INFO failed");
	fi_set(FAILSLAB, "times", "1000000");
	fi_set(FAILPAGE, "times", "1000000");
	fi_set(FAILSLAB, "probability", "5");
	fi_set(FAILPAGE, "probability", "5");
	if (g_write_file("/proc/self/make-it-fail", "1"))
		bail_out("make-it-fail: %s", strerror(errno));
	for (unsigned int i = 0; i < nops_run; i++) {
		const struct op *o = &ops[rng_below(&r, NOPS)];
		int ret = o->run();

		fails += ret != 0;
		/* Checks allocate nothing: GET_INFO only. */
		check_after(o, ret, pins0, pages0, "random op", i);
	}
	/* Opening the file allocates: it may be failed too. */
	for (int i = 0; i < 1000 && g_write_file("/proc/self/make-it-fail", "0"); i++)
		;
	fi_set(FAILSLAB, "probability", "0");
	fi_set(FAILPAGE, "probability", "0");
	inj_slab = budget - fi_get(FAILSLAB, "times");
	inj_page = budget - fi_get(FAILPAGE, "times");
	diag("gupdemo-faults: random %u ops, %u failed, injected failslab %llu "
	     "fail_page_alloc %llu", nops_run, fails, (unsigned long long)inj_slab,
	     (unsigned long long)inj_page);
	ok(inj_slab + inj_page > 0, "random run: %u ops with failslab and "
	   "fail_page_alloc at 5%% on this task: %llu + %llu faults injected, %u "
	   "calls failed", nops_run, (unsigned long long)inj_slab,
	   (unsigned long long)inj_page, fails);
	T.injected_nth += inj_slab + inj_page;
	fi_set(FAILSLAB, "times", "-1");
	fi_set(FAILPAGE, "times", "-1");
	balanced(&before, "random run");
}

/* ------------------------------------------ the module's own fail_nth */

static void sweep_module(const struct op *o)
{
	uint64_t pins0, pages0, left = 0;
	unsigned int n;

	if (!held(&pins0, &pages0))
		bail_out("GET_INFO failed");
	for (n = 1; n <= 10000; n++) {
		int ret;

		g_write_u64(MOD_FAIL_NTH, n);
		ret = o->run();
		g_read_u64(MOD_FAIL_NTH, &left);
		g_write_u64(MOD_FAIL_NTH, 0);
		check_after(o, ret, pins0, pages0, "module fail_nth", n);
		if (left)
			break;
		T.injected_mod++;
		if (ret != -ENOMEM && T.bad_errno++ < 10)
			diag("%s: module fail_nth %u: %s, not ENOMEM", o->name, n,
			     ret ? strerrorname_np(-ret) : "success");
	}
	ok(left, "module fail_nth sweep: %s: %u steps, each ENOMEM", o->name, n - 1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "random-ops", required_argument, NULL, 'r' },
		{ "max-nth", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct gupdemo_vmstat before;
	unsigned int random_ops = 300;
	uint64_t seed = 0;
	bool have_seed = false;
	int o;

	while ((o = getopt_long(argc, argv, "s:r:n:", opts, NULL)) != -1) {
		switch (o) {
		case 's': seed = stress_parse_u64("--seed", optarg); have_seed = true; break;
		case 'r': random_ops = (unsigned int)stress_parse_u64("--random-ops", optarg); break;
		case 'n': T.max_nth = (unsigned int)stress_parse_u64("--max-nth", optarg); break;
		default:
			fprintf(stderr, "usage: t_faults [--seed N] [--random-ops N] [--max-nth N]\n");
			return 2;
		}
	}
	if (!have_seed)
		seed = stress_seed_from_clock();
	T.psz = (size_t)sysconf(_SC_PAGESIZE);
	if (access(FAILSLAB, F_OK) || access(FAILPAGE, F_OK) ||
	    access("/proc/thread-self/fail-nth", W_OK)) {
		printf("1..0 # SKIP no failslab / fail_page_alloc / fail-nth (not "
		       "a fault-injection kernel)\n");
		return 0;
	}
	diag("t_faults: seed %llu (rerun: t_faults --seed %llu --random-ops %u)",
	     (unsigned long long)seed, (unsigned long long)seed, random_ops);
	if (!fi_setup(FAILSLAB) || !fi_setup(FAILPAGE))
		bail_out("cannot configure failslab / fail_page_alloc");
	T.nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (T.nth_fd < 0)
		bail_out("fail-nth: %s", strerror(errno));
	T.fd = g_open();
	T.pop = (uint8_t *)g_map_anon(64, true);
	T.dst = (uint8_t *)g_map_anon(64, true);
	T.big = (uint8_t *)g_map_anon(2048, true);
	before = g_vmstat();

	/* The module's own steps first, while DMA-API debug tracks everything. */
	sweep_module(&ops[1]);
	sweep_module(&ops[FIRST_DMA_OP]);
	sweep_module(&ops[FIRST_DMA_OP + 1]);
	for (size_t i = 0; i < NOPS; i++) {
		if (i == FIRST_DMA_OP)
			stress_dma_debug_check("before the kernel fault sweeps of DMA");
		sweep_nth(&ops[i]);
	}
	random_run(seed, random_ops);

	diag("gupdemo-faults: fail-nth and random %llu, module fail_nth %llu",
	     (unsigned long long)T.injected_nth, (unsigned long long)T.injected_mod);
	is_u64(T.bad_errno, 0, "every injected failure returned a documented errno");
	is_u64(T.bad_held, 0, "after every injected failure the module held exactly "
	       "what it held before");
	close(T.fd);
	close(T.nth_fd);
	stress_final_checks(&before, "after the fault sweeps");
	return done_testing();
}
