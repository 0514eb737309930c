// SPDX-License-Identifier: GPL-2.0
/*
 * exit_counts_test: guest code that makes exactly N exits of one kind
 * gives count N in that row of kvm_exit_timing's table, and the table
 * agrees with KVM's own counters.
 *
 * Each case runs in a fresh VM: the guest does its operation once (to
 * fault in code, data and page tables), syncs, does it N times, syncs
 * again. At a sync the vCPU thread is in user space, so every exit but
 * the sync itself has completed: the row's change between the two syncs
 * is exact. After the guest is done its pending exit is completed
 * (KVM_RUN with immediate_exit) and the whole table must match KVM's
 * binary stats.
 *
 * Needs root and the module (loaded if it is not: $KET_MODULE).
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "arch_timer.h"
#include "ucall_common.h"
#include "ket_gic.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

/* A memslot of fresh pages for the fault cases, 2 MiB aligned so that
 * one last-level page table maps it all. */
#define REGION_GPA	0xc0000000ULL
#define REGION_SLOT	1
#define REGION_PAGES	128

#define SGI_INTID	5
#define A64_RET		0xd65f03c0u

enum op {
	OP_HVC64, OP_SMC64, OP_SYS64, OP_WFI, OP_DIST_READ, OP_MMIO_USER,
	OP_MEM_FAULT, OP_INSN_FAULT, OP_TIMER, OP_SGI, OP_CNTPCT,
};

/* Shared with the guest (sync_global_to_guest). */
static enum op guest_op;
static uint64_t guest_n;
static uint64_t timer_delta;	/* counter ticks until the timer fires */

struct exit_case {
	const char *what;	/* what the guest does, for the TAP lines */
	enum op op;
	const char *row;	/* NULL: depends on the GIC (SGIs) */
	uint64_t n;
	bool gic;
	int nr_vcpus;
	bool el2;	/* @row is a row of the EL2 section */
};

static const struct exit_case cases[] = {
	{ "HVCs (PSCI_VERSION)", OP_HVC64, "HVC64", 200 },
	{ "SMCs (PSCI_VERSION)", OP_SMC64, "SMC64", 200 },
	{ "ID_AA64PFR0_EL1 reads (trapped by HCR_EL2.TID3)", OP_SYS64, "SYS64", 200 },
	{ "WFIs, each woken by an SPI", OP_WFI, "WFX", 20, true },
	{ "GIC distributor reads", OP_DIST_READ, "DABT_IO_MEM", 200, true },
	{ "reads of unbacked MMIO", OP_MMIO_USER, "DABT_IO_USER", 200 },
	{ "first writes to fresh pages", OP_MEM_FAULT, "DABT_USER_MEM", REGION_PAGES / 2 - 1 },
	{ "first executions of fresh pages", OP_INSN_FAULT, "IABT_LOW", REGION_PAGES / 2 - 1 },
	{ "virtual timer interrupts", OP_TIMER, "INTERRUPT", 20, true },
	{ "SGIs to another vCPU", OP_SGI, NULL, 200, true, 2 },
	{ "physical counter reads under a VM counter offset", OP_CNTPCT, "EL2_SYS64", 200,
	  .el2 = true },
};

/* The VM's counter offset in OP_CNTPCT: KVM then traps CNTPCT_EL0 reads
 * and emulates them at EL2, without leaving the guest. */
#define COUNTER_OFFSET	(1ULL << 40)

/* Page @i of the fault region: the first half is written, the second
 * half executed. */
static uint64_t region_page(uint64_t i)
{
	return REGION_GPA + i * 4096;
}

static void guest_do(enum op op, uint64_t i)
{
	struct arm_smccc_res res;

	switch (op) {
	case OP_HVC64:
		smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
		break;
	case OP_SMC64:
		smccc_smc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
		break;
	case OP_SYS64:
		(void)read_sysreg(id_aa64pfr0_el1);
		break;
	case OP_WFI:
		ket_guest_wfi_spi();
		break;
	case OP_DIST_READ:
		(void)ket_gic_dist_read();
		break;
	case OP_MMIO_USER:
		(void)readl((volatile void *)KET_MMIO_GPA);
		break;
	case OP_MEM_FAULT:
		WRITE_ONCE(*(volatile uint64_t *)region_page(i), i);
		break;
	case OP_INSN_FAULT:
		((void (*)(void))region_page(REGION_PAGES / 2 + i))();
		break;
	case OP_TIMER:
		timer_set_cval(VIRTUAL, timer_get_cntct(VIRTUAL) + timer_delta);
		timer_set_ctl(VIRTUAL, CTL_ENABLE);
		while (READ_ONCE(ket_timer_irqs[0]) <= i)
			cpu_relax();
		break;
	case OP_SGI:
		ket_gic_send_sgi(1, SGI_INTID);
		break;
	case OP_CNTPCT:
		(void)timer_get_cntct(PHYSICAL);
		break;
	}
}

static void guest_code(void)
{
	enum op op = READ_ONCE(guest_op);
	uint64_t i, n = READ_ONCE(guest_n);

	if (op == OP_WFI || op == OP_DIST_READ || op == OP_TIMER || op == OP_SGI)
		ket_gic_init(1);
	if (op == OP_WFI) {
		ket_gic_irq_set_edge(KET_SPI_INTID);
		ket_gic_irq_enable(KET_SPI_INTID);
	}
	if (op == OP_TIMER) {
		ket_gic_irq_enable(KET_VTIMER_INTID);
		local_irq_enable();
	}
	/* Once, to fault in what the loop touches: the fault cases use
	 * their page 0 for it and pages 1..n below. Not a WFI, which would
	 * wait for a wake-up the host only sends after the first sync. */
	if (op != OP_WFI)
		guest_do(op, 0);
	GUEST_SYNC(0);
	for (i = 1; i <= n; i++)
		guest_do(op, i);
	GUEST_SYNC(1);
	GUEST_DONE();
}

static void prepare_region(struct kvm_vm *vm)
{
	uint64_t i;

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, REGION_GPA, REGION_SLOT,
				    REGION_PAGES, 0);
	virt_map(vm, REGION_GPA, REGION_GPA, REGION_PAGES);
	/* Code for the execute half, written from the host side only. */
	for (i = REGION_PAGES / 2; i < REGION_PAGES; i++)
		*(uint32_t *)addr_gpa2hva(vm, region_page(i)) = A64_RET;
}

/* Invariants of every row: min <= avg <= max, percentiles in order and
 * in non-empty buckets, bucket counts summing to the count. */
static bool table_invariants(const struct ket_table *t, const struct ket_histogram *h)
{
	bool ok = true;
	int i, b;

	for (i = 0; i < KET_EXIT_TYPES; i++) {
		const struct ket_row *r = &t->rows[i];
		const struct ket_hist_row *hr = &h->rows[i];
		uint64_t sum = 0, pct[4] = { hr->p50, hr->p90, hr->p99, hr->p999 };
		int p;

		for (b = 0; b < hr->nbuckets; b++)
			sum += hr->buckets[b].count;
		if (sum != r->count || hr->count != r->count) {
			ksft_print_msg("  %s: count %lu, histogram %lu (sum %lu)\n",
				       ket_exit_types[i], r->count, hr->count, sum);
			ok = false;
		}
		if (!r->count) {
			if (r->min || r->max || r->avg || r->total || r->p50 || r->p99) {
				ksft_print_msg("  %s: empty row with non-zero values\n", ket_exit_types[i]);
				ok = false;
			}
			continue;
		}
		if (!(r->min <= r->avg && r->avg <= r->max && r->p50 <= r->p99 && r->p99 <= r->max &&
		      r->p50 >= r->min && r->total >= r->count * r->min)) {
			ksft_print_msg("  %s: min %lu avg %lu max %lu p50 %lu p99 %lu out of order\n",
				       ket_exit_types[i], r->min, r->avg, r->max, r->p50, r->p99);
			ok = false;
		}
		if (hr->p50 != r->p50 || hr->p99 != r->p99 ||
		    !(hr->p50 <= hr->p90 && hr->p90 <= hr->p99 && hr->p99 <= hr->p999)) {
			ksft_print_msg("  %s: histogram percentiles disagree\n", ket_exit_types[i]);
			ok = false;
		}
		for (p = 0; p < 4; p++) {
			bool inside = false;

			for (b = 0; b < hr->nbuckets; b++)
				inside |= hr->buckets[b].lo <= pct[p] && pct[p] <= hr->buckets[b].hi;
			if (!inside) {
				ksft_print_msg("  %s: percentile %lu in no non-empty bucket\n",
					       ket_exit_types[i], pct[p]);
				ok = false;
			}
		}
	}
	return ok;
}

static void run_case(const struct exit_case *c)
{
	int nr_vcpus = c->nr_vcpus ? c->nr_vcpus : 1;
	uint64_t kvm_before, kvm_after, row_delta, want;
	struct kvm_vcpu *vcpus[2];
	struct ket_table before, after, final;
	struct ket_histogram *hist;
	const char *row = c->row;
	struct kvm_vm *vm;
	int gic = 0, r;

	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	if (c->gic)
		gic = ket_vgic_setup(vm, nr_vcpus);
	if (!row)
		row = gic == 2 ? "DABT_IO_MEM_IPI" : "SYS64_IPI";
	r = c->el2 ? ket_el2_row(row) : ket_type(row);
	if (c->op == OP_CNTPCT) {
		struct kvm_arm_counter_offset offset = { .counter_offset = COUNTER_OFFSET };

		vm_ioctl(vm, KVM_ARM_SET_COUNTER_OFFSET, &offset);
	}
	if (c->op == OP_MEM_FAULT || c->op == OP_INSN_FAULT)
		prepare_region(vm);
	if (c->op == OP_MMIO_USER)
		virt_map(vm, KET_MMIO_GPA, KET_MMIO_GPA, 1);
	if (c->op == OP_TIMER) {
		ket_install_irq_handler(vm, vcpus, 1);
		/* 200 us: long enough to be back in the guest, spinning. */
		timer_delta = ket_counter_hz() / 5000;
		sync_global_to_guest(vm, timer_delta);
	}
	guest_op = c->op;
	guest_n = c->n;
	sync_global_to_guest(vm, guest_op);
	sync_global_to_guest(vm, guest_n);

	ket_run_to_sync(vcpus[0], 0);
	ket_vcpu_table(vm, 0, &before);
	kvm_before = ket_vcpu_stat(vcpus[0], "exits");
	if (c->op == OP_WFI)
		ket_wake_each_wfi(vm, vcpus[0], c->n);
	else
		ket_run_to_sync(vcpus[0], 1);
	ket_vcpu_table(vm, 0, &after);
	kvm_after = ket_vcpu_stat(vcpus[0], "exits");

	row_delta = c->el2 ? after.el2[r] - before.el2[r] : after.rows[r].count - before.rows[r].count;
	if (c->op == OP_TIMER) {
		/* Host timer ticks are INTERRUPT exits too: the exact check is
		 * that the phase made nothing but INTERRUPT exits (and the
		 * sync that began it), as many as KVM counted. */
		sync_global_from_guest(vm, ket_timer_irqs);
		want = ket_exits(&after) - ket_exits(&before) - 1;
		ksft_test_result(row_delta == want && row_delta >= 1 && ket_timer_irqs[0] == c->n + 1,
				 "%s: %lu %s made %lu INTERRUPT exits, all the phase's exits but its sync (%lu)\n",
				 row, c->n, c->what, row_delta, want);
	} else {
		want = c->n + (c->op == OP_MMIO_USER);	/* the first sync completes too */
		/* Each WFI that woke without its SPI was made again, and trapped
		 * unless the SPI came meanwhile (ket_wake_each_wfi()). */
		sync_global_from_guest(vm, ket_spurious_wakes);
		ksft_test_result(row_delta >= want && row_delta <= want + ket_spurious_wakes,
				 "%s: %lu %s made %lu %s exits (want %lu%s)\n",
				 row, c->n, c->what, row_delta, row, want,
				 ket_spurious_wakes ? ", and up to one more per WFI that woke without its SPI" : "");
	}
	ksft_test_result(ket_exits(&after) - ket_exits(&before) == kvm_after - kvm_before,
			 "%s: exits in the phase: %lu, KVM counted %lu\n", row,
			 ket_exits(&after) - ket_exits(&before), kvm_after - kvm_before);

	ket_run_to(vcpus[0], UCALL_DONE);
	vcpu_run_complete_io(vcpus[0]);
	ket_vcpu_table(vm, 0, &final);
	ksft_test_result(ket_kvm_stats_match(vcpus[0], &final),
			 "%s: the whole table matches KVM's binary stats\n", row);
	hist = malloc(sizeof(*hist));
	TEST_ASSERT(hist, "out of memory");
	ket_vcpu_histogram(vm, 0, hist);
	ksft_test_result(table_invariants(&final, hist),
			 "%s: min <= avg <= max, histogram sums to count, percentiles in their buckets\n",
			 row);
	free(hist);
	kvm_vm_free(vm);
}

static const char usage[] =
	"Usage: %1$s [-c counter|cycles] [-b] [-h]\n"
	"  -c CLOCK  time with CLOCK (written to the control file first; the\n"
	"            generic counter is restored at the end)\n"
	"  -b        with every breakdown on (switched off at the end)\n";

static void breakdowns(const char *state)
{
	char cmd[32];
	int i;

	for (i = 0; i < KET_BREAKDOWNS; i++) {
		snprintf(cmd, sizeof(cmd), "breakdown %s %s", ket_breakdowns[i], state);
		TEST_ASSERT(!ket_control_write(cmd), "cannot write '%s' to the control file", cmd);
	}
}

int main(int argc, char *argv[])
{
	const char *clock = NULL;
	char cmd[32], unit[32];
	bool keyed = false;
	int i, opt;

	while ((opt = getopt(argc, argv, "c:bh")) != -1) {
		switch (opt) {
		case 'b':
			keyed = true;
			break;
		case 'c':
			if (strcmp(optarg, "counter") && strcmp(optarg, "cycles"))
				ket_opt_fail('c', optarg, "counter or cycles");
			clock = optarg;
			break;
		case 'h':
			ket_usage(usage, KSFT_PASS);
		default:
			ket_usage(usage, KSFT_FAIL);
		}
	}
	ket_no_operands(argc, argv, usage);

	ksft_print_header();
	ket_require_module();
	ksft_set_plan(4 * ARRAY_SIZE(cases) + !!clock);
	if (clock) {
		snprintf(cmd, sizeof(cmd), "clock %s", clock);
		TEST_ASSERT(!ket_control_write(cmd), "cannot write '%s' to the control file", cmd);
		ket_control_text("unit", unit, sizeof(unit));
		ksft_test_result(!strcmp(unit, !strcmp(clock, "cycles") ? "cycles" : "ticks"),
				 "timing with the %s clock: unit %s\n", clock, unit);
	}
	if (keyed)
		breakdowns("on");
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
	if (keyed)
		breakdowns("off");
	if (clock)
		TEST_ASSERT(!ket_control_write("clock counter"), "cannot restore the counter");
	ksft_finished();
}
