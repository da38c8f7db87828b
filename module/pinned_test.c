// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - KUnit tests of the record of pinned pages (pinned.c)
 *
 * Included at the end of pinned.c when the kernel has KUnit (the debug
 * kernel), so the tests see the encoding itself.  They run when the module
 * loads; /sys/kernel/debug/kunit/gupdemo_pinned/results has the verdicts.
 */
#include <kunit/test.h>

static const unsigned long gupdemo_test_max_pfn =
	(1UL << GUPDEMO_RUN_PFN_BITS) - 1;

/* Runs round-trip the largest frame number and the longest run. */
static void gupdemo_test_run_encoding(struct kunit *test)
{
	union gupdemo_entry e;

	e = gupdemo_run_encode(gupdemo_test_max_pfn, GUPDEMO_RUN_MAX_PAGES);
	KUNIT_EXPECT_TRUE(test, gupdemo_entry_is_run(e));
	KUNIT_EXPECT_EQ(test, gupdemo_entry_pfn(e), gupdemo_test_max_pfn);
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e), GUPDEMO_RUN_MAX_PAGES);

	e = gupdemo_run_encode(0, 1);
	KUNIT_EXPECT_TRUE(test, gupdemo_entry_is_run(e));
	KUNIT_EXPECT_EQ(test, gupdemo_entry_pfn(e), 0UL);
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e), 1UL);

	e = gupdemo_run_encode(12345, GUPDEMO_RUN_MAX_PAGES - 1);
	KUNIT_EXPECT_EQ(test, gupdemo_entry_pfn(e), 12345UL);
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e),
			GUPDEMO_RUN_MAX_PAGES - 1);
}

/* A plain entry is a page pointer as GUP wrote it: bit 0 clear. */
static void gupdemo_test_plain_entry(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	union gupdemo_entry e = { .page = page };

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, gupdemo_entry_is_run(e));
	KUNIT_EXPECT_EQ(test, gupdemo_entry_pfn(e), page_to_pfn(page));
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e), 1UL);
	__free_page(page);
}

/* Walk @r with a limit of @npages; check the ranges against @want. */
static void gupdemo_test_walk(struct kunit *test, struct gupdemo_pfns *r,
			      unsigned long npages,
			      const struct gupdemo_range *want,
			      unsigned int nwant)
{
	struct gupdemo_range_iter it;
	struct gupdemo_range got;
	unsigned int n = 0;

	gupdemo_range_iter_init(&it, r, npages);
	while (gupdemo_range_next(&it, &got)) {
		KUNIT_ASSERT_LT(test, n, nwant);
		KUNIT_EXPECT_EQ(test, got.pfn, want[n].pfn);
		KUNIT_EXPECT_EQ(test, got.npages, want[n].npages);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, nwant);
}

/*
 * Plain entries and runs of consecutive frames merge into one range; a page
 * elsewhere starts the next; the walk stops at its limit, inside an entry.
 */
static void gupdemo_test_mixed_walk(struct kunit *test)
{
	struct page *four = alloc_pages(GFP_KERNEL, 2);
	struct page *other = alloc_page(GFP_KERNEL);
	union gupdemo_entry e[4];
	struct gupdemo_pfns r = { .entries = e, .nentries = 4 };
	unsigned long pfn;

	KUNIT_ASSERT_NOT_NULL(test, four);
	KUNIT_ASSERT_NOT_NULL(test, other);
	pfn = page_to_pfn(four);
	e[0].page = four;
	e[1].page = gupdemo_nth_page(four, 1);
	e[2] = gupdemo_run_encode(pfn + 2, 2);
	e[3].page = other;
	if (page_to_pfn(other) == pfn + 4) {
		gupdemo_test_walk(test, &r, 5,
				  (struct gupdemo_range[]){ { pfn, 5 } }, 1);
	} else {
		gupdemo_test_walk(test, &r, 5,
				  (struct gupdemo_range[]){
					{ pfn, 4 }, { page_to_pfn(other), 1 } },
				  2);
	}
	gupdemo_test_walk(test, &r, 3,
			  (struct gupdemo_range[]){ { pfn, 3 } }, 1);
	gupdemo_test_walk(test, &r, 0, NULL, 0);
	__free_page(other);
	__free_pages(four, 2);
}

/* Two runs that continue each other make one range longer than a run. */
static void gupdemo_test_long_walk(struct kunit *test)
{
	unsigned long pfn = gupdemo_test_max_pfn - GUPDEMO_RUN_MAX_PAGES - 7;
	union gupdemo_entry e[3] = {
		gupdemo_run_encode(pfn, GUPDEMO_RUN_MAX_PAGES),
		gupdemo_run_encode(pfn + GUPDEMO_RUN_MAX_PAGES, 7),
		gupdemo_run_encode(1000, 3),
	};
	struct gupdemo_pfns r = { .entries = e, .nentries = 3 };

	gupdemo_test_walk(test, &r, ULONG_MAX,
			  (struct gupdemo_range[]){
				{ pfn, GUPDEMO_RUN_MAX_PAGES + 7 },
				{ 1000, 3 } }, 2);
}

/* Copy @n page pointers to the slot and take them in, as GUP would. */
static void gupdemo_test_add(struct gupdemo_pfns *r, struct page **pages,
			     unsigned long n)
{
	memcpy(gupdemo_pfns_slot(r), pages, n * sizeof(*pages));
	gupdemo_pfns_add(r, n);
}

/* Small folios cost nothing: GUP's array is kept, entry for entry. */
static void gupdemo_test_add_small(struct kunit *test)
{
	struct page *a = alloc_page(GFP_KERNEL), *b = alloc_page(GFP_KERNEL);
	union gupdemo_entry e[3];
	struct gupdemo_pfns r = { .entries = e };

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	gupdemo_test_add(&r, (struct page *[]){ a, b, a }, 3);
	KUNIT_EXPECT_EQ(test, r.nentries, 3UL);
	KUNIT_EXPECT_EQ(test, r.nruns, 0UL);
	KUNIT_EXPECT_PTR_EQ(test, e[0].page, a);
	KUNIT_EXPECT_PTR_EQ(test, e[1].page, b);
	KUNIT_EXPECT_PTR_EQ(test, e[2].page, a);
	__free_page(b);
	__free_page(a);
}

/*
 * A batch that starts in a large folio folds into one run per stretch of
 * consecutive frames; a lone page after it stays plain; a batch of one
 * page stays plain even inside a large folio.
 */
static void gupdemo_test_add_fold(struct kunit *test)
{
	struct page *big = alloc_pages(GFP_KERNEL | __GFP_COMP, 2);
	struct page *other = alloc_page(GFP_KERNEL);
	union gupdemo_entry e[6];
	struct gupdemo_pfns r = { .entries = e };
	unsigned long pfn;

	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, other);
	pfn = page_to_pfn(big);
	gupdemo_test_add(&r, (struct page *[]){ big,
			 gupdemo_nth_page(big, 1), gupdemo_nth_page(big, 2),
			 gupdemo_nth_page(big, 3), other }, 5);
	KUNIT_ASSERT_EQ(test, r.nentries, 2UL);
	KUNIT_EXPECT_TRUE(test, gupdemo_entry_is_run(e[0]));
	KUNIT_EXPECT_EQ(test, gupdemo_entry_pfn(e[0]), pfn);
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e[0]), 4UL);
	KUNIT_EXPECT_PTR_EQ(test, e[1].page, other);

	gupdemo_test_add(&r, (struct page *[]){ gupdemo_nth_page(big, 2) }, 1);
	KUNIT_ASSERT_EQ(test, r.nentries, 3UL);
	KUNIT_EXPECT_EQ(test, r.nruns, 1UL);
	KUNIT_EXPECT_PTR_EQ(test, e[2].page, gupdemo_nth_page(big, 2));
	__free_page(other);
	__free_pages(big, 2);
}

/* The next batch continues the previous batch's last run. */
static void gupdemo_test_add_continue(struct kunit *test)
{
	struct page *big = alloc_pages(GFP_KERNEL | __GFP_COMP, 2);
	union gupdemo_entry e[4];
	struct gupdemo_pfns r = { .entries = e };
	unsigned long pfn;

	KUNIT_ASSERT_NOT_NULL(test, big);
	pfn = page_to_pfn(big);
	gupdemo_test_add(&r, (struct page *[]){ big,
			 gupdemo_nth_page(big, 1) }, 2);
	gupdemo_test_add(&r, (struct page *[]){ gupdemo_nth_page(big, 2),
			 gupdemo_nth_page(big, 3) }, 2);
	KUNIT_ASSERT_EQ(test, r.nentries, 1UL);
	KUNIT_EXPECT_EQ(test, r.nruns, 1UL);
	KUNIT_EXPECT_EQ(test, gupdemo_entry_pfn(e[0]), pfn);
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e[0]), 4UL);
	__free_pages(big, 2);
}

/*
 * A run grows only by frames that follow on, and never past the longest
 * run; a plain entry never grows.
 */
static void gupdemo_test_run_extend(struct kunit *test)
{
	const unsigned long max = GUPDEMO_RUN_MAX_PAGES;
	union gupdemo_entry e = gupdemo_run_encode(1000, max - 2);
	struct page *page = alloc_page(GFP_KERNEL);
	union gupdemo_entry plain = { .page = page };

	KUNIT_EXPECT_FALSE(test, gupdemo_run_extend(&e, 1000 + max - 1, 1));
	KUNIT_EXPECT_FALSE(test, gupdemo_run_extend(&e, 999 + max - 2, 1));
	KUNIT_EXPECT_FALSE(test, gupdemo_run_extend(&e, 1000 + max - 2, 3));
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e), max - 2);
	KUNIT_EXPECT_TRUE(test, gupdemo_run_extend(&e, 1000 + max - 2, 2));
	KUNIT_EXPECT_EQ(test, gupdemo_entry_pfn(e), 1000UL);
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e), max);
	KUNIT_EXPECT_FALSE(test, gupdemo_run_extend(&e, 1000 + max, 1));
	KUNIT_EXPECT_EQ(test, gupdemo_entry_npages(e), max);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, gupdemo_run_extend(&plain,
						    page_to_pfn(page) + 1, 1));
	KUNIT_EXPECT_PTR_EQ(test, plain.page, page);
	__free_page(page);
}

static struct kunit_case gupdemo_pinned_cases[] = {
	KUNIT_CASE(gupdemo_test_run_encoding),
	KUNIT_CASE(gupdemo_test_plain_entry),
	KUNIT_CASE(gupdemo_test_mixed_walk),
	KUNIT_CASE(gupdemo_test_long_walk),
	KUNIT_CASE(gupdemo_test_add_small),
	KUNIT_CASE(gupdemo_test_add_fold),
	KUNIT_CASE(gupdemo_test_add_continue),
	KUNIT_CASE(gupdemo_test_run_extend),
	{}
};

static struct kunit_suite gupdemo_pinned_suite = {
	.name = "gupdemo_pinned",
	.test_cases = gupdemo_pinned_cases,
};

kunit_test_suite(gupdemo_pinned_suite);
