// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: gupdemo(1) documents exactly what the CLI's help lists.  Every
 * command of `gupdemo --help` has a ".SS name" under COMMANDS and the other
 * way round; every option of `gupdemo CMD --help` (-h/--help aside: the page
 * says once that every command takes it) is an option paragraph (".TP")
 * of that command's section and the other way round; the global options
 * of `gupdemo --help` are those of OPTIONS.  Also: the page has the
 * sections people look for, and the other two pages exist.
 */
#include <ctype.h>
#include <stdio.h>

#ifndef GUPDEMO_CLI_PATH
#define GUPDEMO_CLI_PATH "build/user/gupdemo"
#endif
#ifndef GUPDEMO_TOP
#define GUPDEMO_TOP "."
#endif

#include "clirun.h"

#define MAX_NAMES	48
#define MAX_CMDS	16

struct names {
	int n;
	char v[MAX_NAMES][32];
};

static void names_add(struct names *s, const char *name, size_t len)
{
	if (len == 0 || len >= sizeof(s->v[0]))
		return;
	for (int i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && strncmp(s->v[i], name, len) == 0)
			return;
	if (s->n < MAX_NAMES) {
		memcpy(s->v[s->n], name, len);
		s->v[s->n++][len] = '\0';
	}
}

static bool names_has(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return true;
	return false;
}

/* Long options at the start of help lines: "  -s, --sizes LIST" etc. */
static void help_options(const char *text, struct names *out)
{
	for (const char *line = text; line && *line;) {
		const char *p = line, *nl = strchr(line, '\n');

		while (*p == ' ')
			p++;
		if (p > line && p[0] == '-' && p[1] != '-' && p[1] && p[2] == ',')
			p += 3;
		while (*p == ' ')
			p++;
		if (p > line && strncmp(p, "--", 2) == 0) {
			size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");

			if (strncmp(p + 2, "help", len) || len != 4)
				names_add(out, p + 2, len);
		}
		line = nl ? nl + 1 : NULL;
	}
}

struct man {
	struct names cmds;
	struct names global;
	struct names opts[MAX_CMDS];	/* by index in cmds */
	bool sections[6];
};

static const char *const wanted_sections[6] = {
	"NAME", "SYNOPSIS", "ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO",
};

/* "\-\-sizes" tokens of one roff line into @out. */
static void man_line_options(const char *line, struct names *out)
{
	char plain[512];
	size_t j = 0;

	for (const char *p = line; *p && j + 1 < sizeof(plain); p++) {
		if (p[0] == '\\' && p[1] == '-') {
			plain[j++] = '-';
			p++;
		} else if (p[0] == '\\' && p[1] == 'f' && p[2]) {
			p += 2;
		} else {
			plain[j++] = *p;
		}
	}
	plain[j] = '\0';
	for (const char *p = plain; (p = strstr(p, "--"));) {
		size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");

		if (len != 4 || strncmp(p + 2, "help", 4))
			names_add(out, p + 2, len);
		p += 2 + len;
	}
}

static int read_man(const char *path, struct man *m)
{
	FILE *f = fopen(path, "r");
	char line[512];
	enum { OTHER, OPTIONS, COMMANDS } sec = OTHER;
	bool tp = false;
	int cur = -1;

	if (!f)
		return -1;
	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, ".SH ", 4) == 0) {
			const char *name = line + 4;
			char buf[512];

			if (*name == '"') {
				snprintf(buf, sizeof(buf), "%s", name + 1);
				buf[strcspn(buf, "\"")] = '\0';
				name = buf;
			}
			for (int i = 0; i < 6; i++)
				if (strcmp(name, wanted_sections[i]) == 0)
					m->sections[i] = true;
			sec = strcmp(name, "OPTIONS") == 0 ? OPTIONS :
			      strcmp(name, "COMMANDS") == 0 ? COMMANDS : OTHER;
			cur = -1;
			tp = false;
			continue;
		}
		if (sec == COMMANDS && strncmp(line, ".SS ", 4) == 0) {
			names_add(&m->cmds, line + 4, strlen(line + 4));
			cur = m->cmds.n - 1;
			tp = false;
			continue;
		}
		if (strcmp(line, ".TP") == 0) {
			tp = true;
			continue;
		}
		if (tp && sec == OPTIONS)
			man_line_options(line, &m->global);
		else if (tp && sec == COMMANDS && cur >= 0 && cur < MAX_CMDS)
			man_line_options(line, &m->opts[cur]);
		tp = false;
	}
	fclose(f);
	return 0;
}

/* Every name of @a is in @b. */
static void subset(const struct names *a, const struct names *b,
		   const char *what)
{
	char missing[512] = "";

	for (int i = 0; i < a->n; i++)
		if (!names_has(b, a->v[i]) &&
		    strlen(missing) + strlen(a->v[i]) + 4 < sizeof(missing)) {
			strcat(missing, " --");
			strcat(missing, a->v[i]);
		}
	ok(!missing[0], "%s%s%s", what, missing[0] ? "; missing:" : "",
	   missing);
}

int main(void)
{
	static struct run r;
	static struct man m;
	struct names help_cmds = { 0 }, global = { 0 };
	const char *page = GUPDEMO_TOP "/user/cli/gupdemo.1";

	if (read_man(page, &m))
		bail_out("cannot read %s", page);
	ok(access(GUPDEMO_TOP "/user/lib/libgupdemo.3", R_OK) == 0 &&
	   access(GUPDEMO_TOP "/user/lib/gupdemo.4", R_OK) == 0,
	   "libgupdemo(3) and gupdemo(4) exist");
	for (int i = 0; i < 6; i++)
		ok(m.sections[i], "gupdemo(1) has a %s section", wanted_sections[i]);

	RUN(&r, "--help");
	if (!is_int(r.status, 0, "gupdemo --help: exit 0"))
		bail_out("no help to compare with");
	{
		const char *p = strstr(r.out, "\nCommands:\n");

		for (p = p ? strchr(p + 1, '\n') + 1 : NULL;
		     p && p[0] == ' ' && p[1] == ' ' && isalpha((unsigned char)p[2]);
		     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			names_add(&help_cmds, p + 2, strcspn(p + 2, " "));
		help_options(strstr(r.out, "\nOptions:\n"), &global);
	}
	ok(help_cmds.n >= 8, "--help lists %d commands", help_cmds.n);
	subset(&help_cmds, &m.cmds, "every command of --help has a .SS in COMMANDS");
	subset(&m.cmds, &help_cmds, "every .SS of COMMANDS is a command of --help");
	subset(&global, &m.global, "global options of --help are in OPTIONS");
	subset(&m.global, &global, "OPTIONS has only global options of --help");

	for (int i = 0; i < help_cmds.n; i++) {
		struct names opts = { 0 }, none = { 0 };
		const struct names *in_man = &none;
		char what[128];

		RUN(&r, help_cmds.v[i], "--help");
		is_int(r.status, 0, "%s --help: exit 0", help_cmds.v[i]);
		help_options(r.out, &opts);
		for (int j = 0; j < m.cmds.n && j < MAX_CMDS; j++)
			if (strcmp(m.cmds.v[j], help_cmds.v[i]) == 0)
				in_man = &m.opts[j];
		snprintf(what, sizeof(what), "%s: its %d options of --help are in "
			 "gupdemo(1)", help_cmds.v[i], opts.n);
		subset(&opts, in_man, what);
		snprintf(what, sizeof(what), "%s: gupdemo(1)'s options are in its "
			 "--help", help_cmds.v[i]);
		subset(in_man, &opts, what);
	}
	return done_testing();
}
