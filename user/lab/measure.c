// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gupdemo lab kit - measuring one step: the exact pin-counter deltas around
 * it (gupdemo_scenario_run()).
 */
#include <errno.h>
#include <string.h>

#include "gupdemo-lab.h"

int gupdemo_scenario_run(gupdemo_step_fn step, void *arg, int64_t exp_acquired,
			 int64_t exp_released, struct gupdemo_scenario_result *res)
{
	int ret;

	if (!step || !res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	ret = gupdemo_vmstat_read(&res->before);
	if (ret)
		return ret;
	res->step_ret = step(arg);
	ret = gupdemo_vmstat_read(&res->after);
	if (ret)
		return ret;

	/* The counters only grow; the casts keep a wrap visible as negative. */
	res->d_acquired = (int64_t)(res->after.acquired - res->before.acquired);
	res->d_released = (int64_t)(res->after.released - res->before.released);
	res->match = res->before.refreshed && res->after.refreshed &&
		     (exp_acquired == GUPDEMO_DELTA_ANY ||
		      res->d_acquired == exp_acquired) &&
		     (exp_released == GUPDEMO_DELTA_ANY ||
		      res->d_released == exp_released);
	return 0;
}
