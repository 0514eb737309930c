// SPDX-License-Identifier: GPL-2.0
/*
 * breakdown_test: guests that make exact numbers of keyed exits give
 * exactly those rows in kvm_exit_timing's breakdown files (sysregs,
 * hypercalls, wfx), each breakdown adds up to the rows it breaks down,
 * and the files follow the control file's "breakdown NAME on|off".
 *
 * - sysregs: N reads of ID_AA64PFR0_EL1 (trapped by HCR_EL2.TID3) and M
 *   writes of OSLAR_EL1 (MDCR_EL2.TDOSA);
 * - hypercalls: N PSCI_VERSION and M SMCCC_ARCH_FEATURES calls by HVC;
 * - wfx: N WFIs, each woken by an SPI, and WFEs made while
 *   another thread shares the vCPU's CPU (KVM traps WFE only then): both
 *   as many as KVM's wfi_exit_stat and wfe_exit_stat say. QEMU's TCG
 *   never traps WFE, so in the test bed the WFE point is skipped;
 * - mmio: N GIC distributor reads and M user MMIO reads at each of two
 *   64 KiB regions, 4 and 8 bytes wide, give those rows by device,
 *   region, direction and size;
 * - interrupts: a guest spins while another thread signals the vCPU's
 *   thread S times (each signal is a reschedule IPI to its CPU): its
 *   INTERRUPT exits are keyed by named host IRQs, IPI_RESCHEDULE and the
 *   host's timer among them, and no row counts more than the host took
 *   of that IRQ (/proc/interrupts);
 * - a VM's file sums its vCPUs, the global file keeps a destroyed VM's
 *   rows, a reset empties them, and a breakdown switched off adds nothing.
 *
 * Each phase runs between two syncs, when every exit but the sync has
 * completed: its rows are the change between the two reads.
 *
 * Needs root, the module (loaded if it is not: $KET_MODULE), and no other
 * VM running.
 */
#define _GNU_SOURCE	/* sched_getcpu(), CPU affinity */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_gic.h"
#include "ket_irqs.h"
#include "ket_module.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define N	200
#define M	100
#define SMCCC_ARCH_FEATURES	0x80000001u
#define SMCCC_VERSION		0x80000000u
#define SIGNALS			20
#define SPIN_MS			400

enum op { OP_SYSREGS, OP_HYPERCALLS, OP_WFI, OP_WFE, OP_MMIO, OP_SPIN };

/* The second user MMIO region of OP_MMIO, 64 KiB above the first. */
#define MMIO_GPA_2	(KET_MMIO_GPA + 0x10000)

/* Shared with the guest (sync_global_to_guest). */
static enum op guest_op;

static void guest_sysregs(void)
{
	int i;

	for (i = 0; i < N; i++)
		(void)read_sysreg(id_aa64pfr0_el1);
	for (i = 0; i < M; i++)
		asm volatile("msr oslar_el1, %0" : : "r"(0UL));
}

static void guest_hypercalls(void)
{
	struct arm_smccc_res res;
	int i;

	for (i = 0; i < N; i++)
		smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
	for (i = 0; i < M; i++)
		smccc_hvc(SMCCC_ARCH_FEATURES, SMCCC_VERSION, 0, 0, 0, 0, 0, 0, &res);
}

/* WFIs, each woken by an SPI the host injects once KVM counted its exit
 * (ket_wake_each_wfi()): every one traps. */
static void guest_wfis(void)
{
	int i;

	for (i = 0; i < N; i++)
		ket_guest_wfi_spi();
}

/* N GIC distributor reads (emulated in the kernel), then M reads of user
 * MMIO at each of two 64 KiB regions, the second 8 bytes wide. */
static void guest_mmio(void)
{
	int i;

	for (i = 0; i < N; i++)
		(void)ket_gic_dist_read();
	for (i = 0; i < M; i++) {
		(void)readl((volatile void *)KET_MMIO_GPA);
		(void)readq((volatile void *)MMIO_GPA_2);
	}
}

/* SPIN_MS of guest time without a trap: only interrupts make it exit. */
static void guest_spin(void)
{
	uint64_t hz = read_sysreg(cntfrq_el0);
	uint64_t end = read_sysreg(cntvct_el0) + hz * SPIN_MS / 1000;

	while (read_sysreg(cntvct_el0) < end)
		;
}

/* The first WFE of each pair consumes the event SEVL sets; the second
 * would wait, so KVM traps it if HCR_EL2.TWE is set. */
static void guest_wfes(void)
{
	int i;

	for (i = 0; i < M; i++)
		asm volatile("sevl\n\twfe\n\twfe" : : : "memory");
}

static void guest_code(void)
{
	enum op op = READ_ONCE(guest_op);

	if (op == OP_WFI || op == OP_MMIO) {
		ket_gic_init(1);
		ket_gic_irq_set_edge(KET_SPI_INTID);
		ket_gic_irq_enable(KET_SPI_INTID);
	}
	GUEST_SYNC(0);
	switch (op) {
	case OP_SYSREGS:
		guest_sysregs();
		break;
	case OP_HYPERCALLS:
		guest_hypercalls();
		break;
	case OP_WFI:
		guest_wfis();
		break;
	case OP_WFE:
		guest_wfes();
		break;
	case OP_MMIO:
		guest_mmio();
		break;
	case OP_SPIN:
		guest_spin();
		break;
	}
	GUEST_SYNC(1);
	GUEST_DONE();
}

static void control(const char *cmd)
{
	TEST_ASSERT(!ket_control_write(cmd), "cannot write '%s' to the control file", cmd);
}

/* A one-vCPU VM that runs @op, with a vGIC if it needs one. */
static struct kvm_vm *vm_for(enum op op, struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	if (op == OP_WFI || op == OP_MMIO)
		ket_vgic_setup(vm, 1);
	if (op == OP_MMIO) {
		virt_map(vm, KET_MMIO_GPA, KET_MMIO_GPA, 1);
		virt_map(vm, MMIO_GPA_2, MMIO_GPA_2, 1);
	}
	guest_op = op;
	sync_global_to_guest(vm, guest_op);
	return vm;
}

/* The change of each row of breakdown @name of vCPU 0 over @op's phase,
 * with the table before and after. */
struct phase {
	struct ket_breakdown before, after;
	struct ket_table t0, t1;
	uint64_t wfi, wfe;	/* KVM's wfi_exit_stat, wfe_exit_stat changes */
	uint64_t spurious;	/* WFIs that woke without their SPI */
	int signals;		/* sent to the vCPU's thread (-1: none, one CPU) */
	struct ket_irqs irqs0, irqs1;	/* /proc/interrupts before and after */
};

static uint64_t delta(const struct phase *p, const char *type, const char *key,
		      const char *detail)
{
	return ket_key_count(&p->after, type, key, detail) -
	       ket_key_count(&p->before, type, key, detail);
}

static uint64_t row_delta(const struct phase *p, const char *row)
{
	return p->t1.rows[ket_type(row)].count - p->t0.rows[ket_type(row)].count;
}

/* Whether every exit type of the breakdown adds up to its table row. */
static bool adds_up(const struct ket_breakdown *b, const struct ket_table *t)
{
	uint64_t keyed = ket_key_total(b, NULL), rows = 0;
	int i;

	for (i = 0; i < b->nrows; i++)
		if (strcmp(b->rows[i].type, "OTHER") &&
		    ket_key_total(b, b->rows[i].type) != t->rows[ket_type(b->rows[i].type)].count)
			return false;
	for (i = 0; i < KET_EXIT_TYPES; i++) {
		const char *name = ket_exit_types[i];

		if ((!strcmp(b->kind, "sysregs") &&
		     (!strncmp(name, "SYS64", 5) || !strncmp(name, "CP1", 3))) ||
		    (!strcmp(b->kind, "hypercalls") &&
		     (!strncmp(name, "HVC", 3) || !strncmp(name, "SMC", 3))) ||
		    (!strcmp(b->kind, "wfx") && !strcmp(name, "WFX")) ||
		    (!strcmp(b->kind, "mmio") && !strncmp(name, "DABT_IO_", 8)) ||
		    (!strcmp(b->kind, "interrupts") && !strcmp(name, "INTERRUPT")))
			rows += t->rows[i].count;
	}
	if (keyed != rows)
		ksft_print_msg("  %s: %lu keyed exits, %lu in its rows\n", b->kind, keyed, rows);
	return keyed == rows;
}

static void *spin(void *stop)
{
	while (!__atomic_load_n((bool *)stop, __ATOMIC_RELAXED))
		;
	return NULL;
}

/* Pins the calling thread to the CPU it runs on (its affinity was *@old)
 * and starts a thread that spins there until *@stop. */
static pthread_t share_cpu(bool *stop, cpu_set_t *old)
{
	cpu_set_t set;
	pthread_attr_t attr;
	pthread_t t;

	TEST_ASSERT(!sched_getaffinity(0, sizeof(*old), old), "sched_getaffinity");
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity");
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	TEST_ASSERT(!pthread_create(&t, &attr, spin, stop), "pthread_create");
	pthread_attr_destroy(&attr);
	return t;
}

/* The thread that signals the vCPU's thread, from another CPU. */
struct signaller {
	pthread_t vcpu_thread, thread;
	bool stop;
	int sent;
};

static void on_signal(int sig)
{
}

static void *signal_vcpu(void *arg)
{
	struct signaller *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED) && s->sent < SIGNALS) {
		usleep(SPIN_MS * 1000 / (2 * SIGNALS));
		pthread_kill(s->vcpu_thread, SIGUSR1);
		s->sent++;
	}
	return NULL;
}

/* Pins the calling thread (the vCPU's) to its CPU and starts the
 * signaller on another one; false if there is no other CPU. */
static bool start_signaller(struct signaller *s, cpu_set_t *old)
{
	cpu_set_t here, there;
	pthread_attr_t attr;
	int cpu = sched_getcpu(), i;

	memset(s, 0, sizeof(*s));
	signal(SIGUSR1, on_signal);
	TEST_ASSERT(!sched_getaffinity(0, sizeof(*old), old), "sched_getaffinity");
	CPU_ZERO(&here);
	CPU_SET(cpu, &here);
	CPU_ZERO(&there);
	for (i = 0; i < CPU_SETSIZE; i++)
		if (i != cpu && CPU_ISSET(i, old))
			CPU_SET(i, &there);
	if (!CPU_COUNT(&there))
		return false;
	TEST_ASSERT(!sched_setaffinity(0, sizeof(here), &here), "sched_setaffinity");
	s->vcpu_thread = pthread_self();
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(there), &there);
	TEST_ASSERT(!pthread_create(&s->thread, &attr, signal_vcpu, s), "pthread_create");
	pthread_attr_destroy(&attr);
	return true;
}

static void stop_signaller(struct signaller *s, const cpu_set_t *old)
{
	__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
	pthread_join(s->thread, NULL);
	sched_setaffinity(0, sizeof(*old), old);
}

/* Runs @op's phase in a fresh VM, with breakdown @name on; then checks
 * the whole table against the breakdown and KVM's stats. */
static void run_phase(enum op op, const char *name, struct phase *p)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_for(op, &vcpu);
	struct ket_breakdown end;
	struct ket_table final;
	uint64_t wfi0, wfe0;
	bool stop = false, signalling = false;
	struct signaller signaller;
	pthread_t spinner;
	cpu_set_t affinity;

	ket_run_to_sync(vcpu, 0);
	ket_vcpu_breakdown(vm, 0, name, &p->before);
	ket_vcpu_table(vm, 0, &p->t0);
	wfi0 = ket_vcpu_stat(vcpu, "wfi_exit_stat");
	wfe0 = ket_vcpu_stat(vcpu, "wfe_exit_stat");
	if (op == OP_WFE)
		spinner = share_cpu(&stop, &affinity);
	if (op == OP_SPIN) {
		ket_proc_interrupts(&p->irqs0);
		signalling = start_signaller(&signaller, &affinity);
	}
	if (op == OP_WFI)
		ket_wake_each_wfi(vm, vcpu, N);
	else
		ket_run_to_sync(vcpu, 1);
	sync_global_from_guest(vm, ket_spurious_wakes);
	p->spurious = ket_spurious_wakes;
	if (op == OP_WFE) {
		__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
		pthread_join(spinner, NULL);
		sched_setaffinity(0, sizeof(affinity), &affinity);
	}
	if (signalling)
		stop_signaller(&signaller, &affinity);
	p->signals = signalling ? signaller.sent : -1;
	if (op == OP_SPIN)
		ket_proc_interrupts(&p->irqs1);
	ket_vcpu_breakdown(vm, 0, name, &p->after);
	ket_vcpu_table(vm, 0, &p->t1);
	p->wfi = ket_vcpu_stat(vcpu, "wfi_exit_stat") - wfi0;
	p->wfe = ket_vcpu_stat(vcpu, "wfe_exit_stat") - wfe0;

	ket_run_to(vcpu, UCALL_DONE);
	vcpu_run_complete_io(vcpu);
	ket_vcpu_breakdown(vm, 0, name, &end);
	ket_vcpu_table(vm, 0, &final);
	ksft_test_result(end.on && adds_up(&end, &final) && ket_kvm_stats_match(vcpu, &final),
			 "%s: the whole file adds up to the rows it breaks down; the table matches KVM's stats\n",
			 name);
	kvm_vm_free(vm);
}

static void test_sysregs(void)
{
	struct phase p;

	run_phase(OP_SYSREGS, "sysregs", &p);
	ksft_test_result(delta(&p, "SYS64", "ID_AA64PFR0_EL1", "read") == N &&
			 delta(&p, "SYS64", "OSLAR_EL1", "write") == M &&
			 row_delta(&p, "SYS64") == N + M,
			 "sysregs: %d ID_AA64PFR0_EL1 reads and %d OSLAR_EL1 writes give rows of %lu and %lu (SYS64 %lu)\n",
			 N, M, delta(&p, "SYS64", "ID_AA64PFR0_EL1", "read"),
			 delta(&p, "SYS64", "OSLAR_EL1", "write"), row_delta(&p, "SYS64"));
}

static void test_hypercalls(void)
{
	struct phase p;

	run_phase(OP_HYPERCALLS, "hypercalls", &p);
	ksft_test_result(delta(&p, "HVC64", "PSCI_VERSION", "0x84000000") == N &&
			 delta(&p, "HVC64", "SMCCC_ARCH_FEATURES", "0x80000001") == M &&
			 row_delta(&p, "HVC64") == N + M,
			 "hypercalls: %d PSCI_VERSION and %d SMCCC_ARCH_FEATURES calls give rows of %lu and %lu (HVC64 %lu)\n",
			 N, M, delta(&p, "HVC64", "PSCI_VERSION", NULL),
			 delta(&p, "HVC64", "SMCCC_ARCH_FEATURES", NULL), row_delta(&p, "HVC64"));
}

static void test_wfx(void)
{
	struct phase p;
	uint64_t wfi, wfe;

	run_phase(OP_WFI, "wfx", &p);
	wfi = delta(&p, "WFX", "WFI", NULL);
	ksft_test_result(wfi >= N && wfi <= N + p.spurious && wfi == p.wfi &&
			 delta(&p, "WFX", "WFE", NULL) == p.wfe,
			 "wfx: %d WFIs, each woken by an SPI, give a WFI row of %lu (%lu woke without it and were made again); KVM counted %lu WFI and %lu WFE exits\n",
			 N, wfi, p.spurious, p.wfi, p.wfe);
	run_phase(OP_WFE, "wfx", &p);
	wfe = delta(&p, "WFX", "WFE", NULL);
	if (wfe == 0 && p.wfe == 0 && delta(&p, "WFX", "WFI", NULL) == p.wfi)
		/* QEMU's TCG runs WFE as a yield, which never traps. */
		ksft_test_result_skip("wfx: %d WFE pairs on a shared CPU made no WFE exit (KVM counted none either): WFE does not trap on this host\n",
				      M);
	else
		ksft_test_result(wfe == p.wfe && wfe >= 1 && wfe <= M &&
				 delta(&p, "WFX", "WFI", NULL) == p.wfi,
				 "wfx: %d WFE pairs on a shared CPU give a WFE row of %lu; KVM counted %lu WFE and %lu WFI exits\n",
				 M, wfe, p.wfe, p.wfi);
}

static void test_mmio(void)
{
	struct phase p;
	uint64_t gicd = 0, user4, user8;
	int i;

	run_phase(OP_MMIO, "mmio", &p);
	/* The distributor's region depends on the GIC: any GICD row. */
	for (i = 0; i < p.after.nrows; i++)
		if (!strcmp(p.after.rows[i].type, "DABT_IO_MEM") &&
		    !strncmp(p.after.rows[i].key, "GICD@", 5) && !strcmp(p.after.rows[i].detail, "read4"))
			gicd += p.after.rows[i].count;
	for (i = 0; i < p.before.nrows; i++)
		if (!strcmp(p.before.rows[i].type, "DABT_IO_MEM") &&
		    !strncmp(p.before.rows[i].key, "GICD@", 5) && !strcmp(p.before.rows[i].detail, "read4"))
			gicd -= p.before.rows[i].count;
	user4 = delta(&p, "DABT_IO_USER", "VMM@0xa0000000", "read4");
	user8 = delta(&p, "DABT_IO_USER", "VMM@0xa0010000", "read8");
	ksft_test_result(gicd == N && user4 == M && user8 == M &&
			 row_delta(&p, "DABT_IO_MEM") == N && row_delta(&p, "DABT_IO_USER") == 2 * M + 1,
			 "mmio: %d distributor reads and %d user reads at each of two regions give GICD %lu, VMM@0xa0000000 read4 %lu, VMM@0xa0010000 read8 %lu\n",
			 N, M, gicd, user4, user8);
}

/* The host's count of interrupt @key/@detail (a row of the interrupts
 * file) over the phase: of IRQ n for "irqn", of the IPI of its kind. */
static int64_t host_count(const struct phase *p, const char *key, const char *detail)
{
	static const char *const ipis[][2] = {
		{ "IPI_RESCHEDULE", "Rescheduling interrupts" },
		{ "IPI_CALL_FUNC", "Function call interrupts" },
		{ "IPI_CPU_STOP", "CPU stop interrupts" },
		{ "IPI_TIMER", "Timer broadcast interrupts" },
		{ "IPI_IRQ_WORK", "IRQ work interrupts" },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(ipis); i++)
		if (!strcmp(key, ipis[i][0]))
			return ket_irq_count(&p->irqs1, NULL, ipis[i][1]) -
			       ket_irq_count(&p->irqs0, NULL, ipis[i][1]);
	if (!strncmp(detail, "irq", 3))
		return ket_irq_count(&p->irqs1, detail + 3, NULL) -
		       ket_irq_count(&p->irqs0, detail + 3, NULL);
	return -1;
}

static void test_interrupts(void)
{
	struct phase p;
	uint64_t resched, timer = 0, unnamed = 0, total;
	bool bounded = true;
	int i;

	run_phase(OP_SPIN, "interrupts", &p);
	for (i = 0; i < p.after.nrows; i++) {
		const struct ket_key_row *r = &p.after.rows[i];
		uint64_t d = delta(&p, r->type, r->key, r->detail);
		int64_t host;

		if (strcmp(r->type, "INTERRUPT") || !d)
			continue;
		if (!strcmp(r->key, "IRQ"))
			unnamed += d;
		if (!strcmp(r->key, "arch_timer"))
			timer += d;
		host = host_count(&p, r->key, r->detail);
		ksft_print_msg("  %-20s %-8s %6lu exits, %6ld taken by the host\n", r->key, r->detail,
			       d, host);
		if (host >= 0 && d > host)
			bounded = false;
	}
	resched = delta(&p, "INTERRUPT", "IPI_RESCHEDULE", NULL);
	total = row_delta(&p, "INTERRUPT");
	if (p.signals < 0) {
		ksft_test_result_skip("interrupts: one CPU, the vCPU's thread cannot be signalled from another\n");
		return;
	}
	ksft_test_result(bounded && !unnamed && timer >= 1 && resched >= 1 && total >= timer + resched,
			 "interrupts: a spinning guest whose thread got %d signals has %lu INTERRUPT exits: %lu IPI_RESCHEDULE, %lu arch_timer, %lu unnamed; none above the host's counts\n",
			 p.signals, total, resched, timer, unnamed);
}

/* A VM's file sums its vCPUs; the global file keeps a destroyed VM's. */
static void test_scopes(void)
{
	struct kvm_vcpu *vcpus[2];
	struct ket_breakdown vm_file, all;
	struct ket_vcpu_thread t[2];
	struct kvm_vm *vm;
	char dir[128];
	uint64_t per_vcpu[2];
	int i;

	control("reset");
	guest_op = OP_HYPERCALLS;
	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	sync_global_to_guest(vm, guest_op);
	for (i = 0; i < 2; i++)
		ket_vcpu_thread_start(&t[i], vcpus[i]);
	for (i = 0; i < 2; i++)
		TEST_ASSERT(ket_vcpu_thread_join(vm, &t[i]), "vCPU %d did not finish", i);
	for (i = 0; i < 2; i++) {
		struct ket_breakdown b;

		ket_vcpu_breakdown(vm, i, "hypercalls", &b);
		per_vcpu[i] = ket_key_count(&b, "HVC64", "PSCI_VERSION", NULL);
	}
	ket_vm_breakdown(vm, "hypercalls", &vm_file);
	ksft_test_result(vm_file.vcpus == 2 && per_vcpu[0] == N && per_vcpu[1] == N &&
			 ket_key_count(&vm_file, "HVC64", "PSCI_VERSION", NULL) == 2 * N,
			 "a VM's hypercalls file sums its %lu vCPUs: %lu PSCI_VERSION (%lu + %lu)\n",
			 vm_file.vcpus, ket_key_count(&vm_file, "HVC64", "PSCI_VERSION", NULL),
			 per_vcpu[0], per_vcpu[1]);
	ket_vm_dir(vm, dir, sizeof(dir));
	kvm_vm_free(vm);
	for (i = 0; i < 100 && ket_is_dir(dir); i++)
		usleep(100 * 1000);
	TEST_ASSERT(!ket_is_dir(dir), "%s stayed after its VM was destroyed", dir);
	TEST_ASSERT(!ket_read_breakdown(KET_DEBUGFS_ROOT "/hypercalls", &all), "reading hypercalls");
	ksft_test_result(ket_key_count(&all, "HVC64", "PSCI_VERSION", NULL) == 2 * N &&
			 ket_key_count(&all, "HVC64", "SMCCC_ARCH_FEATURES", NULL) == 2 * M,
			 "the global hypercalls file keeps the destroyed VM's rows: %lu PSCI_VERSION\n",
			 ket_key_count(&all, "HVC64", "PSCI_VERSION", NULL));
	control("reset");
	TEST_ASSERT(!ket_read_breakdown(KET_DEBUGFS_ROOT "/hypercalls", &all), "reading hypercalls");
	ksft_test_result(ket_key_total(&all, NULL) == 0 && all.nrows == 1,
			 "reset empties the global file: %d rows, %lu exits\n", all.nrows,
			 ket_key_total(&all, NULL));
}

/* Switched off, a breakdown keeps its rows and adds no more. */
static void test_off(void)
{
	struct ket_breakdown before, after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_for(OP_SYSREGS, &vcpu);
	char state[96];

	ket_run_to_sync(vcpu, 0);
	control("breakdown sysregs off");
	ket_control_text("breakdowns", state, sizeof(state));
	ket_vcpu_breakdown(vm, 0, "sysregs", &before);
	ket_run_to_sync(vcpu, 1);
	ket_vcpu_breakdown(vm, 0, "sysregs", &after);
	ksft_test_result(!after.on && ket_key_total(&after, NULL) == ket_key_total(&before, NULL) &&
			 strstr(state, "sysregs off"),
			 "switched off, sysregs adds nothing: %lu exits before, %lu after (breakdowns: %s)\n",
			 ket_key_total(&before, NULL), ket_key_total(&after, NULL), state);
	ket_run_to(vcpu, UCALL_DONE);
	kvm_vm_free(vm);
}

static const char usage[] = "Usage: %1$s [-h]\n";

int main(int argc, char *argv[])
{
	char state[96];
	int opt, i;

	while ((opt = getopt(argc, argv, "h")) != -1)
		ket_usage(usage, opt == 'h' ? KSFT_PASS : KSFT_FAIL);
	ket_no_operands(argc, argv, usage);

	ksft_print_header();
	ket_require_module();
	ksft_set_plan(17);
	for (i = 0; i < KET_BREAKDOWNS; i++) {
		char cmd[32];

		snprintf(cmd, sizeof(cmd), "breakdown %s on", ket_breakdowns[i]);
		control(cmd);
	}
	ket_control_text("breakdowns", state, sizeof(state));
	ksft_test_result(!strcmp(state, "sysregs on hypercalls on wfx on mmio on interrupts on ipi off"),
			 "control: breakdowns: %s\n", state);
	test_sysregs();
	test_hypercalls();
	test_wfx();
	test_mmio();
	test_interrupts();
	test_scopes();
	test_off();
	control("breakdown hypercalls off");
	control("breakdown wfx off");
	control("breakdown mmio off");
	control("breakdown interrupts off");
	ket_control_text("breakdowns", state, sizeof(state));
	TEST_ASSERT(!strcmp(state, "sysregs off hypercalls off wfx off mmio off interrupts off ipi off"),
		    "breakdowns: %s", state);
	ksft_finished();
}
