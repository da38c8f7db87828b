/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo CLI - the commands cli.c dispatches to, one file each: their
 * table rows (name, handler, help texts, options).
 */
#ifndef GUPDEMO_COMMANDS_H
#define GUPDEMO_COMMANDS_H

#include "command.h"

extern const struct command info_command;	/* cmd_info.c */
extern const struct command load_command;	/* cmd_load.c */
extern const struct command unload_command;	/* cmd_load.c */
extern const struct command demo_command;	/* cmd_demo.c */
extern const struct command list_command;	/* cmd_run.c */
extern const struct command run_command;	/* cmd_run.c */
extern const struct command bench_command;	/* bench.c */

#endif /* GUPDEMO_COMMANDS_H */
