// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: the uapi ABI of <linux/gupdemo.h>, pinned down to the byte.
 *
 * Every number is asserted twice: with static_assert (the build breaks when
 * the header changes) and at run time (the TAP output lists the layout).
 * A struct is free of implicit padding when the sum of its fields equals its
 * size; the sizes must be multiples of 8 so that 32- and 64-bit userspace
 * see the same layout.
 */
#include <assert.h>
#include <stddef.h>
#include <sys/ioctl.h>

#include <linux/gupdemo.h>

#include "tap.h"

#define FSIZE(type, field) sizeof(((type *)0)->field)

/* Asserts offset and size of one field; adds its size to the running sum. */
#define FIELD(type, field, off, sz)					\
	do {								\
		static_assert(offsetof(type, field) == (off),		\
			      #type "." #field " offset");		\
		static_assert(FSIZE(type, field) == (sz),		\
			      #type "." #field " size");		\
		ok(offsetof(type, field) == (off) &&			\
		   FSIZE(type, field) == (sz),				\
		   #type "." #field " at offset " #off ", " #sz " bytes"); \
		sum += FSIZE(type, field);				\
	} while (0)

#define STRUCT_END(type, total)						\
	do {								\
		static_assert(sizeof(type) == (total), #type " size");	\
		static_assert(sizeof(type) % 8 == 0,			\
			      #type " size is a multiple of 8");	\
		static_assert(_Alignof(type) == 8, #type " alignment");	\
		is_int(sizeof(type), total, #type " is " #total " bytes"); \
		is_int(sum, sizeof(type),				\
		       #type ": fields add up to its size (no padding)"); \
		ok(sizeof(type) % 8 == 0 && _Alignof(type) == 8,	\
		   #type ": size multiple of 8, 8-byte aligned");	\
		sum = 0;						\
	} while (0)

static void test_layout_info(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_info, size, 0, 4);
	FIELD(struct gupdemo_info, flags, 4, 4);
	FIELD(struct gupdemo_info, uapi_version, 8, 4);
	FIELD(struct gupdemo_info, kernel_version, 12, 4);
	FIELD(struct gupdemo_info, features, 16, 8);
	FIELD(struct gupdemo_info, page_size, 24, 4);
	FIELD(struct gupdemo_info, max_pin_pages, 28, 4);
	FIELD(struct gupdemo_info, pins_held, 32, 8);
	FIELD(struct gupdemo_info, pages_held, 40, 8);
	FIELD(struct gupdemo_info, pins_total, 48, 8);
	FIELD(struct gupdemo_info, failures_total, 56, 8);
	FIELD(struct gupdemo_info, mirrors_held, 64, 8);
	FIELD(struct gupdemo_info, mirror_pages_held, 72, 8);
	FIELD(struct gupdemo_info, max_mirror_pages, 80, 4);
	FIELD(struct gupdemo_info, max_mirror_pages_file, 84, 4);
	STRUCT_END(struct gupdemo_info, 88);
}

static void test_layout_pin(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_pin, size, 0, 4);
	FIELD(struct gupdemo_pin, flags, 4, 4);
	FIELD(struct gupdemo_pin, addr, 8, 8);
	FIELD(struct gupdemo_pin, len, 16, 8);
	FIELD(struct gupdemo_pin, api, 24, 4);
	FIELD(struct gupdemo_pin, batch, 28, 4);
	FIELD(struct gupdemo_pin, handle, 32, 4);
	FIELD(struct gupdemo_pin, __reserved, 36, 4);
	FIELD(struct gupdemo_pin, npages, 40, 8);
	FIELD(struct gupdemo_pin, get_ns, 48, 8);
	STRUCT_END(struct gupdemo_pin, 56);
}

static void test_layout_unpin(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_unpin, size, 0, 4);
	FIELD(struct gupdemo_unpin, flags, 4, 4);
	FIELD(struct gupdemo_unpin, handle, 8, 4);
	FIELD(struct gupdemo_unpin, __reserved, 12, 4);
	FIELD(struct gupdemo_unpin, put_ns, 16, 8);
	STRUCT_END(struct gupdemo_unpin, 24);
}

static void test_layout_query(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_query, size, 0, 4);
	FIELD(struct gupdemo_query, flags, 4, 4);
	FIELD(struct gupdemo_query, handle, 8, 4);
	FIELD(struct gupdemo_query, api, 12, 4);
	FIELD(struct gupdemo_query, pin_flags, 16, 4);
	FIELD(struct gupdemo_query, __reserved, 20, 4);
	FIELD(struct gupdemo_query, addr, 24, 8);
	FIELD(struct gupdemo_query, len, 32, 8);
	FIELD(struct gupdemo_query, npages, 40, 8);
	FIELD(struct gupdemo_query, npinned, 48, 8);
	FIELD(struct gupdemo_query, nfolios, 56, 8);
	FIELD(struct gupdemo_query, nzero, 64, 8);
	FIELD(struct gupdemo_query, kmem_bytes, 72, 8);
	STRUCT_END(struct gupdemo_query, 80);
}

static void test_layout_dma(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_dma, size, 0, 4);
	FIELD(struct gupdemo_dma, flags, 4, 4);
	FIELD(struct gupdemo_dma, op, 8, 4);
	FIELD(struct gupdemo_dma, engine, 12, 4);
	FIELD(struct gupdemo_dma, src_handle, 16, 4);
	FIELD(struct gupdemo_dma, dst_handle, 20, 4);
	FIELD(struct gupdemo_dma, src_addr, 24, 8);
	FIELD(struct gupdemo_dma, dst_addr, 32, 8);
	FIELD(struct gupdemo_dma, len, 40, 8);
	FIELD(struct gupdemo_dma, bytes, 48, 8);
	FIELD(struct gupdemo_dma, pin_ns, 56, 8);
	FIELD(struct gupdemo_dma, map_ns, 64, 8);
	FIELD(struct gupdemo_dma, xfer_ns, 72, 8);
	FIELD(struct gupdemo_dma, unmap_ns, 80, 8);
	FIELD(struct gupdemo_dma, unpin_ns, 88, 8);
	FIELD(struct gupdemo_dma, sg_ns, 96, 8);
	FIELD(struct gupdemo_dma, src_path, 104, 4);
	FIELD(struct gupdemo_dma, dst_path, 108, 4);
	FIELD(struct gupdemo_dma, mirror_map, 112, 4);
	FIELD(struct gupdemo_dma, mirror_mapped, 116, 4);
	STRUCT_END(struct gupdemo_dma, 120);
}

static void test_layout_bench(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_bench, size, 0, 4);
	FIELD(struct gupdemo_bench, flags, 4, 4);
	FIELD(struct gupdemo_bench, addr, 8, 8);
	FIELD(struct gupdemo_bench, len, 16, 8);
	FIELD(struct gupdemo_bench, api, 24, 4);
	FIELD(struct gupdemo_bench, pin_flags, 28, 4);
	FIELD(struct gupdemo_bench, batch, 32, 4);
	FIELD(struct gupdemo_bench, __reserved, 36, 4);
	FIELD(struct gupdemo_bench, npages, 40, 8);
	FIELD(struct gupdemo_bench, get_ns, 48, 8);
	FIELD(struct gupdemo_bench, put_ns, 56, 8);
	STRUCT_END(struct gupdemo_bench, 64);
}

static void test_layout_mirror(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_mirror, size, 0, 4);
	FIELD(struct gupdemo_mirror, flags, 4, 4);
	FIELD(struct gupdemo_mirror, handle, 8, 4);
	FIELD(struct gupdemo_mirror, __reserved, 12, 4);
	FIELD(struct gupdemo_mirror, addr, 16, 8);
	FIELD(struct gupdemo_mirror, len, 24, 8);
	FIELD(struct gupdemo_mirror, npages, 32, 8);
	STRUCT_END(struct gupdemo_mirror, 40);
}

static void test_layout_unmirror(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_unmirror, size, 0, 4);
	FIELD(struct gupdemo_unmirror, flags, 4, 4);
	FIELD(struct gupdemo_unmirror, handle, 8, 4);
	FIELD(struct gupdemo_unmirror, __reserved, 12, 4);
	FIELD(struct gupdemo_unmirror, invalidations, 16, 8);
	STRUCT_END(struct gupdemo_unmirror, 24);
}

static void test_layout_mirror_query(void)
{
	size_t sum = 0;

	FIELD(struct gupdemo_mirror_query, size, 0, 4);
	FIELD(struct gupdemo_mirror_query, flags, 4, 4);
	FIELD(struct gupdemo_mirror_query, handle, 8, 4);
	FIELD(struct gupdemo_mirror_query, mirror_flags, 12, 4);
	FIELD(struct gupdemo_mirror_query, addr, 16, 8);
	FIELD(struct gupdemo_mirror_query, len, 24, 8);
	FIELD(struct gupdemo_mirror_query, npages, 32, 8);
	FIELD(struct gupdemo_mirror_query, nvalid, 40, 8);
	FIELD(struct gupdemo_mirror_query, faults, 48, 8);
	FIELD(struct gupdemo_mirror_query, refaults, 56, 8);
	FIELD(struct gupdemo_mirror_query, retries, 64, 8);
	FIELD(struct gupdemo_mirror_query, invalidations, 72, 8);
	FIELD(struct gupdemo_mirror_query, events, 80, 64);
	FIELD(struct gupdemo_mirror_query, live_engine, 144, 4);
	FIELD(struct gupdemo_mirror_query, live_nmapped, 148, 4);
	FIELD(struct gupdemo_mirror_query, live_mapped, 152, 8);
	FIELD(struct gupdemo_mirror_query, live_unmapped, 160, 8);
	STRUCT_END(struct gupdemo_mirror_query, 168);
}

/* One function per struct: each keeps its own running sum. */
static void test_layout(void)
{
	test_layout_info();
	test_layout_pin();
	test_layout_unpin();
	test_layout_query();
	test_layout_dma();
	test_layout_bench();
	test_layout_mirror();
	test_layout_unmirror();
	test_layout_mirror_query();
}

/* Every value of a flag set is one bit, the bits are distinct, _ALL is their union. */
#define CONST_IS(expr, val)						\
	do {								\
		static_assert((expr) == (val), #expr " == " #val);	\
		is_u64((expr), (val), #expr " == " #val);		\
	} while (0)

static void test_constants(void)
{
	CONST_IS(GUPDEMO_UAPI_VERSION, 1);
	CONST_IS(GUPDEMO_IOCTL_TYPE, 0xBE);

	/* Features: bits 0..8, each once. */
	CONST_IS(GUPDEMO_FEAT_PIN, 1ULL << 0);
	CONST_IS(GUPDEMO_FEAT_PIN_FAST_ONLY, 1ULL << 1);
	CONST_IS(GUPDEMO_FEAT_LONGTERM_UNLOCKED, 1ULL << 2);
	CONST_IS(GUPDEMO_FEAT_FAIL_INJECT, 1ULL << 3);
	CONST_IS(GUPDEMO_FEAT_MMAP_PFNMAP, 1ULL << 4);
	CONST_IS(GUPDEMO_FEAT_DMA, 1ULL << 5);
	CONST_IS(GUPDEMO_FEAT_ENGINE_SOFT, 1ULL << 6);
	CONST_IS(GUPDEMO_FEAT_ENGINE_EDU, 1ULL << 7);
	CONST_IS(GUPDEMO_FEAT_BENCH, 1ULL << 8);
	CONST_IS(GUPDEMO_FEAT_MIRROR, 1ULL << 9);
	CONST_IS(GUPDEMO_FEAT_DMA_IOVA, 1ULL << 10);
	CONST_IS(GUPDEMO_FEAT_DMA_KEEP, 1ULL << 11);
	CONST_IS(GUPDEMO_FEAT_MIRROR_LIVE, 1ULL << 12);

	CONST_IS(GUPDEMO_API_PIN_FAST, 0);
	CONST_IS(GUPDEMO_API_PIN, 1);
	CONST_IS(GUPDEMO_API_PIN_UNLOCKED, 2);
	CONST_IS(GUPDEMO_API_PIN_REMOTE, 3);
	CONST_IS(GUPDEMO_API_PIN_FAST_ONLY, 4);
	CONST_IS(GUPDEMO_API_GET_FAST, 5);
	CONST_IS(GUPDEMO_API_COUNT, 6);

	CONST_IS(GUPDEMO_PIN_WRITE, 1U << 0);
	CONST_IS(GUPDEMO_PIN_LONGTERM, 1U << 1);
	CONST_IS(GUPDEMO_PIN_NOFAULT, 1U << 2);
	CONST_IS(GUPDEMO_PIN_NO_RETRY, 1U << 3);
	CONST_IS(GUPDEMO_PIN_ALL, 0xfU);
	CONST_IS(GUPDEMO_PIN_ALL, GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM |
		 GUPDEMO_PIN_NOFAULT | GUPDEMO_PIN_NO_RETRY);

	CONST_IS(GUPDEMO_UNPIN_DIRTY, 1U << 0);
	CONST_IS(GUPDEMO_UNPIN_SKIP_DIRTY, 1U << 1);
	CONST_IS(GUPDEMO_UNPIN_ALL, 0x3U);
}

static void test_dma_mirror_constants(void)
{
	CONST_IS(GUPDEMO_DMA_TO_DEVICE, 0);
	CONST_IS(GUPDEMO_DMA_FROM_DEVICE, 1);
	CONST_IS(GUPDEMO_DMA_LOOPBACK, 2);
	CONST_IS(GUPDEMO_DMA_MEMCPY, 3);
	CONST_IS(GUPDEMO_DMA_OP_COUNT, 4);
	CONST_IS(GUPDEMO_ENGINE_AUTO, 0);
	CONST_IS(GUPDEMO_ENGINE_EDU, 1);
	CONST_IS(GUPDEMO_ENGINE_SOFT, 2);
	CONST_IS(GUPDEMO_ENGINE_COUNT, 3);
	CONST_IS(GUPDEMO_DMA_SRC_HANDLE, 1U << 0);
	CONST_IS(GUPDEMO_DMA_DST_HANDLE, 1U << 1);
	CONST_IS(GUPDEMO_DMA_ALLOW_GET, 1U << 2);
	CONST_IS(GUPDEMO_DMA_SRC_MIRROR, 1U << 3);
	CONST_IS(GUPDEMO_DMA_DST_MIRROR, 1U << 4);
	CONST_IS(GUPDEMO_DMA_MAP_SG, 1U << 5);
	CONST_IS(GUPDEMO_DMA_MAP_IOVA, 1U << 6);
	CONST_IS(GUPDEMO_DMA_KEEP_MAPPED, 1U << 7);
	CONST_IS(GUPDEMO_DMA_ALL, 0xffU);
	CONST_IS(GUPDEMO_DMA_PATH_NONE, 0);
	CONST_IS(GUPDEMO_DMA_PATH_SG, 1);
	CONST_IS(GUPDEMO_DMA_PATH_IOVA, 2);
	CONST_IS(GUPDEMO_DMA_PATH_HELD, 1U << 8);
	CONST_IS(GUPDEMO_MIRROR_WRITE, 1U << 0);
	CONST_IS(GUPDEMO_MIRROR_ALL, 0x1U);
	CONST_IS(GUPDEMO_MIRROR_EV_UNMAP, 0);
	CONST_IS(GUPDEMO_MIRROR_EV_OTHER, 7);
	CONST_IS(GUPDEMO_MIRROR_EVENTS, 8);
}

static void test_commands(void)
{
	/* Commands: _IO (no size, no direction: the size is in the struct). */
	CONST_IS(GUPDEMO_IOC_GET_INFO, 0xBE00U);
	CONST_IS(GUPDEMO_IOC_PIN, 0xBE01U);
	CONST_IS(GUPDEMO_IOC_UNPIN, 0xBE02U);
	CONST_IS(GUPDEMO_IOC_QUERY, 0xBE03U);
	CONST_IS(GUPDEMO_IOC_DMA, 0xBE04U);
	CONST_IS(GUPDEMO_IOC_BENCH, 0xBE05U);
	CONST_IS(GUPDEMO_IOC_MIRROR, 0xBE06U);
	CONST_IS(GUPDEMO_IOC_UNMIRROR, 0xBE07U);
	CONST_IS(GUPDEMO_IOC_MIRROR_QUERY, 0xBE08U);
	CONST_IS(_IOC_TYPE(GUPDEMO_IOC_DMA), GUPDEMO_IOCTL_TYPE);
	CONST_IS(_IOC_DIR(GUPDEMO_IOC_PIN), _IOC_NONE);
	CONST_IS(_IOC_SIZE(GUPDEMO_IOC_PIN), 0);
}

int main(void)
{
	test_layout();
	test_constants();
	test_dma_mirror_constants();
	test_commands();
	return done_testing();
}
