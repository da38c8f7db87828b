/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - statistics, sizes, times and rates as text, progress lines, the clock (bench_stat.c).
 */
#ifndef GUPDEMO_BENCH_STAT_H
#define GUPDEMO_BENCH_STAT_H

#include "bench_model.h"

struct stat3 stat3_of(double *v, unsigned int n);
double median_of(double *v, unsigned int n);
/* Human units for the table (JSON and CSV keep bytes, ns and GB/s). */
void size_text(uint64_t size, char *buf, size_t len) __attribute__((nonnull));
void time_text(double ns, char *buf, size_t len) __attribute__((nonnull));
void rate_text(double bytes_per_s, char *buf, size_t len)
	__attribute__((nonnull));
int text_cols(const char *s) __attribute__((nonnull));
void put_col(const char *s, int width) __attribute__((nonnull));
void progress(const struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
double now_s(void);

#endif /* GUPDEMO_BENCH_STAT_H */
