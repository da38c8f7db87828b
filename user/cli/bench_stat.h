/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - statistics, sizes as text, progress lines, the clock (bench_stat.c).
 */
#ifndef GUPDEMO_BENCH_STAT_H
#define GUPDEMO_BENCH_STAT_H

#include "bench_model.h"

struct stat3 stat3_of(double *v, unsigned int n);
double median_of(double *v, unsigned int n);
void size_text(uint64_t size, char *buf, size_t len) __attribute__((nonnull));
void progress(const struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
double now_s(void);

#endif /* GUPDEMO_BENCH_STAT_H */
