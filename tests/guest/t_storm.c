// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: kill storm.
 *
 * Usage: t_storm [--seed N] [--kills N] [--parallel N] [--big-mib N]
 *                [--edu N]
 *
 * Children pin big ranges, pin many small handles, run DMA (the software
 * engine; with --edu N, N of them use the edu device), mirror big ranges
 * (MIRROR: hmm_range_fault() faulting them in) and run DMA on mirrors (soft
 * engine), each on its own descriptor, in an endless loop; the parent
 * SIGKILLs each one after a random delay, so the kill lands anywhere:
 * inside GUP's batch loop, while the pages array is allocated, inside
 * hmm_range_fault()'s retry loop, while a DMA waits for its engine or holds
 * a mirror's lock, while the file (its pins and mirrors) is being
 * released.  A shared page tells which call each child was in when the
 * signal came.  Afterwards nothing may be held: GET_INFO pins_held and
 * pages_held 0, debugfs mirrors_held 0, the pin counters balanced, the
 * module unloads.
 */
#include <getopt.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "stress.h"

#define MAX_PAR	16

enum {
	S_IDLE, S_PIN_BIG, S_PIN_MANY, S_DMA_SOFT, S_MIRROR, S_DMA_MIRROR,
	S_DMA_EDU, S_COUNT
};
/* A soft child picks one of these each round. */
#define S_SOFT_KINDS	(S_DMA_MIRROR - S_PIN_BIG + 1)
static const char *const state_names[S_COUNT] = {
	"between calls", "PIN of a big range", "PIN of many handles",
	"DMA (soft)", "MIRROR of a big range", "DMA on a mirror (soft)",
	"DMA (edu)",
};

/* Mirrors a child keeps at once; the oldest goes when a new one comes. */
#define NMIRRORS	8

static struct {
	uint64_t seed;
	unsigned int kills;
	unsigned int parallel;
	unsigned int edu;
	size_t big;
	size_t psz;
	volatile int *state;	/* shared with the children, one int each */
} S = { .kills = 100, .parallel = 4, .big = 32 };

/* What one child works with, across its rounds. */
struct child_ctx {
	struct rng r;
	int fd;
	uint8_t *mem, *dst;	/* mem: S.big bytes, dst: a quarter of that */
	size_t big, dlen;
	uint32_t mirrors[NMIRRORS], dst_mirror;
	unsigned int nm;	/* mirrors made so far */
};

static void do_pin_big(struct child_ctx *c)
{
	struct gupdemo_pin p = { .size = sizeof(p) };

	p.addr = (uint64_t)(uintptr_t)c->mem;
	p.len = c->big - rng_below(&c->r, c->big / 2);
	p.flags = GUPDEMO_PIN_WRITE | GUPDEMO_PIN_LONGTERM;
	p.api = (uint32_t)rng_below(&c->r, 4);
	p.batch = rng_pct(&c->r, 50) ? 0 : 16;
	ioctl(c->fd, GUPDEMO_IOC_PIN, &p);
}

static void do_pin_many(struct child_ctx *c)
{
	struct gupdemo_pin p = { .size = sizeof(p) };

	for (int i = 0; i < 64; i++) {
		p.size = sizeof(p);
		p.addr = (uint64_t)(uintptr_t)c->mem + rng_below(&c->r, c->big / 2);
		p.len = 1 + rng_below(&c->r, 16 * S.psz);
		p.flags = (uint32_t)rng_below(&c->r, 4);
		p.api = (uint32_t)rng_below(&c->r, 4);
		p.batch = 0;
		ioctl(c->fd, GUPDEMO_IOC_PIN, &p);
	}
}

static void do_dma_soft(struct child_ctx *c)
{
	struct gupdemo_dma d = { .size = sizeof(d) };

	d.op = GUPDEMO_DMA_LOOPBACK;
	d.engine = GUPDEMO_ENGINE_SOFT;
	d.src_addr = (uint64_t)(uintptr_t)c->mem;
	d.dst_addr = (uint64_t)(uintptr_t)c->dst;
	d.len = 1 + rng_below(&c->r, c->dlen);
	ioctl(c->fd, GUPDEMO_IOC_DMA, &d);
}

static void do_mirror(struct child_ctx *c)
{
	struct gupdemo_mirror m = { .size = sizeof(m) };
	struct gupdemo_unmirror u = { .size = sizeof(u) };

	/* Drop the oldest first: the file holds at most NMIRRORS. */
	u.handle = c->mirrors[c->nm % NMIRRORS];
	if (u.handle)
		ioctl(c->fd, GUPDEMO_IOC_UNMIRROR, &u);
	/* Any part of mem: what PIN has not touched faults in. */
	m.addr = (uint64_t)(uintptr_t)c->mem + rng_below(&c->r, c->big / 2);
	m.len = 1 + rng_below(&c->r, c->big / 2);
	m.flags = rng_pct(&c->r, 50) ? GUPDEMO_MIRROR_WRITE : 0;
	if (ioctl(c->fd, GUPDEMO_IOC_MIRROR, &m))
		m.handle = 0;
	c->mirrors[c->nm % NMIRRORS] = m.handle;
	c->nm++;
}

/* The device reads a mirror of mem and writes one of dst. */
static void do_dma_mirror(struct child_ctx *c)
{
	struct gupdemo_mirror m = { .size = sizeof(m) };
	struct gupdemo_dma d = { .size = sizeof(d) };
	uint32_t last = c->nm ? c->mirrors[(c->nm - 1) % NMIRRORS] : 0;

	if (!c->dst_mirror) {
		m.addr = (uint64_t)(uintptr_t)c->dst;
		m.len = c->dlen;
		m.flags = GUPDEMO_MIRROR_WRITE;
		if (ioctl(c->fd, GUPDEMO_IOC_MIRROR, &m))
			return;
		c->dst_mirror = m.handle;
	}
	d.engine = GUPDEMO_ENGINE_SOFT;
	d.len = 1 + rng_below(&c->r, c->dlen);
	d.op = GUPDEMO_DMA_FROM_DEVICE;
	d.flags = GUPDEMO_DMA_DST_MIRROR;
	d.dst_handle = c->dst_mirror;
	if (rng_pct(&c->r, 50) && last) {
		d.op = GUPDEMO_DMA_TO_DEVICE;
		d.flags = GUPDEMO_DMA_SRC_MIRROR;
		d.dst_handle = 0;
		d.src_handle = last;
	}
	/* Zap part of it: the next DMA faults it in again. */
	if (rng_pct(&c->r, 30))
		madvise(c->dst, c->dlen / 2, MADV_DONTNEED);
	ioctl(c->fd, GUPDEMO_IOC_DMA, &d);
}

/* Several 100 ms commands: the kill lands in the wait. */
static void do_dma_edu(struct child_ctx *c)
{
	struct gupdemo_dma d = { .size = sizeof(d) };

	d.op = GUPDEMO_DMA_LOOPBACK;
	d.engine = GUPDEMO_ENGINE_EDU;
	d.src_addr = (uint64_t)(uintptr_t)c->mem;
	d.dst_addr = (uint64_t)(uintptr_t)c->dst;
	d.len = 1 + rng_below(&c->r, 3 * S.psz);
	ioctl(c->fd, GUPDEMO_IOC_DMA, &d);
}

/* What a child does in each state (the shared page says which one it is in). */
static void (*const child_ops[S_COUNT])(struct child_ctx *c) = {
	[S_PIN_BIG] = do_pin_big,
	[S_PIN_MANY] = do_pin_many,
	[S_DMA_SOFT] = do_dma_soft,
	[S_MIRROR] = do_mirror,
	[S_DMA_MIRROR] = do_dma_mirror,
	[S_DMA_EDU] = do_dma_edu,
};

/* The child: loops until killed.  Nothing here prints. */
static __attribute__((noreturn)) void child(unsigned int slot, uint64_t seed,
					    bool edu)
{
	struct child_ctx c = { .r = { seed }, .big = S.big, .dlen = S.big / 4 };
	volatile int *st = &S.state[slot];

	if (gupdemo_open(NULL, &c.fd))
		_exit(10);
	/* Not populated: the PIN faults every page in, a long kill window. */
	c.mem = mmap(NULL, c.big, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.dst = mmap(NULL, c.dlen, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.mem == MAP_FAILED || c.dst == MAP_FAILED)
		_exit(11);

	for (;;) {
		unsigned int what = edu ? S_DMA_EDU :
				    S_PIN_BIG + (unsigned int)rng_below(&c.r, S_SOFT_KINDS);

		*st = (int)what;
		child_ops[what](&c);
		*st = S_IDLE;
	}
}

struct kid {
	pid_t pid;
	double kill_at;
	bool edu;
};

/* Where the kills landed, and how the children ended. */
struct tally {
	unsigned int at[S_COUNT];
	unsigned int started, reaped, killed, exited, edu_started;
};

static void usage(void)
{
	fprintf(stderr, "usage: t_storm [--seed N] [--kills N] [--parallel N] "
		"[--big-mib N] [--edu N]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "kills", required_argument, NULL, 'k' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "big-mib", required_argument, NULL, 'b' },
		{ "edu", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_seed = false;
	int o;

	while ((o = getopt_long(argc, argv, "s:k:p:b:e:", opts, NULL)) != -1) {
		switch (o) {
		case 's': S.seed = stress_parse_u64("--seed", optarg); have_seed = true; break;
		case 'k': S.kills = (unsigned int)stress_parse_u64("--kills", optarg); break;
		case 'p': S.parallel = (unsigned int)stress_parse_u64("--parallel", optarg); break;
		case 'b': S.big = stress_parse_u64("--big-mib", optarg); break;
		case 'e': S.edu = (unsigned int)stress_parse_u64("--edu", optarg); break;
		default: usage();
		}
	}
	if (optind != argc || !S.parallel || S.parallel > MAX_PAR || !S.big ||
	    S.edu > S.kills)
		usage();
	if (!have_seed)
		S.seed = stress_seed_from_clock();
}

/* Starts the child of slot @i, to be killed after a random delay. */
static void spawn(struct kid *k, unsigned int i, double now, struct rng *r,
		  struct tally *t)
{
	/* Spread the edu children over the run. */
	k->edu = t->edu_started < S.edu &&
		 t->started * S.edu >= t->edu_started * S.kills;
	S.state[i] = S_IDLE;
	k->pid = fork();
	if (k->pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (k->pid == 0)
		child(i, rng_next(r), k->edu);
	t->started++;
	t->edu_started += k->edu;
	/* edu: 100 ms a command; soft: tens of ms a call. */
	k->kill_at = now + (k->edu ? 0.05 + rng_below(r, 1500) / 1000.0 :
			    rng_below(r, 400) / 1000.0);
}

/* SIGKILLs the child of slot @i, noting which call it was in. */
static void reap(struct kid *k, unsigned int i, struct tally *t)
{
	int status;

	t->at[S.state[i] >= 0 && S.state[i] < S_COUNT ? S.state[i] : 0]++;
	kill(k->pid, SIGKILL);
	if (waitpid(k->pid, &status, 0) != k->pid)
		bail_out("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		t->killed++;
	else
		t->exited++;
	if (t->exited == 1 && !WIFSIGNALED(status))
		diag("a child exited with status %d before the kill",
		     WEXITSTATUS(status));
	k->pid = 0;
	t->reaped++;
}

static void storm(struct rng *r, struct tally *t)
{
	struct kid kids[MAX_PAR] = { 0 };

	while (t->reaped < S.kills) {
		double now = stress_now();

		for (unsigned int i = 0; i < S.parallel; i++) {
			struct kid *k = &kids[i];

			if (!k->pid && t->started < S.kills) {
				spawn(k, i, now, r, t);
				continue;
			}
			if (k->pid && now >= k->kill_at)
				reap(k, i, t);
		}
		usleep(2000);
	}
}

static void check_tally(const struct tally *t, bool mirror_ok)
{
	const unsigned int *at = t->at;

	diag("gupdemo-storm: kills %u edu %u", t->killed, t->edu_started);
	ok(t->killed >= S.kills, "%u of %u children were killed by SIGKILL",
	   t->killed, S.kills);
	ok(at[S_PIN_BIG] + at[S_PIN_MANY] > 0 &&
	   at[S_DMA_SOFT] + at[S_DMA_MIRROR] + at[S_DMA_EDU] > 0,
	   "kills landed inside PIN (%u) and inside DMA (%u)",
	   at[S_PIN_BIG] + at[S_PIN_MANY],
	   at[S_DMA_SOFT] + at[S_DMA_MIRROR] + at[S_DMA_EDU]);
	if (S.edu)
		ok(at[S_DMA_EDU] > 0, "kills landed inside edu DMA (%u)", at[S_DMA_EDU]);
	if (mirror_ok)
		ok(at[S_MIRROR] + at[S_DMA_MIRROR] > 0,
		   "kills landed inside MIRROR (%u) or DMA on a mirror (%u)",
		   at[S_MIRROR], at[S_DMA_MIRROR]);
	else
		skip(1, "no GUPDEMO_FEAT_MIRROR: the mirror calls fail at once");
}

int main(int argc, char **argv)
{
	struct gupdemo_vmstat before;
	struct gupdemo_info info;
	struct tally t = { 0 };
	bool edu_ok, mirror_ok;
	struct rng r;
	double t0;
	int fd;

	parse_args(argc, argv);
	S.psz = (size_t)sysconf(_SC_PAGESIZE);
	S.big <<= 20;
	diag("t_storm: seed %llu (rerun: t_storm --seed %llu --kills %u --parallel %u "
	     "--big-mib %zu --edu %u)", (unsigned long long)S.seed,
	     (unsigned long long)S.seed, S.kills, S.parallel, S.big >> 20, S.edu);
	r.s = S.seed;

	fd = g_open();
	if (gupdemo_get_info(fd, &info))
		bail_out("GET_INFO failed");
	close(fd);
	edu_ok = info.features & GUPDEMO_FEAT_ENGINE_EDU;
	mirror_ok = info.features & GUPDEMO_FEAT_MIRROR;
	if (S.edu && !edu_ok) {
		diag("no edu device bound: the %u edu children use the soft engine", S.edu);
		S.edu = 0;
	}
	S.state = mmap(NULL, S.psz, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S.state == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));

	before = g_vmstat();
	t0 = stress_now();
	storm(&r, &t);
	diag("%u children SIGKILLed in %.1f s (%u ended by themselves); the kill "
	     "landed: %s %u, %s %u, %s %u, %s %u, %s %u, %s %u, %s %u", t.killed,
	     stress_now() - t0, t.exited, state_names[S_PIN_BIG], t.at[S_PIN_BIG],
	     state_names[S_PIN_MANY], t.at[S_PIN_MANY], state_names[S_DMA_SOFT],
	     t.at[S_DMA_SOFT], state_names[S_MIRROR], t.at[S_MIRROR],
	     state_names[S_DMA_MIRROR], t.at[S_DMA_MIRROR], state_names[S_DMA_EDU],
	     t.at[S_DMA_EDU], state_names[S_IDLE], t.at[S_IDLE]);
	check_tally(&t, mirror_ok);
	munmap((void *)S.state, S.psz);
	stress_final_checks(&before, "after the kill storm");
	return done_testing();
}
