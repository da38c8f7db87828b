/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgupdemo - private: what the scenario files (catalogue.c, lab.c) share.
 */
#ifndef GUPDEMO_SCENARIO_H
#define GUPDEMO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gupdemo-lab.h"

struct ctx {
	const struct gupdemo_scenario_env *env;
	struct gupdemo_scenario_outcome *out;
	size_t psz;
	unsigned int seq;	/* for unique file names */
};

struct scenario_def {
	struct gupdemo_scenario pub;
	void (*run)(struct ctx *c);
};

/* One table of scenarios each: the catalogue's own, then the lab's. */
extern const struct scenario_def gd_lab[];
extern const unsigned int gd_lab_count;

__attribute__((format(printf, 2, 3)))
void gd_note(struct ctx *c, const char *fmt, ...);
/* The first reason a scenario fails; later reasons are added to the note. */
__attribute__((format(printf, 2, 3)))
void gd_fail(struct ctx *c, const char *fmt, ...);
__attribute__((format(printf, 2, 3)))
void gd_skip(struct ctx *c, const char *fmt, ...);
void gd_expect(struct ctx *c, int ret, uint64_t npages, int64_t d_acq,
	    int64_t d_rel);
bool gd_snap(struct ctx *c, struct gupdemo_vmstat *vs);
/*
 * gd_snap() after an operation whose pins the kernel releases just after it
 * returned (O_DIRECT's bio completion): first waits, up to GD_SETTLE_MS, for
 * the releases since @before to catch up (gupdemo_vmstat_settle()).  If they
 * do not, gd_judge() reports the deltas it sees.
 */
#define GD_SETTLE_MS 2000
bool gd_snap_settled(struct ctx *c, const struct gupdemo_vmstat *before,
		     struct gupdemo_vmstat *after);
/* Records the whole-scenario deltas and checks them and the result. */
void gd_judge(struct ctx *c, const struct gupdemo_vmstat *before,
	   const struct gupdemo_vmstat *after);

/* The run's ext4 directory is there; if not, the scenario skips (false). */
bool gd_has_ext4(struct ctx *c);
/*
 * A new file of @npages pages in the run's ext4 directory, written and
 * synced (so on disk): every byte @byte, or with @byte < 0 page i holds
 * 'a' + i.  Its name goes to @path.  Return: the fd (read-write), or -1
 * after gd_fail() (nothing left behind).
 */
int gd_ext4_file(struct ctx *c, size_t npages, int byte, char *path,
		 size_t pathsize);

/* Why THP cannot back a MADV_HUGEPAGE mapping here, or NULL if it can. */
const char *gd_thp_off(void);

#endif /* GUPDEMO_SCENARIO_H */
