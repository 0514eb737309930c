// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "test_util.h"
#include "ket_module.h"
#include "ket_table.h"

const char *ket_module_path(void)
{
	const char *path = getenv("KET_MODULE");

	return path && *path ? path : KET_MODULE_DEFAULT;
}

bool ket_module_loaded(void)
{
	return ket_is_dir("/sys/module/" KET_MODULE_NAME);
}

int ket_module_load(void)
{
	return ket_module_load_params("");
}

int ket_module_load_params(const char *params)
{
	int fd, ret, err;

	fd = open(ket_module_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

int ket_module_unload(void)
{
	return syscall(__NR_delete_module, KET_MODULE_NAME, O_NONBLOCK) ? -errno : 0;
}

bool ket_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void ket_require_module(void)
{
	int ret;

	if (ket_module_loaded())
		return;
	ret = ket_module_load();
	TEST_ASSERT(!ret, "cannot load %s: %s", ket_module_path(), strerror(-ret));
}

void ket_require_unloaded(void)
{
	if (geteuid() != 0)
		ksft_exit_skip("needs root to load modules\n");
	if (!ket_is_dir("/sys/kernel/debug"))
		ksft_exit_skip("debugfs is not mounted at /sys/kernel/debug\n");
	if (ket_module_loaded())
		ksft_exit_fail_msg("%s is already loaded; unload it first\n", KET_MODULE_NAME);
}

void ket_control_text(const char *key, char *out, size_t size)
{
	char *text = ket_slurp(KET_CONTROL, NULL), pattern[64], *p;

	TEST_ASSERT(text, "cannot read " KET_CONTROL);
	snprintf(pattern, sizeof(pattern), "\n%s: ", key);
	p = strstr(text, pattern);
	TEST_ASSERT(p, "control has no '%s' line", key);
	p += strlen(pattern);
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
	free(text);
}

uint64_t ket_control(const char *key)
{
	char text[64];
	uint64_t value;

	ket_control_text(key, text, sizeof(text));
	TEST_ASSERT(sscanf(text, "%lu", &value) == 1, "control's '%s' is not a number: '%s'",
		    key, text);
	return value;
}

int ket_control_write(const char *cmd)
{
	int fd = open(KET_CONTROL, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, cmd, strlen(cmd));
	ret = ret == (ssize_t)strlen(cmd) ? 0 : ret < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}
