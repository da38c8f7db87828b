// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - the consequences lab: what a held pin does to the rest of
 * the kernel.
 *
 * The catalogue (catalogue.c) shows that pins balance.  These scenarios
 * show what pins do while they are held: pages that cannot migrate or
 * collapse, memory that cannot go offline, FOLL_LONGTERM moving pages out
 * of ZONE_MOVABLE first, a file truncated under a device that still writes,
 * writeback racing a device, and what fork() does to a FOLL_GET reference.
 * Each one sets its memory up, checks that the setup is what it claims
 * (node, zone, file contents), takes the pin, provokes the consequence and
 * checks it exactly, with a data check wherever a device writes, and
 * leaves nothing pinned, offline or moved away.  The pin counters are
 * judged over the whole scenario like the catalogue's.  The measured
 * figures go into the outcome's note; the lesson is in the table at the
 * end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

#define LAB_PAGES	8
#define THP_SIZE	GUPDEMO_HUGE_SIZE
#define DEVICE_BYTE	0x44	/* what the device writes: 'D' */
#define FILE_BYTE	0x41	/* what the file holds before: 'A' */

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/*
 * @npages small pages, every byte @byte, or page i holding i + 1 in its
 * first byte when @byte is -1.  munmap(p, npages * psz) frees it.
 */
static char *lab_map(struct ctx *c, size_t npages, int byte)
{
	struct gupdemo_buf b;
	int ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_4K, npages * c->psz,
				    byte < 0 ? GUPDEMO_BUF_TOUCH : 0);

	if (ret) {
		gd_fail(c, "mmap: %s", strerror(-ret));
		return NULL;
	}
	if (byte >= 0)
		memset(b.p, byte, b.len);
	return b.p;
}

/*
 * The device (soft engine) writes @len bytes of DEVICE_BYTE into @handle,
 * from a source page pinned for the call (one more pin each way).
 */
static int device_writes(struct ctx *c, uint32_t handle, size_t len,
			 uint32_t flags)
{
	struct gupdemo_dma d = {
		.flags = GUPDEMO_DMA_DST_HANDLE | flags,
		.op = GUPDEMO_DMA_LOOPBACK, .engine = GUPDEMO_ENGINE_SOFT,
		.dst_handle = handle, .len = len,
	};
	char *src = lab_map(c, (len + c->psz - 1) / c->psz, DEVICE_BYTE);
	int ret;

	if (!src)
		return -ENOMEM;
	d.src_addr = (uintptr_t)src;
	ret = gupdemo_dma(c->env->fd, &d);
	munmap(src, (len + c->psz - 1) / c->psz * c->psz);
	return ret;
}

static bool has_soft(struct ctx *c)
{
	if (c->env->features & GUPDEMO_FEAT_ENGINE_SOFT)
		return true;
	gd_skip(c, "no software DMA engine");
	return false;
}

static int pin(struct ctx *c, void *p, size_t npages, uint32_t api,
	       uint32_t flags, uint32_t *handle)
{
	uint64_t np = 0;
	int ret = gupdemo_pin_range(c->env->fd, p, npages * c->psz, api, flags,
				    handle, &np);

	if (ret)
		gd_fail(c, "PIN: %s", strerror(-ret));
	else if (np != npages)
		gd_fail(c, "PIN held %llu pages, expected %zu",
			(unsigned long long)np, npages);
	return ret;
}

static void unpin(struct ctx *c, uint32_t handle, uint32_t flags)
{
	int ret = gupdemo_unpin_handle(c->env->fd, handle, flags);

	if (ret)
		gd_fail(c, "UNPIN: %s", strerror(-ret));
}

/* Pages of @handle for which folio_maybe_dma_pinned() holds now. */
static uint64_t dma_pinned(struct ctx *c, uint32_t handle)
{
	struct gupdemo_query q = { .size = sizeof(q), .handle = handle };

	return gupdemo_query(c->env->fd, &q) ? UINT64_MAX : q.npinned;
}

/* ---- ZONE_MOVABLE: long-term pins, memory offline ---- */

#define MOVABLE_PAGES	16
#define OFFLINE_WAIT_MS	3000

static bool has_movable(struct ctx *c)
{
	uint64_t blocks[64];
	size_t n = 0;

	if (geteuid() != 0) {
		gd_skip(c, "needs root (pagemap frames, memory blocks)");
		return false;
	}
	if (access("/sys/devices/system/memory", F_OK)) {
		gd_skip(c, "the kernel has no memory hotplug "
			"(CONFIG_MEMORY_HOTPLUG)");
		return false;
	}
	if (gupdemo_memblock_list_movable(NULL, blocks, 64, &n) || !n) {
		gd_skip(c, "no ZONE_MOVABLE memory block (boot with "
			"movablecore=, e.g. vm-run --movable 256M)");
		return false;
	}
	return true;
}

/* Frames of @n pages at @p into @pfns; how many are in ZONE_MOVABLE. */
static size_t frames(struct ctx *c, char *p, size_t n, uint64_t *pfns)
{
	char zone[32];
	size_t movable = 0;

	for (size_t i = 0; i < n; i++) {
		pfns[i] = 0;
		if (gupdemo_virt_to_pfn(p + i * c->psz, &pfns[i]) ||
		    gupdemo_pfn_zone(pfns[i], zone, sizeof(zone)))
			gd_fail(c, "page %zu: frame or zone unknown", i);
		else if (!strcmp(zone, "Movable"))
			movable++;
	}
	return movable;
}

static uint64_t migrated(void)
{
	uint64_t v = 0;
	char *text;

	if (gupdemo_lab_read_text("/proc/vmstat", &text))
		return 0;
	gupdemo_vmstat_parse_field(text, "pgmigrate_success", &v);
	free(text);
	return v;
}

/* Page i still holds i + 1 (lab_map() with -1). */
static void check_data(struct ctx *c, char *p, size_t n, const char *when)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i * c->psz] != (char)(i + 1)) {
			gd_fail(c, "%s: page %zu lost its data", when, i);
			return;
		}
	}
}

/* The long-term pin of @p: pages moved out of ZONE_MOVABLE, data kept. */
static void longterm_moves(struct ctx *c, char *p, const uint64_t *was)
{
	uint64_t now[MOVABLE_PAGES], mig = migrated();
	size_t moved = 0, movable;
	uint32_t h;

	c->out->ret = pin(c, p, MOVABLE_PAGES, GUPDEMO_API_PIN_FAST,
			  GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM, &h);
	if (c->out->ret)
		return;
	c->out->npages = MOVABLE_PAGES;
	mig = migrated() - mig;
	movable = frames(c, p, MOVABLE_PAGES, now);
	for (size_t i = 0; i < MOVABLE_PAGES; i++)
		moved += now[i] != was[i];
	gd_note(c, "FOLL_LONGTERM: %zu of %d frames changed, %zu left in "
		"Movable, pgmigrate_success +%llu", moved, MOVABLE_PAGES,
		movable, (unsigned long long)mig);
	if (moved != MOVABLE_PAGES || movable)
		gd_fail(c, "FOLL_LONGTERM: %zu pages moved, %zu in Movable; "
			"expected all moved, none in Movable", moved, movable);
	if (mig < MOVABLE_PAGES)
		gd_fail(c, "pgmigrate_success +%llu, expected at least %d",
			(unsigned long long)mig, MOVABLE_PAGES);
	check_data(c, p, MOVABLE_PAGES, "after the migration");
	unpin(c, h, 0);
}

/*
 * Pin-counter movement of a FOLL_LONGTERM pin and unpin of @n pages in
 * ZONE_MOVABLE by pin_user_pages_fast(), measured: the slow path pins all
 * @n, unpins them to migrate them, and pins the new pages.
 */
static int64_t longterm_movable_delta(uint64_t n)
{
	return 2 * (int64_t)n;
}

static void sc_longterm_leaves_movable(struct ctx *c)
{
	uint64_t was[MOVABLE_PAGES], now[MOVABLE_PAGES];
	struct gupdemo_vmstat before, after;
	int64_t d = MOVABLE_PAGES + longterm_movable_delta(MOVABLE_PAGES);
	size_t movable, moved = 0;
	uint32_t h;
	char *p;

	if (!has_movable(c))
		return;
	p = lab_map(c, MOVABLE_PAGES, -1);
	if (!p)
		return;
	gd_expect(c, 0, MOVABLE_PAGES, d, d);
	movable = frames(c, p, MOVABLE_PAGES, was);
	if (movable != MOVABLE_PAGES) {
		gd_fail(c, "setup: %zu of %d pages in ZONE_MOVABLE", movable,
			MOVABLE_PAGES);
		goto out;
	}
	if (!gd_snap(c, &before))
		goto out;
	/* A short-term pin leaves the pages where they are. */
	if (!pin(c, p, MOVABLE_PAGES, GUPDEMO_API_PIN_FAST, GUPDEMO_PIN_WRITE,
		 &h)) {
		frames(c, p, MOVABLE_PAGES, now);
		for (size_t i = 0; i < MOVABLE_PAGES; i++)
			moved += now[i] != was[i];
		gd_note(c, "short-term: %zu of %d frames changed", moved,
			MOVABLE_PAGES);
		if (moved)
			gd_fail(c, "a short-term pin moved %zu pages", moved);
		unpin(c, h, 0);
	}
	longterm_moves(c, p, was);
	if (gd_snap(c, &after))
		gd_judge(c, &before, &after);
out:
	munmap(p, MOVABLE_PAGES * c->psz);
}

/*
 * The block to offline: the lowest online Movable one without a reserved
 * page (on x86 guests the top one holds the firmware's reserved end of RAM;
 * a kernel booted from its bzImage leaves a page of the initramfs reserved).
 * Return: its number or -1.
 */
static int64_t offline_target(struct ctx *c)
{
	uint64_t block;
	int ret = gupdemo_memblock_offline_candidate(NULL, &block);

	if (!ret)
		return (int64_t)block;
	if (ret == -ENOENT)
		gd_skip(c, "every ZONE_MOVABLE block holds a reserved page (a "
			"kernel booted from its bzImage keeps one of the "
			"initramfs's there): none can go offline");
	else
		gd_fail(c, "setup: reading /proc/kpageflags: %s",
			strerror(-ret));
	return -1;
}

#define CHUNK_PAGES	8192	/* 32 MiB */
#define BIG_CHUNKS	8

/*
 * Touch @big (BIG_CHUNKS chunks) a chunk at a time until two of its pages
 * are in @block; they go to @pg[0] and @pg[1].  Return: whether found.
 */
static bool pages_in_block(struct ctx *c, char *big, uint64_t block,
			   char **pg)
{
	size_t found = 0;
	uint64_t pfn, b;

	for (size_t i = 0; i < BIG_CHUNKS * CHUNK_PAGES && found < 2; i++) {
		char *page = big + i * c->psz;

		*page = (char)(i + 1);
		if ((i + 1) % CHUNK_PAGES)
			continue;
		for (size_t j = i + 1 - CHUNK_PAGES; j <= i && found < 2; j++) {
			page = big + j * c->psz;
			if (!gupdemo_virt_to_pfn(page, &pfn) &&
			    !gupdemo_memblock_of_pfn(NULL, pfn, &b) && b == block)
				pg[found++] = page;
		}
	}
	if (found < 2)
		gd_fail(c, "setup: %zu pages of %d MiB landed in block %llu",
			found, BIG_CHUNKS * CHUNK_PAGES / 256,
			(unsigned long long)block);
	return found == 2;
}

/*
 * Offline @block from a child while a page in it is pinned: the kernel
 * retries the migration until a fatal signal.  Return: the child's
 * result (-errno) if it finished within OFFLINE_WAIT_MS, else 1 (it was
 * still trying, and was killed).
 */
static int offline_bounded(uint64_t block)
{
	struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };
	int st = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(-gupdemo_memblock_offline(NULL, block));
	for (int ms = 0; ms < OFFLINE_WAIT_MS; ms += 50) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? -WEXITSTATUS(st) : -EINTR;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 1;
}

static void offline_pinned(struct ctx *c, char *p, uint64_t block)
{
	struct gupdemo_memblock mb = { 0 };
	uint32_t h;
	int ret;

	c->out->ret = pin(c, p, 1, GUPDEMO_API_PIN_FAST, GUPDEMO_PIN_WRITE, &h);
	if (c->out->ret)
		return;
	c->out->npages = 1;
	ret = offline_bounded(block);
	gupdemo_memblock_get(NULL, block, &mb);
	gd_note(c, "short-term pin: offline %s; block %llu %s",
		ret == 1 ? "still retrying after 3 s, SIGKILLed" :
		ret ? strerrorname_np(-ret) : "succeeded",
		(unsigned long long)block, mb.state);
	if (ret != 1 || strcmp(mb.state, "online"))
		gd_fail(c, "offline with a page pinned: expected it to retry "
			"until killed and the block to stay online");
	if (!ret)
		gupdemo_memblock_online(NULL, block, true);
	unpin(c, h, 0);
}

/* A FOLL_LONGTERM pin of @p's page, which moves it out of @block. */
static int pin_away(struct ctx *c, char *p, uint64_t block, uint32_t *h)
{
	uint64_t pfn = 0, now;
	int ret;

	ret = pin(c, p, 1, GUPDEMO_API_PIN_FAST,
		  GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM, h);
	if (ret)
		return ret;
	gupdemo_virt_to_pfn(p, &pfn);
	if (gupdemo_memblock_of_pfn(NULL, pfn, &now) || now == block)
		gd_fail(c, "FOLL_LONGTERM left the page in block %llu",
			(unsigned long long)block);
	return 0;
}

/* With the short-term pin gone, the block offlines at once; online it. */
static void offline_now(struct ctx *c, uint64_t block)
{
	int ret = gupdemo_memblock_offline(NULL, block);

	gd_note(c, "after UNPIN, a long-term pin still held: offline %s",
		ret ? strerrorname_np(-ret) : "succeeded at once");
	if (ret)
		gd_fail(c, "offline after UNPIN: %s, expected success",
			strerrorname_np(-ret));
	else if ((ret = gupdemo_memblock_online(NULL, block, true)))
		gd_fail(c, "online again: %s", strerrorname_np(-ret));
}

static void sc_offline_vs_pins(struct ctx *c)
{
	const size_t len = BIG_CHUNKS * CHUNK_PAGES * c->psz;
	struct gupdemo_vmstat before, after;
	int64_t block, d = 1 + longterm_movable_delta(1);
	char *big, *pg[2], want[2];
	uint32_t h;

	if (!has_movable(c))
		return;
	block = offline_target(c);
	if (block < 0)
		return;
	big = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED) {
		gd_fail(c, "mmap: %s", strerror(errno));
		return;
	}
	madvise(big, len, MADV_NOHUGEPAGE);
	gd_expect(c, 0, 1, d, d);
	if (!pages_in_block(c, big, (uint64_t)block, pg) ||
	    !gd_snap(c, &before))
		goto out;
	want[0] = *pg[0];
	want[1] = *pg[1];
	/* First the long-term pin: its page leaves the block at once. */
	if (!pin_away(c, pg[1], (uint64_t)block, &h)) {
		offline_pinned(c, pg[0], (uint64_t)block);
		offline_now(c, (uint64_t)block);
		unpin(c, h, 0);
	}
	if (*pg[0] != want[0] || *pg[1] != want[1])
		gd_fail(c, "the pages lost their data");
	if (gd_snap(c, &after))
		gd_judge(c, &before, &after);
out:
	munmap(big, len);
}

/* ---- migrate-pinned ---- */

/* move_pages(2) of @n pages from @p to @node (-1: only report where). */
static long move_to(struct ctx *c, char *p, int node, int *status)
{
	void *pages[LAB_PAGES];
	int nodes[LAB_PAGES];

	for (int i = 0; i < LAB_PAGES; i++) {
		pages[i] = p + i * c->psz;
		nodes[i] = node;
		status[i] = INT_MIN;
	}
	return syscall(SYS_move_pages, 0, LAB_PAGES, pages,
		       node < 0 ? NULL : nodes, status, 0);
}

/* The node all LAB_PAGES pages of @p are on, or -1 (noted). */
static int node_of(struct ctx *c, char *p)
{
	int st[LAB_PAGES];

	if (move_to(c, p, -1, st)) {
		gd_fail(c, "move_pages (query): %s", strerror(errno));
		return -1;
	}
	for (int i = 1; i < LAB_PAGES; i++) {
		if (st[i] != st[0]) {
			gd_fail(c, "page %d on node %d, page 0 on %d", i,
				st[i], st[0]);
			return -1;
		}
	}
	return st[0];
}

/* move_pages of the held pages: how many it could not migrate. */
static void move_held(struct ctx *c, char *p, int to, const char *what,
		      uint32_t handle, uint64_t exp_pinned)
{
	int st[LAB_PAGES];
	long left = move_to(c, p, to, st);
	uint64_t npinned = dma_pinned(c, handle);

	gd_note(c, "%s: %ld of %d not migrated, QUERY npinned %llu", what,
		left, LAB_PAGES, (unsigned long long)npinned);
	if (left != LAB_PAGES)
		gd_fail(c, "%s: move_pages returned %ld, expected %d", what,
			left, LAB_PAGES);
	if (npinned != exp_pinned)
		gd_fail(c, "%s: QUERY npinned %llu, expected %llu", what,
			(unsigned long long)npinned,
			(unsigned long long)exp_pinned);
}

static void sc_migrate_pinned(struct ctx *c)
{
	struct gupdemo_vmstat before, after;
	int st[LAB_PAGES], from, to;
	uint32_t h;
	char *p;

	if (access("/sys/devices/system/node", F_OK)) {
		gd_skip(c, "the kernel has no NUMA (CONFIG_NUMA)");
		return;
	}
	if (access("/sys/devices/system/node/node1", F_OK)) {
		gd_skip(c, "one NUMA node: move_pages needs a second one "
			"(vm-run --numa 2)");
		return;
	}
	p = lab_map(c, LAB_PAGES, 1);
	if (!p)
		return;
	from = node_of(c, p);
	to = from == 0;
	gd_expect(c, 0, LAB_PAGES, LAB_PAGES, LAB_PAGES);
	if (from < 0 || !gd_snap(c, &before))
		goto out;
	c->out->ret = pin(c, p, LAB_PAGES, GUPDEMO_API_PIN_FAST,
			  GUPDEMO_PIN_WRITE, &h);
	if (!c->out->ret) {
		c->out->npages = LAB_PAGES;
		move_held(c, p, to, "FOLL_PIN", h, LAB_PAGES);
		unpin(c, h, 0);
	}
	/* A FOLL_GET reference blocks migration too, and QUERY cannot see it. */
	if (!pin(c, p, LAB_PAGES, GUPDEMO_API_GET_FAST, GUPDEMO_PIN_WRITE, &h)) {
		move_held(c, p, to, "FOLL_GET", h, 0);
		unpin(c, h, 0);
	}
	if (node_of(c, p) != from)
		gd_fail(c, "a held page moved off node %d", from);
	if (move_to(c, p, to, st))
		gd_fail(c, "released: move_pages: %s",
			errno ? strerror(errno) : "pages left behind");
	else if (node_of(c, p) == to)
		gd_note(c, "released: all %d moved to node %d", LAB_PAGES, to);
	if (gd_snap(c, &after))
		gd_judge(c, &before, &after);
out:
	munmap(p, LAB_PAGES * c->psz);
}

/* ---- collapse-pinned ---- */

/* 2 MiB of small pages, aligned for one PMD; @raw is what to munmap. */
static char *map_small_pmd(struct ctx *c, char **raw)
{
	char *p = mmap(NULL, 2 * THP_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED) {
		gd_fail(c, "mmap: %s", strerror(errno));
		return NULL;
	}
	a = (char *)(((uintptr_t)p + THP_SIZE - 1) & ~(THP_SIZE - 1));
	if (madvise(a, THP_SIZE, MADV_NOHUGEPAGE)) {
		gd_fail(c, "MADV_NOHUGEPAGE: %s", strerror(errno));
		munmap(p, 2 * THP_SIZE);
		return NULL;
	}
	memset(a, 1, THP_SIZE);
	*raw = p;
	return a;
}

/* Pin all of @a once, read-only: how many folios back it (0: failed). */
static uint64_t folios_of(struct ctx *c, char *a)
{
	struct gupdemo_query q = { .size = sizeof(q) };

	if (pin(c, a, THP_SIZE / c->psz, GUPDEMO_API_PIN_FAST, 0, &q.handle))
		return 0;
	if (gupdemo_query(c->env->fd, &q))
		q.nfolios = 0;
	unpin(c, q.handle, 0);
	return q.nfolios;
}

/* Collapse @a; Return: 0 or -errno of MADV_COLLAPSE. */
static int collapse(char *a)
{
	return madvise(a, THP_SIZE, MADV_COLLAPSE) ? -errno : 0;
}

/*
 * The page is pinned before the range becomes eligible for THP: khugepaged
 * cannot collapse it behind our back first.
 */
static void collapse_held(struct ctx *c, char *a)
{
	uint32_t h;
	int ret;

	c->out->ret = pin(c, a + 5 * c->psz, 1, GUPDEMO_API_PIN_FAST,
			  GUPDEMO_PIN_WRITE, &h);
	if (c->out->ret)
		return;
	c->out->npages = 1;
	if (madvise(a, THP_SIZE, MADV_HUGEPAGE)) {
		gd_fail(c, "MADV_HUGEPAGE: %s", strerror(errno));
	} else {
		ret = collapse(a);
		gd_note(c, "one page pinned: MADV_COLLAPSE %s",
			ret ? strerrorname_np(-ret) : "succeeded");
		if (ret != -EAGAIN)
			gd_fail(c, "MADV_COLLAPSE with a page pinned: %s, "
				"expected EAGAIN",
				ret ? strerrorname_np(-ret) : "success");
	}
	unpin(c, h, 0);
}

static void sc_collapse_pinned(struct ctx *c)
{
	const uint64_t n = THP_SIZE / c->psz;
	struct gupdemo_vmstat before, after;
	const char *why = gd_thp_off();
	uint64_t nfolios;
	char *a, *raw;
	int ret;

	if (why) {
		gd_skip(c, "%s", why);
		return;
	}
	a = map_small_pmd(c, &raw);
	if (!a)
		return;
	/* All of it pinned to count its folios, one page, all again. */
	gd_expect(c, 0, 1, n + 1 + n, n + 1 + n);
	if (!gd_snap(c, &before))
		goto out;
	nfolios = folios_of(c, a);
	if (nfolios != n)
		gd_fail(c, "setup: %llu folios, expected %llu small pages",
			(unsigned long long)nfolios, (unsigned long long)n);
	collapse_held(c, a);
	/*
	 * EAGAIN is MADV_COLLAPSE's transient failure (a page's reference not
	 * yet dropped from a per-CPU batch, the folio locked by a scan): seen
	 * once on 7.3.4 right after UNPIN (three reruns passed).  A few more
	 * tries.
	 */
	for (int i = 0; (ret = collapse(a)) == -EAGAIN && i < 20; i++)
		usleep(10000);
	if (ret)
		gd_fail(c, "MADV_COLLAPSE after UNPIN: %s", strerrorname_np(-ret));
	nfolios = folios_of(c, a);
	if (nfolios != 1)
		gd_fail(c, "after collapse: %llu folios, expected 1",
			(unsigned long long)nfolios);
	else
		gd_note(c, "after UNPIN: collapsed, QUERY sees 1 folio");
	if (gd_snap(c, &after))
		gd_judge(c, &before, &after);
out:
	munmap(raw, 2 * THP_SIZE);
}

/* ---- files: truncate, hole punch, writeback ---- */

/*
 * The file's first byte as the disk has it (O_DIRECT), or -errno.  Since 6.3
 * the read pins its buffer, and the bio completion unpins it just after
 * waking us: wait for that, so that it does not land in the next scenario's
 * counters.
 */
static int disk_byte(struct ctx *c, const char *path)
{
	struct gupdemo_vmstat before, after;
	void *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (posix_memalign(&buf, c->psz, c->psz)) {
		close(fd);
		return -ENOMEM;
	}
	ret = gupdemo_vmstat_read(&before);
	if (!ret)
		ret = pread(fd, buf, c->psz, 0) == (ssize_t)c->psz ?
		      ((unsigned char *)buf)[0] : -EIO;
	if (ret >= 0 && gupdemo_vmstat_settle(&before, &after, GD_SETTLE_MS))
		gd_fail(c, "the O_DIRECT read's pins not all released after "
			"%d ms", GD_SETTLE_MS);
	free(buf);
	close(fd);
	return ret;
}

enum file_op { OP_TRUNCATE, OP_PUNCH, OP_FSYNC };

/* What happens to the file's page while the pin is held. */
static int file_op(int fd, enum file_op op)
{
	switch (op) {
	case OP_TRUNCATE:
		return ftruncate(fd, 0) ? -errno : 0;
	case OP_PUNCH:
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 0, sysconf(_SC_PAGESIZE)) ? -errno : 0;
	default:
		/* Writeback: the page is cleaned and its PTE write-protected. */
		return fsync(fd) ? -errno : 0;
	}
}

/*
 * Pin one page of a MAP_SHARED ext4 file for writing, do @op to the file,
 * let the device write through the pin, UNPIN with @unpin_flags; then read
 * what the disk holds.  Return: the disk's first byte, or -1 (failed).
 */
static int file_case(struct ctx *c, enum file_op op, uint32_t unpin_flags)
{
	struct gupdemo_vmstat before, after;
	char path[300], *p;
	int fd, ret, byte = -1;
	uint32_t h;

	fd = gd_ext4_file(c, 1, FILE_BYTE, path, sizeof(path));
	if (fd < 0)
		return -1;
	p = mmap(NULL, c->psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		gd_fail(c, "mmap: %s", strerror(errno));
		goto out_close;
	}
	/* The pin, and the DMA's pin of its source page. */
	gd_expect(c, 0, 1, 2, 2);
	if (!gd_snap(c, &before))
		goto out_unmap;
	c->out->ret = pin(c, p, 1, GUPDEMO_API_PIN_FAST, GUPDEMO_PIN_WRITE, &h);
	if (c->out->ret)
		goto out_unmap;
	c->out->npages = 1;
	ret = file_op(fd, op);
	if (ret)
		gd_fail(c, "the file operation: %s", strerror(-ret));
	ret = device_writes(c, h, c->psz, 0);
	if (ret)
		gd_fail(c, "DMA into the pinned page: %s", strerror(-ret));
	unpin(c, h, unpin_flags);
	if (gd_snap(c, &after))
		gd_judge(c, &before, &after);
	munmap(p, c->psz);
	p = MAP_FAILED;
	if (op == OP_TRUNCATE && ftruncate(fd, c->psz))
		gd_fail(c, "ftruncate back: %s", strerror(errno));
	if (fsync(fd))
		gd_fail(c, "fsync: %s", strerror(errno));
	byte = disk_byte(c, path);
	if (byte < 0)
		gd_fail(c, "O_DIRECT read: %s", strerror(-byte));
out_unmap:
	if (p != MAP_FAILED)
		munmap(p, c->psz);
out_close:
	close(fd);
	unlink(path);
	return byte;
}

static bool has_ext4_soft(struct ctx *c)
{
	return gd_has_ext4(c) && has_soft(c);
}

static void check_disk(struct ctx *c, int byte, int want, const char *what)
{
	if (byte < 0)
		return;
	gd_note(c, "%s: the disk holds 0x%02x; the device wrote 0x%02x",
		what, byte, DEVICE_BYTE);
	if (byte != want)
		gd_fail(c, "%s: the disk holds 0x%02x, expected 0x%02x", what,
			byte, want);
}

static void sc_truncate_pinned(struct ctx *c)
{
	if (has_ext4_soft(c))
		check_disk(c, file_case(c, OP_TRUNCATE, GUPDEMO_UNPIN_DIRTY), 0,
			   "truncated, re-extended");
}

static void sc_punch_pinned(struct ctx *c)
{
	if (has_ext4_soft(c))
		check_disk(c, file_case(c, OP_PUNCH, GUPDEMO_UNPIN_DIRTY), 0,
			   "hole punched");
}

static void sc_writeback_pinned(struct ctx *c)
{
	if (has_ext4_soft(c))
		check_disk(c, file_case(c, OP_FSYNC, GUPDEMO_UNPIN_DIRTY),
			   DEVICE_BYTE, "written back while pinned, UNPIN DIRTY");
}

static void sc_writeback_nodirty(struct ctx *c)
{
	if (has_ext4_soft(c))
		check_disk(c, file_case(c, OP_FSYNC, GUPDEMO_UNPIN_SKIP_DIRTY),
			   FILE_BYTE, "UNPIN SKIP_DIRTY (the driver bug)");
}

/* ---- fork-get-vs-pin ---- */

/*
 * Hold one anonymous page with @api, fork, let the parent write to it (the
 * COW fault), let the device write through the handle, and return what the
 * parent's page holds; *@child_saw gets the child's byte.
 */
static int fork_case(struct ctx *c, uint32_t api, int *child_saw)
{
	int sync[2], st = 0, ret, byte = -1;
	char *p = lab_map(c, 1, FILE_BYTE);
	uint32_t h;
	pid_t pid;

	if (!p)
		return -1;
	if (pin(c, p, 1, api, GUPDEMO_PIN_WRITE, &h))
		goto out_unmap;
	if (pipe(sync)) {
		gd_fail(c, "pipe: %s", strerror(errno));
		goto out_unpin;
	}
	pid = fork();
	if (pid == 0) {
		char go;

		close(sync[1]);
		_exit(read(sync[0], &go, 1) == 1 ? (unsigned char)p[0] : 0);
	}
	close(sync[0]);
	if (pid < 0) {
		gd_fail(c, "fork: %s", strerror(errno));
		close(sync[1]);
		goto out_unpin;
	}
	p[c->psz - 1] = 1;	/* the parent writes: COW if it must */
	ret = device_writes(c, h, 64, GUPDEMO_DMA_ALLOW_GET);
	if (ret)
		gd_fail(c, "DMA: %s", strerror(-ret));
	byte = (unsigned char)p[0];
	if (write(sync[1], "x", 1) != 1 || waitpid(pid, &st, 0) != pid)
		gd_fail(c, "the child: %s", strerror(errno));
	close(sync[1]);
	*child_saw = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
out_unpin:
	unpin(c, h, 0);
out_unmap:
	munmap(p, c->psz);
	return byte;
}

static void sc_fork_get_vs_pin(struct ctx *c)
{
	struct gupdemo_vmstat before, after;
	int parent, child = -1;

	if (!has_soft(c))
		return;
	/* FOLL_PIN: the pin, the DMA's source page; FOLL_GET: the source. */
	gd_expect(c, 0, 1, 3, 3);
	if (!gd_snap(c, &before))
		return;
	parent = fork_case(c, GUPDEMO_API_GET_FAST, &child);
	gd_note(c, "FOLL_GET: parent reads 0x%02x, child 0x%02x", parent,
		child);
	if (parent != FILE_BYTE || child != DEVICE_BYTE)
		gd_fail(c, "FOLL_GET: parent 0x%02x (want 0x%02x, the write "
			"lost to COW), child 0x%02x (want 0x%02x)", parent,
			FILE_BYTE, child, DEVICE_BYTE);
	parent = fork_case(c, GUPDEMO_API_PIN_FAST, &child);
	c->out->npages = 1;
	gd_note(c, "FOLL_PIN: parent 0x%02x, child 0x%02x", parent, child);
	if (parent != DEVICE_BYTE || child != FILE_BYTE)
		gd_fail(c, "FOLL_PIN: parent 0x%02x (want 0x%02x), child 0x%02x "
			"(want its copy, 0x%02x)", parent, DEVICE_BYTE, child,
			FILE_BYTE);
	if (gd_snap(c, &after))
		gd_judge(c, &before, &after);
}

/* ---- the table ---- */

const struct scenario_def gd_lab[] = {
	{ { "longterm-leaves-movable", "fast/LT", "movable", MOVABLE_PAGES,
	    GUPDEMO_NEEDS_MOVABLE | GUPDEMO_NEEDS_ROOT,
	    "FOLL_LONGTERM migrates pages out of ZONE_MOVABLE first",
	    "a long-term pin must not hold ZONE_MOVABLE memory hostage: "
	    "FOLL_LONGTERM moves the pages before pinning them" },
	  sc_longterm_leaves_movable },
	{ { "offline-vs-pins", "fast/LT", "movable", 1,
	    GUPDEMO_NEEDS_MOVABLE | GUPDEMO_NEEDS_ROOT,
	    "memory offline waits out a short-term pin, not a long-term one",
	    "a short-term pin blocks memory offline until it is dropped; a "
	    "FOLL_LONGTERM pin moved its page away first" },
	  sc_offline_vs_pins },
	{ { "migrate-pinned", "fast/get", "anon-4k", LAB_PAGES,
	    GUPDEMO_NEEDS_NUMA,
	    "move_pages(2) of held pages: none migrate; after UNPIN all do",
	    "a held page cannot migrate: FOLL_PIN and FOLL_GET alike; only "
	    "FOLL_PIN shows in folio_maybe_dma_pinned()" },
	  sc_migrate_pinned },
	{ { "collapse-pinned", "fast", "anon-4k", 1, 0,
	    "MADV_COLLAPSE over 2 MiB with one page pinned: EAGAIN",
	    "khugepaged and MADV_COLLAPSE skip a range with a pinned page: "
	    "long-term pins keep memory in small pages" },
	  sc_collapse_pinned },
	{ { "truncate-pinned", "fast", "ext4-shr", 1,
	    GUPDEMO_NEEDS_EXT4 | GUPDEMO_NEEDS_SOFT,
	    "ftruncate() under a write pin; the device writes; data gone",
	    "truncate does not wait for pins: the device writes into a page "
	    "the file no longer has, and nothing reports it" },
	  sc_truncate_pinned },
	{ { "punch-pinned", "fast", "ext4-shr", 1,
	    GUPDEMO_NEEDS_EXT4 | GUPDEMO_NEEDS_SOFT,
	    "fallocate(PUNCH_HOLE) under a write pin: the same loss",
	    "a punched hole drops the page from the file while the device "
	    "still holds it: its write is lost" },
	  sc_punch_pinned },
	{ { "writeback-pinned", "fast", "ext4-shr", 1,
	    GUPDEMO_NEEDS_EXT4 | GUPDEMO_NEEDS_SOFT,
	    "fsync() while pinned, device writes, UNPIN DIRTY: on disk",
	    "writeback cleans a pinned page behind the device: the driver "
	    "must dirty it again at unpin" },
	  sc_writeback_pinned },
	{ { "writeback-nodirty", "fast", "ext4-shr", 1,
	    GUPDEMO_NEEDS_EXT4 | GUPDEMO_NEEDS_SOFT,
	    "the same, UNPIN SKIP_DIRTY (driver bug): the write is lost",
	    "unpin without dirtying what the device wrote and the data never "
	    "reaches the disk" },
	  sc_writeback_nodirty },
	{ { "fork-get-vs-pin", "get/fast", "anon-4k", 1, GUPDEMO_NEEDS_SOFT,
	    "fork + parent write: FOLL_GET loses the device's write",
	    "after fork() a FOLL_GET page goes to the child on the parent's "
	    "COW; a FOLL_PIN page stays with the parent" },
	  sc_fork_get_vs_pin },
};

const unsigned int gd_lab_count = sizeof(gd_lab) / sizeof(gd_lab[0]);
