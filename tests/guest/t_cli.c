// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the gupdemo CLI against the real module: info, demo, load and
 * unload, with their messages and exit codes, as root and as nobody.
 * Runs as root in the guest with the module loaded; GUPDEMO_KO names the
 * module file; the CLI is /bin/gupdemo.
 */
#define GUPDEMO_CLI_PATH "/bin/gupdemo"

#include "guest.h"
#include "clirun.h"

#define NOBODY 65534

static struct run r;

/*
 * In `gupdemo info`'s parameter section, max_pin_pages reads 512 and every
 * value starts in the same column, whatever the names' lengths.
 */
static void info_param_columns(const struct run *run)
{
	const char *sec = strstr(run->out, "module parameters\n");
	const char *line = sec ? strchr(sec, '\n') + 1 : NULL;
	int col = -1, lines = 0;
	bool same = sec != NULL, found = false;

	while (line && line[0] == ' ' && line[1] == ' ') {
		const char *name_end = strchr(line + 2, ' ');
		const char *val = name_end + strspn(name_end, " ");

		if (col < 0)
			col = (int)(val - line);
		same &= (int)(val - line) == col;
		if (!strncmp(line + 2, "max_pin_pages ", 14))
			found = !strncmp(val, "512\n", 4);
		lines++;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	ok(found, "info shows max_pin_pages 512");
	ok(same && lines >= 5, "info: %d parameters, values in one column",
	   lines);
}

static void as_nobody(const char *const *argv, const char *what)
{
	run_cli(&r, NOBODY, argv);
	if (r.status == 126)
		skip(2, "cannot switch to uid %d", NOBODY);
	else
		expect(&r, CLI_PERM, NULL, NULL, what);
	if (r.status != 126)
		ok(strstr(r.err, "root") != NULL, "%s: says it needs root", what);
}

static void test_root(void)
{
	int fd;

	RUN(&r, "info");
	expect(&r, CLI_OK, "uapi version     1", NULL, "info");
	ok(strstr(r.out, "features         pin") != NULL,
	   "info: lists features by name");
	ok(strstr(r.out, "nr_foll_pin_acquired") &&
	   strstr(r.out, "nr_foll_pin_released") && strstr(r.out, "(exact"),
	   "info: shows both vmstat pin counters, exact");
	ok(strstr(r.out, "pins held        0 (0 pages)") != NULL,
	   "info: module counters");
	ok(strstr(r.out, "differs from the module's") == NULL,
	   "info: module built for the running kernel");
	is_str(r.err, "", "info: nothing on stderr");

	RUN(&r, "demo");
	expect(&r, CLI_OK, "pins balanced: yes", NULL, "demo");
	ok(strstr(r.out, "after pin") && strstr(r.out, "after unpin") &&
	   strstr(r.out, "(+8 / +8)"),
	   "demo: counters before, after pin, after unpin (+8 / +8)");
	fd = g_open();
	g_check_nothing_held(fd, "after demo");
	gupdemo_close(fd);

	RUN(&r, "--device", "/dev/null", "info");
	expect(&r, CLI_FAIL, NULL, "not a gupdemo device", "info on /dev/null");
	RUN(&r, "demo", "--device", "/nonexistent");
	expect(&r, CLI_MISSING, NULL, "gupdemo load", "demo, no such device");
}

static void test_nobody(const char *ko)
{
	as_nobody((const char *const[]){ "info", NULL }, "info as nobody");
	ok(strstr(r.err, "0600") != NULL, "info as nobody: mentions mode 0600");
	as_nobody((const char *const[]){ "demo", NULL }, "demo as nobody");
	as_nobody((const char *const[]){ "unload", NULL }, "unload as nobody");
	as_nobody((const char *const[]){ "load", "--module", ko ? ko : "/x.ko",
				      NULL }, "load as nobody");
}

/* Leaves the module unloaded. */
static void test_unload(void)
{
	int fd = g_open();

	RUN(&r, "unload");
	expect(&r, CLI_FAIL, NULL, "in use (1 user", "unload while we hold an fd");
	gupdemo_close(fd);
	RUN(&r, "unload");
	expect(&r, CLI_OK, "gupdemo unloaded", NULL, "unload");
	RUN(&r, "unload");
	expect(&r, CLI_MISSING, NULL, "not loaded", "unload again");
	RUN(&r, "info");
	expect(&r, CLI_MISSING, NULL, "not loaded", "info without the module");
	ok(strstr(r.err, "gupdemo load") != NULL,
	   "info without the module: tells how to load it");
	RUN(&r, "load", "--module", "/nonexistent/gupdemo.ko");
	expect(&r, CLI_MISSING, NULL, "no such file", "load of a missing file");
}

/* Loads @ko back with parameters, then restores the suite's values. */
static void test_load(const char *ko)
{
	uint64_t param = 0;

	RUN(&r, "load", "--module", ko, "max_pin_pages=abc");
	expect(&r, CLI_FAIL, NULL, "max_pin_pages=abc", "load with a bad parameter");
	RUN(&r, "load", "-m", ko, "max_pin_pages=512", "pin_batch=16");
	expect(&r, CLI_OK, "loaded from", NULL, "load with parameters");
	ok(g_param_get("max_pin_pages", &param) == 0 && param == 512,
	   "load: max_pin_pages=512 in effect");
	ok(g_param_get("pin_batch", &param) == 0 && param == 16,
	   "load: pin_batch=16 in effect");
	RUN(&r, "info");
	expect(&r, CLI_OK, "module parameters\n", NULL, "info: a section of parameters");
	info_param_columns(&r);
	clirun_keep_ko = true; /* the default module path is $GUPDEMO_KO */
	RUN(&r, "load");
	expect(&r, CLI_OK, "already loaded", NULL, "load again (path from $GUPDEMO_KO)");
	clirun_keep_ko = false;
	g_param_set("max_pin_pages", 262144);
	g_param_set("pin_batch", 512);
	RUN(&r, "demo");
	expect(&r, CLI_OK, "pins balanced: yes", NULL, "demo after reload");
}

int main(void)
{
	const char *ko = getenv("GUPDEMO_KO");

	if (access(cli_path(), X_OK))
		bail_out("CLI not found at %s", cli_path());

	diag("info and demo as root");
	test_root();
	diag("as nobody: the device is root-only");
	test_nobody(ko);
	diag("unload and load");
	test_unload();
	if (!ko)
		skip(1, "GUPDEMO_KO not set: cannot load the module again");
	else
		test_load(ko);
	return done_testing();
}
