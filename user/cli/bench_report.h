/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - the targets and the outputs (bench_report.c).
 */
#ifndef GUPDEMO_BENCH_REPORT_H
#define GUPDEMO_BENCH_REPORT_H

#include "bench_model.h"

unsigned int compute_targets(const struct bench *b, struct target *t);
void print_table(const struct bench *b, const struct target *t,
		 unsigned int nt);
void print_json(const struct bench *b, const struct target *t,
		unsigned int nt);
void print_csv(const struct bench *b);

#endif /* GUPDEMO_BENCH_REPORT_H */
