// SPDX-License-Identifier: GPL-2.0
/*
 * module_lifecycle_test: kvm_exit_timing loads, creates its debugfs root,
 * times a VM, unloads while a VM keeps exiting, loads again and times that
 * same VM from its next exit.
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
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	uint64_t syncs;		/* ucalls seen, in order */
	bool ok;
};

static void *vcpu_thread(void *arg)
{
	struct running_vm *r = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(r->vcpu);
		switch (get_ucall(r->vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] != __atomic_load_n(&r->syncs, __ATOMIC_RELAXED))
				return NULL;
			__atomic_add_fetch(&r->syncs, 1, __ATOMIC_RELAXED);
			continue;
		case UCALL_DONE:
			r->ok = true;
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			return NULL;
		default:
			ksft_print_msg("unexpected exit: %s\n",
				       exit_reason_str(r->vcpu->run->exit_reason));
			return NULL;
		}
	}
}

static void start_vm(struct running_vm *r)
{
	memset(r, 0, sizeof(*r));
	stop = 0;
	r->vm = vm_create_with_one_vcpu(&r->vcpu, guest_code);
	sync_global_to_guest(r->vm, stop);
	pthread_create(&r->thread, NULL, vcpu_thread, r);
}

/* Waits until the guest has synced @more more times; false on timeout. */
static bool keeps_running(struct running_vm *r, uint64_t more)
{
	uint64_t want = __atomic_load_n(&r->syncs, __ATOMIC_RELAXED) + more;
	int i;

	for (i = 0; i < 3000; i++) {
		if (__atomic_load_n(&r->syncs, __ATOMIC_RELAXED) >= want)
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
	pthread_join(r->thread, NULL);
	kvm_vm_free(r->vm);
	return r->ok;
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
	uint64_t a, b;
	int ret;

	ksft_print_header();
	if (geteuid() != 0)
		ksft_exit_skip("needs root to load modules\n");
	if (!ket_is_dir("/sys/kernel/debug"))
		ksft_exit_skip("debugfs is not mounted at /sys/kernel/debug\n");
	if (ket_module_loaded())
		ksft_exit_fail_msg("%s is already loaded; unload it first\n",
				   KET_MODULE_NAME);
	ksft_set_plan(10);

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
	ksft_test_result(stop_vm(&r), "the VM ran to its end with every ucall in order\n");
	ksft_finished();
}
