// SPDX-License-Identifier: GPL-2.0
/*
 * PCI Data Object Exchange (DOE), PCIe r6.2 sec 6.30
 *
 * A DOE Capability (Extended Capability ID 0x2E, registers in PCIe r6.2
 * sec 7.9.24) carries request and response data objects for one or more
 * protocols.  A function may implement several DOE Capabilities.
 *
 * Object model:
 *
 *   pci_dev (bound to e.g. cxl_pci)
 *    |- pci_doe.doe.<id>   auxiliary device for the DOE Capability at X
 *    |    `- bound to the generic driver pci_doe.generic: exchanges
 *    `- pci_doe.doe.<id>   ... for the DOE Capability at Y
 *
 * The function's driver creates the auxiliary devices from its probe with
 * devm_pci_doe_create_devices().  They are device-managed resources of that
 * driver binding, so they are deleted before the binding ends, and the
 * pci_dev outlives them.  Unbinding the generic driver from one auxiliary
 * device hands that DOE Capability to userspace; binding it again takes it
 * back (Documentation/PCI/doe.rst).
 *
 * Exchanges on one DOE Capability are serialized in submission order by a
 * single work item of that Capability; different Capabilities run in
 * parallel.  pci_doe() on an idle Capability runs its exchange in the
 * caller's thread instead, under the same lock as the work item.  The work
 * item also runs the Abort and Discovery of each binding, so nothing else
 * touches the registers meanwhile.
 *
 * Why a device per DOE Capability and not per protocol: a DOE Capability
 * runs one exchange at a time for all its protocols, and Abort resets all
 * of them (PCIe r6.2 sec 6.30.2), so its register block can only have one
 * owner.  Kernel users look up the DOE Capability serving a protocol with
 * pci_doe_find(); ownership passes between kernel and userspace per DOE
 * Capability.
 */

#define dev_fmt(fmt) "DOE: " fmt

#include <linux/anon_inodes.h>
#include <linux/auxiliary_bus.h>
#include <linux/bitfield.h>
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-doe.h>
#include <linux/pm_runtime.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "doe.h"
#include "pci.h"

#define CREATE_TRACE_POINTS
#include <trace/events/pci_doe.h>

/*
 * PCIe r6.2 sec 6.30.2: Data Object Ready and Abort within 1 second.  The
 * spec sets no bound for DOE Busy; 1 second is this driver's choice.
 */
#define PCI_DOE_TIMEOUT		HZ
/* Poll interval bounds when no interrupt is available */
#define PCI_DOE_POLL_MIN_US	10
#define PCI_DOE_POLL_MAX_US	1000
/* With the interrupt, DOE Status is read again after this, doubling */
#define PCI_DOE_IRQ_RECHECK_MS	10
#define PCI_DOE_IRQ_RECHECK_MAX_MS 160
/* Discovery indices are 8 bits (PCIe r6.2 sec 6.30.1.1) */
#define PCI_DOE_MAX_PROTOCOLS	256
/* PCI_DOE_IRQ_ALLOC first enables up to this many vectors, as portdrv */
#define PCI_DOE_MAX_VECTORS	32
/* A sysfs feature name: "VVVV:TT" */
#define PCI_DOE_FEATURE_NAME_SZ	sizeof("0000:00")

/* How long pci_doe_find() waits for a running Abort and Discovery */
#define PCI_DOE_PROBE_WAIT	(10 * HZ)

#define PCI_DOE_AUX_MODNAME	"pci_doe"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX	PCI_DOE_AUX_MODNAME "."

/* Read before each exchange; see Documentation/PCI/doe.rst */
static bool pci_doe_poll;
module_param_named(poll, pci_doe_poll, bool, 0644);
MODULE_PARM_DESC(poll, "Poll DOE Status instead of using the DOE interrupt");

/* @active_prot when no exchange runs: Vendor ID ffff, Data Object Type ff */
#define PCI_DOE_NO_PROT		0x00ffffff

static DEFINE_IDA(pci_doe_ida);

enum pci_doe_state {
	PCI_DOE_UNBOUND,	/* no generic driver: not the kernel's */
	PCI_DOE_PROBING,	/* bound; the work item runs Abort and Discovery */
	PCI_DOE_READY,		/* accepting tasks */
	PCI_DOE_DEAD,		/* Abort or Discovery failed: tasks fail with -EIO */
};

/**
 * struct pci_doe_dev - One DOE Capability
 * @adev: The auxiliary device, a child of @pdev
 * @pdev: The PCI function; a reference is held from creation until the
 *	  struct is freed, since files, claims and pci_doe_find() references
 *	  may outlive the auxiliary device's deletion
 * @doe_cap: Config space offset of the DOE Capability
 * @version: Capability Version of the DOE Extended Capability header
 * @flags: PCI_DOE_IRQ_* given by the function's driver
 * @lock: Protects @state, @cancel, @resetting, @stale and @tasks against
 *	  concurrent submitters, the work item and unbind; and makes each
 *	  write of DOE Control atomic with the @irq it reflects.  Taken with
 *	  interrupts disabled; the only hardware accesses under it are the
 *	  writes of DOE Control and, when the handler is attached, of DOE
 *	  Status.
 * @state: See enum pci_doe_state
 * @cancel: Set on unbind: waits in the exchange in flight end with -ENODEV
 * @resetting: Set between pci_doe_reset_prepare() and pci_doe_reset_done():
 *	       the exchange in flight ends with -ECONNRESET, the queued
 *	       tasks wait for the reset to be done, new ones are refused
 *	       with -ECONNRESET
 * @stale: The DOE state may be lost (a reset, system sleep): the work item
 *	   Aborts and rediscovers before the next task; lookups wait for it
 * @stale_why: The reason of that Abort, for the tracepoint
 * @noirq: Between the generic driver's suspend_noirq and resume_noirq,
 *	   when no device interrupt is delivered: exchanges poll
 * @tasks: Queued tasks, oldest first.  A task is added only together with
 *	   queueing @work, under @lock, so @work always sees it.
 * @work: Runs Abort and Discovery when bound, then the queued tasks one
 *	  after another, each under @exchange_lock
 * @exchange_lock: Held by whoever accesses the DOE registers while the
 *		   generic driver is bound: @work, or pci_doe() running its
 *		   task in the caller's thread when nothing is queued.  Remove
 *		   waits for it before it hands the Capability back.  Taken
 *		   outside @irq_lock and @lock, never inside them.
 * @wq: Woken by the DOE interrupt, by state changes and by cancellation
 * @active_prot: Protocol (type << 16 | vid) of the exchange in flight, or
 *		 PCI_DOE_NO_PROT.  Written by the holder of @exchange_lock,
 *		 back to PCI_DOE_NO_PROT under @lock; read by the DOE
 *		 interrupt handler.
 * @irq_lock: Serializes attaching and detaching the DOE interrupt.  Taken
 *	      inside @exchange_lock by the exchange paths, alone by the PCI
 *	      core when the function's vectors go away.
 * @irq: Linux IRQ the DOE handler is attached to, or 0 while polling.
 *	 Written under @irq_lock and @lock; read under either, or with
 *	 READ_ONCE() as a hint.
 * @irq_failed: request_irq() failed on the current vectors: do not retry
 *		until they go away (under @irq_lock)
 * @irq_blocked: The PCI core is freeing the function's vectors: no attach
 *		 (under @irq_lock)
 * @int_sup: DOE Capabilities: Interrupt Support (hardware-initialized)
 * @msg_valid: @msg was read for the current vectors (under @irq_lock)
 * @msg: DOE Interrupt Message Number, of @irq when attached
 * @msix: @irq is an MSI-X vector (else MSI)
 * @irq_events: Count of DOE interrupts handled
 * @irq_armed: A DOE interrupt is due: set with DOE Interrupt Enable at
 *	       Go; cleared when the exchange ends if it saw its interrupt,
 *	       else by the handler that claims the late one.  Written under
 *	       @lock, read by the handler with READ_ONCE() first.  A device
 *	       that never sends its interrupt keeps it set: each interrupt
 *	       of a shared vector then costs one DOE Status read.
 * @prots: Protocols found by Discovery, (type << 16 | vid) each, no
 *	   duplicates; replaced only while no exchange runs
 * @nr_prots: Number of entries in @prots
 * @features: sysfs features/ attributes, one per entry of @prots, or NULL
 * @claims: Protocols kernel users claimed (struct pci_doe_claim), under
 *	    @lock
 * @misc: The character device for PCI_DOE_IOC_EXCHANGE, once READY
 * @misc_added: @misc is registered
 * @binding: Counts the bindings of the generic driver; a file opened
 *	     during one is dead after it
 */
struct pci_doe_dev {
	struct auxiliary_device adev;
	struct pci_dev *pdev;
	u16 doe_cap;
	u8 version;
	unsigned int flags;

	spinlock_t lock;	/* see @lock above */
	enum pci_doe_state state;
	bool cancel;
	bool resetting;
	bool stale;
	const char *stale_why;
	bool noirq;
	struct list_head tasks;
	struct work_struct work;
	struct mutex exchange_lock;	/* see @exchange_lock above */
	wait_queue_head_t wq;
	u32 active_prot;

	struct mutex irq_lock;		/* see @irq_lock above */
	int irq;
	bool irq_failed;
	bool irq_blocked;
	bool int_sup;
	bool msg_valid;
	u16 msg;
	bool msix;
	atomic_t irq_events;
	bool irq_armed;

	u32 *prots;
	unsigned int nr_prots;
	struct device_attribute *features;
	struct list_head claims;

	struct miscdevice misc;
	bool misc_added;
	unsigned int binding;
};

/* An open /dev/pci_doe.doe.<id> */
struct pci_doe_file {
	struct pci_doe_dev *doe;
	unsigned int binding;
};

/* A protocol a kernel user claimed with devm_pci_doe_claim() */
struct pci_doe_claim {
	struct list_head node;
	struct pci_doe_dev *doe;
	u32 prot;
	unsigned int flags;
};

static struct pci_doe_dev *to_pci_doe_dev(struct device *dev)
{
	return container_of(dev, struct pci_doe_dev, adev.dev);
}

static u32 pci_doe_prot(u16 vid, u8 type)
{
	return (u32)type << 16 | vid;
}

static u16 pci_doe_prot_vid(u32 prot)
{
	return prot & 0xffff;
}

static u8 pci_doe_prot_type(u32 prot)
{
	return prot >> 16;
}

/* Discovery (PCIe r6.2 sec 6.30.1.1) is always served and never claimed */
static bool pci_doe_is_discovery(u16 vid, u8 type)
{
	return vid == PCI_VENDOR_ID_PCI_SIG && type == PCI_DOE_PROTOCOL_DISCOVERY;
}

#if IS_ENABLED(CONFIG_PCI_DOE_KUNIT_TEST)
/*
 * The KUnit test (doe_kunit.c) emulates DOE Capabilities behind a fake
 * host bridge, where there is no MSI.  Its hooks stand in for the
 * function's vectors and widen race windows; see struct pci_doe_kunit_ops.
 */
static const struct pci_doe_kunit_ops *pci_doe_kunit;

VISIBLE_IF_KUNIT void pci_doe_kunit_set_ops(const struct pci_doe_kunit_ops *ops)
{
	WRITE_ONCE(pci_doe_kunit, ops);
}
EXPORT_SYMBOL_IF_KUNIT(pci_doe_kunit_set_ops);

/* Number of DOE interrupts the handler claimed on @doe */
VISIBLE_IF_KUNIT int pci_doe_kunit_irq_events(struct pci_doe_dev *doe)
{
	return atomic_read(&doe->irq_events);
}
EXPORT_SYMBOL_IF_KUNIT(pci_doe_kunit_irq_events);

VISIBLE_IF_KUNIT struct device *pci_doe_kunit_dev(struct pci_doe_dev *doe)
{
	return &doe->adev.dev;
}
EXPORT_SYMBOL_IF_KUNIT(pci_doe_kunit_dev);

VISIBLE_IF_KUNIT void pci_doe_kunit_set_poll(bool poll)
{
	WRITE_ONCE(pci_doe_poll, poll);
}
EXPORT_SYMBOL_IF_KUNIT(pci_doe_kunit_set_poll);

static int pci_doe_kunit_vector(struct pci_dev *pdev, unsigned int msg)
{
	const struct pci_doe_kunit_ops *ops = READ_ONCE(pci_doe_kunit);

	return ops && ops->vector ? ops->vector(pdev, msg) : -ENODEV;
}

static void pci_doe_kunit_submitted(struct pci_doe_dev *doe)
{
	const struct pci_doe_kunit_ops *ops = READ_ONCE(pci_doe_kunit);

	if (ops && ops->submitted)
		ops->submitted(doe);
}

static int pci_doe_kunit_inject(struct pci_doe_dev *doe,
				enum pci_doe_kunit_step step)
{
	const struct pci_doe_kunit_ops *ops = READ_ONCE(pci_doe_kunit);

	return ops && ops->inject ? ops->inject(doe, step) : 0;
}
#else
static int pci_doe_kunit_vector(struct pci_dev *pdev, unsigned int msg)
{
	return -ENODEV;
}

static void pci_doe_kunit_submitted(struct pci_doe_dev *doe) { }

static int pci_doe_kunit_inject(struct pci_doe_dev *doe,
				enum pci_doe_kunit_step step)
{
	return 0;
}
#endif

/*
 * Config accesses.  A read of all-ones from DOE Status means the function
 * is gone (surprise removal): Busy, Error and Data Object Ready would all
 * read as set, none of which can be trusted.
 */
static int pci_doe_read_status(struct pci_doe_dev *doe, u32 *status)
{
	pci_read_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_STATUS, status);
	if (PCI_POSSIBLE_ERROR(*status) || pci_dev_is_disconnected(doe->pdev))
		return -ENODEV;
	return 0;
}

/*
 * Write DOE Control; DOE Interrupt Enable is set exactly while the DOE
 * handler is attached.  Under @lock, so that detaching the handler cannot
 * slip between reading @irq and the write.
 */
static void pci_doe_write_ctrl(struct pci_doe_dev *doe, u32 val)
{
	unsigned long flags;

	spin_lock_irqsave(&doe->lock, flags);
	/* Not in the noirq phases, where it could abort a suspend (wakeup) */
	if (doe->irq && !doe->noirq) {
		val |= PCI_DOE_CTRL_INT_EN;
		/* The exchange now waits for Data Object Ready or DOE Error */
		if (val & PCI_DOE_CTRL_GO)
			WRITE_ONCE(doe->irq_armed, true);
	}
	pci_write_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_CTRL, val);
	spin_unlock_irqrestore(&doe->lock, flags);
}

static bool pci_doe_cancelled(struct pci_doe_dev *doe)
{
	return READ_ONCE(doe->cancel) || READ_ONCE(doe->resetting);
}

/* How an exchange cut short ends: reset, or unbind */
static int pci_doe_cut_rc(struct pci_doe_dev *doe)
{
	return READ_ONCE(doe->resetting) ? -ECONNRESET : -ENODEV;
}

/* How pci_doe_wait() ends */
enum pci_doe_wait_for {
	PCI_DOE_WAIT_CLEAR,	/* all bits of the mask clear; polled */
	PCI_DOE_WAIT_ABORT,	/* same, and cut short only by a reset */
	PCI_DOE_WAIT_ANY_SET,	/* any bit of the mask set; interrupt driven */
};

/*
 * Wait for DOE Status, for at most PCI_DOE_TIMEOUT.  Busy clearing and
 * Abort completing raise no interrupt (PCIe r6.2 sec 6.30.3), so they are
 * polled with a bounded interval.  Data Object Ready and Error do raise
 * it, so that wait sleeps until the DOE interrupt while the handler is
 * attached.  The handler may be detached at any time (the function's
 * vectors go away): the wait then goes on polling.
 *
 * Return: 0, -ETIMEDOUT, -ENODEV if the function is gone or the generic
 * driver is being unbound (except for PCI_DOE_WAIT_ABORT), -ECONNRESET if
 * the function is being reset.
 */
static int pci_doe_wait(struct pci_doe_dev *doe, u32 mask,
			enum pci_doe_wait_for until, u32 *status)
{
	unsigned long deadline = jiffies + PCI_DOE_TIMEOUT + 1;
	unsigned int us = PCI_DOE_POLL_MIN_US;
	/* A lost interrupt (a masked shared vector) costs this, not 1 s */
	unsigned int irq_ms = PCI_DOE_IRQ_RECHECK_MS;
	int seen, irq, rc;

	for (;;) {
		/* No device interrupt is delivered in the noirq phases */
		irq = until == PCI_DOE_WAIT_ANY_SET && !READ_ONCE(doe->noirq) ?
		      READ_ONCE(doe->irq) : 0;
		seen = atomic_read(&doe->irq_events);
		rc = pci_doe_read_status(doe, status);
		if (rc)
			return rc;
		if (until == PCI_DOE_WAIT_ANY_SET ? *status & mask : !(*status & mask))
			return 0;
		if (READ_ONCE(doe->resetting) ||
		    (until != PCI_DOE_WAIT_ABORT && pci_doe_cancelled(doe)))
			return pci_doe_cut_rc(doe);
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		if (irq) {
			wait_event_timeout(doe->wq,
					   atomic_read(&doe->irq_events) != seen ||
					   READ_ONCE(doe->irq) != irq ||
					   READ_ONCE(doe->noirq) ||
					   pci_doe_cancelled(doe),
					   clamp_t(long, deadline - jiffies, 1,
						   msecs_to_jiffies(irq_ms)));
			irq_ms = min(2 * irq_ms, PCI_DOE_IRQ_RECHECK_MAX_MS);
		} else {
			usleep_range(us, 2 * us);
			us = min(2 * us, PCI_DOE_POLL_MAX_US);
		}
	}
}

/*
 * PCIe r6.2 sec 6.30.2: Abort clears Busy, Error and Data Object Ready
 * within 1 second.  If it does not, the DOE Capability is dead for this
 * binding: every later task fails with -EIO without touching it.  An
 * Abort on the way out of a binding leaves the state to unbind.
 */
static int pci_doe_abort(struct pci_doe_dev *doe, const char *reason)
{
	u32 prot = doe->active_prot, status;
	u16 vid = pci_doe_prot_vid(prot);
	u8 type = pci_doe_prot_type(prot);
	int rc;

	dev_dbg_ratelimited(&doe->pdev->dev, "[%x] Abort (%04x:%02x): %s\n",
			    doe->doe_cap, vid, type, reason);
	trace_pci_doe_abort(doe->pdev, doe->doe_cap, prot, reason);
	pci_doe_write_ctrl(doe, PCI_DOE_CTRL_ABORT);
	rc = pci_doe_wait(doe, PCI_DOE_STATUS_BUSY | PCI_DOE_STATUS_ERROR |
			  PCI_DOE_STATUS_DATA_OBJECT_READY, PCI_DOE_WAIT_ABORT,
			  &status);
	if (rc == -ETIMEDOUT) {
		trace_pci_doe_timeout(doe->pdev, doe->doe_cap, prot, "Abort");
		dev_err_ratelimited(&doe->pdev->dev,
				    "[%x] DOE Abort did not complete (status %#010x); DOE Capability disabled\n",
				    doe->doe_cap, status);
		spin_lock_irq(&doe->lock);
		if (doe->state != PCI_DOE_UNBOUND)
			doe->state = PCI_DOE_DEAD;
		spin_unlock_irq(&doe->lock);
		return -EIO;
	}
	return rc;
}

static size_t pci_doe_req_dw(const struct pci_doe_task *task)
{
	return PCI_DOE_HEADER_DW + DIV_ROUND_UP(task->request_pl_sz, sizeof(u32));
}

static int pci_doe_send_req(struct pci_doe_dev *doe,
			    const struct pci_doe_task *task)
{
	size_t len = pci_doe_req_dw(task), full = task->request_pl_sz / 4, i;
	struct pci_dev *pdev = doe->pdev;
	u32 status, val;
	int rc;

	/*
	 * PCIe r6.2 sec 6.30.2: the Write Data Mailbox must not be written
	 * while DOE Busy is set.  Another agent (firmware, or an earlier
	 * owner) may hold it for a while.
	 */
	rc = pci_doe_wait(doe, PCI_DOE_STATUS_BUSY, PCI_DOE_WAIT_CLEAR, &status);
	if (rc == -ETIMEDOUT) {
		trace_pci_doe_timeout(pdev, doe->doe_cap, doe->active_prot,
				      "Busy clear");
		dev_err_ratelimited(&pdev->dev, "[%x] DOE Busy for 1 s\n", doe->doe_cap);
		return -EBUSY;
	}
	if (rc)
		return rc;
	/*
	 * A DOE Interrupt Status nobody cleared (the interrupt came between
	 * exchanges, when the handler does not look) would hold back this
	 * exchange's interrupt.  RW1C, PCIe r6.2 sec 7.9.24.4.
	 */
	if ((status & PCI_DOE_STATUS_INT_STATUS) && READ_ONCE(doe->irq))
		pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_STATUS,
				       PCI_DOE_STATUS_INT_STATUS);
	if (status & PCI_DOE_STATUS_ERROR) {
		rc = pci_doe_abort(doe, "Error set before request");
		return rc ?: -EIO;
	}
	/*
	 * A response nobody read (say, from userspace before the kernel took
	 * the DOE Capability back) would be mistaken for ours.
	 */
	if (status & PCI_DOE_STATUS_DATA_OBJECT_READY) {
		rc = pci_doe_abort(doe, "stale Data Object Ready");
		if (rc)
			return rc;
	}

	val = FIELD_PREP(PCI_DOE_DATA_OBJECT_HEADER_1_VID, task->vid) |
	      FIELD_PREP(PCI_DOE_DATA_OBJECT_HEADER_1_TYPE, task->type);
	pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_WRITE, val);
	/* Length 0 encodes 2^18 dwords (PCIe r6.2 sec 6.30.1) */
	val = FIELD_PREP(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH,
			 len == PCI_DOE_MAX_OBJECT_DW ? 0 : len);
	pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_WRITE, val);

	for (i = 0; i < full; i++) {
		/* Up to 2^18 non-posted writes: stop if they are in vain */
		if (pci_dev_is_disconnected(pdev))
			return -ENODEV;
		if (pci_doe_cancelled(doe))
			return pci_doe_cut_rc(doe);
		pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_WRITE,
				       le32_to_cpu(task->request_pl[i]));
		if (i % 1024 == 1023)
			cond_resched();
	}
	if (task->request_pl_sz % 4) {
		__le32 last = 0;

		memcpy(&last, &task->request_pl[full], task->request_pl_sz % 4);
		pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_WRITE,
				       le32_to_cpu(last));
	}

	/* Before Go: a device may answer, and interrupt, at once */
	trace_pci_doe_request(pdev, doe->doe_cap, doe->active_prot, len);
	pci_doe_write_ctrl(doe, PCI_DOE_CTRL_GO);
	return 0;
}

static void pci_doe_store(struct pci_doe_task *task, size_t i, u32 val)
{
	size_t off = i * sizeof(u32);
	__le32 le = cpu_to_le32(val);

	if (off >= task->response_pl_sz)
		return;
	memcpy((u8 *)task->response_pl + off, &le,
	       min(sizeof(le), task->response_pl_sz - off));
}

/*
 * Read the response once Data Object Ready is set.  Every dword is read
 * and then acknowledged by a write to the Read Data Mailbox (PCIe r6.2
 * sec 7.9.24.6).  Nothing the device reports is trusted: the header must
 * match the request, the Length must cover the headers, Data Object Ready
 * must still be set before the last acknowledgment, and neither Error nor
 * Data Object Ready may be set after it.
 *
 * Return: the number of payload bytes stored, or -errno.
 */
static int pci_doe_recv_resp(struct pci_doe_dev *doe, struct pci_doe_task *task)
{
	int rd = doe->doe_cap + PCI_DOE_READ;
	struct pci_dev *pdev = doe->pdev;
	size_t len = PCI_DOE_HEADER_DW, i;
	int rc, tries;
	u32 val, status;

	for (i = 0; i < len; i++) {
		if (pci_dev_is_disconnected(pdev))
			return -ENODEV;
		if (pci_doe_cancelled(doe))
			return pci_doe_cut_rc(doe);
		pci_read_config_dword(pdev, rd, &val);
		/* All-ones data is legal; all-ones status is a removed function */
		if (PCI_POSSIBLE_ERROR(val)) {
			rc = pci_doe_read_status(doe, &status);
			if (rc)
				return rc;
		}

		if (i == 0) {
			if (FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_VID, val) != task->vid ||
			    FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_TYPE, val) != task->type) {
				dev_dbg_ratelimited(&pdev->dev, "[%x] response %#010x does not match request %04x:%02x\n",
						    doe->doe_cap, val, task->vid, task->type);
				return -EIO;
			}
		} else if (i == 1) {
			len = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH, val);
			if (!len)
				len = PCI_DOE_MAX_OBJECT_DW;
			if (len < PCI_DOE_HEADER_DW) {
				dev_dbg_ratelimited(&pdev->dev, "[%x] response Length %zu too short\n",
						    doe->doe_cap, len);
				return -EIO;
			}
		} else {
			pci_doe_store(task, i - PCI_DOE_HEADER_DW, val);
		}

		/*
		 * Data Object Ready must still be set before the last
		 * acknowledgment; if it dropped, the device sent less than
		 * its Length promised.
		 */
		if (i == len - 1) {
			rc = pci_doe_read_status(doe, &status);
			if (rc)
				return rc;
			if (!(status & PCI_DOE_STATUS_DATA_OBJECT_READY)) {
				dev_dbg_ratelimited(&pdev->dev, "[%x] response shorter than its Length (%zu dwords)\n",
						    doe->doe_cap, len);
				return -EIO;
			}
		}
		pci_write_config_dword(pdev, rd, 0);
		if (i % 1024 == 1023)
			cond_resched();
	}

	/*
	 * Data Object Ready still set means the response is longer than its
	 * Length, unless the device clears it a little after the last
	 * acknowledgment: allow it 10 microseconds.
	 */
	for (tries = 0; ; tries++) {
		rc = pci_doe_read_status(doe, &status);
		if (rc)
			return rc;
		if (tries == 10 || (status & PCI_DOE_STATUS_ERROR) ||
		    (~status & PCI_DOE_STATUS_DATA_OBJECT_READY))
			break;
		udelay(1);
	}
	if (status & (PCI_DOE_STATUS_ERROR | PCI_DOE_STATUS_DATA_OBJECT_READY)) {
		dev_dbg_ratelimited(&pdev->dev, "[%x] status %#010x after the last dword\n",
				    doe->doe_cap, status);
		return -EIO;
	}
	trace_pci_doe_response(pdev, doe->doe_cap, doe->active_prot, len);
	return min((len - PCI_DOE_HEADER_DW) * sizeof(u32), task->response_pl_sz);
}

static int __pci_doe_exchange(struct pci_doe_dev *doe, struct pci_doe_task *task)
{
	u32 status;
	int rc;

	rc = pci_doe_send_req(doe, task);
	if (rc == -ENODEV && pci_doe_cancelled(doe))
		goto cut;
	if (rc)
		return rc;

	rc = pci_doe_wait(doe, PCI_DOE_STATUS_DATA_OBJECT_READY | PCI_DOE_STATUS_ERROR,
			  PCI_DOE_WAIT_ANY_SET, &status);
	if (rc == -ETIMEDOUT) {
		trace_pci_doe_timeout(doe->pdev, doe->doe_cap, doe->active_prot,
				      "Data Object Ready");
		dev_dbg_ratelimited(&doe->pdev->dev, "[%x] no Data Object Ready within 1 s\n",
				    doe->doe_cap);
		return pci_doe_abort(doe, "timeout") ?: -ETIMEDOUT;
	}
	if (rc == -ENODEV || rc == -ECONNRESET)
		goto cut;
	if (rc)
		return rc;
	if (status & PCI_DOE_STATUS_ERROR)
		return pci_doe_abort(doe, "Error set") ?: -EIO;

	rc = pci_doe_recv_resp(doe, task);
	if (rc == -EIO)
		return pci_doe_abort(doe, "malformed response") ?: -EIO;
	if (rc == -ENODEV || rc == -ECONNRESET)
		goto cut;
	return rc;

cut:
	/*
	 * Cut short.  By unbind: leave the mailbox idle for userspace, if
	 * the function is there.  By a reset: the reset does that.
	 */
	if (READ_ONCE(doe->cancel) && !READ_ONCE(doe->resetting) &&
	    !pci_dev_is_disconnected(doe->pdev))
		pci_doe_abort(doe, "cancelled");
	return pci_doe_cut_rc(doe);
}

/* The DOE interrupt */

static irqreturn_t pci_doe_irq(int irq, void *data)
{
	struct pci_doe_dev *doe = data;
	u32 status;

	unsigned long flags;

	/*
	 * Shared with the driver's handlers: cost them no config read
	 * unless a DOE interrupt is due: from a Go, until the exchange saw
	 * one, or until one came after the exchange found Data Object
	 * Ready by itself.  Every interrupt during an exchange is claimed:
	 * an r6.0 device also interrupts when DOE Busy clears.
	 */
	if (!READ_ONCE(doe->irq_armed))
		return IRQ_NONE;
	pci_read_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_STATUS, &status);
	/* Shared vector: not ours unless DOE Interrupt Status is set */
	if (PCI_POSSIBLE_ERROR(status) || !(status & PCI_DOE_STATUS_INT_STATUS))
		return IRQ_NONE;
	trace_pci_doe_irq(doe->pdev, doe->doe_cap, READ_ONCE(doe->active_prot),
			  status);
	/* RW1C (PCIe r6.2 sec 7.9.24.4) */
	pci_write_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_STATUS,
			       PCI_DOE_STATUS_INT_STATUS);
	atomic_inc(&doe->irq_events);
	/* The late one of an exchange that is over: nothing more is due */
	spin_lock_irqsave(&doe->lock, flags);
	if (doe->active_prot == PCI_DOE_NO_PROT)
		doe->irq_armed = false;
	spin_unlock_irqrestore(&doe->lock, flags);
	wake_up(&doe->wq);
	return IRQ_HANDLED;
}

/*
 * The Linux IRQ of the DOE Capability's interrupt, or 0.  The DOE
 * Interrupt Message Number is read once per set of vectors, not when the
 * device was created: it is meaningful only for the mode enabled, and
 * with MSI hardware updates it when Multiple Message Enable changes
 * (PCIe r6.2 sec 7.9.24.2); freeing the vectors forgets it.  Called with
 * @irq_lock held.
 */
static int pci_doe_vector(struct pci_doe_dev *doe)
{
	struct pci_dev *pdev = doe->pdev;
	u32 cap;
	int irq;

	lockdep_assert_held(&doe->irq_lock);
	if (!doe->msg_valid) {
		pci_read_config_dword(pdev, doe->doe_cap + PCI_DOE_CAP, &cap);
		if (PCI_POSSIBLE_ERROR(cap))
			return 0;
		doe->msg = FIELD_GET(PCI_DOE_CAP_INT_MSG_NUM, cap);
		doe->msg_valid = true;
	}
	irq = pci_doe_kunit_vector(pdev, doe->msg);
	if (irq != -ENODEV)
		return max(irq, 0);
	irq = pci_irq_vector(pdev, doe->msg);
	return max(irq, 0);
}

/*
 * Attach the DOE handler to the vector of the DOE Interrupt Message Number
 * if the rules of Documentation/PCI/doe.rst allow it, or leave the DOE
 * Capability polling.  Called with @exchange_lock held, so no exchange is
 * between reading DOE Status and sleeping when the handler appears: by
 * the work item (after the parent driver bound, after Discovery, before
 * each task) and by pci_doe() before its inline exchange.
 *
 * The handler never comes first on a vector the driver may request later,
 * where the driver's request would have to agree with its flags: it
 * joins a vector only while the driver has a handler on it (which must be
 * IRQF_SHARED, or the DOE Capability polls); or, with PCI_DOE_IRQ_SPARE,
 * takes a vector the driver left unrequested once its probe returned.
 */
static void pci_doe_irq_attach(struct pci_doe_dev *doe)
{
	struct pci_dev *pdev = doe->pdev;
	int irq, rc;
	u16 cmd;

	lockdep_assert_held(&doe->exchange_lock);
	/* Cheap enough for every exchange of a polling DOE Capability */
	if (READ_ONCE(doe->irq) || READ_ONCE(pci_doe_poll) || !doe->int_sup ||
	    (!pdev->msi_enabled && !pdev->msix_enabled))
		return;

	mutex_lock(&doe->irq_lock);
	if (doe->irq || doe->irq_failed || doe->irq_blocked ||
	    READ_ONCE(doe->noirq) || READ_ONCE(doe->state) != PCI_DOE_READY)
		goto out;
	irq = pci_doe_vector(doe);
	if (!irq)
		goto out;
	if (!irq_has_action(irq) &&
	    (!(doe->flags & PCI_DOE_IRQ_SPARE) || !device_is_bound(&pdev->dev)))
		goto out;
	/*
	 * An MSI/MSI-X message is a memory write, which the function issues
	 * only with Bus Master Enable set (PCIe r6.2 sec 7.5.1.1.3).  It is
	 * the driver's to set, from its probe (devm_pci_doe_create_devices()
	 * sets it there for vectors it allocates); never from here, which
	 * could race with the driver's own PCI_COMMAND updates.
	 */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MASTER)) {
		pci_dbg(pdev, "[%x] Bus Master Enable clear: DOE polls\n",
			doe->doe_cap);
		goto out;
	}

	/*
	 * IRQF_PROBE_SHARED: a driver handler requested without IRQF_SHARED
	 * refuses company; that is expected, and the DOE Capability polls.
	 * IRQF_COND_SUSPEND: agrees with a driver handler that is
	 * IRQF_NO_SUSPEND.  On PCI MSI/MSI-X chips IRQF_ONESHOT is dropped
	 * from every handler (IRQCHIP_ONESHOT_SAFE), so it cannot mismatch.
	 */
	rc = request_irq(irq, pci_doe_irq,
			 IRQF_SHARED | IRQF_PROBE_SHARED | IRQF_COND_SUSPEND,
			 dev_name(&doe->adev.dev), doe);
	if (rc) {
		doe->irq_failed = true;
		pci_info(pdev, "[%x] cannot share IRQ %d (%d); DOE polls\n",
			 doe->doe_cap, irq, rc);
		goto out;
	}

	spin_lock_irq(&doe->lock);
	doe->irq = irq;
	doe->msix = pdev->msix_enabled;
	/* A DOE Interrupt Status left over (RW1C) would hold back the next */
	pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_STATUS,
			       PCI_DOE_STATUS_INT_STATUS);
	pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_CTRL,
			       PCI_DOE_CTRL_INT_EN);
	spin_unlock_irq(&doe->lock);
out:
	mutex_unlock(&doe->irq_lock);
}

/*
 * DOE Interrupt Enable off before the handler goes, then the handler;
 * waiters go on polling.  Safe at any time: an exchange in flight only
 * loses its interrupt.  @block keeps it detached until
 * pci_doe_irq_unblock().
 */
static void pci_doe_irq_detach(struct pci_doe_dev *doe, bool block)
{
	int irq;

	mutex_lock(&doe->irq_lock);
	irq = doe->irq;
	if (irq) {
		spin_lock_irq(&doe->lock);
		WRITE_ONCE(doe->irq, 0);
		pci_write_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_CTRL, 0);
		spin_unlock_irq(&doe->lock);
		free_irq(irq, doe);
		/*
		 * An interrupt that came after the handler's last run leaves
		 * DOE Interrupt Status set (RW1C), and a device raises no
		 * other while it is: clear it for whoever comes next.
		 */
		pci_write_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_STATUS,
				       PCI_DOE_STATUS_INT_STATUS);
		wake_up_all(&doe->wq);
	}
	doe->irq_blocked = block;
	mutex_unlock(&doe->irq_lock);
}

/* The vectors are gone; others may come, and with them another chance */
static void pci_doe_irq_unblock(struct pci_doe_dev *doe)
{
	mutex_lock(&doe->irq_lock);
	doe->irq_blocked = false;
	doe->irq_failed = false;
	doe->msg_valid = false;
	mutex_unlock(&doe->irq_lock);
}

/* Exchanges */

/* Run one exchange, with @exchange_lock held (by the worker or pci_doe()) */
static int pci_doe_exchange(struct pci_doe_dev *doe, struct pci_doe_task *task)
{
	int events = atomic_read(&doe->irq_events);
	int rc;

	WRITE_ONCE(doe->active_prot, pci_doe_prot(task->vid, task->type));
	rc = __pci_doe_exchange(doe, task);
	/*
	 * Under @lock against the handler: an interrupt not seen yet stays
	 * due, for the handler to claim when it comes.
	 */
	spin_lock_irq(&doe->lock);
	doe->active_prot = PCI_DOE_NO_PROT;
	if (atomic_read(&doe->irq_events) != events)
		doe->irq_armed = false;
	spin_unlock_irq(&doe->lock);
	return rc;
}

static void pci_doe_setup(struct pci_doe_dev *doe, const char *why, int pm);

/*
 * Runtime PM: the auxiliary device is a child of the pci_dev, with no
 * callbacks of its own; resuming it resumes the function, for the span of
 * an exchange.  Taken before @exchange_lock, never under it.  Where
 * runtime PM is off (system sleep), the function is as the PM core left
 * it.  A function in D3cold is not touched.
 *
 * So pci_doe() must not be called from the function's own runtime PM
 * callbacks: resuming a child of a function that is resuming in the same
 * thread waits for itself.
 */
static int pci_doe_pm_get(struct pci_doe_dev *doe)
{
	struct device *dev = &doe->adev.dev;
	int rc;

	rc = pm_runtime_resume_and_get(dev);
	if (rc == -EACCES) {
		pm_runtime_get_noresume(dev);
		rc = 0;
	}
	/* The function cannot be resumed: as good as gone for DOE */
	if (rc)
		return -ENODEV;
	if (READ_ONCE(doe->pdev->current_state) == PCI_D3cold) {
		pm_runtime_put(dev);
		return -ENODEV;
	}
	return 0;
}

static void pci_doe_pm_put(struct pci_doe_dev *doe)
{
	pm_runtime_put(&doe->adev.dev);
}

/* An exchange of the work item or pci_doe(), with @exchange_lock held */
static int pci_doe_run(struct pci_doe_dev *doe, struct pci_doe_task *task)
{
	pci_doe_irq_attach(doe);
	return pci_doe_exchange(doe, task);
}

/*
 * Whether the work item has the registers to touch: Abort and Discovery
 * due, or a task to run.  A hint taken before @exchange_lock, to resume
 * the function outside it; the work item checks again under the lock.
 */
static bool pci_doe_work_needs_hw(struct pci_doe_dev *doe)
{
	bool hw;

	spin_lock_irq(&doe->lock);
	hw = doe->state == PCI_DOE_PROBING ||
	     (doe->state == PCI_DOE_READY &&
	      (doe->stale || !list_empty(&doe->tasks)));
	/* Not in a reset: pci_doe_reset_done() kicks the work again */
	if (doe->resetting)
		hw = false;
	spin_unlock_irq(&doe->lock);
	return hw;
}

static void pci_doe_work(struct work_struct *work)
{
	struct pci_doe_dev *doe = container_of(work, struct pci_doe_dev, work);
	struct pci_doe_task *task;
	enum pci_doe_state state;
	bool setup, held;
	int pm;

	for (;;) {
		/* The runtime PM reference, before exchange_lock if needed */
		held = pci_doe_work_needs_hw(doe);
		pm = held ? pci_doe_pm_get(doe) : 0;
		held = held && !pm;

		/*
		 * Take the next task only under exchange_lock: pci_doe() runs
		 * its task inline only when none is queued, so no task
		 * submitted before it can be overtaken.  During a reset the
		 * tasks wait; pci_doe_reset_done() kicks the work again.
		 */
		mutex_lock(&doe->exchange_lock);
		spin_lock_irq(&doe->lock);
		state = doe->state;
		if (doe->resetting && state != PCI_DOE_UNBOUND) {
			spin_unlock_irq(&doe->lock);
			mutex_unlock(&doe->exchange_lock);
			if (held)
				pci_doe_pm_put(doe);
			return;
		}
		setup = state == PCI_DOE_PROBING ||
			(state == PCI_DOE_READY && doe->stale);
		task = NULL;
		/* A task in READY only with the reference (or its error) */
		if (!setup && (state != PCI_DOE_READY || held || pm)) {
			task = list_first_entry_or_null(&doe->tasks,
							struct pci_doe_task, node);
			if (task)
				list_del_init(&task->node);
		}
		spin_unlock_irq(&doe->lock);

		if (setup && (held || pm)) {
			pci_doe_setup(doe, state == PCI_DOE_PROBING ?
				      "bind" : doe->stale_why, pm);
		} else if (task) {
			/* Only READY runs a task: no stale task after a rebind */
			if (state == PCI_DOE_READY)
				task->rv = pm ?: pci_doe_run(doe, task);
			else
				task->rv = state == PCI_DOE_DEAD ? -EIO : -ENODEV;
		} else if (!setup && !pci_doe_work_needs_hw(doe)) {
			/* Nothing to do; the parent's probe returned, say */
			if (held || !pm_runtime_suspended(&doe->pdev->dev))
				pci_doe_irq_attach(doe);
			mutex_unlock(&doe->exchange_lock);
			if (held)
				pci_doe_pm_put(doe);
			return;
		}
		/* Otherwise the hint was stale: go round, with the reference */
		mutex_unlock(&doe->exchange_lock);
		if (held)
			pci_doe_pm_put(doe);
		if (task) {
			trace_pci_doe_complete(doe->pdev, doe->doe_cap,
					       pci_doe_prot(task->vid, task->type),
					       task->rv);
			/* The task belongs to its submitter from here on */
			task->complete(task);
		}
	}
}

static bool __pci_doe_supports_prot(struct pci_doe_dev *doe, u16 vid, u8 type)
{
	u32 prot = pci_doe_prot(vid, type);
	unsigned int i;

	lockdep_assert_held(&doe->lock);
	if (pci_doe_is_discovery(vid, type))
		return true;
	for (i = 0; i < doe->nr_prots; i++)
		if (doe->prots[i] == prot)
			return true;
	return false;
}

static int pci_doe_check_task(const struct pci_doe_task *task)
{
	if ((task->request_pl_sz && !task->request_pl) ||
	    (task->response_pl_sz && !task->response_pl))
		return -EINVAL;
	/* In bytes: the dword count of a huge size could wrap */
	if (task->request_pl_sz >
	    (PCI_DOE_MAX_OBJECT_DW - PCI_DOE_HEADER_DW) * sizeof(u32))
		return -E2BIG;
	return 0;
}

/* Whether @doe accepts @task now; called with @doe->lock held */
static int pci_doe_accepts(struct pci_doe_dev *doe,
			   const struct pci_doe_task *task)
{
	lockdep_assert_held(&doe->lock);
	if (doe->state == PCI_DOE_DEAD)
		return -EIO;
	if (doe->state != PCI_DOE_READY || doe->cancel)
		return -ENODEV;
	/*
	 * Not queued behind a reset: its reset_done() may wait for the
	 * caller (a driver of another function, in a bus reset).
	 */
	if (doe->resetting)
		return -ECONNRESET;
	if (!__pci_doe_supports_prot(doe, task->vid, task->type))
		return -EOPNOTSUPP;
	return 0;
}

/**
 * pci_doe_submit_task() - Queue an exchange on a DOE Capability
 * @doe: DOE Capability, from pci_doe_find()
 * @task: The exchange; @task->complete is mandatory
 *
 * Tasks on one DOE Capability run one at a time, in submission order.
 * @task->complete is called exactly once, in process context, also when the
 * exchange fails after submission (-ENODEV when the generic driver is
 * unbound, -ECONNRESET for the exchange in flight when the function is
 * reset; tasks queued before the reset run after it).  May be called from
 * atomic context.
 *
 * Return: 0 if queued; -EINVAL for a malformed task, -E2BIG if the request
 * does not fit in a data object (2^18 dwords with the header), -EOPNOTSUPP
 * if Discovery did not list the protocol, -EIO if the DOE Capability is
 * dead, -ENODEV if the generic driver is not bound, -ECONNRESET while the
 * function is being reset.  On error @task->complete is not called.
 */
int pci_doe_submit_task(struct pci_doe_dev *doe, struct pci_doe_task *task)
{
	unsigned long flags;
	int rc;

	if (!doe || !task || !task->complete)
		return -EINVAL;
	rc = pci_doe_check_task(task);
	if (rc)
		return rc;

	/*
	 * Queue the work under the lock that unbind takes to refuse new
	 * tasks: a task on the list always has the work pending, so the
	 * flush in unbind completes it.
	 */
	spin_lock_irqsave(&doe->lock, flags);
	rc = pci_doe_accepts(doe, task);
	if (!rc) {
		trace_pci_doe_submit(doe->pdev, doe->doe_cap,
				     pci_doe_prot(task->vid, task->type),
				     task->request_pl_sz);
		list_add_tail(&task->node, &doe->tasks);
		queue_work(system_unbound_wq, &doe->work);
	}
	spin_unlock_irqrestore(&doe->lock, flags);
	if (!rc)
		pci_doe_kunit_submitted(doe);
	return rc;
}
EXPORT_SYMBOL_GPL(pci_doe_submit_task);

/* pci_doe() on an idle DOE Capability; called with exchange_lock held */
static int pci_doe_run_inline(struct pci_doe_dev *doe,
			      struct pci_doe_task *task)
{
	int rc;

	lockdep_assert_held(&doe->exchange_lock);
	trace_pci_doe_submit(doe->pdev, doe->doe_cap,
			     pci_doe_prot(task->vid, task->type),
			     task->request_pl_sz);
	rc = pci_doe_run(doe, task);
	trace_pci_doe_complete(doe->pdev, doe->doe_cap,
			       pci_doe_prot(task->vid, task->type), rc);
	return rc;
}

static void pci_doe_task_complete(struct pci_doe_task *task)
{
	complete(task->private);
}

/**
 * pci_doe() - Exchange one data object and wait for the response
 * @doe: DOE Capability, from pci_doe_find()
 * @vid: Vendor ID of the data object
 * @type: Data Object Type
 * @request: Request payload, little-endian; @request_sz bytes, any length
 * @request_sz: Size of @request in bytes
 * @response: Buffer for the response payload, little-endian
 * @response_sz: Size of @response in bytes; a longer response is truncated
 *
 * Sleeps until the exchange ends: at most about 4 seconds plus the time the
 * tasks queued before it take (Busy, an Abort of a stale response, Data
 * Object Ready and the Abort after a timeout each wait at most 1 second),
 * and the time to resume the function and move up to 2^18 dwords; after a
 * reset or system resume, also the Abort and Discovery that come first
 * (one exchange per protocol).  Must not be called from the function's
 * runtime PM callbacks, nor from a task's @complete.  When no task
 * is queued or running, the exchange runs in the caller's thread, without
 * the work item's two context switches; otherwise it is queued behind the
 * others.
 *
 * May be called from a driver's noirq system sleep callbacks: the
 * exchange then polls.  During a reset of the function it is refused.
 *
 * Return: the number of response payload bytes stored in @response, or
 * -errno as for pci_doe_submit_task(), or from the exchange: -EBUSY (DOE
 * Busy for 1 s), -ETIMEDOUT (no Data Object Ready within 1 s), -EIO (DOE
 * Error or a malformed response), -ECONNRESET (the function is or was reset
 * during the exchange), -ENODEV (function removed or in D3cold, or the
 * generic driver unbound).
 */
int pci_doe(struct pci_doe_dev *doe, u16 vid, u8 type,
	    const void *request, size_t request_sz,
	    void *response, size_t response_sz)
{
	DECLARE_COMPLETION_ONSTACK(c);
	struct pci_doe_task task = {
		.vid = vid,
		.type = type,
		.request_pl = request,
		.request_pl_sz = request_sz,
		.response_pl = response,
		.response_pl_sz = response_sz,
		.complete = pci_doe_task_complete,
		.private = &c,
	};
	int rc;

	might_sleep();
	if (!doe)
		return -EINVAL;
	/* A completion waiting for an exchange would wait for itself */
	if (WARN_ON_ONCE(current_work() == &doe->work))
		return -EDEADLK;
	rc = pci_doe_check_task(&task);
	if (rc)
		return rc;

	/* Not refused only after resuming a function being reset */
	spin_lock_irq(&doe->lock);
	rc = pci_doe_accepts(doe, &task);
	spin_unlock_irq(&doe->lock);
	if (rc)
		return rc;

	/*
	 * Idle DOE Capability: run the exchange here, under exchange_lock,
	 * with the function resumed before it is taken.
	 */
	rc = pci_doe_pm_get(doe);
	if (rc)
		return rc;
	rc = -EAGAIN;
	if (mutex_trylock(&doe->exchange_lock)) {
		spin_lock_irq(&doe->lock);
		rc = pci_doe_accepts(doe, &task);
		/* Queued tasks and an Abort and Discovery due go first */
		if (!rc && (!list_empty(&doe->tasks) || doe->stale))
			rc = -EAGAIN;
		spin_unlock_irq(&doe->lock);
		if (!rc)
			rc = pci_doe_run_inline(doe, &task);
		mutex_unlock(&doe->exchange_lock);
	}
	pci_doe_pm_put(doe);
	if (rc != -EAGAIN)
		return rc;

	rc = pci_doe_submit_task(doe, &task);
	if (rc)
		return rc;
	wait_for_completion(&c);
	return task.rv;
}
EXPORT_SYMBOL_GPL(pci_doe);

/**
 * pci_doe_supports_prot() - Did Discovery list this protocol?
 * @doe: DOE Capability
 * @vid: Vendor ID
 * @type: Data Object Type
 *
 * Return: true if the generic driver is bound and Discovery on @doe listed
 * (@vid, @type).  Discovery itself is always supported.
 */
bool pci_doe_supports_prot(struct pci_doe_dev *doe, u16 vid, u8 type)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&doe->lock, flags);
	ret = doe->state == PCI_DOE_READY &&
	      __pci_doe_supports_prot(doe, vid, type);
	spin_unlock_irqrestore(&doe->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(pci_doe_supports_prot);

static bool pci_doe_is_doe_dev(struct device *dev);

struct pci_doe_match {
	u32 prot;
	struct pci_doe_dev *found;
};

/* Abort and Discovery are not running, nor due before the next task */
static bool pci_doe_settled(struct pci_doe_dev *doe)
{
	enum pci_doe_state state = READ_ONCE(doe->state);

	return state == PCI_DOE_UNBOUND || state == PCI_DOE_DEAD ||
	       (state == PCI_DOE_READY && !READ_ONCE(doe->stale));
}

static int pci_doe_match_child(struct device *dev, void *data)
{
	struct pci_doe_match *m = data;
	struct pci_doe_dev *doe;

	if (!pci_doe_is_doe_dev(dev))
		return 0;
	doe = to_pci_doe_dev(dev);
	/*
	 * The generic driver binds synchronously when the device is added
	 * and leaves Abort and Discovery to its work item: wait for those
	 * (bounded by their own timeouts and PCI_DOE_PROBE_WAIT) rather
	 * than answer wrongly.  A device no driver bound is not waited for.
	 */
	/* Stale since system resume, and not yet kicked: kick it now */
	spin_lock_irq(&doe->lock);
	if (doe->state == PCI_DOE_READY && doe->stale)
		queue_work(system_unbound_wq, &doe->work);
	spin_unlock_irq(&doe->lock);
	if (!wait_event_timeout(doe->wq, pci_doe_settled(doe), PCI_DOE_PROBE_WAIT)) {
		/* Not the same as "no such protocol": say so */
		pci_warn(doe->pdev, "[%x] DOE Discovery still running after %u s; not waiting\n",
			 doe->doe_cap, PCI_DOE_PROBE_WAIT / HZ);
		return 0;
	}
	if (!pci_doe_supports_prot(doe, pci_doe_prot_vid(m->prot),
				   pci_doe_prot_type(m->prot)))
		return 0;
	m->found = doe;
	get_device(dev);
	return 1;
}

/**
 * pci_doe_find() - Find the DOE Capability of a function serving a protocol
 * @pdev: PCI function whose driver called devm_pci_doe_create_devices()
 * @vid: Vendor ID of the protocol
 * @type: Data Object Type of the protocol
 *
 * Waits for the generic driver's Abort and Discovery if they are still
 * running, or due after a reset or system resume, at most 10 seconds per
 * DOE Capability, and warns when it gives up.  A DOE Capability no driver
 * is bound to (handed to userspace, or never bound) is not found and not
 * waited for.
 *
 * Return: the first DOE Capability, in config space order, whose Discovery
 * listed (@vid, @type), with a reference the caller drops with
 * pci_doe_put(); or NULL.
 */
struct pci_doe_dev *pci_doe_find(struct pci_dev *pdev, u16 vid, u8 type)
{
	struct pci_doe_match m = { .prot = pci_doe_prot(vid, type) };

	might_sleep();
	device_for_each_child(&pdev->dev, &m, pci_doe_match_child);
	return m.found;
}
EXPORT_SYMBOL_GPL(pci_doe_find);

/**
 * pci_doe_put() - Drop the reference pci_doe_find() returned
 * @doe: DOE Capability, or NULL
 */
void pci_doe_put(struct pci_doe_dev *doe)
{
	if (doe)
		put_device(&doe->adev.dev);
}
EXPORT_SYMBOL_GPL(pci_doe_put);

/* sysfs: the DOE Capability's offset and interrupt, bound or not */
static ssize_t cap_offset_show(struct device *dev, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "0x%03x\n", to_pci_doe_dev(dev)->doe_cap);
}
static DEVICE_ATTR_RO(cap_offset);

/* "msix N" or "msi N" while the DOE interrupt is in use, else "poll" */
static ssize_t interrupt_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct pci_doe_dev *doe = to_pci_doe_dev(dev);
	bool msix;
	int irq;
	u16 msg;

	spin_lock_irq(&doe->lock);
	irq = doe->irq;
	msg = doe->msg;
	msix = doe->msix;
	spin_unlock_irq(&doe->lock);
	if (!irq)
		return sysfs_emit(buf, "poll\n");
	return sysfs_emit(buf, "%s %u\n", msix ? "msix" : "msi", msg);
}
static DEVICE_ATTR_RO(interrupt);

static struct attribute *pci_doe_dev_attrs[] = {
	&dev_attr_cap_offset.attr,
	&dev_attr_interrupt.attr,
	NULL
};
ATTRIBUTE_GROUPS(pci_doe_dev);

static void pci_doe_dev_release(struct device *dev)
{
	struct pci_doe_dev *doe = to_pci_doe_dev(dev);

	ida_free(&pci_doe_ida, doe->adev.id);
	pci_dev_put(doe->pdev);
	mutex_destroy(&doe->irq_lock);
	mutex_destroy(&doe->exchange_lock);
	kfree(doe);
}

static const struct device_type pci_doe_dev_type = {
	.name = "pci_doe",
	.groups = pci_doe_dev_groups,
	.release = pci_doe_dev_release,
};

static bool pci_doe_is_doe_dev(struct device *dev)
{
	return dev->type == &pci_doe_dev_type;
}

static void pci_doe_dev_delete(void *data)
{
	struct pci_doe_dev *doe = data;

	/* Unbinds the generic driver, which flushes the work item */
	auxiliary_device_delete(&doe->adev);
	/*
	 * A kick of the work item (the bus notifier) after an earlier unbind
	 * found nothing to do, but may still be running.
	 */
	flush_work(&doe->work);
	auxiliary_device_uninit(&doe->adev);
}

static int pci_doe_add_dev(struct pci_dev *pdev, u16 doe_cap,
			   unsigned int flags)
{
	struct pci_doe_dev *doe;
	u32 hdr, cap;
	int id, rc;

	id = ida_alloc(&pci_doe_ida, GFP_KERNEL);
	if (id < 0)
		return id;
	doe = kzalloc(sizeof(*doe), GFP_KERNEL);
	if (!doe) {
		ida_free(&pci_doe_ida, id);
		return -ENOMEM;
	}

	doe->pdev = pci_dev_get(pdev);
	doe->doe_cap = doe_cap;
	doe->flags = flags;
	pci_read_config_dword(pdev, doe_cap, &hdr);
	doe->version = PCI_EXT_CAP_VER(hdr);
	pci_read_config_dword(pdev, doe_cap + PCI_DOE_CAP, &cap);
	doe->int_sup = !PCI_POSSIBLE_ERROR(cap) && (cap & PCI_DOE_CAP_INT_SUP);
	spin_lock_init(&doe->lock);
	INIT_LIST_HEAD(&doe->tasks);
	INIT_LIST_HEAD(&doe->claims);
	INIT_WORK(&doe->work, pci_doe_work);
	mutex_init(&doe->exchange_lock);
	mutex_init(&doe->irq_lock);
	init_waitqueue_head(&doe->wq);
	doe->state = PCI_DOE_UNBOUND;
	doe->active_prot = PCI_DOE_NO_PROT;

	doe->adev.name = "doe";
	doe->adev.id = id;
	doe->adev.dev.parent = &pdev->dev;
	doe->adev.dev.type = &pci_doe_dev_type;

	rc = auxiliary_device_init(&doe->adev);
	if (rc) {
		pci_dev_put(pdev);
		kfree(doe);
		ida_free(&pci_doe_ida, id);
		return rc;
	}
	/* From here on, put_device() frees @doe through the device type */

	/* Resuming it resumes the function: see pci_doe_pm_get() */
	pm_runtime_no_callbacks(&doe->adev.dev);
	/* Its resume rediscovers; let it run beside other devices' */
	device_enable_async_suspend(&doe->adev.dev);
	rc = __auxiliary_device_add(&doe->adev, PCI_DOE_AUX_MODNAME);
	if (rc) {
		pci_err(pdev, "[%x] cannot add DOE device: %d\n", doe_cap, rc);
		auxiliary_device_uninit(&doe->adev);
		return rc;
	}
	pm_runtime_enable(&doe->adev.dev);
	return devm_add_action_or_reset(&pdev->dev, pci_doe_dev_delete, doe);
}

static void pci_doe_free_vectors(void *data)
{
	pci_free_irq_vectors(data);
}

/*
 * PCI_DOE_IRQ_ALLOC: if the function has neither MSI nor MSI-X enabled,
 * allocate vectors for the DOE Capabilities.  The DOE Interrupt Message
 * Number means something only for the mode enabled, and with MSI depends
 * on how many vectors are (PCIe r6.2 sec 7.9.24.2): allocate the most,
 * read it, keep what it needs, as the PCIe port driver does for its
 * services.  A DOE Capability whose vector is still missing polls.
 *
 * Only on the driver's explicit request: enabling MSI turns INTx off
 * (pci_intx_for_msi()), which would silently cost a driver that uses
 * INTx its interrupts.
 */
static int pci_doe_alloc_vectors(struct pci_dev *pdev)
{
	int max_msg, nvec, rc;

	if (pdev->msi_enabled || pdev->msix_enabled ||
	    pci_doe_max_int_msg_num(pdev) < 0)
		return 0;
	nvec = pci_alloc_irq_vectors(pdev, 1, PCI_DOE_MAX_VECTORS,
				     PCI_IRQ_MSIX | PCI_IRQ_MSI);
	if (nvec < 0) {
		pci_dbg(pdev, "no MSI/MSI-X vectors for DOE (%d); polling\n", nvec);
		return 0;
	}
	max_msg = pci_doe_max_int_msg_num(pdev);
	if (max_msg >= 0 && max_msg + 1 < nvec) {
		pci_free_irq_vectors(pdev);
		nvec = pci_alloc_irq_vectors(pdev, max_msg + 1, max_msg + 1,
					     PCI_IRQ_MSIX | PCI_IRQ_MSI);
		if (nvec < 0)
			return 0;
	}
	/* pcim_enable_device() users get this from the PCI core already */
	if (!pci_is_managed(pdev)) {
		rc = devm_add_action_or_reset(&pdev->dev, pci_doe_free_vectors,
					      pdev);
		if (rc)
			return rc;
	}
	/*
	 * The DOE interrupt is an MSI/MSI-X message, a memory write, which
	 * needs Bus Master Enable (PCIe r6.2 sec 7.5.1.1.3).  Set here, in
	 * the driver's probe, so that this read-modify-write of PCI_COMMAND
	 * cannot race with the driver's own; the function sends no DOE
	 * interrupt before DOE Interrupt Enable, which the generic driver
	 * sets when it attaches the handler.
	 */
	pci_set_master(pdev);
	return 0;
}

/**
 * pci_doe_max_int_msg_num() - Highest DOE Interrupt Message Number of a function
 * @pdev: PCI function
 *
 * For a driver that sizes its own MSI/MSI-X vectors: the number means
 * something only for the mode enabled (PCIe r6.2 sec 6.30.3, 7.9.24.2), so
 * read it after enabling the most vectors the driver would take, and keep
 * at least this number plus one, as the PCIe port driver does.  With MSI,
 * the number changes with the number of vectors.
 *
 * Return: the highest Interrupt Message Number of the DOE Capabilities
 * that support interrupts, or -1 if none does.
 */
int pci_doe_max_int_msg_num(struct pci_dev *pdev)
{
	int max_msg = -1;
	u16 pos = 0;
	u32 cap;

	while ((pos = pci_find_next_ext_capability(pdev, pos, PCI_EXT_CAP_ID_DOE))) {
		pci_read_config_dword(pdev, pos + PCI_DOE_CAP, &cap);
		if (PCI_POSSIBLE_ERROR(cap) || !(cap & PCI_DOE_CAP_INT_SUP))
			continue;
		max_msg = max_t(int, max_msg,
				FIELD_GET(PCI_DOE_CAP_INT_MSG_NUM, cap));
	}
	return max_msg;
}
EXPORT_SYMBOL_GPL(pci_doe_max_int_msg_num);

/**
 * devm_pci_doe_create_devices() - Create an auxiliary device per DOE Capability
 * @pdev: PCI function; call from the probe of its driver
 * @flags: 0, or PCI_DOE_IRQ_SPARE and PCI_DOE_IRQ_ALLOC (see below)
 *
 * Walks every DOE Capability of @pdev and adds an auxiliary device
 * "pci_doe.doe.<id>" for each, a child of @pdev, which the generic DOE
 * driver binds to.  The generic driver runs Abort and Discovery on each
 * asynchronously; pci_doe_find() waits for them.  In sysfs each shows
 * under the PCI device with its cap_offset and interrupt ("msix N",
 * "msi N" or "poll"), and, while the generic driver is bound, a features/
 * directory with one file per protocol Discovery found.  Unbinding the
 * generic driver from one hands that DOE Capability to userspace.
 *
 * Interrupts (PCIe r6.2 sec 6.30.3): a DOE Capability signals on the MSI or
 * MSI-X vector of its DOE Interrupt Message Number.  The DOE handler
 * shares that vector only on these terms, which keep every handler of the
 * driver working:
 *
 * - It never allocates vectors, except with PCI_DOE_IRQ_ALLOC when the
 *   function has neither MSI nor MSI-X: pass it only if the driver uses
 *   no interrupt of its own, since MSI turns INTx off.  It then sets Bus
 *   Master Enable, here.  Otherwise Bus Master Enable is the driver's; a
 *   DOE Capability of a function without it polls.
 * - It joins a vector only while the driver has a handler on it, and only
 *   if that handler is IRQF_SHARED (else the DOE Capability polls); so it
 *   is never the first handler, whose flags a later request of the driver
 *   would have to match.  The driver's handler must not be
 *   IRQF_FORCE_RESUME; IRQF_NO_SUSPEND is fine.  IRQF_ONESHOT does not
 *   matter: PCI MSI/MSI-X chips are IRQCHIP_ONESHOT_SAFE.
 * - With PCI_DOE_IRQ_SPARE (implied by PCI_DOE_IRQ_ALLOC) it also takes a
 *   vector the driver left unrequested once its probe returned.  The
 *   driver promises to request such a vector later only with IRQF_SHARED.
 * - The vector is looked up whenever the handler is attached, never kept
 *   across a change: when the driver frees its vectors
 *   (pci_free_irq_vectors(), also in its ->remove() before devres runs),
 *   the PCI core detaches the DOE handler first, and the DOE Capability
 *   polls until the driver has vectors and handlers again.
 *
 * With the module parameter pci_doe.poll=1 every DOE Capability polls.
 *
 * Lifetime: the auxiliary devices are device-managed resources of the
 * calling driver's binding to @pdev.  They are deleted (unbinding the
 * generic driver, which fails queued tasks with -ENODEV) before that
 * driver's unbind completes, so they never outlive the binding.  Each
 * holds a reference to @pdev.
 *
 * Return: 0, also when @pdev has no DOE Capability, or -errno.
 */
int devm_pci_doe_create_devices(struct pci_dev *pdev, unsigned int flags)
{
	u16 pos = 0;
	int rc;

	if (flags & ~(PCI_DOE_IRQ_SPARE | PCI_DOE_IRQ_ALLOC))
		return -EINVAL;
	if (!pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_DOE))
		return 0;

	if (flags & PCI_DOE_IRQ_ALLOC) {
		flags |= PCI_DOE_IRQ_SPARE;
		rc = pci_doe_alloc_vectors(pdev);
		if (rc)
			return rc;
	}

	while ((pos = pci_find_next_ext_capability(pdev, pos, PCI_EXT_CAP_ID_DOE))) {
		rc = pci_doe_add_dev(pdev, pos, flags);
		if (rc)
			return rc;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(devm_pci_doe_create_devices);

static int pci_doe_vectors_freeing(struct device *dev, void *unused)
{
	if (pci_doe_is_doe_dev(dev))
		pci_doe_irq_detach(to_pci_doe_dev(dev), true);
	return 0;
}

static int pci_doe_vectors_freed(struct device *dev, void *unused)
{
	if (pci_doe_is_doe_dev(dev))
		pci_doe_irq_unblock(to_pci_doe_dev(dev));
	return 0;
}

/*
 * The PCI core calls these around freeing MSI or MSI-X vectors of @pdev,
 * whoever frees them (pci_free_irq_vectors() in a driver's ->remove(),
 * before devres deletes the DOE devices; a driver reallocating them):
 * no DOE handler stays attached to a vector that goes away, and none is
 * attached while they go.  The DOE Capabilities poll until the next
 * attach finds vectors and handlers again.
 */
void pci_doe_vectors_free_start(struct pci_dev *pdev)
{
	device_for_each_child(&pdev->dev, NULL, pci_doe_vectors_freeing);
}

void pci_doe_vectors_free_done(struct pci_dev *pdev)
{
	device_for_each_child(&pdev->dev, NULL, pci_doe_vectors_freed);
}

/* The generic DOE driver */

/*
 * Discovery over every index.  The protocols found replace those of an
 * earlier binding or reset, which may differ (a firmware update).
 *
 * Return: 1 if the list changed, 0 if not, or -errno.
 */
static int pci_doe_discover(struct pci_doe_dev *doe)
{
	u32 *prots __free(kfree) = kcalloc(PCI_DOE_MAX_PROTOCOLS, sizeof(u32),
					   GFP_KERNEL);
	unsigned int index = 0, ver = doe->version >= 2 ? 2 : 0, n = 0, i, x;
	u32 *found;

	if (!prots)
		return -ENOMEM;

	/*
	 * Indices are 8 bits, so 256 exchanges see every entry: a device
	 * whose Next Index never reaches 0 cannot keep the binding busy.
	 */
	for (x = 0; x < PCI_DOE_MAX_PROTOCOLS; x++) {
		__le32 req, rsp;
		struct pci_doe_task task = {
			.vid = PCI_VENDOR_ID_PCI_SIG,
			.type = PCI_DOE_PROTOCOL_DISCOVERY,
			.request_pl = &req,
			.request_pl_sz = sizeof(req),
			.response_pl = &rsp,
			.response_pl_sz = sizeof(rsp),
		};
		u32 val, prot;
		int rc;

		/* Discovery version 2 if the Capability Version is 2 or more */
		req = cpu_to_le32(FIELD_PREP(PCI_DOE_DATA_OBJECT_DISC_REQ_3_INDEX, index) |
				  FIELD_PREP(PCI_DOE_DATA_OBJECT_DISC_REQ_3_VER, ver));
		rc = pci_doe_exchange(doe, &task);
		if (rc >= 0 && rc != sizeof(rsp))
			rc = -EIO;
		if (rc < 0) {
			dev_dbg_ratelimited(&doe->pdev->dev,
					    "[%x] Discovery index %u failed: %d\n",
					    doe->doe_cap, index, rc);
			return rc;
		}
		val = le32_to_cpu(rsp);
		prot = pci_doe_prot(FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_VID, val),
				    FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_PROTOCOL, val));
		/* A protocol listed twice is kept once */
		for (i = 0; i < n && prots[i] != prot; i++)
			;
		if (i == n) {
			prots[n++] = prot;
			pci_dbg(doe->pdev, "[%x] found protocol %04x:%02x\n",
				doe->doe_cap, pci_doe_prot_vid(prot),
				pci_doe_prot_type(prot));
		}
		index = FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_NEXT_INDEX, val);
		if (!index)
			break;
	}

	if (doe->prots && n == doe->nr_prots &&
	    !memcmp(prots, doe->prots, n * sizeof(*prots)))
		return 0;

	/* Keep only what Discovery found: krealloc() would keep the 1 KiB */
	found = kmemdup(prots, n * sizeof(*prots), GFP_KERNEL);
	if (!found)
		return -ENOMEM;

	spin_lock_irq(&doe->lock);
	swap(doe->prots, found);
	doe->nr_prots = n;
	spin_unlock_irq(&doe->lock);
	kfree(found);
	return 1;
}

/*
 * sysfs features/: one read-only file per protocol Discovery found, named
 * and containing "VVVV:TT", the naming of the PCI core's doe_features.
 * Present while the generic driver is bound and Discovery succeeded.
 */
static const struct attribute_group pci_doe_features_group = {
	.name = "features",
	.attrs = (struct attribute *[]){ NULL },
};

static ssize_t pci_doe_feature_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", attr->attr.name);
}

static void pci_doe_remove_features(struct pci_doe_dev *doe)
{
	if (!doe->features)
		return;
	sysfs_remove_group(&doe->adev.dev.kobj, &pci_doe_features_group);
	kfree(doe->features);
	doe->features = NULL;
}

/* Names and attributes in one allocation: n attributes, then n names */
static int pci_doe_add_features(struct pci_doe_dev *doe)
{
	struct kobject *kobj = &doe->adev.dev.kobj;
	unsigned int i, n = doe->nr_prots;
	struct device_attribute *attrs;
	char *names;
	int rc;

	rc = pci_doe_kunit_inject(doe, PCI_DOE_KUNIT_FEATURES);
	if (rc)
		return rc;
	attrs = kcalloc(n, sizeof(*attrs) + PCI_DOE_FEATURE_NAME_SZ, GFP_KERNEL);
	if (!attrs)
		return -ENOMEM;
	names = (char *)&attrs[n];
	rc = sysfs_create_group(kobj, &pci_doe_features_group);
	if (rc) {
		kfree(attrs);
		return rc;
	}
	doe->features = attrs;
	for (i = 0; i < n; i++) {
		struct device_attribute *a = &attrs[i];
		char *name = names + i * PCI_DOE_FEATURE_NAME_SZ;

		snprintf(name, PCI_DOE_FEATURE_NAME_SZ, "%04x:%02x",
			 pci_doe_prot_vid(doe->prots[i]),
			 pci_doe_prot_type(doe->prots[i]));
		sysfs_attr_init(&a->attr);
		a->attr.name = name;
		a->attr.mode = 0444;
		a->show = pci_doe_feature_show;
		rc = sysfs_add_file_to_group(kobj, &a->attr, "features");
		if (rc) {
			pci_doe_remove_features(doe);
			return rc;
		}
	}
	return 0;
}

static struct pci_doe_claim *pci_doe_find_claim(struct pci_doe_dev *doe,
						u32 prot)
{
	struct pci_doe_claim *c;

	lockdep_assert_held(&doe->lock);
	list_for_each_entry(c, &doe->claims, node)
		if (c->prot == prot)
			return c;
	return NULL;
}

static void pci_doe_unclaim(void *data)
{
	struct pci_doe_claim *c = data;
	struct pci_doe_dev *doe = c->doe;

	spin_lock_irq(&doe->lock);
	list_del(&c->node);
	spin_unlock_irq(&doe->lock);
	kfree(c);
	pci_doe_put(doe);
}

/**
 * devm_pci_doe_claim() - Claim a protocol of a DOE Capability for a kernel user
 * @dev: Device of the kernel user; the claim ends when its driver unbinds
 * @doe: DOE Capability, from pci_doe_find()
 * @vid: Vendor ID of the protocol
 * @type: Data Object Type of the protocol
 * @flags: 0, or PCI_DOE_CLAIM_READ_ONLY_SAFE if the protocol's exchanges
 *	   only read, so that userspace may run them too
 *
 * Userspace may exchange through PCI_DOE_IOC_EXCHANGE only Discovery and
 * the protocols claimed with PCI_DOE_CLAIM_READ_ONLY_SAFE; a protocol
 * claimed without it is refused with -EBUSY, an unclaimed one with
 * -EACCES.  Discovery cannot be claimed.  The claim holds a reference to
 * @doe.
 *
 * Return: 0, -EINVAL for Discovery, -EBUSY if the protocol is claimed
 * already, -ENOMEM.
 */
int devm_pci_doe_claim(struct device *dev, struct pci_doe_dev *doe, u16 vid,
		       u8 type, unsigned int flags)
{
	u32 prot = pci_doe_prot(vid, type);
	struct pci_doe_claim *c;

	if (pci_doe_is_discovery(vid, type))
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->doe = doe;
	c->prot = prot;
	c->flags = flags;

	spin_lock_irq(&doe->lock);
	if (pci_doe_find_claim(doe, prot)) {
		spin_unlock_irq(&doe->lock);
		kfree(c);
		return -EBUSY;
	}
	list_add_tail(&c->node, &doe->claims);
	spin_unlock_irq(&doe->lock);

	get_device(&doe->adev.dev);
	return devm_add_action_or_reset(dev, pci_doe_unclaim, c);
}
EXPORT_SYMBOL_GPL(devm_pci_doe_claim);

/*
 * May userspace exchange (@vid, @type) through PCI_DOE_IOC_EXCHANGE while
 * the kernel owns the DOE Capability?  Default deny: Discovery, and what a
 * kernel user declared read-only safe.  Anything else (CMA/SPDM, Secured
 * CMA, vendor protocols) needs the DOE Capability handed over by unbind.
 */
static int pci_doe_user_permitted(struct pci_doe_dev *doe, u16 vid, u8 type)
{
	struct pci_doe_claim *c;
	int rc;

	if (pci_doe_is_discovery(vid, type))
		return 0;
	spin_lock_irq(&doe->lock);
	if (!__pci_doe_supports_prot(doe, vid, type)) {
		rc = -EOPNOTSUPP;
	} else {
		c = pci_doe_find_claim(doe, pci_doe_prot(vid, type));
		if (!c)
			rc = -EACCES;
		else if (!(c->flags & PCI_DOE_CLAIM_READ_ONLY_SAFE))
			rc = -EBUSY;
		else
			rc = 0;
	}
	spin_unlock_irq(&doe->lock);
	return rc;
}

/* One layout for 32-bit and 64-bit userspace: compat_ptr_ioctl() suffices */
static_assert(sizeof(struct pci_doe_exchange) == 40);
static_assert(offsetof(struct pci_doe_exchange, request) == 16);
static_assert(offsetof(struct pci_doe_exchange, response_size) == 36);

/*
 * An exchange of PCI_DOE_IOC_EXCHANGE.  It lives on the heap, owned by the
 * ioctl and by the task in flight: a fatal signal ends the ioctl at once,
 * and the last owner frees the buffers, so no task ever points at freed
 * memory.
 */
struct pci_doe_user_task {
	struct pci_doe_task task;
	struct completion done;
	refcount_t owners;
	void *req;
	void *rsp;
};

static void pci_doe_user_task_put(struct pci_doe_user_task *ut)
{
	if (!refcount_dec_and_test(&ut->owners))
		return;
	kvfree(ut->req);
	kvfree(ut->rsp);
	kfree(ut);
}

static void pci_doe_user_task_complete(struct pci_doe_task *task)
{
	struct pci_doe_user_task *ut = container_of(task, typeof(*ut), task);

	complete(&ut->done);
	pci_doe_user_task_put(ut);
}

/*
 * Wait for the task killably.  On a fatal signal, a task still queued is
 * taken back; one in flight is left to complete, and frees itself.
 */
static int pci_doe_user_wait(struct pci_doe_dev *doe,
			     struct pci_doe_user_task *ut)
{
	bool queued;

	if (!wait_for_completion_killable(&ut->done))
		return ut->task.rv;

	spin_lock_irq(&doe->lock);
	queued = !list_empty(&ut->task.node);
	if (queued)
		list_del_init(&ut->task.node);
	spin_unlock_irq(&doe->lock);
	if (queued)	/* never started: the task's reference is ours too */
		pci_doe_user_task_put(ut);
	return -EINTR;
}

static long pci_doe_user_exchange(struct pci_doe_dev *doe,
				  struct pci_doe_exchange __user *uex)
{
	struct pci_doe_user_task *ut;
	struct pci_doe_exchange ex;
	u32 size;
	int rc;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	rc = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (rc)
		return rc;
	if (get_user(size, &uex->size))
		return -EFAULT;
	if (size != sizeof(ex))
		return -EINVAL;
	if (copy_from_user(&ex, uex, sizeof(ex)))
		return -EFAULT;
	if (ex.flags || memchr_inv(ex.reserved, 0, sizeof(ex.reserved)) ||
	    !ex.response_size)
		return -EINVAL;
	if (ex.request_size > PCI_DOE_IOC_MAX_PAYLOAD ||
	    ex.response_size > PCI_DOE_IOC_MAX_PAYLOAD)
		return -E2BIG;
	rc = pci_doe_user_permitted(doe, ex.vid, ex.type);
	if (rc)
		return rc;

	ut = kzalloc(sizeof(*ut), GFP_KERNEL);
	if (!ut)
		return -ENOMEM;
	refcount_set(&ut->owners, 1);
	init_completion(&ut->done);
	ut->req = kvmalloc(max_t(u32, ex.request_size, 1), GFP_KERNEL);
	ut->rsp = kvzalloc(ex.response_size, GFP_KERNEL);
	if (!ut->req || !ut->rsp) {
		rc = -ENOMEM;
		goto out;
	}
	if (copy_from_user(ut->req, u64_to_user_ptr(ex.request), ex.request_size)) {
		rc = -EFAULT;
		goto out;
	}
	ut->task = (struct pci_doe_task) {
		.vid = ex.vid,
		.type = ex.type,
		.request_pl = ut->req,
		.request_pl_sz = ex.request_size,
		.response_pl = ut->rsp,
		.response_pl_sz = ex.response_size,
		.complete = pci_doe_user_task_complete,
	};
	INIT_LIST_HEAD(&ut->task.node);
	refcount_inc(&ut->owners);	/* the task's */
	rc = pci_doe_submit_task(doe, &ut->task);
	if (rc) {
		refcount_dec(&ut->owners);
		goto out;
	}
	rc = pci_doe_user_wait(doe, ut);
	if (rc < 0)
		goto out;
	if (copy_to_user(u64_to_user_ptr(ex.response), ut->rsp, rc) ||
	    put_user(rc, &uex->response_size))
		rc = -EFAULT;
	else
		rc = 0;
out:
	pci_doe_user_task_put(ut);
	return rc;
}

/*
 * misc_open() calls this under misc_mtx, which misc_deregister() in
 * pci_doe_remove() also takes: the reference is taken before the device
 * can go, and keeps @doe valid for the life of the file.
 */
static int pci_doe_open(struct inode *inode, struct file *file)
{
	struct pci_doe_dev *doe = container_of(file->private_data,
					       struct pci_doe_dev, misc);
	struct pci_doe_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->doe = doe;
	f->binding = READ_ONCE(doe->binding);
	get_device(&doe->adev.dev);
	file->private_data = f;
	return 0;
}

static int pci_doe_release(struct inode *inode, struct file *file)
{
	struct pci_doe_file *f = file->private_data;

	put_device(&f->doe->adev.dev);
	kfree(f);
	return 0;
}

static long pci_doe_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct pci_doe_file *f = file->private_data;

	if (cmd != PCI_DOE_IOC_EXCHANGE)
		return -ENOTTY;
	/* Opened before an unbind: the DOE Capability changed hands since */
	if (READ_ONCE(f->doe->binding) != f->binding)
		return -ENODEV;
	return pci_doe_user_exchange(f->doe, (void __user *)arg);
}

static const struct file_operations pci_doe_fops = {
	.owner = THIS_MODULE,
	.open = pci_doe_open,
	.release = pci_doe_release,
	.unlocked_ioctl = pci_doe_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

#if IS_ENABLED(CONFIG_PCI_DOE_KUNIT_TEST)
/* A file as open("/dev/pci_doe.doe.<id>") gives it, without devtmpfs */
VISIBLE_IF_KUNIT struct file *pci_doe_kunit_open(struct pci_doe_dev *doe)
{
	struct file *file;
	int rc;

	file = anon_inode_getfile("[pci_doe]", &pci_doe_fops, &doe->misc,
				  O_RDWR);
	if (IS_ERR(file))
		return file;
	rc = pci_doe_open(NULL, file);
	if (rc) {
		file->private_data = NULL;
		fput(file);
		return ERR_PTR(rc);
	}
	return file;
}
EXPORT_SYMBOL_IF_KUNIT(pci_doe_kunit_open);
#endif

/* /dev/pci_doe.doe.<id>, a child of the auxiliary device in sysfs */
static int pci_doe_add_cdev(struct pci_doe_dev *doe)
{
	int rc;

	rc = pci_doe_kunit_inject(doe, PCI_DOE_KUNIT_CDEV);
	if (rc)
		return rc;
	memset(&doe->misc, 0, sizeof(doe->misc));
	doe->misc.minor = MISC_DYNAMIC_MINOR;
	doe->misc.name = dev_name(&doe->adev.dev);
	doe->misc.fops = &pci_doe_fops;
	doe->misc.parent = &doe->adev.dev;
	doe->misc.mode = 0600;
	rc = misc_register(&doe->misc);
	if (!rc)
		doe->misc_added = true;
	return rc;
}

static void pci_doe_set_state(struct pci_doe_dev *doe, enum pci_doe_state state)
{
	spin_lock_irq(&doe->lock);
	/* Unbind wins over whatever the work item reached meanwhile */
	if (doe->state != PCI_DOE_UNBOUND)
		doe->state = state;
	spin_unlock_irq(&doe->lock);
	wake_up_all(&doe->wq);
}

/*
 * Abort and Discovery, run by the work item with @exchange_lock held, so
 * that no exchange can come between them: when the generic driver binds,
 * and when the DOE state may be lost (@stale: a reset, system sleep).
 * @pm is the result of taking the runtime PM reference.
 *
 * When binding, only they decide whether the kernel can use the DOE
 * Capability; sysfs features/ and the character device are extras whose
 * failure is reported and survived.  Later, only an Abort that does not
 * complete kills it: a Discovery that fails (the device Busy for a while
 * after a reset, say) leaves the protocols found before.
 */
static void pci_doe_setup(struct pci_doe_dev *doe, const char *why, int pm)
{
	struct pci_dev *pdev = doe->pdev;
	bool again = doe->prots;
	int rc = pm;

	lockdep_assert_held(&doe->exchange_lock);
	/* Abort resets the DOE Capability (PCIe r6.2 sec 6.30.2) */
	if (!rc)
		rc = pci_doe_abort(doe, why);
	if (!rc)
		rc = pci_doe_discover(doe);
	/* Cut short by a reset: pci_doe_reset_done() marks it stale again */
	if (rc == -ECONNRESET)
		return;
	if (rc < 0) {
		if (!pci_doe_cancelled(doe) && !pci_dev_is_disconnected(pdev))
			pci_err(pdev, "[%x] DOE Discovery (%s) failed: %d%s\n",
				doe->doe_cap, why, rc,
				again && READ_ONCE(doe->state) != PCI_DOE_DEAD ?
				"; the protocols found before stay" : "");
		spin_lock_irq(&doe->lock);
		doe->stale = false;
		spin_unlock_irq(&doe->lock);
		if (!again)
			pci_doe_set_state(doe, PCI_DOE_DEAD);
		/* pci_doe_find() waits for the end of a rediscovery */
		wake_up_all(&doe->wq);
		return;
	}

	if (rc || !doe->features) {
		pci_doe_remove_features(doe);
		rc = pci_doe_add_features(doe);
		if (rc)
			pci_info(pdev, "[%x] no DOE features in sysfs: %d\n",
				 doe->doe_cap, rc);
		/* They came after the device's ADD uevent */
		kobject_uevent(&doe->adev.dev.kobj, KOBJ_CHANGE);
	}
	spin_lock_irq(&doe->lock);
	doe->stale = false;
	spin_unlock_irq(&doe->lock);
	pci_doe_set_state(doe, PCI_DOE_READY);
	pci_doe_irq_attach(doe);
	/* Only now: the character device serves a READY DOE Capability */
	if (!doe->misc_added && READ_ONCE(doe->state) == PCI_DOE_READY) {
		rc = pci_doe_add_cdev(doe);
		if (rc)
			pci_info(pdev, "[%x] no DOE character device: %d\n",
				 doe->doe_cap, rc);
	}
}

/*
 * Binding only claims the register block and hands Abort and Discovery to
 * the work item; it never fails for the device's sake, so lookups can
 * tell "bound, Discovery running" from "no driver" at once.
 */
static int pci_doe_probe(struct auxiliary_device *adev,
			 const struct auxiliary_device_id *id)
{
	struct pci_doe_dev *doe = container_of(adev, struct pci_doe_dev, adev);

	/*
	 * The kernel owns the DOE register block while bound: a userspace
	 * config write to it warns and taints (pci_write_config()).
	 */
	if (!pci_request_config_region_exclusive(doe->pdev, doe->doe_cap,
						 PCI_DOE_CAP_SIZEOF,
						 dev_name(&adev->dev)))
		return -EBUSY;

	/* A new binding, a new chance for the interrupt */
	mutex_lock(&doe->irq_lock);
	doe->irq_failed = false;
	mutex_unlock(&doe->irq_lock);

	spin_lock_irq(&doe->lock);
	doe->cancel = false;
	doe->stale = false;
	doe->state = PCI_DOE_PROBING;
	queue_work(system_unbound_wq, &doe->work);
	spin_unlock_irq(&doe->lock);
	return 0;
}

/*
 * Hand the DOE Capability back: refuse new tasks, fail the queued ones and
 * cut the one in flight short; then no open file, no features/, no DOE
 * interrupt (Interrupt Enable off first), no config region, after which
 * the kernel never touches the Capability again.
 */
static void pci_doe_remove(struct auxiliary_device *adev)
{
	struct pci_doe_dev *doe = container_of(adev, struct pci_doe_dev, adev);
	u32 *prots;

	spin_lock_irq(&doe->lock);
	doe->cancel = true;
	doe->state = PCI_DOE_UNBOUND;
	/* The next binding Aborts and rediscovers anyway */
	doe->stale = false;
	/* Tasks held back by a reset in progress drain too */
	queue_work(system_unbound_wq, &doe->work);
	spin_unlock_irq(&doe->lock);
	wake_up_all(&doe->wq);
	flush_work(&doe->work);
	/* Wait for an exchange pci_doe() runs in its caller's thread */
	mutex_lock(&doe->exchange_lock);
	mutex_unlock(&doe->exchange_lock);

	/* No new opens; open files get -ENODEV from here on */
	if (doe->misc_added) {
		misc_deregister(&doe->misc);
		doe->misc_added = false;
	}
	WRITE_ONCE(doe->binding, doe->binding + 1);
	pci_doe_remove_features(doe);
	pci_doe_irq_detach(doe, false);
	pci_release_config_region(doe->pdev, doe->doe_cap, PCI_DOE_CAP_SIZEOF);

	spin_lock_irq(&doe->lock);
	prots = doe->prots;
	doe->prots = NULL;
	doe->nr_prots = 0;
	spin_unlock_irq(&doe->lock);
	kfree(prots);
}

/* Reset and system sleep */

/*
 * The DOE state may be lost: Abort and rediscover before the next task,
 * in the work item, which @kick starts now.  Lookups wait for it.
 */
static void pci_doe_mark_stale(struct pci_doe_dev *doe, const char *why,
			       bool kick)
{
	spin_lock_irq(&doe->lock);
	if (doe->state == PCI_DOE_READY || doe->state == PCI_DOE_DEAD) {
		/* A reset or a power loss may revive a dead one too */
		doe->state = PCI_DOE_READY;
		doe->stale = true;
		doe->stale_why = why;
	}
	if (kick && doe->state != PCI_DOE_UNBOUND)
		queue_work(system_unbound_wq, &doe->work);
	spin_unlock_irq(&doe->lock);
}

static int pci_doe_reset_prepare_child(struct device *dev, void *unused)
{
	struct pci_doe_dev *doe;
	bool bound;

	if (!pci_doe_is_doe_dev(dev))
		return 0;
	doe = to_pci_doe_dev(dev);
	/* Unbound too: a bind during the reset waits for its end */
	spin_lock_irq(&doe->lock);
	doe->resetting = true;
	bound = doe->state != PCI_DOE_UNBOUND;
	spin_unlock_irq(&doe->lock);
	if (!bound)
		return 0;
	trace_pci_doe_reset(doe->pdev, doe->doe_cap, PCI_DOE_NO_PROT, "prepare");
	wake_up_all(&doe->wq);
	/*
	 * A runtime resume of the function that an exchange started before
	 * it saw @resetting ends before the reset, not during it
	 */
	pm_runtime_barrier(&doe->adev.dev);
	/* The exchange in flight is out once the lock is ours */
	mutex_lock(&doe->exchange_lock);
	mutex_unlock(&doe->exchange_lock);
	return 0;
}

/*
 * The PCI core calls this before it resets @pdev from
 * pci_dev_save_and_disable(): pci_reset_function() with any reset method,
 * the sysfs reset attribute, pci_reset_bus().  The device lock is held,
 * and the driver's reset_prepare() has run.  The exchange in flight ends
 * with -ECONNRESET and touches the registers no more; queued tasks wait
 * for pci_doe_reset_done(); new ones are refused with -ECONNRESET.
 * Recovery from AER and DPC does not come here: the driver's error
 * handlers decide, and an exchange meanwhile fails with -ENODEV or -EIO.
 * Nor does a driver that calls pcie_flr() itself: an exchange in flight
 * then times out and Aborts.  A DOE Capability handed to userspace is
 * left alone.
 */
void pci_doe_reset_prepare(struct pci_dev *pdev)
{
	device_for_each_child(&pdev->dev, NULL, pci_doe_reset_prepare_child);
}

static int pci_doe_reset_done_child(struct device *dev, void *unused)
{
	struct pci_doe_dev *doe;
	bool bound;

	if (!pci_doe_is_doe_dev(dev))
		return 0;
	doe = to_pci_doe_dev(dev);
	spin_lock_irq(&doe->lock);
	bound = doe->resetting && doe->state != PCI_DOE_UNBOUND;
	doe->resetting = false;
	spin_unlock_irq(&doe->lock);
	if (!bound)
		return 0;
	trace_pci_doe_reset(doe->pdev, doe->doe_cap, PCI_DOE_NO_PROT, "done");
	pci_doe_mark_stale(doe, "reset", true);
	return 0;
}

/*
 * The PCI core calls this after it reset @pdev and restored its state
 * (pci_dev_restore()), before the driver's reset_done(): every DOE
 * Capability that pci_doe_reset_prepare() stopped is Aborted and
 * rediscovered by its work item, with DOE Interrupt Enable set again if
 * its handler is attached; then its queued tasks run.  Nothing waits here,
 * under the device locks of a bus reset.  An exchange the driver's
 * reset_done() submits runs after the rediscovery.
 */
void pci_doe_reset_done(struct pci_dev *pdev)
{
	device_for_each_child(&pdev->dev, NULL, pci_doe_reset_done_child);
}

/*
 * Device interrupts are suspended from dpm_suspend_noirq() to
 * dpm_resume_noirq(), yet drivers exchange in their noirq callbacks
 * (CMA/SPDM in ->resume_noirq()).  The DOE Capability polls from its own
 * suspend_noirq, which runs before its parent's, to its own
 * resume_noirq, which runs after: the parent's noirq callbacks poll.
 * Other devices' noirq callbacks outside that window would wait for an
 * interrupt in vain, at most 10 ms at a time (PCI_DOE_IRQ_RECHECK_MS).
 */
static int pci_doe_suspend_noirq(struct device *dev)
{
	struct pci_doe_dev *doe = to_pci_doe_dev(dev);

	WRITE_ONCE(doe->noirq, true);
	wake_up_all(&doe->wq);
	trace_pci_doe_pm(doe->pdev, doe->doe_cap, PCI_DOE_NO_PROT, "suspend noirq");
	return 0;
}

static int pci_doe_resume_noirq(struct device *dev)
{
	struct pci_doe_dev *doe = to_pci_doe_dev(dev);

	/*
	 * A DOE interrupt of the noirq phases was not handled: its DOE
	 * Interrupt Status (RW1C) would hold back every later one.
	 */
	if (READ_ONCE(doe->irq))
		pci_write_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_STATUS,
				       PCI_DOE_STATUS_INT_STATUS);
	WRITE_ONCE(doe->noirq, false);
	trace_pci_doe_pm(doe->pdev, doe->doe_cap, PCI_DOE_NO_PROT, "resume noirq");
	return 0;
}

/*
 * The function may have been without power: DOE state, DOE Interrupt
 * Enable and maybe the protocols (a firmware update) are lost.  Abort and
 * Discovery follow in the work item: now if the function is awake, else
 * before its next exchange, so that resume wakes no runtime-suspended
 * function.
 */
static int pci_doe_resume(struct device *dev)
{
	struct pci_doe_dev *doe = to_pci_doe_dev(dev);
	bool awake;

	trace_pci_doe_pm(doe->pdev, doe->doe_cap, PCI_DOE_NO_PROT, "resume");
	awake = !pm_runtime_suspended(&doe->pdev->dev);
	pci_doe_mark_stale(doe, "resume", awake);
	return 0;
}

static const struct dev_pm_ops pci_doe_pm_ops = {
	NOIRQ_SYSTEM_SLEEP_PM_OPS(pci_doe_suspend_noirq, pci_doe_resume_noirq)
	SYSTEM_SLEEP_PM_OPS(NULL, pci_doe_resume)
};

static const struct auxiliary_device_id pci_doe_id_table[] = {
	{ .name = PCI_DOE_AUX_MODNAME ".doe" },
	{ }
};

static struct auxiliary_driver pci_doe_driver = {
	.name = "generic",
	.probe = pci_doe_probe,
	.remove = pci_doe_remove,
	.id_table = pci_doe_id_table,
	.driver.probe_type = PROBE_FORCE_SYNCHRONOUS,
	.driver.pm = pm_sleep_ptr(&pci_doe_pm_ops),
};

static int pci_doe_kick_child(struct device *dev, void *unused)
{
	struct pci_doe_dev *doe;

	if (!pci_doe_is_doe_dev(dev))
		return 0;
	doe = to_pci_doe_dev(dev);
	spin_lock_irq(&doe->lock);
	if (doe->state == PCI_DOE_READY)
		queue_work(system_unbound_wq, &doe->work);
	spin_unlock_irq(&doe->lock);
	return 0;
}

/*
 * When a driver's probe has returned, its handlers are in place: let the
 * work item attach the DOE handlers of its function (PCI_DOE_IRQ_SPARE).
 */
static int pci_doe_bus_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct device *dev = data;

	if (action == BUS_NOTIFY_BOUND_DRIVER)
		device_for_each_child(dev, NULL, pci_doe_kick_child);
	return NOTIFY_DONE;
}

static struct notifier_block pci_doe_bus_nb = {
	.notifier_call = pci_doe_bus_notify,
};

static int __init pci_doe_driver_init(void)
{
	int rc;

	rc = bus_register_notifier(&pci_bus_type, &pci_doe_bus_nb);
	if (rc)
		return rc;
	rc = __auxiliary_driver_register(&pci_doe_driver, THIS_MODULE,
					 PCI_DOE_AUX_MODNAME);
	if (rc)
		bus_unregister_notifier(&pci_bus_type, &pci_doe_bus_nb);
	return rc;
}
subsys_initcall(pci_doe_driver_init);
