/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo CLI - what cli.c shares with the other command files (bench.c,
 * json.c).  Not part of libgupdemo.
 */
#ifndef GUPDEMO_CLI_H
#define GUPDEMO_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gupdemo.h"

/* Exit status, documented in --help. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed / a scenario failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_MISSING = 3,	/* device node, module or module file missing */
	EXIT_PERM = 4,		/* permission denied */
};

struct cli {
	const char *prog;
	const char *device;	/* --device, or NULL for the default */
};

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;	/* one line, for the command list */
	const char *synopsis;	/* after "Usage: gupdemo " */
	const char *details;	/* options and notes, or NULL */
};

const struct command *cli_find_command(const char *name);
void cli_command_usage(FILE *f, const char *prog, const struct command *c);

__attribute__((format(printf, 2, 3)))
void errmsg(struct cli *cli, const char *fmt, ...);

/* Open the device / GET_INFO with the messages people need; exit status. */
int cli_open_device(struct cli *cli, int *fd);
int cli_get_info(struct cli *cli, int fd, struct gupdemo_info *info);

/* "EFAULT" for -EFAULT (or "E<n>"), "success" for 0. */
const char *cli_errname(int err);

/* bench.c */
int cmd_bench(struct cli *cli, int argc, char **argv);

/* json.c: writes @s as a JSON string, quotes included. */
void json_str(FILE *f, const char *s);

#endif /* GUPDEMO_CLI_H */
