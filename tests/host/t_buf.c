// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: gupdemo_buf_alloc() / gupdemo_buf_free(), the buffers of a
 * memory kind: length rounding, alignment, touching, exact errnos for bad
 * arguments, and a free that is harmless on an empty struct.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gupdemo.h"
#include "tap.h"

static size_t psz;

static bool aligned(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

/* Pages of [p, p + len) that are present (mincore). */
static size_t resident(void *p, size_t len)
{
	unsigned char vec[64];
	size_t n = len / psz, in = 0;

	if (n > sizeof(vec) || mincore(p, len, vec))
		return SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		in += vec[i] & 1;
	return in;
}

static void test_4k(void)
{
	struct gupdemo_buf b;
	bool bytes = true;
	int ret;

	ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_4K, 1, 0);
	is_errno(ret, 0, "4K, 1 byte");
	is_u64(b.len, psz, "4K: 1 byte rounds up to one page");
	ok(aligned(b.p, psz) && b.p == b.map && b.maplen == b.len,
	   "4K: page aligned, the buffer is the whole mapping");
	is_u64(resident(b.p, b.len), 0, "4K without TOUCH: nothing populated");
	gupdemo_buf_free(&b);
	ok(!b.p && !b.map && !b.len && !b.maplen, "free zeroes the struct");

	ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_4K, 2 * psz + 1,
				GUPDEMO_BUF_TOUCH);
	is_errno(ret, 0, "4K, two pages and a byte, TOUCH");
	is_u64(b.len, 3 * psz, "4K: rounds up to whole pages");
	is_u64(resident(b.p, b.len), 3, "TOUCH: every page is present");
	for (size_t i = 0; i < 3; i++)
		bytes &= ((char *)b.p)[i * psz] == (char)(i + 1);
	ok(bytes, "TOUCH: page i starts with i + 1");
	gupdemo_buf_free(&b);
	gupdemo_buf_free(&b);
	pass("a second free of the same buffer is harmless");

	ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_4K, 4 * psz, 0);
	is_u64(ret == 0 ? b.len : 0, 4 * psz, "4K: a whole number of pages stays");
	gupdemo_buf_free(&b);
}

static void test_thp(void)
{
	struct gupdemo_buf b;
	int ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_THP, 1, 0);

	if (ret == -EOPNOTSUPP) {
		ok(!b.p && !b.map, "THP refused: the struct is empty");
		skip(4, "the host kernel has no THP (MADV_HUGEPAGE refused)");
		return;
	}
	is_errno(ret, 0, "THP, 1 byte");
	ok(aligned(b.p, GUPDEMO_HUGE_SIZE), "THP: aligned to 2 MiB (%p)", b.p);
	is_u64(b.len, GUPDEMO_HUGE_SIZE, "THP: 1 byte rounds up to 2 MiB");
	ok((char *)b.map <= (char *)b.p &&
	   (char *)b.p + b.len <= (char *)b.map + b.maplen,
	   "THP: the buffer lies inside its mapping");
	gupdemo_buf_free(&b);
	ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_THP, GUPDEMO_HUGE_SIZE + psz,
				GUPDEMO_BUF_TOUCH);
	ok(ret == 0 && b.len == 2 * GUPDEMO_HUGE_SIZE &&
	   aligned(b.p, GUPDEMO_HUGE_SIZE),
	   "THP: 2 MiB and a page round up to 4 MiB, aligned, touched");
	gupdemo_buf_free(&b);
}

static void test_hugetlb(void)
{
	struct gupdemo_buf b;
	int ret = gupdemo_buf_alloc(&b, GUPDEMO_MEM_HUGETLB, psz, 0);

	if (ret == -ENOMEM) {
		ok(!b.p && !b.map, "hugetlb refused: the struct is empty");
		skip(1, "no hugetlb page reserved on the host (ENOMEM)");
		return;
	}
	is_errno(ret, 0, "hugetlb, one page");
	ok(b.len == GUPDEMO_HUGE_SIZE && aligned(b.p, GUPDEMO_HUGE_SIZE),
	   "hugetlb: one page rounds up to one 2 MiB huge page, aligned");
	gupdemo_buf_free(&b);
}

/* A struct full of garbage must come back zeroed from a refusal. */
static void bad(enum gupdemo_mem kind, size_t len, unsigned int flags,
		int exp_errno, const char *what)
{
	struct gupdemo_buf b;
	int ret;

	memset(&b, 0xa5, sizeof(b));
	ret = gupdemo_buf_alloc(&b, kind, len, flags);
	is_errno(ret, exp_errno, "%s", what);
	ok(!b.p && !b.map && !b.len && !b.maplen, "%s: the struct is empty",
	   what);
}

static void test_bad(void)
{
	struct gupdemo_buf zero = { 0 };

	bad(GUPDEMO_MEM_4K, 0, 0, EINVAL, "len 0");
	bad(GUPDEMO_MEM_THP, 0, GUPDEMO_BUF_TOUCH, EINVAL, "THP, len 0");
	bad((enum gupdemo_mem)3, psz, 0, EINVAL, "unknown kind 3");
	bad((enum gupdemo_mem)-1, psz, 0, EINVAL, "unknown kind -1");
	bad(GUPDEMO_MEM_4K, psz, 1u << 1, EINVAL, "unknown flag bit 1");
	bad(GUPDEMO_MEM_4K, psz, ~0u, EINVAL, "every flag bit");
	bad(GUPDEMO_MEM_4K, SIZE_MAX, 0, EOVERFLOW, "len SIZE_MAX");
	bad(GUPDEMO_MEM_THP, SIZE_MAX - GUPDEMO_HUGE_SIZE, 0, EOVERFLOW,
	    "THP, len near SIZE_MAX");
	is_errno(gupdemo_buf_alloc(NULL, GUPDEMO_MEM_4K, psz, 0), EINVAL,
		 "NULL buffer");
	gupdemo_buf_free(&zero);
	gupdemo_buf_free(NULL);
	pass("free of a zeroed struct and of NULL is harmless");
}

int main(void)
{
	psz = (size_t)sysconf(_SC_PAGESIZE);
	test_4k();
	test_thp();
	test_hugetlb();
	test_bad();
	return done_testing();
}
