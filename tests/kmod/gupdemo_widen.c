// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo_widen - a test module for the debug kernel: widens a race window.
 *
 * Kprobes on __wake_up() and wake_up_var() busy-wait delay_ms whenever one
 * is called in process context with its return address in gupdemo's code.
 * That is the moment between a DMA call's last atomic_dec_and_test() of an
 * engine's users and the wake-up in gupdemo_engine_put(): if the wait queue
 * lived in the engine, a remove() on the other CPU that sees the count at 0
 * would free it before the wake-up touches it (KASAN: slab-use-after-free
 * in __wake_up).  Under TCG the window is otherwise a few instructions wide.
 * Built only for kernels with CONFIG_KPROBES (the debug kernel).
 */
#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>

static unsigned int delay_ms = 300;
module_param(delay_ms, uint, 0644);
MODULE_PARM_DESC(delay_ms, "Busy-wait this long in each hit (default 300)");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "How many __wake_up() calls from gupdemo were delayed");

static int gupdemo_widen_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long ret = *(unsigned long *)kernel_stack_pointer(regs);
	char sym[KSYM_SYMBOL_LEN];

	if (!in_task())
		return 0;
	sprint_symbol_no_offset(sym, ret);
	if (strncmp(sym, "gupdemo_", 8))
		return 0;
	WRITE_ONCE(hits, hits + 1);
	mdelay(delay_ms);
	return 0;
}

static struct kprobe gupdemo_widen_wake_up = {
	.symbol_name = "__wake_up",
	.pre_handler = gupdemo_widen_pre,
};

static struct kprobe gupdemo_widen_wake_up_var = {
	.symbol_name = "wake_up_var",
	.pre_handler = gupdemo_widen_pre,
};

static struct kprobe *gupdemo_widen_kps[] = {
	&gupdemo_widen_wake_up, &gupdemo_widen_wake_up_var,
};

static int __init gupdemo_widen_init(void)
{
	return register_kprobes(gupdemo_widen_kps,
				ARRAY_SIZE(gupdemo_widen_kps));
}

static void __exit gupdemo_widen_exit(void)
{
	unregister_kprobes(gupdemo_widen_kps, ARRAY_SIZE(gupdemo_widen_kps));
}

module_init(gupdemo_widen_init);
module_exit(gupdemo_widen_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gupdemo test helper: delays __wake_up() calls made from gupdemo");
