// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - the scenario catalogue behind `gupdemo run`.
 *
 * Every scenario: set the memory up (touched before anything is measured),
 * snapshot the exact pin counters, do the one operation under test, snapshot
 * while the pin is held, release, snapshot again, and compare the result,
 * the page count and both deltas with what this kernel should do (the table
 * in shared/FACTS.md).  Expected values are exact.  Sizes are small: the
 * guest runs under TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gupdemo-lab.h"
#include "scenario.h"

#define KV(a, b, c)	GUPDEMO_KERNEL_VERSION(a, b, c)
#define THP_SIZE	GUPDEMO_HUGE_SIZE

/* Kernel boundaries of the expectations (shared/FACTS.md). */
#define KV_UNSHARE_RO_LONGTERM	KV(6, 2, 0)	/* R/O long-term pins unshare */
#define KV_NO_FAST_ONLY		KV(6, 3, 0)	/* pin_user_pages_fast_only() gone */
#define KV_LONGTERM_UNLOCKED	KV(6, 3, 0)	/* LONGTERM with *_unlocked() */
#define KV_ODIRECT_FOLL_PIN	KV(6, 3, 0)	/* O_DIRECT pins with FOLL_PIN */
#define KV_NO_LONGTERM_FS_WRITE	KV(6, 5, 0)	/* writable LT pin of ext4 MAP_SHARED */

/* ---- memory ---- */

/*
 * @npages small pages (THP is "always" on Debian: small-page scenarios opt
 * out), touched or not.  The buffer is the whole mapping: munmap(p, npages
 * * psz) is its gupdemo_buf_free().
 */
static void *map_anon(struct ctx *c, size_t npages, bool touch)
{
	struct gupdemo_buf b;
	int ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_4K, npages * c->psz,
				    touch ? GUPDEMO_BUF_TOUCH : 0);

	if (ret) {
		gd_fail(c, "mmap: %s", strerror(-ret));
		return NULL;
	}
	return b.p;
}

/* ---- the common pin case ---- */

struct pin_case {
	void *addr;
	size_t len;
	uint32_t api;
	uint32_t flags;
	uint32_t unpin_flags;
	int64_t exp_nzero;	/* zero pages while held; -1: not checked */
	/* While held, when the hook pins and releases too (else +exp/+0). */
	bool custom_held;
	int64_t held_acq;
	int64_t held_rel;
	/* Runs while the pin is held, before the "held" snapshot. */
	void (*hook)(struct ctx *c, struct pin_case *pc, uint32_t handle);
	void *hook_arg;
	/* Out: the query while held (valid when the pin succeeded). */
	struct gupdemo_query q;
};

/* QUERY of the held pin: its zero pages, and every other page dma-pinned. */
static void pin_case_query(struct ctx *c, struct pin_case *pc, uint32_t handle)
{
	int ret;

	memset(&pc->q, 0, sizeof(pc->q));
	pc->q.handle = handle;
	ret = gupdemo_query(c->env->fd, &pc->q);
	if (ret) {
		gd_fail(c, "QUERY: %s", strerror(-ret));
		return;
	}
	if (pc->exp_nzero >= 0 && pc->q.nzero != (uint64_t)pc->exp_nzero)
		gd_fail(c, "%llu zero pages, expected %lld",
			(unsigned long long)pc->q.nzero,
			(long long)pc->exp_nzero);
	/* FOLL_PIN: every page but the zero page is dma-pinned. */
	if (pc->api != GUPDEMO_API_GET_FAST &&
	    pc->q.npinned + pc->q.nzero != pc->q.npages)
		gd_fail(c, "QUERY: %llu of %llu pages dma-pinned",
			(unsigned long long)pc->q.npinned,
			(unsigned long long)pc->q.npages);
}

/*
 * PIN, check the counters while held (acquired moved by exactly the
 * expected amount, released not at all), QUERY, UNPIN, check again.  The
 * expectation must have been set with gd_expect() before.
 */
static void pin_case(struct ctx *c, struct pin_case *pc)
{
	struct gupdemo_scenario_outcome *o = c->out;
	struct gupdemo_vmstat before, held, after;
	int64_t held_acq = o->exp_acquired, held_rel = 0;
	struct gupdemo_pin pin = {
		.flags = pc->flags,
		.addr = (uintptr_t)pc->addr,
		.len = pc->len,
		.api = pc->api,
	};
	int ret;

	if (!gd_snap(c, &before))
		return;
	o->ret = gupdemo_pin(c->env->fd, &pin);
	o->npages = o->ret ? 0 : pin.npages;
	if (!o->ret && pc->hook)
		pc->hook(c, pc, pin.handle);
	if (!gd_snap(c, &held))
		goto out_unpin;
	if (pc->custom_held) {
		held_acq = pc->held_acq;
		held_rel = pc->held_rel;
	}
	if ((int64_t)(held.acquired - before.acquired) != held_acq ||
	    (int64_t)(held.released - before.released) != held_rel)
		gd_fail(c, "while held: acquired +%lld released +%lld, expected "
			"+%lld and +%lld",
			(long long)(held.acquired - before.acquired),
			(long long)(held.released - before.released),
			(long long)held_acq, (long long)held_rel);
	if (!o->ret)
		pin_case_query(c, pc, pin.handle);
out_unpin:
	if (!o->ret) {
		ret = gupdemo_unpin_handle(c->env->fd, pin.handle,
					   pc->unpin_flags);
		if (ret)
			gd_fail(c, "UNPIN: %s", strerror(-ret));
	}
	if (gd_snap(c, &after))
		gd_judge(c, &before, &after);
}

/* ---- scenarios ---- */

#define N_SMALL 16

static void anon_case(struct ctx *c, uint32_t api, uint32_t flags,
		      int64_t exp_acq)
{
	struct pin_case pc = {
		.len = N_SMALL * c->psz, .api = api, .flags = flags,
		.exp_nzero = 0,
	};

	pc.addr = map_anon(c, N_SMALL, true);
	if (!pc.addr)
		return;
	gd_expect(c, 0, N_SMALL, exp_acq, exp_acq);
	pin_case(c, &pc);
	munmap(pc.addr, pc.len);
}

static void sc_anon_fast(struct ctx *c)
{
	anon_case(c, GUPDEMO_API_PIN_FAST, GUPDEMO_PIN_WRITE, N_SMALL);
}

static void sc_anon_locked(struct ctx *c)
{
	anon_case(c, GUPDEMO_API_PIN, 0, N_SMALL);
}

static void sc_anon_unlocked(struct ctx *c)
{
	anon_case(c, GUPDEMO_API_PIN_UNLOCKED, GUPDEMO_PIN_WRITE, N_SMALL);
}

static void sc_anon_remote(struct ctx *c)
{
	anon_case(c, GUPDEMO_API_PIN_REMOTE, GUPDEMO_PIN_WRITE, N_SMALL);
}

static void sc_anon_longterm(struct ctx *c)
{
	anon_case(c, GUPDEMO_API_PIN_FAST,
		  GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM, N_SMALL);
}

static void sc_anon_get(struct ctx *c)
{
	/* FOLL_GET is the control group: it never moves the pin counters. */
	anon_case(c, GUPDEMO_API_GET_FAST, GUPDEMO_PIN_WRITE, 0);
}

static void zero_case(struct ctx *c, uint32_t api, uint32_t flags,
		      bool unshared)
{
	struct pin_case pc = {
		.len = N_SMALL * c->psz, .api = api, .flags = flags,
		.exp_nzero = unshared ? 0 : N_SMALL,
	};

	/* Never touched: GUP's read fault maps the shared zero page. */
	pc.addr = map_anon(c, N_SMALL, false);
	if (!pc.addr)
		return;
	gd_expect(c, 0, N_SMALL, unshared ? N_SMALL : 0, unshared ? N_SMALL : 0);
	pin_case(c, &pc);
	munmap(pc.addr, pc.len);
}

static void sc_zero_ro(struct ctx *c)
{
	zero_case(c, GUPDEMO_API_PIN_FAST, 0, false);
}

static void sc_zero_ro_longterm(struct ctx *c)
{
	/* Since 6.2 a R/O long-term pin unshares: real pages get pinned. */
	zero_case(c, GUPDEMO_API_PIN, GUPDEMO_PIN_LONGTERM,
		  c->env->kernel >= KV_UNSHARE_RO_LONGTERM);
}

static void sc_thp(struct ctx *c)
{
	struct pin_case pc = {
		.len = THP_SIZE, .api = GUPDEMO_API_PIN_FAST,
		.flags = GUPDEMO_PIN_WRITE, .exp_nzero = 0,
	};
	size_t npages = THP_SIZE / c->psz;
	const char *off = gd_thp_off();
	struct gupdemo_buf b;
	int ret;

	if (off) {
		gd_skip(c, "%s", off);
		return;
	}
	/* A 2 MiB-aligned THP candidate, touched. */
	ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_THP, THP_SIZE, GUPDEMO_BUF_TOUCH);
	if (ret == -EOPNOTSUPP) {
		gd_skip(c, "the kernel has no THP (MADV_HUGEPAGE refused)");
		return;
	}
	if (ret) {
		gd_fail(c, "mmap: %s", strerror(-ret));
		return;
	}
	pc.addr = b.p;
	/* Pins count per base page: a whole THP moves them by 512. */
	gd_expect(c, 0, npages, npages, npages);
	pin_case(c, &pc);
	if (c->out->verdict == GUPDEMO_VERDICT_PASS && !c->out->ret &&
	    pc.q.nfolios != 1)
		gd_skip(c, "the buffer was not backed by one THP (%llu folios): "
			"memory too fragmented?",
			(unsigned long long)pc.q.nfolios);
	gupdemo_buf_free(&b);
}

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static void sc_hugetlb(struct ctx *c)
{
	struct pin_case pc = {
		.len = THP_SIZE, .api = GUPDEMO_API_PIN_FAST,
		.flags = GUPDEMO_PIN_WRITE, .exp_nzero = 0,
	};
	unsigned long long nr = 0, now = 0;
	size_t npages = THP_SIZE / c->psz;
	bool raised = false;
	struct gupdemo_buf b;
	int ret;

	if (gupdemo_lab_read_u64(NR_HUGEPAGES, &nr)) {
		gd_skip(c, "no hugetlb support (" NR_HUGEPAGES ")");
		return;
	}
	ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_HUGETLB, THP_SIZE,
				GUPDEMO_BUF_TOUCH);
	if (ret) {
		/* Reserve one more huge page for us, given back below. */
		if (gupdemo_lab_write_u64(NR_HUGEPAGES, nr + 1) ||
		    gupdemo_lab_read_u64(NR_HUGEPAGES, &now) || now != nr + 1) {
			gd_skip(c, "cannot reserve a 2 MiB huge page (vm.nr_hugepages)");
			if (now > nr)
				gupdemo_lab_write_u64(NR_HUGEPAGES, nr);
			return;
		}
		raised = true;
		ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_HUGETLB, THP_SIZE,
					GUPDEMO_BUF_TOUCH);
		if (ret) {
			gd_skip(c, "MAP_HUGETLB: %s", strerror(-ret));
			goto out;
		}
	}
	pc.addr = b.p;
	gd_expect(c, 0, npages, npages, npages);
	pin_case(c, &pc);
	if (!c->out->ret && pc.q.nfolios != 1)
		gd_fail(c, "%llu folios, expected one huge page",
			(unsigned long long)pc.q.nfolios);
	gupdemo_buf_free(&b);
out:
	if (raised)
		gupdemo_lab_write_u64(NR_HUGEPAGES, nr);
}

static void sc_pfnmap(struct ctx *c)
{
	struct pin_case pc = {
		.len = c->psz, .api = GUPDEMO_API_PIN_FAST,
		.flags = GUPDEMO_PIN_WRITE, .exp_nzero = -1,
	};

	if (!(c->env->features & GUPDEMO_FEAT_MMAP_PFNMAP)) {
		gd_skip(c, "the module has no VM_PFNMAP mmap");
		return;
	}
	pc.addr = mmap(NULL, c->psz, PROT_READ | PROT_WRITE, MAP_SHARED,
		       c->env->fd, 0);
	if (pc.addr == MAP_FAILED) {
		gd_fail(c, "mmap of the device: %s", strerror(errno));
		return;
	}
	((volatile char *)pc.addr)[0] = 1;
	gd_expect(c, -EFAULT, 0, 0, 0);
	pin_case(c, &pc);
	munmap(pc.addr, c->psz);
}

static void sc_nofault(struct ctx *c)
{
	struct pin_case pc = {
		.len = N_SMALL * c->psz, .api = GUPDEMO_API_PIN_FAST,
		.flags = GUPDEMO_PIN_WRITE | GUPDEMO_PIN_NOFAULT,
		.exp_nzero = -1,
	};

	pc.addr = map_anon(c, N_SMALL, false);
	if (!pc.addr)
		return;
	gd_expect(c, -EFAULT, 0, 0, 0);
	pin_case(c, &pc);
	munmap(pc.addr, pc.len);
}

static void sc_fast_only(struct ctx *c)
{
	bool gone = c->env->kernel >= KV_NO_FAST_ONLY;
	struct pin_case pc = {
		.len = N_SMALL * c->psz, .api = GUPDEMO_API_PIN_FAST_ONLY,
		.flags = GUPDEMO_PIN_WRITE, .exp_nzero = 0,
	};

	if (gone == !!(c->env->features & GUPDEMO_FEAT_PIN_FAST_ONLY))
		gd_note(c, "the module's pin_fast_only feature bit disagrees "
			"with the kernel version");
	pc.addr = map_anon(c, N_SMALL, true);
	if (!pc.addr)
		return;
	if (gone)
		gd_expect(c, -EOPNOTSUPP, 0, 0, 0);
	else
		gd_expect(c, 0, N_SMALL, N_SMALL, N_SMALL);
	pin_case(c, &pc);
	munmap(pc.addr, pc.len);
}

static void sc_get_longterm(struct ctx *c)
{
	struct pin_case pc = {
		.len = N_SMALL * c->psz, .api = GUPDEMO_API_GET_FAST,
		.flags = GUPDEMO_PIN_LONGTERM, .exp_nzero = -1,
	};

	pc.addr = map_anon(c, N_SMALL, true);
	if (!pc.addr)
		return;
	/* GUP would WARN on FOLL_GET | FOLL_LONGTERM: the module refuses. */
	gd_expect(c, -EINVAL, 0, 0, 0);
	pin_case(c, &pc);
	munmap(pc.addr, pc.len);
}

static void sc_unlocked_longterm(struct ctx *c)
{
	struct pin_case pc = {
		.len = N_SMALL * c->psz, .api = GUPDEMO_API_PIN_UNLOCKED,
		.flags = GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM,
		.exp_nzero = 0,
	};

	pc.addr = map_anon(c, N_SMALL, true);
	if (!pc.addr)
		return;
	if (c->env->kernel >= KV_LONGTERM_UNLOCKED)
		gd_expect(c, 0, N_SMALL, N_SMALL, N_SMALL);
	else
		gd_expect(c, -EINVAL, 0, 0, 0);
	pin_case(c, &pc);
	munmap(pc.addr, pc.len);
}

/*
 * A MAP_SHARED file mapping, touched, pinned through @api.  @refused: the
 * pin fails with EFAULT; @transient pins are taken and dropped on the way
 * (GUP-fast grabs a page before it can tell it may not keep it).
 */
static void shared_file_case(struct ctx *c, int fd, uint32_t api,
			     uint32_t flags, bool refused, int64_t transient)
{
	struct pin_case pc = {
		.len = N_SMALL * c->psz, .api = api, .flags = flags,
		.unpin_flags = (flags & GUPDEMO_PIN_WRITE) ? GUPDEMO_UNPIN_DIRTY : 0,
		.exp_nzero = 0,
		.custom_held = refused, .held_acq = transient,
		.held_rel = transient,
	};
	char *p;

	p = mmap(NULL, pc.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		gd_fail(c, "mmap: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < N_SMALL; i++)
		p[i * c->psz] = 'A';
	pc.addr = p;
	if (refused)
		gd_expect(c, -EFAULT, 0, transient, transient);
	else
		gd_expect(c, 0, N_SMALL, N_SMALL, N_SMALL);
	pin_case(c, &pc);
	munmap(p, pc.len);
}

static void ext4_case(struct ctx *c, uint32_t api, uint32_t flags,
		      bool refused, int64_t transient)
{
	char path[512];
	int fd;

	if (!gd_has_ext4(c))
		return;
	fd = gd_ext4_file(c, N_SMALL, -1, path, sizeof(path));
	if (fd < 0)
		return;
	shared_file_case(c, fd, api, flags, refused, transient);
	close(fd);
	unlink(path);
}

static void sc_ext4_write(struct ctx *c)
{
	/* Short-term (no LONGTERM): allowed on every kernel. */
	ext4_case(c, GUPDEMO_API_PIN_FAST, GUPDEMO_PIN_WRITE, false, 0);
}

static void sc_ext4_longterm(struct ctx *c)
{
	/* The slow path refuses in check_vma_flags(): nothing is grabbed. */
	ext4_case(c, GUPDEMO_API_PIN, GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM,
		  c->env->kernel >= KV_NO_LONGTERM_FS_WRITE, 0);
}

static void sc_ext4_longterm_fast(struct ctx *c)
{
	/*
	 * Since 6.5 GUP-fast pins the first page, sees a file-backed folio
	 * that needs dirty tracking, unpins it and falls back to the slow
	 * path, which refuses: EFAULT, and the counters move by +1/+1.
	 */
	ext4_case(c, GUPDEMO_API_PIN_FAST,
		  GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM,
		  c->env->kernel >= KV_NO_LONGTERM_FS_WRITE, 1);
}

static void sc_memfd_longterm(struct ctx *c)
{
	int fd = memfd_create("gupdemo-scenario", MFD_CLOEXEC);

	if (fd < 0) {
		gd_fail(c, "memfd_create: %s", strerror(errno));
		return;
	}
	if (ftruncate(fd, (off_t)(N_SMALL * c->psz))) {
		gd_fail(c, "ftruncate: %s", strerror(errno));
		close(fd);
		return;
	}
	/* shmem is fine for writable long-term pins on every kernel. */
	shared_file_case(c, fd, GUPDEMO_API_PIN_FAST,
			 GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM, false, 0);
	close(fd);
}

static void sc_odirect(struct ctx *c)
{
	struct gupdemo_scenario_outcome *o = c->out;
	struct gupdemo_vmstat before, after;
	bool pins = c->env->kernel >= KV_ODIRECT_FOLL_PIN;
	size_t len = N_SMALL * c->psz;
	char path[512], *buf;
	int wfd, fd;
	ssize_t n;

	if (!gd_has_ext4(c))
		return;
	wfd = gd_ext4_file(c, N_SMALL, -1, path, sizeof(path));
	if (wfd < 0)
		return;
	close(wfd);
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		gd_fail(c, "open O_DIRECT: %s", strerror(errno));
		unlink(path);
		return;
	}
	buf = map_anon(c, N_SMALL, true);
	if (!buf)
		goto out_close;
	/* Since 6.3 the block layer pins the user pages with FOLL_PIN. */
	gd_expect(c, 0, N_SMALL, pins ? N_SMALL : 0, pins ? N_SMALL : 0);
	if (!gd_snap(c, &before))
		goto out_unmap;
	n = pread(fd, buf, len, 0);
	o->ret = n < 0 ? -errno : 0;
	o->npages = n < 0 ? 0 : (uint64_t)n / c->psz;
	if (n >= 0 && (size_t)n != len)
		gd_fail(c, "short read: %zd of %zu bytes", n, len);
	else if (n >= 0 && (buf[0] != 'a' || buf[len - 1] != 'a' + N_SMALL - 1))
		gd_fail(c, "read the wrong data");
	/* The bio completion wakes us, then unpins: wait for it. */
	if (gd_snap_settled(c, &before, &after))
		gd_judge(c, &before, &after);
out_unmap:
	munmap(buf, len);
out_close:
	close(fd);
	unlink(path);
}

static void hook_munmap(struct ctx *c, struct pin_case *pc, uint32_t handle)
{
	(void)handle;
	if (munmap(pc->addr, pc->len))
		gd_fail(c, "munmap: %s", strerror(errno));
	pc->hook_arg = pc;	/* tells the scenario not to unmap again */
}

static void sc_munmap_held(struct ctx *c)
{
	struct pin_case pc = {
		.len = N_SMALL * c->psz, .api = GUPDEMO_API_PIN_FAST,
		.flags = GUPDEMO_PIN_WRITE, .exp_nzero = 0,
		.hook = hook_munmap,
	};

	pc.addr = map_anon(c, N_SMALL, true);
	if (!pc.addr)
		return;
	/* The pages outlive the mapping: nothing is released until UNPIN. */
	gd_expect(c, 0, N_SMALL, N_SMALL, N_SMALL);
	pin_case(c, &pc);
	if (!pc.hook_arg)
		munmap(pc.addr, pc.len);
}

/* Loopback through the soft engine from @src (address) into @dst_handle. */
static int soft_into_handle(struct ctx *c, const void *src, uint32_t handle,
			    size_t len)
{
	struct gupdemo_dma d = {
		.flags = GUPDEMO_DMA_DST_HANDLE, .op = GUPDEMO_DMA_LOOPBACK,
		.engine = GUPDEMO_ENGINE_SOFT, .src_addr = (uintptr_t)src,
		.dst_handle = handle, .len = len,
	};

	return gupdemo_dma(c->env->fd, &d);
}

static void hook_fork(struct ctx *c, struct pin_case *pc, uint32_t handle)
{
	char *buf = pc->addr, *src;
	int st = 0, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		gd_fail(c, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* The child got its own copy of the pinned page at fork. */
		memset(buf, 0x77, c->psz);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	src = map_anon(c, 1, true);
	if (!src)
		return;
	memset(src, 0x5a, c->psz);
	/* The device writes the pinned page: the parent must see it. */
	ret = soft_into_handle(c, src, handle, c->psz);
	if (ret)
		gd_fail(c, "DMA into the pinned page: %s", strerror(-ret));
	else if (buf[0] != 0x5a || buf[c->psz - 1] != 0x5a)
		gd_fail(c, "the parent does not see the device's write (0x%02x): "
			"it lost the pinned page at fork", (unsigned char)buf[0]);
	munmap(src, c->psz);
}

static void sc_fork_held(struct ctx *c)
{
	struct pin_case pc = {
		.len = c->psz, .api = GUPDEMO_API_PIN_FAST,
		.flags = GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM,
		.unpin_flags = GUPDEMO_UNPIN_DIRTY,
		.exp_nzero = 0, .hook = hook_fork,
		/* While held: the DMA's source page came and went already. */
		.custom_held = true, .held_acq = 2, .held_rel = 1,
	};

	if (!(c->env->features & GUPDEMO_FEAT_ENGINE_SOFT)) {
		gd_skip(c, "no software DMA engine");
		return;
	}
	pc.addr = map_anon(c, 1, true);
	if (!pc.addr)
		return;
	/* The held pin, plus the DMA's short-term pin of its source page. */
	gd_expect(c, 0, 1, 2, 2);
	pin_case(c, &pc);
	munmap(pc.addr, pc.len);
}

static void dma_case(struct ctx *c, uint32_t op, uint32_t engine,
		     size_t len)
{
	struct gupdemo_scenario_outcome *o = c->out;
	struct gupdemo_vmstat before, after;
	size_t npages = (len + c->psz - 1) / c->psz;
	struct gupdemo_dma d = {
		.op = op, .engine = engine, .len = len,
	};
	char *src, *dst;

	src = map_anon(c, npages, true);
	dst = map_anon(c, npages, true);
	if (!src || !dst)
		goto out;
	for (size_t i = 0; i < len; i++)
		src[i] = (char)(i * 7 + 3);
	memset(dst, 0, npages * c->psz);
	d.src_addr = (uintptr_t)src;
	d.dst_addr = (uintptr_t)dst;
	/* Both sides pinned short-term inside the call, then released. */
	gd_expect(c, 0, 2 * npages, (int64_t)(2 * npages), (int64_t)(2 * npages));
	if (!gd_snap(c, &before))
		goto out;
	o->ret = gupdemo_dma(c->env->fd, &d);
	o->npages = o->ret ? 0 : 2 * npages;
	if (o->ret == -ERANGE && engine == GUPDEMO_ENGINE_EDU) {
		gd_skip(c, "edu cannot reach the pages (28-bit DMA mask, no "
			"IOMMU): boot with --iommu, or edu dma_mask + "
			"edu_dma_bits=64");
		goto out;
	}
	if (!o->ret && memcmp(src, dst, len))
		gd_fail(c, "the destination differs from the source");
	if (!o->ret && d.bytes != len)
		gd_fail(c, "moved %llu bytes of %zu",
			(unsigned long long)d.bytes, len);
	if (gd_snap(c, &after))
		gd_judge(c, &before, &after);
out:
	if (src)
		munmap(src, npages * c->psz);
	if (dst)
		munmap(dst, npages * c->psz);
}

static void sc_dma_soft(struct ctx *c)
{
	if (!(c->env->features & GUPDEMO_FEAT_ENGINE_SOFT)) {
		gd_skip(c, "no software DMA engine");
		return;
	}
	dma_case(c, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, 8 * c->psz);
}

static void sc_dma_memcpy(struct ctx *c)
{
	dma_case(c, GUPDEMO_DMA_MEMCPY, GUPDEMO_ENGINE_AUTO, 8 * c->psz);
}

static void sc_dma_edu(struct ctx *c)
{
	if (!(c->env->features & GUPDEMO_FEAT_ENGINE_EDU)) {
		gd_skip(c, "no edu device bound (QEMU -device edu)");
		return;
	}
	/* edu: 100 ms per command, at most 4095 bytes: keep it small. */
	dma_case(c, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU, 1000);
}

static const struct scenario_def scenarios[] = {
	{ { "anon-fast", "fast", "anon-4k", N_SMALL, 0,
	    "pin_user_pages_fast(WRITE) of populated anon pages: +N/+N", NULL },
	  sc_anon_fast },
	{ { "anon-locked", "locked", "anon-4k", N_SMALL, 0,
	    "pin_user_pages() read-only under mmap_read_lock: +N/+N", NULL },
	  sc_anon_locked },
	{ { "anon-unlocked", "unlocked", "anon-4k", N_SMALL, 0,
	    "pin_user_pages_unlocked(WRITE): +N/+N", NULL },
	  sc_anon_unlocked },
	{ { "anon-remote", "remote", "anon-4k", N_SMALL, 0,
	    "pin_user_pages_remote(WRITE) on the caller's mm: +N/+N", NULL },
	  sc_anon_remote },
	{ { "anon-longterm", "fast/LT", "anon-4k", N_SMALL, 0,
	    "FOLL_LONGTERM | FOLL_WRITE pin of anon pages: +N/+N", NULL },
	  sc_anon_longterm },
	{ { "anon-get", "get_fast", "anon-4k", N_SMALL, 0,
	    "get_user_pages_fast() (FOLL_GET) + put_page(): +0/+0", NULL },
	  sc_anon_get },
	{ { "zero-ro", "fast", "zero", N_SMALL, 0,
	    "R/O pin of never-written anon memory: N zero pages, +0/+0", NULL },
	  sc_zero_ro },
	{ { "zero-ro-lt", "locked/LT", "zero", N_SMALL, 0,
	    "R/O long-term pin of zero pages: 6.1 +0; >= 6.2 unshares, +N", NULL },
	  sc_zero_ro_longterm },
	{ { "thp", "fast", "thp", 512, 0,
	    "WRITE pin of one 2 MiB THP: +512/+512, one folio", NULL },
	  sc_thp },
	{ { "hugetlb", "fast", "hugetlb", 512, GUPDEMO_NEEDS_ROOT,
	    "WRITE pin of one 2 MiB hugetlb page: +512/+512", NULL },
	  sc_hugetlb },
	{ { "pfnmap", "fast", "pfnmap", 1, 0,
	    "VM_PFNMAP | VM_IO page (mmap of the device): EFAULT, +0/+0", NULL },
	  sc_pfnmap },
	{ { "nofault", "fast/NF", "untouched", N_SMALL, 0,
	    "FOLL_NOFAULT on never-touched memory: EFAULT, +0/+0", NULL },
	  sc_nofault },
	{ { "fast-only", "fastonly", "anon-4k", N_SMALL, 0,
	    "pin_user_pages_fast_only(): 6.1 +N; >= 6.3 EOPNOTSUPP", NULL },
	  sc_fast_only },
	{ { "get-longterm", "get/LT", "anon-4k", N_SMALL, 0,
	    "FOLL_GET | FOLL_LONGTERM (GUP would WARN): EINVAL, +0/+0", NULL },
	  sc_get_longterm },
	{ { "unlocked-lt", "unlckd/LT", "anon-4k", N_SMALL, 0,
	    "LONGTERM + pin_user_pages_unlocked(): 6.1 EINVAL; >= 6.3 +N", NULL },
	  sc_unlocked_longterm },
	{ { "ext4-write", "fast", "ext4-shr", N_SMALL, GUPDEMO_NEEDS_EXT4,
	    "short-term WRITE pin of a MAP_SHARED ext4 file: +N/+N", NULL },
	  sc_ext4_write },
	{ { "ext4-longterm", "locked/LT", "ext4-shr", N_SMALL, GUPDEMO_NEEDS_EXT4,
	    "writable LT pin of MAP_SHARED ext4: 6.1 +N; >= 6.5 EFAULT +0", NULL },
	  sc_ext4_longterm },
	{ { "ext4-lt-fast", "fast/LT", "ext4-shr", N_SMALL, GUPDEMO_NEEDS_EXT4,
	    "same via GUP-fast: >= 6.5 EFAULT, +1/+1 (grabbed, dropped)", NULL },
	  sc_ext4_longterm_fast },
	{ { "memfd-longterm", "fast/LT", "memfd-shr", N_SMALL, 0,
	    "writable LT pin of a MAP_SHARED memfd (shmem): +N/+N", NULL },
	  sc_memfd_longterm },
	{ { "odirect", "O_DIRECT", "anon-4k", N_SMALL, GUPDEMO_NEEDS_EXT4,
	    "O_DIRECT read: 6.1 FOLL_GET +0; >= 6.3 FOLL_PIN +N/+N", NULL },
	  sc_odirect },
	{ { "munmap-held", "fast", "anon-4k", N_SMALL, 0,
	    "munmap while pinned: nothing released until UNPIN", NULL },
	  sc_munmap_held },
	{ { "fork-held", "fast/LT", "anon-4k", 1, GUPDEMO_NEEDS_SOFT,
	    "fork() with a R/W pin held: the parent keeps the pinned page", NULL },
	  sc_fork_held },
	{ { "dma-soft", "dma-soft", "anon-4k", 16, GUPDEMO_NEEDS_SOFT,
	    "soft-engine loopback, 8 + 8 pages pinned for the call", NULL },
	  sc_dma_soft },
	{ { "dma-memcpy", "dma-cpu", "anon-4k", 16, 0,
	    "in-kernel memcpy of 8 pinned pages into 8: +16/+16", NULL },
	  sc_dma_memcpy },
	{ { "dma-edu", "dma-edu", "anon-4k", 2, GUPDEMO_NEEDS_EDU,
	    "edu loopback of 1000 bytes (100 ms per command): +2/+2", NULL },
	  sc_dma_edu },
};

#define N_PIN_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* The catalogue's scenarios first, then the lab's (lab.c). */
static const struct scenario_def *def_at(unsigned int index)
{
	if (index < N_PIN_SCENARIOS)
		return &scenarios[index];
	index -= N_PIN_SCENARIOS;
	return index < gd_lab_count ? &gd_lab[index] : NULL;
}

unsigned int gupdemo_scenario_count(void)
{
	return N_PIN_SCENARIOS + gd_lab_count;
}

int gupdemo_scenario_get(unsigned int index, const struct gupdemo_scenario **sc)
{
	const struct scenario_def *def = def_at(index);

	if (!def || !sc)
		return -EINVAL;
	*sc = &def->pub;
	return 0;
}

int gupdemo_scenario_find(const char *name, unsigned int *index)
{
	const struct scenario_def *def;

	if (!name || !index)
		return -EINVAL;
	for (unsigned int i = 0; (def = def_at(i)); i++) {
		if (strcmp(def->pub.name, name) == 0) {
			*index = i;
			return 0;
		}
	}
	return -ENOENT;
}

int gupdemo_scenario_exec(unsigned int index,
			  const struct gupdemo_scenario_env *env,
			  struct gupdemo_scenario_outcome *out)
{
	const struct scenario_def *def = def_at(index);
	static unsigned int seq;
	struct ctx c;

	if (!def || !env || !out || env->fd < 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	c = (struct ctx){
		.env = env,
		.out = out,
		.psz = (size_t)sysconf(_SC_PAGESIZE),
		.seq = __atomic_fetch_add(&seq, 1000, __ATOMIC_RELAXED),
	};
	def->run(&c);
	return 0;
}

/* ---- scratch ext4 on a loop device ---- */

static const char *find_mke2fs(void)
{
	static const char *const paths[] = {
		"/sbin/mke2fs", "/usr/sbin/mke2fs",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

static int run_mke2fs(const char *mke2fs, const char *image)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		/* By full path: no shell, no busybox applet in between. */
		execl(mke2fs, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096",
		      image, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* A free loop device bound to @image (devtmpfs may add its node late). */
static int loop_attach(struct gupdemo_ext4 *m)
{
	int ctl, nr, img, ret = 0;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (nr < 0)
		return -errno;
	snprintf(m->loop, sizeof(m->loop), "/dev/loop%d", nr);
	for (int i = 0; i < 100; i++) {
		m->loop_fd = open(m->loop, O_RDWR | O_CLOEXEC);
		if (m->loop_fd >= 0 || errno != ENOENT)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	if (m->loop_fd < 0)
		return -errno;
	img = open(m->image, O_RDWR | O_CLOEXEC);
	if (img < 0) {
		ret = -errno;
		goto err_close;
	}
	if (ioctl(m->loop_fd, LOOP_SET_FD, img) < 0)
		ret = -errno;
	close(img);
	if (!ret)
		return 0;
err_close:
	close(m->loop_fd);
	m->loop_fd = -1;
	return ret;
}

int gupdemo_ext4_mount(const char *workdir, unsigned int size_mib,
		       struct gupdemo_ext4 *m)
{
	const char *mke2fs = find_mke2fs();
	char base[200];
	int fd, ret;

	if (!workdir || !m || !size_mib)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->loop_fd = -1;
	if (!mke2fs)
		return -ENOENT;
	if (geteuid() != 0)
		return -EPERM;
	snprintf(base, sizeof(base), "%s/gupdemo-ext4.XXXXXX", workdir);
	if (!mkdtemp(base))
		return -errno;
	snprintf(m->image, sizeof(m->image), "%s/image", base);
	snprintf(m->dir, sizeof(m->dir), "%s/mnt", base);
	fd = open(m->image, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto err_rmdir;
	}
	ret = ftruncate(fd, (off_t)size_mib << 20) ? -errno : 0;
	close(fd);
	if (ret)
		goto err_unlink;
	ret = run_mke2fs(mke2fs, m->image);
	if (ret)
		goto err_unlink;
	if (mkdir(m->dir, 0700)) {
		ret = -errno;
		goto err_unlink;
	}
	ret = loop_attach(m);
	if (ret)
		goto err_rmdir_mnt;
	if (mount(m->loop, m->dir, "ext4", 0, "")) {
		ret = -errno;
		goto err_detach;
	}
	m->mounted = true;
	return 0;

err_detach:
	ioctl(m->loop_fd, LOOP_CLR_FD, 0);
	close(m->loop_fd);
	m->loop_fd = -1;
err_rmdir_mnt:
	rmdir(m->dir);
err_unlink:
	unlink(m->image);
err_rmdir:
	rmdir(base);
	return ret;
}

int gupdemo_ext4_umount(struct gupdemo_ext4 *m)
{
	char base[256];
	char *slash;
	int ret = 0;

	if (!m)
		return -EINVAL;
	if (m->mounted && umount(m->dir) && !ret)
		ret = -errno;
	m->mounted = false;
	if (m->loop_fd >= 0) {
		if (ioctl(m->loop_fd, LOOP_CLR_FD, 0) < 0 && !ret)
			ret = -errno;
		close(m->loop_fd);
		m->loop_fd = -1;
	}
	if (m->dir[0])
		rmdir(m->dir);
	if (m->image[0]) {
		unlink(m->image);
		snprintf(base, sizeof(base), "%s", m->image);
		slash = strrchr(base, '/');
		if (slash) {
			*slash = '\0';
			rmdir(base);
		}
	}
	return ret;
}
