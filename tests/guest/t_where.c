// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: where a page is (libgupdemo's user/lab/pageinfo.c) and memory
 * offlining, on a guest booted with `scripts/vm-run --movable SIZE`.
 *
 * Always: the pagemap frame of a touched page is nonzero and stable, an
 * untouched page is -ENOENT, an unprivileged reader (uid 65534) gets
 * -EPERM, zones of known frames, a block that does not exist is -ENOENT.
 * With ZONE_MOVABLE (movablecore=): the Movable blocks are the top
 * SIZE of RAM; a touched anon page lies in ZONE_MOVABLE; every Movable
 * block but the top one offlines (its unpinned pages move to other frames)
 * and onlines again, unless it holds a reserved page (then EBUSY); the top
 * block, which holds the firmware's reserved end of RAM, refuses with
 * EINVAL.  Without ZONE_MOVABLE those checks are
 * skipped with the reason.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include "gupdemo-lab.h"
#include "guest.h"

#define NOBODY		65534
#define BUF_PAGES	1024	/* 4 MiB */
#define MOVABLE_CHECKS	11	/* check_movable()'s TAP lines */
#define CYCLE_CHECKS	7	/* cycle_block()'s */
#define MAX_BLOCKS	4096

static size_t psz;
static bool hotplug;	/* the kernel has memory hotplug (memory blocks) */

/* Size with a K, M or G suffix (vm-run's --mem and --movable) in bytes; 0 if not one. */
static uint64_t size_bytes(const char *s)
{
	char *end;
	uint64_t v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	if (end == s)
		return 0;
	if (*end == '\0')
		return v << 20;		/* QEMU: MiB */
	if (end[1] != '\0')
		return 0;
	switch (*end) {
	case 'K': case 'k': return v << 10;
	case 'M': case 'm': return v << 20;
	case 'G': case 'g': return v << 30;
	default: return 0;
	}
}

/*
 * The frame of a page this process has touched.  The kernel may be migrating
 * it right now (compaction): its PTE is then a migration entry, which pagemap
 * shows as not present, for a moment.  Seen once in a uid 65534 child on 6.1.
 */
static int touched_pfn(const void *page, uint64_t *pfn)
{
	int ret = gupdemo_virt_to_pfn(page, pfn);

	for (int i = 0; ret == -ENOENT && i < 100; i++) {
		usleep(10000);
		ret = gupdemo_virt_to_pfn(page, pfn);
	}
	return ret;
}

/* The frames of every page of @buf; false (after a TAP failure) if one has none. */
static bool buf_pfns(const char *buf, uint64_t *pfns, const char *what)
{
	for (size_t i = 0; i < BUF_PAGES; i++) {
		int ret = touched_pfn(buf + i * psz, &pfns[i]);

		if (ret)
			return is_errno(ret, 0, "%s: frame of page %zu", what, i);
	}
	return true;
}

/* A "# ..." line: how many of the pages' frames are in which zone. */
static void zone_spread(const uint64_t *pfns, const char *what)
{
	static const char *const names[] = { "DMA", "DMA32", "Normal", "Movable" };
	size_t count[5] = { 0 };
	char zone[GUPDEMO_ZONE_NAME_MAX];

	for (size_t i = 0; i < BUF_PAGES; i++) {
		size_t z = 0;

		if (gupdemo_pfn_zone(pfns[i], zone, sizeof(zone)) == 0)
			while (z < 4 && strcmp(zone, names[z]) != 0)
				z++;
		else
			z = 4;
		count[z]++;
	}
	diag("%s: DMA %zu, DMA32 %zu, Normal %zu, Movable %zu, other %zu pages",
	     what, count[0], count[1], count[2], count[3], count[4]);
}

/* The memory block of a touched page's frame. */
static void check_block_of(uint64_t pfn)
{
	struct gupdemo_memblock mb;
	uint64_t bytes = 0, block = 0;
	int ret;

	ret = gupdemo_memblock_size(NULL, &bytes);
	is_errno(ret, 0, "block_size_bytes reads");
	ok(bytes && !(bytes & (bytes - 1)) && bytes % psz == 0,
	   "the block size is a power of two, whole pages (%llu MiB)",
	   (unsigned long long)(bytes >> 20));
	ret = gupdemo_memblock_of_pfn(NULL, pfn, &block);
	ok(ret == 0 && block == pfn * psz / (bytes ? bytes : 1),
	   "memory block of the page: memory%llu", (unsigned long long)block);
	ret = gupdemo_memblock_get(NULL, block, &mb);
	is_errno(ret, 0, "memory%llu: state and valid_zones read",
		 (unsigned long long)block);
	ok(ret == 0 && mb.start_pfn <= pfn && pfn < mb.start_pfn + mb.nr_pfns &&
	   strcmp(mb.state, "online") == 0,
	   "memory%llu holds the frame and is online (%s)",
	   (unsigned long long)block, ret ? "?" : mb.state);
}

/* In a child as uid 65534: the errno of reading a touched page's frame. */
static void check_unprivileged(const char *page)
{
	int status = 0, ret;
	pid_t pid = fork();

	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		uint64_t pfn;

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(200);
		/*
		 * Changing uid made us undumpable: /proc/self/ would then be
		 * root's and pagemap not open at all.  An ordinary process is
		 * dumpable.
		 */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
			_exit(201);
		ret = touched_pfn(page, &pfn);
		_exit(ret > 0 || ret < -199 ? 202 : -ret);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		bail_out("the uid %d child did not exit normally", NOBODY);
	if (!ok(WEXITSTATUS(status) < 200,
		"uid %d child: setuid and PR_SET_DUMPABLE (status %d)", NOBODY,
		WEXITSTATUS(status)))
		return;
	is_errno(-WEXITSTATUS(status), EPERM,
		 "uid %d: frame of a touched page -> EPERM (pagemap hides frames)",
		 NOBODY);
}

static void check_basics(char *buf)
{
	uint64_t pfn = 0, again = 0;
	struct gupdemo_memblock mb;
	char zone[GUPDEMO_ZONE_NAME_MAX];
	char *untouched;
	int ret;

	ret = touched_pfn(buf, &pfn);
	is_errno(ret, 0, "frame of a touched page");
	ok(pfn != 0, "... is nonzero (%#llx)", (unsigned long long)pfn);
	ret = touched_pfn(buf + psz - 1, &again);
	ok(ret == 0 && again == pfn,
	   "the page's last byte has the same frame (%d, %#llx)", ret,
	   (unsigned long long)again);
	buf[0]++;
	ret = touched_pfn(buf, &again);
	ok(ret == 0 && again == pfn, "the frame is stable across a write");

	untouched = g_map_anon(1, false);
	ret = gupdemo_virt_to_pfn(untouched, &again);
	is_errno(ret, ENOENT, "frame of a page never touched -> ENOENT");
	munmap(untouched, psz);

	check_unprivileged(buf);

	if (hotplug)
		check_block_of(pfn);
	else
		skip(5, "the kernel has no memory hotplug (no " GUPDEMO_MEMORY_DIR ")");

	/* Frame 1 opens ZONE_DMA on x86; no zone spans 2^40 (4 PiB). */
	ret = gupdemo_pfn_zone(1, zone, sizeof(zone));
	ok(ret == 0 && strcmp(zone, "DMA") == 0, "frame 1 is in DMA (%d, %s)",
	   ret, ret ? "-" : zone);
	ret = gupdemo_pfn_zone(1ULL << 40, zone, sizeof(zone));
	is_errno(ret, ENOENT, "frame 2^40 is in no zone -> ENOENT");
	ret = gupdemo_pfn_zone(1, zone, 3);
	is_errno(ret, ENAMETOOLONG, "zone name into 3 bytes -> ENAMETOOLONG");

	if (hotplug) {
		ret = gupdemo_memblock_get(NULL, 999999, &mb);
		is_errno(ret, ENOENT, "memory999999 does not exist -> ENOENT");
		ret = gupdemo_memblock_offline(NULL, 999999);
		is_errno(ret, ENOENT, "offline memory999999 -> ENOENT");
		ret = gupdemo_memblock_online(NULL, 999999, true);
		is_errno(ret, ENOENT, "online memory999999 -> ENOENT");
	} else {
		skip(3, "the kernel has no memory hotplug");
	}
}

/* Offline @block and back; pages of @buf in it must have moved. */
static void cycle_block(uint64_t block, const char *buf, const uint64_t *before,
			uint64_t *after)
{
	struct gupdemo_memblock mb;
	size_t in_block = 0, moved = 0;
	int ret;

	if (gupdemo_memblock_get(NULL, block, &mb))
		bail_out("memory%llu vanished", (unsigned long long)block);
	for (size_t i = 0; i < BUF_PAGES; i++)
		in_block += before[i] >= mb.start_pfn &&
			    before[i] < mb.start_pfn + mb.nr_pfns;

	ret = gupdemo_memblock_offline(NULL, block);
	is_errno(ret, 0, "memory%llu offlines", (unsigned long long)block);
	ret = gupdemo_memblock_get(NULL, block, &mb);
	ok(ret == 0 && strcmp(mb.state, "offline") == 0,
	   "memory%llu: state offline (%s), valid_zones '%s'",
	   (unsigned long long)block, ret ? "?" : mb.state,
	   ret ? "?" : mb.valid_zones);
	ret = gupdemo_memblock_offline(NULL, block);
	is_errno(ret, EINVAL, "offline again -> EINVAL");
	if (buf_pfns(buf, after, "after offlining")) {
		for (size_t i = 0; i < BUF_PAGES; i++)
			moved += after[i] != before[i] &&
				 !(after[i] >= mb.start_pfn &&
				   after[i] < mb.start_pfn + mb.nr_pfns);
		ok(moved >= in_block,
		   "the buffer's %zu pages in memory%llu moved out (%zu moved)",
		   in_block, (unsigned long long)block, moved);
		zone_spread(after, "after offlining");
	}
	ret = gupdemo_memblock_online(NULL, block, true);
	is_errno(ret, 0, "memory%llu onlines to Movable", (unsigned long long)block);
	ret = gupdemo_memblock_get(NULL, block, &mb);
	ok(ret == 0 && strcmp(mb.state, "online") == 0 &&
	   strcmp(mb.valid_zones, "Movable") == 0,
	   "memory%llu: online, valid_zones Movable again (%s, %s)",
	   (unsigned long long)block, ret ? "?" : mb.state,
	   ret ? "?" : mb.valid_zones);
	ret = gupdemo_memblock_online(NULL, block, true);
	is_errno(ret, EINVAL, "online again -> EINVAL");
}

static void check_movable(char *buf, const uint64_t *blocks, size_t n)
{
	uint64_t mem = size_bytes(getenv("GUPDEMO_VM_MEM"));
	uint64_t movable = size_bytes(getenv("GUPDEMO_VM_MOVABLE"));
	uint64_t bytes = 0, first, last, *before, *after, nres = 0;
	char zone[GUPDEMO_ZONE_NAME_MAX] = "";
	size_t in_movable = 0;
	int ret;

	if (gupdemo_memblock_size(NULL, &bytes) || !mem || !movable)
		bail_out("GUPDEMO_VM_MEM / GUPDEMO_VM_MOVABLE or the block size unknown");
	/* movablecore= takes the top of RAM, rounded to whole blocks here. */
	last = mem / bytes - 1;
	first = (mem - movable) / bytes;
	ok(n == last - first + 1 && blocks[0] == first && blocks[n - 1] == last,
	   "Movable blocks are memory%llu..%llu, the top %s of %s (found %zu: memory%llu..%llu)",
	   (unsigned long long)first, (unsigned long long)last,
	   getenv("GUPDEMO_VM_MOVABLE"), getenv("GUPDEMO_VM_MEM"), n,
	   (unsigned long long)blocks[0], (unsigned long long)blocks[n - 1]);

	before = calloc(BUF_PAGES, sizeof(*before));
	after = calloc(BUF_PAGES, sizeof(*after));
	if (!before || !after)
		bail_out("out of memory");
	if (buf_pfns(buf, before, "touched buffer")) {
		for (size_t i = 0; i < BUF_PAGES; i++) {
			ret = gupdemo_pfn_zone(before[i], zone, sizeof(zone));
			if (ret)
				bail_out("zone of frame %#llx: %s",
					 (unsigned long long)before[i], strerror(-ret));
			in_movable += strcmp(zone, "Movable") == 0;
		}
	}
	ret = gupdemo_pfn_zone(before[0], zone, sizeof(zone));
	ok(ret == 0 && strcmp(zone, "Movable") == 0,
	   "a touched anon page is in ZONE_MOVABLE (%s)", ret ? "?" : zone);
	is_int(in_movable, BUF_PAGES,
	       "all %d pages of a touched 4 MiB anon buffer are in ZONE_MOVABLE",
	       BUF_PAGES);

	/*
	 * Every block but the top one cycles; the top one has the end hole.
	 * A kernel booted from its bzImage (the debug kernel) may leave a page
	 * of the initramfs reserved in a Movable block: such a block refuses
	 * with EBUSY, and it is the only thing checked of it.
	 */
	if (n >= 2 && !gupdemo_memblock_reserved(NULL, blocks[0], &nres) && nres) {
		is_errno(gupdemo_memblock_offline(NULL, blocks[0]), EBUSY,
			 "memory%llu holds %llu reserved pages: refuses to offline -> EBUSY",
			 (unsigned long long)blocks[0], (unsigned long long)nres);
		skip(CYCLE_CHECKS - 1, "memory%llu holds a reserved page (the boot's)",
		     (unsigned long long)blocks[0]);
	} else if (n >= 2) {
		is_int(nres, 0, "memory%llu holds no reserved page",
		       (unsigned long long)blocks[0]);
		cycle_block(blocks[0], buf, before, after);
	} else {
		skip(CYCLE_CHECKS + 1, "only one Movable block (memory%llu): use --movable of two blocks or more",
		     (unsigned long long)blocks[0]);
	}
	ret = gupdemo_memblock_offline(NULL, last);
	is_errno(ret, EINVAL,
		 "memory%llu (RAM's reserved end inside) refuses to offline -> EINVAL",
		 (unsigned long long)last);
	free(before);
	free(after);
}

int main(void)
{
	uint64_t blocks[MAX_BLOCKS];
	size_t n = 0;
	char *buf;
	int ret;

	psz = (size_t)sysconf(_SC_PAGESIZE);
	hotplug = access(GUPDEMO_MEMORY_DIR, F_OK) == 0;
	buf = g_map_anon(BUF_PAGES, true);
	check_basics(buf);

	if (!hotplug) {
		skip(1 + MOVABLE_CHECKS, "the kernel has no memory hotplug (no " GUPDEMO_MEMORY_DIR ")");
		munmap(buf, BUF_PAGES * psz);
		return done_testing();
	}
	ret = gupdemo_memblock_list_movable(NULL, blocks, MAX_BLOCKS, &n);
	is_errno(ret, 0, "list the Movable memory blocks (%zu)", n);
	if (ret == 0 && n > 0)
		check_movable(buf, blocks, n);
	else
		skip(MOVABLE_CHECKS, "no Movable memory blocks (boot with scripts/vm-run --movable 256M)");
	munmap(buf, BUF_PAGES * psz);
	return done_testing();
}
