/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stress.h - shared by the reliability tests (t_fuzz, t_storm, t_faults,
 * t_access): a seeded random generator, the documented errno sets, and the
 * closing checks every stress test makes (nothing held, pin counters
 * balanced, module unloads and loads again).  Header only.
 */
#ifndef GUPDEMO_STRESS_H
#define GUPDEMO_STRESS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest.h"

/* splitmix64: small, fast, and every thread can own one. */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* true with probability pct/100. */
static inline bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

/* A seed from the clock, for runs without --seed. */
static inline uint64_t stress_seed_from_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 32);
}

static inline double stress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses a decimal or 0x number option; exits with usage status 2 on junk. */
static inline uint64_t stress_parse_u64(const char *opt, const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "%s wants a number, got '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

/* Running on the debug kernel with vm-run --debug-checks. */
static inline bool stress_debug_kernel(void)
{
	const char *s = getenv("GUPDEMO_DEBUG_CHECKS");

	return s && strcmp(s, "1") == 0;
}

/* A documented errno set: a 0-terminated list. */
static inline bool errset_has(const int *set, int err)
{
	for (; *set; set++)
		if (*set == err)
			return true;
	return false;
}

/*
 * README "Errors", per ioctl.  EFAULT is always possible (the argument
 * pointer), E2BIG for a long struct with a non-zero tail, EINVAL for a
 * short one.  EINTR only with a fatal signal, which a live caller never
 * sees.
 */
#define ERRS_COMMON	EFAULT, EINVAL, E2BIG
static const int errs_info[] = { ERRS_COMMON, 0 };
static const int errs_pin[] = { ERRS_COMMON, EOVERFLOW, EOPNOTSUPP, ENOMEM,
				ENOSPC, 0 };
static const int errs_unpin[] = { ERRS_COMMON, ENOENT, EBUSY, EPERM, 0 };
static const int errs_query[] = { ERRS_COMMON, ENOENT, 0 };
/*
 * EBUSY: a mirror side kept being invalidated for the call's time bound.
 * EOPNOTSUPP: GUPDEMO_DMA_MAP_IOVA where no IOVA range can be used, or
 * KEEP_MAPPED on a device that bounces; EXDEV: a handle kept mapped for the
 * other engine.
 */
static const int errs_dma[] = { ERRS_COMMON, EOVERFLOW, ENOMEM, ENOENT, EPERM,
				ENODEV, ERANGE, EIO, ETIMEDOUT, ENOSPC, EBUSY,
				EOPNOTSUPP, EXDEV, 0 };
static const int errs_bench[] = { ERRS_COMMON, EOVERFLOW, EOPNOTSUPP, ENOMEM,
				  ENOSPC, 0 };
/*
 * MIRROR: the range checks of PIN, then mmu_interval_notifier_insert() and
 * hmm_range_fault()'s documented errors (EFAULT: a hole, PROT_NONE,
 * VM_PFNMAP/VM_IO, a fault that failed; EPERM: WRITE on a read-only
 * mapping; EBUSY: invalidated until the retry loop's timeout; ENOMEM;
 * EINVAL); ENOSPC past a mirror budget.  EOPNOTSUPP only on a kernel without HMM_MIRROR (no
 * GUPDEMO_FEAT_MIRROR), where nothing else is possible but the checks of
 * the struct: errs_mirror_nofeat.
 */
static const int errs_mirror[] = { ERRS_COMMON, EOVERFLOW, ENOMEM, EPERM,
				   EBUSY, ENOSPC, 0 };
static const int errs_mirror_nofeat[] = { ERRS_COMMON, EOPNOTSUPP, 0 };
static const int errs_unmirror[] = { ERRS_COMMON, ENOENT, EBUSY, 0 };
static const int errs_mirror_query[] = { ERRS_COMMON, ENOENT, 0 };
/* DMA with a *_MIRROR side: also EBUSY (the re-fault kept being invalidated). */
static const int errs_dma_mirror[] = { ERRS_COMMON, EOVERFLOW, ENOMEM, ENOENT,
				       EPERM, ENODEV, ERANGE, EIO, ETIMEDOUT,
				       ENOSPC, EBUSY, 0 };
static const int errs_bad[] = { ENOTTY, 0 };

/* Module-wide counters from GET_INFO on a fresh descriptor. */
static inline bool stress_held(uint64_t *pins, uint64_t *pages)
{
	struct gupdemo_info info;
	int fd, ret;

	if (gupdemo_open(NULL, &fd))
		return false;
	ret = gupdemo_get_info(fd, &info);
	close(fd);
	if (ret)
		return false;
	*pins = info.pins_held;
	*pages = info.pages_held;
	return true;
}

/*
 * DMA-API debug (debug kernels): with every descriptor closed, no mapping
 * of gupdemo's devices is left.  Read before the module is unloaded: the
 * dump names each entry's device.
 */
static inline void stress_dma_debug_check(const char *what)
{
	static char dump[65536];
	unsigned int n = 0;
	char *line;

	if (g_read_file("/sys/kernel/debug/dma-api/disabled", dump, sizeof(dump)))
		return;	/* not a DMA_API_DEBUG kernel */
	if (dump[0] == 'Y') {
		/* Its own tracking failed to allocate (fault injection). */
		skip(1, "DMA-API debug disabled itself: mappings not tracked");
		return;
	}
	if (g_read_file("/sys/kernel/debug/dma-api/dump", dump, sizeof(dump)))
		return;
	for (line = strtok(dump, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strstr(line, "gupdemo"))
			continue;
		if (n++ < 8)
			diag("left mapped: %s", line);
	}
	is_int(n, 0, "%s: DMA-API debug lists no mapping of gupdemo's devices", what);
}

/*
 * The closing checks: every descriptor is closed by now.  GET_INFO says
 * nothing is held and debugfs's mirrors_held that no mirror is,
 * Δnr_foll_pin_acquired == Δnr_foll_pin_released since @before (and no pin
 * is left in vmstat's view either), the module unloads (no reference left)
 * and loads again from GUPDEMO_KO.
 */
static inline void stress_final_checks(const struct gupdemo_vmstat *before,
				       const char *what)
{
	struct gupdemo_vmstat now = g_vmstat();
	const char *ko = getenv("GUPDEMO_KO");
	uint64_t pins = ~0ULL, pages = ~0ULL;
	int64_t mirrors = -1;
	int64_t da = (int64_t)(now.acquired - before->acquired);
	int64_t dr = (int64_t)(now.released - before->released);
	bool got;

	stress_dma_debug_check(what);
	got = stress_held(&pins, &pages);
	ok(got && pins == 0 && pages == 0,
	   "%s: GET_INFO pins_held %llu, pages_held %llu: nothing held", what,
	   (unsigned long long)pins, (unsigned long long)pages);
	got = g_stat_get("mirrors_held", &mirrors) == 0;
	ok(got && mirrors == 0,
	   "%s: debugfs mirrors_held %lld: every mirror unregistered", what,
	   (long long)mirrors);
	ok(da == dr, "%s: pin counters balanced: delta acquired %lld == delta "
	   "released %lld", what, (long long)da, (long long)dr);
	ok(now.acquired == now.released,
	   "%s: nr_foll_pin_acquired == nr_foll_pin_released (%llu): no pin "
	   "left anywhere", what, (unsigned long long)now.acquired);
	is_errno(gupdemo_module_unload(), 0, "%s: module unloads", what);
	if (ko) {
		/* With the parameters init loaded it with (vm-run --modparams). */
		char params[256] = "";
		char *nl;

		g_read_file("/etc/gupdemo/modparams", params, sizeof(params));
		nl = strchr(params, '\n');
		if (nl)
			*nl = '\0';
		is_errno(gupdemo_module_load(ko, params[0] ? params : NULL, NULL),
			 0, "%s: module loads again (%s)", what,
			 params[0] ? params : "default parameters");
	}
	else
		skip(1, "GUPDEMO_KO not set");
}

#endif /* GUPDEMO_STRESS_H */
