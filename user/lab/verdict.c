// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - how a scenario records its verdict: notes, failure, skip,
 * the expected values, counter snapshots and the final comparison; and the
 * ext4 test file both need.  Shared by the catalogue (catalogue.c) and the
 * consequences lab (lab.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"


__attribute__((format(printf, 2, 3)))
void gd_note(struct ctx *c, const char *fmt, ...)
{
	struct gupdemo_scenario_outcome *o = c->out;
	size_t len = strlen(o->note);
	va_list ap;

	if (len + 3 >= sizeof(o->note))
		return;
	if (len) {
		strcat(o->note, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(o->note + len, sizeof(o->note) - len, fmt, ap);
	va_end(ap);
}

/* The first reason a scenario fails; later reasons are added to the note. */
__attribute__((format(printf, 2, 3)))
void gd_fail(struct ctx *c, const char *fmt, ...)
{
	struct gupdemo_scenario_outcome *o = c->out;
	char buf[200];
	va_list ap;

	if (o->verdict == GUPDEMO_VERDICT_SKIP)
		return;
	o->verdict = GUPDEMO_VERDICT_FAIL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	gd_note(c, "%s", buf);
}

__attribute__((format(printf, 2, 3)))
void gd_skip(struct ctx *c, const char *fmt, ...)
{
	struct gupdemo_scenario_outcome *o = c->out;
	va_list ap;

	o->verdict = GUPDEMO_VERDICT_SKIP;
	o->note[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(o->note, sizeof(o->note), fmt, ap);
	va_end(ap);
}

void gd_expect(struct ctx *c, int ret, uint64_t npages, int64_t d_acq,
		   int64_t d_rel)
{
	c->out->exp_ret = ret;
	c->out->exp_npages = npages;
	c->out->exp_acquired = d_acq;
	c->out->exp_released = d_rel;
}

/* A reading's verdict: @ret from reading it; exact counters only. */
static bool snap_ok(struct ctx *c, int ret, const struct gupdemo_vmstat *vs)
{
	if (ret) {
		gd_fail(c, "reading /proc/vmstat: %s", strerror(-ret));
		return false;
	}
	if (!vs->refreshed) {
		gd_fail(c, "counters not exact: /proc/sys/vm/stat_refresh needs root");
		return false;
	}
	return true;
}

bool gd_snap(struct ctx *c, struct gupdemo_vmstat *vs)
{
	return snap_ok(c, gupdemo_vmstat_read(vs), vs);
}

bool gd_snap_settled(struct ctx *c, const struct gupdemo_vmstat *before,
		     struct gupdemo_vmstat *after)
{
	int ret = gupdemo_vmstat_settle(before, after, GD_SETTLE_MS);

	/* Not caught up: gd_judge() reports the deltas as they are. */
	return snap_ok(c, ret == -ETIMEDOUT ? 0 : ret, after);
}

/* Records the whole-scenario deltas and checks them and the result. */
void gd_judge(struct ctx *c, const struct gupdemo_vmstat *before,
		  const struct gupdemo_vmstat *after)
{
	struct gupdemo_scenario_outcome *o = c->out;

	o->d_acquired = (int64_t)(after->acquired - before->acquired);
	o->d_released = (int64_t)(after->released - before->released);
	if (o->ret != o->exp_ret)
		gd_fail(c, "returned %s, expected %s",
		     o->ret ? strerrorname_np(-o->ret) : "success",
		     o->exp_ret ? strerrorname_np(-o->exp_ret) : "success");
	else if (o->npages != o->exp_npages)
		gd_fail(c, "%llu pages, expected %llu",
		     (unsigned long long)o->npages,
		     (unsigned long long)o->exp_npages);
	if (o->d_acquired != o->exp_acquired)
		gd_fail(c, "acquired +%lld, expected +%lld",
		     (long long)o->d_acquired, (long long)o->exp_acquired);
	if (o->d_released != o->exp_released)
		gd_fail(c, "released +%lld, expected +%lld",
		     (long long)o->d_released, (long long)o->exp_released);
}

bool gd_has_ext4(struct ctx *c)
{
	if (c->env->ext4_dir)
		return true;
	gd_skip(c, "no ext4 directory (needs root, mke2fs and loop; or "
		"--ext4-dir DIR)");
	return false;
}

int gd_ext4_file(struct ctx *c, size_t npages, int byte, char *path,
		 size_t pathsize)
{
	size_t len = npages * c->psz;
	char *buf = malloc(len);
	int fd;

	snprintf(path, pathsize, "%s/scenario-%d-%u", c->env->ext4_dir,
		 (int)getpid(), c->seq++);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !buf) {
		gd_fail(c, "creating %s: %s", path,
			strerror(buf ? errno : ENOMEM));
		goto err;
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(byte >= 0 ? byte : (int)(i / c->psz) + 'a');
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || fsync(fd)) {
		gd_fail(c, "writing %s: %s", path, strerror(errno));
		goto err;
	}
	free(buf);
	return fd;
err:
	free(buf);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	return -1;
}

/* Why THP cannot back a MADV_HUGEPAGE mapping here, or NULL if it can. */
const char *gd_thp_off(void)
{
	char *text;
	bool never;
	int ret;

	ret = gupdemo_lab_read_text("/sys/kernel/mm/transparent_hugepage/enabled", &text);
	if (ret == -ENOENT)
		return "the kernel has no THP (not built in, e.g. PREEMPT_RT)";
	if (ret)
		return "cannot read transparent_hugepage/enabled";
	never = strstr(text, "[never]") != NULL;
	free(text);
	return never ? "THP is off (transparent_hugepage/enabled: never, or "
		       "the guest has < 512 MiB)" : NULL;
}
