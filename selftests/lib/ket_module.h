/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvm_exit_timing selftests: load and unload the
 * module under test and find its debugfs files.
 */
#ifndef KET_MODULE_H
#define KET_MODULE_H

#include <stdbool.h>

#define KET_MODULE_NAME		"kvm_exit_timing"
#define KET_DEBUGFS_ROOT	"/sys/kernel/debug/kvm_exit_timing"
/* Where the test-bed guest keeps the module; KET_MODULE overrides it. */
#define KET_MODULE_DEFAULT	"/ket/kvm_exit_timing.ko"

/* Path of the module file to load: $KET_MODULE or KET_MODULE_DEFAULT. */
const char *ket_module_path(void);

/* Whether the module is loaded now (it appears in /sys/module). */
bool ket_module_loaded(void);

/* finit_module()/delete_module(): 0 or -errno, never exits. */
int ket_module_load(void);
int ket_module_unload(void);

/* Whether @path exists and is a directory. */
bool ket_is_dir(const char *path);

#endif /* KET_MODULE_H */
