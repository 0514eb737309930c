// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_input_test: kvm_exit_timing's writable files (control, a VM's
 * reset) take exactly the writes the ABI allows; any other write fails
 * with the errno the code gives it and changes nothing.
 *
 * Each file gets N seeded-PRNG inputs, by category in turn: empty, over
 * 32 bytes (to 64 KiB), binary, NULs inside, words with junk, line ends,
 * blanks, other case, truncated words, at an offset (lseek+write, pwrite),
 * running into an unmapped page, valid. A classifier written from
 * rust/sys/debugfs/file_ops.rs write() and rust/pure/command.rs predicts
 * every outcome; the words include "breakdown sysregs on", "breakdown
 * wfx off" and "breakdown interrupts on" (which registers probes on the
 * host's interrupt handlers), which must change the control file's
 * breakdowns line. Two
 * VMs have made known numbers of HVC64 exits: the control state must stay
 * "enabled" after every input, both counts unchanged every 100 inputs, and
 * accepted writes must do what the ABI says: reset empties both VMs, a
 * VM's reset only its own, disable stops timing, enable resumes it.
 *
 * Usage: hostile_input_test [-n inputs] [-r seed], inputs per file
 * (default 500), the generator's seed (default: from the time and pid).
 * Needs root and no other VM running; loads the module if needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_module.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define MAX_WRITE	32		/* rust/pure/command.rs MAX_WRITE */
#define HUGE		(64 << 10)
#define below(n)	(rnd() % (n))

enum cat {
	C_EMPTY, C_HUGE, C_BINARY, C_NUL, C_JUNK, C_EOL, C_BLANK, C_CASE,
	C_PREFIX, C_OFFSET, C_FAULT, C_VALID, NR_CATS
};
static const char *const cat_names[NR_CATS] = {
	"empty", "huge", "binary", "nul", "junk", "eol", "blank", "case",
	"prefix", "offset", "fault", "valid",
};
enum how { AT_ZERO, SEEK, PWRITE };
enum cmd { NONE, RESET, ENABLE, DISABLE, SYSREGS_ON, WFX_OFF, INTERRUPTS_ON, VM_RESET };
enum { E_OK, E_INVAL, E_FAULT, E_SPIPE, E_OTHER, NR_E };

struct input {
	size_t len;		/* bytes of data[] written */
	size_t readable;	/* how many of them are mapped (< len: EFAULT) */
	enum how how;
	off_t offset;
};

/* The control file's words, in enum cmd's order, then the reset file's. */
static const char *const words[] = {
	"reset", "enable", "disable", "breakdown sysregs on", "breakdown wfx off",
	"breakdown interrupts on", "1",
};
#define CONTROL_WORDS	6
/* Allocated: the selftest library copies a program's static data into
 * each guest's memory. */
static char *data;
static char *guard;		/* a PROT_NONE page */
static uint64_t rng;
static struct kvm_vm *vms[2];
static struct kvm_vcpu *vcpus[2];
static uint64_t want_hvc[2];	/* the HVC64 count each VM's table must show */
static char vm_reset[192];	/* vms[0]'s reset file */

/* VM @v makes @n HVCs, @timed unless timing is disabled. */
static void run_hvcs(int v, uint64_t n, bool timed)
{
	ket_run_hvcs(vms[v], vcpus[v], n);
	want_hvc[v] += timed ? n : 0;
}

/* Whether both VMs show the HVC64 counts expected; says which does not,
 * and expects what is from then on. */
static bool counts_ok(const char *when)
{
	struct ket_table t;
	bool ok = true;
	uint64_t n;
	int v;

	for (v = 0; v < 2; v++) {
		ket_vcpu_table(vms[v], 0, &t);
		n = t.rows[ket_type("HVC64")].count;
		if (n != want_hvc[v])
			ksft_print_msg("  %s: VM %d has %lu HVC64, want %lu\n", when, v, n, want_hvc[v]);
		ok &= n == want_hvc[v];
		want_hvc[v] = n;
	}
	return ok;
}

static bool state_is(const char *want)
{
	char state[32];

	ket_control_text("state", state, sizeof(state));
	return !strcmp(state, want);
}

/* Also at exit: never leave timing disabled, whatever failed. */
static void enable(void)
{
	int ret = ket_control_write("enable");

	if (ret)
		ksft_print_msg("  writing enable to control: %s\n", strerror(-ret));
}

static uint64_t rnd(void)	/* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t put(size_t at, const char *s, bool maybe_newline)
{
	memcpy(data + at, s, strlen(s));
	at += strlen(s);
	if (maybe_newline && below(2))
		data[at++] = '\n';
	return at;
}

static size_t junk(size_t at, size_t n, bool binary)
{
	while (n--)
		data[at++] = binary ? rnd() : ' ' + below(95);
	return at;
}

/* Input @i of a file into data[]: category i % NR_CATS; @own is a word
 * the file takes. */
static enum cat generate(struct input *in, int i, const char *own)
{
	static const char *const ends[] = { "", "\n", "\r\n", "\n\n", "\r", "\n\r", " \n" };
	static const char *const blanks[] = { " ", "  ", "\t", "\v" };
	const char *w = words[below(ARRAY_SIZE(words))];
	const char *b = blanks[below(ARRAY_SIZE(blanks))];
	enum cat c = i % NR_CATS;
	size_t n = 0, k = below(4);

	*in = (struct input){ .how = AT_ZERO };
	switch (c) {
	case C_HUGE:	/* a word and junk: 17 bytes, 64 KiB, or between */
		n = k == 0 ? HUGE : MAX_WRITE + 1 + (k > 1 ? below(HUGE - MAX_WRITE) : 0);
		junk(put(0, w, false), n - strlen(w), k & 1);
		break;
	case C_BINARY:
		n = junk(0, 1 + below(MAX_WRITE), true);
		break;
	case C_NUL:	/* a NUL before, inside or after a word */
		k = below(strlen(w) + 1);
		n = put(k + 1, w + k, true);
		memcpy(data, w, k);
		data[k] = 0;
		break;
	case C_JUNK:	/* printable or binary junk before, after, or both */
		n = put(k & 1 ? junk(0, 1 + below(4), below(2)) : 0, w, false);
		n = k != 1 ? junk(n, 1 + below(4), below(2)) : n;
		break;
	case C_EOL:
		n = put(put(0, w, false), ends[below(ARRAY_SIZE(ends))], false);
		break;
	case C_BLANK:	/* blanks before, after, or both */
		n = put(k & 1 ? put(0, b, false) : 0, w, k == 1);
		n = k != 1 ? put(n, b, true) : n;
		break;
	case C_CASE:	/* some letters of a word in upper case */
		w = strcmp(w, "1") ? w : "reset";
		n = put(0, w, false);
		for (k = 0; k < n; k++)
			data[k] ^= below(2) * 0x20;
		data[below(n)] &= ~0x20;
		n = put(n, "", true);
		break;
	case C_PREFIX:	/* 1 to strlen(w) - 1 bytes of a word */
		w = strcmp(w, "1") ? w : "disable";
		n = put(put(0, w, false) - 1 - below(strlen(w) - 1), "", true);
		break;
	case C_OFFSET:	/* lseek to 1..8 or 1..1M, pwrite at 1..8 or at 0 */
		in->how = k < 2 ? SEEK : PWRITE;
		in->offset = k == 3 ? 0 : k == 1 ? 1 + below(1 << 20) : 1 + below(8);
		/* fallthrough */
	case C_FAULT:
	case C_VALID:
		n = put(0, c == C_VALID && k ? own : w, true);
		break;
	default:
		break;
	}
	in->len = n;
	in->readable = c == C_FAULT ? below(n) : n;
	return c;
}

/*
 * The outcome @in must have, 0 or -errno, and the command it runs: from
 * the VFS, rust/debugfs.rs write() and rust/command.rs, independently of
 * the module's behaviour.
 */
static int predict(bool control, const struct input *in, enum cmd *cmd)
{
	size_t n = in->len;
	int i;

	*cmd = NONE;
	/* seq_open() clears FMODE_PWRITE of control: pwrite(2) is ESPIPE;
	 * reset has no ->llseek, so no FMODE_LSEEK: lseek(2) is ESPIPE. */
	if (control ? in->how == PWRITE : in->how == SEEK)
		return -ESPIPE;
	/* write(): offset, count, then the copy from user space. */
	if (in->offset || !n || n > MAX_WRITE)
		return -EINVAL;
	if (in->readable < n)
		return -EFAULT;
	/* parse_command(), parse_vm_reset(): a word, maybe one "\n". */
	n -= data[n - 1] == '\n';
	if (!control)
		*cmd = n == 1 && data[0] == '1' ? VM_RESET : NONE;
	for (i = 0; control && i < CONTROL_WORDS; i++)
		if (n == strlen(words[i]) && !memcmp(data, words[i], n))
			*cmd = RESET + i;
	return *cmd ? 0 : -EINVAL;
}

/* Writes @in to @path: 0 or -errno. */
static int perform(const char *path, const struct input *in)
{
	const char *src = in->readable < in->len ? guard - in->readable : data;
	int fd = open(path, O_WRONLY), ret;
	ssize_t n;

	TEST_ASSERT(fd >= 0, "cannot open %s: %s", path, strerror(errno));
	if (src != data)
		memcpy(guard - in->readable, data, in->readable);
	if (in->how == SEEK && lseek(fd, in->offset, SEEK_SET) != in->offset) {
		ret = -errno;
	} else {
		n = in->how == PWRITE ? pwrite(fd, src, in->len, in->offset) : write(fd, src, in->len);
		ret = n == (ssize_t)in->len ? 0 : n < 0 ? -errno : -EIO;
	}
	close(fd);
	return ret;
}

static const char *show(const struct input *in)
{
	static const char *const hows[] = { "write", "lseek+write", "pwrite" };
	static char out[192];
	size_t i, o = 1;

	for (out[0] = '\'', i = 0; i < in->len && i < 24; i++)
		o += sprintf(out + o, data[i] >= ' ' && data[i] < 127 ? "%c" : "\\x%02x",
			     (unsigned char)data[i]);
	snprintf(out + o, sizeof(out) - o, "%s' (%zu bytes, %zu mapped) by %s at %ld",
		 i < in->len ? "..." : "", in->len, in->readable, hows[in->how], (long)in->offset);
	return out;
}

/* Checks what an accepted @cmd did, then makes both counts non-zero
 * again, so that a wrong reset would show. */
static bool check_effect(enum cmd cmd)
{
	bool ok = true;

	if (cmd == RESET || cmd == VM_RESET) {
		want_hvc[0] = 0;
		want_hvc[1] = cmd == RESET ? 0 : want_hvc[1];
		ok = counts_ok(cmd == RESET ? "after reset" : "after the VM's reset");
	} else if (cmd == DISABLE) {
		ok = state_is("disabled");
		run_hvcs(0, 5, false);
		ok &= counts_ok("5 HVCs while disabled");
		enable();
	} else if (cmd == SYSREGS_ON || cmd == WFX_OFF || cmd == INTERRUPTS_ON) {
		static const char *const want[] = {
			[SYSREGS_ON] = "sysregs on", [WFX_OFF] = "wfx off",
			[INTERRUPTS_ON] = "interrupts on",
		};
		char state[96];

		ket_control_text("breakdowns", state, sizeof(state));
		ok = strstr(state, want[cmd]) &&
		     counts_ok("after a breakdown command");
	}
	if (!want_hvc[0])
		run_hvcs(0, 3, true);
	if (!want_hvc[1])
		run_hvcs(1, 4, true);
	return ok;
}

static void feed(bool control, int n)
{
	const char *path = control ? KET_CONTROL : vm_reset, *name = control ? "control" : "reset";
	uint64_t tried[NR_CATS] = {}, got[NR_CATS][NR_E] = {}, total[NR_E] = {};
	int i, e, ret, want, mismatches = 0, broken = 0;
	struct input in;
	enum cmd cmd;
	enum cat c;

	for (i = 0; i < n; i++) {
		c = generate(&in, i, control ? words[below(CONTROL_WORDS)] : "1");
		want = predict(control, &in, &cmd);
		ret = perform(path, &in);
		e = !ret ? E_OK : ret == -EINVAL ? E_INVAL : ret == -EFAULT ? E_FAULT :
		    ret == -ESPIPE ? E_SPIPE : E_OTHER;
		tried[c]++;
		got[c][e]++;
		total[e]++;
		if (ret != want) {
			if (++mismatches <= 10)
				ksft_print_msg("  %s: %s gave %d (%s), want %d (%s)\n", name, show(&in),
					       ret, strerror(-ret), want, strerror(-want));
			/* It may have done something: go on from what is. */
			enable();
			counts_ok("after it");
			check_effect(NONE);
		} else if (!ret && !check_effect(cmd)) {
			ksft_print_msg("  %s: %s did not do what the ABI says\n", name, show(&in));
			broken++;
		}
		if (!state_is("enabled")) {
			ksft_print_msg("  %s: after %s timing is not enabled\n", name, show(&in));
			enable();
			broken++;
		}
		if ((i % 100 == 99 || i == n - 1) && !counts_ok(name)) {
			ksft_print_msg("  %s: one of inputs %d..%d changed the counts\n", name,
				       i - i % 100, i);
			broken++;
		}
	}
	for (c = 0; c < NR_CATS; c++)
		ksft_print_msg("%s %-6s: %4lu tried, %4lu accepted, rejected: EINVAL %lu, EFAULT %lu, ESPIPE %lu, other %lu\n",
			       name, cat_names[c], tried[c], got[c][E_OK], got[c][E_INVAL],
			       got[c][E_FAULT], got[c][E_SPIPE], got[c][E_OTHER]);
	/* Both outcomes must have been tried, or little was tested. */
	ksft_test_result(!mismatches && !broken && total[E_OK] && total[E_INVAL],
			 "%s: %d inputs, %lu accepted, %d outcomes not as predicted, %d effects not as the ABI says\n",
			 name, n, total[E_OK], mismatches, broken);
}

static const char usage[] =
	"usage: %1$s [-n inputs] [-r seed] [-h]\n"
	"  -n: inputs written to each file, 12..1000000 (default 500)\n"
	"  -r: seed of the inputs' generator (default: from the time and pid)\n"
	"  -h: this help\n";

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	int n = 500, v, opt;
	char dir[128], *map;

	rng = (uint64_t)time(NULL) ^ getpid();
	while ((opt = getopt(argc, argv, "hn:r:")) != -1) {
		switch (opt) {
		case 'n':
			n = ket_opt_num(opt, optarg, NR_CATS, 1000000);
			break;
		case 'r':
			rng = ket_opt_num(opt, optarg, 0, UINT64_MAX);
			break;
		case 'h':
			ket_usage(usage, KSFT_PASS);
		default:
			ket_usage(usage, KSFT_FAIL);
		}
	}
	ket_no_operands(argc, argv, usage);
	data = malloc(HUGE);
	TEST_ASSERT(data, "out of memory");
	ksft_print_header();
	ket_require_module();
	ksft_set_plan(2);
	ksft_print_msg("seed %lu (rerun: %s -n %d -r %lu)\n", rng, argv[0], n, rng);
	atexit(enable);

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(map != MAP_FAILED && !mprotect(map + page, page, PROT_NONE), "guard page");
	guard = map + page;

	TEST_ASSERT(state_is("enabled"), "timing is not enabled before the test");
	for (v = 0; v < 2; v++) {
		vms[v] = vm_create_with_one_vcpu(&vcpus[v], ket_guest_hvcs_on_demand);
		run_hvcs(v, 0, true);
		run_hvcs(v, 20 + v, true);
	}
	ket_vm_dir(vms[0], dir, sizeof(dir));
	snprintf(vm_reset, sizeof(vm_reset), "%s/reset", dir);
	TEST_ASSERT(counts_ok("at the start"), "HVC64 counts wrong before any input");

	feed(true, n);
	TEST_ASSERT(!ket_control_write("breakdown sysregs off") &&
		    !ket_control_write("breakdown interrupts off"), "cannot switch the breakdowns off");
	feed(false, n);
	kvm_vm_free(vms[0]);
	kvm_vm_free(vms[1]);
	ksft_finished();
}
