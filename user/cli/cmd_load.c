// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo load / unload - the module through libkmod, with the messages
 * people need (which file, which kernel it was built for, root).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "commands.h"

/*
 * Parses a command's options: only -h/--help and, if @device is allowed,
 * -d/--device.  Returns -1 to go on, or an exit status.
 */
static int parse_common(struct cli *cli, const struct command *c, int argc,
			char **argv, bool device_ok, int max_args)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "device", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hd:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			cli_command_usage(stdout, cli->prog, c);
			return EXIT_OK;
		case 'd':
			if (device_ok) {
				cli->device = optarg;
				break;
			}
			/* fall through */
		default:
			errmsg(cli, "%s: unknown option or missing argument '%s'",
			       c->name, argv[optind - 1]);
			cli_command_usage(stderr, cli->prog, c);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > max_args) {
		errmsg(cli, "%s: unexpected argument '%s'", c->name,
		       argv[optind + max_args]);
		cli_command_usage(stderr, cli->prog, c);
		return EXIT_USAGE;
	}
	return -1;
}

/* The kernel release a vermagic string names: its first word. */
static void vermagic_release(const char *vermagic, char *buf, size_t size)
{
	size_t n = strcspn(vermagic, " ");

	if (n >= size)
		n = size - 1;
	memcpy(buf, vermagic, n);
	buf[n] = '\0';
}

/*
 * The build tree's module for this kernel when this binary is the build
 * tree's (BUILD/user/gupdemo -> BUILD/kernel/RELEASE/gupdemo.ko): into @buf,
 * true if that file exists.  @buf holds the path looked at either way.
 */
static bool build_tree_module(const char *release, char *buf, size_t size)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	buf[0] = '\0';
	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';			/* BUILD/user */
	slash = strrchr(exe, '/');
	if (!slash || strcmp(slash, "/user") != 0)
		return false;
	*slash = '\0';			/* BUILD */
	snprintf(buf, size, "%s/kernel/%s/" GUPDEMO_MODULE_NAME ".ko", exe,
		 release);
	return access(buf, R_OK) == 0;
}

/* --module, else $GUPDEMO_KO, else the build tree's, else NULL: libkmod's. */
static const char *load_module_path(const char *given, const char *release,
				    char *buf, size_t size)
{
	const char *env = getenv("GUPDEMO_KO");

	if (given)
		return given;
	if (env && *env)
		return env;
	return build_tree_module(release, buf, size) ? buf : NULL;
}

#define LOAD_MAX_PARAMS	32

/* `load --help`: the table's help, then the parameters of the module file. */
static void load_help(struct cli *cli, const struct command *c,
		      const char *path)
{
	struct gupdemo_module_param params[LOAD_MAX_PARAMS];
	size_t n = 0;
	int ret;

	cli_command_usage(stdout, cli->prog, c);
	ret = gupdemo_module_params(path, params, LOAD_MAX_PARAMS, &n);
	if (ret) {
		printf("\nModule parameters: cannot read them from %s\n"
		       "(%s); give --module PATH with --help to list them.\n",
		       path ? path : "gupdemo.ko under /lib/modules",
		       strerror(-ret));
		return;
	}
	printf("\nModule parameters (modinfo of %s):\n",
	       path ? path : "gupdemo.ko under /lib/modules");
	for (size_t i = 0; i < n && i < LOAD_MAX_PARAMS; i++) {
		if (params[i].type[0])
			printf("  %-22s %s\n", params[i].name, params[i].type);
		else
			printf("  %s\n", params[i].name);
		if (params[i].desc[0])
			cli_print_wrapped("      ", params[i].desc);
	}
}

/* What `load` was given and works out. */
struct load_args {
	const char *path;	/* --module, then the file looked up */
	bool help;
	char options[1024];	/* the param=value operands, blank-separated */
	size_t used;		/* strlen(options) */
	struct utsname u;
	char tree[4352];	/* the build tree's module looked at, or "" */
};

/* -m/--module and -h/--help; *@first is the first operand.  -1 or a status. */
static int load_parse_opts(struct cli *cli, struct load_args *a, int argc,
			   char **argv, int *first)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "module", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hm:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			a->help = true;
			break;
		case 'm':
			a->path = optarg;
			break;
		default:
			errmsg(cli, "load: unknown option or missing argument '%s'",
			       argv[optind - 1]);
			cli_command_usage(stderr, cli->prog, &load_command);
			return EXIT_USAGE;
		}
	}
	*first = optind;
	return -1;
}

/* The param=value operands into a->options.  -1 or an exit status. */
static int load_params(struct cli *cli, struct load_args *a, int n,
		       char **params)
{
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(params[i], '=');
		int len;

		if (!eq || eq == params[i]) {
			errmsg(cli, "load: '%s' is not a parameter (name=value)",
			       params[i]);
			cli_command_usage(stderr, cli->prog, &load_command);
			return EXIT_USAGE;
		}
		len = snprintf(a->options + a->used, sizeof(a->options) - a->used,
			       "%s%s", a->used ? " " : "", params[i]);
		if (len < 0 || (size_t)len >= sizeof(a->options) - a->used) {
			errmsg(cli, "load: parameters too long");
			return EXIT_USAGE;
		}
		a->used += (size_t)len;
	}
	return -1;
}

/* No module file: where it was looked for and how to give it. */
static int load_not_found(struct cli *cli, const struct load_args *a)
{
	const char *tree = a->tree;

	if (a->path) {
		errmsg(cli, "load: %s: no such file", a->path);
		return EXIT_MISSING;
	}
	errmsg(cli, "load: gupdemo.ko for kernel %s not found", a->u.release);
	fprintf(stderr, "  looked in: /lib/modules/%s (make install)%s%s%s\n",
		a->u.release, tree[0] ? "\n             " : "", tree,
		tree[0] ? " (make module)" : "");
	fprintf(stderr, "  give it:   %s load --module PATH/gupdemo.ko (or set "
		"GUPDEMO_KO=PATH)\n", cli->prog);
	return EXIT_MISSING;
}

/* The kernel refused the file: built for another kernel, bad parameters? */
static int load_refused(struct cli *cli, const struct load_args *a, int ret)
{
	char vermagic[256], built[128];

	if (gupdemo_module_vermagic(a->path, vermagic, sizeof(vermagic)) == 0) {
		vermagic_release(vermagic, built, sizeof(built));
		if (strcmp(built, a->u.release) != 0) {
			errmsg(cli, "load: %s was built for kernel %s, but this "
			       "is %s: rebuild it (make module KVER=%s)",
			       a->path ? a->path : "gupdemo.ko", built,
			       a->u.release, a->u.release);
			return EXIT_FAIL;
		}
	}
	if (ret == -EINVAL && a->used) {
		errmsg(cli, "load: invalid argument: check the parameters (%s); "
		       "see dmesg", a->options);
		return EXIT_FAIL;
	}
	errmsg(cli, "load: %s: %s (not a module for this kernel?); see dmesg",
	       a->path ? a->path : "gupdemo", strerror(-ret));
	return EXIT_FAIL;
}

/* gupdemo_module_load()'s error @ret with the message people need. */
static int load_error(struct cli *cli, const struct load_args *a, int ret)
{
	switch (ret) {
	case -ENOENT:
		return load_not_found(cli, a);
	case -EPERM:
	case -EACCES:
		errmsg(cli, "load: permission denied: loading a module needs "
		       "root (CAP_SYS_MODULE)");
		return EXIT_PERM;
	case -ENOEXEC:
	case -EINVAL:
		return load_refused(cli, a, ret);
	case -ENOSYS:
		errmsg(cli, "load: this kernel cannot load modules (%s)",
		       strerror(-ret));
		return EXIT_FAIL;
	default:
		errmsg(cli, "load: %s", strerror(-ret));
		return EXIT_FAIL;
	}
}

static int cmd_load(struct cli *cli, int argc, char **argv)
{
	struct load_args a;
	bool already = false;
	int first, ret;

	memset(&a, 0, sizeof(a));
	uname(&a.u);
	ret = load_parse_opts(cli, &a, argc, argv, &first);
	if (ret >= 0)
		return ret;
	if (a.help) {
		load_help(cli, &load_command, load_module_path(a.path,
			  a.u.release, a.tree, sizeof(a.tree)));
		return EXIT_OK;
	}
	ret = load_params(cli, &a, argc - first, argv + first);
	if (ret >= 0)
		return ret;
	a.path = load_module_path(a.path, a.u.release, a.tree, sizeof(a.tree));
	ret = gupdemo_module_load(a.path, a.used ? a.options : NULL, &already);
	if (ret)
		return load_error(cli, &a, ret);
	if (already)
		printf("gupdemo is already loaded (its parameters are "
		       "unchanged)\n");
	else
		printf("gupdemo loaded from %s%s%s\n",
		       a.path ? a.path : "/lib/modules", a.used ? " with " : "",
		       a.options);
	return EXIT_OK;
}

static int cmd_unload(struct cli *cli, int argc, char **argv)
{
	int ret, refcnt = 0;

	ret = parse_common(cli, &unload_command, argc, argv, false, 0);
	if (ret >= 0)
		return ret;

	ret = gupdemo_module_unload();
	switch (ret) {
	case 0:
		printf("gupdemo unloaded\n");
		return EXIT_OK;
	case -ENOENT:
		errmsg(cli, "unload: gupdemo is not loaded");
		return EXIT_MISSING;
	case -EAGAIN:
		gupdemo_module_refcnt(&refcnt);
		errmsg(cli, "unload: gupdemo is in use (%d user%s: open "
		       "descriptors of %s); close them first", refcnt,
		       refcnt == 1 ? "" : "s", GUPDEMO_DEV_PATH);
		return EXIT_FAIL;
	case -EPERM:
	case -EACCES:
		errmsg(cli, "unload: permission denied: unloading a module "
		       "needs root (CAP_SYS_MODULE)");
		return EXIT_PERM;
	default:
		errmsg(cli, "unload: %s", strerror(-ret));
		return EXIT_FAIL;
	}
}


const struct command load_command = {
	"load", cmd_load,
	"load gupdemo.ko through libkmod (already loaded is not an error)",
	"load [--module PATH] [param=value ...]",
	"  -m, --module PATH  module file (default: $GUPDEMO_KO, else the build\n"
	"                     tree's BUILD/kernel/$(uname -r)/gupdemo.ko when this\n"
	"                     is BUILD/user/gupdemo, else gupdemo looked up in\n"
	"                     /lib/modules/$(uname -r))\n"
	"  -h, --help         this help, with the parameters of that module file\n"
	"  param=value        module parameters, listed below",
	NULL, NULL,
};

const struct command unload_command = {
	"unload", cmd_unload,
	"unload the module (fails while a descriptor is open)",
	"unload", NULL, NULL, NULL,
};
