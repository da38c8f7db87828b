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

const struct command *cli_find_command(const char *name);
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

__attribute__((format(printf, 2, 3)))
void errmsg(struct cli *cli, const char *fmt, ...);

/* Open the device / GET_INFO with the messages people need; exit status. */
int cli_open_device(struct cli *cli, int *fd);
int cli_get_info(struct cli *cli, int fd, struct gupdemo_info *info);

/* "EFAULT" for -EFAULT (or "E<n>"), "success" for 0. */
const char *cli_errname(int err);

/*
 * num.c: the one parser of numeric option arguments (sizes and counts).
 * Digits, then (sizes only) one suffix K, M or G; no sign; no overflow;
 * within [min, max].  -EINVAL with the reason in cli->why when refused.
 */
struct cli_num {
	uint64_t min, max;
	bool suffix;		/* a size: K, M, G allowed */
	bool zero_none;		/* lists: a lone "0" is the empty list */
};

int cli_parse_num(struct cli *cli, const char *s, const struct cli_num *spec,
		  uint64_t *out);
/* A comma-separated list of at most @max values into @out[0..*n). */
int cli_parse_num_list(struct cli *cli, const char *s,
		       const struct cli_num *spec, uint64_t *out,
		       unsigned int max, unsigned int *n);

/* bench.c */
int cmd_bench(struct cli *cli, int argc, char **argv);
extern const struct cli_opt bench_options[];
extern const char bench_details[], bench_notes[];

/* json.c: writes @s as a JSON string, quotes included. */
void json_str(FILE *f, const char *s);

/*
 * Version of the layout of every JSON document the CLI prints (run, bench,
 * info, list): bumped when a key is removed or changes meaning; adding keys
 * keeps it.  Documented in --help and gupdemo(1).
 */
#define CLI_JSON_FORMAT_VERSION	1

/* GUPDEMO_VERSION_STRING: the package version, from user/user.mk. */
#ifndef GUPDEMO_VERSION_STRING
/* Only cppcheck (make lint-cppcheck) reads the code without it. */
#define GUPDEMO_VERSION_STRING "0.0.0-unknown"
#endif

/*
 * Opens a document on stdout: "{", format_version, tool, gupdemo_version;
 * the caller goes on with ",\n  \"key\": ..." and closes it.
 */
void json_begin(const char *tool);

#endif /* GUPDEMO_CLI_H */
