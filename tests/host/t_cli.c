// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: argument handling, messages and exit codes of the gupdemo CLI.
 * Runs the CLI built next to it (GUPDEMO_CLI in the environment overrides).
 * The build host has no gupdemo module, which is exactly what the "device
 * missing" messages are about.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef GUPDEMO_CLI_PATH
#define GUPDEMO_CLI_PATH "build/user/gupdemo"
#endif

#include "clirun.h"

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
