// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo CLI - the command framework: messages, a command's help and its
 * option table (one parser and one help for every command), device access
 * with the messages people need, errno names, wrapped text.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

static void print_opts(FILE *f, const struct cli_opt *opts);

void errmsg(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *cli_dev_path(const struct cli *cli)
{
	return cli->device ? cli->device : GUPDEMO_DEV_PATH;
}

void cli_command_usage(FILE *f, const char *prog, const struct command *c)
{
	fprintf(f, "Usage: %s %s\n", prog, c->synopsis);
	if (f == stderr)
		return;
	fprintf(f, "%c%s.\n", toupper((unsigned char)c->summary[0]),
		c->summary + 1);
	if (c->details)
		fprintf(f, "\n%s\n", c->details);
	if (c->opts) {
		fprintf(f, "\n");
		print_opts(f, c->opts);
	}
	if (c->notes)
		fprintf(f, "\n%s\n", c->notes);
}

/* ---- option tables: one parser and one help for every command ---- */

#define CLI_MAX_OPTS	32

static const struct cli_opt help_opt = {
	"help", 'h', NULL, NULL, NULL, "this help",
};

/* "  -s, --sizes LIST" into @buf; returns its length. */
static int opt_left(const struct cli_opt *o, char *buf, size_t size)
{
	return snprintf(buf, size, "  %c%c%c --%s%s%s", o->letter ? '-' : ' ',
			o->letter ? o->letter : ' ', o->letter ? ',' : ' ',
			o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

static void print_opt(FILE *f, const struct cli_opt *o, int col)
{
	const char *h = o->help;
	char left[80];

	opt_left(o, left, sizeof(left));
	fprintf(f, "%-*s", col, left);
	for (;;) {
		size_t n = strcspn(h, "\n");

		fprintf(f, "%.*s\n", (int)n, h);
		if (!h[n])
			break;
		h += n + 1;
		fprintf(f, "%*s", col, "");
	}
}

/* The options part of a command's help, from its table. */
static void print_opts(FILE *f, const struct cli_opt *opts)
{
	char left[80];
	int col = opt_left(&help_opt, left, sizeof(left));

	for (const struct cli_opt *o = opts; o->name; o++) {
		int n = opt_left(o, left, sizeof(left));

		if (n > col)
			col = n;
	}
	col += 2;
	for (const struct cli_opt *o = opts; o->name; o++)
		print_opt(f, o, col);
	print_opt(f, &help_opt, col);
}

static int opts_usage_error(struct cli *cli, const struct command *c,
			    const char *msg)
{
	errmsg(cli, "%s: %s", c->name, msg);
	cli_command_usage(stderr, cli->prog, c);
	return EXIT_USAGE;
}

/* getopt_long()'s view of @opts (plus -h); returns the number of options. */
static int opts_getopt(const struct cli_opt *opts, struct option *lopts,
		       char *shorts)
{
	int n = 0;

	*shorts++ = '+';
	*shorts++ = 'h';
	for (const struct cli_opt *o = opts; o && o->name; o++, n++) {
		lopts[n] = (struct option){
			o->name, o->arg ? required_argument : no_argument, NULL,
			o->letter ? o->letter : 256 + n,
		};
		if (o->letter)
			*shorts++ = o->letter;
		if (o->letter && o->arg)
			*shorts++ = ':';
	}
	*shorts = '\0';
	lopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lopts[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	return n;
}

/* Index in @opts of what getopt_long() returned, or -1. */
static int opts_index(const struct cli_opt *opts, int n, int opt)
{
	if (opt >= 256 && opt < 256 + n)
		return opt - 256;
	for (int i = 0; i < n; i++)
		if (opts[i].letter && opts[i].letter == opt)
			return i;
	return -1;
}

/* Sets every option given, in table order. */
static int opts_apply(struct cli *cli, const struct command *c, void *ctx,
		      const char *const *vals, int n)
{
	char msg[512];

	for (int i = 0; i < n; i++) {
		const struct cli_opt *o = &c->opts[i];

		cli->why[0] = '\0';
		if (!vals[i] || !o->set(cli, ctx, vals[i]))
			continue;
		if (cli->why[0])
			snprintf(msg, sizeof(msg), "bad --%s '%s': %s", o->name,
				 vals[i], cli->why);
		else if (o->bad)
			snprintf(msg, sizeof(msg), o->bad, vals[i]);
		else
			snprintf(msg, sizeof(msg), "bad --%s '%s'", o->name,
				 vals[i]);
		return opts_usage_error(cli, c, msg);
	}
	return -1;
}

int cli_parse_opts(struct cli *cli, const struct command *c, void *ctx,
		   int argc, char **argv, int max_args, int *first)
{
	struct option lopts[CLI_MAX_OPTS + 2];
	const char *vals[CLI_MAX_OPTS] = { NULL };
	char shorts[2 * CLI_MAX_OPTS + 3], msg[256];
	int n, opt, i;

	for (n = 0; c->opts && c->opts[n].name; n++)
		if (n == CLI_MAX_OPTS - 1)
			return opts_usage_error(cli, c, "too many options");
	n = opts_getopt(c->opts, lopts, shorts);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (opt == 'h') {
			cli_command_usage(stdout, cli->prog, c);
			return EXIT_OK;
		}
		i = opts_index(c->opts, n, opt);
		if (i < 0) {
			snprintf(msg, sizeof(msg), "unknown option or missing "
				 "argument '%s'", argv[optind - 1]);
			return opts_usage_error(cli, c, msg);
		}
		vals[i] = optarg ? optarg : "";
	}
	if (max_args >= 0 && argc - optind > max_args) {
		snprintf(msg, sizeof(msg), "unexpected argument '%s'",
			 argv[optind + max_args]);
		return opts_usage_error(cli, c, msg);
	}
	*first = optind;
	return opts_apply(cli, c, ctx, vals, n);
}

int cli_set_device(struct cli *cli, void *ctx, const char *arg)
{
	(void)ctx;
	cli->device = arg;
	return 0;
}

/* ---- device access with the messages people need ---- */

int cli_open_device(struct cli *cli, int *fd)
{
	int ret = gupdemo_open(cli->device, fd);

	switch (ret) {
	case 0:
		return EXIT_OK;
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		errmsg(cli, "%s: no such device: the gupdemo module is not loaded.",
		       cli_dev_path(cli));
		fprintf(stderr,
			"  Load it (as root) with:  %s load [--module PATH/gupdemo.ko]\n"
			"  or:                      insmod PATH/gupdemo.ko\n",
			cli->prog);
		return EXIT_MISSING;
	case -EACCES:
	case -EPERM:
		errmsg(cli, "%s: permission denied: the device is root-only "
		       "(mode 0600). Run as root.", cli_dev_path(cli));
		return EXIT_PERM;
	default:
		errmsg(cli, "%s: cannot open: %s", cli_dev_path(cli), strerror(-ret));
		return EXIT_FAIL;
	}
}

int cli_get_info(struct cli *cli, int fd, struct gupdemo_info *info)
{
	int ret = gupdemo_get_info(fd, info);

	if (ret == -ENOTTY) {
		errmsg(cli, "%s: not a gupdemo device (GET_INFO: %s)",
		       cli_dev_path(cli), strerror(-ret));
		return EXIT_FAIL;
	}
	if (ret) {
		errmsg(cli, "%s: GET_INFO failed: %s", cli_dev_path(cli),
		       strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cli_set_flag(struct cli *cli, void *ctx, const char *arg)
{
	(void)cli, (void)arg;
	*(bool *)ctx = true;
	return 0;
}

const char *cli_errname(int err)
{
	static __thread char buf[16];
	const char *name;

	if (err == 0)
		return "success";
	name = strerrorname_np(err < 0 ? -err : err);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err < 0 ? -err : err);
	return buf;
}

void cli_print_wrapped(const char *indent, const char *text)
{
	size_t width = 79 - strlen(indent);

	while (*text) {
		size_t n = strlen(text), cut = n;

		if (n > width) {
			cut = width;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;
		}
		printf("%s%.*s\n", indent, (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

