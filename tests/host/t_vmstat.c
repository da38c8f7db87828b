// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: parsing the FOLL_PIN counters out of /proc/vmstat text, and
 * waiting for releases that come just after a system call returned.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gupdemo.h"
#include "tap.h"

static const char sample[] =
	"nr_free_pages 224911\n"
	"nr_zone_inactive_anon 1204\n"
	"nr_foll_pin_acquired 196606\n"
	"nr_foll_pin_released 196605\n"
	"nr_kernel_stack 2032\n"
	"pgfault 1234567\n";

static void check_parse(const char *text, int exp_errno, uint64_t exp_acq,
			uint64_t exp_rel, const char *what)
{
	struct gupdemo_vmstat vs = { .acquired = 42, .released = 43,
				     .refreshed = true };
	int ret = gupdemo_vmstat_parse(text, &vs);

	is_errno(ret, exp_errno, "%s: parse returns %s", what,
		 exp_errno ? strerrorname_np(exp_errno) : "0");
	if (exp_errno == 0) {
		is_u64(vs.acquired, exp_acq, "%s: acquired", what);
		is_u64(vs.released, exp_rel, "%s: released", what);
		ok(!vs.refreshed, "%s: refreshed is false for parsed text", what);
	} else {
		ok(vs.acquired == 42 && vs.released == 43,
		   "%s: output untouched on error", what);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		bail_out("cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

static void test_read_paths(void)
{
	char dir[] = "/tmp/t_vmstat.XXXXXX";
	char vm[64], refresh[64], missing[64], buf[16] = "";
	struct gupdemo_vmstat vs;
	int ret, fd;
	ssize_t n;

	if (!mkdtemp(dir))
		bail_out("mkdtemp failed");
	snprintf(vm, sizeof(vm), "%s/vmstat", dir);
	snprintf(refresh, sizeof(refresh), "%s/stat_refresh", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	write_file(vm, sample);
	write_file(refresh, "");

	ret = gupdemo_vmstat_read_paths(refresh, vm, &vs);
	is_errno(ret, 0, "read_paths: file with both counters");
	is_u64(vs.acquired, 196606, "read_paths: acquired");
	is_u64(vs.released, 196605, "read_paths: released");
	ok(vs.refreshed, "read_paths: refreshed after writing the refresh file");
	fd = open(refresh, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	ok(n >= 1 && buf[0] == '1', "read_paths: wrote \"1\" to the refresh file");

	ret = gupdemo_vmstat_read_paths(missing, vm, &vs);
	is_errno(ret, 0, "read_paths: refresh file missing is not an error");
	ok(!vs.refreshed, "read_paths: ... but refreshed is false");

	ret = gupdemo_vmstat_read_paths(NULL, vm, &vs);
	ok(ret == 0 && !vs.refreshed, "read_paths: NULL refresh path skips it");

	ret = gupdemo_vmstat_read_paths(NULL, missing, &vs);
	is_errno(ret, ENOENT, "read_paths: vmstat file missing -> ENOENT");

	write_file(vm, "nr_free_pages 1\n");
	ret = gupdemo_vmstat_read_paths(NULL, vm, &vs);
	is_errno(ret, ENOENT, "read_paths: counters missing -> ENOENT");

	/* A file larger than the first read buffer. */
	{
		FILE *f = fopen(vm, "w");

		for (int i = 0; i < 4000; i++)
			fprintf(f, "nr_filler_%d %d\n", i, i);
		fputs("nr_foll_pin_acquired 7\nnr_foll_pin_released 5\n", f);
		fclose(f);
	}
	ret = gupdemo_vmstat_read_paths(NULL, vm, &vs);
	ok(ret == 0 && vs.acquired == 7 && vs.released == 5,
	   "read_paths: counters after 60 KiB of other lines");

	unlink(vm);
	unlink(refresh);
	rmdir(dir);
}

static void write_counters(const char *path, uint64_t acq, uint64_t rel)
{
	char text[128];

	snprintf(text, sizeof(text),
		 "nr_free_pages 1\nnr_foll_pin_acquired %llu\n"
		 "nr_foll_pin_released %llu\n", (unsigned long long)acq,
		 (unsigned long long)rel);
	write_file(path, text);
}

/* gupdemo_vmstat_settle_paths(): waits for late releases, and only for them. */
static void test_settle(void)
{
	char dir[] = "/tmp/t_vmstat.XXXXXX";
	const struct gupdemo_vmstat before = { .acquired = 10, .released = 10 };
	char vm[64], tmp[64];
	struct gupdemo_vmstat after;
	int ret, st;
	pid_t pid;

	if (!mkdtemp(dir))
		bail_out("mkdtemp failed");
	snprintf(vm, sizeof(vm), "%s/vmstat", dir);
	snprintf(tmp, sizeof(tmp), "%s/vmstat.new", dir);

	write_counters(vm, 26, 26);
	ret = gupdemo_vmstat_settle_paths(NULL, vm, &before, &after, 0);
	is_errno(ret, 0, "settle: +16/+16 is settled at once");
	ok(after.acquired == 26 && after.released == 26,
	   "settle: ... and @after is that reading");

	write_counters(vm, 26, 30);
	ret = gupdemo_vmstat_settle_paths(NULL, vm, &before, &after, 0);
	is_errno(ret, 0, "settle: more released than acquired (older pins "
		 "dropped) counts as settled");

	write_counters(vm, 26, 20);
	ret = gupdemo_vmstat_settle_paths(NULL, vm, &before, &after, 50);
	is_errno(ret, ETIMEDOUT, "settle: +16/+10 that never catches up -> "
		 "ETIMEDOUT");
	ok(after.acquired == 26 && after.released == 20,
	   "settle: ... and @after holds the last reading (26/20)");

	/* The late release: another process writes the balanced counters. */
	pid = fork();
	if (pid < 0)
		bail_out("fork failed");
	if (pid == 0) {
		nanosleep(&(struct timespec){ .tv_nsec = 30 * 1000 * 1000 }, NULL);
		write_counters(tmp, 26, 26);
		_exit(rename(tmp, vm) ? 1 : 0);
	}
	ret = gupdemo_vmstat_settle_paths(NULL, vm, &before, &after, 10000);
	is_errno(ret, 0, "settle: a release that comes 30 ms late is waited for");
	ok(after.acquired == 26 && after.released == 26,
	   "settle: ... and @after is the balanced reading");
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
	   "settle: the writer child exited 0");

	is_errno(gupdemo_vmstat_settle_paths(NULL, vm, NULL, &after, 0), EINVAL,
		 "settle: NULL @before -> EINVAL");
	is_errno(gupdemo_vmstat_settle_paths(NULL, vm, &before, NULL, 0), EINVAL,
		 "settle: NULL @after -> EINVAL");
	unlink(vm);
	is_errno(gupdemo_vmstat_settle_paths(NULL, vm, &before, &after, 0),
		 ENOENT, "settle: vmstat file missing -> ENOENT");
	rmdir(dir);
}

/* One text for gupdemo_vmstat_parse() and what it must give. */
struct parse_case {
	const char *text;
	int err;
	uint64_t acq, rel;
	const char *what;
};

static const struct parse_case normal_cases[] = {
	{ sample, 0, 196606, 196605, "sample" },
	{ "nr_foll_pin_acquired 0\nnr_foll_pin_released 0", 0, 0, 0,
	  "zeros, no final newline" },
	{ "nr_foll_pin_released 5\nnr_foll_pin_acquired 9\n", 0, 9, 5,
	  "reverse order" },
	{ "nr_foll_pin_acquired  12 \nnr_foll_pin_released\t3\n", 0, 12, 3,
	  "extra blanks" },
};

static const struct parse_case missing_cases[] = {
	{ "", ENOENT, 0, 0, "empty text" },
	{ "nr_free_pages 1\nnr_foll_pin_released 3\n", ENOENT, 0, 0,
	  "acquired missing" },
	{ "nr_foll_pin_acquired 3\nnr_free_pages 1\n", ENOENT, 0, 0,
	  "released missing" },
	{ "nr_foll_pin_acquired_total 3\nxnr_foll_pin_released 4\n"
	  " nr_foll_pin_acquired 5\n", ENOENT, 0, 0,
	  "only longer names, a prefixed name and an indented line" },
	{ "nr_foll_pin_acquire 3\nnr_foll_pin_release 4\n", ENOENT, 0, 0,
	  "only shorter names" },
};

static const struct parse_case huge_cases[] = {
	{ "nr_foll_pin_acquired 18446744073709551615\n"
	  "nr_foll_pin_released 18446744073709551614\n", 0, UINT64_MAX,
	  UINT64_MAX - 1, "UINT64_MAX" },
	{ "nr_foll_pin_acquired 4294967296\n"
	  "nr_foll_pin_released 4294967295\n", 0, 4294967296ULL,
	  4294967295ULL, "above 32 bits" },
	{ "nr_foll_pin_acquired 18446744073709551616\n"
	  "nr_foll_pin_released 1\n", ERANGE, 0, 0, "UINT64_MAX + 1" },
	{ "nr_foll_pin_acquired 1\n"
	  "nr_foll_pin_released 99999999999999999999999\n", ERANGE, 0, 0,
	  "23 digits" },
	{ "nr_foll_pin_acquired 000000000000000000000000000001\n"
	  "nr_foll_pin_released 0\n", 0, 1, 0, "leading zeros" },
};

#define MALFORMED(acq_line, what) \
	{ "nr_foll_pin_acquired" acq_line "\nnr_foll_pin_released 1\n", \
	  EINVAL, 0, 0, what }

static const struct parse_case malformed_cases[] = {
	MALFORMED("", "name without value"),
	MALFORMED(" ", "blank value"),
	MALFORMED(" abc", "not a number"),
	MALFORMED(" 12x", "trailing junk"),
	MALFORMED(" -1", "negative"),
	MALFORMED(" +1", "explicit plus sign"),
	MALFORMED(" 1 2", "two values"),
	MALFORMED(" 0x10", "hexadecimal"),
	{ "nr_foll_pin_acquired 1\r\nnr_foll_pin_released 1\r\n", EINVAL, 0, 0,
	  "CRLF line ends" },
	{ "nr_foll_pin_acquired 1\nnr_foll_pin_released 1\n"
	  "nr_foll_pin_acquired 2\n", EINVAL, 0, 0, "duplicate name" },
};

#define CASES(heading, rows) { heading, rows, sizeof(rows) / sizeof(rows[0]) }

static const struct {
	const char *heading;
	const struct parse_case *rows;
	size_t n;
} parse_groups[] = {
	CASES("normal input", normal_cases),
	CASES("missing fields", missing_cases),
	CASES("huge values", huge_cases),
	CASES("malformed", malformed_cases),
};

static void test_parse(void)
{
	for (size_t g = 0; g < sizeof(parse_groups) / sizeof(parse_groups[0]); g++) {
		diag("%s", parse_groups[g].heading);
		for (size_t i = 0; i < parse_groups[g].n; i++) {
			const struct parse_case *c = &parse_groups[g].rows[i];

			check_parse(c->text, c->err, c->acq, c->rel, c->what);
		}
	}
}

static void test_arguments(void)
{
	uint64_t v;
	int ret;

	is_errno(gupdemo_vmstat_parse(NULL, &(struct gupdemo_vmstat){ 0 }),
		 EINVAL, "NULL text -> EINVAL");
	is_errno(gupdemo_vmstat_parse(sample, NULL), EINVAL,
		 "NULL output -> EINVAL");
	ret = gupdemo_vmstat_parse_field(sample, "pgfault", &v);
	ok(ret == 0 && v == 1234567, "parse_field: last line 'pgfault'");
	ret = gupdemo_vmstat_parse_field(sample, "nr_free_pages", &v);
	ok(ret == 0 && v == 224911, "parse_field: first line 'nr_free_pages'");
	is_errno(gupdemo_vmstat_parse_field(sample, "", &v), EINVAL,
		 "parse_field: empty name -> EINVAL");
	is_errno(gupdemo_vmstat_parse_field(sample, "nr_free", &v), ENOENT,
		 "parse_field: a prefix of a name is not the name");
}

static void test_host_vmstat(void)
{
	struct gupdemo_vmstat vs;
	int ret = gupdemo_vmstat_read(&vs);

	if (ret == -ENOENT)
		skip(1, "/proc/vmstat has no FOLL_PIN counters here");
	else
		is_errno(ret, 0, "gupdemo_vmstat_read() on the host "
			 "(acquired %" PRIu64 ", released %" PRIu64 ")",
			 ret ? 0 : vs.acquired, ret ? 0 : vs.released);
}

int main(void)
{
	test_parse();
	diag("arguments and single fields");
	test_arguments();
	diag("files");
	test_read_paths();
	test_settle();
	diag("this machine's /proc/vmstat");
	test_host_vmstat();
	return done_testing();
}
