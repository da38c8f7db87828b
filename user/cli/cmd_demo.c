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

static int cmd_demo(struct cli *cli, int argc, char **argv)
{
	struct gupdemo_vmstat before, pinned, after;
	struct gupdemo_info info;
	struct gupdemo_pin pin;
	struct gupdemo_query q;
	size_t len, psz;
	uint64_t d_acq, d_rel;
	bool balanced;
	char *buf;
	int fd, ret, first;

	ret = cli_parse_opts(cli, &demo_command, NULL, argc, argv,
			     0, &first);
	if (ret >= 0)
		return ret;
	ret = cli_open_device(cli, &fd);
	if (ret)
		return ret;
	ret = cli_get_info(cli, fd, &info);
	if (ret)
		goto out_close;
	printf("device             %s\n", cli_dev_path(cli));
	info_print(&info);

	psz = (size_t)sysconf(_SC_PAGESIZE);
	len = DEMO_PAGES * psz;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		errmsg(cli, "demo: mmap: %s", strerror(errno));
		ret = EXIT_FAIL;
		goto out_close;
	}
	/* Small pages (no THP), populated, so every page counts once. */
	madvise(buf, len, MADV_NOHUGEPAGE);
	memset(buf, 0x5a, len);

	printf("\ndemo: pin %d pages of anonymous memory with "
	       "pin_user_pages_fast(FOLL_WRITE), then unpin\n", DEMO_PAGES);
	printf("  %-14s %14s %14s\n", "", "acquired", "released");
	ret = gupdemo_vmstat_read(&before);
	if (ret) {
		errmsg(cli, "demo: reading /proc/vmstat: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out_unmap;
	}
	demo_row("before", &before, NULL);

	memset(&pin, 0, sizeof(pin));
	pin.addr = (uintptr_t)buf;
	pin.len = len;
	pin.api = GUPDEMO_API_PIN_FAST;
	pin.flags = GUPDEMO_PIN_WRITE;
	ret = gupdemo_pin(fd, &pin);
	if (ret) {
		errmsg(cli, "demo: PIN failed: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out_unmap;
	}
	gupdemo_vmstat_read(&pinned);
	demo_row("after pin", &pinned, &before);
	memset(&q, 0, sizeof(q));
	q.handle = pin.handle;
	if (gupdemo_query(fd, &q) == 0)
		printf("  handle %u: %" PRIu64 " pages held, %" PRIu64
		       " dma-pinned, %" PRIu64 " folios, pinned in %" PRIu64
		       " ns\n", pin.handle, (uint64_t)q.npages,
		       (uint64_t)q.npinned, (uint64_t)q.nfolios,
		       (uint64_t)pin.get_ns);

	ret = gupdemo_unpin_handle(fd, pin.handle, GUPDEMO_UNPIN_DIRTY);
	if (ret) {
		errmsg(cli, "demo: UNPIN failed: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out_unmap;
	}
	gupdemo_vmstat_read(&after);
	demo_row("after unpin", &after, &before);

	d_acq = after.acquired - before.acquired;
	d_rel = after.released - before.released;
	gupdemo_get_info(fd, &info);
	balanced = d_acq == d_rel && d_acq == pin.npages &&
		   before.refreshed && after.refreshed;
	printf("\npins balanced: %s (%" PRIu64 " pages pinned, +%" PRIu64
	       " acquired, +%" PRIu64 " released; module holds %" PRIu64
	       " pins)\n", balanced ? "yes" : "no", (uint64_t)pin.npages,
	       d_acq, d_rel, (uint64_t)info.pins_held);
	if (!before.refreshed || !after.refreshed)
		printf("  (counters not exact: /proc/sys/vm/stat_refresh needs "
		       "root)\n");
	ret = balanced ? EXIT_OK : EXIT_FAIL;
out_unmap:
	munmap(buf, len);
out_close:
	gupdemo_close(fd);
	return ret;
}


const struct command demo_command = {
	"demo", cmd_demo,
	"print info, pin and unpin a few pages, show that the pin counters balance",
	"demo [--device PATH]", NULL, demo_options,
	"Exit status 0 when nr_foll_pin_acquired and nr_foll_pin_released both\n"
	"grew by the number of pages pinned (exact counters need root), else 1.",
};
