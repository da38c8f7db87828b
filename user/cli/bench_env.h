/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo bench - the machine the run is on (bench_env.c).
 */
#ifndef GUPDEMO_BENCH_ENV_H
#define GUPDEMO_BENCH_ENV_H

#include "bench_model.h"

void env_collect(struct env_info *e);

#endif /* GUPDEMO_BENCH_ENV_H */
