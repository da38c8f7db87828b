// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - loading and unloading the module through libkmod.
 *
 * Each call makes its own short-lived kmod context: no global state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libkmod.h>

#include "gupdemo.h"

/* libkmod logs to stderr by default; the library reports errnos instead. */
static void quiet_log(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

static int ctx_new(struct kmod_ctx **ctxp)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, quiet_log, NULL);
	*ctxp = ctx;
	return 0;
}

/* The module object for @path, or looked up by name when @path is NULL. */
static int module_get(struct kmod_ctx *ctx, const char *path,
		      struct kmod_module **modp)
{
	struct kmod_list *list = NULL, *l;
	int ret;

	if (path)
		return kmod_module_new_from_path(ctx, path, modp);

	ret = kmod_module_new_from_lookup(ctx, GUPDEMO_MODULE_NAME, &list);
	if (ret < 0)
		return ret;
	ret = -ENOENT;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		if (kmod_module_get_path(mod)) {
			*modp = mod;
			ret = 0;
			break;
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return ret;
}

static int module_is_loaded(struct kmod_ctx *ctx, bool *loaded)
{
	struct kmod_module *mod;
	int ret, state;

	ret = kmod_module_new_from_name(ctx, GUPDEMO_MODULE_NAME, &mod);
	if (ret < 0)
		return ret;
	state = kmod_module_get_initstate(mod);
	kmod_module_unref(mod);
	if (state == -ENOENT) {
		*loaded = false;
		return 0;
	}
	if (state < 0)
		return state;
	*loaded = true;
	return 0;
}

int gupdemo_module_load(const char *path, const char *options, bool *already)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	bool loaded = false;
	int ret;

	ret = ctx_new(&ctx);
	if (ret)
		return ret;
	ret = module_get(ctx, path, &mod);
	if (ret < 0)
		goto out_ctx;

	ret = kmod_module_insert_module(mod, 0, options);
	if (ret == -EEXIST) {
		loaded = true;
		ret = 0;
	} else if (ret == -EBUSY) {
		/* Another loader got there first and the module is coming up. */
		bool now = false;

		if (module_is_loaded(ctx, &now) == 0 && now) {
			loaded = true;
			ret = 0;
		}
	}
	kmod_module_unref(mod);
	if (ret == 0 && already)
		*already = loaded;
out_ctx:
	kmod_unref(ctx);
	return ret;
}

int gupdemo_module_unload(void)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	bool loaded;
	int ret;

	ret = ctx_new(&ctx);
	if (ret)
		return ret;
	ret = module_is_loaded(ctx, &loaded);
	if (ret)
		goto out_ctx;
	if (!loaded) {
		ret = -ENOENT;
		goto out_ctx;
	}
	ret = kmod_module_new_from_name(ctx, GUPDEMO_MODULE_NAME, &mod);
	if (ret < 0)
		goto out_ctx;
	/* libkmod always adds O_NONBLOCK: in use gives -EAGAIN, never a wait. */
	ret = kmod_module_remove_module(mod, KMOD_REMOVE_NOLOG);
	if (ret == -EWOULDBLOCK)
		ret = -EAGAIN;
	kmod_module_unref(mod);
out_ctx:
	kmod_unref(ctx);
	return ret;
}

int gupdemo_module_loaded(bool *loaded)
{
	struct kmod_ctx *ctx;
	int ret;

	if (!loaded)
		return -EINVAL;
	ret = ctx_new(&ctx);
	if (ret)
		return ret;
	ret = module_is_loaded(ctx, loaded);
	kmod_unref(ctx);
	return ret;
}

int gupdemo_module_refcnt(int *refcnt)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	int ret;

	if (!refcnt)
		return -EINVAL;
	ret = ctx_new(&ctx);
	if (ret)
		return ret;
	ret = kmod_module_new_from_name(ctx, GUPDEMO_MODULE_NAME, &mod);
	if (ret == 0) {
		ret = kmod_module_get_refcnt(mod);
		if (ret >= 0) {
			*refcnt = ret;
			ret = 0;
		}
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	return ret;
}

int gupdemo_module_vermagic(const char *path, char *buf, size_t size)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	struct kmod_list *info = NULL, *l;
	int ret;

	if (!buf || size == 0)
		return -EINVAL;
	ret = ctx_new(&ctx);
	if (ret)
		return ret;
	ret = module_get(ctx, path, &mod);
	if (ret < 0)
		goto out_ctx;
	ret = kmod_module_get_info(mod, &info);
	if (ret < 0)
		goto out_mod;
	ret = -ENOENT;
	kmod_list_foreach(l, info) {
		const char *key = kmod_module_info_get_key(l);
		const char *val = kmod_module_info_get_value(l);

		if (key && val && strcmp(key, "vermagic") == 0) {
			if (strlen(val) >= size) {
				ret = -ENAMETOOLONG;
			} else {
				strcpy(buf, val);
				ret = 0;
			}
			break;
		}
	}
	kmod_module_info_free_list(info);
out_mod:
	kmod_module_unref(mod);
out_ctx:
	kmod_unref(ctx);
	return ret;
}

/* The name length of a "parm"/"parmtype" entry ("name:text"), or 0. */
static size_t param_entry(struct kmod_list *l, bool *type, const char **val)
{
	const char *key = kmod_module_info_get_key(l);
	const char *colon;

	*val = kmod_module_info_get_value(l);
	if (!key || !*val)
		return 0;
	*type = strcmp(key, "parmtype") == 0;
	if (!*type && strcmp(key, "parm") != 0)
		return 0;
	colon = strchr(*val, ':');
	return colon ? (size_t)(colon - *val) : 0;
}

/* Index in @params[0..n) of the parameter called @name (@len bytes), or n. */
static size_t param_find(const struct gupdemo_module_param *params, size_t n,
			 const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(params[i].name) == len &&
		    strncmp(params[i].name, name, len) == 0)
			break;
	return i;
}

/* Whether an entry before @stop in @list names the same parameter. */
static bool param_seen(struct kmod_list *list, struct kmod_list *stop,
		       const char *name, size_t len)
{
	struct kmod_list *l;

	kmod_list_foreach(l, list) {
		const char *val;
		bool type;

		if (l == stop)
			break;
		if (param_entry(l, &type, &val) == len &&
		    strncmp(val, name, len) == 0)
			return true;
	}
	return false;
}

int gupdemo_module_params(const char *path, struct gupdemo_module_param *params,
			  size_t max, size_t *n)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	struct kmod_list *info = NULL, *l;
	size_t count = 0, kept = 0;
	int ret;

	if (!n || (!params && max))
		return -EINVAL;
	ret = ctx_new(&ctx);
	if (ret)
		return ret;
	ret = module_get(ctx, path, &mod);
	if (ret < 0)
		goto out_ctx;
	ret = kmod_module_get_info(mod, &info);
	if (ret < 0)
		goto out_mod;
	ret = 0;
	kmod_list_foreach(l, info) {
		struct gupdemo_module_param *p;
		const char *val;
		bool type;
		size_t len = param_entry(l, &type, &val), i;

		if (!len)
			continue;
		i = param_find(params, kept, val, len);
		if (i == kept) {
			/* New unless one past @max already counted it. */
			if (kept < max) {
				p = &params[kept++];
				memset(p, 0, sizeof(*p));
				snprintf(p->name, sizeof(p->name), "%.*s",
					 (int)len, val);
				count++;
			} else {
				if (!param_seen(info, l, val, len))
					count++;
				continue;
			}
		} else {
			p = &params[i];
		}
		if (type)
			snprintf(p->type, sizeof(p->type), "%s", val + len + 1);
		else
			snprintf(p->desc, sizeof(p->desc), "%s", val + len + 1);
	}
	kmod_module_info_free_list(info);
	*n = count;
out_mod:
	kmod_module_unref(mod);
out_ctx:
	kmod_unref(ctx);
	return ret;
}
