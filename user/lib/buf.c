// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - buffers of a memory kind (4K, THP, hugetlb) for pinning.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gupdemo.h"

/* THP or not: advice on the whole buffer, refused by a kernel without THP. */
static int buf_advise(struct gupdemo_buf *b)
{
	switch (b->kind) {
	case GUPDEMO_MEM_4K:
		/* Without THP (EINVAL) there are only small pages anyway. */
		if (madvise(b->p, b->len, MADV_NOHUGEPAGE) && errno != EINVAL)
			return -errno;
		return 0;
	case GUPDEMO_MEM_THP:
		if (madvise(b->p, b->len, MADV_HUGEPAGE))
			return errno == EINVAL ? -EOPNOTSUPP : -errno;
		return 0;
	default:
		return 0;
	}
}

int gupdemo_buf_alloc(struct gupdemo_buf *b, enum gupdemo_mem kind, size_t len,
		      unsigned int flags)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	size_t unit = kind == GUPDEMO_MEM_4K ? psz : GUPDEMO_HUGE_SIZE;
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS;
	int ret;

	if (!b)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	if (!len || (unsigned int)kind > GUPDEMO_MEM_HUGETLB ||
	    (flags & ~GUPDEMO_BUF_ALL))
		return -EINVAL;
	if (len > SIZE_MAX - 2 * unit)
		return -EOVERFLOW;
	b->kind = kind;
	b->len = (len + unit - 1) & ~(unit - 1);
	/* A THP buffer starts at the first PMD boundary of a larger mapping. */
	b->maplen = kind == GUPDEMO_MEM_THP ? b->len + unit : b->len;
	if (kind == GUPDEMO_MEM_HUGETLB)
		mflags |= MAP_HUGETLB;
	b->map = mmap(NULL, b->maplen, PROT_READ | PROT_WRITE, mflags, -1, 0);
	if (b->map == MAP_FAILED) {
		ret = -errno;
		memset(b, 0, sizeof(*b));
		return ret;
	}
	b->p = (void *)(((uintptr_t)b->map + unit - 1) & ~(uintptr_t)(unit - 1));
	ret = buf_advise(b);
	if (ret) {
		gupdemo_buf_free(b);
		return ret;
	}
	if (flags & GUPDEMO_BUF_TOUCH)
		for (size_t i = 0; i < b->len / psz; i++)
			((volatile char *)b->p)[i * psz] = (char)(i + 1);
	return 0;
}

void gupdemo_buf_free(struct gupdemo_buf *b)
{
	if (!b)
		return;
	if (b->map)
		munmap(b->map, b->maplen);
	memset(b, 0, sizeof(*b));
}
