/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - sg_table vs IOVA link vs held mapping, and a mirror's
 * full re-map vs the entries re-mapped after one invalidation
 * (bench_map.c): the options, the runs and the outputs.
 */
#ifndef GUPDEMO_BENCH_MAP_H
#define GUPDEMO_BENCH_MAP_H

#include "bench_model.h"
#include "command.h"

/* The defaults of --map-sizes and --map-xfer, for --quick or not. */
void map_opts_default(bool quick);
/* Option setters (struct cli_opt): --map-sizes LIST, --map-xfer BYTES. */
int map_opt_sizes(struct cli *cli, void *ctx, const char *arg);
int map_opt_xfer(struct cli *cli, void *ctx, const char *arg);

void run_map(struct bench *b);
/* mirror: full re-map vs entries re-mapped after one invalidation */
void run_live(struct bench *b);
/* A measurement that failed (not an absent API, IOMMU or engine). */
bool map_failed(void);

void table_map(const struct bench *b);
void json_map(const struct bench *b);
void csv_map(const struct bench *b);
void table_live(const struct bench *b);
void json_live(const struct bench *b);

#endif /* GUPDEMO_BENCH_MAP_H */
