// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - what is measured: the GUP APIs and memory kinds of the
 * cells, and the buffers and held pins every run measures on.
 */
#include "bench_model.h"

const struct bench_api apis[N_APIS] = {
	/* pin_user_pages_fast() */
	{ "fast", GUPDEMO_API_PIN_FAST, 0 },
	/* pin_user_pages() under mmap_read_lock */
	{ "locked", GUPDEMO_API_PIN, 0 },
	/* pin_user_pages(FOLL_LONGTERM) */
	{ "longterm", GUPDEMO_API_PIN, GUPDEMO_PIN_LONGTERM },
	/* get_user_pages_fast() (FOLL_GET) */
	{ "get", GUPDEMO_API_GET_FAST, 0 },
};

const char *const mem_names[N_MEMS] = { "4k", "thp", "hugetlb" };

static const enum gupdemo_mem mem_kinds[N_MEMS] = {
	[MEM_4K] = GUPDEMO_MEM_4K,
	[MEM_THP] = GUPDEMO_MEM_THP,
	[MEM_HUGETLB] = GUPDEMO_MEM_HUGETLB,
};

/* @len bytes of @kind, every page written (touched) before any timing. */
int bench_buf_alloc(const struct bench *b, enum mem_kind kind, size_t len,
		    struct gupdemo_buf *m)
{
	(void)b;
	return gupdemo_buf_alloc(m, mem_kinds[kind], len, GUPDEMO_BUF_TOUCH);
}

/* A long-term pin held by handle, as a driver's buffer would be. */
int bench_hold(const struct bench *b, void *addr, size_t len, bool write,
	       uint32_t *handle)
{
	return gupdemo_pin_range(b->fd, addr, len, GUPDEMO_API_PIN_FAST,
				 GUPDEMO_PIN_LONGTERM |
				 (write ? GUPDEMO_PIN_WRITE : 0), handle, NULL);
}
