/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvm_exit_timing selftests: load and unload the
 * module under test, the preambles of the tests that need it loaded or
 * unloaded, and its control file.
 */
#ifndef KET_MODULE_H
#define KET_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KET_MODULE_NAME		"kvm_exit_timing"
#define KET_DEBUGFS_ROOT	"/sys/kernel/debug/kvm_exit_timing"
#define KET_CONTROL		KET_DEBUGFS_ROOT "/control"
#define KET_SUMMARY		KET_DEBUGFS_ROOT "/summary"
/* Where the test-bed guest keeps the module; KET_MODULE overrides it. */
#define KET_MODULE_DEFAULT	"/ket/kvm_exit_timing.ko"

/* Path of the module file to load: $KET_MODULE or KET_MODULE_DEFAULT. */
const char *ket_module_path(void);

/* Whether the module is loaded now (it appears in /sys/module). */
bool ket_module_loaded(void);

/* finit_module()/delete_module(): 0 or -errno, never exits. */
int ket_module_load(void);
/* finit_module() with module parameters, e.g. "clock=cycles". */
int ket_module_load_params(const char *params);
int ket_module_unload(void);

/* Whether @path exists and is a directory. */
bool ket_is_dir(const char *path);

/* Preamble: loads the module unless it is loaded; fails the test if it
 * cannot. */
void ket_require_module(void);

/* Preamble of the tests that load it themselves: skips the test without
 * root or debugfs, fails it if the module is loaded. */
void ket_require_unloaded(void);

/* The number after "@key: " in the control file; fails the test if the
 * file or the line is missing. */
uint64_t ket_control(const char *key);

/* The text after "@key: " in the control file, to the end of its line,
 * into @out; fails the test like ket_control(). */
void ket_control_text(const char *key, char *out, size_t size);

/* Writes @cmd (reset, enable, disable, clock ...) to the control file: 0
 * or -errno. */
int ket_control_write(const char *cmd);

#endif /* KET_MODULE_H */
