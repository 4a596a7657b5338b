/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace access to a DOE Capability through the config space file
 * /sys/bus/pci/devices/BDF/config (PCIe r6.2 sec 6.30, 7.9.24).
 *
 * Only safe while no kernel driver owns the DOE Capability: the kernel
 * hands a DOE Capability to userspace when its auxiliary device is unbound
 * from the generic DOE driver.
 */
#ifndef DOE_CFG_H
#define DOE_CFG_H

#include <stdint.h>
#include <stddef.h>

#define DOE_MAX_CAPS		16
#define DOE_MAX_PROTOCOLS	64

struct doe_cap {
	char bdf[16];		/* e.g. "0000:0d:00.0" */
	uint16_t offset;	/* config space offset of the DOE Capability */
	uint8_t version;	/* Capability Version of the extended header */
	uint32_t cap;		/* DOE Capabilities register */
};

struct doe_protocol {
	uint16_t vid;
	uint8_t type;
};

/* Open /sys/bus/pci/devices/@bdf/config read-write; returns fd or -errno. */
int doe_cfg_open(const char *bdf);

/* Config space dword access at @off; 0 or -errno. */
int doe_cfg_read(int fd, unsigned int off, uint32_t *val);
int doe_cfg_write(int fd, unsigned int off, uint32_t val);

/*
 * Find the DOE Capabilities of @bdf; fills at most @max entries of @caps.
 * Returns the number found or -errno.
 */
int doe_cfg_find_caps(const char *bdf, struct doe_cap *caps, int max);

/* The DOE Status register of the DOE Capability at @offset of @bdf, or ~0 */
uint32_t doe_cfg_status(const char *bdf, unsigned int offset);

/* Abort: set DOE Abort and wait up to 1 s for Busy, Error and Ready to clear. */
int doe_cfg_abort(int fd, const struct doe_cap *cap);

/*
 * One data object exchange.  @req holds @req_dw dwords including the two
 * header dwords (the Length field is filled in here).  The response, headers
 * included, goes to @rsp, at most @rsp_max dwords; the rest is drained.
 * Returns the response length in dwords or -errno: -EBUSY (Busy for 1 s),
 * -EIO (Error), -ETIMEDOUT (no Data Object Ready within 1 s).
 */
int doe_cfg_exchange(int fd, const struct doe_cap *cap, uint32_t *req,
		     size_t req_dw, uint32_t *rsp, size_t rsp_max);

/*
 * Run DOE Discovery (PCIe r6.2 sec 6.30.1.1) over all indices.  Returns the
 * number of protocols stored in @prot (at most @max) or -errno.
 */
int doe_cfg_discover(int fd, const struct doe_cap *cap,
		     struct doe_protocol *prot, int max);

/*
 * The DOE auxiliary devices and the generic driver (pci_doe.generic),
 * through sysfs.  An auxiliary device is a child of its PCI function; its
 * name, pci_doe.doe.<id>, is only ever used whole: the <id> is the
 * kernel's to choose and may change when the PCI function's driver binds
 * again.  A DOE Capability's auxiliary device is found by its parent PCI
 * function and its cap_offset attribute.
 */
#define DOE_AUX_DEVS	"/sys/bus/auxiliary/devices"
#define DOE_DRV		"/sys/bus/auxiliary/drivers/pci_doe.generic"

/* Read a one-line sysfs attribute without its newline; 0 or -errno */
int doe_sysfs_read(const char *path, char *buf, size_t len);
/*
 * Read features/VVVV:TT of DOE auxiliary device @aux, which must hold its
 * own name and a newline: 0, -errno if it cannot be read, 1 if it holds
 * something else (then in @buf)
 */
int doe_feature_read(const char *aux, uint16_t vid, uint8_t type,
		     char *buf, size_t len);

/* Write @val to a sysfs file; 0 or -errno */
int doe_sysfs_write(const char *path, const char *val);

/* Is the generic DOE driver bound to auxiliary device @name? */
int doe_aux_bound(const char *name);

/*
 * Is @dir (a sysfs device directory) a DOE auxiliary device?  It is on the
 * auxiliary bus, its MODALIAS is auxiliary:pci_doe.doe and it has a
 * cap_offset attribute, which is stored in *@offset.
 */
int doe_aux_is_doe(const char *dir, unsigned int *offset);

/*
 * The auxiliary device of the DOE Capability at @offset of PCI function
 * @bdf, into @name; 0, or -ENOENT if it has none.
 */
int doe_aux_find(const char *bdf, unsigned int offset, char *name, size_t len);

/* Unbind ("unbind") or bind ("bind") the generic driver; 0 or -errno */
int doe_aux_drv(const char *what, const char *name);

/*
 * Wait up to @ms milliseconds until the generic driver is bound to the DOE
 * Capability at @offset of @bdf (it probes asynchronously), and store the
 * name of its auxiliary device in @name; 0 or -ETIMEDOUT.
 */
int doe_aux_wait_bound(const char *bdf, unsigned int offset, char *name,
		       size_t len, int ms);

/* A DOE auxiliary device, its PCI function and DOE Capability offset */
struct doe_aux {
	char name[256];		/* pci_doe.doe.<id> */
	char bdf[32];		/* the PCI function */
	unsigned int offset;
};

/*
 * The DOE auxiliary devices of every PCI function, in the order of the
 * PCI functions' names and of cap_offset; with @bound_only, only those
 * bound to the generic driver.  Returns the number found.
 */
int doe_aux_list(struct doe_aux *aux, int max, int bound_only);

/* Every DOE auxiliary device bound to the generic driver; the number found */
int doe_aux_find_bound(struct doe_aux *aux, int max);

/* One interrupt line of /proc/interrupts */
struct doe_irq_line {
	int irq;
	long count;		/* summed over the CPUs */
	char chip[64];		/* e.g. "PCI-MSIX-0000:0d:00.0" */
	long hwirq;		/* for an MSI/MSI-X chip, the message; or -1 */
	char actions[512];	/* "name, name, ..." as listed */
};

/*
 * The numbered interrupts of /proc/interrupts into @l, at most @max;
 * the number stored or -errno
 */
int doe_proc_interrupts(struct doe_irq_line *l, int max);

/* Is @name one of the actions of @l (a whole name, not a prefix)? */
int doe_irq_has_action(const struct doe_irq_line *l, const char *name);

/*
 * Interrupts counted on the vectors whose actions include @name (a whole
 * action name: pci_doe.doe.1 is not pci_doe.doe.10), -1 if none does
 */
long doe_irq_count(const char *name);

/*
 * Wait up to @ms milliseconds for the count of doe_irq_count(@name) to
 * pass @before: the interrupt of an exchange that already ended may still
 * be on its way.  Returns the last count.
 */
long doe_irq_wait_above(const char *name, long before, int ms);

/* Open /dev/<name>, the device of PCI_DOE_IOC_EXCHANGE; fd or -1 (errno) */
int doe_dev_open(const char *name);

/*
 * One exchange through PCI_DOE_IOC_EXCHANGE; the response payload bytes
 * stored in @rsp, or -errno.
 */
int doe_xchg(int fd, uint16_t vid, uint8_t type, const void *req,
	     uint32_t req_sz, void *rsp, uint32_t rsp_sz);

/* CXL Table Access (CXL r3.1 sec 8.1.11), the protocol of CDAT */
#define DOE_CXL_VID		0x1e98
#define DOE_CXL_TABLE_ACCESS	0x02

/* Discovery through the ioctl on @fd: the number of protocols or -errno */
int doe_ioctl_discover(int fd, struct doe_protocol *prot, int max);

/*
 * A whole CDAT through the ioctl on @fd, following the entry handles: its
 * length or -errno
 */
int doe_ioctl_cdat(int fd, uint8_t *buf, size_t max);

/*
 * The CDAT the CXL drivers read from PCI function @bdf: the CDAT attribute
 * of the CXL port whose uport is @bdf (a switch port) or a memdev of @bdf
 * (an endpoint).  Its length, 0 if the port has none, or -ENOENT if there
 * is no such port.
 */
int doe_kernel_cdat(const char *bdf, uint8_t *buf, size_t max);

/* tracefs, mounted at DOE_TRACEFS by the tests that use it */
#define DOE_TRACEFS	"/sys/kernel/tracing"

/* Write @val to tracefs file @file (e.g. "events/pci_doe/enable") */
int doe_trace_write(const char *file, const char *val);
/* Empty the trace buffer; 0 or -errno */
int doe_trace_clear(void);
/* The whole trace buffer as text, NUL-terminated, to free(); NULL on error */
char *doe_trace_read(void);
/*
 * Where the event line "@event: @prefix@rest" is in @trace, searching from
 * @from; NULL if absent.
 */
const char *doe_trace_find(const char *from, const char *event,
			   const char *prefix, const char *rest);

#endif /* DOE_CFG_H */
