// SPDX-License-Identifier: GPL-2.0
/*
 * fault_test: allocation failures (failslab and fail_page_alloc) injected
 * into the module's load, into what it allocates for VMs and vCPUs, and
 * into reads of its files. The module loads cleanly or fails with an
 * error, leaving nothing behind and the kernel quiet, also when its
 * probes cannot be registered; while its allocations fail it keeps
 * going: a vCPU that gets no state is counted in dropped_no_state instead
 * of vanishing or crashing, reads fail with ENOMEM or succeed; once the
 * failures stop, every vCPU is timed again and a fresh VM's table matches
 * KVM's binary stats exactly.
 *
 * Usage: fault_test [-n loads]   load attempts, each failing one
 *                                allocation further into the load
 *                                (default 24; make stress runs 400)
 *
 * Needs a kernel with CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and
 * CONFIG_FAULT_INJECTION_STACKTRACE_FILTER (skips otherwise), root, and
 * the module unloaded at the start. With kmemleak, also scans for leaks.
 */
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_module.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc"
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
#define NR_VCPUS	8

static const char *const injectors[] = { FAILSLAB, FAIL_PAGE };

static void guest_code(void)
{
	for (;;) {
		ket_guest_hvcs(10);
		GUEST_SYNC(0);
	}
}

static void put(const char *dir, const char *attr, const char *value)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	fd = open(path, O_WRONLY);
	TEST_ASSERT(fd >= 0, "open %s", path);
	TEST_ASSERT(write(fd, value, strlen(value)) == (ssize_t)strlen(value),
		    "write '%s' to %s", value, path);
	close(fd);
}

static void put_u64(const char *dir, const char *attr, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%lu", v);
	put(dir, attr, s);
}

/* Arms both injectors: every allocation that passes the filters fails
 * (after @space bytes, @times times; -1: always). */
static void arm(bool task_filter, uint64_t start, uint64_t end, long space, int times)
{
	char s[32];
	int i;

	for (i = 0; i < ARRAY_SIZE(injectors); i++) {
		const char *d = injectors[i];

		put(d, "probability", "0");
		put(d, "ignore-gfp-wait", "N");
		put(d, "task-filter", task_filter ? "Y" : "N");
		put_u64(d, "require-start", start);
		put_u64(d, "require-end", end);
		put(d, "stacktrace-depth", "32");
		put(d, "verbose", "0");
		put(d, "interval", "1");
		put_u64(d, "space", space);
		snprintf(s, sizeof(s), "%d", times);
		put(d, "times", s);
		put(d, "probability", "100");
	}
	/* vmalloc's pages (the module's image, its per-vCPU states) are
	 * highmem allocations, which fail_page_alloc ignores by default. */
	put(FAIL_PAGE, "ignore-gfp-highmem", "N");
	put(FAIL_PAGE, "min-order", "0");
}

static void disarm(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(injectors); i++) {
		put(injectors[i], "probability", "0");
		put(injectors[i], "times", "1");
		put(injectors[i], "require-start", "0");
		put(injectors[i], "require-end", "18446744073709551615");
		put(injectors[i], "task-filter", "N");
	}
}

/* In a child that fails its own allocations after @space bytes: load the
 * module. Returns 0 or the load's errno. */
static int load_failing_after(long space)
{
	pid_t pid = fork();
	int status;

	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		int fd = open("/proc/self/make-it-fail", O_WRONLY);

		if (fd < 0 || write(fd, "1", 1) != 1)
			_exit(255);
		close(fd);
		_exit(-ket_module_load() & 0xff);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child");
	TEST_ASSERT(WEXITSTATUS(status) != 255, "cannot set make-it-fail");
	return WEXITSTATUS(status);
}

/* Kernel warnings so far. */
static int kernel_warnings(void)
{
	FILE *f = popen("dmesg | grep -c 'WARNING:'", "r");
	int n = -1;

	TEST_ASSERT(f && fscanf(f, "%d", &n) == 1, "dmesg");
	pclose(f);
	return n;
}

/* [*start, *end) of the kernel function @name, from /proc/kallsyms. */
static bool kernel_function(const char *name, uint64_t *start, uint64_t *end)
{
	char line[256], sym[128], type;
	FILE *f = fopen("/proc/kallsyms", "r");
	uint64_t addr;

	TEST_ASSERT(f, "/proc/kallsyms");
	*start = *end = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %c %127s", &addr, &type, sym) == 3 && addr &&
		    !strchr(line, '[')) {
			if (!strcmp(sym, name))
				*start = addr;
			else if (*start && addr > *start && (!*end || addr < *end))
				*end = addr;
		}
	fclose(f);
	return *start && *end;
}

/*
 * The module's probes cannot be attached: the first allocation made under
 * tracepoint_probe_register() during the load fails. The load must fail
 * cleanly and the kernel stay quiet: a failed start once unregistered,
 * on its way out, probes it had never registered, and the kernel warned
 * (found by make stress).
 */
static void test_probe_registration(void)
{
	int err, warnings = kernel_warnings();
	uint64_t start, end;

	if (!kernel_function("tracepoint_probe_register", &start, &end)) {
		ksft_test_result_skip("tracepoint_probe_register not in /proc/kallsyms\n");
		return;
	}
	arm(true, start, end, 0, 1);
	put(FAIL_PAGE, "probability", "0");
	err = load_failing_after(0);
	disarm();
	if (!err)
		ket_module_unload();
	warnings = kernel_warnings() - warnings;
	ksft_test_result(err == ENOMEM && !ket_module_loaded() && !ket_is_dir(KET_DEBUGFS_ROOT) &&
			 !warnings,
			 "a probe that cannot be registered: the load fails (%s), nothing is left, %d kernel warnings\n",
			 err ? strerror(err) : "it loaded", warnings);
}

static void test_load(int points)
{
	int i, err, loaded = 0, failed = 0, bad = 0, errs[256] = { 0 };
	long space;

	for (i = 0; i < points; i++) {
		/* Budgets from 0 to 2 MiB, denser at the start: each attempt
		 * fails the first allocation past its budget, further into
		 * the load (the loader's, then the module's own). */
		space = 2097152L * i / points * i / points;
		arm(true, 0, UINT64_MAX, space, 1);
		err = load_failing_after(space);

		disarm();
		if (!err) {
			loaded++;
			if (ket_module_unload()) {
				ksft_print_msg("  unload after a load at space %ld failed\n", space);
				bad++;
			}
		} else {
			failed++;
			errs[err]++;
			/* A failed load leaves nothing: no module, no directory. */
			if (ket_module_loaded() || ket_is_dir(KET_DEBUGFS_ROOT)) {
				ksft_print_msg("  load failed (%s) at space %ld but left state behind\n",
					       strerror(err), space);
				bad++;
				ket_module_unload();
			}
		}
	}
	for (i = 1; i < 256; i++)
		if (errs[i])
			ksft_print_msg("  %d loads failed with %s\n", errs[i], strerror(i));
	ksft_test_result(!bad && failed > 0,
			 "module load under %d injected allocation failures: %d failed cleanly, %d loaded and unloaded\n",
			 points, failed, loaded);
}

/* [start, end) of the module's memory, from /proc/modules. */
static void module_range(uint64_t *start, uint64_t *end)
{
	char line[512], name[64], state[32];
	unsigned long size, base;
	FILE *f = fopen("/proc/modules", "r");

	TEST_ASSERT(f, "/proc/modules");
	*start = *end = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %*d %*s %31s %lx", name, &size, state, &base) == 4 &&
		    !strcmp(name, KET_MODULE_NAME)) {
			*start = base;
			*end = base + size;
		}
	fclose(f);
	TEST_ASSERT(*start, "no address for %s in /proc/modules", KET_MODULE_NAME);
}

/* Reads @path whole; 0, or the errno of the failed read. */
static int read_errno(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY), err = 0;

	if (fd < 0)
		return errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = errno;
	close(fd);
	return err;
}

static void test_runtime(void)
{
	struct kvm_vcpu *vcpus[NR_VCPUS], *fresh;
	uint64_t start, end, dropped, allocs, pool;
	char dir[256], path[300];
	struct ket_table t;
	struct kvm_vm *vm;
	int i, enomem = 0, other = 0, err, timed = 0;

	TEST_ASSERT(!ket_module_load(), "load");
	module_range(&start, &end);
	/* Let the pool fill, then fail every allocation made on behalf of
	 * the module: its work item's, its files' and its probes'. */
	usleep(200000);
	pool = ket_control("pool");
	dropped = ket_control("dropped_no_state");
	allocs = ket_control("alloc_failures");
	arm(false, start, end, 0, -1);
	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	for (i = 0; i < NR_VCPUS; i++)
		ket_run_to_sync(vcpus[i], 0);
	usleep(100000);
	for (i = 0; i < NR_VCPUS; i++)
		ket_run_to_sync(vcpus[i], 0);
	for (i = 0; i < 20; i++) {
		err = read_errno(i & 1 ? KET_SUMMARY : KET_CONTROL);
		enomem += err == ENOMEM;
		other += err && err != ENOMEM;
	}
	disarm();
	ksft_print_msg("  pool %lu before; dropped_no_state +%lu, alloc_failures +%lu; reads: %d ENOMEM, %d other errors\n",
		       pool, ket_control("dropped_no_state") - dropped, ket_control("alloc_failures") - allocs,
		       enomem, other);
	ksft_test_result(ket_control("dropped_no_state") > dropped && ket_control("alloc_failures") > allocs &&
			 !other,
			 "allocations failing: vCPUs beyond the pool counted in dropped_no_state, failures counted, reads fail with ENOMEM at worst\n");

	/* Failures over: every vCPU attaches at its next event. */
	for (i = 0; i < NR_VCPUS; i++)
		ket_run_to_sync(vcpus[i], 0);
	ket_vm_dir(vm, dir, sizeof(dir));
	for (i = 0; i < NR_VCPUS; i++) {
		ket_run_to_sync(vcpus[i], 0);
		snprintf(path, sizeof(path), "%s/vcpu%d/stats", dir, i);
		if (ket_wait_for(path, 10) && !ket_read_table(path, &t) &&
		    t.rows[ket_type("HVC64")].count >= 10)
			timed++;
	}
	ksft_test_result(timed == NR_VCPUS, "after the failures all %d vCPUs are timed again (%d)\n",
			 NR_VCPUS, timed);
	kvm_vm_free(vm);

	vm = vm_create_with_one_vcpu(&fresh, guest_code);
	ket_run_to_sync(fresh, 0);
	ket_run_to_sync(fresh, 0);
	vcpu_run_complete_io(fresh);
	ket_vcpu_table(vm, 0, &t);
	ksft_test_result(ket_kvm_stats_match(fresh, &t),
			 "a fresh VM's table matches KVM's binary stats\n");
	kvm_vm_free(vm);
	ksft_test_result(!ket_module_unload(), "unload after the failures\n");
}

/* kmemleak: a scan right after the test reports nothing new. */
static void test_leaks(void)
{
	char *report;
	size_t len = 0;
	int fd;

	if (access(KMEMLEAK, W_OK)) {
		ksft_test_result_skip("no kmemleak in this kernel\n");
		return;
	}
	/* kmemleak reports objects unreferenced for 5 s, over two scans. */
	sleep(6);
	for (int i = 0; i < 2; i++) {
		fd = open(KMEMLEAK, O_WRONLY);
		TEST_ASSERT(fd >= 0 && write(fd, "scan", 4) == 4, "kmemleak scan");
		close(fd);
	}
	report = ket_slurp(KMEMLEAK, &len);
	if (report && len)
		ksft_print_msg("%s", report);
	ksft_test_result(report && !strstr(report, KET_MODULE_NAME),
			 "kmemleak finds nothing of the module's (%zu bytes of report)\n", len);
	free(report);
}

static const char usage[] =
	"usage: %1$s [-n loads] [-h]\n"
	"  -n: module loads, each failing one allocation further in, 1..99999 (default 24)\n"
	"  -h: this help\n";

int main(int argc, char *argv[])
{
	int loads;

	loads = ket_size_opt(argc, argv, 'n', 24, 1, 99999, usage);
	ksft_print_header();
	if (access(FAILSLAB "/require-start", W_OK) || access(FAIL_PAGE "/require-start", W_OK))
		ksft_exit_skip("needs failslab, fail_page_alloc and their stack filter\n");
	ket_require_unloaded();
	ksft_set_plan(7);
	test_load(loads);
	test_probe_registration();
	test_runtime();
	test_leaks();
	ksft_finished();
}
