/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clirun.h - run the gupdemo CLI from a TAP test and capture its exit
 * status, stdout and stderr (header only; used by the host and the guest
 * CLI tests).  Define GUPDEMO_CLI_PATH before including; GUPDEMO_CLI in
 * the environment overrides it.
 */
#ifndef GUPDEMO_CLIRUN_H
#define GUPDEMO_CLIRUN_H

#include <poll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

/* Exit codes documented in gupdemo --help. */
#define CLI_OK		0
#define CLI_FAIL	1
#define CLI_USAGE	2
#define CLI_MISSING	3
#define CLI_PERM	4

struct run {
	int status;		/* exit status, or 128 + signal */
	char out[16384];
	char err[16384];
};

/* Whether the child gets GUPDEMO_KO from our environment. */
static bool clirun_keep_ko = false;

static inline const char *cli_path(void)
{
	const char *p = getenv("GUPDEMO_CLI");

	return p && *p ? p : GUPDEMO_CLI_PATH;
}

/* Reads both pipes until both are closed (no deadlock on a full pipe). */
static inline void clirun_drain(int ofd, int efd, struct run *r)
{
	struct pollfd p[2] = { { .fd = ofd, .events = POLLIN },
			       { .fd = efd, .events = POLLIN } };
	size_t len[2] = { 0, 0 };
	char *buf[2] = { r->out, r->err };
	size_t cap[2] = { sizeof(r->out), sizeof(r->err) };
	int open_fds = 2;

	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			char sink[4096];
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (len[i] + 1 < cap[i])
				n = read(p[i].fd, buf[i] + len[i], cap[i] - 1 - len[i]);
			else
				n = read(p[i].fd, sink, sizeof(sink));
			if (n <= 0) {
				p[i].fd = -1;
				open_fds--;
			} else if (len[i] + 1 < cap[i]) {
				len[i] += (size_t)n;
			}
		}
	}
	r->out[len[0]] = '\0';
	r->err[len[1]] = '\0';
}

/* Runs the CLI with @argv (NULL-terminated, without argv[0]) as @as_uid. */
static inline void run_cli(struct run *r, uid_t as_uid, const char *const *argv)
{
	const char *args[32] = { "gupdemo" };
	int out[2], err[2], st;
	pid_t pid;
	size_t i;

	for (i = 0; i < 30 && argv[i]; i++)
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
		if (!clirun_keep_ko)
			unsetenv("GUPDEMO_KO");
		execv(cli_path(), (char *const *)args);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	clirun_drain(out[0], err[0], r);
	close(out[0]);
	close(err[0]);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define RUN(r, ...) \
	run_cli((r), (uid_t)-1, (const char *const[]){ __VA_ARGS__, NULL })

/* Exit status and, when given, a piece of stdout / stderr. */
static inline void expect(const struct run *r, int status, const char *out_has,
			  const char *err_has, const char *what)
{
	bool good = is_int(r->status, status, "%s: exit status %d", what,
			   status);

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

#endif /* GUPDEMO_CLIRUN_H */
