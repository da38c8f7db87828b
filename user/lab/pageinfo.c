// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - where a page is: its frame (PFN), its zone, its memory block;
 * offlining and onlining memory blocks.
 *
 * PFN: /proc/self/pagemap, one 64-bit entry per virtual page (bit 63
 * present, bits 0..54 the frame; the kernel zeroes the frame for readers
 * without CAP_SYS_ADMIN).
 *
 * Zone: /proc/zoneinfo prints, per node and zone, "spanned N" and, for a
 * zone with present pages, "start_pfn: S".  A zone's span [S, S + N) may
 * hold holes and other zones' pages (memory onlined into ZONE_MOVABLE
 * inside ZONE_NORMAL's span, say), so a frame inside exactly one span
 * belongs to that zone, and one inside several is settled by its memory
 * block's valid_zones, which for an online block names the one zone the
 * whole block is in.
 *
 * Memory blocks: /sys/devices/system/memory/memoryN covers the frames
 * [N * B, (N + 1) * B) / page size, B = block_size_bytes (hex).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gupdemo-lab.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)

int gupdemo_pagemap_entry_pfn(uint64_t entry, uint64_t *pfn)
{
	if (!pfn)
		return -EINVAL;
	if (!(entry & PM_PRESENT))
		return -ENOENT;
	if (!(entry & PM_PFN_MASK))
		return -EPERM;
	*pfn = entry & PM_PFN_MASK;
	return 0;
}

int gupdemo_virt_to_pfn(const void *addr, uint64_t *pfn)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t entry;
	off_t off;
	ssize_t n;
	int fd, ret;

	if (!pfn || psz <= 0)
		return -EINVAL;
	off = (off_t)((uintptr_t)addr / (uintptr_t)psz * sizeof(entry));
	fd = open(GUPDEMO_PAGEMAP_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, &entry, sizeof(entry), off);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	if (n != (ssize_t)sizeof(entry))
		return -EIO;
	return gupdemo_pagemap_entry_pfn(entry, pfn);
}

/*
 * "  key: value" or "  key value" at @line: 1 and the value, 0 when the key
 * differs, -EINVAL or -ERANGE for a bad value.
 */
static int key_value(const char *line, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	int ret;

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, key, klen) != 0)
		return 0;
	line += klen;
	if (*line == ':')
		line++;
	else if (*line != ' ' && *line != '\t')
		return 0;	/* a longer key */
	ret = gupdemo_lab_parse_value(line, v);
	return ret ? ret : 1;
}

/* The span of the zone being read, checked when its block ends. */
struct zone_span {
	char name[GUPDEMO_ZONE_NAME_MAX];
	uint64_t start, spanned;
	bool in_zone, has_start, has_spanned;
};

/* Ends a zone's block: 1 when it spans @pfn, 0 when not, -errno when malformed. */
static int zone_end(const struct zone_span *z, uint64_t pfn)
{
	if (!z->in_zone)
		return 0;
	if (!z->has_spanned)
		return -EINVAL;
	if (!z->has_start)
		return 0;	/* no present pages: no start_pfn line */
	if (z->start + z->spanned < z->start)
		return -ERANGE;
	return pfn >= z->start && pfn < z->start + z->spanned;
}

/* "Node N, zone   NAME" (the name right-aligned in 8 columns) */
static int zone_begin(const char *line, struct zone_span *z)
{
	char buf[128];
	size_t len = strcspn(line, "\n");
	unsigned int node;
	int name_at = 0, end = 0;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (sscanf(buf, "Node %u, zone %n%*s%n", &node, &name_at, &end) != 1 ||
	    !end || buf[end] != '\0' ||
	    (size_t)(end - name_at) >= sizeof(z->name))
		return -EINVAL;
	memset(z, 0, sizeof(*z));
	memcpy(z->name, buf + name_at, (size_t)(end - name_at));
	z->in_zone = true;
	return 0;
}

int gupdemo_zoneinfo_zone(const char *text, uint64_t pfn, char *name,
			  size_t size)
{
	struct zone_span z = { .in_zone = false };
	char found[GUPDEMO_ZONE_NAME_MAX] = "";
	int matches = 0, ret;
	const char *line;

	if (!text || !name || !size)
		return -EINVAL;
	for (line = text; ; ) {
		const char *nl = strchr(line, '\n');
		bool last = !nl || !nl[1];
		uint64_t v;

		if (strncmp(line, "Node ", 5) == 0) {
			ret = zone_end(&z, pfn);
			if (ret < 0)
				return ret;
			if (ret && matches++ == 0)
				memcpy(found, z.name, sizeof(found));
			ret = zone_begin(line, &z);
			if (ret)
				return ret;
		} else if (z.in_zone && (ret = key_value(line, "spanned", &v))) {
			if (ret < 0)
				return ret;
			if (z.has_spanned)
				return -EINVAL;
			z.spanned = v;
			z.has_spanned = true;
		} else if (z.in_zone && (ret = key_value(line, "start_pfn", &v))) {
			if (ret < 0)
				return ret;
			if (z.has_start)
				return -EINVAL;
			z.start = v;
			z.has_start = true;
		}
		if (last)
			break;
		line = nl + 1;
	}
	ret = zone_end(&z, pfn);
	if (ret < 0)
		return ret;
	if (ret && matches++ == 0)
		memcpy(found, z.name, sizeof(found));
	if (matches == 0)
		return -ENOENT;
	if (matches > 1)
		return -ENOTUNIQ;
	if (strlen(found) >= size)
		return -ENAMETOOLONG;
	strcpy(name, found);
	return 0;
}

int gupdemo_pfn_zone(uint64_t pfn, char *name, size_t size)
{
	struct gupdemo_memblock mb;
	uint64_t block;
	char *text;
	int ret;

	ret = gupdemo_lab_read_text(GUPDEMO_ZONEINFO_PATH, &text);
	if (ret)
		return ret;
	ret = gupdemo_zoneinfo_zone(text, pfn, name, size);
	free(text);
	if (ret != -ENOTUNIQ)
		return ret;
	/* Spans overlap here: an online block's valid_zones names its zone. */
	if (gupdemo_memblock_of_pfn(NULL, pfn, &block) ||
	    gupdemo_memblock_get(NULL, block, &mb) ||
	    strcmp(mb.state, "online") != 0 || strchr(mb.valid_zones, ' ') ||
	    strcmp(mb.valid_zones, "none") == 0)
		return -ENOTUNIQ;
	if (strlen(mb.valid_zones) >= size)
		return -ENAMETOOLONG;
	strcpy(name, mb.valid_zones);
	return 0;
}

static const char *memdir(const char *dir)
{
	return dir ? dir : GUPDEMO_MEMORY_DIR;
}

int gupdemo_memblock_size(const char *dir, uint64_t *bytes)
{
	char path[4096], *text, *end;
	unsigned long long v;
	int ret;

	if (!bytes)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/block_size_bytes", memdir(dir)) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = gupdemo_lab_read_text(path, &text);
	if (ret)
		return ret;
	/* Hex without "0x", e.g. "8000000" for 128 MiB. */
	errno = 0;
	v = strtoull(text, &end, 16);
	if (errno || end == text || (*end != '\n' && *end != '\0') || !v)
		ret = errno == ERANGE ? -ERANGE : -EINVAL;
	free(text);
	if (!ret)
		*bytes = v;
	return ret;
}

int gupdemo_memblock_of_pfn(const char *dir, uint64_t pfn, uint64_t *block)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t bytes;
	int ret;

	if (!block || psz <= 0)
		return -EINVAL;
	ret = gupdemo_memblock_size(dir, &bytes);
	if (ret)
		return ret;
	if (pfn > UINT64_MAX / (uint64_t)psz)
		return -ERANGE;
	*block = pfn * (uint64_t)psz / bytes;
	return 0;
}

/* memoryN/@file into @buf without the final newline. */
static int block_attr(const char *dir, uint64_t block, const char *file,
		      char *buf, size_t size)
{
	char path[4096], *text;
	size_t len;
	int ret;

	if (snprintf(path, sizeof(path), "%s/memory%llu/%s", memdir(dir),
		     (unsigned long long)block, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = gupdemo_lab_read_text(path, &text);
	if (ret)
		return ret;
	len = strcspn(text, "\n");
	if (len >= size)
		ret = -ENAMETOOLONG;
	else
		snprintf(buf, size, "%.*s", (int)len, text);
	free(text);
	return ret;
}

int gupdemo_memblock_get(const char *dir, uint64_t block,
			 struct gupdemo_memblock *mb)
{
	struct gupdemo_memblock m = { .block = block };
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t bytes;
	int ret;

	if (!mb || psz <= 0)
		return -EINVAL;
	ret = gupdemo_memblock_size(dir, &bytes);
	if (ret)
		return ret;
	ret = block_attr(dir, block, "state", m.state, sizeof(m.state));
	if (ret)
		return ret;
	ret = block_attr(dir, block, "valid_zones", m.valid_zones,
			 sizeof(m.valid_zones));
	if (ret)
		return ret;
	m.nr_pfns = bytes / (uint64_t)psz;
	m.start_pfn = block * m.nr_pfns;
	*mb = m;
	return 0;
}

static int set_state(const char *dir, uint64_t block, const char *state)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/memory%llu/state", memdir(dir),
		     (unsigned long long)block) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return gupdemo_lab_write_text(path, state);
}

int gupdemo_memblock_offline(const char *dir, uint64_t block)
{
	return set_state(dir, block, "offline");
}

int gupdemo_memblock_online(const char *dir, uint64_t block, bool movable)
{
	return set_state(dir, block, movable ? "online_movable" : "online");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* N of a "memoryN" directory entry; false for anything else. */
static bool block_number(const char *name, uint64_t *block)
{
	char *end;

	if (strncmp(name, "memory", 6) != 0 || name[6] < '0' || name[6] > '9')
		return false;
	errno = 0;
	*block = strtoull(name + 6, &end, 10);
	return !errno && !*end;
}

int gupdemo_memblock_list_movable(const char *dir, uint64_t *blocks,
				  size_t max, size_t *count)
{
	uint64_t *all = NULL, block;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (!count || (max && !blocks))
		return -EINVAL;
	d = opendir(memdir(dir));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct gupdemo_memblock mb;

		if (!block_number(de->d_name, &block))
			continue;
		ret = block_attr(dir, block, "valid_zones", mb.valid_zones,
				 sizeof(mb.valid_zones));
		if (ret)
			break;
		if (strcmp(mb.valid_zones, "Movable") != 0)
			continue;
		if (n == cap) {
			uint64_t *na = realloc(all, (cap ? cap * 2 : 16) * sizeof(*all));

			if (!na) {
				ret = -ENOMEM;
				break;
			}
			all = na;
			cap = cap ? cap * 2 : 16;
		}
		all[n++] = block;
	}
	closedir(d);
	if (!ret) {
		if (n)
			qsort(all, n, sizeof(*all), cmp_u64);
		if (n && max)
			memcpy(blocks, all, (n < max ? n : max) * sizeof(*all));
		*count = n;
		if (n > max)
			ret = -ENOSPC;
	}
	free(all);
	return ret;
}

#define KPAGEFLAGS_PATH	"/proc/kpageflags"
#define KPF_RESERVED	32	/* include/uapi/linux/kernel-page-flags.h */

int gupdemo_memblock_reserved(const char *dir, uint64_t block,
			      uint64_t *nreserved)
{
	struct gupdemo_memblock mb;
	uint64_t flags[512], n = 0;
	int fd, ret;

	if (!nreserved)
		return -EINVAL;
	ret = gupdemo_memblock_get(dir, block, &mb);
	if (ret)
		return ret;
	fd = open(KPAGEFLAGS_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (uint64_t pfn = mb.start_pfn; pfn < mb.start_pfn + mb.nr_pfns && !ret;
	     pfn += 512) {
		ssize_t got = pread(fd, flags, sizeof(flags),
				    (off_t)(pfn * sizeof(flags[0])));

		if (got < 0)
			ret = -errno;
		else if (got != (ssize_t)sizeof(flags))
			ret = -EIO;
		for (size_t i = 0; !ret && i < 512; i++)
			n += (flags[i] >> KPF_RESERVED) & 1;
	}
	close(fd);
	if (!ret)
		*nreserved = n;
	return ret;
}

int gupdemo_memblock_offline_candidate(const char *dir, uint64_t *block)
{
	struct gupdemo_memblock mb;
	uint64_t blocks[256], nres;
	size_t n = 0;
	int ret;

	if (!block)
		return -EINVAL;
	ret = gupdemo_memblock_list_movable(dir, blocks, 256, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (gupdemo_memblock_get(dir, blocks[i], &mb) ||
		    strcmp(mb.state, "online"))
			continue;
		ret = gupdemo_memblock_reserved(dir, blocks[i], &nres);
		if (ret)
			return ret;
		if (!nres) {
			*block = blocks[i];
			return 0;
		}
	}
	return -ENOENT;
}
