// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: Debian's trinity fuzzer on /dev/gupdemo, a second, foreign
 * fuzzer next to t_fuzz.
 *
 * Usage: t_trinity [--count N] [--seed N] [--children N] [--timeout SEC]
 *                  [--trinity PATH] [--preload PATH] [--verbose]
 *                  [-- TRINITY-OPTION...]
 *
 * trinity (/bin/trinity, Debian's binary) runs `-c ioctl` with the device
 * as its victim file, a bounded syscall count and a printed seed, as an
 * unprivileged user (uid 1000) of a group the node is opened to, the way
 * module/etc/60-gupdemo.rules does it.  tests/trinity/gupdemo.c, preloaded
 * (/bin/gupdemo-trinity.so), gives trinity an ioctl group for gupdemo, so
 * its ioctls on the device use gupdemo's real commands with near-valid,
 * trinity-randomised arguments.  trinity's fd providers that can be
 * turned off are (perf, epoll, eventfd, timerfd, memfd, drm), so about one
 * ioctl in eight lands on the device; half or more of those go through the
 * gupdemo group (trinity's vfs group claims the device too).
 *
 * The group's region actions (memfd_secret remaps, MADV_PAGEOUT, fsync)
 * work on a file of an ext4 image mounted for them (GUPDEMO_TRINITY_FILE);
 * without ext4 only on anonymous and secret memory.
 *
 * Afterwards whatever trinity left running is killed, and: trinity ran at
 * least N syscalls and exited by itself in time; the group built arguments
 * for every gupdemo command; PINs succeeded (the module's pins_total and
 * nr_foll_pin_acquired moved); Δnr_foll_pin_acquired == Δreleased, the
 * module holds nothing, it unloads and loads again.  A kernel oops, WARN or
 * KASAN/lockdep report fails the run in vm-run.  Printed: the seed, what
 * trinity reports (syscalls run, successes, failures, the errno spread with
 * --stats), how many ioctls went through the gupdemo group per command, and
 * the module's counters.
 */
#include <dirent.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "stress.h"

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

#define UID_FUZZ	1000
#define GID_FUZZ	2000
#define WORKDIR		"/tmp/trinity"
#define STATS_FILE	WORKDIR "/gupdemo-stats"
#define REGION_IMG	"/tmp/t_trinity-region.img"
#define REGION_FS	WORKDIR "/fs"
#define REGION_FILE	REGION_FS "/region"
#define MAX_EXTRA	16	/* trinity options after "--" */

static struct {
	unsigned long count;
	unsigned int seed;
	unsigned int children;
	unsigned int timeout_s;
	const char *trinity;
	const char *preload;
	bool verbose;
	char **extra;		/* trinity options after "--" */
	int nextra;
} opt = {
	.count = 5000,
	.children = 4,
	.timeout_s = 600,
	.trinity = "/bin/trinity",
	.preload = "/bin/gupdemo-trinity.so",
};

/* What trinity printed that the checks need. */
static struct {
	long ran, successes, failures;
	bool have_ran;
	int dev_fds[8];		/* trinity's descriptors of the device */
	unsigned int nr_dev_fds;
	unsigned long lines, shown;
} tr = { .ran = -1 };

/*
 * Results of gupdemo's commands as trinity logs them, one line per call
 * ("[childN:pid] [op] ioctl(fd=F, cmd=0xbe01, arg=A) = -1 (Invalid argument)").
 * Children print concurrently: lines whose result may be another call's are
 * skipped (see log_result()).  Informational only.
 */
#define NR_LOG_CMDS	9
#define NR_LOG_RESULTS	12
static struct {
	unsigned long calls;
	unsigned int nr;
	struct {
		char what[40];
		unsigned long n;
	} res[NR_LOG_RESULTS];
} logged[NR_LOG_CMDS + 1];	/* the last: other commands of type 0xBE */
static unsigned long log_ambiguous;

static bool is_dev_fd(int fd)
{
	for (unsigned int i = 0; i < tr.nr_dev_fds; i++)
		if (tr.dev_fds[i] == fd)
			return true;
	return false;
}

/*
 * Children print a call in two writes, the call before it runs and its
 * result after, and their writes interleave: "A-call B-call = result", and
 * "= result" alone later.  Each child runs one call at a time.  So the log
 * is read as a stream of call and result events: a result belongs to the
 * only child with a call open, if there is one and no result seen earlier
 * may be its; otherwise it is not attributed (and once as many results as
 * open calls were seen, all those calls are done).
 */
#define MAX_SLOTS	64	/* trinity's child slots, [childN:pid] */
static struct {
	bool open;
	int fd;
	unsigned long cmd;
} slots[MAX_SLOTS];
static unsigned int nr_open, unattributed_seen;

static void slot_close(unsigned int x)
{
	if (!slots[x].open)
		return;
	slots[x].open = false;
	nr_open--;
	if (unattributed_seen > nr_open)
		unattributed_seen = nr_open;
}

static void log_tally(int fd, unsigned long cmd, const char *res)
{
	char what[40];
	unsigned int i, c;

	if (!is_dev_fd(fd) || ((cmd >> 8) & 0xff) != GUPDEMO_IOCTL_TYPE)
		return;
	if (strncmp(res, "-1 (", 4) == 0) {
		snprintf(what, sizeof(what), "%s", res + 4);
		what[strcspn(what, ")")] = '\0';
	} else {
		snprintf(what, sizeof(what), "ok");
	}
	c = cmd == (cmd & 0xffff) && (cmd & 0xff) < NR_LOG_CMDS ?
		(unsigned int)(cmd & 0xff) : NR_LOG_CMDS;
	logged[c].calls++;
	for (i = 0; i < logged[c].nr; i++)
		if (strcmp(logged[c].res[i].what, what) == 0)
			break;
	if (i == logged[c].nr) {
		if (i == NR_LOG_RESULTS)
			i--;	/* the last slot collects the rest */
		else
			logged[c].nr++;
		snprintf(logged[c].res[i].what, sizeof(logged[c].res[i].what), "%s", what);
	}
	logged[c].res[i].n++;
}

/* A result ("-1 (Invalid argument)" or "0"): whose, if that is certain. */
static void log_result_event(const char *res)
{
	unsigned int x;

	if (nr_open == 1 && unattributed_seen == 0) {
		for (x = 0; x < MAX_SLOTS; x++) {
			if (slots[x].open) {
				log_tally(slots[x].fd, slots[x].cmd, res);
				slot_close(x);
				return;
			}
		}
	}
	log_ambiguous++;
	if (++unattributed_seen >= nr_open) {
		for (x = 0; x < MAX_SLOTS; x++)
			slots[x].open = false;
		nr_open = unattributed_seen = 0;
	}
}

static void log_line(const char *line)
{
	const char *p = line, *child, *result;

	if (strncmp(p, "= ", 2) == 0) {
		log_result_event(p + 2);
		p += 2;
	}
	for (;;) {
		unsigned int x;

		child = strstr(p, "[child");
		result = strstr(p, ") = ");
		if (result && (!child || result < child)) {
			log_result_event(result + 4);
			p = result + 4;
			continue;
		}
		if (!child)
			return;
		p = child + 6;
		if (sscanf(child, "[child%u:", &x) != 1 || x >= MAX_SLOTS)
			continue;
		child = strchr(child, ']');
		if (!child || strncmp(child, "] [", 3) != 0) {
			/* A child starting afresh ("[childN:pid]  start: ..."). */
			slot_close(x);
			continue;
		}
		/*
		 * A new call: the child's last one is done, and its result
		 * was one of those not attributed.
		 */
		if (slots[x].open) {
			slots[x].open = false;
			nr_open--;
			if (unattributed_seen)
				unattributed_seen--;
		}
		child = strstr(child, "ioctl(fd=");
		if (!child || sscanf(child, "ioctl(fd=%d, cmd=%li,", &slots[x].fd,
				     (long *)&slots[x].cmd) != 2)
			continue;
		slots[x].open = true;
		nr_open++;
	}
}

static void print_logged(void)
{
	static const char *const names[] = {
		"GET_INFO", "PIN", "UNPIN", "QUERY", "DMA", "BENCH", "MIRROR",
		"UNMIRROR", "MQUERY", "other 0xBE",
	};

	diag("trinity's log, gupdemo commands on the device (of all results, %lu "
	     "could not be told apart among children and are left out):",
	     log_ambiguous);
	for (unsigned int c = 0; c <= NR_LOG_CMDS; c++) {
		char line[600];
		size_t used = 0;

		for (unsigned int i = 0; i < logged[c].nr && used < sizeof(line); i++)
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s %lu",
						 i ? ", " : "", logged[c].res[i].what,
						 logged[c].res[i].n);
		diag("  %-10s %6lu: %s", names[c], logged[c].calls, logged[c].nr ? line : "-");
	}
}

/*
 * One line of trinity's output: parsed; printed as a note unless it is one
 * of the many per-call or per-object lines.
 */
static void trinity_line(char *line)
{
	static const char *const noise[] = {
		"ioctl(", "start: 0x", "futex:", "setsockopt(", " fd:", "sysv_shm:",
		"Couldn't open socket",
	};
	char *p = strstr(line, "Ran ");
	int fd;

	tr.lines++;
	if (p && sscanf(p, "Ran %ld syscalls. Successes: %ld Failures: %ld",
			&tr.ran, &tr.successes, &tr.failures) == 3)
		tr.have_ran = true;
	p = strstr(line, "file fd:");
	if (p && strstr(p, "filename:" GUPDEMO_DEV_PATH " ") &&
	    sscanf(p, "file fd:%d", &fd) == 1 && tr.nr_dev_fds < 8)
		tr.dev_fds[tr.nr_dev_fds++] = fd;
	log_line(line);
	if (!opt.verbose && strncmp(line, "= ", 2) == 0)
		return;
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]) && !opt.verbose; i++)
		if (strstr(line, noise[i]))
			return;
	tr.shown++;
	diag("trinity: %s", line);
}

/* Module counters of /sys/kernel/debug/gupdemo/stats. */
static const char *const stat_keys[] = {
	"pins_total", "pages_total", "failures_total", "dma_total", "dma_bytes",
	"pins_held", "pages_held", "mirrors_total", "mirror_invalidations",
};

#define NR_STATS	(sizeof(stat_keys) / sizeof(stat_keys[0]))

static void read_stats(int64_t *v)
{
	for (size_t i = 0; i < NR_STATS; i++)
		if (g_stat_get(stat_keys[i], &v[i]))
			bail_out("cannot read %s from " GUPDEMO_DEBUGFS_DIR "/stats",
				 stat_keys[i]);
}

/*
 * Copies trinity's output (a pipe) into TAP notes until it closes or
 * @deadline (monotonic seconds) passes; returns false on the deadline.
 */
static bool pump_output(int fd, double deadline)
{
	static char buf[8192];
	size_t used = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = deadline - stress_now();
		ssize_t n;
		char *nl;

		if (left <= 0)
			return false;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			bail_out("poll: %s", strerror(errno));
		}
		if (!pfd.revents)
			continue;
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			trinity_line(buf);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used + 1);
		}
		if (used == sizeof(buf) - 1) {
			trinity_line(buf);
			used = 0;
		}
	}
	if (used) {
		buf[used] = '\0';
		trinity_line(buf);
	}
	return true;
}

static bool become_fuzzer(void)
{
	const gid_t groups[] = { GID_FUZZ };

	return setgroups(1, groups) == 0 && setgid(GID_FUZZ) == 0 &&
	       setuid(UID_FUZZ) == 0;
}

/* Processes of the fuzz user that are not zombies (they may hold files). */
static int fuzzer_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], buf[2048], *s;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		if (g_read_file(path, buf, sizeof(buf)))
			continue;
		s = strstr(buf, "\nUid:");
		if (!s || strtoul(s + 5, NULL, 10) != UID_FUZZ)
			continue;
		s = strstr(buf, "\nState:");
		if (s && s[7 + strspn(s + 7, " \t")] == 'Z')
			continue;
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Kills everything of the fuzz user: a child that becomes that user and
 * signals all it may (kill(-1) spares the caller).  Then waits until no
 * such process is left, so every file of the device is closed.
 */
static int kill_leftovers(void)
{
	int left = 0, before = fuzzer_procs();
	pid_t pid = fork();

	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		if (!become_fuzzer())
			_exit(1);
		kill(-1, SIGKILL);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 300; i++) {
		left = fuzzer_procs();
		if (left == 0)
			break;
		usleep(100000);
	}
	ok(left == 0, "trinity's leftovers killed (%d process(es) before, %d left)",
	   before, left);
	return before;
}

/* The "key value" lines tests/trinity/gupdemo.c writes at trinity's exit. */
static bool group_stat(const char *text, const char *key, unsigned long *v)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			*v = strtoul(p + klen + 1, NULL, 10);
			return true;
		}
	}
	return false;
}

/* An ext4 file the fuzz user may map and fsync (the group's file region). */
static bool region_fs_setup(void)
{
	int fd;

	fflush(NULL);
	if (system("{ umount " REGION_FS "; rm -f " REGION_IMG "; } >/dev/null 2>&1; "
		   "truncate -s 16M " REGION_IMG " && "
		   "/sbin/mke2fs -q -F -t ext4 " REGION_IMG " >/dev/null 2>&1 && "
		   "mkdir -p " REGION_FS " && "
		   "mount -t ext4 -o loop " REGION_IMG " " REGION_FS) != 0) {
		diag("no ext4 for the group's file region: anonymous and secret memory only");
		return false;
	}
	fd = open(REGION_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || fchown(fd, UID_FUZZ, GID_FUZZ) ||
	    chown(REGION_FS, UID_FUZZ, GID_FUZZ)) {
		diag("the group's file region: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

static void region_fs_teardown(bool mounted)
{
	if (mounted)
		ok(umount(REGION_FS) == 0,
		   "the file region's ext4 unmounts (nothing keeps it busy)");
	unlink(REGION_IMG);
}

/* The group's region actions (tests/trinity/gupdemo.c) all happened. */
static void check_region_stats(const char *text, bool have_file)
{
	unsigned long secret = 0, anon = 0, pageout = 0, fsyncs = 0, ranges = 0;
	long fd = syscall(SYS_memfd_secret, 0);
	bool have_secret = fd >= 0;

	if (fd >= 0)
		close((int)fd);
	group_stat(text, "region_secret", &secret);
	group_stat(text, "region_anon", &anon);
	group_stat(text, "region_pageout", &pageout);
	group_stat(text, "region_fsync", &fsyncs);
	group_stat(text, "region_ranges", &ranges);
	diag("gupdemo group region actions: memfd_secret %lu, back to anonymous %lu, "
	     "MADV_PAGEOUT %lu, fsync %lu; ranges picked in the region %lu",
	     secret, anon, pageout, fsyncs, ranges);
	ok(pageout > 0 && ranges > 0 && (secret > 0 || !have_secret) &&
	   (fsyncs > 0 || !have_file),
	   "the group's region actions ran: MADV_PAGEOUT, ranges in the region%s%s",
	   have_secret ? ", memfd_secret" : " (no memfd_secret on this kernel)",
	   have_file ? ", fsync of the ext4 file" : " (no ext4 file)");
}

static void check_group_stats(bool have_file)
{
	static const char *const cmds[] = {
		"GUPDEMO_IOC_GET_INFO", "GUPDEMO_IOC_PIN", "GUPDEMO_IOC_UNPIN",
		"GUPDEMO_IOC_QUERY", "GUPDEMO_IOC_DMA", "GUPDEMO_IOC_BENCH",
		"GUPDEMO_IOC_MIRROR", "GUPDEMO_IOC_UNMIRROR",
		"GUPDEMO_IOC_MIRROR_QUERY",
	};
	unsigned long sanitised = 0, v, unknown = 0, raw = 0, handles = 0;
	unsigned long mhandles = 0;
	char text[2048], line[512] = "";
	size_t used = 0;
	bool all = true;

	if (!ok(g_read_file(STATS_FILE, text, sizeof(text)) == 0,
		"the gupdemo group wrote its counts (" STATS_FILE ")")) {
		skip(3, "no counts from the gupdemo group");
		return;
	}
	group_stat(text, "sanitised", &sanitised);
	group_stat(text, "unknown_cmd", &unknown);
	group_stat(text, "raw_arg", &raw);
	group_stat(text, "handles_seen", &handles);
	group_stat(text, "mirror_handles_seen", &mhandles);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!group_stat(text, cmds[i], &v))
			v = 0;
		all &= v > 0;
		used += (size_t)snprintf(line + used, sizeof(line) - used, " %s %lu",
					 cmds[i] + strlen("GUPDEMO_IOC_"), v);
		if (used >= sizeof(line))
			used = sizeof(line) - 1;
	}
	diag("gupdemo group: %lu ioctls of the %ld trinity ran (%.0f%%):%s, "
	     "unknown command %lu; trinity's own argument %lu; PIN handles read back %lu, "
	     "MIRROR handles %lu",
	     sanitised, tr.ran, tr.ran > 0 ? 100.0 * (double)sanitised / (double)tr.ran : 0,
	     line, unknown, raw, handles, mhandles);
	/*
	 * trinity picks one of its 8 fd providers at random for each call (the
	 * device is the only victim file), and for the device's fd this group
	 * or trinity's vfs group: about 1 call in 12 lands here.
	 */
	ok(tr.ran > 0 && sanitised * 25 >= (unsigned long)tr.ran,
	   "at least 1 in 25 of trinity's ioctls went through the gupdemo group "
	   "(%lu of %ld)", sanitised, tr.ran);
	ok(all, "the gupdemo group built arguments for every command");
	check_region_stats(text, have_file);
}

static void usage(void)
{
	fprintf(stderr, "usage: t_trinity [--count N] [--seed N] [--children N] "
		"[--timeout SEC] [--trinity PATH] [--preload PATH] [--verbose]\n"
		"       [-- TRINITY-OPTION...]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "children", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "trinity", required_argument, NULL, 'T' },
		{ "preload", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool have_seed = false;
	int o;

	while ((o = getopt_long(argc, argv, "n:s:C:t:T:P:vh", opts, NULL)) != -1) {
		switch (o) {
		case 'n': opt.count = stress_parse_u64("--count", optarg); break;
		case 's':
			opt.seed = (unsigned int)stress_parse_u64("--seed", optarg);
			have_seed = true;
			break;
		case 'C': opt.children = (unsigned int)stress_parse_u64("--children", optarg); break;
		case 't': opt.timeout_s = (unsigned int)stress_parse_u64("--timeout", optarg); break;
		case 'T': opt.trinity = optarg; break;
		case 'P': opt.preload = optarg; break;
		case 'v': opt.verbose = true; break;
		default: usage();
		}
	}
	if (opt.count == 0 || opt.children == 0 || opt.children > MAX_SLOTS ||
	    argc - optind > MAX_EXTRA)
		usage();
	opt.extra = argv + optind;
	opt.nextra = argc - optind;
	if (!have_seed)
		opt.seed = (unsigned int)stress_seed_from_clock();
}

/* In the forked child: trinity as the fuzz user, its output into @wfd. */
__attribute__((noreturn))
static void exec_trinity(int wfd, bool have_file)
{
	static const char *const fixed[] = {
		"-c", "ioctl", "-V", GUPDEMO_DEV_PATH, "-l", "off", "--stats",
		/*
		 * As few other descriptors as work: the vfs, btrfs,
		 * ext and [socket] ioctl groups' fd tests walk the
		 * pipe, file, test file and socket lists, so those
		 * must stay (unix sockets only: quick to make).
		 */
		"--disable-fds=perf,epoll,eventfd,timerfd,memfd,drm", "-P", "UNIX",
	};
	char count_s[32], seed_s[32], children_s[32], preload_env[256];
	char *const envp[] = {
		"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=" WORKDIR,
		"TMPDIR=" WORKDIR, "GUPDEMO_TRINITY_STATS=" STATS_FILE,
		have_file ? "GUPDEMO_TRINITY_FILE=" REGION_FILE :
			    "GUPDEMO_TRINITY_FILE=",
		preload_env, NULL,
	};
	char *args[32 + MAX_EXTRA];
	int n = 0;

	snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s", opt.preload);
	snprintf(count_s, sizeof(count_s), "%lu", opt.count);
	snprintf(seed_s, sizeof(seed_s), "%u", opt.seed);
	snprintf(children_s, sizeof(children_s), "%u", opt.children);
	args[n++] = (char *)opt.trinity;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		args[n++] = (char *)fixed[i];
	args[n++] = "-N";
	args[n++] = count_s;
	args[n++] = "-s";
	args[n++] = seed_s;
	args[n++] = "-C";
	args[n++] = children_s;
	for (int i = 0; i < opt.nextra; i++)
		args[n++] = opt.extra[i];
	args[n] = NULL;

	setpgid(0, 0);
	dup2(wfd, 1);
	dup2(wfd, 2);
	close(wfd);
	if (chdir(WORKDIR) || !become_fuzzer()) {
		perror("t_trinity: becoming the fuzz user");
		_exit(127);
	}
	execve(opt.trinity, args, envp);
	perror("t_trinity: execve trinity");
	_exit(127);
}

/*
 * Runs trinity to its end (killed after --timeout): three TAP lines, in
 * time, exit status 0, the count of syscalls it ran.
 */
static void run_trinity(bool have_file)
{
	int pfd[2], status = 0;
	double t0, elapsed;
	bool in_time;
	pid_t pid;

	if (pipe(pfd))
		bail_out("pipe: %s", strerror(errno));
	t0 = stress_now();
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		exec_trinity(pfd[1], have_file);
	}
	close(pfd[1]);
	in_time = pump_output(pfd[0], t0 + opt.timeout_s);
	if (!in_time) {
		diag("trinity still running after %u s: killing it", opt.timeout_s);
		kill(-pid, SIGKILL);
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	elapsed = stress_now() - t0;
	ok(in_time, "trinity finished within %u s (%.1f s)", opt.timeout_s, elapsed);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "trinity exited with status 0 (wait status 0x%x)", status);
	kill_leftovers();

	ok(tr.have_ran && tr.ran >= (long)opt.count,
	   "trinity ran at least %lu syscalls (%ld; %ld succeeded, %ld failed; %.1f/s)",
	   opt.count, tr.ran, tr.successes, tr.failures,
	   elapsed > 0 ? (double)tr.ran / elapsed : 0);
}

/* What the module and the pin counters saw while trinity ran. */
static void check_module(const int64_t *s0, const struct gupdemo_vmstat *before)
{
	struct gupdemo_vmstat after;
	int64_t s1[NR_STATS];

	read_stats(s1);
	after = g_vmstat();
	diag("module: PIN succeeded %lld times (%lld pages), %lld PIN/DMA calls failed, "
	     "DMA succeeded %lld times (%lld bytes)",
	     (long long)(s1[0] - s0[0]), (long long)(s1[1] - s0[1]),
	     (long long)(s1[2] - s0[2]), (long long)(s1[3] - s0[3]),
	     (long long)(s1[4] - s0[4]));
	diag("module: MIRROR succeeded %lld times; the mirrors saw %lld invalidations",
	     (long long)(s1[7] - s0[7]), (long long)(s1[8] - s0[8]));
	diag("nr_foll_pin_acquired +%llu, nr_foll_pin_released +%llu",
	     (unsigned long long)(after.acquired - before->acquired),
	     (unsigned long long)(after.released - before->released));
	ok(s1[0] > s0[0], "trinity's PINs got through: pins_total +%lld",
	   (long long)(s1[0] - s0[0]));
	ok(after.acquired > before->acquired,
	   "pages were pinned: nr_foll_pin_acquired moved (+%llu)",
	   (unsigned long long)(after.acquired - before->acquired));
	ok(s1[5] == 0 && s1[6] == 0,
	   "debugfs stats: pins_held %lld, pages_held %lld after trinity",
	   (long long)s1[5], (long long)s1[6]);
}

int main(int argc, char **argv)
{
	struct gupdemo_vmstat before;
	int64_t s0[NR_STATS];
	bool have_file;

	parse_args(argc, argv);
	diag("t_trinity: seed %u (rerun: t_trinity --seed %u --count %lu --children %u)",
	     opt.seed, opt.seed, opt.count, opt.children);
	if (geteuid() != 0)
		bail_out("t_trinity runs as root (trinity itself runs as uid %d)", UID_FUZZ);
	if (access(opt.trinity, X_OK) || access(opt.preload, R_OK))
		bail_out("%s or %s missing (make tests puts both into the guest)",
			 opt.trinity, opt.preload);

	/* Where trinity runs: its cwd, HOME and the group's counts file. */
	if ((mkdir(WORKDIR, 0755) && errno != EEXIST) ||
	    chown(WORKDIR, UID_FUZZ, GID_FUZZ))
		bail_out("cannot make " WORKDIR ": %s", strerror(errno));
	unlink(STATS_FILE);
	have_file = region_fs_setup();

	/* What 60-gupdemo.rules does: GROUP="gupdemo", MODE="0660". */
	ok(chown(GUPDEMO_DEV_PATH, 0, GID_FUZZ) == 0 &&
	   chmod(GUPDEMO_DEV_PATH, 0660) == 0,
	   GUPDEMO_DEV_PATH " opened to group %d (chgrp + chmod 0660); trinity runs "
	   "as uid %d", GID_FUZZ, UID_FUZZ);
	before = g_vmstat();
	read_stats(s0);
	run_trinity(have_file);
	diag("trinity printed %lu lines (%lu shown); its descriptors of the device:%s",
	     tr.lines, tr.shown, tr.nr_dev_fds ? "" : " none found");
	for (unsigned int i = 0; i < tr.nr_dev_fds; i++)
		diag("  fd %d", tr.dev_fds[i]);
	print_logged();
	check_group_stats(have_file);
	region_fs_teardown(have_file);
	check_module(s0, &before);

	ok(chown(GUPDEMO_DEV_PATH, 0, 0) == 0 && chmod(GUPDEMO_DEV_PATH, 0600) == 0,
	   "node restored to 0600 root:root");
	stress_final_checks(&before, "after trinity");
	return done_testing();
}
