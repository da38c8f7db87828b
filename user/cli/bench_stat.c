// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - small helpers of every bench file: min / median / max of
 * the repeats, sizes, times and rates as text in human units, columns of
 * such text, progress lines, the monotonic clock.
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

/* A value and its unit in three significant digits: "4.33", "43.3", "433". */
static void three_digits(double v, const char *unit, char *buf, size_t len)
{
	double a = v < 0 ? -v : v;

	snprintf(buf, len, a < 9.995 ? "%.2f %s" : a < 99.95 ? "%.1f %s" :
		 "%.0f %s", v, unit);
}

/* 4 MiB, 1 KiB, 512 B; 4.1 KiB when not a whole number of the unit. */
void size_text(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB" };
	uint64_t unit = GIB;

	for (int i = 2; i >= 0; i--, unit /= 1024) {
		if (size < unit)
			continue;
		if (size % unit == 0)
			snprintf(buf, len, "%" PRIu64 " %s", size / unit,
				 units[i]);
		else
			snprintf(buf, len, "%.1f %s", (double)size / unit,
				 units[i]);
		return;
	}
	snprintf(buf, len, "%" PRIu64 " B", size);
}

/* 950 ns, 4.33 µs, 509 µs, 4.33 ms, 202 ms, 1.20 s (negative too). */
void time_text(double ns, char *buf, size_t len)
{
	static const char *const units[] = { "ns", "µs", "ms", "s" };
	double a = ns < 0 ? -ns : ns;
	int i = 0;

	/* Rounded to three digits, 999.7 ns is 1.00 µs. */
	while (i < 3 && a >= 999.5) {
		a /= 1000;
		ns /= 1000;
		i++;
	}
	three_digits(ns, units[i], buf, len);
}

/* A rate in bytes per second: 4.93 KiB/s, 146 MiB/s, 2.36 GiB/s. */
void rate_text(double bytes_per_s, char *buf, size_t len)
{
	static const char *const units[] = { "B/s", "KiB/s", "MiB/s", "GiB/s" };
	double v = bytes_per_s;
	int i = 0;

	while (i < 3 && v >= 1023.5) {
		v /= 1024;
		i++;
	}
	three_digits(v, units[i], buf, len);
}

/* Terminal columns of UTF-8 text: every byte but continuation bytes. */
int text_cols(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * @s in @width columns (printf counts bytes, and "µs" is three of them):
 * right-aligned when @width > 0, left-aligned when < 0, as it is when 0;
 * never cut.
 */
void put_col(const char *s, int width)
{
	int pad = (width < 0 ? -width : width) - text_cols(s);

	if (width <= 0)
		fputs(s, stdout);
	for (; pad > 0; pad--)
		putchar(' ');
	if (width > 0)
		fputs(s, stdout);
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
