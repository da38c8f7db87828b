// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo list / run - the scenario catalogue of the lab kit: list it, or
 * run scenarios and report each one's result, expectation, pin-counter
 * deltas and verdict, as text, TAP or one JSON document.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "commands.h"
#include "gupdemo-lab.h"
#include "json.h"

static const struct cli_opt list_options[] = {
	{ "json", 'j', NULL, cli_set_flag, NULL,
	  "one JSON document on stdout (format_version 1)" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

static void list_json_needs(uint32_t needs)
{
	static const char *const names[] = {
		"ext4", "soft", "edu", "root", "movable", "numa",
	};
	bool first = true;

	printf(", \"needs\": [");
	for (unsigned int b = 0; b < 32; b++) {
		char other[16];

		if (!(needs & (1U << b)))
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		snprintf(other, sizeof(other), "bit%u", b);
		json_str(stdout, b < sizeof(names) / sizeof(names[0]) ?
			 names[b] : other);
	}
	printf("]");
}

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	const struct gupdemo_scenario *sc;
	bool json = false;
	int ret, first;

	ret = cli_parse_opts(cli, &list_command, &json, argc, argv,
			     0, &first);
	if (ret >= 0)
		return ret;
	if (json) {
		json_begin("gupdemo list");
		printf(",\n  \"scenarios\": [");
	}
	for (unsigned int i = 0; i < gupdemo_scenario_count(); i++) {
		gupdemo_scenario_get(i, &sc);
		if (!json) {
			printf("%-14s %s\n", sc->name, sc->summary);
			continue;
		}
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_str(stdout, sc->name);
		printf(", \"api\": ");
		json_str(stdout, sc->api);
		printf(", \"memory\": ");
		json_str(stdout, sc->memory);
		printf(", \"pages\": %" PRIu32 ", \"lab\": %s", sc->pages,
		       sc->lesson ? "true" : "false");
		list_json_needs(sc->needs);
		printf(",\n     \"summary\": ");
		json_str(stdout, sc->summary);
		printf("}");
	}
	if (json)
		printf("\n  ]\n}\n");
	return EXIT_OK;
}

enum run_format { FMT_HUMAN, FMT_JSON, FMT_TAP };

struct run_state {
	enum run_format fmt;
	bool colour;
	bool lab_seen;	/* the lab's heading is printed */
	unsigned int n, passed, failed, skipped;
};

/* "16" for a success with 16 pages, "EFAULT" for -EFAULT. */
static void result_text(int ret, uint64_t npages, char *buf, size_t size)
{
	if (ret)
		snprintf(buf, size, "%s", cli_errname(ret));
	else
		snprintf(buf, size, "%" PRIu64, npages);
}

static const char *verdict_name(enum gupdemo_verdict v)
{
	return v == GUPDEMO_VERDICT_PASS ? "pass" :
	       v == GUPDEMO_VERDICT_SKIP ? "skip" : "FAIL";
}

static void run_print_one(struct run_state *st, unsigned int idx,
			  const struct gupdemo_scenario *sc,
			  const struct gupdemo_scenario_outcome *o)
{
	char res[24], exp[24];
	bool skipped = o->verdict == GUPDEMO_VERDICT_SKIP;

	result_text(o->ret, o->npages, res, sizeof(res));
	result_text(o->exp_ret, o->exp_npages, exp, sizeof(exp));
	switch (st->fmt) {
	case FMT_HUMAN: {
		const char *on = "", *off = "";

		if (sc->lesson && !st->lab_seen) {
			st->lab_seen = true;
			printf("\nwhat a held pin does to the rest of the kernel "
			       "(the consequences lab)\n");
		}
		if (st->colour) {
			on = o->verdict == GUPDEMO_VERDICT_PASS ? "\033[32m" :
			     skipped ? "\033[33m" : "\033[1;31m";
			off = "\033[0m";
		}
		if (skipped)
			printf("%-14s %-9s %-9s %3" PRIu32 " %-10s %-10s %4s %4s "
			       "%s%s%s\n", sc->name, sc->api, sc->memory,
			       sc->pages, "-", "-", "-", "-", on, "skip", off);
		else
			printf("%-14s %-9s %-9s %3" PRIu32 " %-10s %-10s %4" PRId64
			       " %4" PRId64 " %s%s%s\n", sc->name, sc->api,
			       sc->memory, sc->pages, res, exp, o->d_acquired,
			       o->d_released, on, verdict_name(o->verdict), off);
		if (o->note[0])
			cli_print_wrapped("    ", o->note);
		if (sc->lesson && !skipped) {
			char line[300];

			snprintf(line, sizeof(line), "lesson: %s", sc->lesson);
			cli_print_wrapped("    ", line);
		}
		break;
	}
	case FMT_TAP:
		if (skipped) {
			printf("ok %u - %s # SKIP %.*s\n", idx, sc->name,
			       (int)strcspn(o->note, "\n"), o->note);
			break;
		}
		printf("%sok %u - %s: %s %s, %" PRIu32 " pages -> %s (expected "
		       "%s), +%" PRId64 "/+%" PRId64 " acquired/released "
		       "(expected +%" PRId64 "/+%" PRId64 ")\n",
		       o->verdict == GUPDEMO_VERDICT_PASS ? "" : "not ", idx,
		       sc->name, sc->api, sc->memory, sc->pages, res, exp,
		       o->d_acquired, o->d_released, o->exp_acquired,
		       o->exp_released);
		if (o->note[0])
			cli_print_wrapped("# ", o->note);
		if (sc->lesson)
			printf("# lesson: %s\n", sc->lesson);
		break;
	case FMT_JSON:
		printf("%s\n    {\"name\": ", idx > 1 ? "," : "");
		json_str(stdout, sc->name);
		printf(", \"api\": ");
		json_str(stdout, sc->api);
		printf(", \"memory\": ");
		json_str(stdout, sc->memory);
		printf(", \"pages\": %" PRIu32 ", \"summary\": ", sc->pages);
		json_str(stdout, sc->summary);
		if (sc->lesson) {
			printf(", \"lesson\": ");
			json_str(stdout, sc->lesson);
		}
		printf(",\n     \"verdict\": \"%s\", \"result\": ",
		       skipped ? "skip" : o->verdict == GUPDEMO_VERDICT_PASS ?
		       "pass" : "fail");
		json_str(stdout, skipped ? "" : res);
		printf(", \"ret\": %d, \"npages\": %" PRIu64 ", \"expected\": ",
		       o->ret, o->npages);
		json_str(stdout, skipped ? "" : exp);
		printf(", \"exp_ret\": %d, \"exp_npages\": %" PRIu64 ",\n"
		       "     \"d_acquired\": %" PRId64 ", \"d_released\": %"
		       PRId64 ", \"exp_d_acquired\": %" PRId64
		       ", \"exp_d_released\": %" PRId64 ", \"note\": ",
		       o->exp_ret, o->exp_npages, o->d_acquired, o->d_released,
		       o->exp_acquired, o->exp_released);
		json_str(stdout, o->note);
		printf("}");
		break;
	}
	fflush(stdout);
}

/* Colour on a terminal only: not in a pipe, a file or on a serial line. */
static bool use_colour(void)
{
	const char *term = getenv("TERM"), *tty;

	if (!isatty(STDOUT_FILENO) || getenv("NO_COLOR") || !term ||
	    strcmp(term, "dumb") == 0)
		return false;
	tty = ttyname(STDOUT_FILENO);
	return !tty || strncmp(tty, "/dev/ttyS", 9) != 0;
}

/* What the options of `run` set. */
struct run_args {
	struct run_state *st;
	const char *ext4_dir;
	bool no_ext4;
};

static int run_set_format(struct run_args *a, enum run_format fmt)
{
	if (a->st->fmt != FMT_HUMAN && a->st->fmt != fmt)
		return -EINVAL;
	a->st->fmt = fmt;
	return 0;
}

static int run_opt_json(struct cli *cli, void *ctx, const char *arg)
{
	(void)cli, (void)arg;
	return run_set_format(ctx, FMT_JSON);
}

static int run_opt_tap(struct cli *cli, void *ctx, const char *arg)
{
	(void)cli, (void)arg;
	return run_set_format(ctx, FMT_TAP);
}

static int run_opt_ext4_dir(struct cli *cli, void *ctx, const char *arg)
{
	struct run_args *a = ctx;

	(void)cli;
	a->ext4_dir = arg;
	return 0;
}

static int run_opt_no_ext4(struct cli *cli, void *ctx, const char *arg)
{
	struct run_args *a = ctx;

	(void)cli, (void)arg;
	a->no_ext4 = true;
	return 0;
}

static const struct cli_opt run_options[] = {
	{ "json", 'j', NULL, run_opt_json, "--json and --tap exclude each other",
	  "one JSON document on stdout" },
	{ "tap", 't', NULL, run_opt_tap, "--json and --tap exclude each other",
	  "TAP (for prove); the last test is the balance" },
	{ "device", 'd', "PATH", cli_set_device, NULL,
	  "device node (default " GUPDEMO_DEV_PATH ")" },
	{ "ext4-dir", 0, "DIR", run_opt_ext4_dir, NULL,
	  "use DIR (on ext4) for the ext4 scenarios instead\n"
	  "of a scratch ext4 on a loop device in /tmp" },
	{ "no-ext4", 0, NULL, run_opt_no_ext4, NULL,
	  "skip the ext4 scenarios" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

/*
 * `run --tap` that cannot start: TAP consumers want a plan.  No module or
 * no permission is a skipped plan, "1..0 # SKIP reason" (the TAP form of
 * "nothing here can run", as kselftest's ksft_exit_skip() prints it before
 * any plan), with exit status 0 so that prove counts it as skipped; any
 * other failure is "Bail out!" with the exit status kept.  Nothing in the
 * other formats (the message is on stderr).  Returns @status, or 0 for a
 * skipped plan.
 */
static int run_tap_cannot(struct cli *cli, const struct run_state *st,
			  int status)
{
	if (st->fmt != FMT_TAP)
		return status;
	if (status == EXIT_MISSING) {
		printf("1..0 # SKIP %s: no such device (the gupdemo module is "
		       "not loaded)\n", cli_dev_path(cli));
		status = EXIT_OK;
	} else if (status == EXIT_PERM) {
		printf("1..0 # SKIP %s: permission denied (root only)\n",
		       cli_dev_path(cli));
		status = EXIT_OK;
	} else {
		printf("Bail out! %s: not usable (see stderr)\n", cli_dev_path(cli));
	}
	fflush(stdout);
	return status;
}

static int cmd_run(struct cli *cli, int argc, char **argv)
{
	const struct command *c = &run_command;
	unsigned int count = gupdemo_scenario_count(), nsel = 0, *sel;
	struct gupdemo_scenario_env env = { .fd = -1 };
	struct gupdemo_vmstat start = { 0 }, end = { 0 };
	struct run_state st = { .fmt = FMT_HUMAN };
	struct run_args args = { .st = &st };
	struct gupdemo_ext4 ext4 = { .loop_fd = -1 };
	struct gupdemo_info info;
	bool want_ext4 = false, mounted = false, balanced;
	int64_t d_acq = 0, d_rel = 0;
	char ext4_err[128] = "";
	struct utsname u;
	int first, ret, fd;

	ret = cli_parse_opts(cli, c, &args, argc, argv, -1, &first);
	if (ret >= 0)
		return ret;

	/* Every name is checked before anything runs. */
	sel = calloc(count + (size_t)(argc - first), sizeof(*sel));
	if (!sel) {
		errmsg(cli, "out of memory");
		return EXIT_FAIL;
	}
	for (int i = first; i < argc; i++) {
		if (gupdemo_scenario_find(argv[i], &sel[nsel]) != 0) {
			errmsg(cli, "run: unknown scenario '%s' (see '%s list')",
			       argv[i], cli->prog);
			free(sel);
			return EXIT_USAGE;
		}
		nsel++;
	}
	if (!nsel)
		for (unsigned int i = 0; i < count; i++)
			sel[nsel++] = i;
	for (unsigned int i = 0; i < nsel; i++) {
		const struct gupdemo_scenario *sc;

		gupdemo_scenario_get(sel[i], &sc);
		if (sc->needs & GUPDEMO_NEEDS_EXT4)
			want_ext4 = true;
	}

	ret = cli_open_device(cli, &fd);
	if (ret) {
		free(sel);
		return run_tap_cannot(cli, &st, ret);
	}
	ret = cli_get_info(cli, fd, &info);
	if (ret) {
		run_tap_cannot(cli, &st, ret);
		goto out_close;
	}
	env.fd = fd;
	env.features = info.features;
	ret = gupdemo_kernel_version(&env.kernel);
	if (ret) {
		errmsg(cli, "run: cannot tell the kernel version: %s",
		       strerror(-ret));
		ret = EXIT_FAIL;
		goto out_close;
	}
	if (want_ext4 && args.ext4_dir) {
		env.ext4_dir = args.ext4_dir;
	} else if (want_ext4 && !args.no_ext4) {
		ret = gupdemo_ext4_mount("/tmp", 16, &ext4);
		if (ret == 0) {
			mounted = true;
			env.ext4_dir = ext4.dir;
		} else {
			snprintf(ext4_err, sizeof(ext4_err),
				 "no scratch ext4 (%s): ext4 scenarios skipped",
				 ret == -ENOENT ? "no mke2fs or loop device" :
				 strerror(-ret));
		}
	}

	uname(&u);
	gupdemo_vmstat_read(&start);
	st.colour = st.fmt == FMT_HUMAN && use_colour();
	switch (st.fmt) {
	case FMT_HUMAN:
		/* Two lines: a debug kernel's release string is long. */
		printf("gupdemo run: kernel %s (%u.%u.%u),\n  module built for "
		       "%u.%u.%u\n", u.release, env.kernel >> 16,
		       (env.kernel >> 8) & 0xff, env.kernel & 0xff,
		       info.kernel_version >> 16,
		       (info.kernel_version >> 8) & 0xff,
		       info.kernel_version & 0xff);
		printf("expected results for this kernel; deltas of "
		       "nr_foll_pin_{acquired,released}\n");
		if (ext4_err[0])
			printf("note: %s\n", ext4_err);
		printf("\n%-14s %-9s %-9s %3s %-10s %-10s %4s %4s %s\n",
		       "scenario", "api", "memory", "pgs", "result",
		       "expected", "+acq", "+rel", "verdict");
		break;
	case FMT_TAP:
		printf("1..%u\n# gupdemo run: kernel %s\n", nsel + 1, u.release);
		if (ext4_err[0])
			printf("# %s\n", ext4_err);
		break;
	case FMT_JSON:
		json_begin("gupdemo run");
		printf(",\n  \"kernel\": ");
		json_str(stdout, u.release);
		printf(",\n  \"kernel_version\": \"%u.%u.%u\",\n"
		       "  \"module_kernel_version\": \"%u.%u.%u\",\n"
		       "  \"scenarios\": [", env.kernel >> 16,
		       (env.kernel >> 8) & 0xff, env.kernel & 0xff,
		       info.kernel_version >> 16,
		       (info.kernel_version >> 8) & 0xff,
		       info.kernel_version & 0xff);
		break;
	}
	fflush(stdout);

	for (unsigned int i = 0; i < nsel; i++) {
		struct gupdemo_scenario_outcome o;
		const struct gupdemo_scenario *sc;

		gupdemo_scenario_get(sel[i], &sc);
		gupdemo_scenario_exec(sel[i], &env, &o);
		st.n++;
		if (o.verdict == GUPDEMO_VERDICT_PASS)
			st.passed++;
		else if (o.verdict == GUPDEMO_VERDICT_SKIP)
			st.skipped++;
		else
			st.failed++;
		run_print_one(&st, i + 1, sc, &o);
	}

	ret = gupdemo_vmstat_read(&end);
	if (gupdemo_get_info(fd, &info))
		info.pins_held = UINT64_MAX;
	d_acq = (int64_t)(end.acquired - start.acquired);
	d_rel = (int64_t)(end.released - start.released);
	balanced = !ret && start.refreshed && end.refreshed && d_acq == d_rel &&
		   info.pins_held == 0;

	switch (st.fmt) {
	case FMT_HUMAN:
		printf("\n%u scenarios: %u passed, %u failed, %u skipped\n",
		       st.n, st.passed, st.failed, st.skipped);
		printf("pin counters over the run: +%" PRId64 " acquired, +%"
		       PRId64 " released%s; module holds %" PRIu64 " pins\n",
		       d_acq, d_rel, start.refreshed && end.refreshed ? "" :
		       " (not exact: stat_refresh needs root)",
		       (uint64_t)info.pins_held);
		printf("pins balanced: %s\n", balanced ? "yes" : "no");
		break;
	case FMT_TAP:
		printf("%sok %u - pins balanced: +%" PRId64 " acquired, +%"
		       PRId64 " released, %" PRIu64 " pins held\n",
		       balanced ? "" : "not ", nsel + 1, d_acq, d_rel,
		       (uint64_t)info.pins_held);
		printf("# %u passed, %u failed, %u skipped; pins balanced: %s\n",
		       st.passed, st.failed, st.skipped,
		       balanced ? "yes" : "no");
		break;
	case FMT_JSON:
		printf("\n  ],\n  \"totals\": {\"scenarios\": %u, \"passed\": "
		       "%u, \"failed\": %u, \"skipped\": %u, \"d_acquired\": %"
		       PRId64 ", \"d_released\": %" PRId64 ", \"pins_held\": %"
		       PRIu64 ", \"counters_exact\": %s},\n"
		       "  \"pins_balanced\": %s\n}\n", st.n, st.passed,
		       st.failed, st.skipped, d_acq, d_rel,
		       (uint64_t)info.pins_held,
		       start.refreshed && end.refreshed ? "true" : "false",
		       balanced ? "true" : "false");
		break;
	}
	fflush(stdout);
	ret = st.failed || !balanced ? EXIT_FAIL : EXIT_OK;
	if (mounted && gupdemo_ext4_umount(&ext4))
		errmsg(cli, "run: could not remove the scratch ext4 at %s",
		       ext4.dir);
out_close:
	gupdemo_close(fd);
	free(sel);
	return ret;
}


const struct command list_command = {
	"list", cmd_list, "the scenario catalogue, one line each",
	"list [--json]", NULL, list_options, NULL,
};

const struct command run_command = {
	"run", cmd_run,
	"run scenarios: results and exact pin counters vs this kernel",
	"run [--json | --tap] [--device PATH] [--ext4-dir DIR | --no-ext4]\n"
	"       [SCENARIO ...]",
	"Runs the named scenarios (default: all; 'gupdemo list' names them).\n"
	"For each: the GUP call, the memory, the pages, the result (pages or\n"
	"errno), the result expected on this kernel, the exact movement of\n"
	"nr_foll_pin_acquired (+acq) and nr_foll_pin_released (+rel), and the\n"
	"verdict.  Ends with the totals and \"pins balanced: yes/no\": both\n"
	"counters moved by the same amount over the run and no pin is held.",
	run_options,
	"Needs root (the device is 0600; exact counters need stat_refresh).\n"
	"With --tap, a run that cannot start for want of the module or of\n"
	"permission prints \"1..0 # SKIP reason\" and exits 0 (a skipped plan).\n"
	"Exit status: 0 every scenario passed or was skipped and the pins\n"
	"balanced; 1 a scenario failed or the pins did not balance; 2 usage\n"
	"error (e.g. an unknown scenario); 3 device missing; 4 permission.",
};
