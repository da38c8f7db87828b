// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: argument handling, messages and exit codes of the gupdemo CLI.
 * Runs the CLI built next to it (GUPDEMO_CLI in the environment overrides).
 * The build host has no gupdemo module, which is exactly what the "device
 * missing" messages are about.
 *
 * Most checks are rows of a case table (arguments, exit status, a piece of
 * stdout / stderr); the groups in main() run them in order.
 */
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef GUPDEMO_CLI_PATH
#define GUPDEMO_CLI_PATH "build/user/gupdemo"
#endif

#include "clirun.h"
#include "gupdemo.h"

#define X_OK_ CLI_OK
#define X_FAIL CLI_FAIL
#define X_USAGE CLI_USAGE
#define X_MISSING CLI_MISSING
#define X_PERM CLI_PERM

#define NOPE "/nonexistent/gupdemo"

/* Rows name the arguments first, the rest in field order. */
#define ARGV(...) .argv = { __VA_ARGS__ }

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * One CLI run: its arguments, the exit status, a piece of stdout and / or
 * stderr.  Optionally one more stderr piece (also_err, checked as
 * also_name) and that stdout stays empty (checked as empty_name).
 */
struct cli_case {
	const char *argv[30];
	int status;
	const char *out_has, *err_has, *what;
	const char *also_err, *also_name;
	const char *empty_name;
};

static void run_cases(struct run *r, const struct cli_case *c, size_t n)
{
	for (; n--; c++) {
		run_cli(r, (uid_t)-1, c->argv);
		expect(r, c->status, c->out_has, c->err_has, c->what);
		if (c->also_err)
			ok(strstr(r->err, c->also_err) != NULL, "%s", c->also_name);
		if (c->empty_name)
			is_str(r->out, "", "%s", c->empty_name);
	}
}

static const struct cli_case help_cases[] = {
	{ ARGV("-h"), X_OK_, "Usage: gupdemo", NULL, "-h" },
	{ ARGV("help"), X_OK_, "Commands:", NULL, "help" },
	{ ARGV("help", "load"), X_OK_, "Usage: gupdemo load", NULL, "help load" },
	{ ARGV("load", "--help"), X_OK_, "--module PATH", NULL, "load --help" },
	{ ARGV("info", "--help"), X_OK_, "Usage: gupdemo info", NULL, "info --help" },
	{ ARGV("demo", "-h"), X_OK_, "Usage: gupdemo demo", NULL, "demo -h" },
	{ ARGV("unload", "--help"), X_OK_, "Usage: gupdemo unload", NULL,
	  "unload --help" },
};

static void test_help_version(struct run *r)
{
	RUN(r, "--help");
	expect(r, X_OK_, "Usage: gupdemo", NULL, "--help");
	ok(strstr(r->out, "Exit status:") && strstr(r->out, "  3  ") &&
	   strstr(r->out, "  4  "), "--help documents the exit codes");
	ok(strstr(r->out, "info") && strstr(r->out, "load") &&
	   strstr(r->out, "unload") && strstr(r->out, "demo"),
	   "--help lists info, load, unload, demo");
	is_str(r->err, "", "--help writes nothing to stderr");
	run_cases(r, help_cases, ARRAY_SIZE(help_cases));
	RUN(r, "--version");
	expect(r, X_OK_, "uapi 1", NULL, "--version");
	ok(strncmp(r->out, "gupdemo " GUPDEMO_VERSION_STRING " ", 9 +
		   strlen(GUPDEMO_VERSION_STRING)) == 0,
	   "--version starts with 'gupdemo " GUPDEMO_VERSION_STRING "'");
	RUN(r, "-V");
	expect(r, X_OK_, "JSON format 1", NULL, "-V");
}

static const struct cli_case usage_cases[] = {
	{ ARGV(NULL), X_USAGE, NULL, "missing command", "no arguments",
	  .also_err = "--help", .also_name = "no arguments: points to --help" },
	{ ARGV("frobnicate"), X_USAGE, NULL, "unknown command 'frobnicate'",
	  "unknown command" },
	{ ARGV("--frobnicate", "info"), X_USAGE, NULL, "--frobnicate",
	  "unknown global option" },
	{ ARGV("--device"), X_USAGE, NULL, "missing argument",
	  "--device without a path" },
	{ ARGV("info", "--frobnicate"), X_USAGE, NULL, "Usage: gupdemo info",
	  "info with an unknown option" },
	{ ARGV("info", "extra"), X_USAGE, NULL, "unexpected argument 'extra'",
	  "info with an argument" },
	{ ARGV("unload", "now"), X_USAGE, NULL, "unexpected argument 'now'",
	  "unload with an argument" },
	{ ARGV("unload", "--device", "/dev/null"), X_USAGE, NULL,
	  "Usage: gupdemo unload", "unload takes no --device" },
	{ ARGV("load", "--module"), X_USAGE, NULL, "missing argument",
	  "load --module without a path" },
	{ ARGV("load", "--module", NOPE ".ko", "max_pin_pages"), X_USAGE, NULL,
	  "not a parameter (name=value)", "load with a parameter without '='" },
	{ ARGV("load", "=5"), X_USAGE, NULL, "not a parameter",
	  "load with an empty parameter name" },
	{ ARGV("help", "frobnicate"), X_USAGE, NULL, "unknown command 'frobnicate'",
	  "help of an unknown command" },
};

static const struct cli_case missing_cases[] = {
	{ ARGV("--device", NOPE, "info"), X_MISSING, NULL, "gupdemo load",
	  "info, device missing", .also_err = "not loaded",
	  .also_name = "info, device missing: says the module is not loaded" },
	{ ARGV("info", "--device", NOPE), X_MISSING, NULL, NOPE,
	  "--device after the command" },
	{ ARGV("-d", NOPE, "demo"), X_MISSING, NULL, "insmod",
	  "demo, device missing",
	  .empty_name = "demo, device missing: nothing on stdout" },
};

static const struct cli_case not_gupdemo_cases[] = {
	{ ARGV("--device", "/dev/null", "info"), X_FAIL, NULL,
	  "not a gupdemo device", "info on /dev/null" },
};

static const struct cli_case no_module_cases[] = {
	{ ARGV("load", "--module", NOPE ".ko"), X_MISSING, NULL,
	  NOPE ".ko: no such file", "load of a missing file" },
	{ ARGV("load", "-m", NOPE ".ko", "max_pin_pages=8"), X_MISSING, NULL,
	  "no such file", "load -m with a parameter" },
	{ ARGV("unload"), X_MISSING, NULL, "not loaded", "unload when not loaded" },
};

static void test_usage(struct run *r)
{
	run_cases(r, usage_cases, ARRAY_SIZE(usage_cases));
}

static void test_missing(struct run *r)
{
	run_cases(r, missing_cases, ARRAY_SIZE(missing_cases));
}

static void test_not_gupdemo(struct run *r)
{
	run_cases(r, not_gupdemo_cases, ARRAY_SIZE(not_gupdemo_cases));
}

static void test_no_module(struct run *r)
{
	run_cases(r, no_module_cases, ARRAY_SIZE(no_module_cases));
}

/* list: one scenario a line, 80 columns, the kernel-dependent ones named. */
static void check_list_output(const char *out)
{
	int lines = 0, longest = 0, cur = 0;

	for (const char *p = out; *p; p++) {
		if (*p == '\n') {
			lines++;
			longest = cur > longest ? cur : longest;
			cur = 0;
		} else {
			cur++;
		}
	}
	ok(lines >= 20, "list: the catalogue has %d scenarios", lines);
	ok(longest <= 80, "list: lines fit 80 columns (longest %d)", longest);
	ok(strstr(out, "ext4-longterm") && strstr(out, "odirect") &&
	   strstr(out, "thp") && strstr(out, "pfnmap") &&
	   strstr(out, "fast-only") && strstr(out, "dma-edu"),
	   "list: names the kernel-dependent scenarios");
}

static void test_list_run_bench_help(struct run *r)
{
	RUN(r, "--help");
	ok(strstr(r->out, "  list ") && strstr(r->out, "  run ") &&
	   strstr(r->out, "  bench "), "--help lists list, run, bench");
	ok(strstr(r->out, "run: a scenario failed") != NULL,
	   "--help: exit 1 covers a failed scenario");
	RUN(r, "run", "--help");
	expect(r, X_OK_, "Usage: gupdemo run", NULL, "run --help");
	ok(strstr(r->out, "--json") && strstr(r->out, "--tap") &&
	   strstr(r->out, "pins balanced") && strstr(r->out, "Exit status"),
	   "run --help: formats, the balance and the exit codes");
	RUN(r, "help", "run");
	expect(r, X_OK_, "SCENARIO", NULL, "help run");
	RUN(r, "bench", "--help");
	expect(r, X_OK_, "--quick", NULL, "bench --help");
	ok(strstr(r->out, "--sizes") && strstr(r->out, "--csv") &&
	   strstr(r->out, "--json") && strstr(r->out, "--markers") &&
	   strstr(r->out, "GUPDEMO_ACCEL"), "bench --help: options documented");
	RUN(r, "list", "--help");
	expect(r, X_OK_, "Usage: gupdemo list", NULL, "list --help");
	RUN(r, "list");
	expect(r, X_OK_, "anon-fast ", NULL, "list (no device needed)");
	check_list_output(r->out);
}

static const struct cli_case list_run_bench_cases[] = {
	{ ARGV("list", "extra"), X_USAGE, NULL, "unexpected argument 'extra'",
	  "list with an argument" },
	{ ARGV("--device", NOPE, "run", "no-such-scenario"), X_USAGE, NULL,
	  "unknown scenario 'no-such-scenario'",
	  "run of an unknown scenario: usage error before the device",
	  .empty_name = "run of an unknown scenario: nothing on stdout" },
	{ ARGV("run", "--json", "--tap"), X_USAGE, NULL, "exclude each other",
	  "run --json --tap" },
	{ ARGV("run", "--frobnicate"), X_USAGE, NULL, "Usage: gupdemo run",
	  "run with an unknown option" },
	{ ARGV("run", "--ext4-dir"), X_USAGE, NULL, "missing argument",
	  "run --ext4-dir without DIR" },
	{ ARGV("--device", NOPE, "run", "anon-fast"), X_MISSING, NULL,
	  "gupdemo load", "run, device missing" },
	{ ARGV("--device", NOPE, "run", "--json"), X_MISSING, NULL, "not loaded",
	  "run --json, device missing",
	  .empty_name = "run --json, device missing: no half document" },
	{ ARGV("--device", "/dev/null", "run", "--tap"), X_FAIL, NULL,
	  "not a gupdemo device", "run on /dev/null" },
	{ ARGV("bench", "--sizes", "3X"), X_USAGE, NULL, "bad --sizes '3X'",
	  "bench --sizes 3X" },
	{ ARGV("bench", "--sizes", ""), X_USAGE, NULL, "bad --sizes",
	  "bench --sizes ''" },
	{ ARGV("bench", "--apis", "fast,slow"), X_USAGE, NULL, "bad --apis",
	  "bench --apis with an unknown API" },
	{ ARGV("bench", "--mem", "5k"), X_USAGE, NULL, "bad --mem",
	  "bench --mem 5k" },
	{ ARGV("bench", "--batch", "1,x"), X_USAGE, NULL, "bad --batch",
	  "bench --batch 1,x" },
	{ ARGV("bench", "--rw", "sideways"), X_USAGE, NULL, "bad --rw",
	  "bench --rw sideways" },
	{ ARGV("bench", "--repeats", "0"), X_USAGE, NULL, "bad --repeats",
	  "bench --repeats 0" },
	{ ARGV("bench", "--repeats", "102"), X_USAGE, NULL, "bad --repeats",
	  "bench --repeats 102" },
	{ ARGV("bench", "now"), X_USAGE, NULL, "unexpected argument 'now'",
	  "bench with an argument" },
	{ ARGV("--device", NOPE, "bench", "--quick", "--sizes", "1M,2G",
	    "--apis", "fast,get", "--mem", "4k,thp,hugetlb",
	    "--batch", "1,123,512", "--rw", "read", "--repeats", "7",
	    "--dma-sizes", "0", "--edu-sizes", "0", "--kmem-sizes", "4M",
	    "--json", "--csv", "--markers", "--quiet"), X_MISSING, NULL,
	  "not loaded", "bench with every option valid: gets as far as the device",
	  .empty_name = "bench, device missing: nothing on stdout" },
};

static void test_list_run_bench(struct run *r)
{
	test_list_run_bench_help(r);
	run_cases(r, list_run_bench_cases, ARRAY_SIZE(list_run_bench_cases));
}

/* A bad size or count, and the reason the message must give. */
static const struct {
	const char *opt, *arg, *why;
} bad_numbers[] = {
	{ "--sizes", "-1M", "has a sign" },
	{ "--sizes", "+1M", "has a sign" },
	{ "--sizes", "17179869184G", "too large" },
	{ "--sizes", "18446744073709551616", "too large" },
	{ "--sizes", "65G", "too large" },
	{ "--sizes", "0", "too small" },
	{ "--sizes", "1B", "unknown suffix 'B'" },
	{ "--sizes", "1i", "unknown suffix 'i'" },
	{ "--sizes", "1Mi", "unknown suffix 'Mi'" },
	{ "--sizes", "1MM", "unknown suffix 'MM'" },
	{ "--sizes", "1KiB", "unknown suffix 'KiB'" },
	{ "--sizes", "0x10", "unknown suffix 'x10'" },
	{ "--sizes", " 1M", "does not start with a digit" },
	{ "--sizes", "M", "does not start with a digit" },
	{ "--sizes", "1M,,2M", "empty value" },
	{ "--sizes", "1M,", "empty value" },
	{ "--sizes", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "at most 16" },
	{ "--dma-sizes", "0,1M", "a lone 0 means none" },
	{ "--dma-sizes", "-1", "has a sign" },
	{ "--edu-sizes", "1Q", "unknown suffix 'Q'" },
	{ "--kmem-sizes", "99999999999999999999K", "too large" },
	{ "--batch", "0", "too small" },
	{ "--batch", "1K", "unknown suffix 'K'" },
	{ "--batch", "1048577", "too large" },
	{ "--repeats", "-1", "has a sign" },
	{ "--repeats", "+5", "has a sign" },
	{ "--repeats", "5x", "unknown suffix 'x'" },
};

static void test_numbers(struct run *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_numbers); i++) {
		const char *opt = bad_numbers[i].opt, *arg = bad_numbers[i].arg;
		bool size = strstr(opt, "sizes") != NULL;
		char what[128];

		RUN(r, "--device", NOPE, "bench", opt, arg);
		snprintf(what, sizeof(what), "bench %s '%s'", opt, arg);
		expect(r, X_USAGE, NULL, bad_numbers[i].why, what);
		ok(size ? strstr(r->err, "1 to 64G bytes") &&
			  strstr(r->err, "suffix K, M or G") :
			  strstr(r->err, "digits only, no suffix") &&
			  strstr(r->err, " to 1"),
		   "%s: the message names the range and suffixes", what);
	}
	RUN(r, "--device", NOPE, "bench", "--sizes", "4k,1m,64G",
	    "--dma-sizes", "0", "--batch", "1048576", "--repeats", "101");
	expect(r, X_MISSING, NULL, "not loaded",
	       "bench with sizes and counts at their limits: accepted");
}

static const struct cli_case json_cases[] = {
	{ ARGV("list", "-j", "extra"), X_USAGE, NULL, "unexpected argument",
	  "list --json with an argument" },
	{ ARGV("info", "--json", "--device", NOPE), X_MISSING, NULL, "not loaded",
	  "info --json, device missing",
	  .empty_name = "info --json, device missing: no half document" },
	{ ARGV("info", "--help"), X_OK_, "--json", NULL, "info --help names --json" },
	{ ARGV("--help"), X_OK_, "\"format_version\": 1", NULL,
	  "--help documents format_version" },
};

static void test_json_tap(struct run *r)
{
	RUN(r, "list", "--json");
	expect(r, X_OK_, "\"format_version\": 1,", NULL, "list --json");
	ok(strncmp(r->out, "{\n  \"format_version\": 1,\n  \"tool\": \"gupdemo list\",\n"
		   "  \"gupdemo_version\": \"" GUPDEMO_VERSION_STRING "\"", 72) == 0,
	   "list --json: format_version, tool, gupdemo_version first");
	ok(strstr(r->out, "\"name\": \"anon-fast\"") &&
	   strstr(r->out, "\"needs\": [\"ext4\"]") &&
	   r->out[strlen(r->out) - 2] == '}', "list --json: scenarios, needs, closed");
	run_cases(r, json_cases, ARRAY_SIZE(json_cases));
	RUN(r, "--device", NOPE, "run", "--tap");
	expect(r, X_OK_, NULL, "not loaded", "run --tap, device missing: exit 0");
	ok(strncmp(r->out, "1..0 # SKIP ", 12) == 0 && strchr(r->out, '\n') ==
	   r->out + strlen(r->out) - 1, "run --tap, device missing: one line, "
	   "a skipped plan (got '%s')", r->out);
	RUN(r, "--device", "/dev/null", "run", "--tap");
	expect(r, X_FAIL, "Bail out! ", NULL, "run --tap on /dev/null: Bail out!");
	ok(strstr(r->out, "1..") == NULL, "run --tap on /dev/null: no plan");
}

/* The directory of the CLI, into @dir. */
static void cli_dir(char *dir, size_t size)
{
	char *slash;

	snprintf(dir, size, "%s", cli_path());
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
}

static void test_load_search(struct run *r)
{
	char vermagic[256], ko[4200], cli[4096];
	struct utsname u;

	/* Never load a module on the build host: only when none is found. */
	uname(&u);
	cli_dir(cli, sizeof(cli));
	snprintf(ko, sizeof(ko), "%s/../kernel/%s/gupdemo.ko", cli, u.release);
	if (gupdemo_module_vermagic(NULL, vermagic, sizeof(vermagic)) == 0 ||
	    access(ko, F_OK) == 0)
		r->status = -1;
	else
		RUN(r, "load");
	if (r->status == X_MISSING) {
		expect(r, X_MISSING, NULL, "looked in: /lib/modules/",
		       "load without --module: says where it looked");
		ok(strstr(r->err, "--module PATH/gupdemo.ko") &&
		   strstr(r->err, "GUPDEMO_KO"), "load: says what to pass");
		ok(strstr(r->err, "/kernel/") && strstr(r->err, "make module"),
		   "load: names the build tree's path");
	} else {
		skip(4, "a gupdemo.ko for this kernel is here: not running load");
	}
	RUN(r, "load", "--help", "--module", NOPE ".ko");
	expect(r, X_OK_, "cannot read them from " NOPE ".ko", NULL,
	       "load --help with a missing module file");
}

/* How many parameters modinfo names in @ko (*names), and how many @out lists. */
static void count_module_params(const char *ko, const char *out, int *names,
				int *listed)
{
	char cmd[4400], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "modinfo -F parm '%s' 2>/dev/null || "
		 "/sbin/modinfo -F parm '%s'", ko, ko);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char want[80];
		size_t len = strcspn(line, ":");

		if (len == strlen(line) || len > 64)
			continue;
		(*names)++;
		snprintf(want, sizeof(want), "\n  %.*s", (int)len, line);
		if (strstr(out, want))
			(*listed)++;
		else
			diag("not listed: %.*s", (int)len, line);
	}
	if (p)
		pclose(p);
}

static void test_load_help_params(struct run *r)
{
	char pattern[4200];
	glob_t g = { 0 };
	int names = 0, listed = 0;

	cli_dir(pattern, sizeof(pattern));
	strcat(pattern, "/../kernel/*/gupdemo.ko");
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc == 0) {
		skip(4, "no module built next to the CLI (make module)");
	} else {
		RUN(r, "load", "--help", "--module", g.gl_pathv[0]);
		expect(r, X_OK_, "Module parameters (modinfo of ", NULL,
		       "load --help --module KO");
		count_module_params(g.gl_pathv[0], r->out, &names, &listed);
		ok(names >= 7, "modinfo names %d parameters", names);
		is_int(listed, names, "load --help lists every one of them");
	}
	globfree(&g);
}

static void test_permission(struct run *r)
{
	char dir[] = "/tmp/t_cli.XXXXXX", node[64];
	int fd;

	if (!mkdtemp(dir))
		bail_out("mkdtemp failed");
	chmod(dir, 0755);
	snprintf(node, sizeof(node), "%s/gupdemo", dir);
	fd = open(node, O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	chmod(node, getuid() == 0 ? 0600 : 0000);
	/* As root, become nobody (uid 65534) to meet the 0600 node. */
	run_cli(r, getuid() == 0 ? 65534 : (uid_t)-1,
		(const char *const[]){ "--device", node, "info", NULL });
	if (r->status == 126)
		skip(2, "cannot switch to uid 65534");
	else
		expect(r, X_PERM, NULL, "root-only", "info on a 0600 node as non-root");
	unlink(node);
	rmdir(dir);
}

/* The groups, in order; the name is the "#" line before each. */
static const struct {
	const char *name;
	void (*fn)(struct run *r);
} groups[] = {
	{ "help and version", test_help_version },
	{ "usage errors -> 2", test_usage },
	{ "device missing -> 3, with how to load the module", test_missing },
	{ "not a gupdemo device -> 1", test_not_gupdemo },
	{ "module file missing / not loaded -> 3", test_no_module },
	{ "list, run and bench: help, arguments, exit codes", test_list_run_bench },
	{ "sizes and counts: one grammar, the range and suffixes in the message",
	  test_numbers },
	{ "info --json, list --json, run --tap without a device", test_json_tap },
	{ "load: where the module is looked for", test_load_search },
	{ "load --help: the parameters of a built module, as modinfo says",
	  test_load_help_params },
	{ "permission denied -> 4 (a root-only node)", test_permission },
};

int main(void)
{
	static struct run r;

	if (access(cli_path(), X_OK))
		bail_out("CLI not found at %s (set GUPDEMO_CLI)", cli_path());
	diag("CLI: %s", cli_path());
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		diag("%s", groups[i].name);
		groups[i].fn(&r);
	}
	return done_testing();
}
