/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo CLI - the command framework (command.c): what a command is, its
 * option table (one parser and one help), exit statuses, messages and
 * device access with the messages people need.  Every command file
 * (cmd_*.c, bench.c) and the entry point (cli.c) use it.
 */
#ifndef GUPDEMO_COMMAND_H
#define GUPDEMO_COMMAND_H

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
	char why[192];		/* why an option setter refused its argument */
};

/*
 * One option of a command.  A command's table of them is both its parser
 * (cli_parse_opts()) and the options part of its --help, so the two cannot
 * drift apart.  The table ends with an entry whose name is NULL.
 */
struct cli_opt {
	const char *name;	/* long name, without "--" */
	char letter;		/* short option, or 0 for none */
	const char *arg;	/* the argument's name in the help, NULL: none */
	/* Takes the argument ("" for none): 0, or -EINVAL to refuse it. */
	int (*set)(struct cli *cli, void *ctx, const char *arg);
	/*
	 * Message when refused; may use the arg (%s).  A setter that says
	 * why itself (cli->why, as the number parser does) needs none.
	 */
	const char *bad;
	const char *help;	/* what it does; '\n' starts another line */
};

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;	/* one line, for the command list */
	const char *synopsis;	/* after "Usage: gupdemo " */
	const char *details;	/* what it does, or NULL */
	const struct cli_opt *opts;	/* options beyond -h, or NULL */
	const char *notes;	/* after the options, or NULL */
};

/* A command's help: to stdout in full, to stderr the usage line only. */
void cli_command_usage(FILE *f, const char *prog, const struct command *c);

/*
 * Parses @argv (argv[0] is the command's name) with the table of @c: -h and
 * --help print the help; every other option is read first, then each one
 * given is set, in table order (a preset such as --quick comes first in its
 * table and so never overrides an option given with it).  At most
 * @max_args operands (-1: any number); *@first is the first.  Returns -1 to
 * go on, or the exit status to end with (EXIT_OK after --help).
 */
int cli_parse_opts(struct cli *cli, const struct command *c, void *ctx,
		   int argc, char **argv, int max_args, int *first);

/* The -d/--device option: its setter. */
int cli_set_device(struct cli *cli, void *ctx, const char *arg);
/* A flag option: sets the bool @ctx points to. */
int cli_set_flag(struct cli *cli, void *ctx, const char *arg);

__attribute__((format(printf, 2, 3)))
void errmsg(struct cli *cli, const char *fmt, ...);

/* --device, or the default node. */
const char *cli_dev_path(const struct cli *cli);

/* Prints @text wrapped to 79 columns, each line starting with @indent. */
void cli_print_wrapped(const char *indent, const char *text);

/* Open the device / GET_INFO with the messages people need; exit status. */
int cli_open_device(struct cli *cli, int *fd);
int cli_get_info(struct cli *cli, int fd, struct gupdemo_info *info);

/* "EFAULT" for -EFAULT (or "E<n>"), "success" for 0. */
const char *cli_errname(int err);

#endif /* GUPDEMO_COMMAND_H */
