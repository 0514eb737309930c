// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ket_module.h"
#include "ket_vm.h"

void ket_vm_dir(struct kvm_vm *vm, char *buf, size_t size)
{
	snprintf(buf, size, KET_DEBUGFS_ROOT "/%d-%d", getpid(), vm->fd);
}

bool ket_wait_for(const char *path, int seconds)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	struct stat st;
	int i;

	for (i = 0; i < seconds * 100; i++) {
		if (!stat(path, &st))
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

static void read_waiting(const char *path, struct ket_table *t)
{
	TEST_ASSERT(ket_wait_for(path, 10), "%s did not appear", path);
	TEST_ASSERT(!ket_read_table(path, t), "reading %s: %s", path, strerror(errno));
}

void ket_vcpu_table(struct kvm_vm *vm, int vcpu_id, struct ket_table *t)
{
	char dir[128], path[192];

	ket_vm_dir(vm, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vcpu%d/stats", dir, vcpu_id);
	read_waiting(path, t);
}

void ket_vcpu_histogram(struct kvm_vm *vm, int vcpu_id, struct ket_histogram *h)
{
	char dir[128], path[192];

	ket_vm_dir(vm, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vcpu%d/histogram", dir, vcpu_id);
	TEST_ASSERT(ket_wait_for(path, 10), "%s did not appear", path);
	TEST_ASSERT(!ket_read_histogram(path, h), "reading %s: %s", path, strerror(errno));
}

void ket_vm_summary(struct kvm_vm *vm, struct ket_table *t)
{
	char dir[128], path[192];

	ket_vm_dir(vm, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/summary", dir);
	read_waiting(path, t);
}

static void read_breakdown_waiting(const char *path, struct ket_breakdown *b)
{
	TEST_ASSERT(ket_wait_for(path, 10), "%s did not appear", path);
	TEST_ASSERT(!ket_read_breakdown(path, b), "reading %s: %s", path, strerror(errno));
}

void ket_vcpu_breakdown(struct kvm_vm *vm, int vcpu_id, const char *name,
			struct ket_breakdown *b)
{
	char dir[128], path[224];

	ket_vm_dir(vm, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vcpu%d/%s", dir, vcpu_id, name);
	read_breakdown_waiting(path, b);
}

void ket_vm_breakdown(struct kvm_vm *vm, const char *name, struct ket_breakdown *b)
{
	char dir[128], path[224];

	ket_vm_dir(vm, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	read_breakdown_waiting(path, b);
}

int ket_vcpu_stats_fd(struct kvm_vcpu *vcpu)
{
	int fd = __vcpu_ioctl(vcpu, KVM_GET_STATS_FD, NULL);

	TEST_ASSERT(fd >= 0, "KVM_GET_STATS_FD: %s", strerror(errno));
	return fd;
}

uint64_t ket_stat_read(int fd, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	uint64_t value = 0;
	bool found = false;
	int i;

	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name)) {
			read_stat_data(fd, &header, d, &value, 1);
			found = true;
			break;
		}
	}
	free(descs);
	TEST_ASSERT(found, "KVM has no vCPU stat '%s'", name);
	return value;
}

void ket_stat_read_array(int fd, const char *name, uint64_t *values, size_t n)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	bool found = false;
	int i;

	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name)) {
			TEST_ASSERT(d->size == n, "vCPU stat '%s' has %u values, not %zu",
				    name, d->size, n);
			read_stat_data(fd, &header, d, values, n);
			found = true;
			break;
		}
	}
	free(descs);
	TEST_ASSERT(found, "KVM has no vCPU stat '%s'", name);
}

void ket_vcpu_el2(struct kvm_vcpu *vcpu, uint64_t el2[KET_EL2_ROWS])
{
	uint64_t by_class[KET_EL2_CLASSES];
	int fd = ket_vcpu_stats_fd(vcpu);
	unsigned int ec;

	ket_stat_read_array(fd, "hyp_exit_hist", by_class, KET_EL2_CLASSES);
	close(fd);
	memset(el2, 0, KET_EL2_ROWS * sizeof(*el2));
	for (ec = 0; ec < KET_EL2_CLASSES; ec++)
		el2[ket_el2_row_of_class(ec)] += by_class[ec];
}

uint64_t ket_vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	int fd = ket_vcpu_stats_fd(vcpu);
	uint64_t value = ket_stat_read(fd, name);

	close(fd);
	return value;
}

static bool same(const char *what, uint64_t kvm, uint64_t ours)
{
	if (kvm != ours)
		ksft_print_msg("  %s: KVM says %lu, kvm_exit_timing %lu\n", what, kvm, ours);
	return kvm == ours;
}

#define ROW(t, name) ((t)->rows[ket_type(name)].count)

bool ket_kvm_stats_match(struct kvm_vcpu *vcpu, const struct ket_table *t)
{
	uint64_t el2[KET_EL2_ROWS];
	bool ok = true;
	int i;

	ok &= same("exits vs exit rows", ket_vcpu_stat(vcpu, "exits"), ket_exits(t));
	ok &= same("hvc_exit_stat vs HVC32+HVC64", ket_vcpu_stat(vcpu, "hvc_exit_stat"),
		   ROW(t, "HVC32") + ROW(t, "HVC64"));
	ok &= same("wfe+wfi_exit_stat vs WFX",
		   ket_vcpu_stat(vcpu, "wfe_exit_stat") + ket_vcpu_stat(vcpu, "wfi_exit_stat"),
		   ROW(t, "WFX"));
	ok &= same("mmio_exit_kernel vs DABT_IO_MEM+DABT_IO_MEM_IPI",
		   ket_vcpu_stat(vcpu, "mmio_exit_kernel"),
		   ROW(t, "DABT_IO_MEM") + ROW(t, "DABT_IO_MEM_IPI"));
	ok &= same("mmio_exit_user vs DABT_IO_USER", ket_vcpu_stat(vcpu, "mmio_exit_user"),
		   ROW(t, "DABT_IO_USER"));
	ket_vcpu_el2(vcpu, el2);
	for (i = 0; i < KET_EL2_ROWS; i++)
		ok &= same(ket_el2_rows[i], el2[i], t->el2[i]);
	return ok;
}

uint64_t ket_counter_hz(void)
{
	uint64_t hz;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(hz));
	return hz;
}

void ket_guest_hvcs(uint64_t n)
{
	struct arm_smccc_res res;
	uint64_t i;

	for (i = 0; i < n; i++)
		smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
}
