// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ket_module.h"

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
	int fd, ret, err;

	fd = open(ket_module_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0);
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
