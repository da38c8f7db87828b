// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - command-line front end of libgupdemo and the lab kit: the
 * global options, the list of commands and the dispatch.  Each command is
 * a struct command in its own file (commands.h), built on the framework of
 * command.h.
 *
 * Adding a command is adding its file and a row here.  Messages go to
 * stderr, results to stdout; colour only for `run`'s verdicts on a
 * terminal (never when stdout is not a TTY, nor with NO_COLOR set).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "json.h"

/* The commands, in the order --help lists them. */
static const struct command help_command;
static const struct command *const commands[] = {
	&info_command, &load_command, &unload_command, &demo_command,
	&list_command, &run_command, &bench_command, &help_command, NULL,
};

/* ---- help ---- */

static void print_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [--device PATH] COMMAND [ARGS...]\n"
		"\n"
		"Pin user memory through /dev/gupdemo and watch the kernel's pin counters.\n"
		"\n"
		"Commands:\n", prog);
	for (const struct command *const *c = commands; *c; c++)
		fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -d, --device PATH  device node (default " GUPDEMO_DEV_PATH ")\n"
		"  -h, --help         this help; COMMAND --help for a command's\n"
		"  -V, --version      library and uapi versions\n"
		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  the operation failed (run: a scenario failed or the pins did\n"
		"     not balance; demo: the pin counters did not balance)\n"
		"  2  usage error\n"
		"  3  the device node, the module or the module file is missing\n"
		"  4  permission denied (the device is root-only, mode 0600;\n"
		"     loading and unloading need root)\n"
		"\n"
		"JSON (info, list, run, bench --json) starts with \"format_version\": %d,\n"
		"bumped when a key is removed or changes meaning.  See gupdemo(1).\n",
		CLI_JSON_FORMAT_VERSION);
}

static void try_help(const char *prog)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
}

static const struct command *find_command(const char *name)
{
	for (const struct command *const *c = commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
	const struct command *c;

	if (argc > 2) {
		errmsg(cli, "help: too many arguments");
		return EXIT_USAGE;
	}
	if (argc < 2) {
		print_usage(stdout, cli->prog);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		argv[1] = "help";
	c = find_command(argv[1]);
	if (!c) {
		errmsg(cli, "help: unknown command '%s'", argv[1]);
		return EXIT_USAGE;
	}
	cli_command_usage(stdout, cli->prog, c);
	return EXIT_OK;
}

static const struct command help_command = {
	"help", cmd_help, "this help, or a command's", "help [COMMAND]", NULL,
	NULL, NULL,
};

static void print_version(void)
{
	printf("gupdemo " GUPDEMO_VERSION_STRING " (libgupdemo API %d, uapi "
	       "%d, JSON format %d)\n", GUPDEMO_LIB_VERSION,
	       GUPDEMO_UAPI_VERSION, CLI_JSON_FORMAT_VERSION);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "device", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .prog = "gupdemo" };
	const struct command *c;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hVd:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			print_usage(stdout, cli.prog);
			return EXIT_OK;
		case 'V':
			print_version();
			return EXIT_OK;
		case 'd':
			cli.device = optarg;
			break;
		default:
			errmsg(&cli, "unknown option or missing argument '%s'",
			       argv[optind - 1]);
			try_help(cli.prog);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		errmsg(&cli, "missing command");
		try_help(cli.prog);
		return EXIT_USAGE;
	}
	c = find_command(argv[optind]);
	if (!c) {
		errmsg(&cli, "unknown command '%s'", argv[optind]);
		try_help(cli.prog);
		return EXIT_USAGE;
	}
	return c->run(&cli, argc - optind, argv + optind);
}
