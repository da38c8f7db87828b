/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo run - its report (run_report.c): one per output format (text,
 * TAP, JSON), each a begin, a row per scenario and an end, as bench's
 * outputs are.  cmd_run.c runs the scenarios and calls them.
 */
#ifndef GUPDEMO_RUN_REPORT_H
#define GUPDEMO_RUN_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "gupdemo-lab.h"

/* What the head of a report says. */
struct run_head {
	const char *release;	/* uname -r */
	uint32_t kernel;	/* the running kernel, KERNEL_VERSION() */
	uint32_t module_kernel;	/* the kernel the module was built for */
	const char *ext4_note;	/* why the ext4 scenarios skip, or "" */
};

/* The totals over the run, for the end. */
struct run_totals {
	unsigned int n, passed, failed, skipped;
	int64_t d_acquired, d_released;	/* over the whole run */
	uint64_t pins_held;		/* after it; UINT64_MAX: unknown */
	bool exact;			/* both readings after stat_refresh */
	bool balanced;
};

struct run_report;

struct run_state {
	const struct run_report *report;
	unsigned int nsel;	/* scenarios selected */
	const unsigned int *sel;	/* their catalogue indexes */
	bool colour;		/* text on a terminal */
	bool head_seen;		/* text: the first table's header is printed */
	bool lab_seen;		/* text: the lab's heading is printed */
	int name_w[2];		/* text: scenario column, [1] the lab's */
	unsigned int later;	/* text: skipped here, run in a later guest */
	struct run_totals t;
};

struct run_report {
	void (*begin)(struct run_state *st, const struct run_head *h);
	/* Scenario number @idx (from 1) and what it did. */
	void (*row)(struct run_state *st, unsigned int idx,
		    const struct gupdemo_scenario *sc,
		    const struct gupdemo_scenario_outcome *o);
	void (*end)(const struct run_state *st);
	/*
	 * A run that cannot start on @dev (exit status @status): what this
	 * format prints then; returns the exit status to end with.  NULL:
	 * nothing (the message is on stderr).
	 */
	int (*cannot)(const char *dev, int status);
};

extern const struct run_report run_report_text, run_report_tap,
	run_report_json;

#endif /* GUPDEMO_RUN_REPORT_H */
