// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: argument handling, messages and exit codes of the gupdemo CLI.
 * Runs the CLI built next to it (GUPDEMO_CLI in the environment overrides).
 * The build host has no gupdemo module, which is exactly what the "device
 * missing" messages are about.
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

int main(void)
{
	static struct run r;
	char dir[] = "/tmp/t_cli.XXXXXX", node[64];
	int fd;

	if (access(cli_path(), X_OK))
		bail_out("CLI not found at %s (set GUPDEMO_CLI)", cli_path());
	diag("CLI: %s", cli_path());

	diag("help and version");
	RUN(&r, "--help");
	expect(&r, X_OK_, "Usage: gupdemo", NULL, "--help");
	ok(strstr(r.out, "Exit status:") && strstr(r.out, "  3  ") &&
	   strstr(r.out, "  4  "), "--help documents the exit codes");
	ok(strstr(r.out, "info") && strstr(r.out, "load") &&
	   strstr(r.out, "unload") && strstr(r.out, "demo"),
	   "--help lists info, load, unload, demo");
	is_str(r.err, "", "--help writes nothing to stderr");
	RUN(&r, "-h");
	expect(&r, X_OK_, "Usage: gupdemo", NULL, "-h");
	RUN(&r, "help");
	expect(&r, X_OK_, "Commands:", NULL, "help");
	RUN(&r, "help", "load");
	expect(&r, X_OK_, "Usage: gupdemo load", NULL, "help load");
	RUN(&r, "load", "--help");
	expect(&r, X_OK_, "--module PATH", NULL, "load --help");
	RUN(&r, "info", "--help");
	expect(&r, X_OK_, "Usage: gupdemo info", NULL, "info --help");
	RUN(&r, "demo", "-h");
	expect(&r, X_OK_, "Usage: gupdemo demo", NULL, "demo -h");
	RUN(&r, "unload", "--help");
	expect(&r, X_OK_, "Usage: gupdemo unload", NULL, "unload --help");
	RUN(&r, "--version");
	expect(&r, X_OK_, "uapi 1", NULL, "--version");
	ok(strncmp(r.out, "gupdemo " GUPDEMO_VERSION_STRING " ", 9 +
		   strlen(GUPDEMO_VERSION_STRING)) == 0,
	   "--version starts with 'gupdemo " GUPDEMO_VERSION_STRING "'");
	RUN(&r, "-V");
	expect(&r, X_OK_, "JSON format 1", NULL, "-V");

	diag("usage errors -> 2");
	run_cli(&r, (uid_t)-1, (const char *const[]){ NULL });
	expect(&r, X_USAGE, NULL, "missing command", "no arguments");
	ok(strstr(r.err, "--help") != NULL, "no arguments: points to --help");
	RUN(&r, "frobnicate");
	expect(&r, X_USAGE, NULL, "unknown command 'frobnicate'", "unknown command");
	RUN(&r, "--frobnicate", "info");
	expect(&r, X_USAGE, NULL, "--frobnicate", "unknown global option");
	RUN(&r, "--device");
	expect(&r, X_USAGE, NULL, "missing argument", "--device without a path");
	RUN(&r, "info", "--frobnicate");
	expect(&r, X_USAGE, NULL, "Usage: gupdemo info", "info with an unknown option");
	RUN(&r, "info", "extra");
	expect(&r, X_USAGE, NULL, "unexpected argument 'extra'", "info with an argument");
	RUN(&r, "unload", "now");
	expect(&r, X_USAGE, NULL, "unexpected argument 'now'", "unload with an argument");
	RUN(&r, "unload", "--device", "/dev/null");
	expect(&r, X_USAGE, NULL, "Usage: gupdemo unload", "unload takes no --device");
	RUN(&r, "load", "--module");
	expect(&r, X_USAGE, NULL, "missing argument", "load --module without a path");
	RUN(&r, "load", "--module", "/nonexistent/gupdemo.ko", "max_pin_pages");
	expect(&r, X_USAGE, NULL, "not a parameter (name=value)",
	       "load with a parameter without '='");
	RUN(&r, "load", "=5");
	expect(&r, X_USAGE, NULL, "not a parameter", "load with an empty parameter name");
	RUN(&r, "help", "frobnicate");
	expect(&r, X_USAGE, NULL, "unknown command 'frobnicate'", "help of an unknown command");

	diag("device missing -> 3, with how to load the module");
	RUN(&r, "--device", "/nonexistent/gupdemo", "info");
	expect(&r, X_MISSING, NULL, "gupdemo load", "info, device missing");
	ok(strstr(r.err, "not loaded") != NULL, "info, device missing: says the module is not loaded");
	RUN(&r, "info", "--device", "/nonexistent/gupdemo");
	expect(&r, X_MISSING, NULL, "/nonexistent/gupdemo", "--device after the command");
	RUN(&r, "-d", "/nonexistent/gupdemo", "demo");
	expect(&r, X_MISSING, NULL, "insmod", "demo, device missing");
	is_str(r.out, "", "demo, device missing: nothing on stdout");

	diag("not a gupdemo device -> 1");
	RUN(&r, "--device", "/dev/null", "info");
	expect(&r, X_FAIL, NULL, "not a gupdemo device", "info on /dev/null");

	diag("module file missing / not loaded -> 3");
	RUN(&r, "load", "--module", "/nonexistent/gupdemo.ko");
	expect(&r, X_MISSING, NULL, "/nonexistent/gupdemo.ko: no such file",
	       "load of a missing file");
	RUN(&r, "load", "-m", "/nonexistent/gupdemo.ko", "max_pin_pages=8");
	expect(&r, X_MISSING, NULL, "no such file", "load -m with a parameter");
	RUN(&r, "unload");
	expect(&r, X_MISSING, NULL, "not loaded", "unload when not loaded");

	diag("list, run and bench: help, arguments, exit codes");
	RUN(&r, "--help");
	ok(strstr(r.out, "  list ") && strstr(r.out, "  run ") &&
	   strstr(r.out, "  bench "), "--help lists list, run, bench");
	ok(strstr(r.out, "run: a scenario failed") != NULL,
	   "--help: exit 1 covers a failed scenario");
	RUN(&r, "run", "--help");
	expect(&r, X_OK_, "Usage: gupdemo run", NULL, "run --help");
	ok(strstr(r.out, "--json") && strstr(r.out, "--tap") &&
	   strstr(r.out, "pins balanced") && strstr(r.out, "Exit status"),
	   "run --help: formats, the balance and the exit codes");
	RUN(&r, "help", "run");
	expect(&r, X_OK_, "SCENARIO", NULL, "help run");
	RUN(&r, "bench", "--help");
	expect(&r, X_OK_, "--quick", NULL, "bench --help");
	ok(strstr(r.out, "--sizes") && strstr(r.out, "--csv") &&
	   strstr(r.out, "--json") && strstr(r.out, "--markers") &&
	   strstr(r.out, "GUPDEMO_ACCEL"), "bench --help: options documented");
	RUN(&r, "list", "--help");
	expect(&r, X_OK_, "Usage: gupdemo list", NULL, "list --help");

	RUN(&r, "list");
	expect(&r, X_OK_, "anon-fast ", NULL, "list (no device needed)");
	{
		int lines = 0, longest = 0, cur = 0;

		for (const char *p = r.out; *p; p++) {
			if (*p == '\n') {
				lines++;
				longest = cur > longest ? cur : longest;
				cur = 0;
			} else {
				cur++;
			}
		}
		ok(lines >= 20, "list: the catalogue has %d scenarios", lines);
		ok(longest <= 80, "list: lines fit 80 columns (longest %d)",
		   longest);
		ok(strstr(r.out, "ext4-longterm") && strstr(r.out, "odirect") &&
		   strstr(r.out, "thp") && strstr(r.out, "pfnmap") &&
		   strstr(r.out, "fast-only") && strstr(r.out, "dma-edu"),
		   "list: names the kernel-dependent scenarios");
	}
	RUN(&r, "list", "extra");
	expect(&r, X_USAGE, NULL, "unexpected argument 'extra'", "list with an argument");

	RUN(&r, "--device", "/nonexistent/gupdemo", "run", "no-such-scenario");
	expect(&r, X_USAGE, NULL, "unknown scenario 'no-such-scenario'",
	       "run of an unknown scenario: usage error before the device");
	is_str(r.out, "", "run of an unknown scenario: nothing on stdout");
	RUN(&r, "run", "--json", "--tap");
	expect(&r, X_USAGE, NULL, "exclude each other", "run --json --tap");
	RUN(&r, "run", "--frobnicate");
	expect(&r, X_USAGE, NULL, "Usage: gupdemo run", "run with an unknown option");
	RUN(&r, "run", "--ext4-dir");
	expect(&r, X_USAGE, NULL, "missing argument", "run --ext4-dir without DIR");
	RUN(&r, "--device", "/nonexistent/gupdemo", "run", "anon-fast");
	expect(&r, X_MISSING, NULL, "gupdemo load", "run, device missing");
	RUN(&r, "--device", "/nonexistent/gupdemo", "run", "--json");
	expect(&r, X_MISSING, NULL, "not loaded", "run --json, device missing");
	is_str(r.out, "", "run --json, device missing: no half document");
	RUN(&r, "--device", "/dev/null", "run", "--tap");
	expect(&r, X_FAIL, NULL, "not a gupdemo device", "run on /dev/null");

	RUN(&r, "bench", "--sizes", "3X");
	expect(&r, X_USAGE, NULL, "bad --sizes '3X'", "bench --sizes 3X");
	RUN(&r, "bench", "--sizes", "");
	expect(&r, X_USAGE, NULL, "bad --sizes", "bench --sizes ''");
	RUN(&r, "bench", "--apis", "fast,slow");
	expect(&r, X_USAGE, NULL, "bad --apis", "bench --apis with an unknown API");
	RUN(&r, "bench", "--mem", "5k");
	expect(&r, X_USAGE, NULL, "bad --mem", "bench --mem 5k");
	RUN(&r, "bench", "--batch", "1,x");
	expect(&r, X_USAGE, NULL, "bad --batch", "bench --batch 1,x");
	RUN(&r, "bench", "--rw", "sideways");
	expect(&r, X_USAGE, NULL, "bad --rw", "bench --rw sideways");
	RUN(&r, "bench", "--repeats", "0");
	expect(&r, X_USAGE, NULL, "bad --repeats", "bench --repeats 0");
	RUN(&r, "bench", "--repeats", "102");
	expect(&r, X_USAGE, NULL, "bad --repeats", "bench --repeats 102");
	RUN(&r, "bench", "now");
	expect(&r, X_USAGE, NULL, "unexpected argument 'now'", "bench with an argument");
	RUN(&r, "--device", "/nonexistent/gupdemo", "bench", "--quick",
	    "--sizes", "1M,2G", "--apis", "fast,get", "--mem", "4k,thp,hugetlb",
	    "--batch", "1,123,512", "--rw", "read", "--repeats", "7",
	    "--dma-sizes", "0", "--edu-sizes", "0", "--kmem-sizes", "4M",
	    "--json", "--csv", "--markers", "--quiet");
	expect(&r, X_MISSING, NULL, "not loaded",
	       "bench with every option valid: gets as far as the device");
	is_str(r.out, "", "bench, device missing: nothing on stdout");

	diag("sizes and counts: one grammar, the range and suffixes in the message");
	{
		static const struct {
			const char *opt, *arg, *why;
		} bad[] = {
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
			{ "--sizes", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
			  "at most 16" },
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

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char what[128];
			bool size = strstr(bad[i].opt, "sizes") != NULL;

			RUN(&r, "--device", "/nonexistent/gupdemo", "bench",
			    bad[i].opt, bad[i].arg);
			snprintf(what, sizeof(what), "bench %s '%s'", bad[i].opt,
				 bad[i].arg);
			expect(&r, X_USAGE, NULL, bad[i].why, what);
			ok(size ? strstr(r.err, "1 to 64G bytes") &&
				  strstr(r.err, "suffix K, M or G") :
				  strstr(r.err, "digits only, no suffix") &&
				  strstr(r.err, " to 1"),
			   "%s: the message names the range and suffixes", what);
		}
		RUN(&r, "--device", "/nonexistent/gupdemo", "bench", "--sizes",
		    "4k,1m,64G", "--dma-sizes", "0", "--batch", "1048576",
		    "--repeats", "101");
		expect(&r, X_MISSING, NULL, "not loaded",
		       "bench with sizes and counts at their limits: accepted");
	}

	diag("info --json, list --json, run --tap without a device");
	RUN(&r, "list", "--json");
	expect(&r, X_OK_, "\"format_version\": 1,", NULL, "list --json");
	ok(strncmp(r.out, "{\n  \"format_version\": 1,\n  \"tool\": \"gupdemo list\",\n"
		   "  \"gupdemo_version\": \"" GUPDEMO_VERSION_STRING "\"", 72) == 0,
	   "list --json: format_version, tool, gupdemo_version first");
	ok(strstr(r.out, "\"name\": \"anon-fast\"") &&
	   strstr(r.out, "\"needs\": [\"ext4\"]") &&
	   r.out[strlen(r.out) - 2] == '}', "list --json: scenarios, needs, closed");
	RUN(&r, "list", "-j", "extra");
	expect(&r, X_USAGE, NULL, "unexpected argument", "list --json with an argument");
	RUN(&r, "info", "--json", "--device", "/nonexistent/gupdemo");
	expect(&r, X_MISSING, NULL, "not loaded", "info --json, device missing");
	is_str(r.out, "", "info --json, device missing: no half document");
	RUN(&r, "info", "--help");
	expect(&r, X_OK_, "--json", NULL, "info --help names --json");
	RUN(&r, "--help");
	expect(&r, X_OK_, "\"format_version\": 1", NULL, "--help documents format_version");
	RUN(&r, "--device", "/nonexistent/gupdemo", "run", "--tap");
	expect(&r, X_OK_, NULL, "not loaded", "run --tap, device missing: exit 0");
	ok(strncmp(r.out, "1..0 # SKIP ", 12) == 0 && strchr(r.out, '\n') ==
	   r.out + strlen(r.out) - 1, "run --tap, device missing: one line, "
	   "a skipped plan (got '%s')", r.out);
	RUN(&r, "--device", "/dev/null", "run", "--tap");
	expect(&r, X_FAIL, "Bail out! ", NULL, "run --tap on /dev/null: Bail out!");
	ok(strstr(r.out, "1..") == NULL, "run --tap on /dev/null: no plan");

	diag("load: where the module is looked for");
	{
		char vermagic[256], ko[4200], cli[4096];
		struct utsname u;
		char *slash;

		/* Never load a module on the build host: only when none is found. */
		uname(&u);
		snprintf(cli, sizeof(cli), "%s", cli_path());
		slash = strrchr(cli, '/');
		if (slash)
			*slash = '\0';
		snprintf(ko, sizeof(ko), "%s/../kernel/%s/gupdemo.ko", cli,
			 u.release);
		if (gupdemo_module_vermagic(NULL, vermagic, sizeof(vermagic)) == 0 ||
		    access(ko, F_OK) == 0)
			r.status = -1;
		else
			RUN(&r, "load");
	}
	if (r.status == X_MISSING) {
		expect(&r, X_MISSING, NULL, "looked in: /lib/modules/",
		       "load without --module: says where it looked");
		ok(strstr(r.err, "--module PATH/gupdemo.ko") &&
		   strstr(r.err, "GUPDEMO_KO"), "load: says what to pass");
		ok(strstr(r.err, "/kernel/") && strstr(r.err, "make module"),
		   "load: names the build tree's path");
	} else {
		skip(4, "a gupdemo.ko for this kernel is here: not running load");
	}
	RUN(&r, "load", "--help", "--module", "/nonexistent/gupdemo.ko");
	expect(&r, X_OK_, "cannot read them from /nonexistent/gupdemo.ko", NULL,
	       "load --help with a missing module file");

	diag("load --help: the parameters of a built module, as modinfo says");
	{
		char pattern[4200], cmd[4400], line[512];
		glob_t g = { 0 };
		int names = 0, listed = 0;
		FILE *p;

		snprintf(pattern, sizeof(pattern), "%s", cli_path());
		if (strrchr(pattern, '/'))
			*strrchr(pattern, '/') = '\0';
		strcat(pattern, "/../kernel/*/gupdemo.ko");
		if (glob(pattern, 0, NULL, &g) || g.gl_pathc == 0) {
			skip(4, "no module built next to the CLI (make module)");
		} else {
			RUN(&r, "load", "--help", "--module", g.gl_pathv[0]);
			expect(&r, X_OK_, "Module parameters (modinfo of ", NULL,
			       "load --help --module KO");
			snprintf(cmd, sizeof(cmd), "modinfo -F parm '%s' 2>/dev/null || "
				 "/sbin/modinfo -F parm '%s'", g.gl_pathv[0],
				 g.gl_pathv[0]);
			p = popen(cmd, "r");
			while (p && fgets(line, sizeof(line), p)) {
				char want[80];
				size_t len = strcspn(line, ":");

				if (len == strlen(line) || len > 64)
					continue;
				names++;
				snprintf(want, sizeof(want), "\n  %.*s", (int)len, line);
				if (strstr(r.out, want))
					listed++;
				else
					diag("not listed: %.*s", (int)len, line);
			}
			if (p)
				pclose(p);
			ok(names >= 7, "modinfo names %d parameters", names);
			is_int(listed, names, "load --help lists every one of them");
		}
		globfree(&g);
	}

	diag("permission denied -> 4 (a root-only node)");
	if (!mkdtemp(dir))
		bail_out("mkdtemp failed");
	chmod(dir, 0755);
	snprintf(node, sizeof(node), "%s/gupdemo", dir);
	fd = open(node, O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	chmod(node, getuid() == 0 ? 0600 : 0000);
	/* As root, become nobody (uid 65534) to meet the 0600 node. */
	run_cli(&r, getuid() == 0 ? 65534 : (uid_t)-1,
		(const char *const[]){ "--device", node, "info", NULL });
	if (r.status == 126) {
		skip(2, "cannot switch to uid 65534");
	} else {
		expect(&r, X_PERM, NULL, "root-only", "info on a 0600 node as non-root");
	}
	unlink(node);
	rmdir(dir);

	return done_testing();
}
