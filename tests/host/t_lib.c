// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: the parts of libgupdemo that need no module: kernel version
 * parsing, page spans, names, fault-in, error paths of open/ioctl/kmod.
 */
#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "gupdemo.h"
#include "tap.h"

static void kver(const char *rel, const char *ver, int exp_errno,
		 uint32_t exp, const char *what)
{
	uint32_t code = 0xdeadbeef;
	int ret = gupdemo_kernel_version_parse(rel, ver, &code);

	if (exp_errno)
		ok(ret == -exp_errno && code == 0xdeadbeef,
		   "kernel version: %s -> %s, output untouched", what,
		   strerrorname_np(exp_errno));
	else
		ok(ret == 0 && code == exp,
		   "kernel version: %s -> 0x%06x (got %d, 0x%06x)", what, exp,
		   ret, code);
}

static void test_kernel_version(void)
{
	struct utsname u;
	uint32_t code;

	/* Numbers from Debian's include/generated/uapi/linux/version.h. */
	kver("6.1.0-56-amd64",
	     "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2025-11-16)", 0, 393664,
	     "Debian 6.1 (ABI name in release, sublevel in version)");
	kver("6.12.117+deb12-amd64",
	     "#1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~deb12u1 (2025-11-14)", 0,
	     396405, "Debian 6.12");
	kver("6.12.117+deb12-amd64", NULL, 0, 396405, "6.12 without version");
	kver("6.1.0-56-amd64", NULL, 0, GUPDEMO_KERNEL_VERSION(6, 1, 0),
	     "6.1 without version: sublevel 0");
	kver("6.1.0-56-amd64", "#1 SMP Debian 5.10.200-1 (2024-01-01)", 0,
	     GUPDEMO_KERNEL_VERSION(6, 1, 0),
	     "Debian version of another series is ignored");
	kver("4.19.300", "#1 SMP", 0, GUPDEMO_KERNEL_VERSION(4, 19, 255),
	     "sublevel clamped to 255");
	kver("6.18", "", 0, GUPDEMO_KERNEL_VERSION(6, 18, 0), "two components");
	kver("6.8.0-rc3", "", 0, GUPDEMO_KERNEL_VERSION(6, 8, 0), "rc kernel");
	kver("6", "", EINVAL, 0, "one component");
	kver("abc", "", EINVAL, 0, "not a version");
	kver("", "", EINVAL, 0, "empty");
	kver("300.1.1", "", EINVAL, 0, "major above 255");
	is_errno(gupdemo_kernel_version_parse(NULL, NULL, &code), EINVAL,
		 "kernel version: NULL release -> EINVAL");
	ok(GUPDEMO_KERNEL_VERSION(6, 1, 192) == 393664,
	   "GUPDEMO_KERNEL_VERSION matches KERNEL_VERSION encoding");

	uname(&u);
	is_errno(gupdemo_kernel_version(&code), 0,
		 "gupdemo_kernel_version() on this host (%s -> %u.%u.%u)",
		 u.release, code >> 16, (code >> 8) & 0xff, code & 0xff);
}

static void span(uint64_t addr, uint64_t len, uint64_t psz, int exp_errno,
		 uint64_t exp, const char *what)
{
	uint64_t n = 12345;
	int ret = gupdemo_page_span(addr, len, psz, &n);

	if (exp_errno)
		is_errno(ret, exp_errno, "page span: %s", what);
	else
		ok(ret == 0 && n == exp, "page span: %s = %" PRIu64
		   " (got %d, %" PRIu64 ")", what, exp, ret, n);
}

static void test_page_span(void)
{
	span(0x10000, 0, 4096, 0, 0, "len 0");
	span(0x10000, 1, 4096, 0, 1, "len 1");
	span(0x10000, 4095, 4096, 0, 1, "PAGE_SIZE - 1");
	span(0x10000, 4096, 4096, 0, 1, "PAGE_SIZE");
	span(0x10000, 4097, 4096, 0, 2, "PAGE_SIZE + 1");
	span(0x10fff, 2, 4096, 0, 2, "2 bytes across a page boundary");
	span(0x10001, 4096, 4096, 0, 2, "unaligned PAGE_SIZE");
	span(0x10001, 8190, 4096, 0, 2, "unaligned, ends on the last byte");
	span(0x10001, 8191, 4096, 0, 2, "unaligned, ends at the boundary");
	span(0x10001, 8192, 4096, 0, 3, "unaligned, one byte more");
	span(0x200000, 0x400000, 0x200000, 0, 2, "2 MiB pages");
	span(UINT64_MAX, 1, 4096, 0, 1, "last byte of the address space");
	span(UINT64_MAX - 10, 100, 4096, EOVERFLOW, 0, "wrap -> EOVERFLOW");
	span(0, 1, 3000, EINVAL, 0, "page size not a power of two");
	span(0, 1, 0, EINVAL, 0, "page size 0");
}

static void test_names(void)
{
	const char *name;
	uint32_t api, bad = 0;
	unsigned int named;

	for (api = 0; api < GUPDEMO_API_COUNT; api++) {
		uint32_t back = 999;

		if (gupdemo_api_name(api, &name) ||
		    gupdemo_api_from_name(name, &back) || back != api)
			bad++;
	}
	is_int(bad, 0, "api names round-trip for all %d apis", GUPDEMO_API_COUNT);
	ok(gupdemo_api_name(GUPDEMO_API_GET_FAST, &name) == 0 &&
	   strcmp(name, "get_fast") == 0, "api name of GET_FAST is get_fast");
	is_errno(gupdemo_api_name(GUPDEMO_API_COUNT, &name), EINVAL,
		 "api name of GUPDEMO_API_COUNT -> EINVAL");
	is_errno(gupdemo_api_from_name("pin_slow", &api), EINVAL,
		 "unknown api name -> EINVAL");
	ok(gupdemo_feature_name(0, &name) == 0 && strcmp(name, "pin") == 0,
	   "feature bit 0 is 'pin'");
	ok(gupdemo_feature_name(7, &name) == 0 &&
	   strcmp(name, "engine_edu") == 0, "feature bit 7 is 'engine_edu'");
	ok(gupdemo_feature_name(8, &name) == 0 && strcmp(name, "bench") == 0,
	   "feature bit 8 is 'bench'");
	ok(gupdemo_feature_name(9, &name) == 0 && strcmp(name, "mirror") == 0,
	   "feature bit 9 is 'mirror'");
	ok(gupdemo_feature_name(10, &name) == 0 &&
	   strcmp(name, "dma_iova") == 0, "feature bit 10 is 'dma_iova'");
	ok(gupdemo_feature_name(11, &name) == 0 &&
	   strcmp(name, "dma_keep") == 0, "feature bit 11 is 'dma_keep'");
	ok(gupdemo_feature_name(12, &name) == 0 &&
	   strcmp(name, "mirror_live") == 0, "feature bit 12 is 'mirror_live'");
	/* Every bit the header defines has a name; the next one has none. */
	named = 0;
	while ((1ULL << named) <= GUPDEMO_FEAT_MIRROR_LIVE &&
	       gupdemo_feature_name(named, &name) == 0)
		named++;
	ok((1ULL << named) > GUPDEMO_FEAT_MIRROR_LIVE,
	   "every feature bit up to MIRROR_LIVE has a name (%u named)", named);
	is_errno(gupdemo_feature_name(13, &name), EINVAL,
		 "feature bit 13 (unknown) -> EINVAL");
}

static void test_fault_in(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *m, *ro;

	m = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || ro == MAP_FAILED)
		bail_out("mmap failed");
	m[0] = 'a';
	m[psz] = 'b';
	m[3 * psz - 1] = 'c';
	is_errno(gupdemo_fault_in(m + 1, 3 * psz - 2, true), 0,
		 "fault_in: write over 3 unaligned pages");
	ok(m[0] == 'a' && m[psz] == 'b' && m[3 * psz - 1] == 'c',
	   "fault_in: write touch preserves the data");
	is_errno(gupdemo_fault_in(m, 4 * psz, false), 0,
		 "fault_in: read over 4 pages");
	is_errno(gupdemo_fault_in(m, 0, true), 0, "fault_in: len 0 is a no-op");
	is_errno(gupdemo_fault_in(ro, psz, false), 0,
		 "fault_in: read of a read-only mapping");
	is_errno(gupdemo_fault_in(ro, psz, true), EFAULT,
		 "fault_in: write to a read-only mapping -> EFAULT (no SIGSEGV)");

	mprotect(m + psz, psz, PROT_NONE);
	is_errno(gupdemo_fault_in(m, 3 * psz, false), EFAULT,
		 "fault_in: PROT_NONE page in the middle -> EFAULT");
	munmap(m + psz, psz);
	is_errno(gupdemo_fault_in(m, 3 * psz, false), EFAULT,
		 "fault_in: hole in the middle -> EFAULT");
	is_errno(gupdemo_fault_in(m + 2 * psz, 2 * psz, true), 0,
		 "fault_in: the part after the hole still works");
	is_errno(gupdemo_fault_in((void *)(uintptr_t)0xffffffff81000000ULL, psz,
				  false), EFAULT,
		 "fault_in: kernel address -> EFAULT");
	is_errno(gupdemo_fault_in((void *)(uintptr_t)(UINTPTR_MAX - 10), 100,
				  false), EOVERFLOW,
		 "fault_in: wrapping range -> EOVERFLOW");
	munmap(m, psz);
	munmap(m + 2 * psz, 2 * psz);
	munmap(ro, psz);
}

static void test_device_errors(void)
{
	struct gupdemo_info info;
	int fd = -1, ret;

	is_errno(gupdemo_open("/nonexistent/gupdemo", &fd), ENOENT,
		 "open: missing node -> ENOENT");
	is_errno(gupdemo_open(NULL, NULL), EINVAL, "open: NULL fd pointer -> EINVAL");
	ret = gupdemo_open("/dev/null", &fd);
	is_errno(ret, 0, "open: any path can be given (/dev/null)");
	if (ret == 0) {
		is_errno(gupdemo_get_info(fd, &info), ENOTTY,
			 "get_info on /dev/null -> ENOTTY");
		is_errno(gupdemo_close(fd), 0, "close -> 0");
	} else {
		skip(2, "/dev/null cannot be opened");
	}
	is_errno(gupdemo_close(-1), EBADF, "close(-1) -> EBADF");
	is_errno(gupdemo_get_info(-1, &info), EBADF, "get_info(-1) -> EBADF");
	is_errno(gupdemo_pin(-1, NULL), EINVAL, "pin with NULL struct -> EINVAL");
}

/* gupdemo_module_params() on @path, loop.ko: max_part is one of them. */
static void test_module_params(const char *path)
{
	struct gupdemo_module_param p[32], one[2];
	size_t n = 0, n1 = 0, n0 = 0;
	bool found = false;
	int ret;

	ret = gupdemo_module_params(path, p, 32, &n);
	is_errno(ret, 0, "module_params(%s)", path);
	for (size_t i = 0; !ret && i < n && i < 32; i++)
		if (strcmp(p[i].name, "max_part") == 0)
			found = p[i].desc[0] && strcmp(p[i].type, "int") == 0;
	ok(found, "module_params(): max_part, int, with its description");
	memset(one, 0x5a, sizeof(one));
	ret = gupdemo_module_params(path, one, 1, &n1);
	ok(ret == 0 && n1 == n && strcmp(one[0].name, p[0].name) == 0 &&
	   one[1].name[0] == 0x5a, "module_params() into 1 entry: counts %zu, "
	   "writes only the first", n);
	is_errno(gupdemo_module_params(path, NULL, 0, &n0), 0,
		 "module_params() with no room: only the count");
	is_int(n0, n, "the count is the same");
	is_errno(gupdemo_module_params(path, p, 32, NULL), EINVAL,
		 "module_params() without n -> EINVAL");
}

static void test_kmod_on_host(void)
{
	char vermagic[256];
	bool loaded = true;
	glob_t g;
	int ret;

	ret = gupdemo_module_loaded(&loaded);
	is_errno(ret, 0, "module_loaded() works without the module");
	ok(ret == 0 && !loaded, "gupdemo is not loaded on the build host");
	is_errno(gupdemo_module_unload(), ENOENT,
		 "module_unload() when not loaded -> ENOENT");
	is_errno(gupdemo_module_load("/nonexistent/gupdemo.ko", NULL, NULL),
		 ENOENT, "module_load() of a missing file -> ENOENT");
	is_errno(gupdemo_module_vermagic("/nonexistent/gupdemo.ko", vermagic,
					 sizeof(vermagic)), ENOENT,
		 "module_vermagic() of a missing file -> ENOENT");
	{
		struct gupdemo_module_param p[4];
		size_t n = 0;

		is_errno(gupdemo_module_params("/nonexistent/gupdemo.ko", p, 4,
					       &n), ENOENT,
			 "module_params() of a missing file -> ENOENT");
	}

	/* Any uncompressed module of an installed kernel tells its vermagic. */
	if (glob("/lib/modules/*/kernel/drivers/block/loop.ko", 0, NULL, &g) ==
	    0 && g.gl_pathc > 0) {
		const char *path = g.gl_pathv[0];
		const char *rel = path + strlen("/lib/modules/");
		size_t rlen = strcspn(rel, "/");

		ret = gupdemo_module_vermagic(path, vermagic, sizeof(vermagic));
		ok(ret == 0 && strncmp(vermagic, rel, rlen) == 0 &&
		   vermagic[rlen] == ' ',
		   "module_vermagic(%s) starts with its kernel release", path);
		is_errno(gupdemo_module_vermagic(path, vermagic, 4),
			 ENAMETOOLONG, "module_vermagic() into a 4-byte buffer "
			 "-> ENAMETOOLONG");
		test_module_params(path);
		globfree(&g);
	} else {
		skip(2, "no uncompressed loop.ko installed");
		skip(6, "no uncompressed loop.ko installed");
	}
}

int main(void)
{
	test_kernel_version();
	test_page_span();
	test_names();
	test_fault_in();
	test_device_errors();
	test_kmod_on_host();
	return done_testing();
}
