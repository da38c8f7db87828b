// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the pattern holds under hostile use, bounce buffers and a
 * device that will not stop.  One test per class of defect a driver that
 * copies the pin -> map -> DMA -> unmap -> unpin sequence can have:
 *
 *   --group basic   DIRTY on a read-only pin is refused (a reader must not
 *                   dirty page cache it cannot write, nor the zero page);
 *                   UNPIN dirties what a device wrote, SKIP_DIRTY shows the
 *                   data loss of not doing so; a handle a DMA is using is
 *                   busy (UNPIN: EBUSY), QUERY on the same file does not
 *                   wait for the transfer, and a SIGKILLed waiter dies
 *                   within a bound; one call's length is bounded per
 *                   engine; module parameters refuse values out of range;
 *                   every pin (DMA, BENCH too) counts against max_held_pages;
 *                   an argument struct longer than a page is E2BIG.
 *   --group stuck   a device that will not stop (edu_timeout_ms=1): the
 *                   call fails with EIO, its memory stays pinned and mapped
 *                   (quarantined; UNPIN of its handle is EBUSY, close()
 *                   keeps it) until the device is unbound; the late write
 *                   lands in the quarantined page, never in reused memory
 *                   (the VM runs with page_poison=1).
 *   --group bounce  DMA under swiotlb (swiotlb=force, or RAM above 4 GiB):
 *                   the soft engine and edu move the right bytes, or edu is
 *                   refused with ERANGE where its 28-bit mask cannot reach
 *                   the pages or the bounce pool; never a WARN.
 *
 *   --group unbind-race  (debug kernel) with a kprobe helper holding the
 *                   last engine put between its decrement and its wake-up,
 *                   edu is unbound in that window: the engine's memory must
 *                   not be freed under the wake-up (KASAN watches).
 *
 * Every group ends with nothing held and the pin counters balanced.
 * "--group basic --only PART" runs one part: dirty-ro, unpin-dirties, busy,
 * lengths, params, budget or usize.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>

#include "stress.h"

#define EDU_DRV		"/sys/bus/pci/drivers/gupdemo-edu"
#define FS_IMG		"/tmp/robust-ext4.img"
#define FS_MNT		"/tmp/robust-mnt"
#define FS_FILE		FS_MNT "/data"
#define DEV_CHUNK	4095

static size_t psz;

static uint64_t uaddr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sh(const char *cmd)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s >/dev/null 2>&1", cmd);
	fflush(NULL);
	return system(buf);
}

static bool cmdline_has(const char *word)
{
	char buf[1024];

	return g_read_file("/proc/cmdline", buf, sizeof(buf)) == 0 &&
	       strstr(buf, word) != NULL;
}

static int64_t stat_of(const char *key)
{
	int64_t v = -1;

	if (g_stat_get(key, &v))
		return -1;
	return v;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail_out("mmap of %zu bytes: %s", len, strerror(errno));
	return p;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static size_t mismatches(const uint8_t *p, size_t len, uint8_t seed)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += p[i] != (uint8_t)(seed + i * 7 + (i >> 8));
	return bad;
}

/* A DMA by address (0 for an unused side). */
static int dma_addr(int fd, uint32_t op, uint32_t engine, const void *src,
		    const void *dst, size_t len)
{
	struct gupdemo_dma d = {
		.op = op, .engine = engine, .src_addr = src ? uaddr(src) : 0,
		.dst_addr = dst ? uaddr(dst) : 0, .len = len,
	};

	return gupdemo_dma(fd, &d);
}

/* FROM_DEVICE into a held handle. */
static int dma_to_handle(int fd, uint32_t engine, uint32_t handle, size_t len)
{
	struct gupdemo_dma d = {
		.flags = GUPDEMO_DMA_DST_HANDLE, .op = GUPDEMO_DMA_FROM_DEVICE,
		.engine = engine, .dst_handle = handle, .len = len,
	};

	return gupdemo_dma(fd, &d);
}

static bool edu_bound(char *bdf, size_t len)
{
	char path[256];

	for (int slot = 0; slot < 32; slot++) {
		snprintf(path, sizeof(path), EDU_DRV "/0000:00:%02x.0", slot);
		if (access(path, F_OK) == 0) {
			snprintf(bdf, len, "0000:00:%02x.0", slot);
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* ext4 on a loop device                                                */
/* ------------------------------------------------------------------ */

static bool fs_setup(void)
{
	sh("umount " FS_MNT);
	sh("rm -f " FS_IMG);
	return sh("truncate -s 16M " FS_IMG) == 0 &&
	       sh("/sbin/mke2fs -q -F -t ext4 -b 4096 " FS_IMG) == 0 &&
	       sh("mkdir -p " FS_MNT) == 0 &&
	       sh("mount -t ext4 -o loop " FS_IMG " " FS_MNT) == 0;
}

/* Writes one page of @c to FS_FILE and syncs it. */
static bool file_create(char c)
{
	char *buf = malloc(psz);
	int fd = open(FS_FILE, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	bool r;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return false;
	}
	memset(buf, c, psz);
	r = write(fd, buf, psz) == (ssize_t)psz && fsync(fd) == 0;
	close(fd);
	free(buf);
	return r;
}

/* After drop_caches: the file's bytes as the disk has them. */
static bool file_read_cold(uint8_t *out, size_t len)
{
	int fd;
	bool r;

	sync();
	if (g_write_file("/proc/sys/vm/drop_caches", "3\n"))
		return false;
	fd = open(FS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	r = read(fd, out, len) == (ssize_t)len;
	close(fd);
	return r;
}

/* ------------------------------------------------------------------ */
/* basic                                                                */
/* ------------------------------------------------------------------ */

/* What the parts of group basic share: one open file, and whether edu is bound. */
static struct {
	int fd;
	bool edu;
} B;

static void t_dirty_ro(void)
{
	int fd = B.fd;
	struct gupdemo_vmstat before = g_vmstat();
	uint32_t h;
	char *p = map_anon(4 * psz);
	int ffd;
	volatile char *m;

	diag("--- UNPIN DIRTY needs a pin taken with WRITE ---");
	/* Never touched: a read-only pin holds the zero page. */
	is_errno(gupdemo_pin_range(fd, p, 4 * psz, GUPDEMO_API_PIN_FAST, 0, &h,
				   NULL), 0, "R/O pin of untouched anon memory");
	is_errno(gupdemo_unpin_handle(fd, h, GUPDEMO_UNPIN_DIRTY), EPERM,
		 "UNPIN DIRTY of that R/O pin -> EPERM (it would dirty the zero page)");
	is_errno(gupdemo_unpin_handle(fd, h, GUPDEMO_UNPIN_DIRTY |
				      GUPDEMO_UNPIN_SKIP_DIRTY), EINVAL,
		 "UNPIN DIRTY|SKIP_DIRTY -> EINVAL");
	is_errno(gupdemo_unpin_handle(fd, h, 0), 0,
		 "the refused UNPINs left the handle held: UNPIN 0 works");
	g_check_delta(&before, 0, 0, "zero-page pin");
	munmap(p, 4 * psz);

	if (!ok(fs_setup() && file_create('A'), "ext4 file of one page")) {
		skip(4, "no ext4");
		return;
	}
	/* A reader: O_RDONLY, PROT_READ, read. */
	ffd = open(FS_FILE, O_RDONLY | O_CLOEXEC);
	m = mmap(NULL, psz, PROT_READ, MAP_SHARED, ffd, 0);
	if (ffd < 0 || m == MAP_FAILED)
		bail_out("cannot map " FS_FILE " read-only: %s", strerror(errno));
	ok(m[0] == 'A', "the reader reads the page");
	before = g_vmstat();
	is_errno(gupdemo_pin_range(fd, (void *)m, psz, GUPDEMO_API_PIN_FAST, 0,
				   &h, NULL), 0, "R/O pin of the read-only page cache page");
	is_errno(gupdemo_unpin_handle(fd, h, GUPDEMO_UNPIN_DIRTY), EPERM,
		 "UNPIN DIRTY -> EPERM: a reader may not dirty page cache it cannot write");
	is_errno(gupdemo_unpin_handle(fd, h, 0), 0, "UNPIN 0 releases it");
	g_check_delta(&before, 1, 1, "read-only ext4 pin");
	munmap((void *)m, psz);
	close(ffd);
}

/*
 * A device writes into a MAP_SHARED ext4 page that writeback cleaned while
 * it was pinned; UNPIN dirties it (without being told) and the bytes reach
 * the disk.  With SKIP_DIRTY, the classic driver bug, they do not.
 */
static void unpin_after_write(int fd, uint32_t unpin_flags, char expect,
			      const char *what)
{
	uint8_t *buf = malloc(psz), *cold = malloc(psz);
	bool created = file_create('A');
	int ffd = open(FS_FILE, O_RDWR | O_CLOEXEC);
	volatile uint8_t *m;
	uint32_t h;

	if (!buf || !cold || ffd < 0 || !created)
		bail_out("%s: setup failed", what);
	m = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	if (m == MAP_FAILED)
		bail_out("%s: mmap: %s", what, strerror(errno));
	ok(m[0] == 'A', "%s: the mapping reads A", what);
	is_errno(gupdemo_pin_range(fd, (void *)m, psz, GUPDEMO_API_PIN_FAST,
				   GUPDEMO_PIN_WRITE, &h, NULL), 0,
		 "%s: PIN WRITE of the shared file page", what);
	ok(fsync(ffd) == 0, "%s: fsync while pinned (writeback cleans the page)",
	   what);
	memset(buf, 'B', psz);
	is_errno(dma_addr(fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, buf,
			  NULL, DEV_CHUNK), 0, "%s: B into the device buffer", what);
	is_errno(dma_to_handle(fd, GUPDEMO_ENGINE_SOFT, h, DEV_CHUNK), 0,
		 "%s: the device writes B through the handle", what);
	is_errno(gupdemo_unpin_handle(fd, h, unpin_flags), 0, "%s: UNPIN flags %#x",
		 what, unpin_flags);
	munmap((void *)m, psz);
	fsync(ffd);
	close(ffd);
	memset(cold, '?', psz);
	ok(file_read_cold(cold, psz), "%s: the file read back cold", what);
	ok(cold[0] == expect && cold[DEV_CHUNK - 1] == expect,
	   "%s: after drop_caches the file reads %c (got %c)", what, expect,
	   cold[0]);
	free(buf);
	free(cold);
}

static void t_unpin_dirties(void)
{
	int fd = B.fd;
	diag("--- UNPIN dirties what the device wrote ---");
	if (!ok(fs_setup(), "ext4 on a loop device")) {
		skip(1, "no ext4");
		return;
	}
	unpin_after_write(fd, 0, 'B', "UNPIN 0");
	unpin_after_write(fd, GUPDEMO_UNPIN_SKIP_DIRTY, 'A',
			  "UNPIN SKIP_DIRTY (the driver bug: data lost)");
	sh("umount " FS_MNT);
}

/*
 * A child that runs one long edu LOOPBACK from handle @hs into handle @hd
 * (it pins nothing itself); exits with its errno.
 */
static pid_t spawn_long_dma(int fd, uint32_t hs, uint32_t hd, size_t len,
			    int ready)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct gupdemo_dma d = {
			.flags = GUPDEMO_DMA_SRC_HANDLE | GUPDEMO_DMA_DST_HANDLE,
			.op = GUPDEMO_DMA_LOOPBACK, .engine = GUPDEMO_ENGINE_EDU,
			.src_handle = hs, .dst_handle = hd, .len = len,
		};
		int ret;

		if (write(ready, "x", 1) != 1)
			_exit(100);
		ret = gupdemo_dma(fd, &d);
		_exit(-ret);
	}
	return pid;
}

/* Forks a child that makes @op's call on @fd; SIGKILLs it; seconds to die. */
static double kill_time(int fd, int op, uint32_t h)
{
	double t0;
	pid_t pid = fork();

	if (pid == 0) {
		struct gupdemo_query q = { .handle = h };
		/* From the handle: the child pins nothing itself. */
		struct gupdemo_dma d = {
			.flags = GUPDEMO_DMA_SRC_HANDLE,
			.op = GUPDEMO_DMA_TO_DEVICE,
			.engine = GUPDEMO_ENGINE_EDU, .src_handle = h,
			.len = 100,
		};

		for (;;) {
			if (op)
				gupdemo_dma(fd, &d);
			else
				gupdemo_query(fd, &q);
		}
	}
	usleep(200000);
	t0 = now_s();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return now_s() - t0;
}

static void t_busy_and_kill(void)
{
	int fd = B.fd;
	bool edu = B.edu;
	size_t len = 15 * DEV_CHUNK;
	uint8_t *src = map_anon(len), *dst = map_anon(len);
	struct gupdemo_query q = { 0 };
	struct gupdemo_vmstat before;
	int pfd[2], st;
	uint32_t h, hs;
	double t0, dt;
	pid_t pid;
	char c;

	diag("--- a long transfer: the same file stays usable, waiters die ---");
	if (!edu) {
		skip(14, "no edu device bound");
		return;
	}
	fill(src, len, 3);
	memset(dst, 0, len);
	before = g_vmstat();
	is_errno(gupdemo_pin_range(fd, src, len, GUPDEMO_API_PIN_FAST, 0, &hs,
				   NULL), 0, "PIN of the source (%zu bytes)", len);
	is_errno(gupdemo_pin_range(fd, dst, len, GUPDEMO_API_PIN_FAST,
				   GUPDEMO_PIN_WRITE, &h, NULL), 0,
		 "PIN WRITE of the destination");
	if (pipe(pfd))
		bail_out("pipe: %s", strerror(errno));
	pid = spawn_long_dma(fd, hs, h, len, pfd[1]);
	ok(read(pfd[0], &c, 1) == 1, "a child starts a %zu-byte edu LOOPBACK "
	   "(30 commands of 100 ms) into the handle", len);
	usleep(300000);

	dt = kill_time(fd, 0, h);
	ok(dt < 1.0, "a child looping on QUERY dies within 1 s of SIGKILL "
	   "(%.3f s)", dt);
	dt = kill_time(fd, 1, hs);
	ok(dt < 1.0, "a child waiting to DMA on edu dies within 1 s of SIGKILL "
	   "(%.3f s)", dt);
	q.handle = h;
	t0 = now_s();
	is_errno(gupdemo_query(fd, &q), 0, "QUERY of the busy handle");
	dt = now_s() - t0;
	ok(dt < 0.5, "QUERY did not wait for the transfer (%.3f s)", dt);
	is_errno(gupdemo_unpin_handle(fd, h, 0), EBUSY,
		 "UNPIN of the handle the transfer is using -> EBUSY");

	waitpid(pid, &st, 0);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0,
	       "the long transfer succeeded");
	is_int(mismatches(dst, len, 3), 0, "its bytes arrived");
	is_errno(gupdemo_unpin_handle(fd, h, 0), 0, "UNPIN once it is done");
	is_errno(gupdemo_unpin_handle(fd, hs, 0), 0, "UNPIN of the source");
	g_check_delta(&before, 2 * (len / psz + 1), 2 * (len / psz + 1),
		      "the two handles");
	close(pfd[0]);
	close(pfd[1]);
	munmap(src, len);
	munmap(dst, len);
}

static void t_lengths(void)
{
	int fd = B.fd;
	bool edu = B.edu;
	size_t len = 65536 + psz;
	uint8_t *src = map_anon(len), *dst = map_anon(len);

	diag("--- one call's length is bounded per engine ---");
	if (edu)
		is_errno(dma_addr(fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU,
				  src, dst, 65537), E2BIG,
			 "edu LOOPBACK of 64 KiB + 1 -> E2BIG");
	else
		skip(1, "no edu device bound");
	memset(src, 9, len);
	is_errno(dma_addr(fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, src,
			  dst, len), 0, "soft LOOPBACK of the same length works");
	munmap(src, len);
	munmap(dst, len);
}

static void param_refused(const char *name, uint64_t bad)
{
	uint64_t was = 0, now = 1;

	g_param_get(name, &was);
	is_errno(g_param_set(name, bad), EINVAL, "%s=%llu -> EINVAL", name,
		 (unsigned long long)bad);
	ok(g_param_get(name, &now) == 0 && now == was,
	   "%s is still %llu", name, (unsigned long long)was);
}

static void t_params(void)
{
	bool edu = B.edu;
	uint64_t was = 0;

	diag("--- module parameters refuse values out of range ---");
	param_refused("max_pin_pages", 0);
	param_refused("max_pin_pages", 268435456);
	g_param_get("max_pin_pages", &was);
	is_errno(g_param_set("max_pin_pages", 268435455), 0,
		 "max_pin_pages=268435455 (the largest) is taken");
	g_param_set("max_pin_pages", was);
	if (!edu) {
		skip(4, "no edu driver parameters without the device");
		return;
	}
	param_refused("edu_timeout_ms", 0);
	param_refused("edu_timeout_ms", 10001);
}

static void t_budget(void)
{
	int fd = B.fd;
	size_t len = 16 * psz;
	uint8_t *src = map_anon(len), *dst = map_anon(len);
	struct gupdemo_vmstat before;
	struct gupdemo_bench b = {
		.addr = uaddr(src), .len = len, .api = GUPDEMO_API_PIN_FAST,
	};
	uint64_t was = 0;
	uint32_t h;

	diag("--- max_held_pages limits every pin, short-term ones too ---");
	memset(src, 1, len);
	memset(dst, 2, len);
	before = g_vmstat();
	g_param_get("max_held_pages", &was);
	is_errno(g_param_set("max_held_pages", 8), 0, "max_held_pages=8");
	is_errno(gupdemo_pin_range(fd, src, len, GUPDEMO_API_PIN_FAST, 0, &h,
				   NULL), ENOSPC, "PIN of 16 pages -> ENOSPC");
	is_errno(dma_addr(fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, src,
			  dst, len), ENOSPC, "DMA pinning 2 x 16 pages -> ENOSPC");
	is_errno(gupdemo_bench(fd, &b), ENOSPC, "BENCH of 16 pages -> ENOSPC");
	is_errno(dma_addr(fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, src,
			  dst, 4 * psz), 0, "DMA of 2 x 4 pages fits");
	is_int(stat_of("pages_charged"), 0, "debugfs pages_charged is 0 after");
	g_param_set("max_held_pages", was);
	g_check_delta(&before, 8, 8, "only the DMA that fit pinned");
	munmap(src, len);
	munmap(dst, len);
}

static void t_usize(void)
{
	int fd = B.fd;
	static uint64_t big[1024];	/* 8 KiB of zeroes */
	struct gupdemo_info *info = (struct gupdemo_info *)big;

	diag("--- an argument struct never grows past a page ---");
	memset(big, 0, sizeof(big));
	info->size = (uint32_t)psz + 8;
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, info), E2BIG,
		 "GET_INFO with size PAGE_SIZE + 8 (zero tail) -> E2BIG");
	info->size = sizeof(*info) + 8;
	is_errno(gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, info), 0,
		 "GET_INFO with a zero tail of 8 bytes works");
}

/* The parts of group basic; --only PART runs one of them. */
static const struct g_test basic_parts[] = {
	G_TEST("dirty-ro", t_dirty_ro),
	G_TEST("unpin-dirties", t_unpin_dirties),
	G_TEST("busy", t_busy_and_kill),
	G_TEST("lengths", t_lengths),
	G_TEST("params", t_params),
	G_TEST("budget", t_budget),
	G_TEST("usize", t_usize),
};

static void group_basic(void)
{
	struct gupdemo_vmstat before = g_vmstat();
	char bdf[32];

	B.edu = edu_bound(bdf, sizeof(bdf));
	B.fd = g_open();
	g_run(basic_parts, G_N(basic_parts), G_BY_NAME);
	close(B.fd);
	stress_final_checks(&before, "basic");
}

/* ------------------------------------------------------------------ */
/* stuck                                                                */
/* ------------------------------------------------------------------ */

static bool edu_sysfs(const char *file, const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), EDU_DRV "/%s", file);
	return g_write_file(path, bdf) == 0;
}

/* Counts 64-byte stretches of the device's marker in @mib fresh MiB. */
static size_t marker_copies(size_t mib, const uint8_t *marker)
{
	size_t len = mib << 20, n = 0;
	uint8_t *p = map_anon(len);

	memset(p, 0x11, len);	/* allocate every page */
	for (size_t off = 0; off + 64 <= len; off += 64)
		n += memcmp(p + off, marker, 64) == 0;
	munmap(p, len);
	return n;
}

/* Puts @marker into edu's buffer with a normal timeout. */
static void edu_load_marker(int fd, const uint8_t *marker)
{
	is_errno(dma_addr(fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU, marker,
			  NULL, DEV_CHUNK), 0, "the device buffer holds a marker");
}

static void stuck_by_address(const char *bdf, uint8_t *marker)
{
	struct gupdemo_vmstat before;
	uint8_t *dst = map_anon(psz);
	int fd = g_open();
	int64_t da, dr;

	diag("--- a stuck device, destination given by address ---");
	edu_load_marker(fd, marker);
	memset(dst, 0, psz);
	before = g_vmstat();
	is_errno(g_param_set("edu_timeout_ms", 1), 0, "edu_timeout_ms=1");
	is_errno(dma_addr(fd, GUPDEMO_DMA_FROM_DEVICE, GUPDEMO_ENGINE_EDU, NULL,
			  dst, DEV_CHUNK), EIO,
		 "FROM_DEVICE that does not stop in time -> EIO");
	is_int(stat_of("pages_quarantined"), 1,
	       "debugfs: its page is quarantined");
	{
		struct gupdemo_vmstat now = g_vmstat();

		da = (int64_t)(now.acquired - before.acquired);
		dr = (int64_t)(now.released - before.released);
	}
	is_int(da - dr, 1, "its page is still pinned (delta acquired %lld, "
	       "released %lld)", (long long)da, (long long)dr);
	munmap(dst, psz);
	usleep(400000);	/* edu's command completes after 100 ms */
	is_int(marker_copies(64, marker), 0,
	       "the late write is in no page reallocated since");
	close(fd);
	ok(edu_sysfs("unbind", bdf), "unbind edu: bus mastering off");
	is_int(stat_of("pages_quarantined"), 0, "quarantine released");
	g_check_delta(&before, 1, 1, "stuck call by address, after unbind");
	g_param_set("edu_timeout_ms", 2000);
	ok(edu_sysfs("bind", bdf), "rebind edu");
}

static void stuck_by_handle(const char *bdf, uint8_t *marker)
{
	struct gupdemo_vmstat before;
	uint8_t *dst = map_anon(psz);
	uint64_t pins = 0, pages = 0;
	int fd = g_open();
	uint32_t h;
	bool got;

	diag("--- a stuck device, destination given by handle ---");
	edu_load_marker(fd, marker);
	memset(dst, 0, psz);
	before = g_vmstat();
	is_errno(gupdemo_pin_range(fd, dst, psz, GUPDEMO_API_PIN_FAST,
				   GUPDEMO_PIN_WRITE, &h, NULL), 0, "PIN WRITE");
	g_param_set("edu_timeout_ms", 1);
	is_errno(dma_to_handle(fd, GUPDEMO_ENGINE_EDU, h, DEV_CHUNK), EIO,
		 "FROM_DEVICE into the handle -> EIO");
	is_errno(gupdemo_unpin_handle(fd, h, 0), EBUSY,
		 "UNPIN of the quarantined handle -> EBUSY");
	is_errno(dma_to_handle(fd, GUPDEMO_ENGINE_EDU, h, 100), EIO,
		 "the device is dead: the next edu call -> EIO");
	is_errno(dma_to_handle(fd, GUPDEMO_ENGINE_SOFT, h, 100), EIO,
		 "while memory is quarantined no engine writes memory: soft -> EIO");
	close(fd);
	got = stress_held(&pins, &pages);
	ok(got && pins == 1 && pages == 1,
	   "after close the handle is still held (pins %llu, pages %llu)",
	   (unsigned long long)pins, (unsigned long long)pages);
	usleep(300000);
	ok(dst[0] == marker[0] && dst[DEV_CHUNK - 1] == marker[DEV_CHUNK - 1],
	   "the late write landed in the pinned page");
	ok(edu_sysfs("unbind", bdf), "unbind edu");
	got = stress_held(&pins, &pages);
	ok(got && pins == 0 && pages == 0,
	   "the handle is released at unbind (pins %llu, pages %llu)",
	   (unsigned long long)pins, (unsigned long long)pages);
	g_check_delta(&before, 1, 1, "stuck call on a handle, after unbind");
	g_param_set("edu_timeout_ms", 2000);
	ok(edu_sysfs("bind", bdf), "rebind edu");
	munmap(dst, psz);
}

static void group_stuck(void)
{
	struct gupdemo_vmstat before = g_vmstat();
	uint8_t *marker = map_anon(psz);
	char bdf[32];

	if (!edu_bound(bdf, sizeof(bdf))) {
		skip(1, "no edu device bound");
		return;
	}
	ok(cmdline_has("page_poison=1"),
	   "the guest poisons freed pages (a late write is reported)");
	for (size_t i = 0; i < psz; i++)
		marker[i] = (uint8_t)(0xa5 ^ (i * 13));
	stuck_by_address(bdf, marker);
	stuck_by_handle(bdf, marker);
	stress_final_checks(&before, "stuck");
}

/* ------------------------------------------------------------------ */
/* bounce                                                               */
/* ------------------------------------------------------------------ */

/* Physical address of the page holding @p (root: pagemap has PFNs). */
static uint64_t phys_of(const void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e = 0;
	off_t off = (off_t)(uaddr(p) / psz * 8);

	if (fd < 0 || pread(fd, &e, 8, off) != 8 || !(e & (1ULL << 63)))
		bail_out("pagemap: no PFN for %p", p);
	close(fd);
	return (e & ((1ULL << 55) - 1)) * psz;
}

static void bounce_soft(int fd)
{
	size_t len = 1 << 20;
	uint8_t *src = map_anon(len), *dst = map_anon(len);
	uint32_t h;

	fill(src, len, 5);
	memset(dst, 0, len);
	is_errno(dma_addr(fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, src,
			  dst, psz), 0, "soft LOOPBACK of 4 KiB");
	is_int(mismatches(dst, psz, 5), 0, "4 KiB arrived byte for byte");
	is_errno(dma_addr(fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_SOFT, src,
			  dst, len), 0, "soft LOOPBACK of 1 MiB");
	is_int(mismatches(dst, len, 5), 0, "1 MiB arrived byte for byte");
	memset(dst, 0, len);
	is_errno(gupdemo_pin_range(fd, dst, DEV_CHUNK, GUPDEMO_API_PIN_FAST,
				   GUPDEMO_PIN_WRITE, &h, NULL), 0, "PIN WRITE");
	is_errno(dma_addr(fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_SOFT, src,
			  NULL, DEV_CHUNK), 0, "soft TO_DEVICE");
	is_errno(dma_to_handle(fd, GUPDEMO_ENGINE_SOFT, h, DEV_CHUNK), 0,
		 "soft FROM_DEVICE into a handle");
	is_int(mismatches(dst, DEV_CHUNK, 5), 0, "its bytes arrived");
	gupdemo_unpin_handle(fd, h, 0);
	munmap(src, len);
	munmap(dst, len);
}

/*
 * edu LOOPBACK of 1 KiB: right bytes, or ERANGE when the device cannot
 * reach the pages directly (a 28-bit mask, no IOMMU) and swiotlb would
 * have to bounce: with swiotlb=force always, else for pages above 256 MiB.
 */
static void bounce_edu(int fd, unsigned int bits, bool forced)
{
	uint8_t *src = map_anon(psz), *dst = map_anon(psz);
	uint64_t lim = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	bool reach;
	int exp;

	fill(src, psz, 6);
	memset(dst, 0, psz);
	reach = phys_of(src) + psz - 1 <= lim && phys_of(dst) + psz - 1 <= lim;
	exp = bits >= 64 || (reach && !forced) ? 0 : ERANGE;
	is_errno(dma_addr(fd, GUPDEMO_DMA_LOOPBACK, GUPDEMO_ENGINE_EDU, src,
			  dst, 1024), exp,
		 "edu (%u-bit mask%s) LOOPBACK of 1 KiB, pages %s its reach",
		 bits, forced ? ", swiotlb=force" : "",
		 reach ? "within" : "beyond");
	if (exp)
		is_int(mismatches(dst, 1, 6), 1, "nothing was written");
	else
		is_int(mismatches(dst, 1024, 6), 0, "1 KiB arrived byte for byte");
	munmap(src, psz);
	munmap(dst, psz);
}

static bool reload(const char *params)
{
	const char *ko = getenv("GUPDEMO_KO");

	return ko && gupdemo_module_unload() == 0 &&
	       gupdemo_module_load(ko, params, NULL) == 0;
}

static void group_bounce(void)
{
	struct gupdemo_vmstat before = g_vmstat();
	bool forced = cmdline_has("swiotlb=force");
	uint64_t bits = 28;
	char bdf[32];
	int fd = g_open();

	diag("--- DMA under swiotlb (%s) ---",
	     forced ? "swiotlb=force" : "not forced");
	bounce_soft(fd);
	if (!edu_bound(bdf, sizeof(bdf))) {
		skip(2, "no edu device bound");
	} else {
		g_param_get("edu_dma_bits", &bits);
		bounce_edu(fd, (unsigned int)bits, forced);
		if (bits == 64) {
			/* The same device with the 28-bit mask it has by default. */
			close(fd);
			ok(reload("edu_dma_bits=28"), "reload with edu_dma_bits=28");
			fd = g_open();
			bounce_edu(fd, 28, forced);
			close(fd);
			ok(reload("edu_dma_bits=64"), "reload with edu_dma_bits=64");
			fd = g_open();
		}
	}
	close(fd);
	stress_final_checks(&before, "bounce");
}

/* ------------------------------------------------------------------ */
/* unbind-race                                                          */
/* ------------------------------------------------------------------ */

#define WIDEN_KO	"/etc/gupdemo/files/gupdemo_widen.ko"
#define WIDEN_HITS	"/sys/module/gupdemo_widen/parameters/hits"

/*
 * One edu DMA in a child; the parent unbinds edu @after_ms later, inside
 * the 500 ms the helper holds the child between its last engine put and
 * the wake-up.  Returns the child's errno.
 */
static int unbind_during_put(const char *bdf, unsigned int after_ms)
{
	uint8_t *src = map_anon(psz);
	int fd = g_open(), st, pfd[2];
	pid_t pid;
	char c;

	memset(src, 7, psz);
	if (pipe(pfd))
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		if (write(pfd[1], "x", 1) != 1)
			_exit(100);
		_exit(-dma_addr(fd, GUPDEMO_DMA_TO_DEVICE, GUPDEMO_ENGINE_EDU,
				src, NULL, 100));
	}
	if (read(pfd[0], &c, 1) != 1)
		bail_out("the child did not start");
	usleep(after_ms * 1000);
	ok(edu_sysfs("unbind", bdf), "unbind edu %u ms after the DMA started",
	   after_ms);
	waitpid(pid, &st, 0);
	ok(edu_sysfs("bind", bdf), "rebind edu");
	close(fd);
	close(pfd[0]);
	close(pfd[1]);
	munmap(src, psz);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void group_unbind_race(void)
{
	struct gupdemo_vmstat before = g_vmstat();
	static const unsigned int after[] = { 250, 350, 450 };
	uint64_t hits = 0;
	char bdf[32];

	if (access(WIDEN_KO, R_OK)) {
		skip(1, "needs the kprobe helper module (make check-debug builds "
		     "it for the debug kernel)");
		return;
	}
	if (!edu_bound(bdf, sizeof(bdf))) {
		skip(1, "no edu device bound");
		return;
	}
	is_int(sh("insmod " WIDEN_KO " delay_ms=500"), 0,
	       "load the helper: 500 ms between an engine put and its wake-up");
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		int err = unbind_during_put(bdf, after[i]);

		ok(err == 0 || err == ENODEV, "the DMA ended with 0 or ENODEV "
		   "(got %d)", err);
	}
	g_read_u64(WIDEN_HITS, &hits);
	ok(hits >= 1, "the helper held a putter between its decrement and its "
	   "wake-up %llu times", (unsigned long long)hits);
	is_int(sh("rmmod gupdemo_widen"), 0, "unload the helper");
	stress_final_checks(&before, "unbind-race");
}

static const struct g_test groups[] = {
	G_TEST("basic", group_basic),
	G_TEST("stuck", group_stuck),
	G_TEST("bounce", group_bounce),
	G_TEST("unbind-race", group_unbind_race),
};

int main(int argc, char **argv)
{
	psz = (size_t)sysconf(_SC_PAGESIZE);
	g_parse_args(argc, argv, G_OPT_GROUP | G_OPT_GROUP_REQUIRED | G_OPT_ONLY,
		     "t_robust --group basic|stuck|bounce|unbind-race "
		     "[--only PART]");
	g_run(groups, G_N(groups), G_BY_GROUP);
	return done_testing();
}
