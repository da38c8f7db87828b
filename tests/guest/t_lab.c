// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the consequences lab (user/lab/lab.c), what a held pin does to
 * the rest of the kernel.
 *
 * Runs every lab scenario (or those named with --only) through libgupdemo
 * and checks, apart from the scenario's own verdict: the exact pin-counter
 * deltas it expected, nothing left held by the module, and every memory
 * block online again.  A scenario may be skipped only when this guest
 * lacks what it needs, and then with its reason: ZONE_MOVABLE (vm-run
 * --movable; a kernel with memory hotplug), a second NUMA node (vm-run
 * --numa 2; a kernel with NUMA), THP (the PREEMPT_RT kernel has none).
 * The defconfig-based debug kernel has neither memory hotplug nor NUMA.
 * Anything else that skips is a failure.
 *
 * Usage: t_lab [--only NAME]... [--list]
 */
#include <dirent.h>

#include "guest.h"
#include "gupdemo-lab.h"

#define MAX_SCENARIOS	32

/* One entry of the registry: a scenario of the catalogue. */
struct lab_case {
	unsigned int index;
	const struct gupdemo_scenario *sc;
};

static struct gupdemo_scenario_env env;

/* Why this guest cannot run @sc, or NULL when it can. */
static const char *missing(const struct gupdemo_scenario *sc)
{
	const char *movable = getenv("GUPDEMO_VM_MOVABLE");
	const char *numa = getenv("GUPDEMO_VM_NUMA");
	uint64_t block;

	if ((sc->needs & GUPDEMO_NEEDS_MOVABLE) &&
	    access("/sys/devices/system/memory", F_OK))
		return "kernel without memory hotplug (the debug kernel)";
	if ((sc->needs & GUPDEMO_NEEDS_MOVABLE) && (!movable || !*movable))
		return "booted without --movable";
	if (!strcmp(sc->name, "offline-vs-pins") &&
	    gupdemo_memblock_offline_candidate(NULL, &block) == -ENOENT)
		return "every Movable block holds a reserved page";
	if ((sc->needs & GUPDEMO_NEEDS_NUMA) &&
	    access("/sys/devices/system/node", F_OK))
		return "kernel without NUMA (the debug kernel)";
	if ((sc->needs & GUPDEMO_NEEDS_NUMA) && (!numa || atoi(numa) < 2))
		return "booted with one NUMA node";
	if (!strcmp(sc->name, "collapse-pinned") && !g_thp_built())
		return "kernel without THP";
	return NULL;
}

/* Every memory block is online (a failed scenario must restore them). */
static void check_blocks_online(const char *after)
{
	DIR *d = opendir("/sys/devices/system/memory");
	struct gupdemo_memblock mb;
	struct dirent *e;
	unsigned int offline = 0;

	if (!d) {
		skip(1, "no /sys/devices/system/memory");
		return;
	}
	while ((e = readdir(d))) {
		unsigned long long n;
		char tail;

		if (sscanf(e->d_name, "memory%llu%c", &n, &tail) != 1)
			continue;
		if (!gupdemo_memblock_get(NULL, n, &mb) &&
		    strcmp(mb.state, "online"))
			offline++;
	}
	closedir(d);
	is_int(offline, 0, "%s: every memory block online", after);
}

static void run_one(const void *arg)
{
	const struct lab_case *c = arg;
	const struct gupdemo_scenario *sc = c->sc;
	struct gupdemo_scenario_outcome o;
	const char *why = missing(sc);

	is_int(gupdemo_scenario_exec(c->index, &env, &o), 0, "%s: ran",
	       sc->name);
	if (o.verdict == GUPDEMO_VERDICT_SKIP) {
		if (!ok(why != NULL, "%s: skipped only for a missing feature",
			sc->name))
			diag("skipped: %s", o.note);
		skip(4, "%s: %s (%s)", sc->name, o.note, why ? why : "?");
		return;
	}
	if (!ok(!why, "%s: ran although %s", sc->name, why ? why : "-"))
		diag("this guest should have made it skip");
	if (o.note[0])
		diag("%s: %s", sc->name, o.note);
	ok(o.verdict == GUPDEMO_VERDICT_PASS, "%s: %s", sc->name, sc->lesson);
	is_int(o.ret, o.exp_ret, "%s: the pin's result", sc->name);
	ok(o.d_acquired == o.exp_acquired && o.d_released == o.exp_released,
	   "%s: pins +%lld/+%lld acquired/released, expected +%lld/+%lld",
	   sc->name, (long long)o.d_acquired, (long long)o.d_released,
	   (long long)o.exp_acquired, (long long)o.exp_released);
	g_check_nothing_held(env.fd, sc->name);
}

/* The registry: every scenario of the catalogue with a lesson, in its order. */
static size_t lab_cases(struct g_test *t, struct lab_case *c)
{
	const struct gupdemo_scenario *sc;
	size_t n = 0;

	for (unsigned int i = 0; i < gupdemo_scenario_count(); i++) {
		if (gupdemo_scenario_get(i, &sc) || !sc->lesson)
			continue;
		if (n == MAX_SCENARIOS)
			bail_out("more than %d lab scenarios", MAX_SCENARIOS);
		c[n] = (struct lab_case){ .index = i, .sc = sc };
		t[n] = (struct g_test)G_VARIANT(sc->name, run_one, &c[n]);
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct lab_case cases[MAX_SCENARIOS];
	static struct g_test tests[MAX_SCENARIOS];
	struct gupdemo_ext4 fs;
	struct gupdemo_info info;
	size_t n;
	int ran;

	g_parse_args(argc, argv, G_OPT_ONLY | G_OPT_LIST,
		     "t_lab [--only NAME]... [--list]");
	n = lab_cases(tests, cases);
	if (g_listing())
		return !g_run(tests, n, G_BY_NAME);
	env.fd = g_open();
	env.kernel = g_kernel_version();
	if (gupdemo_get_info(env.fd, &info))
		bail_out("GET_INFO failed");
	env.features = info.features;
	if (is_int(gupdemo_ext4_mount("/tmp", 16, &fs), 0,
		   "scratch ext4 on a loop device"))
		env.ext4_dir = fs.dir;
	ran = g_run(tests, n, G_BY_NAME);
	ok(ran == (g_only_count() ? g_only_count() : 9), "%d lab scenarios ran",
	   ran);
	check_blocks_online("after the lab");
	if (env.ext4_dir)
		is_int(gupdemo_ext4_umount(&fs), 0, "ext4 unmounted");
	close(env.fd);
	return done_testing();
}
