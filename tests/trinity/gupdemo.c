// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo-trinity.so - an ioctl group for /dev/gupdemo, added to Debian's
 * trinity fuzzer (bookworm: 1.9+git20230109.87f1530-1) with LD_PRELOAD.
 *
 * trinity registers each of its ioctl groups from a constructor by calling
 * register_ioctl_group().  Debian's binary is linked with -rdynamic: that
 * function and the random helpers the built-in groups use (rnd(), rand32(),
 * get_address(), get_writable_address(), get_len(), ...) are exported, so the
 * constructor of a preloaded object registers a group exactly as one compiled
 * in.  For an ioctl on an fd of /dev/gupdemo (99 calls in 100; the rest go
 * to a random group) trinity's find_ioctl_group() picks this group or its
 * own vfs group, which claims every file trinity opened (see
 * gupdemo_fd_test()), and calls gupdemo_sanitise(), which picks one of
 * gupdemo's commands and builds its argument.  trinity makes the call,
 * counts it and carries on; nothing of trinity's source is needed.
 *
 * The argument: 1 time in 8 trinity's own (a random number or a page of
 * random bytes); otherwise the command's struct, near-valid: the size field
 * right most of the time (else short, long with a zero or a non-zero tail,
 * or random), valid flags with an unknown bit now and then, user ranges from
 * trinity's writable mappings (sometimes at an unaligned offset, sometimes
 * any address of trinity's pool, NULL and kernel addresses included),
 * handles this child saw PIN or MIRROR return (mirror handles are their
 * own space; now and then one space's handle goes where the other's
 * belongs) or small numbers (handles come from xa_alloc(), so they are
 * small), and the odd non-zero reserved field; a DMA is on a mirror 1 time
 * in 3 (TO_DEVICE with SRC_MIRROR or FROM_DEVICE with DST_MIRROR).  So
 * PIN, UNPIN, QUERY, DMA, BENCH, MIRROR, UNMIRROR and MIRROR_QUERY succeed
 * a good part of the time, on memory that trinity's other children share
 * (and unmap: the mirrors see invalidations), with handles they race for.
 * 1 in 64 commands is replaced by an unknown one of type 0xBE (ENOTTY).
 *
 * Region actions: each child also has memory of its own that ranges are
 * picked from now and then (1 in 8; for MIRROR 1 in 3, since a mirror
 * outlives the remaps that follow): a shared mapping of the file
 * GUPDEMO_TRINITY_FILE names (t_trinity puts it on ext4: page cache of a
 * real filesystem), and a range that is memfd_secret() memory and
 * anonymous memory by turns (mapped over itself with MAP_FIXED, so
 * mirrors made before see it change).  1 call in 8 first does one of:
 * remap that range (memfd_secret <-> anonymous), MADV_PAGEOUT of a part of
 * it, of the file mapping or of one of trinity's mappings, or dirty a page
 * of the file and fsync() it.  PIN and MIRROR must refuse memfd_secret
 * memory (EFAULT), and the module must never dirty a file page that only a
 * FOLL_GET handle holds (reclaim may have stripped its buffers).
 *
 * The declarations marked "trinity ABI" mirror that binary: struct
 * ioctl_group (IOCTL_GROUPS_MAX 48, 41 used), struct ioctl and the first
 * fields of struct syscallrecord were checked against its disassembly
 * (pick_random_ioctl() stores a2 at offset 0x10 and reads ioctls/ioctls_cnt
 * at 0x10/0x18 of the group; find_ioctl_group() reads devtype, devs,
 * devs_cnt, fd_test at 0x20..0x38; sanitise_ioctl() passes a1 from 0x08).
 * The Makefile refuses to build this against any other trinity version.
 * Every trinity symbol is weak: preloaded into anything else, the object
 * does nothing.  Two defects of that trinity are worked around, narrowly:
 * an out-of-bounds read of its protocol table that crashes it while it
 * makes sockets (gupdemo_fix_net_protocols()), and a NULL list its [socket]
 * ioctl group walks when no socket could be made, as on the debug kernel,
 * which has no networking (socket()).
 *
 * GUPDEMO_TRINITY_STATS=<file>: when trinity exits, its main process writes
 * how many ioctls went through this group ("key value" lines, see
 * gupdemo_stats_write()) to <file>; tests/guest/t_trinity.c reads it.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/gupdemo.h>

/* trinity ABI: include/ioctls.h of trinity 1.9+git20230109.87f1530 */
struct trinity_ioctl {
	const char *name;
	unsigned int request;
};

#define TRINITY_DEV_MISC	3

#define GUPDEMO_TRINITY_DEV	"/dev/gupdemo"

struct trinity_syscallrecord;

/* Read by trinity only, hence the suppressions. */
struct trinity_ioctl_group {
	const char *name;	/* cppcheck-suppress unusedStructMember */
	void (*sanitise)(const struct trinity_ioctl_group *grp,	/* cppcheck-suppress unusedStructMember */
			 struct trinity_syscallrecord *rec);
	const struct trinity_ioctl *ioctls;	/* cppcheck-suppress unusedStructMember */
	size_t ioctls_cnt;	/* cppcheck-suppress unusedStructMember */
	int devtype;		/* cppcheck-suppress unusedStructMember */
	const char *const *devs;	/* cppcheck-suppress unusedStructMember */
	size_t devs_cnt;	/* cppcheck-suppress unusedStructMember */
	int (*fd_test)(int fd, const struct stat *st);	/* cppcheck-suppress unusedStructMember */
};

/*
 * trinity ABI: the leading fields of include/syscall.h's syscallrecord, as
 * far as this group uses them: the fd, the command, the argument (a4..a6
 * and much else follow).
 */
struct trinity_syscallrecord {
	unsigned int nr;	/* cppcheck-suppress unusedStructMember */
	unsigned long a1;	/* cppcheck-suppress unusedStructMember */
	unsigned long a2;	/* cmd */
	unsigned long a3;	/* arg */
};

/* trinity ABI: exported functions (random.h, maps.h, ioctls.h) */
#define TRINITY_WEAK __attribute__((weak))
TRINITY_WEAK void register_ioctl_group(const struct trinity_ioctl_group *grp);
TRINITY_WEAK void pick_random_ioctl(const struct trinity_ioctl_group *grp,
				    struct trinity_syscallrecord *rec);
TRINITY_WEAK int rnd(void);
TRINITY_WEAK unsigned int rand32(void);
TRINITY_WEAK unsigned long get_len(void);
TRINITY_WEAK void *get_address(void);
TRINITY_WEAK void *get_non_null_address(void);
TRINITY_WEAK void *get_writable_address(unsigned long size);
/* trinity ABI: struct netproto pointers, one per address family; 45 of them */
TRINITY_WEAK extern const void *net_protocols[];
#define TRINITY_NET_PROTOCOLS	45

#define ONE_IN(n)	(rnd() % (n) == 0)
#define RAND_BOOL()	(rnd() & 1)

static const struct trinity_ioctl gupdemo_ioctls[] = {
	{ "GUPDEMO_IOC_GET_INFO", GUPDEMO_IOC_GET_INFO },
	{ "GUPDEMO_IOC_PIN", GUPDEMO_IOC_PIN },
	{ "GUPDEMO_IOC_UNPIN", GUPDEMO_IOC_UNPIN },
	{ "GUPDEMO_IOC_QUERY", GUPDEMO_IOC_QUERY },
	{ "GUPDEMO_IOC_DMA", GUPDEMO_IOC_DMA },
	{ "GUPDEMO_IOC_BENCH", GUPDEMO_IOC_BENCH },
	{ "GUPDEMO_IOC_MIRROR", GUPDEMO_IOC_MIRROR },
	{ "GUPDEMO_IOC_UNMIRROR", GUPDEMO_IOC_UNMIRROR },
	{ "GUPDEMO_IOC_MIRROR_QUERY", GUPDEMO_IOC_MIRROR_QUERY },
};

#define NR_CMDS		(sizeof(gupdemo_ioctls) / sizeof(gupdemo_ioctls[0]))

static const char *const gupdemo_devs[] = { "gupdemo" };

/*
 * Counts shared by trinity's main process and its children (a MAP_SHARED
 * page made before they fork): what this group did, per command.
 */
struct gupdemo_trinity_stats {
	unsigned long sanitised;		/* calls of gupdemo_sanitise() */
	unsigned long cmd[NR_CMDS];		/* ... with each real command */
	unsigned long unknown_cmd;		/* ... with an unknown one */
	unsigned long raw_arg;			/* ... with trinity's own argument */
	unsigned long handles_seen;		/* PIN handles read back */
	unsigned long mirror_handles_seen;	/* MIRROR handles read back */
	unsigned long region_secret;		/* remapped as memfd_secret */
	unsigned long region_anon;		/* ... and back to anonymous */
	unsigned long region_pageout;		/* MADV_PAGEOUT calls */
	unsigned long region_fsync;		/* fsync() of the file */
	unsigned long region_ranges;		/* ranges picked in the region */
};

/* The shared page; this process's own copy if mmap() fails. */
static struct gupdemo_trinity_stats local_stats;
static struct gupdemo_trinity_stats *stats = &local_stats;
static bool stats_shared;
static pid_t main_pid;
static size_t psz;

/*
 * Per child (each is its own process): handles PIN and MIRROR gave back
 * (two spaces), newest last.
 */
#define NR_HANDLES	16
struct handle_pool {
	uint32_t h[NR_HANDLES];
	unsigned int n;
};
static struct handle_pool pins, mirrors;
/* The PIN and MIRROR structs this child built last, to read the handle back from. */
#define NR_PENDING	4
static struct gupdemo_pin *pending[NR_PENDING];
static struct gupdemo_mirror *pending_mirror[NR_PENDING];

static void count(unsigned long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* A handle the kernel wrote at @h, if it looks like one. */
static void harvest_one(struct handle_pool *pool, const uint32_t *h,
			unsigned long *seen)
{
	/* The page may have been rewritten since: take small values. */
	uint32_t v = __atomic_load_n(h, __ATOMIC_RELAXED);

	if (v == 0 || v > 1U << 20)
		return;
	pool->h[pool->n++ % NR_HANDLES] = v;
	count(seen);
}

/* Collects the handles the kernel wrote into earlier PIN and MIRROR structs. */
static void harvest_handles(void)
{
	for (unsigned int i = 0; i < NR_PENDING; i++) {
		if (pending[i])
			harvest_one(&pins, &pending[i]->handle, &stats->handles_seen);
		if (pending_mirror[i])
			harvest_one(&mirrors, &pending_mirror[i]->handle,
				    &stats->mirror_handles_seen);
		pending[i] = NULL;
		pending_mirror[i] = NULL;
	}
}

static void remember_pin(struct gupdemo_pin *pin)
{
	static unsigned int next;

	pending[next++ % NR_PENDING] = pin;
}

static void remember_mirror(struct gupdemo_mirror *m)
{
	static unsigned int next;

	pending_mirror[next++ % NR_PENDING] = m;
}

/*
 * A handle: one @pool returned (now and then one of the other space), a
 * small number, 0, or anything.
 */
static uint32_t pick_from(const struct handle_pool *pool,
			  const struct handle_pool *other)
{
	switch (rnd() % 8) {
	case 0:
		return rand32();
	case 1:
		return 0;
	case 2:
	case 3:
		return 1 + rnd() % 8;
	case 4:
		if (other->n)
			return other->h[rnd() % (other->n < NR_HANDLES ?
						 other->n : NR_HANDLES)];
		/* fall through */
	default:
		if (pool->n == 0)
			return 1 + rnd() % 4;
		return pool->h[rnd() % (pool->n < NR_HANDLES ? pool->n : NR_HANDLES)];
	}
}

static uint32_t pick_handle(void)
{
	return pick_from(&pins, &mirrors);
}

static uint32_t pick_mirror_handle(void)
{
	return pick_from(&mirrors, &pins);
}

/* Flags: a random subset of @valid, sometimes with an unknown bit. */
static uint32_t pick_flags(uint32_t valid)
{
	uint32_t f = (uint32_t)rnd() & valid;

	if (ONE_IN(16))
		f |= 1U << (rnd() % 32);
	return f;
}

/* Mostly 0; sometimes the garbage a reserved field must be refused for. */
static uint32_t pick_reserved(void)
{
	return ONE_IN(16) ? rand32() : 0;
}

/* An enum value: mostly in [0, n), sometimes just past it or random. */
static uint32_t pick_enum(uint32_t n)
{
	if (ONE_IN(16))
		return RAND_BOOL() ? n + (uint32_t)rnd() % 4 : rand32();
	return (uint32_t)rnd() % n;
}

/* ------------------------------------------------------ region actions */

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

#define REGION_PAGES	16

/* This child's own memory (set up in the child: pid tells whose it is). */
static struct {
	pid_t pid;
	int fd;		/* GUPDEMO_TRINITY_FILE, or -1 */
	char *file;	/* REGION_PAGES of it, MAP_SHARED, or NULL */
	char *swap;	/* REGION_PAGES: memfd_secret() or anonymous */
	bool secret;
} region = { .fd = -1 };

static void region_touch(char *p)
{
	for (size_t i = 0; i < REGION_PAGES; i++)
		p[i * psz] = (char)(i + 1);
}

static void region_init(void)
{
	const char *path = getenv("GUPDEMO_TRINITY_FILE");
	size_t len = REGION_PAGES * psz;
	void *p;

	if (region.pid == getpid())
		return;
	region.pid = getpid();
	region.fd = -1;
	region.file = NULL;
	region.secret = false;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	region.swap = p == MAP_FAILED ? NULL : p;
	if (region.swap)
		region_touch(region.swap);
	if (!path || !*path)
		return;
	region.fd = open(path, O_RDWR | O_CLOEXEC);
	if (region.fd < 0 || ftruncate(region.fd, (off_t)len))
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, region.fd, 0);
	region.file = p == MAP_FAILED ? NULL : p;
	if (region.file)
		region_touch(region.file);
}

/* memfd_secret() memory over the swap range, or anonymous memory again. */
static void region_remap(void)
{
	size_t len = REGION_PAGES * psz;
	int fd = -1;
	void *p;

	if (!region.swap)
		return;
	if (!region.secret)
		fd = (int)syscall(SYS_memfd_secret, 0);
	if (fd >= 0 && ftruncate(fd, (off_t)len) == 0)
		p = mmap(region.swap, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0);
	else
		p = mmap(region.swap, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (fd >= 0)
		close(fd);
	if (p == MAP_FAILED) {
		region.swap = NULL;	/* a hole now: picks fall back */
		return;
	}
	region.secret = fd >= 0;
	count(region.secret ? &stats->region_secret : &stats->region_anon);
	region_touch(region.swap);
}

/* A part of the region: [*start, *start + *len) inside one of its ranges. */
static bool region_part(char **start, size_t *len)
{
	char *base = RAND_BOOL() ? region.file : region.swap;
	size_t first, n;

	if (!base)
		base = region.file ? region.file : region.swap;
	if (!base)
		return false;
	first = (size_t)rnd() % REGION_PAGES;
	n = 1 + (size_t)rnd() % (REGION_PAGES - first);
	*start = base + first * psz;
	*len = n * psz;
	return true;
}

static void region_action(void)
{
	size_t len;
	char *p;

	switch (rnd() % 3) {
	case 0:
		region_remap();
		break;
	case 1:
		if (ONE_IN(4)) {
			len = (1 + (size_t)rnd() % 4) * psz;
			p = get_writable_address(len);
		} else if (!region_part(&p, &len)) {
			p = NULL;
		}
		if (p && madvise((void *)((uintptr_t)p & ~(uintptr_t)(psz - 1)),
				 len, MADV_PAGEOUT) == 0)
			count(&stats->region_pageout);
		break;
	default:
		if (!region.file)
			break;
		region.file[((size_t)rnd() % REGION_PAGES) * psz]++;
		if (fsync(region.fd) == 0)
			count(&stats->region_fsync);
		break;
	}
}

/* A length for a range in a mapping: mostly a few pages, maybe ragged. */
static __u64 pick_small_len(void)
{
	switch (rnd() % 8) {
	case 0:
		return 1 + (uint64_t)rnd() % psz;
	case 1:
		return (uint64_t)(1 + rnd() % 256) * psz;
	case 2:
		return (uint64_t)(1 + rnd() % 16) * psz + (uint64_t)rnd() % psz;
	default:
		return (uint64_t)(1 + rnd() % 4) * psz;
	}
}

/*
 * A user range [*addr, *addr + *len): mostly inside one of trinity's
 * writable mappings (at its start or an unaligned offset), else any address
 * of trinity's pool with one of its lengths.
 */
static void pick_range(__u64 *addr, __u64 *len)
{
	__u64 off = 0;
	size_t rlen;
	char *p;

	switch (rnd() % 8) {
	case 0:
		*addr = (uintptr_t)get_address();
		*len = get_len();
		return;
	case 1:
		*addr = (uintptr_t)get_non_null_address();
		*len = pick_small_len();
		return;
	case 2:
		if (region_part(&p, &rlen)) {
			count(&stats->region_ranges);
			*addr = (uintptr_t)p + (ONE_IN(4) ? (uint64_t)rnd() % psz : 0);
			*len = 1 + (uint64_t)rnd() % rlen;
			return;
		}
		break;
	default:
		break;
	}
	*len = pick_small_len();
	if (ONE_IN(4))
		off = (uint64_t)rnd() % psz;
	p = get_writable_address(*len + off);
	if (!p) {
		*addr = (uintptr_t)get_non_null_address();
		return;
	}
	*addr = (uintptr_t)p + off;
}

/*
 * The size field: mostly the struct's size; else shorter, longer (the tail
 * zero or not: the buffer is a page, so the kernel can read the tail) or
 * anything.
 */
static uint32_t pick_size(unsigned char *buf, size_t real, size_t room)
{
	size_t extra;

	switch (rnd() % 16) {
	case 0:
		return (uint32_t)rnd() % real;
	case 1:
	case 2:
		extra = 8 * (1 + (size_t)rnd() % 8);
		if (real + extra > room)
			return real;
		if (RAND_BOOL())
			memset(buf + real, 0, extra);
		else
			buf[real + (size_t)rnd() % extra] = (unsigned char)(1 + rnd() % 255);
		return (uint32_t)(real + extra);
	case 3:
		return rand32();
	default:
		return real;
	}
}

static void fill_pin(struct gupdemo_pin *pin)
{
	pick_range(&pin->addr, &pin->len);
	pin->flags = pick_flags(GUPDEMO_PIN_ALL);
	pin->api = pick_enum(GUPDEMO_API_COUNT);
	switch (rnd() % 8) {
	case 0:
		pin->batch = 1 + rnd() % 64;
		break;
	case 1:
		pin->batch = rand32();
		break;
	default:
		pin->batch = 0;
	}
	pin->__reserved = pick_reserved();
	remember_pin(pin);
}

/*
 * DMA on a mirror: TO_DEVICE from one or FROM_DEVICE into one, that side
 * alone; now and then a flag too many or a stray address (EINVAL).
 */
static void fill_dma_mirror(struct gupdemo_dma *dma)
{
	bool to = RAND_BOOL();

	dma->op = to ? GUPDEMO_DMA_TO_DEVICE : GUPDEMO_DMA_FROM_DEVICE;
	dma->engine = pick_enum(GUPDEMO_ENGINE_COUNT);
	dma->flags = to ? GUPDEMO_DMA_SRC_MIRROR : GUPDEMO_DMA_DST_MIRROR;
	if (to)
		dma->src_handle = pick_mirror_handle();
	else
		dma->dst_handle = pick_mirror_handle();
	if (ONE_IN(16))
		dma->flags |= pick_flags(GUPDEMO_DMA_ALL);
	if (ONE_IN(32))
		dma->src_addr = (uintptr_t)get_non_null_address();
	dma->len = ONE_IN(8) ? get_len() : 1 + (uint64_t)rnd() % (2 * psz);
}

static void fill_dma(struct gupdemo_dma *dma)
{
	bool src, dst;
	__u64 unused;

	if (ONE_IN(3)) {
		fill_dma_mirror(dma);
		return;
	}
	dma->op = pick_enum(GUPDEMO_DMA_OP_COUNT);
	dma->engine = pick_enum(GUPDEMO_ENGINE_COUNT);
	src = dma->op != GUPDEMO_DMA_FROM_DEVICE;
	dst = dma->op != GUPDEMO_DMA_TO_DEVICE;
	/* The side an op does not use must be empty: mostly it is. */
	if (ONE_IN(16))
		src = dst = true;
	dma->flags = 0;
	if (src) {
		if (RAND_BOOL()) {
			dma->flags |= GUPDEMO_DMA_SRC_HANDLE;
			dma->src_handle = pick_handle();
		} else {
			pick_range(&dma->src_addr, &unused);
		}
	}
	if (dst) {
		if (RAND_BOOL()) {
			dma->flags |= GUPDEMO_DMA_DST_HANDLE;
			dma->dst_handle = pick_handle();
		} else {
			pick_range(&dma->dst_addr, &unused);
		}
	}
	/* FOLL_GET handles allowed (EINVAL when no side is a handle). */
	if (ONE_IN(8))
		dma->flags |= GUPDEMO_DMA_ALLOW_GET;
	/* Both a handle and an address for one side: EINVAL. */
	if (ONE_IN(32))
		dma->src_addr = (uintptr_t)get_non_null_address();
	/* A mirror flag among the others: mostly EINVAL (one side only). */
	if (ONE_IN(32))
		dma->flags |= RAND_BOOL() ? GUPDEMO_DMA_SRC_MIRROR : GUPDEMO_DMA_DST_MIRROR;
	if (ONE_IN(32))
		dma->flags |= 1U << (rnd() % 32);
	/* Small: a handle holds a few pages, the device buffer 4 KiB. */
	dma->len = ONE_IN(8) ? get_len() : 1 + (uint64_t)rnd() % (2 * psz);
}

static void fill_bench(struct gupdemo_bench *b)
{
	pick_range(&b->addr, &b->len);
	b->api = pick_enum(GUPDEMO_API_COUNT);
	b->pin_flags = pick_flags(GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM |
				  GUPDEMO_PIN_NOFAULT);
	b->batch = ONE_IN(8) ? 1 + rnd() % 64 : 0;
	b->flags = ONE_IN(16) ? 1U << (rnd() % 32) : 0;
	b->__reserved = pick_reserved();
}

/* Builds the argument of @cmd at @buf (a page); returns its struct size. */
static size_t fill_arg(unsigned int cmd, unsigned char *buf)
{
	switch (cmd) {
	case GUPDEMO_IOC_GET_INFO: {
		struct gupdemo_info *info = (struct gupdemo_info *)buf;

		info->flags = ONE_IN(16) ? rand32() : 0;
		return sizeof(*info);
	}
	case GUPDEMO_IOC_PIN:
		fill_pin((struct gupdemo_pin *)buf);
		return sizeof(struct gupdemo_pin);
	case GUPDEMO_IOC_UNPIN: {
		struct gupdemo_unpin *u = (struct gupdemo_unpin *)buf;

		u->flags = pick_flags(GUPDEMO_UNPIN_ALL);
		u->handle = pick_handle();
		u->__reserved = pick_reserved();
		return sizeof(*u);
	}
	case GUPDEMO_IOC_QUERY: {
		struct gupdemo_query *q = (struct gupdemo_query *)buf;

		q->flags = ONE_IN(16) ? rand32() : 0;
		q->handle = pick_handle();
		q->__reserved = pick_reserved();
		return sizeof(*q);
	}
	case GUPDEMO_IOC_DMA:
		fill_dma((struct gupdemo_dma *)buf);
		return sizeof(struct gupdemo_dma);
	case GUPDEMO_IOC_BENCH:
		fill_bench((struct gupdemo_bench *)buf);
		return sizeof(struct gupdemo_bench);
	case GUPDEMO_IOC_MIRROR: {
		struct gupdemo_mirror *m = (struct gupdemo_mirror *)buf;
		size_t rlen;
		char *rp;

		/* A mirror outlives remaps: 1 in 3 is of the region. */
		if (ONE_IN(3) && region_part(&rp, &rlen)) {
			count(&stats->region_ranges);
			m->addr = (uintptr_t)rp;
			m->len = rlen;
		} else {
			pick_range(&m->addr, &m->len);
		}
		m->flags = pick_flags(GUPDEMO_MIRROR_ALL);
		m->__reserved = pick_reserved();
		remember_mirror(m);
		return sizeof(*m);
	}
	case GUPDEMO_IOC_UNMIRROR: {
		struct gupdemo_unmirror *u = (struct gupdemo_unmirror *)buf;

		u->flags = ONE_IN(16) ? rand32() : 0;
		u->handle = pick_mirror_handle();
		u->__reserved = pick_reserved();
		return sizeof(*u);
	}
	case GUPDEMO_IOC_MIRROR_QUERY: {
		struct gupdemo_mirror_query *q = (struct gupdemo_mirror_query *)buf;

		q->flags = ONE_IN(16) ? rand32() : 0;
		q->handle = pick_mirror_handle();
		return sizeof(*q);
	}
	}
	return 0;
}

/* trinity's ioctl_group.sanitise for fds of /dev/gupdemo. */
static void gupdemo_sanitise(const struct trinity_ioctl_group *grp,
			     struct trinity_syscallrecord *rec)
{
	unsigned char *buf;
	unsigned int i;
	size_t real;

	count(&stats->sanitised);
	harvest_handles();
	region_init();
	if (ONE_IN(8))
		region_action();
	/* trinity's own choice: a random command of ours, random a3..a6. */
	pick_random_ioctl(grp, rec);
	if (ONE_IN(64)) {
		count(&stats->unknown_cmd);
		rec->a2 = RAND_BOOL() ?
			_IO(GUPDEMO_IOCTL_TYPE, NR_CMDS + rnd() % (0x20 - NR_CMDS)) :
			_IOWR(GUPDEMO_IOCTL_TYPE, rnd() % NR_CMDS, struct gupdemo_pin);
		return;
	}
	for (i = 0; i < NR_CMDS; i++)
		if (rec->a2 == gupdemo_ioctls[i].request)
			count(&stats->cmd[i]);
	if (ONE_IN(8)) {
		count(&stats->raw_arg);
		return;
	}
	/* The struct at the start of a page of trinity's writable mappings. */
	buf = get_writable_address(psz);
	if (!buf)
		return;
	memset(buf, 0, psz);
	real = fill_arg((unsigned int)rec->a2, buf);
	if (real == 0)
		return;
	/* Every struct begins with "__u32 size; __u32 flags;". */
	*(uint32_t *)buf = pick_size(buf, real, psz);
	/* Outputs are ignored on input: now and then they hold garbage. */
	if (ONE_IN(32))
		memset(buf + real - 8, 0xa5, 8);
	rec->a3 = (uintptr_t)buf;
}

/*
 * trinity asks every group with an fd_test first and matches names
 * (devtype, devs) only when none says yes.  Its vfs group says yes to every
 * file it opened, the device included: without a test of its own this group
 * would never be picked.  Both saying yes, trinity takes one at random.
 */
static dev_t gupdemo_rdev;

static int gupdemo_fd_test(int fd, const struct stat *st)
{
	(void)fd;
	return gupdemo_rdev && S_ISCHR(st->st_mode) &&
	       st->st_rdev == gupdemo_rdev ? 0 : -1;
}

static const struct trinity_ioctl_group gupdemo_grp = {
	.name = "gupdemo",
	.sanitise = gupdemo_sanitise,
	.ioctls = gupdemo_ioctls,
	.ioctls_cnt = NR_CMDS,
	.devtype = TRINITY_DEV_MISC,
	.devs = gupdemo_devs,
	.devs_cnt = sizeof(gupdemo_devs) / sizeof(gupdemo_devs[0]),
	.fd_test = gupdemo_fd_test,
};

/* dl_iterate_phdr() callback: the program (the first object) and its .dynamic */
static int find_program_dynamic(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	for (unsigned int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) {
			*(ElfW(Dyn) **)data = (ElfW(Dyn) *)(info->dlpi_addr +
							   info->dlpi_phdr[i].p_vaddr);
			break;
		}
	}
	return 1;
}

/*
 * A bug of this trinity build, worked around: do_setsockopt() picks
 * net_protocols[rnd() % 46] (PF_MAX of newer kernel headers) from an array
 * of 45, so 1 pick in 46 reads the 8 bytes after it.  In Debian's binary
 * those are the first d_tag of the program's .dynamic, DT_NEEDED (1); taken
 * for a struct pointer it crashes trinity's main process while it sets up
 * sockets, or a child that calls setsockopt.  (The sockets fd provider
 * cannot be turned off instead: the [socket] ioctl group's fd_test walks
 * its object list, NULL then, and every child crashes on its first ioctl.)
 * Only when that is exactly the layout found: the tag becomes DT_NULL, which
 * trinity reads as "no protocol" and skips like the other holes.  The
 * dynamic linker read .dynamic long before; nothing in trinity reads it.
 */
static void gupdemo_fix_net_protocols(void)
{
	ElfW(Dyn) *dyn = NULL;
	uintptr_t page;

	dl_iterate_phdr(find_program_dynamic, &dyn);
	/* A weak symbol: NULL outside trinity. */
	// cppcheck-suppress knownConditionTrueFalse
	if (!net_protocols || !dyn ||
	    (const void *)&net_protocols[TRINITY_NET_PROTOCOLS] != (void *)dyn ||
	    dyn->d_tag != DT_NEEDED)
		return;
	/* .dynamic is in the RELRO segment: read-only by now. */
	page = (uintptr_t)dyn & ~(uintptr_t)(psz - 1);
	if (mprotect((void *)page, psz, PROT_READ | PROT_WRITE)) {
		perror("gupdemo-trinity: mprotect .dynamic");
		return;
	}
	dyn->d_tag = DT_NULL;
	mprotect((void *)page, psz, PROT_READ);
}

/*
 * socket() for trinity, for a kernel without AF_UNIX (the debug kernel has
 * no networking at all).  The [socket] ioctl group's fd_test walks the
 * sockets provider's object list, which is NULL until a socket was made:
 * with none, every child would crash on its first ioctl.  So where the
 * kernel refuses AF_UNIX sockets outright, trinity gets /dev/null as a
 * stand-in (its setsockopt() and socket ioctls then fail, harmlessly).
 * Every other call, and every call outside trinity, is the real one.
 */
int socket(int domain, int type, int protocol)
{
	long fd = syscall(SYS_socket, domain, type, protocol);

	if (fd >= 0 || domain != AF_UNIX || !register_ioctl_group ||
	    (errno != ENOSYS && errno != EAFNOSUPPORT))
		return (int)fd;
	return open("/dev/null", O_RDWR | ((type & SOCK_CLOEXEC) ? O_CLOEXEC : 0));
}

__attribute__((constructor)) static void gupdemo_register(void)
{
	struct stat st;
	void *p;

	if (!register_ioctl_group || !pick_random_ioctl || !rnd || !rand32 ||
	    !get_len || !get_address || !get_non_null_address ||
	    !get_writable_address) {
		fputs("gupdemo-trinity: not loaded into trinity; doing nothing\n",
		      stderr);
		return;
	}
	psz = (size_t)sysconf(_SC_PAGESIZE);
	main_pid = getpid();
	if (stat(GUPDEMO_TRINITY_DEV, &st) == 0 && S_ISCHR(st.st_mode))
		gupdemo_rdev = st.st_rdev;
	else
		fputs("gupdemo-trinity: no " GUPDEMO_TRINITY_DEV ": the group is "
		      "used only when trinity picks one at random\n", stderr);
	p = mmap(NULL, sizeof(*stats), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		stats = p;
		stats_shared = true;
	}
	gupdemo_fix_net_protocols();
	register_ioctl_group(&gupdemo_grp);
}

/* "key value" lines: sanitised, <command> (one per command), unknown_cmd, ... */
static void gupdemo_stats_write(FILE *f)
{
	fprintf(f, "sanitised %lu\n", stats->sanitised);
	for (unsigned int i = 0; i < NR_CMDS; i++)
		fprintf(f, "%s %lu\n", gupdemo_ioctls[i].name, stats->cmd[i]);
	fprintf(f, "unknown_cmd %lu\nraw_arg %lu\nhandles_seen %lu\n"
		"mirror_handles_seen %lu\n", stats->unknown_cmd, stats->raw_arg,
		stats->handles_seen, stats->mirror_handles_seen);
	fprintf(f, "region_secret %lu\nregion_anon %lu\nregion_pageout %lu\n"
		"region_fsync %lu\nregion_ranges %lu\n", stats->region_secret,
		stats->region_anon, stats->region_pageout, stats->region_fsync,
		stats->region_ranges);
}

__attribute__((destructor)) static void gupdemo_report(void)
{
	const char *path = getenv("GUPDEMO_TRINITY_STATS");
	FILE *f;

	if (!stats_shared || getpid() != main_pid || !path || !*path)
		return;
	f = fopen(path, "we");
	if (!f) {
		perror("gupdemo-trinity: GUPDEMO_TRINITY_STATS");
		return;
	}
	gupdemo_stats_write(f);
	fclose(f);
}
