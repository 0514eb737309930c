// SPDX-License-Identifier: GPL-2.0
/*
 * ipi_test: virtual IPI latency. Two vCPUs exchange SGIs with the
 * module's "breakdown ipi" on:
 *
 * - ping-pong: N rounds of an SGI from vCPU 0 to vCPU 1 and one back,
 *   each receiver waiting in WFI (blocked, woken by KVM);
 * - to a running receiver: M SGIs from vCPU 0 to vCPU 1, which spins in
 *   the guest polling its interrupt acknowledge register (kicked by KVM),
 *   each sent once the previous one was taken.
 *
 * Every SGI is one latency sample: the VM's ipi file has N + M samples
 * from 0 to 1 and N from 1 to 0 in its matrix, as many as the SGI rows of
 * the senders' tables, and its rows by kind add up to them; vCPU 1's own
 * file agrees. Where the receiver was is racy (an exit can take it out of
 * the guest at any time), so the test only requires each phase's kind to
 * be seen: blocked receivers in the ping-pong, running ones after it.
 *
 * Needs root and the module (loaded if it is not: $KET_MODULE); the
 * generic counter as the clock.
 */
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_gic.h"
#include "ket_module.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define SGI_INTID	3
#define N		100
#define M		100

/* Shared by the two vCPUs. */
static volatile uint64_t ready[2];	/* the vCPU's GIC is set up */
static volatile uint64_t taken;		/* SGIs vCPU 1 took while spinning */

/* Waits for the SGI with interrupts masked, in WFI unless @spin; other
 * interrupts are acknowledged and ended. */
static void wait_sgi(bool spin)
{
	uint32_t iar;

	for (;;) {
		if (!spin)
			wfi();
		iar = ket_gic_ack();
		if (KET_INTID(iar) == 1023)
			continue;
		ket_gic_eoi(iar);
		if (KET_INTID(iar) == SGI_INTID)
			return;
	}
}

static void guest_code(void)
{
	int me = guest_get_vcpuid(), peer = 1 - me, i;

	ket_gic_init(2);
	ket_gic_irq_enable(SGI_INTID);
	ready[me] = 1;
	while (!ready[peer])
		cpu_relax();
	GUEST_SYNC(0);
	for (i = 0; i < N; i++) {
		if (me == 0) {
			ket_gic_send_sgi(peer, SGI_INTID);
			wait_sgi(false);
		} else {
			wait_sgi(false);
			ket_gic_send_sgi(peer, SGI_INTID);
		}
	}
	for (i = 0; i < M; i++) {
		if (me == 0) {
			while (taken < i)
				cpu_relax();
			ket_gic_send_sgi(peer, SGI_INTID);
		} else {
			wait_sgi(true);
			taken = i + 1;
		}
	}
	while (taken < M)
		cpu_relax();
	GUEST_DONE();
}

/* The matrix cell of @sender to @receiver in @text, an ipi file: its
 * count, and its average in *@avg; 0 if there is none. */
static uint64_t cell(const char *text, int sender, int receiver, uint64_t *avg)
{
	const char *p = strstr(text, "\nsender ");
	uint64_t count, min, max, mean;
	int s, r;

	*avg = 0;
	while (p && (p = strchr(p + 1, '\n'))) {
		if (sscanf(p + 1, "%d %d %lu %lu %lu %lu", &s, &r, &count, &min, &max, &mean) == 6 &&
		    s == sender && r == receiver) {
			*avg = mean;
			return count;
		}
	}
	return 0;
}

/* The count and average of row @kind in @text, an ipi file. */
static uint64_t kind_row(const char *text, const char *kind, uint64_t *avg)
{
	char prefix[48];
	const char *p;
	uint64_t count = 0, min, max;

	snprintf(prefix, sizeof(prefix), "\n%s ", kind);
	p = strstr(text, prefix);
	*avg = 0;
	TEST_ASSERT(p && sscanf(p + strlen(prefix), "%lu %lu %lu %lu", &count, &min, &max, avg) == 4,
		    "no %s row", kind);
	return count;
}

static char *read_ipi(struct kvm_vm *vm, const char *file)
{
	char dir[128], path[224];
	char *text;

	ket_vm_dir(vm, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	TEST_ASSERT(ket_wait_for(path, 10), "%s did not appear", path);
	text = ket_slurp(path, NULL);
	TEST_ASSERT(text, "reading %s", path);
	TEST_ASSERT(strstr(text, "\n# breakdown: on\n"), "%s: IPI latency is not on:\n%s", path,
		    text);
	return text;
}

/* Shows @text in the TAP output, a comment line per line. */
static void print_file(char *text)
{
	char *line, *save = NULL, *copy = strdup(text);

	TEST_ASSERT(copy, "out of memory");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("  %s\n", line);
	free(copy);
}

static const char usage[] = "Usage: %1$s [-h]\n";

int main(int argc, char *argv[])
{
	uint64_t to1, to0, avg01, avg10, running, blocked, in_host, a_run, a_blk, a_host, mine;
	struct kvm_vcpu *vcpus[2];
	struct ket_vcpu_thread t[2];
	struct ket_table t0, t1;
	const char *sgi_row;
	char *vm_file, *vcpu_file;
	struct kvm_vm *vm;
	char unit[32];
	int opt, i;

	while ((opt = getopt(argc, argv, "h")) != -1)
		ket_usage(usage, opt == 'h' ? KSFT_PASS : KSFT_FAIL);
	ket_no_operands(argc, argv, usage);

	ksft_print_header();
	ket_require_module();
	ket_control_text("unit", unit, sizeof(unit));
	if (strcmp(unit, "ticks"))
		ksft_exit_skip("IPI latency needs the generic counter as the clock (unit: %s)\n", unit);
	ksft_set_plan(4);
	TEST_ASSERT(!ket_control_write("breakdown ipi on"), "cannot switch IPI latency on");

	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	sgi_row = ket_vgic_setup(vm, 2) == 2 ? "DABT_IO_MEM_IPI" : "SYS64_IPI";
	for (i = 0; i < 2; i++)
		ket_vcpu_thread_start(&t[i], vcpus[i]);
	for (i = 0; i < 2; i++)
		TEST_ASSERT(ket_vcpu_thread_join(vm, &t[i]), "vCPU %d did not finish", i);

	vm_file = read_ipi(vm, "ipi");
	vcpu_file = read_ipi(vm, "vcpu1/ipi");
	print_file(vm_file);
	ket_vcpu_table(vm, 0, &t0);
	ket_vcpu_table(vm, 1, &t1);
	to1 = cell(vm_file, 0, 1, &avg01);
	to0 = cell(vm_file, 1, 0, &avg10);
	ksft_test_result(to1 == N + M && to0 == N && t0.rows[ket_type(sgi_row)].count == N + M &&
			 t1.rows[ket_type(sgi_row)].count == N,
			 "matrix: %lu SGIs 0 -> 1 (avg %lu ticks), %lu 1 -> 0 (avg %lu); want %d and %d, as the %s rows (%lu, %lu)\n",
			 to1, avg01, to0, avg10, N + M, N, sgi_row,
			 t0.rows[ket_type(sgi_row)].count, t1.rows[ket_type(sgi_row)].count);
	running = kind_row(vm_file, "SGI_TO_RUNNING", &a_run);
	blocked = kind_row(vm_file, "SGI_TO_BLOCKED", &a_blk);
	in_host = kind_row(vm_file, "SGI_TO_IN_HOST", &a_host);
	ksft_test_result(running + blocked + in_host == 2 * N + M,
			 "by kind: %lu to running receivers (avg %lu), %lu to blocked ones (avg %lu), %lu to ones in the host (avg %lu): %d in all\n",
			 running, a_run, blocked, a_blk, in_host, a_host, 2 * N + M);
	ksft_test_result(running >= 1 && blocked >= 1,
			 "both kinds seen: the ping-pong's receivers wait in WFI, the last phase's spin in the guest\n");
	mine = cell(vcpu_file, 0, 1, &avg01);
	ksft_test_result(mine == N + M, "vCPU 1's own file: %lu SGIs from vCPU 0\n", mine);
	free(vm_file);
	free(vcpu_file);
	kvm_vm_free(vm);
	TEST_ASSERT(!ket_control_write("breakdown ipi off"), "cannot switch IPI latency off");
	ksft_finished();
}
