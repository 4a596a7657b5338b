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
 * caller's thread instead, under the same lock as the work item.
 *
 * Why a device per DOE Capability and not per protocol: a DOE Capability
 * runs one exchange at a time for all its protocols, and Abort resets all
 * of them (PCIe r6.2 sec 6.30.2), so its register block can only have one
 * owner.  Kernel users look up the DOE Capability serving a protocol with
 * pci_doe_find(); ownership passes between kernel and userspace per DOE
 * Capability.
 */

#define dev_fmt(fmt) "DOE: " fmt

#include <linux/auxiliary_bus.h>
#include <linux/bitfield.h>
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-doe.h>
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

/* PCIe r6.2 sec 6.30.2: Data Object Ready, Abort and Busy: 1 second */
#define PCI_DOE_TIMEOUT		HZ
/* PCIe r6.2 sec 6.30.1: a Length of 0 means 2^18 dwords */
#define PCI_DOE_MAX_LENGTH	BIT(18)
#define PCI_DOE_HDR_DW		2
/* Poll interval bounds when no interrupt is available */
#define PCI_DOE_POLL_MIN_US	10
#define PCI_DOE_POLL_MAX_US	1000
/* Discovery indices are 8 bits (PCIe r6.2 sec 6.30.1.1) */
#define PCI_DOE_MAX_PROTOCOLS	256

/* How long pci_doe_find() waits for the generic driver's Discovery */
#define PCI_DOE_PROBE_WAIT	(10 * HZ)

#define PCI_DOE_AUX_MODNAME	"pci_doe"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX	PCI_DOE_AUX_MODNAME "."

/* Read at each bind of the generic driver; see Documentation/PCI/doe.rst */
static bool pci_doe_poll;
module_param_named(poll, pci_doe_poll, bool, 0644);
MODULE_PARM_DESC(poll, "Poll DOE Status instead of using the DOE interrupt (applies at bind)");

/* @active_prot when no exchange runs: Vendor ID ffff, Data Object Type ff */
#define PCI_DOE_NO_PROT		0x00ffffff

enum pci_doe_state {
	PCI_DOE_UNBOUND,	/* no generic driver: not the kernel's */
	PCI_DOE_PROBING,	/* Abort and Discovery under way */
	PCI_DOE_READY,		/* accepting tasks */
	PCI_DOE_DEAD,		/* an Abort failed: tasks fail with -EIO */
};

/**
 * struct pci_doe_dev - One DOE Capability
 * @adev: The auxiliary device, a child of @pdev
 * @pdev: The PCI function; pinned by @adev's parent reference
 * @doe_cap: Config space offset of the DOE Capability
 * @version: Capability Version of the DOE Extended Capability header
 * @vec_irq: Linux IRQ of the vector of the DOE Interrupt Message Number,
 *	     or 0 if the function has no such vector
 * @msg: DOE Interrupt Message Number
 * @msix: @vec_irq is an MSI-X vector (else MSI)
 * @kunit_irq: @vec_irq is the KUnit responder's IRQ, not a vector
 * @irq: @vec_irq while the generic driver is bound and uses it, else 0
 *	 (polling)
 * @lock: Protects @state, @tasks and @cancel against concurrent submitters,
 *	  the work item and unbind.  Never held across hardware access.
 * @state: See enum pci_doe_state
 * @cancel: Set on unbind: the task in flight and the queued ones fail with
 *	    -ENODEV
 * @tasks: Queued tasks, oldest first
 * @work: Runs the queued tasks one after another, each under
 *	  @exchange_lock
 * @exchange_lock: Held by whoever runs an exchange while the driver is
 *		   bound: @work for each queued task, or pci_doe() running
 *		   its own task in the caller's thread when nothing is queued.
 *		   So the register block is accessed by one thread at a time:
 *		   the holder of @exchange_lock while bound, probe before any
 *		   task is accepted, remove once @work and the holder are done.
 *		   Taken outside @lock, never inside it.
 * @wq: Woken by the DOE interrupt, by state changes and by cancellation
 * @irq_events: Count of DOE interrupts handled
 * @active_prot: Protocol (type << 16 | vid) of the exchange in flight, or
 *		 PCI_DOE_NO_PROT.  Written and read by the one thread running
 *		 exchanges (see @exchange_lock); read with READ_ONCE() by the
 *		 DOE interrupt handler.
 * @prots: Protocols found by Discovery, (type << 16 | vid) each
 * @nr_prots: Number of entries in @prots
 * @claims: Protocols kernel users claimed (struct pci_doe_claim)
 * @misc: The character device for PCI_DOE_IOC_EXCHANGE, while bound
 * @binding: Counts the bindings of the generic driver; a file opened
 *	     during one is dead after it
 */
struct pci_doe_dev {
	struct auxiliary_device adev;
	struct pci_dev *pdev;
	u16 doe_cap;
	u8 version;
	int vec_irq;
	u16 msg;
	bool msix;
	bool kunit_irq;
	int irq;

	spinlock_t lock;	/* see @lock above */
	enum pci_doe_state state;
	bool cancel;
	struct list_head tasks;
	struct work_struct work;
	struct mutex exchange_lock;	/* see @exchange_lock above */
	wait_queue_head_t wq;
	atomic_t irq_events;
	u32 active_prot;

	u32 *prots;
	unsigned int nr_prots;
	struct list_head claims;

	struct miscdevice misc;
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

static void pci_doe_write_ctrl(struct pci_doe_dev *doe, u32 val)
{
	/* Keep DOE Interrupt Enable set while the interrupt is in use */
	if (doe->irq)
		val |= PCI_DOE_CTRL_INT_EN;
	pci_write_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_CTRL, val);
}

static bool pci_doe_cancelled(struct pci_doe_dev *doe)
{
	return READ_ONCE(doe->cancel);
}

/* How pci_doe_wait() ends */
enum pci_doe_wait_for {
	PCI_DOE_WAIT_CLEAR,	/* all bits of the mask clear; polled */
	PCI_DOE_WAIT_ABORT,	/* same, and not cut short by unbind */
	PCI_DOE_WAIT_ANY_SET,	/* any bit of the mask set; interrupt driven */
};

/*
 * Wait for DOE Status, for at most PCI_DOE_TIMEOUT.  Busy clearing and
 * Abort completing raise no interrupt (PCIe r6.2 sec 6.30.3), so they are
 * polled with a bounded interval.  Data Object Ready and Error do raise
 * it, so that wait sleeps until the DOE interrupt when there is one.
 *
 * Return: 0, -ETIMEDOUT, or -ENODEV if the function is gone or the generic
 * driver is being unbound (except for PCI_DOE_WAIT_ABORT).
 */
static int pci_doe_wait(struct pci_doe_dev *doe, u32 mask,
			enum pci_doe_wait_for until, u32 *status)
{
	unsigned long deadline = jiffies + PCI_DOE_TIMEOUT + 1;
	bool use_irq = doe->irq && until == PCI_DOE_WAIT_ANY_SET;
	unsigned int us = PCI_DOE_POLL_MIN_US;
	int seen, rc;

	for (;;) {
		seen = atomic_read(&doe->irq_events);
		rc = pci_doe_read_status(doe, status);
		if (rc)
			return rc;
		if (until == PCI_DOE_WAIT_ANY_SET ? *status & mask : !(*status & mask))
			return 0;
		if (until != PCI_DOE_WAIT_ABORT && pci_doe_cancelled(doe))
			return -ENODEV;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		if (use_irq) {
			wait_event_timeout(doe->wq,
					   atomic_read(&doe->irq_events) != seen ||
					   pci_doe_cancelled(doe),
					   max_t(long, deadline - jiffies, 1));
		} else {
			usleep_range(us, 2 * us);
			us = min(2 * us, PCI_DOE_POLL_MAX_US);
		}
	}
}

/*
 * PCIe r6.2 sec 6.30.2: Abort clears Busy, Error and Data Object Ready
 * within 1 second.  If it does not, the DOE Capability is dead: every later
 * task fails with -EIO without touching it.
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
		doe->state = PCI_DOE_DEAD;
		spin_unlock_irq(&doe->lock);
		return -EIO;
	}
	return rc;
}

static size_t pci_doe_req_dw(const struct pci_doe_task *task)
{
	return PCI_DOE_HDR_DW + DIV_ROUND_UP(task->request_pl_sz, sizeof(u32));
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
			 len == PCI_DOE_MAX_LENGTH ? 0 : len);
	pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_WRITE, val);

	for (i = 0; i < full; i++) {
		/* Up to 2^18 non-posted writes: stop if the function left */
		if (pci_dev_is_disconnected(pdev))
			return -ENODEV;
		pci_write_config_dword(pdev, doe->doe_cap + PCI_DOE_WRITE,
				       le32_to_cpu(task->request_pl[i]));
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
	size_t len = PCI_DOE_HDR_DW, i;
	u32 val, status;
	int rc;

	for (i = 0; i < len; i++) {
		if (pci_dev_is_disconnected(pdev))
			return -ENODEV;
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
				len = PCI_DOE_MAX_LENGTH;
			if (len < PCI_DOE_HDR_DW) {
				dev_dbg_ratelimited(&pdev->dev, "[%x] response Length %zu too short\n",
						    doe->doe_cap, len);
				return -EIO;
			}
		} else {
			pci_doe_store(task, i - PCI_DOE_HDR_DW, val);
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
	}

	rc = pci_doe_read_status(doe, &status);
	if (rc)
		return rc;
	if (status & (PCI_DOE_STATUS_ERROR | PCI_DOE_STATUS_DATA_OBJECT_READY)) {
		dev_dbg_ratelimited(&pdev->dev, "[%x] status %#010x after the last dword\n",
				    doe->doe_cap, status);
		return -EIO;
	}
	trace_pci_doe_response(pdev, doe->doe_cap, doe->active_prot, len);
	return min((len - PCI_DOE_HDR_DW) * sizeof(u32), task->response_pl_sz);
}

static int __pci_doe_exchange(struct pci_doe_dev *doe, struct pci_doe_task *task)
{
	u32 status;
	int rc;

	rc = pci_doe_send_req(doe, task);
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
	if (rc == -ENODEV) {
		/* Cancelled by unbind: leave the mailbox idle if it is there */
		if (pci_doe_cancelled(doe))
			pci_doe_abort(doe, "cancelled");
		return -ENODEV;
	}
	if (rc)
		return rc;
	if (status & PCI_DOE_STATUS_ERROR)
		return pci_doe_abort(doe, "Error set") ?: -EIO;

	rc = pci_doe_recv_resp(doe, task);
	if (rc == -EIO)
		return pci_doe_abort(doe, "malformed response") ?: -EIO;
	return rc;
}

/* Run one exchange: by the holder of exchange_lock, or by probe (Discovery) */
static int pci_doe_exchange(struct pci_doe_dev *doe, struct pci_doe_task *task)
{
	int rc;

	WRITE_ONCE(doe->active_prot, pci_doe_prot(task->vid, task->type));
	rc = __pci_doe_exchange(doe, task);
	WRITE_ONCE(doe->active_prot, PCI_DOE_NO_PROT);
	return rc;
}

static void pci_doe_work(struct work_struct *work)
{
	struct pci_doe_dev *doe = container_of(work, struct pci_doe_dev, work);
	struct pci_doe_task *task;
	enum pci_doe_state state;
	bool cancel;

	for (;;) {
		/*
		 * Take the next task only under exchange_lock: pci_doe() runs
		 * its task inline only when none is queued, so no task
		 * submitted before it can be overtaken.
		 */
		mutex_lock(&doe->exchange_lock);
		spin_lock_irq(&doe->lock);
		task = list_first_entry_or_null(&doe->tasks, struct pci_doe_task,
						node);
		if (task)
			list_del_init(&task->node);
		state = doe->state;
		cancel = doe->cancel;
		spin_unlock_irq(&doe->lock);
		if (!task) {
			mutex_unlock(&doe->exchange_lock);
			return;
		}

		if (cancel)
			task->rv = -ENODEV;
		else if (state == PCI_DOE_DEAD)
			task->rv = -EIO;
		else
			task->rv = pci_doe_exchange(doe, task);
		mutex_unlock(&doe->exchange_lock);
		trace_pci_doe_complete(doe->pdev, doe->doe_cap,
				       pci_doe_prot(task->vid, task->type),
				       task->rv);
		/* The task belongs to its submitter from here on */
		task->complete(task);
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
	if (pci_doe_req_dw(task) > PCI_DOE_MAX_LENGTH)
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
 * exchange fails after submission (for example with -ENODEV when the
 * generic driver is unbound).  May be called from atomic context.
 *
 * Return: 0 if queued; -EINVAL for a malformed task, -E2BIG if the request
 * does not fit in a data object (2^18 dwords with the header), -EOPNOTSUPP
 * if Discovery did not list the protocol, -EIO if the DOE Capability is
 * dead, -ENODEV if the generic driver is not bound.  On error
 * @task->complete is not called.
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

	spin_lock_irqsave(&doe->lock, flags);
	rc = pci_doe_accepts(doe, task);
	if (!rc)
		list_add_tail(&task->node, &doe->tasks);
	spin_unlock_irqrestore(&doe->lock, flags);
	if (rc)
		return rc;

	trace_pci_doe_submit(doe->pdev, doe->doe_cap,
			     pci_doe_prot(task->vid, task->type),
			     task->request_pl_sz);
	queue_work(system_unbound_wq, &doe->work);
	return 0;
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
	rc = pci_doe_exchange(doe, task);
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
 * Sleeps until the exchange ends: at most about 3 seconds plus the time the
 * tasks queued before it take (Busy, Data Object Ready and Abort each time
 * out after 1 second).  When no task is queued or running, the exchange
 * runs in the caller's thread, without the work item's two context
 * switches; otherwise it is queued behind the others.
 *
 * Return: the number of response payload bytes stored in @response, or
 * -errno as for pci_doe_submit_task(), or from the exchange: -EBUSY (DOE
 * Busy for 1 s), -ETIMEDOUT (no Data Object Ready within 1 s), -EIO (DOE
 * Error or a malformed response), -ENODEV (function removed or the generic
 * driver unbound).
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
	rc = pci_doe_check_task(&task);
	if (rc)
		return rc;

	/* Idle DOE Capability: run the exchange here, under exchange_lock */
	if (mutex_trylock(&doe->exchange_lock)) {
		spin_lock_irq(&doe->lock);
		rc = pci_doe_accepts(doe, &task);
		if (!rc && !list_empty(&doe->tasks))
			rc = -EAGAIN;	/* queued tasks go first */
		spin_unlock_irq(&doe->lock);
		if (!rc)
			rc = pci_doe_run_inline(doe, &task);
		mutex_unlock(&doe->exchange_lock);
		if (rc != -EAGAIN)
			return rc;
	}

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

static int pci_doe_match_child(struct device *dev, void *data)
{
	struct pci_doe_match *m = data;
	struct pci_doe_dev *doe;
	long left;

	if (!pci_doe_is_doe_dev(dev))
		return 0;
	doe = to_pci_doe_dev(dev);
	/*
	 * The generic driver probes asynchronously.  Wait for Discovery to
	 * finish (bounded by its own timeouts) rather than answer wrongly.
	 */
	left = wait_event_timeout(doe->wq, READ_ONCE(doe->state) != PCI_DOE_PROBING,
				  PCI_DOE_PROBE_WAIT);
	if (!left)
		return 0;
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
 * Waits for the generic driver's Discovery if it is still running.  A DOE
 * Capability handed to userspace (generic driver unbound) is not found.
 * Must not be called from the generic driver's own probe path.
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

	if (!READ_ONCE(doe->irq))
		return sysfs_emit(buf, "poll\n");
	if (doe->kunit_irq)
		return sysfs_emit(buf, "irq %d\n", doe->irq);
	return sysfs_emit(buf, "%s %u\n", doe->msix ? "msix" : "msi", doe->msg);
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
	struct auxiliary_device *adev = data;

	auxiliary_device_delete(adev);
	auxiliary_device_uninit(adev);
}

/*
 * The auxiliary device id: (domain & 0xf) << 28 | bus << 20 | devfn << 12 |
 * offset.  Stable across boots, and unique unless two PCI domains that
 * differ only above bit 3 hold a DOE Capability at the same BDF and offset;
 * then auxiliary_device_add() fails with -EEXIST for the second.
 */
static u32 pci_doe_dev_id(struct pci_dev *pdev, u16 doe_cap)
{
	return (u32)(pci_domain_nr(pdev->bus) & 0xf) << 28 |
	       (u32)pci_dev_id(pdev) << 12 | doe_cap;
}

#if IS_ENABLED(CONFIG_PCI_DOE_KUNIT_TEST)
/*
 * The KUnit responder (doe_kunit.c) emulates a DOE Capability behind a
 * fake host bridge, where there is no MSI.  It raises a Linux IRQ of its
 * own instead, and this hook hands that IRQ to the DOE Capability in place
 * of the vector of its Interrupt Message Number, so that the interrupt
 * path under test is the one that ships.
 */
static int (*pci_doe_kunit_irq_hook)(struct pci_dev *pdev, u16 doe_cap);

VISIBLE_IF_KUNIT void
pci_doe_kunit_set_irq_hook(int (*hook)(struct pci_dev *pdev, u16 doe_cap))
{
	WRITE_ONCE(pci_doe_kunit_irq_hook, hook);
}
EXPORT_SYMBOL_IF_KUNIT(pci_doe_kunit_set_irq_hook);

/* Number of DOE interrupts the handler claimed on @doe */
VISIBLE_IF_KUNIT int pci_doe_kunit_irq_events(struct pci_doe_dev *doe)
{
	return atomic_read(&doe->irq_events);
}
EXPORT_SYMBOL_IF_KUNIT(pci_doe_kunit_irq_events);

static int pci_doe_kunit_irq(struct pci_dev *pdev, u16 doe_cap)
{
	int (*hook)(struct pci_dev *pdev, u16 doe_cap);

	hook = READ_ONCE(pci_doe_kunit_irq_hook);
	return hook ? hook(pdev, doe_cap) : 0;
}
#else
static int pci_doe_kunit_irq(struct pci_dev *pdev, u16 doe_cap)
{
	return 0;
}
#endif

static int pci_doe_add_dev(struct pci_dev *pdev, u16 doe_cap, u32 cap_reg,
			   int nvec)
{
	unsigned int msg = FIELD_GET(PCI_DOE_CAP_INT_MSG_NUM, cap_reg);
	struct pci_doe_dev *doe;
	u32 hdr;
	int rc;

	doe = kzalloc(sizeof(*doe), GFP_KERNEL);
	if (!doe)
		return -ENOMEM;

	doe->pdev = pdev;
	doe->doe_cap = doe_cap;
	pci_read_config_dword(pdev, doe_cap, &hdr);
	doe->version = PCI_EXT_CAP_VER(hdr);
	spin_lock_init(&doe->lock);
	INIT_LIST_HEAD(&doe->tasks);
	INIT_LIST_HEAD(&doe->claims);
	INIT_WORK(&doe->work, pci_doe_work);
	mutex_init(&doe->exchange_lock);
	init_waitqueue_head(&doe->wq);
	doe->state = PCI_DOE_UNBOUND;
	doe->active_prot = PCI_DOE_NO_PROT;

	/*
	 * PCIe r6.2 sec 6.30.3: the DOE interrupt is the MSI or MSI-X
	 * message of the Interrupt Message Number.  Use it only if the
	 * function has that vector; otherwise poll.
	 */
	doe->msg = msg;
	doe->msix = pdev->msix_enabled;
	if ((cap_reg & PCI_DOE_CAP_INT_SUP) && (int)msg < nvec) {
		rc = pci_irq_vector(pdev, msg);
		if (rc > 0)
			doe->vec_irq = rc;
	}
	rc = pci_doe_kunit_irq(pdev, doe_cap);
	if (rc > 0) {
		doe->vec_irq = rc;
		doe->kunit_irq = true;
	}

	doe->adev.name = "doe";
	doe->adev.id = pci_doe_dev_id(pdev, doe_cap);
	doe->adev.dev.parent = &pdev->dev;
	doe->adev.dev.type = &pci_doe_dev_type;

	rc = auxiliary_device_init(&doe->adev);
	if (rc) {
		kfree(doe);
		return rc;
	}
	/* From here on, put_device() frees @doe through the device type */
	/*
	 * The state is PROBING before the device is visible, so a lookup
	 * racing with the asynchronous probe of the generic driver waits.
	 */
	doe->state = PCI_DOE_PROBING;
	rc = __auxiliary_device_add(&doe->adev, PCI_DOE_AUX_MODNAME);
	if (rc) {
		pci_err(pdev, "[%x] cannot add DOE device: %d\n", doe_cap, rc);
		auxiliary_device_uninit(&doe->adev);
		return rc;
	}
	return devm_add_action_or_reset(&pdev->dev, pci_doe_dev_delete,
					&doe->adev);
}

static void pci_doe_free_vectors(void *data)
{
	pci_free_irq_vectors(data);
}

/*
 * Number of MSI/MSI-X vectors the function has, allocating them if the
 * driver has none: exactly enough to cover the highest DOE Interrupt
 * Message Number, once for all DOE Capabilities.
 */
static int pci_doe_setup_vectors(struct pci_dev *pdev, int max_msg)
{
	int nvec, rc;

	if (pdev->msix_enabled || pdev->msi_enabled) {
		/*
		 * The driver owns the vectors: never allocate behind its
		 * back.  A DOE message number it did not allocate is polled.
		 */
		nvec = 0;
		while (pci_irq_vector(pdev, nvec) > 0)
			nvec++;
		return nvec;
	}
	if (max_msg < 0)
		return 0;

	nvec = max_msg + 1;
	rc = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX | PCI_IRQ_MSI);
	if (rc < 0) {
		pci_dbg(pdev, "no %d MSI/MSI-X vectors for DOE (%d); polling\n",
			nvec, rc);
		return 0;
	}
	/* pcim_enable_device() users get this from the PCI core already */
	if (!pci_is_managed(pdev)) {
		rc = devm_add_action_or_reset(&pdev->dev, pci_doe_free_vectors,
					      pdev);
		if (rc)
			return rc;
	}
	return nvec;
}

/**
 * pci_doe_max_int_msg_num() - Highest DOE Interrupt Message Number of a function
 * @pdev: PCI function
 *
 * For a driver that allocates its own MSI/MSI-X vectors before calling
 * devm_pci_doe_create_devices(): allocating at least this number plus one
 * lets every DOE Capability with Interrupt Support use its interrupt
 * (PCIe r6.2 sec 6.30.3, 7.9.24.2).
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
 *
 * Walks every DOE Capability of @pdev and adds an auxiliary device
 * "pci_doe.doe.<id>" for each, a child of @pdev, which the generic DOE
 * driver binds to.  In sysfs each shows under the PCI device with its
 * cap_offset and interrupt ("msix N", "msi N" or "poll"), and, while the
 * generic driver is bound, a features/ directory with one file per
 * protocol Discovery found.  Unbinding the generic driver from one hands
 * that DOE Capability to userspace.
 *
 * Interrupts (PCIe r6.2 sec 6.30.3): if the driver has MSI or MSI-X
 * enabled already, each DOE Capability uses the vector of its Interrupt
 * Message Number if the driver allocated it, else it polls; nothing is
 * allocated behind the driver's back.  If the driver has neither, exactly
 * the vectors up to the highest DOE Interrupt Message Number are allocated
 * with pci_alloc_irq_vectors(), and released when the driver unbinds.  A
 * driver that wants its own vectors must allocate them first.  The DOE
 * interrupt is shared (IRQF_SHARED) with the driver's own use of that
 * vector.
 *
 * Lifetime: the auxiliary devices are device-managed resources of the
 * calling driver's binding to @pdev.  They are deleted (unbinding the
 * generic driver, which fails queued tasks with -ENODEV) before that
 * driver's unbind completes, so they never outlive the binding, and never
 * the pci_dev: each holds a reference to its parent @pdev.
 *
 * Return: 0, also when @pdev has no DOE Capability, or -errno.
 */
int devm_pci_doe_create_devices(struct pci_dev *pdev)
{
	int nvec, rc;
	u16 pos = 0;
	u32 cap;

	if (!pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_DOE))
		return 0;

	nvec = pci_doe_setup_vectors(pdev, pci_doe_max_int_msg_num(pdev));
	if (nvec < 0)
		return nvec;

	pos = 0;
	while ((pos = pci_find_next_ext_capability(pdev, pos, PCI_EXT_CAP_ID_DOE))) {
		pci_read_config_dword(pdev, pos + PCI_DOE_CAP, &cap);
		rc = pci_doe_add_dev(pdev, pos, cap, nvec);
		if (rc)
			return rc;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(devm_pci_doe_create_devices);

/* The generic DOE driver */

static irqreturn_t pci_doe_irq(int irq, void *data)
{
	struct pci_doe_dev *doe = data;
	u32 status;

	pci_read_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_STATUS, &status);
	/* Shared vector: not ours unless DOE Interrupt Status is set */
	if (PCI_POSSIBLE_ERROR(status) || !(status & PCI_DOE_STATUS_INT_STATUS))
		return IRQ_NONE;
	trace_pci_doe_irq(doe->pdev, doe->doe_cap, READ_ONCE(doe->active_prot),
			  status);
	/* RW1C (PCIe r6.2 sec 7.9.24.5) */
	pci_write_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_STATUS,
			       PCI_DOE_STATUS_INT_STATUS);
	atomic_inc(&doe->irq_events);
	wake_up(&doe->wq);
	return IRQ_HANDLED;
}

static int pci_doe_discover(struct pci_doe_dev *doe)
{
	unsigned int index = 0, ver = doe->version >= 2 ? 2 : 0, n = 0;
	u32 *prots, *shrunk;
	int rc;

	prots = kcalloc(PCI_DOE_MAX_PROTOCOLS, sizeof(*prots), GFP_KERNEL);
	if (!prots)
		return -ENOMEM;

	do {
		__le32 req, rsp;
		struct pci_doe_task task = {
			.vid = PCI_VENDOR_ID_PCI_SIG,
			.type = PCI_DOE_PROTOCOL_DISCOVERY,
			.request_pl = &req,
			.request_pl_sz = sizeof(req),
			.response_pl = &rsp,
			.response_pl_sz = sizeof(rsp),
		};
		u32 val;
		u16 vid;
		u8 type;

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
			kfree(prots);
			return rc;
		}
		val = le32_to_cpu(rsp);
		vid = FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_VID, val);
		type = FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_PROTOCOL, val);
		prots[n++] = pci_doe_prot(vid, type);
		pci_dbg(doe->pdev, "[%x] found protocol %04x:%02x\n", doe->doe_cap,
			vid, type);
		index = FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_NEXT_INDEX, val);
	} while (index && n < PCI_DOE_MAX_PROTOCOLS);

	/*
	 * Keep only what Discovery found: a copy of the right size, since
	 * krealloc() keeps an object that is large enough.  On failure the
	 * larger array stays.
	 */
	shrunk = kmemdup(prots, n * sizeof(*prots), GFP_KERNEL);
	if (shrunk) {
		kfree(prots);
		prots = shrunk;
	}

	spin_lock_irq(&doe->lock);
	doe->prots = prots;
	doe->nr_prots = n;
	spin_unlock_irq(&doe->lock);
	return 0;
}

/*
 * sysfs features/: one read-only file per protocol Discovery found, named
 * and containing "VVVV:TT", the naming of the PCI core's doe_features.
 * Created while the generic driver is bound; the names and attributes are
 * device-managed by that binding.
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

static int pci_doe_add_features(struct pci_doe_dev *doe)
{
	struct device *dev = &doe->adev.dev;
	struct device_attribute *attrs;
	unsigned int i;
	int rc;

	rc = sysfs_create_group(&dev->kobj, &pci_doe_features_group);
	if (rc)
		return rc;
	attrs = devm_kcalloc(dev, doe->nr_prots, sizeof(*attrs), GFP_KERNEL);
	if (!attrs) {
		rc = -ENOMEM;
		goto err;
	}
	for (i = 0; i < doe->nr_prots; i++) {
		struct device_attribute *a = &attrs[i];

		a->attr.name = devm_kasprintf(dev, GFP_KERNEL, "%04x:%02x",
					      doe->prots[i] & 0xffff,
					      doe->prots[i] >> 16);
		if (!a->attr.name) {
			rc = -ENOMEM;
			goto err;
		}
		sysfs_attr_init(&a->attr);
		a->attr.mode = 0444;
		a->show = pci_doe_feature_show;
		/* Discovery may list a protocol twice: keep the first */
		rc = sysfs_add_file_to_group(&dev->kobj, &a->attr, "features");
		if (rc && rc != -EEXIST)
			goto err;
	}
	return 0;
err:
	sysfs_remove_group(&dev->kobj, &pci_doe_features_group);
	return rc;
}

static void pci_doe_remove_features(struct pci_doe_dev *doe)
{
	sysfs_remove_group(&doe->adev.dev.kobj, &pci_doe_features_group);
}

static void pci_doe_set_state(struct pci_doe_dev *doe, enum pci_doe_state state)
{
	spin_lock_irq(&doe->lock);
	doe->state = state;
	spin_unlock_irq(&doe->lock);
	wake_up_all(&doe->wq);
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
 *	   only read, so that userspace may still run them
 *
 * While claimed, PCI_DOE_IOC_EXCHANGE refuses the protocol with -EBUSY,
 * unless @flags has PCI_DOE_CLAIM_READ_ONLY_SAFE.  Discovery cannot be
 * claimed.  The claim holds a reference to @doe.
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
 * May userspace exchange (@vid, @type) through PCI_DOE_IOC_EXCHANGE?
 * Discovery always; a protocol a kernel user claimed only if it is
 * read-only safe.
 */
VISIBLE_IF_KUNIT int pci_doe_user_permitted(struct pci_doe_dev *doe, u16 vid,
					    u8 type)
{
	struct pci_doe_claim *c;
	int rc = 0;

	if (pci_doe_is_discovery(vid, type))
		return 0;
	spin_lock_irq(&doe->lock);
	c = pci_doe_find_claim(doe, pci_doe_prot(vid, type));
	if (c && !(c->flags & PCI_DOE_CLAIM_READ_ONLY_SAFE))
		rc = -EBUSY;
	spin_unlock_irq(&doe->lock);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(pci_doe_user_permitted);

static long pci_doe_user_exchange(struct pci_doe_dev *doe,
				  struct pci_doe_exchange __user *uex)
{
	struct pci_doe_exchange ex;
	void *req, *rsp;
	u32 size;
	int rc;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
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

	req = kvmalloc(max_t(u32, ex.request_size, 1), GFP_KERNEL);
	rsp = kvzalloc(ex.response_size, GFP_KERNEL);
	if (!req || !rsp) {
		rc = -ENOMEM;
		goto out;
	}
	if (copy_from_user(req, u64_to_user_ptr(ex.request), ex.request_size)) {
		rc = -EFAULT;
		goto out;
	}
	rc = pci_doe(doe, ex.vid, ex.type, req, ex.request_size, rsp,
		     ex.response_size);
	if (rc < 0)
		goto out;
	if (copy_to_user(u64_to_user_ptr(ex.response), rsp, rc) ||
	    put_user(rc, &uex->response_size))
		rc = -EFAULT;
	else
		rc = 0;
out:
	kvfree(req);
	kvfree(rsp);
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

/* /dev/pci_doe.doe.<id>, a child of the auxiliary device in sysfs */
static int pci_doe_add_cdev(struct pci_doe_dev *doe)
{
	memset(&doe->misc, 0, sizeof(doe->misc));
	doe->misc.minor = MISC_DYNAMIC_MINOR;
	doe->misc.name = dev_name(&doe->adev.dev);
	doe->misc.fops = &pci_doe_fops;
	doe->misc.parent = &doe->adev.dev;
	doe->misc.mode = 0600;
	return misc_register(&doe->misc);
}

/*
 * Hand the DOE Capability back: DOE Interrupt Enable off before the
 * handler goes, then the config region, after which the kernel never
 * touches the Capability again, then the protocols Discovery found.
 * Called by probe on failure and by remove once no task runs.
 */
static void pci_doe_hand_back(struct pci_doe_dev *doe)
{
	int irq = doe->irq;
	u32 *prots;

	if (irq) {
		pci_write_config_dword(doe->pdev, doe->doe_cap + PCI_DOE_CTRL, 0);
		WRITE_ONCE(doe->irq, 0);
		free_irq(irq, doe);
	}
	pci_release_config_region(doe->pdev, doe->doe_cap, PCI_DOE_CAP_SIZEOF);

	spin_lock_irq(&doe->lock);
	prots = doe->prots;
	doe->prots = NULL;
	doe->nr_prots = 0;
	spin_unlock_irq(&doe->lock);
	kfree(prots);
}

static int pci_doe_probe(struct auxiliary_device *adev,
			 const struct auxiliary_device_id *id)
{
	struct pci_doe_dev *doe = container_of(adev, struct pci_doe_dev, adev);
	struct pci_dev *pdev = doe->pdev;
	int rc;

	pci_doe_set_state(doe, PCI_DOE_PROBING);
	doe->cancel = false;

	/*
	 * The kernel owns the DOE register block while bound: a userspace
	 * config write to it warns and taints (pci_write_config()).
	 */
	if (!pci_request_config_region_exclusive(pdev, doe->doe_cap,
						 PCI_DOE_CAP_SIZEOF,
						 dev_name(&adev->dev))) {
		pci_doe_set_state(doe, PCI_DOE_UNBOUND);
		return -EBUSY;
	}

	if (doe->vec_irq && !READ_ONCE(pci_doe_poll)) {
		rc = request_irq(doe->vec_irq, pci_doe_irq, IRQF_SHARED,
				 dev_name(&adev->dev), doe);
		if (rc)
			pci_info(pdev, "[%x] cannot share IRQ %d (%d); polling\n",
				 doe->doe_cap, doe->vec_irq, rc);
		else
			WRITE_ONCE(doe->irq, doe->vec_irq);
	}
	if (doe->irq) {
		/*
		 * An MSI/MSI-X message is a memory write from the function,
		 * which it may only issue with Bus Master Enable set (PCIe
		 * r6.2 sec 7.5.1.1.3).  The function sends the DOE
		 * interrupt only once DOE Interrupt Enable is set, so set
		 * Bus Master Enable right before it.
		 */
		pci_set_master(pdev);
	}

	/* Abort resets the DOE Capability; it also sets Interrupt Enable */
	rc = pci_doe_abort(doe, "probe");
	if (rc)
		goto err;
	rc = pci_doe_discover(doe);
	if (rc)
		goto err;
	rc = pci_doe_add_features(doe);
	if (rc)
		goto err;
	rc = pci_doe_add_cdev(doe);
	if (rc)
		goto err_features;

	pci_doe_set_state(doe, PCI_DOE_READY);
	return 0;

err_features:
	pci_doe_remove_features(doe);
err:
	pci_doe_hand_back(doe);
	pci_doe_set_state(doe, PCI_DOE_UNBOUND);
	pci_err(pdev, "[%x] DOE Capability unusable: %d\n", doe->doe_cap, rc);
	return rc;
}

static void pci_doe_remove(struct auxiliary_device *adev)
{
	struct pci_doe_dev *doe = container_of(adev, struct pci_doe_dev, adev);

	/* No new opens; open files get -ENODEV from here on */
	misc_deregister(&doe->misc);
	WRITE_ONCE(doe->binding, doe->binding + 1);

	/* Refuse new tasks, fail queued ones, cut the one in flight short */
	spin_lock_irq(&doe->lock);
	doe->cancel = true;
	doe->state = PCI_DOE_UNBOUND;
	spin_unlock_irq(&doe->lock);
	wake_up_all(&doe->wq);
	flush_work(&doe->work);
	/* Wait for an exchange pci_doe() runs in its caller's thread */
	mutex_lock(&doe->exchange_lock);
	mutex_unlock(&doe->exchange_lock);

	pci_doe_remove_features(doe);
	/* The DOE Capability is userspace's from here on */
	pci_doe_hand_back(doe);
}

static const struct auxiliary_device_id pci_doe_id_table[] = {
	{ .name = PCI_DOE_AUX_MODNAME ".doe" },
	{ }
};

static struct auxiliary_driver pci_doe_driver = {
	.name = "generic",
	.probe = pci_doe_probe,
	.remove = pci_doe_remove,
	.id_table = pci_doe_id_table,
	.driver.probe_type = PROBE_PREFER_ASYNCHRONOUS,
};

static int __init pci_doe_driver_init(void)
{
	return __auxiliary_driver_register(&pci_doe_driver, THIS_MODULE,
					   PCI_DOE_AUX_MODNAME);
}
subsys_initcall(pci_doe_driver_init);
