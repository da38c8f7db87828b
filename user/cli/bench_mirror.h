/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - pin vs mirror (bench_mirror.c).
 */
#ifndef GUPDEMO_BENCH_MIRROR_H
#define GUPDEMO_BENCH_MIRROR_H

#include "bench_model.h"

void run_mirror(struct bench *b);

#endif /* GUPDEMO_BENCH_MIRROR_H */
