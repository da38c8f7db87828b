// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo demo - info, then pin and unpin a few pages and show that the
 * pin counters balance.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cmd_info.h"
#include "commands.h"

#define DEMO_PAGES 8

static void demo_row(const char *what, const struct gupdemo_vmstat *vs,
		     const struct gupdemo_vmstat *base)
{
	printf("  %-14s %14" PRIu64 " %14" PRIu64, what, vs->acquired,
	       vs->released);
	if (base)
		printf("   (+%" PRIu64 " / +%" PRIu64 ")",
		       vs->acquired - base->acquired,
		       vs->released - base->released);
	printf("\n");
}

static const struct cli_opt demo_options[] = {
	{ "device", 'd', "PATH", cli_set_device, NULL,
	  "device node (default " GUPDEMO_DEV_PATH ")" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

/* What the demo pins and the pin counters around it. */
struct demo {
	int fd;
	char *buf;
	size_t len;
	struct gupdemo_pin pin;
	struct gupdemo_vmstat before, pinned, after;
};

/* DEMO_PAGES small pages (no THP), populated, so every page counts once. */
static int demo_map(struct cli *cli, struct demo *d)
{
	d->len = DEMO_PAGES * (size_t)sysconf(_SC_PAGESIZE);
	d->buf = mmap(NULL, d->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->buf == MAP_FAILED) {
		errmsg(cli, "demo: mmap: %s", strerror(errno));
		return EXIT_FAIL;
	}
	madvise(d->buf, d->len, MADV_NOHUGEPAGE);
	memset(d->buf, 0x5a, d->len);
	return EXIT_OK;
}

/* What the module says about the pin just taken. */
static void demo_query(const struct demo *d)
{
	struct gupdemo_query q;

	memset(&q, 0, sizeof(q));
	q.handle = d->pin.handle;
	if (gupdemo_query(d->fd, &q) == 0)
		printf("  handle %u: %" PRIu64 " pages held, %" PRIu64
		       " dma-pinned, %" PRIu64 " folios, pinned in %" PRIu64
		       " ns\n", d->pin.handle, (uint64_t)q.npages,
		       (uint64_t)q.npinned, (uint64_t)q.nfolios,
		       (uint64_t)d->pin.get_ns);
}

/* Pin and unpin, a row of the counters before and after each. */
static int demo_pin_unpin(struct cli *cli, struct demo *d)
{
	int ret = gupdemo_vmstat_read(&d->before);

	if (ret) {
		errmsg(cli, "demo: reading /proc/vmstat: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	demo_row("before", &d->before, NULL);
	memset(&d->pin, 0, sizeof(d->pin));
	d->pin.addr = (uintptr_t)d->buf;
	d->pin.len = d->len;
	d->pin.api = GUPDEMO_API_PIN_FAST;
	d->pin.flags = GUPDEMO_PIN_WRITE;
	ret = gupdemo_pin(d->fd, &d->pin);
	if (ret) {
		errmsg(cli, "demo: PIN failed: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	gupdemo_vmstat_read(&d->pinned);
	demo_row("after pin", &d->pinned, &d->before);
	demo_query(d);
	ret = gupdemo_unpin_handle(d->fd, d->pin.handle, GUPDEMO_UNPIN_DIRTY);
	if (ret) {
		errmsg(cli, "demo: UNPIN failed: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	gupdemo_vmstat_read(&d->after);
	demo_row("after unpin", &d->after, &d->before);
	return EXIT_OK;
}

/* Both counters grew by the pages pinned: the exit status. */
static int demo_balance(const struct demo *d, struct gupdemo_info *info)
{
	uint64_t d_acq = d->after.acquired - d->before.acquired;
	uint64_t d_rel = d->after.released - d->before.released;
	bool exact = d->before.refreshed && d->after.refreshed;
	bool balanced = d_acq == d_rel && d_acq == d->pin.npages && exact;

	gupdemo_get_info(d->fd, info);
	printf("\npins balanced: %s (%" PRIu64 " pages pinned, +%" PRIu64
	       " acquired, +%" PRIu64 " released; module holds %" PRIu64
	       " pins)\n", balanced ? "yes" : "no", (uint64_t)d->pin.npages,
	       d_acq, d_rel, (uint64_t)info->pins_held);
	if (!exact)
		printf("  (counters not exact: /proc/sys/vm/stat_refresh needs "
		       "root)\n");
	return balanced ? EXIT_OK : EXIT_FAIL;
}

static int cmd_demo(struct cli *cli, int argc, char **argv)
{
	struct gupdemo_info info;
	struct demo d = { .fd = -1 };
	int ret, first;

	ret = cli_parse_opts(cli, &demo_command, NULL, argc, argv, 0, &first);
	if (ret >= 0)
		return ret;
	ret = cli_open_device(cli, &d.fd);
	if (ret)
		return ret;
	ret = cli_get_info(cli, d.fd, &info);
	if (ret)
		goto out_close;
	printf("device             %s\n", cli_dev_path(cli));
	info_print(&info);
	ret = demo_map(cli, &d);
	if (ret)
		goto out_close;
	printf("\ndemo: pin %d pages of anonymous memory with "
	       "pin_user_pages_fast(FOLL_WRITE), then unpin\n", DEMO_PAGES);
	printf("  %-14s %14s %14s\n", "", "acquired", "released");
	ret = demo_pin_unpin(cli, &d);
	if (!ret)
		ret = demo_balance(&d, &info);
	munmap(d.buf, d.len);
out_close:
	gupdemo_close(d.fd);
	return ret;
}

const struct command demo_command = {
	"demo", cmd_demo,
	"print info, pin and unpin a few pages, show that the pin counters balance",
	"demo [--device PATH]", NULL, demo_options,
	"Exit status 0 when nr_foll_pin_acquired and nr_foll_pin_released both\n"
	"grew by the number of pages pinned (exact counters need root), else 1.",
};
