// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - small helpers of every bench file: min / median / max of
 * the repeats, sizes as text, progress lines, the monotonic clock.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_stat.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v. */
struct stat3 stat3_of(double *v, unsigned int n)
{
	struct stat3 s = { 0, 0, 0 };

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

double median_of(double *v, unsigned int n)
{
	return stat3_of(v, n).med;
}

void size_text(uint64_t size, char *buf, size_t len)
{
	if (size >= GIB && size % GIB == 0)
		snprintf(buf, len, "%" PRIu64 "G", size / GIB);
	else if (size >= MIB && size % MIB == 0)
		snprintf(buf, len, "%" PRIu64 "M", size / MIB);
	else if (size >= KIB && size % KIB == 0)
		snprintf(buf, len, "%" PRIu64 "K", size / KIB);
	else
		snprintf(buf, len, "%" PRIu64, size);
}

void progress(const struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->o.quiet)
		return;
	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
