// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs_abi_test: kvm_exit_timing's debugfs files behave as documented:
 * permissions, the control file's commands (and nothing else), per-VM and
 * global resets, VMs kept apart, a VM's summary summing its vCPUs, and the
 * global summary keeping destroyed VMs.
 *
 * Needs root and no other VM running; loads the module if needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_module.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

static uint64_t hvc64(struct kvm_vm *vm, int vcpu_id)
{
	struct ket_table t;

	ket_vcpu_table(vm, vcpu_id, &t);
	return t.rows[ket_type("HVC64")].count;
}

static uint64_t summary_row(const char *path, const char *row)
{
	struct ket_table t;

	TEST_ASSERT(!ket_read_table(path, &t), "reading %s", path);
	return t.rows[ket_type(row)].count;
}

/* write(2) of @len bytes of @data at @offset; 0 or -errno. (seq_file
 * files do not take pwrite(2): seek, then write.) */
static int write_at(const char *path, const void *data, size_t len, off_t offset)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	if (offset && lseek(fd, offset, SEEK_SET) != offset) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = write(fd, data, len);
	ret = ret == (ssize_t)len ? 0 : ret < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}

static int write_str(const char *path, const char *s)
{
	return write_at(path, s, strlen(s), 0);
}

static bool mode_is(const char *path, mode_t want)
{
	struct stat st;

	if (stat(path, &st)) {
		ksft_print_msg("  %s: %s\n", path, strerror(errno));
		return false;
	}
	if ((st.st_mode & 07777) != want)
		ksft_print_msg("  %s: mode %o, want %o\n", path, st.st_mode & 07777, want);
	return (st.st_mode & 07777) == want;
}

static void test_modes(struct kvm_vm *vm)
{
	char dir[128], p[5][192];
	bool ok;

	ket_vm_dir(vm, dir, sizeof(dir));
	snprintf(p[0], sizeof(p[0]), "%s/summary", dir);
	snprintf(p[1], sizeof(p[1]), "%s/reset", dir);
	snprintf(p[2], sizeof(p[2]), "%s/vcpu0/stats", dir);
	snprintf(p[3], sizeof(p[3]), "%s/vcpu0/histogram", dir);
	ok = mode_is(KET_CONTROL, 0600) & mode_is(KET_SUMMARY, 0400) & mode_is(p[0], 0400) &
	     mode_is(p[1], 0200) & mode_is(p[2], 0400) & mode_is(p[3], 0400);
	ksft_test_result(ok, "files are root-only: control 0600, reset 0200, the rest 0400\n");
}

static void test_header(struct kvm_vm *vm)
{
	struct ket_table t;
	char name[64];

	ket_vcpu_table(vm, 0, &t);
	snprintf(name, sizeof(name), "%d-%d", getpid(), vm->fd);
	ksft_test_result(!strcmp(t.kind, "stats") && !strcmp(t.vm, name) && t.vcpu == 0 &&
			 t.hz == ket_counter_hz() && t.interval > 0,
			 "a vCPU table names its VM (%s), vCPU, clock frequency (%lu Hz) and interval\n",
			 t.vm, t.hz);
}

static void test_bad_control_writes(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	static const char *const bad[] = {
		"", "\n", "reset\n\n", "Reset", " reset", "reset ", "reset\r\n", "res", "resetx",
		"enable disable", "1", "0", "on", "disable\t", "\xff\xfe", "reset\0",
	};
	char long_input[64], state[32];
	uint64_t before = hvc64(vm, 0);
	bool ok = true;
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* "reset\0" is written with its NUL. */
		ret = write_at(KET_CONTROL, bad[i], strlen(bad[i]) + !strcmp(bad[i], "reset"), 0);
		if (ret != -EINVAL) {
			ksft_print_msg("  writing '%s' gave %d, not -EINVAL\n", bad[i], ret);
			ok = false;
		}
	}
	memset(long_input, 'x', sizeof(long_input));
	memcpy(long_input, "reset", 5);
	ok &= write_at(KET_CONTROL, long_input, sizeof(long_input), 0) == -EINVAL;
	ok &= write_at(KET_CONTROL, "reset", 5, 1) == -EINVAL;
	ket_control_text("state", state, sizeof(state));
	ok &= !strcmp(state, "enabled");
	ok &= hvc64(vm, 0) == before && before > 0;
	ksft_test_result(ok, "control rejects %zu malformed writes, a long one and one at offset 1 with EINVAL; nothing changes\n",
			 ARRAY_SIZE(bad));
}

static void test_disable_enable(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	uint64_t a, b, c;
	char state[32];
	bool ok;

	a = hvc64(vm, 0);
	ok = !ket_control_write("disable\n");
	ket_control_text("state", state, sizeof(state));
	ok &= !strcmp(state, "disabled");
	ket_run_hvcs(vm, vcpu, 50);
	b = hvc64(vm, 0);
	ok &= !ket_control_write("enable");
	ket_control_text("state", state, sizeof(state));
	ok &= !strcmp(state, "enabled");
	ket_run_hvcs(vm, vcpu, 70);
	c = hvc64(vm, 0);
	ksft_test_result(ok && b == a && c == b + 70,
			 "disable stops timing (%lu HVC64 before, %lu after 50 HVCs), enable resumes it (%lu after 70 more)\n",
			 a, b, c);
}

static void test_vm_reset(struct kvm_vm *a, struct kvm_vcpu *va, struct kvm_vm *b)
{
	static const char *const bad[] = { "", "0", "2", "11", "1 ", " 1", "1\n\n", "reset" };
	char dir[128], path[192];
	struct ket_table t;
	uint64_t before_a, before_b;
	bool ok = true;
	int i;

	ket_vm_dir(a, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/reset", dir);
	ket_run_hvcs(a, va, 10);
	before_a = hvc64(a, 0);
	before_b = hvc64(b, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ok &= write_str(path, bad[i]) == -EINVAL;
	ok &= hvc64(a, 0) == before_a;
	ksft_test_result(ok, "a VM's reset rejects %zu malformed writes with EINVAL; nothing changes\n",
			 ARRAY_SIZE(bad));

	ok = !write_str(path, "1\n");
	ket_vcpu_table(a, 0, &t);
	ok &= ket_exits(&t) == 0 && t.rows[ket_type("TIMEINGUEST")].count == 0;
	ok &= hvc64(b, 0) == before_b && before_b > 0;
	ket_run_hvcs(a, va, 30);
	ok &= hvc64(a, 0) == 30;
	ket_vm_summary(a, &t);
	ok &= t.rows[ket_type("HVC64")].count == 30;
	ksft_test_result(ok, "writing 1 to a VM's reset empties its tables only; counting restarts (30 HVC64 after 30 HVCs)\n");
}

static void test_isolation_and_vm_summary(void)
{
	struct kvm_vcpu *va[2], *vb;
	struct kvm_vm *a, *b;
	struct ket_table s;
	bool ok;

	a = vm_create_with_vcpus(2, ket_guest_hvcs_on_demand, va);
	b = vm_create_with_one_vcpu(&vb, ket_guest_hvcs_on_demand);
	ket_run_hvcs(a, va[0], 0);
	ket_run_hvcs(a, va[1], 0);
	ket_run_hvcs(b, vb, 0);
	ket_run_hvcs(a, va[0], 11);
	ket_run_hvcs(a, va[1], 22);
	ket_run_hvcs(b, vb, 33);
	ok = hvc64(a, 0) == 11 && hvc64(a, 1) == 22 && hvc64(b, 0) == 33;
	ksft_test_result(ok, "two VMs do not see each other's exits (11 and 22 vs 33 HVC64)\n");
	ket_vm_summary(a, &s);
	ksft_test_result(s.vcpus == 2 && s.rows[ket_type("HVC64")].count == 33,
			 "a VM's summary sums its %lu vCPUs: %lu HVC64\n", s.vcpus,
			 s.rows[ket_type("HVC64")].count);
	test_vm_reset(a, va[0], b);
	/* B was never reset: its table must match KVM's stats. */
	vcpu_run_complete_io(vb);
	ket_vcpu_table(b, 0, &s);
	ksft_test_result(ket_kvm_stats_match(vb, &s), "an untouched VM's table matches KVM's binary stats\n");
	kvm_vm_free(a);
	kvm_vm_free(b);
}

static void test_global_reset_and_destroyed_vms(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char live[64];
	struct ket_table s;
	bool ok;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, ket_guest_hvcs_on_demand);
	ket_run_hvcs(vm, vcpu, 5);
	ok = !ket_control_write("reset");
	ok &= hvc64(vm, 0) == 0 && summary_row(KET_SUMMARY, "HVC64") == 0;
	ket_run_hvcs(vm, vcpu, 40);
	ok &= summary_row(KET_SUMMARY, "HVC64") == 40;
	ksft_test_result(ok, "reset empties every table and the summary; counting restarts\n");

	kvm_vm_free(vm);
	/* The VM's vCPU entry is retired by a work item: wait for it. */
	for (i = 0; i < 1000; i++) {
		TEST_ASSERT(!ket_read_table(KET_SUMMARY, &s), "reading " KET_SUMMARY);
		ket_control_text("vms", live, sizeof(live));
		if (!strcmp(live, "0") && !s.vcpus)
			break;
		usleep(10000);
	}
	ksft_test_result(s.rows[ket_type("HVC64")].count == 40 && !s.vcpus,
			 "the summary keeps a destroyed VM's exits: %lu HVC64\n",
			 s.rows[ket_type("HVC64")].count);
}

/*
 * Regression: the module used to name a VM from KVM's debugfs directory
 * in its work item, which can run after KVM removed that directory (KVM
 * removes it before it destroys the vCPUs): a use-after-free that oopsed
 * on the benchmark kernel. It now copies the name when a vCPU first runs.
 * VMs destroyed right after their first exit open that window wide.
 */
static void test_quick_teardown(void)
{
	char live[64];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i;

	for (i = 0; i < 50; i++) {
		vm = vm_create_with_one_vcpu(&vcpu, ket_guest_hvcs_on_demand);
		ket_run_hvcs(vm, vcpu, 1);
		kvm_vm_free(vm);
	}
	for (i = 0; i < 1000; i++) {
		ket_control_text("vms", live, sizeof(live));
		if (!strcmp(live, "0"))
			break;
		usleep(10000);
	}
	ksft_test_result(!strcmp(live, "0"),
			 "50 VMs destroyed right after their first exit are all retired (vms: %s)\n",
			 live);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_header();
	ket_require_module();
	ksft_set_plan(12);

	vm = vm_create_with_one_vcpu(&vcpu, ket_guest_hvcs_on_demand);
	ket_run_hvcs(vm, vcpu, 0);
	ket_run_hvcs(vm, vcpu, 20);
	test_modes(vm);
	test_header(vm);
	test_bad_control_writes(vm, vcpu);
	test_disable_enable(vm, vcpu);
	kvm_vm_free(vm);

	test_isolation_and_vm_summary();
	test_global_reset_and_destroyed_vms();
	test_quick_teardown();
	ksft_finished();
}
