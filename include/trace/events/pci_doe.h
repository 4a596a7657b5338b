/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of PCI Data Object Exchange (DOE), drivers/pci/doe.c
 *
 * Every event names the DOE Capability by the function (BDF) and the
 * Capability's config space offset, and the exchange by the Vendor ID and
 * Data Object Type of its request.  Events not tied to an exchange (an
 * Abort when the generic driver binds, an interrupt while idle) show
 * Vendor ID ffff and type ff, which no exchange has: ffff is not a valid
 * Vendor ID (PCIe r6.2 sec 7.5.1.1.1).
 *
 * @prot is (Data Object Type << 16 | Vendor ID), the encoding of doe.c;
 * the events store and print the two separately.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pci_doe

#if !defined(_TRACE_PCI_DOE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_PCI_DOE_H

#include <linux/pci.h>
#include <linux/tracepoint.h>

/*
 * Events with a number: the class prints it as a Length in dwords, the
 * events whose number is something else print their own.
 */
DECLARE_EVENT_CLASS(pci_doe_val_class,
		    TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
			     u32 val),
		    TP_ARGS(pdev, doe_cap, prot, val),
		    TP_STRUCT__entry(__string(dev, pci_name(pdev))
				     __field(u16, doe_cap)
				     __field(u16, vid)
				     __field(u8, type)
				     __field(u32, val)
		    ),
		    TP_fast_assign(__assign_str(dev);
				   __entry->doe_cap = doe_cap;
				   __entry->vid = lower_16_bits(prot);
				   __entry->type = prot >> 16;
				   __entry->val = val;
		    ),
		    TP_printk("%s doe %#x %04x:%02x length_dw=%u", __get_str(dev),
			      __entry->doe_cap, __entry->vid, __entry->type,
			      __entry->val)
);

/*
 * pci_doe_submit - A task was queued on a DOE Capability
 * @val: Request payload size in bytes
 */
DEFINE_EVENT_PRINT(pci_doe_val_class, pci_doe_submit,
		   TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
			    u32 val),
		   TP_ARGS(pdev, doe_cap, prot, val),
		   TP_printk("%s doe %#x %04x:%02x request_bytes=%u",
			     __get_str(dev), __entry->doe_cap, __entry->vid,
			     __entry->type, __entry->val)
);

/*
 * pci_doe_request - A request was written; DOE Go is set next
 * @val: Length of the data object in dwords, headers included
 */
DEFINE_EVENT(pci_doe_val_class, pci_doe_request,
	     TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot, u32 val),
	     TP_ARGS(pdev, doe_cap, prot, val)
);

/*
 * pci_doe_response - A response was read in full and found well formed
 * @val: Length of the data object in dwords, as the device gave it
 */
DEFINE_EVENT(pci_doe_val_class, pci_doe_response,
	     TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot, u32 val),
	     TP_ARGS(pdev, doe_cap, prot, val)
);

/*
 * pci_doe_irq - The DOE interrupt was claimed
 * @val: DOE Status as the handler read it
 */
DEFINE_EVENT_PRINT(pci_doe_val_class, pci_doe_irq,
		   TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
			    u32 val),
		   TP_ARGS(pdev, doe_cap, prot, val),
		   TP_printk("%s doe %#x %04x:%02x status=%#010x",
			     __get_str(dev), __entry->doe_cap, __entry->vid,
			     __entry->type, __entry->val)
);

/*
 * pci_doe_complete - A task ended; its completion callback runs next
 * @val: Response payload bytes stored, or -errno
 */
DEFINE_EVENT_PRINT(pci_doe_val_class, pci_doe_complete,
		   TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
			    u32 val),
		   TP_ARGS(pdev, doe_cap, prot, val),
		   TP_printk("%s doe %#x %04x:%02x rv=%d",
			     __get_str(dev), __entry->doe_cap, __entry->vid,
			     __entry->type, (int)__entry->val)
);

/* Events with a reason */
DECLARE_EVENT_CLASS(pci_doe_why_class,
		    TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
			     const char *why),
		    TP_ARGS(pdev, doe_cap, prot, why),
		    TP_STRUCT__entry(__string(dev, pci_name(pdev))
				     __field(u16, doe_cap)
				     __field(u16, vid)
				     __field(u8, type)
				     __string(why, why)
		    ),
		    TP_fast_assign(__assign_str(dev);
				   __entry->doe_cap = doe_cap;
				   __entry->vid = lower_16_bits(prot);
				   __entry->type = prot >> 16;
				   __assign_str(why);
		    ),
		    TP_printk("%s doe %#x %04x:%02x %s", __get_str(dev),
			      __entry->doe_cap, __entry->vid, __entry->type,
			      __get_str(why))
);

/*
 * pci_doe_abort - DOE Abort is about to be written
 * @why: The reason
 */
DEFINE_EVENT(pci_doe_why_class, pci_doe_abort,
	     TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
		      const char *why),
	     TP_ARGS(pdev, doe_cap, prot, why)
);

/*
 * pci_doe_timeout - A DOE Status wait ran out of its 1 second
 * @why: What did not happen: "Busy clear", "Data Object Ready", "Abort"
 */
DEFINE_EVENT(pci_doe_why_class, pci_doe_timeout,
	     TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
		      const char *why),
	     TP_ARGS(pdev, doe_cap, prot, why)
);

/*
 * pci_doe_reset - The function of a DOE Capability the kernel owns is reset
 * @why: "prepare" (the exchange in flight ends, tasks wait) or "done"
 *	 (Abort and Discovery follow)
 */
DEFINE_EVENT(pci_doe_why_class, pci_doe_reset,
	     TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
		      const char *why),
	     TP_ARGS(pdev, doe_cap, prot, why)
);

/*
 * pci_doe_pm - System sleep of a DOE Capability the kernel owns
 * @why: "suspend noirq" (exchanges poll from here), "resume noirq" (until
 *	 here), "resume" (Abort and Discovery follow)
 */
DEFINE_EVENT(pci_doe_why_class, pci_doe_pm,
	     TP_PROTO(struct pci_dev *pdev, u16 doe_cap, u32 prot,
		      const char *why),
	     TP_ARGS(pdev, doe_cap, prot, why)
);

#endif /* _TRACE_PCI_DOE_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
