// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: argument handling, messages and exit codes of the gupdemo CLI.
 * Runs the CLI built next to it (GUPDEMO_CLI in the environment overrides).
 * The build host has no gupdemo module, which is exactly what the "device
 * missing" messages are about.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#ifndef GUPDEMO_CLI_PATH
#define GUPDEMO_CLI_PATH "build/user/gupdemo"
#endif

/* Exit codes documented in gupdemo --help. */
#define X_OK_ 0
#define X_FAIL 1
#define X_USAGE 2
#define X_MISSING 3
#define X_PERM 4

struct run {
	int status;		/* exit status, or 128 + signal */
	char out[16384];
	char err[16384];
};

static const char *cli_path(void)
{
	const char *p = getenv("GUPDEMO_CLI");

	return p && *p ? p : GUPDEMO_CLI_PATH;
}

static void read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/* Runs the CLI with @argv (NULL-terminated, without argv[0]). */
static void run_cli(struct run *r, uid_t as_uid, const char *const *argv)
{
	const char *args[32] = { "gupdemo" };
	int out[2], err[2], st;
	pid_t pid;
	size_t i;

	for (i = 0; argv[i] && i < 30; i++)
		args[i + 1] = argv[i];
	args[i + 1] = NULL;

	if (pipe(out) || pipe(err))
		bail_out("pipe failed");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork failed");
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		if (as_uid != (uid_t)-1 && (setgid(as_uid) || setuid(as_uid)))
			_exit(126);
		unsetenv("GUPDEMO_KO");
		execv(cli_path(), (char *const *)args);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* Outputs are small: well below a pipe's buffer, read in turn. */
	read_all(out[0], r->out, sizeof(r->out));
	read_all(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define RUN(r, ...) run_cli((r), (uid_t)-1, (const char *const[]){ __VA_ARGS__, NULL })

static void expect(const struct run *r, int status, const char *out_has,
		   const char *err_has, const char *what)
{
	bool good = is_int(r->status, status, "%s: exit status %d", what, status);

	if (out_has)
		good &= ok(strstr(r->out, out_has) != NULL,
			   "%s: stdout mentions '%s'", what, out_has);
	if (err_has)
		good &= ok(strstr(r->err, err_has) != NULL,
			   "%s: stderr mentions '%s'", what, err_has);
	if (!good) {
		diag("stdout: %.600s", r->out);
		diag("stderr: %.600s", r->err);
	}
}

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
