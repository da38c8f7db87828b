// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: races between threads sharing one open file.
 *
 * Handles are small integers handed out lowest-free first, so another
 * thread on the same file can guess the one PIN is about to return and
 * UNPIN, QUERY or DMA it before PIN has even returned.  One thread pins,
 * the others aim UNPIN (with every flag), QUERY and soft-engine DMA (by
 * handle, both directions) at the handles PIN is about to return, and at
 * the end one thread closes the file while the others are still calling.
 * Every call must answer with one of its documented errnos; after each
 * round, with the file closed, module-wide accounting is exact: no handle,
 * no page held or charged, VmPin 0, and the pin counters balanced.
 *
 * Usage: t_race [--seconds N] [--rounds N]
 */
#include <pthread.h>
#include <stdatomic.h>

#include "stress.h"

#define NPAGES		64
#define GUESS		4	/* handles 1..GUESS are the likely next ones */
#define NTHREADS(a)	(sizeof(a) / sizeof((a)[0]))

enum { W_PIN, W_UNPIN, W_QUERY, W_DMA, W_COUNT };

static const char *const wname[W_COUNT] = { "PIN", "UNPIN", "QUERY", "DMA" };

/* Answers each kind of call may give here (0 is always fine). */
static const int ok_pin[] = { EBADF, 0 };
static const int ok_unpin[] = { ENOENT, EBUSY, EPERM, EBADF, 0 };
static const int ok_query[] = { ENOENT, EBADF, 0 };
static const int ok_dma[] = { ENOENT, EBUSY, EPERM, EINVAL, EBADF, 0 };
static const int *const oks[W_COUNT] = { ok_pin, ok_unpin, ok_query, ok_dma };

static struct {
	unsigned int seconds;
	unsigned int rounds;
	size_t psz;
	uint8_t *buf;		/* NPAGES pages, populated */
	uint8_t *dbuf;		/* destination of DMA by address */
	int fd;
	atomic_bool stop;
	atomic_uint calls[W_COUNT];
	atomic_uint success[W_COUNT];
	atomic_uint unexpected;
	atomic_int first_bad;	/* the first unexpected errno */
} R = { .seconds = 10, .rounds = 3 };

static void record(int w, int ret)
{
	atomic_fetch_add(&R.calls[w], 1);
	if (!ret) {
		atomic_fetch_add(&R.success[w], 1);
		return;
	}
	if (!errset_has(oks[w], -ret)) {
		int zero = 0;

		atomic_fetch_add(&R.unexpected, 1);
		atomic_compare_exchange_strong(&R.first_bad, &zero,
					       w * 1000 - ret);
	}
}

static void *pinner(void *arg)
{
	struct rng r = { (uint64_t)(uintptr_t)arg };

	while (!atomic_load(&R.stop)) {
		uint64_t first = rng_below(&r, NPAGES), n;
		struct gupdemo_pin p = { .api = GUPDEMO_API_PIN_FAST };
		int ret;

		n = 1 + rng_below(&r, NPAGES - first);
		p.addr = (uint64_t)(uintptr_t)(R.buf + first * R.psz);
		p.len = n * R.psz - rng_below(&r, R.psz);
		p.flags = (rng_pct(&r, 70) ? GUPDEMO_PIN_WRITE : 0) |
			  (rng_pct(&r, 30) ? GUPDEMO_PIN_LONGTERM : 0);
		ret = gupdemo_pin(R.fd, &p);
		record(W_PIN, ret);
		/*
		 * Keep the table small, so that the handle the next PIN
		 * returns is one of the guessed ones.
		 */
		if (!ret && p.handle > GUESS)
			record(W_UNPIN, gupdemo_unpin_handle(R.fd, p.handle, 0));
	}
	return NULL;
}

static void *unpinner(void *arg)
{
	static const uint32_t flags[] = { 0, GUPDEMO_UNPIN_DIRTY,
					  GUPDEMO_UNPIN_SKIP_DIRTY };
	struct rng r = { (uint64_t)(uintptr_t)arg };

	while (!atomic_load(&R.stop)) {
		uint32_t h = 1 + (uint32_t)rng_below(&r, GUESS);

		record(W_UNPIN, gupdemo_unpin_handle(R.fd, h,
						     flags[rng_below(&r, 3)]));
	}
	return NULL;
}

static void *querier(void *arg)
{
	struct rng r = { (uint64_t)(uintptr_t)arg };

	while (!atomic_load(&R.stop)) {
		struct gupdemo_query q = {
			.handle = 1 + (uint32_t)rng_below(&r, GUESS),
		};

		record(W_QUERY, gupdemo_query(R.fd, &q));
	}
	return NULL;
}

static void *dmaer(void *arg)
{
	struct rng r = { (uint64_t)(uintptr_t)arg };

	while (!atomic_load(&R.stop)) {
		uint32_t h = 1 + (uint32_t)rng_below(&r, GUESS);
		struct gupdemo_dma d = {
			.engine = GUPDEMO_ENGINE_SOFT,
			.len = 1 + rng_below(&r, 2 * R.psz),
		};

		if (rng_pct(&r, 50)) {
			d.op = GUPDEMO_DMA_LOOPBACK;
			d.flags = GUPDEMO_DMA_SRC_HANDLE;
			d.src_handle = h;
			d.dst_addr = (uint64_t)(uintptr_t)R.dbuf;
		} else {
			d.op = GUPDEMO_DMA_FROM_DEVICE;
			d.flags = GUPDEMO_DMA_DST_HANDLE;
			d.dst_handle = h;
		}
		record(W_DMA, gupdemo_dma(R.fd, &d));
	}
	return NULL;
}

/* VmPin of /proc/self/status in kB: the LONGTERM pins' charge. */
static long vmpin_kb(void)
{
	char buf[4096], *p;

	if (g_read_file("/proc/self/status", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "VmPin:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

static void round_run(unsigned int round)
{
	static void *(*const fn[])(void *) = {
		pinner, unpinner, unpinner, querier, dmaer,
	};
	pthread_t t[NTHREADS(fn)];
	struct gupdemo_vmstat before = g_vmstat();
	uint64_t pins = ~0ULL, pages = ~0ULL;
	int64_t charged = -1;
	bool got;
	size_t i;

	R.fd = g_open();
	atomic_store(&R.stop, false);
	for (i = 0; i < W_COUNT; i++) {
		atomic_store(&R.calls[i], 0);
		atomic_store(&R.success[i], 0);
	}
	atomic_store(&R.unexpected, 0);
	atomic_store(&R.first_bad, 0);
	for (i = 0; i < NTHREADS(fn); i++)
		if (pthread_create(&t[i], NULL, fn[i],
				   (void *)(uintptr_t)(round * 100 + i + 1)))
			bail_out("pthread_create failed");
	sleep(R.seconds);
	/* close() races with calls in flight; later calls see EBADF. */
	close(R.fd);
	usleep(100000);
	atomic_store(&R.stop, true);
	for (i = 0; i < NTHREADS(fn); i++)
		pthread_join(t[i], NULL);

	diag("round %u: %u PIN (%u ok), %u UNPIN (%u ok), %u QUERY (%u ok), "
	     "%u DMA (%u ok)", round, R.calls[W_PIN], R.success[W_PIN],
	     R.calls[W_UNPIN], R.success[W_UNPIN], R.calls[W_QUERY],
	     R.success[W_QUERY], R.calls[W_DMA], R.success[W_DMA]);
	ok(R.success[W_PIN] > 0 && R.success[W_UNPIN] > 0 &&
	   R.success[W_QUERY] > 0 && R.success[W_DMA] > 0,
	   "round %u: every kind of call succeeded at least once", round);
	if (!is_int(atomic_load(&R.unexpected), 0,
		    "round %u: every answer was a documented one", round))
		diag("the first other: %s -> %d",
		     wname[atomic_load(&R.first_bad) / 1000 % W_COUNT],
		     -(atomic_load(&R.first_bad) % 1000));
	got = stress_held(&pins, &pages);
	ok(got && pins == 0 && pages == 0,
	   "round %u: after close, GET_INFO pins_held %lld, pages_held %lld",
	   round, (long long)pins, (long long)pages);
	is_int(g_stat_get("pages_charged", &charged) ? -1 : charged, 0,
	       "round %u: debugfs pages_charged 0", round);
	is_int(vmpin_kb(), 0, "round %u: VmPin 0 kB", round);
	{
		struct gupdemo_vmstat now = g_vmstat();

		is_int((int64_t)(now.acquired - before.acquired),
		       (int64_t)(now.released - before.released),
		       "round %u: delta nr_foll_pin_acquired == delta released",
		       round);
	}
}

int main(int argc, char **argv)
{
	struct gupdemo_vmstat before;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			R.seconds = (unsigned int)stress_parse_u64(argv[i], argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			R.rounds = (unsigned int)stress_parse_u64(argv[i], argv[i + 1]);
		else
			bail_out("usage: t_race [--seconds N] [--rounds N]");
	}
	R.psz = (size_t)sysconf(_SC_PAGESIZE);
	R.buf = (uint8_t *)g_map_anon(NPAGES, true);
	R.dbuf = (uint8_t *)g_map_anon(2, true);
	before = g_vmstat();
	diag("%u rounds of %u s: 1 pinner, 2 unpinners, 1 querier, 1 DMA "
	     "thread on one file, handles 1..%d", R.rounds, R.seconds, GUESS);
	for (unsigned int i = 1; i <= R.rounds; i++)
		round_run(i);
	stress_final_checks(&before, "t_race");
	return done_testing();
}
