// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: libgupdemo's "where is this page" helpers (user/lab/pageinfo.c):
 * pagemap entries, zone spans from /proc/zoneinfo text, and the memory
 * block functions on a fake /sys/devices/system/memory.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gupdemo-lab.h"
#include "tap.h"

/*
 * /proc/zoneinfo of a 6.12.118 guest booted by scripts/vm-run --movable 256M
 * (1 GiB, movablecore=256M): DMA [1, 4096), DMA32 [4096, 196608), Movable
 * [196608, 262112); Normal and Device have no present pages (no start_pfn).
 */
static const char zoneinfo_612[] =
	"Node 0, zone      DMA\n"
	"  per-node stats\n"
	"      nr_inactive_anon 0\n"
	"      nr_active_anon 4141\n"
	"      nr_inactive_file 0\n"
	"      nr_active_file 0\n"
	"      nr_unevictable 0\n"
	"      nr_slab_reclaimable 262\n"
	"      nr_slab_unreclaimable 2136\n"
	"      nr_isolated_anon 0\n"
	"      nr_isolated_file 0\n"
	"      workingset_nodes 0\n"
	"      workingset_refault_anon 0\n"
	"      workingset_refault_file 0\n"
	"      workingset_activate_anon 0\n"
	"      workingset_activate_file 0\n"
	"      workingset_restore_anon 0\n"
	"      workingset_restore_file 0\n"
	"      workingset_nodereclaim 0\n"
	"      nr_anon_pages 25\n"
	"      nr_mapped    433\n"
	"      nr_file_pages 4108\n"
	"      nr_dirty     0\n"
	"      nr_writeback 0\n"
	"      nr_writeback_temp 0\n"
	"      nr_shmem     4108\n"
	"      nr_shmem_hugepages 0\n"
	"      nr_shmem_pmdmapped 0\n"
	"      nr_file_hugepages 0\n"
	"      nr_file_pmdmapped 0\n"
	"      nr_anon_transparent_hugepages 0\n"
	"      nr_vmscan_write 0\n"
	"      nr_vmscan_immediate_reclaim 0\n"
	"      nr_dirtied   0\n"
	"      nr_written   0\n"
	"      nr_throttled_written 0\n"
	"      nr_kernel_misc_reclaimable 0\n"
	"      nr_foll_pin_acquired 0\n"
	"      nr_foll_pin_released 0\n"
	"      nr_kernel_stack 992\n"
	"      nr_page_table_pages 87\n"
	"      nr_sec_page_table_pages 0\n"
	"      nr_iommu_pages 0\n"
	"      nr_swapcached 0\n"
	"      pgpromote_success 0\n"
	"      pgpromote_candidate 0\n"
	"      pgdemote_kswapd 0\n"
	"      pgdemote_direct 0\n"
	"      pgdemote_khugepaged 0\n"
	"  pages free     3808\n"
	"        boost    0\n"
	"        min      190\n"
	"        low      237\n"
	"        high     284\n"
	"        promo    331\n"
	"        spanned  4095\n"
	"        present  3998\n"
	"        managed  3840\n"
	"        cma      0\n"
	"        protection: (0, 707, 707, 929, 929)\n"
	"      nr_free_pages 3808\n"
	"      nr_zone_inactive_anon 0\n"
	"      nr_zone_active_anon 0\n"
	"      nr_zone_inactive_file 0\n"
	"      nr_zone_active_file 0\n"
	"      nr_zone_unevictable 0\n"
	"      nr_zone_write_pending 0\n"
	"      nr_mlock     0\n"
	"      nr_bounce    0\n"
	"      nr_zspages   0\n"
	"      nr_free_cma  0\n"
	"      nr_unaccepted 0\n"
	"      numa_hit     1\n"
	"      numa_miss    0\n"
	"      numa_foreign 0\n"
	"      numa_interleave 1\n"
	"      numa_local   1\n"
	"      numa_other   0\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              count: 0\n"
	"              high:  0\n"
	"              batch: 1\n"
	"  vm stats threshold: 4\n"
	"    cpu: 1\n"
	"              count: 0\n"
	"              high:  0\n"
	"              batch: 1\n"
	"  vm stats threshold: 4\n"
	"  node_unreclaimable:  0\n"
	"  start_pfn:           1\n"
	"Node 0, zone    DMA32\n"
	"  pages free     174955\n"
	"        boost    0\n"
	"        min      8998\n"
	"        low      11247\n"
	"        high     13496\n"
	"        promo    15745\n"
	"        spanned  192512\n"
	"        present  192512\n"
	"        managed  182955\n"
	"        cma      0\n"
	"        protection: (0, 0, 0, 221, 221)\n"
	"      nr_free_pages 174955\n"
	"      nr_zone_inactive_anon 0\n"
	"      nr_zone_active_anon 0\n"
	"      nr_zone_inactive_file 0\n"
	"      nr_zone_active_file 0\n"
	"      nr_zone_unevictable 0\n"
	"      nr_zone_write_pending 0\n"
	"      nr_mlock     0\n"
	"      nr_bounce    0\n"
	"      nr_zspages   0\n"
	"      nr_free_cma  0\n"
	"      nr_unaccepted 0\n"
	"      numa_hit     4900\n"
	"      numa_miss    0\n"
	"      numa_foreign 0\n"
	"      numa_interleave 789\n"
	"      numa_local   4900\n"
	"      numa_other   0\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              count: 1763\n"
	"              high:  5623\n"
	"              batch: 63\n"
	"  vm stats threshold: 16\n"
	"    cpu: 1\n"
	"              count: 1315\n"
	"              high:  5623\n"
	"              batch: 63\n"
	"  vm stats threshold: 16\n"
	"  node_unreclaimable:  0\n"
	"  start_pfn:           4096\n"
	"Node 0, zone   Normal\n"
	"  pages free     0\n"
	"        boost    0\n"
	"        min      0\n"
	"        low      0\n"
	"        high     0\n"
	"        promo    0\n"
	"        spanned  0\n"
	"        present  0\n"
	"        managed  0\n"
	"        cma      0\n"
	"        protection: (0, 0, 0, 0, 0)\n"
	"Node 0, zone  Movable\n"
	"  pages free     55462\n"
	"        boost    0\n"
	"        min      55\n"
	"        low      759\n"
	"        high     1463\n"
	"        promo    2167\n"
	"        spanned  65504\n"
	"        present  65504\n"
	"        managed  60833\n"
	"        cma      0\n"
	"        protection: (0, 0, 0, 0, 0)\n"
	"      nr_free_pages 55462\n"
	"      nr_zone_inactive_anon 0\n"
	"      nr_zone_active_anon 4142\n"
	"      nr_zone_inactive_file 0\n"
	"      nr_zone_active_file 0\n"
	"      nr_zone_unevictable 0\n"
	"      nr_zone_write_pending 0\n"
	"      nr_mlock     0\n"
	"      nr_bounce    0\n"
	"      nr_zspages   0\n"
	"      nr_free_cma  0\n"
	"      nr_unaccepted 0\n"
	"      numa_hit     4443\n"
	"      numa_miss    0\n"
	"      numa_foreign 0\n"
	"      numa_interleave 0\n"
	"      numa_local   4443\n"
	"      numa_other   0\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              count: 1196\n"
	"              high:  1220\n"
	"              batch: 15\n"
	"  vm stats threshold: 8\n"
	"    cpu: 1\n"
	"              count: 34\n"
	"              high:  379\n"
	"              batch: 15\n"
	"  vm stats threshold: 8\n"
	"  node_unreclaimable:  0\n"
	"  start_pfn:           196608\n"
	"Node 0, zone   Device\n"
	"  pages free     0\n"
	"        boost    0\n"
	"        min      0\n"
	"        low      0\n"
	"        high     0\n"
	"        promo    0\n"
	"        spanned  0\n"
	"        present  0\n"
	"        managed  0\n"
	"        cma      0\n"
	"        protection: (0, 0, 0, 0, 0)\n";

static void zone_is(const char *text, uint64_t pfn, int exp_errno,
		    const char *exp, const char *what)
{
	char name[GUPDEMO_ZONE_NAME_MAX] = "untouched";
	int ret = gupdemo_zoneinfo_zone(text, pfn, name, sizeof(name));

	if (!is_errno(ret, exp_errno, "%s: frame %#llx -> %s", what,
		      (unsigned long long)pfn, exp_errno ? strerrorname_np(exp_errno) : exp))
		return;
	if (exp_errno)
		is_str(name, "untouched", "%s: name untouched on error", what);
	else
		is_str(name, exp, "%s: zone of frame %#llx", what,
		       (unsigned long long)pfn);
}

static void test_pagemap(void)
{
	uint64_t pfn = 7;
	int ret;

	diag("pagemap entries");
	ret = gupdemo_pagemap_entry_pfn((1ULL << 63) | 0x3abcd, &pfn);
	ok(ret == 0 && pfn == 0x3abcd, "present entry -> its frame");
	ret = gupdemo_pagemap_entry_pfn((1ULL << 63) | (1ULL << 61) |
					(1ULL << 56) | (1ULL << 55) | 0x1234, &pfn);
	ok(ret == 0 && pfn == 0x1234,
	   "flag bits 55..62 are not part of the frame");
	ret = gupdemo_pagemap_entry_pfn((1ULL << 63) | ((1ULL << 55) - 1), &pfn);
	ok(ret == 0 && pfn == (1ULL << 55) - 1, "largest frame (55 bits)");
	pfn = 7;
	ret = gupdemo_pagemap_entry_pfn((1ULL << 63) | (1ULL << 61), &pfn);
	is_errno(ret, EPERM, "present with the frame zeroed (unprivileged) -> EPERM");
	ret = gupdemo_pagemap_entry_pfn(0, &pfn);
	is_errno(ret, ENOENT, "not present -> ENOENT");
	ret = gupdemo_pagemap_entry_pfn((1ULL << 62) | 0x55, &pfn);
	is_errno(ret, ENOENT, "swapped out (bit 62, not present) -> ENOENT");
	is_u64(pfn, 7, "frame untouched on error");
	ret = gupdemo_pagemap_entry_pfn(1ULL << 63, NULL);
	is_errno(ret, EINVAL, "NULL output -> EINVAL");
}

/* One lookup of gupdemo_zoneinfo_zone() and what it must give. */
struct zone_case {
	const char *text;
	uint64_t pfn;
	int err;
	const char *zone, *what;
};

static const struct zone_case zones_612[] = {
	{ zoneinfo_612, 0, ENOENT, NULL, "6.12" },
	{ zoneinfo_612, 1, 0, "DMA", "6.12" },
	{ zoneinfo_612, 4095, 0, "DMA", "6.12" },
	{ zoneinfo_612, 4096, 0, "DMA32", "6.12" },
	{ zoneinfo_612, 196607, 0, "DMA32", "6.12" },
	{ zoneinfo_612, 196608, 0, "Movable", "6.12" },
	{ zoneinfo_612, 196608 + 65503, 0, "Movable", "6.12" },
	{ zoneinfo_612, 196608 + 65504, ENOENT, NULL, "6.12 (RAM's end hole)" },
	{ zoneinfo_612, UINT64_MAX, ENOENT, NULL, "6.12" },
};

static const struct zone_case zones_well_formed[] = {
	{ "", 1, ENOENT, NULL, "empty text" },
	{ "Node 0, zone   Normal\n  spanned 10\n  start_pfn: 100\n"
	  "Node 1, zone   Normal\n  spanned 10\n  start_pfn: 110", 115, 0,
	  "Normal", "two nodes, no final newline" },
	{ "Node 0, zone   Normal\n  spanned 100\n  start_pfn: 100\n"
	  "Node 0, zone  Movable\n  spanned 10\n  start_pfn: 150\n", 155,
	  ENOTUNIQ, NULL, "Movable onlined inside Normal's span" },
	{ "Node 0, zone   Normal\n  spanned 100\n  start_pfn: 100\n"
	  "Node 0, zone  Movable\n  spanned 10\n  start_pfn: 150\n", 140, 0,
	  "Normal", "... outside the overlap" },
	{ "Node 0, zone   Normal\n  spanned 100\n  present 0\n", 0, ENOENT,
	  NULL, "a zone without present pages spans nothing" },
	{ "Node 0, zone   Normal\n  spanned_x 5\n  spanned 100\n"
	  "  start_pfn: 1\n  start_pfns: 7\n", 50, 0, "Normal",
	  "longer keys are other keys" },
};

static const struct zone_case zones_malformed[] = {
	{ "Node 0, zone\n  spanned 10\n  start_pfn: 0\n", 1, EINVAL, NULL,
	  "zone without a name" },
	{ "Node x, zone DMA\n  spanned 10\n  start_pfn: 0\n", 1, EINVAL,
	  NULL, "node not a number" },
	{ "Node 0, zone DMA extra\n  spanned 10\n  start_pfn: 0\n", 1,
	  EINVAL, NULL, "junk after the zone name" },
	{ "Node 0, zone ThisNameIsFarTooLong\n  spanned 10\n  start_pfn: 0\n",
	  1, EINVAL, NULL, "zone name longer than GUPDEMO_ZONE_NAME_MAX" },
	{ "Node 0, zone DMA\n  start_pfn: 0\n", 1, EINVAL, NULL,
	  "zone without spanned" },
	{ "Node 0, zone DMA\n  spanned 10\n  start_pfn: 0\n"
	  "Node 0, zone DMA32\n  present 10\n", 1, EINVAL, NULL,
	  "a later zone without spanned" },
	{ "Node 0, zone DMA\n  spanned 10\n  spanned 10\n  start_pfn: 0\n",
	  1, EINVAL, NULL, "spanned twice" },
	{ "Node 0, zone DMA\n  spanned 10\n  start_pfn: 0\n  start_pfn: 0\n",
	  1, EINVAL, NULL, "start_pfn twice" },
	{ "Node 0, zone DMA\n  spanned 10\n  start_pfn: 0x10\n", 1, EINVAL,
	  NULL, "hex start_pfn" },
	{ "Node 0, zone DMA\n  spanned ten\n  start_pfn: 0\n", 1, EINVAL,
	  NULL, "spanned not a number" },
	{ "Node 0, zone DMA\n  spanned 10 pages\n  start_pfn: 0\n", 1,
	  EINVAL, NULL, "junk after spanned's value" },
	{ "Node 0, zone DMA\n  spanned 10\n  start_pfn:\n", 1, EINVAL, NULL,
	  "start_pfn without a value" },
	{ "Node 0, zone DMA\n  spanned 99999999999999999999\n  start_pfn: 0\n",
	  1, ERANGE, NULL, "spanned beyond 64 bits" },
	{ "Node 0, zone DMA\n  spanned 2\n  start_pfn: 18446744073709551615\n",
	  1, ERANGE, NULL, "span end beyond 64 bits" },
};

static void zone_cases(const char *heading, const struct zone_case *c, size_t n)
{
	diag("%s", heading);
	for (; n--; c++)
		zone_is(c->text, c->pfn, c->err, c->zone, c->what);
}

#define ZONE_CASES(heading, rows) \
	zone_cases(heading, rows, sizeof(rows) / sizeof((rows)[0]))

static void test_zoneinfo(void)
{
	char small[4];
	int ret;

	ZONE_CASES("zone spans of a captured 6.12 /proc/zoneinfo", zones_612);
	ret = gupdemo_zoneinfo_zone(zoneinfo_612, 196608, small, sizeof(small));
	is_errno(ret, ENAMETOOLONG, "\"Movable\" into 4 bytes -> ENAMETOOLONG");
	ret = gupdemo_zoneinfo_zone(zoneinfo_612, 1, small, sizeof(small));
	ok(ret == 0 && strcmp(small, "DMA") == 0, "\"DMA\" fits 4 bytes");
	ret = gupdemo_zoneinfo_zone(NULL, 1, small, sizeof(small));
	is_errno(ret, EINVAL, "NULL text -> EINVAL");
	ret = gupdemo_zoneinfo_zone(zoneinfo_612, 1, small, 0);
	is_errno(ret, EINVAL, "size 0 -> EINVAL");

	ZONE_CASES("other well-formed text", zones_well_formed);
	ZONE_CASES("malformed text", zones_malformed);
}

static void put(const char *dir, const char *file, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		bail_out("cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

static void block(const char *dir, unsigned int n, const char *zones,
		  const char *state)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/memory%u", dir, n);
	if (mkdir(path, 0755))
		bail_out("mkdir %s", path);
	snprintf(path, sizeof(path), "memory%u/valid_zones", n);
	put(dir, path, zones);
	snprintf(path, sizeof(path), "memory%u/state", n);
	put(dir, path, state);
}

static void state_is(const char *dir, unsigned int n, const char *exp,
		     const char *what)
{
	char path[512], buf[64] = "";
	ssize_t len = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/memory%u/state", dir, n);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[len > 0 ? len : 0] = '\0';
	ok(strncmp(buf, exp, strlen(exp)) == 0, "%s: state file says '%s' (%s)",
	   what, exp, buf);
}

/* A fake /sys/devices/system/memory with blocks 0 1 6 7 10 11 in @dir. */
static void fake_memblocks(const char *dir)
{
	char sub[64];

	put(dir, "block_size_bytes", "8000000\n");
	block(dir, 0, "none\n", "online\n");
	block(dir, 1, "DMA32\n", "online\n");
	block(dir, 6, "Movable\n", "online\n");
	block(dir, 7, "Movable\n", "online\n");
	block(dir, 10, "Movable\n", "offline\n");
	block(dir, 11, "Normal Movable\n", "offline\n");
	snprintf(sub, sizeof(sub), "%s/memoryX", dir);
	mkdir(sub, 0755);	/* not a block */
}

static void test_memblock_lookup(const char *dir)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct gupdemo_memblock mb;
	uint64_t bytes = 0, blk = 0;
	int ret;

	ret = gupdemo_memblock_size(dir, &bytes);
	ok(ret == 0 && bytes == 128ULL << 20, "block_size_bytes 8000000 (hex) = 128 MiB");
	ret = gupdemo_memblock_of_pfn(dir, (uint64_t)(6ULL << 27) / (uint64_t)psz, &blk);
	ok(ret == 0 && blk == 6, "first frame of memory6 -> block 6");
	ret = gupdemo_memblock_of_pfn(dir, (uint64_t)(7ULL << 27) / (uint64_t)psz - 1, &blk);
	ok(ret == 0 && blk == 6, "last frame of memory6 -> block 6");
	ret = gupdemo_memblock_of_pfn(dir, UINT64_MAX, &blk);
	is_errno(ret, ERANGE, "frame beyond 64-bit addresses -> ERANGE");

	ret = gupdemo_memblock_get(dir, 6, &mb);
	ok(ret == 0 && mb.block == 6 && strcmp(mb.state, "online") == 0 &&
	   strcmp(mb.valid_zones, "Movable") == 0 &&
	   mb.nr_pfns == (128ULL << 20) / (uint64_t)psz &&
	   mb.start_pfn == 6 * mb.nr_pfns, "memory6: online, Movable, its frames");
	ret = gupdemo_memblock_get(dir, 11, &mb);
	ok(ret == 0 && strcmp(mb.valid_zones, "Normal Movable") == 0 &&
	   strcmp(mb.state, "offline") == 0, "memory11: offline, 'Normal Movable'");
	ret = gupdemo_memblock_get(dir, 5, &mb);
	is_errno(ret, ENOENT, "memory5 does not exist -> ENOENT");
}

static void test_memblock_list(const char *dir)
{
	uint64_t list[8] = { 0 };
	size_t n = 0;
	int ret;

	ret = gupdemo_memblock_list_movable(dir, list, 8, &n);
	ok(ret == 0 && n == 3 && list[0] == 6 && list[1] == 7 && list[2] == 10,
	   "Movable blocks: 6 7 10 in numeric order (%d, %zu)", ret, n);
	memset(list, 0, sizeof(list));
	ret = gupdemo_memblock_list_movable(dir, list, 1, &n);
	ok(ret == -ENOSPC && n == 3 && list[0] == 6 && list[1] == 0,
	   "room for one -> ENOSPC, the first stored, count 3");
	ret = gupdemo_memblock_list_movable(dir, NULL, 0, &n);
	ok(ret == -ENOSPC && n == 3, "no room -> ENOSPC, count 3");
	ret = gupdemo_memblock_list_movable(dir, NULL, 1, &n);
	is_errno(ret, EINVAL, "NULL array with room -> EINVAL");
}

static void test_memblock_online(const char *dir)
{
	is_errno(gupdemo_memblock_offline(dir, 6), 0, "offline memory6");
	state_is(dir, 6, "offline", "offline memory6");
	is_errno(gupdemo_memblock_online(dir, 6, true), 0, "online memory6 movable");
	state_is(dir, 6, "online_movable", "online memory6 movable");
	is_errno(gupdemo_memblock_online(dir, 7, false), 0, "online memory7");
	state_is(dir, 7, "online\n", "online memory7");
	is_errno(gupdemo_memblock_offline(dir, 5), ENOENT,
		 "offline memory5 (none) -> ENOENT");
	is_errno(gupdemo_memblock_online(dir, 5, true), ENOENT,
		 "online memory5 (none) -> ENOENT");
}

static const struct {
	const char *text;
	int err;
	const char *what;
} bad_block_sizes[] = {
	{ "0\n", EINVAL, "block size 0 -> EINVAL" },
	{ "8000000 MiB\n", EINVAL, "junk after the block size -> EINVAL" },
	{ "10000000000000000\n", ERANGE, "block size beyond 64 bits -> ERANGE" },
};

static void test_memblocks(void)
{
	char dir[] = "/tmp/t_pageinfo.XXXXXX", cmd[128];
	uint64_t bytes = 0, list[8] = { 0 };
	size_t n = 0;

	diag("memory blocks in a fake sysfs directory");
	if (!mkdtemp(dir))
		bail_out("mkdtemp failed");
	is_errno(gupdemo_memblock_size(dir, &bytes), ENOENT,
		 "no block_size_bytes -> ENOENT");
	fake_memblocks(dir);
	test_memblock_lookup(dir);
	test_memblock_list(dir);
	test_memblock_online(dir);
	for (size_t i = 0; i < sizeof(bad_block_sizes) / sizeof(bad_block_sizes[0]); i++) {
		put(dir, "block_size_bytes", bad_block_sizes[i].text);
		is_errno(gupdemo_memblock_size(dir, &bytes), bad_block_sizes[i].err,
			 "%s", bad_block_sizes[i].what);
	}

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("could not remove %s", dir);
	is_errno(gupdemo_memblock_list_movable(dir, list, 8, &n), ENOENT,
		 "no memory directory -> ENOENT");
}

int main(void)
{
	test_pagemap();
	test_zoneinfo();
	test_memblocks();
	return done_testing();
}
