// SPDX-License-Identifier: GPL-2.0
/*
 * descheduled_test: a vCPU thread forced off its CPU inside KVM_RUN shows
 * up in DESCHEDULED, once per preemption, and the time it spent off the
 * CPU is not charged to the exit it interrupted.
 *
 * The vCPU thread (SCHED_FIFO 1) and a hog thread (SCHED_FIFO 2) share
 * one CPU. The guest spins until told to stop; meanwhile the hog wakes
 * up N times and burns the CPU for BUSY_MS each time, preempting the vCPU
 * thread. The kernel's own count of the thread's involuntary context
 * switches is the reference: every one of them happens inside KVM_RUN,
 * as nothing else can preempt a FIFO thread there and the hog is asleep
 * outside the measured phase.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define PREEMPTIONS	10
#define BUSY_MS		20
#define CPU		1
#define RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"

static uint64_t stop;	/* shared with the guest */

static void guest_code(void)
{
	GUEST_SYNC(0);
	while (!READ_ONCE(stop))
		cpu_relax();
	GUEST_SYNC(1);
	GUEST_DONE();
}

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;
static uint64_t busy_ns;
static pthread_barrier_t go;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void pin_fifo(int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(CPU, &set);
	TEST_ASSERT(!pthread_setaffinity_np(pthread_self(), sizeof(set), &set), "affinity");
	TEST_ASSERT(!pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp), "SCHED_FIFO");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	TEST_ASSERT(f && fputs(text, f) >= 0 && !fclose(f), "cannot write %s", path);
}

static uint64_t nonvoluntary_switches(void)
{
	char *status = ket_slurp("/proc/thread-self/status", NULL), *p;
	uint64_t n;

	TEST_ASSERT(status, "cannot read /proc/thread-self/status");
	p = strstr(status, "nonvoluntary_ctxt_switches:");
	TEST_ASSERT(p && sscanf(p, "nonvoluntary_ctxt_switches: %lu", &n) == 1, "no switch count");
	free(status);
	return n;
}

static void *hog(void *arg)
{
	struct timespec first = { .tv_nsec = 200 * 1000 * 1000 };
	struct timespec pause = { .tv_nsec = 30 * 1000 * 1000 };
	uint64_t start;
	int i;

	pin_fifo(2);
	pthread_barrier_wait(&go);
	/* Time for the vCPU thread to enter KVM_RUN. */
	nanosleep(&first, NULL);
	for (i = 0; i < PREEMPTIONS; i++) {
		if (i)
			nanosleep(&pause, NULL);
		start = now_ns();
		while (now_ns() - start < BUSY_MS * 1000000ull)
			;
		busy_ns += now_ns() - start;
	}
	stop = 1;
	sync_global_to_guest(vm, stop);
	return NULL;
}

int main(void)
{
	struct ket_table before, after;
	uint64_t nv_before, nv_after, desched, desched_ticks, irq_ticks, hz, busy_ticks;
	int d = ket_type("DESCHEDULED"), irq = ket_type("INTERRUPT");
	char *runtime;
	pthread_t thread;

	ksft_print_header();
	TEST_REQUIRE(sysconf(_SC_NPROCESSORS_ONLN) > CPU);
	ket_require_module();
	ksft_set_plan(4);

	/* RT throttling would preempt the FIFO vCPU thread by itself. */
	runtime = ket_slurp(RT_RUNTIME, NULL);
	TEST_ASSERT(runtime, "cannot read " RT_RUNTIME);
	write_file(RT_RUNTIME, "-1");

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	/* Created before this thread turns FIFO, whose policy it would
	 * inherit: it sets its own. */
	pthread_barrier_init(&go, NULL, 2);
	pthread_create(&thread, NULL, hog, NULL);
	pin_fifo(1);
	ket_run_to_sync(vcpu, 0);
	ket_vcpu_table(vm, 0, &before);
	/* The hog runs first (it preempts this thread here, outside the
	 * measured window), then sleeps while the guest starts spinning. */
	pthread_barrier_wait(&go);
	nv_before = nonvoluntary_switches();
	ket_run_to_sync(vcpu, 1);
	nv_after = nonvoluntary_switches();
	pthread_join(thread, NULL);
	ket_vcpu_table(vm, 0, &after);

	desched = after.rows[d].count - before.rows[d].count;
	ksft_test_result(desched == nv_after - nv_before && desched >= PREEMPTIONS,
			 "DESCHEDULED: %lu preemptions inside KVM_RUN, the kernel counted %lu involuntary switches (hog woke %d times)\n",
			 desched, nv_after - nv_before, PREEMPTIONS);

	hz = after.hz;
	desched_ticks = after.rows[d].total - before.rows[d].total;
	busy_ticks = busy_ns * hz / 1000000000ull;
	ksft_test_result(desched_ticks >= busy_ticks * 95 / 100,
			 "DESCHEDULED: %lu ticks off the CPU, the hog burnt %lu\n",
			 desched_ticks, busy_ticks);

	/* The preemptions interrupted INTERRUPT exits (the hog's wake-up).
	 * Charged the time off the CPU, those exits would add up to more than
	 * the DESCHEDULED total (that time and their own handling); handled
	 * alone, to a part of it: a third to a half on the test kernel, up
	 * to 0.6 on the debug kernel, whose interrupt handling is slow. So
	 * the bound is the DESCHEDULED total itself. (Not a per-exit bound:
	 * the machine running QEMU may stall a vCPU.) */
	irq_ticks = after.rows[irq].total - before.rows[irq].total;
	ksft_test_result(irq_ticks < desched_ticks,
			 "exits are not charged the preempted time: INTERRUPT took %lu ticks in the phase, DESCHEDULED %lu\n",
			 irq_ticks, desched_ticks);

	vcpu_run_complete_io(vcpu);
	ket_vcpu_table(vm, 0, &after);
	ksft_test_result(ket_kvm_stats_match(vcpu, &after),
			 "the VM's table matches KVM's binary stats\n");

	kvm_vm_free(vm);
	write_file(RT_RUNTIME, runtime);
	free(runtime);
	ksft_finished();
}
