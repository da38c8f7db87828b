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
#include "run_report.h"

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

/* --json and --tap: one format, the text one unless given. */
static int run_set_report(struct run_args *a, const struct run_report *r)
{
	if (a->st->report != &run_report_text && a->st->report != r)
		return -EINVAL;
	a->st->report = r;
	return 0;
}

static int run_opt_json(struct cli *cli, void *ctx, const char *arg)
{
	(void)cli, (void)arg;
	return run_set_report(ctx, &run_report_json);
}

static int run_opt_tap(struct cli *cli, void *ctx, const char *arg)
{
	(void)cli, (void)arg;
	return run_set_report(ctx, &run_report_tap);
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

/* What a run works with, from the selection to the teardown. */
struct run_ctx {
	unsigned int *sel, nsel;	/* indexes of the scenarios to run */
	bool want_ext4;			/* one of them needs ext4 */
	int fd;
	struct gupdemo_info info;
	struct gupdemo_scenario_env env;
	struct gupdemo_ext4 ext4;
	bool mounted;			/* ext4 is ours to unmount */
	char ext4_note[128];
};

/*
 * The scenarios named in @names (all when none), every name checked before
 * anything runs.  Returns -1 to go on, or an exit status.
 */
static int run_select(struct cli *cli, struct run_ctx *r, int n,
		      char **names)
{
	unsigned int count = gupdemo_scenario_count();
	const struct gupdemo_scenario *sc;

	r->sel = calloc(count + (size_t)n, sizeof(*r->sel));
	if (!r->sel) {
		errmsg(cli, "out of memory");
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		if (gupdemo_scenario_find(names[i], &r->sel[r->nsel]) != 0) {
			errmsg(cli, "run: unknown scenario '%s' (see '%s list')",
			       names[i], cli->prog);
			return EXIT_USAGE;
		}
		r->nsel++;
	}
	if (!r->nsel)
		for (unsigned int i = 0; i < count; i++)
			r->sel[r->nsel++] = i;
	for (unsigned int i = 0; i < r->nsel; i++) {
		gupdemo_scenario_get(r->sel[i], &sc);
		if (sc->needs & GUPDEMO_NEEDS_EXT4)
			r->want_ext4 = true;
	}
	return -1;
}

/* The ext4 directory: --ext4-dir, else a scratch one, else a note why not. */
static void run_ext4(struct run_ctx *r, const struct run_args *args)
{
	int ret;

	if (!r->want_ext4 || (!args->ext4_dir && args->no_ext4))
		return;
	if (args->ext4_dir) {
		r->env.ext4_dir = args->ext4_dir;
		return;
	}
	ret = gupdemo_ext4_mount("/tmp", 16, &r->ext4);
	if (ret == 0) {
		r->mounted = true;
		r->env.ext4_dir = r->ext4.dir;
		return;
	}
	snprintf(r->ext4_note, sizeof(r->ext4_note),
		 "no scratch ext4 (%s): ext4 scenarios skipped",
		 ret == -ENOENT ? "no mke2fs or loop device" : strerror(-ret));
}

/*
 * The device, what the scenarios run against, and the ext4 directory.
 * Returns -1 to go on, or an exit status (after the report's word on a run
 * that cannot start); r->fd is open (>= 0) when the caller must close it.
 */
static int run_setup(struct cli *cli, const struct run_state *st,
		     struct run_ctx *r, const struct run_args *args)
{
	int ret = cli_open_device(cli, &r->fd);

	if (!ret)
		ret = cli_get_info(cli, r->fd, &r->info);
	if (ret)
		return st->report->cannot ?
		       st->report->cannot(cli_dev_path(cli), ret) : ret;
	r->env.fd = r->fd;
	r->env.features = r->info.features;
	ret = gupdemo_kernel_version(&r->env.kernel);
	if (ret) {
		errmsg(cli, "run: cannot tell the kernel version: %s",
		       strerror(-ret));
		return EXIT_FAIL;
	}
	run_ext4(r, args);
	return -1;
}

static void run_count(struct run_totals *t,
		      const struct gupdemo_scenario_outcome *o)
{
	t->n++;
	if (o->verdict == GUPDEMO_VERDICT_PASS)
		t->passed++;
	else if (o->verdict == GUPDEMO_VERDICT_SKIP)
		t->skipped++;
	else
		t->failed++;
}

/* Begin, a row per scenario, end; the exit status. */
static int run_report(struct run_state *st, struct run_ctx *r)
{
	struct gupdemo_vmstat start = { 0 }, end = { 0 };
	struct run_totals *t = &st->t;
	struct utsname u;
	int ret;

	uname(&u);
	gupdemo_vmstat_read(&start);
	st->nsel = r->nsel;
	st->sel = r->sel;
	st->colour = st->report == &run_report_text && use_colour();
	st->report->begin(st, &(struct run_head){
		u.release, r->env.kernel, r->info.kernel_version, r->ext4_note });
	for (unsigned int i = 0; i < r->nsel; i++) {
		struct gupdemo_scenario_outcome o;
		const struct gupdemo_scenario *sc;

		gupdemo_scenario_get(r->sel[i], &sc);
		gupdemo_scenario_exec(r->sel[i], &r->env, &o);
		run_count(t, &o);
		st->report->row(st, i + 1, sc, &o);
	}
	ret = gupdemo_vmstat_read(&end);
	t->pins_held = gupdemo_get_info(r->fd, &r->info) ? UINT64_MAX :
		       r->info.pins_held;
	t->d_acquired = (int64_t)(end.acquired - start.acquired);
	t->d_released = (int64_t)(end.released - start.released);
	t->exact = start.refreshed && end.refreshed;
	t->balanced = !ret && t->exact && t->d_acquired == t->d_released &&
		      t->pins_held == 0;
	st->report->end(st);
	return t->failed || !t->balanced ? EXIT_FAIL : EXIT_OK;
}

static int cmd_run(struct cli *cli, int argc, char **argv)
{
	struct run_state st = { .report = &run_report_text };
	struct run_args args = { .st = &st };
	struct run_ctx r = { .fd = -1, .env = { .fd = -1 },
			     .ext4 = { .loop_fd = -1 } };
	int first, ret;

	ret = cli_parse_opts(cli, &run_command, &args, argc, argv, -1, &first);
	if (ret >= 0)
		return ret;
	ret = run_select(cli, &r, argc - first, argv + first);
	if (ret < 0)
		ret = run_setup(cli, &st, &r, &args);
	if (ret < 0)
		ret = run_report(&st, &r);
	if (r.mounted && gupdemo_ext4_umount(&r.ext4))
		errmsg(cli, "run: could not remove the scratch ext4 at %s",
		       r.ext4.dir);
	if (r.fd >= 0)
		gupdemo_close(r.fd);
	free(r.sel);
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
