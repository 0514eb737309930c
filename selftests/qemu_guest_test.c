// SPDX-License-Identifier: GPL-2.0
/*
 * qemu_guest_test: real guests. Debian's QEMU boots a Linux guest inside
 * the bed (/ket/vm/run-vm) running a real workload, and kvm_exit_timing
 * must time it exactly and survive what happens to it:
 *
 * - while QEMU is stopped (SIGSTOP: every vCPU thread has left KVM_RUN),
 *   the module's VM summary equals KVM's own per-VM counters in
 *   /sys/kernel/debug/kvm/<pid>-<fd>/ (exits, hvc, wfe + wfi, mmio
 *   kernel, mmio user), the exits that a vCPU stopped in QEMU's handling
 *   of (its "# forwarded:" line) included, and the workload made the rows
 *   it exists for grow (ipi: SGIs; io: in-kernel MMIO; timer: WFX);
 * - resumed, the guest finishes its workload and powers off, QEMU exits
 *   0 and the VM's directory goes, its exits kept in the global summary;
 * - the module unloads with a guest running and loads again: the running
 *   guest is timed again from its next exits, and the counts still
 *   match KVM's once the module's are taken from KVM's at the reload;
 * - a guest killed mid-run (SIGKILL of QEMU) leaves nothing but its
 *   retired VM in the summary;
 * - with -l N, N guests are started and killed at random moments (while
 *   booting, while running the workload) as another thread unloads and
 *   loads the module in a loop: at the end no VM, vCPU or entry is left.
 *
 * Usage: qemu_guest_test [-w WORKLOAD[,WORKLOAD...]] [-n VCPUS] [-g 2|3]
 * [-d SECONDS] [-l GUESTS] (default: mix, 2 vCPUs, the host's GIC version,
 * 8 s, no churn); a guest per workload, the last two phases with the first. Needs root, the module (loaded if it is not: $KET_MODULE),
 * /ket/vm (the bed's VM payload) and no other VM running.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "test_util.h"
#include "ket_module.h"
#include "ket_opt.h"
#include "ket_table.h"

#define RUN_VM		"/ket/vm/run-vm"
#define KVM_DEBUGFS	"/sys/kernel/debug/kvm"
#define BOOT_LIMIT_S	180

#define MAX_WORKLOADS	7
static const char *workload_list[MAX_WORKLOADS] = { "mix" };
static int nworkloads = 1;
static long vcpus = 2, gic, duration = 8, churn;

/* A QEMU started by run-vm: its pid, console file and VM directory. */
struct vm {
	pid_t pid;
	char console[64];
	char name[32];		/* "<pid>-<fd>", as KVM and the module name it */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The host's GIC version, from its device tree (QEMU's virt board). */
static long host_gic(void)
{
	size_t len;
	char *s = ket_slurp("/proc/device-tree/intc@8000000/compatible", &len);
	long v = s && memmem(s, len, "gic-v3", 6) ? 3 : 2;

	free(s);
	return v;
}

static const char *const workloads[] = { "idle", "cpu", "memory", "ipi", "timer", "io", "mix" };

static void start_vm(struct vm *vm, const char *scen, long secs)
{
	char g[4], n[4], d[16];

	snprintf(vm->console, sizeof(vm->console), "/tmp/vm-%d-%ld.log", getpid(), (long)now());
	unlink(vm->console);
	snprintf(g, sizeof(g), "%ld", gic);
	snprintf(n, sizeof(n), "%ld", vcpus);
	snprintf(d, sizeof(d), "%ld", secs);
	vm->name[0] = 0;
	vm->pid = fork();
	TEST_ASSERT(vm->pid >= 0, "fork");
	if (!vm->pid) {
		execl(RUN_VM, RUN_VM, "-g", g, "-n", n, "-w", scen, "-d", d, "-o", vm->console,
		      (char *)NULL);
		_exit(127);
	}
}

/* Whether the console holds @text yet. */
static bool console_has(const struct vm *vm, const char *text)
{
	size_t len;
	char *s = ket_slurp(vm->console, &len);
	bool has = s && strstr(s, text);

	free(s);
	return has;
}

/* Waits up to @secs for @text on the console, or for QEMU to die. */
static bool wait_console(struct vm *vm, const char *text, double secs)
{
	double end = now() + secs;

	while (now() < end) {
		if (console_has(vm, text))
			return true;
		if (waitpid(vm->pid, NULL, WNOHANG) == vm->pid) {
			vm->pid = 0;
			return false;
		}
		usleep(200 * 1000);
	}
	return false;
}

/* The name of the VM QEMU made ("<pid>-<fd>" in KVM's debugfs). */
static bool find_vm(struct vm *vm)
{
	char prefix[16];
	struct dirent *e;
	DIR *d = opendir(KVM_DEBUGFS);

	TEST_ASSERT(d, "cannot open " KVM_DEBUGFS);
	snprintf(prefix, sizeof(prefix), "%d-", vm->pid);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			snprintf(vm->name, sizeof(vm->name), "%.31s", e->d_name);
	closedir(d);
	return vm->name[0];
}

static uint64_t kvm_stat(const struct vm *vm, const char *stat)
{
	char path[128];
	size_t len;
	char *s;
	uint64_t v;

	snprintf(path, sizeof(path), KVM_DEBUGFS "/%s/%s", vm->name, stat);
	s = ket_slurp(path, &len);
	TEST_ASSERT(s, "cannot read %s", path);
	v = strtoull(s, NULL, 10);
	free(s);
	return v;
}

/* KVM's counters of the VM, in the order of compare(). */
#define STATS	5
static const char *const stat_names[STATS] = {
	"exits", "hvc_exit_stat", "wfx (wfe_exit_stat + wfi_exit_stat)", "mmio_exit_kernel",
	"mmio_exit_user",
};

static void kvm_stats(const struct vm *vm, uint64_t s[STATS])
{
	s[0] = kvm_stat(vm, "exits");
	s[1] = kvm_stat(vm, "hvc_exit_stat");
	s[2] = kvm_stat(vm, "wfe_exit_stat") + kvm_stat(vm, "wfi_exit_stat");
	s[3] = kvm_stat(vm, "mmio_exit_kernel");
	s[4] = kvm_stat(vm, "mmio_exit_user");
}

#define ROW(t, name)	((t)->rows[ket_type(name)].count)

#define FWD(t, name)	((t)->forwarded_rows[ket_type(name)])

/* The module's rows that KVM's counters count, in the same order, with
 * the exits forwarded to user space that the module counts only once
 * their vCPU enters the guest again (KVM counts them already). */
static void module_stats(const struct ket_table *t, uint64_t s[STATS])
{
	s[0] = ket_exits(t) + t->forwarded;
	s[1] = ROW(t, "HVC32") + ROW(t, "HVC64") + FWD(t, "HVC32") + FWD(t, "HVC64");
	s[2] = ROW(t, "WFX") + FWD(t, "WFX");
	s[3] = ROW(t, "DABT_IO_MEM") + ROW(t, "DABT_IO_MEM_IPI") + FWD(t, "DABT_IO_MEM") +
	       FWD(t, "DABT_IO_MEM_IPI");
	s[4] = ROW(t, "DABT_IO_USER") + FWD(t, "DABT_IO_USER");
}

static void read_vm_table(const struct vm *vm, struct ket_table *t)
{
	char path[128];

	snprintf(path, sizeof(path), KET_DEBUGFS_ROOT "/%s/summary", vm->name);
	TEST_ASSERT(!ket_read_table(path, t), "cannot read %s", path);
}

/* SIGSTOP, then waits until every thread of QEMU is stopped: each vCPU
 * thread has then left KVM_RUN (a signal is taken on the way to user
 * space), and the module has completed every exit. */
static void stop_vm(const struct vm *vm)
{
	char dir[64];
	double end = now() + 30;

	TEST_ASSERT(!kill(vm->pid, SIGSTOP), "SIGSTOP");
	snprintf(dir, sizeof(dir), "/proc/%d/task", vm->pid);
	while (now() < end) {
		DIR *d = opendir(dir);
		struct dirent *e;
		bool all = true;

		TEST_ASSERT(d, "cannot open %s", dir);
		while ((e = readdir(d))) {
			char path[96], buf[256], *state;
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%.16s/stat", dir, e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(buf, sizeof(buf), f) && (state = strrchr(buf, ')')))
				all &= state[2] == 'T' || state[2] == 't';
			fclose(f);
		}
		closedir(d);
		if (all)
			return;
		usleep(20 * 1000);
	}
	TEST_FAIL("QEMU's threads did not all stop within 30 s");
}

/* Compares the module's counts (less @base) with KVM's (less @kbase);
 * prints both. */
static bool compare(const uint64_t mod[STATS], const uint64_t kvm[STATS])
{
	bool ok = true;
	int i;

	for (i = 0; i < STATS; i++) {
		ksft_print_msg("  %-40s kvm %10lu  module %10lu%s\n", stat_names[i], kvm[i], mod[i],
			       kvm[i] == mod[i] ? "" : "  DIFFER");
		ok &= kvm[i] == mod[i];
	}
	return ok;
}

static int wait_exit(struct vm *vm, double secs)
{
	double end = now() + secs;
	int status;

	while (now() < end) {
		if (waitpid(vm->pid, &status, WNOHANG) == vm->pid) {
			vm->pid = 0;
			return status;
		}
		usleep(100 * 1000);
	}
	return -1;
}

static bool vm_dir_gone(const struct vm *vm, double secs)
{
	char path[128];
	double end = now() + secs;

	snprintf(path, sizeof(path), KET_DEBUGFS_ROOT "/%s", vm->name);
	while (now() < end && ket_is_dir(path))
		usleep(100 * 1000);
	return !ket_is_dir(path);
}

static void kill_vm(struct vm *vm)
{
	if (vm->pid > 0) {
		kill(vm->pid, SIGKILL);
		waitpid(vm->pid, NULL, 0);
		vm->pid = 0;
	}
}

/* Rows a workload exists for, and how many of their exits it must make
 * at least while it runs (a few seconds; far fewer than it makes, even
 * on a loaded machine, and none of them counts boot's). */
#define WORKLOAD_EXITS	10

/* Whether the workload made its rows grow from @t0 (when it started) to
 * @t; says by how much in @why. */
static bool workload_rows(const char *workload, const struct ket_table *t0,
			  const struct ket_table *t, char *why, size_t size)
{
#define GREW(name)	(ROW(t, name) - ROW(t0, name))
	uint64_t sgis = GREW("SYS64_IPI") + GREW("DABT_IO_MEM_IPI");
	uint64_t mmio = GREW("DABT_IO_MEM"), wfx = GREW("WFX");
	bool ipi = vcpus < 2 || sgis >= WORKLOAD_EXITS, io = mmio >= WORKLOAD_EXITS;
	bool timer = wfx >= WORKLOAD_EXITS;

	snprintf(why, size, "while it ran: SGIs sent +%lu, DABT_IO_MEM +%lu, WFX +%lu, INTERRUPT +%lu",
		 sgis, mmio, wfx, GREW("INTERRUPT"));
#undef GREW
	if (!strcmp(workload, "ipi"))
		return ipi;
	if (!strcmp(workload, "io"))
		return io;
	if (!strcmp(workload, "timer"))
		return timer;
	/* Its CPU hog and hackbench leave the vCPUs little time to wait. */
	if (!strcmp(workload, "mix"))
		return ipi && io;
	return ket_exits(t) > ket_exits(t0);
}

/* Boot, stop and compare, resume, finish. */
static void test_exact(const char *workload)
{
	uint64_t mod[STATS], kvm[STATS], vms0 = ket_control("vms");
	struct ket_table t0, t, all0, all1;
	struct vm vm;
	char why[160];
	double start = now();
	int status;

	TEST_ASSERT(!ket_read_table(KET_SUMMARY, &all0), "cannot read the summary");
	start_vm(&vm, workload, duration);
	if (!wait_console(&vm, "ket-vm: start", BOOT_LIMIT_S)) {
		kill_vm(&vm);
		ksft_test_result_fail("%s: the guest did not start its workload within %d s\n",
				      workload, BOOT_LIMIT_S);
		ksft_exit_fail_msg("no guest: see %s\n", vm.console);
	}
	ksft_test_result(find_vm(&vm), "%s: QEMU booted a %ld-vCPU GICv%ld Linux guest in %.1f s: VM %s\n",
			 workload, vcpus, gic, now() - start, vm.name);
	read_vm_table(&vm, &t0);
	sleep(duration / 2 > 0 ? duration / 2 : 1);
	stop_vm(&vm);
	read_vm_table(&vm, &t);
	kvm_stats(&vm, kvm);
	module_stats(&t, mod);
	ksft_test_result(compare(mod, kvm) && t.vcpus == vcpus,
			 "%s: QEMU stopped, the module's table of VM %s (%lu vCPUs, %lu exits forwarded to QEMU) equals KVM's counters\n",
			 workload, vm.name, t.vcpus, t.forwarded);
	ksft_test_result(workload_rows(workload, &t0, &t, why, sizeof(why)), "%s: the workload's rows %s\n",
			 workload, why);
	TEST_ASSERT(!kill(vm.pid, SIGCONT), "SIGCONT");
	status = wait_exit(&vm, duration + 60);
	if (status < 0)
		kill_vm(&vm);
	ksft_test_result(status == 0 && console_has(&vm, "rc=0") && vm_dir_gone(&vm, 10),
			 "%s: the guest finished and powered off, QEMU exited 0 (status %d), its directory went\n",
			 workload, status);
	TEST_ASSERT(!ket_read_table(KET_SUMMARY, &all1), "cannot read the summary");
	ksft_test_result(ket_control("vms") == vms0 && ket_exits(&all1) >= ket_exits(&all0) + mod[0],
			 "%s: the summary keeps the retired VM's %lu exits (%lu before, %lu now)\n",
			 workload, mod[0], ket_exits(&all0), ket_exits(&all1));
}

/* Unload and load the module under a running guest. */
static void test_reload(void)
{
	uint64_t mod[STATS], kvm0[STATS], kvm[STATS];
	struct ket_table t;
	struct vm vm;
	bool counts = true;
	int i;

	start_vm(&vm, workload_list[0], 3 * duration);
	if (!wait_console(&vm, "ket-vm: start", BOOT_LIMIT_S) || !find_vm(&vm)) {
		kill_vm(&vm);
		ksft_test_result_fail("reload: the guest did not start\n");
		return;
	}
	TEST_ASSERT(!ket_module_unload(), "rmmod with a guest running");
	usleep(300 * 1000);
	/* Stopped while the module is loaded again, so that KVM's counts at
	 * the load are known. */
	stop_vm(&vm);
	kvm_stats(&vm, kvm0);
	TEST_ASSERT(!ket_module_load(), "insmod with a guest running");
	TEST_ASSERT(!kill(vm.pid, SIGCONT), "SIGCONT");
	sleep(duration / 2 > 0 ? duration / 2 : 1);
	stop_vm(&vm);
	read_vm_table(&vm, &t);
	kvm_stats(&vm, kvm);
	module_stats(&t, mod);
	for (i = 0; i < STATS; i++)
		kvm[i] -= kvm0[i];
	counts = compare(mod, kvm) && mod[0] > 0;
	ksft_test_result(counts,
			 "reload: the module unloaded and loaded again under a running guest, which it times from its next exit: %lu exits, as KVM counted since\n",
			 mod[0]);
	kill(vm.pid, SIGCONT);
	kill_vm(&vm);
	ksft_test_result(vm_dir_gone(&vm, 10) && !ket_control("vcpus"),
			 "kill: SIGKILL of QEMU mid-run leaves no VM and no vCPU behind (vms %lu, vcpus %lu)\n",
			 ket_control("vms"), ket_control("vcpus"));
}

static void *reload_loop(void *stop)
{
	unsigned int seed = 1;
	long reloads = 0;

	while (!__atomic_load_n((bool *)stop, __ATOMIC_RELAXED)) {
		TEST_ASSERT(!ket_module_unload(), "rmmod during the churn");
		usleep(rand_r(&seed) % 300000);
		TEST_ASSERT(!ket_module_load(), "insmod during the churn");
		usleep(200000 + rand_r(&seed) % 800000);
		reloads++;
	}
	return (void *)reloads;
}

/* -l: guests started and killed while the module comes and goes. */
static void test_churn(void)
{
	unsigned int seed = 2;
	pthread_t reloader;
	bool stop = false;
	void *reloads;
	long i, booted = 0;

	TEST_ASSERT(!pthread_create(&reloader, NULL, reload_loop, &stop), "pthread_create");
	for (i = 0; i < churn; i++) {
		struct vm vm;

		start_vm(&vm, workload_list[0], 60);
		/* Killed at once, while QEMU or the guest boots, or once the
		 * workload runs. */
		switch (rand_r(&seed) % 3) {
		case 0:
			usleep(rand_r(&seed) % 2000000);
			break;
		default:
			booted += wait_console(&vm, "ket-vm: start", BOOT_LIMIT_S);
			usleep(rand_r(&seed) % 1000000);
			break;
		}
		kill_vm(&vm);
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(reloader, &reloads);
	ksft_test_result(ket_module_loaded() && ket_control("vms") == 0 && ket_control("vcpus") == 0,
			 "churn: %ld guests killed (%ld after their workload started) while the module was reloaded %ld times: no VM or vCPU left (vms %lu, vcpus %lu)\n",
			 churn, booted, (long)reloads, ket_control("vms"), ket_control("vcpus"));
}

static const char usage[] =
	"Usage: %1$s [-w WORKLOAD[,WORKLOAD...]] [-n VCPUS] [-g 2|3] [-d SECONDS] [-l GUESTS]\n"
	"  -w  the guests' workloads, a guest each (idle cpu memory ipi timer io mix; default mix)\n"
	"  -n  vCPUs (1-4, default 2), -g the guest's GIC (default: the host's)\n"
	"  -d  seconds of workload (2-60, default 8)\n"
	"  -l  then start and kill this many guests while reloading the module (default 0)\n";

int main(int argc, char *argv[])
{
	struct stat st;
	int opt, i;

	gic = host_gic();
	while ((opt = getopt(argc, argv, "w:n:g:d:l:h")) != -1) {
		switch (opt) {
		case 'w': {
			char *list = strdup(optarg), *name, *save;
			int i;

			nworkloads = 0;
			for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
				for (i = 0; i < ARRAY_SIZE(workloads) && strcmp(name, workloads[i]); i++)
					;
				if (i == ARRAY_SIZE(workloads) || nworkloads == MAX_WORKLOADS)
					ket_opt_fail('w', optarg,
						     "workloads, comma-separated: idle cpu memory ipi timer io mix");
				workload_list[nworkloads++] = workloads[i];
			}
			if (!nworkloads)
				ket_opt_fail('w', optarg, "at least one workload");
			break;
		}
		case 'n':
			vcpus = ket_opt_num('n', optarg, 1, 4);
			break;
		case 'g':
			gic = ket_opt_num('g', optarg, 2, 3);
			break;
		case 'd':
			duration = ket_opt_num('d', optarg, 2, 60);
			break;
		case 'l':
			churn = ket_opt_num('l', optarg, 0, 10000);
			break;
		default:
			ket_usage(usage, opt == 'h' ? KSFT_PASS : KSFT_FAIL);
		}
	}
	ket_no_operands(argc, argv, usage);

	ksft_print_header();
	if (stat(RUN_VM, &st)) {
		ksft_print_msg("no %s: this bed has no VM payload\n", RUN_VM);
		ksft_exit_skip("no VM payload\n");
	}
	ket_require_module();
	ksft_set_plan(5 * nworkloads + 2 + !!churn);
	for (i = 0; i < nworkloads; i++)
		test_exact(workload_list[i]);
	test_reload();
	if (churn)
		test_churn();
	ksft_finished();
}
