// SPDX-License-Identifier: GPL-2.0
/*
 * load_churn_test: kvm_exit_timing loads and unloads cycle after cycle
 * while 4 VMs of 4 vCPUs run exit storms (each round: HVCs, GIC
 * distributor reads, MMIO completed here, an SGI to the next vCPU, a WFI
 * woken by the virtual timer, a ucall), 2 threads read every debugfs file
 * in a loop and one writes resets. Every load and unload succeeds, every
 * guest progresses in every cycle, file operations fail only as the
 * tree's coming and going explains, and the module still counts exactly
 * afterwards: the storm vCPUs' tables fit KVM's exit counts since the last
 * load, and a VM created then matches KVM's binary stats.
 *
 * Usage: load_churn_test [-n cycles]   (default 20)
 * Needs root and debugfs; the module must not be loaded at the start.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "arch_timer.h"
#include "ucall_common.h"
#include "ket_gic.h"
#include "ket_module.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define NR_VMS		4
#define VM_VCPUS	4
#define NR_VCPUS	(NR_VMS * VM_VCPUS)
#define FRESH_VCPUS	2
#define FRESH_ROUNDS	50
#define SGI_INTID	1
#define KICK_INTID	20	/* a PPI the test raises to end a lost WFI */
#define READERS		2
#define READ_BUF	(1 << 20)	/* a histogram file is < 400 KB */

/* Shared with the guests, one copy in each VM. */
static uint64_t stop, rounds, nr_vcpus, timer_delta;
/* WFIs the timer did not end within 100 ms of its deadline (the nested
 * QEMU bed has been seen to lose a wake-up under host load): the guest
 * goes on rather than hang, and the test reports them. */
static uint64_t timer_late[VM_VCPUS];

/* Rounds until told to stop, or @rounds of them if that is set. */
static void guest_code(void)
{
	uint32_t me = guest_get_vcpuid(), n = READ_ONCE(nr_vcpus);
	struct arm_smccc_res res;
	uint64_t r, i, deadline, fired;

	ket_gic_init(n);
	ket_gic_irq_enable(SGI_INTID);
	ket_gic_irq_enable(KICK_INTID);
	ket_gic_irq_enable(KET_VTIMER_INTID);
	local_irq_enable();
	for (r = 0; !READ_ONCE(stop) && (!rounds || r < rounds); r++) {
		for (i = 0; i < 3; i++) {
			smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
			(void)ket_gic_dist_read();
		}
		(void)readl((volatile void *)KET_MMIO_GPA);
		(void)readl((volatile void *)KET_MMIO_GPA);
		ket_gic_send_sgi((me + 1) % n, SGI_INTID);
		fired = READ_ONCE(ket_timer_irqs[me]);
		deadline = timer_get_cntct(VIRTUAL) + timer_delta;
		timer_set_cval(VIRTUAL, deadline);
		timer_set_ctl(VIRTUAL, CTL_ENABLE);
		while (READ_ONCE(ket_timer_irqs[me]) == fired) {
			if (timer_get_cntct(VIRTUAL) > deadline + 1000 * timer_delta) {
				WRITE_ONCE(timer_late[me], timer_late[me] + 1);
				timer_set_ctl(VIRTUAL, CTL_IMASK);
				break;
			}
			wfi();
		}
		GUEST_SYNC(r);
	}
	GUEST_DONE();
}

struct vcpu_thread {
	struct ket_vcpu_thread run;
	int stats_fd;		/* KVM's stats, readable while it runs */
};

/* A VM of @n vCPUs running guest_code(), one thread each. */
static struct kvm_vm *start_vm(int n, uint64_t max_rounds, struct vcpu_thread *t)
{
	struct kvm_vcpu *vcpus[VM_VCPUS];
	struct kvm_vm *vm;
	int i;

	vm = vm_create_with_vcpus(n, guest_code, vcpus);
	ket_vgic_setup(vm, n);
	ket_install_irq_handler(vm, vcpus, n);
	virt_map(vm, KET_MMIO_GPA, KET_MMIO_GPA, 1);
	stop = 0;
	rounds = max_rounds;
	nr_vcpus = n;
	timer_delta = ket_counter_hz() / 10000;		/* 100 us */
	sync_global_to_guest(vm, stop);
	sync_global_to_guest(vm, rounds);
	sync_global_to_guest(vm, nr_vcpus);
	sync_global_to_guest(vm, timer_delta);
	for (i = 0; i < n; i++) {
		t[i].stats_fd = ket_vcpu_stats_fd(vcpus[i]);
		ket_vcpu_thread_start(&t[i].run, vcpus[i]);
	}
	return vm;
}

/*
 * The helpers. An open module file holds a reference on the module (it
 * owns its fops, rust/debugfs.rs FileOps::empty(); debugfs'
 * full_proxy_open() takes it with fops_get()): reads and writes never
 * fail, and delete_module() refuses with EWOULDBLOCK while one is open
 * (open_now counts them). No open() runs during a delete_module()
 * (open_lock): try_stop_module() drops the refcount to 0 before it marks
 * the module going, and an open in between makes full_proxy_open() WARN
 * "did not clean up at exit", a kernel race. So the only error the tree's
 * coming and going explains is ENOENT from opendir() or open() (a removed
 * file's EIO turns into it in full_proxy_open()); not even ENXIO.
 */
struct tally {
	uint64_t ok, enoent, unexpected;
	char *buf;
};

static struct tally tallies[READERS + 1];	/* the last: the resetter */
static uint64_t open_now, readers_stop, resetter_stop;
/* Writers first, or the helpers' opens would starve unload(). */
static pthread_rwlock_t open_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static struct vcpu_thread storm[NR_VCPUS], fresh[FRESH_VCPUS];
static struct kvm_vm *storm_vms[NR_VMS];

static void failed(struct tally *t, const char *op, const char *path, int err)
{
	if (err == ENOENT && (!strcmp(op, "open") || !strcmp(op, "opendir")))
		t->enoent++;
	else if (t->unexpected++ < 10)
		ksft_print_msg("%s %s: %s\n", op, path, err ? strerror(err) : "not a whole file");
}

/* Writes @text to @path, or reads it to EOF if @text is NULL: then the
 * text must be a whole file of its kind (@name). */
static void file_op(struct tally *t, const char *path, const char *name, const char *text)
{
	const char *end = !strcmp(name, "control") ? "\ndropped_unpaired: " :
			  !strcmp(name, "histogram") ? "\npercentiles UNKNOWN " :
			  ket_is_breakdown(name) ? "\nOTHER " :
			  !strcmp(name, "ipi") ? "\nSGI_TO_IN_HOST " : "\nUNKNOWN ";
	ssize_t n = 0, len = 0;
	int fd, err;

	pthread_rwlock_rdlock(&open_lock);
	__atomic_add_fetch(&open_now, 1, __ATOMIC_SEQ_CST);
	fd = open(path, text ? O_WRONLY : O_RDONLY);
	err = errno;
	pthread_rwlock_unlock(&open_lock);
	if (fd >= 0 && text && write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		n = -1;
	while (fd >= 0 && !text && len < READ_BUF - 1 &&
	       (n = read(fd, t->buf + len, READ_BUF - 1 - len)) > 0)
		len += n;
	if (fd >= 0) {
		err = errno;
		close(fd);	/* the module reference goes before it returns */
	}
	__atomic_sub_fetch(&open_now, 1, __ATOMIC_SEQ_CST);
	if (!text)
		t->buf[len] = 0;
	if (fd < 0 || n < 0)
		failed(t, fd < 0 ? "open" : text ? "write" : "read", path, err);
	else if (!text && (!len || strncmp(t->buf, "# kvm_exit_timing ", 18) ||
			   !strstr(t->buf, end) || t->buf[len - 1] != '\n'))
		failed(t, "read", path, 0);
	else
		__atomic_add_fetch(&t->ok, 1, __ATOMIC_RELAXED);
}

/* Reads every readable file under @dir; false if @dir cannot be opened. */
static bool read_tree(struct tally *t, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d) {
		failed(t, "opendir", dir, errno);
		return false;
	}
	for (errno = 0; (e = readdir(d)); errno = 0) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			read_tree(t, path);
		else if (strcmp(e->d_name, "reset"))	/* write-only */
			file_op(t, path, e->d_name, NULL);
	}
	if (errno)
		failed(t, "readdir", dir, errno);
	closedir(d);
	return true;
}

static void *reader(void *arg)
{
	struct tally *t = arg;

	t->buf = malloc(READ_BUF);
	TEST_ASSERT(t->buf, "out of memory");
	while (!__atomic_load_n(&readers_stop, __ATOMIC_RELAXED))
		if (!read_tree(t, KET_DEBUGFS_ROOT))
			usleep(100);	/* not loaded */
	return NULL;
}

/* Resets everything, then one VM, in turn. */
static void *resetter(void *t)
{
	char path[192];
	int i;

	for (i = 0; !__atomic_load_n(&resetter_stop, __ATOMIC_RELAXED); i++) {
		file_op(t, KET_DEBUGFS_ROOT "/control", "control", "reset");
		ket_vm_dir(storm_vms[i % NR_VMS], path, sizeof(path) - 8);
		file_op(t, strcat(path, "/reset"), "reset", "1");
		usleep((1 + i % 7) * 1000);
	}
	return NULL;
}

/*
 * Unloads while the helpers run. delete_module() may refuse with
 * EWOULDBLOCK (EAGAIN) only if a helper had a module file open when it
 * began (none is opened during the call); then, once the open files are
 * closed (none is opened meanwhile either), a second call must succeed.
 */
static int unload(uint64_t *refused)
{
	uint64_t held;
	int ret;

	pthread_rwlock_wrlock(&open_lock);
	held = __atomic_load_n(&open_now, __ATOMIC_SEQ_CST);
	ret = ket_module_unload();
	if (ret == -EAGAIN && held) {
		(*refused)++;
		while (__atomic_load_n(&open_now, __ATOMIC_SEQ_CST))
			usleep(100);
		held = 0;
		ret = ket_module_unload();
	}
	pthread_rwlock_unlock(&open_lock);
	if (ret == -EAGAIN && !held)
		ksft_print_msg("delete_module: EAGAIN with no module file open\n");
	return ret;
}

/*
 * Joins @t's thread, raising a PPI on its vCPU every 100 ms meanwhile: once
 * its neighbours stopped, only its own timer can end a WFI it waits in,
 * and the nested bed has been seen to lose such a wake-up (the vCPU then
 * sleeps in kvm_vcpu_block() with its timer long expired). The kick lets
 * the guest see the deadline passed and count a late timer.
 */
static void join_kicking(struct kvm_vm *vm, struct vcpu_thread *t)
{
	uint32_t ppi = KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT |
		       t->run.vcpu->id << KVM_ARM_IRQ_VCPU_SHIFT | KICK_INTID;

	while (pthread_tryjoin_np(t->run.thread, NULL)) {
		usleep(100000);
		kvm_irq_line(vm, ppi, 1);
		kvm_irq_line(vm, ppi, 0);
	}
	TEST_ASSERT(t->run.done, "vCPU %u stopped before GUEST_DONE (above)", t->run.vcpu->id);
}

/* @vm's count of late timers on vCPU @id, from its guest. */
static uint64_t timer_late_of(struct kvm_vm *vm, int id)
{
	sync_global_from_guest(vm, timer_late);
	return timer_late[id];
}

/* Waits up to 10 s for every storm vCPU to sync past @before. */
static bool all_progress(const uint64_t *before, int cycle)
{
	int i, ms = 0;

	for (i = 0; i < NR_VCPUS; i++)
		while (ket_vcpu_syncs(&storm[i].run) <= before[i]) {
			if (ms++ == 10000) {
				ksft_print_msg("cycle %d: VM %d vCPU %d made no ucall from the load until 10 s after the unload\n",
					       cycle, i / VM_VCPUS, i % VM_VCPUS);
				return false;
			}
			usleep(1000);
		}
	return true;
}

static const char usage[] =
	"usage: %1$s [-n cycles] [-h]\n"
	"  -n: load/unload cycles, 1..100000 (default 20)\n"
	"  -h: this help\n";

int main(int argc, char *argv[])
{
	uint64_t cycles, refused = 0, smin = UINT64_MAX, smax = 0, read_ok, reset_ok;
	uint64_t k0[NR_VCPUS], k1[NR_VCPUS], k2, n, before[NR_VCPUS], unexpected = 0, late = 0;
	pthread_t helpers[READERS + 1];
	struct kvm_vm *fresh_vm;
	struct ket_table t;
	int i, ret = 0, done, hvc = ket_type("HVC64");
	bool progress = true, fits = true, match = true;

	cycles = ket_size_opt(argc, argv, 'n', 20, 1, 100000, usage);
	ksft_print_header();
	ket_require_unloaded();
	ksft_set_plan(6);

	for (i = 0; i < NR_VMS; i++)
		storm_vms[i] = start_vm(VM_VCPUS, 0, &storm[i * VM_VCPUS]);
	for (i = 0; i <= READERS; i++)
		pthread_create(&helpers[i], NULL, i < READERS ? reader : resetter, &tallies[i]);

	for (done = 0; done < cycles && progress; done++) {
		for (i = 0; i < NR_VCPUS; i++)
			before[i] = ket_vcpu_syncs(&storm[i].run);
		ret = ket_module_load();
		if (ret) {
			ksft_print_msg("cycle %d: load: %s\n", done, strerror(-ret));
			break;
		}
		usleep((1 + done * 13 % 40) * 1000);	/* 1 to 40 ms */
		ret = unload(&refused);
		if (ret) {
			ksft_print_msg("cycle %d: unload: %s\n", done, strerror(-ret));
			break;
		}
		progress = all_progress(before, done);
	}
	for (i = 0; i < NR_VCPUS; i++) {
		n = ket_vcpu_syncs(&storm[i].run);
		smin = n < smin ? n : smin;
		smax = n > smax ? n : smax;
	}
	ksft_test_result(!ret && done == cycles,
			 "%d of %lu load/unload cycles succeeded under %d running vCPUs, %d readers and a resetter (%lu unloads refused while a file was open, then done)\n",
			 done, cycles, NR_VCPUS, READERS, refused);
	ksft_test_result(!ret && progress && done == cycles,
			 "every vCPU made progress in every cycle (%lu..%lu ucalls each)\n", smin, smax);
	if (ret || !progress)
		ksft_exit_fail_msg("cannot go on after a failed cycle\n");
	read_ok = __atomic_load_n(&tallies[0].ok, __ATOMIC_RELAXED) +
		  __atomic_load_n(&tallies[1].ok, __ATOMIC_RELAXED);
	reset_ok = __atomic_load_n(&tallies[READERS].ok, __ATOMIC_RELAXED);

	/* Resets would empty the tables compared below: no more of them. */
	__atomic_store_n(&resetter_stop, 1, __ATOMIC_RELAXED);
	pthread_join(helpers[READERS], NULL);
	for (i = 0; i < NR_VCPUS; i++)
		k0[i] = ket_stat_read(storm[i].stats_fd, "exits");
	ret = ket_module_load();
	if (ret)
		ksft_exit_fail_msg("final load: %s\n", strerror(-ret));
	for (i = 0; i < NR_VCPUS; i++) {
		ket_vcpu_table(storm_vms[i / VM_VCPUS], i % VM_VCPUS, &t);	/* waits for it */
		k1[i] = ket_stat_read(storm[i].stats_fd, "exits");
		/* A whole round (HVCs included) after the table appeared. */
		before[i] = ket_vcpu_syncs(&storm[i].run) + 1;
	}
	if (!all_progress(before, cycles))
		fits = false;
	stop = 1;
	for (i = 0; i < NR_VMS; i++)
		sync_global_to_guest(storm_vms[i], stop);
	/*
	 * A storm vCPU is timed from the first exit or entry after the load
	 * (the probe that attaches it), before its table appears; KVM counts
	 * an exit right after its exit probe, interrupts still off. So with
	 * KVM's "exits" k0 before the load, k1 once the table exists and k2
	 * now: k2 - k1 <= the table's exits <= k2 - k0.
	 */
	for (i = 0; i < NR_VCPUS; i++) {
		join_kicking(storm_vms[i / VM_VCPUS], &storm[i]);
		late += timer_late_of(storm_vms[i / VM_VCPUS], i % VM_VCPUS);
		ket_vcpu_table(storm_vms[i / VM_VCPUS], i % VM_VCPUS, &t);
		k2 = ket_stat_read(storm[i].stats_fd, "exits");
		if (t.exits < k2 - k1[i] || t.exits > k2 - k0[i] || !t.rows[hvc].count) {
			ksft_print_msg("VM %d vCPU %d: %lu exits (%lu HVC64) timed; KVM counted %lu since before the load, %lu since the table appeared\n",
				       i / VM_VCPUS, i % VM_VCPUS, t.exits, t.rows[hvc].count,
				       k2 - k0[i], k2 - k1[i]);
			if (i == 0) {
				char dir[256], path[300], *text;

				ket_vm_dir(storm_vms[0], dir, sizeof(dir));
				snprintf(path, sizeof(path), "%s/vcpu0/stats", dir);
				text = ket_slurp(path, NULL);
				ksft_print_msg("%s:\n%.1500s\n", path, text ? text : "(unreadable)");
				free(text);
				text = ket_slurp(KET_DEBUGFS_ROOT "/control", NULL);
				ksft_print_msg("control:\n%s\n", text ? text : "(unreadable)");
				free(text);
			}
			fits = false;
		}
	}
	ksft_print_msg("storm VMs: timer-woken WFIs not woken within 100 ms of their deadline: %lu\n",
		       late);
	ksft_test_result(fits, "after the churn, every storm vCPU's table fits KVM's exit count since the last load\n");

	/* The work item refills the pool the storm vCPUs emptied (to 4,
	 * POOL_BASE in rust/profiler.rs): wait for it, so that these 2 vCPUs
	 * find their states at once rather than lose their first events to
	 * dropped_no_state, as documented. */
	for (i = 0; i < 1000 && ket_control("pool") < FRESH_VCPUS; i++)
		usleep(10000);
	fresh_vm = start_vm(FRESH_VCPUS, FRESH_ROUNDS, fresh);
	for (i = 0, late = 0; i < FRESH_VCPUS; i++) {
		join_kicking(fresh_vm, &fresh[i]);	/* ran its rounds */
		late += timer_late_of(fresh_vm, i);
		ket_vcpu_table(fresh_vm, i, &t);
		match &= ket_kvm_stats_match(fresh[i].run.vcpu, &t) && fresh[i].run.syncs == FRESH_ROUNDS;
	}
	ksft_print_msg("fresh VM: timer-woken WFIs not woken within 100 ms of their deadline: %lu\n",
		       late);
	ksft_test_result(match, "a VM created after the churn (%d vCPUs x %d rounds) matches KVM's binary stats\n",
			 FRESH_VCPUS, FRESH_ROUNDS);

	__atomic_store_n(&readers_stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < READERS; i++)
		pthread_join(helpers[i], NULL);
	for (i = 0; i <= READERS; i++) {
		ksft_print_msg("%s %d: %lu files whole, ENOENT %lu times, other errors %lu\n",
			       i < READERS ? "reader" : "resetter", i, tallies[i].ok,
			       tallies[i].enoent, tallies[i].unexpected);
		unexpected += tallies[i].unexpected;
	}
	ksft_test_result(!unexpected && read_ok && reset_ok,
			 "readers and resetter: %lu unexpected errors (%lu files read, %lu resets written during the cycles)\n",
			 unexpected, read_ok, reset_ok);

	/* A stats fd holds its VM: close them first, or no vCPU goes. */
	for (i = 0; i < NR_VCPUS + FRESH_VCPUS; i++)
		close(i < NR_VCPUS ? storm[i].stats_fd : fresh[i - NR_VCPUS].stats_fd);
	for (i = 0; i < NR_VMS; i++)
		kvm_vm_free(storm_vms[i]);
	kvm_vm_free(fresh_vm);
	ret = ket_module_unload();
	ksft_test_result(!ret, "final unload, right after the VMs were freed: %s\n",
			 ret ? strerror(-ret) : "ok");
	ksft_finished();
}
