// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the gupdemo CLI against the real module.
 *
 * `run --json` is valid JSON (checked by the small parser below, which is
 * itself tested on bad documents first), `run --tap` is well-formed TAP,
 * the exit codes are the documented ones (0 all pass, 1 a scenario failed,
 * 2 usage error), and `bench --quick --json` / `--csv` are well-formed.
 * (info, load, unload and the root-only messages are t_cli's.)
 * Timing is never asserted.  Runs as root in the guest; the CLI is
 * /bin/gupdemo (GUPDEMO_CLI overrides).
 */
#include <ctype.h>
#include <sys/wait.h>

#include "guest.h"
#include "gupdemo-lab.h"

#define X_OK_ 0
#define X_FAIL 1
#define X_USAGE 2

struct run {
	int status;
	char *out;
	char *err;
};

static const char *cli_path(void)
{
	const char *p = getenv("GUPDEMO_CLI");

	return p && *p ? p : "/bin/gupdemo";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return strdup("");
	do {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				bail_out("out of memory");
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* Runs the CLI with @argv (NULL-terminated, no argv[0]) as @uid (-1: us). */
static void run_cli(struct run *r, uid_t uid, const char *const *argv)
{
	const char *args[40] = { "gupdemo" };
	char out[] = "/tmp/t_cli_out.XXXXXX", err[] = "/tmp/t_cli_err.XXXXXX";
	int fo = mkstemp(out), fe = mkstemp(err), st;
	size_t i;
	pid_t pid;

	if (fo < 0 || fe < 0)
		bail_out("mkstemp: %s", strerror(errno));
	for (i = 0; i < 38 && argv[i]; i++)
		args[i + 1] = argv[i];
	args[i + 1] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		if (uid != (uid_t)-1 && (setgid(uid) || setuid(uid)))
			_exit(126);
		execv(cli_path(), (char *const *)args);
		_exit(127);
	}
	close(fo);
	close(fe);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(out);
	r->err = slurp(err);
	unlink(out);
	unlink(err);
}

#define RUN(r, ...) run_cli((r), (uid_t)-1, (const char *const[]){ __VA_ARGS__, NULL })

static void show(const struct run *r)
{
	diag("exit %d; stdout: %.800s", r->status, r->out);
	diag("stderr: %.800s", r->err);
}

/* ------------------------------------------------------------------ */
/* A checked JSON parser (RFC 8259 grammar; values are not kept)       */
/* ------------------------------------------------------------------ */

struct jp {
	const char *s;
	const char *err;
	int depth;
};

static void jp_ws(struct jp *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static bool jp_fail(struct jp *p, const char *why)
{
	if (!p->err)
		p->err = why;
	return false;
}

static bool jp_value(struct jp *p);

static bool jp_string(struct jp *p)
{
	if (*p->s != '"')
		return jp_fail(p, "expected a string");
	p->s++;
	while (*p->s != '"') {
		unsigned char c = (unsigned char)*p->s;

		if (c == '\0')
			return jp_fail(p, "unterminated string");
		if (c < 0x20)
			return jp_fail(p, "control character in a string");
		if (c == '\\') {
			p->s++;
			if (*p->s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p->s[i]))
						return jp_fail(p, "bad \\u escape");
				p->s += 4;
			} else if (!strchr("\"\\/bfnrt", *p->s) || !*p->s) {
				return jp_fail(p, "bad escape");
			}
		}
		p->s++;
	}
	p->s++;
	return true;
}

static bool jp_number(struct jp *p)
{
	const char *s = p->s;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (isdigit((unsigned char)*s))
		while (isdigit((unsigned char)*s))
			s++;
	else
		return jp_fail(p, "bad number");
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return jp_fail(p, "bad fraction");
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return jp_fail(p, "bad exponent");
		while (isdigit((unsigned char)*s))
			s++;
	}
	p->s = s;
	return true;
}

static bool jp_container(struct jp *p, char open, char close)
{
	bool object = open == '{';

	if (++p->depth > 64)
		return jp_fail(p, "nested too deep");
	p->s++;
	jp_ws(p);
	if (*p->s == close) {
		p->s++;
		p->depth--;
		return true;
	}
	for (;;) {
		jp_ws(p);
		if (object) {
			if (!jp_string(p))
				return false;
			jp_ws(p);
			if (*p->s != ':')
				return jp_fail(p, "expected ':'");
			p->s++;
		}
		if (!jp_value(p))
			return false;
		jp_ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s == close) {
			p->s++;
			p->depth--;
			return true;
		}
		return jp_fail(p, object ? "expected ',' or '}'" :
			       "expected ',' or ']'");
	}
}

static bool jp_value(struct jp *p)
{
	jp_ws(p);
	switch (*p->s) {
	case '{':
		return jp_container(p, '{', '}');
	case '[':
		return jp_container(p, '[', ']');
	case '"':
		return jp_string(p);
	case 't':
		if (strncmp(p->s, "true", 4) == 0) {
			p->s += 4;
			return true;
		}
		break;
	case 'f':
		if (strncmp(p->s, "false", 5) == 0) {
			p->s += 5;
			return true;
		}
		break;
	case 'n':
		if (strncmp(p->s, "null", 4) == 0) {
			p->s += 4;
			return true;
		}
		break;
	default:
		if (*p->s == '-' || isdigit((unsigned char)*p->s))
			return jp_number(p);
	}
	return jp_fail(p, "unexpected character");
}

/* One JSON document and nothing else (but blanks). */
static bool json_valid(const char *text, const char **why, size_t *where)
{
	struct jp p = { .s = text };
	bool good = jp_value(&p);

	if (good) {
		jp_ws(&p);
		if (*p.s)
			good = jp_fail(&p, "trailing text after the document");
	}
	*why = p.err;
	*where = (size_t)(p.s - text);
	return good;
}

static bool check_json(const char *text, const char *what)
{
	const char *why = NULL;
	size_t where = 0;
	bool good = json_valid(text, &why, &where);

	if (!ok(good, "%s: valid JSON", what))
		diag("%s at byte %zu: ...%.60s", why, where, text + where);
	return good;
}

static void test_validator(void)
{
	static const char *const bad[] = {
		"", "{", "{\"a\": 1,}", "[1, 2,]", "{a: 1}", "{\"a\" 1}",
		"[01]", "[1.]", "[\"\\x\"]", "[\"a\nb\"]", "{} {}", "[tru]",
		"{\"a\": nan}", "[1e]",
	};
	static const char *const good[] = {
		"{}", "[]", " {\"a\": [1, -2.5e3, true, false, null, \"\\u00e9\\n\"]} ",
		"0", "\"x\"", "{\"a\": {\"b\": []}}",
	};
	bool all = true;
	const char *why;
	size_t where;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_valid(bad[i], &why, &where)) {
			diag("accepted bad JSON: %s", bad[i]);
			all = false;
		}
	ok(all, "JSON checker rejects %zu malformed documents",
	   sizeof(bad) / sizeof(bad[0]));
	all = true;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!json_valid(good[i], &why, &where)) {
			diag("rejected good JSON (%s): %s", why, good[i]);
			all = false;
		}
	ok(all, "JSON checker accepts %zu well-formed documents",
	   sizeof(good) / sizeof(good[0]));
}

/* ------------------------------------------------------------------ */
/* TAP                                                                 */
/* ------------------------------------------------------------------ */

/*
 * A plan "1..N" first, then N test lines "ok K ..." / "not ok K ..." with
 * K = 1, 2, ... in order; "#" lines anywhere.  @failed: "not ok" lines.
 */
static bool tap_valid(const char *text, int *planned, int *failed,
		      int *skipped, char *why, size_t whysize)
{
	const char *line = text;
	int n = 0;

	*planned = -1;
	*failed = *skipped = 0;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		int k, used = 0;

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		line += len + (nl ? 1 : 0);
		if (buf[0] == '#' || buf[0] == '\0')
			continue;
		if (*planned < 0 && n == 0 && sscanf(buf, "1..%d%n", planned,
						     &used) == 1 &&
		    buf[used] == '\0')
			continue;
		if (strncmp(buf, "not ok ", 7) == 0 &&
		    sscanf(buf + 7, "%d", &k) == 1) {
			(*failed)++;
		} else if (strncmp(buf, "ok ", 3) == 0 &&
			   sscanf(buf + 3, "%d", &k) == 1) {
			if (strstr(buf, "# SKIP"))
				(*skipped)++;
		} else {
			snprintf(why, whysize, "not a TAP line: %.80s", buf);
			return false;
		}
		if (k != n + 1) {
			snprintf(why, whysize, "test %d after %d", k, n);
			return false;
		}
		n++;
	}
	if (*planned < 0) {
		snprintf(why, whysize, "no plan line");
		return false;
	}
	if (n != *planned) {
		snprintf(why, whysize, "%d tests, plan says %d", n, *planned);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */

static bool lines_fit(const char *text, size_t width, char *bad, size_t size)
{
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len > width) {
			snprintf(bad, size, "%.*s", (int)len, line);
			return false;
		}
		line += len + (nl ? 1 : 0);
	}
	return true;
}

/* Terminal columns of a UTF-8 line of @len bytes ("µs": two bytes, one column). */
static size_t line_cols(const char *line, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)line[i] & 0xc0) != 0x80;
	return n;
}

/*
 * The table whose header line starts with @head: every row up to the next
 * blank line (but the rows of a cell not measured, "(reason)") ends in the
 * same column as the header does.  A row that does not is put in @bad.
 */
static bool table_aligned(const char *text, const char *head, char *bad,
			  size_t size)
{
	const char *line = text, *nl;
	size_t width;
	int rows = 0;

	/* The first line that starts with @head. */
	while (line && strncmp(line, head, strlen(head))) {
		nl = strchr(line, '\n');
		line = nl ? nl + 1 : NULL;
	}
	if (!line || !(nl = strchr(line, '\n'))) {
		snprintf(bad, size, "no table '%s'", head);
		return false;
	}
	width = line_cols(line, (size_t)(nl - line));
	for (line = nl + 1; *line && *line != '\n'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (memchr(line, '(', (size_t)(nl - line)))
			continue;
		rows++;
		if (line_cols(line, (size_t)(nl - line)) != width) {
			snprintf(bad, size, "%.*s", (int)(nl - line), line);
			return false;
		}
	}
	if (!rows)
		snprintf(bad, size, "no rows under '%s'", head);
	return rows > 0;
}

/* How many times @needle occurs in @hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The text between `--markers` lines of @format, in a new string. */
static char *marked_block(const char *out, const char *format)
{
	char b[64], e[64];
	const char *a, *z;

	snprintf(b, sizeof(b), "==== gupdemo-bench-%s-begin ====\n", format);
	snprintf(e, sizeof(e), "==== gupdemo-bench-%s-end ====", format);
	a = strstr(out, b);
	z = a ? strstr(a, e) : NULL;
	if (!a || !z)
		return NULL;
	a += strlen(b);
	return strndup(a, (size_t)(z - a));
}

static void test_usage(void)
{
	struct run r;

	diag("--- usage errors exit 2 before touching the device ---");
	RUN(&r, "run", "no-such-scenario");
	is_int(r.status, X_USAGE, "run of an unknown scenario: exit 2");
	ok(strstr(r.err, "unknown scenario 'no-such-scenario'") != NULL,
	   "run of an unknown scenario: says which");
	is_str(r.out, "", "run of an unknown scenario: nothing on stdout");
	run_free(&r);
	RUN(&r, "run", "anon-fast", "no-such-scenario");
	is_int(r.status, X_USAGE, "run of a known and an unknown scenario: "
	       "exit 2, nothing run");
	is_str(r.out, "", "... nothing on stdout");
	run_free(&r);
	RUN(&r, "run", "--json", "--tap");
	is_int(r.status, X_USAGE, "run --json --tap: exit 2");
	run_free(&r);
	RUN(&r, "bench", "--repeats", "0");
	is_int(r.status, X_USAGE, "bench --repeats 0: exit 2");
	run_free(&r);
}

static void test_list(void)
{
	struct run r;
	char bad[200] = "";
	unsigned int lines = 0;

	RUN(&r, "list");
	is_int(r.status, X_OK_, "list: exit 0");
	for (const char *p = r.out; *p; p++)
		lines += *p == '\n';
	is_int(lines, gupdemo_scenario_count(),
	       "list: one line per scenario (%u)", gupdemo_scenario_count());
	ok(lines_fit(r.out, 80, bad, sizeof(bad)),
	   "list: fits in 80 columns%s%s", bad[0] ? ": " : "", bad);
	run_free(&r);
}

/* Prints every scenario object of `run --json` output whose verdict is fail. */
static void show_failed_scenarios(const char *json)
{
	const char *p = json;

	while ((p = strstr(p, "{\"name\": ")) != NULL) {
		const char *end = strchr(p, '}');	/* the objects are flat */
		size_t len = end ? (size_t)(end - p) + 1 : strlen(p);
		const char *v = strstr(p, "\"verdict\": \"fail\"");

		if (v && (size_t)(v - p) < len) {
			/* One diag line per line of the object. */
			for (const char *l = p; l < p + len;) {
				const char *nl = memchr(l, '\n', (size_t)(p + len - l));
				int n = (int)((nl ? nl : p + len) - l);

				diag("%s%.*s", l == p ? "failed: " : "  ", n, l);
				l += n + 1;
			}
		}
		p += len;
	}
}

static void test_run_json(void)
{
	struct run r;

	diag("--- run --json: every scenario ---");
	RUN(&r, "run", "--json");
	if (!is_int(r.status, X_OK_, "run --json: exit 0 (every scenario "
		    "passed or skipped, pins balanced)"))
		show(&r);
	check_json(r.out, "run --json");
	ok(strstr(r.out, "\"pins_balanced\": true") != NULL,
	   "run --json: pins_balanced is true");
	ok(strstr(r.out, "\"failed\": 0,") != NULL, "run --json: 0 failed");
	if (!ok(strstr(r.out, "\"verdict\": \"fail\"") == NULL,
		"run --json: no scenario with verdict fail"))
		show_failed_scenarios(r.out);
	ok(strstr(r.out, "\"name\": \"dma-edu\"") &&
	   !strstr(r.out, "no edu device bound"),
	   "run --json: the edu scenario ran (edu device present)");
	run_free(&r);
}

static void test_run_tap(void)
{
	int planned, failed, skipped;
	char why[200] = "";
	struct run r;

	diag("--- run --tap ---");
	RUN(&r, "run", "--tap");
	if (!is_int(r.status, X_OK_, "run --tap: exit 0"))
		show(&r);
	ok(tap_valid(r.out, &planned, &failed, &skipped, why, sizeof(why)),
	   "run --tap: well-formed TAP%s%s", why[0] ? ": " : "", why);
	is_int(planned, (int)gupdemo_scenario_count() + 1,
	       "run --tap: one test per scenario plus the balance");
	is_int(failed, 0, "run --tap: no 'not ok'");
	ok(strstr(r.out, "pins balanced: yes") != NULL,
	   "run --tap: says pins balanced: yes");
	run_free(&r);
}

static void test_run_human(void)
{
	/* The thp scenario skips exactly when this kernel cannot give THP. */
	const char *thp_off = g_thp_off_reason();
	unsigned int skipped = thp_off ? 1 : 0;
	char bad[200] = "", totals[80];
	struct run r;

	diag("--- run (human) ---");
	if (thp_off)
		diag("thp is expected to skip: %s", thp_off);
	snprintf(totals, sizeof(totals), "4 scenarios: %u passed, 0 failed, "
		 "%u skipped\n", 4 - skipped, skipped);
	RUN(&r, "run", "anon-fast", "zero-ro", "pfnmap", "thp");
	is_int(r.status, X_OK_, "run of 4 scenarios: exit 0");
	ok(strstr(r.out, "pins balanced: yes") != NULL,
	   "run: ends with pins balanced: yes");
	if (!ok(strstr(r.out, totals) != NULL, "run: totals line: %.*s",
		(int)strlen(totals) - 1, totals))
		show(&r);
	ok(lines_fit(r.out, 79, bad, sizeof(bad)),
	   "run: fits in 79 columns%s%s", bad[0] ? ": " : "", bad);
	ok(strchr(r.out, '\033') == NULL, "run: no colour when stdout is a file");
	ok(!strstr(r.out, "consequences lab"),
	   "run without a lab scenario: no lab table");
	run_free(&r);

	/* The lab's long names widen their own table, not the first one. */
	RUN(&r, "run", "anon-fast", "fork-get-vs-pin");
	is_int(r.status, X_OK_, "run anon-fast fork-get-vs-pin: exit 0");
	if (!ok(strstr(r.out, "\nscenario  api       memory") &&
		strstr(r.out, "\nanon-fast fast      anon-4k"),
		"run: the first table's name column is its longest name's (9)"))
		show(&r);
	if (!ok(strstr(r.out, "\nscenario        api       memory") &&
		strstr(r.out, "\nfork-get-vs-pin get/fast  anon-4k"),
		"run: the lab table's name column is its longest name's (15)"))
		show(&r);
	ok(strstr(r.out, "2 scenarios: ") != NULL, "run: '2 scenarios'");
	run_free(&r);
	RUN(&r, "run", "fork-get-vs-pin");
	ok(count_of(r.out, "\nscenario ") == 1 &&
	   strstr(r.out, "lab)\nscenario "),
	   "run of a lab scenario only: one table, under the lab's heading");
	ok(strstr(r.out, "\n1 scenario: 1 passed") != NULL,
	   "run of one scenario: '1 scenario: 1 passed' (singular)");
	run_free(&r);
}

/* An injected failure in the module makes a scenario fail: exit 1. */
static void test_run_failure(void)
{
	struct run r;
	int ret;

	diag("--- a failing scenario (fail_nth) exits 1 ---");
	ret = g_write_file(GUPDEMO_DEBUGFS_DIR "/fail_nth", "1\n");
	if (ret) {
		skip(4, "no fail_nth knob: %s", strerror(-ret));
		return;
	}
	RUN(&r, "run", "--json", "anon-fast");
	g_write_file(GUPDEMO_DEBUGFS_DIR "/fail_nth", "0\n");
	if (!is_int(r.status, X_FAIL, "run with an injected ENOMEM: exit 1"))
		show(&r);
	check_json(r.out, "failing run --json");
	ok(strstr(r.out, "\"verdict\": \"fail\"") &&
	   strstr(r.out, "\"result\": \"ENOMEM\""),
	   "failing run --json: verdict fail, result ENOMEM");
	ok(strstr(r.out, "\"pins_balanced\": true") != NULL,
	   "failing run --json: nothing leaked, pins still balance");
	run_free(&r);
}

/* A size in raw bytes ("4194304 bytes"), which the table must not print. */
static bool raw_bytes(const char *text)
{
	for (const char *p = text; (p = strstr(p, " bytes")); p++)
		if (p > text && isdigit((unsigned char)p[-1]))
			return true;
	return false;
}

/*
 * The table is for people: sizes, times and rates in human units, aligned
 * columns, every stages row, and a missed target says by how much.  @json
 * is the same run's JSON (its targets' pass values).
 */
static void test_bench_table(const char *table, const char *json)
{
	const char *heads[] = { "api ", "    size ", "engine ", "mem " };
	char bad[200] = "";
	int digits = 0, longest = 0;

	for (const char *p = table; *p; p++) {
		digits = isdigit((unsigned char)*p) ? digits + 1 : 0;
		if (digits > longest)
			longest = digits;
	}
	ok(longest < 7, "bench table: no number of 7 digits or more "
	   "(raw ns or bytes); longest %d", longest);
	ok(!raw_bytes(table) && strstr(table, " MiB") &&
	   strstr(table, " µs") && strstr(table, " ms") &&
	   strstr(table, "iB/s"),
	   "bench table: sizes in KiB/MiB, times in µs/ms, rates in "
	   "KiB/s..GiB/s");
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		bad[0] = '\0';
		ok(table_aligned(table, heads[i], bad, sizeof(bad)),
		   "bench table '%s...': rows as wide as the header%s%s",
		   heads[i], bad[0] ? ": " : "", bad);
	}
	ok(strstr(table, "\nsoft ") && strstr(table, "\nsoft-thp ") &&
	   strstr(table, "\nedu "),
	   "bench table: the stages of soft, soft-thp and edu");
	bad[0] = '\0';
	ok(strstr(table, "\nDMA pin stage vs PIN ioctl, same bytes, one side") &&
	   table_aligned(table, "stage ", bad, sizeof(bad)) &&
	   strstr(table, "\npin     ") && strstr(table, "\nunpin   "),
	   "bench table: DMA pin stage vs PIN ioctl, a pin and an unpin row, "
	   "aligned%s%s", bad[0] ? ": " : "", bad);
	is_int(count_of(table, ": missed ("), count_of(json, "\"pass\": false"),
	       "bench table: a 'missed (...)' per target the JSON says missed");
	is_int(count_of(table, ": met ("), count_of(json, "\"pass\": true"),
	       "bench table: a 'met (...)' per target met");
	is_int(count_of(table, " vs target "),
	       count_of(table, ": missed (") + count_of(table, ": met ("),
	       "bench table: each says measured vs target");
	ok(!strstr(table, " off "), "bench table: no 'off'");
	ok(strstr(table, "\nsg_table vs IOVA link vs held mapping") != NULL,
	   "bench table: sg_table vs IOVA link vs held mapping, measured or "
	   "why not");
}

static void test_bench(void)
{
	char why[200] = "", *json, *table;
	const char *a, *z;
	struct run r;
	int cols = -1;
	bool same = true;

	diag("--- bench --quick (timing reported, never asserted) ---");
	RUN(&r, "bench", "--quick", "--json", "--table", "--markers",
	    "--quiet");
	if (!is_int(r.status, X_OK_, "bench --quick --json --table: exit 0"))
		show(&r);
	json = marked_block(r.out, "json");
	table = marked_block(r.out, "table");
	if (!json || !table)
		bail_out("bench --markers: no JSON or no table block");
	check_json(json, "bench --quick --json");
	ok(strstr(json, "\"accel\": ") && strstr(json, "\"cpus\": ") &&
	   strstr(json, "\"kernel\": ") && strstr(json, "\"time\": "),
	   "bench --json: states kernel, accelerator, CPUs and time");
	ok(strstr(json, "\"targets\": ") != NULL, "bench --json: has targets");
	ok(strstr(json, "\"xfer_ns\": {\"min\": ") &&
	   strstr(json, "\"size\": 4194304"),
	   "bench --json: raw numbers (ns, bytes)");
	ok(strstr(json, "\"pin_stage\": {\"size\": 4194304, "
		  "\"dma_pin_ns\": {\"min\": ") &&
	   strstr(json, "\"unpin_put_ns\": {\"min\": ") &&
	   strstr(json, "\"pin_ratio\": ") && strstr(json, "\"unpin_ratio\": "),
	   "bench --json: the pin stage vs PIN, raw ns and both ratios");
	ok(strstr(json, "\"map\": {\"transfer\": 65536, ") != NULL,
	   "bench --json: the map part, its transfer in bytes");
	test_bench_table(table, json);
	free(json);
	free(table);
	run_free(&r);

	RUN(&r, "bench", "--quick", "--csv", "--markers", "--quiet",
	    "--sizes", "1M,4M", "--dma-sizes", "1M", "--edu-sizes", "0");
	is_int(r.status, X_OK_, "bench --csv --markers: exit 0");
	a = strstr(r.out, "==== gupdemo-bench-csv-begin ====\n");
	z = strstr(r.out, "==== gupdemo-bench-csv-end ====");
	ok(a && z && a < z, "bench --markers: CSV between marker lines");
	if (a && z) {
		int rows = 0;

		a = strchr(a, '\n') + 1;
		while (a < z) {
			const char *nl = strchr(a, '\n');
			int c = 1;

			for (const char *p = a; p < nl; p++)
				c += *p == ',';
			if (cols < 0)
				cols = c;
			else if (c != cols)
				same = false;
			rows++;
			a = nl + 1;
		}
		ok(cols > 10 && same && rows > 1,
		   "bench --csv: %d rows of %d columns each", rows, cols);
	} else {
		skip(1, "no CSV block");
	}
	is_int(count_of(r.out, "\npinstage,"), 2,
	       "bench --csv: the pin stage's pin and unpin rows");
	(void)why;
	run_free(&r);
}

/* Whether the module keeps a mirror's DMA mapping (and runs the soft engine). */
static bool map_live(void)
{
	struct gupdemo_info info;
	int fd, ret = gupdemo_open(NULL, &fd);

	if (!ret) {
		ret = gupdemo_get_info(fd, &info);
		gupdemo_close(fd);
	}
	if (ret)
		bail_out("GET_INFO: %s", strerror(-ret));
	return (info.features & GUPDEMO_FEAT_MIRROR_LIVE) &&
	       (info.features & GUPDEMO_FEAT_ENGINE_SOFT);
}

/*
 * What the map part must say here: its rows where the IOVA path can be
 * had (GUPDEMO_FEAT_DMA_IOVA, edu, the guest booted with an IOMMU), else
 * the one line saying why, naming the feature bit or the path.
 */
static const char *map_expect(void)
{
	const char *iommu = getenv("GUPDEMO_VM_IOMMU");
	struct gupdemo_info info;
	int fd, ret = gupdemo_open(NULL, &fd);

	if (!ret) {
		ret = gupdemo_get_info(fd, &info);
		gupdemo_close(fd);
	}
	if (ret)
		bail_out("GET_INFO: %s", strerror(-ret));
	if (!(info.features & GUPDEMO_FEAT_DMA_IOVA))
		return "GUPDEMO_FEAT_DMA_IOVA clear";
	if (!(info.features & GUPDEMO_FEAT_ENGINE_EDU))
		return "GUPDEMO_FEAT_ENGINE_EDU clear";
	if (!iommu || atoi(iommu) != 1)
		return "no IOMMU translates for it (auto path sg";
	return NULL;
}

/* The rows of the map table: aligned, human units, three summary lines. */
static void map_rows(const char *table, const char *json)
{
	char bad[200] = "";
	bool thp = access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
	int rows = thp ? 4 : 2;

	ok(table_aligned(table, "memory ", bad, sizeof(bad)),
	   "bench map table: rows as wide as the header%s%s",
	   bad[0] ? ": " : "", bad);
	is_int(count_of(table, "\n4k ") + count_of(table, "\nthp "), rows,
	       "bench map table: a row per memory kind and size");
	ok(!strstr(table, "(a call mapped for itself: ") &&
	   !strstr(table, "(a held mapping: ") &&
	   !strstr(table, "(the buffer: ") && strstr(table, " µs"),
	   "bench map table: every row measured, times in human units");
	is_int(count_of(table, "\nmap in short: "), 3,
	       "bench map table: three summary lines");
	ok(strstr(json, "\"map\": {\"transfer\": 1024, \"iommu_domain\": \"DMA") &&
	   strstr(json, "\"sg_map_ns\": {\"min\": ") &&
	   strstr(json, "\"held_call_ns\": {\"min\": "),
	   "bench --json map: the IOMMU domain, raw ns per row");
	is_int(count_of(json, "\"iova_beyond_ns\": "), rows,
	       "bench --json map: every row");
}

/*
 * The mirror's re-map table: with a live mapping, on a fresh mirror of 1
 * and 4 MiB, the first call maps every entry, the second none, the third
 * (one page dropped) one; else the line that says why not.
 */
static void live_rows(const char *table, const char *json, bool live)
{
	const char *title = "\nmirror: full re-map vs entries re-mapped after "
			    "one invalidation";
	char bad[200] = "";

	if (!live) {
		ok(strstr(table, "invalidation: not measured: no live mirror "
			  "mapping") && strstr(table, "GUPDEMO_FEAT_MIRROR_LIVE clear"),
		   "bench mirror re-map: one line says why not here");
		ok(strstr(json, "\"mirror_remap\": {\"error\": \"EOPNOTSUPP\"") != NULL,
		   "bench --json mirror re-map: the error and why");
		return;
	}
	ok(strstr(table, title) && table_aligned(table, "   size call ", bad,
						 sizeof(bad)),
	   "bench mirror re-map table: rows as wide as the header%s%s",
	   bad[0] ? ": " : "", bad);
	ok(strstr(json, "{\"step\": \"first call\", \"entries\": 256, ") &&
	   strstr(json, "{\"step\": \"first call\", \"entries\": 1024, ") &&
	   count_of(json, "{\"step\": \"again\", \"entries\": 0, ") == 2 &&
	   count_of(json, "{\"step\": \"after one page's DONTNEED\", "
			  "\"entries\": 1, ") == 2,
	   "bench --json mirror re-map: 256 and 1024 entries mapped first, "
	   "then 0, then 1 after one page's invalidation");
}

/* `bench --map-sizes 64K,1M --map-xfer 1K`: the table, or why not. */
static void test_bench_map(void)
{
	const char *why = map_expect();
	char *json, *table;
	struct run r;

	diag("--- bench: sg_table vs IOVA link vs held mapping ---");
	RUN(&r, "bench", "--map-xfer", "65537");
	is_int(r.status, X_USAGE, "bench --map-xfer 65537 (edu's most is 64K): exit 2");
	run_free(&r);
	RUN(&r, "bench", "--quick", "--quiet", "--table", "--json", "--markers",
	    "--sizes", "1M", "--apis", "fast", "--batch", "512", "--rw", "write",
	    "--dma-sizes", "1M", "--edu-sizes", "0", "--kmem-sizes", "0",
	    "--map-sizes", "64K,1M", "--map-xfer", "1K", "--repeats", "1");
	if (!is_int(r.status, X_OK_, "bench --map-sizes 64K,1M: exit 0"))
		show(&r);
	json = marked_block(r.out, "json");
	table = marked_block(r.out, "table");
	if (!json || !table)
		bail_out("bench --markers: no JSON or no table block");
	check_json(json, "bench --map-sizes --json");
	live_rows(table, json, map_live());
	if (why) {
		is_int(count_of(table, "\nsg_table vs IOVA link vs held mapping: "
				"not measured: "), 1,
		       "bench map: one line says why not here");
		ok(strstr(table, why) != NULL, "bench map: because '%s'", why);
		ok(strstr(json, "\"error\": \"EOPNOTSUPP\", \"why\": ") != NULL,
		   "bench --json map: the error and why");
	} else {
		map_rows(table, json);
	}
	free(json);
	free(table);
	run_free(&r);
}

int main(int argc, char **argv)
{
	if (access(cli_path(), X_OK))
		bail_out("CLI not found at %s", cli_path());
	if (geteuid() != 0)
		bail_out("must run as root (in the guest)");
	/* --map: the map table only (its suite line boots with an IOMMU). */
	if (argc == 2 && !strcmp(argv[1], "--map")) {
		test_bench_map();
		return done_testing();
	}

	test_validator();
	test_usage();
	test_list();
	test_run_json();
	test_run_tap();
	test_run_human();
	test_run_failure();
	test_bench();
	test_bench_map();
	return done_testing();
}
