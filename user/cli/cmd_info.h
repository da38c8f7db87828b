/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo CLI - `info`'s text (cmd_info.c), which `demo` prints first.
 */
#ifndef GUPDEMO_CMD_INFO_H
#define GUPDEMO_CMD_INFO_H

#include "gupdemo.h"

/* The module, its parameters, its counters and the vmstat pin counters. */
void info_print(const struct gupdemo_info *info);

#endif /* GUPDEMO_CMD_INFO_H */
