/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - the PIN/UNPIN matrix and held-pin memory (bench_matrix.c).
 */
#ifndef GUPDEMO_BENCH_MATRIX_H
#define GUPDEMO_BENCH_MATRIX_H

#include "bench_model.h"

/* Returns 0 or -ENOMEM (the cell table). */
int run_matrix(struct bench *b);
void run_kmem(struct bench *b);

#endif /* GUPDEMO_BENCH_MATRIX_H */
