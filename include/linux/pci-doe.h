/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI Data Object Exchange (DOE), PCIe r6.2 sec 6.30
 *
 * Each DOE Capability of a PCI function is an auxiliary device, a child of
 * the pci_dev, created by the function's driver with
 * devm_pci_doe_create_devices().  The generic DOE driver binds to each one
 * and runs its request/response exchanges.  See Documentation/PCI/doe.rst.
 */

#ifndef LINUX_PCI_DOE_H
#define LINUX_PCI_DOE_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/pci-doe.h>

struct device;
struct pci_dev;
struct pci_doe_dev;

/* Data Object Types of Vendor ID 0001h (PCIe r6.2 sec 6.30.1.1) */
#define PCI_DOE_PROTOCOL_DISCOVERY	0x00
#define PCI_DOE_PROTOCOL_CMA		0x01
#define PCI_DOE_PROTOCOL_SECURED_CMA	0x02

/**
 * struct pci_doe_task - One data object exchange
 * @vid: Vendor ID of the data object (Header 1, PCIe r6.2 sec 6.30.1)
 * @type: Data Object Type (Header 1)
 * @request_pl: Request payload, little-endian, without the two header dwords
 * @request_pl_sz: Size of @request_pl in bytes; need not be a multiple of 4
 *		   (the last dword is padded with zeroes)
 * @response_pl: Buffer for the response payload, without the header dwords
 * @response_pl_sz: Size of @response_pl in bytes; need not be a multiple
 *		    of 4.  A longer response is read and dropped past this size.
 * @rv: Result, valid in @complete: the number of response payload bytes
 *	stored in @response_pl, or -errno
 * @complete: Called exactly once, in process context, when the exchange
 *	      ended or failed.  The DOE core does not touch @task after it.
 *	      It runs in the DOE Capability's work item, so it must not
 *	      wait for another exchange (pci_doe() fails with -EDEADLK);
 *	      it may submit one.
 * @private: For the submitter
 * @node: Private to the DOE core: the DOE Capability's task queue
 *
 * The submitter owns the task memory.  It must stay valid until @complete
 * has been called.
 */
struct pci_doe_task {
	u16 vid;
	u8 type;
	const __le32 *request_pl;
	size_t request_pl_sz;
	__le32 *response_pl;
	size_t response_pl_sz;
	int rv;
	void (*complete)(struct pci_doe_task *task);
	void *private;

	struct list_head node;
};

/*
 * devm_pci_doe_create_devices() flags: which MSI/MSI-X vectors the DOE
 * interrupt may use besides those the driver requested itself (see
 * "Interrupt rules" in Documentation/PCI/doe.rst)
 */
#define PCI_DOE_IRQ_SPARE	BIT(0)	/* vectors the driver leaves unrequested */
#define PCI_DOE_IRQ_ALLOC	BIT(1)	/* allocate vectors if the driver has none */

#if IS_ENABLED(CONFIG_PCI_DOE)
int devm_pci_doe_create_devices(struct pci_dev *pdev, unsigned int flags);
int pci_doe_max_int_msg_num(struct pci_dev *pdev);
#else
static inline int devm_pci_doe_create_devices(struct pci_dev *pdev,
					      unsigned int flags)
{
	return 0;
}

static inline int pci_doe_max_int_msg_num(struct pci_dev *pdev)
{
	return -1;
}
#endif

struct pci_doe_dev *pci_doe_find(struct pci_dev *pdev, u16 vid, u8 type);

/* devm_pci_doe_claim() flags */
#define PCI_DOE_CLAIM_READ_ONLY_SAFE	BIT(0)

int devm_pci_doe_claim(struct device *dev, struct pci_doe_dev *doe, u16 vid,
		       u8 type, unsigned int flags);
void pci_doe_put(struct pci_doe_dev *doe);
bool pci_doe_supports_prot(struct pci_doe_dev *doe, u16 vid, u8 type);

int pci_doe_submit_task(struct pci_doe_dev *doe, struct pci_doe_task *task);
int pci_doe(struct pci_doe_dev *doe, u16 vid, u8 type,
	    const void *request, size_t request_sz,
	    void *response, size_t response_sz);

#endif /* LINUX_PCI_DOE_H */
