/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - soft engine vs memcpy, edu, the stages of one DMA, its
 * pin stage vs PIN (bench_dma.c).
 */
#ifndef GUPDEMO_BENCH_DMA_H
#define GUPDEMO_BENCH_DMA_H

#include "bench_model.h"

void run_dma(struct bench *b);
void run_edu(struct bench *b);
void run_all_stages(struct bench *b);

#endif /* GUPDEMO_BENCH_DMA_H */
