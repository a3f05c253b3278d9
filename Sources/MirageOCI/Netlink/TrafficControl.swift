/// The route netlink messages (`linux/rtnetlink.h`, `linux/pkt_sched.h`, `linux/pkt_cls.h`,
/// `linux/tc_act/tc_mirred.h`) that join a tap to a pod's interface, as `tc qdisc add dev IF
/// ingress` and `tc filter add dev IF parent ffff: protocol all u32 match u32 0 0 action mirred
/// egress redirect dev TAP` send them, and that undo it.
enum TrafficControl {
    static let deleteLink: UInt16 = 17 // RTM_DELLINK
    static let newQueueDiscipline: UInt16 = 36, deleteQueueDiscipline: UInt16 = 37 // RTM_NEWQDISC, RTM_DELQDISC
    static let newFilter: UInt16 = 44 // RTM_NEWTFILTER
    /// `TC_H_INGRESS`, the ingress qdisc's parent, and its handle `ffff:`.
    static let ingressParent: UInt32 = 0xFFFF_FFF1, ingressHandle: UInt32 = 0xFFFF_0000

    /// `struct tcmsg`: family, padding, interface index, handle, parent, info.
    static func header(interface: Int32, handle: UInt32, parent: UInt32, info: UInt32) -> [UInt8] {
        NetlinkMessage.fields([0, UInt32(bitPattern: interface), handle, parent, info])
    }

    /// Adds the ingress qdisc to `interface` (`TCA_KIND` "ingress").
    static func addIngress(interface: Int32) -> NetlinkMessage {
        var message = NetlinkMessage(type: newQueueDiscipline,
                                     flags: NetlinkMessage.request | NetlinkMessage.acknowledge | NetlinkMessage.exclusive | NetlinkMessage.create,
                                     header: header(interface: interface, handle: ingressHandle, parent: ingressParent, info: 0))
        message.attribute(1, string: "ingress")
        return message
    }

    /// Removes the ingress qdisc of `interface`, and with it its filters.
    static func deleteIngress(interface: Int32) -> NetlinkMessage {
        NetlinkMessage(type: deleteQueueDiscipline, flags: NetlinkMessage.request | NetlinkMessage.acknowledge,
                       header: header(interface: interface, handle: ingressHandle, parent: ingressParent, info: 0))
    }

    /// A `u32` filter on `interface`'s ingress matching every frame (one key, mask 0, terminal)
    /// whose action, `mirred` egress redirect (`TCA_EGRESS_REDIR`, verdict `TC_ACT_STOLEN`), sends
    /// it out of `target`: u32 rather than matchall, which not every kernel has.
    static func redirectAll(from interface: Int32, to target: Int32) -> NetlinkMessage {
        redirect(from: interface, to: target, etherType: 0x0003, priority: 0)
    }

    /// A `u32` filter on `interface`'s ingress for frames of `etherType` (`ETH_P_ALL`, 3, for all)
    /// whose 32 bits at `offset` from the network
    /// header, under `mask`, are `value` (both in network byte order), redirecting them out of
    /// `target`; `priority` orders the filters (0: the kernel picks).
    static func redirect(from interface: Int32, to target: Int32, etherType: UInt16, priority: UInt16,
                         mask: UInt32 = 0, value: UInt32 = 0, offset: Int32 = 0) -> NetlinkMessage {
        let info = UInt32(priority) << 16 | UInt32(etherType.bigEndian)
        var message = NetlinkMessage(type: newFilter,
                                     flags: NetlinkMessage.request | NetlinkMessage.acknowledge | NetlinkMessage.exclusive | NetlinkMessage.create,
                                     header: header(interface: interface, handle: 0, parent: ingressHandle, info: info))
        message.attribute(1, string: "u32") // TCA_KIND
        message.nest(2) { options in // TCA_OPTIONS
            options.nest(7) { actions in // TCA_U32_ACT
                actions.nest(1) { action in // the first action
                    action.attribute(1, string: "mirred") // TCA_ACT_KIND
                    action.nest(2 | NetlinkMessage.nested) { parameters in // TCA_ACT_OPTIONS
                        // TCA_MIRRED_PARMS, struct tc_mirred: index, capab, action (TC_ACT_STOLEN),
                        // refcnt, bindcnt, eaction (TCA_EGRESS_REDIR), ifindex.
                        parameters.attribute(2, NetlinkMessage.fields([0, 0, 4, 0, 0, 1, UInt32(bitPattern: target)]))
                    }
                }
            }
            // TCA_U32_SEL, struct tc_u32_sel: flags (TC_U32_TERMINAL), offshift, nkeys 1, then
            // offmask, off, offoff, hoff, hmask all 0; and the tc_u32_key: mask, val (network
            // byte order), off, offmask.
            var selector: [UInt8] = [1, 0, 1, 0] + [UInt8](repeating: 0, count: 12)
            selector += NetlinkMessage.fields([mask.bigEndian, value.bigEndian, UInt32(bitPattern: offset), 0])
            options.attribute(5, selector)
        }
        return message
    }

    /// Removes the link `interface` (`struct ifinfomsg`: family, type, index, flags, change).
    static func removeLink(interface: Int32) -> NetlinkMessage {
        NetlinkMessage(type: deleteLink, flags: NetlinkMessage.request | NetlinkMessage.acknowledge,
                       header: NetlinkMessage.fields([0, UInt32(bitPattern: interface), 0, 0]))
    }
}
