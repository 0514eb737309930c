// SPDX-License-Identifier: GPL-2.0
/*
 * aarch32_exits_test: the AArch32 rows. A small hand-assembled A32 guest
 * (KVM_ARM_VCPU_EL1_32BIT, MMU off, SVC mode) makes exactly N exits of one
 * kind, then writes to unbacked MMIO to say it is done:
 *
 *   CP15_32  MRC  p15, 0, r1, c0, c1, 0     ID_PFR0 (HCR_EL2.TID3)
 *   CP15_64  MRRC p15, 0, r6, r7, c14       CNTPCT: trapped because the
 *                                           test gives the VM a counter
 *                                           offset (without FEAT_ECV)
 *   CP14_MR  MRC  p14, 0, r1, c1, c1, 4     DBGOSLSR (MDCR_EL2.TDOSA)
 *   CP14_LS  LDC  p14, c5, [r8]             DBGDTRRXint (MDCR_EL2.TDA);
 *                                           KVM injects an UNDEF
 *   CP14_64  MRRC p14, 0, r6, r7, c1        DBGDRAR (MDCR_EL2.TDRA)
 *   HVC32    HVC  #0                        PSCI_VERSION
 *   SMC32    SMC  #0                        PSCI_VERSION
 *
 * The encodings were checked with llvm-mc --triple=armv7a -show-encoding.
 *
 * QEMU 7.2's CPUs do not trap LDC/STC p14 or MRRC p14 to EL2 (the guest
 * takes an UNDEF at EL1): when KVM's own exit counter shows that an
 * instruction made no exit, its row is skipped with that reason.
 */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ket_table.h"
#include "ket_vm.h"

#define CODE_GPA	0x10000000ULL	/* vectors at +0, program at +0x100 */
#define CODE_SLOT	1
#define PROGRAM		0x100
#define SCRATCH		0x800		/* what LDC reads */
#define DONE_GPA	0x20000000ULL	/* unbacked: the guest's "done" */
#define N		100

/* SVC mode, AArch32, asynchronous aborts, IRQ and FIQ masked. */
#define A32_SVC_MASKED	0x1d3

#define A32_MOVW_R0_0		0xe3000000	/* movw r0, #0 */
#define A32_MOVT_R0_8400	0xe3480400	/* movt r0, #0x8400: PSCI_VERSION */
#define A32_SUBS_R4_1		0xe2544001	/* subs r4, r4, #1 */
#define A32_STR_R4_R5		0xe5854000	/* str r4, [r5] */
#define A32_B_SELF		0xeafffffe	/* b . */
#define A32_MOVS_PC_LR		0xe1b0f00e	/* movs pc, lr */
#define A32_NOP			0xe320f000	/* nop */
/* bne from @from to @to (byte offsets in the program). */
#define A32_BNE(from, to)	(0x1a000000 | ((((to) - (from) - 8) >> 2) & 0xffffff))

struct a32_case {
	const char *row;
	uint32_t insn;
	const char *asm_text;
};

static const struct a32_case cases[] = {
	{ "CP15_32", 0xee101f11, "mrc p15, 0, r1, c0, c1, 0 (ID_PFR0)" },
	{ "CP15_64", 0xec576f0e, "mrrc p15, 0, r6, r7, c14 (CNTPCT)" },
	{ "CP14_MR", 0xee111e91, "mrc p14, 0, r1, c1, c1, 4 (DBGOSLSR)" },
	{ "CP14_LS", 0xed985e00, "ldc p14, c5, [r8] (DBGDTRRXint)" },
	{ "CP14_64", 0xec576e01, "mrrc p14, 0, r6, r7, c1 (DBGDRAR)" },
	{ "HVC32", 0xe1400070, "hvc #0 (PSCI_VERSION)" },
	{ "SMC32", 0xe1600070, "smc #0 (PSCI_VERSION)" },
};

static void write_program(struct kvm_vm *vm, uint32_t insn)
{
	uint32_t *code = addr_gpa2hva(vm, CODE_GPA);
	uint32_t *p = code + PROGRAM / 4;
	int i;

	/* Vectors: UNDEF (+0x4) returns past the faulting instruction; any
	 * other exception stops the guest where the test sees it. */
	for (i = 0; i < 8; i++)
		code[i] = A32_B_SELF;
	code[1] = A32_MOVS_PC_LR;

	p[0] = A32_MOVW_R0_0;
	p[1] = A32_MOVT_R0_8400;
	p[2] = insn;
	p[3] = A32_SUBS_R4_1;
	p[4] = A32_BNE(4 * 4, 0);
	p[5] = A32_STR_R4_R5;
	p[6] = A32_B_SELF;
}

static struct kvm_vm *a32_vm(struct kvm_vcpu **vcpu, uint32_t insn)
{
	struct kvm_vcpu_init init;
	struct kvm_vm *vm;

	struct kvm_arm_counter_offset offset = { .counter_offset = 1ULL << 40 };

	vm = vm_create_barebones();
	/* A physical counter offset makes KVM trap CNTPCT (without ECV). */
	if (vm_check_cap(vm, KVM_CAP_COUNTER_OFFSET))
		vm_ioctl(vm, KVM_ARM_SET_COUNTER_OFFSET, &offset);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, CODE_GPA, CODE_SLOT, 1, 0);
	write_program(vm, insn);
	*vcpu = __vm_vcpu_add(vm, 0);
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_EL1_32BIT;
	vcpu_ioctl(*vcpu, KVM_ARM_VCPU_INIT, &init);
	vcpu_set_reg(*vcpu, ARM64_CORE_REG(regs.pc), CODE_GPA + PROGRAM);
	vcpu_set_reg(*vcpu, ARM64_CORE_REG(regs.pstate), A32_SVC_MASKED);
	vcpu_set_reg(*vcpu, ARM64_CORE_REG(regs.regs[4]), N);
	vcpu_set_reg(*vcpu, ARM64_CORE_REG(regs.regs[5]), DONE_GPA);
	vcpu_set_reg(*vcpu, ARM64_CORE_REG(regs.regs[8]), CODE_GPA + SCRATCH);
	vcpu_set_reg(*vcpu, KVM_ARM64_SYS_REG(SYS_VBAR_EL1), CODE_GPA);
	return vm;
}

/* Runs the guest to its "done" write; false if it stopped elsewhere. */
static bool run_to_done(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t pc;

	vcpu_run(vcpu);
	if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == DONE_GPA &&
	    run->mmio.is_write)
		return true;
	vcpu_get_reg(vcpu, ARM64_CORE_REG(regs.pc), &pc);
	ksft_print_msg("  guest stopped: %s at pc %#lx\n", exit_reason_str(run->exit_reason), pc);
	return false;
}

static void run_case(const struct a32_case *c)
{
	struct kvm_vcpu *vcpu;
	struct ket_table t;
	struct kvm_vm *vm;
	uint64_t kvm_exits;
	bool done;
	int row = ket_type(c->row);

	vm = a32_vm(&vcpu, c->insn);
	done = run_to_done(vcpu);
	vcpu_run_complete_io(vcpu);
	ket_vcpu_table(vm, 0, &t);
	kvm_exits = ket_vcpu_stat(vcpu, "exits");
	if (done && kvm_exits < N && !t.rows[row].count) {
		ksft_test_result_skip("%s: %s makes no exit on this CPU (KVM counted %lu in all)\n",
				      c->row, c->asm_text, kvm_exits);
	} else {
		ksft_test_result(done && t.rows[row].count == N, "%s: %d x %s made %lu %s exits\n",
				 c->row, N, c->asm_text, t.rows[row].count, c->row);
	}
	ksft_test_result(ket_kvm_stats_match(vcpu, &t), "%s: the table matches KVM's binary stats\n",
			 c->row);
	kvm_vm_free(vm);
}

int main(void)
{
	int i;

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_EL1_32BIT));
	ket_require_module();
	ksft_set_plan(2 * ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
	ksft_finished();
}
