// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo - command-line front end of libgupdemo.
 *
 * Commands live in one table (name, handler, summary, synopsis); adding one is
 * adding a row.  Messages go to stderr, results to stdout; colour only for
 * `run`'s verdicts on a terminal (never when stdout is not a TTY, nor with
 * NO_COLOR set).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "gupdemo-lab.h"

#define PARAM_DIR "/sys/module/" GUPDEMO_MODULE_NAME "/parameters"

static const struct command commands[];
static void print_opts(FILE *f, const struct cli_opt *opts);
static void print_wrapped(const char *indent, const char *text);

void errmsg(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *dev_path(struct cli *cli)
{
	return cli->device ? cli->device : GUPDEMO_DEV_PATH;
}

/* ---- help ---- */

static void print_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [--device PATH] COMMAND [ARGS...]\n"
		"\n"
		"Pin user memory through /dev/gupdemo and watch the kernel's pin counters.\n"
		"\n"
		"Commands:\n", prog);
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
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

void cli_command_usage(FILE *f, const char *prog,
				const struct command *c)
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

const struct command *cli_find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
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
		       dev_path(cli));
		fprintf(stderr,
			"  Load it (as root) with:  %s load [--module PATH/gupdemo.ko]\n"
			"  or:                      insmod PATH/gupdemo.ko\n",
			cli->prog);
		return EXIT_MISSING;
	case -EACCES:
	case -EPERM:
		errmsg(cli, "%s: permission denied: the device is root-only "
		       "(mode 0600). Run as root.", dev_path(cli));
		return EXIT_PERM;
	default:
		errmsg(cli, "%s: cannot open: %s", dev_path(cli), strerror(-ret));
		return EXIT_FAIL;
	}
}

int cli_get_info(struct cli *cli, int fd, struct gupdemo_info *info)
{
	int ret = gupdemo_get_info(fd, info);

	if (ret == -ENOTTY) {
		errmsg(cli, "%s: not a gupdemo device (GET_INFO: %s)",
		       dev_path(cli), strerror(-ret));
		return EXIT_FAIL;
	}
	if (ret) {
		errmsg(cli, "%s: GET_INFO failed: %s", dev_path(cli),
		       strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void print_version_code(uint32_t v)
{
	printf("%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

static void print_vmstat(const char *indent)
{
	struct gupdemo_vmstat vs;
	int ret = gupdemo_vmstat_read(&vs);

	if (ret) {
		printf("%spin counters    unavailable (%s)\n", indent,
		       strerror(-ret));
		return;
	}
	printf("%snr_foll_pin_acquired  %" PRIu64 "\n", indent, vs.acquired);
	printf("%snr_foll_pin_released  %" PRIu64 "\n", indent, vs.released);
	printf("%s(%s)\n", indent, vs.refreshed ?
	       "exact: read after /proc/sys/vm/stat_refresh" :
	       "approximate: stat_refresh needs root");
}

/* First line of a file of /sys/module/gupdemo into @buf; "" if none. */
static void read_sys_module(const char *name, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/module/%s/%s", GUPDEMO_MODULE_NAME,
		 name);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Every parameter of the loaded module (sysfs), else GET_INFO's limit. */
static void print_params(const struct gupdemo_info *info)
{
	struct dirent **ents = NULL;
	int n = scandir(PARAM_DIR, &ents, NULL, alphasort), shown = 0;

	for (int i = 0; i < n; i++) {
		char name[300], val[64];

		if (ents[i]->d_name[0] != '.') {
			snprintf(name, sizeof(name), "parameters/%s",
				 ents[i]->d_name);
			read_sys_module(name, val, sizeof(val));
			printf("  %-16s %s\n", ents[i]->d_name, val);
			shown++;
		}
		free(ents[i]);
	}
	free(ents);
	if (!shown)
		printf("  %-16s %u\n", "max_pin_pages", info->max_pin_pages);
}

static void print_info(const struct gupdemo_info *info)
{
	struct utsname u;
	uint32_t running = 0;
	char param[64];

	uname(&u);
	gupdemo_kernel_version(&running);

	read_sys_module("version", param, sizeof(param));
	printf("gupdemo module\n");
	printf("  version          %s (this tool: " GUPDEMO_VERSION_STRING
	       ")\n", param[0] ? param : "unknown");
	printf("  uapi version     %u (library built for %d)\n",
	       info->uapi_version, GUPDEMO_UAPI_VERSION);
	printf("  built for        ");
	print_version_code(info->kernel_version);
	printf("\n  running kernel   %s (", u.release);
	print_version_code(running);
	printf(")%s\n", running == info->kernel_version ? "" :
	       "  <- differs from the module's");
	printf("  page size        %u\n", info->page_size);
	printf("  features        ");
	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name;

		if (!(info->features & (1ULL << bit)))
			continue;
		if (gupdemo_feature_name(bit, &name) == 0)
			printf(" %s", name);
		else
			printf(" bit%u", bit);
	}
	printf("%s\n", info->features ? "" : " (none)");
	printf("  DMA engines      %s%s%s\n",
	       info->features & GUPDEMO_FEAT_ENGINE_SOFT ? "soft " : "",
	       info->features & GUPDEMO_FEAT_ENGINE_EDU ? "edu (QEMU 1234:11e8)" : "",
	       info->features & (GUPDEMO_FEAT_ENGINE_SOFT |
				 GUPDEMO_FEAT_ENGINE_EDU) ? "" : "none");
	print_params(info);
	printf("module counters\n");
	printf("  pins held        %" PRIu64 " (%" PRIu64 " pages)\n",
	       (uint64_t)info->pins_held, (uint64_t)info->pages_held);
	printf("  pins total       %" PRIu64 "\n", (uint64_t)info->pins_total);
	printf("  failures total   %" PRIu64 "\n",
	       (uint64_t)info->failures_total);
	printf("vmstat pin counters\n");
	print_vmstat("  ");
}

/* ---- info ---- */

static void json_u64(const char *key, uint64_t v, bool last)
{
	printf("    \"%s\": %" PRIu64 "%s\n", key, v, last ? "" : ",");
}

static void json_version_code(const char *key, uint32_t v)
{
	printf("  \"%s\": \"%u.%u.%u\",\n", key, v >> 16, (v >> 8) & 0xff,
	       v & 0xff);
}

/*
 * Every parameter of the loaded module, from /sys/module/gupdemo/parameters
 * (numbers as numbers); GET_INFO's when that directory cannot be read.
 */
static void print_params_json(const struct gupdemo_info *info)
{
	struct dirent **ents = NULL;
	int n = scandir(PARAM_DIR, &ents, NULL, alphasort), shown = 0;

	for (int i = 0; i < n; i++) {
		char name[300], val[64];

		if (ents[i]->d_name[0] != '.') {
			snprintf(name, sizeof(name), "parameters/%s",
				 ents[i]->d_name);
			read_sys_module(name, val, sizeof(val));
			printf("%s\n    ", shown++ ? "," : "");
			json_str(stdout, ents[i]->d_name);
			if (val[0] && strspn(val, "0123456789") == strlen(val) &&
			    strlen(val) < 20) {
				printf(": %s", val);
			} else {
				printf(": ");
				json_str(stdout, val);
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (!shown)
		printf("\n    \"max_pin_pages\": %u,\n    \"max_mirror_pages\": "
		       "%u,\n    \"max_mirror_pages_file\": %u", info->max_pin_pages,
		       info->max_mirror_pages, info->max_mirror_pages_file);
	printf("\n  ");
}

/* `info --json`: the same facts as print_info(), one document. */
static void print_info_json(struct cli *cli, const struct gupdemo_info *info)
{
	struct gupdemo_vmstat vs;
	uint32_t running = 0;
	bool first = true;
	char buf[64];
	struct utsname u;
	int vret;

	uname(&u);
	gupdemo_kernel_version(&running);
	json_begin("gupdemo info");
	printf(",\n  \"device\": ");
	json_str(stdout, dev_path(cli));
	read_sys_module("version", buf, sizeof(buf));
	printf(",\n  \"module_version\": ");
	json_str(stdout, buf);
	printf(",\n  \"uapi_version\": %u,\n  \"library_uapi_version\": %d,\n",
	       info->uapi_version, GUPDEMO_UAPI_VERSION);
	json_version_code("module_kernel_version", info->kernel_version);
	printf("  \"kernel\": ");
	json_str(stdout, u.release);
	printf(",\n");
	json_version_code("kernel_version", running);
	printf("  \"page_size\": %u,\n  \"features\": [", info->page_size);
	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name;

		if (!(info->features & (1ULL << bit)))
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		if (gupdemo_feature_name(bit, &name) == 0) {
			json_str(stdout, name);
		} else {
			snprintf(buf, sizeof(buf), "bit%u", bit);
			json_str(stdout, buf);
		}
	}
	printf("],\n  \"parameters\": {");
	print_params_json(info);
	printf("},\n");
	printf("  \"counters\": {\n");
	json_u64("pins_held", info->pins_held, false);
	json_u64("pages_held", info->pages_held, false);
	json_u64("pins_total", info->pins_total, false);
	json_u64("failures_total", info->failures_total, false);
	json_u64("mirrors_held", info->mirrors_held, false);
	json_u64("mirror_pages_held", info->mirror_pages_held, true);
	printf("  },\n  \"vmstat\": ");
	vret = gupdemo_vmstat_read(&vs);
	if (vret) {
		printf("{\"error\": ");
		json_str(stdout, cli_errname(vret));
		printf("}\n}\n");
		return;
	}
	printf("{\"nr_foll_pin_acquired\": %" PRIu64 ", \"nr_foll_pin_released\": %"
	       PRIu64 ", \"exact\": %s}\n}\n", vs.acquired, vs.released,
	       vs.refreshed ? "true" : "false");
}

static int opt_set_flag(struct cli *cli, void *ctx, const char *arg)
{
	(void)cli, (void)arg;
	*(bool *)ctx = true;
	return 0;
}

static const struct cli_opt info_options[] = {
	{ "json", 'j', NULL, opt_set_flag, NULL,
	  "one JSON document on stdout (format_version 1)" },
	{ "device", 'd', "PATH", cli_set_device, NULL,
	  "device node (default " GUPDEMO_DEV_PATH ")" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

static int cmd_info(struct cli *cli, int argc, char **argv)
{
	struct gupdemo_info info;
	bool json = false;
	int fd, ret, first;

	ret = cli_parse_opts(cli, cli_find_command("info"), &json, argc, argv,
			     0, &first);
	if (ret >= 0)
		return ret;
	ret = cli_open_device(cli, &fd);
	if (ret)
		return ret;
	ret = cli_get_info(cli, fd, &info);
	if (ret == EXIT_OK && json) {
		print_info_json(cli, &info);
	} else if (ret == EXIT_OK) {
		printf("device             %s\n", dev_path(cli));
		print_info(&info);
	}
	gupdemo_close(fd);
	return ret;
}

/* ---- load / unload ---- */

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
			print_wrapped("      ", params[i].desc);
	}
}

static int cmd_load(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "module", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *c = cli_find_command("load");
	const char *path = NULL;
	char options[1024] = "", vermagic[256], built[128], tree[4352];
	size_t used = 0;
	bool already = false, help = false;
	struct utsname u;
	int opt, ret;

	uname(&u);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hm:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help = true;
			break;
		case 'm':
			path = optarg;
			break;
		default:
			errmsg(cli, "load: unknown option or missing argument '%s'",
			       argv[optind - 1]);
			cli_command_usage(stderr, cli->prog, c);
			return EXIT_USAGE;
		}
	}
	if (help) {
		load_help(cli, c, load_module_path(path, u.release, tree,
						   sizeof(tree)));
		return EXIT_OK;
	}
	for (int i = optind; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		int n;

		if (!eq || eq == argv[i]) {
			errmsg(cli, "load: '%s' is not a parameter (name=value)",
			       argv[i]);
			cli_command_usage(stderr, cli->prog, c);
			return EXIT_USAGE;
		}
		n = snprintf(options + used, sizeof(options) - used, "%s%s",
			     used ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(options) - used) {
			errmsg(cli, "load: parameters too long");
			return EXIT_USAGE;
		}
		used += (size_t)n;
	}
	path = load_module_path(path, u.release, tree, sizeof(tree));

	ret = gupdemo_module_load(path, used ? options : NULL, &already);
	if (ret == 0) {
		if (already)
			printf("gupdemo is already loaded (its parameters are "
			       "unchanged)\n");
		else
			printf("gupdemo loaded from %s%s%s\n",
			       path ? path : "/lib/modules", used ? " with " : "",
			       options);
		return EXIT_OK;
	}

	switch (ret) {
	case -ENOENT:
		if (path) {
			errmsg(cli, "load: %s: no such file", path);
		} else {
			errmsg(cli, "load: gupdemo.ko for kernel %s not found",
			       u.release);
			fprintf(stderr, "  looked in: /lib/modules/%s (make "
				"install)%s%s%s\n", u.release,
				tree[0] ? "\n             " : "", tree,
				tree[0] ? " (make module)" : "");
			fprintf(stderr, "  give it:   %s load --module "
				"PATH/gupdemo.ko (or set GUPDEMO_KO=PATH)\n",
				cli->prog);
		}
		return EXIT_MISSING;
	case -EPERM:
	case -EACCES:
		errmsg(cli, "load: permission denied: loading a module needs "
		       "root (CAP_SYS_MODULE)");
		return EXIT_PERM;
	case -ENOEXEC:
	case -EINVAL:
		if (gupdemo_module_vermagic(path, vermagic, sizeof(vermagic)) == 0) {
			vermagic_release(vermagic, built, sizeof(built));
			if (strcmp(built, u.release) != 0) {
				errmsg(cli, "load: %s was built for kernel %s, "
				       "but this is %s: rebuild it "
				       "(make module KVER=%s)", path ? path :
				       "gupdemo.ko", built, u.release,
				       u.release);
				return EXIT_FAIL;
			}
		}
		if (ret == -EINVAL && used) {
			errmsg(cli, "load: invalid argument: check the "
			       "parameters (%s); see dmesg", options);
			return EXIT_FAIL;
		}
		errmsg(cli, "load: %s: %s (not a module for this kernel?); see "
		       "dmesg", path ? path : "gupdemo", strerror(-ret));
		return EXIT_FAIL;
	case -ENOSYS:
		errmsg(cli, "load: this kernel cannot load modules (%s)",
		       strerror(-ret));
		return EXIT_FAIL;
	default:
		errmsg(cli, "load: %s", strerror(-ret));
		return EXIT_FAIL;
	}
}

static int cmd_unload(struct cli *cli, int argc, char **argv)
{
	int ret, refcnt = 0;

	ret = parse_common(cli, cli_find_command("unload"), argc, argv, false, 0);
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

/* ---- demo ---- */

#define DEMO_PAGES 8

static void demo_row(const char *what, const struct gupdemo_vmstat *vs,
		     const struct gupdemo_vmstat *base)
{
	printf("  %-14s %14" PRIu64 " %14" PRIu64, what, vs->acquired,
	       vs->released);
	if (base)
		printf("   (+%" PRIu64 " / +%" PRIu64 ")",
		       vs->acquired - base->acquired,
		       vs->released - base->released);
	printf("\n");
}

static const struct cli_opt demo_options[] = {
	{ "device", 'd', "PATH", cli_set_device, NULL,
	  "device node (default " GUPDEMO_DEV_PATH ")" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

static int cmd_demo(struct cli *cli, int argc, char **argv)
{
	struct gupdemo_vmstat before, pinned, after;
	struct gupdemo_info info;
	struct gupdemo_pin pin;
	struct gupdemo_query q;
	size_t len, psz;
	uint64_t d_acq, d_rel;
	bool balanced;
	char *buf;
	int fd, ret, first;

	ret = cli_parse_opts(cli, cli_find_command("demo"), NULL, argc, argv,
			     0, &first);
	if (ret >= 0)
		return ret;
	ret = cli_open_device(cli, &fd);
	if (ret)
		return ret;
	ret = cli_get_info(cli, fd, &info);
	if (ret)
		goto out_close;
	printf("device             %s\n", dev_path(cli));
	print_info(&info);

	psz = (size_t)sysconf(_SC_PAGESIZE);
	len = DEMO_PAGES * psz;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		errmsg(cli, "demo: mmap: %s", strerror(errno));
		ret = EXIT_FAIL;
		goto out_close;
	}
	/* Small pages (no THP), populated, so every page counts once. */
	madvise(buf, len, MADV_NOHUGEPAGE);
	memset(buf, 0x5a, len);

	printf("\ndemo: pin %d pages of anonymous memory with "
	       "pin_user_pages_fast(FOLL_WRITE), then unpin\n", DEMO_PAGES);
	printf("  %-14s %14s %14s\n", "", "acquired", "released");
	ret = gupdemo_vmstat_read(&before);
	if (ret) {
		errmsg(cli, "demo: reading /proc/vmstat: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out_unmap;
	}
	demo_row("before", &before, NULL);

	memset(&pin, 0, sizeof(pin));
	pin.addr = (uintptr_t)buf;
	pin.len = len;
	pin.api = GUPDEMO_API_PIN_FAST;
	pin.flags = GUPDEMO_PIN_WRITE;
	ret = gupdemo_pin(fd, &pin);
	if (ret) {
		errmsg(cli, "demo: PIN failed: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out_unmap;
	}
	gupdemo_vmstat_read(&pinned);
	demo_row("after pin", &pinned, &before);
	memset(&q, 0, sizeof(q));
	q.handle = pin.handle;
	if (gupdemo_query(fd, &q) == 0)
		printf("  handle %u: %" PRIu64 " pages held, %" PRIu64
		       " dma-pinned, %" PRIu64 " folios, pinned in %" PRIu64
		       " ns\n", pin.handle, (uint64_t)q.npages,
		       (uint64_t)q.npinned, (uint64_t)q.nfolios,
		       (uint64_t)pin.get_ns);

	ret = gupdemo_unpin_handle(fd, pin.handle, GUPDEMO_UNPIN_DIRTY);
	if (ret) {
		errmsg(cli, "demo: UNPIN failed: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out_unmap;
	}
	gupdemo_vmstat_read(&after);
	demo_row("after unpin", &after, &before);

	d_acq = after.acquired - before.acquired;
	d_rel = after.released - before.released;
	gupdemo_get_info(fd, &info);
	balanced = d_acq == d_rel && d_acq == pin.npages &&
		   before.refreshed && after.refreshed;
	printf("\npins balanced: %s (%" PRIu64 " pages pinned, +%" PRIu64
	       " acquired, +%" PRIu64 " released; module holds %" PRIu64
	       " pins)\n", balanced ? "yes" : "no", (uint64_t)pin.npages,
	       d_acq, d_rel, (uint64_t)info.pins_held);
	if (!before.refreshed || !after.refreshed)
		printf("  (counters not exact: /proc/sys/vm/stat_refresh needs "
		       "root)\n");
	ret = balanced ? EXIT_OK : EXIT_FAIL;
out_unmap:
	munmap(buf, len);
out_close:
	gupdemo_close(fd);
	return ret;
}

/* ---- list / run: the scenario catalogue ---- */

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

static const struct cli_opt list_options[] = {
	{ "json", 'j', NULL, opt_set_flag, NULL,
	  "one JSON document on stdout (format_version 1)" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

static void list_json_needs(uint32_t needs)
{
	static const char *const names[] = {
		"ext4", "soft", "edu", "root", "movable", "numa",
	};
	bool first = true;

	printf(", \"needs\": [");
	for (unsigned int b = 0; b < 32; b++) {
		char other[16];

		if (!(needs & (1U << b)))
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		snprintf(other, sizeof(other), "bit%u", b);
		json_str(stdout, b < sizeof(names) / sizeof(names[0]) ?
			 names[b] : other);
	}
	printf("]");
}

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	const struct gupdemo_scenario *sc;
	bool json = false;
	int ret, first;

	ret = cli_parse_opts(cli, cli_find_command("list"), &json, argc, argv,
			     0, &first);
	if (ret >= 0)
		return ret;
	if (json) {
		json_begin("gupdemo list");
		printf(",\n  \"scenarios\": [");
	}
	for (unsigned int i = 0; i < gupdemo_scenario_count(); i++) {
		gupdemo_scenario_get(i, &sc);
		if (!json) {
			printf("%-14s %s\n", sc->name, sc->summary);
			continue;
		}
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_str(stdout, sc->name);
		printf(", \"api\": ");
		json_str(stdout, sc->api);
		printf(", \"memory\": ");
		json_str(stdout, sc->memory);
		printf(", \"pages\": %" PRIu32 ", \"lab\": %s", sc->pages,
		       sc->lesson ? "true" : "false");
		list_json_needs(sc->needs);
		printf(",\n     \"summary\": ");
		json_str(stdout, sc->summary);
		printf("}");
	}
	if (json)
		printf("\n  ]\n}\n");
	return EXIT_OK;
}

enum run_format { FMT_HUMAN, FMT_JSON, FMT_TAP };

struct run_state {
	enum run_format fmt;
	bool colour;
	bool lab_seen;	/* the lab's heading is printed */
	unsigned int n, passed, failed, skipped;
};

/* "16" for a success with 16 pages, "EFAULT" for -EFAULT. */
static void result_text(int ret, uint64_t npages, char *buf, size_t size)
{
	if (ret)
		snprintf(buf, size, "%s", cli_errname(ret));
	else
		snprintf(buf, size, "%" PRIu64, npages);
}

static const char *verdict_name(enum gupdemo_verdict v)
{
	return v == GUPDEMO_VERDICT_PASS ? "pass" :
	       v == GUPDEMO_VERDICT_SKIP ? "skip" : "FAIL";
}

/* Prints @text wrapped to 79 columns, each line starting with @indent. */
static void print_wrapped(const char *indent, const char *text)
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

static void run_print_one(struct run_state *st, unsigned int idx,
			  const struct gupdemo_scenario *sc,
			  const struct gupdemo_scenario_outcome *o)
{
	char res[24], exp[24];
	bool skipped = o->verdict == GUPDEMO_VERDICT_SKIP;

	result_text(o->ret, o->npages, res, sizeof(res));
	result_text(o->exp_ret, o->exp_npages, exp, sizeof(exp));
	switch (st->fmt) {
	case FMT_HUMAN: {
		const char *on = "", *off = "";

		if (sc->lesson && !st->lab_seen) {
			st->lab_seen = true;
			printf("\nwhat a held pin does to the rest of the kernel "
			       "(the consequences lab)\n");
		}
		if (st->colour) {
			on = o->verdict == GUPDEMO_VERDICT_PASS ? "\033[32m" :
			     skipped ? "\033[33m" : "\033[1;31m";
			off = "\033[0m";
		}
		if (skipped)
			printf("%-14s %-9s %-9s %3" PRIu32 " %-10s %-10s %4s %4s "
			       "%s%s%s\n", sc->name, sc->api, sc->memory,
			       sc->pages, "-", "-", "-", "-", on, "skip", off);
		else
			printf("%-14s %-9s %-9s %3" PRIu32 " %-10s %-10s %4" PRId64
			       " %4" PRId64 " %s%s%s\n", sc->name, sc->api,
			       sc->memory, sc->pages, res, exp, o->d_acquired,
			       o->d_released, on, verdict_name(o->verdict), off);
		if (o->note[0])
			print_wrapped("    ", o->note);
		if (sc->lesson && !skipped) {
			char line[300];

			snprintf(line, sizeof(line), "lesson: %s", sc->lesson);
			print_wrapped("    ", line);
		}
		break;
	}
	case FMT_TAP:
		if (skipped) {
			printf("ok %u - %s # SKIP %.*s\n", idx, sc->name,
			       (int)strcspn(o->note, "\n"), o->note);
			break;
		}
		printf("%sok %u - %s: %s %s, %" PRIu32 " pages -> %s (expected "
		       "%s), +%" PRId64 "/+%" PRId64 " acquired/released "
		       "(expected +%" PRId64 "/+%" PRId64 ")\n",
		       o->verdict == GUPDEMO_VERDICT_PASS ? "" : "not ", idx,
		       sc->name, sc->api, sc->memory, sc->pages, res, exp,
		       o->d_acquired, o->d_released, o->exp_acquired,
		       o->exp_released);
		if (o->note[0])
			print_wrapped("# ", o->note);
		if (sc->lesson)
			printf("# lesson: %s\n", sc->lesson);
		break;
	case FMT_JSON:
		printf("%s\n    {\"name\": ", idx > 1 ? "," : "");
		json_str(stdout, sc->name);
		printf(", \"api\": ");
		json_str(stdout, sc->api);
		printf(", \"memory\": ");
		json_str(stdout, sc->memory);
		printf(", \"pages\": %" PRIu32 ", \"summary\": ", sc->pages);
		json_str(stdout, sc->summary);
		if (sc->lesson) {
			printf(", \"lesson\": ");
			json_str(stdout, sc->lesson);
		}
		printf(",\n     \"verdict\": \"%s\", \"result\": ",
		       skipped ? "skip" : o->verdict == GUPDEMO_VERDICT_PASS ?
		       "pass" : "fail");
		json_str(stdout, skipped ? "" : res);
		printf(", \"ret\": %d, \"npages\": %" PRIu64 ", \"expected\": ",
		       o->ret, o->npages);
		json_str(stdout, skipped ? "" : exp);
		printf(", \"exp_ret\": %d, \"exp_npages\": %" PRIu64 ",\n"
		       "     \"d_acquired\": %" PRId64 ", \"d_released\": %"
		       PRId64 ", \"exp_d_acquired\": %" PRId64
		       ", \"exp_d_released\": %" PRId64 ", \"note\": ",
		       o->exp_ret, o->exp_npages, o->d_acquired, o->d_released,
		       o->exp_acquired, o->exp_released);
		json_str(stdout, o->note);
		printf("}");
		break;
	}
	fflush(stdout);
}

/* Colour on a terminal only: not in a pipe, a file or on a serial line. */
static bool use_colour(void)
{
	const char *term = getenv("TERM"), *tty;

	if (!isatty(STDOUT_FILENO) || getenv("NO_COLOR") || !term ||
	    strcmp(term, "dumb") == 0)
		return false;
	tty = ttyname(STDOUT_FILENO);
	return !tty || strncmp(tty, "/dev/ttyS", 9) != 0;
}

/* What the options of `run` set. */
struct run_args {
	struct run_state *st;
	const char *ext4_dir;
	bool no_ext4;
};

static int run_set_format(struct run_args *a, enum run_format fmt)
{
	if (a->st->fmt != FMT_HUMAN && a->st->fmt != fmt)
		return -EINVAL;
	a->st->fmt = fmt;
	return 0;
}

static int run_opt_json(struct cli *cli, void *ctx, const char *arg)
{
	(void)cli, (void)arg;
	return run_set_format(ctx, FMT_JSON);
}

static int run_opt_tap(struct cli *cli, void *ctx, const char *arg)
{
	(void)cli, (void)arg;
	return run_set_format(ctx, FMT_TAP);
}

static int run_opt_ext4_dir(struct cli *cli, void *ctx, const char *arg)
{
	struct run_args *a = ctx;

	(void)cli;
	a->ext4_dir = arg;
	return 0;
}

static int run_opt_no_ext4(struct cli *cli, void *ctx, const char *arg)
{
	struct run_args *a = ctx;

	(void)cli, (void)arg;
	a->no_ext4 = true;
	return 0;
}

static const struct cli_opt run_options[] = {
	{ "json", 'j', NULL, run_opt_json, "--json and --tap exclude each other",
	  "one JSON document on stdout" },
	{ "tap", 't', NULL, run_opt_tap, "--json and --tap exclude each other",
	  "TAP (for prove); the last test is the balance" },
	{ "device", 'd', "PATH", cli_set_device, NULL,
	  "device node (default " GUPDEMO_DEV_PATH ")" },
	{ "ext4-dir", 0, "DIR", run_opt_ext4_dir, NULL,
	  "use DIR (on ext4) for the ext4 scenarios instead\n"
	  "of a scratch ext4 on a loop device in /tmp" },
	{ "no-ext4", 0, NULL, run_opt_no_ext4, NULL,
	  "skip the ext4 scenarios" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

/*
 * `run --tap` that cannot start: TAP consumers want a plan.  No module or
 * no permission is a skipped plan, "1..0 # SKIP reason" (the TAP form of
 * "nothing here can run", as kselftest's ksft_exit_skip() prints it before
 * any plan), with exit status 0 so that prove counts it as skipped; any
 * other failure is "Bail out!" with the exit status kept.  Nothing in the
 * other formats (the message is on stderr).  Returns @status, or 0 for a
 * skipped plan.
 */
static int run_tap_cannot(struct cli *cli, const struct run_state *st,
			  int status)
{
	if (st->fmt != FMT_TAP)
		return status;
	if (status == EXIT_MISSING) {
		printf("1..0 # SKIP %s: no such device (the gupdemo module is "
		       "not loaded)\n", dev_path(cli));
		status = EXIT_OK;
	} else if (status == EXIT_PERM) {
		printf("1..0 # SKIP %s: permission denied (root only)\n",
		       dev_path(cli));
		status = EXIT_OK;
	} else {
		printf("Bail out! %s: not usable (see stderr)\n", dev_path(cli));
	}
	fflush(stdout);
	return status;
}

static int cmd_run(struct cli *cli, int argc, char **argv)
{
	const struct command *c = cli_find_command("run");
	unsigned int count = gupdemo_scenario_count(), nsel = 0, *sel;
	struct gupdemo_scenario_env env = { .fd = -1 };
	struct gupdemo_vmstat start = { 0 }, end = { 0 };
	struct run_state st = { .fmt = FMT_HUMAN };
	struct run_args args = { .st = &st };
	struct gupdemo_ext4 ext4 = { .loop_fd = -1 };
	struct gupdemo_info info;
	bool want_ext4 = false, mounted = false, balanced;
	int64_t d_acq = 0, d_rel = 0;
	char ext4_err[128] = "";
	struct utsname u;
	int first, ret, fd;

	ret = cli_parse_opts(cli, c, &args, argc, argv, -1, &first);
	if (ret >= 0)
		return ret;

	/* Every name is checked before anything runs. */
	sel = calloc(count + (size_t)(argc - first), sizeof(*sel));
	if (!sel) {
		errmsg(cli, "out of memory");
		return EXIT_FAIL;
	}
	for (int i = first; i < argc; i++) {
		if (gupdemo_scenario_find(argv[i], &sel[nsel]) != 0) {
			errmsg(cli, "run: unknown scenario '%s' (see '%s list')",
			       argv[i], cli->prog);
			free(sel);
			return EXIT_USAGE;
		}
		nsel++;
	}
	if (!nsel)
		for (unsigned int i = 0; i < count; i++)
			sel[nsel++] = i;
	for (unsigned int i = 0; i < nsel; i++) {
		const struct gupdemo_scenario *sc;

		gupdemo_scenario_get(sel[i], &sc);
		if (sc->needs & GUPDEMO_NEEDS_EXT4)
			want_ext4 = true;
	}

	ret = cli_open_device(cli, &fd);
	if (ret) {
		free(sel);
		return run_tap_cannot(cli, &st, ret);
	}
	ret = cli_get_info(cli, fd, &info);
	if (ret) {
		run_tap_cannot(cli, &st, ret);
		goto out_close;
	}
	env.fd = fd;
	env.features = info.features;
	ret = gupdemo_kernel_version(&env.kernel);
	if (ret) {
		errmsg(cli, "run: cannot tell the kernel version: %s",
		       strerror(-ret));
		ret = EXIT_FAIL;
		goto out_close;
	}
	if (want_ext4 && args.ext4_dir) {
		env.ext4_dir = args.ext4_dir;
	} else if (want_ext4 && !args.no_ext4) {
		ret = gupdemo_ext4_mount("/tmp", 16, &ext4);
		if (ret == 0) {
			mounted = true;
			env.ext4_dir = ext4.dir;
		} else {
			snprintf(ext4_err, sizeof(ext4_err),
				 "no scratch ext4 (%s): ext4 scenarios skipped",
				 ret == -ENOENT ? "no mke2fs or loop device" :
				 strerror(-ret));
		}
	}

	uname(&u);
	gupdemo_vmstat_read(&start);
	st.colour = st.fmt == FMT_HUMAN && use_colour();
	switch (st.fmt) {
	case FMT_HUMAN:
		/* Two lines: a debug kernel's release string is long. */
		printf("gupdemo run: kernel %s (%u.%u.%u),\n  module built for "
		       "%u.%u.%u\n", u.release, env.kernel >> 16,
		       (env.kernel >> 8) & 0xff, env.kernel & 0xff,
		       info.kernel_version >> 16,
		       (info.kernel_version >> 8) & 0xff,
		       info.kernel_version & 0xff);
		printf("expected results for this kernel; deltas of "
		       "nr_foll_pin_{acquired,released}\n");
		if (ext4_err[0])
			printf("note: %s\n", ext4_err);
		printf("\n%-14s %-9s %-9s %3s %-10s %-10s %4s %4s %s\n",
		       "scenario", "api", "memory", "pgs", "result",
		       "expected", "+acq", "+rel", "verdict");
		break;
	case FMT_TAP:
		printf("1..%u\n# gupdemo run: kernel %s\n", nsel + 1, u.release);
		if (ext4_err[0])
			printf("# %s\n", ext4_err);
		break;
	case FMT_JSON:
		json_begin("gupdemo run");
		printf(",\n  \"kernel\": ");
		json_str(stdout, u.release);
		printf(",\n  \"kernel_version\": \"%u.%u.%u\",\n"
		       "  \"module_kernel_version\": \"%u.%u.%u\",\n"
		       "  \"scenarios\": [", env.kernel >> 16,
		       (env.kernel >> 8) & 0xff, env.kernel & 0xff,
		       info.kernel_version >> 16,
		       (info.kernel_version >> 8) & 0xff,
		       info.kernel_version & 0xff);
		break;
	}
	fflush(stdout);

	for (unsigned int i = 0; i < nsel; i++) {
		struct gupdemo_scenario_outcome o;
		const struct gupdemo_scenario *sc;

		gupdemo_scenario_get(sel[i], &sc);
		gupdemo_scenario_exec(sel[i], &env, &o);
		st.n++;
		if (o.verdict == GUPDEMO_VERDICT_PASS)
			st.passed++;
		else if (o.verdict == GUPDEMO_VERDICT_SKIP)
			st.skipped++;
		else
			st.failed++;
		run_print_one(&st, i + 1, sc, &o);
	}

	ret = gupdemo_vmstat_read(&end);
	if (gupdemo_get_info(fd, &info))
		info.pins_held = UINT64_MAX;
	d_acq = (int64_t)(end.acquired - start.acquired);
	d_rel = (int64_t)(end.released - start.released);
	balanced = !ret && start.refreshed && end.refreshed && d_acq == d_rel &&
		   info.pins_held == 0;

	switch (st.fmt) {
	case FMT_HUMAN:
		printf("\n%u scenarios: %u passed, %u failed, %u skipped\n",
		       st.n, st.passed, st.failed, st.skipped);
		printf("pin counters over the run: +%" PRId64 " acquired, +%"
		       PRId64 " released%s; module holds %" PRIu64 " pins\n",
		       d_acq, d_rel, start.refreshed && end.refreshed ? "" :
		       " (not exact: stat_refresh needs root)",
		       (uint64_t)info.pins_held);
		printf("pins balanced: %s\n", balanced ? "yes" : "no");
		break;
	case FMT_TAP:
		printf("%sok %u - pins balanced: +%" PRId64 " acquired, +%"
		       PRId64 " released, %" PRIu64 " pins held\n",
		       balanced ? "" : "not ", nsel + 1, d_acq, d_rel,
		       (uint64_t)info.pins_held);
		printf("# %u passed, %u failed, %u skipped; pins balanced: %s\n",
		       st.passed, st.failed, st.skipped,
		       balanced ? "yes" : "no");
		break;
	case FMT_JSON:
		printf("\n  ],\n  \"totals\": {\"scenarios\": %u, \"passed\": "
		       "%u, \"failed\": %u, \"skipped\": %u, \"d_acquired\": %"
		       PRId64 ", \"d_released\": %" PRId64 ", \"pins_held\": %"
		       PRIu64 ", \"counters_exact\": %s},\n"
		       "  \"pins_balanced\": %s\n}\n", st.n, st.passed,
		       st.failed, st.skipped, d_acq, d_rel,
		       (uint64_t)info.pins_held,
		       start.refreshed && end.refreshed ? "true" : "false",
		       balanced ? "true" : "false");
		break;
	}
	fflush(stdout);
	ret = st.failed || !balanced ? EXIT_FAIL : EXIT_OK;
	if (mounted && gupdemo_ext4_umount(&ext4))
		errmsg(cli, "run: could not remove the scratch ext4 at %s",
		       ext4.dir);
out_close:
	gupdemo_close(fd);
	free(sel);
	return ret;
}

/* ---- help / version ---- */

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
	c = cli_find_command(argv[1]);
	if (!c) {
		errmsg(cli, "help: unknown command '%s'", argv[1]);
		return EXIT_USAGE;
	}
	cli_command_usage(stdout, cli->prog, c);
	return EXIT_OK;
}

static void print_version(void)
{
	printf("gupdemo " GUPDEMO_VERSION_STRING " (libgupdemo API %d, uapi "
	       "%d, JSON format %d)\n", GUPDEMO_LIB_VERSION,
	       GUPDEMO_UAPI_VERSION, CLI_JSON_FORMAT_VERSION);
}

static const struct command commands[] = {
	{ "info", cmd_info,
	  "module, uapi and kernel versions, features, module and vmstat counters",
	  "info [--json] [--device PATH]", NULL, info_options, NULL },
	{ "load", cmd_load,
	  "load gupdemo.ko through libkmod (already loaded is not an error)",
	  "load [--module PATH] [param=value ...]",
	  "  -m, --module PATH  module file (default: $GUPDEMO_KO, else the build\n"
	  "                     tree's BUILD/kernel/$(uname -r)/gupdemo.ko when this\n"
	  "                     is BUILD/user/gupdemo, else gupdemo looked up in\n"
	  "                     /lib/modules/$(uname -r))\n"
	  "  -h, --help         this help, with the parameters of that module file\n"
	  "  param=value        module parameters, listed below",
	  NULL, NULL },
	{ "unload", cmd_unload,
	  "unload the module (fails while a descriptor is open)",
	  "unload", NULL, NULL, NULL },
	{ "demo", cmd_demo,
	  "print info, pin and unpin a few pages, show that the pin counters balance",
	  "demo [--device PATH]", NULL, demo_options,
	  "Exit status 0 when nr_foll_pin_acquired and nr_foll_pin_released both\n"
	  "grew by the number of pages pinned (exact counters need root), else 1." },
	{ "list", cmd_list, "the scenario catalogue, one line each",
	  "list [--json]", NULL, list_options, NULL },
	{ "run", cmd_run,
	  "run scenarios: results and exact pin counters vs this kernel",
	  "run [--json | --tap] [--device PATH] [--ext4-dir DIR | --no-ext4]\n"
	  "       [SCENARIO ...]",
	  "Runs the named scenarios (default: all; 'gupdemo list' names them).\n"
	  "For each: the GUP call, the memory, the pages, the result (pages or\n"
	  "errno), the result expected on this kernel, the exact movement of\n"
	  "nr_foll_pin_acquired (+acq) and nr_foll_pin_released (+rel), and the\n"
	  "verdict.  Ends with the totals and \"pins balanced: yes/no\": both\n"
	  "counters moved by the same amount over the run and no pin is held.",
	  run_options,
	  "Needs root (the device is 0600; exact counters need stat_refresh).\n"
	  "With --tap, a run that cannot start for want of the module or of\n"
	  "permission prints \"1..0 # SKIP reason\" and exits 0 (a skipped plan).\n"
	  "Exit status: 0 every scenario passed or was skipped and the pins\n"
	  "balanced; 1 a scenario failed or the pins did not balance; 2 usage\n"
	  "error (e.g. an unknown scenario); 3 device missing; 4 permission." },
	{ "bench", cmd_bench,
	  "time PIN/UNPIN vs bare GUP and DMA vs memcpy (module clock)",
	  "bench [--quick] [--json | --csv | --table] [--markers] [options]",
	  bench_details, bench_options, bench_notes },
	{ "help", cmd_help, "this help, or a command's", "help [COMMAND]", NULL,
	  NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

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
	c = cli_find_command(argv[optind]);
	if (!c) {
		errmsg(&cli, "unknown command '%s'", argv[optind]);
		try_help(cli.prog);
		return EXIT_USAGE;
	}
	return c->run(&cli, argc - optind, argv + optind);
}
