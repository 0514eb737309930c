// SPDX-License-Identifier: GPL-2.0
/*
 * module_lifecycle_test: kvm_exit_timing loads, creates its debugfs root,
 * times a VM, unloads while a VM keeps exiting, loads again and times that
 * same VM from its next exit; loads with clock=cycles, and refuses a
 * clock it does not know.
 *
 * Needs root, debugfs mounted at /sys/kernel/debug and the module file at
 * $KET_MODULE (default /ket/kvm_exit_timing.ko). The module must not be
 * loaded when the test starts.
 */
#include <pthread.h>
#include <string.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_module.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define HVCS_PER_SYNC	100

static uint64_t stop;		/* shared with the guest */

static void guest_code(void)
{
	uint64_t round = 0;

	while (!READ_ONCE(stop)) {
		ket_guest_hvcs(HVCS_PER_SYNC);
		GUEST_SYNC(round++);
	}
	GUEST_DONE();
}

struct running_vm {
	struct kvm_vm *vm;
	struct ket_vcpu_thread t;
};

static void start_vm(struct running_vm *r)
{
	struct kvm_vcpu *vcpu;

	stop = 0;
	r->vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	sync_global_to_guest(r->vm, stop);
	ket_vcpu_thread_start(&r->t, vcpu);
}

/* Waits until the guest has synced @more more times; false on timeout. */
static bool keeps_running(struct running_vm *r, uint64_t more)
{
	uint64_t want = ket_vcpu_syncs(&r->t) + more;
	int i;

	for (i = 0; i < 3000; i++) {
		if (ket_vcpu_syncs(&r->t) >= want)
			return true;
		usleep(10000);
	}
	return false;
}

/* Stops the guest; true if it ran to its GUEST_DONE with every ucall. */
static bool stop_vm(struct running_vm *r)
{
	stop = 1;
	sync_global_to_guest(r->vm, stop);
	pthread_join(r->t.thread, NULL);
	kvm_vm_free(r->vm);
	return r->t.done;
}

static uint64_t hvc64(struct running_vm *r)
{
	struct ket_table t;

	ket_vcpu_table(r->vm, 0, &t);
	return t.rows[ket_type("HVC64")].count;
}

int main(void)
{
	struct running_vm r;
	char unit[32] = "";
	uint64_t a, b;
	int ret;

	ksft_print_header();
	ket_require_unloaded();
	ksft_set_plan(14);

	ret = ket_module_load();
	ksft_test_result(ret == 0, "load %s: %s\n", ket_module_path(),
			 ret ? strerror(-ret) : "ok");
	if (ret)
		ksft_exit_fail_msg("cannot go on without the module\n");
	ksft_test_result(ket_is_dir(KET_DEBUGFS_ROOT), "debugfs root %s exists\n",
			 KET_DEBUGFS_ROOT);

	start_vm(&r);
	ksft_test_result(keeps_running(&r, 3) && hvc64(&r) >= 3 * HVCS_PER_SYNC,
			 "a VM making HVCs is timed\n");

	ret = ket_module_unload();
	ksft_test_result(ret == 0, "unload while the VM keeps exiting: %s\n",
			 ret ? strerror(-ret) : "ok");
	ksft_test_result(!ket_is_dir(KET_DEBUGFS_ROOT), "debugfs root is gone\n");
	ksft_test_result(keeps_running(&r, 3), "the VM runs on without the module\n");

	ret = ket_module_load();
	ksft_test_result(ret == 0, "load again while the VM runs: %s\n",
			 ret ? strerror(-ret) : "ok");
	a = hvc64(&r);
	keeps_running(&r, 3);
	b = hvc64(&r);
	/* a was read mid-round: three syncs later, at least the two rounds
	 * in between were timed whole. */
	ksft_test_result(b >= a + 2 * HVCS_PER_SYNC,
			 "the running VM is timed again from its next exit (%lu, then %lu HVC64)\n",
			 a, b);

	ret = ket_module_unload();
	ksft_test_result(ret == 0, "unload: %s\n", ret ? strerror(-ret) : "ok");

	/* The clock parameter: a clock timing starts with, or a refusal. */
	ret = ket_module_load_params("clock=cycles");
	if (!ret)
		ket_control_text("unit", unit, sizeof(unit));
	ksft_test_result(ret == 0 && !strcmp(unit, "cycles"),
			 "load with clock=cycles: %s, unit '%s'\n", ret ? strerror(-ret) : "ok", unit);
	keeps_running(&r, 2);
	ksft_test_result(hvc64(&r) >= HVCS_PER_SYNC, "the VM is timed in cycles\n");
	ret = ket_module_unload();
	ksft_test_result(ret == 0, "unload from cycles: %s\n", ret ? strerror(-ret) : "ok");
	ret = ket_module_load_params("clock=ticks");
	ksft_test_result(ret == -EINVAL && !ket_module_loaded(),
			 "load with clock=ticks is refused: %s\n", strerror(-ret));
	if (ket_module_loaded())
		ket_module_unload();

	ksft_test_result(stop_vm(&r), "the VM ran to its end with every ucall in order\n");
	ksft_finished();
}
