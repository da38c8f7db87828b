// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo run - the reports: text (a table with the lab under its own
 * heading, colour on a terminal), TAP (one test per scenario and a last one
 * for the balance) and JSON (one document).  Each is a begin, a row per
 * scenario and an end; the output is flushed after each so that a slow
 * scenario shows where it is.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "json.h"
#include "run_report.h"

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

static bool skipped(const struct gupdemo_scenario_outcome *o)
{
	return o->verdict == GUPDEMO_VERDICT_SKIP;
}

/* ---- text ---- */

/*
 * The scenario column is as wide as the longest name of the run in its
 * table (the lab's names are long), so that the columns line up whatever
 * is selected.
 */
static void name_widths(struct run_state *st)
{
	const struct gupdemo_scenario *sc;

	st->name_w[0] = st->name_w[1] = (int)strlen("scenario");
	for (unsigned int i = 0; st->sel && i < st->nsel; i++) {
		int *w;

		if (gupdemo_scenario_get(st->sel[i], &sc))
			continue;
		w = &st->name_w[sc->lesson != NULL];
		if ((int)strlen(sc->name) > *w)
			*w = (int)strlen(sc->name);
	}
}

static void text_header(int name_w)
{
	printf("%-*s %-9s %-9s %3s %-10s %-10s %4s %4s %s\n", name_w,
	       "scenario", "api", "memory", "pgs", "result", "expected",
	       "+acq", "+rel", "verdict");
}

static void text_begin(struct run_state *st, const struct run_head *h)
{
	name_widths(st);
	/* Two lines: a debug kernel's release string is long. */
	printf("gupdemo run: kernel %s (%u.%u.%u),\n  module built for "
	       "%u.%u.%u\n", h->release, h->kernel >> 16,
	       (h->kernel >> 8) & 0xff, h->kernel & 0xff,
	       h->module_kernel >> 16, (h->module_kernel >> 8) & 0xff,
	       h->module_kernel & 0xff);
	printf("expected results for this kernel; deltas of "
	       "nr_foll_pin_{acquired,released}\n");
	if (h->ext4_note[0])
		printf("note: %s\n", h->ext4_note);
	fflush(stdout);
}

/* Each table's header before its first row: none for an empty table. */
static void text_section(struct run_state *st,
			 const struct gupdemo_scenario *sc)
{
	if (sc->lesson && !st->lab_seen) {
		st->lab_seen = true;
		printf("\nwhat a held pin does to the rest of the kernel "
		       "(the consequences lab)\n");
		text_header(st->name_w[1]);
	} else if (!sc->lesson && !st->head_seen) {
		st->head_seen = true;
		printf("\n");
		text_header(st->name_w[0]);
	}
}

/* The verdict's colour on a terminal: "" and "" when none. */
/*
 * A skipped scenario that another guest runs (make demo's later guests
 * name theirs in GUPDEMO_RUN_LATER, space-separated) says so.
 */
static bool runs_later(const char *name)
{
	const char *list = getenv("GUPDEMO_RUN_LATER"), *p;
	size_t n = strlen(name);

	for (p = list; p && (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

static void text_colour(const struct run_state *st,
			const struct gupdemo_scenario_outcome *o,
			const char **on, const char **off)
{
	*on = "";
	*off = "";
	if (!st->colour)
		return;
	*on = o->verdict == GUPDEMO_VERDICT_PASS ? "\033[32m" :
	      skipped(o) ? "\033[33m" : "\033[1;31m";
	*off = "\033[0m";
}

static void text_row(struct run_state *st, unsigned int idx,
		     const struct gupdemo_scenario *sc,
		     const struct gupdemo_scenario_outcome *o)
{
	char res[24], exp[24], line[300];
	int w = st->name_w[sc->lesson != NULL];
	const char *on, *off;

	(void)idx;
	text_section(st, sc);
	text_colour(st, o, &on, &off);
	result_text(o->ret, o->npages, res, sizeof(res));
	result_text(o->exp_ret, o->exp_npages, exp, sizeof(exp));
	if (skipped(o) && runs_later(sc->name)) {
		st->later++;
		printf("%-*s %-9s %-9s %3" PRIu32 " %s\n", w,
		       sc->name, sc->api, sc->memory, sc->pages,
		       "later: in another guest");
		fflush(stdout);
		return;
	}
	if (skipped(o))
		printf("%-*s %-9s %-9s %3" PRIu32 " %-10s %-10s %4s %4s "
		       "%s%s%s\n", w, sc->name, sc->api, sc->memory,
		       sc->pages, "-", "-", "-", "-", on, "skip", off);
	else
		printf("%-*s %-9s %-9s %3" PRIu32 " %-10s %-10s %4" PRId64
		       " %4" PRId64 " %s%s%s\n", w, sc->name, sc->api,
		       sc->memory, sc->pages, res, exp, o->d_acquired,
		       o->d_released, on, verdict_name(o->verdict), off);
	if (o->note[0])
		cli_print_wrapped("    ", o->note);
	if (sc->lesson && !skipped(o)) {
		snprintf(line, sizeof(line), "lesson: %s", sc->lesson);
		cli_print_wrapped("    ", line);
	}
	fflush(stdout);
}

static void text_end(const struct run_state *st)
{
	const struct run_totals *t = &st->t;

	printf("\n%u scenario%s: %u passed, %u failed, %u skipped", t->n,
	       t->n == 1 ? "" : "s", t->passed, t->failed,
	       t->skipped - st->later);
	if (st->later)
		printf(", %u in a later guest", st->later);
	printf("\n");
	printf("pin counters over the run: +%" PRId64 " acquired, +%"
	       PRId64 " released%s; module holds %" PRIu64 " pins\n",
	       t->d_acquired, t->d_released, t->exact ? "" :
	       " (not exact: stat_refresh needs root)", t->pins_held);
	printf("pins balanced: %s\n", t->balanced ? "yes" : "no");
	fflush(stdout);
}

const struct run_report run_report_text = {
	text_begin, text_row, text_end, NULL,
};

/* ---- TAP ---- */

static void tap_begin(struct run_state *st, const struct run_head *h)
{
	printf("1..%u\n# gupdemo run: kernel %s\n", st->nsel + 1, h->release);
	if (h->ext4_note[0])
		printf("# %s\n", h->ext4_note);
	fflush(stdout);
}

static void tap_row(struct run_state *st, unsigned int idx,
		    const struct gupdemo_scenario *sc,
		    const struct gupdemo_scenario_outcome *o)
{
	char res[24], exp[24];

	(void)st;
	if (skipped(o)) {
		printf("ok %u - %s # SKIP %.*s\n", idx, sc->name,
		       (int)strcspn(o->note, "\n"), o->note);
		fflush(stdout);
		return;
	}
	result_text(o->ret, o->npages, res, sizeof(res));
	result_text(o->exp_ret, o->exp_npages, exp, sizeof(exp));
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
	fflush(stdout);
}

static void tap_end(const struct run_state *st)
{
	const struct run_totals *t = &st->t;

	printf("%sok %u - pins balanced: +%" PRId64 " acquired, +%"
	       PRId64 " released, %" PRIu64 " pins held\n",
	       t->balanced ? "" : "not ", st->nsel + 1, t->d_acquired,
	       t->d_released, t->pins_held);
	printf("# %u passed, %u failed, %u skipped; pins balanced: %s\n",
	       t->passed, t->failed, t->skipped, t->balanced ? "yes" : "no");
	fflush(stdout);
}

/*
 * A run that cannot start: TAP consumers want a plan.  No module or no
 * permission is a skipped plan, "1..0 # SKIP reason" (the TAP form of
 * "nothing here can run", as kselftest's ksft_exit_skip() prints it before
 * any plan), with exit status 0 so that prove counts it as skipped; any
 * other failure is "Bail out!" with the exit status kept.
 */
static int tap_cannot(const char *dev, int status)
{
	if (status == EXIT_MISSING) {
		printf("1..0 # SKIP %s: no such device (the gupdemo module is "
		       "not loaded)\n", dev);
		status = EXIT_OK;
	} else if (status == EXIT_PERM) {
		printf("1..0 # SKIP %s: permission denied (root only)\n", dev);
		status = EXIT_OK;
	} else {
		printf("Bail out! %s: not usable (see stderr)\n", dev);
	}
	fflush(stdout);
	return status;
}

const struct run_report run_report_tap = {
	tap_begin, tap_row, tap_end, tap_cannot,
};

/* ---- JSON ---- */

static void json_begin_run(struct run_state *st, const struct run_head *h)
{
	(void)st;
	json_begin("gupdemo run");
	printf(",\n  \"kernel\": ");
	json_str(stdout, h->release);
	printf(",\n  \"kernel_version\": \"%u.%u.%u\",\n"
	       "  \"module_kernel_version\": \"%u.%u.%u\",\n"
	       "  \"scenarios\": [", h->kernel >> 16,
	       (h->kernel >> 8) & 0xff, h->kernel & 0xff,
	       h->module_kernel >> 16, (h->module_kernel >> 8) & 0xff,
	       h->module_kernel & 0xff);
	fflush(stdout);
}

/* The scenario's own fields: name, api, memory, pages, summary, lesson. */
static void json_scenario(const struct gupdemo_scenario *sc)
{
	printf("{\"name\": ");
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
}

static void json_row(struct run_state *st, unsigned int idx,
		     const struct gupdemo_scenario *sc,
		     const struct gupdemo_scenario_outcome *o)
{
	char res[24], exp[24];

	(void)st;
	result_text(o->ret, o->npages, res, sizeof(res));
	result_text(o->exp_ret, o->exp_npages, exp, sizeof(exp));
	printf("%s\n    ", idx > 1 ? "," : "");
	json_scenario(sc);
	printf(",\n     \"verdict\": \"%s\", \"result\": ",
	       skipped(o) ? "skip" : o->verdict == GUPDEMO_VERDICT_PASS ?
	       "pass" : "fail");
	json_str(stdout, skipped(o) ? "" : res);
	printf(", \"ret\": %d, \"npages\": %" PRIu64 ", \"expected\": ",
	       o->ret, o->npages);
	json_str(stdout, skipped(o) ? "" : exp);
	printf(", \"exp_ret\": %d, \"exp_npages\": %" PRIu64 ",\n"
	       "     \"d_acquired\": %" PRId64 ", \"d_released\": %"
	       PRId64 ", \"exp_d_acquired\": %" PRId64
	       ", \"exp_d_released\": %" PRId64 ", \"note\": ",
	       o->exp_ret, o->exp_npages, o->d_acquired, o->d_released,
	       o->exp_acquired, o->exp_released);
	json_str(stdout, o->note);
	printf("}");
	fflush(stdout);
}

static void json_end(const struct run_state *st)
{
	const struct run_totals *t = &st->t;

	printf("\n  ],\n  \"totals\": {\"scenarios\": %u, \"passed\": "
	       "%u, \"failed\": %u, \"skipped\": %u, \"d_acquired\": %"
	       PRId64 ", \"d_released\": %" PRId64 ", \"pins_held\": %"
	       PRIu64 ", \"counters_exact\": %s},\n"
	       "  \"pins_balanced\": %s\n}\n", t->n, t->passed,
	       t->failed, t->skipped, t->d_acquired, t->d_released,
	       t->pins_held, t->exact ? "true" : "false",
	       t->balanced ? "true" : "false");
	fflush(stdout);
}

const struct run_report run_report_json = {
	json_begin_run, json_row, json_end, NULL,
};
