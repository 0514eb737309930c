// SPDX-License-Identifier: GPL-2.0
/*
 * module_lifecycle_test: kvm_exit_timing loads, creates its debugfs root,
 * coexists with a running VM, unloads and takes its root away.
 *
 * Needs root, debugfs mounted at /sys/kernel/debug and the module file at
 * $KET_MODULE (default /ket/kvm_exit_timing.ko). The module must not be
 * loaded when the test starts.
 */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_module.h"

#define GUEST_SYNCS 3

static void guest_code(void)
{
	int i;

	for (i = 0; i < GUEST_SYNCS; i++)
		GUEST_SYNC(i);
	GUEST_DONE();
}

/* Runs the guest to its GUEST_DONE; true if every ucall came in order. */
static bool run_vm_to_done(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int syncs = 0;
	bool ok = false;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] != syncs++)
				goto out;
			continue;
		case UCALL_DONE:
			ok = syncs == GUEST_SYNCS;
			goto out;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			goto out;
		default:
			ksft_print_msg("unexpected exit: %s\n",
				       exit_reason_str(vcpu->run->exit_reason));
			goto out;
		}
	}
out:
	kvm_vm_free(vm);
	return ok;
}

int main(void)
{
	int ret;

	ksft_print_header();
	if (geteuid() != 0)
		ksft_exit_skip("needs root to load modules\n");
	if (!ket_is_dir("/sys/kernel/debug"))
		ksft_exit_skip("debugfs is not mounted at /sys/kernel/debug\n");
	if (ket_module_loaded())
		ksft_exit_fail_msg("%s is already loaded; unload it first\n",
				   KET_MODULE_NAME);
	ksft_set_plan(6);

	ret = ket_module_load();
	ksft_test_result(ret == 0, "load %s: %s\n", ket_module_path(),
			 ret ? strerror(-ret) : "ok");
	if (ret)
		ksft_exit_fail_msg("cannot go on without the module\n");

	ksft_test_result(ket_is_dir(KET_DEBUGFS_ROOT), "debugfs root %s exists\n",
			 KET_DEBUGFS_ROOT);
	ksft_test_result(run_vm_to_done(), "VM with one vCPU runs to its ucalls\n");

	ret = ket_module_unload();
	ksft_test_result(ret == 0, "unload: %s\n", ret ? strerror(-ret) : "ok");
	ksft_test_result(!ket_is_dir(KET_DEBUGFS_ROOT), "debugfs root is gone\n");
	ksft_test_result(run_vm_to_done(), "VM runs after the module is gone\n");

	ksft_finished();
}
