// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for PCI Data Object Exchange (DOE), PCIe r6.2 sec 6.30
 *
 * The code under test is the code that ships: drivers/pci/doe.c, its
 * devm_pci_doe_create_devices() called from a PCI driver's probe and its
 * generic auxiliary driver.  It runs against DOE Capabilities emulated in
 * software behind a fake PCI host bridge: struct pci_ops that serve a
 * 4 KiB config space with a PCI Express Capability and one or two DOE
 * Capabilities, on a real root bus with a real pci_dev.
 *
 * The responder serves Discovery (versions 1 and 2), an echo protocol and
 * a large-object protocol (up to 2^18 dwords), answers after a
 * configurable delay and can inject every fault a device can commit.
 *
 * The function has an MSI Capability, so the test driver (the "parent")
 * enables MSI for real and frees it for real, through the PCI core.  The
 * vectors its DOE Capabilities signal on are modelled: Linux IRQs that the
 * responder raises in software, which the one test seam of doe.c
 * (struct pci_doe_kunit_ops) hands out in place of pci_irq_vector().  The
 * parent shares them with handlers of its own, with every flag a driver
 * may use.  A second kind of fake function is a PCIe Root Port, for the
 * PCIe port driver, whose vectors are the real MSI ones.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/pci.h>
#include <linux/pci-doe.h>
#include <linux/pm_runtime.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/trace_events.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "doe.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FAKE_VENDOR		0x1234
#define FAKE_DEVICE		0xd0e0
#define FAKE_PORT		0xd0e1	/* a Root Port: the PCIe port driver's */
#define TEST_VID		0x1234	/* Vendor ID of the test protocols */
#define PROT_ECHO		0x01	/* response payload = request payload */
#define PROT_LARGE		0x02	/* request: N; response: N pattern dwords */
#define PROT_UNLISTED		0x03	/* answered, but not listed by Discovery */
#define PROT_ECHO2		0x04	/* echo, listed by the second DOE only */
#define DOE_CAP0		0x100
#define DOE_CAP1		0x200
#define MAX_DW			BIT(18)
#define NR_FAKE_DOE		2
#define NR_VEC			4	/* modelled vectors of a function */
#define MSI_CAP			0x50
#define PM_CAP			0x60
#define EXP_CAP			0x40

enum fault {
	F_NONE,
	F_BUSY_STUCK,		/* DOE Busy never clears */
	F_BUSY_MS,		/* DOE Busy for fault_ms after arming */
	F_ERROR_BEFORE_GO,	/* DOE Error set before the request */
	F_ERROR_NOT_READY,	/* DOE Error instead of Data Object Ready */
	F_ERROR_AFTER_LAST,	/* DOE Error after the last dword */
	F_NO_READY,		/* Data Object Ready never set */
	F_READY_DROP,		/* Data Object Ready drops mid-response */
	F_SHORT,		/* one dword less than the Length */
	F_LONG,			/* one dword more than the Length */
	F_WRONG_VID,
	F_WRONG_TYPE,
	F_LENGTH_ONE,		/* response Length 1, only the header sent */
	F_ABORT_STUCK,		/* Abort sets Busy for good */
	F_ALL_ONES,		/* every config read returns all-ones */
	/*
	 * As F_SHORT and F_READY_DROP, on a device that ignores an ack
	 * with Data Object Ready clear instead of setting Error as QEMU
	 * does: only the Ready check before the last ack can tell.
	 */
	F_SHORT_QUIET,
	F_READY_DROP_QUIET,
};

struct fake;

/* One emulated DOE Capability */
struct resp {
	struct fake *fake;
	u16 off;
	u8 version;
	u8 prot2;		/* second test protocol Discovery lists */
	bool dup;		/* Discovery lists the echo protocol twice */
	bool cycle;		/* Discovery's Next Index never reaches 0 */
	/* After a reset (a firmware update): a second protocol, or none */
	u8 prot2_after_reset;
	bool drop_large_after_reset;
	enum fault fault_after_reset;	/* say, Discovery fails after it */
	bool no_large;		/* Discovery does not list PROT_LARGE */
	/* PCIe r6.0 rule: an interrupt also when DOE Busy clears after Go */
	bool busy_clear_irq;
	unsigned int msg;	/* DOE Interrupt Message Number */

	raw_spinlock_t lock;	/* all fields below */
	bool int_en, int_status, error, ready, abort_stuck;
	unsigned long busy_until;
	u32 *wbuf, *rbuf;
	size_t widx, ridx, rlen, rvalid, ready_drop_at;
	enum fault fault;
	unsigned int fault_ms;
	unsigned int delay_us;
	u8 last_disc_ver;
	struct hrtimer ready_timer;
	struct irq_work raise_work;

	/* counters, read by the tests */
	unsigned int status_reads, gos, aborts, raised, in_flight, max_in_flight;
	unsigned int resets, accesses;
	/* DOE Status reads while a delayed response is not yet Ready */
	unsigned int pending_reads;
	unsigned int flr_accesses;	/* DOE register accesses in an FLR */
	/*
	 * Of *@watch: when half the request is written, at Go, when half
	 * the response is read, and at its last acknowledgment
	 */
	atomic_t *watch;
	int snap[4];
};

/* How the parent driver uses the function's vector 0 */
enum parent_irq {
	P_NONE,
	P_EXCLUSIVE,	/* request_irq() without IRQF_SHARED */
	P_PLAIN,	/* request_irq(IRQF_SHARED) */
	P_ONESHOT,	/* threaded, no primary, IRQF_SHARED | IRQF_ONESHOT */
	P_THREADED,	/* primary and thread, IRQF_SHARED */
};

/* When the parent requests it */
enum parent_when {
	W_BEFORE,	/* in probe, before devm_pci_doe_create_devices() */
	W_AFTER,	/* in probe, after it (cxl_pci's order) */
	W_LATER,	/* after probe returned (the test requests it) */
};

/* What the fake function looks like and what its driver does */
struct fake_opts {
	int nr_doe;
	bool use_irq;		/* the parent enables MSI; DOE may use vector i */
	u8 version;
	unsigned int flags;	/* devm_pci_doe_create_devices() flags */
	bool no_vectors;	/* the parent does not enable MSI */
	bool no_master;		/* the parent does not set Bus Master Enable */
	bool no_int_sup;	/* DOE Capabilities without Interrupt Support */
	enum parent_irq parent;
	enum parent_when when;
	bool keep_vectors;	/* ->remove() leaves the vectors enabled */
	bool port;		/* a Root Port with PME, for the port driver */
	int domain;		/* PCI domain; 0: the next free one */
	bool dup_prot;		/* Discovery lists a protocol twice */
	bool cycle;		/* Discovery never ends */
	bool rpm;		/* the parent lets its function runtime-suspend */
};

struct fake {
	struct kunit *test;
	struct fake_opts o;
	u8 cfg[PCI_CFG_SPACE_EXP_SIZE];
	struct resp resp[NR_FAKE_DOE];
	int nr_doe;
	bool all_ones;
	/*
	 * From the Function Level Reset to the PCI core's first read after
	 * it (pci_dev_wait(), 100 ms later): no DOE register access is due
	 */
	bool in_flr;
	struct pci_sysdata sysdata;
	struct pci_bus *bus;
	struct pci_dev *pdev;
	int removed;

	int vec[NR_VEC];	/* modelled vectors; 0: none */
	u8 pstate;		/* power state from PMCSR: D0 to D3hot */

	/* The parent driver */
	struct task_struct *probe_task;
	bool track_cmd;		/* count PCI_COMMAND writes from elsewhere */
	atomic_t cmd_writes_elsewhere;
	bool parent_has_irq;
	int parent_rc;		/* of its request */
	atomic_t parent_pending, parent_irqs;
	bool action_after_free;	/* on vector 0 or 1 right after the free */
	bool removed_parent;
	bool exchange_in_reset_done;
	int reset_done_rc;
};

static atomic_t fake_domain = ATOMIC_INIT(0x10000);
/* Exchanges in flight across all responders, and the most at once */
static atomic_t global_in_flight;
static atomic_t global_max_in_flight;

static void in_flight_start(struct resp *r)
{
	int n, max;

	if (r->in_flight)
		return;
	r->in_flight = 1;
	n = atomic_inc_return(&global_in_flight);
	max = atomic_read(&global_max_in_flight);
	while (n > max && !atomic_try_cmpxchg(&global_max_in_flight, &max, n))
		;
}

static void in_flight_end(struct resp *r)
{
	if (!r->in_flight)
		return;
	r->in_flight = 0;
	atomic_dec(&global_in_flight);
}

static struct fake *bus_to_fake(struct pci_bus *bus)
{
	return container_of((struct pci_sysdata *)bus->sysdata, struct fake,
			    sysdata);
}

static void resp_reset(struct resp *r)
{
	r->ready = false;
	r->error = false;
	r->widx = 0;
	r->ridx = 0;
	r->rlen = 0;
	r->rvalid = 0;
	in_flight_end(r);
}

/*
 * A Function Level Reset, or D3hot to D0 without No_Soft_Reset: every DOE
 * register to its default, and maybe another protocol list (a firmware
 * update).  Called with no responder lock held.
 */
static void fake_reset_function(struct fake *f)
{
	int i;

	for (i = 0; i < f->nr_doe; i++) {
		struct resp *r = &f->resp[i];
		unsigned long flags;

		hrtimer_try_to_cancel(&r->ready_timer);
		raw_spin_lock_irqsave(&r->lock, flags);
		resp_reset(r);
		r->int_en = false;
		r->int_status = false;
		r->abort_stuck = false;
		r->resets++;
		if (r->prot2_after_reset)
			r->prot2 = r->prot2_after_reset;
		if (r->drop_large_after_reset)
			r->no_large = true;
		if (r->fault_after_reset)
			r->fault = r->fault_after_reset;
		raw_spin_unlock_irqrestore(&r->lock, flags);
	}
}

/* The modelled vector the DOE Capability signals on, 0 if none */
static int resp_vec(struct resp *r)
{
	return r->msg < NR_VEC ? READ_ONCE(r->fake->vec[r->msg]) : 0;
}

/* Set Data Object Ready; returns true if the IRQ must be raised */
static bool resp_set_ready(struct resp *r)
{
	r->ready = true;
	if (r->int_en && !r->int_status && resp_vec(r)) {
		r->int_status = true;
		return true;
	}
	return false;
}

static void resp_raise_work(struct irq_work *work)
{
	struct resp *r = container_of(work, struct resp, raise_work);
	int irq = resp_vec(r);

	if (irq)
		generic_handle_irq_safe(irq);
}

/*
 * An MSI is a posted write: the CPU takes it once it has interrupts
 * enabled, not inside the config write that set DOE Interrupt Status.
 */
static void resp_raise(struct resp *r)
{
	r->raised++;
	irq_work_queue(&r->raise_work);
}

/* A delayed response becomes ready, in hard interrupt context */
static enum hrtimer_restart resp_ready_timer(struct hrtimer *t)
{
	struct resp *r = container_of(t, struct resp, ready_timer);
	unsigned long flags;
	bool raise = false;

	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->rlen && !r->ready && !r->error)
		raise = resp_set_ready(r);
	raw_spin_unlock_irqrestore(&r->lock, flags);
	if (raise)
		resp_raise(r);
	return HRTIMER_NORESTART;
}

static u32 pattern(size_t i)
{
	return (u32)i * 0x9e3779b9u ^ 0x5a5a0000u;
}

/* Answer the request in wbuf; called with r->lock held */
static bool resp_go(struct resp *r)
{
	u32 hdr1, len, vid, type;
	size_t plen = 0, i;

	r->gos++;
	if (r->error || r->widx < 2)
		goto drop;
	hdr1 = r->wbuf[0];
	len = r->wbuf[1] & PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH;
	if (!len)
		len = MAX_DW;
	if (len != r->widx)
		goto drop;
	vid = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_VID, hdr1);
	type = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_TYPE, hdr1);

	if (vid == PCI_VENDOR_ID_PCI_SIG && type == PCI_DOE_PROTOCOL_DISCOVERY) {
		u8 prots[][2] = { { 0, 0 }, { 1, PROT_ECHO }, { 1, PROT_LARGE },
				  { 1, r->prot2 ?: PROT_ECHO } };
		unsigned int n = r->prot2 || r->dup ? 4 : 3, index;

		if (r->no_large)	/* a list without PROT_LARGE */
			prots[2][1] = r->prot2 ?: PROT_ECHO;
		if (r->no_large && !r->prot2 && !r->dup)
			n = 2;

		if (len < 3)
			goto drop;
		index = r->wbuf[2] & 0xff;
		r->last_disc_ver = (r->wbuf[2] >> 8) & 0xff;
		if (index >= n)
			goto drop;
		r->rbuf[2] = (prots[index][0] ? TEST_VID : PCI_VENDOR_ID_PCI_SIG) |
			     prots[index][1] << 16 |
			     (index + 1 < n ? index + 1 : r->cycle) << 24;
		plen = 1;
	} else if (vid == TEST_VID && (type == PROT_ECHO || type == PROT_ECHO2 ||
					type == PROT_UNLISTED)) {
		plen = len - 2;
		memcpy(&r->rbuf[2], &r->wbuf[2], plen * 4);
	} else if (vid == TEST_VID && type == PROT_LARGE) {
		if (len < 3)
			goto drop;
		plen = min_t(size_t, r->wbuf[2], MAX_DW - 2);
		for (i = 0; i < plen; i++)
			r->rbuf[2 + i] = pattern(i);
	} else {
		goto drop;
	}

	r->rlen = plen + 2;
	r->rbuf[0] = hdr1;
	if (r->fault == F_WRONG_VID)
		r->rbuf[0] ^= 0x0001;
	if (r->fault == F_WRONG_TYPE)
		r->rbuf[0] ^= 0x00010000;
	r->rbuf[1] = r->rlen == MAX_DW ? 0 : r->rlen;
	if (r->fault == F_LENGTH_ONE)
		r->rbuf[1] = 1;
	r->rvalid = r->rlen;
	/* Consistent but for the Length: only its check can tell */
	if (r->fault == F_LENGTH_ONE)
		r->rvalid = 2;
	if (r->fault == F_SHORT || r->fault == F_SHORT_QUIET)
		r->rvalid = r->rlen - 1;
	if (r->fault == F_LONG) {
		r->rbuf[r->rlen] = 0xdeadbeef;
		r->rlen++;
		r->rvalid = r->rlen;
	}
	r->ready_drop_at = r->fault == F_READY_DROP || r->fault == F_READY_DROP_QUIET ?
			   r->rlen / 2 : SIZE_MAX;
	r->widx = 0;
	r->ridx = 0;
	in_flight_start(r);

	if (r->fault == F_NO_READY)
		return false;
	if (r->fault == F_ERROR_NOT_READY) {
		r->error = true;
		if (r->int_en && !r->int_status && resp_vec(r)) {
			r->int_status = true;
			return true;
		}
		return false;
	}
	if (r->delay_us) {
		bool busy_clear = r->busy_clear_irq && r->int_en &&
				  !r->int_status && resp_vec(r);

		if (busy_clear)
			r->int_status = true;
		hrtimer_start(&r->ready_timer,
			      ns_to_ktime((u64)r->delay_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_HARD);
		return busy_clear;
	}
	return resp_set_ready(r);
drop:
	/* Like QEMU: a request the responder cannot serve is dropped */
	r->widx = 0;
	return false;
}

static bool resp_busy(struct resp *r)
{
	return r->abort_stuck || r->fault == F_BUSY_STUCK ||
	       (r->fault == F_BUSY_MS && time_before(jiffies, r->busy_until));
}

static void resp_snap(struct resp *r, int i)
{
	if (r->watch)
		r->snap[i] = atomic_read(r->watch);
}

static u32 resp_read(struct resp *r, int reg)
{
	u32 val = 0;

	switch (reg) {
	case PCI_DOE_CTRL:
		val = r->int_en ? PCI_DOE_CTRL_INT_EN : 0;
		break;
	case PCI_DOE_STATUS:
		r->status_reads++;
		if (hrtimer_active(&r->ready_timer))
			r->pending_reads++;
		val = (resp_busy(r) ? PCI_DOE_STATUS_BUSY : 0) |
		      (r->int_status ? PCI_DOE_STATUS_INT_STATUS : 0) |
		      (r->error ? PCI_DOE_STATUS_ERROR : 0) |
		      (r->ready ? PCI_DOE_STATUS_DATA_OBJECT_READY : 0);
		break;
	case PCI_DOE_READ:
		if (r->ready && !r->error && r->ridx < r->rvalid)
			val = r->rbuf[r->ridx];
		break;
	}
	return val;
}

static bool resp_write(struct resp *r, int reg, u32 val)
{
	switch (reg) {
	case PCI_DOE_CTRL:
		r->int_en = val & PCI_DOE_CTRL_INT_EN;
		if (val & PCI_DOE_CTRL_ABORT) {
			r->aborts++;
			if (r->fault == F_ABORT_STUCK)
				r->abort_stuck = true;
			resp_reset(r);
			return false;
		}
		if (val & PCI_DOE_CTRL_GO) {
			resp_snap(r, 1);
			return resp_go(r);
		}
		break;
	case PCI_DOE_STATUS:
		if (val & PCI_DOE_STATUS_INT_STATUS)
			r->int_status = false;
		break;
	case PCI_DOE_WRITE:
		if (r->widx < MAX_DW)
			r->wbuf[r->widx++] = val;
		if (r->widx == MAX_DW / 2)
			resp_snap(r, 0);
		break;
	case PCI_DOE_READ:
		if (!r->ready || r->error) {
			/* an ack with nothing pending */
			if (r->fault != F_SHORT_QUIET && r->fault != F_READY_DROP_QUIET)
				r->error = true;
			break;
		}
		r->ridx++;
		if (r->ridx == r->rvalid / 2)
			resp_snap(r, 2);
		if (r->ridx == r->rvalid)
			resp_snap(r, 3);
		if (r->ridx >= r->rvalid || r->ridx >= r->ready_drop_at) {
			r->ready = false;
			if (r->ridx >= r->rvalid)
				in_flight_end(r);
			if (r->fault == F_ERROR_AFTER_LAST && r->ridx >= r->rvalid)
				r->error = true;
		}
		break;
	}
	return false;
}

static struct resp *fake_resp(struct fake *f, int where)
{
	int i;

	for (i = 0; i < f->nr_doe; i++)
		if (where >= f->resp[i].off + PCI_DOE_CTRL &&
		    where < f->resp[i].off + PCI_DOE_CAP_SIZEOF)
			return &f->resp[i];
	return NULL;
}

static void put16(struct fake *f, int off, u16 v);

/* Config registers a driver may write; the rest is read-only here */
static bool fake_writable(struct fake *f, int where, int size)
{
	int end = where + size;

	if (where >= PCI_COMMAND && end <= PCI_COMMAND + 2)
		return true;
	if (where >= MSI_CAP + PCI_MSI_FLAGS && end <= MSI_CAP + PCI_MSI_MASK_64)
		return true;
	if (where >= EXP_CAP + PCI_EXP_DEVCTL && end <= EXP_CAP + PCI_EXP_DEVCTL + 2)
		return true;
	/* A bridge's bus numbers, which enumeration assigns */
	return f->o.port && where >= PCI_PRIMARY_BUS && end <= PCI_SEC_LATENCY_TIMER;
}

static int fake_read(struct pci_bus *bus, unsigned int devfn, int where,
		     int size, u32 *val)
{
	struct fake *f = bus_to_fake(bus);
	unsigned long flags;
	struct resp *r;

	/* One function, on the root bus: nothing behind a Root Port */
	if (devfn != 0 || bus->number || READ_ONCE(f->removed)) {
		*val = (u32)PCI_ERROR_RESPONSE;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	if (READ_ONCE(f->all_ones)) {
		*val = (u32)PCI_ERROR_RESPONSE;
		return PCIBIOS_SUCCESSFUL;
	}
	r = fake_resp(f, where);
	if (r) {
		/* Dword accesses only; and no answer while suspended */
		raw_spin_lock_irqsave(&r->lock, flags);
		r->accesses++;
		if (READ_ONCE(f->in_flr))
			r->flr_accesses++;
		*val = size == 4 && !READ_ONCE(f->pstate) ?
		       resp_read(r, where - r->off) : 0;
		raw_spin_unlock_irqrestore(&r->lock, flags);
		return PCIBIOS_SUCCESSFUL;
	}
	if (where == PCI_COMMAND)
		WRITE_ONCE(f->in_flr, false);
	*val = 0;
	memcpy(val, &f->cfg[where], size);
	*val = le32_to_cpu((__force __le32)*val);
	return PCIBIOS_SUCCESSFUL;
}

static int fake_write(struct pci_bus *bus, unsigned int devfn, int where,
		      int size, u32 val)
{
	struct fake *f = bus_to_fake(bus);
	unsigned long flags;
	struct resp *r;
	bool raise;
	__le32 le;

	if (devfn != 0 || bus->number || READ_ONCE(f->removed))
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (READ_ONCE(f->all_ones))
		return PCIBIOS_SUCCESSFUL;
	r = fake_resp(f, where);
	if (r) {
		raw_spin_lock_irqsave(&r->lock, flags);
		r->accesses++;
		if (READ_ONCE(f->in_flr))
			r->flr_accesses++;
		raw_spin_unlock_irqrestore(&r->lock, flags);
		if (size != 4 || READ_ONCE(f->pstate))
			return PCIBIOS_SUCCESSFUL;
		raw_spin_lock_irqsave(&r->lock, flags);
		raise = resp_write(r, where - r->off, val);
		raw_spin_unlock_irqrestore(&r->lock, flags);
		if (raise)
			resp_raise(r);
		return PCIBIOS_SUCCESSFUL;
	}
	if (where == PCI_COMMAND && READ_ONCE(f->track_cmd) &&
	    current != READ_ONCE(f->probe_task))
		atomic_inc(&f->cmd_writes_elsewhere);
	/* Function Level Reset: self-clearing, not stored */
	if (where == EXP_CAP + PCI_EXP_DEVCTL && (val & PCI_EXP_DEVCTL_BCR_FLR)) {
		fake_reset_function(f);
		WRITE_ONCE(f->in_flr, true);
		val &= ~PCI_EXP_DEVCTL_BCR_FLR;
	}
	/* Power state: D3hot to D0 resets the function (No_Soft_Reset 0) */
	if (where == PM_CAP + PCI_PM_CTRL && size >= 2) {
		u8 to = val & PCI_PM_CTRL_STATE_MASK;

		if (READ_ONCE(f->pstate) == 3 && !to)
			fake_reset_function(f);
		WRITE_ONCE(f->pstate, to);
		put16(f, PM_CAP + PCI_PM_CTRL, to);
		return PCIBIOS_SUCCESSFUL;
	}
	/* PCI_COMMAND written as the low half of a dword (restore state) */
	if (where == PCI_COMMAND && size == 4)
		size = 2;
	if (fake_writable(f, where, size)) {
		le = cpu_to_le32(val);
		memcpy(&f->cfg[where], &le, size);
	}
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops fake_ops = {
	.read = fake_read,
	.write = fake_write,
};

static void put16(struct fake *f, int off, u16 v)
{
	f->cfg[off] = v;
	f->cfg[off + 1] = v >> 8;
}

static void put32(struct fake *f, int off, u32 v)
{
	put16(f, off, v);
	put16(f, off + 2, v >> 16);
}

/*
 * Config space: header, PCIe Capability at 0x40, MSI Capability (2
 * messages, 64-bit) at 0x50, DOE at 0x100 (and 0x200).  A port is a Root
 * Port (type 1 header) whose PME interrupt is message 0.
 */
static void fake_build_cfg(struct fake *f)
{
	int i;

	put16(f, PCI_VENDOR_ID, FAKE_VENDOR);
	put16(f, PCI_DEVICE_ID, f->o.port ? FAKE_PORT : FAKE_DEVICE);
	put16(f, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(f, PCI_CLASS_REVISION,
	      (f->o.port ? PCI_CLASS_BRIDGE_PCI_NORMAL : PCI_CLASS_OTHERS << 8) << 8);
	f->cfg[PCI_HEADER_TYPE] = f->o.port ? PCI_HEADER_TYPE_BRIDGE : 0;
	if (f->o.port) {
		/* No bridge windows: base above limit */
		f->cfg[PCI_IO_BASE] = 0xf0;
		put16(f, PCI_MEMORY_BASE, 0xfff0);
		put16(f, PCI_PREF_MEMORY_BASE, 0xfff0);
	}
	f->cfg[PCI_CAPABILITY_LIST] = 0x40;
	f->cfg[0x40] = PCI_CAP_ID_EXP;
	f->cfg[0x41] = MSI_CAP;
	put16(f, 0x40 + PCI_EXP_FLAGS, 2 |
	      (f->o.port ? PCI_EXP_TYPE_ROOT_PORT : PCI_EXP_TYPE_ENDPOINT) << 4);
	/* Function Level Reset, the reset method of pci_reset_function() */
	put32(f, EXP_CAP + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR);
	f->cfg[MSI_CAP] = PCI_CAP_ID_MSI;
	f->cfg[MSI_CAP + 1] = PM_CAP;
	/* D3hot; No_Soft_Reset clear: D3hot to D0 resets */
	f->cfg[PM_CAP] = PCI_CAP_ID_PM;
	f->cfg[PM_CAP + 1] = 0;
	put16(f, PM_CAP + PCI_PM_PMC, 3);
	put16(f, MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT |
	      FIELD_PREP(PCI_MSI_FLAGS_QMASK, 1));

	for (i = 0; i < f->nr_doe; i++) {
		struct resp *r = &f->resp[i];
		u16 next = i + 1 < f->nr_doe ? f->resp[i + 1].off : 0;

		put32(f, r->off, PCI_EXT_CAP_ID_DOE | f->o.version << 16 | next << 20);
		/* Interrupt Support, Interrupt Message Number i (1 for a port) */
		if (!f->o.no_int_sup)
			put32(f, r->off + PCI_DOE_CAP,
			      PCI_DOE_CAP_INT_SUP | r->msg << 1);
	}
}

static struct fake *fake_of_pdev(struct pci_dev *pdev)
{
	if (pdev->bus->ops != &fake_ops)
		return NULL;
	return bus_to_fake(pdev->bus);
}

/*
 * The seam of doe.c: the modelled vector of DOE Interrupt Message Number
 * @msg, while the parent has MSI enabled.  A port's are its real ones.
 */
static int fake_vector(struct pci_dev *pdev, unsigned int msg)
{
	struct fake *f = fake_of_pdev(pdev);

	if (!f || f->o.port)
		return -ENODEV;
	if (!pdev->msi_enabled && !pdev->msix_enabled)
		return 0;
	return msg < NR_VEC ? READ_ONCE(f->vec[msg]) : 0;
}

/* Set by a test: run in pci_doe_submit_task() after it queued a task */
static void (*fake_submitted_fn)(struct pci_doe_dev *doe);
/* Set by a test: fail an optional step of binding */
static int (*fake_inject_fn)(struct pci_doe_dev *doe,
			     enum pci_doe_kunit_step step);

static void fake_submitted(struct pci_doe_dev *doe)
{
	void (*fn)(struct pci_doe_dev *doe) = READ_ONCE(fake_submitted_fn);

	if (fn)
		fn(doe);
}

static int fake_inject(struct pci_doe_dev *doe, enum pci_doe_kunit_step step)
{
	int (*fn)(struct pci_doe_dev *doe, enum pci_doe_kunit_step step);

	fn = READ_ONCE(fake_inject_fn);
	return fn ? fn(doe, step) : 0;
}

static const struct pci_doe_kunit_ops fake_doe_ops = {
	.vector = fake_vector,
	.submitted = fake_submitted,
	.inject = fake_inject,
};

static void fake_destroy(void *data)
{
	struct fake *f = data;
	int i;

	if (f->bus) {
		WRITE_ONCE(f->all_ones, false);
		pci_lock_rescan_remove();
		pci_stop_root_bus(f->bus);
		pci_remove_root_bus(f->bus);
		pci_unlock_rescan_remove();
	}
	for (i = 0; i < f->nr_doe; i++) {
		struct resp *r = &f->resp[i];

		hrtimer_cancel(&r->ready_timer);
		irq_work_sync(&r->raise_work);
		vfree(r->wbuf);
		vfree(r->rbuf);
	}
	for (i = 0; i < NR_VEC; i++)
		if (f->vec[i])
			irq_free_desc(f->vec[i]);
	kfree(f);
}

static int fake_alloc_irq(void)
{
	int irq = irq_alloc_desc(NUMA_NO_NODE);

	if (irq < 0)
		return irq;
	irq_set_chip_and_handler(irq, &dummy_irq_chip, handle_simple_irq);
	irq_modify_status(irq, IRQ_NOREQUEST | IRQ_NOAUTOEN, IRQ_NOPROBE);
	return irq;
}

/* The parent's handlers on vector 0: claim only what the test raised */
static irqreturn_t parent_hardirq(int irq, void *data)
{
	struct fake *f = data;

	if (!atomic_xchg(&f->parent_pending, 0))
		return IRQ_NONE;
	atomic_inc(&f->parent_irqs);
	return IRQ_HANDLED;
}

static irqreturn_t parent_primary(int irq, void *data)
{
	struct fake *f = data;

	return atomic_read(&f->parent_pending) ? IRQ_WAKE_THREAD : IRQ_NONE;
}

static int parent_request(struct fake *f)
{
	int irq = f->vec[0], rc;

	switch (f->o.parent) {
	case P_EXCLUSIVE:
		rc = request_irq(irq, parent_hardirq, 0, "doe-kunit-parent", f);
		break;
	case P_PLAIN:
		rc = request_irq(irq, parent_hardirq, IRQF_SHARED,
				 "doe-kunit-parent", f);
		break;
	case P_ONESHOT:
		rc = request_threaded_irq(irq, NULL, parent_hardirq,
					  IRQF_SHARED | IRQF_ONESHOT,
					  "doe-kunit-parent", f);
		break;
	case P_THREADED:
		rc = request_threaded_irq(irq, parent_primary, parent_hardirq,
					  IRQF_SHARED, "doe-kunit-parent", f);
		break;
	default:
		return 0;
	}
	f->parent_rc = rc;
	f->parent_has_irq = !rc;
	return rc;
}

static void parent_free(struct fake *f)
{
	if (f->parent_has_irq)
		free_irq(f->vec[0], f);
	f->parent_has_irq = false;
}

/*
 * The test driver's probe: MSI, Bus Master Enable and its own handler as
 * its options say, around devm_pci_doe_create_devices().
 */
static int doe_kunit_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct fake *f = fake_of_pdev(pdev);
	int rc;

	WRITE_ONCE(f->probe_task, current);
	WRITE_ONCE(f->track_cmd, true);
	rc = pcim_enable_device(pdev);
	if (rc)
		return rc;
	if (!f->o.no_vectors) {
		rc = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
		if (rc < 0)
			return rc;
	}
	if (!f->o.no_master)
		pci_set_master(pdev);
	if (f->o.when == W_BEFORE)
		parent_request(f);
	rc = devm_pci_doe_create_devices(pdev, f->o.flags);
	if (f->o.when == W_AFTER)
		parent_request(f);
	if (!rc && f->o.rpm) {
		/* As a driver that supports runtime PM does (local_pci_probe()) */
		pm_runtime_put_noidle(&pdev->dev);
		pm_runtime_allow(&pdev->dev);
	}
	return rc;
}

static void doe_kunit_remove(struct pci_dev *pdev)
{
	struct fake *f = fake_of_pdev(pdev);

	WRITE_ONCE(f->track_cmd, false);
	if (f->o.rpm) {
		pm_runtime_forbid(&pdev->dev);
		pm_runtime_get_noresume(&pdev->dev);
	}
	parent_free(f);
	if (!f->o.keep_vectors) {
		pci_free_irq_vectors(pdev);
		f->action_after_free = irq_has_action(f->vec[0]) ||
				       irq_has_action(f->vec[1]);
	}
	f->removed_parent = true;
}

/* A DOE Capability's current interrupt, as its sysfs attribute shows it */
static void doe_interrupt_attr(struct pci_doe_dev *doe, char *buf);

static int match_doe_dev(struct device *dev, void *data)
{
	return !strncmp(dev_name(dev), "pci_doe.doe.", 12);
}

/* Wait until the DOE Capability's handler is attached, at most 5 s */
static bool wait_attached(struct pci_doe_dev *doe)
{
	char buf[32];
	int i;

	for (i = 0; i < 250; i++) {
		doe_interrupt_attr(doe, buf);
		if (strcmp(buf, "poll\n"))
			return true;
		msleep(20);
	}
	return false;
}

/*
 * Create the fake host bridge and its device; the test PCI driver (or the
 * port driver) binds and creates the DOE devices.  Returns with the
 * generic driver's Discovery finished on every DOE Capability, and, where
 * the options promise it, with the DOE interrupt attached.
 */
static struct fake *fake_create_opts(struct kunit *test,
				     const struct fake_opts *o)
{
	struct resource busn = DEFINE_RES_NAMED(0, 0xff, "doe-kunit bus",
						IORESOURCE_BUS);
	struct device *parent;
	LIST_HEAD(resources);
	struct pci_doe_dev *doe;
	struct fake *f;
	int domain, i;
	char *name;

	/*
	 * The host device first, so that it goes after fake_destroy()
	 * removed the bus (KUnit cleans up in reverse order).  A test may
	 * create several: one name per PCI domain, which outlives the
	 * device's driver.
	 */
	domain = o->domain ?: atomic_inc_return(&fake_domain);
	name = kunit_kzalloc(test, 32, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, name);
	snprintf(name, 32, "doe-kunit-host-%x", domain);
	parent = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, parent);

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->test = test;
	f->o = *o;
	if (!f->o.use_irq)
		f->o.no_vectors = true;
	f->nr_doe = o->nr_doe;
	for (i = 0; i < f->nr_doe; i++) {
		struct resp *r = &f->resp[i];

		r->fake = f;
		r->off = i ? DOE_CAP1 : DOE_CAP0;
		r->prot2 = i ? PROT_ECHO2 : 0;
		r->dup = o->dup_prot && !i;
		r->cycle = o->cycle;
		r->msg = o->port ? 1 : i;
		raw_spin_lock_init(&r->lock);
		hrtimer_init(&r->ready_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		r->ready_timer.function = resp_ready_timer;
		init_irq_work(&r->raise_work, resp_raise_work);
		r->wbuf = vzalloc(MAX_DW * sizeof(u32));
		r->rbuf = vzalloc((MAX_DW + 1) * sizeof(u32));
	}
	if (o->use_irq && !o->port)
		for (i = 0; i < NR_VEC; i++)
			f->vec[i] = fake_alloc_irq();
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fake_destroy, f));
	for (i = 0; i < f->nr_doe; i++) {
		KUNIT_ASSERT_NOT_NULL(test, f->resp[i].wbuf);
		KUNIT_ASSERT_NOT_NULL(test, f->resp[i].rbuf);
	}
	for (i = 0; i < NR_VEC; i++)
		KUNIT_ASSERT_GE(test, f->vec[i], 0);
	fake_build_cfg(f);

	f->sysdata.domain = domain;
	f->sysdata.node = NUMA_NO_NODE;
	pci_add_resource(&resources, &busn);

	pci_lock_rescan_remove();
	f->bus = pci_create_root_bus(parent, 0, &fake_ops, &f->sysdata,
				     &resources);
	if (f->bus) {
		pci_scan_child_bus(f->bus);
		pci_bus_add_devices(f->bus);
	}
	pci_unlock_rescan_remove();
	if (!f->bus)
		pci_free_resource_list(&resources);
	KUNIT_ASSERT_NOT_NULL(test, f->bus);

	f->pdev = pci_get_slot(f->bus, 0);
	KUNIT_ASSERT_NOT_NULL(test, f->pdev);
	pci_dev_put(f->pdev);	/* the bus holds it until fake_destroy() */
	KUNIT_ASSERT_NOT_NULL(test, f->pdev->dev.driver);

	/* pci_doe_find() waits for the Abort and Discovery of the binding */
	doe = pci_doe_find(f->pdev, TEST_VID, PROT_ECHO);
	KUNIT_ASSERT_NOT_NULL(test, doe);
	/*
	 * The parent's probe has returned: with PCI_DOE_IRQ_SPARE or a
	 * handler of the parent on vector 0, the DOE handler comes next.
	 */
	if (o->use_irq && !o->port && !o->no_int_sup &&
	    o->parent != P_EXCLUSIVE &&
	    ((o->flags & PCI_DOE_IRQ_ALLOC) ||
	     (!o->no_vectors && !o->no_master &&
	      ((o->flags & PCI_DOE_IRQ_SPARE) ||
	       (o->parent && o->when != W_LATER)))))
		KUNIT_EXPECT_TRUE(test, wait_attached(doe));
	pci_doe_put(doe);
	return f;
}

/* The common fake: @nr_doe DOE Capabilities, on vectors 0 and 1 if @use_irq */
static struct fake *fake_create(struct kunit *test, int nr_doe, bool use_irq,
				u8 version)
{
	struct fake_opts o = {
		.nr_doe = nr_doe,
		.use_irq = use_irq,
		.version = version,
		.flags = PCI_DOE_IRQ_SPARE,
	};

	return fake_create_opts(test, &o);
}

KUNIT_DEFINE_ACTION_WRAPPER(pci_doe_put_action, pci_doe_put, struct pci_doe_dev *);
KUNIT_DEFINE_ACTION_WRAPPER(put_device_action, put_device, struct device *);

static struct pci_doe_dev *find_doe(struct kunit *test, struct fake *f, u8 type)
{
	struct pci_doe_dev *doe = pci_doe_find(f->pdev, TEST_VID, type);

	KUNIT_ASSERT_NOT_NULL(test, doe);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, pci_doe_put_action, doe));
	return doe;
}

/* After a bind: wait for its Abort and Discovery; the caller puts it */
static struct pci_doe_dev *find_doe_wait(struct kunit *test, struct fake *f)
{
	struct pci_doe_dev *doe = pci_doe_find(f->pdev, TEST_VID, PROT_ECHO);

	KUNIT_ASSERT_NOT_NULL(test, doe);
	return doe;
}

static void set_fault(struct resp *r, enum fault what, unsigned int ms)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&r->lock, flags);
	r->fault = what;
	r->fault_ms = ms;
	r->busy_until = jiffies + msecs_to_jiffies(ms);
	if (what == F_ERROR_BEFORE_GO)
		r->error = true;
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

static void clear_fault(struct resp *r)
{
	set_fault(r, F_NONE, 0);
}

/* An echo exchange of @n dwords; asserts the data */
static void echo_ok(struct kunit *test, struct pci_doe_dev *doe, size_t n)
{
	__le32 *req, *rsp;
	size_t i;
	int rc;

	req = kunit_kcalloc(test, n + 1, sizeof(*req), GFP_KERNEL);
	rsp = kunit_kcalloc(test, n + 1, sizeof(*rsp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_NOT_NULL(test, rsp);
	for (i = 0; i < n; i++)
		req[i] = cpu_to_le32(pattern(i) ^ 0x1111);
	rc = pci_doe(doe, TEST_VID, PROT_ECHO, req, n * 4, rsp, n * 4);
	KUNIT_EXPECT_EQ(test, rc, (int)(n * 4));
	KUNIT_EXPECT_MEMEQ(test, req, rsp, n * 4);
}

static int echo_rc(struct pci_doe_dev *doe)
{
	__le32 req[2] = { cpu_to_le32(1), cpu_to_le32(2) }, rsp[2];

	return pci_doe(doe, TEST_VID, PROT_ECHO, req, sizeof(req), rsp, sizeof(rsp));
}

/* Basic behaviour */

static void discovery_lists_protocols(struct kunit *test, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);

	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, PCI_VENDOR_ID_PCI_SIG,
						      PCI_DOE_PROTOCOL_DISCOVERY));
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO));
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_LARGE));
	KUNIT_EXPECT_FALSE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_UNLISTED));
	/* Probe aborted once, then ran Discovery over 3 indices */
	KUNIT_EXPECT_EQ(test, f->resp[0].aborts, 1);
	KUNIT_EXPECT_EQ(test, f->resp[0].gos, 3);
	KUNIT_EXPECT_EQ(test, f->resp[0].last_disc_ver, 0);
}

static void discovery_poll(struct kunit *test) { discovery_lists_protocols(test, false); }
static void discovery_irq(struct kunit *test) { discovery_lists_protocols(test, true); }

/* PCIe r6.1 sec 6.30.1.1: Discovery version 2 for Capability Version 2 */
static void discovery_version_2(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 2);

	KUNIT_EXPECT_EQ(test, f->resp[0].last_disc_ver, 2);
}

static void echo_roundtrip(struct kunit *test, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);

	echo_ok(test, doe, 16);
	if (irq)
		KUNIT_EXPECT_GT(test, f->resp[0].raised, 0);
}

static void echo_poll(struct kunit *test) { echo_roundtrip(test, false); }
static void echo_irq(struct kunit *test) { echo_roundtrip(test, true); }

/* Payloads of 0, 1, 3, 4 and 5 dwords round-trip exactly */
static void payload_dword_sizes(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	size_t sizes[] = { 0, 1, 3, 4, 5 };
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		echo_ok(test, doe, sizes[i]);
}

/*
 * Byte sizes that are not multiples of 4: the last dword is padded with
 * zeroes on the wire and only the requested bytes come back.
 */
static void payload_byte_sizes(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	u8 req[11], rsp[12];
	size_t sz;
	int rc;

	for (sz = 1; sz <= sizeof(req); sz++) {
		memset(rsp, 0xee, sizeof(rsp));
		get_random_bytes(req, sizeof(req));
		rc = pci_doe(doe, TEST_VID, PROT_ECHO, req, sz, rsp, sz);
		KUNIT_EXPECT_EQ(test, rc, (int)sz);
		KUNIT_EXPECT_MEMEQ(test, req, rsp, sz);
		KUNIT_EXPECT_EQ(test, rsp[sz], 0xee);	/* nothing written past */
		/* The bytes padding the last dword on the wire are zero */
		if (sz % 4)
			KUNIT_EXPECT_EQ(test, f->resp[0].rbuf[2 + sz / 4] >> (8 * (sz % 4)), 0);
	}
}

/* 2^18 - 2 payload dwords: Length 0 on the wire, both ways */
static void max_object_length_zero(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	size_t n = MAX_DW - 2, i;
	__le32 *req, *rsp;
	int rc;

	req = vmalloc(n * 4);
	rsp = vmalloc(n * 4);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_NOT_NULL(test, rsp);
	for (i = 0; i < n; i++)
		req[i] = cpu_to_le32(pattern(i));
	rc = pci_doe(doe, TEST_VID, PROT_ECHO, req, n * 4, rsp, n * 4);
	KUNIT_EXPECT_EQ(test, rc, (int)(n * 4));
	KUNIT_EXPECT_EQ(test, f->resp[0].wbuf[1], 0);	/* request Length 0 */
	KUNIT_EXPECT_EQ(test, f->resp[0].rbuf[1], 0);	/* response Length 0 */
	KUNIT_EXPECT_EQ(test, memcmp(req, rsp, n * 4), 0);
	vfree(req);
	vfree(rsp);
}

/* The large-object protocol returns up to 2^18 - 2 dwords */
static void large_response(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_LARGE);
	__le32 req, *rsp;
	size_t n = 5000, i;
	int rc;

	rsp = kunit_kcalloc(test, n, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rsp);
	req = cpu_to_le32(n);
	rc = pci_doe(doe, TEST_VID, PROT_LARGE, &req, 4, rsp, n * 4);
	KUNIT_EXPECT_EQ(test, rc, (int)(n * 4));
	for (i = 0; i < n; i++)
		if (le32_to_cpu(rsp[i]) != pattern(i))
			break;
	KUNIT_EXPECT_EQ(test, i, n);
}

/* More than 2^18 dwords: -E2BIG before the hardware is touched */
static void oversize_request(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	unsigned int gos = f->resp[0].gos;
	size_t sz = (MAX_DW - 1) * 4;
	void *req = vzalloc(sz);
	__le32 rsp;

	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_ECHO, req, sz, &rsp, 4),
			-E2BIG);
	/* one byte over 2^18 - 2 dwords, too */
	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_ECHO, req,
				      (MAX_DW - 2) * 4 + 1, &rsp, 4), -E2BIG);
	KUNIT_EXPECT_EQ(test, f->resp[0].gos, gos);
	vfree(req);
	echo_ok(test, doe, 2);
}

/* A response longer than the buffer is read whole and truncated */
static void response_truncated(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	__le32 req[8], rsp[8];
	int i, rc;

	for (i = 0; i < 8; i++)
		req[i] = cpu_to_le32(i + 100);
	memset(rsp, 0, sizeof(rsp));
	rc = pci_doe(doe, TEST_VID, PROT_ECHO, req, sizeof(req), rsp, 10);
	KUNIT_EXPECT_EQ(test, rc, 10);
	KUNIT_EXPECT_MEMEQ(test, req, rsp, 10);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(rsp[3]), 0);
	KUNIT_EXPECT_FALSE(test, f->resp[0].ready);	/* drained */
	echo_ok(test, doe, 3);
}

static void unlisted_protocol(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	unsigned int gos = f->resp[0].gos;
	__le32 req = 0, rsp;

	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_UNLISTED, &req, 4, &rsp, 4),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, f->resp[0].gos, gos);
}

static void bad_task(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct pci_doe_task task = { .vid = TEST_VID, .type = PROT_ECHO };
	__le32 rsp;

	KUNIT_EXPECT_EQ(test, pci_doe_submit_task(doe, &task), -EINVAL);
	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_ECHO, NULL, 4, &rsp, 4),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pci_doe_submit_task(NULL, &task), -EINVAL);
}

/* The fault matrix: each fault, its errno, the state after, recovery */

struct fault_case {
	enum fault fault;
	unsigned int ms;
	int rc;
	bool aborts;		/* the fault must end in an Abort */
};

static void run_fault(struct kunit *test, const struct fault_case *fc, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int aborts = r->aborts;
	ktime_t t0;
	s64 ms;

	set_fault(r, fc->fault, fc->ms);
	t0 = ktime_get();
	if (fc->rc)
		KUNIT_EXPECT_EQ(test, echo_rc(doe), fc->rc);
	else
		echo_ok(test, doe, 2);
	/*
	 * PCIe r6.2 sec 6.30.2: Busy and Data Object Ready are waited for
	 * 1 second; then the Abort (on QEMU-fast hardware) takes no time.
	 */
	ms = ktime_ms_delta(ktime_get(), t0);
	if (fc->rc == -ETIMEDOUT || fc->rc == -EBUSY) {
		KUNIT_EXPECT_GE(test, ms, 1000);
		KUNIT_EXPECT_LT(test, ms, 1600);
	}
	if (fc->aborts)
		KUNIT_EXPECT_GT(test, r->aborts, aborts);
	/* The mailbox is idle afterwards: no Error, no Ready, no Busy */
	KUNIT_EXPECT_FALSE(test, r->error);
	KUNIT_EXPECT_FALSE(test, r->ready);

	clear_fault(r);
	echo_ok(test, doe, 4);
}

#define FAULT_CASE(name, f, ms, rc, ab)					\
static const struct fault_case fc_##name = { f, ms, rc, ab };		\
static void name##_poll(struct kunit *test) { run_fault(test, &fc_##name, false); } \
static void name##_irq(struct kunit *test) { run_fault(test, &fc_##name, true); }

FAULT_CASE(busy_stuck, F_BUSY_STUCK, 0, -EBUSY, false)
FAULT_CASE(busy_50ms, F_BUSY_MS, 50, 0, false)
FAULT_CASE(error_before_go, F_ERROR_BEFORE_GO, 0, -EIO, true)
FAULT_CASE(error_not_ready, F_ERROR_NOT_READY, 0, -EIO, true)
FAULT_CASE(error_after_last, F_ERROR_AFTER_LAST, 0, -EIO, true)
FAULT_CASE(no_ready, F_NO_READY, 0, -ETIMEDOUT, true)
FAULT_CASE(ready_drop, F_READY_DROP, 0, -EIO, true)
FAULT_CASE(short_response, F_SHORT, 0, -EIO, true)
FAULT_CASE(short_response_quiet, F_SHORT_QUIET, 0, -EIO, true)
FAULT_CASE(ready_drop_quiet, F_READY_DROP_QUIET, 0, -EIO, true)
FAULT_CASE(long_response, F_LONG, 0, -EIO, true)
FAULT_CASE(wrong_vid, F_WRONG_VID, 0, -EIO, true)
FAULT_CASE(wrong_type, F_WRONG_TYPE, 0, -EIO, true)
FAULT_CASE(length_one, F_LENGTH_ONE, 0, -EIO, true)

/* An Abort that never completes kills the DOE Capability: fail fast */
static void abort_stuck(struct kunit *test, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int gos;

	/* Error before Go forces the Abort, which then hangs in Busy */
	set_fault(r, F_ABORT_STUCK, 0);
	raw_spin_lock_irq(&r->lock);
	r->error = true;
	raw_spin_unlock_irq(&r->lock);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -EIO);
	KUNIT_EXPECT_TRUE(test, r->abort_stuck);

	clear_fault(r);
	gos = r->gos;
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -EIO);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -EIO);
	KUNIT_EXPECT_EQ(test, r->gos, gos);	/* dead: hardware untouched */
}

static void abort_stuck_poll(struct kunit *test) { abort_stuck(test, false); }
static void abort_stuck_irq(struct kunit *test) { abort_stuck(test, true); }

/* All-ones reads (surprise removal): -ENODEV without the timeouts */
static void all_ones(struct kunit *test, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int gos = r->gos;

	WRITE_ONCE(f->all_ones, true);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
	KUNIT_EXPECT_EQ(test, r->gos, gos);
	WRITE_ONCE(f->all_ones, false);
	echo_ok(test, doe, 1);
}

static void all_ones_poll(struct kunit *test) { all_ones(test, false); }
static void all_ones_irq(struct kunit *test) { all_ones(test, true); }

/*
 * DOE Status reads of an interrupt-driven exchange whose response takes
 * 20 ms: the Busy check before the request, the first Ready check, the
 * lost-interrupt recheck after 10 ms (PCI_DOE_IRQ_RECHECK_MS; the next
 * one, at 30 ms, comes after the response), the DOE handler's, the Ready
 * check after the wakeup, and the checks before and after the last
 * acknowledgment.
 */
#define IRQ_EXCHANGE_READS	7

/*
 * With a 20 ms response delay the interrupt, not a poll, wakes the
 * exchange: in interrupt mode DOE Status is read a fixed number of times
 * (IRQ_EXCHANGE_READS), while polling reads it many times over 20 ms.
 */
static void irq_wakes_exchange(struct kunit *test)
{
	struct fake *fi = fake_create(test, 1, true, 1);
	struct fake *fp = fake_create(test, 1, false, 1);
	struct pci_doe_dev *di = find_doe(test, fi, PROT_ECHO);
	struct pci_doe_dev *dp = find_doe(test, fp, PROT_ECHO);
	unsigned int si, sp;
	int events;
	ktime_t t0;
	s64 ti, tp;

	fi->resp[0].delay_us = 20000;
	fp->resp[0].delay_us = 20000;

	events = pci_doe_kunit_irq_events(di);
	si = fi->resp[0].status_reads;
	t0 = ktime_get();
	echo_ok(test, di, 2);
	ti = ktime_us_delta(ktime_get(), t0);
	si = fi->resp[0].status_reads - si;

	sp = fp->resp[0].status_reads;
	t0 = ktime_get();
	echo_ok(test, dp, 2);
	tp = ktime_us_delta(ktime_get(), t0);
	sp = fp->resp[0].status_reads - sp;

	KUNIT_EXPECT_GE(test, pci_doe_kunit_irq_events(di), events + 1);
	KUNIT_EXPECT_LE(test, si, IRQ_EXCHANGE_READS);
	KUNIT_EXPECT_GT(test, sp, si);
	kunit_info(test, "doe-latency delay_ms=20 irq_us=%lld poll_us=%lld irq_status_reads=%u poll_status_reads=%u\n",
		   ti, tp, si, sp);
}

/*
 * For make bench: a responder that takes 2 ms, in interrupt mode and in
 * polling mode, in the same run.  The medians are reported, not asserted:
 * speed is measured by make bench, never gated by a test.
 */
#define SLOW_EXCHANGES	21
#define SLOW_DELAY_US	2000

static int cmp_s64(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return x < y ? -1 : x > y;
}

static s64 slow_median_us(struct kunit *test, struct pci_doe_dev *doe,
			  struct resp *r, unsigned int *status_reads)
{
	unsigned int reads = r->status_reads;
	s64 us[SLOW_EXCHANGES];
	ktime_t t0;
	int i;

	for (i = 0; i < SLOW_EXCHANGES; i++) {
		t0 = ktime_get();
		echo_ok(test, doe, 2);
		us[i] = ktime_us_delta(ktime_get(), t0);
	}
	*status_reads = (r->status_reads - reads) / SLOW_EXCHANGES;
	sort(us, SLOW_EXCHANGES, sizeof(us[0]), cmp_s64, NULL);
	return us[SLOW_EXCHANGES / 2];
}

static void slow_responder_2ms(struct kunit *test)
{
	struct fake *fi = fake_create(test, 1, true, 1);
	struct fake *fp = fake_create(test, 1, false, 1);
	struct pci_doe_dev *di = find_doe(test, fi, PROT_ECHO);
	struct pci_doe_dev *dp = find_doe(test, fp, PROT_ECHO);
	unsigned int irq_reads, poll_reads;
	s64 irq_us, poll_us;

	fi->resp[0].delay_us = SLOW_DELAY_US;
	fp->resp[0].delay_us = SLOW_DELAY_US;
	irq_us = slow_median_us(test, di, &fi->resp[0], &irq_reads);
	poll_us = slow_median_us(test, dp, &fp->resp[0], &poll_reads);
	kunit_info(test, "doe-bench slow_responder delay_us=%d exchanges=%d irq_median_us=%lld poll_median_us=%lld irq_status_reads=%u poll_status_reads=%u\n",
		   SLOW_DELAY_US, SLOW_EXCHANGES, irq_us, poll_us, irq_reads,
		   poll_reads);
}

/* Concurrency */

struct stress {
	struct pci_doe_dev *doe;
	spinlock_t lock;	/* submission order */
	unsigned int next_seq;
	atomic_t done_seq;	/* completions seen, in order */
	atomic_t bad;
	atomic_t completions;
	struct completion all_done;
	unsigned int total;
};

struct stress_task {
	struct pci_doe_task task;
	struct stress *s;
	unsigned int seq;
	atomic_t calls;
	__le32 req[2], rsp[2];
};

static void stress_complete(struct pci_doe_task *task)
{
	struct stress_task *st = container_of(task, struct stress_task, task);
	struct stress *s = st->s;

	if (atomic_inc_return(&st->calls) != 1 || task->rv != 8 ||
	    memcmp(st->req, st->rsp, 8))
		atomic_inc(&s->bad);
	/* In submission order: the n-th completion is the n-th submission */
	if (atomic_inc_return(&s->done_seq) != st->seq + 1)
		atomic_inc(&s->bad);
	if (atomic_inc_return(&s->completions) == s->total)
		complete(&s->all_done);
}

struct stress_thread {
	struct stress *s;
	struct stress_task *tasks;
	int id, n;
	struct completion done;
};

static int stress_fn(void *data)
{
	struct stress_thread *t = data;
	struct stress *s = t->s;
	int i, rc;

	for (i = 0; i < t->n; i++) {
		struct stress_task *st = &t->tasks[i];

		st->s = s;
		st->req[0] = cpu_to_le32(t->id);
		st->req[1] = cpu_to_le32(i);
		st->task = (struct pci_doe_task) {
			.vid = TEST_VID, .type = PROT_ECHO,
			.request_pl = st->req, .request_pl_sz = 8,
			.response_pl = st->rsp, .response_pl_sz = 8,
			.complete = stress_complete,
		};
		spin_lock(&s->lock);
		st->seq = s->next_seq++;
		rc = pci_doe_submit_task(s->doe, &st->task);
		spin_unlock(&s->lock);
		if (rc)
			atomic_inc(&s->bad);
		if (i % 16 == 15)
			cond_resched();
	}
	complete(&t->done);
	return 0;
}

/* 8 threads x 200 exchanges on one DOE Capability */
static void eight_threads(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct stress_thread th[8];
	struct stress s = {};
	int i;

	s.doe = find_doe(test, f, PROT_ECHO);
	spin_lock_init(&s.lock);
	init_completion(&s.all_done);
	s.total = 8 * 200;
	for (i = 0; i < 8; i++) {
		th[i] = (struct stress_thread) { .s = &s, .id = i, .n = 200 };
		th[i].tasks = kunit_kcalloc(test, 200, sizeof(*th[i].tasks), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, th[i].tasks);
		init_completion(&th[i].done);
	}
	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(stress_fn, &th[i], "doe-kunit-%d", i)));
	for (i = 0; i < 8; i++)
		wait_for_completion(&th[i].done);
	KUNIT_ASSERT_NE(test, 0UL,
			wait_for_completion_timeout(&s.all_done, 600 * HZ));
	KUNIT_EXPECT_EQ(test, atomic_read(&s.completions), 1600);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.bad), 0);
	for (i = 0; i < 8; i++) {
		int j;

		for (j = 0; j < 200; j++)
			KUNIT_EXPECT_EQ(test, atomic_read(&th[i].tasks[j].calls), 1);
	}
}

struct par {
	struct pci_doe_dev *doe;
	u8 type;
	int errors;
	struct completion done;
};

static int par_fn(void *data)
{
	struct par *p = data;
	__le32 req = cpu_to_le32(7), rsp;
	int i;

	for (i = 0; i < 10; i++)
		if (pci_doe(p->doe, TEST_VID, p->type, &req, 4, &rsp, 4) != 4)
			p->errors++;
	complete(&p->done);
	return 0;
}

/* Two DOE Capabilities exchange at the same time */
static void two_caps_parallel(struct kunit *test)
{
	struct fake *f = fake_create(test, 2, true, 1);
	struct par p[2] = {
		{ .doe = find_doe(test, f, PROT_ECHO), .type = PROT_ECHO },
		{ .doe = find_doe(test, f, PROT_ECHO2), .type = PROT_ECHO2 },
	};
	int i;

	KUNIT_ASSERT_PTR_NE(test, p[0].doe, p[1].doe);
	f->resp[0].delay_us = 20000;
	f->resp[1].delay_us = 20000;
	atomic_set(&global_max_in_flight, 0);
	for (i = 0; i < 2; i++) {
		init_completion(&p[i].done);
		KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(par_fn, &p[i], "doe-par-%d", i)));
	}
	for (i = 0; i < 2; i++)
		wait_for_completion(&p[i].done);
	KUNIT_EXPECT_EQ(test, p[0].errors, 0);
	KUNIT_EXPECT_EQ(test, p[1].errors, 0);
	/* Both responders had an exchange in flight at once */
	KUNIT_EXPECT_EQ(test, atomic_read(&global_max_in_flight), 2);
}

/* Lifetime */

struct lt {
	struct pci_doe_task task;
	atomic_t calls;
	__le32 req, rsp;
};

static atomic_t lt_done;

static void lt_complete(struct pci_doe_task *task)
{
	struct lt *l = container_of(task, struct lt, task);

	atomic_inc(&l->calls);
	atomic_inc(&lt_done);
}

/* Submit @n echo tasks, without waiting for any */
static struct lt *submit_many(struct kunit *test, struct pci_doe_dev *doe, int n)
{
	struct lt *l = kunit_kcalloc(test, n, sizeof(*l), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	atomic_set(&lt_done, 0);
	for (i = 0; i < n; i++) {
		l[i].task = (struct pci_doe_task) {
			.vid = TEST_VID, .type = PROT_ECHO,
			.request_pl = &l[i].req, .request_pl_sz = 4,
			.response_pl = &l[i].rsp, .response_pl_sz = 4,
			.complete = lt_complete,
		};
		KUNIT_ASSERT_EQ(test, pci_doe_submit_task(doe, &l[i].task), 0);
	}
	return l;
}

static struct lt *queue_many(struct kunit *test, struct pci_doe_dev *doe,
			     struct resp *r, int n)
{
	struct lt *l = submit_many(test, doe, n);
	int i;

	/* Wait until the first is in flight */
	for (i = 0; i < 1000 && !READ_ONCE(r->in_flight); i++)
		usleep_range(1000, 2000);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(r->in_flight));
	return l;
}

static void check_all_done(struct kunit *test, struct lt *l, int n)
{
	int i, enodev = 0;

	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&l[i].calls), 1);
		KUNIT_EXPECT_TRUE(test, l[i].task.rv == 4 || l[i].task.rv == -ENODEV);
		enodev += l[i].task.rv == -ENODEV;
	}
	KUNIT_EXPECT_GE(test, enodev, n - 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&lt_done), n);
}

/* A shared vector firing for someone else is not claimed */
static void spurious_irq(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	int events = pci_doe_kunit_irq_events(doe), i;
	unsigned int reads;
	struct lt *l;

	/* Idle: not even a DOE Status read, on a vector shared with the driver */
	reads = r->status_reads;
	for (i = 0; i < 10; i++)
		generic_handle_irq_safe(resp_vec(r));
	KUNIT_EXPECT_EQ(test, pci_doe_kunit_irq_events(doe), events);
	KUNIT_EXPECT_EQ(test, r->status_reads, reads);

	/* While an exchange waits, with DOE Interrupt Status clear */
	r->delay_us = 200000;
	l = queue_many(test, doe, r, 1);
	for (i = 0; i < 10; i++)
		generic_handle_irq_safe(resp_vec(r));
	KUNIT_EXPECT_TRUE(test, hrtimer_active(&r->ready_timer));
	KUNIT_EXPECT_EQ(test, pci_doe_kunit_irq_events(doe), events);
	for (i = 0; i < 150 && !atomic_read(&l[0].calls); i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, l[0].task.rv, 4);
	r->delay_us = 0;

	echo_ok(test, doe, 3);
	KUNIT_EXPECT_GT(test, pci_doe_kunit_irq_events(doe), events);
}

static struct device *doe_auxdev(struct kunit *test, struct fake *f)
{
	struct device *dev = device_find_child(&f->pdev->dev, NULL, match_doe_dev);

	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_device_action, dev));
	return dev;
}

/* Unbind the generic driver with 50 queued and one in flight */
static void unbind_generic_busy(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *adev = doe_auxdev(test, f);
	unsigned int gos, aborts;
	struct lt *l;

	f->resp[0].delay_us = 50000;
	l = queue_many(test, doe, &f->resp[0], 51);
	gos = f->resp[0].gos;
	aborts = f->resp[0].aborts;
	/* An interrupt nobody handled: DOE Interrupt Status left set */
	raw_spin_lock_irq(&f->resp[0].lock);
	f->resp[0].int_status = true;
	raw_spin_unlock_irq(&f->resp[0].lock);
	device_release_driver(adev);
	check_all_done(test, l, 51);
	/*
	 * The queued tasks never reached the hardware (one may have
	 * started): no Go, and no request begun and aborted either
	 */
	KUNIT_EXPECT_LE(test, f->resp[0].gos, gos + 1);
	KUNIT_EXPECT_LE(test, f->resp[0].aborts, aborts + 1);
	/* Handed over with DOE Interrupt Enable and Interrupt Status clear */
	KUNIT_EXPECT_FALSE(test, f->resp[0].int_en);
	KUNIT_EXPECT_FALSE(test, f->resp[0].int_status);

	/* Handed over: the kernel's users get -ENODEV, lookups nothing */
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
	KUNIT_EXPECT_NULL(test, pci_doe_find(f->pdev, TEST_VID, PROT_ECHO));
	KUNIT_EXPECT_FALSE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO));

	/* Bind again: Abort, rediscover, work */
	f->resp[0].delay_us = 0;
	KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
	pci_doe_put(find_doe_wait(test, f));
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO));
	echo_ok(test, doe, 3);
}

/* Unbind the parent PCI driver with 50 queued and one in flight */
static void unbind_parent_busy(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct lt *l;

	f->resp[0].delay_us = 50000;
	l = queue_many(test, doe, &f->resp[0], 51);
	device_release_driver(&f->pdev->dev);
	check_all_done(test, l, 51);
	/* The reference from pci_doe_find() is still good */
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
	KUNIT_EXPECT_NULL(test, pci_doe_find(f->pdev, TEST_VID, PROT_ECHO));
}

/* Remove the function while an exchange waits for Data Object Ready */
static void remove_waiting(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct pci_dev *pdev = f->pdev;
	struct lt *l;

	set_fault(&f->resp[0], F_NO_READY, 0);
	l = queue_many(test, doe, &f->resp[0], 1);
	WRITE_ONCE(f->all_ones, true);
	pci_stop_and_remove_bus_device_locked(pdev);
	check_all_done(test, l, 1);
	KUNIT_EXPECT_EQ(test, l[0].task.rv, -ENODEV);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
}

/* The sysfs interrupt attribute of a DOE Capability, into @buf[32] */
static void doe_interrupt_attr(struct pci_doe_dev *doe, char *buf)
{
	struct device *dev = pci_doe_kunit_dev(doe);
	const struct attribute_group **g = dev->type->groups;
	char *page = (char *)get_zeroed_page(GFP_KERNEL);
	struct device_attribute *attr;
	int i;

	strscpy(buf, "none\n", 32);
	if (!page)
		return;
	for (i = 0; g[0]->attrs[i]; i++) {
		if (strcmp(g[0]->attrs[i]->name, "interrupt"))
			continue;
		attr = container_of(g[0]->attrs[i], struct device_attribute, attr);
		if (attr->show(dev, attr, page) > 0)
			strscpy(buf, page, 32);
	}
	free_page((unsigned long)page);
}

/* The sysfs interrupt attribute says how the DOE Capability is driven */
static void interrupt_attr(struct kunit *test)
{
	struct fake *fi = fake_create(test, 1, true, 1);
	struct fake *fp = fake_create(test, 1, false, 1);
	char buf[32];

	doe_interrupt_attr(find_doe(test, fi, PROT_ECHO), buf);
	KUNIT_EXPECT_STREQ(test, buf, "msi 0\n");
	doe_interrupt_attr(find_doe(test, fp, PROT_ECHO), buf);
	KUNIT_EXPECT_STREQ(test, buf, "poll\n");
}

/* PCI_DOE_IOC_EXCHANGE, through the file's own ioctl */

struct uexch {
	struct pci_doe_exchange ex;
	u8 req[64];
	u8 rsp[64];
};

static struct file *doe_open(struct kunit *test, struct pci_doe_dev *doe)
{
	struct file *file = pci_doe_kunit_open(doe);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	return file;
}

static void doe_close(struct file *file)
{
	fput(file);
	flush_delayed_fput();
}

/*
 * One exchange of @req_sz bytes through the ioctl, with its buffers in
 * user memory of this test.  Returns the ioctl's result; the response
 * payload goes to @rsp (64 bytes).
 */
static long doe_ioctl(struct kunit *test, struct file *file, u16 vid, u8 type,
		      const void *req, u32 req_sz, void *rsp)
{
	unsigned long ua = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE,
					 PROT_READ | PROT_WRITE,
					 MAP_ANONYMOUS | MAP_PRIVATE, 0);
	struct uexch __user *u = (struct uexch __user *)ua;
	struct uexch k = {
		.ex = {
			.size = sizeof(k.ex),
			.vid = vid,
			.type = type,
			.request = (u64)(uintptr_t)u->req,
			.response = (u64)(uintptr_t)u->rsp,
			.request_size = req_sz,
			.response_size = sizeof(k.rsp),
		},
	};
	long rc;

	KUNIT_ASSERT_NE_MSG(test, ua, 0, "no user memory");
	KUNIT_ASSERT_LE(test, req_sz, sizeof(k.req));
	memcpy(k.req, req, req_sz);
	KUNIT_ASSERT_EQ(test, copy_to_user(u, &k, sizeof(k)), 0);
	rc = file->f_op->unlocked_ioctl(file, PCI_DOE_IOC_EXCHANGE,
					(unsigned long)u);
	KUNIT_ASSERT_EQ(test, copy_from_user(&k, u, sizeof(k)), 0);
	if (rsp)
		memcpy(rsp, k.rsp, sizeof(k.rsp));
	return rc ?: k.ex.response_size;
}

/*
 * Default deny: while the kernel owns the DOE Capability, the ioctl serves
 * Discovery and what a kernel user declared read-only safe; an unclaimed
 * protocol is refused with EACCES, one claimed exclusively with EBUSY,
 * one Discovery did not list with EOPNOTSUPP.  A claim ends when its
 * driver unbinds.
 */
static void ioctl_default_deny(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *dev = kunit_device_register(test, "doe-kunit-claimer");
	struct file *file = doe_open(test, doe);
	__le32 req = cpu_to_le32(5), disc = 0;
	u8 rsp[64];

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, PCI_VENDOR_ID_PCI_SIG,
					PCI_DOE_PROTOCOL_DISCOVERY, &disc, 4, rsp), 4);
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, TEST_VID, PROT_ECHO, &req, 4, rsp),
			-EACCES);
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, TEST_VID, PROT_UNLISTED, &req, 4,
					rsp), -EOPNOTSUPP);

	KUNIT_EXPECT_EQ(test, devm_pci_doe_claim(dev, doe, TEST_VID, PROT_ECHO, 0), 0);
	KUNIT_EXPECT_EQ(test, devm_pci_doe_claim(dev, doe, TEST_VID, PROT_ECHO, 0),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, TEST_VID, PROT_ECHO, &req, 4, rsp),
			-EBUSY);
	/* The claim does not stop the kernel's own exchanges */
	echo_ok(test, doe, 2);

	KUNIT_EXPECT_EQ(test, devm_pci_doe_claim(dev, doe, TEST_VID, PROT_LARGE,
						 PCI_DOE_CLAIM_READ_ONLY_SAFE), 0);
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, TEST_VID, PROT_LARGE, &req, 4, rsp),
			20);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(((__le32 *)rsp)[4]), pattern(4));
	KUNIT_EXPECT_EQ(test, devm_pci_doe_claim(dev, doe, PCI_VENDOR_ID_PCI_SIG,
						 PCI_DOE_PROTOCOL_DISCOVERY, 0), -EINVAL);

	kunit_device_unregister(test, dev);
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, TEST_VID, PROT_LARGE, &req, 4, rsp),
			-EACCES);
	doe_close(file);
}

/* Send SIGKILL to a thread after a delay */
struct killer {
	struct task_struct *victim;
	unsigned int ms;
	struct completion done;
};

static int killer_fn(void *data)
{
	struct killer *k = data;

	msleep(k->ms);
	send_sig(SIGKILL, k->victim, 1);
	complete(&k->done);
	return 0;
}

/*
 * A fatal signal ends PCI_DOE_IOC_EXCHANGE at once, whether its exchange
 * is queued or in flight; the exchange left in the kernel owns its
 * buffers (KASAN would see them used after free) and completes.
 */
static void ioctl_killable(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *dev = kunit_device_register(test, "doe-kunit-claimer");
	struct file *file = doe_open(test, doe);
	struct killer k = { .victim = current, .ms = 50 };
	__le32 req = cpu_to_le32(9);
	struct lt *l;
	ktime_t t0;
	u8 rsp[64];

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, devm_pci_doe_claim(dev, doe, TEST_VID, PROT_ECHO,
						 PCI_DOE_CLAIM_READ_ONLY_SAFE), 0);
	f->resp[0].delay_us = 300000;
	allow_signal(SIGKILL);

	/* In flight: the responder takes 300 ms, the signal comes at 50 ms */
	init_completion(&k.done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(killer_fn, &k, "doe-killer")));
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, TEST_VID, PROT_ECHO, &req, 4, rsp),
			-EINTR);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), t0), 250);
	wait_for_completion(&k.done);
	flush_signals(current);

	/* Queued behind a slow task: taken back without running */
	l = queue_many(test, doe, &f->resp[0], 1);
	init_completion(&k.done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(killer_fn, &k, "doe-killer")));
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, TEST_VID, PROT_ECHO, &req, 4, rsp),
			-EINTR);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), t0), 250);
	wait_for_completion(&k.done);
	flush_signals(current);
	disallow_signal(SIGKILL);

	/* Both left in the kernel complete; the DOE Capability is idle */
	msleep(700);
	KUNIT_EXPECT_EQ(test, atomic_read(&l[0].calls), 1);
	f->resp[0].delay_us = 0;
	echo_ok(test, doe, 2);
	doe_close(file);
}

/* Run by the pci_doe_lockdown suite only, booted with lockdown=integrity */
static void ioctl_locked_down(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct file *file = doe_open(test, doe);
	__le32 disc = 0;

	KUNIT_ASSERT_NE_MSG(test, security_locked_down(LOCKDOWN_PCI_ACCESS), 0,
			    "this suite needs the kernel booted with lockdown=integrity");
	KUNIT_EXPECT_EQ(test, doe_ioctl(test, file, PCI_VENDOR_ID_PCI_SIG,
					PCI_DOE_PROTOCOL_DISCOVERY, &disc, 4, NULL), -EPERM);
	/* The kernel's own exchanges go on */
	echo_ok(test, doe, 1);
	doe_close(file);
}

/* The DOE interrupt and the parent's interrupts */

struct share_case {
	const char *name;
	enum parent_irq parent;
	enum parent_when when;
	bool rerequest;		/* the parent frees its handler and requests it again */
};

static const struct share_case share_cases[] = {
	{ "plain before", P_PLAIN, W_BEFORE },
	{ "oneshot before", P_ONESHOT, W_BEFORE },
	{ "threaded before", P_THREADED, W_BEFORE },
	{ "plain after", P_PLAIN, W_AFTER },
	{ "oneshot after", P_ONESHOT, W_AFTER },
	{ "threaded after", P_THREADED, W_AFTER },
	{ "plain later", P_PLAIN, W_LATER },
	{ "oneshot later", P_ONESHOT, W_LATER },
	{ "threaded later", P_THREADED, W_LATER },
	{ "plain re-requested", P_PLAIN, W_BEFORE, true },
	{ "oneshot re-requested", P_ONESHOT, W_AFTER, true },
	{ "threaded re-requested", P_THREADED, W_AFTER, true },
	/* A driver that does not share its vector: the DOE Capability polls */
	{ "exclusive before", P_EXCLUSIVE, W_BEFORE },
	{ "exclusive later", P_EXCLUSIVE, W_LATER },
};

KUNIT_ARRAY_PARAM_DESC(share, share_cases, name);

/* The parent's handler gets an interrupt raised for it on vector 0 */
static void expect_parent_irq(struct kunit *test, struct fake *f)
{
	int before = atomic_read(&f->parent_irqs), i;

	atomic_set(&f->parent_pending, 1);
	generic_handle_irq_safe(f->vec[0]);
	for (i = 0; i < 50 && atomic_read(&f->parent_irqs) == before; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->parent_irqs), before + 1);
}

/*
 * An exchange with a 20 ms response delay is woken by the DOE interrupt:
 * a fixed number of DOE Status reads, not a poll loop.
 */
static void expect_irq_exchange(struct kunit *test, struct fake *f,
				struct pci_doe_dev *doe)
{
	struct resp *r = &f->resp[0];
	int events = pci_doe_kunit_irq_events(doe);
	unsigned int reads = r->status_reads;

	r->delay_us = 20000;
	echo_ok(test, doe, 2);
	r->delay_us = 0;
	KUNIT_EXPECT_GT(test, pci_doe_kunit_irq_events(doe), events);
	KUNIT_EXPECT_LE(test, r->status_reads - reads, IRQ_EXCHANGE_READS);
}

/*
 * The parent shares vector 0 with the DOE Capability: plain, IRQF_ONESHOT
 * or threaded; requested before devm_pci_doe_create_devices(), after it
 * in probe (with the generic driver already bound), after probe, or
 * freed and requested again.  Every request succeeds, both handlers get
 * their interrupts, and exchanges use the DOE interrupt.
 */
static void irq_sharing(struct kunit *test)
{
	const struct share_case *c = test->param_value;
	struct fake_opts o = {
		.nr_doe = 1, .use_irq = true, .version = 1,
		.parent = c->parent, .when = c->when,
		/* A vector requested after probe is shared, never spare */
		.flags = c->when == W_LATER ? 0 : PCI_DOE_IRQ_SPARE,
	};
	struct fake *f = fake_create_opts(test, &o);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	char buf[32];

	if (c->when == W_LATER) {
		/* Polling until the parent has a handler there to share */
		doe_interrupt_attr(doe, buf);
		KUNIT_EXPECT_STREQ(test, buf, "poll\n");
		echo_ok(test, doe, 1);
		KUNIT_EXPECT_EQ(test, parent_request(f), 0);
		echo_ok(test, doe, 1);	/* attaches */
	}
	KUNIT_ASSERT_EQ(test, f->parent_rc, 0);
	KUNIT_ASSERT_TRUE(test, f->parent_has_irq);
	if (c->rerequest) {
		parent_free(f);
		KUNIT_EXPECT_EQ(test, parent_request(f), 0);
	}
	if (c->parent == P_EXCLUSIVE) {
		echo_ok(test, doe, 1);
		doe_interrupt_attr(doe, buf);
		KUNIT_EXPECT_STREQ(test, buf, "poll\n");
		expect_parent_irq(test, f);
		echo_ok(test, doe, 2);
		KUNIT_EXPECT_EQ(test, pci_doe_kunit_irq_events(doe), 0);
		return;
	}
	KUNIT_EXPECT_TRUE(test, wait_attached(doe));
	doe_interrupt_attr(doe, buf);
	KUNIT_EXPECT_STREQ(test, buf, "msi 0\n");

	expect_parent_irq(test, f);
	expect_irq_exchange(test, f, doe);
	expect_parent_irq(test, f);
}

/*
 * A parent that frees its vectors in ->remove(), before devres deletes
 * the DOE devices: by then no DOE handler is on them, neither the one
 * sharing vector 0 nor the one alone on spare vector 1.
 */
static void vectors_freed_in_remove(struct kunit *test)
{
	struct fake_opts o = {
		.nr_doe = 2, .use_irq = true, .version = 1,
		.flags = PCI_DOE_IRQ_SPARE, .parent = P_PLAIN, .when = W_BEFORE,
	};
	struct fake *f = fake_create_opts(test, &o);
	struct pci_doe_dev *d1 = find_doe(test, f, PROT_ECHO2);

	KUNIT_EXPECT_TRUE(test, wait_attached(d1));
	KUNIT_EXPECT_TRUE(test, irq_has_action(f->vec[0]));
	KUNIT_EXPECT_TRUE(test, irq_has_action(f->vec[1]));
	device_release_driver(&f->pdev->dev);
	KUNIT_EXPECT_TRUE(test, f->removed_parent);
	KUNIT_EXPECT_FALSE(test, f->action_after_free);
	KUNIT_EXPECT_FALSE(test, irq_has_action(f->vec[0]));
	KUNIT_EXPECT_FALSE(test, irq_has_action(f->vec[1]));
	KUNIT_EXPECT_EQ(test, echo_rc(d1), -ENODEV);
}

/*
 * The parent frees and allocates its vectors while bound, and gets
 * another IRQ number: the DOE handler moves with it, also across a rebind
 * of the generic driver, and never touches the old number, which is gone.
 */
static void vectors_reallocated(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *adev = doe_auxdev(test, f);
	int old = f->vec[0], new = fake_alloc_irq();
	char buf[32];

	KUNIT_ASSERT_GT(test, new, 0);
	KUNIT_EXPECT_TRUE(test, irq_has_action(old));
	pci_free_irq_vectors(f->pdev);
	KUNIT_EXPECT_FALSE(test, irq_has_action(old));
	doe_interrupt_attr(doe, buf);
	KUNIT_EXPECT_STREQ(test, buf, "poll\n");
	echo_ok(test, doe, 1);		/* no vectors: polls */

	WRITE_ONCE(f->vec[0], new);
	irq_free_desc(old);		/* the old number is gone for good */
	/* A stale DOE Interrupt Status would hold back every interrupt */
	raw_spin_lock_irq(&f->resp[0].lock);
	f->resp[0].int_status = true;
	raw_spin_unlock_irq(&f->resp[0].lock);
	KUNIT_ASSERT_EQ(test, pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), 1);
	expect_irq_exchange(test, f, doe);
	KUNIT_EXPECT_TRUE(test, irq_has_action(new));

	device_release_driver(adev);
	KUNIT_EXPECT_FALSE(test, irq_has_action(new));
	KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
	pci_doe_put(find_doe_wait(test, f));
	KUNIT_EXPECT_TRUE(test, wait_attached(doe));
	expect_irq_exchange(test, f, doe);
}

static void poll_restore(void *unused)
{
	pci_doe_kunit_set_poll(false);
}

/* pci_doe.poll=1: the next binding polls although a vector is there */
static void poll_param(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *adev = doe_auxdev(test, f);
	struct resp *r = &f->resp[0];
	unsigned int reads;
	int events;
	char buf[32];

	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, poll_restore, NULL));
	pci_doe_kunit_set_poll(true);
	device_release_driver(adev);
	KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
	pci_doe_put(find_doe_wait(test, f));

	events = pci_doe_kunit_irq_events(doe);
	reads = r->status_reads;
	r->delay_us = 20000;
	echo_ok(test, doe, 2);
	KUNIT_EXPECT_EQ(test, pci_doe_kunit_irq_events(doe), events);
	KUNIT_EXPECT_GT(test, r->status_reads - reads, 6);
	KUNIT_EXPECT_FALSE(test, irq_has_action(f->vec[0]));
	doe_interrupt_attr(doe, buf);
	KUNIT_EXPECT_STREQ(test, buf, "poll\n");
}

struct fallback_case {
	const char *name;
	struct fake_opts o;
	bool norequest;		/* vector 0 refuses request_irq() */
	bool no_vec0;		/* the function has no vector 0 */
};

static const struct fallback_case fallback_cases[] = {
	{ "no Interrupt Support", { .no_int_sup = true, .flags = PCI_DOE_IRQ_SPARE } },
	{ "no vector for the message", { .flags = PCI_DOE_IRQ_SPARE }, .no_vec0 = true },
	{ "request_irq fails", { .flags = PCI_DOE_IRQ_SPARE }, .norequest = true },
	{ "Bus Master Enable clear", { .no_master = true, .flags = PCI_DOE_IRQ_SPARE } },
	{ "unrequested vector, not spare", { .flags = 0 } },
	{ "driver without MSI", { .no_vectors = true, .flags = PCI_DOE_IRQ_SPARE } },
};

KUNIT_ARRAY_PARAM_DESC(fallback, fallback_cases, name);

/*
 * Every way the DOE interrupt cannot be had ends in polling: exchanges
 * work, no DOE handler is attached, no vector is allocated and Bus
 * Master Enable is left alone.
 */
static void irq_fallback(struct kunit *test)
{
	const struct fallback_case *c = test->param_value;
	struct fake_opts o = c->o;
	struct pci_doe_dev *doe;
	struct fake *f;
	char buf[32];
	u16 cmd;

	o.nr_doe = 1;
	o.use_irq = true;
	o.version = 1;
	f = fake_create_opts(test, &o);
	doe = find_doe(test, f, PROT_ECHO);
	if (c->no_vec0 || c->norequest) {
		/* Vectors change under the DOE Capability: rebind to see it */
		struct device *adev = doe_auxdev(test, f);

		device_release_driver(adev);
		if (c->no_vec0)
			WRITE_ONCE(f->vec[0], 0);
		else
			irq_set_status_flags(f->vec[0], IRQ_NOREQUEST);
		KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
		pci_doe_put(find_doe_wait(test, f));
	}

	f->resp[0].delay_us = 5000;
	echo_ok(test, doe, 3);
	echo_ok(test, doe, 3);
	doe_interrupt_attr(doe, buf);
	KUNIT_EXPECT_STREQ(test, buf, "poll\n");
	KUNIT_EXPECT_EQ(test, pci_doe_kunit_irq_events(doe), 0);
	KUNIT_EXPECT_EQ(test, (bool)f->pdev->msi_enabled, !o.no_vectors);
	pci_read_config_word(f->pdev, PCI_COMMAND, &cmd);
	KUNIT_EXPECT_EQ(test, !!(cmd & PCI_COMMAND_MASTER), !o.no_master);
	if (c->norequest) {
		/* A new binding tries again */
		struct device *adev = doe_auxdev(test, f);

		irq_clear_status_flags(f->vec[0], IRQ_NOREQUEST);
		device_release_driver(adev);
		KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
		pci_doe_put(find_doe_wait(test, f));
		KUNIT_EXPECT_TRUE(test, wait_attached(doe));
	}
}

/*
 * PCI_DOE_IRQ_ALLOC, for a driver with no interrupts: the vectors are
 * allocated and Bus Master Enable set in the driver's probe thread, and
 * nothing else writes PCI_COMMAND while the driver is bound.
 */
static void alloc_in_probe(struct kunit *test)
{
	struct fake_opts o = {
		.nr_doe = 2, .use_irq = true, .version = 1, .no_vectors = true,
		.no_master = true, .flags = PCI_DOE_IRQ_ALLOC,
	};
	struct fake *f = fake_create_opts(test, &o);
	struct pci_doe_dev *d1 = find_doe(test, f, PROT_ECHO2);
	u16 cmd;

	KUNIT_EXPECT_TRUE(test, f->pdev->msi_enabled);
	pci_read_config_word(f->pdev, PCI_COMMAND, &cmd);
	KUNIT_EXPECT_TRUE(test, cmd & PCI_COMMAND_MASTER);
	KUNIT_EXPECT_TRUE(test, wait_attached(d1));
	expect_irq_exchange(test, f, find_doe(test, f, PROT_ECHO));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->cmd_writes_elsewhere), 0);
}

/* The same for a driver that owns its vectors: the DOE never writes it */
static void command_from_probe_only(struct kunit *test)
{
	struct fake *f = fake_create(test, 2, true, 1);
	struct device *adev = doe_auxdev(test, f);

	expect_irq_exchange(test, f, find_doe(test, f, PROT_ECHO));
	device_release_driver(adev);
	KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
	pci_doe_put(find_doe_wait(test, f));
	echo_ok(test, find_doe(test, f, PROT_ECHO), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->cmd_writes_elsewhere), 0);
}

/*
 * A Root Port whose PME service needs message 0 and whose DOE Capability
 * signals on message 1, where x86 without interrupt remapping gives one
 * MSI vector: the port driver keeps its services on MSI, the DOE polls.
 */
static void port_services_keep_msi(struct kunit *test)
{
	struct fake_opts o = {
		.nr_doe = 1, .use_irq = true, .version = 1, .port = true,
	};
	struct fake *f = fake_create_opts(test, &o);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	char buf[32];

	KUNIT_EXPECT_STREQ(test, f->pdev->dev.driver->name, "pcieport");
	KUNIT_EXPECT_TRUE(test, f->pdev->msi_enabled);
	KUNIT_EXPECT_GT(test, pci_irq_vector(f->pdev, 0), 0);
	/* PME's handler is on it: the services, not the DOE, got the vector */
	KUNIT_EXPECT_TRUE(test, irq_has_action(pci_irq_vector(f->pdev, 0)));
	echo_ok(test, doe, 2);
	doe_interrupt_attr(doe, buf);
	KUNIT_EXPECT_STREQ(test, buf, "poll\n");
}

/* Lifetimes and races */

/* A test thread submitting one task; its completion drops the reference */
struct racer {
	struct pci_doe_dev *doe;
	struct pci_doe_task task;
	__le32 req, rsp;
	int rc;
	struct completion done;
};

static struct pci_doe_dev *race_doe;
static struct completion race_in_window, race_go;

/* Holds the submitter right after pci_doe_submit_task() queued its task */
static void race_submitted(struct pci_doe_dev *doe)
{
	if (cmpxchg(&race_doe, doe, NULL) != doe)
		return;
	complete(&race_in_window);
	wait_for_completion(&race_go);
}

static void racer_complete(struct pci_doe_task *task)
{
	struct racer *rc = container_of(task, struct racer, task);

	/* May be the last reference: the DOE core must not need @doe after */
	pci_doe_put(rc->doe);
	complete(&rc->done);
}

static int racer_fn(void *data)
{
	struct racer *rc = data;

	rc->task = (struct pci_doe_task) {
		.vid = TEST_VID, .type = PROT_ECHO,
		.request_pl = &rc->req, .request_pl_sz = 4,
		.response_pl = &rc->rsp, .response_pl_sz = 4,
		.complete = racer_complete,
	};
	rc->rc = pci_doe_submit_task(rc->doe, &rc->task);
	if (rc->rc) {
		pci_doe_put(rc->doe);
		complete(&rc->done);
	}
	return 0;
}

static void race_reset(void *unused)
{
	WRITE_ONCE(race_doe, NULL);
	WRITE_ONCE(fake_submitted_fn, NULL);
}

/*
 * A submitter stopped right after its task was queued, while @unbind
 * runs.  The task fails with -ENODEV, exactly once; the work item never
 * runs after unbind is done with the DOE Capability (KASAN: no
 * use-after-free when the task's completion drops the last reference).
 */
static void submit_vs_unbind(struct kunit *test, bool parent, bool rebind)
{
	struct fake *f = fake_create(test, 1, false, 1);
	/* Without it, the racer's completion drops the last reference */
	struct device *adev = parent ? NULL : doe_auxdev(test, f);
	struct resp *r = &f->resp[0];
	struct racer rc = { .req = cpu_to_le32(3) };
	unsigned int gos;

	rc.doe = pci_doe_find(f->pdev, TEST_VID, PROT_ECHO);	/* the racer's */
	KUNIT_ASSERT_NOT_NULL(test, rc.doe);
	init_completion(&rc.done);
	init_completion(&race_in_window);
	init_completion(&race_go);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, race_reset, NULL));
	WRITE_ONCE(race_doe, rc.doe);
	WRITE_ONCE(fake_submitted_fn, race_submitted);

	/* Slow down the work item's exchange, should it run the task */
	r->delay_us = 20000;
	gos = r->gos;
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(racer_fn, &rc, "doe-racer")));
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&race_in_window, 5 * HZ));
	if (parent) {
		device_release_driver(&f->pdev->dev);
	} else {
		device_release_driver(adev);
		if (rebind) {
			r->delay_us = 0;
			KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
			pci_doe_put(find_doe_wait(test, f));
			gos = r->gos;
			r->delay_us = 20000;
		}
	}
	complete(&race_go);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&rc.done, 5 * HZ));
	KUNIT_EXPECT_EQ(test, rc.rc, 0);
	KUNIT_EXPECT_EQ(test, rc.task.rv, -ENODEV);
	/* Give a stray work item the time to show itself */
	msleep(100);
	/* A task of the old binding never reached the new one's hardware */
	if (rebind)
		KUNIT_EXPECT_EQ(test, r->gos, gos);
}

static void submit_unbind_parent(struct kunit *test)
{
	submit_vs_unbind(test, true, false);
}

static void submit_unbind_rebind(struct kunit *test)
{
	submit_vs_unbind(test, false, true);
}

/*
 * The pci_doe_dev holds its pci_dev: a reference from pci_doe_find() used
 * after the function was removed touches no freed pci_dev (KASAN), with
 * the tracepoints, which print the function's name, enabled.
 */
static void pdev_outlives_doe(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = pci_doe_find(f->pdev, TEST_VID, PROT_ECHO);
	struct pci_doe_task task = { .vid = TEST_VID, .type = PROT_ECHO,
				     .complete = lt_complete };
	struct pci_dev *pdev = f->pdev;

	KUNIT_ASSERT_NOT_NULL(test, doe);
	KUNIT_ASSERT_EQ(test, trace_set_clr_event("pci_doe", NULL, 1), 0);
	pci_stop_and_remove_bus_device_locked(f->pdev);
	f->pdev = NULL;
	KUNIT_EXPECT_EQ(test, pci_doe_submit_task(doe, &task), -ENODEV);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
	trace_set_clr_event("pci_doe", NULL, 0);
	/* Removed, and still there for the DOE device (KASAN otherwise) */
	KUNIT_EXPECT_GE(test, kref_read(&pdev->dev.kobj.kref), 1);
	pci_doe_put(doe);
}

/*
 * Auxiliary device ids: two functions at the same BDF and offset in PCI
 * domains that differ only above bit 3 (VMD domains start at 0x10000,
 * Hyper-V's are random) both get their DOE device.
 */
static void ids_unique(struct kunit *test)
{
	struct fake_opts o = { .nr_doe = 1, .version = 1, .domain = 0x20000 };
	struct fake *a = fake_create_opts(test, &o);
	struct fake *b;

	o.domain = 0x20010;
	b = fake_create_opts(test, &o);
	KUNIT_EXPECT_STRNEQ(test, dev_name(doe_auxdev(test, a)),
			    dev_name(doe_auxdev(test, b)));
	echo_ok(test, find_doe(test, a, PROT_ECHO), 1);
	echo_ok(test, find_doe(test, b, PROT_ECHO), 1);
}

static bool has_feature(struct pci_doe_dev *doe, const char *name)
{
	struct kernfs_node *dir, *kn;

	dir = kernfs_find_and_get(pci_doe_kunit_dev(doe)->kobj.sd, "features");
	if (!dir)
		return false;
	kn = kernfs_find_and_get(dir, name);
	kernfs_put(dir);
	kernfs_put(kn);
	return kn;
}

/*
 * Discovery listing a protocol twice: kept once, and sysfs features/ is
 * created without a duplicate (which sysfs would report with a stack).
 */
static void discovery_duplicate(struct kunit *test)
{
	struct fake_opts o = { .nr_doe = 1, .version = 1, .dup_prot = true };
	struct fake *f = fake_create_opts(test, &o);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);

	KUNIT_EXPECT_EQ(test, f->resp[0].gos, 4);	/* 4 indices */
	KUNIT_EXPECT_TRUE(test, has_feature(doe, "0001:00"));
	KUNIT_EXPECT_TRUE(test, has_feature(doe, "1234:01"));
	KUNIT_EXPECT_TRUE(test, has_feature(doe, "1234:02"));
	KUNIT_EXPECT_FALSE(test, has_feature(doe, "1234:03"));
	echo_ok(test, doe, 2);
}

static int inject_fail(struct pci_doe_dev *doe, enum pci_doe_kunit_step step)
{
	return -ENOMEM;
}

static void inject_reset(void *unused)
{
	WRITE_ONCE(fake_inject_fn, NULL);
}

/*
 * Only the kernel's use of the DOE Capability can fail a binding: without
 * sysfs features/ and the character device, lookups and exchanges work.
 */
static void optional_steps_fail(struct kunit *test)
{
	struct pci_doe_dev *doe;
	struct fake *f;

	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, inject_reset, NULL));
	WRITE_ONCE(fake_inject_fn, inject_fail);
	f = fake_create(test, 1, false, 1);
	doe = find_doe(test, f, PROT_ECHO);
	WRITE_ONCE(fake_inject_fn, NULL);
	KUNIT_EXPECT_FALSE(test, has_feature(doe, "0001:00"));
	echo_ok(test, doe, 2);
}

static bool cdev_saw_ready;

static int inject_check_ready(struct pci_doe_dev *doe,
			      enum pci_doe_kunit_step step)
{
	if (step == PCI_DOE_KUNIT_CDEV)
		cdev_saw_ready = pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO);
	return 0;
}

/* The character device appears only once the DOE Capability is READY */
static void cdev_after_ready(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, inject_reset, NULL));
	cdev_saw_ready = false;
	WRITE_ONCE(fake_inject_fn, inject_check_ready);
	fake_create(test, 1, false, 1);
	KUNIT_EXPECT_TRUE(test, cdev_saw_ready);
}

/*
 * An Abort that times out while unbind cuts an exchange short leaves the
 * DOE Capability unbound (-ENODEV), not dead (-EIO); a later bind works.
 */
static void abort_timeout_on_unbind(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *adev = doe_auxdev(test, f);
	struct resp *r = &f->resp[0];
	struct lt *l;

	set_fault(r, F_NO_READY, 0);
	l = queue_many(test, doe, r, 1);
	set_fault(r, F_ABORT_STUCK, 0);
	device_release_driver(adev);
	check_all_done(test, l, 1);
	KUNIT_EXPECT_TRUE(test, r->abort_stuck);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);

	clear_fault(r);
	raw_spin_lock_irq(&r->lock);
	r->abort_stuck = false;
	raw_spin_unlock_irq(&r->lock);
	KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
	pci_doe_put(find_doe_wait(test, f));
	echo_ok(test, doe, 2);
}

/* Counts while the hog runs: proof that the CPU was yielded */
static atomic_t hog_runs;

static int hog_fn(void *unused)
{
	while (!kthread_should_stop()) {
		atomic_inc(&hog_runs);
		cond_resched();
	}
	return 0;
}

struct yield_run {
	struct pci_doe_dev *doe;
	__le32 *req, *rsp;
	size_t n;
	int rc;
	struct completion done;
};

static int yield_fn(void *data)
{
	struct yield_run *y = data;

	y->rc = pci_doe(y->doe, TEST_VID, PROT_ECHO, y->req, y->n * 4, y->rsp,
			y->n * 4);
	complete(&y->done);
	return 0;
}

/*
 * A 2^18-dword exchange yields the CPU in its loops: a thread on the same
 * CPU runs while the request is written and while the response is read,
 * on a kernel without preemption, where only cond_resched() lets it.
 */
static void large_exchange_yields(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct yield_run y = { .doe = find_doe(test, f, PROT_ECHO), .n = MAX_DW - 2 };
	struct task_struct *hog, *ex;
	struct resp *r = &f->resp[0];

	KUNIT_ASSERT_TRUE_MSG(test, preempt_model_none() || preempt_model_voluntary(),
			      "needs a kernel that preempts only where it may sleep");
	y.req = vzalloc(y.n * 4);
	y.rsp = vzalloc(y.n * 4);
	KUNIT_ASSERT_NOT_NULL(test, y.req);
	KUNIT_ASSERT_NOT_NULL(test, y.rsp);
	init_completion(&y.done);
	r->watch = &hog_runs;
	atomic_set(&hog_runs, 0);

	hog = kthread_create(hog_fn, NULL, "doe-hog");
	ex = kthread_create(yield_fn, &y, "doe-yield");
	KUNIT_ASSERT_FALSE(test, IS_ERR(hog));
	KUNIT_ASSERT_FALSE(test, IS_ERR(ex));
	kthread_bind(hog, 0);
	kthread_bind(ex, 0);
	wake_up_process(ex);
	wake_up_process(hog);
	wait_for_completion(&y.done);
	kthread_stop(hog);

	KUNIT_EXPECT_EQ(test, y.rc, (int)(y.n * 4));
	/* Snapshots: half the request written, Go, half the response, the end */
	KUNIT_EXPECT_GT(test, r->snap[1] - r->snap[0], 0);
	KUNIT_EXPECT_GT(test, r->snap[3] - r->snap[2], 0);
	r->watch = NULL;
	vfree(y.req);
	vfree(y.rsp);
}

/*
 * A Discovery whose Next Index cycles back: the binding ends after at
 * most 256 exchanges (Discovery indices are 8 bits) with what it found.
 */
static void discovery_cycle(struct kunit *test)
{
	struct fake_opts o = { .nr_doe = 1, .version = 1, .cycle = true };
	struct fake *f = fake_create_opts(test, &o);

	KUNIT_EXPECT_EQ(test, f->resp[0].gos, 256);
	echo_ok(test, find_doe(test, f, PROT_ECHO), 2);
}

/*
 * The parent frees its vectors while an exchange waits for the DOE
 * interrupt: the exchange polls from then on, and ends when the response
 * is there.  The vectors go right after the recheck of a lost interrupt
 * at 310 ms into a 700 ms wait (rechecks at 10, 30, 70, 150, 310, 470
 * ms): DOE Status is read many times in the 80 ms that follow, not none.
 */
static void detach_during_exchange(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int reads;
	struct lt *l;
	int i;

	r->delay_us = 700000;
	/* The raise is lost with the vector: model a device that sends it */
	l = queue_many(test, doe, r, 1);
	msleep(250);
	reads = READ_ONCE(r->pending_reads);
	for (i = 0; i < 400 && READ_ONCE(r->pending_reads) == reads; i++)
		usleep_range(500, 1000);
	pci_free_irq_vectors(f->pdev);
	reads = READ_ONCE(r->pending_reads);
	msleep(80);
	reads = READ_ONCE(r->pending_reads) - reads;
	for (i = 0; i < 150 && !atomic_read(&l[0].calls); i++)
		msleep(20);
	r->delay_us = 0;
	kunit_info(test, "DOE Status reads in the 80 ms after the free: %u\n",
		   reads);
	KUNIT_EXPECT_EQ(test, l[0].task.rv, 4);
	KUNIT_EXPECT_GE(test, reads, 10);
}

struct order_ctx {
	struct pci_doe_dev *doe;
	__le32 req, rsp;
	int rc;
	struct completion done;
};

static int order_inline_fn(void *data)
{
	struct order_ctx *o = data;

	o->rc = pci_doe(o->doe, TEST_VID, PROT_ECHO, &o->req, 4, &o->rsp, 4);
	complete(&o->done);
	return 0;
}

/*
 * pci_doe() runs inline only on an idle DOE Capability: with tasks
 * queued, it goes behind them, in submission order.
 */
static void inline_after_queued(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct order_ctx o = { .doe = doe, .req = cpu_to_le32(0xabc) };
	struct resp *r = &f->resp[0];
	struct lt *l;
	int i;

	r->delay_us = 50000;
	l = queue_many(test, doe, r, 3);
	init_completion(&o.done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(order_inline_fn, &o, "doe-inline")));
	wait_for_completion(&o.done);
	KUNIT_EXPECT_EQ(test, o.rc, 4);
	/* All queued tasks were done before the later pci_doe() returned */
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&l[i].calls), 1);
		KUNIT_EXPECT_EQ(test, l[i].task.rv, 4);
	}
	/* Its request was the last one the responder saw */
	KUNIT_EXPECT_EQ(test, r->wbuf[2], 0xabc);

	/*
	 * Queued, and the work item not started: on one CPU without
	 * preemption it runs only once this thread sleeps, so exchange_lock
	 * is free.  pci_doe() goes behind the tasks all the same.
	 */
	r->delay_us = 0;
	l = submit_many(test, doe, 3);
	o.req = cpu_to_le32(0xdef);
	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_ECHO, &o.req, 4, &o.rsp, 4), 4);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&l[i].calls), 1);
	KUNIT_EXPECT_EQ(test, r->wbuf[2], 0xdef);
}

/* Reset and power management */

/*
 * A Function Level Reset of an idle function: the DOE Capability is
 * Aborted and rediscovered, DOE Interrupt Enable and Bus Master Enable are
 * set again, and exchanges use the interrupt.
 */
static void reset_idle(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int aborts = r->aborts, gos = r->gos;
	u16 cmd;

	KUNIT_ASSERT_EQ(test, pci_reset_function(f->pdev), 0);
	KUNIT_EXPECT_EQ(test, r->resets, 1);
	/* The work item rediscovers; a lookup waits for it */
	pci_doe_put(find_doe_wait(test, f));
	KUNIT_EXPECT_EQ(test, r->aborts, aborts + 1);
	KUNIT_EXPECT_EQ(test, r->gos, gos + 3);
	KUNIT_EXPECT_TRUE(test, r->int_en);
	pci_read_config_word(f->pdev, PCI_COMMAND, &cmd);
	KUNIT_EXPECT_TRUE(test, cmd & PCI_COMMAND_MASTER);
	expect_irq_exchange(test, f, doe);
}

struct big_run {
	struct pci_doe_dev *doe;
	u8 type;
	void *req, *rsp;
	size_t req_sz, rsp_sz;
	int rc;
	struct completion done;
};

static int big_fn(void *data)
{
	struct big_run *b = data;

	b->rc = pci_doe(b->doe, TEST_VID, b->type, b->req, b->req_sz, b->rsp,
			b->rsp_sz);
	complete(&b->done);
	return 0;
}

/* Reset the function once *@pos is past 1000 dwords into an exchange */
static void reset_during(struct kunit *test, struct fake *f, struct big_run *b,
			 size_t *pos)
{
	int i;

	init_completion(&b->done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(big_fn, b, "doe-big")));
	for (i = 0; i < 5000 && READ_ONCE(*pos) < 1000; i++)
		usleep_range(200, 400);
	KUNIT_EXPECT_GE(test, READ_ONCE(*pos), 1000);
	KUNIT_ASSERT_EQ(test, pci_reset_function(f->pdev), 0);
	wait_for_completion(&b->done);
	/* Cut short by the reset, and nothing else */
	KUNIT_EXPECT_EQ(test, b->rc, -ECONNRESET);
}

/* A reset while the request is being written: -ECONNRESET, no Go */
static void reset_mid_request(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct big_run b = { .doe = find_doe(test, f, PROT_ECHO), .type = PROT_ECHO };
	struct resp *r = &f->resp[0];
	unsigned int gos = r->gos, aborts = r->aborts;

	b.req_sz = (MAX_DW - 2) * 4;
	b.rsp_sz = 4;
	b.req = vzalloc(b.req_sz);
	b.rsp = kzalloc(4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b.req);
	KUNIT_ASSERT_NOT_NULL(test, b.rsp);
	reset_during(test, f, &b, &r->widx);
	pci_doe_put(find_doe_wait(test, f));
	/* Only the Abort and Discovery after the reset went to the hardware */
	KUNIT_EXPECT_EQ(test, r->gos, gos + 3);
	KUNIT_EXPECT_EQ(test, r->aborts, aborts + 1);
	echo_ok(test, b.doe, 2);
	vfree(b.req);
	kfree(b.rsp);
}

/* A reset while the response is being read: -ECONNRESET */
static void reset_mid_response(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct big_run b = { .doe = find_doe(test, f, PROT_LARGE), .type = PROT_LARGE };
	struct resp *r = &f->resp[0];
	__le32 n = cpu_to_le32(MAX_DW - 2);
	unsigned int aborts = r->aborts;

	b.req = &n;
	b.req_sz = 4;
	b.rsp_sz = (MAX_DW - 2) * 4;
	b.rsp = vzalloc(b.rsp_sz);
	KUNIT_ASSERT_NOT_NULL(test, b.rsp);
	reset_during(test, f, &b, &r->ridx);
	pci_doe_put(find_doe_wait(test, f));
	KUNIT_EXPECT_EQ(test, r->resets, 1);
	KUNIT_EXPECT_EQ(test, r->aborts, aborts + 1);
	echo_ok(test, find_doe(test, f, PROT_ECHO), 2);
	vfree(b.rsp);
}

/*
 * A reset with one exchange in flight and 50 queued: the one in flight
 * fails with -ECONNRESET, the 50 run after the reset.
 */
static void reset_queued(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct lt *l;
	int i;

	f->resp[0].delay_us = 50000;
	l = queue_many(test, doe, &f->resp[0], 51);
	f->resp[0].delay_us = 0;
	KUNIT_ASSERT_EQ(test, pci_reset_function(f->pdev), 0);
	for (i = 0; i < 300 && atomic_read(&lt_done) < 51; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&lt_done), 51);
	/* The queued tasks waited for the end of the reset */
	KUNIT_EXPECT_EQ(test, f->resp[0].flr_accesses, 0);
	KUNIT_EXPECT_EQ(test, l[0].task.rv, -ECONNRESET);
	for (i = 1; i < 51; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&l[i].calls), 1);
		KUNIT_EXPECT_EQ(test, l[i].task.rv, 4);
	}
}

/*
 * The protocol list changes across a reset (a firmware update): lookups
 * and sysfs features/ follow it.
 */
static void reset_changes_protocols(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];

	r->prot2_after_reset = PROT_ECHO2;
	r->drop_large_after_reset = true;
	KUNIT_EXPECT_FALSE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO2));
	KUNIT_EXPECT_TRUE(test, has_feature(doe, "1234:02"));
	KUNIT_ASSERT_EQ(test, pci_reset_function(f->pdev), 0);
	/* Lookups wait for the rediscovery */
	find_doe(test, f, PROT_ECHO2);
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO2));
	KUNIT_EXPECT_FALSE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_LARGE));
	KUNIT_EXPECT_TRUE(test, has_feature(doe, "1234:04"));
	KUNIT_EXPECT_FALSE(test, has_feature(doe, "1234:02"));
	KUNIT_EXPECT_TRUE(test, has_feature(doe, "1234:01"));
	KUNIT_EXPECT_NULL(test, pci_doe_find(f->pdev, TEST_VID, PROT_LARGE));
	echo_ok(test, doe, 2);
}

/* A DOE Capability handed to userspace is not touched by a reset */
static void reset_unbound_untouched(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct device *adev = doe_auxdev(test, f);
	struct resp *r = &f->resp[0];
	unsigned int accesses;

	device_release_driver(adev);
	accesses = r->accesses;
	KUNIT_ASSERT_EQ(test, pci_reset_function(f->pdev), 0);
	KUNIT_EXPECT_EQ(test, r->resets, 1);
	KUNIT_EXPECT_EQ(test, r->accesses, accesses);
	KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
	pci_doe_put(find_doe_wait(test, f));
	echo_ok(test, find_doe(test, f, PROT_ECHO), 2);
}

static const struct dev_pm_ops *doe_pm(struct pci_doe_dev *doe)
{
	return pci_doe_kunit_dev(doe)->driver->pm;
}

/*
 * Between the generic driver's suspend_noirq and resume_noirq no device
 * interrupt is delivered: exchanges poll (DOE Status read every 10 us to
 * 1 ms, not only at the 10, 30, 70 ... ms rechecks of a lost interrupt),
 * and without DOE Interrupt Enable, which could abort the suspend.
 */
static void noirq_exchange(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *dev = pci_doe_kunit_dev(doe);
	int events = pci_doe_kunit_irq_events(doe);
	struct resp *r = &f->resp[0];
	unsigned int pending;

	KUNIT_ASSERT_EQ(test, doe_pm(doe)->suspend_noirq(dev), 0);
	disable_irq(f->vec[0]);		/* suspend_device_irqs() */
	r->delay_us = 200000;
	pending = r->pending_reads;
	echo_ok(test, doe, 1);
	r->delay_us = 0;
	pending = r->pending_reads - pending;
	kunit_info(test, "DOE Status reads while pending: %u\n", pending);
	KUNIT_EXPECT_GE(test, pending, 20);
	/* Polled with sleeps of 10 us to 2 ms between reads, not a spin */
	KUNIT_EXPECT_LT(test, pending, 1000);
	KUNIT_EXPECT_EQ(test, pci_doe_kunit_irq_events(doe), events);
	KUNIT_EXPECT_FALSE(test, r->int_en);
	KUNIT_EXPECT_FALSE(test, r->int_status);

	/*
	 * An interrupt of the noirq window (say, of an exchange started
	 * before it) was not handled: resume_noirq clears its DOE Interrupt
	 * Status, which would hold back every later one.
	 */
	raw_spin_lock_irq(&r->lock);
	r->int_status = true;
	raw_spin_unlock_irq(&r->lock);
	KUNIT_ASSERT_EQ(test, doe_pm(doe)->resume_noirq(dev), 0);
	KUNIT_EXPECT_FALSE(test, r->int_status);
	enable_irq(f->vec[0]);		/* resume_device_irqs(), after */
	msleep(50);			/* a resent interrupt finds nothing */
	expect_irq_exchange(test, f, doe);
}

/*
 * System resume after the function lost its state (and got another
 * protocol list): Abort, Discovery, DOE Interrupt Enable again.
 */
static void system_resume(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int aborts = r->aborts;

	r->prot2_after_reset = PROT_ECHO2;
	fake_reset_function(f);		/* D3cold while asleep */
	KUNIT_ASSERT_EQ(test, doe_pm(doe)->resume(pci_doe_kunit_dev(doe)), 0);
	pci_doe_put(find_doe_wait(test, f));
	KUNIT_EXPECT_EQ(test, r->aborts, aborts + 1);
	KUNIT_EXPECT_TRUE(test, r->int_en);
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO2));
	expect_irq_exchange(test, f, doe);
}

static bool wait_suspended(struct fake *f)
{
	int i;

	for (i = 0; i < 150; i++) {
		if (pm_runtime_suspended(&f->pdev->dev) && READ_ONCE(f->pstate) == 3)
			return true;
		msleep(20);
	}
	return false;
}

/*
 * A runtime-suspended function (D3hot, where this one does not answer
 * DOE) is resumed for an exchange, as the DOE device's parent, and
 * suspends again after.
 */
static void runtime_pm(struct kunit *test)
{
	struct fake_opts o = { .nr_doe = 1, .version = 1, .rpm = true };
	struct fake *f = fake_create_opts(test, &o);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);

	KUNIT_ASSERT_TRUE(test, wait_suspended(f));
	echo_ok(test, doe, 3);
	KUNIT_EXPECT_GE(test, f->resp[0].resets, 1);	/* D3hot to D0 */
	KUNIT_EXPECT_TRUE(test, wait_suspended(f));
	echo_ok(test, doe, 1);
	KUNIT_EXPECT_TRUE(test, wait_suspended(f));
}

/* A function in D3cold is not touched: -ENODEV, no config access */
static void d3cold_untouched(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *dev = pci_doe_kunit_dev(doe);
	struct resp *r = &f->resp[0];
	unsigned int accesses = r->accesses;

	/* As in system sleep: runtime PM off, the function powered off */
	pm_runtime_disable(dev);
	WRITE_ONCE(f->pdev->current_state, PCI_D3cold);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
	KUNIT_EXPECT_EQ(test, r->accesses, accesses);
	WRITE_ONCE(f->pdev->current_state, PCI_D0);
	pm_runtime_enable(dev);
	echo_ok(test, doe, 1);
}

/*
 * A rediscovery that fails (here Discovery gets DOE Error after a reset)
 * keeps the protocols found before: the DOE Capability is not dead, and
 * serves them once the device answers again.
 */
static void rediscovery_fails(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int aborts = r->aborts;

	r->fault_after_reset = F_ERROR_NOT_READY;
	KUNIT_ASSERT_EQ(test, pci_reset_function(f->pdev), 0);
	pci_doe_put(find_doe_wait(test, f));
	/* Abort, Discovery with DOE Error, and the Abort after it */
	KUNIT_EXPECT_EQ(test, r->aborts, aborts + 2);
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO));
	KUNIT_EXPECT_TRUE(test, has_feature(doe, "1234:02"));
	r->fault_after_reset = F_NONE;
	clear_fault(r);
	echo_ok(test, doe, 2);
}

/*
 * System resume of a function its driver left runtime-suspended does not
 * wake it: the DOE Capability is rediscovered before its next use.
 */
static void resume_while_suspended(struct kunit *test)
{
	struct fake_opts o = { .nr_doe = 1, .version = 1, .rpm = true };
	struct fake *f = fake_create_opts(test, &o);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int aborts;

	KUNIT_ASSERT_TRUE(test, wait_suspended(f));
	aborts = r->aborts;
	KUNIT_ASSERT_EQ(test, doe_pm(doe)->resume(pci_doe_kunit_dev(doe)), 0);
	msleep(200);
	KUNIT_EXPECT_TRUE(test, pm_runtime_suspended(&f->pdev->dev));
	KUNIT_EXPECT_EQ(test, r->aborts, aborts);

	/* The next lookup rediscovers: Abort and Discovery, then it suspends */
	pci_doe_put(find_doe_wait(test, f));
	KUNIT_EXPECT_EQ(test, r->aborts, aborts + 1);
	echo_ok(test, doe, 1);
	KUNIT_EXPECT_TRUE(test, wait_suspended(f));
}

/*
 * An interrupt that does not come (the shared vector masked by its other
 * user, here disabled) costs the exchange tens of milliseconds, not the
 * 1 second timeout: while the response (200 ms) is pending, DOE Status
 * is read again after 10, 20, 40 ... ms, not polled, and the exchange
 * succeeds.
 */
static void lost_interrupt(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int reads;

	r->delay_us = 200000;
	disable_irq(f->vec[0]);
	reads = r->pending_reads;
	echo_ok(test, doe, 1);
	reads = r->pending_reads - reads;
	enable_irq(f->vec[0]);
	r->delay_us = 0;

	kunit_info(test, "DOE Status reads while pending: %u\n", reads);
	KUNIT_EXPECT_GE(test, reads, 4);	/* at 0, 10, 30, 70, 150 ms */
	KUNIT_EXPECT_LT(test, reads, 20);	/* not a poll loop */
}

/*
 * A device that follows the r6.0 rule interrupts twice per request: when
 * DOE Busy clears after Go, and at Data Object Ready.  Both are claimed,
 * and the second wakes the exchange.
 */
static void two_interrupts_per_go(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	int events = pci_doe_kunit_irq_events(doe);
	unsigned int reads = r->status_reads, raised = r->raised;

	r->busy_clear_irq = true;
	r->delay_us = 20000;
	echo_ok(test, doe, 2);
	r->delay_us = 0;
	r->busy_clear_irq = false;
	KUNIT_EXPECT_EQ(test, r->raised - raised, 2);
	KUNIT_EXPECT_EQ(test, pci_doe_kunit_irq_events(doe), events + 2);
	/* One more DOE handler's read than with one interrupt */
	KUNIT_EXPECT_LE(test, r->status_reads - reads, IRQ_EXCHANGE_READS + 1);
}

/*
 * A DOE Capability marked for rediscovery by system resume (its function
 * runtime-suspended), then handed to userspace: lookups do not wait for
 * it.
 */
static void find_skips_unbound_stale(struct kunit *test)
{
	struct fake_opts o = { .nr_doe = 1, .version = 1, .rpm = true };
	struct fake *f = fake_create_opts(test, &o);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *adev = doe_auxdev(test, f);
	ktime_t t0;

	KUNIT_ASSERT_TRUE(test, wait_suspended(f));
	KUNIT_ASSERT_EQ(test, doe_pm(doe)->resume(pci_doe_kunit_dev(doe)), 0);
	device_release_driver(adev);
	t0 = ktime_get();
	KUNIT_EXPECT_NULL(test, pci_doe_find(f->pdev, TEST_VID, PROT_ECHO));
	/* Not the 10 s a lookup waits for a Discovery in progress */
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), t0), 5000);
	KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
	pci_doe_put(find_doe_wait(test, f));
	echo_ok(test, doe, 1);
}

struct looper {
	struct pci_doe_dev *doe;
	int ok, reset, other, stop;
	struct completion done;
};

static int looper_fn(void *data)
{
	struct looper *l = data;
	int rc;

	while (!READ_ONCE(l->stop)) {
		rc = echo_rc(l->doe);
		if (rc == 8)
			l->ok++;
		else if (rc == -ECONNRESET)
			l->reset++;
		else
			l->other++;
		cond_resched();	/* an immediate responder never sleeps */
	}
	complete(&l->done);
	return 0;
}

/*
 * During a reset new exchanges are refused with -ECONNRESET at once:
 * waiting for reset_done() could deadlock a bus reset whose other
 * functions exchange in their reset_prepare().
 */
static void reset_refuses_new(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct looper l = { .doe = find_doe(test, f, PROT_ECHO) };

	init_completion(&l.done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(looper_fn, &l, "doe-looper")));
	msleep(50);
	KUNIT_ASSERT_EQ(test, pci_reset_function(f->pdev), 0);
	msleep(50);
	WRITE_ONCE(l.stop, 1);
	wait_for_completion(&l.done);
	kunit_info(test, "%d ok, %d ECONNRESET, %d other\n", l.ok, l.reset, l.other);
	KUNIT_EXPECT_GT(test, l.ok, 0);
	/* Not only the exchange in flight: every one during the FLR (100 ms) */
	KUNIT_EXPECT_GT(test, l.reset, 1);
	/* Refused, not started and cut short */
	KUNIT_EXPECT_EQ(test, f->resp[0].flr_accesses, 0);
	KUNIT_EXPECT_EQ(test, l.other, 0);
	echo_ok(test, l.doe, 2);
}

/* The driver's reset_done() exchanges: after the rediscovery, it works */
static void exchange_in_reset_done(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct resp *r = &f->resp[0];
	unsigned int aborts = r->aborts;

	f->reset_done_rc = -1;
	f->exchange_in_reset_done = true;
	KUNIT_ASSERT_EQ(test, pci_reset_function(f->pdev), 0);
	KUNIT_EXPECT_EQ(test, f->reset_done_rc, 8);
	/* The rediscovery (its Abort) came before the driver's exchange */
	KUNIT_EXPECT_EQ(test, r->aborts, aborts + 1);
}

static const struct pci_device_id doe_kunit_ids[] = {
	{ PCI_DEVICE(FAKE_VENDOR, FAKE_DEVICE) },
	{ }
};

/* The driver's reset_done(): an exchange, if the test asks for one */
static void doe_kunit_reset_done(struct pci_dev *pdev)
{
	struct fake *f = fake_of_pdev(pdev);
	struct pci_doe_dev *doe;

	if (!f->exchange_in_reset_done)
		return;
	doe = pci_doe_find(pdev, TEST_VID, PROT_ECHO);
	f->reset_done_rc = doe ? echo_rc(doe) : -ENOENT;
	pci_doe_put(doe);
}

static const struct pci_error_handlers doe_kunit_err = {
	.reset_done = doe_kunit_reset_done,
};

static struct pci_driver doe_kunit_driver = {
	.name = "doe_kunit",
	.id_table = doe_kunit_ids,
	.probe = doe_kunit_probe,
	.remove = doe_kunit_remove,
	.err_handler = &doe_kunit_err,
};

static int doe_kunit_suite_init(struct kunit_suite *suite)
{
	pci_doe_kunit_set_ops(&fake_doe_ops);
	return pci_register_driver(&doe_kunit_driver);
}

static void doe_kunit_suite_exit(struct kunit_suite *suite)
{
	pci_unregister_driver(&doe_kunit_driver);
	pci_doe_kunit_set_ops(NULL);
}

static struct kunit_case doe_kunit_cases[] = {
	KUNIT_CASE(discovery_poll),
	KUNIT_CASE(discovery_irq),
	KUNIT_CASE(discovery_version_2),
	KUNIT_CASE(echo_poll),
	KUNIT_CASE(echo_irq),
	KUNIT_CASE(payload_dword_sizes),
	KUNIT_CASE(payload_byte_sizes),
	KUNIT_CASE_SLOW(max_object_length_zero),
	KUNIT_CASE(large_response),
	KUNIT_CASE(oversize_request),
	KUNIT_CASE(response_truncated),
	KUNIT_CASE(unlisted_protocol),
	KUNIT_CASE(bad_task),
	KUNIT_CASE_SLOW(busy_stuck_poll),
	KUNIT_CASE_SLOW(busy_stuck_irq),
	KUNIT_CASE(busy_50ms_poll),
	KUNIT_CASE(busy_50ms_irq),
	KUNIT_CASE(error_before_go_poll),
	KUNIT_CASE(error_before_go_irq),
	KUNIT_CASE(error_not_ready_poll),
	KUNIT_CASE(error_not_ready_irq),
	KUNIT_CASE(error_after_last_poll),
	KUNIT_CASE(error_after_last_irq),
	KUNIT_CASE_SLOW(no_ready_poll),
	KUNIT_CASE_SLOW(no_ready_irq),
	KUNIT_CASE(ready_drop_poll),
	KUNIT_CASE(ready_drop_irq),
	KUNIT_CASE(short_response_poll),
	KUNIT_CASE(short_response_irq),
	KUNIT_CASE(short_response_quiet_poll),
	KUNIT_CASE(short_response_quiet_irq),
	KUNIT_CASE(ready_drop_quiet_poll),
	KUNIT_CASE(ready_drop_quiet_irq),
	KUNIT_CASE(long_response_poll),
	KUNIT_CASE(long_response_irq),
	KUNIT_CASE(wrong_vid_poll),
	KUNIT_CASE(wrong_vid_irq),
	KUNIT_CASE(wrong_type_poll),
	KUNIT_CASE(wrong_type_irq),
	KUNIT_CASE(length_one_poll),
	KUNIT_CASE(length_one_irq),
	KUNIT_CASE_SLOW(abort_stuck_poll),
	KUNIT_CASE_SLOW(abort_stuck_irq),
	KUNIT_CASE(all_ones_poll),
	KUNIT_CASE(all_ones_irq),
	KUNIT_CASE(spurious_irq),
	KUNIT_CASE(irq_wakes_exchange),
	KUNIT_CASE(slow_responder_2ms),
	KUNIT_CASE_SLOW(eight_threads),
	KUNIT_CASE(two_caps_parallel),
	KUNIT_CASE(unbind_generic_busy),
	KUNIT_CASE(unbind_parent_busy),
	KUNIT_CASE(remove_waiting),
	KUNIT_CASE(interrupt_attr),
	KUNIT_CASE(ioctl_default_deny),
	KUNIT_CASE_SLOW(ioctl_killable),
	KUNIT_CASE_PARAM(irq_sharing, share_gen_params),
	KUNIT_CASE(vectors_freed_in_remove),
	KUNIT_CASE(vectors_reallocated),
	KUNIT_CASE(poll_param),
	KUNIT_CASE_PARAM(irq_fallback, fallback_gen_params),
	KUNIT_CASE(alloc_in_probe),
	KUNIT_CASE(command_from_probe_only),
	KUNIT_CASE(port_services_keep_msi),
	KUNIT_CASE(submit_unbind_parent),
	KUNIT_CASE(submit_unbind_rebind),
	KUNIT_CASE(pdev_outlives_doe),
	KUNIT_CASE(ids_unique),
	KUNIT_CASE(discovery_duplicate),
	KUNIT_CASE(optional_steps_fail),
	KUNIT_CASE(cdev_after_ready),
	KUNIT_CASE_SLOW(abort_timeout_on_unbind),
	KUNIT_CASE_SLOW(large_exchange_yields),
	KUNIT_CASE(discovery_cycle),
	KUNIT_CASE(detach_during_exchange),
	KUNIT_CASE(inline_after_queued),
	KUNIT_CASE(reset_idle),
	KUNIT_CASE_SLOW(reset_mid_request),
	KUNIT_CASE_SLOW(reset_mid_response),
	KUNIT_CASE(reset_queued),
	KUNIT_CASE(reset_changes_protocols),
	KUNIT_CASE(reset_unbound_untouched),
	KUNIT_CASE(noirq_exchange),
	KUNIT_CASE(system_resume),
	KUNIT_CASE(runtime_pm),
	KUNIT_CASE(d3cold_untouched),
	KUNIT_CASE(lost_interrupt),
	KUNIT_CASE(reset_refuses_new),
	KUNIT_CASE(exchange_in_reset_done),
	KUNIT_CASE(rediscovery_fails),
	KUNIT_CASE(two_interrupts_per_go),
	KUNIT_CASE(find_skips_unbound_stale),
	KUNIT_CASE(resume_while_suspended),
	{ }
};

static struct kunit_suite doe_kunit_suite = {
	.name = "pci_doe",
	.suite_init = doe_kunit_suite_init,
	.suite_exit = doe_kunit_suite_exit,
	.test_cases = doe_kunit_cases,
};

/*
 * Run on its own, with the kernel booted with lockdown=integrity (see
 * lab/scripts/kunit.sh): the ioctl is refused under lockdown.
 */
static struct kunit_case doe_kunit_lockdown_cases[] = {
	KUNIT_CASE(ioctl_locked_down),
	{ }
};

static struct kunit_suite doe_kunit_lockdown_suite = {
	.name = "pci_doe_lockdown",
	.suite_init = doe_kunit_suite_init,
	.suite_exit = doe_kunit_suite_exit,
	.test_cases = doe_kunit_lockdown_cases,
};

kunit_test_suites(&doe_kunit_suite, &doe_kunit_lockdown_suite);

MODULE_DESCRIPTION("KUnit tests for PCI Data Object Exchange");
MODULE_LICENSE("GPL");
